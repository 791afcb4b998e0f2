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

/// The `config` subcommands, their arguments built only for the one given.
#[derive(Debug, Subcommand)]
#[command(defer = true)]
pub enum ConfigCommand {
    /// Write a new fxpkcs11.cfg in the guide's layout [4.2], with the values to fill in left empty.
    Init {
        /// The file (default: the one the PKCS#11 library reads: FXPKCS11_CFG, else the platform's default).
        path: Option<PathBuf>,
        /// Replace an existing file (its contents are kept in NAME.bak, its owner and mode are kept).
        #[arg(long)]
        force: bool,
        /// Let the members of group NAME read the file (its group becomes NAME, its mode 0640):
        /// the users who run ssh with the key, since the library runs as them.
        #[arg(long, value_name = "NAME")]
        group: Option<String>,
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

// Arguments of `fxconfig config set`.
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
    /// Set this password tag from the next line of standard input (at most 64 KiB); repeatable,
    /// one line per tag in the order given.
    #[arg(long, value_name = "TAG")]
    secret_stdin: Vec<String>,
    /// Accept an empty password on standard input.
    #[arg(long, requires = "secret_stdin")]
    allow_empty: bool,
    /// Make the file and its backup readable by their owner only (0600), keeping the owner.
    #[arg(long)]
    tighten_permissions: bool,
    /// Work out what would change and print it, writing nothing.
    #[arg(long)]
    check: bool,
    /// Print the change as a unified diff, passwords masked.
    #[arg(long)]
    diff: bool,
    /// Print JSON: {"path", "changed", "check", "changes": [{"tag", "section", "line", "old", "new", "action"}],
    /// "diff", "backup", "merged", "permissions_tightened", "exposure", "findings"}.
    #[arg(long)]
    json: bool,
}

#[derive(Serialize)]
struct SetJson<'a> {
    path: &'a Path,
    changed: bool,
    check: bool,
    changes: &'a [cfg::EntryChange],
    diff: Option<&'a str>,
    backup: Option<&'a Path>,
    merged: bool,
    permissions_tightened: bool,
    exposure: Option<&'a fxconfig::files::PasswordExposure>,
    findings: &'a [cfg::Finding],
}

/// Runs a `config` subcommand.
pub fn run(command: ConfigCommand) -> CommandResult {
    match command {
        ConfigCommand::Init { path, force, group } => {
            init(&path.unwrap_or_else(default_config_path), force, group.as_deref())
        }
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

/// What `config set` and `import` did or, with `--check`, would do.
pub struct ChangeSummary<'a> {
    /// The file, past symbolic links.
    pub path: &'a Path,
    /// Whether anything changed (or would change).
    pub changed: bool,
    /// Whether this was a `--check` run (nothing written).
    pub check: bool,
    /// The entries changed.
    pub changes: &'a [cfg::EntryChange],
    /// The unified diff, with `--diff`.
    pub diff: Option<&'a str>,
}

/// Prints the text form of a change summary: the diff, then one line per entry.
pub fn print_changes(summary: &ChangeSummary<'_>) {
    if let Some(diff) = summary.diff {
        for line in diff.lines() {
            output::say_line(line);
        }
    }
    for change in summary.changes {
        say!("{}", describe_change(change, summary.check));
    }
}

fn set(args: &SetArgs) -> CommandResult {
    let mut values: Vec<(String, fxconfig::Secret)> = Vec::new();
    for assignment in &args.assignments {
        let (tag, value) = parse_pair(assignment, "TAG=VALUE")?;
        if cfg::is_secret_tag(tag) {
            return Err(CommandError::cannot_run(format!(
                "{tag} holds a password: other users can read command-line arguments, so pass it with --secret-env {tag}=VAR or --secret-stdin {tag}"
            )));
        }
        values.push((tag.to_owned(), fxconfig::Secret::new(value)));
    }
    for pair in &args.secret_env {
        let (tag, var) = parse_pair(pair, "TAG=VAR")?;
        values.push((tag.to_owned(), secret_input::from_env(var)?));
    }
    for tag in &args.secret_stdin {
        values.push((tag.clone(), secret_input::read_stdin(args.allow_empty)?));
    }
    if values.is_empty() {
        return Err(CommandError::cannot_run(
            "nothing to set: give TAG=VALUE, --secret-env or --secret-stdin",
        ));
    }

    let mut file = load(&args.path)?;
    let pairs: Vec<(&str, &str)> = values
        .iter()
        .map(|(tag, value)| (tag.as_str(), value.expose()))
        .collect();
    let changes = cfg::set_values(&mut file.doc, args.section.as_deref(), &pairs).map_err(|e| {
        // A file whose entry is ambiguous fails validation: the same exit as `config validate`.
        let code = if matches!(e, cfg::CfgError::AmbiguousEntry { .. }) {
            EXIT_FAILED
        } else {
            EXIT_CANNOT_RUN
        };
        CommandError::explained(code, &e)
    })?;
    let changed = file.is_modified();
    let diff = args.diff.then(|| {
        let old = zeroize::Zeroizing::new(file.loaded().to_bytes());
        let new = zeroize::Zeroizing::new(file.doc.to_bytes());
        cfg::diff::unified(&old, &new, &file.path.display().to_string(), 3)
    });
    let target = fxconfig::files::resolve_link_target(&args.path).unwrap_or_else(|_| args.path.clone());

    let mut backup = None;
    let mut merged = false;
    let mut permissions_tightened = false;
    let exposure;
    if args.check {
        exposure = file.exposure();
    } else if changed {
        let options = cfg::SaveOptions {
            tighten_permissions: args.tighten_permissions,
        };
        let report = file
            .save_with(options)
            .map_err(|e| CommandError::explained(EXIT_CANNOT_RUN, &e))?;
        output::note_saved(&report.path);
        backup = report.backup;
        merged = report.merged;
        permissions_tightened = args.tighten_permissions;
        exposure = report.exposure;
    } else if args.tighten_permissions && file.exposure().is_some() {
        cfg::tighten_permissions(&args.path).map_err(|e| CommandError::explained(EXIT_CANNOT_RUN, &e))?;
        output::note_saved(&target);
        permissions_tightened = true;
        exposure = None;
    } else {
        exposure = file.exposure();
    }
    if let Some(exposure) = &exposure {
        output::warn_exposure(&args.path, exposure);
    }
    let findings: Vec<cfg::Finding> = cfg::validate(&file.doc, Some(&file.path))
        .into_iter()
        .filter(|finding| exposure.is_none() || finding.kind != cfg::FindingKind::ReadableByOthers)
        .collect();
    let summary = ChangeSummary {
        path: &target,
        changed: changed || permissions_tightened,
        check: args.check,
        changes: &changes,
        diff: diff.as_deref(),
    };
    if args.json {
        let json = SetJson {
            path: summary.path,
            changed: summary.changed,
            check: summary.check,
            changes: summary.changes,
            diff: summary.diff,
            backup: backup.as_deref(),
            merged,
            permissions_tightened,
            exposure: exposure.as_ref(),
            findings: &findings,
        };
        let text = serde_json::to_string_pretty(&json)
            .map_err(|e| CommandError::cannot_run(format!("could not encode JSON: {e}")))?;
        println!("{text}");
        return Ok(EXIT_OK);
    }
    print_changes(&summary);
    if !changed {
        say!("{}: no change, every value is already as asked", target.display());
    } else if args.check {
        say!("{}: nothing written (--check)", target.display());
    }
    if permissions_tightened {
        say!("{}: now readable by its owner only (0600)", target.display());
    }
    if merged {
        println!("note: another program changed the file meanwhile; its change was kept too");
    }
    for finding in &findings {
        say!("{}: {finding}", severity_word(finding.severity));
    }
    Ok(EXIT_OK)
}

/// One line for a changed entry, such as `line 13: ADDRESS updated (10.0.8.19 -> 10.0.8.20)`.
fn describe_change(change: &cfg::EntryChange, check: bool) -> String {
    let verb = match (change.action, check) {
        (cfg::ChangeAction::Updated, false) => "updated",
        (cfg::ChangeAction::Updated, true) => "would be updated",
        (cfg::ChangeAction::Added, false) => "added",
        (cfg::ChangeAction::Added, true) => "would be added",
        (cfg::ChangeAction::AddedInNewSection, false) => "added in a new section",
        (cfg::ChangeAction::AddedInNewSection, true) => "would be added in a new section",
    };
    let values = match &change.old {
        Some(old) => format!(
            "{} -> {}",
            fxconfig::display::escape(old),
            fxconfig::display::escape(&change.new)
        ),
        None => fxconfig::display::escape(&change.new).into_owned(),
    };
    format!("line {}: {} {verb} ({values})", change.line, change.tag)
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

/// The group named by `--group`, looked up before anything is written.
pub(super) fn access_group(name: Option<&str>) -> Result<Option<fxconfig::files::access::GroupInfo>, CommandError> {
    name.map(|name| {
        fxconfig::files::access::group(name).map_err(|error| {
            CommandError::cannot_run(format!(
                "--group {name}: {error} (getent group {name} lists it once it exists)"
            ))
        })
    })
    .transpose()
}

/// Gives `group` read access to `paths` (group `group`, mode 0640), and says so when `tell`.
pub(super) fn grant_group_access(
    group: &fxconfig::files::access::GroupInfo,
    paths: &[&Path],
    tell: bool,
) -> Result<(), CommandError> {
    for path in paths {
        fxconfig::files::access::grant_group(path, group)
            .map_err(|error| CommandError::cannot_run(error.to_string()))?;
    }
    if !tell {
        return Ok(());
    }
    say!(
        "{} can read {} (mode 0640): run ssh with the key as one of them, or add the users who do (usermod -aG {} USER)",
        group,
        paths
            .iter()
            .map(|path| path.display().to_string())
            .collect::<Vec<_>>()
            .join(", "),
        group.name
    );
    Ok(())
}

fn init(path: &Path, force: bool, group: Option<&str>) -> CommandResult {
    let group = access_group(group)?;
    let plan = cfg::init::plan(path);
    let doc = cfg::CfgDocument::parse(cfg::blank_template().as_bytes())
        .map_err(|e| CommandError::explained(EXIT_CANNOT_RUN, &e))?;
    let report = cfg::init::create(path, &doc, force).map_err(|e| CommandError::explained(EXIT_CANNOT_RUN, &e))?;
    output::note_saved(&report.path);
    let mode = match &group {
        Some(group) => {
            grant_group_access(group, &[&report.path], false)?;
            format!(" (mode 0640: its owner and {group} may read it)")
        }
        None => report
            .mode
            .map(|mode| format!(" (mode {mode:04o})"))
            .unwrap_or_default(),
    };
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
