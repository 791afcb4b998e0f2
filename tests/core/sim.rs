//! The KMES simulator and each of its faults, seen through the Host API client.

use std::io::Read;
use std::net::TcpStream;
use std::time::{Duration, Instant};

use fxconfig::hostapi::answer::{self, Judgement};
use fxconfig::hostapi::{self, ErrorKind, Stage};
use fxconfig::pki::Lifetime;
use fxconfig::remedy::Explain;
use fxconfig::sim::{self, Fault, MAX_CONNECTIONS, PRODUCT, SimError};

use crate::core::net::{TIMEOUT, assert_failure, err, ok, open, probe, timed};
use crate::support::lab::Lab;

#[test]
fn healthy_simulator_answers_the_echo_with_its_identity() {
    let pki = Lab::new();
    let sim = pki.start_sim(None);
    let (session, reply) = ok(probe(sim.local_addr(), "127.0.0.1", &pki.materials(), TIMEOUT));
    assert_eq!(session.protocol, "TLSv1.3");
    assert!(session.client_cert_requested && session.client_cert_sent);
    assert_eq!(session.peer_chain[0].as_ref(), pki.server.cert_der.as_slice());
    assert_eq!(reply.frame.command, "ECHO");
    assert_eq!(answer::judge(&reply.frame), Judgement::Answered);
    assert_eq!(reply.frame.get(answer::TAG_STATUS), Some("Y"));
    assert_eq!(reply.frame.get(answer::TAG_PRODUCT), Some(PRODUCT));
    assert_eq!(
        reply.frame.get(answer::TAG_APPLICATION_VERSION),
        Some(env!("CARGO_PKG_VERSION"))
    );
    let serial = reply.frame.get(answer::TAG_SERIAL).expect("a serial number");
    assert_eq!(
        reply.raw,
        format!("[AOECHO;ANY;BC{};SN{serial};PN{PRODUCT};]", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn one_session_can_echo_repeatedly() {
    let pki = Lab::new();
    let sim = pki.start_sim(None);
    let mut session = ok(open(sim.local_addr(), "localhost", &pki.materials(), TIMEOUT));
    for _ in 0..3 {
        assert_eq!(ok(hostapi::echo(&mut session, TIMEOUT)).frame.command, "ECHO");
    }
    session.close();
}

#[test]
fn run_probe_against_the_simulator_passes_every_stage() {
    let pki = Lab::new();
    let sim = pki.start_sim(None);
    let mut stages = Vec::new();
    let report = ok(hostapi::run_probe(
        "localhost",
        sim.local_addr().port(),
        &pki.materials(),
        TIMEOUT,
        |stage, outcome| stages.push((stage, outcome.clone())),
    ));
    assert_eq!(stages.iter().map(|(s, _)| *s).collect::<Vec<_>>(), Stage::ALL);
    assert!(
        stages
            .iter()
            .all(|(_, o)| matches!(o, hostapi::StageOutcome::Passed(_))),
        "{stages:?}"
    );
    assert!(report.connected_to.ip().is_loopback());
}

#[test]
fn missing_client_certificate_is_client_cert_required() {
    let pki = Lab::new();
    let sim = pki.start_sim(None);
    let result = probe(sim.local_addr(), "127.0.0.1", &pki.materials_without_client(), TIMEOUT);
    assert_failure(&err(result), Stage::ClientAuth, ErrorKind::ClientCertRequired);
}

#[test]
fn wrong_ca_is_unknown_issuer() {
    let pki = Lab::new();
    let sim = pki.start_sim(Some(Fault::WrongCa));
    let error = err(open(sim.local_addr(), "127.0.0.1", &pki.materials(), TIMEOUT));
    assert_failure(&error, Stage::ServerCert, ErrorKind::UnknownIssuer);
    assert_eq!(error.guide_section(), Some("3.1.4"));
}

#[test]
fn reject_client_is_client_cert_rejected() {
    let pki = Lab::new();
    let sim = pki.start_sim(Some(Fault::RejectClient));
    let mut session = ok(open(sim.local_addr(), "127.0.0.1", &pki.materials(), TIMEOUT));
    assert!(
        session.client_cert_sent,
        "TLS 1.3: the handshake completes on the client's side"
    );
    let error = err(hostapi::echo(&mut session, TIMEOUT));
    assert_failure(&error, Stage::ClientAuth, ErrorKind::ClientCertRejected);
    assert_eq!(error.guide_section(), Some("3.1.6"));
}

#[test]
fn no_client_auth_succeeds_and_says_no_certificate_was_asked_for() {
    let pki = Lab::new();
    let sim = pki.start_sim(Some(Fault::NoClientAuth));
    let (session, reply) = ok(probe(sim.local_addr(), "127.0.0.1", &pki.materials(), TIMEOUT));
    assert!(!session.client_cert_requested && !session.client_cert_sent);
    assert_eq!(reply.frame.command, "ECHO");
}

#[test]
fn expired_cert_is_reported_as_expired_not_as_unknown_issuer() {
    let pki = Lab::new();
    let sim = pki.start_sim(Some(Fault::ExpiredCert));
    let error = err(open(sim.local_addr(), "127.0.0.1", &pki.materials(), TIMEOUT));
    assert_failure(&error, Stage::ServerCert, ErrorKind::ServerCertExpired);
}

#[test]
fn expired_cert_without_the_ca_key_is_refused_with_an_explanation() {
    let pki = Lab::new();
    let mut options = pki.sim_options(Some(Fault::ExpiredCert));
    options.ca_key = None;
    let error = sim::start(options).expect_err("needs the CA key");
    assert!(matches!(error, SimError::CaKeyRequired), "{error}");
    assert!(error.to_string().contains("--ca-key") && error.remedy().contains("--ca-key"));

    let mut options = pki.sim_options(None);
    options.ca_key = None;
    let running = sim::start(options).expect("healthy start");
    assert!(matches!(
        running.set_fault(Some(Fault::ExpiredCert)),
        Err(SimError::CaKeyRequired)
    ));
    assert_eq!(running.fault(), None, "a failed switch keeps the current fault");
}

#[test]
fn a_ca_key_that_does_not_match_the_ca_is_refused() {
    let pki = Lab::new();
    let mut options = pki.sim_options(Some(Fault::ExpiredCert));
    options.ca_key = Some(pki.files.server_key.clone());
    let error = sim::start(options).expect_err("mismatched CA key");
    assert!(matches!(error, SimError::CaKeyMismatch { .. }), "{error}");
}

#[test]
fn a_server_certificate_not_yet_valid_is_named() {
    let pki = Lab::new();
    let future = pki
        .ca
        .issue_server(&["localhost", "127.0.0.1"], Lifetime::not_yet_valid())
        .expect("cert");
    let mut options = pki.sim_options(None);
    options.cert = pki.write("future.pem", &future.cert_pem);
    options.key = pki.write("future.key", &future.key_pem);
    let sim = sim::start(options).expect("simulator starts");
    let error = err(open(sim.local_addr(), "127.0.0.1", &pki.materials(), TIMEOUT));
    assert_failure(&error, Stage::ServerCert, ErrorKind::ServerCertNotYetValid);
}

#[test]
fn an_ip_address_is_checked_against_the_ip_names_of_the_certificate_and_a_mismatch_is_recorded_not_fatal() {
    let pki = Lab::new();
    let dns_only = pki
        .ca
        .issue_server(&["localhost"], Lifetime::valid_for(30))
        .expect("cert");
    let mut options = pki.sim_options(None);
    options.cert = pki.write("dns_only.pem", &dns_only.cert_pem);
    options.key = pki.write("dns_only.key", &dns_only.key_pem);
    let sim = sim::start(options).expect("simulator starts");
    let (session, _) = ok(probe(sim.local_addr(), "localhost", &pki.materials(), TIMEOUT));
    assert_eq!(session.name_mismatch, None);
    // fxpkcs11 verifies the chain, not the name: the session completes and the ECHO is
    // answered, and the mismatch is kept for the warning.
    for other_name in ["127.0.0.1", "kmes.example"] {
        let (session, reply) = ok(probe(sim.local_addr(), other_name, &pki.materials(), TIMEOUT));
        let mismatch = session.name_mismatch.as_deref().unwrap_or_default();
        assert!(mismatch.contains("not valid for"), "{other_name}: {mismatch}");
        assert_eq!(reply.frame.command, "ECHO");
    }
}

#[test]
fn tls12_only_still_works() {
    let pki = Lab::new();
    let sim = pki.start_sim(Some(Fault::Tls12Only));
    let (session, reply) = ok(probe(sim.local_addr(), "127.0.0.1", &pki.materials(), TIMEOUT));
    assert_eq!(session.protocol, "TLSv1.2");
    assert!(session.cipher.starts_with("TLS_ECDHE_"), "{}", session.cipher);
    assert_eq!(reply.frame.command, "ECHO");
}

#[test]
fn tls12_only_without_client_certificate_fails_during_the_handshake() {
    let pki = Lab::new();
    let sim = pki.start_sim(Some(Fault::Tls12Only));
    let error = err(open(
        sim.local_addr(),
        "127.0.0.1",
        &pki.materials_without_client(),
        TIMEOUT,
    ));
    assert_failure(&error, Stage::ClientAuth, ErrorKind::ClientCertRequired);
}

#[test]
fn silent_is_a_handshake_timeout_within_the_budget() {
    let pki = Lab::new();
    let sim = pki.start_sim(Some(Fault::Silent));
    let timeout = Duration::from_secs(1);
    let (result, elapsed) = timed(|| open(sim.local_addr(), "127.0.0.1", &pki.materials(), timeout));
    assert_failure(&err(result), Stage::Handshake, ErrorKind::HandshakeTimeout);
    assert!(elapsed >= Duration::from_millis(900), "gave up early: {elapsed:?}");
    assert!(elapsed < Duration::from_millis(2500), "took {elapsed:?}");
}

#[test]
fn garbage_is_not_a_frame() {
    let pki = Lab::new();
    let sim = pki.start_sim(Some(Fault::Garbage));
    let result = probe(sim.local_addr(), "127.0.0.1", &pki.materials(), TIMEOUT);
    assert_failure(&err(result), Stage::Echo, ErrorKind::NotAFrame);
}

#[test]
fn close_after_handshake_is_peer_closed_at_the_echo() {
    let pki = Lab::new();
    let sim = pki.start_sim(Some(Fault::CloseAfterHandshake));
    let result = probe(sim.local_addr(), "127.0.0.1", &pki.materials(), TIMEOUT);
    assert_failure(&err(result), Stage::Echo, ErrorKind::PeerClosed);
}

#[test]
fn echo_disabled_is_command_refused_citing_3_2_10() {
    let pki = Lab::new();
    let sim = pki.start_sim(Some(Fault::EchoDisabled));
    let error = err(probe(sim.local_addr(), "127.0.0.1", &pki.materials(), TIMEOUT));
    assert_failure(&error, Stage::Echo, ErrorKind::CommandRefused);
    assert_eq!(error.guide_section(), Some("3.2.10"));
    assert!(error.detail().is_some_and(|d| d.contains("ECHO")), "{error}");
    assert_eq!(error.raw(), Some("[AOERRO;BBcommand ECHO is not enabled;]"));
}

#[test]
fn permission_denied_is_refused_for_lack_of_permission() {
    let pki = Lab::new();
    let sim = pki.start_sim(Some(Fault::PermissionDenied));
    let error = err(probe(sim.local_addr(), "127.0.0.1", &pki.materials(), TIMEOUT));
    assert_failure(&error, Stage::Echo, ErrorKind::PermissionDenied);
    assert_eq!(error.raw(), Some("[AOECHO;ANP;]"));
    assert_eq!(error.detail(), None);
}

#[test]
fn general_failure_is_refused_with_its_latin1_text() {
    let pki = Lab::new();
    let sim = pki.start_sim(Some(Fault::GeneralFailure));
    let error = err(probe(sim.local_addr(), "127.0.0.1", &pki.materials(), TIMEOUT));
    assert_failure(&error, Stage::Echo, ErrorKind::GeneralFailure);
    assert_eq!(error.detail(), Some(sim::GENERAL_FAILURE_TEXT));
    assert_eq!(
        error.raw(),
        Some(format!("[AOECHO;ANN;ER{};]", sim::GENERAL_FAILURE_TEXT).as_str())
    );
}

#[test]
fn slow_answers_after_the_delay_or_times_out_first() {
    let pki = Lab::new();
    let mut options = pki.sim_options(Some(Fault::Slow));
    options.slow_delay = Duration::from_millis(1500);
    let sim = sim::start(options).expect("simulator starts");
    let mut session = ok(open(sim.local_addr(), "127.0.0.1", &pki.materials(), TIMEOUT));
    let timeout = Duration::from_millis(500);
    let (result, elapsed) = timed(|| hostapi::echo(&mut session, timeout));
    assert_failure(&err(result), Stage::Echo, ErrorKind::ReadTimeout);
    assert!(elapsed < Duration::from_millis(2000), "took {elapsed:?}");

    let mut patient = ok(open(sim.local_addr(), "127.0.0.1", &pki.materials(), TIMEOUT));
    let (reply, elapsed) = timed(|| hostapi::echo(&mut patient, TIMEOUT));
    assert_eq!(ok(reply).frame.command, "ECHO");
    assert!(
        elapsed >= Duration::from_millis(1400),
        "answered too early: {elapsed:?}"
    );
}

#[test]
fn the_fault_can_be_switched_while_running() {
    let pki = Lab::new();
    let sim = pki.start_sim(None);
    let addr = sim.local_addr();
    ok(probe(addr, "127.0.0.1", &pki.materials(), TIMEOUT));
    sim.set_fault(Some(Fault::WrongCa)).expect("switch");
    assert_eq!(sim.fault(), Some(Fault::WrongCa));
    assert_failure(
        &err(open(addr, "127.0.0.1", &pki.materials(), TIMEOUT)),
        Stage::ServerCert,
        ErrorKind::UnknownIssuer,
    );
    sim.set_fault(Some(Fault::EchoDisabled)).expect("switch");
    assert_failure(
        &err(probe(addr, "127.0.0.1", &pki.materials(), TIMEOUT)),
        Stage::Echo,
        ErrorKind::CommandRefused,
    );
    sim.set_fault(None).expect("switch");
    ok(probe(addr, "127.0.0.1", &pki.materials(), TIMEOUT));
}

#[test]
fn connections_over_the_cap_are_closed_at_once() {
    let pki = Lab::new();
    let sim = pki.start_sim(Some(Fault::Silent));
    let addr = sim.local_addr();
    let held: Vec<TcpStream> = (0..MAX_CONNECTIONS)
        .map(|_| TcpStream::connect(addr).expect("connect"))
        .collect();
    let (count, waited) = timed(|| {
        let give_up = Instant::now() + Duration::from_secs(10);
        while sim.active_connections() < MAX_CONNECTIONS && Instant::now() < give_up {
            std::thread::sleep(Duration::from_millis(10));
        }
        sim.active_connections()
    });
    assert_eq!(count, MAX_CONNECTIONS, "after {waited:?}");
    let mut extra = TcpStream::connect(addr).expect("connect");
    extra.set_read_timeout(Some(Duration::from_secs(3))).expect("timeout");
    let mut byte = [0u8; 1];
    let (read, elapsed) = timed(|| extra.read(&mut byte));
    assert!(matches!(read, Ok(0)) || read.is_err_and(|e| e.kind() == std::io::ErrorKind::ConnectionReset));
    assert!(elapsed < Duration::from_secs(2), "closed after {elapsed:?}");
    drop(held);
}

#[test]
fn shutdown_closes_the_port_and_ends_silent_connections() {
    let pki = Lab::new();
    let sim = pki.start_sim(Some(Fault::Silent));
    let addr = sim.local_addr();
    let mut held = TcpStream::connect(addr).expect("connect");
    held.set_read_timeout(Some(Duration::from_secs(3))).expect("timeout");
    let give_up = Instant::now() + Duration::from_secs(5);
    while sim.active_connections() == 0 && Instant::now() < give_up {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(sim.active_connections(), 1, "the connection is being served");
    let ((), elapsed) = timed(|| sim.shutdown());
    assert!(elapsed < Duration::from_secs(3), "shutdown took {elapsed:?}");
    let mut byte = [0u8; 1];
    assert!(matches!(held.read(&mut byte), Ok(0)), "the held connection is closed");
    let refused = hostapi::connect(&[addr], Duration::from_secs(1)).expect_err("nothing listens");
    assert_eq!(refused.kind(), &ErrorKind::ConnectionRefused);
}

#[test]
fn wait_returns_once_a_stopper_is_used() {
    let pki = Lab::new();
    let sim = pki.start_sim(None);
    let stopper = sim.stopper();
    let waiter = std::thread::spawn(move || sim.wait());
    std::thread::sleep(Duration::from_millis(100));
    assert!(!waiter.is_finished());
    stopper.stop();
    let ((), elapsed) = timed(|| waiter.join().expect("wait returns"));
    assert!(elapsed < Duration::from_secs(3), "{elapsed:?}");
}

#[test]
fn fault_names_round_trip_through_the_cli_spelling() {
    let names: Vec<String> = Fault::ALL.iter().map(ToString::to_string).collect();
    assert_eq!(
        names,
        [
            "wrong-ca",
            "reject-client",
            "no-client-auth",
            "expired-cert",
            "tls12-only",
            "silent",
            "garbage",
            "close-after-handshake",
            "echo-disabled",
            "permission-denied",
            "general-failure",
            "slow",
            "guide-cert",
            "cbc-only"
        ]
    );
    for fault in Fault::ALL {
        assert_eq!(fault.name().parse::<Fault>(), Ok(fault));
        assert!(!fault.description().contains('\n'));
    }
    assert!("tls13-only".parse::<Fault>().is_err());
}

#[test]
fn unreadable_files_are_named_in_the_error() {
    let pki = Lab::new();
    let other = Lab::with_ca("Unrelated CA");
    let mut options = pki.sim_options(None);
    options.cert = pki.dir.path().join("missing.pem");
    let error = sim::start(options).expect_err("missing file");
    assert!(
        matches!(&error, SimError::Read { path, .. } if path.ends_with("missing.pem")),
        "{error}"
    );

    let mut options = pki.sim_options(None);
    options.key = pki.write("empty.key", "no key here\n");
    let error = sim::start(options).expect_err("no key");
    assert!(matches!(error, SimError::Pem { .. }), "{error}");

    let mut options = pki.sim_options(None);
    options.key = other.files.server_key.clone();
    let error = sim::start(options).expect_err("key of another certificate");
    assert!(matches!(error, SimError::Tls(_)), "{error}");
}

#[test]
fn the_port_in_use_is_a_bind_error() {
    let pki = Lab::new();
    let first = pki.start_sim(None);
    let mut options = pki.sim_options(None);
    options.listen = first.local_addr();
    let error = sim::start(options).expect_err("port taken");
    assert!(matches!(error, SimError::Bind { .. }), "{error}");
}
