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

/// `docs/troubleshooting.md` has one section per check, in the order they run, each
/// headed, cited and described in the code's own words.
mod troubleshooting {
    use fxconfig::doctor::CheckId;

    fn text() -> String {
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/troubleshooting.md"))
            .expect("docs/troubleshooting.md")
    }

    /// Every check, in the order a run with a module reports them.
    fn every_check() -> Vec<CheckId> {
        CheckId::ALL.into_iter().chain(CheckId::MODULE).collect()
    }

    fn heading(id: CheckId) -> String {
        format!("### `{}` — {}", id.as_str(), id.title())
    }

    /// The id between the first pair of backticks of a line that starts with `prefix`.
    fn quoted_id<'a>(line: &'a str, prefix: &str) -> Option<&'a str> {
        let rest = line.strip_prefix(prefix)?.strip_prefix('`')?;
        rest.split('`').next()
    }

    /// What is wrong with the section of `id`, if anything.
    fn section_problems(lines: &[&str], id: CheckId) -> Vec<String> {
        let heading = heading(id);
        let Some(start) = lines.iter().position(|line| *line == heading) else {
            return vec![format!("no heading line {heading:?}")];
        };
        let mut problems = Vec::new();
        let guide = format!("Guide: [{}]", id.guide_section());
        if lines.get(start + 1) != Some(&"") || lines.get(start + 2) != Some(&guide.as_str()) {
            problems.push(format!(
                "{id}: expected a blank line, then {guide:?}, right after the heading"
            ));
        }
        let end = lines[start + 1..]
            .iter()
            .position(|line| line.starts_with("## ") || line.starts_with("### "))
            .map_or(lines.len(), |offset| start + 1 + offset);
        let section = &lines[start..end];
        let description = format!("What it establishes: {}", id.description());
        if !section.contains(&description.as_str()) {
            problems.push(format!("{id}: no line {description:?}"));
        }
        let causes = section
            .iter()
            .position(|line| *line == "Common causes of a FAIL or WARN:");
        if !causes.is_some_and(|at| section.get(at + 1).is_some_and(|line| line.starts_with("- "))) {
            problems.push(format!("{id}: no list under \"Common causes of a FAIL or WARN:\""));
        }
        problems
    }

    #[test]
    fn every_check_has_its_heading_guide_section_description_and_causes() {
        let text = text();
        let lines: Vec<&str> = text.lines().collect();
        let problems: Vec<String> = every_check()
            .into_iter()
            .flat_map(|id| section_problems(&lines, id))
            .collect();
        assert!(
            problems.is_empty(),
            "docs/troubleshooting.md is out of step with the checks:\n{}",
            problems.join("\n")
        );
    }

    #[test]
    fn the_sections_and_the_index_list_every_check_once_in_order_and_nothing_else() {
        let text = text();
        let expected: Vec<&str> = every_check().into_iter().map(CheckId::as_str).collect();
        let sections: Vec<&str> = text.lines().filter_map(|line| quoted_id(line, "### ")).collect();
        assert_eq!(sections, expected, "the check sections of docs/troubleshooting.md");
        let index: Vec<&str> = text
            .lines()
            .filter_map(|line| {
                let (number, rest) = line.split_once(". ")?;
                number.parse::<usize>().ok()?;
                quoted_id(rest, "")
            })
            .collect();
        assert_eq!(index, expected, "the index list of docs/troubleshooting.md");
    }
}
