//! One troubleshooting session tells one truth: every screen and report shows one doctor
//! run, says which, and is marked out of date when its inputs change. Driven through the
//! real app against the KMES simulator (the demo's, or the lab's).

use std::fs;
use std::sync::Arc;

use egui::Key;
use egui_kittest::kittest::{NodeT, Queryable};
use fxconfig::demo::Demo;
use fxconfig::doctor::CheckId;
use fxconfig::doctor::record::{RunEnd, RunScope};
use fxconfig::sim::Fault;

use crate::app::harness::TestApp;
use crate::support::lab::Lab;

fn demo_app() -> (Arc<Demo>, TestApp) {
    let demo = Arc::new(Demo::start(None).expect("demo"));
    let shared = Arc::clone(&demo);
    let app = TestApp::build(None, false, move |mut options| {
        options.demo = Some(shared);
        options
    });
    (demo, app)
}

fn run_full_test(app: &mut TestApp) {
    app.ctrl(Key::Num3);
    app.click("Run test");
    app.until("the test", |h| !h.state().doctor_running());
}

#[test]
fn a_step_run_after_a_fault_switch_is_what_the_screens_and_the_report_describe() {
    let (demo, mut app) = demo_app();
    run_full_test(&mut app);
    app.wait_for("The connection works");
    assert!(app.app().check_results().iter().any(|r| r.id == CheckId::HostapiEcho));

    // The fault changes: the healthy results are now out of date, and say why.
    app.harness.get_by_label("Simulator fault").click();
    app.harness.step();
    app.wait_for("wrong-ca");
    app.click("wrong-ca");
    app.until("the fault", |h| {
        h.state().notice().is_some_and(|n| n.contains("wrong-ca"))
    });
    assert_eq!(demo.fault(), Some(Fault::WrongCa));
    app.wait_for("Out of date: since this run, the simulator's fault is now wrong-ca");
    let stale = app.app().report_markdown().expect("the healthy run's report");
    assert!(stale.contains("**Out of date:**"), "{stale}");

    // Wizard step 4 (Connection) runs its checks only.
    app.ctrl(Key::Num5);
    for _ in 0..3 {
        app.alt(Key::ArrowRight);
    }
    app.wait_for("Step 4: Connection");
    app.click("Check this step");
    app.until("the step", |h| !h.state().doctor_running());
    app.wait_for("This step fails");
    let run = app.app().doctor_run().expect("a run");
    assert_eq!(run.id, 2);
    assert_eq!(
        run.scope,
        RunScope::UpTo {
            last: CheckId::TlsClientAuth
        }
    );
    assert_eq!(run.end, RunEnd::Finished);
    assert_eq!(run.inputs.fault.as_deref(), Some("wrong-ca"));
    assert!(
        run.result(CheckId::HostapiEcho).is_none(),
        "the echo of the earlier run does not mix in"
    );
    assert!(!app.shows("Out of date"), "the run shown is current");

    // The Connection screen shows the same run, not the healthy run's ECHO beside it.
    app.ctrl(Key::Num3);
    app.wait_for("Results of run 2");
    app.wait_for("The connection does not work");
    app.unfold_results();
    assert!(!app.shows("PASS — Excrypt ECHO"), "no result of run 1 on screen");
    assert!(app.shows("Not run — Excrypt ECHO"));

    // The report is of that run: FAILED, its scope, its fault.
    let report = app.app().report_markdown().expect("a report");
    assert!(report.contains("- Result: **FAILED**"), "{report}");
    assert!(!report.contains("**OK**"), "{report}");
    assert!(report.contains("- Run: #2, started "), "{report}");
    assert!(report.contains("the checks up to tls.client_auth"), "{report}");
    assert!(report.contains("demo simulator fault wrong-ca"), "{report}");
    assert!(report.contains("| `tls.server_cert` | FAIL |"), "{report}");
    assert!(report.contains("| `hostapi.echo` | NOT IN THIS RUN |"), "{report}");
    assert!(!report.contains("Out of date"), "{report}");

    // The wizard's last step offers that same report, saying that it is one step's.
    app.ctrl(Key::Num5);
    for _ in 0..4 {
        app.alt(Key::ArrowRight);
    }
    app.wait_for("Step 8: Report");
    app.wait_for("That run was one step's");
    let saved = app.prefs_dir.path().join("report.md");
    app.dialogs.answer(Some(saved.clone()));
    app.click("Save report…");
    app.until("the report file", |h| !h.state().is_busy());
    assert_eq!(fs::read_to_string(&saved).unwrap(), report);
}

#[test]
fn saving_the_configuration_marks_the_results_out_of_date_until_the_next_run() {
    let lab = Lab::new();
    let sim = lab.start_sim(None);
    lab.write_cfg("127.0.0.1", sim.local_addr().port());
    let mut app = TestApp::start(Some(lab.cfg.clone()));
    run_full_test(&mut app);
    app.wait_for("The connection works");
    assert!(!app.shows("Out of date"));

    app.ctrl(Key::Num1);
    app.replace_text("Key group", "keygroup2");
    app.ctrl(Key::S);
    app.wait_for("Review the changes");
    app.click("Save changes");
    app.until("the save", |h| !h.state().is_modified() && !h.state().is_busy());

    app.ctrl(Key::Num3);
    app.wait_for("Out of date: since this run, the configuration file changed");
    let report = app.app().report_markdown().expect("a report");
    assert!(
        report.contains("- **Out of date:** since this run, the configuration file changed"),
        "{report}"
    );
    app.ctrl(Key::Num5);
    app.wait_for("(out of date)");

    run_full_test(&mut app);
    assert!(!app.shows("Out of date"), "a new run is current");
    assert!(!app.shows("(out of date)"));
    let report = app.app().report_markdown().expect("a report");
    assert!(report.contains("- Run: #2"), "{report}");
    assert!(report.contains("keygroup2"), "the report shows the file the run read");
}

#[test]
fn a_cancelled_run_keeps_its_report_naming_the_check_that_hung() {
    let lab = Lab::new();
    let sim = lab.start_sim(Some(Fault::Silent));
    lab.write_cfg("127.0.0.1", sim.local_addr().port());
    let mut app = TestApp::start(Some(lab.cfg.clone()));
    app.ctrl(Key::Num3);
    app.click("Run test");
    app.wait_for("of 15: TLS handshake");
    std::thread::sleep(std::time::Duration::from_millis(300));
    app.press(Key::Escape);
    assert!(!app.app().doctor_running());
    app.wait_for("The run was cancelled while TLS handshake (tls.handshake) had been running for");
    let report = app.app().report_markdown().expect("a cancelled run has a report");
    assert!(
        report.contains("- Result: **CANCELLED** while `tls.handshake` (TLS handshake) had been running for"),
        "{report}"
    );
    assert!(report.contains("| `net.connect` | PASS |"), "{report}");
    assert!(report.contains("| `tls.handshake` | NOT RUN |"), "{report}");
    // The wizard's Connection step had its TCP connection pass and its handshake cancelled:
    // it is undecided, not passed.
    app.ctrl(Key::Num5);
    app.wait_for("incomplete");
    app.ctrl(Key::Num3);
    let copy = app.harness.get_by_label("Copy report");
    assert!(!copy.accesskit_node().is_disabled(), "Copy report is offered");
    app.click("Copy report");
    assert_eq!(app.app().notice(), Some("Copied to the clipboard."));
}
