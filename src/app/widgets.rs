//! Small widgets shared by the screens. Each input is tied to its visible label for
//! AccessKit (screen readers, and tests that find widgets by label).
//!
//! Text that came from outside (a certificate, a module, the network, a file) is shown
//! through [`crate::display::escape`]: a control or bidirectional character is drawn as a
//! visible escape such as `\x1b` or `\u{202e}`.

use egui::text::LayoutJob;
use egui::{Color32, FontId, Id, Response, RichText, TextFormat, Ui};

use crate::display::{escape, escape_lines};
use crate::doctor::{CheckId, CheckResult, Status};
use crate::identity::{CertInfo, Validity};

use super::model::Problem;
use super::theme;

/// A labelled one-line text input; the label names the input for AccessKit.
pub fn text_input(ui: &mut Ui, label: &str, hint: &str, buffer: &mut String, id: Id, password: bool) -> Response {
    let label_response = ui.label(label);
    ui.add(
        egui::TextEdit::singleline(buffer)
            .id(id)
            .hint_text(hint)
            .password(password)
            .desired_width(ui.available_width().min(420.0)),
    )
    .labelled_by(label_response.id)
}

/// A problem: its message in the error colour, then what to do.
pub fn problem(ui: &mut Ui, problem: &Problem) {
    let color = ui.visuals().error_fg_color;
    ui.label(RichText::new(escape_lines(&problem.message)).color(color));
    if !problem.remedy.is_empty() {
        ui.label(format!("What to do: {}", escape_lines(&problem.remedy)));
    }
}

/// A success message in the pass colour (escaped: it often names what was found).
pub fn success(ui: &mut Ui, text: &str) {
    let color = theme::pass_color(ui.visuals());
    ui.label(RichText::new(escape_lines(text)).color(color));
}

/// The text of a check's status line, such as
/// `"FAIL — KMES server certificate (tls.server_cert, 12 ms)"`.
pub fn check_line_text(result: &CheckResult) -> String {
    format!(
        "{} — {} ({}, {} ms)",
        result.status.as_str().to_ascii_uppercase(),
        result.title,
        result.id.as_str(),
        result.ms
    )
}

/// One check result: its status line, what was found, and the remedy with its guide section.
pub fn check_row(ui: &mut Ui, result: &CheckResult) {
    let visuals = ui.visuals().clone();
    let color = theme::status_color(&visuals, result.status);
    let mut job = LayoutJob::default();
    job.append(
        &format!("{} ", theme::UNSAVED_MARK),
        0.0,
        TextFormat::simple(FontId::monospace(14.0), color),
    );
    job.append(
        &check_line_text(result),
        0.0,
        TextFormat::simple(FontId::proportional(14.0), visuals.strong_text_color()),
    );
    ui.label(job);
    ui.indent(("check", result.id.as_str()), |ui| {
        if !result.detail.is_empty() {
            ui.add(egui::Label::new(escape_lines(&result.detail)).wrap());
        }
        if let Some(raw) = &result.raw {
            ui.add(egui::Label::new(RichText::new(format!("Answer: {raw}")).monospace()).wrap());
        }
        if !result.remedy.is_empty() {
            let text = format!("What to do: {}", escape_lines(&result.remedy));
            let color = if result.status == Status::Fail {
                visuals.error_fg_color
            } else {
                visuals.text_color()
            };
            ui.add(egui::Label::new(RichText::new(text).color(color)).wrap());
        }
        // A remedy that cites its own section (often a more precise one than the check's) is
        // not followed by a second, different citation.
        if matches!(result.status, Status::Fail | Status::Warn) && !cites_a_section(&result.remedy) {
            ui.weak(format!("Guide section [{}]", result.guide));
        }
    });
}

/// Whether the text cites a guide section such as `[3.1.4]`.
fn cites_a_section(text: &str) -> bool {
    text.split('[').skip(1).any(|rest| {
        rest.split_once(']').is_some_and(|(inside, _)| {
            !inside.is_empty()
                && inside
                    .split('.')
                    .all(|part| !part.is_empty() && part.chars().all(|c| c.is_ascii_digit()))
        })
    })
}

/// How often the busy indicator moves: slow enough that waiting on the network costs
/// little drawing (software renderers draw the whole window each frame).
pub const BUSY_TICK: std::time::Duration = std::time::Duration::from_millis(250);

/// A small moving mark that says work is in progress; asks for its next frame after
/// [`BUSY_TICK`] instead of continuously.
pub fn busy(ui: &mut Ui) {
    let phase = (ui.input(|input| input.time) / BUSY_TICK.as_secs_f64()) as usize % 3;
    let mark = ["•··", "·•·", "··•"][phase];
    ui.label(RichText::new(mark).monospace().strong())
        .accessible_name("Working");
    ui.ctx().request_repaint_after(BUSY_TICK);
}

/// A check without a result yet: running now, or waiting for its turn.
pub fn pending_row(ui: &mut Ui, id: CheckId, running: bool) {
    ui.horizontal(|ui| {
        if running {
            busy(ui);
            ui.label(format!("Running — {} ({})", id.title(), id.as_str()));
        } else {
            ui.weak(format!("Not run — {} ({})", id.title(), id.as_str()));
        }
    });
}

/// The details of one certificate as a two-column grid.
pub fn cert_details(ui: &mut Ui, salt: &str, cert: &CertInfo, now_unix: i64) {
    egui::Grid::new(("cert", salt, &cert.sha256_fingerprint))
        .num_columns(2)
        .spacing([12.0, 4.0])
        .show(ui, |ui| {
            let row = |ui: &mut Ui, name: &str, value: &str| {
                ui.weak(name);
                ui.add(egui::Label::new(escape(value)).wrap().selectable(true));
                ui.end_row();
            };
            row(ui, "Subject", &cert.subject);
            row(ui, "Issuer", &cert.issuer);
            row(ui, "Serial", &cert.serial_hex);
            row(ui, "Valid from", &cert.not_before);
            ui.weak("Valid until");
            let (text, color) = validity_text(ui, cert, now_unix);
            ui.label(RichText::new(format!("{} — {text}", cert.not_after)).color(color));
            ui.end_row();
            let key = match cert.key_bits {
                Some(bits) => format!("{} {bits} bits", cert.key_type),
                None => cert.key_type.clone(),
            };
            row(ui, "Key", &key);
            if !cert.sans.is_empty() {
                row(ui, "Subject alternative names", &cert.sans.join(", "));
            }
            if !cert.key_usage.is_empty() {
                row(ui, "Key usage", &cert.key_usage.join(", "));
            }
            let eku = match &cert.ext_key_usage {
                Some(usages) => usages.join(", "),
                None => "(none: any purpose)".to_owned(),
            };
            row(ui, "Extended key usage", &eku);
            row(ui, "Certificate authority", if cert.is_ca { "yes" } else { "no" });
            row(ui, "SHA-256 fingerprint", &cert.sha256_fingerprint);
        });
}

fn validity_text(ui: &Ui, cert: &CertInfo, now_unix: i64) -> (String, Color32) {
    let visuals = ui.visuals();
    match cert.validity_at(now_unix) {
        Validity::Valid { days_left } if days_left < 30 => (format!("{days_left} days left"), visuals.warn_fg_color),
        Validity::Valid { days_left } => (format!("{days_left} days left"), theme::pass_color(visuals)),
        Validity::Expired { days_ago } => (format!("expired {days_ago} days ago"), visuals.error_fg_color),
        Validity::NotYetValid { days_until } => {
            (format!("not valid for {days_until} more days"), visuals.error_fg_color)
        }
    }
}

/// A read-only block of monospace text that can be selected and copied.
pub fn code_block(ui: &mut Ui, text: &str) {
    egui::Frame::group(ui.style()).show(ui, |ui| {
        ui.add(
            egui::Label::new(RichText::new(text).monospace())
                .wrap()
                .selectable(true),
        );
    });
}

/// The current time as a Unix timestamp.
pub fn now_unix() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

#[cfg(test)]
mod tests {
    use super::cites_a_section;

    #[test]
    fn section_citations_are_told_from_other_brackets() {
        assert!(cites_a_section("Set <PROD-TLS-CA> to the root CA [3.1.4]"));
        assert!(cites_a_section("see [5] and [4.1]"));
        assert!(!cites_a_section("a list [a, b] and an empty []"));
        assert!(!cites_a_section("no citation at all"));
        assert!(!cites_a_section("[3..1] is not a section"));
    }
}
