//! The details of one X.509 certificate, as shown to an administrator.

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

use serde::Serialize;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use x509_parser::certificate::X509Certificate;
use x509_parser::error::X509Error;
use x509_parser::extensions::{ExtendedKeyUsage, GeneralName, KeyUsage};
use x509_parser::x509::SubjectPublicKeyInfo;

use super::der::{
    NamedCurve, OID_DSA, OID_EC_PUBLIC_KEY, OID_ED448, OID_ED25519, OID_RSA_ENCRYPTION, OID_RSASSA_PSS, oid_to_dotted,
};
use super::error::IdentityError;

const SECONDS_PER_DAY: i64 = 86_400;

/// One certificate's details.
///
/// In JSON (serde) the `der` field is left out, and `Debug` shows only its length;
/// `sha256_fingerprint` identifies the certificate instead.
#[derive(Clone, PartialEq, Eq, Serialize)]
pub struct CertInfo {
    /// The subject distinguished name, such as `O=Futurex, CN=PKCS #11 Client`.
    pub subject: String,
    /// The issuer distinguished name.
    pub issuer: String,
    /// The serial number in uppercase hexadecimal, without sign padding (as `openssl x509 -serial` prints it).
    pub serial_hex: String,
    /// Start of validity, RFC 3339 UTC.
    pub not_before: String,
    /// End of validity, RFC 3339 UTC.
    pub not_after: String,
    /// Start of validity, seconds since the Unix epoch.
    pub not_before_unix: i64,
    /// End of validity, seconds since the Unix epoch.
    pub not_after_unix: i64,
    /// The public key's type: "RSA", "RSA-PSS", "ECDSA P-256", "ECDSA P-384", "ECDSA P-521",
    /// "Ed25519", "Ed448", "DSA", or the algorithm's dotted OID.
    pub key_type: String,
    /// The public key's size in bits, when known.
    pub key_bits: Option<u32>,
    /// Subject alternative names: `DNS:…`, `IP:…`, `email:…`, `URI:…`, `DirName:…`, `RID:…`, `othername:<oid>`.
    pub sans: Vec<String>,
    /// Key usage bits, by their RFC 5280 names (`digitalSignature`, `keyCertSign`, …).
    pub key_usage: Vec<String>,
    /// Extended key usages (`serverAuth`, `clientAuth`, …, or a dotted OID); `None` without the extension.
    pub ext_key_usage: Option<Vec<String>>,
    /// Whether basic constraints mark the certificate as a CA.
    pub is_ca: bool,
    /// SHA-256 of the DER encoding, uppercase hex bytes joined by colons.
    pub sha256_fingerprint: String,
    /// The certificate's DER encoding.
    #[serde(skip)]
    pub der: Vec<u8>,
}

impl fmt::Debug for CertInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CertInfo")
            .field("subject", &self.subject)
            .field("issuer", &self.issuer)
            .field("serial_hex", &self.serial_hex)
            .field("not_before", &self.not_before)
            .field("not_after", &self.not_after)
            .field("not_before_unix", &self.not_before_unix)
            .field("not_after_unix", &self.not_after_unix)
            .field("key_type", &self.key_type)
            .field("key_bits", &self.key_bits)
            .field("sans", &self.sans)
            .field("key_usage", &self.key_usage)
            .field("ext_key_usage", &self.ext_key_usage)
            .field("is_ca", &self.is_ca)
            .field("sha256_fingerprint", &self.sha256_fingerprint)
            .field("der", &format_args!("<{} bytes>", self.der.len()))
            .finish()
    }
}

/// Where a moment lies relative to a certificate's validity period.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Validity {
    /// Within the period; `days_left` whole days remain before notAfter.
    Valid {
        /// Whole days until notAfter (0 on the last day).
        days_left: i64,
    },
    /// After notAfter.
    Expired {
        /// Whole days since notAfter (0 on the day it expired).
        days_ago: i64,
    },
    /// Before notBefore.
    NotYetValid {
        /// Days until notBefore, rounded up (1 when less than a day remains).
        days_until: i64,
    },
}

fn x509_error(error: x509_parser::nom::Err<X509Error>) -> X509Error {
    match error {
        x509_parser::nom::Err::Error(error) | x509_parser::nom::Err::Failure(error) => error,
        x509_parser::nom::Err::Incomplete(_) => X509Error::InvalidCertificate,
    }
}

fn bad(source: X509Error) -> IdentityError {
    IdentityError::BadCertificate { index: 0, source }
}

/// Parses one DER certificate; the bytes after its end, if any, are returned separately.
pub(crate) fn parse_certificate(der: &[u8]) -> Result<(X509Certificate<'_>, &[u8]), X509Error> {
    x509_parser::parse_x509_certificate(der)
        .map(|(rest, cert)| (cert, rest))
        .map_err(x509_error)
}

impl CertInfo {
    /// Reads a DER certificate.
    ///
    /// Bytes after the end of the certificate (as in OpenSSL's `TRUSTED CERTIFICATE`
    /// blocks) are ignored; [`CertInfo::der`] holds the certificate alone. Errors are
    /// [`IdentityError::BadCertificate`] with index 0.
    pub fn from_der(der: &[u8]) -> Result<CertInfo, IdentityError> {
        let (cert, rest) = parse_certificate(der).map_err(bad)?;
        let der = &der[..der.len() - rest.len()];
        let validity = cert.validity();
        let not_before_unix = validity.not_before.timestamp();
        let not_after_unix = validity.not_after.timestamp();
        let (key_type, key_bits) = describe_public_key(cert.public_key());
        Ok(CertInfo {
            subject: cert.subject().to_string(),
            issuer: cert.issuer().to_string(),
            serial_hex: serial_hex(cert.raw_serial()),
            not_before: rfc3339(not_before_unix),
            not_after: rfc3339(not_after_unix),
            not_before_unix,
            not_after_unix,
            key_type,
            key_bits,
            sans: subject_alt_names(&cert).map_err(bad)?,
            key_usage: cert
                .key_usage()
                .map_err(bad)?
                .map(|ext| key_usage_names(ext.value))
                .unwrap_or_default(),
            ext_key_usage: cert.extended_key_usage().map_err(bad)?.map(|ext| eku_names(ext.value)),
            is_ca: cert.basic_constraints().map_err(bad)?.is_some_and(|ext| ext.value.ca),
            sha256_fingerprint: fingerprint(der),
            der: der.to_vec(),
        })
    }

    /// Where `now_unix` lies relative to the validity period (notBefore and
    /// notAfter themselves count as valid, as in the TLS path check).
    pub fn validity_at(&self, now_unix: i64) -> Validity {
        if now_unix < self.not_before_unix {
            let seconds = self.not_before_unix - now_unix;
            Validity::NotYetValid {
                days_until: (seconds + SECONDS_PER_DAY - 1) / SECONDS_PER_DAY,
            }
        } else if now_unix > self.not_after_unix {
            Validity::Expired {
                days_ago: (now_unix - self.not_after_unix) / SECONDS_PER_DAY,
            }
        } else {
            Validity::Valid {
                days_left: self.days_left(now_unix),
            }
        }
    }

    /// Whole days from `now_unix` to notAfter, rounded down; negative once expired.
    pub fn days_left(&self, now_unix: i64) -> i64 {
        (self.not_after_unix - now_unix).div_euclid(SECONDS_PER_DAY)
    }

    /// Whether the certificate may authenticate a TLS client: true without an
    /// extended key usage extension, or when it lists `clientAuth` or
    /// `anyExtendedKeyUsage`. (The chain check of [`super::verify_client_chain`]
    /// is stricter: like the TLS library, it does not accept `anyExtendedKeyUsage`.)
    pub fn has_client_auth(&self) -> bool {
        self.ext_key_usage
            .as_ref()
            .is_none_or(|usages| usages.iter().any(|u| u == "clientAuth" || u == "anyExtendedKeyUsage"))
    }
}

fn serial_hex(raw: &[u8]) -> String {
    let first_significant = raw.iter().position(|&b| b != 0).unwrap_or(raw.len().saturating_sub(1));
    let digits: String = raw[first_significant..].iter().map(|b| format!("{b:02X}")).collect();
    if digits.is_empty() { "00".into() } else { digits }
}

fn rfc3339(unix: i64) -> String {
    OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|moment| moment.format(&Rfc3339).ok())
        .unwrap_or_else(|| format!("@{unix}"))
}

/// SHA-256 fingerprint of `der`, as uppercase hex bytes joined by colons.
pub(crate) fn fingerprint(der: &[u8]) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, der);
    digest
        .as_ref()
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":")
}

fn describe_public_key(spki: &SubjectPublicKeyInfo<'_>) -> (String, Option<u32>) {
    let algorithm = spki.algorithm.algorithm.to_id_string();
    match algorithm.as_str() {
        OID_RSA_ENCRYPTION | OID_RSASSA_PSS => {
            let name = if algorithm == OID_RSA_ENCRYPTION {
                "RSA"
            } else {
                "RSA-PSS"
            };
            let bits = match spki.parsed() {
                Ok(x509_parser::public_key::PublicKey::RSA(rsa)) => modulus_bits(rsa.modulus),
                _ => None,
            };
            (name.into(), bits)
        }
        OID_EC_PUBLIC_KEY => {
            let curve = spki
                .algorithm
                .parameters
                .as_ref()
                .filter(|params| params.tag().0 == 6)
                .and_then(|params| oid_to_dotted(params.data));
            let (name, bits) = match curve.as_deref() {
                Some(dotted) => match NamedCurve::from_oid(dotted) {
                    Some(named) => (named.name.to_owned(), Some(named.bits)),
                    None => (dotted.to_owned(), None),
                },
                None => ("(unnamed curve)".to_owned(), None),
            };
            (format!("ECDSA {name}"), bits)
        }
        OID_ED25519 => ("Ed25519".into(), Some(256)),
        OID_ED448 => ("Ed448".into(), Some(456)),
        OID_DSA => {
            let bits = match spki.parsed() {
                Ok(x509_parser::public_key::PublicKey::DSA(y)) => modulus_bits(y),
                _ => None,
            };
            ("DSA".into(), bits)
        }
        other => (other.to_owned(), None),
    }
}

/// The bit length of a big-endian unsigned integer.
fn modulus_bits(bytes: &[u8]) -> Option<u32> {
    let start = bytes.iter().position(|&b| b != 0)?;
    let significant = &bytes[start..];
    let full_bytes = u32::try_from(significant.len() - 1).ok()?;
    Some(full_bytes * 8 + (8 - significant[0].leading_zeros()))
}

fn subject_alt_names(cert: &X509Certificate<'_>) -> Result<Vec<String>, X509Error> {
    let Some(san) = cert.subject_alternative_name()? else {
        return Ok(Vec::new());
    };
    Ok(san.value.general_names.iter().map(general_name).collect())
}

fn general_name(name: &GeneralName<'_>) -> String {
    match name {
        GeneralName::DNSName(dns) => format!("DNS:{dns}"),
        GeneralName::IPAddress(bytes) => match bytes.len() {
            4 => {
                let octets: [u8; 4] = [bytes[0], bytes[1], bytes[2], bytes[3]];
                format!("IP:{}", Ipv4Addr::from(octets))
            }
            16 => {
                let mut octets = [0u8; 16];
                octets.copy_from_slice(bytes);
                format!("IP:{}", Ipv6Addr::from(octets))
            }
            _ => format!("IP:(invalid, {} bytes)", bytes.len()),
        },
        GeneralName::RFC822Name(email) => format!("email:{email}"),
        GeneralName::URI(uri) => format!("URI:{uri}"),
        GeneralName::DirectoryName(dn) => format!("DirName:{dn}"),
        GeneralName::RegisteredID(oid) => format!("RID:{}", oid.to_id_string()),
        GeneralName::OtherName(oid, _) => format!("othername:{}", oid.to_id_string()),
        GeneralName::X400Address(_) => "X400Name".into(),
        GeneralName::EDIPartyName(_) => "EdiPartyName".into(),
        GeneralName::Invalid(tag, _) => format!("(invalid name, tag {})", tag.0),
    }
}

fn key_usage_names(usage: &KeyUsage) -> Vec<String> {
    [
        (usage.digital_signature(), "digitalSignature"),
        (usage.non_repudiation(), "nonRepudiation"),
        (usage.key_encipherment(), "keyEncipherment"),
        (usage.data_encipherment(), "dataEncipherment"),
        (usage.key_agreement(), "keyAgreement"),
        (usage.key_cert_sign(), "keyCertSign"),
        (usage.crl_sign(), "cRLSign"),
        (usage.encipher_only(), "encipherOnly"),
        (usage.decipher_only(), "decipherOnly"),
    ]
    .into_iter()
    .filter(|(set, _)| *set)
    .map(|(_, name)| name.to_owned())
    .collect()
}

fn eku_names(eku: &ExtendedKeyUsage<'_>) -> Vec<String> {
    let mut names: Vec<String> = [
        (eku.any, "anyExtendedKeyUsage"),
        (eku.server_auth, "serverAuth"),
        (eku.client_auth, "clientAuth"),
        (eku.code_signing, "codeSigning"),
        (eku.email_protection, "emailProtection"),
        (eku.time_stamping, "timeStamping"),
        (eku.ocsp_signing, "OCSPSigning"),
    ]
    .into_iter()
    .filter(|(set, _)| *set)
    .map(|(_, name)| name.to_owned())
    .collect();
    names.extend(eku.other.iter().map(|oid| oid.to_id_string()));
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serial_drops_sign_padding_only() {
        assert_eq!(serial_hex(&[0x00, 0x8F, 0x01]), "8F01");
        assert_eq!(serial_hex(&[0x01, 0x00]), "0100");
        assert_eq!(serial_hex(&[0x00]), "00");
        assert_eq!(serial_hex(&[]), "00");
    }

    #[test]
    fn modulus_bit_length() {
        assert_eq!(modulus_bits(&[0x00, 0x80, 0x00]), Some(16));
        assert_eq!(modulus_bits(&[0x01, 0xFF]), Some(9));
        assert_eq!(modulus_bits(&[0x00]), None);
    }

    #[test]
    fn rfc3339_is_utc() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_767_225_600), "2026-01-01T00:00:00Z");
    }

    fn with_validity(not_before_unix: i64, not_after_unix: i64) -> CertInfo {
        CertInfo {
            subject: String::new(),
            issuer: String::new(),
            serial_hex: "01".into(),
            not_before: rfc3339(not_before_unix),
            not_after: rfc3339(not_after_unix),
            not_before_unix,
            not_after_unix,
            key_type: "RSA".into(),
            key_bits: Some(2048),
            sans: Vec::new(),
            key_usage: Vec::new(),
            ext_key_usage: None,
            is_ca: false,
            sha256_fingerprint: String::new(),
            der: Vec::new(),
        }
    }

    #[test]
    fn validity_boundaries() {
        let day = SECONDS_PER_DAY;
        let cert = with_validity(10 * day, 20 * day);
        assert_eq!(cert.validity_at(10 * day - 1), Validity::NotYetValid { days_until: 1 });
        assert_eq!(cert.validity_at(day), Validity::NotYetValid { days_until: 9 });
        assert_eq!(cert.validity_at(10 * day), Validity::Valid { days_left: 10 });
        assert_eq!(cert.validity_at(20 * day), Validity::Valid { days_left: 0 });
        assert_eq!(cert.validity_at(20 * day + 1), Validity::Expired { days_ago: 0 });
        assert_eq!(cert.validity_at(23 * day), Validity::Expired { days_ago: 3 });
        assert_eq!(cert.days_left(23 * day), -3);
        assert_eq!(cert.days_left(20 * day + 1), -1);
    }

    #[test]
    fn client_auth_rules() {
        let mut cert = with_validity(0, 1);
        assert!(cert.has_client_auth());
        cert.ext_key_usage = Some(vec!["serverAuth".into()]);
        assert!(!cert.has_client_auth());
        cert.ext_key_usage = Some(vec!["serverAuth".into(), "clientAuth".into()]);
        assert!(cert.has_client_auth());
        cert.ext_key_usage = Some(vec!["anyExtendedKeyUsage".into()]);
        assert!(cert.has_client_auth());
    }
}
