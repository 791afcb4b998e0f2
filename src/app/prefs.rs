//! Preferences that survive a restart: recent files, the window size, the last folder of
//! each file dialog, the theme, whether the navigation is hidden, and the SSH test's module
//! path and destination.
//!
//! They live in `prefs.json` in the per-user configuration folder of
//! `directories::ProjectDirs::from("", "", "fxconfig")` (`~/.config/fxconfig` on Linux,
//! `%APPDATA%\fxconfig\config` on Windows), or in the folder named by
//! [`PREFS_DIR_ENV`] (tests and benchmarks set it so they never touch the real home).
//! Nothing secret is ever stored here: passwords live only in `fxpkcs11.cfg`.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// The environment variable naming the folder that holds `prefs.json`, instead of the
/// per-user configuration folder.
pub const PREFS_DIR_ENV: &str = "FXCONFIG_PREFS_DIR";

/// The file name of the preferences inside their folder.
pub const PREFS_FILE: &str = "prefs.json";

/// How many recent files are remembered.
pub const MAX_RECENT: usize = 8;

/// Which theme to use.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ThemeChoice {
    /// Follow the operating system's dark or light setting.
    #[default]
    System,
    /// Always light.
    Light,
    /// Always dark.
    Dark,
}

impl ThemeChoice {
    /// Every choice, in menu order.
    pub const ALL: [ThemeChoice; 3] = [ThemeChoice::System, ThemeChoice::Light, ThemeChoice::Dark];

    /// The name shown in the theme menu.
    pub fn label(self) -> &'static str {
        match self {
            ThemeChoice::System => "Follow the system",
            ThemeChoice::Light => "Light",
            ThemeChoice::Dark => "Dark",
        }
    }

    /// The egui preference for this choice.
    pub fn preference(self) -> egui::ThemePreference {
        match self {
            ThemeChoice::System => egui::ThemePreference::System,
            ThemeChoice::Light => egui::ThemePreference::Light,
            ThemeChoice::Dark => egui::ThemePreference::Dark,
        }
    }
}

/// The folder each kind of file dialog opened in last.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct LastFolders {
    /// Configuration files.
    pub config: Option<PathBuf>,
    /// Root CA and PKCS#12 files.
    pub certificates: Option<PathBuf>,
    /// Public key files and authorized_keys fragments.
    pub ssh_key: Option<PathBuf>,
    /// Saved reports.
    pub report: Option<PathBuf>,
}

/// The persisted preferences.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Prefs {
    /// Configuration files opened recently, newest first.
    pub recent_files: Vec<PathBuf>,
    /// The window's inner size in points when it was last closed.
    pub window_size: Option<[f32; 2]>,
    /// The last folder of each file dialog.
    pub last_folders: LastFolders,
    /// The theme.
    pub theme: ThemeChoice,
    /// The PKCS#11 module path used in the SSH commands shown on the SSH key screen.
    pub module_path: Option<String>,
    /// The `user@host` used in the SSH test command of [5].
    pub ssh_destination: Option<String>,
    /// Whether the left navigation is hidden (Ctrl+B).
    pub navigation_hidden: bool,
}

impl Prefs {
    /// Removes `path` from the recent files.
    pub fn forget_file(&mut self, path: &Path) {
        self.recent_files.retain(|known| known != path);
    }

    /// Puts `path` first in the recent files, without duplicates, keeping at most [`MAX_RECENT`].
    pub fn remember_file(&mut self, path: &Path) {
        self.recent_files.retain(|known| known != path);
        self.recent_files.insert(0, path.to_owned());
        self.recent_files.truncate(MAX_RECENT);
    }
}

/// Where preferences are read from and written to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PrefsStore {
    file: Option<PathBuf>,
}

impl PrefsStore {
    /// The folder named by [`PREFS_DIR_ENV`], else the per-user configuration folder;
    /// a store that keeps nothing when neither is known.
    pub fn default_location() -> PrefsStore {
        if let Some(dir) = std::env::var_os(PREFS_DIR_ENV).filter(|value| !value.is_empty()) {
            return PrefsStore::in_dir(Path::new(&dir));
        }
        match directories::ProjectDirs::from("", "", "fxconfig") {
            Some(dirs) => PrefsStore::in_dir(dirs.config_dir()),
            None => PrefsStore::memory_only(),
        }
    }

    /// Preferences in `dir/prefs.json`.
    pub fn in_dir(dir: &Path) -> PrefsStore {
        PrefsStore {
            file: Some(dir.join(PREFS_FILE)),
        }
    }

    /// A store that reads defaults and writes nothing.
    pub fn memory_only() -> PrefsStore {
        PrefsStore { file: None }
    }

    /// The file, when there is one.
    pub fn file(&self) -> Option<&Path> {
        self.file.as_deref()
    }

    /// The folder of the file, when there is one.
    pub fn dir(&self) -> Option<&Path> {
        self.file.as_deref().and_then(Path::parent)
    }

    /// The stored preferences; defaults when the file is missing or unreadable.
    pub fn load(&self) -> Prefs {
        self.file
            .as_deref()
            .and_then(|file| fs::read(file).ok())
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .unwrap_or_default()
    }

    /// Writes the preferences (through a temporary file renamed into place).
    ///
    /// # Errors
    /// The operating system's error when the folder or file cannot be written.
    pub fn save(&self, prefs: &Prefs) -> io::Result<()> {
        let Some(file) = &self.file else {
            return Ok(());
        };
        let dir = file.parent().unwrap_or(Path::new("."));
        fs::create_dir_all(dir)?;
        let text = serde_json::to_vec_pretty(prefs).map_err(io::Error::other)?;
        let mut temp = tempfile::Builder::new().prefix(".prefs-").tempfile_in(dir)?;
        temp.write_all(&text)?;
        temp.as_file().sync_all()?;
        temp.persist(file).map_err(|error| error.error)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn preferences_round_trip_through_their_file() {
        let dir = tempfile::tempdir().expect("temporary folder");
        let store = PrefsStore::in_dir(dir.path());
        assert_eq!(store.load(), Prefs::default());
        let mut prefs = Prefs {
            theme: ThemeChoice::Dark,
            window_size: Some([900.0, 700.0]),
            ..Prefs::default()
        };
        prefs.remember_file(Path::new("/a.cfg"));
        prefs.remember_file(Path::new("/b.cfg"));
        prefs.remember_file(Path::new("/a.cfg"));
        store.save(&prefs).expect("saved");
        let loaded = store.load();
        assert_eq!(loaded, prefs);
        assert_eq!(
            loaded.recent_files,
            vec![PathBuf::from("/a.cfg"), PathBuf::from("/b.cfg")]
        );
    }

    #[test]
    fn a_damaged_file_gives_defaults() {
        let dir = tempfile::tempdir().expect("temporary folder");
        fs::write(dir.path().join(PREFS_FILE), b"{not json").expect("write");
        assert_eq!(PrefsStore::in_dir(dir.path()).load(), Prefs::default());
    }
}
