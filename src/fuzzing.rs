//! Entry points for the fuzz targets in `fuzz/` (built with the `fuzzing` feature only).
//!
//! Each function feeds arbitrary bytes to one reader of untrusted input and checks what
//! must hold for every input, panicking when it does not: a panic, an overflow (the fuzz
//! build keeps overflow checks), a hang or a failed check is a finding. They live here, in
//! the crate, so they can reach readers that are not public (the PKCS#12 scanner).

use crate::cfg::{self, CfgDocument};
use crate::hostapi::{answer, frame};
use crate::identity::scan;
use crate::sshkey;

/// The cfg reader: parsing is lossless, every view of the document can be built, and a
/// value set through the editor reads back.
pub fn cfg_reader(data: &[u8]) {
    let Ok(mut doc) = CfgDocument::parse(data) else {
        assert!(std::str::from_utf8(data).is_err(), "valid UTF-8 was refused");
        return;
    };
    assert_eq!(doc.to_bytes(), data, "parsing then writing changed the bytes");
    let entries = doc.entries();
    let _ = doc.sections();
    let _ = doc.settings();
    let _ = cfg::validate(&doc, None);
    for entry in &entries {
        let _ = entry.display_value();
    }
    if doc.set(Some("KMS"), "SLOT", "7").is_ok() {
        let again = CfgDocument::parse(&doc.to_bytes()).expect("the edited document is UTF-8");
        let slot = again.get(Some("KMS"), "SLOT").map(|entry| entry.value);
        assert_eq!(slot.as_deref(), Some("7"), "the value set does not read back");
    }
}

/// The Excrypt frame reader: the incremental scan and the whole-frame parser agree, an
/// answer is judged and described, a parsed frame written again parses to the same fields,
/// and every frame the encoder builds (from any text) scans whole.
pub fn frame_reader(data: &[u8]) {
    let scanned = frame::scan(data);
    if let Ok(parsed) = frame::parse(data) {
        assert!(
            matches!(scanned, Ok(frame::Scan::Complete(_))),
            "parse accepted what scan did not complete"
        );
        let _ = answer::judge(&parsed);
        let _ = answer::error_text(&parsed);
        let _ = answer::describe(&parsed);
        let fields: Vec<(&str, &[u8])> = parsed
            .fields
            .iter()
            .map(|(tag, value)| (tag.as_str(), value.as_bytes()))
            .collect();
        let again = frame::parse(&frame::encode_bytes(&parsed.command, &fields)).expect("a re-encoded frame parses");
        assert_eq!(again.command, parsed.command, "the command changed when written again");
        assert_eq!(again.fields, parsed.fields, "the fields changed when written again");
    }
    let text = String::from_utf8_lossy(data);
    let mut pieces = text.split('\u{0}');
    let command = pieces.next().unwrap_or_default();
    let fields: Vec<(&str, &str)> = pieces
        .map(|piece| piece.split_at(piece.char_indices().nth(2).map_or(piece.len(), |(at, _)| at)))
        .collect();
    let encoded = frame::encode(command, &fields);
    assert!(
        matches!(frame::scan(&encoded), Ok(frame::Scan::Complete(len)) if len == encoded.len()),
        "an encoded frame does not scan whole"
    );
}

/// The public-key reader: any input is read or refused without panicking, and a key that
/// is read renders a one-line `authorized_keys` entry that reads back as the same key.
pub fn public_key_reader(data: &[u8]) {
    let Ok(report) = sshkey::render(data, None) else {
        return;
    };
    assert!(
        !report.line.contains('\n'),
        "the authorized_keys line holds a line break"
    );
    match sshkey::render(report.line.as_bytes(), None) {
        Ok(again) => assert_eq!(
            again.fingerprint, report.fingerprint,
            "the rendered line is another key"
        ),
        // Text that names a private key is refused whole, on purpose, even in a comment.
        Err(sshkey::PubkeyError::PrivateKeyGiven { .. })
            if report
                .comment
                .as_deref()
                .is_some_and(|comment| comment.contains("PRIVATE KEY") || comment.contains("PuTTY-User-Key-File-")) => {
        }
        Err(error) => panic!("the rendered line does not read back: {error:?}"),
    }
}

/// The PKCS#12 scanner: it reads any bytes without the password, and its summaries can
/// be built.
pub fn pkcs12_scanner(data: &[u8]) {
    let protection = scan::scan(data);
    let _ = protection.summary();
    let _ = protection.first_unsupported().map(scan::Scheme::describe);
    let _ = scan::outer_problem(data);
}
