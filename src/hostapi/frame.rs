//! Excrypt frames: `[AOECHO;]` requests and `[AOECHO;…;]` answers.
//!
//! A frame is printable ASCII between `[` and `]`. Inside, fields are separated by
//! `;`; each field is a two-character tag followed by its value. The first field
//! carries the tag `AO` and the command name as its value (`AOECHO` is the tag `AO`
//! with the value `ECHO`), so a frame is simply a list of tagged fields whose first
//! one names the command.
//!
//! Which tags the KMES uses in its ECHO answer and in error answers is not
//! publicly documented; see the assumptions listed in [the module
//! documentation](crate::hostapi) and the tag constants below.

use std::fmt;

/// The largest answer the client accepts, any leading white space and the
/// opening `[` to closing `]` included.
pub const MAX_FRAME_LEN: usize = 64 * 1024;

/// The tag whose value names the command.
pub const TAG_COMMAND: &str = "AO";

/// The command name of the connectivity check.
pub const COMMAND_ECHO: &str = "ECHO";

/// The command name of an error answer (assumption, see the module documentation).
pub const COMMAND_ERROR: &str = "ERRO";

/// The tag carrying an error description (assumption, see the module documentation).
pub const TAG_ERROR: &str = "BB";

/// The tag carrying the device serial number (assumption, see the module documentation).
pub const TAG_SERIAL: &str = "SN";

/// The tag carrying the product name (assumption, see the module documentation).
pub const TAG_PRODUCT: &str = "PN";

/// The tag carrying the firmware or software version (assumption, see the module documentation).
pub const TAG_VERSION: &str = "VN";

/// A parsed Excrypt frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    /// The command name, the value of the leading `AO` field, such as `ECHO`.
    pub command: String,
    /// The fields after the command, in order: (two-character tag, value).
    pub fields: Vec<(String, String)>,
}

impl Frame {
    /// The value of the first field with `tag`, if any.
    pub fn get(&self, tag: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(field_tag, _)| field_tag == tag)
            .map(|(_, value)| value.as_str())
    }

    /// Whether this is an error answer: the `ERRO` command, or any frame with an
    /// error tag (`BB`).
    pub fn is_error(&self) -> bool {
        self.command == COMMAND_ERROR || self.get(TAG_ERROR).is_some()
    }

    /// The error description of an error answer, when it carries one.
    pub fn error_text(&self) -> Option<&str> {
        self.get(TAG_ERROR)
    }

    /// The identifying fields present in the frame, labelled: `serial`, `product`,
    /// `version` (in that order, absent ones left out).
    pub fn identity(&self) -> Vec<(&'static str, String)> {
        [
            ("serial", TAG_SERIAL),
            ("product", TAG_PRODUCT),
            ("version", TAG_VERSION),
        ]
        .into_iter()
        .filter_map(|(label, tag)| self.get(tag).map(|value| (label, value.to_owned())))
        .collect()
    }
}

impl fmt::Display for Frame {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let fields: Vec<(&str, &str)> = self.fields.iter().map(|(t, v)| (t.as_str(), v.as_str())).collect();
        f.write_str(&String::from_utf8_lossy(&encode(&self.command, &fields)))
    }
}

/// Why bytes are not an Excrypt frame.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FrameError {
    /// Nothing but white space was given.
    #[error("the answer is empty")]
    Empty,
    /// The first byte that is not white space is not `[`.
    #[error("the answer does not start with '[' (first byte {found:#04x})")]
    MissingStart {
        /// The byte found instead.
        found: u8,
    },
    /// No closing `]` was found.
    #[error("the answer has no closing ']'")]
    MissingEnd,
    /// More than [`MAX_FRAME_LEN`] bytes came without a closing `]`.
    #[error("the answer is longer than {MAX_FRAME_LEN} bytes")]
    TooLarge,
    /// A byte inside the frame is not printable ASCII, or is a stray `[`.
    #[error("byte {byte:#04x} at offset {offset} cannot appear inside a frame")]
    BadByte {
        /// The offending byte.
        byte: u8,
        /// Its offset from the start of the input.
        offset: usize,
    },
    /// Something other than white space follows the closing `]`.
    #[error("unexpected bytes after the closing ']'")]
    TrailingBytes,
    /// A field is shorter than its two-character tag, or its tag is not alphanumeric.
    #[error("field {index} ({field:?}) is not a two-character tag followed by a value")]
    BadField {
        /// The position of the field, 0 for the command field.
        index: usize,
        /// The field's text.
        field: String,
    },
    /// The first field is not `AO` followed by an alphanumeric command name.
    #[error("the frame does not start with the AO command field")]
    MissingCommand,
}

impl crate::remedy::Explain for FrameError {
    fn remedy(&self) -> String {
        "Something other than the KMES Host API answered: check <ADDRESS> and <PROD-PORT> in fxpkcs11.cfg.".to_owned()
    }

    fn guide_section(&self) -> Option<&'static str> {
        Some("4.2")
    }
}

/// Builds a frame: `[AO<command>;<tag><value>;…]`.
///
/// Characters that cannot appear inside a frame (`[`, `]`, `;` and anything
/// outside printable ASCII) are left out of the command, tags and values, so the
/// result is always one well-formed frame.
pub fn encode(command: &str, fields: &[(&str, &str)]) -> Vec<u8> {
    let mut out = Vec::with_capacity(16 + fields.iter().map(|(t, v)| t.len() + v.len() + 1).sum::<usize>());
    out.push(b'[');
    out.extend_from_slice(TAG_COMMAND.as_bytes());
    push_clean(&mut out, command);
    out.push(b';');
    for (tag, value) in fields {
        push_clean(&mut out, tag);
        push_clean(&mut out, value);
        out.push(b';');
    }
    out.push(b']');
    out
}

fn push_clean(out: &mut Vec<u8>, text: &str) {
    out.extend(text.bytes().filter(|&b| is_field_byte(b)));
}

fn is_field_byte(byte: u8) -> bool {
    (0x20..=0x7e).contains(&byte) && !matches!(byte, b'[' | b']' | b';')
}

/// How far a stream of answer bytes has come, see [`scan`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scan {
    /// A frame may follow; more bytes are needed.
    NeedMore,
    /// The first `len` bytes hold a whole frame (leading white space included).
    Complete(usize),
}

/// Checks the bytes received so far, without waiting for the closing `]`:
/// fails as soon as they cannot be the beginning of a frame (so an HTTP page or
/// binary data is named right away) or exceed [`MAX_FRAME_LEN`].
pub fn scan(bytes: &[u8]) -> Result<Scan, FrameError> {
    let Some(start) = bytes.iter().position(|b| !b.is_ascii_whitespace()) else {
        return if bytes.len() > MAX_FRAME_LEN {
            Err(FrameError::TooLarge)
        } else {
            Ok(Scan::NeedMore)
        };
    };
    if start >= MAX_FRAME_LEN {
        return Err(FrameError::TooLarge);
    }
    if bytes[start] != b'[' {
        return Err(FrameError::MissingStart { found: bytes[start] });
    }
    for (offset, &byte) in bytes.iter().enumerate().skip(start + 1) {
        if offset >= MAX_FRAME_LEN {
            return Err(FrameError::TooLarge);
        }
        match byte {
            b']' => return Ok(Scan::Complete(offset + 1)),
            b';' => {}
            _ if is_field_byte(byte) => {}
            _ => return Err(FrameError::BadByte { byte, offset }),
        }
    }
    Ok(Scan::NeedMore)
}

/// Parses one whole frame. White space around it is ignored.
pub fn parse(bytes: &[u8]) -> Result<Frame, FrameError> {
    let len = match scan(bytes)? {
        Scan::Complete(len) => len,
        Scan::NeedMore if bytes.iter().all(u8::is_ascii_whitespace) => {
            return Err(FrameError::Empty);
        }
        Scan::NeedMore => return Err(FrameError::MissingEnd),
    };
    if !bytes[len..].iter().all(u8::is_ascii_whitespace) {
        return Err(FrameError::TrailingBytes);
    }
    let start = bytes.iter().position(|b| !b.is_ascii_whitespace()).unwrap_or(0);
    // `scan` accepted only printable ASCII between the brackets.
    let inner = String::from_utf8_lossy(&bytes[start + 1..len - 1]);
    let mut parts: Vec<&str> = inner.split(';').collect();
    if parts.last() == Some(&"") {
        parts.pop();
    }
    let mut fields = Vec::with_capacity(parts.len());
    for (index, part) in parts.iter().enumerate() {
        let tag = part
            .get(..2)
            .filter(|tag| tag.bytes().all(|b| b.is_ascii_alphanumeric()));
        let Some(tag) = tag else {
            return Err(FrameError::BadField {
                index,
                field: (*part).to_owned(),
            });
        };
        fields.push((tag.to_owned(), part[2..].to_owned()));
    }
    if fields.is_empty() {
        return Err(FrameError::MissingCommand);
    }
    let (tag, command) = fields.remove(0);
    if tag != TAG_COMMAND || command.is_empty() || !command.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(FrameError::MissingCommand);
    }
    Ok(Frame { command, fields })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn echo_request_is_the_documented_bytes() {
        assert_eq!(encode("ECHO", &[]), b"[AOECHO;]");
    }

    #[test]
    fn parses_an_answer_with_fields() {
        let frame = parse(b"[AOECHO;SN1234;PNKMES Series 3;VN7.1.0;]\r\n").unwrap();
        assert_eq!(frame.command, "ECHO");
        assert_eq!(frame.get("PN"), Some("KMES Series 3"));
        assert!(!frame.is_error());
        assert_eq!(
            frame.identity(),
            vec![
                ("serial", "1234".into()),
                ("product", "KMES Series 3".into()),
                ("version", "7.1.0".into())
            ]
        );
    }

    #[test]
    fn error_answers_are_recognised_both_ways() {
        assert!(parse(b"[AOERRO;]").unwrap().is_error());
        let tagged = parse(b"[AOECHO;BBCommand disabled;]").unwrap();
        assert!(tagged.is_error());
        assert_eq!(tagged.error_text(), Some("Command disabled"));
    }

    #[test]
    fn rejects_what_is_not_a_frame() {
        assert_eq!(scan(b"HTTP/1.1 400"), Err(FrameError::MissingStart { found: b'H' }));
        assert_eq!(scan(b"[AO\x00"), Err(FrameError::BadByte { byte: 0, offset: 3 }));
        assert_eq!(scan(b"  [AOECHO;"), Ok(Scan::NeedMore));
        assert_eq!(parse(b"[AOECHO;"), Err(FrameError::MissingEnd));
        assert_eq!(parse(b"[XXECHO;]"), Err(FrameError::MissingCommand));
        assert_eq!(
            parse(b"[AOECHO;;]"),
            Err(FrameError::BadField {
                index: 1,
                field: String::new()
            })
        );
        assert_eq!(parse(b"[AOECHO;] x"), Err(FrameError::TrailingBytes));
        assert_eq!(parse(b" \n"), Err(FrameError::Empty));
    }

    #[test]
    fn size_limit_is_exact() {
        let mut fits = vec![b'['];
        fits.extend(std::iter::repeat_n(b'A', MAX_FRAME_LEN - 2));
        fits.push(b']');
        assert_eq!(scan(&fits), Ok(Scan::Complete(MAX_FRAME_LEN)));
        let mut over = fits[..MAX_FRAME_LEN - 1].to_vec();
        over.extend_from_slice(b"A]");
        assert_eq!(scan(&over), Err(FrameError::TooLarge));
    }

    #[test]
    fn encode_drops_characters_that_would_break_the_frame() {
        let bytes = encode("EC]HO", &[("PN", "a;b[c]\u{e9}")]);
        assert_eq!(bytes, b"[AOECHO;PNabc;]");
    }
}
