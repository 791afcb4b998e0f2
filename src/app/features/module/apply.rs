//! How the commands and the workers' events of this feature change the app.

use std::path::{Path, PathBuf};

use crate::doctor::record::{ModuleIdentity, RunInputs};
use crate::pkcs11::Helper;
use crate::pkcs11::ssh::{self, SshLoginOptions, SshTarget};
use crate::secret::Secret;

use super::super::super::model::Problem;
use super::super::super::tasks::{self};
use super::super::super::{FxApp, GUIDE_MODULE_PATH};
use super::*;

impl FxApp {
    /// Applies a command of the module feature.
    pub(in crate::app) fn apply_module(&mut self, command: ModuleCommand) {
        match command {
            ModuleCommand::SetPath(path) => {
                // Both screens with a module field show the same path.
                self.ui.views.key.module.clone_from(&path);
                self.ui.views.module.module.clone_from(&path);
                self.ui.views.ssh_client.module.clone_from(&path);
                // Results about another module no longer apply.
                let other = |module: &Path| module != Path::new(path.trim());
                if self
                    .module
                    .outcome
                    .as_ref()
                    .is_some_and(|outcome| other(&outcome.module))
                {
                    self.module.outcome = None;
                    self.module.failed_sign = None;
                    self.module.generation += 1;
                    self.module.running = false;
                    self.module.ssh = None;
                }
                self.settings.prefs.module_path = Some(path);
                self.settings.dirty = true;
            }
            ModuleCommand::SetSshTarget(destination) => {
                self.settings.prefs.ssh_destination = Some(destination);
                self.settings.dirty = true;
            }
            ModuleCommand::Load { token_label, pin } => self.load_module(token_label, pin),
            ModuleCommand::SshTest { target, pin } => self.ssh_test(&target, pin),
            ModuleCommand::Cancel => {
                if self.module.running {
                    self.module.running = false;
                    // The answer still on its way is ignored.
                    self.module.generation += 1;
                    self.info("Stopped waiting for the module.");
                }
            }
            ModuleCommand::Use(path) => {
                let text = path.display().to_string();
                self.apply_module(ModuleCommand::SetPath(text.clone()));
                self.ui.views.module.prefilled = true;
                self.ui.views.key.module_prefilled = true;
                self.ui.views.ssh_client.module_prefilled = true;
                self.info(format!("The SSH commands and tests use {text}."));
            }
        }
    }

    /// Applies what a module worker reported.
    pub(in crate::app) fn handle_module(&mut self, event: ModuleEvent) {
        match event {
            ModuleEvent::Found { module, softhsm } => {
                self.module.detected = module;
                self.module.softhsm = softhsm;
            }
            ModuleEvent::Examined { generation, outcome } => {
                if generation == self.module.generation {
                    self.module.running = false;
                    let outcome = *outcome;
                    let keep_list = outcome.signed
                        && !outcome.signed_keys()
                        && self
                            .module
                            .outcome
                            .as_ref()
                            .is_some_and(|last| last.module == outcome.module && last.lists_keys());
                    if keep_list {
                        self.module.failed_sign = Some(outcome);
                    } else {
                        self.module.failed_sign = None;
                        self.module.outcome = Some(outcome);
                    }
                }
            }
            ModuleEvent::SshTested(result) => {
                self.module.ssh_running = false;
                self.module.ssh = Some(result);
            }
        }
    }

    pub(in crate::app) fn pkcs11_helper(&self) -> Result<Helper, Problem> {
        match &self.options.pkcs11_helper {
            Some(helper) => Ok(helper.clone()),
            None => Helper::locate().map_err(|error| Problem::explained(&error)),
        }
    }
    pub(in crate::app) fn load_module(&mut self, token_label: Option<String>, pin: Option<Secret>) {
        if self.module.running {
            return;
        }
        self.module.running = true;
        self.module.generation += 1;
        let generation = self.module.generation;
        let helper = self.options.pkcs11_helper.clone();
        let module = PathBuf::from(self.module_path().trim());
        let config = self.open_path().map(Path::to_path_buf);
        let mut inputs = self.module_inputs();
        inputs.token = token_label.clone();
        self.spawn("pkcs11", move || ModuleEvent::Examined {
            generation,
            outcome: Box::new(tasks::examine_module(helper, module, token_label, pin, config, inputs)),
        });
    }
    pub(in crate::app) fn ssh_test(&mut self, target: &str, pin: Option<Secret>) {
        if self.module.ssh_running {
            return;
        }
        let parsed = match target.trim().parse::<SshTarget>() {
            Ok(parsed) => parsed,
            Err(error) => {
                self.module.ssh = Some(Err(Problem::plain(error.to_string())));
                return;
            }
        };
        let helper = match self.pkcs11_helper() {
            Ok(helper) => helper,
            Err(problem) => {
                self.module.ssh = Some(Err(problem));
                return;
            }
        };
        self.module.ssh_running = true;
        let mut inputs = self.module_inputs();
        inputs.ssh_target = Some(target.trim().to_owned());
        self.module.ssh_inputs = Some(inputs);
        self.module.ssh = None;
        let mut options = SshLoginOptions::new(PathBuf::from(self.module_path().trim()), parsed);
        options.config = self.open_path().map(Path::to_path_buf);
        options.pin = pin;
        self.spawn("ssh", move || ModuleEvent::SshTested(Ok(ssh::login(&options, &helper))));
    }
    /// The inputs a module walk or an SSH test would read now: the configuration (as for
    /// the connection test), the module by path (its file's identity is read by the worker),
    /// the token and the SSH target as set on the PKCS#11 module screen.
    pub(in crate::app) fn module_inputs(&self) -> RunInputs {
        let mut inputs = self.connection_inputs();
        inputs.fault = None;
        inputs.module = Some(ModuleIdentity {
            path: PathBuf::from(self.module_path().trim()),
            stamp: None,
        });
        inputs
    }
    /// What changed since the module walk on screen, and since the SSH test on screen.
    pub(in crate::app) fn module_changes(&self) -> (Vec<String>, Vec<String>) {
        let mut now = self.module_inputs();
        let walk = self.module.outcome.as_ref().map_or_else(Vec::new, |outcome| {
            now.token = outcome.inputs.token.clone();
            outcome.inputs.changes_since(&now)
        });
        now.token = None;
        now.ssh_target = self
            .settings
            .prefs
            .ssh_destination
            .as_deref()
            .map(str::trim)
            .map(str::to_owned);
        let ssh = self
            .module
            .ssh_inputs
            .as_ref()
            .filter(|_| self.module.ssh.is_some())
            .map_or_else(Vec::new, |inputs| inputs.changes_since(&now));
        (walk, ssh)
    }
    /// The module path used in the SSH commands.
    pub(in crate::app) fn module_path(&self) -> String {
        self.settings
            .prefs
            .module_path
            .clone()
            .filter(|path| !path.trim().is_empty())
            .or_else(|| self.module.detected.as_ref().map(|p| p.display().to_string()))
            .unwrap_or_else(|| GUIDE_MODULE_PATH.to_owned())
    }
    /// Whether a module was chosen or found (else the guide's path is only an example).
    pub(in crate::app) fn module_configured(&self) -> bool {
        self.settings
            .prefs
            .module_path
            .as_deref()
            .is_some_and(|path| !path.trim().is_empty())
            || self.module.detected.is_some()
    }
    pub(in crate::app) fn detect_module(&mut self) {
        let demo = self.options.demo.is_some();
        self.spawn("module", move || {
            let mut candidates = vec![PathBuf::from(GUIDE_MODULE_PATH)];
            if let Some(home) = directories::BaseDirs::new() {
                candidates.push(home.home_dir().join("bin/fxpkcs11/libfxpkcs11.so"));
            }
            // The demo has no Futurex module; SoftHSM2, when installed, can stand in for it.
            let softhsm = if demo {
                tasks::SOFTHSM_PATHS
                    .iter()
                    .map(PathBuf::from)
                    .find(|path| path.is_file())
            } else {
                None
            };
            ModuleEvent::Found {
                module: candidates.into_iter().find(|path| path.is_file()),
                softhsm,
            }
        });
    }
}
