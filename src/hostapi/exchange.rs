//! The ECHO exchange's judgement, shared by both TLS clients: an answer frame read from
//! the bytes as they arrive, refusals made errors that keep the answer, and the failures of
//! an answer that does not come.

use std::io;
use std::time::Duration;

use super::answer::{self, Judgement, Refusal};
use super::error::{ErrorKind, HostApiError, Stage};
use super::frame::{self, Frame, FrameError};
use super::observe::ExcryptExchange;
use crate::display;

/// The KMES answer to an ECHO that is not a refusal.
#[derive(Debug, Clone)]
pub struct EchoReply {
    /// The parsed answer.
    pub frame: Frame,
    /// The answer as received, trimmed of surrounding white space and made safe to show
    /// ([`crate::display::escape_bytes`]: control characters written as `\x1b`).
    pub raw: String,
    /// The status (`AN`) when it is neither `Y`, `N` nor `P`: the answer is not known to
    /// be a success. `None` when the status is `Y` or absent.
    pub unknown_status: Option<String>,
    /// The exchange as the wire showed it: the request and every byte received with its
    /// arrival time (for a capture).
    pub exchange: Option<ExcryptExchange>,
}

/// Attaches the recorded `exchange` to the reply or to the failure.
pub(super) fn with_exchange(
    result: Result<EchoReply, HostApiError>,
    exchange: ExcryptExchange,
) -> Result<EchoReply, HostApiError> {
    match result {
        Ok(mut reply) => {
            reply.exchange = Some(exchange);
            Ok(reply)
        }
        Err(error) => Err(error.with_exchange(exchange)),
    }
}

/// The longest single socket wait. The kernel rounds long socket timeouts up
/// (by over 100 ms at 5 s), so waits are cut into slices and the deadline is
/// checked between them.
pub(super) const WAIT_SLICE: Duration = Duration::from_millis(200);

/// A socket timeout shows as "resource temporarily unavailable" (EAGAIN) on
/// Unix; say what it means instead.
pub(super) fn timeout_cause(waited: Duration) -> io::Error {
    io::Error::new(
        io::ErrorKind::TimedOut,
        format!("the peer sent nothing more within {} ms", waited.as_millis()),
    )
}

/// The most of an answer that is not a frame kept as its raw text.
const RAW_SHOWN: usize = 1024;

/// `bytes` without surrounding white space, made safe to show; cut after `limit` bytes.
fn raw_text(bytes: &[u8], limit: usize) -> String {
    let trimmed = bytes.trim_ascii();
    if trimmed.len() <= limit {
        display::escape_bytes(trimmed)
    } else {
        format!(
            "{}… ({} bytes in all)",
            display::escape_bytes(&trimmed[..limit]),
            trimmed.len()
        )
    }
}

/// Judges a whole answer frame: refusals are errors, whatever else the answer says.
pub(super) fn finish_echo(bytes: &[u8]) -> Result<EchoReply, HostApiError> {
    let raw = raw_text(bytes, frame::MAX_FRAME_LEN);
    let frame = match frame::parse(bytes) {
        Ok(frame) => frame,
        Err(e) => {
            return Err(HostApiError::new(Stage::Echo, ErrorKind::NotAFrame)
                .with_detail(preview(bytes))
                .with_raw(raw)
                .with_source(e));
        }
    };
    let unknown_status = match answer::judge(&frame) {
        Judgement::Refused(refusal) => {
            let kind = match refusal {
                Refusal::ErrorCommand => ErrorKind::CommandRefused,
                Refusal::GeneralFailure => ErrorKind::GeneralFailure,
                Refusal::PermissionDenied => ErrorKind::PermissionDenied,
            };
            let error = HostApiError::new(Stage::Echo, kind).with_raw(raw);
            return Err(match answer::error_text(&frame) {
                Some(text) => error.with_detail(display::escape(text)),
                None => error,
            });
        }
        Judgement::UnknownStatus(status) => Some(status),
        Judgement::Answered => None,
    };
    if !frame.command.eq_ignore_ascii_case(frame::COMMAND_ECHO) {
        return Err(HostApiError::new(Stage::Echo, ErrorKind::UnexpectedReply)
            .with_detail(format!("an answer to {}", display::escape(&frame.command)))
            .with_raw(raw));
    }
    Ok(EchoReply {
        frame,
        raw,
        unknown_status,
        exchange: None,
    })
}

/// The start of an answer, printable, for error details.
fn preview(bytes: &[u8]) -> String {
    const SHOWN: usize = 40;
    let text: String = String::from_utf8_lossy(&bytes[..bytes.len().min(SHOWN)])
        .chars()
        .map(|c| if c.is_control() { '.' } else { c })
        .collect();
    let more = if bytes.len() > SHOWN { "…" } else { "" };
    format!("received {:?}{more}", text)
}

pub(super) fn frame_failure(error: FrameError, answer: &[u8]) -> HostApiError {
    let kind = if error == FrameError::TooLarge {
        ErrorKind::FrameTooLarge
    } else {
        ErrorKind::NotAFrame
    };
    HostApiError::new(Stage::Echo, kind)
        .with_detail(preview(answer))
        .with_raw(raw_text(answer, RAW_SHOWN))
        .with_source(error)
}

fn answer_started(answer: &[u8]) -> bool {
    answer.iter().any(|b| !b.is_ascii_whitespace())
}

/// The connection closed before a whole answer arrived.
pub(super) fn closed_early(answer: &[u8]) -> HostApiError {
    if answer_started(answer) {
        HostApiError::new(Stage::Echo, ErrorKind::NoFrameEnd)
            .with_detail(format!("the connection closed after {} bytes", answer.len()))
            .with_raw(raw_text(answer, RAW_SHOWN))
    } else {
        HostApiError::new(Stage::Echo, ErrorKind::PeerClosed).with_detail("before answering the ECHO")
    }
}

/// No whole answer arrived within `timeout`.
pub(super) fn answer_timeout(answer: &[u8], timeout: Duration) -> HostApiError {
    let cause = timeout_cause(timeout);
    if answer_started(answer) {
        HostApiError::new(Stage::Echo, ErrorKind::NoFrameEnd)
            .with_detail(format!(
                "{} bytes without ']' in {} ms",
                answer.len(),
                timeout.as_millis()
            ))
            .with_raw(raw_text(answer, RAW_SHOWN))
            .with_source(cause)
    } else {
        HostApiError::new(Stage::Echo, ErrorKind::ReadTimeout)
            .with_detail(format!("no answer in {} ms", timeout.as_millis()))
            .with_source(cause)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_answers_are_escaped_and_cut_after_the_limit() {
        assert_eq!(raw_text(b" [AOECHO;ANP;]\r\n", RAW_SHOWN), "[AOECHO;ANP;]");
        assert_eq!(raw_text(b"\x1b[2J\xe9", RAW_SHOWN), "\\x1b[2J\u{e9}");
        assert_eq!(raw_text(&[b'x'; 10], 4), "xxxx… (10 bytes in all)");
    }

    #[test]
    fn refusals_are_errors_that_keep_the_answer() {
        let denied = finish_echo(b"[AOECHO;ANP;]").unwrap_err();
        assert_eq!(denied.kind(), &ErrorKind::PermissionDenied);
        assert_eq!((denied.detail(), denied.raw()), (None, Some("[AOECHO;ANP;]")));
        let failed = finish_echo("[AOECHO;ANN;ERno \u{9b}2Jway;]".as_bytes()).unwrap_err();
        assert_eq!(failed.kind(), &ErrorKind::GeneralFailure);
        assert_eq!(failed.detail(), Some("no \\x9b2Jway"));
        let erro = finish_echo(b"[AOERRO;BBCommande refus\xe9e;]").unwrap_err();
        assert_eq!(erro.kind(), &ErrorKind::CommandRefused);
        assert_eq!(erro.detail(), Some("Commande refus\u{e9}e"));
        assert_eq!(erro.raw(), Some("[AOERRO;BBCommande refus\u{e9}e;]"));
        let other = finish_echo(b"[AOGPIN;ANY;]").unwrap_err();
        assert_eq!(other.kind(), &ErrorKind::UnexpectedReply);
    }

    #[test]
    fn answers_that_are_no_refusal_are_replies() {
        let plain = finish_echo(b"[AOECHO;;BC7.1.0.3;]").unwrap();
        assert_eq!(
            (plain.raw.as_str(), plain.unknown_status.as_deref()),
            ("[AOECHO;;BC7.1.0.3;]", None)
        );
        let unknown = finish_echo(b"[AOECHO;ANQ;]").unwrap();
        assert_eq!(unknown.unknown_status.as_deref(), Some("Q"));
    }

    #[test]
    fn previews_hide_control_bytes_and_cut_long_answers() {
        assert_eq!(preview(b"HTTP/1.1 400\r\n"), "received \"HTTP/1.1 400..\"");
        assert!(preview(&[b'x'; 100]).ends_with('…'));
    }
}
