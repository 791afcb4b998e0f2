//! Support for the app tests: a scripted stand-in for the file dialogs, and a harness
//! around the real app that steps frames until a condition holds.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use fxconfig::app::dialogs::{DialogAnswer, DialogError, DialogPurpose, DialogRequest, FileDialogs};
use fxconfig::app::prefs::PrefsStore;
use fxconfig::app::{AppOptions, FxApp};

/// The window size of every test, so snapshots are stable.
pub const SIZE: [f32; 2] = [1120.0, 780.0];

/// How long a test waits for background work.
pub const PATIENCE: Duration = Duration::from_secs(30);

/// File dialogs that answer from a script and remember what they were asked. With no
/// answer queued, a dialog is cancelled.
#[derive(Default)]
pub struct ScriptedDialogs {
    answers: Mutex<VecDeque<DialogAnswer>>,
    asked: Mutex<Vec<DialogRequest>>,
}

impl ScriptedDialogs {
    /// Queues the answer to the next dialog (`None`: the user cancels).
    pub fn answer(&self, path: Option<PathBuf>) {
        self.answers.lock().unwrap().push_back(Ok(path));
    }

    /// Queues a failure: the next dialog cannot be shown, for this reason.
    pub fn fail(&self, reason: &str) {
        self.answers.lock().unwrap().push_back(Err(DialogError::new(reason)));
    }

    /// The purposes of the dialogs shown so far.
    pub fn asked(&self) -> Vec<DialogPurpose> {
        self.asked.lock().unwrap().iter().map(|r| r.purpose.clone()).collect()
    }

    fn next(&self, request: &DialogRequest) -> DialogAnswer {
        self.asked.lock().unwrap().push(request.clone());
        self.answers.lock().unwrap().pop_front().unwrap_or(Ok(None))
    }
}

impl FileDialogs for ScriptedDialogs {
    fn open_file(&self, request: &DialogRequest) -> DialogAnswer {
        self.next(request)
    }

    fn save_file(&self, request: &DialogRequest) -> DialogAnswer {
        self.next(request)
    }
}

/// A file "dropped" on the window.
#[derive(Debug)]
pub struct DroppedPath(pub PathBuf);

impl egui::DroppedFile for DroppedPath {
    fn path(&self) -> &Path {
        &self.0
    }

    fn bytes(&self) -> Result<Vec<u8>, String> {
        std::fs::read(&self.0).map_err(|e| e.to_string())
    }
}

/// The real app in a test harness, with scripted dialogs and private preferences.
pub struct TestApp {
    pub harness: Harness<'static, FxApp>,
    pub dialogs: Arc<ScriptedDialogs>,
    pub prefs_dir: tempfile::TempDir,
}

/// Options for a test: scripted dialogs, preferences in a temporary folder, short timeouts.
pub fn test_options(config: Option<PathBuf>, dialogs: &Arc<ScriptedDialogs>, prefs_dir: &Path) -> AppOptions {
    let mut options = AppOptions::new(config);
    options.dialogs = Arc::clone(dialogs) as Arc<dyn FileDialogs>;
    options.prefs = PrefsStore::in_dir(prefs_dir);
    options.doctor_timeout = Duration::from_secs(3);
    options.watch_interval = Duration::from_millis(200);
    options
}

impl TestApp {
    /// Opens the Connection test, runs it with Enter, and waits for its end.
    pub fn run_connection_test(&mut self) {
        self.ctrl(egui::Key::Num3);
        self.wait_for("Run test");
        // Enter runs the test when no input has the keyboard focus.
        self.harness.key_press(egui::Key::Enter);
        self.harness.step();
        assert!(self.app().doctor_running(), "Enter starts the test");
        self.until("the test to finish", |h| !h.state().doctor_running());
    }

    /// The app on `config`, without a renderer (logic tests).
    pub fn start(config: Option<PathBuf>) -> TestApp {
        TestApp::build(config, false, |options| options)
    }

    /// The app with adjusted options; `render` adds the wgpu renderer for snapshots.
    pub fn build(config: Option<PathBuf>, render: bool, adjust: impl FnOnce(AppOptions) -> AppOptions) -> TestApp {
        TestApp::build_sized(config, SIZE, render, adjust)
    }

    /// The app in a window of `size` points.
    pub fn build_sized(
        config: Option<PathBuf>,
        size: [f32; 2],
        render: bool,
        adjust: impl FnOnce(AppOptions) -> AppOptions,
    ) -> TestApp {
        let dialogs = Arc::new(ScriptedDialogs::default());
        let prefs_dir = tempfile::tempdir().expect("temporary folder");
        let options = adjust(test_options(config, &dialogs, prefs_dir.path()));
        let mut builder = Harness::builder()
            .with_size(egui::vec2(size[0], size[1]))
            .with_theme(egui::Theme::Light)
            .with_max_steps(1000);
        if render {
            builder = builder.wgpu();
        }
        let harness = builder.build_eframe(move |cc| FxApp::new(&cc.egui_ctx, options));
        let mut app = TestApp {
            harness,
            dialogs,
            prefs_dir,
        };
        app.settle();
        app
    }

    /// The app.
    pub fn app(&self) -> &FxApp {
        self.harness.state()
    }

    /// Steps frames until `done` holds; panics after [`PATIENCE`].
    #[track_caller]
    pub fn until(&mut self, what: &str, done: impl Fn(&Harness<'static, FxApp>) -> bool) {
        let start = Instant::now();
        loop {
            self.harness.step();
            if done(&self.harness) {
                // One more frame, so the UI shows what the state says.
                self.harness.step();
                return;
            }
            assert!(start.elapsed() < PATIENCE, "timed out waiting for {what}");
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// Steps frames until no background work is running.
    #[track_caller]
    pub fn settle(&mut self) {
        self.until("the app to settle", |h| !h.state().is_busy());
        self.harness.step();
    }

    /// Steps frames until some widget's label contains `text` (a modal takes a few frames
    /// to appear); panics after [`PATIENCE`].
    #[track_caller]
    pub fn wait_for(&mut self, text: &str) {
        let start = Instant::now();
        while !self.shows(text) {
            assert!(start.elapsed() < PATIENCE, "timed out waiting for {text:?} to be shown");
            self.harness.step();
            std::thread::sleep(Duration::from_millis(2));
        }
    }

    /// Steps frames until no widget's label contains `text` (the app's background work, such as
    /// validating again, takes a few frames); panics after [`PATIENCE`].
    #[track_caller]
    pub fn wait_gone(&mut self, text: &str) {
        let start = Instant::now();
        while self.shows(text) {
            assert!(start.elapsed() < PATIENCE, "timed out waiting for {text:?} to go");
            self.harness.step();
            std::thread::sleep(Duration::from_millis(2));
        }
    }

    /// Whether some widget's label contains `text`.
    pub fn shows(&self, text: &str) -> bool {
        self.harness.query_all_by_label_contains(text).next().is_some()
    }

    /// Clicks the widget labelled exactly `label`.
    #[track_caller]
    pub fn click(&mut self, label: &str) {
        // Widgets below the fold are scrolled into view first, as a user would.
        self.harness.get_by_label(label).scroll_to_me();
        self.harness.step();
        self.harness.step();
        // The pointer rests on the widget for a few frames before it presses, as a hand does.
        self.harness.get_by_label(label).hover();
        for _ in 0..3 {
            self.harness.step();
        }
        self.harness.get_by_label(label).click();
        self.harness.step();
        self.harness.step();
    }

    /// Selects all text of the input labelled `label` and types `text` over it.
    #[track_caller]
    pub fn replace_text(&mut self, label: &str, text: &str) {
        self.harness.get_by_label(label).focus();
        self.harness.step();
        self.harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
        self.harness.step();
        self.harness.get_by_label(label).type_text(text);
        // One frame applies the edit, the next shows its effects.
        self.harness.step();
        self.harness.step();
    }

    /// Presses a key alone, then lets two frames show its effect.
    pub fn press(&mut self, key: egui::Key) {
        self.harness.key_press(key);
        self.harness.step();
        self.harness.step();
    }

    /// The label of the widget that has the keyboard focus, if any.
    pub fn focused_label(&self) -> Option<String> {
        let focused = self.harness.ctx.memory(|memory| memory.focused())?;
        self.harness
            .query_all(
                egui_kittest::kittest::By::new().predicate(move |node| node.locate().0 == focused.accesskit_id()),
            )
            .next()
            .and_then(|node| node.accesskit_node().label().or_else(|| node.accesskit_node().value()))
    }

    /// Presses a key with Alt.
    pub fn alt(&mut self, key: egui::Key) {
        self.harness.key_press_modifiers(egui::Modifiers::ALT, key);
        self.harness.step();
        self.harness.step();
    }

    /// Presses a key with Ctrl (Cmd on macOS).
    pub fn ctrl(&mut self, key: egui::Key) {
        self.harness.key_press_modifiers(egui::Modifiers::COMMAND, key);
        self.harness.step();
        self.harness.step();
    }

    /// The status line of check `id` without its symbol, such as
    /// `"PASS — TLS handshake (tls.handshake, 3 ms)"`; the folded groups of results are
    /// opened first.
    #[track_caller]
    pub fn check_line(&mut self, id: &str) -> String {
        self.unfold_results();
        let needle = format!("({id}, ");
        self.harness
            .query_all_by_label_contains(&needle)
            // A label's text is its AccessKit value (the row's keyboard stop has none).
            .find_map(|node| node.accesskit_node().value())
            .map(|text| text.split_once(' ').map_or(text.clone(), |(_, rest)| rest.to_owned()))
            .unwrap_or_else(|| panic!("no status line for {id}"))
    }

    /// Opens the folded groups of check results ("… passed", "… skipped", "… not run").
    pub fn unfold_results(&mut self) {
        for group in [
            " passed",
            " skipped",
            " not run",
            " still to run",
            " not part of this run",
        ] {
            let folded: Vec<String> = self
                .harness
                .query_all_by_label_contains(group)
                .filter(|node| node.accesskit_node().role() == egui::accesskit::Role::DisclosureTriangle)
                .filter(|node| node.accesskit_node().data().is_expanded() == Some(false))
                .filter_map(|node| node.accesskit_node().label())
                .collect();
            for label in folded {
                self.click(&label);
            }
        }
    }
}
