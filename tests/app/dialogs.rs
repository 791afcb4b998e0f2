//! File dialogs that cannot open (no desktop portal, no zenity): the app says so once, in a
//! notice above the screen, puts the keyboard in the path field, and does not try the
//! dialog again; where a screen has no field, it asks for the path in a prompt. Typed paths
//! work like chosen ones.

use egui::Key;
use egui_kittest::kittest::Queryable;
use fxconfig::app::dialogs::DialogPurpose;
use fxconfig::app::screens::Screen;

use crate::app::harness::TestApp;
use crate::support::lab::Lab;

const REASON: &str = "there is no D-Bus session for the desktop portal and zenity is not installed";

#[test]
fn a_dialog_that_cannot_open_is_said_once_and_the_path_field_takes_the_keyboard() {
    let lab = Lab::new();
    lab.write_cfg("127.0.0.1", 2001);
    let mut app = TestApp::start(Some(lab.cfg.clone()));
    app.ctrl(Key::Num2);
    app.dialogs.fail(REASON);
    app.click("Browse… (Root CA certificate file)");
    app.until("the dialog's answer", |h| h.state().dialog_failure().is_some());
    app.harness.step();
    assert!(
        app.shows("The file dialog cannot open here"),
        "a visible notice says so"
    );
    assert!(app.shows(REASON), "with the reason");
    assert_eq!(
        app.focused_label().as_deref(),
        Some("Root CA certificate file"),
        "the path field has the keyboard"
    );
    // The path typed, then Enter, opens the file.
    app.harness
        .get_by_label("Root CA certificate file")
        .type_text(&lab.files.ca_cert.display().to_string());
    app.harness.step();
    app.press(Key::Enter);
    app.until("the CA", |h| !h.state().is_busy());
    app.wait_for("System TLS CA Root");

    // The dialog is not tried again: Browse… goes straight to the field.
    app.click("Browse… (PKCS#12 client identity file)");
    assert_eq!(app.dialogs.asked(), vec![DialogPurpose::OpenCa], "no second dialog");
    assert_eq!(app.focused_label().as_deref(), Some("PKCS#12 client identity file"));

    // Said once: dismissed, it does not come back.
    app.click("Dismiss");
    assert!(!app.shows("The file dialog cannot open here"));
    app.ctrl(Key::Num4);
    app.click("Browse… (Public key file)");
    assert!(!app.shows("The file dialog cannot open here"));
    assert_eq!(app.app().screen(), Screen::SshKey);
    assert_eq!(app.focused_label().as_deref(), Some("Public key file"));
}

#[test]
fn without_a_field_on_screen_the_path_is_asked_for_in_a_prompt() {
    let lab = Lab::new();
    lab.write_cfg("127.0.0.1", 2001);
    let other = lab.dir.path().join("copy.cfg");
    std::fs::copy(&lab.cfg, &other).unwrap();
    let mut app = TestApp::start(Some(lab.cfg.clone()));
    app.dialogs.fail(REASON);
    app.ctrl(Key::O);
    app.until("the dialog's answer", |h| h.state().dialog_failure().is_some());
    app.wait_for("type the file's full path");
    assert_eq!(
        app.focused_label().as_deref(),
        Some("Path"),
        "the prompt's field has the keyboard"
    );
    app.harness.get_by_label("Path").type_text(&other.display().to_string());
    app.harness.step();
    app.press(Key::Enter);
    app.until("the other file", |h| {
        h.state().open_path() == Some(other.as_path()) && !h.state().is_busy()
    });
    assert_eq!(app.dialogs.asked(), vec![DialogPurpose::OpenConfig]);

    // Save as, too, asks for the path without trying the dialog again.
    let saved = lab.dir.path().join("saved-as.cfg");
    app.harness
        .key_press_modifiers(egui::Modifiers::COMMAND | egui::Modifiers::SHIFT, Key::S);
    app.harness.step();
    app.wait_for("Save the configuration as");
    app.harness.get_by_label("Path").type_text(&saved.display().to_string());
    app.harness.step();
    app.click("OK");
    app.until("the save", |h| {
        h.state().open_path() == Some(saved.as_path()) && !h.state().is_busy()
    });
    assert!(saved.is_file());
    assert_eq!(app.dialogs.asked().len(), 1, "the dialog was tried once only");
}
