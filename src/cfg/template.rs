//! A complete `fxpkcs11.cfg` laid out like the guide's sample in [4.2]: the one text the
//! demo writes, the tests read and the benchmarks start from.

use std::path::Path;

use super::fields::{SECTION_CONFIG, SECTION_KMS};

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

/// The configuration text for `values`, one aligned `<TAG> value </TAG>` entry a line with
/// the guide's comments, LF line endings.
pub fn guide_template(values: &GuideValues<'_>) -> String {
    let lines = [
        format!("<{SECTION_CONFIG}>"),
        comment("Do not prompt for a PIN: the library logs in with the KMES user below"),
        entry("REQUIRE-LOGIN-FLAG", "NO"),
        format!("</{SECTION_CONFIG}>"),
        format!("<{SECTION_KMS}>"),
        comment("Which PKCS11 slot"),
        entry("SLOT", "0"),
        comment("Login username"),
        entry("CRYPTO-OPR", "crypto1"),
        entry("CRYPTO-OPR-PASS", values.crypto_opr_pass),
        comment("Key group name"),
        entry("KEYGROUP-NAME", "keygroup1"),
        comment("Connection information"),
        entry("ADDRESS", values.address),
        entry("PROD-PORT", &values.port.to_string()),
        entry("PROD-TLS-ENABLED", "YES"),
        entry("PROD-TLS-ANONYMOUS", "NO"),
        entry("PROD-TLS-CA", &values.tls_ca.display().to_string()),
        entry("PROD-TLS-KEY", &values.tls_key.display().to_string()),
        entry("PROD-TLS-KEY-PASS", values.tls_key_pass),
        entry("FX-LOAD-BALANCE", "NO"),
        format!("</{SECTION_KMS}>"),
    ];
    let mut text = lines.join("\n");
    text.push('\n');
    text
}

/// An indented comment line.
fn comment(text: &str) -> String {
    format!("    # {text}")
}

/// One entry with the tags and values in aligned columns.
fn entry(tag: &str, value: &str) -> String {
    format!("    {:<24} {value:<11} </{tag}>", format!("<{tag}>"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cfg::{CfgDocument, validate};
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
}
