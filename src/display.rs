//! Text from outside (files, certificates, modules, the network) made safe to show.
//!
//! A certificate subject, a cfg value, a module's stderr or an Excrypt answer can hold
//! control characters: `ESC ] 0 ; … BEL` retitles a terminal, `ESC [ 2 J` clears it, and the
//! bidirectional overrides (U+202A–U+202E, U+2066–U+2069) make text read differently from what
//! it is. Every human-readable output (the CLI, the Markdown report, the app's labels) passes
//! such text through [`escape`] or [`escape_lines`], which write each of those characters as a
//! visible escape (`\x1b`, `\u{202e}`). JSON output is not escaped here: serde_json already
//! writes control characters as `\u001b`, and JSON must stay exact.

use std::borrow::Cow;
use std::fmt::Write as _;

/// Whether `c` must not reach a terminal or a label as it is: C0 controls, DEL, C1 controls,
/// and the bidirectional embedding, override and isolate characters.
pub fn is_unsafe(c: char) -> bool {
    matches!(c, '\u{0}'..='\u{1f}' | '\u{7f}'..='\u{9f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// `text` with every [unsafe](is_unsafe) character written as an escape: `\xNN` below U+0100,
/// `\u{NNNN}` above. Borrowed when nothing needed escaping.
pub fn escape(text: &str) -> Cow<'_, str> {
    escape_keeping(text, |_| false)
}

/// As [`escape`], but line breaks (`\n`) and tabs are kept: for multi-line text such as a
/// module's stderr tail, where each line is shown as a line.
pub fn escape_lines(text: &str) -> Cow<'_, str> {
    escape_keeping(text, |c| c == '\n' || c == '\t')
}

fn escape_keeping(text: &str, keep: impl Fn(char) -> bool) -> Cow<'_, str> {
    if !text.chars().any(|c| is_unsafe(c) && !keep(c)) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if is_unsafe(c) && !keep(c) {
            push_escape(&mut out, c);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

fn push_escape(out: &mut String, c: char) {
    let code = u32::from(c);
    // Writing into a String cannot fail.
    let _ = if code < 0x100 {
        write!(out, "\\x{code:02x}")
    } else {
        write!(out, "\\u{{{code:04x}}}")
    };
}

/// Bytes that may not be UTF-8 (a network answer), decoded as UTF-8 where valid and as latin-1
/// where not, then [escaped](escape): every byte ends up visible, none reaches the terminal raw.
pub fn escape_bytes(bytes: &[u8]) -> String {
    let text = match std::str::from_utf8(bytes) {
        Ok(text) => Cow::Borrowed(text),
        Err(_) => Cow::Owned(bytes.iter().map(|&b| char::from(b)).collect::<String>()),
    };
    escape(&text).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_is_borrowed_unchanged() {
        let text = "CN=KMES Root CA, O=Bank — Zürich";
        assert!(matches!(escape(text), Cow::Borrowed(t) if t == text));
    }

    #[test]
    fn terminal_controls_are_written_as_escapes() {
        let hostile = "CN=x\u{1b}]0;owned\u{7}\u{1b}[2J\u{9b}31m";
        assert_eq!(escape(hostile), "CN=x\\x1b]0;owned\\x07\\x1b[2J\\x9b31m");
    }

    #[test]
    fn bidi_overrides_are_written_as_escapes() {
        assert_eq!(escape("a\u{202e}b\u{2066}c\u{2069}"), "a\\u{202e}b\\u{2066}c\\u{2069}");
        // Marks that do not override direction are ordinary text.
        assert_eq!(escape("a\u{200f}b"), "a\u{200f}b");
    }

    #[test]
    fn lines_keep_breaks_and_tabs_but_not_other_controls() {
        assert_eq!(escape_lines("one\n\ttwo\r\u{1b}[K"), "one\n\ttwo\\x0d\\x1b[K");
        assert_eq!(escape("one\ntwo"), "one\\x0atwo");
    }

    #[test]
    fn bytes_fall_back_to_latin1() {
        assert_eq!(escape_bytes(b"caf\xe9\x1b"), "caf\u{e9}\\x1b");
        assert_eq!(escape_bytes("café".as_bytes()), "café");
    }
}
