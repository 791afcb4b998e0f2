//! `fxconfig identity` and `fxconfig import`: the TLS materials of [3.1].

use std::path::PathBuf;

use clap::Args;
use fxconfig::identity::{self, CertInfo, Validity};
use fxconfig::import::{self, ImportRequest};
use serde::Serialize;

use super::output::say;
use super::secret_input::PasswordSource;
use super::{CommandError, CommandResult, EXIT_CANNOT_RUN, EXIT_FAILED, EXIT_OK, output};

// Arguments of `fxconfig identity`.
#[derive(Debug, Args)]
pub struct IdentityArgs {
    /// The PKCS#12 client identity exported from the KMES [3.1.7].
    #[arg(long, value_name = "FILE")]
    p12: PathBuf,
    #[command(flatten)]
    password: PasswordSource,
    /// Accept an empty password on standard input.
    #[arg(long, requires = "password_stdin")]
    allow_empty: bool,
    /// The root CA to check the client certificate against [3.1.4].
    #[arg(long, value_name = "FILE")]
    ca: Option<PathBuf>,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

// Arguments of `fxconfig import`.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The fxpkcs11.cfg to update (created if missing).
    #[arg(long, value_name = "PATH")]
    config: PathBuf,
    /// The root CA certificate [3.1.4].
    #[arg(long, value_name = "FILE")]
    ca: PathBuf,
    /// The PKCS#12 client identity [3.1.7].
    #[arg(long, value_name = "FILE")]
    p12: PathBuf,
    #[command(flatten)]
    password: PasswordSource,
    /// Accept an empty password on standard input.
    #[arg(long, requires = "password_stdin")]
    allow_empty: bool,
    /// Let the members of group NAME read the configuration and the two copies (group NAME,
    /// mode 0640): the users who run ssh with the key, since the library runs as them.
    #[arg(long, value_name = "NAME")]
    group: Option<String>,
    /// Where to copy the two files (default: the configuration's folder).
    #[arg(long, value_name = "DIR")]
    dest: Option<PathBuf>,
    /// Make the configuration and its backup readable by their owner only (0600), keeping the owner.
    #[arg(long)]
    tighten_permissions: bool,
    /// Work out what would change and print it, writing nothing.
    #[arg(long)]
    check: bool,
    /// Print the change to the configuration as a unified diff, passwords masked.
    #[arg(long)]
    diff: bool,
    /// Print JSON: {"path", "changed", "check", "changes", "files", "diff", "created", "ca_path", "p12_path",
    /// "backup", "client_subject", "ca_subject", "exposure"}.
    #[arg(long)]
    json: bool,
}

#[derive(Serialize)]
struct ImportJson<'a> {
    path: &'a std::path::Path,
    config: &'a std::path::Path,
    changed: bool,
    check: bool,
    changes: &'a [fxconfig::cfg::EntryChange],
    files: &'a [identity::PlannedCopy],
    diff: Option<&'a str>,
    created: bool,
    ca_path: &'a std::path::Path,
    p12_path: &'a std::path::Path,
    backup: Option<&'a std::path::Path>,
    client_subject: &'a str,
    ca_subject: Option<&'a str>,
    exposure: Option<&'a fxconfig::files::PasswordExposure>,
}

#[derive(Serialize)]
struct IdentityJson<'a> {
    certificates: &'a [CertInfo],
    key_type: &'a str,
    encryption: &'a [String],
    ca: Option<&'a [CertInfo]>,
    chain_ok: Option<bool>,
    chain_error: Option<String>,
}

fn now_unix() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

fn print_cert(cert: &CertInfo) {
    output::field("subject", &cert.subject);
    output::field("issuer", &cert.issuer);
    output::field("serial", &cert.serial_hex);
    let validity = match cert.validity_at(now_unix()) {
        Validity::Valid { days_left } => format!("{days_left} days left"),
        Validity::Expired { days_ago } => format!("EXPIRED {days_ago} days ago"),
        Validity::NotYetValid { days_until } => format!("NOT YET VALID, starts in {days_until} days"),
    };
    output::field(
        "valid",
        format!("{} to {} ({validity})", cert.not_before, cert.not_after),
    );
    let bits = cert.key_bits.map(|b| format!(" {b} bits")).unwrap_or_default();
    output::field("key", format!("{}{bits}", cert.key_type));
    if !cert.sans.is_empty() {
        output::field("subject alt names", cert.sans.join(", "));
    }
    if !cert.key_usage.is_empty() {
        output::field("key usage", cert.key_usage.join(", "));
    }
    if let Some(eku) = &cert.ext_key_usage {
        output::field("extended key usage", eku.join(", "));
    }
    output::field("SHA-256 fingerprint", &cert.sha256_fingerprint);
}

/// Shows the identity's certificates and, with `--ca`, checks its chain.
pub fn run_identity(args: &IdentityArgs) -> CommandResult {
    let password = args.password.read(args.allow_empty)?;
    let client = identity::load_p12_within(&args.p12, &password, identity::P12_TIME_LIMIT)
        .map_err(|e| CommandError::explained(identity_exit(&e), &e))?;
    let ca = match &args.ca {
        Some(path) => Some(identity::load_ca(path).map_err(|e| CommandError::explained(identity_exit(&e), &e))?),
        None => None,
    };
    let chain = ca
        .as_ref()
        .map(|ca| identity::verify_client_chain(&client, ca, now_unix()));
    let leaf_valid = matches!(client.leaf().validity_at(now_unix()), Validity::Valid { .. });
    let chain_ok = chain.as_ref().map(Result::is_ok);

    if args.json {
        let json = IdentityJson {
            certificates: &client.chain,
            key_type: &client.key_type,
            encryption: &client.encryption,
            ca: ca.as_ref().map(|c| c.certs.as_slice()),
            chain_ok,
            chain_error: chain
                .as_ref()
                .and_then(|r| r.as_ref().err())
                .map(|e| fxconfig::remedy::cause_chain(e)),
        };
        let text = serde_json::to_string_pretty(&json)
            .map_err(|e| CommandError::cannot_run(format!("could not encode JSON: {e}")))?;
        println!("{text}");
    } else {
        say!(
            "{}: {} key, encrypted with {}",
            args.p12.display(),
            client.key_type,
            client.encryption.join(", ")
        );
        for (index, cert) in client.chain.iter().enumerate() {
            say!(
                "certificate {} of {}{}",
                index + 1,
                client.chain.len(),
                if index == 0 { " (client)" } else { "" }
            );
            print_cert(cert);
        }
        if let Some(ca) = &ca {
            for cert in &ca.certs {
                say!("root CA");
                print_cert(cert);
            }
        }
        match &chain {
            Some(Ok(())) => {
                say!("chain: OK, the client certificate chains to the CA and allows client authentication")
            }
            Some(Err(error)) => {
                say!("chain: FAILED: {}", fxconfig::remedy::cause_chain(error));
                say!("  remedy: {}", fxconfig::remedy::remedy_with_citation(error));
            }
            None => {}
        }
    }
    Ok(if chain_ok == Some(false) || !leaf_valid {
        EXIT_FAILED
    } else {
        EXIT_OK
    })
}

/// The exit code of an identity error: 2 when a file could not be read at all (the command
/// could not run), 1 when it was read and found wanting.
fn identity_exit(error: &fxconfig::identity::IdentityError) -> u8 {
    if error.is_unreadable() {
        EXIT_CANNOT_RUN
    } else {
        EXIT_FAILED
    }
}

/// Checks the materials, copies them and updates the configuration.
pub fn run_import(args: &ImportArgs) -> CommandResult {
    // A stop asked for mid-way (Ctrl+C, systemd, Ansible, timeout(1)) waits until the import
    // has finished or rolled back, so nothing half-done is left; then it exits as stopped.
    let stop = StopRequests::catch();
    let code = import(args)?;
    match stop.received() {
        Some(signal) => {
            eprintln!("fxconfig: stopped by signal {signal} once the import was complete");
            Ok(128 + signal)
        }
        None => Ok(code),
    }
}

/// SIGINT, SIGTERM and SIGHUP noted rather than acted on while it lives (Unix).
struct StopRequests {
    #[cfg(unix)]
    received: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    #[cfg(unix)]
    ids: Vec<signal_hook::SigId>,
}

impl StopRequests {
    fn catch() -> StopRequests {
        #[cfg(unix)]
        {
            let received = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
            let ids = [
                signal_hook::consts::SIGINT,
                signal_hook::consts::SIGTERM,
                signal_hook::consts::SIGHUP,
            ]
            .into_iter()
            .filter_map(|signal| {
                let number = usize::try_from(signal).ok()?;
                signal_hook::flag::register_usize(signal, std::sync::Arc::clone(&received), number).ok()
            })
            .collect();
            StopRequests { received, ids }
        }
        #[cfg(not(unix))]
        StopRequests {}
    }

    /// The signal that asked to stop, if one came.
    fn received(&self) -> Option<u8> {
        #[cfg(unix)]
        {
            let signal = self.received.load(std::sync::atomic::Ordering::SeqCst);
            u8::try_from(signal).ok().filter(|signal| *signal != 0)
        }
        #[cfg(not(unix))]
        None
    }
}

impl Drop for StopRequests {
    fn drop(&mut self) {
        #[cfg(unix)]
        for id in self.ids.drain(..) {
            signal_hook::low_level::unregister(id);
        }
    }
}

fn import(args: &ImportArgs) -> CommandResult {
    let group = super::config::access_group(args.group.as_deref())?;
    let password = args.password.read(args.allow_empty)?;
    let request = ImportRequest {
        config: &args.config,
        ca: &args.ca,
        p12: &args.p12,
        password: &password,
        dest: args.dest.as_deref(),
        tighten_permissions: args.tighten_permissions,
    };
    let options = import::ImportOptions {
        check: args.check,
        diff: args.diff,
    };
    let report = import::import_tls_materials_with(&request, options).map_err(|e| {
        let code = match &e {
            import::ImportError::Identity(error) => identity_exit(error),
            import::ImportError::Config(fxconfig::cfg::CfgError::AmbiguousEntry { .. }) => EXIT_FAILED,
            _ => EXIT_CANNOT_RUN,
        };
        CommandError::explained(code, &e)
    })?;
    let path = match &report.saved {
        Some(saved) => {
            output::note_saved(&saved.path);
            saved.path.clone()
        }
        None => fxconfig::files::resolve_link_target(&args.config).unwrap_or_else(|_| args.config.clone()),
    };
    let ca_subject = report.ca.certs.first().map(|c| c.subject.as_str());
    if let Some(group) = group.as_ref().filter(|_| !args.check) {
        super::config::grant_group_access(group, &[&path, &report.ca_path, &report.p12_path], !args.json)?;
    }
    if let Some(exposure) = &report.exposure {
        output::warn_exposure(&args.config, exposure);
    }
    let backup = report.saved.as_ref().and_then(|saved| saved.backup.as_deref());
    if args.json {
        let json = ImportJson {
            path: &path,
            config: &path,
            changed: report.changed,
            check: args.check,
            changes: &report.changes,
            files: &report.files,
            diff: report.diff.as_deref(),
            created: report.created_config,
            ca_path: &report.ca_path,
            p12_path: &report.p12_path,
            backup,
            client_subject: &report.identity.leaf().subject,
            ca_subject,
            exposure: report.exposure.as_ref(),
        };
        let text = serde_json::to_string_pretty(&json)
            .map_err(|e| CommandError::cannot_run(format!("could not encode JSON: {e}")))?;
        println!("{text}");
        return Ok(EXIT_OK);
    }
    super::config::print_changes(&super::config::ChangeSummary {
        path: &path,
        changed: report.changed,
        check: args.check,
        changes: &report.changes,
        diff: report.diff.as_deref(),
    });
    for file in &report.files {
        let state = match (file.changed, args.check) {
            (false, _) => "already in place",
            (true, true) => "would be copied",
            (true, false) => "copied",
        };
        say!("{}: {state} (SHA-256 {})", file.path.display(), file.sha256);
    }
    let chain = format!(
        "client certificate {} chains to {}",
        report.identity.leaf().subject,
        ca_subject.unwrap_or("the CA")
    );
    let verb = match (report.changed, args.check, report.created_config) {
        (false, _, _) => "no change to",
        (true, true, true) => "would create",
        (true, true, false) => "would update",
        (true, false, true) => "created",
        (true, false, false) => "updated",
    };
    say!("{verb} {} ({chain})", args.config.display());
    Ok(EXIT_OK)
}
