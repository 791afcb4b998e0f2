//! Integration tests of the `fxpkcs11.cfg` model: lossless round trips, editing,
//! validation, locating, and atomic saving.

use std::ffi::OsString;
use std::fs;
use std::path::{Path, PathBuf};

use fxconfig::Explain;
use fxconfig::cfg::file::backup_path;
use fxconfig::cfg::locate::{self, CfgSource};
use fxconfig::cfg::{
    CfgDocument, CfgError, CfgFile, FindingKind, KNOWN_FIELDS, SetOutcome, Severity, cfg_folder, field_spec,
    permission_finding, validate,
};
use fxconfig::secret::MASK;
use proptest::prelude::*;

mod hardening;

const GUIDE_EXAMPLE: &[u8] = include_bytes!("../fixtures/cfg/guide_example.cfg");
const WINDOWS_CRLF_BOM: &[u8] = include_bytes!("../fixtures/cfg/windows_crlf_bom.cfg");
const MESSY: &[u8] = include_bytes!("../fixtures/cfg/messy.cfg");
const NO_ROOT: &[u8] = include_bytes!("../fixtures/cfg/no_root.cfg");

fn parse(bytes: &[u8]) -> CfgDocument {
    CfgDocument::parse(bytes).expect("test input is UTF-8")
}

fn text(doc: &CfgDocument) -> String {
    String::from_utf8(doc.to_bytes()).expect("documents are UTF-8")
}

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/cfg")
}

// ---------------------------------------------------------------- round trips

#[test]
fn every_fixture_round_trips_byte_for_byte() {
    let mut checked = 0;
    for item in fs::read_dir(fixtures_dir()).expect("fixture folder") {
        let path = item.expect("fixture entry").path();
        if path.extension().is_some_and(|ext| ext == "cfg") {
            let bytes = fs::read(&path).expect("fixture");
            assert_eq!(parse(&bytes).to_bytes(), bytes, "{}", path.display());
            checked += 1;
        }
    }
    assert_eq!(checked, 4);
}

#[test]
fn odd_inputs_round_trip() {
    let inputs: &[&[u8]] = &[
        b"",
        b"\n",
        b"\r\n",
        b"\xef\xbb\xbf",
        b"\xef\xbb\xbf<KMS>",
        b"<KMS>\r\n<SLOT> 0 </SLOT>\n</KMS>",
        b"lone\rcarriage return\n",
        b"   \t  \n\t\n",
        b"<SLOT> 0\n<<>>\n</>\n<>\n&amp;\n",
        b"<KMS>\n<KMS>\n</CONFIG>\n",
        "<KMS>\n  <CRYPTO-OPR> j\u{f6}rg \u{2603} </CRYPTO-OPR>\n</KMS>\n".as_bytes(),
    ];
    for input in inputs {
        assert_eq!(&parse(input).to_bytes(), input, "{:?}", String::from_utf8_lossy(input));
    }
}

#[test]
fn not_utf8_reports_the_line() {
    let error =
        CfgDocument::parse(b"<KMS>\n<SLOT> 0 </SLOT>\n<CRYPTO-OPR> \xff </CRYPTO-OPR>\n").expect_err("invalid UTF-8");
    assert!(matches!(error, CfgError::NotUtf8 { line: 3 }), "{error:?}");
    assert_eq!(error.guide_section(), Some("4.2"));
    assert!(error.remedy().contains("line 3"));
}

// ---------------------------------------------------------------- reading

#[test]
fn guide_example_reads_into_settings() {
    let doc = parse(GUIDE_EXAMPLE);
    let sections = doc.sections();
    assert_eq!(sections.len(), 2);
    assert_eq!(
        (sections[0].name.as_str(), sections[0].open_line, sections[0].close_line),
        ("CONFIG", 1, Some(4))
    );
    assert_eq!(
        (sections[1].name.as_str(), sections[1].open_line, sections[1].close_line),
        ("KMS", 5, Some(19))
    );
    assert_eq!(doc.entries().len(), 13);

    let settings = doc.settings();
    assert_eq!(settings.slot, Some(0));
    assert_eq!(settings.crypto_opr.as_deref(), Some("crypto1"));
    assert_eq!(
        settings.crypto_opr_pass.as_ref().map(|secret| secret.expose()),
        Some("safest")
    );
    assert_eq!(settings.keygroup_name.as_deref(), Some("keygroup1"));
    assert_eq!(settings.address.as_deref(), Some("10.0.8.20"));
    assert_eq!(settings.prod_port, Some(2001));
    assert_eq!(settings.tls_enabled, Some(true));
    assert_eq!(settings.tls_anonymous, Some(false));
    assert_eq!(settings.load_balance, Some(false));
    assert_eq!(settings.tls_ca.as_deref(), Some("/futurex/root_cert.pem"));
    assert_eq!(settings.tls_key.as_deref(), Some("/futurex/export_pkcs12.p12"));
    assert_eq!(
        settings.tls_key_pass.as_ref().map(|secret| secret.expose()),
        Some("safest")
    );
    assert_eq!(settings.require_login, Some(false));

    let address = doc.get(None, "address").expect("ADDRESS is present");
    assert_eq!(
        (
            address.section.as_deref(),
            address.tag.as_str(),
            address.value.as_str(),
            address.line
        ),
        (Some("KMS"), "ADDRESS", "10.0.8.20", 11)
    );
    assert!(doc.get(Some("config"), "ADDRESS").is_none());
    assert_eq!(
        doc.get(Some("config"), "require-login-flag").map(|entry| entry.line),
        Some(3)
    );
}

#[test]
fn secrets_never_show_in_debug_or_display_values() {
    let doc = parse(GUIDE_EXAMPLE);
    assert!(!format!("{doc:?}").contains("safest"));
    assert!(format!("{doc:?}").contains("crypto1"));
    assert!(!format!("{:?}", doc.settings()).contains("safest"));
    for entry in doc.entries() {
        assert!(!format!("{entry:?}").contains("safest"), "{}", entry.tag);
        if entry.is_secret() {
            assert_eq!(entry.display_value(), MASK);
        } else {
            assert_eq!(entry.display_value(), entry.value);
        }
    }
    // An unknown password tag, a commented-out password and a broken password line are
    // hidden as well.
    let doc = parse(
        b"<KMS>\n# <CRYPTO-OPR-PASS> oldsecret </CRYPTO-OPR-PASS>\n<CRYPTO-OPR-PASS> brokensecret\n<BACKUP-PASSWORD> othersecret </BACKUP-PASSWORD>\n</KMS>\n",
    );
    let debug = format!("{doc:?}");
    for secret in ["oldsecret", "brokensecret", "othersecret"] {
        assert!(!debug.contains(secret), "{secret} in {debug}");
        for finding in validate(&doc, None) {
            assert!(!finding.to_string().contains(secret));
            let json = serde_json::to_string(&finding).expect("findings serialise");
            assert!(!json.contains(secret));
        }
    }
}

#[test]
fn messy_fixture_is_read_leniently() {
    let doc = parse(MESSY);
    let entries: Vec<(Option<String>, String, String, usize)> = doc
        .entries()
        .into_iter()
        .map(|entry| (entry.section, entry.tag, entry.value, entry.line))
        .collect();
    let kms = Some("KMS".to_owned());
    assert_eq!(
        entries,
        vec![
            (
                Some("LOGGING".to_owned()),
                "LOG-LEVEL".into(),
                "debug &amp; more".into(),
                3
            ),
            (kms.clone(), "SLOT".into(), "0".into(), 6),
            (kms.clone(), "CRYPTO-OPR-PASS".into(), "p<a&ss#word".into(), 7),
            (kms.clone(), "ADDRESS".into(), "10.0.8.20".into(), 8),
            (kms, "KEYGROUP-NAME".into(), String::new(), 11),
        ]
    );
    let settings = doc.settings();
    assert_eq!(settings.slot, Some(0));
    assert_eq!(settings.prod_port, None);
    assert_eq!(settings.keygroup_name, None);
    assert_eq!(doc.sections()[1].close_line, Some(13));
}

#[test]
fn entries_without_a_root_section_are_read() {
    let doc = parse(NO_ROOT);
    assert!(doc.sections().is_empty());
    let slot = doc.get(None, "SLOT").expect("SLOT outside sections");
    assert_eq!((slot.section, slot.line), (None, 2));
    assert_eq!(doc.settings().address.as_deref(), Some("kmes"));
    assert!(doc.get(Some("KMS"), "SLOT").is_none());
}

#[test]
fn unclosed_entry_and_missing_section_tags_stay_verbatim() {
    // The printed guide lost the `<` and `/` of the section tags.
    let input = b"KMS>\n<SLOT> 0 </SLOT>\n<ADDRESS> 10.0.8.20\nKMS>\n";
    let mut doc = parse(input);
    assert_eq!(doc.entries().len(), 1);
    assert_eq!(doc.to_bytes(), input);
    assert!(matches!(
        doc.set(None, "SLOT", "1"),
        Ok(SetOutcome::Updated { line: 2 })
    ));
    assert_eq!(text(&doc), "KMS>\n<SLOT> 1 </SLOT>\n<ADDRESS> 10.0.8.20\nKMS>\n");
}

// ---------------------------------------------------------------- editing

#[test]
fn updating_keeps_padding_and_the_closing_column() {
    let mut doc = parse(GUIDE_EXAMPLE);
    assert!(matches!(
        doc.set(None, "ADDRESS", "kmes.example.com"),
        Ok(SetOutcome::Updated { line: 11 })
    ));
    let expected = String::from_utf8_lossy(GUIDE_EXAMPLE).replace(
        "<ADDRESS>               10.0.8.20           </ADDRESS>",
        "<ADDRESS>               kmes.example.com    </ADDRESS>",
    );
    assert_eq!(text(&doc), expected);

    // Longer than the padding allows: one space before the closing tag.
    assert!(
        doc.set(Some("KMS"), "PROD-TLS-CA", "/opt/futurex/certs/root.pem")
            .is_ok()
    );
    assert!(text(&doc).contains("    <PROD-TLS-CA>           /opt/futurex/certs/root.pem </PROD-TLS-CA>\n"));

    // Setting the same value again changes nothing.
    let before = doc.to_bytes();
    assert!(doc.set(None, "SLOT", "0").is_ok());
    assert_eq!(doc.to_bytes(), before);
}

#[test]
fn an_empty_padded_value_is_filled_in_the_value_column() {
    let mut doc = parse(fxconfig::cfg::blank_template().as_bytes());
    assert!(doc.set(None, "ADDRESS", "10.0.8.20").is_ok());
    assert!(
        doc.set(None, "PROD-TLS-CA", "/opt/futurex/certs/root-ca-exported.pem")
            .is_ok()
    );
    assert!(doc.set(None, "CRYPTO-OPR", "crypto1").is_ok());
    let filled = text(&doc);
    // The value column of SLOT's 0 and the closing column of every entry.
    for line in [
        "    <SLOT>                   0           </SLOT>\n",
        "    <CRYPTO-OPR>             crypto1     </CRYPTO-OPR>\n",
        "    <ADDRESS>                10.0.8.20   </ADDRESS>\n",
        "    <PROD-TLS-CA>            /opt/futurex/certs/root-ca-exported.pem </PROD-TLS-CA>\n",
    ] {
        assert!(filled.contains(line), "{line:?} in {filled}");
    }

    // Without a value to align with, one character of the gap stays before the value.
    let mut doc = parse(b"<KMS>\n    <ADDRESS>        </ADDRESS>\n</KMS>\n");
    assert!(doc.set(None, "ADDRESS", "kmes").is_ok());
    assert_eq!(text(&doc), "<KMS>\n    <ADDRESS> kmes   </ADDRESS>\n</KMS>\n");
}

#[test]
fn updating_keeps_tabs_compact_entries_and_odd_closing_case() {
    let mut doc = parse(MESSY);
    assert!(doc.set(None, "slot", "3").is_ok());
    assert!(doc.set(None, "ADDRESS", "kmes-2").is_ok());
    assert!(doc.set(None, "KEYGROUP-NAME", "ssh").is_ok());
    let expected = String::from_utf8_lossy(MESSY)
        .replace("\t<SLOT>0</SLOT>", "\t<SLOT>3</SLOT>")
        .replace("<ADDRESS> 10.0.8.20 </address>", "<ADDRESS> kmes-2 </address>")
        .replace(
            "<KEYGROUP-NAME>  </KEYGROUP-NAME>",
            "<KEYGROUP-NAME> ssh </KEYGROUP-NAME>",
        );
    assert_eq!(text(&doc), expected);

    let mut doc = parse(WINDOWS_CRLF_BOM);
    assert!(doc.set(None, "CRYPTO-OPR", "sshuser").is_ok());
    let mut expected = WINDOWS_CRLF_BOM.to_vec();
    let old: &[u8] = b"\t<CRYPTO-OPR>\tcrypto1\t</CRYPTO-OPR>";
    let at = expected
        .windows(old.len())
        .position(|window| window == old)
        .expect("fixture line");
    expected.splice(
        at..at + old.len(),
        b"\t<CRYPTO-OPR>\tsshuser\t</CRYPTO-OPR>".iter().copied(),
    );
    assert_eq!(doc.to_bytes(), expected);
}

#[test]
fn inserting_copies_indentation_columns_and_line_endings() {
    let without = String::from_utf8_lossy(GUIDE_EXAMPLE).replace(
        "    <FX-LOAD-BALANCE>       NO                  </FX-LOAD-BALANCE>\n",
        "",
    );
    let mut doc = parse(without.as_bytes());
    assert!(doc.get(None, "FX-LOAD-BALANCE").is_none());
    assert!(matches!(
        doc.set(None, "FX-LOAD-BALANCE", "NO"),
        Ok(SetOutcome::Inserted { line: 18 })
    ));
    assert_eq!(doc.to_bytes(), GUIDE_EXAMPLE);

    // CRLF and tab-indented file: the new line is CRLF and tab-indented.
    let mut doc = parse(WINDOWS_CRLF_BOM);
    assert!(matches!(
        doc.set(None, "KEYGROUP-NAME", "keygroup1"),
        Ok(SetOutcome::Inserted { line: 12 })
    ));
    let expected = String::from_utf8_lossy(WINDOWS_CRLF_BOM).replace(
        "\t<PROD-PORT>\t2001\t</PROD-PORT>\r\n",
        "\t<PROD-PORT>\t2001\t</PROD-PORT>\r\n\t<KEYGROUP-NAME>\tkeygroup1\t</KEYGROUP-NAME>\r\n",
    );
    assert_eq!(text(&doc), expected);
    assert!(doc.to_bytes().starts_with(b"\xef\xbb\xbf# Written"));
}

#[test]
fn inserting_into_an_empty_or_unclosed_section() {
    let mut doc = parse(b"<KMS>\n  # nothing yet\n</KMS>\n");
    assert!(matches!(
        doc.set(None, "SLOT", "0"),
        Ok(SetOutcome::Inserted { line: 3 })
    ));
    assert_eq!(text(&doc), "<KMS>\n  # nothing yet\n    <SLOT> 0 </SLOT>\n</KMS>\n");

    // Unclosed section at the end of a file without a final newline.
    let mut doc = parse(b"<KMS>\r\n\t<SLOT> 0 </SLOT>");
    assert!(matches!(
        doc.set(None, "ADDRESS", "kmes"),
        Ok(SetOutcome::Inserted { line: 3 })
    ));
    assert_eq!(
        text(&doc),
        "<KMS>\r\n\t<SLOT> 0 </SLOT>\r\n\t<ADDRESS> kmes </ADDRESS>\r\n"
    );
}

#[test]
fn missing_section_is_appended_in_the_file_style() {
    let mut doc = parse(b"<KMS>\r\n  <SLOT>    0    </SLOT>\r\n</KMS>");
    assert!(matches!(
        doc.set(None, "REQUIRE-LOGIN-FLAG", "NO"),
        Ok(SetOutcome::SectionCreated { line: 5 })
    ));
    assert_eq!(
        text(&doc),
        "<KMS>\r\n  <SLOT>    0    </SLOT>\r\n</KMS>\r\n<CONFIG>\r\n  <REQUIRE-LOGIN-FLAG> NO </REQUIRE-LOGIN-FLAG>\r\n</CONFIG>\r\n"
    );
    assert_eq!(doc.settings().require_login, Some(false));

    let mut doc = CfgDocument::new();
    assert!(matches!(
        doc.set(None, "ADDRESS", "10.0.8.20"),
        Ok(SetOutcome::SectionCreated { line: 2 })
    ));
    assert!(matches!(
        doc.set(None, "PROD-PORT", "2001"),
        Ok(SetOutcome::Inserted { line: 3 })
    ));
    assert_eq!(
        text(&doc),
        "<KMS>\n    <ADDRESS> 10.0.8.20 </ADDRESS>\n    <PROD-PORT> 2001 </PROD-PORT>\n</KMS>\n"
    );

    // An unknown tag goes to KMS; an explicit unknown section is refused.
    let mut doc = parse(b"<CONFIG>\n</CONFIG>\n");
    assert!(matches!(
        doc.set(None, "LOG-FILE", "/tmp/fx.log"),
        Ok(SetOutcome::SectionCreated { line: 4 })
    ));
    let before = doc.to_bytes();
    let error = doc
        .set(Some("LOGGING"), "LOG-LEVEL", "debug")
        .expect_err("unknown section");
    assert!(matches!(error, CfgError::UnknownSection { .. }));
    assert_eq!(doc.to_bytes(), before);
}

#[test]
fn values_that_would_corrupt_the_line_are_refused() {
    let mut doc = parse(GUIDE_EXAMPLE);
    for bad in [
        "two\nlines",
        "cr\rhere",
        "x</CRYPTO-OPR-PASS>",
        "x</crypto-opr-pass",
        " padded",
        "padded\t",
        "nul\0",
    ] {
        let error = doc
            .set(None, "CRYPTO-OPR-PASS", bad)
            .expect_err("value must be refused");
        assert!(matches!(error, CfgError::InvalidValue { .. }), "{bad:?}");
        assert!(!error.to_string().contains("x</"), "message repeats the value");
        assert_eq!(error.guide_section(), Some("4.2"));
        assert_eq!(doc.to_bytes(), GUIDE_EXAMPLE);
    }
    assert!(matches!(
        doc.set(None, "BAD TAG", "x"),
        Err(CfgError::InvalidName { .. })
    ));
    // `<`, `&`, `#` and other closing tags are fine.
    assert!(doc.set(None, "CRYPTO-OPR-PASS", "a<b&c#</SLOT>").is_ok());
    assert_eq!(
        parse(&doc.to_bytes())
            .get(None, "CRYPTO-OPR-PASS")
            .map(|entry| entry.value),
        Some("a<b&c#</SLOT>".to_owned())
    );
}

// ---------------------------------------------------------------- validation

fn kinds(findings: &[fxconfig::cfg::Finding]) -> Vec<(Option<usize>, FindingKind, Severity)> {
    findings
        .iter()
        .map(|finding| (finding.line, finding.kind, finding.severity))
        .collect()
}

#[test]
fn guide_example_is_valid_without_a_path() {
    assert_eq!(validate(&parse(GUIDE_EXAMPLE), None), vec![]);
}

#[test]
fn validation_reports_each_problem_on_its_line() {
    let input = "\
<CONFIG>
    <REQUIRE-LOGIN-FLAG> maybe </REQUIRE-LOGIN-FLAG>
</CONFIG>
<KMS>
    <SLOT> first </SLOT>
    <ADDRESS> 10.0.8.256 </ADDRESS>
    <PROD-PORT> 70000 </PROD-PORT>
    <PROD-TLS-ENABLED> yes </PROD-TLS-ENABLED>
    <PROD-TLS-ANONYMOUS> no </PROD-TLS-ANONYMOUS>
    <FX-LOAD-BALANCE> N </FX-LOAD-BALANCE>
    <SLOT> 1 </SLOT>
    <CRYPTO-OPR> crypto1 </CRYPTO-OPR>
    <CRYPTO-OPR-PASS> safest </CRYPTO-OPR-PASS>
    <KEYGROUP-NAME> keygroup1 </KEYGROUP-NAME>
    <REQUIRE-LOGIN-FLAG> NO </REQUIRE-LOGIN-FLAG>
    this line is junk
  <INNER>
</KMS>
</CONFIG>
<OUTSIDE-TAG> 1 </OUTSIDE-TAG>
";
    let findings = validate(&parse(input.as_bytes()), None);
    use FindingKind as K;
    use Severity::{Error as E, Warning as W};
    assert_eq!(
        kinds(&findings),
        vec![
            (Some(2), K::BadYesNo, E),
            (Some(5), K::BadNumber, E),
            (Some(6), K::BadHost, E),
            (Some(7), K::PortOutOfRange, E),
            (Some(8), K::TlsMaterialMissing, E),
            (Some(8), K::TlsMaterialMissing, E),
            (Some(10), K::BadYesNo, E),
            (Some(11), K::DuplicateTag, E),
            (Some(15), K::WrongSection, W),
            (Some(16), K::Malformed, E),
            (Some(17), K::UnclosedSection, E),
            (Some(17), K::NestedSection, E),
            (Some(19), K::StraySectionClose, E),
            (Some(20), K::EntryOutsideSection, W),
        ]
    );
    for finding in &findings {
        assert!(
            finding
                .to_string()
                .starts_with(&format!("line {}: ", finding.line.unwrap_or_default()))
        );
    }
    let message = |kind| {
        findings
            .iter()
            .find(|finding| finding.kind == kind)
            .map(|finding| finding.message.clone())
            .unwrap_or_default()
    };
    assert!(message(K::BadYesNo).contains("REQUIRE-LOGIN-FLAG must be YES or NO"));
    assert!(message(K::BadYesNo).contains("\"maybe\""));
    assert!(message(K::PortOutOfRange).contains("PROD-PORT must be a port from 1 to 65535"));
    assert!(message(K::DuplicateTag).contains("first on line 5"));
    assert!(message(K::BadHost).contains("ADDRESS"));
    let tls_tags: Vec<_> = findings
        .iter()
        .filter(|finding| finding.kind == K::TlsMaterialMissing)
        .filter_map(|finding| finding.tag.as_deref())
        .collect();
    assert_eq!(tls_tags, ["PROD-TLS-CA", "PROD-TLS-KEY"]);
}

#[test]
fn messy_fixture_findings() {
    let findings = validate(&parse(MESSY), None);
    use FindingKind as K;
    use Severity::{Error as E, Warning as W};
    assert_eq!(
        kinds(&findings),
        vec![
            (Some(5), K::MissingRequired, E),
            (Some(5), K::MissingRecommended, W),
            (Some(9), K::Malformed, E),
            (Some(10), K::Malformed, E),
            (Some(11), K::MissingRecommended, W),
            (None, K::LoginPrompt, W),
        ]
    );
    assert_eq!(findings[0].tag.as_deref(), Some("PROD-PORT"));
    assert_eq!(findings[1].tag.as_deref(), Some("CRYPTO-OPR"));
    assert_eq!(findings[3].tag.as_deref(), Some("PROD-PORT"));
    assert!(findings[3].message.contains("expected </PROD-PORT>"));
    assert_eq!(findings[5].to_string(), findings[5].message);
}

#[test]
fn missing_required_fields_without_a_kms_section() {
    let findings = validate(
        &parse(b"<CONFIG>\n<REQUIRE-LOGIN-FLAG> NO </REQUIRE-LOGIN-FLAG>\n</CONFIG>\n"),
        None,
    );
    let required: Vec<_> = findings
        .iter()
        .filter(|finding| finding.kind == FindingKind::MissingRequired)
        .map(|finding| (finding.line, finding.tag.as_deref(), finding.severity))
        .collect();
    assert_eq!(
        required,
        [
            (None, Some("ADDRESS"), Severity::Error),
            (None, Some("PROD-PORT"), Severity::Error)
        ]
    );
}

#[test]
fn referenced_files_are_checked_relative_to_the_cfg_folder() {
    let dir = tempfile::tempdir().expect("temp dir");
    let cfg_path = dir.path().join("fxpkcs11.cfg");
    fs::create_dir(dir.path().join("tls")).expect("tls folder");
    fs::write(dir.path().join("tls/root_cert.pem"), b"not checked here").expect("ca file");
    let input = "<CONFIG>\n<REQUIRE-LOGIN-FLAG> NO </REQUIRE-LOGIN-FLAG>\n</CONFIG>\n<KMS>\n\
        <CRYPTO-OPR> c </CRYPTO-OPR>\n<KEYGROUP-NAME> k </KEYGROUP-NAME>\n\
        <ADDRESS> kmes </ADDRESS>\n<PROD-PORT> 2001 </PROD-PORT>\n\
        <PROD-TLS-ENABLED> YES </PROD-TLS-ENABLED>\n\
        <PROD-TLS-CA> tls/root_cert.pem </PROD-TLS-CA>\n\
        <PROD-TLS-KEY> tls/missing.p12 </PROD-TLS-KEY>\n</KMS>\n";
    let doc = parse(input.as_bytes());
    fs::write(&cfg_path, input).expect("cfg file");

    let paths = doc.settings().tls_paths(cfg_folder(&cfg_path));
    assert_eq!(paths.ca, Some(dir.path().join("tls/root_cert.pem")));
    assert_eq!(paths.key, Some(dir.path().join("tls/missing.p12")));
    let absolute = dir.path().join("elsewhere").join("ca.pem");
    let mut moved = doc.clone();
    moved
        .set(None, "PROD-TLS-CA", &absolute.display().to_string())
        .expect("sets");
    assert_eq!(moved.settings().tls_paths(cfg_folder(&cfg_path)).ca, Some(absolute));

    // Without a path no file is looked at.
    let findings = validate(&doc, None);
    assert!(findings.iter().all(|finding| finding.kind != FindingKind::MissingFile));
    assert!(
        findings
            .iter()
            .all(|finding| finding.kind != FindingKind::ReadableByOthers)
    );

    let findings = validate(&doc, Some(&cfg_path));
    let missing: Vec<_> = findings
        .iter()
        .filter(|finding| finding.kind == FindingKind::MissingFile)
        .collect();
    assert_eq!(missing.len(), 1);
    assert_eq!(missing[0].line, Some(11));
    assert_eq!(missing[0].severity, Severity::Error);
    assert_eq!(missing[0].tag.as_deref(), Some("PROD-TLS-KEY"));
    assert!(
        missing[0]
            .message
            .contains(&dir.path().join("tls/missing.p12").display().to_string())
    );

    fs::write(dir.path().join("tls/missing.p12"), b"now present").expect("key file");
    assert!(
        validate(&doc, Some(&cfg_path))
            .iter()
            .all(|finding| finding.kind != FindingKind::MissingFile)
    );
}

#[cfg(unix)]
#[test]
fn password_file_readable_by_others_is_reported() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("fxpkcs11.cfg");
    fs::write(&path, GUIDE_EXAMPLE).expect("cfg file");
    let doc = parse(GUIDE_EXAMPLE);

    fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).expect("chmod");
    let finding = permission_finding(&path, &doc).expect("0644 with passwords");
    assert_eq!(finding.severity, Severity::Warning);
    assert_eq!(finding.kind, FindingKind::ReadableByOthers);
    assert_eq!(finding.line, Some(9));
    assert!(finding.message.contains("0644"), "{}", finding.message);
    assert!(finding.message.contains("chmod 600"), "{}", finding.message);
    assert!(!finding.message.contains("safest"));
    assert!(validate(&doc, Some(&path)).contains(&finding));

    // Group read is how the ssh users get the file (`--group`): no finding.
    fs::set_permissions(&path, fs::Permissions::from_mode(0o640)).expect("chmod");
    assert_eq!(permission_finding(&path, &doc), None);
    fs::set_permissions(&path, fs::Permissions::from_mode(0o604)).expect("chmod");
    let finding = permission_finding(&path, &doc).expect("0604 with passwords");
    assert!(finding.message.contains("0604") && finding.message.contains("all other users"));

    fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).expect("chmod");
    assert_eq!(permission_finding(&path, &doc), None);

    fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).expect("chmod");
    let no_passwords = parse(b"<KMS>\n<CRYPTO-OPR-PASS></CRYPTO-OPR-PASS>\n</KMS>\n");
    assert_eq!(permission_finding(&path, &no_passwords), None);
}

#[test]
fn findings_serialise() {
    let findings = validate(&parse(MESSY), None);
    let json = serde_json::to_value(&findings[2]).expect("serialise");
    assert_eq!(json["line"], 9);
    assert_eq!(json["severity"], "error");
    assert_eq!(json["kind"], "malformed");
    assert!(json["message"].as_str().is_some_and(|text| !text.is_empty()));
}

// ---------------------------------------------------------------- fields and locating

#[test]
fn known_fields_cover_the_guide_example() {
    let doc = parse(GUIDE_EXAMPLE);
    let tags: Vec<String> = doc.entries().into_iter().map(|entry| entry.tag).collect();
    let known: Vec<&str> = KNOWN_FIELDS.iter().map(|spec| spec.tag).collect();
    assert_eq!(tags.len(), known.len());
    for tag in &tags {
        assert!(known.contains(&tag.as_str()), "{tag}");
        let spec = field_spec(tag).expect("known");
        assert!(!spec.help.is_empty() && !spec.label.is_empty() && !spec.guide.is_empty());
    }
    assert_eq!(
        field_spec("require-login-flag").map(|spec| spec.section),
        Some("CONFIG")
    );
    assert!(field_spec("UNKNOWN").is_none());
}

#[test]
fn library_path_comes_from_the_environment_value() {
    let from_env = locate::library_cfg_path_from(Some(OsString::from("/opt/fx/fxpkcs11.cfg")));
    assert_eq!(from_env.path, PathBuf::from("/opt/fx/fxpkcs11.cfg"));
    assert_eq!(from_env.source, CfgSource::EnvVar);

    for unset in [None, Some(OsString::new())] {
        let default = locate::library_cfg_path_from(unset);
        assert_eq!(default.source, CfgSource::PlatformDefault);
        #[cfg(unix)]
        assert_eq!(default.path, PathBuf::from("/etc/fxpkcs11.cfg"));
        #[cfg(windows)]
        assert_eq!(
            default.path,
            PathBuf::from(r"C:\Program Files\Futurex\fxpkcs11\fxpkcs11.cfg")
        );
    }
    let current = locate::library_cfg_path();
    let expected = locate::library_cfg_path_from(std::env::var_os(locate::ENV_VAR));
    assert_eq!(current, expected);
}

#[test]
fn library_file_comparison_sees_through_path_spellings() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("fxpkcs11.cfg");
    fs::write(&path, GUIDE_EXAMPLE).expect("cfg file");
    let other = dir.path().join("other.cfg");
    fs::write(&other, GUIDE_EXAMPLE).expect("cfg file");

    let lib = locate::library_cfg_path_from(Some(path.clone().into_os_string()));
    let roundabout = dir.path().join("sub/../fxpkcs11.cfg");
    fs::create_dir(dir.path().join("sub")).expect("sub folder");
    assert!(locate::is_library_cfg(&roundabout, &lib));
    assert_eq!(locate::library_mismatch_message(&roundabout, &lib), None);

    assert!(!locate::is_library_cfg(&other, &lib));
    let message = locate::library_mismatch_message(&other, &lib).expect("differs");
    assert!(
        message.starts_with(&format!("the PKCS#11 library reads {}", path.display())),
        "{message}"
    );
    assert!(message.contains("not this file"));
    assert!(message.contains("FXPKCS11_CFG"));

    // Neither file exists: absolute paths are compared.
    let ghost = dir.path().join("ghost.cfg");
    let lib = locate::library_cfg_path_from(Some(ghost.clone().into_os_string()));
    assert!(locate::is_library_cfg(&ghost, &lib));
    assert!(!locate::is_library_cfg(&dir.path().join("ghost2.cfg"), &lib));
}

#[test]
fn public_types_are_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<CfgDocument>();
    assert_send_sync::<CfgFile>();
    assert_send_sync::<CfgError>();
    assert_send_sync::<fxconfig::cfg::Settings>();
    assert_send_sync::<fxconfig::cfg::Entry>();
    assert_send_sync::<fxconfig::cfg::Finding>();
    assert_send_sync::<locate::LibraryCfg>();
}

#[test]
fn every_error_explains_itself() {
    let io = || std::io::Error::other("disk on fire");
    let errors = [
        CfgError::NotUtf8 { line: 2 },
        CfgError::Read {
            path: "/etc/fxpkcs11.cfg".into(),
            source: io(),
        },
        CfgError::Write {
            path: "/etc/fxpkcs11.cfg".into(),
            source: io(),
        },
        CfgError::ChangedOnDisk {
            path: "/etc/fxpkcs11.cfg".into(),
        },
        CfgError::InvalidValue {
            tag: "SLOT".into(),
            reason: "r".into(),
        },
        CfgError::InvalidName {
            name: "a b".into(),
            reason: "r".into(),
        },
        CfgError::UnknownSection {
            section: "LOGGING".into(),
        },
    ];
    for error in &errors {
        assert!(!error.remedy().is_empty());
        assert!(matches!(error.guide_section(), Some("4.2" | "2.2")));
    }
    assert_eq!(
        fxconfig::remedy::cause_chain(&errors[1]),
        "cannot read /etc/fxpkcs11.cfg: disk on fire"
    );
    assert!(errors[3].to_string().contains("reload"));
    assert!(errors[3].to_string().contains("save under another name"));
}

// ---------------------------------------------------------------- saving

fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .expect("listing")
        .map(|item| item.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    fs::metadata(path).expect("metadata").permissions().mode() & 0o7777
}

#[test]
fn save_writes_the_edit_and_keeps_one_backup() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("fxpkcs11.cfg");
    fs::write(&path, WINDOWS_CRLF_BOM).expect("cfg file");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(&path, fs::Permissions::from_mode(0o640)).expect("chmod");
    }

    let mut file = CfgFile::load(&path).expect("load");
    assert!(!file.is_modified());
    assert!(!file.changed_on_disk().expect("state"));
    assert_eq!(
        file.disk_state().map(|state| state.len),
        Some(WINDOWS_CRLF_BOM.len() as u64)
    );

    file.doc.set(None, "SLOT", "1").expect("set");
    assert!(file.is_modified());
    let first = file.doc.to_bytes();
    let report = file.save().expect("save");
    assert!(!file.is_modified());
    assert_eq!(report.path, path);
    assert_eq!(report.bytes, first.len());
    assert_eq!(report.backup.as_deref(), Some(backup_path(&path).as_path()));
    assert_eq!(fs::read(&path).expect("saved"), first);
    assert_eq!(fs::read(backup_path(&path)).expect("backup"), WINDOWS_CRLF_BOM);
    #[cfg(unix)]
    {
        assert_eq!(report.mode, Some(0o640));
        assert_eq!(mode(&path), 0o640);
        assert_eq!(mode(&backup_path(&path)), 0o640);
    }

    file.doc.set(None, "SLOT", "2").expect("set");
    file.save().expect("second save");
    assert_eq!(fs::read(backup_path(&path)).expect("backup"), first);
    assert_eq!(
        listing(dir.path()),
        [".fxpkcs11.cfg.lock", "fxpkcs11.cfg", "fxpkcs11.cfg.bak"]
    );

    // Saving unchanged contents keeps the meaningful backup.
    let report = file.save().expect("third save");
    assert_eq!(report.backup, None);
    assert_eq!(fs::read(backup_path(&path)).expect("backup"), first);
    assert_eq!(CfgFile::load(&path).expect("reload").doc, file.doc);
}

#[cfg(unix)]
#[test]
fn new_file_is_private() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("fxpkcs11.cfg");
    let mut doc = CfgDocument::new();
    doc.set(None, "CRYPTO-OPR-PASS", "safest").expect("set");
    let mut file = CfgFile::new_unsaved(&path, doc);
    assert!(file.is_modified());
    assert!(!file.changed_on_disk().expect("state"));
    let report = file.save().expect("save");
    assert_eq!(report.backup, None);
    assert_eq!(report.mode, Some(0o600));
    assert_eq!(mode(&path), 0o600);
    assert_eq!(listing(dir.path()), [".fxpkcs11.cfg.lock", "fxpkcs11.cfg"]);
    assert!(!format!("{file:?}").contains("safest"));
}

#[test]
fn save_refuses_to_overwrite_a_file_changed_on_disk() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("fxpkcs11.cfg");
    fs::write(&path, GUIDE_EXAMPLE).expect("cfg file");
    let mut file = CfgFile::load(&path).expect("load");
    // An edit that is more than set values (a comment removed) cannot be re-applied to
    // a file that changed meanwhile.
    let without_comment = String::from_utf8(GUIDE_EXAMPLE.to_vec())
        .expect("UTF-8")
        .replace("    # Which PKCS11 slot\n", "");
    file.doc = parse(without_comment.as_bytes());
    file.doc.set(None, "SLOT", "7").expect("set");
    let edited = file.doc.clone();

    // Same length, different bytes: only the hash can tell.
    let mut theirs = GUIDE_EXAMPLE.to_vec();
    let at = theirs
        .windows(9)
        .position(|window| window == b"10.0.8.20")
        .expect("address");
    theirs[at..at + 9].copy_from_slice(b"10.0.8.21");
    fs::write(&path, &theirs).expect("other program");
    assert!(file.changed_on_disk().expect("state"));

    let error = file.save().expect_err("conflict");
    assert!(matches!(&error, CfgError::ChangedOnDisk { path: reported } if reported == &path));
    assert!(error.remedy().contains("Reload"));
    assert_eq!(fs::read(&path).expect("theirs"), theirs);
    assert_eq!(file.doc, edited);
    assert_eq!(listing(dir.path()), [".fxpkcs11.cfg.lock", "fxpkcs11.cfg"]);

    // Save as elsewhere works and moves the document there.
    let other = dir.path().join("mine.cfg");
    let report = file.save_as(&other).expect("save as");
    assert_eq!(report.backup, None);
    assert_eq!(file.path, other);
    assert_eq!(fs::read(&other).expect("mine"), edited.to_bytes());
    assert!(!file.changed_on_disk().expect("state"));

    // A removed file counts as changed too, and so does one created after new_unsaved.
    fs::remove_file(&other).expect("remove");
    assert!(file.changed_on_disk().expect("state"));
    assert!(matches!(file.save(), Err(CfgError::ChangedOnDisk { .. })));
    let mut fresh = CfgFile::new_unsaved(&path, CfgDocument::new());
    assert!(matches!(fresh.save(), Err(CfgError::ChangedOnDisk { .. })));
    assert_eq!(fs::read(&path).expect("theirs"), theirs);
    assert_eq!(
        listing(dir.path()),
        [".fxpkcs11.cfg.lock", ".mine.cfg.lock", "fxpkcs11.cfg"]
    );
}

#[test]
fn load_reports_unreadable_files() {
    let dir = tempfile::tempdir().expect("temp dir");
    let missing = dir.path().join("absent.cfg");
    let error = CfgFile::load(&missing).expect_err("missing file");
    assert!(
        matches!(&error, CfgError::Read { path, source } if path == &missing && source.kind() == std::io::ErrorKind::NotFound)
    );
    assert_eq!(error.guide_section(), Some("2.2"));

    let binary = dir.path().join("binary.cfg");
    fs::write(&binary, b"<KMS>\n\xc3\x28\n").expect("binary");
    assert!(matches!(CfgFile::load(&binary), Err(CfgError::NotUtf8 { line: 2 })));
}

#[cfg(unix)]
#[test]
fn save_follows_a_symbolic_link() {
    let dir = tempfile::tempdir().expect("temp dir");
    let real = dir.path().join("real.cfg");
    let link = dir.path().join("fxpkcs11.cfg");
    fs::write(&real, GUIDE_EXAMPLE).expect("cfg file");
    std::os::unix::fs::symlink(&real, &link).expect("symlink");
    let mut file = CfgFile::load(&link).expect("load");
    file.doc.set(None, "SLOT", "4").expect("set");
    let report = file.save().expect("save");
    assert_eq!(report.path, real.canonicalize().expect("canonical"));
    assert!(fs::symlink_metadata(&link).expect("link").file_type().is_symlink());
    assert_eq!(fs::read(&link).expect("through link"), file.doc.to_bytes());
    assert_eq!(
        listing(dir.path()),
        [".real.cfg.lock", "fxpkcs11.cfg", "real.cfg", "real.cfg.bak"]
    );
}

// ---------------------------------------------------------------- read-only folder

const READONLY_TARGET_ENV: &str = "FXCONFIG_TEST_READONLY_TARGET";

/// The name the test harness knows the test function `function` of this module by.
fn test_name(function: &str) -> String {
    let (_crate, module) = module_path!().split_once("::").expect("a module below the crate");
    format!("{module}::{function}")
}

/// Tries to save an edit of the file named by `READONLY_TARGET_ENV`, which lives in a
/// read-only folder: the save must fail and leave the document as it was.
fn try_saving_into_read_only_folder(path: &Path) {
    let mut file = CfgFile::load(path).expect("load");
    file.doc.set(None, "SLOT", "9").expect("set");
    let edited = file.doc.clone();
    let error = file.save().expect_err("the folder is read-only");
    assert!(matches!(error, CfgError::Write { .. }), "{error:?}");
    assert_eq!(error.guide_section(), Some("2.2"));
    assert_eq!(file.doc, edited);
    assert!(file.is_modified());
    assert!(!file.changed_on_disk().expect("state"));
}

#[test]
#[ignore = "helper run by original_is_intact_when_the_folder_is_read_only as an unprivileged user"]
fn helper_save_into_read_only_folder() {
    if let Some(target) = std::env::var_os(READONLY_TARGET_ENV) {
        try_saving_into_read_only_folder(Path::new(&target));
    }
}

#[cfg(unix)]
#[test]
fn original_is_intact_when_the_folder_is_read_only() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("fxpkcs11.cfg");
    fs::write(&path, GUIDE_EXAMPLE).expect("cfg file");
    fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).expect("chmod file");
    fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o555)).expect("chmod folder");

    // With CAP_DAC_OVERRIDE (root) the folder's mode does not stop us; run the attempt as
    // an unprivileged user instead.
    let privileged = fs::write(dir.path().join("probe"), b"").is_ok();
    if privileged {
        fs::remove_file(dir.path().join("probe")).expect("remove probe");
        let status = std::process::Command::new("setpriv")
            .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .arg(std::env::current_exe().expect("test binary"))
            .args(["--ignored", "--exact", "--test-threads=1"])
            .arg(test_name("helper_save_into_read_only_folder"))
            .env(READONLY_TARGET_ENV, &path)
            .stdout(std::process::Stdio::null())
            .status();
        match status {
            Ok(status) => assert!(status.success(), "the unprivileged save attempt failed its checks"),
            Err(error) => {
                eprintln!("skipped: running privileged and setpriv is unavailable ({error})")
            }
        }
    } else {
        try_saving_into_read_only_folder(&path);
    }

    assert_eq!(fs::read(&path).expect("original"), GUIDE_EXAMPLE);
    assert_eq!(listing(dir.path()), ["fxpkcs11.cfg"]);
    fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o755)).expect("restore folder");
}

// ---------------------------------------------------------------- crash safety

const CRASH_TARGET_ENV: &str = "FXCONFIG_TEST_CRASH_TARGET";
const CRASH_VALUES: [&str; 2] = ["alpha", "a-much-longer-bravo-value-that-moves-bytes"];

/// A large document, so that a save takes long enough to be interrupted.
fn crash_document() -> CfgDocument {
    let mut input = String::from("<KMS>\n    <CRYPTO-OPR> alpha </CRYPTO-OPR>\n");
    for index in 0..4000 {
        input.push_str(&format!(
            "    # padding line {index:05} so that writing the file takes a while\n"
        ));
    }
    input.push_str("</KMS>\n");
    parse(input.as_bytes())
}

#[test]
#[ignore = "helper run by save_is_atomic_when_the_process_is_killed"]
fn helper_save_in_a_loop() {
    let Some(target) = std::env::var_os(CRASH_TARGET_ENV) else {
        return;
    };
    let mut file = CfgFile::load(&target).expect("load");
    let started = std::time::Instant::now();
    // Bounded, in case the parent dies before killing us.
    while started.elapsed() < std::time::Duration::from_secs(10) {
        let current = file.doc.get(None, "CRYPTO-OPR").map(|entry| entry.value);
        let next = if current.as_deref() == Some(CRASH_VALUES[0]) {
            CRASH_VALUES[1]
        } else {
            CRASH_VALUES[0]
        };
        file.doc.set(None, "CRYPTO-OPR", next).expect("set");
        file.save().expect("save");
    }
}

fn random_below(bound: u64) -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u64(bound);
    hasher.finish() % bound
}

#[test]
fn save_is_atomic_when_the_process_is_killed() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("fxpkcs11.cfg");
    let old = crash_document();
    let mut new = old.clone();
    new.set(None, "CRYPTO-OPR", CRASH_VALUES[1]).expect("set");
    let versions = [old.to_bytes(), new.to_bytes()];
    fs::write(&path, &versions[0]).expect("cfg file");

    let exe = std::env::current_exe().expect("test binary");
    let mut previous = versions[0].clone();
    let mut flips = 0;
    for _ in 0..50 {
        let mut child = std::process::Command::new(&exe)
            .args(["--ignored", "--exact", "--test-threads=1"])
            .arg(test_name("helper_save_in_a_loop"))
            .env(CRASH_TARGET_ENV, &path)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("spawn helper");
        // Once the helper is saving (its first save has changed the file, or a loaded machine took
        // two seconds to start it), kill it at a random moment of its loop.
        let started = std::time::Instant::now();
        while fs::read(&path).ok().as_ref() == Some(&previous) && started.elapsed() < std::time::Duration::from_secs(2)
        {
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        std::thread::sleep(std::time::Duration::from_millis(random_below(60)));
        child.kill().expect("kill helper");
        child.wait().expect("reap helper");

        let now = fs::read(&path).expect("file survives");
        assert!(
            versions.contains(&now),
            "the file is neither the old nor the new contents ({} bytes)",
            now.len()
        );
        if let Ok(backup) = fs::read(backup_path(&path)) {
            assert!(
                versions.contains(&backup),
                "the backup is torn ({} bytes)",
                backup.len()
            );
        }
        if now != previous {
            flips += 1;
        }
        previous = now;
    }
    assert!(flips > 0, "the helper never completed a save; the test proved nothing");

    // Whatever a kill left behind goes with the next save.
    let mut file = CfgFile::load(&path).expect("load");
    file.doc.set(None, "SLOT", "1").expect("set");
    file.save().expect("save");
    let leftovers: Vec<String> = listing(dir.path())
        .into_iter()
        .filter(|name| name.ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "temporary files remain: {leftovers:?}");
}

// ---------------------------------------------------------------- properties

/// One generated line, without its ending.
fn line_strategy() -> impl Strategy<Value = String> {
    let indent = "[ \t]{0,4}";
    let trailing = "[ \t]{0,3}";
    let name = prop::sample::select(vec!["KMS", "CONFIG", "LOGGING", "kms"]);
    let tag = prop::sample::select(vec![
        "SLOT",
        "ADDRESS",
        "PROD-PORT",
        "CRYPTO-OPR-PASS",
        "REQUIRE-LOGIN-FLAG",
        "X-UNKNOWN",
        "slot",
    ]);
    prop_oneof![
        (indent, name.clone(), trailing).prop_map(|(i, n, t)| format!("{i}<{n}>{t}")),
        (indent, name, trailing).prop_map(|(i, n, t)| format!("{i}</{n}>{t}")),
        (
            indent,
            tag,
            "[ \t]{0,6}",
            "[A-Za-z0-9 ./&<#_-]{0,20}",
            "[ \t]{0,6}",
            any::<bool>(),
            trailing
        )
            .prop_map(|(i, tag, lead, value, trail, lower, t)| {
                let close = if lower { tag.to_lowercase() } else { tag.to_owned() };
                format!("{i}<{tag}>{lead}{value}{trail}</{close}>{t}")
            }),
        (indent, "[^\n]{0,20}").prop_map(|(i, c)| format!("{i}#{c}")),
        "[ \t]{0,4}",
        "[^\n]{0,30}",
        (indent, tag_strategy(), "[A-Za-z0-9 &<]{0,10}").prop_map(|(i, tag, value)| format!("{i}<{tag}> {value}")),
    ]
}

fn tag_strategy() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec!["SLOT", "ADDRESS", "PROD-TLS-CA"])
}

/// A generated file: lines with LF or CRLF endings, an optional BOM, and an optional
/// missing final newline.
fn file_strategy() -> impl Strategy<Value = Vec<u8>> {
    (
        prop::collection::vec((line_strategy(), any::<bool>()), 0..40),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(lines, bom, final_newline)| {
            let mut out = String::new();
            if bom {
                out.push('\u{feff}');
            }
            let count = lines.len();
            for (index, (line, crlf)) in lines.into_iter().enumerate() {
                out.push_str(&line);
                if index + 1 < count || final_newline {
                    out.push_str(if crlf { "\r\n" } else { "\n" });
                }
            }
            out.into_bytes()
        })
}

const BOM: &[u8] = b"\xef\xbb\xbf";

fn split_lines(bytes: &[u8]) -> Vec<&[u8]> {
    bytes.split_inclusive(|byte| *byte == b'\n').collect()
}

fn strip_ending(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

fn is_format_space(byte: u8) -> bool {
    matches!(byte, b' ' | b'\t' | b'\r' | 0x0b | 0x0c)
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 300,
        failure_persistence: None,
        max_global_rejects: 100_000,
        ..ProptestConfig::default()
    })]

    #[test]
    fn generated_files_round_trip(bytes in file_strategy()) {
        let doc = CfgDocument::parse(&bytes).expect("generated text is UTF-8");
        prop_assert_eq!(doc.to_bytes(), bytes);
    }

    #[test]
    fn set_changes_only_the_value_bytes(
        bytes in file_strategy(),
        pick in any::<prop::sample::Index>(),
        value in "[A-Za-z0-9./&<#_-]([A-Za-z0-9 ./&<#_-]{0,24}[A-Za-z0-9./&<#_-])?",
    ) {
        let mut doc = CfgDocument::parse(&bytes).expect("generated text is UTF-8");
        let entries = doc.entries();
        prop_assume!(!entries.is_empty());
        let chosen = &entries[pick.index(entries.len())];
        let target = doc
            .get(chosen.section.as_deref(), &chosen.tag)
            .expect("get finds an entry that entries() lists");
        let before = doc.clone();
        let result = doc.set(chosen.section.as_deref(), &chosen.tag, &value);

        let copies = entries
            .iter()
            .filter(|entry| {
                entry.tag.eq_ignore_ascii_case(&chosen.tag)
                    && chosen.section.as_deref().is_none_or(|wanted| {
                        entry.section.as_deref().is_some_and(|name| name.eq_ignore_ascii_case(wanted))
                    })
            })
            .count();
        if copies > 1 {
            // Which of the copies the library reads is unknown: none is changed.
            let refused = matches!(result, Err(CfgError::AmbiguousEntry { .. }));
            prop_assert!(refused, "{:?}", result);
            prop_assert_eq!(&doc, &before);
            return Ok(());
        }
        let closing = format!("</{}", chosen.tag.to_lowercase());
        if value.to_lowercase().contains(&closing) {
            let refused = matches!(result, Err(CfgError::InvalidValue { .. }));
            prop_assert!(refused, "{:?}", result);
            prop_assert_eq!(&doc, &before);
            return Ok(());
        }
        prop_assert!(
            matches!(result, Ok(SetOutcome::Updated { line }) if line == target.line),
            "{:?}", result
        );

        let after = doc.to_bytes();
        let old_lines = split_lines(&bytes);
        let new_lines = split_lines(&after);
        prop_assert_eq!(old_lines.len(), new_lines.len());
        for (index, (old, new)) in old_lines.iter().zip(&new_lines).enumerate() {
            if index + 1 != target.line {
                prop_assert_eq!(old, new, "line {} changed", index + 1);
                continue;
            }
            // The changed line: same text up to the value, the new value, whitespace,
            // then the same closing tag, trailing text and line ending.
            let old_text = strip_ending(old);
            let old_ending = &old[old_text.len()..];
            prop_assert!(new.ends_with(old_ending));
            let open_end = old_text.iter().position(|byte| *byte == b'>').expect("open tag") + 1;
            let value_start = open_end
                + old_text[open_end..].iter().take_while(|byte| is_format_space(**byte)).count();
            let close_start = old_text
                .windows(2)
                .rposition(|pair| pair == b"</")
                .expect("closing tag");
            // An empty value goes into its blank gap, after at least one of the gap's
            // characters (more when the gap is padding that reaches a nearby value column).
            let empty = value_start == close_start;
            let lead_end = if empty { open_end } else { value_start };
            let (lead, suffix) = (&old_text[..lead_end], &old_text[close_start..]);
            let new_text = strip_ending(new);
            prop_assert!(new_text.starts_with(lead));
            prop_assert!(new_text.ends_with(suffix));
            let mut middle = &new_text[lead.len()..new_text.len() - suffix.len()];
            if empty {
                let kept = middle.iter().take_while(|byte| is_format_space(**byte)).count();
                prop_assert!(kept >= usize::from(close_start > open_end));
                prop_assert_eq!(&middle[..kept], &old_text[open_end..open_end + kept]);
                middle = &middle[kept..];
            }
            let padding = middle.strip_prefix(value.as_bytes());
            prop_assert!(
                padding.is_some_and(|rest| rest.iter().all(|byte| is_format_space(*byte))),
                "{:?}", String::from_utf8_lossy(middle)
            );
        }

        let reparsed = CfgDocument::parse(&after).expect("still UTF-8");
        let updated = reparsed
            .get(chosen.section.as_deref(), &chosen.tag)
            .expect("entry still there");
        prop_assert_eq!(updated.value, value.clone());
        prop_assert_eq!(updated.line, target.line);
        let others = |doc: &CfgDocument| -> Vec<_> {
            doc.entries().into_iter().filter(|entry| entry.line != target.line).collect()
        };
        prop_assert_eq!(others(&reparsed), others(&before));
    }

    #[test]
    fn inserting_adds_lines_and_keeps_the_rest(
        bytes in file_strategy(),
        value in "[A-Za-z0-9./&<#_-]{1,12}",
    ) {
        let mut doc = CfgDocument::parse(&bytes).expect("generated text is UTF-8");
        let outcome = doc.set(None, "NEW-TAG", &value).expect("valid value");
        let after = doc.to_bytes();
        prop_assert_eq!(bytes.starts_with(BOM), after.starts_with(BOM));
        // Line texts without endings; a lone trailing CR counts as part of the ending,
        // since giving the old last line "text\r" a newline turns it into a CRLF line.
        let texts = |all: &[u8]| -> Vec<Vec<u8>> {
            split_lines(all.strip_prefix(BOM).unwrap_or(all))
                .into_iter()
                .map(|line| {
                    let mut text = line.strip_suffix(b"\n").unwrap_or(line);
                    while let Some(shorter) = text.strip_suffix(b"\r") {
                        text = shorter;
                    }
                    text.to_vec()
                })
                .collect()
        };
        let (old_lines, new_lines) = (texts(&bytes), texts(&after));
        let added: Vec<usize> = match outcome {
            SetOutcome::Inserted { line } => vec![line],
            SetOutcome::SectionCreated { line } => vec![line - 1, line, line + 1],
            SetOutcome::Updated { line } => {
                return Err(TestCaseError::fail(format!("NEW-TAG already on line {line}")));
            }
        };
        prop_assert_eq!(new_lines.len(), old_lines.len() + added.len());
        // Every old line's text is kept, in order, around the added lines.
        let kept: Vec<Vec<u8>> = new_lines
            .iter()
            .enumerate()
            .filter(|(index, _)| !added.contains(&(index + 1)))
            .map(|(_, line)| line.clone())
            .collect();
        prop_assert_eq!(kept, old_lines);

        let reparsed = CfgDocument::parse(&after).expect("still UTF-8");
        prop_assert_eq!(reparsed.get(None, "NEW-TAG").map(|entry| entry.value), Some(value));
        let crlf = bytes.windows(2).filter(|pair| pair == b"\r\n").count();
        let lf = bytes.iter().filter(|byte| **byte == b'\n').count() - crlf;
        let ending: &[u8] = if crlf > lf { b"\r\n" } else { b"\n" };
        for line in &added {
            prop_assert!(split_lines(&after)[line - 1].ends_with(ending));
        }
    }
}
