//! The TLS materials, as a feature of the app: the root CA and the PKCS#12 client identity
//! opened and shown, their chain checked, and both copied next to the configuration and
//! named in it.

mod apply;

use std::path::PathBuf;
use std::sync::Arc;

use crate::identity::{CaBundle, ClientIdentity, IdentityError};
use crate::import::{ImportError, ImportReport};
use crate::secret::Secret;

use super::super::model::{Problem, Slot};

/// The TLS materials of the Certificates screen.
#[derive(Debug, Default)]
pub struct CertState {
    /// The root CA.
    pub ca: Slot<Arc<CaBundle>>,
    /// The PKCS#12 client identity.
    pub p12: Slot<Arc<ClientIdentity>>,
    /// The password that opened the PKCS#12 file (needed to apply it); in memory only.
    pub p12_password: Option<Secret>,
    /// The chain check of the loaded pair: `None` while unknown.
    pub chain: Option<Result<(), Problem>>,
    /// Counts loads, so that a stale chain check is ignored.
    pub generation: u64,
    /// An import is running.
    pub importing: bool,
    /// The last import's outcome, as a sentence.
    pub import_result: Option<Result<String, Problem>>,
}

/// What the UI asks of the certificates feature.
#[derive(Debug)]
pub enum CertCommand {
    /// Open and show a root CA file.
    LoadCa(PathBuf),
    /// Ask for the password of a PKCS#12 file.
    PromptP12(PathBuf),
    /// Open the PKCS#12 file with the password typed into the prompt.
    SubmitP12Password,
    /// Open the CA and PKCS#12 files the configuration names, with its password.
    InspectConfigured,
    /// Copy the CA and the PKCS#12 file next to the configuration and name them in it.
    ApplyToConfig,
}

/// What the certificates feature's workers report.
#[derive(Debug)]
pub enum CertEvent {
    /// A root CA file was read.
    CaLoaded {
        /// The file.
        path: PathBuf,
        /// Its certificates, or why not.
        result: Result<Arc<CaBundle>, IdentityError>,
    },
    /// A PKCS#12 file was opened.
    P12Loaded {
        /// The file.
        path: PathBuf,
        /// The identity, or why not.
        result: Result<Arc<ClientIdentity>, IdentityError>,
    },
    /// The chain of the loaded pair was checked.
    ChainChecked {
        /// The loads it belongs to.
        generation: u64,
        /// Nothing, or why the chain does not hold.
        result: Result<(), IdentityError>,
    },
    /// The materials were copied and named in the configuration.
    Imported {
        /// What was done, or why not.
        result: Result<Box<ImportReport>, ImportError>,
    },
}
