//! Text input: PEM blocks, OpenSSH one-line keys and RFC 4716 SSH2 keys.

use base64ct::{Base64, Encoding};
use ssh_key::PublicKey;

use super::der::{self, Shape};
use super::{ParsedKey, PubkeyError, SourceFormat};

const PEM_BEGIN: &str = "-----BEGIN ";
const PEM_DASHES: &str = "-----";
const RFC4716_BEGIN: &str = "---- BEGIN SSH2 PUBLIC KEY ----";
const RFC4716_END: &str = "---- END SSH2 PUBLIC KEY ----";
const PUTTY_PRIVATE_MARKER: &str = "PuTTY-User-Key-File-";

/// The longest PEM label that is named back in an error message.
const MAX_SHOWN_LABEL_LEN: usize = 40;

/// Reads a key from text, in whichever of the text formats it is.
pub(crate) fn parse(text: &str) -> Result<ParsedKey, PubkeyError> {
    refuse_private_key(text)?;
    if has_line_starting(text, RFC4716_BEGIN) {
        return parse_rfc4716(text);
    }
    if has_line_starting(text, PEM_BEGIN) {
        return parse_pem(text);
    }
    parse_openssh(text)
}

/// Whether a line begins (after blanks) with `marker`: a marker inside a line, such as in the
/// comment of an OpenSSH key, starts no block.
fn has_line_starting(text: &str, marker: &str) -> bool {
    text.lines().any(|line| line.trim_start().starts_with(marker))
}

/// Refuses any text that holds a private key, before anything of it is decoded.
fn refuse_private_key(text: &str) -> Result<(), PubkeyError> {
    if text.contains(PUTTY_PRIVATE_MARKER) {
        return Err(PubkeyError::PrivateKeyGiven {
            kind: "PuTTY private key",
        });
    }
    for line in text.lines() {
        if line.contains("BEGIN") && line.contains("PRIVATE KEY") {
            return Err(PubkeyError::PrivateKeyGiven {
                kind: private_label_kind(line),
            });
        }
    }
    Ok(())
}

fn private_label_kind(begin_line: &str) -> &'static str {
    let kinds = [
        ("OPENSSH PRIVATE KEY", "OpenSSH private key"),
        ("SSH2 ENCRYPTED PRIVATE KEY", "SSH2 (ssh.com) private key"),
        ("ENCRYPTED PRIVATE KEY", "encrypted PKCS #8 private key"),
        ("RSA PRIVATE KEY", "PKCS #1 RSA private key"),
        ("EC PRIVATE KEY", "SEC 1 EC private key"),
        ("DSA PRIVATE KEY", "DSA private key"),
        ("PGP PRIVATE KEY", "OpenPGP private key"),
        ("BEGIN PRIVATE KEY", "PKCS #8 private key"),
    ];
    kinds
        .iter()
        .find(|(marker, _)| begin_line.contains(marker))
        .map_or("private key", |(_, kind)| kind)
}

/// The labels of all PEM blocks, in order, whether or not their bodies decode.
fn pem_labels(text: &str) -> Vec<&str> {
    text.lines()
        .filter_map(|line| line.trim_start().strip_prefix(PEM_BEGIN))
        .filter_map(|after| after.find(PEM_DASHES).map(|end| &after[..end]))
        .collect()
}

fn parse_pem(text: &str) -> Result<ParsedKey, PubkeyError> {
    let labels = pem_labels(text);
    let blocks = pem::parse_many(text).map_err(|cause| PubkeyError::NotAKey {
        looked_like: "PEM text whose framing or Base64 is broken".to_owned(),
        source: Some(cause.into()),
    })?;
    if blocks.len() < labels.len() {
        let label = labels.get(blocks.len()).copied().unwrap_or_default();
        return Err(PubkeyError::Truncated {
            detail: format!("the PEM block {} has no END line", shown_label(label)),
        });
    }
    let Some((block, format, expected)) = blocks.iter().find_map(|block| {
        let (format, expected) = match block.tag() {
            "RSA PUBLIC KEY" => (SourceFormat::Pkcs1Pem, Shape::Pkcs1),
            "PUBLIC KEY" => (SourceFormat::SpkiPem, Shape::Spki),
            "CERTIFICATE" => (SourceFormat::CertificatePem, Shape::Certificate),
            _ => return None,
        };
        Some((block, format, expected))
    }) else {
        let label = blocks.first().map(pem::Pem::tag).unwrap_or_default();
        return Err(PubkeyError::not_a_key(format!(
            "a PEM block labelled {}, not a public key or certificate",
            shown_label(label)
        )));
    };
    let found = der::shape(block.contents())?;
    if found != expected {
        return Err(PubkeyError::not_a_key(format!(
            "a PEM block labelled {} whose contents are a {}",
            shown_label(block.tag()),
            shape_name(found)
        )));
    }
    Ok(ParsedKey {
        key: der::key_data(block.contents(), found)?,
        comment: None,
        format,
    })
}

fn shape_name(shape: Shape) -> &'static str {
    match shape {
        Shape::Pkcs1 => "PKCS #1 RSAPublicKey",
        Shape::Spki => "SubjectPublicKeyInfo",
        Shape::Certificate => "certificate",
    }
}

/// A PEM label, quoted, when it is short plain text; otherwise a neutral word.
fn shown_label(label: &str) -> String {
    let plain = label.len() <= MAX_SHOWN_LABEL_LEN
        && label
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == ' ');
    if plain && !label.is_empty() {
        format!("\"{label}\"")
    } else {
        "(unreadable label)".to_owned()
    }
}

fn parse_rfc4716(text: &str) -> Result<ParsedKey, PubkeyError> {
    let mut lines = text
        .lines()
        .map(str::trim)
        .skip_while(|line| *line != RFC4716_BEGIN)
        .skip(1);
    let mut comment = None;
    let mut body = String::new();
    let mut ended = false;
    let mut in_headers = true;
    while let Some(line) = lines.next() {
        if line == RFC4716_END {
            ended = true;
            break;
        }
        if in_headers && line.contains(':') {
            let mut header = line.to_owned();
            while header.ends_with('\\') {
                header.pop();
                match lines.next() {
                    Some(next) => header.push_str(next),
                    None => break,
                }
            }
            if let Some((tag, value)) = header.split_once(':')
                && tag.trim().eq_ignore_ascii_case("Comment")
            {
                comment = Some(unquoted(value.trim()).to_owned());
            }
            continue;
        }
        in_headers = false;
        body.push_str(line);
    }
    if !ended {
        return Err(PubkeyError::Truncated {
            detail: "the RFC 4716 key has no \"---- END SSH2 PUBLIC KEY ----\" line".to_owned(),
        });
    }
    let blob = Base64::decode_vec(&body).map_err(|cause| PubkeyError::NotAKey {
        looked_like: "an RFC 4716 SSH2 key whose body is not Base64".to_owned(),
        source: Some(cause.into()),
    })?;
    let key = PublicKey::from_bytes(&blob).map_err(|cause| ssh_blob_error("the RFC 4716 key", cause))?;
    Ok(ParsedKey {
        key: key.key_data().clone(),
        comment,
        format: SourceFormat::Rfc4716,
    })
}

fn unquoted(value: &str) -> &str {
    value
        .strip_prefix('"')
        .and_then(|inner| inner.strip_suffix('"'))
        .unwrap_or(value)
}

fn parse_openssh(text: &str) -> Result<ParsedKey, PubkeyError> {
    let key_lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .collect();
    let [line] = key_lines.as_slice() else {
        return Err(PubkeyError::not_a_key(format!(
            "{} lines of text; an OpenSSH public key is a single line",
            key_lines.len()
        )));
    };
    let algorithm_name = line.split_whitespace().next().unwrap_or_default();
    if !looks_like_ssh_algorithm(algorithm_name) {
        return Err(PubkeyError::not_a_key(
            "text that is neither PEM, an OpenSSH public key nor an RFC 4716 SSH2 key",
        ));
    }
    let key = PublicKey::from_openssh(line).map_err(|cause| ssh_line_error(algorithm_name, cause))?;
    let comment = Some(key.comment().trim().to_owned()).filter(|comment| !comment.is_empty());
    Ok(ParsedKey {
        key: key.key_data().clone(),
        comment,
        format: SourceFormat::OpenSsh,
    })
}

/// Whether a word has the form of an SSH key algorithm name.
pub(crate) fn looks_like_ssh_algorithm(word: &str) -> bool {
    let known_prefix = ["ssh-", "ecdsa-", "sk-", "rsa-", "x509v3-"]
        .iter()
        .any(|prefix| word.starts_with(prefix));
    known_prefix && word.chars().all(|c| c.is_ascii_alphanumeric() || "-@._".contains(c))
}

/// Turns a failure to read an OpenSSH line into an error naming the algorithm.
pub(crate) fn ssh_line_error(algorithm_name: &str, cause: ssh_key::Error) -> PubkeyError {
    match cause {
        ssh_key::Error::AlgorithmUnknown | ssh_key::Error::AlgorithmUnsupported { .. } => {
            PubkeyError::UnsupportedAlgorithm {
                algorithm: algorithm_name.to_owned(),
            }
        }
        cause => ssh_blob_error("the OpenSSH public key", cause),
    }
}

fn ssh_blob_error(what: &str, cause: ssh_key::Error) -> PubkeyError {
    match cause {
        ssh_key::Error::AlgorithmUnknown | ssh_key::Error::AlgorithmUnsupported { .. } => {
            PubkeyError::UnsupportedAlgorithm {
                algorithm: format!("the one named inside {what}"),
            }
        }
        cause => PubkeyError::bad_key(format!("the key data of {what} cannot be decoded"), Some(cause.into())),
    }
}
