//! What every error of the library can say besides its message: a remedy for the
//! administrator, and the section of the integration guide that covers it.

/// Explains an error to an administrator.
///
/// Every stage error of the library (`CfgError`, `IdentityError`, `HostApiError`,
/// `PubkeyError`, …) implements it, so the front ends can show the message, the
/// whole cause chain (through [`std::error::Error::source`]), the remedy and the
/// guide section without knowing the error's type.
pub trait Explain: std::error::Error {
    /// What to do about it, in plain words.
    fn remedy(&self) -> String;

    /// The section of the integration guide that covers it, such as `"3.2.10"`.
    fn guide_section(&self) -> Option<&'static str>;
}

/// The error's message followed by each of its causes, joined by `": "`.
pub fn cause_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

/// The remedy text with its guide citation appended, such as `"… [3.2.10]"`.
pub fn remedy_with_citation(error: &dyn Explain) -> String {
    match error.guide_section() {
        Some(section) => format!("{} [{section}]", error.remedy()),
        None => error.remedy(),
    }
}
