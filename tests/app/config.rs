//! The Configuration screen, driven through the real app: typing into a labelled field,
//! saving with the diff preview, the unsaved marker, the unsaved-changes guard, raw text
//! with masked passwords, and noticing a change made by another program.

use std::fs;

use egui::Key;
use egui_kittest::kittest::Queryable;
use fxconfig::app::dialogs::DialogPurpose;

use crate::app::harness::TestApp;
use crate::support::lab::{Lab, OPERATOR_PASSWORD, P12_PASSWORD};

fn lab_app() -> (Lab, TestApp) {
    let lab = Lab::new();
    lab.write_cfg("127.0.0.1", 2001);
    let app = TestApp::start(Some(lab.cfg.clone()));
    (lab, app)
}

#[test]
fn typing_into_a_field_and_saving_changes_only_that_value() {
    let (lab, mut app) = lab_app();
    let before = fs::read(&lab.cfg).unwrap();
    assert_eq!(app.app().open_path(), Some(lab.cfg.as_path()));
    assert_eq!(app.app().window_title(), format!("fxconfig — {}", lab.cfg.display()));
    assert!(!app.shows("Unsaved changes"));
    app.harness.check_accessibility();

    app.replace_text("Key group", "keygroup2");
    assert!(app.app().is_modified());
    assert!(app.shows("Unsaved changes"), "the unsaved marker appears");
    assert!(app.app().window_title().ends_with(" ●"), "{}", app.app().window_title());

    app.ctrl(Key::S);
    app.wait_for("Review the changes");
    assert!(
        app.shows("keygroup1") && app.shows("keygroup2"),
        "the diff shows the old and new value"
    );
    assert_eq!(
        fs::read(&lab.cfg).unwrap(),
        before,
        "nothing is written before confirming"
    );
    app.click("Save changes");
    app.until("the save", |h| !h.state().is_modified() && !h.state().is_busy());

    let after = fs::read(&lab.cfg).unwrap();
    let expected = String::from_utf8(before.clone())
        .unwrap()
        .replace("keygroup1", "keygroup2");
    assert_eq!(
        String::from_utf8(after).unwrap(),
        expected,
        "only the one value changed, byte for byte"
    );
    assert_eq!(
        fs::read(lab.dir.path().join("fxpkcs11.cfg.bak")).unwrap(),
        before,
        "the backup holds the old file"
    );
    assert!(!app.shows("Unsaved changes"), "the marker clears");
    assert_eq!(app.app().window_title(), format!("fxconfig — {}", lab.cfg.display()));
}

#[test]
fn a_yes_no_field_is_a_checkbox_and_the_save_button_saves() {
    let (lab, mut app) = lab_app();
    app.click("Load balancing");
    assert!(app.app().is_modified());
    app.click("Save");
    app.wait_for("Review the changes");
    app.click("Save changes");
    app.until("the save", |h| !h.state().is_modified() && !h.state().is_busy());
    let text = fs::read_to_string(&lab.cfg).unwrap();
    assert!(
        text.contains("<FX-LOAD-BALANCE>        YES         </FX-LOAD-BALANCE>"),
        "{text}"
    );
}

#[test]
fn a_bad_port_is_reported_with_its_line_number() {
    let (_lab, mut app) = lab_app();
    app.replace_text("Host API port", "99999");
    app.until("validation", |h| !h.state().is_busy());
    assert!(app.shows("line 18:"), "the finding carries the line of PROD-PORT");
    app.replace_text("Host API port", "20x01");
    assert_eq!(
        app.harness.get_by_label("Host API port").value().as_deref(),
        Some("2001"),
        "letters are not accepted in a port"
    );
}

#[test]
fn opening_another_file_asks_about_unsaved_changes() {
    let (lab, mut app) = lab_app();
    app.replace_text("KMES user", "crypto2");
    app.ctrl(Key::O);
    app.wait_for("has changes that are not saved");
    assert!(
        app.dialogs.asked().is_empty(),
        "no dialog before the question is answered"
    );
    app.click("Cancel");
    assert!(app.app().is_modified(), "cancel keeps the changes");

    let other = lab.dir.path().join("other.cfg");
    fs::write(&other, "<KMS>\n  <ADDRESS> 10.1.1.1 </ADDRESS>\n</KMS>\n").unwrap();
    app.dialogs.answer(Some(other.clone()));
    app.ctrl(Key::O);
    app.wait_for("has changes that are not saved");
    app.click("Discard changes");
    app.until("the other file", |h| {
        h.state().open_path() == Some(other.as_path()) && !h.state().is_busy()
    });
    assert_eq!(app.dialogs.asked(), vec![DialogPurpose::OpenConfig]);
    assert!(!app.app().is_modified());
    assert!(
        fs::read_to_string(&lab.cfg).unwrap().contains("crypto1"),
        "the discarded change was never written"
    );
}

#[test]
fn the_raw_text_masks_passwords_until_asked() {
    let (_lab, mut app) = lab_app();
    app.click("Raw text");
    assert!(app.shows("<CRYPTO-OPR-PASS>        ********"));
    assert!(!app.shows(OPERATOR_PASSWORD));
    assert!(!app.shows(P12_PASSWORD));
    app.click("Show passwords and edit the text");
    let editor = app.harness.get_by_label("Raw text of the configuration");
    assert!(editor.value().unwrap_or_default().contains(OPERATOR_PASSWORD));
}

#[test]
fn a_change_by_another_program_is_noticed() {
    let (lab, mut app) = lab_app();
    let text = fs::read_to_string(&lab.cfg)
        .unwrap()
        .replace("keygroup1", "changed-elsewhere");
    fs::write(&lab.cfg, text).unwrap();
    app.until("the change to be noticed", |h| h.state().changed_on_disk());
    app.wait_for("Another program changed");
    app.click("Reload from disk");
    app.until("the reload", |h| !h.state().changed_on_disk() && !h.state().is_busy());
    assert_eq!(
        app.harness.get_by_label("Key group").value().as_deref(),
        Some("changed-elsewhere")
    );
}

#[test]
fn a_missing_file_can_be_created() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("new.cfg");
    let mut app = TestApp::start(Some(path.clone()));
    assert!(app.shows("There is no file at"));
    app.click(&format!("Create {}", path.display()));
    app.until("the new document", |h| {
        h.state().open_path().is_some() && !h.state().is_busy()
    });
    app.replace_text("KMES address", "10.0.8.20");
    app.ctrl(Key::S);
    app.wait_for("Review the changes");
    app.click("Save changes");
    app.until("the save", |h| !h.state().is_modified() && !h.state().is_busy());
    let text = fs::read_to_string(&path).unwrap();
    // The guide's layout, created through the library's init: the value in its column.
    assert!(text.contains("<KMS>"), "{text}");
    let address = text.lines().find(|line| line.contains("<ADDRESS>")).unwrap_or_default();
    assert_eq!(
        address.split_whitespace().collect::<Vec<_>>(),
        ["<ADDRESS>", "10.0.8.20", "</ADDRESS>"],
        "{text}"
    );
}

#[test]
fn a_failed_save_opens_a_dialog_with_its_cause_and_next_steps() {
    let (lab, mut app) = lab_app();
    app.replace_text("Key group", "keygroup2");
    // A regular file where the folder should be: the save cannot succeed.
    let blocker = lab.dir.path().join("not-a-folder");
    fs::write(&blocker, b"").unwrap();
    let target = blocker.join("fxpkcs11.cfg");
    app.dialogs.answer(Some(target.clone()));
    app.harness
        .key_press_modifiers(egui::Modifiers::COMMAND | egui::Modifiers::SHIFT, Key::S);
    app.harness.step();
    app.until("the save", |h| !h.state().is_busy());
    app.wait_for("Not saved");
    assert!(app.app().modal_open(), "a dialog, not only the status bar");
    assert!(app.shows(&target.display().to_string()), "it names the file");
    assert!(app.shows("the file on disk is unchanged"));
    assert!(app.shows("Next steps"));
    assert!(app.app().is_modified(), "the changes are kept");
    app.dialogs.answer(None);
    app.click("Save elsewhere…");
    app.until("the dialog", |h| !h.state().is_busy());
    assert_eq!(
        app.dialogs.asked(),
        vec![DialogPurpose::SaveConfigAs, DialogPurpose::SaveConfigAs],
        "Save as… is offered again"
    );
    assert!(!app.app().modal_open());
}

#[test]
fn a_change_on_disk_shows_on_every_screen_and_in_the_top_bar() {
    let (lab, mut app) = lab_app();
    app.ctrl(Key::Num3);
    let text = fs::read_to_string(&lab.cfg).unwrap().replace("keygroup1", "elsewhere");
    fs::write(&lab.cfg, text).unwrap();
    app.until("the change to be noticed", |h| h.state().changed_on_disk());
    app.harness.step();
    assert!(app.shows("Changed on disk"), "the top bar says so");
    assert!(
        app.shows("Another program changed"),
        "the notice is on the Connection test screen too"
    );
    assert!(!app.shows("Saved"), "the top bar no longer says Saved");
    app.click("Reload from disk");
    app.until("the reload", |h| !h.state().changed_on_disk() && !h.state().is_busy());
    assert!(app.shows("Saved"));
}

#[test]
fn testing_with_unsaved_changes_offers_to_save_first_or_test_the_saved_file() {
    let (lab, mut app) = lab_app();
    let before = fs::read(&lab.cfg).unwrap();
    app.replace_text("Key group", "keygroup2");
    app.ctrl(Key::Num3);
    app.press(Key::Enter);
    app.wait_for("Test with unsaved changes?");
    assert!(!app.app().doctor_running(), "nothing runs before the choice");
    app.click("Test the saved file");
    assert!(app.app().doctor_running() || !app.app().check_results().is_empty());
    app.until("the test", |h| !h.state().doctor_running());
    assert_eq!(
        fs::read(&lab.cfg).unwrap(),
        before,
        "the saved file was tested, unchanged"
    );
    assert!(app.app().is_modified(), "the changes are still there, unsaved");

    app.press(Key::Enter);
    app.wait_for("Test with unsaved changes?");
    app.click("Save and test");
    app.wait_for("Review the changes");
    app.click("Save changes");
    app.until("the save and the test", |h| {
        !h.state().is_modified() && !h.state().doctor_running() && !h.state().is_busy()
    });
    assert!(fs::read_to_string(&lab.cfg).unwrap().contains("keygroup2"));
    assert!(
        app.app()
            .report_markdown()
            .is_some_and(|report| report.contains("keygroup2"))
    );
}

#[test]
fn recent_files_that_are_gone_are_marked_and_removable() {
    let dir = tempfile::tempdir().unwrap();
    let kept = dir.path().join("kept.cfg");
    fs::write(&kept, b"<KMS>\n</KMS>\n").unwrap();
    let gone = dir.path().join("gone/fxpkcs11.cfg");
    let missing = dir.path().join("fxpkcs11.cfg");
    let recent = vec![gone.clone(), kept.clone()];
    let mut app = TestApp::build(Some(missing), false, move |options| {
        options
            .prefs
            .save(&fxconfig::app::prefs::Prefs {
                recent_files: recent,
                ..Default::default()
            })
            .unwrap();
        options
    });
    app.wait_for("Recent files");
    assert!(app.shows(&format!("{} (no longer there)", gone.display())));
    assert!(!app.shows(&format!("{} (no longer there)", kept.display())));
    assert_eq!(
        app.harness.get_all_by_label("Remove").count(),
        2,
        "each recent file can be removed"
    );
    app.harness.get_all_by_label("Remove").next().unwrap().click();
    app.harness.step();
    app.harness.step();
    assert_eq!(app.app().prefs().recent_files, vec![kept], "the gone file is forgotten");
}

#[test]
fn the_error_for_a_garbage_file_names_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let garbage = dir.path().join("garbage.cfg");
    fs::write(&garbage, [0xff_u8, 0xfe, 0x00, 0x01, b'<', b'K']).unwrap();
    let app = TestApp::start(Some(garbage.clone()));
    assert!(
        app.shows(&garbage.display().to_string()),
        "the error names {}",
        garbage.display()
    );
}

#[cfg(unix)]
#[test]
fn a_password_others_may_read_is_warned_about_and_made_private() {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let (lab, mut app) = lab_app();
    fs::set_permissions(&lab.cfg, fs::Permissions::from_mode(0o644)).unwrap();
    let owner = fs::metadata(&lab.cfg).unwrap().uid();
    app.replace_text("Key group", "keygroup2");
    app.ctrl(Key::S);
    app.wait_for("Review the changes");
    app.click("Save changes");
    app.until("the save", |h| !h.state().is_modified() && !h.state().is_busy());
    app.wait_for("holds a password, and");
    assert!(
        app.shows("all other users may read it (mode 0644)"),
        "who may read it, and the mode"
    );
    app.click("Make it readable by its owner only (0600)");
    // The change is done when its result has reached the app (the worker's event), not merely
    // when the file's mode has changed.
    app.until("the change", |h| {
        h.state()
            .notice()
            .is_some_and(|n| n.contains("readable by its owner only"))
    });
    // The warning goes once the file has been validated again (in the background).
    app.wait_gone("holds a password, and");
    let meta = fs::metadata(&lab.cfg).unwrap();
    assert_eq!(meta.permissions().mode() & 0o777, 0o600);
    assert_eq!(meta.uid(), owner, "the owner stays");
    assert!(
        app.app()
            .notice()
            .is_some_and(|n| n.contains("readable by its owner only"))
    );
}
