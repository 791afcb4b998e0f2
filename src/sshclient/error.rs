//! Why a `Host` block could not be written, with the raw cause and a remedy.

use std::path::PathBuf;

use super::resolved::SshQueryError;
use crate::cfg::CfgError;
use crate::remedy::Explain;

/// Why `ssh-config` did not write (or could not prove) the `Host` block.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SshConfigError {
    /// A value given cannot go into the block.
    #[error("{what} {value:?} cannot be used: {why}")]
    BadValue {
        /// Which value (`the host alias`, `the identity file`, …).
        what: &'static str,
        /// The value.
        value: String,
        /// Why not.
        why: String,
    },
    /// The user's home folder is unknown, so `~/.ssh/config` cannot be found.
    #[error("the home folder of this account is unknown, so ~/.ssh/config cannot be found")]
    NoHome,
    /// The file is not UTF-8 text.
    #[error("{} is not UTF-8 text (first bad byte on line {line})", path.display())]
    NotText {
        /// The file.
        path: PathBuf,
        /// The 1-based line holding the first bad byte.
        line: usize,
    },
    /// The file could not be read, locked or written.
    #[error("{}", path.display())]
    File {
        /// The file.
        path: PathBuf,
        /// What failed.
        #[source]
        source: CfgError,
    },
    /// A line that ssh reads first sets a keyword of the block, so the block would not
    /// take effect.
    #[error(
        "{}:{line}: `{text}` ({block}) is read before the Host block and sets {keyword} first, so the block would not take effect",
        path.display()
    )]
    Overridden {
        /// The keyword.
        keyword: String,
        /// The file holding the line that wins.
        path: PathBuf,
        /// Its 1-based line.
        line: usize,
        /// The line, trimmed.
        text: String,
        /// The block it is in.
        block: String,
    },
    /// `ssh` could not be run to prove the block.
    #[error("could not ask ssh what it resolves")]
    Ssh(#[source] SshQueryError),
    /// `ssh -G` shows other values than the block's.
    #[error("`ssh -G {alias}` does not show the block's values: {}", mismatches.join("; "))]
    NotProven {
        /// The host alias.
        alias: String,
        /// Each keyword whose resolved value differs, with both values.
        mismatches: Vec<String>,
        /// Lines that may set those keywords first (`Match exec`, `Match user`, …).
        suspects: Vec<String>,
        /// Whether the file was written and then put back as it was.
        rolled_back: bool,
    },
}

impl Explain for SshConfigError {
    fn remedy(&self) -> String {
        match self {
            SshConfigError::BadValue { .. } => "Give the value again as the message says.".to_owned(),
            SshConfigError::NoHome => "Name the file with --file (for example ~/.ssh/config written out in full), \
                 or set HOME."
                .to_owned(),
            SshConfigError::NotText { path, line } => format!(
                "Save {} as plain UTF-8 text; look at line {line} for characters written in another encoding.",
                path.display()
            ),
            SshConfigError::File { path, source } => match source {
                CfgError::Read { .. } => format!(
                    "Check that {} exists and that this account may read it and its folder.",
                    path.display()
                ),
                other => other.remedy(),
            },
            SshConfigError::Overridden {
                keyword,
                path,
                line,
                block,
                ..
            } if block.starts_with("before") => format!(
                "ssh keeps the first value it reads for {keyword}, and lines before the first Host or Match \
                 apply to every host. Move line {line} of {} into a `Host *` block at the end of the file, or \
                 remove it, then run the command again.",
                path.display()
            ),
            SshConfigError::Overridden {
                keyword, path, line, ..
            } => format!(
                "ssh keeps the first value it reads for {keyword}. Remove or change line {line} of {}, or \
                 narrow its block (for example `Host * !ALIAS`), then run the command again.",
                path.display()
            ),
            SshConfigError::Ssh(_) => "Install the OpenSSH client (the `ssh` command), or name it with \
                 FXCONFIG_SSH, and check that `ssh -G HOST` runs; it also fails on a configuration file it \
                 cannot read or whose permissions it refuses."
                .to_owned(),
            SshConfigError::NotProven {
                suspects, rolled_back, ..
            } => {
                let put_back = if *rolled_back {
                    " The file was put back as it was."
                } else {
                    " Nothing was written."
                };
                if suspects.is_empty() {
                    format!(
                        "Run `ssh -G ALIAS` and look for the file that sets these keywords first (an Include, \
                         a Match block, or /etc/ssh/ssh_config).{put_back}"
                    )
                } else {
                    format!(
                        "These lines may set the keywords first: {}. Change them, or narrow their blocks.{put_back}",
                        suspects.join("; ")
                    )
                }
            }
        }
    }

    fn guide_section(&self) -> Option<&'static str> {
        Some("5")
    }
}
