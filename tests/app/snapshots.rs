//! Snapshot images of the screens, rendered with wgpu on the software renderer (lavapipe,
//! from mesa-vulkan-drivers), compared with tests/snapshots/*.png. Fixed window size,
//! fixed theme, fixed file contents; the few spots that hold a temporary path are masked.
//! Regenerate with `UPDATE_SNAPSHOTS=1 cargo test --test app snapshots`.

use std::fs;
use std::path::{Path, PathBuf};

use egui::Key;
use egui_kittest::kittest::Queryable;
use fxconfig::app::prefs::{Prefs, ThemeChoice};

use crate::app::harness::TestApp;
use crate::support::lab::write_private;

/// A folder under /tmp, so the masked paths have the same length on every machine.
fn fixed_length_dir() -> tempfile::TempDir {
    tempfile::Builder::new().prefix("fxsnap").tempdir_in("/tmp").unwrap()
}

/// A guide-style configuration (an out-of-range port, certificate files named relative to
/// its folder), written from `tests/fixtures/app/snapshot.cfg`, readable by its owner only.
fn write_config(dir: &Path) -> PathBuf {
    fs::write(dir.join("root_cert.pem"), b"").unwrap();
    fs::write(dir.join("export_pkcs12.p12"), b"").unwrap();
    let path = dir.join("fxpkcs11.cfg");
    write_private(&path, include_bytes!("../fixtures/app/snapshot.cfg"));
    path
}

/// Paints over every widget whose text holds `text`. Proportional text changes width
/// with the random folder name, so below the top bar (whose path is monospace) the mask
/// runs to a fixed right edge.
fn mask_all(app: &mut TestApp, text: &str) {
    let rects: Vec<egui::Rect> = app
        .harness
        .query_all_by_label_contains(text)
        .map(|node| node.rect())
        .collect();
    assert!(!rects.is_empty(), "nothing to mask for {text}");
    for rect in rects {
        let rect = if rect.min.y > 30.0 {
            egui::Rect::from_min_max(rect.min, egui::pos2(rect.max.x.max(900.0), rect.max.y))
        } else {
            rect
        };
        app.harness.mask(rect);
    }
}

fn snapshot_app(config: Option<PathBuf>, theme: ThemeChoice) -> TestApp {
    TestApp::build(config, true, move |options| {
        options
            .prefs
            .save(&Prefs {
                theme,
                ..Prefs::default()
            })
            .unwrap();
        options
    })
}

#[test]
fn configuration_screen() {
    let dir = fixed_length_dir();
    let config = write_config(dir.path());
    let mut app = snapshot_app(Some(config), ThemeChoice::Light);
    app.wait_for("Host API port");
    app.harness.remove_cursor();
    app.harness.step();
    let folder = dir.path().display().to_string();
    mask_all(&mut app, &folder);
    app.harness.snapshot("configuration");
}

#[test]
fn configuration_raw_text_and_save_preview() {
    let dir = fixed_length_dir();
    let config = write_config(dir.path());
    let mut app = snapshot_app(Some(config), ThemeChoice::Light);
    app.replace_text("Host API port", "2001");
    app.click("Raw text");
    app.ctrl(Key::S);
    app.wait_for("Review the changes");
    app.harness.remove_cursor();
    app.harness.step();
    let folder = dir.path().display().to_string();
    mask_all(&mut app, &folder);
    app.harness.snapshot("save_preview");
}

#[test]
fn connection_test_screen_before_a_run() {
    let dir = fixed_length_dir();
    let config = write_config(dir.path());
    let mut app = snapshot_app(Some(config), ThemeChoice::Light);
    app.ctrl(Key::Num3);
    app.wait_for("Not run — Excrypt ECHO answered");
    app.harness.remove_cursor();
    app.harness.step();
    let folder = dir.path().display().to_string();
    mask_all(&mut app, &folder);
    app.harness.snapshot("connection_test");
}

#[test]
fn ssh_key_screen_with_a_kmes_export() {
    let dir = fixed_length_dir();
    let export = dir.path().join("SSH_Client_Public.pub");
    fs::write(&export, include_bytes!("../fixtures/app/SSH_Client_Public.pub")).unwrap();
    let mut app = snapshot_app(None, ThemeChoice::Light);
    app.ctrl(Key::Num4);
    app.dialogs.answer(Some(export));
    app.click("Open public key…");
    app.until("the key", |h| !h.state().is_busy());
    app.wait_for("authorized_keys line");
    app.harness.remove_cursor();
    app.harness.step();
    let folder = dir.path().display().to_string();
    mask_all(&mut app, &folder);
    app.harness.snapshot("ssh_key");
}

#[test]
fn troubleshooting_and_certificates_in_the_dark_theme() {
    let dir = fixed_length_dir();
    let config = write_config(dir.path());
    let mut app = snapshot_app(Some(config), ThemeChoice::Dark);
    app.ctrl(Key::Num5);
    app.wait_for("Check the module");
    app.harness.remove_cursor();
    app.harness.step();
    let folder = dir.path().display().to_string();
    mask_all(&mut app, &folder);
    app.harness.snapshot("troubleshooting_dark");

    app.ctrl(Key::Num2);
    app.wait_for("No CA file opened");
    app.harness.remove_cursor();
    app.harness.step();
    mask_all(&mut app, &folder);
    app.harness.snapshot("certificates_dark");
}
