//! Running programs: the `fxconfig` binary built for the tests, and the command-line tools
//! the tests use as references (`openssl`, `ssh-keygen`, ...).

use std::path::Path;
use std::process::{Command, Output};

/// The `fxconfig` binary built for the tests.
pub const FXCONFIG: &str = env!("CARGO_BIN_EXE_fxconfig");

/// `fxconfig`, with no `FXPKCS11_CFG` inherited from the environment.
pub fn fxconfig() -> Command {
    let mut command = Command::new(FXCONFIG);
    command.env_remove("FXPKCS11_CFG");
    command
}

/// Runs a command and insists it succeeds; its output otherwise ends the test.
#[track_caller]
pub fn run_ok(command: &mut Command) -> Output {
    let output = command.output().unwrap_or_else(|e| panic!("{command:?}: {e}"));
    assert!(
        output.status.success(),
        "{command:?} failed: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// Runs `program args` in `dir`, insists it succeeds, and returns its standard output.
#[track_caller]
pub fn run(dir: &Path, program: &str, args: &[&str]) -> String {
    let output = run_ok(Command::new(program).args(args).current_dir(dir));
    String::from_utf8(output.stdout).unwrap_or_else(|_| panic!("{program} {args:?} printed text that is not UTF-8"))
}

/// Runs the `openssl` command in `dir`, insists it succeeds, and returns its standard output.
#[track_caller]
pub fn openssl(dir: &Path, args: &[&str]) -> String {
    run(dir, "openssl", args)
}
