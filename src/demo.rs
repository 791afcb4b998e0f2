//! The demo: everything a newcomer needs to see the tool work without a KMES.
//!
//! [`Demo::start`] makes a throwaway PKI in a temporary folder ([`crate::pki::write_demo`]),
//! starts the KMES simulator on a free loopback port with it ([`crate::sim::start`]), and
//! writes an `fxpkcs11.cfg` laid out like the guide's sample of [4.2] that points at both,
//! plus the client's public key as a KMES-style export for the SSH key screen. The
//! returned [`Demo`] keeps the simulator running and the folder alive; dropping it stops
//! the simulator and deletes the folder.
//!
//! [`Demo::replay`] does the same around a replay of a capture ([`crate::sim::replay`])
//! instead of the simulator: the app then shows how the captured KMES behaved.
//!
//! The demo's passwords are fixed and public ([`DEMO_P12_PASSWORD`],
//! [`DEMO_OPERATOR_PASSWORD`]): they protect throwaway keys only, and a newcomer needs to
//! type the first one into the certificate screen's password prompt.

use std::fs;
use std::io;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use crate::capture::{Capture, CaptureError};
use crate::cfg::{self, GuideValues};
use crate::pki::{self, DemoFiles, PkiError};
use crate::remedy::Explain;
use crate::secret::Secret;
use crate::sim::replay::{ReplayError, ReplayHandle, ReplayLab};
use crate::sim::{self, Fault, SimError, SimHandle, SimOptions};

/// The password of the demo's PKCS#12 client identity (a throwaway key; public on purpose).
pub const DEMO_P12_PASSWORD: &str = "kmes-demo-p12";

/// The KMES user password written into the demo configuration (a throwaway value).
pub const DEMO_OPERATOR_PASSWORD: &str = "demo-operator";

/// The file name of the demo configuration inside the demo folder.
pub const DEMO_CONFIG_NAME: &str = "fxpkcs11.cfg";

/// The file name of the demo's exported public key, as the KMES names it in [3.2.9].
pub const DEMO_PUBLIC_KEY_NAME: &str = "SSH_Client_Public.pub";

/// Why the demo could not be set up.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DemoError {
    /// The temporary folder could not be created.
    #[error("could not create a temporary folder for the demo: {0}")]
    Folder(#[source] io::Error),
    /// The throwaway certificates could not be made or written.
    #[error("could not make the demo certificates: {0}")]
    Pki(#[from] PkiError),
    /// The client certificate made for the demo could not be read back.
    #[error("could not read the demo client certificate: {0}")]
    Certificate(String),
    /// The simulator could not start.
    #[error("could not start the KMES simulator: {0}")]
    Sim(#[from] SimError),
    /// The capture could not be read.
    #[error(transparent)]
    Capture(#[from] CaptureError),
    /// The replay of the capture could not be prepared or started.
    #[error("could not replay the capture: {0}")]
    Replay(#[from] ReplayError),
}

impl Explain for DemoError {
    fn remedy(&self) -> String {
        match self {
            DemoError::Folder(_) | DemoError::Pki(_) => {
                "Check that the temporary folder (TMPDIR) exists, is writable and has free space.".to_owned()
            }
            DemoError::Certificate(_) => "Run the demo again; if it keeps failing, report the error.".to_owned(),
            DemoError::Sim(error) => error.remedy(),
            DemoError::Capture(error) => error.remedy(),
            DemoError::Replay(error) => error.remedy(),
        }
    }

    fn guide_section(&self) -> Option<&'static str> {
        match self {
            DemoError::Sim(error) => error.guide_section(),
            _ => None,
        }
    }
}

/// What serves a demo.
enum DemoServer {
    /// The simulator, whose fault can be switched.
    Sim(SimHandle),
    /// A replay of a capture.
    Replay(ReplayHandle, ReplaySource),
}

/// The capture a demo replays, and what its run saw of the network that a replay cannot
/// re-create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplaySource {
    /// The capture file.
    pub path: PathBuf,
    /// When the captured run ended.
    pub taken_at: String,
    /// The captured configuration's address.
    pub host: Option<String>,
    /// The addresses it resolved to in the captured run.
    pub resolved: Vec<String>,
    /// The address and port the captured run connected to, when it did.
    pub connected: Option<String>,
}

impl ReplaySource {
    /// Says what is replayed and what is observed here, for the screens.
    pub fn describe(&self, here: SocketAddr) -> String {
        let name = self.path.file_name().map_or_else(
            || self.path.display().to_string(),
            |name| name.to_string_lossy().into_owned(),
        );
        let resolved = match (&self.host, self.resolved.is_empty()) {
            (Some(host), false) => format!("it resolved {host} to {}", self.resolved.join(", ")),
            (Some(host), true) => format!("it was set to reach {host}"),
            (None, _) => "it named no address".to_owned(),
        };
        let seen = match &self.connected {
            Some(address) => format!("{resolved} and connected to {address}"),
            None => resolved,
        };
        format!(
            "Replay of {name}, captured {}: {seen}. Here the replay answers on {here}, so net.resolve and net.connect are observed on this machine, not replayed; the TLS and Excrypt checks see the captured KMES's behaviour.",
            self.taken_at
        )
    }
}

/// A running demo: the folder with its files and the simulator (or a replay) serving them.
pub struct Demo {
    server: DemoServer,
    files: DemoFiles,
    config: PathBuf,
    public_key: PathBuf,
    // Declared last so the simulator stops before its files are deleted.
    folder: tempfile::TempDir,
}

impl std::fmt::Debug for Demo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let server = match &self.server {
            DemoServer::Sim(sim) => format!("{sim:?}"),
            DemoServer::Replay(handle, source) => {
                format!("replay of {} on {}", source.path.display(), handle.local_addr())
            }
        };
        f.debug_struct("Demo")
            .field("folder", &self.folder.path())
            .field("config", &self.config)
            .field("server", &server)
            .finish_non_exhaustive()
    }
}

/// A temporary folder only this user may enter (0700 on Unix whatever the umask): it holds
/// the demo's private keys and a configuration holding the PKCS#12 password.
fn private_folder() -> std::io::Result<tempfile::TempDir> {
    let mut builder = tempfile::Builder::new();
    builder.prefix("fxconfig-demo-");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(0o700));
    }
    builder.tempdir()
}

impl Demo {
    /// Makes the demo folder, its certificates and configuration, and starts the simulator
    /// on `127.0.0.1` (a free port) with `fault` (`None`: a healthy KMES).
    ///
    /// # Errors
    /// [`DemoError`] when a file cannot be written or the simulator cannot start.
    pub fn start(fault: Option<Fault>) -> Result<Demo, DemoError> {
        let folder = private_folder().map_err(DemoError::Folder)?;
        let files = pki::write_demo(folder.path(), &Secret::new(DEMO_P12_PASSWORD))?;
        let public_key = folder.path().join(DEMO_PUBLIC_KEY_NAME);
        write_public_key(&files.client_cert, &public_key)?;
        let sim = sim::start(SimOptions {
            ca_key: Some(files.ca_key.clone()),
            fault,
            ..SimOptions::new(
                SocketAddr::from(([127, 0, 0, 1], 0)),
                files.ca_cert.clone(),
                files.server_cert.clone(),
                files.server_key.clone(),
            )
        })?;
        let config = folder.path().join(DEMO_CONFIG_NAME);
        let text = guide_config(sim.local_addr(), &files);
        pki::write_file(&config, text.as_bytes(), true)?;
        Ok(Demo {
            server: DemoServer::Sim(sim),
            files,
            config,
            public_key,
            folder,
        })
    }

    /// Makes the demo folder around a replay of the capture at `capture_path`: the replay's
    /// certificates and keys, its client identity (protected by [`DEMO_P12_PASSWORD`]) and a
    /// configuration naming the replay, which listens on `127.0.0.1` (a free port).
    ///
    /// # Errors
    /// [`DemoError`] when the capture cannot be read or replayed, or a file written.
    pub fn replay(capture_path: &Path) -> Result<Demo, DemoError> {
        let capture = Capture::read(capture_path)?;
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |elapsed| i64::try_from(elapsed.as_secs()).unwrap_or(i64::MAX));
        let lab = ReplayLab::prepare(&capture, now)?;
        let folder = private_folder().map_err(DemoError::Folder)?;
        let files = lab.write_demo_files(folder.path(), &Secret::new(DEMO_P12_PASSWORD))?;
        let public_key = folder.path().join(DEMO_PUBLIC_KEY_NAME);
        write_public_key(&files.client_cert, &public_key)?;
        let handle = lab.start(SocketAddr::from(([127, 0, 0, 1], 0)))?;
        let config = folder.path().join(DEMO_CONFIG_NAME);
        let text = guide_config(handle.local_addr(), &files);
        pki::write_file(&config, text.as_bytes(), true)?;
        let network = &capture.network;
        let source = ReplaySource {
            path: capture_path.to_owned(),
            taken_at: capture.taken_at.clone(),
            host: network.host.clone(),
            resolved: network.resolved.clone(),
            connected: network.connect.as_ref().and_then(|connect| connect.address.clone()),
        };
        Ok(Demo {
            server: DemoServer::Replay(handle, source),
            files,
            config,
            public_key,
            folder,
        })
    }

    /// The capture this demo replays, when it replays one.
    pub fn replay_source(&self) -> Option<&ReplaySource> {
        match &self.server {
            DemoServer::Sim(_) => None,
            DemoServer::Replay(_, source) => Some(source),
        }
    }

    /// The demo configuration file.
    pub fn config_path(&self) -> &Path {
        &self.config
    }

    /// The temporary folder holding every demo file.
    pub fn folder(&self) -> &Path {
        self.folder.path()
    }

    /// The certificate and key files of the demo PKI.
    pub fn files(&self) -> &DemoFiles {
        &self.files
    }

    /// The client's public key as a DER `SubjectPublicKeyInfo` file, standing in for the
    /// KMES export of [3.2.9] (the demo key is ECDSA P-256; a KMES exports RSA).
    pub fn public_key_path(&self) -> &Path {
        &self.public_key
    }

    /// Where the simulator (or the replay) listens.
    pub fn sim_addr(&self) -> SocketAddr {
        match &self.server {
            DemoServer::Sim(sim) => sim.local_addr(),
            DemoServer::Replay(handle, _) => handle.local_addr(),
        }
    }

    /// The simulator's current fault; `None` for a replay.
    pub fn fault(&self) -> Option<Fault> {
        match &self.server {
            DemoServer::Sim(sim) => sim.fault(),
            DemoServer::Replay(..) => None,
        }
    }

    /// Switches the simulator's fault for connections from now on.
    ///
    /// # Errors
    /// [`SimError`] when the fault cannot be set up; the fault is then unchanged.
    pub fn set_fault(&self, fault: Option<Fault>) -> Result<(), SimError> {
        match &self.server {
            DemoServer::Sim(sim) => sim.set_fault(fault),
            DemoServer::Replay(..) => Err(SimError::Replaying),
        }
    }
}

/// Writes the subject public key of the PEM certificate at `cert` as DER to `out`.
fn write_public_key(cert: &Path, out: &Path) -> Result<(), DemoError> {
    let pem_text = fs::read(cert).map_err(|source| {
        DemoError::Pki(PkiError::Write {
            path: cert.to_owned(),
            source,
        })
    })?;
    let block = pem::parse(&pem_text).map_err(|e| DemoError::Certificate(e.to_string()))?;
    let (_, parsed) =
        x509_parser::parse_x509_certificate(block.contents()).map_err(|e| DemoError::Certificate(e.to_string()))?;
    pki::write_file(out, parsed.tbs_certificate.subject_pki.raw, false)?;
    Ok(())
}

/// The demo configuration, in the layout of the guide's sample in [4.2].
fn guide_config(addr: SocketAddr, files: &DemoFiles) -> String {
    cfg::guide_template(&GuideValues {
        address: &addr.ip().to_string(),
        port: addr.port(),
        tls_ca: &files.ca_cert,
        tls_key: &files.client_p12,
        tls_key_pass: DEMO_P12_PASSWORD,
        crypto_opr_pass: DEMO_OPERATOR_PASSWORD,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cfg::{CfgDocument, validate};

    #[test]
    fn the_demo_configuration_is_valid_and_points_at_the_demo_files() {
        let demo = Demo::start(None).expect("demo starts");
        let bytes = fs::read(demo.config_path()).expect("config written");
        let doc = CfgDocument::parse(&bytes).expect("parses");
        let errors: Vec<_> = validate(&doc, Some(demo.config_path()))
            .into_iter()
            .filter(|f| f.severity == crate::cfg::Severity::Error)
            .collect();
        assert!(errors.is_empty(), "{errors:?}");
        let settings = doc.settings();
        assert_eq!(settings.prod_port, Some(demo.sim_addr().port()));
        assert_eq!(
            settings.tls_key.as_deref(),
            Some(&*demo.files().client_p12.to_string_lossy())
        );
        assert!(crate::sshkey::render_file(demo.public_key_path(), None).is_ok());
    }

    #[test]
    fn dropping_the_demo_deletes_its_folder() {
        let demo = Demo::start(None).expect("demo starts");
        let folder = demo.folder().to_owned();
        assert!(folder.exists());
        drop(demo);
        assert!(!folder.exists());
    }

    /// Run by the test below in a child process whose umask is 000.
    #[cfg(unix)]
    #[test]
    #[ignore = "run by the_demo_folder_is_private_whatever_the_umask under umask 000"]
    fn print_the_mode_of_a_private_folder() {
        use std::os::unix::fs::PermissionsExt;
        let folder = private_folder().expect("folder");
        let mode = std::fs::metadata(folder.path()).expect("metadata").permissions().mode();
        println!("private folder mode {:o}", mode & 0o7777);
    }

    #[cfg(unix)]
    #[test]
    fn the_demo_folder_is_private_whatever_the_umask() {
        // The umask is the whole process's, so it is set in a child run of this test program.
        let output = std::process::Command::new("/bin/sh")
            .args(["-c", "umask 000; exec \"$0\" \"$@\""])
            .arg(std::env::current_exe().expect("test program"))
            .args([
                "--exact",
                "demo::tests::print_the_mode_of_a_private_folder",
                "--ignored",
                "--nocapture",
            ])
            .output()
            .expect("the test program runs");
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(stdout.contains("private folder mode 700"), "{stdout}");
    }
}
