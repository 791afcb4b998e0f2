//! The command-line contract: commands, JSON shapes, exit codes, and that no
//! secret is ever printed. The simulator runs as its own `fxconfig kmes-sim` process.

mod common;

use std::fs;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command as StdCommand, Stdio};

use assert_cmd::Command;
use common::{Lab, OPERATOR_PASSWORD, P12_PASSWORD};
use serde_json::Value;

fn fxconfig() -> Command {
    let mut command = Command::cargo_bin("fxconfig").expect("the fxconfig binary");
    command.env_remove("FXPKCS11_CFG");
    command
}

/// `fxconfig kmes-sim` as a child process, killed on drop.
struct SimProcess {
    child: Child,
    port: u16,
}

impl SimProcess {
    fn start(lab: &Lab, fault: Option<&str>) -> SimProcess {
        let mut command = StdCommand::new(assert_cmd::cargo::cargo_bin("fxconfig"));
        command
            .args(["kmes-sim", "--listen", "127.0.0.1:0", "--ca"])
            .arg(&lab.files.ca_cert)
            .arg("--cert")
            .arg(&lab.files.server_cert)
            .arg("--key")
            .arg(&lab.files.server_key)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        if let Some(fault) = fault {
            command.args(["--fault", fault]);
        }
        let mut child = command.spawn().expect("start kmes-sim");
        let stdout = child.stdout.take().expect("stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("kmes-sim prints its address");
        let port = line
            .split_whitespace()
            .find_map(|word| word.parse::<std::net::SocketAddr>().ok())
            .unwrap_or_else(|| panic!("no address in {line:?}"))
            .port();
        SimProcess { child, port }
    }
}

impl Drop for SimProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn stdout_of(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn all_output(output: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

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
    assert_eq!(entry("ADDRESS")["line"], 14);
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
    common::write_private(&lab.cfg, text.as_bytes());
    let output = fxconfig().args(["config", "validate"]).arg(&lab.cfg).output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    let out = stdout_of(&output);
    assert!(out.contains("line 15") && out.contains("PROD-PORT"), "{out}");
    fxconfig()
        .args(["config", "validate"])
        .arg(lab.dir.path().join("absent.cfg"))
        .assert()
        .code(2);
}

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

    let output = fxconfig()
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
    common::write_private(&cfg, text.as_bytes());
    let output = fxconfig()
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
fn pubkey_prints_an_authorized_keys_line_and_a_fingerprint() {
    let lab = Lab::new();
    let der = lab.dir.path().join("SSH_Client_Public.pub");
    let key = lab.dir.path().join("client.key");
    let status = StdCommand::new("openssl")
        .args([
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:2048",
            "-out",
        ])
        .arg(&key)
        .status()
        .expect("openssl");
    assert!(status.success());
    let status = StdCommand::new("openssl")
        .args(["rsa", "-RSAPublicKey_out", "-outform", "DER", "-in"])
        .arg(&key)
        .arg("-out")
        .arg(&der)
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    let output = fxconfig()
        .arg("pubkey")
        .arg(&der)
        .args(["--comment", "ssh-client@kmes"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", all_output(&output));
    let line = stdout_of(&output);
    assert!(line.starts_with("ssh-rsa AAAA") && line.trim_end().ends_with(" ssh-client@kmes"));
    let authorized = lab.dir.path().join("authorized_keys");
    fs::write(&authorized, &line).unwrap();
    let keygen = StdCommand::new("ssh-keygen")
        .arg("-lf")
        .arg(&authorized)
        .output()
        .expect("ssh-keygen");
    let output = fxconfig()
        .arg("pubkey")
        .arg(&der)
        .args(["--comment", "ssh-client@kmes", "--fingerprint"])
        .output()
        .unwrap();
    assert_eq!(stdout_of(&output), String::from_utf8_lossy(&keygen.stdout));

    let output = fxconfig().arg("pubkey").arg(&key).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    let text = all_output(&output);
    assert!(text.to_lowercase().contains("private key"), "{text}");
    let key_text = fs::read_to_string(&key).unwrap();
    let body_line = key_text.lines().nth(1).unwrap();
    assert!(!text.contains(body_line), "no private key material in the message");
}

#[test]
fn package_docs_writes_a_man_page_per_visible_command_and_completions_without_the_hidden_ones() {
    let dir = tempfile::tempdir().unwrap();
    let output = fxconfig().arg("package-docs").arg(dir.path()).output().unwrap();
    assert!(output.status.success(), "{}", all_output(&output));

    let help = stdout_of(&fxconfig().arg("--help").output().unwrap());
    let commands: Vec<&str> = help
        .lines()
        .skip_while(|line| *line != "Commands:")
        .skip(1)
        .take_while(|line| !line.trim().is_empty())
        .filter_map(|line| line.split_whitespace().next())
        .filter(|command| *command != "help")
        .collect();
    assert!(commands.contains(&"check") && commands.contains(&"kmes-sim"), "{help}");
    let man_dir = dir.path().join("man1");
    let mut pages = vec!["fxconfig".to_owned(), "fxconfig-config-show".to_owned()];
    pages.extend(commands.iter().map(|command| format!("fxconfig-{command}")));
    for page in &pages {
        let text = fs::read_to_string(man_dir.join(format!("{page}.1")))
            .unwrap_or_else(|error| panic!("no man page {page}.1: {error}"));
        let title = format!(".TH {page} 1  \"fxconfig {}\"", env!("CARGO_PKG_VERSION"));
        assert!(text.contains(&title), "{page}.1 lacks {title:?}");
    }
    for hidden in ["fxconfig-askpass.1", "fxconfig-package-docs.1"] {
        assert!(!man_dir.join(hidden).exists(), "a page for the hidden {hidden}");
    }
    let root_page = fs::read_to_string(man_dir.join("fxconfig.1")).unwrap();
    assert!(
        root_page.contains("fxconfig\\-check(1)"),
        "the root page lists the commands' pages"
    );

    for file in ["fxconfig.bash", "_fxconfig", "fxconfig.fish"] {
        let text = fs::read_to_string(dir.path().join("completions").join(file)).unwrap();
        assert!(
            text.contains("kmes-sim") && text.contains("--json"),
            "{file} completes commands and options"
        );
        for hidden in ["askpass", "package-docs"] {
            assert!(!text.contains(hidden), "{file} offers the hidden command {hidden}");
        }
    }
    let syntax = StdCommand::new("bash")
        .arg("-n")
        .arg(dir.path().join("completions/fxconfig.bash"))
        .output()
        .expect("bash");
    assert!(syntax.status.success(), "{}", String::from_utf8_lossy(&syntax.stderr));
}
