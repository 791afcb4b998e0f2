//! The `fxpkcs11.cfg` model: a lossless reader and writer, typed fields, validation,
//! locating the file the library reads, atomic saving, and creating a new file in the
//! guide's layout ([`init`], [`blank_template`]).
//!
//! # The format ([4.2])
//!
//! The file looks like XML but is read line by line:
//!
//! ```text
//! <CONFIG>
//!     <REQUIRE-LOGIN-FLAG> NO </REQUIRE-LOGIN-FLAG>
//! </CONFIG>
//! <KMS>
//!     # Which PKCS11 slot
//!     <SLOT>      0          </SLOT>
//!     <ADDRESS>   10.0.8.20  </ADDRESS>
//! </KMS>
//! ```
//!
//! * `<NAME>` and `</NAME>` alone on a line open and close a section.
//! * `<TAG> value </TAG>` on one line is an entry; the value is trimmed and may hold any
//!   text, including `&`, `<` and `#`. Closing tags match without regard to case.
//! * A line whose first non-blank character is `#` is a comment.
//! * Any other non-blank line is kept as it is and reported as malformed.
//!
//! # Losslessness
//!
//! [`CfgDocument::parse`] followed by [`CfgDocument::to_bytes`] gives back the input
//! byte for byte: line endings (LF, CRLF or a mix), a UTF-8 byte order mark, tabs,
//! trailing spaces, a missing final newline, comments, blank, unknown and malformed
//! lines are all kept.
//!
//! # Editing rules
//!
//! [`CfgDocument::set`] on an existing entry changes only that line's value text:
//!
//! * the whitespace between `<TAG>` and the value is kept as it is;
//! * the whitespace between the value and `</TAG>` is kept as it is when it is empty, a
//!   single space, or holds a tab; when it is two or more spaces (column padding), it is
//!   resized so that `</TAG>` stays in the same column, with one space when the new
//!   value is too long for that;
//! * an empty value's whitespace counts as one leading character and the rest trailing,
//!   except when it is column padding (two or more spaces) that reaches past the column
//!   where the nearest entry with a value (looking up first, then down) starts its value:
//!   then the new value starts in that column, as in a template whose values were left
//!   empty ([`blank_template`]).
//!
//! A missing entry is inserted as one new line in its section (after the last entry,
//! else before the closing tag), copying the indentation of a sibling entry and its
//! gaps around the value (aligning to the same columns where the sibling pads with
//! spaces), with the file's dominant line ending (LF when tied). A missing section is appended at the
//! end (the file first gets a final newline if it lacks one). Inserting after a last
//! line that has no newline gives that line one.

mod document;
mod error;
mod fields;
pub mod file;
pub mod init;
pub mod locate;
mod merge;
mod template;
mod validate;

pub use document::{CfgDocument, Entry, Section, SetOutcome};
pub use error::CfgError;
pub use fields::{
    FieldKind, FieldSpec, KNOWN_FIELDS, SECTION_CONFIG, SECTION_KMS, Settings, field_spec, is_known_section,
    is_secret_tag, parse_yes_no,
};
pub use file::{CfgFile, DiskState, LockedCfg, SaveOptions, SaveReport, tighten_permissions};
pub use locate::{CfgSource, LibraryCfg, resolve_path};
pub use template::{GuideValues, blank_template, fixed_value, guide_template};
pub use validate::{Finding, FindingKind, Severity, permission_finding, validate};
