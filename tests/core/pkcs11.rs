//! The PKCS#11 module checks against real components: a SoftHSM2 token made by
//! `softhsm2-util` and OpenSC's `pkcs11-tool`, `ssh-keygen -D` as the reference for
//! authorized_keys lines, and broken modules built here with gcc and ld (plus one
//! hand-written AArch64 ELF header, said so where it is made). Windows DLLs built here with
//! mingw-w64 stand for fxpkcs11.dll and its OpenSSL DLLs in the PE dependency checks.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use fxconfig::Explain;
use fxconfig::doctor::{self, CheckId, DoctorOptions, Status};
use fxconfig::pkcs11::{
    self, Action, BinaryFormat, DllSearch, FileKind, Machine, Pkcs11Error, ProbeRequest, Step, check_dependencies,
    inspect_module, parse_header, resolve_pe_with,
};
use fxconfig::{Secret, remedy};
use serde_json::Value;

use crate::support::lab::Lab;
use crate::support::softhsm::{Hsm, PIN, SOFTHSM, TOKEN};
use crate::support::tools::{FXCONFIG, fxconfig, openssl, run_ok};

fn json_of(output: &std::process::Output) -> Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "JSON expected ({e}): {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    })
}

/// Compiles C source into a shared library with gcc.
fn build_library(dir: &Path, name: &str, source: &str, link: &[&str]) -> PathBuf {
    let c_file = dir.join(format!("{name}.c"));
    std::fs::write(&c_file, source).expect("C source");
    let library = dir.join(format!("lib{name}.so"));
    run_ok(
        Command::new("gcc")
            .args(["-shared", "-fPIC", "-o"])
            .arg(&library)
            .arg(&c_file)
            .arg(format!("-L{}", dir.display()))
            .args(link),
    );
    library
}

#[test]
fn softhsm_passes_the_file_and_dependency_checks() {
    let file = inspect_module(Path::new(SOFTHSM)).expect("SoftHSM is a loadable module");
    assert_eq!(file.header.format, BinaryFormat::Elf);
    assert_eq!(file.header.kind, FileKind::SharedLibrary);
    assert_eq!((file.header.machine, file.header.bits), (Machine::X86_64, 64));
    assert!(
        file.header.needed.iter().any(|n| n.starts_with("libcrypto.so")),
        "{:?}",
        file.header.needed
    );
    let deps = check_dependencies(&file).expect("every library SoftHSM needs is installed");
    assert!(deps.checked);
    let libc = deps
        .libraries
        .iter()
        .find(|d| d.name == "libc.so.6")
        .expect("libc followed");
    assert!(libc.found.as_ref().is_some_and(|p| p.is_file()), "{libc:?}");
}

#[test]
fn a_missing_file_and_a_text_file_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let missing = inspect_module(&dir.path().join("libfxpkcs11.so")).unwrap_err();
    assert!(matches!(missing, Pkcs11Error::ModuleNotFound { .. }), "{missing:?}");
    assert_eq!(missing.guide_section(), Some("2.2"));

    let text = dir.path().join("fxpkcs11.cfg");
    std::fs::write(&text, "<CONFIG>\n</CONFIG>\n").unwrap();
    let error = inspect_module(&text).unwrap_err();
    assert!(
        matches!(&error, Pkcs11Error::NotALibrary { what, .. } if what == "a text file"),
        "{error:?}"
    );
    assert!(error.remedy().contains("libfxpkcs11.so"));
}

#[test]
fn a_real_32_bit_library_is_refused_for_its_word_size() {
    // A genuine i386 shared object: gcc compiles 32-bit code, binutils links it (no 32-bit libc needed).
    let dir = tempfile::tempdir().unwrap();
    let source = dir.path().join("m32.c");
    std::fs::write(&source, "int answer(void) { return 42; }\n").unwrap();
    let object = dir.path().join("m32.o");
    let library = dir.path().join("libm32.so");
    run_ok(
        Command::new("gcc")
            .args(["-m32", "-fPIC", "-c", "-o"])
            .arg(&object)
            .arg(&source),
    );
    run_ok(
        Command::new("ld")
            .args(["-m", "elf_i386", "-shared", "-o"])
            .arg(&library)
            .arg(&object),
    );
    let error = inspect_module(&library).unwrap_err();
    match &error {
        Pkcs11Error::WrongPlatform { found, expected, .. } => {
            assert_eq!(found, "ELF 32-bit x86 (i386) shared library");
            assert_eq!(expected, "ELF 64-bit x86-64");
        }
        other => panic!("expected WrongPlatform, got {other:?}"),
    }
    assert!(error.remedy().contains("x64"), "{}", error.remedy());
}

#[test]
fn a_foreign_architecture_header_is_refused() {
    // Hand-written: the 64-byte ELF header of an AArch64 shared object (no program headers).
    let mut header = vec![0u8; 64];
    header[..4].copy_from_slice(b"\x7fELF");
    header[4] = 2; // 64-bit
    header[5] = 1; // little-endian
    header[6] = 1; // version
    header[16..18].copy_from_slice(&3u16.to_le_bytes()); // ET_DYN
    header[18..20].copy_from_slice(&0xb7u16.to_le_bytes()); // EM_AARCH64
    header[52..54].copy_from_slice(&64u16.to_le_bytes()); // e_ehsize
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("libarm.so");
    std::fs::write(&path, &header).unwrap();
    let error = inspect_module(&path).unwrap_err();
    assert!(
        matches!(&error, Pkcs11Error::WrongPlatform { found, .. } if found == "ELF 64-bit AArch64 shared library"),
        "{error:?}"
    );
}

#[test]
fn a_missing_dependency_is_named_before_any_load() {
    let dir = tempfile::tempdir().unwrap();
    let dep = build_library(dir.path(), "fxdep", "int dep_value(void) { return 7; }\n", &[]);
    let module = build_library(
        dir.path(),
        "fxmod",
        "int dep_value(void);\nint module_value(void) { return dep_value(); }\n",
        &["-lfxdep"],
    );
    std::fs::remove_file(&dep).unwrap();

    let file = inspect_module(&module).expect("the module itself is a fine x86-64 library");
    assert!(file.header.needed.contains(&"libfxdep.so".to_owned()));
    let error = check_dependencies(&file).unwrap_err();
    match &error {
        Pkcs11Error::MissingDependencies { missing, .. } => assert_eq!(missing, &vec!["libfxdep.so".to_owned()]),
        other => panic!("expected MissingDependencies, got {other:?}"),
    }
    assert!(remedy::cause_chain(&error).contains("libfxdep.so"));

    let output = fxconfig()
        .args(["p11", "--module"])
        .arg(&module)
        .arg("info")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("libfxdep.so") && stderr.contains("remedy:"), "{stderr}");
}

/// Compiles C source into a 64-bit Windows DLL with mingw-w64, linked against `link` (DLL files).
fn build_dll(dir: &Path, name: &str, source: &str, link: &[&Path]) -> PathBuf {
    let c_file = dir.join(format!("{name}.c"));
    std::fs::write(&c_file, source).expect("C source");
    let dll = dir.join(format!("{name}.dll"));
    run_ok(
        Command::new("x86_64-w64-mingw32-gcc")
            .args(["-shared", "-o"])
            .arg(&dll)
            .arg(&c_file)
            .args(link),
    );
    dll
}

/// A Windows installation in miniature: fxpkcs11.dll in `install/` beside
/// libcrypto-1_1-x64.dll, which needs zlib1.dll; `system32/` holds a DLL without imports under
/// the name of each system DLL the three import (KERNEL32.dll, msvcrt.dll).
struct WindowsLayout {
    _dir: tempfile::TempDir,
    install: PathBuf,
    system32: PathBuf,
    program: PathBuf,
    module: PathBuf,
    zlib: PathBuf,
}

impl WindowsLayout {
    fn new() -> WindowsLayout {
        let dir = tempfile::tempdir().unwrap();
        let [install, system32, program, build] =
            ["install", "system32", "program", "build"].map(|name| dir.path().join(name));
        for folder in [&install, &system32, &program, &build] {
            std::fs::create_dir(folder).unwrap();
        }
        let zlib = build_dll(&build, "zlib1", "int deflate_stub(void) { return 1; }\n", &[]);
        let crypto = build_dll(
            &build,
            "libcrypto-1_1-x64",
            "int deflate_stub(void);\nint crypto_stub(void) { return deflate_stub(); }\n",
            &[&zlib],
        );
        let module = build_dll(
            &build,
            "fxpkcs11",
            "int crypto_stub(void);\nint C_GetFunctionList(void *list) { (void)list; return crypto_stub(); }\n",
            &[&crypto],
        );
        let no_imports = build.join("no-imports.dll");
        std::fs::write(build.join("no-imports.c"), "int stub_value = 1;\n").unwrap();
        run_ok(
            Command::new("x86_64-w64-mingw32-gcc")
                .args(["-shared", "-nostdlib", "-Wl,-e,0", "-o"])
                .arg(&no_imports)
                .arg(build.join("no-imports.c")),
        );
        for dll in [&module, &crypto] {
            std::fs::copy(dll, install.join(dll.file_name().unwrap())).unwrap();
        }
        for system_dll in ["KERNEL32.dll", "msvcrt.dll"] {
            std::fs::copy(&no_imports, system32.join(system_dll)).unwrap();
        }
        WindowsLayout {
            module: install.join("fxpkcs11.dll"),
            install,
            system32,
            program,
            zlib,
            _dir: dir,
        }
    }

    fn search(&self, path_dirs: &[&Path]) -> DllSearch {
        DllSearch {
            program_dir: Some(self.program.clone()),
            system_dirs: vec![self.system32.clone()],
            current_dir: None,
            path_dirs: path_dirs.iter().map(|dir| dir.to_path_buf()).collect(),
        }
    }

    fn header(&self) -> fxconfig::pkcs11::BinaryHeader {
        parse_header(&std::fs::read(&self.module).unwrap()).expect("a PE header")
    }
}

#[test]
fn a_windows_dll_import_table_is_read() {
    let layout = WindowsLayout::new();
    let header = layout.header();
    assert_eq!(header.format, BinaryFormat::Pe);
    assert_eq!(
        (header.machine, header.bits, header.kind),
        (Machine::X86_64, 64, FileKind::SharedLibrary)
    );
    // objdump, from the same mingw-w64 installation, is the reference for the import table.
    let objdump = run_ok(Command::new("x86_64-w64-mingw32-objdump").arg("-p").arg(&layout.module));
    let expected: Vec<String> = String::from_utf8_lossy(&objdump.stdout)
        .lines()
        .filter_map(|line| line.trim().strip_prefix("DLL Name: ").map(str::to_owned))
        .collect();
    assert!(expected.contains(&"libcrypto-1_1-x64.dll".to_owned()), "{expected:?}");
    assert_eq!(header.needed, expected);

    // Cut short in the middle of an imported DLL's name: the name has no end.
    let bytes = std::fs::read(&layout.module).unwrap();
    let name_at = bytes
        .windows(b"libcrypto-1_1-x64.dll\0".len())
        .position(|window| window == b"libcrypto-1_1-x64.dll\0")
        .expect("the name is in the file");
    let reason = parse_header(&bytes[..name_at + 5]).expect_err("a cut import table");
    assert_eq!(reason, "PE header: a DLL name is not terminated");
}

#[test]
fn windows_does_not_search_the_module_folder_for_its_dlls() {
    let layout = WindowsLayout::new();
    let report = resolve_pe_with(&layout.module, &layout.header(), &layout.search(&[]));
    let missing = report.missing();
    assert_eq!(missing.len(), 1, "{report:?}");
    assert_eq!(missing[0].name, "libcrypto-1_1-x64.dll");
    assert!(
        missing[0]
            .rejected
            .iter()
            .any(|note| note.contains("beside the module, but Windows does not search")),
        "{:?}",
        missing[0].rejected
    );
    let kernel = report
        .libraries
        .iter()
        .find(|dep| dep.name == "KERNEL32.dll")
        .expect("KERNEL32.dll listed");
    assert_eq!(
        kernel.found.as_deref(),
        Some(layout.system32.join("KERNEL32.dll").as_path())
    );
}

#[test]
fn dlls_found_through_path_are_followed_to_their_own_imports() {
    let layout = WindowsLayout::new();
    let report = resolve_pe_with(&layout.module, &layout.header(), &layout.search(&[&layout.install]));
    let crypto = report
        .libraries
        .iter()
        .find(|dep| dep.name == "libcrypto-1_1-x64.dll")
        .expect("libcrypto listed");
    assert_eq!(
        crypto.found.as_deref(),
        Some(layout.install.join("libcrypto-1_1-x64.dll").as_path())
    );
    let missing: Vec<_> = report
        .missing()
        .iter()
        .map(|dep| (dep.name.clone(), dep.needed_by.clone()))
        .collect();
    assert_eq!(
        missing,
        vec![("zlib1.dll".to_owned(), layout.install.join("libcrypto-1_1-x64.dll"))]
    );

    // With zlib1.dll in the program's folder, everything resolves; system DLLs appear once each.
    std::fs::copy(&layout.zlib, layout.program.join("zlib1.dll")).unwrap();
    let report = resolve_pe_with(&layout.module, &layout.header(), &layout.search(&[&layout.install]));
    assert!(report.missing().is_empty(), "{report:?}");
    let names: Vec<&str> = report.libraries.iter().map(|dep| dep.name.as_str()).collect();
    assert_eq!(
        names
            .iter()
            .filter(|name| name.eq_ignore_ascii_case("kernel32.dll"))
            .count(),
        1,
        "{names:?}"
    );
    assert!(names.contains(&"zlib1.dll"), "{names:?}");
}

#[test]
fn a_library_without_pkcs11_entry_points_fails_to_load_by_name_and_the_token_checks_say_so() {
    let dir = tempfile::tempdir().unwrap();
    let module = build_library(dir.path(), "notp11", "int unrelated(void) { return 1; }\n", &[]);
    let report = pkcs11::probe(
        &pkcs11::Helper::new(FXCONFIG),
        &ProbeRequest {
            module: module.clone(),
            token_label: None,
            action: Action::Probe,
        },
        None,
        None,
        Duration::from_secs(20),
    )
    .expect("the child reports the failure");
    match &report.load {
        Step::Failed(failure) => assert!(failure.message.contains("C_GetFunctionList"), "{failure:?}"),
        other => panic!("expected a load failure, got {other:?}"),
    }
    let skipped = [
        not_run_reason(&report.slots),
        not_run_reason(&report.token),
        not_run_reason(&report.mechanisms),
        not_run_reason(&report.login),
        not_run_reason(&report.objects),
        not_run_reason(&report.public_keys),
        not_run_reason(&report.sign),
    ];
    for reason in skipped {
        assert!(reason.contains("did not load"), "{reason}");
    }

    let options = DoctorOptions {
        module: Some(module),
        helper: Some(pkcs11::Helper::new(FXCONFIG)),
        timeout: Duration::from_secs(1),
        agent_socket: None,
        ..DoctorOptions::default()
    };
    let report = doctor::run(&options, &AtomicBool::new(false), &mut |_| {});
    let load = report.get(CheckId::Pkcs11Load).unwrap();
    assert_eq!(load.status, Status::Fail, "{load:?}");
    for (id, prerequisite) in [
        (CheckId::Pkcs11Slots, "(pkcs11.load) did not pass"),
        (CheckId::Pkcs11Login, "(pkcs11.slots) did not pass"),
        (CheckId::Pkcs11Keys, "(pkcs11.login) did not pass"),
        (CheckId::Pkcs11Sign, "(pkcs11.login) did not pass"),
    ] {
        let result = report.get(id).unwrap();
        assert_eq!(result.status, Status::Skip, "{result:?}");
        assert!(result.detail.contains(prerequisite), "{result:?}");
    }
}

/// Why a step did not run; panics when it ran.
fn not_run_reason<T: std::fmt::Debug>(step: &Step<T>) -> &str {
    match step {
        Step::NotRun(reason) => reason,
        other => panic!("expected a step that did not run, got {other:?}"),
    }
}

#[test]
fn a_module_that_crashes_takes_only_the_child_down() {
    let dir = tempfile::tempdir().unwrap();
    let module = build_library(
        dir.path(),
        "crashp11",
        "unsigned long C_GetFunctionList(void **list) { *(volatile int *)0 = 1; (void)list; return 0; }\n",
        &[],
    );
    let error = pkcs11::probe(
        &pkcs11::Helper::new(FXCONFIG),
        &ProbeRequest {
            module,
            token_label: None,
            action: Action::Info,
        },
        None,
        None,
        Duration::from_secs(20),
    )
    .unwrap_err();
    match &error {
        Pkcs11Error::HelperCrashed { status, .. } => assert!(status.contains("SIGSEGV"), "{status}"),
        other => panic!("expected HelperCrashed, got {other:?}"),
    }
}

#[test]
fn info_slots_keys_and_sign_test_on_softhsm() {
    let hsm = Hsm::new();
    let info = run_ok(
        hsm.command(FXCONFIG)
            .args(["p11", "--module", SOFTHSM, "--json", "info"]),
    );
    let info = json_of(&info);
    assert_eq!(info["load"]["status"], "done");
    assert_eq!(info["load"]["value"]["manufacturer"], "SoftHSM");
    assert_eq!(info["token"]["value"]["token"]["label"], TOKEN);
    let mechanisms: Vec<&str> = info["mechanisms"]["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap())
        .collect();
    assert!(mechanisms.contains(&"CKM_SHA256_RSA_PKCS") && mechanisms.contains(&"CKM_ECDSA"));

    let slots = json_of(&run_ok(
        hsm.command(FXCONFIG)
            .args(["p11", "--module", SOFTHSM, "--json", "slots"]),
    ));
    let labels: Vec<&str> = slots["slots"]["value"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s["token"]["label"].as_str())
        .collect();
    assert!(labels.contains(&TOKEN), "{labels:?}");

    let keys = hsm
        .command(FXCONFIG)
        .args([
            "p11",
            "--module",
            SOFTHSM,
            "--token",
            TOKEN,
            "--pin-env",
            "TEST_PIN",
            "--json",
            "keys",
        ])
        .env("TEST_PIN", PIN)
        .output()
        .unwrap();
    assert!(keys.status.success());
    let keys_json = json_of(&keys);
    assert_eq!(keys_json["login"]["value"], "logged_in");
    let objects = keys_json["objects"]["value"].as_array().unwrap();
    let find = |class: &str, key_type: &str| {
        objects
            .iter()
            .find(|o| o["class"] == class && o["key_type"] == key_type)
            .unwrap_or_else(|| panic!("{class} {key_type} in {objects:?}"))
    };
    assert_eq!(find("private key", "RSA")["bits"], 2048);
    assert_eq!(find("private key", "RSA")["id"], "01");
    assert_eq!(find("private key", "RSA")["label"], "ssh-key");
    assert_eq!(find("public key", "EC")["bits"], 256);
    assert_eq!(find("public key", "EC")["id"], "02");
    assert!(
        !String::from_utf8_lossy(&keys.stdout).contains(PIN),
        "the PIN is never printed"
    );

    let sign = hsm
        .command(FXCONFIG)
        .args(["p11", "--module", SOFTHSM, "--pin-stdin", "--json", "sign-test"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child.stdin.take().unwrap().write_all(format!("{PIN}\n").as_bytes())?;
            child.wait_with_output()
        })
        .unwrap();
    assert!(sign.status.success(), "{}", String::from_utf8_lossy(&sign.stdout));
    let tests = json_of(&sign)["sign"]["value"].as_array().unwrap().clone();
    assert_eq!(tests.len(), 2, "{tests:?}");
    for test in &tests {
        assert_eq!(test["verified"], true, "{test}");
    }
    let mechanisms: Vec<&str> = tests.iter().map(|t| t["mechanism"].as_str().unwrap()).collect();
    assert!(mechanisms.contains(&"CKM_SHA256_RSA_PKCS") && mechanisms.contains(&"CKM_ECDSA"));
    let rsa = tests.iter().find(|t| t["key_type"] == "RSA").unwrap();
    assert_eq!(rsa["signature_len"], 256);
}

#[test]
fn pubkeys_equals_ssh_keygen_d_line_for_line() {
    let hsm = Hsm::new();
    let ours = run_ok(hsm.command(FXCONFIG).args(["p11", "--module", SOFTHSM, "pubkeys"]));
    let ours = String::from_utf8(ours.stdout).unwrap();
    let reference = hsm.ssh_keygen_lines();
    assert_eq!(reference.lines().count(), 2, "{reference}");
    assert_eq!(ours, reference);
}

/// Writes a DER object to the token with pkcs11-tool (`cert` or `pubkey`).
fn write_object(hsm: &Hsm, file: &Path, kind: &str, label: &str, id: &str) {
    run_ok(
        hsm.pkcs11_tool()
            .arg("--write-object")
            .arg(file)
            .args(["--type", kind, "--label", label, "--id", id]),
    );
}

/// A self-signed certificate made by openssl, as DER, with its public key as DER.
fn openssl_certificate(dir: &Path, name: &str, subject: &[&str]) -> (PathBuf, PathBuf) {
    let [key, pem, der, public] = ["key", "pem", "der", "pub.der"].map(|ext| format!("{name}.{ext}"));
    let mut req = vec![
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-days",
        "2",
        "-keyout",
        &key,
        "-out",
        &pem,
    ];
    req.extend_from_slice(subject);
    openssl(dir, &req);
    openssl(dir, &["x509", "-outform", "der", "-in", &pem, "-out", &der]);
    openssl(
        dir,
        &["pkey", "-pubout", "-outform", "der", "-in", &key, "-out", &public],
    );
    (dir.join(der), dir.join(public))
}

#[test]
fn keys_from_certificate_objects_are_named_by_subject_as_ssh_keygen_d_does() {
    let hsm = Hsm::new();
    let dir = tempfile::tempdir().unwrap();
    // Certificates alone: OpenSSH names their keys by the subject in OpenSSL's one-line form,
    // bytes outside printable ASCII as \xHH, a multi-valued RDN joined with '+'.
    let (plain, _) = openssl_certificate(dir.path(), "plain", &["-subj", "/C=US/O=Futurex Test/CN=ssh client 1"]);
    write_object(&hsm, &plain, "cert", "plain-label", "11");
    let (utf8, _) = openssl_certificate(dir.path(), "utf8", &["-utf8", "-subj", "/O=Sécurité/CN=clé ssh"]);
    write_object(&hsm, &utf8, "cert", "utf8-label", "12");
    let (multi, _) = openssl_certificate(
        dir.path(),
        "multi",
        &[
            "-multivalue-rdn",
            "-subj",
            "/DC=example/OU=ops+UID=admin7/emailAddress=ops@example.test",
        ],
    );
    write_object(&hsm, &multi, "cert", "multi-label", "13");
    // A certificate whose key is also a public key object: listed once, under the key's label.
    let (twin, twin_public) = openssl_certificate(dir.path(), "twin", &["-subj", "/CN=twin certificate"]);
    write_object(&hsm, &twin_public, "pubkey", "twin-key", "14");
    write_object(&hsm, &twin, "cert", "twin-cert", "14");

    let ours = run_ok(hsm.command(FXCONFIG).args(["p11", "--module", SOFTHSM, "pubkeys"]));
    let ours = String::from_utf8(ours.stdout).unwrap();
    let reference = hsm.ssh_keygen_lines();
    assert_eq!(reference.lines().count(), 6, "{reference}");
    for comment in [
        "/C=US/O=Futurex Test/CN=ssh client 1",
        "/O=S\\xC3\\xA9curit\\xC3\\xA9/CN=cl\\xC3\\xA9 ssh",
        "twin-key",
    ] {
        assert!(
            reference.lines().any(|line| line.ends_with(comment)),
            "{comment} in {reference}"
        );
    }
    assert!(
        !reference.contains("twin certificate") && !reference.contains("-label"),
        "{reference}"
    );
    assert_eq!(ours, reference);
}

#[test]
fn a_wrong_pin_is_named_by_its_ckr_code_and_never_shown() {
    let hsm = Hsm::new();
    let wrong = "wrong-pin-5550";
    let output = hsm
        .command(FXCONFIG)
        .args(["p11", "--module", SOFTHSM, "--pin-env", "TEST_PIN", "sign-test"])
        .env("TEST_PIN", wrong)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("CKR_PIN_INCORRECT") && stdout.contains("remedy:"),
        "{stdout}"
    );
    assert!(!stdout.contains(wrong) && !String::from_utf8_lossy(&output.stderr).contains(wrong));
}

#[test]
fn an_unknown_token_label_lists_the_labels_present() {
    let hsm = Hsm::new();
    let output = hsm
        .command(FXCONFIG)
        .args(["p11", "--module", SOFTHSM, "--token", "nope", "info"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("no token is labelled \"nope\"") && stdout.contains(TOKEN),
        "{stdout}"
    );
}

#[test]
fn the_child_process_loads_the_module_with_fxpkcs11_cfg_set() {
    let hsm = Hsm::new();
    let cfg = hsm.path().join("fxpkcs11.cfg");
    std::fs::write(&cfg, "<CONFIG>\n</CONFIG>\n").unwrap();
    let pin = Secret::new(PIN);
    let report = pkcs11::probe(
        &hsm.helper(),
        &ProbeRequest {
            module: PathBuf::from(SOFTHSM),
            token_label: Some(TOKEN.to_owned()),
            action: Action::Probe,
        },
        Some(&pin),
        Some(&cfg),
        Duration::from_secs(30),
    )
    .expect("probe");
    assert_eq!(report.fxpkcs11_cfg.as_deref(), Some(cfg.as_path()));
    assert_eq!(report.public_keys.done().map(Vec::len), Some(2));
    assert!(report.sign.done().is_some_and(|tests| tests.iter().all(|t| t.verified)));
}

/// The module is the arbiter: when it finds its token while fxconfig's own connection
/// failed, the report says that the module's result is what ssh will see.
#[test]
fn the_module_is_named_the_arbiter_when_it_and_the_connection_disagree() {
    let hsm = Hsm::new();
    let lab = Lab::new();
    lab.write_cfg("127.0.0.1", crate::support::net::free_port());
    let options = DoctorOptions {
        config: Some(lab.cfg.clone()),
        module: Some(PathBuf::from(SOFTHSM)),
        pin: Some(Secret::new(PIN)),
        token_label: Some(TOKEN.to_owned()),
        helper: Some(hsm.helper()),
        timeout: Duration::from_secs(1),
        ..DoctorOptions::default()
    };
    let report = doctor::run(&options, &AtomicBool::new(false), &mut |_| {});
    assert_eq!(report.get(CheckId::NetConnect).unwrap().status, Status::Fail);
    let slots = report.get(CheckId::Pkcs11Slots).unwrap();
    assert_eq!(slots.status, Status::Pass, "{slots:?}");
    assert!(
        slots.detail.contains("the module's result is what ssh will see"),
        "{slots:?}"
    );

    // When both agree, nothing is added.
    let sim = lab.start_sim(None);
    lab.write_cfg("127.0.0.1", sim.local_addr().port());
    let report = doctor::run(&options, &AtomicBool::new(false), &mut |_| {});
    let slots = report.get(CheckId::Pkcs11Slots).unwrap();
    assert!(!slots.detail.contains("what ssh will see"), "{slots:?}");
}

#[test]
fn the_doctor_runs_the_module_checks_after_the_connection_checks() {
    let hsm = Hsm::new();
    let lab = Lab::new();
    let sim = lab.start_sim(None);
    lab.write_cfg("127.0.0.1", sim.local_addr().port());
    let options = DoctorOptions {
        config: Some(lab.cfg.clone()),
        module: Some(PathBuf::from(SOFTHSM)),
        pin: Some(Secret::new(PIN)),
        token_label: Some(TOKEN.to_owned()),
        helper: Some(hsm.helper()),
        agent_socket: None,
        ..DoctorOptions::default()
    };
    let mut seen = Vec::new();
    let report = doctor::run(&options, &AtomicBool::new(false), &mut |r| seen.push(r.id));
    let expected: Vec<CheckId> = CheckId::ALL.iter().chain(CheckId::MODULE.iter()).copied().collect();
    assert_eq!(seen, expected);
    // Without --ssh and without an agent, the checks of a target and of the agent skip.
    let skipped = [CheckId::SshConfig, CheckId::SshAgent, CheckId::SshLogin];
    for id in CheckId::MODULE.into_iter().filter(|id| !skipped.contains(id)) {
        let result = report.get(id).unwrap();
        assert_eq!(result.status, Status::Pass, "{result:?}");
    }
    for id in skipped {
        assert_eq!(report.get(id).unwrap().status, Status::Skip, "{id}");
    }
    assert!(
        report
            .get(CheckId::Pkcs11Load)
            .unwrap()
            .detail
            .contains(&lab.cfg.display().to_string())
    );
    assert!(report.get(CheckId::Pkcs11Keys).unwrap().detail.contains("SHA256:"));
    assert_eq!(report.get(CheckId::SshLogin).unwrap().status, Status::Skip);
    assert!(report.ok);
    let text = serde_json::to_string(&report).unwrap();
    assert!(!text.contains(PIN), "the PIN never reaches the report");

    let without_pin = DoctorOptions { pin: None, ..options };
    let report = doctor::run(&without_pin, &AtomicBool::new(false), &mut |_| {});
    let login = report.get(CheckId::Pkcs11Login).unwrap();
    assert_eq!(login.status, Status::Warn);
    assert!(login.remedy.contains("REQUIRE-LOGIN-FLAG"), "{login:?}");
    assert_eq!(report.get(CheckId::Pkcs11Sign).unwrap().status, Status::Skip);
}

#[test]
fn the_doctor_stops_at_the_missing_dependency() {
    let dir = tempfile::tempdir().unwrap();
    let dep = build_library(dir.path(), "gone", "int gone(void) { return 1; }\n", &[]);
    let module = build_library(
        dir.path(),
        "needsgone",
        "int gone(void);\nint f(void) { return gone(); }\n",
        &["-lgone"],
    );
    std::fs::remove_file(dep).unwrap();
    let options = DoctorOptions {
        module: Some(module),
        helper: Some(pkcs11::Helper::new(FXCONFIG)),
        timeout: Duration::from_secs(1),
        agent_socket: None,
        ..DoctorOptions::default()
    };
    let report = doctor::run(&options, &AtomicBool::new(false), &mut |_| {});
    assert_eq!(report.get(CheckId::Pkcs11Module).unwrap().status, Status::Pass);
    let deps = report.get(CheckId::Pkcs11Deps).unwrap();
    assert_eq!(deps.status, Status::Fail);
    assert!(deps.detail.contains("libgone.so"), "{deps:?}");
    assert!(deps.remedy.ends_with("[2.2]"), "{deps:?}");
    // ssh.client needs nothing of the module; the others skip behind the failed check.
    let ran = [CheckId::Pkcs11Module, CheckId::Pkcs11Deps, CheckId::SshClient];
    for id in CheckId::MODULE.into_iter().filter(|id| !ran.contains(id)) {
        assert_eq!(report.get(id).unwrap().status, Status::Skip, "{id}");
    }
}

#[test]
fn p384_and_p521_keys_sign_verify_and_match_ssh_keygen() {
    let hsm = Hsm::new();
    hsm.keygen("EC:secp384r1", "ec384-key", "03");
    hsm.keygen("EC:secp521r1", "ec521-key", "04");
    let sign = hsm
        .command(FXCONFIG)
        .args([
            "p11",
            "--module",
            SOFTHSM,
            "--pin-env",
            "TEST_PIN",
            "--json",
            "sign-test",
        ])
        .env("TEST_PIN", PIN)
        .output()
        .unwrap();
    assert!(sign.status.success(), "{}", String::from_utf8_lossy(&sign.stdout));
    let tests = json_of(&sign)["sign"]["value"].as_array().unwrap().clone();
    assert_eq!(tests.len(), 4, "{tests:?}");
    for test in &tests {
        assert_eq!(test["verified"], true, "{test}");
    }
    let ours = run_ok(hsm.command(FXCONFIG).args(["p11", "--module", SOFTHSM, "pubkeys"]));
    let ours = String::from_utf8(ours.stdout).unwrap();
    let reference = hsm.ssh_keygen_lines();
    assert_eq!(reference.lines().count(), 4, "{reference}");
    assert_eq!(ours, reference);
}

/// A module that talks on standard output: SoftHSM behind a wrapper whose
/// `C_GetFunctionList` prints first. Its chatter must never be taken for the helper's report
/// (issue 19, fault 2): the load passes, and what it printed is shown, bounded and escaped.
fn chatty_module(dir: &Path, name: &str, printing: &str) -> PathBuf {
    let source = format!(
        "#include <dlfcn.h>\n#include <stdio.h>\n#include <string.h>\n\
         typedef unsigned long (*get_list)(void **);\n\
         unsigned long C_GetFunctionList(void **list) {{\n\
           {printing}\n\
           fflush(stdout);\n\
           void *softhsm = dlopen(\"{SOFTHSM}\", RTLD_NOW | RTLD_LOCAL);\n\
           if (!softhsm) return 5;\n\
           get_list real = (get_list)dlsym(softhsm, \"C_GetFunctionList\");\n\
           return real ? real(list) : 5;\n\
         }}\n"
    );
    build_library(dir, name, &source, &["-ldl"])
}

#[test]
fn what_a_module_prints_is_shown_and_never_taken_for_the_report() {
    let hsm = Hsm::new();
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (
            "line",
            r#"puts("libhostile: debug logging enabled");"#,
            "libhostile: debug logging enabled",
        ),
        (
            "json",
            r#"puts("{\"module\":\"/fake\",\"load\":{\"status\":\"failed\",\"value\":{\"function\":\"C_Initialize\",\"code\":5,\"message\":\"forged\"}}}");"#,
            "forged",
        ),
        (
            "flood",
            r#"static char chunk[65536]; memset(chunk, 'x', sizeof chunk); for (int i = 0; i < 1600; i++) fwrite(chunk, 1, sizeof chunk, stdout); putchar(0x1b);"#,
            "bytes in all",
        ),
    ];
    for (name, printing, shown) in cases {
        let module = chatty_module(dir.path(), name, printing);
        let request = ProbeRequest {
            module: module.clone(),
            token_label: Some(TOKEN.to_owned()),
            action: Action::Probe,
        };
        let report = pkcs11::probe(&hsm.helper(), &request, None, None, Duration::from_secs(60))
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(matches!(report.load, Step::Done(_)), "{name}: {:?}", report.load);
        assert!(matches!(report.token, Step::Done(_)), "{name}: {:?}", report.token);
        let output = report.module_output.as_deref().unwrap_or_default();
        assert!(output.contains(shown), "{name}: {output:.200}");
        assert!(
            output.len() < 4096,
            "{name}: the output kept is bounded ({} bytes)",
            output.len()
        );
        assert!(!output.contains('\u{1b}'), "{name}: control characters are escaped");
    }
}

/// SoftHSM behind a wrapper whose `C_GetSlotList` reports `count` slots (and fills a list
/// that large when given room): its function list is SoftHSM's with that one entry replaced.
fn module_reporting_slots(dir: &Path, name: &str, count: &str) -> PathBuf {
    let source = format!(
        "#include <dlfcn.h>\n#include <string.h>\n\
         typedef unsigned long (*get_list)(void **);\n\
         static unsigned char list[8 + 68 * sizeof(void *)];\n\
         static unsigned long slots(unsigned char present, unsigned long *out, unsigned long *count) {{\n\
           (void)present;\n\
           const unsigned long reported = {count};\n\
           if (!out) {{ *count = reported; return 0; }}\n\
           if (*count < reported) {{ *count = reported; return 0x150; }}\n\
           for (unsigned long i = 0; i < reported; i++) out[i] = i;\n\
           *count = reported;\n\
           return 0;\n\
         }}\n\
         unsigned long C_GetFunctionList(void **out) {{\n\
           void *softhsm = dlopen(\"{SOFTHSM}\", RTLD_NOW | RTLD_LOCAL);\n\
           if (!softhsm) return 5;\n\
           get_list real = (get_list)dlsym(softhsm, \"C_GetFunctionList\");\n\
           void *real_list = 0;\n\
           if (!real || real(&real_list) != 0) return 5;\n\
           memcpy(list, real_list, sizeof list);\n\
           ((void **)(list + 8))[4] = (void *)slots;\n\
           *out = list;\n\
           return 0;\n\
         }}\n"
    );
    build_library(dir, name, &source, &["-ldl"])
}

/// Issue 19, fault 3: absurd counts from a module are a named failure within seconds, not an
/// allocation that grows for as long as the bound allows, nor a panic: the walk runs in the
/// helper (also for `p11`), whose address space is limited to 2 GiB.
#[test]
fn absurd_slot_counts_are_named_failures_not_allocations_or_panics() {
    let hsm = Hsm::new();
    let dir = tempfile::tempdir().unwrap();
    for (name, count, said) in [
        ("many", "1UL << 28", "memory allocation of"),
        ("max", "~0UL", "capacity overflow"),
    ] {
        let module = module_reporting_slots(dir.path(), name, count);
        let started = std::time::Instant::now();
        let output = hsm
            .command("/usr/bin/time")
            .args(["-f", "max-rss-kb %M"])
            .arg(FXCONFIG)
            .args(["p11", "--module"])
            .arg(&module)
            .arg("slots")
            .output()
            .unwrap();
        let elapsed = started.elapsed();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{name}: {stderr}");
        assert!(
            stderr.contains(said) || String::from_utf8_lossy(&output.stdout).contains(said),
            "{name}: {stderr}"
        );
        assert!(!stderr.contains("panicked"), "{name}: {stderr}");
        assert!(elapsed < Duration::from_secs(10), "{name}: took {elapsed:?}");
        let rss_kb: u64 = stderr
            .lines()
            .find_map(|line| line.strip_prefix("max-rss-kb "))
            .and_then(|kb| kb.trim().parse().ok())
            .unwrap_or(u64::MAX);
        eprintln!("{name}: {elapsed:?}, peak RSS {rss_kb} kB");
        assert!(rss_kb <= 64 * 1024, "{name}: peak RSS {rss_kb} kB");
    }
}
