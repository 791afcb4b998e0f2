//! A string that must never be printed, logged or serialised in the clear.
//!
//! Passwords from `fxpkcs11.cfg` (`CRYPTO-OPR-PASS`, `PROD-TLS-KEY-PASS`) and the
//! PKCS#12 password typed by the user travel through the library as [`Secret`].
//! Its `Debug` and `Display` print a mask, and its memory is wiped on drop.

use std::fmt;
use zeroize::{Zeroize, ZeroizeOnDrop};

/// The text shown wherever a secret would otherwise appear.
pub const MASK: &str = "********";

/// A password or other secret text. Formatting it yields [`MASK`].
#[derive(Clone, Default, PartialEq, Eq, Zeroize, ZeroizeOnDrop)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The secret text, for the few places that must hand it to a cryptographic API.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// A new random password of 24 letters and digits (about 140 bits), for throwaway
    /// files such as a replay's client PKCS#12; `None` when the system's random source fails.
    pub fn random_password() -> Option<Self> {
        const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
        let mut bytes = [0u8; 24];
        ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut bytes).ok()?;
        let text: String = bytes
            .iter()
            .map(|byte| char::from(ALPHABET[usize::from(*byte) % ALPHABET.len()]))
            .collect();
        bytes.zeroize();
        Some(Secret(text))
    }

    /// Whether the secret is the empty string.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Secret(value)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Secret(value.to_owned())
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret({MASK})")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(MASK)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formatting_never_reveals_the_value() {
        let secret = Secret::new("hunter2");
        assert_eq!(format!("{secret}"), MASK);
        assert!(!format!("{secret:?}").contains("hunter2"));
        assert_eq!(secret.expose(), "hunter2");
    }
}
