//! Issue 10 from the command line: concurrent `config set` runs lose nothing (B1), the
//! ACL survives a save (B2), import is all or nothing (B6) and warns about a readable
//! file (B7), output errors end quietly (B8), and inputs are bounded.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command as StdCommand, Output, Stdio};
use std::time::{Duration, Instant};

use fxconfig::Secret;
use serde_json::Value;

use super::process::all_output;
use crate::support::lab::{Lab, P12_PASSWORD};
use crate::support::net::free_port;
use crate::support::tools::{FXCONFIG, fxconfig};

const GUIDE_EXAMPLE: &[u8] = include_bytes!("../fixtures/cfg/guide_example.cfg");

fn binary() -> PathBuf {
    PathBuf::from(FXCONFIG)
}

/// Runs `command` to completion, failing the test if it takes longer than `limit` (a
/// guard against a hang, not a speed measurement). Its output is read as it comes.
fn run_within(command: &mut StdCommand, limit: Duration) -> Output {
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start fxconfig");
    let drain = |stream: Option<Box<dyn std::io::Read + Send>>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            if let Some(mut stream) = stream {
                let _ = stream.read_to_end(&mut bytes);
            }
            bytes
        })
    };
    let stdout = drain(
        child
            .stdout
            .take()
            .map(|s| Box::new(s) as Box<dyn std::io::Read + Send>),
    );
    let stderr = drain(
        child
            .stderr
            .take()
            .map(|s| Box::new(s) as Box<dyn std::io::Read + Send>),
    );
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("poll") {
            break status;
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("fxconfig did not finish within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Output {
        status,
        stdout: stdout.join().expect("stdout reader"),
        stderr: stderr.join().expect("stderr reader"),
    }
}

fn stderr_of(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn tag_value(path: &Path, tag: &str) -> Option<String> {
    fxconfig::cfg::CfgFile::load(path)
        .expect("reload")
        .doc
        .get(None, tag)
        .map(|entry| entry.value)
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    fs::metadata(path).expect("metadata").permissions().mode() & 0o7777
}

#[cfg(unix)]
fn chmod(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).expect("chmod");
}

// ---------------------------------------------------------------- B1: lost update

#[test]
fn a_hundred_concurrent_pairs_of_config_set_lose_nothing() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("c.cfg");
    let (mut kept, mut lost, mut failed) = (0, Vec::new(), Vec::new());
    for pair in 0..100 {
        fs::write(&path, GUIDE_EXAMPLE).expect("cfg file");
        let start = |assignment: &str| {
            StdCommand::new(binary())
                .args(["config", "set"])
                .arg(&path)
                .arg(assignment)
                .env_remove("FXPKCS11_CFG")
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .expect("start config set")
        };
        let first = start("CRYPTO-OPR=A");
        let second = start("KEYGROUP-NAME=B");
        let outputs = [first, second].map(|child| child.wait_with_output().expect("wait"));
        if let Some(output) = outputs.iter().find(|output| !output.status.success()) {
            failed.push(format!("pair {pair}: {}", stderr_of(output)));
            continue;
        }
        let a = tag_value(&path, "CRYPTO-OPR");
        let b = tag_value(&path, "KEYGROUP-NAME");
        if a.as_deref() == Some("A") && b.as_deref() == Some("B") {
            kept += 1;
        } else {
            lost.push(format!("pair {pair}: CRYPTO-OPR={a:?} KEYGROUP-NAME={b:?}"));
        }
    }
    assert!(
        lost.is_empty(),
        "in {} of 100 pairs both runs exited 0 but a change was lost, such as {:?}",
        lost.len(),
        lost.first()
    );
    assert!(failed.is_empty(), "a run failed: {failed:?}");
    assert_eq!(kept, 100);
}

// ---------------------------------------------------------------- B2: access carried over

#[cfg(unix)]
#[test]
fn config_set_keeps_the_acl_and_does_not_widen_the_group() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("a.cfg");
    fs::write(&path, GUIDE_EXAMPLE).expect("cfg file");
    chmod(&path, 0o600);
    let setfacl = StdCommand::new("setfacl")
        .args(["-m", "u:nobody:r"])
        .arg(&path)
        .status()
        .expect("setfacl (package acl, tests/system-deps.sh)");
    assert!(setfacl.success());

    let output = fxconfig()
        .args(["config", "set"])
        .arg(&path)
        .arg("SLOT=1")
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", all_output(&output));
    let acl = StdCommand::new("getfacl")
        .arg("-c")
        .arg(&path)
        .output()
        .expect("getfacl");
    let acl = String::from_utf8_lossy(&acl.stdout);
    assert!(acl.contains("user:nobody:r--"), "the service user lost access: {acl}");
    assert!(acl.contains("group::---"), "the group was widened: {acl}");
    assert_eq!(tag_value(&path, "SLOT").as_deref(), Some("1"));
}

#[cfg(unix)]
#[test]
fn a_hard_linked_cfg_is_refused_with_an_explanation() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("a.cfg");
    fs::write(&path, GUIDE_EXAMPLE).expect("cfg file");
    fs::hard_link(&path, dir.path().join("b.cfg")).expect("hard link");
    let output = fxconfig()
        .args(["config", "set"])
        .arg(&path)
        .arg("SLOT=1")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr_of(&output).contains("hard links"), "{}", stderr_of(&output));
    assert_eq!(fs::read(&path).expect("unchanged"), GUIDE_EXAMPLE);
}

// ---------------------------------------------------------------- B6: import all or nothing

fn import_command(config: &Path, lab_files: &fxconfig::pki::DemoFiles, dest: Option<&Path>) -> StdCommand {
    let mut command = StdCommand::new(binary());
    command
        .env_remove("FXPKCS11_CFG")
        .args(["import", "--password-env", "P12_PASS", "--config"])
        .arg(config)
        .arg("--ca")
        .arg(&lab_files.ca_cert)
        .arg("--p12")
        .arg(&lab_files.client_p12);
    if let Some(dest) = dest {
        command.arg("--dest").arg(dest);
    }
    command
}

fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .map(|listing| {
            listing
                .map(|entry| entry.expect("entry").file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

#[test]
fn a_failed_import_leaves_nothing_new() {
    // A password with leading spaces cannot be stored in the file: refused before any copy.
    let spaced = "  spaced-Pass-1";
    let source = tempfile::tempdir().expect("temp dir");
    let files = fxconfig::pki::write_demo(source.path(), &Secret::new(spaced)).expect("demo PKI");
    let target = tempfile::tempdir().expect("temp dir");
    let cfg = target.path().join("fxpkcs11.cfg");
    fs::write(&cfg, GUIDE_EXAMPLE).expect("cfg");
    let new_dest = target.path().join("new").join("certs");
    for dest in [None, Some(new_dest.as_path())] {
        let output = run_within(
            import_command(&cfg, &files, dest).env("P12_PASS", spaced),
            Duration::from_secs(60),
        );
        assert_eq!(output.status.code(), Some(2), "{}", all_output(&output));
        assert!(
            stderr_of(&output).contains("PROD-TLS-KEY-PASS"),
            "{}",
            stderr_of(&output)
        );
        assert!(!all_output(&output).contains(spaced));
        assert_eq!(fs::read(&cfg).expect("cfg"), GUIDE_EXAMPLE);
        assert_eq!(
            names(target.path()),
            ["fxpkcs11.cfg"],
            "something new remained (refused before the lock is taken)"
        );
    }

    // A configuration that is a symbolic link to nothing: refused before any copy.
    #[cfg(unix)]
    {
        let dangling = target.path().join("dangling.cfg");
        std::os::unix::fs::symlink(target.path().join("missing").join("real.cfg"), &dangling).expect("symlink");
        let good = Lab::new();
        let output = run_within(
            import_command(&dangling, &good.files, None).env("P12_PASS", P12_PASSWORD),
            Duration::from_secs(60),
        );
        assert_eq!(output.status.code(), Some(2), "{}", all_output(&output));
        assert!(stderr_of(&output).contains("does not exist"), "{}", stderr_of(&output));
        assert_eq!(names(target.path()), ["dangling.cfg", "fxpkcs11.cfg"]);
    }
}

#[cfg(unix)]
#[test]
fn import_under_umask_000_creates_nothing_wider_than_0755() {
    let lab = Lab::new();
    let target = tempfile::tempdir().expect("temp dir");
    let cfg = target.path().join("etc").join("fxpkcs11.cfg");
    let dest = target.path().join("certs").join("client");
    let mut command = StdCommand::new("sh");
    command
        .env("P12_PASS", P12_PASSWORD)
        .env_remove("FXPKCS11_CFG")
        .arg("-c")
        .arg("umask 000 && exec \"$@\"")
        .arg("sh")
        .arg(binary())
        .args(["import", "--password-env", "P12_PASS", "--config"])
        .arg(&cfg)
        .arg("--ca")
        .arg(&lab.files.ca_cert)
        .arg("--p12")
        .arg(&lab.files.client_p12)
        .arg("--dest")
        .arg(&dest);
    fs::create_dir(cfg.parent().expect("folder")).expect("cfg folder");
    chmod(cfg.parent().expect("folder"), 0o755);
    let output = run_within(&mut command, Duration::from_secs(60));
    assert!(output.status.success(), "{}", all_output(&output));
    assert_eq!(mode(&target.path().join("certs")), 0o755);
    assert_eq!(mode(&dest), 0o755);
    assert_eq!(mode(&cfg), 0o600);
    assert_eq!(mode(&dest.join("export_pkcs12.p12")), 0o600);
    assert_eq!(mode(&dest.join("root_cert.pem")), 0o644);
    assert_eq!(
        names(&dest),
        ["export_pkcs12.p12", "root_cert.pem"],
        "a staging folder remained"
    );
}

// ---------------------------------------------------------------- B7: readable password file

#[cfg(unix)]
#[test]
fn import_into_a_readable_cfg_warns_and_tightens_on_request() {
    let lab = Lab::new();
    let target = tempfile::tempdir().expect("temp dir");
    let cfg = target.path().join("fxpkcs11.cfg");
    fs::write(&cfg, b"<KMS>\n    <ADDRESS> 10.0.8.20 </ADDRESS>\n</KMS>\n").expect("cfg");
    chmod(&cfg, 0o644);

    let output = run_within(
        import_command(&cfg, &lab.files, None)
            .env("P12_PASS", P12_PASSWORD)
            .arg("--json"),
        Duration::from_secs(60),
    );
    assert!(output.status.success(), "{}", all_output(&output));
    let warning = stderr_of(&output);
    assert!(
        warning.contains("holds a password") && warning.contains("0644"),
        "{warning}"
    );
    assert!(warning.contains("--tighten-permissions"), "{warning}");
    let json: Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(json["exposure"]["mode"], 0o644);
    assert_eq!(json["exposure"]["others"], true);
    assert_eq!(mode(&cfg), 0o644, "permissions are changed only when asked");
    assert!(!all_output(&output).contains(P12_PASSWORD));

    // Import again into a fresh copy, asking for tighter permissions.
    fs::remove_file(&cfg).expect("remove");
    fs::write(&cfg, b"<KMS>\n    <ADDRESS> 10.0.8.20 </ADDRESS>\n</KMS>\n").expect("cfg");
    chmod(&cfg, 0o644);
    let output = run_within(
        import_command(&cfg, &lab.files, None)
            .env("P12_PASS", P12_PASSWORD)
            .args(["--json", "--tighten-permissions"]),
        Duration::from_secs(60),
    );
    assert!(output.status.success(), "{}", all_output(&output));
    assert!(
        !stderr_of(&output).contains("holds a password"),
        "{}",
        stderr_of(&output)
    );
    let json: Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(json["exposure"], Value::Null);
    assert_eq!(mode(&cfg), 0o600);
    assert_eq!(mode(&fxconfig::cfg::file::backup_path(&cfg)), 0o600);
}

#[cfg(unix)]
#[test]
fn config_set_tightens_the_file_and_its_backup() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("c.cfg");
    fs::write(&path, GUIDE_EXAMPLE).expect("cfg");
    chmod(&path, 0o644);
    let output = fxconfig()
        .args(["config", "set", "--json"])
        .arg(&path)
        .arg("SLOT=2")
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", all_output(&output));
    let json: Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(json["exposure"]["group"], true);
    assert_eq!(json["changes"][0]["tag"], "SLOT");
    assert!(
        stderr_of(&output).contains("holds a password"),
        "{}",
        stderr_of(&output)
    );

    let output = fxconfig()
        .args(["config", "set", "--tighten-permissions"])
        .arg(&path)
        .arg("SLOT=3")
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", all_output(&output));
    assert_eq!(stderr_of(&output), "");
    assert_eq!(mode(&path), 0o600);
    assert_eq!(mode(&fxconfig::cfg::file::backup_path(&path)), 0o600);
}

// ---------------------------------------------------------------- B8: output errors

/// Runs fxconfig with its standard output a pipe whose reading end is already closed.
/// The pipe is made and its reading end closed before fxconfig starts, so that no other
/// process (such as one another test is starting meanwhile) can hold it open.
#[cfg(unix)]
fn into_closed_pipe(args: &[&std::ffi::OsStr]) -> Output {
    let (reader, writer) = std::io::pipe().expect("pipe");
    drop(reader);
    let mut child = StdCommand::new(binary())
        .env_remove("FXPKCS11_CFG")
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::from(writer))
        .stderr(Stdio::piped())
        .spawn()
        .expect("start fxconfig");
    let started = Instant::now();
    while child.try_wait().expect("poll").is_none() {
        assert!(started.elapsed() < Duration::from_secs(120), "did not finish");
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().expect("output")
}

#[cfg(unix)]
#[test]
fn a_closed_pipe_ends_every_command_quietly_with_status_141() {
    use std::ffi::OsStr;
    let lab = Lab::new();
    lab.write_cfg("127.0.0.1", free_port());
    let cfg = lab.cfg.as_os_str();
    let commands: [&[&OsStr]; 4] = [
        &[OsStr::new("config"), OsStr::new("show"), cfg],
        &[OsStr::new("config"), OsStr::new("show"), OsStr::new("--json"), cfg],
        &[OsStr::new("config"), OsStr::new("validate"), cfg],
        &[
            OsStr::new("check"),
            OsStr::new("--timeout"),
            OsStr::new("2"),
            OsStr::new("--config"),
            cfg,
        ],
    ];
    for args in commands {
        let output = into_closed_pipe(args);
        assert_eq!(output.status.code(), Some(141), "{args:?}: {}", stderr_of(&output));
        assert_eq!(stderr_of(&output), "", "{args:?}");
    }
}

#[cfg(unix)]
#[test]
fn a_full_disk_after_a_save_says_saved_and_exits_2() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("c.cfg");
    fs::write(&path, GUIDE_EXAMPLE).expect("cfg");
    chmod(&path, 0o600);
    let full = fs::OpenOptions::new().write(true).open("/dev/full").expect("/dev/full");
    let output = StdCommand::new(binary())
        .env_remove("FXPKCS11_CFG")
        .args(["config", "set"])
        .arg(&path)
        .arg("SLOT=1")
        .stdout(Stdio::from(full))
        .stderr(Stdio::piped())
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(2));
    let message = stderr_of(&output);
    assert!(
        message.contains("saved") && message.contains("but could not print"),
        "{message}"
    );
    assert!(!message.contains("panicked"), "{message}");
    assert_eq!(tag_value(&path, "SLOT").as_deref(), Some("1"));
}

// ---------------------------------------------------------------- bounded inputs

#[cfg(unix)]
#[test]
fn fifos_devices_folders_and_huge_files_are_refused_without_reading() {
    let dir = tempfile::tempdir().expect("temp dir");
    let fifo = dir.path().join("fifo");
    assert!(StdCommand::new("mkfifo").arg(&fifo).status().expect("mkfifo").success());
    let huge = dir.path().join("huge.p12");
    fs::File::create(&huge)
        .and_then(|file| file.set_len(16 * 1024 * 1024 + 1))
        .expect("sparse file");
    let lab = Lab::new();
    let limit = Duration::from_secs(30);
    for input in [fifo.as_path(), Path::new("/dev/zero"), dir.path()] {
        let output = run_within(fxconfig().args(["config", "show"]).arg(input), limit);
        assert_eq!(output.status.code(), Some(2), "{}", all_output(&output));
        assert!(
            stderr_of(&output).contains("not a regular file"),
            "{}",
            stderr_of(&output)
        );

        let output = run_within(
            fxconfig()
                .env("P12_PASS", P12_PASSWORD)
                .args(["identity", "--password-env", "P12_PASS", "--p12"])
                .arg(input),
            limit,
        );
        // A file that cannot be read at all: the command could not run (exit 2).
        assert_eq!(output.status.code(), Some(2), "{}", all_output(&output));
        assert!(
            stderr_of(&output).contains("not a regular file"),
            "{}",
            stderr_of(&output)
        );

        let output = run_within(
            fxconfig()
                .env("P12_PASS", P12_PASSWORD)
                .args(["import", "--password-env", "P12_PASS", "--config"])
                .arg(dir.path().join("new.cfg"))
                .arg("--ca")
                .arg(input)
                .arg("--p12")
                .arg(&lab.files.client_p12),
            limit,
        );
        assert_eq!(output.status.code(), Some(2), "{}", all_output(&output));
        assert!(
            stderr_of(&output).contains("not a regular file"),
            "{}",
            stderr_of(&output)
        );
    }
    let output = run_within(
        fxconfig()
            .env("P12_PASS", P12_PASSWORD)
            .args(["identity", "--password-env", "P12_PASS", "--p12"])
            .arg(&huge),
        limit,
    );
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr_of(&output).contains("larger than 16777216 bytes"),
        "{}",
        stderr_of(&output)
    );
}

#[test]
fn config_show_of_a_megabyte_of_unclosed_sections_finishes() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("sections.cfg");
    let mut text = String::new();
    let mut index = 0;
    while text.len() < 1024 * 1024 - 16 {
        text.push_str(&format!("<S{index}>\n"));
        index += 1;
    }
    fs::write(&path, &text).expect("cfg");
    // A hang guard with a wide margin (the debug build takes about a second), not a
    // speed measurement: the quadratic version took over a minute.
    let output = run_within(fxconfig().args(["config", "show"]).arg(&path), Duration::from_secs(30));
    assert!(output.status.success(), "{}", all_output(&output));
    let shown = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        shown.lines().filter(|line| line.starts_with("<S")).count(),
        index,
        "one line per section"
    );
}

#[test]
fn secrets_from_stdin_are_bounded_and_not_empty() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("c.cfg");
    fs::write(&path, GUIDE_EXAMPLE).expect("cfg");
    let set_from_stdin = |input: Vec<u8>, extra: &[&str]| {
        let mut child = fxconfig()
            .args(["config", "set", "--secret-stdin", "CRYPTO-OPR-PASS"])
            .args(extra)
            .arg(&path)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start");
        let mut stdin = child.stdin.take().expect("stdin");
        let writer = std::thread::spawn(move || {
            let _ = stdin.write_all(&input);
        });
        let output = child.wait_with_output().expect("output");
        writer.join().expect("writer");
        output
    };
    let output = set_from_stdin(Vec::new(), &[]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr_of(&output).contains("empty password"), "{}", stderr_of(&output));
    assert_eq!(tag_value(&path, "CRYPTO-OPR-PASS").as_deref(), Some("safest"));

    let output = set_from_stdin(b"\n".to_vec(), &["--allow-empty"]);
    assert!(output.status.success(), "{}", all_output(&output));
    assert_eq!(tag_value(&path, "CRYPTO-OPR-PASS").as_deref(), Some(""));

    let output = set_from_stdin(vec![b'a'; 70 * 1024], &[]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr_of(&output).contains("longer than 65536 bytes"),
        "{}",
        stderr_of(&output)
    );
}

#[test]
fn any_password_like_tag_is_refused_on_argv_and_masked_everywhere() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("c.cfg");
    fs::write(
        &path,
        b"<KMS>\n    <CRYPTO-OPR-PAS> typo-Secret-1 </CRYPTO-OPR-PAS>\n    <BACKUP-PASSWORD> backup-Secret-2 </BACKUP-PASSWORD>\n</KMS>\n",
    )
    .expect("cfg");
    for assignment in ["BACKUP-PASSWORD=x", "CRYPTO-OPR-PAS=x", "USER-PIN=1234", "API-SECRET=x"] {
        let output = fxconfig()
            .args(["config", "set"])
            .arg(&path)
            .arg(assignment)
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2), "{assignment}");
        assert!(stderr_of(&output).contains("--secret-env"), "{assignment}");
    }
    for json in [false, true] {
        let mut command = fxconfig();
        command.args(["config", "show"]).arg(&path);
        if json {
            command.arg("--json");
        }
        let output = command.output().unwrap();
        assert!(output.status.success());
        let text = all_output(&output);
        assert!(
            !text.contains("typo-Secret-1") && !text.contains("backup-Secret-2"),
            "{text}"
        );
        assert!(text.contains(fxconfig::secret::MASK));
    }
    let document = fxconfig::cfg::CfgFile::load(&path).expect("loads").doc;
    let empty = fxconfig::doctor::Report {
        config: path.display().to_string(),
        ok: true,
        checks: Vec::new(),
        document: Some(document),
        facts: fxconfig::doctor::Facts::default(),
        network: Default::default(),
    };
    let report = fxconfig::doctor::report::markdown(&empty, &fxconfig::doctor::report::ReportHeader::current());
    assert!(report.contains(&format!(
        "<CRYPTO-OPR-PAS> {} </CRYPTO-OPR-PAS>",
        fxconfig::secret::MASK
    )));
    assert!(!report.contains("typo-Secret-1") && !report.contains("backup-Secret-2"));
}

/// Issue 19, fault 5: `config set` may not grow a file past the 1 MiB that every command reads
/// back; the save is refused and the file is unchanged.
#[test]
fn config_set_never_writes_a_file_larger_than_fxconfig_reads() {
    let lab = Lab::new();
    let cfg = lab.write_cfg("127.0.0.1", 2001).to_owned();
    let before = fs::read(&cfg).unwrap();
    let value = "x".repeat(100 * 1024);
    let assignments: Vec<String> = (0..11).map(|n| format!("EXTRA-{n}={value}")).collect();
    let output = fxconfig()
        .args(["config", "set"])
        .arg(&cfg)
        .args(&assignments)
        .output()
        .unwrap();
    assert!(!output.status.success(), "{}", all_output(&output));
    assert!(
        stderr_of(&output).contains("more than the 1048576 bytes fxconfig reads"),
        "{}",
        all_output(&output)
    );
    assert_eq!(fs::read(&cfg).unwrap(), before, "the file is unchanged");
    let shown = fxconfig().args(["config", "show"]).arg(&cfg).output().unwrap();
    assert!(shown.status.success(), "it still opens: {}", all_output(&shown));
}

/// Issue 19: a NUL byte inside a value is an error for `config validate`: the library, which
/// reads C strings, sees less than the file holds.
#[test]
fn a_nul_byte_inside_a_value_fails_validation() {
    let lab = Lab::new();
    let cfg = lab.write_cfg("127.0.0.1", 2001).to_owned();
    let text = fs::read_to_string(&cfg).unwrap();
    let with_nul = text.replace("<CRYPTO-OPR>", "<CRYPTO-OPR>crypto\u{0}1");
    assert_ne!(with_nul, text);
    fs::write(&cfg, with_nul).unwrap();
    let output = fxconfig().args(["config", "validate"]).arg(&cfg).output().unwrap();
    assert_eq!(output.status.code(), Some(1), "{}", all_output(&output));
    assert!(all_output(&output).contains("NUL byte"), "{}", all_output(&output));
}

/// Issue 19, fault 5: with two PROD-TLS-KEY entries in <KMS>, which one the library reads is
/// unknown; `import` and `config set` refuse to edit it (exit 1, naming both lines) and change
/// nothing. Other entries can still be set.
#[test]
fn an_ambiguous_entry_is_never_edited() {
    let lab = Lab::new();
    let cfg = lab.write_cfg("127.0.0.1", 2001).to_owned();
    let text = fs::read_to_string(&cfg).unwrap();
    let line = text
        .lines()
        .find(|line| line.trim_start().starts_with("<PROD-TLS-KEY>"))
        .unwrap()
        .to_owned();
    let other_line = line.replace(".p12", "-old.p12");
    let doubled = text.replacen(&line, &format!("{line}\n{other_line}"), 1);
    fs::write(&cfg, &doubled).unwrap();
    let import = fxconfig()
        .args(["import", "--config"])
        .arg(&cfg)
        .arg("--ca")
        .arg(&lab.files.ca_cert)
        .arg("--p12")
        .arg(&lab.files.client_p12)
        .args(["--password-env", "FX_TEST_P12"])
        .env("FX_TEST_P12", P12_PASSWORD)
        .output()
        .unwrap();
    let set = fxconfig()
        .args(["config", "set"])
        .arg(&cfg)
        .arg("PROD-TLS-KEY=/other.p12")
        .output()
        .unwrap();
    for output in [&import, &set] {
        assert_eq!(output.status.code(), Some(1), "{}", all_output(output));
        assert!(
            stderr_of(output).contains("PROD-TLS-KEY is in the file 2 times (lines"),
            "{}",
            all_output(output)
        );
        assert_eq!(fs::read_to_string(&cfg).unwrap(), doubled, "nothing changed");
    }
    let other = fxconfig()
        .args(["config", "set"])
        .arg(&cfg)
        .arg("SLOT=3")
        .output()
        .unwrap();
    assert!(other.status.success(), "{}", all_output(&other));
}

/// Issue 19's lesser findings: exit codes say whether a command could run (2) or found a
/// problem (1), also when standard output cannot take the help or version text; `config init`
/// on a link to nothing says so, with and without `--force`.
#[test]
fn exit_codes_and_dangling_links_are_consistent() {
    let dir = tempfile::tempdir().unwrap();
    let not_p12 = dir.path().join("hostname.p12");
    fs::write(&not_p12, "not a PKCS#12 file\n").unwrap();
    for (input, code) in [
        (dir.path().join("missing.p12"), 2),
        (PathBuf::from("/dev/zero"), 2),
        (dir.path().to_path_buf(), 2),
        (not_p12, 1),
    ] {
        let output = fxconfig()
            .args(["identity", "--p12"])
            .arg(&input)
            .args(["--password-env", "FX_TEST_P12"])
            .env("FX_TEST_P12", "x")
            .output()
            .unwrap();
        assert_eq!(
            output.status.code(),
            Some(code),
            "{}: {}",
            input.display(),
            all_output(&output)
        );
    }
    for flag in ["--help", "--version"] {
        let full = fs::OpenOptions::new().write(true).open("/dev/full").unwrap();
        let status = fxconfig().arg(flag).stdout(full).status().unwrap();
        assert_eq!(status.code(), Some(2), "{flag} to /dev/full");
    }
    let link = dir.path().join("fx.cfg");
    std::os::unix::fs::symlink(dir.path().join("nowhere/x.cfg"), &link).unwrap();
    for force in [false, true] {
        let mut command = fxconfig();
        command.args(["config", "init"]).arg(&link);
        if force {
            command.arg("--force");
        }
        let output = command.output().unwrap();
        assert_eq!(output.status.code(), Some(2), "{}", all_output(&output));
        let said = stderr_of(&output);
        assert!(
            said.contains("is a symbolic link to") && !said.contains("--force"),
            "{said}"
        );
    }
}

/// Issue 19, fault 4: `import` killed at any moment — 100 SIGTERMs and 100 SIGKILLs spread
/// over the time an import takes — never leaves a configuration that names a copy that is
/// not in place, and after the next import no staging folder (which may hold the PKCS#12
/// copy) remains. A SIGTERM lets the import finish (or roll back) first and exits 143.
#[test]
fn imports_killed_at_any_moment_leave_no_broken_configuration() {
    use rustix::process::{Pid, Signal, kill_process};
    let lab = Lab::new();
    let template = fs::read_to_string(lab.write_cfg("127.0.0.1", 2001)).unwrap();
    // A configuration that names no TLS files yet, so each import has copies to place.
    let blank: String = template
        .lines()
        .filter(|line| !line.contains("<PROD-TLS-CA>") && !line.contains("<PROD-TLS-KEY>"))
        .map(|line| format!("{line}\n"))
        .collect();
    let work = tempfile::tempdir().unwrap();
    let import = |cfg: &Path, dest: &Path| {
        let mut command = StdCommand::new(FXCONFIG);
        command
            .args(["import", "--config"])
            .arg(cfg)
            .arg("--ca")
            .arg(&lab.files.ca_cert)
            .arg("--p12")
            .arg(&lab.files.client_p12)
            .args(["--password-env", "FX_TEST_P12", "--dest"])
            .arg(dest)
            .env("FX_TEST_P12", P12_PASSWORD)
            .env_remove("FXPKCS11_CFG")
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        command
    };
    // How long one import takes here, to spread the kills over all of it.
    let probe_cfg = work.path().join("probe.cfg");
    fs::write(&probe_cfg, &blank).unwrap();
    let started = Instant::now();
    assert!(
        import(&probe_cfg, &work.path().join("probe"))
            .status()
            .unwrap()
            .success()
    );
    let span = started.elapsed().as_micros().max(1_000) as u64;

    let mut finished_after_sigterm = 0;
    let mut left_staging = 0;
    for run in 0..200u64 {
        let (signal, name) = if run % 2 == 0 {
            (Signal::TERM, "SIGTERM")
        } else {
            (Signal::KILL, "SIGKILL")
        };
        let cfg = work.path().join(format!("fx{run}.cfg"));
        let dest = work.path().join(format!("dest{run}"));
        fs::write(&cfg, &blank).unwrap();
        let mut child = import(&cfg, &dest).spawn().unwrap();
        // A spread of moments over the import's span, the same on every run of the test.
        std::thread::sleep(Duration::from_micros((run * 7_919) % span));
        let _ = kill_process(Pid::from_child(&child), signal);
        let status = child.wait().unwrap();
        if status.code() == Some(143) {
            finished_after_sigterm += 1;
        }
        let text = fs::read_to_string(&cfg).unwrap();
        for tag in ["PROD-TLS-CA", "PROD-TLS-KEY"] {
            if let Some(value) = tag_value(&cfg, tag).filter(|value| !value.is_empty()) {
                assert!(
                    Path::new(&value).exists(),
                    "run {run} ({name}): {tag} names {value}, which is not there:\n{text}"
                );
            }
        }
        // What a killed import left in the folder is cleared by the next one.
        let staging = |dest: &Path| -> Vec<String> {
            fs::read_dir(dest)
                .map(|entries| {
                    entries
                        .filter_map(|entry| entry.ok())
                        .map(|entry| entry.file_name().to_string_lossy().into_owned())
                        .filter(|name| name.contains(".import-"))
                        .collect()
                })
                .unwrap_or_default()
        };
        if !staging(&dest).is_empty() {
            left_staging += 1;
            assert!(import(&cfg, &dest).status().unwrap().success(), "run {run} ({name})");
            assert_eq!(staging(&dest), Vec::<String>::new(), "run {run} ({name})");
        }
    }
    eprintln!(
        "{finished_after_sigterm} of 100 SIGTERMs arrived mid-import and let it finish first (exit 143); \
         {left_staging} kills left a staging folder, each cleared by the next import"
    );
}
