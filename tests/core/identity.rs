//! Integration tests of `fxconfig::identity`: the root CA file and the PKCS#12
//! client identity, with inputs made at test time by the `openssl` CLI and by
//! `fxconfig::pki`.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{SystemTime, UNIX_EPOCH};

use fxconfig::identity::{
    CaBundle, CertInfo, ClientIdentity, IdentityError, Validity, copy_materials, load_ca, load_p12, parse_ca,
    parse_p12, verify_client_chain,
};
use fxconfig::pki::{Authority, IssuedCert, Lifetime, pkcs12_bytes};
use fxconfig::remedy::Explain;
use fxconfig::secret::Secret;
use rustls_pki_types::PrivateKeyDer;

use crate::core::openssl_pki::OpensslPki;
use crate::support::lab::P12_PASSWORD;
use crate::support::p12::{self as p12_writer, Encryption};
use crate::support::tools::openssl;

fn now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() as i64
}

fn password() -> Secret {
    Secret::new(P12_PASSWORD)
}

const CLIENT_EXT: &str = "basicConstraints=CA:FALSE\n\
    keyUsage=critical,digitalSignature,keyEncipherment\n\
    extendedKeyUsage=clientAuth\n\
    subjectAltName=DNS:kmes.example,IP:10.0.8.20,IP:2001:db8::1,email:ops@example.com,URI:https://kmes.example/\n";

fn write(dir: &Path, name: &str, contents: &[u8]) -> PathBuf {
    let path = dir.join(name);
    fs::write(&path, contents).unwrap();
    path
}

/// A pki-made CA with a client certificate and its PKCS#12 file.
fn pki_identity(lifetime: Lifetime) -> (Authority, IssuedCert, Vec<u8>) {
    let ca = Authority::new("System TLS CA Root").unwrap();
    let client = ca.issue_client("PKCS #11 Client", lifetime).unwrap();
    let p12 = pkcs12_bytes(&client, &ca.cert, &password()).unwrap();
    (ca, client, p12)
}

/// A PKCS#12 file with `key` and `certs`, written by p12-keystore (which, unlike
/// `openssl pkcs12 -export`, does not check that they belong together).
fn p12_with(key_der: &[u8], certs: &[&[u8]]) -> Vec<u8> {
    let key = p12_keystore::PrivateKey::from_der(key_der).unwrap();
    let certs = certs
        .iter()
        .map(|der| p12_keystore::Certificate::from_der(der).unwrap());
    let chain = p12_keystore::PrivateKeyChain::new(b"test key".as_slice(), key, certs);
    let mut store = p12_keystore::KeyStore::new();
    store.add_entry("test", p12_keystore::KeyStoreEntry::PrivateKeyChain(chain));
    store.writer(P12_PASSWORD).write().unwrap()
}

fn assert_explained(error: &IdentityError, section: &str) {
    assert_eq!(error.guide_section(), Some(section), "guide section of {error:?}");
    assert!(!error.remedy().is_empty());
}

// ---------------------------------------------------------------- the CA file

#[test]
fn ca_single_pem_certificate() {
    let ca = Authority::new("System TLS CA Root").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "root_cert.pem", ca.cert.cert_pem.as_bytes());

    let bundle = load_ca(&path).unwrap();
    assert_eq!(bundle.certs.len(), 1);
    let cert = &bundle.certs[0];
    assert_eq!(cert.subject, "O=fxconfig demo, CN=System TLS CA Root");
    assert_eq!(cert.subject, cert.issuer);
    assert!(cert.is_ca);
    assert_eq!(cert.key_usage, ["keyCertSign", "cRLSign"]);
    assert_eq!(cert.ext_key_usage, None);
    assert_eq!(cert.key_type, "ECDSA P-256");
    assert_eq!(cert.der, ca.cert.cert_der);
    assert_eq!(bundle.rustls_roots(), vec![ca.cert.cert_der.clone().into()]);
}

#[test]
fn ca_pem_bundle_with_text_around_the_blocks() {
    let first = Authority::new("Root One").unwrap();
    let second = Authority::new("Root Two").unwrap();
    let text = format!(
        "Bag Attributes\n    friendlyName: one\nsubject=CN = Root One\n{}\nsome notes between\n{}trailing words\n",
        first.cert.cert_pem, second.cert.cert_pem
    );
    let bundle = parse_ca(text.as_bytes()).unwrap();
    let subjects: Vec<&str> = bundle.certs.iter().map(|c| c.subject.as_str()).collect();
    assert_eq!(
        subjects,
        ["O=fxconfig demo, CN=Root One", "O=fxconfig demo, CN=Root Two"]
    );
    assert_eq!(bundle.rustls_roots().len(), 2);
}

#[test]
fn ca_der_and_crlf_pem_read_the_same_certificate() {
    let pki = OpensslPki::new(CLIENT_EXT);
    openssl(
        pki.dir.path(),
        &["x509", "-in", "ca.pem", "-outform", "DER", "-out", "ca.der"],
    );
    let from_pem = load_ca(&pki.path("ca.pem")).unwrap();
    let from_der = load_ca(&pki.path("ca.der")).unwrap();
    assert_eq!(from_der.certs, from_pem.certs);

    let crlf = fs::read_to_string(pki.path("ca.pem")).unwrap().replace('\n', "\r\n");
    assert!(crlf.contains("\r\n"));
    let from_crlf = parse_ca(crlf.as_bytes()).unwrap();
    assert_eq!(from_crlf.certs, from_pem.certs);
}

#[test]
fn garbage_empty_and_text_files_are_not_certificates() {
    let garbage: Vec<u8> = (0u32..512)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8 | 0x80)
        .collect();
    let cases: [(&[u8], &str); 3] = [
        (&garbage, "binary data"),
        (b"", "empty"),
        (b"just some notes\nno certificate\n", "text"),
    ];
    for (bytes, expected) in cases {
        match parse_ca(bytes) {
            Err(error @ IdentityError::NoCertificate { .. }) => {
                assert!(error.to_string().contains(expected), "{error}");
                assert_explained(&error, "3.1.4");
            }
            other => panic!("expected NoCertificate for {expected}, got {other:?}"),
        }
    }
}

#[test]
fn private_key_given_as_ca_is_named_but_never_echoed() {
    let pki = OpensslPki::new(CLIENT_EXT);
    let key_pem = fs::read_to_string(pki.path("client.key")).unwrap();
    let error = load_ca(&pki.path("client.key")).unwrap_err();
    let IdentityError::NoCertificate { found } = &error else {
        panic!("expected NoCertificate, got {error:?}")
    };
    assert!(found.contains("private key"), "{found}");
    assert!(found.contains("PRIVATE KEY"), "{found}");
    let shown = format!("{error} {error:?} {}", error.remedy());
    for line in key_pem.lines().filter(|line| !line.starts_with("-----")) {
        assert!(!shown.contains(line), "key material leaked into the message");
    }
    assert_explained(&error, "3.1.4");
}

#[test]
fn pkcs12_given_as_ca_is_recognised() {
    let (_, _, p12) = pki_identity(Lifetime::valid_for(30));
    let error = parse_ca(&p12).unwrap_err();
    assert!(
        matches!(&error, IdentityError::NoCertificate { found } if found.contains("PKCS#12")),
        "{error:?}"
    );
}

#[test]
fn damaged_certificate_reports_its_position() {
    let first = Authority::new("Root One").unwrap();
    let second = Authority::new("Root Two").unwrap();
    let mut der = second.cert.cert_der.clone();
    der.truncate(der.len() - 40);
    let broken = pem::encode(&pem::Pem::new("CERTIFICATE", der));
    let text = format!("{}{}", first.cert.cert_pem, broken);
    match parse_ca(text.as_bytes()) {
        Err(error @ IdentityError::BadCertificate { index: 1, .. }) => {
            assert!(error.to_string().contains("certificate no. 2"), "{error}");
            assert_explained(&error, "3.1.4");
        }
        other => panic!("expected BadCertificate at index 1, got {other:?}"),
    }
}

#[test]
fn unreadable_file_is_a_read_error() {
    let dir = tempfile::tempdir().unwrap();
    let error = load_ca(&dir.path().join("missing.pem")).unwrap_err();
    assert!(matches!(&error, IdentityError::Read { .. }), "{error:?}");
    assert_explained(&error, "3.1.4");
    let error = load_p12(&dir.path().join("export_pkcs12.p12"), &password()).unwrap_err();
    assert_explained(&error, "3.1.7");
    // The file's role decides, not its name.
    let error = load_p12(&dir.path().join("client-identity.bin"), &password()).unwrap_err();
    assert_explained(&error, "3.1.7");
    assert!(error.remedy().contains("PKCS #12"), "{}", error.remedy());
    let error = load_ca(&dir.path().join("root_ca.p12")).unwrap_err();
    assert_explained(&error, "3.1.4");
    assert!(error.remedy().contains("root CA"), "{}", error.remedy());
}

// ------------------------------------------------------- certificate details

/// The fields `openssl x509 -noout …` prints, keyed by name.
fn openssl_fields(dir: &Path, cert: &str) -> std::collections::HashMap<String, String> {
    let out = openssl(
        dir,
        &[
            "x509",
            "-in",
            cert,
            "-noout",
            "-serial",
            "-fingerprint",
            "-sha256",
            "-subject",
            "-issuer",
            "-startdate",
            "-enddate",
        ],
    );
    out.lines()
        .filter_map(|line| line.split_once('='))
        .map(|(key, value)| (key.trim().to_owned(), value.trim().to_owned()))
        .collect()
}

/// Parses OpenSSL's `Dec 27 11:28:05 2026 GMT` into Unix seconds.
fn openssl_time(text: &str) -> i64 {
    let parts: Vec<&str> = text.split_whitespace().collect();
    assert_eq!(parts.len(), 5, "unexpected date {text:?}");
    assert_eq!(parts[4], "GMT");
    let months = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let month = months.iter().position(|m| *m == parts[0]).unwrap() as u8 + 1;
    let day: u8 = parts[1].parse().unwrap();
    let hms: Vec<u8> = parts[2].split(':').map(|n| n.parse().unwrap()).collect();
    let year: i32 = parts[3].parse().unwrap();
    let date = time::Date::from_calendar_date(year, time::Month::try_from(month).unwrap(), day).unwrap();
    let clock = time::Time::from_hms(hms[0], hms[1], hms[2]).unwrap();
    time::PrimitiveDateTime::new(date, clock).assume_utc().unix_timestamp()
}

/// OpenSSL prints `O = Futurex Test, CN = Test Root CA`; the library `O=Futurex Test, CN=Test Root CA`.
fn openssl_name(text: &str) -> String {
    text.replace(" = ", "=")
}

fn assert_matches_openssl(dir: &Path, pem_name: &str, info: &CertInfo) {
    let fields = openssl_fields(dir, pem_name);
    assert_eq!(info.serial_hex, fields["serial"]);
    assert_eq!(info.sha256_fingerprint, fields["sha256 Fingerprint"]);
    assert_eq!(info.subject, openssl_name(&fields["subject"]));
    assert_eq!(info.issuer, openssl_name(&fields["issuer"]));
    assert_eq!(info.not_after_unix, openssl_time(&fields["notAfter"]));
    assert_eq!(info.not_before_unix, openssl_time(&fields["notBefore"]));
    let not_after = time::OffsetDateTime::from_unix_timestamp(info.not_after_unix).unwrap();
    assert_eq!(
        info.not_after,
        not_after
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap()
    );
    assert!(info.not_after.ends_with('Z'));
}

#[test]
fn cert_info_matches_openssl_for_an_rsa_client() {
    let pki = OpensslPki::new(CLIENT_EXT);
    let client = load_ca(&pki.path("client.pem")).unwrap().certs.remove(0);
    assert_eq!(client.serial_hex, "8F0102030405");
    assert_matches_openssl(pki.dir.path(), "client.pem", &client);
    let ca = load_ca(&pki.path("ca.pem")).unwrap().certs.remove(0);
    assert_matches_openssl(pki.dir.path(), "ca.pem", &ca);
}

#[test]
fn cert_info_matches_openssl_for_pki_certificates() {
    let ca = Authority::new("System TLS CA Root").unwrap();
    let server = ca
        .issue_server(&["localhost", "127.0.0.1"], Lifetime::valid_for(365))
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "server.pem", server.cert_pem.as_bytes());
    let info = CertInfo::from_der(&server.cert_der).unwrap();
    assert_matches_openssl(dir.path(), "server.pem", &info);
}

#[test]
fn sans_usages_and_key_sizes() {
    let pki = OpensslPki::new(CLIENT_EXT);
    let client = load_ca(&pki.path("client.pem")).unwrap().certs.remove(0);
    assert_eq!(
        client.sans,
        [
            "DNS:kmes.example",
            "IP:10.0.8.20",
            "IP:2001:db8::1",
            "email:ops@example.com",
            "URI:https://kmes.example/"
        ]
    );
    assert_eq!(client.ext_key_usage, Some(vec!["clientAuth".to_owned()]));
    assert_eq!(client.key_usage, ["digitalSignature", "keyEncipherment"]);
    assert_eq!((client.key_type.as_str(), client.key_bits), ("RSA", Some(2048)));
    assert!(!client.is_ca);
    assert!(client.has_client_auth());

    let ca = load_ca(&pki.path("ca.pem")).unwrap().certs.remove(0);
    assert!(ca.is_ca);
    assert_eq!(ca.ext_key_usage, None);
    assert!(ca.has_client_auth());

    let authority = Authority::new("System TLS CA Root").unwrap();
    let server = authority
        .issue_server(&["kmes.example", "10.0.8.20"], Lifetime::valid_for(30))
        .unwrap();
    let server = CertInfo::from_der(&server.cert_der).unwrap();
    assert_eq!(server.sans, ["DNS:kmes.example", "IP:10.0.8.20"]);
    assert_eq!(server.ext_key_usage, Some(vec!["serverAuth".to_owned()]));
    assert!(!server.has_client_auth());
    assert_eq!((server.key_type.as_str(), server.key_bits), ("ECDSA P-256", Some(256)));

    openssl(
        pki.dir.path(),
        &[
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-384",
            "-nodes",
            "-keyout",
            "p384.key",
            "-out",
            "p384.pem",
            "-subj",
            "/CN=P-384 Root",
            "-days",
            "10",
        ],
    );
    let p384 = load_ca(&pki.path("p384.pem")).unwrap().certs.remove(0);
    assert_eq!((p384.key_type.as_str(), p384.key_bits), ("ECDSA P-384", Some(384)));
}

#[test]
fn validity_and_days_left() {
    let authority = Authority::new("System TLS CA Root").unwrap();
    let now = now();
    let valid = CertInfo::from_der(&authority.issue_client("c", Lifetime::valid_for(30)).unwrap().cert_der).unwrap();
    assert!(
        matches!(valid.validity_at(now), Validity::Valid { days_left: 29 | 30 }),
        "{:?}",
        valid.validity_at(now)
    );
    assert!((29..=30).contains(&valid.days_left(now)));

    let expired = CertInfo::from_der(&authority.issue_client("c", Lifetime::expired()).unwrap().cert_der).unwrap();
    assert!(
        matches!(expired.validity_at(now), Validity::Expired { days_ago: 0 | 1 }),
        "{:?}",
        expired.validity_at(now)
    );
    assert!(expired.days_left(now) < 0);

    let future = CertInfo::from_der(&authority.issue_client("c", Lifetime::not_yet_valid()).unwrap().cert_der).unwrap();
    assert!(
        matches!(future.validity_at(now), Validity::NotYetValid { days_until: 10 | 11 }),
        "{:?}",
        future.validity_at(now)
    );
}

#[test]
fn cert_info_json_leaves_out_the_der() {
    let authority = Authority::new("System TLS CA Root").unwrap();
    let info = CertInfo::from_der(&authority.cert.cert_der).unwrap();
    let json = serde_json::to_value(&info).unwrap();
    assert!(json.get("der").is_none());
    assert_eq!(json["sha256_fingerprint"], info.sha256_fingerprint);
    assert_eq!(json["ext_key_usage"], serde_json::Value::Null);
}

// ---------------------------------------------------------------- PKCS#12

fn assert_opens_as_openssl_client(identity: &ClientIdentity, pki: &OpensslPki) {
    let client_der = load_ca(&pki.path("client.pem")).unwrap().certs.remove(0).der;
    let ca_der = load_ca(&pki.path("ca.pem")).unwrap().certs.remove(0).der;
    assert_eq!(identity.leaf().der, client_der);
    assert_eq!(identity.leaf().subject, "O=Futurex Test, CN=PKCS #11 Client");
    assert_eq!(identity.chain.len(), 2);
    assert_eq!(identity.chain[1].der, ca_der);
    assert_eq!(identity.key_type, "RSA");
    assert_eq!(identity.rustls_chain().len(), 2);
    let key = identity.rustls_key();
    assert!(matches!(key, PrivateKeyDer::Pkcs8(_)));
    rustls::crypto::ring::sign::any_supported_type(&key).expect("rustls accepts the key");
}

#[test]
fn modern_openssl_p12_opens() {
    let pki = OpensslPki::new(CLIENT_EXT);
    let identity = load_p12(&pki.export_p12("export_pkcs12.p12", &[]), &password()).unwrap();
    assert_opens_as_openssl_client(&identity, &pki);
    assert_eq!(
        identity.encryption,
        [
            "certificates: PBES2 (PBKDF2 hmacWithSHA256, AES-256-CBC)",
            "private key: PBES2 (PBKDF2 hmacWithSHA256, AES-256-CBC)",
            "MAC: HMAC-SHA256",
        ]
    );
}

#[test]
fn legacy_openssl_p12_opens() {
    let pki = OpensslPki::new(CLIENT_EXT);
    let pass = format!("pass:{P12_PASSWORD}");
    let output = Command::new("openssl")
        .args([
            "pkcs12",
            "-export",
            "-legacy",
            "-in",
            "client.pem",
            "-inkey",
            "client.key",
            "-certfile",
            "ca.pem",
        ])
        .args(["-out", "legacy.p12", "-passout", &pass])
        .current_dir(pki.dir.path())
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "`openssl pkcs12 -export -legacy` is not available (OpenSSL 3 needs its legacy provider for RC2): {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let identity = load_p12(&pki.path("legacy.p12"), &password()).unwrap();
    assert_opens_as_openssl_client(&identity, &pki);
    assert_eq!(
        identity.encryption,
        [
            "certificates: pbeWithSHA1And40BitRC2-CBC",
            "private key: pbeWithSHA1And3-KeyTripleDES-CBC",
            "MAC: HMAC-SHA1",
        ]
    );
    let error = load_p12(&pki.path("legacy.p12"), &Secret::new("not it")).unwrap_err();
    assert!(matches!(error, IdentityError::WrongPassword), "{error:?}");
}

#[test]
fn triple_des_p12_opens() {
    let pki = OpensslPki::new(CLIENT_EXT);
    let path = pki.export_p12("tdes.p12", &["-keypbe", "PBE-SHA1-3DES", "-certpbe", "PBE-SHA1-3DES"]);
    let identity = load_p12(&path, &password()).unwrap();
    assert_opens_as_openssl_client(&identity, &pki);
    assert_eq!(
        identity.encryption,
        [
            "certificates: pbeWithSHA1And3-KeyTripleDES-CBC",
            "private key: pbeWithSHA1And3-KeyTripleDES-CBC",
            "MAC: HMAC-SHA256",
        ]
    );
}

#[test]
fn pbes2_triple_des_p12_opens() {
    let pki = OpensslPki::new(CLIENT_EXT);
    let path = pki.export_p12("des.p12", &["-keypbe", "DES-EDE3-CBC", "-certpbe", "DES-EDE3-CBC"]);
    let identity = load_p12(&path, &password()).unwrap();
    assert_opens_as_openssl_client(&identity, &pki);
    assert_eq!(
        identity.encryption,
        [
            "certificates: PBES2 (PBKDF2 hmacWithSHA256, DES-EDE3-CBC)",
            "private key: PBES2 (PBKDF2 hmacWithSHA256, DES-EDE3-CBC)",
            "MAC: HMAC-SHA256",
        ]
    );
    let error = load_p12(&path, &Secret::new("not it")).unwrap_err();
    assert!(matches!(error, IdentityError::WrongPassword), "{error:?}");
}

/// The client key and certificates of an OpenSSL PKI, DER, for [`p12_writer`].
fn client_ders(pki: &OpensslPki) -> (Vec<u8>, Vec<u8>, Vec<u8>) {
    let der = |name: &str| pem::parse(fs::read(pki.path(name)).unwrap()).unwrap().into_contents();
    (der("client.pem"), der("ca.pem"), der("client.key"))
}

#[test]
fn pbes2_with_the_sha1_prf_opens_as_openssl_opens_it() {
    let pki = OpensslPki::new(CLIENT_EXT);
    let (client, ca, key) = client_ders(&pki);
    for (encryption, cipher) in [
        (Encryption::sha1_aes256(), "AES-256-CBC"),
        (Encryption::sha1_des_ede3(), "DES-EDE3-CBC"),
    ] {
        let path = pki.path(&format!("sha1-{cipher}.p12"));
        fs::write(
            &path,
            p12_writer::identity(&[&client, &ca], &key, &encryption, P12_PASSWORD),
        )
        .unwrap();
        let said = p12_writer::openssl_opens(&path, P12_PASSWORD);
        assert!(
            said.contains(&format!(
                "Shrouded Keybag: PBES2, PBKDF2, {cipher}, Iteration 2048, PRF hmacWithSHA1"
            )),
            "{said}"
        );
        let identity = load_p12(&path, &password()).unwrap();
        assert_opens_as_openssl_client(&identity, &pki);
        let scheme = format!("PBES2 (PBKDF2 hmacWithSHA1, {cipher})");
        assert_eq!(
            identity.encryption,
            [
                format!("certificates: {scheme}"),
                format!("private key: {scheme}"),
                "MAC: HMAC-SHA256".to_owned(),
            ]
        );
        let error = load_p12(&path, &Secret::new("not it")).unwrap_err();
        assert!(matches!(error, IdentityError::WrongPassword), "{error:?}");
    }
}

#[test]
fn a_triple_des_iv_of_the_wrong_length_is_a_damaged_file_not_a_crash() {
    let pki = OpensslPki::new(CLIENT_EXT);
    let (client, _, _) = client_ders(&pki);
    let certs = p12_writer::plain_safe(&[p12_writer::cert_bag(&client)]);
    // The key bag in the clear, where the file's structure shows it before anything is decrypted.
    let visible = p12_writer::pfx(
        &[
            certs.clone(),
            p12_writer::plain_safe(&[p12_writer::key_bag_with_des_iv(4)]),
        ],
        P12_PASSWORD,
    );
    match parse_p12(&visible, &password()) {
        Err(IdentityError::BadPkcs12 { reason, .. }) => {
            assert_eq!(
                reason,
                "the encryption of its private key is malformed (the DES-EDE3-CBC IV is 4 bytes, not 8)"
            );
        }
        other => panic!("expected BadPkcs12, got {other:?}"),
    }
    // The key bag inside encrypted contents, seen only once they are decrypted.
    let nested = p12_writer::pfx(
        &[
            certs,
            p12_writer::encrypted_safe(
                &[p12_writer::key_bag_with_des_iv(4)],
                &Encryption::sha1_aes256(),
                P12_PASSWORD,
            ),
        ],
        P12_PASSWORD,
    );
    match parse_p12(&nested, &password()) {
        Err(error @ IdentityError::BadPkcs12 { .. }) => {
            assert!(error.to_string().contains("malformed"), "{error}");
            assert_explained(&error, "3.1.7");
        }
        other => panic!("expected BadPkcs12, got {other:?}"),
    }
}

#[test]
fn unsupported_pbes2_cipher_is_named() {
    let pki = OpensslPki::new(CLIENT_EXT);
    let path = pki.export_p12("rc2.p12", &["-legacy", "-keypbe", "RC2-CBC", "-certpbe", "RC2-CBC"]);
    match load_p12(&path, &password()) {
        Err(error @ IdentityError::UnsupportedEncryption { .. }) => {
            let IdentityError::UnsupportedEncryption { scheme, .. } = &error else {
                unreachable!()
            };
            assert!(scheme.contains("RC2-CBC"), "{scheme}");
            assert!(scheme.contains("1.2.840.113549.3.2"), "{scheme}");
            assert!(std::error::Error::source(&error).is_some());
            assert_explained(&error, "3.1.7");
        }
        other => panic!("expected UnsupportedEncryption, got {other:?}"),
    }
}

#[test]
fn pki_p12_opens_with_ecdsa_key() {
    let (ca, client, p12) = pki_identity(Lifetime::valid_for(30));
    let identity = parse_p12(&p12, &password()).unwrap();
    assert_eq!(identity.key_type, "ECDSA P-256");
    assert_eq!(identity.leaf().der, client.cert_der);
    assert_eq!(identity.chain.len(), 2);
    assert_eq!(identity.chain[1].der, ca.cert.cert_der);
    assert!(identity.encryption.iter().any(|line| line.contains("AES-256-CBC")));
    match identity.rustls_key() {
        PrivateKeyDer::Pkcs8(key) => assert_eq!(key.secret_pkcs8_der(), client.key_der.as_slice()),
        other => panic!("expected PKCS#8, got {other:?}"),
    }
}

#[test]
fn ed25519_client_opens_and_chains() {
    let pki = OpensslPki::new(CLIENT_EXT);
    let dir = pki.dir.path();
    openssl(dir, &["genpkey", "-algorithm", "ED25519", "-out", "ed.key"]);
    openssl(
        dir,
        &[
            "req",
            "-new",
            "-key",
            "ed.key",
            "-subj",
            "/CN=Ed Client",
            "-out",
            "ed.csr",
        ],
    );
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            "ed.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-set_serial",
            "7",
            "-days",
            "9",
            "-extfile",
            "client.ext",
            "-out",
            "ed.pem",
        ],
    );
    let pass = format!("pass:{P12_PASSWORD}");
    openssl(
        dir,
        &[
            "pkcs12", "-export", "-in", "ed.pem", "-inkey", "ed.key", "-out", "ed.p12", "-passout", &pass,
        ],
    );
    let identity = load_p12(&pki.path("ed.p12"), &password()).unwrap();
    assert_eq!(identity.key_type, "Ed25519");
    assert_eq!(identity.leaf().key_type, "Ed25519");
    verify_client_chain(&identity, &load_ca(&pki.path("ca.pem")).unwrap(), now()).unwrap();
}

#[test]
fn wrong_password_is_reported_as_such() {
    let pki = OpensslPki::new(CLIENT_EXT);
    let wrong = Secret::new("Wrong-Horse-Battery");
    let error = load_p12(&pki.export_p12("export_pkcs12.p12", &[]), &wrong).unwrap_err();
    assert!(matches!(error, IdentityError::WrongPassword), "{error:?}");
    assert_explained(&error, "3.1.7");
    let shown = format!("{error} {error:?} {}", error.remedy());
    assert!(!shown.contains("Wrong-Horse-Battery") && !shown.contains(P12_PASSWORD));

    for (name, extra) in [
        ("nomac.p12", &["-nomac"][..]),
        ("nomac-legacy.p12", &["-nomac", "-legacy"][..]),
    ] {
        let path = pki.export_p12(name, extra);
        let error = load_p12(&path, &wrong).unwrap_err();
        assert!(matches!(error, IdentityError::WrongPassword), "{name}: {error:?}");
        // With the right password it opens, and is then refused as the library's OpenSSL
        // refuses it (PKCS12_parse: "mac absent"; the model in tests/core/library_model.rs).
        let error = load_p12(&path, &password()).unwrap_err();
        assert!(
            matches!(&error, IdentityError::BadPkcs12 { reason, .. } if reason.contains("no MAC")),
            "{name}: {error:?}"
        );
    }

    let (_, _, p12) = pki_identity(Lifetime::valid_for(30));
    assert!(matches!(parse_p12(&p12, &wrong), Err(IdentityError::WrongPassword)));
    assert!(matches!(
        parse_p12(&p12, &Secret::new("")),
        Err(IdentityError::WrongPassword)
    ));
}

#[test]
fn certificates_only_p12_has_no_private_key() {
    let pki = OpensslPki::new(CLIENT_EXT);
    let pass = format!("pass:{P12_PASSWORD}");
    openssl(
        pki.dir.path(),
        &[
            "pkcs12",
            "-export",
            "-nokeys",
            "-in",
            "client.pem",
            "-out",
            "certs.p12",
            "-passout",
            &pass,
        ],
    );
    let error = load_p12(&pki.path("certs.p12"), &password()).unwrap_err();
    assert!(matches!(error, IdentityError::NoPrivateKey), "{error:?}");
    assert_explained(&error, "3.1.7");
}

#[test]
fn key_only_p12_has_no_certificate() {
    let (_, client, _) = pki_identity(Lifetime::valid_for(30));
    let p12 = p12_with(&client.key_der, &[]);
    let error = parse_p12(&p12, &password()).unwrap_err();
    assert!(matches!(error, IdentityError::NoCertificateInP12), "{error:?}");
}

#[test]
fn key_of_another_certificate_is_a_mismatch() {
    let (ca, client, _) = pki_identity(Lifetime::valid_for(30));
    let other = ca.issue_client("Someone Else", Lifetime::valid_for(30)).unwrap();
    let p12 = p12_with(&other.key_der, &[&client.cert_der, &ca.cert.cert_der]);
    match parse_p12(&p12, &password()) {
        Err(error @ IdentityError::KeyMismatch { .. }) => {
            assert!(error.to_string().contains("CN=PKCS #11 Client"), "{error}");
            assert_explained(&error, "3.1.7");
        }
        other => panic!("expected KeyMismatch, got {other:?}"),
    }

    let pki = OpensslPki::new(CLIENT_EXT);
    let rsa_key = pem::parse(fs::read(pki.path("ca.key")).unwrap()).unwrap();
    let rsa_client = load_ca(&pki.path("client.pem")).unwrap().certs.remove(0);
    let p12 = p12_with(rsa_key.contents(), &[&rsa_client.der]);
    assert!(matches!(
        parse_p12(&p12, &password()),
        Err(IdentityError::KeyMismatch { .. })
    ));
}

#[test]
fn rsa_keys_open_from_1024_bits_as_openssl_1x_accepts_them_and_smaller_ones_are_unsupported() {
    let pki = OpensslPki::new(CLIENT_EXT);
    let dir = pki.dir.path();
    for bits in [1024, 512] {
        let key_spec = format!("rsa:{bits}");
        openssl(
            dir,
            &[
                "req",
                "-newkey",
                &key_spec,
                "-nodes",
                "-keyout",
                "small.key",
                "-out",
                "small.csr",
                "-subj",
                "/CN=Small",
            ],
        );
        openssl(
            dir,
            &[
                "x509",
                "-req",
                "-in",
                "small.csr",
                "-CA",
                "ca.pem",
                "-CAkey",
                "ca.key",
                "-set_serial",
                "9",
                "-days",
                "9",
                "-out",
                "small.pem",
            ],
        );
        let pass = format!("pass:{P12_PASSWORD}");
        openssl(
            dir,
            &[
                "pkcs12",
                "-export",
                "-in",
                "small.pem",
                "-inkey",
                "small.key",
                "-out",
                "small.p12",
                "-passout",
                &pass,
            ],
        );
        match (bits, load_p12(&pki.path("small.p12"), &password())) {
            (1024, Ok(identity)) => assert_eq!(identity.leaf().key_bits, Some(1024)),
            (512, Err(error @ IdentityError::UnsupportedKey { .. })) => {
                assert!(error.to_string().contains("under 1024 bits"), "{error}");
                assert_explained(&error, "3.1.6");
            }
            (bits, other) => panic!("RSA {bits}: unexpected {other:?}"),
        }
    }
}

#[test]
fn truncated_and_foreign_files_are_not_pkcs12() {
    let (ca, _, p12) = pki_identity(Lifetime::valid_for(30));
    let cases: [(&[u8], &str); 4] = [
        (&p12[..p12.len() / 2], "truncated"),
        (ca.cert.cert_pem.as_bytes(), "PEM"),
        (&ca.cert.cert_der, "certificate"),
        (b"", "empty"),
    ];
    for (bytes, expected) in cases {
        match parse_p12(bytes, &password()) {
            Err(error @ IdentityError::BadPkcs12 { .. }) => {
                assert!(error.to_string().contains(expected), "{error}");
                assert_explained(&error, "3.1.7");
            }
            other => panic!("expected BadPkcs12 ({expected}), got {other:?}"),
        }
    }
}

#[test]
fn debug_and_json_never_show_the_key_or_password() {
    let (_, client, p12) = pki_identity(Lifetime::valid_for(30));
    let identity = parse_p12(&p12, &password()).unwrap();
    let debug = format!("{identity:?} {identity:#?}");
    let json = serde_json::to_string(&identity).unwrap();
    let key_debug = format!("{:?}", &client.key_der[..]);
    let key_hex: String = client.key_der.iter().map(|b| format!("{b:02x}")).collect();
    let key_body: String = client.key_pem.lines().filter(|l| !l.starts_with("-----")).collect();
    for shown in [&debug, &json] {
        assert!(!shown.contains(P12_PASSWORD));
        assert!(!shown.contains(&key_debug[1..key_debug.len() - 1]));
        assert!(!shown.to_lowercase().contains(&key_hex[key_hex.len() - 64..]));
        assert!(!shown.contains(&key_body[key_body.len() - 40..]));
    }
    assert!(debug.contains("redacted"));
    assert!(json.contains("PKCS #11 Client"));
}

// ------------------------------------------------------------- chain check

#[test]
fn chain_check_passes_for_matching_ca() {
    let pki = OpensslPki::new(CLIENT_EXT);
    let identity = load_p12(&pki.export_p12("export_pkcs12.p12", &[]), &password()).unwrap();
    verify_client_chain(&identity, &load_ca(&pki.path("ca.pem")).unwrap(), now()).unwrap();

    let (ca, _, p12) = pki_identity(Lifetime::valid_for(30));
    let identity = parse_p12(&p12, &password()).unwrap();
    verify_client_chain(&identity, &parse_ca(ca.cert.cert_pem.as_bytes()).unwrap(), now()).unwrap();
}

#[test]
fn chain_with_another_ca_is_an_unknown_issuer() {
    let pki = OpensslPki::new(CLIENT_EXT);
    let identity = load_p12(&pki.export_p12("export_pkcs12.p12", &[]), &password()).unwrap();
    let other = Authority::new("Another Root").unwrap();
    let wrong_ca = parse_ca(other.cert.cert_pem.as_bytes()).unwrap();
    match verify_client_chain(&identity, &wrong_ca, now()) {
        Err(error @ IdentityError::ChainUnknownIssuer { .. }) => {
            let text = error.to_string();
            assert!(text.contains("issued by O=Futurex Test, CN=Test Root CA"), "{text}");
            assert!(
                text.contains("the CA file holds O=fxconfig demo, CN=Another Root"),
                "{text}"
            );
            assert_explained(&error, "3.1.4");
        }
        other => panic!("expected ChainUnknownIssuer, got {other:?}"),
    }
}

#[test]
fn chain_with_a_recreated_ca_of_the_same_name_is_an_unknown_issuer() {
    let (_, _, p12) = pki_identity(Lifetime::valid_for(30));
    let identity = parse_p12(&p12, &password()).unwrap();
    let twin = Authority::new("System TLS CA Root").unwrap();
    match verify_client_chain(&identity, &parse_ca(twin.cert.cert_pem.as_bytes()).unwrap(), now()) {
        Err(error @ IdentityError::ChainUnknownIssuer { .. }) => {
            assert!(error.to_string().contains("different key"), "{error}");
        }
        other => panic!("expected ChainUnknownIssuer, got {other:?}"),
    }
}

#[test]
fn expired_and_future_client_certificates() {
    let (ca, _, p12) = pki_identity(Lifetime::expired());
    let bundle = parse_ca(ca.cert.cert_pem.as_bytes()).unwrap();
    let identity = parse_p12(&p12, &password()).unwrap();
    match verify_client_chain(&identity, &bundle, now()) {
        Err(error @ IdentityError::ChainExpired { .. }) => {
            let IdentityError::ChainExpired { subject, not_after, .. } = &error else {
                unreachable!()
            };
            assert_eq!(subject, &identity.leaf().subject);
            assert_eq!(not_after, &identity.leaf().not_after);
            assert_explained(&error, "3.1.6");
        }
        other => panic!("expected ChainExpired, got {other:?}"),
    }

    let (ca, _, p12) = pki_identity(Lifetime::not_yet_valid());
    let identity = parse_p12(&p12, &password()).unwrap();
    let result = verify_client_chain(&identity, &parse_ca(ca.cert.cert_pem.as_bytes()).unwrap(), now());
    assert!(
        matches!(result, Err(IdentityError::ChainNotYetValid { .. })),
        "{result:?}"
    );
}

#[test]
fn server_only_certificate_lacks_client_auth() {
    let ca = Authority::new("System TLS CA Root").unwrap();
    let server = ca.issue_server(&["kmes.example"], Lifetime::valid_for(30)).unwrap();
    let identity = parse_p12(&pkcs12_bytes(&server, &ca.cert, &password()).unwrap(), &password()).unwrap();
    assert!(!identity.leaf().has_client_auth());
    match verify_client_chain(&identity, &parse_ca(ca.cert.cert_pem.as_bytes()).unwrap(), now()) {
        Err(error @ IdentityError::ChainMissingClientAuth { .. }) => {
            assert!(error.to_string().contains("serverAuth"), "{error}");
            assert_explained(&error, "3.1.6");
        }
        other => panic!("expected ChainMissingClientAuth, got {other:?}"),
    }
}

#[test]
fn chain_check_agrees_with_a_rustls_server() {
    use rustls::server::WebPkiClientVerifier;
    use rustls_pki_types::UnixTime;
    let (ca, _, p12) = pki_identity(Lifetime::valid_for(30));
    let identity = parse_p12(&p12, &password()).unwrap();
    let bundle: CaBundle = parse_ca(ca.cert.cert_pem.as_bytes()).unwrap();
    let mut roots = rustls::RootCertStore::empty();
    for root in bundle.rustls_roots() {
        roots.add(root).unwrap();
    }
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let verifier = WebPkiClientVerifier::builder_with_provider(roots.into(), provider)
        .build()
        .unwrap();
    let chain = identity.rustls_chain();
    let server_says = verifier.verify_client_cert(&chain[0], &chain[1..], UnixTime::now());
    assert!(server_says.is_ok(), "{server_says:?}");
    assert!(verify_client_chain(&identity, &bundle, now()).is_ok());

    let other = Authority::new("Another Root").unwrap();
    let mut other_roots = rustls::RootCertStore::empty();
    other_roots.add(other.cert.cert_der.clone().into()).unwrap();
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let verifier = WebPkiClientVerifier::builder_with_provider(other_roots.into(), provider)
        .build()
        .unwrap();
    assert!(
        verifier
            .verify_client_cert(&chain[0], &chain[1..], UnixTime::now())
            .is_err()
    );
    assert!(verify_client_chain(&identity, &parse_ca(other.cert.cert_pem.as_bytes()).unwrap(), now()).is_err());
}

// ---------------------------------------------------------- copy_materials

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn copy_materials_copies_once_and_never_clobbers() {
    let source = tempfile::tempdir().unwrap();
    let demo = fxconfig::pki::write_demo(source.path(), &password()).unwrap();
    let dest_root = tempfile::tempdir().unwrap();
    let dest = dest_root.path().join("etc").join("fxpkcs11");

    let copied = copy_materials(&demo.ca_cert, &demo.client_p12, &dest).unwrap();
    assert_eq!(copied.ca, dest.join("root_cert.pem"));
    assert_eq!(copied.p12, dest.join("export_pkcs12.p12"));
    assert!(copied.ca_written && copied.p12_written);
    assert_eq!(fs::read(&copied.ca).unwrap(), fs::read(&demo.ca_cert).unwrap());
    assert_eq!(fs::read(&copied.p12).unwrap(), fs::read(&demo.client_p12).unwrap());
    #[cfg(unix)]
    {
        assert_eq!(mode(&copied.p12), 0o600);
        assert_eq!(mode(&copied.ca), 0o644);
    }
    load_p12(&copied.p12, &password()).unwrap();
    let mut names: Vec<String> = fs::read_dir(&dest)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(
        names,
        ["export_pkcs12.p12", "root_cert.pem"],
        "no temporary files are left behind"
    );

    let again = copy_materials(&demo.ca_cert, &demo.client_p12, &dest).unwrap();
    assert!(!again.ca_written && !again.p12_written);

    let in_place = copy_materials(&copied.ca, &copied.p12, &dest).unwrap();
    assert!(!in_place.ca_written && !in_place.p12_written);

    let other = tempfile::tempdir().unwrap();
    let newer = fxconfig::pki::write_demo(other.path(), &password()).unwrap();
    let before = fs::read(&copied.p12).unwrap();
    match copy_materials(&demo.ca_cert, &newer.client_p12, &dest) {
        Err(error @ IdentityError::DestinationExists { .. }) => {
            assert!(error.to_string().contains("export_pkcs12.p12"), "{error}");
            assert_explained(&error, "3.1.7");
        }
        other => panic!("expected DestinationExists, got {other:?}"),
    }
    assert_eq!(fs::read(&copied.p12).unwrap(), before, "the existing file is untouched");

    let missing = copy_materials(&source.path().join("nope.pem"), &demo.client_p12, &dest).unwrap_err();
    assert!(matches!(missing, IdentityError::Read { .. }), "{missing:?}");
}

// ---------------------------------------------------------- bounded decryption

/// A PKCS#12 file holding `keys` shrouded key bags (each the same key) whose key
/// derivation asks for `iterations`: written with 32,768 iterations, then the
/// three-byte INTEGERs patched, since only the announced work is checked before any
/// decryption.
fn p12_asking_for(keys: usize, iterations: u32) -> Vec<u8> {
    let (_, client, _) = pki_identity(Lifetime::valid_for(30));
    let mut store = p12_keystore::KeyStore::new();
    for index in 0..keys {
        let key = p12_keystore::PrivateKey::from_der(&client.key_der).unwrap();
        let cert = p12_keystore::Certificate::from_der(&client.cert_der).unwrap();
        let chain = p12_keystore::PrivateKeyChain::new(format!("key {index}").as_bytes(), key, [cert]);
        store.add_entry(
            &format!("key {index}"),
            p12_keystore::KeyStoreEntry::PrivateKeyChain(chain),
        );
    }
    let written = store
        .writer(P12_PASSWORD)
        .encryption_iterations(0x8000)
        .mac_iterations(0x8000)
        .write()
        .unwrap();
    let from = [0x02, 0x03, 0x00, 0x80, 0x00];
    let bytes = iterations.to_be_bytes();
    let to = [0x02, 0x03, bytes[1], bytes[2], bytes[3]];
    let mut patched = written.clone();
    let mut count = 0;
    let mut at = 0;
    while let Some(found) = patched[at..].windows(from.len()).position(|window| window == from) {
        patched[at + found..at + found + from.len()].copy_from_slice(&to);
        at += found + from.len();
        count += 1;
    }
    assert_eq!(count, keys + 2, "one count per key bag, the certificates and the MAC");
    patched
}

#[test]
fn a_pkcs12_file_asking_for_too_much_key_derivation_is_refused_before_any() {
    let costly = p12_asking_for(10, 500_000);
    match parse_p12(&costly, &password()) {
        Err(error @ IdentityError::TooCostly { work, limit }) => {
            assert_eq!(work, 12 * 500_000);
            assert_eq!(limit, 4_000_000);
            assert!(error.to_string().contains("key-derivation iterations"), "{error}");
            assert_explained(&error, "3.1.7");
        }
        other => panic!("expected TooCostly, got {other:?}"),
    }
    // An ordinary file with a few parts at OpenSSL's default passes the check.
    let (_, _, ordinary) = pki_identity(Lifetime::valid_for(30));
    parse_p12(&ordinary, &password()).unwrap();
}

#[test]
fn opening_a_pkcs12_file_honours_a_time_limit() {
    let dir = tempfile::tempdir().unwrap();
    // Three million key-derivation iterations (under the work limit) take far longer than 50 ms,
    // however the threads are scheduled.
    let slow = write(dir.path(), "slow.p12", &p12_asking_for(1, 1_000_000));
    match fxconfig::identity::load_p12_within(&slow, &password(), std::time::Duration::from_millis(50)) {
        Err(error @ IdentityError::TimedOut { .. }) => assert_explained(&error, "3.1.7"),
        other => panic!("expected TimedOut, got {other:?}"),
    }
    let (_, _, p12) = pki_identity(Lifetime::valid_for(30));
    let path = write(dir.path(), "client.p12", &p12);
    fxconfig::identity::load_p12_within(&path, &password(), std::time::Duration::from_secs(60)).unwrap();
}

#[test]
fn non_regular_and_huge_inputs_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let huge = dir.path().join("huge.pem");
    fs::File::create(&huge).unwrap().set_len(16 * 1024 * 1024 + 1).unwrap();
    assert!(matches!(load_ca(&huge), Err(IdentityError::TooLarge { .. })));
    assert!(matches!(load_ca(dir.path()), Err(IdentityError::NotRegular { .. })));
    #[cfg(unix)]
    {
        let error = load_p12(Path::new("/dev/zero"), &password()).unwrap_err();
        assert!(
            matches!(error, IdentityError::NotRegular { kind: "a device", .. }),
            "{error:?}"
        );
        // PROD-TLS-KEY names the PKCS#12 file, whatever it is called.
        assert_explained(&error, "3.1.7");
    }
}

#[test]
fn errors_carry_their_causes() {
    let (_, _, p12) = pki_identity(Lifetime::valid_for(30));
    let truncated = parse_p12(&p12[..p12.len() - 10], &password()).unwrap_err();
    assert!(std::error::Error::source(&truncated).is_some(), "{truncated:?}");
    let chain = fxconfig::remedy::cause_chain(&truncated);
    assert!(chain.starts_with("not a usable PKCS#12 file"), "{chain}");
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..600)) {
        let _ = parse_ca(&bytes);
        let _ = parse_p12(&bytes, &password());
    }

    #[test]
    fn damaged_files_fail_cleanly(cut in 1usize..2000, flip in 0usize..2000, bit in 0u8..8) {
        let (ca_der, p12) = fixed_identity();
        let mut damaged = p12.clone();
        let position = flip % damaged.len();
        damaged[position] ^= 1 << bit;
        damaged.truncate(cut);
        proptest::prop_assert!(parse_p12(&damaged, &password()).is_err() || damaged.len() == p12.len());
        let mut damaged_ca = ca_der.clone();
        let position = flip % damaged_ca.len();
        damaged_ca[position] ^= 1 << bit;
        let _ = parse_ca(&damaged_ca);
    }
}

/// One pki-made CA certificate (DER) and PKCS#12 file, shared by the property tests.
fn fixed_identity() -> &'static (Vec<u8>, Vec<u8>) {
    static IDENTITY: std::sync::OnceLock<(Vec<u8>, Vec<u8>)> = std::sync::OnceLock::new();
    IDENTITY.get_or_init(|| {
        let (ca, _, p12) = pki_identity(Lifetime::valid_for(30));
        (ca.cert.cert_der.clone(), p12)
    })
}
