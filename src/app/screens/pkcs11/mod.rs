//! The PKCS#11 module screen: the job of Futurex's PKCS11Manager ([1.4]) for any module.
//! The module file is checked here (exists, a shared library for this machine, its
//! libraries resolve); then the module is loaded in a helper process with `FXPKCS11_CFG`
//! set to the open configuration, so that a crashing module cannot take the app down.
//! It shows the library, the tokens, the keys and their `authorized_keys` lines, signs
//! a test message with each private key, and runs the SSH test of [5].

mod ssh;

use egui::{Id, RichText, Ui};
use zeroize::{Zeroize, Zeroizing};

use crate::display::{escape, escape_lines};
use crate::pkcs11::probe::ProbeReport;
use crate::pkcs11::{Failure, Step};
use crate::secret::Secret;

use super::super::command::Command;
use super::super::dialogs::DialogPurpose;
use super::super::theme::Tone;
use super::super::widgets;
use super::ScreenContext;
use crate::app::features::module::ModuleCommand;
use crate::app::features::module::ModuleOutcome;
pub use ssh::show_ssh_result;
use ssh::show_ssh_test;

/// The widget state of the PKCS#11 module screen.
#[derive(Default)]
pub struct ModuleView {
    /// The module path as typed.
    pub module: String,
    /// The token label as typed; empty selects the first initialised token.
    pub token_label: String,
    /// The PIN as typed; wiped as soon as it is handed to a test.
    pub pin: Zeroizing<String>,
    /// The SSH test's `user@host[:port]` as typed.
    pub target: String,
    /// Whether the module path was filled in from the preferences or the module found.
    pub prefilled: bool,
}

/// The id of the module path field of this screen.
pub fn module_field_id() -> Id {
    Id::unique("p11-module-path")
}

/// How a screen shows the module path field (the PKCS#11, SSH key and SSH client screens edit it).
pub struct ModulePathField<'a> {
    /// The field's label.
    pub label: &'a str,
    /// The field's id, for focus.
    pub id: Id,
    /// The button beside the field that Enter presses, if any.
    pub action: Option<&'a str>,
    /// Whether Enter in the field submits it.
    pub entry: bool,
}

/// Fills a screen's module path field once with the module found or chosen, so that every
/// screen's SSH commands start from it.
pub fn prefill_module(cx: &ScreenContext<'_>, text: &mut String, prefilled: &mut bool) {
    if !*prefilled && cx.module_configured {
        cx.module_path.clone_into(text);
        *prefilled = true;
    }
}

/// Shows the module path field with its Browse button over `text`, and pushes the commands
/// that keep the app's one module path (`SetModulePath`) and open the dialog.
pub fn module_path_field(
    ui: &mut Ui,
    cx: &ScreenContext<'_>,
    field: ModulePathField<'_>,
    text: &mut String,
    out: &mut Vec<Command>,
) -> widgets::PathFieldAction {
    let (action, _) = widgets::path_field(
        ui,
        widgets::PathFieldSpec {
            label: field.label,
            hint: super::super::GUIDE_MODULE_PATH,
            id: field.id,
            action: field.action,
            browse_enabled: !cx.dialog_open,
            browse_hint: "Choose the PKCS#11 module",
            entry: field.entry,
        },
        text,
        cx.focus,
    );
    if action.changed {
        out.push(ModuleCommand::SetPath(text.clone()).into());
    }
    if action.browse {
        out.push(Command::Dialog(DialogPurpose::BrowseModule));
    }
    action
}

impl std::fmt::Debug for ModuleView {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ModuleView")
            .field("module", &self.module)
            .field("token_label", &self.token_label)
            .field("pin", &crate::secret::MASK)
            .field("target", &self.target)
            .finish()
    }
}

impl ModuleView {
    fn token(&self) -> Option<String> {
        let label = self.token_label.trim();
        (!label.is_empty()).then(|| label.to_owned())
    }

    /// The typed PIN as a secret, wiping the field.
    fn take_pin(&mut self) -> Option<Secret> {
        let pin = (!self.pin.is_empty()).then(|| Secret::new(self.pin.as_str()));
        self.pin.zeroize();
        pin
    }
}

/// What Enter does on the screen: load the module (without the PIN).
pub fn enter_action(view: &ModuleView) -> Command {
    ModuleCommand::Load {
        token_label: view.token(),
        pin: None,
    }
    .into()
}

/// Draws the screen.
pub fn show(ui: &mut Ui, cx: &ScreenContext<'_>, view: &mut ModuleView, out: &mut Vec<Command>) {
    ui.heading("PKCS#11 module");
    ui.add(
        egui::Label::new(
            "Load the PKCS#11 library ssh uses (libfxpkcs11.so, fxpkcs11.dll, or any PKCS#11 module) to see its \
             tokens and keys, get the authorized_keys lines, test signing, and test the SSH login [1.4] [5].",
        )
        .wrap(),
    );
    match cx.doc {
        Some(doc) => ui.weak(format!("FXPKCS11_CFG for the load: {}", doc.file.path.display())),
        None => ui.weak("No configuration open: the module reads its usual configuration."),
    };
    if !view.prefilled && cx.module_configured {
        view.module = cx.module_path.to_owned();
        view.prefilled = true;
    }
    let module = module_path_field(
        ui,
        cx,
        ModulePathField {
            label: "Module path",
            id: module_field_id(),
            action: Some("Load"),
            entry: true,
        },
        &mut view.module,
        out,
    );
    if module.submitted && !cx.module.running {
        out.push(enter_action(view));
    }
    let token = widgets::text_input(
        ui,
        "Token label (optional)",
        "the first initialised token",
        &mut view.token_label,
        Id::unique("p11-token-label"),
        false,
    );
    if token.lost_focus() && ui.input(|input| input.key_pressed(egui::Key::Enter)) && !cx.module.running {
        out.push(enter_action(view));
    }
    let pin = widgets::text_input(
        ui,
        "PIN (for Test sign)",
        "",
        &mut view.pin,
        Id::unique("p11-pin"),
        true,
    );
    let pin_entered = pin.lost_focus() && ui.input(|input| input.key_pressed(egui::Key::Enter));
    ui.weak("The crypto operator's PIN; never stored.");
    let running = cx.module.running;
    ui.horizontal_wrapped(|ui| {
        if (ui
            .add_enabled(!running && !view.pin.is_empty(), egui::Button::new("Test sign"))
            .on_hover_text("Log in with the PIN and sign a test message with each private key (Enter in the PIN field)")
            .clicked()
            || (pin_entered && !running && !view.pin.is_empty()))
            && let Some(pin) = view.take_pin()
        {
            out.push(
                ModuleCommand::Load {
                    token_label: view.token(),
                    pin: Some(pin),
                }
                .into(),
            );
        }
        if running {
            widgets::busy(ui);
            ui.label("Loading the module…");
            if ui.button("Stop waiting").on_hover_text("Escape").clicked() {
                out.push(ModuleCommand::Cancel.into());
            }
        }
    });
    ui.add_space(8.0);
    if let Some(failed) = &cx.module.failed_sign {
        ui.label(RichText::new("Test sign").strong().size(16.0));
        ui.add(
            egui::Label::new(
                RichText::new(format!(
                    "{} The sign test did not get to sign; the keys below are from the last load.",
                    Tone::Fail.symbol()
                ))
                .color(ui.visuals().error_fg_color),
            )
            .wrap(),
        );
        show_sign_failure(ui, failed);
        ui.add_space(8.0);
    }
    if let Some(outcome) = &cx.module.outcome {
        show_outcome(ui, outcome, cx.module_changes, out);
    }
    ui.add_space(12.0);
    show_ssh_test(ui, cx, view, out);
}

/// The file and dependency checks and the load, in a few lines (also used by the wizard).
pub fn show_checks(ui: &mut Ui, outcome: &ModuleOutcome, changes: &[String]) {
    widgets::out_of_date(ui, changes);
    ui.label(RichText::new(outcome.module.display().to_string()).strong());
    match &outcome.file {
        Ok(file) => widgets::success(
            ui,
            &format!("Module file: {}, {} bytes", file.header.describe(), file.size),
        ),
        Err(problem) => {
            widgets::problem(ui, problem);
            return;
        }
    }
    match &outcome.dependencies {
        Some(Ok(report)) => {
            let missing = report.missing();
            if missing.is_empty() {
                widgets::success(ui, &format!("Libraries it needs: all {} found", report.libraries.len()));
            } else {
                for dependency in missing {
                    let color = ui.visuals().error_fg_color;
                    ui.label(
                        RichText::new(format!(
                            "{} Missing library {} (needed by {})",
                            Tone::Fail.symbol(),
                            dependency.name,
                            dependency.needed_by.display()
                        ))
                        .color(color),
                    );
                }
            }
        }
        Some(Err(problem)) => widgets::problem(ui, problem),
        None => {}
    }
    match &outcome.probe {
        Some(Ok(report)) => match &report.load {
            Step::Done(info) => {
                widgets::success(
                    ui,
                    &format!(
                        "Loaded: {} {} (library {}, Cryptoki {})",
                        info.manufacturer, info.description, info.library_version, info.cryptoki_version
                    ),
                );
                // The token, so that a step that fails for want of one says why where it fails.
                match &report.token {
                    Step::Done(slot) => {
                        let label = slot.token.as_ref().map_or("(no token)", |token| token.label.as_str());
                        widgets::success(ui, &format!("Token: {} in slot {:#x}", escape(label), slot.id));
                    }
                    Step::Failed(failure) => failure_lines(ui, failure),
                    Step::NotRun(reason) => {
                        ui.weak(format!("No token selected: {}", escape(reason)));
                    }
                }
            }
            Step::Failed(failure) => failure_lines(ui, failure),
            Step::NotRun(reason) => {
                ui.weak(format!("Not loaded: {}", escape(reason)));
            }
        },
        Some(Err(problem)) => widgets::problem(ui, problem),
        None => {}
    }
}

fn failure_lines(ui: &mut Ui, failure: &Failure) {
    let color = ui.visuals().error_fg_color;
    let symbol = Tone::Fail.symbol();
    if let Some(ckr) = &failure.ckr {
        ui.label(RichText::new(format!("{symbol} {}: {}", ckr.name, ckr.meaning)).color(color));
        ui.add(egui::Label::new(escape_lines(&failure.message)).wrap());
    } else {
        let text = format!("{symbol} {}", escape_lines(&failure.message));
        ui.add(egui::Label::new(RichText::new(text).color(color)).wrap());
    }
    let remedy = failure.remedy_with_citation();
    if !remedy.is_empty() {
        widgets::remedy(ui, Tone::Fail, &remedy, None);
    }
}

fn show_outcome(ui: &mut Ui, outcome: &ModuleOutcome, changes: &[String], out: &mut Vec<Command>) {
    show_checks(ui, outcome, changes);
    let Some(Ok(report)) = &outcome.probe else {
        return;
    };
    if report.load.done().is_none() {
        return;
    }
    show_tokens(ui, report);
    show_mechanisms(ui, report);
    show_keys(ui, report, out);
    if outcome.signed {
        show_sign(ui, report);
    }
}

fn step_problem<T>(ui: &mut Ui, step: &Step<T>) {
    match step {
        Step::Failed(failure) => failure_lines(ui, failure),
        Step::NotRun(reason) => {
            ui.weak(reason);
        }
        Step::Done(_) => {}
    }
}

fn show_tokens(ui: &mut Ui, report: &ProbeReport) {
    ui.add_space(8.0);
    ui.label(RichText::new("Tokens").strong().size(16.0));
    match &report.slots {
        Step::Done(slots) => {
            egui::Grid::new("p11-tokens")
                .num_columns(4)
                .striped(true)
                .show(ui, |ui| {
                    ui.weak("Slot");
                    ui.weak("Label");
                    ui.weak("Serial");
                    ui.weak("Flags");
                    ui.end_row();
                    for slot in slots {
                        ui.label(slot.id.to_string());
                        match &slot.token {
                            Some(token) => {
                                ui.label(escape(&token.label));
                                ui.label(escape(&token.serial));
                                ui.label(escape(&token.flags.join(" ")));
                            }
                            None => {
                                ui.weak("no token");
                                ui.label("");
                                ui.label("");
                            }
                        }
                        ui.end_row();
                    }
                });
        }
        other => step_problem(ui, other),
    }
    match &report.token {
        Step::Done(slot) => {
            if let Some(token) = &slot.token {
                ui.label(format!("Selected token: {} (slot {})", escape(&token.label), slot.id));
            }
        }
        other => step_problem(ui, other),
    }
    step_problem(ui, &report.login);
}

/// The selected token's mechanisms, folded: what the module can do with its keys.
fn show_mechanisms(ui: &mut Ui, report: &ProbeReport) {
    let mechanisms = match &report.mechanisms {
        Step::Done(mechanisms) => mechanisms,
        Step::Failed(failure) => {
            ui.label("Mechanisms could not be listed:");
            failure_lines(ui, failure);
            return;
        }
        Step::NotRun(_) => return,
    };
    ui.add_space(4.0);
    egui::CollapsingHeader::new(format!("Mechanisms ({})", mechanisms.len()))
        .id_salt("p11-mechanisms")
        .show(ui, |ui| {
            egui::Grid::new("p11-mechanisms-grid")
                .num_columns(3)
                .striped(true)
                .show(ui, |ui| {
                    ui.weak("Mechanism");
                    ui.weak("Key sizes");
                    ui.weak("Functions");
                    ui.end_row();
                    for mechanism in mechanisms {
                        ui.label(escape(&mechanism.name));
                        ui.label(if mechanism.min_key_size == 0 && mechanism.max_key_size == 0 {
                            String::new()
                        } else {
                            format!("{}–{}", mechanism.min_key_size, mechanism.max_key_size)
                        });
                        ui.label(mechanism.functions.join(" "));
                        ui.end_row();
                    }
                });
        });
}

fn show_keys(ui: &mut Ui, report: &ProbeReport, out: &mut Vec<Command>) {
    ui.add_space(8.0);
    ui.label(RichText::new("Keys").strong().size(16.0));
    match &report.objects {
        Step::Done(objects) if objects.is_empty() => {
            ui.weak("No objects visible (private keys need the PIN).");
        }
        Step::Done(objects) => {
            egui::Grid::new("p11-objects")
                .num_columns(4)
                .striped(true)
                .show(ui, |ui| {
                    ui.weak("Label");
                    ui.weak("ID");
                    ui.weak("Type");
                    ui.weak("Size");
                    ui.end_row();
                    for object in objects {
                        ui.label(escape(&object.label));
                        ui.label(escape(&object.id));
                        let kind = match &object.key_type {
                            Some(key_type) => format!("{} {key_type}", object.class),
                            None => object.class.clone(),
                        };
                        ui.label(escape(&kind));
                        ui.label(object.bits.map(|bits| format!("{bits} bits")).unwrap_or_default());
                        ui.end_row();
                    }
                });
        }
        other => step_problem(ui, other),
    }
    ui.add_space(8.0);
    ui.label(RichText::new("authorized_keys lines [4.1]").strong().size(16.0));
    match &report.public_keys {
        Step::Done(lines) if lines.is_empty() => {
            ui.weak("No public keys on the token.");
        }
        Step::Done(lines) => {
            for line in lines {
                ui.label(escape(&format!(
                    "{} (id {}, {} {} bits) {}",
                    line.label, line.id, line.key_type, line.bits, line.fingerprint
                )));
                widgets::code_block(ui, &line.line);
                if ui.button(format!("Copy line of {}", escape(&line.label))).clicked() {
                    out.push(Command::Copy(line.line.clone()));
                }
            }
        }
        other => step_problem(ui, other),
    }
}

fn show_sign(ui: &mut Ui, report: &ProbeReport) {
    ui.add_space(8.0);
    ui.label(RichText::new("Test sign").strong().size(16.0));
    match &report.sign {
        Step::Done(tests) if tests.is_empty() => {
            ui.weak("No private keys to sign with.");
        }
        Step::Done(tests) => {
            for test in tests {
                if test.verified {
                    widgets::success(
                        ui,
                        &format!(
                            "{} ({} {}): verified, {} ms",
                            test.label, test.key_type, test.mechanism, test.sign_ms
                        ),
                    );
                } else {
                    let color = ui.visuals().error_fg_color;
                    ui.label(
                        RichText::new(format!(
                            "{} {}",
                            Tone::Fail.symbol(),
                            escape(&format!("{} ({}): failed", test.label, test.key_type))
                        ))
                        .color(color),
                    );
                    if let Some(failure) = &test.failure {
                        failure_lines(ui, failure);
                    }
                }
            }
        }
        other => step_problem(ui, other),
    }
}

/// What stopped a Test sign before it signed: the helper, the load, the login or the sign step.
fn show_sign_failure(ui: &mut Ui, outcome: &ModuleOutcome) {
    match &outcome.probe {
        Some(Ok(report)) => {
            step_problem(ui, &report.load);
            step_problem(ui, &report.token);
            step_problem(ui, &report.login);
            step_problem(ui, &report.sign);
        }
        Some(Err(problem)) => widgets::problem(ui, problem),
        None => match &outcome.file {
            Err(problem) => widgets::problem(ui, problem),
            Ok(_) => {
                if let Some(Err(problem)) = &outcome.dependencies {
                    widgets::problem(ui, problem);
                }
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pin_is_masked_in_debug_and_wiped_when_taken() {
        let mut view = ModuleView {
            pin: Zeroizing::new("pin-4417".to_owned()),
            ..ModuleView::default()
        };
        assert!(!format!("{view:?}").contains("pin-4417"));
        let pin = view.take_pin().expect("a PIN was typed");
        assert_eq!(pin.expose(), "pin-4417");
        assert!(view.pin.is_empty());
        assert!(view.take_pin().is_none(), "an empty field gives no PIN");
    }
}
