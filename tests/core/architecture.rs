//! The library's modules import one another in one direction only: the listing of
//! `tests/support/import_circles.py` (every `use` and inline path between the files of `src/`)
//! finds no circle.

use std::process::Command;

fn import_listing() -> String {
    let root = env!("CARGO_MANIFEST_DIR");
    let output = Command::new("python3")
        .arg(format!("{root}/tests/support/import_circles.py"))
        .arg(format!("{root}/src"))
        .output()
        .expect("python3 runs (tests/system-deps.sh installs it)");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).expect("UTF-8 listing")
}

#[test]
fn the_library_has_no_import_circle() {
    let listing = import_listing();
    assert!(
        listing.trim_end().ends_with("import circles: none"),
        "{}",
        listing.lines().last().unwrap_or_default()
    );
    // The listing sees real imports: the modules the untangling separated depend one way.
    let imports_of = |module: &str| {
        listing
            .lines()
            .find_map(|line| line.strip_prefix(&format!("{module} -> ")).map(str::to_owned))
            .unwrap_or_default()
    };
    assert!(
        imports_of("app::tasks").split(", ").any(|m| m == "app::model"),
        "{listing}"
    );
    assert!(
        !imports_of("app::model").split(", ").any(|m| m == "app::tasks"),
        "{listing}"
    );
    assert!(
        imports_of("identity::certinfo")
            .split(", ")
            .any(|m| m == "identity::der"),
        "{listing}"
    );
}

/// The listing follows an inline path through the name a `use` binds: `chrome` importing
/// `screens` and calling `screens::troubleshooting::show`, while `troubleshooting` imports
/// `chrome`, is a circle (the one the listing missed before it followed such names).
#[test]
fn the_listing_sees_a_circle_through_a_name_bound_by_use() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let src = dir.path().join("src");
    std::fs::create_dir_all(src.join("screens")).unwrap();
    std::fs::write(src.join("lib.rs"), "mod chrome;\nmod screens;\n").unwrap();
    std::fs::write(
        src.join("chrome.rs"),
        "use super::screens::{self, Screen};\npub fn frame() {}\nfn draw() { screens::troubleshooting::show(); }\n",
    )
    .unwrap();
    std::fs::write(
        src.join("screens/mod.rs"),
        "pub mod troubleshooting;\npub struct Screen;\n",
    )
    .unwrap();
    std::fs::write(
        src.join("screens/troubleshooting.rs"),
        "pub fn show() { super::super::chrome::frame(); }\n",
    )
    .unwrap();
    let root = env!("CARGO_MANIFEST_DIR");
    let output = Command::new("python3")
        .arg(format!("{root}/tests/support/import_circles.py"))
        .arg(&src)
        .output()
        .expect("python3 runs");
    let listing = String::from_utf8_lossy(&output.stdout);
    assert!(
        listing
            .trim_end()
            .ends_with("import circles: [['chrome', 'screens::troubleshooting']]"),
        "{listing}"
    );
}

/// The app stays organised by feature: `FxApp` only routes (at most 12 fields, each a
/// feature's state or the window's), and no file under `src/app` grows past 600 lines.
#[test]
fn the_app_is_a_small_router_over_small_files() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/app");
    let app = std::fs::read_to_string(root.join("mod.rs")).expect("src/app/mod.rs");
    let start = app.find("pub struct FxApp {").expect("FxApp");
    let body = &app[start..start + app[start..].find("\n}\n").expect("end of FxApp")];
    let fields = body
        .lines()
        .skip(1)
        .filter(|line| line.trim_end().ends_with(','))
        .count();
    assert!((1..=12).contains(&fields), "FxApp has {fields} fields");
    let mut stack = vec![root];
    let mut seen = 0;
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("a folder of src/app") {
            let path = entry.expect("an entry").path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|ext| ext == "rs") {
                seen += 1;
                let lines = std::fs::read_to_string(&path).expect("a source file").lines().count();
                assert!(lines <= 600, "{} has {lines} lines", path.display());
            }
        }
    }
    assert!(seen > 20, "only {seen} files seen");
}
