//! Peers on loopback: free ports, and `openssl s_server` as a TLS server nobody here wrote.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

/// A loopback port nothing listens on right now.
pub fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("address").port()
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

    /// `openssl s_server` as a KMES of `lab`'s CA: it serves `cert` and `key` and requires a
    /// client certificate from the lab's CA.
    pub fn requiring_client_cert(
        lab: &crate::support::lab::Lab,
        cert: &std::path::Path,
        key: &std::path::Path,
    ) -> Self {
        let arg = |p: &std::path::Path| p.display().to_string();
        SServer::start(&[
            "-Verify",
            "1",
            "-verify_return_error",
            "-CAfile",
            &arg(&lab.files.ca_cert),
            "-cert",
            &arg(cert),
            "-key",
            &arg(key),
        ])
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
