//! The command-line contract, driving the built `fxconfig` binary: commands, JSON shapes,
//! exit codes, and that no secret is ever printed.
//!
//! One test program built from the modules in `tests/cli/`, with the helpers the programs
//! share in `tests/support/`.

pub mod support;

mod cli {
    mod process;

    mod access;
    mod capture;
    mod check;
    mod config;
    mod fleet;
    mod hardening;
    mod identity;
    mod init;
    mod locate;
    mod package_docs;
    mod pubkey;
    mod terminal;
}
