//! The network side of the Host API, simulator and doctor tests: a lab's TLS materials, a
//! probe that runs the client steps, a scripted TLS peer, and the check of a failure's
//! stage, kind, remedy and guide section.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use fxconfig::hostapi::{self, EchoReply, ErrorKind, HostApiError, Stage, TlsMaterials, TlsSession};
use fxconfig::pki::{IssuedCert, write_file};
use fxconfig::remedy::{Explain, cause_chain};
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

use crate::support::lab::Lab;

/// The timeout used where a test does not measure timing.
pub const TIMEOUT: Duration = Duration::from_secs(5);

/// The certificate of `cert` as rustls takes it.
pub fn cert_der(cert: &IssuedCert) -> CertificateDer<'static> {
    CertificateDer::from(cert.cert_der.clone())
}

/// The private key of `cert` as rustls takes it.
pub fn key_der(cert: &IssuedCert) -> PrivateKeyDer<'static> {
    PrivateKeyDer::Pkcs8(cert.key_der.clone().into())
}

impl Lab {
    /// Writes an extra file into the lab's folder.
    pub fn write(&self, name: &str, contents: &str) -> PathBuf {
        let path = self.dir.path().join(name);
        write_file(&path, contents.as_bytes(), false).expect("write file");
        path
    }

    /// Trusts the CA and presents the client certificate.
    pub fn materials(&self) -> TlsMaterials {
        TlsMaterials {
            roots: vec![cert_der(&self.ca.cert)],
            client: Some((vec![cert_der(&self.client)], key_der(&self.client))),
        }
    }

    /// Trusts the CA, presents no client certificate.
    pub fn materials_without_client(&self) -> TlsMaterials {
        TlsMaterials {
            roots: vec![cert_der(&self.ca.cert)],
            client: None,
        }
    }
}

/// Connects and shakes hands with `addr`, checking the certificate for `server_name`.
pub fn open(
    addr: SocketAddr,
    server_name: &str,
    materials: &TlsMaterials,
    timeout: Duration,
) -> Result<TlsSession, HostApiError> {
    let tcp = hostapi::connect(&[addr], timeout)?;
    hostapi::handshake(tcp, server_name, materials, timeout)
}

/// Connects, shakes hands and sends an ECHO.
pub fn probe(
    addr: SocketAddr,
    server_name: &str,
    materials: &TlsMaterials,
    timeout: Duration,
) -> Result<(TlsSession, EchoReply), HostApiError> {
    let mut session = open(addr, server_name, materials, timeout)?;
    let reply = hostapi::echo(&mut session, timeout)?;
    Ok((session, reply))
}

/// A one-connection TLS server (no client authentication) that answers the
/// first request with `answer` and then keeps the connection open until the
/// client leaves (at most 20 s).
pub fn scripted_server(lab: &Lab, answer: Vec<u8>) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("address");
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_no_client_auth()
        .with_single_cert(vec![cert_der(&lab.server)], key_der(&lab.server))
        .expect("server config");
    thread::spawn(move || {
        let Ok((tcp, _)) = listener.accept() else {
            return;
        };
        tcp.set_read_timeout(Some(Duration::from_secs(20))).ok();
        let conn = rustls::ServerConnection::new(Arc::new(config)).expect("connection");
        let mut stream = rustls::StreamOwned::new(conn, tcp);
        let mut request = Vec::new();
        let mut byte = [0u8; 1];
        while !request.ends_with(b"]") {
            match stream.read(&mut byte) {
                Ok(1) => request.push(byte[0]),
                _ => return,
            }
        }
        if stream.write_all(&answer).and_then(|()| stream.flush()).is_err() {
            return;
        }
        let mut rest = [0u8; 256];
        while matches!(stream.read(&mut rest), Ok(n) if n > 0) {}
    });
    addr
}

/// Runs `f` and returns its result with the time it took.
pub fn timed<T>(f: impl FnOnce() -> T) -> (T, Duration) {
    let start = Instant::now();
    let value = f();
    (value, start.elapsed())
}

/// Fails the test with the error's whole chain when `result` is an error.
pub fn ok<T>(result: Result<T, HostApiError>) -> T {
    result.unwrap_or_else(|e| panic!("unexpected failure: {}", cause_chain(&e)))
}

/// The error of `result`, failing the test when it succeeded.
pub fn err<T: std::fmt::Debug>(result: Result<T, HostApiError>) -> HostApiError {
    match result {
        Ok(value) => panic!("expected a failure, got {value:?}"),
        Err(e) => e,
    }
}

/// Asserts that `error` happened at `stage` for the reason `kind`, and that it carries a
/// remedy and a guide section.
#[track_caller]
pub fn assert_failure(error: &HostApiError, stage: Stage, kind: ErrorKind) {
    assert_eq!(
        (error.stage(), error.kind()),
        (stage, &kind),
        "got {}",
        cause_chain(error)
    );
    assert!(!error.remedy().is_empty(), "no remedy for {}", cause_chain(error));
    assert!(
        error.guide_section().is_some(),
        "no guide section for {}",
        cause_chain(error)
    );
}
