//! Certificates of a capture issued again under throwaway keys.
//!
//! A captured certificate keeps everything but its key and signature: its subject, issuer,
//! serial number, extensions (the key identifiers included) and signature algorithm, and
//! its validity moved by the time since the capture, so that it is exactly as old, or as
//! expired, as it was then. Its new key is of the same type and size (RSA of the same
//! length, the same curve, Ed25519), and its issuer's new key signs it with the same hash.
//! The issuer of the top of a chain, when the chain does not hold it, is a throwaway CA of
//! the same name and key identifier.

use openssl::asn1::{Asn1Integer, Asn1Time};
use openssl::bn::BigNum;
use openssl::ec::{EcGroup, EcKey};
use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::pkey::{PKey, Private};
use openssl::rsa::Rsa;
use openssl::sign::Signer;
use openssl::x509::extension::{BasicConstraints, ExtendedKeyUsage, KeyUsage};
use openssl::x509::{X509, X509Builder, X509Extension, X509Name};
use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time};

use super::ReplayError;
use crate::identity::der::{self, Element, TAG_CONTEXT_0, TAG_SEQUENCE};

/// DER tag of BIT STRING.
const TAG_BIT_STRING: u8 = 0x03;
/// DER tag of UTCTime.
const TAG_UTC_TIME: u8 = 0x17;
/// DER tag of GeneralizedTime.
const TAG_GENERALIZED_TIME: u8 = 0x18;

/// A certificate and the throwaway key that belongs to it.
#[derive(Clone)]
pub(crate) struct KeyedCert {
    /// The certificate, DER.
    pub der: Vec<u8>,
    /// Its private key.
    pub key: PKey<Private>,
}

fn broken(what: &str) -> ReplayError {
    ReplayError::Certificate(what.to_owned())
}

/// One DER element, tag and contents, as it is encoded.
pub(crate) fn encode(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes: Vec<u8> = len.to_be_bytes().into_iter().skip_while(|&b| b == 0).collect();
        out.push(0x80 | bytes.len() as u8);
        out.extend_from_slice(&bytes);
    }
    out.extend_from_slice(content);
    out
}

fn encoded(element: &Element<'_>) -> Vec<u8> {
    encode(element.tag, element.content)
}

/// The parts of a certificate this module reads and changes.
struct Parsed<'a> {
    /// The TBSCertificate's elements, in order.
    tbs: Vec<Element<'a>>,
    /// Where the subjectPublicKeyInfo is among them.
    spki_index: usize,
    /// The outer signature algorithm, encoded.
    signature_algorithm: Vec<u8>,
}

impl<'a> Parsed<'a> {
    fn of(cert: &'a [u8]) -> Result<Self, ReplayError> {
        let (outer, _) = der::expect(cert, TAG_SEQUENCE).ok_or_else(|| broken("a certificate is not DER"))?;
        let parts: Vec<Element<'a>> = der::children(outer).collect();
        let [tbs, algorithm, _signature] = parts.as_slice() else {
            return Err(broken("a certificate does not have three parts"));
        };
        if tbs.tag != TAG_SEQUENCE {
            return Err(broken("a certificate's body is not a SEQUENCE"));
        }
        let fields: Vec<Element<'a>> = der::children(tbs.content).collect();
        let first = usize::from(fields.first().is_some_and(|f| f.tag == TAG_CONTEXT_0));
        // serial, signature, issuer, validity, subject, subjectPublicKeyInfo
        let spki_index = first + 5;
        if fields.len() <= spki_index {
            return Err(broken("a certificate's body is too short"));
        }
        Ok(Parsed {
            tbs: fields,
            spki_index,
            signature_algorithm: encoded(algorithm),
        })
    }

    fn issuer(&self) -> &[u8] {
        self.tbs[self.spki_index - 3].content
    }

    fn subject(&self) -> &[u8] {
        self.tbs[self.spki_index - 1].content
    }

    fn spki(&self) -> Vec<u8> {
        encoded(&self.tbs[self.spki_index])
    }

    fn validity(&self) -> &Element<'a> {
        &self.tbs[self.spki_index - 2]
    }
}

/// A name's DER (the SEQUENCE around its contents).
fn name_der(content: &[u8]) -> Vec<u8> {
    encode(TAG_SEQUENCE, content)
}

/// The subject's name, DER.
pub(crate) fn subject_of(cert: &[u8]) -> Result<Vec<u8>, ReplayError> {
    Ok(name_der(Parsed::of(cert)?.subject()))
}

/// The issuer's name, DER.
pub(crate) fn issuer_of(cert: &[u8]) -> Result<Vec<u8>, ReplayError> {
    Ok(name_der(Parsed::of(cert)?.issuer()))
}

/// The largest RSA key a replay makes: a capture naming a larger one (which would take
/// minutes to make) is refused.
pub(crate) const MAX_RSA_BITS: u32 = 8192;

/// The longest chain a replay issues again.
pub(crate) const MAX_CHAIN: usize = 8;

/// A new key of the type and size of the public key in `spki` (DER).
fn key_like(spki: &[u8]) -> Result<PKey<Private>, ReplayError> {
    let public = PKey::public_key_from_der(spki).map_err(ReplayError::OpenSsl)?;
    let key = match public.id() {
        openssl::pkey::Id::RSA if public.bits() > MAX_RSA_BITS => {
            return Err(ReplayError::Certificate(format!(
                "an RSA key of {} bits (a replay makes keys of at most {MAX_RSA_BITS} bits)",
                public.bits()
            )));
        }
        openssl::pkey::Id::RSA => PKey::from_rsa(Rsa::generate(public.bits()).map_err(ReplayError::OpenSsl)?),
        openssl::pkey::Id::EC => {
            let ec = public.ec_key().map_err(ReplayError::OpenSsl)?;
            let curve = ec
                .group()
                .curve_name()
                .ok_or_else(|| broken("an elliptic-curve key on an unnamed curve"))?;
            let group = EcGroup::from_curve_name(curve).map_err(ReplayError::OpenSsl)?;
            PKey::from_ec_key(EcKey::generate(&group).map_err(ReplayError::OpenSsl)?)
        }
        openssl::pkey::Id::ED25519 => PKey::generate_ed25519(),
        _ => return Err(broken("a key type other than RSA, ECDSA or Ed25519")),
    };
    key.map_err(ReplayError::OpenSsl)
}

/// The hash a signature algorithm (an encoded AlgorithmIdentifier) uses; `None` for Ed25519.
fn digest_of(algorithm: &[u8]) -> Result<Option<MessageDigest>, ReplayError> {
    let (content, _) = der::expect(algorithm, TAG_SEQUENCE).ok_or_else(|| broken("a signature algorithm"))?;
    let (oid, _) = der::expect(content, der::TAG_OID).ok_or_else(|| broken("a signature algorithm's OID"))?;
    let dotted = der::oid_to_dotted(oid).unwrap_or_default();
    let digest = match dotted.as_str() {
        "1.2.840.113549.1.1.5" | "1.2.840.10045.4.1" => MessageDigest::sha1(),
        "1.2.840.113549.1.1.11" | "1.2.840.10045.4.3.2" => MessageDigest::sha256(),
        "1.2.840.113549.1.1.12" | "1.2.840.10045.4.3.3" => MessageDigest::sha384(),
        "1.2.840.113549.1.1.13" | "1.2.840.10045.4.3.4" => MessageDigest::sha512(),
        "1.2.840.113549.1.1.4" => MessageDigest::md5(),
        der::OID_ED25519 => return Ok(None),
        other => return Err(ReplayError::Certificate(format!("the signature algorithm {other}"))),
    };
    Ok(Some(digest))
}

/// A new key of the kind that makes a signature of `algorithm` (for an issuer the capture
/// does not hold): RSA 2048, the curve that goes with the hash, or Ed25519.
fn key_for_signature(algorithm: &[u8]) -> Result<PKey<Private>, ReplayError> {
    let (content, _) = der::expect(algorithm, TAG_SEQUENCE).ok_or_else(|| broken("a signature algorithm"))?;
    let (oid, _) = der::expect(content, der::TAG_OID).ok_or_else(|| broken("a signature algorithm's OID"))?;
    let dotted = der::oid_to_dotted(oid).unwrap_or_default();
    let curve = match dotted.as_str() {
        "1.2.840.10045.4.3.3" => Some(Nid::SECP384R1),
        "1.2.840.10045.4.3.4" => Some(Nid::SECP521R1),
        "1.2.840.10045.4.1" | "1.2.840.10045.4.3.2" => Some(Nid::X9_62_PRIME256V1),
        _ => None,
    };
    let key = match (curve, dotted.as_str()) {
        (Some(curve), _) => {
            let group = EcGroup::from_curve_name(curve).map_err(ReplayError::OpenSsl)?;
            PKey::from_ec_key(EcKey::generate(&group).map_err(ReplayError::OpenSsl)?)
        }
        (None, der::OID_ED25519) => PKey::generate_ed25519(),
        (None, _) => PKey::from_rsa(Rsa::generate(2048).map_err(ReplayError::OpenSsl)?),
    };
    key.map_err(ReplayError::OpenSsl)
}

/// Signs `tbs` (encoded) with `key` for the signature algorithm `algorithm` (encoded).
fn sign(tbs: &[u8], algorithm: &[u8], key: &PKey<Private>) -> Result<Vec<u8>, ReplayError> {
    let signature = match digest_of(algorithm)? {
        Some(digest) => {
            let mut signer = Signer::new(digest, key).map_err(ReplayError::OpenSsl)?;
            signer.update(tbs).map_err(ReplayError::OpenSsl)?;
            signer.sign_to_vec().map_err(ReplayError::OpenSsl)?
        }
        None => Signer::new_without_digest(key)
            .and_then(|mut signer| signer.sign_oneshot_to_vec(tbs))
            .map_err(ReplayError::OpenSsl)?,
    };
    let mut bits = vec![0u8];
    bits.extend_from_slice(&signature);
    let mut body = tbs.to_vec();
    body.extend_from_slice(algorithm);
    body.extend_from_slice(&encode(TAG_BIT_STRING, &bits));
    Ok(encode(TAG_SEQUENCE, &body))
}

/// A time of a certificate's validity, as seconds since 1970.
fn read_time(element: &Element<'_>) -> Result<i64, ReplayError> {
    let text = std::str::from_utf8(element.content).map_err(|_| broken("a validity time"))?;
    let digits = text
        .strip_suffix('Z')
        .ok_or_else(|| broken("a validity time not in UTC"))?;
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(broken("a validity time"));
    }
    let (year, rest) = match element.tag {
        TAG_UTC_TIME if digits.len() >= 12 => {
            let short: i32 = digits[..2].parse().map_err(|_| broken("a validity year"))?;
            (if short < 50 { 2000 + short } else { 1900 + short }, &digits[2..])
        }
        TAG_GENERALIZED_TIME if digits.len() >= 14 => (
            digits[..4].parse().map_err(|_| broken("a validity year"))?,
            &digits[4..],
        ),
        _ => return Err(broken("a validity time")),
    };
    let field = |at: usize| -> Result<u8, ReplayError> {
        rest.get(at..at + 2)
            .and_then(|two| two.parse().ok())
            .ok_or_else(|| broken("a validity time"))
    };
    let month = Month::try_from(field(0)?).map_err(|_| broken("a validity month"))?;
    let date = Date::from_calendar_date(year, month, field(2)?).map_err(|_| broken("a validity date"))?;
    let time = Time::from_hms(field(4)?, field(6)?, field(8)?).map_err(|_| broken("a validity time of day"))?;
    Ok(PrimitiveDateTime::new(date, time).assume_utc().unix_timestamp())
}

/// A time as DER: UTCTime until 2049, GeneralizedTime after, as RFC 5280 wants.
fn write_time(unix: i64) -> Result<Vec<u8>, ReplayError> {
    let at = OffsetDateTime::from_unix_timestamp(unix).map_err(|_| broken("a shifted validity time"))?;
    let (tag, year) = if (1950..2050).contains(&at.year()) {
        (TAG_UTC_TIME, format!("{:02}", at.year() % 100))
    } else {
        (TAG_GENERALIZED_TIME, format!("{:04}", at.year()))
    };
    let text = format!(
        "{year}{:02}{:02}{:02}{:02}{:02}Z",
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute(),
        at.second()
    );
    Ok(encode(tag, text.as_bytes()))
}

/// The validity moved by `shift` seconds.
fn shifted_validity(validity: &Element<'_>, shift: i64) -> Result<Vec<u8>, ReplayError> {
    let times: Vec<Element<'_>> = der::children(validity.content).collect();
    let [not_before, not_after] = times.as_slice() else {
        return Err(broken("a validity without two times"));
    };
    let mut body = write_time(read_time(not_before)?.saturating_add(shift))?;
    body.extend(write_time(read_time(not_after)?.saturating_add(shift))?);
    Ok(encode(TAG_SEQUENCE, &body))
}

/// `cert` with the public key of `subject_key`, its validity moved by `shift` seconds,
/// signed by `issuer_key` (or by its own new key when `issuer_key` is `None`).
fn reissue(
    cert: &[u8],
    subject_key: PKey<Private>,
    issuer_key: Option<&PKey<Private>>,
    shift: i64,
) -> Result<KeyedCert, ReplayError> {
    let parsed = Parsed::of(cert)?;
    let spki = subject_key.public_key_to_der().map_err(ReplayError::OpenSsl)?;
    let mut body = Vec::new();
    for (index, field) in parsed.tbs.iter().enumerate() {
        if index == parsed.spki_index {
            body.extend_from_slice(&spki);
        } else if index == parsed.spki_index - 2 {
            body.extend(shifted_validity(parsed.validity(), shift)?);
        } else {
            body.extend(encoded(field));
        }
    }
    let tbs = encode(TAG_SEQUENCE, &body);
    let der = sign(&tbs, &parsed.signature_algorithm, issuer_key.unwrap_or(&subject_key))?;
    Ok(KeyedCert { der, key: subject_key })
}

/// The authority key identifier's key id of `cert`, when it has one.
fn authority_key_id(cert: &[u8]) -> Option<Vec<u8>> {
    let x509 = X509::from_der(cert).ok()?;
    x509.authority_key_id().map(|id| id.as_slice().to_vec())
}

/// Whether `cert` is signed by the key in `issuer` (both DER).
pub(crate) fn signed_by(cert: &[u8], issuer: &[u8]) -> bool {
    let (Ok(cert), Ok(issuer)) = (X509::from_der(cert), X509::from_der(issuer)) else {
        return false;
    };
    issuer.public_key().and_then(|key| cert.verify(&key)).unwrap_or(false)
}

/// This time yesterday, in seconds since 1970: throwaway certificates are valid from then.
fn yesterday() -> i64 {
    OffsetDateTime::now_utc().unix_timestamp() - 86_400
}

/// A random positive serial number.
fn serial() -> Result<Asn1Integer, ReplayError> {
    let mut bytes = [0u8; 16];
    openssl::rand::rand_bytes(&mut bytes).map_err(ReplayError::OpenSsl)?;
    bytes[0] &= 0x7F;
    BigNum::from_slice(&bytes)
        .and_then(|n| n.to_asn1_integer())
        .map_err(ReplayError::OpenSsl)
}

/// A throwaway self-signed CA named `name` (DER), with `key_id` as its subject key
/// identifier when given, and a key of the kind that signs with `algorithm`.
pub(crate) fn throwaway_ca(
    name: &[u8],
    key_id: Option<&[u8]>,
    algorithm: Option<&[u8]>,
) -> Result<KeyedCert, ReplayError> {
    let key = match algorithm {
        Some(algorithm) => key_for_signature(algorithm)?,
        None => {
            let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).map_err(ReplayError::OpenSsl)?;
            PKey::from_ec_key(EcKey::generate(&group).map_err(ReplayError::OpenSsl)?).map_err(ReplayError::OpenSsl)?
        }
    };
    let name = X509Name::from_der(name).map_err(ReplayError::OpenSsl)?;
    let mut builder = X509Builder::new().map_err(ReplayError::OpenSsl)?;
    let build = |builder: &mut X509Builder| -> Result<(), openssl::error::ErrorStack> {
        builder.set_version(2)?;
        let serial = serial().map_err(|_| openssl::error::ErrorStack::get())?;
        builder.set_serial_number(&serial)?;
        builder.set_subject_name(&name)?;
        builder.set_issuer_name(&name)?;
        builder.set_pubkey(&key)?;
        let not_before = Asn1Time::from_unix(yesterday())?;
        let not_after = Asn1Time::days_from_now(3650)?;
        builder.set_not_before(&not_before)?;
        builder.set_not_after(&not_after)?;
        builder.append_extension(BasicConstraints::new().critical().ca().build()?)?;
        builder.append_extension(KeyUsage::new().critical().key_cert_sign().crl_sign().build()?)?;
        if let Some(id) = key_id {
            let hex: Vec<String> = id.iter().map(|b| format!("{b:02X}")).collect();
            #[allow(deprecated)]
            let extension = X509Extension::new_nid(None, None, Nid::SUBJECT_KEY_IDENTIFIER, &hex.join(":"))?;
            builder.append_extension(extension)?;
        }
        Ok(())
    };
    build(&mut builder).map_err(ReplayError::OpenSsl)?;
    let digest = if key.id() == openssl::pkey::Id::ED25519 {
        MessageDigest::null()
    } else {
        MessageDigest::sha256()
    };
    builder.sign(&key, digest).map_err(ReplayError::OpenSsl)?;
    let der = builder.build().to_der().map_err(ReplayError::OpenSsl)?;
    Ok(KeyedCert { der, key })
}

/// A throwaway client certificate named `subject` (DER), issued by `ca`.
pub(crate) fn throwaway_client(subject: &[u8], ca: &KeyedCert) -> Result<KeyedCert, ReplayError> {
    let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).map_err(ReplayError::OpenSsl)?;
    let key =
        PKey::from_ec_key(EcKey::generate(&group).map_err(ReplayError::OpenSsl)?).map_err(ReplayError::OpenSsl)?;
    let issuer = X509::from_der(&ca.der).map_err(ReplayError::OpenSsl)?;
    let subject = X509Name::from_der(subject).map_err(ReplayError::OpenSsl)?;
    let mut builder = X509Builder::new().map_err(ReplayError::OpenSsl)?;
    let build = |builder: &mut X509Builder| -> Result<(), openssl::error::ErrorStack> {
        builder.set_version(2)?;
        let serial = serial().map_err(|_| openssl::error::ErrorStack::get())?;
        builder.set_serial_number(&serial)?;
        builder.set_subject_name(&subject)?;
        builder.set_issuer_name(issuer.subject_name())?;
        builder.set_pubkey(&key)?;
        let not_before = Asn1Time::from_unix(yesterday())?;
        let not_after = Asn1Time::days_from_now(365)?;
        builder.set_not_before(&not_before)?;
        builder.set_not_after(&not_after)?;
        builder.append_extension(BasicConstraints::new().build()?)?;
        builder.append_extension(KeyUsage::new().critical().digital_signature().build()?)?;
        builder.append_extension(ExtendedKeyUsage::new().client_auth().build()?)?;
        Ok(())
    };
    build(&mut builder).map_err(ReplayError::OpenSsl)?;
    let digest = if ca.key.id() == openssl::pkey::Id::ED25519 {
        MessageDigest::null()
    } else {
        MessageDigest::sha256()
    };
    builder.sign(&ca.key, digest).map_err(ReplayError::OpenSsl)?;
    let der = builder.build().to_der().map_err(ReplayError::OpenSsl)?;
    Ok(KeyedCert { der, key })
}

/// New keys of the types and sizes of the certificates of `chain`, made at the same time (an
/// RSA key takes tens of milliseconds).
pub(crate) fn keys_like(chain: &[Vec<u8>]) -> Result<Vec<PKey<Private>>, ReplayError> {
    if chain.len() > MAX_CHAIN {
        return Err(ReplayError::Certificate(format!(
            "a chain of {} certificates (a replay issues at most {MAX_CHAIN})",
            chain.len()
        )));
    }
    let spkis = chain
        .iter()
        .map(|cert| Parsed::of(cert).map(|parsed| parsed.spki()))
        .collect::<Result<Vec<_>, _>>()?;
    std::thread::scope(|scope| {
        let mut makers = Vec::with_capacity(spkis.len());
        for spki in &spkis {
            let maker = std::thread::Builder::new()
                .name("fxconfig-replay-key".into())
                .spawn_scoped(scope, move || key_like(spki))
                .map_err(ReplayError::Spawn)?;
            makers.push(maker);
        }
        makers
            .into_iter()
            .map(|maker| maker.join().map_err(|_| broken("a key: its thread stopped"))?)
            .collect()
    })
}

/// A captured chain (end entity first) issued again with `keys` (one per certificate, from
/// [`keys_like`]): each certificate signed by the next one's new key; the top by `anchor` (the
/// issuer the chain does not hold), or by itself when it is self-signed.
pub(crate) fn reissue_with_keys(
    chain: &[Vec<u8>],
    mut keys: Vec<PKey<Private>>,
    anchor: Option<&KeyedCert>,
    shift: i64,
) -> Result<Vec<KeyedCert>, ReplayError> {
    if keys.len() != chain.len() {
        return Err(broken("a chain and its keys"));
    }
    let mut issued: Vec<KeyedCert> = Vec::with_capacity(chain.len());
    // From the top down, so each issuer's key is known.
    for (index, cert) in chain.iter().enumerate().rev() {
        let key = keys.pop().ok_or_else(|| broken("a chain"))?;
        let self_signed = subject_of(cert)? == issuer_of(cert)?;
        let issuer_key = if index + 1 < chain.len() {
            issued.last().map(|above| &above.key)
        } else if self_signed {
            None
        } else {
            anchor.map(|anchor| &anchor.key)
        };
        issued.push(reissue(cert, key, issuer_key, shift)?);
    }
    issued.reverse();
    Ok(issued)
}

/// A captured chain (end entity first) issued again under new keys of its own types (see
/// [`reissue_with_keys`]).
pub(crate) fn reissue_chain(
    chain: &[Vec<u8>],
    anchor: Option<&KeyedCert>,
    shift: i64,
) -> Result<Vec<KeyedCert>, ReplayError> {
    reissue_with_keys(chain, keys_like(chain)?, anchor, shift)
}

/// The CA that issued the top of `chain` in the capture, made again: a captured root
/// (`roots`) when its name matches and its key signed it, issued again with a new key; else
/// a throwaway CA of the same name and key identifier (another CA than the roots, when the
/// roots' key did not sign it).
pub(crate) fn anchor_for(top: &[u8], roots: &[Vec<u8>], shift: i64) -> Result<(KeyedCert, bool), ReplayError> {
    let issuer = issuer_of(top)?;
    for root in roots {
        if subject_of(root)? == issuer && signed_by(top, root) {
            let reissued = reissue_chain(std::slice::from_ref(root), None, shift)?;
            return reissued
                .into_iter()
                .next()
                .map(|root| (root, true))
                .ok_or_else(|| broken("a root"));
        }
    }
    let algorithm = Parsed::of(top)?.signature_algorithm;
    let ca = throwaway_ca(&issuer, authority_key_id(top).as_deref(), Some(&algorithm))?;
    Ok((ca, false))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn time(tag: u8, text: &str) -> Result<i64, ReplayError> {
        read_time(&Element {
            tag,
            content: text.as_bytes(),
        })
    }

    #[test]
    fn validity_times_read_and_write_back_the_same() {
        let unix = time(TAG_UTC_TIME, "261208025412Z").unwrap();
        assert_eq!(write_time(unix).unwrap(), encode(TAG_UTC_TIME, b"261208025412Z"));
        let late = time(TAG_GENERALIZED_TIME, "20610101000000Z").unwrap();
        assert_eq!(
            write_time(late).unwrap(),
            encode(TAG_GENERALIZED_TIME, b"20610101000000Z")
        );
        assert_eq!(time(TAG_UTC_TIME, "500101000000Z").unwrap(), -631_152_000);
    }

    #[test]
    fn malformed_times_and_certificates_are_errors_not_panics() {
        for text in [
            "",
            "Z",
            "2612080254Z",
            "26120802541\u{e9}Z",
            "261308025412Z",
            "26120802541xZ",
            "\u{e9}\u{e9}1208025412Z",
        ] {
            assert!(time(TAG_UTC_TIME, text).is_err(), "{text:?}");
        }
        assert!(time(TAG_GENERALIZED_TIME, "2026120802541").is_err());
        for bytes in [&b""[..], b"\x30", b"\x30\x00", b"\x30\x03\x02\x01\x00", b"\x04\x00"] {
            assert!(Parsed::of(bytes).is_err(), "{bytes:?}");
        }
    }
}
