//! The real program opens a real window: `fxconfig demo` under Xvfb (software rendering,
//! no GPU), found by its title, photographed, and closed with Ctrl+Q. Without any display
//! it says why on standard error and exits non-zero. Needs Xvfb, xdotool and ImageMagick's
//! `import` (tests/system-deps.sh installs them).

use std::fs;
use std::process::{Child, Command, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant};

use crate::support::tools::fxconfig;

/// An Xvfb server on a free display, stopped on drop.
struct Xvfb {
    child: Child,
    display: String,
}

impl Xvfb {
    /// Starts Xvfb on a display it picks itself (`-displayfd`), so tests running at the same
    /// time never share one; returns once it is ready.
    fn start() -> Xvfb {
        let mut child = Command::new("Xvfb")
            .args(["-displayfd", "1", "-screen", "0", "1280x900x24", "-nolisten", "tcp"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("Xvfb is installed (bash tests/system-deps.sh)");
        let stdout = child.stdout.take().expect("Xvfb's standard output");
        let (sender, receiver) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = std::io::BufRead::read_line(&mut std::io::BufReader::new(stdout), &mut line);
            let _ = sender.send(line);
        });
        match receiver.recv_timeout(Duration::from_secs(20)) {
            Ok(line) if !line.trim().is_empty() => Xvfb {
                child,
                display: format!(":{}", line.trim()),
            },
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                panic!("Xvfb did not start");
            }
        }
    }
}

impl Drop for Xvfb {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Kills the app if the test fails half-way.
struct App(Child);

impl Drop for App {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn private_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o700)).unwrap();
    }
    dir
}

fn xdotool(display: &str, args: &[&str]) -> Option<String> {
    let output = Command::new("xdotool")
        .args(args)
        .env("DISPLAY", display)
        .output()
        .expect("xdotool is installed (bash tests/system-deps.sh)");
    output
        .status
        .success()
        .then(|| String::from_utf8_lossy(&output.stdout).trim().to_owned())
}

#[test]
fn the_demo_opens_a_window_under_xvfb_and_closes_on_ctrl_q() {
    let xvfb = Xvfb::start();
    let home = private_dir();
    let mut app = App(fxconfig()
        .arg("demo")
        .env("DISPLAY", &xvfb.display)
        .env_remove("WAYLAND_DISPLAY")
        .env("XDG_RUNTIME_DIR", home.path())
        .env("FXCONFIG_PREFS_DIR", home.path().join("prefs"))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap());

    let until = Instant::now() + Duration::from_secs(90);
    // The window opens titled "fxconfig", then "fxconfig — no file open" until the demo
    // configuration is read, then names it.
    let (window, title) = loop {
        let found = xdotool(&xvfb.display, &["search", "--name", "^fxconfig"])
            .and_then(|ids| ids.lines().next().map(str::to_owned))
            .and_then(|id| xdotool(&xvfb.display, &["getwindowname", &id]).map(|title| (id, title)));
        if let Some((id, title)) = found
            && title.starts_with("fxconfig — ")
            && title.ends_with("fxpkcs11.cfg")
        {
            break (id, title);
        }
        if let Ok(Some(status)) = app.0.try_wait() {
            let mut stderr = String::new();
            if let Some(mut pipe) = app.0.stderr.take() {
                let _ = std::io::Read::read_to_string(&mut pipe, &mut stderr);
            }
            panic!("the app exited with {status} before showing a window: {stderr}");
        }
        assert!(Instant::now() < until, "no fxconfig window named its file within 90 s");
        sleep(Duration::from_millis(200));
    };
    assert!(
        title.contains("fxconfig-demo-"),
        "the demo configuration is open: {title}"
    );

    // Let the first frames settle, then photograph the screen.
    sleep(Duration::from_secs(2));
    let shot = home.path().join("window.png");
    let status = Command::new("import")
        .args(["-window", "root", shot.to_str().unwrap()])
        .env("DISPLAY", &xvfb.display)
        .status()
        .expect("ImageMagick's import is installed (bash tests/system-deps.sh)");
    assert!(status.success());
    let png = fs::read(&shot).unwrap();
    assert!(png.starts_with(b"\x89PNG"), "a PNG screenshot");
    assert!(
        png.len() > 20_000,
        "the screenshot shows more than an empty screen ({} bytes)",
        png.len()
    );

    // No window manager runs under Xvfb: give the window the keyboard focus directly,
    // then type through XTEST as a keyboard would.
    xdotool(&xvfb.display, &["windowfocus", "--sync", &window]).expect("the window takes the focus");
    xdotool(&xvfb.display, &["key", "ctrl+q"]).expect("the key is sent");
    let until = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(status) = app.0.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < until, "the app did not close on Ctrl+Q");
        sleep(Duration::from_millis(100));
    };
    assert!(status.success(), "a clean exit: {status}");
}

#[test]
fn without_a_display_it_says_why_and_exits_non_zero() {
    let home = private_dir();
    let config = home.path().join("fxpkcs11.cfg");
    let output = fxconfig()
        .args(["gui", "--config", config.to_str().unwrap()])
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .env("XDG_RUNTIME_DIR", home.path())
        .env("FXCONFIG_PREFS_DIR", home.path().join("prefs"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("no window could be opened"), "{stderr}");
    assert!(stderr.contains("remedy:"), "{stderr}");
}

#[test]
fn without_arguments_the_program_opens_the_app_not_the_help() {
    let home = private_dir();
    let output = fxconfig()
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .env("XDG_RUNTIME_DIR", home.path())
        .env("FXCONFIG_PREFS_DIR", home.path().join("prefs"))
        .env("FXPKCS11_CFG", home.path().join("fxpkcs11.cfg"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("no window could be opened"),
        "it tried to open the window: {stderr}"
    );
    assert!(!String::from_utf8_lossy(&output.stdout).contains("Usage:"));
}

#[test]
fn the_help_lists_the_app_commands_and_the_demo_refuses_an_unknown_fault() {
    let help = fxconfig().arg("--help").output().unwrap();
    let text = String::from_utf8_lossy(&help.stdout);
    assert!(text.contains("gui") && text.contains("demo"), "{text}");
    let demo = fxconfig().args(["demo", "--fault", "bogus"]).output().unwrap();
    assert_eq!(demo.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&demo.stderr).contains("wrong-ca"));
}

#[test]
fn the_window_is_drawn_in_software_with_wgpu_and_falls_back_to_opengl() {
    let xvfb = Xvfb::start();
    let home = private_dir();
    let config = home.path().join("fxpkcs11.cfg");
    fs::write(&config, "<KMS>\n    <ADDRESS> 127.0.0.1 </ADDRESS>\n</KMS>\n").unwrap();
    // FXCONFIG_BENCH=first-frame closes the window after its first frame and names the renderer.
    let first_frame = |wgpu_backend: Option<&str>| {
        let mut command = fxconfig();
        command
            .args(["gui", "--config", config.to_str().unwrap()])
            .env("DISPLAY", &xvfb.display)
            .env_remove("WAYLAND_DISPLAY")
            .env("XDG_RUNTIME_DIR", home.path())
            .env("FXCONFIG_PREFS_DIR", home.path().join("prefs"))
            .env("FXCONFIG_BENCH", "first-frame");
        match wgpu_backend {
            Some(backend) => command.env("WGPU_BACKEND", backend),
            None => command.env_remove("WGPU_BACKEND"),
        };
        let output = command.output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        assert!(output.status.success(), "{stderr}");
        stderr
    };
    let default = first_frame(None);
    assert!(default.contains("renderer=\"wgpu "), "wgpu draws by default: {default}");
    // No Metal on Linux: wgpu finds no adapter, and the app retries with OpenGL.
    let fallback = first_frame(Some("metal"));
    assert!(fallback.contains("renderer=\"OpenGL (glow)\""), "{fallback}");
}
