//! A line diff of the configuration before and after editing: the app's preview before
//! saving ([`diff_lines`]) and the unified diff of `fxconfig config set --diff` and
//! `import --diff` ([`unified`]). Lines holding a password are masked before they are
//! shown; the unified diff, which ends up in logs, also leaves out the text of comments.

use std::collections::HashSet;
use std::sync::OnceLock;

use crate::cfg::CfgDocument;
use crate::secret::MASK;

/// What happened to a line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LineChange {
    /// In both versions.
    Same,
    /// Only in the old version.
    Removed,
    /// Only in the new version.
    Added,
}

/// One line of the diff.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DiffLine {
    /// What happened to it.
    pub change: LineChange,
    /// Its 1-based number in the old version, if it is there.
    pub old_line: Option<usize>,
    /// Its 1-based number in the new version, if it is there.
    pub new_line: Option<usize>,
    /// The text without its line ending, passwords masked.
    pub text: String,
}

/// Splits bytes into lines without their endings (`\n` or `\r\n`), lossily as UTF-8.
fn split_lines(bytes: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(bytes);
    let mut lines: Vec<String> = text
        .split('\n')
        .map(|line| line.strip_suffix('\r').unwrap_or(line).to_owned())
        .collect();
    if lines.last().is_some_and(String::is_empty) {
        lines.pop();
    }
    lines
}

/// The line diff of `old` and `new` (longest common subsequence), every line included.
/// A change of line ending alone shows as unchanged text.
pub fn diff_lines(old: &[u8], new: &[u8]) -> Vec<DiffLine> {
    let old = split_lines(old);
    let new = split_lines(new);
    // Common prefix and suffix first: edits are usually a few lines in a long file.
    let prefix = old.iter().zip(&new).take_while(|(a, b)| a == b).count();
    let suffix = old[prefix..]
        .iter()
        .rev()
        .zip(new[prefix..].iter().rev())
        .take_while(|(a, b)| a == b)
        .count();
    let old_mid = &old[prefix..old.len() - suffix];
    let new_mid = &new[prefix..new.len() - suffix];

    // lcs[i][j]: the length of the common subsequence of old_mid[i..] and new_mid[j..].
    let mut lcs = vec![vec![0usize; new_mid.len() + 1]; old_mid.len() + 1];
    for i in (0..old_mid.len()).rev() {
        for j in (0..new_mid.len()).rev() {
            lcs[i][j] = if old_mid[i] == new_mid[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }

    let mut out = Vec::with_capacity(old.len().max(new.len()));
    let same = |out: &mut Vec<DiffLine>, old_index: usize, new_index: usize, text: &str| {
        out.push(DiffLine {
            change: LineChange::Same,
            old_line: Some(old_index + 1),
            new_line: Some(new_index + 1),
            text: mask_secret_line(text),
        });
    };
    for (index, line) in old.iter().enumerate().take(prefix) {
        same(&mut out, index, index, line);
    }
    let (mut i, mut j) = (0, 0);
    while i < old_mid.len() || j < new_mid.len() {
        if i < old_mid.len() && j < new_mid.len() && old_mid[i] == new_mid[j] {
            same(&mut out, prefix + i, prefix + j, &old_mid[i]);
            i += 1;
            j += 1;
        } else if j < new_mid.len() && (i == old_mid.len() || lcs[i][j + 1] >= lcs[i + 1][j]) {
            out.push(DiffLine {
                change: LineChange::Added,
                old_line: None,
                new_line: Some(prefix + j + 1),
                text: mask_secret_line(&new_mid[j]),
            });
            j += 1;
        } else {
            out.push(DiffLine {
                change: LineChange::Removed,
                old_line: Some(prefix + i + 1),
                new_line: None,
                text: mask_secret_line(&old_mid[i]),
            });
            i += 1;
        }
    }
    for offset in 0..suffix {
        let old_index = old.len() - suffix + offset;
        let new_index = new.len() - suffix + offset;
        same(&mut out, old_index, new_index, &old[old_index]);
    }
    // Within a changed block, show the removed lines before the added ones.
    let mut start = 0;
    while start < out.len() {
        if out[start].change == LineChange::Same {
            start += 1;
            continue;
        }
        let end = out[start..]
            .iter()
            .position(|line| line.change == LineChange::Same)
            .map_or(out.len(), |offset| start + offset);
        out[start..end].sort_by_key(|line| line.change != LineChange::Removed);
        start = end;
    }
    out
}

/// Only the changed lines and `context` unchanged lines around each change, with `None`
/// standing for each run of lines left out.
pub fn with_context(lines: &[DiffLine], context: usize) -> Vec<Option<&DiffLine>> {
    let changed: Vec<usize> = lines
        .iter()
        .enumerate()
        .filter(|(_, line)| line.change != LineChange::Same)
        .map(|(index, _)| index)
        .collect();
    let keep = |index: usize| changed.iter().any(|&c| index + context >= c && index <= c + context);
    let mut out = Vec::new();
    let mut skipping = false;
    for (index, line) in lines.iter().enumerate() {
        if keep(index) {
            out.push(Some(line));
            skipping = false;
        } else if !skipping {
            out.push(None);
            skipping = true;
        }
    }
    out
}

/// The unified diff (`diff -u` format, `context` lines around each change) of `old` and
/// `new`, both labelled `label`; empty when the two have the same lines. Password values
/// are masked, and comment and malformed lines are shown as `# (comment not shown)` and
/// `(line not shown)`, since either may hold an old password; the comments fxconfig's own
/// guide layout writes (`config init`) are shown. A change of line ending alone shows as no
/// change.
pub fn unified(old: &[u8], new: &[u8], label: &str, context: usize) -> String {
    unified_with(old, new, label, context, redact_line)
}

/// The unified diff of two texts that hold no secrets (an ssh_config), every line shown as
/// it is.
pub fn unified_plain(old: &[u8], new: &[u8], label: &str, context: usize) -> String {
    unified_with(old, new, label, context, str::to_owned)
}

fn unified_with(old: &[u8], new: &[u8], label: &str, context: usize, render: fn(&str) -> String) -> String {
    let lines = diff_lines(old, new);
    let changed: Vec<usize> = lines
        .iter()
        .enumerate()
        .filter(|(_, line)| line.change != LineChange::Same)
        .map(|(index, _)| index)
        .collect();
    if changed.is_empty() {
        return String::new();
    }
    let mut out = format!("--- {label}\n+++ {label}\n");
    let mut hunk_start = changed[0].saturating_sub(context);
    let mut hunk_end = (changed[0] + context + 1).min(lines.len());
    for &index in &changed[1..] {
        if index.saturating_sub(context) <= hunk_end {
            hunk_end = (index + context + 1).min(lines.len());
        } else {
            write_hunk(&mut out, &lines, hunk_start, hunk_end, render);
            hunk_start = index.saturating_sub(context);
            hunk_end = (index + context + 1).min(lines.len());
        }
    }
    write_hunk(&mut out, &lines, hunk_start, hunk_end, render);
    out
}

/// Appends the hunk of `lines[start..end]` with its `@@ -a,b +c,d @@` header.
fn write_hunk(out: &mut String, lines: &[DiffLine], start: usize, end: usize, render: fn(&str) -> String) {
    let hunk = &lines[start..end];
    let old_count = hunk.iter().filter(|line| line.old_line.is_some()).count();
    let new_count = hunk.iter().filter(|line| line.new_line.is_some()).count();
    // The first line of each side in the hunk; for an empty side, the line before it.
    let first = |number: fn(&DiffLine) -> Option<usize>, count: usize| {
        let found = hunk.iter().find_map(number);
        match found {
            Some(line) if count > 0 => line,
            _ => lines[..start].iter().rev().find_map(number).unwrap_or(0),
        }
    };
    let old_start = first(|line| line.old_line, old_count);
    let new_start = first(|line| line.new_line, new_count);
    out.push_str(&format!("@@ -{old_start},{old_count} +{new_start},{new_count} @@\n"));
    for line in hunk {
        let sign = match line.change {
            LineChange::Same => ' ',
            LineChange::Removed => '-',
            LineChange::Added => '+',
        };
        out.push(sign);
        out.push_str(&render(&line.text));
        out.push('\n');
    }
}

/// A line fit for a log: an entry with its password masked, a section tag, a blank line or
/// a comment of fxconfig's own guide layout as it is, any other comment or a malformed line
/// replaced by a note (either may hold a password).
pub fn redact_line(line: &str) -> String {
    let trimmed = line.trim();
    let indent = &line[..line.len() - line.trim_start().len()];
    if trimmed.is_empty() || is_section_tag(trimmed) || template_comments().contains(trimmed) {
        return line.to_owned();
    }
    if CfgDocument::parse(line.as_bytes()).is_ok_and(|doc| !doc.entries().is_empty()) {
        return mask_secret_line(line);
    }
    if trimmed.starts_with('#') {
        format!("{indent}# (comment not shown)")
    } else {
        format!("{indent}(line not shown)")
    }
}

/// The comment lines of the guide layout fxconfig writes ([`super::template::blank_template`]),
/// trimmed: text of fxconfig's own, which holds no password.
fn template_comments() -> &'static HashSet<String> {
    static COMMENTS: OnceLock<HashSet<String>> = OnceLock::new();
    COMMENTS.get_or_init(|| {
        super::template::blank_template()
            .lines()
            .map(str::trim)
            .filter(|line| line.starts_with('#'))
            .map(str::to_owned)
            .collect()
    })
}

/// Whether the trimmed line is `<NAME>` or `</NAME>` alone.
fn is_section_tag(trimmed: &str) -> bool {
    let inner = trimmed
        .strip_prefix("</")
        .or_else(|| trimmed.strip_prefix('<'))
        .and_then(|rest| rest.strip_suffix('>'));
    inner.is_some_and(|name| {
        !name.is_empty() && !name.contains(|c: char| c.is_whitespace() || c == '<' || c == '>' || c == '/')
    })
}

/// The line with the value of a password entry replaced by the mask; other lines as they are.
pub fn mask_secret_line(line: &str) -> String {
    let Ok(doc) = CfgDocument::parse(line.as_bytes()) else {
        return line.to_owned();
    };
    let Some(entry) = doc.entries().into_iter().next() else {
        return line.to_owned();
    };
    if !entry.is_secret() || entry.value.is_empty() {
        return line.to_owned();
    }
    // The value starts after the opening tag's `>`.
    let Some(open_end) = line.find('>') else {
        return line.to_owned();
    };
    let rest = &line[open_end + 1..];
    match rest.find(entry.value.as_str()) {
        Some(offset) => {
            let start = open_end + 1 + offset;
            format!("{}{MASK}{}", &line[..start], &line[start + entry.value.len()..])
        }
        None => line.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_changed_value_is_one_removed_and_one_added_line() {
        let old = b"<KMS>\n  <ADDRESS> 10.0.0.1 </ADDRESS>\n  <PROD-PORT> 2001 </PROD-PORT>\n</KMS>\n";
        let new = b"<KMS>\n  <ADDRESS> 10.0.0.2 </ADDRESS>\n  <PROD-PORT> 2001 </PROD-PORT>\n</KMS>\n";
        let diff = diff_lines(old, new);
        let changes: Vec<_> = diff.iter().filter(|l| l.change != LineChange::Same).collect();
        assert_eq!(changes.len(), 2);
        assert_eq!(changes[0].change, LineChange::Removed);
        assert_eq!(changes[0].old_line, Some(2));
        assert!(changes[0].text.contains("10.0.0.1"));
        assert_eq!(changes[1].change, LineChange::Added);
        assert_eq!(changes[1].new_line, Some(2));
        assert_eq!(diff.len(), 5);
        let shown = with_context(&diff, 0);
        assert_eq!(shown.iter().filter(|l| l.is_none()).count(), 2);
    }

    #[test]
    fn inserted_lines_keep_later_numbers_right() {
        let diff = diff_lines(b"a\nb\nc\n", b"a\nx\nb\nc\ny\n");
        let added: Vec<_> = diff
            .iter()
            .filter(|l| l.change == LineChange::Added)
            .map(|l| (l.new_line, l.text.as_str()))
            .collect();
        assert_eq!(added, vec![(Some(2), "x"), (Some(5), "y")]);
        assert_eq!(diff.iter().filter(|l| l.change == LineChange::Same).count(), 3);
    }

    #[test]
    fn passwords_are_masked_in_the_diff() {
        let diff = diff_lines(
            b"<KMS>\n <CRYPTO-OPR-PASS> old-secret </CRYPTO-OPR-PASS>\n</KMS>\n",
            b"<KMS>\n <CRYPTO-OPR-PASS> new-secret </CRYPTO-OPR-PASS>\n</KMS>\n",
        );
        assert!(diff.iter().all(|l| !l.text.contains("secret")));
        assert_eq!(
            mask_secret_line("<ADDRESS> pass </ADDRESS>"),
            "<ADDRESS> pass </ADDRESS>"
        );
        assert_eq!(
            mask_secret_line("  <PROD-TLS-KEY-PASS>PROD</PROD-TLS-KEY-PASS>"),
            format!("  <PROD-TLS-KEY-PASS>{MASK}</PROD-TLS-KEY-PASS>")
        );
    }

    #[test]
    fn the_unified_diff_has_hunks_masked_passwords_and_no_comment_text() {
        let old = b"# operator: hunter2\n<KMS>\n  <CRYPTO-OPR-PASS> old-secret </CRYPTO-OPR-PASS>\n  <ADDRESS> 10.0.0.1 </ADDRESS>\n  <SLOT> 0 </SLOT>\n  <A> 1 </A>\n  <B> 2 </B>\n  <C> 3 </C>\n  <D> 4 </D>\n  <E> 5 </E>\n  <F> 6 </F>\n</KMS>\n";
        let new = String::from_utf8(old.to_vec())
            .unwrap()
            .replace("old-secret", "new-secret")
            .replace("<F> 6 </F>", "<F> 7 </F>\n  <G> 8 </G>");
        let text = unified(old, new.as_bytes(), "fxpkcs11.cfg", 1);
        let expected = format!(
            "--- fxpkcs11.cfg\n+++ fxpkcs11.cfg\n\
             @@ -2,3 +2,3 @@\n <KMS>\n-  <CRYPTO-OPR-PASS> {MASK} </CRYPTO-OPR-PASS>\n+  <CRYPTO-OPR-PASS> {MASK} </CRYPTO-OPR-PASS>\n   <ADDRESS> 10.0.0.1 </ADDRESS>\n\
             @@ -10,3 +10,4 @@\n   <E> 5 </E>\n-  <F> 6 </F>\n+  <F> 7 </F>\n+  <G> 8 </G>\n </KMS>\n"
        );
        assert_eq!(text, expected);
        assert!(!text.contains("secret") && !text.contains("hunter2"));
        assert_eq!(unified(old, old, "x", 3), "");
        let with_comment = unified(old, &old[20..], "x", 3);
        assert!(with_comment.contains("-# (comment not shown)"), "{with_comment}");
        assert!(!with_comment.contains("hunter2"));
    }

    #[test]
    fn a_file_created_from_nothing_starts_at_line_zero() {
        let text = unified(b"", b"<KMS>\n</KMS>\n", "new.cfg", 3);
        assert_eq!(text, "--- new.cfg\n+++ new.cfg\n@@ -0,0 +1,2 @@\n+<KMS>\n+</KMS>\n");
        assert_eq!(redact_line("junk <X-PASS> s"), "(line not shown)");
        assert_eq!(redact_line("  </KMS>"), "  </KMS>");
        let own = crate::cfg::template::blank_template();
        let comment = own
            .lines()
            .find(|line| line.trim_start().starts_with("# Slot"))
            .unwrap();
        assert_eq!(redact_line(comment), comment, "fxconfig's own comments are shown");
    }
}
