//! The replay's server: the accept loop and one connection's script.

use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use openssl::ssl::{HandshakeError, SslAcceptor, SslMethod, SslStream, SslVerifyMode, SslVersion};
use openssl::x509::store::X509StoreBuilder;
use openssl::x509::{X509, X509Name};
use rustls::server::WebPkiClientVerifier;
use rustls::{DistinguishedName, RootCertStore, ServerConfig, ServerConnection, StreamOwned};

use super::{ReplayError, ReplayLab, ReplayPlan, TlsPlan};
use crate::hostapi::frame::{self, Scan};
use crate::hostapi::observe::Ending;

/// How often blocked threads look at the stop flag.
const POLL: Duration = Duration::from_millis(50);
/// How long a client may take over its handshake or its request.
const CLIENT_LIMIT: Duration = Duration::from_secs(15);
/// How long a connection is held open after the script, for a client still reading.
const HOLD_LIMIT: Duration = Duration::from_secs(120);
/// At most this many connections at once.
const MAX_CONNECTIONS: usize = 64;

/// What answers the client hello.
enum Tls {
    Silent,
    CloseAtOnce,
    Alert(u8),
    Rustls(Arc<ServerConfig>),
    OpenSsl(SslAcceptor),
}

/// The replay's server, shared by its connections.
pub(super) struct Server {
    plan: ReplayPlan,
    tls: Tls,
    active: AtomicUsize,
}

/// The alert's code, from its RFC name.
fn alert_code(name: &str) -> u8 {
    (0..=u8::MAX)
        .find(|&code| crate::hostapi::alert_name(rustls::AlertDescription::from(code)) == name)
        .unwrap_or(40)
}

fn tls_error(error: impl std::fmt::Display) -> ReplayError {
    ReplayError::Tls(error.to_string())
}

fn rustls_config(lab: &ReplayLab, version: &str, suite: &str) -> Result<ServerConfig, ReplayError> {
    let mut provider = rustls::crypto::ring::default_provider();
    provider
        .cipher_suites
        .retain(|known| known.suite().as_str() == Some(suite));
    let versions: &[&rustls::SupportedProtocolVersion] = if version == "TLSv1.3" {
        &[&rustls::version::TLS13]
    } else {
        &[&rustls::version::TLS12]
    };
    let provider = Arc::new(provider);
    let builder = ServerConfig::builder_with_provider(Arc::clone(&provider))
        .with_protocol_versions(versions)
        .map_err(tls_error)?;
    let auth = &lab.plan.client_auth;
    let builder = match &auth.request {
        None => builder.with_no_client_auth(),
        Some(names) => {
            let mut roots = RootCertStore::empty();
            roots.add(lab.trusted_for_clients.clone().into()).map_err(tls_error)?;
            let mut verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
                .clear_root_hint_subjects()
                .add_root_hint_subjects(names.iter().map(|name| DistinguishedName::from(name.clone())));
            if auth.anonymous_allowed {
                verifier = verifier.allow_unauthenticated();
            }
            builder.with_client_cert_verifier(verifier.build().map_err(tls_error)?)
        }
    };
    let (chain, key) = lab.server_identity()?;
    builder.with_single_cert(chain, key).map_err(tls_error)
}

fn openssl_version(version: &str) -> Option<SslVersion> {
    match version {
        "TLSv1" => Some(SslVersion::TLS1),
        "TLSv1.1" => Some(SslVersion::TLS1_1),
        "TLSv1.2" => Some(SslVersion::TLS1_2),
        "TLSv1.3" => Some(SslVersion::TLS1_3),
        _ => None,
    }
}

fn openssl_acceptor(lab: &ReplayLab, version: &str, cipher: &str) -> Result<SslAcceptor, ReplayError> {
    let mut builder = SslAcceptor::mozilla_intermediate_v5(SslMethod::tls_server()).map_err(ReplayError::OpenSsl)?;
    builder.set_security_level(0);
    let protocol = openssl_version(version);
    builder.set_min_proto_version(protocol).map_err(ReplayError::OpenSsl)?;
    builder.set_max_proto_version(protocol).map_err(ReplayError::OpenSsl)?;
    if protocol == Some(SslVersion::TLS1_3) {
        builder.set_ciphersuites(cipher).map_err(ReplayError::OpenSsl)?;
    } else {
        builder
            .set_cipher_list(&format!("{cipher}:@SECLEVEL=0"))
            .map_err(ReplayError::OpenSsl)?;
    }
    let (leaf, rest) = lab
        .server_chain
        .split_first()
        .ok_or_else(|| ReplayError::Certificate("no server certificate".into()))?;
    let leaf_cert = X509::from_der(&leaf.der).map_err(ReplayError::OpenSsl)?;
    builder.set_certificate(&leaf_cert).map_err(ReplayError::OpenSsl)?;
    for cert in rest {
        builder
            .add_extra_chain_cert(X509::from_der(&cert.der).map_err(ReplayError::OpenSsl)?)
            .map_err(ReplayError::OpenSsl)?;
    }
    builder.set_private_key(&leaf.key).map_err(ReplayError::OpenSsl)?;
    let auth = &lab.plan.client_auth;
    if let Some(names) = &auth.request {
        let mut store = X509StoreBuilder::new().map_err(ReplayError::OpenSsl)?;
        store
            .add_cert(X509::from_der(&lab.trusted_for_clients).map_err(ReplayError::OpenSsl)?)
            .map_err(ReplayError::OpenSsl)?;
        builder
            .set_verify_cert_store(store.build())
            .map_err(ReplayError::OpenSsl)?;
        let mut list = openssl::stack::Stack::new().map_err(ReplayError::OpenSsl)?;
        for name in names {
            list.push(X509Name::from_der(name).map_err(ReplayError::OpenSsl)?)
                .map_err(ReplayError::OpenSsl)?;
        }
        builder.set_client_ca_list(list);
        let mode = if auth.anonymous_allowed {
            SslVerifyMode::PEER
        } else {
            SslVerifyMode::PEER | SslVerifyMode::FAIL_IF_NO_PEER_CERT
        };
        builder.set_verify(mode);
    } else {
        builder.set_verify(SslVerifyMode::NONE);
    }
    Ok(builder.build())
}

impl Server {
    pub(super) fn new(lab: &ReplayLab) -> Result<Server, ReplayError> {
        let tls = match &lab.plan.tls {
            TlsPlan::Silent => Tls::Silent,
            TlsPlan::CloseAtOnce => Tls::CloseAtOnce,
            TlsPlan::AlertBeforeHello(name) => Tls::Alert(alert_code(name)),
            TlsPlan::Rustls { version, suite } => Tls::Rustls(Arc::new(rustls_config(lab, version, suite)?)),
            TlsPlan::OpenSsl { version, cipher } => Tls::OpenSsl(openssl_acceptor(lab, version, cipher)?),
        };
        Ok(Server {
            plan: lab.plan.clone(),
            tls,
            active: AtomicUsize::new(0),
        })
    }
}

/// Accepts connections until `stop` is set.
pub(super) fn accept_loop(listener: TcpListener, server: Arc<Server>, stop: &Arc<AtomicBool>) {
    while !stop.load(Ordering::SeqCst) {
        match listener.accept() {
            Ok((stream, _)) => {
                if server.active.fetch_add(1, Ordering::SeqCst) >= MAX_CONNECTIONS {
                    server.active.fetch_sub(1, Ordering::SeqCst);
                    continue;
                }
                let server = Arc::clone(&server);
                let stop = Arc::clone(stop);
                let spawned = thread::Builder::new()
                    .name("fxconfig-replay-conn".into())
                    .spawn(move || {
                        serve(stream, &server, &stop);
                        server.active.fetch_sub(1, Ordering::SeqCst);
                    });
                if spawned.is_err() {
                    // The closure, and the stream with it, was dropped: the client sees a close.
                }
            }
            // Nothing pending, or a transient failure such as too many open files.
            Err(_) => thread::sleep(POLL / 2),
        }
    }
}

/// A connection after its handshake.
enum Session {
    Rustls(Box<StreamOwned<ServerConnection, TcpStream>>),
    OpenSsl(Box<SslStream<TcpStream>>),
}

impl Session {
    fn read(&mut self, buffer: &mut [u8]) -> io::Result<usize> {
        match self {
            Session::Rustls(stream) => stream.read(buffer),
            Session::OpenSsl(stream) => stream.read(buffer),
        }
    }

    fn send(&mut self, bytes: &[u8]) -> io::Result<()> {
        match self {
            Session::Rustls(stream) => stream.write_all(bytes).and_then(|()| stream.flush()),
            Session::OpenSsl(stream) => stream.write_all(bytes).and_then(|()| stream.flush()),
        }
    }

    fn tcp(&self) -> &TcpStream {
        match self {
            Session::Rustls(stream) => &stream.sock,
            Session::OpenSsl(stream) => stream.get_ref(),
        }
    }

    /// Ends the connection as the captured server did.
    fn end(mut self, ending: Ending) {
        match ending {
            Ending::CleanClose => {
                match &mut self {
                    Session::Rustls(stream) => {
                        stream.conn.send_close_notify();
                        // Best effort: the client may have gone.
                        let _ = stream.flush();
                    }
                    Session::OpenSsl(stream) => {
                        let _ = stream.shutdown();
                    }
                }
                let _ = self.tcp().shutdown(Shutdown::Both);
            }
            Ending::Reset => reset(self.tcp()),
            _ => {
                let _ = self.tcp().shutdown(Shutdown::Both);
            }
        }
    }
}

/// Closes with a TCP reset (SO_LINGER 0), as a server that aborts does.
fn reset(tcp: &TcpStream) {
    #[cfg(unix)]
    {
        let _ = rustix::net::sockopt::set_socket_linger(tcp, Some(Duration::ZERO));
    }
    let _ = tcp.shutdown(Shutdown::Read);
}

fn is_wait(error: &io::Error) -> bool {
    matches!(error.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut)
}

/// Sleeps until `until`, watching `stop`; `false` when stopped.
fn sleep_until(until: Instant, stop: &AtomicBool) -> bool {
    while Instant::now() < until {
        if stop.load(Ordering::SeqCst) {
            return false;
        }
        thread::sleep(POLL.min(until.saturating_duration_since(Instant::now())));
    }
    true
}

/// Reads until the client closes, the hold ends or the replay stops.
fn hold(session: &mut Session, stop: &AtomicBool) {
    hold_until_closed(|sink| session.read(sink), stop);
}

/// Reads from a bare TCP connection (a silent server) until the client leaves, as [`hold`].
fn hold_tcp(mut tcp: TcpStream, stop: &AtomicBool) {
    hold_until_closed(|sink| tcp.read(sink), stop);
}

/// Calls `read` until it reports the end or an error, the hold ends or the replay stops.
fn hold_until_closed(mut read: impl FnMut(&mut [u8]) -> io::Result<usize>, stop: &AtomicBool) {
    let until = Instant::now() + HOLD_LIMIT;
    let mut sink = [0u8; 1024];
    while !stop.load(Ordering::SeqCst) && Instant::now() < until {
        match read(&mut sink) {
            Ok(0) => return,
            Ok(_) => {}
            Err(error) if is_wait(&error) => {}
            Err(_) => return,
        }
    }
}

fn serve(tcp: TcpStream, server: &Server, stop: &AtomicBool) {
    let prepared = tcp
        .set_nonblocking(false)
        .and_then(|()| tcp.set_read_timeout(Some(POLL)))
        .and_then(|()| tcp.set_write_timeout(Some(Duration::from_secs(5))))
        .and_then(|()| tcp.set_nodelay(true));
    if prepared.is_err() {
        return;
    }
    let deadline = Instant::now() + CLIENT_LIMIT;
    let session = match &server.tls {
        Tls::Silent => return hold_tcp(tcp, stop),
        Tls::CloseAtOnce => {
            let _ = tcp.shutdown(Shutdown::Both);
            return;
        }
        Tls::Alert(code) => return refuse_hello(tcp, *code, stop),
        Tls::Rustls(config) => {
            let Ok(connection) = ServerConnection::new(Arc::clone(config)) else {
                return;
            };
            let mut stream = StreamOwned::new(connection, tcp);
            while stream.conn.is_handshaking() {
                if stop.load(Ordering::SeqCst) || Instant::now() >= deadline {
                    return;
                }
                match stream.conn.complete_io(&mut stream.sock) {
                    Ok(_) => {}
                    Err(error) if is_wait(&error) => {}
                    Err(_) => {
                        // The alert that explains the refusal, best effort.
                        let _ = stream.conn.write_tls(&mut stream.sock);
                        return;
                    }
                }
            }
            Session::Rustls(Box::new(stream))
        }
        Tls::OpenSsl(acceptor) => {
            let mut attempt = acceptor.accept(tcp);
            loop {
                match attempt {
                    Ok(stream) => break Session::OpenSsl(Box::new(stream)),
                    Err(HandshakeError::WouldBlock(mid))
                        if !stop.load(Ordering::SeqCst) && Instant::now() < deadline =>
                    {
                        attempt = mid.handshake();
                    }
                    Err(_) => return,
                }
            }
        }
    };
    converse(session, &server.plan, stop, deadline);
}

/// Waits for the client hello, answers it with the alert `code`, and closes.
fn refuse_hello(mut tcp: TcpStream, code: u8, stop: &AtomicBool) {
    let until = Instant::now() + CLIENT_LIMIT;
    let mut hello = [0u8; 4096];
    while !stop.load(Ordering::SeqCst) && Instant::now() < until {
        match tcp.read(&mut hello) {
            Ok(0) => return,
            Ok(_) => break,
            Err(error) if is_wait(&error) => {}
            Err(_) => return,
        }
    }
    // A TLS record: alert (21), version 3.3, length 2, level fatal (2), description.
    let _ = tcp.write_all(&[21, 3, 3, 0, 2, 2, code]);
    let _ = tcp.shutdown(Shutdown::Both);
}

/// After the handshake: reads the request, sends the captured answer after the captured
/// delays, and ends as the captured server did.
fn converse(mut session: Session, plan: &ReplayPlan, stop: &AtomicBool, deadline: Instant) {
    let mut request = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        if stop.load(Ordering::SeqCst) || Instant::now() >= deadline {
            return;
        }
        match session.read(&mut chunk) {
            Ok(0) => return,
            Ok(read) => {
                request.extend_from_slice(&chunk[..read]);
                match frame::scan(&request) {
                    Ok(Scan::NeedMore) => {}
                    Ok(Scan::Complete(_)) | Err(_) => break,
                }
            }
            Err(error) if is_wait(&error) => {}
            // The client's certificate was refused, or the client left.
            Err(_) => return,
        }
    }
    let received = Instant::now();
    for part in &plan.answer {
        if !sleep_until(received + Duration::from_millis(part.at_ms), stop) || session.send(&part.bytes).is_err() {
            return;
        }
    }
    match plan.ending {
        Ending::CleanClose | Ending::Closed | Ending::Reset | Ending::Alert => {
            if sleep_until(received + Duration::from_millis(plan.ended_at_ms), stop) {
                session.end(plan.ending);
            }
        }
        Ending::Answered | Ending::ClientStopped | Ending::TimedOut => hold(&mut session, stop),
    }
}
