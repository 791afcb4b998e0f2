//! The app from the keyboard alone: how many Tabs reach the KMES address, Page Up/Page
//! Down/Home/End scrolling the screen, result rows and remedies taking the focus, Escape
//! cancelling a test and closing a dialog, Enter on every troubleshooting step and in the
//! module field, the fault list choosing with Enter and closing, F6 to the content, F1 and
//! Ctrl+B.

use std::sync::Arc;

use egui::Key;
use egui_kittest::kittest::Queryable;
use fxconfig::app::screens::Screen;
use fxconfig::demo::Demo;
use fxconfig::doctor::CheckId;
use fxconfig::sim::Fault;

use crate::app::harness::TestApp;
use crate::support::lab::Lab;
use crate::support::softhsm::{Hsm, SOFTHSM};

/// The smallest window the app supports.
const SMALL: [f32; 2] = [760.0, 520.0];

fn demo_app(fault: Option<Fault>, size: [f32; 2]) -> (Arc<Demo>, TestApp) {
    let demo = Arc::new(Demo::start(fault).expect("demo"));
    let for_app = Arc::clone(&demo);
    let app = TestApp::build_sized(None, size, false, move |mut options| {
        options.demo = Some(for_app);
        options
    });
    (demo, app)
}

/// The top of the widget labelled `label`, on screen.
fn top_of(app: &TestApp, label: &str) -> f32 {
    app.harness.get_by_label(label).rect().top()
}

#[test]
fn few_tabs_reach_the_kmes_address() {
    let lab = Lab::new();
    lab.write_cfg("127.0.0.1", 2001);
    let mut app = TestApp::start(Some(lab.cfg.clone()));
    app.wait_for("KMES address");
    // The screen's first field has the focus on entry.
    assert_eq!(app.focused_label().as_deref(), Some("Slot"));
    let mut tabs = 0;
    while app.focused_label().as_deref() != Some("KMES address") {
        assert!(tabs < 30, "30 Tabs did not reach the KMES address");
        app.press(Key::Tab);
        tabs += 1;
    }
    eprintln!("Tabs from the start to the KMES address: {tabs}");
    assert!(tabs <= 5, "{tabs} Tabs to the KMES address");
    // From another screen, Ctrl+1 puts the focus back on the first field.
    app.ctrl(Key::Num3);
    app.ctrl(Key::Num1);
    assert_eq!(app.focused_label().as_deref(), Some("Slot"));
}

#[test]
fn page_keys_home_and_end_scroll_the_screen() {
    let lab = Lab::new();
    lab.write_cfg("127.0.0.1", 2001);
    let mut app = TestApp::build_sized(Some(lab.cfg.clone()), SMALL, false, |options| options);
    app.wait_for("KMES address");
    // Home and End belong to a text field with the focus: leave the fields first.
    app.harness.key_press(Key::Escape);
    app.harness.step();
    app.harness
        .ctx
        .memory_mut(|memory| memory.surrender_focus(memory.focused().unwrap_or(egui::Id::NULL)));
    app.harness.step();
    let top = top_of(&app, "Slot");
    app.press(Key::PageDown);
    let paged = top_of(&app, "Slot");
    assert!(paged < top - 200.0, "Page Down scrolls a page ({top} → {paged})");
    app.press(Key::PageUp);
    assert!((top_of(&app, "Slot") - top).abs() < 1.0, "Page Up scrolls back");
    app.press(Key::End);
    let last = app.harness.get_by_label("Ask ssh for a PIN").rect();
    assert!(
        last.bottom() <= SMALL[1],
        "End shows the bottom of the screen: {last:?}"
    );
    app.press(Key::Home);
    assert!((top_of(&app, "Slot") - top).abs() < 1.0, "Home goes back to the top");
    // Page Down works while a text field has the focus too.
    app.harness.get_by_label("KMES user").focus();
    app.harness.step();
    app.press(Key::PageDown);
    assert!(top_of(&app, "Slot") < top - 200.0);
}

#[test]
fn result_rows_and_remedies_take_the_focus_and_escape_closes_the_about_window() {
    let (_demo, mut app) = demo_app(Some(Fault::WrongCa), SMALL);
    app.ctrl(Key::Num3);
    app.press(Key::Enter);
    assert!(app.app().doctor_running(), "Enter runs the test");
    app.until("the test to finish", |h| !h.state().doctor_running());
    app.harness.step();
    let mut seen_row = false;
    let mut seen_remedy = false;
    for _ in 0..40 {
        app.press(Key::Tab);
        let label = app.focused_label().unwrap_or_default();
        seen_row |= label.starts_with("✖ FAIL — KMES server certificate");
        seen_remedy |= label.starts_with("What to do: Set <PROD-TLS-CA>");
        if seen_row && seen_remedy {
            break;
        }
    }
    assert!(
        seen_row,
        "the failing row is a keyboard stop, announced with its status"
    );
    assert!(seen_remedy, "its remedy is a keyboard stop too");
    // The focused remedy is on screen.
    let focused = app
        .harness
        .get_all_by_label_contains("What to do: Set <PROD-TLS-CA>")
        .map(|node| node.rect())
        .find(|rect| rect.top() >= 0.0 && rect.bottom() <= SMALL[1]);
    assert!(focused.is_some(), "the focused remedy is scrolled into view");

    app.press(Key::F1);
    assert!(app.app().modal_open(), "F1 opens the About window");
    assert!(app.shows("Renderer"), "the renderer is named there, for support");
    app.press(Key::Escape);
    assert!(!app.app().modal_open(), "Escape closes it");
}

#[test]
fn escape_cancels_a_test_that_waits() {
    let lab = Lab::new();
    let sim = lab.start_sim(Some(Fault::Silent));
    lab.write_cfg("127.0.0.1", sim.local_addr().port());
    let mut app = TestApp::start(Some(lab.cfg.clone()));
    app.ctrl(Key::Num3);
    app.press(Key::Enter);
    app.until("the handshake to wait", |h| {
        h.state().check_results().iter().any(|r| r.id == CheckId::NetConnect)
    });
    app.press(Key::Escape);
    assert!(!app.app().doctor_running(), "Escape cancels the running test");
    app.wait_for("The run was cancelled while");
}

#[test]
fn enter_acts_on_every_troubleshooting_step() {
    let (_demo, mut app) = demo_app(None, SMALL);
    app.ctrl(Key::Num5);
    // Step 1 does not apply in the demo; Enter takes the focused offer (SoftHSM2, or the module screen).
    app.press(Key::Enter);
    app.until("the module step", |h| !h.state().is_busy());
    for step in 2..=5 {
        app.alt(Key::ArrowRight);
        let before = app.app().check_results().len();
        app.press(Key::Enter);
        assert!(
            app.app().doctor_running() || app.app().check_results().len() != before,
            "Enter checks step {step}"
        );
        app.until("the step", |h| !h.state().doctor_running());
    }
    app.alt(Key::ArrowRight);
    app.press(Key::Enter);
    assert_eq!(app.app().screen(), Screen::SshKey, "step 6 leads to the SSH key screen");
    app.ctrl(Key::Num5);
    app.alt(Key::ArrowRight);
    app.press(Key::Enter);
    assert_eq!(
        app.app().screen(),
        Screen::Troubleshooting,
        "step 7 without a target does nothing on Enter: its run button is disabled, the focus stays"
    );
    app.ctrl(Key::Num5);
    app.alt(Key::ArrowRight);
    app.press(Key::Enter);
    assert!(app.app().doctor_running(), "step 8 runs every check");
    app.until("the run", |h| !h.state().doctor_running());
    assert!(app.app().report_markdown().is_some());
}

#[test]
fn enter_in_the_module_field_loads_the_module() {
    let hsm = Hsm::new();
    let helper = hsm.helper();
    let mut app = TestApp::build_sized(None, SMALL, false, move |mut options| {
        options.pkcs11_helper = Some(helper);
        options
    });
    app.ctrl(Key::Num6);
    assert_eq!(
        app.focused_label().as_deref(),
        Some("Module path"),
        "the field has the focus on entry"
    );
    app.harness.get_by_label("Module path").type_text(SOFTHSM);
    app.harness.step();
    app.press(Key::Enter);
    app.until("the module", |h| !h.state().is_busy());
    app.wait_for("Loaded: ");
}

#[test]
fn the_fault_list_chooses_with_enter_and_closes() {
    let (demo, mut app) = demo_app(None, SMALL);
    app.harness.get_by_label("Simulator fault").focus();
    app.harness.step();
    app.press(Key::Enter);
    app.wait_for(Fault::Silent.name());
    // The arrow keys move through the list; Enter chooses the fault that has the focus.
    for _ in 0..3 {
        app.press(Key::ArrowDown);
    }
    let wanted = app.focused_label().expect("a fault has the focus");
    app.press(Key::Enter);
    app.until("the fault", |h| {
        h.state().notice().is_some_and(|n| n.contains("Simulator fault"))
    });
    assert_eq!(
        demo.fault().map(Fault::name),
        Some(wanted.as_str()),
        "the focused fault was chosen"
    );
    assert!(
        !app.shows(Fault::ALL[3].name()),
        "the list closed once a fault was chosen"
    );
}

#[test]
fn f6_goes_to_the_content_and_ctrl_b_hides_the_navigation() {
    let (_demo, mut app) = demo_app(None, SMALL);
    app.ctrl(Key::Num2);
    app.harness.get_by_label("Help").focus();
    app.harness.step();
    app.press(Key::F6);
    assert_eq!(
        app.focused_label().as_deref(),
        Some("Root CA certificate file"),
        "F6 skips to the screen's first control"
    );
    assert!(app.app().navigation_shown());
    assert!(app.harness.query_by_label("Guided troubleshooting").is_some());
    app.ctrl(Key::B);
    assert!(!app.app().navigation_shown(), "Ctrl+B hides the navigation");
    assert!(app.harness.query_by_label("Guided troubleshooting").is_none());
    app.ctrl(Key::B);
    assert!(app.app().navigation_shown());
}

#[test]
fn quick_alt_right_presses_within_one_frame_each_move_a_step() {
    let mut app = TestApp::start(None);
    app.ctrl(Key::Num5);
    app.wait_for("Step 1:");
    // Three presses that arrive in one frame, as a quick typist's do on a busy machine.
    let press = |app: &mut TestApp, key: Key, times: usize| {
        for _ in 0..times {
            for pressed in [true, false] {
                app.harness.input_mut().events.push(egui::Event::Key {
                    key,
                    pressed,
                    modifiers: egui::Modifiers::ALT,
                    repeat: false,
                    physical_key: None,
                });
            }
        }
        app.harness.step();
        app.harness.step();
    };
    press(&mut app, Key::ArrowRight, 3);
    app.wait_for("Step 4: Connection");
    press(&mut app, Key::ArrowLeft, 2);
    app.wait_for("Step 2: Configuration file");
}
