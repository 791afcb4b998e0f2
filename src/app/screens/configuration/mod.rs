//! The Configuration screen: a typed form per section, the other entries as raw values,
//! the file's problems with their line numbers, and a raw-text view of the whole file.

mod empty;

use std::collections::{HashMap, HashSet};

use egui::{Id, RichText, Ui};
use zeroize::Zeroizing;

use crate::cfg::{self, FieldKind, FieldSpec, KNOWN_FIELDS, SECTION_CONFIG, SECTION_KMS};
use crate::display::escape;

use super::super::command::Command;
use super::super::dialogs::DialogPurpose;
use super::super::diff::mask_secret_line;
use super::super::model::CopySource;
use super::super::theme::{self, Tone};
use super::super::widgets;
use super::ScreenContext;
use crate::app::features::document::DocumentCommand;
use crate::app::features::document::OpenDocument;
use crate::app::features::install::InstallCommand;
use empty::show_empty;

/// Which view of the file is shown.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ConfigTab {
    /// The typed form.
    #[default]
    Form,
    /// The whole file as text.
    RawText,
}

/// The widget state of the Configuration screen: what is being typed, and what is shown.
#[derive(Default)]
pub struct ConfigView {
    /// The text of each input, by `section/tag`, kept while it is being typed.
    buffers: HashMap<String, Zeroizing<String>>,
    /// The password fields shown in clear.
    revealed: HashSet<String>,
    /// The tab.
    pub tab: ConfigTab,
    /// The raw-text editor's text.
    raw: Zeroizing<String>,
    /// Whether the raw text is shown with passwords, editable.
    raw_editable: bool,
    /// The first-run screen's path to open, as typed.
    open_path: String,
}

impl ConfigView {
    /// Forgets what was typed (another file was opened).
    pub fn reset(&mut self) {
        self.buffers.clear();
        self.revealed.clear();
        self.raw = Zeroizing::new(String::new());
        self.raw_editable = false;
    }
}

/// Draws the screen.
pub fn show(ui: &mut Ui, cx: &ScreenContext<'_>, view: &mut ConfigView, out: &mut Vec<Command>) {
    ui.heading("Configuration");
    let Some(doc) = cx.doc else {
        show_empty(ui, cx, view, out);
        return;
    };
    show_location(ui, doc, out);
    ui.add_space(6.0);
    ui.horizontal(|ui| {
        ui.selectable_value(&mut view.tab, ConfigTab::Form, "Form");
        ui.selectable_value(&mut view.tab, ConfigTab::RawText, "Raw text");
    });
    ui.separator();
    let enabled = !cx.saving;
    ui.add_enabled_ui(enabled, |ui| match view.tab {
        ConfigTab::Form => show_form(ui, cx, doc, view, out),
        ConfigTab::RawText => show_raw(ui, doc, view, out),
    });
}

/// The id of the first-run screen's "open an existing one" path field.
pub fn open_field_id() -> Id {
    Id::unique("open-config-path")
}

/// The id of the form's input for `tag`, when the form has one.
pub fn field_id(tag: &str) -> Option<Id> {
    cfg::field_spec(tag).map(form_field_id)
}

fn form_field_id(spec: &FieldSpec) -> Id {
    Id::unique(("field", spec.section, spec.tag))
}

/// Which file the library reads; when it is another one, an offer to open it, or to copy
/// this configuration there (after a preview of the difference and a note on permissions).
fn show_location(ui: &mut Ui, doc: &OpenDocument, out: &mut Vec<Command>) {
    if doc.is_library_file {
        widgets::success(
            ui,
            &format!(
                "This is the file the PKCS#11 library reads ({}).",
                doc.library.source.describe()
            ),
        );
        return;
    }
    if let Some(message) = &doc.mismatch {
        widgets::toned(ui, Tone::Warn, &capitalise(message));
    }
    let library = doc.library.path.clone();
    ui.horizontal_wrapped(|ui| {
        if doc.library_exists && ui.button(format!("Open {}", library.display())).clicked() {
            out.push(DocumentCommand::Open(library.clone()).into());
        }
        if ui
            .button(format!("Copy this configuration to {}…", library.display()))
            .on_hover_text("Shows the difference and who may read it before writing anything")
            .clicked()
        {
            out.push(
                InstallCommand::PrepareCopy {
                    source: CopySource::OpenDocument,
                    target: library,
                }
                .into(),
            );
        }
    });
}

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// The width from which the form puts labels beside their inputs instead of above them.
const TWO_COLUMN_WIDTH: f32 = 600.0;

fn show_form(ui: &mut Ui, cx: &ScreenContext<'_>, doc: &OpenDocument, view: &mut ConfigView, out: &mut Vec<Command>) {
    show_summary(ui, doc);
    let two_columns = ui.available_width() >= TWO_COLUMN_WIDTH;
    let first = KNOWN_FIELDS
        .iter()
        .find(|spec| spec.section == SECTION_KMS)
        .map(|spec| spec.tag);
    for (section, heading) in [
        (SECTION_KMS, "<KMS> — the connection to the KMES"),
        (SECTION_CONFIG, "<CONFIG> — the library's behaviour"),
    ] {
        ui.add_space(8.0);
        ui.label(RichText::new(heading).strong().size(16.0));
        let specs = KNOWN_FIELDS.iter().filter(|spec| spec.section == section);
        if two_columns {
            egui::Grid::new(("form", section))
                .num_columns(2)
                .spacing([16.0, 8.0])
                .min_col_width(150.0)
                .show(ui, |ui| {
                    for spec in specs {
                        field_row(ui, cx, doc, spec, view, out, first == Some(spec.tag));
                        ui.end_row();
                    }
                });
        } else {
            for spec in specs {
                field_row(ui, cx, doc, spec, view, out, first == Some(spec.tag));
                ui.add_space(6.0);
            }
        }
    }
    show_other_entries(ui, doc, view, out);
}

/// The counts of errors and warnings, and the findings that belong to no field of the form.
fn show_summary(ui: &mut Ui, doc: &OpenDocument) {
    if doc.findings_revision.is_none() {
        ui.horizontal(|ui| {
            widgets::busy(ui);
            ui.label("Checking the file…");
        });
        return;
    }
    let errors = doc
        .findings
        .iter()
        .filter(|f| f.severity == cfg::Severity::Error)
        .count();
    let warnings = doc.findings.len() - errors;
    if errors + warnings == 0 {
        widgets::success(ui, "No problems found in this file.");
    } else {
        let plural = |count: usize, word: &str| {
            if count == 1 {
                format!("1 {word}")
            } else {
                format!("{count} {word}s")
            }
        };
        ui.label(format!(
            "This file has {} and {}.",
            plural(errors, "error"),
            plural(warnings, "warning")
        ));
    }
    let shown_inline = |tag: &str| cfg::field_spec(tag).is_some();
    for finding in doc
        .findings
        .iter()
        .filter(|f| !f.tag.as_deref().is_some_and(shown_inline))
    {
        finding_line(ui, finding);
    }
}

fn field_row(
    ui: &mut Ui,
    cx: &ScreenContext<'_>,
    doc: &OpenDocument,
    spec: &FieldSpec,
    view: &mut ConfigView,
    out: &mut Vec<Command>,
    first: bool,
) {
    let entry = doc
        .file
        .doc
        .get(Some(spec.section), spec.tag)
        .or_else(|| doc.file.doc.get(None, spec.tag));
    let section = entry.as_ref().and_then(|e| e.section.clone());
    let current = entry.as_ref().map(|e| e.value.clone()).unwrap_or_default();
    let hover = format!("{}\n<{}> [{}]", spec.help, spec.tag, spec.guide);
    // The label sits level with its field at the top of the row (the tag and line number go
    // below the field), not centred on both.
    let label = ui
        .with_layout(egui::Layout::top_down(egui::Align::Min), |ui| {
            ui.add_space(3.0);
            ui.label(spec.label).on_hover_text(&hover)
        })
        .inner;
    ui.vertical(|ui| {
        ui.horizontal(|ui| match spec.kind {
            FieldKind::YesNo => {
                let parsed = cfg::parse_yes_no(&current);
                let mut checked = parsed.unwrap_or(false);
                let text = match (parsed, entry.is_some()) {
                    (Some(true), _) => "YES",
                    (Some(false), _) => "NO",
                    (None, true) => "neither YES nor NO",
                    (None, false) => "not set",
                };
                let response = ui
                    .checkbox(&mut checked, text)
                    .labelled_by(label.id)
                    .on_hover_text(&hover);
                widgets::apply_focus(cx.focus, &response, first);
                if response.changed() {
                    out.push(set_field(section.clone(), spec.tag, if checked { "YES" } else { "NO" }));
                }
            }
            kind => {
                let key = format!("{}/{}", spec.section, spec.tag);
                let id = form_field_id(spec);
                let secret = kind == FieldKind::Secret;
                let revealed = view.revealed.contains(&key);
                let buffer = sync_buffer(ui, &mut view.buffers, &key, id, &current);
                let reserve = match kind {
                    FieldKind::Secret => 64.0,
                    FieldKind::Path => 84.0,
                    _ => 0.0,
                };
                let width = (ui.available_width() - reserve).clamp(120.0, 320.0);
                let response = ui
                    .add(
                        egui::TextEdit::singleline(&mut **buffer)
                            .id(id)
                            .password(secret && !revealed)
                            .hint_text(widgets::hint_text(hint(spec)))
                            .desired_width(width),
                    )
                    .labelled_by(label.id)
                    .on_hover_text(&hover);
                widgets::apply_focus(cx.focus, &response, first);
                if response.changed() {
                    if matches!(kind, FieldKind::Port | FieldKind::Number) {
                        buffer.retain(|c| c.is_ascii_digit());
                    }
                    if buffer.trim() != current {
                        out.push(set_field(section.clone(), spec.tag, buffer.trim()));
                    }
                }
                if secret {
                    let mut show = revealed;
                    if ui
                        .toggle_value(&mut show, if revealed { "Hide" } else { "Show" })
                        .on_hover_text(format!("Show or hide the {}", spec.label))
                        .accessible_name(format!("{} the {}", if revealed { "Hide" } else { "Show" }, spec.label))
                        .changed()
                    {
                        if show {
                            view.revealed.insert(key);
                        } else {
                            view.revealed.remove(&key);
                        }
                    }
                } else if kind == FieldKind::Path
                    && ui
                        .button("Browse…")
                        .on_hover_text(spec.help)
                        .accessible_name(format!("Browse… ({})", spec.label))
                        .clicked()
                {
                    out.push(Command::Dialog(DialogPurpose::BrowseField(spec.tag.to_owned())));
                }
            }
        });
        if let Some(entry) = &entry {
            ui.weak(format!("<{}> line {}", entry.tag, entry.line));
        }
        for finding in doc.findings_for(spec.tag) {
            finding_line(ui, finding);
        }
    });
}

/// The example shown in an empty input, as a hint ("e.g. …"), never as a value.
fn hint(spec: &FieldSpec) -> &'static str {
    match spec.kind {
        FieldKind::Number => "0",
        FieldKind::Port => "2001",
        FieldKind::Host => "10.0.8.20",
        FieldKind::Path if spec.tag.eq_ignore_ascii_case("PROD-TLS-KEY") => "/usr/local/bin/fxpkcs11/export_pkcs12.p12",
        FieldKind::Path => "/usr/local/bin/fxpkcs11/root_cert.pem",
        FieldKind::Secret | FieldKind::Text | FieldKind::YesNo => "",
    }
}

/// A validation finding with its symbol, in its severity's colour.
fn finding_line(ui: &mut Ui, finding: &cfg::Finding) {
    let color = theme::severity_color(ui.visuals(), finding.severity);
    let text = format!(
        "{} {}",
        theme::severity_symbol(finding.severity),
        escape(&finding.to_string())
    );
    ui.add(egui::Label::new(RichText::new(text).color(color)).wrap());
}

fn set_field(section: Option<String>, tag: &str, value: &str) -> Command {
    DocumentCommand::SetField {
        section,
        tag: tag.to_owned(),
        value: Zeroizing::new(value.to_owned()),
    }
    .into()
}

/// The input's text: kept while the input has the focus, else the document's value.
fn sync_buffer<'a>(
    ui: &Ui,
    buffers: &'a mut HashMap<String, Zeroizing<String>>,
    key: &str,
    id: Id,
    current: &str,
) -> &'a mut Zeroizing<String> {
    let focused = ui.memory(|memory| memory.has_focus(id));
    let buffer = buffers.entry(key.to_owned()).or_default();
    if !focused && buffer.trim() != current {
        *buffer = Zeroizing::new(current.to_owned());
    }
    buffer
}

/// Entries the form does not cover: unknown tags, and known tags outside their section.
fn show_other_entries(ui: &mut Ui, doc: &OpenDocument, view: &mut ConfigView, out: &mut Vec<Command>) {
    let others: Vec<_> = doc
        .file
        .doc
        .entries()
        .into_iter()
        .filter(|entry| match cfg::field_spec(&entry.tag) {
            None => true,
            Some(spec) => !entry
                .section
                .as_deref()
                .is_some_and(|section| section.eq_ignore_ascii_case(spec.section)),
        })
        .collect();
    if others.is_empty() {
        return;
    }
    ui.add_space(8.0);
    ui.label(RichText::new("Other entries").strong().size(16.0));
    ui.weak("Tags this tool does not know, or known tags outside their section; edited as raw values.");
    egui::Grid::new("other-entries")
        .num_columns(2)
        .spacing([16.0, 8.0])
        .min_col_width(170.0)
        .show(ui, |ui| {
            for entry in others {
                let section = entry.section.clone().unwrap_or_default();
                let key = format!("{section}/{}@{}", entry.tag, entry.line);
                let id = Id::unique(("other", &key));
                let label_text = match &entry.section {
                    Some(section) => format!("<{}> in <{section}>, line {}", entry.tag, entry.line),
                    None => format!("<{}> outside any section, line {}", entry.tag, entry.line),
                };
                let label = ui.label(escape(&label_text).into_owned());
                ui.vertical(|ui| {
                    ui.horizontal(|ui| {
                        let secret = entry.is_secret();
                        let revealed = view.revealed.contains(&key);
                        let buffer = sync_buffer(ui, &mut view.buffers, &key, id, &entry.value);
                        let response = ui
                            .add(
                                egui::TextEdit::singleline(&mut **buffer)
                                    .id(id)
                                    .password(secret && !revealed)
                                    .desired_width(320.0),
                            )
                            .labelled_by(label.id);
                        if response.changed() && buffer.trim() != entry.value {
                            out.push(set_field(entry.section.clone(), &entry.tag, buffer.trim()));
                        }
                        if secret {
                            let mut show = revealed;
                            if ui
                                .toggle_value(&mut show, if revealed { "Hide" } else { "Show" })
                                .on_hover_text(format!("Show or hide the value of {}", entry.tag))
                                .accessible_name(format!(
                                    "{} the value of {}",
                                    if revealed { "Hide" } else { "Show" },
                                    entry.tag
                                ))
                                .changed()
                            {
                                if show {
                                    view.revealed.insert(key.clone());
                                } else {
                                    view.revealed.remove(&key);
                                }
                            }
                        }
                    });
                    for finding in doc.findings.iter().filter(|f| f.line == Some(entry.line)) {
                        finding_line(ui, finding);
                    }
                });
                ui.end_row();
            }
        });
}

/// The whole file: masked and read-only, or in clear and editable.
fn show_raw(ui: &mut Ui, doc: &OpenDocument, view: &mut ConfigView, out: &mut Vec<Command>) {
    ui.checkbox(&mut view.raw_editable, "Show passwords and edit the text")
        .on_hover_text("The file is shown with passwords masked until you tick this.");
    let bytes = Zeroizing::new(doc.file.doc.to_bytes());
    let text = Zeroizing::new(String::from_utf8_lossy(&bytes).into_owned());
    if !view.raw_editable {
        let masked: Vec<String> = text.lines().map(mask_secret_line).collect();
        egui::ScrollArea::vertical().id_salt("raw-masked").show(ui, |ui| {
            widgets::code_block(ui, &masked.join("\n"));
        });
        return;
    }
    let id = Id::unique("raw-text");
    let focused = ui.memory(|memory| memory.has_focus(id));
    if !focused && *view.raw != *text {
        view.raw = text.clone();
    }
    let label = ui.label("Raw text of the configuration");
    egui::ScrollArea::vertical().id_salt("raw-edit").show(ui, |ui| {
        let response = ui
            .add(
                egui::TextEdit::multiline(&mut *view.raw)
                    .id(id)
                    .code_editor()
                    .desired_width(f32::INFINITY)
                    .desired_rows(20),
            )
            .labelled_by(label.id);
        if response.changed() && *view.raw != *text {
            out.push(DocumentCommand::ReplaceText(view.raw.clone()).into());
        }
    });
}
