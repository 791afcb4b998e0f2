//! Creating a configuration file: finding out before writing whether the file can be
//! created where it should go (and if not, the exact commands that put it there), then
//! writing it through the project's atomic saver without ever replacing a file unasked.
//!
//! Front ends call [`plan`] first, to show what will happen (the file the library reads,
//! an existing file, a folder this account cannot write), then [`create`] with
//! [`blank_template`](super::blank_template) or another document.

use std::io;
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::document::CfgDocument;
use super::error::CfgError;
use super::file::CfgFile;
use super::locate::{self, ENV_VAR, LibraryCfg};
use crate::remedy::Explain;

/// What stops a configuration file from being created at a path, found before writing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum InitBlocker {
    /// The folder does not exist.
    FolderMissing,
    /// This account cannot create files in the folder (it usually belongs to root).
    FolderNotWritable,
    /// Something other than a file (a folder, a device) has the file's name.
    NotAFile,
    /// The name is a symbolic link to nothing: fxconfig does not create a file through it.
    DanglingLink,
}

/// Where a new configuration file would go and whether it can be written there, found out
/// without writing anything.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct InitPlan {
    /// The file to create, made absolute.
    pub path: PathBuf,
    /// The folder it goes in.
    pub folder: PathBuf,
    /// The file the PKCS#11 library reads, and why.
    pub library: LibraryCfg,
    /// Whether [`InitPlan::path`] is the file the library reads.
    pub read_by_library: bool,
    /// Whether a file already has that name (it is replaced only when forced).
    pub exists: bool,
    /// What stops the file from being written, whether or not it is forced; `None` when
    /// it can be written.
    pub blocker: Option<InitBlocker>,
    /// When the file is not the one the library reads: the shell command that makes the
    /// library read it (`export FXPKCS11_CFG=PATH`, `setx` on Windows), for the accounts
    /// that run ssh.
    pub env_command: Option<String>,
}

impl InitPlan {
    /// Whether [`create`] would write the file: nothing blocks it, and it does not exist
    /// yet or `force` allows replacing it.
    pub fn can_write(&self, force: bool) -> bool {
        self.blocker.is_none() && (force || !self.exists)
    }

    /// The command that installs a copy written elsewhere, at `written`, as this plan's
    /// file: `sudo install -m 600 SRC DEST` (on Windows, a `copy` for an administrator's
    /// prompt). Installed that way the file belongs to root, so only root can read it, as
    /// when ssh runs as root in the guide's section 5; for another account, point
    /// `FXPKCS11_CFG` at a file of that account instead ([`env_command`]).
    pub fn install_command(&self, written: &Path) -> String {
        install_command(written, &self.path)
    }
}

/// What [`create`] wrote.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct InitReport {
    /// The file written (the target of a symbolic link, when the path was one).
    pub path: PathBuf,
    /// Whether an existing file was replaced (only when forced).
    pub replaced: bool,
    /// Where the replaced file's contents were kept.
    pub backup: Option<PathBuf>,
    /// The file's permission bits (Unix only): 0600 for a new file; a replaced file keeps
    /// its owner and mode, as every save does.
    pub mode: Option<u32>,
    /// The number of bytes written.
    pub bytes: usize,
}

/// Why a configuration file was not created.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum InitError {
    /// A file already has that name and replacing it was not asked for.
    #[error("{} already exists; it was left as it is", path.display())]
    Exists {
        /// The existing file.
        path: PathBuf,
    },
    /// The folder of the file does not exist.
    #[error("the folder {} does not exist", folder.display())]
    FolderMissing {
        /// The missing folder.
        folder: PathBuf,
    },
    /// This account cannot create files in the folder.
    #[error("this account cannot create files in {}", plan.folder.display())]
    NotWritable {
        /// The plan, with the file, the library's file and the `FXPKCS11_CFG` command.
        plan: Box<InitPlan>,
        /// A file this account can write instead (`fxpkcs11.cfg` in its home folder), when
        /// there is a home folder and it is not the same file.
        elsewhere: Option<PathBuf>,
    },
    /// Something other than a file has that name.
    #[error("{} is not a file", path.display())]
    NotAFile {
        /// The path.
        path: PathBuf,
    },
    /// The name is a symbolic link to a file that does not exist.
    #[error("{} is a symbolic link to {}, which does not exist; fxconfig does not create a file through a link", path.display(), target.display())]
    DanglingLink {
        /// The link.
        path: PathBuf,
        /// What it points to.
        target: PathBuf,
    },
    /// Writing failed.
    #[error("could not create {}", path.display())]
    Save {
        /// The file.
        path: PathBuf,
        /// The saver's error.
        #[source]
        source: CfgError,
    },
}

impl Explain for InitError {
    fn remedy(&self) -> String {
        match self {
            InitError::Exists { path } => format!(
                "Open and edit the existing file, or replace it (`fxconfig config init --force`); \
                 the replaced contents are kept in {}",
                super::file::backup_path(path).display()
            ),
            InitError::FolderMissing { folder } => {
                let command = if cfg!(windows) {
                    format!("mkdir \"{}\"", folder.display())
                } else {
                    format!("mkdir -p {}", shell_word(folder))
                };
                format!("Create the folder first ({command}), or choose a file in a folder that exists")
            }
            InitError::NotWritable { plan, elsewhere } => match elsewhere {
                Some(elsewhere) => format!(
                    "Write it where this account may, such as {} (`fxconfig config init {}`), then \
                     either install it there with `{}` (root then owns it) or make the library read \
                     it with `{}`",
                    elsewhere.display(),
                    shell_word(elsewhere),
                    plan.install_command(elsewhere),
                    env_command(elsewhere)
                ),
                None => format!(
                    "Run this as an administrator, or write the file in a folder this account may \
                     write and point {ENV_VAR} at it"
                ),
            },
            InitError::NotAFile { .. } => "Choose the path of a file, such as …/fxpkcs11.cfg".to_owned(),
            InitError::DanglingLink { path, target } => format!(
                "Create the file at the link's target ({}) instead, or remove the link ({}) and run the command again",
                target.display(),
                path.display()
            ),
            InitError::Save { source, .. } => source.remedy(),
        }
    }

    fn guide_section(&self) -> Option<&'static str> {
        match self {
            InitError::Save { source, .. } => source.guide_section(),
            InitError::Exists { .. } => Some("4.2"),
            _ => Some("2.2"),
        }
    }
}

/// The plan for creating `path` (a relative path is taken from the current folder),
/// against the file this process's `FXPKCS11_CFG` makes the library read.
pub fn plan(path: &Path) -> InitPlan {
    plan_for(path, &locate::library_cfg_path())
}

/// The plan for creating `path` against the given library file. Checks whether the
/// folder exists and whether this account can create a file in it, by creating and
/// removing a temporary file there (on Linux an unnamed one, which leaves no trace).
pub fn plan_for(path: &Path, library: &LibraryCfg) -> InitPlan {
    let path = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let folder = path.parent().map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    let existing = std::fs::metadata(&path).ok();
    let exists = std::fs::symlink_metadata(&path).is_ok();
    let dangling =
        existing.is_none() && std::fs::symlink_metadata(&path).is_ok_and(|meta| meta.file_type().is_symlink());
    let blocker = if dangling {
        Some(InitBlocker::DanglingLink)
    } else if existing.as_ref().is_some_and(|meta| !meta.is_file()) {
        Some(InitBlocker::NotAFile)
    } else if !folder.is_dir() {
        Some(InitBlocker::FolderMissing)
    } else if !can_create_in(&folder) {
        Some(InitBlocker::FolderNotWritable)
    } else {
        None
    };
    let read_by_library = locate::is_library_cfg(&path, library);
    InitPlan {
        env_command: (!read_by_library).then(|| env_command(&path)),
        path,
        folder,
        library: library.clone(),
        read_by_library,
        exists,
        blocker,
    }
}

/// Writes `doc` as a new configuration file at `path` (mode 0600 on Unix), through the
/// project's atomic saver: the file appears complete or not at all. An existing file is
/// replaced only when `force` is set, and its contents are then kept in `<name>.bak`.
///
/// # Errors
/// [`InitError::Exists`] when the file exists and `force` is not set (also when another
/// program creates it meanwhile); [`InitError::FolderMissing`], [`InitError::NotWritable`],
/// [`InitError::NotAFile`] and [`InitError::DanglingLink`] (with or without `force`) from the
/// [`plan`], before anything is written;
/// [`InitError::Save`] when writing fails.
pub fn create(path: &Path, doc: &CfgDocument, force: bool) -> Result<InitReport, InitError> {
    let plan = plan(path);
    match plan.blocker {
        Some(InitBlocker::NotAFile) => return Err(InitError::NotAFile { path: plan.path }),
        Some(InitBlocker::DanglingLink) => {
            let target = std::fs::read_link(&plan.path).unwrap_or_default();
            return Err(InitError::DanglingLink {
                path: plan.path,
                target,
            });
        }
        Some(InitBlocker::FolderMissing) => return Err(InitError::FolderMissing { folder: plan.folder }),
        Some(InitBlocker::FolderNotWritable) => {
            let elsewhere = home_cfg().filter(|home| *home != plan.path);
            return Err(InitError::NotWritable {
                plan: Box::new(plan),
                elsewhere,
            });
        }
        None => {}
    }
    if plan.exists && !force {
        return Err(InitError::Exists { path: plan.path });
    }
    let mut file = CfgFile::new_unsaved(&plan.path, doc.clone());
    let saved = if plan.exists {
        file.save_as(&plan.path)
    } else {
        file.save()
    };
    let report = saved.map_err(|source| match source {
        CfgError::ChangedOnDisk { .. } => InitError::Exists {
            path: plan.path.clone(),
        },
        source => InitError::Save {
            path: plan.path.clone(),
            source,
        },
    })?;
    Ok(InitReport {
        path: report.path,
        replaced: plan.exists,
        backup: report.backup,
        mode: report.mode,
        bytes: report.bytes,
    })
}

/// `fxpkcs11.cfg` in this account's home folder, when it has one.
pub fn home_cfg() -> Option<PathBuf> {
    directories::BaseDirs::new().map(|dirs| dirs.home_dir().join("fxpkcs11.cfg"))
}

/// The command that installs the file `source` as `target`, readable by its owner (root)
/// only: `sudo install -m 600 SOURCE TARGET`; on Windows, `copy /Y "SOURCE" "TARGET"` for
/// a Command Prompt run as administrator. Paths are quoted for the shell when needed.
pub fn install_command(source: &Path, target: &Path) -> String {
    if cfg!(windows) {
        format!("copy /Y \"{}\" \"{}\"", source.display(), target.display())
    } else {
        format!("sudo install -m 600 {} {}", shell_word(source), shell_word(target))
    }
}

/// The command that makes the library read `path` in the shell it is run in:
/// `export FXPKCS11_CFG=PATH`; on Windows, `setx FXPKCS11_CFG "PATH"` (for programs started
/// afterwards). Set it for the account that runs ssh.
pub fn env_command(path: &Path) -> String {
    if cfg!(windows) {
        format!("setx {ENV_VAR} \"{}\"", path.display())
    } else {
        format!("export {ENV_VAR}={}", shell_word(path))
    }
}

/// Whether this account can create a file in `folder`: tried with a temporary file that is
/// removed at once.
fn can_create_in(folder: &Path) -> bool {
    match tempfile::tempfile_in(folder) {
        Ok(_) => true,
        Err(error) => error.kind() != io::ErrorKind::PermissionDenied && !read_only_fs(&error),
    }
}

/// Whether the error says the file system is mounted read-only.
fn read_only_fs(error: &io::Error) -> bool {
    #[cfg(unix)]
    {
        // EROFS
        error.raw_os_error() == Some(30)
    }
    #[cfg(not(unix))]
    {
        let _ = error;
        false
    }
}

/// A path as one POSIX shell word: as it is when it holds only characters the shell leaves
/// alone, else in single quotes.
fn shell_word(path: &Path) -> String {
    let text = path.display().to_string();
    let plain = !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '.' | '_' | '-' | '+' | ',' | ':' | '@' | '%'));
    if plain {
        text
    } else {
        format!("'{}'", text.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cfg::locate::CfgSource;
    use crate::cfg::{blank_template, validate};

    fn library(path: &Path) -> LibraryCfg {
        LibraryCfg {
            path: path.to_path_buf(),
            source: CfgSource::EnvVar,
        }
    }

    #[test]
    fn commands_quote_paths_for_the_shell() {
        assert_eq!(shell_word(Path::new("/etc/fxpkcs11.cfg")), "/etc/fxpkcs11.cfg");
        assert_eq!(shell_word(Path::new("/home/a b/x.cfg")), "'/home/a b/x.cfg'");
        assert_eq!(shell_word(Path::new("/tmp/it's.cfg")), r"'/tmp/it'\''s.cfg'");
        if cfg!(unix) {
            assert_eq!(
                install_command(Path::new("/home/me/fxpkcs11.cfg"), Path::new("/etc/fxpkcs11.cfg")),
                "sudo install -m 600 /home/me/fxpkcs11.cfg /etc/fxpkcs11.cfg"
            );
            assert_eq!(
                env_command(Path::new("/home/me/my cfg")),
                "export FXPKCS11_CFG='/home/me/my cfg'"
            );
        }
    }

    #[test]
    fn the_plan_names_the_library_file_and_what_blocks_writing() {
        let dir = tempfile::tempdir().expect("temp dir");
        let target = dir.path().join("fxpkcs11.cfg");
        let plan = plan_for(&target, &library(&target));
        assert!(plan.read_by_library && plan.env_command.is_none());
        assert!(!plan.exists && plan.blocker.is_none() && plan.can_write(false));

        let other = plan_for(&target, &library(Path::new("/etc/fxpkcs11.cfg")));
        assert!(!other.read_by_library);
        assert!(other.env_command.as_deref().is_some_and(|c| c.contains(ENV_VAR)));

        let missing = plan_for(&dir.path().join("absent/fxpkcs11.cfg"), &library(&target));
        assert_eq!(missing.blocker, Some(InitBlocker::FolderMissing));
        assert!(!missing.can_write(true));

        let folder = plan_for(dir.path(), &library(&target));
        assert_eq!(folder.blocker, Some(InitBlocker::NotAFile));

        std::fs::write(&target, "x").expect("file");
        let exists = plan_for(&target, &library(&target));
        assert!(exists.exists && !exists.can_write(false) && exists.can_write(true));
    }

    #[cfg(unix)]
    #[test]
    fn create_writes_0600_and_refuses_to_replace_unless_forced() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("temp dir");
        let target = dir.path().join("fxpkcs11.cfg");
        let doc = CfgDocument::parse(blank_template().as_bytes()).expect("template");
        let report = create(&target, &doc, false).expect("created");
        assert_eq!(report.mode, Some(0o600));
        assert!(!report.replaced && report.backup.is_none());
        let mode = std::fs::metadata(&target).expect("meta").permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        assert_eq!(std::fs::read_to_string(&target).expect("read"), blank_template());

        std::fs::write(&target, "<KMS>\n</KMS>\n").expect("edit");
        let error = create(&target, &doc, false).expect_err("exists");
        assert!(matches!(error, InitError::Exists { .. }), "{error:?}");
        assert!(error.remedy().contains("--force"));
        assert_eq!(std::fs::read_to_string(&target).expect("read"), "<KMS>\n</KMS>\n");

        let report = create(&target, &doc, true).expect("replaced");
        assert!(report.replaced);
        let backup = report.backup.expect("backup kept");
        assert_eq!(std::fs::read_to_string(backup).expect("read"), "<KMS>\n</KMS>\n");
        let written = CfgFile::load(&target).expect("load");
        assert!(!validate(&written.doc, None).is_empty());
    }
}
