//! The KMES public key, as a feature of the app: the key exported from the KMES, rendered as
//! an `authorized_keys` line with its comment.

use std::path::PathBuf;

use crate::sshkey::{self, PubkeyError, PublicKeyReport};

use super::super::FxApp;
use super::super::command::Command;
use super::super::model::{Problem, Slot};
use super::super::tasks::TaskEvent;

/// The public key of the SSH key screen.
#[derive(Debug, Default)]
pub struct KeyState {
    /// The rendered key.
    pub key: Slot<PublicKeyReport>,
    /// The comment the key was rendered with.
    pub comment: String,
}

/// What the UI asks of the SSH key feature.
#[derive(Debug)]
pub enum KeyCommand {
    /// Read and render a public key file.
    Load(PathBuf),
    /// Render the open public key again with this comment.
    SetComment(String),
}

/// What the SSH key feature's workers report.
#[derive(Debug)]
pub enum KeyEvent {
    /// A public key was rendered.
    Rendered {
        /// The file.
        path: PathBuf,
        /// The rendered key, or why not.
        result: Result<PublicKeyReport, PubkeyError>,
    },
}

impl From<KeyCommand> for Command {
    fn from(command: KeyCommand) -> Command {
        Command::Key(command)
    }
}

impl From<KeyEvent> for TaskEvent {
    fn from(event: KeyEvent) -> TaskEvent {
        TaskEvent::Key(event)
    }
}

impl FxApp {
    /// Applies a command of this feature.
    pub(in crate::app) fn apply_key(&mut self, command: KeyCommand) {
        match command {
            KeyCommand::Load(path) => self.load_public_key(path),
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
        self.spawn("pubkey", move || {
            let comment = (!comment.trim().is_empty()).then_some(comment);
            let result = sshkey::render_file(&path, comment.as_deref());
            KeyEvent::Rendered { path, result }
        });
    }
}
