//! The fields the PKCS#11 library reads from `fxpkcs11.cfg`, and a typed view of them.

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::locate::resolve_in;
use crate::secret::Secret;

/// The section holding the connection settings.
pub const SECTION_KMS: &str = "KMS";

/// The section holding the library's general behaviour, such as `REQUIRE-LOGIN-FLAG`.
pub const SECTION_CONFIG: &str = "CONFIG";

/// The tags of the known fields, as the PKCS#11 library spells them: name a field by its
/// constant here rather than by a string of its own.
pub mod tag {
    /// `SLOT`.
    pub const SLOT: &str = "SLOT";
    /// `CRYPTO-OPR`.
    pub const CRYPTO_OPR: &str = "CRYPTO-OPR";
    /// `CRYPTO-OPR-PASS`.
    pub const CRYPTO_OPR_PASS: &str = "CRYPTO-OPR-PASS";
    /// `KEYGROUP-NAME`.
    pub const KEYGROUP_NAME: &str = "KEYGROUP-NAME";
    /// `ADDRESS`.
    pub const ADDRESS: &str = "ADDRESS";
    /// `PROD-PORT`.
    pub const PROD_PORT: &str = "PROD-PORT";
    /// `PROD-TLS-ENABLED`.
    pub const PROD_TLS_ENABLED: &str = "PROD-TLS-ENABLED";
    /// `PROD-TLS-ANONYMOUS`.
    pub const PROD_TLS_ANONYMOUS: &str = "PROD-TLS-ANONYMOUS";
    /// `PROD-TLS-CA`.
    pub const PROD_TLS_CA: &str = "PROD-TLS-CA";
    /// `PROD-TLS-KEY`.
    pub const PROD_TLS_KEY: &str = "PROD-TLS-KEY";
    /// `PROD-TLS-KEY-PASS`.
    pub const PROD_TLS_KEY_PASS: &str = "PROD-TLS-KEY-PASS";
    /// `FX-LOAD-BALANCE`.
    pub const FX_LOAD_BALANCE: &str = "FX-LOAD-BALANCE";
    /// `REQUIRE-LOGIN-FLAG`.
    pub const REQUIRE_LOGIN_FLAG: &str = "REQUIRE-LOGIN-FLAG";
}

/// What kind of value a field holds; decides how it is checked and edited.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldKind {
    /// A whole number, such as the slot.
    Number,
    /// Free text, such as a user or key group name.
    Text,
    /// A password: never shown, logged or serialised.
    Secret,
    /// A host name or IP address.
    Host,
    /// A TCP port, 1 to 65535.
    Port,
    /// `YES` or `NO` (either case).
    YesNo,
    /// A file path; relative paths are taken from the configuration file's folder.
    Path,
}

/// The description of one known field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FieldSpec {
    /// The tag as written in the file, such as `PROD-PORT`.
    pub tag: &'static str,
    /// The section the field belongs in.
    pub section: &'static str,
    /// The kind of value.
    pub kind: FieldKind,
    /// A short human label.
    pub label: &'static str,
    /// One or two sentences on what the value means.
    pub help: &'static str,
    /// The integration guide section that covers the value.
    pub guide: &'static str,
}

/// Every field this tool knows: the twelve `<KMS>` fields and `<CONFIG>`'s
/// `REQUIRE-LOGIN-FLAG`, in the order the guide lists them.
pub const KNOWN_FIELDS: &[FieldSpec] = &[
    FieldSpec {
        tag: tag::SLOT,
        section: SECTION_KMS,
        kind: FieldKind::Number,
        label: "Slot",
        help: "The PKCS#11 slot number this connection is offered under; 0 for the first one.",
        guide: "4.2",
    },
    FieldSpec {
        tag: tag::CRYPTO_OPR,
        section: SECTION_KMS,
        kind: FieldKind::Text,
        label: "KMES user",
        help: "The name of the login user created on the KMES for SSH key offloading.",
        guide: "3.2.4",
    },
    FieldSpec {
        tag: tag::CRYPTO_OPR_PASS,
        section: SECTION_KMS,
        kind: FieldKind::Secret,
        label: "KMES user password",
        help: "The password of that KMES user. Anyone who can read this file can log in as that user.",
        guide: "3.2.4",
    },
    FieldSpec {
        tag: tag::KEYGROUP_NAME,
        section: SECTION_KMS,
        kind: FieldKind::Text,
        label: "Key group",
        help: "The name of the key group on the KMES that holds the SSH keys.",
        guide: "3.2.5",
    },
    FieldSpec {
        tag: tag::ADDRESS,
        section: SECTION_KMS,
        kind: FieldKind::Host,
        label: "KMES address",
        help: "The host name or IP address of the KMES Series 3.",
        guide: "4.2",
    },
    FieldSpec {
        tag: tag::PROD_PORT,
        section: SECTION_KMS,
        kind: FieldKind::Port,
        label: "Host API port",
        help: "The TCP port of the KMES Host API connection pair (2001 unless changed on the KMES).",
        guide: "4.2",
    },
    FieldSpec {
        tag: tag::PROD_TLS_ENABLED,
        section: SECTION_KMS,
        kind: FieldKind::YesNo,
        label: "Use TLS",
        help: "YES to talk to the KMES over TLS, which the Host API connection normally requires.",
        guide: "3.1",
    },
    FieldSpec {
        tag: tag::PROD_TLS_ANONYMOUS,
        section: SECTION_KMS,
        kind: FieldKind::YesNo,
        label: "Anonymous TLS",
        help: "YES to connect without a client certificate; NO to present the PKCS#12 client identity.",
        guide: "3.1",
    },
    FieldSpec {
        tag: tag::PROD_TLS_CA,
        section: SECTION_KMS,
        kind: FieldKind::Path,
        label: "Root CA certificate",
        help: "The PEM file of the root CA exported from the KMES, used to check the KMES certificate.",
        guide: "3.1.4",
    },
    FieldSpec {
        tag: tag::PROD_TLS_KEY,
        section: SECTION_KMS,
        kind: FieldKind::Path,
        label: "Client identity (PKCS#12)",
        help: "The PKCS#12 file with the signed client certificate and its private key, exported from the KMES.",
        guide: "3.1.7",
    },
    FieldSpec {
        tag: tag::PROD_TLS_KEY_PASS,
        section: SECTION_KMS,
        kind: FieldKind::Secret,
        label: "PKCS#12 password",
        help: "The password that protects the PKCS#12 client identity file.",
        guide: "3.1.7",
    },
    FieldSpec {
        tag: tag::FX_LOAD_BALANCE,
        section: SECTION_KMS,
        kind: FieldKind::YesNo,
        label: "Load balancing",
        help: "YES to spread requests over several KMES units; NO for a single KMES.",
        guide: "4.2",
    },
    FieldSpec {
        tag: tag::REQUIRE_LOGIN_FLAG,
        section: SECTION_CONFIG,
        kind: FieldKind::YesNo,
        label: "Ask ssh for a PIN",
        help: "NO so that ssh does not prompt for a PIN: the library already logs in as the KMES user (CRYPTO-OPR).",
        guide: "4.2",
    },
];

/// The known field with this tag, compared without regard to case.
pub fn field_spec(tag: &str) -> Option<&'static FieldSpec> {
    KNOWN_FIELDS.iter().find(|spec| spec.tag.eq_ignore_ascii_case(tag))
}

/// Whether `section` is one of the sections the library reads (`KMS`, `CONFIG`), in any case.
pub fn is_known_section(section: &str) -> bool {
    [SECTION_KMS, SECTION_CONFIG]
        .iter()
        .any(|known| known.eq_ignore_ascii_case(section))
}

/// Whether values of this tag are secrets, compared without regard to case: the known
/// password fields; any tag whose name contains `PASS`, `SECRET` or `PWD`, or has a part
/// (between `-`, `_` and `.`) that starts with `PAS`, is or ends with `PIN`, or starts or
/// ends with `PW` (so unknown and misspelt password tags such as `BACKUP-PASSWORD`,
/// `CRYPTO-OPR-PAS`, `SO-PIN`, `OPR-PW` or `KEY_PW` stay hidden too); and any tag within two
/// typing mistakes of a known password field.
/// `PING-INTERVAL` or `SPINDLE` are not secrets.
pub fn is_secret_tag(tag: &str) -> bool {
    if let Some(spec) = field_spec(tag) {
        return spec.kind == FieldKind::Secret;
    }
    let upper = tag.to_ascii_uppercase();
    if upper.contains("PASS") || upper.contains("SECRET") || upper.contains("PWD") {
        return true;
    }
    if upper
        .split(['-', '_', '.'])
        .any(|part| part.starts_with("PAS") || part.ends_with("PIN") || part.starts_with("PW") || part.ends_with("PW"))
    {
        return true;
    }
    KNOWN_FIELDS
        .iter()
        .filter(|spec| spec.kind == FieldKind::Secret)
        .any(|spec| within_two_edits(spec.tag, &upper))
}

/// Whether `a` becomes `b` with at most two insertions, deletions or substitutions.
fn within_two_edits(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len().abs_diff(b.len()) > 2 {
        return false;
    }
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, &x) in a.iter().enumerate() {
        let mut current = vec![i + 1; b.len() + 1];
        for (j, &y) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(x != y);
            current[j + 1] = substitution.min(previous[j + 1] + 1).min(current[j] + 1);
        }
        previous = current;
    }
    previous[b.len()] <= 2
}

/// Reads `YES`/`NO` in any case; anything else is `None`.
pub fn parse_yes_no(value: &str) -> Option<bool> {
    if value.eq_ignore_ascii_case("YES") {
        Some(true)
    } else if value.eq_ignore_ascii_case("NO") {
        Some(false)
    } else {
        None
    }
}

/// The typed, lenient view of the known fields: a value that is missing, empty or not of
/// the field's type reads as `None` (validation reports why).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Settings {
    /// `SLOT`.
    pub slot: Option<u64>,
    /// `CRYPTO-OPR`.
    pub crypto_opr: Option<String>,
    /// `CRYPTO-OPR-PASS`.
    pub crypto_opr_pass: Option<Secret>,
    /// `KEYGROUP-NAME`.
    pub keygroup_name: Option<String>,
    /// `ADDRESS`.
    pub address: Option<String>,
    /// `PROD-PORT`, when it is a number from 1 to 65535.
    pub prod_port: Option<u16>,
    /// `PROD-TLS-ENABLED`.
    pub tls_enabled: Option<bool>,
    /// `PROD-TLS-ANONYMOUS`.
    pub tls_anonymous: Option<bool>,
    /// `FX-LOAD-BALANCE`.
    pub load_balance: Option<bool>,
    /// `PROD-TLS-CA`, as written (see [`Settings::tls_paths`]).
    pub tls_ca: Option<String>,
    /// `PROD-TLS-KEY`, as written (see [`Settings::tls_paths`]).
    pub tls_key: Option<String>,
    /// `PROD-TLS-KEY-PASS`.
    pub tls_key_pass: Option<Secret>,
    /// `REQUIRE-LOGIN-FLAG` (in `<CONFIG>`).
    pub require_login: Option<bool>,
}

/// The files of the TLS materials, as the configuration names them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TlsPaths {
    /// `PROD-TLS-CA`: the root CA certificate.
    pub ca: Option<PathBuf>,
    /// `PROD-TLS-KEY`: the PKCS#12 client identity.
    pub key: Option<PathBuf>,
}

impl Settings {
    /// `PROD-TLS-CA` and `PROD-TLS-KEY` as files: absolute values as written, relative ones
    /// resolved against `cfg_dir`, the folder of the configuration file
    /// ([`crate::cfg::locate::cfg_folder`]).
    pub fn tls_paths(&self, cfg_dir: &Path) -> TlsPaths {
        TlsPaths {
            ca: self.tls_ca.as_deref().map(|value| resolve_in(cfg_dir, value)),
            key: self.tls_key.as_deref().map(|value| resolve_in(cfg_dir, value)),
        }
    }

    /// Builds the typed view from a lookup returning each tag's trimmed value.
    pub(crate) fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Settings {
        let text = |tag: &str| lookup(tag).filter(|value| !value.is_empty());
        let yes_no = |tag: &str| text(tag).and_then(|value| parse_yes_no(&value));
        Settings {
            slot: text(tag::SLOT).and_then(|value| value.parse().ok()),
            crypto_opr: text(tag::CRYPTO_OPR),
            crypto_opr_pass: text(tag::CRYPTO_OPR_PASS).map(Secret::from),
            keygroup_name: text(tag::KEYGROUP_NAME),
            address: text(tag::ADDRESS),
            prod_port: text(tag::PROD_PORT)
                .and_then(|value| value.parse::<u16>().ok())
                .filter(|port| *port != 0),
            tls_enabled: yes_no(tag::PROD_TLS_ENABLED),
            tls_anonymous: yes_no(tag::PROD_TLS_ANONYMOUS),
            load_balance: yes_no(tag::FX_LOAD_BALANCE),
            tls_ca: text(tag::PROD_TLS_CA),
            tls_key: text(tag::PROD_TLS_KEY),
            tls_key_pass: text(tag::PROD_TLS_KEY_PASS).map(Secret::from),
            require_login: yes_no(tag::REQUIRE_LOGIN_FLAG),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_fields_are_unique_and_in_known_sections() {
        assert_eq!(KNOWN_FIELDS.len(), 13);
        for (index, spec) in KNOWN_FIELDS.iter().enumerate() {
            assert!(is_known_section(spec.section), "{}", spec.tag);
            assert_eq!(field_spec(spec.tag).map(|found| found.tag), Some(spec.tag));
            assert!(KNOWN_FIELDS[index + 1..].iter().all(|other| other.tag != spec.tag));
        }
        assert_eq!(field_spec("prod-port").map(|spec| spec.kind), Some(FieldKind::Port));
    }

    #[test]
    fn secret_tags_include_unknown_password_names() {
        assert!(is_secret_tag("CRYPTO-OPR-PASS"));
        assert!(is_secret_tag("prod-tls-key-pass"));
        assert!(is_secret_tag("BACKUP-PASSWORD"));
        assert!(is_secret_tag("USER-PIN"));
        assert!(is_secret_tag("CRYPTO-OPR-PAS"));
        assert!(is_secret_tag("crypto-opr-pss"));
        assert!(is_secret_tag("PROD-TLS-KEYPASS"));
        assert!(is_secret_tag("SOPIN"));
        assert!(is_secret_tag("ADMIN_PWD"));
        assert!(is_secret_tag("API.SECRET"));
        assert!(is_secret_tag("OPR-PW"));
        assert!(is_secret_tag("KEY_PW"));
        assert!(is_secret_tag("pw"));
        assert!(!is_secret_tag("PROD-TLS-KEY"));
        assert!(!is_secret_tag("PROD-TLS-CA"));
        assert!(!is_secret_tag("PING-INTERVAL"));
        assert!(!is_secret_tag("SPINDLE"));
        for spec in KNOWN_FIELDS.iter().filter(|spec| spec.kind != FieldKind::Secret) {
            assert!(!is_secret_tag(spec.tag), "{}", spec.tag);
        }
    }

    #[test]
    fn tls_paths_resolve_relative_values_against_the_configuration_folder() {
        let settings = Settings {
            tls_ca: Some("certs/ca.pem".to_owned()),
            tls_key: Some("/etc/fx/client.p12".to_owned()),
            ..Settings::default()
        };
        let paths = settings.tls_paths(Path::new("/opt/fx"));
        assert_eq!(paths.ca.as_deref(), Some(Path::new("/opt/fx/certs/ca.pem")));
        assert_eq!(paths.key.as_deref(), Some(Path::new("/etc/fx/client.p12")));
        assert_eq!(Settings::default().tls_paths(Path::new("/opt/fx")), TlsPaths::default());
    }

    #[test]
    fn yes_no_is_case_insensitive_and_strict() {
        assert_eq!(parse_yes_no("yes"), Some(true));
        assert_eq!(parse_yes_no("No"), Some(false));
        assert_eq!(parse_yes_no("Y"), None);
        assert_eq!(parse_yes_no("true"), None);
    }
}
