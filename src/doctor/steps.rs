//! The checks themselves, sharing what earlier checks found.

mod module_checks;
mod ssh_checks;

use std::collections::HashMap;
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::{CheckId, DoctorOptions, Facts, Outcome, Status};
use crate::cfg::{self, CfgFile, Finding, FindingKind, Settings, Severity, TlsPaths};
use crate::files;
use crate::hostapi::observe::{CONNECTED, ConnectRecord, NetworkRecord, certificate_pem};
use crate::hostapi::{self, EchoReply, HostApiError, Stage, TlsMaterials, TlsSession, answer};
use crate::identity::{self, CaBundle, ClientIdentity, LibraryReading, Validity};

/// Days before expiry from which a certificate gets a warning.
const EXPIRY_WARNING_DAYS: i64 = 30;

/// What the checks learned so far.
pub(super) struct State<'a> {
    options: &'a DoctorOptions,
    config_path: Option<PathBuf>,
    file: Option<CfgFile>,
    settings: Option<Settings>,
    findings: Vec<Finding>,
    ca: Option<CaBundle>,
    identity: Option<ClientIdentity>,
    addrs: Vec<SocketAddr>,
    tcp: Option<TcpStream>,
    session: Option<TlsSession>,
    tls_error: Option<HostApiError>,
    echo: Option<Result<EchoReply, HostApiError>>,
    echo_elapsed: Option<Duration>,
    network: NetworkRecord,
    statuses: HashMap<CheckId, Status>,
    module: module_checks::ModuleState,
    ssh: ssh_checks::SshState,
}

fn tag_name_ca() -> &'static str {
    cfg::tag::PROD_TLS_CA
}

fn now_unix() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

fn findings_text(findings: &[&Finding]) -> String {
    findings.iter().map(|f| f.to_string()).collect::<Vec<_>>().join("; ")
}

/// Which check reports a configuration finding.
fn finding_owner(kind: &FindingKind) -> Option<CheckId> {
    match kind {
        FindingKind::Malformed
        | FindingKind::UnclosedSection
        | FindingKind::StraySectionClose
        | FindingKind::NestedSection
        | FindingKind::EntryOutsideSection => Some(CheckId::ConfigParse),
        FindingKind::ReadableByOthers => Some(CheckId::ConfigPermissions),
        FindingKind::MissingFile | FindingKind::TlsMaterialMissing => None,
        _ => Some(CheckId::ConfigFields),
    }
}

fn stage_owner(stage: Stage) -> CheckId {
    match stage {
        Stage::Resolve => CheckId::NetResolve,
        Stage::Connect => CheckId::NetConnect,
        Stage::Handshake => CheckId::TlsHandshake,
        Stage::ServerCert => CheckId::TlsServerCert,
        Stage::ClientAuth => CheckId::TlsClientAuth,
        Stage::Echo => CheckId::HostapiEcho,
    }
}

/// The verdict on a completed handshake: it works with fxpkcs11 (the verdict); a
/// compatibility-client session or a weak one is a warning naming why.
fn handshake_outcome(session: &TlsSession) -> Outcome {
    let negotiated = format!(
        "{} with {}, completed by {}",
        session.protocol,
        session.cipher,
        session.client.label()
    );
    let Some(refusal) = &session.modern_refusal else {
        return Outcome::pass(negotiated);
    };
    let weak = if session.weaknesses.is_empty() {
        String::new()
    } else {
        format!(". Weaker than it should be: {}", session.weaknesses.join("; "))
    };
    let about = |words: &[&str]| {
        session
            .weaknesses
            .iter()
            .any(|weakness| words.iter().any(|word| weakness.contains(word)))
    };
    let mut remedies = Vec::new();
    if about(&["TLSv1", "SSLv3", "CBC suite", "RSA key exchange"]) {
        remedies.push(
            "On the KMES, offer TLS 1.2 or 1.3 with ECDHE and AES-GCM suites for the System/Host API connection pair [3.1.5]",
        );
    }
    if about(&["signed with SHA-1", "-bit RSA key"]) {
        remedies.push(
            "Issue the System/Host API certificate again with SHA-256 and an RSA key of 2048 bits or more, or ECDSA [3.1.2]",
        );
    }
    if remedies.is_empty() {
        remedies.push(
            "Nothing needs to change for fxpkcs11. To suit modern clients too, let the KMES offer TLS 1.2 or 1.3 with ECDHE and AES-GCM [3.1.5], and use RSA, P-256 or P-384 client keys [3.1.6]",
        );
    }
    Outcome::warn(
        format!("{negotiated}: this works with fxpkcs11. The modern client could not connect ({refusal}){weak}"),
        remedies.join(". "),
    )
}

impl<'a> State<'a> {
    pub(super) fn new(options: &'a DoctorOptions) -> Self {
        State {
            options,
            config_path: None,
            file: None,
            settings: None,
            findings: Vec::new(),
            ca: None,
            identity: None,
            addrs: Vec::new(),
            tcp: None,
            session: None,
            tls_error: None,
            echo: None,
            echo_elapsed: None,
            network: NetworkRecord::default(),
            statuses: HashMap::new(),
            module: module_checks::ModuleState::default(),
            ssh: ssh_checks::SshState::default(),
        }
    }

    /// The configuration path for the report.
    pub(super) fn config_display(&self) -> String {
        self.config_path
            .as_ref()
            .map(|p| p.display().to_string())
            .unwrap_or_default()
    }

    /// The configuration the run read, for the report.
    pub(super) fn into_document(self) -> Option<cfg::CfgDocument> {
        self.file.map(|file| file.doc)
    }

    /// The figures learned so far, for [`super::Report::facts`].
    pub(super) fn facts(&self) -> Facts {
        Facts {
            address: self.settings.as_ref().and_then(|s| s.address.clone()),
            port: self.settings.as_ref().and_then(|s| s.prod_port),
            client_certificate_not_after: self.identity.as_ref().map(|id| id.leaf().not_after_unix),
            ca_certificate_not_after: self
                .ca
                .as_ref()
                .and_then(|ca| ca.certs.iter().map(|cert| cert.not_after_unix).min()),
            echo_seconds: self.echo_elapsed.map(|elapsed| elapsed.as_secs_f64()),
            finished_at: now_unix(),
        }
    }

    /// What the network showed in this run, with the public certificates this client used.
    pub(super) fn network(&self) -> NetworkRecord {
        let mut network = self.network.clone();
        if let Some(ca) = &self.ca {
            network.trusted_roots_pem = ca.rustls_roots().iter().map(|cert| certificate_pem(cert)).collect();
        }
        if let Some(identity) = &self.identity {
            network.client_chain_pem = identity
                .rustls_chain()
                .iter()
                .map(|cert| certificate_pem(cert))
                .collect();
        }
        network
    }

    /// Remembers a check's status for the checks that depend on it.
    pub(super) fn note(&mut self, id: CheckId, status: Status) {
        self.statuses.insert(id, status);
    }

    /// Whether the check passed or warned.
    pub(super) fn passed(&self, id: CheckId) -> bool {
        matches!(self.statuses.get(&id), Some(Status::Pass | Status::Warn))
    }

    fn tls_disabled(&self) -> bool {
        self.settings.as_ref().and_then(|s| s.tls_enabled) == Some(false)
    }

    fn anonymous(&self) -> bool {
        self.settings.as_ref().and_then(|s| s.tls_anonymous) == Some(true)
    }

    /// The TLS files the configuration names, relative ones taken from its folder.
    fn tls_paths(&self) -> TlsPaths {
        let cfg_dir = self.config_path.as_deref().map_or(Path::new(""), cfg::cfg_folder);
        self.settings
            .as_ref()
            .map(|settings| settings.tls_paths(cfg_dir))
            .unwrap_or_default()
    }

    pub(super) fn config_locate(&mut self) -> Outcome {
        let library = cfg::locate::library_cfg_path();
        let path = self.options.config.clone().unwrap_or_else(|| library.path.clone());
        self.config_path = Some(path.clone());
        match CfgFile::load(&path) {
            Ok(file) => {
                self.file = Some(file);
                match cfg::locate::library_mismatch_message(&path, &library) {
                    None => Outcome::pass(format!(
                        "{} (the file the PKCS#11 library reads, {})",
                        path.display(),
                        library.source.describe()
                    )),
                    Some(message) => Outcome::warn(
                        format!("{}: {message}", path.display()),
                        format!(
                            "Point FXPKCS11_CFG at this file for the programs that load the library, or copy it to {} [2.2]",
                            library.path.display()
                        ),
                    ),
                }
            }
            Err(error) => Outcome::from_error(&error),
        }
    }

    pub(super) fn config_parse(&mut self) -> Outcome {
        let Some(file) = &self.file else {
            return Outcome::skip("no configuration file was read");
        };
        self.findings = cfg::validate(&file.doc, Some(&file.path));
        self.settings = Some(file.doc.settings());
        self.findings_outcome(CheckId::ConfigParse, || {
            let sections = file.doc.sections().len();
            let entries = file.doc.entries().len();
            format!("{sections} sections, {entries} entries")
        })
    }

    fn findings_outcome(&self, owner: CheckId, summary: impl FnOnce() -> String) -> Outcome {
        let mine: Vec<&Finding> = self
            .findings
            .iter()
            .filter(|f| finding_owner(&f.kind) == Some(owner))
            .collect();
        let errors: Vec<&Finding> = mine.iter().copied().filter(|f| f.severity == Severity::Error).collect();
        let remedy = "Edit the lines named above (fxconfig config set, or the app's Configuration screen) [4.2]";
        if !errors.is_empty() {
            Outcome::fail(findings_text(&mine), remedy)
        } else if !mine.is_empty() {
            Outcome::warn(findings_text(&mine), remedy)
        } else {
            Outcome::pass(summary())
        }
    }

    pub(super) fn config_fields(&mut self) -> Outcome {
        let summary = match &self.settings {
            Some(s) => format!(
                "ADDRESS {}, PROD-PORT {}, TLS {}",
                s.address.as_deref().unwrap_or("?"),
                s.prod_port.map(|p| p.to_string()).unwrap_or_else(|| "?".into()),
                match s.tls_enabled {
                    Some(true) => "enabled",
                    Some(false) => "disabled",
                    None => "not set",
                }
            ),
            None => String::new(),
        };
        self.findings_outcome(CheckId::ConfigFields, || summary)
    }

    pub(super) fn config_permissions(&mut self) -> Outcome {
        if self.file.is_none() {
            return Outcome::skip("no configuration file was read");
        }
        let mine: Vec<&Finding> = self
            .findings
            .iter()
            .filter(|f| finding_owner(&f.kind) == Some(CheckId::ConfigPermissions))
            .collect();
        if mine.is_empty() {
            match self.config_path.as_deref().map(files::access::readers) {
                Some(Ok(readers)) => Outcome::pass(format!(
                    "readable by {}; no user outside its owner and group can read it",
                    readers.describe()
                )),
                _ => Outcome::pass("readable by its owner only, or holds no password"),
            }
        } else {
            let path = self.config_display();
            Outcome::warn(
                findings_text(&mine),
                format!("Run: chmod 600 {path} (it holds the crypto operator and PKCS#12 passwords) [4.2]"),
            )
        }
    }

    /// The files the library reads as the ssh user: the cfg, and the CA and PKCS#12 files
    /// when TLS needs them; only those that exist (missing ones are config.fields' finding).
    fn library_files(&self) -> Vec<(&'static str, PathBuf)> {
        let mut files = Vec::new();
        if let Some(path) = &self.config_path {
            files.push(("the configuration", path.clone()));
        }
        if !self.tls_disabled() {
            let paths = self.tls_paths();
            if let Some(ca) = paths.ca {
                files.push((cfg::tag::PROD_TLS_CA, ca));
            }
            if let Some(key) = paths.key.filter(|_| !self.anonymous()) {
                files.push((cfg::tag::PROD_TLS_KEY, key));
            }
        }
        files.retain(|(_, path)| path.exists());
        files
    }

    pub(super) fn config_access(&mut self) -> Outcome {
        let files = self.library_files();
        let group_remedy = "Let the users who run ssh read these files through a group: sudo fxconfig config init --group NAME and sudo fxconfig import --group NAME (files 0640, owner root), or chgrp NAME FILE && chmod 640 FILE; the library runs as the user who runs ssh [4.2] [5]";
        if let Some(name) = &self.options.for_user {
            let account = match files::access::account(name) {
                Ok(account) => account,
                Err(files::access::AccessError::Unsupported) => {
                    return Outcome::skip("file access by account is examined on Unix only");
                }
                Err(error) => {
                    return Outcome::fail(
                        error.to_string(),
                        "Name the user who runs ssh with --for-user, as this system knows it (getent passwd NAME) [5]",
                    );
                }
            };
            let problems: Vec<String> = files
                .iter()
                .filter_map(|(label, path)| match files::access::can_read(path, &account) {
                    Ok(Ok(())) => None,
                    Ok(Err(reason)) => Some(format!("{label}: {reason}")),
                    Err(error) => Some(format!("{label}: {error}")),
                })
                .collect();
            return if problems.is_empty() {
                let labels: Vec<&str> = files.iter().map(|(label, _)| *label).collect();
                Outcome::pass(format!("{name} can read {}", labels.join(", ")))
            } else {
                Outcome::fail(
                    format!(
                        "ssh run by {name} would fail to load the library's settings: {}",
                        problems.join("; ")
                    ),
                    group_remedy,
                )
            };
        }
        let mut described = Vec::new();
        for (label, path) in &files {
            match files::access::readers(path) {
                Ok(readers) => described.push(format!("{label}: {}", readers.describe())),
                Err(files::access::AccessError::Unsupported) => {
                    return Outcome::skip("file access by account is examined on Unix only");
                }
                Err(error) => described.push(format!("{label}: {error}")),
            }
        }
        let who = described.join("; ");
        let Some(account) = files::access::invoking_account() else {
            return Outcome::pass(format!("who can read: {who}"));
        };
        let unreadable: Vec<String> = files
            .iter()
            .filter_map(|(label, path)| match files::access::can_read(path, &account) {
                Ok(Err(reason)) => Some(format!("{label}: {reason}")),
                _ => None,
            })
            .collect();
        if unreadable.is_empty() {
            Outcome::pass(format!(
                "who can read: {who}. ssh run by {} can load them; check another user with --for-user NAME",
                account.name
            ))
        } else {
            Outcome::warn(
                format!(
                    "who can read: {who}. {}, who ran fxconfig, cannot: {}",
                    account.name,
                    unreadable.join("; ")
                ),
                group_remedy,
            )
        }
    }

    pub(super) fn tls_ca(&mut self) -> Outcome {
        if self.tls_disabled() {
            return Outcome::skip("PROD-TLS-ENABLED is NO: the connection is not encrypted");
        }
        let Some(path) = self.tls_paths().ca else {
            return Outcome::fail(
                "PROD-TLS-CA is not set",
                "Export the root CA from the KMES as PEM and set PROD-TLS-CA to its path (fxconfig import) [3.1.4]",
            );
        };
        match identity::load_ca(&path) {
            Ok(bundle) => {
                let names: Vec<String> = bundle
                    .certs
                    .iter()
                    .map(|c| {
                        format!(
                            "{} (expires {}, {} days left)",
                            c.subject,
                            c.not_after,
                            c.days_left(now_unix())
                        )
                    })
                    .collect();
                let expired: Vec<String> = bundle
                    .certs
                    .iter()
                    .filter(|c| !matches!(c.validity_at(now_unix()), Validity::Valid { .. }))
                    .map(|c| c.subject.clone())
                    .collect();
                let detail = format!("{}: {}", path.display(), names.join("; "));
                let total = bundle.certs.len();
                let all_expired = expired.len() == total;
                self.ca = Some(bundle);
                let outcome = match identity::load_library_reading(&path) {
                    Ok(LibraryReading::Der) => {
                        return Outcome::fail(
                            format!(
                                "{detail}. The file is DER: fxpkcs11's OpenSSL loads PROD-TLS-CA as PEM only, so it would trust no CA"
                            ),
                            format!(
                                "Run: openssl x509 -inform DER -in {0} -out {0}.pem, and set PROD-TLS-CA to {0}.pem (the guide exports the root CA as PEM) [3.1.4]",
                                path.display()
                            ),
                        );
                    }
                    Ok(LibraryReading::Unreadable(reason)) => {
                        return Outcome::fail(
                            format!("{detail}. fxpkcs11's OpenSSL reads no certificate from this file: {reason}"),
                            "Save the file again with each -----BEGIN/-----END line at the start of a line and no byte-order mark, or export the root CA from the KMES again as PEM [3.1.4]",
                        );
                    }
                    Ok(LibraryReading::Certificates(read)) if read < total => Outcome::warn(
                        format!("{detail}. fxpkcs11's OpenSSL reads only {read} of these {total} certificates"),
                        "Save the file again with each -----BEGIN/-----END line at the start of a line, or export the root CA from the KMES again as PEM [3.1.4]",
                    ),
                    Ok(LibraryReading::Certificates(_)) | Err(_) => Outcome::pass(detail.clone()),
                };
                if all_expired {
                    Outcome::fail(
                        format!(
                            "{detail}; not valid today: {}. fxpkcs11's OpenSSL refuses a chain whose root is not valid today",
                            expired.join(", ")
                        ),
                        "Export a current root CA certificate from the KMES [3.1.4]",
                    )
                } else if !expired.is_empty() {
                    Outcome::warn(
                        format!("{detail}; not valid today: {}", expired.join(", ")),
                        "Export a current root CA certificate from the KMES [3.1.4]",
                    )
                } else {
                    self.relative_path_warning(tag_name_ca(), outcome)
                }
            }
            Err(error) => Outcome::from_error(&error),
        }
    }

    /// Turns a passing outcome into a warning when the setting `tag` holds a relative path:
    /// fxconfig read it from the cfg's folder, the library may not.
    fn relative_path_warning(&self, tag: &str, outcome: Outcome) -> Outcome {
        if outcome.status != Status::Pass {
            return outcome;
        }
        let Some(settings) = &self.settings else {
            return outcome;
        };
        let value = if tag == tag_name_ca() {
            settings.tls_ca.as_deref()
        } else {
            settings.tls_key.as_deref()
        };
        let Some(value) = value.filter(|value| Path::new(value).is_relative()) else {
            return outcome;
        };
        let resolved = match tag {
            _ if tag == tag_name_ca() => self.tls_paths().ca,
            _ => self.tls_paths().key,
        };
        let absolute = resolved
            .map(|path| std::path::absolute(&path).unwrap_or(path).display().to_string())
            .unwrap_or_default();
        Outcome::warn(
            format!(
                "{}. {tag} is the relative path {value}: fxconfig read it from the configuration's folder, but the library may resolve it against the working folder of the program that loads it (ssh's)",
                outcome.detail
            ),
            format!("Write the absolute path: {tag} {absolute} [4.2]"),
        )
    }

    pub(super) fn tls_identity(&mut self) -> Outcome {
        if self.tls_disabled() {
            return Outcome::skip("PROD-TLS-ENABLED is NO");
        }
        if self.anonymous() {
            return Outcome::skip("PROD-TLS-ANONYMOUS is YES: no client certificate is presented");
        }
        let Some(settings) = &self.settings else {
            return Outcome::skip("the configuration could not be read");
        };
        let Some(path) = self.tls_paths().key else {
            return Outcome::fail(
                "PROD-TLS-KEY is not set",
                "Export the PKCS #11 client certificate as PKCS#12 and set PROD-TLS-KEY to its path (fxconfig import) [3.1.7]",
            );
        };
        let Some(password) = settings.tls_key_pass.clone() else {
            return Outcome::fail(
                "PROD-TLS-KEY-PASS is not set",
                "Set PROD-TLS-KEY-PASS to the password chosen when the PKCS#12 file was exported [3.1.7]",
            );
        };
        match identity::load_p12_within(&path, &password, self.options.timeout) {
            Ok(id) => {
                let leaf = id.leaf();
                let detail = format!(
                    "{}: {} ({}), issued by {}, {} certificate(s), encrypted with {}",
                    path.display(),
                    leaf.subject,
                    id.key_type,
                    leaf.issuer,
                    id.chain.len(),
                    if id.encryption.is_empty() {
                        "no encryption".to_owned()
                    } else {
                        id.encryption.join(", ")
                    }
                );
                self.identity = Some(id);
                self.relative_path_warning(cfg::tag::PROD_TLS_KEY, Outcome::pass(detail))
            }
            Err(error) => Outcome::from_error(&error),
        }
    }

    pub(super) fn tls_identity_chain(&mut self) -> Outcome {
        let (Some(ca), Some(id)) = (&self.ca, &self.identity) else {
            return Outcome::skip("needs both the root CA and the client identity");
        };
        match identity::verify_client_chain(id, ca, now_unix()) {
            Ok(()) => Outcome::pass(format!(
                "{} chains to {}",
                id.leaf().subject,
                ca.certs.first().map(|c| c.subject.as_str()).unwrap_or("the CA")
            )),
            Err(error) => Outcome::from_error(&error),
        }
    }

    pub(super) fn tls_identity_validity(&mut self) -> Outcome {
        let Some(id) = &self.identity else {
            return Outcome::skip("no client identity was loaded");
        };
        let leaf = id.leaf();
        match leaf.validity_at(now_unix()) {
            Validity::Valid { days_left } if days_left < EXPIRY_WARNING_DAYS => Outcome::warn(
                format!("valid until {}: {days_left} days left", leaf.not_after),
                "Issue a new PKCS #11 client certificate on the KMES and export it before it expires [3.1.6] [3.1.7]",
            ),
            Validity::Valid { days_left } => {
                Outcome::pass(format!("valid until {} ({days_left} days left)", leaf.not_after))
            }
            Validity::Expired { days_ago } => Outcome::fail(
                format!("expired on {} ({days_ago} days ago)", leaf.not_after),
                "Issue a new PKCS #11 client certificate on the KMES and export it as PKCS#12 [3.1.6] [3.1.7]",
            ),
            Validity::NotYetValid { days_until } => Outcome::fail(
                format!("not valid before {} ({days_until} days from now)", leaf.not_before),
                "Check this machine's clock, or issue a certificate valid from today [3.1.6]",
            ),
        }
    }

    pub(super) fn net_resolve(&mut self) -> Outcome {
        let Some((host, port)) = self.endpoint() else {
            return Outcome::skip("ADDRESS or PROD-PORT is missing or invalid (see config.fields)");
        };
        self.network.host = Some(host.clone());
        self.network.port = Some(port);
        match hostapi::resolve(&host, port, self.options.timeout) {
            Ok(addrs) => {
                let list: Vec<String> = addrs.iter().map(|a| a.ip().to_string()).collect();
                self.network.resolved = list.clone();
                self.addrs = addrs;
                Outcome::pass(format!("{host} → {}", list.join(", ")))
            }
            Err(error) => {
                self.network.resolve_error = Some(error.to_string());
                Outcome::from_error(&error)
            }
        }
    }

    fn endpoint(&self) -> Option<(String, u16)> {
        let settings = self.settings.as_ref()?;
        Some((settings.address.clone()?, settings.prod_port?))
    }

    pub(super) fn net_connect(&mut self) -> Outcome {
        if self.addrs.is_empty() {
            return Outcome::skip("the address did not resolve");
        }
        let started = Instant::now();
        let result = hostapi::connect(&self.addrs, self.options.timeout);
        let ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        match result {
            Ok(stream) => {
                let peer = stream.peer_addr().map(|a| a.to_string()).unwrap_or_default();
                self.network.connect = Some(ConnectRecord {
                    address: Some(peer.clone()),
                    outcome: CONNECTED.to_owned(),
                    ms,
                });
                self.tcp = Some(stream);
                Outcome::pass(format!("connected to {peer}"))
            }
            Err(error) => {
                self.network.connect = Some(ConnectRecord {
                    address: None,
                    outcome: error.to_string(),
                    ms,
                });
                Outcome::from_error(&error)
            }
        }
    }

    pub(super) fn tls_handshake(&mut self) -> Outcome {
        let Some(tcp) = self.tcp.take() else {
            return Outcome::skip("no TCP connection");
        };
        if self.tls_disabled() {
            self.tcp = Some(tcp);
            return Outcome::skip("PROD-TLS-ENABLED is NO: the Host API connection is not encrypted");
        }
        let Some(ca) = &self.ca else {
            return Outcome::skip("the root CA could not be loaded (see tls.ca)");
        };
        let client = match (&self.identity, self.anonymous()) {
            (Some(id), false) => Some((id.rustls_chain(), id.rustls_key())),
            (None, false) => return Outcome::skip("the client identity could not be loaded (see tls.identity)"),
            (_, true) => None,
        };
        let materials = TlsMaterials {
            roots: ca.rustls_roots(),
            client,
        };
        let Some((host, _)) = self.endpoint() else {
            return Outcome::skip("ADDRESS is missing");
        };
        match hostapi::handshake_like_library(tcp, &self.addrs, &host, &materials, self.options.timeout) {
            Ok(session) => {
                let outcome = handshake_outcome(&session);
                self.network.tls = session.attempts.clone();
                self.session = Some(session);
                outcome
            }
            Err(error) => {
                self.network.tls = error.tls_attempts().to_vec();
                let owner = stage_owner(error.stage());
                let outcome = if owner == CheckId::TlsHandshake {
                    Outcome::from_error(&error)
                } else {
                    Outcome::pass(format!(
                        "the server answered in TLS; the handshake then stopped at {owner}"
                    ))
                };
                self.tls_error = Some(error);
                outcome
            }
        }
    }

    /// A stored handshake or echo failure, reported by the check that owns it.
    fn owned_failure(&self, id: CheckId) -> Option<Outcome> {
        let error = self.tls_error.as_ref().or(match &self.echo {
            Some(Err(error)) => Some(error),
            _ => None,
        })?;
        let owner = stage_owner(error.stage());
        if owner == id {
            Some(Outcome::from_error(error).with_raw(error.raw().map(str::to_owned)))
        } else if owner < id {
            Some(Outcome::skip(format!("{owner} failed")))
        } else {
            None
        }
    }

    pub(super) fn tls_server_cert(&mut self) -> Outcome {
        if let Some(outcome) = self.owned_failure(CheckId::TlsServerCert) {
            return outcome;
        }
        // A TLS 1.2 server that rejects our certificate ends the handshake after we verified
        // its own: that verdict stands, while tls.client_auth reports the rejection.
        let chain = match (&self.session, &self.tls_error) {
            (Some(session), _) => session.peer_chain.as_slice(),
            (None, Some(error)) => match error.verified_server_chain() {
                Some(chain) => chain,
                None => return Outcome::skip("the handshake stopped before the server certificate was verified"),
            },
            (None, None) => return Outcome::skip("no TLS session"),
        };
        let Some(leaf) = chain.first() else {
            return Outcome::skip("the server sent no certificate");
        };
        let name_mismatch = self.session.as_ref().and_then(|session| session.name_mismatch.clone());
        let address = self.endpoint().map(|(host, _)| host).unwrap_or_default();
        match identity::CertInfo::from_der(leaf) {
            Ok(info) => {
                let days = info.days_left(now_unix());
                let names = if info.sans.is_empty() {
                    "no subjectAltName".to_owned()
                } else {
                    format!("the names {}", info.sans.join(", "))
                };
                let detail = format!(
                    "{} issued by {}, verified against PROD-TLS-CA; {names}; {days} days left",
                    info.subject, info.issuer
                );
                if let Some(reason) = name_mismatch {
                    Outcome::warn(
                        format!(
                            "{detail}. It does not name {address} ({reason}). fxpkcs11 checks the chain only, as the guide's own set-up shows, so this works; clients that check names would refuse it"
                        ),
                        format!(
                            "Re-issue the System/Host API certificate with {address} in its subjectAltName [3.1.2]"
                        ),
                    )
                } else if days < EXPIRY_WARNING_DAYS {
                    Outcome::warn(
                        detail,
                        "Renew the System/Host API certificate on the KMES before it expires [3.1.2] [3.1.3] [3.1.5]",
                    )
                } else {
                    Outcome::pass(detail)
                }
            }
            Err(error) => Outcome::pass(format!("verified against PROD-TLS-CA (details unavailable: {error})")),
        }
    }

    pub(super) fn tls_client_auth(&mut self) -> Outcome {
        if let Some(outcome) = self.owned_failure(CheckId::TlsClientAuth) {
            return outcome;
        }
        let Some(session) = self.session.as_mut() else {
            return Outcome::skip("no TLS session");
        };
        let started = Instant::now();
        let reply = hostapi::echo(session, self.options.timeout);
        if reply.is_ok() {
            self.echo_elapsed = Some(started.elapsed());
        }
        self.network.excrypt = match &reply {
            Ok(reply) => reply.exchange.clone(),
            Err(error) => error.exchange().cloned(),
        };
        self.echo = Some(reply);
        if let Some(outcome) = self.owned_failure(CheckId::TlsClientAuth) {
            return outcome;
        }
        let Some(session) = &self.session else {
            return Outcome::skip("no TLS session");
        };
        if !session.client_cert_requested {
            Outcome::warn(
                "the server did not ask for a client certificate: anyone who can reach the port may connect",
                "On the KMES, untick 'Allow Anonymous Connections' for the System/Host API connection pair [3.1.5]",
            )
        } else if session.client_cert_sent {
            Outcome::pass(
                "the server asked for the client certificate and accepted it (checked with a full round trip)",
            )
        } else {
            Outcome::warn(
                "the server asked for a client certificate, none was sent (PROD-TLS-ANONYMOUS is YES), and it accepted the connection",
                "Use a client certificate: set PROD-TLS-ANONYMOUS to NO and configure PROD-TLS-KEY [4.2]",
            )
        }
    }

    pub(super) fn hostapi_echo(&mut self) -> Outcome {
        if let Some(outcome) = self.owned_failure(CheckId::HostapiEcho) {
            return outcome;
        }
        match &self.echo {
            Some(Ok(reply)) => {
                let said = answer::describe(&reply.frame);
                let outcome = match &reply.unknown_status {
                    None => Outcome::pass(format!("the KMES answered: {said}")),
                    Some(status) => Outcome::warn(
                        format!(
                            "the KMES answered with the status \"{}\" (AN), which is neither Y (success), N (failure) nor P (permission lacking): {said}",
                            crate::display::escape(status)
                        ),
                        "fxconfig cannot tell whether this status means success: compare the answer shown here with the KMES logs, and report it so fxconfig can learn it [3.2.10]",
                    ),
                };
                outcome.with_raw(Some(reply.raw.clone()))
            }
            _ if self.tls_disabled() && self.tcp.is_some() => Outcome::warn(
                "PROD-TLS-ENABLED is NO: the TCP port answers, but fxconfig tests the Host API over TLS only",
                "Configure TLS as the guide does: export the root CA and the client PKCS#12 and set PROD-TLS-ENABLED to YES [3.1] [4.2]",
            ),
            _ => Outcome::skip("no TLS session"),
        }
    }
}
