//! Shared helpers for the Host API and simulator tests: a throwaway PKI written
//! to a temporary folder, a probe that runs the client steps, a scripted TLS
//! peer, and an `openssl s_server` wrapper.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::Arc;
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use fxconfig::hostapi::{self, EchoReply, HostApiError, TlsMaterials, TlsSession};
use fxconfig::pki::{Authority, IssuedCert, Lifetime, write_file};
use fxconfig::sim::{Fault, SimHandle, SimOptions};
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tempfile::TempDir;

/// The timeout used where a test does not measure timing.
pub const TIMEOUT: Duration = Duration::from_secs(5);

/// A CA, a server certificate for localhost and 127.0.0.1, a client
/// certificate, and an unrelated CA with its own server certificate, all
/// written as PEM files into a temporary folder.
pub struct TestPki {
    pub dir: TempDir,
    pub ca: Authority,
    pub ca_pem: PathBuf,
    pub ca_key: PathBuf,
    pub server: IssuedCert,
    pub server_cert: PathBuf,
    pub server_key: PathBuf,
    pub client: IssuedCert,
    pub client_cert: PathBuf,
    pub client_key: PathBuf,
    pub other_ca: Authority,
    pub other_ca_pem: PathBuf,
    pub other_server_cert: PathBuf,
    pub other_server_key: PathBuf,
}

pub fn cert_der(cert: &IssuedCert) -> CertificateDer<'static> {
    CertificateDer::from(cert.cert_der.clone())
}

pub fn key_der(cert: &IssuedCert) -> PrivateKeyDer<'static> {
    PrivateKeyDer::Pkcs8(cert.key_der.clone().into())
}

impl TestPki {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().expect("temporary folder");
        let ca = Authority::new("Test TLS CA Root").expect("CA");
        let server = ca
            .issue_server(&["localhost", "127.0.0.1"], Lifetime::valid_for(30))
            .expect("server cert");
        let client = ca
            .issue_client("PKCS #11 Client", Lifetime::valid_for(30))
            .expect("client cert");
        let other_ca = Authority::new("Unrelated CA").expect("other CA");
        let other_server = other_ca
            .issue_server(&["localhost", "127.0.0.1"], Lifetime::valid_for(30))
            .expect("other server cert");
        let write = |name: &str, contents: &str, private: bool| {
            let path = dir.path().join(name);
            write_file(&path, contents.as_bytes(), private).expect("write PEM");
            path
        };
        TestPki {
            ca_pem: write("ca.pem", &ca.cert.cert_pem, false),
            ca_key: write("ca.key", &ca.cert.key_pem, true),
            server_cert: write("server.pem", &server.cert_pem, false),
            server_key: write("server.key", &server.key_pem, true),
            client_cert: write("client.pem", &client.cert_pem, false),
            client_key: write("client.key", &client.key_pem, true),
            other_ca_pem: write("other_ca.pem", &other_ca.cert.cert_pem, false),
            other_server_cert: write("other_server.pem", &other_server.cert_pem, false),
            other_server_key: write("other_server.key", &other_server.key_pem, true),
            dir,
            ca,
            server,
            client,
            other_ca,
        }
    }

    /// Writes an extra file into the PKI folder.
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

    /// Simulator options on a free loopback port, with the CA key available.
    pub fn sim_options(&self, fault: Option<Fault>) -> SimOptions {
        let mut options = SimOptions::new(
            "127.0.0.1:0".parse().expect("address"),
            self.ca_pem.clone(),
            self.server_cert.clone(),
            self.server_key.clone(),
        );
        options.ca_key = Some(self.ca_key.clone());
        options.fault = fault;
        options
    }

    pub fn start_sim(&self, fault: Option<Fault>) -> SimHandle {
        fxconfig::sim::start(self.sim_options(fault)).expect("simulator starts")
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

/// A loopback port nothing listens on right now.
pub fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("address").port()
}

/// A one-connection TLS server (no client authentication) that answers the
/// first request with `answer` and then keeps the connection open until the
/// client leaves (at most 20 s).
pub fn scripted_server(pki: &TestPki, answer: Vec<u8>) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("address");
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_no_client_auth()
        .with_single_cert(vec![cert_der(&pki.server)], key_der(&pki.server))
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

/// `openssl s_server` on a free loopback port, killed when dropped.
pub struct SServer {
    child: Child,
    pub addr: SocketAddr,
    stdin: Option<ChildStdin>,
}

impl SServer {
    /// Starts `openssl s_server -accept 127.0.0.1:<port> -naccept 1 <args>` and
    /// waits until it listens. Its standard input stays open (and is sent to
    /// the client in plain mode) until [`SServer::send`] or drop.
    pub fn start(args: &[&str]) -> Self {
        for _attempt in 0..3 {
            let port = free_port();
            let mut child = Command::new("openssl")
                .arg("s_server")
                .arg("-accept")
                .arg(format!("127.0.0.1:{port}"))
                .args(["-naccept", "1"])
                .args(args)
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("openssl s_server runs");
            let stdout = child.stdout.take().expect("stdout");
            let (ready_tx, ready_rx) = mpsc::channel();
            thread::spawn(move || {
                for line in BufReader::new(stdout).lines() {
                    let Ok(line) = line else { break };
                    if line.trim() == "ACCEPT" {
                        let _ = ready_tx.send(());
                    }
                }
            });
            if ready_rx.recv_timeout(Duration::from_secs(10)).is_ok() {
                let stdin = child.stdin.take();
                return SServer {
                    child,
                    addr: SocketAddr::from(([127, 0, 0, 1], port)),
                    stdin,
                };
            }
            // The port was taken in between, or openssl failed: show why and retry.
            let _ = child.kill();
            let mut stderr = String::new();
            if let Some(mut err) = child.stderr.take() {
                let _ = err.read_to_string(&mut stderr);
            }
            let _ = child.wait();
            eprintln!("s_server did not start: {stderr}");
        }
        panic!("openssl s_server did not start");
    }

    /// Writes `text` to the server's standard input (sent to the client in plain mode).
    pub fn send(&mut self, text: &[u8]) {
        let stdin = self.stdin.as_mut().expect("stdin open");
        stdin.write_all(text).expect("write to s_server");
        stdin.flush().expect("flush s_server stdin");
    }
}

impl Drop for SServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs `f` and returns its result with the time it took.
pub fn timed<T>(f: impl FnOnce() -> T) -> (T, Duration) {
    let start = Instant::now();
    let value = f();
    (value, start.elapsed())
}

/// Fails the test with the error's whole chain when `result` is an error.
pub fn ok<T>(result: Result<T, HostApiError>) -> T {
    result.unwrap_or_else(|e| panic!("unexpected failure: {}", fxconfig::remedy::cause_chain(&e)))
}

/// The error of `result`, failing the test when it succeeded.
pub fn err<T: std::fmt::Debug>(result: Result<T, HostApiError>) -> HostApiError {
    match result {
        Ok(value) => panic!("expected a failure, got {value:?}"),
        Err(e) => e,
    }
}
