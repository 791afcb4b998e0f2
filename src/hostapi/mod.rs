//! The client side of the Host API connection that fxpkcs11 makes to a KMES:
//! name resolution, TCP, mutual TLS and one Excrypt ECHO.
//!
//! The four steps are separate functions so the doctor can run and report each
//! on its own: [`resolve`], [`connect`], [`handshake`] and [`echo`]. Each takes a
//! timeout and never blocks longer (the callers use 5 s), so a dead host gets its
//! verdict in time. [`run_probe`] chains them for front ends that want one call.
//!
//! Every failure is a [`HostApiError`] that names its [`Stage`] (the doctor check
//! that owns it) and its [`ErrorKind`], keeps the raw cause as its
//! [`source`](std::error::Error::source), and explains itself through
//! [`crate::remedy::Explain`].
//!
//! # TLS
//!
//! The verdict is the library's: will fxpkcs11, which links OpenSSL 1.0/1.1 [2.2], connect?
//! [`handshake_like_library`] answers it with two clients. The modern one, rustls with the
//! ring provider (TLS 1.3, and 1.2 with ECDHE and AEAD suites), tries first; the chain it
//! accepts is also verified with OpenSSL's rules (a root as the anchor, CA issuers, dates).
//! When it cannot connect, the OpenSSL 1.x-compatible client (`legacy.rs`: vendored OpenSSL
//! at security level 0 with TLS 1.0 as the lowest version, then the limits OpenSSL 1.x kept at
//! its level 1) tries on a new connection: CBC suites, RSA key exchange, TLS 1.0/1.1, SHA-1
//! signatures and P-521 keys then work, and the session names the client, why rustls could
//! not, and what is weak ([`TlsSession::weaknesses`]). Both verify the server's chain against
//! the configured root CA certificates only (the system trust store is never consulted and
//! verification is never disabled) and, like the library, do not require the certificate to
//! name the host: a mismatch is recorded ([`TlsSession::name_mismatch`]) for a warning. A
//! client certificate is sent when the server asks for one and one is configured;
//! [`TlsSession::client_cert_requested`] tells whether the server asked at all. The private
//! key stays in memory.
//!
//! # Excrypt framing
//!
//! A request is `[AOECHO;]`: `[`, the command field (tag `AO`, value `ECHO`),
//! `;`, further fields each a two-character tag, its value and `;`, then `]`.
//! Answers have the same shape, such as `[AOECHO;ANY;BC7.1.0.3;]`, and are read up to
//! [`frame::MAX_FRAME_LEN`] (64 KiB), tolerantly (see [`frame`]).
//!
//! # What the answer means
//!
//! The frame's syntax rests on openly licensed Futurex client code; what the answer's tags
//! mean has not been confirmed on a device or in a public source, and awaits a capture
//! (docs/usage.md names each rule's source). [`answer`] reads it:
//! the status `AN` (`Y` success, `N` general failure, `P` permissions lacking), the error
//! text in `ER` then `BB`, the `ERRO` error command, and the versions in `BC` (plain ECHO)
//! and `FW` (extended ECHO). [`echo`] fails on `ERRO` and on the statuses `N` and `P`
//! ([`ErrorKind::CommandRefused`], [`ErrorKind::GeneralFailure`],
//! [`ErrorKind::PermissionDenied`]), whatever else the answer says, and keeps the raw answer
//! ([`EchoReply::raw`], [`HostApiError::raw`]) so that a real device's answer can always be
//! read as it came.

pub mod answer;
mod error;
mod exchange;
pub mod frame;
mod legacy;
mod materials;
mod net;
pub mod observe;
mod tls;

use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

pub use error::{ErrorKind, HostApiError, Stage};
pub use exchange::EchoReply;
pub use materials::TlsMaterials;
pub use net::{connect, resolve};
pub use tls::{TlsClient, TlsSession, alert_name, echo, handshake};

/// How one stage of [`run_probe`] went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StageOutcome {
    /// The stage succeeded; what was found.
    Passed(String),
    /// The stage succeeded with a reservation, such as a server that does not ask
    /// for a client certificate.
    Warning(String),
    /// The stage failed; the error's message. The error itself is returned by
    /// [`run_probe`].
    Failed(String),
}

/// What a successful [`run_probe`] found.
#[derive(Debug)]
pub struct ProbeReport {
    /// The addresses the host resolved to.
    pub addrs: Vec<SocketAddr>,
    /// The address the connection was made to.
    pub connected_to: SocketAddr,
    /// The TLS session, still open.
    pub session: TlsSession,
    /// The ECHO answer.
    pub reply: EchoReply,
}

fn chain_summary(certificates: usize) -> String {
    format!("{certificates} certificate(s) presented, verified against the configured root CA")
}

fn failed(on_stage: &mut impl FnMut(Stage, &StageOutcome), error: HostApiError) -> HostApiError {
    on_stage(error.stage(), &StageOutcome::Failed(error.to_string()));
    error
}

/// Whether the OpenSSL 1.x-compatible client may succeed where the modern one failed:
/// anything in the handshake but a peer that went silent (a second wait would double the
/// time for the same answer).
fn compatibility_may_help(error: &HostApiError) -> bool {
    matches!(error.stage(), Stage::Handshake | Stage::ServerCert | Stage::ClientAuth)
        && *error.kind() != ErrorKind::HandshakeTimeout
}

/// Runs the TLS handshake as fxpkcs11's OpenSSL 1.x would judge it, over `tcp` (connected to
/// one of `addrs`) within `timeout` for each attempt.
///
/// The modern client (rustls) tries first. When it completes, the chain it accepted is also
/// verified with OpenSSL's rules (a root as the anchor, CA issuers, dates), which are
/// stricter in places; a chain OpenSSL refuses fails at [`Stage::ServerCert`]. When it
/// cannot complete (a TLS 1.0/1.1 server, CBC suites only, RSA key exchange, a SHA-1
/// signature, a P-521 key), a new connection is made and the OpenSSL 1.x-compatible client
/// tries: its session names it ([`TlsSession::client`]), why the modern client could not
/// ([`TlsSession::modern_refusal`]) and what is weak ([`TlsSession::weaknesses`]). When both
/// fail, the error of the client that got further is returned, with the other's finding
/// ([`HostApiError::other_client`]).
pub fn handshake_like_library(
    tcp: TcpStream,
    addrs: &[SocketAddr],
    server_name: &str,
    materials: &TlsMaterials,
    timeout: Duration,
) -> Result<TlsSession, HostApiError> {
    let modern = match handshake(tcp, server_name, materials, timeout) {
        Ok(session) => {
            return match legacy::verify_chain(&materials.roots, &session.peer_chain) {
                Ok(()) => Ok(session),
                Err(error) => {
                    let attempts = session.attempts.clone();
                    session.close();
                    Err(error
                        .with_other_client(
                            "the modern client (rustls) accepts this chain, but fxpkcs11's OpenSSL verifies it this way",
                        )
                        .with_earlier_tls_attempts(attempts))
                }
            };
        }
        Err(error) if compatibility_may_help(&error) => error,
        Err(error) => return Err(error),
    };
    let Ok(tcp) = connect(addrs, timeout) else {
        return Err(modern);
    };
    let modern_attempts = modern.tls_attempts().to_vec();
    match legacy::handshake(tcp, server_name, materials, timeout) {
        Ok(session) => {
            let mut attempts = modern_attempts;
            attempts.push(session.attempt.clone());
            Ok(TlsSession::compatibility(
                session,
                server_name,
                modern.to_string(),
                materials.client.is_some(),
                attempts,
            ))
        }
        Err(compatible) if compatible.stage() > modern.stage() => {
            let finding = format!("the modern client (rustls) failed earlier: {modern}");
            Err(compatible
                .with_other_client(finding)
                .with_earlier_tls_attempts(modern_attempts))
        }
        Err(compatible) => {
            let finding = format!("the OpenSSL 1.x-compatible client failed too: {compatible}");
            let later = compatible.tls_attempts().to_vec();
            Err(later
                .into_iter()
                .fold(modern.with_other_client(finding), HostApiError::with_tls_attempt))
        }
    }
}

/// Resolves, connects, shakes hands and sends an ECHO, reporting each stage to
/// `on_stage` as it completes; stops at the first failure and returns it.
///
/// Each network step gets the full `timeout`.
pub fn run_probe(
    host: &str,
    port: u16,
    materials: &TlsMaterials,
    timeout: Duration,
    mut on_stage: impl FnMut(Stage, &StageOutcome),
) -> Result<ProbeReport, HostApiError> {
    let addrs = resolve(host, port, timeout).map_err(|e| failed(&mut on_stage, e))?;
    let listed: Vec<String> = addrs.iter().map(|a| a.ip().to_string()).collect();
    on_stage(Stage::Resolve, &StageOutcome::Passed(listed.join(", ")));

    let tcp = connect(&addrs, timeout).map_err(|e| failed(&mut on_stage, e))?;
    let connected_to = tcp.peer_addr().map_err(|e| {
        failed(
            &mut on_stage,
            HostApiError::new(Stage::Connect, ErrorKind::NetworkError).with_source(e),
        )
    })?;
    on_stage(Stage::Connect, &StageOutcome::Passed(connected_to.to_string()));

    let mut session = handshake_like_library(tcp, &addrs, host, materials, timeout).map_err(|error| {
        // A TLS 1.2 server that refuses our certificate has already shown its own, verified.
        if let Some(chain) = error.verified_server_chain() {
            on_stage(Stage::ServerCert, &StageOutcome::Passed(chain_summary(chain.len())));
        }
        failed(&mut on_stage, error)
    })?;
    on_stage(
        Stage::Handshake,
        &StageOutcome::Passed(format!("{} {}", session.protocol, session.cipher)),
    );
    on_stage(
        Stage::ServerCert,
        &StageOutcome::Passed(chain_summary(session.peer_chain.len())),
    );

    let reply = echo(&mut session, timeout).map_err(|e| failed(&mut on_stage, e))?;
    let client_auth = if session.client_cert_sent {
        StageOutcome::Passed("client certificate accepted".into())
    } else if session.client_cert_requested {
        StageOutcome::Warning("the server asked for a client certificate but none was sent".into())
    } else {
        StageOutcome::Warning("the server did not ask for a client certificate".into())
    };
    on_stage(Stage::ClientAuth, &client_auth);
    let echo_outcome = match &reply.unknown_status {
        None => StageOutcome::Passed(reply.raw.clone()),
        Some(status) => StageOutcome::Warning(format!(
            "unknown status {} (AN): {}",
            crate::display::escape(status),
            reply.raw
        )),
    };
    on_stage(Stage::Echo, &echo_outcome);
    Ok(ProbeReport {
        addrs,
        connected_to,
        session,
        reply,
    })
}
