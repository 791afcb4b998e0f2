//! `fxconfig package-docs` (hidden): the man pages and shell completions the Linux packages
//! ship, generated from the clap definitions, for every visible command and no hidden one.

use std::fs;
use std::process::Command;

use super::process::stdout_of;
use crate::support::tools::{fxconfig, run_ok};

#[test]
fn package_docs_writes_a_man_page_per_visible_command_and_completions_without_the_hidden_ones() {
    let dir = tempfile::tempdir().unwrap();
    run_ok(fxconfig().arg("package-docs").arg(dir.path()));

    let help = stdout_of(&run_ok(fxconfig().arg("--help")));
    let commands: Vec<&str> = help
        .lines()
        .skip_while(|line| *line != "Commands:")
        .skip(1)
        .take_while(|line| !line.trim().is_empty())
        .filter_map(|line| line.split_whitespace().next())
        .filter(|command| *command != "help")
        .collect();
    assert!(commands.contains(&"check") && commands.contains(&"kmes-sim"), "{help}");
    let man_dir = dir.path().join("man1");
    let mut pages = vec!["fxconfig".to_owned(), "fxconfig-config-show".to_owned()];
    pages.extend(commands.iter().map(|command| format!("fxconfig-{command}")));
    for page in &pages {
        let text = fs::read_to_string(man_dir.join(format!("{page}.1")))
            .unwrap_or_else(|error| panic!("no man page {page}.1: {error}"));
        let title = format!(".TH {page} 1  \"fxconfig {}\"", env!("CARGO_PKG_VERSION"));
        assert!(text.contains(&title), "{page}.1 lacks {title:?}");
    }
    for hidden in ["fxconfig-askpass.1", "fxconfig-package-docs.1"] {
        assert!(!man_dir.join(hidden).exists(), "a page for the hidden {hidden}");
    }
    let root_page = fs::read_to_string(man_dir.join("fxconfig.1")).unwrap();
    assert!(
        root_page.contains("fxconfig\\-check(1)"),
        "the root page lists the commands' pages"
    );

    for file in ["fxconfig.bash", "_fxconfig", "fxconfig.fish"] {
        let text = fs::read_to_string(dir.path().join("completions").join(file)).unwrap();
        assert!(
            text.contains("kmes-sim") && text.contains("json"),
            "{file} completes commands and options (check's --json)"
        );
        for hidden in ["askpass", "package-docs"] {
            assert!(!text.contains(hidden), "{file} offers the hidden command {hidden}");
        }
    }
    run_ok(
        Command::new("bash")
            .arg("-n")
            .arg(dir.path().join("completions/fxconfig.bash")),
    );
}
