//! The app's runtime state, apart from the widgets: the open configuration, the loaded
//! certificates, the doctor run and the rendered public key. It changes only in
//! [`super::FxApp`]'s command and event handlers, never inside widget code.

use std::path::PathBuf;
use std::sync::mpsc::Sender;

use crate::remedy::{self, Explain};

/// A running watch of the open file (a worker that reports a change on disk); dropping it ends
/// the watch.
#[derive(Debug)]
pub struct DiskWatch {
    _stop: Sender<()>,
}

impl DiskWatch {
    /// A watch whose worker stops when `stop`'s receiver sees it dropped.
    pub(super) fn new(stop: Sender<()>) -> DiskWatch {
        DiskWatch { _stop: stop }
    }
}

/// An error as the app shows it: what happened, and what to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// The message with its causes.
    pub message: String,
    /// The remedy with its guide citation; may be empty.
    pub remedy: String,
}

impl Problem {
    /// A library error explained.
    pub fn explained(error: &(dyn Explain + 'static)) -> Problem {
        Problem {
            message: remedy::cause_chain(error),
            remedy: remedy::remedy_with_citation(error),
        }
    }

    /// A library error about `path`, its message naming the file when the error does not.
    pub fn about(path: &std::path::Path, error: &(dyn Explain + 'static)) -> Problem {
        let mut problem = Problem::explained(error);
        let shown = path.display().to_string();
        if !problem.message.contains(&shown) {
            problem.message = format!("{shown}: {}", problem.message);
        }
        problem
    }

    /// A plain message without a remedy.
    pub fn plain(message: impl Into<String>) -> Problem {
        Problem {
            message: message.into(),
            remedy: String::new(),
        }
    }
}

/// Where a copy of a configuration comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CopySource {
    /// The open configuration, as edited.
    OpenDocument,
    /// A file on disk, such as the tarball's `fxpkcs11.cfg`.
    File(PathBuf),
}

/// Something loaded by a worker: nothing yet, in progress, done, or failed.
#[derive(Debug, Default)]
pub enum Slot<T> {
    /// Nothing chosen.
    #[default]
    Empty,
    /// Being read.
    Loading(PathBuf),
    /// Read.
    Loaded(PathBuf, T),
    /// Could not be read.
    Failed(PathBuf, Problem),
}

impl<T> Slot<T> {
    /// The loaded value.
    pub fn value(&self) -> Option<&T> {
        match self {
            Slot::Loaded(_, value) => Some(value),
            _ => None,
        }
    }

    /// The file concerned, if any.
    pub fn path(&self) -> Option<&PathBuf> {
        match self {
            Slot::Empty => None,
            Slot::Loading(path) | Slot::Loaded(path, _) | Slot::Failed(path, _) => Some(path),
        }
    }

    /// Whether a read is in progress.
    pub fn is_loading(&self) -> bool {
        matches!(self, Slot::Loading(_))
    }
}
