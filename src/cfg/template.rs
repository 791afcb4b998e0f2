//! A complete `fxpkcs11.cfg` laid out like the guide's sample in [4.2]: the one layout that
//! `fxconfig config init` writes (with the set-up's values empty, [`blank_template`]) and
//! that the demo writes, the tests read and the benchmarks start from (with every value
//! filled in, [`guide_template`]).
//!
//! Both come from the same rows: `<CONFIG>` with `REQUIRE-LOGIN-FLAG`, then `<KMS>` with
//! every other known field in the guide's order ([`KNOWN_FIELDS`]), each entry below a
//! comment naming the field, its guide section and what it holds.

use std::path::Path;

use super::fields::{FieldSpec, KNOWN_FIELDS, SECTION_CONFIG, SECTION_KMS};

/// The first line of every template.
const HEADER: &str =
    "# Configuration of the Futurex PKCS#11 library (fxpkcs11), in the layout of the integration guide [4.2].";

/// The second line of the blank template.
const BLANK_HEADER: &str = "# Fill in every empty value below; `fxconfig config validate` names the ones still needed.";

/// The values of a configuration in the guide's layout that differ from one set-up to the
/// next; the rest (slot 0, user `crypto1`, key group `keygroup1`, mutual TLS, no load
/// balancing, no PIN prompt) are the guide's sample values.
#[derive(Debug, Clone, Copy)]
pub struct GuideValues<'a> {
    /// The KMES host name or IP address (`ADDRESS`).
    pub address: &'a str,
    /// The Host API port (`PROD-PORT`).
    pub port: u16,
    /// The root CA certificate file (`PROD-TLS-CA`).
    pub tls_ca: &'a Path,
    /// The PKCS#12 client identity file (`PROD-TLS-KEY`).
    pub tls_key: &'a Path,
    /// The PKCS#12 file's password (`PROD-TLS-KEY-PASS`).
    pub tls_key_pass: &'a str,
    /// The KMES user's password (`CRYPTO-OPR-PASS`).
    pub crypto_opr_pass: &'a str,
}

/// The value the guide sets for a field in every set-up ([4.2]): no PIN prompt, the first
/// slot, mutual TLS, a single KMES. `None` for the fields that differ from one set-up to
/// the next (user, key group, address, port, TLS files and passwords).
pub fn fixed_value(tag: &str) -> Option<&'static str> {
    match tag {
        "REQUIRE-LOGIN-FLAG" => Some("NO"),
        "SLOT" => Some("0"),
        "PROD-TLS-ENABLED" => Some("YES"),
        "PROD-TLS-ANONYMOUS" => Some("NO"),
        "FX-LOAD-BALANCE" => Some("NO"),
        _ => None,
    }
}

/// A new configuration for `fxconfig config init` and the app's "create" action: the
/// guide's layout with the fields the guide fixes set ([`fixed_value`]: `REQUIRE-LOGIN-FLAG`
/// `NO`, slot 0, mutual TLS, no load balancing) and every other field present but empty, so
/// that [`crate::cfg::validate`] names what is left to fill in. A comment above each entry
/// says what it holds and cites its guide section. LF line endings.
pub fn blank_template() -> String {
    render(&[HEADER, BLANK_HEADER], |_| String::new())
}

/// The configuration text for `values`, in the same layout as [`blank_template`] with
/// every field filled in: `values` for the set-up's own fields, the guide's sample user
/// (`crypto1`) and key group (`keygroup1`). LF line endings.
pub fn guide_template(values: &GuideValues<'_>) -> String {
    render(&[HEADER], |tag| match tag {
        "CRYPTO-OPR" => "crypto1".to_owned(),
        "CRYPTO-OPR-PASS" => values.crypto_opr_pass.to_owned(),
        "KEYGROUP-NAME" => "keygroup1".to_owned(),
        "ADDRESS" => values.address.to_owned(),
        "PROD-PORT" => values.port.to_string(),
        "PROD-TLS-CA" => values.tls_ca.display().to_string(),
        "PROD-TLS-KEY" => values.tls_key.display().to_string(),
        "PROD-TLS-KEY-PASS" => values.tls_key_pass.to_owned(),
        _ => String::new(),
    })
}

/// The header lines, then `<CONFIG>` and `<KMS>` with each known field of that section;
/// `value` gives the fields that [`fixed_value`] leaves open.
fn render(header: &[&str], value: impl Fn(&str) -> String) -> String {
    let mut lines: Vec<String> = header.iter().map(|line| (*line).to_owned()).collect();
    for section in [SECTION_CONFIG, SECTION_KMS] {
        lines.push(format!("<{section}>"));
        for spec in KNOWN_FIELDS.iter().filter(|spec| spec.section == section) {
            lines.push(comment(spec));
            let text = fixed_value(spec.tag).map_or_else(|| value(spec.tag), str::to_owned);
            lines.push(entry(spec.tag, &text));
        }
        lines.push(format!("</{section}>"));
    }
    let mut text = lines.join("\n");
    text.push('\n');
    text
}

/// The comment above a field's entry, such as
/// `    # Slot [4.2]: The PKCS#11 slot number this connection is offered under; 0 for the first one.`
fn comment(spec: &FieldSpec) -> String {
    format!("    # {} [{}]: {}", spec.label, spec.guide, spec.help)
}

/// One entry with the tags and values in aligned columns.
fn entry(tag: &str, value: &str) -> String {
    format!("    {:<24} {value:<11} </{tag}>", format!("<{tag}>"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cfg::{CfgDocument, FindingKind, Severity, validate};
    use crate::secret::Secret;

    #[test]
    fn the_template_is_valid_and_holds_the_values() {
        let values = GuideValues {
            address: "10.0.8.20",
            port: 2001,
            tls_ca: Path::new("/futurex/root_cert.pem"),
            tls_key: Path::new("/futurex/export_pkcs12.p12"),
            tls_key_pass: "p12-pass",
            crypto_opr_pass: "operator-pass",
        };
        let text = guide_template(&values);
        let doc = CfgDocument::parse(text.as_bytes()).expect("parses");
        assert_eq!(doc.to_bytes(), text.as_bytes());
        let findings = validate(&doc, None);
        assert!(findings.is_empty(), "{findings:?}");
        let settings = doc.settings();
        assert_eq!(settings.address.as_deref(), Some("10.0.8.20"));
        assert_eq!(settings.prod_port, Some(2001));
        assert_eq!(settings.tls_ca.as_deref(), Some("/futurex/root_cert.pem"));
        assert_eq!(settings.tls_key.as_deref(), Some("/futurex/export_pkcs12.p12"));
        assert_eq!(settings.tls_key_pass, Some(Secret::new("p12-pass")));
        assert_eq!(settings.crypto_opr_pass, Some(Secret::new("operator-pass")));
        assert!(
            text.contains("    <ADDRESS>                10.0.8.20   </ADDRESS>\n"),
            "{text}"
        );
    }

    #[test]
    fn the_blank_template_has_every_field_under_its_comment() {
        let text = blank_template();
        let doc = CfgDocument::parse(text.as_bytes()).expect("parses");
        assert_eq!(doc.to_bytes(), text.as_bytes(), "round trip");
        let entries = doc.entries();
        assert_eq!(entries.len(), KNOWN_FIELDS.len());
        let lines: Vec<&str> = text.lines().collect();
        for spec in KNOWN_FIELDS {
            let entry = entries
                .iter()
                .find(|entry| entry.tag == spec.tag)
                .unwrap_or_else(|| panic!("{} missing", spec.tag));
            assert_eq!(entry.section.as_deref(), Some(spec.section), "{}", spec.tag);
            assert_eq!(entry.value, fixed_value(spec.tag).unwrap_or(""), "{}", spec.tag);
            let above = lines[entry.line - 2].trim_start();
            assert!(
                above.starts_with(&format!("# {} [{}]: ", spec.label, spec.guide)),
                "{above}"
            );
        }
        assert_eq!(doc.settings().require_login, Some(false));
        // Same rows as the filled template: the same tags in the same order.
        let filled = guide_template(&GuideValues {
            address: "kmes",
            port: 2001,
            tls_ca: Path::new("ca.pem"),
            tls_key: Path::new("id.p12"),
            tls_key_pass: "p",
            crypto_opr_pass: "o",
        });
        let filled_tags: Vec<String> = CfgDocument::parse(filled.as_bytes())
            .expect("parses")
            .entries()
            .into_iter()
            .map(|entry| entry.tag)
            .collect();
        let blank_tags: Vec<String> = entries.into_iter().map(|entry| entry.tag).collect();
        assert_eq!(filled_tags, blank_tags);
    }

    #[test]
    fn validation_names_each_empty_field_of_the_blank_template() {
        let doc = CfgDocument::parse(blank_template().as_bytes()).expect("parses");
        let findings = validate(&doc, None);
        let named = |severity: Severity| -> Vec<&str> {
            let mut tags: Vec<&str> = findings
                .iter()
                .filter(|finding| finding.severity == severity)
                .filter_map(|finding| finding.tag.as_deref())
                .collect();
            tags.sort_unstable();
            tags
        };
        assert_eq!(
            named(Severity::Error),
            ["ADDRESS", "PROD-PORT", "PROD-TLS-CA", "PROD-TLS-KEY"],
            "{findings:#?}"
        );
        assert_eq!(
            named(Severity::Warning),
            ["CRYPTO-OPR", "CRYPTO-OPR-PASS", "KEYGROUP-NAME"],
            "{findings:#?}"
        );
        for finding in &findings {
            let tag = finding.tag.as_deref().unwrap_or_default();
            assert!(finding.message.contains(tag), "{finding}");
            assert!(
                matches!(
                    finding.kind,
                    FindingKind::MissingRequired | FindingKind::MissingRecommended | FindingKind::TlsMaterialMissing
                ),
                "{finding:?}"
            );
            let entry = doc.get(None, tag).expect("present");
            assert_eq!(finding.line, Some(entry.line), "{finding}");
        }
    }
}
