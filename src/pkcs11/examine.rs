//! The one sequence every front end uses to look at a PKCS#11 module: the file (exists, a
//! shared library for this machine), the libraries it needs, then the walk through it in the
//! helper process (load, slots, token, objects and, with a PIN, the sign test). `fxconfig
//! p11`, the app's PKCS#11 screen and the doctor's `pkcs11.*` checks all call [`examine`].

use std::path::Path;
use std::time::{Duration, Instant};

use crate::secret::Secret;

use super::probe::{Action, Helper, ProbeReport, ProbeRequest, probe};
use super::{DependencyReport, ModuleFile, Pkcs11Error, check_dependencies, inspect_module};

/// What to examine, and how.
#[derive(Debug)]
pub struct Examination<'a> {
    /// The module file as given.
    pub module: &'a Path,
    /// The token to use, by label; `None` takes the first initialised token.
    pub token_label: Option<String>,
    /// What the walk does beyond loading (list, sign test, …).
    pub action: Action,
    /// The token's user PIN, handed to the helper only.
    pub pin: Option<&'a Secret>,
    /// The configuration the module reads (`FXPKCS11_CFG` for the helper); `None` leaves
    /// this process's environment as it is.
    pub config: Option<&'a Path>,
    /// The program that loads the module; `None` finds `fxconfig` next to this program.
    pub helper: Option<Helper>,
    /// The most the walk may take.
    pub time_limit: Duration,
    /// Whether to load the module when libraries it needs are missing (the loader's own
    /// message then says which); otherwise the walk is not run.
    pub load_with_missing_libraries: bool,
}

/// What [`examine`] found, stage by stage; a stage that did not run is `None`.
#[derive(Debug)]
pub struct Examined {
    /// The file check.
    pub file: Result<ModuleFile, Pkcs11Error>,
    /// The libraries it needs, when the file check passed.
    pub dependencies: Option<Result<DependencyReport, Pkcs11Error>>,
    /// The walk in the helper process, when it ran.
    pub probe: Option<Result<ProbeReport, Pkcs11Error>>,
    /// The helper that ran the walk (for later steps such as the SSH login).
    pub helper: Option<Helper>,
    /// How long each stage took: the file check, the libraries, the walk.
    pub took: [Duration; 3],
}

impl Examined {
    /// Whether the libraries the module needs were found (or could not be followed, for a
    /// file that is neither ELF nor PE).
    pub fn libraries_found(&self) -> bool {
        matches!(&self.dependencies, Some(Ok(_)))
    }
}

/// Examines a module: see the module's documentation. Blocking (the walk runs in a child
/// process, bounded by [`Examination::time_limit`]): call it off a UI thread.
pub fn examine(exam: &Examination<'_>) -> Examined {
    let mut took = [Duration::ZERO; 3];
    let started = Instant::now();
    let file = inspect_module(exam.module);
    took[0] = started.elapsed();
    let Ok(inspected) = &file else {
        return Examined {
            file,
            dependencies: None,
            probe: None,
            helper: None,
            took,
        };
    };
    let started = Instant::now();
    let dependencies = check_dependencies(inspected);
    took[1] = started.elapsed();
    if dependencies.is_err() && !exam.load_with_missing_libraries {
        return Examined {
            file,
            dependencies: Some(dependencies),
            probe: None,
            helper: None,
            took,
        };
    }
    let started = Instant::now();
    let helper = exam.helper.clone().map_or_else(Helper::locate, Ok);
    let (probe, helper) = match helper {
        Ok(helper) => {
            let request = ProbeRequest {
                module: inspected.path.clone(),
                token_label: exam.token_label.clone(),
                action: exam.action,
            };
            (
                probe(&helper, &request, exam.pin, exam.config, exam.time_limit),
                Some(helper),
            )
        }
        Err(error) => (Err(error), None),
    };
    took[2] = started.elapsed();
    Examined {
        file,
        dependencies: Some(dependencies),
        probe: Some(probe),
        helper,
        took,
    }
}
