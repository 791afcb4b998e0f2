//! OpenSSH's `sshd` on a free loopback port, with its own configuration, host key and
//! authorized_keys, for the tests that log in through a PKCS#11 module.

use std::io::Read;
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fxconfig::Secret;
use fxconfig::pkcs11::ssh::{HostKeys, SshLoginOptions, SshTarget};

use super::net::free_port;
use super::softhsm::SOFTHSM;
use super::tools::run_ok;

/// An sshd of its own on a free loopback port, stopped on drop.
pub struct Sshd {
    dir: tempfile::TempDir,
    child: Child,
    /// The loopback port it listens on.
    pub port: u16,
    /// The authorized_keys file it reads for every user.
    pub authorized_keys: PathBuf,
    /// A known_hosts file holding its host key.
    pub known_hosts: PathBuf,
}

/// The name of the account running the tests.
pub fn current_user() -> String {
    let output = run_ok(Command::new("id").arg("-un"));
    String::from_utf8(output.stdout).unwrap().trim().to_owned()
}

impl Sshd {
    /// Starts sshd accepting the keys in `authorized` for the current user.
    pub fn start(authorized: &str) -> Sshd {
        Sshd::start_logging(authorized, "INFO")
    }

    /// As [`Sshd::start`], logging at `level` (`DEBUG1` shows every key offered).
    pub fn start_logging(authorized: &str, level: &str) -> Sshd {
        let dir = tempfile::tempdir().expect("temporary folder");
        let host_key = dir.path().join("ssh_host_ed25519_key");
        run_ok(
            Command::new("ssh-keygen")
                .args(["-q", "-t", "ed25519", "-N", "", "-f"])
                .arg(&host_key),
        );
        let authorized_keys = dir.path().join("authorized_keys");
        std::fs::write(&authorized_keys, authorized).unwrap();
        if run_ok(Command::new("id").arg("-u")).stdout.starts_with(b"0\n") {
            std::fs::create_dir_all("/run/sshd").expect("sshd's privilege separation folder");
        }
        let port = free_port();
        let config = dir.path().join("sshd_config");
        std::fs::write(
            &config,
            format!(
                "Port {port}\nListenAddress 127.0.0.1\nHostKey {}\nAuthorizedKeysFile {}\nPidFile {}\n\
                 UsePAM no\nStrictModes no\nPasswordAuthentication no\nKbdInteractiveAuthentication no\n\
                 PubkeyAuthentication yes\nPermitRootLogin prohibit-password\nLogLevel {level}\n",
                host_key.display(),
                authorized_keys.display(),
                dir.path().join("sshd.pid").display()
            ),
        )
        .unwrap();
        let log = std::fs::File::create(dir.path().join("sshd.log")).unwrap();
        let child = Command::new("/usr/sbin/sshd")
            .args(["-D", "-e", "-f"])
            .arg(&config)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("sshd starts");
        let public = std::fs::read_to_string(host_key.with_extension("pub")).unwrap();
        let known_hosts = dir.path().join("known_hosts");
        let key: Vec<&str> = public.split_whitespace().take(2).collect();
        std::fs::write(&known_hosts, format!("[127.0.0.1]:{port} {}\n", key.join(" "))).unwrap();
        let sshd = Sshd {
            dir,
            child,
            port,
            authorized_keys,
            known_hosts,
        };
        sshd.wait_for_banner();
        sshd
    }

    fn wait_for_banner(&self) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(mut stream) = TcpStream::connect(("127.0.0.1", self.port)) {
                let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
                let mut banner = [0u8; 4];
                if stream.read_exact(&mut banner).is_ok() && &banner == b"SSH-" {
                    return;
                }
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("sshd did not start: {}", self.log());
    }

    /// Its folder (configuration, host key, log), for other test files.
    pub fn path(&self) -> &std::path::Path {
        self.dir.path()
    }

    /// What sshd logged so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("sshd.log")).unwrap_or_default()
    }

    /// `USER@127.0.0.1:PORT`.
    pub fn target(&self) -> SshTarget {
        format!("{}@127.0.0.1:{}", current_user(), self.port).parse().unwrap()
    }

    /// Login options for this server, trusting its host key, with `pin` when given.
    pub fn options(&self, pin: Option<&str>) -> SshLoginOptions {
        SshLoginOptions {
            pin: pin.map(Secret::new),
            host_keys: HostKeys::File(self.known_hosts.clone()),
            ..SshLoginOptions::new(SOFTHSM, self.target())
        }
    }
}

impl Drop for Sshd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
