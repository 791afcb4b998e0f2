//! Text output shared by the commands.
//!
//! Human-readable output shows text from files, certificates, modules and the network, so
//! it goes through [`fxconfig::display::escape`]: a control character or a bidirectional
//! override is printed as a visible escape, never raw to the terminal. JSON output is
//! printed as serde_json writes it (exact, with its own escapes).

use fxconfig::display::escape;
use fxconfig::doctor::{CheckResult, Status};

/// Prints one line of human-readable text with every control and bidirectional character
/// made visible: for lines that hold text from files, certificates, modules or the network.
macro_rules! say {
    ($($arg:tt)*) => {
        $crate::cli::output::say_line(&format!($($arg)*))
    };
}
pub(crate) use say;

/// Prints `line` through [`escape`] (what [`say!`] does).
pub fn say_line(line: &str) {
    println!("{}", escape(line));
}

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
        println!("      {}", escape(&result.detail));
    }
    if let Some(raw) = &result.raw {
        println!("      answer: {raw}");
    }
    if !result.remedy.is_empty() {
        println!("      remedy: {}", escape(&result.remedy));
    }
}

/// Prints a labelled value, aligned, the value [escaped](escape).
pub fn field(label: &str, value: impl std::fmt::Display) {
    println!("  {label:<22} {}", escape(&value.to_string()));
}
