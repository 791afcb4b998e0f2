//! The connection doctor against the KMES simulator: every fault mapped to the
//! check that owns it, with the checks before it passing and the ones after skipped.

use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use fxconfig::doctor::{self, CheckId, DoctorOptions, Report, Status};
use fxconfig::sim::{self, Fault, SimOptions};

use crate::support::lab::{Lab, OPERATOR_PASSWORD, P12_PASSWORD, guide_cfg, write_private};
use crate::support::net::free_port;

fn run_doctor(lab: &Lab, timeout: Duration) -> Report {
    let options = DoctorOptions {
        config: Some(lab.cfg.clone()),
        timeout,
        ..DoctorOptions::default()
    };
    let cancel = AtomicBool::new(false);
    let mut seen = Vec::new();
    let report = doctor::run(&options, &cancel, &mut |result| seen.push(result.id));
    assert_eq!(seen, CheckId::ALL.to_vec(), "every check reported once, in order");
    report
}

fn status(report: &Report, id: CheckId) -> Status {
    report
        .get(id)
        .map(|r| r.status)
        .unwrap_or_else(|| panic!("{id} missing from the report"))
}

/// Asserts the statuses of the checks from `tls.handshake` on.
fn assert_tls_tail(report: &Report, expected: [Status; 4]) {
    let ids = [
        CheckId::TlsHandshake,
        CheckId::TlsServerCert,
        CheckId::TlsClientAuth,
        CheckId::HostapiEcho,
    ];
    let actual: Vec<Status> = ids.iter().map(|id| status(report, *id)).collect();
    assert_eq!(actual, expected.to_vec(), "TLS checks of {report:#?}");
}

fn assert_config_and_tls_materials_pass(report: &Report) {
    for id in [
        CheckId::ConfigParse,
        CheckId::ConfigFields,
        CheckId::ConfigPermissions,
        CheckId::TlsCa,
        CheckId::TlsIdentity,
        CheckId::TlsIdentityChain,
        CheckId::TlsIdentityValidity,
        CheckId::NetResolve,
        CheckId::NetConnect,
    ] {
        assert_eq!(status(report, id), Status::Pass, "{id}: {:?}", report.get(id));
    }
}

fn lab_with_sim(fault: Option<Fault>) -> (Lab, sim::SimHandle) {
    let lab = Lab::new();
    let sim = lab.start_sim(fault);
    lab.write_cfg("127.0.0.1", sim.local_addr().port());
    (lab, sim)
}

use Status::{Fail, Pass, Skip, Warn};

#[test]
fn healthy_simulator_passes_every_check() {
    let (lab, _sim) = lab_with_sim(None);
    let report = run_doctor(&lab, Duration::from_secs(5));
    assert_config_and_tls_materials_pass(&report);
    assert_tls_tail(&report, [Pass, Pass, Pass, Pass]);
    assert!(report.ok);
    let echo = report.get(CheckId::HostapiEcho).unwrap();
    assert!(
        echo.detail.contains("simulator"),
        "the echo detail names the product: {}",
        echo.detail
    );
    let version = format!("application version {} (BC)", env!("CARGO_PKG_VERSION"));
    assert!(echo.detail.contains(&version), "{}", echo.detail);
    assert!(
        echo.raw.as_deref().is_some_and(|raw| raw.starts_with("[AOECHO;ANY;BC")),
        "{:?}",
        echo.raw
    );
    for other in report.checks.iter().filter(|c| c.id != CheckId::HostapiEcho) {
        assert_eq!(other.raw, None, "{}", other.id);
    }
    let json = serde_json::to_string(&report).unwrap();
    assert!(!json.contains(P12_PASSWORD) && !json.contains(OPERATOR_PASSWORD));
}

#[test]
fn wrong_server_ca_fails_the_server_certificate_check() {
    let (lab, _sim) = lab_with_sim(Some(Fault::WrongCa));
    let report = run_doctor(&lab, Duration::from_secs(5));
    assert_config_and_tls_materials_pass(&report);
    assert_tls_tail(&report, [Pass, Fail, Skip, Skip]);
    let check = report.get(CheckId::TlsServerCert).unwrap();
    assert!(check.detail.to_lowercase().contains("issuer"), "{}", check.detail);
    assert!(!report.ok);
}

#[test]
fn expired_server_certificate_is_named() {
    let (lab, _sim) = lab_with_sim(Some(Fault::ExpiredCert));
    let report = run_doctor(&lab, Duration::from_secs(5));
    assert_tls_tail(&report, [Pass, Fail, Skip, Skip]);
    let check = report.get(CheckId::TlsServerCert).unwrap();
    assert!(check.detail.to_lowercase().contains("expired"), "{}", check.detail);
}

#[test]
fn rejected_client_certificate_fails_client_auth() {
    let (lab, _sim) = lab_with_sim(Some(Fault::RejectClient));
    let report = run_doctor(&lab, Duration::from_secs(5));
    assert_config_and_tls_materials_pass(&report);
    assert_tls_tail(&report, [Pass, Pass, Fail, Skip]);
}

#[test]
fn server_without_client_auth_is_a_warning() {
    let (lab, _sim) = lab_with_sim(Some(Fault::NoClientAuth));
    let report = run_doctor(&lab, Duration::from_secs(5));
    assert_tls_tail(&report, [Pass, Pass, Warn, Pass]);
    assert!(report.ok, "a warning does not fail the run");
}

#[test]
fn tls12_only_server_still_works() {
    let (lab, _sim) = lab_with_sim(Some(Fault::Tls12Only));
    let report = run_doctor(&lab, Duration::from_secs(5));
    assert_tls_tail(&report, [Pass, Pass, Pass, Pass]);
    let handshake = report.get(CheckId::TlsHandshake).unwrap();
    assert!(
        handshake.detail.contains("1.2") || handshake.detail.contains("1_2"),
        "{}",
        handshake.detail
    );
}

/// Relative PROD-TLS-CA and PROD-TLS-KEY paths: fxconfig reads them from the cfg's folder,
/// the library may resolve them against ssh's working folder, so both warn with the
/// absolute path to write, and the run goes on.
#[test]
fn relative_tls_paths_warn_with_the_absolute_path_to_write() {
    let (lab, _sim) = lab_with_sim(None);
    let text = std::fs::read_to_string(&lab.cfg).unwrap();
    let folder = format!("{}/", lab.dir.path().display());
    write_private(&lab.cfg, text.replace(&folder, "").as_bytes());
    let report = run_doctor(&lab, Duration::from_secs(5));
    for (id, tag, file) in [
        (CheckId::TlsCa, "PROD-TLS-CA", &lab.files.ca_cert),
        (CheckId::TlsIdentity, "PROD-TLS-KEY", &lab.files.client_p12),
    ] {
        let check = report.get(id).unwrap();
        assert_eq!(check.status, Warn, "{check:?}");
        assert!(
            check.detail.contains(&format!("{tag} is the relative path")),
            "{check:?}"
        );
        assert!(check.remedy.contains(&file.display().to_string()), "{check:?}");
    }
    assert_eq!(status(&report, CheckId::HostapiEcho), Pass);
    assert!(report.ok);
}

/// The guide's own Host API certificate (CN=KMES, no subjectAltName [3.1.2]) reached by IP
/// address [4.2]: it works with fxpkcs11, which checks the chain only, so the run passes with
/// a warning that names the address, and the ECHO is reached.
#[test]
fn the_guides_certificate_passes_with_a_warning_and_reaches_the_echo() {
    let (lab, _sim) = lab_with_sim(Some(Fault::GuideCert));
    let report = run_doctor(&lab, Duration::from_secs(5));
    assert_config_and_tls_materials_pass(&report);
    assert_tls_tail(&report, [Pass, Warn, Pass, Pass]);
    let check = report.get(CheckId::TlsServerCert).unwrap();
    assert!(
        check.detail.contains("CN=KMES") && check.detail.contains("does not name 127.0.0.1"),
        "{check:?}"
    );
    assert!(check.remedy.contains("[3.1.2]"), "{check:?}");
    assert!(report.ok, "a warning does not fail the run");
}

/// A KMES offering TLS 1.2 with AES-CBC suites only: rustls refuses it, the OpenSSL
/// 1.x-compatible client completes the handshake as fxpkcs11 would, and the warning names the
/// suite and the client.
#[test]
fn a_cbc_only_kmes_passes_with_a_warning_naming_the_suite_and_the_client() {
    let (lab, _sim) = lab_with_sim(Some(Fault::CbcOnly));
    let report = run_doctor(&lab, Duration::from_secs(5));
    assert_config_and_tls_materials_pass(&report);
    assert_tls_tail(&report, [Warn, Pass, Pass, Pass]);
    let handshake = report.get(CheckId::TlsHandshake).unwrap();
    for said in [
        "TLSv1.2",
        "_CBC_",
        "a CBC suite",
        "OpenSSL 1.x-compatible client",
        "modern client could not",
    ] {
        assert!(handshake.detail.contains(said), "{said}: {handshake:?}");
    }
    assert!(handshake.remedy.contains("[3.1.5]"), "{handshake:?}");
    let echo = report.get(CheckId::HostapiEcho).unwrap();
    assert!(
        echo.raw.as_deref().is_some_and(|raw| raw.starts_with("[AOECHO;")),
        "{echo:?}"
    );
    assert!(report.ok);
}

#[test]
fn silent_server_times_out_in_the_handshake_within_the_bound() {
    let (lab, _sim) = lab_with_sim(Some(Fault::Silent));
    let started = Instant::now();
    let report = run_doctor(&lab, Duration::from_secs(1));
    assert_tls_tail(&report, [Fail, Skip, Skip, Skip]);
    let handshake = report.get(CheckId::TlsHandshake).unwrap();
    assert!(handshake.detail.to_lowercase().contains("time"), "{}", handshake.detail);
    assert!(
        handshake.ms < 2500,
        "verdict within timeout + margin, took {} ms",
        handshake.ms
    );
    assert!(started.elapsed() < Duration::from_secs(10));
}

#[test]
fn garbage_answer_fails_the_echo() {
    let (lab, _sim) = lab_with_sim(Some(Fault::Garbage));
    let report = run_doctor(&lab, Duration::from_secs(5));
    assert_tls_tail(&report, [Pass, Pass, Pass, Fail]);
}

#[test]
fn close_after_handshake_fails_the_echo() {
    let (lab, _sim) = lab_with_sim(Some(Fault::CloseAfterHandshake));
    let report = run_doctor(&lab, Duration::from_secs(5));
    assert_tls_tail(&report, [Pass, Pass, Pass, Fail]);
    let echo = report.get(CheckId::HostapiEcho).unwrap();
    assert!(echo.detail.to_lowercase().contains("closed"), "{}", echo.detail);
}

#[test]
fn disabled_echo_points_to_the_host_api_commands_section() {
    let (lab, _sim) = lab_with_sim(Some(Fault::EchoDisabled));
    let report = run_doctor(&lab, Duration::from_secs(5));
    assert_tls_tail(&report, [Pass, Pass, Pass, Fail]);
    let echo = report.get(CheckId::HostapiEcho).unwrap();
    assert!(echo.remedy.contains("[3.2.10]"), "{}", echo.remedy);
    assert!(echo.detail.contains("(ERRO)"), "{}", echo.detail);
    assert_eq!(echo.raw.as_deref(), Some("[AOERRO;BBcommand ECHO is not enabled;]"));
}

#[test]
fn permission_denied_fails_the_echo_naming_the_role_permissions() {
    let (lab, _sim) = lab_with_sim(Some(Fault::PermissionDenied));
    let report = run_doctor(&lab, Duration::from_secs(5));
    assert_tls_tail(&report, [Pass, Pass, Pass, Fail]);
    assert!(!report.ok);
    let echo = report.get(CheckId::HostapiEcho).unwrap();
    assert!(echo.detail.contains("lack of permission (AN=P)"), "{}", echo.detail);
    assert!(
        echo.remedy.contains("[3.2.3]") && echo.remedy.ends_with("[3.2.10]"),
        "{}",
        echo.remedy
    );
    assert_eq!(echo.raw.as_deref(), Some("[AOECHO;ANP;]"));
}

#[test]
fn general_failure_fails_the_echo_with_the_kmes_latin1_text() {
    let (lab, _sim) = lab_with_sim(Some(Fault::GeneralFailure));
    let report = run_doctor(&lab, Duration::from_secs(5));
    assert_tls_tail(&report, [Pass, Pass, Pass, Fail]);
    let echo = report.get(CheckId::HostapiEcho).unwrap();
    assert!(echo.detail.contains("general failure (AN=N)"), "{}", echo.detail);
    assert!(
        echo.detail.contains(fxconfig::sim::GENERAL_FAILURE_TEXT),
        "{}",
        echo.detail
    );
    assert_eq!(
        echo.raw.as_deref(),
        Some(format!("[AOECHO;ANN;ER{};]", fxconfig::sim::GENERAL_FAILURE_TEXT).as_str())
    );
    assert!(echo.remedy.ends_with("[3.2.10]"), "{}", echo.remedy);
}

#[test]
fn slow_answer_beyond_the_timeout_fails_and_within_it_passes() {
    let lab = Lab::new();
    let sim = sim::start(SimOptions {
        slow_delay: Duration::from_millis(1500),
        ..lab.sim_options(Some(Fault::Slow))
    })
    .expect("simulator starts");
    lab.write_cfg("127.0.0.1", sim.local_addr().port());
    let report = run_doctor(&lab, Duration::from_millis(700));
    assert_tls_tail(&report, [Pass, Pass, Pass, Fail]);
    let report = run_doctor(&lab, Duration::from_secs(5));
    assert_tls_tail(&report, [Pass, Pass, Pass, Pass]);
}

#[test]
fn refused_connection_fails_net_connect_and_skips_tls() {
    let lab = Lab::new();
    lab.write_cfg("127.0.0.1", free_port());
    let report = run_doctor(&lab, Duration::from_secs(2));
    assert_eq!(status(&report, CheckId::NetResolve), Pass);
    assert_eq!(status(&report, CheckId::NetConnect), Fail);
    assert!(
        report
            .get(CheckId::NetConnect)
            .unwrap()
            .detail
            .to_lowercase()
            .contains("refused")
    );
    assert_tls_tail(&report, [Skip, Skip, Skip, Skip]);
}

#[test]
fn unresolvable_name_fails_net_resolve() {
    let lab = Lab::new();
    lab.write_cfg("kmes.nonexistent.invalid", 2001);
    let report = run_doctor(&lab, Duration::from_secs(3));
    assert_eq!(status(&report, CheckId::NetResolve), Fail);
    assert_eq!(status(&report, CheckId::NetConnect), Skip);
}

#[test]
fn wrong_p12_password_fails_the_identity_and_skips_what_needs_it() {
    let lab = Lab::new();
    let sim = lab.start_sim(None);
    let text = guide_cfg("127.0.0.1", sim.local_addr().port(), &lab.files, "not-the-password");
    write_private(&lab.cfg, text.as_bytes());
    let report = run_doctor(&lab, Duration::from_secs(2));
    assert_eq!(status(&report, CheckId::TlsCa), Pass);
    assert_eq!(status(&report, CheckId::TlsIdentity), Fail);
    assert_eq!(status(&report, CheckId::TlsIdentityChain), Skip);
    assert_eq!(status(&report, CheckId::TlsIdentityValidity), Skip);
    assert_tls_tail(&report, [Skip, Skip, Skip, Skip]);
    let detail = &report.get(CheckId::TlsIdentity).unwrap().detail;
    assert!(detail.to_lowercase().contains("password"), "{detail}");
    assert!(!detail.contains("not-the-password"), "the wrong password is not echoed");
}

/// The PKCS#12 file's remedy and section follow from PROD-TLS-KEY, not from the file's name:
/// an unreadable identity called `client-identity.bin` is still the PKCS#12 export [3.1.7].
#[test]
fn an_unreadable_identity_without_a_p12_name_gets_the_pkcs12_remedy() {
    let lab = Lab::new();
    lab.write_cfg("127.0.0.1", free_port());
    let missing = lab.dir.path().join("client-identity.bin");
    let p12 = lab.files.client_p12.display().to_string();
    let text = std::fs::read_to_string(&lab.cfg).unwrap();
    assert!(text.contains(&p12), "the lab's cfg names its PKCS#12 file");
    write_private(&lab.cfg, text.replace(&p12, &missing.display().to_string()).as_bytes());
    let report = run_doctor(&lab, Duration::from_secs(1));
    assert_eq!(status(&report, CheckId::TlsCa), Pass);
    let identity = report.get(CheckId::TlsIdentity).unwrap();
    assert_eq!(identity.status, Fail, "{identity:?}");
    assert!(identity.detail.contains("client-identity.bin"), "{}", identity.detail);
    assert!(identity.remedy.ends_with("[3.1.7]"), "{}", identity.remedy);
    assert!(identity.remedy.contains("PKCS #12"), "{}", identity.remedy);
    assert!(
        !identity.remedy.contains("root CA") && !identity.remedy.contains("[3.1.4]"),
        "{}",
        identity.remedy
    );
}

#[test]
fn missing_configuration_fails_locate_and_skips_the_rest() {
    let lab = Lab::new();
    let report = run_doctor(&lab, Duration::from_secs(1));
    assert_eq!(status(&report, CheckId::ConfigLocate), Fail);
    for id in CheckId::ALL.into_iter().filter(|id| *id != CheckId::ConfigLocate) {
        assert_eq!(status(&report, id), Skip, "{id}");
    }
}

#[test]
fn cancelling_skips_every_remaining_check() {
    let (lab, _sim) = lab_with_sim(None);
    let options = DoctorOptions {
        config: Some(lab.cfg.clone()),
        timeout: Duration::from_secs(5),
        ..DoctorOptions::default()
    };
    let cancel = AtomicBool::new(false);
    let report = doctor::run(&options, &cancel, &mut |result| {
        if result.id == CheckId::ConfigFields {
            cancel.store(true, std::sync::atomic::Ordering::Relaxed);
        }
    });
    assert_eq!(status(&report, CheckId::ConfigFields), Pass);
    let ran = [CheckId::ConfigLocate, CheckId::ConfigParse, CheckId::ConfigFields];
    for id in CheckId::ALL.into_iter().filter(|id| !ran.contains(id)) {
        assert_eq!(status(&report, id), Skip, "{id}");
    }
}

#[test]
fn tls_disabled_connects_over_tcp_and_warns_that_the_host_api_was_not_tested() {
    let (lab, _sim) = lab_with_sim(None);
    let text = std::fs::read_to_string(&lab.cfg)
        .unwrap()
        .replace("<PROD-TLS-ENABLED>       YES", "<PROD-TLS-ENABLED>       NO ");
    write_private(&lab.cfg, text.as_bytes());
    let report = run_doctor(&lab, Duration::from_secs(2));
    for id in [
        CheckId::TlsCa,
        CheckId::TlsIdentity,
        CheckId::TlsIdentityChain,
        CheckId::TlsIdentityValidity,
    ] {
        assert_eq!(status(&report, id), Skip, "{id}");
    }
    assert_eq!(status(&report, CheckId::NetConnect), Pass);
    assert_tls_tail(&report, [Skip, Skip, Skip, Warn]);
}

/// `openssl s_server` as a Host API peer nobody here wrote: it speaks TLS with
/// client authentication but not Excrypt.
mod openssl_peer {
    use super::*;

    use crate::support::net::SServer;

    fn s_server(lab: &Lab, server_cert: &std::path::Path, server_key: &std::path::Path) -> SServer {
        SServer::requiring_client_cert(lab, server_cert, server_key)
    }

    #[test]
    fn mutual_tls_passes_and_the_missing_excrypt_answer_fails_the_echo_within_the_timeout() {
        let lab = Lab::new();
        let server = s_server(&lab, &lab.files.server_cert, &lab.files.server_key);
        lab.write_cfg("127.0.0.1", server.addr.port());
        let report = run_doctor(&lab, Duration::from_secs(1));
        assert_config_and_tls_materials_pass(&report);
        assert_tls_tail(&report, [Pass, Pass, Pass, Fail]);
        let echo = report.get(CheckId::HostapiEcho).unwrap();
        assert!(echo.detail.to_lowercase().contains("no answer"), "{}", echo.detail);
        assert!(echo.ms < 2500, "{} ms", echo.ms);
    }

    /// One answer form of the KMES's Excrypt dialect and what the doctor must make of it.
    struct Form {
        answer: &'static [u8],
        status: Status,
        /// Text the `hostapi.echo` detail must hold (the version, the KMES's own words).
        detail: &'static [&'static str],
    }

    /// The answer forms read from public Futurex client code, each with its verdict.
    const FORMS: [Form; 8] = [
        Form {
            answer: b"[AOECHO;ANP;]",
            status: Fail,
            detail: &["AN=P"],
        },
        Form {
            answer: b"[AOECHO;ANN;]",
            status: Fail,
            detail: &["AN=N"],
        },
        Form {
            answer: b"[AOECHO;ANN;ERCommand not permitted for this identity;]",
            status: Fail,
            detail: &["Command not permitted for this identity"],
        },
        Form {
            answer: b"[AOECHO;;BC7.1.0.3;]",
            status: Pass,
            detail: &["7.1.0.3 (BC)"],
        },
        Form {
            answer: b"[AOERRO;BBCommande refus\xe9e;]",
            status: Fail,
            detail: &["Commande refus\u{e9}e"],
        },
        Form {
            answer: b"[AOECHO;ANY;BC7.1.0.3;SN1234;PNKMES Series 3;]",
            status: Pass,
            detail: &["7.1.0.3 (BC)", "1234 (SN)", "KMES Series 3 (PN)"],
        },
        Form {
            answer: b"[AOECHO;ANY;EX1;OI0;SN1234;PNKMES Series 3;FW7.2.0.1;FH3.1;FM128;FS2;]",
            status: Pass,
            detail: &["7.2.0.1 (FW)", "1234 (SN)", "FH=3.1"],
        },
        Form {
            answer: b"[AOERRO;BBCommand not enabled;]",
            status: Fail,
            detail: &["Command not enabled"],
        },
    ];

    /// Sends each form through `openssl s_server` (its standard input is what it sends the
    /// client) and runs the doctor against it; lists every form judged wrong.
    #[test]
    fn every_answer_form_of_the_dialect_gets_its_verdict_through_a_tls_terminator() {
        let lab = Lab::new();
        let mut wrong = Vec::new();
        for form in &FORMS {
            let mut server = s_server(&lab, &lab.files.server_cert, &lab.files.server_key);
            server.send(form.answer);
            lab.write_cfg("127.0.0.1", server.addr.port());
            let report = run_doctor(&lab, Duration::from_secs(2));
            for id in [CheckId::TlsHandshake, CheckId::TlsServerCert, CheckId::TlsClientAuth] {
                assert_eq!(status(&report, id), Pass, "{id}: {:?}", report.get(id));
            }
            let echo = report.get(CheckId::HostapiEcho).unwrap();
            let shown = form.detail.iter().all(|text| echo.detail.contains(text));
            let raw = fxconfig::display::escape_bytes(form.answer);
            if echo.status != form.status || !shown || echo.raw.as_deref() != Some(raw.as_str()) {
                wrong.push(format!(
                    "{raw}: {} {:?} (raw {:?})",
                    echo.status.as_str(),
                    echo.detail,
                    echo.raw
                ));
            }
        }
        assert!(
            wrong.is_empty(),
            "{} of {} forms judged right; wrong:\n{}",
            FORMS.len() - wrong.len(),
            FORMS.len(),
            wrong.join("\n")
        );
    }

    #[test]
    fn an_unknown_status_is_a_warning_that_shows_it_raw() {
        let lab = Lab::new();
        let mut server = s_server(&lab, &lab.files.server_cert, &lab.files.server_key);
        server.send(b"[AOECHO;ANQ;BC7.1.0.3;]");
        lab.write_cfg("127.0.0.1", server.addr.port());
        let report = run_doctor(&lab, Duration::from_secs(2));
        assert_tls_tail(&report, [Pass, Pass, Pass, Warn]);
        assert!(report.ok, "a warning is not a failure");
        let echo = report.get(CheckId::HostapiEcho).unwrap();
        assert!(echo.detail.contains("status \"Q\" (AN)"), "{}", echo.detail);
        assert!(echo.detail.contains("7.1.0.3 (BC)"), "{}", echo.detail);
        assert!(echo.remedy.ends_with("[3.2.10]"), "{}", echo.remedy);
        assert_eq!(echo.raw.as_deref(), Some("[AOECHO;ANQ;BC7.1.0.3;]"));
    }

    #[test]
    fn server_certificate_from_another_ca_fails_the_server_certificate_check() {
        let lab = Lab::new();
        let other = Lab::new();
        let server = s_server(&lab, &other.files.server_cert, &other.files.server_key);
        lab.write_cfg("127.0.0.1", server.addr.port());
        let report = run_doctor(&lab, Duration::from_secs(2));
        assert_tls_tail(&report, [Pass, Fail, Skip, Skip]);
    }

    /// A TLS 1.2 server judges our certificate inside the handshake, after we verified its
    /// own: the server certificate's verdict is reported, and the rejection is the client
    /// certificate's.
    #[test]
    fn tls12_server_rejecting_the_client_certificate_still_reports_the_verified_server_certificate() {
        let lab = Lab::new();
        let other = Lab::with_ca("Unrelated CA");
        let arg = |p: &std::path::Path| p.display().to_string();
        let server = SServer::start(&[
            "-tls1_2",
            "-Verify",
            "1",
            "-verify_return_error",
            "-CAfile",
            &arg(&other.files.ca_cert),
            "-cert",
            &arg(&lab.files.server_cert),
            "-key",
            &arg(&lab.files.server_key),
        ]);
        lab.write_cfg("127.0.0.1", server.addr.port());
        let report = run_doctor(&lab, Duration::from_secs(2));
        assert_config_and_tls_materials_pass(&report);
        assert_tls_tail(&report, [Pass, Pass, Fail, Skip]);
        let server_cert = report.get(CheckId::TlsServerCert).unwrap();
        for shown in ["System TLS CA Root", "127.0.0.1", "days left"] {
            assert!(server_cert.detail.contains(shown), "{shown}: {}", server_cert.detail);
        }
        let client_auth = report.get(CheckId::TlsClientAuth).unwrap();
        assert!(
            client_auth.detail.contains("rejected the client certificate") && client_auth.detail.contains("alert"),
            "{}",
            client_auth.detail
        );
        assert!(client_auth.remedy.ends_with("[3.1.6]"), "{}", client_auth.remedy);
    }

    #[test]
    fn anonymous_client_is_refused_by_a_server_that_requires_a_certificate() {
        let lab = Lab::new();
        let server = s_server(&lab, &lab.files.server_cert, &lab.files.server_key);
        lab.write_cfg("127.0.0.1", server.addr.port());
        let text = std::fs::read_to_string(&lab.cfg)
            .unwrap()
            .replace("<PROD-TLS-ANONYMOUS>     NO ", "<PROD-TLS-ANONYMOUS>     YES");
        write_private(&lab.cfg, text.as_bytes());
        let report = run_doctor(&lab, Duration::from_secs(2));
        assert_eq!(status(&report, CheckId::TlsIdentity), Skip);
        assert_tls_tail(&report, [Pass, Pass, Fail, Skip]);
        let check = report.get(CheckId::TlsClientAuth).unwrap();
        assert!(check.detail.to_lowercase().contains("certificate"), "{}", check.detail);
    }
}
