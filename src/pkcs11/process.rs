//! Running a child process with a hard time bound: its input written, its output
//! collected, and the process killed when the time is up.

use std::io::{Read, Write};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::thread;
use std::time::{Duration, Instant};

/// The most output kept from each stream of a child.
const MAX_OUTPUT: usize = 4 * 1024 * 1024;
/// How often the child is polled for its exit.
const POLL: Duration = Duration::from_millis(20);

/// What a bounded child process did.
pub(crate) struct Finished {
    /// How it ended; `None` when it was killed for running out of time.
    pub status: Option<ExitStatus>,
    /// Its standard output.
    pub stdout: Vec<u8>,
    /// Its standard error.
    pub stderr: Vec<u8>,
    /// How long it ran.
    pub elapsed: Duration,
}

fn collect(mut stream: impl Read + Send + 'static) -> thread::JoinHandle<Vec<u8>> {
    thread::spawn(move || {
        let mut kept = Vec::new();
        let mut buffer = [0u8; 8192];
        loop {
            match stream.read(&mut buffer) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    let room = MAX_OUTPUT.saturating_sub(kept.len());
                    kept.extend_from_slice(&buffer[..n.min(room)]);
                }
            }
        }
        kept
    })
}

/// Runs `command` with `input` on its standard input, for at most `limit`.
///
/// The input is written from a thread and the pipe closed, so a child that never
/// reads cannot block the caller. A child still running at the limit is killed.
pub(crate) fn run_bounded(mut command: Command, input: Option<Vec<u8>>, limit: Duration) -> std::io::Result<Finished> {
    command
        .stdin(if input.is_some() { Stdio::piped() } else { Stdio::null() })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let started = Instant::now();
    let mut child: Child = command.spawn()?;
    if let (Some(mut stdin), Some(bytes)) = (child.stdin.take(), input) {
        thread::spawn(move || {
            let mut bytes = bytes;
            let _ = stdin.write_all(&bytes);
            zeroize::Zeroize::zeroize(&mut bytes);
        });
    }
    let stdout = child.stdout.take().map(collect);
    let stderr = child.stderr.take().map(collect);
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break Some(status);
        }
        if started.elapsed() >= limit {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        thread::sleep(POLL);
    };
    let elapsed = started.elapsed();
    let join = |handle: Option<thread::JoinHandle<Vec<u8>>>| handle.and_then(|h| h.join().ok()).unwrap_or_default();
    Ok(Finished {
        status,
        stdout: join(stdout),
        stderr: join(stderr),
        elapsed,
    })
}

/// The last `lines` non-empty lines of some output, joined with " | ".
pub(crate) fn tail(output: &[u8], lines: usize) -> String {
    let text = String::from_utf8_lossy(output);
    let kept: Vec<&str> = text.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
    kept[kept.len().saturating_sub(lines)..].join(" | ")
}

/// How a process ended, in words.
pub(crate) fn describe_status(status: ExitStatus) -> String {
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(signal) = status.signal() {
            let name = match signal {
                4 => " (SIGILL)",
                6 => " (SIGABRT)",
                7 => " (SIGBUS)",
                8 => " (SIGFPE)",
                9 => " (SIGKILL)",
                11 => " (SIGSEGV)",
                _ => "",
            };
            return format!("killed by signal {signal}{name}");
        }
    }
    match status.code() {
        Some(code) => format!("exit code {code}"),
        None => "ended abnormally".to_owned(),
    }
}
