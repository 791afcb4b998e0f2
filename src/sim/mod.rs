//! A KMES simulator: a real TLS server on a local port that requires a client
//! certificate from a given CA and answers the Excrypt ECHO, with
//! [fault modes](Fault) that imitate the ways a real setup goes wrong.
//!
//! It speaks the Excrypt dialect [`crate::hostapi::answer`] reads (not yet confirmed on a
//! device): `[AOECHO;ANY;BC…;SN…;PN…;]` to an ECHO, with the status `Y`,
//! this program's version as the application version and the product name [`PRODUCT`],
//! and `[AOERRO;BB…;]` to anything it refuses.
//!
//! [`start`] binds, spawns an accept thread and returns at once. Every
//! connection gets its own thread, at most [`MAX_CONNECTIONS`] at a time. The
//! fault can be switched while running ([`SimHandle::set_fault`]); it applies to
//! connections accepted afterwards.
//!
//! [`replay`] is the other simulator: one that behaves like the KMES of a capture.

mod certs;
mod faults;
pub mod replay;
mod server;

use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

pub use faults::{FAULTS, Fault, FaultSpec, UnknownFault};
pub use server::{GENERAL_FAILURE_TEXT, MAX_CONNECTIONS, PRODUCT};

use crate::pki::PkiError;
use crate::remedy::Explain;

/// The delay of [`Fault::Slow`] unless told otherwise.
pub const DEFAULT_SLOW_DELAY: Duration = Duration::from_secs(3);

/// How to run the simulator.
#[derive(Debug, Clone)]
pub struct SimOptions {
    /// The address to listen on, such as `127.0.0.1:0` for any free port.
    pub listen: SocketAddr,
    /// The CA that client certificates must chain to, PEM. With [`SimOptions::ca_key`]
    /// it is also the CA that re-issues the server certificate for [`Fault::ExpiredCert`].
    pub ca: PathBuf,
    /// The server certificate chain, PEM, end entity first.
    pub cert: PathBuf,
    /// The server private key, PEM (PKCS#8, PKCS#1 or SEC1).
    pub key: PathBuf,
    /// The private key of the CA in [`SimOptions::ca`], PEM (PKCS#8); needed by [`Fault::ExpiredCert`] only.
    pub ca_key: Option<PathBuf>,
    /// The fault to start with; `None` behaves like a healthy KMES.
    pub fault: Option<Fault>,
    /// How long [`Fault::Slow`] waits before answering.
    pub slow_delay: Duration,
}

impl SimOptions {
    /// Options for a healthy simulator on `listen` with the given files.
    pub fn new(listen: SocketAddr, ca: PathBuf, cert: PathBuf, key: PathBuf) -> Self {
        SimOptions {
            listen,
            ca,
            cert,
            key,
            ca_key: None,
            fault: None,
            slow_delay: DEFAULT_SLOW_DELAY,
        }
    }
}

/// Why the simulator could not start or switch faults.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SimError {
    /// A file could not be read.
    #[error("could not read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// A file is not valid PEM or holds no item of the expected kind.
    #[error("{path} is not usable PEM: {source}")]
    Pem {
        /// The file.
        path: PathBuf,
        /// The PEM parser's error.
        source: rustls::pki_types::pem::Error,
    },
    /// A certificate file holds no certificate.
    #[error("{path} holds no certificate")]
    NoCertificate {
        /// The file.
        path: PathBuf,
    },
    /// [`Fault::ExpiredCert`] or [`Fault::GuideCert`] was asked for without the CA key.
    #[error(
        "the expired-cert and guide-cert faults need the CA private key (--ca-key) to re-issue the server certificate"
    )]
    CaKeyRequired,
    /// The CA key or CA certificate cannot be used for signing.
    #[error("cannot sign with the CA from {path}: {source}")]
    CaKey {
        /// The file at fault.
        path: PathBuf,
        /// The certificate library's error.
        source: rcgen::Error,
    },
    /// The CA key does not belong to the CA certificate.
    #[error("the key in {key} does not belong to the CA certificate in {ca}")]
    CaKeyMismatch {
        /// The CA certificate file.
        ca: PathBuf,
        /// The key file.
        key: PathBuf,
    },
    /// A throwaway certificate for a fault could not be made.
    #[error("could not make a certificate for the fault: {0}")]
    Pki(#[from] PkiError),
    /// The server certificate, key or CA was refused by the TLS library.
    #[error("the TLS library refused the certificates: {0}")]
    Tls(#[source] rustls::Error),
    /// OpenSSL, which serves [`Fault::CbcOnly`], refused the certificates or settings.
    #[error("OpenSSL refused the certificates or settings of the cbc-only fault: {0}")]
    OpenSsl(#[source] openssl::error::ErrorStack),
    /// The client CA cannot be used to verify client certificates.
    #[error("the client CA cannot verify client certificates: {0}")]
    ClientVerifier(#[source] rustls::server::VerifierBuilderError),
    /// The listening socket could not be opened.
    #[error("could not listen on {addr}: {source}")]
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// A thread could not be started.
    #[error("could not start the simulator thread: {0}")]
    Spawn(#[source] std::io::Error),
    /// A fault was asked of a replay of a capture, which behaves as the captured KMES did.
    #[error("a replay of a capture has no faults to switch: it behaves as the captured KMES did")]
    Replaying,
}

impl Explain for SimError {
    fn remedy(&self) -> String {
        let text = match self {
            SimError::Read { .. } => "Check the path and the file's permissions.",
            SimError::Pem { .. } | SimError::NoCertificate { .. } => {
                "Give PEM files: certificates as CERTIFICATE blocks, keys as PRIVATE KEY, RSA PRIVATE KEY or EC PRIVATE KEY."
            }
            SimError::CaKeyRequired => {
                "Pass the CA private key with --ca-key (the demo PKI writes it), or pick another fault."
            }
            SimError::CaKey { .. } | SimError::CaKeyMismatch { .. } => {
                "Give the PKCS#8 private key that belongs to the CA certificate passed as the client CA."
            }
            SimError::Pki(_) => "Try again; if it keeps failing, report the error.",
            SimError::Tls(_) => {
                "Check that the server key belongs to the server certificate and that both are ECDSA, Ed25519 or RSA."
            }
            SimError::ClientVerifier(_) => "Give a valid CA certificate as the client CA.",
            SimError::OpenSsl(_) => {
                "Check that the server key belongs to the server certificate (RSA or ECDSA) and that the client CA is a certificate."
            }
            SimError::Bind { .. } => "Choose another port, or stop whatever already listens on it.",
            SimError::Spawn(_) => "The system is out of resources for threads; close other programs and retry.",
            SimError::Replaying => "Run fxconfig demo without --replay to switch faults.",
        };
        text.to_owned()
    }

    fn guide_section(&self) -> Option<&'static str> {
        match self {
            SimError::Pem { .. } | SimError::NoCertificate { .. } | SimError::Tls(_) | SimError::ClientVerifier(_) => {
                Some("3.1")
            }
            _ => None,
        }
    }
}

/// A stop switch for a running simulator that can be handed to another thread,
/// such as a signal handler while the CLI blocks in [`SimHandle::wait`].
#[derive(Clone)]
pub struct SimStopper(Arc<server::Shared>);

impl std::fmt::Debug for SimStopper {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimStopper").finish_non_exhaustive()
    }
}

impl SimStopper {
    /// Asks the simulator to stop; returns at once.
    pub fn stop(&self) {
        self.0.request_stop();
    }
}

/// A running simulator. Dropping it shuts it down.
pub struct SimHandle {
    addr: SocketAddr,
    shared: Arc<server::Shared>,
    accept: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for SimHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimHandle")
            .field("addr", &self.addr)
            .field("fault", &self.shared.fault())
            .finish_non_exhaustive()
    }
}

/// How long shutting down waits for open connections to notice.
const DRAIN_LIMIT: Duration = Duration::from_secs(2);

impl SimHandle {
    /// The address the simulator listens on (with the actual port when 0 was asked for).
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// The current fault.
    pub fn fault(&self) -> Option<Fault> {
        self.shared.fault()
    }

    /// Switches the fault for connections accepted from now on. Fails, leaving
    /// the fault unchanged, when the fault cannot be set up (such as
    /// [`Fault::ExpiredCert`] without the CA key).
    pub fn set_fault(&self, fault: Option<Fault>) -> Result<(), SimError> {
        self.shared.set_fault(fault)
    }

    /// The number of connections being served right now.
    pub fn active_connections(&self) -> usize {
        self.shared.active()
    }

    /// A switch another thread can use to stop the simulator.
    pub fn stopper(&self) -> SimStopper {
        SimStopper(Arc::clone(&self.shared))
    }

    /// Stops accepting, closes the listening socket and waits briefly for open
    /// connections to end.
    pub fn shutdown(mut self) {
        self.stop_and_join();
    }

    /// Blocks until the simulator is stopped through a [`SimStopper`].
    pub fn wait(mut self) {
        if let Some(accept) = self.accept.take() {
            // A panic in the accept thread ends the wait as a stop would.
            let _ = accept.join();
        }
        self.stop_and_join();
    }

    fn stop_and_join(&mut self) {
        self.shared.request_stop();
        if let Some(accept) = self.accept.take() {
            let _ = accept.join();
        }
        let until = Instant::now() + DRAIN_LIMIT;
        while self.shared.active() > 0 && Instant::now() < until {
            thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for SimHandle {
    fn drop(&mut self) {
        self.stop_and_join();
    }
}

/// Loads the files, binds `options.listen` and starts serving in the background.
pub fn start(options: SimOptions) -> Result<SimHandle, SimError> {
    let materials = certs::Materials::load(&options)?;
    let shared = Arc::new(server::Shared::new(materials, options.fault, options.slow_delay)?);
    let bind_error = |source| SimError::Bind {
        addr: options.listen,
        source,
    };
    let listener = TcpListener::bind(options.listen).map_err(bind_error)?;
    let addr = listener.local_addr().map_err(bind_error)?;
    listener.set_nonblocking(true).map_err(bind_error)?;
    let accept_shared = Arc::clone(&shared);
    let accept = thread::Builder::new()
        .name("fxconfig-sim-accept".into())
        .spawn(move || server::accept_loop(listener, accept_shared))
        .map_err(SimError::Spawn)?;
    Ok(SimHandle {
        addr,
        shared,
        accept: Some(accept),
    })
}
