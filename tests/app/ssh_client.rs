//! The SSH client screen, driven through the real app with the real `ssh -G`: a preview
//! shows the diff and the proof and writes nothing, "Add to …" writes the block, a change of
//! the fields marks the result out of date, and a line that wins over the block is named.

use std::process::Command;

use egui::Key;

use crate::app::harness::TestApp;
use crate::support::softhsm::SOFTHSM;
use crate::support::tools::run_ok;

const USER_CONFIG: &str = "# mine\nHost *\n    IdentitiesOnly no\n";

fn exported_key(dir: &std::path::Path) -> std::path::PathBuf {
    let key = dir.join("kmes");
    run_ok(
        Command::new("ssh-keygen")
            .args(["-q", "-t", "ed25519", "-N", "", "-f"])
            .arg(&key),
    );
    key.with_extension("pub")
}

fn fill(app: &mut TestApp, alias: &str, identity: &std::path::Path, file: &std::path::Path) {
    app.ctrl(Key::Num7);
    app.wait_for("SSH client");
    app.replace_text("Host alias", alias);
    app.replace_text("Server (HostName, optional)", "127.0.0.1");
    app.replace_text("PKCS#11 module (PKCS11Provider)", SOFTHSM);
    app.replace_text(
        "Exported public key (IdentityFile, optional)",
        &identity.display().to_string(),
    );
    app.replace_text("OpenSSH configuration file", &file.display().to_string());
}

#[test]
fn a_preview_writes_nothing_then_add_writes_the_proven_block() {
    let dir = tempfile::tempdir().unwrap();
    let identity = exported_key(dir.path());
    let file = dir.path().join("config");
    std::fs::write(&file, USER_CONFIG).unwrap();
    let mut app = TestApp::start(None);
    fill(&mut app, "kmes", &identity, &file);

    app.click("Preview");
    app.settle();
    app.wait_for(&format!("Preview: nothing written yet to {}.", file.display()));
    assert!(app.shows("PASS  proven with ssh -G"), "the proof is shown");
    assert!(app.shows("+Host kmes"), "the diff is shown");
    assert!(app.shows(&format!("pkcs11provider {SOFTHSM}")));
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        USER_CONFIG,
        "a preview writes nothing"
    );

    app.click(&format!("Add to {}", file.display()));
    app.settle();
    app.wait_for(&format!("Saved {}", file.display()));
    let written = std::fs::read_to_string(&file).unwrap();
    // In front of `Host *` and the comment above it, every other byte kept.
    assert!(written.starts_with("Host kmes\n    HostName 127.0.0.1\n"), "{written}");
    assert!(written.ends_with(&format!("\n\n{USER_CONFIG}")), "{written}");
    assert!(!app.shows("Out of date"));

    // Another alias typed: the result on screen is about the old fields.
    app.replace_text("Host alias", "other");
    app.wait_for("Out of date: since this run, the fields changed.");
    // The daily commands follow the fields.
    assert!(app.shows(&format!("ssh -F {} other", file.display())) || app.shows("ssh other"));
    assert!(app.shows(&format!("ssh-add -s {SOFTHSM}")));
}

#[test]
fn a_global_line_that_wins_is_named_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let identity = exported_key(dir.path());
    let file = dir.path().join("config");
    let text = "IdentitiesOnly no\n";
    std::fs::write(&file, text).unwrap();
    let mut app = TestApp::start(None);
    fill(&mut app, "kmes", &identity, &file);
    app.click(&format!("Add to {}", file.display()));
    app.settle();
    app.wait_for(&format!("{}:1: `IdentitiesOnly no`", file.display()));
    assert!(app.shows("Move line 1"), "the remedy is shown");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), text);
}
