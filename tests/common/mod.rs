//! Test support shared by the doctor and command-line tests: a demo PKI in a
//! temporary folder, a guide-style fxpkcs11.cfg pointing at it, and the simulator.
#![allow(dead_code)]

pub mod p12;

use std::fs;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use fxconfig::Secret;
use fxconfig::pki::{self, DemoFiles};
use fxconfig::sim::{self, Fault, SimHandle, SimOptions};

/// The PKCS#12 password of the demo identity.
pub const P12_PASSWORD: &str = "p12-Secret-7f3a";
/// The crypto operator password written into the test cfg.
pub const OPERATOR_PASSWORD: &str = "operator-Secret-91c2";

/// A temporary folder with a demo PKI and (once written) a configuration.
pub struct Lab {
    pub dir: tempfile::TempDir,
    pub files: DemoFiles,
    pub cfg: PathBuf,
}

impl Lab {
    /// A fresh demo PKI; the configuration is not written yet.
    pub fn new() -> Lab {
        let dir = tempfile::tempdir().expect("temporary folder");
        let files = pki::write_demo(dir.path(), &Secret::new(P12_PASSWORD)).expect("demo PKI");
        let cfg = dir.path().join("fxpkcs11.cfg");
        Lab { dir, files, cfg }
    }

    /// Writes a configuration in the guide's [4.2] layout for `address:port`.
    pub fn write_cfg(&self, address: &str, port: u16) -> &Path {
        let text = guide_cfg(address, port, &self.files.ca_cert, &self.files.client_p12, P12_PASSWORD);
        write_private(&self.cfg, text.as_bytes());
        &self.cfg
    }

    /// Starts the simulator on a free loopback port with this lab's certificates.
    pub fn start_sim(&self, fault: Option<Fault>) -> SimHandle {
        self.start_sim_with_delay(fault, Duration::from_secs(3))
    }

    /// Starts the simulator with a chosen delay for the `slow` fault.
    pub fn start_sim_with_delay(&self, fault: Option<Fault>, slow_delay: Duration) -> SimHandle {
        let listen: SocketAddr = "127.0.0.1:0".parse().expect("loopback address");
        sim::start(SimOptions {
            listen,
            ca: self.files.ca_cert.clone(),
            cert: self.files.server_cert.clone(),
            key: self.files.server_key.clone(),
            ca_key: Some(self.files.ca_key.clone()),
            fault,
            slow_delay,
        })
        .expect("simulator starts")
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
                let output = std::process::Command::new("openssl")
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
                    .arg(format!("pass:{P12_PASSWORD}"))
                    .output()
                    .expect("openssl runs");
                assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
            }
            OlderP12::Sha1Prf => {
                let der = |path: &Path| {
                    pem::parse(fs::read(path).expect("PEM file"))
                        .expect("PEM")
                        .into_contents()
                };
                let (client, ca, key) = (
                    der(&self.files.client_cert),
                    der(&self.files.ca_cert),
                    der(&self.files.client_key),
                );
                let bytes = p12::identity(&[&client, &ca], &key, &p12::Encryption::sha1_aes256(), P12_PASSWORD);
                write_private(&path, &bytes);
            }
        }
        let said = p12::openssl_opens(&path, P12_PASSWORD);
        assert!(said.contains("PBES2"), "{said}");
        path
    }
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

/// A configuration laid out like the guide's sample in [4.2].
pub fn guide_cfg(address: &str, port: u16, ca: &Path, p12: &Path, p12_password: &str) -> String {
    format!(
        "<CONFIG>\n\
         \x20   # Do not prompt for a PIN during ssh\n\
         \x20   <REQUIRE-LOGIN-FLAG>     NO          </REQUIRE-LOGIN-FLAG>\n\
         </CONFIG>\n\
         <KMS>\n\
         \x20   # Which PKCS11 slot\n\
         \x20   <SLOT>                   0           </SLOT>\n\
         \x20   # Login username\n\
         \x20   <CRYPTO-OPR>             crypto1     </CRYPTO-OPR>\n\
         \x20   <CRYPTO-OPR-PASS>        {OPERATOR_PASSWORD} </CRYPTO-OPR-PASS>\n\
         \x20   # Key group name\n\
         \x20   <KEYGROUP-NAME>          keygroup1   </KEYGROUP-NAME>\n\
         \x20   # Connection information\n\
         \x20   <ADDRESS>                {address}   </ADDRESS>\n\
         \x20   <PROD-PORT>              {port}      </PROD-PORT>\n\
         \x20   <PROD-TLS-ENABLED>       YES         </PROD-TLS-ENABLED>\n\
         \x20   <PROD-TLS-ANONYMOUS>     NO          </PROD-TLS-ANONYMOUS>\n\
         \x20   <PROD-TLS-CA>            {ca}        </PROD-TLS-CA>\n\
         \x20   <PROD-TLS-KEY>           {p12}       </PROD-TLS-KEY>\n\
         \x20   <PROD-TLS-KEY-PASS>      {p12_password} </PROD-TLS-KEY-PASS>\n\
         \x20   <FX-LOAD-BALANCE>        NO          </FX-LOAD-BALANCE>\n\
         </KMS>\n",
        ca = ca.display(),
        p12 = p12.display(),
    )
}

/// A loopback port with nothing listening on it.
pub fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("local address").port();
    drop(listener);
    port
}
