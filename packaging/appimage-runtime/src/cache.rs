//! The per-user extraction cache: `${XDG_CACHE_HOME:-~/.cache}/<app>/appimage/<sha256 of the image>/`.
//!
//! An image is extracted into a private temporary directory beside its final place, then renamed
//! into place in one step, so a directory named after a hash is always a complete extraction and
//! is reused by every later start of the same image.

use std::ffi::OsString;
use std::fs::{self, File};
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::error::RuntimeError;
use crate::extract;

/// The cache base directory: `$XDG_CACHE_HOME` if it is an absolute path, else `$HOME/.cache`.
pub fn cache_base(xdg_cache_home: Option<OsString>, home: Option<OsString>) -> Result<PathBuf, RuntimeError> {
    let absolute = |value: Option<OsString>| value.map(PathBuf::from).filter(|path| path.is_absolute());
    if let Some(base) = absolute(xdg_cache_home) {
        return Ok(base);
    }
    absolute(home)
        .map(|home| home.join(".cache"))
        .ok_or(RuntimeError::NoCacheDir)
}

/// The SHA-256 of the whole file at `path`, in lower-case hexadecimal.
pub fn file_sha256(path: &Path) -> Result<String, RuntimeError> {
    let read_error = |source| RuntimeError::ReadImage {
        path: path.to_path_buf(),
        source,
    };
    let mut file = File::open(path).map_err(read_error)?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 1 << 16];
    loop {
        let read = match file.read(&mut buffer) {
            Ok(0) => break,
            Ok(read) => read,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
            Err(error) => return Err(read_error(error)),
        };
        hasher.update(&buffer[..read]);
    }
    Ok(hasher.finalize().iter().map(|byte| format!("{byte:02x}")).collect())
}

/// The directory holding the complete extraction of `image`, extracting it first if the cache
/// under `base` does not have it yet.
pub fn extracted_app_dir(image: &Path, offset: u64, base: &Path, app_name: &str) -> Result<PathBuf, RuntimeError> {
    let parent = base.join(app_name).join("appimage");
    let digest = file_sha256(image)?;
    let final_dir = parent.join(&digest);
    if is_complete(&final_dir) {
        return Ok(final_dir);
    }
    fs::create_dir_all(&parent).map_err(|source| extract_error(&parent, source))?;
    let partial = parent.join(format!(".partial-{digest}-{}", std::process::id()));
    remove_if_present(&partial)?;
    let outcome = extract::extract(image, offset, &partial, None, |_| {})
        .and_then(|()| fs::rename(&partial, &final_dir).map_err(|source| extract_error(&final_dir, source)));
    match outcome {
        Ok(()) => Ok(final_dir),
        // Another start of the same image finished first: its extraction is as good as ours.
        Err(_) if is_complete(&final_dir) => {
            remove_if_present(&partial)?;
            Ok(final_dir)
        }
        Err(error) => {
            // Best effort: the error being reported matters more than a leftover directory.
            let _ = remove_if_present(&partial);
            Err(error)
        }
    }
}

/// A cache entry is complete once it exists under its final name and holds `AppRun`.
fn is_complete(dir: &Path) -> bool {
    fs::symlink_metadata(dir.join("AppRun")).is_ok()
}

fn remove_if_present(dir: &Path) -> Result<(), RuntimeError> {
    match fs::remove_dir_all(dir) {
        Ok(()) => Ok(()),
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(source) => Err(extract_error(dir, source)),
    }
}

fn extract_error(path: &Path, source: io::Error) -> RuntimeError {
    RuntimeError::Extract {
        path: path.to_path_buf(),
        source,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xdg_cache_home_wins_when_absolute() {
        let base = cache_base(Some("/x/cache".into()), Some("/home/u".into())).ok();
        assert_eq!(base, Some(PathBuf::from("/x/cache")));
    }

    #[test]
    fn a_relative_or_missing_xdg_cache_home_falls_back_to_home() {
        for xdg in [None, Some(OsString::from("relative/cache")), Some(OsString::new())] {
            let base = cache_base(xdg, Some("/home/u".into())).ok();
            assert_eq!(base, Some(PathBuf::from("/home/u/.cache")));
        }
    }

    #[test]
    fn without_any_absolute_base_there_is_no_cache() {
        assert!(matches!(cache_base(None, None), Err(RuntimeError::NoCacheDir)));
        assert!(matches!(
            cache_base(None, Some("home".into())),
            Err(RuntimeError::NoCacheDir)
        ));
    }

    #[test]
    fn file_hash_is_the_sha256_of_the_bytes() {
        let dir = std::env::temp_dir().join(format!("appimage-runtime-hash-{}", std::process::id()));
        fs::create_dir_all(&dir).expect("temp dir");
        let path = dir.join("abc");
        fs::write(&path, b"abc").expect("write");
        let digest = file_sha256(&path).ok();
        fs::remove_dir_all(&dir).expect("cleanup");
        // FIPS 180-2, appendix B.1: SHA-256("abc").
        assert_eq!(
            digest.as_deref(),
            Some("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        );
    }
}
