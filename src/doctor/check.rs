//! The vocabulary of the doctor: check ids, statuses and results.

use serde::Serialize;
use std::fmt;

/// One check of the connection doctor, in the order they run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[non_exhaustive]
pub enum CheckId {
    /// Which `fxpkcs11.cfg` is examined, and whether the library would read it.
    ConfigLocate,
    /// The file is readable text with well-formed sections and entries.
    ConfigParse,
    /// Every known field holds a valid value and the required ones are present.
    ConfigFields,
    /// A file holding passwords is not readable by other users.
    ConfigPermissions,
    /// `PROD-TLS-CA` names a readable file with at least one certificate.
    TlsCa,
    /// `PROD-TLS-KEY` opens with `PROD-TLS-KEY-PASS` and holds a matching key and certificate.
    TlsIdentity,
    /// The client certificate chains to the CA and may be used for client authentication.
    TlsIdentityChain,
    /// The client certificate is within its validity period.
    TlsIdentityValidity,
    /// `ADDRESS` resolves to at least one IP address.
    NetResolve,
    /// A TCP connection to `ADDRESS:PROD-PORT` opens.
    NetConnect,
    /// The server speaks TLS with a protocol version and cipher in common.
    TlsHandshake,
    /// The server's certificate chains to `PROD-TLS-CA` and matches `ADDRESS`.
    TlsServerCert,
    /// The server asks for and accepts the client certificate.
    TlsClientAuth,
    /// The Excrypt `ECHO` command gets an answer that is not a refusal.
    HostapiEcho,
    /// The PKCS#11 module file exists and is a shared library for this machine.
    Pkcs11Module,
    /// The libraries the module needs resolve as the system loader would find them.
    Pkcs11Deps,
    /// The module loads and `C_Initialize` succeeds with `FXPKCS11_CFG` set.
    Pkcs11Load,
    /// A token is present (the one labelled as asked, or the first).
    Pkcs11Slots,
    /// The user login works, or the token does not need one.
    Pkcs11Login,
    /// The token holds a public key OpenSSH can use.
    Pkcs11Keys,
    /// Each private key signs a test message that verifies with its public key.
    Pkcs11Sign,
    /// `ssh -I MODULE user@host true` logs in.
    SshLogin,
}

impl CheckId {
    /// The connection checks, in the order they run; every run has these.
    pub const ALL: [CheckId; 14] = [
        CheckId::ConfigLocate,
        CheckId::ConfigParse,
        CheckId::ConfigFields,
        CheckId::ConfigPermissions,
        CheckId::TlsCa,
        CheckId::TlsIdentity,
        CheckId::TlsIdentityChain,
        CheckId::TlsIdentityValidity,
        CheckId::NetResolve,
        CheckId::NetConnect,
        CheckId::TlsHandshake,
        CheckId::TlsServerCert,
        CheckId::TlsClientAuth,
        CheckId::HostapiEcho,
    ];

    /// The module checks, run after [`CheckId::ALL`] when a module is given, in this order.
    pub const MODULE: [CheckId; 8] = [
        CheckId::Pkcs11Module,
        CheckId::Pkcs11Deps,
        CheckId::Pkcs11Load,
        CheckId::Pkcs11Slots,
        CheckId::Pkcs11Login,
        CheckId::Pkcs11Keys,
        CheckId::Pkcs11Sign,
        CheckId::SshLogin,
    ];

    /// The stable id used in reports and JSON, such as `"tls.client_auth"`.
    pub fn as_str(self) -> &'static str {
        match self {
            CheckId::ConfigLocate => "config.locate",
            CheckId::ConfigParse => "config.parse",
            CheckId::ConfigFields => "config.fields",
            CheckId::ConfigPermissions => "config.permissions",
            CheckId::TlsCa => "tls.ca",
            CheckId::TlsIdentity => "tls.identity",
            CheckId::TlsIdentityChain => "tls.identity.chain",
            CheckId::TlsIdentityValidity => "tls.identity.validity",
            CheckId::NetResolve => "net.resolve",
            CheckId::NetConnect => "net.connect",
            CheckId::TlsHandshake => "tls.handshake",
            CheckId::TlsServerCert => "tls.server_cert",
            CheckId::TlsClientAuth => "tls.client_auth",
            CheckId::HostapiEcho => "hostapi.echo",
            CheckId::Pkcs11Module => "pkcs11.module",
            CheckId::Pkcs11Deps => "pkcs11.deps",
            CheckId::Pkcs11Load => "pkcs11.load",
            CheckId::Pkcs11Slots => "pkcs11.slots",
            CheckId::Pkcs11Login => "pkcs11.login",
            CheckId::Pkcs11Keys => "pkcs11.keys",
            CheckId::Pkcs11Sign => "pkcs11.sign",
            CheckId::SshLogin => "ssh.login",
        }
    }

    /// A short title for lists and reports.
    pub fn title(self) -> &'static str {
        match self {
            CheckId::ConfigLocate => "Configuration file found",
            CheckId::ConfigParse => "Configuration file well-formed",
            CheckId::ConfigFields => "Configuration values valid",
            CheckId::ConfigPermissions => "Configuration file permissions",
            CheckId::TlsCa => "Root CA certificate",
            CheckId::TlsIdentity => "PKCS#12 client identity",
            CheckId::TlsIdentityChain => "Client certificate chains to the CA",
            CheckId::TlsIdentityValidity => "Client certificate validity",
            CheckId::NetResolve => "KMES address resolves",
            CheckId::NetConnect => "TCP connection to the Host API port",
            CheckId::TlsHandshake => "TLS handshake",
            CheckId::TlsServerCert => "KMES server certificate",
            CheckId::TlsClientAuth => "Client certificate accepted",
            CheckId::HostapiEcho => "Excrypt ECHO answered",
            CheckId::Pkcs11Module => "PKCS#11 module file",
            CheckId::Pkcs11Deps => "Module libraries resolve",
            CheckId::Pkcs11Load => "Module loads and initialises",
            CheckId::Pkcs11Slots => "Token present",
            CheckId::Pkcs11Login => "Token login",
            CheckId::Pkcs11Keys => "SSH public keys on the token",
            CheckId::Pkcs11Sign => "Test signature verifies",
            CheckId::SshLogin => "SSH login with the module",
        }
    }

    /// The guide section this check verifies.
    pub fn guide_section(self) -> &'static str {
        match self {
            CheckId::ConfigLocate => "2.2",
            CheckId::ConfigParse | CheckId::ConfigFields | CheckId::ConfigPermissions => "4.2",
            CheckId::TlsCa => "3.1.4",
            CheckId::TlsIdentity | CheckId::TlsIdentityValidity => "3.1.7",
            CheckId::TlsIdentityChain => "3.1.6",
            CheckId::NetResolve | CheckId::NetConnect => "4.2",
            CheckId::TlsHandshake | CheckId::TlsServerCert => "3.1.5",
            CheckId::TlsClientAuth => "3.1.6",
            CheckId::HostapiEcho => "3.2.10",
            CheckId::Pkcs11Module | CheckId::Pkcs11Deps | CheckId::Pkcs11Load => "2.2",
            CheckId::Pkcs11Slots | CheckId::Pkcs11Login => "4.2",
            CheckId::Pkcs11Keys => "4.1",
            CheckId::Pkcs11Sign => "1.4",
            CheckId::SshLogin => "5",
        }
    }

    /// What the check establishes, in one sentence (for the README and the app's help).
    pub fn description(self) -> &'static str {
        match self {
            CheckId::ConfigLocate => {
                "Finds the fxpkcs11.cfg to examine and says whether the PKCS#11 library would read that same file (FXPKCS11_CFG, else the platform default)."
            }
            CheckId::ConfigParse => {
                "Reads the file as text and checks that every line is a comment, a section tag or a one-line tag entry, with every section opened and closed."
            }
            CheckId::ConfigFields => {
                "Checks each known field's value (YES/NO, port 1-65535, slot number, address) and that ADDRESS and PROD-PORT are present."
            }
            CheckId::ConfigPermissions => "Warns when a file holding passwords can be read by other users.",
            CheckId::TlsCa => "Loads PROD-TLS-CA: PEM or DER, one or several certificates.",
            CheckId::TlsIdentity => {
                "Opens PROD-TLS-KEY with PROD-TLS-KEY-PASS and checks that the private key matches its certificate."
            }
            CheckId::TlsIdentityChain => {
                "Verifies the client certificate against PROD-TLS-CA exactly as the TLS handshake will, including the clientAuth usage."
            }
            CheckId::TlsIdentityValidity => {
                "Checks that the client certificate is valid today, and warns within 30 days of expiry."
            }
            CheckId::NetResolve => "Resolves ADDRESS to IP addresses.",
            CheckId::NetConnect => "Opens a TCP connection to ADDRESS:PROD-PORT.",
            CheckId::TlsHandshake => {
                "Starts TLS 1.2/1.3 and checks that the server negotiates a protocol and cipher with us."
            }
            CheckId::TlsServerCert => {
                "Verifies the server certificate against PROD-TLS-CA only, and that it names ADDRESS."
            }
            CheckId::TlsClientAuth => {
                "Checks, after a full round trip, that the server asked for our client certificate and accepted it."
            }
            CheckId::HostapiEcho => {
                "Sends the Excrypt [AOECHO;] command and judges the answer: FAIL on ERRO or the status AN=N or AN=P, WARN on another AN value, PASS otherwise; names the versions (BC, FW), serial (SN) and product (PN) and shows the answer as received."
            }
            CheckId::Pkcs11Module => {
                "Reads the module file's header: it exists and is a shared library for this system, processor and word size (ELF x86-64 rather than 32-bit; PE on Windows)."
            }
            CheckId::Pkcs11Deps => {
                "Follows the libraries the module needs as the system loader would (RPATH, LD_LIBRARY_PATH, RUNPATH, ld.so.conf, default folders) and names any that would not be found, such as the wrong OpenSSL version."
            }
            CheckId::Pkcs11Load => {
                "Loads the module in a child process with FXPKCS11_CFG pointing at the configuration checked, calls C_Initialize and C_GetInfo; a crash is reported, not suffered."
            }
            CheckId::Pkcs11Slots => {
                "Lists the slots and selects the token by label (--token), or the first initialised token."
            }
            CheckId::Pkcs11Login => {
                "Logs in as the token user with the PIN given (never stored), or notes that the token needs no login; CKR_* codes are named."
            }
            CheckId::Pkcs11Keys => {
                "Lists the RSA and EC public keys OpenSSH can use, as the authorized_keys lines ssh-keygen -D prints."
            }
            CheckId::Pkcs11Sign => {
                "Signs a random message with each private key (CKM_SHA256_RSA_PKCS, or CKM_ECDSA over SHA-256) and verifies it in software with the public key of the same CKA_ID."
            }
            CheckId::SshLogin => {
                "Runs ssh -I MODULE USER@HOST true in batch mode with a time bound and explains the outcome: key not in authorized_keys, PIN prompt (REQUIRE-LOGIN-FLAG), refused, host key, module load failure."
            }
        }
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
}

impl Report {
    /// The result of one check, if it was recorded.
    pub fn get(&self, id: CheckId) -> Option<&CheckResult> {
        self.checks.iter().find(|c| c.id == id)
    }
}
