//! `fxconfig config init`: the guide's layout with empty values, mode 0600, never replacing
//! a file unasked, the library's file by default, and a folder it cannot write named
//! before anything is tried, with the commands that put the file there.

use std::fs;
use std::path::Path;
use std::process::Command;

use fxconfig::cfg::blank_template;

use super::process::{all_output, stdout_of};
use crate::support::lab::{Lab, OPERATOR_PASSWORD, P12_PASSWORD};
use crate::support::tools::{FXCONFIG, fxconfig};

#[cfg(unix)]
fn mode_of(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    fs::metadata(path).unwrap().permissions().mode() & 0o7777
}

#[test]
fn config_init_writes_the_guide_layout_and_never_replaces_unasked() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("fxpkcs11.cfg");
    let output = fxconfig().args(["config", "init"]).arg(&cfg).output().unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", all_output(&output));
    let text = stdout_of(&output);
    assert!(text.contains(&format!("created {}", cfg.display())), "{text}");
    assert!(
        text.contains("not this file") && text.contains("export FXPKCS11_CFG="),
        "{text}"
    );
    for tag in ["ADDRESS", "PROD-PORT", "PROD-TLS-CA", "PROD-TLS-KEY", "CRYPTO-OPR"] {
        assert!(text.contains(&format!("{tag} ")), "{tag} named as to fill in: {text}");
    }
    assert_eq!(fs::read_to_string(&cfg).unwrap(), blank_template());
    #[cfg(unix)]
    assert_eq!(mode_of(&cfg), 0o600);

    let validate = fxconfig().args(["config", "validate"]).arg(&cfg).output().unwrap();
    assert_eq!(validate.status.code(), Some(1));
    let findings = stdout_of(&validate);
    for tag in ["ADDRESS", "PROD-PORT", "PROD-TLS-CA", "PROD-TLS-KEY"] {
        assert!(
            findings
                .lines()
                .any(|line| line.contains(": error: ") && line.contains(tag)),
            "{tag}: {findings}"
        );
    }

    let edited = "<KMS>\n    <ADDRESS> kmes.example </ADDRESS>\n</KMS>\n";
    fs::write(&cfg, edited).unwrap();
    let again = fxconfig().args(["config", "init"]).arg(&cfg).output().unwrap();
    assert_eq!(again.status.code(), Some(2));
    let said = all_output(&again);
    assert!(said.contains("already exists") && said.contains("--force"), "{said}");
    assert_eq!(fs::read_to_string(&cfg).unwrap(), edited);

    let forced = fxconfig()
        .args(["config", "init", "--force"])
        .arg(&cfg)
        .output()
        .unwrap();
    assert_eq!(forced.status.code(), Some(0), "{}", all_output(&forced));
    assert!(stdout_of(&forced).contains("replaced"));
    assert_eq!(fs::read_to_string(&cfg).unwrap(), blank_template());
    assert_eq!(fs::read_to_string(dir.path().join("fxpkcs11.cfg.bak")).unwrap(), edited);
}

#[test]
fn config_init_without_a_path_writes_the_file_fxpkcs11_cfg_names() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("named.cfg");
    let output = fxconfig()
        .args(["config", "init"])
        .env("FXPKCS11_CFG", &cfg)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", all_output(&output));
    let text = stdout_of(&output);
    assert!(
        text.contains("the PKCS#11 library reads this file (set by FXPKCS11_CFG)"),
        "{text}"
    );
    assert_eq!(fs::read_to_string(&cfg).unwrap(), blank_template());
}

#[test]
fn config_init_then_set_gives_a_valid_configuration() {
    let lab = Lab::new();
    fxconfig().args(["config", "init"]).arg(&lab.cfg).output().unwrap();
    let set = fxconfig()
        .args(["config", "set"])
        .arg(&lab.cfg)
        .args([
            "CRYPTO-OPR=crypto1",
            "KEYGROUP-NAME=keygroup1",
            "ADDRESS=127.0.0.1",
            "PROD-PORT=2001",
        ])
        .arg(format!("PROD-TLS-CA={}", lab.files.ca_cert.display()))
        .arg(format!("PROD-TLS-KEY={}", lab.files.client_p12.display()))
        .args([
            "--secret-env",
            "PROD-TLS-KEY-PASS=FX_TEST_P12",
            "--secret-env",
            "CRYPTO-OPR-PASS=FX_TEST_OPR",
        ])
        .env("FX_TEST_P12", P12_PASSWORD)
        .env("FX_TEST_OPR", OPERATOR_PASSWORD)
        .output()
        .unwrap();
    assert!(set.status.success(), "{}", all_output(&set));
    let validate = fxconfig().args(["config", "validate"]).arg(&lab.cfg).output().unwrap();
    assert_eq!(validate.status.code(), Some(0), "{}", all_output(&validate));
    assert!(stdout_of(&validate).contains("0 errors, 0 warnings"));
    let text = fs::read_to_string(&lab.cfg).unwrap();
    assert!(
        text.contains("    <ADDRESS>                127.0.0.1   </ADDRESS>\n"),
        "the values fill the template's columns: {text}"
    );
    #[cfg(unix)]
    assert_eq!(mode_of(&lab.cfg), 0o600);
}

/// Runs `fxconfig config init TARGET` as an account that cannot write TARGET's folder: as
/// the unprivileged `nobody` (through `setpriv`) when the tests run as root, whom folder
/// modes do not stop. `None` when that is needed but `setpriv` is missing.
#[cfg(unix)]
fn init_without_write_access(folder: &Path, target: &Path, home: &Path) -> Option<std::process::Output> {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(folder, fs::Permissions::from_mode(0o555)).unwrap();
    let probe = folder.join("probe");
    let privileged = fs::write(&probe, b"").is_ok();
    let mut command = if privileged {
        fs::remove_file(&probe).unwrap();
        let mut command = Command::new("setpriv");
        command.args(["--reuid=65534", "--regid=65534", "--clear-groups", FXCONFIG]);
        command
    } else {
        Command::new(FXCONFIG)
    };
    command
        .args(["config", "init"])
        .arg(target)
        .env_remove("FXPKCS11_CFG")
        .env("HOME", home);
    match command.output() {
        Ok(output) => Some(output),
        Err(error) if privileged => {
            eprintln!("skipped: running privileged and setpriv is unavailable ({error})");
            None
        }
        Err(error) => panic!("{error}"),
    }
}

#[cfg(unix)]
#[test]
fn config_init_names_a_folder_it_cannot_write_before_trying() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o755)).unwrap();
    let folder = dir.path().join("etc");
    fs::create_dir(&folder).unwrap();
    let target = folder.join("fxpkcs11.cfg");
    let home = dir.path().join("home");
    let Some(output) = init_without_write_access(&folder, &target, &home) else {
        return;
    };
    assert_eq!(output.status.code(), Some(2), "{}", all_output(&output));
    let said = all_output(&output);
    let elsewhere = home.join("fxpkcs11.cfg");
    assert!(
        said.contains(&format!("cannot create files in {}", folder.display())),
        "{said}"
    );
    assert!(
        said.contains(&format!(
            "sudo install -m 600 {} {}",
            elsewhere.display(),
            target.display()
        )),
        "{said}"
    );
    assert!(
        said.contains(&format!("export FXPKCS11_CFG={}", elsewhere.display())),
        "{said}"
    );
    assert_eq!(fs::read_dir(&folder).unwrap().count(), 0, "nothing written");
    fs::set_permissions(&folder, fs::Permissions::from_mode(0o755)).unwrap();
}
