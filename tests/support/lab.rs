//! The test PKI, made by the library's own `fxconfig::pki` (rcgen): a root CA, a server
//! certificate for `localhost` and `127.0.0.1` and a client identity, written into a
//! temporary folder with the file names the demo uses, and a guide-layout `fxpkcs11.cfg`
//! pointing at them.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use fxconfig::Secret;
use fxconfig::cfg::{GuideValues, guide_template};
use fxconfig::pki::{Authority, DemoFiles, IssuedCert, Lifetime, pkcs12_bytes, write_file};

use super::p12;
use super::tools::run_ok;

/// The PKCS#12 password of the client identity.
pub const P12_PASSWORD: &str = "p12-Secret-7f3a";
/// The crypto operator password written into the configuration.
pub const OPERATOR_PASSWORD: &str = "operator-Secret-91c2";

/// A temporary folder with a PKI and (once written) a configuration.
pub struct Lab {
    /// The folder, deleted with the lab.
    pub dir: tempfile::TempDir,
    /// The root CA, which can issue more certificates.
    pub ca: Authority,
    /// The server certificate, for `localhost` and `127.0.0.1`.
    pub server: IssuedCert,
    /// The client certificate ("PKCS #11 Client").
    pub client: IssuedCert,
    /// The files written for all three.
    pub files: DemoFiles,
    /// Where [`Lab::write_cfg`] writes the configuration.
    pub cfg: PathBuf,
}

impl Default for Lab {
    /// The same as [`Lab::new`].
    fn default() -> Lab {
        Lab::new()
    }
}

impl Lab {
    /// A fresh PKI whose CA is "System TLS CA Root"; the configuration is not written yet.
    pub fn new() -> Lab {
        Lab::with_ca("System TLS CA Root")
    }

    /// A fresh PKI whose CA has the common name `ca_name`.
    pub fn with_ca(ca_name: &str) -> Lab {
        let dir = tempfile::tempdir().expect("temporary folder");
        let ca = Authority::new(ca_name).expect("CA");
        let server = ca
            .issue_server(&["localhost", "127.0.0.1"], Lifetime::valid_for(365))
            .expect("server certificate");
        let client = ca
            .issue_client("PKCS #11 Client", Lifetime::valid_for(365))
            .expect("client certificate");
        let files = DemoFiles {
            ca_cert: dir.path().join("root_cert.pem"),
            ca_key: dir.path().join("root_cert.key"),
            server_cert: dir.path().join("kmes_server.pem"),
            server_key: dir.path().join("kmes_server.key"),
            client_p12: dir.path().join("export_pkcs12.p12"),
            client_cert: dir.path().join("pkcs11_client.pem"),
            client_key: dir.path().join("pkcs11_client.key"),
        };
        let cfg = dir.path().join("fxpkcs11.cfg");
        let lab = Lab {
            dir,
            ca,
            server,
            client,
            files,
            cfg,
        };
        lab.write_files();
        lab
    }

    /// Writes the certificates, keys (owner only) and the PKCS#12 file.
    fn write_files(&self) {
        let write = |path: &Path, contents: &[u8], private: bool| {
            write_file(path, contents, private).expect("write PKI file");
        };
        write(&self.files.ca_cert, self.ca.cert.cert_pem.as_bytes(), false);
        write(&self.files.ca_key, self.ca.cert.key_pem.as_bytes(), true);
        write(&self.files.server_cert, self.server.cert_pem.as_bytes(), false);
        write(&self.files.server_key, self.server.key_pem.as_bytes(), true);
        write(&self.files.client_cert, self.client.cert_pem.as_bytes(), false);
        write(&self.files.client_key, self.client.key_pem.as_bytes(), true);
        let p12 = pkcs12_bytes(&self.client, &self.ca.cert, &Secret::new(P12_PASSWORD)).expect("PKCS#12");
        write(&self.files.client_p12, &p12, true);
    }

    /// Writes the guide-layout configuration for `address:port` (see [`guide_cfg`]).
    pub fn write_cfg(&self, address: &str, port: u16) -> &Path {
        let text = guide_cfg(address, port, &self.files, P12_PASSWORD);
        write_private(&self.cfg, text.as_bytes());
        &self.cfg
    }
}

/// How [`Lab::older_p12`] protects the lab's client identity.
#[derive(Debug, Clone, Copy)]
pub enum OlderP12 {
    /// PBES2 with DES-EDE3-CBC for the key and the certificates, by `openssl pkcs12 -export`.
    TripleDes,
    /// PBES2 with the hmacWithSHA1 PRF and AES-256-CBC, as OpenSSL 1.0.x-era exporters write it
    /// (built by [`p12`], since OpenSSL 3 cannot choose the PRF).
    Sha1Prf,
}

impl OlderP12 {
    /// Both kinds.
    pub const ALL: [OlderP12; 2] = [OlderP12::TripleDes, OlderP12::Sha1Prf];

    /// How fxconfig names the scheme protecting the private key.
    pub fn scheme(self) -> &'static str {
        match self {
            OlderP12::TripleDes => "PBES2 (PBKDF2 hmacWithSHA256, DES-EDE3-CBC)",
            OlderP12::Sha1Prf => "PBES2 (PBKDF2 hmacWithSHA1, AES-256-CBC)",
        }
    }
}

impl Lab {
    /// The lab's client certificate, CA and key exported again as PKCS#12 with
    /// [`P12_PASSWORD`], protected as `kind` says; `openssl pkcs12 -info` opens it.
    pub fn older_p12(&self, kind: OlderP12) -> PathBuf {
        let path = self.dir.path().join(format!("{kind:?}.p12"));
        match kind {
            OlderP12::TripleDes => {
                run_ok(
                    Command::new("openssl")
                        .args([
                            "pkcs12",
                            "-export",
                            "-keypbe",
                            "DES-EDE3-CBC",
                            "-certpbe",
                            "DES-EDE3-CBC",
                            "-in",
                        ])
                        .arg(&self.files.client_cert)
                        .arg("-inkey")
                        .arg(&self.files.client_key)
                        .arg("-certfile")
                        .arg(&self.files.ca_cert)
                        .arg("-out")
                        .arg(&path)
                        .arg("-passout")
                        .arg(format!("pass:{P12_PASSWORD}")),
                );
            }
            OlderP12::Sha1Prf => {
                let bytes = p12::identity(
                    &[&self.client.cert_der, &self.ca.cert.cert_der],
                    &self.client.key_der,
                    &p12::Encryption::sha1_aes256(),
                    P12_PASSWORD,
                );
                write_private(&path, &bytes);
            }
        }
        let said = p12::openssl_opens(&path, P12_PASSWORD);
        assert!(said.contains("PBES2"), "{said}");
        path
    }
}

/// The library's guide-layout configuration ([4.2]) for `address:port`, using `files`'
/// CA and PKCS#12 file with `p12_password` and [`OPERATOR_PASSWORD`].
pub fn guide_cfg(address: &str, port: u16, files: &DemoFiles, p12_password: &str) -> String {
    guide_template(&GuideValues {
        address,
        port,
        tls_ca: &files.ca_cert,
        tls_key: &files.client_p12,
        tls_key_pass: p12_password,
        crypto_opr_pass: OPERATOR_PASSWORD,
    })
}

/// Writes a file readable by its owner only.
pub fn write_private(path: &Path, contents: &[u8]) {
    fs::write(path, contents).expect("write file");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(path, fs::Permissions::from_mode(0o600)).expect("chmod 600");
    }
}
