//! How the app applies the events of finished background work: one handler, the only
//! place besides the command handler where the runtime state changes.

use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

use crate::cfg::{self, CfgError};
use crate::sshkey;

use super::FxApp;
use super::command::{Command, Modal, Pending};
use super::dialogs::DialogPurpose;
use super::drop::DropTarget;
use super::model::{OpenDocument, Problem, Slot};
use super::screens::Screen;
use super::tasks::{self, TaskEvent, WrittenKind};

impl FxApp {
    pub(super) fn handle(&mut self, ctx: &egui::Context, event: TaskEvent) {
        match event {
            TaskEvent::Dialog { purpose, path } => {
                self.dialog_open = false;
                if let Some(path) = path {
                    self.dialog_answered(ctx, purpose, path);
                }
            }
            TaskEvent::ConfigLoaded { path, result } => self.config_loaded(path, result),
            TaskEvent::Saved { result } => self.saved(ctx, result),
            TaskEvent::Validated { revision, findings } => {
                if let Some(doc) = &mut self.doc {
                    doc.validating = false;
                    if doc.revision == revision {
                        doc.findings = findings;
                        doc.findings_revision = Some(revision);
                    }
                }
            }
            TaskEvent::DiskChanged { generation } => {
                if let Some(doc) = &mut self.doc
                    && doc.watch_generation == generation
                {
                    doc.changed_on_disk = true;
                    doc.watch = None;
                }
            }
            TaskEvent::CaLoaded { path, result } => {
                if self.certs.ca.path() == Some(&path) {
                    self.certs.ca = match result {
                        Ok(bundle) => Slot::Loaded(path, bundle),
                        Err(error) => Slot::Failed(path, Problem::explained(&error)),
                    };
                    self.check_chain();
                }
            }
            TaskEvent::P12Loaded { path, result } => {
                if self.certs.p12.path() == Some(&path) {
                    self.certs.p12 = match result {
                        Ok(identity) => Slot::Loaded(path, identity),
                        Err(error) => {
                            self.certs.p12_password = None;
                            Slot::Failed(path, Problem::explained(&error))
                        }
                    };
                    self.check_chain();
                }
            }
            TaskEvent::ChainChecked { generation, result } => {
                if generation == self.certs.generation {
                    self.certs.chain = Some(result.map_err(|error| Problem::explained(&error)));
                }
            }
            TaskEvent::Imported { result } => {
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
            TaskEvent::KeyRendered { path, result } => {
                if self.key.key.path() == Some(&path) {
                    self.key.key = match result {
                        Ok(report) => Slot::Loaded(path, report),
                        Err(error) => Slot::Failed(path, Problem::explained(&error)),
                    };
                }
            }
            TaskEvent::Written { kind, path, result } => {
                self.writes = self.writes.saturating_sub(1);
                let what = match kind {
                    WrittenKind::Report => "the report",
                    WrittenKind::AuthorizedKeys => "the authorized_keys fragment",
                };
                match result {
                    Ok(()) => self.info(format!("Saved {what} to {}.", path.display())),
                    Err(error) => self.error(format!("Could not save {what} to {}: {error}", path.display())),
                }
            }
            TaskEvent::Check { run, result } => {
                if run == self.doctor.run {
                    self.doctor.record(result);
                }
            }
            TaskEvent::DoctorDone { run, report, markdown } => {
                if run == self.doctor.run {
                    self.doctor.running = false;
                    self.doctor.cancel = None;
                    self.doctor.stop_after = None;
                    if report.is_some() {
                        self.doctor.report = report;
                        self.doctor.markdown = markdown;
                    }
                }
            }
            TaskEvent::FaultSet { fault, result } => match result {
                Ok(()) => {
                    let name = fault.map_or("none", |f| f.name());
                    self.info(format!("Simulator fault: {name}. Run the connection test to see it."));
                }
                Err(error) => self.explain("Could not switch the fault", &error),
            },
            TaskEvent::Dropped { path, target } => self.route_dropped(path, target),
            TaskEvent::ModuleFound(path) => self.detected_module = path,
            TaskEvent::ModuleExamined { generation, outcome } => {
                if generation == self.module.generation {
                    self.module.running = false;
                    self.module.outcome = Some(*outcome);
                }
            }
            TaskEvent::SshTested(result) => {
                self.module.ssh_running = false;
                self.module.ssh = Some(result);
            }
            TaskEvent::PrefsSaved(result) => {
                if let Err(error) = result {
                    self.error(format!("Could not save the preferences: {error}"));
                }
            }
        }
    }

    pub(super) fn config_loaded(&mut self, path: PathBuf, result: Result<Box<tasks::LoadedConfig>, CfgError>) {
        if self.loading.as_deref() != Some(path.as_path()) {
            return;
        }
        self.loading = None;
        match result {
            Ok(loaded) => {
                self.doc = Some(OpenDocument::from_loaded(*loaded));
                self.views.config.reset();
                self.watch();
                self.start_validation();
                self.prefs.remember_file(&path);
                self.save_prefs();
            }
            Err(CfgError::Read { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => {
                if self.doc.is_some() {
                    self.error(format!("There is no file at {}.", path.display()));
                } else {
                    self.missing = Some(path);
                }
            }
            Err(error) => {
                if self.doc.is_some() {
                    self.explain(&format!("Could not open {}", path.display()), &error);
                } else {
                    self.load_problem = Some(Problem::explained(&error));
                }
            }
        }
    }

    pub(super) fn saved(
        &mut self,
        ctx: &egui::Context,
        result: Result<(Box<tasks::LoadedConfig>, cfg::SaveReport), CfgError>,
    ) {
        self.saving = false;
        match result {
            Ok((loaded, report)) => {
                let path = loaded.file.path.clone();
                if let Some(doc) = &mut self.doc {
                    doc.baseline = Zeroizing::new(loaded.file.doc.to_bytes());
                    doc.file = loaded.file;
                    doc.library = loaded.library;
                    doc.is_library_file = loaded.is_library_file;
                    doc.library_exists = loaded.library_exists;
                    doc.mismatch = loaded.mismatch;
                    doc.touch();
                }
                self.watch();
                let backup = report
                    .backup
                    .map(|backup| format!(" (previous version in {})", backup.display()))
                    .unwrap_or_default();
                self.info(format!("Saved {}{backup}.", report.path.display()));
                self.prefs.remember_file(&path);
                self.save_prefs();
                if let Some(then) = self.after_save.take() {
                    self.perform(ctx, then);
                }
            }
            Err(error) => {
                self.after_save = None;
                if matches!(error, CfgError::ChangedOnDisk { .. })
                    && let Some(doc) = &mut self.doc
                {
                    doc.changed_on_disk = true;
                }
                self.explain("Not saved", &error);
            }
        }
    }

    pub(super) fn dialog_answered(&mut self, ctx: &egui::Context, purpose: DialogPurpose, path: PathBuf) {
        if let Some(folder) = path.parent().map(Path::to_owned) {
            let folders = &mut self.prefs.last_folders;
            match &purpose {
                DialogPurpose::OpenConfig | DialogPurpose::SaveConfigAs => folders.config = Some(folder),
                DialogPurpose::OpenCa | DialogPurpose::OpenP12 | DialogPurpose::BrowseField(_) => {
                    folders.certificates = Some(folder);
                }
                DialogPurpose::OpenPublicKey | DialogPurpose::SaveAuthorizedKeys | DialogPurpose::BrowseModule => {
                    folders.ssh_key = Some(folder);
                }
                DialogPurpose::SaveReport => folders.report = Some(folder),
            }
            self.prefs_dirty = true;
        }
        match purpose {
            DialogPurpose::OpenConfig => self.start_load(path),
            DialogPurpose::SaveConfigAs => self.start_save(Some(path)),
            DialogPurpose::OpenCa => self.load_ca(path),
            DialogPurpose::OpenP12 => self.apply(ctx, Command::PromptP12(path)),
            DialogPurpose::OpenPublicKey => self.load_public_key(path),
            DialogPurpose::BrowseField(tag) => self.apply(
                ctx,
                Command::SetField {
                    section: None,
                    tag,
                    value: Zeroizing::new(path.display().to_string()),
                },
            ),
            DialogPurpose::BrowseModule => {
                let text = path.display().to_string();
                self.views.key.module.clone_from(&text);
                self.views.module.module.clone_from(&text);
                self.prefs.module_path = Some(text);
            }
            DialogPurpose::SaveReport => {
                if let Some(markdown) = self.doctor.markdown.clone() {
                    self.write_file(WrittenKind::Report, path, markdown);
                }
            }
            DialogPurpose::SaveAuthorizedKeys => {
                if let Some(report) = self.key.key.value() {
                    let options = self.views.key.options.trim();
                    let line = if options.is_empty() {
                        Ok(report.line.clone())
                    } else {
                        sshkey::with_options(&report.line, options)
                    };
                    match line {
                        Ok(line) => self.write_file(WrittenKind::AuthorizedKeys, path, format!("{line}\n")),
                        Err(error) => self.explain("Not saved", &error),
                    }
                }
            }
        }
    }

    pub(super) fn write_file(&mut self, kind: WrittenKind, path: PathBuf, text: String) {
        self.writes += 1;
        self.spawn("write", move || {
            let result = std::fs::write(&path, text.as_bytes());
            TaskEvent::Written { kind, path, result }
        });
    }

    pub(super) fn route_dropped(&mut self, path: PathBuf, target: DropTarget) {
        match target {
            DropTarget::Config => self.guarded(Pending::Open(path)),
            DropTarget::Ca => {
                self.screen = Screen::Certificates;
                self.load_ca(path);
            }
            DropTarget::Pkcs12 => {
                self.screen = Screen::Certificates;
                self.modal = Some(Modal::P12Password {
                    path,
                    password: Zeroizing::new(String::new()),
                });
            }
            DropTarget::PublicKey => {
                self.screen = Screen::SshKey;
                self.load_public_key(path);
            }
            DropTarget::Unknown => self.error(format!(
                "{} is not a configuration, certificate, PKCS#12 file or public key.",
                path.display()
            )),
        }
    }
}
