//! `authorized_keys` options in front of a key line, checked as `sshd` reads them.
//!
//! `sshd` reads the options as a comma-separated list without spaces (except
//! inside double quotes), each either a flag such as `restrict` or `no-pty`, or a
//! name and a double-quoted value such as `from="10.0.0.0/8"`, where `\"` stands
//! for a quote. An unknown option makes `sshd` ignore the whole line, so unknown
//! names are refused here too.

use ssh_key::PublicKey;

use super::PubkeyError;
use super::text::{looks_like_ssh_algorithm, ssh_line_error};

/// Flags, and whether `sshd` also accepts them with a `no-` prefix.
const FLAGS: &[(&str, bool)] = &[
    ("agent-forwarding", true),
    ("cert-authority", false),
    ("port-forwarding", true),
    ("pty", true),
    ("restrict", false),
    ("touch-required", true),
    ("user-rc", true),
    ("verify-required", false),
    ("x11-forwarding", true),
];

/// Options that take a double-quoted value.
const VALUED: &[&str] = &[
    "command",
    "environment",
    "expiry-time",
    "from",
    "permitlisten",
    "permitopen",
    "principals",
    "tunnel",
];

/// Puts `authorized_keys` options in front of a key line, such as one from
/// [`render`](super::render): `from="10.0.0.0/8",restrict ssh-rsa AAAA…`.
///
/// `options` is checked against the option syntax and names `sshd` accepts
/// (comma-separated, values in double quotes that may hold commas, no line
/// breaks, no unbalanced quotes). Empty options leave the line as it is. The line
/// must be a plain public key line without options.
///
/// # Errors
///
/// [`PubkeyError::BadOptions`] when the options are not valid, and
/// [`PubkeyError::NotAKey`], [`PubkeyError::BadKey`] or
/// [`PubkeyError::UnsupportedAlgorithm`] when the line is not a plain key line.
pub fn with_options(line: &str, options: &str) -> Result<String, PubkeyError> {
    let line = checked_key_line(line)?;
    let options = options.trim();
    if options.is_empty() {
        return Ok(line.to_owned());
    }
    check_options(options)?;
    Ok(format!("{options} {line}"))
}

fn checked_key_line(line: &str) -> Result<&str, PubkeyError> {
    let line = line.trim();
    if line.is_empty() {
        return Err(PubkeyError::Empty);
    }
    if line.contains(['\n', '\r']) {
        return Err(PubkeyError::not_a_key("several lines; give one authorized_keys line"));
    }
    let algorithm_name = line.split_whitespace().next().unwrap_or_default();
    if !looks_like_ssh_algorithm(algorithm_name) {
        return Err(PubkeyError::not_a_key(
            "a line that does not start with an SSH key algorithm (it may already have options)",
        ));
    }
    PublicKey::from_openssh(line).map_err(|cause| ssh_line_error(algorithm_name, cause))?;
    Ok(line)
}

fn bad(reason: impl Into<String>) -> PubkeyError {
    PubkeyError::BadOptions { reason: reason.into() }
}

/// Checks a whole options list.
fn check_options(options: &str) -> Result<(), PubkeyError> {
    if options.contains(['\n', '\r']) {
        return Err(bad("they contain a line break"));
    }
    if options.chars().any(char::is_control) {
        return Err(bad("they contain a control character"));
    }
    let mut rest = options;
    loop {
        rest = check_option(rest)?;
        match rest.chars().next() {
            None => return Ok(()),
            Some(',') => {
                rest = &rest[1..];
                if rest.is_empty() {
                    return Err(bad("the list ends with a comma"));
                }
            }
            Some(c) if c.is_whitespace() => {
                return Err(bad("a space outside double quotes; separate options with commas only"));
            }
            Some(c) => return Err(bad(format!("unexpected '{c}' after an option"))),
        }
    }
}

/// Checks one option at the start of `rest` and returns what follows it.
fn check_option(rest: &str) -> Result<&str, PubkeyError> {
    let name_len = rest
        .find(|c: char| c == '=' || c == ',' || c == '"' || c.is_whitespace())
        .unwrap_or(rest.len());
    let (name, after_name) = rest.split_at(name_len);
    if name.is_empty() {
        return Err(bad("an option has no name (a stray comma, quote or '=')"));
    }
    let lower = name.to_ascii_lowercase();
    if VALUED.contains(&lower.as_str()) {
        let Some(quoted) = after_name.strip_prefix('=') else {
            return Err(bad(format!("{lower} needs a value: {lower}=\"…\"")));
        };
        let (value, after_value) = quoted_value(quoted, &lower)?;
        check_value(&lower, &value)?;
        return Ok(after_value);
    }
    if is_flag(&lower) {
        if after_name.starts_with('=') {
            return Err(bad(format!("{lower} is a flag and takes no value")));
        }
        return Ok(after_name);
    }
    Err(bad(format!(
        "unknown option {name:?}; sshd would ignore the whole line"
    )))
}

fn is_flag(name: &str) -> bool {
    FLAGS
        .iter()
        .any(|(flag, negatable)| name == *flag || (*negatable && name.strip_prefix("no-") == Some(flag)))
}

/// Reads a double-quoted value (`\"` stands for a quote) and returns it with the rest.
fn quoted_value<'a>(text: &'a str, name: &str) -> Result<(String, &'a str), PubkeyError> {
    let Some(inner) = text.strip_prefix('"') else {
        return Err(bad(format!("the value of {name} must be in double quotes")));
    };
    let mut value = String::new();
    let mut chars = inner.char_indices();
    while let Some((index, c)) = chars.next() {
        match c {
            '"' => return Ok((value, &inner[index + 1..])),
            '\\' if inner[index + 1..].starts_with('"') => {
                chars.next();
                value.push('"');
            }
            c => value.push(c),
        }
    }
    Err(bad(format!("the value of {name} has no closing double quote")))
}

/// Checks the values whose form `sshd` itself checks when it reads the line.
fn check_value(name: &str, value: &str) -> Result<(), PubkeyError> {
    let ok = match name {
        "environment" => value.split_once('=').is_some_and(|(variable, _)| !variable.is_empty()),
        "expiry-time" => {
            let digits = value.strip_suffix(['Z', 'z']).unwrap_or(value);
            matches!(digits.len(), 8 | 12 | 14) && digits.bytes().all(|b| b.is_ascii_digit())
        }
        "tunnel" => value == "any" || (!value.is_empty() && value.bytes().all(|b| b.is_ascii_digit())),
        "permitopen" => value.contains(':'),
        "from" | "principals" | "permitlisten" => !value.is_empty(),
        _ => true,
    };
    if ok {
        Ok(())
    } else {
        Err(bad(format!("the value of {name} is not in the form sshd expects")))
    }
}
