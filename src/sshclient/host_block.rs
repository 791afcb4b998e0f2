//! `fxconfig ssh-config`: one `Host` block written where it takes effect, proven with
//! `ssh -G`, and saved losslessly (locked, atomic, with a backup, modes kept).
//!
//! The order of work:
//! 1. the block is set in the file's text ([`SshConfigText::set_host_block`]): updated in
//!    place, or added in front of every other `Host` and `Match` block;
//! 2. the files ssh reads for the alias are replayed ([`precedence`]): when a `Host` or
//!    `Match` block of the same file sets a keyword first, the block moves in front of it;
//!    when a line outside it wins (a global line, an earlier file), the write is refused,
//!    naming that line;
//! 3. `ssh -G ALIAS` proves it: on a private copy (with `-F`) when ssh reads the file
//!    first or only with `-F`, else on the written file, which is put back on a mismatch;
//! 4. a text that did not change is not written.

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::config_file::{Setting, SettingChange, SshConfigText};
use super::error::SshConfigError;
use super::precedence::{Applies, HostContext, Origin, Reader};
use super::resolved::{self, ResolvedConfig};
use crate::cfg::{LockedCfg, SaveOptions};

/// Where OpenSSH keeps its configuration for this account.
#[derive(Debug, Clone)]
pub struct SshLocations {
    /// The home folder (`~`), from the account database.
    pub home: Option<PathBuf>,
    /// The user's file, `~/.ssh/config`.
    pub user_config: Option<PathBuf>,
    /// The system's file, `/etc/ssh/ssh_config` (`%ProgramData%\ssh\ssh_config` on Windows).
    pub system_config: PathBuf,
    /// The `ssh` program.
    pub ssh: PathBuf,
}

impl SshLocations {
    /// This account's locations, as ssh finds them: the home folder from the account
    /// database (as ssh does), else `HOME`/`USERPROFILE`.
    pub fn of_this_user() -> SshLocations {
        let home = home_folder();
        SshLocations {
            user_config: home.as_ref().map(|home| home.join(".ssh").join("config")),
            home,
            system_config: system_config_path(),
            ssh: resolved::ssh_program(),
        }
    }

    fn system_dir(&self) -> &Path {
        self.system_config.parent().unwrap_or(Path::new("/"))
    }
}

#[cfg(unix)]
fn home_folder() -> Option<PathBuf> {
    use uzers::os::unix::UserExt;
    uzers::get_user_by_uid(uzers::get_current_uid())
        .map(|user| user.home_dir().to_owned())
        .filter(|home| !home.as_os_str().is_empty())
        .or_else(|| std::env::var_os("HOME").map(PathBuf::from))
}

#[cfg(not(unix))]
fn home_folder() -> Option<PathBuf> {
    std::env::var_os("USERPROFILE").map(PathBuf::from)
}

#[cfg(unix)]
fn system_config_path() -> PathBuf {
    PathBuf::from("/etc/ssh/ssh_config")
}

#[cfg(not(unix))]
fn system_config_path() -> PathBuf {
    let data = std::env::var_os("ProgramData").map_or_else(|| PathBuf::from(r"C:\ProgramData"), PathBuf::from);
    data.join("ssh").join("ssh_config")
}

/// The block to write.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HostBlockRequest {
    /// The file; `None` for the user's `~/.ssh/config`.
    pub file: Option<PathBuf>,
    /// The alias after `Host`, typed after `ssh`.
    pub alias: String,
    /// The PKCS#11 module (`PKCS11Provider`).
    pub module: PathBuf,
    /// `HostName`.
    pub hostname: Option<String>,
    /// `Port`.
    pub port: Option<u16>,
    /// `User`.
    pub user: Option<String>,
    /// The exported public key (`IdentityFile`, with `IdentitiesOnly yes`).
    pub identity: Option<PathBuf>,
    /// An OpenSSH certificate for the token key (`CertificateFile`).
    pub certificate: Option<PathBuf>,
    /// Work out and prove the change, writing nothing.
    pub check: bool,
}

/// How ssh comes to read the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReadBy {
    /// It is the user's `~/.ssh/config`, read first.
    UserConfig,
    /// The user's file includes it.
    UserInclude,
    /// The system's file is it or includes it; the user's file is read before it.
    SystemConfig,
    /// ssh reads it only when named with `-F`.
    OnlyWithF,
}

/// What `ssh -G` resolved for the alias after the change.
#[derive(Debug, Clone, Serialize)]
pub struct Proof {
    /// The command run.
    pub command: String,
    /// Whether it ran on a private copy of the new text (before anything was written).
    pub on_copy: bool,
    /// `pkcs11provider`.
    pub pkcs11provider: Option<String>,
    /// `identitiesonly`.
    pub identitiesonly: Option<String>,
    /// Every `identityfile`.
    pub identityfile: Vec<String>,
    /// Every `certificatefile`.
    pub certificatefile: Vec<String>,
    /// `hostname`, `port`, `user`.
    pub hostname: Option<String>,
    /// See `hostname`.
    pub port: Option<String>,
    /// See `hostname`.
    pub user: Option<String>,
}

impl Proof {
    /// What `ssh -G` showed for `keywords` (the block's), as `keyword value` lines.
    pub fn lines(&self, keywords: &[&str]) -> Vec<String> {
        let mut lines = Vec::new();
        for keyword in keywords {
            let lower = keyword.to_ascii_lowercase();
            let values: Vec<&str> = match lower.as_str() {
                "pkcs11provider" => self.pkcs11provider.as_deref().into_iter().collect(),
                "identitiesonly" => self.identitiesonly.as_deref().into_iter().collect(),
                "identityfile" => self.identityfile.iter().map(String::as_str).collect(),
                "certificatefile" => self.certificatefile.iter().map(String::as_str).collect(),
                "hostname" => self.hostname.as_deref().into_iter().collect(),
                "port" => self.port.as_deref().into_iter().collect(),
                "user" => self.user.as_deref().into_iter().collect(),
                _ => Vec::new(),
            };
            lines.extend(values.into_iter().map(|value| format!("{lower} {value}")));
        }
        lines
    }
}

/// What was done (or, with `check`, would be).
#[derive(Debug, Clone, Serialize)]
pub struct HostBlockReport {
    /// The file, past symbolic links.
    pub path: PathBuf,
    /// Whether the text changed (or would).
    pub changed: bool,
    /// Whether this was a check (nothing written).
    pub check: bool,
    /// The keywords set.
    pub changes: Vec<SettingChange>,
    /// Whether the block moved in front of a block that overrode it.
    pub moved: bool,
    /// The backup of the previous text, when one was written.
    pub backup: Option<PathBuf>,
    /// How ssh reads the file.
    pub read_by: ReadBy,
    /// The keywords the block sets (`HostName`, `PKCS11Provider`, …), in order.
    pub keywords: Vec<&'static str>,
    /// The proof; `None` only for a check of a file ssh reads through another (it can be
    /// proven only once written).
    pub proof: Option<Proof>,
    /// Lines that might set a keyword first, depending on what only ssh can evaluate.
    pub may_override: Vec<String>,
    /// The text before.
    #[serde(skip)]
    pub old: Vec<u8>,
    /// The text after.
    #[serde(skip)]
    pub new: Vec<u8>,
}

/// The keywords whose first value wins; the block must be the first to set them.
const SINGLE_VALUED: [&str; 5] = ["HostName", "Port", "User", "PKCS11Provider", "IdentitiesOnly"];

fn bad(what: &'static str, value: impl Into<String>, why: impl Into<String>) -> SshConfigError {
    SshConfigError::BadValue {
        what,
        value: value.into(),
        why: why.into(),
    }
}

fn check_alias(alias: &str) -> Result<(), SshConfigError> {
    if alias.is_empty()
        || alias.starts_with('-')
        || alias.contains(|c: char| c.is_whitespace() || c.is_control() || "*?!,#\"'=\\".contains(c))
    {
        return Err(bad(
            "the host alias",
            alias,
            "use one name without spaces, wildcards (* ?), '!', ',', quotes or a leading '-'",
        ));
    }
    Ok(())
}

fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_owned())
}

/// Checks that the identity file holds an OpenSSH public key line, as `IdentityFile` needs.
fn check_identity(path: &Path) -> Result<(), SshConfigError> {
    let bytes = crate::files::read_regular(path, 64 * 1024, "public key")
        .map_err(|error| bad("the identity file", path.display().to_string(), error.to_string()))?;
    let text = String::from_utf8_lossy(&bytes);
    let line = text
        .lines()
        .map(str::trim)
        .find(|line| !line.is_empty())
        .unwrap_or_default();
    if ssh_key::PublicKey::from_openssh(line).is_ok() {
        return Ok(());
    }
    Err(bad(
        "the identity file",
        path.display().to_string(),
        format!(
            "it does not hold an OpenSSH public key line, which IdentityFile needs; write one from the KMES \
             export with `fxconfig pubkey {} > key.pub` and name key.pub",
            path.display()
        ),
    ))
}

impl HostBlockRequest {
    /// The keywords of the block, in the order they are written.
    pub fn settings(&self) -> Vec<Setting> {
        let mut settings = Vec::new();
        let mut set = |keyword, value: String| settings.push(Setting { keyword, value });
        if let Some(hostname) = &self.hostname {
            set("HostName", hostname.clone());
        }
        if let Some(port) = self.port {
            set("Port", port.to_string());
        }
        if let Some(user) = &self.user {
            set("User", user.clone());
        }
        set("PKCS11Provider", absolute(&self.module).display().to_string());
        if let Some(identity) = &self.identity {
            set("IdentitiesOnly", "yes".to_owned());
            set("IdentityFile", absolute(identity).display().to_string());
        }
        if let Some(certificate) = &self.certificate {
            set("CertificateFile", absolute(certificate).display().to_string());
        }
        settings
    }

    fn validate(&self) -> Result<(), SshConfigError> {
        check_alias(&self.alias)?;
        if self.module.as_os_str().is_empty() {
            return Err(bad("the module", "", "name the PKCS#11 module file"));
        }
        for (what, value) in [("the host name", &self.hostname), ("the user", &self.user)] {
            if let Some(value) = value
                && (value.is_empty() || value.contains(|c: char| c.is_whitespace() || c.is_control()))
            {
                return Err(bad(what, value.clone(), "use one word without spaces"));
            }
        }
        if let Some(identity) = &self.identity {
            check_identity(identity)?;
        }
        if let Some(certificate) = &self.certificate
            && !certificate.is_file()
        {
            return Err(bad(
                "the certificate file",
                certificate.display().to_string(),
                "no such file",
            ));
        }
        Ok(())
    }
}

/// Same file, after resolving links (`~` expanded with `home`).
fn same_file(a: &str, b: &str, home: Option<&Path>) -> bool {
    let expand = |text: &str| -> PathBuf {
        match (text.strip_prefix("~/"), home) {
            (Some(rest), Some(home)) => home.join(rest),
            _ => PathBuf::from(text),
        }
    };
    let (a, b) = (expand(a), expand(b));
    if a == b {
        return true;
    }
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

/// The differences between what the block sets and what ssh resolved.
fn mismatches(settings: &[Setting], resolved: &ResolvedConfig, home: Option<&Path>) -> Vec<String> {
    let mut out = Vec::new();
    for setting in settings {
        let keyword = setting.keyword.to_ascii_lowercase();
        let ok = match setting.keyword {
            "IdentityFile" | "CertificateFile" => resolved
                .all(&keyword)
                .iter()
                .any(|value| same_file(value, &setting.value, home)),
            "PKCS11Provider" => resolved
                .get(&keyword)
                .is_some_and(|value| same_file(value, &setting.value, home)),
            "HostName" | "User" => resolved
                .get(&keyword)
                .is_some_and(|value| value.eq_ignore_ascii_case(&setting.value)),
            _ => resolved.get(&keyword) == Some(setting.value.as_str()),
        };
        if !ok {
            let shown = match setting.keyword {
                "IdentityFile" | "CertificateFile" => resolved.all(&keyword).join(", "),
                _ => resolved.get(&keyword).unwrap_or("(not set)").to_owned(),
            };
            out.push(format!("{keyword} is {shown}, not {}", setting.value));
        }
    }
    out
}

fn proof_of(command: String, on_copy: bool, resolved: &ResolvedConfig) -> Proof {
    let owned = |keyword: &str| resolved.get(keyword).map(str::to_owned);
    let all = |keyword: &str| resolved.all(keyword).into_iter().map(str::to_owned).collect();
    Proof {
        command,
        on_copy,
        pkcs11provider: owned("pkcs11provider"),
        identitiesonly: owned("identitiesonly"),
        identityfile: all("identityfile"),
        certificatefile: all("certificatefile"),
        hostname: owned("hostname"),
        port: owned("port"),
        user: owned("user"),
    }
}

fn file_error(path: &Path) -> impl FnOnce(crate::cfg::CfgError) -> SshConfigError + '_ {
    move |source| SshConfigError::File {
        path: path.to_owned(),
        source,
    }
}

/// Reads `path` as ssh_config text; a missing or unreadable file is `None`.
fn load_text(path: &Path) -> Option<SshConfigText> {
    let bytes = crate::files::read_regular(path, crate::files::limits::CFG_MAX_BYTES, "ssh configuration").ok()?;
    SshConfigText::parse(&bytes).ok()
}

fn same_path(a: &Path, b: &Path) -> bool {
    a == b || matches!((a.canonicalize(), b.canonicalize()), (Ok(a), Ok(b)) if a == b)
}

/// An operating-system error writing `path`, as this module reports it.
fn write_error(path: &Path) -> impl FnOnce(std::io::Error) -> SshConfigError + '_ {
    move |source| SshConfigError::File {
        path: path.to_owned(),
        source: crate::cfg::CfgError::Write {
            path: path.to_owned(),
            source,
        },
    }
}

/// The file to edit, as found: locked (except for a check of a file whose folder does not exist
/// yet, a first `~/.ssh/config`, which is read as empty and creates nothing), where it really is,
/// and its bytes.
struct Target {
    locked: Option<LockedCfg>,
    path: PathBuf,
    existed: bool,
    old: Vec<u8>,
}

fn open_target(request: &HostBlockRequest, locations: &SshLocations) -> Result<Target, SshConfigError> {
    let given = match &request.file {
        Some(file) => absolute(file),
        None => locations.user_config.clone().ok_or(SshConfigError::NoHome)?,
    };
    let folder = given.parent().filter(|folder| !folder.as_os_str().is_empty());
    let folder_missing = folder.is_some_and(|folder| !folder.exists());
    if request.file.is_none()
        && !request.check
        && folder_missing
        && let Some(folder) = folder
    {
        create_private_folder(folder).map_err(write_error(folder))?;
    }
    let locked = if request.check && folder_missing {
        None
    } else {
        Some(LockedCfg::open(&given).map_err(file_error(&given))?)
    };
    Ok(Target {
        path: locked
            .as_ref()
            .map_or_else(|| given.clone(), |locked| locked.target().to_owned()),
        existed: locked.as_ref().is_some_and(|locked| locked.current().is_some()),
        old: locked
            .as_ref()
            .and_then(LockedCfg::current)
            .map(<[u8]>::to_vec)
            .unwrap_or_default(),
        locked,
    })
}

/// How ssh comes to read `target`, and the files it reads for a host, in order.
fn reading_of(locations: &SshLocations, host: &HostContext, target: &Path) -> (ReadBy, Vec<(PathBuf, Origin)>) {
    let user_roots: Vec<(PathBuf, Origin)> = locations
        .user_config
        .iter()
        .map(|path| (path.clone(), Origin::User))
        .collect();
    let system_roots = vec![(locations.system_config.clone(), Origin::System)];
    let load = |path: &Path| load_text(path);
    let reader = Reader {
        host,
        home: locations.home.as_deref(),
        system_dir: locations.system_dir(),
        load: &load,
    };
    let reached = |roots: &[(PathBuf, Origin)]| reader.files_read(roots).iter().any(|path| same_path(path, target));
    let read_by = if locations
        .user_config
        .as_deref()
        .is_some_and(|user| same_path(user, target))
    {
        ReadBy::UserConfig
    } else if reached(&user_roots) {
        ReadBy::UserInclude
    } else if same_path(&locations.system_config, target) || reached(&system_roots) {
        ReadBy::SystemConfig
    } else {
        ReadBy::OnlyWithF
    };
    let roots = match read_by {
        ReadBy::OnlyWithF => vec![(target.to_owned(), Origin::User)],
        _ => user_roots.into_iter().chain(system_roots).collect(),
    };
    (read_by, roots)
}

/// Where the block went: whether it moved, and the lines that may set a keyword first.
struct Placement {
    moved: bool,
    may_override: Vec<String>,
}

/// Replays the reading of `roots` with `text` as the target's new text, and places the block
/// where it takes effect: moved once in front of a block of the same file that sets a keyword
/// first, refused when a line outside it wins.
fn place_block(
    text: &mut SshConfigText,
    alias: &str,
    settings: &[Setting],
    reading: (&HostContext, &[(PathBuf, Origin)], &Path),
    locations: &SshLocations,
) -> Result<Placement, SshConfigError> {
    let (host, roots, target) = reading;
    let mut moved = false;
    loop {
        let mut may_override = Vec::new();
        let current = text.clone();
        let load = |path: &Path| {
            if same_path(path, target) || path == target {
                Some(current.clone())
            } else {
                load_text(path)
            }
        };
        let reader = Reader {
            host,
            home: locations.home.as_deref(),
            system_dir: locations.system_dir(),
            load: &load,
        };
        let own_start = current.host_block(alias).map(|block| block.start);
        let mut overridden = None;
        'keywords: for setting in settings.iter().filter(|s| SINGLE_VALUED.contains(&s.keyword)) {
            for setter in reader.setters(roots, setting.keyword) {
                if same_path(&setter.path, target) && setter.block_start == own_start {
                    break;
                }
                if setter.applies == Applies::Maybe {
                    may_override.push(format!(
                        "{}:{} `{}` ({})",
                        setter.path.display(),
                        setter.line,
                        setter.text,
                        setter.block
                    ));
                } else {
                    overridden = Some((setting.keyword, setter));
                    break 'keywords;
                }
            }
        }
        let Some((keyword, setter)) = overridden else {
            return Ok(Placement { moved, may_override });
        };
        let movable = !moved && same_path(&setter.path, target) && setter.block_start.is_some();
        if movable && text.move_host_block_to_front(alias) {
            moved = true;
            continue;
        }
        return Err(SshConfigError::Overridden {
            keyword: keyword.to_owned(),
            path: setter.path,
            line: setter.line,
            text: setter.text,
            block: setter.block,
        });
    }
}

/// Proves the block with `ssh -G`.
struct Prover<'a> {
    locations: &'a SshLocations,
    alias: &'a str,
    settings: &'a [Setting],
    target: &'a Path,
    may_override: &'a [String],
}

impl Prover<'_> {
    /// `ssh -G [-F file] ALIAS`, compared with the block's values.
    fn prove(&self, file: Option<&Path>, on_copy: bool) -> Result<Proof, SshConfigError> {
        let resolved = resolved::resolve(&self.locations.ssh, file, self.alias).map_err(SshConfigError::Ssh)?;
        let command = match file {
            Some(_) if on_copy => format!("ssh -G -F <copy of {}> {}", self.target.display(), self.alias),
            Some(file) => format!("ssh -G -F {} {}", file.display(), self.alias),
            None => format!("ssh -G {}", self.alias),
        };
        let found = mismatches(self.settings, &resolved, self.locations.home.as_deref());
        if found.is_empty() {
            Ok(proof_of(command, on_copy, &resolved))
        } else {
            Err(SshConfigError::NotProven {
                alias: self.alias.to_owned(),
                mismatches: found,
                suspects: self.may_override.to_vec(),
                rolled_back: false,
            })
        }
    }

    /// The proof on a private copy of `bytes` (`ssh -G -F COPY`), before anything is written.
    fn prove_copy(&self, bytes: &[u8]) -> Result<Proof, SshConfigError> {
        let staging = tempfile::Builder::new()
            .prefix("fxconfig-ssh-")
            .tempdir()
            .map_err(write_error(&std::env::temp_dir()))?;
        let copy = staging.path().join("config");
        crate::files::publish_file(&copy, bytes, 0o600).map_err(write_error(&copy))?;
        self.prove(Some(&copy), true)
    }
}

/// Writes (or, with `check`, works out) the `Host` block of `request` and proves it with
/// `ssh -G`. Blocking (it runs `ssh`); call it from a worker thread in a GUI.
///
/// # Errors
/// [`SshConfigError`]: a bad value, a file that cannot be read or written, a line that
/// overrides the block, `ssh` missing, or `ssh -G` showing other values (the file is then
/// as it was).
pub fn write_host_block(
    request: &HostBlockRequest,
    locations: &SshLocations,
) -> Result<HostBlockReport, SshConfigError> {
    request.validate()?;
    let Target {
        mut locked,
        path: target,
        existed,
        old,
    } = open_target(request, locations)?;
    let mut text = SshConfigText::parse(&old).map_err(|error| SshConfigError::NotText {
        path: target.clone(),
        line: error.line,
    })?;
    let settings = request.settings();
    let mut changes = text.set_host_block(&request.alias, &settings);
    let host = HostContext {
        alias: request.alias.clone(),
        hostname: request.hostname.clone(),
    };
    let (read_by, roots) = reading_of(locations, &host, &target);
    let placement = place_block(
        &mut text,
        &request.alias,
        &settings,
        (&host, &roots, &target),
        locations,
    )?;
    if placement.moved
        && let Some(block) = text.host_block(&request.alias)
    {
        // Line numbers changed with the move: report where each keyword is now.
        for change in &mut changes {
            change.line = (block.start..block.end)
                .find(|index| text.directive(*index).is_some_and(|d| d.is(&change.tag)))
                .map_or(change.line, |index| index + 1);
        }
    }
    let new = text.to_bytes();
    let changed = new != old;
    let prover = Prover {
        locations,
        alias: &request.alias,
        settings: &settings,
        target: &target,
        may_override: &placement.may_override,
    };
    // Proven before writing where a copy read with -F is read as the file would be; a file ssh
    // reads through another is proven once written, below.
    let mut proof = match read_by {
        ReadBy::UserConfig | ReadBy::OnlyWithF if changed => Some(prover.prove_copy(&new)?),
        ReadBy::OnlyWithF => Some(prover.prove(Some(&target), false)?),
        _ if !changed => Some(prover.prove(None, false)?),
        _ => None,
    };

    let mut backup = None;
    if changed
        && !request.check
        && let Some(locked) = locked.as_mut()
    {
        let report = locked
            .write(&new, SaveOptions::default())
            .map_err(file_error(&target))?;
        backup = report.backup;
        #[cfg(unix)]
        if !existed && read_by == ReadBy::SystemConfig {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o644)).map_err(write_error(&target))?;
        }
        if proof.is_none() {
            match prover.prove(None, false) {
                Ok(found) => proof = Some(found),
                Err(error) => {
                    let put_back = if existed {
                        locked.write(&old, SaveOptions::default()).is_ok()
                    } else {
                        std::fs::remove_file(&target).is_ok()
                    };
                    return Err(match error {
                        SshConfigError::NotProven {
                            alias,
                            mismatches,
                            suspects,
                            ..
                        } => SshConfigError::NotProven {
                            alias,
                            mismatches,
                            suspects,
                            rolled_back: put_back,
                        },
                        other => other,
                    });
                }
            }
        }
    }
    Ok(HostBlockReport {
        path: target,
        changed,
        check: request.check,
        changes,
        moved: placement.moved,
        backup,
        read_by,
        keywords: settings.iter().map(|setting| setting.keyword).collect(),
        proof,
        may_override: placement.may_override,
        old,
        new,
    })
}

/// Creates `~/.ssh` private to its owner (0700), as ssh wants it.
fn create_private_folder(folder: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(folder)
}
