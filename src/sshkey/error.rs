//! What can go wrong turning a public key into an `authorized_keys` line.

use std::io;
use std::path::PathBuf;

use crate::remedy::Explain;

/// Why a public key could not be turned into an `authorized_keys` line.
///
/// A private key given by mistake is named by its kind only: no variant carries
/// or prints any of its bytes. Other input is described rather than quoted, apart
/// from algorithm names, PEM labels and option names.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PubkeyError {
    /// The key file could not be read.
    #[error("cannot read the public key file {}", path.display())]
    Read {
        /// The file that was asked for.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: io::Error,
    },

    /// The input holds nothing but white space.
    #[error("the public key input is empty")]
    Empty,

    /// The input is not a public key in any of the accepted formats.
    #[error("not a public key: the input looks like {looked_like}")]
    NotAKey {
        /// What the input looked like instead, in words (never its content).
        looked_like: String,
        /// The parser's own complaint, when there is one.
        #[source]
        source: Option<ParseCause>,
    },

    /// The input stops before the end its own framing announces.
    #[error("the public key is cut short: {detail}")]
    Truncated {
        /// Where the input ends early.
        detail: String,
    },

    /// The input is a private key (or holds one) instead of a public key.
    #[error("this is a private key ({kind}) — give the public key exported in [3.2.9]; never copy the private key")]
    PrivateKeyGiven {
        /// The kind of private key that was recognised, such as "PKCS #8 private key".
        kind: &'static str,
    },

    /// The key uses an algorithm that cannot go into an `authorized_keys` line here.
    #[error("unsupported key algorithm {algorithm}: only RSA, ECDSA P-256/P-384/P-521 and Ed25519 are accepted")]
    UnsupportedAlgorithm {
        /// The algorithm's object identifier (with its name when known) or SSH name.
        algorithm: String,
    },

    /// The key's structure is right but its values are not a usable key.
    #[error("the public key is not valid: {reason}")]
    BadKey {
        /// What is wrong with the key.
        reason: String,
        /// The parser's own complaint, when there is one.
        #[source]
        source: Option<ParseCause>,
    },

    /// The comment cannot go at the end of an `authorized_keys` line.
    #[error("the key comment {reason}")]
    BadComment {
        /// What is wrong with the comment.
        reason: &'static str,
    },

    /// The `authorized_keys` options are not valid OpenSSH option syntax.
    #[error("invalid authorized_keys options: {reason}")]
    BadOptions {
        /// What is wrong with the options.
        reason: String,
    },
}

/// The underlying parser error behind a [`PubkeyError`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ParseCause {
    /// The PEM framing or its Base64 could not be decoded.
    #[error(transparent)]
    Pem(#[from] pem::PemError),
    /// The DER structure (PKCS #1, SubjectPublicKeyInfo, certificate) could not be decoded.
    #[error(transparent)]
    X509(#[from] x509_parser::error::X509Error),
    /// The SSH key encoding could not be decoded or encoded.
    #[error(transparent)]
    Ssh(#[from] ssh_key::Error),
    /// The Base64 body of an RFC 4716 key could not be decoded.
    #[error("invalid Base64: {0}")]
    Base64(#[from] base64ct::Error),
}

impl PubkeyError {
    pub(crate) fn not_a_key(looked_like: impl Into<String>) -> Self {
        PubkeyError::NotAKey {
            looked_like: looked_like.into(),
            source: None,
        }
    }

    pub(crate) fn bad_key(reason: impl Into<String>, source: Option<ParseCause>) -> Self {
        PubkeyError::BadKey {
            reason: reason.into(),
            source,
        }
    }
}

impl Explain for PubkeyError {
    fn remedy(&self) -> String {
        match self {
            PubkeyError::Read { .. } => "Check the path and the file's permissions; the file is the SSH Client \
                 public key exported from the KMES (Certificate Authorities → SSH Client certificate → Export → \
                 Public Key(s)...)."
                .to_owned(),
            PubkeyError::Empty => "The file is empty: export the SSH Client public key from the KMES again \
                 (Certificate Authorities → SSH Client certificate → Export → Public Key(s)...) and copy the \
                 whole file."
                .to_owned(),
            PubkeyError::NotAKey { .. } => "Give the SSH Client public key exported from the KMES (a DER file \
                 such as SSH_Client_Public.pub), or a public key in PEM, X.509 certificate, OpenSSH or RFC 4716 \
                 form."
                .to_owned(),
            PubkeyError::Truncated { .. } => "The file was cut during the copy: copy the exported public key \
                 to the SSH server again in binary mode (scp or sftp, not a text paste)."
                .to_owned(),
            PubkeyError::PrivateKeyGiven { .. } => "Delete this copy of the private key from wherever it was \
                 copied to, then export the SSH Client public key from the KMES (Export → Public Key(s)...) \
                 and use that file."
                .to_owned(),
            PubkeyError::UnsupportedAlgorithm { .. } => "Use the SSH Client key generated on the KMES (RSA); \
                 OpenSSH accepts RSA, ECDSA on NIST curves and Ed25519 keys."
                .to_owned(),
            PubkeyError::BadKey { .. } => "The key's numbers are not a usable SSH key (OpenSSH needs RSA \
                 moduli of 1024 to 16384 bits and valid curve points): export the SSH Client public key from \
                 the KMES again."
                .to_owned(),
            PubkeyError::BadComment { .. } => "Give a comment of one line of printable text, such as \
                 fxpkcs11@kmes; an authorized_keys entry is a single line."
                .to_owned(),
            PubkeyError::BadOptions { .. } => "Write the options as OpenSSH expects them before the key: \
                 comma-separated, no spaces outside double quotes, values in double quotes, for example \
                 from=\"10.0.0.0/8\",restrict (see the AUTHORIZED_KEYS section of sshd(8))."
                .to_owned(),
        }
    }

    fn guide_section(&self) -> Option<&'static str> {
        match self {
            PubkeyError::BadComment { .. } | PubkeyError::BadOptions { .. } => Some("4.1"),
            _ => Some("3.2.9"),
        }
    }
}
