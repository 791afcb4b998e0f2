//! The Certificates screen, driven through the real app: a generated root CA and PKCS#12
//! identity imported through the (scripted) file dialogs, the password typed into the
//! prompt, the details and chain check shown, and "Apply to configuration" writing the
//! PROD-TLS-* fields.

use std::fs;

use egui::Key;
use egui_kittest::kittest::Queryable;
use fxconfig::Secret;
use fxconfig::app::dialogs::DialogPurpose;
use fxconfig::cfg::CfgDocument;

use crate::app::harness::{DroppedPath, TestApp};
use crate::support::lab::{Lab, OlderP12, P12_PASSWORD};

/// A configuration without TLS materials, and a demo PKI in another folder (the download folder).
fn setup() -> (tempfile::TempDir, std::path::PathBuf, Lab) {
    let config_dir = tempfile::tempdir().unwrap();
    let config = config_dir.path().join("fxpkcs11.cfg");
    fs::write(
        &config,
        "<KMS>\n    <ADDRESS>   127.0.0.1  </ADDRESS>\n    <PROD-PORT> 2001       </PROD-PORT>\n</KMS>\n",
    )
    .unwrap();
    (config_dir, config, Lab::new())
}

#[test]
fn importing_the_ca_and_p12_shows_their_details_and_applies_them() {
    let (config_dir, config, lab) = setup();
    let mut app = TestApp::start(Some(config.clone()));
    app.ctrl(Key::Num2);
    app.wait_for("No CA file opened");

    app.dialogs.answer(Some(lab.files.ca_cert.clone()));
    app.click("Browse… (Root CA certificate file)");
    app.until("the CA", |h| !h.state().is_busy());
    app.wait_for("System TLS CA Root");

    app.dialogs.answer(Some(lab.files.client_p12.clone()));
    app.click("Browse… (PKCS#12 client identity file)");
    app.wait_for("Password of the PKCS#12 file");
    app.harness
        .get_by_label("Password of the PKCS#12 file")
        .type_text(P12_PASSWORD);
    app.harness.step();
    app.harness.key_press(Key::Enter);
    app.until("the identity", |h| !h.state().is_busy());
    app.wait_for("Client certificate: ");
    assert!(
        app.shows("PKCS #11 Client"),
        "the client certificate's subject is shown"
    );
    assert!(app.shows("SHA-256 fingerprint") || app.shows("days left"));
    app.wait_for("The client certificate chains to the CA");
    assert!(!app.shows(P12_PASSWORD), "the password is never shown");
    assert_eq!(app.dialogs.asked(), vec![DialogPurpose::OpenCa, DialogPurpose::OpenP12]);

    app.click("Apply to configuration");
    app.until("the import", |h| !h.state().is_busy());
    app.wait_for("are set");

    let doc = CfgDocument::parse(&fs::read(&config).unwrap()).unwrap();
    let settings = doc.settings();
    let copied_ca = config_dir.path().join("root_cert.pem");
    let copied_p12 = config_dir.path().join("export_pkcs12.p12");
    assert_eq!(settings.tls_ca.as_deref(), Some(&*copied_ca.to_string_lossy()));
    assert_eq!(settings.tls_key.as_deref(), Some(&*copied_p12.to_string_lossy()));
    assert_eq!(settings.tls_key_pass, Some(Secret::new(P12_PASSWORD)));
    assert_eq!(settings.tls_enabled, Some(true));
    assert_eq!(fs::read(&copied_p12).unwrap(), fs::read(&lab.files.client_p12).unwrap());
    assert_eq!(
        settings.address.as_deref(),
        Some("127.0.0.1"),
        "the other values are kept"
    );
    assert!(
        !app.app().is_modified(),
        "the app shows the file as saved by the import"
    );
    app.ctrl(Key::Num1);
    assert_eq!(
        app.harness.get_by_label("Root CA certificate").value().as_deref(),
        Some(&*copied_ca.to_string_lossy()),
        "the form shows the new value after the reload"
    );
}

#[test]
fn older_pkcs12_files_open_and_name_their_protection() {
    let (_config_dir, config, lab) = setup();
    let mut app = TestApp::start(Some(config));
    app.ctrl(Key::Num2);
    for kind in OlderP12::ALL {
        app.dialogs.answer(Some(lab.older_p12(kind)));
        app.click("Browse… (PKCS#12 client identity file)");
        app.wait_for("Password of the PKCS#12 file");
        app.harness
            .get_by_label("Password of the PKCS#12 file")
            .type_text(P12_PASSWORD);
        app.harness.step();
        app.harness.key_press(Key::Enter);
        app.until("the identity", |h| !h.state().is_busy());
        app.wait_for(&format!("private key: {}", kind.scheme()));
        assert!(
            app.shows("PKCS #11 Client"),
            "{kind:?}: the client certificate is shown"
        );
    }
}

#[test]
fn a_wrong_password_is_explained_and_can_be_retried() {
    let (_config_dir, config, lab) = setup();
    let mut app = TestApp::start(Some(config));
    app.ctrl(Key::Num2);
    // A PKCS#12 file dropped on the window asks for its password.
    app.harness
        .input_mut()
        .dropped_files
        .push(std::sync::Arc::new(DroppedPath(lab.files.client_p12.clone())));
    app.harness.step();
    app.wait_for("Password of the PKCS#12 file");
    app.harness
        .get_by_label("Password of the PKCS#12 file")
        .type_text("not the password");
    app.harness.step();
    app.click("Open");
    app.until("the identity", |h| !h.state().is_busy());
    app.wait_for("wrong password");
    assert!(app.shows("What to do:"), "the remedy is shown");
    assert!(!app.shows("not the password"));
    // Where the password was typed: the prompt asks again, saying why; and in the status line.
    assert!(app.app().modal_open(), "the password prompt is back");
    assert!(
        app.app()
            .notice()
            .is_some_and(|notice| notice.starts_with("Not opened:") && notice.contains("wrong password")),
        "{:?}",
        app.app().notice()
    );
    app.click("Cancel");
    app.click("Enter the password again");
    app.wait_for("Password of the PKCS#12 file");
    app.harness
        .get_by_label("Password of the PKCS#12 file")
        .type_text(P12_PASSWORD);
    app.harness.step();
    app.click("Open");
    app.until("the identity", |h| !h.state().is_busy());
    app.wait_for("PKCS #11 Client");
}

#[test]
fn applying_is_refused_while_the_configuration_has_unsaved_changes() {
    let (_config_dir, config, lab) = setup();
    let mut app = TestApp::start(Some(config.clone()));
    let before = fs::read(&config).unwrap();
    app.replace_text("KMES address", "10.9.9.9");
    app.ctrl(Key::Num2);
    // The CA dropped on the window.
    app.harness
        .input_mut()
        .dropped_files
        .push(std::sync::Arc::new(DroppedPath(lab.files.ca_cert.clone())));
    app.harness.step();
    app.until("the CA", |h| !h.state().is_busy());
    app.wait_for("System TLS CA Root");
    app.wait_for("Open the root CA and the PKCS#12 file first");
    app.dialogs.answer(Some(lab.files.client_p12.clone()));
    app.click("Browse… (PKCS#12 client identity file)");
    app.wait_for("Password of the PKCS#12 file");
    app.harness
        .get_by_label("Password of the PKCS#12 file")
        .type_text(P12_PASSWORD);
    app.harness.step();
    app.click("Open");
    app.until("the identity", |h| !h.state().is_busy());
    app.wait_for("Save or reload the configuration first");
    app.click("Apply to configuration");
    app.harness.step();
    assert_eq!(fs::read(&config).unwrap(), before, "nothing was written");
}
