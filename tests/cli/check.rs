//! `fxconfig --version`, usage errors, and `fxconfig check` against the simulator process.

use assert_cmd::prelude::*;
use serde_json::Value;

use super::process::{SimProcess, all_output, stdout_of};
use crate::support::lab::{Lab, OPERATOR_PASSWORD, P12_PASSWORD};
use crate::support::tools::fxconfig;

#[test]
fn version_prints_the_crate_version() {
    let output = fxconfig().arg("--version").output().unwrap();
    assert!(output.status.success());
    assert!(stdout_of(&output).contains(env!("CARGO_PKG_VERSION")));
}

#[test]
fn usage_errors_exit_with_2() {
    fxconfig().arg("no-such-command").assert().code(2);
    fxconfig().args(["check", "--timeout", "-1"]).assert().code(2);
    fxconfig().args(["identity", "--p12", "x.p12"]).assert().code(2);
}

#[test]
fn check_json_against_the_simulator_process() {
    let lab = Lab::new();
    let sim = SimProcess::start(&lab, None);
    lab.write_cfg("127.0.0.1", sim.port);
    let output = fxconfig()
        .env("FXPKCS11_CFG", &lab.cfg)
        .args(["check", "--json", "--timeout", "5"])
        .output()
        .unwrap();
    let text = stdout_of(&output);
    assert_eq!(output.status.code(), Some(0), "{}", all_output(&output));
    let json: Value = serde_json::from_str(&text).expect("one JSON object");
    assert_eq!(json["ok"], Value::Bool(true));
    assert_eq!(json["config"].as_str().unwrap(), lab.cfg.display().to_string());
    let checks = json["checks"].as_array().unwrap();
    let ids: Vec<&str> = checks.iter().map(|c| c["id"].as_str().unwrap()).collect();
    assert_eq!(
        ids,
        [
            "config.locate",
            "config.parse",
            "config.fields",
            "config.permissions",
            "tls.ca",
            "tls.identity",
            "tls.identity.chain",
            "tls.identity.validity",
            "net.resolve",
            "net.connect",
            "tls.handshake",
            "tls.server_cert",
            "tls.client_auth",
            "hostapi.echo"
        ]
    );
    for check in checks {
        for key in ["id", "title", "status", "detail", "remedy", "guide", "ms"] {
            assert!(check.get(key).is_some(), "{key} in {check}");
        }
        assert_eq!(
            check["status"], "pass",
            "with FXPKCS11_CFG pointing at it, every check passes: {check}"
        );
    }
    assert!(!text.contains(P12_PASSWORD) && !text.contains(OPERATOR_PASSWORD));
}

#[test]
fn check_failure_exits_1_and_names_the_failing_check() {
    let lab = Lab::new();
    let sim = SimProcess::start(&lab, Some("wrong-ca"));
    lab.write_cfg("127.0.0.1", sim.port);
    let output = fxconfig().args(["check", "--config"]).arg(&lab.cfg).output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    let text = stdout_of(&output);
    let line = text
        .lines()
        .find(|l| l.split_whitespace().nth(1) == Some("tls.server_cert"))
        .expect("a status line for tls.server_cert");
    assert!(line.starts_with("FAIL"), "{line}");
    assert!(text.contains("remedy:"), "{text}");
    assert!(!text.contains(P12_PASSWORD));
}
