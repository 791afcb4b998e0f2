//! The frame around the screens: the top bar with the open file and its unsaved marker,
//! the left navigation, the status bar, the modal dialogs and the drop overlay.

use std::time::Instant;

use egui::{Key, RichText, Ui, ViewportCommand};

use crate::cfg::locate;

use super::command::{Command, Modal, Pending};
use super::launch::FrameSample;
use super::prefs::ThemeChoice;
use super::screens::{self, Screen};
use super::{APP_NAME, FxApp, diff, theme, widgets};

impl FxApp {
    pub(super) fn top_bar(&self, ui: &mut Ui, out: &mut Vec<Command>) {
        egui::Panel::top("top-bar").show(ui, |ui| {
            ui.add_space(4.0);
            ui.horizontal(|ui| {
                ui.label(RichText::new(APP_NAME).strong().size(18.0));
                ui.separator();
                let has_doc = self.doc.is_some();
                let idle = !self.dialog_open && !self.saving;
                let buttons = [
                    ("Open…", "Ctrl+O", true, Command::AskOpen),
                    ("Save", "Ctrl+S", has_doc, Command::RequestSave),
                    ("Save as…", "Ctrl+Shift+S", has_doc, Command::AskSaveAs),
                    ("Reload", "Ctrl+R", has_doc, Command::Reload),
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
                match &self.doc {
                    Some(doc) => {
                        ui.label(RichText::new(doc.file.path.display().to_string()).monospace())
                            .on_hover_text("The open configuration");
                        if doc.modified {
                            ui.label(
                                RichText::new(format!("{} Unsaved changes", theme::UNSAVED_MARK))
                                    .monospace()
                                    .color(ui.visuals().warn_fg_color),
                            );
                        } else {
                            ui.weak("Saved");
                        }
                    }
                    None => {
                        ui.weak("No file open");
                    }
                }
                ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                    let mut choice = self.prefs.theme;
                    egui::ComboBox::from_label("Theme")
                        .selected_text(choice.label())
                        .show_ui(ui, |ui| {
                            for option in ThemeChoice::ALL {
                                ui.selectable_value(&mut choice, option, option.label());
                            }
                        });
                    if choice != self.prefs.theme {
                        out.push(Command::SetTheme(choice));
                    }
                });
            });
            ui.add_space(2.0);
        });
    }

    pub(super) fn navigation(&self, ui: &mut Ui, out: &mut Vec<Command>) {
        egui::Panel::left("navigation")
            .resizable(false)
            .exact_size(230.0)
            .show(ui, |ui| {
                ui.add_space(6.0);
                for (index, screen) in Screen::ALL.into_iter().enumerate() {
                    let response = ui
                        .selectable_label(self.screen == screen, screen.title())
                        .on_hover_text(format!("{} (Ctrl+{})", screen.summary(), index + 1));
                    if response.clicked() {
                        out.push(Command::Navigate(screen));
                    }
                }
                if let Some(demo) = &self.options.demo {
                    ui.add_space(12.0);
                    ui.separator();
                    ui.label(RichText::new("Demo").strong());
                    ui.label(format!("KMES simulator on {}", demo.sim_addr()));
                    ui.add(
                        egui::Label::new(
                            RichText::new(format!("PKCS#12 password: {}", crate::demo::DEMO_P12_PASSWORD)).small(),
                        )
                        .wrap(),
                    );
                    screens::connection::fault_switch(ui, demo.fault(), out);
                }
            });
    }

    pub(super) fn status_bar(&self, ui: &mut Ui, out: &mut Vec<Command>) {
        egui::Panel::bottom("status-bar").show(ui, |ui| {
            ui.horizontal(|ui| {
                if self.is_busy() {
                    widgets::busy(ui);
                }
                match &self.notice {
                    Some(notice) => {
                        let color = if notice.is_error {
                            ui.visuals().error_fg_color
                        } else {
                            ui.visuals().text_color()
                        };
                        ui.add(egui::Label::new(RichText::new(&notice.text).color(color)).truncate())
                            .on_hover_text(&notice.text);
                        if ui.small_button("Dismiss").clicked() {
                            out.push(Command::DismissNotice);
                        }
                    }
                    None => {
                        ui.weak("Ready");
                    }
                }
                if let Some(renderer) = &self.renderer {
                    ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                        ui.weak(renderer.as_str());
                    });
                }
            });
        });
    }

    pub(super) fn central(&mut self, ui: &mut Ui, out: &mut Vec<Command>) {
        let module_path = self.module_path();
        let library_path = locate::library_cfg_path().path;
        let cx = screens::ScreenContext {
            doc: self.doc.as_ref(),
            loading: self.loading.as_deref(),
            missing: self.missing.as_deref(),
            load_problem: self.load_problem.as_ref(),
            library_path: &library_path,
            saving: self.saving,
            certs: &self.certs,
            doctor: &self.doctor,
            key: &self.key,
            module: &self.module,
            demo: self.options.demo.as_deref(),
            prefs: &self.prefs,
            module_path: &module_path,
            dialog_open: self.dialog_open,
        };
        let views = &mut self.views;
        let screen = self.screen;
        egui::CentralPanel::default().show(ui, |ui| {
            egui::ScrollArea::vertical()
                .id_salt(("screen", screen.title()))
                .auto_shrink([false, false])
                .show(ui, |ui| match screen {
                    Screen::Configuration => screens::configuration::show(ui, &cx, &mut views.config, out),
                    Screen::Certificates => screens::certificates::show(ui, &cx, out),
                    Screen::ConnectionTest => screens::connection::show(ui, &cx, out),
                    Screen::SshKey => screens::ssh_key::show(ui, &cx, &mut views.key, out),
                    Screen::Troubleshooting => screens::troubleshooting::show(ui, &cx, &views.wizard, out),
                    Screen::Pkcs11Module => screens::pkcs11::show(ui, &cx, &mut views.module, out),
                });
        });
    }

    pub(super) fn modal(&mut self, ctx: &egui::Context, out: &mut Vec<Command>) {
        let path = self.open_path().map(|p| p.display().to_string()).unwrap_or_default();
        let Some(modal) = &mut self.modal else {
            return;
        };
        let escape = ctx.input(|input| input.key_pressed(Key::Escape));
        match modal {
            Modal::Unsaved { then } => {
                let action = match then {
                    Pending::Close => "closing",
                    Pending::Reload => "reloading",
                    _ => "opening another file",
                };
                egui::Modal::new(egui::Id::unique("unsaved")).show(ctx, |ui| {
                    ui.set_max_width(460.0);
                    ui.heading("Unsaved changes");
                    ui.label(format!(
                        "{path} has changes that are not saved. Save them before {action}?"
                    ));
                    ui.add_space(8.0);
                    ui.horizontal(|ui| {
                        if ui.button("Save changes…").clicked() {
                            out.push(Command::SaveAndContinue);
                        }
                        if ui.button("Discard changes").clicked() {
                            out.push(Command::DiscardAndContinue);
                        }
                        if ui.button("Cancel").clicked() || escape {
                            out.push(Command::CloseModal);
                        }
                    });
                });
            }
            Modal::ReviewSave { lines, .. } => {
                let enter = ctx.input(|input| input.key_pressed(Key::Enter));
                egui::Modal::new(egui::Id::unique("review-save")).show(ctx, |ui| {
                    ui.set_max_width(760.0);
                    ui.heading("Review the changes");
                    ui.label(format!("Saving {path} (passwords masked):"));
                    let shown = diff::with_context(lines, 3);
                    egui::ScrollArea::vertical().max_height(360.0).show(ui, |ui| {
                        if shown.is_empty() {
                            ui.label("No changes: the file will be written as it is.");
                        }
                        for line in shown {
                            match line {
                                None => {
                                    ui.weak(RichText::new("⋯").monospace());
                                }
                                Some(line) => {
                                    let (color, sign) = theme::diff_style(ui.visuals(), line.change);
                                    let number = line.new_line.or(line.old_line).unwrap_or(0);
                                    ui.label(
                                        RichText::new(format!("{sign} {number:>4}  {}", line.text))
                                            .monospace()
                                            .color(color),
                                    );
                                }
                            }
                        }
                    });
                    ui.add_space(8.0);
                    ui.horizontal(|ui| {
                        if ui.button("Save changes").clicked() || enter {
                            out.push(Command::ConfirmSave);
                        }
                        if ui.button("Cancel").clicked() || escape {
                            out.push(Command::CloseModal);
                        }
                    });
                });
            }
            Modal::P12Password { path: p12, password } => {
                let file = p12.display().to_string();
                egui::Modal::new(egui::Id::unique("p12-password")).show(ctx, |ui| {
                    ui.set_max_width(460.0);
                    ui.heading("PKCS#12 password");
                    ui.label(format!("The password that protects {file} [3.1.7]."));
                    let id = egui::Id::unique("p12-password-input");
                    let response = widgets::text_input(ui, "Password of the PKCS#12 file", "", password, id, true);
                    if !response.has_focus() && !response.lost_focus() && ui.memory(|m| m.focused().is_none()) {
                        response.request_focus();
                    }
                    let submitted = response.lost_focus() && ui.input(|input| input.key_pressed(Key::Enter));
                    ui.add_space(8.0);
                    ui.horizontal(|ui| {
                        if ui.button("Open").clicked() || submitted {
                            out.push(Command::SubmitP12Password);
                        }
                        if ui.button("Cancel").clicked() || escape {
                            out.push(Command::CloseModal);
                        }
                    });
                });
            }
        }
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
        if title != self.title {
            ctx.send_viewport_cmd(ViewportCommand::Title(title.clone()));
            self.title = title;
        }
        if let Some(rect) = ctx.input(|input| input.viewport().inner_rect) {
            let size = [rect.width().round(), rect.height().round()];
            if self.window_size != Some(size) {
                self.window_size = Some(size);
                if self.frames > 0 {
                    self.prefs.window_size = Some(size);
                    self.prefs_dirty = true;
                }
            }
        }
    }

    pub(super) fn record_frame(&mut self, ctx: &egui::Context, frame: &eframe::Frame, started: Instant) {
        let Some(probe) = &self.options.probe else {
            return;
        };
        let interval = self
            .last_frame_start
            .map(|last| started.duration_since(last).as_secs_f32());
        self.last_frame_start = Some(started);
        let cpu = frame.info().cpu_usage;
        let first = self.frames == 0;
        let doctor_running = self.doctor.running;
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
            self.allow_close = true;
            ctx.send_viewport_cmd(ViewportCommand::Close);
        }
    }
}
