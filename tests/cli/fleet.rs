//! What fleet tools stand on: `config set` and `import` that change nothing when nothing
//! is to change, `--check`, `--diff` and JSON change lists with passwords masked; `check
//! --format prometheus` read by the real `promtool`; and the shipped systemd units, scheduled
//! task and alert rules checked by `systemd-analyze` and `promtool`.

use std::fs;
use std::io::Write;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

use super::process::{SimProcess, all_output, stdout_of};
use crate::support::lab::{Lab, OPERATOR_PASSWORD, P12_PASSWORD};
use crate::support::net::free_port;
use crate::support::tools::{fxconfig, openssl};

/// The repository's root.
fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs `command` with `input` on its standard input.
fn with_stdin(command: &mut Command, input: &str) -> Output {
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start fxconfig");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.as_bytes())
        .expect("write stdin");
    child.wait_with_output().expect("fxconfig ends")
}

/// What identifies a file's one version: contents, modification time, inode.
fn snapshot(path: &Path) -> (Vec<u8>, i64, i64, u64) {
    let meta = fs::metadata(path).expect("metadata");
    (
        fs::read(path).expect("read"),
        meta.mtime(),
        meta.mtime_nsec(),
        meta.ino(),
    )
}

fn json_of(output: &Output) -> Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| panic!("{e}: {}", all_output(output)))
}

/// The names in a folder, sorted.
fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .expect("list folder")
        .map(|entry| entry.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn config_set_with_every_value_already_set_writes_nothing() {
    let lab = Lab::new();
    lab.write_cfg("10.0.8.20", 2001);
    let before = snapshot(&lab.cfg);
    let listing = names(lab.dir.path());
    let output = with_stdin(
        fxconfig().args(["config", "set", "--json"]).arg(&lab.cfg).args([
            "ADDRESS=10.0.8.20",
            "PROD-PORT=2001",
            "--secret-stdin",
            "CRYPTO-OPR-PASS",
        ]),
        &format!("{OPERATOR_PASSWORD}\n"),
    );
    assert!(output.status.success(), "{}", all_output(&output));
    let json = json_of(&output);
    assert_eq!(json["changed"], false);
    assert_eq!(json["changes"], Value::Array(Vec::new()));
    assert_eq!(json["backup"], Value::Null);
    assert_eq!(snapshot(&lab.cfg), before, "not rewritten: same bytes, mtime and inode");
    assert_eq!(names(lab.dir.path()), listing, "no backup, no lock file, nothing new");

    let output = fxconfig()
        .args(["config", "set"])
        .arg(&lab.cfg)
        .arg("ADDRESS=10.0.8.20")
        .output()
        .unwrap();
    assert!(output.status.success());
    assert!(
        stdout_of(&output).contains("no change, every value is already as asked"),
        "{}",
        stdout_of(&output)
    );
    assert_eq!(snapshot(&lab.cfg), before);
}

#[test]
fn config_set_check_and_diff_show_the_change_masked_and_write_nothing() {
    let lab = Lab::new();
    lab.write_cfg("10.0.8.20", 2001);
    let before = snapshot(&lab.cfg);
    let listing = names(lab.dir.path());
    let new_password = "rotated-Operator-77";
    let set = |extra: &[&str]| {
        with_stdin(
            fxconfig()
                .args(["config", "set", "--json", "--diff"])
                .args(extra)
                .arg(&lab.cfg)
                .args(["ADDRESS=10.0.8.21", "SLOT=3", "--secret-stdin", "CRYPTO-OPR-PASS"]),
            &format!("{new_password}\n"),
        )
    };

    let checked = set(&["--check"]);
    assert!(checked.status.success(), "{}", all_output(&checked));
    let everything = all_output(&checked);
    assert!(
        !everything.contains(new_password) && !everything.contains(OPERATOR_PASSWORD),
        "{everything}"
    );
    assert_eq!(snapshot(&lab.cfg), before, "--check writes nothing");
    assert_eq!(names(lab.dir.path()), listing, "--check creates nothing");
    let json = json_of(&checked);
    assert_eq!(json["changed"], true);
    assert_eq!(json["check"], true);
    let changes = json["changes"].as_array().expect("changes");
    let change = |tag: &str| changes.iter().find(|c| c["tag"] == tag).cloned().expect(tag);
    assert_eq!(change("ADDRESS")["old"], "10.0.8.20");
    assert_eq!(change("ADDRESS")["new"], "10.0.8.21");
    assert_eq!(change("ADDRESS")["section"], "KMS");
    let address_line = fs::read_to_string(&lab.cfg)
        .unwrap()
        .lines()
        .position(|line| line.trim_start().starts_with("<ADDRESS>"))
        .expect("ADDRESS line")
        + 1;
    assert_eq!(change("ADDRESS")["line"], address_line);
    assert_eq!(change("CRYPTO-OPR-PASS")["old"], "********");
    assert_eq!(change("CRYPTO-OPR-PASS")["new"], "********");
    let diff = json["diff"].as_str().expect("diff");
    let path = lab.cfg.display().to_string();
    assert!(diff.starts_with(&format!("--- {path}\n+++ {path}\n@@ -")), "{diff}");
    assert!(
        diff.lines()
            .any(|l| l.starts_with('-') && l.contains("<ADDRESS>") && l.contains("10.0.8.20")),
        "{diff}"
    );
    assert!(
        diff.lines()
            .any(|l| l.starts_with('+') && l.contains("<ADDRESS>") && l.contains("10.0.8.21")),
        "{diff}"
    );
    assert!(
        diff.lines()
            .any(|l| l.starts_with('+') && l.contains("<CRYPTO-OPR-PASS>") && l.contains("********")),
        "{diff}"
    );

    // The same run for real gives the same answer and writes it, with a backup.
    let applied = set(&[]);
    assert!(applied.status.success(), "{}", all_output(&applied));
    let json_applied = json_of(&applied);
    assert_eq!(json_applied["changes"], json["changes"]);
    assert_eq!(json_applied["diff"], json["diff"]);
    let text = fs::read_to_string(&lab.cfg).unwrap();
    assert!(text.contains("10.0.8.21") && text.contains(new_password));
    assert_eq!(fs::read(fxconfig::cfg::file::backup_path(&lab.cfg)).unwrap(), before.0);

    // A second time, nothing is left to do.
    let again = set(&[]);
    let json = json_of(&again);
    assert_eq!(json["changed"], false);
    assert_eq!(json["diff"], "");
}

#[test]
fn import_of_the_same_materials_is_unchanged_and_check_writes_nothing() {
    let lab = Lab::new();
    let host = tempfile::tempdir().expect("temporary folder");
    let cfg = host.path().join("fxpkcs11.cfg");
    let import = |extra: &[&str]| {
        with_stdin(
            fxconfig()
                .args(["import", "--json", "--password-stdin", "--config"])
                .arg(&cfg)
                .arg("--ca")
                .arg(&lab.files.ca_cert)
                .arg("--p12")
                .arg(&lab.files.client_p12)
                .args(extra),
            &format!("{P12_PASSWORD}\n"),
        )
    };

    let checked = import(&["--check", "--diff"]);
    assert!(checked.status.success(), "{}", all_output(&checked));
    assert!(!all_output(&checked).contains(P12_PASSWORD));
    assert!(
        names(host.path()).is_empty(),
        "--check creates nothing: {:?}",
        names(host.path())
    );
    let json = json_of(&checked);
    assert_eq!(
        (json["changed"].clone(), json["created"].clone()),
        (Value::Bool(true), Value::Bool(true))
    );
    assert!(
        json["diff"]
            .as_str()
            .unwrap()
            .contains("+    <PROD-TLS-KEY-PASS> ******** </PROD-TLS-KEY-PASS>"),
        "{json}"
    );

    let first = import(&[]);
    assert!(first.status.success(), "{}", all_output(&first));
    let json = json_of(&first);
    assert_eq!(json["changed"], true);
    let tags: Vec<&str> = json["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["tag"].as_str().unwrap())
        .collect();
    assert_eq!(
        tags,
        ["PROD-TLS-CA", "PROD-TLS-KEY", "PROD-TLS-KEY-PASS", "PROD-TLS-ENABLED"]
    );
    // The SHA-256 reported is the copy's, as openssl computes it.
    for (file, source) in json["files"]
        .as_array()
        .unwrap()
        .iter()
        .zip([&lab.files.ca_cert, &lab.files.client_p12])
    {
        assert_eq!(file["changed"], true);
        let copy = PathBuf::from(file["path"].as_str().unwrap());
        assert_eq!(copy.parent(), Some(host.path()));
        assert_eq!(fs::read(&copy).unwrap(), fs::read(source).unwrap());
        let digest = openssl(host.path(), &["dgst", "-sha256", "-r", copy.to_str().unwrap()]);
        assert_eq!(digest.split_whitespace().next(), file["sha256"].as_str(), "{digest}");
    }

    let before = snapshot(&cfg);
    let listing = names(host.path());
    for extra in [&["--check"][..], &[]] {
        let again = import(extra);
        assert!(again.status.success(), "{}", all_output(&again));
        let json = json_of(&again);
        assert_eq!(json["changed"], false, "{json}");
        assert!(json["files"].as_array().unwrap().iter().all(|f| f["changed"] == false));
        assert_eq!(snapshot(&cfg), before, "not rewritten");
        assert_eq!(names(host.path()), listing, "no backup, no staging folder");
    }
}

/// A metrics file promtool accepts, with its text.
fn promtool_accepts(path: &Path) -> String {
    let text = fs::read_to_string(path).expect("metrics written");
    let output = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(fs::File::open(path).unwrap())
        .output()
        .expect("promtool runs (Debian's prometheus package, tests/system-deps.sh)");
    assert!(output.status.success(), "promtool: {}\n{text}", all_output(&output));
    assert_eq!(all_output(&output), "", "promtool has no remark");
    text
}

/// The value of the one sample whose line starts with `series`.
fn sample(text: &str, series: &str) -> f64 {
    let line = text
        .lines()
        .find(|line| line.starts_with(series) && line[series.len()..].starts_with(' '))
        .unwrap_or_else(|| panic!("no {series} in\n{text}"));
    line[series.len()..].trim().parse().expect("a number")
}

fn status_series(id: &str, title: &str, status: &str) -> String {
    format!("fxpkcs11_check_status{{id=\"{id}\",title=\"{title}\",status=\"{status}\"}}")
}

#[test]
fn prometheus_metrics_pass_promtool_for_a_passing_and_a_failing_run() {
    let lab = Lab::new();
    let sim = SimProcess::start(&lab, None);
    lab.write_cfg("127.0.0.1", sim.port);
    let out = tempfile::tempdir().expect("metrics folder");
    let metrics = out.path().join("fxpkcs11.prom");
    let run = || {
        fxconfig()
            .args(["check", "--format", "prometheus", "--timeout", "5", "--config"])
            .arg(&lab.cfg)
            .arg("--output")
            .arg(&metrics)
            .output()
            .unwrap()
    };

    let output = run();
    assert_eq!(output.status.code(), Some(0), "{}", all_output(&output));
    assert_eq!(stdout_of(&output), "", "the metrics go to the file");
    let text = promtool_accepts(&metrics);
    assert!(!text.contains(P12_PASSWORD) && !text.contains(OPERATOR_PASSWORD));
    assert_eq!(fs::metadata(&metrics).unwrap().permissions().mode() & 0o777, 0o644);
    assert_eq!(names(out.path()), ["fxpkcs11.prom"], "no temporary file left");
    assert_eq!(sample(&text, "fxpkcs11_check_ok"), 1.0);
    let echo = status_series("hostapi.echo", "Excrypt ECHO answered", "pass");
    assert_eq!(sample(&text, &echo), 1.0);
    assert_eq!(
        sample(&text, &status_series("hostapi.echo", "Excrypt ECHO answered", "fail")),
        0.0
    );
    assert!(sample(&text, "fxpkcs11_hostapi_echo_duration_seconds") > 0.0);
    let now = time::OffsetDateTime::now_utc().unix_timestamp() as f64;
    assert!((sample(&text, "fxpkcs11_check_last_run_timestamp_seconds") - now).abs() < 60.0);
    let info = format!(
        "fxpkcs11_config_info{{path=\"{}\",address=\"127.0.0.1\",port=\"{}\"}}",
        lab.cfg.display(),
        sim.port
    );
    assert_eq!(sample(&text, &info), 1.0);
    // The expiry agrees with openssl's reading of the certificates: not within a minute
    // before the reported time, but within a minute after it.
    for (metric, cert) in [
        (
            "fxpkcs11_client_certificate_expiry_timestamp_seconds",
            &lab.files.client_cert,
        ),
        ("fxpkcs11_ca_certificate_expiry_timestamp_seconds", &lab.files.ca_cert),
    ] {
        let left = (sample(&text, metric) - now) as i64;
        let checkend = |seconds: i64| {
            Command::new("openssl")
                .args(["x509", "-noout", "-checkend", &seconds.to_string(), "-in"])
                .arg(cert)
                .stdout(Stdio::null())
                .status()
                .unwrap()
                .success()
        };
        assert!(checkend(left - 60), "{metric}: openssl says it expires sooner");
        assert!(!checkend(left + 60), "{metric}: openssl says it expires later");
    }

    // A failing run: the KMES port is closed. The file keeps the mode it was given.
    fs::set_permissions(&metrics, fs::Permissions::from_mode(0o640)).unwrap();
    lab.write_cfg("127.0.0.1", free_port());
    let output = run();
    assert_eq!(output.status.code(), Some(1), "{}", all_output(&output));
    let text = promtool_accepts(&metrics);
    assert_eq!(fs::metadata(&metrics).unwrap().permissions().mode() & 0o777, 0o640);
    assert_eq!(sample(&text, "fxpkcs11_check_ok"), 0.0);
    let title = "TCP connection to the Host API port";
    assert_eq!(sample(&text, &status_series("net.connect", title, "fail")), 1.0);
    assert_eq!(sample(&text, &status_series("net.connect", title, "pass")), 0.0);
    assert_eq!(sample(&text, &echo), 0.0);
    assert_eq!(
        sample(&text, &status_series("hostapi.echo", "Excrypt ECHO answered", "skip")),
        1.0
    );
    assert!(
        !text.contains("fxpkcs11_hostapi_echo_duration_seconds"),
        "no answer, no figure"
    );

    // --output writes JSON or metrics, not the text of the checks.
    let output = fxconfig()
        .args(["check", "--output"])
        .arg(out.path().join("x"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(all_output(&output).contains("--format"));
}

#[test]
fn alert_rules_pass_promtool_and_their_unit_tests() {
    let rules = repo().join("packaging/prometheus");
    for args in [
        &["check", "rules", "fxpkcs11.rules.yml"][..],
        &["test", "rules", "fxpkcs11.rules.test.yml"],
    ] {
        let output = Command::new("promtool")
            .args(args)
            .current_dir(&rules)
            .output()
            .unwrap();
        assert!(output.status.success(), "promtool {args:?}: {}", all_output(&output));
        assert!(stdout_of(&output).contains("SUCCESS"), "{}", all_output(&output));
    }
}

/// The argument words of a command line as the shipped files write it, with double quotes
/// grouping words (systemd's and Windows' common ground for these lines).
fn words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut quoted = false;
    for c in line.chars() {
        match c {
            '"' => quoted = !quoted,
            c if c.is_whitespace() && !quoted => {
                if !word.is_empty() {
                    words.push(std::mem::take(&mut word));
                }
            }
            c => word.push(c),
        }
    }
    if !word.is_empty() {
        words.push(word);
    }
    words
}

/// Runs the shipped command line's arguments with the test binary against the lab, the
/// output redirected into `out`, and insists the metrics it writes pass promtool.
fn shipped_command_writes_metrics(args: &[String], lab: &Lab, out: &Path) {
    let position = args.iter().position(|a| a == "--output").expect("--output") + 1;
    let mut args = args.to_vec();
    let metrics = out.join("shipped.prom");
    args[position] = metrics.display().to_string();
    let output = fxconfig().env("FXPKCS11_CFG", &lab.cfg).args(&args).output().unwrap();
    assert_eq!(output.status.code(), Some(0), "{args:?}: {}", all_output(&output));
    let text = promtool_accepts(&metrics);
    assert_eq!(sample(&text, "fxpkcs11_check_ok"), 1.0);
}

#[test]
fn the_systemd_units_verify_and_their_command_works() {
    let lab = Lab::new();
    let sim = SimProcess::start(&lab, None);
    lab.write_cfg("127.0.0.1", sim.port);
    let dir = tempfile::tempdir().expect("units folder");
    let service = fs::read_to_string(repo().join("packaging/linux/fxconfig-check.service")).unwrap();
    let exec = service
        .lines()
        .find_map(|line| line.strip_prefix("ExecStart="))
        .expect("ExecStart");
    let exec_words = words(exec);
    assert_eq!(exec_words[0], "/usr/bin/fxconfig");
    // systemd-analyze insists the program exists: point it at the test binary.
    fs::write(
        dir.path().join("fxconfig-check.service"),
        service.replace(
            "ExecStart=/usr/bin/fxconfig",
            &format!("ExecStart={}", crate::support::tools::FXCONFIG),
        ),
    )
    .unwrap();
    fs::copy(
        repo().join("packaging/linux/fxconfig-check.timer"),
        dir.path().join("fxconfig-check.timer"),
    )
    .unwrap();
    let output = Command::new("systemd-analyze")
        .arg("verify")
        .arg(dir.path().join("fxconfig-check.service"))
        .arg(dir.path().join("fxconfig-check.timer"))
        .output()
        .expect("systemd-analyze runs");
    assert!(output.status.success(), "{}", all_output(&output));
    assert_eq!(
        String::from_utf8_lossy(&output.stderr)
            .lines()
            .filter(|l| l.contains("fxconfig-check"))
            .count(),
        0,
        "no remark on the units: {}",
        all_output(&output)
    );
    shipped_command_writes_metrics(&exec_words[1..], &lab, dir.path());
}

#[test]
fn the_scheduled_task_runs_the_same_check() {
    let lab = Lab::new();
    let sim = SimProcess::start(&lab, None);
    lab.write_cfg("127.0.0.1", sim.port);
    let xml = fs::read_to_string(repo().join("packaging/windows/fxconfig-check.xml")).unwrap();
    assert!(xml.is_ascii(), "schtasks reads it without an encoding declaration");
    // Well-formed, in the Task Scheduler's namespace, one Exec action: read by Python's XML parser.
    let script = "import sys, xml.etree.ElementTree as ET\n\
                  ns = {'t': 'http://schemas.microsoft.com/windows/2004/02/mit/task'}\n\
                  root = ET.parse(sys.argv[1]).getroot()\n\
                  assert root.tag == '{http://schemas.microsoft.com/windows/2004/02/mit/task}Task', root.tag\n\
                  execs = root.findall('t:Actions/t:Exec', ns)\n\
                  assert len(execs) == 1\n\
                  assert root.find('t:Triggers/t:TimeTrigger/t:Repetition/t:Interval', ns).text == 'PT5M'\n\
                  print(execs[0].find('t:Command', ns).text)\n\
                  print(execs[0].find('t:Arguments', ns).text)\n";
    let output = Command::new("python3")
        .args(["-c", script])
        .arg(repo().join("packaging/windows/fxconfig-check.xml"))
        .output()
        .expect("python3 runs");
    assert!(output.status.success(), "{}", all_output(&output));
    let text = stdout_of(&output);
    let mut lines = text.lines();
    let command = words(lines.next().expect("Command"));
    assert_eq!(command, [r"C:\Program Files\fxconfig\fxconfig-cli.exe"]);
    let args = words(lines.next().expect("Arguments"));
    assert!(
        args.iter().any(|a| a.ends_with(r"\textfile_inputs\fxpkcs11.prom")),
        "{args:?}"
    );
    let dir = tempfile::tempdir().expect("output folder");
    shipped_command_writes_metrics(&args, &lab, dir.path());
}
