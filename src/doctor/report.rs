//! A doctor run as a Markdown report, for a support ticket or a troubleshooting session:
//! the tool version, the operating system, the configuration path, the configuration with
//! every secret masked, and every check with its status, detail and remedy.
//!
//! The configuration is shown as its sections and entries only, each value through
//! [`Entry::display_value`], so passwords appear as [`crate::secret::MASK`]; comments and
//! malformed lines are counted but never shown, because either may hold an old password.
//!
//! Every value that came from outside — the configuration's path, sections, tags and values,
//! the operating system's name, each check's detail and remedy — goes through
//! [`crate::display::escape`], so the report shows control and bidirectional characters as
//! visible escapes wherever it is pasted or displayed.

use std::fmt::Write as _;

use crate::cfg::{CfgDocument, Entry};
use crate::display::escape;

use super::record::{RunEnd, RunRecord};
use super::{CheckId, CheckResult, Report, Status};

/// What the head of the report names besides the checks.
#[derive(Debug, Clone)]
pub struct ReportHeader {
    /// The fxconfig version, such as `0.1.0`.
    pub tool_version: String,
    /// The operating system, such as `linux x86_64 (Debian GNU/Linux 12 (bookworm))`.
    pub os: String,
}

impl ReportHeader {
    /// The version of this build and the operating system it runs on (reads
    /// `/etc/os-release` on Linux, so call it off the UI thread).
    pub fn current() -> ReportHeader {
        ReportHeader {
            tool_version: env!("CARGO_PKG_VERSION").to_owned(),
            os: describe_os(),
        }
    }
}

fn describe_os() -> String {
    let base = format!("{} {}", std::env::consts::OS, std::env::consts::ARCH);
    let pretty = std::fs::read_to_string("/etc/os-release").ok().and_then(|text| {
        text.lines().find_map(|line| {
            line.strip_prefix("PRETTY_NAME=")
                .map(|value| value.trim_matches('"').to_owned())
        })
    });
    match pretty {
        Some(name) if !name.is_empty() => format!("{base} ({name})"),
        _ => base,
    }
}

/// The report of a doctor run, showing the configuration as the run read it
/// ([`Report::document`]); when the run could not read it, `config.locate`'s finding says why.
pub fn markdown(report: &Report, header: &ReportHeader) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# fxconfig connection report\n");
    write_tool(&mut out, header, &report.config);
    let _ = writeln!(
        out,
        "- Result: **{}** — {}\n",
        if report.ok { "OK" } else { "FAILED" },
        counts(&report.checks, None)
    );
    write_checks(&mut out, &report.checks, &[]);
    write_document(&mut out, report.document.as_ref(), &report.checks);
    out
}

/// The report of one recorded run, exactly as it stands: its id, start, scope and input
/// fingerprint; its end (a cancelled run names the check that was running, and for how
/// long); its results, with the checks of its scope that did not run; and, when `changes` is
/// not empty, that the inputs changed after the run, and how.
pub fn markdown_of_run(run: &RunRecord, header: &ReportHeader, changes: &[String]) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# fxconfig connection report\n");
    let config = run
        .inputs
        .config
        .as_ref()
        .map_or_else(|| "(none)".to_owned(), |path| path.display().to_string());
    write_tool(&mut out, header, &config);
    let _ = writeln!(
        out,
        "- Run: #{}, started {}: {}",
        run.id,
        run.started_text(),
        escape(&run.scope.describe())
    );
    let inputs = run.inputs.describe();
    let _ = writeln!(
        out,
        "- Inputs: {} (fingerprint {})",
        escape(&inputs.join("; ")),
        run.inputs.fingerprint()
    );
    let _ = match &run.saved_capture {
        Some(saved) => writeln!(
            out,
            "- Capture: `{}` (SHA-256 `{}`): what the network showed in this run, for `fxconfig kmes-sim --replay`",
            escape(&saved.path.display().to_string()),
            saved.sha256
        ),
        None if run.facts.is_some() => writeln!(
            out,
            "- Capture: one exists for this run, not saved yet (\"Save capture…\" writes it, for `fxconfig kmes-sim --replay`)"
        ),
        None => Ok(()),
    };
    if !changes.is_empty() {
        let _ = writeln!(
            out,
            "- **Out of date:** since this run, {}. Its results may no longer hold: run it again.",
            escape(&changes.join("; "))
        );
    }
    let not_run: Vec<CheckId> = run
        .scope
        .checks()
        .iter()
        .copied()
        .filter(|&id| run.result(id).is_none())
        .collect();
    let tally = counts(&run.results, Some(not_run.len()));
    let _ = match &run.end {
        RunEnd::Cancelled { waiting, waited } => {
            let what = waiting.map_or_else(
                || "between checks".to_owned(),
                |id| {
                    format!(
                        "while `{}` ({}) had been running for {:.1} s",
                        id.as_str(),
                        id.title(),
                        waited.as_secs_f64()
                    )
                },
            );
            writeln!(out, "- Result: **CANCELLED** {what} — {tally}\n")
        }
        RunEnd::FailedToStart(why) => writeln!(out, "- Result: **NOT STARTED** — {}\n", escape(why)),
        RunEnd::Running | RunEnd::Finished => writeln!(out, "- Result: **{}** — {tally}\n", run.outcome_word()),
    };
    let outside: Vec<CheckId> = CheckId::ALL
        .iter()
        .copied()
        .filter(|&id| !run.scope.includes(id))
        .collect();
    write_checks(
        &mut out,
        &run.results,
        &[("NOT RUN", &not_run), ("NOT IN THIS RUN", &outside)],
    );
    if run.document.is_none() && matches!(run.end, RunEnd::Cancelled { .. }) {
        let _ = writeln!(out, "## Configuration (passwords masked)\n");
        let _ = writeln!(
            out,
            "Not shown: the run was cancelled before it reported the file as it read it."
        );
    } else {
        write_document(&mut out, run.document.as_ref(), &run.results);
    }
    out
}

fn write_tool(out: &mut String, header: &ReportHeader, config: &str) {
    let _ = writeln!(out, "- Tool: fxconfig {}", header.tool_version);
    let _ = writeln!(out, "- Operating system: {}", escape(&header.os));
    let _ = writeln!(out, "- Configuration: `{}`", escape(config));
}

/// "3 passed, 1 warning, 0 failed, 0 skipped" (and ", 4 not run" when given).
fn counts(checks: &[CheckResult], not_run: Option<usize>) -> String {
    let count = |status: Status| checks.iter().filter(|c| c.status == status).count();
    let warnings = count(Status::Warn);
    let mut text = format!(
        "{} passed, {warnings} {}, {} failed, {} skipped",
        count(Status::Pass),
        if warnings == 1 { "warning" } else { "warnings" },
        count(Status::Fail),
        count(Status::Skip)
    );
    if let Some(not_run) = not_run.filter(|&n| n > 0) {
        let _ = write!(text, ", {not_run} not run");
    }
    text
}

/// The table of checks (then the ones without a result, under their word, such as
/// `NOT RUN`), then each check's finding.
fn write_checks(out: &mut String, checks: &[CheckResult], without_result: &[(&str, &[CheckId])]) {
    let _ = writeln!(out, "## Checks\n");
    let _ = writeln!(out, "| Check | Status | Title | Time |");
    let _ = writeln!(out, "|---|---|---|---|");
    for check in checks {
        let _ = writeln!(
            out,
            "| `{}` | {} | {} | {} ms |",
            check.id.as_str(),
            status_label(check.status),
            table_cell(check.title),
            check.ms
        );
    }
    for (word, ids) in without_result {
        for id in *ids {
            let _ = writeln!(out, "| `{}` | {word} | {} | |", id.as_str(), table_cell(id.title()));
        }
    }
    out.push('\n');
    for check in checks {
        let _ = writeln!(
            out,
            "### `{}` — {}: {}\n",
            check.id.as_str(),
            check.title,
            status_label(check.status)
        );
        if !check.detail.is_empty() {
            let _ = writeln!(out, "{}\n", escape(&check.detail));
        }
        if let Some(raw) = &check.raw {
            let fence = code_fence(raw);
            let _ = writeln!(out, "Answer received:\n\n{fence}text\n{raw}\n{fence}\n");
        }
        if !check.remedy.is_empty() {
            let _ = writeln!(out, "**What to do:** {}\n", escape(&check.remedy));
        }
        let _ = writeln!(out, "Guide section: [{}]\n", check.guide);
    }
}

/// The configuration as the run read it, passwords masked; else why it could not be read.
fn write_document(out: &mut String, document: Option<&CfgDocument>, checks: &[CheckResult]) {
    let _ = writeln!(out, "## Configuration (passwords masked)\n");
    match document {
        Some(doc) => write_config(out, doc),
        None => {
            let reason = checks
                .iter()
                .find(|check| check.id == CheckId::ConfigLocate && check.status == Status::Fail)
                .map_or("the run ended before reading it", |check| check.detail.as_str());
            let _ = writeln!(out, "The file could not be read: {}", escape(reason));
        }
    }
}

/// The upper-case status word used in reports.
pub fn status_label(status: Status) -> &'static str {
    match status {
        Status::Pass => "PASS",
        Status::Warn => "WARN",
        Status::Fail => "FAIL",
        Status::Skip => "SKIP",
    }
}

/// A Markdown code fence longer than any run of backticks in `text`, so `text` cannot end it.
fn code_fence(text: &str) -> String {
    let longest = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    "`".repeat(longest.max(2) + 1)
}

fn table_cell(text: &str) -> String {
    text.replace('|', "\\|")
}

/// The sections and entries, values through [`Entry::display_value`].
fn write_config(out: &mut String, doc: &CfgDocument) {
    let entries = doc.entries();
    let sections = doc.sections();
    out.push_str("```text\n");
    for entry in entries.iter().filter(|e| e.section.is_none()) {
        write_entry(out, entry, "");
    }
    for section in &sections {
        let _ = writeln!(out, "<{}>", escape(&section.name));
        for entry in entries.iter().filter(|e| {
            e.section.as_deref() == Some(section.name.as_str())
                && e.line > section.open_line
                && section.close_line.is_none_or(|close| e.line < close)
        }) {
            write_entry(out, entry, "    ");
        }
        if section.close_line.is_some() {
            let _ = writeln!(out, "</{}>", escape(&section.name));
        }
    }
    out.push_str("```\n");
    let shown = entries.len()
        + sections
            .iter()
            .map(|s| 1 + usize::from(s.close_line.is_some()))
            .sum::<usize>();
    let other = doc.line_count().saturating_sub(shown);
    if other > 0 {
        let _ = writeln!(
            out,
            "\n{other} other lines (comments, blank or malformed lines) are not shown: they may hold old passwords."
        );
    }
}

fn write_entry(out: &mut String, entry: &Entry, indent: &str) {
    let _ = writeln!(
        out,
        "{indent}<{tag}> {value} </{tag}>    (line {line})",
        tag = escape(&entry.tag),
        value = escape(&entry.display_value()),
        line = entry.line
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doctor::CheckResult;

    fn sample_report(document: Option<CfgDocument>) -> Report {
        Report {
            network: Default::default(),
            config: "/tmp/fxpkcs11.cfg".to_owned(),
            ok: false,
            checks: CheckId::ALL
                .iter()
                .map(|&id| CheckResult {
                    id,
                    title: id.title(),
                    status: if id == CheckId::TlsServerCert {
                        Status::Fail
                    } else {
                        Status::Pass
                    },
                    detail: format!("detail of {id}"),
                    remedy: if id == CheckId::TlsServerCert {
                        "fix it".to_owned()
                    } else {
                        String::new()
                    },
                    guide: id.guide_section(),
                    raw: (id == CheckId::HostapiEcho).then(|| "[AOECHO;ANY;BC``x;]".to_owned()),
                    ms: 3,
                })
                .collect(),
            document,
            facts: crate::doctor::Facts::default(),
        }
    }

    #[test]
    fn the_report_lists_every_check_and_masks_passwords() {
        let doc = CfgDocument::parse(
            b"# old password: hunter2\n<KMS>\n  <CRYPTO-OPR-PASS> hunter3 </CRYPTO-OPR-PASS>\n  <ADDRESS> 10.0.0.1 </ADDRESS>\n</KMS>\n",
        )
        .expect("parses");
        let header = ReportHeader {
            tool_version: "9.9.9".to_owned(),
            os: "testos".to_owned(),
        };
        let text = markdown(&sample_report(Some(doc)), &header);
        for id in CheckId::ALL {
            assert!(text.contains(&format!("`{}`", id.as_str())), "{id} missing");
        }
        assert!(text.contains("| `tls.server_cert` | FAIL |"));
        assert!(text.contains("**What to do:** fix it"));
        assert!(text.contains("<ADDRESS> 10.0.0.1 </ADDRESS>"));
        assert!(text.contains(&format!("<CRYPTO-OPR-PASS> {} </CRYPTO-OPR-PASS>", crate::secret::MASK)));
        assert!(!text.contains("hunter2"));
        assert!(!text.contains("hunter3"));
        assert!(text.contains("fxconfig 9.9.9"));
        assert!(text.contains("testos"));
        assert!(text.contains("1 other lines"));
        assert!(
            text.contains("Answer received:\n\n```text\n[AOECHO;ANY;BC``x;]\n```\n"),
            "{text}"
        );
        assert_eq!(text.matches("Answer received:").count(), 1);
    }

    #[test]
    fn a_configuration_the_run_could_not_read_is_reported_with_the_reason() {
        let mut report = sample_report(None);
        let locate = report
            .checks
            .iter_mut()
            .find(|check| check.id == CheckId::ConfigLocate)
            .expect("config.locate");
        locate.status = Status::Fail;
        locate.detail = "could not read /tmp/fxpkcs11.cfg: No such file or directory".to_owned();
        let header = ReportHeader {
            tool_version: "9.9.9".to_owned(),
            os: "testos".to_owned(),
        };
        let text = markdown(&report, &header);
        assert!(
            text.contains("The file could not be read: could not read /tmp/fxpkcs11.cfg: No such file or directory"),
            "{text}"
        );
        report.checks.clear();
        assert!(markdown(&report, &header).contains("The file could not be read: the run ended before reading it"));
    }

    #[test]
    fn values_from_outside_reach_the_report_escaped() {
        let doc =
            CfgDocument::parse(b"<KMS>\n  <ADDRESS> kmes\x1b]0;owned\x07\x1b[2J </ADDRESS>\n</KMS>\n").expect("parses");
        let mut report = sample_report(Some(doc));
        report.config = "/tmp/a\u{1b}.cfg".to_owned();
        report.checks[0].detail = "subject CN=\u{202e}gpj.exe\u{1b}[2J".to_owned();
        report.checks[0].remedy = "see \u{1b}]0;title\u{7}".to_owned();
        let header = ReportHeader {
            tool_version: "9.9.9".to_owned(),
            os: "os\u{1b}[31m".to_owned(),
        };
        let text = markdown(&report, &header);
        assert!(
            !text.chars().any(|c| crate::display::is_unsafe(c) && c != '\n'),
            "a raw control or bidi character in the report"
        );
        assert!(
            text.contains("<ADDRESS> kmes\\x1b]0;owned\\x07\\x1b[2J </ADDRESS>"),
            "{text}"
        );
        assert!(text.contains("CN=\\u{202e}gpj.exe\\x1b[2J"));
        assert!(text.contains("os\\x1b[31m"));
    }
}
