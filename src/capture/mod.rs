//! A capture: what one doctor run observed, in one JSON file that a support engineer can
//! read, and replay in the simulator ([`crate::sim::replay`]).
//!
//! It holds the checks' results exactly as `check --json` gives them, the configuration
//! with its passwords masked, the environment, and the network as this client saw it
//! ([`NetworkRecord`]): the addresses, the connection, every TLS attempt (version, suite,
//! the server's certificates, the CertificateRequest, alerts) and the Excrypt exchange
//! (the request, every byte received with its arrival time, the ending).
//!
//! Never in a capture: a password, a PIN, a private key or the PKCS#12 file. The client's
//! own certificate (public, but its subject names a person or a host) only when asked
//! ([`CaptureOptions::client_certificate`]).

use std::fmt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::doctor::{CheckResult, Report};
use crate::files::{InputError, read_regular};
use crate::hostapi::observe::NetworkRecord;
use crate::remedy::Explain;

/// The `format` field of every capture.
pub const FORMAT: &str = "fxconfig-capture";

/// The version of the capture format this build writes and reads.
pub const VERSION: u32 = 1;

/// The largest capture read (a full run's is under 64 KiB).
pub const MAX_CAPTURE_BYTES: u64 = 4 * 1024 * 1024;

/// What the capture of a run includes beyond what it always holds.
#[derive(Debug, Clone, Copy, Default)]
pub struct CaptureOptions {
    /// Include this client's certificate chain (public, but its subject may name a person).
    pub client_certificate: bool,
}

/// The machine and program the run was made on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Environment {
    /// The operating system, such as `linux x86_64 (Debian GNU/Linux 12 (bookworm))`.
    pub os: String,
    /// The fxconfig version that made the capture.
    pub fxconfig_version: String,
    /// What `pkcs11.module` found of the module's file (its header), when it ran.
    pub module: Option<String>,
    /// What `ssh.client` found of `ssh -V`, when it ran.
    pub ssh_client: Option<String>,
}

/// One entry of the configuration as the run read it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfigEntry {
    /// The section the entry is in, if any.
    pub section: Option<String>,
    /// The tag as spelled in the file.
    pub tag: String,
    /// The value; a password's is masked.
    pub value: String,
    /// The 1-based line number.
    pub line: usize,
}

/// The configuration as the run read it, passwords masked.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CapturedConfig {
    /// The file's path.
    pub path: String,
    /// Its entries, in file order.
    pub entries: Vec<ConfigEntry>,
    /// How many other lines (comments, blank or malformed lines) it has: they are left out,
    /// since they may hold old passwords.
    pub other_lines: usize,
}

/// A capture of one run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Capture {
    /// Always [`FORMAT`].
    pub format: String,
    /// The format's version ([`VERSION`]).
    pub version: u32,
    /// When the run ended, UTC, such as `2026-12-08 10:42:07 UTC`.
    pub taken_at: String,
    /// The same, in seconds since 1970.
    pub taken_at_unix: i64,
    /// The machine and program.
    pub environment: Environment,
    /// The configuration, passwords masked.
    pub config: CapturedConfig,
    /// The run's report exactly as `check --json` gives it.
    pub report: serde_json::Value,
    /// The network as this client saw it.
    pub network: NetworkRecord,
}

/// Why a capture could not be made, read or written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CaptureError {
    /// The file could not be read.
    #[error(transparent)]
    Read(#[from] InputError),
    /// The file is not JSON, or not a capture's JSON.
    #[error("{path} is not a capture: {source}")]
    Json {
        /// The file.
        path: PathBuf,
        /// The JSON reader's error.
        source: serde_json::Error,
    },
    /// The file is JSON of another kind.
    #[error("{path} is not an fxconfig capture (its format is {found:?})")]
    NotACapture {
        /// The file.
        path: PathBuf,
        /// Its `format` field.
        found: String,
    },
    /// The capture is of a version this build does not read.
    #[error("{path} is a capture of format version {found}; this fxconfig reads version {VERSION}")]
    Version {
        /// The file.
        path: PathBuf,
        /// Its version.
        found: u32,
    },
    /// The capture could not be encoded.
    #[error("could not encode the capture: {0}")]
    Encode(serde_json::Error),
    /// The file could not be written.
    #[error("could not write {path}: {source}")]
    Write {
        /// The file.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
}

impl Explain for CaptureError {
    fn remedy(&self) -> String {
        match self {
            CaptureError::Read(error) => error.remedy(),
            CaptureError::Json { .. } | CaptureError::NotACapture { .. } => {
                "Give the JSON file that `fxconfig check --capture FILE` or the app's \"Save capture…\" wrote".into()
            }
            CaptureError::Version { .. } => "Replay it with the fxconfig version that wrote it, or a later one".into(),
            CaptureError::Encode(_) => "Report this as a bug in fxconfig".into(),
            CaptureError::Write { .. } => "Choose a folder you can write to, with free space".into(),
        }
    }

    fn guide_section(&self) -> Option<&'static str> {
        None
    }
}

/// The detail of the check `name`, when it ran and was not skipped.
fn detail_of(checks: &[CheckResult], name: &str) -> Option<String> {
    checks
        .iter()
        .find(|check| check.id.as_str() == name && check.status != crate::doctor::Status::Skip)
        .map(|check| check.detail.clone())
}

impl Capture {
    /// The capture of `report`, made on the machine described by `os`.
    pub fn of_report(report: &Report, os: &str, options: CaptureOptions) -> Result<Capture, CaptureError> {
        let mut network = report.network.clone();
        if !options.client_certificate {
            network.client_chain_pem.clear();
        }
        let config = report.document.as_ref().map_or_else(CapturedConfig::default, |doc| {
            let entries: Vec<ConfigEntry> = doc
                .entries()
                .into_iter()
                .map(|entry| ConfigEntry {
                    value: entry.display_value(),
                    section: entry.section,
                    tag: entry.tag,
                    line: entry.line,
                })
                .collect();
            let sections = doc.sections();
            let structural = entries.len()
                + sections
                    .iter()
                    .map(|s| 1 + usize::from(s.close_line.is_some()))
                    .sum::<usize>();
            CapturedConfig {
                path: report.config.clone(),
                other_lines: doc.line_count().saturating_sub(structural),
                entries,
            }
        });
        let finished = report.facts.finished_at;
        Ok(Capture {
            format: FORMAT.to_owned(),
            version: VERSION,
            taken_at: crate::doctor::record::utc_text(
                std::time::UNIX_EPOCH + std::time::Duration::from_secs(u64::try_from(finished).unwrap_or(0)),
            ),
            taken_at_unix: finished,
            environment: Environment {
                os: os.to_owned(),
                fxconfig_version: env!("CARGO_PKG_VERSION").to_owned(),
                module: detail_of(&report.checks, "pkcs11.module"),
                ssh_client: detail_of(&report.checks, "ssh.client"),
            },
            config,
            report: serde_json::to_value(report).map_err(CaptureError::Encode)?,
            network,
        })
    }

    /// The capture as the JSON written to a file (pretty, ending with a new line).
    pub fn to_json(&self) -> Result<String, CaptureError> {
        let mut text = serde_json::to_string_pretty(self).map_err(CaptureError::Encode)?;
        text.push('\n');
        Ok(text)
    }

    /// Writes the capture to `path` atomically (a new file is 0600: it describes this
    /// machine's set-up), and returns the SHA-256 of what was written.
    pub fn write(&self, path: &Path) -> Result<String, CaptureError> {
        let text = self.to_json()?;
        crate::files::publish_file(path, text.as_bytes(), 0o600).map_err(|source| CaptureError::Write {
            path: path.to_owned(),
            source,
        })?;
        Ok(crate::doctor::record::sha256_hex(text.as_bytes()))
    }

    /// Reads a capture, checking its format and version.
    pub fn read(path: &Path) -> Result<Capture, CaptureError> {
        let bytes = read_regular(path, MAX_CAPTURE_BYTES, "a capture")?;
        Capture::parse(&bytes, path)
    }

    /// Parses a capture read from `path`.
    pub fn parse(bytes: &[u8], path: &Path) -> Result<Capture, CaptureError> {
        #[derive(Deserialize)]
        struct Head {
            format: Option<String>,
            version: Option<u32>,
        }
        let json = |source| CaptureError::Json {
            path: path.to_owned(),
            source,
        };
        let head: Head = serde_json::from_slice(bytes).map_err(json)?;
        let format = head.format.unwrap_or_default();
        if format != FORMAT {
            return Err(CaptureError::NotACapture {
                path: path.to_owned(),
                found: format,
            });
        }
        match head.version {
            Some(VERSION) => serde_json::from_slice(bytes).map_err(json),
            found => Err(CaptureError::Version {
                path: path.to_owned(),
                found: found.unwrap_or(0),
            }),
        }
    }

    /// The captured result of the check `name`, such as `tls.handshake`: its status
    /// (`pass`, `warn`, `fail`, `skip`) and its raw answer.
    pub fn verdict(&self, name: &str) -> Option<CapturedVerdict> {
        let checks = self.report.get("checks")?.as_array()?;
        let check = checks
            .iter()
            .find(|check| check.get("id").and_then(|id| id.as_str()) == Some(name))?;
        Some(CapturedVerdict {
            status: check.get("status")?.as_str()?.to_owned(),
            detail: check
                .get("detail")
                .and_then(|d| d.as_str())
                .unwrap_or_default()
                .to_owned(),
            raw: check.get("raw").and_then(|raw| raw.as_str()).map(str::to_owned),
        })
    }
}

/// A check's result as a capture holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CapturedVerdict {
    /// `pass`, `warn`, `fail` or `skip`.
    pub status: String,
    /// What the check found.
    pub detail: String,
    /// The raw answer, when one came.
    pub raw: Option<String>,
}

impl fmt::Display for CapturedVerdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.status.to_uppercase(), self.detail)
    }
}

/// The checks whose verdicts a replay reproduces, in order.
pub const REPLAYED_CHECKS: [&str; 6] = [
    "net.resolve",
    "net.connect",
    "tls.handshake",
    "tls.server_cert",
    "tls.client_auth",
    "hostapi.echo",
];
