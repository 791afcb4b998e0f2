//! The desktop app: an egui front end over the library, for the administrator who follows
//! the integration guide and for the support engineer looking at the same screen.
//!
//! # Structure
//!
//! * [`FxApp`] routes: it holds the persisted preferences ([`prefs`]), the window's state,
//!   and one state per feature ([`features`]: the open configuration, the certificates, the
//!   doctor's run, the PKCS#11 module, the public key, the installation).
//! * Each frame: the events of finished background work are applied ([`tasks`], each routed
//!   to its feature's `handle_*`), the keyboard shortcuts and dropped files are read, the
//!   panels, the current screen ([`screens`]) and the open dialog are drawn — widget code
//!   only pushes [`command::Command`]s — and the commands are applied (each routed to its
//!   feature's `apply_*`). The state changes only there.
//! * What a screen or a report says about a doctor run is true of one run
//!   ([`crate::doctor::record::RunRecord`]), and marked out of date once its inputs change.
//! * Anything that can block runs on a worker and wakes the UI when done; file dialogs go
//!   through the [`dialogs::FileDialogs`] trait, on a worker too. While nothing happens,
//!   no frame is drawn; while something is awaited, at most four a second.
//! * Every file input is an editable path field with Browse… beside it; when no file dialog
//!   can open here, a notice says so once and the field (or a prompt) takes the keyboard.
//! * Results come verdict first ([`screens::connection::verdict_banner`]); every status is
//!   told by a symbol and a word besides its colour ([`theme`]), in colours that reach 4.5:1.
//! * The keyboard reaches everything: each screen focuses its first control on entry (F6
//!   goes back to it), result rows and remedies are keyboard stops, Page Up/Page Down/Home/End
//!   scroll, Escape cancels or closes, Enter acts. The layout holds from 760×520 up.
//! * [`run`] opens the window with wgpu (which finds Vulkan, lavapipe, DX12, WARP or GL)
//!   and falls back to OpenGL (glow) when that fails; if neither opens a window it returns
//!   a [`LaunchError`] saying why.

mod apply;
mod chrome;
mod command;
pub mod dialogs;
pub mod drop;
mod events;
pub mod features;
mod launch;
mod modals;
mod model;
pub mod prefs;
pub mod screens;
pub mod tasks;
pub mod theme;
pub mod widgets;

pub use crate::cfg::diff;

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use egui::Ui;

use crate::remedy::Explain;
use crate::secret::Secret;

pub use launch::{AppOptions, BenchProbe, BenchRecord, FrameSample, LaunchError, run};

use crate::app::features::certificates::CertState;
use crate::app::features::document::DocumentState;
use crate::app::features::install::InstallState;
use crate::app::features::key::KeyState;
use crate::app::features::module::ModuleState;
use crate::app::features::ssh_client::SshClientState;
use features::doctor::DoctorState;
use modals::Modal;
use model::Problem;
use prefs::Prefs;
use screens::{Screen, Views};
use tasks::{TaskEvent, Tasks};
use widgets::FocusTarget;

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
pub const ICON_PNG: &[u8] = include_bytes!("../../assets/fxconfig.png");

/// A message in the status bar.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Notice {
    text: String,
    is_error: bool,
}

/// What the app keeps of its window from frame to frame.
#[derive(Default)]
struct WindowState {
    /// The title last given to the window.
    title: String,
    /// The window's inner size last seen, in points.
    size: Option<[f32; 2]>,
    /// How many frames have been drawn.
    frames: u64,
    /// When the last frame began.
    last_frame_start: Option<Instant>,
    /// The renderer's name, once known.
    renderer: Option<String>,
    /// A close request goes through without the unsaved-changes question.
    allow_close: bool,
}

/// The native file dialog: whether one is open, and whether it was found not to work here.
#[derive(Default)]
struct FileDialogState {
    /// A dialog is open, on a thread of its own.
    open: bool,
    /// Why the native dialog cannot open here, once it has failed.
    failure: Option<String>,
    /// The notice about that failure was dismissed.
    notice_dismissed: bool,
}

/// The app.
pub struct FxApp {
    options: AppOptions,
    settings: Settings,
    tasks: Tasks,
    ui: UiState,
    document: DocumentState,
    certs: CertState,
    doctor: DoctorState,
    key: KeyState,
    module: ModuleState,
    ssh_client: SshClientState,
    install: InstallState,
}

/// The preferences, whether they changed since last saved, and which recent files are gone.
#[derive(Default)]
struct Settings {
    prefs: Prefs,
    dirty: bool,
    recent_missing: HashSet<PathBuf>,
}

/// What the window shows apart from the features' state: the screen, the widgets' state,
/// the modal dialog, the status line, the keyboard focus, the file dialog and the window.
#[derive(Default)]
struct UiState {
    screen: Screen,
    views: Views,
    modal: Option<Modal>,
    notice: Option<Notice>,
    focus: Option<FocusTarget>,
    last_focus: Option<egui::Id>,
    file_dialog: FileDialogState,
    window: WindowState,
    /// Files being written (the report, an authorized_keys fragment, a new configuration).
    writes: usize,
}

impl FxApp {
    /// The app on `ctx`, starting to read its configuration (and, in the demo, its key).
    pub fn new(ctx: &egui::Context, options: AppOptions) -> FxApp {
        let prefs = options.prefs.load();
        ctx.set_theme(prefs.theme.preference());
        theme::install(ctx);
        let tasks = Tasks::new(ctx.clone());
        let mut app = FxApp {
            settings: Settings {
                prefs,
                ..Settings::default()
            },
            tasks,
            ui: UiState {
                focus: Some(FocusTarget::Entry),
                ..UiState::default()
            },
            document: DocumentState::default(),
            certs: CertState::default(),
            doctor: DoctorState::default(),
            key: KeyState::default(),
            module: ModuleState::default(),
            ssh_client: SshClientState::default(),
            install: InstallState::default(),
            options,
        };
        let demo = app.options.demo.clone();
        let initial = match (&app.options.config, &demo) {
            (Some(path), _) => path.clone(),
            (None, Some(demo)) => demo.config_path().to_owned(),
            (None, None) => app.options.library().path,
        };
        app.start_load(initial);
        if let Some(demo) = demo {
            // The demo shows every screen working: its key and certificates are opened too.
            app.load_public_key(demo.public_key_path().to_owned());
            app.load_ca(demo.files().ca_cert.clone());
            app.load_p12(
                demo.files().client_p12.clone(),
                Secret::new(crate::demo::DEMO_P12_PASSWORD),
            );
        }
        app.detect_module();
        app.check_recent_files();
        app.locate();
        app.plan_library();
        app
    }

    /// What the last search found of the installation.
    pub fn installation(&self) -> Option<&crate::install::Installation> {
        self.install.found.as_ref()
    }

    /// The commands shown for a configuration written elsewhere: (install, FXPKCS11_CFG).
    pub fn install_commands(&self) -> Option<(&str, &str)> {
        self.install
            .hint
            .as_ref()
            .map(|hint| (hint.install.as_str(), hint.env.as_str()))
    }

    /// The screen shown.
    pub fn screen(&self) -> Screen {
        self.ui.screen
    }

    /// The path of the open configuration.
    pub fn open_path(&self) -> Option<&Path> {
        self.document.open.as_ref().map(|doc| doc.file.path.as_path())
    }

    /// Whether the open configuration has unsaved changes.
    pub fn is_modified(&self) -> bool {
        self.document.open.as_ref().is_some_and(|doc| doc.modified)
    }

    /// Whether another program changed the open file since it was loaded or saved.
    pub fn changed_on_disk(&self) -> bool {
        self.document.open.as_ref().is_some_and(|doc| doc.changed_on_disk)
    }

    /// The window title, such as `fxconfig — /etc/fxpkcs11.cfg ●`.
    pub fn window_title(&self) -> String {
        match &self.document.open {
            Some(doc) if doc.modified => {
                format!("{APP_NAME} — {} {}", doc.file.path.display(), theme::UNSAVED_MARK)
            }
            Some(doc) => format!("{APP_NAME} — {}", doc.file.path.display()),
            None => format!("{APP_NAME} — no file open"),
        }
    }

    /// Whether background work the UI waits for is running (reading, saving, writing, a
    /// dialog, certificates, a key, the doctor, validation).
    pub fn is_busy(&self) -> bool {
        self.document.loading.is_some()
            || self.document.saving
            || self.ui.file_dialog.open
            || self.ui.writes > 0
            || self.certs.ca.is_loading()
            || self.certs.p12.is_loading()
            || self.certs.importing
            || (self.certs.chain.is_none() && self.certs.ca.value().is_some() && self.certs.p12.value().is_some())
            || self.key.key.is_loading()
            || self.doctor.running()
            || self.module.running
            || self.module.ssh_running
            || self.ssh_client.running()
            || self
                .document
                .open
                .as_ref()
                .is_some_and(|doc| doc.validating || doc.findings_revision != Some(doc.revision))
    }

    /// Why file dialogs cannot open here, once one failed.
    pub fn dialog_failure(&self) -> Option<&str> {
        self.ui.file_dialog.failure.as_deref()
    }

    /// Whether the left navigation is shown.
    pub fn navigation_shown(&self) -> bool {
        !self.settings.prefs.navigation_hidden
    }

    /// Whether a modal dialog is open.
    pub fn modal_open(&self) -> bool {
        self.ui.modal.is_some()
    }

    /// The message in the status bar.
    pub fn notice(&self) -> Option<&str> {
        self.ui.notice.as_ref().map(|notice| notice.text.as_str())
    }

    /// Records which renderer draws the window (shown in the About window, for support).
    pub fn set_renderer(&mut self, renderer: String) {
        if let Some(probe) = &self.options.probe {
            probe.with(|record| record.renderer.clone_from(&renderer));
        }
        self.ui.window.renderer = Some(renderer);
    }

    /// The renderer that draws the window, when known.
    pub fn renderer(&self) -> Option<&str> {
        self.ui.window.renderer.as_deref()
    }

    /// The preferences as they stand.
    pub fn prefs(&self) -> &Prefs {
        &self.settings.prefs
    }

    // ---- background work --------------------------------------------------------------

    fn spawn<E: Into<TaskEvent>>(&mut self, name: &str, work: impl FnOnce() -> E + Send + 'static) {
        if let Err(error) = self.tasks.spawn(name, work) {
            self.error(format!("Could not start background work ({name}): {error}"));
        }
    }

    fn save_prefs(&mut self) {
        self.settings.dirty = false;
        tasks::save_prefs(&self.tasks, &self.options.prefs, &self.settings.prefs);
    }

    fn info(&mut self, text: impl Into<String>) {
        self.ui.notice = Some(Notice {
            text: text.into(),
            is_error: false,
        });
    }

    fn error(&mut self, text: impl Into<String>) {
        self.ui.notice = Some(Notice {
            text: text.into(),
            is_error: true,
        });
    }

    fn explain(&mut self, what: &str, error: &(dyn Explain + 'static)) {
        let problem = Problem::explained(error);
        self.error(format!("{what}: {} — {}", problem.message, problem.remedy));
    }
}

impl eframe::App for FxApp {
    fn ui(&mut self, ui: &mut Ui, frame: &mut eframe::Frame) {
        let started = Instant::now();
        let ctx = ui.ctx().clone();
        if self.ui.window.frames == 0 {
            // The saved theme wins over whatever was set while the window was being made.
            ctx.set_theme(self.settings.prefs.theme.preference());
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
        self.ui.window.frames += 1;
    }

    fn persist_egui_memory(&self) -> bool {
        false
    }

    fn on_exit(&mut self, _gl: Option<&eframe::glow::Context>) {
        if self.settings.dirty {
            self.settings.dirty = false;
            // The app is closing: a failure to write only loses the preferences.
            let _ = self.options.prefs.save(&self.settings.prefs);
        }
    }
}
