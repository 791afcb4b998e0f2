//! Who may read a file: owner, group, permission bits and extended attributes, carried
//! from a file to its replacement without widening anything.

use std::fs::{self, File};
use std::io;
use std::path::Path;

use serde::Serialize;

/// The permission bits of a new file that holds passwords: its owner only.
pub const PRIVATE_MODE: u32 = 0o600;

/// The extended attribute holding a file's POSIX access ACL on Linux.
#[cfg(unix)]
const ACL_ACCESS: &str = "system.posix_acl_access";

/// The owner, group, permission bits and extended attributes (on Linux: POSIX ACLs,
/// SELinux labels, `user.*` attributes) a replacement file is given.
#[derive(Clone, Debug)]
pub struct FileAttributes {
    #[cfg(unix)]
    mode: u32,
    #[cfg(unix)]
    owner: Option<(u32, u32)>,
    #[cfg(unix)]
    xattrs: Vec<(std::ffi::CString, Vec<u8>)>,
}

impl FileAttributes {
    /// The attributes of a new file holding passwords: mode 0600, this account's owner
    /// and group, no ACL (one inherited from the folder's default ACL is removed).
    pub fn private() -> FileAttributes {
        FileAttributes {
            #[cfg(unix)]
            mode: PRIVATE_MODE,
            #[cfg(unix)]
            owner: None,
            #[cfg(unix)]
            xattrs: Vec::new(),
        }
    }

    /// The attributes of the existing file `path` (already resolved past symbolic links),
    /// whose metadata is `meta`.
    ///
    /// # Errors
    /// The operating system's error when the extended attributes cannot be listed or read
    /// (a file system without extended attributes simply has none).
    pub fn of(path: &Path, meta: &fs::Metadata) -> io::Result<FileAttributes> {
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            Ok(FileAttributes {
                mode: meta.mode() & 0o7777,
                owner: Some((meta.uid(), meta.gid())),
                xattrs: xattrs::read_all(path)?,
            })
        }
        #[cfg(not(unix))]
        {
            let _ = (path, meta);
            Ok(FileAttributes {})
        }
    }

    /// The same owner and group, with mode 0600 and no ACL: readable by the owner only.
    /// Other extended attributes (such as the SELinux label) are kept.
    pub fn tightened(self) -> FileAttributes {
        #[cfg(unix)]
        {
            let mut tight = self;
            tight.mode = PRIVATE_MODE;
            tight
                .xattrs
                .retain(|(name, _)| name.as_bytes() != ACL_ACCESS.as_bytes());
            tight
        }
        #[cfg(not(unix))]
        {
            self
        }
    }

    /// Who besides the owner may read a file with these attributes; `None` when nobody
    /// may (and always on Windows, where this is not worked out).
    pub fn exposure(&self) -> Option<PasswordExposure> {
        #[cfg(unix)]
        {
            let acl = self
                .xattrs
                .iter()
                .any(|(name, _)| name.as_bytes() == ACL_ACCESS.as_bytes());
            exposure_of_mode(self.mode, acl)
        }
        #[cfg(not(unix))]
        {
            None
        }
    }

    /// The permission bits (Unix only).
    pub fn mode(&self) -> Option<u32> {
        #[cfg(unix)]
        {
            Some(self.mode)
        }
        #[cfg(not(unix))]
        {
            None
        }
    }

    /// Gives the open (new, not yet visible) file these attributes: owner and group first
    /// (which clears set-id bits), then extended attributes it has but should not (such as
    /// an ACL inherited from the folder) are removed, then the permission bits, then the
    /// original's extended attributes (an ACL sets the group bits to its mask, as on the
    /// original).
    ///
    /// # Errors
    /// The operating system's error when an attribute cannot be given, such as the owner
    /// for an account that is not root. The file is then left for the caller to discard.
    pub fn apply(&self, file: &File) -> io::Result<()> {
        #[cfg(unix)]
        {
            use std::os::unix::fs::{MetadataExt, PermissionsExt};
            if let Some((uid, gid)) = self.owner {
                let current = file.metadata()?;
                if current.uid() != uid || current.gid() != gid {
                    std::os::unix::fs::fchown(file, Some(uid), Some(gid)).map_err(|error| {
                        io::Error::new(
                            error.kind(),
                            format!(
                                "cannot give the new file the owner {uid} and group {gid} of the original: {error}"
                            ),
                        )
                    })?;
                }
            }
            xattrs::remove_others(file, &self.xattrs)?;
            file.set_permissions(fs::Permissions::from_mode(self.mode))?;
            xattrs::write_all(file, &self.xattrs)?;
        }
        #[cfg(not(unix))]
        {
            let _ = file;
        }
        Ok(())
    }
}

/// Makes the existing file at `path` readable by its owner only, keeping the owner: mode
/// 0600 and, on Linux, no access ACL (whose named entries would otherwise still apply).
///
/// # Errors
/// The operating system's error, such as when this account does not own the file.
pub fn make_private(path: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        match rustix::fs::removexattr(path, ACL_ACCESS) {
            Ok(()) | Err(rustix::io::Errno::NODATA | rustix::io::Errno::NOTSUP) => {}
            Err(error) => return Err(error.into()),
        }
        fs::set_permissions(path, fs::Permissions::from_mode(PRIVATE_MODE))
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        Err(io::Error::new(
            io::ErrorKind::Unsupported,
            "on Windows, limit who may read the file on the Security tab of its properties",
        ))
    }
}

/// A file holding a password that accounts other than its owner may read.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PasswordExposure {
    /// The permission bits, such as `0o644` (with an ACL, the group bits are its mask).
    pub mode: u32,
    /// Whether the file's group (or, with an ACL, the accounts and groups it names) may read it.
    pub group: bool,
    /// Whether all other users may read it.
    pub others: bool,
    /// Whether the file has a POSIX ACL.
    pub acl: bool,
}

impl PasswordExposure {
    /// Who may read the file, such as "its group and all other users".
    pub fn readers(&self) -> &'static str {
        match (self.group, self.others, self.acl) {
            (true, true, false) => "its group and all other users",
            (true, true, true) => "the accounts its ACL names and all other users",
            (true, false, false) => "its group",
            (true, false, true) => "the accounts its ACL names",
            _ => "all other users",
        }
    }
}

/// The exposure of a file with these permission bits (and an ACL or not), if anyone
/// besides the owner may read it.
pub fn exposure_of_mode(mode: u32, acl: bool) -> Option<PasswordExposure> {
    let group = mode & 0o040 != 0;
    let others = mode & 0o004 != 0;
    (group || others).then_some(PasswordExposure {
        mode,
        group,
        others,
        acl,
    })
}

#[cfg(unix)]
mod xattrs {
    use std::ffi::CString;
    use std::fs::File;
    use std::io;
    use std::path::Path;

    use rustix::fs::XattrFlags;

    /// Errors that mean "this file system has no extended attributes".
    fn unsupported(error: &rustix::io::Errno) -> bool {
        *error == rustix::io::Errno::NOTSUP || *error == rustix::io::Errno::OPNOTSUPP
    }

    fn split_names(list: &[u8]) -> Vec<CString> {
        list.split(|byte| *byte == 0)
            .filter(|name| !name.is_empty())
            .filter_map(|name| CString::new(name).ok())
            .collect()
    }

    /// Calls `fill` with a buffer of the size `query` reports, again if the size grew.
    fn sized(
        query: impl Fn() -> rustix::io::Result<usize>,
        fill: impl Fn(&mut [u8]) -> rustix::io::Result<usize>,
    ) -> rustix::io::Result<Vec<u8>> {
        loop {
            let size = query()?;
            let mut buffer = vec![0u8; size];
            match fill(&mut buffer) {
                Ok(len) => {
                    buffer.truncate(len);
                    return Ok(buffer);
                }
                Err(rustix::io::Errno::RANGE) => continue,
                Err(error) => return Err(error),
            }
        }
    }

    /// Every extended attribute of `path` this account can see, with its value.
    pub(super) fn read_all(path: &Path) -> io::Result<Vec<(CString, Vec<u8>)>> {
        let list = match sized(
            || rustix::fs::listxattr_query(path),
            |buffer| rustix::fs::listxattr(path, buffer),
        ) {
            Ok(list) => list,
            Err(error) if unsupported(&error) => return Ok(Vec::new()),
            Err(error) => return Err(error.into()),
        };
        let mut all = Vec::new();
        for name in split_names(&list) {
            match sized(
                || rustix::fs::getxattr_query(path, name.as_c_str()),
                |buffer| rustix::fs::getxattr(path, name.as_c_str(), buffer),
            ) {
                Ok(value) => all.push((name, value)),
                // Removed between the listing and the read.
                Err(rustix::io::Errno::NODATA) => {}
                Err(error) => return Err(error.into()),
            }
        }
        Ok(all)
    }

    fn read_value(file: &File, name: &CString) -> Option<Vec<u8>> {
        sized(
            || rustix::fs::fgetxattr_query(file, name.as_c_str()),
            |buffer| rustix::fs::fgetxattr(file, name.as_c_str(), buffer),
        )
        .ok()
    }

    /// Removes the attributes `file` has that are not in `wanted` (an ACL inherited from a
    /// default ACL of the folder, say). An attribute that cannot be removed is an error
    /// unless it is a security label, which the system assigns and this account may not
    /// be allowed to drop.
    pub(super) fn remove_others(file: &File, wanted: &[(CString, Vec<u8>)]) -> io::Result<()> {
        let list = match sized(
            || rustix::fs::flistxattr_query(file),
            |buffer| rustix::fs::flistxattr(file, buffer),
        ) {
            Ok(list) => list,
            Err(error) if unsupported(&error) => return Ok(()),
            Err(error) => return Err(error.into()),
        };
        for name in split_names(&list) {
            if wanted.iter().any(|(kept, _)| *kept == name) {
                continue;
            }
            match rustix::fs::fremovexattr(file, name.as_c_str()) {
                Ok(()) | Err(rustix::io::Errno::NODATA) => {}
                Err(_) if name.as_bytes().starts_with(b"security.") => {}
                Err(error) => {
                    return Err(io::Error::new(
                        io::Error::from(error).kind(),
                        format!(
                            "cannot remove the attribute {} the new file picked up from its folder: {error}",
                            name.to_string_lossy()
                        ),
                    ));
                }
            }
        }
        Ok(())
    }

    /// Gives `file` every attribute of `all`. Setting one may fail where the new file
    /// already holds that very value (a security label the system assigned); any other
    /// failure is an error, since the file would not be protected like the original.
    pub(super) fn write_all(file: &File, all: &[(CString, Vec<u8>)]) -> io::Result<()> {
        for (name, value) in all {
            if let Err(error) = rustix::fs::fsetxattr(file, name.as_c_str(), value, XattrFlags::empty()) {
                if read_value(file, name).as_deref() == Some(value.as_slice()) {
                    continue;
                }
                return Err(io::Error::new(
                    io::Error::from(error).kind(),
                    format!(
                        "cannot carry the attribute {} over to the new file: {error}",
                        name.to_string_lossy()
                    ),
                ));
            }
        }
        Ok(())
    }
}
