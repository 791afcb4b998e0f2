//! The mutual-TLS session and the ECHO exchange, every read and write bounded
//! by a deadline.

use std::fmt;
use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use rustls::client::ResolvesClientCert;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::server::ParsedCertificate;
use rustls::sign::CertifiedKey;
use rustls::{
    AlertDescription, CertificateError, ClientConfig, ClientConnection, DigitallySignedStruct, ProtocolVersion,
    RootCertStore, SignatureScheme, StreamOwned,
};

use super::error::{ErrorKind, HostApiError, Stage};
use super::exchange::{EchoReply, WAIT_SLICE, answer_timeout, closed_early, finish_echo, frame_failure, timeout_cause};
use super::frame::{self, Scan};
use super::materials::TlsMaterials;
use super::net::bare_host;
use super::observe::{
    AlertDirection, AlertPoint, AlertSeen, AttemptClient, CertificateRequestSeen, ESTABLISHED, Ending,
    ExchangeRecorder, TlsAttempt, chain_pem, io_ending, millis, request_seen,
};

/// The client certificate resolver: hands out the configured identity and
/// records whether the server asked for one at all.
struct RecordingResolver {
    identity: Option<Arc<CertifiedKey>>,
    requested: AtomicBool,
    sent: AtomicBool,
    request: Mutex<Option<CertificateRequestSeen>>,
}

impl RecordingResolver {
    /// What the server's CertificateRequest asked for, when one came.
    fn request(&self) -> Option<CertificateRequestSeen> {
        self.request.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }
}

impl fmt::Debug for RecordingResolver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RecordingResolver")
            .field("has_identity", &self.identity.is_some())
            .field("requested", &self.requested)
            .field("sent", &self.sent)
            .finish()
    }
}

impl ResolvesClientCert for RecordingResolver {
    fn resolve(&self, root_hint_subjects: &[&[u8]], sigschemes: &[SignatureScheme]) -> Option<Arc<CertifiedKey>> {
        self.requested.store(true, Ordering::SeqCst);
        let schemes = sigschemes.iter().map(|scheme| format!("{scheme:?}")).collect();
        *self.request.lock().unwrap_or_else(PoisonError::into_inner) = Some(request_seen(root_hint_subjects, schemes));
        let identity = self
            .identity
            .as_ref()
            .filter(|id| id.key.choose_scheme(sigschemes).is_some())?;
        self.sent.store(true, Ordering::SeqCst);
        Some(Arc::clone(identity))
    }

    fn has_certs(&self) -> bool {
        self.identity.is_some()
    }
}

/// The server certificate verifier: the chain is verified against the configured root CA
/// only (webpki, with the provider's algorithms), as the PKCS#11 library's OpenSSL verifies
/// it; the name is checked apart and a mismatch recorded, not fatal, since fxpkcs11 checks
/// the chain and not the name (the guide's own Host API certificate, CN=KMES [3.1.2], does
/// not name the address the library connects to [4.2]).
///
/// It remembers the chain it accepted: under TLS 1.2 the server judges our client
/// certificate inside the handshake, after we verified its own; when it rejects ours, the
/// handshake fails, and this record keeps the server certificate's verdict for
/// [`HostApiError::verified_server_chain`].
struct RecordingVerifier {
    roots: RootCertStore,
    provider: Arc<CryptoProvider>,
    presented: Mutex<Option<Vec<CertificateDer<'static>>>>,
    accepted: Mutex<Option<Vec<CertificateDer<'static>>>>,
    name_mismatch: Mutex<Option<String>>,
}

impl fmt::Debug for RecordingVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RecordingVerifier")
            .field("roots", &self.roots.len())
            .finish_non_exhaustive()
    }
}

impl RecordingVerifier {
    /// The chain accepted in this handshake, end entity first.
    fn accepted(&self) -> Option<Vec<CertificateDer<'static>>> {
        self.accepted.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// The chain the server presented in this handshake, accepted or not.
    fn presented(&self) -> Option<Vec<CertificateDer<'static>>> {
        self.presented.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// Why the accepted certificate does not name the host, when it does not.
    fn name_mismatch(&self) -> Option<String> {
        self.name_mismatch
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

impl ServerCertVerifier for RecordingVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let presented = std::iter::once(end_entity)
            .chain(intermediates)
            .map(|cert| cert.clone().into_owned())
            .collect();
        *self.presented.lock().unwrap_or_else(PoisonError::into_inner) = Some(presented);
        let parsed = ParsedCertificate::try_from(end_entity)?;
        rustls::client::verify_server_cert_signed_by_trust_anchor(
            &parsed,
            &self.roots,
            intermediates,
            now,
            self.provider.signature_verification_algorithms.all,
        )?;
        if let Err(error) = rustls::client::verify_server_name(&parsed, server_name) {
            *self.name_mismatch.lock().unwrap_or_else(PoisonError::into_inner) = Some(error.to_string());
        }
        let chain = std::iter::once(end_entity)
            .chain(intermediates)
            .map(|cert| cert.clone().into_owned())
            .collect();
        *self.accepted.lock().unwrap_or_else(PoisonError::into_inner) = Some(chain);
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider.signature_verification_algorithms.supported_schemes()
    }
}

/// Which client completed the handshake.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsClient {
    /// rustls: TLS 1.3, and TLS 1.2 with ECDHE and AEAD suites.
    Modern,
    /// OpenSSL set up the way fxpkcs11's OpenSSL 1.0/1.1 connects: TLS 1.0 to 1.3, CBC
    /// suites and RSA key exchange, SHA-1 signatures (see [`super::legacy`]).
    Compatibility,
}

impl TlsClient {
    /// How reports name the client.
    pub fn label(self) -> &'static str {
        match self {
            TlsClient::Modern => "the modern client (rustls)",
            TlsClient::Compatibility => "the OpenSSL 1.x-compatible client (as fxpkcs11 connects)",
        }
    }
}

/// The connection under a session.
enum Transport {
    Modern {
        resolver: Arc<RecordingResolver>,
        stream: Box<Stream>,
    },
    Compatibility(Box<super::legacy::LegacySession>),
}

/// An established TLS session with the KMES.
pub struct TlsSession {
    /// The negotiated protocol, such as `"TLSv1.3"`.
    pub protocol: String,
    /// The negotiated cipher suite, such as `"TLS13_AES_256_GCM_SHA384"`.
    pub cipher: String,
    /// The certificate chain the server presented, end entity first.
    pub peer_chain: Vec<CertificateDer<'static>>,
    /// Whether our client certificate was sent (the server asked and one is configured).
    pub client_cert_sent: bool,
    /// Whether the server asked for a client certificate at all.
    pub client_cert_requested: bool,
    /// Why the server certificate does not name the configured host, when it does not:
    /// the chain verified against the root CA, which is all fxpkcs11 checks, so the
    /// connection works, but clients that check names would refuse it.
    pub name_mismatch: Option<String>,
    /// Which client completed the handshake.
    pub client: TlsClient,
    /// Why the modern client could not complete it, when the compatibility client did.
    pub modern_refusal: Option<String>,
    /// What makes this connection weaker than it should be (an old protocol, a CBC suite,
    /// RSA key exchange, a SHA-1 signature, a short RSA key), each named; empty for the
    /// connections the modern client makes.
    pub weaknesses: Vec<String>,
    /// The handshake attempts that led to this session, as the wire showed them (for a
    /// capture): the modern client's, and the compatibility client's when it was needed.
    pub attempts: Vec<TlsAttempt>,
    transport: Transport,
}

impl fmt::Debug for TlsSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsSession")
            .field("protocol", &self.protocol)
            .field("cipher", &self.cipher)
            .field("peer_chain", &self.peer_chain.len())
            .field("client_cert_sent", &self.client_cert_sent)
            .field("client_cert_requested", &self.client_cert_requested)
            .field("name_mismatch", &self.name_mismatch)
            .field("client", &self.client)
            .field("modern_refusal", &self.modern_refusal)
            .field("weaknesses", &self.weaknesses)
            .field("attempts", &self.attempts.len())
            .finish_non_exhaustive()
    }
}

impl TlsSession {
    /// Sends a TLS close_notify and shuts the connection down, best effort.
    pub fn close(self) {
        match self.transport {
            Transport::Modern { mut stream, .. } => {
                stream.conn.send_close_notify();
                let deadline = Instant::now() + Duration::from_millis(200);
                // The peer may already be gone; closing is best effort.
                let _ = flush_tls(&mut stream, deadline);
                let _ = stream.sock.shutdown(std::net::Shutdown::Both);
            }
            Transport::Compatibility(session) => super::legacy::close(*session),
        }
    }

    /// A session the compatibility client completed after the modern one could not
    /// (`modern_refusal`).
    pub(super) fn compatibility(
        session: super::legacy::LegacySession,
        server_name: &str,
        modern_refusal: String,
        identity: bool,
        attempts: Vec<TlsAttempt>,
    ) -> TlsSession {
        let name_mismatch = session.peer_chain.first().and_then(|leaf| {
            let parsed = ParsedCertificate::try_from(leaf).ok()?;
            let name = self::server_name(server_name).ok()?;
            rustls::client::verify_server_name(&parsed, &name)
                .err()
                .map(|error| error.to_string())
        });
        TlsSession {
            protocol: session.protocol.clone(),
            cipher: session.cipher.clone(),
            peer_chain: session.peer_chain.clone(),
            client_cert_sent: session.client_cert_requested && identity,
            client_cert_requested: session.client_cert_requested,
            name_mismatch,
            client: TlsClient::Compatibility,
            modern_refusal: Some(modern_refusal),
            weaknesses: session.weaknesses.clone(),
            attempts,
            transport: Transport::Compatibility(Box::new(session)),
        }
    }
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// The verifier trusting `materials.roots` only.
fn server_verifier(
    materials: &TlsMaterials,
    provider: &Arc<CryptoProvider>,
) -> Result<RecordingVerifier, HostApiError> {
    let mut roots = RootCertStore::empty();
    for (index, root) in materials.roots.iter().enumerate() {
        roots.add(root.clone()).map_err(|e| {
            HostApiError::new(Stage::ServerCert, ErrorKind::BadTrustAnchor)
                .with_detail(format!("root certificate #{}", index + 1))
                .with_source(e)
        })?;
    }
    if roots.is_empty() {
        return Err(HostApiError::new(Stage::ServerCert, ErrorKind::BadTrustAnchor)
            .with_detail("no root certificate is configured"));
    }
    Ok(RecordingVerifier {
        roots,
        provider: Arc::clone(provider),
        presented: Mutex::new(None),
        accepted: Mutex::new(None),
        name_mismatch: Mutex::new(None),
    })
}

fn client_config(
    provider: Arc<CryptoProvider>,
    verifier: Arc<RecordingVerifier>,
    resolver: Arc<RecordingResolver>,
) -> Result<ClientConfig, HostApiError> {
    let builder = ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(|e| HostApiError::new(Stage::Handshake, ErrorKind::TlsFailure).with_source(e))?;
    Ok(builder
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_client_cert_resolver(resolver))
}

fn load_identity(
    materials: &TlsMaterials,
    provider: &CryptoProvider,
) -> Result<Option<Arc<CertifiedKey>>, HostApiError> {
    let Some((chain, key)) = &materials.client else {
        return Ok(None);
    };
    let invalid = || HostApiError::new(Stage::ClientAuth, ErrorKind::InvalidClientIdentity);
    if chain.is_empty() {
        return Err(invalid().with_detail("the client certificate chain is empty"));
    }
    CertifiedKey::from_der(chain.clone(), key.clone_key(), provider)
        .map(|identity| Some(Arc::new(identity)))
        .map_err(|e| invalid().with_source(e))
}

fn server_name(host: &str) -> Result<ServerName<'static>, HostApiError> {
    let host = bare_host(host);
    ServerName::try_from(host.to_owned()).map_err(|e| {
        HostApiError::new(Stage::Handshake, ErrorKind::InvalidServerName)
            .with_detail(host)
            .with_source(e)
    })
}

fn remaining(deadline: Instant) -> io::Result<Duration> {
    let left = deadline.saturating_duration_since(Instant::now());
    if left.is_zero() {
        Err(io::Error::from(io::ErrorKind::TimedOut))
    } else {
        Ok(left)
    }
}

fn is_timeout(error: &io::Error) -> bool {
    matches!(error.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut)
}

fn is_closed(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::BrokenPipe
            | io::ErrorKind::UnexpectedEof
    )
}

type Stream = StreamOwned<ClientConnection, TcpStream>;

fn slice(deadline: Instant) -> io::Result<Duration> {
    remaining(deadline).map(|left| left.min(WAIT_SLICE))
}

fn flush_tls(stream: &mut Stream, deadline: Instant) -> io::Result<()> {
    while stream.conn.wants_write() {
        stream.sock.set_write_timeout(Some(slice(deadline)?))?;
        match stream.conn.write_tls(&mut stream.sock) {
            Ok(_) => {}
            Err(e) if is_timeout(&e) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Reads TLS records from the socket once, waiting until `deadline` at most;
/// `Ok(false)` at end of stream.
fn fill_tls(stream: &mut Stream, deadline: Instant) -> io::Result<bool> {
    loop {
        stream.sock.set_read_timeout(Some(slice(deadline)?))?;
        match stream.conn.read_tls(&mut stream.sock) {
            Ok(read) => return Ok(read > 0),
            Err(e) if is_timeout(&e) => {}
            Err(e) => return Err(e),
        }
    }
}

/// After a failed write, the peer has often closed the connection right after
/// sending an alert: read what is left, so the alert rather than "broken pipe"
/// is reported.
fn pending_alert(stream: &mut Stream) -> Option<rustls::Error> {
    let deadline = Instant::now() + Duration::from_millis(250);
    loop {
        match fill_tls(stream, deadline) {
            Ok(true) => {}
            Ok(false) | Err(_) => return stream.conn.process_new_packets().err(),
        }
        if let Err(e) = stream.conn.process_new_packets() {
            return Some(e);
        }
    }
}

/// What was known about the handshake when a TLS error occurred.
#[derive(Debug, Clone, Copy)]
struct TlsContext {
    requested: bool,
    sent: bool,
    server_hello_seen: bool,
    established: bool,
}

impl TlsContext {
    fn of(stream: &Stream, resolver: &RecordingResolver, established: bool) -> Self {
        TlsContext {
            requested: resolver.requested.load(Ordering::SeqCst),
            sent: resolver.sent.load(Ordering::SeqCst),
            server_hello_seen: stream.conn.protocol_version().is_some(),
            established,
        }
    }

    fn stage(self) -> Stage {
        if self.established {
            Stage::Echo
        } else {
            Stage::Handshake
        }
    }
}

/// The IANA-style name of an alert, such as `certificate_required`.
pub fn alert_name(alert: AlertDescription) -> String {
    let debug = format!("{alert:?}");
    let chars: Vec<char> = debug.chars().collect();
    let mut name = String::with_capacity(debug.len() + 4);
    for (i, &c) in chars.iter().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            let after_lower = chars[i - 1].is_ascii_lowercase();
            let ends_acronym =
                chars[i - 1].is_ascii_uppercase() && chars.get(i + 1).is_some_and(char::is_ascii_lowercase);
            if after_lower || ends_acronym {
                name.push('_');
            }
        }
        name.push(c.to_ascii_lowercase());
    }
    name
}

fn classify_alert(alert: AlertDescription, context: TlsContext) -> (Stage, ErrorKind) {
    use AlertDescription as A;
    if context.requested && !context.sent {
        if matches!(
            alert,
            A::CertificateRequired | A::HandshakeFailure | A::BadCertificate | A::CertificateUnknown | A::AccessDenied
        ) {
            return (Stage::ClientAuth, ErrorKind::ClientCertRequired);
        }
    } else if context.sent
        && matches!(
            alert,
            A::BadCertificate
                | A::UnknownCA
                | A::CertificateUnknown
                | A::DecryptError
                | A::AccessDenied
                | A::CertificateExpired
                | A::CertificateRevoked
                | A::UnsupportedCertificate
                | A::HandshakeFailure
        )
    {
        return (Stage::ClientAuth, ErrorKind::ClientCertRejected);
    }
    if !context.server_hello_seen
        && matches!(
            alert,
            A::ProtocolVersion | A::HandshakeFailure | A::InsufficientSecurity
        )
    {
        return (Stage::Handshake, ErrorKind::NoCommonProtocol);
    }
    (context.stage(), ErrorKind::TlsAlert(alert_name(alert)))
}

fn classify_certificate(error: &CertificateError) -> ErrorKind {
    match error {
        CertificateError::UnknownIssuer => ErrorKind::UnknownIssuer,
        CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => ErrorKind::NameMismatch,
        CertificateError::Expired | CertificateError::ExpiredContext { .. } => ErrorKind::ServerCertExpired,
        CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => ErrorKind::ServerCertNotYetValid,
        _ => ErrorKind::BadServerCert,
    }
}

fn classify_tls(error: rustls::Error, context: TlsContext) -> HostApiError {
    let (stage, kind) = match &error {
        rustls::Error::InvalidCertificate(cert_error) => (Stage::ServerCert, classify_certificate(cert_error)),
        rustls::Error::AlertReceived(alert) => classify_alert(*alert, context),
        rustls::Error::PeerIncompatible(_) => (Stage::Handshake, ErrorKind::NoCommonProtocol),
        rustls::Error::NoCertificatesPresented => (Stage::ServerCert, ErrorKind::BadServerCert),
        rustls::Error::InvalidMessage(_) if !context.server_hello_seen => {
            return HostApiError::new(Stage::Handshake, ErrorKind::TlsFailure)
                .with_detail("the peer does not answer in TLS: is this the Host API port?")
                .with_source(error);
        }
        _ => (context.stage(), ErrorKind::TlsFailure),
    };
    HostApiError::new(stage, kind).with_source(error)
}

fn classify_io(error: io::Error, stage: Stage, timeout_kind: ErrorKind, waited: Duration) -> HostApiError {
    if is_timeout(&error) {
        return HostApiError::new(stage, timeout_kind).with_source(timeout_cause(waited));
    }
    let kind = if is_closed(&error) {
        ErrorKind::PeerClosed
    } else {
        ErrorKind::NetworkError
    };
    HostApiError::new(stage, kind).with_source(error)
}

/// Sends whatever rustls queued (usually the alert that ends the connection),
/// without waiting long for a peer that may be gone.
fn send_final_alert(stream: &mut Stream) {
    let deadline = Instant::now() + Duration::from_millis(100);
    // Best effort: the connection is being abandoned because of an error already reported.
    let _ = flush_tls(stream, deadline);
}

fn protocol_label(version: Option<ProtocolVersion>) -> String {
    match version {
        Some(ProtocolVersion::TLSv1_3) => "TLSv1.3".into(),
        Some(ProtocolVersion::TLSv1_2) => "TLSv1.2".into(),
        Some(other) => format!("{other:?}"),
        None => "unknown".into(),
    }
}

/// Runs the TLS handshake over `tcp` within `timeout`.
///
/// The server certificate chain is verified against `materials.roots` only; whether it
/// names `server_name` (an IP literal is checked against the certificate's IP address
/// names) is recorded in [`TlsSession::name_mismatch`], not enforced. TLS 1.3 and 1.2 are offered, with the ring provider's cipher suites.
/// A client certificate is sent when the server asks and `materials.client` is
/// set. Under TLS 1.3 the server's verdict on the client certificate only
/// arrives with the first read, so [`echo`] may still fail at
/// [`Stage::ClientAuth`]. A handshake that fails after the server certificate was
/// verified (a TLS 1.2 server rejecting ours) says so with
/// [`HostApiError::verified_server_chain`].
pub fn handshake(
    tcp: TcpStream,
    server_name: &str,
    materials: &TlsMaterials,
    timeout: Duration,
) -> Result<TlsSession, HostApiError> {
    let started = Instant::now();
    let deadline = started + timeout;
    let provider = provider();
    let name = self::server_name(server_name)?;
    let resolver = Arc::new(RecordingResolver {
        identity: load_identity(materials, &provider)?,
        requested: AtomicBool::new(false),
        sent: AtomicBool::new(false),
        request: Mutex::new(None),
    });
    let verifier = Arc::new(server_verifier(materials, &provider)?);
    let config = client_config(provider, Arc::clone(&verifier), Arc::clone(&resolver))?;
    let conn = ClientConnection::new(Arc::new(config), name)
        .map_err(|e| HostApiError::new(Stage::Handshake, ErrorKind::TlsFailure).with_source(e))?;
    let mut stream = StreamOwned::new(conn, tcp);

    let mut answered = false;
    let result = complete_handshake(&mut stream, &resolver, deadline, timeout, &mut answered);
    let wire = Wire {
        stream: &stream,
        resolver: &resolver,
        verifier: &verifier,
        started,
        answered,
    };
    let attempt = wire.attempt(result.as_ref().err());
    if let Err(error) = result {
        let error = match verifier.accepted() {
            Some(chain) if error.stage() != Stage::ServerCert => error.with_verified_server_chain(chain),
            _ => error,
        };
        return Err(error.with_tls_attempt(attempt));
    }

    Ok(TlsSession {
        protocol: protocol_label(stream.conn.protocol_version()),
        cipher: stream
            .conn
            .negotiated_cipher_suite()
            .map(suite_name)
            .unwrap_or_else(|| "unknown".into()),
        peer_chain: stream.conn.peer_certificates().map(<[_]>::to_vec).unwrap_or_default(),
        client_cert_sent: resolver.sent.load(Ordering::SeqCst),
        client_cert_requested: resolver.requested.load(Ordering::SeqCst),
        name_mismatch: verifier.name_mismatch(),
        client: TlsClient::Modern,
        modern_refusal: None,
        weaknesses: Vec::new(),
        attempts: vec![attempt],
        transport: Transport::Modern {
            resolver,
            stream: Box::new(stream),
        },
    })
}

/// A cipher suite by its standard name.
fn suite_name(suite: rustls::SupportedCipherSuite) -> String {
    suite
        .suite()
        .as_str()
        .map_or_else(|| format!("{:?}", suite.suite()), str::to_owned)
}

/// What one handshake of the modern client showed, read once it ended.
struct Wire<'a> {
    stream: &'a Stream,
    resolver: &'a RecordingResolver,
    verifier: &'a RecordingVerifier,
    started: Instant,
    answered: bool,
}

impl Wire<'_> {
    /// The attempt's record; `error` is how it failed, if it did.
    fn attempt(&self, error: Option<&HostApiError>) -> TlsAttempt {
        let mut attempt = TlsAttempt::new(AttemptClient::Modern);
        let version = self.stream.conn.protocol_version();
        attempt.version = version.map(|v| protocol_label(Some(v)));
        attempt.cipher_suite = self.stream.conn.negotiated_cipher_suite().map(suite_name);
        attempt.server_chain_pem = self.verifier.presented().map(|c| chain_pem(&c)).unwrap_or_default();
        attempt.server_chain_accepted = self.verifier.accepted().is_some();
        attempt.certificate_request = self.resolver.request();
        attempt.client_certificate_sent = self.resolver.sent.load(Ordering::SeqCst);
        attempt.server_answered = self.answered;
        attempt.ms = millis(self.started.elapsed());
        attempt.alert = error.and_then(|error| alert_seen(error, version.is_some(), attempt.ms));
        attempt.outcome = error.map_or_else(|| ESTABLISHED.to_owned(), ToString::to_string);
        attempt
    }
}

/// The alert behind a failure of the modern client: the one it received, or the one it
/// sent for a certificate or message it refused.
fn alert_seen(error: &HostApiError, server_hello_seen: bool, at_ms: u64) -> Option<AlertSeen> {
    let point = if server_hello_seen {
        AlertPoint::Handshake
    } else {
        AlertPoint::BeforeServerHello
    };
    let (direction, alert) = match error.rustls_cause()? {
        rustls::Error::AlertReceived(alert) => (AlertDirection::Received, *alert),
        rustls::Error::InvalidCertificate(cert) => (AlertDirection::Sent, AlertDescription::from(cert.clone())),
        rustls::Error::InvalidMessage(message) => (AlertDirection::Sent, AlertDescription::from(*message)),
        rustls::Error::PeerIncompatible(_) => (AlertDirection::Sent, AlertDescription::HandshakeFailure),
        _ => return None,
    };
    Some(AlertSeen {
        direction,
        description: alert_name(alert),
        point,
        at_ms,
    })
}

/// Exchanges handshake records until the handshake is done and our last flight is sent;
/// `answered` tells whether any byte came from the server.
fn complete_handshake(
    stream: &mut Stream,
    resolver: &RecordingResolver,
    deadline: Instant,
    timeout: Duration,
    answered: &mut bool,
) -> Result<(), HostApiError> {
    while stream.conn.is_handshaking() {
        if let Err(e) = flush_tls(stream, deadline) {
            if let Some(alert) = pending_alert(stream) {
                return Err(classify_tls(alert, TlsContext::of(stream, resolver, false)));
            }
            return Err(classify_io(e, Stage::Handshake, ErrorKind::HandshakeTimeout, timeout));
        }
        if !stream.conn.is_handshaking() {
            break;
        }
        match fill_tls(stream, deadline) {
            Ok(true) => *answered = true,
            Ok(false) => {
                let error = HostApiError::new(Stage::Handshake, ErrorKind::PeerClosed);
                return Err(match stream.conn.protocol_version() {
                    None => error.with_detail("before the server hello: is this a TLS port?"),
                    Some(_) => error,
                });
            }
            Err(e) => {
                return Err(classify_io(e, Stage::Handshake, ErrorKind::HandshakeTimeout, timeout));
            }
        }
        if let Err(e) = stream.conn.process_new_packets() {
            let context = TlsContext::of(stream, resolver, false);
            send_final_alert(stream);
            return Err(classify_tls(e, context));
        }
    }
    if let Err(e) = flush_tls(stream, deadline) {
        if let Some(alert) = pending_alert(stream) {
            return Err(classify_tls(alert, TlsContext::of(stream, resolver, true)));
        }
        return Err(classify_io(e, Stage::Handshake, ErrorKind::HandshakeTimeout, timeout));
    }
    Ok(())
}

/// Sends `[AOECHO;]` and reads one answer frame within `timeout`.
///
/// Fails at [`Stage::ClientAuth`] when the server's rejection of the client
/// certificate arrives now (TLS 1.3), and at [`Stage::Echo`] when the answer is
/// missing ([`ErrorKind::ReadTimeout`], [`ErrorKind::PeerClosed`]), not a frame
/// ([`ErrorKind::NotAFrame`]), too large ([`ErrorKind::FrameTooLarge`]),
/// unfinished ([`ErrorKind::NoFrameEnd`]) or a refusal ([`ErrorKind::CommandRefused`] for
/// `ERRO`, [`ErrorKind::PermissionDenied`] for the status `AN` = `P`,
/// [`ErrorKind::GeneralFailure`] for `AN` = `N`); see [`super::answer`]. Every failure after
/// bytes arrived carries them as [`HostApiError::raw`].
pub fn echo(session: &mut TlsSession, timeout: Duration) -> Result<EchoReply, HostApiError> {
    let identity = session.client_cert_sent;
    match &mut session.transport {
        Transport::Modern { resolver, stream } => echo_modern(stream, resolver, timeout),
        Transport::Compatibility(legacy) => super::legacy::echo(legacy, identity, timeout),
    }
}

fn echo_modern(
    stream: &mut Stream,
    resolver: &RecordingResolver,
    timeout: Duration,
) -> Result<EchoReply, HostApiError> {
    let deadline = Instant::now() + timeout;
    let request = frame::encode(frame::COMMAND_ECHO, &[]);
    if let Err(e) = stream.conn.writer().write_all(&request) {
        return Err(HostApiError::new(Stage::Echo, ErrorKind::PeerClosed).with_source(e));
    }
    let mut recorder = ExchangeRecorder::start(&request);
    let (result, ending) = read_answer(stream, resolver, timeout, deadline, &mut recorder);
    super::exchange::with_exchange(result, recorder.finish(ending))
}

/// A TLS failure during the exchange: an alert the server sent is noted.
fn exchange_failure(
    stream: &mut Stream,
    resolver: &RecordingResolver,
    error: rustls::Error,
    recorder: &mut ExchangeRecorder,
) -> (Result<EchoReply, HostApiError>, Ending) {
    let ending = if let rustls::Error::AlertReceived(alert) = &error {
        recorder.alert(alert_name(*alert));
        Ending::Alert
    } else {
        Ending::ClientStopped
    };
    let context = TlsContext::of(stream, resolver, true);
    send_final_alert(stream);
    (Err(classify_tls(error, context)), ending)
}

/// Reads the answer to the request just written, noting what arrives in `recorder`.
fn read_answer(
    stream: &mut Stream,
    resolver: &RecordingResolver,
    timeout: Duration,
    deadline: Instant,
    recorder: &mut ExchangeRecorder,
) -> (Result<EchoReply, HostApiError>, Ending) {
    if let Err(e) = flush_tls(stream, deadline) {
        if let Some(alert) = pending_alert(stream) {
            return exchange_failure(stream, resolver, alert, recorder);
        }
        let ending = io_ending(&e);
        return (
            Err(classify_io(e, Stage::Echo, ErrorKind::ReadTimeout, timeout)),
            ending,
        );
    }

    let mut answer = Vec::new();
    let mut chunk = [0u8; 4096];
    let mut tcp_closed = false;
    loop {
        let mut tls_closed = None;
        loop {
            match stream.conn.reader().read(&mut chunk) {
                Ok(0) => {
                    tls_closed = Some(Ending::CleanClose);
                    break;
                }
                Ok(read) => {
                    recorder.received(&chunk[..read]);
                    answer.extend_from_slice(&chunk[..read]);
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(_) => {
                    tls_closed = Some(Ending::Closed);
                    break;
                }
            }
            match frame::scan(&answer) {
                Ok(Scan::Complete(len)) => return (finish_echo(&answer[..len]), Ending::Answered),
                Ok(Scan::NeedMore) => {}
                Err(e) => return (Err(frame_failure(e, &answer)), Ending::ClientStopped),
            }
        }
        if let Some(ending) = tls_closed {
            return (Err(closed_early(&answer)), ending);
        }
        if tcp_closed {
            return (Err(closed_early(&answer)), Ending::Closed);
        }
        match fill_tls(stream, deadline) {
            Ok(true) => {}
            Ok(false) => tcp_closed = true,
            Err(e) if is_timeout(&e) => return (Err(answer_timeout(&answer, timeout)), Ending::TimedOut),
            Err(e) => {
                let ending = io_ending(&e);
                return (
                    Err(classify_io(e, Stage::Echo, ErrorKind::ReadTimeout, timeout)),
                    ending,
                );
            }
        }
        if let Err(e) = stream.conn.process_new_packets() {
            return exchange_failure(stream, resolver, e, recorder);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alert_names_follow_the_rfc_spelling() {
        assert_eq!(
            alert_name(AlertDescription::CertificateRequired),
            "certificate_required"
        );
        assert_eq!(alert_name(AlertDescription::UnknownCA), "unknown_ca");
        assert_eq!(alert_name(AlertDescription::UnknownPSKIdentity), "unknown_psk_identity");
        assert_eq!(alert_name(AlertDescription::HandshakeFailure), "handshake_failure");
    }

    #[test]
    fn alerts_are_classified_by_what_was_sent() {
        let requested_none = TlsContext {
            requested: true,
            sent: false,
            server_hello_seen: true,
            established: true,
        };
        let sent = TlsContext {
            sent: true,
            ..requested_none
        };
        let hello = TlsContext {
            requested: false,
            sent: false,
            server_hello_seen: false,
            established: false,
        };
        assert_eq!(
            classify_alert(AlertDescription::CertificateRequired, requested_none),
            (Stage::ClientAuth, ErrorKind::ClientCertRequired)
        );
        assert_eq!(
            classify_alert(AlertDescription::UnknownCA, sent),
            (Stage::ClientAuth, ErrorKind::ClientCertRejected)
        );
        assert_eq!(
            classify_alert(AlertDescription::ProtocolVersion, hello),
            (Stage::Handshake, ErrorKind::NoCommonProtocol)
        );
        assert_eq!(
            classify_alert(AlertDescription::InternalError, sent),
            (Stage::Echo, ErrorKind::TlsAlert("internal_error".into()))
        );
    }
}
