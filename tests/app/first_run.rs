//! The first run: no configuration where the library reads it. The guide's layout is written
//! through the library's `cfg::init` (mode 0600, never over an existing file), a folder this
//! account may not write is named before anything is written and the commands that put the
//! file in place are shown, a failed save opens a dialog with the same commands, the demo's
//! banner copies the demo's configuration after showing the difference, and a fake tarball's
//! configuration and module builds are found and offered (on the first-run screen and in
//! the troubleshooting's first step).

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use egui::Key;
use fxconfig::app::dialogs::DialogPurpose;
use fxconfig::cfg::init::{env_command, install_command};
use fxconfig::cfg::locate::{CfgSource, LibraryCfg};
use fxconfig::cfg::{CfgFile, blank_template};
use fxconfig::demo::Demo;
use fxconfig::install::{FolderOrigin, SearchFolder};

use super::harness::TestApp;
use crate::support::lab::Lab;
use crate::support::tarball::FakeTarball;

fn mode_of(path: &Path) -> u32 {
    fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// The library's file at `path` (as `FXPKCS11_CFG` would name it), so that no test touches
/// `/etc`, and no installation folders searched unless given.
fn first_run(library: &Path, folders: Vec<SearchFolder>, demo: Option<Arc<Demo>>) -> TestApp {
    let library = LibraryCfg {
        path: library.to_owned(),
        source: CfgSource::EnvVar,
    };
    TestApp::build(None, false, move |mut options| {
        options.library = Some(library);
        options.install_folders = Some(folders);
        options.demo = demo;
        options
    })
}

#[test]
fn the_first_run_writes_the_guides_layout_where_the_library_reads_it() {
    let dir = tempfile::tempdir().unwrap();
    let library = dir.path().join("fxpkcs11.cfg");
    let mut app = first_run(&library, Vec::new(), None);
    assert!(app.shows("There is no configuration yet"));
    assert!(
        app.shows("FXPKCS11_CFG"),
        "the other way to point the library at a file is named"
    );
    app.click(&format!("Create {}", library.display()));
    app.until("the new file open", |h| {
        h.state().open_path() == Some(library.as_path())
    });
    assert_eq!(
        fs::read_to_string(&library).unwrap(),
        blank_template(),
        "the guide's layout"
    );
    assert_eq!(mode_of(&library), 0o600);
    assert!(!app.app().is_modified());
    assert!(app.shows("This is the file the PKCS#11 library reads"));
}

#[test]
fn the_first_run_never_writes_over_a_file_that_appeared_meanwhile() {
    let dir = tempfile::tempdir().unwrap();
    let library = dir.path().join("fxpkcs11.cfg");
    let mut app = first_run(&library, Vec::new(), None);
    // Another program (or an administrator) writes the file after the app looked.
    fs::write(&library, "# theirs\n").unwrap();
    app.click(&format!("Create {}", library.display()));
    app.wait_for("Not created");
    assert!(app.app().modal_open(), "a dialog, not only the status bar");
    assert!(app.shows("already exists"));
    assert_eq!(fs::read_to_string(&library).unwrap(), "# theirs\n", "left as it is");
    app.click(&format!("Open {}", library.display()));
    app.until("the existing file open", |h| {
        h.state().open_path() == Some(library.as_path()) && !h.state().is_busy()
    });
    assert!(!app.app().modal_open());
}

#[test]
fn a_file_created_elsewhere_shows_the_commands_that_make_the_library_read_it() {
    let dir = tempfile::tempdir().unwrap();
    let library = dir.path().join("etc").join("fxpkcs11.cfg");
    fs::create_dir(library.parent().unwrap()).unwrap();
    let mine = dir.path().join("mine.cfg");
    let mut app = first_run(&library, Vec::new(), None);
    app.dialogs.answer(Some(mine.clone()));
    app.click("Create it elsewhere…");
    app.until("the new file open", |h| h.state().open_path() == Some(mine.as_path()));
    assert_eq!(app.dialogs.asked(), vec![DialogPurpose::NewConfig]);
    assert_eq!(fs::read_to_string(&mine).unwrap(), blank_template());
    assert_eq!(mode_of(&mine), 0o600);
    let install = install_command(&mine, &library);
    let env = env_command(&mine);
    assert_eq!(app.app().install_commands(), Some((install.as_str(), env.as_str())));
    assert!(app.shows(&env), "the FXPKCS11_CFG command is on screen");
    assert!(!library.exists(), "nothing written where the library reads");
}

/// While alive, this thread and the threads it starts cannot override file permissions, as
/// an ordinary account cannot: root's `CAP_DAC_OVERRIDE`, `CAP_DAC_READ_SEARCH` and
/// `CAP_FOWNER` leave the thread's effective set (Linux keeps capabilities per thread; the
/// app's workers are started from the test's thread and inherit them). Put back on drop.
/// For an account that is not root this changes nothing.
pub(super) struct Unprivileged {
    saved: [CapData; 2],
}

#[repr(C)]
struct CapHeader {
    version: u32,
    pid: i32,
}

#[repr(C)]
#[derive(Clone, Copy, Default)]
struct CapData {
    effective: u32,
    permitted: u32,
    inheritable: u32,
}

/// `_LINUX_CAPABILITY_VERSION_3`: two 32-bit words per set.
const CAPABILITY_VERSION_3: u32 = 0x2008_0522;

impl Unprivileged {
    pub(super) fn start() -> Unprivileged {
        let mut header = CapHeader {
            version: CAPABILITY_VERSION_3,
            pid: 0,
        };
        let mut data = [CapData::default(); 2];
        // SAFETY: the header and the two-word data array have the kernel's layout.
        let got = unsafe { libc::syscall(libc::SYS_capget, &mut header, data.as_mut_ptr()) };
        assert_eq!(got, 0, "capget: {}", std::io::Error::last_os_error());
        let saved = data;
        // CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER.
        data[0].effective &= !((1 << 1) | (1 << 2) | (1 << 3));
        set_capabilities(&data);
        Unprivileged { saved }
    }
}

impl Drop for Unprivileged {
    fn drop(&mut self) {
        set_capabilities(&self.saved);
    }
}

fn set_capabilities(data: &[CapData; 2]) {
    let mut header = CapHeader {
        version: CAPABILITY_VERSION_3,
        pid: 0,
    };
    // SAFETY: as in capget.
    let set = unsafe { libc::syscall(libc::SYS_capset, &mut header, data.as_ptr()) };
    assert_eq!(set, 0, "capset: {}", std::io::Error::last_os_error());
}

/// A folder readable by everyone and writable by no one (`/etc` as an ordinary account sees it).
pub(super) fn read_only_folder(path: PathBuf) -> PathBuf {
    fs::create_dir(&path).unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o555)).unwrap();
    path
}

#[test]
fn a_folder_this_account_may_not_write_is_named_before_writing_with_the_commands_that_install_it() {
    let dir = tempfile::tempdir().unwrap();
    let etc = read_only_folder(dir.path().join("etc"));
    let library = etc.join("fxpkcs11.cfg");
    let mine = dir.path().join("fxpkcs11.cfg");
    let unprivileged = Unprivileged::start();
    let mut app = first_run(&library, Vec::new(), None);
    assert!(app.shows("This account may not create files in"), "said before trying");
    app.click(&format!("Create {}…", library.display()));
    app.wait_for("cannot be written here");
    assert!(app.app().modal_open(), "a dialog, not only the status bar");
    assert!(app.shows("Nothing was written"));
    assert!(app.shows("sudo install -m 600"), "the install command");
    assert!(app.shows("FXPKCS11_CFG"), "or the environment variable");
    app.dialogs.answer(Some(mine.clone()));
    app.click("Save elsewhere…");
    app.until("the copy open", |h| h.state().open_path() == Some(mine.as_path()));
    drop(unprivileged);
    assert_eq!(app.dialogs.asked(), vec![DialogPurpose::SaveElsewhere]);
    assert_eq!(fs::read_to_string(&mine).unwrap(), blank_template());
    assert_eq!(mode_of(&mine), 0o600);
    assert_eq!(fs::read_dir(&etc).unwrap().count(), 0, "nothing written in the folder");
    let install = install_command(&mine, &library);
    let env = env_command(&mine);
    assert_eq!(app.app().install_commands(), Some((install.as_str(), env.as_str())));
    assert!(app.shows(&install), "the exact install command is on screen");
    fs::set_permissions(&etc, fs::Permissions::from_mode(0o755)).unwrap();
}

#[test]
fn a_save_refused_for_permissions_opens_a_dialog_and_saving_elsewhere_gives_the_install_command() {
    let lab = Lab::new();
    lab.write_cfg("127.0.0.1", 2001);
    let dir = tempfile::tempdir().unwrap();
    let etc = dir.path().join("etc");
    fs::create_dir(&etc).unwrap();
    let cfg = etc.join("fxpkcs11.cfg");
    fs::copy(&lab.cfg, &cfg).unwrap();
    fs::set_permissions(&cfg, fs::Permissions::from_mode(0o644)).unwrap();
    fs::set_permissions(&etc, fs::Permissions::from_mode(0o555)).unwrap();
    let mine = dir.path().join("mine.cfg");
    let unprivileged = Unprivileged::start();
    let mut app = TestApp::build(Some(cfg.clone()), false, |mut options| {
        options.library = Some(LibraryCfg {
            path: cfg.clone(),
            source: CfgSource::EnvVar,
        });
        options.install_folders = Some(Vec::new());
        options
    });
    app.replace_text("Key group", "keygroup2");
    app.ctrl(Key::S);
    app.wait_for("Review the changes");
    app.click("Save changes");
    app.until("the save", |h| !h.state().is_busy());
    app.wait_for("Not saved");
    assert!(app.app().modal_open(), "a dialog, not only the status bar");
    assert!(app.shows("You may not write there as this user"));
    assert!(app.shows("sudo install -m 600"), "the remedy names the install command");
    app.dialogs.answer(Some(mine.clone()));
    app.click("Save elsewhere…");
    app.until("the copy saved", |h| !h.state().is_busy() && !h.state().is_modified());
    drop(unprivileged);
    assert!(fs::read_to_string(&mine).unwrap().contains("keygroup2"));
    assert!(
        fs::read_to_string(&cfg).unwrap().contains("keygroup1"),
        "the original is unchanged"
    );
    let install = install_command(&mine, &cfg);
    let env = env_command(&mine);
    assert_eq!(app.app().install_commands(), Some((install.as_str(), env.as_str())));
    assert!(app.shows(&install));
    fs::set_permissions(&etc, fs::Permissions::from_mode(0o755)).unwrap();
}

#[test]
fn the_demo_banner_copies_the_demo_configuration_after_showing_the_difference() {
    let demo = Arc::new(Demo::start(None).expect("demo"));
    let dir = tempfile::tempdir().unwrap();
    let library = dir.path().join("fxpkcs11.cfg");
    let mut app = first_run(&library, Vec::new(), Some(Arc::clone(&demo)));
    assert_eq!(app.app().open_path(), Some(demo.config_path()));
    app.click(&format!("Copy this configuration to {}…", library.display()));
    app.wait_for(&format!("Copy to {}?", library.display()));
    assert!(app.shows("mode 0600"), "who may read it is said before writing");
    assert!(!library.exists(), "nothing written before Copy");
    app.click("Copy");
    app.until("the copy open", |h| h.state().open_path() == Some(library.as_path()));
    assert_eq!(
        fs::read(&library).unwrap(),
        fs::read(demo.config_path()).unwrap(),
        "the demo's file, not an empty one"
    );
    assert_eq!(mode_of(&library), 0o600);
    assert!(
        CfgFile::load(&library).unwrap().doc.get(None, "ADDRESS").is_some(),
        "a working configuration"
    );
}

#[test]
fn a_tarballs_configuration_and_fitting_module_are_found_and_offered() {
    let tarball = FakeTarball::new(&blank_template());
    let dir = tempfile::tempdir().unwrap();
    let library = dir.path().join("fxpkcs11.cfg");
    let folders = vec![SearchFolder::new(&tarball.root, FolderOrigin::UserTarball)];
    let mut app = first_run(&library, folders, None);
    app.until("the search", |h| h.state().installation().is_some());
    assert!(app.shows("Found on this machine"));
    assert!(app.shows(&format!("{}: not read", tarball.cfg.display())));
    assert!(app.shows(&format!("{} — fits this machine", tarball.fitting.display())));
    assert!(app.shows(&format!("{} — does not fit this machine", tarball.x86.display())));
    // The troubleshooting's first step lists the builds too, and uses the one that fits.
    app.ctrl(Key::Num5);
    app.wait_for("Step 1");
    assert!(app.shows(&format!("{} — fits this machine", tarball.fitting.display())));
    app.click("Use this module (recommended)");
    assert!(app.shows("In use for the SSH commands and tests."));
    assert_eq!(
        app.app().notice(),
        Some(format!("The SSH commands and tests use {}.", tarball.fitting.display()).as_str())
    );

    app.ctrl(Key::Num1);
    app.click(&format!("Copy it to {}…", library.display()));
    app.wait_for(&format!("Copy to {}?", library.display()));
    app.click("Copy");
    app.until("the copy open", |h| h.state().open_path() == Some(library.as_path()));
    assert_eq!(fs::read(&library).unwrap(), fs::read(&tarball.cfg).unwrap());
    assert_eq!(mode_of(&library), 0o600);
}
