//! A minimal DER reader: enough to look inside a PKCS#12 file (which encryption
//! schemes protect it) and to tell what kind of binary file was given, without
//! decrypting anything; a byte search; and the object identifiers of the public-key
//! algorithms and named curves, which certificates, PKCS#12 files, PKCS#11 key objects
//! and public key files all name.

use ssh_key::EcdsaCurve;

/// `rsaEncryption` (PKCS #1).
pub(crate) const OID_RSA_ENCRYPTION: &str = "1.2.840.113549.1.1.1";
/// `id-RSASSA-PSS`.
pub(crate) const OID_RSASSA_PSS: &str = "1.2.840.113549.1.1.10";
/// `id-ecPublicKey`: an elliptic-curve key, its curve named in the parameters.
pub(crate) const OID_EC_PUBLIC_KEY: &str = "1.2.840.10045.2.1";
/// `id-Ed25519`.
pub(crate) const OID_ED25519: &str = "1.3.101.112";
/// `id-Ed448`.
pub(crate) const OID_ED448: &str = "1.3.101.113";
/// `id-dsa`.
pub(crate) const OID_DSA: &str = "1.2.840.10040.4.1";

/// An elliptic curve as named by its object identifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct NamedCurve {
    /// The name shown, such as `P-256`.
    pub name: &'static str,
    /// The dotted object identifier.
    pub oid: &'static str,
    /// The size of the field, in bits.
    pub bits: u32,
    /// The curve as OpenSSH names it, for the curves OpenSSH can use.
    pub ssh: Option<EcdsaCurve>,
}

/// The named curves this tool recognises: the three NIST curves OpenSSH uses, and secp256k1.
pub(crate) const NAMED_CURVES: [NamedCurve; 4] = [
    NamedCurve {
        name: "P-256",
        oid: "1.2.840.10045.3.1.7",
        bits: 256,
        ssh: Some(EcdsaCurve::NistP256),
    },
    NamedCurve {
        name: "P-384",
        oid: "1.3.132.0.34",
        bits: 384,
        ssh: Some(EcdsaCurve::NistP384),
    },
    NamedCurve {
        name: "P-521",
        oid: "1.3.132.0.35",
        bits: 521,
        ssh: Some(EcdsaCurve::NistP521),
    },
    NamedCurve {
        name: "secp256k1",
        oid: "1.3.132.0.10",
        bits: 256,
        ssh: None,
    },
];

impl NamedCurve {
    /// The curve with this dotted object identifier.
    pub(crate) fn from_oid(dotted: &str) -> Option<NamedCurve> {
        NAMED_CURVES.into_iter().find(|curve| curve.oid == dotted)
    }

    /// The curve named by DER-encoded EC parameters holding just its OBJECT IDENTIFIER,
    /// as a PKCS#11 `CKA_EC_PARAMS` attribute does.
    pub(crate) fn from_parameters(der: &[u8]) -> Option<NamedCurve> {
        let (element, rest) = read_element(der).ok()?;
        if element.tag != TAG_OID || !rest.is_empty() {
            return None;
        }
        NamedCurve::from_oid(&oid_to_dotted(element.content)?)
    }

    /// The size in bytes of one coordinate of a point on the curve.
    pub(crate) fn coordinate_len(self) -> usize {
        (self.bits as usize).div_ceil(8)
    }
}

/// Whether `needle` occurs in `haystack`.
pub(crate) fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|window| window == needle)
}

/// DER tag of INTEGER.
pub(crate) const TAG_INTEGER: u8 = 0x02;
/// DER tag of OCTET STRING.
pub(crate) const TAG_OCTET_STRING: u8 = 0x04;
/// DER tag of OBJECT IDENTIFIER.
pub(crate) const TAG_OID: u8 = 0x06;
/// DER tag of SEQUENCE.
pub(crate) const TAG_SEQUENCE: u8 = 0x30;
/// DER tag of `[0]`, constructed (EXPLICIT context tag 0).
pub(crate) const TAG_CONTEXT_0: u8 = 0xA0;

/// Why a DER element could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DerProblem {
    /// The input ended before the element did.
    Truncated {
        /// The length the element announces (header included).
        declared: usize,
        /// The bytes actually there.
        available: usize,
    },
    /// The element uses BER indefinite length, which DER forbids.
    IndefiniteLength,
    /// The tag or length encoding is not valid DER.
    Malformed,
}

/// One tag-length-value element.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Element<'a> {
    /// The identifier octet.
    pub tag: u8,
    /// The contents octets.
    pub content: &'a [u8],
}

/// Reads one element from the front of `input`, returning it and the rest.
pub(crate) fn read_element(input: &[u8]) -> Result<(Element<'_>, &[u8]), DerProblem> {
    let (&tag, after_tag) = input.split_first().ok_or(DerProblem::Malformed)?;
    if tag & 0x1F == 0x1F {
        return Err(DerProblem::Malformed);
    }
    let (&first_length, after_first) = after_tag.split_first().ok_or(DerProblem::Truncated {
        declared: 2,
        available: input.len(),
    })?;
    let (length, after_length) = match first_length {
        0x80 => return Err(DerProblem::IndefiniteLength),
        short if short < 0x80 => (usize::from(short), after_first),
        long => {
            let count = usize::from(long & 0x7F);
            if count > 4 {
                return Err(DerProblem::Malformed);
            }
            let bytes = after_first.get(..count).ok_or(DerProblem::Truncated {
                declared: 2 + count,
                available: input.len(),
            })?;
            let length = bytes.iter().fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
            (length, &after_first[count..])
        }
    };
    let header = input.len() - after_length.len();
    match after_length.get(..length) {
        Some(content) => Ok((Element { tag, content }, &after_length[length..])),
        None => Err(DerProblem::Truncated {
            declared: header.saturating_add(length),
            available: input.len(),
        }),
    }
}

/// Reads one element and checks its tag.
pub(crate) fn expect(input: &[u8], tag: u8) -> Option<(&[u8], &[u8])> {
    let (element, rest) = read_element(input).ok()?;
    (element.tag == tag).then_some((element.content, rest))
}

/// The elements inside a constructed element's contents, stopping at the first bad one.
pub(crate) fn children(content: &[u8]) -> impl Iterator<Item = Element<'_>> {
    let mut rest = content;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let (element, after) = read_element(rest).ok()?;
        rest = after;
        Some(element)
    })
}

/// The dotted form of an OBJECT IDENTIFIER's contents, such as `1.2.840.113549.1.5.13`.
pub(crate) fn oid_to_dotted(content: &[u8]) -> Option<String> {
    let mut arcs: Vec<u64> = Vec::new();
    let mut value: u64 = 0;
    for (index, &byte) in content.iter().enumerate() {
        if value > (u64::MAX >> 7) {
            return None;
        }
        value = (value << 7) | u64::from(byte & 0x7F);
        if byte & 0x80 == 0 {
            if arcs.is_empty() {
                let first = (value / 40).min(2);
                arcs.push(first);
                arcs.push(value - first * 40);
            } else {
                arcs.push(value);
            }
            value = 0;
        } else if index + 1 == content.len() {
            return None;
        }
    }
    if arcs.is_empty() {
        return None;
    }
    Some(arcs.iter().map(u64::to_string).collect::<Vec<_>>().join("."))
}

/// The value of a small non-negative INTEGER's contents.
pub(crate) fn small_integer(content: &[u8]) -> Option<u64> {
    if content.is_empty() || content.len() > 8 || content[0] & 0x80 != 0 {
        return None;
    }
    Some(content.iter().fold(0u64, |acc, &b| (acc << 8) | u64::from(b)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_short_and_long_lengths() {
        let short = [0x04, 0x02, 0xAA, 0xBB, 0xFF];
        let (element, rest) = read_element(&short).unwrap();
        assert_eq!(
            (element.tag, element.content, rest),
            (0x04, &[0xAA, 0xBB][..], &[0xFF][..])
        );

        let mut long = vec![0x04, 0x81, 0x80];
        long.extend(std::iter::repeat_n(7u8, 0x80));
        let (element, rest) = read_element(&long).unwrap();
        assert_eq!(element.content.len(), 0x80);
        assert!(rest.is_empty());
    }

    #[test]
    fn reports_truncation_with_sizes() {
        let truncated = [0x30, 0x82, 0x01, 0x00, 0x02, 0x01];
        assert_eq!(
            read_element(&truncated).unwrap_err(),
            DerProblem::Truncated {
                declared: 260,
                available: 6
            }
        );
        assert_eq!(
            read_element(&[0x30, 0x80, 0x00]).unwrap_err(),
            DerProblem::IndefiniteLength
        );
        assert_eq!(read_element(&[]).unwrap_err(), DerProblem::Malformed);
    }

    #[test]
    fn decodes_object_identifiers() {
        let pbes2 = [0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x05, 0x0D];
        assert_eq!(oid_to_dotted(&pbes2).as_deref(), Some("1.2.840.113549.1.5.13"));
        let ed25519 = [0x2B, 0x65, 0x70];
        assert_eq!(oid_to_dotted(&ed25519).as_deref(), Some("1.3.101.112"));
        assert_eq!(oid_to_dotted(&[0x86]), None);
        assert_eq!(oid_to_dotted(&[]), None);
    }

    #[test]
    fn names_curves_by_dotted_oid_and_by_ec_parameters() {
        let p256_parameters = [0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
        let p521_parameters = [0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x23];
        assert_eq!(
            NamedCurve::from_parameters(&p256_parameters).map(|c| c.name),
            Some("P-256")
        );
        assert_eq!(
            NamedCurve::from_parameters(&p521_parameters).map(|c| c.coordinate_len()),
            Some(66)
        );
        assert_eq!(NamedCurve::from_parameters(&p256_parameters[..9]), None);
        assert_eq!(
            NamedCurve::from_parameters(&[0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x23, 0x00]),
            None
        );
        assert_eq!(
            NamedCurve::from_oid("1.3.132.0.34").and_then(|c| c.ssh),
            Some(EcdsaCurve::NistP384)
        );
        assert_eq!(NamedCurve::from_oid("1.3.132.0.10").and_then(|c| c.ssh), None);
        assert_eq!(NamedCurve::from_oid("1.2.3"), None);
    }

    #[test]
    fn finds_byte_strings() {
        assert!(contains(b"-----BEGIN CERTIFICATE-----", b"BEGIN "));
        assert!(!contains(b"BEGI", b"BEGIN"));
    }

    #[test]
    fn decodes_small_integers() {
        assert_eq!(small_integer(&[0x03]), Some(3));
        assert_eq!(small_integer(&[0x00, 0x80]), Some(128));
        assert_eq!(small_integer(&[0x80]), None);
    }
}
