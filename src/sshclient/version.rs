//! The local OpenSSH client's version (`ssh -V`) and what it can do with a PKCS#11 token.
//!
//! Facts from OpenSSH's history (release notes and the source's first tags):
//! - RSA keys in PKCS#11 tokens: every release this tool meets;
//! - ECDSA keys in PKCS#11 tokens: 8.0 (RHEL/CentOS 7 ships 7.4);
//! - Ed25519 keys in PKCS#11 tokens: 10.1;
//! - `ssh-agent` refuses PKCS#11 providers added through a forwarded connection: 9.3p2
//!   (`-Oallow-remote-pkcs11` lifts it);
//! - Win32-OpenSSH's agent loads PKCS#11 providers from 8.9 on.

use std::cmp::Ordering;
use std::fmt;
use std::path::Path;

use serde::Serialize;

use super::resolved::{SshQueryError, run_ssh};

/// An OpenSSH version as `ssh -V` prints it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OpenSshVersion {
    /// The major number (9 in 9.2p1).
    pub major: u32,
    /// The minor number (2 in 9.2p1).
    pub minor: u32,
    /// The portable release (1 in 9.2p1; 0 when absent).
    pub portable: u32,
    /// Whether it is Win32-OpenSSH (`OpenSSH_for_Windows_…`).
    pub windows: bool,
    /// The whole first line, as printed.
    pub text: String,
}

/// A key type a token may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum TokenKeyType {
    /// RSA.
    Rsa,
    /// ECDSA (NIST curves).
    Ecdsa,
    /// Ed25519 (`CKK_EC_EDWARDS`).
    Ed25519,
}

impl fmt::Display for TokenKeyType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TokenKeyType::Rsa => "RSA",
            TokenKeyType::Ecdsa => "ECDSA",
            TokenKeyType::Ed25519 => "Ed25519",
        })
    }
}

impl OpenSshVersion {
    /// Reads the first line of `ssh -V`'s output, such as `OpenSSH_9.2p1 Debian-2+deb12u10,
    /// OpenSSL 3.0.19 27 Jan 2026` or `OpenSSH_for_Windows_8.1p1, LibreSSL 3.0.2`.
    pub fn parse(output: &str) -> Option<OpenSshVersion> {
        let line = output
            .lines()
            .map(str::trim)
            .find(|line| line.starts_with("OpenSSH_"))?;
        let rest = line.strip_prefix("OpenSSH_")?;
        let (windows, rest) = match rest.strip_prefix("for_Windows_") {
            Some(rest) => (true, rest),
            None => (false, rest),
        };
        let token: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '.')
            .collect();
        let (numbers, portable) = match token.split_once('p') {
            Some((numbers, portable)) => (
                numbers,
                portable
                    .chars()
                    .take_while(char::is_ascii_digit)
                    .collect::<String>()
                    .parse()
                    .unwrap_or(0),
            ),
            None => (token.as_str(), 0),
        };
        let mut parts = numbers.split('.');
        let major = parts.next()?.parse().ok()?;
        let minor = parts.next().unwrap_or("0").parse().ok()?;
        Some(OpenSshVersion {
            major,
            minor,
            portable,
            windows,
            text: line.to_owned(),
        })
    }

    fn at_least(&self, major: u32, minor: u32, portable: u32) -> bool {
        (self.major, self.minor, self.portable).cmp(&(major, minor, portable)) != Ordering::Less
    }

    /// The first release that uses keys of `kind` from a PKCS#11 token, as `major.minor`.
    pub fn first_with(kind: TokenKeyType) -> (u32, u32) {
        match kind {
            TokenKeyType::Rsa => (0, 0),
            TokenKeyType::Ecdsa => (8, 0),
            TokenKeyType::Ed25519 => (10, 1),
        }
    }

    /// Whether this client uses keys of `kind` from a PKCS#11 token.
    pub fn supports(&self, kind: TokenKeyType) -> bool {
        let (major, minor) = Self::first_with(kind);
        self.at_least(major, minor, 0)
    }

    /// Whether this release's `ssh-agent` refuses providers added over a forwarded agent.
    pub fn agent_refuses_forwarded_providers(&self) -> bool {
        self.at_least(9, 3, 2)
    }

    /// Whether this release's agent can load a PKCS#11 provider at all (Win32-OpenSSH
    /// before 8.9 cannot; every Unix release this tool meets can).
    pub fn agent_loads_providers(&self) -> bool {
        !self.windows || self.at_least(8, 9, 0)
    }

    /// `9.2p1`.
    pub fn short(&self) -> String {
        format!("{}.{}p{}", self.major, self.minor, self.portable)
    }
}

/// Runs `ssh -V` (which prints on standard error) and reads the version.
///
/// # Errors
/// [`SshQueryError`] when `ssh` cannot run, or prints no OpenSSH version.
pub fn local_version(program: &Path) -> Result<OpenSshVersion, SshQueryError> {
    let (stdout, stderr) = run_ssh(program, &["-V".to_owned()])?;
    OpenSshVersion::parse(&format!("{stderr}\n{stdout}")).ok_or_else(|| SshQueryError::Failed {
        command: format!("{} -V", program.display()),
        status: "exit 0".to_owned(),
        output: format!("not an OpenSSH version: {}", stderr.trim()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn real_version_strings_are_read() {
        let rhel7 = OpenSshVersion::parse("OpenSSH_7.4p1, OpenSSL 1.0.2k-fips  26 Jan 2017\n").unwrap();
        assert_eq!(
            (rhel7.major, rhel7.minor, rhel7.portable, rhel7.windows),
            (7, 4, 1, false)
        );
        assert!(rhel7.supports(TokenKeyType::Rsa));
        assert!(!rhel7.supports(TokenKeyType::Ecdsa));
        assert!(!rhel7.agent_refuses_forwarded_providers());

        let rhel8 = OpenSshVersion::parse("OpenSSH_8.0p1, OpenSSL 1.1.1k  FIPS 25 Mar 2021").unwrap();
        assert!(rhel8.supports(TokenKeyType::Ecdsa));
        assert!(!rhel8.supports(TokenKeyType::Ed25519));

        let debian = OpenSshVersion::parse("OpenSSH_9.2p1 Debian-2+deb12u10, OpenSSL 3.0.19 27 Jan 2026").unwrap();
        assert_eq!(debian.short(), "9.2p1");
        assert!(!debian.agent_refuses_forwarded_providers());
        assert!(!debian.supports(TokenKeyType::Ed25519));

        let win81 = OpenSshVersion::parse("OpenSSH_for_Windows_8.1p1, LibreSSL 3.0.2").unwrap();
        assert!(win81.windows);
        assert!(!win81.agent_loads_providers());
        let win95 = OpenSshVersion::parse("OpenSSH_for_Windows_9.5p1, LibreSSL 3.8.2").unwrap();
        assert!(win95.agent_loads_providers() && win95.agent_refuses_forwarded_providers());

        let recent = OpenSshVersion::parse("OpenSSH_10.1p1, OpenSSL 3.5.4 30 Sep 2025").unwrap();
        assert!(recent.supports(TokenKeyType::Ed25519));
        assert!(
            OpenSshVersion::parse("OpenSSH_9.3p2")
                .unwrap()
                .agent_refuses_forwarded_providers()
        );
        assert!(
            !OpenSshVersion::parse("OpenSSH_9.3p1")
                .unwrap()
                .agent_refuses_forwarded_providers()
        );

        assert_eq!(OpenSshVersion::parse("ssh: command not found"), None);
        assert_eq!(OpenSshVersion::parse("Sun_SSH_1.1"), None);
    }
}
