//! Issue 10's process side against real programs: child processes stay within their
//! documented bounds (a module that forks a grandchild holding its pipes, a fake `ssh` that
//! leaves `sleep 30 &` behind), the askpass folder is private under `umask 000` and answers
//! only the PKCS#11 PIN prompt, a token label starting with '-' stays a label, and no raw
//! control character from a module reaches the terminal.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use fxconfig::pkcs11::ssh::{self, HostKeys, SshLoginOptions, SshTarget, SshVerdict};

use crate::support::softhsm::{Hsm, PIN, SO_PIN, SOFTHSM, TOKEN};
use crate::support::tools::{FXCONFIG, run_ok};

/// A module whose `C_GetFunctionList` forks a grandchild that keeps the process's stdout and
/// stderr open for 60 s (its pid written to `$GRANDCHILD_PID_FILE`), writes a terminal
/// control sequence to stderr, then either hangs (`$GRANDCHILD_MODULE_HANGS` set) or aborts.
const GRANDCHILD_MODULE: &str = r#"
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

unsigned long C_GetFunctionList(void **list) {
    (void)list;
    pid_t pid = fork();
    if (pid == 0) {
        sleep(60);
        _exit(0);
    }
    const char *pid_file = getenv("GRANDCHILD_PID_FILE");
    if (pid > 0 && pid_file != NULL) {
        FILE *out = fopen(pid_file, "w");
        if (out != NULL) {
            fprintf(out, "%d\n", (int)pid);
            fclose(out);
        }
    }
    fputs("module says \033]0;owned\007\033[2J hello\n", stderr);
    fflush(stderr);
    if (getenv("GRANDCHILD_MODULE_HANGS") != NULL) {
        for (;;) pause();
    }
    abort();
}
"#;

fn build_module(dir: &Path) -> PathBuf {
    let source = dir.join("grandchild.c");
    std::fs::write(&source, GRANDCHILD_MODULE).expect("C source");
    let module = dir.join("libgrandchild.so");
    run_ok(
        Command::new("gcc")
            .args(["-shared", "-fPIC", "-o"])
            .arg(&module)
            .arg(&source),
    );
    module
}

/// Whether the process is running (a zombie waiting to be reaped by whoever adopted it is not).
fn running(pid: &str) -> bool {
    std::fs::read_to_string(format!("/proc/{}/stat", pid.trim()))
        .is_ok_and(|stat| stat.rsplit_once(") ").is_some_and(|(_, rest)| !rest.starts_with('Z')))
}

fn assert_gone(pid_file: &Path) {
    let pid = std::fs::read_to_string(pid_file).expect("the grandchild's pid was written");
    let deadline = Instant::now() + Duration::from_secs(2);
    while running(&pid) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(!running(&pid), "the grandchild {} still runs", pid.trim());
}

/// Fails when stdout or stderr holds a raw control character (other than line breaks and
/// tabs) or a bidirectional override.
fn assert_no_raw_controls(output: &Output) {
    for (name, bytes) in [("stdout", &output.stdout), ("stderr", &output.stderr)] {
        let text = String::from_utf8_lossy(bytes);
        let raw: Vec<char> = text
            .chars()
            .filter(|&c| fxconfig::display::is_unsafe(c) && c != '\n' && c != '\t')
            .collect();
        assert!(raw.is_empty(), "raw {raw:?} on {name}:\n{text}");
    }
}

fn check_module(dir: &Path, module: &Path, hangs: bool) -> (Output, Duration) {
    let mut command = Command::new(FXCONFIG);
    command
        .args(["check", "--config"])
        .arg(dir.join("absent.cfg"))
        .arg("--module")
        .arg(module)
        .args(["--timeout", "2"])
        .env("GRANDCHILD_PID_FILE", dir.join("grandchild.pid"))
        .env_remove("FXPKCS11_CFG");
    if hangs {
        command.env("GRANDCHILD_MODULE_HANGS", "1");
    } else {
        command.env_remove("GRANDCHILD_MODULE_HANGS");
    }
    let started = Instant::now();
    let output = command.output().expect("fxconfig runs");
    (output, started.elapsed())
}

#[test]
fn a_hung_module_with_a_grandchild_holding_its_pipes_ends_at_the_stated_bound() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let module = build_module(dir.path());
    let (output, took) = check_module(dir.path(), &module, true);
    let stdout = String::from_utf8_lossy(&output.stdout);
    // --timeout 2 gives the module 6 × 2 s, at least 15 s.
    assert!(stdout.contains("the module did not answer within 15 s"), "{stdout}");
    assert!(took >= Duration::from_secs(15), "ended before its bound: {took:?}");
    assert!(took < Duration::from_secs(18), "took {took:?}, the bound is 15 s");
    assert_gone(&dir.path().join("grandchild.pid"));
    assert_no_raw_controls(&output);
}

#[test]
fn a_crashing_module_with_a_grandchild_is_reported_at_once_and_its_output_escaped() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let module = build_module(dir.path());
    let (output, took) = check_module(dir.path(), &module, false);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(took < Duration::from_secs(6), "took {took:?}");
    assert!(stdout.contains("SIGABRT"), "{stdout}");
    assert!(
        stdout.contains("module says \\x1b]0;owned\\x07\\x1b[2J hello"),
        "{stdout}"
    );
    assert_gone(&dir.path().join("grandchild.pid"));
    assert_no_raw_controls(&output);
}

/// An executable shell script.
fn script(path: &Path, body: &str) -> PathBuf {
    std::fs::write(path, format!("#!/bin/sh\n{body}")).expect("script");
    run_ok(Command::new("chmod").arg("755").arg(path));
    path.to_path_buf()
}

fn fake_ssh_options(ssh: PathBuf) -> SshLoginOptions {
    let mut options = SshLoginOptions::new(SOFTHSM, "root@127.0.0.1:9".parse::<SshTarget>().expect("target"));
    options.ssh = ssh;
    options.timeout = Duration::from_secs(1);
    options.host_keys = HostKeys::File(PathBuf::from("/dev/null"));
    options
}

#[test]
fn an_ssh_that_leaves_a_background_process_is_answered_at_once() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let pid_file = dir.path().join("grandchild.pid");
    let ssh = script(
        &dir.path().join("ssh"),
        &format!(
            "sleep 30 &\necho $! > '{}'\necho 'ssh: connect to host 127.0.0.1 port 9: Connection refused' >&2\nexit 255\n",
            pid_file.display()
        ),
    );
    let started = Instant::now();
    let report = ssh::login(&fake_ssh_options(ssh), &fxconfig::pkcs11::Helper::new(FXCONFIG));
    let took = started.elapsed();
    assert_eq!(report.verdict, SshVerdict::ConnectionRefused, "{}", report.detail);
    assert!(took < Duration::from_secs(3), "took {took:?}");
    assert_gone(&pid_file);
}

#[test]
fn a_hanging_ssh_is_killed_with_its_children_at_three_timeouts_plus_five_seconds() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let pid_file = dir.path().join("grandchild.pid");
    let ssh = script(
        &dir.path().join("ssh"),
        &format!("sleep 30 &\necho $! > '{}'\nsleep 60\n", pid_file.display()),
    );
    let started = Instant::now();
    let report = ssh::login(&fake_ssh_options(ssh), &fxconfig::pkcs11::Helper::new(FXCONFIG));
    let took = started.elapsed();
    assert_eq!(report.verdict, SshVerdict::TimedOut, "{}", report.detail);
    assert!(report.detail.contains("within 8 s"), "{}", report.detail);
    assert!(took >= Duration::from_secs(8), "ended before its bound: {took:?}");
    assert!(
        took < Duration::from_secs(10),
        "took {took:?}, the bound is 3 × 1 s + 5 s"
    );
    assert_gone(&pid_file);
}

#[test]
fn under_umask_000_the_askpass_folder_is_private_and_only_the_pin_prompt_is_answered() {
    let hsm = Hsm::new();
    let dir = hsm.path().join("fake");
    std::fs::create_dir(&dir).expect("folder");
    let out = hsm.path().join("seen");
    std::fs::create_dir(&out).expect("folder");
    script(
        &dir.join("ssh"),
        &format!(
            "out='{out}'\n\
             stat -c %a \"$(dirname \"$SSH_ASKPASS\")\" > \"$out/dir_mode\"\n\
             stat -c %a \"$SSH_ASKPASS\" > \"$out/script_mode\"\n\
             \"$SSH_ASKPASS\" \"Enter passphrase for key '/root/.ssh/id_spinach': \" > \"$out/passphrase\"; echo $? > \"$out/passphrase_status\"\n\
             \"$SSH_ASKPASS\" \"Enter PIN for 'other': \" > \"$out/other_token\"\n\
             \"$SSH_ASKPASS\" \"Are you sure you want to continue connecting (yes/no/[fingerprint])? \" > \"$out/host_key\"\n\
             \"$SSH_ASKPASS\" \"Enter PIN for '{TOKEN}': \" > \"$out/pin\"\n\
             echo 'ssh: connect to host 127.0.0.1 port 9: Connection refused' >&2\n\
             exit 255\n",
            out = out.display()
        ),
    );
    let path = format!("{}:{}", dir.display(), std::env::var("PATH").unwrap_or_default());
    let output = hsm
        .command("/bin/sh")
        .arg("-c")
        .arg("umask 000; exec \"$@\"")
        .arg("sh")
        .arg(FXCONFIG)
        .args(["check", "--config"])
        .arg(hsm.path().join("absent.cfg"))
        .args(["--module", SOFTHSM, "--token", TOKEN, "--pin-env", "TEST_PIN"])
        .args([
            "--ssh",
            "root@127.0.0.1:9",
            "--ssh-known-hosts",
            "/dev/null",
            "--timeout",
            "1",
        ])
        .env("TEST_PIN", PIN)
        .env("PATH", path)
        .output()
        .expect("fxconfig runs");
    let seen = |name: &str| std::fs::read_to_string(out.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(
        seen("dir_mode").trim(),
        "700",
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
    assert_eq!(seen("script_mode").trim(), "700");
    assert_eq!(seen("passphrase"), "", "a key passphrase prompt was answered");
    assert_eq!(seen("passphrase_status").trim(), "1");
    assert_eq!(seen("other_token"), "", "another token's PIN prompt was answered");
    assert_eq!(seen("host_key"), "", "a host key question was answered");
    assert_eq!(
        seen("pin"),
        format!("{PIN}\n"),
        "the token's PIN prompt was not answered"
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("ssh.login"), "{stdout}");
    assert!(!stdout.contains(PIN) && !String::from_utf8_lossy(&output.stderr).contains(PIN));
}

#[test]
fn a_token_label_starting_with_a_dash_is_a_label() {
    let hsm = Hsm::new();
    run_ok(hsm.command("softhsm2-util").args([
        "--init-token",
        "--free",
        "--label",
        "-weird",
        "--so-pin",
        SO_PIN,
        "--pin",
        PIN,
    ]));
    let output = hsm
        .command(FXCONFIG)
        .args(["check", "--config"])
        .arg(hsm.path().join("absent.cfg"))
        .args([
            "--module",
            SOFTHSM,
            "--token=-weird",
            "--pin-env",
            "TEST_PIN",
            "--timeout",
            "1",
        ])
        .env("TEST_PIN", PIN)
        .output()
        .expect("fxconfig runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let load = stdout.lines().find(|l| l.contains("pkcs11.load")).unwrap_or_default();
    assert!(load.starts_with("PASS"), "{stdout}");
    let slots = stdout.lines().find(|l| l.contains("pkcs11.slots")).unwrap_or_default();
    assert!(slots.starts_with("PASS"), "{stdout}");
    assert!(stdout.contains("token \"-weird\""), "{stdout}");
    let info = run_ok(
        hsm.command(FXCONFIG)
            .args(["p11", "--module", SOFTHSM, "--token", "-weird", "info"]),
    );
    assert!(String::from_utf8_lossy(&info.stdout).contains("\"-weird\""));
}
