//! Text output shared by the commands.

use fxconfig::doctor::{CheckResult, Status};

/// The marker printed before a check's id.
fn marker(status: Status) -> &'static str {
    match status {
        Status::Pass => "PASS",
        Status::Warn => "WARN",
        Status::Fail => "FAIL",
        Status::Skip => "SKIP",
    }
}

/// Prints one check result: a status line, then the detail, the answer received and the
/// remedy, indented.
pub fn print_check(result: &CheckResult) {
    println!(
        "{:<4}  {:<22} {} ({} ms)",
        marker(result.status),
        result.id.as_str(),
        result.title,
        result.ms
    );
    if !result.detail.is_empty() {
        println!("      {}", result.detail);
    }
    if let Some(raw) = &result.raw {
        println!("      answer: {raw}");
    }
    if !result.remedy.is_empty() {
        println!("      remedy: {}", result.remedy);
    }
}

/// Prints a labelled value, aligned.
pub fn field(label: &str, value: impl std::fmt::Display) {
    println!("  {label:<22} {value}");
}
