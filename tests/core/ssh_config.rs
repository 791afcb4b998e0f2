//! `fxconfig ssh-config` against the real OpenSSH client and server: a hostile user
//! configuration keeps every other byte, `ssh -G` shows the block's values, a second run
//! writes nothing, and `ssh -F FILE ALIAS` logs in to `sshd` with the token key, offering the
//! exported key alone.

use std::path::Path;
use std::process::{Command, Output, Stdio};

use serde_json::Value;

use crate::support::softhsm::{Hsm, PIN, SOFTHSM};
use crate::support::sshd::Sshd;
use crate::support::tools::{FXCONFIG, run_ok};

/// A user configuration as people write them: `Host *` turning IdentitiesOnly off first,
/// an Include, a Match, comments, odd spacing and CRLF line endings.
const HOSTILE: &str = "# my settings\r\nHost *\r\n    IdentitiesOnly no\r\n\tServerAliveInterval=30\r\n\r\n\
                       Include ~/.ssh/fxconfig-test-none.d/*\r\n# work\r\nMatch exec \"false\"\r\n  User nobody\r\n\
                       Host   bastion   jump\r\n  HostName 10.9.9.9   # the jump host\r\n";

fn ssh_config(file: &Path, extra: &[&str]) -> Output {
    Command::new(FXCONFIG)
        .arg("ssh-config")
        .arg("--file")
        .arg(file)
        .args(["--host", "hsm", "--module", SOFTHSM])
        .args(extra)
        .env_remove("SSH_AUTH_SOCK")
        .output()
        .expect("fxconfig runs")
}

fn resolved(file: &Path, keyword: &str) -> Vec<String> {
    let output = run_ok(Command::new("ssh").arg("-G").arg("-F").arg(file).arg("hsm"));
    String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .filter_map(|line| line.strip_prefix(&format!("{keyword} ")).map(str::to_owned))
        .collect()
}

/// The exported key: the token's third key, written as `fxconfig p11 pubkeys` prints it.
fn third_key_pub(hsm: &Hsm) -> (std::path::PathBuf, String) {
    let lines =
        String::from_utf8(run_ok(hsm.command(FXCONFIG).args(["p11", "--module", SOFTHSM, "pubkeys"])).stdout).unwrap();
    let line = lines
        .lines()
        .find(|line| line.ends_with("third-key"))
        .unwrap_or_else(|| panic!("no third-key line in {lines}"))
        .to_owned();
    let path = hsm.path().join("third.pub");
    std::fs::write(&path, format!("{line}\n")).unwrap();
    (path, line)
}

/// `fxconfig check --json` on the token with `--ssh hsm` from `config` and `--pubkey identity`
/// (and the server's known_hosts when given): every check's result, by id.
fn ssh_checks(hsm: &Hsm, config: &Path, identity: &Path, known_hosts: Option<&Path>) -> Vec<Value> {
    let mut command = hsm.command(FXCONFIG);
    command
        .args([
            "check",
            "--json",
            "--module",
            SOFTHSM,
            "--pin-env",
            "TEST_PIN",
            "--ssh",
            "hsm",
        ])
        .arg("--ssh-config")
        .arg(config)
        .arg("--pubkey")
        .arg(identity)
        .env("TEST_PIN", PIN)
        .env_remove("SSH_AUTH_SOCK");
    if let Some(known_hosts) = known_hosts {
        command.arg("--ssh-known-hosts").arg(known_hosts);
    }
    let output = command.output().unwrap();
    let json: Value = serde_json::from_slice(&output.stdout).unwrap();
    json["checks"].as_array().unwrap().clone()
}

/// The result of check `id` among `checks`.
fn find(checks: &[Value], id: &str) -> Value {
    checks.iter().find(|check| check["id"] == id).cloned().unwrap()
}

#[test]
fn a_hostile_user_config_keeps_every_other_byte_and_a_second_run_writes_nothing() {
    let hsm = Hsm::new();
    hsm.keygen("rsa:2048", "third-key", "03");
    let (identity, _) = third_key_pub(&hsm);
    let file = hsm.path().join("config");
    std::fs::write(&file, HOSTILE).unwrap();
    let extra = [
        "--hostname",
        "127.0.0.1",
        "--port",
        "2222",
        "--identity",
        identity.to_str().unwrap(),
        "--json",
    ];
    let first = ssh_config(&file, &extra);
    assert!(first.status.success(), "{}", String::from_utf8_lossy(&first.stderr));
    let json: Value = serde_json::from_slice(&first.stdout).unwrap();
    assert_eq!(json["changed"], true);
    assert_eq!(json["read_by"], "only_with_f");
    assert_eq!(json["proof"]["identitiesonly"], "yes", "{json}");
    assert_eq!(json["changes"].as_array().unwrap().len(), 5, "{json}");

    // ssh itself resolves the block's values, over the `Host *` that came first before.
    assert_eq!(resolved(&file, "pkcs11provider"), [SOFTHSM]);
    assert_eq!(resolved(&file, "identitiesonly"), ["yes"]);
    assert_eq!(resolved(&file, "identityfile"), [identity.display().to_string()]);
    assert_eq!(resolved(&file, "port"), ["2222"]);

    // Every byte of the old file is still there, in order: the block (CRLF, like the file)
    // was inserted in front of `Host *`'s comment-free heading and nothing else changed.
    let written = std::fs::read_to_string(&file).unwrap();
    let block = format!(
        "Host hsm\r\n    HostName 127.0.0.1\r\n    Port 2222\r\n    PKCS11Provider {SOFTHSM}\r\n    IdentitiesOnly yes\r\n    \
         IdentityFile {}\r\n\r\n",
        identity.display()
    );
    assert!(written.contains(&block), "{written:?}");
    assert_eq!(written.replacen(&block, "", 1), HOSTILE);
    let backup = hsm.path().join("config.bak");
    assert_eq!(std::fs::read_to_string(&backup).unwrap(), HOSTILE);

    // A second run proves the block again and writes nothing, not even the backup.
    let before = std::fs::metadata(&file).unwrap().modified().unwrap();
    std::fs::remove_file(&backup).unwrap();
    let second = ssh_config(&file, &extra);
    assert!(second.status.success(), "{}", String::from_utf8_lossy(&second.stderr));
    let json: Value = serde_json::from_slice(&second.stdout).unwrap();
    assert_eq!(json["changed"], false, "{json}");
    assert_eq!(json["proof"]["pkcs11provider"], SOFTHSM);
    assert_eq!(std::fs::read_to_string(&file).unwrap(), written);
    assert_eq!(std::fs::metadata(&file).unwrap().modified().unwrap(), before);
    assert!(!backup.exists());
}

#[test]
fn a_global_line_that_wins_is_named_and_nothing_is_written() {
    let hsm = Hsm::new();
    let file = hsm.path().join("config");
    let text = "IdentitiesOnly no\nHost other\n  User x\n";
    std::fs::write(&file, text).unwrap();
    let (identity, _) = {
        hsm.keygen("rsa:2048", "third-key", "03");
        third_key_pub(&hsm)
    };
    let output = ssh_config(&file, &["--identity", identity.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!("{}:1: `IdentitiesOnly no`", file.display())),
        "{stderr}"
    );
    assert!(stderr.contains("remedy:"), "{stderr}");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), text);
    assert!(!hsm.path().join("config.bak").exists());

    // A check of a file in a folder that does not exist yet reads it as empty and creates
    // nothing; writing there is refused, naming the file.
    let first = hsm.path().join("no-such-folder").join("config");
    let output = ssh_config(&first, &["--identity", identity.to_str().unwrap(), "--check"]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(String::from_utf8_lossy(&output.stdout).contains("nothing written (--check)"));
    assert!(!hsm.path().join("no-such-folder").exists());
    let output = ssh_config(&first, &["--identity", identity.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains(&first.display().to_string()));

    // A file that is not a public key line is refused before anything is read.
    let pem = hsm.path().join("key.pem");
    std::fs::write(&pem, "-----BEGIN PUBLIC KEY-----\nMAA=\n-----END PUBLIC KEY-----\n").unwrap();
    let output = ssh_config(&file, &["--identity", pem.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("fxconfig pubkey"), "{stderr}");
}

/// The fingerprints sshd was offered, in order (its DEBUG1 `publickey test` lines).
fn offered(log: &str) -> Vec<String> {
    log.lines()
        .filter(|line| line.contains("publickey test pkalg"))
        .filter_map(|line| line.split_whitespace().find(|word| word.starts_with("SHA256:")))
        .map(str::to_owned)
        .collect()
}

fn fingerprint(line: &str, dir: &Path) -> String {
    let path = dir.join("fingerprint.pub");
    std::fs::write(&path, format!("{line}\n")).unwrap();
    let output = run_ok(Command::new("ssh-keygen").arg("-lf").arg(&path));
    String::from_utf8(output.stdout)
        .unwrap()
        .split_whitespace()
        .nth(1)
        .unwrap()
        .to_owned()
}

fn login(hsm: &Hsm, file: &Path, sshd: &Sshd) -> Output {
    let askpass = hsm.path().join("askpass.sh");
    std::fs::write(&askpass, format!("#!/bin/sh\necho '{PIN}'\n")).unwrap();
    run_ok(Command::new("chmod").arg("700").arg(&askpass));
    hsm.command("ssh")
        .arg("-F")
        .arg(file)
        .args(["-o", "StrictHostKeyChecking=yes", "-o"])
        .arg(format!("UserKnownHostsFile={}", sshd.known_hosts.display()))
        .args(["-o", "PasswordAuthentication=no", "hsm", "echo logged-in"])
        .env("SSH_ASKPASS", &askpass)
        .env("SSH_ASKPASS_REQUIRE", "force")
        .env_remove("SSH_AUTH_SOCK")
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

#[test]
fn ssh_alias_logs_in_with_the_token_key_and_offers_the_exported_one_alone() {
    let hsm = Hsm::new();
    hsm.keygen("rsa:2048", "third-key", "03");
    let (identity, line) = third_key_pub(&hsm);
    let sshd = Sshd::start_logging("", "DEBUG1");
    let port = sshd.port.to_string();
    let user = crate::support::sshd::current_user();

    // Without --identity, ssh offers every token key: with none of them authorized, sshd
    // sees all three before ssh gives up.
    std::fs::write(&sshd.authorized_keys, "").unwrap();
    let open = hsm.path().join("open_config");
    let output = ssh_config(&open, &["--hostname", "127.0.0.1", "--port", &port, "--user", &user]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let open_login = login(&hsm, &open, &sshd);
    assert!(!open_login.status.success());
    let exported = fingerprint(&line, hsm.path());
    let mut offered_open = offered(&sshd.log());
    offered_open.dedup();
    assert_eq!(
        offered_open.len(),
        3,
        "three token keys offered: {offered_open:?} / {}",
        sshd.log()
    );
    assert!(offered_open.contains(&exported));

    // With --identity: the same login offers the exported key alone.
    let restricted = hsm.path().join("config");
    let output = ssh_config(
        &restricted,
        &[
            "--hostname",
            "127.0.0.1",
            "--port",
            &port,
            "--user",
            &user,
            "--identity",
            identity.to_str().unwrap(),
        ],
    );
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(text.contains("proven: ssh -G"), "{text}");
    assert!(
        text.contains(&format!("  ssh -F {} hsm ", restricted.display())),
        "{text}"
    );
    assert!(text.contains(&format!("ssh-add -s {SOFTHSM}")), "{text}");
    std::fs::write(&sshd.authorized_keys, format!("{line}\n")).unwrap();
    let log_before = sshd.log().len();
    let restricted_login = login(&hsm, &restricted, &sshd);
    assert!(
        String::from_utf8_lossy(&restricted_login.stdout).contains("logged-in"),
        "{} / sshd: {}",
        String::from_utf8_lossy(&restricted_login.stderr),
        sshd.log()
    );
    let offered_restricted = offered(&sshd.log()[log_before..]);
    assert_eq!(offered_restricted, [exported], "sshd log: {}", sshd.log());
    assert!(sshd.log()[log_before..].contains(&format!("Accepted publickey for {user}")));

    // fxconfig's own checks say the same: through the alias, ssh.config sees the restriction,
    // ssh.keys finds the exported key among the three and offered alone, and ssh.login logs
    // in through the alias's block (no -I).
    let checks = |config: &Path| ssh_checks(&hsm, config, &identity, Some(&sshd.known_hosts));
    let restricted_checks = checks(&restricted);
    let config = find(&restricted_checks, "ssh.config");
    assert_eq!(config["status"], "pass", "{config}");
    assert!(
        config["detail"]
            .as_str()
            .unwrap()
            .contains("1 of the token's 3 key(s) offered"),
        "{config}"
    );
    let keys = find(&restricted_checks, "ssh.keys");
    assert_eq!(keys["status"], "pass", "{keys}");
    assert!(
        keys["detail"]
            .as_str()
            .unwrap()
            .contains("the exported key is 'third-key'"),
        "{keys}"
    );
    let login = find(&restricted_checks, "ssh.login");
    assert_eq!(login["status"], "pass", "{login} / sshd: {}", sshd.log());
    assert!(!serde_json::to_string(&restricted_checks).unwrap().contains(PIN));

    let open_checks = checks(&open);
    let config = find(&open_checks, "ssh.config");
    assert_eq!(config["status"], "warn", "{config}");
    assert!(
        config["detail"]
            .as_str()
            .unwrap()
            .contains("every one of the token's 3 keys"),
        "{config}"
    );
    assert!(
        config["remedy"]
            .as_str()
            .unwrap()
            .contains("fxconfig ssh-config --file"),
        "{config}"
    );
}

#[test]
fn a_certificate_of_the_token_key_is_named_and_one_of_another_key_is_flagged() {
    let hsm = Hsm::new();
    hsm.keygen("rsa:2048", "third-key", "03");
    let (identity, _) = third_key_pub(&hsm);
    let ca = hsm.path().join("user_ca");
    run_ok(
        Command::new("ssh-keygen")
            .args(["-q", "-t", "ed25519", "-N", "", "-f"])
            .arg(&ca),
    );
    let sign = |key: &Path| {
        run_ok(
            Command::new("ssh-keygen")
                .arg("-s")
                .arg(&ca)
                .args(["-q", "-I", "kmes-user", "-n", "admin"])
                .arg(key),
        );
        let name = key.file_stem().unwrap().to_str().unwrap().to_owned();
        key.with_file_name(format!("{name}-cert.pub"))
    };
    let good = sign(&identity);
    let other_key = hsm.path().join("other");
    run_ok(
        Command::new("ssh-keygen")
            .args(["-q", "-t", "ed25519", "-N", "", "-f"])
            .arg(&other_key),
    );
    let bad = sign(&other_key.with_extension("pub"));

    let keys_check = |certificate: &Path| -> Value {
        let file = hsm
            .path()
            .join(format!("config-{}", certificate.file_name().unwrap().to_str().unwrap()));
        let output = ssh_config(
            &file,
            &[
                "--hostname",
                "127.0.0.1",
                "--identity",
                identity.to_str().unwrap(),
                "--certificate",
                certificate.to_str().unwrap(),
            ],
        );
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        assert_eq!(resolved(&file, "certificatefile"), [certificate.display().to_string()]);
        find(&ssh_checks(&hsm, &file, &identity, None), "ssh.keys")
    };
    let with_good = keys_check(&good);
    assert_eq!(with_good["status"], "pass", "{with_good}");
    let with_bad = keys_check(&bad);
    assert_eq!(with_bad["status"], "warn", "{with_bad}");
    assert!(
        with_bad["detail"]
            .as_str()
            .unwrap()
            .contains("certifies another key, not a token key ssh offers"),
        "{with_bad}"
    );
}
