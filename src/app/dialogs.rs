//! File dialogs behind a trait, so that the app never blocks on one and tests can
//! answer them from a script.
//!
//! The app calls [`FileDialogs`] on a worker thread and receives the answer as an
//! event; [`NativeDialogs`] shows the operating system's dialog with `rfd` (on Linux
//! through the XDG desktop portal, or zenity). A dialog that cannot be shown answers a
//! [`DialogError`], which the app tells apart from a cancel: it says so once and lets the
//! path be typed instead.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// What a file dialog is for; decides its title, filters, starting folder and what the
/// app does with the answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DialogPurpose {
    /// Open an `fxpkcs11.cfg`.
    OpenConfig,
    /// Save the open configuration under another name.
    SaveConfigAs,
    /// Choose where to write a new configuration.
    NewConfig,
    /// Choose where to write a configuration that cannot go where it was meant.
    SaveElsewhere,
    /// Choose the root CA certificate exported from the KMES ([3.1.4]).
    OpenCa,
    /// Choose the PKCS#12 client identity exported from the KMES ([3.1.7]).
    OpenP12,
    /// Choose the public key exported from the KMES ([3.2.9]).
    OpenPublicKey,
    /// Save the `authorized_keys` fragment.
    SaveAuthorizedKeys,
    /// Save the Markdown report.
    SaveReport,
    /// Save the capture of the run shown (JSON, for `kmes-sim --replay`).
    SaveCapture,
    /// Choose a file for a path field of the configuration form (the field's tag).
    BrowseField(String),
    /// Choose the PKCS#11 module (`libfxpkcs11.so`, `fxpkcs11.dll`) for the SSH commands.
    BrowseModule,
    /// Choose a file of the SSH client screen.
    BrowseSshFile(SshFileField),
}

/// A file field of the SSH client screen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SshFileField {
    /// The exported public key, as an OpenSSH line (`IdentityFile`).
    Identity,
    /// The OpenSSH client configuration file.
    Config,
}

impl DialogPurpose {
    /// Whether the dialog asks for a file to write rather than one to read.
    pub fn is_save(&self) -> bool {
        matches!(
            self,
            DialogPurpose::SaveConfigAs
                | DialogPurpose::NewConfig
                | DialogPurpose::SaveElsewhere
                | DialogPurpose::SaveAuthorizedKeys
                | DialogPurpose::SaveReport
                | DialogPurpose::SaveCapture
        )
    }

    /// The dialog's title.
    pub fn title(&self) -> String {
        match self {
            DialogPurpose::OpenConfig => "Open fxpkcs11.cfg".to_owned(),
            DialogPurpose::SaveConfigAs => "Save the configuration as".to_owned(),
            DialogPurpose::NewConfig => "Create a new configuration".to_owned(),
            DialogPurpose::SaveElsewhere => "Save the configuration elsewhere".to_owned(),
            DialogPurpose::OpenCa => "Open the root CA certificate".to_owned(),
            DialogPurpose::OpenP12 => "Open the PKCS#12 client identity".to_owned(),
            DialogPurpose::OpenPublicKey => "Open the public key exported from the KMES".to_owned(),
            DialogPurpose::SaveAuthorizedKeys => "Save the authorized_keys fragment".to_owned(),
            DialogPurpose::SaveReport => "Save the report".to_owned(),
            DialogPurpose::SaveCapture => "Save the capture of this run".to_owned(),
            DialogPurpose::BrowseField(tag) => format!("Choose the file for {tag}"),
            DialogPurpose::BrowseModule => "Choose the PKCS#11 module".to_owned(),
            DialogPurpose::BrowseSshFile(SshFileField::Identity) => "Choose the exported public key (.pub)".to_owned(),
            DialogPurpose::BrowseSshFile(SshFileField::Config) => "Choose the OpenSSH configuration file".to_owned(),
        }
    }

    /// The file-type filters: (name, extensions without dots).
    pub fn filters(&self) -> Vec<(&'static str, &'static [&'static str])> {
        match self {
            DialogPurpose::OpenConfig
            | DialogPurpose::SaveConfigAs
            | DialogPurpose::NewConfig
            | DialogPurpose::SaveElsewhere => {
                vec![("Configuration", &["cfg"])]
            }
            DialogPurpose::OpenCa => vec![("Certificates", &["pem", "crt", "cer", "der"])],
            DialogPurpose::OpenP12 => vec![("PKCS#12", &["p12", "pfx"])],
            DialogPurpose::OpenPublicKey => vec![("Public keys", &["pub", "pem", "der", "crt", "cer"])],
            DialogPurpose::SaveAuthorizedKeys => vec![("authorized_keys fragment", &["pub", "txt"])],
            DialogPurpose::SaveReport => vec![("Markdown", &["md"])],
            DialogPurpose::SaveCapture => vec![("fxconfig capture (JSON)", &["json"])],
            DialogPurpose::BrowseField(_) => {
                vec![("Certificates and keys", &["pem", "crt", "cer", "der", "p12", "pfx"])]
            }
            DialogPurpose::BrowseModule => vec![("PKCS#11 module", &["so", "dll", "dylib"])],
            DialogPurpose::BrowseSshFile(SshFileField::Identity) => vec![("OpenSSH public key", &["pub"])],
            DialogPurpose::BrowseSshFile(SshFileField::Config) => Vec::new(),
        }
    }
}

/// One request for a file dialog.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DialogRequest {
    /// What the file is for.
    pub purpose: DialogPurpose,
    /// The folder to start in.
    pub folder: Option<PathBuf>,
    /// The file name suggested by a save dialog.
    pub file_name: Option<String>,
}

/// Why a file dialog could not be shown (not a cancel: the user never saw a dialog).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{reason}")]
pub struct DialogError {
    /// What went wrong, in a sentence.
    pub reason: String,
}

impl DialogError {
    /// An error with this reason.
    pub fn new(reason: impl Into<String>) -> DialogError {
        DialogError { reason: reason.into() }
    }
}

/// What a file dialog answered: a file, a cancel (`None`), or that it could not be shown.
pub type DialogAnswer = Result<Option<PathBuf>, DialogError>;

/// Shows file dialogs. Both methods block until the user answers, so the app only calls
/// them on a worker thread.
pub trait FileDialogs: Send + Sync {
    /// Asks for an existing file to read; `Ok(None)` when cancelled.
    ///
    /// # Errors
    /// [`DialogError`] when no dialog could be shown.
    fn open_file(&self, request: &DialogRequest) -> DialogAnswer;

    /// Asks for a file to write; `Ok(None)` when cancelled.
    ///
    /// # Errors
    /// [`DialogError`] when no dialog could be shown.
    fn save_file(&self, request: &DialogRequest) -> DialogAnswer;
}

/// The operating system's file dialogs, through `rfd`.
///
/// `rfd` answers "no file" both when the user cancels and when no dialog could be shown (on
/// Linux: no XDG desktop portal and no `zenity`, as over X forwarding or on a minimal
/// desktop). The two are told apart here: on Linux, when neither a D-Bus session nor `zenity`
/// exists the dialog is not tried at all, and an answer of "no file" that comes back sooner
/// than a person can cancel a dialog ([`NativeDialogs::IMPOSSIBLY_QUICK`]) counts as a failure.
#[derive(Clone, Copy, Debug, Default)]
pub struct NativeDialogs;

impl NativeDialogs {
    /// An answer of "no file" sooner than this after asking means no dialog was shown.
    pub const IMPOSSIBLY_QUICK: Duration = Duration::from_millis(400);

    fn dialog(request: &DialogRequest) -> rfd::FileDialog {
        let mut dialog = rfd::FileDialog::new().set_title(request.purpose.title());
        for (name, extensions) in request.purpose.filters() {
            dialog = dialog.add_filter(name, extensions);
        }
        dialog = dialog.add_filter("All files", &["*"]);
        if let Some(folder) = &request.folder {
            dialog = dialog.set_directory(folder);
        }
        if let Some(name) = &request.file_name {
            dialog = dialog.set_file_name(name.clone());
        }
        dialog
    }

    fn ask(request: &DialogRequest, show: impl FnOnce(rfd::FileDialog) -> Option<PathBuf>) -> DialogAnswer {
        dialog_backend_available()?;
        let asked = Instant::now();
        match show(NativeDialogs::dialog(request)) {
            Some(path) => Ok(Some(path)),
            None if asked.elapsed() < NativeDialogs::IMPOSSIBLY_QUICK => Err(DialogError::new(
                "the file dialog closed as soon as it was asked for: no desktop portal or zenity answered",
            )),
            None => Ok(None),
        }
    }
}

/// Whether this desktop can show `rfd`'s dialogs at all: on Linux and the BSDs, a D-Bus
/// session (for the XDG desktop portal) or `zenity` on the `PATH`.
fn dialog_backend_available() -> Result<(), DialogError> {
    if cfg!(any(windows, target_os = "macos")) {
        return Ok(());
    }
    let session_bus = std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some_and(|value| !value.is_empty())
        || std::env::var_os("XDG_RUNTIME_DIR").is_some_and(|dir| Path::new(&dir).join("bus").exists());
    let zenity = std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join("zenity").is_file()));
    if session_bus || zenity {
        Ok(())
    } else {
        Err(DialogError::new(
            "there is no D-Bus session for the desktop portal and zenity is not installed",
        ))
    }
}

impl FileDialogs for NativeDialogs {
    fn open_file(&self, request: &DialogRequest) -> DialogAnswer {
        NativeDialogs::ask(request, rfd::FileDialog::pick_file)
    }

    fn save_file(&self, request: &DialogRequest) -> DialogAnswer {
        NativeDialogs::ask(request, rfd::FileDialog::save_file)
    }
}
