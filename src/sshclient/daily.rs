//! The commands of daily use, ready to paste: `ssh ALIAS` through the Host block, an agent
//! that reads the configuration checked, and `ssh-add -s MODULE`, in POSIX shell and in
//! PowerShell.

use std::path::Path;

use serde::Serialize;

use super::agent::{DEFAULT_ALLOWED_PROVIDERS, provider_allowed};
use crate::cfg::LibraryCfg;
use crate::cfg::locate::is_library_cfg;
use crate::pkcs11::ssh::Shell;

/// One command and what it is for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DailyCommand {
    /// What it does, in a few words.
    pub purpose: &'static str,
    /// The command line.
    pub command: String,
}

/// What the commands are about.
#[derive(Debug, Clone, Copy)]
pub struct DailyUse<'a> {
    /// The Host alias.
    pub alias: &'a str,
    /// The PKCS#11 module.
    pub module: &'a Path,
    /// The configuration checked; `None` when none is open.
    pub config: Option<&'a Path>,
    /// The file the library reads without `FXPKCS11_CFG` set by these commands.
    pub library: &'a LibraryCfg,
    /// The ssh_config file, when ssh reads it only with `-F`.
    pub ssh_config: Option<&'a Path>,
}

impl DailyUse<'_> {
    /// The configuration to name in `FXPKCS11_CFG`, when the library would read another.
    fn config_to_set(&self) -> Option<String> {
        let config = self.config.filter(|config| !is_library_cfg(config, self.library))?;
        Some(
            std::path::absolute(config)
                .unwrap_or_else(|_| config.to_path_buf())
                .display()
                .to_string(),
        )
    }

    /// The commands for `shell`, in the order they are run.
    pub fn commands(&self, shell: Shell) -> Vec<DailyCommand> {
        let cfg = self.config_to_set();
        let module = shell.word(&self.module.display().to_string());
        let file = self
            .ssh_config
            .map(|file| format!("-F {} ", shell.word(&file.display().to_string())))
            .unwrap_or_default();
        let ssh = format!("ssh {file}{}", shell.word(self.alias));
        let real = self.module.canonicalize().unwrap_or_else(|_| self.module.to_path_buf());
        let mut out = Vec::new();
        match shell {
            Shell::Posix => {
                let env = cfg
                    .as_ref()
                    .map(|cfg| format!("FXPKCS11_CFG={} ", shell.word(cfg)))
                    .unwrap_or_default();
                out.push(DailyCommand {
                    purpose: "Log in through the Host block",
                    command: format!("{env}{ssh}"),
                });
                let allow = if provider_allowed(&real.display().to_string(), DEFAULT_ALLOWED_PROVIDERS) {
                    String::new()
                } else {
                    let folder = real.parent().unwrap_or(Path::new("/"));
                    format!(" -P {}", shell.word(&format!("{}/*", folder.display())))
                };
                out.push(DailyCommand {
                    purpose: "Start an agent whose module reads this configuration",
                    command: format!("eval \"$({env}ssh-agent{allow})\""),
                });
            }
            Shell::PowerShell => {
                let env = cfg
                    .as_ref()
                    .map(|cfg| format!("$env:FXPKCS11_CFG={}; ", shell.word(cfg)))
                    .unwrap_or_default();
                out.push(DailyCommand {
                    purpose: "Log in through the Host block",
                    command: format!("{env}{ssh}"),
                });
                if let Some(cfg) = &cfg {
                    out.push(DailyCommand {
                        purpose: "Give the agent service this configuration (as an administrator)",
                        command: format!(
                            "[Environment]::SetEnvironmentVariable('FXPKCS11_CFG', '{}', 'Machine'); Restart-Service ssh-agent",
                            cfg.replace('\'', "''")
                        ),
                    });
                }
            }
        }
        out.push(DailyCommand {
            purpose: "Load the token's keys into the agent",
            command: format!("ssh-add -s {module}"),
        });
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cfg::CfgSource;
    use std::path::PathBuf;

    #[test]
    fn the_commands_carry_the_cfg_and_the_allowlist_only_when_needed() {
        let default = LibraryCfg {
            path: PathBuf::from("/etc/fxpkcs11.cfg"),
            source: CfgSource::PlatformDefault,
        };
        let guide_module = Path::new("/usr/local/bin/fxpkcs11/libfxpkcs11.so");
        let daily = DailyUse {
            alias: "kmes",
            module: guide_module,
            config: Some(Path::new("/home/admin/my fx.cfg")),
            library: &default,
            ssh_config: None,
        };
        let posix = daily.commands(Shell::Posix);
        assert_eq!(posix[0].command, "FXPKCS11_CFG='/home/admin/my fx.cfg' ssh kmes");
        assert_eq!(
            posix[1].command,
            "eval \"$(FXPKCS11_CFG='/home/admin/my fx.cfg' ssh-agent -P '/usr/local/bin/fxpkcs11/*')\""
        );
        assert_eq!(posix[2].command, "ssh-add -s /usr/local/bin/fxpkcs11/libfxpkcs11.so");
        let powershell = daily.commands(Shell::PowerShell);
        assert_eq!(
            powershell[0].command,
            "$env:FXPKCS11_CFG='/home/admin/my fx.cfg'; ssh kmes"
        );
        assert_eq!(
            powershell[1].command,
            "[Environment]::SetEnvironmentVariable('FXPKCS11_CFG', '/home/admin/my fx.cfg', 'Machine'); \
             Restart-Service ssh-agent"
        );

        let plain = DailyUse {
            module: Path::new("/usr/lib/libfxpkcs11.so"),
            config: Some(Path::new("/etc/fxpkcs11.cfg")),
            ssh_config: Some(Path::new("/tmp/test config")),
            ..daily
        };
        let posix = plain.commands(Shell::Posix);
        assert_eq!(posix[0].command, "ssh -F '/tmp/test config' kmes");
        assert_eq!(posix[1].command, "eval \"$(ssh-agent)\"");
        assert_eq!(plain.commands(Shell::PowerShell).len(), 2);
    }
}
