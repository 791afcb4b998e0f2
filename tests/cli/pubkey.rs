//! `fxconfig pubkey`: a KMES-style export rendered as an authorized_keys line, its
//! fingerprint as `ssh-keygen -lf` prints it, and a private key refused unechoed.

use std::fs;

use super::process::{all_output, stdout_of};
use crate::support::lab::Lab;
use crate::support::tools::{fxconfig, openssl, run};

#[test]
fn pubkey_prints_an_authorized_keys_line_and_a_fingerprint() {
    let lab = Lab::new();
    let dir = lab.dir.path();
    openssl(
        dir,
        &[
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:2048",
            "-out",
            "client.key",
        ],
    );
    openssl(
        dir,
        &[
            "rsa",
            "-RSAPublicKey_out",
            "-outform",
            "DER",
            "-in",
            "client.key",
            "-out",
            "SSH_Client_Public.pub",
        ],
    );
    let der = dir.join("SSH_Client_Public.pub");
    let key = dir.join("client.key");
    let output = fxconfig()
        .arg("pubkey")
        .arg(&der)
        .args(["--comment", "ssh-client@kmes"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", all_output(&output));
    let line = stdout_of(&output);
    assert!(line.starts_with("ssh-rsa AAAA") && line.trim_end().ends_with(" ssh-client@kmes"));
    fs::write(dir.join("authorized_keys"), &line).unwrap();
    let keygen = run(dir, "ssh-keygen", &["-lf", "authorized_keys"]);
    let output = fxconfig()
        .arg("pubkey")
        .arg(&der)
        .args(["--comment", "ssh-client@kmes", "--fingerprint"])
        .output()
        .unwrap();
    assert_eq!(stdout_of(&output), keygen);

    let output = fxconfig().arg("pubkey").arg(&key).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    let text = all_output(&output);
    assert!(text.to_lowercase().contains("private key"), "{text}");
    let key_text = fs::read_to_string(&key).unwrap();
    let body_line = key_text.lines().nth(1).unwrap();
    assert!(!text.contains(body_line), "no private key material in the message");
}
