//! The accept loop and the per-connection behaviour of the simulator.

use std::collections::HashMap;
use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

use openssl::ssl::{ErrorCode, HandshakeError, SslAcceptor};
use rustls::{ServerConfig, ServerConnection};

use super::certs::Materials;
use super::{Fault, SimError};
use crate::hostapi::answer;
use crate::hostapi::frame::{self, Frame, Scan};

/// At most this many connections are served at once; further ones are closed at once.
pub const MAX_CONNECTIONS: usize = 64;

/// The product name the simulator reports in its ECHO answer.
pub const PRODUCT: &str = "fxconfig KMES simulator";

/// The error text of [`Fault::GeneralFailure`], sent in latin-1 (its `é` is the byte 0xE9).
pub const GENERAL_FAILURE_TEXT: &str = "Échec général: opération refusée";

/// How often blocked threads look at the stop flag.
const POLL: Duration = Duration::from_millis(50);
/// How long a client may take to complete the handshake.
const HANDSHAKE_LIMIT: Duration = Duration::from_secs(15);
/// How long a connection may stay idle between requests.
const IDLE_LIMIT: Duration = Duration::from_secs(120);
/// How long one write may block.
const WRITE_LIMIT: Duration = Duration::from_secs(5);

/// State shared by the accept thread, the connection threads and the handle.
pub(super) struct Shared {
    materials: Materials,
    fault: Mutex<Option<Fault>>,
    configs: Mutex<HashMap<Option<Fault>, Arc<ServerConfig>>>,
    cbc_only: Mutex<Option<SslAcceptor>>,
    stop: AtomicBool,
    active: AtomicUsize,
    slow_delay: Duration,
    serial: String,
}

impl Shared {
    pub(super) fn new(materials: Materials, fault: Option<Fault>, slow_delay: Duration) -> Result<Self, SimError> {
        let serial = materials.serial();
        let shared = Shared {
            materials,
            fault: Mutex::new(None),
            configs: Mutex::new(HashMap::new()),
            cbc_only: Mutex::new(None),
            stop: AtomicBool::new(false),
            active: AtomicUsize::new(0),
            slow_delay,
            serial,
        };
        shared.set_fault(fault)?;
        Ok(shared)
    }

    /// The configuration for `fault`, built once and cached.
    fn config_for(&self, fault: Option<Fault>) -> Result<Arc<ServerConfig>, SimError> {
        let key = if matches!(
            fault,
            Some(
                Fault::WrongCa
                    | Fault::RejectClient
                    | Fault::NoClientAuth
                    | Fault::ExpiredCert
                    | Fault::Tls12Only
                    | Fault::GuideCert
            )
        ) {
            fault
        } else {
            None
        };
        let mut configs = self.configs.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(config) = configs.get(&key) {
            return Ok(Arc::clone(config));
        }
        let config = self.materials.server_config(key)?;
        configs.insert(key, Arc::clone(&config));
        Ok(config)
    }

    /// The OpenSSL server of [`Fault::CbcOnly`], built once and cached.
    fn cbc_only_acceptor(&self) -> Result<SslAcceptor, SimError> {
        let mut cached = self.cbc_only.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(acceptor) = cached.as_ref() {
            return Ok(acceptor.clone());
        }
        let acceptor = self.materials.cbc_only_acceptor()?;
        *cached = Some(acceptor.clone());
        Ok(acceptor)
    }

    /// The server for `fault`.
    fn server_for(&self, fault: Option<Fault>) -> Result<Server, SimError> {
        match fault {
            Some(Fault::Silent) => Ok(Server::Silent),
            Some(Fault::CbcOnly) => self.cbc_only_acceptor().map(Server::OpenSsl),
            _ => self.config_for(fault).map(Server::Rustls),
        }
    }

    pub(super) fn set_fault(&self, fault: Option<Fault>) -> Result<(), SimError> {
        self.server_for(fault)?;
        *self.fault.lock().unwrap_or_else(PoisonError::into_inner) = fault;
        Ok(())
    }

    pub(super) fn fault(&self) -> Option<Fault> {
        *self.fault.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(super) fn request_stop(&self) {
        self.stop.store(true, Ordering::SeqCst);
    }

    pub(super) fn stopping(&self) -> bool {
        self.stop.load(Ordering::SeqCst)
    }

    pub(super) fn active(&self) -> usize {
        self.active.load(Ordering::SeqCst)
    }
}

/// Counts a connection as active for as long as it lives.
struct ActiveGuard(Arc<Shared>);

impl ActiveGuard {
    fn claim(shared: &Arc<Shared>) -> Option<Self> {
        let claimed = shared
            .active
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| {
                (n < MAX_CONNECTIONS).then_some(n + 1)
            })
            .is_ok();
        claimed.then(|| ActiveGuard(Arc::clone(shared)))
    }
}

impl Drop for ActiveGuard {
    fn drop(&mut self) {
        self.0.active.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Accepts connections until the stop flag is set.
pub(super) fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    while !shared.stopping() {
        match listener.accept() {
            Ok((stream, _)) => dispatch(stream, &shared),
            // WouldBlock (nothing pending) or a transient failure such as too many open files.
            Err(_) => thread::sleep(POLL / 2),
        }
    }
}

fn dispatch(stream: TcpStream, shared: &Arc<Shared>) {
    let Some(guard) = ActiveGuard::claim(shared) else {
        // Over the cap: dropping the stream closes it.
        return;
    };
    let fault = shared.fault();
    let Ok(server) = shared.server_for(fault) else {
        return;
    };
    // If the thread cannot be spawned, the closure (guard and stream included) is dropped.
    let _ = thread::Builder::new().name("fxconfig-sim-conn".into()).spawn(move || {
        let shared = Arc::clone(&guard.0);
        serve(stream, fault, server, &shared);
        drop(guard);
    });
}

/// What answers a connection.
enum Server {
    /// Nothing: [`Fault::Silent`].
    Silent,
    /// rustls, configured for the fault.
    Rustls(Arc<ServerConfig>),
    /// OpenSSL, for what rustls cannot speak: [`Fault::CbcOnly`].
    OpenSsl(SslAcceptor),
}

fn serve(stream: TcpStream, fault: Option<Fault>, server: Server, shared: &Shared) {
    let prepared = stream
        .set_nonblocking(false)
        .and_then(|()| stream.set_read_timeout(Some(POLL)))
        .and_then(|()| stream.set_write_timeout(Some(WRITE_LIMIT)))
        .and_then(|()| stream.set_nodelay(true));
    if prepared.is_err() {
        return;
    }
    match server {
        Server::Silent => hold_silently(stream, shared),
        Server::OpenSsl(acceptor) => serve_openssl(stream, &acceptor, shared),
        Server::Rustls(config) => {
            if let Ok(tls) = ServerConnection::new(config) {
                let mut connection = Connection {
                    tls,
                    sock: stream,
                    pending: Vec::new(),
                };
                // The connection ends on any error; the client reports it from its side.
                let _ = connection.run(fault, shared);
            }
        }
    }
}

/// Serves one connection with OpenSSL: the handshake, then ECHO answers until the client
/// leaves, the connection idles out or the simulator stops.
fn serve_openssl(stream: TcpStream, acceptor: &SslAcceptor, shared: &Shared) {
    let deadline = Instant::now() + HANDSHAKE_LIMIT;
    let mut attempt = acceptor.accept(stream);
    let mut tls = loop {
        match attempt {
            Ok(tls) => break tls,
            Err(HandshakeError::WouldBlock(mid)) if !shared.stopping() && Instant::now() < deadline => {
                attempt = mid.handshake();
            }
            Err(_) => return,
        }
    };
    let mut pending = Vec::new();
    let mut chunk = [0u8; 4096];
    let mut idle_until = Instant::now() + IDLE_LIMIT;
    while !shared.stopping() && Instant::now() < idle_until {
        match frame::scan(&pending) {
            Ok(Scan::Complete(len)) => {
                let request: Vec<u8> = pending.drain(..len).collect();
                let answer = match frame::parse(&request) {
                    Ok(request) if request.command == frame::COMMAND_ECHO => echo_answer(&shared.serial),
                    Ok(request) => error_frame(&format!(
                        "command {} is not supported by the simulator",
                        request.command
                    )),
                    Err(_) => error_frame("malformed request"),
                };
                if tls.write_all(&answer).and_then(|()| tls.flush()).is_err() {
                    return;
                }
                idle_until = Instant::now() + IDLE_LIMIT;
                continue;
            }
            Ok(Scan::NeedMore) => {}
            Err(_) => {
                let _ = tls.write_all(&error_frame("malformed request"));
                let _ = tls.shutdown();
                return;
            }
        }
        match tls.ssl_read(&mut chunk) {
            Ok(0) => return,
            Ok(read) => pending.extend_from_slice(&chunk[..read]),
            Err(error) if error.code() == ErrorCode::WANT_READ => {}
            Err(_) => return,
        }
    }
}

/// Keeps the TCP connection open without sending anything, until the client
/// gives up or the simulator stops.
fn hold_silently(mut stream: TcpStream, shared: &Shared) {
    let mut sink = [0u8; 1024];
    while !shared.stopping() {
        match stream.read(&mut sink) {
            Ok(0) => return,
            Ok(_) => {}
            Err(e) if matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut) => {}
            Err(_) => return,
        }
    }
}

/// Why a connection ended; only used to unwind.
#[derive(Debug)]
struct Ended;

impl From<io::Error> for Ended {
    fn from(_: io::Error) -> Self {
        Ended
    }
}

struct Connection {
    tls: ServerConnection,
    sock: TcpStream,
    pending: Vec<u8>,
}

impl Connection {
    fn flush(&mut self) -> Result<(), Ended> {
        while self.tls.wants_write() {
            self.tls.write_tls(&mut self.sock)?;
        }
        Ok(())
    }

    /// Reads TLS records once, waiting until `deadline` while watching the stop flag.
    fn pump(&mut self, shared: &Shared, deadline: Instant) -> Result<(), Ended> {
        loop {
            if shared.stopping() || Instant::now() >= deadline {
                return Err(Ended);
            }
            match self.tls.read_tls(&mut self.sock) {
                Ok(0) => return Err(Ended),
                Ok(_) => break,
                Err(e) if matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut) => {}
                Err(_) => return Err(Ended),
            }
        }
        if self.tls.process_new_packets().is_err() {
            // Send the alert that explains the failure to the client.
            let _ = self.flush();
            return Err(Ended);
        }
        Ok(())
    }

    fn send(&mut self, bytes: &[u8]) -> Result<(), Ended> {
        self.tls.writer().write_all(bytes)?;
        self.flush()
    }

    fn close(&mut self) {
        self.tls.send_close_notify();
        // Best effort: the client may be gone already.
        let _ = self.flush();
        let _ = self.sock.shutdown(Shutdown::Both);
    }

    /// Reads the next request, keeping any bytes after it for the next call.
    /// `Ok(None)` when the bytes are not a frame.
    fn next_request(&mut self, shared: &Shared) -> Result<Option<Frame>, Ended> {
        let deadline = Instant::now() + IDLE_LIMIT;
        let mut chunk = [0u8; 4096];
        loop {
            match frame::scan(&self.pending) {
                Ok(Scan::Complete(len)) => {
                    let request: Vec<u8> = self.pending.drain(..len).collect();
                    return Ok(frame::parse(&request).ok());
                }
                Ok(Scan::NeedMore) => {}
                Err(_) => return Ok(None),
            }
            match self.tls.reader().read(&mut chunk) {
                Ok(0) => return Err(Ended),
                Ok(read) => self.pending.extend_from_slice(&chunk[..read]),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => self.pump(shared, deadline)?,
                Err(_) => return Err(Ended),
            }
        }
    }

    fn run(&mut self, fault: Option<Fault>, shared: &Shared) -> Result<(), Ended> {
        let deadline = Instant::now() + HANDSHAKE_LIMIT;
        while self.tls.is_handshaking() {
            self.flush()?;
            if !self.tls.is_handshaking() {
                break;
            }
            self.pump(shared, deadline)?;
        }
        self.flush()?;
        if fault == Some(Fault::CloseAfterHandshake) {
            self.close();
            return Ok(());
        }
        loop {
            let Some(request) = self.next_request(shared)? else {
                self.send(&error_frame("malformed request"))?;
                self.close();
                return Ok(());
            };
            let answer = match fault {
                Some(Fault::Garbage) => garbage(),
                _ if request.command != frame::COMMAND_ECHO => error_frame(&format!(
                    "command {} is not supported by the simulator",
                    request.command
                )),
                Some(Fault::EchoDisabled) => error_frame("command ECHO is not enabled"),
                Some(Fault::PermissionDenied) => status_frame(answer::STATUS_NO_PERMISSION, None),
                Some(Fault::GeneralFailure) => status_frame(answer::STATUS_FAILURE, Some(GENERAL_FAILURE_TEXT)),
                Some(Fault::Slow) => {
                    pause(shared.slow_delay, shared)?;
                    echo_answer(&shared.serial)
                }
                _ => echo_answer(&shared.serial),
            };
            self.send(&answer)?;
        }
    }
}

/// Sleeps `delay`, cut short (as an end of the connection) when the simulator stops.
fn pause(delay: Duration, shared: &Shared) -> Result<(), Ended> {
    let until = Instant::now() + delay;
    while Instant::now() < until {
        if shared.stopping() {
            return Err(Ended);
        }
        thread::sleep(POLL.min(until.saturating_duration_since(Instant::now())));
    }
    Ok(())
}

/// The answer to a plain ECHO: success, this program's version as the application
/// version, the serial number and the product name.
fn echo_answer(serial: &str) -> Vec<u8> {
    frame::encode(
        frame::COMMAND_ECHO,
        &[
            (answer::TAG_STATUS, answer::STATUS_SUCCESS),
            (answer::TAG_APPLICATION_VERSION, env!("CARGO_PKG_VERSION")),
            (answer::TAG_SERIAL, serial),
            (answer::TAG_PRODUCT, PRODUCT),
        ],
    )
}

/// An ECHO answer with the status `status` and, when given, an error text in latin-1.
fn status_frame(status: &str, error: Option<&str>) -> Vec<u8> {
    let text = error.map(latin1);
    let mut fields: Vec<(&str, &[u8])> = vec![(answer::TAG_STATUS, status.as_bytes())];
    if let Some(text) = &text {
        fields.push((answer::TAG_ERROR, text));
    }
    frame::encode_bytes(frame::COMMAND_ECHO, &fields)
}

/// `text` in latin-1; characters beyond U+00FF become `?`.
fn latin1(text: &str) -> Vec<u8> {
    text.chars()
        .map(|c| u8::try_from(u32::from(c)).unwrap_or(b'?'))
        .collect()
}

/// The error command `ERRO` with its text in `BB`.
fn error_frame(text: &str) -> Vec<u8> {
    frame::encode(frame::COMMAND_ERROR, &[(answer::TAG_MESSAGE, text)])
}

/// Random bytes that cannot be taken for a frame: the first is outside ASCII.
fn garbage() -> Vec<u8> {
    let mut bytes = vec![0u8; 64];
    let rng = ring::rand::SystemRandom::new();
    if ring::rand::SecureRandom::fill(&rng, &mut bytes).is_err() {
        bytes
            .iter_mut()
            .enumerate()
            .for_each(|(i, b)| *b = (i as u8).wrapping_mul(37));
    }
    bytes[0] |= 0x80;
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::hostapi::answer::{Judgement, Refusal, judge};

    #[test]
    fn answers_are_frames_or_clearly_not() {
        let echo = frame::parse(&echo_answer("SIM-1")).unwrap();
        assert_eq!(echo.command, "ECHO");
        assert_eq!(echo.get(answer::TAG_PRODUCT), Some(PRODUCT));
        assert_eq!(
            echo.get(answer::TAG_APPLICATION_VERSION),
            Some(env!("CARGO_PKG_VERSION"))
        );
        assert_eq!(judge(&echo), Judgement::Answered);
        let disabled = frame::parse(&error_frame("disabled")).unwrap();
        assert_eq!(judge(&disabled), Judgement::Refused(Refusal::ErrorCommand));
        assert!(frame::scan(&garbage()).is_err());
    }

    #[test]
    fn status_answers_carry_their_status_and_latin1_text() {
        assert_eq!(status_frame("P", None), b"[AOECHO;ANP;]");
        let failure = status_frame("N", Some(GENERAL_FAILURE_TEXT));
        assert!(
            failure.contains(&0xe9) && std::str::from_utf8(&failure).is_err(),
            "latin-1"
        );
        let parsed = frame::parse(&failure).unwrap();
        assert_eq!(judge(&parsed), Judgement::Refused(Refusal::GeneralFailure));
        assert_eq!(answer::error_text(&parsed), Some(GENERAL_FAILURE_TEXT));
    }
}
