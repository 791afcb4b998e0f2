//! A look at a PKCS#12 file's structure without the password: which schemes
//! protect which parts, and whether the file is complete. Used to name the
//! schemes of a [`super::ClientIdentity`] and to explain why a file does not open.

use super::ca::contains;
use super::der::{
    self, DerProblem, Element, TAG_CONTEXT_0, TAG_INTEGER, TAG_OCTET_STRING, TAG_OID, TAG_SEQUENCE, children, expect,
    oid_to_dotted,
};

const OID_DATA: &str = "1.2.840.113549.1.7.1";
const OID_SIGNED_DATA: &str = "1.2.840.113549.1.7.2";
const OID_ENVELOPED_DATA: &str = "1.2.840.113549.1.7.3";
const OID_ENCRYPTED_DATA: &str = "1.2.840.113549.1.7.6";
const OID_KEY_BAG: &str = "1.2.840.113549.1.12.10.1.1";
const OID_SHROUDED_KEY_BAG: &str = "1.2.840.113549.1.12.10.1.2";
const OID_SAFE_CONTENTS_BAG: &str = "1.2.840.113549.1.12.10.1.6";
const OID_PBES2: &str = "1.2.840.113549.1.5.13";
const OID_PBKDF2: &str = "1.2.840.113549.1.5.12";
const OID_SCRYPT: &str = "1.3.6.1.4.1.11591.4.11";
const OID_PBMAC1: &str = "1.2.840.113549.1.5.14";
const OID_HMAC_WITH_SHA1: &str = "1.2.840.113549.2.7";
const OID_DES_EDE3_CBC: &str = "1.2.840.113549.3.7";

/// The block size of DES, and so the IV length of DES-EDE3-CBC.
const DES_BLOCK_LEN: usize = 8;

/// How deeply nested safe-contents bags are followed.
const MAX_BAG_DEPTH: usize = 4;

/// The most key-derivation iterations, summed over the MAC and every encrypted part
/// visible without the password, that a PKCS#12 file may ask for: about a second of
/// work. Files exported by a KMES or OpenSSL ask for a few thousand; three parts at
/// p12-keystore's own limit of 1,000,000 each still pass.
pub(crate) const MAX_WORK: u64 = 4_000_000;

/// A protection scheme found in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Scheme {
    /// Its name, such as `PBES2 (PBKDF2 hmacWithSHA256, AES-256-CBC)`.
    pub name: String,
    /// The object identifier that cannot be handled, when the scheme is not supported.
    pub unsupported_oid: Option<String>,
    /// The key-derivation iterations it asks for (for scrypt: N × r × p).
    pub work: u64,
    /// Why the scheme's parameters cannot be used, when they are malformed.
    pub malformed: Option<String>,
}

impl Scheme {
    fn supported(name: impl Into<String>) -> Self {
        Scheme {
            name: name.into(),
            unsupported_oid: None,
            work: 0,
            malformed: None,
        }
    }

    fn unsupported(name: impl Into<String>, oid: &str) -> Self {
        Scheme {
            name: name.into(),
            unsupported_oid: Some(oid.to_owned()),
            work: 0,
            malformed: None,
        }
    }

    fn with_work(mut self, work: u64) -> Self {
        self.work = work;
        self
    }

    /// The name with the unsupported OID, for error messages.
    pub fn describe(&self) -> String {
        match &self.unsupported_oid {
            Some(oid) if !self.name.contains(oid.as_str()) => format!("{} (OID {oid})", self.name),
            _ => self.name.clone(),
        }
    }
}

/// The protection of the parts of a PKCS#12 file.
#[derive(Debug, Clone, Default)]
pub(crate) struct Protection {
    /// Each protected part: what it holds ("certificates", "private key") and its scheme.
    pub parts: Vec<(&'static str, Scheme)>,
    /// The integrity (MAC) scheme; `None` for a file without MAC.
    pub mac: Option<Scheme>,
}

impl Protection {
    /// The first scheme that cannot be handled, MAC first (it is checked first).
    pub fn first_unsupported(&self) -> Option<&Scheme> {
        self.mac
            .iter()
            .chain(self.parts.iter().map(|(_, scheme)| scheme))
            .find(|scheme| scheme.unsupported_oid.is_some())
    }

    /// The key-derivation iterations opening the file takes, as far as they can be seen
    /// without the password (parts inside an encrypted part are not visible).
    pub fn work(&self) -> u64 {
        self.mac
            .iter()
            .chain(self.parts.iter().map(|(_, scheme)| scheme))
            .fold(0u64, |total, scheme| total.saturating_add(scheme.work))
    }

    /// Why the parameters of a scheme cannot be used, for the first malformed one: checked
    /// before the file is decrypted, because the PKCS#5 decoder does not bound-check them all.
    pub fn first_malformed(&self) -> Option<String> {
        self.parts.iter().find_map(|(what, scheme)| {
            scheme
                .malformed
                .as_ref()
                .map(|problem| format!("the encryption of its {what} is malformed ({problem})"))
        })
    }

    /// One line per distinct part and scheme, such as `private key: pbeWithSHA1And3-KeyTripleDES-CBC`,
    /// ending with the MAC, such as `MAC: HMAC-SHA256`.
    pub fn summary(&self) -> Vec<String> {
        let mut lines: Vec<String> = Vec::new();
        let parts = self
            .parts
            .iter()
            .map(|(what, scheme)| format!("{what}: {}", scheme.name));
        let mac = self.mac.iter().map(|scheme| format!("MAC: {}", scheme.name));
        for line in parts.chain(mac) {
            if !lines.contains(&line) {
                lines.push(line);
            }
        }
        lines
    }
}

fn oid_of(element: Element<'_>) -> Option<String> {
    (element.tag == TAG_OID)
        .then(|| oid_to_dotted(element.content))
        .flatten()
}

/// Splits a ContentInfo (or SafeBag) SEQUENCE's contents into its type OID and the
/// contents of its `[0] EXPLICIT` value.
fn typed_value(content: &[u8]) -> Option<(String, &[u8])> {
    let mut items = children(content);
    let oid = oid_of(items.next()?)?;
    let value = items.next().filter(|item| item.tag == TAG_CONTEXT_0)?;
    Some((oid, value.content))
}

/// Reads the protection schemes of a PKCS#12 file; parts it cannot read are left out.
pub(crate) fn scan(bytes: &[u8]) -> Protection {
    let mut protection = Protection::default();
    let Some((pfx, _)) = expect(bytes, TAG_SEQUENCE) else {
        return protection;
    };
    let mut items = children(pfx);
    let _version = items.next();
    let Some(auth_safe) = items.next().filter(|item| item.tag == TAG_SEQUENCE) else {
        return protection;
    };
    protection.mac = items
        .next()
        .filter(|item| item.tag == TAG_SEQUENCE)
        .and_then(|mac| mac_scheme(mac.content));
    let Some((content_type, value)) = typed_value(auth_safe.content) else {
        return protection;
    };
    if content_type != OID_DATA {
        let scheme = if content_type == OID_SIGNED_DATA {
            Scheme::unsupported("public-key integrity mode (signedData)", &content_type)
        } else {
            Scheme::unsupported(format!("content type {content_type}"), &content_type)
        };
        protection.parts.push(("contents", scheme));
        return protection;
    }
    let Some((safes, _)) = expect(value, TAG_OCTET_STRING).and_then(|(octets, _)| expect(octets, TAG_SEQUENCE)) else {
        return protection;
    };
    for safe in children(safes).filter(|safe| safe.tag == TAG_SEQUENCE) {
        let Some((content_type, value)) = typed_value(safe.content) else {
            continue;
        };
        match content_type.as_str() {
            OID_DATA => {
                if let Some((bags, _)) =
                    expect(value, TAG_OCTET_STRING).and_then(|(octets, _)| expect(octets, TAG_SEQUENCE))
                {
                    scan_bags(bags, 0, &mut protection);
                }
            }
            OID_ENCRYPTED_DATA => {
                if let Some(scheme) = encrypted_data_scheme(value) {
                    protection.parts.push(("certificates", scheme));
                }
            }
            OID_ENVELOPED_DATA => protection.parts.push((
                "contents",
                Scheme::unsupported("public-key privacy mode (envelopedData)", &content_type),
            )),
            _ => protection.parts.push((
                "contents",
                Scheme::unsupported(format!("content type {content_type}"), &content_type),
            )),
        }
    }
    protection
}

/// EncryptedData ::= SEQUENCE { version, EncryptedContentInfo ::= SEQUENCE { type, AlgorithmIdentifier, … } }
fn encrypted_data_scheme(value: &[u8]) -> Option<Scheme> {
    let (encrypted_data, _) = expect(value, TAG_SEQUENCE)?;
    let mut items = children(encrypted_data);
    let _version = items.next().filter(|item| item.tag == TAG_INTEGER)?;
    let info = items.next().filter(|item| item.tag == TAG_SEQUENCE)?;
    let mut info_items = children(info.content);
    let _content_type = info_items.next()?;
    let algorithm = info_items.next().filter(|item| item.tag == TAG_SEQUENCE)?;
    Some(encryption_scheme(algorithm.content))
}

fn scan_bags(bags: &[u8], depth: usize, protection: &mut Protection) {
    for bag in children(bags).filter(|bag| bag.tag == TAG_SEQUENCE) {
        let Some((bag_type, value)) = typed_value(bag.content) else {
            continue;
        };
        match bag_type.as_str() {
            OID_KEY_BAG => protection
                .parts
                .push(("private key", Scheme::supported("none (unencrypted)"))),
            OID_SHROUDED_KEY_BAG => {
                let algorithm = expect(value, TAG_SEQUENCE)
                    .and_then(|(info, _)| expect(info, TAG_SEQUENCE))
                    .map(|(algorithm, _)| encryption_scheme(algorithm));
                if let Some(scheme) = algorithm {
                    protection.parts.push(("private key", scheme));
                }
            }
            OID_SAFE_CONTENTS_BAG if depth < MAX_BAG_DEPTH => {
                if let Some((nested, _)) = expect(value, TAG_SEQUENCE) {
                    scan_bags(nested, depth + 1, protection);
                }
            }
            _ => {}
        }
    }
}

/// Names an AlgorithmIdentifier (its SEQUENCE contents) used to encrypt a part.
fn encryption_scheme(algorithm: &[u8]) -> Scheme {
    let mut items = children(algorithm);
    let Some(oid) = items.next().and_then(oid_of) else {
        return Scheme::unsupported("an unreadable algorithm identifier", "?");
    };
    let parameters = items.next();
    let pkcs12_pbe = |name: &str, supported: bool| {
        let scheme = if supported {
            Scheme::supported(name)
        } else {
            Scheme::unsupported(name, &oid)
        };
        scheme.with_work(pbe_iterations(parameters))
    };
    match oid.as_str() {
        "1.2.840.113549.1.12.1.1" => pkcs12_pbe("pbeWithSHA1And128BitRC4", false),
        "1.2.840.113549.1.12.1.2" => pkcs12_pbe("pbeWithSHA1And40BitRC4", false),
        "1.2.840.113549.1.12.1.3" => pkcs12_pbe("pbeWithSHA1And3-KeyTripleDES-CBC", true),
        "1.2.840.113549.1.12.1.4" => pkcs12_pbe("pbeWithSHA1And2-KeyTripleDES-CBC", false),
        "1.2.840.113549.1.12.1.5" => pkcs12_pbe("pbeWithSHA1And128BitRC2-CBC", false),
        "1.2.840.113549.1.12.1.6" => pkcs12_pbe("pbeWithSHA1And40BitRC2-CBC", true),
        "1.2.840.113549.1.5.1" => pkcs12_pbe("pbeWithMD2AndDES-CBC", false),
        "1.2.840.113549.1.5.3" => pkcs12_pbe("pbeWithMD5AndDES-CBC", false),
        "1.2.840.113549.1.5.4" => pkcs12_pbe("pbeWithMD2AndRC2-CBC", false),
        "1.2.840.113549.1.5.6" => pkcs12_pbe("pbeWithMD5AndRC2-CBC", false),
        "1.2.840.113549.1.5.10" => pkcs12_pbe("pbeWithSHA1AndDES-CBC", false),
        "1.2.840.113549.1.5.11" => pkcs12_pbe("pbeWithSHA1AndRC2-CBC", false),
        OID_PBES2 => pbes2_scheme(parameters),
        _ => Scheme::unsupported(format!("unknown encryption scheme {oid}"), &oid),
    }
}

/// The iteration count of PKCS#12 PBE parameters: SEQUENCE { salt, iterations INTEGER };
/// 0 when it cannot be read (the PKCS#12 reader then refuses the parameters).
fn pbe_iterations(parameters: Option<Element<'_>>) -> u64 {
    parameters
        .filter(|params| params.tag == TAG_SEQUENCE)
        .and_then(|params| children(params.content).nth(1))
        .and_then(integer)
        .unwrap_or(0)
}

fn integer(element: Element<'_>) -> Option<u64> {
    (element.tag == TAG_INTEGER)
        .then(|| der::small_integer(element.content))
        .flatten()
}

/// PBES2-params ::= SEQUENCE { keyDerivationFunc AlgorithmIdentifier, encryptionScheme AlgorithmIdentifier }
fn pbes2_scheme(parameters: Option<Element<'_>>) -> Scheme {
    let mut unsupported: Option<String> = None;
    let mut work = 0u64;
    let mut items = parameters
        .filter(|p| p.tag == TAG_SEQUENCE)
        .map(|p| children(p.content))
        .into_iter()
        .flatten();
    let kdf = items.next().filter(|kdf| kdf.tag == TAG_SEQUENCE);
    let cipher = items.next().filter(|cipher| cipher.tag == TAG_SEQUENCE);

    let kdf_name = match kdf.map(|kdf| children(kdf.content)) {
        Some(mut kdf_items) => match kdf_items.next().and_then(oid_of).as_deref() {
            Some(OID_PBKDF2) => {
                let params = kdf_items.next().filter(|params| params.tag == TAG_SEQUENCE);
                // PBKDF2-params ::= SEQUENCE { salt, iterationCount INTEGER, keyLength OPTIONAL, prf DEFAULT }
                work = params
                    .and_then(|params| children(params.content).nth(1))
                    .and_then(integer)
                    .unwrap_or(0);
                let prf = params
                    .and_then(|params| children(params.content).find(|item| item.tag == TAG_SEQUENCE))
                    .and_then(|prf| children(prf.content).next())
                    .and_then(oid_of)
                    .unwrap_or_else(|| OID_HMAC_WITH_SHA1.to_owned());
                let prf_name = match prf.as_str() {
                    OID_HMAC_WITH_SHA1 => "hmacWithSHA1",
                    "1.2.840.113549.2.8" => "hmacWithSHA224",
                    "1.2.840.113549.2.9" => "hmacWithSHA256",
                    "1.2.840.113549.2.10" => "hmacWithSHA384",
                    "1.2.840.113549.2.11" => "hmacWithSHA512",
                    other => other,
                };
                let supported_prf = [
                    "hmacWithSHA1",
                    "hmacWithSHA224",
                    "hmacWithSHA256",
                    "hmacWithSHA384",
                    "hmacWithSHA512",
                ];
                if !supported_prf.contains(&prf_name) {
                    unsupported = Some(prf.clone());
                }
                format!("PBKDF2 {prf_name}")
            }
            Some(OID_SCRYPT) => {
                // scrypt-params ::= SEQUENCE { salt, costParameter, blockSize, parallelizationParameter, … }
                let numbers: Vec<u64> = kdf_items
                    .next()
                    .filter(|params| params.tag == TAG_SEQUENCE)
                    .map(|params| children(params.content).skip(1).take(3).filter_map(integer).collect())
                    .unwrap_or_default();
                work = numbers.iter().fold(1u64, |product, n| product.saturating_mul(*n));
                "scrypt".to_owned()
            }
            Some(other) => {
                unsupported = Some(other.to_owned());
                format!("key derivation {other}")
            }
            None => {
                unsupported = Some(OID_PBES2.to_owned());
                "unreadable key derivation".to_owned()
            }
        },
        None => {
            unsupported = Some(OID_PBES2.to_owned());
            "unreadable key derivation".to_owned()
        }
    };

    let mut cipher_items = cipher.map(|cipher| children(cipher.content)).into_iter().flatten();
    let cipher_oid = cipher_items.next().and_then(oid_of);
    let mut malformed = None;
    let cipher_name = match cipher_oid.as_deref() {
        Some(OID_DES_EDE3_CBC) => {
            let iv = cipher_items.next().filter(|iv| iv.tag == TAG_OCTET_STRING);
            let iv_len = iv.map(|iv| iv.content.len());
            if iv_len != Some(DES_BLOCK_LEN) {
                malformed = Some(match iv_len {
                    Some(len) => format!("the DES-EDE3-CBC IV is {len} bytes, not {DES_BLOCK_LEN}"),
                    None => "the DES-EDE3-CBC IV is missing".to_owned(),
                });
            }
            "DES-EDE3-CBC".to_owned()
        }
        Some("2.16.840.1.101.3.4.1.2") => "AES-128-CBC".to_owned(),
        Some("2.16.840.1.101.3.4.1.22") => "AES-192-CBC".to_owned(),
        Some("2.16.840.1.101.3.4.1.42") => "AES-256-CBC".to_owned(),
        Some("2.16.840.1.101.3.4.1.6") => "AES-128-GCM".to_owned(),
        Some("2.16.840.1.101.3.4.1.46") => "AES-256-GCM".to_owned(),
        other => {
            let (name, oid) = match other {
                Some("1.3.14.3.2.7") => ("DES-CBC".to_owned(), "1.3.14.3.2.7"),
                Some("1.2.840.113549.3.2") => ("RC2-CBC".to_owned(), "1.2.840.113549.3.2"),
                Some(oid) => (format!("cipher {oid}"), oid),
                None => ("unreadable cipher".to_owned(), OID_PBES2),
            };
            unsupported.get_or_insert_with(|| oid.to_owned());
            name
        }
    };
    Scheme {
        name: format!("PBES2 ({kdf_name}, {cipher_name})"),
        unsupported_oid: unsupported,
        work,
        malformed,
    }
}

/// MacData ::= SEQUENCE { mac DigestInfo ::= SEQUENCE { AlgorithmIdentifier, digest }, salt, iterations }
fn mac_scheme(mac_data: &[u8]) -> Option<Scheme> {
    let iterations = children(mac_data).nth(2).and_then(integer).unwrap_or(1);
    mac_digest_scheme(mac_data).map(|scheme| scheme.with_work(iterations))
}

fn mac_digest_scheme(mac_data: &[u8]) -> Option<Scheme> {
    let (digest_info, _) = expect(mac_data, TAG_SEQUENCE)?;
    let (algorithm, _) = expect(digest_info, TAG_SEQUENCE)?;
    let oid = children(algorithm).next().and_then(oid_of)?;
    let name = match oid.as_str() {
        "1.3.14.3.2.26" => "HMAC-SHA1",
        "2.16.840.1.101.3.4.2.4" => "HMAC-SHA224",
        "2.16.840.1.101.3.4.2.1" => "HMAC-SHA256",
        "2.16.840.1.101.3.4.2.2" => "HMAC-SHA384",
        "2.16.840.1.101.3.4.2.3" => "HMAC-SHA512",
        "2.16.840.1.101.3.4.2.5" => "HMAC-SHA512/224",
        "2.16.840.1.101.3.4.2.6" => "HMAC-SHA512/256",
        OID_PBMAC1 => return Some(Scheme::unsupported("PBMAC1 integrity", &oid)),
        _ => return Some(Scheme::unsupported(format!("MAC digest {oid}"), &oid)),
    };
    Some(Scheme::supported(name))
}

/// Why `bytes` are not a well-formed PKCS#12 file at the outer level, if they are not.
pub(crate) fn outer_problem(bytes: &[u8]) -> Option<String> {
    if bytes.is_empty() {
        return Some("the file is empty".into());
    }
    if contains(bytes, b"-----BEGIN ") {
        return Some("this is a PEM text file, not a binary PKCS#12 (.p12) file".into());
    }
    let outer = match der::read_element(bytes) {
        Ok((outer, rest)) if outer.tag == TAG_SEQUENCE => {
            if !rest.is_empty() {
                return Some(format!(
                    "{} unexpected bytes follow the end of the PKCS#12 data",
                    rest.len()
                ));
            }
            outer
        }
        Err(DerProblem::Truncated { declared, available }) if bytes[0] == TAG_SEQUENCE => {
            return Some(format!(
                "the file is truncated: its structure announces {declared} bytes but the file has {available}"
            ));
        }
        Err(DerProblem::IndefiniteLength) => {
            return Some("the file uses BER indefinite-length encoding, which is not supported".into());
        }
        _ if std::str::from_utf8(bytes).is_ok() => {
            return Some("it is a text file, not a binary PKCS#12 (.p12) file".into());
        }
        _ => return Some(format!("its {} bytes are not PKCS#12 data", bytes.len())),
    };
    match children(outer.content).next() {
        Some(version) if version.tag == TAG_INTEGER => match der::small_integer(version.content) {
            Some(3) => None,
            Some(0 | 1) => Some("this looks like a private key (DER), not a PKCS#12 file".into()),
            Some(other) => Some(format!(
                "it is not a PKCS#12 file (it starts with version {other}; PKCS#12 uses 3)"
            )),
            None => Some("it is not a PKCS#12 file (bad version number)".into()),
        },
        Some(first) if first.tag == TAG_SEQUENCE => {
            Some("this is a DER certificate or other DER structure, not a PKCS#12 file".into())
        }
        _ => Some("it is not a PKCS#12 file".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
        let mut out = vec![tag];
        let length = content.len();
        if length < 0x80 {
            out.push(length as u8);
        } else {
            out.extend([0x82, (length >> 8) as u8, length as u8]);
        }
        out.extend_from_slice(content);
        out
    }

    fn oid(bytes: &[u8]) -> Vec<u8> {
        tlv(TAG_OID, bytes)
    }

    const HMAC_SHA1: [u8; 8] = [0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x02, 0x07];
    const HMAC_MD5: [u8; 8] = [0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x02, 0x06];
    const AES_256_CBC: [u8; 9] = [0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x01, 0x2A];
    const DES_EDE3_CBC: [u8; 8] = [0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x03, 0x07];
    const RC2_CBC: [u8; 8] = [0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x03, 0x02];

    /// A PBES2 AlgorithmIdentifier's contents with PBKDF2 and these PRF, cipher and IV length.
    fn pbes2(prf: &[u8], cipher: &[u8], iv_len: usize) -> Vec<u8> {
        let pbkdf2 = [0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x05, 0x0C];
        let pbes2 = [0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x05, 0x0D];
        let prf = tlv(TAG_SEQUENCE, &[oid(prf), vec![0x05, 0x00]].concat());
        let kdf_params = tlv(
            TAG_SEQUENCE,
            &[tlv(TAG_OCTET_STRING, &[1; 8]), tlv(TAG_INTEGER, &[8, 0]), prf].concat(),
        );
        let kdf = tlv(TAG_SEQUENCE, &[oid(&pbkdf2), kdf_params].concat());
        let cipher = tlv(
            TAG_SEQUENCE,
            &[oid(cipher), tlv(TAG_OCTET_STRING, &vec![0; iv_len])].concat(),
        );
        let params = tlv(TAG_SEQUENCE, &[kdf, cipher].concat());
        [oid(&pbes2), params].concat()
    }

    #[test]
    fn pbes2_with_sha1_prf_and_triple_des_is_supported() {
        let sha1_aes = encryption_scheme(&pbes2(&HMAC_SHA1, &AES_256_CBC, 16));
        assert_eq!(
            sha1_aes,
            Scheme::supported("PBES2 (PBKDF2 hmacWithSHA1, AES-256-CBC)").with_work(2048)
        );
        let sha1_tdes = encryption_scheme(&pbes2(&HMAC_SHA1, &DES_EDE3_CBC, 8));
        assert_eq!(
            sha1_tdes,
            Scheme::supported("PBES2 (PBKDF2 hmacWithSHA1, DES-EDE3-CBC)").with_work(2048)
        );
    }

    #[test]
    fn a_triple_des_iv_of_the_wrong_length_is_malformed() {
        for (iv_len, problem) in [
            (4, "the DES-EDE3-CBC IV is 4 bytes, not 8"),
            (16, "the DES-EDE3-CBC IV is 16 bytes, not 8"),
        ] {
            let scheme = encryption_scheme(&pbes2(&HMAC_SHA1, &DES_EDE3_CBC, iv_len));
            assert_eq!(scheme.malformed.as_deref(), Some(problem));
            let protection = Protection {
                parts: vec![("private key", scheme)],
                mac: None,
            };
            assert_eq!(
                protection.first_malformed().as_deref(),
                Some(format!("the encryption of its private key is malformed ({problem})").as_str())
            );
        }
    }

    #[test]
    fn names_pbes2_with_unsupported_prf_and_cipher() {
        let md5 = encryption_scheme(&pbes2(&HMAC_MD5, &AES_256_CBC, 16));
        assert_eq!(md5.name, "PBES2 (PBKDF2 1.2.840.113549.2.6, AES-256-CBC)");
        assert_eq!(md5.unsupported_oid.as_deref(), Some("1.2.840.113549.2.6"));
        let rc2 = encryption_scheme(&pbes2(&HMAC_SHA1, &RC2_CBC, 8));
        assert_eq!(
            rc2.describe(),
            "PBES2 (PBKDF2 hmacWithSHA1, RC2-CBC) (OID 1.2.840.113549.3.2)"
        );
    }

    #[test]
    fn names_legacy_pkcs12_schemes() {
        let rc2_40 = oid(&[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x0C, 0x01, 0x06]);
        assert_eq!(
            encryption_scheme(&rc2_40),
            Scheme::supported("pbeWithSHA1And40BitRC2-CBC")
        );
        let with_params = [
            rc2_40.clone(),
            tlv(
                TAG_SEQUENCE,
                &[tlv(TAG_OCTET_STRING, &[7; 8]), tlv(TAG_INTEGER, &[0x0F, 0x42, 0x40])].concat(),
            ),
        ]
        .concat();
        assert_eq!(encryption_scheme(&with_params).work, 1_000_000);
        let rc4_128 = oid(&[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x0C, 0x01, 0x01]);
        assert_eq!(
            encryption_scheme(&rc4_128).unsupported_oid.as_deref(),
            Some("1.2.840.113549.1.12.1.1")
        );
    }

    #[test]
    fn outer_problems() {
        assert_eq!(outer_problem(b"").as_deref(), Some("the file is empty"));
        assert!(outer_problem(b"-----BEGIN CERTIFICATE-----\n").unwrap().contains("PEM"));
        assert!(
            outer_problem(&[0x30, 0x82, 0x10, 0x00, 0x02])
                .unwrap()
                .contains("truncated")
        );
        assert!(
            outer_problem(&[0x30, 0x03, 0x02, 0x01, 0x00])
                .unwrap()
                .contains("private key")
        );
        assert!(
            outer_problem(&[0x30, 0x03, 0x02, 0x01, 0x02])
                .unwrap()
                .contains("version 2")
        );
        assert!(outer_problem(b"hello").unwrap().contains("text file"));
        assert!(outer_problem(&[0xFF, 0xFE, 0x80]).unwrap().contains("3 bytes"));
        assert_eq!(outer_problem(&[0x30, 0x03, 0x02, 0x01, 0x03]), None);
        assert!(
            outer_problem(&[0x30, 0x03, 0x02, 0x01, 0x03, 0x00])
                .unwrap()
                .contains("1 unexpected bytes")
        );
    }
}
