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
    app.wait_for("Another program changed this file");
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
    app.click("Create it");
    app.until("the new document", |h| {
        h.state().open_path().is_some() && !h.state().is_busy()
    });
    app.replace_text("KMES address", "10.0.8.20");
    app.ctrl(Key::S);
    app.wait_for("Review the changes");
    app.click("Save changes");
    app.until("the save", |h| !h.state().is_modified() && !h.state().is_busy());
    let text = fs::read_to_string(&path).unwrap();
    assert!(text.contains("<ADDRESS> 10.0.8.20 </ADDRESS>"), "{text}");
}
