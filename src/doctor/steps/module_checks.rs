//! The PKCS#11 module checks and the SSH login check.

use std::time::Duration;

use super::State;
use crate::doctor::{CheckId, Outcome, Status};
use crate::pkcs11::ssh::{self, SshDestination, SshLoginOptions, SshVerdict};
use crate::pkcs11::{
    self, Action, DependencyReport, Examination, Failure, Helper, LoginState, ModuleFile, Pkcs11Error, ProbeReport,
    Step,
};

/// The shortest time allowed to load the module and walk its token.
const MIN_LOAD_TIMEOUT: Duration = Duration::from_secs(15);

/// What the module checks learned: the module examined in one go by `pkcs11.module`
/// ([`pkcs11::examine`], as `fxconfig p11` and the app do), reported stage by stage by it,
/// `pkcs11.deps` and `pkcs11.load`.
#[derive(Default)]
pub(super) struct ModuleState {
    file: Option<ModuleFile>,
    dependencies: Option<Result<DependencyReport, Pkcs11Error>>,
    load: Option<Result<ProbeReport, Pkcs11Error>>,
    took: [Duration; 3],
    helper: Option<Helper>,
    probe: Option<ProbeReport>,
}

fn failed(failure: &Failure) -> Outcome {
    Outcome::fail(failure.message.clone(), failure.remedy_with_citation())
}

fn from_step<T>(step: &Step<T>, done: impl FnOnce(&T) -> Outcome) -> Outcome {
    match step {
        Step::Done(value) => done(value),
        Step::Failed(failure) => failed(failure),
        Step::NotRun(reason) => Outcome::skip(reason.clone()),
    }
}

impl State<'_> {
    pub(in crate::doctor) fn probe_report(&self) -> Option<&ProbeReport> {
        self.module.probe.as_ref()
    }

    pub(in crate::doctor) fn pkcs11_module(&mut self) -> Outcome {
        let Some(path) = self.options.module.clone() else {
            return Outcome::skip("no module given");
        };
        let config = self.config_path.clone();
        let examined = pkcs11::examine(&Examination {
            module: &path,
            token_label: self.options.token_label.clone(),
            action: Action::Probe,
            pin: self.options.pin.as_ref(),
            config: config.as_deref(),
            helper: self.options.helper.clone(),
            time_limit: (self.options.timeout * 6).max(MIN_LOAD_TIMEOUT),
            load_with_missing_libraries: false,
        });
        self.module.took = examined.took;
        self.module.dependencies = examined.dependencies;
        self.module.load = examined.probe;
        self.module.helper = examined.helper;
        let outcome = match examined.file {
            Ok(file) => {
                let detail = format!(
                    "{}: {}, {} KiB",
                    file.path.display(),
                    file.header.describe(),
                    file.size.div_ceil(1024)
                );
                self.module.file = Some(file);
                Outcome::pass(detail)
            }
            Err(error) => Outcome::from_error(&error),
        };
        outcome.taking(self.module.took[0])
    }

    pub(in crate::doctor) fn pkcs11_deps(&mut self) -> Outcome {
        let Some(file) = &self.module.file else {
            return Outcome::skip("the module file check failed");
        };
        let outcome = match &self.module.dependencies {
            None => Outcome::skip("the module file check failed"),
            Some(Ok(report)) if !report.checked => {
                Outcome::skip("library dependencies are followed for ELF (Linux) and PE (Windows) modules only")
            }
            Some(Ok(report)) => {
                let direct: Vec<String> = report
                    .libraries
                    .iter()
                    .filter(|dep| dep.needed_by == file.path)
                    .map(|dep| match &dep.found {
                        Some(path) => format!("{} → {}", dep.name, path.display()),
                        None => dep.name.clone(),
                    })
                    .collect();
                Outcome::pass(format!(
                    "{} libraries resolve ({} needed directly: {})",
                    report.libraries.len(),
                    direct.len(),
                    if direct.is_empty() {
                        "none".to_owned()
                    } else {
                        direct.join(", ")
                    }
                ))
            }
            Some(Err(error)) => Outcome::from_error(error),
        };
        outcome.taking(self.module.took[1])
    }

    pub(in crate::doctor) fn pkcs11_load(&mut self) -> Outcome {
        if self.module.file.is_none() {
            return Outcome::skip("the module file check failed: it is not loaded");
        }
        let report = match self.module.load.take() {
            None => {
                return Outcome::skip(
                    "libraries are missing: loading would fail with the loader's message (see pkcs11.deps)",
                );
            }
            Some(Ok(report)) => report,
            Some(Err(error)) => return Outcome::from_error(&error).taking(self.module.took[2]),
        };
        let cfg = report
            .fxpkcs11_cfg
            .as_ref()
            .map(|p| p.display().to_string())
            .unwrap_or_else(|| "not set".to_owned());
        let printed = report
            .module_output
            .as_ref()
            .map(|output| format!("; the module printed: {output}"))
            .unwrap_or_default();
        let outcome = from_step(&report.load, |info| {
            Outcome::pass(format!(
                "{} {} by {}, Cryptoki {} (FXPKCS11_CFG={cfg}){printed}",
                info.description, info.library_version, info.manufacturer, info.cryptoki_version
            ))
        });
        self.module.probe = Some(report);
        outcome.taking(self.module.took[2])
    }

    pub(in crate::doctor) fn pkcs11_slots(&mut self) -> Outcome {
        let outcome = self.token_outcome();
        self.with_arbiter_note(outcome)
    }

    /// When the module and fxconfig's own connection disagree, says which one ssh will
    /// follow: the module, which is what `ssh -I` loads.
    fn with_arbiter_note(&self, mut outcome: Outcome) -> Outcome {
        let connection_failed = [
            CheckId::NetResolve,
            CheckId::NetConnect,
            CheckId::TlsHandshake,
            CheckId::TlsServerCert,
            CheckId::TlsClientAuth,
            CheckId::HostapiEcho,
        ]
        .iter()
        .any(|id| self.statuses.get(id) == Some(&Status::Fail));
        let connection_passed = self.passed(CheckId::HostapiEcho);
        let note = match outcome.status {
            Status::Pass | Status::Warn if connection_failed => Some(
                "The module found its token although fxconfig's own connection to the KMES failed: the module's result is what ssh will see, so the connection finding may be a difference between fxconfig's TLS client and the library's",
            ),
            Status::Fail if connection_passed => Some(
                "fxconfig's own connection to the KMES worked, the module's did not: the module's result is what ssh will see",
            ),
            _ => None,
        };
        if let Some(note) = note {
            outcome.detail = format!("{}. {note}", outcome.detail);
        }
        outcome
    }

    fn token_outcome(&mut self) -> Outcome {
        let Some(report) = self.probe_report() else {
            return Outcome::skip("the module was not loaded");
        };
        if let Step::Failed(failure) = &report.slots {
            return failed(failure);
        }
        let count = report.slots.done().map(Vec::len).unwrap_or_default();
        from_step(&report.token, |slot| match &slot.token {
            Some(token) => Outcome::pass(format!(
                "token {:?} in slot {:#x} ({} {}, serial {}; {}); {count} slot(s)",
                token.label,
                slot.id,
                token.manufacturer,
                token.model,
                token.serial,
                token.flags.join(", ")
            )),
            None => Outcome::fail(
                "the selected slot holds no token",
                "Select a token by label (--token) [4.2]",
            ),
        })
    }

    pub(in crate::doctor) fn pkcs11_login(&mut self) -> Outcome {
        let Some(report) = self.probe_report() else {
            return Outcome::skip("the module was not loaded");
        };
        from_step(&report.login, |state| match state {
            LoginState::LoggedIn => Outcome::pass("logged in as the token user with the PIN given"),
            LoginState::NotRequired => Outcome::pass(
                "the token does not ask for a login (with fxpkcs11: REQUIRE-LOGIN-FLAG NO, the library logs in with CRYPTO-OPR itself)",
            ),
            LoginState::NoPin => Outcome::warn(
                "the token asks for a login and no PIN was given: only public objects are visible, and ssh will ask for a PIN (\"pin required\" in batch mode)",
                "For fxpkcs11, set <REQUIRE-LOGIN-FLAG> NO </REQUIRE-LOGIN-FLAG> in the CONFIG section; for other modules give the PIN (--pin-env VAR or --pin-stdin) [4.2]",
            ),
        })
    }

    pub(in crate::doctor) fn pkcs11_keys(&mut self) -> Outcome {
        let Some(report) = self.probe_report() else {
            return Outcome::skip("the module was not loaded");
        };
        let objects = report.objects.done().map(Vec::len);
        from_step(&report.public_keys, |lines| {
            if lines.is_empty() {
                Outcome::fail(
                    format!(
                        "no RSA or EC public key that OpenSSH can use is visible on the token ({} objects in all)",
                        objects.unwrap_or_default()
                    ),
                    "Create the SSH key pair on the HSM and give the login user permission to it; with fxpkcs11, check KEYGROUP-NAME and the SSH user group's permissions [3.2.7]",
                )
            } else {
                let keys: Vec<String> = lines
                    .iter()
                    .map(|l| format!("{:?} {} {} {}", l.label, l.key_type, l.bits, l.fingerprint))
                    .collect();
                Outcome::pass(format!(
                    "{} key(s) for authorized_keys: {}",
                    lines.len(),
                    keys.join("; ")
                ))
            }
        })
    }

    pub(in crate::doctor) fn pkcs11_sign(&mut self) -> Outcome {
        let Some(report) = self.probe_report() else {
            return Outcome::skip("the module was not loaded");
        };
        let no_pin = report.login.done() == Some(&LoginState::NoPin);
        from_step(&report.sign, |tests| {
            if tests.is_empty() && no_pin {
                return Outcome::skip("no private key is visible without a login (see pkcs11.login)");
            }
            if tests.is_empty() {
                return Outcome::fail(
                    "no RSA or EC private key that may sign is visible on the token",
                    "Create the SSH key pair with the Sign usage and give the login user permission to it [3.2.7]",
                );
            }
            let done: Vec<String> = tests
                .iter()
                .map(|t| {
                    let result = if t.verified {
                        "verified".to_owned()
                    } else {
                        t.failure.as_ref().map(|f| f.message.clone()).unwrap_or_default()
                    };
                    format!(
                        "{:?} ({} {}): {} bytes in {} ms, {result}",
                        t.label, t.key_type, t.mechanism, t.signature_len, t.sign_ms
                    )
                })
                .collect();
            match tests.iter().find_map(|t| t.failure.as_ref()) {
                None => Outcome::pass(done.join("; ")),
                Some(failure) => Outcome::fail(done.join("; "), failure.remedy_with_citation()),
            }
        })
    }

    /// The local user ssh runs as: `--for-user` when fxconfig runs as root (so the login
    /// proves what that user will see), else fxconfig's own user.
    fn ssh_user(&self) -> Option<String> {
        let user = self.options.for_user.clone()?;
        #[cfg(unix)]
        let root = rustix::process::geteuid().is_root();
        #[cfg(not(unix))]
        let root = false;
        (root && user != "root").then_some(user)
    }

    pub(in crate::doctor) fn ssh_login(&mut self) -> Outcome {
        let Some(target) = self.options.ssh_target.clone() else {
            return Outcome::skip("no SSH target given (--ssh USER@HOST[:PORT] or --ssh ALIAS)");
        };
        let target = match target {
            SshDestination::Alias { name, config } => SshDestination::Alias {
                name,
                config: config.or_else(|| self.options.ssh_config.clone()),
            },
            address => address,
        };
        let Some(file) = &self.module.file else {
            return Outcome::skip("the module file check failed");
        };
        let helper = match self.module.helper.clone().map(Ok).unwrap_or_else(Helper::locate) {
            Ok(helper) => helper,
            Err(error) => return Outcome::from_error(&error),
        };
        let options = SshLoginOptions {
            config: self.config_path.clone(),
            pin: self.options.pin.clone(),
            token_label: self.options.token_label.clone(),
            host_keys: self.options.ssh_host_keys.clone(),
            timeout: self.options.timeout,
            run_as: self.ssh_user(),
            ..SshLoginOptions::new(file.path.clone(), target)
        };
        let as_user = options
            .run_as
            .as_ref()
            .map(|user| format!("ssh run as {user}: "))
            .unwrap_or_default();
        let result = ssh::login(&options, &helper);
        let citation = |text: &str| format!("{text} [{}]", result.guide);
        let detail = format!("{as_user}{}", result.detail);
        match result.verdict {
            SshVerdict::Success => Outcome::pass(detail),
            SshVerdict::SuccessWithOtherKey => Outcome::warn(detail, citation(&result.remedy)),
            _ => Outcome::fail(detail, citation(&result.remedy)),
        }
    }
}
