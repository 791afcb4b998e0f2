//! The vocabulary of the doctor: the table of checks ([`CHECKS`]), statuses and results.
//!
//! Every check is one [`CheckSpec`] row: its id, title, guide section, description, the
//! checks it needs, when it runs, the troubleshooting step that shows it, and the function
//! that runs it. The runner, the command line, the JSON, the desktop app, its
//! troubleshooting wizard and the README test all read this table.

use serde::Serialize;
use std::fmt;

use super::Outcome;
use super::steps::State;
use crate::cfg::CfgDocument;

/// One check of the connection doctor. Each is one row of [`CHECKS`], listed there in the
/// order declared here (a compile-time assertion keeps the two in step); the variants'
/// order is the order in which the checks run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[non_exhaustive]
pub enum CheckId {
    /// `config.locate`.
    ConfigLocate,
    /// `config.parse`.
    ConfigParse,
    /// `config.fields`.
    ConfigFields,
    /// `config.permissions`.
    ConfigPermissions,
    /// `config.access`.
    ConfigAccess,
    /// `tls.ca`.
    TlsCa,
    /// `tls.identity`.
    TlsIdentity,
    /// `tls.identity.chain`.
    TlsIdentityChain,
    /// `tls.identity.validity`.
    TlsIdentityValidity,
    /// `net.resolve`.
    NetResolve,
    /// `net.connect`.
    NetConnect,
    /// `tls.handshake`.
    TlsHandshake,
    /// `tls.server_cert`.
    TlsServerCert,
    /// `tls.client_auth`.
    TlsClientAuth,
    /// `hostapi.echo`.
    HostapiEcho,
    /// `pkcs11.module`.
    Pkcs11Module,
    /// `pkcs11.deps`.
    Pkcs11Deps,
    /// `pkcs11.load`.
    Pkcs11Load,
    /// `pkcs11.slots`.
    Pkcs11Slots,
    /// `pkcs11.login`.
    Pkcs11Login,
    /// `pkcs11.keys`.
    Pkcs11Keys,
    /// `pkcs11.sign`.
    Pkcs11Sign,
    /// `ssh.client`.
    SshClient,
    /// `ssh.config`.
    SshConfig,
    /// `ssh.agent`.
    SshAgent,
    /// `ssh.keys`.
    SshKeys,
    /// `ssh.login`.
    SshLogin,
}

/// When a check runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckScope {
    /// In every run: the configuration, the TLS materials and the Host API connection.
    Connection,
    /// When a PKCS#11 module is given ([`super::DoctorOptions::module`]), after the others.
    Module,
}

/// The step of guided troubleshooting (the desktop app's wizard, in the guide's order) that
/// shows a check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WizardStep {
    /// The PKCS#11 module is installed, loads and shows its token [2.2].
    Module,
    /// `fxpkcs11.cfg` is the file the library reads, well-formed, valid and private [4.2].
    Configuration,
    /// The root CA and the PKCS#12 client identity open, match and chain [3.1].
    TlsMaterials,
    /// The Host API port answers and the mutual TLS handshake succeeds [3.1].
    Connection,
    /// The KMES answers Excrypt commands [3.2.10].
    HostApi,
    /// `ssh` logs in through the module [5].
    SshLogin,
}

/// The runner of one check: it reads and extends what earlier checks learned.
pub(super) type RunCheck = fn(&mut State<'_>) -> Outcome;

/// Everything about one check: one row of [`CHECKS`].
///
/// Adding a check is a [`CheckId`] variant, its row here, the function that runs it
/// (in `doctor/steps.rs`), and its row in the README's check table (a test compares them).
#[derive(Clone, Copy)]
pub struct CheckSpec {
    /// Which check.
    pub id: CheckId,
    /// The stable id used in reports and JSON, such as `"tls.client_auth"`.
    pub name: &'static str,
    /// A short title for lists and reports.
    pub title: &'static str,
    /// The guide section the check verifies, such as `"3.2.10"`.
    pub guide: &'static str,
    /// What the check establishes, in one or two sentences (for the README and the app's help).
    pub description: &'static str,
    /// The checks that must pass (or warn) before this one runs; otherwise it is skipped.
    pub needs: &'static [CheckId],
    /// When it runs.
    pub scope: CheckScope,
    /// The troubleshooting step that shows it.
    pub wizard: WizardStep,
    /// Whether it waits on the network for at most the run's step time-out
    /// ([`super::DoctorOptions::timeout`]), so that a screen can show that deadline.
    pub time_bounded: bool,
    /// The function that runs it.
    pub(super) run: RunCheck,
}

impl fmt::Debug for CheckSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CheckSpec")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("title", &self.title)
            .field("guide", &self.guide)
            .field("needs", &self.needs)
            .field("scope", &self.scope)
            .field("wizard", &self.wizard)
            .field("time_bounded", &self.time_bounded)
            .finish_non_exhaustive()
    }
}

/// Every check, in the order they run: the [`CheckScope::Connection`] checks, then the
/// [`CheckScope::Module`] ones.
pub const CHECKS: &[CheckSpec] = &[
    CheckSpec {
        id: CheckId::ConfigLocate,
        name: "config.locate",
        title: "Configuration file found",
        guide: "2.2",
        description: "Finds the fxpkcs11.cfg to examine and says whether the PKCS#11 library would read that same file (FXPKCS11_CFG, else the platform default).",
        needs: &[],
        scope: CheckScope::Connection,
        wizard: WizardStep::Configuration,
        time_bounded: false,
        run: |state| state.config_locate(),
    },
    CheckSpec {
        id: CheckId::ConfigParse,
        name: "config.parse",
        title: "Configuration file well-formed",
        guide: "4.2",
        description: "Reads the file as text and checks that every line is a comment, a section tag or a one-line tag entry, with every section opened and closed.",
        needs: &[CheckId::ConfigLocate],
        scope: CheckScope::Connection,
        wizard: WizardStep::Configuration,
        time_bounded: false,
        run: |state| state.config_parse(),
    },
    CheckSpec {
        id: CheckId::ConfigFields,
        name: "config.fields",
        title: "Configuration values valid",
        guide: "4.2",
        description: "Checks each known field's value (YES/NO, port 1-65535, slot number, address) and that ADDRESS and PROD-PORT are present.",
        needs: &[CheckId::ConfigParse],
        scope: CheckScope::Connection,
        wizard: WizardStep::Configuration,
        time_bounded: false,
        run: |state| state.config_fields(),
    },
    CheckSpec {
        id: CheckId::ConfigPermissions,
        name: "config.permissions",
        title: "Configuration file permissions",
        guide: "4.2",
        description: "Warns when a file holding passwords can be read by users outside its owner and group; names the group and its members when the group may read it.",
        needs: &[CheckId::ConfigLocate],
        scope: CheckScope::Connection,
        wizard: WizardStep::Configuration,
        time_bounded: false,
        run: |state| state.config_permissions(),
    },
    CheckSpec {
        id: CheckId::ConfigAccess,
        name: "config.access",
        title: "Files readable by the ssh user",
        guide: "5",
        description: "Names who can read the cfg, PROD-TLS-CA and PROD-TLS-KEY, since the library runs as the user who runs ssh; with --for-user NAME, fails when NAME cannot read them, and warns when the user who ran fxconfig (SUDO_USER under sudo) cannot.",
        needs: &[CheckId::ConfigParse],
        scope: CheckScope::Connection,
        wizard: WizardStep::Configuration,
        time_bounded: false,
        run: |state| state.config_access(),
    },
    CheckSpec {
        id: CheckId::TlsCa,
        name: "tls.ca",
        title: "Root CA certificate",
        guide: "3.1.4",
        description: "Loads PROD-TLS-CA and reads it as fxpkcs11's OpenSSL 1.1 does: PEM only (a DER file, a byte-order mark or indented lines leave it with no CA), each certificate valid today; warns on a relative path.",
        needs: &[CheckId::ConfigParse],
        scope: CheckScope::Connection,
        wizard: WizardStep::TlsMaterials,
        time_bounded: false,
        run: |state| state.tls_ca(),
    },
    CheckSpec {
        id: CheckId::TlsIdentity,
        name: "tls.identity",
        title: "PKCS#12 client identity",
        guide: "3.1.7",
        description: "Opens PROD-TLS-KEY with PROD-TLS-KEY-PASS as OpenSSL's PKCS12_parse would (a file without a MAC is refused) and checks that the private key matches its certificate; warns on a relative path.",
        needs: &[CheckId::ConfigParse],
        scope: CheckScope::Connection,
        wizard: WizardStep::TlsMaterials,
        time_bounded: false,
        run: |state| state.tls_identity(),
    },
    CheckSpec {
        id: CheckId::TlsIdentityChain,
        name: "tls.identity.chain",
        title: "Client certificate chains to the CA",
        guide: "3.1.6",
        description: "Verifies the client certificate against PROD-TLS-CA exactly as the TLS handshake will, including the clientAuth usage.",
        needs: &[CheckId::TlsCa, CheckId::TlsIdentity],
        scope: CheckScope::Connection,
        wizard: WizardStep::TlsMaterials,
        time_bounded: false,
        run: |state| state.tls_identity_chain(),
    },
    CheckSpec {
        id: CheckId::TlsIdentityValidity,
        name: "tls.identity.validity",
        title: "Client certificate validity",
        guide: "3.1.7",
        description: "Checks that the client certificate is valid today, and warns within 30 days of expiry.",
        needs: &[CheckId::TlsIdentity],
        scope: CheckScope::Connection,
        wizard: WizardStep::TlsMaterials,
        time_bounded: false,
        run: |state| state.tls_identity_validity(),
    },
    CheckSpec {
        id: CheckId::NetResolve,
        name: "net.resolve",
        title: "KMES address resolves",
        guide: "4.2",
        description: "Resolves ADDRESS to IP addresses.",
        needs: &[CheckId::ConfigParse],
        scope: CheckScope::Connection,
        wizard: WizardStep::Connection,
        time_bounded: true,
        run: |state| state.net_resolve(),
    },
    CheckSpec {
        id: CheckId::NetConnect,
        name: "net.connect",
        title: "TCP connection to the Host API port",
        guide: "4.2",
        description: "Opens a TCP connection to ADDRESS:PROD-PORT.",
        needs: &[CheckId::NetResolve],
        scope: CheckScope::Connection,
        wizard: WizardStep::Connection,
        time_bounded: true,
        run: |state| state.net_connect(),
    },
    CheckSpec {
        id: CheckId::TlsHandshake,
        name: "tls.handshake",
        title: "TLS handshake",
        guide: "3.1.5",
        description: "Completes the handshake fxpkcs11's OpenSSL 1.x would: rustls first (TLS 1.2/1.3, AEAD suites), then an OpenSSL 1.x-compatible client (TLS 1.0-1.2, CBC suites, RSA key exchange, SHA-1); warns naming the client, why rustls could not, and what is weak.",
        needs: &[CheckId::NetConnect],
        scope: CheckScope::Connection,
        wizard: WizardStep::Connection,
        time_bounded: true,
        run: |state| state.tls_handshake(),
    },
    CheckSpec {
        id: CheckId::TlsServerCert,
        name: "tls.server_cert",
        title: "KMES server certificate",
        guide: "3.1.5",
        description: "Verifies the server certificate's chain against PROD-TLS-CA only, with OpenSSL's rules (a root as the anchor, CA issuers, dates) as fxpkcs11 does; a certificate that does not name ADDRESS is a warning, not a failure.",
        needs: &[CheckId::TlsHandshake],
        scope: CheckScope::Connection,
        wizard: WizardStep::Connection,
        time_bounded: false,
        run: |state| state.tls_server_cert(),
    },
    CheckSpec {
        id: CheckId::TlsClientAuth,
        name: "tls.client_auth",
        title: "Client certificate accepted",
        guide: "3.1.6",
        description: "Checks, after a full round trip, that the server asked for our client certificate and accepted it.",
        needs: &[CheckId::TlsHandshake],
        scope: CheckScope::Connection,
        wizard: WizardStep::Connection,
        time_bounded: false,
        run: |state| state.tls_client_auth(),
    },
    CheckSpec {
        id: CheckId::HostapiEcho,
        name: "hostapi.echo",
        title: "Excrypt ECHO answered",
        guide: "3.2.10",
        description: "Sends the Excrypt [AOECHO;] command and judges the answer: FAIL on ERRO or the status AN=N or AN=P, WARN on another AN value, PASS otherwise; names the versions (BC, FW), serial (SN) and product (PN) and shows the answer as received.",
        needs: &[CheckId::NetConnect],
        scope: CheckScope::Connection,
        wizard: WizardStep::HostApi,
        time_bounded: true,
        run: |state| state.hostapi_echo(),
    },
    CheckSpec {
        id: CheckId::Pkcs11Module,
        name: "pkcs11.module",
        title: "PKCS#11 module file",
        guide: "2.2",
        description: "Reads the module file's header: it exists and is a shared library for this system, processor and word size (ELF x86-64 rather than 32-bit or AArch64; PE on Windows); a text file, a program or a folder is named as such.",
        needs: &[],
        scope: CheckScope::Module,
        wizard: WizardStep::Module,
        time_bounded: false,
        run: |state| state.pkcs11_module(),
    },
    CheckSpec {
        id: CheckId::Pkcs11Deps,
        name: "pkcs11.deps",
        title: "Module libraries resolve",
        guide: "2.2",
        description: "Follows the libraries the module needs as the system loader would (RPATH, LD_LIBRARY_PATH, RUNPATH, ld.so.conf; on Windows LoadLibrary's order), skipping other architectures; a missing libssl or libcrypto points at the guide's OpenSSL 1.0.x / 1.1.x builds, and a DLL beside the module but off the search path is named.",
        needs: &[CheckId::Pkcs11Module],
        scope: CheckScope::Module,
        wizard: WizardStep::Module,
        time_bounded: false,
        run: |state| state.pkcs11_deps(),
    },
    CheckSpec {
        id: CheckId::Pkcs11Load,
        name: "pkcs11.load",
        title: "Module loads and initialises",
        guide: "2.2",
        description: "Loads the module in a child process with FXPKCS11_CFG pointing at the configuration checked, calls C_Initialize and C_GetInfo; a module that crashes is reported (killed by signal 11 (SIGSEGV)), not suffered.",
        needs: &[CheckId::Pkcs11Module],
        scope: CheckScope::Module,
        wizard: WizardStep::Module,
        time_bounded: false,
        run: |state| state.pkcs11_load(),
    },
    CheckSpec {
        id: CheckId::Pkcs11Slots,
        name: "pkcs11.slots",
        title: "Token present",
        guide: "4.2",
        description: "Lists the slots and selects the token by label (--token), or the first initialised token (slot ids can change; labels don't).",
        needs: &[CheckId::Pkcs11Load],
        scope: CheckScope::Module,
        wizard: WizardStep::Module,
        time_bounded: false,
        run: |state| state.pkcs11_slots(),
    },
    CheckSpec {
        id: CheckId::Pkcs11Login,
        name: "pkcs11.login",
        title: "Token login",
        guide: "4.2",
        description: "Logs in as the token user with the PIN given (never stored), or notes that the token needs none (fxpkcs11 with REQUIRE-LOGIN-FLAG NO); a token that wants a login with no PIN given is a warning, since ssh would ask for a PIN. CKR_* codes are named.",
        needs: &[CheckId::Pkcs11Slots],
        scope: CheckScope::Module,
        wizard: WizardStep::Module,
        time_bounded: false,
        run: |state| state.pkcs11_login(),
    },
    CheckSpec {
        id: CheckId::Pkcs11Keys,
        name: "pkcs11.keys",
        title: "SSH public keys on the token",
        guide: "4.1",
        description: "Lists the RSA and EC public keys OpenSSH can use, as the authorized_keys lines ssh-keygen -D prints, each with its SHA256: fingerprint.",
        needs: &[CheckId::Pkcs11Login],
        scope: CheckScope::Module,
        wizard: WizardStep::Module,
        time_bounded: false,
        run: |state| state.pkcs11_keys(),
    },
    CheckSpec {
        id: CheckId::Pkcs11Sign,
        name: "pkcs11.sign",
        title: "Test signature verifies",
        guide: "1.4",
        description: "Signs a random message with each private key (CKM_SHA256_RSA_PKCS, or CKM_ECDSA over SHA-256) and verifies it in software with the public key of the same CKA_ID.",
        needs: &[CheckId::Pkcs11Login],
        scope: CheckScope::Module,
        wizard: WizardStep::Module,
        time_bounded: false,
        run: |state| state.pkcs11_sign(),
    },
    CheckSpec {
        id: CheckId::SshClient,
        name: "ssh.client",
        title: "OpenSSH client",
        guide: "5",
        description: "Runs ssh -V: whether that OpenSSH uses the token's key types through PKCS#11 (ECDSA from 8.0, Ed25519 from 10.1) and, on Windows, whether its agent loads providers (8.9 on).",
        needs: &[],
        scope: CheckScope::Module,
        wizard: WizardStep::SshLogin,
        time_bounded: false,
        run: |state| state.ssh_client(),
    },
    CheckSpec {
        id: CheckId::SshConfig,
        name: "ssh.config",
        title: "ssh_config for the target",
        guide: "5",
        description: "With --ssh (an address, or an alias from --ssh-config FILE or ~/.ssh/config), reads ssh -G: PKCS11Provider names this module, IdentitiesOnly and IdentityFile offer the exported key alone.",
        needs: &[CheckId::Pkcs11Module],
        scope: CheckScope::Module,
        wizard: WizardStep::SshLogin,
        time_bounded: false,
        run: |state| state.ssh_config(),
    },
    CheckSpec {
        id: CheckId::SshAgent,
        name: "ssh.agent",
        title: "SSH agent accepts the module",
        guide: "5",
        description: "With an agent (SSH_AUTH_SOCK's peer; the Windows service), predicts ssh-add -s MODULE: the module's real path against the allowlist, a forwarded agent, and the agent's own FXPKCS11_CFG.",
        needs: &[CheckId::Pkcs11Module],
        scope: CheckScope::Module,
        wizard: WizardStep::SshLogin,
        time_bounded: false,
        run: |state| state.ssh_agent(),
    },
    CheckSpec {
        id: CheckId::SshKeys,
        name: "ssh.keys",
        title: "The key ssh offers",
        guide: "4.1",
        description: "Predicts which token keys ssh offers, in order, and checks the exported key (--pubkey FILE): on the token, offered, usable by this OpenSSH, within sshd's MaxAuthTries.",
        needs: &[CheckId::Pkcs11Keys],
        scope: CheckScope::Module,
        wizard: WizardStep::SshLogin,
        time_bounded: false,
        run: |state| state.ssh_keys(),
    },
    CheckSpec {
        id: CheckId::SshLogin,
        name: "ssh.login",
        title: "SSH login with the module",
        guide: "5",
        description: "With --ssh, runs ssh -I MODULE USER@HOST true (an alias: ssh ALIAS true, through its configuration) with a time bound and explains the outcome: key not in authorized_keys, PIN prompt (REQUIRE-LOGIN-FLAG), refused, host key, module load failure.",
        needs: &[CheckId::Pkcs11Module],
        scope: CheckScope::Module,
        wizard: WizardStep::SshLogin,
        time_bounded: true,
        run: |state| state.ssh_login(),
    },
];

/// Row `i` of [`CHECKS`] is the check whose discriminant is `i`, so every check has exactly
/// one row and the table runs in the order of [`CheckId`].
const _: () = {
    let mut index = 0;
    while index < CHECKS.len() {
        assert!(
            CHECKS[index].id as usize == index,
            "CHECKS lists each CheckId once, in declaration order"
        );
        index += 1;
    }
};

/// How many checks of `scope` [`CHECKS`] holds.
const fn count(scope: CheckScope) -> usize {
    let mut total = 0;
    let mut index = 0;
    while index < CHECKS.len() {
        if CHECKS[index].scope as u8 == scope as u8 {
            total += 1;
        }
        index += 1;
    }
    total
}

/// The ids of the checks of `scope`, in table order.
const fn ids<const N: usize>(scope: CheckScope) -> [CheckId; N] {
    let mut out = [CheckId::ConfigLocate; N];
    let mut filled = 0;
    let mut index = 0;
    while index < CHECKS.len() {
        if CHECKS[index].scope as u8 == scope as u8 {
            out[filled] = CHECKS[index].id;
            filled += 1;
        }
        index += 1;
    }
    out
}

impl CheckId {
    /// The connection checks, in the order they run; every run has these. Read from [`CHECKS`].
    pub const ALL: [CheckId; count(CheckScope::Connection)] = ids(CheckScope::Connection);

    /// The module checks, run after [`CheckId::ALL`] when a module is given, in this order.
    /// Read from [`CHECKS`].
    pub const MODULE: [CheckId; count(CheckScope::Module)] = ids(CheckScope::Module);

    /// This check's row of [`CHECKS`].
    pub fn spec(self) -> &'static CheckSpec {
        &CHECKS[self as usize]
    }

    /// The check with this stable id, such as `"tls.client_auth"`.
    pub fn from_name(name: &str) -> Option<CheckId> {
        CHECKS.iter().find(|spec| spec.name == name).map(|spec| spec.id)
    }

    /// The connection checks the troubleshooting step `step` shows, in order.
    pub fn of_step(step: WizardStep) -> impl Iterator<Item = CheckId> {
        CHECKS
            .iter()
            .filter(move |spec| spec.scope == CheckScope::Connection && spec.wizard == step)
            .map(|spec| spec.id)
    }

    /// Whether the check waits on the network for at most the step time-out.
    pub fn is_time_bounded(self) -> bool {
        self.spec().time_bounded
    }

    /// The stable id used in reports and JSON, such as `"tls.client_auth"`.
    pub fn as_str(self) -> &'static str {
        self.spec().name
    }

    /// A short title for lists and reports.
    pub fn title(self) -> &'static str {
        self.spec().title
    }

    /// The guide section this check verifies.
    pub fn guide_section(self) -> &'static str {
        self.spec().guide
    }

    /// What the check establishes, in one or two sentences (for the README and the app's help).
    pub fn description(self) -> &'static str {
        self.spec().description
    }
}

impl fmt::Display for CheckId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The outcome of one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// The check found nothing wrong.
    Pass,
    /// Works, but something deserves attention.
    Warn,
    /// Broken: the connection will not work until this is fixed.
    Fail,
    /// Not run, because a check it depends on failed, it does not apply, or the run was cancelled.
    Skip,
}

impl Status {
    /// The lowercase name used in reports: `pass`, `warn`, `fail`, `skip`.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Warn => "warn",
            Status::Fail => "fail",
            Status::Skip => "skip",
        }
    }
}

/// The result of one check, as shown in the app and printed by `fxconfig check`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckResult {
    /// Which check.
    #[serde(serialize_with = "serialize_id")]
    pub id: CheckId,
    /// The check's title.
    pub title: &'static str,
    /// Its outcome.
    pub status: Status,
    /// What was found, including the raw cause of a failure (OS error, TLS alert, …).
    pub detail: String,
    /// What to do about a failure or warning; empty on pass and skip.
    pub remedy: String,
    /// The guide section to read, such as `"3.2.10"`.
    pub guide: &'static str,
    /// The answer received from the Host API, as received but with control characters
    /// written as escapes ([`crate::display::escape_bytes`]), such as `[AOECHO;ANP;]`: set on
    /// `hostapi.echo` whenever an answer arrived (also when it is not a frame), `None` otherwise.
    pub raw: Option<String>,
    /// How long the check took, in milliseconds.
    pub ms: u64,
}

fn serialize_id<S: serde::Serializer>(id: &CheckId, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(id.as_str())
}

/// All results of one doctor run.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The configuration file examined.
    pub config: String,
    /// Whether no check failed (warnings allowed).
    pub ok: bool,
    /// Every check, in order.
    pub checks: Vec<CheckResult>,
    /// The configuration as the run read it, for the Markdown report ([`super::report`]);
    /// `None` when it could not be read. Its passwords stay out of the JSON and `Debug`.
    #[serde(skip)]
    pub document: Option<CfgDocument>,
    /// The figures monitoring wants from the run (`check --format prometheus`).
    pub facts: Facts,
    /// What the network showed, for a capture ([`crate::capture`]); not in the JSON.
    #[serde(skip)]
    pub network: crate::hostapi::observe::NetworkRecord,
}

/// What a doctor run learned, as figures: the endpoint, when the certificates expire,
/// how long the ECHO took and when the run ended. A figure the run could not learn
/// (the file did not open, no answer came) is `None`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Facts {
    /// `ADDRESS` as configured.
    pub address: Option<String>,
    /// `PROD-PORT` as configured.
    pub port: Option<u16>,
    /// When the client certificate (the PKCS#12 file's) expires, in Unix seconds.
    pub client_certificate_not_after: Option<i64>,
    /// When the first certificate of the CA file to expire does, in Unix seconds.
    pub ca_certificate_not_after: Option<i64>,
    /// How long the Excrypt ECHO took, from sending the command to the whole answer, in seconds.
    pub echo_seconds: Option<f64>,
    /// When the run ended, in Unix seconds.
    pub finished_at: i64,
}

impl Report {
    /// The result of one check, if it was recorded.
    pub fn get(&self, id: CheckId) -> Option<&CheckResult> {
        self.checks.iter().find(|c| c.id == id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_row_is_complete_and_its_name_unique() {
        for (index, spec) in CHECKS.iter().enumerate() {
            assert_eq!(spec.id.spec().name, spec.name);
            assert_eq!(CheckId::from_name(spec.name), Some(spec.id));
            assert!(
                CHECKS[index + 1..].iter().all(|other| other.name != spec.name),
                "{}",
                spec.name
            );
            assert!(!spec.title.is_empty() && !spec.description.is_empty(), "{}", spec.name);
            assert!(
                spec.guide.split('.').all(|part| part.parse::<u8>().is_ok()),
                "{}: guide section {:?}",
                spec.name,
                spec.guide
            );
            assert!(
                spec.name.len() < 22,
                "{} is wider than the id column of `fxconfig check`",
                spec.name
            );
        }
        assert_eq!(CheckId::from_name("tls.nothing"), None);
    }

    #[test]
    fn prerequisites_run_earlier_and_connection_checks_come_first() {
        for spec in CHECKS {
            for needed in spec.needs {
                assert!(*needed < spec.id, "{} needs {needed}, which runs after it", spec.name);
                assert!(
                    spec.scope == CheckScope::Module || needed.spec().scope == CheckScope::Connection,
                    "{} needs the module check {needed}, which a connection-only run lacks",
                    spec.name
                );
            }
        }
        let first_module = CHECKS.iter().position(|spec| spec.scope == CheckScope::Module);
        assert_eq!(first_module, Some(CheckId::ALL.len()));
        assert_eq!(CheckId::ALL.len() + CheckId::MODULE.len(), CHECKS.len());
        assert!(CheckId::MODULE.iter().all(|id| id.spec().scope == CheckScope::Module));
    }
}
