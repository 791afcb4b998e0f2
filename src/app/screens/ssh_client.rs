//! The SSH client screen: the `Host` block that makes a daily `ssh ALIAS` use the token key
//! (previewed with its diff, written to ~/.ssh/config and proven with `ssh -G`), the commands
//! of daily use in POSIX shell and PowerShell, and the agent's verdict [5].

use std::path::{Path, PathBuf};

use egui::{Id, RichText, Ui};

use super::super::command::Command;
use super::super::dialogs::{DialogPurpose, SshFileField};
use super::super::theme::Tone;
use super::super::widgets;
use super::ScreenContext;
use crate::app::features::ssh_client::{AgentOutcome, SshClientCommand};
use crate::pkcs11::ssh::Shell;
use crate::sshclient::agent::AgentPrediction;
use crate::sshclient::daily::{DailyCommand, DailyUse};
use crate::sshclient::{HostBlockRequest, ReadBy};

/// The id of the alias field.
pub fn alias_field_id() -> Id {
    Id::unique("ssh-client-alias")
}

/// The id of the module path field of this screen.
pub fn module_field_id() -> Id {
    Id::unique("ssh-client-module")
}

/// The id of the path field of `field`.
pub fn file_field_id(field: SshFileField) -> Id {
    match field {
        SshFileField::Identity => Id::unique("ssh-client-identity"),
        SshFileField::Config => Id::unique("ssh-client-file"),
    }
}

/// The widget state of the SSH client screen.
#[derive(Debug, Default)]
pub struct SshClientView {
    /// The Host alias as typed.
    pub alias: String,
    /// The server's name (HostName) as typed.
    pub hostname: String,
    /// The remote user as typed.
    pub user: String,
    /// The port as typed.
    pub port: String,
    /// The module path as typed.
    pub module: String,
    /// Whether the module path was filled in from the module found or chosen.
    pub module_prefilled: bool,
    /// The exported public key (an OpenSSH `.pub` line) as typed.
    pub identity: String,
    /// The ssh_config file as typed; empty for ~/.ssh/config.
    pub file: String,
    /// The daily commands (POSIX, PowerShell) and the inputs they were made for.
    pub daily: Option<(String, [Vec<DailyCommand>; 2])>,
}

fn optional(text: &str) -> Option<String> {
    Some(text.trim().to_owned()).filter(|text| !text.is_empty())
}

impl SshClientView {
    /// The block the fields ask for, or why they do not make one yet.
    pub fn request(&self, module: &str) -> Result<HostBlockRequest, String> {
        let alias = self.alias.trim();
        if alias.is_empty() {
            return Err("Give the Host alias: the name you will type after ssh.".to_owned());
        }
        let port = match optional(&self.port) {
            None => None,
            Some(text) => Some(
                text.parse::<u16>()
                    .ok()
                    .filter(|port| *port > 0)
                    .ok_or_else(|| format!("The port {text:?} is not 1-65535."))?,
            ),
        };
        Ok(HostBlockRequest {
            file: optional(&self.file).map(PathBuf::from),
            alias: alias.to_owned(),
            module: PathBuf::from(module),
            hostname: optional(&self.hostname),
            port,
            user: optional(&self.user),
            identity: optional(&self.identity).map(PathBuf::from),
            certificate: None,
            check: false,
        })
    }
}

/// Draws the screen.
pub fn show(ui: &mut Ui, cx: &ScreenContext<'_>, view: &mut SshClientView, out: &mut Vec<Command>) {
    ui.heading("SSH client");
    ui.add(
        egui::Label::new(
            "Make a daily ssh ALIAS (and scp, git, Ansible) use the key in the KMES without -I: a Host block in \
             your OpenSSH configuration that names the module and offers the exported key alone, proven with \
             ssh -G before anything is written [5].",
        )
        .wrap(),
    );
    ui.add_space(4.0);
    let alias = widgets::text_input(ui, "Host alias", "kmes", &mut view.alias, alias_field_id(), false);
    widgets::apply_focus(cx.focus, &alias, true);
    widgets::text_input(
        ui,
        "Server (HostName, optional)",
        "ssh-server.example.com",
        &mut view.hostname,
        Id::unique("ssh-client-hostname"),
        false,
    );
    widgets::text_input(
        ui,
        "Remote user (optional)",
        "admin",
        &mut view.user,
        Id::unique("ssh-client-user"),
        false,
    );
    widgets::text_input(
        ui,
        "Port (optional)",
        "22",
        &mut view.port,
        Id::unique("ssh-client-port"),
        false,
    );
    super::pkcs11::prefill_module(cx, &mut view.module, &mut view.module_prefilled);
    super::pkcs11::module_path_field(
        ui,
        cx,
        super::pkcs11::ModulePathField {
            label: "PKCS#11 module (PKCS11Provider)",
            id: module_field_id(),
            action: None,
            entry: false,
        },
        &mut view.module,
        out,
    );
    for (field, label, hint, browse_hint, text) in [
        (
            SshFileField::Identity,
            "Exported public key (IdentityFile, optional)",
            "~/.ssh/kmes.pub, written by: fxconfig pubkey SSH_Client_Public.pub > ~/.ssh/kmes.pub",
            "Choose the exported public key as an OpenSSH line (.pub)",
            &mut view.identity,
        ),
        (
            SshFileField::Config,
            "OpenSSH configuration file",
            "~/.ssh/config (the default)",
            "Choose the OpenSSH client configuration file",
            &mut view.file,
        ),
    ] {
        let (action, _) = widgets::path_field(
            ui,
            widgets::PathFieldSpec {
                label,
                hint,
                id: file_field_id(field),
                action: None,
                browse_enabled: !cx.dialog_open,
                browse_hint,
                entry: false,
            },
            text,
            cx.focus,
        );
        if action.browse {
            out.push(Command::Dialog(DialogPurpose::BrowseSshFile(field)));
        }
    }

    let module = if view.module.trim().is_empty() {
        cx.module_path
    } else {
        view.module.trim()
    };
    let request = view.request(module);
    let running = cx.ssh_client.block.as_ref().is_some_and(|run| run.outcome.is_none());
    let target_name = if view.file.trim().is_empty() {
        "~/.ssh/config".to_owned()
    } else {
        view.file.trim().to_owned()
    };
    ui.add_space(6.0);
    ui.horizontal_wrapped(|ui| {
        let enabled = request.is_ok() && !running;
        if ui
            .add_enabled(enabled, egui::Button::new("Preview"))
            .on_hover_text("Work out the change and prove it with ssh -G, writing nothing")
            .clicked()
            && let Ok(request) = &request
        {
            out.push(SshClientCommand::Preview(request.clone()).into());
        }
        if ui
            .add_enabled(enabled, egui::Button::new(format!("Add to {target_name}")))
            .on_hover_text("Write the block (locked, atomic, with a backup) where it takes effect, proven with ssh -G")
            .clicked()
            && let Ok(request) = &request
        {
            out.push(SshClientCommand::Write(request.clone()).into());
        }
    });
    if let Err(why) = &request {
        ui.weak(why);
    }
    block_result(ui, cx, request.as_ref().ok(), out);

    ui.add_space(12.0);
    ui.label(RichText::new("Daily use").strong().size(16.0));
    let alias_text = view.alias.trim();
    let library = cx.doc.map_or_else(
        || crate::cfg::LibraryCfg {
            path: cx.library_path.to_path_buf(),
            source: crate::cfg::CfgSource::PlatformDefault,
        },
        |doc| doc.library.clone(),
    );
    let ssh_config = cx
        .ssh_client
        .block
        .as_ref()
        .and_then(|run| run.outcome.as_ref())
        .and_then(|outcome| outcome.as_ref().ok())
        .filter(|report| report.read_by == ReadBy::OnlyWithF)
        .map(|report| report.path.clone());
    let daily = DailyUse {
        alias: if alias_text.is_empty() { "ALIAS" } else { alias_text },
        module: Path::new(module),
        config: cx.doc.map(|doc| doc.file.path.as_path()),
        library: &library,
        ssh_config: ssh_config.as_deref(),
    };
    // The commands look at the files (links resolved, which file the library reads): worked out
    // again only when what they are about changes, not on every frame.
    let key = format!("{daily:?}");
    if view.daily.as_ref().is_some_and(|(made_for, _)| *made_for != key) {
        view.daily = None;
    }
    let (_, daily_commands) = view.daily.get_or_insert_with(|| {
        (
            key,
            [Shell::Posix, Shell::PowerShell].map(|shell| daily.commands(shell)),
        )
    });
    for (commands, title) in daily_commands.iter().zip(["Linux shell", "Windows PowerShell"]) {
        ui.label(RichText::new(title).strong());
        let text = commands
            .iter()
            .map(|command| format!("# {}\n{}", command.purpose, command.command))
            .collect::<Vec<_>>()
            .join("\n");
        widgets::code_block(ui, &text);
        let bare = commands
            .iter()
            .map(|command| command.command.clone())
            .collect::<Vec<_>>()
            .join("\n");
        if ui.button(format!("Copy the {title} commands")).clicked() {
            out.push(Command::Copy(bare));
        }
    }

    ui.add_space(12.0);
    ui.label(RichText::new("SSH agent").strong().size(16.0));
    ui.add(
        egui::Label::new(
            "ssh-add -s loads the token's keys into the agent, whose module runs with the agent's environment and \
             only from the folders the agent allows.",
        )
        .wrap(),
    );
    let config = cx.doc.map(|doc| doc.file.path.clone());
    let agent_running = cx.ssh_client.agent.as_ref().is_some_and(|run| run.outcome.is_none());
    if ui
        .add_enabled(!agent_running, egui::Button::new("Check the agent"))
        .clicked()
    {
        out.push(
            SshClientCommand::CheckAgent {
                module: PathBuf::from(module),
                config: config.clone(),
            }
            .into(),
        );
    }
    if let Some(run) = &cx.ssh_client.agent {
        match &run.outcome {
            None => {
                ui.horizontal(|ui| {
                    widgets::busy(ui);
                    ui.label("Examining the agent…");
                });
            }
            Some(outcome) => {
                if run.module != Path::new(module) || run.config != config {
                    widgets::out_of_date(ui, &["the module or the configuration changed".to_owned()]);
                }
                match outcome {
                    AgentOutcome::NoAgent => {
                        ui.label(
                            "No agent runs in this session (SSH_AUTH_SOCK is not set); the commands above start one.",
                        );
                    }
                    AgentOutcome::Failed(problem) => widgets::problem(ui, problem),
                    AgentOutcome::Judged(verdict) => {
                        let (tone, word) = match verdict.prediction {
                            AgentPrediction::Accepts => (Tone::Pass, "PASS"),
                            AgentPrediction::AcceptsWithDoubt => (Tone::Warn, "WARN"),
                            AgentPrediction::Refuses => (Tone::Warn, "REFUSED"),
                        };
                        widgets::toned(ui, tone, &format!("{word}  {}", verdict.detail));
                        if !verdict.remedy.is_empty() {
                            widgets::remedy(ui, tone, &verdict.remedy, Some("ssh-agent"));
                        }
                    }
                }
            }
        }
    }
}

/// The preview or write on screen: its changes, diff and proof, marked out of date when the
/// fields no longer ask for the same block.
fn block_result(ui: &mut Ui, cx: &ScreenContext<'_>, current: Option<&HostBlockRequest>, out: &mut Vec<Command>) {
    let Some(run) = &cx.ssh_client.block else {
        return;
    };
    let Some(outcome) = &run.outcome else {
        ui.horizontal(|ui| {
            widgets::busy(ui);
            ui.label(if run.write {
                "Writing and proving the Host block with ssh -G…"
            } else {
                "Working out the change and proving it with ssh -G…"
            });
        });
        return;
    };
    if current != Some(&run.request) {
        widgets::out_of_date(ui, &["the fields changed".to_owned()]);
    }
    let report = match outcome {
        Ok(report) => report,
        Err(problem) => {
            widgets::problem(ui, problem);
            return;
        }
    };
    let path = report.path.display();
    let headline = match (run.write, report.changed) {
        (_, false) => format!("{path} already holds this Host {} block.", run.request.alias),
        (true, true) => match &report.backup {
            Some(backup) => format!("Saved {path} (the previous version is in {}).", backup.display()),
            None => format!("Saved {path}."),
        },
        (false, true) => format!("Preview: nothing written yet to {path}."),
    };
    let tone = if run.write || !report.changed {
        Tone::Pass
    } else {
        Tone::Info
    };
    widgets::toned(ui, tone, &headline);
    if report.moved {
        ui.label("The block moves in front of the blocks that set its keywords first.");
    }
    if report.changed {
        let diff = crate::cfg::diff::unified_plain(&report.old, &report.new, &path.to_string(), 3);
        widgets::code_block(ui, diff.trim_end());
    }
    match &report.proof {
        Some(proof) => {
            let mut lines = vec![format!("{} shows:", proof.command)];
            lines.extend(
                proof
                    .lines(&report.keywords)
                    .into_iter()
                    .map(|line| format!("  {line}")),
            );
            widgets::toned(ui, Tone::Pass, "PASS  proven with ssh -G");
            widgets::code_block(ui, &lines.join("\n"));
        }
        None => {
            ui.label("ssh reads this file through another, so ssh -G can prove the block only once it is written.");
        }
    }
    if run.request.identity.is_none() {
        widgets::toned(
            ui,
            Tone::Warn,
            "Without the exported public key, ssh offers every key of the token (and your own) before the right \
             one, and sshd stops after six: name it to offer that key alone.",
        );
    }
    for line in &report.may_override {
        widgets::toned(
            ui,
            Tone::Warn,
            &format!("{line} may set a keyword first, depending on what ssh evaluates when it connects."),
        );
    }
    if !run.write && report.changed && ui.button("Write it").clicked() {
        out.push(SshClientCommand::Write(run.request.clone()).into());
    }
}
