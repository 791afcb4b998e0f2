//! Re-applying an edit to a file another program changed in the meantime.
//!
//! An edit is the list of values that differ between the document as loaded (the base)
//! and the document as edited. It can be re-applied to the file as it is now when none
//! of those entries changed there: then both changes are kept. When one did, the two
//! changes conflict and nothing is merged.

use std::collections::HashSet;

use zeroize::Zeroizing;

use super::document::CfgDocument;

/// One value set by an edit.
struct SetValue {
    section: String,
    tag: String,
    before: Option<Zeroizing<String>>,
    after: Zeroizing<String>,
}

/// The edit that turns `base` into `edited`, as values set in sections; `None` when
/// the edit is more than that (lines removed, comments changed, entries outside every
/// section changed), which cannot be re-applied safely.
fn values_set(base: &CfgDocument, edited: &CfgDocument) -> Option<Vec<SetValue>> {
    let mut seen = HashSet::new();
    let mut values = Vec::new();
    for entry in edited.entries() {
        let Some(section) = entry.section.clone() else {
            continue;
        };
        if !seen.insert((section.to_ascii_uppercase(), entry.tag.to_ascii_uppercase())) {
            continue;
        }
        let before = base
            .get(Some(&section), &entry.tag)
            .map(|found| Zeroizing::new(found.value));
        if before.as_deref().map(String::as_str) != Some(entry.value.as_str()) {
            values.push(SetValue {
                section,
                tag: entry.tag,
                before,
                after: Zeroizing::new(entry.value),
            });
        }
    }
    let mut replay = base.clone();
    for value in &values {
        replay.set(Some(&value.section), &value.tag, &value.after).ok()?;
    }
    (Zeroizing::new(replay.to_bytes()) == Zeroizing::new(edited.to_bytes())).then_some(values)
}

/// Why an edit could not be re-applied.
pub(crate) enum MergeFailure {
    /// The edit is not a set of values (see [`values_set`]).
    NotValues,
    /// These tags were changed both by the edit and on disk.
    Conflict(Vec<String>),
}

/// The edit from `base` to `edited` applied to `current` (the file as it is now).
pub(crate) fn reapply(
    base: &CfgDocument,
    edited: &CfgDocument,
    current: &CfgDocument,
) -> Result<CfgDocument, MergeFailure> {
    let values = values_set(base, edited).ok_or(MergeFailure::NotValues)?;
    let mut merged = current.clone();
    let mut conflicts = Vec::new();
    for value in &values {
        let now = current
            .get(Some(&value.section), &value.tag)
            .map(|found| Zeroizing::new(found.value));
        if now.as_deref() == Some(&*value.after) {
            continue;
        }
        if now != value.before || merged.set(Some(&value.section), &value.tag, &value.after).is_err() {
            conflicts.push(value.tag.clone());
        }
    }
    if conflicts.is_empty() {
        Ok(merged)
    } else {
        Err(MergeFailure::Conflict(conflicts))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(text: &str) -> CfgDocument {
        CfgDocument::parse(text.as_bytes()).expect("UTF-8")
    }

    const BASE: &str = "<KMS>\n  <SLOT> 0 </SLOT>\n  <CRYPTO-OPR> a </CRYPTO-OPR>\n</KMS>\n";

    #[test]
    fn different_tags_are_both_kept() {
        let base = doc(BASE);
        let mut mine = base.clone();
        assert!(mine.set(None, "SLOT", "1").is_ok());
        assert!(mine.set(None, "KEYGROUP-NAME", "g").is_ok());
        let mut theirs = base.clone();
        assert!(theirs.set(None, "CRYPTO-OPR", "b").is_ok());
        let merged = reapply(&base, &mine, &theirs).ok().expect("merges");
        let text = String::from_utf8(merged.to_bytes()).expect("UTF-8");
        assert_eq!(
            text,
            "<KMS>\n  <SLOT> 1 </SLOT>\n  <CRYPTO-OPR> b </CRYPTO-OPR>\n  <KEYGROUP-NAME> g </KEYGROUP-NAME>\n</KMS>\n"
        );
    }

    #[test]
    fn the_same_tag_changed_twice_conflicts() {
        let base = doc(BASE);
        let mut mine = base.clone();
        assert!(mine.set(None, "SLOT", "1").is_ok());
        let mut theirs = base.clone();
        assert!(theirs.set(None, "SLOT", "2").is_ok());
        assert!(matches!(reapply(&base, &mine, &theirs), Err(MergeFailure::Conflict(tags)) if tags == ["SLOT"]));
        let mut same = base.clone();
        assert!(same.set(None, "SLOT", "1").is_ok());
        assert!(reapply(&base, &mine, &same).is_ok());
    }

    #[test]
    fn other_edits_are_not_merged() {
        let base = doc(BASE);
        let mine = doc("<KMS>\n  <SLOT> 0 </SLOT>\n</KMS>\n");
        assert!(matches!(reapply(&base, &mine, &base), Err(MergeFailure::NotValues)));
    }
}
