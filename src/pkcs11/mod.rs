//! The PKCS#11 module itself: what Futurex's PKCS11Manager does, for any module.
//!
//! Before anything is loaded, [`inspect_module`] reads the file's header (it
//! exists, is a shared library, for this system, processor and word size) and
//! [`check_dependencies`] follows the libraries it needs as the system loader
//! would — the guide's [2.2] ships separate OpenSSL 1.0.x and 1.1.x builds, and
//! the wrong one is a classic failure. These only read files.
//!
//! Loading ([`Module`]) runs the module's code. Front ends use [`probe`], which
//! runs the whole walk — library info, slots and tokens (selected by label),
//! mechanisms, login with the user PIN, objects, public keys as `authorized_keys`
//! lines (the lines `ssh-keygen -D` prints), and a sign-and-verify test — in a
//! child process with `FXPKCS11_CFG` set, and returns plain data ([`ProbeReport`]).
//!
//! [`ssh::login`] runs the guide's [5] test with the system's OpenSSH client.
//!
//! Every `CKR_*` code is reported by name with its meaning and a remedy ([`ckr`]).
//! All types here are plain data and `Send`; nothing prints. The PIN is a
//! [`crate::Secret`], handed to the module or to `ssh`'s askpass and never stored.

mod binary;
pub mod ckr;
mod deps;
mod error;
mod examine;
mod file;
pub mod probe;
pub(crate) mod process;
pub mod ssh;
mod subject;
mod token;

pub use binary::{BinaryFormat, BinaryHeader, FileKind, Machine, host_target};
pub use deps::{Dependency, DependencyReport, DllSearch, resolve_pe_with};
pub use error::{Failure, Pkcs11Error};
pub use examine::{Examination, Examined, examine};
pub use file::{ModuleFile, check_dependencies, inspect_module};
pub use probe::{Action, Helper, ProbeReport, ProbeRequest, Step, probe, walk, walk_contained};
pub use token::{
    LibraryInfo, LoginState, MechanismReport, Module, ObjectReport, PublicKeyLine, SignTest, SlotReport, TokenReport,
    TokenSession,
};

/// Reads a binary file's header from memory, for callers that already hold the bytes.
///
/// # Errors
///
/// A description of why the bytes are not an ELF, PE or Mach-O binary.
pub fn parse_header(bytes: &[u8]) -> Result<BinaryHeader, String> {
    binary::parse(bytes).map_err(|problem| match problem {
        binary::HeaderProblem::NotBinary(what) => format!("not a binary: {what}"),
        binary::HeaderProblem::Malformed(reason) => reason,
    })
}
