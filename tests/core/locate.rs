//! Finding the installation (`fxconfig::install`) on a fake tarball layout with real builds:
//! one that fits, a 32-bit one and one whose libssl is missing; the tarball's cfg against
//! the file the library reads.

use std::fs;
use std::path::{Path, PathBuf};

use fxconfig::cfg::blank_template;
use fxconfig::cfg::locate::{CfgSource, LibraryCfg};
use fxconfig::install::{self, ConfigState, FolderOrigin, FoundModule, Installation, LocateRequest, SearchFolder};

use crate::support::tarball::{FakeTarball, MISSING_LIBSSL};

fn library_at(path: &Path, source: CfgSource) -> LibraryCfg {
    LibraryCfg {
        path: path.to_path_buf(),
        source,
    }
}

fn module<'a>(found: &'a Installation, path: &Path) -> &'a FoundModule {
    found
        .modules
        .iter()
        .find(|module| module.path == path)
        .unwrap_or_else(|| panic!("{} not found in {found:#?}", path.display()))
}

#[test]
fn each_build_of_the_tarball_is_reported_with_whether_it_fits() {
    let tarball = FakeTarball::new(&blank_template());
    let library = tarball.home().join("etc/fxpkcs11.cfg");
    let request = LocateRequest::new(
        install::unix_folders(Some(tarball.home())),
        library_at(&library, CfgSource::PlatformDefault),
    );
    let found = install::locate(&request);

    let ours: Vec<&FoundModule> = found
        .modules
        .iter()
        .filter(|module| module.path.starts_with(&tarball.root))
        .collect();
    assert_eq!(ours.len(), 3, "{found:#?}");

    let fitting = module(&found, &tarball.fitting);
    assert!(fitting.fits, "{fitting:#?}");
    assert_eq!((fitting.bits, fitting.machine.as_deref()), (Some(64), Some("x86-64")));
    assert_eq!(fitting.openssl.as_deref(), Some("1.1.x"));
    assert_eq!(fitting.build.as_deref(), Some("x64"));
    assert_eq!(fitting.origin, Some(FolderOrigin::UserTarball));
    assert!(fitting.why.is_none() && fitting.remedy.is_none());

    let x86 = module(&found, &tarball.x86);
    assert!(!x86.fits);
    assert_eq!((x86.bits, x86.machine.as_deref()), (Some(32), Some("x86 (i386)")));
    assert_eq!(x86.build.as_deref(), Some("x86"));
    let why = x86.why.as_deref().unwrap_or_default();
    assert!(
        why.contains("built for another platform") && why.contains("32-bit"),
        "{why}"
    );
    assert!(x86.remedy.as_deref().is_some_and(|remedy| remedy.contains("x64")));
    assert_eq!(x86.guide.as_deref(), Some("2.2"));

    let missing = module(&found, &tarball.missing_libssl);
    assert!(!missing.fits);
    assert_eq!((missing.bits, missing.machine.as_deref()), (Some(64), Some("x86-64")));
    assert_eq!(missing.openssl.as_deref(), Some("1.0.x"));
    assert_eq!(missing.openssl_libraries, [MISSING_LIBSSL]);
    let why = missing.why.as_deref().unwrap_or_default();
    assert!(why.contains(MISSING_LIBSSL) && why.contains("will not find"), "{why}");
    assert!(
        missing
            .remedy
            .as_deref()
            .is_some_and(|remedy| remedy.contains("OpenSSL-1.0.x or OpenSSL-1.1.x")),
        "{missing:#?}"
    );

    assert_eq!(found.recommended_module.as_deref(), Some(tarball.fitting.as_path()));
    assert_eq!(found.recommended().map(|module| &module.path), Some(&tarball.fitting));

    assert!(!found.library_file_exists);
    let config = found
        .configs
        .iter()
        .find(|config| config.path == tarball.cfg)
        .expect("the tarball's cfg");
    assert!(!config.read_by_library);
    assert_eq!(config.state, ConfigState::LibraryFileMissing);
    assert_eq!(found.misplaced_configs().len(), found.configs.len());
    let searched = found
        .searched
        .iter()
        .find(|folder| folder.path == tarball.root)
        .expect("the tarball folder searched");
    assert!(searched.exists && searched.origin == FolderOrigin::UserTarball);
}

#[test]
fn the_tarball_cfg_is_compared_with_the_library_file() {
    let tarball = FakeTarball::new(&blank_template());
    let etc = tarball.home().join("etc");
    fs::create_dir(&etc).unwrap();
    let library = etc.join("fxpkcs11.cfg");
    let search = || vec![SearchFolder::new(&tarball.root, FolderOrigin::UserTarball)];
    let state_of = |found: &Installation, path: &PathBuf| {
        found
            .configs
            .iter()
            .find(|config| &config.path == path)
            .map(|config| (config.state, config.read_by_library, config.differing_tags.clone()))
    };

    fs::write(&library, blank_template()).unwrap();
    let found = install::locate(&LocateRequest::new(
        search(),
        library_at(&library, CfgSource::PlatformDefault),
    ));
    assert_eq!(found.configs[0].path, library, "the library's file first");
    assert_eq!(
        state_of(&found, &library),
        Some((ConfigState::ReadByLibrary, true, vec![]))
    );
    assert_eq!(
        state_of(&found, &tarball.cfg),
        Some((ConfigState::SameAsLibrary, false, vec![]))
    );
    assert!(found.misplaced_configs().is_empty());

    let edited = blank_template()
        .replace(
            "<ADDRESS>                            </ADDRESS>",
            "<ADDRESS> kmes.example </ADDRESS>",
        )
        .replace(
            "<CRYPTO-OPR-PASS>                    </CRYPTO-OPR-PASS>",
            "<CRYPTO-OPR-PASS> operator-pass-8e1 </CRYPTO-OPR-PASS>",
        );
    fs::write(&library, &edited).unwrap();
    let found = install::locate(
        &LocateRequest::new(search(), library_at(&library, CfgSource::PlatformDefault)).editing(&tarball.cfg),
    );
    assert_eq!(
        state_of(&found, &tarball.cfg),
        Some((
            ConfigState::DiffersFromLibrary,
            false,
            vec!["CRYPTO-OPR-PASS".to_owned(), "ADDRESS".to_owned()]
        ))
    );
    let edited_flags: Vec<(bool, &Path)> = found
        .configs
        .iter()
        .map(|config| (config.edited, config.path.as_path()))
        .collect();
    assert_eq!(
        edited_flags,
        [(false, library.as_path()), (true, tarball.cfg.as_path())]
    );
    let json = serde_json::to_string(&found).unwrap();
    assert!(!json.contains("operator-pass-8e1"), "no value in the report: {json}");

    // FXPKCS11_CFG naming the tarball's file: it is the one read.
    let found = install::locate(&LocateRequest::new(
        search(),
        library_at(&tarball.cfg, CfgSource::EnvVar),
    ));
    assert_eq!(found.configs.len(), 1, "{found:#?}");
    assert_eq!(
        state_of(&found, &tarball.cfg),
        Some((ConfigState::ReadByLibrary, true, vec![]))
    );
}

#[test]
fn a_module_given_brings_in_its_tarball_folder() {
    let tarball = FakeTarball::new(&blank_template());
    let library = tarball.home().join("absent.cfg");
    let request = LocateRequest::new(Vec::new(), library_at(&library, CfgSource::EnvVar)).with_module(&tarball.x86);
    let found = install::locate(&request);
    assert_eq!(found.modules[0].path, tarball.x86, "the module given first");
    assert!(found.modules[0].given && !found.modules[0].fits);
    assert_eq!(found.modules.len(), 3, "the whole tarball: {found:#?}");
    assert!(found.modules[1..].iter().all(|module| !module.given));
    assert_eq!(found.configs.len(), 1);
    assert_eq!(found.configs[0].path, tarball.cfg);
    assert!(
        found
            .searched
            .iter()
            .any(|folder| folder.path == tarball.root && folder.origin == FolderOrigin::ModuleFolder)
    );
    // The given module does not fit, so the recommendation is another build.
    assert_eq!(found.recommended_module.as_deref(), Some(tarball.fitting.as_path()));
}

#[cfg(unix)]
#[test]
fn named_pipes_are_named_and_never_opened() {
    let tarball = FakeTarball::new(&blank_template());
    let pipe_module = tarball.home().join("libfxpkcs11.so");
    let pipe_cfg = tarball.root.join("x64").join("fxpkcs11.cfg");
    for pipe in [&pipe_module, &pipe_cfg] {
        crate::support::tools::run_ok(std::process::Command::new("mkfifo").arg(pipe));
    }
    let request = LocateRequest::new(
        vec![SearchFolder::new(&tarball.root, FolderOrigin::Given)],
        library_at(&tarball.home().join("absent.cfg"), CfgSource::EnvVar),
    )
    .with_module(&pipe_module);
    // Opening a pipe would wait for a writer: run it where a hang fails the test instead.
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        // The receiver is gone only when the test already failed.
        let _ = sender.send(install::locate(&request));
    });
    let found = receiver
        .recv_timeout(std::time::Duration::from_secs(20))
        .expect("locate returns without opening the pipes");
    let given = module(&found, &pipe_module);
    assert!(given.given && !given.fits);
    assert!(
        given
            .why
            .as_deref()
            .is_some_and(|why| why.contains("not a regular file")),
        "{given:#?}"
    );
    assert!(given.bits.is_none());
    assert!(found.configs.iter().all(|config| config.path != pipe_cfg), "{found:#?}");
    assert_eq!(found.configs.len(), 1, "the tarball's own cfg only");
}
