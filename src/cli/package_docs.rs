//! `fxconfig package-docs DIR` (hidden): writes the man pages and the shell completions that the
//! Linux packages ship, generated from this program's own clap definitions, so they always
//! describe the program they come with. `packaging/build-linux-packages.sh` runs it.

use std::path::{Path, PathBuf};

use clap::{Args, CommandFactory};
use clap_complete::Shell;

use super::{Cli, CommandError, CommandResult, EXIT_OK};

/// Arguments of `fxconfig package-docs`.
#[derive(Debug, Args)]
pub struct PackageDocsArgs {
    /// The folder to write into: `man1/` gets a page for fxconfig and one for each command that
    /// is not hidden; `completions/` gets `fxconfig.bash`, `_fxconfig` (zsh) and `fxconfig.fish`.
    #[arg(value_name = "DIR")]
    out: PathBuf,
}

/// Writes the man pages and the completions into the folder, creating it.
pub fn run(args: &PackageDocsArgs) -> CommandResult {
    write_docs(&args.out).map_err(|error| {
        CommandError::cannot_run(format!(
            "cannot write the man pages and completions into {}: {error}",
            args.out.display()
        ))
    })?;
    Ok(EXIT_OK)
}

fn write_docs(out: &Path) -> std::io::Result<()> {
    let man_dir = out.join("man1");
    std::fs::create_dir_all(&man_dir)?;
    let mut command = Cli::command().disable_help_subcommand(true);
    // Building gives each subcommand its full name ("fxconfig-config-show") for its page.
    command.build();
    write_man_pages(command, &man_dir)?;
    let completions_dir = out.join("completions");
    std::fs::create_dir_all(&completions_dir)?;
    for shell in [Shell::Bash, Shell::Zsh, Shell::Fish] {
        clap_complete::generate_to(shell, &mut visible_command(), "fxconfig", &completions_dir)?;
    }
    Ok(())
}

/// Writes the page of a command and of each of its visible subcommands, each page's footer
/// naming the program and its version.
fn write_man_pages(command: clap::Command, dir: &Path) -> std::io::Result<()> {
    for subcommand in command.get_subcommands().filter(|command| !command.is_hide_set()) {
        write_man_pages(subcommand.clone(), dir)?;
    }
    clap_mangen::Man::new(command)
        .source(concat!("fxconfig ", env!("CARGO_PKG_VERSION")))
        .generate_to(dir)?;
    Ok(())
}

/// The command line as the completions offer it. clap_complete walks hidden commands too (unlike
/// clap_mangen), and clap cannot remove a subcommand, so the root is put together again from
/// its own arguments and its visible subcommands.
fn visible_command() -> clap::Command {
    let full = Cli::command();
    let root = clap::Command::new("fxconfig")
        .version(env!("CARGO_PKG_VERSION"))
        .args(full.get_arguments().cloned());
    full.get_subcommands()
        .filter(|command| !command.is_hide_set())
        .cloned()
        .fold(root, clap::Command::subcommand)
}
