//! Captures in the app: "Save capture…" writes the capture of the run shown, whose report
//! then names it with its SHA-256; and the demo opened on a replay of that capture shows
//! the captured KMES's verdicts again.

use std::sync::Arc;

use fxconfig::capture::{Capture, REPLAYED_CHECKS};
use fxconfig::demo::Demo;
use fxconfig::doctor::CheckResult;
use fxconfig::sim::Fault;

use crate::app::harness::TestApp;

fn verdicts(results: &[CheckResult]) -> Vec<(String, &'static str)> {
    results
        .iter()
        .filter(|result| REPLAYED_CHECKS.contains(&result.id.as_str()))
        .map(|result| (result.id.as_str().to_owned(), result.status.as_str()))
        .collect()
}

#[test]
fn a_saved_capture_is_named_by_the_report_and_replays_with_the_same_verdicts() {
    let demo = Arc::new(Demo::start(Some(Fault::WrongCa)).expect("demo"));
    let for_app = Arc::clone(&demo);
    let mut app = TestApp::build(None, false, move |mut options| {
        options.demo = Some(for_app);
        options
    });
    app.run_connection_test();
    let captured = verdicts(app.app().check_results());
    assert!(
        captured.contains(&("tls.server_cert".to_owned(), "fail")),
        "{captured:?}"
    );
    let before = app.app().report_markdown().expect("a report");
    assert!(before.contains("not saved yet"), "{before}");

    let kept = tempfile::tempdir().expect("a folder that outlives the app");
    let path = kept.path().join("wrong-ca.json");
    app.dialogs.answer(Some(path.clone()));
    app.click("Save capture…");
    app.until("the capture file", |h| !h.state().is_busy());
    app.wait_for("Capture saved to");
    let written = std::fs::read(&path).expect("the capture was written");
    let capture = Capture::parse(&written, &path).expect("a capture");
    assert_eq!(
        capture.verdict("tls.server_cert").map(|v| v.status).as_deref(),
        Some("fail")
    );
    let sha256 = fxconfig::doctor::record::sha256_hex(&written);
    let report = app.app().report_markdown().expect("a report");
    assert!(
        report.contains(&path.display().to_string()) && report.contains(&sha256),
        "the report names the capture and its SHA-256: {report}"
    );
    drop(app);
    drop(demo);

    let replay = Arc::new(Demo::replay(&path).expect("the capture replays"));
    assert_eq!(replay.fault(), None);
    let for_app = Arc::clone(&replay);
    let mut app = TestApp::build(None, false, move |mut options| {
        options.demo = Some(for_app);
        options
    });
    app.wait_for("Replay of wrong-ca.json");
    app.run_connection_test();
    assert!(app.shows("observed on this machine, not replayed"));
    assert_eq!(verdicts(app.app().check_results()), captured);
}
