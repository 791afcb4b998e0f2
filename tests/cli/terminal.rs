//! No raw control character reaches the terminal (issue 10, B5): certificates whose subject
//! holds `ESC ] 0 ; … BEL ESC [ 2 J` and a bidirectional override, and a cfg value holding an
//! ESC, through `check`, `identity`, `import`, `config show` and `config validate`; `--json`
//! keeps the exact text.

use std::path::Path;
use std::process::{Command, Output};

use crate::support::lab::{Lab, P12_PASSWORD, write_private};
use crate::support::tools::FXCONFIG;

/// Retitles the terminal, clears it, and reverses what follows.
const HOSTILE: &str = "\u{1b}]0;owned\u{7}\u{1b}[2J\u{202e}gpj.exe";
/// How [`HOSTILE`] reads once escaped.
const ESCAPED: &str = "\\x1b]0;owned\\x07\\x1b[2J\\u{202e}gpj.exe";

fn fxconfig(args: &[&str], dir: &Path) -> Output {
    Command::new(FXCONFIG)
        .args(args)
        .env("TEST_P12_PASSWORD", P12_PASSWORD)
        .env_remove("FXPKCS11_CFG")
        .current_dir(dir)
        .output()
        .expect("fxconfig runs")
}

fn assert_no_raw_controls(what: &str, output: &Output) {
    for (name, bytes) in [("stdout", &output.stdout), ("stderr", &output.stderr)] {
        let text = String::from_utf8_lossy(bytes);
        let raw: Vec<char> = text
            .chars()
            .filter(|&c| fxconfig::display::is_unsafe(c) && c != '\n' && c != '\t')
            .collect();
        assert!(raw.is_empty(), "{what}: raw {raw:?} on {name}:\n{text}");
    }
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

#[test]
fn hostile_certificate_subjects_are_escaped_by_check_identity_and_import() {
    let lab = Lab::with_ca(&format!("Root {HOSTILE}"));
    let sim = lab.start_sim(None);
    let cfg = lab.write_cfg("127.0.0.1", sim.local_addr().port());
    let cfg_arg = cfg.to_str().expect("UTF-8 path");

    let check = fxconfig(&["check", "--config", cfg_arg, "--timeout", "5"], lab.dir.path());
    assert_no_raw_controls("check", &check);
    let shown = text(&check);
    for id in ["tls.ca", "tls.server_cert"] {
        let line = shown.lines().skip_while(|l| !l.contains(id)).nth(1).unwrap_or_default();
        assert!(line.contains(ESCAPED), "{id} detail not escaped:\n{shown}");
    }

    let json = fxconfig(&["check", "--config", cfg_arg, "--json"], lab.dir.path());
    let value: serde_json::Value = serde_json::from_slice(&json.stdout).expect("JSON");
    let ca_detail = value["checks"]
        .as_array()
        .and_then(|checks| checks.iter().find(|c| c["id"] == "tls.ca"))
        .and_then(|c| c["detail"].as_str())
        .unwrap_or_default()
        .to_owned();
    assert!(
        ca_detail.contains(HOSTILE),
        "JSON must keep the exact subject: {ca_detail:?}"
    );

    let p12 = lab.files.client_p12.to_str().expect("UTF-8 path");
    let ca = lab.files.ca_cert.to_str().expect("UTF-8 path");
    let identity = fxconfig(
        &[
            "identity",
            "--p12",
            p12,
            "--password-env",
            "TEST_P12_PASSWORD",
            "--ca",
            ca,
        ],
        lab.dir.path(),
    );
    assert_no_raw_controls("identity", &identity);
    assert!(
        text(&identity).contains(&format!("Root {ESCAPED}")),
        "{}",
        text(&identity)
    );

    let target = lab.dir.path().join("imported.cfg");
    let import = fxconfig(
        &[
            "import",
            "--config",
            target.to_str().expect("UTF-8 path"),
            "--ca",
            ca,
            "--p12",
            p12,
            "--password-env",
            "TEST_P12_PASSWORD",
        ],
        lab.dir.path(),
    );
    assert!(import.status.success(), "{}", text(&import));
    assert_no_raw_controls("import", &import);
    assert!(text(&import).contains(&format!("Root {ESCAPED}")), "{}", text(&import));
}

#[test]
fn a_cfg_value_with_an_escape_is_escaped_by_show_validate_and_check_but_exact_in_json() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let cfg = dir.path().join("fxpkcs11.cfg");
    write_private(
        &cfg,
        format!("<KMS>\n  <ADDRESS> kmes{HOSTILE} </ADDRESS>\n  <PROD-PORT> 20{HOSTILE} </PROD-PORT>\n</KMS>\n")
            .as_bytes(),
    );
    let path = cfg.to_str().expect("UTF-8 path");
    for args in [
        &["config", "show", path][..],
        &["config", "validate", path][..],
        &["check", "--config", path, "--timeout", "1"][..],
    ] {
        let output = fxconfig(args, dir.path());
        assert_no_raw_controls(&args.join(" "), &output);
        assert!(text(&output).contains(ESCAPED), "{args:?}:\n{}", text(&output));
    }
    let json = fxconfig(&["config", "show", path, "--json"], dir.path());
    let value: serde_json::Value = serde_json::from_slice(&json.stdout).expect("JSON");
    assert_eq!(value["sections"][0]["entries"][0]["value"], format!("kmes{HOSTILE}"));
}
