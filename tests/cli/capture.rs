//! `fxconfig check --capture` and `fxconfig kmes-sim --replay`: a capture replayed by the
//! command line gives the same verdicts to a client set up from `--client-out`; no secret
//! reaches a capture, the text or the JSON; captures that cannot be replayed say why.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use base64ct::{Base64, Encoding};
use serde_json::Value;

use super::process::{SimProcess, all_output, stdout_of};
use crate::support::lab::{Lab, OPERATOR_PASSWORD, P12_PASSWORD};
use crate::support::softhsm::{self, Hsm};
use crate::support::tools::{FXCONFIG, fxconfig};

/// `kmes-sim --replay CAPTURE --client-out DIR` on a free port, killed when dropped.
struct Replay {
    child: Child,
    cfg: PathBuf,
    lines: Vec<String>,
}

impl Replay {
    fn start(capture: &Path, client_out: &Path) -> Replay {
        let mut child = Command::new(FXCONFIG)
            .args(["kmes-sim", "--listen", "127.0.0.1:0", "--replay"])
            .arg(capture)
            .arg("--client-out")
            .arg(client_out)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("kmes-sim --replay starts");
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = Vec::new();
        for line in BufReader::new(stdout).lines() {
            let line = line.expect("a line");
            let done = line.starts_with("client files in");
            lines.push(line);
            if done {
                break;
            }
        }
        let cfg = client_out.join("fxpkcs11.cfg");
        assert!(cfg.is_file(), "{lines:?}");
        Replay { child, cfg, lines }
    }
}

impl Drop for Replay {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `check --json` on `cfg`, with `extra` arguments; the checks by id, with status and raw.
fn check_json(cfg: &Path, extra: &[&str]) -> Vec<(String, String, Value)> {
    let output = fxconfig()
        .args(["check", "--json", "--timeout", "2", "--config"])
        .arg(cfg)
        .args(extra)
        .output()
        .expect("check runs");
    let json: Value =
        serde_json::from_str(&stdout_of(&output)).unwrap_or_else(|e| panic!("{e}: {}", all_output(&output)));
    json["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .map(|check| {
            (
                check["id"].as_str().unwrap_or_default().to_owned(),
                check["status"].as_str().unwrap_or_default().to_owned(),
                check["raw"].clone(),
            )
        })
        .collect()
}

fn network(checks: &[(String, String, Value)]) -> Vec<(String, String, Value)> {
    checks
        .iter()
        .filter(|(id, _, _)| fxconfig::capture::REPLAYED_CHECKS.contains(&id.as_str()))
        .cloned()
        .collect()
}

#[test]
fn a_capture_replayed_by_kmes_sim_gives_a_client_of_its_files_the_same_verdicts() {
    for fault in ["reject-client", "permission-denied"] {
        let lab = Lab::new();
        let sim = SimProcess::start(&lab, Some(fault));
        lab.write_cfg("127.0.0.1", sim.port);
        let capture = lab.dir.path().join("capture.json");
        let captured = check_json(&lab.cfg, &["--capture", capture.to_str().expect("UTF-8 path")]);
        drop(sim);
        let out = lab.dir.path().join("replay-client");
        let replay = Replay::start(&capture, &out);
        assert!(
            replay.lines[0].starts_with("kmes-sim replaying")
                && replay.lines.iter().any(|l| l.contains("captured hostapi.echo")),
            "{:?}",
            replay.lines
        );
        let replayed = check_json(&replay.cfg, &[]);
        assert_eq!(network(&replayed), network(&captured), "{fault}");
        // The cfg is usable as written: every configuration and TLS materials check passes.
        for (id, status, _) in &replayed {
            if id.starts_with("config.") || id.starts_with("tls.identity") || id == "tls.ca" {
                assert!(status == "pass" || status == "warn", "{fault}: {id} {status}");
            }
        }
    }
}

/// Every string a secret leaves in its file, as it could leak: the passwords, the PIN, an
/// old password in a comment, a password under a tag fxconfig does not know, the private
/// key's base64 and the PKCS#12 file's.
fn secret_markers(lab: &Lab) -> Vec<String> {
    let key_pem = std::fs::read_to_string(&lab.files.client_key).expect("client key");
    let key_line = key_pem.lines().nth(1).expect("a base64 line of the key").to_owned();
    let p12 = std::fs::read(&lab.files.client_p12).expect("PKCS#12");
    let p12_base64 = Base64::encode_string(&p12);
    vec![
        P12_PASSWORD.to_owned(),
        OPERATOR_PASSWORD.to_owned(),
        softhsm::PIN.to_owned(),
        "old-Secret-5501".to_owned(),
        "rogue-Secret-6612".to_owned(),
        key_line,
        p12_base64[..48].to_owned(),
        hex(&p12[..24]),
    ]
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn no_secret_reaches_the_text_the_json_or_the_capture() {
    let lab = Lab::new();
    let sim = SimProcess::start(&lab, None);
    lab.write_cfg("127.0.0.1", sim.port);
    let mut text = std::fs::read_to_string(&lab.cfg).expect("cfg");
    text.push_str(
        "# was <CRYPTO-OPR-PASS>old-Secret-5501</CRYPTO-OPR-PASS>\n<ROGUE-SECRET>rogue-Secret-6612</ROGUE-SECRET>\n",
    );
    std::fs::write(&lab.cfg, text).expect("cfg");
    let hsm = Hsm::new();
    let capture = lab.dir.path().join("capture.json");
    let mut outputs = Vec::new();
    for format in ["text", "json"] {
        let output = hsm
            .command(FXCONFIG)
            .args(["check", "--format", format, "--timeout", "2", "--config"])
            .arg(&lab.cfg)
            .args([
                "--module",
                softhsm::SOFTHSM,
                "--token",
                softhsm::TOKEN,
                "--pin-env",
                "FX_TEST_PIN",
            ])
            .arg("--capture")
            .arg(&capture)
            .arg("--capture-client-cert")
            .env("FX_TEST_PIN", softhsm::PIN)
            .output()
            .expect("check runs");
        let shown = all_output(&output);
        assert!(shown.contains("capture written to"), "{shown}");
        outputs.push((format!("{format} output"), shown));
        let written = std::fs::read_to_string(&capture).expect("capture");
        assert!(written.contains("pkcs11.login"), "the module was checked: {written}");
        outputs.push((format!("capture of the {format} run"), written));
    }
    let markers = secret_markers(&lab);
    let mut leaks = Vec::new();
    for (what, shown) in &outputs {
        for marker in &markers {
            if shown.contains(marker.as_str()) {
                leaks.push(format!("{marker:?} in the {what}"));
            }
        }
    }
    assert!(leaks.is_empty(), "{leaks:?}");
    // The client certificate asked for is there, and the masked passwords are named as such.
    let capture: Value = serde_json::from_str(&outputs[3].1).expect("capture JSON");
    assert_eq!(capture["network"]["client_chain_pem"].as_array().map(Vec::len), Some(2));
    let masked = capture["config"]["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .filter(|entry| entry["value"] == fxconfig::secret::MASK)
        .count();
    assert_eq!(masked, 3, "both passwords and the unknown secret tag are masked");
}

#[test]
fn a_capture_that_never_reached_a_server_is_not_replayed_and_says_why() {
    let lab = Lab::new();
    let port = crate::support::net::free_port();
    lab.write_cfg("127.0.0.1", port);
    let capture = lab.dir.path().join("refused.json");
    let captured = check_json(&lab.cfg, &["--capture", capture.to_str().expect("UTF-8 path")]);
    assert!(
        captured
            .iter()
            .any(|(id, status, _)| id == "net.connect" && status == "fail")
    );
    let output = fxconfig()
        .args(["kmes-sim", "--listen", "127.0.0.1:0", "--replay"])
        .arg(&capture)
        .output()
        .expect("kmes-sim runs");
    assert_eq!(output.status.code(), Some(2), "{}", all_output(&output));
    let said = all_output(&output);
    assert!(
        said.contains("nothing to replay") && said.contains("TCP connection") && said.contains("refused"),
        "{said}"
    );
}

#[test]
fn files_that_are_not_captures_are_refused_by_name() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let cases: [(&str, &[u8], &str); 4] = [
        ("garbage.json", b"\x00\x01 not json", "is not a capture"),
        (
            "report.json",
            b"{\"config\": \"x\", \"checks\": []}",
            "is not an fxconfig capture",
        ),
        (
            "future.json",
            b"{\"format\": \"fxconfig-capture\", \"version\": 99}",
            "format version 99",
        ),
        (
            "truncated.json",
            b"{\"format\": \"fxconfig-capture\", \"version\": 1, \"report\":",
            "is not a capture",
        ),
    ];
    for (name, bytes, expected) in cases {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).expect("write");
        let output = fxconfig()
            .args(["kmes-sim", "--listen", "127.0.0.1:0", "--replay"])
            .arg(&path)
            .output()
            .expect("kmes-sim runs");
        assert_eq!(output.status.code(), Some(2), "{name}: {}", all_output(&output));
        let said = all_output(&output);
        assert!(said.contains(expected) && said.contains(name), "{name}: {said}");
    }
}
