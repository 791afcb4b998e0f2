//! Contrast: every colour the app draws text in, on every background it draws text on, in
//! both themes, reaches WCAG AA's 4.5:1. The colours are read from the styles the running
//! app installed, and the ratios are computed here with WCAG 2's formula (relative luminance
//! of linearised sRGB), independently of the app's code.

use egui::{Color32, Theme, Visuals};
use fxconfig::app::theme::{self, Tone};

use crate::app::harness::TestApp;

/// WCAG AA for normal text.
const AA: f32 = 4.5;

/// The relative luminance of an opaque colour.
fn luminance(color: Color32) -> f32 {
    let linear = |channel: u8| {
        let c = f32::from(channel) / 255.0;
        if c <= 0.04045 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    };
    0.2126 * linear(color.r()) + 0.7152 * linear(color.g()) + 0.0722 * linear(color.b())
}

/// `color` drawn over the opaque `background` (egui's colours are premultiplied).
fn over(color: Color32, background: Color32) -> Color32 {
    let alpha = f32::from(color.a()) / 255.0;
    let mix = |top: u8, bottom: u8| {
        (f32::from(top) + f32::from(bottom) * (1.0 - alpha))
            .round()
            .clamp(0.0, 255.0) as u8
    };
    Color32::from_rgb(
        mix(color.r(), background.r()),
        mix(color.g(), background.g()),
        mix(color.b(), background.b()),
    )
}

/// The WCAG contrast ratio of text `fg` on `bg` (both drawn over the panel).
fn ratio(fg: Color32, bg: Color32) -> f32 {
    let (a, b) = (luminance(fg), luminance(bg));
    let (light, dark) = if a > b { (a, b) } else { (b, a) };
    (light + 0.05) / (dark + 0.05)
}

/// Every pair of text colour and background the app draws.
fn pairs(visuals: &Visuals) -> Vec<(String, Color32, &'static str, Color32)> {
    let panel = visuals.panel_fill;
    let backgrounds = [
        ("panel", panel),
        ("window", visuals.window_fill),
        ("input", over(visuals.text_edit_bg_color(), panel)),
        ("striped row", over(visuals.faint_bg_color, panel)),
        ("code", over(visuals.code_bg_color, panel)),
    ];
    let mut texts: Vec<(String, Color32)> = vec![
        ("text".to_owned(), visuals.text_color()),
        ("strong text".to_owned(), visuals.strong_text_color()),
        ("weak text and hints".to_owned(), visuals.weak_text_color()),
        ("link".to_owned(), visuals.hyperlink_color),
        ("warning".to_owned(), visuals.warn_fg_color),
        ("error".to_owned(), visuals.error_fg_color),
    ];
    for tone in Tone::ALL {
        texts.push((
            format!("{} {}", tone.symbol(), tone.word()),
            theme::tone_color(visuals, tone),
        ));
    }
    let mut pairs = Vec::new();
    for (name, color) in texts {
        for (background, fill) in backgrounds {
            pairs.push((name.clone(), over(color, fill), background, fill));
        }
    }
    let widgets = &visuals.widgets;
    for (state, widget) in [
        ("button", widgets.inactive),
        ("hovered button", widgets.hovered),
        ("pressed button", widgets.active),
        ("open menu", widgets.open),
    ] {
        let fill = over(widget.weak_bg_fill, panel);
        pairs.push((format!("{state} text"), over(widget.fg_stroke.color, fill), state, fill));
    }
    let selected = over(visuals.selection.bg_fill, panel);
    pairs.push((
        "selected item text".to_owned(),
        visuals.selection.stroke.color,
        "selection",
        selected,
    ));
    pairs
}

#[test]
fn every_text_colour_reaches_4_5_to_1_in_both_themes() {
    let app = TestApp::start(None);
    let mut failures = Vec::new();
    for theme in [Theme::Light, Theme::Dark] {
        let style = app.harness.ctx.style_of(theme);
        let visuals = &style.visuals;
        assert_eq!(visuals.dark_mode, theme == Theme::Dark);
        eprintln!("{theme:?} theme:");
        let mut lowest: Option<(f32, String)> = None;
        for (text, fg, background, bg) in pairs(visuals) {
            let contrast = ratio(fg, bg);
            if (text.contains("PASS")
                || text.contains("WARN")
                || text.contains("FAIL")
                || text.contains("SKIP")
                || text.contains("INFO")
                || text == "text"
                || text.starts_with("weak"))
                && background == "panel"
            {
                eprintln!("  {text:<22} {fg:?} on {background} {bg:?}: {contrast:.2}:1");
            }
            if lowest.as_ref().is_none_or(|(low, _)| contrast < *low) {
                lowest = Some((contrast, format!("{text} on {background}")));
            }
            if contrast < AA {
                failures.push(format!("{theme:?}: {text} on {background}: {contrast:.2}:1"));
            }
        }
        if let Some((low, what)) = lowest {
            eprintln!("  lowest: {what}, {low:.2}:1");
        }
    }
    assert!(failures.is_empty(), "below 4.5:1:\n{}", failures.join("\n"));
}

#[test]
fn the_ratio_formula_matches_known_values() {
    // Black on white is 21:1, a colour on itself 1:1, and #777 on white the classic 4.48:1.
    assert!((ratio(Color32::BLACK, Color32::WHITE) - 21.0).abs() < 0.01);
    assert!((ratio(Color32::from_gray(200), Color32::from_gray(200)) - 1.0).abs() < 0.001);
    assert!((ratio(Color32::from_gray(0x77), Color32::WHITE) - 4.48).abs() < 0.01);
    // Egui's default warning orange on its light panel, as measured in the issue: 2.8:1.
    assert!((ratio(Color32::from_rgb(255, 100, 0), Color32::from_gray(248)) - 2.8).abs() < 0.1);
}
