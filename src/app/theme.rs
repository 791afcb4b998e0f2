//! Colours and marks that carry meaning: check statuses, validation severities, diff lines.
//! Every colour comes with a word, so nothing is told by colour alone.

use egui::{Color32, Visuals};

use crate::cfg::Severity;
use crate::doctor::Status;

use super::diff::LineChange;

/// The marker shown next to the open file while it has unsaved changes (drawn in the
/// monospace font, which has the glyph).
pub const UNSAVED_MARK: &str = "●";

/// The colour of a passing check, readable on the theme's background.
pub fn pass_color(visuals: &Visuals) -> Color32 {
    if visuals.dark_mode {
        Color32::from_rgb(0x6c, 0xd4, 0x8a)
    } else {
        Color32::from_rgb(0x1d, 0x7a, 0x3a)
    }
}

/// The colour of a check status.
pub fn status_color(visuals: &Visuals, status: Status) -> Color32 {
    match status {
        Status::Pass => pass_color(visuals),
        Status::Warn => visuals.warn_fg_color,
        Status::Fail => visuals.error_fg_color,
        Status::Skip => visuals.weak_text_color(),
    }
}

/// The word for a check status.
pub fn status_word(status: Status) -> &'static str {
    match status {
        Status::Pass => "PASS",
        Status::Warn => "WARN",
        Status::Fail => "FAIL",
        Status::Skip => "SKIP",
    }
}

/// The colour of a validation finding.
pub fn severity_color(visuals: &Visuals, severity: Severity) -> Color32 {
    match severity {
        Severity::Error => visuals.error_fg_color,
        Severity::Warning => visuals.warn_fg_color,
    }
}

/// The colour and sign of a diff line.
pub fn diff_style(visuals: &Visuals, change: LineChange) -> (Color32, &'static str) {
    match change {
        LineChange::Same => (visuals.weak_text_color(), " "),
        LineChange::Removed => (visuals.error_fg_color, "-"),
        LineChange::Added => (pass_color(visuals), "+"),
    }
}

/// The default fonts, with the monospace font (Hack) as a fallback of the proportional
/// one, for the arrows and bullets the library's messages use.
pub fn install_fonts(ctx: &egui::Context) {
    let mut fonts = egui::FontDefinitions::default();
    if fonts.font_data.contains_key("Hack")
        && let Some(family) = fonts.families.get_mut(&egui::FontFamily::Proportional)
        && !family.iter().any(|name| name == "Hack")
    {
        family.push("Hack".to_owned());
    }
    ctx.set_fonts(fonts);
}
