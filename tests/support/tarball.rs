//! A fake fxpkcs11 tarball ([2.2]) unpacked in a temporary folder, with real module builds
//! compiled here by gcc (and linked by binutils' ld for the 32-bit one): the layout
//! `fxpkcs11/fxpkcs11.cfg` and `fxpkcs11/{x64,x86}/OpenSSL-1.x.x/libfxpkcs11.so`.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use super::tools::run_ok;

/// The folder `bin/fxpkcs11` of a temporary "home", so that `HOME=home` makes it the
/// guide's `$HOME/bin/fxpkcs11`.
pub struct FakeTarball {
    /// The temporary home folder, deleted with the tarball.
    pub home: tempfile::TempDir,
    /// `home/bin/fxpkcs11`.
    pub root: PathBuf,
    /// `root/fxpkcs11.cfg`.
    pub cfg: PathBuf,
    /// `x64/OpenSSL-1.1.x/libfxpkcs11.so`: an x86-64 shared library that needs only libc.
    pub fitting: PathBuf,
    /// `x64/OpenSSL-1.0.x/libfxpkcs11.so`: an x86-64 shared library that needs
    /// `libssl.so.1.0.0`, which is nowhere on this machine.
    pub missing_libssl: PathBuf,
    /// `x86/OpenSSL-1.1.x/libfxpkcs11.so`: a genuine i386 shared library.
    pub x86: PathBuf,
}

/// The soname of the OpenSSL 1.0 library the `missing_libssl` build needs.
pub const MISSING_LIBSSL: &str = "libssl.so.1.0.0";

/// The module's one function; enough for the header and dependency checks.
const MODULE_SOURCE: &str = "int C_GetFunctionList(void **list) { *list = 0; return 0; }\n";

impl FakeTarball {
    /// Unpacks the layout with `cfg_text` as the tarball's `fxpkcs11.cfg`.
    pub fn new(cfg_text: &str) -> FakeTarball {
        let home = tempfile::tempdir().expect("temporary home");
        let root = home.path().join("bin").join("fxpkcs11");
        let build = |arch: &str, openssl: &str| {
            let folder = root.join(arch).join(openssl);
            fs::create_dir_all(&folder).expect("build folder");
            folder.join("libfxpkcs11.so")
        };
        let (fitting, missing_libssl, x86) = (
            build("x64", "OpenSSL-1.1.x"),
            build("x64", "OpenSSL-1.0.x"),
            build("x86", "OpenSSL-1.1.x"),
        );
        let scratch = tempfile::tempdir().expect("scratch folder");
        let source = scratch.path().join("module.c");
        fs::write(&source, MODULE_SOURCE).expect("module source");

        run_ok(
            Command::new("gcc")
                .args(["-shared", "-fPIC", "-o"])
                .arg(&fitting)
                .arg(&source),
        );

        // Linked against a stand-in libssl that is then removed with the scratch folder.
        let libssl = scratch.path().join(MISSING_LIBSSL);
        let libssl_source = scratch.path().join("ssl.c");
        fs::write(&libssl_source, "int SSL_library_init(void) { return 1; }\n").expect("libssl source");
        run_ok(
            Command::new("gcc")
                .args(["-shared", "-fPIC"])
                .arg(format!("-Wl,-soname,{MISSING_LIBSSL}"))
                .arg("-o")
                .arg(&libssl)
                .arg(&libssl_source),
        );
        let needs_ssl = scratch.path().join("needs_ssl.c");
        fs::write(
            &needs_ssl,
            "int SSL_library_init(void);\nint C_GetFunctionList(void **list) { *list = 0; return SSL_library_init(); }\n",
        )
        .expect("module source");
        run_ok(
            Command::new("gcc")
                .args(["-shared", "-fPIC", "-o"])
                .arg(&missing_libssl)
                .arg(&needs_ssl)
                .arg(&libssl),
        );

        // gcc compiles 32-bit code and ld links it without a 32-bit libc.
        let object = scratch.path().join("module32.o");
        run_ok(
            Command::new("gcc")
                .args(["-m32", "-fPIC", "-c", "-o"])
                .arg(&object)
                .arg(&source),
        );
        run_ok(
            Command::new("ld")
                .args(["-m", "elf_i386", "-shared", "-o"])
                .arg(&x86)
                .arg(&object),
        );

        let cfg = root.join("fxpkcs11.cfg");
        fs::write(&cfg, cfg_text).expect("tarball cfg");
        FakeTarball {
            home,
            root,
            cfg,
            fitting,
            missing_libssl,
            x86,
        }
    }

    /// The temporary home folder.
    pub fn home(&self) -> &Path {
        self.home.path()
    }
}
