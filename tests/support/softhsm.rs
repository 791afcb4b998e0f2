//! Test support for the PKCS#11 tests: a SoftHSM2 token in a temporary folder
//! (its own SOFTHSM2_CONF), initialised with `softhsm2-util` and given an RSA 2048
//! and an EC P-256 key pair by OpenSC's `pkcs11-tool`.

use std::path::{Path, PathBuf};
use std::process::Command;

use fxconfig::pkcs11::Helper;

use super::tools::{FXCONFIG, run_ok};

/// Debian's SoftHSM2 module.
pub const SOFTHSM: &str = "/usr/lib/softhsm/libsofthsm2.so";
/// The token's label.
pub const TOKEN: &str = "fxtest";
/// The token's user PIN.
pub const PIN: &str = "pin-73915";
/// The token's security officer PIN.
pub const SO_PIN: &str = "so-pin-28461";

/// A SoftHSM2 token of its own.
pub struct Hsm {
    /// The folder holding the token and its configuration, deleted with the token.
    pub dir: tempfile::TempDir,
    /// The token's SOFTHSM2_CONF.
    pub conf: PathBuf,
}

impl Default for Hsm {
    /// The same as [`Hsm::new`].
    fn default() -> Hsm {
        Hsm::new()
    }
}

impl Hsm {
    /// A fresh token holding the RSA key `ssh-key` (id 01) and the EC key `ec-key` (id 02).
    pub fn new() -> Hsm {
        let dir = tempfile::tempdir().expect("temporary folder");
        let tokens = dir.path().join("tokens");
        std::fs::create_dir(&tokens).expect("token folder");
        let conf = dir.path().join("softhsm2.conf");
        std::fs::write(
            &conf,
            format!(
                "directories.tokendir = {}\nobjectstore.backend = file\nlog.level = ERROR\n",
                tokens.display()
            ),
        )
        .expect("softhsm2.conf");
        let hsm = Hsm { dir, conf };
        run_ok(hsm.command("softhsm2-util").args([
            "--init-token",
            "--free",
            "--label",
            TOKEN,
            "--so-pin",
            SO_PIN,
            "--pin",
            PIN,
        ]));
        hsm.keygen("rsa:2048", "ssh-key", "01");
        hsm.keygen("EC:prime256v1", "ec-key", "02");
        hsm
    }

    /// A command with this token's SOFTHSM2_CONF.
    pub fn command(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut command = Command::new(program);
        command.env("SOFTHSM2_CONF", &self.conf).env_remove("FXPKCS11_CFG");
        command
    }

    /// pkcs11-tool on this token, logged in with the user PIN.
    pub fn pkcs11_tool(&self) -> Command {
        let mut command = self.command("pkcs11-tool");
        command.args(["--module", SOFTHSM, "--token-label", TOKEN, "--login", "--pin", PIN]);
        command
    }

    /// Makes a key pair on the token with pkcs11-tool.
    pub fn keygen(&self, key_type: &str, label: &str, id: &str) {
        run_ok(
            self.pkcs11_tool()
                .args(["--keypairgen", "--key-type", key_type, "--label", label, "--id", id]),
        );
    }

    /// The helper for the library's child processes, with this token's SOFTHSM2_CONF.
    pub fn helper(&self) -> Helper {
        Helper::new(FXCONFIG).with_env("SOFTHSM2_CONF", &self.conf)
    }

    /// What `ssh-keygen -D` prints for the module.
    pub fn ssh_keygen_lines(&self) -> String {
        let output = run_ok(self.command("ssh-keygen").args(["-D", SOFTHSM]));
        String::from_utf8(output.stdout).expect("UTF-8")
    }

    /// The folder to put other test files in.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }
}
