//! The app's two palettes and the marks that carry meaning: check statuses, validation
//! severities, diff lines. Every status is told by a symbol and a word as well as its
//! colour, and every colour that draws text reaches the WCAG AA contrast of 4.5:1 on the
//! backgrounds it is drawn on, in both themes (the app tests compute the ratios from the
//! colours installed here).

use egui::{Color32, Stroke, Theme, Visuals};

use crate::cfg::Severity;
use crate::doctor::Status;

use super::diff::LineChange;

/// The marker shown next to the open file while it has unsaved changes (drawn in the
/// monospace font, which has the glyph).
pub const UNSAVED_MARK: &str = "●";

/// How a result is shown: the doctor's four statuses, and information (a warning that is
/// expected where it appears, such as the demo's configuration not being the library's).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Tone {
    /// Works.
    Pass,
    /// Works, but deserves attention.
    Warn,
    /// Broken.
    Fail,
    /// Not run, not applicable, or to be checked by hand.
    Skip,
    /// Expected here; for information only.
    Info,
}

impl Tone {
    /// Every tone.
    pub const ALL: [Tone; 5] = [Tone::Pass, Tone::Warn, Tone::Fail, Tone::Skip, Tone::Info];

    /// The symbol drawn before the word: ✔ ⚠ ✖ ○ ℹ.
    pub fn symbol(self) -> &'static str {
        match self {
            Tone::Pass => "✔",
            Tone::Warn => "⚠",
            Tone::Fail => "✖",
            Tone::Skip => "○",
            Tone::Info => "ℹ",
        }
    }

    /// The word, such as `FAIL`.
    pub fn word(self) -> &'static str {
        match self {
            Tone::Pass => "PASS",
            Tone::Warn => "WARN",
            Tone::Fail => "FAIL",
            Tone::Skip => "SKIP",
            Tone::Info => "INFO",
        }
    }

    /// Whether it asks for the user's attention (a failure or a warning).
    pub fn is_problem(self) -> bool {
        matches!(self, Tone::Fail | Tone::Warn)
    }
}

impl From<Status> for Tone {
    fn from(status: Status) -> Tone {
        match status {
            Status::Pass => Tone::Pass,
            Status::Warn => Tone::Warn,
            Status::Fail => Tone::Fail,
            Status::Skip => Tone::Skip,
        }
    }
}

/// The colours of one theme beyond egui's own fields.
struct Palette {
    text: Color32,
    weak: Color32,
    pass: Color32,
    warn: Color32,
    fail: Color32,
    info: Color32,
    link: Color32,
}

const LIGHT: Palette = Palette {
    text: Color32::from_gray(40),
    weak: Color32::from_gray(92),
    pass: Color32::from_rgb(0x1a, 0x6e, 0x34),
    warn: Color32::from_rgb(0x9a, 0x48, 0x00),
    fail: Color32::from_rgb(0xb3, 0x14, 0x14),
    info: Color32::from_rgb(0x1c, 0x56, 0x9e),
    link: Color32::from_rgb(0x0a, 0x55, 0xa8),
};

const DARK: Palette = Palette {
    text: Color32::from_gray(205),
    weak: Color32::from_gray(158),
    pass: Color32::from_rgb(0x6c, 0xd4, 0x8a),
    warn: Color32::from_rgb(0xff, 0xa6, 0x3d),
    fail: Color32::from_rgb(0xff, 0x7b, 0x72),
    info: Color32::from_rgb(0x79, 0xb8, 0xff),
    link: Color32::from_rgb(0x79, 0xb8, 0xff),
};

fn palette(visuals: &Visuals) -> &'static Palette {
    if visuals.dark_mode { &DARK } else { &LIGHT }
}

/// The visuals the app installs for `theme`: egui's, with text, status and link colours
/// that reach 4.5:1 on the panel, window, input and code backgrounds, and a steady text
/// cursor.
pub fn visuals(theme: Theme) -> Visuals {
    let (mut visuals, palette) = match theme {
        Theme::Light => (Visuals::light(), &LIGHT),
        Theme::Dark => (Visuals::dark(), &DARK),
    };
    visuals.widgets.noninteractive.fg_stroke = Stroke::new(1.0, palette.text);
    visuals.weak_text_color = Some(palette.weak);
    visuals.warn_fg_color = palette.warn;
    visuals.error_fg_color = palette.fail;
    visuals.hyperlink_color = palette.link;
    // A blinking cursor redraws the window twice a second while a field has the focus, and
    // the first field takes it on entry: under software rendering that kept an idle window
    // at about 15% of a core.
    visuals.text_cursor.blink = false;
    if theme == Theme::Dark {
        visuals.code_bg_color = Color32::from_gray(40);
        visuals.widgets.inactive.fg_stroke = Stroke::new(1.0, Color32::from_gray(225));
    } else {
        visuals.widgets.inactive.fg_stroke = Stroke::new(1.0, Color32::from_gray(30));
    }
    visuals
}

/// Installs both palettes and the fonts.
pub fn install(ctx: &egui::Context) {
    for theme in [Theme::Light, Theme::Dark] {
        ctx.set_visuals_of(theme, visuals(theme));
    }
    install_fonts(ctx);
}

/// The colour of a tone.
pub fn tone_color(visuals: &Visuals, tone: Tone) -> Color32 {
    let palette = palette(visuals);
    match tone {
        Tone::Pass => palette.pass,
        Tone::Warn => visuals.warn_fg_color,
        Tone::Fail => visuals.error_fg_color,
        Tone::Skip => visuals.weak_text_color(),
        Tone::Info => palette.info,
    }
}

/// The colour of a passing check, readable on the theme's background.
pub fn pass_color(visuals: &Visuals) -> Color32 {
    tone_color(visuals, Tone::Pass)
}

/// The colour of a validation finding.
pub fn severity_color(visuals: &Visuals, severity: Severity) -> Color32 {
    match severity {
        Severity::Error => visuals.error_fg_color,
        Severity::Warning => visuals.warn_fg_color,
    }
}

/// The symbol of a validation finding.
pub fn severity_symbol(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => Tone::Fail.symbol(),
        Severity::Warning => Tone::Warn.symbol(),
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
