//! Passwords for the command line: from an environment variable or standard input,
//! never from an argument (other users see arguments in `ps`). A password read from
//! standard input is at most 64 KiB and must not be empty unless `--allow-empty` says so.

use clap::Args;
use fxconfig::Secret;
use fxconfig::files::{self, limits};

use super::CommandError;

/// Where the PKCS#12 password comes from.
#[derive(Debug, Args)]
#[group(required = true, multiple = false)]
pub struct PasswordSource {
    /// Read the password from this environment variable.
    #[arg(long, value_name = "VAR")]
    pub password_env: Option<String>,
    /// Read the password from the first line of standard input.
    #[arg(long)]
    pub password_stdin: bool,
}

impl PasswordSource {
    /// The password, or why it could not be read. An empty line on standard input is
    /// refused unless `allow_empty`.
    pub fn read(&self, allow_empty: bool) -> Result<Secret, CommandError> {
        match &self.password_env {
            Some(var) => from_env(var),
            None => read_stdin(allow_empty),
        }
    }
}

/// The value of an environment variable as a secret.
pub fn from_env(var: &str) -> Result<Secret, CommandError> {
    match std::env::var(var) {
        Ok(value) => Ok(Secret::new(value)),
        Err(std::env::VarError::NotPresent) => Err(CommandError::cannot_run(format!(
            "the environment variable {var} is not set"
        ))),
        Err(std::env::VarError::NotUnicode(_)) => Err(CommandError::cannot_run(format!(
            "the environment variable {var} is not valid UTF-8"
        ))),
    }
}

/// The first line of standard input (without its line ending) as a secret; an empty
/// line is refused.
pub fn from_stdin() -> Result<Secret, CommandError> {
    read_stdin(false)
}

/// The first line of standard input (without its line ending, at most 64 KiB) as a
/// secret; an empty line is refused unless `allow_empty`.
pub fn read_stdin(allow_empty: bool) -> Result<Secret, CommandError> {
    let line = files::read_secret_line(&mut std::io::stdin().lock(), limits::SECRET_MAX_BYTES).map_err(|e| {
        CommandError::cannot_run(match e {
            files::InputError::TooLarge { limit, .. } => {
                format!("the password on standard input is longer than {limit} bytes")
            }
            other => format!(
                "could not read the password from standard input: {}",
                fxconfig::remedy::cause_chain(&other)
            ),
        })
    })?;
    if line.is_empty() && !allow_empty {
        return Err(CommandError::cannot_run(
            "standard input gave an empty password; pass --allow-empty if the password really is empty",
        ));
    }
    Ok(Secret::new(line.as_str()))
}
