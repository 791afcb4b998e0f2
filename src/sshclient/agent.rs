//! Whether the running SSH agent would accept `ssh-add -s MODULE`, and with which
//! configuration its module would run.
//!
//! What `ssh-agent` does with `ssh-add -s MODULE`, from OpenSSH's source and verified with
//! 9.2: it resolves the path (`realpath`, so a symbolic link does not help), matches it
//! against its provider allowlist (`-P`, by default `/usr/lib*/*,/usr/local/lib*/*`, where
//! `*` also matches `/`), and refuses with only "agent refused operation" on the client's
//! side ("provider not allowed" goes to the agent's own log). The module then runs in
//! `ssh-pkcs11-helper`, a child of the agent, with the agent's environment: an
//! `FXPKCS11_CFG` exported in the shell that runs `ssh-add` never reaches it.
//!
//! The agent is found from its socket's peer (`SO_PEERCRED`), not from `SSH_AGENT_PID`,
//! which is often unset; its command line and environment are read from `/proc` when this
//! account may. On Windows the agent is the `ssh-agent` service: its allowlist is
//! `%ProgramFiles%` and `%ProgramFiles(x86)%`, and it sees machine-wide variables only
//! ([`judge_windows`]).

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::config_file::wildcard;
use super::version::OpenSshVersion;
use crate::cfg::locate::{self, CfgSource};

/// OpenSSH's default provider allowlist (`DEFAULT_ALLOWED_PROVIDERS` in ssh-agent.c).
pub const DEFAULT_ALLOWED_PROVIDERS: &str = "/usr/lib*/*,/usr/local/lib*/*";

/// Whether a provider at `real_path` passes the allowlist `list` (comma-separated
/// patterns, `!pattern` denying), as `match_pattern_list` decides it in ssh-agent.
pub fn provider_allowed(real_path: &str, list: &str) -> bool {
    let mut allowed = false;
    for pattern in list.split(',') {
        if let Some(denied) = pattern.strip_prefix('!') {
            if wildcard(denied.as_bytes(), real_path.as_bytes(), false) {
                return false;
            }
        } else if wildcard(pattern.as_bytes(), real_path.as_bytes(), false) {
            allowed = true;
        }
    }
    allowed
}

/// The agent's options that matter here, read from its command line.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct AgentOptions {
    /// `-P LIST`: the provider allowlist, when given.
    pub allowlist: Option<String>,
    /// `-O allow-remote-pkcs11`.
    pub allow_remote_pkcs11: bool,
}

/// Reads `ssh-agent`'s options from its arguments (after the program name), as its
/// `getopt("cDdksE:a:O:P:t:")` does: flags may be grouped (`-dP LIST`) and a value may
/// follow its letter (`-PLIST`).
pub fn agent_options(args: &[String]) -> AgentOptions {
    let mut options = AgentOptions::default();
    let mut index = 0;
    while index < args.len() {
        let arg = &args[index];
        index += 1;
        if arg == "--" || !arg.starts_with('-') || arg.len() < 2 {
            break;
        }
        let letters: Vec<char> = arg[1..].chars().collect();
        for (at, letter) in letters.iter().enumerate() {
            if "EaOPt".contains(*letter) {
                let attached: String = letters[at + 1..].iter().collect();
                let value = if attached.is_empty() {
                    index += 1;
                    args.get(index - 1).cloned().unwrap_or_default()
                } else {
                    attached
                };
                match letter {
                    'P' => options.allowlist = Some(value),
                    'O' if value == "allow-remote-pkcs11" => options.allow_remote_pkcs11 = true,
                    _ => {}
                }
                break;
            }
        }
    }
    options
}

/// What the agent's environment says about `FXPKCS11_CFG`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "state", content = "value")]
pub enum AgentEnvironment {
    /// Read: the variable's value, `None` when unset.
    Read(Option<String>),
    /// Not readable by this account (another user's agent), with the reason.
    NotReadable(String),
}

/// The program serving the socket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AgentKind {
    /// OpenSSH's `ssh-agent`.
    OpenSsh,
    /// `sshd`: an agent forwarded from another machine (`ssh -A`).
    Forwarded,
    /// GnuPG's `gpg-agent`, which cannot add PKCS#11 providers.
    GpgAgent,
    /// GNOME Keyring's SSH component.
    GnomeKeyring,
    /// Something else.
    Other,
}

/// Everything learned about the agent behind `SSH_AUTH_SOCK`.
#[derive(Debug, Clone, Serialize)]
pub struct AgentFacts {
    /// The socket.
    pub socket: PathBuf,
    /// The process serving it (from the socket's peer credentials), when known.
    pub pid: Option<i32>,
    /// Its program name (`/proc/PID/comm`), when readable.
    pub program: Option<String>,
    /// Which agent that is.
    pub kind: AgentKind,
    /// Its options, when its command line was readable.
    pub options: Option<AgentOptions>,
    /// Its `FXPKCS11_CFG`.
    pub environment: AgentEnvironment,
}

/// Which agent a program name is.
pub fn agent_kind(program: &str) -> AgentKind {
    match program {
        "ssh-agent" => AgentKind::OpenSsh,
        "sshd" | "sshd-session" => AgentKind::Forwarded,
        "gpg-agent" => AgentKind::GpgAgent,
        name if name.starts_with("gnome-keyring") => AgentKind::GnomeKeyring,
        _ => AgentKind::Other,
    }
}

/// Why the agent could not be examined.
#[derive(Debug, thiserror::Error)]
#[error("cannot reach the agent at {}", socket.display())]
pub struct AgentError {
    /// The socket.
    pub socket: PathBuf,
    /// The operating system's error.
    #[source]
    pub source: std::io::Error,
}

/// Connects to the agent at `socket` and learns who serves it, from the socket's peer and
/// `/proc`.
///
/// # Errors
/// [`AgentError`] when nothing answers at the socket.
#[cfg(target_os = "linux")]
pub fn inspect(socket: &Path) -> Result<AgentFacts, AgentError> {
    let error = |source| AgentError {
        socket: socket.to_owned(),
        source,
    };
    let stream = std::os::unix::net::UnixStream::connect(socket).map_err(error)?;
    let credentials = rustix::net::sockopt::socket_peercred(&stream).map_err(|e| error(e.into()))?;
    let pid = credentials.pid.as_raw_nonzero().get();
    let proc_dir = PathBuf::from(format!("/proc/{pid}"));
    let program = std::fs::read_to_string(proc_dir.join("comm"))
        .ok()
        .map(|name| name.trim().to_owned());
    let options = std::fs::read(proc_dir.join("cmdline")).ok().map(|bytes| {
        let args: Vec<String> = bytes
            .split(|b| *b == 0)
            .skip(1)
            .map(|arg| String::from_utf8_lossy(arg).into_owned())
            .collect();
        agent_options(&args)
    });
    let environment = match std::fs::read(proc_dir.join("environ")) {
        Ok(bytes) => AgentEnvironment::Read(
            bytes
                .split(|b| *b == 0)
                .find_map(|entry| entry.strip_prefix(format!("{}=", locate::ENV_VAR).as_bytes()))
                .map(|value| String::from_utf8_lossy(value).into_owned()),
        ),
        Err(error) => AgentEnvironment::NotReadable(error.to_string()),
    };
    Ok(AgentFacts {
        socket: socket.to_owned(),
        pid: Some(pid),
        kind: program.as_deref().map_or(AgentKind::Other, agent_kind),
        program,
        options,
        environment,
    })
}

/// How the agent would take the module.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AgentPrediction {
    /// `ssh-add -s MODULE` would be accepted, and the module would read the cfg checked.
    Accepts,
    /// Accepted, with a doubt worth a warning (the agent's environment could not be read, or
    /// its module would read another cfg).
    AcceptsWithDoubt,
    /// Refused ("agent refused operation").
    Refuses,
}

/// The verdict on the agent, in words.
#[derive(Debug, Clone, Serialize)]
pub struct AgentVerdict {
    /// The prediction.
    pub prediction: AgentPrediction,
    /// What was found.
    pub detail: String,
    /// What to do; empty when it accepts.
    pub remedy: String,
}

/// What the module's folder under `/usr/local/lib` would be, for the remedy.
fn allowed_home_for(module: &Path) -> PathBuf {
    let name = module
        .file_name()
        .map_or_else(|| "libfxpkcs11.so".into(), |n| n.to_owned());
    Path::new("/usr/local/lib/fxpkcs11").join(name)
}

/// Whether the files `a` and `b` hold the same bytes (by SHA-256); `None` when either cannot
/// be read (`a` does not exist, say).
fn same_contents(a: &Path, b: &Path) -> Option<bool> {
    const LIMIT: u64 = 256 * 1024 * 1024;
    let digest = |path: &Path| {
        crate::files::read_regular(path, LIMIT, "module")
            .ok()
            .map(|bytes| crate::doctor::record::sha256_hex(&bytes))
    };
    Some(digest(a)? == digest(b)?)
}

/// Judges a Unix agent: whether it accepts `module` (its real path `real_module`) and
/// whether its module would read `cfg` (the configuration being checked).
pub fn judge(
    facts: &AgentFacts,
    module: &Path,
    real_module: &Path,
    cfg: Option<&Path>,
    client: Option<&OpenSshVersion>,
) -> AgentVerdict {
    let refuse = |detail: String, remedy: String| AgentVerdict {
        prediction: AgentPrediction::Refuses,
        detail,
        remedy,
    };
    let who = match (&facts.program, facts.pid) {
        (Some(program), Some(pid)) => format!("{program} (pid {pid}) at {}", facts.socket.display()),
        _ => format!("the agent at {}", facts.socket.display()),
    };
    match facts.kind {
        AgentKind::Forwarded => {
            let refuses = client.is_none_or(OpenSshVersion::agent_refuses_forwarded_providers);
            if refuses {
                return refuse(
                    format!(
                        "{who} is an agent forwarded from another machine (ssh -A): OpenSSH 9.3p2 and later refuse \
                         PKCS#11 providers added through a forwarded agent"
                    ),
                    "Run ssh-add -s on the machine the agent runs on, or start a local agent here: \
                     eval $(ssh-agent) and then ssh-add -s MODULE"
                        .to_owned(),
                );
            }
        }
        AgentKind::GpgAgent | AgentKind::GnomeKeyring => {
            return refuse(
                format!("{who} does not load PKCS#11 providers (ssh-add -s is refused)"),
                "Start OpenSSH's own agent for the token: eval $(ssh-agent) and then ssh-add -s MODULE, or use \
                 PKCS11Provider in ~/.ssh/config (fxconfig ssh-config) instead of an agent"
                    .to_owned(),
            );
        }
        AgentKind::OpenSsh | AgentKind::Other => {}
    }
    let (list, list_source) = match facts.options.as_ref().and_then(|o| o.allowlist.clone()) {
        Some(list) => (list, "its -P allowlist"),
        None => (DEFAULT_ALLOWED_PROVIDERS.to_owned(), "OpenSSH's default allowlist"),
    };
    let real = real_module.display().to_string();
    if !provider_allowed(&real, &list) {
        let through = if real_module == module {
            String::new()
        } else {
            format!(
                " ({} resolves to it; links do not help, the agent resolves them)",
                module.display()
            )
        };
        let home = allowed_home_for(real_module);
        let folder = real_module
            .parent()
            .map_or_else(String::new, |p| p.display().to_string());
        let remedy = match same_contents(&home, real_module) {
            Some(true) => format!(
                "{} is already a copy of the module (same SHA-256): add that path instead, ssh-add -s {}, or \
                 start the agent with the module's folder allowed: ssh-agent -P '{folder}/*'",
                home.display(),
                home.display()
            ),
            Some(false) => format!(
                "{} exists but is not the same file as the module checked (its SHA-256 differs): copy the \
                 module over it and add that path, or start the agent with ssh-agent -P '{folder}/*'",
                home.display()
            ),
            None => format!(
                "Copy the module under /usr/local/lib (for example {}, the same file) and add that path, or \
                 start the agent with the module's folder allowed: ssh-agent -P '{folder}/*'",
                home.display()
            ),
        };
        return refuse(
            format!(
                "{who} would refuse ssh-add -s {}: {real}{through} is outside {list_source} ({list}); ssh-add says \
                 only \"agent refused operation\", the agent logs \"provider not allowed\"",
                module.display()
            ),
            remedy,
        );
    }
    let allowed = format!("{who} accepts {real} ({list_source}: {list})");
    let Some(cfg) = cfg else {
        return AgentVerdict {
            prediction: AgentPrediction::Accepts,
            detail: allowed,
            remedy: String::new(),
        };
    };
    match &facts.environment {
        AgentEnvironment::Read(value) => {
            let reads = locate::library_cfg_path_from(value.clone().map(Into::into));
            if locate::is_library_cfg(cfg, &reads) {
                AgentVerdict {
                    prediction: AgentPrediction::Accepts,
                    detail: format!(
                        "{allowed}; its module would read {} ({})",
                        reads.path.display(),
                        reads.source.describe()
                    ),
                    remedy: String::new(),
                }
            } else {
                let unset = reads.source == CfgSource::PlatformDefault;
                AgentVerdict {
                    prediction: AgentPrediction::AcceptsWithDoubt,
                    detail: format!(
                        "{allowed}, but its module would read {} ({}), not {}: the module runs in \
                         ssh-pkcs11-helper with the agent's environment{}",
                        reads.path.display(),
                        reads.source.describe(),
                        cfg.display(),
                        if unset { ", where FXPKCS11_CFG is not set" } else { "" }
                    ),
                    remedy: format!(
                        "Start the agent with the variable: FXPKCS11_CFG={} ssh-agent (then ssh-add -s MODULE), or \
                         for a desktop session's agent set it in ~/.config/environment.d/fxpkcs11.conf and log in \
                         again",
                        cfg.display()
                    ),
                }
            }
        }
        AgentEnvironment::NotReadable(why) => AgentVerdict {
            prediction: AgentPrediction::AcceptsWithDoubt,
            detail: format!(
                "{allowed}; its environment could not be read ({why}), so which cfg its module reads is unknown"
            ),
            remedy: format!(
                "Make sure the agent was started with FXPKCS11_CFG={}: FXPKCS11_CFG={} ssh-agent",
                cfg.display(),
                cfg.display()
            ),
        },
    }
}

/// What examining the agent found.
#[derive(Debug)]
pub enum AgentFinding {
    /// No agent in this session (`SSH_AUTH_SOCK` unset, on Unix).
    NoAgent,
    /// `SSH_AUTH_SOCK` names a socket no agent answers on.
    Unreachable(AgentError),
    /// The agent, judged.
    Judged(AgentVerdict),
}

/// Examines the agent for `module` and the cfg being checked: the one behind `socket`
/// (`SSH_AUTH_SOCK`) on Linux, the `ssh-agent` service on Windows. Blocking (it reads
/// `/proc`, or runs `sc` and `reg`): call it from a worker thread in a GUI.
pub fn examine(
    socket: Option<&Path>,
    module: &Path,
    cfg: Option<&Path>,
    client: Option<&OpenSshVersion>,
) -> AgentFinding {
    if !module.exists() {
        return AgentFinding::Judged(AgentVerdict {
            prediction: AgentPrediction::Refuses,
            detail: format!("{} does not exist, so ssh-add -s would fail", module.display()),
            remedy: "Choose the module file (fxconfig locate finds the build that fits this machine) [2.2]".to_owned(),
        });
    }
    #[cfg(target_os = "linux")]
    {
        let Some(socket) = socket else {
            return AgentFinding::NoAgent;
        };
        match inspect(socket) {
            Ok(facts) => {
                let real = module.canonicalize().unwrap_or_else(|_| module.to_owned());
                AgentFinding::Judged(judge(&facts, module, &real, cfg, client))
            }
            Err(error) => AgentFinding::Unreachable(error),
        }
    }
    #[cfg(windows)]
    {
        let _ = socket;
        AgentFinding::Judged(judge_windows(&inspect_windows(), module, cfg, client))
    }
    #[cfg(not(any(target_os = "linux", windows)))]
    {
        let _ = (socket, module, cfg, client);
        AgentFinding::NoAgent
    }
}

/// The agent's socket in this session: `SSH_AUTH_SOCK`, when set.
pub fn session_socket() -> Option<PathBuf> {
    std::env::var_os("SSH_AUTH_SOCK")
        .filter(|value| !value.is_empty())
        .map(PathBuf::from)
}

/// What Windows says about its OpenSSH agent service.
#[derive(Debug, Clone, Default)]
pub struct WindowsAgentFacts {
    /// The `ssh-agent` service's state (`RUNNING`, `STOPPED`, …); `None` when not installed.
    pub service_state: Option<String>,
    /// `%ProgramFiles%` and `%ProgramFiles(x86)%`.
    pub program_files: Vec<PathBuf>,
    /// The machine-wide `FXPKCS11_CFG` (HKLM), when set.
    pub machine_cfg: Option<String>,
    /// The machine-wide `PATH` (HKLM), split.
    pub machine_path: Vec<PathBuf>,
}

fn starts_with_ignoring_case(path: &Path, folder: &Path) -> bool {
    let path = path.display().to_string().to_ascii_lowercase().replace('/', "\\");
    let mut folder = folder.display().to_string().to_ascii_lowercase().replace('/', "\\");
    if !folder.ends_with('\\') {
        folder.push('\\');
    }
    path.starts_with(&folder)
}

/// Judges the Windows agent service for `module` and the cfg being checked: the service
/// runs, the module lies under a Program Files folder (the service's allowlist), the
/// machine-wide `FXPKCS11_CFG` names the cfg (the service sees no user variables), and the
/// module's folder is on the machine-wide `PATH` (its DLLs are found through it).
pub fn judge_windows(
    facts: &WindowsAgentFacts,
    module: &Path,
    cfg: Option<&Path>,
    client: Option<&OpenSshVersion>,
) -> AgentVerdict {
    let refuse = |detail: String, remedy: &str| AgentVerdict {
        prediction: AgentPrediction::Refuses,
        detail,
        remedy: remedy.to_owned(),
    };
    match facts.service_state.as_deref() {
        None => {
            return refuse(
                "the OpenSSH Authentication Agent service (ssh-agent) is not installed".to_owned(),
                "Install the OpenSSH Client feature (Settings > Optional features), then start the service: \
                 Set-Service ssh-agent -StartupType Automatic; Start-Service ssh-agent",
            );
        }
        Some(state) if !state.eq_ignore_ascii_case("RUNNING") => {
            return refuse(
                format!("the ssh-agent service is {state}"),
                "Start it (as an administrator): Set-Service ssh-agent -StartupType Automatic; Start-Service ssh-agent",
            );
        }
        Some(_) => {}
    }
    if let Some(client) = client
        && !client.agent_loads_providers()
    {
        return refuse(
            format!(
                "{} cannot load PKCS#11 providers in its agent (Win32-OpenSSH 8.9 and later can)",
                client.text
            ),
            "Install a newer Win32-OpenSSH (8.9 or later), or use PKCS11Provider in %USERPROFILE%\\.ssh\\config \
             (fxconfig ssh-config) instead of the agent",
        );
    }
    if !facts
        .program_files
        .iter()
        .any(|folder| starts_with_ignoring_case(module, folder))
    {
        let folders: Vec<String> = facts.program_files.iter().map(|f| f.display().to_string()).collect();
        return refuse(
            format!(
                "the agent service loads providers only from {}; {} is outside them",
                folders.join(" and "),
                module.display()
            ),
            "Install FXTools in its default folder (C:\\Program Files\\Futurex\\…) and add the module from there",
        );
    }
    let mut doubts = Vec::new();
    let mut remedies = Vec::new();
    if let Some(cfg) = cfg {
        let reads = locate::library_cfg_path_from(facts.machine_cfg.clone().map(Into::into));
        if !locate::is_library_cfg(cfg, &reads) {
            doubts.push(format!(
                "the service's module would read {} ({}), not {}: services see machine-wide variables only",
                reads.path.display(),
                if facts.machine_cfg.is_some() {
                    "the machine-wide FXPKCS11_CFG"
                } else {
                    "no machine-wide FXPKCS11_CFG is set"
                },
                cfg.display()
            ));
            remedies.push(format!(
                "[Environment]::SetEnvironmentVariable('FXPKCS11_CFG', '{}', 'Machine'); Restart-Service ssh-agent",
                cfg.display()
            ));
        }
    }
    let module_text = module.display().to_string();
    if let Some((folder, _)) = module_text.rsplit_once(['\\', '/'])
        && !facts.machine_path.iter().any(|entry| {
            entry
                .display()
                .to_string()
                .trim_end_matches(['\\', '/'])
                .eq_ignore_ascii_case(folder)
        })
    {
        doubts.push(format!(
            "{folder} is not on the machine-wide PATH, so the service may not find the module's DLLs"
        ));
        remedies.push(format!(
            "add {folder} to the machine-wide PATH (System Properties > Environment Variables) and restart the service"
        ));
    }
    let accepted = format!("the ssh-agent service runs and allows {}", module.display());
    if doubts.is_empty() {
        AgentVerdict {
            prediction: AgentPrediction::Accepts,
            detail: accepted,
            remedy: String::new(),
        }
    } else {
        AgentVerdict {
            prediction: AgentPrediction::AcceptsWithDoubt,
            detail: format!("{accepted}, but {}", doubts.join("; ")),
            remedy: remedies.join("; "),
        }
    }
}

/// The state word of `sc query SERVICE` (`RUNNING`, `STOPPED`, …), or `None` when the
/// output names no state (the service does not exist).
pub fn parse_service_state(output: &str) -> Option<String> {
    output.lines().find_map(|line| {
        let (key, value) = line.split_once(':')?;
        if key.trim() != "STATE" {
            return None;
        }
        value.split_whitespace().nth(1).map(str::to_owned)
    })
}

/// The value named `name` in `reg query KEY /v NAME` output (`NAME    REG_SZ    value`).
pub fn parse_registry_value(output: &str, name: &str) -> Option<String> {
    output.lines().find_map(|line| {
        let mut words = line.trim_start().splitn(2, char::is_whitespace);
        if !words.next()?.eq_ignore_ascii_case(name) {
            return None;
        }
        let rest = words.next()?.trim_start();
        let (kind, value) = rest.split_once(char::is_whitespace)?;
        kind.starts_with("REG_").then(|| value.trim().to_owned())
    })
}

/// Asks Windows about its agent service: `sc query ssh-agent` and the machine-wide
/// `FXPKCS11_CFG` and `PATH` (`reg query`), each bounded in time.
#[cfg(windows)]
pub fn inspect_windows() -> WindowsAgentFacts {
    use crate::pkcs11::process;
    let run = |program: &str, args: &[&str]| {
        let mut command = std::process::Command::new(program);
        command.args(args);
        process::run_bounded(command, None, std::time::Duration::from_secs(10))
            .ok()
            .map(|finished| String::from_utf8_lossy(&finished.stdout).into_owned())
            .unwrap_or_default()
    };
    const KEY: &str = r"HKLM\SYSTEM\CurrentControlSet\Control\Session Manager\Environment";
    let machine = |name: &str| parse_registry_value(&run("reg", &["query", KEY, "/v", name]), name);
    let program_files = ["ProgramFiles", "ProgramFiles(x86)"]
        .iter()
        .filter_map(|name| std::env::var_os(name).map(PathBuf::from))
        .collect();
    WindowsAgentFacts {
        service_state: parse_service_state(&run("sc", &["query", "ssh-agent"])),
        program_files,
        machine_cfg: machine(locate::ENV_VAR),
        machine_path: machine("Path")
            .map(|path| path.split(';').filter(|p| !p.is_empty()).map(PathBuf::from).collect())
            .unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<String> {
        text.split(' ').map(str::to_owned).collect()
    }

    #[test]
    fn the_default_allowlist_is_matched_as_ssh_agent_matches_it() {
        assert!(provider_allowed(
            "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
            DEFAULT_ALLOWED_PROVIDERS
        ));
        assert!(provider_allowed(
            "/usr/lib64/pkcs11/libfxpkcs11.so",
            DEFAULT_ALLOWED_PROVIDERS
        ));
        assert!(provider_allowed(
            "/usr/local/lib/fxpkcs11/libfxpkcs11.so",
            DEFAULT_ALLOWED_PROVIDERS
        ));
        assert!(!provider_allowed(
            "/usr/local/bin/fxpkcs11/OpenSSL-1.1.x/libfxpkcs11.so",
            DEFAULT_ALLOWED_PROVIDERS
        ));
        assert!(!provider_allowed("/opt/fx/libfxpkcs11.so", DEFAULT_ALLOWED_PROVIDERS));
        assert!(provider_allowed("/opt/fx/libfxpkcs11.so", "/opt/*"));
        assert!(!provider_allowed("/opt/fx/libfxpkcs11.so", "/opt/*,!/opt/fx/*"));
    }

    #[test]
    fn agent_options_are_read_as_getopt_reads_them() {
        assert_eq!(agent_options(&words("-d -a /tmp/s")), AgentOptions::default());
        assert_eq!(agent_options(&words("-P /opt/*")).allowlist.as_deref(), Some("/opt/*"));
        assert_eq!(agent_options(&words("-dP/opt/*")).allowlist.as_deref(), Some("/opt/*"));
        let both = agent_options(&words("-a sock -O allow-remote-pkcs11 -P /a/*,/b/*"));
        assert!(both.allow_remote_pkcs11);
        assert_eq!(both.allowlist.as_deref(), Some("/a/*,/b/*"));
        assert_eq!(agent_options(&words("-D -- -P x")).allowlist, None);
    }

    fn facts(kind: AgentKind, environment: AgentEnvironment) -> AgentFacts {
        AgentFacts {
            socket: PathBuf::from("/tmp/ssh-x/agent.1"),
            pid: Some(42),
            program: Some("ssh-agent".to_owned()),
            kind,
            options: Some(AgentOptions::default()),
            environment,
        }
    }

    #[test]
    fn the_guides_install_folder_is_refused_and_the_remedy_names_the_fix() {
        let module = Path::new("/usr/local/bin/fxpkcs11/OpenSSL-1.1.x/libfxpkcs11.so");
        let verdict = judge(
            &facts(AgentKind::OpenSsh, AgentEnvironment::Read(None)),
            module,
            module,
            None,
            None,
        );
        assert_eq!(verdict.prediction, AgentPrediction::Refuses);
        assert!(verdict.detail.contains("provider not allowed"), "{verdict:?}");
        assert!(
            verdict.remedy.contains("/usr/local/lib/fxpkcs11/libfxpkcs11.so"),
            "{verdict:?}"
        );
        assert!(
            verdict
                .remedy
                .contains("ssh-agent -P '/usr/local/bin/fxpkcs11/OpenSSL-1.1.x/*'")
        );
    }

    #[test]
    fn an_agent_without_the_variable_would_read_the_default_cfg() {
        let module = Path::new("/usr/lib/libfxpkcs11.so");
        let checked = Path::new("/home/admin/fxpkcs11.cfg");
        let verdict = judge(
            &facts(AgentKind::OpenSsh, AgentEnvironment::Read(None)),
            module,
            module,
            Some(checked),
            None,
        );
        assert_eq!(verdict.prediction, AgentPrediction::AcceptsWithDoubt);
        assert!(
            verdict
                .remedy
                .contains("FXPKCS11_CFG=/home/admin/fxpkcs11.cfg ssh-agent"),
            "{verdict:?}"
        );
        let with = judge(
            &facts(
                AgentKind::OpenSsh,
                AgentEnvironment::Read(Some("/home/admin/fxpkcs11.cfg".into())),
            ),
            module,
            module,
            Some(checked),
            None,
        );
        assert_eq!(with.prediction, AgentPrediction::Accepts, "{with:?}");
    }

    #[test]
    fn forwarded_and_foreign_agents_are_named() {
        let module = Path::new("/usr/lib/libfxpkcs11.so");
        let new_client = OpenSshVersion::parse("OpenSSH_9.6p1").unwrap();
        let old_client = OpenSshVersion::parse("OpenSSH_8.0p1").unwrap();
        let forwarded = facts(AgentKind::Forwarded, AgentEnvironment::Read(None));
        assert_eq!(
            judge(&forwarded, module, module, None, Some(&new_client)).prediction,
            AgentPrediction::Refuses
        );
        assert_eq!(
            judge(&forwarded, module, module, None, Some(&old_client)).prediction,
            AgentPrediction::Accepts
        );
        let gpg = facts(AgentKind::GpgAgent, AgentEnvironment::Read(None));
        assert_eq!(
            judge(&gpg, module, module, None, None).prediction,
            AgentPrediction::Refuses
        );
        assert_eq!(agent_kind("sshd-session"), AgentKind::Forwarded);
        assert_eq!(agent_kind("gnome-keyring-d"), AgentKind::GnomeKeyring);
    }

    fn windows(state: Option<&str>, cfg: Option<&str>, path: &[&str]) -> WindowsAgentFacts {
        WindowsAgentFacts {
            service_state: state.map(str::to_owned),
            program_files: vec![
                PathBuf::from(r"C:\Program Files"),
                PathBuf::from(r"C:\Program Files (x86)"),
            ],
            machine_cfg: cfg.map(str::to_owned),
            machine_path: path.iter().map(PathBuf::from).collect(),
        }
    }

    #[test]
    fn windows_tool_output_is_read() {
        let sc = "\r\nSERVICE_NAME: ssh-agent\r\n        TYPE               : 10  WIN32_OWN_PROCESS\r\n        \
                  STATE              : 4  RUNNING\r\n";
        assert_eq!(parse_service_state(sc).as_deref(), Some("RUNNING"));
        assert_eq!(
            parse_service_state("[SC] EnumQueryServicesStatus:OpenService FAILED 1060:"),
            None
        );
        let reg = "\r\nHKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Control\\Session Manager\\Environment\r\n    \
                   FXPKCS11_CFG    REG_SZ    C:\\Program Files\\Futurex\\fxpkcs11\\fxpkcs11.cfg\r\n";
        assert_eq!(
            parse_registry_value(reg, "FXPKCS11_CFG").as_deref(),
            Some(r"C:\Program Files\Futurex\fxpkcs11\fxpkcs11.cfg")
        );
        assert_eq!(parse_registry_value(reg, "Path"), None);
    }

    #[test]
    fn the_windows_service_rules() {
        let module = Path::new(r"C:\Program Files\Futurex\fxpkcs11\fxpkcs11.dll");
        let folder = r"C:\Program Files\Futurex\fxpkcs11";
        let cfg = Path::new(r"C:\Program Files\Futurex\fxpkcs11\fxpkcs11.cfg");
        let client = OpenSshVersion::parse("OpenSSH_for_Windows_9.5p1, LibreSSL 3.8.2").unwrap();
        let good = windows(Some("RUNNING"), Some(cfg.to_str().unwrap()), &[r"C:\Windows", folder]);
        assert_eq!(
            judge_windows(&good, module, Some(cfg), Some(&client)).prediction,
            AgentPrediction::Accepts
        );
        let stopped = windows(Some("STOPPED"), None, &[]);
        assert!(
            judge_windows(&stopped, module, None, None)
                .remedy
                .contains("Start-Service ssh-agent")
        );
        assert_eq!(
            judge_windows(&windows(None, None, &[]), module, None, None).prediction,
            AgentPrediction::Refuses
        );
        let elsewhere = Path::new(r"D:\tools\fxpkcs11.dll");
        assert_eq!(
            judge_windows(&good, elsewhere, None, None).prediction,
            AgentPrediction::Refuses
        );
        let old = OpenSshVersion::parse("OpenSSH_for_Windows_8.1p1, LibreSSL 3.0.2").unwrap();
        assert_eq!(
            judge_windows(&good, module, None, Some(&old)).prediction,
            AgentPrediction::Refuses
        );
        let no_variable = windows(Some("RUNNING"), None, &[folder]);
        let verdict = judge_windows(&no_variable, module, Some(Path::new(r"C:\fx\other.cfg")), Some(&client));
        assert_eq!(verdict.prediction, AgentPrediction::AcceptsWithDoubt);
        assert!(verdict.remedy.contains("'Machine'"), "{verdict:?}");
        let no_path = windows(Some("RUNNING"), Some(cfg.to_str().unwrap()), &[]);
        assert!(
            judge_windows(&no_path, module, Some(cfg), Some(&client))
                .detail
                .contains("PATH")
        );
    }
}
