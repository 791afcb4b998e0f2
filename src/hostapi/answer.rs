//! What an answer to the ECHO says. No openly licensed source or Futurex document confirms
//! these tags' meanings, so each awaits confirmation from a capture and the raw answer is
//! always kept (docs/usage.md, "How `hostapi.echo` reads the answer", gives each rule's source):
//!
//! - `AN` is the status: `Y` success, `N` general failure, `P` permissions lacking;
//! - the error text is in `ER`, else in `BB`; the `ERRO` command carries its text in `BB`,
//!   and `BB` on an answer that is not a refusal is shown, not judged;
//! - the plain ECHO names the server application version in `BC`; the extended ECHO answers
//!   `EX`, `OI`, `SN` (serial), `PN` (product), `FW` (HSM version), `FH`, `FM` and `FS`.
//!
//! [`judge`] turns a frame into a [`Judgement`]; [`describe`] lists what it says.

use super::frame::{COMMAND_ERROR, Frame};
use crate::display;

/// The status tag: `Y` success, `N` general failure, `P` permissions lacking.
pub const TAG_STATUS: &str = "AN";
/// The tag of an error text, read before [`TAG_MESSAGE`].
pub const TAG_ERROR: &str = "ER";
/// The tag of the `ERRO` command's text, also seen on other answers.
pub const TAG_MESSAGE: &str = "BB";
/// The server application version, in the answer to the plain ECHO.
pub const TAG_APPLICATION_VERSION: &str = "BC";
/// The HSM version, in the answer to the extended ECHO.
pub const TAG_HSM_VERSION: &str = "FW";
/// The extended ECHO's own field.
pub const TAG_EXTENDED: &str = "EX";
/// The serial number.
pub const TAG_SERIAL: &str = "SN";
/// The product name.
pub const TAG_PRODUCT: &str = "PN";

/// The status value of success.
pub const STATUS_SUCCESS: &str = "Y";
/// The status value of a general failure.
pub const STATUS_FAILURE: &str = "N";
/// The status value of lacking permissions.
pub const STATUS_NO_PERMISSION: &str = "P";

/// The tags [`describe`] names, in the order it names them, with their labels.
const LABELLED: [(&str, &str); 8] = [
    (TAG_STATUS, "status"),
    (TAG_APPLICATION_VERSION, "application version"),
    (TAG_HSM_VERSION, "HSM version"),
    (TAG_EXTENDED, "extended"),
    (TAG_SERIAL, "serial"),
    (TAG_PRODUCT, "product"),
    (TAG_ERROR, "error text"),
    (TAG_MESSAGE, "message"),
];

/// Why the KMES refused the command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The answer is the `ERRO` command.
    ErrorCommand,
    /// The status is `N`: a general failure.
    GeneralFailure,
    /// The status is `P`: the identity's role lacks a permission.
    PermissionDenied,
}

/// What an answer means for the connection check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Judgement {
    /// The KMES answered and did not refuse: no status, or the status `Y`.
    Answered,
    /// The status is a value other than `Y`, `N` or `P`, given raw.
    UnknownStatus(String),
    /// The KMES refused the command.
    Refused(Refusal),
}

/// Judges an answer: refused on `ERRO` or any status `N` or `P` (case and surrounding
/// spaces ignored), an unknown status on any other value than `Y`, answered otherwise.
pub fn judge(frame: &Frame) -> Judgement {
    if frame.command.eq_ignore_ascii_case(COMMAND_ERROR) {
        return Judgement::Refused(Refusal::ErrorCommand);
    }
    let statuses: Vec<&str> = frame.values(TAG_STATUS).map(str::trim).collect();
    let is = |wanted: &str| statuses.iter().any(|status| status.eq_ignore_ascii_case(wanted));
    if is(STATUS_NO_PERMISSION) {
        Judgement::Refused(Refusal::PermissionDenied)
    } else if is(STATUS_FAILURE) {
        Judgement::Refused(Refusal::GeneralFailure)
    } else if let Some(other) = statuses
        .iter()
        .find(|status| !status.eq_ignore_ascii_case(STATUS_SUCCESS))
    {
        Judgement::UnknownStatus((*other).to_owned())
    } else {
        Judgement::Answered
    }
}

/// The KMES's error text: the `ER` field, else the `BB` field.
pub fn error_text(frame: &Frame) -> Option<&str> {
    frame.get(TAG_ERROR).or_else(|| frame.get(TAG_MESSAGE))
}

/// What the answer says, for a person: the known fields labelled by tag, such as
/// `application version 7.1.0.3 (BC), serial 1234 (SN)`, then every other field raw
/// (`other fields: OI=0, FH=3.1`) and the untagged text. Values are
/// [escaped](crate::display::escape); an answer without fields is `no fields`.
pub fn describe(frame: &Frame) -> String {
    let mut known: Vec<String> = Vec::new();
    for (tag, label) in LABELLED {
        for value in frame.values(tag) {
            known.push(format!("{label} {} ({tag})", display::escape(value)));
        }
    }
    let others: Vec<String> = frame
        .fields
        .iter()
        .filter(|(tag, _)| !LABELLED.iter().any(|(known_tag, _)| known_tag == tag))
        .map(|(tag, value)| format!("{}={}", display::escape(tag), display::escape(value)))
        .collect();
    let mut parts = Vec::new();
    if !known.is_empty() {
        parts.push(known.join(", "));
    }
    if !others.is_empty() {
        parts.push(format!("other fields: {}", others.join(", ")));
    }
    if !frame.untagged.is_empty() {
        let untagged: Vec<String> = frame
            .untagged
            .iter()
            .map(|text| format!("\"{}\"", display::escape(text)))
            .collect();
        parts.push(format!("untagged: {}", untagged.join(", ")));
    }
    if parts.is_empty() {
        "no fields".to_owned()
    } else {
        parts.join("; ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hostapi::frame::parse;

    fn judged(bytes: &[u8]) -> Judgement {
        judge(&parse(bytes).unwrap())
    }

    #[test]
    fn refusals_are_refused_whatever_the_command() {
        assert_eq!(judged(b"[AOECHO;ANP;]"), Judgement::Refused(Refusal::PermissionDenied));
        assert_eq!(judged(b"[AOECHO;ANN;]"), Judgement::Refused(Refusal::GeneralFailure));
        assert_eq!(judged(b"[AOECHO;AN n ;]"), Judgement::Refused(Refusal::GeneralFailure));
        assert_eq!(
            judged(b"[AOECHO;ANY;ANP;]"),
            Judgement::Refused(Refusal::PermissionDenied)
        );
        assert_eq!(judged(b"[AOERRO;BBx;]"), Judgement::Refused(Refusal::ErrorCommand));
        assert_eq!(judged(b"[AOERRO;ANY;]"), Judgement::Refused(Refusal::ErrorCommand));
        assert_eq!(judged(b"[AOGPIN;ANP;]"), Judgement::Refused(Refusal::PermissionDenied));
    }

    #[test]
    fn other_statuses_are_unknown_and_no_status_is_an_answer() {
        assert_eq!(judged(b"[AOECHO;ANQ;]"), Judgement::UnknownStatus("Q".into()));
        assert_eq!(judged(b"[AOECHO;AN;]"), Judgement::UnknownStatus(String::new()));
        assert_eq!(judged(b"[AOECHO;ANY;]"), Judgement::Answered);
        assert_eq!(judged(b"[AOECHO;;BC7.1.0.3;]"), Judgement::Answered);
        assert_eq!(judged(b"[AOECHO;BBN;]"), Judgement::Answered, "BB alone is not judged");
    }

    #[test]
    fn error_text_is_er_then_bb() {
        let both = parse(b"[AOECHO;ANN;BBsecond;ERfirst;]").unwrap();
        assert_eq!(error_text(&both), Some("first"));
        let bb = parse(b"[AOERRO;BBCommand not enabled;]").unwrap();
        assert_eq!(error_text(&bb), Some("Command not enabled"));
        assert_eq!(error_text(&parse(b"[AOECHO;ANP;]").unwrap()), None);
    }

    #[test]
    fn the_description_labels_known_tags_and_lists_the_rest_raw() {
        let extended = parse(b"[AOECHO;ANY;EX1;OI0;SN1234;PNKMES Series 3;FW7.2.0.1;FH3.1;X;]").unwrap();
        assert_eq!(
            describe(&extended),
            "status Y (AN), HSM version 7.2.0.1 (FW), extended 1 (EX), serial 1234 (SN), \
             product KMES Series 3 (PN); other fields: OI=0, FH=3.1; untagged: \"X\""
        );
        let plain = parse(b"[AOECHO;BC7.1.0.3;BBnote\xe9;]").unwrap();
        assert_eq!(
            describe(&plain),
            "application version 7.1.0.3 (BC), message note\u{e9} (BB)"
        );
        assert_eq!(describe(&parse(b"[AOECHO;]").unwrap()), "no fields");
        let hostile = parse("[AOECHO;PNa\u{9b}2J\u{202e}b;]".as_bytes()).unwrap();
        assert_eq!(describe(&hostile), "product a\\x9b2J\\u{202e}b (PN)");
    }
}
