//! The simulator's fault modes, each imitating one way a real KMES setup goes wrong.

use std::fmt;
use std::str::FromStr;

use crate::remedy::Explain;

/// A way for the simulator to misbehave.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Fault {
    /// Serve a server certificate from another CA, for the same names.
    WrongCa,
    /// Require a client certificate from another CA, so the valid client certificate is rejected.
    RejectClient,
    /// Do not ask for a client certificate at all.
    NoClientAuth,
    /// Serve an expired server certificate signed by the real CA (needs the CA key).
    ExpiredCert,
    /// Speak TLS 1.2 only.
    Tls12Only,
    /// Accept TCP connections and never send a byte.
    Silent,
    /// Answer the ECHO with random bytes that are not a frame.
    Garbage,
    /// Close the connection right after the handshake.
    CloseAfterHandshake,
    /// Answer the ECHO with an error frame, as when the command is disabled.
    EchoDisabled,
    /// Answer the ECHO with the status `AN` = `P`, as when the identity's role lacks a permission.
    PermissionDenied,
    /// Answer the ECHO with the status `AN` = `N` and a latin-1 error text in `ER`.
    GeneralFailure,
    /// Answer the ECHO after a delay.
    Slow,
    /// Serve the certificate the guide makes [3.1.2]: CN=KMES from the real CA, with no
    /// subjectAltName, so it names no address (needs the CA key).
    GuideCert,
    /// Speak TLS 1.2 with AES-CBC suites only, as a KMES whose older cipher list was kept: the
    /// library's OpenSSL 1.x connects, rustls does not.
    CbcOnly,
}

/// One fault: one row of [`FAULTS`]. What the simulator does for it is in its server code
/// (`sim/server.rs`), matched on [`Fault`].
#[derive(Debug, Clone, Copy)]
pub struct FaultSpec {
    /// Which fault.
    pub fault: Fault,
    /// Its name on the command line and in the app, such as `wrong-ca`.
    pub name: &'static str,
    /// What the simulator does, in one sentence.
    pub description: &'static str,
}

/// Every fault, in the order of [`Fault`]'s variants. A new fault is a variant, its row here,
/// and its behaviour in the server.
pub const FAULTS: [FaultSpec; 14] = [
    FaultSpec {
        fault: Fault::WrongCa,
        name: "wrong-ca",
        description: "serve a server certificate issued by a different CA (client sees an unknown issuer)",
    },
    FaultSpec {
        fault: Fault::RejectClient,
        name: "reject-client",
        description: "trust only a different CA for client certificates (the client certificate is rejected)",
    },
    FaultSpec {
        fault: Fault::NoClientAuth,
        name: "no-client-auth",
        description: "do not request a client certificate (the server does not authenticate clients)",
    },
    FaultSpec {
        fault: Fault::ExpiredCert,
        name: "expired-cert",
        description: "serve an expired server certificate signed by the real CA (needs --ca-key)",
    },
    FaultSpec {
        fault: Fault::Tls12Only,
        name: "tls12-only",
        description: "offer TLS 1.2 only",
    },
    FaultSpec {
        fault: Fault::Silent,
        name: "silent",
        description: "accept TCP connections and never answer, not even TLS",
    },
    FaultSpec {
        fault: Fault::Garbage,
        name: "garbage",
        description: "answer the ECHO with random bytes that are not a frame",
    },
    FaultSpec {
        fault: Fault::CloseAfterHandshake,
        name: "close-after-handshake",
        description: "close the connection right after the TLS handshake",
    },
    FaultSpec {
        fault: Fault::EchoDisabled,
        name: "echo-disabled",
        description: "answer the ECHO with an error frame, as if the command were disabled",
    },
    FaultSpec {
        fault: Fault::PermissionDenied,
        name: "permission-denied",
        description: "answer the ECHO with the status AN=P, as if the client's role lacked a permission",
    },
    FaultSpec {
        fault: Fault::GeneralFailure,
        name: "general-failure",
        description: "answer the ECHO with the status AN=N and an error text in latin-1 (ER)",
    },
    FaultSpec {
        fault: Fault::Slow,
        name: "slow",
        description: "answer the ECHO only after a delay",
    },
    FaultSpec {
        fault: Fault::GuideCert,
        name: "guide-cert",
        description: "serve the guide's certificate: CN=KMES from the real CA, no subjectAltName (needs --ca-key)",
    },
    FaultSpec {
        fault: Fault::CbcOnly,
        name: "cbc-only",
        description: "offer TLS 1.2 with AES-CBC suites only, through OpenSSL (works with fxpkcs11, not rustls)",
    },
];

impl Fault {
    /// Every fault, in table order (from [`FAULTS`]).
    pub const ALL: [Fault; FAULTS.len()] = {
        let mut all = [Fault::WrongCa; FAULTS.len()];
        let mut index = 0;
        while index < FAULTS.len() {
            all[index] = FAULTS[index].fault;
            index += 1;
        }
        all
    };

    /// This fault's row of [`FAULTS`].
    pub fn spec(self) -> &'static FaultSpec {
        &FAULTS[self as usize]
    }

    /// The fault's name on the command line, such as `wrong-ca`.
    pub fn name(self) -> &'static str {
        self.spec().name
    }

    /// What the simulator does in this fault mode.
    pub fn description(self) -> &'static str {
        self.spec().description
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A fault name that is not one of [`Fault::ALL`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown fault {0:?}; expected one of: {names}", names = fault_names())]
#[non_exhaustive]
pub struct UnknownFault(pub String);

fn fault_names() -> String {
    Fault::ALL.iter().map(|f| f.name()).collect::<Vec<_>>().join(", ")
}

impl Explain for UnknownFault {
    fn remedy(&self) -> String {
        format!("Use one of the fault names: {}.", fault_names())
    }

    fn guide_section(&self) -> Option<&'static str> {
        None
    }
}

impl FromStr for Fault {
    type Err = UnknownFault;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let wanted = text.trim();
        Fault::ALL
            .into_iter()
            .find(|fault| fault.name().eq_ignore_ascii_case(wanted))
            .ok_or_else(|| UnknownFault(text.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_are_unique() {
        for fault in Fault::ALL {
            assert_eq!(fault.to_string().parse::<Fault>(), Ok(fault));
            assert!(!fault.description().is_empty());
        }
        let mut names: Vec<_> = Fault::ALL.iter().map(|f| f.name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Fault::ALL.len());
    }

    #[test]
    fn each_row_is_in_its_variants_place() {
        for (index, spec) in FAULTS.iter().enumerate() {
            assert_eq!(spec.fault as usize, index, "{}", spec.name);
        }
    }

    #[test]
    fn unknown_names_list_the_valid_ones() {
        let err = "bogus".parse::<Fault>().unwrap_err();
        assert!(err.to_string().contains("close-after-handshake"));
    }
}
