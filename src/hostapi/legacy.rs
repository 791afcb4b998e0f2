//! The compatibility client: OpenSSL set up the way fxpkcs11's OpenSSL 1.0/1.1 connects,
//! for the KMESes the modern client (rustls) cannot talk to.
//!
//! fxpkcs11's Linux builds link OpenSSL 1.0.x or 1.1.x [2.2]. With their defaults they
//! negotiate TLS 1.0 to 1.2 with AES-CBC suites, RSA key exchange and SHA-1 signatures,
//! all of which rustls refuses by design, and they verify the server's chain against
//! `PROD-TLS-CA` without matching its name. OpenSSL 3 (the statically linked build here)
//! refuses TLS 1.0/1.1 and SHA-1 at its default security level 1, where 1.1 accepted them,
//! so this client runs at security level 0 with TLS 1.0 as its lowest version, and then
//! applies the limits that OpenSSL 1.x kept at its level 1 ([`level_one_refusal`]).
//!
//! The private key stays in memory: it is handed to OpenSSL as DER, never written out.

use std::io::{self, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use foreign_types::ForeignTypeRef;
use openssl::error::ErrorStack;
use openssl::nid::Nid;
use openssl::pkey::{Id, PKey};
use openssl::ssl::{
    ErrorCode, HandshakeError, MidHandshakeSslStream, Ssl, SslContext, SslMethod, SslRef, SslStream, SslVerifyMode,
    SslVersion,
};
use openssl::stack::{Stack, StackRef, Stackable};
use openssl::x509::store::X509StoreBuilder;
use openssl::x509::{X509, X509Name, X509PurposeId, X509StoreContext, X509VerifyResult};
use rustls::pki_types::CertificateDer;

use super::error::{ErrorKind, HostApiError, Stage};
use super::exchange::{self, EchoReply};
use super::frame::{self, Scan};
use super::materials::TlsMaterials;
use super::net::bare_host;
use super::observe::{
    AlertDirection, AlertPoint, AlertSeen, AttemptClient, ESTABLISHED, Ending, ExchangeRecorder, TlsAttempt,
    certificate_pem, io_ending, millis, request_seen,
};

/// The cipher list: OpenSSL's default suites at security level 0, where OpenSSL 3 allows
/// what OpenSSL 1.x allowed at its default level 1 (TLS 1.0/1.1, SHA-1 signatures).
const CIPHERS: &str = "DEFAULT:@SECLEVEL=0";

/// The smallest RSA key OpenSSL 1.x accepts at its default security level 1 (80 bits of
/// security).
const LEVEL_ONE_MIN_RSA_BITS: u32 = 1024;

/// An established session of the compatibility client.
pub(super) struct LegacySession {
    pub(super) stream: SslStream<TcpStream>,
    pub(super) protocol: String,
    pub(super) cipher: String,
    pub(super) peer_chain: Vec<CertificateDer<'static>>,
    pub(super) client_cert_requested: bool,
    pub(super) weaknesses: Vec<String>,
    pub(super) attempt: TlsAttempt,
}

fn failure(stage: Stage, kind: ErrorKind) -> HostApiError {
    HostApiError::new(stage, kind)
}

/// The OpenSSL context: the configured roots as the only trust anchors, peer
/// verification without a name check, the client identity if any, and 1.x's protocol
/// range and suites.
fn context(materials: &TlsMaterials) -> Result<SslContext, HostApiError> {
    let setup = |error: ErrorStack| {
        failure(Stage::Handshake, ErrorKind::TlsFailure)
            .with_detail("setting up the OpenSSL-compatible client")
            .with_source(error)
    };
    let mut builder = SslContext::builder(SslMethod::tls_client()).map_err(setup)?;
    builder.set_min_proto_version(Some(SslVersion::TLS1)).map_err(setup)?;
    builder.set_cipher_list(CIPHERS).map_err(setup)?;
    builder.set_security_level(0);
    builder.set_verify(SslVerifyMode::PEER);
    let mut store = X509StoreBuilder::new().map_err(setup)?;
    for (index, root) in materials.roots.iter().enumerate() {
        let cert = X509::from_der(root).map_err(|e| {
            failure(Stage::ServerCert, ErrorKind::BadTrustAnchor)
                .with_detail(format!("root certificate #{}", index + 1))
                .with_source(e)
        })?;
        store.add_cert(cert).map_err(setup)?;
    }
    builder.set_cert_store(store.build());
    if let Some((chain, key)) = &materials.client {
        let invalid = || failure(Stage::ClientAuth, ErrorKind::InvalidClientIdentity);
        let Some((leaf, intermediates)) = chain.split_first() else {
            return Err(invalid().with_detail("the client certificate chain is empty"));
        };
        let leaf = X509::from_der(leaf).map_err(|e| invalid().with_source(e))?;
        let key = PKey::private_key_from_der(key.secret_der()).map_err(|e| invalid().with_source(e))?;
        builder.set_certificate(&leaf).map_err(|e| invalid().with_source(e))?;
        builder.set_private_key(&key).map_err(|e| invalid().with_source(e))?;
        builder.check_private_key().map_err(|e| {
            invalid()
                .with_detail("the private key does not match the certificate")
                .with_source(e)
        })?;
        for cert in intermediates {
            let cert = X509::from_der(cert).map_err(|e| invalid().with_source(e))?;
            builder
                .add_extra_chain_cert(cert)
                .map_err(|e| invalid().with_source(e))?;
        }
    }
    Ok(builder.build())
}

/// The CA names of the server's CertificateRequest, DER, when one came: OpenSSL keeps the
/// names it carried (an empty list when it named none) and has no list when no request came.
#[allow(unsafe_code)]
fn requested_ca_names(ssl: &SslRef) -> Option<Vec<Vec<u8>>> {
    unsafe extern "C" {
        fn SSL_get_client_CA_list(ssl: *const std::ffi::c_void) -> *mut std::ffi::c_void;
    }
    let pointer = ssl.as_ptr().cast::<std::ffi::c_void>().cast_const();
    // SAFETY: `pointer` is a live SSL object borrowed for this call; the function only reads
    // it and returns a pointer to a stack it owns, or null.
    let list = unsafe { SSL_get_client_CA_list(pointer) };
    if list.is_null() {
        return None;
    }
    // SAFETY: a non-null result is the SSL object's STACK_OF(X509_NAME), which lives as long
    // as `ssl`; it is only read here, within that borrow.
    let names = unsafe { StackRef::<X509Name>::from_ptr(list.cast::<<X509Name as Stackable>::StackType>()) };
    Some(names.iter().filter_map(|name| name.to_der().ok()).collect())
}

/// The alert an OpenSSL reason text says the server sent, such as `unknown_ca` from
/// `tlsv1 alert unknown ca`.
fn received_alert(said: &str) -> Option<String> {
    let (_, after) = said.split_once(" alert ")?;
    let name = after.split(';').next().unwrap_or(after).trim();
    (!name.is_empty()).then(|| name.replace(' ', "_"))
}

/// The alert OpenSSL sends when it refuses the server's chain.
fn refusal_alert(verify: X509VerifyResult) -> &'static str {
    match verify_kind(verify) {
        ErrorKind::UnknownIssuer => "unknown_ca",
        ErrorKind::ServerCertExpired => "certificate_expired",
        _ => "bad_certificate",
    }
}

/// The record of one attempt, read from `ssl` once it ended; `said` is OpenSSL's reasons,
/// `error` how it failed.
fn attempt_of(ssl: &SslRef, identity: bool, started: Instant, said: &str, error: Option<&HostApiError>) -> TlsAttempt {
    let mut attempt = TlsAttempt::new(AttemptClient::Compatibility);
    let cipher = ssl.current_cipher();
    if let Some(cipher) = cipher {
        attempt.cipher_suite = Some(cipher.standard_name().unwrap_or(cipher.name()).to_owned());
        attempt.openssl_cipher = Some(cipher.name().to_owned());
        attempt.version = Some(ssl.version_str().to_owned());
    }
    attempt.server_chain_pem = ssl
        .peer_cert_chain()
        .map(|stack| {
            stack
                .iter()
                .filter_map(|cert| cert.to_der().ok())
                .map(|der| certificate_pem(&der))
                .collect()
        })
        .unwrap_or_default();
    let verify = ssl.verify_result();
    attempt.server_chain_accepted = !attempt.server_chain_pem.is_empty()
        && verify == X509VerifyResult::OK
        && error.is_none_or(|error| error.stage() != Stage::ServerCert);
    attempt.certificate_request = requested_ca_names(ssl).map(|names| {
        let borrowed: Vec<&[u8]> = names.iter().map(Vec::as_slice).collect();
        request_seen(&borrowed, Vec::new())
    });
    attempt.client_certificate_sent = attempt.certificate_request.is_some() && identity;
    attempt.ms = millis(started.elapsed());
    let point = if cipher.is_some() {
        AlertPoint::Handshake
    } else {
        AlertPoint::BeforeServerHello
    };
    attempt.alert = if let Some(description) = received_alert(said) {
        Some((AlertDirection::Received, description))
    } else if !attempt.server_chain_pem.is_empty() && verify != X509VerifyResult::OK {
        Some((AlertDirection::Sent, refusal_alert(verify).to_owned()))
    } else {
        None
    }
    .map(|(direction, description)| AlertSeen {
        direction,
        description,
        point,
        at_ms: attempt.ms,
    });
    attempt.server_answered =
        cipher.is_some() || attempt.alert.is_some() || !attempt.server_chain_pem.is_empty() || !said.is_empty();
    attempt.outcome = error.map_or_else(|| ESTABLISHED.to_owned(), ToString::to_string);
    attempt
}

/// What OpenSSL 1.x at its default security level 1 refuses in a chain that OpenSSL 3 at
/// level 0 accepted: RSA keys under 1024 bits and MD5 signatures.
fn level_one_refusal(chain: &[X509]) -> Option<String> {
    for cert in chain {
        let subject = subject_line(cert);
        if let Ok(key) = cert.public_key()
            && key.id() == Id::RSA
            && key.bits() < LEVEL_ONE_MIN_RSA_BITS
        {
            return Some(format!(
                "{subject} has a {}-bit RSA key, under the 1024 bits OpenSSL 1.x accepts at its default security level",
                key.bits()
            ));
        }
        if matches!(
            cert.signature_algorithm().object().nid(),
            Nid::MD5WITHRSAENCRYPTION | Nid::MD5WITHRSA
        ) {
            return Some(format!(
                "{subject} is signed with MD5, which OpenSSL 1.x refuses at its default security level"
            ));
        }
    }
    None
}

/// The smallest RSA key that is not a weakness today (NIST SP 800-131A).
const STRONG_RSA_BITS: u32 = 2048;

/// What makes a connection weaker than it should be, each named: an old protocol, a CBC
/// suite, RSA key exchange, a SHA-1 or MD5 signature, a short RSA key.
fn weaknesses(protocol: &str, cipher: &str, chain: &[X509]) -> Vec<String> {
    let mut found = Vec::new();
    if matches!(protocol, "TLSv1" | "TLSv1.1" | "SSLv3") {
        found.push(format!("{protocol}, deprecated since 2021 (RFC 8996)"));
    }
    if cipher.starts_with("TLS_RSA_WITH_") {
        found.push(format!("{cipher}: RSA key exchange, without forward secrecy"));
    } else if cipher.contains("_CBC_") {
        found.push(format!("{cipher}: a CBC suite"));
    }
    for cert in chain {
        let signature = cert.signature_algorithm().object().nid();
        if matches!(
            signature,
            Nid::SHA1WITHRSAENCRYPTION | Nid::SHA1WITHRSA | Nid::ECDSA_WITH_SHA1 | Nid::DSAWITHSHA1
        ) {
            found.push(format!("{} is signed with SHA-1", subject_line(cert)));
        }
        if let Ok(key) = cert.public_key()
            && key.id() == Id::RSA
            && key.bits() < STRONG_RSA_BITS
        {
            found.push(format!("{} has a {}-bit RSA key", subject_line(cert), key.bits()));
        }
    }
    found
}

/// Verifies `chain` (end entity first) against `roots` with OpenSSL's rules, as fxpkcs11's
/// OpenSSL verifies the KMES: the anchor must be a root in `roots` (no partial chains),
/// every issuer a CA, every certificate valid today, the purpose a TLS server's; no name
/// check. `Err` holds OpenSSL's reason and the error's kind.
pub(super) fn verify_chain(
    roots: &[CertificateDer<'static>],
    chain: &[CertificateDer<'static>],
) -> Result<(), HostApiError> {
    let setup = |error: ErrorStack| failure(Stage::ServerCert, ErrorKind::BadServerCert).with_source(error);
    let mut store = X509StoreBuilder::new().map_err(setup)?;
    for root in roots {
        store.add_cert(X509::from_der(root).map_err(setup)?).map_err(setup)?;
    }
    store.set_purpose(X509PurposeId::SSL_SERVER).map_err(setup)?;
    let store = store.build();
    let Some((leaf, intermediates)) = chain.split_first() else {
        return Err(failure(Stage::ServerCert, ErrorKind::BadServerCert).with_detail("the server sent no certificate"));
    };
    let leaf = X509::from_der(leaf).map_err(setup)?;
    let mut untrusted = Stack::new().map_err(setup)?;
    for cert in intermediates {
        untrusted.push(X509::from_der(cert).map_err(setup)?).map_err(setup)?;
    }
    let mut context = X509StoreContext::new().map_err(setup)?;
    let result = context
        .init(&store, &leaf, &untrusted, |context| {
            context.verify_cert()?;
            Ok(context.error())
        })
        .map_err(setup)?;
    if result == X509VerifyResult::OK {
        Ok(())
    } else {
        Err(failure(Stage::ServerCert, verify_kind(result)).with_detail(format!("OpenSSL: {}", result.error_string())))
    }
}

fn subject_line(cert: &X509) -> String {
    let parts: Vec<String> = cert
        .subject_name()
        .entries()
        .filter_map(|entry| {
            let key = entry.object().nid().short_name().ok()?;
            let value = String::from_utf8_lossy(entry.data().as_slice());
            Some(format!("{key}={value}"))
        })
        .collect();
    crate::display::escape(&parts.join(", ")).into_owned()
}

fn is_timeout(error: &io::Error) -> bool {
    matches!(error.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut)
}

/// The verification error's kind: the failures the modern client also names.
fn verify_kind(result: X509VerifyResult) -> ErrorKind {
    // X509_V_ERR_* codes, stable since OpenSSL 0.9.
    const UNABLE_TO_GET_ISSUER_CERT: i32 = 2;
    const CERT_NOT_YET_VALID: i32 = 9;
    const CERT_HAS_EXPIRED: i32 = 10;
    const DEPTH_ZERO_SELF_SIGNED_CERT: i32 = 18;
    const SELF_SIGNED_CERT_IN_CHAIN: i32 = 19;
    const UNABLE_TO_GET_ISSUER_CERT_LOCALLY: i32 = 20;
    const UNABLE_TO_VERIFY_LEAF_SIGNATURE: i32 = 21;
    match result.as_raw() {
        CERT_HAS_EXPIRED => ErrorKind::ServerCertExpired,
        CERT_NOT_YET_VALID => ErrorKind::ServerCertNotYetValid,
        UNABLE_TO_GET_ISSUER_CERT
        | DEPTH_ZERO_SELF_SIGNED_CERT
        | SELF_SIGNED_CERT_IN_CHAIN
        | UNABLE_TO_GET_ISSUER_CERT_LOCALLY
        | UNABLE_TO_VERIFY_LEAF_SIGNATURE => ErrorKind::UnknownIssuer,
        _ => ErrorKind::BadServerCert,
    }
}

/// The TLS alert or failure an OpenSSL error stack names, such as
/// `"sslv3 alert handshake failure"`.
fn reasons(stack: &ErrorStack) -> String {
    let reasons: Vec<&str> = stack.errors().iter().filter_map(|error| error.reason()).collect();
    reasons.join("; ")
}

/// Classifies a failed handshake, from what OpenSSL's verification and error stack say.
fn classify_handshake(
    ssl: &openssl::ssl::SslRef,
    error: &openssl::ssl::Error,
    identity: bool,
    timeout: Duration,
) -> HostApiError {
    let verify = ssl.verify_result();
    if verify != X509VerifyResult::OK {
        return failure(Stage::ServerCert, verify_kind(verify))
            .with_detail(format!("OpenSSL: {}", verify.error_string()));
    }
    if let Some(io_error) = error.io_error() {
        if is_timeout(io_error) {
            return failure(Stage::Handshake, ErrorKind::HandshakeTimeout).with_source(io::Error::new(
                io::ErrorKind::TimedOut,
                format!("the peer sent nothing more within {} ms", timeout.as_millis()),
            ));
        }
        return failure(Stage::Handshake, ErrorKind::PeerClosed).with_detail(io_error.to_string());
    }
    let said = error.ssl_error().map(reasons).unwrap_or_default();
    let server_cert_seen = ssl.peer_certificate().is_some();
    let kind_stage = classify_reason(&said, server_cert_seen, identity);
    let (stage, kind) = match kind_stage {
        Some(found) => found,
        None if error.code() == ErrorCode::SYSCALL || error.code() == ErrorCode::ZERO_RETURN => {
            (Stage::Handshake, ErrorKind::PeerClosed)
        }
        None => (Stage::Handshake, ErrorKind::TlsFailure),
    };
    let detail = if said.is_empty() {
        format!("OpenSSL: {error}")
    } else {
        format!("OpenSSL: {said}")
    };
    failure(stage, kind).with_detail(detail)
}

/// The stage and kind an OpenSSL reason text names, when it names one.
fn classify_reason(said: &str, server_cert_seen: bool, identity: bool) -> Option<(Stage, ErrorKind)> {
    const NO_COMMON: [&str; 7] = [
        "no protocols available",
        "unsupported protocol",
        "wrong version number",
        "no shared cipher",
        "no ciphers available",
        "alert protocol version",
        "alert insufficient security",
    ];
    const CLIENT_CERT_ALERTS: [&str; 9] = [
        "alert unknown ca",
        "alert bad certificate",
        "alert certificate unknown",
        "alert access denied",
        "alert decrypt error",
        "alert certificate expired",
        "alert certificate revoked",
        "alert unsupported certificate",
        "alert certificate required",
    ];
    let client_cert = if identity {
        ErrorKind::ClientCertRejected
    } else {
        ErrorKind::ClientCertRequired
    };
    if NO_COMMON.iter().any(|reason| said.contains(reason)) {
        return Some((Stage::Handshake, ErrorKind::NoCommonProtocol));
    }
    if CLIENT_CERT_ALERTS.iter().any(|reason| said.contains(reason)) {
        return Some((Stage::ClientAuth, client_cert));
    }
    if said.contains("alert handshake failure") {
        return Some(if server_cert_seen {
            (Stage::ClientAuth, client_cert)
        } else {
            (Stage::Handshake, ErrorKind::NoCommonProtocol)
        });
    }
    None
}

/// Runs the compatibility client's handshake over `tcp` until `timeout` has passed.
///
/// The chain is verified against `materials.roots` with OpenSSL's rules (no partial
/// chains: the anchor must be the root; issuers must be CAs; validity dates), without a
/// name check; then the limits of OpenSSL 1.x's default security level apply.
pub(super) fn handshake(
    tcp: TcpStream,
    server_name: &str,
    materials: &TlsMaterials,
    timeout: Duration,
) -> Result<LegacySession, HostApiError> {
    let started = Instant::now();
    let deadline = started + timeout;
    let context = context(materials)?;
    let mut ssl = Ssl::new(&context).map_err(|e| failure(Stage::Handshake, ErrorKind::TlsFailure).with_source(e))?;
    let host = bare_host(server_name);
    if host.parse::<std::net::IpAddr>().is_err() {
        // Server Name Indication, as OpenSSL clients that are given a name send it; best
        // effort, since a name OpenSSL refuses only loses the hint.
        let _ = ssl.set_hostname(host);
    }
    tcp.set_read_timeout(Some(exchange::WAIT_SLICE))
        .and_then(|()| tcp.set_write_timeout(Some(exchange::WAIT_SLICE)))
        .map_err(|e| failure(Stage::Handshake, ErrorKind::NetworkError).with_source(e))?;
    let identity = materials.client.is_some();
    let mut attempt = ssl.connect(tcp);
    let stream = loop {
        match attempt {
            Ok(stream) => break stream,
            Err(HandshakeError::WouldBlock(mid)) => {
                if Instant::now() >= deadline {
                    let error = failure(Stage::Handshake, ErrorKind::HandshakeTimeout).with_source(io::Error::new(
                        io::ErrorKind::TimedOut,
                        format!("the peer sent nothing more within {} ms", timeout.as_millis()),
                    ));
                    let record = attempt_of(mid.ssl(), identity, started, "", Some(&error));
                    return Err(error.with_tls_attempt(record));
                }
                attempt = MidHandshakeSslStream::handshake(mid);
            }
            Err(HandshakeError::Failure(mid)) => {
                let error = classify_handshake(mid.ssl(), mid.error(), identity, timeout);
                let said = mid.error().ssl_error().map(reasons).unwrap_or_default();
                let record = attempt_of(mid.ssl(), identity, started, &said, Some(&error));
                return Err(error.with_tls_attempt(record));
            }
            Err(HandshakeError::SetupFailure(error)) => {
                return Err(failure(Stage::Handshake, ErrorKind::TlsFailure).with_source(error));
            }
        }
    };
    let chain: Vec<X509> = stream
        .ssl()
        .peer_cert_chain()
        .map(|stack| stack.iter().map(|cert| cert.to_owned()).collect())
        .unwrap_or_default();
    if let Some(refusal) = level_one_refusal(&chain) {
        let error = failure(Stage::ServerCert, ErrorKind::BadServerCert).with_detail(refusal);
        let record = attempt_of(stream.ssl(), identity, started, "", Some(&error));
        return Err(error.with_tls_attempt(record));
    }
    let peer_chain = chain
        .iter()
        .filter_map(|cert| cert.to_der().ok())
        .map(CertificateDer::from)
        .collect();
    let cipher = stream
        .ssl()
        .current_cipher()
        .map(|cipher| cipher.standard_name().unwrap_or(cipher.name()).to_owned())
        .unwrap_or_else(|| "unknown".into());
    let protocol = stream.ssl().version_str().to_owned();
    Ok(LegacySession {
        weaknesses: weaknesses(&protocol, &cipher, &chain),
        protocol,
        cipher,
        peer_chain,
        client_cert_requested: requested_ca_names(stream.ssl()).is_some(),
        attempt: attempt_of(stream.ssl(), identity, started, "", None),
        stream,
    })
}

/// Sends `[AOECHO;]` over the compatibility client's session and reads one answer frame
/// within `timeout`, judged as [`super::echo`] judges it.
pub(super) fn echo(session: &mut LegacySession, identity: bool, timeout: Duration) -> Result<EchoReply, HostApiError> {
    let deadline = Instant::now() + timeout;
    let stream = &mut session.stream;
    let request = frame::encode(frame::COMMAND_ECHO, &[]);
    let mut written = 0;
    while written < request.len() {
        match stream.ssl_write(&request[written..]) {
            Ok(count) => written += count,
            Err(error) if error.code() == ErrorCode::WANT_WRITE || error.code() == ErrorCode::WANT_READ => {
                if Instant::now() >= deadline {
                    return Err(
                        failure(Stage::Echo, ErrorKind::ReadTimeout).with_source(exchange::timeout_cause(timeout))
                    );
                }
            }
            Err(error) => return Err(read_failure(stream.ssl(), &error, identity, &[])),
        }
    }
    let _ = stream.flush();
    let mut recorder = ExchangeRecorder::start(&request);
    let (result, ending) = read_answer(stream, identity, timeout, deadline, &mut recorder);
    exchange::with_exchange(result, recorder.finish(ending))
}

/// Reads the answer to the request just written, noting what arrives in `recorder`.
fn read_answer(
    stream: &mut SslStream<TcpStream>,
    identity: bool,
    timeout: Duration,
    deadline: Instant,
    recorder: &mut ExchangeRecorder,
) -> (Result<EchoReply, HostApiError>, Ending) {
    let mut answer = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        match stream.ssl_read(&mut chunk) {
            Ok(0) => return (Err(exchange::closed_early(&answer)), Ending::Closed),
            Ok(read) => {
                recorder.received(&chunk[..read]);
                answer.extend_from_slice(&chunk[..read]);
                match frame::scan(&answer) {
                    Ok(Scan::Complete(len)) => return (exchange::finish_echo(&answer[..len]), Ending::Answered),
                    Ok(Scan::NeedMore) => {}
                    Err(e) => return (Err(exchange::frame_failure(e, &answer)), Ending::ClientStopped),
                }
            }
            Err(error) if error.code() == ErrorCode::ZERO_RETURN => {
                return (Err(exchange::closed_early(&answer)), Ending::CleanClose);
            }
            Err(error) if error.code() == ErrorCode::WANT_READ || error.io_error().is_some_and(is_timeout) => {
                if Instant::now() >= deadline {
                    return (Err(exchange::answer_timeout(&answer, timeout)), Ending::TimedOut);
                }
            }
            Err(error) => {
                let said = error.ssl_error().map(reasons).unwrap_or_default();
                let ending = if let Some(alert) = received_alert(&said) {
                    recorder.alert(alert);
                    Ending::Alert
                } else if let Some(io_error) = error.io_error() {
                    io_ending(io_error)
                } else {
                    Ending::Closed
                };
                return (Err(read_failure(stream.ssl(), &error, identity, &answer)), ending);
            }
        }
    }
}

/// A failure while exchanging data: a TLS 1.3 server's verdict on our certificate arrives
/// now; anything else ends the ECHO.
fn read_failure(
    ssl: &openssl::ssl::SslRef,
    error: &openssl::ssl::Error,
    identity: bool,
    answer: &[u8],
) -> HostApiError {
    let said = error.ssl_error().map(reasons).unwrap_or_default();
    if let Some((Stage::ClientAuth, kind)) = classify_reason(&said, ssl.peer_certificate().is_some(), identity) {
        return failure(Stage::ClientAuth, kind).with_detail(format!("OpenSSL: {said}"));
    }
    if said.is_empty() {
        return exchange::closed_early(answer);
    }
    failure(Stage::Echo, ErrorKind::TlsFailure).with_detail(format!("OpenSSL: {said}"))
}

/// Sends close_notify and shuts the connection down, best effort.
pub(super) fn close(mut session: LegacySession) {
    // The peer may already be gone; closing is best effort.
    let _ = session.stream.shutdown();
    let _ = session.stream.get_ref().shutdown(std::net::Shutdown::Both);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_name_the_stage_they_belong_to() {
        assert_eq!(
            classify_reason("sslv3 alert handshake failure", false, true),
            Some((Stage::Handshake, ErrorKind::NoCommonProtocol))
        );
        assert_eq!(
            classify_reason("sslv3 alert handshake failure", true, true),
            Some((Stage::ClientAuth, ErrorKind::ClientCertRejected))
        );
        assert_eq!(
            classify_reason("tlsv13 alert certificate required", true, false),
            Some((Stage::ClientAuth, ErrorKind::ClientCertRequired))
        );
        assert_eq!(
            classify_reason("no protocols available", false, true),
            Some((Stage::Handshake, ErrorKind::NoCommonProtocol))
        );
        assert_eq!(classify_reason("internal error", true, true), None);
    }
}
