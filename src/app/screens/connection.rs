//! The Connection test screen: the verdict first (the overall result, the first failing
//! check with its remedy and guide section), then the failing and warning checks, with the
//! passing and skipped ones folded; Cancel and the deadline of the step that waits; the
//! report to copy or save. The check list and the verdict banner serve the troubleshooting
//! steps too. In the demo, the simulator's fault switch sits in the left panel.

use egui::{Align, RichText, Ui};

use crate::display::escape_lines;
use crate::doctor::record::RunEnd;
use crate::doctor::{CheckId, CheckResult};
use crate::sim::Fault;

use super::super::command::Command;
use super::super::dialogs::DialogPurpose;
use super::super::features::doctor::DoctorCommand;
use super::super::theme::{self, Tone};
use super::super::widgets;
use super::ScreenContext;

/// The widget state of a list of check results: which run it last scrolled for.
#[derive(Debug, Default)]
pub struct ResultsView {
    /// The run (and whether it was running) the verdict was last scrolled into view for.
    banner_for: Option<(u64, bool)>,
    /// "Show the check" was clicked: scroll to the first failure on this frame.
    show_first: bool,
}

/// The widget state of the Connection test screen.
#[derive(Debug, Default)]
pub struct ConnectionView {
    /// The results list.
    pub results: ResultsView,
}

/// How a result is shown: its status, the same word the CLI and the report use.
pub fn tone_of(result: &CheckResult) -> Tone {
    result.status.into()
}

/// Draws the screen.
pub fn show(ui: &mut Ui, cx: &ScreenContext<'_>, view: &mut ConnectionView, out: &mut Vec<Command>) {
    ui.heading("Connection test");
    ui.add(
        egui::Label::new(
            "Runs the checks of configTest and more, in order: the configuration, the TLS materials, the network, \
             the TLS handshake and the Excrypt ECHO. Enter runs it; Escape cancels.",
        )
        .wrap(),
    );
    if let Some(demo) = cx.demo {
        match demo.replay_source() {
            Some(source) => {
                ui.add(egui::Label::new(source.describe(demo.sim_addr())).wrap());
            }
            None => {
                let fault = demo.fault().map_or("none", |fault| fault.name());
                ui.weak(format!("Demo simulator fault: {fault} (switch it in the left panel)."));
            }
        }
    }
    ui.add_space(4.0);
    run_controls(ui, cx, out);
    ui.add_space(4.0);
    verdict_banner(ui, cx, &CheckId::ALL, Subject::Connection, &mut view.results, None, out);
    ui.add_space(4.0);
    check_list(ui, cx, &CheckId::ALL, &mut view.results, "connection");
}

/// The Run and Cancel buttons, the configuration they use, and the report buttons.
pub fn run_controls(ui: &mut Ui, cx: &ScreenContext<'_>, out: &mut Vec<Command>) {
    let Some(doc) = cx.doc else {
        ui.weak("Open a configuration first.");
        return;
    };
    if doc.modified {
        ui.add(
            egui::Label::new(
                RichText::new(format!(
                    "{} The test reads the saved file: Run test offers to save your changes first.",
                    Tone::Warn.symbol()
                ))
                .color(ui.visuals().warn_fg_color),
            )
            .wrap(),
        );
    }
    ui.horizontal_wrapped(|ui| {
        let running = cx.doctor.running();
        let run = ui
            .add_enabled(!running, egui::Button::new("Run test"))
            .on_hover_text(format!("Test {} (Enter)", doc.file.path.display()));
        widgets::apply_focus(cx.focus, &run, true);
        if run.clicked() {
            out.push(DoctorCommand::Run { stop_after: None }.into());
        }
        if ui
            .add_enabled(running, egui::Button::new("Cancel"))
            .on_hover_text("Escape")
            .clicked()
        {
            out.push(DoctorCommand::Cancel.into());
        }
        let has_report = cx.doctor.run.as_ref().is_some_and(|run| !run.is_running());
        let copy = ui
            .add_enabled(has_report, egui::Button::new("Copy report"))
            .on_hover_text("The report of the run shown, as Markdown");
        if copy.clicked()
            && let Some(markdown) = cx.doctor.markdown(cx.doctor_changes)
        {
            out.push(Command::Copy(markdown));
        }
        if ui
            .add_enabled(has_report && !cx.dialog_open, egui::Button::new("Save report…"))
            .on_hover_text("Save the report of the run shown")
            .clicked()
        {
            out.push(Command::Dialog(DialogPurpose::SaveReport));
        }
        let has_capture = cx.doctor.run.as_ref().is_some_and(|run| run.facts.is_some());
        if ui
            .add_enabled(has_capture && !cx.dialog_open, egui::Button::new("Save capture…"))
            .on_hover_text(
                "Save what the network showed in the run shown (no password, PIN or key), for a support engineer to replay with fxconfig kmes-sim --replay",
            )
            .clicked()
        {
            out.push(Command::Dialog(DialogPurpose::SaveCapture));
        }
    });
}

/// What a verdict banner is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Subject {
    /// The whole connection test.
    Connection,
    /// One troubleshooting step.
    Step,
}

/// The counts of a set of results, by tone.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    /// Failed.
    pub failed: usize,
    /// Warned.
    pub warned: usize,
    /// Passed.
    pub passed: usize,
    /// Skipped.
    pub skipped: usize,
    /// Shown as information.
    pub info: usize,
    /// Without a result.
    pub pending: usize,
}

/// Counts the results of `ids`.
pub fn tally(cx: &ScreenContext<'_>, ids: &[CheckId]) -> Tally {
    let mut tally = Tally::default();
    for &id in ids {
        match cx.doctor.result(id).map(tone_of) {
            Some(Tone::Fail) => tally.failed += 1,
            Some(Tone::Warn) => tally.warned += 1,
            Some(Tone::Pass) => tally.passed += 1,
            Some(Tone::Skip) => tally.skipped += 1,
            Some(Tone::Info) => tally.info += 1,
            None => tally.pending += 1,
        }
    }
    tally
}

/// The first failing check of `ids`, else the first warning.
pub fn first_problem<'a>(cx: &'a ScreenContext<'_>, ids: &[CheckId]) -> Option<(&'a CheckResult, Tone)> {
    let results = || ids.iter().filter_map(|&id| cx.doctor.result(id));
    results()
        .find(|result| tone_of(result) == Tone::Fail)
        .or_else(|| results().find(|result| tone_of(result) == Tone::Warn))
        .map(|result| (result, tone_of(result)))
}

/// The verdict first: the overall result of `ids`, the first failing check (or warning) with
/// its remedy and guide section, and while running, the check that waits and its deadline.
/// A keyboard stop announced whole. `fix` adds a button to the screen that fixes it.
///
/// When a run starts or ends, the verdict is scrolled to the top of the view, so that in a
/// small window the new result is what shows.
pub fn verdict_banner(
    ui: &mut Ui,
    cx: &ScreenContext<'_>,
    ids: &[CheckId],
    subject: Subject,
    view: &mut ResultsView,
    fix: Option<super::Screen>,
    out: &mut Vec<Command>,
) {
    let state = (cx.doctor.run_id(), cx.doctor.running());
    let changed = state.0 > 0 && view.banner_for != Some(state);
    view.banner_for = Some(state);
    let rect = ui
        .scope(|ui| {
            let tally = tally(cx, ids);
            let running_here = cx.doctor.running() && tally.pending > 0;
            if running_here {
                running_banner(ui, cx, ids, subject == Subject::Step, out);
                return;
            }
            run_caption(ui, cx);
            if tally.pending == ids.len() {
                let text = match (&cx.doctor.run, subject) {
                    (Some(run), _) if matches!(run.end, RunEnd::Cancelled { .. }) => {
                        format!(
                            "The run was cancelled before these checks: {}.",
                            cancel_sentence(&run.end)
                        )
                    }
                    (Some(run), _) if !ids.iter().any(|&id| run.scope.includes(id)) => {
                        "Not part of the run shown: press Enter to check them.".to_owned()
                    }
                    (_, Subject::Connection) => "Not run yet: press Enter or Run test.".to_owned(),
                    (_, Subject::Step) => "Not checked yet: press Enter or Check this step.".to_owned(),
                };
                banner(ui, Tone::Skip, &text, &text, |_| {});
                return;
            }
            let problem = first_problem(cx, ids);
            let mut counts = counts_sentence(&tally);
            if tally.pending > 0 {
                counts.push_str(&format!(", {} not run", tally.pending));
            }
            let incomplete = tally.pending > 0 && tally.failed == 0;
            let (tone, headline) = match (tally.failed, tally.warned, subject) {
                _ if incomplete && cx.doctor.cancelled() => {
                    let end = cx
                        .doctor
                        .run
                        .as_ref()
                        .map(|run| cancel_sentence(&run.end))
                        .unwrap_or_default();
                    (Tone::Skip, format!("The run was cancelled {end}: {counts}."))
                }
                _ if incomplete => (
                    Tone::Skip,
                    format!("Only some checks ran: {counts}. Run them all for a verdict."),
                ),
                (0, 0, _) if tally.passed + tally.info == 0 => (
                    Tone::Skip,
                    format!("Nothing was checked: {counts}. Fix the earlier steps first."),
                ),
                (0, 0, Subject::Connection) => (Tone::Pass, format!("The connection works: {counts}.")),
                (0, 0, Subject::Step) => (
                    Tone::Pass,
                    format!("This step is fine: {counts}. Go on with the next one."),
                ),
                (0, _, Subject::Connection) => (Tone::Warn, format!("The connection works, with a warning: {counts}.")),
                (0, _, Subject::Step) => (Tone::Warn, format!("This step works, with a warning: {counts}.")),
                (_, _, Subject::Connection) => (Tone::Fail, format!("The connection does not work: {counts}.")),
                (_, _, Subject::Step) => (Tone::Fail, format!("This step fails: {counts}.")),
            };
            let mut spoken = headline.clone();
            if let Some((result, _)) = problem {
                spoken.push_str(&format!(" First: {}. {}", result.title, escape_lines(&result.detail)));
                if !result.remedy.is_empty() {
                    spoken.push_str(&format!(
                        " What to do: {}",
                        widgets::citing(&result.remedy, result.guide)
                    ));
                }
            }
            banner(ui, tone, &headline, &spoken, |ui| {
                if let Some((result, problem_tone)) = problem {
                    let word = if problem_tone == Tone::Fail {
                        "First failure"
                    } else {
                        "Warning"
                    };
                    ui.add(
                        egui::Label::new(
                            RichText::new(format!("{word}: {} ({})", result.title, result.id.as_str())).strong(),
                        )
                        .wrap(),
                    );
                    if !result.detail.is_empty() {
                        ui.add(egui::Label::new(escape_lines(&result.detail)).wrap());
                    }
                    if !result.remedy.is_empty() {
                        widgets::remedy(
                            ui,
                            problem_tone,
                            &widgets::citing(&result.remedy, result.guide),
                            Some("verdict"),
                        );
                    }
                    ui.horizontal_wrapped(|ui| {
                        if ui.button("Show the check").clicked() {
                            view.show_first = true;
                        }
                        if let Some(screen) = fix
                            && ui.button(format!("Go to {}", screen.title())).clicked()
                        {
                            out.push(Command::Navigate(screen));
                        }
                    });
                }
            });
        })
        .response
        .rect;
    if changed {
        ui.scroll_to_rect(rect, Some(Align::TOP));
    }
}

/// "while TCP connection (net.connect) had been running for 12.3 s", for a cancelled run.
pub fn cancel_sentence(end: &RunEnd) -> String {
    match end {
        RunEnd::Cancelled {
            waiting: Some(id),
            waited,
        } => format!(
            "while {} ({}) had been running for {:.1} s",
            id.title(),
            id.as_str(),
            waited.as_secs_f32()
        ),
        RunEnd::Cancelled { waiting: None, .. } => "between two checks".to_owned(),
        _ => String::new(),
    }
}

/// Which run the results below are, and whether they are out of date: "Run 3, 20:31:05
/// UTC: the full connection test", then the changes since, in the warning colour.
pub fn run_caption(ui: &mut Ui, cx: &ScreenContext<'_>) {
    let Some(run) = &cx.doctor.run else {
        return;
    };
    ui.add(
        egui::Label::new(
            RichText::new(format!(
                "Results of run {}, started {}: {}.",
                run.id,
                run.started_text(),
                run.scope.describe()
            ))
            .small(),
        )
        .wrap(),
    );
    widgets::out_of_date(ui, cx.doctor_changes);
    ui.add_space(2.0);
}

/// "1 check failed, 2 warnings, 9 passed".
fn counts_sentence(tally: &Tally) -> String {
    let mut parts = Vec::new();
    if tally.failed > 0 {
        parts.push(format!("{} failed", widgets::plural(tally.failed, "check", "checks")));
    }
    if tally.warned > 0 {
        parts.push(widgets::plural(tally.warned, "warning", "warnings"));
    }
    if tally.passed > 0 {
        parts.push(format!("{} passed", tally.passed));
    }
    if tally.info > 0 {
        parts.push(format!("{} for information", tally.info));
    }
    if tally.skipped > 0 {
        parts.push(format!("{} skipped", tally.skipped));
    }
    parts.join(", ")
}

/// The check that runs now, how long it has waited and its deadline, and Cancel when the
/// screen has none of its own.
fn running_banner(ui: &mut Ui, cx: &ScreenContext<'_>, ids: &[CheckId], with_cancel: bool, out: &mut Vec<Command>) {
    let current = cx.doctor.current();
    let position = current.and_then(|id| ids.iter().position(|&known| known == id));
    let headline = match (current, position) {
        (Some(id), Some(index)) => format!("Running check {} of {}: {}", index + 1, ids.len(), id.title()),
        (Some(id), None) => format!("Running the earlier checks: {}", id.title()),
        (None, _) => "Running…".to_owned(),
    };
    banner(ui, Tone::Skip, &headline, &headline, |ui| {
        ui.horizontal_wrapped(|ui| {
            widgets::busy(ui);
            let waited = cx
                .doctor
                .step_started
                .map(|started| started.elapsed())
                .unwrap_or_default();
            if current.is_some_and(CheckId::is_time_bounded) {
                // Whole seconds: the view is redrawn once a second while it waits.
                let limit = cx.step_timeout.as_secs_f32().max(0.1);
                let text = format!("{:.0} s of {:.0} s", waited.as_secs_f32().min(limit).floor(), limit);
                ui.add(
                    egui::ProgressBar::new(waited.as_secs_f32() / limit)
                        .desired_width(160.0)
                        .text(text.clone()),
                )
                .on_hover_text("The time this step has waited, and the most it will wait");
            } else {
                ui.label(format!("{} s", waited.as_secs()));
            }
            if with_cancel && ui.button("Cancel").on_hover_text("Escape").clicked() {
                out.push(DoctorCommand::Cancel.into());
            }
        });
    });
}

/// A framed banner in a tone's colour: its symbol and headline, then `add_contents`; a
/// keyboard stop announced as `spoken`.
fn banner(ui: &mut Ui, tone: Tone, headline: &str, spoken: &str, add_contents: impl FnOnce(&mut Ui)) {
    let color = theme::tone_color(ui.visuals(), tone);
    let response = egui::Frame::group(ui.style())
        .stroke(egui::Stroke::new(1.5, color))
        .show(ui, |ui| {
            ui.set_width(ui.available_width());
            ui.add(
                egui::Label::new(
                    RichText::new(format!("{} {headline}", tone.symbol()))
                        .color(color)
                        .strong()
                        .size(16.0),
                )
                .wrap(),
            );
            add_contents(ui);
        })
        .response;
    widgets::focusable(ui, response.rect, ui.scope_id().with("verdict-banner"), spoken);
}

/// The results of these checks: failures and warnings in order, then the passing checks and
/// the skipped ones folded, then the ones still to run. "Show the check" scrolls the first
/// failure into view.
pub fn check_list(ui: &mut Ui, cx: &ScreenContext<'_>, ids: &[CheckId], view: &mut ResultsView, salt: &str) {
    let mut problems = Vec::new();
    let mut passed = Vec::new();
    let mut skipped = Vec::new();
    let mut pending = Vec::new();
    for &id in ids {
        match cx.doctor.result(id) {
            Some(result) => match tone_of(result) {
                tone @ (Tone::Fail | Tone::Warn) => problems.push((result, tone)),
                tone @ (Tone::Pass | Tone::Info) => passed.push((result, tone)),
                tone @ Tone::Skip => skipped.push((result, tone)),
            },
            None => pending.push(id),
        }
    }
    let scroll = view.show_first;
    view.show_first = false;
    let first_failure = problems.iter().position(|(_, tone)| *tone == Tone::Fail).unwrap_or(0);
    for (index, (result, tone)) in problems.iter().enumerate() {
        let row = widgets::check_row(ui, result, *tone);
        if scroll && index == first_failure {
            row.scroll_to_me(Some(Align::TOP));
        }
        ui.add_space(4.0);
    }
    let visuals = ui.visuals().clone();
    if !passed.is_empty() {
        let info = passed.iter().filter(|(_, tone)| *tone == Tone::Info).count();
        let mut title = format!(
            "{} {} passed",
            Tone::Pass.symbol(),
            widgets::plural(passed.len() - info, "check", "checks")
        );
        if info > 0 {
            title.push_str(&format!(", {} {} for information", Tone::Info.symbol(), info));
        }
        egui::CollapsingHeader::new(RichText::new(title).color(theme::tone_color(&visuals, Tone::Pass)))
            .id_salt((salt, "passed"))
            .default_open(false)
            .show(ui, |ui| {
                for (result, tone) in &passed {
                    widgets::check_row(ui, result, *tone);
                    ui.add_space(2.0);
                }
            });
    }
    if !skipped.is_empty() {
        let title = format!(
            "{} {} skipped",
            Tone::Skip.symbol(),
            widgets::plural(skipped.len(), "check", "checks")
        );
        egui::CollapsingHeader::new(RichText::new(title).color(theme::tone_color(&visuals, Tone::Skip)))
            .id_salt((salt, "skipped"))
            .default_open(false)
            .show(ui, |ui| {
                for (result, tone) in &skipped {
                    widgets::check_row(ui, result, *tone);
                    ui.add_space(2.0);
                }
            });
    }
    if !pending.is_empty() {
        let outside = cx
            .doctor
            .run
            .as_ref()
            .is_some_and(|run| pending.iter().all(|&id| !run.scope.includes(id)));
        let what = if cx.doctor.running() {
            "still to run"
        } else if outside {
            "not part of this run"
        } else {
            "not run"
        };
        let title = format!(
            "{} {} {what}",
            Tone::Skip.symbol(),
            widgets::plural(pending.len(), "check", "checks")
        );
        egui::CollapsingHeader::new(RichText::new(title).color(theme::tone_color(&visuals, Tone::Skip)))
            .id_salt((salt, "pending"))
            .default_open(false)
            .show(ui, |ui| {
                for id in &pending {
                    widgets::pending_row(ui, *id);
                }
            });
    }
}

/// The demo simulator's fault, switchable; the list closes once a fault is chosen (with the
/// mouse, or with the arrow keys and Enter).
pub fn fault_switch(ui: &mut Ui, current: Option<Fault>, out: &mut Vec<Command>) {
    let name = |fault: Option<Fault>| fault.map_or("none (a healthy KMES)", Fault::name);
    let mut chosen = current;
    let label = ui.label("Simulator fault");
    egui::ComboBox::from_id_salt("simulator-fault")
        .selected_text(name(current))
        .width(ui.available_width().min(200.0))
        .show_ui(ui, |ui| {
            if ui.selectable_value(&mut chosen, None, name(None)).clicked() {
                ui.close();
            }
            for fault in Fault::ALL {
                if ui
                    .selectable_value(&mut chosen, Some(fault), fault.name())
                    .on_hover_text(fault.description())
                    .clicked()
                {
                    ui.close();
                }
            }
        })
        .response
        .labelled_by(label.id)
        .on_hover_text("Make the simulator misbehave the way a misconfigured KMES does");
    if chosen != current {
        out.push(DoctorCommand::SetFault(chosen).into());
    }
}
