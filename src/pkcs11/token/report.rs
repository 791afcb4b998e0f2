//! What the walk of a token reports: plain, serialisable data, the same in the child process
//! that loads the module and in the front ends that show it.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::pkcs11::Failure;

/// What `C_GetInfo` says about the library.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LibraryInfo {
    /// The module file loaded.
    pub path: PathBuf,
    /// The PKCS#11 version it implements, such as `2.40`.
    pub cryptoki_version: String,
    /// Its maker.
    pub manufacturer: String,
    /// Its description.
    pub description: String,
    /// Its own version.
    pub library_version: String,
}

/// A slot and the token in it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlotReport {
    /// The slot id (may change between runs; select tokens by label).
    pub id: u64,
    /// The slot's description.
    pub description: String,
    /// The slot's maker.
    pub manufacturer: String,
    /// The token in the slot, if any.
    pub token: Option<TokenReport>,
}

/// What `C_GetTokenInfo` says about a token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenReport {
    /// The label, used to select the token.
    pub label: String,
    /// The maker.
    pub manufacturer: String,
    /// The model.
    pub model: String,
    /// The serial number.
    pub serial: String,
    /// Whether the token has been initialised.
    pub initialized: bool,
    /// Whether private objects and keys need a user login.
    pub login_required: bool,
    /// Whether the PIN is typed on a reader's own keypad.
    pub protected_authentication_path: bool,
    /// Whether the user PIN is locked.
    pub user_pin_locked: bool,
    /// Every flag set, by name (`login required`, `rng`, `token initialized`, …).
    pub flags: Vec<String>,
}

/// A mechanism the token supports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MechanismReport {
    /// Its name, such as `CKM_SHA256_RSA_PKCS`.
    pub name: String,
    /// The smallest key size, in bits or bytes as the mechanism defines.
    pub min_key_size: u64,
    /// The largest key size.
    pub max_key_size: u64,
    /// What it can do: `sign`, `verify`, `encrypt`, `generate_key_pair`, …
    pub functions: Vec<String>,
}

/// An object on the token: a key, a certificate or data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectReport {
    /// `public key`, `private key`, `secret key`, `certificate`, `data`, …
    pub class: String,
    /// `CKA_LABEL`.
    pub label: String,
    /// `CKA_ID` in hex.
    pub id: String,
    /// `RSA`, `EC`, `AES`, … for keys.
    pub key_type: Option<String>,
    /// The key size in bits, when known.
    pub bits: Option<u32>,
    /// For private keys: whether they may sign (`CKA_SIGN`).
    pub can_sign: Option<bool>,
    /// For certificates: the subject.
    pub subject: Option<String>,
}

/// A public key on a token as an `authorized_keys` line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicKeyLine {
    /// The slot holding the token.
    pub slot: u64,
    /// The token's label.
    pub token: String,
    /// `CKA_LABEL` of the key object or certificate (the comment of a key object's line).
    pub label: String,
    /// `CKA_ID` in hex.
    pub id: String,
    /// The line, as `ssh-keygen -D` prints it.
    pub line: String,
    /// `SHA256:` fingerprint, as `ssh-keygen -l` prints it.
    pub fingerprint: String,
    /// `RSA` or `ECDSA`.
    pub key_type: String,
    /// The key size in bits.
    pub bits: u32,
    /// Whether it came from a certificate object rather than a public key object.
    pub from_certificate: bool,
}

/// The result of signing a test message with one private key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignTest {
    /// `CKA_LABEL` of the private key.
    pub label: String,
    /// `CKA_ID` in hex.
    pub id: String,
    /// `RSA` or `EC`.
    pub key_type: String,
    /// The mechanism used, such as `CKM_SHA256_RSA_PKCS`.
    pub mechanism: String,
    /// The signature length in bytes (0 when signing failed).
    pub signature_len: usize,
    /// Whether the signature verified with the matching public key, in software.
    pub verified: bool,
    /// Why it failed or could not be verified.
    pub failure: Option<Failure>,
    /// The time the token took to sign, in milliseconds.
    pub sign_ms: u64,
}

/// How the login went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LoginState {
    /// Logged in as the user with the PIN given.
    LoggedIn,
    /// The token does not ask for a login.
    NotRequired,
    /// The token asks for a login and no PIN was given: only public objects are visible.
    NoPin,
}
