//! Text output shared by the commands, and what happens when it cannot be written.
//!
//! Every `println!`/`print!` of the command line goes through [`write_stdout`] (the
//! macros in `cli/mod.rs` shadow the standard ones): a failed write never panics. The
//! first error is kept, later output is dropped, and [`finish`] turns it into the exit
//! status: a reader that closed the pipe (`fxconfig config show | head -1`) ends the
//! program quietly with status 141, as if it had been stopped by SIGPIPE; any other
//! failure (a full disk) is reported on standard error with status 2, and after a save
//! the message says that the file was saved.
//!
//! Human-readable output shows text from files, certificates, modules and the network, so
//! it goes through [`fxconfig::display::escape`]: a control character or a bidirectional
//! override is printed as a visible escape, never raw to the terminal. JSON output is
//! printed as serde_json writes it (exact, with its own escapes).

use std::fmt;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use fxconfig::display::escape;
use fxconfig::doctor::{CheckResult, Status};

use super::EXIT_CANNOT_RUN;

/// The exit status when standard output was closed by its reader: 128 + SIGPIPE (13),
/// what a shell reports for a program stopped by a closed pipe.
pub const EXIT_BROKEN_PIPE: u8 = 141;

/// The first error writing standard output.
static WRITE_ERROR: Mutex<Option<io::Error>> = Mutex::new(None);

/// The file a command saved, for the message when its output then fails.
static SAVED: Mutex<Option<PathBuf>> = Mutex::new(None);

/// Writes to standard output; after a failed write, drops the output silently.
pub fn write_stdout(args: fmt::Arguments<'_>) {
    let mut error = WRITE_ERROR.lock().unwrap_or_else(PoisonError::into_inner);
    if error.is_some() {
        return;
    }
    if let Err(failure) = io::stdout().lock().write_fmt(args) {
        *error = Some(failure);
    }
}

/// Writes to standard error, ignoring failures (there is nowhere left to report them).
pub fn write_stderr(args: fmt::Arguments<'_>) {
    let _ = io::stderr().lock().write_fmt(args);
}

/// Remembers that the command saved `path`, for the message if its output then fails.
pub fn note_saved(path: &Path) {
    *SAVED.lock().unwrap_or_else(PoisonError::into_inner) = Some(path.to_owned());
}

/// Flushes standard output and gives the exit status: `code` when all output was
/// written, [`EXIT_BROKEN_PIPE`] when the reader closed the pipe, else reports the
/// failure on standard error and gives 2.
pub fn finish(code: u8) -> u8 {
    let flushed = io::stdout().lock().flush();
    let mut error = WRITE_ERROR.lock().unwrap_or_else(PoisonError::into_inner);
    let failure = match (error.take(), flushed) {
        (Some(failure), _) | (None, Err(failure)) => failure,
        (None, Ok(())) => return code,
    };
    if failure.kind() == io::ErrorKind::BrokenPipe {
        return EXIT_BROKEN_PIPE;
    }
    match SAVED.lock().unwrap_or_else(PoisonError::into_inner).as_deref() {
        Some(saved) => write_stderr(format_args!(
            "fxconfig: saved {}, but could not print the result: {failure}\n",
            saved.display()
        )),
        None => write_stderr(format_args!("fxconfig: could not print the output: {failure}\n")),
    }
    EXIT_CANNOT_RUN
}

/// Warns on standard error that `path` holds a password other accounts may read, and
/// how to stop that.
pub fn warn_exposure(path: &Path, exposure: &fxconfig::files::PasswordExposure) {
    eprintln!(
        "warning: {} holds a password but has mode {:04o}, so {} can read it; run again with \
         --tighten-permissions, or: chmod 600 {}",
        path.display(),
        exposure.mode,
        exposure.readers(),
        path.display()
    );
}

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
