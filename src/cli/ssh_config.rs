//! `fxconfig ssh-config`: one `Host` block in an OpenSSH client configuration, so that
//! `ssh ALIAS` uses the token key without `-I`.

use std::path::{Path, PathBuf};

use clap::Args;
use fxconfig::pkcs11::ssh::Shell;
use fxconfig::sshclient::daily::DailyUse;
use fxconfig::sshclient::{self, HostBlockReport, HostBlockRequest, SettingAction, SshLocations};
use serde::Serialize;

use super::output::say;
use super::{CommandError, CommandResult, EXIT_CANNOT_RUN, EXIT_FAILED, EXIT_OK};

// Arguments of `fxconfig ssh-config`.
#[derive(Debug, Args)]
pub struct SshConfigArgs {
    /// The file (default: ~/.ssh/config; %USERPROFILE%\.ssh\config on Windows), such as a drop-in
    /// /etc/ssh/ssh_config.d/50-fxpkcs11.conf.
    #[arg(long, value_name = "PATH")]
    file: Option<PathBuf>,
    /// The alias after `Host`: what you type after `ssh`.
    #[arg(long = "host", value_name = "ALIAS")]
    alias: String,
    /// The PKCS#11 module (PKCS11Provider), such as the fxpkcs11 library.
    #[arg(long, value_name = "PATH")]
    module: PathBuf,
    /// The server's name or address (HostName), when the alias is not it.
    #[arg(long, value_name = "NAME")]
    hostname: Option<String>,
    /// The server's port (Port).
    #[arg(long, value_name = "N")]
    port: Option<u16>,
    /// The remote user (User).
    #[arg(long, value_name = "NAME")]
    user: Option<String>,
    /// The exported public key as an OpenSSH line (`fxconfig pubkey` writes one): sets
    /// IdentitiesOnly yes and IdentityFile, so that ssh offers that token key alone.
    #[arg(long, value_name = "FILE.pub")]
    identity: Option<PathBuf>,
    /// An OpenSSH certificate of the token key (CertificateFile), for sites with an SSH CA.
    #[arg(long, value_name = "FILE")]
    certificate: Option<PathBuf>,
    /// Work out and prove the change, writing nothing.
    #[arg(long)]
    check: bool,
    /// Print the change as a unified diff.
    #[arg(long)]
    diff: bool,
    /// Print JSON: {"path", "changed", "check", "changes": [{"tag", "section", "line", "old", "new", "action"}],
    /// "diff", "backup", "moved", "read_by", "proof", "may_override"}.
    #[arg(long)]
    json: bool,
}

#[derive(Serialize)]
struct SshConfigJson<'a> {
    #[serde(flatten)]
    report: &'a HostBlockReport,
    diff: Option<&'a str>,
}

/// Writes the block and proves it, printing what changed and what `ssh -G` showed.
pub fn run(args: &SshConfigArgs) -> CommandResult {
    let request = HostBlockRequest {
        file: args.file.clone(),
        alias: args.alias.clone(),
        module: args.module.clone(),
        hostname: args.hostname.clone(),
        port: args.port,
        user: args.user.clone(),
        identity: args.identity.clone(),
        certificate: args.certificate.clone(),
        check: args.check,
    };
    let report = sshclient::write_host_block(&request, &SshLocations::of_this_user()).map_err(|error| {
        let code = match error {
            sshclient::SshConfigError::Overridden { .. } | sshclient::SshConfigError::NotProven { .. } => EXIT_FAILED,
            _ => EXIT_CANNOT_RUN,
        };
        CommandError::explained(code, &error)
    })?;
    if report.changed && !report.check {
        super::output::note_saved(&report.path);
    }
    let diff = (args.diff || args.json)
        .then(|| fxconfig::cfg::diff::unified_plain(&report.old, &report.new, &report.path.display().to_string(), 3));
    if args.json {
        let json = SshConfigJson {
            report: &report,
            diff: diff.as_deref().filter(|_| args.diff),
        };
        let text = serde_json::to_string_pretty(&json)
            .map_err(|e| CommandError::cannot_run(format!("could not encode JSON: {e}")))?;
        println!("{text}");
        return Ok(EXIT_OK);
    }
    if let Some(diff) = diff.as_deref().filter(|_| args.diff) {
        for line in diff.lines() {
            super::output::say_line(line);
        }
    }
    print_report(&report, &args.alias, &args.module);
    Ok(EXIT_OK)
}

fn print_report(report: &HostBlockReport, alias: &str, module: &Path) {
    let path = report.path.display();
    for change in &report.changes {
        let verb = match (change.action, report.check) {
            (SettingAction::Updated, false) => "updated",
            (SettingAction::Added, false) => "added",
            (SettingAction::Updated, true) => "would be updated",
            (SettingAction::Added, true) => "would be added",
        };
        match &change.old {
            Some(old) => say!(
                "line {}: {} {verb} ({old} -> {}) in {}",
                change.line,
                change.tag,
                change.new,
                change.section
            ),
            None => say!(
                "line {}: {} {verb} ({}) in {}",
                change.line,
                change.tag,
                change.new,
                change.section
            ),
        }
    }
    if report.moved {
        say!("{path}: the Host {alias} block moved in front of the blocks that set its keywords first");
    }
    if !report.changed {
        say!("{path}: no change, the Host {alias} block already holds every value");
    } else if report.check {
        say!("{path}: nothing written (--check)");
    } else if let Some(backup) = &report.backup {
        say!("{path}: saved (the previous version is in {})", backup.display());
    } else {
        say!("{path}: saved");
    }
    match &report.proof {
        Some(proof) => {
            say!("proven: {} shows", proof.command);
            for line in proof.lines(&report.keywords) {
                say!("  {line}");
            }
        }
        None => say!(
            "not proven yet: ssh reads {path} through another file, so `ssh -G {alias}` can show the block only once it is written"
        ),
    }
    for line in &report.may_override {
        say!("note: {line} may set a keyword first, depending on what ssh evaluates at connection time");
    }
    let library = fxconfig::cfg::locate::library_cfg_path();
    let daily = DailyUse {
        alias,
        module,
        config: None,
        library: &library,
        ssh_config: (report.read_by == sshclient::ReadBy::OnlyWithF).then_some(report.path.as_path()),
    };
    say!("then:");
    for command in daily.commands(Shell::of_this_platform()) {
        say!("  {:<54} # {}", command.command, command.purpose);
    }
}
