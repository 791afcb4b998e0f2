//! fxconfig: set up and diagnose the Futurex PKCS#11 client (fxpkcs11) for SSH key
//! offloading to a KMES Series 3.
//!
//! This crate is the UI-free core. The command line (`src/cli`) and the desktop app
//! are thin front ends over the same functions: plain data in, plain data out, no
//! printing, and every slow call safe to run on a worker thread.
//!
//! | module | concern |
//! |---|---|
//! | [`cfg`](mod@cfg) | the lossless `fxpkcs11.cfg` model, typed fields, validation, locating and atomic saving |
//! | [`identity`] | the root CA and the PKCS#12 client identity: parsing, details, chain check, import |
//! | [`import`] | copying the TLS materials next to the configuration and naming them in it |
//! | [`install`] | finding the fxpkcs11 installation: every cfg copy and module build, and which fits |
//! | [`hostapi`] | the Host API connection: TCP, mutual TLS, Excrypt framing and ECHO |
//! | [`doctor`] | the ordered connection checks with their remedies |
//! | [`display`] | text from files, certificates, modules and the network made safe to show |
//! | [`files`] | bounded reading of inputs; locked, atomic writing that keeps owner, mode, ACLs and labels |
//! | [`sshkey`] | the KMES public key as an `authorized_keys` line |
//! | [`sshclient`] | the OpenSSH client's side: `ssh_config` blocks, `ssh -G`, `ssh -V`, the agent and the key offered |
//! | [`sim`] | the KMES simulator with its fault modes |
//! | [`pkcs11`] | the PKCS#11 module: file checks, loading, tokens, keys, sign test, the SSH login test |
//! | [`pki`] | a throwaway PKI for the demo, the simulator and the tests |
//! | [`demo`] | the demo: simulator, certificates and configuration in a temporary folder |
//! | `app` | the desktop app (egui, with the default `gui` feature), a front end over the modules above |
//!
//! No unsafe code but one call: starting a child process in a session of its own needs
//! `pre_exec` (in `pkcs11::process`, allowed there alone and explained).

#![deny(unsafe_code)]

#[cfg(feature = "gui")]
pub mod app;
pub mod capture;
pub mod cfg;
pub mod demo;
pub mod display;
pub mod doctor;
pub mod files;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
pub mod hostapi;
pub mod identity;
pub mod import;
pub mod install;
pub mod pkcs11;
pub mod pki;
pub mod remedy;
pub mod secret;
pub mod sim;
pub mod sshclient;
pub mod sshkey;

pub use remedy::Explain;
pub use secret::Secret;
