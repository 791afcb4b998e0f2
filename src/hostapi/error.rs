//! What went wrong on the way to an ECHO answer, and at which step.

use std::fmt;

use rustls::pki_types::CertificateDer;

use super::observe::{ExcryptExchange, TlsAttempt};
use crate::remedy::Explain;

/// The step of the connection a failure belongs to; each is one doctor check. Stages
/// compare in the order a connection goes through them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Stage {
    /// Turning the configured address into IP addresses.
    Resolve,
    /// Opening the TCP connection to the Host API port.
    Connect,
    /// The TLS handshake itself (protocol versions, cipher suites, the peer's behaviour).
    Handshake,
    /// Verifying the KMES server certificate against the configured root CA.
    ServerCert,
    /// The KMES verifying our client certificate.
    ClientAuth,
    /// Sending the Excrypt ECHO and reading its answer.
    Echo,
}

impl Stage {
    /// Every stage, in the order a connection goes through them.
    pub const ALL: [Stage; 6] = [
        Stage::Resolve,
        Stage::Connect,
        Stage::Handshake,
        Stage::ServerCert,
        Stage::ClientAuth,
        Stage::Echo,
    ];

    /// A short label for the stage, such as `"TLS handshake"`.
    pub fn label(self) -> &'static str {
        match self {
            Stage::Resolve => "name resolution",
            Stage::Connect => "TCP connection",
            Stage::Handshake => "TLS handshake",
            Stage::ServerCert => "server certificate",
            Stage::ClientAuth => "client certificate",
            Stage::Echo => "Excrypt ECHO",
        }
    }
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// What exactly failed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The host name could not be resolved (unknown name, no DNS server answering).
    DnsFailure,
    /// Name resolution did not finish within the timeout.
    DnsTimeout,
    /// The host answered that nothing listens on the port.
    ConnectionRefused,
    /// The TCP connection was not established within the timeout (host down, packets dropped).
    ConnectTimeout,
    /// The network or host is unreachable from here.
    Unreachable,
    /// A network error not covered by the other kinds.
    NetworkError,
    /// The TLS handshake did not finish within the timeout (the peer accepted TCP but did not speak TLS).
    HandshakeTimeout,
    /// The peer closed the connection (during the handshake, or before answering the ECHO).
    PeerClosed,
    /// The peer and this client share no TLS protocol version or cipher suite.
    NoCommonProtocol,
    /// The configured host is neither a valid DNS name nor an IP address.
    InvalidServerName,
    /// A configured root CA certificate cannot be used as a trust anchor.
    BadTrustAnchor,
    /// The configured client certificate and key cannot be used (unsupported or mismatched key).
    InvalidClientIdentity,
    /// The server certificate was not issued by the configured root CA.
    UnknownIssuer,
    /// The server certificate does not name the configured host (DNS name or IP address).
    NameMismatch,
    /// The server certificate has expired.
    ServerCertExpired,
    /// The server certificate is not valid yet.
    ServerCertNotYetValid,
    /// The server certificate is unusable for another reason (bad signature, wrong purpose, revoked, malformed).
    BadServerCert,
    /// The server requires a client certificate and none is configured.
    ClientCertRequired,
    /// The server rejected the client certificate that was sent.
    ClientCertRejected,
    /// The peer sent a TLS alert not covered by the other kinds; the alert name, such as `internal_error`.
    TlsAlert(String),
    /// The TLS layer failed for another reason.
    TlsFailure,
    /// The answer is not an Excrypt frame (such as an HTTP page or binary data).
    NotAFrame,
    /// The answer exceeded the 64 KiB limit without ending.
    FrameTooLarge,
    /// An answer began but its closing `]` did not arrive within the timeout.
    NoFrameEnd,
    /// No answer arrived within the timeout.
    ReadTimeout,
    /// The KMES answered with the error command `ERRO` (its text, from `ER` or `BB`, is
    /// the detail): the command is disabled or not understood.
    CommandRefused,
    /// The KMES answered with the status `AN` = `P`: the identity's role lacks a permission.
    PermissionDenied,
    /// The KMES answered with the status `AN` = `N`: a general failure.
    GeneralFailure,
    /// The KMES answered a well-formed frame for another command.
    UnexpectedReply,
}

impl ErrorKind {
    /// A one-line description of the kind.
    pub fn describe(&self) -> String {
        let text = match self {
            ErrorKind::DnsFailure => "the host name could not be resolved",
            ErrorKind::DnsTimeout => "name resolution timed out",
            ErrorKind::ConnectionRefused => "the connection was refused",
            ErrorKind::ConnectTimeout => "the connection timed out",
            ErrorKind::Unreachable => "the host is unreachable",
            ErrorKind::NetworkError => "a network error occurred",
            ErrorKind::HandshakeTimeout => "the TLS handshake timed out",
            ErrorKind::PeerClosed => "the peer closed the connection",
            ErrorKind::NoCommonProtocol => "no TLS protocol version or cipher suite in common",
            ErrorKind::InvalidServerName => "the host is not a valid DNS name or IP address",
            ErrorKind::BadTrustAnchor => "the root CA certificate cannot be used",
            ErrorKind::InvalidClientIdentity => "the client certificate and key cannot be used",
            ErrorKind::UnknownIssuer => "the server certificate was not issued by the configured root CA",
            ErrorKind::NameMismatch => "the server certificate does not name this host",
            ErrorKind::ServerCertExpired => "the server certificate has expired",
            ErrorKind::ServerCertNotYetValid => "the server certificate is not valid yet",
            ErrorKind::BadServerCert => "the server certificate is invalid",
            ErrorKind::ClientCertRequired => "the server requires a client certificate and none is configured",
            ErrorKind::ClientCertRejected => "the server rejected the client certificate",
            ErrorKind::TlsAlert(alert) => return format!("the peer sent the TLS alert {alert}"),
            ErrorKind::TlsFailure => "the TLS connection failed",
            ErrorKind::NotAFrame => "the answer is not an Excrypt frame",
            ErrorKind::FrameTooLarge => "the answer is larger than 64 KiB",
            ErrorKind::NoFrameEnd => "the answer did not end with ']' in time",
            ErrorKind::ReadTimeout => "no answer arrived in time",
            ErrorKind::CommandRefused => "the KMES answered with an error (ERRO)",
            ErrorKind::PermissionDenied => "the KMES refused the command for lack of permission (AN=P)",
            ErrorKind::GeneralFailure => "the KMES reported a general failure (AN=N)",
            ErrorKind::UnexpectedReply => "the KMES answered another command",
        };
        text.to_owned()
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.describe())
    }
}

type Cause = Box<dyn std::error::Error + Send + Sync + 'static>;

/// A failure of the Host API connection: the stage it belongs to, what failed,
/// an optional detail (such as the address or the KMES error text), the raw
/// cause (`io::Error`, `rustls::Error`, [`FrameError`](super::frame::FrameError)),
/// when an answer arrived, that answer as received, and, when the handshake failed after
/// the server certificate was verified, that certificate's chain.
#[derive(Debug)]
pub struct HostApiError {
    stage: Stage,
    kind: ErrorKind,
    detail: Option<String>,
    raw: Option<String>,
    source: Option<Cause>,
    /// What is rarely known, boxed to keep the error small.
    extras: Option<Box<Extras>>,
}

/// The parts of a [`HostApiError`] that few errors carry.
#[derive(Debug, Default)]
struct Extras {
    verified_server_chain: Option<Vec<CertificateDer<'static>>>,
    other_client: Option<String>,
    tls_attempts: Vec<TlsAttempt>,
    exchange: Option<ExcryptExchange>,
}

impl HostApiError {
    /// A failure of `kind` at `stage`.
    pub fn new(stage: Stage, kind: ErrorKind) -> Self {
        HostApiError {
            stage,
            kind,
            detail: None,
            raw: None,
            source: None,
            extras: None,
        }
    }

    /// Adds a detail shown after the kind's description.
    pub fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    /// Attaches the answer received, already made safe to show
    /// ([`crate::display::escape_bytes`]).
    pub fn with_raw(mut self, raw: impl Into<String>) -> Self {
        self.raw = Some(raw.into());
        self
    }

    /// Attaches the raw cause.
    pub fn with_source(mut self, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.source = Some(Box::new(source));
        self
    }

    /// Records the server certificate chain verified before the failure.
    pub(crate) fn with_verified_server_chain(mut self, chain: Vec<CertificateDer<'static>>) -> Self {
        self.extras.get_or_insert_default().verified_server_chain = Some(chain);
        self
    }

    /// Records what the other client found when it tried the same server: how the
    /// OpenSSL 1.x-compatible client failed after the modern one did, or the reverse.
    pub(crate) fn with_other_client(mut self, finding: impl Into<String>) -> Self {
        self.extras.get_or_insert_default().other_client = Some(finding.into());
        self
    }

    /// Records a handshake attempt made on the way to this failure.
    pub(crate) fn with_tls_attempt(mut self, attempt: TlsAttempt) -> Self {
        self.extras.get_or_insert_default().tls_attempts.push(attempt);
        self
    }

    /// Records the handshake attempts made before this failure, in front of any it holds.
    pub(crate) fn with_earlier_tls_attempts(mut self, earlier: Vec<TlsAttempt>) -> Self {
        let extras = self.extras.get_or_insert_default();
        let later = std::mem::replace(&mut extras.tls_attempts, earlier);
        extras.tls_attempts.extend(later);
        self
    }

    /// Records the Excrypt exchange that ended in this failure.
    pub(crate) fn with_exchange(mut self, exchange: ExcryptExchange) -> Self {
        self.extras.get_or_insert_default().exchange = Some(exchange);
        self
    }

    /// The handshake attempts made before the failure, as the wire showed them (for a
    /// capture); empty when the failure came before TLS.
    pub fn tls_attempts(&self) -> &[TlsAttempt] {
        self.extras
            .as_ref()
            .map_or(&[], |extras| extras.tls_attempts.as_slice())
    }

    /// The Excrypt exchange, when the failure came during it.
    pub fn exchange(&self) -> Option<&ExcryptExchange> {
        self.extras.as_ref()?.exchange.as_ref()
    }

    /// The raw cause when it is a rustls error.
    pub(crate) fn rustls_cause(&self) -> Option<&rustls::Error> {
        let cause: &(dyn std::error::Error + 'static) = self.source.as_deref()?;
        cause.downcast_ref::<rustls::Error>()
    }

    /// What the other client found (see [`super::TlsClient`]), when both tried.
    pub fn other_client(&self) -> Option<&str> {
        self.extras.as_ref()?.other_client.as_deref()
    }

    /// The step the failure belongs to.
    pub fn stage(&self) -> Stage {
        self.stage
    }

    /// What failed.
    pub fn kind(&self) -> &ErrorKind {
        &self.kind
    }

    /// The extra detail, such as the address tried or the KMES error text.
    pub fn detail(&self) -> Option<&str> {
        self.detail.as_deref()
    }

    /// The answer received before the failure, escaped for display, such as
    /// `[AOECHO;ANP;]`; `None` when nothing arrived. Answers that are not a frame are cut
    /// after their first KiB.
    pub fn raw(&self) -> Option<&str> {
        self.raw.as_deref()
    }

    /// The certificate chain the server presented (end entity first), when the handshake
    /// verified it against the configured root CA before failing: a TLS 1.2 server rejects
    /// the client certificate inside the handshake, after its own certificate was accepted.
    /// `None` when the failure came before (or was) the server certificate's verification.
    pub fn verified_server_chain(&self) -> Option<&[CertificateDer<'static>]> {
        self.extras.as_ref()?.verified_server_chain.as_deref()
    }
}

impl fmt::Display for HostApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.stage, self.kind)?;
        if let Some(detail) = &self.detail {
            write!(f, " ({detail})")?;
        }
        if let Some(other) = self.other_client() {
            write!(f, "; {other}")?;
        }
        Ok(())
    }
}

impl std::error::Error for HostApiError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|cause| cause as &(dyn std::error::Error + 'static))
    }
}

impl Explain for HostApiError {
    fn remedy(&self) -> String {
        let text = match &self.kind {
            ErrorKind::DnsFailure | ErrorKind::DnsTimeout => {
                "Check the <ADDRESS> in fxpkcs11.cfg; use the KMES IP address if its name cannot be resolved from this machine."
            }
            ErrorKind::ConnectionRefused => {
                "Check <ADDRESS> and <PROD-PORT> in fxpkcs11.cfg, and that the Host API (System/Host API connection pair) is enabled and listening on the KMES."
            }
            ErrorKind::ConnectTimeout | ErrorKind::Unreachable => {
                "Check that the KMES is powered on and reachable from this machine: routing, firewalls and the <ADDRESS> and <PROD-PORT> in fxpkcs11.cfg."
            }
            ErrorKind::NetworkError => "Check the network path to the KMES and try again.",
            ErrorKind::HandshakeTimeout => {
                "Something accepts connections on that port but does not answer TLS: check <PROD-PORT> and that TLS is enabled for the System/Host API connection pair on the KMES."
            }
            ErrorKind::PeerClosed if self.stage == Stage::Echo => {
                "The KMES closed the connection after the handshake: check that this client's certificate is accepted and that the Host API is enabled for it."
            }
            ErrorKind::PeerClosed => {
                "The KMES closed the connection during the handshake: check <PROD-PORT>, <PROD-TLS-ENABLED> YES, and the TLS settings of the System/Host API connection pair."
            }
            ErrorKind::NoCommonProtocol => {
                "Enable TLS 1.2 or TLS 1.3 with modern cipher suites (ECDHE with AES-GCM or ChaCha20) for the System/Host API connection pair on the KMES."
            }
            ErrorKind::InvalidServerName => "Set <ADDRESS> in fxpkcs11.cfg to the KMES host name or IP address.",
            ErrorKind::BadTrustAnchor => {
                "Set <PROD-TLS-CA> in fxpkcs11.cfg to the root CA certificate exported from the KMES, in PEM."
            }
            ErrorKind::InvalidClientIdentity => {
                "Re-export the PKCS #11 client certificate and its private key as PKCS #12 from the KMES and point <PROD-TLS-KEY> at it."
            }
            ErrorKind::UnknownIssuer => {
                "Set <PROD-TLS-CA> to the root CA that signed the KMES System/Host API certificate (export it from the KMES again)."
            }
            ErrorKind::NameMismatch => {
                "Connect using a name or IP address the KMES certificate lists, or re-issue the System/Host API certificate with this address in its subject alternative names."
            }
            ErrorKind::ServerCertExpired | ErrorKind::ServerCertNotYetValid => {
                "Check the clocks of this machine and of the KMES; if they are right, sign a new System/Host API certificate and load it on the KMES."
            }
            ErrorKind::BadServerCert => {
                "Re-issue the KMES System/Host API certificate from the root CA with the TLS server profile and load it on the KMES."
            }
            ErrorKind::ClientCertRequired => {
                "The KMES requires a client certificate: set <PROD-TLS-KEY> and <PROD-TLS-KEY-PASS> in fxpkcs11.cfg to the PKCS #12 exported for the PKCS #11 client."
            }
            ErrorKind::ClientCertRejected => {
                "The KMES does not accept this client certificate: issue it from the CA loaded in the System/Host API connection pair, check it has not expired, and export it again."
            }
            ErrorKind::TlsAlert(_) | ErrorKind::TlsFailure => {
                "Compare the TLS settings of the System/Host API connection pair on the KMES with the certificates configured in fxpkcs11.cfg."
            }
            ErrorKind::NotAFrame | ErrorKind::FrameTooLarge | ErrorKind::NoFrameEnd | ErrorKind::UnexpectedReply => {
                "Something other than the KMES Host API answers on this port: check <ADDRESS> and <PROD-PORT> in fxpkcs11.cfg."
            }
            ErrorKind::ReadTimeout => {
                "The KMES accepted the connection but did not answer the ECHO in time: check that it is not overloaded and that the Host API is enabled."
            }
            ErrorKind::CommandRefused => {
                let said = self
                    .detail
                    .as_deref()
                    .map_or_else(String::new, |text| format!(" \"{text}\""));
                return format!(
                    "The KMES answered the ECHO with the error{said}. When the command is not enabled, enable the Host API commands on the KMES (Configuration -> Host API Options), every command except those with nested commands such as CLCR or RKRL, then save."
                );
            }
            ErrorKind::PermissionDenied => {
                "The role of this client's identity lacks a permission: on the KMES, check that the user group of the PKCS #11 identity may authenticate to the Host API and holds the permissions of [3.2.3], and that the Host API commands are enabled."
            }
            ErrorKind::GeneralFailure => {
                "The KMES reports a general failure without naming it: keep the raw answer shown here, look for the matching entry in the KMES logs, and check its Host API options."
            }
        };
        text.to_owned()
    }

    fn guide_section(&self) -> Option<&'static str> {
        let section = match &self.kind {
            ErrorKind::PeerClosed if self.stage == Stage::Echo => "3.1.6",
            ErrorKind::DnsFailure
            | ErrorKind::DnsTimeout
            | ErrorKind::ConnectionRefused
            | ErrorKind::ConnectTimeout
            | ErrorKind::Unreachable
            | ErrorKind::NetworkError
            | ErrorKind::InvalidServerName
            | ErrorKind::NotAFrame
            | ErrorKind::FrameTooLarge
            | ErrorKind::NoFrameEnd
            | ErrorKind::UnexpectedReply
            | ErrorKind::ReadTimeout => "4.2",
            ErrorKind::HandshakeTimeout | ErrorKind::PeerClosed | ErrorKind::NoCommonProtocol => "3.1.5",
            ErrorKind::TlsAlert(_) | ErrorKind::TlsFailure => "3.1",
            ErrorKind::BadTrustAnchor | ErrorKind::UnknownIssuer => "3.1.4",
            ErrorKind::NameMismatch | ErrorKind::BadServerCert => "3.1.2",
            ErrorKind::ServerCertExpired | ErrorKind::ServerCertNotYetValid => "3.1.3",
            ErrorKind::ClientCertRequired | ErrorKind::InvalidClientIdentity => "3.1.7",
            ErrorKind::ClientCertRejected => "3.1.6",
            ErrorKind::CommandRefused | ErrorKind::PermissionDenied | ErrorKind::GeneralFailure => "3.2.10",
        };
        Some(section)
    }
}
