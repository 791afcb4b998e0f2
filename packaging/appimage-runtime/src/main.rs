//! The type-2 AppImage runtime of the fxconfig AppImage.
//!
//! The AppImage file is this program, an ELF executable whose header carries the AppImage magic
//! `AI\x02` at offset 8, with a squashfs image of the AppDir appended. The image starts where the
//! runtime's ELF file ends: at the end of its section header table (see [`elf`]).
//!
//! Started without a runtime option, it mounts the image with squashfuse when FUSE is usable and
//! runs `AppRun` from the mount, unmounting afterwards; otherwise (or with
//! `APPIMAGE_EXTRACT_AND_RUN=1`) it extracts the image once into a per-user cache keyed by the
//! image's SHA-256 and runs `AppRun` from there. Arguments, standard streams and the exit code
//! pass through.

mod cache;
mod elf;
mod error;
mod extract;
mod glob;
mod launch;
mod mount;

use std::ffi::{OsStr, OsString};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use error::RuntimeError;
use launch::Launch;
use mount::Mount;

/// The application's name: it names the extraction cache and the mount points.
const APP_NAME: &str = "fxconfig";
/// Where `--appimage-extract` writes, in the current directory.
const EXTRACT_DIR: &str = "squashfs-root";
/// The exit code when the runtime could not run the application.
const EXIT_CANNOT_RUN: u8 = 2;

const HELP: &str = "\
AppImage runtime options (given as the first argument):
  --appimage-help               print this help
  --appimage-offset             print the offset of the squashfs image in this file
  --appimage-extract [PATTERN]  extract the image (or the paths matching PATTERN, where * matches
                                any text and ? one character) into ./squashfs-root
  --appimage-extract-and-run    run from the extraction cache, without FUSE

Any other arguments go to the application. The image is mounted with squashfuse when it is on
PATH and /dev/fuse is usable; otherwise, or when APPIMAGE_EXTRACT_AND_RUN=1, it is extracted once
to ${XDG_CACHE_HOME:-~/.cache}/fxconfig/appimage/<sha256 of this file>/ and run from there.
APPIMAGE_DEBUG=1 says which of the two was used and why.
";

fn main() -> ExitCode {
    let mut arguments = std::env::args_os();
    let argv0 = arguments.next().unwrap_or_default();
    let arguments: Vec<OsString> = arguments.collect();
    match run(&argv0, &arguments) {
        Ok(code) => ExitCode::from(code),
        Err(error) => {
            eprintln!("{APP_NAME} AppImage runtime: {error}");
            ExitCode::from(EXIT_CANNOT_RUN)
        }
    }
}

fn run(argv0: &OsStr, arguments: &[OsString]) -> Result<u8, RuntimeError> {
    let image = std::env::current_exe().map_err(|source| RuntimeError::ReadImage {
        path: PathBuf::from("/proc/self/exe"),
        source,
    })?;
    let option = arguments
        .first()
        .and_then(|first| first.to_str())
        .filter(|first| first.starts_with("--appimage-"));
    let launch = |arguments| Launch {
        app_dir: Path::new(""),
        image: &image,
        argv0,
        arguments,
    };
    match (option, arguments.len()) {
        (None, _) => {
            let forced = std::env::var_os("APPIMAGE_EXTRACT_AND_RUN").is_some_and(|value| value == "1");
            run_application(launch(arguments), forced)
        }
        (Some("--appimage-help"), 1) => {
            print_and_flush(HELP);
            Ok(0)
        }
        (Some("--appimage-offset"), 1) => {
            print_and_flush(&format!("{}\n", elf::elf_end(&image)?));
            Ok(0)
        }
        (Some("--appimage-extract"), 1 | 2) => {
            let pattern = arguments.get(1).map(|pattern| pattern.to_string_lossy());
            let offset = elf::image_offset(&image)?;
            let destination = Path::new(EXTRACT_DIR);
            extract::extract(&image, offset, destination, pattern.as_deref(), |entry| {
                print_and_flush(&format!("{}\n", destination.join(entry).display()));
            })?;
            Ok(0)
        }
        (Some("--appimage-extract-and-run"), _) => run_application(launch(&arguments[1..]), true),
        (Some(option), _) => Err(RuntimeError::Usage(format!(
            "unknown runtime option or wrong number of arguments: {option}"
        ))),
    }
}

/// Runs the application from a FUSE mount when possible (unless `extract_only`), else from the
/// extraction cache.
fn run_application(launch: Launch<'_>, extract_only: bool) -> Result<u8, RuntimeError> {
    let debug = std::env::var_os("APPIMAGE_DEBUG").is_some_and(|value| value == "1");
    let offset = elf::image_offset(launch.image)?;
    if !extract_only {
        match Mount::new(launch.image, offset, APP_NAME) {
            Ok(mount) => {
                if debug {
                    eprintln!("{APP_NAME} AppImage runtime: mounted at {}", mount.path().display());
                }
                let outcome = Launch {
                    app_dir: mount.path(),
                    ..launch
                }
                .run();
                mount.unmount();
                return outcome;
            }
            Err(reason) if debug => eprintln!("{APP_NAME} AppImage runtime: not mounting: {reason}"),
            Err(_) => {}
        }
    }
    let base = cache::cache_base(std::env::var_os("XDG_CACHE_HOME"), std::env::var_os("HOME"))?;
    let app_dir = cache::extracted_app_dir(launch.image, offset, &base, APP_NAME)?;
    if debug {
        eprintln!("{APP_NAME} AppImage runtime: running from {}", app_dir.display());
    }
    Err(Launch {
        app_dir: &app_dir,
        ..launch
    }
    .exec())
}

/// Prints to standard output; a closed pipe (`| head`) is not worth a panic.
fn print_and_flush(text: &str) {
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(text.as_bytes()).and_then(|()| stdout.flush());
}
