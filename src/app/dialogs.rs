//! File dialogs behind a trait, so that the app never blocks on one and tests can
//! answer them from a script.
//!
//! The app calls [`FileDialogs`] on a worker thread and receives the answer as an
//! event; [`NativeDialogs`] shows the operating system's dialog with `rfd` (on Linux
//! through the XDG desktop portal).

use std::path::PathBuf;

/// What a file dialog is for; decides its title, filters, starting folder and what the
/// app does with the answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DialogPurpose {
    /// Open an `fxpkcs11.cfg`.
    OpenConfig,
    /// Save the open configuration under another name.
    SaveConfigAs,
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
    /// Choose a file for a path field of the configuration form (the field's tag).
    BrowseField(String),
    /// Choose the PKCS#11 module (`libfxpkcs11.so`, `fxpkcs11.dll`) for the SSH commands.
    BrowseModule,
}

impl DialogPurpose {
    /// Whether the dialog asks for a file to write rather than one to read.
    pub fn is_save(&self) -> bool {
        matches!(
            self,
            DialogPurpose::SaveConfigAs | DialogPurpose::SaveAuthorizedKeys | DialogPurpose::SaveReport
        )
    }

    /// The dialog's title.
    pub fn title(&self) -> String {
        match self {
            DialogPurpose::OpenConfig => "Open fxpkcs11.cfg".to_owned(),
            DialogPurpose::SaveConfigAs => "Save the configuration as".to_owned(),
            DialogPurpose::OpenCa => "Open the root CA certificate".to_owned(),
            DialogPurpose::OpenP12 => "Open the PKCS#12 client identity".to_owned(),
            DialogPurpose::OpenPublicKey => "Open the public key exported from the KMES".to_owned(),
            DialogPurpose::SaveAuthorizedKeys => "Save the authorized_keys fragment".to_owned(),
            DialogPurpose::SaveReport => "Save the report".to_owned(),
            DialogPurpose::BrowseField(tag) => format!("Choose the file for {tag}"),
            DialogPurpose::BrowseModule => "Choose the PKCS#11 module".to_owned(),
        }
    }

    /// The file-type filters: (name, extensions without dots).
    pub fn filters(&self) -> Vec<(&'static str, &'static [&'static str])> {
        match self {
            DialogPurpose::OpenConfig | DialogPurpose::SaveConfigAs => vec![("Configuration", &["cfg"])],
            DialogPurpose::OpenCa => vec![("Certificates", &["pem", "crt", "cer", "der"])],
            DialogPurpose::OpenP12 => vec![("PKCS#12", &["p12", "pfx"])],
            DialogPurpose::OpenPublicKey => vec![("Public keys", &["pub", "pem", "der", "crt", "cer"])],
            DialogPurpose::SaveAuthorizedKeys => vec![("authorized_keys fragment", &["pub", "txt"])],
            DialogPurpose::SaveReport => vec![("Markdown", &["md"])],
            DialogPurpose::BrowseField(_) => {
                vec![("Certificates and keys", &["pem", "crt", "cer", "der", "p12", "pfx"])]
            }
            DialogPurpose::BrowseModule => vec![("PKCS#11 module", &["so", "dll", "dylib"])],
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

/// Shows file dialogs. Both methods block until the user answers, so the app only calls
/// them on a worker thread.
pub trait FileDialogs: Send + Sync {
    /// Asks for an existing file to read; `None` when cancelled.
    fn open_file(&self, request: &DialogRequest) -> Option<PathBuf>;

    /// Asks for a file to write; `None` when cancelled.
    fn save_file(&self, request: &DialogRequest) -> Option<PathBuf>;
}

/// The operating system's file dialogs, through `rfd`.
#[derive(Clone, Copy, Debug, Default)]
pub struct NativeDialogs;

impl NativeDialogs {
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
}

impl FileDialogs for NativeDialogs {
    fn open_file(&self, request: &DialogRequest) -> Option<PathBuf> {
        NativeDialogs::dialog(request).pick_file()
    }

    fn save_file(&self, request: &DialogRequest) -> Option<PathBuf> {
        NativeDialogs::dialog(request).save_file()
    }
}
