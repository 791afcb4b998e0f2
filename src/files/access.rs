//! Who can read a file, and whether a given account can: the PKCS#11 library runs as the
//! user who runs `ssh -I …`, so the cfg, the root CA and the PKCS#12 file must be readable
//! by that user, and by as few others as possible.
//!
//! Accounts and groups come from the system's name service (`getpwnam_r`, `getgrnam_r`:
//! /etc/passwd, LDAP, SSSD). The permission bits of the file and of every folder above it
//! are evaluated as the kernel does for an account: root reads everything; the owner gets
//! the owner bits, a member of the file's group the group bits, anyone else the other bits;
//! each folder on the way needs its search (x) bit. POSIX ACLs are not evaluated: a file
//! that carries one is named as such.

use std::fmt;
#[cfg(not(unix))]
use std::path::Path;

/// An account, as the name service knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// The login name.
    pub name: String,
    /// Its user id.
    pub uid: u32,
    /// Its primary group and every supplementary group.
    pub gids: Vec<u32>,
}

/// A group and its explicitly listed members.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupInfo {
    /// The group's name.
    pub name: String,
    /// Its id.
    pub gid: u32,
    /// The members listed for it (users whose primary group it is are not listed).
    pub members: Vec<String>,
}

impl fmt::Display for GroupInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.members.is_empty() {
            write!(f, "group {} (no listed members)", self.name)
        } else {
            write!(f, "group {} (members: {})", self.name, self.members.join(", "))
        }
    }
}

/// Who may read a file by its permission bits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Readers {
    /// The owner's name (or uid when the name service has none).
    pub owner: String,
    /// The file's group.
    pub group: GroupInfo,
    /// The permission bits, such as `0o640`.
    pub mode: u32,
}

impl Readers {
    /// Whether the owner may read it.
    pub fn owner_reads(&self) -> bool {
        self.mode & 0o400 != 0
    }

    /// Whether the group's members may read it.
    pub fn group_reads(&self) -> bool {
        self.mode & 0o040 != 0
    }

    /// Whether every other user may read it.
    pub fn others_read(&self) -> bool {
        self.mode & 0o004 != 0
    }

    /// Who may read it, in words: "root only", "its owner alice and group ssh-hsm (members:
    /// bob)", "every user".
    pub fn describe(&self) -> String {
        if self.others_read() {
            return format!("every user (mode {:04o})", self.mode);
        }
        let owner = if self.owner == "root" {
            "root".to_owned()
        } else if self.owner_reads() {
            format!("its owner {} and root", self.owner)
        } else {
            "root".to_owned()
        };
        if self.group_reads() {
            format!("{owner} and {} (mode {:04o})", self.group, self.mode)
        } else if owner == "root" {
            format!("root only (mode {:04o})", self.mode)
        } else {
            format!("{owner} only (mode {:04o})", self.mode)
        }
    }
}

/// Why an account, a group or a file could not be examined.
#[derive(Debug, thiserror::Error)]
pub enum AccessError {
    /// No account of that name.
    #[error("no user named {0:?} is known to this system")]
    NoSuchUser(String),
    /// No group of that name.
    #[error("no group named {0:?} is known to this system")]
    NoSuchGroup(String),
    /// The file could not be examined.
    #[error("cannot examine {path}: {source}")]
    Examine {
        /// The file.
        path: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// This platform has no such notion (Windows uses ACLs).
    #[error("file access by account is examined on Unix only")]
    Unsupported,
}

#[cfg(unix)]
mod unix {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    use std::path::Path;

    use uzers::os::unix::GroupExt;

    use super::{AccessError, Account, GroupInfo, Readers};

    fn examine(path: &Path) -> Result<std::fs::Metadata, AccessError> {
        std::fs::metadata(path).map_err(|source| AccessError::Examine {
            path: path.display().to_string(),
            source,
        })
    }

    /// The account named `name`.
    pub fn account(name: &str) -> Result<Account, AccessError> {
        let user = uzers::get_user_by_name(name).ok_or_else(|| AccessError::NoSuchUser(name.to_owned()))?;
        let mut gids = vec![user.primary_group_id()];
        if let Some(groups) = uzers::get_user_groups(name, user.primary_group_id()) {
            gids.extend(groups.iter().map(uzers::Group::gid));
        }
        gids.sort_unstable();
        gids.dedup();
        Ok(Account {
            name: name.to_owned(),
            uid: user.uid(),
            gids,
        })
    }

    /// The user who asked for this run: `SUDO_USER` under sudo, else the real user.
    pub fn invoking_account() -> Option<Account> {
        if let Some(name) = std::env::var_os("SUDO_USER").and_then(|name| name.into_string().ok())
            && let Ok(account) = account(&name)
        {
            return Some(account);
        }
        let name = uzers::get_current_username()?.into_string().ok()?;
        account(&name).ok()
    }

    /// The group named `name`.
    pub fn group(name: &str) -> Result<GroupInfo, AccessError> {
        let group = uzers::get_group_by_name(name).ok_or_else(|| AccessError::NoSuchGroup(name.to_owned()))?;
        Ok(group_info(&group))
    }

    fn group_info(group: &uzers::Group) -> GroupInfo {
        GroupInfo {
            name: group.name().to_string_lossy().into_owned(),
            gid: group.gid(),
            members: group
                .members()
                .iter()
                .map(|member| member.to_string_lossy().into_owned())
                .collect(),
        }
    }

    /// Who may read `path` by its permission bits.
    pub fn readers(path: &Path) -> Result<Readers, AccessError> {
        let meta = examine(path)?;
        let owner = uzers::get_user_by_uid(meta.uid()).map_or_else(
            || meta.uid().to_string(),
            |user| user.name().to_string_lossy().into_owned(),
        );
        let group = uzers::get_group_by_gid(meta.gid()).map_or_else(
            || GroupInfo {
                name: meta.gid().to_string(),
                gid: meta.gid(),
                members: Vec::new(),
            },
            |group| group_info(&group),
        );
        Ok(Readers {
            owner,
            group,
            mode: meta.permissions().mode() & 0o7777,
        })
    }

    /// Whether `account` holds the permission `bit` (4 read, 1 search) on the file `meta`.
    fn allows(meta: &std::fs::Metadata, account: &Account, bit: u32) -> bool {
        let mode = meta.permissions().mode();
        if account.uid == 0 {
            return true;
        }
        if meta.uid() == account.uid {
            mode & (bit << 6) != 0
        } else if account.gids.contains(&meta.gid()) {
            mode & (bit << 3) != 0
        } else {
            mode & bit != 0
        }
    }

    /// Whether `account` can read `path`: the file's read bit and every folder's search bit.
    /// `Err` names the first place that stops it.
    pub fn can_read(path: &Path, account: &Account) -> Result<Result<(), String>, AccessError> {
        let path = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
        for folder in path.ancestors().skip(1) {
            let meta = examine(folder)?;
            if !allows(&meta, account, 0o1) {
                return Ok(Err(format!(
                    "the folder {} (mode {:04o}) does not let {} through",
                    folder.display(),
                    meta.permissions().mode() & 0o7777,
                    account.name
                )));
            }
        }
        let meta = examine(&path)?;
        if allows(&meta, account, 0o4) {
            Ok(Ok(()))
        } else {
            let readers = readers(&path)?;
            Ok(Err(format!(
                "{} cannot read {}: owner {}, {}, mode {:04o}",
                account.name,
                path.display(),
                readers.owner,
                readers.group.name,
                readers.mode
            )))
        }
    }

    /// Gives the group `group` read access to `path`: its group becomes `group` and its mode
    /// 0640 (owner read and write, group read, nothing for others).
    pub fn grant_group(path: &Path, group: &GroupInfo) -> Result<(), AccessError> {
        let failed = |source: std::io::Error| AccessError::Examine {
            path: path.display().to_string(),
            source,
        };
        std::os::unix::fs::chown(path, None, Some(group.gid)).map_err(failed)?;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o640)).map_err(failed)
    }
}

#[cfg(unix)]
pub use unix::{account, can_read, grant_group, group, invoking_account, readers};

/// The account named `name` (Unix only).
#[cfg(not(unix))]
pub fn account(_name: &str) -> Result<Account, AccessError> {
    Err(AccessError::Unsupported)
}

/// The user who asked for this run (Unix only).
#[cfg(not(unix))]
pub fn invoking_account() -> Option<Account> {
    None
}

/// The group named `name` (Unix only).
#[cfg(not(unix))]
pub fn group(_name: &str) -> Result<GroupInfo, AccessError> {
    Err(AccessError::Unsupported)
}

/// Who may read `path` (Unix only).
#[cfg(not(unix))]
pub fn readers(_path: &Path) -> Result<Readers, AccessError> {
    Err(AccessError::Unsupported)
}

/// Whether `account` can read `path` (Unix only).
#[cfg(not(unix))]
pub fn can_read(_path: &Path, _account: &Account) -> Result<Result<(), String>, AccessError> {
    Err(AccessError::Unsupported)
}

/// Gives `group` read access to `path` (Unix only).
#[cfg(not(unix))]
pub fn grant_group(_path: &Path, _group: &GroupInfo) -> Result<(), AccessError> {
    Err(AccessError::Unsupported)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn readers(owner: &str, mode: u32, members: &[&str]) -> Readers {
        Readers {
            owner: owner.into(),
            group: GroupInfo {
                name: "ssh-hsm".into(),
                gid: 990,
                members: members.iter().map(|m| (*m).to_owned()).collect(),
            },
            mode,
        }
    }

    #[test]
    fn readers_are_described_in_words() {
        assert_eq!(readers("root", 0o600, &[]).describe(), "root only (mode 0600)");
        assert_eq!(
            readers("root", 0o640, &["alice", "bob"]).describe(),
            "root and group ssh-hsm (members: alice, bob) (mode 0640)"
        );
        assert_eq!(
            readers("alice", 0o600, &[]).describe(),
            "its owner alice and root only (mode 0600)"
        );
        assert_eq!(readers("root", 0o644, &[]).describe(), "every user (mode 0644)");
    }
}
