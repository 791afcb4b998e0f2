//! Running a child process with a hard time bound: its input written, its output
//! collected, and the child and everything it started killed when the time is up.
//!
//! The bound holds whatever the child does:
//! - On Unix the child starts a session of its own (`setsid`), so it and every process it
//!   starts share one process group that has no terminal. On Linux it is also killed if
//!   fxconfig dies first (`PR_SET_PDEATHSIG`), so a hung module cannot outlive an
//!   interrupted `check`.
//! - At the deadline the whole group is killed (Windows: the child's process tree, with
//!   `taskkill /T`) and the child is reaped. When the child exits by itself, whatever it
//!   left behind in its group (a `sleep 30 &`, a forked grandchild) is killed too.
//! - Output is read by two threads. Once the child has ended, the runner waits at most
//!   [`PIPE_GRACE`] for its pipes to close: a process that left the group and still holds
//!   a pipe cannot stretch the wait. Its reader thread ends when that process does.
//!
//! So [`run_bounded`] returns within `limit` + [`POLL`] + [`PIPE_GRACE`] plus the time the
//! system takes to deliver `SIGKILL`.

use std::io::{self, Read, Write};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

/// The most output kept from each stream of a child.
const MAX_OUTPUT: usize = 4 * 1024 * 1024;
/// How often the child is polled for its exit.
pub(crate) const POLL: Duration = Duration::from_millis(20);
/// How long the runner waits for the pipes to close once the child has ended.
pub(crate) const PIPE_GRACE: Duration = Duration::from_millis(500);

/// What a bounded child process did.
pub(crate) struct Finished {
    /// How it ended; `None` when it was killed for running out of time.
    pub status: Option<ExitStatus>,
    /// Its standard output (as much as arrived before the pipe closed or the grace ran out).
    pub stdout: Vec<u8>,
    /// Its standard error.
    pub stderr: Vec<u8>,
    /// How long it ran, until it ended or was killed.
    pub elapsed: Duration,
}

/// The output of one pipe, gathered by a thread of its own.
struct Collector {
    kept: Arc<Mutex<Vec<u8>>>,
    closed: Receiver<()>,
}

impl Collector {
    fn start(mut stream: impl Read + Send + 'static) -> Collector {
        let kept = Arc::new(Mutex::new(Vec::new()));
        let (closed_tx, closed) = mpsc::channel();
        let shared = Arc::clone(&kept);
        thread::spawn(move || {
            let mut buffer = [0u8; 8192];
            loop {
                match stream.read(&mut buffer) {
                    Ok(0) => break,
                    Ok(n) => {
                        let mut kept = shared.lock().unwrap_or_else(PoisonError::into_inner);
                        let room = MAX_OUTPUT.saturating_sub(kept.len());
                        kept.extend_from_slice(&buffer[..n.min(room)]);
                    }
                    Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
                    Err(_) => break,
                }
            }
            let _ = closed_tx.send(());
        });
        Collector { kept, closed }
    }

    /// What arrived, after waiting until `until` at most for the pipe to close.
    fn finish(self, until: Instant) -> Vec<u8> {
        let _ = self
            .closed
            .recv_timeout(until.saturating_duration_since(Instant::now()));
        std::mem::take(&mut *self.kept.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

/// Runs `command` with `input` on its standard input, for at most `limit`.
///
/// The input is written from a thread and the pipe closed, so a child that never
/// reads cannot block the caller. See the module documentation for the bound.
pub(crate) fn run_bounded(mut command: Command, input: Option<Vec<u8>>, limit: Duration) -> io::Result<Finished> {
    command
        .stdin(if input.is_some() { Stdio::piped() } else { Stdio::null() })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    group::isolate(&mut command);
    let started = Instant::now();
    let deadline = started + limit;
    let mut child: Child = command.spawn()?;
    if let (Some(mut stdin), Some(bytes)) = (child.stdin.take(), input) {
        thread::spawn(move || {
            let mut bytes = bytes;
            let _ = stdin.write_all(&bytes);
            zeroize::Zeroize::zeroize(&mut bytes);
        });
    }
    let stdout = child.stdout.take().map(Collector::start);
    let stderr = child.stderr.take().map(Collector::start);
    let timed_out = loop {
        match group::has_exited(&mut child) {
            Ok(true) => break false,
            Ok(false) => {}
            Err(error) => {
                group::kill(&mut child);
                let _ = child.wait();
                return Err(error);
            }
        }
        let now = Instant::now();
        if now >= deadline {
            break true;
        }
        thread::sleep(POLL.min(deadline - now));
    };
    // The child has ended (but is not reaped yet, so its group id cannot be reused), or its
    // time is up: either way nothing it started may live on.
    group::kill(&mut child);
    let status = child.wait()?;
    let elapsed = started.elapsed();
    let pipes_until = Instant::now() + PIPE_GRACE;
    let finish = |collector: Option<Collector>| collector.map(|c| c.finish(pipes_until)).unwrap_or_default();
    Ok(Finished {
        status: if timed_out { None } else { Some(status) },
        stdout: finish(stdout),
        stderr: finish(stderr),
        elapsed,
    })
}

#[cfg(unix)]
mod group {
    use std::io;
    use std::os::unix::process::CommandExt;
    use std::process::{Child, Command};

    /// Makes the child the leader of a new session and process group, without a terminal.
    pub(super) fn isolate(command: &mut Command) {
        #[cfg(target_os = "linux")]
        let parent = std::process::id();
        // SAFETY: the closure runs in the forked child before exec. It calls only
        // async-signal-safe functions (setsid, prctl, getppid) and allocates nothing.
        unsafe {
            command.pre_exec(move || {
                if libc::setsid() == -1 {
                    return Err(io::Error::last_os_error());
                }
                #[cfg(target_os = "linux")]
                {
                    if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) == -1 {
                        return Err(io::Error::last_os_error());
                    }
                    // The parent died before the line above: do not run on as an orphan.
                    if u32::try_from(libc::getppid()).ok() != Some(parent) {
                        return Err(io::Error::from_raw_os_error(libc::ESRCH));
                    }
                }
                Ok(())
            });
        }
    }

    /// Whether the child has ended, without reaping it: while it is a zombie its pid, which
    /// is also its group's id, cannot be given to another process.
    pub(super) fn has_exited(child: &mut Child) -> io::Result<bool> {
        let pid = libc::id_t::from(child.id());
        // SAFETY: siginfo_t is plain data for which all-zero bytes are a valid value.
        let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
        // SAFETY: waitid writes only into `info`; WNOWAIT leaves the child waitable.
        let rc = unsafe {
            libc::waitid(
                libc::P_PID,
                pid,
                &mut info,
                libc::WEXITED | libc::WNOHANG | libc::WNOWAIT,
            )
        };
        if rc == -1 {
            let error = io::Error::last_os_error();
            return if error.kind() == io::ErrorKind::Interrupted {
                Ok(false)
            } else {
                Err(error)
            };
        }
        // SAFETY: waitid filled `info` (or left it zeroed when the child still runs).
        Ok(unsafe { info.si_pid() } != 0)
    }

    /// Kills the child's whole process group (the child included), ignoring a group that is gone.
    pub(super) fn kill(child: &mut Child) {
        if let Ok(pgid) = libc::pid_t::try_from(child.id()) {
            // SAFETY: kill has no memory effects; a negative pid names the process group.
            unsafe {
                libc::kill(-pgid, libc::SIGKILL);
            }
        }
        let _ = child.kill();
    }
}

#[cfg(windows)]
mod group {
    use std::io;
    use std::os::windows::process::CommandExt;
    use std::process::{Child, Command, Stdio};

    /// `CREATE_NO_WINDOW`: console helpers started by the desktop app open no window.
    const CREATE_NO_WINDOW: u32 = 0x0800_0000;

    pub(super) fn isolate(command: &mut Command) {
        command.creation_flags(CREATE_NO_WINDOW);
    }

    pub(super) fn has_exited(child: &mut Child) -> io::Result<bool> {
        Ok(child.try_wait()?.is_some())
    }

    /// Kills the child's process tree (the processes it started while it ran) and the child.
    pub(super) fn kill(child: &mut Child) {
        if matches!(child.try_wait(), Ok(None)) {
            let _ = Command::new("taskkill")
                .args(["/T", "/F", "/PID", &child.id().to_string()])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .creation_flags(CREATE_NO_WINDOW)
                .status();
        }
        let _ = child.kill();
    }
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

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    fn shell(script: &str) -> Command {
        let mut command = Command::new("/bin/sh");
        command.args(["-c", script]);
        command
    }

    #[test]
    fn a_quick_child_keeps_its_output_and_status() {
        let finished = run_bounded(
            shell("cat; echo err >&2; exit 3"),
            Some(b"in".to_vec()),
            Duration::from_secs(10),
        )
        .expect("runs");
        assert_eq!(finished.status.and_then(|s| s.code()), Some(3));
        assert_eq!(finished.stdout, b"in");
        assert_eq!(finished.stderr, b"err\n");
    }

    #[test]
    fn a_child_that_exits_leaving_a_pipe_holder_returns_at_once() {
        let started = Instant::now();
        let finished = run_bounded(shell("echo out; sleep 30 & exit 0"), None, Duration::from_secs(10)).expect("runs");
        assert_eq!(finished.status.and_then(|s| s.code()), Some(0));
        assert_eq!(finished.stdout, b"out\n");
        assert!(started.elapsed() < Duration::from_secs(3), "{:?}", started.elapsed());
    }

    #[test]
    fn at_the_deadline_the_child_and_its_grandchildren_are_killed() {
        let dir = tempfile::tempdir().expect("temporary folder");
        let pid_file = dir.path().join("grandchild.pid");
        let script = format!("sleep 30 & echo $! > '{}'; wait", pid_file.display());
        let started = Instant::now();
        let finished = run_bounded(shell(&script), None, Duration::from_secs(1)).expect("runs");
        let took = started.elapsed();
        assert!(finished.status.is_none(), "killed for its time");
        assert!(
            took < Duration::from_secs(1) + POLL + PIPE_GRACE + Duration::from_millis(500),
            "{took:?}"
        );
        let grandchild = std::fs::read_to_string(&pid_file).expect("pid written");
        // Gone, or a zombie waiting for whoever adopted it.
        let alive = || {
            std::fs::read_to_string(format!("/proc/{}/stat", grandchild.trim()))
                .is_ok_and(|stat| stat.rsplit_once(") ").is_some_and(|(_, rest)| !rest.starts_with('Z')))
        };
        let gone_by = Instant::now() + Duration::from_secs(2);
        while alive() && Instant::now() < gone_by {
            thread::sleep(Duration::from_millis(20));
        }
        assert!(!alive(), "the grandchild still runs");
    }

    #[test]
    fn a_process_that_leaves_the_group_cannot_stretch_the_bound() {
        let started = Instant::now();
        let finished = run_bounded(shell("setsid sleep 5 & sleep 30"), None, Duration::from_secs(1)).expect("runs");
        assert!(finished.status.is_none());
        let took = started.elapsed();
        assert!(
            took < Duration::from_secs(1) + POLL + PIPE_GRACE + Duration::from_millis(500),
            "{took:?}"
        );
    }
}
