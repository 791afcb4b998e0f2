//! config.access and `--group`: the library runs as the user who runs ssh, so the files it
//! reads must be readable by that user. Run as root (as CI runs), with the system's own
//! `daemon` and `nobody` accounts, and the kernel's verdict (`runuser … cat`) as the reference.

use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;
use std::process::Command;

use crate::support::lab::{Lab, P12_PASSWORD};
use crate::support::tools::fxconfig;

fn is_root() -> bool {
    rustix::process::geteuid().is_root()
}

/// Whether the kernel lets `user` read `path`.
fn kernel_lets_read(user: &str, path: &Path) -> bool {
    Command::new("runuser")
        .args(["-u", user, "--", "cat"])
        .arg(path)
        .output()
        .expect("runuser runs")
        .status
        .success()
}

fn check_json(cfg: &Path, for_user: Option<&str>) -> serde_json::Value {
    let mut command = fxconfig();
    command.args(["check", "--json", "--timeout", "1", "--config"]).arg(cfg);
    if let Some(user) = for_user {
        command.args(["--for-user", user]);
    }
    let output = command.output().expect("fxconfig runs");
    serde_json::from_slice(&output.stdout).expect("JSON")
}

fn access(report: &serde_json::Value) -> (String, String) {
    let check = report["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .find(|check| check["id"] == "config.access")
        .expect("config.access is reported");
    (
        check["status"].as_str().unwrap_or_default().to_owned(),
        check["detail"].as_str().unwrap_or_default().to_owned(),
    )
}

/// A lab whose folder every user may pass through, as /etc is.
fn open_lab() -> Lab {
    let lab = Lab::new();
    fs::set_permissions(lab.dir.path(), fs::Permissions::from_mode(0o755)).expect("chmod");
    lab.write_cfg("127.0.0.1", 9);
    lab
}

#[test]
fn a_root_only_cfg_fails_for_another_user_naming_the_user_and_the_file() {
    assert!(
        is_root(),
        "this test examines other accounts' access: run it as root, as CI does"
    );
    let lab = open_lab();
    assert!(!kernel_lets_read("nobody", &lab.cfg), "the lab's cfg is 0600 root");
    let (status, detail) = access(&check_json(&lab.cfg, Some("nobody")));
    assert_eq!(status, "fail", "{detail}");
    assert!(
        detail.contains("nobody cannot read") && detail.contains(&lab.cfg.display().to_string()),
        "{detail}"
    );
    let (status, detail) = access(&check_json(&lab.cfg, Some("root")));
    assert_eq!(status, "pass", "{detail}");
    let (status, detail) = access(&check_json(&lab.cfg, Some("no-such-user-fx")));
    assert_eq!(status, "fail", "{detail}");
    assert!(detail.contains("no user named"), "{detail}");
    // Without --for-user, the check names who can read them.
    let (status, detail) = access(&check_json(&lab.cfg, None));
    assert_eq!(status, "pass", "{detail}");
    assert!(detail.contains("root only (mode 0600)"), "{detail}");
}

#[test]
fn a_folder_that_stops_the_user_is_named() {
    assert!(is_root(), "run as root, as CI does");
    let lab = Lab::new();
    fs::set_permissions(lab.dir.path(), fs::Permissions::from_mode(0o700)).expect("chmod");
    lab.write_cfg("127.0.0.1", 9);
    fs::set_permissions(&lab.cfg, fs::Permissions::from_mode(0o644)).expect("chmod");
    assert!(!kernel_lets_read("nobody", &lab.cfg));
    let (status, detail) = access(&check_json(&lab.cfg, Some("nobody")));
    assert_eq!(status, "fail", "{detail}");
    assert!(detail.contains("does not let nobody through"), "{detail}");
}

#[test]
fn config_init_and_import_with_group_let_its_members_read_and_no_one_else() {
    assert!(is_root(), "run as root, as CI does");
    let lab = open_lab();
    let cfg = lab.dir.path().join("grouped.cfg");
    let output = fxconfig()
        .args(["config", "init"])
        .arg(&cfg)
        .args(["--group", "daemon"])
        .output()
        .expect("fxconfig runs");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let said = String::from_utf8_lossy(&output.stdout);
    assert!(said.contains("group daemon") && said.contains("mode 0640"), "{said}");
    let meta = fs::metadata(&cfg).expect("cfg");
    assert_eq!((meta.mode() & 0o777, meta.uid()), (0o640, 0));
    // The kernel agrees: the group's member reads it, another user does not.
    assert!(kernel_lets_read("daemon", &cfg));
    assert!(!kernel_lets_read("nobody", &cfg));

    let dest = lab.dir.path().join("materials");
    fs::create_dir(&dest).expect("folder");
    fs::set_permissions(&dest, fs::Permissions::from_mode(0o755)).expect("chmod");
    let output = fxconfig()
        .args(["import", "--config"])
        .arg(&cfg)
        .arg("--ca")
        .arg(&lab.files.ca_cert)
        .arg("--p12")
        .arg(&lab.files.client_p12)
        .args(["--password-env", "FX_TEST_P12", "--group", "daemon", "--dest"])
        .arg(&dest)
        .env("FX_TEST_P12", P12_PASSWORD)
        .output()
        .expect("fxconfig runs");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    for entry in fs::read_dir(&dest).expect("folder") {
        let path = entry.expect("entry").path();
        assert!(kernel_lets_read("daemon", &path), "{}", path.display());
        assert!(!kernel_lets_read("nobody", &path), "{}", path.display());
    }
    // config.permissions accepts the group and names it; config.access agrees with the kernel.
    let report = check_json(&cfg, Some("daemon"));
    let (status, detail) = access(&report);
    assert_eq!(status, "pass", "{detail}");
    let permissions = report["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .find(|check| check["id"] == "config.permissions")
        .expect("config.permissions");
    assert_eq!(permissions["status"], "pass", "{permissions}");
    assert!(
        permissions["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("group daemon"),
        "{permissions}"
    );
    let (status, detail) = access(&check_json(&cfg, Some("nobody")));
    assert_eq!(status, "fail", "{detail}");
}

#[test]
fn an_unknown_group_is_refused_before_anything_is_written() {
    let dir = tempfile::tempdir().expect("folder");
    let cfg = dir.path().join("fx.cfg");
    let output = fxconfig()
        .args(["config", "init"])
        .arg(&cfg)
        .args(["--group", "no-such-group-fx"])
        .output()
        .expect("fxconfig runs");
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("no group named"));
    assert!(!cfg.exists());
}

/// Issue 19, fault 1: in a sticky folder every user may write to, another user pre-creates the
/// lock file's name. Whatever they put there — a FIFO, a symbolic link to a FIFO, a file of
/// their own — `config set` ends within its 10 s bound, naming the lock file, and changes
/// nothing.
#[test]
fn a_lock_file_another_user_planted_never_hangs_or_redirects_a_save() {
    assert!(is_root(), "run as root, as CI does: it plays two other users");
    let shared = tempfile::tempdir().expect("folder");
    fs::set_permissions(shared.path(), fs::Permissions::from_mode(0o1777)).expect("chmod 1777");
    let lab = Lab::new();
    let text = fs::read(lab.write_cfg("127.0.0.1", 9)).expect("cfg");
    let cfg = shared.path().join("fx.cfg");
    let lock = shared.path().join(".fx.cfg.lock");
    let fifo = shared.path().join("planted-fifo");
    let plant = |command: &[&str]| {
        let status = Command::new("runuser")
            .args(["-u", "nobody", "--"])
            .args(command)
            .status()
            .expect("runuser runs");
        assert!(status.success(), "{command:?}");
    };
    let cases: [(&str, &dyn Fn()); 3] = [
        ("a FIFO", &|| plant(&["mkfifo", "-m644", lock.to_str().unwrap()])),
        ("a symbolic link to a FIFO", &|| {
            plant(&["mkfifo", "-m666", fifo.to_str().unwrap()]);
            plant(&["ln", "-s", fifo.to_str().unwrap(), lock.to_str().unwrap()]);
        }),
        ("a file of another user", &|| plant(&["touch", lock.to_str().unwrap()])),
    ];
    for (what, make) in cases {
        let _ = fs::remove_file(&lock);
        let _ = fs::remove_file(&fifo);
        fs::write(&cfg, &text).expect("cfg");
        std::os::unix::fs::chown(&cfg, Some(1), Some(1)).expect("chown daemon");
        make();
        for user in ["daemon", "root"] {
            let started = std::time::Instant::now();
            let output = Command::new("timeout")
                .args(["20", "runuser", "-u", user, "--"])
                .arg(crate::support::tools::FXCONFIG)
                .args(["config", "set"])
                .arg(&cfg)
                .arg("SLOT=5")
                .env_remove("FXPKCS11_CFG")
                .output()
                .expect("runs");
            let elapsed = started.elapsed();
            let said = String::from_utf8_lossy(&output.stderr);
            assert_ne!(
                output.status.code(),
                Some(124),
                "{what}, as {user}: hung until timeout(1) killed it"
            );
            assert!(elapsed.as_secs() < 11, "{what}, as {user}: took {elapsed:?}");
            assert!(!output.status.success(), "{what}, as {user}: the save went ahead");
            assert!(said.contains(lock.to_str().unwrap()), "{what}, as {user}: {said}");
            assert_eq!(
                fs::read(&cfg).expect("cfg"),
                text,
                "{what}, as {user}: the file changed"
            );
        }
    }
}
