//! DER input: recognising its shape and reading the public key out of it.
//!
//! The shape is read from the tags of the outer SEQUENCE's elements only, which is
//! enough to tell a public key from a certificate or from the private-key forms
//! that are given by mistake. The keys themselves are decoded by `x509-parser`.

use ssh_key::Mpint;
use ssh_key::public::{EcdsaPublicKey, Ed25519PublicKey, KeyData, RsaPublicKey};
use x509_parser::asn1_rs::{Any, Class, FromDer, Header, Length, Oid, Tag};
use x509_parser::certificate::X509Certificate;
use x509_parser::certification_request::X509CertificationRequest;
use x509_parser::error::X509Error;
use x509_parser::objects::{oid_registry, oid2sn};
use x509_parser::oid_registry::{OID_KEY_TYPE_EC_PUBLIC_KEY, OID_PKCS1_RSAENCRYPTION, OID_SIG_ED25519};
use x509_parser::public_key::RSAPublicKey;
use x509_parser::revocation_list::CertificateRevocationList;
use x509_parser::x509::SubjectPublicKeyInfo;

use super::PubkeyError;
use crate::identity::der::NamedCurve;

/// How many elements of the outer SEQUENCE are kept to recognise the shape.
const SHAPE_ELEMENTS: usize = 10;

/// The kinds of public DER documents that carry a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Shape {
    /// PKCS #1 `RSAPublicKey`: SEQUENCE { INTEGER, INTEGER }.
    Pkcs1,
    /// `SubjectPublicKeyInfo`: SEQUENCE { SEQUENCE, BIT STRING }.
    Spki,
    /// X.509 `Certificate`: SEQUENCE { SEQUENCE, SEQUENCE, BIT STRING }.
    Certificate,
}

/// Recognises the kind of DER document, refusing private keys and cut data.
pub(crate) fn shape(der: &[u8]) -> Result<Shape, PubkeyError> {
    let (rest, outer) = match Any::from_der(der) {
        Ok(parsed) => parsed,
        Err(x509_parser::nom::Err::Incomplete(_)) => return Err(truncated(der)),
        Err(_) => return Err(PubkeyError::not_a_key("binary data that is not DER")),
    };
    if outer.class() != Class::Universal || outer.tag() != Tag::Sequence {
        return Err(PubkeyError::not_a_key(
            "DER data that is not a SEQUENCE, so neither a key nor a certificate",
        ));
    }
    if !rest.is_empty() {
        let plural = if rest.len() == 1 { "" } else { "s" };
        return Err(PubkeyError::not_a_key(format!(
            "DER data followed by {} unexpected byte{plural}",
            rest.len()
        )));
    }

    let mut elements = Vec::with_capacity(SHAPE_ELEMENTS);
    let mut count = 0;
    let mut content = outer.data;
    while !content.is_empty() {
        let (remaining, element) = Any::from_der(content).map_err(|_| PubkeyError::not_a_key("malformed DER data"))?;
        if elements.len() < SHAPE_ELEMENTS {
            elements.push(element);
        }
        count += 1;
        content = remaining;
    }

    let tags: Vec<Option<Tag>> = elements.iter().map(universal_tag).collect();
    let version = elements.first().and_then(small_integer);
    let is = |index: usize, tag: Tag| tags.get(index) == Some(&Some(tag));

    if count == 2 && is(0, Tag::Integer) && is(1, Tag::Integer) {
        return Ok(Shape::Pkcs1);
    }
    if count == 2 && is(0, Tag::Sequence) && is(1, Tag::BitString) {
        return Ok(Shape::Spki);
    }
    if count == 3 && is(0, Tag::Sequence) && is(1, Tag::Sequence) && is(2, Tag::BitString) {
        return Ok(Shape::Certificate);
    }
    Err(match private_kind(&tags, version, count) {
        Some(kind) => PubkeyError::PrivateKeyGiven { kind },
        None => PubkeyError::not_a_key("DER data that is neither a public key nor a certificate (perhaps a signature)"),
    })
}

/// Names the private-key container the element tags describe, if any.
fn private_kind(tags: &[Option<Tag>], version: Option<u8>, count: usize) -> Option<&'static str> {
    let is = |index: usize, tag: Tag| tags.get(index) == Some(&Some(tag));
    let all_integers = |n: usize| (0..n).all(|index| is(index, Tag::Integer));
    match version {
        // PrivateKeyInfo / OneAsymmetricKey: version, algorithm, OCTET STRING key.
        Some(0 | 1) if is(1, Tag::Sequence) && is(2, Tag::OctetString) => Some("PKCS #8 private key"),
        // RSAPrivateKey: version 0 then n, e, d, p, q, dP, dQ, qInv.
        Some(0) if count >= 9 && all_integers(9) => Some("PKCS #1 RSA private key"),
        // OpenSSL's DSA private key: version 0 then p, q, g, y, x.
        Some(0) if count == 6 && all_integers(6) => Some("DSA private key"),
        // ECPrivateKey: version 1, OCTET STRING key.
        Some(1) if is(1, Tag::OctetString) => Some("SEC 1 EC private key"),
        // PFX: version 3, authSafe, macData.
        Some(3) if is(1, Tag::Sequence) => Some("PKCS #12 bundle, which holds a private key"),
        _ if count == 2 && is(0, Tag::Sequence) && is(1, Tag::OctetString) => Some("encrypted PKCS #8 private key"),
        _ => None,
    }
}

fn universal_tag(element: &Any) -> Option<Tag> {
    (element.class() == Class::Universal).then(|| element.tag())
}

fn small_integer(element: &Any) -> Option<u8> {
    match (universal_tag(element), element.data) {
        (Some(Tag::Integer), [value]) => Some(*value),
        _ => None,
    }
}

/// Describes where DER data that parsed as incomplete ends.
fn truncated(der: &[u8]) -> PubkeyError {
    let detail = match Header::from_der(der) {
        Ok((content, header)) => match header.length() {
            Length::Definite(announced) => format!(
                "the DER data announces {announced} bytes of content but only {} follow",
                content.len()
            ),
            Length::Indefinite => "the DER data ends before its end-of-contents marker".to_owned(),
        },
        Err(_) => "the DER data ends inside its first header".to_owned(),
    };
    PubkeyError::Truncated { detail }
}

/// Reads the key out of DER data of the given shape.
pub(crate) fn key_data(der: &[u8], shape: Shape) -> Result<KeyData, PubkeyError> {
    match shape {
        Shape::Pkcs1 => {
            let (_, rsa) =
                RSAPublicKey::from_der(der).map_err(|error| bad_structure("the PKCS #1 RSAPublicKey", error))?;
            rsa_key_data(&rsa)
        }
        Shape::Spki => {
            let (_, spki) = SubjectPublicKeyInfo::from_der(der)
                .map_err(|error| bad_structure("the SubjectPublicKeyInfo", error))?;
            spki_key_data(&spki)
        }
        Shape::Certificate => match X509Certificate::from_der(der) {
            Ok((_, certificate)) => spki_key_data(certificate.public_key()),
            // A request and a revocation list have the same outer shape.
            Err(_) if X509CertificationRequest::from_der(der).is_ok() => Err(PubkeyError::not_a_key(
                "a certificate signing request, not a certificate",
            )),
            Err(_) if CertificateRevocationList::from_der(der).is_ok() => Err(PubkeyError::not_a_key(
                "a certificate revocation list, not a certificate",
            )),
            Err(error) => Err(bad_structure("the X.509 certificate", error)),
        },
    }
}

fn bad_structure(what: &str, error: x509_parser::nom::Err<X509Error>) -> PubkeyError {
    match error {
        x509_parser::nom::Err::Incomplete(_) => PubkeyError::Truncated {
            detail: format!("{what} ends early"),
        },
        x509_parser::nom::Err::Error(cause) | x509_parser::nom::Err::Failure(cause) => {
            PubkeyError::bad_key(format!("{what} cannot be decoded"), Some(cause.into()))
        }
    }
}

fn rsa_key_data(rsa: &RSAPublicKey) -> Result<KeyData, PubkeyError> {
    let positive = |bytes: &[u8], name: &str| match bytes.first() {
        Some(first) if first & 0x80 == 0 => Mpint::from_positive_bytes(bytes)
            .map_err(|cause| PubkeyError::bad_key(format!("the RSA {name} is unusable"), Some(cause.into()))),
        _ => Err(PubkeyError::bad_key(format!("the RSA {name} is negative"), None)),
    };
    Ok(KeyData::Rsa(RsaPublicKey {
        e: positive(rsa.exponent, "exponent")?,
        n: positive(rsa.modulus, "modulus")?,
    }))
}

fn spki_key_data(spki: &SubjectPublicKeyInfo) -> Result<KeyData, PubkeyError> {
    let algorithm = &spki.algorithm.algorithm;
    let key_bytes: &[u8] = &spki.subject_public_key.data;
    if *algorithm == OID_PKCS1_RSAENCRYPTION {
        let (_, rsa) = RSAPublicKey::from_der(key_bytes)
            .map_err(|error| bad_structure("the RSA key inside the SubjectPublicKeyInfo", error))?;
        rsa_key_data(&rsa)
    } else if *algorithm == OID_KEY_TYPE_EC_PUBLIC_KEY {
        let curve_oid = spki
            .algorithm
            .parameters
            .as_ref()
            .and_then(|parameters| parameters.as_oid().ok())
            .ok_or_else(|| PubkeyError::UnsupportedAlgorithm {
                algorithm: "ECDSA with explicit curve parameters instead of a named curve".to_owned(),
            })?;
        let Some(curve) = NamedCurve::from_oid(&curve_oid.to_id_string()).and_then(|named| named.ssh) else {
            return Err(PubkeyError::UnsupportedAlgorithm {
                algorithm: format!("ECDSA on the curve {}", describe_oid(&curve_oid)),
            });
        };
        let point = EcdsaPublicKey::from_sec1_bytes(key_bytes)
            .map_err(|cause| PubkeyError::bad_key("the EC point is not a valid SEC 1 point", Some(cause.into())))?;
        if point.curve() != curve {
            return Err(PubkeyError::bad_key(
                format!("the EC point's size does not match the named curve {}", curve.as_str()),
                None,
            ));
        }
        Ok(KeyData::Ecdsa(point))
    } else if *algorithm == OID_SIG_ED25519 {
        Ed25519PublicKey::try_from(key_bytes)
            .map(KeyData::Ed25519)
            .map_err(|cause| PubkeyError::bad_key("an Ed25519 public key is 32 bytes", Some(cause.into())))
    } else {
        Err(PubkeyError::UnsupportedAlgorithm {
            algorithm: describe_oid(algorithm),
        })
    }
}

/// The OID in dotted form, with its short name when the registry knows it.
fn describe_oid(oid: &Oid) -> String {
    match oid2sn(oid, oid_registry()) {
        Ok(name) => format!("{name} ({})", oid.to_id_string()),
        Err(_) => oid.to_id_string(),
    }
}
