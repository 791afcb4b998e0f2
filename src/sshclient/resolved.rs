//! What OpenSSH itself resolves for a host: `ssh -G ALIAS`, which prints every option as
//! the client would use it, after reading the configuration files (and running any
//! `Match exec`), without connecting.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::pkcs11::process::{self, describe_status};

/// How long `ssh -G` or `ssh -V` may take.
pub const SSH_QUERY_LIMIT: Duration = Duration::from_secs(10);

/// The options `ssh -G` printed, in its order (lowercase keywords).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ResolvedConfig {
    entries: Vec<(String, String)>,
}

impl ResolvedConfig {
    /// Reads `ssh -G`'s output: one `keyword value` per line.
    pub fn parse(output: &str) -> ResolvedConfig {
        let entries = output
            .lines()
            .filter_map(|line| {
                let line = line.trim_end_matches('\r');
                let (keyword, value) = line.split_once(' ').unwrap_or((line, ""));
                (!keyword.is_empty()).then(|| (keyword.to_ascii_lowercase(), value.to_owned()))
            })
            .collect();
        ResolvedConfig { entries }
    }

    /// The value of `keyword` (the first, for a keyword printed more than once).
    pub fn get(&self, keyword: &str) -> Option<&str> {
        self.entries
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(keyword))
            .map(|(_, value)| value.as_str())
    }

    /// Every value of `keyword`, such as each `identityfile`.
    pub fn all(&self, keyword: &str) -> Vec<&str> {
        self.entries
            .iter()
            .filter(|(name, _)| name.eq_ignore_ascii_case(keyword))
            .map(|(_, value)| value.as_str())
            .collect()
    }
}

/// Why `ssh` could not answer.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SshQueryError {
    /// The program could not be started.
    #[error("cannot run {}", program.display())]
    NotStarted {
        /// The program.
        program: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// It ran and failed.
    #[error("`{command}` failed ({status}): {output}")]
    Failed {
        /// The command line.
        command: String,
        /// How it ended.
        status: String,
        /// What it printed on standard error.
        output: String,
    },
}

/// The `ssh` program to run: `FXCONFIG_SSH` when set (tests, unusual installs), else `ssh`
/// from `PATH`.
pub fn ssh_program() -> PathBuf {
    std::env::var_os("FXCONFIG_SSH")
        .filter(|value| !value.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("ssh"))
}

/// Runs `ssh ARGS` for at most [`SSH_QUERY_LIMIT`] and returns standard output and error.
pub(crate) fn run_ssh(program: &Path, args: &[String]) -> Result<(String, String), SshQueryError> {
    let mut command = Command::new(program);
    command.args(args);
    let command_text = format!("{} {}", program.display(), args.join(" "));
    let finished =
        process::run_bounded(command, None, SSH_QUERY_LIMIT).map_err(|source| SshQueryError::NotStarted {
            program: program.to_owned(),
            source,
        })?;
    let stdout = String::from_utf8_lossy(&finished.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&finished.stderr).into_owned();
    match finished.status {
        Some(status) if status.success() => Ok((stdout, stderr)),
        Some(status) => Err(SshQueryError::Failed {
            command: command_text,
            status: describe_status(status),
            output: process::tail(stderr.as_bytes(), 4),
        }),
        None => Err(SshQueryError::Failed {
            command: command_text,
            status: format!("killed after {} s", SSH_QUERY_LIMIT.as_secs()),
            output: process::tail(stderr.as_bytes(), 4),
        }),
    }
}

/// `ssh -G [-F FILE] -- ALIAS`: the options ssh would use for `ALIAS`, reading `file` alone
/// when given (as `ssh -F FILE` does), else the user's and the system's files.
///
/// # Errors
/// [`SshQueryError`] when `ssh` cannot run or refuses the configuration (a syntax error, a
/// file with unsafe permissions).
pub fn resolve(program: &Path, file: Option<&Path>, alias: &str) -> Result<ResolvedConfig, SshQueryError> {
    let mut args = vec!["-G".to_owned()];
    if let Some(file) = file {
        args.push("-F".to_owned());
        args.push(file.display().to_string());
    }
    args.push("--".to_owned());
    args.push(alias.to_owned());
    run_ssh(program, &args).map(|(stdout, _)| ResolvedConfig::parse(&stdout))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_are_read_from_ssh_g_output() {
        let resolved = ResolvedConfig::parse(
            "user root\nhostname 127.0.0.1\nidentitiesonly yes\nidentityfile ~/k.pub\nidentityfile /a b\n\
             pkcs11provider /usr/lib/x.so\n",
        );
        assert_eq!(resolved.get("IdentitiesOnly"), Some("yes"));
        assert_eq!(resolved.all("identityfile"), ["~/k.pub", "/a b"]);
        assert_eq!(resolved.get("certificatefile"), None);
    }
}
