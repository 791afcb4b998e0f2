//! The documentation's reference tables are the code's own words: every check id (README.md,
//! docs/troubleshooting.md) and every simulator fault (docs/usage.md) is documented exactly as the
//! program describes it; the README stays short and its links lead to files that exist.

use fxconfig::doctor::{CHECKS, CheckSpec};
use fxconfig::sim::Fault;

/// A documentation file of the repository, by its path from the repository's root.
fn doc(path: &str) -> String {
    let full = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
    std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("{}: {e}", full.display()))
}

fn readme() -> String {
    doc("README.md")
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
fn every_simulator_fault_is_documented_in_the_usage_page() {
    let readme = doc("docs/usage.md");
    let missing: Vec<String> = Fault::ALL
        .iter()
        .map(|f| fault_row(*f))
        .filter(|row| !readme.contains(row))
        .collect();
    assert!(
        missing.is_empty(),
        "docs/usage.md lacks these rows of the fault table:\n{}",
        missing.join("\n")
    );
}

/// `docs/troubleshooting.md` has one section per check, in the order they run, each
/// headed, cited and described in the code's own words.
/// The README is for users first: at most 16 KB, the rest in docs/.
#[test]
fn the_readme_is_at_most_16_kb() {
    let size = readme().len();
    assert!(size <= 16 * 1024, "README.md is {size} bytes, more than 16 KiB");
}

/// Every relative link and image of the README and of docs/*.md names a file that exists.
#[test]
fn every_relative_link_of_the_documentation_leads_to_a_file() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = vec![root.join("README.md")];
    for entry in std::fs::read_dir(root.join("docs")).expect("docs/") {
        let path = entry.expect("docs/ entry").path();
        if path.extension().is_some_and(|e| e == "md") {
            files.push(path);
        }
    }
    let mut broken = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).expect("documentation file");
        let folder = file.parent().expect("a file's folder");
        let targets = text
            .split("](")
            .skip(1)
            .filter_map(|rest| rest.split(')').next())
            .chain(text.split("src=\"").skip(1).filter_map(|rest| rest.split('"').next()));
        for target in targets {
            let path = target.split('#').next().unwrap_or_default();
            if path.is_empty() || path.contains("://") || path.starts_with("mailto:") {
                continue;
            }
            if !folder.join(path).exists() {
                broken.push(format!("{}: {target}", file.display()));
            }
        }
    }
    assert!(broken.is_empty(), "links to missing files:\n{}", broken.join("\n"));
}

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
