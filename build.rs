//! Build script: for Windows targets, links the icon and the application manifest
//! (`packaging/windows/fxconfig.rc`) into both programs with the target's `windres`.
//! For every other target it does nothing.

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let target_os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    if target_os != "windows" {
        return;
    }
    for input in ["fxconfig.rc", "fxconfig.manifest", "fxconfig.ico"] {
        println!("cargo:rerun-if-changed=packaging/windows/{input}");
    }
    if let Err(error) =
        embed_resource::compile("packaging/windows/fxconfig.rc", embed_resource::NONE).manifest_required()
    {
        // `cargo::error` fails the build with this message.
        println!("cargo::error=cannot embed the Windows resources (icon, manifest): {error}");
    }
}
