//! `fxconfig identity` and `fxconfig import`: passwords from the environment or standard
//! input, never printed, and nothing changed when the import fails.

use std::fs;

use assert_cmd::Command;
use serde_json::Value;

use super::process::{SimProcess, all_output, stdout_of};
use crate::support::lab::{Lab, OlderP12, P12_PASSWORD, write_private};
use crate::support::tools::fxconfig;

#[test]
fn identity_reads_the_password_from_env_or_stdin_and_checks_the_chain() {
    let lab = Lab::new();
    let output = fxconfig()
        .env("P12_PASS", P12_PASSWORD)
        .args(["identity", "--password-env", "P12_PASS", "--json", "--p12"])
        .arg(&lab.files.client_p12)
        .arg("--ca")
        .arg(&lab.files.ca_cert)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", all_output(&output));
    let json: Value = serde_json::from_str(&stdout_of(&output)).unwrap();
    assert_eq!(json["chain_ok"], Value::Bool(true));
    assert!(
        json["certificates"][0]["subject"]
            .as_str()
            .unwrap()
            .contains("PKCS #11 Client")
    );
    assert!(!all_output(&output).contains(P12_PASSWORD));

    let output = Command::from_std(fxconfig())
        .args(["identity", "--password-stdin", "--p12"])
        .arg(&lab.files.client_p12)
        .write_stdin("incorrect-Pass-42\n")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let text = all_output(&output);
    assert!(
        text.to_lowercase().contains("password") && !text.contains("incorrect-Pass-42"),
        "{text}"
    );
}

#[test]
fn import_then_check_follows_the_guide_end_to_end() {
    let lab = Lab::new();
    let sim = SimProcess::start(&lab, None);
    let cfg = lab.dir.path().join("client").join("fxpkcs11.cfg");
    fs::create_dir_all(cfg.parent().unwrap()).unwrap();
    let text = format!(
        "<CONFIG>\n</CONFIG>\n<KMS>\n    <ADDRESS>   127.0.0.1   </ADDRESS>\n    <PROD-PORT>   {}   </PROD-PORT>\n</KMS>\n",
        sim.port
    );
    write_private(&cfg, text.as_bytes());
    let output = Command::from_std(fxconfig())
        .args(["import", "--password-stdin", "--config"])
        .arg(&cfg)
        .arg("--ca")
        .arg(&lab.files.ca_cert)
        .arg("--p12")
        .arg(&lab.files.client_p12)
        .write_stdin(format!("{P12_PASSWORD}\n"))
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", all_output(&output));
    assert!(!all_output(&output).contains(P12_PASSWORD));
    let dir = cfg.parent().unwrap();
    assert!(dir.join("root_cert.pem").exists() && dir.join("export_pkcs12.p12").exists());

    let output = fxconfig()
        .args(["check", "--json", "--config"])
        .arg(&cfg)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", all_output(&output));
}

#[test]
fn import_with_a_wrong_password_changes_nothing() {
    let lab = Lab::new();
    lab.write_cfg("10.0.8.20", 2001);
    let before = fs::read(&lab.cfg).unwrap();
    let dest = lab.dir.path().join("dest");
    fs::create_dir(&dest).unwrap();
    let output = fxconfig()
        .env("P12_PASS", "nope")
        .args(["import", "--password-env", "P12_PASS", "--config"])
        .arg(&lab.cfg)
        .arg("--ca")
        .arg(&lab.files.ca_cert)
        .arg("--p12")
        .arg(&lab.files.client_p12)
        .arg("--dest")
        .arg(&dest)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(fs::read(&lab.cfg).unwrap(), before);
    assert_eq!(fs::read_dir(&dest).unwrap().count(), 0);
}

#[test]
fn older_pkcs12_files_open_in_identity_import_and_check() {
    let lab = Lab::new();
    let sim = SimProcess::start(&lab, None);
    for kind in OlderP12::ALL {
        let p12 = lab.older_p12(kind);
        let output = fxconfig()
            .env("P12_PASS", P12_PASSWORD)
            .args(["identity", "--password-env", "P12_PASS", "--json", "--p12"])
            .arg(&p12)
            .arg("--ca")
            .arg(&lab.files.ca_cert)
            .output()
            .unwrap();
        assert!(output.status.success(), "{kind:?}: {}", all_output(&output));
        let json: Value = serde_json::from_str(&stdout_of(&output)).unwrap();
        assert_eq!(json["chain_ok"], Value::Bool(true));
        let private_key = format!("private key: {}", kind.scheme());
        assert!(
            json["encryption"]
                .as_array()
                .unwrap()
                .iter()
                .any(|line| line == &private_key),
            "{kind:?}: {}",
            json["encryption"]
        );

        let cfg = lab.dir.path().join(format!("{kind:?}")).join("fxpkcs11.cfg");
        fs::create_dir_all(cfg.parent().unwrap()).unwrap();
        let text = format!(
            "<CONFIG>\n</CONFIG>\n<KMS>\n    <ADDRESS>   127.0.0.1   </ADDRESS>\n    <PROD-PORT>   {}   </PROD-PORT>\n</KMS>\n",
            sim.port
        );
        write_private(&cfg, text.as_bytes());
        let output = Command::from_std(fxconfig())
            .args(["import", "--password-stdin", "--config"])
            .arg(&cfg)
            .arg("--ca")
            .arg(&lab.files.ca_cert)
            .arg("--p12")
            .arg(&p12)
            .write_stdin(format!("{P12_PASSWORD}\n"))
            .output()
            .unwrap();
        assert!(output.status.success(), "{kind:?}: {}", all_output(&output));

        let output = fxconfig()
            .args(["check", "--json", "--config"])
            .arg(&cfg)
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(0), "{kind:?}: {}", all_output(&output));
        let json: Value = serde_json::from_str(&stdout_of(&output)).unwrap();
        let identity = json["checks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"] == "tls.identity")
            .expect("tls.identity");
        assert_eq!(identity["status"], "pass");
        assert!(
            identity["detail"].as_str().unwrap().contains(kind.scheme()),
            "{identity}"
        );
    }
}
