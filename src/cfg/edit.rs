//! Setting several values at once and saying what changed: the base of `config set`,
//! `import` and their `--json`, `--check` and `--diff`. A value that is already as asked
//! is left alone, so a document that already says everything asked stays byte for byte
//! the same, and the caller need not write it at all.

use serde::Serialize;

use super::document::{CfgDocument, SetOutcome};
use super::error::CfgError;
use super::fields;
use crate::secret::MASK;

/// What happened to an entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeAction {
    /// An existing entry got a new value.
    Updated,
    /// A new entry line was inserted into an existing section.
    Added,
    /// A new entry line was inserted into a section appended to the file.
    AddedInNewSection,
}

/// One entry that an edit changed, with passwords masked: safe to print and log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EntryChange {
    /// The tag as asked.
    pub tag: String,
    /// The section the entry is in, as spelled in the file; `None` outside any section.
    pub section: Option<String>,
    /// The entry's 1-based line after all the edits.
    pub line: usize,
    /// The value before, [`MASK`] for a password; `None` when the entry was added.
    pub old: Option<String>,
    /// The value after, [`MASK`] for a password.
    pub new: String,
    /// Whether the entry was updated or added.
    pub action: ChangeAction,
}

/// A value as it may be shown: [`MASK`] for a non-empty password, the value otherwise
/// (an empty password shows as empty, so that a missing password is visible).
pub fn shown_value(tag: &str, value: &str) -> String {
    if fields::is_secret_tag(tag) && !value.is_empty() {
        MASK.to_owned()
    } else {
        value.to_owned()
    }
}

/// Sets each `(tag, value)` in turn with [`CfgDocument::set`] (in `section`, or where
/// that puts it), skipping those whose entry already holds exactly that value, and
/// returns the entries that changed, in the order first changed. A tag given twice
/// counts once, from its first old value to its last new one (and not at all if that
/// is the value it had). An empty list means the document is unchanged.
///
/// # Errors
/// As [`CfgDocument::set`]; the document then holds the values set before the failing one.
pub fn set_values(
    doc: &mut CfgDocument,
    section: Option<&str>,
    values: &[(&str, &str)],
) -> Result<Vec<EntryChange>, CfgError> {
    // (tag, the value before as stored, the value now, action)
    let mut changed: Vec<(String, Option<String>, String, ChangeAction)> = Vec::new();
    for &(tag, value) in values {
        // An entry that is there twice is refused even when the first already holds the
        // value: the other may be the one the library reads.
        let lines = doc.lines_of(section, tag);
        if lines.len() > 1 {
            return Err(CfgError::AmbiguousEntry {
                tag: tag.to_owned(),
                lines,
            });
        }
        let before = doc.get(section, tag).map(|entry| entry.value);
        if before.as_deref() == Some(value) {
            continue;
        }
        let action = match doc.set(section, tag, value)? {
            SetOutcome::Updated { .. } => ChangeAction::Updated,
            SetOutcome::Inserted { .. } => ChangeAction::Added,
            SetOutcome::SectionCreated { .. } => ChangeAction::AddedInNewSection,
        };
        match changed.iter_mut().find(|(seen, ..)| seen.eq_ignore_ascii_case(tag)) {
            Some(record) => record.2 = value.to_owned(),
            None => changed.push((tag.to_owned(), before, value.to_owned(), action)),
        }
    }
    changed.retain(|(_, before, after, _)| before.as_deref() != Some(after.as_str()));
    Ok(changed
        .into_iter()
        .map(|(tag, before, after, action)| {
            let entry = doc.get(section, &tag);
            EntryChange {
                section: entry.as_ref().and_then(|entry| entry.section.clone()),
                line: entry.as_ref().map_or(0, |entry| entry.line),
                old: before.map(|value| shown_value(&tag, &value)),
                new: shown_value(&tag, &after),
                tag,
                action,
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = "<CONFIG>\n  <REQUIRE-LOGIN-FLAG> NO </REQUIRE-LOGIN-FLAG>\n</CONFIG>\n<KMS>\n  <ADDRESS> 10.0.0.1 </ADDRESS>\n  <CRYPTO-OPR-PASS> old-pass </CRYPTO-OPR-PASS>\n</KMS>\n";

    #[test]
    fn values_already_set_change_nothing() {
        let mut doc = CfgDocument::parse(FILE.as_bytes()).unwrap();
        let changes = set_values(
            &mut doc,
            None,
            &[
                ("ADDRESS", "10.0.0.1"),
                ("CRYPTO-OPR-PASS", "old-pass"),
                ("REQUIRE-LOGIN-FLAG", "NO"),
            ],
        )
        .unwrap();
        assert!(changes.is_empty());
        assert_eq!(doc.to_bytes(), FILE.as_bytes());
    }

    #[test]
    fn changes_name_section_line_and_masked_values() {
        let mut doc = CfgDocument::parse(FILE.as_bytes()).unwrap();
        let changes = set_values(
            &mut doc,
            None,
            &[
                ("ADDRESS", "10.0.0.2"),
                ("CRYPTO-OPR-PASS", "new-pass"),
                ("PROD-PORT", "2001"),
                ("SLOT", "1"),
                ("SLOT", "0"),
            ],
        )
        .unwrap();
        let text = serde_json::to_string(&changes).unwrap();
        assert!(!text.contains("old-pass") && !text.contains("new-pass"), "{text}");
        assert_eq!(changes.len(), 4);
        assert_eq!(changes[0].tag, "ADDRESS");
        assert_eq!(changes[0].section.as_deref(), Some("KMS"));
        assert_eq!(changes[0].line, 5);
        assert_eq!(changes[0].old.as_deref(), Some("10.0.0.1"));
        assert_eq!(changes[0].new, "10.0.0.2");
        assert_eq!(changes[1].old.as_deref(), Some(MASK));
        assert_eq!(changes[1].new, MASK);
        assert_eq!(changes[2].action, ChangeAction::Added);
        assert_eq!(changes[2].old, None);
        assert_eq!(changes[2].line, 7);
        assert_eq!((changes[3].tag.as_str(), changes[3].new.as_str()), ("SLOT", "0"));

        // A tag set and set back is no change at all.
        let changes = set_values(&mut doc, None, &[("ADDRESS", "x"), ("ADDRESS", "10.0.0.2")]).unwrap();
        assert!(changes.is_empty(), "{changes:?}");
    }
}
