//! The guide's [5] end to end: OpenSSH's `sshd` on a loopback port with its own
//! configuration and host key, a SoftHSM2 token holding the client key, the
//! authorized_keys line produced by fxconfig, and the system's `ssh -I`.

use std::process::{Command, Stdio};

use fxconfig::pkcs11::ssh::{self, HostKeys, SshLoginOptions, SshTarget, SshVerdict};
use serde_json::Value;

use crate::support::lab::Lab;
use crate::support::net::free_port;
use crate::support::softhsm::{Hsm, PIN, SOFTHSM};
use crate::support::sshd::{Sshd, current_user};
use crate::support::tools::{FXCONFIG, run_ok};

/// The authorized_keys lines fxconfig prints for the token.
fn fxconfig_pubkeys(hsm: &Hsm) -> String {
    String::from_utf8(run_ok(hsm.command(FXCONFIG).args(["p11", "--module", SOFTHSM, "pubkeys"])).stdout).unwrap()
}

#[test]
fn ssh_with_the_module_logs_in_and_fxconfigs_check_passes() {
    let hsm = Hsm::new();
    let sshd = Sshd::start(&fxconfig_pubkeys(&hsm));

    // The system's own client first, as the guide runs it; its PIN comes from a test askpass script.
    let askpass = hsm.path().join("askpass.sh");
    std::fs::write(&askpass, format!("#!/bin/sh\necho '{PIN}'\n")).unwrap();
    run_ok(Command::new("chmod").arg("700").arg(&askpass));
    let plain = hsm
        .command("ssh")
        .args([
            "-I",
            SOFTHSM,
            "-o",
            "IdentityAgent=none",
            "-o",
            "StrictHostKeyChecking=yes",
            "-o",
        ])
        .arg(format!("UserKnownHostsFile={}", sshd.known_hosts.display()))
        .args(["-o", "PasswordAuthentication=no", "-p", &sshd.port.to_string()])
        .arg(format!("{}@127.0.0.1", current_user()))
        .arg("echo logged-in")
        .env("SSH_ASKPASS", &askpass)
        .env("SSH_ASKPASS_REQUIRE", "force")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(
        plain.status.success() && String::from_utf8_lossy(&plain.stdout).contains("logged-in"),
        "ssh -I: {} / sshd: {}",
        String::from_utf8_lossy(&plain.stderr),
        sshd.log()
    );

    // Then fxconfig's check, with a working Host API configuration so every check can pass.
    let lab = Lab::new();
    let sim = lab.start_sim(None);
    lab.write_cfg("127.0.0.1", sim.local_addr().port());
    let output = hsm
        .command(FXCONFIG)
        .args(["check", "--json", "--config"])
        .arg(&lab.cfg)
        .args(["--module", SOFTHSM, "--pin-env", "TEST_PIN", "--ssh"])
        .arg(sshd.target().to_string())
        .arg("--ssh-known-hosts")
        .arg(&sshd.known_hosts)
        .env("TEST_PIN", PIN)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let json: Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"));
    let checks = json["checks"].as_array().unwrap();
    let ssh_check = checks
        .iter()
        .find(|c| c["id"] == "ssh.login")
        .expect("ssh.login reported");
    assert_eq!(ssh_check["status"], "pass", "{ssh_check} / sshd: {}", sshd.log());
    assert!(ssh_check["detail"].as_str().unwrap().contains("token"), "{ssh_check}");
    for check in checks {
        assert_ne!(check["status"], "fail", "{check}");
    }
    assert_eq!(output.status.code(), Some(0));
    assert!(!stdout.contains(PIN), "the PIN is never printed");
    assert!(sshd.log().contains("Accepted publickey"), "{}", sshd.log());
}

#[test]
fn without_a_pin_the_check_points_at_require_login_flag() {
    let hsm = Hsm::new();
    let sshd = Sshd::start(&fxconfig_pubkeys(&hsm));
    let report = ssh::login(&sshd.options(None), &hsm.helper());
    assert_eq!(report.verdict, SshVerdict::PinRequired, "{report:?}");
    assert!(report.remedy.contains("REQUIRE-LOGIN-FLAG"), "{report:?}");
    assert_eq!(report.guide, "4.2");
    assert!(report.command.contains("BatchMode=yes"));
}

/// Run as another local user, ssh loads the module as that user: the same login that works
/// as root fails for `nobody`, who cannot reach the token (SoftHSM's files, private to root
/// in the test's folder), just as fxpkcs11 fails for a user who cannot read its cfg.
#[test]
fn run_as_another_user_the_login_shows_what_that_user_sees() {
    assert!(
        rustix::process::geteuid().is_root(),
        "runuser needs root, as CI runs the tests"
    );
    let hsm = Hsm::new();
    let sshd = Sshd::start(&fxconfig_pubkeys(&hsm));
    let as_root = ssh::login(&sshd.options(Some(PIN)), &hsm.helper());
    assert_eq!(
        as_root.verdict,
        SshVerdict::Success,
        "{as_root:?} / sshd: {}",
        sshd.log()
    );
    let options = SshLoginOptions {
        run_as: Some("nobody".into()),
        ..sshd.options(Some(PIN))
    };
    let as_nobody = ssh::login(&options, &hsm.helper());
    assert!(as_nobody.command.starts_with("runuser -u nobody -- "), "{as_nobody:?}");
    assert_ne!(as_nobody.verdict, SshVerdict::Success, "{as_nobody:?}");
    assert!(!format!("{as_nobody:?}").contains(PIN));
}

#[test]
fn another_key_in_authorized_keys_is_explained_with_section_4_1() {
    let hsm = Hsm::new();
    let other = tempfile::tempdir().unwrap();
    let other_key = other.path().join("id_ed25519");
    run_ok(
        Command::new("ssh-keygen")
            .args(["-q", "-t", "ed25519", "-N", "", "-f"])
            .arg(&other_key),
    );
    let sshd = Sshd::start(&std::fs::read_to_string(other_key.with_extension("pub")).unwrap());
    let report = ssh::login(&sshd.options(Some(PIN)), &hsm.helper());
    assert_eq!(report.verdict, SshVerdict::KeyNotAuthorized, "{report:?}");
    assert!(report.detail.contains("authorized_keys"), "{report:?}");
    assert!(
        report.detail.contains("Permission denied"),
        "ssh's own words are kept: {report:?}"
    );
    assert_eq!(report.guide, "4.1");
    assert!(!format!("{report:?}").contains(PIN));
    let authorized = std::fs::read_to_string(&sshd.authorized_keys).unwrap();
    assert!(
        authorized.starts_with("ssh-ed25519 "),
        "only the other key is authorised: {authorized}"
    );
}

#[test]
fn refused_connections_and_unknown_host_keys_are_named() {
    let hsm = Hsm::new();
    let closed: SshTarget = format!("{}@127.0.0.1:{}", current_user(), free_port()).parse().unwrap();
    let refused = ssh::login(&SshLoginOptions::new(SOFTHSM, closed), &hsm.helper());
    assert_eq!(refused.verdict, SshVerdict::ConnectionRefused, "{refused:?}");

    let sshd = Sshd::start(&fxconfig_pubkeys(&hsm));
    let empty = sshd.path().join("empty_known_hosts");
    std::fs::write(&empty, "").unwrap();
    let options = SshLoginOptions {
        host_keys: HostKeys::File(empty),
        ..sshd.options(None)
    };
    let report = ssh::login(&options, &hsm.helper());
    assert_eq!(report.verdict, SshVerdict::HostKeyVerificationFailed, "{report:?}");
    assert!(report.ms < 20_000, "answered within the time bound: {report:?}");
}
