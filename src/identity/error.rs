//! What can go wrong with the TLS materials, and what to do about it.

use std::io;
use std::path::PathBuf;

use x509_parser::error::X509Error;

use crate::remedy::Explain;

/// Which of the two TLS files a reading error is about: it decides the remedy and the
/// guide section, whatever the file is called.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Material {
    /// The root CA certificate file (`PROD-TLS-CA`, [3.1.4]).
    RootCa,
    /// The PKCS#12 client identity (`PROD-TLS-KEY`, [3.1.7]).
    ClientIdentity,
}

impl Material {
    /// What the file should be, for size-limit messages: "a certificate file" or "a PKCS#12 file".
    pub fn file_kind(self) -> &'static str {
        match self {
            Material::RootCa => "a certificate file",
            Material::ClientIdentity => "a PKCS#12 file",
        }
    }

    /// The guide section that explains the file.
    fn guide_section(self) -> &'static str {
        match self {
            Material::RootCa => "3.1.4",
            Material::ClientIdentity => "3.1.7",
        }
    }
}

/// Why the root CA file or the PKCS#12 client identity cannot be used.
///
/// Messages never contain key material or passwords: when a file holds a
/// private key where a certificate was expected, only the kind of block found
/// (such as `PRIVATE KEY`) is named.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IdentityError {
    /// A file could not be read. Its guide section is 3.1.7 for the PKCS#12 file and
    /// 3.1.4 for the CA file, whatever their names.
    #[error("could not read {}: {source}", path.display())]
    Read {
        /// The file being read.
        path: PathBuf,
        /// Which file it is.
        material: Material,
        /// The operating system's error.
        source: io::Error,
    },

    /// The path names a named pipe, a device, a socket or a folder.
    #[error("{} is {kind}, not a regular file", path.display())]
    NotRegular {
        /// The path.
        path: PathBuf,
        /// Which file it should be.
        material: Material,
        /// What it is, such as "a named pipe (FIFO)".
        kind: &'static str,
    },

    /// The file is larger than any certificate or PKCS#12 file.
    #[error("{} is larger than {limit} bytes, far more than any certificate or PKCS#12 file", path.display())]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// Which file it should be.
        material: Material,
        /// The limit in bytes.
        limit: u64,
    },

    /// Opening the PKCS#12 file would take more key-derivation work than any genuine
    /// file needs (many encrypted parts, or huge iteration counts).
    #[error(
        "opening the PKCS#12 file would take {work} key-derivation iterations (over {limit}, more than any genuine file needs)"
    )]
    TooCostly {
        /// The iterations the file asks for, over all its encrypted parts and its MAC.
        work: u64,
        /// The limit.
        limit: u64,
    },

    /// Opening the PKCS#12 file took longer than allowed.
    #[error("opening the PKCS#12 file took longer than {seconds} s")]
    TimedOut {
        /// The time allowed, in seconds.
        seconds: u64,
    },

    /// The CA file holds no certificate at all; `found` says what it holds instead.
    #[error("the file holds no certificate; it contains {found}")]
    NoCertificate {
        /// A description of the contents, such as "a PEM block `PRIVATE KEY`"
        /// (never the contents themselves).
        found: String,
    },

    /// A certificate in the CA file cannot be parsed.
    #[error("certificate no. {} in the file is not a valid X.509 certificate: {source}", .index + 1)]
    BadCertificate {
        /// Zero-based position of the certificate in the file.
        index: usize,
        /// The parser's error.
        source: X509Error,
    },

    /// The CA file has PEM framing (`-----BEGIN …-----`) that cannot be decoded.
    #[error("the file has a damaged PEM block: {source}")]
    BadPem {
        /// The PEM decoder's error.
        source: pem::PemError,
    },

    /// The password does not open the PKCS#12 file (its integrity MAC does not verify,
    /// or, in a file without MAC, its contents do not decrypt).
    #[error("wrong password for the PKCS#12 file (its integrity check failed)")]
    WrongPassword,

    /// The PKCS#12 file is protected with an encryption or integrity scheme that
    /// cannot be opened here.
    #[error("the PKCS#12 file uses an unsupported protection scheme: {scheme}")]
    UnsupportedEncryption {
        /// The scheme's name and object identifier.
        scheme: String,
        /// The PKCS#12 reader's error.
        source: p12_keystore::error::Error,
    },

    /// The file is not a PKCS#12 file, or is damaged or truncated.
    #[error("not a usable PKCS#12 file: {reason}")]
    BadPkcs12 {
        /// What is wrong, in plain words.
        reason: String,
        /// The PKCS#12 reader's error, when it reported one.
        source: Option<p12_keystore::error::Error>,
    },

    /// The PKCS#12 file holds certificates but no private key.
    #[error("the PKCS#12 file holds certificates but no private key")]
    NoPrivateKey,

    /// The PKCS#12 file holds a private key but no certificate.
    #[error("the PKCS#12 file holds a private key but no certificate")]
    NoCertificateInP12,

    /// The private key in the PKCS#12 file does not belong to its client certificate.
    #[error("the private key in the PKCS#12 file does not match its certificate {subject}")]
    KeyMismatch {
        /// The subject of the certificate the key was expected to match.
        subject: String,
    },

    /// The private key is of a type or size the TLS library cannot use
    /// (for example RSA below 2048 bits or ECDSA P-521).
    #[error("the {key_type} private key in the PKCS#12 file cannot be used for TLS: {reason}")]
    UnsupportedKey {
        /// The key type, such as "RSA" or "ECDSA P-521".
        key_type: String,
        /// Why the key was rejected, in plain words.
        reason: String,
    },

    /// The client certificate was not issued by any certificate of the CA file.
    #[error("{}", unknown_issuer_message(subject, issuer, ca_subjects))]
    ChainUnknownIssuer {
        /// Subject of the client certificate.
        subject: String,
        /// Issuer named by the top of the client's chain.
        issuer: String,
        /// Subjects of the certificates in the CA file.
        ca_subjects: Vec<String>,
        /// The path validator's error (boxed to keep the error type small).
        source: Box<webpki::Error>,
    },

    /// A certificate of the client chain has expired.
    #[error("the certificate {subject} expired on {not_after}")]
    ChainExpired {
        /// Subject of the expired certificate.
        subject: String,
        /// Its notAfter time, RFC 3339.
        not_after: String,
        /// The path validator's error.
        source: webpki::Error,
    },

    /// A certificate of the client chain is not valid yet.
    #[error("the certificate {subject} is not valid until {not_before}")]
    ChainNotYetValid {
        /// Subject of the certificate.
        subject: String,
        /// Its notBefore time, RFC 3339.
        not_before: String,
        /// The path validator's error.
        source: webpki::Error,
    },

    /// The client certificate has an Extended Key Usage extension without `clientAuth`.
    #[error(
        "the client certificate {subject} is not allowed for TLS client authentication (its extended key usage is {})",
        ext_key_usage.join(", ")
    )]
    ChainMissingClientAuth {
        /// Subject of the client certificate.
        subject: String,
        /// The usages the certificate does allow.
        ext_key_usage: Vec<String>,
        /// The path validator's error.
        source: webpki::Error,
    },

    /// The client certificate's key usage lacks digitalSignature, which TLS client
    /// authentication needs (the client signs the handshake): servers refuse it.
    #[error(
        "the client certificate {subject} cannot sign the TLS handshake: its key usage is {} and lacks digitalSignature, so servers refuse it",
        key_usage.join(", ")
    )]
    ChainKeyUsageNoSignature {
        /// Subject of the client certificate.
        subject: String,
        /// The key usages the certificate does allow.
        key_usage: Vec<String>,
    },

    /// The chain was rejected for another reason (signature algorithm, constraints…).
    #[error("the client certificate chain was rejected: {0}")]
    ChainOther(#[source] webpki::Error),

    /// A file could not be written while copying the materials.
    #[error("could not write {}: {source}", path.display())]
    Write {
        /// The file or folder being written.
        path: PathBuf,
        /// The operating system's error.
        source: io::Error,
    },

    /// The destination already holds a different file of the same name.
    #[error("{} already exists with different contents; it was left unchanged", path.display())]
    DestinationExists {
        /// The existing file.
        path: PathBuf,
    },
}

fn unknown_issuer_message(subject: &str, issuer: &str, ca_subjects: &[String]) -> String {
    if ca_subjects.iter().any(|ca| ca == issuer) {
        format!(
            "the client certificate {subject} is issued by {issuer}; the CA file holds a CA of that name, \
             but with a different key, so it is not the CA that signed it"
        )
    } else if ca_subjects.is_empty() {
        format!("the client certificate {subject} is issued by {issuer}, but the CA file holds no certificate")
    } else {
        format!(
            "the client certificate {subject} is issued by {issuer}, but the CA file holds {}",
            ca_subjects.join("; ")
        )
    }
}

impl IdentityError {
    /// Whether the file could not be read at all (missing, unreadable, not a regular file,
    /// too large), rather than read and found wanting: the command could not run.
    pub fn is_unreadable(&self) -> bool {
        matches!(
            self,
            IdentityError::Read { .. } | IdentityError::NotRegular { .. } | IdentityError::TooLarge { .. }
        )
    }

    /// The error of reading `material`'s file.
    pub(crate) fn reading(material: Material, error: crate::files::InputError) -> IdentityError {
        use crate::files::InputError;
        match error {
            InputError::NotRegular { path, kind } => IdentityError::NotRegular { path, material, kind },
            InputError::TooLarge { path, limit, .. } => IdentityError::TooLarge { path, material, limit },
            InputError::Io { path, source } => IdentityError::Read { path, material, source },
        }
    }
}

impl Explain for IdentityError {
    fn remedy(&self) -> String {
        match self {
            IdentityError::Read {
                material: Material::ClientIdentity,
                ..
            } => "Check the path and that this user may read the file. The PKCS #12 file is the PKCS #11 client \
                 certificate exported from the KMES as PKCS #12 and copied to this machine."
                .into(),
            IdentityError::Read {
                material: Material::RootCa,
                ..
            } => "Check the path and that this user may read the file. The CA file is the \
                 root CA certificate exported from the KMES in PEM encoding and copied to this machine."
                .into(),
            IdentityError::NotRegular { .. } | IdentityError::TooLarge { .. } => "Name the certificate file itself: \
                 the root CA exported from the KMES (PEM) or the PKCS #11 client certificate exported as PKCS #12. \
                 Named pipes, devices, folders and files over 16 MiB are not read."
                .into(),
            IdentityError::TooCostly { .. } | IdentityError::TimedOut { .. } => "Export the PKCS #11 client \
                 certificate from the KMES again as PKCS12: a file it exports opens in well under a second. This \
                 file asks for far more work; do not use a PKCS #12 file of unknown origin."
                .into(),
            IdentityError::NoCertificate { .. } | IdentityError::BadPem { .. } => {
                "Choose the root CA certificate file: on the KMES, right-click the root CA under Certificate \
                 Authorities, Export > Certificate(s), encoding PEM, and copy that file here."
                    .into()
            }
            IdentityError::BadCertificate { .. } => "The certificate file is damaged. Export the root CA certificate \
                 from the KMES again (PEM encoding) and copy it here in binary mode."
                .into(),
            IdentityError::WrongPassword => "Enter the password that was chosen when the PKCS #11 client \
                 certificate was exported as PKCS #12. If it is lost, export the certificate again with a new password."
                .into(),
            IdentityError::UnsupportedEncryption { .. } => "Export the PKCS #12 file again with AES-256 protection, \
                 or convert it with OpenSSL: openssl pkcs12 -in old.p12 -legacy -nodes | openssl pkcs12 -export \
                 -out export_pkcs12.p12 (keep the intermediate output private)."
                .into(),
            IdentityError::BadPkcs12 { .. } => "Choose the .p12 file exported from the KMES. If it is the right file, \
                 it is damaged or incomplete: copy it again in binary mode, or export it again."
                .into(),
            IdentityError::NoPrivateKey => {
                "Export the PKCS #11 client certificate as PKCS12 (Export > PKCS12…), which \
                 includes its private key; a certificate-only export cannot authenticate the client."
                    .into()
            }
            IdentityError::NoCertificateInP12 => "Export the PKCS #11 client certificate again as PKCS12 with \
                 \"Export Selected\", so that the file holds the certificate together with its key."
                .into(),
            IdentityError::KeyMismatch { .. } => "The key and the certificate do not belong together. Export the \
                 PKCS #11 client certificate again from the KMES as a single PKCS12 file."
                .into(),
            IdentityError::UnsupportedKey { .. } => "Issue the PKCS #11 client certificate with an RSA key of 2048 \
                 bits or more, or an ECDSA P-256, P-384 or P-521 key, then export it again."
                .into(),
            IdentityError::ChainUnknownIssuer { .. } => "Use the root CA that signed the client certificate: export \
                 that root CA from the same KMES, or issue a new client certificate under the root CA you have."
                .into(),
            IdentityError::ChainExpired { .. } => "Issue a new PKCS #11 client certificate under the root CA and \
                 export it again as PKCS12."
                .into(),
            IdentityError::ChainNotYetValid { .. } => "Check this computer's date, time and time zone. If they are \
                 right, wait until the certificate becomes valid or issue a new one."
                .into(),
            IdentityError::ChainMissingClientAuth { .. } => "Issue the client certificate with the \"Example TLS \
                 Client Certificate\" profile, which allows TLS client authentication (extended key usage clientAuth)."
                .into(),
            IdentityError::ChainKeyUsageNoSignature { .. } => "Issue the client certificate with the \"Example TLS \
                 Client Certificate\" profile, whose key usage includes digitalSignature, and export it again."
                .into(),
            IdentityError::ChainOther(_) => "Issue the PKCS #11 client certificate again under the root CA with the \
                 \"Example TLS Client Certificate\" profile and export it again."
                .into(),
            IdentityError::Write { .. } => "Check that the destination folder exists or can be created, that this \
                 user may write there, and that the disk is not full."
                .into(),
            IdentityError::DestinationExists { .. } => "Another file of the same name is already there. Move or \
                 rename it if it is outdated, or copy the new file under another name."
                .into(),
        }
    }

    fn guide_section(&self) -> Option<&'static str> {
        Some(match self {
            IdentityError::Read { material, .. }
            | IdentityError::NotRegular { material, .. }
            | IdentityError::TooLarge { material, .. } => material.guide_section(),
            IdentityError::NoCertificate { .. }
            | IdentityError::BadPem { .. }
            | IdentityError::BadCertificate { .. }
            | IdentityError::ChainUnknownIssuer { .. } => "3.1.4",
            IdentityError::WrongPassword
            | IdentityError::UnsupportedEncryption { .. }
            | IdentityError::BadPkcs12 { .. }
            | IdentityError::TooCostly { .. }
            | IdentityError::TimedOut { .. }
            | IdentityError::NoPrivateKey
            | IdentityError::NoCertificateInP12
            | IdentityError::KeyMismatch { .. }
            | IdentityError::Write { .. }
            | IdentityError::DestinationExists { .. } => "3.1.7",
            IdentityError::UnsupportedKey { .. }
            | IdentityError::ChainExpired { .. }
            | IdentityError::ChainNotYetValid { .. }
            | IdentityError::ChainMissingClientAuth { .. }
            | IdentityError::ChainKeyUsageNoSignature { .. }
            | IdentityError::ChainOther(_) => "3.1.6",
        })
    }
}
