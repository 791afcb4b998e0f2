//! The lossless line model of `fxpkcs11.cfg`.
//!
//! The file is read line by line; every line keeps its exact text and line ending, so
//! writing an unedited document gives back the very same bytes. See the module
//! documentation of [`crate::cfg`] for the format and the editing rules.

use std::collections::HashMap;
use std::fmt;

use zeroize::Zeroize;

use super::error::CfgError;
use super::fields::{self, SECTION_KMS, Settings};
use crate::secret::MASK;

/// The UTF-8 byte order mark, kept apart from the first line's text.
const BOM: &str = "\u{feff}";

/// The indentation used for a new entry when the file has no entry to copy it from.
const DEFAULT_INDENT: &str = "    ";

/// How one line ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ending {
    /// The last line of a file without a final newline.
    None,
    /// `\n`.
    Lf,
    /// `\r\n`.
    CrLf,
}

impl Ending {
    fn as_str(self) -> &'static str {
        match self {
            Ending::None => "",
            Ending::Lf => "\n",
            Ending::CrLf => "\r\n",
        }
    }
}

/// The byte offsets of an entry's parts within its line's text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct EntryParts {
    /// The first byte of the tag name (just after `<`).
    tag_start: usize,
    /// Just past the tag name.
    tag_end: usize,
    /// Just past the opening tag's `>`.
    open_end: usize,
    /// The first byte of the trimmed value (equal to `value_end` when the value is empty).
    value_start: usize,
    /// Just past the trimmed value.
    value_end: usize,
    /// The `<` of the closing tag.
    close_start: usize,
}

/// Why a line is neither blank, a comment, a section tag nor an entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Malformation {
    /// The line opens `<TAG>` and has more text, but does not end with `</TAG>`.
    UnclosedEntry {
        /// The tag that was opened.
        tag: String,
    },
    /// A `<…>` whose name holds characters a tag name cannot have.
    BadName,
    /// Text that does not start with `<` or `#`.
    NotATag,
}

/// What a line is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum LineKind {
    /// Only whitespace.
    Blank,
    /// Starts with `#` after optional whitespace.
    Comment,
    /// `<NAME>` alone on the line.
    SectionOpen { name: String },
    /// `</NAME>` alone on the line.
    SectionClose { name: String },
    /// `<TAG> value </TAG>`.
    Entry(EntryParts),
    /// Anything else; kept verbatim.
    Malformed(Malformation),
}

/// One line: its text without the ending, its ending, and what it is.
#[derive(Clone, PartialEq, Eq)]
struct Line {
    text: String,
    ending: Ending,
    kind: LineKind,
}

impl Line {
    fn new(text: String, ending: Ending) -> Line {
        let kind = classify(&text);
        Line { text, ending, kind }
    }

    fn entry(&self) -> Option<(&str, &str)> {
        match &self.kind {
            LineKind::Entry(parts) => Some((
                &self.text[parts.tag_start..parts.tag_end],
                &self.text[parts.value_start..parts.value_end],
            )),
            _ => None,
        }
    }

    fn indentation(&self) -> &str {
        let rest = self.text.trim_start_matches(is_space);
        &self.text[..self.text.len() - rest.len()]
    }
}

/// The whitespace the format trims around values and tags.
fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\u{b}' | '\u{c}')
}

/// Whether `name` can be a tag or section name: letters, digits, `-`, `_` and `.`.
pub(crate) fn is_valid_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// Classifies the text of one line (without its ending).
fn classify(text: &str) -> LineKind {
    let body_start = text.len() - text.trim_start_matches(is_space).len();
    let body = text.trim_matches(is_space);
    if body.is_empty() {
        return LineKind::Blank;
    }
    if body.starts_with('#') {
        return LineKind::Comment;
    }
    if let Some(inner) = body.strip_prefix("</") {
        return match inner.strip_suffix('>') {
            Some(name) if is_valid_name(name) => LineKind::SectionClose { name: name.to_owned() },
            _ => LineKind::Malformed(Malformation::BadName),
        };
    }
    let Some(after_lt) = body.strip_prefix('<') else {
        return LineKind::Malformed(Malformation::NotATag);
    };
    let Some(gt) = after_lt.find('>') else {
        return LineKind::Malformed(Malformation::NotATag);
    };
    let name = &after_lt[..gt];
    if !is_valid_name(name) {
        return LineKind::Malformed(Malformation::BadName);
    }
    let rest = &after_lt[gt + 1..];
    if rest.is_empty() {
        return LineKind::SectionOpen { name: name.to_owned() };
    }
    let close_len = name.len() + 3;
    let closes = rest
        .len()
        .checked_sub(close_len)
        .and_then(|start| rest.get(start..))
        .is_some_and(|tail| {
            tail.starts_with("</") && tail.ends_with('>') && tail[2..tail.len() - 1].eq_ignore_ascii_case(name)
        });
    if !closes {
        return LineKind::Malformed(Malformation::UnclosedEntry { tag: name.to_owned() });
    }
    let tag_start = body_start + 1;
    let tag_end = tag_start + name.len();
    let open_end = tag_end + 1;
    let close_start = body_start + body.len() - close_len;
    let region = &text[open_end..close_start];
    let value_start = open_end + (region.len() - region.trim_start_matches(is_space).len());
    let value_end = value_start + region.trim_matches(is_space).len();
    LineKind::Entry(EntryParts {
        tag_start,
        tag_end,
        open_end,
        value_start,
        value_end,
        close_start,
    })
}

/// One `<TAG> value </TAG>` entry as read from the document.
#[derive(Clone, PartialEq, Eq)]
pub struct Entry {
    /// The innermost section the entry is in, as spelled at its opening tag; `None`
    /// outside any section.
    pub section: Option<String>,
    /// The tag as spelled in the file.
    pub tag: String,
    /// The value with surrounding whitespace trimmed.
    pub value: String,
    /// The 1-based line number.
    pub line: usize,
}

impl Entry {
    /// Whether the value is a password (see [`fields::is_secret_tag`]).
    pub fn is_secret(&self) -> bool {
        fields::is_secret_tag(&self.tag)
    }

    /// The value fit for showing: [`MASK`] for a non-empty secret, the value otherwise
    /// (an empty secret shows as empty, so that a missing password is visible).
    pub fn display_value(&self) -> String {
        if self.is_secret() && !self.value.is_empty() {
            MASK.to_owned()
        } else {
            self.value.clone()
        }
    }
}

impl fmt::Debug for Entry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Entry")
            .field("section", &self.section)
            .field("tag", &self.tag)
            .field("value", &self.display_value())
            .field("line", &self.line)
            .finish()
    }
}

/// One `<NAME>` … `</NAME>` section.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Section {
    /// The name as spelled at the opening tag.
    pub name: String,
    /// The 1-based line of `<NAME>`.
    pub open_line: usize,
    /// The 1-based line of the matching `</NAME>`, or `None` if the section is never closed.
    pub close_line: Option<usize>,
}

/// What [`CfgDocument::set`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SetOutcome {
    /// An existing entry's value was replaced on this 1-based line.
    Updated {
        /// The entry's line.
        line: usize,
    },
    /// A new entry line was inserted into an existing section at this 1-based line.
    Inserted {
        /// The new entry's line.
        line: usize,
    },
    /// The section was missing and was appended at the end of the file; `line` is the
    /// 1-based line of the new entry.
    SectionCreated {
        /// The new entry's line.
        line: usize,
    },
}

/// The section structure of a document, worked out from its lines.
#[derive(Debug, Default)]
pub(crate) struct Layout {
    /// Every section in order of its opening line.
    pub(crate) sections: Vec<Section>,
    /// For each line (0-based), the index in `sections` of the innermost open section.
    pub(crate) owner: Vec<Option<usize>>,
    /// Sections opened while another was open: (1-based line, name, enclosing name).
    pub(crate) nested: Vec<(usize, String, String)>,
    /// Closing tags with no open section of that name: (1-based line, name).
    pub(crate) stray_closes: Vec<(usize, String)>,
}

/// A parsed `fxpkcs11.cfg`, able to give back its exact bytes.
///
/// `Debug` shows the sections and entries with passwords masked, and never the text of
/// comments or malformed lines (either may hold an old password).
#[derive(Clone, Default, PartialEq, Eq)]
pub struct CfgDocument {
    bom: bool,
    lines: Vec<Line>,
}

impl CfgDocument {
    /// An empty document (zero bytes).
    pub fn new() -> CfgDocument {
        CfgDocument::default()
    }

    /// Reads a document. Any UTF-8 text is accepted; lines that do not fit the format
    /// are kept verbatim (and reported by [`crate::cfg::validate`]).
    ///
    /// # Errors
    /// [`CfgError::NotUtf8`] when the bytes are not UTF-8.
    pub fn parse(bytes: &[u8]) -> Result<CfgDocument, CfgError> {
        let text = std::str::from_utf8(bytes).map_err(|error| {
            let good = &bytes[..error.valid_up_to()];
            CfgError::NotUtf8 {
                line: good.iter().filter(|byte| **byte == b'\n').count() + 1,
            }
        })?;
        let (bom, body) = match text.strip_prefix(BOM) {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let lines = body
            .split_inclusive('\n')
            .map(|piece| {
                if let Some(content) = piece.strip_suffix("\r\n") {
                    Line::new(content.to_owned(), Ending::CrLf)
                } else if let Some(content) = piece.strip_suffix('\n') {
                    Line::new(content.to_owned(), Ending::Lf)
                } else {
                    Line::new(piece.to_owned(), Ending::None)
                }
            })
            .collect();
        Ok(CfgDocument { bom, lines })
    }

    /// The document's bytes: identical to the parsed input apart from edits.
    pub fn to_bytes(&self) -> Vec<u8> {
        let size = self.lines.iter().map(|line| line.text.len() + 2).sum::<usize>();
        let mut out = Vec::with_capacity(size + BOM.len());
        if self.bom {
            out.extend_from_slice(BOM.as_bytes());
        }
        for line in &self.lines {
            out.extend_from_slice(line.text.as_bytes());
            out.extend_from_slice(line.ending.as_str().as_bytes());
        }
        out
    }

    /// The number of lines.
    pub fn line_count(&self) -> usize {
        self.lines.len()
    }

    /// Every entry in file order.
    pub fn entries(&self) -> Vec<Entry> {
        let layout = self.layout();
        self.lines
            .iter()
            .enumerate()
            .filter_map(|(index, line)| {
                let (tag, value) = line.entry()?;
                Some(Entry {
                    section: layout.owner[index].map(|owner| layout.sections[owner].name.clone()),
                    tag: tag.to_owned(),
                    value: value.to_owned(),
                    line: index + 1,
                })
            })
            .collect()
    }

    /// Every section in order of its opening line.
    pub fn sections(&self) -> Vec<Section> {
        self.layout().sections
    }

    /// The first entry with this tag (compared without regard to case), in the named
    /// section (also without regard to case), or in any section — or outside all
    /// sections — when `section` is `None`.
    pub fn get(&self, section: Option<&str>, tag: &str) -> Option<Entry> {
        self.entries()
            .into_iter()
            .find(|entry| entry_matches(entry, section, tag))
    }

    /// The lines of every entry that [`CfgDocument::get`] could return for `tag`.
    pub(crate) fn lines_of(&self, section: Option<&str>, tag: &str) -> Vec<usize> {
        self.entries()
            .into_iter()
            .filter(|entry| entry_matches(entry, section, tag))
            .map(|entry| entry.line)
            .collect()
    }

    /// Sets a value, changing as few bytes as possible.
    ///
    /// * An existing entry (found as by [`CfgDocument::get`]) gets its value text
    ///   replaced in place; the rest of its line keeps its bytes, following the padding
    ///   rule described in [`crate::cfg`].
    /// * Otherwise one line is inserted into the section: `section`, or when `None` the
    ///   field's own section (`KMS` for every field but `REQUIRE-LOGIN-FLAG`, and for
    ///   unknown tags). It goes after the section's last entry (or before its closing
    ///   tag), copying a sibling entry's indentation and value column, with the file's
    ///   dominant line ending.
    /// * If that section does not exist, it is appended at the end of the file.
    ///
    /// # Errors
    /// [`CfgError::AmbiguousEntry`] when the tag is there more than once (which one the
    /// library reads is unknown, so none is changed); [`CfgError::InvalidValue`] for a value
    /// holding a line break, another control character, leading or trailing whitespace, or
    /// `</TAG`; [`CfgError::InvalidName`]
    /// for a tag or section name the format cannot hold; [`CfgError::UnknownSection`]
    /// when `section` names a section that is absent and is not `KMS` or `CONFIG`.
    /// On error the document is unchanged.
    pub fn set(&mut self, section: Option<&str>, tag: &str, value: &str) -> Result<SetOutcome, CfgError> {
        check_name(tag)?;
        if let Some(name) = section {
            check_name(name)?;
        }
        check_value(tag, value)?;
        let lines = self.lines_of(section, tag);
        if lines.len() > 1 {
            return Err(CfgError::AmbiguousEntry {
                tag: tag.to_owned(),
                lines,
            });
        }

        if let Some(existing) = self.get(section, tag) {
            let index = existing.line - 1;
            self.replace_value(index, value);
            return Ok(SetOutcome::Updated { line: existing.line });
        }

        let target = section.unwrap_or_else(|| default_section(tag));
        let layout = self.layout();
        if let Some(section_index) = layout
            .sections
            .iter()
            .position(|found| found.name.eq_ignore_ascii_case(target))
        {
            let at = insertion_index(&layout, &self.lines, section_index);
            let sibling = last_entry_in(&layout, &self.lines, section_index).or_else(|| self.first_entry_line());
            let indent = match sibling {
                Some(line) => line.indentation().to_owned(),
                None => {
                    let open = &self.lines[layout.sections[section_index].open_line - 1];
                    format!("{}{DEFAULT_INDENT}", open.indentation())
                }
            };
            let text = entry_text(&indent, sibling, tag, value);
            self.insert_line(at, text);
            return Ok(SetOutcome::Inserted { line: at + 1 });
        }

        if !fields::is_known_section(target) {
            return Err(CfgError::UnknownSection {
                section: target.to_owned(),
            });
        }
        let name = target.to_ascii_uppercase();
        let line = self.append_section(&layout, &name, tag, value);
        Ok(SetOutcome::SectionCreated { line })
    }

    /// The typed view of the known fields. Each field is read from its own section,
    /// or from the first place it appears when that section lacks it.
    pub fn settings(&self) -> Settings {
        let entries = self.entries();
        Settings::from_lookup(|tag| {
            let in_section = |entry: &&Entry| {
                fields::field_spec(tag).is_some_and(|spec| {
                    entry
                        .section
                        .as_deref()
                        .is_some_and(|name| name.eq_ignore_ascii_case(spec.section))
                })
            };
            let matching = || entries.iter().filter(|entry| entry.tag.eq_ignore_ascii_case(tag));
            matching()
                .find(in_section)
                .or_else(|| matching().next())
                .map(|entry| entry.value.clone())
        })
    }

    /// Works out the section structure.
    pub(crate) fn layout(&self) -> Layout {
        let mut layout = Layout {
            owner: Vec::with_capacity(self.lines.len()),
            ..Layout::default()
        };
        let mut open: Vec<usize> = Vec::new();
        // For each upper-cased name, the depths in `open` where a section of that name is
        // open, innermost last: finding the section a closing tag closes takes constant
        // time, so the layout stays linear however deeply sections nest.
        let mut open_by_name: HashMap<String, Vec<usize>> = HashMap::new();
        for (index, line) in self.lines.iter().enumerate() {
            let number = index + 1;
            match &line.kind {
                LineKind::SectionOpen { name } => {
                    if let Some(&parent) = open.last() {
                        layout
                            .nested
                            .push((number, name.clone(), layout.sections[parent].name.clone()));
                    }
                    layout.sections.push(Section {
                        name: name.clone(),
                        open_line: number,
                        close_line: None,
                    });
                    open_by_name
                        .entry(name.to_ascii_uppercase())
                        .or_default()
                        .push(open.len());
                    open.push(layout.sections.len() - 1);
                    layout.owner.push(open.last().copied());
                }
                LineKind::SectionClose { name } => {
                    let depth = open_by_name
                        .get(&name.to_ascii_uppercase())
                        .and_then(|depths| depths.last().copied());
                    match depth {
                        Some(depth) => {
                            let closed = open[depth];
                            layout.owner.push(Some(closed));
                            layout.sections[closed].close_line = Some(number);
                            for inner in open.drain(depth..) {
                                let key = layout.sections[inner].name.to_ascii_uppercase();
                                if let Some(depths) = open_by_name.get_mut(&key) {
                                    depths.pop();
                                }
                            }
                        }
                        None => {
                            layout.owner.push(open.last().copied());
                            layout.stray_closes.push((number, name.clone()));
                        }
                    }
                }
                _ => layout.owner.push(open.last().copied()),
            }
        }
        layout
    }

    /// Every malformed line: (1-based line, why).
    pub(crate) fn malformed_lines(&self) -> Vec<(usize, Malformation)> {
        self.lines
            .iter()
            .enumerate()
            .filter_map(|(index, line)| match &line.kind {
                LineKind::Malformed(why) => Some((index + 1, why.clone())),
                _ => None,
            })
            .collect()
    }

    /// The line ending most lines use; `\n` when tied or when there is none.
    fn dominant_ending(&self) -> Ending {
        let crlf = self.lines.iter().filter(|line| line.ending == Ending::CrLf).count();
        let lf = self.lines.iter().filter(|line| line.ending == Ending::Lf).count();
        if crlf > lf { Ending::CrLf } else { Ending::Lf }
    }

    fn first_entry_line(&self) -> Option<&Line> {
        self.lines.iter().find(|line| matches!(line.kind, LineKind::Entry(_)))
    }

    /// The column (in characters) where the nearest entry with a value starts it, looking
    /// up from line `index` (0-based) first, then down.
    fn value_column_near(&self, index: usize) -> Option<usize> {
        let column = |line: &Line| match line.kind {
            LineKind::Entry(parts) if parts.value_start < parts.value_end => {
                Some(line.text[..parts.value_start].chars().count())
            }
            _ => None,
        };
        let above = self.lines[..index].iter().rev().find_map(column);
        above.or_else(|| self.lines.get(index + 1..)?.iter().find_map(column))
    }

    /// Replaces the value of the entry on line `index` (0-based) by the padding rule.
    fn replace_value(&mut self, index: usize, value: &str) {
        let near_column = self.value_column_near(index);
        let line = &mut self.lines[index];
        let LineKind::Entry(parts) = line.kind else {
            return;
        };
        let text = &line.text;
        let (lead, old_value, trail) = if parts.value_start < parts.value_end {
            (
                &text[parts.open_end..parts.value_start],
                &text[parts.value_start..parts.value_end],
                &text[parts.value_end..parts.close_start],
            )
        } else {
            let region = &text[parts.open_end..parts.close_start];
            let aligned = is_alignment(region)
                .then_some(near_column)
                .flatten()
                .and_then(|column| column.checked_sub(text[..parts.open_end].chars().count()))
                .filter(|lead| (1..region.len()).contains(lead));
            let split = aligned.unwrap_or_else(|| region.chars().next().map_or(0, char::len_utf8));
            (&region[..split], "", &region[split..])
        };
        let new_trail = if !is_alignment(trail) {
            trail.to_owned()
        } else {
            let room = old_value.chars().count() + trail.len();
            " ".repeat(room.saturating_sub(value.chars().count()).max(1))
        };
        let mut new_text = String::with_capacity(text.len() + value.len());
        new_text.push_str(&text[..parts.open_end]);
        new_text.push_str(lead);
        new_text.push_str(value);
        new_text.push_str(&new_trail);
        new_text.push_str(&text[parts.close_start..]);
        let mut old_text = std::mem::replace(&mut line.text, new_text);
        old_text.zeroize();
        line.kind = classify(&line.text);
    }

    /// Inserts a new line of text before line `at` (0-based), in the file's line ending.
    fn insert_line(&mut self, at: usize, text: String) {
        let ending = self.dominant_ending();
        if at > 0
            && let Some(previous) = self.lines.get_mut(at - 1)
            && previous.ending == Ending::None
        {
            previous.ending = ending;
        }
        self.lines.insert(at, Line::new(text, ending));
    }

    /// Appends `<name>`, the entry and `</name>`; returns the entry's 1-based line.
    fn append_section(&mut self, layout: &Layout, name: &str, tag: &str, value: &str) -> usize {
        let ending = self.dominant_ending();
        let section_indent = layout
            .sections
            .first()
            .map(|section| self.lines[section.open_line - 1].indentation().to_owned())
            .unwrap_or_default();
        let sibling = self.first_entry_line();
        let entry_indent = match sibling {
            Some(line) => line.indentation().to_owned(),
            None => format!("{section_indent}{DEFAULT_INDENT}"),
        };
        let entry = entry_text(&entry_indent, sibling, tag, value);
        if let Some(last) = self.lines.last_mut()
            && last.ending == Ending::None
        {
            last.ending = ending;
        }
        self.lines.push(Line::new(format!("{section_indent}<{name}>"), ending));
        self.lines.push(Line::new(entry, ending));
        let entry_line = self.lines.len();
        self.lines.push(Line::new(format!("{section_indent}</{name}>"), ending));
        entry_line
    }
}

impl Drop for CfgDocument {
    fn drop(&mut self) {
        for line in &mut self.lines {
            line.text.zeroize();
        }
    }
}

impl fmt::Debug for CfgDocument {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CfgDocument")
            .field("bom", &self.bom)
            .field("lines", &self.lines.len())
            .field("sections", &self.sections())
            .field("entries", &self.entries())
            .field("malformed_lines", &self.malformed_lines().len())
            .finish()
    }
}

/// The section a tag goes into when none is named.
fn default_section(tag: &str) -> &'static str {
    fields::field_spec(tag).map_or(SECTION_KMS, |spec| spec.section)
}

fn check_name(name: &str) -> Result<(), CfgError> {
    if is_valid_name(name) {
        Ok(())
    } else {
        Err(CfgError::InvalidName {
            name: name.to_owned(),
            reason: "names use only letters, digits, '-', '_' and '.'".to_owned(),
        })
    }
}

fn check_value(tag: &str, value: &str) -> Result<(), CfgError> {
    let invalid = |reason: &str| {
        Err(CfgError::InvalidValue {
            tag: tag.to_owned(),
            reason: reason.to_owned(),
        })
    };
    if value.contains(['\n', '\r']) {
        return invalid("the value must fit on one line");
    }
    if value.chars().any(|c| c.is_control() && c != '\t') {
        return invalid("the value holds a control character");
    }
    if value.trim_matches(is_space) != value {
        return invalid("leading or trailing whitespace would be lost when the file is read");
    }
    let closing = format!("</{}", tag.to_ascii_lowercase());
    if value.to_ascii_lowercase().contains(&closing) {
        return invalid("the value must not contain the closing tag");
    }
    Ok(())
}

/// Where a new entry goes in section `section_index`: after its last entry, else before
/// its closing tag, else right after its opening tag.
fn insertion_index(layout: &Layout, lines: &[Line], section_index: usize) -> usize {
    let last_entry = (0..lines.len())
        .rev()
        .find(|&index| layout.owner[index] == Some(section_index) && matches!(lines[index].kind, LineKind::Entry(_)));
    let section = &layout.sections[section_index];
    // Just before the closing tag, unless a section opened inside is still open there (a
    // malformed file): a line there would belong to that section, so it goes right after
    // the opening tag instead.
    let left_open_inside = |close: usize| {
        layout.sections.iter().any(|inner| {
            inner.open_line > section.open_line
                && inner.open_line < close
                && inner.close_line.is_none_or(|inner_close| inner_close >= close)
        })
    };
    match (last_entry, section.close_line) {
        (Some(index), _) => index + 1,
        (None, Some(close)) if !left_open_inside(close) => close - 1,
        (None, _) => section.open_line,
    }
}

fn last_entry_in<'a>(layout: &Layout, lines: &'a [Line], section_index: usize) -> Option<&'a Line> {
    lines.iter().enumerate().rev().find_map(|(index, line)| {
        (layout.owner[index] == Some(section_index) && matches!(line.kind, LineKind::Entry(_))).then_some(line)
    })
}

/// Whether a gap of whitespace aligns a column: two or more spaces and nothing else.
/// Other gaps (empty, one space, anything with a tab) are copied as they are.
fn is_alignment(gap: &str) -> bool {
    gap.len() > 1 && gap.bytes().all(|byte| byte == b' ')
}

/// The text of a new entry line, copying the sibling's value and closing-tag columns.
fn entry_text(indent: &str, sibling: Option<&Line>, tag: &str, value: &str) -> String {
    let open = format!("<{tag}>");
    let (lead, trail) = match sibling {
        Some(line) => match line.kind {
            LineKind::Entry(parts) if parts.value_start < parts.value_end => {
                let tag_lt = parts.tag_start - 1;
                let text = &line.text;
                let lead_gap = &text[parts.open_end..parts.value_start];
                let trail_gap = &text[parts.value_end..parts.close_start];
                let lead = if is_alignment(lead_gap) {
                    let value_column = text[tag_lt..parts.value_start].chars().count();
                    " ".repeat(value_column.saturating_sub(open.chars().count()).max(1))
                } else {
                    lead_gap.to_owned()
                };
                let trail = if is_alignment(trail_gap) {
                    let close_column = text[tag_lt..parts.close_start].chars().count();
                    let used = open.chars().count() + lead.chars().count() + value.chars().count();
                    " ".repeat(close_column.saturating_sub(used).max(1))
                } else {
                    trail_gap.to_owned()
                };
                (lead, trail)
            }
            _ => (" ".to_owned(), " ".to_owned()),
        },
        None => (" ".to_owned(), " ".to_owned()),
    };
    format!("{indent}{open}{lead}{value}{trail}</{tag}>")
}

/// Whether `entry` has the tag `tag` (without regard to case) in the section `section`
/// (likewise), or anywhere when `section` is `None`.
fn entry_matches(entry: &Entry, section: Option<&str>, tag: &str) -> bool {
    entry.tag.eq_ignore_ascii_case(tag)
        && section.is_none_or(|wanted| {
            entry
                .section
                .as_deref()
                .is_some_and(|name| name.eq_ignore_ascii_case(wanted))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry_parts(text: &str) -> (String, String) {
        let line = Line::new(text.to_owned(), Ending::Lf);
        let (tag, value) = line.entry().unwrap_or(("", ""));
        (tag.to_owned(), value.to_owned())
    }

    #[test]
    fn an_entry_added_to_a_section_with_an_unclosed_inner_section_stays_in_its_section() {
        // Found by the cfg_reader fuzz target: the line went before `</KMS>`, inside `<P>`.
        let mut doc = CfgDocument::parse(b"<KMS>\n<P>\n</KMS>\n").expect("parses");
        assert_eq!(
            doc.set(Some("KMS"), "SLOT", "7").expect("sets"),
            SetOutcome::Inserted { line: 2 }
        );
        let again = CfgDocument::parse(&doc.to_bytes()).expect("parses");
        let slot = again.get(Some("KMS"), "SLOT").map(|entry| entry.value);
        assert_eq!(
            slot.as_deref(),
            Some("7"),
            "{:?}",
            String::from_utf8_lossy(&doc.to_bytes())
        );
        // A well-formed section still gets the line before its closing tag.
        let mut doc = CfgDocument::parse(b"<KMS>\n# only a comment\n</KMS>\n").expect("parses");
        assert_eq!(
            doc.set(None, "SLOT", "7").expect("sets"),
            SetOutcome::Inserted { line: 3 }
        );
    }

    #[test]
    fn classifies_lines() {
        assert_eq!(classify("   "), LineKind::Blank);
        assert_eq!(classify("\t# <SLOT> 0 </SLOT>"), LineKind::Comment);
        assert_eq!(classify(" <KMS> "), LineKind::SectionOpen { name: "KMS".to_owned() });
        assert_eq!(classify("</KMS>\r"), LineKind::SectionClose { name: "KMS".to_owned() });
        assert_eq!(
            classify("<SLOT> 0"),
            LineKind::Malformed(Malformation::UnclosedEntry { tag: "SLOT".to_owned() })
        );
        assert_eq!(classify("KMS>"), LineKind::Malformed(Malformation::NotATag));
        assert_eq!(classify("<a b>"), LineKind::Malformed(Malformation::BadName));
        assert_eq!(
            entry_parts("\t<ADDRESS>  10.0.8.20 </address>  "),
            ("ADDRESS".to_owned(), "10.0.8.20".to_owned())
        );
        assert_eq!(entry_parts("<P>a<b&c </P>"), ("P".to_owned(), "a<b&c".to_owned()));
        assert_eq!(entry_parts("<P></P>"), ("P".to_owned(), String::new()));
        assert_eq!(entry_parts("<P>   </P>"), ("P".to_owned(), String::new()));
        assert_eq!(entry_parts("<P>é</P>"), ("P".to_owned(), "é".to_owned()));
    }

    #[test]
    fn padding_rule_keeps_the_closing_column() {
        let mut doc = CfgDocument::parse(b"<KMS>\n<SLOT>   0      </SLOT>\n</KMS>\n").expect("UTF-8 input");
        assert!(matches!(
            doc.set(None, "SLOT", "12"),
            Ok(SetOutcome::Updated { line: 2 })
        ));
        assert_eq!(doc.to_bytes(), b"<KMS>\n<SLOT>   12     </SLOT>\n</KMS>\n");
        assert!(doc.set(None, "SLOT", "a-much-longer-value").is_ok());
        assert_eq!(doc.to_bytes(), b"<KMS>\n<SLOT>   a-much-longer-value </SLOT>\n</KMS>\n");
    }
}
