//! The SSH end of the journey: the OpenSSH client configuration (`ssh_config`), the local
//! OpenSSH release, the agent and the key ssh offers.
//!
//! - [`agent`]: whether the running agent would accept `ssh-add -s MODULE`, and its cfg;
//! - [`config_file`]: a lossless ssh_config text and the `Host` block fxconfig writes;
//! - [`precedence`]: which line of which file gives a keyword its value for a host;
//! - [`resolved`]: what `ssh -G` resolves (the proof);
//! - [`daily`]: the commands of daily use (`ssh ALIAS`, the agent), in POSIX and PowerShell;
//! - [`host_block`]: `fxconfig ssh-config`, one operation for the command line and the app;
//! - [`offer`]: which token keys ssh offers, in which order;
//! - [`version`]: `ssh -V` and what that release can do with a PKCS#11 token.

pub mod agent;
pub mod config_file;
pub mod daily;
mod error;
pub mod host_block;
pub mod offer;
pub mod precedence;
pub mod resolved;
pub mod version;

pub use config_file::{SettingAction, SettingChange, SshConfigText};
pub use error::SshConfigError;
pub use host_block::{HostBlockReport, HostBlockRequest, Proof, ReadBy, SshLocations, write_host_block};
pub use resolved::{ResolvedConfig, SshQueryError};
pub use version::{OpenSshVersion, TokenKeyType};
