//! How the commands and the workers' events of this feature change the app.

use std::path::{Path, PathBuf};

use crate::sshkey::{self};

use super::super::super::FxApp;
use super::super::super::model::{Problem, Slot};
use super::*;

impl FxApp {
    /// Applies a command of this feature.
    pub(in crate::app) fn apply_key(&mut self, command: KeyCommand) {
        match command {
            KeyCommand::Load(path) => {
                self.key.pasted = None;
                self.load_public_key(path);
            }
            KeyCommand::LoadText(bytes) => {
                self.key.pasted = Some(bytes);
                self.load_public_key(PathBuf::from(PASTED_KEY));
            }
            KeyCommand::SetComment(comment) => {
                if comment != self.key.comment {
                    self.key.comment = comment;
                    if let Some(path) = self.key.key.path().cloned() {
                        self.load_public_key(path);
                    }
                }
            }
        }
    }

    /// Applies what a worker of this feature reported.
    pub(in crate::app) fn handle_key(&mut self, event: KeyEvent) {
        match event {
            KeyEvent::Rendered { path, result } => {
                if self.key.key.path() == Some(&path) {
                    self.key.key = match result {
                        Ok(report) => Slot::Loaded(path, report),
                        Err(error) => {
                            let problem = Problem::about(&path, &error);
                            Slot::Failed(path, problem)
                        }
                    };
                }
            }
        }
    }

    pub(in crate::app) fn load_public_key(&mut self, path: PathBuf) {
        self.key.key = Slot::Loading(path.clone());
        let comment = self.key.comment.clone();
        let pasted = self.key.pasted.clone().filter(|_| path == Path::new(PASTED_KEY));
        self.spawn("pubkey", move || {
            let comment = (!comment.trim().is_empty()).then_some(comment);
            let result = match &pasted {
                Some(bytes) => sshkey::render(bytes, comment.as_deref()),
                None => sshkey::render_file(&path, comment.as_deref()),
            };
            KeyEvent::Rendered { path, result }
        });
    }
}
