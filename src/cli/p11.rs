//! `fxconfig p11`: the PKCS#11 module, as Futurex's PKCS11Manager shows it, and
//! `fxconfig askpass`, the PIN helper `ssh` calls during `check --ssh`.

use std::path::PathBuf;

use clap::Args;
use fxconfig::Secret;
use fxconfig::pkcs11::{self, Action, Examination, LoginState, ProbeReport, Step};

use super::output::say;
use super::{CommandError, CommandResult, EXIT_CANNOT_RUN, EXIT_FAILED, EXIT_OK, output, secret_input};

// Where the token's user PIN comes from (optional).
#[derive(Debug, Args)]
#[group(required = false, multiple = false)]
pub struct PinSource {
    /// Read the token's user PIN from this environment variable.
    #[arg(long, value_name = "VAR")]
    pub pin_env: Option<String>,
    /// Read the token's user PIN from the first line of standard input.
    #[arg(long)]
    pub pin_stdin: bool,
}

impl PinSource {
    /// The PIN, if one was asked for.
    pub fn read(&self) -> Result<Option<Secret>, CommandError> {
        match (&self.pin_env, self.pin_stdin) {
            (Some(var), _) => secret_input::from_env(var).map(Some),
            (None, true) => secret_input::from_stdin().map(Some),
            (None, false) => Ok(None),
        }
    }
}

// Arguments of `fxconfig p11`.
#[derive(Debug, Args)]
pub struct P11Args {
    /// The PKCS#11 module (libfxpkcs11.so, fxpkcs11.dll, or any PKCS#11 library).
    #[arg(long, value_name = "PATH")]
    module: PathBuf,
    /// The token to use, by label (default: the first initialised token; `pubkeys` then lists every token).
    #[arg(long, value_name = "LABEL", allow_hyphen_values = true)]
    token: Option<String>,
    #[command(flatten)]
    pin: PinSource,
    /// Print the report as one JSON object.
    #[arg(long)]
    json: bool,
    /// What to show.
    action: Action,
}

/// How long the module may take: the app's bound for its module screen.
const P11_TIME_LIMIT: std::time::Duration = std::time::Duration::from_secs(60);

/// Checks the module file, loads the module in the helper process (with this process's
/// FXPKCS11_CFG) and prints what was asked.
pub fn run(args: &P11Args) -> CommandResult {
    let pin = args.pin.read()?;
    // The module runs in the helper process, as for `check --module`: a module that crashes,
    // hangs, prints or answers absurd counts takes only the helper down, within a bound.
    let examined = pkcs11::examine(&Examination {
        module: &args.module,
        token_label: args.token.clone(),
        action: args.action,
        pin: pin.as_ref(),
        config: None,
        helper: None,
        time_limit: P11_TIME_LIMIT,
        load_with_missing_libraries: false,
    });
    examined
        .file
        .as_ref()
        .map_err(|e| CommandError::explained(EXIT_CANNOT_RUN, e))?;
    if let Some(Err(error)) = &examined.dependencies {
        return Err(CommandError::explained(EXIT_CANNOT_RUN, error));
    }
    let report = match examined.probe {
        Some(Ok(report)) => report,
        Some(Err(error @ pkcs11::Pkcs11Error::HelperStart { .. })) => {
            return Err(CommandError::explained(EXIT_CANNOT_RUN, &error));
        }
        Some(Err(error)) => return Err(CommandError::explained(EXIT_FAILED, &error)),
        None => return Err(CommandError::cannot_run("the module was not loaded".to_owned())),
    };
    drop(pin);
    let ok = report_ok(&report);
    if args.json {
        let text = serde_json::to_string_pretty(&report)
            .map_err(|e| CommandError::cannot_run(format!("could not encode the report: {e}")))?;
        println!("{text}");
    } else {
        print_report(&report, args.action);
    }
    Ok(if ok { EXIT_OK } else { EXIT_FAILED })
}

/// Whether no step failed and every sign test verified.
fn report_ok(report: &ProbeReport) -> bool {
    let step_failed = [
        matches!(report.load, Step::Failed(_)),
        matches!(report.slots, Step::Failed(_)),
        matches!(report.token, Step::Failed(_)),
        matches!(report.mechanisms, Step::Failed(_)),
        matches!(report.login, Step::Failed(_)),
        matches!(report.objects, Step::Failed(_)),
        matches!(report.public_keys, Step::Failed(_)),
    ];
    let signatures_verified = match &report.sign {
        Step::Done(tests) => tests.iter().all(|t| t.verified),
        Step::Failed(_) => false,
        Step::NotRun(_) => true,
    };
    !step_failed.contains(&true) && signatures_verified
}

fn print_failure<T>(step: &Step<T>, what: &str) {
    if let Step::Failed(failure) = step {
        say!("{what} failed: {}", failure.message);
        say!("  remedy: {}", failure.remedy_with_citation());
    }
}

fn print_report(report: &ProbeReport, action: Action) {
    if let Action::Pubkeys = action {
        if let Step::Done(lines) = &report.public_keys {
            for line in lines {
                say!("{}", line.line);
            }
        }
        print_failure(&report.load, "loading the module");
        print_failure(&report.public_keys, "listing the public keys");
        return;
    }
    print_failure(&report.load, "loading the module");
    if let Step::Done(info) = &report.load {
        say!("Module {}", info.path.display());
        output::field("library", format!("{} {}", info.description, info.library_version));
        output::field("manufacturer", &info.manufacturer);
        output::field("Cryptoki version", &info.cryptoki_version);
        output::field(
            "FXPKCS11_CFG",
            report
                .fxpkcs11_cfg
                .as_ref()
                .map(|p| p.display().to_string())
                .unwrap_or_else(|| "not set".to_owned()),
        );
    }
    if let (Action::Slots | Action::Probe, Step::Done(slots)) = (action, &report.slots) {
        say!("Slots ({}):", slots.len());
        for slot in slots {
            match &slot.token {
                Some(token) => say!(
                    "  slot {:#x}  {:?}  {} {}, serial {}  [{}]",
                    slot.id,
                    token.label,
                    token.manufacturer,
                    token.model,
                    token.serial,
                    token.flags.join(", ")
                ),
                None => say!("  slot {:#x}  no token  ({})", slot.id, slot.description),
            }
        }
    }
    print_failure(&report.slots, "listing the slots");
    print_failure(&report.token, "selecting the token");
    if let (Action::Info | Action::Keys | Action::SignTest, Step::Done(slot)) = (action, &report.token)
        && let Some(token) = &slot.token
    {
        output::field("token", format!("{:?} in slot {:#x}", token.label, slot.id));
        output::field("token model", format!("{} {}", token.manufacturer, token.model));
        output::field("serial", &token.serial);
        output::field("flags", token.flags.join(", "));
    }
    if let Step::Done(mechanisms) = &report.mechanisms {
        say!("Mechanisms ({}):", mechanisms.len());
        for mechanism in mechanisms {
            say!(
                "  {:<32} keys {}-{}  {}",
                mechanism.name,
                mechanism.min_key_size,
                mechanism.max_key_size,
                mechanism.functions.join(", ")
            );
        }
    }
    print_failure(&report.mechanisms, "listing the mechanisms");
    print_failure(&report.login, "logging in");
    if let Step::Done(state) = &report.login {
        output::field(
            "login",
            match state {
                LoginState::LoggedIn => "logged in as the user",
                LoginState::NotRequired => "not required by the token",
                LoginState::NoPin => "required, no PIN given: only public objects are visible",
            },
        );
    }
    if let Step::Done(objects) = &report.objects {
        say!("Objects ({}):", objects.len());
        for object in objects {
            let size = object.bits.map(|b| format!("{b} bits")).unwrap_or_default();
            let extra = match (&object.can_sign, &object.subject) {
                (Some(true), _) => " sign".to_owned(),
                (Some(false), _) => " no-sign".to_owned(),
                (None, Some(subject)) => format!(" {subject}"),
                (None, None) => String::new(),
            };
            say!(
                "  {:<12} {:<6} {:<10} id {:<10} {:?}{extra}",
                object.class,
                object.key_type.as_deref().unwrap_or("-"),
                size,
                if object.id.is_empty() { "-" } else { &object.id },
                object.label
            );
        }
    }
    print_failure(&report.objects, "listing the objects");
    if let Step::Done(lines) = &report.public_keys {
        say!("authorized_keys lines ({}):", lines.len());
        for line in lines {
            say!("  {}", line.line);
        }
    }
    print_failure(&report.public_keys, "listing the public keys");
    if let Step::Done(tests) = &report.sign {
        say!("Sign test ({} key(s)):", tests.len());
        for test in tests {
            let verdict = if test.verified {
                "signature verified".to_owned()
            } else {
                test.failure
                    .as_ref()
                    .map(|f| format!("FAILED: {} (remedy: {})", f.message, f.remedy_with_citation()))
                    .unwrap_or_default()
            };
            say!(
                "  {:?} id {} ({}, {}): {} bytes in {} ms, {verdict}",
                test.label,
                test.id,
                test.key_type,
                test.mechanism,
                test.signature_len,
                test.sign_ms
            );
        }
    }
    print_failure(&report.sign, "the sign test");
}

// Arguments of `fxconfig askpass` (run by ssh, not by people).
#[derive(Debug, Args)]
pub struct AskpassArgs {
    /// The prompt ssh shows, taken as it is (after `--`, so a prompt starting with '-' is no option).
    #[arg(allow_hyphen_values = true)]
    prompt: Option<String>,
}

/// Answers OpenSSH's PKCS#11 PIN prompt with the PIN in FXCONFIG_ASKPASS_PIN (set by
/// `check --ssh` in ssh's environment only), for the token in FXCONFIG_ASKPASS_TOKEN when
/// set; any other prompt (a key passphrase, a host key question) gets no answer.
/// Writing the PIN to standard output is the askpass protocol: that output is a
/// pipe read by ssh.
pub fn run_askpass(args: &AskpassArgs) -> CommandResult {
    let prompt = args.prompt.as_deref().unwrap_or("");
    let token = std::env::var(pkcs11::ssh::ASKPASS_TOKEN_VAR).ok();
    if !pkcs11::ssh::askpass_answers(prompt, token.as_deref()) {
        return Ok(EXIT_FAILED);
    }
    match std::env::var(pkcs11::ssh::ASKPASS_PIN_VAR) {
        Ok(pin) => {
            let pin = Secret::new(pin);
            println!("{}", pin.expose());
            Ok(EXIT_OK)
        }
        Err(_) => Ok(EXIT_FAILED),
    }
}

/// Serves one request of the module helper protocol (`fxconfig module-helper`, run by
/// `check --module` and the app, not by people): a JSON request on standard input, the
/// JSON report on standard output. See `fxconfig::pkcs11::probe`.
pub fn run_module_helper() -> CommandResult {
    use std::io::{Read, Write};
    let mut input = Vec::with_capacity(4096);
    let limit = u64::try_from(pkcs11::probe::MAX_HELPER_REQUEST + 1).unwrap_or(u64::MAX);
    std::io::stdin()
        .take(limit)
        .read_to_end(&mut input)
        .map_err(|e| CommandError::cannot_run(format!("could not read the request: {e}")))?;
    if input.len() > pkcs11::probe::MAX_HELPER_REQUEST {
        zeroize::Zeroize::zeroize(&mut input);
        return Err(CommandError::cannot_run("the request is too long"));
    }
    let mut report_channel = report_channel()?;
    pkcs11::probe::limit_address_space();
    let answer = pkcs11::probe::answer_helper_request(&mut input).map_err(CommandError::cannot_run)?;
    report_channel
        .write_all(&answer)
        .and_then(|()| report_channel.flush())
        .map_err(|e| CommandError::cannot_run(format!("could not write the report: {e}")))?;
    Ok(EXIT_OK)
}

/// The helper's report channel: its standard output, kept for the report alone. On Unix a
/// copy of it is taken and file descriptor 1 is pointed at standard error before the module
/// is loaded, so what the module prints never mixes with the report.
fn report_channel() -> Result<Box<dyn std::io::Write>, CommandError> {
    #[cfg(unix)]
    {
        let failed =
            |e: rustix::io::Errno| CommandError::cannot_run(format!("could not set up the report channel: {e}"));
        let channel = rustix::io::fcntl_dupfd_cloexec(rustix::stdio::stdout(), 3).map_err(failed)?;
        rustix::stdio::dup2_stdout(rustix::stdio::stderr()).map_err(failed)?;
        Ok(Box::new(std::fs::File::from(channel)))
    }
    #[cfg(not(unix))]
    {
        Ok(Box::new(std::io::stdout()))
    }
}
