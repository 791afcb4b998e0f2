//! The KMES public key, as a feature of the app: the key exported from the KMES, rendered as
//! an `authorized_keys` line with its comment.

mod apply;

use std::path::PathBuf;

use crate::sshkey::{PubkeyError, PublicKeyReport};

use super::super::model::Slot;

/// The public key of the SSH key screen.
#[derive(Debug, Default)]
pub struct KeyState {
    /// The rendered key.
    pub key: Slot<PublicKeyReport>,
    /// The comment the key was rendered with.
    pub comment: String,
    /// The key text pasted in place of a file, rendered under [`PASTED_KEY`].
    pub pasted: Option<Vec<u8>>,
}

/// What the key screen shows as the source of a key pasted rather than opened from a file.
pub const PASTED_KEY: &str = "(pasted key text)";

/// What the UI asks of the SSH key feature.
#[derive(Debug)]
pub enum KeyCommand {
    /// Read and render a public key file.
    Load(PathBuf),
    /// Render key text pasted where the file name goes (see [`crate::sshkey::pasted_key`]).
    LoadText(Vec<u8>),
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
