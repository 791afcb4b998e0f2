//! Background work. Everything that can block — file dialogs, reading and saving the
//! configuration, opening certificates and the PKCS#12 file, rendering public keys, the
//! doctor's network checks, switching the simulator's fault — runs on a worker thread and
//! reports back as one [`TaskEvent`] through a channel, after which the worker wakes the
//! UI with `request_repaint`. The UI drains the channel at the start of each frame and
//! applies the events in one place; nothing polls in a loop, so an idle app does not
//! repaint.

use std::io;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::time::Duration;

use crate::cfg::CfgFile;
use crate::doctor::record::{ModuleIdentity, RunInputs};
use crate::doctor::report::ReportHeader;
use crate::doctor::{self, CheckId, CheckResult, DoctorOptions};

use crate::pkcs11::{self, Action, Examination, Helper, Pkcs11Error};
use crate::secret::Secret;

use super::dialogs::{DialogAnswer, DialogPurpose};
use super::drop::DropTarget;
use super::features::certificates::CertEvent;
use super::features::doctor::DoctorEvent;
use super::features::document::DocumentEvent;
use super::features::install::InstallEvent;
use super::features::key::KeyEvent;
use super::model::{DiskWatch, Problem};
use super::prefs::{Prefs, PrefsStore};
use crate::app::features::module::ModuleEvent;
use crate::app::features::module::ModuleOutcome;
use crate::app::features::ssh_client::SshClientEvent;

/// Which file a write task wrote.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WrittenKind {
    /// The Markdown report.
    Report,
    /// The `authorized_keys` fragment.
    AuthorizedKeys,
}

/// The outcome of one piece of background work.
#[derive(Debug)]
pub enum TaskEvent {
    /// An event of the connection doctor.
    Doctor(DoctorEvent),
    /// An event of the open configuration.
    Document(DocumentEvent),
    /// An event of the installation feature.
    Install(InstallEvent),
    /// An event of the SSH key feature.
    Key(KeyEvent),
    /// An event of the certificates feature.
    Certificates(CertEvent),
    /// An event of the PKCS#11 module feature.
    Module(ModuleEvent),
    /// An event of the SSH client feature.
    SshClient(SshClientEvent),
    /// A file dialog was answered (`Ok(None)`: cancelled), or could not be shown.
    Dialog {
        /// What the dialog was for.
        purpose: DialogPurpose,
        /// The chosen file, or why no dialog was shown.
        answer: DialogAnswer,
    },
    /// A file was written.
    Written {
        /// Which file.
        kind: WrittenKind,
        /// Where.
        path: PathBuf,
        /// Nothing, or the operating system's error.
        result: io::Result<()>,
    },
    /// A dropped file was examined.
    Dropped {
        /// The file.
        path: PathBuf,
        /// Where it belongs.
        target: DropTarget,
    },
    /// The preferences were written.
    PrefsSaved(io::Result<()>),
}

/// Starts workers and collects their events.
pub struct Tasks {
    ctx: egui::Context,
    sender: Sender<TaskEvent>,
    receiver: Receiver<TaskEvent>,
}

impl std::fmt::Debug for Tasks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tasks").finish_non_exhaustive()
    }
}

impl Tasks {
    /// Workers that wake `ctx` when they finish.
    pub fn new(ctx: egui::Context) -> Tasks {
        let (sender, receiver) = mpsc::channel();
        Tasks { ctx, sender, receiver }
    }

    /// Runs `work` on a new thread, then delivers its event and wakes the UI.
    ///
    /// # Errors
    /// The operating system's error when no thread can be started.
    pub fn spawn<E: Into<TaskEvent>>(&self, name: &str, work: impl FnOnce() -> E + Send + 'static) -> io::Result<()> {
        let sender = self.sender.clone();
        let ctx = self.ctx.clone();
        std::thread::Builder::new()
            .name(format!("fxconfig-{name}"))
            .spawn(move || {
                let event = work().into();
                // The receiver is gone only when the app is closing.
                let _ = sender.send(event);
                ctx.request_repaint();
            })
            .map(|_| ())
    }

    /// Every event delivered since the last call.
    pub fn drain(&self) -> Vec<TaskEvent> {
        self.receiver.try_iter().collect()
    }

    /// Starts a doctor run on `config`, streaming each result as a [`DoctorEvent::Check`]
    /// and waking the UI for each. With `stop_after`, the run stops once that check is
    /// done and reports nothing after it. Setting the returned flag cancels the run
    /// before its next check.
    ///
    /// # Errors
    /// The operating system's error when no thread can be started.
    pub fn run_doctor(
        &self,
        run: u64,
        config: PathBuf,
        timeout: Duration,
        stop_after: Option<CheckId>,
    ) -> io::Result<Arc<AtomicBool>> {
        let cancel = Arc::new(AtomicBool::new(false));
        let worker_cancel = Arc::clone(&cancel);
        let sender = self.sender.clone();
        let ctx = self.ctx.clone();
        std::thread::Builder::new()
            .name("fxconfig-doctor".to_owned())
            .spawn(move || {
                let options = DoctorOptions {
                    config: Some(config.clone()),
                    timeout,
                    ..DoctorOptions::default()
                };
                let mut stopped = false;
                let mut on_result = |result: &CheckResult| {
                    if stopped {
                        return;
                    }
                    if stop_after == Some(result.id) {
                        stopped = true;
                        worker_cancel.store(true, Ordering::Relaxed);
                    }
                    let _ = sender.send(TaskEvent::Doctor(DoctorEvent::Check {
                        run,
                        result: result.clone(),
                    }));
                    ctx.request_repaint();
                };
                let report = Box::new(doctor::run(&options, &worker_cancel, &mut on_result));
                let header = ReportHeader::current();
                let _ = sender.send(DoctorEvent::Done { run, report, header }.into());
                ctx.request_repaint();
            })?;
        Ok(cancel)
    }

    /// Watches `file` for changes by other programs, checking every `interval`; sends one
    /// [`DocumentEvent::DiskChanged.into()`] when it notices one. The watch ends when the returned
    /// value is dropped.
    pub fn watch(&self, file: &CfgFile, generation: u64, interval: Duration) -> Option<DiskWatch> {
        let (stop, stopped) = mpsc::channel::<()>();
        let sender = self.sender.clone();
        let ctx = self.ctx.clone();
        let snapshot = file.state_only();
        std::thread::Builder::new()
            .name("fxconfig-watch".to_owned())
            .spawn(move || {
                loop {
                    match stopped.recv_timeout(interval) {
                        Err(RecvTimeoutError::Timeout) => {}
                        Ok(()) | Err(RecvTimeoutError::Disconnected) => return,
                    }
                    if snapshot.changed_on_disk().unwrap_or(false) {
                        let _ = sender.send(DocumentEvent::DiskChanged { generation }.into());
                        ctx.request_repaint();
                        return;
                    }
                }
            })
            .ok()
            .map(|_| DiskWatch::new(stop))
    }
}

/// Writes `prefs` to `store` on a worker.
pub fn save_prefs(tasks: &Tasks, store: &PrefsStore, prefs: &Prefs) {
    let store = store.clone();
    let prefs = prefs.clone();
    // A failure to start the thread only loses this write; the next change or the exit retries.
    let _ = tasks.spawn("prefs", move || TaskEvent::PrefsSaved(store.save(&prefs)));
}

/// Where SoftHSM2's PKCS#11 module is installed on Debian, Ubuntu, Fedora and RHEL.
pub const SOFTHSM_PATHS: [&str; 4] = [
    "/usr/lib/softhsm/libsofthsm2.so",
    "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
    "/usr/lib64/pkcs11/libsofthsm2.so",
    "/usr/lib64/softhsm/libsofthsm2.so",
];

/// The time the helper process gets to load a module and walk its token.
pub const PROBE_TIMEOUT: Duration = Duration::from_secs(60);

/// Checks the module file and the libraries it needs, then walks it in the helper
/// process with `FXPKCS11_CFG` set to `config`; with a PIN, logs in and runs the sign
/// test. Blocking: run it on a worker.
pub fn examine_module(
    helper: Option<Helper>,
    module: PathBuf,
    token_label: Option<String>,
    pin: Option<Secret>,
    config: Option<PathBuf>,
    mut inputs: RunInputs,
) -> ModuleOutcome {
    let signed = pin.is_some();
    // The file's identity as the walk finds it, so that a module replaced later is noticed.
    inputs.module = Some(ModuleIdentity::of(&module));
    // The module's own message for missing libraries is shown too: the walk runs anyway.
    let examined = pkcs11::examine(&Examination {
        module: &module,
        token_label,
        action: Action::Probe,
        pin: pin.as_ref(),
        config: config.as_deref(),
        helper,
        time_limit: PROBE_TIMEOUT,
        load_with_missing_libraries: true,
    });
    let explained = |error: Pkcs11Error| Problem::explained(&error);
    ModuleOutcome {
        module,
        file: examined.file.map_err(explained),
        dependencies: examined.dependencies.map(|result| result.map_err(explained)),
        probe: examined.probe.map(|result| result.map_err(explained)),
        signed,
        inputs,
    }
}

impl From<DoctorEvent> for TaskEvent {
    fn from(event: DoctorEvent) -> TaskEvent {
        TaskEvent::Doctor(event)
    }
}

impl From<ModuleEvent> for TaskEvent {
    fn from(event: ModuleEvent) -> TaskEvent {
        TaskEvent::Module(event)
    }
}

impl From<SshClientEvent> for TaskEvent {
    fn from(event: SshClientEvent) -> TaskEvent {
        TaskEvent::SshClient(event)
    }
}

impl From<CertEvent> for TaskEvent {
    fn from(event: CertEvent) -> TaskEvent {
        TaskEvent::Certificates(event)
    }
}

impl From<KeyEvent> for TaskEvent {
    fn from(event: KeyEvent) -> TaskEvent {
        TaskEvent::Key(event)
    }
}

impl From<InstallEvent> for TaskEvent {
    fn from(event: InstallEvent) -> TaskEvent {
        TaskEvent::Install(event)
    }
}

impl From<DocumentEvent> for TaskEvent {
    fn from(event: DocumentEvent) -> TaskEvent {
        TaskEvent::Document(event)
    }
}
