//! Where a file dropped on the window belongs, decided by its extension and, when that
//! is ambiguous, by its contents. UI-free; reads the file, so the app calls it on a worker.

use std::fs::File;
use std::io::Read;
use std::path::Path;

/// The screen a dropped file is routed to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DropTarget {
    /// An `fxpkcs11.cfg`: open it.
    Config,
    /// A root CA certificate.
    Ca,
    /// A PKCS#12 client identity (asks for its password).
    Pkcs12,
    /// A public key for the SSH key screen.
    PublicKey,
    /// Nothing this app opens.
    Unknown,
}

/// How much of a file is read to recognise it.
const SNIFF_LEN: u64 = 64 * 1024;

/// Decides where `path` belongs: `.cfg` → configuration, `.p12`/`.pfx` → PKCS#12,
/// `.pub` → public key; `.pem`, `.crt`, `.cer`, `.der` and anything else by contents
/// (a PEM certificate → CA; a PEM public key, an OpenSSH or SSH2 key, or DER that is a
/// public key → public key; a DER certificate → CA; `<KMS>`/`<CONFIG>` text → configuration).
pub fn classify(path: &Path) -> DropTarget {
    let extension = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    match extension.as_str() {
        "cfg" => return DropTarget::Config,
        "p12" | "pfx" => return DropTarget::Pkcs12,
        "pub" => return DropTarget::PublicKey,
        _ => {}
    }
    let mut head = Vec::new();
    let read = File::open(path).and_then(|file| file.take(SNIFF_LEN).read_to_end(&mut head));
    if read.is_err() {
        return DropTarget::Unknown;
    }
    classify_bytes(&head)
}

/// Decides where a file with these leading bytes belongs.
pub fn classify_bytes(head: &[u8]) -> DropTarget {
    let text = String::from_utf8_lossy(head);
    if text.contains("-----BEGIN CERTIFICATE-----") {
        return DropTarget::Ca;
    }
    if text.contains("PUBLIC KEY-----")
        || text.trim_start().starts_with("ssh-")
        || text.trim_start().starts_with("ecdsa-sha2-")
        || text.contains("---- BEGIN SSH2 PUBLIC KEY ----")
    {
        return DropTarget::PublicKey;
    }
    let upper = text.to_ascii_uppercase();
    if upper.contains("<KMS>") || upper.contains("<CONFIG>") {
        return DropTarget::Config;
    }
    if head.first() == Some(&0x30) {
        if crate::identity::parse_ca(head).is_ok() {
            return DropTarget::Ca;
        }
        if crate::sshkey::render(head, None).is_ok() {
            return DropTarget::PublicKey;
        }
    }
    DropTarget::Unknown
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pki::{Authority, Lifetime};

    #[test]
    fn files_are_routed_by_extension_then_contents() {
        let dir = tempfile::tempdir().expect("temporary folder");
        let ca = Authority::new("Test CA").expect("CA");
        let client = ca.issue_client("client", Lifetime::valid_for(10)).expect("client");
        let write = |name: &str, bytes: &[u8]| {
            let path = dir.path().join(name);
            std::fs::write(&path, bytes).expect("write");
            path
        };
        assert_eq!(classify(&write("a.cfg", b"")), DropTarget::Config);
        assert_eq!(classify(&write("a.PFX", b"")), DropTarget::Pkcs12);
        assert_eq!(classify(&write("key.pub", b"")), DropTarget::PublicKey);
        assert_eq!(
            classify(&write("root.crt", ca.cert.cert_pem.as_bytes())),
            DropTarget::Ca
        );
        assert_eq!(classify(&write("root.der", &ca.cert.cert_der)), DropTarget::Ca);
        assert_eq!(classify(&write("settings.txt", b"<KMS>\n</KMS>\n")), DropTarget::Config);
        assert_eq!(classify(&write("notes.txt", b"hello")), DropTarget::Unknown);
        let (_, parsed) = x509_parser::parse_x509_certificate(&client.cert_der).expect("certificate");
        assert_eq!(
            classify(&write("client.der", parsed.tbs_certificate.subject_pki.raw)),
            DropTarget::PublicKey
        );
        assert_eq!(classify(&dir.path().join("missing.pem")), DropTarget::Unknown);
    }
}
