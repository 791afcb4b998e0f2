//! The PKCS#12 client identity exported from the KMES ([3.1.7]): the PKCS #11
//! client certificate, its chain and its private key.

use std::fmt;
use std::path::Path;
use std::sync::mpsc;
use std::time::Duration;

use p12_keystore::Pkcs12Archive;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use serde::Serialize;
use x509_parser::prelude::FromDer;
use zeroize::Zeroizing;

use super::certinfo::{CertInfo, parse_certificate};
use super::der::{
    NamedCurve, OID_EC_PUBLIC_KEY, OID_ED25519, OID_RSA_ENCRYPTION, TAG_OID, TAG_SEQUENCE, children, expect,
    oid_to_dotted,
};
use super::error::{IdentityError, Material};
use super::scan::{self, Protection};
use crate::secret::Secret;

/// The client identity of a PKCS#12 file: certificate chain and private key.
///
/// Its `Debug` output and its JSON form (serde) leave the private key out.
#[derive(Clone, Serialize)]
pub struct ClientIdentity {
    /// The client certificate first, then its issuers found in the file, in order
    /// (certificates of the file unrelated to the client certificate are left out).
    pub chain: Vec<CertInfo>,
    /// The private key's type: "RSA", "ECDSA P-256", "ECDSA P-384" or "Ed25519".
    pub key_type: String,
    /// How the file is protected, one line per part and scheme, such as
    /// `certificates: PBES2 (PBKDF2 hmacWithSHA256, AES-256-CBC)`,
    /// `private key: pbeWithSHA1And3-KeyTripleDES-CBC` and `MAC: HMAC-SHA256`.
    pub encryption: Vec<String>,
    /// The private key, PKCS#8 DER; wiped from memory on drop.
    #[serde(skip)]
    key: Zeroizing<Vec<u8>>,
}

impl fmt::Debug for ClientIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientIdentity")
            .field("chain", &self.chain)
            .field("key_type", &self.key_type)
            .field("encryption", &self.encryption)
            .field("key", &"<redacted>")
            .finish()
    }
}

impl ClientIdentity {
    /// The client certificate.
    ///
    /// # Panics
    ///
    /// If the caller emptied [`ClientIdentity::chain`]; [`parse_p12`] never builds
    /// an identity without its client certificate.
    pub fn leaf(&self) -> &CertInfo {
        &self.chain[0]
    }

    /// The chain for rustls (`with_client_auth_cert`), client certificate first.
    pub fn rustls_chain(&self) -> Vec<CertificateDer<'static>> {
        self.chain
            .iter()
            .map(|cert| CertificateDer::from(cert.der.clone()))
            .collect()
    }

    /// A copy of the private key for rustls. The copy is not wiped on drop; keep it
    /// only as long as the TLS configuration needs it.
    pub fn rustls_key(&self) -> PrivateKeyDer<'static> {
        PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(self.key.to_vec()))
    }
}

/// Opens a PKCS#12 file's bytes with its password.
///
/// Reads PBES2 files such as OpenSSL 3 writes by default (PBKDF2 with HMAC-SHA2, AES),
/// PBES2 with DES-EDE3-CBC (`openssl pkcs12 -keypbe DES-EDE3-CBC`) or with the
/// hmacWithSHA1 PRF (older exporters), and the legacy `pbeWithSHA1And40BitRC2-CBC` and
/// `pbeWithSHA1And3-KeyTripleDES-CBC` schemes of `openssl pkcs12 -legacy` and older
/// tools. The client certificate is the one whose public key matches the private
/// key, checked with *ring*, so a key that does not belong to the certificate is
/// reported as [`IdentityError::KeyMismatch`].
///
/// Before any key derivation, the iterations the file asks for (its MAC and every
/// encrypted part visible without the password) are summed and a file asking for more
/// than about a second of work is refused ([`IdentityError::TooCostly`]). Parts hidden
/// inside an encrypted part only show once it is decrypted; [`load_p12_within`] bounds
/// those by time.
pub fn parse_p12(bytes: &[u8], password: &Secret) -> Result<ClientIdentity, IdentityError> {
    let protection = scan::scan(bytes);
    let work = protection.work();
    if work > scan::MAX_WORK {
        return Err(IdentityError::TooCostly {
            work,
            limit: scan::MAX_WORK,
        });
    }
    if let Some(problem) = protection.first_malformed() {
        return Err(IdentityError::BadPkcs12 {
            reason: problem,
            source: None,
        });
    }
    let archive = read_archive(bytes, password)
        .ok_or_else(|| IdentityError::BadPkcs12 {
            reason: "its encrypted contents are malformed".into(),
            source: None,
        })?
        .map_err(|error| classify_p12_error(error, bytes, &protection))?;
    if protection.mac.is_none() && !password.is_empty() {
        return Err(IdentityError::BadPkcs12 {
            reason: "it has no MAC (integrity check), and fxpkcs11's OpenSSL (PKCS12_parse) refuses a file without one when a password is set ('mac absent')".into(),
            source: None,
        });
    }
    if archive.keys.is_empty() {
        return Err(IdentityError::NoPrivateKey);
    }
    if archive.certs.is_empty() {
        return Err(IdentityError::NoCertificateInP12);
    }
    let certs = archive
        .certs
        .iter()
        .enumerate()
        .map(|(index, bag)| {
            CertInfo::from_der(bag.cert.as_der()).map_err(|error| IdentityError::BadPkcs12 {
                reason: format!("certificate no. {} in the file cannot be read: {error}", index + 1),
                source: None,
            })
        })
        .collect::<Result<Vec<_>, _>>()?;

    let mut first_problem: Option<IdentityError> = None;
    for key_bag in &archive.keys {
        let key = Zeroizing::new(key_bag.key.as_der().to_vec());
        let key_type = private_key_type(&key);
        let public_key = match public_key_of(&key, &key_type) {
            Ok(public_key) => public_key,
            Err(problem) => {
                first_problem.get_or_insert(problem);
                continue;
            }
        };
        if let Some(leaf) = certs
            .iter()
            .position(|cert| spki_bits(&cert.der).as_deref() == Some(&public_key[..]))
        {
            return Ok(ClientIdentity {
                chain: issuer_chain(&certs, leaf),
                key_type,
                encryption: protection.summary(),
                key,
            });
        }
    }
    Err(first_problem.unwrap_or_else(|| {
        let expected = expected_leaf(&archive, &certs);
        IdentityError::KeyMismatch {
            subject: expected.subject.clone(),
        }
    }))
}

/// How long opening a PKCS#12 file may take when no other limit is given.
pub const P12_TIME_LIMIT: Duration = Duration::from_secs(10);

/// Runs the PKCS#12 reader; `None` when it panicked. Its PKCS#5 decoder (pkcs5 0.8.1) slices
/// a DES IV without checking its length; the parts [`scan::scan`] can see are checked
/// beforehand, but parts nested inside encrypted contents are only seen by the reader once it
/// has decrypted them, so that panic is caught, silently: see [`quiet_panic`].
fn read_archive(bytes: &[u8], password: &Secret) -> Option<Result<Pkcs12Archive, p12_keystore::error::Error>> {
    quiet_panic::catch(|| Pkcs12Archive::from_pkcs12(bytes, password.expose()))
}

/// Catching a dependency's panic without its message reaching the terminal.
///
/// The panic hook is process-wide, so it is not swapped around the call (another thread
/// panicking meanwhile would lose its message, or the swap would race). Instead one hook is
/// installed, once, in front of whichever hook was there: it stays silent for a panic on a
/// thread that is inside [`catch`] and hands every other panic on unchanged.
mod quiet_panic {
    use std::cell::Cell;
    use std::panic::{self, UnwindSafe};
    use std::sync::Once;

    thread_local! {
        /// Whether this thread is inside [`catch`].
        static CATCHING: Cell<bool> = const { Cell::new(false) };
    }

    static INSTALL: Once = Once::new();

    /// Runs `work`; `None` when it panicked, with nothing printed for that panic.
    pub(super) fn catch<T>(work: impl FnOnce() -> T + UnwindSafe) -> Option<T> {
        INSTALL.call_once(|| {
            let previous = panic::take_hook();
            panic::set_hook(Box::new(move |info| {
                if !CATCHING.with(Cell::get) {
                    previous(info);
                }
            }));
        });
        let outer = CATCHING.with(|catching| catching.replace(true));
        let result = panic::catch_unwind(work);
        CATCHING.with(|catching| catching.set(outer));
        result.ok()
    }
}

/// Opens a PKCS#12 file (a regular file of at most 16 MiB) with its password; see
/// [`parse_p12`].
pub fn load_p12(path: &Path, password: &Secret) -> Result<ClientIdentity, IdentityError> {
    let bytes = read_p12(path)?;
    parse_p12(&bytes, password)
}

fn read_p12(path: &Path) -> Result<Zeroizing<Vec<u8>>, IdentityError> {
    let material = Material::ClientIdentity;
    crate::files::read_regular(path, crate::files::limits::CERT_MAX_BYTES, material.file_kind())
        .map_err(|error| IdentityError::reading(material, error))
}

/// Opens a PKCS#12 file as [`load_p12`] does, giving up after `limit`
/// ([`IdentityError::TimedOut`]). The decryption runs on a worker thread that cannot
/// be interrupted; when the limit passes it is left to finish on its own, its result
/// discarded.
pub fn load_p12_within(path: &Path, password: &Secret, limit: Duration) -> Result<ClientIdentity, IdentityError> {
    let bytes = read_p12(path)?;
    let (sender, receiver) = mpsc::sync_channel(1);
    let worker_password = password.clone();
    let started = std::thread::Builder::new()
        .name("fxconfig-p12".to_owned())
        .spawn(move || {
            let _ = sender.send(parse_p12(&bytes, &worker_password));
        });
    if started.is_err() {
        // No thread could be started: open it here, still bounded by the work limit.
        return load_p12(path, password);
    }
    receiver.recv_timeout(limit).unwrap_or(Err(IdentityError::TimedOut {
        seconds: limit.as_secs().max(1),
    }))
}

/// Maps the PKCS#12 reader's error to what the administrator needs to know.
///
/// p12-keystore 0.4.1 verifies the MAC first and reports a wrong password as
/// `Error::MacError`. An unknown encryption or MAC algorithm is
/// `Error::UnsupportedEncryptionScheme` (without naming it), while a PBES2 cipher or
/// PRF its PKCS#5 backend lacks surfaces as `Error::DerError` or `Error::Pkcs5Error`;
/// so the scheme is taken from our own scan of the file. In a file without MAC,
/// a wrong password shows up as a padding error (`UnpadError`, `Pkcs5Error`) or as
/// garbage instead of a PKCS#8 key (`InvalidPrivateKey`).
fn classify_p12_error(error: p12_keystore::error::Error, bytes: &[u8], protection: &Protection) -> IdentityError {
    use p12_keystore::error::Error as P12;
    if matches!(error, P12::MacError(_)) {
        return IdentityError::WrongPassword;
    }
    if let Some(problem) = scan::outer_problem(bytes) {
        return IdentityError::BadPkcs12 {
            reason: problem,
            source: Some(error),
        };
    }
    if let Some(scheme) = protection.first_unsupported() {
        return IdentityError::UnsupportedEncryption {
            scheme: scheme.describe(),
            source: error,
        };
    }
    match error {
        P12::UnsupportedEncryptionScheme | P12::UnsupportedMacAlgorithm => IdentityError::UnsupportedEncryption {
            scheme: "an unrecognised scheme".into(),
            source: error,
        },
        P12::UnpadError | P12::Pkcs5Error(_) | P12::InvalidPrivateKey if protection.mac.is_none() => {
            IdentityError::WrongPassword
        }
        P12::UnpadError | P12::Pkcs5Error(_) | P12::InvalidPrivateKey => IdentityError::BadPkcs12 {
            reason: "the password passes the integrity check but does not decrypt the contents".into(),
            source: Some(error),
        },
        P12::InvalidParameters => IdentityError::BadPkcs12 {
            reason: "its encryption parameters are invalid or too costly (such as over 1,000,000 iterations)".into(),
            source: Some(error),
        },
        P12::InvalidVersion => IdentityError::BadPkcs12 {
            reason: "unsupported version".into(),
            source: Some(error),
        },
        P12::UnsupportedContentType => IdentityError::BadPkcs12 {
            reason: "it uses a content type other than password-protected data".into(),
            source: Some(error),
        },
        other => IdentityError::BadPkcs12 {
            reason: "its contents are malformed".into(),
            source: Some(other),
        },
    }
}

/// PrivateKeyInfo ::= SEQUENCE { version, AlgorithmIdentifier ::= SEQUENCE { OID, parameters }, … }
fn pkcs8_algorithm(key: &[u8]) -> Option<(String, Option<String>)> {
    let (info, _) = expect(key, TAG_SEQUENCE)?;
    let mut items = children(info);
    let _version = items.next()?;
    let algorithm = items.next().filter(|item| item.tag == TAG_SEQUENCE)?;
    let mut algorithm_items = children(algorithm.content);
    let oid = algorithm_items.next().filter(|item| item.tag == TAG_OID)?;
    let parameter = algorithm_items
        .next()
        .filter(|item| item.tag == TAG_OID)
        .and_then(|item| oid_to_dotted(item.content));
    Some((oid_to_dotted(oid.content)?, parameter))
}

fn private_key_type(key: &[u8]) -> String {
    match pkcs8_algorithm(key) {
        Some((algorithm, curve)) => match (algorithm.as_str(), curve.as_deref()) {
            (OID_RSA_ENCRYPTION, _) => "RSA".into(),
            (OID_EC_PUBLIC_KEY, Some(curve)) => match NamedCurve::from_oid(curve) {
                Some(named) => format!("ECDSA {}", named.name),
                None => format!("ECDSA {curve}"),
            },
            (OID_EC_PUBLIC_KEY, None) => "ECDSA".into(),
            (OID_ED25519, _) => "Ed25519".into(),
            (other, _) => other.to_owned(),
        },
        None => "unknown".into(),
    }
}

/// The smallest RSA key OpenSSL 1.x lets a TLS client use at its default security level
/// (`SSL_CTX_use_certificate` refuses a smaller one with "ee key too small").
const MIN_RSA_BITS: u32 = 1024;

/// The public key of a PKCS#8 private key, derived by OpenSSL as the library's OpenSSL reads
/// it, encoded as in a certificate's subjectPublicKey (RSAPublicKey DER, uncompressed EC
/// point, or raw Ed25519). Keys fxpkcs11's OpenSSL 1.x cannot use are refused: RSA under
/// 1024 bits, and key types it does not know.
fn public_key_of(key: &[u8], key_type: &str) -> Result<Vec<u8>, IdentityError> {
    let unsupported = |reason: String| IdentityError::UnsupportedKey {
        key_type: key_type.to_owned(),
        reason,
    };
    let pkey = openssl::pkey::PKey::private_key_from_pkcs8(key)
        .map_err(|error| unsupported(format!("OpenSSL cannot read it ({error})")))?;
    match pkey.id() {
        openssl::pkey::Id::RSA if pkey.bits() < MIN_RSA_BITS => {
            return Err(unsupported(format!(
                "it has {} bits, and OpenSSL 1.x refuses RSA keys under {MIN_RSA_BITS} bits at its default security level",
                pkey.bits()
            )));
        }
        openssl::pkey::Id::RSA | openssl::pkey::Id::EC | openssl::pkey::Id::ED25519 => {}
        _ => return Err(unsupported("fxpkcs11 uses RSA and ECDSA keys only".into())),
    }
    let spki = pkey
        .public_key_to_der()
        .map_err(|error| unsupported(format!("OpenSSL cannot derive its public key ({error})")))?;
    let (_, info) = x509_parser::x509::SubjectPublicKeyInfo::from_der(&spki)
        .map_err(|error| unsupported(format!("its public key cannot be read ({error})")))?;
    Ok(info.subject_public_key.data.to_vec())
}

/// The subjectPublicKey bits of a DER certificate.
fn spki_bits(der: &[u8]) -> Option<Vec<u8>> {
    let (cert, _) = parse_certificate(der).ok()?;
    Some(cert.public_key().subject_public_key.data.to_vec())
}

/// `certs[leaf]` followed by its issuers among `certs`, matched by name.
fn issuer_chain(certs: &[CertInfo], leaf: usize) -> Vec<CertInfo> {
    let mut used = vec![leaf];
    let mut current = leaf;
    while certs[current].subject != certs[current].issuer {
        let issuer = (0..certs.len())
            .find(|&candidate| !used.contains(&candidate) && certs[candidate].subject == certs[current].issuer);
        match issuer {
            Some(next) => {
                used.push(next);
                current = next;
            }
            None => break,
        }
    }
    used.into_iter().map(|index| certs[index].clone()).collect()
}

/// The certificate the key was meant for: the one sharing its local key id, else
/// the first certificate that is not a CA, else the first one.
fn expected_leaf<'a>(archive: &Pkcs12Archive, certs: &'a [CertInfo]) -> &'a CertInfo {
    let key_ids: Vec<&[u8]> = archive
        .keys
        .iter()
        .filter_map(|key| key.local_key_id.as_ref().map(|id| id.as_ref()))
        .collect();
    let by_key_id = archive
        .certs
        .iter()
        .position(|bag| bag.local_key_id.as_deref().is_some_and(|id| key_ids.contains(&id)));
    let index = by_key_id
        .or_else(|| certs.iter().position(|cert| !cert.is_ca))
        .unwrap_or(0);
    &certs[index]
}
