//! The root CA file exported from the KMES ([3.1.4]): PEM, a PEM bundle, or DER.

use std::path::Path;

use rustls_pki_types::CertificateDer;
use serde::Serialize;

use super::certinfo::CertInfo;
use super::der::{self, DerProblem, TAG_INTEGER, TAG_SEQUENCE, contains};
use super::error::{IdentityError, Material};

/// PEM labels that hold an X.509 certificate.
const CERTIFICATE_LABELS: [&str; 3] = ["CERTIFICATE", "X509 CERTIFICATE", "TRUSTED CERTIFICATE"];

/// The certificates of a CA file, in file order.
#[derive(Clone, Debug, Serialize)]
pub struct CaBundle {
    /// Each certificate of the file.
    pub certs: Vec<CertInfo>,
}

impl CaBundle {
    /// The certificates as trust anchors for rustls (`RootCertStore::add`).
    pub fn rustls_roots(&self) -> Vec<CertificateDer<'static>> {
        self.certs
            .iter()
            .map(|cert| CertificateDer::from(cert.der.clone()))
            .collect()
    }
}

/// Reads the CA certificates from the bytes of a file.
///
/// Accepts PEM with one or several certificate blocks (`CERTIFICATE`,
/// `X509 CERTIFICATE` or `TRUSTED CERTIFICATE`), with any text around them and
/// LF or CRLF line ends; other PEM blocks are skipped. Without PEM blocks, the
/// bytes are read as one DER certificate.
pub fn parse_ca(bytes: &[u8]) -> Result<CaBundle, IdentityError> {
    if contains(bytes, b"-----BEGIN ") {
        let blocks = pem::parse_many(bytes).map_err(|source| IdentityError::BadPem { source })?;
        let mut certs = Vec::new();
        for block in blocks.iter().filter(|block| CERTIFICATE_LABELS.contains(&block.tag())) {
            let index = certs.len();
            let cert = CertInfo::from_der(block.contents()).map_err(|error| match error {
                IdentityError::BadCertificate { source, .. } => IdentityError::BadCertificate { index, source },
                other => other,
            })?;
            certs.push(cert);
        }
        if certs.is_empty() {
            let labels: Vec<String> = blocks.iter().map(|block| printable_label(block.tag())).collect();
            return Err(IdentityError::NoCertificate {
                found: describe_pem_labels(&labels),
            });
        }
        return Ok(CaBundle { certs });
    }
    if looks_like_certificate(bytes) {
        return CertInfo::from_der(bytes).map(|cert| CaBundle { certs: vec![cert] });
    }
    Err(IdentityError::NoCertificate {
        found: describe_non_certificate(bytes),
    })
}

/// Reads the CA certificates from a file (a regular file of at most 16 MiB); see
/// [`parse_ca`].
pub fn load_ca(path: &Path) -> Result<CaBundle, IdentityError> {
    let material = Material::RootCa;
    let bytes = crate::files::read_regular(path, crate::files::limits::CERT_MAX_BYTES, material.file_kind())
        .map_err(|error| IdentityError::reading(material, error))?;
    parse_ca(&bytes)
}

/// How fxpkcs11's OpenSSL reads a CA file: `SSL_CTX_load_verify_locations` loads PEM
/// only, block by block, from `-----BEGIN` lines that start a line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LibraryReading {
    /// OpenSSL reads this many certificates from the file.
    Certificates(usize),
    /// The file is DER: OpenSSL's CA loading reads no certificate from it.
    Der,
    /// The file is PEM, but OpenSSL reads no certificate from it; why, as far as can be told.
    Unreadable(String),
}

/// Reads the CA file's bytes as fxpkcs11's OpenSSL does (see [`LibraryReading`]).
pub fn library_reading(bytes: &[u8]) -> LibraryReading {
    // OpenSSL 3 skips a leading UTF-8 byte-order mark; OpenSSL 1.1.1, which fxpkcs11 links
    // (the model in tests/reference/ shows it), does not see the first -----BEGIN line
    // behind it and loses that block.
    let read_from = if bytes.starts_with(&[0xEF, 0xBB, 0xBF]) {
        find(bytes, b"-----END ")
            .and_then(|end| {
                bytes[end..]
                    .iter()
                    .position(|byte| *byte == b'\n')
                    .map(|eol| end + eol + 1)
            })
            .unwrap_or(bytes.len())
    } else {
        0
    };
    let count = openssl::x509::X509::stack_from_pem(&bytes[read_from..]).map_or(0, |certs| certs.len());
    if count > 0 {
        return LibraryReading::Certificates(count);
    }
    if !contains(bytes, b"-----BEGIN ") {
        return LibraryReading::Der;
    }
    let reason = if bytes.starts_with(&[0xEF, 0xBB, 0xBF]) {
        "it begins with a UTF-8 byte-order mark, so its first -----BEGIN line is not read as one"
    } else if bytes
        .split(|byte| *byte == b'\n')
        .any(|line| line.first().is_some_and(u8::is_ascii_whitespace) && contains(line, b"-----"))
    {
        "its -----BEGIN/-----END lines are indented; OpenSSL reads them only at the start of a line"
    } else {
        "its PEM blocks are not in the form OpenSSL reads"
    };
    LibraryReading::Unreadable(reason.into())
}

/// Where `needle` first occurs in `haystack`.
fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|window| window == needle)
}

/// Reads a CA file as fxpkcs11's OpenSSL does; see [`library_reading`].
pub fn load_library_reading(path: &Path) -> Result<LibraryReading, IdentityError> {
    let material = Material::RootCa;
    let bytes = crate::files::read_regular(path, crate::files::limits::CERT_MAX_BYTES, material.file_kind())
        .map_err(|error| IdentityError::reading(material, error))?;
    Ok(library_reading(&bytes))
}

/// A PEM label made safe to show: printable ASCII only, at most 40 characters.
fn printable_label(label: &str) -> String {
    label
        .chars()
        .filter(|c| c.is_ascii_graphic() || *c == ' ')
        .take(40)
        .collect()
}

fn describe_pem_labels(labels: &[String]) -> String {
    let quoted: Vec<String> = labels.iter().map(|label| format!("\"{label}\"")).collect();
    let kinds = quoted.join(", ");
    if labels.iter().any(|label| label.contains("PRIVATE KEY")) {
        format!("a private key (PEM blocks {kinds}), not the CA certificate")
    } else if quoted.is_empty() {
        "a PEM header without a complete block".into()
    } else {
        format!("PEM blocks {kinds} but none labelled CERTIFICATE")
    }
}

/// The tag and contents (possibly cut short) of the first element inside an outer
/// SEQUENCE, read even when the file is truncated.
fn first_inner_element(bytes: &[u8]) -> Option<(u8, &[u8])> {
    if bytes.first() != Some(&TAG_SEQUENCE) {
        return None;
    }
    let header = match *bytes.get(1)? {
        short if short < 0x80 => 2,
        long @ 0x81..=0x84 => 2 + usize::from(long & 0x7F),
        _ => return None,
    };
    let inner = bytes.get(header..)?;
    let tag = *inner.first()?;
    let content = match der::read_element(inner) {
        Ok((element, _)) => element.content,
        Err(_) => inner.get(2..).unwrap_or_default(),
    };
    Some((tag, content))
}

/// Whether `bytes` start like a DER certificate: a SEQUENCE whose first element is a SEQUENCE.
fn looks_like_certificate(bytes: &[u8]) -> bool {
    first_inner_element(bytes).is_some_and(|(tag, _)| tag == TAG_SEQUENCE)
}

/// Describes bytes that hold no certificate, without quoting them.
fn describe_non_certificate(bytes: &[u8]) -> String {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return "nothing (the file is empty)".into();
    }
    if let Some((TAG_INTEGER, version)) = first_inner_element(bytes) {
        let truncated = match der::read_element(bytes) {
            Err(DerProblem::Truncated { declared, available }) => {
                format!(" (truncated: {available} of {declared} bytes)")
            }
            _ => String::new(),
        };
        let kind = match der::small_integer(version) {
            Some(3) => "a PKCS#12 file (the client identity), not the CA certificate".to_owned(),
            Some(0) | Some(1) => "DER data that looks like a private key, not the CA certificate".to_owned(),
            _ => format!("a DER structure of {} bytes that is not a certificate", bytes.len()),
        };
        return kind + &truncated;
    }
    if std::str::from_utf8(bytes).is_ok() {
        if contains(bytes, b"PRIVATE KEY") {
            return "text mentioning a private key, without any certificate block".into();
        }
        return format!(
            "{} bytes of text without any -----BEGIN CERTIFICATE----- block",
            bytes.len()
        );
    }
    format!(
        "{} bytes of binary data that is neither PEM nor a DER certificate",
        bytes.len()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_sanitised() {
        assert_eq!(printable_label("PRIVATE\u{7}KEY\n"), "PRIVATEKEY");
        assert_eq!(printable_label(&"X".repeat(100)).len(), 40);
    }

    #[test]
    fn describes_without_quoting() {
        assert_eq!(describe_non_certificate(b""), "nothing (the file is empty)");
        assert_eq!(
            describe_non_certificate(b"hello"),
            "5 bytes of text without any -----BEGIN CERTIFICATE----- block"
        );
        assert!(describe_non_certificate(&[0x30, 0x03, 0x02, 0x01, 0x03]).contains("PKCS#12"));
        assert!(describe_non_certificate(&[0x30, 0x03, 0x02, 0x01, 0x00]).contains("private key"));
        assert!(describe_non_certificate(&[0xFF, 0x00, 0x9C]).contains("binary data"));
    }
}
