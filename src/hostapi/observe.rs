//! What the client saw on the wire, kept for a capture ([`crate::capture`]) and for the
//! replay that imitates the server ([`crate::sim::replay`]): each TLS handshake attempt and
//! the Excrypt exchange.
//!
//! Only what the server showed and what this client did is recorded: versions, suites,
//! public certificates, the CertificateRequest, alerts, the request sent and the bytes
//! received with their arrival times. No key, password or PIN passes through here; the
//! client's own certificate is not recorded here either (the capture adds it only when
//! asked).

use std::time::{Duration, Instant};

use base64ct::{Base64, Encoding};
use rustls::pki_types::CertificateDer;
use serde::{Deserialize, Serialize};
use x509_parser::prelude::FromDer;

/// Which client made a handshake attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AttemptClient {
    /// rustls.
    Modern,
    /// OpenSSL set up as fxpkcs11's OpenSSL 1.x connects.
    Compatibility,
}

/// Which side sent an alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertDirection {
    /// The server sent it.
    Received,
    /// This client sent it.
    Sent,
}

/// Where in the connection an alert came.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertPoint {
    /// Before the server hello: the server refused the client hello.
    BeforeServerHello,
    /// During the rest of the handshake.
    Handshake,
    /// After the client finished its handshake, on the first read (how a TLS 1.3 server
    /// refuses a client certificate).
    AfterHandshake,
}

/// A TLS alert, such as `unknown_ca`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertSeen {
    /// Who sent it.
    pub direction: AlertDirection,
    /// Its name as the RFCs spell it, such as `certificate_required`.
    pub description: String,
    /// Where in the connection it came.
    pub point: AlertPoint,
    /// Milliseconds from the start of the attempt (or of the Excrypt request).
    pub at_ms: u64,
}

/// What the server's CertificateRequest asked for.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertificateRequestSeen {
    /// The acceptable CA names, as text (`CN=…, O=…`).
    pub ca_names: Vec<String>,
    /// The same names as DER, base64, so a replay can send them byte for byte.
    pub ca_names_der: Vec<String>,
    /// The signature algorithms it accepts, such as `ECDSA_NISTP256_SHA256` (the modern
    /// client's view; empty when the compatibility client saw the request).
    pub signature_schemes: Vec<String>,
}

/// One handshake attempt, as far as it went.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TlsAttempt {
    /// Which client tried.
    pub client: AttemptClient,
    /// The negotiated protocol, such as `TLSv1.3`, once the server hello came.
    pub version: Option<String>,
    /// The negotiated suite by its standard name, such as `TLS13_AES_256_GCM_SHA384`.
    pub cipher_suite: Option<String>,
    /// The suite by OpenSSL's name, such as `ECDHE-RSA-AES256-SHA` (the compatibility client).
    pub openssl_cipher: Option<String>,
    /// The certificates the server presented, end entity first, PEM.
    pub server_chain_pem: Vec<String>,
    /// Whether this client accepted that chain.
    pub server_chain_accepted: bool,
    /// The server's CertificateRequest; `None` when it asked for no client certificate.
    pub certificate_request: Option<CertificateRequestSeen>,
    /// Whether this client sent its certificate.
    pub client_certificate_sent: bool,
    /// An alert sent or received during the attempt.
    pub alert: Option<AlertSeen>,
    /// Whether any byte came from the server.
    pub server_answered: bool,
    /// `established`, or why the attempt failed.
    pub outcome: String,
    /// How long the attempt took, in milliseconds.
    pub ms: u64,
}

impl TlsAttempt {
    /// A new record for an attempt by `client`.
    pub(super) fn new(client: AttemptClient) -> Self {
        TlsAttempt {
            client,
            version: None,
            cipher_suite: None,
            openssl_cipher: None,
            server_chain_pem: Vec::new(),
            server_chain_accepted: false,
            certificate_request: None,
            client_certificate_sent: false,
            alert: None,
            server_answered: false,
            outcome: String::new(),
            ms: 0,
        }
    }

    /// Whether the handshake was completed.
    pub fn established(&self) -> bool {
        self.outcome == ESTABLISHED
    }
}

/// The outcome of an attempt that completed the handshake.
pub const ESTABLISHED: &str = "established";

/// How the Excrypt exchange ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Ending {
    /// A whole answer frame came; the client stopped reading there.
    Answered,
    /// The client stopped reading: what came is not a frame, or too long.
    ClientStopped,
    /// The server closed TLS cleanly (close_notify).
    CleanClose,
    /// The TCP connection ended without a TLS close.
    Closed,
    /// The connection was reset.
    Reset,
    /// Nothing more came before the client's time-out.
    TimedOut,
    /// The server sent an alert.
    Alert,
}

/// Bytes that arrived together.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Received {
    /// Milliseconds after the request was sent.
    pub at_ms: u64,
    /// The bytes, base64.
    pub bytes: String,
}

impl Received {
    /// The bytes, decoded; `None` when the base64 is not valid.
    pub fn decoded(&self) -> Option<Vec<u8>> {
        Base64::decode_vec(&self.bytes).ok()
    }
}

/// The Excrypt exchange: the request and everything that came back, with times.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExcryptExchange {
    /// The request sent, as text (`[AOECHO;]`).
    pub request: String,
    /// What arrived, in order.
    pub received: Vec<Received>,
    /// How it ended.
    pub ending: Ending,
    /// When it ended, in milliseconds after the request was sent.
    pub ended_at_ms: u64,
    /// An alert received instead of an answer.
    pub alert: Option<AlertSeen>,
}

/// Records an Excrypt exchange as it happens.
pub(super) struct ExchangeRecorder {
    started: Instant,
    exchange: ExcryptExchange,
}

impl ExchangeRecorder {
    /// Starts the clock as `request` is sent.
    pub(super) fn start(request: &[u8]) -> Self {
        ExchangeRecorder {
            started: Instant::now(),
            exchange: ExcryptExchange {
                request: crate::display::escape_bytes(request),
                received: Vec::new(),
                ending: Ending::TimedOut,
                ended_at_ms: 0,
                alert: None,
            },
        }
    }

    /// Milliseconds since the request was sent.
    pub(super) fn now_ms(&self) -> u64 {
        millis(self.started.elapsed())
    }

    /// Notes bytes that arrived now.
    pub(super) fn received(&mut self, bytes: &[u8]) {
        if bytes.is_empty() {
            return;
        }
        let at_ms = self.now_ms();
        self.exchange.received.push(Received {
            at_ms,
            bytes: Base64::encode_string(bytes),
        });
    }

    /// Notes an alert received instead of an answer.
    pub(super) fn alert(&mut self, description: String) {
        let at_ms = self.now_ms();
        self.exchange.alert = Some(AlertSeen {
            direction: AlertDirection::Received,
            description,
            point: AlertPoint::AfterHandshake,
            at_ms,
        });
    }

    /// Ends the record.
    pub(super) fn finish(mut self, ending: Ending) -> ExcryptExchange {
        self.exchange.ending = ending;
        self.exchange.ended_at_ms = self.now_ms();
        self.exchange
    }
}

/// How an exchange ended when reading failed with `error`.
pub(super) fn io_ending(error: &std::io::Error) -> Ending {
    use std::io::ErrorKind;
    match error.kind() {
        ErrorKind::WouldBlock | ErrorKind::TimedOut => Ending::TimedOut,
        ErrorKind::ConnectionReset | ErrorKind::ConnectionAborted => Ending::Reset,
        _ => Ending::Closed,
    }
}

/// A duration in whole milliseconds.
pub(super) fn millis(elapsed: Duration) -> u64 {
    u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX)
}

/// A certificate as PEM.
pub fn certificate_pem(der: &[u8]) -> String {
    pem::encode(&pem::Pem::new("CERTIFICATE", der.to_vec()))
}

/// A chain as PEM, end entity first.
pub(super) fn chain_pem(chain: &[CertificateDer<'_>]) -> Vec<String> {
    chain.iter().map(|cert| certificate_pem(cert)).collect()
}

/// A distinguished name (DER) as text, or its hex when it cannot be read.
pub(super) fn name_text(der: &[u8]) -> String {
    match x509_parser::x509::X509Name::from_der(der) {
        Ok((_, name)) => name.to_string(),
        Err(_) => der.iter().map(|b| format!("{b:02x}")).collect(),
    }
}

/// The CertificateRequest's CA names, as text and as base64 DER.
pub(super) fn request_seen(names: &[&[u8]], schemes: Vec<String>) -> CertificateRequestSeen {
    CertificateRequestSeen {
        ca_names: names.iter().map(|der| name_text(der)).collect(),
        ca_names_der: names.iter().map(|der| Base64::encode_string(der)).collect(),
        signature_schemes: schemes,
    }
}

/// The TCP connection's outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectRecord {
    /// The address connected to, when the connection was made.
    pub address: Option<String>,
    /// `connected`, or why it failed.
    pub outcome: String,
    /// How long it took, in milliseconds.
    pub ms: u64,
}

/// The outcome of a connection that was made.
pub const CONNECTED: &str = "connected";

/// What the network showed in one run, in the order of the stages: the name and its
/// addresses, the TCP connection, the TLS attempts and the Excrypt exchange; with the
/// public certificates this client used.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NetworkRecord {
    /// The configured host, as written.
    pub host: Option<String>,
    /// The configured port.
    pub port: Option<u16>,
    /// The addresses the host resolved to.
    pub resolved: Vec<String>,
    /// Why the name did not resolve, when it did not.
    pub resolve_error: Option<String>,
    /// The TCP connection.
    pub connect: Option<ConnectRecord>,
    /// The TLS handshake attempts, in order.
    pub tls: Vec<TlsAttempt>,
    /// The Excrypt exchange.
    pub excrypt: Option<ExcryptExchange>,
    /// The configured root CA certificates (`PROD-TLS-CA`), PEM.
    pub trusted_roots_pem: Vec<String>,
    /// This client's certificate chain (public), PEM, end entity first.
    pub client_chain_pem: Vec<String>,
}

impl NetworkRecord {
    /// Whether nothing was recorded (the run never reached the network).
    pub fn is_empty(&self) -> bool {
        self.resolved.is_empty() && self.resolve_error.is_none() && self.connect.is_none()
    }
}
