//! What a screen reader finds: the real program under Xvfb with a private AT-SPI bus
//! (`tests/support/atspi-session.sh`), its accessible tree dumped through pyatspi for the
//! first run and the demo, on the opening screen, the Connection test and the troubleshooting
//! screen. The window is named, every button has a name of its own, the fields carry their
//! labels, and the verdict is there to be read.

use std::collections::HashMap;
use std::path::Path;
use std::process::Command;

/// One object of a dump: its role and name.
struct Node {
    role: String,
    name: String,
}

/// The window names and the objects of one dump.
fn read_dump(path: &Path) -> (Vec<String>, Vec<Node>) {
    let text = std::fs::read_to_string(path).unwrap_or_else(|error| panic!("{}: {error}", path.display()));
    let mut lines = text.lines();
    let head: serde_json::Value = serde_json::from_str(lines.next().expect("a head line")).expect("JSON");
    let frames = head["frames"]
        .as_array()
        .expect("frames")
        .iter()
        .map(|frame| frame.as_str().unwrap_or_default().to_owned())
        .collect();
    let nodes = lines
        .map(|line| serde_json::from_str::<serde_json::Value>(line).expect("a JSON line"))
        .filter(|record| record.get("role").is_some())
        .map(|record| Node {
            role: record["role"].as_str().unwrap_or_default().to_owned(),
            name: record["name"].as_str().unwrap_or_default().to_owned(),
        })
        .collect();
    (frames, nodes)
}

#[test]
fn a_screen_reader_finds_a_named_window_unique_buttons_named_fields_and_the_verdict() {
    let out = tempfile::tempdir().expect("a folder for the dumps");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/atspi-session.sh");
    let status = Command::new("bash")
        .arg(&script)
        .arg(out.path())
        .env("FXCONFIG_BIN", env!("CARGO_BIN_EXE_fxconfig"))
        .status()
        .expect("bash runs");
    assert!(
        status.success(),
        "the AT-SPI session failed ({status}); logs in {}",
        out.path().join("logs").display()
    );
    let mut dumps = 0;
    for run in ["firstrun", "demo"] {
        for screen in ["home", "connection", "troubleshooting"] {
            let (frames, nodes) = read_dump(&out.path().join(format!("{run}-{screen}.jsonl")));
            dumps += 1;
            assert_eq!(frames.len(), 1, "{run}-{screen}: {frames:?}");
            assert!(
                frames[0].starts_with("fxconfig — "),
                "{run}-{screen}: window named {:?}",
                frames[0]
            );
            let mut buttons: HashMap<&str, usize> = HashMap::new();
            for node in nodes.iter().filter(|node| node.role.ends_with("button")) {
                assert!(
                    !node.name.trim().is_empty(),
                    "{run}-{screen}: a {} without a name",
                    node.role
                );
                *buttons.entry(node.name.as_str()).or_default() += 1;
            }
            let repeated: Vec<_> = buttons.iter().filter(|(_, count)| **count > 1).collect();
            assert!(
                repeated.is_empty(),
                "{run}-{screen}: buttons sharing a name: {repeated:?}"
            );
            for node in nodes
                .iter()
                .filter(|node| node.role == "entry" || node.role == "password text")
            {
                assert!(!node.name.trim().is_empty(), "{run}-{screen}: an unnamed field");
            }
        }
    }
    assert_eq!(dumps, 6);
    let has = |file: &str, role: &str, name: &str| {
        read_dump(&out.path().join(file))
            .1
            .iter()
            .any(|node| node.role == role && node.name == name)
    };
    assert!(has("demo-home.jsonl", "entry", "KMES address"));
    assert!(has("demo-home.jsonl", "password text", "PKCS#12 password"));
    assert!(has("demo-home.jsonl", "push button", "Browse… (Root CA certificate)"));
    assert!(has("demo-home.jsonl", "toggle button", "Show the KMES user password"));
    assert!(has("demo-connection.jsonl", "push button", "Run test"));
    assert!(
        has(
            "demo-connection.jsonl",
            "paragraph",
            "Not run yet: press Enter or Run test."
        ),
        "the verdict is a keyboard stop a screen reader reads"
    );
}
