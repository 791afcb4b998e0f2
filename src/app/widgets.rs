//! Small widgets shared by the screens. Each input is tied to its visible label for
//! AccessKit (screen readers, and tests that find widgets by label).
//!
//! Text that came from outside (a certificate, a module, the network, a file) is shown
//! through [`crate::display::escape`]: a control or bidirectional character is drawn as a
//! visible escape such as `\x1b` or `\u{202e}`.

use egui::text::LayoutJob;
use egui::{Color32, FontId, Id, Response, RichText, TextFormat, TextStyle, Ui};

use crate::display::{escape, escape_lines};
use crate::doctor::{CheckId, CheckResult};
use crate::identity::{CertInfo, Validity};

use super::model::Problem;
use super::theme::{self, Tone};

/// A labelled one-line text input; the label names the input for AccessKit. `hint` is an
/// example shown in the weak hint style while the input is empty ("e.g. …").
pub fn text_input(ui: &mut Ui, label: &str, hint: &str, buffer: &mut String, id: Id, password: bool) -> Response {
    let label_response = ui.label(label);
    let width = ui.available_width().min(420.0);
    ui.add(
        egui::TextEdit::singleline(buffer)
            .id(id)
            .hint_text(hint_text(hint))
            .password(password)
            .desired_width(width),
    )
    .labelled_by(label_response.id)
}

/// An example value as an input's hint: "e.g. 10.0.8.20", in italics and the weak colour, so
/// that it cannot be taken for a value.
pub fn hint_text(example: &str) -> RichText {
    if example.is_empty() {
        RichText::new("")
    } else {
        RichText::new(format!("e.g. {example}")).italics()
    }
}

/// What a [`path_field`] was asked to do this frame.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PathFieldAction {
    /// The text changed.
    pub changed: bool,
    /// Enter was pressed in the field, or its action button clicked: use the path typed.
    pub submitted: bool,
    /// Browse… was clicked.
    pub browse: bool,
}

/// A labelled, editable path with Browse… beside it and, when `action` is given, a button that
/// uses the typed path (Enter in the field does the same). The field takes the width the
/// buttons leave, so the row fits any window from 760 px up.
pub fn path_field(
    ui: &mut Ui,
    field: PathFieldSpec<'_>,
    buffer: &mut String,
    focus: Option<&FocusTarget>,
) -> (PathFieldAction, Response) {
    let label = ui.label(field.label);
    let mut action = PathFieldAction::default();
    let mut field_response = None;
    ui.horizontal(|ui| {
        let spacing = ui.spacing().item_spacing.x;
        let button_width = |ui: &Ui, text: &str| {
            let galley = ui.painter().layout_no_wrap(
                text.to_owned(),
                egui::TextStyle::Button.resolve(ui.style()),
                Color32::WHITE,
            );
            galley.size().x + 2.0 * ui.spacing().button_padding.x + spacing
        };
        let mut reserved = button_width(ui, "Browse…");
        if let Some(text) = field.action {
            reserved += button_width(ui, text);
        }
        let width = (ui.available_width() - reserved - 4.0).clamp(120.0, 520.0);
        let response = ui
            .add(
                egui::TextEdit::singleline(buffer)
                    .id(field.id)
                    .hint_text(hint_text(field.hint))
                    .desired_width(width),
            )
            .labelled_by(label.id);
        apply_focus(focus, &response, field.entry);
        action.changed = response.changed();
        if response.lost_focus() && ui.input(|input| input.key_pressed(egui::Key::Enter)) && !buffer.trim().is_empty() {
            action.submitted = true;
        }
        if ui
            .add_enabled(field.browse_enabled, egui::Button::new("Browse…"))
            .on_hover_text(field.browse_hint)
            .accessible_name(format!("Browse… ({})", field.label))
            .clicked()
        {
            action.browse = true;
        }
        if let Some(text) = field.action
            && ui
                .add_enabled(!buffer.trim().is_empty(), egui::Button::new(text))
                .on_hover_text("Use the path typed in the field (Enter)")
                .accessible_name(format!("{text} ({})", field.label))
                .clicked()
        {
            action.submitted = true;
        }
        field_response = Some(response);
    });
    let response = field_response.unwrap_or(label);
    (action, response)
}

/// How a [`path_field`] looks.
#[derive(Clone, Copy, Debug)]
pub struct PathFieldSpec<'a> {
    /// The label above the field.
    pub label: &'a str,
    /// An example path for the hint.
    pub hint: &'a str,
    /// The field's id (a focus target).
    pub id: Id,
    /// The text of the button that uses the typed path, if any.
    pub action: Option<&'a str>,
    /// Whether Browse… can be clicked (not while another dialog is open).
    pub browse_enabled: bool,
    /// Browse…'s tooltip.
    pub browse_hint: &'a str,
    /// Whether this field is the screen's first control, focused on entry.
    pub entry: bool,
}

/// Where the keyboard focus should go this frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FocusTarget {
    /// The screen's first control (on entering a screen, or F6).
    Entry,
    /// This widget (a path field after a file dialog could not open).
    Widget(Id),
}

/// Gives `response` the keyboard focus, and scrolls it into view, when `focus` asks for it.
pub fn apply_focus(focus: Option<&FocusTarget>, response: &Response, is_entry: bool) {
    let wanted = match focus {
        Some(FocusTarget::Entry) => is_entry,
        Some(FocusTarget::Widget(id)) => *id == response.id,
        None => false,
    };
    if wanted {
        response.request_focus();
        response.scroll_to_me(Some(egui::Align::Center));
    }
}

/// `count` and the noun, singular or plural: "1 check", "2 checks".
pub fn plural(count: usize, singular: &str, plural: &str) -> String {
    if count == 1 {
        format!("1 {singular}")
    } else {
        format!("{count} {plural}")
    }
}

/// A problem: its message with the failure symbol in the error colour, then what to do
/// under a coloured label, in normal text.
pub fn problem(ui: &mut Ui, problem: &Problem) {
    let color = ui.visuals().error_fg_color;
    ui.add(
        egui::Label::new(
            RichText::new(format!(
                "{} {}",
                theme::Tone::Fail.symbol(),
                escape_lines(&problem.message)
            ))
            .color(color),
        )
        .wrap(),
    );
    if !problem.remedy.is_empty() {
        remedy(ui, Tone::Fail, &problem.remedy, None);
    }
}

/// "What to do:" in the tone's colour, then the remedy in normal text, focusable for the
/// keyboard and announced whole by AccessKit. `salt` makes its id unique when given.
pub fn remedy(ui: &mut Ui, tone: Tone, text: &str, salt: Option<&str>) -> Response {
    let label_color = theme::tone_color(ui.visuals(), tone);
    let text_color = ui.visuals().text_color();
    let mut job = LayoutJob::default();
    let body = TextStyle::Body.resolve(ui.style());
    job.append(
        "What to do: ",
        0.0,
        TextFormat {
            font_id: body.clone(),
            color: label_color,
            underline: egui::Stroke::NONE,
            ..TextFormat::default()
        },
    );
    let text = escape_lines(text);
    job.append(&text, 0.0, TextFormat::simple(body, text_color));
    job.wrap = egui::text::TextWrapping {
        max_width: ui.available_width(),
        ..Default::default()
    };
    let response = ui.add(egui::Label::new(job).wrap());
    let id = ui.scope_id().with(("remedy", salt.unwrap_or(&text)));
    focusable(ui, response.rect, id, &format!("What to do: {text}"))
}

/// Makes `rect` a keyboard stop announced as `label` (the widgets in it stay as they are),
/// drawing the focus ring while it has the focus. Focused by Tab, it scrolls into view.
pub fn focusable(ui: &mut Ui, rect: egui::Rect, id: Id, label: &str) -> Response {
    let response = ui.interact(rect, id, egui::Sense::focusable_noninteractive());
    let label = label.to_owned();
    response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Paragraph, true, &label));
    if response.has_focus() {
        let stroke = ui.visuals().selection.stroke;
        ui.painter()
            .rect_stroke(rect.expand(2.0), 3.0, stroke, egui::StrokeKind::Outside);
    }
    if response.gained_focus() {
        response.scroll_to_me(None);
    }
    response
}

/// A success message with the pass symbol, in the pass colour (escaped: it often names what
/// was found).
pub fn success(ui: &mut Ui, text: &str) {
    toned(ui, Tone::Pass, text);
}

/// A line in a tone's colour with its symbol (escaped).
pub fn toned(ui: &mut Ui, tone: Tone, text: &str) -> Response {
    let color = theme::tone_color(ui.visuals(), tone);
    let text = format!("{} {}", tone.symbol(), escape_lines(text));
    ui.add(egui::Label::new(RichText::new(text).color(color)).wrap())
}

/// The text of a check's status line, such as
/// `"FAIL — KMES server certificate (tls.server_cert, 12 ms)"`.
pub fn check_line_text(result: &CheckResult, tone: Tone) -> String {
    format!(
        "{} — {} ({}, {} ms)",
        tone.word(),
        result.title,
        result.id.as_str(),
        result.ms
    )
}

/// One check result: its symbol and status line, what was found, and the remedy with its
/// guide section. The row is a keyboard stop announced whole; so is its remedy.
pub fn check_row(ui: &mut Ui, result: &CheckResult, tone: Tone) -> Response {
    let visuals = ui.visuals().clone();
    let color = theme::tone_color(&visuals, tone);
    let top = ui.cursor().min;
    let mut job = LayoutJob::default();
    let body = TextStyle::Body.resolve(ui.style());
    job.append(
        &format!("{} ", tone.symbol()),
        0.0,
        TextFormat::simple(body.clone(), color),
    );
    job.append(
        &format!("{} — ", tone.word()),
        0.0,
        TextFormat::simple(FontId::new(body.size, body.family.clone()), color),
    );
    job.append(
        &format!("{} ({}, {} ms)", result.title, result.id.as_str(), result.ms),
        0.0,
        TextFormat::simple(body, visuals.strong_text_color()),
    );
    job.wrap = egui::text::TextWrapping {
        max_width: ui.available_width(),
        ..Default::default()
    };
    ui.add(egui::Label::new(job).wrap());
    let mut remedy_text = String::new();
    ui.indent(("check", result.id.as_str()), |ui| {
        if !result.detail.is_empty() {
            ui.add(egui::Label::new(escape_lines(&result.detail)).wrap());
        }
        if let Some(raw) = &result.raw {
            ui.add(egui::Label::new(RichText::new(format!("Answer: {raw}")).monospace()).wrap());
        }
        if !result.remedy.is_empty() && tone != Tone::Info {
            remedy_text = citing(&result.remedy, result.guide);
            remedy(ui, tone, &remedy_text, Some(result.id.as_str()));
        } else if !result.remedy.is_empty() {
            ui.add(egui::Label::new(escape_lines(&result.remedy)).wrap());
        }
    });
    let rect = egui::Rect::from_min_max(top, egui::pos2(ui.max_rect().right(), ui.min_rect().bottom()));
    let mut label = format!("{} {}", tone.symbol(), check_line_text(result, tone));
    if !result.detail.is_empty() {
        label.push_str(". ");
        label.push_str(&escape_lines(&result.detail));
    }
    focusable(ui, rect, Id::unique(("check-row", result.id.as_str())), &label)
}

/// The remedy with its guide section appended, unless it already cites one (often a more
/// precise one than the check's).
pub fn citing(remedy: &str, guide: &str) -> String {
    if guide.is_empty() || cites_a_section(remedy) {
        remedy.to_owned()
    } else {
        format!("{remedy} [{guide}]")
    }
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

/// How often the busy indicator moves, and a wait's elapsed time with it: once a second, so
/// that waiting on the network costs little drawing (software renderers, such as lavapipe
/// over RDP or in a VM, draw the whole window each frame).
pub const BUSY_TICK: std::time::Duration = std::time::Duration::from_secs(1);

/// A small moving mark that says work is in progress; asks for its next frame after
/// [`BUSY_TICK`] instead of continuously, so a wait repaints once a second.
pub fn busy(ui: &mut Ui) {
    let phase = (ui.input(|input| input.time) / BUSY_TICK.as_secs_f64()) as usize % 3;
    let mark = ["•··", "·•·", "··•"][phase];
    ui.label(RichText::new(mark).monospace().strong())
        .accessible_name("Working");
    ui.ctx().request_repaint_after(BUSY_TICK);
}

/// A check without a result yet: running now, or waiting for its turn.
pub fn pending_row(ui: &mut Ui, id: CheckId) {
    ui.weak(format!(
        "{} Not run — {} ({})",
        Tone::Skip.symbol(),
        id.title(),
        id.as_str()
    ));
}

/// Shortens a path in the middle ("/tmp/fx…/fxpkcs11.cfg") so that it fits `max_width` in
/// `font`: the file name is kept whole when it fits, with as much of the start as fits.
pub fn shorten_middle(ui: &Ui, text: &str, font: &FontId, max_width: f32) -> String {
    let width = |candidate: &str| {
        ui.painter()
            .layout_no_wrap(candidate.to_owned(), font.clone(), Color32::WHITE)
            .size()
            .x
    };
    if width(text) <= max_width {
        return text.to_owned();
    }
    let chars: Vec<char> = text.chars().collect();
    let name_start = text.rfind(['/', '\\']).map_or(0, |byte| text[..byte].chars().count());
    let tail_len = chars.len() - name_start;
    let compose = |head: usize, tail: usize| {
        let mut out: String = chars[..head].iter().collect();
        out.push('…');
        out.extend(&chars[chars.len() - tail..]);
        out
    };
    // The longest start that fits before "…/name"; else the file name shortened too.
    let longest = |tail: usize| {
        let (mut low, mut high) = (0usize, chars.len() - tail);
        while low < high {
            let middle = (low + high).div_ceil(2);
            if width(&compose(middle, tail)) <= max_width {
                low = middle;
            } else {
                high = middle - 1;
            }
        }
        low
    };
    if width(&compose(0, tail_len)) <= max_width {
        return compose(longest(tail_len), tail_len);
    }
    let (mut low, mut high) = (0usize, tail_len);
    while low < high {
        let middle = (low + high).div_ceil(2);
        if width(&compose(0, middle)) <= max_width {
            low = middle;
        } else {
            high = middle - 1;
        }
    }
    compose(0, low)
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
    let (tone, text) = match cert.validity_at(now_unix) {
        Validity::Valid { days_left } if days_left < 30 => (Tone::Warn, format!("{days_left} days left")),
        Validity::Valid { days_left } => (Tone::Pass, format!("{days_left} days left")),
        Validity::Expired { days_ago } => (Tone::Fail, format!("expired {days_ago} days ago")),
        Validity::NotYetValid { days_until } => (Tone::Fail, format!("not valid for {days_until} more days")),
    };
    (format!("{} {text}", tone.symbol()), theme::tone_color(visuals, tone))
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

/// "⚠ Out of date: since this run, …": a result whose inputs changed after it was made,
/// in the warning colour and as a keyboard stop. Nothing when `changes` is empty.
pub fn out_of_date(ui: &mut Ui, changes: &[String]) {
    if changes.is_empty() {
        return;
    }
    let text = format!(
        "{} Out of date: since this run, {}. Run it again for a current verdict.",
        super::theme::Tone::Warn.symbol(),
        changes.join("; ")
    );
    let label = ui.add(egui::Label::new(RichText::new(&text).color(ui.visuals().warn_fg_color)).wrap());
    focusable(ui, label.rect, ui.scope_id().with("out-of-date"), &text);
}

/// A notice above the screen: a frame in the tone's colour, its symbol, and its contents.
pub fn notice_frame(ui: &mut Ui, tone: Tone, add_contents: impl FnOnce(&mut Ui)) {
    let color = super::theme::tone_color(ui.visuals(), tone);
    egui::Frame::group(ui.style())
        .stroke(egui::Stroke::new(1.5, color))
        .show(ui, |ui| {
            ui.set_width(ui.available_width());
            ui.horizontal_top(|ui| {
                ui.label(RichText::new(tone.symbol()).color(color).size(18.0));
                ui.vertical(add_contents);
            });
        });
    ui.add_space(4.0);
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
