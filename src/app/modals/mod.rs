//! The modal dialogs, one file each. A dialog draws from a [`ModalContext`] and its own
//! fields in [`Modal`], and pushes [`Command`]s like the screens.
//!
//! To add a dialog: a variant of [`Modal`], a file here with its `show`, and its arm in
//! [`FxApp::modal`].

mod about;
mod cannot_write;
mod copy_preview;
mod not_created;
mod p12_password;
mod review_save;
mod save_failed;
mod type_path;
mod unsaved;
mod unsaved_test;

use std::path::PathBuf;

use egui::{Key, RichText, Ui};
use zeroize::Zeroizing;

use crate::cfg::LibraryCfg;
use crate::doctor::CheckId;

use super::FxApp;
use super::command::Command;
use super::diff::{self, DiffLine};
use super::features::document::Pending;
use super::features::install::CopyPreview;
use super::model::Problem;
use super::theme;

/// A modal dialog and what it shows.
#[derive(Debug)]
pub enum Modal {
    /// Unsaved changes before `then`.
    Unsaved {
        /// What waits for the answer.
        then: Pending,
    },
    /// The changes a save writes, before it writes them.
    ReviewSave {
        /// The diff, passwords masked.
        lines: Vec<DiffLine>,
        /// What follows the save.
        then: Option<Pending>,
    },
    /// Unsaved changes before a test of the file on disk.
    UnsavedTest {
        /// The check after which the test stops (a troubleshooting step).
        stop_after: Option<CheckId>,
    },
    /// A save failed.
    SaveFailed {
        /// The file that was not written.
        path: PathBuf,
        /// Why.
        problem: Problem,
        /// Whether the account may not write there.
        permission_denied: bool,
    },
    /// A typed path, where no file dialog opens.
    TypePath {
        /// What the path is for.
        purpose: super::dialogs::DialogPurpose,
        /// The text typed so far.
        text: String,
    },
    /// The About window.
    About,
    /// A new configuration was not created.
    NotCreated {
        /// The file.
        path: PathBuf,
        /// Why.
        problem: Problem,
        /// Whether a file is already there.
        exists: bool,
    },
    /// A copy of a configuration, before it is written.
    CopyPreview(Box<CopyPreview>),
    /// A file this account may not write.
    CannotWrite {
        /// The file meant.
        target: PathBuf,
        /// Why it cannot be written.
        reason: String,
        /// Where a copy was saved instead, if any.
        elsewhere: Option<PathBuf>,
        /// The file that can be installed as it is, if any.
        source: Option<PathBuf>,
    },
    /// The password of a PKCS#12 file.
    P12Password {
        /// The file.
        path: PathBuf,
        /// The password typed so far.
        password: Zeroizing<String>,
        /// Why the last password did not open it, shown in the dialog.
        failed: Option<Problem>,
    },
}

/// What every dialog may read besides its own fields.
pub(super) struct ModalContext {
    /// The open configuration's path, empty when none is open.
    path: String,
    /// The renderer, for the About window.
    renderer: Option<String>,
    /// The file the library reads.
    library: LibraryCfg,
    /// The preferences file, if stored.
    prefs_file: Option<String>,
    /// Escape was pressed this frame.
    escape: bool,
    /// Enter was pressed this frame.
    enter: bool,
}

impl FxApp {
    /// Draws the open modal dialog, if any.
    pub(super) fn modal(&mut self, ctx: &egui::Context, out: &mut Vec<Command>) {
        let cx = ModalContext {
            path: self.open_path().map(|p| p.display().to_string()).unwrap_or_default(),
            renderer: self.ui.window.renderer.clone(),
            library: self.options.library(),
            prefs_file: self.options.prefs.file().map(|file| file.display().to_string()),
            escape: ctx.input(|input| input.key_pressed(Key::Escape)),
            enter: ctx.input(|input| input.key_pressed(Key::Enter)),
        };
        let Some(modal) = &mut self.ui.modal else {
            return;
        };
        match modal {
            Modal::Unsaved { then } => unsaved::show(ctx, &cx, then, out),
            Modal::UnsavedTest { stop_after } => unsaved_test::show(ctx, &cx, stop_after, out),
            Modal::ReviewSave { lines, .. } => review_save::show(ctx, &cx, lines, out),
            Modal::SaveFailed {
                path,
                problem,
                permission_denied,
            } => save_failed::show(ctx, &cx, path, problem, permission_denied, out),
            Modal::CopyPreview(preview) => copy_preview::show(ctx, &cx, preview, out),
            Modal::CannotWrite {
                target,
                reason,
                elsewhere,
                source,
            } => cannot_write::show(ctx, &cx, target, reason, elsewhere, source, out),
            Modal::TypePath { purpose, text } => type_path::show(ctx, &cx, purpose, text, out),
            Modal::NotCreated { path, problem, exists } => not_created::show(ctx, &cx, path, problem, exists, out),
            Modal::About => about::show(ctx, &cx, out),
            Modal::P12Password { path, password, failed } => {
                p12_password::show(ctx, &cx, path, password, failed.as_ref(), out)
            }
        }
    }
}

/// Focuses a modal's first button when nothing has the focus, so Enter and Tab work at once.
fn focus_first(ui: &Ui, response: &egui::Response) {
    if ui.memory(|memory| memory.focused().is_none()) {
        response.request_focus();
    }
}

/// The lines of a diff with three lines of context, numbered, signed and coloured.
fn diff_lines(ui: &mut Ui, lines: &[DiffLine]) {
    let shown = diff::with_context(lines, 3);
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
                    RichText::new(format!("{sign} {number:>4}  {}", crate::display::escape(&line.text)))
                        .monospace()
                        .color(color),
                );
            }
        }
    }
}
