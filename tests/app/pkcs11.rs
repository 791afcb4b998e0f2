//! The PKCS#11 module screen, driven through the real app against a SoftHSM2 token made
//! by the test: the token and key labels, the authorized_keys line `ssh-keygen -D`
//! prints, the sign test with the PIN typed into its field, a missing module named, and
//! the wizard's module step.

use egui::Key;
use egui_kittest::kittest::{NodeT, Queryable};
use fxconfig::app::screens::Screen;

use crate::app::harness::TestApp;
use crate::support::softhsm::{Hsm, PIN, SOFTHSM, TOKEN};

fn app_for(hsm: &Hsm) -> TestApp {
    let helper = hsm.helper();
    let mut app = TestApp::build(None, false, move |mut options| {
        options.pkcs11_helper = Some(helper);
        options
    });
    app.ctrl(Key::Num6);
    assert_eq!(app.app().screen(), Screen::Pkcs11Module);
    app
}

fn load(app: &mut TestApp, module: &str) {
    app.replace_text("Module path", module);
    app.click("Load (Module path)");
    app.settle();
}

#[test]
fn softhsm_token_keys_lines_and_sign_test() {
    let hsm = Hsm::new();
    let mut app = app_for(&hsm);
    load(&mut app, SOFTHSM);

    assert!(app.shows("Module file: ELF"), "the file check is shown");
    assert!(app.shows("Loaded: SoftHSM"), "the library info is shown");
    assert!(app.shows(TOKEN), "the token label {TOKEN} is shown");
    assert!(app.shows("Selected token: fxtest"));
    assert!(app.shows("ssh-key"), "the RSA key's label is shown");
    assert!(app.shows("ec-key"), "the EC key's label is shown");

    let expected = hsm.ssh_keygen_lines();
    let first = expected.lines().next().expect("ssh-keygen -D prints a line");
    assert!(
        app.harness.query_by_label(first).is_some(),
        "the line shown is exactly ssh-keygen -D's first line: {first}"
    );
    for line in expected.lines() {
        assert!(app.shows(line), "every ssh-keygen -D line is shown: {line}");
    }
    assert!(app.shows("Copy line of ssh-key"));
    assert!(!app.shows("verified"), "no sign test without the PIN");

    // The mechanisms are folded under a header that counts them; opened, the signing
    // mechanisms the sign test relies on are listed with what they can do.
    let header = app
        .harness
        .query_all_by_label_contains("Mechanisms (")
        .next()
        .map(|node| node.accesskit_node().label().unwrap_or_default().to_owned())
        .expect("a Mechanisms header");
    let count: usize = header
        .trim_start_matches("Mechanisms (")
        .trim_end_matches(')')
        .parse()
        .expect("a count");
    assert!(count > 10, "SoftHSM2 lists dozens of mechanisms: {header}");
    assert!(!app.shows("CKM_SHA256_RSA_PKCS"), "folded at first");
    app.click(&header);
    app.settle();
    assert!(app.shows("CKM_SHA256_RSA_PKCS"), "the RSA signing mechanism is listed");
    assert!(app.shows("CKM_ECDSA"), "the EC signing mechanism is listed");

    app.replace_text("PIN (for Test sign)", PIN);
    app.click("Test sign");
    app.settle();
    assert!(app.shows("ssh-key (RSA"), "the RSA key's sign test is shown");
    assert!(app.shows("ec-key (EC"), "the EC key's sign test is shown");
    let verified = app.harness.query_all_by_label_contains("verified").count();
    assert_eq!(verified, 2, "both keys verified");
    assert!(!app.shows(": failed"));
    assert!(!app.shows(PIN), "the PIN is never shown");
    let field = app.harness.get_by_label("PIN (for Test sign)");
    assert_eq!(
        field.accesskit_node().value().unwrap_or_default(),
        "",
        "the PIN field is wiped once used"
    );
}

#[test]
fn wrong_pin_is_named_with_its_ckr() {
    let hsm = Hsm::new();
    let mut app = app_for(&hsm);
    app.replace_text("Module path", SOFTHSM);
    app.replace_text("PIN (for Test sign)", "not-the-pin");
    app.click("Test sign");
    app.settle();
    assert!(app.shows("CKR_PIN_INCORRECT"), "the CKR code is shown by name");
    assert!(app.shows("What to do:"), "with a remedy");
}

#[test]
fn missing_module_is_named() {
    let hsm = Hsm::new();
    let mut app = app_for(&hsm);
    let missing = hsm.path().join("libnothing.so");
    app.replace_text("Module path", &missing.display().to_string());
    // Enter, with nothing focused, loads the module.
    app.harness.key_press(Key::Escape);
    app.harness.step();
    assert!(app.harness.ctx.memory(|memory| memory.focused()).is_none());
    app.harness.key_press(Key::Enter);
    app.harness.step();
    app.settle();
    assert!(
        app.shows(&format!("the module {} does not exist", missing.display())),
        "the missing file is named"
    );
    assert!(!app.shows("Loaded:"));
}

#[test]
fn wizard_module_step_loads_the_module_of_the_screen() {
    let hsm = Hsm::new();
    let mut app = app_for(&hsm);
    app.replace_text("Module path", SOFTHSM);
    app.ctrl(Key::Num5);
    assert_eq!(app.app().screen(), Screen::Troubleshooting);
    assert!(app.shows(&format!("Module: {SOFTHSM}")));
    app.click("Check the module");
    app.settle();
    assert!(app.shows("The module loads and shows its token."));
    app.click("Go to PKCS#11 module");
    assert_eq!(app.app().screen(), Screen::Pkcs11Module);
}

/// A module that loads but holds no token fails the wizard's first step, and the step says
/// why right there, with the remedy, rather than showing only what passed.
#[test]
fn the_wizard_module_step_names_why_it_fails() {
    let hsm = Hsm::new();
    let tokens = hsm.path().join("tokens");
    std::fs::remove_dir_all(&tokens).unwrap();
    std::fs::create_dir(&tokens).unwrap();
    let mut app = app_for(&hsm);
    app.replace_text("Module path", SOFTHSM);
    app.ctrl(Key::Num5);
    app.click("Check the module");
    app.settle();
    assert!(app.shows("Loaded:"), "the load passed");
    assert!(!app.shows("The module loads and shows its token."));
    assert!(
        app.shows("no slot of the module holds a token"),
        "the reason is in the step itself"
    );
}

#[test]
fn ssh_test_explains_a_refused_connection_and_the_wizard_shows_it() {
    let hsm = Hsm::new();
    let mut app = app_for(&hsm);
    app.replace_text("Module path", SOFTHSM);
    app.ctrl(Key::Num5);
    app.click("Next");
    for _ in 0..5 {
        app.click("Next");
    }
    assert!(app.shows("Step 7: SSH test"));
    assert!(
        app.shows(&format!("ssh -I {SOFTHSM} USER@SSH-SERVER")),
        "without a target the manual command of [5] is shown, with a placeholder that is no value"
    );
    app.press(Key::Enter);
    assert_eq!(
        app.app().screen(),
        Screen::Troubleshooting,
        "Enter without a target leaves the step shown"
    );
    app.click("Go to PKCS#11 module");
    // A port that was just free: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port();
    app.replace_text("SSH target USER@HOST[:PORT]", &format!("tester@127.0.0.1:{port}"));
    app.click("SSH test");
    app.settle();
    assert!(app.shows("SSH test failed: ConnectionRefused"), "the verdict is shown");
    assert!(app.shows("What to do:"), "with a remedy");
    app.ctrl(Key::Num5);
    assert!(
        app.shows("Target: tester@127.0.0.1"),
        "the wizard uses the target set on the screen"
    );
    assert!(app.shows("SSH test failed: ConnectionRefused"));
    assert!(!app.shows("Out of date"), "the result is of the target shown");
    // Another target: the result on screen is of the old one, and says so.
    app.ctrl(Key::Num6);
    app.replace_text("SSH target USER@HOST[:PORT]", "tester@127.0.0.2");
    app.wait_for("Out of date: since this run, the SSH target is now tester@127.0.0.2");
    app.ctrl(Key::Num5);
    app.wait_for("FAIL (out of date)");
}

#[test]
fn a_failed_sign_test_keeps_the_key_list_and_another_path_clears_it() {
    let hsm = Hsm::new();
    let mut app = app_for(&hsm);
    load(&mut app, SOFTHSM);
    assert!(app.shows("ssh-key"), "the keys are listed");
    app.replace_text("PIN (for Test sign)", "not-the-pin");
    app.click("Test sign");
    app.settle();
    assert!(app.shows("CKR_PIN_INCORRECT"), "the failure is shown");
    assert!(app.shows("the keys below are from the last load"));
    assert!(app.shows("ssh-key"), "the key list of the last load stays");
    assert!(app.shows("Loaded: SoftHSM"));

    // Results about one module are not shown under another's path.
    app.replace_text("Module path", &hsm.path().join("other.so").display().to_string());
    assert!(
        !app.shows("Loaded: SoftHSM"),
        "the previous module's results are cleared"
    );
    assert!(!app.shows("ssh-key"));
    assert!(!app.shows("CKR_PIN_INCORRECT"));
}

#[test]
fn the_demo_module_step_is_not_applicable_and_can_use_softhsm() {
    let hsm = Hsm::new();
    let helper = hsm.helper();
    let demo = std::sync::Arc::new(fxconfig::demo::Demo::start(None).expect("demo"));
    let mut app = TestApp::build(None, false, move |mut options| {
        options.demo = Some(demo);
        options.pkcs11_helper = Some(helper);
        options
    });
    app.ctrl(Key::Num5);
    app.wait_for("No PKCS#11 module is configured in the demo");
    assert!(app.shows("not applicable"), "the step is marked not applicable");
    assert!(!app.shows("✖ FAIL"), "not failed");
    // The demo's healthy simulator passes the other steps' checks: nothing fails.
    app.alt(Key::ArrowRight);
    app.press(Key::Enter);
    app.until("step 2", |h| !h.state().doctor_running());
    // The demo's file is not the one the library reads: a warning, not a failure.
    app.wait_for("This step works, with a warning");
    app.alt(Key::ArrowLeft);
    app.click("Try it with SoftHSM2");
    app.settle();
    assert!(
        app.shows("The module loads and shows its token."),
        "SoftHSM2 stands in for the module"
    );
    assert!(!app.shows("not applicable"));
}
