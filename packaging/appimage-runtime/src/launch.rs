//! Starting `AppRun` with the arguments, the standard streams and the AppImage environment
//! variables, and passing its exit status back.

use std::ffi::{OsStr, OsString};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicI32, Ordering};

use crate::error::RuntimeError;

/// The signals passed on to the application while the runtime waits for it.
const FORWARDED_SIGNALS: [libc::c_int; 4] = [libc::SIGINT, libc::SIGTERM, libc::SIGHUP, libc::SIGQUIT];

/// The running application's process id, or 0 before it is started.
static CHILD_PID: AtomicI32 = AtomicI32::new(0);
/// A signal that came before the application was started, to pass on once it is.
static PENDING_SIGNAL: AtomicI32 = AtomicI32::new(0);

/// What `AppRun` is started with.
#[derive(Debug)]
pub struct Launch<'a> {
    /// The AppDir: the mount point or the extraction directory.
    pub app_dir: &'a Path,
    /// The AppImage file, absolute (`APPIMAGE`).
    pub image: &'a Path,
    /// The name the AppImage was started by (`ARGV0`).
    pub argv0: &'a OsStr,
    /// The arguments after the program name.
    pub arguments: &'a [OsString],
}

impl Launch<'_> {
    fn command(&self) -> Result<(PathBuf, Command), RuntimeError> {
        let app_run = self.app_dir.join("AppRun");
        if std::fs::symlink_metadata(&app_run).is_err() {
            return Err(RuntimeError::NoAppRun { path: app_run });
        }
        let mut command = Command::new(&app_run);
        command
            .args(self.arguments)
            .env("APPIMAGE", self.image)
            .env("APPDIR", self.app_dir)
            .env("ARGV0", self.argv0);
        if let Ok(working_dir) = std::env::current_dir() {
            command.env("OWD", working_dir);
        }
        Ok((app_run, command))
    }

    /// Replaces the runtime with `AppRun`: the process id, the signals and the exit status are
    /// then the application's own. Returns only on failure.
    pub fn exec(&self) -> RuntimeError {
        match self.command() {
            Ok((path, mut command)) => RuntimeError::Launch {
                path,
                source: command.exec(),
            },
            Err(error) => error,
        }
    }

    /// Starts `AppRun` as a child, passes on the termination signals other processes send to the
    /// runtime, waits for it and returns its exit code (128 + N when signal N ended it).
    pub fn run(&self) -> Result<u8, RuntimeError> {
        let (path, mut command) = self.command()?;
        forward_signals();
        let mut child = command.spawn().map_err(|source| RuntimeError::Launch {
            path: path.clone(),
            source,
        })?;
        let pid = i32::try_from(child.id()).unwrap_or(0);
        CHILD_PID.store(pid, Ordering::SeqCst);
        let pending = PENDING_SIGNAL.swap(0, Ordering::SeqCst);
        if pending != 0 && pid > 0 {
            // SAFETY: kill has no memory-safety preconditions; pid is the child just started.
            unsafe { libc::kill(pid, pending) };
        }
        let status = child.wait().map_err(|source| RuntimeError::Launch { path, source })?;
        CHILD_PID.store(0, Ordering::SeqCst);
        Ok(exit_code(status))
    }
}

/// The exit code the runtime passes on for the application's exit status.
fn exit_code(status: std::process::ExitStatus) -> u8 {
    match (status.code(), status.signal()) {
        (Some(code), _) => u8::try_from(code & 0xff).unwrap_or(u8::MAX),
        (None, Some(signal)) => u8::try_from(128 + signal).unwrap_or(u8::MAX),
        (None, None) => u8::MAX,
    }
}

/// Installs the handler that passes signals on to the child.
fn forward_signals() {
    for signal in FORWARDED_SIGNALS {
        // SAFETY: an all-zero sigaction is a valid value (empty mask, no flags) that is then
        // filled in; the handler only does async-signal-safe work (atomics and kill).
        unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = pass_on as *const () as libc::sighandler_t;
            action.sa_flags = libc::SA_SIGINFO | libc::SA_RESTART;
            libc::sigemptyset(&mut action.sa_mask);
            libc::sigaction(signal, &action, std::ptr::null_mut());
        }
    }
}

/// The signal handler. A signal the kernel sent for the terminal (Ctrl-C, hang-up) already
/// reached the whole foreground process group, the application included, so only signals sent
/// by a process (`kill`, a service manager) are passed on.
extern "C" fn pass_on(signal: libc::c_int, info: *mut libc::siginfo_t, _context: *mut libc::c_void) {
    // SAFETY: the kernel hands an SA_SIGINFO handler a valid siginfo_t (checked for null anyway).
    let from_kernel = !info.is_null() && unsafe { (*info).si_code } == libc::SI_KERNEL;
    if from_kernel {
        return;
    }
    let pid = CHILD_PID.load(Ordering::SeqCst);
    if pid > 0 {
        // SAFETY: kill is async-signal-safe and has no memory-safety preconditions.
        unsafe { libc::kill(pid, signal) };
    } else {
        PENDING_SIGNAL.store(signal, Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes_and_signals_map_like_a_shell() {
        assert_eq!(exit_code(std::process::ExitStatus::from_raw(0)), 0);
        assert_eq!(exit_code(std::process::ExitStatus::from_raw(1 << 8)), 1);
        assert_eq!(exit_code(std::process::ExitStatus::from_raw(42 << 8)), 42);
        assert_eq!(exit_code(std::process::ExitStatus::from_raw(libc::SIGTERM)), 128 + 15);
        assert_eq!(exit_code(std::process::ExitStatus::from_raw(libc::SIGKILL)), 128 + 9);
    }
}
