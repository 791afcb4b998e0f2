//! Saving under a lock, re-applying an edit to a changed file, carrying access over,
//! hard links, temporary files and bounded reading (issue 10: B1, B2, B7, bounded inputs).

use std::fs;
use std::path::Path;
use std::process::Command;

use fxconfig::Explain;
use fxconfig::cfg::file::backup_path;
use fxconfig::cfg::{CfgError, CfgFile, SaveOptions, tighten_permissions};

use super::{GUIDE_EXAMPLE, listing};

fn guide_file(dir: &Path) -> std::path::PathBuf {
    let path = dir.join("fxpkcs11.cfg");
    fs::write(&path, GUIDE_EXAMPLE).expect("cfg file");
    path
}

fn value(path: &Path, tag: &str) -> Option<String> {
    CfgFile::load(path)
        .expect("reload")
        .doc
        .get(None, tag)
        .map(|entry| entry.value)
}

#[test]
fn an_edit_is_reapplied_on_top_of_another_programs_change() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = guide_file(dir.path());
    let mut mine = CfgFile::load(&path).expect("load");
    mine.doc.set(None, "SLOT", "7").expect("set");
    mine.doc.set(None, "FX-NEW-TAG", "x").expect("insert");

    let mut theirs = CfgFile::load(&path).expect("load");
    theirs.doc.set(None, "KEYGROUP-NAME", "other-group").expect("set");
    theirs.save().expect("their save");

    let report = mine.save().expect("re-applied");
    assert!(report.merged);
    assert_eq!(value(&path, "SLOT").as_deref(), Some("7"));
    assert_eq!(value(&path, "FX-NEW-TAG").as_deref(), Some("x"));
    assert_eq!(value(&path, "KEYGROUP-NAME").as_deref(), Some("other-group"));
    assert_eq!(fs::read(&path).expect("saved"), mine.doc.to_bytes());
    assert!(!mine.is_modified());
    assert!(!mine.changed_on_disk().expect("state"));
}

#[test]
fn the_same_entry_changed_twice_is_a_conflict_and_nothing_is_written() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = guide_file(dir.path());
    let mut mine = CfgFile::load(&path).expect("load");
    mine.doc.set(None, "SLOT", "7").expect("set");
    mine.doc.set(None, "KEYGROUP-NAME", "mine").expect("set");
    let edited = mine.doc.clone();

    let mut theirs = CfgFile::load(&path).expect("load");
    theirs.doc.set(None, "SLOT", "8").expect("set");
    theirs.save().expect("their save");
    let on_disk = fs::read(&path).expect("theirs");

    let error = mine.save().expect_err("conflict");
    match &error {
        CfgError::Conflict { path: reported, tags } => {
            assert_eq!(reported, &path);
            assert_eq!(tags, &["SLOT"]);
        }
        other => panic!("expected a conflict, got {other:?}"),
    }
    assert!(error.to_string().contains("also changed SLOT in"), "{error}");
    assert!(error.to_string().contains("nothing was saved"), "{error}");
    assert!(!error.remedy().is_empty());
    assert_eq!(fs::read(&path).expect("unchanged"), on_disk);
    assert_eq!(mine.doc, edited);
}

#[test]
fn a_writer_waits_for_the_lock() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = guide_file(dir.path());
    let holder = fxconfig::cfg::LockedCfg::open(&path).expect("lock");
    let waiter_path = path.clone();
    let waiter = std::thread::spawn(move || {
        let mut file = CfgFile::load(&waiter_path).expect("load");
        file.doc.set(None, "SLOT", "5").expect("set");
        file.save()
    });
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert_eq!(
        value(&path, "SLOT").as_deref(),
        Some("0"),
        "saved while the lock was held"
    );
    drop(holder);
    waiter
        .join()
        .expect("thread")
        .expect("saved after the lock was released");
    assert_eq!(value(&path, "SLOT").as_deref(), Some("5"));
}

#[cfg(unix)]
#[test]
fn a_hard_linked_file_is_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = guide_file(dir.path());
    let other = dir.path().join("other-name.cfg");
    fs::hard_link(&path, &other).expect("hard link");
    let mut file = CfgFile::load(&path).expect("load");
    file.doc.set(None, "SLOT", "3").expect("set");
    let error = file.save().expect_err("refused");
    assert!(matches!(error, CfgError::HardLinked { links: 2, .. }), "{error:?}");
    assert!(error.to_string().contains("hard links"), "{error}");
    assert!(error.remedy().contains("-samefile"), "{}", error.remedy());
    assert_eq!(fs::read(&path).expect("unchanged"), GUIDE_EXAMPLE);
    assert_eq!(fs::read(&other).expect("unchanged"), GUIDE_EXAMPLE);
}

#[test]
fn stale_temporary_files_are_removed_on_the_next_save() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = guide_file(dir.path());
    let stale = [".fxpkcs11.cfg.Ab3dE9.tmp", ".fxpkcs11.cfg.bak.x0Y1z2.tmp"];
    let unrelated = [".fxpkcs11.cfg.Ab3dE.tmp", ".other.cfg.Ab3dE9.tmp", "notes.tmp"];
    for name in stale.iter().chain(&unrelated) {
        fs::write(dir.path().join(name), b"<CRYPTO-OPR-PASS> old </CRYPTO-OPR-PASS>\n").expect("leftover");
    }
    let mut file = CfgFile::load(&path).expect("load");
    file.doc.set(None, "SLOT", "1").expect("set");
    file.save().expect("save");
    let names = listing(dir.path());
    for name in stale {
        assert!(!names.iter().any(|n| n == name), "{name} was left: {names:?}");
    }
    for name in unrelated {
        assert!(names.iter().any(|n| n == name), "{name} was removed: {names:?}");
    }
}

#[test]
fn reading_is_bounded_and_regular_files_only() {
    let dir = tempfile::tempdir().expect("temp dir");
    let big = dir.path().join("big.cfg");
    let file = fs::File::create(&big).expect("create");
    file.set_len(1024 * 1024 + 1).expect("sparse file");
    let error = CfgFile::load(&big).expect_err("too large");
    assert!(
        matches!(error, CfgError::TooLarge { limit: 1_048_576, .. }),
        "{error:?}"
    );
    assert!(!error.remedy().is_empty());

    let error = CfgFile::load(dir.path()).expect_err("a folder");
    assert!(
        matches!(error, CfgError::NotRegular { kind: "a folder", .. }),
        "{error:?}"
    );
    #[cfg(unix)]
    {
        let error = CfgFile::load("/dev/zero").expect_err("a device");
        assert!(
            matches!(error, CfgError::NotRegular { kind: "a device", .. }),
            "{error:?}"
        );
        let fifo = dir.path().join("fifo.cfg");
        let made = Command::new("mkfifo").arg(&fifo).status().expect("mkfifo");
        assert!(made.success());
        let error = CfgFile::load(&fifo).expect_err("a named pipe");
        assert!(error.to_string().contains("named pipe"), "{error}");
    }
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    fs::metadata(path).expect("metadata").permissions().mode() & 0o7777
}

#[cfg(unix)]
fn tool(program: &str, args: &[&std::ffi::OsStr]) -> Option<String> {
    let output = Command::new(program).args(args).output().ok()?;
    assert!(
        output.status.success(),
        "{program} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    Some(String::from_utf8_lossy(&output.stdout).into_owned())
}

#[cfg(unix)]
#[test]
fn owner_mode_acl_and_attributes_are_carried_over_and_tightened_on_request() {
    use std::ffi::OsStr;
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("temp dir");
    let path = guide_file(dir.path());
    fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).expect("chmod");
    let p = path.as_os_str();
    if tool("setfacl", &[OsStr::new("-m"), OsStr::new("u:nobody:r"), p]).is_none() {
        panic!("setfacl is missing: run tests/system-deps.sh (package acl)");
    }
    tool(
        "setfattr",
        &[
            OsStr::new("-n"),
            OsStr::new("user.fxconfig-test"),
            OsStr::new("-v"),
            OsStr::new("kept"),
            p,
        ],
    )
    .expect("setfattr (package attr)");
    let acl_before = tool("getfacl", &[OsStr::new("-c"), p]).expect("getfacl");
    assert!(acl_before.contains("user:nobody:r--"), "{acl_before}");

    let mut file = CfgFile::load(&path).expect("load");
    file.doc.set(None, "SLOT", "1").expect("set");
    let report = file.save().expect("save");

    for saved in [path.clone(), backup_path(&path)] {
        let s = saved.as_os_str();
        let acl = tool("getfacl", &[OsStr::new("-c"), s]).expect("getfacl");
        assert_eq!(acl, acl_before, "{}", saved.display());
        assert!(acl.contains("group::---"), "the group was widened: {acl}");
        let attribute = tool(
            "getfattr",
            &[
                OsStr::new("--only-values"),
                OsStr::new("-n"),
                OsStr::new("user.fxconfig-test"),
                s,
            ],
        )
        .expect("getfattr");
        assert_eq!(attribute, "kept");
        assert_eq!(mode(&saved), 0o640, "mode with the ACL mask r--");
    }
    assert!(
        report.exposure.is_some(),
        "the ACL lets another account read the password"
    );

    // Tightening: 0600, no ACL, same owner.
    file.doc.set(None, "SLOT", "2").expect("set");
    let report = file
        .save_with(SaveOptions {
            tighten_permissions: true,
        })
        .expect("save tightened");
    assert_eq!(report.exposure, None);
    for saved in [path.clone(), backup_path(&path)] {
        assert_eq!(mode(&saved), 0o600);
        let acl = tool("getfacl", &[OsStr::new("-c"), saved.as_os_str()]).expect("getfacl");
        assert!(!acl.contains("nobody"), "{acl}");
    }
}

#[cfg(unix)]
#[test]
fn a_new_file_does_not_inherit_a_default_acl_and_tightening_keeps_the_owner() {
    use std::ffi::OsStr;
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let dir = tempfile::tempdir().expect("temp dir");
    tool(
        "setfacl",
        &[
            OsStr::new("-d"),
            OsStr::new("-m"),
            OsStr::new("u:nobody:rw"),
            dir.path().as_os_str(),
        ],
    )
    .expect("setfacl (package acl)");
    let path = dir.path().join("new.cfg");
    let mut doc = fxconfig::cfg::CfgDocument::new();
    doc.set(None, "CRYPTO-OPR-PASS", "hush").expect("set");
    CfgFile::new_unsaved(&path, doc).save().expect("save");
    assert_eq!(mode(&path), 0o600);
    let acl = tool("getfacl", &[OsStr::new("-c"), path.as_os_str()]).expect("getfacl");
    assert!(!acl.contains("nobody"), "inherited the folder's default ACL: {acl}");

    fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).expect("chmod");
    let owner = fs::metadata(&path).expect("meta").uid();
    tighten_permissions(&path).expect("tighten");
    assert_eq!(mode(&path), 0o600);
    assert_eq!(fs::metadata(&path).expect("meta").uid(), owner);
}

#[test]
fn a_dangling_symbolic_link_is_not_written_through() {
    #[cfg(unix)]
    {
        let dir = tempfile::tempdir().expect("temp dir");
        let link = dir.path().join("fxpkcs11.cfg");
        std::os::unix::fs::symlink(dir.path().join("missing/real.cfg"), &link).expect("symlink");
        let mut file = CfgFile::new_unsaved(&link, fxconfig::cfg::CfgDocument::new());
        let error = file.save().expect_err("dangling link");
        assert!(
            fxconfig::remedy::cause_chain(&error).contains("does not exist"),
            "{}",
            fxconfig::remedy::cause_chain(&error)
        );
        assert_eq!(listing(dir.path()), ["fxpkcs11.cfg"]);
    }
}
