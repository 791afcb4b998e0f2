//! The SSH key screen, driven through the real app: the line shown for an openssl-made
//! KMES-style export is the one `ssh-keygen -i -m PKCS8` prints, the options prefix, and
//! a public key dropped on the window.

use std::path::Path;
use std::sync::Arc;

use egui::Key;
use egui_kittest::kittest::Queryable;
use fxconfig::app::screens::Screen;

use crate::app::harness::{DroppedPath, TestApp};
use crate::support::tools::{openssl, run};

/// An RSA key exported the way the KMES does ([3.2.9]), and the guide's conversion of [4.1].
fn kmes_export(dir: &Path) -> (std::path::PathBuf, String) {
    openssl(dir, &["genrsa", "-out", "client.key", "2048"]);
    openssl(
        dir,
        &[
            "rsa",
            "-in",
            "client.key",
            "-RSAPublicKey_out",
            "-outform",
            "DER",
            "-out",
            "SSH_Client_Public.pub",
        ],
    );
    openssl(
        dir,
        &[
            "rsa",
            "-RSAPublicKey_in",
            "-inform",
            "DER",
            "-outform",
            "PEM",
            "-in",
            "SSH_Client_Public.pub",
            "-out",
            "SSH_Client_Public.pem",
        ],
    );
    let line = run(dir, "ssh-keygen", &["-f", "SSH_Client_Public.pem", "-i", "-m", "PKCS8"]);
    (dir.join("SSH_Client_Public.pub"), line.trim().to_owned())
}

#[test]
fn the_line_shown_is_the_one_ssh_keygen_prints() {
    let dir = tempfile::tempdir().unwrap();
    let (export, expected) = kmes_export(dir.path());
    let mut app = TestApp::start(None);
    app.ctrl(Key::Num4);
    app.dialogs.answer(Some(export));
    app.click("Browse… (Public key file)");
    app.until("the key", |h| !h.state().is_busy());
    app.wait_for("authorized_keys line");
    assert!(
        app.harness.query_by_label(&expected).is_some(),
        "the screen shows exactly ssh-keygen's line {expected}"
    );
    std::fs::write(dir.path().join("line.pub"), format!("{expected}\n")).unwrap();
    let fingerprint = run(dir.path(), "ssh-keygen", &["-lf", "line.pub"]);
    let sha = fingerprint.split_whitespace().nth(1).unwrap();
    assert!(app.shows(sha), "the fingerprint {sha} is shown");

    app.replace_text("Options prefix (optional)", "restrict");
    assert!(app.harness.query_by_label(&format!("restrict {expected}")).is_some());

    let fragment = dir.path().join("fragment.pub");
    app.dialogs.answer(Some(fragment.clone()));
    app.click("Save as authorized_keys fragment…");
    app.until("the fragment", |h| !h.state().is_busy());
    assert_eq!(
        std::fs::read_to_string(&fragment).unwrap(),
        format!("restrict {expected}\n")
    );
}

#[test]
fn a_dropped_public_key_opens_on_the_ssh_key_screen_with_the_commands() {
    let dir = tempfile::tempdir().unwrap();
    let (export, expected) = kmes_export(dir.path());
    let mut app = TestApp::start(None);
    app.harness
        .input_mut()
        .dropped_files
        .push(Arc::new(DroppedPath(export)));
    app.harness.step();
    app.until("the key", |h| {
        h.state().screen() == Screen::SshKey && !h.state().is_busy()
    });
    app.wait_for("authorized_keys line");
    assert!(app.shows(&format!("echo '{expected}' >> ~/.ssh/authorized_keys")));
    assert!(app.shows("PubkeyAuthentication yes"));
    app.replace_text("SSH user@host", "admin@ssh-server");
    app.replace_text("PKCS#11 module path", "/opt/fx/libfxpkcs11.so");
    app.wait_for("ssh -I /opt/fx/libfxpkcs11.so admin@ssh-server");
    assert_eq!(app.app().prefs().ssh_destination.as_deref(), Some("admin@ssh-server"));
}

/// The `ssh -I` command shown uses the configuration that is open: when the library would
/// read another file, the command sets `FXPKCS11_CFG` to this one; without a target, a
/// placeholder in capitals stands where the account and server go, and says so.
#[test]
fn the_ssh_command_names_the_open_configuration_and_no_invented_target() {
    let lab = crate::support::lab::Lab::new();
    let cfg = lab.write_cfg("127.0.0.1", 2001).to_owned();
    let mut app = TestApp::start(Some(cfg.clone()));
    app.ctrl(Key::Num4);
    assert_eq!(app.app().screen(), Screen::SshKey);
    app.replace_text("PKCS#11 module path", "/opt/fx/libfxpkcs11.so");
    app.wait_for("ssh -I /opt/fx/libfxpkcs11.so USER@SSH-SERVER");
    assert!(app.shows("Replace USER@SSH-SERVER with the account and server to log in to."));
    assert!(
        !app.shows("root@ssh-server"),
        "the hint's example is never shown as a value"
    );
    app.replace_text("SSH user@host", "admin@ssh-server");
    app.wait_for(&format!(
        "FXPKCS11_CFG={} ssh -I /opt/fx/libfxpkcs11.so admin@ssh-server",
        cfg.display()
    ));
}

#[test]
fn pasted_pem_text_is_taken_as_the_key_not_as_a_file_name() {
    let dir = tempfile::tempdir().unwrap();
    let (_, expected) = kmes_export(dir.path());
    let pem = std::fs::read_to_string(dir.path().join("SSH_Client_Public.pem")).unwrap();
    let mut app = TestApp::start(None);
    app.ctrl(Key::Num4);
    // Typed into the one-line field, the PEM block loses its line breaks, as a paste does.
    app.replace_text("Public key file", &pem.replace('\n', ""));
    app.click("Open (Public key file)");
    app.until("the key", |h| !h.state().is_busy());
    app.wait_for("authorized_keys line");
    assert!(
        app.harness.query_by_label(&expected).is_some(),
        "the pasted key renders as ssh-keygen does: {expected}"
    );
    assert!(!app.shows("No such file"));
    // A comment renders the pasted key again, not a file of that name.
    app.replace_text("Comment (optional)", "admin@client");
    app.press(Key::Tab);
    app.until("the key", |h| !h.state().is_busy());
    assert!(
        app.harness
            .query_by_label(&format!("{expected} admin@client"))
            .is_some(),
        "the comment is applied to the pasted key"
    );
}
