//! `fxconfig config init | show | set | validate`.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};
use fxconfig::cfg::{self, CfgFile, Severity};
use serde::Serialize;

use super::output::say;
use super::{
    CommandError, CommandResult, EXIT_CANNOT_RUN, EXIT_FAILED, EXIT_OK, default_config_path, output, secret_input,
};

/// The `config` subcommands.
#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Write a new fxpkcs11.cfg in the guide's layout [4.2], with the values to fill in left empty.
    Init {
        /// The file (default: the one the PKCS#11 library reads: FXPKCS11_CFG, else the platform's default).
        path: Option<PathBuf>,
        /// Replace an existing file (its contents are kept in NAME.bak, its owner and mode are kept).
        #[arg(long)]
        force: bool,
    },
    /// Print every section and entry, passwords masked.
    Show {
        /// The file (default: the one the PKCS#11 library reads).
        path: Option<PathBuf>,
        /// Print JSON: {"path", "sections": [{"name", "entries": [{"tag", "value", "line"}]}]}.
        #[arg(long)]
        json: bool,
    },
    /// Change entries, saving atomically with one backup (.bak).
    Set(SetArgs),
    /// Report malformed lines, bad values and missing files, with line numbers.
    Validate {
        /// The file (default: the one the PKCS#11 library reads).
        path: Option<PathBuf>,
    },
}

/// Arguments of `fxconfig config set`.
#[derive(Debug, Args)]
pub struct SetArgs {
    /// The file to change.
    path: PathBuf,
    /// Entries to set, as TAG=VALUE. Password tags (any tag whose name holds PASS, PIN or SECRET) are
    /// refused here: use --secret-env or --secret-stdin.
    #[arg(value_name = "TAG=VALUE")]
    assignments: Vec<String>,
    /// The section to change (default: the first section holding the tag; KMS for a new KMS tag).
    #[arg(long, value_name = "NAME")]
    section: Option<String>,
    /// Set a password tag from an environment variable, as TAG=VAR (repeatable).
    #[arg(long, value_name = "TAG=VAR")]
    secret_env: Vec<String>,
    /// Set this password tag from the first line of standard input (at most 64 KiB).
    #[arg(long, value_name = "TAG")]
    secret_stdin: Option<String>,
    /// Accept an empty password on standard input.
    #[arg(long, requires = "secret_stdin")]
    allow_empty: bool,
    /// Make the file and its backup readable by their owner only (0600), keeping the owner.
    #[arg(long)]
    tighten_permissions: bool,
    /// Print JSON: {"path", "backup", "merged", "changes": [{"tag", "line", "action"}], "exposure", "findings"}.
    #[arg(long)]
    json: bool,
}

#[derive(Serialize)]
struct ChangeJson<'a> {
    tag: &'a str,
    line: usize,
    action: &'static str,
}

#[derive(Serialize)]
struct SetJson<'a> {
    path: &'a Path,
    backup: Option<&'a Path>,
    merged: bool,
    changes: Vec<ChangeJson<'a>>,
    exposure: Option<&'a fxconfig::files::PasswordExposure>,
    findings: &'a [cfg::Finding],
}

/// Runs a `config` subcommand.
pub fn run(command: ConfigCommand) -> CommandResult {
    match command {
        ConfigCommand::Init { path, force } => init(&path.unwrap_or_else(default_config_path), force),
        ConfigCommand::Show { path, json } => show(&path.unwrap_or_else(default_config_path), json),
        ConfigCommand::Set(args) => set(&args),
        ConfigCommand::Validate { path } => validate(&path.unwrap_or_else(default_config_path)),
    }
}

fn load(path: &Path) -> Result<CfgFile, CommandError> {
    CfgFile::load(path).map_err(|e| CommandError::explained(EXIT_CANNOT_RUN, &e))
}

#[derive(Serialize)]
struct ShownEntry {
    tag: String,
    value: String,
    line: usize,
}

#[derive(Serialize)]
struct ShownSection {
    name: Option<String>,
    entries: Vec<ShownEntry>,
}

#[derive(Serialize)]
struct ShownFile {
    path: String,
    sections: Vec<ShownSection>,
}

fn shown_file(file: &CfgFile) -> ShownFile {
    let mut sections: Vec<ShownSection> = Vec::new();
    for entry in file.doc.entries() {
        let shown = ShownEntry {
            tag: entry.tag.clone(),
            value: entry.display_value(),
            line: entry.line,
        };
        match sections.last_mut() {
            Some(last) if last.name == entry.section => last.entries.push(shown),
            _ => sections.push(ShownSection {
                name: entry.section.clone(),
                entries: vec![shown],
            }),
        }
    }
    let mut listed: HashSet<String> = sections.iter().filter_map(|s| s.name.clone()).collect();
    for section in file.doc.sections() {
        if listed.insert(section.name.clone()) {
            sections.push(ShownSection {
                name: Some(section.name),
                entries: Vec::new(),
            });
        }
    }
    ShownFile {
        path: file.path.display().to_string(),
        sections,
    }
}

fn show(path: &Path, json: bool) -> CommandResult {
    let file = load(path)?;
    let shown = shown_file(&file);
    if json {
        let text = serde_json::to_string_pretty(&shown)
            .map_err(|e| CommandError::cannot_run(format!("could not encode JSON: {e}")))?;
        println!("{text}");
        return Ok(EXIT_OK);
    }
    say!("{}", shown.path);
    if let Some(message) = cfg::locate::library_mismatch_message(path, &cfg::locate::library_cfg_path()) {
        say!("note: {message}");
    }
    for section in &shown.sections {
        say!("<{}>", section.name.as_deref().unwrap_or("(outside any section)"));
        for entry in &section.entries {
            say!("  line {:<4} {:<20} {}", entry.line, entry.tag, entry.value);
        }
    }
    Ok(EXIT_OK)
}

fn parse_pair<'a>(text: &'a str, what: &str) -> Result<(&'a str, &'a str), CommandError> {
    match text.split_once('=') {
        Some((tag, value)) if !tag.trim().is_empty() => Ok((tag.trim(), value)),
        _ => Err(CommandError::cannot_run(format!("{text:?} is not {what}"))),
    }
}

fn set(args: &SetArgs) -> CommandResult {
    let mut changes: Vec<(String, fxconfig::Secret)> = Vec::new();
    for assignment in &args.assignments {
        let (tag, value) = parse_pair(assignment, "TAG=VALUE")?;
        if cfg::is_secret_tag(tag) {
            return Err(CommandError::cannot_run(format!(
                "{tag} holds a password: other users can read command-line arguments, so pass it with --secret-env {tag}=VAR or --secret-stdin {tag}"
            )));
        }
        changes.push((tag.to_owned(), fxconfig::Secret::new(value)));
    }
    for pair in &args.secret_env {
        let (tag, var) = parse_pair(pair, "TAG=VAR")?;
        changes.push((tag.to_owned(), secret_input::from_env(var)?));
    }
    if let Some(tag) = &args.secret_stdin {
        changes.push((tag.clone(), secret_input::read_stdin(args.allow_empty)?));
    }
    if changes.is_empty() {
        return Err(CommandError::cannot_run(
            "nothing to set: give TAG=VALUE, --secret-env or --secret-stdin",
        ));
    }

    let mut file = load(&args.path)?;
    let mut outcomes = Vec::new();
    for (tag, value) in &changes {
        let outcome = file
            .doc
            .set(args.section.as_deref(), tag, value.expose())
            .map_err(|e| CommandError::explained(EXIT_CANNOT_RUN, &e))?;
        outcomes.push((tag.as_str(), outcome));
    }
    let options = cfg::SaveOptions {
        tighten_permissions: args.tighten_permissions,
    };
    let report = file
        .save_with(options)
        .map_err(|e| CommandError::explained(EXIT_CANNOT_RUN, &e))?;
    output::note_saved(&report.path);
    if let Some(exposure) = &report.exposure {
        output::warn_exposure(&args.path, exposure);
    }
    let findings: Vec<cfg::Finding> = cfg::validate(&file.doc, Some(&file.path))
        .into_iter()
        .filter(|finding| report.exposure.is_none() || finding.kind != cfg::FindingKind::ReadableByOthers)
        .collect();
    if args.json {
        let json = SetJson {
            path: &report.path,
            backup: report.backup.as_deref(),
            merged: report.merged,
            changes: outcomes
                .iter()
                .map(|(tag, outcome)| {
                    let (line, action) = match outcome {
                        cfg::SetOutcome::Updated { line } => (*line, "updated"),
                        cfg::SetOutcome::Inserted { line } => (*line, "added"),
                        cfg::SetOutcome::SectionCreated { line } => (*line, "added_in_new_section"),
                    };
                    ChangeJson { tag, line, action }
                })
                .collect(),
            exposure: report.exposure.as_ref(),
            findings: &findings,
        };
        let text = serde_json::to_string_pretty(&json)
            .map_err(|e| CommandError::cannot_run(format!("could not encode JSON: {e}")))?;
        println!("{text}");
        return Ok(EXIT_OK);
    }
    for (tag, outcome) in &outcomes {
        say!("{}", describe_change(tag, outcome));
    }
    if report.merged {
        println!("note: another program changed the file meanwhile; its change was kept too");
    }
    for finding in &findings {
        say!("{}: {finding}", severity_word(finding.severity));
    }
    Ok(EXIT_OK)
}

fn describe_change(tag: &str, outcome: &cfg::SetOutcome) -> String {
    match outcome {
        cfg::SetOutcome::Updated { line } => format!("line {line}: {tag} updated"),
        cfg::SetOutcome::Inserted { line } => format!("line {line}: {tag} added"),
        cfg::SetOutcome::SectionCreated { line } => format!("line {line}: {tag} added in a new section"),
    }
}

fn severity_word(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

fn validate(path: &Path) -> CommandResult {
    let file = load(path)?;
    let findings = cfg::validate(&file.doc, Some(&file.path));
    for finding in &findings {
        say!(
            "{}: {}: {finding}",
            file.path.display(),
            severity_word(finding.severity)
        );
    }
    let errors = findings.iter().filter(|f| f.severity == Severity::Error).count();
    let warnings = findings.len() - errors;
    say!("{}: {errors} errors, {warnings} warnings", file.path.display());
    Ok(if errors > 0 { EXIT_FAILED } else { EXIT_OK })
}

fn init(path: &Path, force: bool) -> CommandResult {
    let plan = cfg::init::plan(path);
    let doc = cfg::CfgDocument::parse(cfg::blank_template().as_bytes())
        .map_err(|e| CommandError::explained(EXIT_CANNOT_RUN, &e))?;
    let report = cfg::init::create(path, &doc, force).map_err(|e| CommandError::explained(EXIT_CANNOT_RUN, &e))?;
    output::note_saved(&report.path);
    let mode = report
        .mode
        .map(|mode| format!(" (mode {mode:04o})"))
        .unwrap_or_default();
    if report.replaced {
        println!("replaced {}{mode} with the guide's layout [4.2]", report.path.display());
    } else {
        println!("created {}{mode} in the guide's layout [4.2]", report.path.display());
    }
    if let Some(backup) = &report.backup {
        println!("the previous contents are in {}", backup.display());
    }
    if plan.read_by_library {
        println!(
            "the PKCS#11 library reads this file ({})",
            plan.library.source.describe()
        );
    } else if let Some(command) = &plan.env_command {
        println!(
            "note: the PKCS#11 library reads {} ({}), not this file; to use this one, run in the shell of the account that runs ssh: {command}",
            plan.library.path.display(),
            plan.library.source.describe()
        );
    }
    let findings = cfg::validate(&doc, Some(&report.path));
    if !findings.is_empty() {
        println!("to fill in (fxconfig config set, fxconfig import; then fxconfig config validate):");
        for finding in &findings {
            println!("  {}: {finding}", severity_word(finding.severity));
        }
    }
    Ok(EXIT_OK)
}
