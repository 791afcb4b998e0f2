//! Which token keys ssh offers, in which order: what `pubkey_prepare` in OpenSSH's
//! `sshconnect2.c` does with the keys of a `PKCS11Provider` (read for 7.4 and 9.x, and
//! checked against `sshd`'s log in the tests).
//!
//! - Token keys whose public key is also named by an `IdentityFile` come first.
//! - With `IdentitiesOnly yes`, the other token keys are dropped; without it they follow,
//!   in the token's order.
//!
//! `sshd` counts every key offered and refused against `MaxAuthTries` (6 by default) and
//! closes with "Too many authentication failures" past it.

use ssh_key::PublicKey;

/// sshd's default `MaxAuthTries`.
pub const DEFAULT_MAX_AUTH_TRIES: usize = 6;

/// A token key, by its `authorized_keys` line.
#[derive(Debug, Clone)]
pub struct OfferedKey {
    /// Its index among the token's keys.
    pub index: usize,
    /// Whether an `IdentityFile` names it.
    pub listed: bool,
}

/// Reads an OpenSSH public key line (`ssh-rsa AAAA… comment`).
pub fn parse_line(line: &str) -> Option<PublicKey> {
    PublicKey::from_openssh(line.trim()).ok()
}

/// Whether two keys are the same key (comments aside).
pub fn same_key(a: &PublicKey, b: &PublicKey) -> bool {
    a.key_data() == b.key_data()
}

/// The token keys ssh offers, in order, given the token's keys, the public keys of the
/// `IdentityFile`s, and `IdentitiesOnly`.
pub fn predict(token: &[PublicKey], identity_files: &[PublicKey], identities_only: bool) -> Vec<OfferedKey> {
    let listed = |key: &PublicKey| identity_files.iter().any(|file| same_key(file, key));
    let mut offered: Vec<OfferedKey> = token
        .iter()
        .enumerate()
        .filter(|(_, key)| listed(key))
        .map(|(index, _)| OfferedKey { index, listed: true })
        .collect();
    if !identities_only {
        offered.extend(
            token
                .iter()
                .enumerate()
                .filter(|(_, key)| !listed(key))
                .map(|(index, _)| OfferedKey { index, listed: false }),
        );
    }
    offered
}

/// Reads one SSH wire string (a 32-bit length and the bytes) off the front of `data`.
fn wire_string<'a>(data: &mut &'a [u8]) -> Option<&'a [u8]> {
    let (length, rest) = data.split_first_chunk::<4>()?;
    let length = usize::try_from(u32::from_be_bytes(*length)).ok()?;
    let (value, rest) = (rest.get(..length)?, rest.get(length..)?);
    *data = rest;
    Some(value)
}

/// Whether the OpenSSH certificate line `line` (`ssh-rsa-cert-v01@openssh.com AAAA… comment`)
/// certifies `key`; `None` when `line` is not a certificate.
///
/// The certificate's blob is its type, a nonce, then the public key's fields exactly as the
/// plain key's blob holds them after its type: the two are compared field for field. (The
/// `ssh-key` crate refuses the certificates ssh-keygen issues by default, valid forever.)
pub fn certifies(line: &str, key: &PublicKey) -> Option<bool> {
    use base64ct::{Base64, Encoding};
    let mut words = line.split_whitespace();
    let kind = words.next()?;
    let plain = kind.strip_suffix("-cert-v01@openssh.com")?;
    let blob = Base64::decode_vec(words.next()?).ok()?;
    let mut rest = blob.as_slice();
    if wire_string(&mut rest)? != kind.as_bytes() {
        return None;
    }
    wire_string(&mut rest)?;
    let key_blob = key.to_bytes().ok()?;
    let mut key_fields = key_blob.as_slice();
    let key_kind = wire_string(&mut key_fields)?;
    Some(key_kind == plain.as_bytes() && rest.starts_with(key_fields))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(seed: u8) -> PublicKey {
        let point = [seed; 32];
        PublicKey::new(
            ssh_key::public::KeyData::Ed25519(ssh_key::public::Ed25519PublicKey(point)),
            format!("key{seed}"),
        )
    }

    #[test]
    fn identities_only_keeps_the_listed_token_key_alone() {
        let token = [key(1), key(2), key(3)];
        let exported = [key(3)];
        let restricted = predict(&token, &exported, true);
        assert_eq!(restricted.len(), 1);
        assert_eq!(restricted[0].index, 2);
        let open = predict(&token, &exported, false);
        assert_eq!(open.iter().map(|k| k.index).collect::<Vec<_>>(), [2, 0, 1]);
        assert!(predict(&token, &[], true).is_empty());
        assert_eq!(predict(&token, &[], false).len(), 3);
        assert!(same_key(&key(1), &parse_line(&key(1).to_openssh().unwrap()).unwrap()));
        assert_eq!(
            certifies(&key(1).to_openssh().unwrap(), &key(1)),
            None,
            "a plain key is no certificate"
        );
    }
}
