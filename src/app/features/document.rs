//! The open configuration, as a feature of the app: reading it (or finding it missing),
//! editing it field by field or as text, validating it, watching the file on disk, saving it
//! after a preview, and what waits for a save (a test, a reload, another file, closing).

use std::path::{Path, PathBuf};

use egui::ViewportCommand;
use zeroize::Zeroizing;

use crate::cfg::{self, CfgDocument, CfgError, CfgFile, Finding, LibraryCfg, SaveReport, locate};

use super::super::command::{Command, Pending};
use super::super::dialogs::DialogPurpose;
use super::super::features::install::InstallHint;
use super::super::modals::Modal;
use super::super::model::{DiskWatch, Problem};
use super::super::screens::Screen;
use super::super::tasks::TaskEvent;
use super::super::widgets::FocusTarget;
use super::super::{FxApp, diff};

/// A configuration read by a worker, with what the app shows about it.
#[derive(Debug)]
pub struct LoadedConfig {
    /// The file and its document.
    pub file: CfgFile,
    /// The file the PKCS#11 library reads.
    pub library: LibraryCfg,
    /// Whether the library reads this file.
    pub is_library_file: bool,
    /// Whether the library's file exists.
    pub library_exists: bool,
    /// When the library reads another file, the sentence saying so.
    pub mismatch: Option<String>,
}

/// The configuration being edited.
#[derive(Debug)]
pub struct OpenDocument {
    /// The file and its document.
    pub file: CfgFile,
    /// The bytes as loaded or last saved (the "before" of the diff preview).
    pub baseline: Zeroizing<Vec<u8>>,
    /// The SHA-256 of [`OpenDocument::baseline`], in hex: what a run of the saved file read.
    pub baseline_sha256: String,
    /// Counts every change of the document, to match validation results.
    pub revision: u64,
    /// Whether the document differs from its file (cached after each change).
    pub modified: bool,
    /// The file the PKCS#11 library reads.
    pub library: LibraryCfg,
    /// Whether that is this file.
    pub is_library_file: bool,
    /// Whether the library's file exists.
    pub library_exists: bool,
    /// When the library reads another file, the sentence saying so.
    pub mismatch: Option<String>,
    /// What validation found for [`OpenDocument::findings_revision`].
    pub findings: Vec<Finding>,
    /// The revision the findings belong to.
    pub findings_revision: Option<u64>,
    /// A validation is running.
    pub validating: bool,
    /// Another program changed the file since it was loaded or saved.
    pub changed_on_disk: bool,
    /// Who besides the owner may read the file holding a password, as the last save found.
    pub exposure: Option<crate::files::PasswordExposure>,
    /// The watch on the file, and its generation.
    pub watch: Option<DiskWatch>,
    /// Identifies the current watch, so that a stale one's report is ignored.
    pub watch_generation: u64,
}

impl OpenDocument {
    /// A document as loaded by a worker.
    pub fn from_loaded(loaded: LoadedConfig) -> OpenDocument {
        let baseline = Zeroizing::new(loaded.file.doc.to_bytes());
        let modified = loaded.file.is_modified();
        let baseline_sha256 = crate::doctor::record::sha256_hex(&baseline);
        OpenDocument {
            file: loaded.file,
            baseline,
            baseline_sha256,
            revision: 0,
            modified,
            library: loaded.library,
            is_library_file: loaded.is_library_file,
            library_exists: loaded.library_exists,
            mismatch: loaded.mismatch,
            findings: Vec::new(),
            findings_revision: None,
            validating: false,
            changed_on_disk: false,
            exposure: None,
            watch: None,
            watch_generation: 0,
        }
    }

    /// Replaces the baseline with the file's bytes as just saved or reloaded.
    pub fn set_baseline(&mut self) {
        self.baseline = Zeroizing::new(self.file.doc.to_bytes());
        self.baseline_sha256 = crate::doctor::record::sha256_hex(&self.baseline);
    }

    /// Records a change of the document.
    pub fn touch(&mut self) {
        self.revision += 1;
        self.modified = self.file.is_modified();
    }

    /// Whether the file on disk holds a password that its group or other users may read: as
    /// the last save found, or as validation finds now.
    pub fn password_exposed(&self) -> bool {
        self.exposure.is_some()
            || self
                .findings
                .iter()
                .any(|finding| finding.kind == crate::cfg::FindingKind::ReadableByOthers)
    }

    /// The findings about one tag.
    pub fn findings_for<'a>(&'a self, tag: &'a str) -> impl Iterator<Item = &'a Finding> + 'a {
        self.findings
            .iter()
            .filter(move |f| f.tag.as_deref().is_some_and(|t| t.eq_ignore_ascii_case(tag)))
    }
}

/// The open configuration and what happens to it: loading, a missing file, a load that
/// failed, a save and what follows it.
#[derive(Debug, Default)]
pub struct DocumentState {
    /// The configuration being edited.
    pub open: Option<OpenDocument>,
    /// The configuration being read, if any.
    pub loading: Option<PathBuf>,
    /// A configuration that was asked for but does not exist.
    pub missing: Option<Missing>,
    /// Why the last configuration could not be read.
    pub load_problem: Option<Problem>,
    /// A save is running.
    pub saving: bool,
    /// What to do once the save is done.
    pub after_save: Option<Pending>,
}

/// A configuration that was asked for but does not exist.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Missing {
    /// The file.
    pub path: PathBuf,
    /// Whether its folder exists (so the file can be created there).
    pub folder_exists: bool,
}

/// Reads a configuration and works out whether the PKCS#11 library reads it.
pub fn load_config(path: &Path, library: &LibraryCfg) -> Result<Box<LoadedConfig>, CfgError> {
    let file = CfgFile::load(path)?;
    Ok(Box::new(describe(file, library)))
}

/// What the app shows about a configuration file: which file the library reads.
pub fn describe(file: CfgFile, library: &LibraryCfg) -> LoadedConfig {
    let is_library_file = locate::is_library_cfg(&file.path, library);
    let library_exists = library.path.exists();
    let mismatch = locate::library_mismatch_message(&file.path, library);
    LoadedConfig {
        file,
        library: library.clone(),
        is_library_file,
        library_exists,
        mismatch,
    }
}

/// Whether a save failed because this user may not write the file or its folder.
fn is_permission_denied(error: &CfgError) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(cause) = source {
        if let Some(io) = cause.downcast_ref::<std::io::Error>()
            && io.kind() == std::io::ErrorKind::PermissionDenied
        {
            return true;
        }
        source = cause.source();
    }
    false
}

/// What the UI asks of the open configuration.
#[derive(Debug)]
pub enum DocumentCommand {
    /// Open a configuration (asking first about unsaved changes).
    Open(PathBuf),
    /// Show the open dialog (asking first about unsaved changes).
    AskOpen,
    /// Start a new configuration at this path (asking first about unsaved changes).
    Create(PathBuf),
    /// Read the open file again (asking first about unsaved changes).
    Reload,
    /// Show the changes a save writes.
    RequestSave,
    /// Write the changes previewed.
    ConfirmSave,
    /// Save under another name.
    AskSaveAs,
    /// Set an entry's value (added when absent).
    SetField {
        /// The section, `None` for the top level.
        section: Option<String>,
        /// The tag.
        tag: String,
        /// The value.
        value: Zeroizing<String>,
    },
    /// Replace the whole document with this text (the raw editor).
    ReplaceText(Zeroizing<String>),
    /// Keep these changes over the file changed on disk: save after a preview.
    KeepMine,
    /// Throw the unsaved changes away and go on with what waited.
    DiscardAndContinue,
    /// Save the unsaved changes (after a preview), then go on with what waited.
    SaveAndContinue,
    /// Make the open file (and its backup) readable by its owner only, keeping the owner.
    TightenPermissions,
    /// Forget a file in the recent list.
    ForgetRecent(PathBuf),
}

/// What the open configuration's workers report.
#[derive(Debug)]
pub enum DocumentEvent {
    /// A configuration was read.
    Loaded {
        /// The file asked for.
        path: PathBuf,
        /// The loaded configuration, or why not.
        result: Result<Box<LoadedConfig>, CfgError>,
        /// Whether the file's folder exists (when the file does not, creating it there is
        /// offered only if it does).
        folder_exists: bool,
    },
    /// The configuration was saved (the file carries its new disk state and path).
    Saved {
        /// The saved file, or why not.
        result: Result<(Box<LoadedConfig>, SaveReport), CfgError>,
        /// The path of a "save as", `None` for the file's own path.
        target: Option<PathBuf>,
    },
    /// Validation of a revision finished.
    Validated {
        /// The revision validated.
        revision: u64,
        /// What it found.
        findings: Vec<Finding>,
    },
    /// The open file changed on disk since it was loaded or saved.
    DiskChanged {
        /// The watch generation that noticed.
        generation: u64,
    },
    /// The permissions of the open file were tightened.
    PermissionsTightened {
        /// The file.
        path: PathBuf,
        /// Nothing, or why not.
        result: Result<(), CfgError>,
    },
    /// The recent files that are gone.
    RecentChecked {
        /// The recent files that no longer exist.
        missing: Vec<PathBuf>,
    },
}

impl From<DocumentCommand> for Command {
    fn from(command: DocumentCommand) -> Command {
        Command::Document(command)
    }
}

impl From<DocumentEvent> for TaskEvent {
    fn from(event: DocumentEvent) -> TaskEvent {
        TaskEvent::Document(event)
    }
}

impl FxApp {
    /// Applies a command of this feature.
    pub(in crate::app) fn apply_document(&mut self, ctx: &egui::Context, command: DocumentCommand) {
        match command {
            DocumentCommand::Open(path) => self.guarded(Pending::Open(path)),
            DocumentCommand::AskOpen => self.guarded(Pending::AskOpen),
            DocumentCommand::Create(path) => self.guarded(Pending::Create(path)),
            DocumentCommand::Reload => self.guarded(Pending::Reload),
            DocumentCommand::RequestSave => {
                if self.document.open.is_some() && !self.document.saving {
                    self.request_save(None);
                }
            }
            DocumentCommand::ConfirmSave => {
                if let Some(Modal::ReviewSave { then, .. }) = self.ui.modal.take() {
                    self.document.after_save = then;
                    let overwrite = self.changed_on_disk();
                    let path = overwrite.then(|| self.open_path().map(Path::to_owned)).flatten();
                    self.start_save(path);
                }
            }
            DocumentCommand::AskSaveAs => {
                if self.document.open.is_some() {
                    self.open_dialog(DialogPurpose::SaveConfigAs);
                }
            }
            DocumentCommand::SetField { section, tag, value } => self.set_field(section.as_deref(), &tag, value.trim()),
            DocumentCommand::ReplaceText(text) => {
                if let Some(doc) = &mut self.document.open {
                    match CfgDocument::parse(text.as_bytes()) {
                        Ok(parsed) => {
                            doc.file.doc = parsed;
                            doc.touch();
                        }
                        Err(error) => self.explain("The text was not applied", &error),
                    }
                }
            }
            DocumentCommand::KeepMine => {
                if self.document.open.is_some() {
                    self.request_save(None);
                }
            }
            DocumentCommand::DiscardAndContinue => {
                if let Some(Modal::Unsaved { then }) = self.ui.modal.take() {
                    self.perform(ctx, then);
                }
            }
            DocumentCommand::SaveAndContinue => match self.ui.modal.take() {
                Some(Modal::Unsaved { then }) => self.request_save(Some(then)),
                Some(Modal::UnsavedTest { stop_after }) => self.request_save(Some(Pending::RunDoctor { stop_after })),
                other => self.ui.modal = other,
            },
            DocumentCommand::TightenPermissions => {
                if let Some(path) = self.open_path().map(Path::to_owned) {
                    self.spawn("chmod", move || DocumentEvent::PermissionsTightened {
                        result: cfg::tighten_permissions(&path),
                        path,
                    });
                }
            }
            DocumentCommand::ForgetRecent(path) => {
                self.settings.prefs.forget_file(&path);
                self.settings.recent_missing.remove(&path);
                self.save_prefs();
            }
        }
    }

    /// Applies what a worker of this feature reported.
    pub(in crate::app) fn handle_document(&mut self, ctx: &egui::Context, event: DocumentEvent) {
        match event {
            DocumentEvent::Loaded {
                path,
                result,
                folder_exists,
            } => self.config_loaded(path, result, folder_exists),
            DocumentEvent::Saved { result, target } => self.saved(ctx, result, target),
            DocumentEvent::Validated { revision, findings } => {
                if let Some(doc) = &mut self.document.open {
                    doc.validating = false;
                    if doc.revision == revision {
                        doc.findings = findings;
                        doc.findings_revision = Some(revision);
                    }
                }
            }
            DocumentEvent::DiskChanged { generation } => {
                if let Some(doc) = &mut self.document.open
                    && doc.watch_generation == generation
                {
                    doc.changed_on_disk = true;
                    doc.watch = None;
                }
            }
            DocumentEvent::PermissionsTightened { path, result } => match result {
                Ok(()) => {
                    if let Some(doc) = &mut self.document.open
                        && doc.file.path == path
                    {
                        doc.exposure = None;
                        // Validated again: the permissions finding goes.
                        doc.findings_revision = None;
                    }
                    self.info(format!(
                        "{} is now readable by its owner only (mode 0600).",
                        path.display()
                    ));
                }
                Err(error) => self.explain(
                    &format!("The permissions of {} were not changed", path.display()),
                    &error,
                ),
            },
            DocumentEvent::RecentChecked { missing } => self.settings.recent_missing = missing.into_iter().collect(),
        }
    }

    /// Runs `pending` now, or first asks about the unsaved changes.
    pub(in crate::app) fn guarded(&mut self, pending: Pending) {
        if self.is_modified() {
            self.ui.modal = Some(Modal::Unsaved { then: pending });
        } else {
            self.perform_now(pending);
        }
    }
    pub(in crate::app) fn perform(&mut self, ctx: &egui::Context, pending: Pending) {
        if pending == Pending::Close {
            self.ui.window.allow_close = true;
            ctx.send_viewport_cmd(ViewportCommand::Close);
        } else {
            self.perform_now(pending);
        }
    }
    pub(in crate::app) fn perform_now(&mut self, pending: Pending) {
        match pending {
            Pending::Open(path) => self.start_load(path),
            Pending::AskOpen => self.open_dialog(DialogPurpose::OpenConfig),
            Pending::Create(path) => self.start_create(path),
            Pending::Reload => {
                if let Some(path) = self.open_path().map(Path::to_owned) {
                    self.start_load(path);
                }
            }
            Pending::Close => self.ui.window.allow_close = true,
            Pending::RunDoctor { stop_after } => self.run_doctor(stop_after),
        }
    }
    pub(in crate::app) fn request_save(&mut self, then: Option<Pending>) {
        let Some(doc) = &self.document.open else {
            return;
        };
        let new = Zeroizing::new(doc.file.doc.to_bytes());
        let lines = diff::diff_lines(&doc.baseline, &new);
        self.ui.modal = Some(Modal::ReviewSave { lines, then });
    }
    /// Saves the document (over its file, or as `path`) on a worker.
    pub(in crate::app) fn start_save(&mut self, path: Option<PathBuf>) {
        let Some(doc) = &self.document.open else {
            return;
        };
        if self.document.saving {
            return;
        }
        self.document.saving = true;
        let mut file = doc.file.clone();
        let library = self.options.library();
        self.spawn("save", move || {
            let result = match &path {
                Some(path) => file.save_as(path),
                None => file.save(),
            };
            DocumentEvent::Saved {
                result: result.map(|report| (Box::new(describe(file, &library)), report)),
                target: path,
            }
        });
    }
    pub(in crate::app) fn set_field(&mut self, section: Option<&str>, tag: &str, value: &str) {
        let Some(doc) = &mut self.document.open else {
            return;
        };
        if doc.file.doc.get(section, tag).is_some_and(|entry| entry.value == value) {
            return;
        }
        match doc.file.doc.set(section, tag, value) {
            Ok(_) => doc.touch(),
            Err(error) => self.explain(&format!("{tag} was not changed"), &error),
        }
    }
    pub(in crate::app) fn config_loaded(
        &mut self,
        path: PathBuf,
        result: Result<Box<LoadedConfig>, CfgError>,
        folder_exists: bool,
    ) {
        if self.document.loading.as_deref() != Some(path.as_path()) {
            return;
        }
        self.document.loading = None;
        match result {
            Ok(loaded) => {
                self.document.open = Some(OpenDocument::from_loaded(*loaded));
                self.ui.views.config.reset();
                self.watch();
                self.start_validation();
                self.remember_file(&path);
                if self.ui.screen == Screen::Configuration {
                    self.ui.focus = Some(FocusTarget::Entry);
                }
            }
            Err(CfgError::Read { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => {
                if self.document.open.is_some() {
                    self.error(format!("There is no file at {}.", path.display()));
                } else {
                    self.document.missing = Some(Missing { path, folder_exists });
                    if self.ui.screen == Screen::Configuration {
                        self.ui.focus = Some(FocusTarget::Entry);
                    }
                }
            }
            Err(error) => {
                if self.document.open.is_some() {
                    self.explain(&format!("Could not open {}", path.display()), &error);
                } else {
                    self.document.load_problem = Some(Problem::about(&path, &error));
                }
            }
        }
    }
    pub(in crate::app) fn saved(
        &mut self,
        ctx: &egui::Context,
        result: Result<(Box<LoadedConfig>, cfg::SaveReport), CfgError>,
        save_target: Option<PathBuf>,
    ) {
        self.document.saving = false;
        match result {
            Ok((loaded, report)) => {
                let path = loaded.file.path.clone();
                if let Some(doc) = &mut self.document.open {
                    doc.file = loaded.file;
                    doc.set_baseline();
                    doc.library = loaded.library;
                    doc.is_library_file = loaded.is_library_file;
                    doc.library_exists = loaded.library_exists;
                    doc.mismatch = loaded.mismatch;
                    doc.exposure = report.exposure;
                    doc.touch();
                }
                self.watch();
                let backup = report
                    .backup
                    .map(|backup| format!(" (previous version in {})", backup.display()))
                    .unwrap_or_default();
                self.info(format!("Saved {}{backup}.", report.path.display()));
                if let Some(target) = self.install.target.take()
                    && target != report.path
                {
                    self.install.hint = Some(InstallHint::new(report.path.clone(), target));
                }
                self.remember_file(&path);
                if let Some(then) = self.document.after_save.take() {
                    self.perform(ctx, then);
                }
            }
            Err(error) => {
                self.document.after_save = None;
                self.install.target = None;
                if matches!(error, CfgError::ChangedOnDisk { .. })
                    && let Some(doc) = &mut self.document.open
                {
                    doc.changed_on_disk = true;
                }
                let target = save_target.unwrap_or_else(|| self.open_path().map(Path::to_owned).unwrap_or_default());
                self.error(format!("Not saved: {}", target.display()));
                let permission_denied = is_permission_denied(&error);
                self.ui.modal = Some(Modal::SaveFailed {
                    problem: Problem::about(&target, &error),
                    path: target,
                    permission_denied,
                });
            }
        }
    }
    /// Puts a configuration first in the recent files, unless it is the demo's temporary one.
    pub(in crate::app) fn remember_file(&mut self, path: &Path) {
        let demo_file = self.options.demo.as_ref().is_some_and(|demo| {
            demo.config_path()
                .parent()
                .is_some_and(|folder| path.starts_with(folder))
        });
        if demo_file {
            return;
        }
        self.settings.prefs.remember_file(path);
        self.settings.recent_missing.remove(path);
        self.save_prefs();
    }
    pub(in crate::app) fn start_load(&mut self, path: PathBuf) {
        self.document.loading = Some(path.clone());
        self.document.missing = None;
        self.document.load_problem = None;
        let library = self.options.library();
        self.spawn("load", move || {
            let result = load_config(&path, &library);
            let folder_exists = path
                .parent()
                .is_none_or(|folder| folder.as_os_str().is_empty() || folder.is_dir());
            DocumentEvent::Loaded {
                path,
                result,
                folder_exists,
            }
        });
    }
    pub(in crate::app) fn start_create(&mut self, path: PathBuf) {
        self.document.loading = Some(path.clone());
        self.document.missing = None;
        self.document.load_problem = None;
        let library = self.options.library();
        self.spawn("create", move || {
            let file = CfgFile::new_unsaved(&path, CfgDocument::new());
            DocumentEvent::Loaded {
                path,
                result: Ok(Box::new(describe(file, &library))),
                folder_exists: true,
            }
        });
    }
    /// Finds which recent files are gone, on a worker (the disk may be slow).
    pub(in crate::app) fn check_recent_files(&mut self) {
        let files = self.settings.prefs.recent_files.clone();
        if files.is_empty() {
            return;
        }
        self.spawn("recent", move || DocumentEvent::RecentChecked {
            missing: files.into_iter().filter(|path| !path.is_file()).collect(),
        });
    }
    pub(in crate::app) fn start_validation(&mut self) {
        let Some(doc) = &mut self.document.open else {
            return;
        };
        if doc.validating || doc.findings_revision == Some(doc.revision) {
            return;
        }
        doc.validating = true;
        let revision = doc.revision;
        let snapshot = doc.file.doc.clone();
        let path = doc.file.path.clone();
        self.spawn("validate", move || DocumentEvent::Validated {
            revision,
            findings: cfg::validate(&snapshot, Some(&path)),
        });
    }
    pub(in crate::app) fn watch(&mut self) {
        let interval = self.options.watch_interval;
        if let Some(doc) = &mut self.document.open {
            doc.watch_generation += 1;
            doc.changed_on_disk = false;
            // Replacing the watch ends the old one.
            let watch: Option<DiskWatch> = self.tasks.watch(&doc.file, doc.watch_generation, interval);
            doc.watch = watch;
        }
    }
}
