//! How the commands and the workers' events of this feature change the app.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use zeroize::Zeroizing;

use crate::cfg;
use crate::identity::{self};
use crate::import::{self, ImportRequest};
use crate::secret::Secret;

use super::super::super::modals::Modal;
use super::super::super::model::{Problem, Slot};
use super::super::super::{FxApp, widgets};
use super::*;

impl FxApp {
    /// Applies a command of this feature.
    pub(in crate::app) fn apply_certificates(&mut self, command: CertCommand) {
        match command {
            CertCommand::LoadCa(path) => self.load_ca(path),
            CertCommand::PromptP12(path) => {
                self.ui.modal = Some(Modal::P12Password {
                    path,
                    password: Zeroizing::new(String::new()),
                    failed: None,
                });
            }
            CertCommand::SubmitP12Password => {
                if let Some(Modal::P12Password { path, password, .. }) = self.ui.modal.take() {
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
                            self.error(format!("Not opened: {}", problem.message));
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
                            // Said in the status line, and for a wrong password in the prompt
                            // again, where the password is typed: not only below the fold.
                            self.error(format!("Not opened: {}", problem.message));
                            if matches!(error, IdentityError::WrongPassword) && self.ui.modal.is_none() {
                                self.ui.modal = Some(Modal::P12Password {
                                    path: path.clone(),
                                    password: Zeroizing::new(String::new()),
                                    failed: Some(problem.clone()),
                                });
                            }
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
                        failed: None,
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
