//! Checks of a configuration document: structure, value types, referenced files and
//! file permissions.

use std::collections::HashMap;
use std::fmt;
use std::net::IpAddr;
use std::path::Path;

use serde::Serialize;

use super::document::{CfgDocument, Entry, Malformation};
use super::fields::{self, FieldKind, SECTION_CONFIG, SECTION_KMS, parse_yes_no, tag};
use super::locate::cfg_folder;

/// How serious a finding is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// The library will not work as intended until this is fixed.
    Error,
    /// Worth fixing, but the library may still work.
    Warning,
}

/// What a finding is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum FindingKind {
    /// A line that is not blank, a comment, a section tag or an entry.
    Malformed,
    /// A section whose closing tag never comes.
    UnclosedSection,
    /// A closing tag with no open section of that name.
    StraySectionClose,
    /// A section opened inside another section.
    NestedSection,
    /// The same section name opened twice.
    DuplicateSection,
    /// The same tag twice within one section.
    DuplicateTag,
    /// A value holding a NUL byte or another control character: a C reader stops at a
    /// NUL, so the library reads less than the file shows.
    ControlInValue,
    /// A YES/NO field holding something else.
    BadYesNo,
    /// A number field holding something else.
    BadNumber,
    /// A port outside 1–65535.
    PortOutOfRange,
    /// An address that is neither an IP address nor a plausible host name.
    BadHost,
    /// A referenced certificate or key file that does not exist.
    MissingFile,
    /// TLS is enabled but the CA certificate or the client identity is not configured.
    TlsMaterialMissing,
    /// A file holding passwords that other users may read.
    ReadableByOthers,
    /// An entry outside every section.
    EntryOutsideSection,
    /// A known field placed in a section other than its own.
    WrongSection,
    /// A field the library cannot work without is missing or empty.
    MissingRequired,
    /// A field the guide's setup relies on is missing or empty.
    MissingRecommended,
    /// `REQUIRE-LOGIN-FLAG` is not `NO`, so ssh will prompt for a PIN.
    LoginPrompt,
}

/// One problem found in a configuration file.
///
/// Messages name the tag and say what is expected; they never contain a secret value
/// or the text of a malformed line.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// The 1-based line the finding is about, when there is one.
    pub line: Option<usize>,
    /// How serious it is.
    pub severity: Severity,
    /// What it is about.
    pub kind: FindingKind,
    /// The tag concerned, if any.
    pub tag: Option<String>,
    /// A human-readable explanation.
    pub message: String,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "line {line}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl Finding {
    fn new(line: Option<usize>, severity: Severity, kind: FindingKind, tag: Option<&str>, message: String) -> Finding {
        Finding {
            line,
            severity,
            kind,
            tag: tag.map(str::to_owned),
            message,
        }
    }
}

/// Checks a document. File-existence and permission checks run only when `cfg_path`
/// (the file the document was read from) is given; relative paths in the file are
/// resolved against its folder with [`super::Settings::tls_paths`]. Findings come sorted by line,
/// those without a line last.
pub fn validate(doc: &CfgDocument, cfg_path: Option<&Path>) -> Vec<Finding> {
    let mut findings = Vec::new();
    check_structure(doc, &mut findings);
    let entries = doc.entries();
    check_placement(doc, &entries, &mut findings);
    for entry in &entries {
        check_value(entry, &mut findings);
    }
    check_required(doc, &entries, &mut findings);
    check_tls(doc, &entries, cfg_path, &mut findings);
    if let Some(path) = cfg_path
        && let Some(finding) = permission_finding(path, doc)
    {
        findings.push(finding);
    }
    findings.sort_by_key(|finding| finding.line.unwrap_or(usize::MAX));
    findings
}

fn check_structure(doc: &CfgDocument, findings: &mut Vec<Finding>) {
    for (line, why) in doc.malformed_lines() {
        let (tag, message) = match why {
            Malformation::UnclosedEntry { tag } => {
                let message = format!("the entry <{tag}> is not closed; expected </{tag}> at the end of the same line");
                (Some(tag), message)
            }
            Malformation::BadName => (
                None,
                "not a valid tag: tag names use only letters, digits, '-', '_' and '.'".to_owned(),
            ),
            Malformation::NotATag => (
                None,
                "not understood; expected <SECTION>, </SECTION>, <TAG> value </TAG>, a # comment or a blank line"
                    .to_owned(),
            ),
        };
        findings.push(Finding::new(
            Some(line),
            Severity::Error,
            FindingKind::Malformed,
            tag.as_deref(),
            message,
        ));
    }
    let layout = doc.layout();
    for section in &layout.sections {
        if section.close_line.is_none() {
            findings.push(Finding::new(
                Some(section.open_line),
                Severity::Error,
                FindingKind::UnclosedSection,
                None,
                format!(
                    "section <{0}> is never closed; expected a line </{0}> after its entries",
                    section.name
                ),
            ));
        }
    }
    for (line, name) in &layout.stray_closes {
        findings.push(Finding::new(
            Some(*line),
            Severity::Error,
            FindingKind::StraySectionClose,
            None,
            format!("</{name}> closes a section that is not open; expected a matching <{name}> above it"),
        ));
    }
    for (line, name, parent) in &layout.nested {
        findings.push(Finding::new(
            Some(*line),
            Severity::Error,
            FindingKind::NestedSection,
            None,
            format!(
                "section <{name}> opens inside <{parent}>; sections cannot be nested, expected </{parent}> before it"
            ),
        ));
    }
    let mut first_open: HashMap<String, usize> = HashMap::new();
    for section in &layout.sections {
        let key = section.name.to_ascii_uppercase();
        match first_open.get(&key) {
            Some(first) => findings.push(Finding::new(
                Some(section.open_line),
                Severity::Warning,
                FindingKind::DuplicateSection,
                None,
                format!(
                    "section <{}> appears again (first on line {first}); expected one <{}> section",
                    section.name, section.name
                ),
            )),
            None => {
                first_open.insert(key, section.open_line);
            }
        }
    }
}

fn check_placement(doc: &CfgDocument, entries: &[Entry], findings: &mut Vec<Finding>) {
    let layout = doc.layout();
    let mut seen: HashMap<(Option<usize>, String), usize> = HashMap::new();
    for entry in entries {
        let owner = layout.owner.get(entry.line - 1).copied().flatten();
        let key = (owner, entry.tag.to_ascii_uppercase());
        if let Some(first) = seen.get(&key) {
            let place = match &entry.section {
                Some(section) => format!("section <{section}>"),
                None => "the part outside any section".to_owned(),
            };
            findings.push(Finding::new(
                Some(entry.line),
                Severity::Error,
                FindingKind::DuplicateTag,
                Some(&entry.tag),
                format!(
                    "{} appears again in {place} (first on line {first}); expected it once, \
                     since only one of the values can be used",
                    entry.tag
                ),
            ));
        } else {
            seen.insert(key, entry.line);
        }

        let spec = fields::field_spec(&entry.tag);
        match (&entry.section, spec) {
            (None, Some(spec)) => findings.push(Finding::new(
                Some(entry.line),
                Severity::Error,
                FindingKind::EntryOutsideSection,
                Some(&entry.tag),
                format!(
                    "{} is outside every section; expected it inside <{}> … </{}>",
                    entry.tag, spec.section, spec.section
                ),
            )),
            (None, None) => findings.push(Finding::new(
                Some(entry.line),
                Severity::Warning,
                FindingKind::EntryOutsideSection,
                Some(&entry.tag),
                format!(
                    "{} is outside every section; expected entries inside a section such as <KMS>",
                    entry.tag
                ),
            )),
            (Some(section), Some(spec)) if !section.eq_ignore_ascii_case(spec.section) => {
                findings.push(Finding::new(
                    Some(entry.line),
                    Severity::Warning,
                    FindingKind::WrongSection,
                    Some(&entry.tag),
                    format!(
                        "{} is in section <{section}>; expected it in <{}>",
                        entry.tag, spec.section
                    ),
                ));
            }
            _ => {}
        }
    }
}

/// A value holding a control character other than a tab: the library, written in C, stops
/// reading a value at a NUL byte, and other control characters are no part of any value.
/// The message names the character and where it is, never the value (it may be a password).
fn check_controls(entry: &Entry, findings: &mut Vec<Finding>) {
    let Some((index, control)) = entry.value.char_indices().find(|(_, c)| c.is_control() && *c != '\t') else {
        return;
    };
    let what = if control == '\0' {
        format!(
            "a NUL byte after its first {index} bytes: the library, which reads C strings, sees only those {index} bytes"
        )
    } else {
        format!(
            "the control character U+{:04X} after its first {index} bytes",
            u32::from(control)
        )
    };
    findings.push(Finding::new(
        Some(entry.line),
        Severity::Error,
        FindingKind::ControlInValue,
        Some(&entry.tag),
        format!(
            "the value of {} holds {what}; expected printable text (fxconfig config set rewrites it)",
            entry.tag
        ),
    ));
}

fn check_value(entry: &Entry, findings: &mut Vec<Finding>) {
    check_controls(entry, findings);
    let Some(spec) = fields::field_spec(&entry.tag) else {
        return;
    };
    let tag = entry.tag.as_str();
    let value = entry.value.as_str();
    let found = if value.is_empty() {
        "it is empty".to_owned()
    } else {
        format!("found \"{value}\"")
    };
    let mut report = |kind: FindingKind, message: String| {
        findings.push(Finding::new(
            Some(entry.line),
            Severity::Error,
            kind,
            Some(tag),
            message,
        ));
    };
    match spec.kind {
        FieldKind::YesNo => {
            if parse_yes_no(value).is_none() {
                report(FindingKind::BadYesNo, format!("{tag} must be YES or NO; {found}"));
            }
        }
        FieldKind::Number => {
            if value.parse::<u64>().is_err() {
                report(
                    FindingKind::BadNumber,
                    format!("{tag} must be a whole number such as 0; {found}"),
                );
            }
        }
        FieldKind::Port => {
            if value.is_empty() {
                // Reported by the required-field check.
            } else if let Ok(number) = value.parse::<u64>() {
                if !(1..=65535).contains(&number) {
                    report(
                        FindingKind::PortOutOfRange,
                        format!("{tag} must be a port from 1 to 65535; found {number}"),
                    );
                }
            } else {
                report(
                    FindingKind::BadNumber,
                    format!("{tag} must be a port number from 1 to 65535 (such as 2001); {found}"),
                );
            }
        }
        FieldKind::Host => {
            if !value.is_empty() && !is_plausible_host(value) {
                report(
                    FindingKind::BadHost,
                    format!("{tag} must be a host name or IP address of the KMES (such as 10.0.8.20); {found}"),
                );
            }
        }
        FieldKind::Text | FieldKind::Secret | FieldKind::Path => {}
    }
}

/// Whether `value` is an IP address or a syntactically valid DNS host name.
pub(crate) fn is_plausible_host(value: &str) -> bool {
    if value.parse::<IpAddr>().is_ok() {
        return true;
    }
    let name = value.strip_suffix('.').unwrap_or(value);
    if name.is_empty() || name.len() > 253 {
        return false;
    }
    let labels: Vec<&str> = name.split('.').collect();
    let labels_ok = labels.iter().all(|label| {
        !label.is_empty()
            && label.len() <= 63
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    });
    // A numeric last label means a mistyped IP address (top-level domains are never numeric).
    let last_numeric = labels
        .last()
        .is_some_and(|label| label.chars().all(|c| c.is_ascii_digit()));
    labels_ok && !last_numeric
}

/// The first entry with this tag in its own section, else anywhere.
fn find<'a>(entries: &'a [Entry], tag: &str) -> Option<&'a Entry> {
    let section = fields::field_spec(tag).map_or(SECTION_KMS, |spec| spec.section);
    let matching = || entries.iter().filter(|entry| entry.tag.eq_ignore_ascii_case(tag));
    matching()
        .find(|entry| {
            entry
                .section
                .as_deref()
                .is_some_and(|name| name.eq_ignore_ascii_case(section))
        })
        .or_else(|| matching().next())
}

fn section_line(doc: &CfgDocument, section: &str) -> Option<usize> {
    doc.sections()
        .iter()
        .find(|found| found.name.eq_ignore_ascii_case(section))
        .map(|found| found.open_line)
}

fn check_required(doc: &CfgDocument, entries: &[Entry], findings: &mut Vec<Finding>) {
    let expectations = [
        (
            tag::ADDRESS,
            "the KMES host name or IP address",
            Severity::Error,
            FindingKind::MissingRequired,
        ),
        (
            tag::PROD_PORT,
            "the Host API port, such as 2001",
            Severity::Error,
            FindingKind::MissingRequired,
        ),
        (
            tag::CRYPTO_OPR,
            "the KMES login user",
            Severity::Warning,
            FindingKind::MissingRecommended,
        ),
        (
            tag::CRYPTO_OPR_PASS,
            "that user's password",
            Severity::Warning,
            FindingKind::MissingRecommended,
        ),
        (
            tag::KEYGROUP_NAME,
            "the KMES key group holding the SSH keys",
            Severity::Warning,
            FindingKind::MissingRecommended,
        ),
    ];
    for (tag, expected, severity, kind) in expectations {
        let entry = find(entries, tag);
        if entry.is_none_or(|entry| entry.value.is_empty()) {
            let line = entry.map(|entry| entry.line).or_else(|| section_line(doc, SECTION_KMS));
            let state = if entry.is_some() { "is empty" } else { "is missing" };
            findings.push(Finding::new(
                line,
                severity,
                kind,
                Some(tag),
                format!("{tag} {state}; expected {expected} in <{SECTION_KMS}>"),
            ));
        }
    }
    let login = find(entries, tag::REQUIRE_LOGIN_FLAG);
    let prompts = login.is_none_or(|entry| parse_yes_no(&entry.value) == Some(true));
    if prompts {
        let line = login
            .map(|entry| entry.line)
            .or_else(|| section_line(doc, SECTION_CONFIG));
        let state = if login.is_some() { "is YES" } else { "is missing" };
        findings.push(Finding::new(
            line,
            Severity::Warning,
            FindingKind::LoginPrompt,
            Some(tag::REQUIRE_LOGIN_FLAG),
            format!(
                "REQUIRE-LOGIN-FLAG {state}, so ssh may prompt for a PIN; expected \
                 <REQUIRE-LOGIN-FLAG> NO </REQUIRE-LOGIN-FLAG> in <{SECTION_CONFIG}>"
            ),
        ));
    }
}

fn check_tls(doc: &CfgDocument, entries: &[Entry], cfg_path: Option<&Path>, findings: &mut Vec<Finding>) {
    let settings = doc.settings();
    let tls_enabled = settings.tls_enabled == Some(true);
    if tls_enabled {
        let enabled_line = find(entries, tag::PROD_TLS_ENABLED).map(|entry| entry.line);
        let mut needed = vec![(tag::PROD_TLS_CA, "the root CA certificate (PEM) exported from the KMES")];
        if settings.tls_anonymous != Some(true) {
            needed.push((
                tag::PROD_TLS_KEY,
                "the PKCS#12 client identity, unless PROD-TLS-ANONYMOUS is YES",
            ));
        }
        for (tag, expected) in needed {
            let entry = find(entries, tag);
            if entry.is_none_or(|entry| entry.value.is_empty()) {
                findings.push(Finding::new(
                    entry.map(|entry| entry.line).or(enabled_line),
                    Severity::Error,
                    FindingKind::TlsMaterialMissing,
                    Some(tag),
                    format!("PROD-TLS-ENABLED is YES but {tag} is not set; expected {expected}"),
                ));
            }
        }
    }
    let Some(cfg_path) = cfg_path else {
        return;
    };
    let paths = settings.tls_paths(cfg_folder(cfg_path));
    for (tag, resolved) in [(tag::PROD_TLS_CA, paths.ca), (tag::PROD_TLS_KEY, paths.key)] {
        let (Some(entry), Some(resolved)) = (find(entries, tag), resolved) else {
            continue;
        };
        let problem = match std::fs::metadata(&resolved) {
            Ok(meta) if meta.is_file() => None,
            Ok(_) => Some("is not a regular file"),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Some("does not exist"),
            Err(_) => Some("cannot be read"),
        };
        if let Some(problem) = problem {
            let severity = if tls_enabled {
                Severity::Error
            } else {
                Severity::Warning
            };
            findings.push(Finding::new(
                Some(entry.line),
                severity,
                FindingKind::MissingFile,
                Some(tag),
                format!(
                    "{tag} names {}, which {problem}; expected the path of an existing file",
                    resolved.display()
                ),
            ));
        }
    }
}

/// On Unix: a [`Severity::Warning`] when the file at `path` holds a non-empty password
/// and users outside its owner and group may read it. The message gives the mode (such as `0644`)
/// and suggests `chmod 600`. `None` when the file is private, holds no password, cannot
/// be examined, or on other platforms.
pub fn permission_finding(path: &Path, doc: &CfgDocument) -> Option<Finding> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;

        let secret = doc
            .entries()
            .into_iter()
            .find(|entry| entry.is_secret() && !entry.value.is_empty())?;
        let mode = std::fs::metadata(path).ok()?.permissions().mode() & 0o7777;
        // Group read is how the users who run ssh get access (`--group`); only users
        // outside the owner and the group are a finding.
        if mode & 0o004 == 0 {
            return None;
        }
        let readers = "all other users";
        Some(Finding::new(
            Some(secret.line),
            Severity::Warning,
            FindingKind::ReadableByOthers,
            Some(&secret.tag),
            format!(
                "the file holds the password {} but has mode {mode:04o}, so {readers} can read it; \
                 expected mode 0600 (run: chmod 600 {})",
                secret.tag,
                path.display()
            ),
        ))
    }
    #[cfg(not(unix))]
    {
        let _ = (path, doc);
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_nul_byte_in_a_value_is_an_error_that_shows_no_value() {
        let doc = CfgDocument::parse(
            b"<KMS>\n<CRYPTO-OPR>crypto\x001</CRYPTO-OPR>\n<CRYPTO-OPR-PASS>se\x07cret</CRYPTO-OPR-PASS>\n</KMS>\n",
        )
        .expect("parses");
        let findings = validate(&doc, None);
        let controls: Vec<&Finding> = findings
            .iter()
            .filter(|f| f.kind == FindingKind::ControlInValue)
            .collect();
        assert_eq!(controls.len(), 2, "{findings:?}");
        assert!(
            controls[0].message.contains("NUL byte after its first 6 bytes"),
            "{}",
            controls[0].message
        );
        assert!(controls[1].message.contains("U+0007"), "{}", controls[1].message);
        assert!(
            controls
                .iter()
                .all(|f| f.severity == Severity::Error && !f.message.contains("cret"))
        );
    }

    #[test]
    fn plausible_hosts() {
        for good in ["10.0.8.20", "::1", "kmes", "kmes-01.example.com", "kmes.example.com."] {
            assert!(is_plausible_host(good), "{good}");
        }
        for bad in [
            "10.0.8.256",
            "kmes_01",
            "-kmes",
            "a..b",
            "https://kmes",
            "kmes:2001",
            "10.0.8",
        ] {
            assert!(!is_plausible_host(bad), "{bad}");
        }
    }
}
