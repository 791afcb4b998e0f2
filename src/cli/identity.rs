//! `fxconfig identity` and `fxconfig import`: the TLS materials of [3.1].

use std::path::PathBuf;

use clap::Args;
use fxconfig::identity::{self, CertInfo, Validity};
use fxconfig::import::{self, ImportRequest};
use serde::Serialize;

use super::output::say;
use super::secret_input::PasswordSource;
use super::{CommandError, CommandResult, EXIT_CANNOT_RUN, EXIT_FAILED, EXIT_OK, output};

/// Arguments of `fxconfig identity`.
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

/// Arguments of `fxconfig import`.
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
    /// Where to copy the two files (default: the configuration's folder).
    #[arg(long, value_name = "DIR")]
    dest: Option<PathBuf>,
    /// Make the configuration and its backup readable by their owner only (0600), keeping the owner.
    #[arg(long)]
    tighten_permissions: bool,
    /// Print JSON: {"config", "created", "ca_path", "p12_path", "backup", "exposure"}.
    #[arg(long)]
    json: bool,
}

#[derive(Serialize)]
struct ImportJson<'a> {
    config: &'a std::path::Path,
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
        .map_err(|e| CommandError::explained(EXIT_FAILED, &e))?;
    let ca = match &args.ca {
        Some(path) => Some(identity::load_ca(path).map_err(|e| CommandError::explained(EXIT_FAILED, &e))?),
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

/// Checks the materials, copies them and updates the configuration.
pub fn run_import(args: &ImportArgs) -> CommandResult {
    let password = args.password.read(args.allow_empty)?;
    let request = ImportRequest {
        config: &args.config,
        ca: &args.ca,
        p12: &args.p12,
        password: &password,
        dest: args.dest.as_deref(),
        tighten_permissions: args.tighten_permissions,
    };
    let report = import::import_tls_materials(&request).map_err(|e| {
        let code = match e {
            import::ImportError::Identity(_) => EXIT_FAILED,
            _ => EXIT_CANNOT_RUN,
        };
        CommandError::explained(code, &e)
    })?;
    output::note_saved(&report.saved.path);
    let ca_subject = report.ca.certs.first().map(|c| c.subject.as_str());
    if let Some(exposure) = &report.saved.exposure {
        output::warn_exposure(&args.config, exposure);
    }
    if args.json {
        let json = ImportJson {
            config: &report.saved.path,
            created: report.created_config,
            ca_path: &report.ca_path,
            p12_path: &report.p12_path,
            backup: report.saved.backup.as_deref(),
            client_subject: &report.identity.leaf().subject,
            ca_subject,
            exposure: report.saved.exposure.as_ref(),
        };
        let text = serde_json::to_string_pretty(&json)
            .map_err(|e| CommandError::cannot_run(format!("could not encode JSON: {e}")))?;
        println!("{text}");
        return Ok(EXIT_OK);
    }
    say!("PROD-TLS-CA       = {}", report.ca_path.display());
    say!("PROD-TLS-KEY      = {}", report.p12_path.display());
    say!("PROD-TLS-KEY-PASS = {}", fxconfig::secret::MASK);
    say!("PROD-TLS-ENABLED  = YES");
    say!(
        "{} {} (client certificate {} chains to {})",
        if report.created_config { "created" } else { "updated" },
        args.config.display(),
        report.identity.leaf().subject,
        ca_subject.unwrap_or("the CA")
    );
    Ok(EXIT_OK)
}
