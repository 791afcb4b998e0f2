//! A minimal DER reader: enough to look inside a PKCS#12 file (which encryption
//! schemes protect it) and to tell what kind of binary file was given, without
//! decrypting anything.

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
    fn decodes_small_integers() {
        assert_eq!(small_integer(&[0x03]), Some(3));
        assert_eq!(small_integer(&[0x00, 0x80]), Some(128));
        assert_eq!(small_integer(&[0x80]), None);
    }
}
