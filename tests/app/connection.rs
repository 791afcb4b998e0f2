//! The Connection test screen, driven through the real app against the KMES simulator:
//! every check's result found by its label, a fault's failing check with its remedy,
//! Cancel, the Markdown report (no password in it), and the demo's fault switch.

use std::sync::Arc;

use egui::Key;
use egui_kittest::kittest::{NodeT, Queryable};
use fxconfig::demo::{DEMO_OPERATOR_PASSWORD, DEMO_P12_PASSWORD, Demo};
use fxconfig::doctor::{CheckId, Status};
use fxconfig::sim::Fault;

use crate::app::harness::TestApp;
use crate::support::lab::{Lab, OPERATOR_PASSWORD, P12_PASSWORD};

fn status_of(app: &TestApp, id: CheckId) -> Status {
    app.app()
        .check_results()
        .iter()
        .find(|r| r.id == id)
        .map(|r| r.status)
        .unwrap_or_else(|| panic!("{id} has no result"))
}

#[test]
fn a_healthy_simulator_passes_and_every_check_is_shown() {
    let lab = Lab::new();
    let sim = lab.start_sim(None);
    lab.write_cfg("127.0.0.1", sim.local_addr().port());
    let mut app = TestApp::start(Some(lab.cfg.clone()));
    app.run_connection_test();
    for id in CheckId::ALL {
        let line = app.check_line(id.as_str());
        let expected = if id == CheckId::ConfigLocate { "WARN" } else { "PASS" };
        assert!(line.starts_with(expected), "{id}: {line}");
        assert!(line.contains(id.title()), "{line}");
    }
    app.wait_for("The connection works");

    let report = app.app().report_markdown().expect("a report").to_owned();
    for id in CheckId::ALL {
        assert!(
            report.contains(&format!("| `{}` |", id.as_str())),
            "{id} missing from the report"
        );
    }
    assert!(report.contains("| `hostapi.echo` | PASS |"));
    assert!(report.contains(&lab.cfg.display().to_string()));
    assert!(report.contains("<CRYPTO-OPR-PASS> ******** </CRYPTO-OPR-PASS>"));
    assert!(report.contains("<ADDRESS> 127.0.0.1 </ADDRESS>"));
    assert!(!report.contains(OPERATOR_PASSWORD), "no password in the report");
    assert!(!report.contains(P12_PASSWORD), "no password in the report");
    assert!(report.contains(env!("CARGO_PKG_VERSION")));

    let saved = app.prefs_dir.path().join("report.md");
    app.dialogs.answer(Some(saved.clone()));
    app.click("Save report…");
    app.until("the report file", |h| !h.state().is_busy());
    assert_eq!(std::fs::read_to_string(&saved).unwrap(), report);
    app.click("Copy report");
    assert_eq!(app.app().notice(), Some("Copied to the clipboard."));
}

#[test]
fn a_wrong_server_ca_fails_with_its_remedy() {
    let lab = Lab::new();
    let sim = lab.start_sim(Some(Fault::WrongCa));
    lab.write_cfg("127.0.0.1", sim.local_addr().port());
    let mut app = TestApp::start(Some(lab.cfg.clone()));
    app.run_connection_test();
    assert_eq!(status_of(&app, CheckId::TlsServerCert), Status::Fail);
    // Passing rows are folded under their count; the failure is not.
    assert!(app.shows("checks passed"));
    assert!(!app.shows("PASS — TLS handshake"), "passing rows are folded");
    assert!(app.shows("FAIL — KMES server certificate"));
    let line = app.check_line("tls.server_cert");
    assert!(line.starts_with("FAIL — KMES server certificate"), "{line}");
    let remedy = app
        .app()
        .check_results()
        .iter()
        .find(|r| r.id == CheckId::TlsServerCert)
        .unwrap()
        .remedy
        .clone();
    assert!(!remedy.is_empty());
    assert!(
        app.shows(&format!("What to do: {remedy}")),
        "the remedy is shown under the check"
    );
    assert!(app.shows("The connection does not work"));
}

#[test]
fn cancel_stops_a_test_waiting_on_a_silent_server() {
    let lab = Lab::new();
    let sim = lab.start_sim(Some(Fault::Silent));
    lab.write_cfg("127.0.0.1", sim.local_addr().port());
    let mut app = TestApp::start(Some(lab.cfg.clone()));
    app.ctrl(Key::Num3);
    app.click("Run test");
    app.until("the handshake to start", |h| {
        h.state().check_results().iter().any(|r| r.id == CheckId::NetConnect)
    });
    app.wait_for("of 15: TLS handshake");
    assert!(app.shows("s of 3 s"), "the deadline of the step that waits is shown");
    assert!(
        app.shows("Testing the connection…") && !app.shows("Ready"),
        "the status line says what runs"
    );
    let started = std::time::Instant::now();
    app.click("Cancel");
    assert!(!app.app().doctor_running(), "the run stops at once");
    assert!(started.elapsed() < std::time::Duration::from_secs(1));
    app.wait_for("The run was cancelled while TLS handshake (tls.handshake) had been running for");
    app.unfold_results();
    assert!(app.shows("Not run — TLS handshake"));
    assert!(app.app().check_results().iter().all(|r| r.id != CheckId::TlsHandshake));
    // Late results of the cancelled run are ignored.
    std::thread::sleep(std::time::Duration::from_millis(3500));
    app.harness.step();
    assert!(app.app().check_results().iter().all(|r| r.id != CheckId::TlsHandshake));
}

#[test]
fn the_demo_switches_the_simulator_fault_from_the_app() {
    let demo = Arc::new(Demo::start(None).expect("demo"));
    let sim_demo = Arc::clone(&demo);
    let mut app = TestApp::build(None, false, move |mut options| {
        options.demo = Some(sim_demo);
        options
    });
    assert_eq!(app.app().open_path(), Some(demo.config_path()));
    app.harness.get_by_label("Simulator fault").click();
    app.harness.step();
    for fault in Fault::ALL {
        app.wait_for(fault.name());
    }
    app.click("permission-denied");
    app.until("the fault", |h| {
        h.state().notice().is_some_and(|n| n.contains("permission-denied"))
    });
    assert_eq!(demo.fault(), Some(Fault::PermissionDenied));
    app.run_connection_test();
    assert_eq!(status_of(&app, CheckId::TlsClientAuth), Status::Pass);
    assert_eq!(status_of(&app, CheckId::HostapiEcho), Status::Fail);
    let echo = app
        .app()
        .check_results()
        .iter()
        .find(|r| r.id == CheckId::HostapiEcho)
        .cloned()
        .unwrap();
    assert!(echo.remedy.contains("[3.2.3]"), "{}", echo.remedy);
    assert!(
        app.shows(&format!("What to do: {}", echo.remedy)),
        "the permission remedy is shown under the check"
    );
    assert!(app.shows("Answer: [AOECHO;ANP;]"), "the answer is shown as received");
    let report = app.app().report_markdown().unwrap();
    assert!(
        report.contains("Answer received:\n\n```text\n[AOECHO;ANP;]\n```"),
        "{report}"
    );
    assert!(!report.contains(DEMO_P12_PASSWORD) && !report.contains(DEMO_OPERATOR_PASSWORD));
}

#[test]
fn the_wizard_checks_one_step_and_links_to_the_screen_that_fixes_it() {
    let lab = Lab::new();
    let sim = lab.start_sim(Some(Fault::RejectClient));
    lab.write_cfg("127.0.0.1", sim.local_addr().port());
    let mut app = TestApp::start(Some(lab.cfg.clone()));
    app.ctrl(Key::Num5);
    app.wait_for("Check the module");
    assert!(
        app.shows("Go to PKCS#11 module"),
        "the module step links to the PKCS#11 module screen"
    );
    app.click("Next");
    app.click("Check this step");
    app.until("the step", |h| !h.state().doctor_running());
    assert!(
        app.app().check_results().iter().all(|r| r.id != CheckId::TlsCa),
        "the run stopped after the step"
    );
    app.wait_for("This step works, with a warning");
    assert!(
        app.shows("Warning: Configuration file found"),
        "the banner names the warning"
    );
    app.click("Next");
    app.click("Check this step");
    app.until("the step", |h| !h.state().doctor_running());
    app.wait_for("This step is fine");
    app.click("Next");
    app.harness.key_press(Key::Enter);
    app.harness.step();
    app.until("the step", |h| !h.state().doctor_running());
    assert_eq!(status_of(&app, CheckId::TlsClientAuth), Status::Fail);
    app.wait_for("This step fails");
    assert!(
        app.shows("First failure: Client certificate accepted"),
        "the banner names the failure"
    );
    app.click("Go to Connection test");
    assert_eq!(app.app().screen(), fxconfig::app::screens::Screen::ConnectionTest);
}

#[test]
fn every_screen_is_reached_from_the_keyboard_and_names_its_inputs() {
    let demo = Arc::new(Demo::start(None).expect("demo"));
    let mut app = TestApp::build(None, false, move |mut options| {
        options.demo = Some(demo);
        options
    });
    let screens = [
        (Key::Num1, fxconfig::app::screens::Screen::Configuration),
        (Key::Num2, fxconfig::app::screens::Screen::Certificates),
        (Key::Num3, fxconfig::app::screens::Screen::ConnectionTest),
        (Key::Num4, fxconfig::app::screens::Screen::SshKey),
        (Key::Num5, fxconfig::app::screens::Screen::Troubleshooting),
        (Key::Num6, fxconfig::app::screens::Screen::Pkcs11Module),
        (Key::Num7, fxconfig::app::screens::Screen::SshClient),
    ];
    for (key, screen) in screens {
        app.ctrl(key);
        app.settle();
        assert_eq!(app.app().screen(), screen);
        // Every input has a name a screen reader can read (and a test can find).
        app.harness.check_accessibility();
    }
    app.ctrl(Key::Num1);
    app.harness.key_press(Key::Tab);
    app.harness.step();
    assert!(
        app.harness.ctx.memory(|memory| memory.focused()).is_some(),
        "Tab moves the keyboard focus into the window"
    );
}

#[test]
fn a_new_result_scrolls_to_its_verdict_and_show_the_check_to_the_failure() {
    let demo = Arc::new(Demo::start(None).expect("demo"));
    let for_app = Arc::clone(&demo);
    let small = [760.0, 520.0];
    let mut app = TestApp::build_sized(None, small, false, move |mut options| {
        options.demo = Some(for_app);
        options
    });
    // A healthy run, its passing rows unfolded: the screen is taller than the window, and
    // the view is at its bottom when the next run starts.
    app.run_connection_test();
    app.unfold_results();
    app.harness.ctx.memory_mut(|memory| {
        if let Some(id) = memory.focused() {
            memory.surrender_focus(id);
        }
    });
    app.press(Key::End);
    assert!(
        app.harness.get_by_label("Run test").rect().bottom() < 34.0,
        "the screen is scrolled down before the run"
    );
    demo.set_fault(Some(Fault::WrongCa)).expect("the fault switched");
    app.press(Key::Enter);
    app.until("the test to finish", |h| !h.state().doctor_running());
    app.harness.step();
    let banner = app
        .harness
        .query_all_by_label_contains("The connection does not work")
        .find(|node| node.accesskit_node().value().is_some())
        .expect("a verdict banner")
        .accesskit_node()
        .value()
        .unwrap_or_default();
    assert!(
        banner.contains("1 check failed"),
        "counts with the right plural: {banner}"
    );
    assert!(app.shows("First failure: KMES server certificate (tls.server_cert)"));
    assert!(app.shows("[3.1.4]"), "the remedy's guide section");
    let verdict = app
        .harness
        .query_all_by_label_contains("The connection does not work")
        .map(|node| node.rect())
        .next()
        .expect("the verdict");
    assert!(
        verdict.top() >= 34.0 && verdict.top() <= small[1] / 2.0,
        "the new verdict is scrolled to the top of the view: {verdict:?}"
    );
    app.click("Show the check");
    let row = app
        .harness
        .query_all_by_label_contains("FAIL — KMES server certificate (tls.server_cert, ")
        .map(|node| node.rect())
        .next()
        .expect("the failing row");
    assert!(
        row.top() >= 34.0 && row.bottom() <= small[1] - 24.0,
        "the first failure is scrolled into view: {row:?}"
    );
    assert!(app.shows("checks passed"));
}

#[test]
fn in_the_demo_the_configuration_location_says_what_the_cli_and_the_report_say() {
    let demo = Arc::new(Demo::start(None).expect("demo"));
    let config = demo.config_path().to_path_buf();
    let mut app = TestApp::build(None, false, move |mut options| {
        options.demo = Some(demo);
        options
    });
    app.run_connection_test();
    // The library would not read the demo's file: a warning, in the app as in the CLI.
    app.wait_for("The connection works, with a warning");
    let line = app.check_line("config.locate");
    assert!(line.starts_with("WARN — Configuration file found"), "{line}");
    let report = app.app().report_markdown().expect("a report");
    assert!(report.contains("| `config.locate` | WARN |"), "{report}");
    let cli = assert_cmd::Command::cargo_bin("fxconfig")
        .unwrap()
        .args(["check", "--json", "--config"])
        .arg(&config)
        .env_remove("FXPKCS11_CFG")
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&cli.stdout).expect("JSON");
    let locate = json["checks"]
        .as_array()
        .and_then(|checks| checks.iter().find(|check| check["id"] == "config.locate"))
        .expect("config.locate in the CLI's JSON");
    assert_eq!(locate["status"], "warn", "{locate}");
}
