//! PKCS#12 files protected the way older exporters protect them, which OpenSSL 3's
//! `pkcs12 -export` cannot write: PBES2 with the hmacWithSHA1 PRF. The bags are encrypted
//! with RustCrypto's `pkcs5`, the integrity MAC keyed by the PKCS#12 key derivation of the
//! `pkcs12` crate; the structure is written out in DER here. Tests check that
//! `openssl pkcs12 -info` opens what this writes (see [`openssl_opens`]).

use std::path::Path;
use std::process::Command;

use pkcs5::der::Encode;
use pkcs5::pbes2::{self, Pbkdf2Params, Pbkdf2Prf, Salt};

const OID_DATA: &str = "1.2.840.113549.1.7.1";
const OID_ENCRYPTED_DATA: &str = "1.2.840.113549.1.7.6";
const OID_SHROUDED_KEY_BAG: &str = "1.2.840.113549.1.12.10.1.2";
const OID_CERT_BAG: &str = "1.2.840.113549.1.12.10.1.3";
const OID_X509_CERTIFICATE: &str = "1.2.840.113549.1.9.22.1";
const OID_SHA256: &str = "2.16.840.1.101.3.4.2.1";
const OID_PBES2: &str = "1.2.840.113549.1.5.13";
const OID_PBKDF2: &str = "1.2.840.113549.1.5.12";
const OID_HMAC_WITH_SHA1: &str = "1.2.840.113549.2.7";
const OID_DES_EDE3_CBC: &str = "1.2.840.113549.3.7";

const TAG_INTEGER: u8 = 0x02;
const TAG_OCTET_STRING: u8 = 0x04;
const TAG_NULL: u8 = 0x05;
const TAG_SEQUENCE: u8 = 0x30;
const TAG_EXPLICIT_0: u8 = 0xA0;
const TAG_IMPLICIT_0: u8 = 0x80;

/// PBKDF2 iterations, as OpenSSL's default.
pub const ITERATIONS: u32 = 2048;

/// A DER element: `tag`, the definite length of `content`, `content`.
pub fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes: Vec<u8> = len.to_be_bytes().into_iter().skip_while(|&b| b == 0).collect();
        out.push(0x80 | bytes.len() as u8);
        out.extend(bytes);
    }
    out.extend_from_slice(content);
    out
}

fn seq(items: &[Vec<u8>]) -> Vec<u8> {
    tlv(TAG_SEQUENCE, &items.concat())
}

fn oid(dotted: &str) -> Vec<u8> {
    pkcs5::ObjectIdentifier::new_unwrap(dotted)
        .to_der()
        .expect("OID encodes")
}

fn octets(bytes: &[u8]) -> Vec<u8> {
    tlv(TAG_OCTET_STRING, bytes)
}

fn small_int(value: u32) -> Vec<u8> {
    let bytes = value.to_be_bytes();
    let first = bytes.iter().position(|&b| b != 0).unwrap_or(3);
    let mut content = bytes[first..].to_vec();
    if content[0] & 0x80 != 0 {
        content.insert(0, 0);
    }
    tlv(TAG_INTEGER, &content)
}

/// How a part is encrypted: PBES2 with these parameters, as an AlgorithmIdentifier.
pub struct Encryption {
    params: pbes2::Parameters,
}

impl Encryption {
    /// PBES2 with PBKDF2 hmacWithSHA1 and AES-256-CBC, as OpenSSL 1.0.x wrote `-keypbe AES-256-CBC`.
    pub fn sha1_aes256() -> Self {
        Encryption::with(
            pbes2::EncryptionScheme::Aes256Cbc { iv: [7; 16] },
            Pbkdf2Prf::HmacWithSha1,
        )
    }

    /// PBES2 with PBKDF2 hmacWithSHA1 and DES-EDE3-CBC.
    pub fn sha1_des_ede3() -> Self {
        Encryption::with(
            pbes2::EncryptionScheme::DesEde3Cbc { iv: [5; 8] },
            Pbkdf2Prf::HmacWithSha1,
        )
    }

    fn with(encryption: pbes2::EncryptionScheme, prf: Pbkdf2Prf) -> Self {
        let kdf = Pbkdf2Params {
            salt: Salt::new([3u8; 16]).expect("salt"),
            iteration_count: ITERATIONS,
            key_length: None,
            prf,
        };
        Encryption {
            params: pbes2::Parameters {
                kdf: kdf.into(),
                encryption,
            },
        }
    }

    fn algorithm(&self) -> Vec<u8> {
        pkcs5::EncryptionScheme::from(self.params.clone())
            .to_der()
            .expect("PBES2 parameters encode")
    }

    fn encrypt(&self, password: &str, plain: &[u8]) -> Vec<u8> {
        self.params.encrypt(password, plain).expect("pkcs5 encrypts")
    }
}

/// A shrouded key bag holding `pkcs8` encrypted with `encryption`.
pub fn key_bag(pkcs8: &[u8], encryption: &Encryption, password: &str) -> Vec<u8> {
    let info = seq(&[encryption.algorithm(), octets(&encryption.encrypt(password, pkcs8))]);
    seq(&[oid(OID_SHROUDED_KEY_BAG), tlv(TAG_EXPLICIT_0, &info)])
}

/// A shrouded key bag whose PBES2 parameters name DES-EDE3-CBC with an IV of `iv_len`
/// bytes (8 is right), over bytes that are no key.
pub fn key_bag_with_des_iv(iv_len: usize) -> Vec<u8> {
    let kdf = seq(&[
        oid(OID_PBKDF2),
        seq(&[
            octets(&[3; 16]),
            small_int(ITERATIONS),
            seq(&[oid(OID_HMAC_WITH_SHA1), vec![TAG_NULL, 0]]),
        ]),
    ]);
    let cipher = seq(&[oid(OID_DES_EDE3_CBC), octets(&vec![5; iv_len])]);
    let algorithm = seq(&[oid(OID_PBES2), seq(&[kdf, cipher])]);
    let info = seq(&[algorithm, octets(&[0x42; 32])]);
    seq(&[oid(OID_SHROUDED_KEY_BAG), tlv(TAG_EXPLICIT_0, &info)])
}

/// A certificate bag holding the DER certificate `cert`.
pub fn cert_bag(cert: &[u8]) -> Vec<u8> {
    let value = seq(&[oid(OID_X509_CERTIFICATE), tlv(TAG_EXPLICIT_0, &octets(cert))]);
    seq(&[oid(OID_CERT_BAG), tlv(TAG_EXPLICIT_0, &value)])
}

/// A ContentInfo holding `bags` in the clear (the private key's bag is encrypted itself).
pub fn plain_safe(bags: &[Vec<u8>]) -> Vec<u8> {
    seq(&[oid(OID_DATA), tlv(TAG_EXPLICIT_0, &octets(&seq(bags)))])
}

/// A ContentInfo holding `bags` encrypted with `encryption`.
pub fn encrypted_safe(bags: &[Vec<u8>], encryption: &Encryption, password: &str) -> Vec<u8> {
    let content = seq(&[
        oid(OID_DATA),
        encryption.algorithm(),
        tlv(TAG_IMPLICIT_0, &encryption.encrypt(password, &seq(bags))),
    ]);
    let encrypted_data = seq(&[small_int(0), content]);
    seq(&[oid(OID_ENCRYPTED_DATA), tlv(TAG_EXPLICIT_0, &encrypted_data)])
}

/// The PFX holding `safes`, with an HMAC-SHA256 integrity MAC keyed from `password`.
pub fn pfx(safes: &[Vec<u8>], password: &str) -> Vec<u8> {
    let auth_safe = seq(safes);
    let salt = [9u8; 8];
    let key = pkcs12::kdf::derive_key_utf8::<sha2::Sha256>(
        password,
        &salt,
        pkcs12::kdf::Pkcs12KeyType::Mac,
        ITERATIONS as i32,
        32,
    )
    .expect("MAC key");
    let tag = ring::hmac::sign(&ring::hmac::Key::new(ring::hmac::HMAC_SHA256, &key), &auth_safe);
    let mac_data = seq(&[
        seq(&[seq(&[oid(OID_SHA256), vec![TAG_NULL, 0]]), octets(tag.as_ref())]),
        octets(&salt),
        small_int(ITERATIONS),
    ]);
    seq(&[
        small_int(3),
        seq(&[oid(OID_DATA), tlv(TAG_EXPLICIT_0, &octets(&auth_safe))]),
        mac_data,
    ])
}

/// An identity file as an older exporter writes it: the certificates in an encrypted safe,
/// the private key in a shrouded key bag, both with `encryption`.
pub fn identity(certs: &[&[u8]], pkcs8: &[u8], encryption: &Encryption, password: &str) -> Vec<u8> {
    let cert_bags: Vec<Vec<u8>> = certs.iter().map(|cert| cert_bag(cert)).collect();
    pfx(
        &[
            encrypted_safe(&cert_bags, encryption, password),
            plain_safe(&[key_bag(pkcs8, encryption, password)]),
        ],
        password,
    )
}

/// What `openssl pkcs12 -info -noout` says of the file at `path` opened with `password`,
/// failing the test when it cannot open it.
pub fn openssl_opens(path: &Path, password: &str) -> String {
    let output = Command::new("openssl")
        .args(["pkcs12", "-info", "-noout", "-in"])
        .arg(path)
        .arg("-passin")
        .arg(format!("pass:{password}"))
        .output()
        .expect("openssl runs");
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        output.status.success(),
        "openssl pkcs12 -info cannot open {}: {said}",
        path.display()
    );
    said
}
