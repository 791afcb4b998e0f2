//! The frame around the screens: the top bar with the open file, its save state and the
//! Preferences and Help menus, the left navigation (hidden with Ctrl+B), the status bar,
//! the notices shown above every screen, the modal dialogs and the drop overlay.

use std::time::Instant;

use egui::{Align, FontId, Layout, RichText, Ui, ViewportCommand};

use super::command::Command;
use super::launch::FrameSample;
use super::prefs::ThemeChoice;
use super::screens::{self, Screen};
use super::theme::Tone;
use super::widgets;
use super::{APP_NAME, FxApp, theme};
use crate::app::features::document::DocumentCommand;
use crate::app::features::document::OpenDocument;
use crate::app::features::install::InstallCommand;
use crate::app::features::install::InstallHint;

/// The top bar's width from which the app's name and the long save states are shown.
pub const WIDE_TOP_BAR: f32 = 900.0;

/// The width of the left navigation when shown.
pub const NAVIGATION_WIDTH: f32 = 200.0;

/// The keyboard shortcuts, as listed in the About window.
pub const SHORTCUTS: [(&str, &str); 16] = [
    ("Ctrl+1 … Ctrl+7", "Show a screen"),
    ("Ctrl+O", "Open a configuration"),
    ("Ctrl+S", "Save (after a preview of the changes)"),
    ("Ctrl+Shift+S", "Save as"),
    ("Ctrl+R", "Reload from disk"),
    ("Ctrl+Q", "Quit"),
    ("Ctrl+B", "Show or hide the navigation"),
    ("F1", "This window"),
    ("F6", "Skip to the screen's first control"),
    ("Tab, Shift+Tab", "Move between controls, results and remedies"),
    ("Enter", "Run the screen's test or step; use a typed path"),
    ("Escape", "Cancel a running test, close a dialog"),
    ("Page Up, Page Down", "Scroll the screen"),
    ("Home, End", "Top or bottom of the screen (outside text fields)"),
    ("Alt+Left, Alt+Right", "Previous or next troubleshooting step"),
    ("Space", "Press the focused button, tick the focused box"),
];

impl FxApp {
    pub(super) fn top_bar(&self, ui: &mut Ui, out: &mut Vec<Command>) {
        egui::Panel::top("top-bar").show(ui, |ui| {
            ui.add_space(4.0);
            ui.horizontal(|ui| {
                let shown = !self.settings.prefs.navigation_hidden;
                if ui
                    .selectable_label(shown, "☰")
                    .on_hover_text("Show or hide the navigation (Ctrl+B)")
                    .accessible_name("Navigation")
                    .clicked()
                {
                    out.push(Command::ToggleNavigation);
                }
                // The name is in the window's title; narrow windows need the room for the path.
                let wide = ui.available_width() >= WIDE_TOP_BAR;
                if wide {
                    ui.label(RichText::new(APP_NAME).strong().size(18.0));
                }
                ui.separator();
                let has_doc = self.document.open.is_some();
                let idle = !self.ui.file_dialog.open && !self.document.saving;
                let buttons = [
                    ("Open…", "Ctrl+O", true, DocumentCommand::AskOpen.into()),
                    ("Save", "Ctrl+S", has_doc, DocumentCommand::RequestSave.into()),
                    ("Save as…", "Ctrl+Shift+S", has_doc, DocumentCommand::AskSaveAs.into()),
                    ("Reload", "Ctrl+R", has_doc, DocumentCommand::Reload.into()),
                ];
                for (text, shortcut, enabled, command) in buttons {
                    if ui
                        .add_enabled(enabled && idle, egui::Button::new(text))
                        .on_hover_text(shortcut)
                        .clicked()
                    {
                        out.push(command);
                    }
                }
                ui.separator();
                ui.with_layout(Layout::right_to_left(Align::Center), |ui| {
                    if ui
                        .button("Help")
                        .on_hover_text("Version, renderer, where files are, keyboard shortcuts (F1)")
                        .clicked()
                    {
                        out.push(Command::ShowAbout);
                    }
                    self.preferences_menu(ui, out);
                    self.save_state(ui, wide);
                    ui.with_layout(Layout::left_to_right(Align::Center), |ui| {
                        if let Some(doc) = &self.document.open {
                            let full = doc.file.path.display().to_string();
                            let font = FontId::monospace(13.0);
                            let shown = widgets::shorten_middle(ui, &full, &font, ui.available_width() - 4.0);
                            ui.add(egui::Label::new(RichText::new(shown).font(font)).truncate())
                                .on_hover_text(format!("The open configuration: {full}"));
                        }
                    });
                });
            });
            ui.add_space(2.0);
        });
    }

    /// "Saved", "● Unsaved changes", "⚠ Changed on disk": always visible in the top bar.
    fn save_state(&self, ui: &mut Ui, wide: bool) {
        let warn = ui.visuals().warn_fg_color;
        match &self.document.open {
            Some(doc) if doc.changed_on_disk => {
                ui.label(RichText::new(format!("{} Changed on disk", Tone::Warn.symbol())).color(warn))
                    .on_hover_text("Another program changed the file since it was opened: reload it or keep yours");
                if doc.modified {
                    ui.label(RichText::new(theme::UNSAVED_MARK).monospace().color(warn))
                        .on_hover_text("Unsaved changes");
                }
            }
            Some(doc) if doc.modified => {
                let text = if wide { "Unsaved changes" } else { "Unsaved" };
                ui.label(
                    RichText::new(format!("{} {text}", theme::UNSAVED_MARK))
                        .monospace()
                        .color(warn),
                )
                .on_hover_text("The open file has changes that are not saved (Ctrl+S saves them)");
            }
            Some(_) => {
                ui.weak("Saved");
            }
            None => {
                ui.weak("No file open");
            }
        }
    }

    fn preferences_menu(&self, ui: &mut Ui, out: &mut Vec<Command>) {
        ui.menu_button("Preferences", |ui| {
            ui.label(RichText::new("Theme").strong());
            for option in ThemeChoice::ALL {
                if ui.radio(self.settings.prefs.theme == option, option.label()).clicked() {
                    out.push(Command::SetTheme(option));
                    ui.close();
                }
            }
            ui.separator();
            let mut shown = !self.settings.prefs.navigation_hidden;
            if ui.checkbox(&mut shown, "Navigation panel (Ctrl+B)").clicked() {
                out.push(Command::ToggleNavigation);
                ui.close();
            }
        })
        .response
        .on_hover_text("Theme and navigation panel");
    }

    pub(super) fn navigation(&self, ui: &mut Ui, out: &mut Vec<Command>) {
        if self.settings.prefs.navigation_hidden {
            return;
        }
        egui::Panel::left("navigation")
            .resizable(false)
            .exact_size(NAVIGATION_WIDTH)
            .show(ui, |ui| {
                ui.add_space(6.0);
                for (index, screen) in Screen::ALL.into_iter().enumerate() {
                    let response = ui
                        .selectable_label(self.ui.screen == screen, screen.title())
                        .on_hover_text(format!("{} (Ctrl+{})", screen.summary(), index + 1));
                    if response.clicked() {
                        out.push(Command::Navigate(screen));
                    }
                }
                if let Some(demo) = &self.options.demo {
                    ui.add_space(12.0);
                    ui.separator();
                    ui.label(RichText::new("Demo").strong());
                    match demo.replay_source() {
                        Some(source) => {
                            let name = source.path.file_name().map_or_else(
                                || source.path.display().to_string(),
                                |name| name.to_string_lossy().into_owned(),
                            );
                            ui.add(egui::Label::new(format!("Replay of {} on {}", name, demo.sim_addr())).wrap());
                            ui.add(egui::Label::new(format!("Captured {}", source.taken_at)).wrap());
                            ui.add(
                                egui::Label::new(format!("PKCS#12 password: {}", crate::demo::DEMO_P12_PASSWORD))
                                    .wrap(),
                            );
                        }
                        None => {
                            ui.add(egui::Label::new(format!("KMES simulator on {}", demo.sim_addr())).wrap());
                            ui.add(
                                egui::Label::new(format!("PKCS#12 password: {}", crate::demo::DEMO_P12_PASSWORD))
                                    .wrap(),
                            );
                            screens::connection::fault_switch(ui, demo.fault(), out);
                        }
                    }
                }
            });
    }

    pub(super) fn status_bar(&self, ui: &mut Ui, out: &mut Vec<Command>) {
        egui::Panel::bottom("status-bar").show(ui, |ui| {
            ui.horizontal(|ui| {
                if self.is_busy() {
                    widgets::busy(ui);
                }
                ui.with_layout(Layout::right_to_left(Align::Center), |ui| {
                    if self.ui.notice.is_some() && ui.small_button("Dismiss").clicked() {
                        out.push(Command::DismissNotice);
                    }
                    ui.with_layout(Layout::left_to_right(Align::Center), |ui| match &self.ui.notice {
                        Some(notice) => {
                            let (text, color) = if notice.is_error {
                                (
                                    format!("{} {}", Tone::Fail.symbol(), notice.text),
                                    ui.visuals().error_fg_color,
                                )
                            } else {
                                (notice.text.clone(), ui.visuals().text_color())
                            };
                            ui.add(egui::Label::new(RichText::new(text).color(color)).truncate())
                                .on_hover_text(&notice.text);
                        }
                        None if self.doctor.running() => {
                            ui.weak("Testing the connection…");
                        }
                        None if self.module.running || self.module.ssh_running => {
                            ui.weak("Working with the PKCS#11 module…");
                        }
                        None if self.is_busy() => {
                            ui.weak("Working…");
                        }
                        None => {
                            ui.weak("Ready");
                        }
                    });
                });
            });
        });
    }

    pub(super) fn central(&mut self, ui: &mut Ui, out: &mut Vec<Command>) {
        let module_path = self.module_path();
        let library_path = self.options.library().path;
        let scroll = self.scroll_keys(ui.ctx());
        // A focus request is answered by the frame that draws its widget.
        let focus = self.ui.focus.take();
        let doctor_changes = self.doctor_changes();
        let (module_changes, ssh_changes) = self.module_changes();
        let cx = screens::ScreenContext {
            doctor_changes: &doctor_changes,
            module_changes: &module_changes,
            ssh_changes: &ssh_changes,
            doc: self.document.open.as_ref(),
            loading: self.document.loading.as_deref(),
            missing: self.document.missing.as_ref(),
            load_problem: self.document.load_problem.as_ref(),
            library_path: &library_path,
            saving: self.document.saving,
            certs: &self.certs,
            doctor: &self.doctor,
            key: &self.key,
            module: &self.module,
            demo: self.options.demo.as_deref(),
            prefs: &self.settings.prefs,
            module_path: &module_path,
            module_configured: self.module_configured(),
            softhsm: self.module.softhsm.as_deref(),
            dialog_open: self.ui.file_dialog.open,
            focus: focus.as_ref(),
            step_timeout: self.options.doctor_timeout,
            recent_missing: &self.settings.recent_missing,
            install: &self.install,
            ssh_client: &self.ssh_client,
        };
        let dialog_failure = self
            .ui
            .file_dialog
            .failure
            .as_deref()
            .filter(|_| !self.ui.file_dialog.notice_dismissed);
        let install_hint = self.install.hint.as_ref();
        let views = &mut self.ui.views;
        let screen = self.ui.screen;
        let focus_before = self.ui.last_focus;
        let mut focus_now = None;
        egui::CentralPanel::default().show(ui, |ui| {
            // The notices scroll within at most a third of the panel, so that however many are
            // stacked, the screen below keeps most of a small window.
            if any_notice(cx.doc, dialog_failure, install_hint) {
                egui::ScrollArea::vertical()
                    .id_salt("notices")
                    .max_height(ui.available_height() * NOTICES_MAX_SHARE)
                    .auto_shrink([false, true])
                    .show(ui, |ui| notices(ui, cx.doc, dialog_failure, install_hint, out));
            }
            egui::ScrollArea::vertical()
                .id_salt(("screen", screen.title()))
                .auto_shrink([false, false])
                .show(ui, |ui| {
                    match scroll {
                        Some(ScrollKey::Top) => ui.scroll_to_cursor_animation(Some(Align::TOP), no_animation()),
                        Some(ScrollKey::PageUp) => {
                            let page = ui.clip_rect().height() * 0.9;
                            ui.scroll_with_delta_animation(egui::vec2(0.0, page), no_animation());
                        }
                        Some(ScrollKey::PageDown) => {
                            let page = ui.clip_rect().height() * 0.9;
                            ui.scroll_with_delta_animation(egui::vec2(0.0, -page), no_animation());
                        }
                        Some(ScrollKey::Bottom) | None => {}
                    }
                    (screen.spec().show)(ui, &cx, views, out);
                    if scroll == Some(ScrollKey::Bottom) {
                        ui.scroll_to_cursor_animation(Some(Align::BOTTOM), no_animation());
                    }
                    // A control reached with Tab is scrolled into view.
                    focus_now = ui.memory(|memory| memory.focused());
                    if let Some(id) = focus_now
                        && focus_now != focus_before
                        && let Some(response) = ui.ctx().read_response(id)
                        && ui.min_rect().contains_rect(response.rect)
                    {
                        ui.scroll_to_rect_animation(response.rect, None, no_animation());
                    }
                });
        });
        self.ui.last_focus = focus_now;
    }

    pub(super) fn drop_overlay(ctx: &egui::Context) {
        let hovering = ctx.input(|input| !input.raw.hovered_files.is_empty());
        if !hovering {
            return;
        }
        let painter = ctx.layer_painter(egui::LayerId::new(egui::Order::Foreground, egui::Id::unique("drop")));
        let rect = ctx.content_rect();
        painter.rect_filled(rect, 0.0, egui::Color32::from_black_alpha(150));
        painter.text(
            rect.center(),
            egui::Align2::CENTER_CENTER,
            "Drop a configuration, certificate, PKCS#12 file or public key",
            egui::FontId::proportional(20.0),
            egui::Color32::WHITE,
        );
    }

    pub(super) fn after_frame(&mut self, ctx: &egui::Context) {
        self.start_validation();
        let title = self.window_title();
        // The window's node in the accessibility tree carries the title, so that a screen
        // reader names the window (egui leaves its root node unnamed).
        ctx.accesskit_node_builder(egui::accesskit_root_id(), |node| node.set_label(title.clone()));
        if title != self.ui.window.title {
            ctx.send_viewport_cmd(ViewportCommand::Title(title.clone()));
            self.ui.window.title = title;
        }
        if let Some(rect) = ctx.input(|input| input.viewport().inner_rect) {
            let size = [rect.width().round(), rect.height().round()];
            if self.ui.window.size != Some(size) {
                self.ui.window.size = Some(size);
                if self.ui.window.frames > 0 {
                    self.settings.prefs.window_size = Some(size);
                    self.settings.dirty = true;
                }
            }
        }
    }

    pub(super) fn record_frame(&mut self, ctx: &egui::Context, frame: &eframe::Frame, started: Instant) {
        let Some(probe) = &self.options.probe else {
            return;
        };
        let interval = self
            .ui
            .window
            .last_frame_start
            .map(|last| started.duration_since(last).as_secs_f32());
        self.ui.window.last_frame_start = Some(started);
        let cpu = frame.info().cpu_usage;
        let first = self.ui.window.frames == 0;
        let doctor_running = self.doctor.running();
        probe.with(|record| {
            if first {
                record.first_frame = Some(probe.started.elapsed());
            }
            if let Some(interval) = interval {
                record.frames.push(FrameSample {
                    cpu,
                    interval,
                    doctor_running,
                });
            }
        });
        if first && probe.exit_after_first_frame {
            self.ui.window.allow_close = true;
            ctx.send_viewport_cmd(ViewportCommand::Close);
        }
    }
}

/// A key that scrolls the screen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum ScrollKey {
    /// Home (outside text fields) or Ctrl+Home.
    Top,
    /// End (outside text fields) or Ctrl+End.
    Bottom,
    /// Page Up.
    PageUp,
    /// Page Down.
    PageDown,
}

fn no_animation() -> egui::style::ScrollAnimation {
    egui::style::ScrollAnimation::none()
}

/// The largest share of the central panel's height the notices above the screen take; more of
/// them scroll.
const NOTICES_MAX_SHARE: f32 = 0.34;

/// Whether [`notices`] has anything to show.
fn any_notice(doc: Option<&OpenDocument>, dialog_failure: Option<&str>, install_hint: Option<&InstallHint>) -> bool {
    install_hint.is_some()
        || dialog_failure.is_some()
        || doc.is_some_and(|doc| doc.changed_on_disk || doc.password_exposed())
}

/// The notices that concern every screen: the file changed on disk, file dialogs that
/// cannot open.
fn notices(
    ui: &mut Ui,
    doc: Option<&OpenDocument>,
    dialog_failure: Option<&str>,
    install_hint: Option<&InstallHint>,
    out: &mut Vec<Command>,
) {
    if let Some(hint) = install_hint {
        widgets::notice_frame(ui, Tone::Info, |ui| {
            ui.add(
                egui::Label::new(format!(
                    "{} is written. For the library to read it, install it as {}, as root:",
                    hint.written.display(),
                    hint.target.display()
                ))
                .wrap(),
            );
            widgets::code_block(ui, &hint.install);
            ui.add(egui::Label::new("or point the library at it, for the account that runs ssh [2.2]:").wrap());
            widgets::code_block(ui, &hint.env);
            ui.horizontal_wrapped(|ui| {
                if ui.button("Copy the install command").clicked() {
                    out.push(Command::Copy(hint.install.clone()));
                }
                if ui.button("Copy the FXPKCS11_CFG command").clicked() {
                    out.push(Command::Copy(hint.env.clone()));
                }
                if ui.button("Done").on_hover_text("Hide these commands").clicked() {
                    out.push(InstallCommand::DismissHint.into());
                }
            });
        });
    }
    if let Some(doc) = doc
        && doc.changed_on_disk
    {
        widgets::notice_frame(ui, Tone::Warn, |ui| {
            ui.add(
                egui::Label::new(format!(
                    "Another program changed {} since it was opened.",
                    doc.file.path.display()
                ))
                .wrap(),
            );
            ui.horizontal_wrapped(|ui| {
                if ui.button("Reload from disk").clicked() {
                    out.push(DocumentCommand::Reload.into());
                }
                if ui
                    .button("Keep my version")
                    .on_hover_text("Save your version over the file, after a preview")
                    .clicked()
                {
                    out.push(DocumentCommand::KeepMine.into());
                }
            });
        });
    }
    if let Some(doc) = doc
        && doc.password_exposed()
    {
        widgets::notice_frame(ui, Tone::Warn, |ui| {
            let readers = doc
                .exposure
                .as_ref()
                .map_or("its group or other users", |exposure| exposure.readers());
            let mode = doc
                .exposure
                .as_ref()
                .map(|exposure| format!(" (mode {:04o})", exposure.mode))
                .unwrap_or_default();
            ui.add(
                egui::Label::new(format!(
                    "{} holds a password, and {readers} may read it{mode}. The guide's file is readable by its \
                     owner only [4.2].",
                    doc.file.path.display()
                ))
                .wrap(),
            );
            if ui
                .button("Make it readable by its owner only (0600)")
                .on_hover_text("chmod 600 on the file and its backup; the owner stays the same")
                .clicked()
            {
                out.push(DocumentCommand::TightenPermissions.into());
            }
        });
    }
    if let Some(reason) = dialog_failure {
        widgets::notice_frame(ui, Tone::Warn, |ui| {
            ui.add(
                egui::Label::new(format!(
                    "The file dialog cannot open here ({reason}). Type the path in the field instead; \
                     dropping files on the window works too."
                ))
                .wrap(),
            );
            if ui.button("Dismiss").clicked() {
                out.push(Command::DismissDialogNotice);
            }
        });
    }
}
