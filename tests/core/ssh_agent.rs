//! `ssh.agent` against OpenSSH's real `ssh-agent`: the check's prediction for a module
//! under `/usr/local/bin/…` (the guide's install folder) and one under `/usr/lib/…`, then
//! `ssh-add -s` on the same agent, which must agree with both; and the agent's own
//! `FXPKCS11_CFG`, read from `/proc`, against the configuration checked.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::softhsm::{Hsm, PIN, SOFTHSM};
use crate::support::tools::{FXCONFIG, run_ok};

/// An `ssh-agent -D` of its own on a socket in a temporary folder, with `FXPKCS11_CFG` set
/// to `cfg` in its environment; stopped on drop.
struct Agent {
    child: Child,
    socket: PathBuf,
}

impl Agent {
    fn start(hsm: &Hsm, cfg: &Path) -> Agent {
        let socket = hsm.path().join(format!("agent-{}.sock", std::process::id()));
        let child = hsm
            .command("ssh-agent")
            .arg("-D")
            .arg("-a")
            .arg(&socket)
            .env("FXPKCS11_CFG", cfg)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("ssh-agent starts");
        let deadline = Instant::now() + Duration::from_secs(10);
        while !socket.exists() {
            assert!(Instant::now() < deadline, "ssh-agent made no socket");
            std::thread::sleep(Duration::from_millis(20));
        }
        Agent { child, socket }
    }

    /// `ssh-add -s MODULE`, the PIN from an askpass script.
    fn add(&self, hsm: &Hsm, module: &Path) -> Output {
        let askpass = hsm.path().join("askpass.sh");
        std::fs::write(&askpass, format!("#!/bin/sh\necho '{PIN}'\n")).unwrap();
        run_ok(Command::new("chmod").arg("700").arg(&askpass));
        hsm.command("ssh-add")
            .arg("-s")
            .arg(module)
            .env("SSH_AUTH_SOCK", &self.socket)
            .env("SSH_ASKPASS", &askpass)
            .env("SSH_ASKPASS_REQUIRE", "force")
            .stdin(Stdio::null())
            .output()
            .unwrap()
    }

    /// `fxconfig check --module MODULE --config CFG --json` with this agent, and its
    /// `ssh.agent` result.
    fn check(&self, hsm: &Hsm, module: &Path, cfg: &Path) -> Value {
        let output = hsm
            .command(FXCONFIG)
            .args(["check", "--json", "--config"])
            .arg(cfg)
            .arg("--module")
            .arg(module)
            .args(["--pin-env", "TEST_PIN"])
            .env("TEST_PIN", PIN)
            .env("SSH_AUTH_SOCK", &self.socket)
            .output()
            .unwrap();
        let json: Value = serde_json::from_slice(&output.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&output.stderr)));
        json["checks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|check| check["id"] == "ssh.agent")
            .cloned()
            .expect("ssh.agent reported")
    }
}

impl Drop for Agent {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A copy of SoftHSM's module in the guide's install folder, `/usr/local/bin/…`, removed on
/// drop.
struct GuideCopy {
    dir: PathBuf,
    module: PathBuf,
}

impl GuideCopy {
    fn new() -> GuideCopy {
        assert!(
            rustix::process::geteuid().is_root(),
            "the copy under /usr/local/bin needs root, as CI runs the tests"
        );
        let dir = PathBuf::from(format!("/usr/local/bin/fxconfig-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let module = dir.join("libsofthsm2.so");
        std::fs::copy(SOFTHSM, &module).unwrap();
        GuideCopy { dir, module }
    }
}

impl Drop for GuideCopy {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[test]
fn the_agent_prediction_agrees_with_ssh_agent_for_both_install_folders() {
    let hsm = Hsm::new();
    let cfg = hsm.path().join("fxpkcs11.cfg");
    std::fs::write(&cfg, "<KMS>\n</KMS>\n").unwrap();
    let agent = Agent::start(&hsm, &cfg);
    let copy = GuideCopy::new();

    // Under /usr/local/bin: predicted refused, and ssh-agent refuses.
    let refused = agent.check(&hsm, &copy.module, &cfg);
    assert_eq!(refused["status"], "warn", "{refused}");
    let detail = refused["detail"].as_str().unwrap();
    assert!(detail.contains("would refuse ssh-add -s"), "{refused}");
    assert!(detail.contains("default allowlist"), "{refused}");
    assert!(
        refused["remedy"]
            .as_str()
            .unwrap()
            .contains("/usr/local/lib/fxpkcs11/libsofthsm2.so")
    );
    let added = agent.add(&hsm, &copy.module);
    assert!(!added.status.success(), "ssh-agent accepted what was predicted refused");
    assert!(
        String::from_utf8_lossy(&added.stderr).contains("agent refused operation"),
        "{}",
        String::from_utf8_lossy(&added.stderr)
    );

    // With the copy the remedy names in place (same bytes), the remedy says to add that path, and
    // ssh-agent takes it.
    let home = Path::new("/usr/local/lib/fxpkcs11");
    let placed = home.join("libsofthsm2.so");
    assert!(!placed.exists(), "{} is left from elsewhere", placed.display());
    std::fs::create_dir_all(home).unwrap();
    std::fs::copy(SOFTHSM, &placed).unwrap();
    let with_copy = agent.check(&hsm, &copy.module, &cfg);
    let _ = std::fs::remove_file(&placed);
    let _ = std::fs::remove_dir(home);
    assert!(
        with_copy["remedy"]
            .as_str()
            .unwrap()
            .contains("/usr/local/lib/fxpkcs11/libsofthsm2.so is already a copy of the module (same SHA-256)"),
        "{with_copy}"
    );

    // Under /usr/lib (through Debian's link to the multiarch folder): predicted accepted, with
    // the agent's own FXPKCS11_CFG naming the cfg checked, and ssh-agent accepts.
    let module = Path::new(SOFTHSM);
    let accepted = agent.check(&hsm, module, &cfg);
    assert_eq!(accepted["status"], "pass", "{accepted}");
    let detail = accepted["detail"].as_str().unwrap();
    assert!(
        detail.contains("x86_64-linux-gnu/softhsm/libsofthsm2.so"),
        "the real path: {accepted}"
    );
    assert!(detail.contains(&cfg.display().to_string()), "{accepted}");
    let added = agent.add(&hsm, module);
    assert!(added.status.success(), "{}", String::from_utf8_lossy(&added.stderr));
    let listed = run_ok(Command::new("ssh-add").arg("-l").env("SSH_AUTH_SOCK", &agent.socket));
    assert_eq!(
        String::from_utf8_lossy(&listed.stdout).lines().count(),
        2,
        "the token's two keys"
    );

    // Checked against another cfg, the same agent is a warning: its module reads the agent's.
    let other = hsm.path().join("other.cfg");
    std::fs::write(&other, "<KMS>\n</KMS>\n").unwrap();
    let elsewhere = agent.check(&hsm, module, &other);
    assert_eq!(elsewhere["status"], "warn", "{elsewhere}");
    assert!(
        elsewhere["remedy"]
            .as_str()
            .unwrap()
            .contains(&format!("FXPKCS11_CFG={} ssh-agent", other.display())),
        "{elsewhere}"
    );
}
