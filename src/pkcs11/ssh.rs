//! The end-to-end test of the guide's [5]: the system's OpenSSH client logs in
//! with the key in the module (`ssh -I MODULE user@host true`), and its output is
//! explained.
//!
//! How `ssh` is run, plainly:
//! - `-I MODULE` with `FXPKCS11_CFG` set to the configuration being checked;
//! - `-o IdentityAgent=none`, password and keyboard-interactive authentication off,
//!   so no agent key or password can log in. `IdentitiesOnly` stays off: it would
//!   drop the module's keys too. Keys from the user's own files may still be
//!   offered; `-v`'s "Server accepts key" line tells whether the accepted key came
//!   from the module (it ends in "token"), and a login with another key only warns;
//! - `-o ConnectTimeout`, plus a hard bound of three times the timeout plus 5 s, after which
//!   `ssh` and every process it started are killed (it runs in a session of its own; see
//!   `process.rs`), and anything it left behind when it exits is killed too;
//! - host keys: checked strictly against the user's own `known_hosts`
//!   ([`HostKeys::Strict`], nothing is written), against a given file
//!   ([`HostKeys::File`]), or unknown hosts accepted and recorded
//!   ([`HostKeys::AcceptNew`]);
//! - without a PIN, `-o BatchMode=yes`: nothing can prompt. With a PIN (for
//!   modules other than fxpkcs11), batch mode is off and `ssh` asks the PIN of
//!   `fxconfig askpass` (`SSH_ASKPASS`, `SSH_ASKPASS_REQUIRE=force`) through a small script in
//!   a private folder (mode 0700 whatever the umask, so no other user can swap the script).
//!   The askpass answers only OpenSSH's PKCS#11 PIN prompt, `Enter PIN for 'LABEL': ` (of the
//!   token asked for, when one was), never a key passphrase or a host-key question, from a
//!   variable set in `ssh`'s environment alone;
//! - the remote command is `true`.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::probe::Helper;
use super::process::{self, describe_status};
use crate::Secret;

/// The environment variable through which `fxconfig askpass` receives the PIN.
pub const ASKPASS_PIN_VAR: &str = "FXCONFIG_ASKPASS_PIN";

/// The environment variable through which `fxconfig askpass` learns which token's PIN it holds.
pub const ASKPASS_TOKEN_VAR: &str = "FXCONFIG_ASKPASS_TOKEN";

/// Where to log in: `user@host[:port]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SshTarget {
    /// The remote user.
    pub user: String,
    /// The host name or address.
    pub host: String,
    /// The port; `None` uses ssh's default (22 or the user's ssh config).
    pub port: Option<u16>,
}

/// Why a `user@host[:port]` text is not a target.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{text:?} is not USER@HOST[:PORT]: {reason}")]
pub struct SshTargetError {
    /// The text given.
    pub text: String,
    /// What is wrong with it.
    pub reason: &'static str,
}

impl FromStr for SshTarget {
    type Err = SshTargetError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let bad = |reason| SshTargetError {
            text: text.to_owned(),
            reason,
        };
        let (user, rest) = text.rsplit_once('@').ok_or_else(|| bad("the user is missing"))?;
        if user.is_empty() || user.starts_with('-') || user.contains(char::is_whitespace) {
            return Err(bad("the user is empty or not a user name"));
        }
        let (host, port) = if let Some(bracketed) = rest.strip_prefix('[') {
            let (host, after) = bracketed.split_once(']').ok_or_else(|| bad("the '[' is not closed"))?;
            match after.strip_prefix(':') {
                Some(port) => (host, Some(port)),
                None if after.is_empty() => (host, None),
                None => return Err(bad("unexpected text after ']'")),
            }
        } else if rest.matches(':').count() == 1 {
            let (host, port) = rest.split_once(':').ok_or_else(|| bad("unreadable port"))?;
            (host, Some(port))
        } else {
            (rest, None)
        };
        if host.is_empty() || host.starts_with('-') || host.contains(char::is_whitespace) {
            return Err(bad("the host is empty or not a host name"));
        }
        let port = port
            .map(|p| {
                p.parse::<u16>()
                    .ok()
                    .filter(|p| *p > 0)
                    .ok_or_else(|| bad("the port is not 1-65535"))
            })
            .transpose()?;
        Ok(SshTarget {
            user: user.to_owned(),
            host: host.to_owned(),
            port,
        })
    }
}

impl fmt::Display for SshTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        match self.port {
            Some(port) => write!(f, "{}@{host}:{port}", self.user),
            None => write!(f, "{}@{host}", self.user),
        }
    }
}

/// Where `ssh` logs in: an address given in full, or a `Host` alias of an OpenSSH client
/// configuration, whose block (`PKCS11Provider`, `IdentitiesOnly`, `IdentityFile`) the login
/// then proves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SshDestination {
    /// `user@host[:port]`, logged in to with `ssh -I MODULE`.
    Address(SshTarget),
    /// A `Host` alias, logged in to as `ssh [-F CONFIG] ALIAS`: the module comes from the
    /// alias's `PKCS11Provider`.
    Alias {
        /// The alias.
        name: String,
        /// The configuration file (`ssh -F`); `None` for the user's and the system's.
        config: Option<PathBuf>,
    },
}

impl From<SshTarget> for SshDestination {
    fn from(target: SshTarget) -> SshDestination {
        SshDestination::Address(target)
    }
}

impl FromStr for SshDestination {
    type Err = SshTargetError;

    /// `user@host[:port]` is an address; a word without `@` is an alias.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        if text.contains('@') {
            return text.parse().map(SshDestination::Address);
        }
        if text.is_empty()
            || text.starts_with('-')
            || text.contains(|c: char| c.is_whitespace() || c.is_control() || "*?!,".contains(c))
        {
            return Err(SshTargetError {
                text: text.to_owned(),
                reason: "an alias is one name (no spaces, wildcards or leading '-'); an address is USER@HOST[:PORT]",
            });
        }
        Ok(SshDestination::Alias {
            name: text.to_owned(),
            config: None,
        })
    }
}

impl fmt::Display for SshDestination {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SshDestination::Address(target) => target.fmt(f),
            SshDestination::Alias { name, .. } => f.write_str(name),
        }
    }
}

impl SshDestination {
    /// The name `ssh -G` resolves: the alias, or the address's host.
    pub fn host_name(&self) -> &str {
        match self {
            SshDestination::Address(target) => &target.host,
            SshDestination::Alias { name, .. } => name,
        }
    }

    /// The configuration file given with `-F`, for an alias.
    pub fn config_file(&self) -> Option<&Path> {
        match self {
            SshDestination::Address(_) => None,
            SshDestination::Alias { config, .. } => config.as_deref(),
        }
    }
}

/// How the server's host key is checked.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HostKeys {
    /// `StrictHostKeyChecking=yes` with the user's own known_hosts: an unknown host fails; nothing is written.
    #[default]
    Strict,
    /// `StrictHostKeyChecking=yes` with this known_hosts file only.
    File(PathBuf),
    /// `StrictHostKeyChecking=accept-new`: an unknown host's key is recorded in the user's known_hosts.
    AcceptNew,
}

/// What the SSH test needs.
#[derive(Debug, Clone)]
pub struct SshLoginOptions {
    /// The module given to `ssh -I` (for an address; an alias's configuration names its own).
    pub module: PathBuf,
    /// Where to log in.
    pub target: SshDestination,
    /// `FXPKCS11_CFG` for the module, when set.
    pub config: Option<PathBuf>,
    /// The token's user PIN, for modules that ask for one.
    pub pin: Option<Secret>,
    /// The token the PIN belongs to, by label: only that token's PIN prompt is answered.
    /// `None` answers the PIN prompt of whichever token ssh asks for.
    pub token_label: Option<String>,
    /// How host keys are checked.
    pub host_keys: HostKeys,
    /// The `ssh` program (`ssh` from `PATH` by default).
    pub ssh: PathBuf,
    /// `ConnectTimeout`; the whole run is killed after three times this, plus 5 s.
    pub timeout: Duration,
    /// Run ssh as this local user (`runuser -u USER --`, so its groups apply), when
    /// fxconfig runs as root: the login then proves what that user will see, since the
    /// module runs as the user who runs ssh. `None` runs ssh as fxconfig's own user.
    pub run_as: Option<String>,
}

impl SshLoginOptions {
    /// Options with strict host keys, the `ssh` on `PATH` and a 5 s connect timeout.
    pub fn new(module: impl Into<PathBuf>, target: impl Into<SshDestination>) -> SshLoginOptions {
        SshLoginOptions {
            module: module.into(),
            target: target.into(),
            config: None,
            pin: None,
            token_label: None,
            host_keys: HostKeys::Strict,
            ssh: PathBuf::from("ssh"),
            timeout: Duration::from_secs(5),
            run_as: None,
        }
    }
}

/// What the login attempt showed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum SshVerdict {
    /// Logged in with a key from the module and ran `true`.
    Success,
    /// Logged in, but with a key that did not come from the module.
    SuccessWithOtherKey,
    /// The server refused every key: the module's key is not in authorized_keys.
    KeyNotAuthorized,
    /// The module offered no key at all.
    NoKeysFromModule,
    /// The module wanted a PIN (its token needs a login) and ssh could not prompt for one.
    PinRequired,
    /// `ssh` could not load the module.
    ModuleLoadFailed,
    /// The host name did not resolve.
    ResolveFailed,
    /// Nothing listens on the port.
    ConnectionRefused,
    /// The connection attempt timed out.
    ConnectTimeout,
    /// No route to the host, or the network is unreachable.
    NoRoute,
    /// The host key is unknown (strict checking) or does not match.
    HostKeyVerificationFailed,
    /// The server closed the connection before authentication.
    ClosedByServer,
    /// `ssh` did not finish within the hard bound and was killed.
    TimedOut,
    /// Something else; see the output.
    Other,
}

/// The result of the SSH test.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SshLoginReport {
    /// The verdict.
    pub verdict: SshVerdict,
    /// What happened, with `ssh`'s own words.
    pub detail: String,
    /// What to do; empty on success.
    pub remedy: String,
    /// The guide section.
    pub guide: &'static str,
    /// The command run, without the PIN (which is never on a command line).
    pub command: String,
    /// `ssh`'s exit code, when it exited.
    pub exit_code: Option<i32>,
    /// How long it took, in milliseconds.
    pub ms: u64,
}

impl SshLoginReport {
    /// Whether the test passed (logged in with the module's key).
    pub fn passed(&self) -> bool {
        self.verdict == SshVerdict::Success
    }
}

/// Builds the `ssh` command line for the test (without environment).
pub fn ssh_arguments(options: &SshLoginOptions) -> Vec<String> {
    let connect = options.timeout.as_secs().max(1);
    let mut args: Vec<String> = vec!["-v".into(), "-T".into()];
    match &options.target {
        SshDestination::Address(_) => {
            args.push("-I".into());
            args.push(options.module.display().to_string());
        }
        SshDestination::Alias { config, .. } => {
            if let Some(config) = config {
                args.push("-F".into());
                args.push(config.display().to_string());
            }
        }
    }
    let mut option = |text: String| {
        args.push("-o".into());
        args.push(text);
    };
    option(format!(
        "BatchMode={}",
        if options.pin.is_some() { "no" } else { "yes" }
    ));
    option(format!("ConnectTimeout={connect}"));
    option("IdentityAgent=none".into());
    option("PasswordAuthentication=no".into());
    option("KbdInteractiveAuthentication=no".into());
    option("PreferredAuthentications=publickey".into());
    option("ControlMaster=no".into());
    option("ControlPath=none".into());
    match &options.host_keys {
        HostKeys::Strict => option("StrictHostKeyChecking=yes".into()),
        HostKeys::File(path) => {
            option("StrictHostKeyChecking=yes".into());
            option(format!("UserKnownHostsFile={}", path.display()));
            option("GlobalKnownHostsFile=/dev/null".into());
        }
        HostKeys::AcceptNew => option("StrictHostKeyChecking=accept-new".into()),
    }
    match &options.target {
        SshDestination::Address(target) => {
            if let Some(port) = target.port {
                args.push("-p".into());
                args.push(port.to_string());
            }
            args.push("-l".into());
            args.push(target.user.clone());
            args.push("--".into());
            args.push(target.host.clone());
        }
        SshDestination::Alias { name, .. } => {
            args.push("--".into());
            args.push(name.clone());
        }
    }
    args.push("true".into());
    args
}

/// Runs the SSH test. Blocking, bounded by `3 × timeout + 5 s`: call it from a worker thread.
///
/// `helper` provides the environment for `ssh` and, with a PIN, the askpass program.
pub fn login(options: &SshLoginOptions, helper: &Helper) -> SshLoginReport {
    let args = ssh_arguments(options);
    let (mut command, command_text) = match &options.run_as {
        Some(user) => {
            let mut command = std::process::Command::new("runuser");
            command.args(["-u", user, "--"]).arg(&options.ssh);
            let text = format!("runuser -u {user} -- {} {}", options.ssh.display(), args.join(" "));
            (command, text)
        }
        None => (
            std::process::Command::new(&options.ssh),
            format!("{} {}", options.ssh.display(), args.join(" ")),
        ),
    };
    command.args(&args);
    command.envs(helper.env.iter().map(|(k, v)| (k, v)));
    if let Some(config) = &options.config {
        command.env(
            "FXPKCS11_CFG",
            std::path::absolute(config).unwrap_or_else(|_| config.clone()),
        );
    }
    let askpass_dir = match &options.pin {
        Some(pin) => match askpass_script(&helper.program, options.run_as.as_deref()) {
            Ok((dir, script)) => {
                command
                    .env("SSH_ASKPASS", &script)
                    .env("SSH_ASKPASS_REQUIRE", "force")
                    .env(ASKPASS_PIN_VAR, pin.expose());
                match &options.token_label {
                    Some(label) => command.env(ASKPASS_TOKEN_VAR, label),
                    None => command.env_remove(ASKPASS_TOKEN_VAR),
                };
                Some(dir)
            }
            Err(error) => {
                return report(
                    SshVerdict::Other,
                    format!("could not prepare the PIN helper for ssh: {error}"),
                    "Check that the temporary folder is writable",
                    "5",
                    command_text,
                    None,
                    0,
                );
            }
        },
        None => None,
    };
    let limit = options.timeout * 3 + Duration::from_secs(5);
    let finished = process::run_bounded(command, None, limit);
    drop(askpass_dir);
    let finished = match finished {
        Ok(finished) => finished,
        Err(error) => {
            return report(
                SshVerdict::Other,
                format!("could not run {}: {error}", options.ssh.display()),
                "Install the OpenSSH client (Debian: apt-get install openssh-client)",
                "5",
                command_text,
                None,
                0,
            );
        }
    };
    let ms = u64::try_from(finished.elapsed.as_millis()).unwrap_or(u64::MAX);
    let stderr = String::from_utf8_lossy(&finished.stderr).replace('\r', "");
    match finished.status {
        None => report(
            SshVerdict::TimedOut,
            format!(
                "ssh did not finish within {} s (3 × the {} s timeout + 5 s) and was killed with every process it started; last output: {}",
                limit.as_secs_f64(),
                options.timeout.as_secs_f64(),
                excerpt(&stderr)
            ),
            "Check the host answers SSH quickly; with fxpkcs11, run `fxconfig check` for the KMES connection",
            "5",
            command_text,
            None,
            ms,
        ),
        Some(status) => {
            let (verdict, detail, remedy, guide) = classify(status.success(), &stderr, &options.target);
            let detail = if status.success() {
                detail
            } else {
                format!("{detail} (ssh {})", describe_status(status))
            };
            report(verdict, detail, remedy, guide, command_text, status.code(), ms)
        }
    }
}

fn report(
    verdict: SshVerdict,
    detail: String,
    remedy: &str,
    guide: &'static str,
    command: String,
    exit_code: Option<i32>,
    ms: u64,
) -> SshLoginReport {
    SshLoginReport {
        verdict,
        detail,
        remedy: remedy.to_owned(),
        guide,
        command,
        exit_code,
        ms,
    }
}

/// A small script that runs `fxconfig askpass` with ssh's prompt as its one argument, in a
/// private temporary folder (0700 whatever the umask: no other user may add, swap or read
/// files there). It holds no secret: the PIN stays in `ssh`'s environment.
/// The shell a command is written for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shell {
    /// sh, bash, zsh: `FXPKCS11_CFG='…' ssh …`.
    Posix,
    /// Windows PowerShell: `$env:FXPKCS11_CFG='…'; ssh …`.
    PowerShell,
}

impl Shell {
    /// The shell of this platform's administrators: PowerShell on Windows, else POSIX.
    pub fn of_this_platform() -> Shell {
        if cfg!(windows) { Shell::PowerShell } else { Shell::Posix }
    }

    /// `text` as one word of this shell, quoted when it needs to be.
    pub fn word(self, text: &str) -> String {
        let plain = !text.is_empty()
            && text.chars().all(|c| {
                c.is_ascii_alphanumeric() || matches!(c, '/' | '.' | '_' | '-' | '+' | ',' | ':' | '@' | '%' | '\\')
            });
        match self {
            Shell::Posix if plain && !text.contains('\\') => text.to_owned(),
            Shell::Posix => format!("'{}'", text.replace('\'', r"'\''")),
            Shell::PowerShell if plain => text.to_owned(),
            Shell::PowerShell => format!("'{}'", text.replace('\'', "''")),
        }
    }
}

/// What stands for the SSH account and server in a command until one is given; in capitals,
/// so that nobody takes it for a value.
pub const TARGET_PLACEHOLDER: &str = "USER@SSH-SERVER";

/// The guide's test [5] as a command to paste into `shell`: `ssh -I MODULE TARGET`, preceded
/// by `FXPKCS11_CFG` set to `config` when the library would otherwise read another file
/// (`library`), so that the command uses the configuration that was set up. `target` `None`
/// writes [`TARGET_PLACEHOLDER`].
pub fn manual_command(
    shell: Shell,
    module: &str,
    target: Option<&str>,
    config: Option<&Path>,
    library: &crate::cfg::LibraryCfg,
) -> String {
    let target = target.map_or_else(|| TARGET_PLACEHOLDER.to_owned(), |target| shell.word(target));
    let ssh = format!("ssh -I {} {target}", shell.word(module));
    let Some(config) = config.filter(|config| !crate::cfg::locate::is_library_cfg(config, library)) else {
        return ssh;
    };
    let config = std::path::absolute(config).unwrap_or_else(|_| config.to_path_buf());
    let config = shell.word(&config.display().to_string());
    match shell {
        Shell::Posix => format!("FXPKCS11_CFG={config} {ssh}"),
        Shell::PowerShell => format!("$env:FXPKCS11_CFG={config}; {ssh}"),
    }
}

/// The askpass script, in a private folder owned by `run_as` when ssh runs as that user.
fn askpass_script(program: &Path, run_as: Option<&str>) -> std::io::Result<(tempfile::TempDir, PathBuf)> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::Builder::new()
            .prefix("fxconfig-askpass")
            .permissions(std::fs::Permissions::from_mode(0o700))
            .tempdir()?;
        let script = dir.path().join("askpass");
        let quoted = program.display().to_string().replace('\'', "'\\''");
        std::fs::write(&script, format!("#!/bin/sh\nexec '{quoted}' askpass -- \"$@\"\n"))?;
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o700))?;
        if let Some(user) = run_as {
            let account = crate::files::access::account(user).map_err(std::io::Error::other)?;
            for path in [dir.path(), script.as_path()] {
                std::os::unix::fs::chown(path, Some(account.uid), None)?;
            }
        }
        Ok((dir, script))
    }
    #[cfg(not(unix))]
    {
        let _ = run_as;
        let dir = tempfile::Builder::new().prefix("fxconfig-askpass").tempdir()?;
        Ok((dir, program.to_path_buf()))
    }
}

/// The token label in OpenSSH's PKCS#11 PIN prompt, `Enter PIN for 'LABEL': ` (ssh-pkcs11.c),
/// or `None` for any other prompt: a key passphrase, a host key question, a security key's PIN.
pub fn pin_prompt_token(prompt: &str) -> Option<&str> {
    prompt.strip_prefix("Enter PIN for '")?.strip_suffix("': ")
}

/// Whether askpass may answer `prompt` with the PIN of `token` (`None`: any token's PIN).
/// Labels are compared without their trailing blanks, as OpenSSH prints them.
pub fn askpass_answers(prompt: &str, token: Option<&str>) -> bool {
    match (pin_prompt_token(prompt), token) {
        (Some(asked), Some(token)) => asked.trim_end() == token.trim_end(),
        (Some(_), None) => true,
        (None, _) => false,
    }
}

/// The lines of ssh's output worth showing: errors and the key/authentication debug lines.
fn excerpt(stderr: &str) -> String {
    let lines: Vec<&str> = stderr
        .lines()
        .map(str::trim)
        .filter(|line| {
            !line.is_empty()
                && (!line.starts_with("debug")
                    || line.contains("Server accepts key")
                    || line.contains("Authenticated to")
                    || line.contains("Offering public key"))
                && !line.starts_with("OpenSSH_")
        })
        .collect();
    let kept = &lines[lines.len().saturating_sub(6)..];
    if kept.is_empty() {
        "no output".to_owned()
    } else {
        kept.join(" | ")
    }
}

/// Explains ssh's exit and output: the verdict, the detail, the remedy and the guide section.
pub fn classify(
    success: bool,
    stderr: &str,
    target: &impl fmt::Display,
) -> (SshVerdict, String, &'static str, &'static str) {
    let has = |needle: &str| stderr.contains(needle);
    let lower = stderr.to_ascii_lowercase();
    let module_keys = stderr
        .lines()
        .filter(|l| l.contains("Will attempt key:") && l.trim_end().ends_with(" token"))
        .count();
    let accepted = stderr.lines().find(|l| l.contains("Server accepts key:"));
    let said = excerpt(stderr);
    if success {
        return match accepted {
            Some(line) if !line.trim_end().ends_with(" token") => (
                SshVerdict::SuccessWithOtherKey,
                format!(
                    "logged in to {target}, but with a key that is not in the module: {}",
                    line.trim()
                ),
                "Remove that key from the test (it came from a file named in your ssh config); the module's own key was not proven",
                "5",
            ),
            _ => (
                SshVerdict::Success,
                format!(
                    "logged in to {target} with the module's key and ran `true`{}",
                    accepted
                        .map(|l| format!(" ({})", l.trim().trim_start_matches("debug1: ")))
                        .unwrap_or_default()
                ),
                "",
                "5",
            ),
        };
    }
    let classified: (SshVerdict, &str, &str, &str) = if has("Could not resolve hostname") {
        (
            SshVerdict::ResolveFailed,
            "the host name does not resolve",
            "Check the host name, or use its IP address",
            "5",
        )
    } else if lower.contains("connection refused") {
        (
            SshVerdict::ConnectionRefused,
            "nothing listens on the SSH port",
            "Start the SSH server (service ssh start) or give the right port (USER@HOST:PORT)",
            "4.1",
        )
    } else if lower.contains("no route to host") || lower.contains("network is unreachable") {
        (
            SshVerdict::NoRoute,
            "there is no network route to the host",
            "Check the address and the network path (firewall, VPN)",
            "5",
        )
    } else if lower.contains("timed out") {
        (
            SshVerdict::ConnectTimeout,
            "the connection attempt timed out",
            "Check the address, the port and any firewall between the machines",
            "5",
        )
    } else if has("REMOTE HOST IDENTIFICATION HAS CHANGED") {
        (
            SshVerdict::HostKeyVerificationFailed,
            "the server's host key differs from the one recorded in known_hosts",
            "Make sure it is the right server, then remove the old key (ssh-keygen -R HOST) and connect once by hand",
            "5",
        )
    } else if has("Host key verification failed") {
        (
            SshVerdict::HostKeyVerificationFailed,
            "the server's host key is not in known_hosts and strict checking is on",
            "Connect once by hand to accept the host key after checking its fingerprint, or rerun with --ssh-accept-new",
            "5",
        )
    } else if has("is not a PKCS11 library")
        || has("dlopen")
        || has("lib_contains_symbol")
        || lower.contains("c_initialize failed")
    {
        (
            SshVerdict::ModuleLoadFailed,
            "ssh could not load the module",
            "Run `fxconfig check --module PATH` to see why the module does not load (file, architecture, libraries, configuration)",
            "2.2",
        )
    } else if has("pin required") || has("need pin entry") {
        (
            SshVerdict::PinRequired,
            "the module asked for a PIN (its token needs a login) and ssh runs without a prompt, so it got no key from the module",
            "For fxpkcs11, set <REQUIRE-LOGIN-FLAG> NO </REQUIRE-LOGIN-FLAG> in the CONFIG section of fxpkcs11.cfg so the library logs in with CRYPTO-OPR itself; for other modules give the PIN (--pin-env)",
            "4.2",
        )
    } else if has("Permission denied") && module_keys == 0 {
        (
            SshVerdict::NoKeysFromModule,
            "the module gave ssh no key to offer",
            "Check `fxconfig p11 --module PATH pubkeys` lists a key; with fxpkcs11, the SSH user group needs permission to the SSH key and certificate on the KMES",
            "3.2.7",
        )
    } else if has("Permission denied") {
        (
            SshVerdict::KeyNotAuthorized,
            "the server refused the module's key: it is not in the remote user's authorized_keys",
            "Append the line from `fxconfig p11 --module PATH pubkeys` to ~/.ssh/authorized_keys of the remote user, and check the server allows PubkeyAuthentication",
            "4.1",
        )
    } else if has("Connection closed by") || has("kex_exchange_identification") || has("Connection reset") {
        (
            SshVerdict::ClosedByServer,
            "the server closed the connection before authentication",
            "Check the server's log (journalctl -u ssh) for why it dropped the connection",
            "4.1",
        )
    } else {
        (
            SshVerdict::Other,
            "ssh failed",
            "Read ssh's messages above; run the same command by hand with -v for more",
            "5",
        )
    };
    let (verdict, summary, remedy, guide) = classified;
    (verdict, format!("{summary}: {said}"), remedy, guide)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_commands_name_the_configuration_set_up_when_the_library_would_read_another() {
        use crate::cfg::{CfgSource, LibraryCfg};
        let library = LibraryCfg {
            path: PathBuf::from("/etc/fxpkcs11.cfg"),
            source: CfgSource::PlatformDefault,
        };
        let module = "/usr/local/bin/fxpkcs11/x64/OpenSSL-1.1.x/libfxpkcs11.so";
        let mine = Path::new("/home/admin/fx pkcs11.cfg");
        assert_eq!(
            manual_command(Shell::Posix, module, Some("admin@kmes-client"), Some(mine), &library),
            format!("FXPKCS11_CFG='/home/admin/fx pkcs11.cfg' ssh -I {module} admin@kmes-client")
        );
        assert_eq!(
            manual_command(
                Shell::PowerShell,
                r"C:\Program Files\Futurex\fxpkcs11.dll",
                None,
                Some(mine),
                &library
            ),
            r"$env:FXPKCS11_CFG='/home/admin/fx pkcs11.cfg'; ssh -I 'C:\Program Files\Futurex\fxpkcs11.dll' USER@SSH-SERVER"
        );
        assert_eq!(
            manual_command(
                Shell::Posix,
                module,
                None,
                Some(Path::new("/etc/fxpkcs11.cfg")),
                &library
            ),
            format!("ssh -I {module} USER@SSH-SERVER"),
            "the file the library reads needs no variable"
        );
        assert_eq!(Shell::Posix.word("it's"), r"'it'\''s'");
        assert_eq!(Shell::PowerShell.word("it's here"), "'it''s here'");
    }

    #[test]
    fn targets_parse_with_and_without_port() {
        let target: SshTarget = "root@127.0.0.1:2222".parse().expect("target");
        assert_eq!(
            (target.user.as_str(), target.host.as_str(), target.port),
            ("root", "127.0.0.1", Some(2222))
        );
        let v6: SshTarget = "me@[::1]:22".parse().expect("IPv6 target");
        assert_eq!((v6.host.as_str(), v6.port), ("::1", Some(22)));
        assert_eq!(v6.to_string(), "me@[::1]:22");
        assert!("nobody".parse::<SshTarget>().is_err());
        assert!("a@host:0".parse::<SshTarget>().is_err());
        assert!("-oProxyCommand=x@host".parse::<SshTarget>().is_err());
    }

    #[test]
    fn pin_prompt_is_named_before_permission_denied() {
        let target: SshTarget = "root@h".parse().expect("target");
        let stderr = "pin required\nroot@h: Permission denied (publickey).\n";
        assert_eq!(classify(false, stderr, &target).0, SshVerdict::PinRequired);
        let refused = "debug1: Will attempt key: k RSA SHA256:x token\nroot@h: Permission denied (publickey).\n";
        assert_eq!(classify(false, refused, &target).0, SshVerdict::KeyNotAuthorized);
        assert_eq!(
            classify(false, "ssh: connect to host h port 1: Connection refused\n", &target).0,
            SshVerdict::ConnectionRefused
        );
    }

    #[test]
    fn askpass_answers_pkcs11_pin_prompts_only() {
        assert!(askpass_answers("Enter PIN for 'fxtest': ", None));
        assert!(askpass_answers("Enter PIN for 'fxtest': ", Some("fxtest")));
        assert!(askpass_answers("Enter PIN for '-weird': ", Some("-weird")));
        assert!(!askpass_answers("Enter PIN for 'other': ", Some("fxtest")));
        for other in [
            "Are you sure you want to continue connecting (yes/no/[fingerprint])? ",
            "Enter passphrase for key '/root/.ssh/id_spinach': ",
            "Enter passphrase for key '/home/pin/.ssh/id_ed25519': ",
            "Enter PIN for ECDSA-SK key /root/.ssh/id_ecdsa_sk: ",
            "Enter PIN for 'fxtest':",
            "PIN: ",
        ] {
            assert!(!askpass_answers(other, None), "{other}");
        }
    }
}
