//! Opening the window: the options, the renderer fallback (wgpu, then OpenGL) and the
//! benchmark probes.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use crate::cfg::{LibraryCfg, locate};
use crate::demo::Demo;
use crate::doctor;
use crate::install::SearchFolder;
use crate::remedy::Explain;

use super::dialogs::{FileDialogs, NativeDialogs};
use super::prefs::PrefsStore;
use super::{APP_NAME, DEFAULT_WATCH_INTERVAL, DEFAULT_WINDOW_SIZE, FxApp, ICON_PNG};

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
    /// The program that loads PKCS#11 modules in a child process; `None` finds the
    /// running `fxconfig` ([`crate::pkcs11::Helper::locate`]).
    pub pkcs11_helper: Option<crate::pkcs11::Helper>,
    /// The file the PKCS#11 library reads; `None` works it out from `FXPKCS11_CFG` and the
    /// platform's default ([`crate::cfg::locate::library_cfg_path`]). Tests give another.
    pub library: Option<LibraryCfg>,
    /// The folders searched for the fxpkcs11 installation; `None` searches the guide's
    /// ([`crate::install::guide_folders`]). Tests give a fake tarball's.
    pub install_folders: Option<Vec<SearchFolder>>,
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
            pkcs11_helper: None,
            library: None,
            install_folders: None,
        }
    }

    /// The file the PKCS#11 library reads.
    pub fn library(&self) -> LibraryCfg {
        self.library.clone().unwrap_or_else(locate::library_cfg_path)
    }
}

/// What the benchmarks read after the window closes.
#[derive(Clone, Debug, Default)]
pub struct BenchRecord {
    /// The renderer that drew the window.
    pub renderer: String,
    /// From the start of the process (as given to [`BenchProbe::new`]) to the end of the
    /// first frame's UI pass.
    pub first_frame: Option<Duration>,
    /// Every frame after the first.
    pub frames: Vec<FrameSample>,
}

/// The timing of one frame.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct FrameSample {
    /// The CPU time of the previous frame as eframe reports it (UI pass and rendering), in seconds.
    pub cpu: Option<f32>,
    /// The time since the start of the previous frame, in seconds.
    pub interval: f32,
    /// Whether the connection test was running during this frame.
    pub doctor_running: bool,
}

/// Timing probes for the benchmarks: first frame, frame times.
#[derive(Debug)]
pub struct BenchProbe {
    pub(super) started: Instant,
    pub(super) exit_after_first_frame: bool,
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

    pub(super) fn with<R>(&self, write: impl FnOnce(&mut BenchRecord) -> R) -> R {
        write(&mut self.record.lock().unwrap_or_else(PoisonError::into_inner))
    }
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

/// Which renderer drew the window, such as `wgpu Vulkan on llvmpipe (LLVM 15.0.6, 256 bits)`.
fn describe_renderer(cc: &eframe::CreationContext<'_>) -> String {
    if let Some(state) = &cc.wgpu_render_state {
        let info = state.adapter.get_info();
        format!("wgpu {:?} on {}", info.backend, info.name)
    } else if cc.gl.is_some() {
        "OpenGL (glow)".to_owned()
    } else {
        "unknown".to_owned()
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
            Box::new(move |cc| {
                let mut app = FxApp::new(&cc.egui_ctx, app_options);
                app.set_renderer(describe_renderer(cc));
                Ok(Box::new(app))
            }),
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
