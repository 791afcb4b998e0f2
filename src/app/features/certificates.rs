//! The TLS materials, as a feature of the app: the root CA and the PKCS#12 client identity
//! opened and shown, their chain checked, and both copied next to the configuration and
//! named in it.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use zeroize::Zeroizing;

use crate::cfg;
use crate::identity::{self, CaBundle, ClientIdentity, IdentityError};
use crate::import::{self, ImportError, ImportReport, ImportRequest};
use crate::secret::Secret;

use super::super::command::Command;
use super::super::modals::Modal;
use super::super::model::{Problem, Slot};
use super::super::tasks::TaskEvent;
use super::super::{FxApp, widgets};

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

impl From<CertCommand> for Command {
    fn from(command: CertCommand) -> Command {
        Command::Certificates(command)
    }
}

impl From<CertEvent> for TaskEvent {
    fn from(event: CertEvent) -> TaskEvent {
        TaskEvent::Certificates(event)
    }
}

impl FxApp {
    /// Applies a command of this feature.
    pub(in crate::app) fn apply_certificates(&mut self, command: CertCommand) {
        match command {
            CertCommand::LoadCa(path) => self.load_ca(path),
            CertCommand::PromptP12(path) => {
                self.ui.modal = Some(Modal::P12Password {
                    path,
                    password: Zeroizing::new(String::new()),
                });
            }
            CertCommand::SubmitP12Password => {
                if let Some(Modal::P12Password { path, password }) = self.ui.modal.take() {
                    self.load_p12(path, Secret::new(password.as_str()));
                }
            }
            CertCommand::InspectConfigured => self.inspect_configured(),
            CertCommand::ApplyToConfig => self.apply_to_config(),
        }
    }

    /// Applies what a worker of this feature reported.
    pub(in crate::app) fn handle_certificates(&mut self, event: CertEvent) {
        match event {
            CertEvent::CaLoaded { path, result } => {
                if self.certs.ca.path() == Some(&path) {
                    self.certs.ca = match result {
                        Ok(bundle) => Slot::Loaded(path, bundle),
                        Err(error) => {
                            let problem = Problem::about(&path, &error);
                            Slot::Failed(path, problem)
                        }
                    };
                    self.check_chain();
                }
            }
            CertEvent::P12Loaded { path, result } => {
                if self.certs.p12.path() == Some(&path) {
                    self.certs.p12 = match result {
                        Ok(identity) => Slot::Loaded(path, identity),
                        Err(error) => {
                            self.certs.p12_password = None;
                            let problem = Problem::about(&path, &error);
                            Slot::Failed(path, problem)
                        }
                    };
                    self.check_chain();
                }
            }
            CertEvent::ChainChecked { generation, result } => {
                if generation == self.certs.generation {
                    self.certs.chain = Some(result.map_err(|error| Problem::explained(&error)));
                }
            }
            CertEvent::Imported { result } => {
                self.certs.importing = false;
                match result {
                    Ok(report) => {
                        let config = self.open_path().map(Path::to_owned);
                        self.certs.import_result = Some(Ok(format!(
                            "Copied {} and {}; PROD-TLS-CA, PROD-TLS-KEY, PROD-TLS-KEY-PASS and PROD-TLS-ENABLED are set.",
                            report.ca_path.display(),
                            report.p12_path.display()
                        )));
                        if let Some(config) = config
                            && !self.is_modified()
                        {
                            self.start_load(config);
                        }
                    }
                    Err(error) => self.certs.import_result = Some(Err(Problem::explained(&error))),
                }
            }
        }
    }

    pub(in crate::app) fn load_ca(&mut self, path: PathBuf) {
        self.certs.ca = Slot::Loading(path.clone());
        self.certs.generation += 1;
        self.certs.chain = None;
        self.certs.import_result = None;
        self.spawn("ca", move || {
            let result = identity::load_ca(&path).map(Arc::new);
            CertEvent::CaLoaded { path, result }
        });
    }
    pub(in crate::app) fn load_p12(&mut self, path: PathBuf, password: Secret) {
        self.certs.p12 = Slot::Loading(path.clone());
        self.certs.generation += 1;
        self.certs.chain = None;
        self.certs.import_result = None;
        self.certs.p12_password = Some(password.clone());
        self.spawn("p12", move || {
            let result = identity::load_p12_within(&path, &password, identity::P12_TIME_LIMIT).map(Arc::new);
            CertEvent::P12Loaded { path, result }
        });
    }
    pub(in crate::app) fn check_chain(&mut self) {
        let (Some(ca), Some(p12)) = (self.certs.ca.value().cloned(), self.certs.p12.value().cloned()) else {
            return;
        };
        if self.certs.chain.is_some() {
            return;
        }
        let generation = self.certs.generation;
        self.spawn("chain", move || CertEvent::ChainChecked {
            generation,
            result: identity::verify_client_chain(&p12, &ca, widgets::now_unix()),
        });
    }
    pub(in crate::app) fn inspect_configured(&mut self) {
        let Some(doc) = &self.document.open else {
            return;
        };
        let settings = doc.file.doc.settings();
        let paths = settings.tls_paths(cfg::cfg_folder(&doc.file.path));
        if let Some(ca) = paths.ca {
            self.load_ca(ca);
        }
        if let Some(path) = paths.key {
            match settings.tls_key_pass.clone() {
                Some(password) => self.load_p12(path, password),
                None => {
                    self.ui.modal = Some(Modal::P12Password {
                        path,
                        password: Zeroizing::new(String::new()),
                    });
                }
            }
        }
    }
    pub(in crate::app) fn apply_to_config(&mut self) {
        let (Some(config), Some(ca), Some(p12), Some(password)) = (
            self.open_path().map(Path::to_owned),
            self.certs.ca.path().cloned(),
            self.certs.p12.path().cloned(),
            self.certs.p12_password.clone(),
        ) else {
            return;
        };
        if self.is_modified() || self.certs.importing {
            return;
        }
        self.certs.importing = true;
        self.certs.import_result = None;
        self.spawn("import", move || {
            let request = ImportRequest {
                config: &config,
                ca: &ca,
                p12: &p12,
                password: &password,
                dest: None,
                tighten_permissions: false,
            };
            CertEvent::Imported {
                result: import::import_tls_materials(&request).map(Box::new),
            }
        });
    }
}
