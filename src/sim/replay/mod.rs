//! A simulator that behaves like a captured KMES ([`crate::capture`]), as far as a
//! simulator can: the same TLS version and cipher suite, the server's certificates issued
//! again under throwaway keys with their subjects, issuers, extensions and validity
//! ([`reissue`]), the same CertificateRequest CA names with the same verdict on the client's
//! certificate, the same alert at the same point, and the same Excrypt answer bytes after
//! the same delays, with the same ending.
//!
//! [`ReplayLab::prepare`] works out the plan and the certificates; [`ReplayLab::start`]
//! serves it on a local port, and [`ReplayLab::write_client`] writes the files a client of
//! the replay uses (a cfg, the throwaway root CA and a client PKCS#12).
//!
//! What a replay cannot re-create: name resolution and the TCP connection's fate (a run
//! that stopped there has nothing to replay), the real keys, and an alert the server sent
//! for another reason than the client's certificate.

mod reissue;
mod serve;

use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use base64ct::{Base64, Encoding};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

use crate::capture::Capture;
use crate::hostapi::observe::{AlertDirection, AlertPoint, AttemptClient, Ending, TlsAttempt};
use crate::remedy::Explain;
use crate::secret::Secret;
use reissue::KeyedCert;

/// Why a replay could not be prepared or started.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReplayError {
    /// The captured run never spoke TLS with the server.
    #[error("nothing to replay: {0}")]
    NothingToReplay(String),
    /// A captured certificate could not be read or issued again.
    #[error("could not issue the captured certificate again: {0}")]
    Certificate(String),
    /// OpenSSL refused a key, certificate or setting.
    #[error("OpenSSL refused the replay's keys or settings: {0}")]
    OpenSsl(#[source] openssl::error::ErrorStack),
    /// rustls refused the replay's certificates or settings.
    #[error("the TLS library refused the replay's certificates or settings: {0}")]
    Tls(String),
    /// The listening socket could not be opened.
    #[error("could not listen on {addr}: {source}")]
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// A file for the client could not be written.
    #[error("could not write {path}: {source}")]
    Write {
        /// The file.
        path: PathBuf,
        /// The reason.
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// A thread could not be started.
    #[error("could not start the replay's thread: {0}")]
    Spawn(#[source] std::io::Error),
}

impl Explain for ReplayError {
    fn remedy(&self) -> String {
        let text = match self {
            ReplayError::NothingToReplay(_) => {
                "Read the capture's results instead: a replay re-creates a server, and this run never reached one"
            }
            ReplayError::Certificate(_) | ReplayError::OpenSsl(_) | ReplayError::Tls(_) => {
                "The capture holds a certificate or setting the replay cannot imitate; report it with the capture"
            }
            ReplayError::Bind { .. } => "Choose another address or port, or stop whatever listens on it",
            ReplayError::Write { .. } => "Choose a folder you can write to",
            ReplayError::Spawn(_) => "The system is out of resources for threads; close other programs and retry",
        };
        text.to_owned()
    }

    fn guide_section(&self) -> Option<&'static str> {
        None
    }
}

/// How the replay answers the TLS client hello.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TlsPlan {
    /// Never send a byte (the captured server was silent).
    Silent,
    /// Close the connection at once (the captured server closed before its hello).
    CloseAtOnce,
    /// Answer the client hello with this alert (its RFC name), then close.
    AlertBeforeHello(String),
    /// rustls, with this version and suite only.
    Rustls {
        /// `TLSv1.3` or `TLSv1.2`.
        version: String,
        /// The suite's standard name.
        suite: String,
    },
    /// OpenSSL, with this version and suite only (what rustls cannot speak).
    OpenSsl {
        /// Such as `TLSv1.2` or `TLSv1`.
        version: String,
        /// The suite by OpenSSL's name.
        cipher: String,
    },
}

/// What the replay asks of the client's certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientAuthPlan {
    /// The CA names the CertificateRequest carries, DER; `None` when it asks for none.
    pub request: Option<Vec<Vec<u8>>>,
    /// Whether the client's certificate is accepted (else a CA of another key is trusted,
    /// so it is rejected the same way).
    pub accepts: bool,
    /// Whether a client without a certificate is let in.
    pub anonymous_allowed: bool,
}

/// One part of the Excrypt answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnswerPart {
    /// When to send it, in milliseconds after the request arrived.
    pub at_ms: u64,
    /// The bytes.
    pub bytes: Vec<u8>,
}

/// The whole plan of a replay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplayPlan {
    /// The TLS side.
    pub tls: TlsPlan,
    /// The client certificate's side.
    pub client_auth: ClientAuthPlan,
    /// The Excrypt answer, in parts.
    pub answer: Vec<AnswerPart>,
    /// How the exchange ends after the answer.
    pub ending: Ending,
    /// When it ends, in milliseconds after the request arrived.
    pub ended_at_ms: u64,
}

/// The longest delay a replay keeps, in milliseconds: a captured client gives up long
/// before (its time-out is at most an hour), and a later time is held to this.
const MAX_DELAY_MS: u64 = 3_600_000;

/// The attempt whose server the replay imitates: the one that completed the handshake,
/// else the first that got a server hello.
fn model_attempt(attempts: &[TlsAttempt]) -> Option<&TlsAttempt> {
    attempts
        .iter()
        .find(|attempt| attempt.established())
        .or_else(|| attempts.iter().find(|attempt| attempt.version.is_some()))
}

/// Whether rustls (with the ring provider) speaks this suite.
fn rustls_speaks(suite: &str) -> bool {
    rustls::crypto::ring::default_provider()
        .cipher_suites
        .iter()
        .any(|known| known.suite().as_str() == Some(suite))
}

fn tls_plan(capture: &Capture) -> Result<TlsPlan, ReplayError> {
    let attempts = &capture.network.tls;
    if attempts.is_empty() {
        let reason = match (&capture.network.resolve_error, &capture.network.connect) {
            (Some(error), _) => format!("the captured run stopped at name resolution ({error})"),
            (None, Some(connect)) if connect.address.is_none() => {
                format!("the captured run stopped at the TCP connection ({})", connect.outcome)
            }
            (None, None) => "the captured run did not reach the network".to_owned(),
            (None, Some(_)) => "the captured run made no TLS handshake".to_owned(),
        };
        return Err(ReplayError::NothingToReplay(reason));
    }
    if let Some(model) = model_attempt(attempts) {
        let version = model.version.clone().unwrap_or_default();
        let suite = model.cipher_suite.clone().unwrap_or_default();
        return Ok(match model.client {
            AttemptClient::Modern if rustls_speaks(&suite) => TlsPlan::Rustls { version, suite },
            _ => TlsPlan::OpenSsl {
                version,
                cipher: model.openssl_cipher.clone().unwrap_or(suite),
            },
        });
    }
    let refused = attempts.iter().find_map(|attempt| {
        attempt
            .alert
            .as_ref()
            .filter(|alert| alert.direction == AlertDirection::Received && alert.point == AlertPoint::BeforeServerHello)
    });
    Ok(match refused {
        Some(alert) => TlsPlan::AlertBeforeHello(alert.description.clone()),
        None if attempts.iter().any(|attempt| attempt.server_answered) => TlsPlan::CloseAtOnce,
        None if attempts.iter().all(|attempt| attempt.outcome.contains("timed out")) => TlsPlan::Silent,
        None => TlsPlan::CloseAtOnce,
    })
}

fn client_auth_plan(capture: &Capture) -> ClientAuthPlan {
    let request = capture
        .network
        .tls
        .iter()
        .rev()
        .find_map(|attempt| attempt.certificate_request.as_ref())
        .map(|request| {
            request
                .ca_names_der
                .iter()
                .filter_map(|name| Base64::decode_vec(name).ok())
                .collect::<Vec<_>>()
        });
    let client_auth = capture.verdict("tls.client_auth");
    let rejected = client_auth.as_ref().is_some_and(|verdict| verdict.status == "fail");
    let sent = capture
        .network
        .tls
        .iter()
        .any(|attempt| attempt.client_certificate_sent);
    ClientAuthPlan {
        accepts: !rejected,
        anonymous_allowed: !sent && !rejected,
        request,
    }
}

impl ReplayPlan {
    /// The plan that imitates the server of `capture`.
    pub fn of(capture: &Capture) -> Result<ReplayPlan, ReplayError> {
        let tls = tls_plan(capture)?;
        let (answer, ending, ended_at_ms) = match &capture.network.excrypt {
            Some(exchange) => (
                exchange
                    .received
                    .iter()
                    .filter_map(|part| {
                        Some(AnswerPart {
                            at_ms: part.at_ms.min(MAX_DELAY_MS),
                            bytes: part.decoded()?,
                        })
                    })
                    .collect(),
                exchange.ending,
                exchange.ended_at_ms.min(MAX_DELAY_MS),
            ),
            None => (Vec::new(), Ending::TimedOut, 0),
        };
        Ok(ReplayPlan {
            tls,
            client_auth: client_auth_plan(capture),
            answer,
            ending,
            ended_at_ms,
        })
    }
}

/// The certificates of a replay: the server's chain and key, the root CA a client of the
/// replay trusts, its certificate and key, and the CA the server trusts for clients.
pub struct ReplayLab {
    plan: ReplayPlan,
    server_chain: Vec<KeyedCert>,
    client_root: KeyedCert,
    client: Vec<KeyedCert>,
    trusted_for_clients: Vec<u8>,
}

impl std::fmt::Debug for ReplayLab {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReplayLab")
            .field("plan", &self.plan)
            .field("server_chain", &self.server_chain.len())
            .finish_non_exhaustive()
    }
}

fn pem_ders(pems: &[String]) -> Vec<Vec<u8>> {
    pems.iter()
        .filter_map(|text| pem::parse(text).ok())
        .map(|block| block.contents().to_vec())
        .collect()
}

/// The subject of the client certificate a replay makes when the capture holds none.
const REPLAY_CLIENT_NAME: &str = "fxconfig replay client";

/// A name (DER) with one common name.
fn common_name(text: &str) -> Result<Vec<u8>, ReplayError> {
    let mut name = openssl::x509::X509NameBuilder::new().map_err(ReplayError::OpenSsl)?;
    name.append_entry_by_nid(openssl::nid::Nid::COMMONNAME, text)
        .map_err(ReplayError::OpenSsl)?;
    name.build().to_der().map_err(ReplayError::OpenSsl)
}

impl ReplayLab {
    /// Works out the plan and issues the certificates again; `now` is the time of the
    /// replay (seconds since 1970), which moves every validity by the time since the capture.
    pub fn prepare(capture: &Capture, now: i64) -> Result<ReplayLab, ReplayError> {
        let plan = ReplayPlan::of(capture)?;
        let shift = now - capture.taken_at_unix;
        let roots = pem_ders(&capture.network.trusted_roots_pem);
        let presented = capture
            .network
            .tls
            .iter()
            .find(|attempt| !attempt.server_chain_pem.is_empty())
            .map(|attempt| pem_ders(&attempt.server_chain_pem))
            .unwrap_or_default();
        // The root a client of the replay trusts: the captured root, issued again.
        let other_root = || match roots.first() {
            Some(root) => reissue::reissue_chain(std::slice::from_ref(root), None, shift)?
                .pop()
                .ok_or_else(|| ReplayError::Certificate("the root CA".into())),
            None => reissue::throwaway_ca(&common_name("fxconfig replay root")?, None, None),
        };
        let (server_chain, client_root) = match presented.last() {
            // A server that sends its root too (OpenSSL builds the chain from its store).
            Some(top) if reissue::subject_of(top)? == reissue::issuer_of(top)? => {
                let chain = reissue::reissue_chain(&presented, None, shift)?;
                let root = match chain.last() {
                    Some(reissued) if roots.contains(top) => reissued.clone(),
                    _ => other_root()?,
                };
                (chain, root)
            }
            Some(top) => {
                // The anchor's key and the chain's keys are made at the same time.
                let (anchor, keys) = std::thread::scope(|scope| {
                    let anchor = std::thread::Builder::new()
                        .name("fxconfig-replay-anchor".into())
                        .spawn_scoped(scope, || reissue::anchor_for(top, &roots, shift));
                    let keys = reissue::keys_like(&presented);
                    let anchor = match anchor {
                        Ok(maker) => maker
                            .join()
                            .unwrap_or_else(|_| Err(ReplayError::Certificate("the anchor: its thread stopped".into()))),
                        Err(error) => Err(ReplayError::Spawn(error)),
                    };
                    (anchor, keys)
                });
                let (anchor, anchored_in_roots) = anchor?;
                let chain = reissue::reissue_with_keys(&presented, keys?, Some(&anchor), shift)?;
                let root = if anchored_in_roots { anchor } else { other_root()? };
                (chain, root)
            }
            None => {
                // The server showed no certificate: serve one from a throwaway CA.
                let root = other_root()?;
                let leaf = reissue::throwaway_client(&common_name("fxconfig replay server")?, &root)?;
                (vec![leaf], root)
            }
        };
        let captured_client = pem_ders(&capture.network.client_chain_pem);
        let client = match captured_client.last() {
            Some(top) if reissue::issuer_of(top)? == reissue::subject_of(&client_root.der)? => {
                reissue::reissue_chain(&captured_client, Some(&client_root), shift)?
            }
            Some(_) => {
                let subject = reissue::subject_of(&captured_client[0])?;
                vec![reissue::throwaway_client(&subject, &client_root)?]
            }
            None => vec![reissue::throwaway_client(
                &common_name(REPLAY_CLIENT_NAME)?,
                &client_root,
            )?],
        };
        let trusted_for_clients = if plan.client_auth.accepts {
            client_root.der.clone()
        } else {
            let name = match plan.client_auth.request.as_ref().and_then(|names| names.first()) {
                Some(name) => name.clone(),
                None => common_name("fxconfig replay: another CA")?,
            };
            reissue::throwaway_ca(&name, None, None)?.der
        };
        Ok(ReplayLab {
            plan,
            server_chain,
            client_root,
            client,
            trusted_for_clients,
        })
    }

    /// The plan.
    pub fn plan(&self) -> &ReplayPlan {
        &self.plan
    }

    /// The root CA certificate a client of the replay trusts, PEM.
    pub fn root_pem(&self) -> String {
        crate::hostapi::observe::certificate_pem(&self.client_root.der)
    }

    /// Writes, under `dir`, the files a client of a replay at `listen` uses: `root_cert.pem`,
    /// `client.p12` (protected by `password`) and `fxpkcs11.cfg` naming them, `listen` and
    /// the password; returns the cfg's path.
    pub fn write_client(&self, dir: &Path, listen: SocketAddr, password: &Secret) -> Result<PathBuf, ReplayError> {
        let write_error = |path: &Path| {
            let path = path.to_owned();
            move |source: crate::pki::PkiError| ReplayError::Write {
                path,
                source: Box::new(source),
            }
        };
        std::fs::create_dir_all(dir).map_err(|source| ReplayError::Write {
            path: dir.to_owned(),
            source: Box::new(source),
        })?;
        let root = dir.join("root_cert.pem");
        crate::pki::write_file(&root, self.root_pem().as_bytes(), false).map_err(write_error(&root))?;
        let p12 = dir.join("client.p12");
        let bytes = self.client_pkcs12(password)?;
        crate::pki::write_file(&p12, &bytes, true).map_err(write_error(&p12))?;
        let cfg = dir.join("fxpkcs11.cfg");
        let text = crate::cfg::guide_template(&crate::cfg::GuideValues {
            address: &listen.ip().to_string(),
            port: listen.port(),
            tls_ca: &root,
            tls_key: &p12,
            tls_key_pass: password.expose(),
            // No KMES user logs in to a replay; the throwaway password stands in.
            crypto_opr_pass: password.expose(),
        });
        crate::pki::write_file(&cfg, text.as_bytes(), true).map_err(write_error(&cfg))?;
        Ok(cfg)
    }

    /// Writes, under `dir`, the replay's certificates and keys in the demo's layout (its
    /// root CA and key, the server's certificate and key, the client's certificate, key and
    /// PKCS#12 file protected by `password`), for the app's demo of a replay.
    pub fn write_demo_files(&self, dir: &Path, password: &Secret) -> Result<crate::pki::DemoFiles, ReplayError> {
        let files = crate::pki::DemoFiles::in_folder(dir);
        let key_pem = |cert: &KeyedCert| cert.key.private_key_to_pem_pkcs8().map_err(ReplayError::OpenSsl);
        let server = self
            .server_chain
            .first()
            .ok_or_else(|| ReplayError::Certificate("no server certificate".into()))?;
        let client = self
            .client
            .first()
            .ok_or_else(|| ReplayError::Certificate("no client certificate".into()))?;
        let server_chain: String = self
            .server_chain
            .iter()
            .map(|cert| crate::hostapi::observe::certificate_pem(&cert.der))
            .collect();
        let writes: [(&Path, Vec<u8>, bool); 7] = [
            (&files.ca_cert, self.root_pem().into_bytes(), false),
            (&files.ca_key, key_pem(&self.client_root)?, true),
            (&files.server_cert, server_chain.into_bytes(), false),
            (&files.server_key, key_pem(server)?, true),
            (
                &files.client_cert,
                crate::hostapi::observe::certificate_pem(&client.der).into_bytes(),
                false,
            ),
            (&files.client_key, key_pem(client)?, true),
            (&files.client_p12, self.client_pkcs12(password)?, true),
        ];
        for (path, bytes, private) in writes {
            crate::pki::write_file(path, &bytes, private).map_err(|source| ReplayError::Write {
                path: path.to_owned(),
                source: Box::new(source),
            })?;
        }
        Ok(files)
    }

    /// The client identity as a PKCS#12 file protected by `password`.
    fn client_pkcs12(&self, password: &Secret) -> Result<Vec<u8>, ReplayError> {
        let invalid = |error: String| ReplayError::Certificate(format!("the client PKCS#12: {error}"));
        let leaf = self.client.first().ok_or_else(|| invalid("no certificate".into()))?;
        let key_der = leaf.key.private_key_to_pkcs8().map_err(ReplayError::OpenSsl)?;
        let key = p12_keystore::PrivateKey::from_der(&key_der).map_err(|e| invalid(e.to_string()))?;
        let mut chain = Vec::new();
        for cert in self.client.iter().map(|c| &c.der).chain([&self.client_root.der]) {
            chain.push(p12_keystore::Certificate::from_der(cert).map_err(|e| invalid(e.to_string()))?);
        }
        let entry = p12_keystore::PrivateKeyChain::new(b"fxconfig replay".as_slice(), key, chain);
        let mut store = p12_keystore::KeyStore::new();
        store.add_entry("pkcs11 client", p12_keystore::KeyStoreEntry::PrivateKeyChain(entry));
        store
            .writer(password.expose())
            .write()
            .map_err(|e| invalid(e.to_string()))
    }

    fn server_identity(&self) -> Result<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>), ReplayError> {
        let chain = self
            .server_chain
            .iter()
            .map(|cert| CertificateDer::from(cert.der.clone()))
            .collect();
        let leaf = self
            .server_chain
            .first()
            .ok_or_else(|| ReplayError::Certificate("no server certificate".into()))?;
        let key = leaf.key.private_key_to_pkcs8().map_err(ReplayError::OpenSsl)?;
        Ok((chain, PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key))))
    }

    /// Binds `listen` and serves the replay in the background.
    pub fn start(&self, listen: SocketAddr) -> Result<ReplayHandle, ReplayError> {
        let server = serve::Server::new(self)?;
        let bind_error = |source| ReplayError::Bind { addr: listen, source };
        let listener = TcpListener::bind(listen).map_err(bind_error)?;
        let addr = listener.local_addr().map_err(bind_error)?;
        listener.set_nonblocking(true).map_err(bind_error)?;
        let stop = Arc::new(AtomicBool::new(false));
        let accept_stop = Arc::clone(&stop);
        let accept = thread::Builder::new()
            .name("fxconfig-replay-accept".into())
            .spawn(move || serve::accept_loop(listener, Arc::new(server), &accept_stop))
            .map_err(ReplayError::Spawn)?;
        Ok(ReplayHandle {
            addr,
            stop,
            accept: Some(accept),
        })
    }
}

/// A running replay. Dropping it stops it.
#[derive(Debug)]
pub struct ReplayHandle {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    accept: Option<JoinHandle<()>>,
}

impl ReplayHandle {
    /// The address it listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// A switch another thread (a signal handler) can use to stop it.
    pub fn stopper(&self) -> Arc<AtomicBool> {
        Arc::clone(&self.stop)
    }

    /// Blocks until stopped through [`ReplayHandle::stopper`].
    pub fn wait(mut self) {
        if let Some(accept) = self.accept.take() {
            // A panic in the accept thread ends the wait as a stop would.
            let _ = accept.join();
        }
    }
}

impl Drop for ReplayHandle {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(accept) = self.accept.take() {
            let _ = accept.join();
        }
        // Connections notice the stop within one poll.
        thread::sleep(Duration::from_millis(60));
    }
}
