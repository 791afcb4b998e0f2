//! The desktop app: its screens driven through egui_kittest (logic and snapshot images),
//! and the real program's window under Xvfb.
//!
//! One test program built from the modules in `tests/app/`, with the helpers the programs
//! share in `tests/support/`.
#![cfg(feature = "gui")]

pub mod support;

mod app {
    mod harness;

    mod accessibility;
    mod capture;
    mod certificates;
    mod config;
    mod connection;
    mod contrast;
    mod dialogs;
    mod first_run;
    mod keyboard;
    mod layout;
    mod pkcs11;
    mod session;
    mod snapshots;
    mod ssh_client;
    mod ssh_key;
    mod window;
}
