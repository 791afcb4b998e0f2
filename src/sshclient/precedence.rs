//! Which line of which file gives an ssh_config keyword its value for one host.
//!
//! OpenSSH reads the user's file (`~/.ssh/config`), then the system's
//! (`/etc/ssh/ssh_config`), following `Include` where it stands, and the first value a
//! keyword gets is the one it keeps (`IdentityFile` and `CertificateFile` add up instead).
//! This module replays that reading for a host alias and names, per keyword, the first line
//! that sets it, so that a refusal can name the line that wins. It cannot run `Match exec`
//! or know the local user's groups: a `Match` line it cannot decide is "maybe", and
//! `ssh -G` stays the proof ([`super::resolved`]).

use std::path::{Path, PathBuf};

use super::config_file::{BlockKind, SshConfigText, host_patterns_match, wildcard};

/// How deep `Include` may nest, as in OpenSSH (`READCONF_MAX_DEPTH`).
const MAX_INCLUDE_DEPTH: usize = 16;

/// Whether a block is read for the host.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applies {
    /// It is.
    Yes,
    /// It may be: a `Match` criterion that depends on more than the name (`exec`, `user`, …).
    Maybe,
    /// It is not.
    No,
}

impl Applies {
    fn and(self, other: Applies) -> Applies {
        match (self, other) {
            (Applies::No, _) | (_, Applies::No) => Applies::No,
            (Applies::Yes, Applies::Yes) => Applies::Yes,
            _ => Applies::Maybe,
        }
    }

    fn not(self) -> Applies {
        match self {
            Applies::Yes => Applies::No,
            Applies::No => Applies::Yes,
            Applies::Maybe => Applies::Maybe,
        }
    }

    fn from_bool(value: bool) -> Applies {
        if value { Applies::Yes } else { Applies::No }
    }
}

/// The host being resolved: the alias typed after `ssh`, and the `HostName` it gets (which
/// `Match host` compares against) when known.
#[derive(Debug, Clone)]
pub struct HostContext {
    /// The name given to ssh.
    pub alias: String,
    /// The real host name, when the block being written sets one.
    pub hostname: Option<String>,
}

/// Whether a `Match` line's criteria select the host.
pub fn match_applies(criteria: &[String], host: &HostContext) -> Applies {
    let mut result = Applies::Yes;
    let mut tokens = criteria.iter();
    while let Some(token) = tokens.next() {
        let (negated, name) = match token.strip_prefix('!') {
            Some(name) => (true, name),
            None => (false, token.as_str()),
        };
        let verdict = match name.to_ascii_lowercase().as_str() {
            "all" => Applies::Yes,
            "canonical" | "final" => Applies::Maybe,
            "originalhost" => {
                let patterns = patterns_of(tokens.next());
                Applies::from_bool(host_patterns_match(&patterns, &host.alias))
            }
            "host" => {
                let patterns = patterns_of(tokens.next());
                let name = host.hostname.as_deref().unwrap_or(&host.alias);
                Applies::from_bool(host_patterns_match(&patterns, name))
            }
            _ => {
                tokens.next();
                Applies::Maybe
            }
        };
        result = result.and(if negated { verdict.not() } else { verdict });
    }
    result
}

fn patterns_of(argument: Option<&String>) -> Vec<String> {
    argument
        .map(|list| list.split(',').map(str::to_owned).collect())
        .unwrap_or_default()
}

/// Which configuration a file is read as: relative `Include` paths are under `~/.ssh` in
/// the user's and under `/etc/ssh` in the system's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// The user's file (or one named with `ssh -F`).
    User,
    /// The system's file.
    System,
}

/// A line that sets a keyword, where it is and whether its block applies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Setter {
    /// The file.
    pub path: PathBuf,
    /// The 1-based line.
    pub line: usize,
    /// The line's text, trimmed.
    pub text: String,
    /// The block it is in: `Host *`, `Match exec …`, `before any Host or Match`.
    pub block: String,
    /// The 0-based line of that block's `Host`/`Match` line, `None` before any.
    pub block_start: Option<usize>,
    /// Whether that block applies to the host.
    pub applies: Applies,
}

/// Reads the files ssh would read, for one host.
pub struct Reader<'a> {
    /// The host.
    pub host: &'a HostContext,
    /// The user's home folder, for `~` and relative includes.
    pub home: Option<&'a Path>,
    /// The folder of the system configuration (`/etc/ssh`).
    pub system_dir: &'a Path,
    /// Loads a file; the file being edited is given with its new text.
    pub load: &'a dyn Fn(&Path) -> Option<SshConfigText>,
}

impl Reader<'_> {
    /// Every line that sets `keyword` in blocks that apply (or may), in the order ssh reads
    /// them, starting with the files in `roots`.
    pub fn setters(&self, roots: &[(PathBuf, Origin)], keyword: &str) -> Vec<Setter> {
        let mut found = Vec::new();
        for (path, origin) in roots {
            self.read(path, *origin, Applies::Yes, 0, &mut |setter, directive_keyword| {
                if directive_keyword.eq_ignore_ascii_case(keyword) {
                    found.push(setter);
                }
            });
        }
        found
    }

    /// The files `roots` read, themselves and through `Include`, in reading order.
    pub fn files_read(&self, roots: &[(PathBuf, Origin)]) -> Vec<PathBuf> {
        let mut files = Vec::new();
        for (path, origin) in roots {
            self.visit_files(path, *origin, 0, &mut files);
        }
        files
    }

    fn visit_files(&self, path: &Path, origin: Origin, depth: usize, files: &mut Vec<PathBuf>) {
        let Some(text) = (self.load)(path) else {
            return;
        };
        files.push(path.to_owned());
        if depth >= MAX_INCLUDE_DEPTH {
            return;
        }
        for directive in text.directives().filter(|d| d.is("Include")) {
            for included in self.expand(&directive.args, origin) {
                self.visit_files(&included, origin, depth + 1, files);
            }
        }
    }

    fn read(&self, path: &Path, origin: Origin, inherited: Applies, depth: usize, found: &mut dyn FnMut(Setter, &str)) {
        let Some(text) = (self.load)(path) else {
            return;
        };
        for block in text.blocks() {
            let (applies, block_start) = match &block.kind {
                BlockKind::Global => (inherited, None),
                BlockKind::Host(patterns) => (
                    inherited.and(Applies::from_bool(host_patterns_match(patterns, &self.host.alias))),
                    Some(block.start),
                ),
                BlockKind::Match(criteria) => (inherited.and(match_applies(criteria, self.host)), Some(block.start)),
            };
            if applies == Applies::No {
                continue;
            }
            let first = if block_start.is_some() {
                block.start + 1
            } else {
                block.start
            };
            for index in first..block.end {
                let Some(directive) = text.directive(index) else {
                    continue;
                };
                if directive.is("Include") {
                    if depth < MAX_INCLUDE_DEPTH {
                        for included in self.expand(&directive.args, origin) {
                            self.read(&included, origin, applies, depth + 1, found);
                        }
                    }
                    continue;
                }
                found(
                    Setter {
                        path: path.to_owned(),
                        line: directive.line,
                        text: text.line_text(index).unwrap_or_default().trim().to_owned(),
                        block: block.heading(),
                        block_start,
                        applies,
                    },
                    &directive.keyword,
                );
            }
        }
    }

    /// The files an `Include` names: `~` expanded, relative paths under `~/.ssh` or
    /// `/etc/ssh`, and `*`/`?` in the last component matched against the folder, sorted.
    fn expand(&self, args: &[String], origin: Origin) -> Vec<PathBuf> {
        let mut files = Vec::new();
        for arg in args {
            let path = if let Some(rest) = arg.strip_prefix("~/") {
                match self.home {
                    Some(home) => home.join(rest),
                    None => continue,
                }
            } else if Path::new(arg).is_absolute() {
                PathBuf::from(arg)
            } else {
                match origin {
                    Origin::User => match self.home {
                        Some(home) => home.join(".ssh").join(arg),
                        None => continue,
                    },
                    Origin::System => self.system_dir.join(arg),
                }
            };
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
            if !name.contains(['*', '?']) {
                files.push(path);
                continue;
            }
            let pattern = name.to_owned();
            let Some(folder) = path.parent() else {
                continue;
            };
            let Ok(listing) = std::fs::read_dir(folder) else {
                continue;
            };
            let mut matched: Vec<PathBuf> = listing
                .flatten()
                .filter(|entry| {
                    entry
                        .file_name()
                        .to_str()
                        .is_some_and(|candidate| glob_matches(&pattern, candidate))
                })
                .map(|entry| entry.path())
                .collect();
            matched.sort();
            files.extend(matched);
        }
        files
    }
}

/// Whether a file name matches a glob(3) pattern of `*` and `?` (case-sensitive; a leading
/// dot is matched only by a leading dot).
fn glob_matches(pattern: &str, name: &str) -> bool {
    if name.starts_with('.') && !pattern.starts_with('.') {
        return false;
    }
    wildcard(pattern.as_bytes(), name.as_bytes(), false)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn host(alias: &str) -> HostContext {
        HostContext {
            alias: alias.to_owned(),
            hostname: Some("10.0.0.5".to_owned()),
        }
    }

    fn words(text: &str) -> Vec<String> {
        text.split(' ').map(str::to_owned).collect()
    }

    #[test]
    fn match_criteria_are_decided_where_the_name_decides_them() {
        let hsm = host("hsm");
        assert_eq!(match_applies(&words("all"), &hsm), Applies::Yes);
        assert_eq!(match_applies(&words("originalhost hsm,x"), &hsm), Applies::Yes);
        assert_eq!(match_applies(&words("host 10.0.0.*"), &hsm), Applies::Yes);
        assert_eq!(match_applies(&words("!host 10.0.0.*"), &hsm), Applies::No);
        assert_eq!(match_applies(&words("exec true"), &hsm), Applies::Maybe);
        assert_eq!(match_applies(&words("exec true host other"), &hsm), Applies::No);
        assert_eq!(
            match_applies(&words("user root originalhost hsm"), &hsm),
            Applies::Maybe
        );
    }

    #[test]
    fn the_first_setter_is_found_through_includes_and_blocks() {
        let dir = tempfile::tempdir().unwrap();
        let home = dir.path().join("h");
        let etc = dir.path().join("etc");
        std::fs::create_dir_all(home.join(".ssh/conf.d")).unwrap();
        std::fs::create_dir_all(&etc).unwrap();
        let user = home.join(".ssh/config");
        let system = etc.join("ssh_config");
        std::fs::write(
            &user,
            "Include conf.d/*.conf\nHost web\n  IdentitiesOnly no\nHost hsm\n  IdentitiesOnly yes\n",
        )
        .unwrap();
        std::fs::write(
            home.join(".ssh/conf.d/a.conf"),
            "Match exec \"test -f /x\"\n  IdentitiesOnly no\n",
        )
        .unwrap();
        std::fs::write(home.join(".ssh/conf.d/b.conf.off"), "IdentitiesOnly no\n").unwrap();
        std::fs::write(&system, "Host *\n  IdentitiesOnly no\n").unwrap();
        let load = |path: &Path| {
            std::fs::read(path)
                .ok()
                .map(|bytes| SshConfigText::parse(&bytes).unwrap())
        };
        let hsm = host("hsm");
        let reader = Reader {
            host: &hsm,
            home: Some(&home),
            system_dir: &etc,
            load: &load,
        };
        let roots = [(user.clone(), Origin::User), (system.clone(), Origin::System)];
        let setters = reader.setters(&roots, "identitiesonly");
        assert_eq!(setters.len(), 3, "{setters:?}");
        assert_eq!(setters[0].path, home.join(".ssh/conf.d/a.conf"));
        assert_eq!((setters[0].line, setters[0].applies), (2, Applies::Maybe));
        assert_eq!(setters[0].block, "Match exec test -f /x");
        assert_eq!((setters[1].line, setters[1].applies), (5, Applies::Yes));
        assert_eq!(setters[1].block, "Host hsm");
        assert_eq!(
            (setters[2].path.as_path(), setters[2].block.as_str()),
            (system.as_path(), "Host *")
        );
        assert_eq!(
            reader.files_read(&roots),
            [user, home.join(".ssh/conf.d/a.conf"), system]
        );
    }

    #[test]
    fn globs_match_names_as_glob_does() {
        assert!(glob_matches("*.conf", "50-fx.conf"));
        assert!(!glob_matches("*.conf", ".hidden.conf"));
        assert!(!glob_matches("*.conf", "x.conf.bak"));
        assert!(glob_matches("a?", "ab"));
    }
}
