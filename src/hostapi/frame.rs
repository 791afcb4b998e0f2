//! Excrypt frames: `[AOECHO;]` requests and `[AOECHO;…;]` answers.
//!
//! A frame runs from `[` to the first `]`. Inside, fields are separated by `;`; each field is
//! a two-character tag followed by its value. The first field carries the tag `AO` and the
//! command name as its value (`AOECHO` is the tag `AO` with the value `ECHO`), so a frame is
//! a list of tagged fields whose first one names the command.
//!
//! Answers are read tolerantly (our own choices, docs/usage.md): empty fields are
//! skipped, a field shorter than a tag is kept as [untagged](Frame::untagged) text, and the
//! bytes 0x80–0xFF are decoded as UTF-8 where they form valid UTF-8 and as latin-1 where they
//! do not. Control characters (below 0x20, and 0x7F) are refused: bytes holding one are not
//! a frame. What the fields of an ECHO answer mean is read in [`super::answer`].

/// The largest answer the client accepts, any leading white space and the
/// opening `[` to closing `]` included.
pub const MAX_FRAME_LEN: usize = 64 * 1024;

/// The tag whose value names the command.
pub const TAG_COMMAND: &str = "AO";

/// The command name of the connectivity check, which answers with versions.
pub const COMMAND_ECHO: &str = "ECHO";

/// The command name of an error answer; its text is in the `BB` field.
pub const COMMAND_ERROR: &str = "ERRO";

/// A parsed Excrypt frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    /// The command name, the value of the leading `AO` field, such as `ECHO`.
    pub command: String,
    /// The tagged fields after the command, in order: (two-character tag, value).
    pub fields: Vec<(String, String)>,
    /// The fields after the command that are no tag and value (shorter than two
    /// characters, or not starting with two letters or digits), as received, in order.
    pub untagged: Vec<String>,
}

impl Frame {
    /// The value of the first field with `tag`, if any.
    pub fn get(&self, tag: &str) -> Option<&str> {
        self.values(tag).next()
    }

    /// The values of every field with `tag`, in order.
    pub fn values<'a>(&'a self, tag: &str) -> impl Iterator<Item = &'a str> {
        self.fields
            .iter()
            .filter(move |(field_tag, _)| field_tag == tag)
            .map(|(_, value)| value.as_str())
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
    /// A byte inside the frame is a control character or a stray `[`.
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

/// Builds a frame: `[AO<command>;<tag><value>;…]`, the values written as UTF-8.
///
/// Characters that cannot appear inside a frame (`[`, `]`, `;` and control characters)
/// are left out of the command, tags and values, so the result is always one
/// well-formed frame.
pub fn encode(command: &str, fields: &[(&str, &str)]) -> Vec<u8> {
    let raw: Vec<(&str, &[u8])> = fields.iter().map(|(tag, value)| (*tag, value.as_bytes())).collect();
    encode_bytes(command, &raw)
}

/// As [`encode`], with each value given as bytes, such as latin-1 text.
///
/// Bytes that cannot appear inside a frame are left out, as in [`encode`].
pub fn encode_bytes(command: &str, fields: &[(&str, &[u8])]) -> Vec<u8> {
    let mut out = Vec::with_capacity(16 + fields.iter().map(|(t, v)| t.len() + v.len() + 1).sum::<usize>());
    out.push(b'[');
    out.extend_from_slice(TAG_COMMAND.as_bytes());
    push_clean(&mut out, command.as_bytes());
    out.push(b';');
    for (tag, value) in fields {
        push_clean(&mut out, tag.as_bytes());
        push_clean(&mut out, value);
        out.push(b';');
    }
    out.push(b']');
    out
}

fn push_clean(out: &mut Vec<u8>, bytes: &[u8]) {
    out.extend(bytes.iter().copied().filter(|&b| is_field_byte(b)));
}

/// Whether `byte` may appear inside a field: printable ASCII other than the frame's own
/// punctuation, and any byte from 0x80 (text in UTF-8 or latin-1).
fn is_field_byte(byte: u8) -> bool {
    matches!(byte, 0x20..=0x7e | 0x80..=0xff) && !matches!(byte, b'[' | b']' | b';')
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

/// Text from answer bytes: UTF-8 where valid, latin-1 where not (every byte is a latin-1 character).
pub fn decode_text(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(text) => text.to_owned(),
        Err(_) => bytes.iter().map(|&b| char::from(b)).collect(),
    }
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
    let mut parts = bytes[start + 1..len - 1]
        .split(|&b| b == b';')
        .filter(|part| !part.is_empty());
    let command = parts
        .next()
        .and_then(|first| first.strip_prefix(TAG_COMMAND.as_bytes()))
        .filter(|name| !name.is_empty() && name.iter().all(u8::is_ascii_alphanumeric))
        .ok_or(FrameError::MissingCommand)?;
    let mut frame = Frame {
        command: decode_text(command),
        fields: Vec::new(),
        untagged: Vec::new(),
    };
    for part in parts {
        match part.split_at_checked(2) {
            Some((tag, value)) if tag.iter().all(u8::is_ascii_alphanumeric) => {
                frame.fields.push((decode_text(tag), decode_text(value)));
            }
            _ => frame.untagged.push(decode_text(part)),
        }
    }
    Ok(frame)
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
        let frame = parse(b"[AOECHO;ANY;BC7.1.0.3;PNKMES Series 3;]\r\n").unwrap();
        assert_eq!(frame.command, "ECHO");
        assert_eq!(frame.get("PN"), Some("KMES Series 3"));
        assert_eq!(frame.get("BC"), Some("7.1.0.3"));
        assert!(frame.untagged.is_empty());
    }

    #[test]
    fn empty_fields_are_skipped_and_short_ones_kept_as_text() {
        let frame = parse(b"[;AOECHO;;BC7.1;;X;;-*x;]").unwrap();
        assert_eq!(frame.command, "ECHO");
        assert_eq!(frame.fields, [("BC".to_owned(), "7.1".to_owned())]);
        assert_eq!(frame.untagged, ["X", "-*x"]);
    }

    #[test]
    fn text_is_utf8_where_valid_and_latin1_where_not() {
        let latin1 = parse(b"[AOERRO;BBCommande refus\xe9e;]").unwrap();
        assert_eq!(latin1.get("BB"), Some("Commande refus\u{e9}e"));
        let utf8 = parse("[AOERRO;BBCommande refusée;]".as_bytes()).unwrap();
        assert_eq!(utf8.get("BB"), Some("Commande refus\u{e9}e"));
        assert_eq!(decode_text(b"\xc3("), "\u{c3}(");
    }

    #[test]
    fn rejects_what_is_not_a_frame() {
        assert_eq!(scan(b"HTTP/1.1 400"), Err(FrameError::MissingStart { found: b'H' }));
        assert_eq!(scan(b"[AO\x00"), Err(FrameError::BadByte { byte: 0, offset: 3 }));
        assert_eq!(
            scan(b"[AOECHO;BB\x1b[2J;]"),
            Err(FrameError::BadByte { byte: 0x1b, offset: 10 })
        );
        assert_eq!(
            scan(b"[AOECHO;\x7f]"),
            Err(FrameError::BadByte { byte: 0x7f, offset: 8 })
        );
        assert_eq!(scan(b"  [AOECHO;"), Ok(Scan::NeedMore));
        assert_eq!(parse(b"[AOECHO;"), Err(FrameError::MissingEnd));
        assert_eq!(parse(b"[XXECHO;]"), Err(FrameError::MissingCommand));
        assert_eq!(parse(b"[;;]"), Err(FrameError::MissingCommand));
        assert_eq!(parse(b"[AO;]"), Err(FrameError::MissingCommand));
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
    fn encode_drops_what_would_break_the_frame_and_keeps_text() {
        let bytes = encode("EC]HO", &[("PN", "a;b[c]\u{e9}\u{1b}")]);
        assert_eq!(bytes, "[AOECHO;PNabc\u{e9};]".as_bytes());
        let latin1 = encode_bytes("ERRO", &[("BB", b"refus\xe9e\x07")]);
        assert_eq!(latin1, b"[AOERRO;BBrefus\xe9e;]");
    }
}
