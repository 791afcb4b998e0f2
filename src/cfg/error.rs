//! The errors of reading, editing and saving `fxpkcs11.cfg`.

use std::io;
use std::path::PathBuf;

use crate::files::InputError;
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

    /// The file and this edit both changed the same entries since the file was loaded.
    #[error(
        "another program also changed {} in {} since it was read; nothing was saved",
        tags.join(", "),
        path.display()
    )]
    Conflict {
        /// The file.
        path: PathBuf,
        /// The tags both changes set.
        tags: Vec<String>,
    },

    /// Another program held the file's lock for longer than fxconfig waits.
    #[error("{} is being saved by another program", path.display())]
    Locked {
        /// The file.
        path: PathBuf,
        /// How long was waited, and for which lock file.
        #[source]
        source: io::Error,
    },

    /// The file has more than one name (hard links).
    #[error(
        "{} has {links} names (hard links); saving replaces the file under one name only, so the others would keep the old contents and passwords",
        path.display()
    )]
    HardLinked {
        /// The file.
        path: PathBuf,
        /// Its number of names.
        links: u64,
    },

    /// The path names a named pipe, a device, a socket or a folder.
    #[error("{} is {kind}, not a regular file", path.display())]
    NotRegular {
        /// The path.
        path: PathBuf,
        /// What it is, such as "a named pipe (FIFO)".
        kind: &'static str,
    },

    /// The file is larger than any configuration file.
    #[error("{} is larger than {limit} bytes, far more than any fxpkcs11.cfg", path.display())]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// The limit in bytes.
        limit: u64,
    },

    /// A save would make the file larger than any configuration file, and than fxconfig
    /// itself reads back.
    #[error("saving would make {} {size} bytes, more than the {limit} bytes fxconfig reads; nothing was saved", path.display())]
    WouldBeTooLarge {
        /// The file.
        path: PathBuf,
        /// The size the save would write.
        size: u64,
        /// The limit in bytes.
        limit: u64,
    },

    /// The entry to change is in the file more than once: which one the library reads is
    /// unknown, so none is changed.
    #[error("{tag} is in the file {} times (lines {}); which one the library reads is unknown, so nothing was changed", lines.len(), lines.iter().map(ToString::to_string).collect::<Vec<_>>().join(", "))]
    AmbiguousEntry {
        /// The tag.
        tag: String,
        /// The lines that hold it.
        lines: Vec<usize>,
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

impl From<InputError> for CfgError {
    fn from(error: InputError) -> CfgError {
        match error {
            InputError::NotRegular { path, kind } => CfgError::NotRegular { path, kind },
            InputError::TooLarge { path, limit, .. } => CfgError::TooLarge { path, limit },
            InputError::Io { path, source } => CfgError::Read { path, source },
        }
    }
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
            CfgError::Conflict { path, .. } => format!(
                "Look at {} as it is now (config show, or reload it in the app), then make your \
                 change again if it is still needed.",
                path.display()
            ),
            CfgError::Locked { .. } => "Wait until the other program (another fxconfig, say) has finished saving, \
                 then try again."
                .to_owned(),
            CfgError::HardLinked { path, .. } => format!(
                "Keep one name only: find the others with `find / -xdev -samefile {}`, remove them \
                 (or replace them by symbolic links to this file), then try again.",
                path.display()
            ),
            CfgError::NotRegular { .. } => {
                "Name the configuration file itself; named pipes, devices and folders are not read.".to_owned()
            }
            CfgError::TooLarge { path, .. } => format!(
                "Check that {} is the fxpkcs11.cfg of the PKCS#11 library; the guide's file is under 1 KiB.",
                path.display()
            ),
            CfgError::AmbiguousEntry { tag, lines } => format!(
                "Keep one {tag} line and delete the others (lines {}), then run the command again; fxconfig config validate lists every such problem.",
                lines.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
            ),
            CfgError::WouldBeTooLarge { .. } => {
                "Shorten the values being set; the guide's file is under 1 KiB.".to_owned()
            }
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
            CfgError::Read { .. }
            | CfgError::Write { .. }
            | CfgError::Locked { .. }
            | CfgError::HardLinked { .. }
            | CfgError::NotRegular { .. }
            | CfgError::TooLarge { .. }
            | CfgError::WouldBeTooLarge { .. } => Some("2.2"),
            CfgError::AmbiguousEntry { .. } => Some("4.2"),
            _ => Some("4.2"),
        }
    }
}
