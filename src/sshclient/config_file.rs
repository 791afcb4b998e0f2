//! A lossless OpenSSH client configuration (ssh_config(5)): every byte of the file is kept
//! (comments, `Include`, `Match`, odd spacing, CRLF), and one `Host ALIAS` block can be
//! written or updated in place.
//!
//! The syntax read, as OpenSSH reads it: a line is a keyword and its arguments, separated
//! by white space or one `=`; keywords are case-insensitive; arguments may be quoted with
//! `"` or `'`; a line whose first non-blank character is `#` is a comment, and an unquoted
//! argument starting with `#` starts one. `Host` and `Match` lines start a block that runs
//! to the next `Host` or `Match` line; the lines before the first are read for every host.

use std::fmt;

use serde::Serialize;

/// How a line ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ending {
    /// `\n`.
    Lf,
    /// `\r\n`.
    CrLf,
    /// The last line, without an ending.
    None,
}

impl Ending {
    fn as_str(self) -> &'static str {
        match self {
            Ending::Lf => "\n",
            Ending::CrLf => "\r\n",
            Ending::None => "",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Line {
    text: String,
    ending: Ending,
}

/// Why bytes are not an ssh_config file this module can edit.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the file is not UTF-8 text (first bad byte on line {line})")]
pub struct NotText {
    /// The 1-based line holding the first byte that is not UTF-8.
    pub line: usize,
}

/// An OpenSSH client configuration, line by line, exactly as read.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SshConfigText {
    lines: Vec<Line>,
}

/// One keyword line: its keyword as spelled and its arguments, unquoted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Directive {
    /// The keyword as written (`IdentityFile`, `identityfile`, …).
    pub keyword: String,
    /// The arguments, quotes removed.
    pub args: Vec<String>,
    /// The 1-based line number.
    pub line: usize,
}

impl Directive {
    /// Whether this is the keyword `name` (case-insensitive).
    pub fn is(&self, name: &str) -> bool {
        self.keyword.eq_ignore_ascii_case(name)
    }

    /// The arguments joined by one space, as `ssh -G` prints a value.
    pub fn value(&self) -> String {
        self.args.join(" ")
    }
}

/// What starts a block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BlockKind {
    /// The lines before the first `Host` or `Match`: read for every host.
    Global,
    /// `Host PATTERN…`.
    Host(Vec<String>),
    /// `Match CRITERIA…`.
    Match(Vec<String>),
}

/// A run of lines: the global lines, or a `Host`/`Match` line and those up to the next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    /// What starts it.
    pub kind: BlockKind,
    /// The 0-based index of its first line (the `Host`/`Match` line, or 0 for the global lines).
    pub start: usize,
    /// The 0-based index just past its last line.
    pub end: usize,
}

impl Block {
    /// The block's heading as written in reports: `Host web*`, `Match all`, or
    /// `before any Host or Match`.
    pub fn heading(&self) -> String {
        match &self.kind {
            BlockKind::Global => "before any Host or Match".to_owned(),
            BlockKind::Host(patterns) => format!("Host {}", patterns.join(" ")),
            BlockKind::Match(criteria) => format!("Match {}", criteria.join(" ")),
        }
    }
}

/// Splits the arguments of a line the way OpenSSH does: white space separates them,
/// `"…"` and `'…'` quote, a backslash escapes a quote, a backslash or (outside quotes) a
/// space, and an unquoted `#` at the start of an argument ends the line.
fn split_args(text: &str) -> Vec<String> {
    let mut args = Vec::new();
    let mut chars = text.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        match chars.peek() {
            None | Some('#') => break,
            _ => {}
        }
        let mut arg = String::new();
        let mut quote: Option<char> = None;
        while let Some(&c) = chars.peek() {
            match (c, quote) {
                (c, None) if c.is_whitespace() => break,
                ('"' | '\'', None) => {
                    quote = Some(c);
                    chars.next();
                }
                (c, Some(open)) if c == open => {
                    quote = None;
                    chars.next();
                }
                ('\\', _) => {
                    chars.next();
                    match chars.peek() {
                        Some(&next @ ('"' | '\'' | '\\')) => {
                            arg.push(next);
                            chars.next();
                        }
                        Some(&' ') if quote.is_none() => {
                            arg.push(' ');
                            chars.next();
                        }
                        _ => arg.push('\\'),
                    }
                }
                (c, _) => {
                    arg.push(c);
                    chars.next();
                }
            }
        }
        args.push(arg);
    }
    args
}

/// The keyword of a line and the offset where its arguments start, or `None` for a blank
/// or comment line.
fn keyword_of(text: &str) -> Option<(&str, usize)> {
    let trimmed = text.trim_start();
    if trimmed.is_empty() || trimmed.starts_with('#') {
        return None;
    }
    let indent = text.len() - trimmed.len();
    let end = trimmed
        .find(|c: char| c.is_whitespace() || c == '=')
        .unwrap_or(trimmed.len());
    let keyword = &trimmed[..end];
    let mut rest = &trimmed[end..];
    rest = rest.trim_start();
    if let Some(after) = rest.strip_prefix('=') {
        rest = after;
    }
    Some((keyword, indent + (trimmed.len() - rest.len())))
}

/// A value written as one ssh_config argument: quoted when it holds white space, a quote
/// or a `#`, or is empty.
pub fn quote_arg(value: &str) -> String {
    if !value.is_empty() && !value.contains(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | '#')) {
        return value.to_owned();
    }
    format!("\"{}\"", value.replace('"', "\\\""))
}

/// Whether `text` matches `pattern`, where `*` stands for any run of characters (`/`
/// included) and `?` for one, as OpenSSH's `match_pattern` and glob(3) on one path component
/// do; `ignore_case` compares ASCII letters without case (host names).
pub(crate) fn wildcard(pattern: &[u8], text: &[u8], ignore_case: bool) -> bool {
    match pattern.split_first() {
        None => text.is_empty(),
        Some((b'*', rest)) => (0..=text.len()).any(|skip| wildcard(rest, &text[skip..], ignore_case)),
        Some((b'?', rest)) => !text.is_empty() && wildcard(rest, &text[1..], ignore_case),
        Some((c, rest)) => text.split_first().is_some_and(|(t, tail)| {
            (t == c || (ignore_case && t.eq_ignore_ascii_case(c))) && wildcard(rest, tail, ignore_case)
        }),
    }
}

/// Whether `host` matches the ssh pattern `pattern` (`*` any run, `?` one character),
/// ignoring ASCII case, as OpenSSH matches host names.
pub fn pattern_matches(pattern: &str, host: &str) -> bool {
    wildcard(pattern.as_bytes(), host.as_bytes(), true)
}

/// Whether a `Host` line's patterns select `host`: one pattern matches and no negated
/// (`!pattern`) one does. Comma-separated lists are split as OpenSSH splits them.
pub fn host_patterns_match(patterns: &[String], host: &str) -> bool {
    let mut selected = false;
    for pattern in patterns.iter().flat_map(|p| p.split(',')) {
        if let Some(negated) = pattern.strip_prefix('!') {
            if pattern_matches(negated, host) {
                return false;
            }
        } else if pattern_matches(pattern, host) {
            selected = true;
        }
    }
    selected
}

/// One keyword of a `Host` block and the value to give it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Setting {
    /// The keyword as fxconfig writes it (`PKCS11Provider`).
    pub keyword: &'static str,
    /// The value, unquoted.
    pub value: String,
}

/// What happened to one keyword of the block.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SettingAction {
    /// The keyword's line was given a new value.
    Updated,
    /// A line was added for the keyword.
    Added,
}

/// One keyword changed in the block.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SettingChange {
    /// The keyword (the `tag` of `config set --json`).
    pub tag: String,
    /// The block, `Host ALIAS` (the `section` of `config set --json`).
    pub section: String,
    /// The 1-based line after the edit.
    pub line: usize,
    /// The value before; `None` when the line was added.
    pub old: Option<String>,
    /// The value after.
    pub new: String,
    /// Whether the line was updated or added.
    pub action: SettingAction,
}

impl SshConfigText {
    /// Reads the file's bytes, keeping every line and its ending.
    ///
    /// # Errors
    /// [`NotText`] when the bytes are not UTF-8.
    pub fn parse(bytes: &[u8]) -> Result<SshConfigText, NotText> {
        let text = std::str::from_utf8(bytes).map_err(|error| NotText {
            line: 1 + bytes[..error.valid_up_to()].iter().filter(|b| **b == b'\n').count(),
        })?;
        let mut lines = Vec::new();
        let mut rest = text;
        while !rest.is_empty() {
            let (line, ending, next) = match rest.find('\n') {
                Some(at) => {
                    let body = &rest[..at];
                    match body.strip_suffix('\r') {
                        Some(stripped) => (stripped, Ending::CrLf, &rest[at + 1..]),
                        None => (body, Ending::Lf, &rest[at + 1..]),
                    }
                }
                None => (rest, Ending::None, ""),
            };
            lines.push(Line {
                text: line.to_owned(),
                ending,
            });
            rest = next;
        }
        Ok(SshConfigText { lines })
    }

    /// The file's bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = String::new();
        for line in &self.lines {
            out.push_str(&line.text);
            out.push_str(line.ending.as_str());
        }
        out.into_bytes()
    }

    /// How many lines the file has.
    pub fn len(&self) -> usize {
        self.lines.len()
    }

    /// Whether the file has no lines.
    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    /// The text of the 0-based line `index`, without its ending.
    pub fn line_text(&self, index: usize) -> Option<&str> {
        self.lines.get(index).map(|line| line.text.as_str())
    }

    /// The keyword line at the 0-based `index`, or `None` for a blank or comment line.
    pub fn directive(&self, index: usize) -> Option<Directive> {
        let text = &self.lines.get(index)?.text;
        let (keyword, args_at) = keyword_of(text)?;
        Some(Directive {
            keyword: keyword.to_owned(),
            args: split_args(&text[args_at..]),
            line: index + 1,
        })
    }

    /// The keyword lines, in order.
    pub fn directives(&self) -> impl Iterator<Item = Directive> + '_ {
        (0..self.lines.len()).filter_map(|index| self.directive(index))
    }

    /// The blocks in order: the global lines (always present, maybe empty), then each
    /// `Host` and `Match` block.
    pub fn blocks(&self) -> Vec<Block> {
        let mut blocks = vec![Block {
            kind: BlockKind::Global,
            start: 0,
            end: self.lines.len(),
        }];
        for index in 0..self.lines.len() {
            let Some(directive) = self.directive(index) else {
                continue;
            };
            let kind = if directive.is("Host") {
                BlockKind::Host(directive.args)
            } else if directive.is("Match") {
                BlockKind::Match(directive.args)
            } else {
                continue;
            };
            if let Some(last) = blocks.last_mut() {
                last.end = index;
            }
            blocks.push(Block {
                kind,
                start: index,
                end: self.lines.len(),
            });
        }
        blocks
    }

    /// The first `Host` block whose only pattern is `alias` (ignoring case): the block
    /// fxconfig writes.
    pub fn host_block(&self, alias: &str) -> Option<Block> {
        self.blocks().into_iter().find(|block| match &block.kind {
            BlockKind::Host(patterns) => patterns.len() == 1 && patterns[0].eq_ignore_ascii_case(alias),
            _ => false,
        })
    }

    /// The ending new lines get: CRLF when most lines have it, LF otherwise.
    fn usual_ending(&self) -> Ending {
        let crlf = self.lines.iter().filter(|line| line.ending == Ending::CrLf).count();
        let lf = self.lines.iter().filter(|line| line.ending == Ending::Lf).count();
        if crlf > lf { Ending::CrLf } else { Ending::Lf }
    }

    /// Gives the last line an ending, so that lines can follow it.
    fn end_last_line(&mut self) {
        let ending = self.usual_ending();
        if let Some(last) = self.lines.last_mut()
            && last.ending == Ending::None
        {
            last.ending = ending;
        }
    }

    fn new_line(&self, text: String) -> Line {
        Line {
            text,
            ending: self.usual_ending(),
        }
    }

    /// Where a new block goes so that it is read before every other `Host` and `Match`
    /// block: before the first of them, and before the comment lines directly above it;
    /// after the last line when there is none.
    fn front_position(&self) -> usize {
        let Some(first) = self.blocks().get(1).map(|block| block.start) else {
            return self.lines.len();
        };
        let mut position = first;
        while position > 0 && self.lines[position - 1].text.trim_start().starts_with('#') {
            position -= 1;
        }
        position
    }

    /// Inserts `block` (lines without endings) at `position`, with a blank line between it
    /// and what follows (or, at the end, what precedes).
    fn insert_block(&mut self, position: usize, block: Vec<String>) {
        self.end_last_line();
        let mut new: Vec<Line> = block.into_iter().map(|text| self.new_line(text)).collect();
        if position == self.lines.len() {
            if self.lines.last().is_some_and(|line| !line.text.trim().is_empty()) {
                new.insert(0, self.new_line(String::new()));
            }
        } else {
            new.push(self.new_line(String::new()));
        }
        self.lines.splice(position..position, new);
    }

    /// Writes `settings` into the `Host ALIAS` block: each keyword's first line in the
    /// block gets the value (keeping its indentation and spelling), and missing keywords
    /// are added after the block's last keyword line. Without such a block, one is added in
    /// front of every other `Host` and `Match` block. Every other line is kept as it is.
    ///
    /// Returns the changes, in the order of `settings`; none when the block already holds
    /// every value.
    pub fn set_host_block(&mut self, alias: &str, settings: &[Setting]) -> Vec<SettingChange> {
        let section = format!("Host {alias}");
        let Some(block) = self.host_block(alias) else {
            let position = self.front_position();
            let mut lines = vec![format!("Host {}", quote_arg(alias))];
            lines.extend(
                settings
                    .iter()
                    .map(|setting| format!("    {} {}", setting.keyword, quote_arg(&setting.value))),
            );
            self.insert_block(position, lines);
            return settings
                .iter()
                .enumerate()
                .map(|(offset, setting)| SettingChange {
                    tag: setting.keyword.to_owned(),
                    section: section.clone(),
                    line: position + offset + 2,
                    old: None,
                    new: setting.value.clone(),
                    action: SettingAction::Added,
                })
                .collect();
        };
        let mut changes = Vec::new();
        let mut end = block.end;
        for setting in settings {
            let found = (block.start + 1..end).find_map(|index| {
                self.directive(index)
                    .filter(|directive| directive.is(setting.keyword))
                    .map(|directive| (index, directive))
            });
            match found {
                Some((_, directive)) if directive.args == [setting.value.clone()] => {}
                Some((index, directive)) => {
                    let text = &self.lines[index].text;
                    let indent_len = text.len() - text.trim_start().len();
                    self.lines[index].text = format!(
                        "{}{} {}",
                        &text[..indent_len],
                        directive.keyword,
                        quote_arg(&setting.value)
                    );
                    changes.push(SettingChange {
                        tag: setting.keyword.to_owned(),
                        section: section.clone(),
                        line: index + 1,
                        old: Some(directive.value()),
                        new: setting.value.clone(),
                        action: SettingAction::Updated,
                    });
                }
                None => {
                    let last_keyword_line = (block.start..end)
                        .rev()
                        .find(|index| self.directive(*index).is_some())
                        .unwrap_or(block.start);
                    let indent = (block.start + 1..end)
                        .find(|index| self.directive(*index).is_some())
                        .map(|index| {
                            let text = &self.lines[index].text;
                            text[..text.len() - text.trim_start().len()].to_owned()
                        })
                        .unwrap_or_else(|| "    ".to_owned());
                    let position = last_keyword_line + 1;
                    if position == self.lines.len() {
                        self.end_last_line();
                    }
                    let line = self.new_line(format!("{indent}{} {}", setting.keyword, quote_arg(&setting.value)));
                    self.lines.insert(position, line);
                    end += 1;
                    for change in &mut changes {
                        if change.line > position {
                            change.line += 1;
                        }
                    }
                    changes.push(SettingChange {
                        tag: setting.keyword.to_owned(),
                        section: section.clone(),
                        line: position + 1,
                        old: None,
                        new: setting.value.clone(),
                        action: SettingAction::Added,
                    });
                }
            }
        }
        changes
    }

    /// Moves the `Host ALIAS` block (its lines, up to the next block, blank lines at its
    /// end included) in front of every other `Host` and `Match` block. Returns whether it
    /// moved.
    pub fn move_host_block_to_front(&mut self, alias: &str) -> bool {
        let Some(block) = self.host_block(alias) else {
            return false;
        };
        let mut start = block.start;
        while start > 0 && self.lines[start - 1].text.trim_start().starts_with('#') {
            start -= 1;
        }
        let front = self.front_position();
        if front >= start {
            return false;
        }
        let mut end = block.end;
        // Comment lines directly above the next block belong to it.
        while end > block.start + 1 && end < self.lines.len() && self.lines[end - 1].text.trim_start().starts_with('#')
        {
            end -= 1;
        }
        self.end_last_line();
        let mut moved: Vec<Line> = self.lines.drain(start..end).collect();
        while moved.last().is_some_and(|line| line.text.trim().is_empty()) {
            moved.pop();
        }
        moved.push(self.new_line(String::new()));
        self.lines.splice(front..front, moved);
        true
    }
}

impl fmt::Display for SshConfigText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&String::from_utf8_lossy(&self.to_bytes()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn setting(keyword: &'static str, value: &str) -> Setting {
        Setting {
            keyword,
            value: value.to_owned(),
        }
    }

    #[test]
    fn every_byte_survives_a_round_trip() {
        let inputs: [&[u8]; 5] = [
            b"",
            b"Host a\n  User b",
            b"# c\r\nHost x\r\n\tPort=22\r\n",
            b"\n\n  \n",
            b"Match all\n IdentityFile \"~/a b\" # note\n",
        ];
        for input in inputs {
            assert_eq!(SshConfigText::parse(input).unwrap().to_bytes(), input);
        }
        assert_eq!(SshConfigText::parse(b"Host a\n\xff\n"), Err(NotText { line: 2 }));
    }

    #[test]
    fn arguments_are_split_as_openssh_splits_them() {
        assert_eq!(split_args(r#"a "b c" 'd' e\ f # g"#), ["a", "b c", "d", "e f"]);
        assert_eq!(split_args(r#"~/x/"lib a.so""#), ["~/x/lib a.so"]);
        assert_eq!(split_args(r"C:\Program\x.dll"), [r"C:\Program\x.dll"]);
        let doc = SshConfigText::parse(b"  PKCS11Provider=/usr/lib/x.so\nPort = 22\n# Host no\n").unwrap();
        let directives: Vec<_> = doc.directives().collect();
        assert_eq!(directives.len(), 2);
        assert!(directives[0].is("pkcs11provider"));
        assert_eq!(directives[0].args, ["/usr/lib/x.so"]);
        assert_eq!(directives[1].args, ["22"]);
    }

    #[test]
    fn patterns_match_as_openssh_matches_them() {
        assert!(pattern_matches("*", "hsm"));
        assert!(pattern_matches("h?m", "HSM"));
        assert!(!pattern_matches("web*", "hsm"));
        let patterns = |text: &str| text.split(' ').map(str::to_owned).collect::<Vec<_>>();
        assert!(host_patterns_match(&patterns("* !bastion"), "hsm"));
        assert!(!host_patterns_match(&patterns("* !hsm"), "hsm"));
        assert!(host_patterns_match(&patterns("a,hsm"), "hsm"));
        assert!(!host_patterns_match(&patterns("!hsm"), "other"));
    }

    #[test]
    fn a_new_block_goes_in_front_of_the_first_host_block_and_its_comment() {
        let mut doc =
            SshConfigText::parse(b"ServerAliveInterval 30\n\n# all hosts\nHost *\n    IdentitiesOnly no\n").unwrap();
        let changes = doc.set_host_block(
            "hsm",
            &[
                setting("PKCS11Provider", "/usr/lib/x.so"),
                setting("IdentitiesOnly", "yes"),
            ],
        );
        assert_eq!(
            doc.to_string(),
            "ServerAliveInterval 30\n\nHost hsm\n    PKCS11Provider /usr/lib/x.so\n    IdentitiesOnly yes\n\n\
             # all hosts\nHost *\n    IdentitiesOnly no\n"
        );
        assert_eq!(changes.len(), 2);
        assert_eq!((changes[0].line, changes[1].line), (4, 5));
        assert!(
            doc.set_host_block("hsm", &[setting("IdentitiesOnly", "yes")])
                .is_empty()
        );
    }

    #[test]
    fn an_existing_block_is_updated_in_place_keeping_crlf_and_spelling() {
        let input = b"Host hsm\r\n\tpkcs11provider \"/old path/x.so\"\r\n\t# keep\r\n\r\nHost other\r\n";
        let mut doc = SshConfigText::parse(input).unwrap();
        let changes = doc.set_host_block(
            "HSM",
            &[
                setting("PKCS11Provider", "/new/x.so"),
                setting("IdentityFile", "/k/a b.pub"),
            ],
        );
        assert_eq!(
            doc.to_string(),
            "Host hsm\r\n\tpkcs11provider /new/x.so\r\n\tIdentityFile \"/k/a b.pub\"\r\n\t# keep\r\n\r\nHost other\r\n"
        );
        assert_eq!(changes[0].old.as_deref(), Some("/old path/x.so"));
        assert_eq!(changes[0].action, SettingAction::Updated);
        assert_eq!((changes[1].line, changes[1].action), (3, SettingAction::Added));
    }

    #[test]
    fn a_block_at_the_end_of_a_file_without_a_final_newline() {
        let mut doc = SshConfigText::parse(b"Host hsm\n  User a").unwrap();
        doc.set_host_block("hsm", &[setting("Port", "2222")]);
        assert_eq!(doc.to_string(), "Host hsm\n  User a\n  Port 2222\n");
        let mut empty = SshConfigText::default();
        empty.set_host_block("hsm", &[setting("Port", "22")]);
        assert_eq!(empty.to_string(), "Host hsm\n    Port 22\n");
    }

    #[test]
    fn a_block_moves_in_front_of_the_blocks_that_override_it() {
        let mut doc = SshConfigText::parse(
            b"User me\n\nHost *\n  IdentitiesOnly no\n\n# ours\nHost hsm\n  IdentitiesOnly yes\n\n# next\nHost z\n",
        )
        .unwrap();
        assert!(doc.move_host_block_to_front("hsm"));
        assert_eq!(
            doc.to_string(),
            "User me\n\n# ours\nHost hsm\n  IdentitiesOnly yes\n\nHost *\n  IdentitiesOnly no\n\n# next\nHost z\n"
        );
        assert!(!doc.move_host_block_to_front("hsm"));
    }
}
