//! Passwords for the command line: from an environment variable or standard input,
//! never from an argument (other users see arguments in `ps`).

use std::io::BufRead;

use clap::Args;
use fxconfig::Secret;

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
    /// The password, or why it could not be read.
    pub fn read(&self) -> Result<Secret, CommandError> {
        match &self.password_env {
            Some(var) => from_env(var),
            None => from_stdin(),
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

/// The first line of standard input (without its line ending) as a secret.
pub fn from_stdin() -> Result<Secret, CommandError> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| CommandError::cannot_run(format!("could not read the password from standard input: {e}")))?;
    let trimmed = line.trim_end_matches(['\r', '\n']).to_owned();
    zeroize::Zeroize::zeroize(&mut line);
    Ok(Secret::new(trimmed))
}
