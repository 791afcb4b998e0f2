//! The SSH client's checks: the local OpenSSH (`ssh.client`), what `ssh -G` resolves for the
//! target (`ssh.config`), the agent (`ssh.agent`) and the key ssh offers (`ssh.keys`).

use std::path::{Path, PathBuf};

use super::State;
use crate::doctor::Outcome;
use crate::pkcs11::ssh::SshDestination;
use crate::pkcs11::{ProbeReport, PublicKeyLine, Step};
use crate::sshclient::offer::{self, DEFAULT_MAX_AUTH_TRIES};
use crate::sshclient::resolved::{self, ResolvedConfig};
use crate::sshclient::{OpenSshVersion, SshLocations, TokenKeyType, version};

/// What the SSH checks learned, for the ones after them.
#[derive(Default)]
pub(super) struct SshState {
    version: Option<OpenSshVersion>,
    resolved: Option<ResolvedConfig>,
}

fn token_keys(probe: Option<&ProbeReport>) -> Option<&[PublicKeyLine]> {
    match probe.map(|probe| &probe.public_keys) {
        Some(Step::Done(keys)) => Some(keys),
        _ => None,
    }
}

fn key_type(line: &PublicKeyLine) -> TokenKeyType {
    if line.key_type.eq_ignore_ascii_case("RSA") {
        TokenKeyType::Rsa
    } else {
        TokenKeyType::Ecdsa
    }
}

/// The key types on the token: those ssh can read (RSA, ECDSA), and Ed25519 private keys,
/// which `pkcs11.keys` cannot list as lines.
fn token_types(probe: Option<&ProbeReport>) -> Vec<TokenKeyType> {
    let mut types: Vec<TokenKeyType> = token_keys(probe).unwrap_or_default().iter().map(key_type).collect();
    if let Some(Step::Done(objects)) = probe.map(|probe| &probe.objects)
        && objects
            .iter()
            .any(|object| object.class == "private key" && object.key_type.as_deref() == Some("EC_EDWARDS"))
    {
        types.push(TokenKeyType::Ed25519);
    }
    types.sort_by_key(|kind| *kind as u8);
    types.dedup();
    types
}

fn expand_home(text: &str, home: Option<&Path>) -> PathBuf {
    match (text.strip_prefix("~/"), home) {
        (Some(rest), Some(home)) => home.join(rest),
        _ => PathBuf::from(text),
    }
}

/// The public key an `IdentityFile` stands for: the file itself when it holds a public key
/// line, else `FILE.pub`, as ssh reads them.
fn identity_key(path: &Path) -> Option<ssh_key::PublicKey> {
    let read = |path: &Path| {
        crate::files::read_regular(path, 64 * 1024, "public key")
            .ok()
            .and_then(|bytes| offer::parse_line(&String::from_utf8_lossy(&bytes)))
    };
    read(path).or_else(|| {
        let mut with_pub = path.as_os_str().to_owned();
        with_pub.push(".pub");
        read(Path::new(&with_pub))
    })
}

/// A key to test whether a file is a certificate at all (its type and blob read).
fn exported_or_any(keys: &[ssh_key::PublicKey]) -> ssh_key::PublicKey {
    keys.first().cloned().unwrap_or_else(|| {
        ssh_key::PublicKey::new(
            ssh_key::public::KeyData::Ed25519(ssh_key::public::Ed25519PublicKey([0; 32])),
            "",
        )
    })
}

/// What to do about the warnings of `ssh.keys`.
const KEY_REMEDY: &str = "Give each key a CKA_ID, use RSA or ECDSA keys for SSH, and name in CertificateFile a \
                          certificate of the exported key (ssh-keygen -s CA -I ID KEY.pub) [4.1]";

fn types_text(types: &[TokenKeyType]) -> String {
    types.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
}

impl State<'_> {
    fn ssh_locations(&self) -> SshLocations {
        SshLocations::of_this_user()
    }

    pub(in crate::doctor) fn ssh_client(&mut self) -> Outcome {
        let program = resolved::ssh_program();
        let client = match version::local_version(&program) {
            Ok(client) => client,
            Err(error) => {
                return Outcome::fail(
                    crate::remedy::cause_chain(&error),
                    "Install the OpenSSH client (Debian/Ubuntu: apt-get install openssh-client; RHEL: dnf install \
                     openssh-clients; Windows: the OpenSSH Client optional feature) [5]",
                );
            }
        };
        let types = token_types(self.probe_report());
        let (usable, unusable): (Vec<TokenKeyType>, Vec<TokenKeyType>) =
            types.iter().partition(|kind| client.supports(**kind));
        let agent = if client.windows {
            if client.agent_loads_providers() {
                "; its agent service loads PKCS#11 providers"
            } else {
                "; its agent cannot load PKCS#11 providers (Win32-OpenSSH 8.9 and later can)"
            }
        } else {
            ""
        };
        let mut detail = format!("{} ({}){agent}", client.short(), client.text);
        if !types.is_empty() {
            detail.push_str(&format!("; the token's key types: {}", types_text(&types)));
        }
        let outcome = if unusable.is_empty() {
            if !usable.is_empty() {
                detail.push_str(", all usable through PKCS#11");
            }
            Outcome::pass(detail)
        } else {
            let needs: Vec<String> = unusable
                .iter()
                .map(|kind| {
                    let (major, minor) = OpenSshVersion::first_with(*kind);
                    format!("{kind} keys need OpenSSH {major}.{minor} or later")
                })
                .collect();
            detail.push_str(&format!(
                "; this OpenSSH cannot use the {} keys through PKCS#11 ({})",
                types_text(&unusable),
                needs.join(", ")
            ));
            let remedy = "Use an RSA key on the KMES for SSH [3.2.9], or update the OpenSSH client \
                          (RHEL/CentOS 7 ships 7.4: RSA only) [5]";
            if usable.is_empty() {
                Outcome::fail(detail, remedy)
            } else {
                Outcome::warn(detail, remedy)
            }
        };
        self.ssh.version = Some(client);
        outcome
    }

    fn destination(&self) -> Option<SshDestination> {
        let target = self.options.ssh_target.clone()?;
        Some(match target {
            SshDestination::Alias { name, config } => SshDestination::Alias {
                name,
                config: config.or_else(|| self.options.ssh_config.clone()),
            },
            address => address,
        })
    }

    pub(in crate::doctor) fn ssh_config(&mut self) -> Outcome {
        let Some(destination) = self.destination() else {
            return Outcome::skip("no SSH target given (--ssh USER@HOST[:PORT] or --ssh ALIAS)");
        };
        let Some(module) = self.options.module.clone() else {
            return Outcome::skip("no module given");
        };
        let alias = matches!(destination, SshDestination::Alias { .. });
        let name = destination.host_name().to_owned();
        let file = destination
            .config_file()
            .map(Path::to_path_buf)
            .or_else(|| self.options.ssh_config.clone());
        let locations = self.ssh_locations();
        let resolved = match resolved::resolve(&locations.ssh, file.as_deref(), &name) {
            Ok(resolved) => resolved,
            Err(error) => {
                return Outcome::fail(
                    crate::remedy::cause_chain(&error),
                    "Fix what ssh reports in the configuration file it names, then run the check again [5]",
                );
            }
        };
        let file_arg = file
            .as_ref()
            .map(|file| format!(" --file {}", file.display()))
            .unwrap_or_default();
        let exported = self.options.pubkey.as_ref().map_or_else(
            || " --identity EXPORTED-KEY.pub".to_owned(),
            |key| format!(" --identity {}", key.display()),
        );
        let command = format!(
            "fxconfig ssh-config{file_arg} --host {name} --module {}{exported}",
            module.display()
        );
        let lines = format!(
            "Host {name} / PKCS11Provider {} / IdentitiesOnly yes / IdentityFile {}",
            module.display(),
            self.options
                .pubkey
                .as_ref()
                .map_or_else(|| "EXPORTED-KEY.pub".to_owned(), |key| key.display().to_string())
        );
        let shown = format!(
            "ssh -G{} {name}",
            file.as_ref()
                .map(|file| format!(" -F {}", file.display()))
                .unwrap_or_default()
        );
        let home = locations.home.clone();
        let provider = resolved.get("pkcs11provider").map(str::to_owned);
        let identities_only = resolved.get("identitiesonly") == Some("yes");
        let identity_files: Vec<String> = resolved.all("identityfile").into_iter().map(str::to_owned).collect();
        self.ssh.resolved = Some(resolved);
        let token: Vec<ssh_key::PublicKey> = token_keys(self.probe_report())
            .unwrap_or_default()
            .iter()
            .filter_map(|line| offer::parse_line(&line.line))
            .collect();

        let problem = |detail: String, remedy: String| {
            if alias {
                Outcome::fail(detail, remedy)
            } else {
                Outcome::warn(detail, remedy)
            }
        };
        let daily = if alias {
            format!("`ssh {name}` will not use the token")
        } else {
            format!("the login test passes -I itself, but a daily `ssh {name}` will not use the token")
        };
        let Some(provider) = provider else {
            return problem(
                format!("{shown} sets no PKCS11Provider: {daily}"),
                format!("Add the lines {lines}, or run: {command} [5]"),
            );
        };
        let real_module = module.canonicalize().unwrap_or_else(|_| module.clone());
        let named = expand_home(&provider, home.as_deref());
        if named.canonicalize().unwrap_or_else(|_| named.clone()) != real_module {
            return problem(
                format!(
                    "{shown} sets PKCS11Provider {provider}, not this module ({})",
                    module.display()
                ),
                format!("Point PKCS11Provider at {}, or run: {command} [5]", module.display()),
            );
        }
        let detail = format!("{shown}: pkcs11provider {provider}");
        let listed: Vec<ssh_key::PublicKey> = identity_files
            .iter()
            .filter_map(|file| identity_key(&expand_home(file, home.as_deref())))
            .collect();
        let offered = offer::predict(&token, &listed, identities_only);
        if identities_only {
            if !token.is_empty() && offered.is_empty() {
                return Outcome::fail(
                    format!(
                        "{detail}, identitiesonly yes, but no IdentityFile ({}) holds the public key of a token key: \
                         ssh would offer no token key",
                        identity_files.join(", ")
                    ),
                    format!("Name the exported public key in IdentityFile, or run: {command} [5]"),
                );
            }
            let restriction = if token.is_empty() {
                format!("identityfile {}", identity_files.join(", "))
            } else {
                format!("{} of the token's {} key(s) offered", offered.len(), token.len())
            };
            return Outcome::pass(format!("{detail}, identitiesonly yes ({restriction})"));
        }
        if token.len() > 1 {
            let too_many = token.len() > DEFAULT_MAX_AUTH_TRIES;
            let detail = format!(
                "{detail}, but IdentitiesOnly is off: ssh offers every one of the token's {} keys{}",
                token.len(),
                if too_many {
                    format!(
                        ", more than sshd's default MaxAuthTries ({DEFAULT_MAX_AUTH_TRIES}): expect \"Too many \
                         authentication failures\""
                    )
                } else {
                    String::new()
                }
            );
            return Outcome::warn(
                detail,
                format!("Offer the exported key alone: add IdentitiesOnly yes and IdentityFile, or run: {command} [5]"),
            );
        }
        Outcome::pass(detail)
    }

    pub(in crate::doctor) fn ssh_agent(&mut self) -> Outcome {
        let Some(module) = self.options.module.clone() else {
            return Outcome::skip("no module given");
        };
        let cfg = self.config_path.clone();
        agent_outcome(
            self.options.agent_socket.as_deref(),
            &module,
            cfg.as_deref(),
            self.ssh.version.as_ref(),
        )
    }

    pub(in crate::doctor) fn ssh_keys(&mut self) -> Outcome {
        let Some(lines) = token_keys(self.probe_report()).map(<[PublicKeyLine]>::to_vec) else {
            return Outcome::skip("the token's keys were not listed (see pkcs11.keys)");
        };
        let token: Vec<Option<ssh_key::PublicKey>> = lines.iter().map(|line| offer::parse_line(&line.line)).collect();
        let parsed: Vec<ssh_key::PublicKey> = token.iter().flatten().cloned().collect();
        let home = SshLocations::of_this_user().home;
        let certificates: Vec<String> = self.ssh.resolved.as_ref().map_or_else(Vec::new, |resolved| {
            resolved.all("certificatefile").into_iter().map(str::to_owned).collect()
        });
        let (identities_only, listed) = match &self.ssh.resolved {
            Some(resolved) => (
                resolved.get("identitiesonly") == Some("yes"),
                resolved
                    .all("identityfile")
                    .iter()
                    .filter_map(|file| identity_key(&expand_home(file, home.as_deref())))
                    .collect(),
            ),
            None => (false, Vec::new()),
        };
        let offered = offer::predict(&parsed, &listed, identities_only);
        let describe = |index: usize| {
            let line = &lines[index];
            format!(
                "'{}' (CKA_ID {}, {} {}, {})",
                line.label,
                if line.id.is_empty() { "none" } else { &line.id },
                line.key_type,
                line.bits,
                line.fingerprint
            )
        };
        let mut warnings: Vec<String> = Vec::new();
        for line in lines.iter().filter(|line| line.id.is_empty()) {
            warnings.push(format!(
                "'{}' has no CKA_ID, so ssh cannot pair it with its private key",
                line.label
            ));
        }
        if token_types(self.probe_report()).contains(&TokenKeyType::Ed25519) {
            warnings.push(format!(
                "the token holds Ed25519 keys, which OpenSSH uses through PKCS#11 only from {}.{} on",
                OpenSshVersion::first_with(TokenKeyType::Ed25519).0,
                OpenSshVersion::first_with(TokenKeyType::Ed25519).1
            ));
        }
        // A certificate is used with the key it certifies: one for a key ssh does not offer
        // from the token is of no use (the agent does not attach certificates to token keys).
        let offered_keys: Vec<&ssh_key::PublicKey> = offered.iter().map(|key| &parsed[key.index]).collect();
        for file in &certificates {
            let path = expand_home(file, home.as_deref());
            let text = crate::files::read_regular(&path, 64 * 1024, "certificate")
                .map(|bytes| String::from_utf8_lossy(&bytes).trim().to_owned())
                .unwrap_or_default();
            let matches: Vec<Option<bool>> = offered_keys.iter().map(|key| offer::certifies(&text, key)).collect();
            if matches.contains(&Some(true)) {
                continue;
            }
            if offer::certifies(&text, &exported_or_any(&parsed)).is_none() {
                warnings.push(format!(
                    "CertificateFile {file} is not an OpenSSH certificate ssh can read"
                ));
            } else {
                warnings.push(format!(
                    "CertificateFile {file} certifies another key, not a token key ssh offers"
                ));
            }
        }
        let order: Vec<String> = offered.iter().map(|key| describe(key.index)).collect();
        let offer_text = if order.is_empty() {
            "ssh would offer no token key".to_owned()
        } else {
            format!("ssh offers, in order: {}", order.join(", "))
        };
        let exported = match &self.options.pubkey {
            Some(path) => match crate::sshkey::render_file(path, None) {
                Ok(report) => offer::parse_line(&report.line).map(|key| (path.clone(), key)),
                Err(error) => return Outcome::from_error(&error),
            },
            None => None,
        };
        let Some((path, exported)) = exported else {
            let detail = format!("{offer_text} (give --pubkey FILE, the KMES export, to check it is the right key)");
            return if warnings.is_empty() {
                Outcome::pass(detail)
            } else {
                Outcome::warn(format!("{detail}; {}", warnings.join("; ")), KEY_REMEDY)
            };
        };
        let Some(index) = parsed.iter().position(|key| offer::same_key(key, &exported)) else {
            return Outcome::fail(
                format!(
                    "the exported key {} ({}) is not on the token, which holds: {}",
                    path.display(),
                    exported.fingerprint(ssh_key::HashAlg::Sha256),
                    (0..lines.len()).map(describe).collect::<Vec<_>>().join(", ")
                ),
                "Export the public key of the key in the crypto operator's key group again [3.2.9], or check the \
                 token label (--token) [4.1]",
            );
        };
        if let Some(client) = &self.ssh.version
            && !client.supports(key_type(&lines[index]))
        {
            return Outcome::fail(
                format!(
                    "the exported key {} is an {} key, which {} cannot use through PKCS#11",
                    describe(index),
                    lines[index].key_type,
                    client.short()
                ),
                "Use an RSA key for SSH on this client, or update OpenSSH [3.2.9]",
            );
        }
        let position = offered.iter().position(|key| key.index == index);
        let found = format!("the exported key is {}", describe(index));
        match position {
            None => Outcome::fail(
                format!("{found}, but ssh would not offer it: IdentitiesOnly yes and no IdentityFile names it"),
                format!(
                    "Name it in IdentityFile: fxconfig ssh-config --host ALIAS --module MODULE --identity {} [5]",
                    path.display()
                ),
            ),
            Some(at) if at >= DEFAULT_MAX_AUTH_TRIES => Outcome::fail(
                format!(
                    "{found}; {offer_text}: it comes after {at} other keys, past sshd's default MaxAuthTries \
                     ({DEFAULT_MAX_AUTH_TRIES}), so the server closes with \"Too many authentication failures\""
                ),
                format!(
                    "Offer it alone: fxconfig ssh-config --host ALIAS --module MODULE --identity {} [5]",
                    path.display()
                ),
            ),
            Some(0) if warnings.is_empty() => Outcome::pass(format!("{found}; {offer_text}")),
            Some(0) => Outcome::warn(format!("{found}; {offer_text}; {}", warnings.join("; ")), KEY_REMEDY),
            Some(at) => Outcome::warn(
                format!("{found}; {offer_text}: {at} other key(s) come first, each counted against MaxAuthTries"),
                format!(
                    "Offer it alone: fxconfig ssh-config --host ALIAS --module MODULE --identity {} [5]",
                    path.display()
                ),
            ),
        }
    }
}

/// The agent check, from the socket in `SSH_AUTH_SOCK` (Linux) or the agent service (Windows).
fn agent_outcome(socket: Option<&Path>, module: &Path, cfg: Option<&Path>, client: Option<&OpenSshVersion>) -> Outcome {
    use crate::sshclient::agent::{self, AgentFinding, AgentPrediction};
    match agent::examine(socket, module, cfg, client) {
        AgentFinding::NoAgent => Outcome::skip("no agent in this session (SSH_AUTH_SOCK is not set)"),
        AgentFinding::Unreachable(error) => Outcome::warn(
            crate::remedy::cause_chain(&error),
            "SSH_AUTH_SOCK names a socket no agent answers on: start one with eval $(ssh-agent), or unset \
             SSH_AUTH_SOCK [5]",
        ),
        AgentFinding::Judged(verdict) => match verdict.prediction {
            AgentPrediction::Accepts => Outcome::pass(verdict.detail),
            _ => Outcome::warn(verdict.detail, format!("{} [5]", verdict.remedy)),
        },
    }
}
