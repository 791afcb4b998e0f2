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

impl Fault {
    /// Every fault, in the order the CLI lists them.
    pub const ALL: [Fault; 14] = [
        Fault::WrongCa,
        Fault::RejectClient,
        Fault::NoClientAuth,
        Fault::ExpiredCert,
        Fault::Tls12Only,
        Fault::Silent,
        Fault::Garbage,
        Fault::CloseAfterHandshake,
        Fault::EchoDisabled,
        Fault::PermissionDenied,
        Fault::GeneralFailure,
        Fault::Slow,
        Fault::GuideCert,
        Fault::CbcOnly,
    ];

    /// The name used on the command line, such as `wrong-ca`.
    pub fn name(self) -> &'static str {
        match self {
            Fault::WrongCa => "wrong-ca",
            Fault::RejectClient => "reject-client",
            Fault::NoClientAuth => "no-client-auth",
            Fault::ExpiredCert => "expired-cert",
            Fault::Tls12Only => "tls12-only",
            Fault::Silent => "silent",
            Fault::Garbage => "garbage",
            Fault::CloseAfterHandshake => "close-after-handshake",
            Fault::EchoDisabled => "echo-disabled",
            Fault::PermissionDenied => "permission-denied",
            Fault::GeneralFailure => "general-failure",
            Fault::Slow => "slow",
            Fault::GuideCert => "guide-cert",
            Fault::CbcOnly => "cbc-only",
        }
    }

    /// A one-line description of what the fault does.
    pub fn description(self) -> &'static str {
        match self {
            Fault::WrongCa => "serve a server certificate issued by a different CA (client sees an unknown issuer)",
            Fault::RejectClient => {
                "trust only a different CA for client certificates (the client certificate is rejected)"
            }
            Fault::NoClientAuth => "do not request a client certificate (the server does not authenticate clients)",
            Fault::ExpiredCert => "serve an expired server certificate signed by the real CA (needs --ca-key)",
            Fault::Tls12Only => "offer TLS 1.2 only",
            Fault::Silent => "accept TCP connections and never answer, not even TLS",
            Fault::Garbage => "answer the ECHO with random bytes that are not a frame",
            Fault::CloseAfterHandshake => "close the connection right after the TLS handshake",
            Fault::EchoDisabled => "answer the ECHO with an error frame, as if the command were disabled",
            Fault::PermissionDenied => {
                "answer the ECHO with the status AN=P, as if the client's role lacked a permission"
            }
            Fault::GeneralFailure => "answer the ECHO with the status AN=N and an error text in latin-1 (ER)",
            Fault::Slow => "answer the ECHO only after a delay",
            Fault::GuideCert => {
                "serve the guide's certificate: CN=KMES from the real CA, no subjectAltName (needs --ca-key)"
            }
            Fault::CbcOnly => {
                "offer TLS 1.2 with AES-CBC suites only, through OpenSSL (works with fxpkcs11, not rustls)"
            }
        }
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
    fn unknown_names_list_the_valid_ones() {
        let err = "bogus".parse::<Fault>().unwrap_err();
        assert!(err.to_string().contains("close-after-handshake"));
    }
}
