//! The `fxconfig` program: the command line over the fxconfig library.

mod cli;

fn main() -> std::process::ExitCode {
    cli::main()
}
