//! Bounded reads: regular files only, never more than a limit.

use std::fs::{self, File, Metadata};
use std::io::{self, BufRead, Read};
use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

use crate::remedy::Explain;

/// Why an input was not read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum InputError {
    /// The path names a named pipe, a device, a socket or a folder.
    #[error("{} is {kind}, not a regular file", path.display())]
    NotRegular {
        /// The path as given.
        path: PathBuf,
        /// What it is, such as "a named pipe (FIFO)".
        kind: &'static str,
    },
    /// The file (or the input) is larger than its limit.
    #[error("{} is larger than {limit} bytes, the limit for {what}", path.display())]
    TooLarge {
        /// The path as given (`-` for standard input).
        path: PathBuf,
        /// The limit in bytes.
        limit: u64,
        /// What the input should be, such as "a configuration file".
        what: &'static str,
    },
    /// The operating system refused to open or read it.
    #[error("cannot read {}", path.display())]
    Io {
        /// The path as given.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: io::Error,
    },
}

impl InputError {
    /// The path the error is about.
    pub fn path(&self) -> &Path {
        match self {
            InputError::NotRegular { path, .. } | InputError::TooLarge { path, .. } | InputError::Io { path, .. } => {
                path
            }
        }
    }
}

impl Explain for InputError {
    fn remedy(&self) -> String {
        match self {
            InputError::NotRegular { .. } => {
                "Give the path of an ordinary file; named pipes, devices and folders are not read.".to_owned()
            }
            InputError::TooLarge { what, .. } => {
                format!("Check that the path names {what}: no genuine one is anywhere near this size.")
            }
            InputError::Io { path, .. } => format!(
                "Check that {} exists and that this account may read it.",
                path.display()
            ),
        }
    }

    fn guide_section(&self) -> Option<&'static str> {
        None
    }
}

/// What a non-regular file is, in words.
fn kind_of(meta: &Metadata) -> Option<&'static str> {
    let file_type = meta.file_type();
    if file_type.is_file() {
        return None;
    }
    if file_type.is_dir() {
        return Some("a folder");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if file_type.is_fifo() {
            return Some("a named pipe (FIFO)");
        }
        if file_type.is_char_device() || file_type.is_block_device() {
            return Some("a device");
        }
        if file_type.is_socket() {
            return Some("a socket");
        }
    }
    Some("not a regular file")
}

fn check(path: &Path, meta: &Metadata, limit: u64, what: &'static str) -> Result<(), InputError> {
    if let Some(kind) = kind_of(meta) {
        return Err(InputError::NotRegular {
            path: path.to_owned(),
            kind,
        });
    }
    if meta.len() > limit {
        return Err(InputError::TooLarge {
            path: path.to_owned(),
            limit,
            what,
        });
    }
    Ok(())
}

/// Opens for reading without blocking on a named pipe that was swapped in after the
/// check, and without making a terminal the controlling one.
fn open_for_reading(path: &Path) -> io::Result<File> {
    let mut options = fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        let flags = rustix::fs::OFlags::NONBLOCK | rustix::fs::OFlags::NOCTTY;
        options.custom_flags(flags.bits() as i32);
    }
    options.open(path)
}

/// Reads the whole of a regular file of at most `limit` bytes, following symbolic links.
/// `what` names the expected contents for the message, such as "a configuration file".
///
/// The file type and size are checked before it is opened and again on the open file,
/// so a named pipe, device or folder is refused without reading, and a file that grows
/// past the limit while it is read is refused too. The buffer is wiped when dropped.
///
/// # Errors
/// [`InputError::NotRegular`], [`InputError::TooLarge`], or [`InputError::Io`] (whose
/// source is `NotFound` when the file does not exist).
pub fn read_regular(path: &Path, limit: u64, what: &'static str) -> Result<Zeroizing<Vec<u8>>, InputError> {
    let io_error = |source| InputError::Io {
        path: path.to_owned(),
        source,
    };
    let meta = fs::metadata(path).map_err(io_error)?;
    check(path, &meta, limit, what)?;
    let file = open_for_reading(path).map_err(io_error)?;
    let meta = file.metadata().map_err(io_error)?;
    check(path, &meta, limit, what)?;
    let capacity = usize::try_from(meta.len()).unwrap_or(0).saturating_add(1);
    let mut bytes = Zeroizing::new(Vec::with_capacity(capacity));
    file.take(limit + 1).read_to_end(&mut bytes).map_err(io_error)?;
    if bytes.len() as u64 > limit {
        return Err(InputError::TooLarge {
            path: path.to_owned(),
            limit,
            what,
        });
    }
    Ok(bytes)
}

/// Reads the first line of `input` (without its `\n` or `\r\n`) as a secret of at most
/// `limit` bytes. The line's bytes are wiped from memory on every path.
///
/// # Errors
/// [`InputError::TooLarge`] (with the path `-`) when the first line is longer than
/// `limit`; [`InputError::Io`] on a read error or when the line is not UTF-8 text.
pub fn read_secret_line(input: &mut dyn BufRead, limit: u64) -> Result<Zeroizing<String>, InputError> {
    let stdin = Path::new("-");
    let mut line = Zeroizing::new(Vec::new());
    input
        .take(limit + 2)
        .read_until(b'\n', &mut line)
        .map_err(|source| InputError::Io {
            path: stdin.to_owned(),
            source,
        })?;
    if line.last() == Some(&b'\n') {
        line.pop();
        if line.last() == Some(&b'\r') {
            line.pop();
        }
    }
    if line.len() as u64 > limit {
        return Err(InputError::TooLarge {
            path: stdin.to_owned(),
            limit,
            what: "a password",
        });
    }
    match std::str::from_utf8(&line) {
        Ok(text) => Ok(Zeroizing::new(text.to_owned())),
        Err(_) => Err(InputError::Io {
            path: stdin.to_owned(),
            source: io::Error::new(io::ErrorKind::InvalidData, "the password is not UTF-8 text"),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_line_is_bounded_and_trimmed() {
        let read = |input: &[u8], limit| read_secret_line(&mut io::Cursor::new(input.to_vec()), limit);
        assert_eq!(
            read(b"abc\r\nrest", 8).map(|s| s.to_string()).ok(),
            Some("abc".to_owned())
        );
        assert_eq!(read(b"", 8).map(|s| s.to_string()).ok(), Some(String::new()));
        assert_eq!(read(b"12345678\n", 8).map(|s| s.len()).ok(), Some(8));
        assert!(matches!(read(b"123456789\n", 8), Err(InputError::TooLarge { .. })));
        assert!(matches!(read(&[0xff, b'\n'], 8), Err(InputError::Io { .. })));
    }
}
