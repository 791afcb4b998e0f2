//! The SSH client, as a feature of the app: the `Host` block that makes `ssh ALIAS` use the
//! token key (previewed, then written and proven with `ssh -G`), and the agent's verdict.
//! Each result keeps the inputs it was made with, so the screen can say when it is out of
//! date.

mod apply;

use std::path::PathBuf;

use crate::sshclient::HostBlockReport;
use crate::sshclient::HostBlockRequest;
use crate::sshclient::agent::AgentVerdict;

use super::super::model::Problem;

/// A preview or a write of the Host block.
#[derive(Debug)]
pub struct BlockRun {
    /// What was asked.
    pub request: HostBlockRequest,
    /// Whether it writes (else it previews: `check`).
    pub write: bool,
    /// The outcome; `None` while it runs.
    pub outcome: Option<Result<Box<HostBlockReport>, Problem>>,
}

/// What the agent check found.
#[derive(Debug)]
pub enum AgentOutcome {
    /// No agent runs in this session.
    NoAgent,
    /// The agent, judged.
    Judged(AgentVerdict),
    /// It could not be examined.
    Failed(Problem),
}

/// One agent check and what it judged.
#[derive(Debug)]
pub struct AgentRun {
    /// The module judged.
    pub module: PathBuf,
    /// The configuration judged against.
    pub config: Option<PathBuf>,
    /// The outcome; `None` while it runs.
    pub outcome: Option<AgentOutcome>,
}

/// The SSH client screen's results.
#[derive(Debug, Default)]
pub struct SshClientState {
    /// The last preview or write.
    pub block: Option<BlockRun>,
    /// The last agent check.
    pub agent: Option<AgentRun>,
}

impl SshClientState {
    /// Whether a preview, a write or an agent check is running.
    pub fn running(&self) -> bool {
        self.block.as_ref().is_some_and(|run| run.outcome.is_none())
            || self.agent.as_ref().is_some_and(|run| run.outcome.is_none())
    }
}

/// What the UI asks of the SSH client feature.
#[derive(Debug)]
pub enum SshClientCommand {
    /// Work out and prove the block, writing nothing.
    Preview(HostBlockRequest),
    /// Write the block and prove it.
    Write(HostBlockRequest),
    /// Judge the agent for this module and configuration.
    CheckAgent {
        /// The module.
        module: PathBuf,
        /// The configuration open, if any.
        config: Option<PathBuf>,
    },
}

/// What the SSH client feature's workers report.
#[derive(Debug)]
pub enum SshClientEvent {
    /// A preview or write finished.
    Block {
        /// What was asked.
        request: HostBlockRequest,
        /// Whether it wrote.
        write: bool,
        /// The report, or why not.
        result: Result<Box<HostBlockReport>, Problem>,
    },
    /// The agent was judged.
    Agent {
        /// The module judged.
        module: PathBuf,
        /// The configuration judged against.
        config: Option<PathBuf>,
        /// What was found.
        outcome: AgentOutcome,
    },
}
