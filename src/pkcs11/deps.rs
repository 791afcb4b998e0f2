//! Whether the libraries a module needs can be found, as the system loader
//! would look for them, before the module is loaded.
//!
//! For an ELF module this follows the dynamic loader's search for each `DT_NEEDED` entry,
//! transitively: `DT_RPATH` (when there is no `DT_RUNPATH`), `LD_LIBRARY_PATH`,
//! `DT_RUNPATH`, the directories of `/etc/ld.so.conf` (with its `include` lines),
//! then the default directories. Like the loader it skips a candidate built for
//! another machine or word size (a 32-bit `libcrypto` for a 64-bit module) and
//! keeps looking. The result is a faithful preview, not the loader itself:
//! `ld.so.cache` entries added by hand outside `ld.so.conf` and `$PLATFORM`
//! expansions are not consulted.
//!
//! For a PE module (Windows) it follows the import directory with the standard DLL search
//! order of `LoadLibrary` on a full path: the folder of the program that loads the module,
//! the system folder, the 16-bit system folder, the Windows folder, the current folder, then
//! `PATH`. The module's own folder is not searched — the classic reason why `fxpkcs11.dll`
//! fails to load while its OpenSSL DLLs sit right beside it. API sets (`api-ms-win-*`,
//! `ext-ms-*`) are provided by Windows and not looked for; DLLs found in the system folders are
//! not followed further.

use std::collections::{HashSet, VecDeque};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::binary::{self, BinaryFormat, BinaryHeader};

/// The most libraries followed, far more than any module pulls in.
const MAX_LIBRARIES: usize = 512;
/// The largest library file read to follow its own dependencies.
const MAX_LIBRARY_LEN: u64 = 512 * 1024 * 1024;

/// One library a module needs, directly or through another library.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dependency {
    /// The name as written in `DT_NEEDED`, such as `libcrypto.so.1.1`.
    pub name: String,
    /// The file that needs it (the module, or one of its libraries).
    pub needed_by: PathBuf,
    /// Where the loader would find it; `None` when it would not.
    pub found: Option<PathBuf>,
    /// Files of that name that were passed over, with the reason (another architecture, unreadable).
    pub rejected: Vec<String>,
}

/// The libraries a module needs and where each was found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DependencyReport {
    /// Every library, direct ones first, in the loader's breadth-first order.
    pub libraries: Vec<Dependency>,
    /// Whether the dependencies could be checked (ELF and PE are followed, Mach-O is not).
    pub checked: bool,
}

impl DependencyReport {
    /// The libraries that would not be found.
    pub fn missing(&self) -> Vec<&Dependency> {
        self.libraries.iter().filter(|d| d.found.is_none()).collect()
    }
}

/// Follows the module's dependencies as this machine's loader would: with the current
/// `LD_LIBRARY_PATH` for ELF, with the current Windows search order for PE.
pub fn resolve(module: &Path, header: &BinaryHeader) -> DependencyReport {
    match header.format {
        BinaryFormat::Pe => {
            let search = DllSearch::from_environment();
            resolve_pe_with(module, header, &search)
        }
        _ => {
            let library_path = std::env::var("LD_LIBRARY_PATH").unwrap_or_default();
            resolve_with(module, header, &library_path)
        }
    }
}

/// Where Windows looks for the DLLs a module imports, in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DllSearch {
    /// The folder of the program that loads the module.
    pub program_dir: Option<PathBuf>,
    /// The system folders (System32, System, the Windows folder): DLLs found there are Windows' own.
    pub system_dirs: Vec<PathBuf>,
    /// The current folder.
    pub current_dir: Option<PathBuf>,
    /// The folders of `PATH`.
    pub path_dirs: Vec<PathBuf>,
}

impl DllSearch {
    /// The search order of this process: its program's folder, `%SystemRoot%\System32`,
    /// `%SystemRoot%\System`, `%SystemRoot%`, the current folder and `PATH`. The module is loaded
    /// by a child `fxconfig` from the same folder as this program, so the program folder is the same.
    pub fn from_environment() -> DllSearch {
        let windows = PathBuf::from(std::env::var_os("SystemRoot").unwrap_or_else(|| r"C:\Windows".into()));
        DllSearch {
            program_dir: std::env::current_exe()
                .ok()
                .and_then(|exe| exe.parent().map(Path::to_path_buf)),
            system_dirs: vec![windows.join("System32"), windows.join("System"), windows],
            current_dir: std::env::current_dir().ok(),
            path_dirs: std::env::var_os("PATH")
                .map(|path| {
                    std::env::split_paths(&path)
                        .filter(|d| !d.as_os_str().is_empty())
                        .collect()
                })
                .unwrap_or_default(),
        }
    }

    /// Every folder in the loader's order.
    fn ordered(&self) -> Vec<PathBuf> {
        let mut dirs: Vec<PathBuf> = self.program_dir.iter().cloned().collect();
        dirs.extend(self.system_dirs.iter().cloned());
        dirs.extend(self.current_dir.iter().cloned());
        dirs.extend(self.path_dirs.iter().cloned());
        dirs
    }
}

/// Whether a DLL name is an API set, which Windows maps to its own DLLs without a file.
fn is_api_set(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower.starts_with("api-ms-win-") || lower.starts_with("ext-ms-")
}

/// Follows a PE module's imports through the given Windows search order.
pub fn resolve_pe_with(module: &Path, header: &BinaryHeader, search: &DllSearch) -> DependencyReport {
    let dirs = search.ordered();
    walk(module, header, |name, owner, _| {
        if is_api_set(name) {
            return None;
        }
        let (found, mut rejected) = find(name, owner, &dirs, header);
        if found.is_none()
            && let Some(beside) = module.parent().map(|dir| dir.join(name))
            && beside.is_file()
        {
            rejected.push(format!(
                "{}: beside the module, but Windows does not search the module's folder",
                beside.display()
            ));
        }
        let in_system = |path: &Path| {
            search
                .system_dirs
                .iter()
                .any(|dir| path.parent() == Some(dir.as_path()))
        };
        let follow = found.as_ref().is_some_and(|(path, _)| !in_system(path));
        Some(Lookup {
            found,
            rejected,
            follow,
        })
    })
}

/// Follows the module's dependencies with the given `LD_LIBRARY_PATH` value.
pub fn resolve_with(module: &Path, header: &BinaryHeader, library_path: &str) -> DependencyReport {
    if header.format != BinaryFormat::Elf {
        return DependencyReport {
            libraries: Vec::new(),
            checked: false,
        };
    }
    let env_dirs: Vec<PathBuf> = library_path
        .split([':', ';'])
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .collect();
    let system_dirs = system_dirs(header);
    walk(module, header, |name, owner, owner_header| {
        let search = search_dirs(owner, owner_header, &env_dirs, &system_dirs);
        let (found, rejected) = find(name, owner, &search, header);
        let follow = found.is_some();
        Some(Lookup {
            found,
            rejected,
            follow,
        })
    })
}

/// Where one needed library was found, what was passed over, and whether to follow its own needs.
struct Lookup {
    found: Option<(PathBuf, BinaryHeader)>,
    rejected: Vec<String>,
    follow: bool,
}

/// The loader's breadth-first walk: each needed name is looked up once with `lookup`, which
/// returns `None` for a name that needs no file. Names are compared without case for PE
/// (Windows file names), exactly for ELF.
fn walk(
    module: &Path,
    header: &BinaryHeader,
    mut lookup: impl FnMut(&str, &Path, &BinaryHeader) -> Option<Lookup>,
) -> DependencyReport {
    let mut libraries = Vec::new();
    let mut seen: HashSet<String> = HashSet::new();
    let mut queue: VecDeque<(PathBuf, BinaryHeader)> = VecDeque::new();
    queue.push_back((module.to_path_buf(), header.clone()));
    let key = |name: &str| {
        if header.format == BinaryFormat::Pe {
            name.to_ascii_lowercase()
        } else {
            name.to_owned()
        }
    };
    while let Some((owner, owner_header)) = queue.pop_front() {
        for name in &owner_header.needed {
            if libraries.len() >= MAX_LIBRARIES || seen.contains(&key(name)) {
                continue;
            }
            let Some(Lookup {
                found,
                rejected,
                follow,
            }) = lookup(name, &owner, &owner_header)
            else {
                continue;
            };
            seen.insert(key(name));
            if follow && let Some((path, found_header)) = &found {
                queue.push_back((path.clone(), found_header.clone()));
            }
            libraries.push(Dependency {
                name: name.clone(),
                needed_by: owner.clone(),
                found: found.map(|(path, _)| path),
                rejected,
            });
        }
    }
    DependencyReport {
        libraries,
        checked: true,
    }
}

/// The directories searched for a library needed by `owner`, in the loader's order.
fn search_dirs(owner: &Path, header: &BinaryHeader, env_dirs: &[PathBuf], system_dirs: &[PathBuf]) -> Vec<PathBuf> {
    let origin = owner.parent().map(Path::to_path_buf).unwrap_or_default();
    let expand = |dir: &String| -> PathBuf {
        let origin_text = origin.to_string_lossy();
        PathBuf::from(dir.replace("${ORIGIN}", &origin_text).replace("$ORIGIN", &origin_text))
    };
    let mut dirs = Vec::new();
    if header.runpath.is_empty() {
        dirs.extend(header.rpath.iter().map(expand));
    }
    dirs.extend(env_dirs.iter().cloned());
    dirs.extend(header.runpath.iter().map(expand));
    dirs.extend(system_dirs.iter().cloned());
    dirs
}

/// Looks for `name` in `dirs`, skipping files built for another target than `module`.
fn find(
    name: &str,
    owner: &Path,
    dirs: &[PathBuf],
    module: &BinaryHeader,
) -> (Option<(PathBuf, BinaryHeader)>, Vec<String>) {
    let mut rejected = Vec::new();
    let candidates: Vec<PathBuf> = if name.contains('/') {
        let path = PathBuf::from(name);
        vec![if path.is_absolute() {
            path
        } else {
            owner.parent().unwrap_or(Path::new(".")).join(path)
        }]
    } else {
        dirs.iter().map(|dir| dir.join(name)).collect()
    };
    for candidate in candidates {
        if !candidate.is_file() {
            continue;
        }
        match read_header(&candidate) {
            Ok(header) if header.machine == module.machine && header.bits == module.bits => {
                return (Some((candidate, header)), rejected);
            }
            Ok(header) => rejected.push(format!("{}: {}", candidate.display(), header.describe())),
            Err(reason) => rejected.push(format!("{}: {reason}", candidate.display())),
        }
    }
    (None, rejected)
}

fn read_header(path: &Path) -> Result<BinaryHeader, String> {
    let metadata = std::fs::metadata(path).map_err(|e| e.to_string())?;
    if metadata.len() > MAX_LIBRARY_LEN {
        return Err("larger than 512 MiB".to_owned());
    }
    let bytes = std::fs::read(path).map_err(|e| e.to_string())?;
    binary::parse(&bytes).map_err(|problem| match problem {
        binary::HeaderProblem::NotBinary(what) => format!("not a library ({what})"),
        binary::HeaderProblem::Malformed(what) => what,
    })
}

/// The directories of `/etc/ld.so.conf` and the loader's defaults for this kind of module.
fn system_dirs(module: &BinaryHeader) -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    let mut visited = HashSet::new();
    read_ld_so_conf(Path::new("/etc/ld.so.conf"), &mut dirs, &mut visited);
    let multiarch = match (module.machine, module.bits) {
        (binary::Machine::X86_64, 64) => Some("x86_64-linux-gnu"),
        (binary::Machine::X86, 32) => Some("i386-linux-gnu"),
        (binary::Machine::Aarch64, 64) => Some("aarch64-linux-gnu"),
        (binary::Machine::Arm, 32) => Some("arm-linux-gnueabihf"),
        _ => None,
    };
    if let Some(triple) = multiarch {
        dirs.push(Path::new("/lib").join(triple));
        dirs.push(Path::new("/usr/lib").join(triple));
    }
    if module.bits == 64 {
        dirs.push(PathBuf::from("/lib64"));
        dirs.push(PathBuf::from("/usr/lib64"));
    }
    dirs.push(PathBuf::from("/lib"));
    dirs.push(PathBuf::from("/usr/lib"));
    let mut unique = HashSet::new();
    dirs.retain(|dir| unique.insert(dir.clone()));
    dirs
}

/// Reads one ld.so.conf-style file: directory lines and `include GLOB` lines.
fn read_ld_so_conf(path: &Path, dirs: &mut Vec<PathBuf>, visited: &mut HashSet<PathBuf>) {
    if !visited.insert(path.to_path_buf()) || visited.len() > 256 {
        return;
    }
    let Ok(text) = std::fs::read_to_string(path) else {
        return;
    };
    for line in text.lines() {
        let line = line.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        if let Some(pattern) = line.strip_prefix("include").map(str::trim) {
            let pattern = if Path::new(pattern).is_absolute() {
                PathBuf::from(pattern)
            } else {
                path.parent().unwrap_or(Path::new("/")).join(pattern)
            };
            for file in glob_files(&pattern) {
                read_ld_so_conf(&file, dirs, visited);
            }
        } else if line.starts_with('/') {
            dirs.push(PathBuf::from(line));
        }
    }
}

/// The files matching a pattern whose only wildcards are `*` in the last component, sorted.
fn glob_files(pattern: &Path) -> Vec<PathBuf> {
    let (Some(dir), Some(name)) = (pattern.parent(), pattern.file_name().and_then(|n| n.to_str())) else {
        return Vec::new();
    };
    if !name.contains('*') {
        return vec![pattern.to_path_buf()];
    }
    let parts: Vec<&str> = name.split('*').collect();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .filter(|entry| entry.file_name().to_str().is_some_and(|n| wildcard_match(&parts, n)))
        .map(|entry| entry.path())
        .collect();
    files.sort();
    files
}

/// Whether `name` matches the pattern split at its `*`s.
fn wildcard_match(parts: &[&str], name: &str) -> bool {
    let Some((first, rest)) = parts.split_first() else {
        return name.is_empty();
    };
    let Some(mut remaining) = name.strip_prefix(first) else {
        return false;
    };
    for (index, part) in rest.iter().enumerate() {
        let last = index + 1 == rest.len();
        if last {
            return remaining.ends_with(part);
        }
        match remaining.find(part) {
            Some(at) => remaining = &remaining[at + part.len()..],
            None => return false,
        }
    }
    remaining.is_empty()
}

#[cfg(test)]
mod tests {
    use super::wildcard_match;

    #[test]
    fn wildcards_match_like_the_shell() {
        assert!(wildcard_match(&["", ".conf"], "x86_64-linux-gnu.conf"));
        assert!(!wildcard_match(&["", ".conf"], "x86_64-linux-gnu.conf.bak"));
        assert!(wildcard_match(&["lib", ".so"], "libssl.so"));
        assert!(wildcard_match(&["exact"], "exact"));
        assert!(!wildcard_match(&["exact"], "exactly"));
    }
}
