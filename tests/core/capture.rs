//! Captures and their replays: a run against every simulator fault and every answer form
//! of the dialect is captured, the capture replayed in the simulator, and the run made
//! again against the replay; the network verdicts, raw answers and details (ports and
//! times aside) must be the same. Then the
//! corpus in `tests/captures/` is replayed the same way, and secrets are kept out.

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use fxconfig::capture::{Capture, CaptureOptions, REPLAYED_CHECKS};
use fxconfig::doctor::{self, DoctorOptions, Report};
use fxconfig::secret::Secret;
use fxconfig::sim::replay::ReplayLab;
use fxconfig::sim::{Fault, SimOptions};

use crate::support::lab::Lab;
use crate::support::net::SServer;

/// Each network step's time-out in these runs.
const TIMEOUT: Duration = Duration::from_secs(2);

fn run(cfg: &Path) -> Report {
    let options = DoctorOptions {
        config: Some(cfg.to_owned()),
        timeout: TIMEOUT,
        ..DoctorOptions::default()
    };
    doctor::run(&options, &AtomicBool::new(false), &mut |_| {})
}

/// The capture of `report`, as a file would give it back.
fn captured(report: &Report) -> Capture {
    let capture = Capture::of_report(report, "test", CaptureOptions::default()).expect("capture");
    let json = capture.to_json().expect("JSON");
    Capture::parse(json.as_bytes(), Path::new("capture.json")).expect("capture reads back")
}

fn now() -> i64 {
    let elapsed = SystemTime::now().duration_since(UNIX_EPOCH).expect("clock after 1970");
    i64::try_from(elapsed.as_secs()).expect("seconds")
}

/// Replays `capture` and runs the checks against the replay, with the client files it writes.
fn replayed(capture: &Capture) -> Report {
    let lab = ReplayLab::prepare(capture, now()).expect("replay prepared");
    let handle = lab
        .start("127.0.0.1:0".parse().expect("address"))
        .expect("replay starts");
    let dir = tempfile::tempdir().expect("temporary folder");
    let password = Secret::random_password().expect("random password");
    let cfg = lab
        .write_client(dir.path(), handle.local_addr(), &password)
        .expect("client files");
    run(&cfg)
}

/// `text` with every run of digits written `#`: a replay differs in ports and times only.
fn without_numbers(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if !c.is_ascii_digit() {
            out.push(c);
        } else if !out.ends_with('#') {
            out.push('#');
        }
    }
    out
}

/// Every difference, check by check, between the captured verdicts and the replay's.
fn differences(capture: &Capture, replay: &Report) -> Vec<String> {
    let replay = Capture::of_report(replay, "test", CaptureOptions::default()).expect("capture");
    REPLAYED_CHECKS
        .iter()
        .filter_map(|name| {
            let (Some(before), Some(after)) = (capture.verdict(name), replay.verdict(name)) else {
                return Some(format!("{name}: missing from the capture or the replay"));
            };
            let same_detail = without_numbers(&before.detail) == without_numbers(&after.detail);
            (before.status != after.status || before.raw != after.raw || !same_detail).then(|| {
                format!(
                    "{name}: captured {before} (raw {:?}), replayed {after} (raw {:?})",
                    before.raw, after.raw
                )
            })
        })
        .collect()
}

/// Captures a run against `cfg`, replays it, and lists where the replay's verdicts differ.
fn round_trip(cfg: &Path) -> (Capture, Vec<String>) {
    let capture = captured(&run(cfg));
    let replay = replayed(&capture);
    let found = differences(&capture, &replay);
    (capture, found)
}

#[test]
fn every_simulator_fault_replays_with_the_same_network_verdicts() {
    let lab = Lab::new();
    let mut wrong = Vec::new();
    for fault in std::iter::once(None).chain(Fault::ALL.map(Some)) {
        let sim = fxconfig::sim::start(SimOptions {
            slow_delay: Duration::from_millis(400),
            ..lab.sim_options(fault)
        })
        .expect("simulator starts");
        lab.write_cfg("127.0.0.1", sim.local_addr().port());
        let (capture, found) = round_trip(&lab.cfg);
        let name = fault.map_or("healthy", Fault::name);
        assert!(
            capture.to_json().expect("JSON").len() < 64 * 1024,
            "{name}: a capture of a full run stays under 64 KiB"
        );
        wrong.extend(found.into_iter().map(|line| format!("{name}: {line}")));
    }
    assert!(wrong.is_empty(), "replays that differ:\n{}", wrong.join("\n"));
}

/// The answer forms of the dialect, as `openssl s_server` sends them (the doctor tests
/// judge each; here each must replay the same).
const ANSWER_FORMS: [&[u8]; 8] = [
    b"[AOECHO;ANP;]",
    b"[AOECHO;ANN;]",
    b"[AOECHO;ANN;ERCommand not permitted for this identity;]",
    b"[AOECHO;;BC7.1.0.3;]",
    b"[AOERRO;BBCommande refus\xe9e;]",
    b"[AOECHO;ANY;BC7.1.0.3;SN1234;PNKMES Series 3;]",
    b"[AOECHO;ANY;EX1;OI0;SN1234;PNKMES Series 3;FW7.2.0.1;FH3.1;FM128;FS2;]",
    b"[AOERRO;BBCommand not enabled;]",
];

fn s_server(lab: &Lab) -> SServer {
    SServer::requiring_client_cert(lab, &lab.files.server_cert, &lab.files.server_key)
}

#[test]
fn every_answer_form_of_the_dialect_replays_with_the_same_verdict_and_raw_answer() {
    let lab = Lab::new();
    let mut wrong = Vec::new();
    for form in ANSWER_FORMS {
        let mut server = s_server(&lab);
        server.send(form);
        lab.write_cfg("127.0.0.1", server.addr.port());
        let (capture, found) = round_trip(&lab.cfg);
        let raw = fxconfig::display::escape_bytes(form);
        assert_eq!(
            capture.verdict("hostapi.echo").and_then(|v| v.raw).as_deref(),
            Some(raw.as_str()),
            "the capture keeps the answer"
        );
        wrong.extend(found.into_iter().map(|line| format!("{raw}: {line}")));
    }
    assert!(wrong.is_empty(), "replays that differ:\n{}", wrong.join("\n"));
}

/// The corpus: one capture per scenario, each replayed as a regression test.
fn corpus() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/captures");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("tests/captures")
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    files.sort();
    files
}

#[test]
fn every_capture_of_the_corpus_replays_with_its_verdicts() {
    let files = corpus();
    assert!(files.len() >= 20, "the corpus holds {} captures", files.len());
    let mut wrong = Vec::new();
    for path in &files {
        let capture = Capture::read(path).expect("a capture");
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        match ReplayLab::prepare(&capture, now()) {
            Ok(_) => {
                let replay = replayed(&capture);
                wrong.extend(
                    differences(&capture, &replay)
                        .into_iter()
                        .map(|line| format!("{name}: {line}")),
                );
            }
            Err(error) => wrong.push(format!("{name}: {error}")),
        }
    }
    assert!(wrong.is_empty(), "captures whose replay differs:\n{}", wrong.join("\n"));
}

/// A capture comes from the field: values that would make a replay hang or run away are
/// held or refused, by name.
#[test]
fn hostile_captures_are_held_to_limits_or_refused_by_name() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/captures/sim-slow.json");
    let mut capture = Capture::read(&path).expect("a capture");
    let exchange = capture.network.excrypt.as_mut().expect("an exchange");
    exchange.received[0].at_ms = u64::MAX;
    exchange.ended_at_ms = u64::MAX;
    let plan = fxconfig::sim::replay::ReplayPlan::of(&capture).expect("a plan");
    assert_eq!(plan.answer[0].at_ms, 3_600_000, "a delay is held to an hour");
    assert_eq!(plan.ended_at_ms, 3_600_000);

    let mut long = Capture::read(&path).expect("a capture");
    let attempt = &mut long.network.tls[0];
    let leaf = attempt.server_chain_pem[0].clone();
    attempt.server_chain_pem = vec![leaf; 9];
    let error = ReplayLab::prepare(&long, now()).expect_err("a chain of nine is refused");
    assert!(error.to_string().contains("a chain of 9 certificates"), "{error}");

    let mut broken = Capture::read(&path).expect("a capture");
    broken.network.tls[0].server_chain_pem =
        vec!["-----BEGIN CERTIFICATE-----\nMAMCAQA=\n-----END CERTIFICATE-----\n".into()];
    let error = ReplayLab::prepare(&broken, now()).expect_err("a certificate that is not one is refused");
    assert!(
        error
            .to_string()
            .contains("could not issue the captured certificate again"),
        "{error}"
    );
}
