//! `fxconfig config show|set|validate`: masked passwords, edits that keep the layout, exit codes.

use std::fs;

use assert_cmd::prelude::*;
use serde_json::Value;

use super::process::{all_output, stdout_of};
use crate::support::lab::{Lab, OPERATOR_PASSWORD, P12_PASSWORD, write_private};
use crate::support::tools::fxconfig;

#[test]
fn config_show_masks_passwords_in_text_and_json() {
    let lab = Lab::new();
    lab.write_cfg("10.0.8.20", 2001);
    let output = fxconfig()
        .args(["config", "show", "--json"])
        .arg(&lab.cfg)
        .output()
        .unwrap();
    assert!(output.status.success());
    let text = stdout_of(&output);
    assert!(!text.contains(P12_PASSWORD) && !text.contains(OPERATOR_PASSWORD));
    let json: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(json["path"].as_str().unwrap(), lab.cfg.display().to_string());
    let kms = json["sections"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "KMS")
        .expect("KMS section");
    let entry = |tag: &str| {
        kms["entries"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["tag"] == tag)
            .cloned()
            .unwrap()
    };
    assert_eq!(entry("ADDRESS")["value"], "10.0.8.20");
    assert_eq!(entry("ADDRESS")["line"], 16);
    assert_eq!(entry("PROD-TLS-KEY-PASS")["value"], "********");
    assert_eq!(entry("CRYPTO-OPR-PASS")["value"], "********");

    let output = fxconfig().args(["config", "show"]).arg(&lab.cfg).output().unwrap();
    let text = stdout_of(&output);
    assert!(text.contains("10.0.8.20") && text.contains("********"));
    assert!(!text.contains(P12_PASSWORD) && !text.contains(OPERATOR_PASSWORD));
}

#[test]
fn config_set_changes_only_the_value_and_keeps_a_backup() {
    let lab = Lab::new();
    lab.write_cfg("10.0.8.20", 2001);
    let before = fs::read_to_string(&lab.cfg).unwrap();
    fxconfig()
        .args(["config", "set"])
        .arg(&lab.cfg)
        .args(["PROD-PORT=2002", "ADDRESS=kmes.example"])
        .assert()
        .success();
    let after = fs::read_to_string(&lab.cfg).unwrap();
    // The longer value eats into the padding so that </ADDRESS> keeps its column.
    let expected = before
        .replace("10.0.8.20   </ADDRESS>", "kmes.example </ADDRESS>")
        .replace(" 2001 ", " 2002 ");
    assert_eq!(after, expected);
    assert_eq!(fs::read_to_string(lab.cfg.with_extension("cfg.bak")).unwrap(), before);
}

#[test]
fn config_set_refuses_passwords_on_the_command_line_and_takes_them_from_the_environment() {
    let lab = Lab::new();
    lab.write_cfg("10.0.8.20", 2001);
    let before = fs::read(&lab.cfg).unwrap();
    let output = fxconfig()
        .args(["config", "set"])
        .arg(&lab.cfg)
        .arg("CRYPTO-OPR-PASS=visible")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(all_output(&output).contains("--secret-env"));
    assert_eq!(fs::read(&lab.cfg).unwrap(), before, "nothing written");

    let output = fxconfig()
        .env("NEW_OPERATOR_PASS", "fresh-Operator-Pass")
        .args(["config", "set"])
        .arg(&lab.cfg)
        .args(["--secret-env", "CRYPTO-OPR-PASS=NEW_OPERATOR_PASS"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", all_output(&output));
    assert!(!all_output(&output).contains("fresh-Operator-Pass"));
    assert!(fs::read_to_string(&lab.cfg).unwrap().contains("fresh-Operator-Pass"));
}

#[test]
fn config_set_adds_a_missing_tag_inside_its_section() {
    let lab = Lab::new();
    lab.write_cfg("10.0.8.20", 2001);
    fxconfig()
        .args(["config", "set"])
        .arg(&lab.cfg)
        .arg("NEW-TAG=hello")
        .args(["--section", "CONFIG"])
        .assert()
        .success();
    let text = fs::read_to_string(&lab.cfg).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let index = lines.iter().position(|l| l.contains("<NEW-TAG>")).expect("inserted");
    assert!(lines[..index].iter().any(|l| l.trim() == "<CONFIG>"));
    assert_eq!(lines[index + 1].trim(), "</CONFIG>");
}

#[test]
fn config_validate_exit_codes_and_line_numbers() {
    let lab = Lab::new();
    lab.write_cfg("10.0.8.20", 2001);
    fxconfig().args(["config", "validate"]).arg(&lab.cfg).assert().code(0);
    let text = fs::read_to_string(&lab.cfg)
        .unwrap()
        .replace("<PROD-PORT>              2001", "<PROD-PORT>              70000");
    write_private(&lab.cfg, text.as_bytes());
    let output = fxconfig().args(["config", "validate"]).arg(&lab.cfg).output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    let out = stdout_of(&output);
    assert!(out.contains("line 18") && out.contains("PROD-PORT"), "{out}");
    fxconfig()
        .args(["config", "validate"])
        .arg(lab.dir.path().join("absent.cfg"))
        .assert()
        .code(2);
}
