//! Everything that can stop the runtime before the application runs.

use std::io;
use std::path::PathBuf;

/// A failure of the runtime itself (the application's own failures pass through as its exit code).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RuntimeError {
    /// The AppImage file could not be opened or read.
    #[error("cannot read the AppImage {path}: {source}")]
    ReadImage {
        /// The AppImage file.
        path: PathBuf,
        /// The operating system's error.
        source: io::Error,
    },
    /// The runtime part of the file is not a little-endian 64-bit ELF executable.
    #[error("the AppImage does not start with a little-endian 64-bit ELF header ({reason})")]
    NotElf {
        /// What was wrong with the header.
        reason: &'static str,
    },
    /// No squashfs image follows the runtime.
    #[error("no squashfs image is appended to the runtime: no squashfs magic at offset {offset}")]
    NoPayload {
        /// Where the image should start.
        offset: u64,
    },
    /// The squashfs image could not be read.
    #[error("cannot read the squashfs image at offset {offset}: {source}")]
    Squashfs {
        /// Where the image starts.
        offset: u64,
        /// The squashfs reader's error.
        source: backhand::BackhandError,
    },
    /// An entry of the image names a path outside the destination (an absolute path or `..`).
    #[error("the image holds an entry with an unsafe path: {path}")]
    UnsafePath {
        /// The entry's path as stored in the image.
        path: PathBuf,
    },
    /// Writing the extracted files failed.
    #[error("cannot extract to {path}: {source}")]
    Extract {
        /// The file or directory being written.
        path: PathBuf,
        /// The operating system's error.
        source: io::Error,
    },
    /// Neither `XDG_CACHE_HOME` nor `HOME` names a directory for the extraction cache.
    #[error("cannot choose an extraction cache: neither XDG_CACHE_HOME nor HOME is set to an absolute path")]
    NoCacheDir,
    /// The extracted or mounted image has no `AppRun`.
    #[error("the image has no AppRun at {path}")]
    NoAppRun {
        /// Where `AppRun` was expected.
        path: PathBuf,
    },
    /// `AppRun` could not be started.
    #[error("cannot start {path}: {source}")]
    Launch {
        /// The `AppRun` path.
        path: PathBuf,
        /// The operating system's error.
        source: io::Error,
    },
    /// A runtime option was misused.
    #[error("{0} (see --appimage-help)")]
    Usage(String),
}
