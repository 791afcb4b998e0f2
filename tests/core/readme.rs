//! The README's reference tables are the code's own words: every check id and every
//! simulator fault is documented there exactly as the program describes it.

use fxconfig::doctor::CheckId;
use fxconfig::sim::Fault;

fn readme() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).expect("README.md")
}

fn check_row(id: CheckId) -> String {
    format!(
        "| `{}` | {} | {} | [{}] |",
        id.as_str(),
        id.title(),
        id.description(),
        id.guide_section()
    )
}

fn fault_row(fault: Fault) -> String {
    format!("| `{}` | {} |", fault.name(), fault.description())
}

#[test]
fn every_check_id_is_documented_in_the_readme() {
    let readme = readme();
    let missing: Vec<String> = CheckId::ALL
        .iter()
        .map(|id| check_row(*id))
        .filter(|row| !readme.contains(row))
        .collect();
    assert!(
        missing.is_empty(),
        "README.md lacks these rows of the check table:\n{}",
        missing.join("\n")
    );
}

#[test]
fn every_module_check_id_is_documented_in_the_readme() {
    let readme = readme();
    let missing: Vec<&str> = CheckId::MODULE
        .iter()
        .map(|id| id.as_str())
        .filter(|id| !readme.contains(&format!("| `{id}` |")))
        .collect();
    assert!(
        missing.is_empty(),
        "README.md lacks rows for these module checks: {missing:?}"
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
