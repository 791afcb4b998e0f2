//! The README's reference tables are the code's own words: every check id and every
//! simulator fault is documented there exactly as the program describes it.

use fxconfig::doctor::{CHECKS, CheckSpec};
use fxconfig::sim::Fault;

fn readme() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).expect("README.md")
}

/// The README row of a check: every column comes from its row of the check table.
fn check_row(spec: &CheckSpec) -> String {
    format!(
        "| `{}` | {} | {} | [{}] |",
        spec.name, spec.title, spec.description, spec.guide
    )
}

fn fault_row(fault: Fault) -> String {
    format!("| `{}` | {} |", fault.name(), fault.description())
}

#[test]
fn every_check_is_documented_in_the_readme() {
    let readme = readme();
    let missing: Vec<String> = CHECKS
        .iter()
        .map(check_row)
        .filter(|row| !readme.contains(row))
        .collect();
    assert!(
        missing.is_empty(),
        "README.md lacks these rows of the check tables:\n{}",
        missing.join("\n")
    );
}

#[test]
fn the_readme_documents_no_check_the_program_lacks() {
    let readme = readme();
    let family = |id: &str| id.split('.').next().map(str::to_owned);
    let families: Vec<Option<String>> = CHECKS.iter().map(|spec| family(spec.name)).collect();
    let unknown: Vec<&str> = readme
        .lines()
        .filter_map(|line| line.strip_prefix("| `")?.split('`').next())
        .filter(|id| id.contains('.') && families.contains(&family(id)))
        .filter(|id| CHECKS.iter().all(|spec| spec.name != *id))
        .collect();
    assert!(
        unknown.is_empty(),
        "README.md documents checks that do not exist: {unknown:?}"
    );
}

#[test]
fn every_simulator_fault_is_documented_in_the_readme() {
    let readme = readme();
    let missing: Vec<String> = Fault::ALL
        .iter()
        .map(|f| fault_row(*f))
        .filter(|row| !readme.contains(row))
        .collect();
    assert!(
        missing.is_empty(),
        "README.md lacks these rows of the fault table:\n{}",
        missing.join("\n")
    );
}
