//! The openssl-made PKI: an RSA 2048 CA and client certificate made by the `openssl`
//! command in a temporary folder, exported to PKCS#12 files as `openssl pkcs12` writes them.

use std::fs;
use std::path::PathBuf;

use tempfile::TempDir;

use crate::support::lab::P12_PASSWORD;
use crate::support::tools::openssl;

/// An RSA 2048 CA and client made by the `openssl` CLI in a temporary folder.
pub struct OpensslPki {
    pub dir: TempDir,
}

impl OpensslPki {
    /// CA "Test Root CA"; client "PKCS #11 Client" with `client_ext` as its extension file
    /// and the serial 0x8F0102030405 (high bit set, so DER pads it with a zero byte).
    pub fn new(client_ext: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path();
        openssl(
            path,
            &[
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-keyout",
                "ca.key",
                "-out",
                "ca.pem",
                "-subj",
                "/O=Futurex Test/CN=Test Root CA",
                "-days",
                "365",
            ],
        );
        openssl(
            path,
            &[
                "req",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-keyout",
                "client.key",
                "-out",
                "client.csr",
                "-subj",
                "/O=Futurex Test/CN=PKCS #11 Client",
            ],
        );
        fs::write(path.join("client.ext"), client_ext).unwrap();
        openssl(
            path,
            &[
                "x509",
                "-req",
                "-in",
                "client.csr",
                "-CA",
                "ca.pem",
                "-CAkey",
                "ca.key",
                "-set_serial",
                "0x8F0102030405",
                "-days",
                "90",
                "-extfile",
                "client.ext",
                "-out",
                "client.pem",
            ],
        );
        OpensslPki { dir }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// `openssl pkcs12 -export` of the client with the CA, plus `extra` options.
    pub fn export_p12(&self, name: &str, extra: &[&str]) -> PathBuf {
        let pass = format!("pass:{P12_PASSWORD}");
        let mut args = vec![
            "pkcs12",
            "-export",
            "-in",
            "client.pem",
            "-inkey",
            "client.key",
            "-certfile",
            "ca.pem",
            "-name",
            "PKCS #11 Client",
            "-out",
            name,
            "-passout",
            &pass,
        ];
        args.extend_from_slice(extra);
        openssl(self.dir.path(), &args);
        self.path(name)
    }
}
