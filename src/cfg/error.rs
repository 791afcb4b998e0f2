//! The errors of reading, editing and saving `fxpkcs11.cfg`.

use std::io;
use std::path::PathBuf;

use crate::remedy::Explain;

/// Why a configuration file could not be read, edited or saved.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CfgError {
    /// The file is not UTF-8 text; `line` is the 1-based line holding the first bad byte.
    #[error("the configuration file is not UTF-8 text (first bad byte on line {line})")]
    NotUtf8 {
        /// The 1-based line of the first byte that is not UTF-8.
        line: usize,
    },

    /// The file (or its current state on disk) could not be read.
    #[error("cannot read {}", path.display())]
    Read {
        /// The file that could not be read.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: io::Error,
    },

    /// The file, its backup or a temporary file next to it could not be written.
    #[error("cannot write {}", path.display())]
    Write {
        /// The file that could not be written.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: io::Error,
    },

    /// Another program changed (or removed, or created) the file since it was loaded,
    /// so saving would overwrite that change.
    #[error(
        "{} was changed by another program after it was opened; reload it or save under another name",
        path.display()
    )]
    ChangedOnDisk {
        /// The file that changed.
        path: PathBuf,
    },

    /// The value cannot be stored on the entry's single line without changing its meaning.
    #[error("invalid value for {tag}: {reason}")]
    InvalidValue {
        /// The tag whose value was rejected.
        tag: String,
        /// What is wrong with the value.
        reason: String,
    },

    /// A tag or section name that the file format cannot hold.
    #[error("invalid name \"{name}\": {reason}")]
    InvalidName {
        /// The rejected name.
        name: String,
        /// What is wrong with it.
        reason: String,
    },

    /// The named section is neither in the file nor one this tool knows how to create.
    #[error("the file has no section <{section}>, and it is not a section the PKCS#11 library uses")]
    UnknownSection {
        /// The section that was asked for.
        section: String,
    },
}

impl Explain for CfgError {
    fn remedy(&self) -> String {
        match self {
            CfgError::NotUtf8 { line } => format!(
                "Save the file as plain UTF-8 (or ASCII) text; look at line {line} for characters \
                 written in another encoding."
            ),
            CfgError::Read { path, .. } => format!(
                "Check that {} exists and that this account may read it (the file usually belongs \
                 to root). If the library should read another file, point FXPKCS11_CFG at it.",
                path.display()
            ),
            CfgError::Write { path, .. } => format!(
                "Check that this account may write {} and create files in its folder (the folder \
                 usually belongs to root), and that the disk is not full.",
                path.display()
            ),
            CfgError::ChangedOnDisk { path } => format!(
                "Reload {} to see the other program's change, then make your edit again; or save \
                 your version under another name and compare the two.",
                path.display()
            ),
            CfgError::InvalidValue { tag, .. } => format!(
                "Enter the value for {tag} on one line, without a line break, control characters, \
                 surrounding spaces or the text </{tag}."
            ),
            CfgError::InvalidName { .. } => {
                "Tag and section names are made of letters, digits, '-', '_' and '.', such as \
                 PROD-TLS-CA or KMS."
                    .to_owned()
            }
            CfgError::UnknownSection { .. } => {
                "Put connection settings in the <KMS> section and REQUIRE-LOGIN-FLAG in the \
                 <CONFIG> section."
                    .to_owned()
            }
        }
    }

    fn guide_section(&self) -> Option<&'static str> {
        match self {
            CfgError::Read { .. } | CfgError::Write { .. } => Some("2.2"),
            _ => Some("4.2"),
        }
    }
}
