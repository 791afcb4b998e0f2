//! `fxconfig::sshkey` against the real tools: every key is made at test time by
//! the `openssl` CLI or `ssh-keygen` in a temporary directory, and every rendered
//! line is compared with what `ssh-keygen -i -m PKCS8` prints for the same key and
//! with the fingerprint, size and type `ssh-keygen -lf` reports for our line.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use base64ct::{Base64, Encoding};
use fxconfig::Explain;
use fxconfig::remedy::cause_chain;
use fxconfig::sshkey::{self, PubkeyError, PublicKeyReport, SourceFormat};
use proptest::prelude::*;
use tempfile::TempDir;

use crate::support::tools::{openssl, run};

/// What `ssh-keygen -i -m <mode> -f <file>` prints, without the newline.
fn ssh_keygen_import(dir: &Path, mode: &str, file: &str) -> String {
    run(dir, "ssh-keygen", &["-i", "-m", mode, "-f", file])
        .trim_end()
        .to_owned()
}

/// `ssh-keygen -lf` on a file holding `line`: (bits, fingerprint, key type).
fn ssh_keygen_list(dir: &Path, line: &str) -> (u32, String, String) {
    let path = dir.join("listed.pub");
    fs::write(&path, format!("{line}\n")).expect("write line");
    let text = run(dir, "ssh-keygen", &["-l", "-f", path.to_str().expect("utf-8 path")]);
    let fields: Vec<&str> = text.split_whitespace().collect();
    let bits = fields[0].parse().expect("bits");
    let key_type = fields[fields.len() - 1].trim_matches(['(', ')']).to_owned();
    (bits, fields[1].to_owned(), key_type)
}

/// Checks a report against `ssh-keygen -lf` run on its own line.
fn assert_listed_by_ssh_keygen(dir: &Path, report: &PublicKeyReport) {
    let (bits, fingerprint, key_type) = ssh_keygen_list(dir, &report.line);
    assert_eq!(report.fingerprint, fingerprint, "fingerprint of {}", report.line);
    assert_eq!(report.bits, bits, "bits of {}", report.line);
    assert_eq!(report.key_type, key_type, "key type of {}", report.line);
}

fn path_str(dir: &Path, name: &str) -> String {
    dir.join(name).to_str().expect("utf-8 path").to_owned()
}

/// One private key with all its public forms written next to it.
struct KeyFiles {
    dir: TempDir,
}

impl KeyFiles {
    /// Generates a key with `openssl genpkey` and writes its SPKI and
    /// self-signed certificate in DER and PEM.
    fn generate(genpkey_args: &[&str]) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path();
        let mut args = vec!["genpkey"];
        args.extend_from_slice(genpkey_args);
        args.extend_from_slice(&["-out", "key.pem"]);
        openssl(path, &args);
        openssl(path, &["pkey", "-in", "key.pem", "-pubout", "-out", "spki.pem"]);
        openssl(
            path,
            &[
                "pkey", "-in", "key.pem", "-pubout", "-outform", "DER", "-out", "spki.der",
            ],
        );
        openssl(
            path,
            &[
                "req", "-x509", "-new", "-key", "key.pem", "-subj", "/CN=x", "-days", "1", "-out", "cert.pem",
            ],
        );
        openssl(
            path,
            &["x509", "-in", "cert.pem", "-outform", "DER", "-out", "cert.der"],
        );
        KeyFiles { dir }
    }

    fn rsa(bits: u32) -> Self {
        let keygen_bits = format!("rsa_keygen_bits:{bits}");
        let files = KeyFiles::generate(&["-algorithm", "RSA", "-pkeyopt", &keygen_bits]);
        let path = files.path();
        // The KMES export of [3.2.9]: a DER PKCS #1 RSAPublicKey.
        openssl(
            path,
            &[
                "rsa",
                "-in",
                "key.pem",
                "-pubout",
                "-RSAPublicKey_out",
                "-outform",
                "DER",
                "-out",
                "kmes.pub",
            ],
        );
        openssl(
            path,
            &["rsa", "-in", "key.pem", "-RSAPublicKey_out", "-out", "pkcs1.pem"],
        );
        files
    }

    fn ec(curve: &str) -> Self {
        let paramgen = format!("ec_paramgen_curve:{curve}");
        KeyFiles::generate(&["-algorithm", "EC", "-pkeyopt", &paramgen])
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn file(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn bytes(&self, name: &str) -> Vec<u8> {
        fs::read(self.file(name)).expect("read key file")
    }

    /// What `ssh-keygen -i -m PKCS8` prints for this key's SPKI PEM.
    fn expected_line(&self) -> String {
        ssh_keygen_import(self.path(), "PKCS8", "spki.pem")
    }

    /// Renders `name` and checks it against `ssh-keygen` in every respect.
    fn check(&self, name: &str, format: SourceFormat, expected_line: &str) -> PublicKeyReport {
        let report = sshkey::render_file(&self.file(name), None)
            .unwrap_or_else(|error| panic!("{name}: {}", cause_chain(&error)));
        assert_eq!(report.line, expected_line, "{name}");
        assert_eq!(report.source_format, format, "{name}");
        assert_eq!(report.comment, None, "{name}");
        assert_listed_by_ssh_keygen(self.path(), &report);
        report
    }
}

#[test]
fn kmes_export_renders_as_the_guide_pipeline_prints_it() {
    let key = KeyFiles::rsa(2048);
    // [4.1] step 3 and 4, with the misprinted `-RSAPublicKey in` corrected.
    openssl(
        key.path(),
        &[
            "rsa",
            "-RSAPublicKey_in",
            "-inform",
            "DER",
            "-outform",
            "PEM",
            "-in",
            "kmes.pub",
            "-out",
            "kmes.pem",
        ],
    );
    let pipeline_line = ssh_keygen_import(key.path(), "PKCS8", "kmes.pem");

    let report = key.check("kmes.pub", SourceFormat::Pkcs1Der, &pipeline_line);
    assert_eq!(report.algorithm, "ssh-rsa");
    assert_eq!(report.key_type, "RSA");
    assert_eq!(report.bits, 2048);
    assert!(report.fingerprint.starts_with("SHA256:"));
    assert!(!report.fingerprint.ends_with('='), "ssh-keygen prints no padding");
    assert!(!report.line.ends_with('\n') && !report.line.ends_with(' '));

    // The same bytes through `render` give the same report.
    assert_eq!(sshkey::render(&key.bytes("kmes.pub"), None).expect("render"), report);
}

#[test]
fn every_rsa_form_renders_the_same_line() {
    for bits in [3072, 2047] {
        let key = KeyFiles::rsa(bits);
        let expected = key.expected_line();
        assert_eq!(
            ssh_keygen_import(key.path(), "PEM", "pkcs1.pem"),
            expected,
            "ssh-keygen -i -m PEM agrees"
        );
        for (name, format) in [
            ("kmes.pub", SourceFormat::Pkcs1Der),
            ("pkcs1.pem", SourceFormat::Pkcs1Pem),
            ("spki.der", SourceFormat::SpkiDer),
            ("spki.pem", SourceFormat::SpkiPem),
            ("cert.der", SourceFormat::CertificateDer),
            ("cert.pem", SourceFormat::CertificatePem),
        ] {
            let report = key.check(name, format, &expected);
            assert_eq!(report.bits, bits, "{name}");
        }
    }
}

#[test]
fn ecdsa_keys_render_on_every_nist_curve() {
    for (curve, algorithm, bits) in [
        ("P-256", "ecdsa-sha2-nistp256", 256),
        ("P-384", "ecdsa-sha2-nistp384", 384),
        ("P-521", "ecdsa-sha2-nistp521", 521),
    ] {
        let key = KeyFiles::ec(curve);
        let expected = key.expected_line();
        for (name, format) in [
            ("spki.der", SourceFormat::SpkiDer),
            ("spki.pem", SourceFormat::SpkiPem),
            ("cert.der", SourceFormat::CertificateDer),
            ("cert.pem", SourceFormat::CertificatePem),
        ] {
            let report = key.check(name, format, &expected);
            assert_eq!(report.algorithm, algorithm);
            assert_eq!((report.key_type.as_str(), report.bits), ("ECDSA", bits));
        }
    }
}

#[test]
fn compressed_ecdsa_point_is_written_uncompressed_as_ssh_keygen_does() {
    let key = KeyFiles::ec("P-256");
    openssl(
        key.path(),
        &[
            "pkey",
            "-pubin",
            "-in",
            "spki.pem",
            "-pubout",
            "-ec_conv_form",
            "compressed",
            "-out",
            "compressed.pem",
        ],
    );
    assert_ne!(key.bytes("compressed.pem"), key.bytes("spki.pem"));
    let expected = ssh_keygen_import(key.path(), "PKCS8", "compressed.pem");
    assert_eq!(expected, key.expected_line());
    key.check("compressed.pem", SourceFormat::SpkiPem, &expected);
}

#[test]
fn ed25519_keys_render_from_spki_and_certificate() {
    let key = KeyFiles::generate(&["-algorithm", "ed25519"]);
    // This ssh-keygen cannot import Ed25519 PKCS #8, so the expected line is built
    // from the raw key: the SSH blob is string "ssh-ed25519" then string key.
    let spki = key.bytes("spki.der");
    let raw_key = &spki[spki.len() - 32..];
    let mut blob = Vec::new();
    for part in [&b"ssh-ed25519"[..], raw_key] {
        blob.extend_from_slice(&(part.len() as u32).to_be_bytes());
        blob.extend_from_slice(part);
    }
    let expected = format!("ssh-ed25519 {}", Base64::encode_string(&blob));
    for (name, format) in [
        ("spki.der", SourceFormat::SpkiDer),
        ("spki.pem", SourceFormat::SpkiPem),
        ("cert.der", SourceFormat::CertificateDer),
        ("cert.pem", SourceFormat::CertificatePem),
    ] {
        let report = key.check(name, format, &expected);
        assert_eq!(
            (report.algorithm.as_str(), report.key_type.as_str(), report.bits),
            ("ssh-ed25519", "ED25519", 256)
        );
    }
}

#[test]
fn certificate_from_the_throwaway_pki_renders_its_public_key() {
    let authority = fxconfig::pki::Authority::new("fxconfig test CA").expect("CA");
    let client = authority
        .issue_client("PKCS11 Client", fxconfig::pki::Lifetime::valid_for(1))
        .expect("client cert");
    let dir = tempfile::tempdir().expect("temp dir");
    fs::write(dir.path().join("client.pem"), &client.cert_pem).expect("write cert");
    let spki_pem = run(
        dir.path(),
        "openssl",
        &["x509", "-in", "client.pem", "-pubkey", "-noout"],
    );
    fs::write(dir.path().join("client-spki.pem"), spki_pem).expect("write spki");
    let expected = ssh_keygen_import(dir.path(), "PKCS8", "client-spki.pem");

    for (bytes, format) in [
        (client.cert_der.clone(), SourceFormat::CertificateDer),
        (client.cert_pem.clone().into_bytes(), SourceFormat::CertificatePem),
    ] {
        let report = sshkey::render(&bytes, None).expect("render");
        assert_eq!(report.line, expected);
        assert_eq!(report.source_format, format);
        assert_listed_by_ssh_keygen(dir.path(), &report);
    }
}

/// Generates a key with ssh-keygen and returns (dir, contents of id.pub).
fn ssh_keygen_key(key_type: &str, comment: &str) -> (TempDir, String) {
    let dir = tempfile::tempdir().expect("temp dir");
    run(
        dir.path(),
        "ssh-keygen",
        &[
            "-q",
            "-t",
            key_type,
            "-N",
            "",
            "-C",
            comment,
            "-f",
            &path_str(dir.path(), "id"),
        ],
    );
    let public = fs::read_to_string(dir.path().join("id.pub")).expect("read id.pub");
    (dir, public.trim_end().to_owned())
}

#[test]
fn openssh_keys_keep_their_comment_unless_one_is_given() {
    for key_type in ["rsa", "ecdsa", "ed25519"] {
        let (dir, public) = ssh_keygen_key(key_type, "admin@ssh client");
        let path = dir.path().join("id.pub");

        let report = sshkey::render_file(&path, None).expect("render");
        assert_eq!(report.line, public);
        assert_eq!(report.comment.as_deref(), Some("admin@ssh client"));
        assert_eq!(report.source_format, SourceFormat::OpenSsh);
        assert_listed_by_ssh_keygen(dir.path(), &report);

        let key_part = public.rsplitn(3, ' ').last().expect("key part").to_owned();
        let replaced = sshkey::render_file(&path, Some("  fxpkcs11@kmes ")).expect("render");
        assert_eq!(replaced.line, format!("{key_part} fxpkcs11@kmes"));
        assert_eq!(replaced.comment.as_deref(), Some("fxpkcs11@kmes"));

        let removed = sshkey::render_file(&path, Some("")).expect("render");
        assert_eq!(removed.line, key_part);
        assert_eq!(removed.comment, None);
        assert_eq!(removed.fingerprint, report.fingerprint);
    }
}

#[test]
fn rfc4716_keys_render_with_their_comment_header() {
    for key_type in ["rsa", "ecdsa", "ed25519"] {
        let (dir, public) = ssh_keygen_key(key_type, "ignored");
        let exported = run(dir.path(), "ssh-keygen", &["-e", "-m", "RFC4716", "-f", "id.pub"]);
        fs::write(dir.path().join("id.rfc"), &exported).expect("write RFC 4716");
        let comment_line = exported
            .lines()
            .find(|line| line.starts_with("Comment: "))
            .expect("ssh-keygen writes a Comment header");
        let comment = comment_line["Comment: ".len()..].trim_matches('"').to_owned();

        let report = sshkey::render_file(&dir.path().join("id.rfc"), None).expect("render");
        let key_part = public.rsplitn(2, ' ').last().expect("key part");
        assert_eq!(report.line, format!("{key_part} {comment}"));
        assert_eq!(report.comment.as_deref(), Some(comment.as_str()));
        assert_eq!(report.source_format, SourceFormat::Rfc4716);
        assert_listed_by_ssh_keygen(dir.path(), &report);

        // ssh-keygen reads its own export back to the same key.
        assert_eq!(ssh_keygen_import(dir.path(), "RFC4716", "id.rfc"), key_part);
    }
}

#[test]
fn rfc4716_header_continuations_and_other_headers_are_read() {
    let (dir, public) = ssh_keygen_key("ed25519", "x");
    let exported = run(dir.path(), "ssh-keygen", &["-e", "-m", "RFC4716", "-f", "id.pub"]);
    let body: Vec<&str> = exported
        .lines()
        .filter(|line| !line.starts_with("----") && !line.contains(':'))
        .collect();
    let crafted = format!(
        "---- BEGIN SSH2 PUBLIC KEY ----\r\nSubject: root\r\nx-Private-Header: some value,\\\r\n \
         continued on the next line\r\ncomment: \"KMES SSH client,\\\r\n exported 2024\"\r\n{}\r\n\
         ---- END SSH2 PUBLIC KEY ----\r\n",
        body.join("\r\n")
    );
    fs::write(dir.path().join("crafted.rfc"), &crafted).expect("write");
    assert_eq!(
        ssh_keygen_import(dir.path(), "RFC4716", "crafted.rfc"),
        public.rsplitn(2, ' ').last().expect("key part"),
        "ssh-keygen accepts the crafted file"
    );
    let report = sshkey::render(crafted.as_bytes(), None).expect("render");
    assert_eq!(report.comment.as_deref(), Some("KMES SSH client,exported 2024"));
    assert_listed_by_ssh_keygen(dir.path(), &report);
}

#[test]
fn report_serialises_and_formats_have_human_names() {
    let key = KeyFiles::rsa(2048);
    let report = sshkey::render_file(&key.file("kmes.pub"), Some("kmes")).expect("render");
    let json: serde_json::Value = serde_json::to_value(&report).expect("serialise");
    assert_eq!(json["line"], report.line.as_str());
    assert_eq!(json["fingerprint"], report.fingerprint.as_str());
    assert_eq!(json["bits"], 2048);
    assert_eq!(json["comment"], "kmes");
    assert_eq!(json["source_format"], "pkcs1_der");
    assert_eq!(SourceFormat::Pkcs1Der.to_string(), "PKCS #1 RSA public key (DER)");
    assert_eq!(SourceFormat::Rfc4716.to_string(), "RFC 4716 SSH2 public key");
}

// ---------------------------------------------------------------- errors

/// Texts that must never appear in an error about `file_bytes`: every Base64
/// line of a text file, or chunks of the Base64 and hex of a binary one.
fn secret_fragments(file_bytes: &[u8]) -> Vec<String> {
    match std::str::from_utf8(file_bytes) {
        Ok(text) if !file_bytes.starts_with(&[0x30]) => text
            .lines()
            .map(|line| line.trim().to_owned())
            .filter(|line| line.len() >= 16 && !line.contains(' ') && !line.starts_with("---"))
            .collect(),
        _ => {
            let base64 = Base64::encode_string(file_bytes);
            let hex: String = file_bytes.iter().map(|byte| format!("{byte:02x}")).collect();
            [base64, hex]
                .iter()
                .flat_map(|text| {
                    // Whole 12-character pieces only: a short last piece ("ed") can occur in
                    // any sentence by chance.
                    text.as_bytes()
                        .chunks_exact(12)
                        .map(|chunk| String::from_utf8_lossy(chunk).into_owned())
                        .collect::<Vec<_>>()
                })
                .collect()
        }
    }
}

/// Everything an error can show: message, cause chain, debug form and remedy.
fn everything_shown(error: &PubkeyError) -> String {
    format!(
        "{error}\n{}\n{error:?}\n{}",
        cause_chain(error),
        fxconfig::remedy::remedy_with_citation(error)
    )
}

fn render_error(bytes: &[u8]) -> PubkeyError {
    match sshkey::render(bytes, None) {
        Ok(report) => panic!("rendered {report:?}"),
        Err(error) => error,
    }
}

#[test]
fn private_keys_given_by_mistake_are_refused_without_echoing_them() {
    let rsa = KeyFiles::rsa(2048);
    let ec = KeyFiles::ec("P-256");
    let (ssh_dir, _) = ssh_keygen_key("ed25519", "x");
    let p = rsa.path();
    openssl(p, &["rsa", "-in", "key.pem", "-traditional", "-out", "rsa-trad.pem"]);
    openssl(
        p,
        &[
            "rsa",
            "-in",
            "key.pem",
            "-traditional",
            "-aes256",
            "-passout",
            "pass:secret",
            "-out",
            "rsa-trad-enc.pem",
        ],
    );
    openssl(
        p,
        &[
            "rsa",
            "-in",
            "key.pem",
            "-traditional",
            "-outform",
            "DER",
            "-out",
            "rsa-trad.der",
        ],
    );
    openssl(
        p,
        &[
            "pkcs8",
            "-topk8",
            "-nocrypt",
            "-in",
            "key.pem",
            "-outform",
            "DER",
            "-out",
            "pkcs8.der",
        ],
    );
    openssl(
        p,
        &[
            "pkcs8",
            "-topk8",
            "-in",
            "key.pem",
            "-passout",
            "pass:secret",
            "-out",
            "enc.pem",
        ],
    );
    openssl(
        p,
        &[
            "pkcs8",
            "-topk8",
            "-in",
            "key.pem",
            "-passout",
            "pass:secret",
            "-outform",
            "DER",
            "-out",
            "enc.der",
        ],
    );
    openssl(
        p,
        &[
            "pkcs12",
            "-export",
            "-inkey",
            "key.pem",
            "-in",
            "cert.pem",
            "-passout",
            "pass:secret",
            "-out",
            "bundle.p12",
        ],
    );
    openssl(ec.path(), &["ec", "-in", "key.pem", "-out", "ec-trad.pem"]);
    openssl(
        ec.path(),
        &["ec", "-in", "key.pem", "-outform", "DER", "-out", "ec-trad.der"],
    );
    // A PuTTY key file carries its key as Base64 lines after text headers.
    let private_base64 = Base64::encode_string(&rsa.bytes("pkcs8.der"));
    let putty = format!(
        "PuTTY-User-Key-File-3: ssh-rsa\nEncryption: none\nComment: rsa-key\nPublic-Lines: 1\n\
         {}\nPrivate-Lines: 2\n{}\n{}\nPrivate-MAC: 00\n",
        &private_base64[..64],
        &private_base64[64..128],
        &private_base64[128..192]
    );
    fs::write(p.join("key.ppk"), putty).expect("write ppk");
    // A certificate and its key in one file.
    let mut combined = rsa.bytes("cert.pem");
    combined.extend_from_slice(&rsa.bytes("key.pem"));
    fs::write(p.join("combined.pem"), combined).expect("write combined");

    let cases: Vec<(PathBuf, &str)> = vec![
        (rsa.file("key.pem"), "PKCS #8 private key"),
        (rsa.file("rsa-trad.pem"), "PKCS #1 RSA private key"),
        (rsa.file("rsa-trad-enc.pem"), "PKCS #1 RSA private key"),
        (rsa.file("enc.pem"), "encrypted PKCS #8 private key"),
        (ec.file("ec-trad.pem"), "SEC 1 EC private key"),
        (ssh_dir.path().join("id"), "OpenSSH private key"),
        (rsa.file("key.ppk"), "PuTTY private key"),
        (rsa.file("combined.pem"), "PKCS #8 private key"),
        (rsa.file("pkcs8.der"), "PKCS #8 private key"),
        (rsa.file("rsa-trad.der"), "PKCS #1 RSA private key"),
        (rsa.file("enc.der"), "encrypted PKCS #8 private key"),
        (ec.file("ec-trad.der"), "SEC 1 EC private key"),
        (ec.file("key.pem"), "PKCS #8 private key"),
        (rsa.file("bundle.p12"), "PKCS #12 bundle, which holds a private key"),
    ];
    for (path, expected_kind) in cases {
        let bytes = fs::read(&path).expect("read");
        let error = sshkey::render_file(&path, Some("comment")).expect_err("private key refused");
        let PubkeyError::PrivateKeyGiven { kind } = &error else {
            panic!("{}: expected PrivateKeyGiven, got {error:?}", path.display());
        };
        assert_eq!(*kind, expected_kind, "{}", path.display());
        let shown = everything_shown(&error);
        assert!(shown.contains("this is a private key"), "{shown}");
        assert!(shown.contains("[3.2.9]") && shown.contains("never copy the private key"));
        assert_eq!(error.guide_section(), Some("3.2.9"));
        let fragments = secret_fragments(&bytes);
        assert!(!fragments.is_empty(), "{}", path.display());
        for fragment in fragments {
            assert!(
                !shown.contains(&fragment),
                "{} leaked {fragment:?} into the error: {shown}",
                path.display()
            );
        }
    }
}

#[test]
fn garbage_and_empty_inputs_are_not_keys() {
    let binary: Vec<u8> = (0..200u32).map(|i| (i * 37 + 11) as u8 | 0x80).collect();
    let error = render_error(&binary);
    assert!(
        matches!(&error, PubkeyError::NotAKey { looked_like, .. } if looked_like.contains("binary")),
        "{error:?}"
    );

    for text in [
        &b"Hello, this is a note about the SSH key, not the key itself.\n"[..],
        b"0 note about the SSH key that starts like DER\n",
    ] {
        let error = render_error(text);
        assert!(
            matches!(&error, PubkeyError::NotAKey { looked_like, .. } if looked_like.contains("text")),
            "{error:?}"
        );
        assert!(!everything_shown(&error).contains("note about the SSH key"));
    }

    for empty in [&b""[..], b"  \n\t\r\n"] {
        assert!(matches!(render_error(empty), PubkeyError::Empty));
    }
    let dir = tempfile::tempdir().expect("temp dir");
    fs::write(dir.path().join("empty.pub"), b"").expect("write");
    let error = sshkey::render_file(&dir.path().join("empty.pub"), None).expect_err("empty");
    assert!(matches!(error, PubkeyError::Empty));

    let missing = dir.path().join("SSH_Client_Public.pub");
    let error = sshkey::render_file(&missing, None).expect_err("missing");
    let PubkeyError::Read { path, source } = &error else {
        panic!("expected Read, got {error:?}");
    };
    assert_eq!(path, &missing);
    assert_eq!(source.kind(), std::io::ErrorKind::NotFound);
    assert!(cause_chain(&error).contains("SSH_Client_Public.pub"));
}

#[test]
fn other_pem_blocks_and_der_documents_are_named() {
    let key = KeyFiles::rsa(2048);
    openssl(
        key.path(),
        &[
            "req",
            "-new",
            "-key",
            "key.pem",
            "-subj",
            "/CN=x",
            "-out",
            "request.pem",
        ],
    );
    let error = render_error(&key.bytes("request.pem"));
    assert!(
        matches!(&error, PubkeyError::NotAKey { looked_like, .. } if looked_like.contains("\"CERTIFICATE REQUEST\"")),
        "{error:?}"
    );
    openssl(
        key.path(),
        &["req", "-in", "request.pem", "-outform", "DER", "-out", "request.der"],
    );
    let error = render_error(&key.bytes("request.der"));
    assert!(
        matches!(&error, PubkeyError::NotAKey { looked_like, .. } if looked_like.contains("signing request")),
        "{error:?}"
    );

    // A label that promises one thing and holds another.
    let spki = key.bytes("spki.pem");
    let relabelled = String::from_utf8(spki)
        .expect("text")
        .replace("PUBLIC KEY", "RSA PUBLIC KEY");
    let error = render_error(relabelled.as_bytes());
    assert!(
        matches!(&error, PubkeyError::NotAKey { looked_like, .. } if looked_like.contains("SubjectPublicKeyInfo")),
        "{error:?}"
    );
}

#[test]
fn cut_files_are_reported_as_truncated() {
    let key = KeyFiles::rsa(2048);
    for name in ["kmes.pub", "spki.der", "cert.der"] {
        let bytes = key.bytes(name);
        for cut in [2, 3, bytes.len() / 2, bytes.len() - 1] {
            let error = render_error(&bytes[..cut]);
            assert!(
                matches!(error, PubkeyError::Truncated { .. }),
                "{name} cut at {cut}: {error:?}"
            );
        }
    }
    let pem = String::from_utf8(key.bytes("spki.pem")).expect("text");
    let without_end = &pem[..pem.find("-----END").expect("END line")];
    assert!(matches!(
        render_error(without_end.as_bytes()),
        PubkeyError::Truncated { .. }
    ));

    let (dir, _) = ssh_keygen_key("rsa", "x");
    let text = run(dir.path(), "ssh-keygen", &["-e", "-m", "RFC4716", "-f", "id.pub"]);
    let without_end = &text[..text.find("---- END").expect("END line")];
    assert!(matches!(
        render_error(without_end.as_bytes()),
        PubkeyError::Truncated { .. }
    ));
}

#[test]
fn unsupported_algorithms_are_named() {
    let ed448 = KeyFiles::generate(&["-algorithm", "ed448"]);
    let error = render_error(&ed448.bytes("spki.der"));
    let PubkeyError::UnsupportedAlgorithm { algorithm } = &error else {
        panic!("expected UnsupportedAlgorithm, got {error:?}");
    };
    assert!(algorithm.contains("1.3.101.113"), "{algorithm}");

    let dir = tempfile::tempdir().expect("temp dir");
    openssl(
        dir.path(),
        &["ecparam", "-name", "secp256k1", "-genkey", "-noout", "-out", "k1.pem"],
    );
    openssl(dir.path(), &["pkey", "-in", "k1.pem", "-pubout", "-out", "k1.pub"]);
    let error = render_error(&fs::read(dir.path().join("k1.pub")).expect("read"));
    let PubkeyError::UnsupportedAlgorithm { algorithm } = &error else {
        panic!("expected UnsupportedAlgorithm, got {error:?}");
    };
    assert!(algorithm.contains("1.3.132.0.10"), "{algorithm}");

    // A FIDO security-key line, which ssh-keygen reads but this module does not render.
    let mut blob = Vec::new();
    for part in [&b"sk-ssh-ed25519@openssh.com"[..], &[7u8; 32], b"ssh:"] {
        blob.extend_from_slice(&(part.len() as u32).to_be_bytes());
        blob.extend_from_slice(part);
    }
    let line = format!("sk-ssh-ed25519@openssh.com {} token@host", Base64::encode_string(&blob));
    let (_, _, key_type) = ssh_keygen_list(dir.path(), &line);
    assert_eq!(key_type, "ED25519-SK");
    let error = render_error(line.as_bytes());
    let PubkeyError::UnsupportedAlgorithm { algorithm } = &error else {
        panic!("expected UnsupportedAlgorithm, got {error:?}");
    };
    assert_eq!(algorithm, "sk-ssh-ed25519@openssh.com");
}

#[test]
fn keys_openssh_would_refuse_are_bad_keys() {
    let small = KeyFiles::rsa(512);
    let error = render_error(&small.bytes("kmes.pub"));
    assert!(
        matches!(&error, PubkeyError::BadKey { reason, .. } if reason.contains("512 bits")),
        "{error:?}"
    );

    // Move the P-256 point off the curve by changing its last byte.
    let ec = KeyFiles::ec("P-256");
    let mut spki = ec.bytes("spki.der");
    let last = spki.len() - 1;
    spki[last] ^= 0x01;
    let error = render_error(&spki);
    assert!(
        matches!(&error, PubkeyError::BadKey { reason, .. } if reason.contains("not on the curve")),
        "{error:?}"
    );
    assert_eq!(error.guide_section(), Some("3.2.9"));
}

#[test]
fn comments_with_line_breaks_are_refused() {
    let key = KeyFiles::rsa(2048);
    let bytes = key.bytes("kmes.pub");
    for comment in ["two\nlines", "carriage\rreturn", "nul\0byte"] {
        let error = sshkey::render(&bytes, Some(comment)).expect_err("bad comment");
        assert!(matches!(error, PubkeyError::BadComment { .. }), "{error:?}");
        assert_eq!(error.guide_section(), Some("4.1"));
    }
    let report = sshkey::render(&bytes, Some("SSH client on KMES")).expect("spaces are fine");
    assert!(report.line.ends_with(" SSH client on KMES"));
    assert_listed_by_ssh_keygen(key.path(), &report);
}

// ---------------------------------------------------------------- options

#[test]
fn options_are_prefixed_and_the_line_stays_readable_by_ssh_keygen() {
    let key = KeyFiles::rsa(2048);
    let report = sshkey::render_file(&key.file("kmes.pub"), Some("kmes")).expect("render");
    for options in [
        "restrict",
        r#"from="10.0.0.0/8,192.168.1.0/24",restrict"#,
        r#"command="/usr/bin/echo \"hi, there\"",no-pty,no-port-forwarding"#,
        r#"environment="LANG=C",expiry-time="20991231",NO-X11-FORWARDING"#,
        r#"permitopen="localhost:8080",permitlisten="8080",tunnel="0",principals="ops""#,
        "  no-agent-forwarding,no-user-rc,no-touch-required,verify-required ",
    ] {
        let line = sshkey::with_options(&report.line, options).expect(options);
        assert_eq!(line, format!("{} {}", options.trim(), report.line));
        let (bits, fingerprint, key_type) = ssh_keygen_list(key.path(), &line);
        assert_eq!(
            (bits, fingerprint.as_str(), key_type.as_str()),
            (2048, report.fingerprint.as_str(), "RSA")
        );
    }
    assert_eq!(sshkey::with_options(&report.line, "  ").expect("empty"), report.line);
}

#[test]
fn invalid_options_are_refused() {
    let (_dir, public) = ssh_keygen_key("ed25519", "x");
    for options in [
        r#"from="10.0.0.0/8"#,
        "from=\"10.0.0.0/8\",\nrestrict",
        r#"from="10.0.0.0/8", restrict"#,
        "restrict,",
        ",restrict",
        "restrict,,no-pty",
        "bogus-option",
        "no-restrict",
        "restrict=\"yes\"",
        "from",
        "from=10.0.0.0/8",
        r#"environment="NOVALUE""#,
        r#"expiry-time="tomorrow""#,
        r#"permitopen="8080""#,
        r#"tunnel="eth0""#,
        r#"restrict"no-pty"#,
    ] {
        let error = sshkey::with_options(&public, options).expect_err(options);
        assert!(matches!(error, PubkeyError::BadOptions { .. }), "{options}: {error:?}");
        assert_eq!(error.guide_section(), Some("4.1"));
    }
    let already = sshkey::with_options(&public, "restrict").expect("options");
    assert!(matches!(
        sshkey::with_options(&already, "no-pty"),
        Err(PubkeyError::NotAKey { .. })
    ));
    assert!(matches!(
        sshkey::with_options(&format!("{public}\n{public}"), "no-pty"),
        Err(PubkeyError::NotAKey { .. })
    ));
}

/// Whether the tests run as root, which a real `sshd` needs.
fn running_as_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|output| output.stdout.trim_ascii() == b"0")
}

const SSHD: &str = "/usr/sbin/sshd";

/// Serves one SSH connection on 127.0.0.1 with `authorized_keys` as the only
/// way in, logs in as root with `client_key`, and returns whether the login
/// worked together with the server's log.
fn ssh_login_with(dir: &Path, authorized_keys: &str, client_key: &Path) -> (bool, String) {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;
    use std::sync::mpsc;
    use std::time::Duration;

    fs::write(dir.join("authorized_keys"), authorized_keys).expect("write authorized_keys");
    if !dir.join("host_key").exists() {
        run(dir, "ssh-keygen", &["-q", "-t", "ed25519", "-N", "", "-f", "host_key"]);
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("free port")
        .port();
    let config = format!(
        "ListenAddress 127.0.0.1:{port}\nHostKey {}\nAuthorizedKeysFile {}\nStrictModes no\n\
         UsePAM no\nPasswordAuthentication no\nKbdInteractiveAuthentication no\n\
         PermitRootLogin prohibit-password\nPidFile none\n",
        path_str(dir, "host_key"),
        path_str(dir, "authorized_keys"),
    );
    fs::write(dir.join("sshd_config"), config).expect("write sshd_config");
    fs::create_dir_all("/run/sshd").expect("privilege separation directory");

    // -d serves a single connection and then exits.
    let mut server = Command::new(SSHD)
        .args(["-d", "-e", "-f", &path_str(dir, "sshd_config")])
        .stderr(Stdio::piped())
        .spawn()
        .expect("start sshd");
    let stderr = server.stderr.take().expect("sshd stderr");
    let (lines_tx, lines_rx) = mpsc::channel();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = lines_tx.send(line);
        }
    });
    let mut log = String::new();
    while !log.contains("Server listening") {
        match lines_rx.recv_timeout(Duration::from_secs(10)) {
            Ok(line) => {
                log.push_str(&line);
                log.push('\n');
            }
            Err(_) => {
                let _ = server.kill();
                panic!("sshd did not start:\n{log}");
            }
        }
    }
    let login = Command::new("ssh")
        .args(["-F", "/dev/null", "-p", &port.to_string(), "-i"])
        .arg(client_key)
        .args([
            "-o",
            "BatchMode=yes",
            "-o",
            "IdentitiesOnly=yes",
            "-o",
            "IdentityAgent=none",
            "-o",
            "StrictHostKeyChecking=no",
            "-o",
            "UserKnownHostsFile=/dev/null",
            "-o",
            "ConnectTimeout=10",
            "-o",
            "LogLevel=ERROR",
            "root@127.0.0.1",
            "echo",
            "logged-in",
        ])
        .stdin(Stdio::null())
        .output()
        .expect("run ssh");
    let logged_in = login.status.success() && login.stdout.starts_with(b"logged-in");
    let _ = server.kill();
    let _ = server.wait();
    let _ = reader.join();
    log.extend(lines_rx.try_iter().map(|line| line + "\n"));
    (logged_in, log)
}

#[test]
fn sshd_accepts_the_rendered_line_with_its_options() {
    if !running_as_root() || !Path::new(SSHD).exists() {
        eprintln!("skipped: a real sshd login needs root and {SSHD}");
        return;
    }
    let key = KeyFiles::rsa(2048);
    let client_key = key.file("key.pem");
    fs::set_permissions(&client_key, std::os::unix::fs::PermissionsExt::from_mode(0o600)).expect("chmod key");
    let report = sshkey::render_file(&key.file("kmes.pub"), Some("kmes ssh client")).expect("render");

    let allowed = sshkey::with_options(&report.line, r#"from="127.0.0.1,::1",restrict"#).expect("options");
    let (logged_in, log) = ssh_login_with(key.path(), &format!("{allowed}\n"), &client_key);
    assert!(logged_in, "sshd refused the line:\n{log}");
    assert!(log.contains("Accepted publickey for root from 127.0.0.1"), "{log}");
    assert!(
        log.contains(&report.fingerprint),
        "sshd reports the same fingerprint:\n{log}"
    );

    // sshd really applies the options: the same key from elsewhere is refused.
    let elsewhere = sshkey::with_options(&report.line, r#"from="10.0.0.0/8""#).expect("options");
    let (logged_in, log) = ssh_login_with(key.path(), &format!("{elsewhere}\n"), &client_key);
    assert!(!logged_in, "sshd let the key in despite from=:\n{log}");
    assert!(log.contains("not from a permitted host"), "{log}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn damaged_kmes_exports_never_panic(flips in prop::collection::vec((any::<usize>(), any::<u8>()), 1..4), cut in any::<usize>()) {
        static KMES: std::sync::OnceLock<(TempDir, Vec<u8>)> = std::sync::OnceLock::new();
        let (_, original) = KMES.get_or_init(|| {
            let key = KeyFiles::rsa(2048);
            let bytes = key.bytes("kmes.pub");
            (key.dir, bytes)
        });
        let mut bytes = original.clone();
        for (position, mask) in flips {
            let index = position % bytes.len();
            bytes[index] ^= mask;
        }
        bytes.truncate(cut % (bytes.len() + 1));
        // Any outcome is fine as long as it is an answer, not a panic.
        let _ = sshkey::render(&bytes, None);
    }

    #[test]
    fn options_checking_never_panics(options in "\\PC{0,40}") {
        let line = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB5liUk7N5Sno3G/Bh7QIXKwfwOXkxIlVfTFnH+yzn9n";
        if let Ok(prefixed) = sshkey::with_options(line, &options) {
            prop_assert!(prefixed.ends_with(line));
            prop_assert!(!prefixed.contains('\n'));
        }
    }
}
