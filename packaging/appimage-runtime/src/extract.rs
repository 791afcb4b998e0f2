//! Extraction of the squashfs image (or the entries matching a pattern) into a directory.

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufReader};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt, symlink};
use std::path::{Component, Path, PathBuf};

use backhand::{FilesystemReader, InnerNode};

use crate::error::RuntimeError;
use crate::glob;

/// Permission bits kept from the image: read, write and execute for owner, group and others
/// (set-user-ID, set-group-ID and sticky bits are dropped).
const KEPT_PERMISSIONS: u32 = 0o777;

/// Extracts the squashfs image at `offset` in `image` into `destination` (created if missing).
///
/// With a `pattern`, only entries whose path inside the image (such as `usr/bin/fxconfig`) matches
/// it are extracted, with their parent directories. Files and symbolic links already in the way
/// are replaced. Device nodes, pipes and sockets are skipped. `on_entry` is told each path written,
/// relative to `destination`.
pub fn extract(
    image: &Path,
    offset: u64,
    destination: &Path,
    pattern: Option<&str>,
    mut on_entry: impl FnMut(&Path),
) -> Result<(), RuntimeError> {
    let file = File::open(image).map_err(|source| RuntimeError::ReadImage {
        path: image.to_path_buf(),
        source,
    })?;
    let filesystem = FilesystemReader::from_reader_with_offset(BufReader::new(file), offset)
        .map_err(|source| RuntimeError::Squashfs { offset, source })?;
    create_dir_if_missing(destination)?;
    // Directory permissions are applied last, deepest first, so a read-only directory does not
    // stop its own contents from being written.
    let mut directories: Vec<(PathBuf, u32)> = Vec::new();
    for node in filesystem.files() {
        let relative = relative_path(&node.fullpath)?;
        if relative.as_os_str().is_empty() {
            continue;
        }
        if let Some(pattern) = pattern
            && !glob::matches(pattern, &relative.to_string_lossy())
        {
            continue;
        }
        let target = destination.join(&relative);
        if let Some(parent) = target.parent() {
            fs::create_dir_all(parent).map_err(|source| extract_error(parent, source))?;
        }
        let permissions = u32::from(node.header.permissions) & KEPT_PERMISSIONS;
        match &node.inner {
            InnerNode::Dir(_) => {
                create_dir_if_missing(&target)?;
                directories.push((target, permissions));
            }
            InnerNode::File(file) => {
                remove_non_directory(&target)?;
                let mut output = OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .mode(0o600)
                    .open(&target)
                    .map_err(|source| extract_error(&target, source))?;
                let mut input = filesystem
                    .file(file)
                    .reader_checked()
                    .map_err(|source| RuntimeError::Squashfs { offset, source })?;
                io::copy(&mut input, &mut output).map_err(|source| extract_error(&target, source))?;
                output.sync_all().map_err(|source| extract_error(&target, source))?;
                fs::set_permissions(&target, fs::Permissions::from_mode(permissions))
                    .map_err(|source| extract_error(&target, source))?;
            }
            InnerNode::Symlink(link) => {
                remove_non_directory(&target)?;
                symlink(&link.link, &target).map_err(|source| extract_error(&target, source))?;
            }
            InnerNode::CharacterDevice(_) | InnerNode::BlockDevice(_) | InnerNode::NamedPipe | InnerNode::Socket => {
                continue;
            }
        }
        on_entry(&relative);
    }
    for (directory, permissions) in directories.iter().rev() {
        // The owner keeps full access, so the extraction can always be removed again.
        fs::set_permissions(directory, fs::Permissions::from_mode(permissions | 0o700))
            .map_err(|source| extract_error(directory, source))?;
    }
    Ok(())
}

/// The path of an image entry relative to the image root, refusing anything that could leave it.
fn relative_path(full_path: &Path) -> Result<PathBuf, RuntimeError> {
    let mut relative = PathBuf::new();
    for component in full_path.components() {
        match component {
            Component::RootDir | Component::CurDir => {}
            Component::Normal(name) => relative.push(name),
            Component::ParentDir | Component::Prefix(_) => {
                return Err(RuntimeError::UnsafePath {
                    path: full_path.to_path_buf(),
                });
            }
        }
    }
    Ok(relative)
}

fn create_dir_if_missing(path: &Path) -> Result<(), RuntimeError> {
    match fs::create_dir(path) {
        Ok(()) => Ok(()),
        Err(error) if error.kind() == io::ErrorKind::AlreadyExists && path.is_dir() => Ok(()),
        Err(source) => Err(extract_error(path, source)),
    }
}

/// Removes a file or symbolic link at `path`, if there is one; a directory is left for the
/// following create to fail on.
fn remove_non_directory(path: &Path) -> Result<(), RuntimeError> {
    match fs::symlink_metadata(path) {
        Ok(metadata) if !metadata.is_dir() => fs::remove_file(path).map_err(|source| extract_error(path, source)),
        Ok(_) => Ok(()),
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(source) => Err(extract_error(path, source)),
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
    fn entry_paths_are_made_relative_and_parent_steps_refused() {
        assert_eq!(
            relative_path(Path::new("/usr/bin/fxconfig")).ok(),
            Some(PathBuf::from("usr/bin/fxconfig"))
        );
        assert_eq!(relative_path(Path::new("/")).ok(), Some(PathBuf::new()));
        assert!(matches!(
            relative_path(Path::new("/usr/../../etc/passwd")),
            Err(RuntimeError::UnsafePath { .. })
        ));
    }
}
