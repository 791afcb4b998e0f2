//! The KMES public key as an `authorized_keys` line.
//!
//! The KMES exports the SSH Client public key as a DER PKCS #1 `RSAPublicKey` file
//! such as `SSH_Client_Public.pub` (guide [3.2.9]). The guide then converts it on the
//! SSH server with two commands ([4.1]):
//!
//! ```text
//! openssl rsa -RSAPublicKey_in -inform DER -outform PEM -in SSH_Client_Public.pub -out SSH_Client_Public.pem
//! ssh-keygen -f SSH_Client_Public.pem -i -m PKCS8 >> ~/.ssh/authorized_keys
//! ```
//!
//! [`render`] does both in one step and also reports the key's `SHA256:`
//! fingerprint, exactly as `ssh-keygen -lf` prints it, so the administrator can
//! compare it with the KMES. Besides the KMES export it accepts, detected
//! automatically: PKCS #1 and SubjectPublicKeyInfo keys and X.509 certificates in
//! DER or PEM, OpenSSH one-line public keys and RFC 4716 SSH2 public keys, holding
//! RSA, ECDSA (P-256, P-384, P-521) or Ed25519 keys. A private key given by
//! mistake is refused without any of its bytes reaching an error message.
//!
//! [`with_options`] puts `authorized_keys` options such as `from="10.0.0.0/8"` in
//! front of a rendered line, after checking their syntax.

mod der;
mod error;
mod options;
mod text;

use std::fmt;
use std::path::Path;

use p256::elliptic_curve::sec1::ToEncodedPoint;
use serde::Serialize;
use ssh_key::public::{EcdsaPublicKey, KeyData, RsaPublicKey};
use ssh_key::{EcdsaCurve, HashAlg, PublicKey};

pub use error::{ParseCause, PubkeyError};
pub use options::with_options;

/// The largest input accepted, far above any public key or certificate.
pub const MAX_INPUT_LEN: usize = 1024 * 1024;

/// The smallest RSA modulus OpenSSH accepts, in bits.
const MIN_RSA_BITS: u32 = 1024;

/// The largest RSA modulus OpenSSH accepts, in bits.
const MAX_RSA_BITS: u32 = 16384;

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// The format a public key was given in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceFormat {
    /// A DER PKCS #1 `RSAPublicKey`: what the KMES exports in [3.2.9].
    Pkcs1Der,
    /// A PEM `RSA PUBLIC KEY` block (PKCS #1).
    Pkcs1Pem,
    /// A DER `SubjectPublicKeyInfo`.
    SpkiDer,
    /// A PEM `PUBLIC KEY` block (`SubjectPublicKeyInfo`).
    SpkiPem,
    /// A DER X.509 certificate; its subject public key is used.
    CertificateDer,
    /// A PEM `CERTIFICATE` block; its subject public key is used.
    CertificatePem,
    /// An OpenSSH one-line public key such as `ssh-rsa AAAA… comment`.
    OpenSsh,
    /// An RFC 4716 `---- BEGIN SSH2 PUBLIC KEY ----` block.
    Rfc4716,
}

impl fmt::Display for SourceFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SourceFormat::Pkcs1Der => "PKCS #1 RSA public key (DER)",
            SourceFormat::Pkcs1Pem => "PKCS #1 RSA public key (PEM)",
            SourceFormat::SpkiDer => "SubjectPublicKeyInfo public key (DER)",
            SourceFormat::SpkiPem => "SubjectPublicKeyInfo public key (PEM)",
            SourceFormat::CertificateDer => "X.509 certificate (DER)",
            SourceFormat::CertificatePem => "X.509 certificate (PEM)",
            SourceFormat::OpenSsh => "OpenSSH public key",
            SourceFormat::Rfc4716 => "RFC 4716 SSH2 public key",
        })
    }
}

/// A public key rendered for `~/.ssh/authorized_keys`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PublicKeyReport {
    /// The `authorized_keys` line, such as `ssh-rsa AAAA… comment`, without a trailing newline.
    pub line: String,
    /// The fingerprint as `ssh-keygen -lf` prints it: `SHA256:` and unpadded Base64.
    pub fingerprint: String,
    /// The SSH algorithm name: `ssh-rsa`, `ecdsa-sha2-nistp256`, `ssh-ed25519`, …
    pub algorithm: String,
    /// The key type as `ssh-keygen -l` prints it: `RSA`, `ECDSA` or `ED25519`.
    pub key_type: String,
    /// The key size in bits as `ssh-keygen -l` prints it (the RSA modulus length).
    pub bits: u32,
    /// The comment at the end of the line, if any.
    pub comment: Option<String>,
    /// The format the key was given in.
    pub source_format: SourceFormat,
}

/// A key as read from the input, before it is checked and rendered.
pub(crate) struct ParsedKey {
    key: KeyData,
    comment: Option<String>,
    format: SourceFormat,
}

/// Renders a public key, in any accepted format, as an `authorized_keys` line.
///
/// The comment is `comment` when given (trimmed; an empty one means no comment),
/// otherwise the key's own comment for OpenSSH and RFC 4716 input, otherwise none,
/// so that the KMES export renders exactly as `ssh-keygen -i -m PKCS8` prints it.
///
/// # Errors
///
/// [`PubkeyError`] when the input is empty, not a public key, cut short, a private
/// key, of an unsupported algorithm or an unusable key, or when a comment holds a
/// line break.
pub fn render(bytes: &[u8], comment: Option<&str>) -> Result<PublicKeyReport, PubkeyError> {
    let chosen_comment = comment.map(checked_comment).transpose()?;
    let parsed = parse(bytes)?;
    let comment = match chosen_comment {
        Some(chosen) => chosen,
        None => parsed.comment.as_deref().map(checked_comment).transpose()?.flatten(),
    };
    let (key, key_type, bits) = checked_key(parsed.key)?;
    let public_key = PublicKey::new(key, comment.clone().unwrap_or_default());
    let line = public_key
        .to_openssh()
        .map_err(|cause| PubkeyError::bad_key("the key cannot be encoded for SSH", Some(cause.into())))?;
    Ok(PublicKeyReport {
        line,
        fingerprint: public_key.fingerprint(HashAlg::Sha256).to_string(),
        algorithm: public_key.algorithm().as_str().to_owned(),
        key_type: key_type.to_owned(),
        bits,
        comment,
        source_format: parsed.format,
    })
}

/// The key itself, when `text` typed or pasted where a file name is expected is a key rather
/// than a path: PEM (`-----BEGIN …`), RFC 4716 (`---- BEGIN SSH2 …`) or an OpenSSH line. A
/// PEM block whose line breaks were lost on the way (a one-line field keeps none) gets them
/// back, 64 characters a line, so that it parses as the file would. `None` for a path.
pub fn pasted_key(text: &str) -> Option<Vec<u8>> {
    let text = text.trim();
    let openssh = ["ssh-", "ecdsa-sha2-", "sk-ssh-", "sk-ecdsa-"]
        .iter()
        .any(|prefix| text.starts_with(prefix))
        && text.contains(' ');
    if text.starts_with("---- BEGIN SSH2") || openssh {
        return Some(text.as_bytes().to_vec());
    }
    let rest = text.strip_prefix("-----BEGIN ")?;
    let (label, rest) = rest.split_once("-----")?;
    let footer = format!("-----END {label}-----");
    let body = rest.split(footer.as_str()).next()?;
    if !rest.contains(footer.as_str()) {
        return Some(text.as_bytes().to_vec());
    }
    let compact: String = body.chars().filter(|c| !c.is_whitespace()).collect();
    let mut pem = format!("-----BEGIN {label}-----\n");
    for chunk in compact.as_bytes().chunks(64) {
        pem.push_str(&String::from_utf8_lossy(chunk));
        pem.push('\n');
    }
    pem.push_str(&footer);
    pem.push('\n');
    Some(pem.into_bytes())
}

/// Reads a public key file and renders it as [`render`] does.
///
/// # Errors
///
/// [`PubkeyError::Read`] when the file cannot be read, otherwise as [`render`].
pub fn render_file(path: &Path, comment: Option<&str>) -> Result<PublicKeyReport, PubkeyError> {
    let read_error = |source| PubkeyError::Read {
        path: path.to_path_buf(),
        source,
    };
    let bytes = match crate::files::read_regular(path, MAX_INPUT_LEN as u64, "a public key file") {
        Ok(bytes) => bytes,
        Err(crate::files::InputError::TooLarge { .. }) => {
            return Err(PubkeyError::not_a_key(
                "a file larger than 1 MiB, far bigger than any public key",
            ));
        }
        Err(crate::files::InputError::NotRegular { kind, .. }) => {
            return Err(read_error(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!("it is {kind}, not a regular file"),
            )));
        }
        Err(crate::files::InputError::Io { source, .. }) => return Err(read_error(source)),
    };
    render(&bytes, comment)
}

/// Recognises the input's format and reads the key out of it.
fn parse(bytes: &[u8]) -> Result<ParsedKey, PubkeyError> {
    if bytes.len() > MAX_INPUT_LEN {
        return Err(PubkeyError::not_a_key(
            "a file larger than 1 MiB, far bigger than any public key",
        ));
    }
    let bytes = bytes.strip_prefix(UTF8_BOM).unwrap_or(bytes);
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(PubkeyError::Empty);
    }
    if let Ok(text) = std::str::from_utf8(bytes)
        && !text.chars().any(|c| c.is_control() && !c.is_whitespace())
    {
        return text::parse(text);
    }
    // DER always holds control bytes: the tags of its inner elements.
    if bytes.first() == Some(&0x30) {
        let shape = der::shape(bytes)?;
        let format = match shape {
            der::Shape::Pkcs1 => SourceFormat::Pkcs1Der,
            der::Shape::Spki => SourceFormat::SpkiDer,
            der::Shape::Certificate => SourceFormat::CertificateDer,
        };
        return Ok(ParsedKey {
            key: der::key_data(bytes, shape)?,
            comment: None,
            format,
        });
    }
    Err(PubkeyError::not_a_key("binary data that is neither DER nor text"))
}

/// Checks a comment for an `authorized_keys` line; an empty one means none.
fn checked_comment(comment: &str) -> Result<Option<String>, PubkeyError> {
    if comment.contains(['\n', '\r']) {
        return Err(PubkeyError::BadComment {
            reason: "contains a line break",
        });
    }
    if comment.chars().any(char::is_control) {
        return Err(PubkeyError::BadComment {
            reason: "contains a control character",
        });
    }
    let trimmed = comment.trim();
    Ok((!trimmed.is_empty()).then(|| trimmed.to_owned()))
}

/// Checks that the key is one OpenSSH accepts, and returns it with its
/// `ssh-keygen -l` type and size. ECDSA points come back uncompressed.
fn checked_key(key: KeyData) -> Result<(KeyData, &'static str, u32), PubkeyError> {
    match key {
        KeyData::Rsa(rsa) => {
            let bits = checked_rsa(&rsa)?;
            Ok((KeyData::Rsa(rsa), "RSA", bits))
        }
        KeyData::Ecdsa(point) => {
            let bits = match point.curve() {
                EcdsaCurve::NistP256 => 256,
                EcdsaCurve::NistP384 => 384,
                EcdsaCurve::NistP521 => 521,
            };
            Ok((KeyData::Ecdsa(uncompressed_point(&point)?), "ECDSA", bits))
        }
        KeyData::Ed25519(key) => Ok((KeyData::Ed25519(key), "ED25519", 256)),
        other => Err(PubkeyError::UnsupportedAlgorithm {
            algorithm: other.algorithm().as_str().to_owned(),
        }),
    }
}

/// Checks an RSA key as OpenSSH would, and returns its modulus length in bits.
fn checked_rsa(rsa: &RsaPublicKey) -> Result<u32, PubkeyError> {
    let bad = |reason: String| PubkeyError::bad_key(reason, None);
    let magnitude = |value: &ssh_key::Mpint, name: &str| {
        value
            .as_positive_bytes()
            .map(|bytes| {
                let start = bytes.iter().take_while(|byte| **byte == 0).count();
                bytes[start..].to_vec()
            })
            .ok_or_else(|| bad(format!("the RSA {name} is negative")))
    };
    let modulus = magnitude(&rsa.n, "modulus")?;
    let exponent = magnitude(&rsa.e, "public exponent")?;
    let bit_length = match modulus.first() {
        Some(first) => (modulus.len() - 1) * 8 + (8 - first.leading_zeros() as usize),
        None => 0,
    };
    let bits = u32::try_from(bit_length).unwrap_or(u32::MAX);
    if !(MIN_RSA_BITS..=MAX_RSA_BITS).contains(&bits) {
        return Err(bad(format!(
            "the RSA modulus has {bits} bits; OpenSSH accepts {MIN_RSA_BITS} to {MAX_RSA_BITS}"
        )));
    }
    if modulus.last().is_some_and(|last| last & 1 == 0) {
        return Err(bad("the RSA modulus is even".to_owned()));
    }
    let exponent_is_odd = exponent.last().is_some_and(|last| last & 1 == 1);
    if !exponent_is_odd || exponent.as_slice() == [1] {
        return Err(bad("the RSA public exponent must be odd and at least 3".to_owned()));
    }
    if (exponent.len(), exponent.as_slice()) >= (modulus.len(), modulus.as_slice()) {
        return Err(bad("the RSA public exponent is not smaller than the modulus".to_owned()));
    }
    Ok(bits)
}

/// Checks that an ECDSA point lies on its curve and returns it uncompressed, as
/// `ssh-keygen` writes it.
fn uncompressed_point(point: &EcdsaPublicKey) -> Result<EcdsaPublicKey, PubkeyError> {
    let sec1 = point.as_sec1_bytes();
    let uncompressed = match point.curve() {
        EcdsaCurve::NistP256 => {
            p256::PublicKey::from_sec1_bytes(sec1).map(|key| key.to_encoded_point(false).as_bytes().to_vec())
        }
        EcdsaCurve::NistP384 => {
            p384::PublicKey::from_sec1_bytes(sec1).map(|key| key.to_encoded_point(false).as_bytes().to_vec())
        }
        EcdsaCurve::NistP521 => {
            p521::PublicKey::from_sec1_bytes(sec1).map(|key| key.to_encoded_point(false).as_bytes().to_vec())
        }
    }
    .map_err(|_| {
        PubkeyError::bad_key(
            format!("the EC point is not on the curve {}", point.curve().as_str()),
            None,
        )
    })?;
    EcdsaPublicKey::from_sec1_bytes(&uncompressed)
        .map_err(|cause| PubkeyError::bad_key("the EC point cannot be encoded", Some(cause.into())))
}

#[cfg(test)]
mod tests;
