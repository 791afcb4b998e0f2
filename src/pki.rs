//! A throwaway PKI for the demo mode, the KMES simulator's faults and the tests:
//! a root CA, a Host API server certificate and a PKCS#11 client identity, made
//! the way the guide's [3.1] makes them on a KMES.

use std::fs;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, SanType,
};
use time::{Duration, OffsetDateTime};

use crate::secret::Secret;

/// Why a throwaway PKI could not be made or written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PkiError {
    /// Key generation or certificate signing failed.
    #[error("could not generate a certificate: {0}")]
    Generate(#[from] rcgen::Error),
    /// A name given for the certificate is neither a DNS name nor an IP address.
    #[error("{0:?} is not a valid DNS name or IP address")]
    BadName(String),
    /// The PKCS#12 file could not be assembled.
    #[error("could not build the PKCS#12 file: {0}")]
    Pkcs12(String),
    /// Writing a file failed.
    #[error("could not write {path}: {source}")]
    Write {
        /// The file being written.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
}

/// The validity window of a certificate, relative to now.
#[derive(Debug, Clone, Copy)]
pub struct Lifetime {
    /// Days from now to notBefore (negative: in the past).
    pub starts_in_days: i64,
    /// Days from now to notAfter (negative: already expired).
    pub ends_in_days: i64,
}

impl Lifetime {
    /// Valid from yesterday for `days` days from now.
    pub fn valid_for(days: i64) -> Self {
        Lifetime {
            starts_in_days: -1,
            ends_in_days: days,
        }
    }

    /// Expired: valid from 30 days ago until yesterday.
    pub fn expired() -> Self {
        Lifetime {
            starts_in_days: -30,
            ends_in_days: -1,
        }
    }

    /// Not yet valid: from 10 days from now.
    pub fn not_yet_valid() -> Self {
        Lifetime {
            starts_in_days: 10,
            ends_in_days: 400,
        }
    }
}

/// A certificate with its private key, both in PEM and DER.
pub struct IssuedCert {
    /// The certificate, DER.
    pub cert_der: Vec<u8>,
    /// The certificate, PEM.
    pub cert_pem: String,
    /// The private key, PKCS#8 DER.
    pub key_der: Vec<u8>,
    /// The private key, PKCS#8 PEM.
    pub key_pem: String,
}

/// A certificate authority that can issue server and client certificates.
pub struct Authority {
    issuer: Issuer<'static, KeyPair>,
    /// The CA certificate itself.
    pub cert: IssuedCert,
}

fn distinguished_name(common_name: &str) -> DistinguishedName {
    let mut name = DistinguishedName::new();
    name.push(DnType::OrganizationName, "fxconfig demo");
    name.push(DnType::CommonName, common_name);
    name
}

fn apply_lifetime(params: &mut CertificateParams, lifetime: Lifetime) {
    let now = OffsetDateTime::now_utc();
    params.not_before = now + Duration::days(lifetime.starts_in_days);
    params.not_after = now + Duration::days(lifetime.ends_in_days);
}

fn san_for(name: &str) -> Result<SanType, PkiError> {
    if let Ok(ip) = name.parse::<IpAddr>() {
        return Ok(SanType::IpAddress(ip));
    }
    name.to_owned()
        .try_into()
        .map(SanType::DnsName)
        .map_err(|_| PkiError::BadName(name.to_owned()))
}

fn issued(cert: rcgen::Certificate, key: &KeyPair) -> IssuedCert {
    IssuedCert {
        cert_der: cert.der().to_vec(),
        cert_pem: cert.pem(),
        key_der: key.serialize_der(),
        key_pem: key.serialize_pem(),
    }
}

impl Authority {
    /// A new self-signed root CA (ECDSA P-256), valid for ten years.
    pub fn new(common_name: &str) -> Result<Self, PkiError> {
        let key = KeyPair::generate()?;
        let mut params = CertificateParams::default();
        params.distinguished_name = distinguished_name(common_name);
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        apply_lifetime(&mut params, Lifetime::valid_for(3650));
        let cert = params.self_signed(&key)?;
        let cert = issued(cert, &key);
        Ok(Authority {
            issuer: Issuer::new(params, key),
            cert,
        })
    }

    fn issue(
        &self,
        common_name: &str,
        names: &[&str],
        usage: ExtendedKeyUsagePurpose,
        lifetime: Lifetime,
    ) -> Result<IssuedCert, PkiError> {
        let key = KeyPair::generate()?;
        let mut params = CertificateParams::default();
        params.distinguished_name = distinguished_name(common_name);
        params.subject_alt_names = names.iter().map(|n| san_for(n)).collect::<Result<_, _>>()?;
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![usage];
        params.use_authority_key_identifier_extension = true;
        apply_lifetime(&mut params, lifetime);
        let cert = params.signed_by(&key, &self.issuer)?;
        Ok(issued(cert, &key))
    }

    /// A TLS server certificate (serverAuth) for the given DNS names and IP addresses.
    pub fn issue_server(&self, names: &[&str], lifetime: Lifetime) -> Result<IssuedCert, PkiError> {
        self.issue("KMES", names, ExtendedKeyUsagePurpose::ServerAuth, lifetime)
    }

    /// A TLS client certificate (clientAuth), like the guide's "PKCS #11 Client".
    pub fn issue_client(&self, common_name: &str, lifetime: Lifetime) -> Result<IssuedCert, PkiError> {
        self.issue(common_name, &[], ExtendedKeyUsagePurpose::ClientAuth, lifetime)
    }
}

/// Packs a private key and its certificate chain into a PKCS#12 file (AES-256, PBES2).
pub fn pkcs12_bytes(client: &IssuedCert, ca: &IssuedCert, password: &Secret) -> Result<Vec<u8>, PkiError> {
    let to_cert = |der: &[u8]| p12_keystore::Certificate::from_der(der).map_err(|e| PkiError::Pkcs12(e.to_string()));
    let key = p12_keystore::PrivateKey::from_der(&client.key_der).map_err(|e| PkiError::Pkcs12(e.to_string()))?;
    let chain = p12_keystore::PrivateKeyChain::new(
        b"fxconfig".as_slice(),
        key,
        [to_cert(&client.cert_der)?, to_cert(&ca.cert_der)?],
    );
    let mut store = p12_keystore::KeyStore::new();
    store.add_entry("pkcs11 client", p12_keystore::KeyStoreEntry::PrivateKeyChain(chain));
    store
        .writer(password.expose())
        .write()
        .map_err(|e| PkiError::Pkcs12(e.to_string()))
}

/// The files of a demo PKI written to a folder.
#[derive(Debug, Clone)]
pub struct DemoFiles {
    /// The root CA certificate, PEM (`PROD-TLS-CA`).
    pub ca_cert: PathBuf,
    /// The root CA private key, PKCS#8 PEM (mode 0600 on Unix): lets the simulator issue an expired certificate.
    pub ca_key: PathBuf,
    /// The Host API server certificate, PEM.
    pub server_cert: PathBuf,
    /// The Host API server private key, PKCS#8 PEM (mode 0600 on Unix).
    pub server_key: PathBuf,
    /// The client identity, PKCS#12 (`PROD-TLS-KEY`).
    pub client_p12: PathBuf,
    /// The client certificate, PEM.
    pub client_cert: PathBuf,
    /// The client private key, PKCS#8 PEM (mode 0600 on Unix).
    pub client_key: PathBuf,
}

impl DemoFiles {
    /// The demo's file names in `dir`.
    pub fn in_folder(dir: &Path) -> DemoFiles {
        DemoFiles {
            ca_cert: dir.join("root_cert.pem"),
            ca_key: dir.join("root_cert.key"),
            server_cert: dir.join("kmes_server.pem"),
            server_key: dir.join("kmes_server.key"),
            client_p12: dir.join("export_pkcs12.p12"),
            client_cert: dir.join("pkcs11_client.pem"),
            client_key: dir.join("pkcs11_client.key"),
        }
    }
}

/// Writes `contents` to `path`, readable by the owner only on Unix when `private`.
pub fn write_file(path: &Path, contents: &[u8], private: bool) -> Result<(), PkiError> {
    let wrap = |source| PkiError::Write {
        path: path.to_owned(),
        source,
    };
    let mut options = fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    if private {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    #[cfg(not(unix))]
    let _ = private;
    let mut file = options.open(path).map_err(wrap)?;
    std::io::Write::write_all(&mut file, contents).map_err(wrap)
}

/// Makes a root CA, a server certificate for `localhost` and `127.0.0.1`, and a
/// client identity protected by `p12_password`, and writes them into `dir`.
pub fn write_demo(dir: &Path, p12_password: &Secret) -> Result<DemoFiles, PkiError> {
    let ca = Authority::new("System TLS CA Root")?;
    let server = ca.issue_server(&["localhost", "127.0.0.1"], Lifetime::valid_for(365))?;
    let client = ca.issue_client("PKCS #11 Client", Lifetime::valid_for(365))?;
    let files = DemoFiles::in_folder(dir);
    write_file(&files.ca_cert, ca.cert.cert_pem.as_bytes(), false)?;
    write_file(&files.ca_key, ca.cert.key_pem.as_bytes(), true)?;
    write_file(&files.server_cert, server.cert_pem.as_bytes(), false)?;
    write_file(&files.server_key, server.key_pem.as_bytes(), true)?;
    write_file(&files.client_cert, client.cert_pem.as_bytes(), false)?;
    write_file(&files.client_key, client.key_pem.as_bytes(), true)?;
    write_file(&files.client_p12, &pkcs12_bytes(&client, &ca.cert, p12_password)?, true)?;
    Ok(files)
}
