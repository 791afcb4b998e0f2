//! Unit tests of the pieces that need no external tools.

use super::der::{Shape, shape};
use super::*;

fn rsa(modulus: &[u8], exponent: &[u8]) -> RsaPublicKey {
    RsaPublicKey {
        e: ssh_key::Mpint::from_positive_bytes(exponent).expect("exponent"),
        n: ssh_key::Mpint::from_positive_bytes(modulus).expect("modulus"),
    }
}

/// An odd modulus of exactly `bits` bits.
fn modulus_of_bits(bits: usize) -> Vec<u8> {
    let mut modulus = vec![0xA5; bits.div_ceil(8)];
    let top_bits = bits - (modulus.len() - 1) * 8;
    modulus[0] = 1 << (top_bits - 1);
    if let Some(last) = modulus.last_mut() {
        *last |= 1;
    }
    modulus
}

#[test]
fn comments_are_trimmed_and_line_breaks_refused() {
    assert_eq!(checked_comment("  kmes  ").expect("ok"), Some("kmes".to_owned()));
    assert_eq!(
        checked_comment(" \t").map_err(|e| e.to_string()),
        Err("the key comment contains a control character".to_owned())
    );
    assert_eq!(checked_comment("   ").expect("ok"), None);
    assert!(
        matches!(checked_comment("a\nb"), Err(PubkeyError::BadComment { reason }) if reason.contains("line break"))
    );
    assert!(matches!(checked_comment("a\rb"), Err(PubkeyError::BadComment { .. })));
}

#[test]
fn rsa_bits_are_the_modulus_length() {
    for bits in [1024, 1025, 2047, 2048, 4096, 16384] {
        assert_eq!(
            checked_rsa(&rsa(&modulus_of_bits(bits), &[1, 0, 1])).expect("valid"),
            bits as u32
        );
    }
}

#[test]
fn rsa_keys_openssh_refuses_are_bad() {
    let valid = modulus_of_bits(2048);
    let mut even = valid.clone();
    if let Some(last) = even.last_mut() {
        *last &= 0xFE;
    }
    let cases: [(Vec<u8>, Vec<u8>, &str); 6] = [
        (modulus_of_bits(1023), vec![3], "1023 bits"),
        (modulus_of_bits(16385), vec![3], "16385 bits"),
        (even, vec![3], "even"),
        (valid.clone(), vec![1], "at least 3"),
        (valid.clone(), vec![1, 0, 0], "odd"),
        (valid.clone(), valid.clone(), "not smaller"),
    ];
    for (modulus, exponent, expected) in cases {
        let error = checked_rsa(&rsa(&modulus, &exponent)).expect_err(expected);
        assert!(
            matches!(&error, PubkeyError::BadKey { reason, .. } if reason.contains(expected)),
            "{expected}: {error:?}"
        );
    }
}

#[test]
fn der_shapes_are_told_apart_by_their_element_tags() {
    // SEQUENCE { INTEGER 5, INTEGER 3 }
    assert_eq!(shape(&[0x30, 6, 2, 1, 5, 2, 1, 3]).expect("pkcs1"), Shape::Pkcs1);
    // SEQUENCE { SEQUENCE {}, BIT STRING }
    assert_eq!(shape(&[0x30, 6, 0x30, 0, 3, 2, 0, 1]).expect("spki"), Shape::Spki);
    // SEQUENCE { SEQUENCE {}, SEQUENCE {}, BIT STRING }
    assert_eq!(
        shape(&[0x30, 8, 0x30, 0, 0x30, 0, 3, 2, 0, 1]).expect("certificate"),
        Shape::Certificate
    );
    // SEQUENCE { INTEGER 0, SEQUENCE {}, OCTET STRING }
    assert!(matches!(
        shape(&[0x30, 7, 2, 1, 0, 0x30, 0, 4, 0]),
        Err(PubkeyError::PrivateKeyGiven {
            kind: "PKCS #8 private key"
        })
    ));
    // SEQUENCE { INTEGER 1, OCTET STRING }
    assert!(matches!(
        shape(&[0x30, 5, 2, 1, 1, 4, 0]),
        Err(PubkeyError::PrivateKeyGiven {
            kind: "SEC 1 EC private key"
        })
    ));
    // SEQUENCE { SEQUENCE {}, OCTET STRING }
    assert!(matches!(
        shape(&[0x30, 4, 0x30, 0, 4, 0]),
        Err(PubkeyError::PrivateKeyGiven {
            kind: "encrypted PKCS #8 private key"
        })
    ));
    // SEQUENCE { INTEGER 5 }
    assert!(matches!(shape(&[0x30, 3, 2, 1, 5]), Err(PubkeyError::NotAKey { .. })));
    // INTEGER 5
    assert!(matches!(shape(&[2, 1, 5]), Err(PubkeyError::NotAKey { .. })));
}

#[test]
fn der_cut_short_or_padded_is_named() {
    let error = shape(&[0x30, 0x82, 0x01, 0x00, 2, 1]).expect_err("cut");
    assert!(
        matches!(&error, PubkeyError::Truncated { detail } if detail.contains("256 bytes") && detail.contains("only 2")),
        "{error:?}"
    );
    assert!(matches!(shape(&[0x30, 0x82]), Err(PubkeyError::Truncated { .. })));
    let error = shape(&[0x30, 6, 2, 1, 5, 2, 1, 3, 0]).expect_err("padded");
    assert!(
        matches!(&error, PubkeyError::NotAKey { looked_like, .. } if looked_like.contains("1 unexpected byte")),
        "{error:?}"
    );
}

#[test]
fn pem_labels_are_only_named_when_plain() {
    let error = text::parse("-----BEGIN X509 CRL-----\nAAAA\n-----END X509 CRL-----\n")
        .err()
        .expect("not a key");
    assert!(error.to_string().contains("\"X509 CRL\""), "{error}");
    let error = text::parse("-----BEGIN lower and \u{1F511}-----\nAAAA\n-----END lower and \u{1F511}-----\n")
        .err()
        .expect("not a key");
    assert!(error.to_string().contains("(unreadable label)"), "{error}");
}

#[test]
fn private_key_markers_in_text_are_named_without_decoding() {
    for (text, kind) in [
        (
            "---- BEGIN SSH2 ENCRYPTED PRIVATE KEY ----\nnot base64\n",
            "SSH2 (ssh.com) private key",
        ),
        ("-----BEGIN PGP PRIVATE KEY BLOCK-----\n", "OpenPGP private key"),
        ("-----BEGIN DSA PRIVATE KEY-----\n!!\n", "DSA private key"),
        ("PuTTY-User-Key-File-2: ssh-rsa\n", "PuTTY private key"),
    ] {
        assert!(
            matches!(text::parse(text), Err(PubkeyError::PrivateKeyGiven { kind: found }) if found == kind),
            "{text}"
        );
    }
}

#[test]
fn oversized_input_is_refused_before_parsing() {
    let big = vec![b'a'; MAX_INPUT_LEN + 1];
    assert!(matches!(render(&big, None), Err(PubkeyError::NotAKey { .. })));
}

#[test]
fn a_pem_marker_inside_a_comment_starts_no_pem_block() {
    // Found by the public_key_reader fuzz target: an RFC 4716 comment holding "-----BEGIN "
    // rendered a line that fxconfig itself then read as a broken PEM block.
    let rfc4716 = "---- BEGIN SSH2 PUBLIC KEY ----\nComment: \"-----BEGIN 256-bit ED25519\"\n\
                   AAAAC3NzaC1lZDI1NTE5AAAAIPakwFcqZ1BVzJ73uweFlMPSbaW8NDWEmY+ONPQdmxKG\n\
                   ---- END SSH2 PUBLIC KEY ----\n";
    let first = render(rfc4716.as_bytes(), None).expect("reads");
    assert_eq!(first.comment.as_deref(), Some("-----BEGIN 256-bit ED25519"));
    let again = render(first.line.as_bytes(), None).expect("the rendered line reads back");
    assert_eq!(again.fingerprint, first.fingerprint);
    assert_eq!(again.line, first.line);
}

#[test]
fn pasted_key_text_is_told_from_a_path_and_a_flattened_pem_block_reads_as_the_file() {
    let line = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPakwFcqZ1BVzJ73uweFlMPSbaW8NDWEmY+ONPQdmxKG admin";
    assert_eq!(pasted_key(line).as_deref(), Some(line.as_bytes()));
    assert!(pasted_key("/home/admin/SSH_Client_Public.pub").is_none());
    assert!(
        pasted_key("ssh-keys.pub").is_none(),
        "a file name that starts like a key type"
    );
    let der = render(line.as_bytes(), None).expect("the line reads");
    // The same key as a PEM SubjectPublicKeyInfo block, its line breaks lost in a one-line field.
    let pem = "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA9qTAVypnUFXMnve7B4WUw9Jtpbw0\nNYSZj4409B2bEoY=\n-----END PUBLIC KEY-----\n";
    let flattened = pem.replace('\n', "");
    let bytes = pasted_key(&flattened).expect("key text");
    let restored = render(&bytes, None).expect("the flattened block reads");
    assert_eq!(restored.fingerprint, der.fingerprint);
    assert_eq!(
        restored.fingerprint,
        render(pem.as_bytes(), None).expect("the file reads").fingerprint
    );
}
