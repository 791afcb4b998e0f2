//! `fxconfig --version`, usage errors, and `fxconfig check` against the simulator process.

use assert_cmd::prelude::*;
use serde_json::Value;

use super::process::{SimProcess, all_output, stdout_of};
use crate::support::lab::{Lab, OPERATOR_PASSWORD, P12_PASSWORD};
use crate::support::net::SServer;
use crate::support::tools::fxconfig;

#[test]
fn version_prints_the_crate_version() {
    let output = fxconfig().arg("--version").output().unwrap();
    assert!(output.status.success());
    assert!(stdout_of(&output).contains(env!("CARGO_PKG_VERSION")));
}

/// The commands listed by `--help` with their descriptions, from the "Commands:" block
/// (`help` itself left out).
fn listed_commands(help: &str) -> Vec<(String, String)> {
    help.lines()
        .skip_while(|line| !line.ends_with("Commands:"))
        .skip(1)
        .take_while(|line| line.starts_with("  "))
        .filter_map(|line| line.trim().split_once(' '))
        .map(|(name, description)| (name.to_owned(), description.trim().to_owned()))
        .filter(|(name, _)| name != "help")
        .collect()
}

#[test]
fn every_command_s_help_opens_with_its_description_in_the_list() {
    // The commands' arguments are built only when one runs: each must still describe itself
    // as the list does (nothing built late may replace the description).
    let top = stdout_of(&fxconfig().arg("--help").output().unwrap());
    let commands = listed_commands(&top);
    assert!(commands.len() >= 10, "{top}");
    for (name, description) in commands {
        let help = stdout_of(&fxconfig().args([name.as_str(), "--help"]).output().unwrap());
        assert_eq!(help.lines().next(), Some(description.as_str()), "{name}: {help}");
        if name == "config" {
            for (sub, sub_description) in listed_commands(&help) {
                let help = stdout_of(&fxconfig().args(["config", &sub, "--help"]).output().unwrap());
                assert_eq!(
                    help.lines().next(),
                    Some(sub_description.as_str()),
                    "config {sub}: {help}"
                );
            }
        }
    }
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
            "config.access",
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
        for key in ["id", "title", "status", "detail", "remedy", "guide", "raw", "ms"] {
            assert!(check.get(key).is_some(), "{key} in {check}");
        }
        if check["id"] == "hostapi.echo" {
            let raw = check["raw"].as_str().expect("the answer received");
            assert!(raw.starts_with("[AOECHO;ANY;BC"), "{raw}");
        } else {
            assert_eq!(check["raw"], Value::Null, "{check}");
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

#[test]
fn a_refused_echo_fails_and_its_raw_answer_is_in_the_text_and_the_json() {
    let lab = Lab::new();
    let sim = SimProcess::start(&lab, Some("permission-denied"));
    lab.write_cfg("127.0.0.1", sim.port);
    let output = fxconfig().args(["check", "--config"]).arg(&lab.cfg).output().unwrap();
    assert_eq!(output.status.code(), Some(1), "{}", all_output(&output));
    let text = stdout_of(&output);
    let echo: Vec<&str> = text
        .lines()
        .skip_while(|line| line.split_whitespace().nth(1) != Some("hostapi.echo"))
        .take(4)
        .collect();
    assert!(echo[0].starts_with("FAIL"), "{text}");
    assert!(echo.iter().any(|line| line.trim() == "answer: [AOECHO;ANP;]"), "{text}");
    assert!(
        echo.iter()
            .any(|line| line.contains("remedy:") && line.contains("[3.2.3]")),
        "{text}"
    );

    let output = fxconfig()
        .args(["check", "--json", "--config"])
        .arg(&lab.cfg)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let json: Value = serde_json::from_str(&stdout_of(&output)).expect("one JSON object");
    let check = json["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "hostapi.echo")
        .expect("hostapi.echo");
    assert_eq!(check["status"], "fail");
    assert_eq!(check["raw"], "[AOECHO;ANP;]");
}

/// `openssl s_server` as the KMES, answering the ECHO with terminal control sequences.
#[test]
fn a_hostile_answer_reaches_the_terminal_escaped() {
    let lab = Lab::new();
    let arg = |p: &std::path::Path| p.display().to_string();
    let mut server = SServer::start(&[
        "-Verify",
        "1",
        "-CAfile",
        &arg(&lab.files.ca_cert),
        "-cert",
        &arg(&lab.files.server_cert),
        "-key",
        &arg(&lab.files.server_key),
    ]);
    server.send(b"[AOECHO;PN\x1b]0;owned\x07\x1b[2J;]");
    lab.write_cfg("127.0.0.1", server.addr.port());
    let output = fxconfig()
        .args(["check", "--timeout", "2", "--config"])
        .arg(&lab.cfg)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(
        !output.stdout.contains(&0x1b) && !output.stdout.contains(&0x07),
        "no control byte printed"
    );
    let text = stdout_of(&output);
    assert!(
        text.contains("answer: [AOECHO;PN\\x1b]0;owned\\x07\\x1b[2J;]"),
        "{text}"
    );
}

#[test]
fn the_help_of_kmes_sim_and_demo_names_every_fault() {
    for command in ["kmes-sim", "demo"] {
        let output = fxconfig().args([command, "--help"]).output().unwrap();
        let text = stdout_of(&output);
        for fault in fxconfig::sim::Fault::ALL {
            assert!(text.contains(fault.name()), "{command} --help lacks {fault}: {text}");
        }
    }
}
