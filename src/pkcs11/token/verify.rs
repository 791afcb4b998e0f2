//! Checking the sign test's signatures in software, with the public key object of the same
//! `CKA_ID`: RSA PKCS #1 v1.5 over SHA-256, and ECDSA on P-256, P-384 (ring) and P-521
//! (RustCrypto, which ring lacks).

use ssh_key::public::KeyData;

use super::{KeyAttributes, ssh_key_data};
use crate::identity::der::NamedCurve;

/// The DER DigestInfo of a SHA-256 digest, as PKCS #1 v1.5 signs it.
pub(super) fn sha256_digest_info(message: &[u8]) -> Vec<u8> {
    const PREFIX: [u8; 19] = [
        0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04,
        0x20,
    ];
    let digest = ring::digest::digest(&ring::digest::SHA256, message);
    let mut info = PREFIX.to_vec();
    info.extend_from_slice(digest.as_ref());
    info
}

/// Verifies a test signature with ring.
pub(super) fn verify(public: &KeyAttributes, rsa: bool, message: &[u8], signature: &[u8]) -> Result<(), String> {
    use ring::signature;
    if rsa {
        let (Some(n), Some(e)) = (&public.modulus, &public.exponent) else {
            return Err("the public key object has no modulus or exponent".to_owned());
        };
        let bits = n.iter().skip_while(|b| **b == 0).count() * 8;
        let params = if bits >= 2048 {
            &signature::RSA_PKCS1_2048_8192_SHA256
        } else {
            &signature::RSA_PKCS1_1024_8192_SHA256_FOR_LEGACY_USE_ONLY
        };
        signature::RsaPublicKeyComponents { n, e }
            .verify(params, message, signature)
            .map_err(|_| "the RSA signature does not verify with the public key of the same CKA_ID".to_owned())
    } else {
        let Some(KeyData::Ecdsa(point)) = ssh_key_data(public) else {
            return Err("the public key object has no usable EC point".to_owned());
        };
        let (algorithm, signature): (&dyn signature::VerificationAlgorithm, Vec<u8>) = match point.curve() {
            ssh_key::EcdsaCurve::NistP256 => (&signature::ECDSA_P256_SHA256_FIXED, signature.to_vec()),
            ssh_key::EcdsaCurve::NistP384 => (&signature::ECDSA_P384_SHA256_ASN1, fixed_to_der(signature)),
            ssh_key::EcdsaCurve::NistP521 => return verify_p521(point.as_sec1_bytes(), message, signature),
        };
        signature::UnparsedPublicKey::new(algorithm, point.as_sec1_bytes())
            .verify(message, &signature)
            .map_err(|_| "the ECDSA signature does not verify with the public key of the same CKA_ID".to_owned())
    }
}

/// The digest a `CKM_ECDSA` test signs: SHA-512 for P-521 (whose verifiers refuse a digest
/// shorter than half the field, as SHA-256 is), SHA-256 for the other curves.
pub(super) fn ecdsa_digest_for(curve_params: Option<&[u8]>) -> &'static ring::digest::Algorithm {
    if curve_params
        .and_then(NamedCurve::from_parameters)
        .and_then(|curve| curve.ssh)
        == Some(ssh_key::EcdsaCurve::NistP521)
    {
        &ring::digest::SHA512
    } else {
        &ring::digest::SHA256
    }
}

/// Verifies a P-521 `CKM_ECDSA` signature (`r || s`) over the SHA-512 digest of `message`;
/// ring has no P-521, so the RustCrypto implementation does it.
fn verify_p521(sec1_point: &[u8], message: &[u8], signature: &[u8]) -> Result<(), String> {
    use p521::ecdsa::signature::hazmat::PrehashVerifier;
    let key = p521::ecdsa::VerifyingKey::from_sec1_bytes(sec1_point)
        .map_err(|_| "the P-521 public key object does not hold a valid curve point".to_owned())?;
    let signature = p521::ecdsa::Signature::from_slice(signature).map_err(|_| {
        format!(
            "the token returned a {}-byte signature, not a P-521 one",
            signature.len()
        )
    })?;
    let digest = ring::digest::digest(&ring::digest::SHA512, message);
    key.verify_prehash(digest.as_ref(), &signature)
        .map_err(|_| "the ECDSA signature does not verify with the public key of the same CKA_ID".to_owned())
}

/// An ECDSA signature as PKCS#11 returns it (`r || s`) in DER (`SEQUENCE { INTEGER r, INTEGER s }`).
fn fixed_to_der(signature: &[u8]) -> Vec<u8> {
    let (r, s) = signature.split_at(signature.len() / 2);
    let integer = |value: &[u8]| {
        let trimmed: Vec<u8> = value.iter().copied().skip_while(|b| *b == 0).collect();
        let mut body = if trimmed.first().is_some_and(|b| b & 0x80 != 0) || trimmed.is_empty() {
            vec![0]
        } else {
            Vec::new()
        };
        body.extend(trimmed);
        let mut out = vec![0x02];
        push_der_len(&mut out, body.len());
        out.extend(body);
        out
    };
    let mut body = integer(r);
    body.extend(integer(s));
    let mut out = vec![0x30];
    push_der_len(&mut out, body.len());
    out.extend(body);
    out
}

fn push_der_len(out: &mut Vec<u8>, len: usize) {
    if len < 0x80 {
        out.push(len as u8);
    } else {
        out.push(0x81);
        out.push((len & 0xff) as u8);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digest_info_has_the_sha256_prefix_and_length() {
        let info = sha256_digest_info(b"abc");
        assert_eq!(info.len(), 19 + 32);
        assert_eq!(&info[..2], &[0x30, 0x31]);
    }

    #[test]
    fn fixed_size_signatures_become_der_sequences_of_two_integers() {
        let mut fixed = vec![0u8; 48];
        fixed.extend([0x80u8; 48]);
        let der = fixed_to_der(&fixed);
        assert_eq!(der[0], 0x30);
        assert_eq!(&der[2..5], &[0x02, 0x01, 0x00], "a zero r is one zero byte");
        assert_eq!(&der[5..8], &[0x02, 49, 0x00], "a high bit gets a leading zero");
        assert_eq!(usize::from(der[1]), der.len() - 2);
    }
}
