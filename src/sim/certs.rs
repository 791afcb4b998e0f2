//! The simulator's certificates: loading the PEM files, re-issuing from the real
//! CA, and one rustls server configuration per fault.

use std::fs;
use std::net::IpAddr;
use std::path::Path;
use std::sync::Arc;

use rcgen::{
    CertificateParams, DnType, ExtendedKeyUsagePurpose, Issuer, KeyPair, KeyUsagePurpose, PublicKeyData, SanType,
};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::WebPkiClientVerifier;
use rustls::{RootCertStore, ServerConfig, SupportedProtocolVersion};
use time::OffsetDateTime;
use x509_parser::extensions::GeneralName;

use super::{Fault, SimError, SimOptions};
use crate::pki::{Authority, Lifetime, PkiError};

/// The real CA, able to sign certificates the client will chain to its root.
struct CaSigner {
    issuer: Issuer<'static, KeyPair>,
}

/// Everything loaded from the option files.
pub(super) struct Materials {
    client_roots: Arc<RootCertStore>,
    client_root_ders: Vec<CertificateDer<'static>>,
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
    names: Vec<String>,
    ca_signer: Option<CaSigner>,
}

fn read(path: &Path) -> Result<Vec<u8>, SimError> {
    fs::read(path).map_err(|source| SimError::Read {
        path: path.to_owned(),
        source,
    })
}

fn read_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, SimError> {
    let bytes = read(path)?;
    let certs = CertificateDer::pem_slice_iter(&bytes)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|source| SimError::Pem {
            path: path.to_owned(),
            source,
        })?;
    if certs.is_empty() {
        return Err(SimError::NoCertificate { path: path.to_owned() });
    }
    Ok(certs)
}

fn read_key(path: &Path) -> Result<PrivateKeyDer<'static>, SimError> {
    let bytes = read(path)?;
    PrivateKeyDer::from_pem_slice(&bytes).map_err(|source| SimError::Pem {
        path: path.to_owned(),
        source,
    })
}

/// The DNS names and IP addresses the server certificate is issued for.
fn certificate_names(cert: &CertificateDer<'_>) -> Vec<String> {
    let mut names = Vec::new();
    if let Ok((_, parsed)) = x509_parser::parse_x509_certificate(cert)
        && let Ok(Some(san)) = parsed.subject_alternative_name()
    {
        for name in &san.value.general_names {
            match name {
                GeneralName::DNSName(dns) => names.push((*dns).to_owned()),
                GeneralName::IPAddress(bytes) => {
                    if let Ok(v4) = <[u8; 4]>::try_from(*bytes) {
                        names.push(IpAddr::from(v4).to_string());
                    } else if let Ok(v6) = <[u8; 16]>::try_from(*bytes) {
                        names.push(IpAddr::from(v6).to_string());
                    }
                }
                _ => {}
            }
        }
    }
    if names.is_empty() {
        names = vec!["localhost".to_owned(), "127.0.0.1".to_owned()];
    }
    names
}

fn load_ca_signer(ca_cert: &CertificateDer<'_>, ca_path: &Path, key_path: &Path) -> Result<CaSigner, SimError> {
    let key_pem = String::from_utf8_lossy(&read(key_path)?).into_owned();
    let key = KeyPair::from_pem(&key_pem).map_err(|source| SimError::CaKey {
        path: key_path.to_owned(),
        source,
    })?;
    let (_, parsed) = x509_parser::parse_x509_certificate(ca_cert).map_err(|_| SimError::CaKey {
        path: ca_path.to_owned(),
        source: rcgen::Error::CouldNotParseCertificate,
    })?;
    if parsed.public_key().raw != key.subject_public_key_info().as_slice() {
        return Err(SimError::CaKeyMismatch {
            ca: ca_path.to_owned(),
            key: key_path.to_owned(),
        });
    }
    let issuer = Issuer::from_ca_cert_der(ca_cert, key).map_err(|source| SimError::CaKey {
        path: ca_path.to_owned(),
        source,
    })?;
    Ok(CaSigner { issuer })
}

fn san(name: &str) -> Result<SanType, SimError> {
    if let Ok(ip) = name.parse::<IpAddr>() {
        return Ok(SanType::IpAddress(ip));
    }
    let dns = name
        .to_owned()
        .try_into()
        .map_err(|_| PkiError::BadName(name.to_owned()))?;
    Ok(SanType::DnsName(dns))
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

impl Materials {
    /// Loads and checks the files named in `options`.
    pub(super) fn load(options: &SimOptions) -> Result<Self, SimError> {
        let ca_certs = read_certs(&options.ca)?;
        let mut roots = RootCertStore::empty();
        for cert in &ca_certs {
            roots.add(cert.clone()).map_err(SimError::Tls)?;
        }
        let chain = read_certs(&options.cert)?;
        let key = read_key(&options.key)?;
        let names = certificate_names(&chain[0]);
        let ca_signer = match &options.ca_key {
            Some(key_path) => Some(load_ca_signer(&ca_certs[0], &options.ca, key_path)?),
            None => None,
        };
        Ok(Materials {
            client_roots: Arc::new(roots),
            client_root_ders: ca_certs.clone(),
            chain,
            key,
            names,
            ca_signer,
        })
    }

    /// A hash-derived serial number for the ECHO answer, stable for a server certificate.
    pub(super) fn serial(&self) -> String {
        let digest = ring::digest::digest(&ring::digest::SHA256, &self.chain[0]);
        let hex: String = digest.as_ref()[..4].iter().map(|b| format!("{b:02X}")).collect();
        format!("SIM-{hex}")
    }

    fn issue_expired(&self) -> Result<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>), SimError> {
        let signer = self.ca_signer.as_ref().ok_or(SimError::CaKeyRequired)?;
        let lifetime = Lifetime::expired();
        let now = OffsetDateTime::now_utc();
        let mut params = CertificateParams::default();
        params.distinguished_name.push(DnType::CommonName, "KMES (expired)");
        params.subject_alt_names = self.names.iter().map(|n| san(n)).collect::<Result<_, _>>()?;
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        params.use_authority_key_identifier_extension = true;
        params.not_before = now + time::Duration::days(lifetime.starts_in_days);
        params.not_after = now + time::Duration::days(lifetime.ends_in_days);
        let key = KeyPair::generate().map_err(PkiError::from)?;
        let cert = params.signed_by(&key, &signer.issuer).map_err(PkiError::from)?;
        let key_der = PrivateKeyDer::Pkcs8(key.serialize_der().into());
        Ok((vec![cert.der().clone()], key_der))
    }

    /// The certificate the guide has the administrator make [3.1.2]: CN "KMES", the TLS
    /// server profile, no subjectAltName, signed by the real CA.
    fn issue_guide_cert(&self) -> Result<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>), SimError> {
        let signer = self.ca_signer.as_ref().ok_or(SimError::CaKeyRequired)?;
        let now = OffsetDateTime::now_utc();
        let mut params = CertificateParams::default();
        params.distinguished_name.push(DnType::CommonName, "KMES");
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        params.use_authority_key_identifier_extension = true;
        params.not_before = now - time::Duration::days(1);
        params.not_after = now + time::Duration::days(365);
        let key = KeyPair::generate().map_err(PkiError::from)?;
        let cert = params.signed_by(&key, &signer.issuer).map_err(PkiError::from)?;
        let key_der = PrivateKeyDer::Pkcs8(key.serialize_der().into());
        Ok((vec![cert.der().clone()], key_der))
    }

    /// The OpenSSL server of [`Fault::CbcOnly`]: TLS 1.2 with the configured certificate,
    /// AES-CBC suites only, client certificates required and verified against the client CA.
    pub(super) fn cbc_only_acceptor(&self) -> Result<openssl::ssl::SslAcceptor, SimError> {
        use openssl::ssl::{SslAcceptor, SslMethod, SslVerifyMode, SslVersion};
        use openssl::x509::X509;
        use openssl::x509::store::X509StoreBuilder;
        let mut builder = SslAcceptor::mozilla_intermediate_v5(SslMethod::tls_server()).map_err(SimError::OpenSsl)?;
        builder
            .set_min_proto_version(Some(SslVersion::TLS1_2))
            .map_err(SimError::OpenSsl)?;
        builder
            .set_max_proto_version(Some(SslVersion::TLS1_2))
            .map_err(SimError::OpenSsl)?;
        builder
            .set_cipher_list(
                "ECDHE-ECDSA-AES256-SHA384:ECDHE-RSA-AES256-SHA384:ECDHE-ECDSA-AES128-SHA:ECDHE-RSA-AES128-SHA",
            )
            .map_err(SimError::OpenSsl)?;
        let (leaf, intermediates) = self
            .chain
            .split_first()
            .ok_or(SimError::OpenSsl(openssl::error::ErrorStack::get()))?;
        let leaf = X509::from_der(leaf).map_err(SimError::OpenSsl)?;
        builder.set_certificate(&leaf).map_err(SimError::OpenSsl)?;
        for cert in intermediates {
            builder
                .add_extra_chain_cert(X509::from_der(cert).map_err(SimError::OpenSsl)?)
                .map_err(SimError::OpenSsl)?;
        }
        let key = openssl::pkey::PKey::private_key_from_der(self.key.secret_der()).map_err(SimError::OpenSsl)?;
        builder.set_private_key(&key).map_err(SimError::OpenSsl)?;
        builder.check_private_key().map_err(SimError::OpenSsl)?;
        let mut store = X509StoreBuilder::new().map_err(SimError::OpenSsl)?;
        for root in &self.client_root_ders {
            store
                .add_cert(X509::from_der(root).map_err(SimError::OpenSsl)?)
                .map_err(SimError::OpenSsl)?;
        }
        builder
            .set_verify_cert_store(store.build())
            .map_err(SimError::OpenSsl)?;
        builder.set_verify(SslVerifyMode::PEER | SslVerifyMode::FAIL_IF_NO_PEER_CERT);
        Ok(builder.build())
    }

    fn issue_from_other_ca(&self) -> Result<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>), SimError> {
        let other = Authority::new("Unrelated TLS CA")?;
        let names: Vec<&str> = self.names.iter().map(String::as_str).collect();
        let cert = other.issue_server(&names, Lifetime::valid_for(30))?;
        Ok((vec![cert.cert_der.into()], PrivateKeyDer::Pkcs8(cert.key_der.into())))
    }

    /// The server configuration for `fault`; `None` (and [`Fault::Silent`], which
    /// never gets to TLS) use the configured files unchanged.
    pub(super) fn server_config(&self, fault: Option<Fault>) -> Result<Arc<ServerConfig>, SimError> {
        let provider = provider();
        let versions: &[&'static SupportedProtocolVersion] = if fault == Some(Fault::Tls12Only) {
            &[&rustls::version::TLS12]
        } else {
            &[&rustls::version::TLS13, &rustls::version::TLS12]
        };
        let builder = ServerConfig::builder_with_provider(Arc::clone(&provider))
            .with_protocol_versions(versions)
            .map_err(SimError::Tls)?;
        let builder = match fault {
            Some(Fault::NoClientAuth) => builder.with_no_client_auth(),
            Some(Fault::RejectClient) => {
                let other = Authority::new("Unrelated Client CA")?;
                let mut roots = RootCertStore::empty();
                roots.add(other.cert.cert_der.into()).map_err(SimError::Tls)?;
                let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
                    .build()
                    .map_err(SimError::ClientVerifier)?;
                builder.with_client_cert_verifier(verifier)
            }
            _ => {
                let verifier = WebPkiClientVerifier::builder_with_provider(Arc::clone(&self.client_roots), provider)
                    .build()
                    .map_err(SimError::ClientVerifier)?;
                builder.with_client_cert_verifier(verifier)
            }
        };
        let (chain, key) = match fault {
            Some(Fault::WrongCa) => self.issue_from_other_ca()?,
            Some(Fault::ExpiredCert) => self.issue_expired()?,
            Some(Fault::GuideCert) => self.issue_guide_cert()?,
            _ => (self.chain.clone(), self.key.clone_key()),
        };
        builder
            .with_single_cert(chain, key)
            .map(Arc::new)
            .map_err(SimError::Tls)
    }
}
