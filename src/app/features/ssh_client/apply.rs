//! How the commands and the workers' events of this feature change the app.

use crate::sshclient::agent::{self, AgentFinding};
use crate::sshclient::{self, SshLocations, resolved, version};

use super::super::super::FxApp;
use super::super::super::model::Problem;
use super::*;

impl FxApp {
    /// Applies a command of this feature.
    pub(in crate::app) fn apply_ssh_client(&mut self, command: SshClientCommand) {
        match command {
            SshClientCommand::Preview(request) => self.start_host_block(request, false),
            SshClientCommand::Write(request) => self.start_host_block(request, true),
            SshClientCommand::CheckAgent { module, config } => {
                if self.ssh_client.agent.as_ref().is_some_and(|run| run.outcome.is_none()) {
                    return;
                }
                self.ssh_client.agent = Some(AgentRun {
                    module: module.clone(),
                    config: config.clone(),
                    outcome: None,
                });
                let spawned = self.tasks.spawn("ssh-agent-check", move || {
                    let client = version::local_version(&resolved::ssh_program()).ok();
                    let outcome = match agent::examine(
                        agent::session_socket().as_deref(),
                        &module,
                        config.as_deref(),
                        client.as_ref(),
                    ) {
                        AgentFinding::NoAgent => AgentOutcome::NoAgent,
                        AgentFinding::Judged(verdict) => AgentOutcome::Judged(verdict),
                        AgentFinding::Unreachable(error) => AgentOutcome::Failed(Problem::plain(format!(
                            "{}: start an agent with eval $(ssh-agent), or unset SSH_AUTH_SOCK",
                            crate::remedy::cause_chain(&error)
                        ))),
                    };
                    SshClientEvent::Agent {
                        module,
                        config,
                        outcome,
                    }
                });
                if let Err(error) = spawned {
                    self.ssh_client.agent = None;
                    self.error(format!("Could not start background work (ssh-agent-check): {error}"));
                }
            }
        }
    }

    fn start_host_block(&mut self, request: HostBlockRequest, write: bool) {
        if self.ssh_client.block.as_ref().is_some_and(|run| run.outcome.is_none()) {
            return;
        }
        self.ssh_client.block = Some(BlockRun {
            request: request.clone(),
            write,
            outcome: None,
        });
        let spawned = self.tasks.spawn("ssh-config", move || {
            let asked = HostBlockRequest {
                check: !write,
                ..request.clone()
            };
            let result = sshclient::write_host_block(&asked, &SshLocations::of_this_user())
                .map(Box::new)
                .map_err(|error| Problem::explained(&error));
            SshClientEvent::Block { request, write, result }
        });
        if let Err(error) = spawned {
            self.ssh_client.block = None;
            self.error(format!("Could not start background work (ssh-config): {error}"));
        }
    }

    /// Applies what a worker of this feature reported.
    pub(in crate::app) fn handle_ssh_client(&mut self, event: SshClientEvent) {
        match event {
            SshClientEvent::Block { request, write, result } => {
                if let Ok(report) = &result
                    && write
                {
                    if report.changed {
                        self.info(format!(
                            "Saved {}: the Host {} block, proven with ssh -G.",
                            report.path.display(),
                            request.alias
                        ));
                    } else {
                        self.info(format!(
                            "{} already holds the Host {} block.",
                            report.path.display(),
                            request.alias
                        ));
                    }
                }
                if let Err(problem) = &result {
                    self.error(problem.message.clone());
                }
                if let Some(run) = &mut self.ssh_client.block
                    && run.request == request
                    && run.write == write
                {
                    run.outcome = Some(result);
                }
            }
            SshClientEvent::Agent {
                module,
                config,
                outcome,
            } => {
                if let Some(run) = &mut self.ssh_client.agent
                    && run.module == module
                    && run.config == config
                {
                    run.outcome = Some(outcome);
                }
            }
        }
    }
}
