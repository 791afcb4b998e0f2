//! `fxconfig pubkey`: the KMES public key as an authorized_keys line.

use std::path::PathBuf;

use clap::Args;
use fxconfig::sshkey;

use super::{CommandError, CommandResult, EXIT_CANNOT_RUN, EXIT_OK};

// Arguments of `fxconfig pubkey`.
#[derive(Debug, Args)]
pub struct PubkeyArgs {
    /// The public key: DER/PEM PKCS#1 (the KMES export of [3.2.9]), SubjectPublicKeyInfo, X.509 certificate, OpenSSH or RFC 4716.
    file: PathBuf,
    /// The comment at the end of the line.
    #[arg(long, value_name = "TEXT")]
    comment: Option<String>,
    /// Print the fingerprint as `ssh-keygen -lf` does (bits, SHA256:…, comment, type) instead of the line.
    #[arg(long)]
    fingerprint: bool,
}

/// Prints the line (ready for `>> ~/.ssh/authorized_keys`) or its fingerprint.
pub fn run(args: &PubkeyArgs) -> CommandResult {
    let report = sshkey::render_file(&args.file, args.comment.as_deref())
        .map_err(|e| CommandError::explained(EXIT_CANNOT_RUN, &e))?;
    if args.fingerprint {
        println!(
            "{} {} {} ({})",
            report.bits,
            report.fingerprint,
            report.comment.as_deref().unwrap_or("no comment"),
            report.key_type
        );
    } else {
        println!("{}", report.line);
    }
    Ok(EXIT_OK)
}
