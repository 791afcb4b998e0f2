//! `fxconfig locate`: every fxpkcs11.cfg and module build in the places the guide installs
//! them, which build fits this machine, and which configuration the library reads.

use std::path::{Path, PathBuf};

use clap::Args;
use fxconfig::cfg::init::install_command;
use fxconfig::display::escape;
use fxconfig::install::{self, ConfigState, FoundConfig, FoundModule, Installation, LocateRequest};

use super::{CommandError, CommandResult, EXIT_FAILED, EXIT_OK};

/// Arguments of `fxconfig locate`.
#[derive(Debug, Args)]
pub struct LocateArgs {
    /// A module to check too; its folder, and the tarball folder around it, are searched as well.
    #[arg(long, value_name = "PATH")]
    module: Option<PathBuf>,
    /// Also search this folder, such as where the tarball was extracted (repeatable).
    #[arg(long = "dir", value_name = "DIR")]
    dirs: Vec<PathBuf>,
    /// Print JSON: {"library_reads", "library_source", "library_file_exists", "configs": [{"path",
    /// "read_by_library", "state", "differing_tags", ...}], "modules": [{"path", "bits", "machine",
    /// "openssl", "fits", "why", "remedy", "guide", ...}], "searched", "recommended_module"}.
    #[arg(long)]
    json: bool,
}

/// Runs `fxconfig locate`. Exit 0 when a build fits and the library's file exists, 1 otherwise.
pub fn run(args: &LocateArgs) -> CommandResult {
    let mut request = LocateRequest::from_environment();
    for dir in &args.dirs {
        request = request.with_folder(dir);
    }
    if let Some(module) = &args.module {
        request = request.with_module(module);
    }
    let found = install::locate(&request);
    if args.json {
        let text = serde_json::to_string_pretty(&found)
            .map_err(|e| CommandError::cannot_run(format!("could not encode JSON: {e}")))?;
        println!("{text}");
    } else {
        print_text(&found);
    }
    let ready = found.library_file_exists && found.recommended_module.is_some();
    Ok(if ready { EXIT_OK } else { EXIT_FAILED })
}

fn shown(path: &Path) -> String {
    escape(&path.display().to_string()).into_owned()
}

fn print_text(found: &Installation) {
    let state = if found.library_file_exists {
        "exists"
    } else {
        "does not exist"
    };
    println!(
        "The PKCS#11 library reads {} ({}); it {state}.",
        shown(&found.library_reads),
        found.library_source.describe()
    );

    println!();
    if found.configs.is_empty() {
        println!("Configuration files: none found.");
    } else {
        println!("Configuration files:");
        for config in &found.configs {
            print_config(config, found);
        }
    }
    if !found.library_file_exists {
        println!(
            "  Create it with `fxconfig config init`, or copy a configuration there; the library reads no other file [2.2]."
        );
    }

    println!();
    if found.modules.is_empty() {
        println!("Module builds ({}): none found.", install::MODULE_FILE_NAME);
    } else {
        println!("Module builds:");
        for module in &found.modules {
            print_module(module);
        }
    }
    match &found.recommended_module {
        Some(path) => println!("\nUse this build: {}", shown(path)),
        None if !found.modules.is_empty() => println!("\nNo build found fits this machine."),
        None => {}
    }

    println!();
    println!("Searched:");
    for folder in &found.searched {
        let state = match (folder.exists, folder.truncated) {
            (false, _) => " (absent)",
            (true, true) => " (stopped after 20000 entries)",
            (true, false) => "",
        };
        println!("  {}{state}: {}", shown(&folder.path), folder.origin.describe());
    }
}

fn print_config(config: &FoundConfig, found: &Installation) {
    let origin = config
        .origin
        .map(|origin| format!(" ({})", origin.describe()))
        .unwrap_or_default();
    let edited = if config.edited { " [being edited]" } else { "" };
    println!("  {}{origin}{edited}", shown(&config.path));
    let note = match config.state {
        ConfigState::ReadByLibrary => "read by the library".to_owned(),
        ConfigState::SameAsLibrary => {
            "a copy with the same contents as the library's file; editing it changes nothing".to_owned()
        }
        ConfigState::DiffersFromLibrary => format!(
            "NOT read by the library, and it differs from the library's file{}: a stale copy, or edits made in the wrong file",
            if config.differing_tags.is_empty() {
                String::new()
            } else {
                format!(" in {}", config.differing_tags.join(", "))
            }
        ),
        ConfigState::LibraryFileMissing => format!(
            "NOT read by the library, whose file is missing: install it with `{}`, or point FXPKCS11_CFG at it [2.2]",
            install_command(&config.path, &found.library_reads)
        ),
        ConfigState::Unreadable => format!(
            "not read by the library; could not be compared: {}",
            config.error.as_deref().unwrap_or("unreadable")
        ),
    };
    println!("      {}", escape(&note));
}

fn print_module(module: &FoundModule) {
    let verdict = if module.fits { "FITS" } else { "NO  " };
    let given = if module.given { " [--module]" } else { "" };
    println!("  {verdict}  {}{given}", shown(&module.path));
    let mut facts = Vec::new();
    if let Some(kind) = &module.kind {
        facts.push(kind.clone());
    }
    if let Some(series) = &module.openssl {
        facts.push(format!("OpenSSL {series}"));
    }
    if !module.openssl_libraries.is_empty() {
        facts.push(format!("needs {}", module.openssl_libraries.join(", ")));
    }
    if !facts.is_empty() {
        println!("        {}", escape(&facts.join("; ")));
    }
    for note in &module.notes {
        println!("        note: {}", escape(note));
    }
    if let Some(why) = &module.why {
        println!("        why: {}", escape(why));
    }
    if let Some(remedy) = &module.remedy {
        let cite = module
            .guide
            .as_deref()
            .map(|section| format!(" [{section}]"))
            .unwrap_or_default();
        println!("        remedy: {}{cite}", escape(remedy));
    }
}
