//! The smallest supported window, 760×520: every button, field, link, box and folded group of
//! every screen (and of the first-run screen with what it found, and the dialogs) can be scrolled into view and
//! then lies wholly inside the window; the top bar's path, save state and menus never overlap.

use std::sync::Arc;

use egui::Key;
use egui::accesskit::{NodeId, Role};
use egui_kittest::kittest::{By, NodeT, Queryable};
use fxconfig::cfg::blank_template;
use fxconfig::cfg::locate::{CfgSource, LibraryCfg};
use fxconfig::demo::Demo;
use fxconfig::install::{FolderOrigin, SearchFolder};
use fxconfig::sim::Fault;

use crate::app::first_run::{Unprivileged, read_only_folder};
use crate::app::harness::TestApp;
use crate::support::tarball::FakeTarball;

const SMALL: [f32; 2] = [760.0, 520.0];

fn interactive(role: Role) -> bool {
    matches!(
        role,
        Role::Button
            | Role::CheckBox
            | Role::RadioButton
            | Role::Link
            | Role::ComboBox
            | Role::DisclosureTriangle
            | Role::TextInput
            | Role::PasswordInput
            | Role::MultilineTextInput
    )
}

/// Scrolls every control on screen into view and checks that it then fits the window;
/// returns how many were checked.
#[track_caller]
fn check_reachable(app: &mut TestApp, screen: &str) -> usize {
    let window = egui::Rect::from_min_size(egui::Pos2::ZERO, egui::vec2(SMALL[0], SMALL[1]));
    let ids: Vec<(NodeId, String)> = app
        .harness
        .query_all(By::new().predicate(|node| interactive(node.role())))
        .map(|node| {
            let name = node
                .accesskit_node()
                .label()
                .or_else(|| node.accesskit_node().value())
                .unwrap_or_default();
            (node.accesskit_node().locate().0, name)
        })
        .collect();
    assert!(!ids.is_empty(), "{screen}: no controls found");
    for (id, name) in &ids {
        let find = |app: &TestApp| {
            app.harness
                .query_all(By::new().predicate(move |node| node.locate().0 == *id))
                .next()
                .map(|node| node.rect())
        };
        let Some(_) = find(app) else {
            // A control that belonged to a state that has passed (a tooltip, a popup).
            continue;
        };
        if let Some(node) = app
            .harness
            .query_all(By::new().predicate(move |node| node.locate().0 == *id))
            .next()
        {
            node.scroll_to_me();
        }
        // The scroll lands on the third frame.
        for _ in 0..3 {
            app.harness.step();
        }
        let rect = find(app).unwrap_or_else(|| panic!("{screen}: {name:?} vanished when scrolled to"));
        assert!(
            window.expand(0.5).contains_rect(rect),
            "{screen}: {name:?} at {rect:?} does not fit the 760×520 window"
        );
    }
    ids.len()
}

#[test]
fn every_control_of_every_screen_fits_760_by_520() {
    let demo = Arc::new(Demo::start(Some(Fault::WrongCa)).expect("demo"));
    let for_app = Arc::clone(&demo);
    let mut app = TestApp::build_sized(None, SMALL, false, move |mut options| {
        options.demo = Some(for_app);
        options
    });
    // A failed run fills the Connection test and the wizard with results and remedies.
    app.ctrl(Key::Num3);
    app.press(Key::Enter);
    app.until("the test", |h| !h.state().doctor_running());
    let mut total = 0;
    for (key, screen) in [
        (Key::Num1, "Configuration"),
        (Key::Num2, "Certificates"),
        (Key::Num3, "Connection test"),
        (Key::Num4, "SSH key"),
        (Key::Num5, "Guided troubleshooting"),
        (Key::Num6, "PKCS#11 module"),
        (Key::Num7, "SSH client"),
    ] {
        app.ctrl(key);
        app.settle();
        app.unfold_results();
        total += check_reachable(&mut app, screen);
    }
    // A troubleshooting step with results.
    app.ctrl(Key::Num5);
    for _ in 0..3 {
        app.alt(Key::ArrowRight);
    }
    app.unfold_results();
    total += check_reachable(&mut app, "troubleshooting step 4");
    // The raw text, and the dialogs.
    app.ctrl(Key::Num1);
    app.click("Raw text");
    total += check_reachable(&mut app, "raw text");
    app.press(Key::F1);
    total += check_reachable(&mut app, "About");
    app.press(Key::Escape);
    eprintln!("controls checked at 760×520: {total}");
}

#[test]
fn the_first_run_screen_and_the_save_preview_fit_760_by_520() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("fxpkcs11.cfg");
    let mut app = TestApp::build_sized(Some(missing), SMALL, false, |options| options);
    app.wait_for("Start with one of these");
    check_reachable(&mut app, "first run");

    let config = dir.path().join("existing.cfg");
    std::fs::write(&config, include_bytes!("../fixtures/app/snapshot.cfg")).unwrap();
    let mut app = TestApp::build_sized(Some(config), SMALL, false, |options| options);
    app.wait_for("KMES address");
    app.replace_text("KMES address", "10.1.2.3");
    app.ctrl(Key::S);
    app.wait_for("Review the changes");
    check_reachable(&mut app, "save preview");
}

#[test]
fn the_first_runs_findings_and_dialogs_fit_760_by_520() {
    let tarball = FakeTarball::new(&blank_template());
    let dir = tempfile::tempdir().unwrap();
    let etc = read_only_folder(dir.path().join("etc"));
    let library = etc.join("fxpkcs11.cfg");
    let unprivileged = Unprivileged::start();
    let folders = vec![SearchFolder::new(&tarball.root, FolderOrigin::UserTarball)];
    let for_app = library.clone();
    let mut app = TestApp::build_sized(None, SMALL, false, move |mut options| {
        options.library = Some(LibraryCfg {
            path: for_app,
            source: CfgSource::EnvVar,
        });
        options.install_folders = Some(folders);
        options
    });
    app.until("the search", |h| h.state().installation().is_some());
    check_reachable(&mut app, "first run with a tarball found");
    app.click(&format!("Create {}…", library.display()));
    app.wait_for("cannot be written here");
    check_reachable(&mut app, "the folder may not be written");
    app.press(Key::Escape);
    let copy = format!("Copy it to {}…", library.display());
    app.click(&copy);
    app.wait_for("Install the file where the library reads it");
    check_reachable(&mut app, "the tarball's file may not be copied");
    app.press(Key::Escape);
    drop(unprivileged);
    std::fs::set_permissions(&etc, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    app.click(&copy);
    app.wait_for(&format!("Copy to {}?", library.display()));
    check_reachable(&mut app, "the copy's preview");
}

#[test]
fn the_top_bar_never_overlaps_itself() {
    let dir = tempfile::tempdir().unwrap();
    let deep = dir
        .path()
        .join("a-rather-long-folder-name/and-another-one/for-good-measure");
    std::fs::create_dir_all(&deep).unwrap();
    let config = deep.join("fxpkcs11.cfg");
    std::fs::write(&config, include_bytes!("../fixtures/app/snapshot.cfg")).unwrap();
    let mut app = TestApp::build_sized(Some(config.clone()), SMALL, false, |options| options);
    app.wait_for("KMES address");
    app.replace_text("KMES address", "10.1.2.3");
    // The screen back at its top, so nothing of it lies under the top bar.
    app.ctrl(Key::Home);
    let top_bar_bottom = 34.0;
    let rects: Vec<(String, egui::Rect)> = app
        .harness
        .query_all(By::new().predicate(|node| node.bounding_box().is_some()))
        .filter(|node| node.rect().top() >= 0.0 && node.rect().bottom() < top_bar_bottom)
        .filter(|node| node.rect().width() > 0.0)
        .filter(|node| matches!(node.accesskit_node().role(), Role::Button | Role::Label))
        .map(|node| {
            let name = node
                .accesskit_node()
                .label()
                .or_else(|| node.accesskit_node().value())
                .unwrap_or_default();
            (name, node.rect())
        })
        .collect();
    let path = rects
        .iter()
        .find(|(name, _)| name.ends_with("fxpkcs11.cfg"))
        .expect("the path is in the top bar");
    assert!(
        path.0.contains('…'),
        "a long path is shortened in the middle: {}",
        path.0
    );
    assert!(
        path.0.ends_with("/fxpkcs11.cfg"),
        "the file name is kept whole: {}",
        path.0
    );
    assert!(
        rects.iter().any(|(name, _)| name.contains("Unsaved")),
        "the save state is shown"
    );
    for (index, (a_name, a)) in rects.iter().enumerate() {
        assert!(a.right() <= SMALL[0] + 0.5, "{a_name:?} runs out of the window");
        for (b_name, b) in &rects[index + 1..] {
            assert!(
                a.intersect(*b).area() < 1.0,
                "{a_name:?} {a:?} overlaps {b_name:?} {b:?}"
            );
        }
    }
}

#[test]
fn a_long_status_message_is_one_line_beside_its_dismiss_button() {
    let dir = tempfile::tempdir().unwrap();
    let long = dir
        .path()
        .join(format!("{}.txt", "a-file-with-a-very-long-name-".repeat(6)));
    std::fs::write(&long, b"neither a certificate nor a key").unwrap();
    let mut app = TestApp::build_sized(None, SMALL, false, |options| options);
    app.harness
        .input_mut()
        .dropped_files
        .push(std::sync::Arc::new(crate::app::harness::DroppedPath(long.clone())));
    app.harness.step();
    app.until("the drop", |h| h.state().notice().is_some());
    app.harness.step();
    let notice = app.app().notice().unwrap().to_owned();
    assert!(notice.contains(&long.display().to_string()), "{notice}");
    let label = app
        .harness
        .query_all_by_label_contains("is not a configuration")
        .map(|node| node.rect())
        .next()
        .expect("the message in the status bar");
    let dismiss = app.harness.get_by_label("Dismiss").rect();
    assert!(label.height() < 24.0, "one line: {label:?}");
    assert!(
        label.right() <= dismiss.left(),
        "the message stops before Dismiss: {label:?} {dismiss:?}"
    );
    assert!(
        dismiss.right() <= SMALL[0] && dismiss.bottom() <= SMALL[1],
        "Dismiss is on screen"
    );
    app.click("Dismiss");
    assert!(app.app().notice().is_none());
}

#[cfg(unix)]
#[test]
fn stacked_notices_scroll_and_leave_most_of_a_760_by_520_window_to_the_screen() {
    use std::os::unix::fs::PermissionsExt;
    // Where the screen starts with no notice.
    let quiet = crate::support::lab::Lab::new();
    quiet.write_cfg("127.0.0.1", 2001);
    let mut app = TestApp::build_sized(Some(quiet.cfg.clone()), SMALL, false, |options| options);
    app.wait_for("KMES address");
    let without_notices = app.harness.get_by_label("Raw text").rect().top();

    let lab = crate::support::lab::Lab::new();
    lab.write_cfg("127.0.0.1", 2001);
    std::fs::set_permissions(&lab.cfg, std::fs::Permissions::from_mode(0o644)).unwrap();
    let mut app = TestApp::build_sized(Some(lab.cfg.clone()), SMALL, false, |options| options);
    app.wait_for("holds a password, and");
    // Three notices at once: the password others may read, a change by another program, and a
    // file dialog that cannot open; drawn one below the other they take 200 points.
    let text = std::fs::read_to_string(&lab.cfg).unwrap();
    std::fs::write(&lab.cfg, text.replace("keygroup1", "changed-elsewhere")).unwrap();
    app.until("the change to be noticed", |h| h.state().changed_on_disk());
    app.dialogs.fail("no portal");
    app.ctrl(Key::O);
    app.until("the dialog's answer", |h| h.state().dialog_failure().is_some());
    app.press(Key::Escape);
    app.wait_for("Another program changed");
    app.wait_for("The file dialog cannot open here");
    app.ctrl(Key::Home);
    app.settle();
    // They push the screen down by at most a third of the window; the rest of them scrolls.
    let pushed = app.harness.get_by_label("Raw text").rect().top() - without_notices;
    assert!(
        pushed > 100.0 && pushed <= SMALL[1] / 3.0,
        "the notices push the screen down by {pushed:.0} of 520 points"
    );
    // Every notice's buttons can still be scrolled to and used.
    check_reachable(&mut app, "three notices");
    app.click("Reload from disk");
    app.until("the reload", |h| !h.state().changed_on_disk() && !h.state().is_busy());
}
