//! The comment OpenSSH gives a key that comes from a certificate object: the certificate's
//! subject in OpenSSL's one-line form (`X509_NAME_oneline`), such as `/C=US/O=Futurex/CN=ssh1`.
//! Each attribute is `/` (or `+` inside a multi-valued RDN), its short name and `=`, then the
//! value's bytes, those outside printable ASCII written as `\xHH`.

use std::fmt::Write as _;

use x509_parser::prelude::{FromDer, X509Certificate};

/// OpenSSL's short names of the attribute types a subject holds, by dotted OID.
const SHORT_NAMES: &[(&str, &str)] = &[
    ("2.5.4.3", "CN"),
    ("2.5.4.4", "SN"),
    ("2.5.4.5", "serialNumber"),
    ("2.5.4.6", "C"),
    ("2.5.4.7", "L"),
    ("2.5.4.8", "ST"),
    ("2.5.4.9", "street"),
    ("2.5.4.10", "O"),
    ("2.5.4.11", "OU"),
    ("2.5.4.12", "title"),
    ("2.5.4.15", "businessCategory"),
    ("2.5.4.17", "postalCode"),
    ("2.5.4.41", "name"),
    ("2.5.4.42", "GN"),
    ("2.5.4.43", "initials"),
    ("2.5.4.44", "generationQualifier"),
    ("2.5.4.46", "dnQualifier"),
    ("2.5.4.65", "pseudonym"),
    ("2.5.4.97", "organizationIdentifier"),
    ("0.9.2342.19200300.100.1.1", "UID"),
    ("0.9.2342.19200300.100.1.25", "DC"),
    ("1.2.840.113549.1.9.1", "emailAddress"),
    ("1.3.6.1.4.1.311.60.2.1.1", "jurisdictionL"),
    ("1.3.6.1.4.1.311.60.2.1.2", "jurisdictionST"),
    ("1.3.6.1.4.1.311.60.2.1.3", "jurisdictionC"),
];

/// The subject of a DER certificate as `X509_NAME_oneline` writes it; `None` when the bytes
/// are not a certificate.
pub fn openssh_subject(der: &[u8]) -> Option<String> {
    let (_, certificate) = X509Certificate::from_der(der).ok()?;
    let mut text = String::new();
    for rdn in certificate.subject().iter() {
        for (index, attribute) in rdn.iter().enumerate() {
            text.push(if index == 0 { '/' } else { '+' });
            let oid = attribute.attr_type().to_id_string();
            match SHORT_NAMES.iter().find(|(dotted, _)| *dotted == oid) {
                Some((_, short)) => text.push_str(short),
                None => text.push_str(&oid),
            }
            text.push('=');
            for &byte in attribute.attr_value().data {
                if (b' '..=b'~').contains(&byte) {
                    text.push(char::from(byte));
                } else {
                    let _ = write!(text, "\\x{byte:02X}");
                }
            }
        }
    }
    Some(text)
}
