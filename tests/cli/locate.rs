//! `fxconfig locate`: a fake tarball in `$HOME/bin/fxpkcs11` with a build that fits, a
//! 32-bit build and a build whose libssl is missing, reported in text and JSON; the exit
//! code once the library's file exists.

use std::path::Path;
use std::process::Output;

use fxconfig::cfg::blank_template;
use serde_json::Value;

use super::process::{all_output, stdout_of};
use crate::support::tarball::{FakeTarball, MISSING_LIBSSL};
use crate::support::tools::fxconfig;

/// `fxconfig locate ARGS` with the tarball's home as `HOME` and `FXPKCS11_CFG` set to `library`.
fn locate(tarball: &FakeTarball, library: &Path, args: &[&str]) -> Output {
    fxconfig()
        .arg("locate")
        .args(args)
        .env("HOME", tarball.home())
        .env("FXPKCS11_CFG", library)
        .output()
        .unwrap()
}

fn json_module<'a>(json: &'a Value, path: &Path) -> &'a Value {
    json["modules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|module| module["path"] == path.display().to_string())
        .unwrap_or_else(|| panic!("{} not in {json:#}", path.display()))
}

/// The lines printed for one module: its verdict line and the indented lines below it.
fn text_block(text: &str, path: &Path) -> String {
    let wanted = path.display().to_string();
    let mut lines = text.lines().skip_while(|line| !line.ends_with(&wanted));
    let first = lines.next().unwrap_or_else(|| panic!("{wanted} not in {text}"));
    let rest: Vec<&str> = lines.take_while(|line| line.starts_with("        ")).collect();
    format!("{first}\n{}", rest.join("\n"))
}

#[test]
fn locate_reports_each_build_in_text_and_json() {
    let tarball = FakeTarball::new(&blank_template());
    let library = tarball.home().join("fxpkcs11.cfg");

    let output = locate(&tarball, &library, &["--json"]);
    assert_eq!(
        output.status.code(),
        Some(1),
        "no library file yet: {}",
        all_output(&output)
    );
    let json: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["library_reads"], library.display().to_string());
    assert_eq!(json["library_source"], "env_var");
    assert_eq!(json["library_file_exists"], false);
    let configs = json["configs"].as_array().unwrap();
    assert_eq!(configs.len(), 1, "{json:#}");
    assert_eq!(configs[0]["path"], tarball.cfg.display().to_string());
    assert_eq!(configs[0]["read_by_library"], false);
    assert_eq!(configs[0]["state"], "library_file_missing");

    let fitting = json_module(&json, &tarball.fitting);
    assert_eq!(fitting["bits"], 64);
    assert_eq!(fitting["machine"], "x86-64");
    assert_eq!(fitting["openssl"], "1.1.x");
    assert_eq!(fitting["fits"], true);
    assert_eq!(fitting["why"], Value::Null);

    let x86 = json_module(&json, &tarball.x86);
    assert_eq!(x86["bits"], 32);
    assert_eq!(x86["machine"], "x86 (i386)");
    assert_eq!(x86["openssl"], "1.1.x");
    assert_eq!(x86["fits"], false);
    assert!(x86["why"].as_str().unwrap().contains("built for another platform"));

    let missing = json_module(&json, &tarball.missing_libssl);
    assert_eq!(missing["bits"], 64);
    assert_eq!(missing["machine"], "x86-64");
    assert_eq!(missing["openssl"], "1.0.x");
    assert_eq!(missing["fits"], false);
    assert!(missing["why"].as_str().unwrap().contains(MISSING_LIBSSL));
    assert_eq!(missing["guide"], "2.2");
    assert_eq!(json["recommended_module"], tarball.fitting.display().to_string());

    let output = locate(&tarball, &library, &[]);
    assert_eq!(output.status.code(), Some(1));
    let text = stdout_of(&output);
    assert!(
        text.contains(&format!(
            "reads {} (set by FXPKCS11_CFG); it does not exist",
            library.display()
        )),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "install it with `sudo install -m 600 {} {}`",
            tarball.cfg.display(),
            library.display()
        )),
        "{text}"
    );
    let fitting = text_block(&text, &tarball.fitting);
    assert!(fitting.starts_with("  FITS  "), "{fitting}");
    assert!(
        fitting.contains("ELF 64-bit x86-64 shared library; OpenSSL 1.1.x"),
        "{fitting}"
    );
    let x86 = text_block(&text, &tarball.x86);
    assert!(x86.starts_with("  NO    "), "{x86}");
    assert!(
        x86.contains("ELF 32-bit x86 (i386) shared library; OpenSSL 1.1.x"),
        "{x86}"
    );
    assert!(
        x86.contains("why: ") && x86.contains("remedy: ") && x86.contains("[2.2]"),
        "{x86}"
    );
    let missing = text_block(&text, &tarball.missing_libssl);
    assert!(missing.starts_with("  NO    "), "{missing}");
    assert!(missing.contains(&format!("needs {MISSING_LIBSSL}")), "{missing}");
    assert!(
        missing.contains(&format!("will not find: {MISSING_LIBSSL}")),
        "{missing}"
    );
    assert!(
        text.contains(&format!("Use this build: {}", tarball.fitting.display())),
        "{text}"
    );

    // Once the library's file exists, a fitting build makes it exit 0; the tarball's copy is
    // now a stale one.
    let init = fxconfig().args(["config", "init"]).arg(&library).output().unwrap();
    assert!(init.status.success(), "{}", all_output(&init));
    std::fs::write(&tarball.cfg, "<KMS>\n    <ADDRESS> kmes.example </ADDRESS>\n</KMS>\n").unwrap();
    let output = locate(&tarball, &library, &[]);
    assert_eq!(output.status.code(), Some(0), "{}", all_output(&output));
    let text = stdout_of(&output);
    assert!(text.contains("it exists"), "{text}");
    assert!(text.contains("NOT read by the library, and it differs"), "{text}");
    let output = locate(&tarball, &library, &["--json"]);
    let json: Value = serde_json::from_slice(&output.stdout).unwrap();
    let states: Vec<(&str, bool)> = json["configs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|config| {
            (
                config["state"].as_str().unwrap(),
                config["read_by_library"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(states, [("read_by_library", true), ("differs_from_library", false)]);
}

#[test]
fn locate_searches_a_folder_given_and_the_folder_of_a_module() {
    let tarball = FakeTarball::new(&blank_template());
    let elsewhere = tempfile::tempdir().unwrap();
    let library = elsewhere.path().join("fxpkcs11.cfg");
    let home = elsewhere.path().join("home");
    let root = tarball.root.display().to_string();

    let run = |args: &[&str]| {
        let output = fxconfig()
            .arg("locate")
            .args(args)
            .env("HOME", &home)
            .env("FXPKCS11_CFG", &library)
            .output()
            .unwrap();
        serde_json::from_slice::<Value>(&output.stdout).unwrap()
    };
    let json = run(&["--json"]);
    assert!(
        json["modules"]
            .as_array()
            .unwrap()
            .iter()
            .all(|module| !module["path"].as_str().unwrap().starts_with(&root)),
        "the tarball is outside the guide's folders here: {json:#}"
    );

    let json = run(&["--json", "--dir", &root]);
    assert_eq!(json_module(&json, &tarball.fitting)["origin"], "given");
    assert_eq!(json_module(&json, &tarball.x86)["fits"], false);

    let module = tarball.missing_libssl.display().to_string();
    let json = run(&["--json", "--module", &module]);
    let given = json_module(&json, &tarball.missing_libssl);
    assert_eq!(given["given"], true);
    assert_eq!(given["fits"], false);
    assert_eq!(json_module(&json, &tarball.fitting)["fits"], true);
    assert_eq!(json["configs"][0]["path"], tarball.cfg.display().to_string());
}
