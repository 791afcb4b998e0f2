//! The desktop app: an egui front end over the library, for the administrator who follows
//! the integration guide and for the support engineer looking at the same screen.
//!
//! # Structure
//!
//! * [`FxApp`] holds the persisted preferences ([`prefs`]) apart from the runtime state
//!   (the open configuration, the certificates, the doctor run, the public key).
//! * Each frame: the events of finished background work are applied ([`tasks`]), the
//!   keyboard shortcuts and dropped files are read, the panels and the current screen are
//!   drawn ([`screens`]) — widget code only pushes [`command::Command`]s — and the
//!   commands are applied. The runtime state changes only in those two handlers.
//! * Anything that can block runs on a worker and wakes the UI when done; file dialogs go
//!   through the [`dialogs::FileDialogs`] trait, on a worker too. While nothing happens,
//!   no frame is drawn.
//! * [`run`] opens the window with wgpu (which finds Vulkan, lavapipe, DX12, WARP or GL)
//!   and falls back to OpenGL (glow) when that fails; if neither opens a window it returns
//!   a [`LaunchError`] saying why.

mod command;
pub mod dialogs;
pub mod diff;
pub mod drop;
mod model;
pub mod prefs;
pub mod screens;
pub mod tasks;
mod theme;
mod widgets;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use egui::{Key, KeyboardShortcut, Modifiers, RichText, Ui, ViewportCommand};
use zeroize::Zeroizing;

use crate::cfg::{self, CfgDocument, CfgError, CfgFile, locate};
use crate::demo::Demo;
use crate::doctor::{self, CheckId, CheckResult};
use crate::identity;
use crate::import::{self, ImportRequest};
use crate::remedy::Explain;
use crate::secret::Secret;
use crate::sshkey;

use command::{Command, Modal, Pending};
use dialogs::{DialogPurpose, DialogRequest, FileDialogs, NativeDialogs};
use drop::DropTarget;
use model::{CertState, DoctorState, KeyState, OpenDocument, Problem, Slot};
use prefs::{Prefs, PrefsStore, ThemeChoice};
use screens::Screen;
use screens::configuration::ConfigView;
use screens::ssh_key::KeyView;
use screens::troubleshooting::WizardView;
use tasks::{DiskWatch, TaskEvent, Tasks, WrittenKind};

/// The application name, used for the window and its storage.
pub const APP_NAME: &str = "fxconfig";

/// How often the open file is compared with the disk.
pub const DEFAULT_WATCH_INTERVAL: Duration = Duration::from_secs(2);

/// The window size when none was saved.
pub const DEFAULT_WINDOW_SIZE: [f32; 2] = [1120.0, 780.0];

/// The module path of the guide's example in [5], used until another is chosen or found.
#[cfg(windows)]
pub const GUIDE_MODULE_PATH: &str = r"C:\Program Files\Futurex\fxpkcs11\fxpkcs11.dll";

/// The module path of the guide's example in [5], used until another is chosen or found.
#[cfg(not(windows))]
pub const GUIDE_MODULE_PATH: &str = "/usr/local/bin/fxpkcs11/libfxpkcs11.so";

/// The icon of the window, a 256×256 PNG.
pub const ICON_PNG: &[u8] = include_bytes!("../../assets/icon.png");

/// How the app starts.
#[derive(Clone)]
pub struct AppOptions {
    /// The configuration to open; `None` opens the one the PKCS#11 library reads.
    pub config: Option<PathBuf>,
    /// The running demo, for `fxconfig demo`: its configuration and key are opened and its
    /// simulator's fault can be switched.
    pub demo: Option<Arc<Demo>>,
    /// The file dialogs.
    pub dialogs: Arc<dyn FileDialogs>,
    /// Where the preferences live.
    pub prefs: PrefsStore,
    /// The time allowed to each network step of the connection test.
    pub doctor_timeout: Duration,
    /// How often the open file is compared with the disk.
    pub watch_interval: Duration,
    /// Timing records for the benchmarks, when asked for.
    pub probe: Option<Arc<BenchProbe>>,
}

impl std::fmt::Debug for AppOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppOptions")
            .field("config", &self.config)
            .field("demo", &self.demo)
            .field("prefs", &self.prefs)
            .field("doctor_timeout", &self.doctor_timeout)
            .finish_non_exhaustive()
    }
}

impl AppOptions {
    /// The operating system's dialogs, the preferences in their usual place, and the
    /// doctor's default timeout.
    pub fn new(config: Option<PathBuf>) -> AppOptions {
        AppOptions {
            config,
            demo: None,
            dialogs: Arc::new(NativeDialogs),
            prefs: PrefsStore::default_location(),
            doctor_timeout: doctor::DEFAULT_TIMEOUT,
            watch_interval: DEFAULT_WATCH_INTERVAL,
            probe: None,
        }
    }
}

/// What the benchmarks read after the window closes.
#[derive(Clone, Debug, Default)]
pub struct BenchRecord {
    /// From the start of the process (as given to [`BenchProbe::new`]) to the end of the
    /// first frame's UI pass.
    pub first_frame: Option<Duration>,
    /// The CPU time of each frame as eframe reports it (UI pass and rendering), in seconds.
    pub frame_cpu: Vec<f32>,
    /// The time between the starts of consecutive frames, in seconds.
    pub frame_intervals: Vec<f32>,
}

/// Timing probes for the benchmarks: first frame, frame times.
#[derive(Debug)]
pub struct BenchProbe {
    started: Instant,
    exit_after_first_frame: bool,
    record: Mutex<BenchRecord>,
}

impl BenchProbe {
    /// A probe counting from `started`; with `exit_after_first_frame` the window closes
    /// as soon as the first frame is drawn.
    pub fn new(started: Instant, exit_after_first_frame: bool) -> Arc<BenchProbe> {
        Arc::new(BenchProbe {
            started,
            exit_after_first_frame,
            record: Mutex::new(BenchRecord::default()),
        })
    }

    /// What was recorded so far.
    pub fn record(&self) -> BenchRecord {
        self.record.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }

    fn with<R>(&self, write: impl FnOnce(&mut BenchRecord) -> R) -> R {
        write(&mut self.record.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

/// A message in the status bar.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Notice {
    text: String,
    is_error: bool,
}

/// The widget state of every screen.
#[derive(Default)]
struct Views {
    config: ConfigView,
    key: KeyView,
    wizard: WizardView,
}

/// The app.
pub struct FxApp {
    options: AppOptions,
    prefs: Prefs,
    prefs_dirty: bool,
    tasks: Tasks,
    screen: Screen,
    views: Views,
    doc: Option<OpenDocument>,
    loading: Option<PathBuf>,
    missing: Option<PathBuf>,
    load_problem: Option<Problem>,
    saving: bool,
    after_save: Option<Pending>,
    certs: CertState,
    doctor: DoctorState,
    key: KeyState,
    modal: Option<Modal>,
    notice: Option<Notice>,
    dialog_open: bool,
    detected_module: Option<PathBuf>,
    allow_close: bool,
    title: String,
    window_size: Option<[f32; 2]>,
    frames: u64,
    last_frame_start: Option<Instant>,
}

impl FxApp {
    /// The app on `ctx`, starting to read its configuration (and, in the demo, its key).
    pub fn new(ctx: &egui::Context, options: AppOptions) -> FxApp {
        let prefs = options.prefs.load();
        ctx.set_theme(prefs.theme.preference());
        install_fonts(ctx);
        let tasks = Tasks::new(ctx.clone());
        let mut app = FxApp {
            prefs,
            prefs_dirty: false,
            tasks,
            screen: Screen::default(),
            views: Views::default(),
            doc: None,
            loading: None,
            missing: None,
            load_problem: None,
            saving: false,
            after_save: None,
            certs: CertState::default(),
            doctor: DoctorState::default(),
            key: KeyState::default(),
            modal: None,
            notice: None,
            dialog_open: false,
            detected_module: None,
            allow_close: false,
            title: String::new(),
            window_size: None,
            frames: 0,
            last_frame_start: None,
            options,
        };
        let demo = app.options.demo.clone();
        let initial = match (&app.options.config, &demo) {
            (Some(path), _) => path.clone(),
            (None, Some(demo)) => demo.config_path().to_owned(),
            (None, None) => locate::library_cfg_path().path,
        };
        app.start_load(initial);
        if let Some(demo) = demo {
            app.load_public_key(demo.public_key_path().to_owned());
        }
        app.detect_module();
        app
    }

    /// The screen shown.
    pub fn screen(&self) -> Screen {
        self.screen
    }

    /// The path of the open configuration.
    pub fn open_path(&self) -> Option<&Path> {
        self.doc.as_ref().map(|doc| doc.file.path.as_path())
    }

    /// Whether the open configuration has unsaved changes.
    pub fn is_modified(&self) -> bool {
        self.doc.as_ref().is_some_and(|doc| doc.modified)
    }

    /// Whether another program changed the open file since it was loaded or saved.
    pub fn changed_on_disk(&self) -> bool {
        self.doc.as_ref().is_some_and(|doc| doc.changed_on_disk)
    }

    /// The window title, such as `fxconfig — /etc/fxpkcs11.cfg ●`.
    pub fn window_title(&self) -> String {
        match &self.doc {
            Some(doc) if doc.modified => {
                format!("{APP_NAME} — {} {}", doc.file.path.display(), theme::UNSAVED_MARK)
            }
            Some(doc) => format!("{APP_NAME} — {}", doc.file.path.display()),
            None => format!("{APP_NAME} — no file open"),
        }
    }

    /// Whether background work the UI waits for is running (reading, saving, a dialog,
    /// certificates, a key, the doctor, validation).
    pub fn is_busy(&self) -> bool {
        self.loading.is_some()
            || self.saving
            || self.dialog_open
            || self.certs.ca.is_loading()
            || self.certs.p12.is_loading()
            || self.certs.importing
            || (self.certs.chain.is_none() && self.certs.ca.value().is_some() && self.certs.p12.value().is_some())
            || self.key.key.is_loading()
            || self.doctor.running
            || self
                .doc
                .as_ref()
                .is_some_and(|doc| doc.validating || doc.findings_revision != Some(doc.revision))
    }

    /// Whether the connection doctor is running.
    pub fn doctor_running(&self) -> bool {
        self.doctor.running
    }

    /// The latest result of each check, in order.
    pub fn check_results(&self) -> &[CheckResult] {
        &self.doctor.results
    }

    /// The Markdown report of the last complete run.
    pub fn report_markdown(&self) -> Option<&str> {
        self.doctor.markdown.as_deref()
    }

    /// The message in the status bar.
    pub fn notice(&self) -> Option<&str> {
        self.notice.as_ref().map(|notice| notice.text.as_str())
    }

    /// The preferences as they stand.
    pub fn prefs(&self) -> &Prefs {
        &self.prefs
    }

    /// The module path used in the SSH commands.
    fn module_path(&self) -> String {
        self.prefs
            .module_path
            .clone()
            .filter(|path| !path.trim().is_empty())
            .or_else(|| self.detected_module.as_ref().map(|p| p.display().to_string()))
            .unwrap_or_else(|| GUIDE_MODULE_PATH.to_owned())
    }

    // ---- background work --------------------------------------------------------------

    fn spawn(&mut self, name: &str, work: impl FnOnce() -> TaskEvent + Send + 'static) {
        if let Err(error) = self.tasks.spawn(name, work) {
            self.error(format!("Could not start background work ({name}): {error}"));
        }
    }

    fn start_load(&mut self, path: PathBuf) {
        self.loading = Some(path.clone());
        self.missing = None;
        self.load_problem = None;
        self.spawn("load", move || {
            let result = tasks::load_config(&path);
            TaskEvent::ConfigLoaded { path, result }
        });
    }

    fn start_create(&mut self, path: PathBuf) {
        self.loading = Some(path.clone());
        self.missing = None;
        self.load_problem = None;
        self.spawn("create", move || {
            let file = CfgFile::new_unsaved(&path, CfgDocument::new());
            TaskEvent::ConfigLoaded {
                path,
                result: Ok(Box::new(tasks::describe(file))),
            }
        });
    }

    fn load_public_key(&mut self, path: PathBuf) {
        self.key.key = Slot::Loading(path.clone());
        let comment = self.key.comment.clone();
        self.spawn("pubkey", move || {
            let comment = (!comment.trim().is_empty()).then_some(comment);
            let result = sshkey::render_file(&path, comment.as_deref());
            TaskEvent::KeyRendered { path, result }
        });
    }

    fn load_ca(&mut self, path: PathBuf) {
        self.certs.ca = Slot::Loading(path.clone());
        self.certs.generation += 1;
        self.certs.chain = None;
        self.certs.import_result = None;
        self.spawn("ca", move || {
            let result = identity::load_ca(&path).map(Arc::new);
            TaskEvent::CaLoaded { path, result }
        });
    }

    fn load_p12(&mut self, path: PathBuf, password: Secret) {
        self.certs.p12 = Slot::Loading(path.clone());
        self.certs.generation += 1;
        self.certs.chain = None;
        self.certs.import_result = None;
        self.certs.p12_password = Some(password.clone());
        self.spawn("p12", move || {
            let result = identity::load_p12(&path, &password).map(Arc::new);
            TaskEvent::P12Loaded { path, result }
        });
    }

    fn check_chain(&mut self) {
        let (Some(ca), Some(p12)) = (self.certs.ca.value().cloned(), self.certs.p12.value().cloned()) else {
            return;
        };
        if self.certs.chain.is_some() {
            return;
        }
        let generation = self.certs.generation;
        self.spawn("chain", move || TaskEvent::ChainChecked {
            generation,
            result: identity::verify_client_chain(&p12, &ca, widgets::now_unix()),
        });
    }

    fn detect_module(&mut self) {
        self.spawn("module", || {
            let mut candidates = vec![PathBuf::from(GUIDE_MODULE_PATH)];
            if let Some(home) = directories::BaseDirs::new() {
                candidates.push(home.home_dir().join("bin/fxpkcs11/libfxpkcs11.so"));
            }
            TaskEvent::ModuleFound(candidates.into_iter().find(|path| path.is_file()))
        });
    }

    fn start_validation(&mut self) {
        let Some(doc) = &mut self.doc else {
            return;
        };
        if doc.validating || doc.findings_revision == Some(doc.revision) {
            return;
        }
        doc.validating = true;
        let revision = doc.revision;
        let snapshot = doc.file.doc.clone();
        let path = doc.file.path.clone();
        self.spawn("validate", move || TaskEvent::Validated {
            revision,
            findings: cfg::validate(&snapshot, Some(&path)),
        });
    }

    fn watch(&mut self) {
        let interval = self.options.watch_interval;
        if let Some(doc) = &mut self.doc {
            doc.watch_generation += 1;
            doc.changed_on_disk = false;
            // Replacing the watch ends the old one.
            let watch: Option<DiskWatch> = self.tasks.watch(&doc.file, doc.watch_generation, interval);
            doc.watch = watch;
        }
    }

    fn save_prefs(&mut self) {
        self.prefs_dirty = false;
        tasks::save_prefs(&self.tasks, &self.options.prefs, &self.prefs);
    }

    fn info(&mut self, text: impl Into<String>) {
        self.notice = Some(Notice {
            text: text.into(),
            is_error: false,
        });
    }

    fn error(&mut self, text: impl Into<String>) {
        self.notice = Some(Notice {
            text: text.into(),
            is_error: true,
        });
    }

    fn explain(&mut self, what: &str, error: &(dyn Explain + 'static)) {
        let problem = Problem::explained(error);
        self.error(format!("{what}: {} — {}", problem.message, problem.remedy));
    }

    // ---- events of finished work ---------------------------------------------------------

    fn handle(&mut self, ctx: &egui::Context, event: TaskEvent) {
        match event {
            TaskEvent::Dialog { purpose, path } => {
                self.dialog_open = false;
                if let Some(path) = path {
                    self.dialog_answered(ctx, purpose, path);
                }
            }
            TaskEvent::ConfigLoaded { path, result } => self.config_loaded(path, result),
            TaskEvent::Saved { result } => self.saved(ctx, result),
            TaskEvent::Validated { revision, findings } => {
                if let Some(doc) = &mut self.doc {
                    doc.validating = false;
                    if doc.revision == revision {
                        doc.findings = findings;
                        doc.findings_revision = Some(revision);
                    }
                }
            }
            TaskEvent::DiskChanged { generation } => {
                if let Some(doc) = &mut self.doc
                    && doc.watch_generation == generation
                {
                    doc.changed_on_disk = true;
                    doc.watch = None;
                }
            }
            TaskEvent::CaLoaded { path, result } => {
                if self.certs.ca.path() == Some(&path) {
                    self.certs.ca = match result {
                        Ok(bundle) => Slot::Loaded(path, bundle),
                        Err(error) => Slot::Failed(path, Problem::explained(&error)),
                    };
                    self.check_chain();
                }
            }
            TaskEvent::P12Loaded { path, result } => {
                if self.certs.p12.path() == Some(&path) {
                    self.certs.p12 = match result {
                        Ok(identity) => Slot::Loaded(path, identity),
                        Err(error) => {
                            self.certs.p12_password = None;
                            Slot::Failed(path, Problem::explained(&error))
                        }
                    };
                    self.check_chain();
                }
            }
            TaskEvent::ChainChecked { generation, result } => {
                if generation == self.certs.generation {
                    self.certs.chain = Some(result.map_err(|error| Problem::explained(&error)));
                }
            }
            TaskEvent::Imported { result } => {
                self.certs.importing = false;
                match result {
                    Ok(report) => {
                        let config = self.open_path().map(Path::to_owned);
                        self.certs.import_result = Some(Ok(format!(
                            "Copied {} and {}; PROD-TLS-CA, PROD-TLS-KEY, PROD-TLS-KEY-PASS and PROD-TLS-ENABLED are set.",
                            report.ca_path.display(),
                            report.p12_path.display()
                        )));
                        if let Some(config) = config
                            && !self.is_modified()
                        {
                            self.start_load(config);
                        }
                    }
                    Err(error) => self.certs.import_result = Some(Err(Problem::explained(&error))),
                }
            }
            TaskEvent::KeyRendered { path, result } => {
                if self.key.key.path() == Some(&path) {
                    self.key.key = match result {
                        Ok(report) => Slot::Loaded(path, report),
                        Err(error) => Slot::Failed(path, Problem::explained(&error)),
                    };
                }
            }
            TaskEvent::Written { kind, path, result } => {
                let what = match kind {
                    WrittenKind::Report => "the report",
                    WrittenKind::AuthorizedKeys => "the authorized_keys fragment",
                };
                match result {
                    Ok(()) => self.info(format!("Saved {what} to {}.", path.display())),
                    Err(error) => self.error(format!("Could not save {what} to {}: {error}", path.display())),
                }
            }
            TaskEvent::Check { run, result } => {
                if run == self.doctor.run {
                    self.doctor.record(result);
                }
            }
            TaskEvent::DoctorDone { run, report, markdown } => {
                if run == self.doctor.run {
                    self.doctor.running = false;
                    self.doctor.cancel = None;
                    self.doctor.stop_after = None;
                    if report.is_some() {
                        self.doctor.report = report;
                        self.doctor.markdown = markdown;
                    }
                }
            }
            TaskEvent::FaultSet { fault, result } => match result {
                Ok(()) => {
                    let name = fault.map_or("none", |f| f.name());
                    self.info(format!("Simulator fault: {name}. Run the connection test to see it."));
                }
                Err(error) => self.explain("Could not switch the fault", &error),
            },
            TaskEvent::Dropped { path, target } => self.route_dropped(path, target),
            TaskEvent::ModuleFound(path) => self.detected_module = path,
            TaskEvent::PrefsSaved(result) => {
                if let Err(error) = result {
                    self.error(format!("Could not save the preferences: {error}"));
                }
            }
        }
    }

    fn config_loaded(&mut self, path: PathBuf, result: Result<Box<tasks::LoadedConfig>, CfgError>) {
        if self.loading.as_deref() != Some(path.as_path()) {
            return;
        }
        self.loading = None;
        match result {
            Ok(loaded) => {
                self.doc = Some(OpenDocument::from_loaded(*loaded));
                self.views.config.reset();
                self.watch();
                self.start_validation();
                self.prefs.remember_file(&path);
                self.save_prefs();
            }
            Err(CfgError::Read { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => {
                if self.doc.is_some() {
                    self.error(format!("There is no file at {}.", path.display()));
                } else {
                    self.missing = Some(path);
                }
            }
            Err(error) => {
                if self.doc.is_some() {
                    self.explain(&format!("Could not open {}", path.display()), &error);
                } else {
                    self.load_problem = Some(Problem::explained(&error));
                }
            }
        }
    }

    fn saved(&mut self, ctx: &egui::Context, result: Result<(Box<tasks::LoadedConfig>, cfg::SaveReport), CfgError>) {
        self.saving = false;
        match result {
            Ok((loaded, report)) => {
                let path = loaded.file.path.clone();
                if let Some(doc) = &mut self.doc {
                    doc.baseline = Zeroizing::new(loaded.file.doc.to_bytes());
                    doc.file = loaded.file;
                    doc.library = loaded.library;
                    doc.is_library_file = loaded.is_library_file;
                    doc.library_exists = loaded.library_exists;
                    doc.mismatch = loaded.mismatch;
                    doc.touch();
                }
                self.watch();
                let backup = report
                    .backup
                    .map(|backup| format!(" (previous version in {})", backup.display()))
                    .unwrap_or_default();
                self.info(format!("Saved {}{backup}.", report.path.display()));
                self.prefs.remember_file(&path);
                self.save_prefs();
                if let Some(then) = self.after_save.take() {
                    self.perform(ctx, then);
                }
            }
            Err(error) => {
                self.after_save = None;
                if matches!(error, CfgError::ChangedOnDisk { .. })
                    && let Some(doc) = &mut self.doc
                {
                    doc.changed_on_disk = true;
                }
                self.explain("Not saved", &error);
            }
        }
    }

    fn dialog_answered(&mut self, ctx: &egui::Context, purpose: DialogPurpose, path: PathBuf) {
        if let Some(folder) = path.parent().map(Path::to_owned) {
            let folders = &mut self.prefs.last_folders;
            match &purpose {
                DialogPurpose::OpenConfig | DialogPurpose::SaveConfigAs => folders.config = Some(folder),
                DialogPurpose::OpenCa | DialogPurpose::OpenP12 | DialogPurpose::BrowseField(_) => {
                    folders.certificates = Some(folder);
                }
                DialogPurpose::OpenPublicKey | DialogPurpose::SaveAuthorizedKeys | DialogPurpose::BrowseModule => {
                    folders.ssh_key = Some(folder);
                }
                DialogPurpose::SaveReport => folders.report = Some(folder),
            }
            self.prefs_dirty = true;
        }
        match purpose {
            DialogPurpose::OpenConfig => self.start_load(path),
            DialogPurpose::SaveConfigAs => self.start_save(Some(path)),
            DialogPurpose::OpenCa => self.load_ca(path),
            DialogPurpose::OpenP12 => self.apply(ctx, Command::PromptP12(path)),
            DialogPurpose::OpenPublicKey => self.load_public_key(path),
            DialogPurpose::BrowseField(tag) => self.apply(
                ctx,
                Command::SetField {
                    section: None,
                    tag,
                    value: Zeroizing::new(path.display().to_string()),
                },
            ),
            DialogPurpose::BrowseModule => {
                let text = path.display().to_string();
                self.views.key.module.clone_from(&text);
                self.prefs.module_path = Some(text);
            }
            DialogPurpose::SaveReport => {
                if let Some(markdown) = self.doctor.markdown.clone() {
                    self.write_file(WrittenKind::Report, path, markdown);
                }
            }
            DialogPurpose::SaveAuthorizedKeys => {
                if let Some(report) = self.key.key.value() {
                    let options = self.views.key.options.trim();
                    let line = if options.is_empty() {
                        Ok(report.line.clone())
                    } else {
                        sshkey::with_options(&report.line, options)
                    };
                    match line {
                        Ok(line) => self.write_file(WrittenKind::AuthorizedKeys, path, format!("{line}\n")),
                        Err(error) => self.explain("Not saved", &error),
                    }
                }
            }
        }
    }

    fn write_file(&mut self, kind: WrittenKind, path: PathBuf, text: String) {
        self.spawn("write", move || {
            let result = std::fs::write(&path, text.as_bytes());
            TaskEvent::Written { kind, path, result }
        });
    }

    fn route_dropped(&mut self, path: PathBuf, target: DropTarget) {
        match target {
            DropTarget::Config => self.guarded(Pending::Open(path)),
            DropTarget::Ca => {
                self.screen = Screen::Certificates;
                self.load_ca(path);
            }
            DropTarget::Pkcs12 => {
                self.screen = Screen::Certificates;
                self.modal = Some(Modal::P12Password {
                    path,
                    password: Zeroizing::new(String::new()),
                });
            }
            DropTarget::PublicKey => {
                self.screen = Screen::SshKey;
                self.load_public_key(path);
            }
            DropTarget::Unknown => self.error(format!(
                "{} is not a configuration, certificate, PKCS#12 file or public key.",
                path.display()
            )),
        }
    }

    // ---- commands -----------------------------------------------------------------------

    /// Runs `pending` now, or first asks about the unsaved changes.
    fn guarded(&mut self, pending: Pending) {
        if self.is_modified() {
            self.modal = Some(Modal::Unsaved { then: pending });
        } else {
            self.perform_now(pending);
        }
    }

    fn perform(&mut self, ctx: &egui::Context, pending: Pending) {
        if pending == Pending::Close {
            self.allow_close = true;
            ctx.send_viewport_cmd(ViewportCommand::Close);
        } else {
            self.perform_now(pending);
        }
    }

    fn perform_now(&mut self, pending: Pending) {
        match pending {
            Pending::Open(path) => self.start_load(path),
            Pending::AskOpen => self.open_dialog(DialogPurpose::OpenConfig),
            Pending::Create(path) => self.start_create(path),
            Pending::Reload => {
                if let Some(path) = self.open_path().map(Path::to_owned) {
                    self.start_load(path);
                }
            }
            Pending::Close => self.allow_close = true,
        }
    }

    fn open_dialog(&mut self, purpose: DialogPurpose) {
        if self.dialog_open {
            return;
        }
        let folders = &self.prefs.last_folders;
        let open_folder = self.open_path().and_then(Path::parent).map(Path::to_owned);
        let folder = match &purpose {
            DialogPurpose::OpenConfig | DialogPurpose::SaveConfigAs => folders.config.clone().or(open_folder),
            DialogPurpose::OpenCa | DialogPurpose::OpenP12 | DialogPurpose::BrowseField(_) => {
                folders.certificates.clone().or(open_folder)
            }
            DialogPurpose::OpenPublicKey | DialogPurpose::SaveAuthorizedKeys | DialogPurpose::BrowseModule => {
                folders.ssh_key.clone()
            }
            DialogPurpose::SaveReport => folders.report.clone(),
        };
        let file_name = match &purpose {
            DialogPurpose::SaveConfigAs => Some("fxpkcs11.cfg".to_owned()),
            DialogPurpose::SaveReport => Some("fxconfig-report.md".to_owned()),
            DialogPurpose::SaveAuthorizedKeys => Some("kmes_ssh_client.pub".to_owned()),
            _ => None,
        };
        let request = DialogRequest {
            purpose: purpose.clone(),
            folder,
            file_name,
        };
        let dialogs = Arc::clone(&self.options.dialogs);
        self.dialog_open = true;
        self.spawn("dialog", move || {
            let path = if request.purpose.is_save() {
                dialogs.save_file(&request)
            } else {
                dialogs.open_file(&request)
            };
            TaskEvent::Dialog { purpose, path }
        });
    }

    fn request_save(&mut self, then: Option<Pending>) {
        let Some(doc) = &self.doc else {
            return;
        };
        let new = doc.file.doc.to_bytes();
        let lines = diff::diff_lines(&doc.baseline, &new);
        self.modal = Some(Modal::ReviewSave { lines, then });
    }

    /// Saves the document (over its file, or as `path`) on a worker.
    fn start_save(&mut self, path: Option<PathBuf>) {
        let Some(doc) = &self.doc else {
            return;
        };
        if self.saving {
            return;
        }
        self.saving = true;
        let mut file = doc.file.clone();
        self.spawn("save", move || {
            let result = match &path {
                Some(path) => file.save_as(path),
                None => file.save(),
            };
            TaskEvent::Saved {
                result: result.map(|report| (Box::new(tasks::describe(file)), report)),
            }
        });
    }

    fn run_doctor(&mut self, stop_after: Option<CheckId>) {
        let Some(path) = self.open_path().map(Path::to_owned) else {
            return;
        };
        if self.doctor.running {
            return;
        }
        self.doctor.run += 1;
        match stop_after {
            None => {
                self.doctor.results.clear();
                self.doctor.report = None;
                self.doctor.markdown = None;
            }
            Some(last) => {
                let end = CheckId::ALL
                    .iter()
                    .position(|&id| id == last)
                    .unwrap_or(CheckId::ALL.len() - 1);
                self.doctor.results.retain(|r| !CheckId::ALL[..=end].contains(&r.id));
            }
        }
        match self
            .tasks
            .run_doctor(self.doctor.run, path.clone(), self.options.doctor_timeout, stop_after)
        {
            Ok(cancel) => {
                self.doctor.running = true;
                self.doctor.cancel = Some(cancel);
                self.doctor.stop_after = stop_after;
                self.doctor.started = Some(Instant::now());
                self.doctor.cancelled = false;
                self.doctor.config = Some(path);
            }
            Err(error) => self.error(format!("Could not start the connection test: {error}")),
        }
    }

    fn apply(&mut self, ctx: &egui::Context, command: Command) {
        match command {
            Command::Navigate(screen) => self.screen = screen,
            Command::Dialog(purpose) => self.open_dialog(purpose),
            Command::Open(path) => self.guarded(Pending::Open(path)),
            Command::AskOpen => self.guarded(Pending::AskOpen),
            Command::Create(path) => self.guarded(Pending::Create(path)),
            Command::Reload => self.guarded(Pending::Reload),
            Command::RequestSave => {
                if self.doc.is_some() && !self.saving {
                    self.request_save(None);
                }
            }
            Command::ConfirmSave => {
                if let Some(Modal::ReviewSave { then, .. }) = self.modal.take() {
                    self.after_save = then;
                    let overwrite = self.changed_on_disk();
                    let path = overwrite.then(|| self.open_path().map(Path::to_owned)).flatten();
                    self.start_save(path);
                }
            }
            Command::AskSaveAs => {
                if self.doc.is_some() {
                    self.open_dialog(DialogPurpose::SaveConfigAs);
                }
            }
            Command::SetField { section, tag, value } => self.set_field(section.as_deref(), &tag, value.trim()),
            Command::ReplaceText(text) => {
                if let Some(doc) = &mut self.doc {
                    match CfgDocument::parse(text.as_bytes()) {
                        Ok(parsed) => {
                            doc.file.doc = parsed;
                            doc.touch();
                        }
                        Err(error) => self.explain("The text was not applied", &error),
                    }
                }
            }
            Command::KeepMine => {
                if self.doc.is_some() {
                    self.request_save(None);
                }
            }
            Command::LoadCa(path) => self.load_ca(path),
            Command::PromptP12(path) => {
                self.modal = Some(Modal::P12Password {
                    path,
                    password: Zeroizing::new(String::new()),
                });
            }
            Command::SubmitP12Password => {
                if let Some(Modal::P12Password { path, password }) = self.modal.take() {
                    self.load_p12(path, Secret::new(password.as_str()));
                }
            }
            Command::InspectConfigured => self.inspect_configured(),
            Command::ApplyToConfig => self.apply_to_config(),
            Command::RunDoctor { stop_after } => self.run_doctor(stop_after),
            Command::CancelDoctor => {
                if self.doctor.running {
                    self.doctor.cancel();
                    self.doctor.cancelled = true;
                    self.doctor.running = false;
                    self.doctor.cancel = None;
                    // Results still on their way from the cancelled run are ignored.
                    self.doctor.run += 1;
                }
            }
            Command::SetFault(fault) => {
                if let Some(demo) = self.options.demo.clone() {
                    self.spawn("fault", move || TaskEvent::FaultSet {
                        fault,
                        result: demo.set_fault(fault),
                    });
                }
            }
            Command::LoadPublicKey(path) => self.load_public_key(path),
            Command::SetKeyComment(comment) => {
                if comment != self.key.comment {
                    self.key.comment = comment;
                    if let Some(path) = self.key.key.path().cloned() {
                        self.load_public_key(path);
                    }
                }
            }
            Command::Copy(text) => {
                ctx.copy_text(text);
                self.info("Copied to the clipboard.");
            }
            Command::SetTheme(choice) => {
                self.prefs.theme = choice;
                ctx.set_theme(choice.preference());
                self.save_prefs();
            }
            Command::SetModulePath(path) => {
                self.prefs.module_path = Some(path);
                self.prefs_dirty = true;
            }
            Command::SetSshDestination(destination) => {
                self.prefs.ssh_destination = Some(destination);
                self.prefs_dirty = true;
            }
            Command::CloseModal => self.modal = None,
            Command::DiscardAndContinue => {
                if let Some(Modal::Unsaved { then }) = self.modal.take() {
                    self.perform(ctx, then);
                }
            }
            Command::SaveAndContinue => {
                if let Some(Modal::Unsaved { then }) = self.modal.take() {
                    self.request_save(Some(then));
                }
            }
            Command::Quit => {
                if self.is_modified() {
                    self.modal = Some(Modal::Unsaved { then: Pending::Close });
                } else {
                    self.perform(ctx, Pending::Close);
                }
            }
            Command::DismissNotice => self.notice = None,
        }
    }

    fn set_field(&mut self, section: Option<&str>, tag: &str, value: &str) {
        let Some(doc) = &mut self.doc else {
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

    fn inspect_configured(&mut self) {
        let Some(doc) = &self.doc else {
            return;
        };
        let settings = doc.file.doc.settings();
        let cfg_path = doc.file.path.clone();
        if let Some(ca) = &settings.tls_ca {
            self.load_ca(cfg::resolve_path(&cfg_path, ca));
        }
        if let Some(key) = &settings.tls_key {
            let path = cfg::resolve_path(&cfg_path, key);
            match settings.tls_key_pass.clone() {
                Some(password) => self.load_p12(path, password),
                None => {
                    self.modal = Some(Modal::P12Password {
                        path,
                        password: Zeroizing::new(String::new()),
                    });
                }
            }
        }
    }

    fn apply_to_config(&mut self) {
        let (Some(config), Some(ca), Some(p12), Some(password)) = (
            self.open_path().map(Path::to_owned),
            self.certs.ca.path().cloned(),
            self.certs.p12.path().cloned(),
            self.certs.p12_password.clone(),
        ) else {
            return;
        };
        if self.is_modified() || self.certs.importing {
            return;
        }
        self.certs.importing = true;
        self.certs.import_result = None;
        self.spawn("import", move || {
            let request = ImportRequest {
                config: &config,
                ca: &ca,
                p12: &p12,
                password: &password,
                dest: None,
            };
            TaskEvent::Imported {
                result: import::import_tls_materials(&request).map(Box::new),
            }
        });
    }

    // ---- input --------------------------------------------------------------------------

    fn shortcuts(&mut self, ctx: &egui::Context, out: &mut Vec<Command>) {
        if self.modal.is_some() {
            return;
        }
        let pressed = |modifiers: Modifiers, key: Key| {
            ctx.input_mut(|input| input.consume_shortcut(&KeyboardShortcut::new(modifiers, key)))
        };
        if pressed(Modifiers::COMMAND | Modifiers::SHIFT, Key::S) {
            out.push(Command::AskSaveAs);
        }
        if pressed(Modifiers::COMMAND, Key::S) {
            out.push(Command::RequestSave);
        }
        if pressed(Modifiers::COMMAND, Key::O) {
            out.push(Command::AskOpen);
        }
        if pressed(Modifiers::COMMAND, Key::R) {
            out.push(Command::Reload);
        }
        if pressed(Modifiers::COMMAND, Key::Q) {
            out.push(Command::Quit);
        }
        for screen in Screen::ALL {
            if pressed(Modifiers::COMMAND, screen.key()) {
                out.push(Command::Navigate(screen));
            }
        }
        let nothing_focused = ctx.memory(|memory| memory.focused().is_none());
        if nothing_focused && ctx.input(|input| input.key_pressed(Key::Enter)) {
            match self.screen {
                Screen::ConnectionTest => out.push(Command::RunDoctor { stop_after: None }),
                Screen::Troubleshooting => {
                    if let Some(command) = screens::troubleshooting::enter_action(&self.views.wizard) {
                        out.push(command);
                    }
                }
                _ => {}
            }
        }
    }

    fn close_requested(&mut self, ctx: &egui::Context) {
        if ctx.input(|input| input.viewport().close_requested()) && !self.allow_close && self.is_modified() {
            ctx.send_viewport_cmd(ViewportCommand::CancelClose);
            if self.modal.is_none() {
                self.modal = Some(Modal::Unsaved { then: Pending::Close });
            }
        }
    }

    fn dropped_files(&mut self, ctx: &egui::Context) {
        let dropped: Vec<PathBuf> = ctx.input(|input| {
            input
                .raw
                .dropped_files
                .iter()
                .map(|file| file.path().to_owned())
                .collect()
        });
        for path in dropped {
            self.spawn("drop", move || {
                let target = drop::classify(&path);
                TaskEvent::Dropped { path, target }
            });
        }
    }

    // ---- drawing ------------------------------------------------------------------------

    fn top_bar(&self, ui: &mut Ui, out: &mut Vec<Command>) {
        egui::Panel::top("top-bar").show(ui, |ui| {
            ui.add_space(4.0);
            ui.horizontal(|ui| {
                ui.label(RichText::new(APP_NAME).strong().size(18.0));
                ui.separator();
                let has_doc = self.doc.is_some();
                let idle = !self.dialog_open && !self.saving;
                let buttons = [
                    ("Open…", "Ctrl+O", true, Command::AskOpen),
                    ("Save", "Ctrl+S", has_doc, Command::RequestSave),
                    ("Save as…", "Ctrl+Shift+S", has_doc, Command::AskSaveAs),
                    ("Reload", "Ctrl+R", has_doc, Command::Reload),
                ];
                for (text, shortcut, enabled, command) in buttons {
                    if ui
                        .add_enabled(enabled && idle, egui::Button::new(text))
                        .on_hover_text(shortcut)
                        .clicked()
                    {
                        out.push(command);
                    }
                }
                ui.separator();
                match &self.doc {
                    Some(doc) => {
                        ui.label(RichText::new(doc.file.path.display().to_string()).monospace())
                            .on_hover_text("The open configuration");
                        if doc.modified {
                            ui.label(
                                RichText::new(format!("{} Unsaved changes", theme::UNSAVED_MARK))
                                    .monospace()
                                    .color(ui.visuals().warn_fg_color),
                            );
                        } else {
                            ui.weak("Saved");
                        }
                    }
                    None => {
                        ui.weak("No file open");
                    }
                }
                ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                    let mut choice = self.prefs.theme;
                    egui::ComboBox::from_label("Theme")
                        .selected_text(choice.label())
                        .show_ui(ui, |ui| {
                            for option in ThemeChoice::ALL {
                                ui.selectable_value(&mut choice, option, option.label());
                            }
                        });
                    if choice != self.prefs.theme {
                        out.push(Command::SetTheme(choice));
                    }
                });
            });
            ui.add_space(2.0);
        });
    }

    fn navigation(&self, ui: &mut Ui, out: &mut Vec<Command>) {
        egui::Panel::left("navigation")
            .resizable(false)
            .exact_size(230.0)
            .show(ui, |ui| {
                ui.add_space(6.0);
                for (index, screen) in Screen::ALL.into_iter().enumerate() {
                    let response = ui
                        .selectable_label(self.screen == screen, screen.title())
                        .on_hover_text(format!("{} (Ctrl+{})", screen.summary(), index + 1));
                    if response.clicked() {
                        out.push(Command::Navigate(screen));
                    }
                }
                if let Some(demo) = &self.options.demo {
                    ui.add_space(12.0);
                    ui.separator();
                    ui.label(RichText::new("Demo").strong());
                    ui.label(format!("KMES simulator on {}", demo.sim_addr()));
                    ui.add(
                        egui::Label::new(
                            RichText::new(format!("PKCS#12 password: {}", crate::demo::DEMO_P12_PASSWORD)).small(),
                        )
                        .wrap(),
                    );
                    screens::connection::fault_switch(ui, demo.fault(), out);
                }
            });
    }

    fn status_bar(&self, ui: &mut Ui, out: &mut Vec<Command>) {
        egui::Panel::bottom("status-bar").show(ui, |ui| {
            ui.horizontal(|ui| {
                if self.is_busy() {
                    ui.spinner();
                }
                match &self.notice {
                    Some(notice) => {
                        let color = if notice.is_error {
                            ui.visuals().error_fg_color
                        } else {
                            ui.visuals().text_color()
                        };
                        ui.add(egui::Label::new(RichText::new(&notice.text).color(color)).truncate())
                            .on_hover_text(&notice.text);
                        if ui.small_button("Dismiss").clicked() {
                            out.push(Command::DismissNotice);
                        }
                    }
                    None => {
                        ui.weak("Ready");
                    }
                }
            });
        });
    }

    fn central(&mut self, ui: &mut Ui, out: &mut Vec<Command>) {
        let module_path = self.module_path();
        let library_path = locate::library_cfg_path().path;
        let cx = screens::ScreenContext {
            doc: self.doc.as_ref(),
            loading: self.loading.as_deref(),
            missing: self.missing.as_deref(),
            load_problem: self.load_problem.as_ref(),
            library_path: &library_path,
            saving: self.saving,
            certs: &self.certs,
            doctor: &self.doctor,
            key: &self.key,
            demo: self.options.demo.as_deref(),
            prefs: &self.prefs,
            module_path: &module_path,
            dialog_open: self.dialog_open,
        };
        let views = &mut self.views;
        let screen = self.screen;
        egui::CentralPanel::default().show(ui, |ui| {
            egui::ScrollArea::vertical()
                .id_salt(("screen", screen.title()))
                .auto_shrink([false, false])
                .show(ui, |ui| match screen {
                    Screen::Configuration => screens::configuration::show(ui, &cx, &mut views.config, out),
                    Screen::Certificates => screens::certificates::show(ui, &cx, out),
                    Screen::ConnectionTest => screens::connection::show(ui, &cx, out),
                    Screen::SshKey => screens::ssh_key::show(ui, &cx, &mut views.key, out),
                    Screen::Troubleshooting => screens::troubleshooting::show(ui, &cx, &mut views.wizard, out),
                });
        });
    }

    fn modal(&mut self, ctx: &egui::Context, out: &mut Vec<Command>) {
        let path = self.open_path().map(|p| p.display().to_string()).unwrap_or_default();
        let Some(modal) = &mut self.modal else {
            return;
        };
        let escape = ctx.input(|input| input.key_pressed(Key::Escape));
        match modal {
            Modal::Unsaved { then } => {
                let action = match then {
                    Pending::Close => "closing",
                    Pending::Reload => "reloading",
                    _ => "opening another file",
                };
                egui::Modal::new(egui::Id::unique("unsaved")).show(ctx, |ui| {
                    ui.set_max_width(460.0);
                    ui.heading("Unsaved changes");
                    ui.label(format!(
                        "{path} has changes that are not saved. Save them before {action}?"
                    ));
                    ui.add_space(8.0);
                    ui.horizontal(|ui| {
                        if ui.button("Save changes…").clicked() {
                            out.push(Command::SaveAndContinue);
                        }
                        if ui.button("Discard changes").clicked() {
                            out.push(Command::DiscardAndContinue);
                        }
                        if ui.button("Cancel").clicked() || escape {
                            out.push(Command::CloseModal);
                        }
                    });
                });
            }
            Modal::ReviewSave { lines, .. } => {
                let enter = ctx.input(|input| input.key_pressed(Key::Enter));
                egui::Modal::new(egui::Id::unique("review-save")).show(ctx, |ui| {
                    ui.set_max_width(760.0);
                    ui.heading("Review the changes");
                    ui.label(format!("Saving {path} (passwords masked):"));
                    let shown = diff::with_context(lines, 3);
                    egui::ScrollArea::vertical().max_height(360.0).show(ui, |ui| {
                        if shown.is_empty() {
                            ui.label("No changes: the file will be written as it is.");
                        }
                        for line in shown {
                            match line {
                                None => {
                                    ui.weak(RichText::new("⋯").monospace());
                                }
                                Some(line) => {
                                    let (color, sign) = theme::diff_style(ui.visuals(), line.change);
                                    let number = line.new_line.or(line.old_line).unwrap_or(0);
                                    ui.label(
                                        RichText::new(format!("{sign} {number:>4}  {}", line.text))
                                            .monospace()
                                            .color(color),
                                    );
                                }
                            }
                        }
                    });
                    ui.add_space(8.0);
                    ui.horizontal(|ui| {
                        if ui.button("Save changes").clicked() || enter {
                            out.push(Command::ConfirmSave);
                        }
                        if ui.button("Cancel").clicked() || escape {
                            out.push(Command::CloseModal);
                        }
                    });
                });
            }
            Modal::P12Password { path: p12, password } => {
                let file = p12.display().to_string();
                egui::Modal::new(egui::Id::unique("p12-password")).show(ctx, |ui| {
                    ui.set_max_width(460.0);
                    ui.heading("PKCS#12 password");
                    ui.label(format!("The password that protects {file} [3.1.7]."));
                    let id = egui::Id::unique("p12-password-input");
                    let response = widgets::text_input(ui, "Password of the PKCS#12 file", "", password, id, true);
                    if !response.has_focus() && !response.lost_focus() && ui.memory(|m| m.focused().is_none()) {
                        response.request_focus();
                    }
                    let submitted = response.lost_focus() && ui.input(|input| input.key_pressed(Key::Enter));
                    ui.add_space(8.0);
                    ui.horizontal(|ui| {
                        if ui.button("Open").clicked() || submitted {
                            out.push(Command::SubmitP12Password);
                        }
                        if ui.button("Cancel").clicked() || escape {
                            out.push(Command::CloseModal);
                        }
                    });
                });
            }
        }
    }

    fn drop_overlay(ctx: &egui::Context) {
        let hovering = ctx.input(|input| !input.raw.hovered_files.is_empty());
        if !hovering {
            return;
        }
        let painter = ctx.layer_painter(egui::LayerId::new(egui::Order::Foreground, egui::Id::unique("drop")));
        let rect = ctx.content_rect();
        painter.rect_filled(rect, 0.0, egui::Color32::from_black_alpha(150));
        painter.text(
            rect.center(),
            egui::Align2::CENTER_CENTER,
            "Drop a configuration, certificate, PKCS#12 file or public key",
            egui::FontId::proportional(20.0),
            egui::Color32::WHITE,
        );
    }

    fn after_frame(&mut self, ctx: &egui::Context) {
        self.start_validation();
        let title = self.window_title();
        if title != self.title {
            ctx.send_viewport_cmd(ViewportCommand::Title(title.clone()));
            self.title = title;
        }
        if let Some(rect) = ctx.input(|input| input.viewport().inner_rect) {
            let size = [rect.width().round(), rect.height().round()];
            if self.window_size != Some(size) {
                self.window_size = Some(size);
                if self.frames > 0 {
                    self.prefs.window_size = Some(size);
                    self.prefs_dirty = true;
                }
            }
        }
    }

    fn record_frame(&mut self, ctx: &egui::Context, frame: &eframe::Frame, started: Instant) {
        let Some(probe) = &self.options.probe else {
            return;
        };
        let interval = self
            .last_frame_start
            .map(|last| started.duration_since(last).as_secs_f32());
        self.last_frame_start = Some(started);
        let cpu = frame.info().cpu_usage;
        let first = self.frames == 0;
        probe.with(|record| {
            if first {
                record.first_frame = Some(probe.started.elapsed());
            }
            if let Some(cpu) = cpu {
                record.frame_cpu.push(cpu);
            }
            if let Some(interval) = interval {
                record.frame_intervals.push(interval);
            }
        });
        if first && probe.exit_after_first_frame {
            self.allow_close = true;
            ctx.send_viewport_cmd(ViewportCommand::Close);
        }
    }
}

impl eframe::App for FxApp {
    fn ui(&mut self, ui: &mut Ui, frame: &mut eframe::Frame) {
        let started = Instant::now();
        let ctx = ui.ctx().clone();
        if self.frames == 0 {
            // The saved theme wins over whatever was set while the window was being made.
            ctx.set_theme(self.prefs.theme.preference());
        }
        for event in self.tasks.drain() {
            self.handle(&ctx, event);
        }
        let mut commands = Vec::new();
        self.shortcuts(&ctx, &mut commands);
        self.close_requested(&ctx);
        self.dropped_files(&ctx);
        self.top_bar(ui, &mut commands);
        self.navigation(ui, &mut commands);
        self.status_bar(ui, &mut commands);
        self.central(ui, &mut commands);
        self.modal(&ctx, &mut commands);
        Self::drop_overlay(&ctx);
        for command in commands {
            self.apply(&ctx, command);
        }
        self.after_frame(&ctx);
        self.record_frame(&ctx, frame, started);
        self.frames += 1;
    }

    fn persist_egui_memory(&self) -> bool {
        false
    }

    fn on_exit(&mut self, _gl: Option<&eframe::glow::Context>) {
        if self.prefs_dirty {
            self.prefs_dirty = false;
            // The app is closing: a failure to write only loses the preferences.
            let _ = self.options.prefs.save(&self.prefs);
        }
    }
}

/// The default fonts, with the monospace font (Hack) as a fallback of the proportional
/// one, for the arrows and bullets the library's messages use.
fn install_fonts(ctx: &egui::Context) {
    let mut fonts = egui::FontDefinitions::default();
    if fonts.font_data.contains_key("Hack")
        && let Some(family) = fonts.families.get_mut(&egui::FontFamily::Proportional)
        && !family.iter().any(|name| name == "Hack")
    {
        family.push("Hack".to_owned());
    }
    ctx.set_fonts(fonts);
}

/// Why no window could be opened.
#[derive(Debug, thiserror::Error)]
#[error("no window could be opened (wgpu: {wgpu}; OpenGL: {glow})")]
#[non_exhaustive]
pub struct LaunchError {
    /// Why the wgpu renderer failed.
    pub wgpu: String,
    /// Why the OpenGL (glow) renderer failed.
    pub glow: String,
}

impl Explain for LaunchError {
    fn remedy(&self) -> String {
        "Start the app in a graphical session (on Linux, DISPLAY or WAYLAND_DISPLAY must be set). Without a \
         graphics card, install software rendering: on Debian or Ubuntu, mesa-vulkan-drivers (lavapipe) and \
         libgl1-mesa-dri (llvmpipe); on Windows over RDP, the Microsoft Basic Render Driver provides it. Every \
         task of the app is also available on the command line: fxconfig --help."
            .to_owned()
    }

    fn guide_section(&self) -> Option<&'static str> {
        None
    }
}

fn native_options(options: &AppOptions, renderer: eframe::Renderer) -> eframe::NativeOptions {
    let prefs = options.prefs.load();
    let size = prefs.window_size.unwrap_or(DEFAULT_WINDOW_SIZE);
    let mut viewport = egui::ViewportBuilder::default()
        .with_title(APP_NAME)
        .with_app_id(APP_NAME)
        .with_inner_size(size)
        .with_min_inner_size([760.0, 520.0]);
    if let Ok(icon) = eframe::icon_data::from_png_bytes(ICON_PNG) {
        viewport = viewport.with_icon(icon);
    }
    eframe::NativeOptions {
        viewport,
        renderer,
        persist_window: false,
        persistence_path: options.prefs.dir().map(|dir| dir.join("eframe.ron")),
        ..Default::default()
    }
}

/// Opens the window and runs the app until it is closed: wgpu first, then OpenGL.
///
/// # Errors
/// [`LaunchError`] when neither renderer can open a window.
pub fn run(options: AppOptions) -> Result<(), LaunchError> {
    let attempt = |renderer| {
        let app_options = options.clone();
        eframe::run_native(
            APP_NAME,
            native_options(&options, renderer),
            Box::new(move |cc| Ok(Box::new(FxApp::new(&cc.egui_ctx, app_options)))),
        )
    };
    let wgpu = match attempt(eframe::Renderer::Wgpu) {
        Ok(()) => return Ok(()),
        Err(error) => error.to_string(),
    };
    attempt(eframe::Renderer::Glow).map_err(|error| LaunchError {
        wgpu,
        glow: error.to_string(),
    })
}
