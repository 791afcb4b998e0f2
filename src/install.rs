//! Finding the fxpkcs11 installation: every `fxpkcs11.cfg` and every build of the module in
//! the places the guide installs them, which build fits this machine, and which
//! configuration file the library will actually read.
//!
//! The guide's Linux tarball ([2.2]) unpacks to one `fxpkcs11` folder, put in
//! `/usr/local/bin/` (for everyone) or `$HOME/bin/` (for one user). It holds a
//! `fxpkcs11.cfg` and four builds of the module, `x86/` (32-bit) or `x64/` (64-bit), each
//! in `OpenSSL-1.0.x/` and `OpenSSL-1.1.x/` (with `configTest` and `PKCS11Manager`). The
//! library reads `/etc/fxpkcs11.cfg` unless `FXPKCS11_CFG` names another file, so the
//! tarball's copy is not read where it is. FXTools installs under `C:\Program Files\Futurex\`
//! on Windows ([2.1]). The two commonest first-day mistakes are editing the tarball's copy
//! and loading the wrong one of the four builds: [`locate()`] reports both.
//!
//! Whether a build fits is decided by the same checks as `pkcs11.module` and `pkcs11.deps`
//! ([`crate::pkcs11::inspect_module`], [`crate::pkcs11::check_dependencies`]): the file's
//! format, processor and word size, then every library it needs, looked for as the system
//! loader would. Nothing is loaded. The folders searched are plain data
//! ([`LocateRequest::folders`]), so callers (and tests) can search any folder.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use serde::Serialize;
use zeroize::Zeroizing;

use crate::cfg::locate::{self, CfgSource, LibraryCfg};
use crate::cfg::{self, CfgDocument};
use crate::files::{self, limits};
use crate::pkcs11::{self, BinaryHeader, Failure};

/// The configuration file's name in the tarball and the FXTools folder.
pub const CFG_FILE_NAME: &str = "fxpkcs11.cfg";

/// The module's file name on this platform.
#[cfg(windows)]
pub const MODULE_FILE_NAME: &str = "fxpkcs11.dll";

/// The module's file name on this platform.
#[cfg(not(windows))]
pub const MODULE_FILE_NAME: &str = "libfxpkcs11.so";

/// How many folder levels below a searched folder are looked at: enough for the tarball's
/// `x64/OpenSSL-1.1.x/` and for FXTools' product folders.
pub const SEARCH_DEPTH: usize = 3;

/// The most folder entries looked at under one searched folder, so that a huge folder named
/// by mistake cannot stall the search.
const MAX_ENTRIES_PER_FOLDER: usize = 20_000;

/// The largest module file whose header is read.
const MAX_MODULE_BYTES: u64 = 512 * 1024 * 1024;

/// Why a folder is searched.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FolderOrigin {
    /// `/usr/local/bin/fxpkcs11`, where the guide puts the tarball for every user ([2.2]).
    SystemTarball,
    /// `$HOME/bin/fxpkcs11`, where the guide puts the tarball for one user ([2.2]).
    UserTarball,
    /// `Futurex` under the Program Files folders, where FXTools installs ([2.1]).
    FxTools,
    /// The folder of the module named by the caller, and the tarball folder it sits in.
    ModuleFolder,
    /// A folder named by the caller (`fxconfig locate --dir`).
    Given,
}

impl FolderOrigin {
    /// A short phrase for listings, such as "the tarball folder for one user [2.2]".
    pub fn describe(self) -> &'static str {
        match self {
            FolderOrigin::SystemTarball => "the tarball folder for every user [2.2]",
            FolderOrigin::UserTarball => "the tarball folder for one user [2.2]",
            FolderOrigin::FxTools => "the FXTools folder [2.1]",
            FolderOrigin::ModuleFolder => "the module's folder",
            FolderOrigin::Given => "a folder given",
        }
    }
}

/// A folder to search, down to `depth` levels below it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SearchFolder {
    /// The folder.
    pub path: PathBuf,
    /// Why it is searched.
    pub origin: FolderOrigin,
    /// How many levels below it are looked at (0: the folder itself only).
    pub depth: usize,
}

impl SearchFolder {
    /// A folder searched [`SEARCH_DEPTH`] levels down.
    pub fn new(path: impl Into<PathBuf>, origin: FolderOrigin) -> SearchFolder {
        SearchFolder {
            path: path.into(),
            origin,
            depth: SEARCH_DEPTH,
        }
    }
}

/// What [`locate()`] searches, and against which library file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LocateRequest {
    /// The folders to search, in order.
    pub folders: Vec<SearchFolder>,
    /// A module to report whatever its name or place (`--module`); its folder, and the
    /// tarball folder it sits in, belong in [`LocateRequest::folders`] (see
    /// [`LocateRequest::with_module`]).
    pub module: Option<PathBuf>,
    /// The file the library reads.
    pub library: LibraryCfg,
    /// The configuration file being edited (the app's open file), to say whether each file
    /// found is that one.
    pub editing: Option<PathBuf>,
}

impl LocateRequest {
    /// The guide's folders for this platform ([`guide_folders`]) and the library file of this
    /// process's `FXPKCS11_CFG`.
    pub fn from_environment() -> LocateRequest {
        LocateRequest {
            folders: guide_folders(),
            module: None,
            library: locate::library_cfg_path(),
            editing: None,
        }
    }

    /// Only `folders`, against the given library file.
    pub fn new(folders: Vec<SearchFolder>, library: LibraryCfg) -> LocateRequest {
        LocateRequest {
            folders,
            module: None,
            library,
            editing: None,
        }
    }

    /// Adds a module to report, and searches its folder; when the module sits in the
    /// tarball's layout (`…/fxpkcs11/x64/OpenSSL-1.1.x/`), the whole tarball folder too.
    pub fn with_module(mut self, module: &Path) -> LocateRequest {
        let module = std::path::absolute(module).unwrap_or_else(|_| module.to_path_buf());
        if let Some(folder) = module.parent() {
            self.folders.push(SearchFolder {
                path: folder.to_path_buf(),
                origin: FolderOrigin::ModuleFolder,
                depth: 0,
            });
            if let Some(root) = tarball_root_of(folder) {
                self.folders.push(SearchFolder::new(root, FolderOrigin::ModuleFolder));
            }
        }
        self.module = Some(module);
        self
    }

    /// Adds a folder to search, [`SEARCH_DEPTH`] levels down.
    pub fn with_folder(mut self, folder: &Path) -> LocateRequest {
        self.folders.push(SearchFolder::new(folder, FolderOrigin::Given));
        self
    }

    /// Says which file is being edited.
    pub fn editing(mut self, path: &Path) -> LocateRequest {
        self.editing = Some(path.to_path_buf());
        self
    }
}

/// The folders the guide installs into on this platform: `/usr/local/bin/fxpkcs11` and
/// `$HOME/bin/fxpkcs11` ([2.2]); on Windows, `Futurex` under `%ProgramFiles%` and
/// `%ProgramFiles(x86)%` (by default `C:\Program Files\Futurex`, [2.1]).
pub fn guide_folders() -> Vec<SearchFolder> {
    if cfg!(windows) {
        let mut roots: Vec<PathBuf> = ["ProgramFiles", "ProgramFiles(x86)"]
            .iter()
            .filter_map(std::env::var_os)
            .map(PathBuf::from)
            .collect();
        if roots.is_empty() {
            roots.push(PathBuf::from(r"C:\Program Files"));
        }
        windows_folders(&roots)
    } else {
        let home = std::env::var_os("HOME")
            .filter(|home| !home.is_empty())
            .map(PathBuf::from);
        unix_folders(home.as_deref())
    }
}

/// `/usr/local/bin/fxpkcs11`, then `HOME/bin/fxpkcs11` when there is a home folder.
pub fn unix_folders(home: Option<&Path>) -> Vec<SearchFolder> {
    let mut folders = vec![SearchFolder::new(
        "/usr/local/bin/fxpkcs11",
        FolderOrigin::SystemTarball,
    )];
    if let Some(home) = home {
        folders.push(SearchFolder::new(
            home.join("bin").join("fxpkcs11"),
            FolderOrigin::UserTarball,
        ));
    }
    folders
}

/// `Futurex` under each Program Files folder, once each.
pub fn windows_folders(program_files: &[PathBuf]) -> Vec<SearchFolder> {
    let mut seen = HashSet::new();
    program_files
        .iter()
        .filter(|root| seen.insert((*root).clone()))
        .map(|root| SearchFolder::new(root.join("Futurex"), FolderOrigin::FxTools))
        .collect()
}

/// The tarball folder holding `folder`, when `folder` is one of its build folders
/// (`x86/` or `x64/`, or an `OpenSSL-…` folder inside one).
fn tarball_root_of(folder: &Path) -> Option<PathBuf> {
    let name = |path: &Path| path.file_name()?.to_str().map(str::to_ascii_lowercase);
    let arch = if name(folder).is_some_and(|n| n.starts_with("openssl")) {
        folder.parent()?
    } else {
        folder
    };
    matches!(name(arch).as_deref(), Some("x86" | "x64"))
        .then(|| arch.parent().map(Path::to_path_buf))
        .flatten()
}

/// A folder that was searched.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SearchedFolder {
    /// The folder.
    pub path: PathBuf,
    /// Why it was searched.
    pub origin: FolderOrigin,
    /// Whether it exists.
    pub exists: bool,
    /// Whether the search stopped early there (more than 20,000 entries).
    pub truncated: bool,
}

/// How a configuration file found relates to the one the library reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ConfigState {
    /// It is the file the library reads.
    ReadByLibrary,
    /// A copy with the same contents as the library's file: editing it changes nothing.
    SameAsLibrary,
    /// Its contents differ from the library's file: a stale copy, or edits made in the
    /// wrong file.
    DiffersFromLibrary,
    /// The library's file does not exist, so the library reads no configuration at all;
    /// this one must be copied there, or `FXPKCS11_CFG` pointed at it.
    LibraryFileMissing,
    /// It, or the library's file, could not be read to compare.
    Unreadable,
}

/// One `fxpkcs11.cfg` found.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FoundConfig {
    /// The file.
    pub path: PathBuf,
    /// The folder it was found under; `None` for the library's own file when no searched
    /// folder holds it.
    pub origin: Option<FolderOrigin>,
    /// Whether the library reads this file.
    pub read_by_library: bool,
    /// How it relates to the library's file.
    pub state: ConfigState,
    /// When it differs from the library's file: the tags whose values differ, are only in
    /// one of the two, or sit in another section (names only, never values).
    pub differing_tags: Vec<String>,
    /// Whether it is the file being edited ([`LocateRequest::editing`]).
    pub edited: bool,
    /// Why it could not be read, when it could not.
    pub error: Option<String>,
}

/// One build of the module found.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FoundModule {
    /// The file.
    pub path: PathBuf,
    /// The folder it was found under; `None` for a module named by the caller outside
    /// every searched folder.
    pub origin: Option<FolderOrigin>,
    /// Whether it is the module named by the caller.
    pub given: bool,
    /// The tarball's build folder it sits in, as named on disk (`x86`, `x64`).
    pub build: Option<String>,
    /// The OpenSSL series it is built for, such as `1.1.x`: from its `OpenSSL-…` folder,
    /// else from the OpenSSL libraries it needs.
    pub openssl: Option<String>,
    /// The OpenSSL libraries it needs (`libssl.so.1.1`, `libcrypto-1_1-x64.dll`, …).
    pub openssl_libraries: Vec<String>,
    /// Its word size, 32 or 64, when its header could be read.
    pub bits: Option<u8>,
    /// Its processor, such as `x86-64`, when its header could be read.
    pub machine: Option<String>,
    /// What its header says, such as "ELF 64-bit x86-64 shared library".
    pub kind: Option<String>,
    /// Whether this machine can load it: right format, processor and word size, and every
    /// library it needs found.
    pub fits: bool,
    /// When it does not fit: why (the message of the `pkcs11.module` or `pkcs11.deps`
    /// check that failed).
    pub why: Option<String>,
    /// When it does not fit: what to do about it.
    pub remedy: Option<String>,
    /// When it does not fit: the guide section to read, such as `2.2`.
    pub guide: Option<String>,
    /// Remarks, such as an `OpenSSL-1.0.x` folder holding a build that needs OpenSSL 1.1.
    pub notes: Vec<String>,
}

/// What [`locate()`] found.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Installation {
    /// The file the library reads.
    pub library_reads: PathBuf,
    /// Why that file.
    pub library_source: CfgSource,
    /// Whether that file exists.
    pub library_file_exists: bool,
    /// Every configuration file found (the library's own first, when it exists).
    pub configs: Vec<FoundConfig>,
    /// Every build of the module found (the module named by the caller first).
    pub modules: Vec<FoundModule>,
    /// The folders searched.
    pub searched: Vec<SearchedFolder>,
    /// The build to use ([`Installation::recommended`]), when one fits.
    pub recommended_module: Option<PathBuf>,
}

impl Installation {
    /// The build to use: the module named by the caller when it fits, else the first build
    /// that fits, preferring the newer OpenSSL series.
    pub fn recommended(&self) -> Option<&FoundModule> {
        let fitting = || self.modules.iter().filter(|module| module.fits);
        let rank = |module: &FoundModule| openssl_rank(module.openssl.as_deref());
        fitting().find(|module| module.given).or_else(|| {
            let best = fitting().map(rank).max()?;
            fitting().find(|module| rank(module) == best)
        })
    }

    /// The configuration files that are not the library's file but that the library's
    /// file should come from or agree with: copies that differ, and every copy when the
    /// library's file is missing.
    pub fn misplaced_configs(&self) -> Vec<&FoundConfig> {
        self.configs
            .iter()
            .filter(|config| {
                matches!(
                    config.state,
                    ConfigState::DiffersFromLibrary | ConfigState::LibraryFileMissing
                )
            })
            .collect()
    }
}

/// Orders OpenSSL series, newest highest; unknown lowest.
fn openssl_rank(series: Option<&str>) -> u32 {
    let Some(series) = series else { return 0 };
    let mut parts = series.split('.').map(|part| part.parse::<u32>().ok());
    let major = parts.next().flatten().unwrap_or(0);
    let minor = parts.next().flatten().unwrap_or(0);
    1 + major * 100 + minor
}

/// Searches the request's folders for configuration files and module builds and checks
/// each build against this machine. Reads files only; loads nothing. Safe to run on a
/// worker thread; takes milliseconds plus the reading of each module and the libraries it
/// needs.
pub fn locate(request: &LocateRequest) -> Installation {
    let mut searched = Vec::new();
    let mut cfg_paths: Vec<(PathBuf, Option<FolderOrigin>)> = Vec::new();
    let mut module_paths: Vec<(PathBuf, Option<FolderOrigin>)> = Vec::new();
    let mut seen = HashSet::new();
    if let Some(module) = &request.module {
        seen.insert(identity(module));
        let origin = request
            .folders
            .iter()
            .find(|folder| module.starts_with(&folder.path))
            .map(|folder| folder.origin);
        module_paths.push((module.clone(), origin));
    }
    for folder in &request.folders {
        let mut walk = Walk::default();
        let exists = folder.path.is_dir();
        if exists {
            walk.run(&folder.path, folder.depth);
        }
        searched.push(SearchedFolder {
            path: folder.path.clone(),
            origin: folder.origin,
            exists,
            truncated: walk.truncated,
        });
        for path in walk.configs {
            if seen.insert(identity(&path)) {
                cfg_paths.push((path, Some(folder.origin)));
            }
        }
        for path in walk.modules {
            if seen.insert(identity(&path)) {
                module_paths.push((path, Some(folder.origin)));
            }
        }
    }

    let library = &request.library;
    let library_file_exists = library.path.is_file();
    if library_file_exists && seen.insert(identity(&library.path)) {
        cfg_paths.insert(0, (library.path.clone(), None));
    }
    let library_text = library_file_exists.then(|| read_cfg(&library.path));
    let mut configs: Vec<FoundConfig> = cfg_paths
        .into_iter()
        .map(|(path, origin)| found_config(path, origin, request, library_text.as_ref()))
        .collect();
    configs.sort_by_key(|config| !config.read_by_library);

    let modules = module_paths
        .into_iter()
        .map(|(path, origin)| {
            let given = request.module.as_deref() == Some(path.as_path());
            found_module(path, origin, given)
        })
        .collect();

    let mut installation = Installation {
        library_reads: library.path.clone(),
        library_source: library.source,
        library_file_exists,
        configs,
        modules,
        searched,
        recommended_module: None,
    };
    installation.recommended_module = installation.recommended().map(|module| module.path.clone());
    installation
}

/// The key that tells two paths to the same file apart from two files.
fn identity(path: &Path) -> PathBuf {
    path.canonicalize()
        .unwrap_or_else(|_| std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf()))
}

/// A bounded walk of one folder, collecting configuration files and modules by name.
#[derive(Default)]
struct Walk {
    configs: Vec<PathBuf>,
    modules: Vec<PathBuf>,
    entries: usize,
    truncated: bool,
}

impl Walk {
    fn run(&mut self, folder: &Path, depth: usize) {
        let Ok(listing) = std::fs::read_dir(folder) else {
            return;
        };
        let mut entries: Vec<std::fs::DirEntry> = Vec::new();
        for entry in listing.flatten() {
            self.entries += 1;
            if self.entries > MAX_ENTRIES_PER_FOLDER {
                self.truncated = true;
                break;
            }
            entries.push(entry);
        }
        entries.sort_by_key(std::fs::DirEntry::file_name);
        let mut subfolders = Vec::new();
        for entry in entries {
            let path = entry.path();
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            // Folders are entered only when they are real folders, not links, so that a
            // link cannot lead the walk in circles.
            if kind.is_dir() {
                subfolders.push(path);
                continue;
            }
            if !path.is_file() {
                continue;
            }
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if same_name(&name, CFG_FILE_NAME) {
                self.configs.push(path);
            } else if same_name(&name, MODULE_FILE_NAME) {
                self.modules.push(path);
            }
        }
        if depth > 0 {
            for subfolder in subfolders {
                if self.truncated {
                    return;
                }
                self.run(&subfolder, depth - 1);
            }
        }
    }
}

/// File names compare without regard to case on Windows, exactly elsewhere.
fn same_name(name: &str, wanted: &str) -> bool {
    if cfg!(windows) {
        name.eq_ignore_ascii_case(wanted)
    } else {
        name == wanted
    }
}

/// A configuration file's text, or why it could not be read (a regular file of at most
/// 1 MiB; the buffers are wiped, as the text may hold passwords).
fn read_cfg(path: &Path) -> Result<Zeroizing<String>, String> {
    let bytes = files::read_regular(path, limits::CFG_MAX_BYTES, "a configuration file")
        .map_err(|error| crate::remedy::cause_chain(&error))?;
    let text = std::str::from_utf8(&bytes).map_err(|_| "not UTF-8 text".to_owned())?;
    Ok(Zeroizing::new(text.to_owned()))
}

fn found_config(
    path: PathBuf,
    origin: Option<FolderOrigin>,
    request: &LocateRequest,
    library_text: Option<&Result<Zeroizing<String>, String>>,
) -> FoundConfig {
    let read_by_library = locate::is_library_cfg(&path, &request.library);
    let edited = request
        .editing
        .as_deref()
        .is_some_and(|editing| identity(editing) == identity(&path));
    let mut config = FoundConfig {
        path,
        origin,
        read_by_library,
        state: ConfigState::ReadByLibrary,
        differing_tags: Vec::new(),
        edited,
        error: None,
    };
    if read_by_library {
        return config;
    }
    let Some(library_text) = library_text else {
        config.state = ConfigState::LibraryFileMissing;
        return config;
    };
    match (read_cfg(&config.path), library_text) {
        (Ok(mine), Ok(theirs)) if *mine == **theirs => config.state = ConfigState::SameAsLibrary,
        (Ok(mine), Ok(theirs)) => {
            config.state = ConfigState::DiffersFromLibrary;
            config.differing_tags = differing_tags(&mine, theirs);
        }
        (Err(error), _) => {
            config.state = ConfigState::Unreadable;
            config.error = Some(error);
        }
        (_, Err(error)) => {
            config.state = ConfigState::Unreadable;
            config.error = Some(format!(
                "the library's file {}: {error}",
                request.library.path.display()
            ));
        }
    }
    config
}

/// The tags whose (section, value) differ between two configuration texts, in the order of
/// the known fields, then the others in alphabetical order.
fn differing_tags(mine: &str, theirs: &str) -> Vec<String> {
    let entries = |text: &str| -> Vec<(String, Option<String>, String)> {
        CfgDocument::parse(text.as_bytes())
            .map(|doc| {
                doc.entries()
                    .into_iter()
                    .map(|entry| {
                        (
                            entry.tag.to_ascii_uppercase(),
                            entry.section.map(|s| s.to_ascii_uppercase()),
                            entry.value,
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    let (mine, theirs) = (entries(mine), entries(theirs));
    let lookup = |list: &[(String, Option<String>, String)], tag: &str| {
        list.iter()
            .filter(|(found, _, _)| found == tag)
            .map(|(_, section, value)| (section.clone(), value.clone()))
            .collect::<Vec<_>>()
    };
    let mut tags: Vec<String> = mine
        .iter()
        .chain(&theirs)
        .map(|(tag, _, _)| tag.clone())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .filter(|tag| lookup(&mine, tag) != lookup(&theirs, tag))
        .collect();
    let rank = |tag: &String| {
        cfg::KNOWN_FIELDS
            .iter()
            .position(|spec| spec.tag == tag)
            .unwrap_or(usize::MAX)
    };
    tags.sort_by_key(|tag| rank(tag));
    tags
}

fn found_module(path: PathBuf, origin: Option<FolderOrigin>, given: bool) -> FoundModule {
    let header = read_header(&path);
    let folder_series = path
        .parent()
        .and_then(|folder| folder.file_name())
        .and_then(|name| name.to_str())
        .and_then(openssl_folder_series);
    let build = path.ancestors().skip(1).take(2).find_map(|folder| {
        let name = folder.file_name()?.to_str()?;
        matches!(name.to_ascii_lowercase().as_str(), "x86" | "x64").then(|| name.to_owned())
    });
    let openssl_libraries: Vec<String> = header
        .as_ref()
        .map(|header| {
            header
                .needed
                .iter()
                .filter(|name| openssl_library_series(name).is_some())
                .cloned()
                .collect()
        })
        .unwrap_or_default();
    let needed_series = openssl_libraries.iter().find_map(|name| openssl_library_series(name));
    let mut notes = Vec::new();
    if let (Some(folder), Some(needed)) = (folder_series, needed_series)
        && folder != needed
    {
        notes.push(format!(
            "it sits in an OpenSSL-{folder} folder but needs OpenSSL {needed} ({})",
            openssl_libraries.join(", ")
        ));
    }
    if let (Some(build), Some(header)) = (&build, &header) {
        let expected = if build.eq_ignore_ascii_case("x86") { 32 } else { 64 };
        if header.bits != expected {
            notes.push(format!(
                "it sits in the {build} folder but is a {}-bit build",
                header.bits
            ));
        }
    }
    let verdict = pkcs11::inspect_module(&path).and_then(|file| pkcs11::check_dependencies(&file).map(|_| ()));
    let failure = verdict.err().map(|error| Failure::from(&error));
    FoundModule {
        fits: failure.is_none(),
        why: failure.as_ref().map(|failure| failure.message.clone()),
        remedy: failure.as_ref().map(|failure| failure.remedy.clone()),
        guide: failure.and_then(|failure| failure.guide),
        bits: header.as_ref().map(|header| header.bits),
        machine: header.as_ref().map(|header| header.machine.to_string()),
        kind: header.as_ref().map(BinaryHeader::describe),
        openssl: folder_series.or(needed_series).map(str::to_owned),
        openssl_libraries,
        build,
        notes,
        path,
        origin,
        given,
    }
}

/// The header of a binary file, when it is a regular file and a binary.
fn read_header(path: &Path) -> Option<BinaryHeader> {
    let bytes = files::read_regular(path, MAX_MODULE_BYTES, "a PKCS#11 module").ok()?;
    pkcs11::parse_header(&bytes).ok()
}

/// The series of an `OpenSSL-1.0.x` / `OpenSSL-1.1.x` folder name: `1.0.x`, `1.1.x`.
fn openssl_folder_series(name: &str) -> Option<&'static str> {
    let lower = name.to_ascii_lowercase();
    let version = lower.strip_prefix("openssl")?.trim_start_matches(['-', '_', ' ']);
    series_of(version)
}

/// The OpenSSL series of a library name: `libssl.so.1.0.0`, `libssl.so.10` (Red Hat's
/// 1.0.2), `libeay32.dll` and `ssleay32.dll` are 1.0; `libssl.so.1.1` and
/// `libcrypto-1_1-x64.dll` are 1.1; `libssl.so.3` and `libssl-3-x64.dll` are 3.
pub fn openssl_library_series(name: &str) -> Option<&'static str> {
    let lower = name.to_ascii_lowercase();
    if lower == "libeay32.dll" || lower == "ssleay32.dll" {
        return Some("1.0.x");
    }
    for stem in ["libssl", "libcrypto"] {
        let Some(rest) = lower.strip_prefix(stem) else {
            continue;
        };
        if let Some(version) = rest.strip_prefix(".so.") {
            return match version {
                "10" => Some("1.0.x"),
                other => series_of(other),
            };
        }
        if let Some(version) = rest.strip_prefix('-') {
            let version = version.split(['-', '.']).next().unwrap_or_default();
            return series_of(&version.replace('_', "."));
        }
    }
    None
}

/// `1.0…` → `1.0.x`, `1.1…` → `1.1.x`, `3…` → `3.x`.
fn series_of(version: &str) -> Option<&'static str> {
    if version.starts_with("1.0") {
        Some("1.0.x")
    } else if version.starts_with("1.1") {
        Some("1.1.x")
    } else if version == "3" || version.starts_with("3.") {
        Some("3.x")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn openssl_series_from_folder_and_library_names() {
        assert_eq!(openssl_folder_series("OpenSSL-1.0.x"), Some("1.0.x"));
        assert_eq!(openssl_folder_series("OpenSSL-1.1.x"), Some("1.1.x"));
        assert_eq!(openssl_folder_series("x64"), None);
        for (name, series) in [
            ("libssl.so.1.0.0", Some("1.0.x")),
            ("libcrypto.so.10", Some("1.0.x")),
            ("libssl.so.1.1", Some("1.1.x")),
            ("libssl.so.3", Some("3.x")),
            ("libcrypto-1_1-x64.dll", Some("1.1.x")),
            ("libssl-3-x64.dll", Some("3.x")),
            ("LIBEAY32.dll", Some("1.0.x")),
            ("libc.so.6", None),
            ("libssh.so.4", None),
        ] {
            assert_eq!(openssl_library_series(name), series, "{name}");
        }
    }

    #[test]
    fn the_tarball_folder_of_a_build_folder() {
        let root = Path::new("/opt/fxpkcs11");
        assert_eq!(tarball_root_of(&root.join("x64/OpenSSL-1.1.x")).as_deref(), Some(root));
        assert_eq!(tarball_root_of(&root.join("x86")).as_deref(), Some(root));
        assert_eq!(tarball_root_of(Path::new("/usr/lib/softhsm")), None);
    }

    #[test]
    fn the_guide_folders_of_each_platform() {
        let unix = unix_folders(Some(Path::new("/home/ops")));
        let paths: Vec<&Path> = unix.iter().map(|folder| folder.path.as_path()).collect();
        assert_eq!(
            paths,
            [
                Path::new("/usr/local/bin/fxpkcs11"),
                Path::new("/home/ops/bin/fxpkcs11")
            ]
        );
        let windows = windows_folders(&[PathBuf::from("C:/PF"), PathBuf::from("C:/PF")]);
        assert_eq!(windows.len(), 1);
        assert_eq!(windows[0].path, Path::new("C:/PF").join("Futurex"));
        assert_eq!(windows[0].origin, FolderOrigin::FxTools);
    }

    #[test]
    fn differing_tags_name_changed_missing_and_moved_entries_only() {
        let library = "<KMS>\n<ADDRESS> a </ADDRESS>\n<PROD-PORT> 2001 </PROD-PORT>\n<SLOT> 0 </SLOT>\n</KMS>\n";
        let copy = "# note\n<KMS>\n  <ADDRESS>   b </ADDRESS>\n<PROD-PORT>2001</PROD-PORT>\n<X-OTHER> 1 </X-OTHER>\n</KMS>\n<CONFIG>\n<SLOT> 0 </SLOT>\n</CONFIG>\n";
        assert_eq!(differing_tags(copy, library), ["SLOT", "ADDRESS", "X-OTHER"]);
        assert!(differing_tags(library, library).is_empty());
    }
}
