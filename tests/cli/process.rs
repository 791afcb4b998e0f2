//! Running the binary: its output as text, and the simulator as a `fxconfig kmes-sim`
//! process of its own.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Output, Stdio};

use crate::support::lab::Lab;
use crate::support::tools::FXCONFIG;

/// `fxconfig kmes-sim` as a child process, killed on drop.
pub struct SimProcess {
    child: Child,
    pub port: u16,
}

impl SimProcess {
    pub fn start(lab: &Lab, fault: Option<&str>) -> SimProcess {
        let mut command = Command::new(FXCONFIG);
        command
            .args(["kmes-sim", "--listen", "127.0.0.1:0", "--ca"])
            .arg(&lab.files.ca_cert)
            .arg("--cert")
            .arg(&lab.files.server_cert)
            .arg("--key")
            .arg(&lab.files.server_key)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        if let Some(fault) = fault {
            command.args(["--fault", fault]);
        }
        let mut child = command.spawn().expect("start kmes-sim");
        let stdout = child.stdout.take().expect("stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("kmes-sim prints its address");
        let port = line
            .split_whitespace()
            .find_map(|word| word.parse::<std::net::SocketAddr>().ok())
            .unwrap_or_else(|| panic!("no address in {line:?}"))
            .port();
        SimProcess { child, port }
    }
}

impl Drop for SimProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The standard output, as text.
pub fn stdout_of(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// The standard output and error, as text.
pub fn all_output(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}
