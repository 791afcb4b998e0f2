//! What can go wrong with a PKCS#11 module, from its file to a signature.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::ckr::{self, CkrExplained};

/// A failure while checking, loading or using a PKCS#11 module.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum Pkcs11Error {
    /// The module file does not exist.
    #[error("the module {} does not exist", path.display())]
    ModuleNotFound {
        /// The path given.
        path: PathBuf,
        /// The error from the file system.
        #[source]
        source: std::io::Error,
    },
    /// The module file exists but cannot be read.
    #[error("the module {} cannot be read", path.display())]
    ModuleUnreadable {
        /// The path given.
        path: PathBuf,
        /// The error from the file system.
        #[source]
        source: std::io::Error,
    },
    /// The file is not a shared library at all.
    #[error("{} is not a shared library: it is {what}", path.display())]
    NotALibrary {
        /// The path given.
        path: PathBuf,
        /// What the file looks like instead, such as "a text file".
        what: String,
    },
    /// The file starts like a binary but its header is broken.
    #[error("{} is a damaged binary: {reason}", path.display())]
    Malformed {
        /// The path given.
        path: PathBuf,
        /// What is wrong with the header.
        reason: String,
    },
    /// A binary, but a program or object file rather than a shared library.
    #[error("{} is {found}, not a shared library", path.display())]
    NotSharedLibrary {
        /// The path given.
        path: PathBuf,
        /// What the header says, such as "ELF 64-bit x86-64 executable".
        found: String,
    },
    /// A shared library built for another system, processor or word size.
    #[error("{} is built for another platform: it is an {found}, this machine needs {expected}", path.display())]
    WrongPlatform {
        /// The path given.
        path: PathBuf,
        /// What the header says, such as "ELF 32-bit x86 (i386) shared library".
        found: String,
        /// What this machine loads, such as "ELF 64-bit x86-64".
        expected: String,
    },
    /// Libraries the module needs would not be found by the loader.
    #[error("the module needs libraries the system loader will not find: {}", missing.join(", "))]
    MissingDependencies {
        /// The module.
        path: PathBuf,
        /// Each missing library with the file that needs it.
        missing: Vec<String>,
    },
    /// The system loader refused the library, or it has no PKCS#11 entry point.
    #[error("the module {} could not be loaded", path.display())]
    Load {
        /// The module.
        path: PathBuf,
        /// The loader's or cryptoki's error.
        #[source]
        source: cryptoki::error::Error,
    },
    /// A PKCS#11 function returned an error code.
    #[error("{function} returned {} ({})", ckr.name, ckr.meaning)]
    Ckr {
        /// The function, such as `C_Login`.
        function: String,
        /// The return code explained.
        ckr: Box<CkrExplained>,
    },
    /// The cryptoki layer failed without a PKCS#11 return code.
    #[error("{operation} failed")]
    Cryptoki {
        /// What was being done.
        operation: String,
        /// The cryptoki error.
        #[source]
        source: cryptoki::error::Error,
    },
    /// No slot holds a token.
    #[error("no slot of the module holds a token")]
    NoToken,
    /// No token has the requested label.
    #[error("no token is labelled {label:?}; the tokens are: {}", if available.is_empty() { "none".to_owned() } else { available.join(", ") })]
    TokenNotFound {
        /// The label asked for.
        label: String,
        /// The labels present.
        available: Vec<String>,
    },
    /// The helper process that loads the module could not be started.
    #[error("could not start {}", program.display())]
    HelperStart {
        /// The program.
        program: PathBuf,
        /// The error from the operating system.
        #[source]
        source: std::io::Error,
    },
    /// The helper process died while using the module: the module crashed it.
    #[error("the module crashed the process that loaded it ({status}){}", if stderr.is_empty() { String::new() } else { format!(": {stderr}") })]
    HelperCrashed {
        /// How the process ended, such as "killed by signal 11".
        status: String,
        /// The end of its error output.
        stderr: String,
    },
    /// The helper process did not finish in time; it was killed with every process it started.
    #[error(
        "the module did not answer within {} s: the process that loaded it was stopped after {} s",
        seconds(*limit),
        seconds(*stopped_after)
    )]
    HelperTimeout {
        /// The time allowed.
        limit: std::time::Duration,
        /// When the process and everything it started were killed.
        stopped_after: std::time::Duration,
    },
    /// The helper process answered something other than its JSON report.
    #[error("the helper process gave no report{}", if stderr.is_empty() { String::new() } else { format!(": {stderr}") })]
    HelperOutput {
        /// The end of its error output.
        stderr: String,
        /// The JSON decoding error.
        #[source]
        source: serde_json::Error,
    },
}

impl Pkcs11Error {
    /// An error from cryptoki, named by its `CKR_*` code when it has one.
    pub(crate) fn from_cryptoki(operation: &str, error: cryptoki::error::Error) -> Self {
        match error {
            cryptoki::error::Error::Pkcs11(rv, function) => Pkcs11Error::Ckr {
                function: format!("C_{function:?}"),
                ckr: Box::new(ckr::explain(ckr::code_of(rv))),
            },
            other => Pkcs11Error::Cryptoki {
                operation: operation.to_owned(),
                source: other,
            },
        }
    }

    /// The `CKR_*` code, when the error is one.
    pub fn ckr(&self) -> Option<&CkrExplained> {
        match self {
            Pkcs11Error::Ckr { ckr, .. } => Some(ckr.as_ref()),
            _ => None,
        }
    }
}

/// A duration in seconds with at most one decimal, such as `15` or `2.5`.
fn seconds(duration: std::time::Duration) -> String {
    let tenths = (duration.as_millis() + 50) / 100;
    if tenths.is_multiple_of(10) {
        format!("{}", tenths / 10)
    } else {
        format!("{}.{}", tenths / 10, tenths % 10)
    }
}

fn is_openssl(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    [
        "libssl.so",
        "libcrypto.so",
        "libssl-",
        "libcrypto-",
        "libeay32.dll",
        "ssleay32.dll",
    ]
    .iter()
    .any(|prefix| name.starts_with(prefix))
}

impl crate::Explain for Pkcs11Error {
    fn remedy(&self) -> String {
        match self {
            Pkcs11Error::ModuleNotFound { .. } => "Give the full path of the module: libfxpkcs11.so from the x64 folder of the fxpkcs11 tarball (fxpkcs11.dll on Windows)".to_owned(),
            Pkcs11Error::ModuleUnreadable { path, .. } => format!("Make {} readable by this user (chmod a+r)", path.display()),
            Pkcs11Error::NotALibrary { .. } | Pkcs11Error::NotSharedLibrary { .. } => "Point at the PKCS#11 library itself (libfxpkcs11.so, fxpkcs11.dll), not at configTest, PKCS11Manager, the cfg file or an archive".to_owned(),
            Pkcs11Error::Malformed { .. } => "Extract the module again from the fxpkcs11 tarball: the file is damaged or cut short".to_owned(),
            Pkcs11Error::WrongPlatform { .. } => "Use the module from the x64 folder of the fxpkcs11 tarball for a 64-bit system (x86 is for 32-bit systems), built for this operating system".to_owned(),
            Pkcs11Error::MissingDependencies { missing, .. } => {
                let openssl = missing.iter().any(|m| is_openssl(m));
                if cfg!(windows) {
                    format!(
                        "Add the folder that holds {} to PATH, or copy them next to the program that loads the module: Windows does not look in the module's own folder",
                        if openssl { "the OpenSSL DLLs that come with fxpkcs11 (its install folder)" } else { "the missing DLLs" }
                    )
                } else if openssl {
                    "The module is built for another OpenSSL version than the one installed: use the module from the OpenSSL-1.0.x or OpenSSL-1.1.x folder that matches `openssl version`, or install that OpenSSL library".to_owned()
                } else {
                    "Install the missing libraries, or add their folder to LD_LIBRARY_PATH for the programs that load the module".to_owned()
                }
            }
            Pkcs11Error::Load { .. } => "Check the module with `fxconfig check --module PATH`: file type, architecture and libraries; the loader's message above names the problem".to_owned(),
            Pkcs11Error::Ckr { ckr, .. } => ckr.remedy.clone(),
            Pkcs11Error::Cryptoki { .. } => "Report it with the module's version and the message above".to_owned(),
            Pkcs11Error::NoToken => "With fxpkcs11, the slot appears once the library reaches the KMES: run `fxconfig check` for the connection; otherwise insert or initialise the token".to_owned(),
            Pkcs11Error::TokenNotFound { .. } => "Select one of the labels listed (--token LABEL), or leave it out to use the first token".to_owned(),
            Pkcs11Error::HelperStart { .. } => "Install fxconfig completely: the fxconfig program must sit next to the program that runs the check".to_owned(),
            Pkcs11Error::HelperCrashed { .. } => "The module is not compatible with this system or is misconfigured: check its OpenSSL build and configuration; ssh would crash the same way".to_owned(),
            Pkcs11Error::HelperTimeout { .. } => "With fxpkcs11, the KMES did not answer: run `fxconfig check` for the network and TLS steps".to_owned(),
            Pkcs11Error::HelperOutput { .. } => "Run `fxconfig p11 --module PATH info` by hand to see the module's own messages".to_owned(),
        }
    }

    fn guide_section(&self) -> Option<&'static str> {
        match self {
            Pkcs11Error::ModuleNotFound { .. }
            | Pkcs11Error::ModuleUnreadable { .. }
            | Pkcs11Error::NotALibrary { .. }
            | Pkcs11Error::NotSharedLibrary { .. }
            | Pkcs11Error::Malformed { .. }
            | Pkcs11Error::WrongPlatform { .. }
            | Pkcs11Error::MissingDependencies { .. }
            | Pkcs11Error::Load { .. }
            | Pkcs11Error::HelperCrashed { .. } => Some("2.2"),
            Pkcs11Error::Ckr { ckr, .. } => ckr.guide.as_deref().and_then(static_section),
            Pkcs11Error::NoToken | Pkcs11Error::TokenNotFound { .. } | Pkcs11Error::HelperTimeout { .. } => Some("4.2"),
            Pkcs11Error::Cryptoki { .. } | Pkcs11Error::HelperStart { .. } | Pkcs11Error::HelperOutput { .. } => None,
        }
    }
}

/// The guide sections the module checks cite, as `'static` strings.
const SECTIONS: &[&str] = &["1.4", "2.2", "3.2.2", "3.2.4", "3.2.7", "3.2.10", "4.1", "4.2", "5"];

fn static_section(section: &str) -> Option<&'static str> {
    SECTIONS.iter().copied().find(|s| *s == section)
}

/// A failure as plain data: what the helper process reports and the app shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Failure {
    /// The error with its causes.
    pub message: String,
    /// What to do about it.
    pub remedy: String,
    /// The guide section to read.
    pub guide: Option<String>,
    /// The `CKR_*` code, when the failure is one.
    pub ckr: Option<CkrExplained>,
}

impl Failure {
    /// The remedy with its guide citation, such as `"… [4.2]"`.
    pub fn remedy_with_citation(&self) -> String {
        match &self.guide {
            Some(section) => format!("{} [{section}]", self.remedy),
            None => self.remedy.clone(),
        }
    }
}

impl From<&Pkcs11Error> for Failure {
    fn from(error: &Pkcs11Error) -> Self {
        use crate::Explain;
        Failure {
            message: crate::remedy::cause_chain(error),
            remedy: error.remedy(),
            guide: error.guide_section().map(str::to_owned),
            ckr: error.ckr().cloned(),
        }
    }
}
