//! The Host API client against real peers: loopback sockets that misbehave,
//! a scripted rustls server, and `openssl s_server`.

use std::io::{ErrorKind as IoKind, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::thread;
use std::time::Duration;

use fxconfig::hostapi::answer::{self, Judgement};
use fxconfig::hostapi::frame::{self, Frame, FrameError, MAX_FRAME_LEN};
use fxconfig::hostapi::{self, ErrorKind, HostApiError, Stage, StageOutcome, TlsMaterials};
use fxconfig::remedy::{Explain, remedy_with_citation};
use proptest::prelude::*;

use crate::core::net::{TIMEOUT, assert_failure, cert_der, err, key_der, ok, open, probe, scripted_server, timed};
use crate::support::lab::Lab;
use crate::support::net::{SServer, free_port};

// ---------------------------------------------------------------- frames

fn field_text() -> impl Strategy<Value = String> {
    prop::collection::vec(0x20u8..0x7f, 0..40).prop_map(|bytes| {
        bytes
            .into_iter()
            .filter(|b| !matches!(b, b'[' | b']' | b';'))
            .map(char::from)
            .collect()
    })
}

proptest! {
    #[test]
    fn encode_then_parse_gives_back_the_frame(
        command in "[A-Z0-9]{1,8}",
        fields in prop::collection::vec(("[A-Z0-9]{2}", field_text()), 0..8),
    ) {
        let borrowed: Vec<(&str, &str)> = fields.iter().map(|(t, v)| (t.as_str(), v.as_str())).collect();
        let bytes = frame::encode(&command, &borrowed);
        let parsed = frame::parse(&bytes).expect("an encoded frame parses");
        prop_assert_eq!(parsed, Frame { command, fields, untagged: Vec::new() });
    }

    #[test]
    fn parse_never_panics_on_arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        let _ = frame::parse(&bytes);
        let _ = frame::scan(&bytes);
    }

    /// Any bytes between brackets, latin-1 and control characters included, as the reader
    /// meets them arriving in pieces: it never panics, a frame it accepts has a command and
    /// gets a verdict and a description, and what it refuses is named.
    #[test]
    fn the_reader_never_panics_on_arbitrary_bytes_between_brackets(
        inner in prop::collection::vec(any::<u8>(), 0..400),
        cut in any::<prop::sample::Index>(),
    ) {
        let mut bytes = b"[AOECHO;".to_vec();
        bytes.extend(inner);
        bytes.push(b']');
        let prefix = &bytes[..cut.index(bytes.len())];
        let _ = frame::scan(prefix);
        match frame::parse(&bytes) {
            Ok(frame) => {
                prop_assert_eq!(frame.command.as_str(), "ECHO");
                let _ = answer::judge(&frame);
                let said = answer::describe(&frame);
                prop_assert!(!said.chars().any(fxconfig::display::is_unsafe), "{}", said);
            }
            Err(error) => prop_assert!(!error.to_string().is_empty()),
        }
    }

    #[test]
    fn parse_never_panics_inside_brackets(inner in prop::collection::vec(0x20u8..0x7f, 0..200)) {
        let mut bytes = vec![b'['];
        bytes.extend(inner);
        bytes.push(b']');
        if let Ok(frame) = frame::parse(&bytes) {
            prop_assert!(!frame.command.is_empty());
        }
    }
}

#[test]
fn a_frame_of_exactly_the_limit_parses_and_one_byte_more_does_not() {
    let mut value = "X".repeat(MAX_FRAME_LEN - "[AOECHO;PN;]".len());
    let fits = frame::encode("ECHO", &[("PN", &value)]);
    assert_eq!(fits.len(), MAX_FRAME_LEN);
    assert!(frame::parse(&fits).is_ok());
    value.push('X');
    let over = frame::encode("ECHO", &[("PN", &value)]);
    assert_eq!(frame::parse(&over), Err(FrameError::TooLarge));
}

// ---------------------------------------------------------------- resolve and connect

#[test]
fn dns_failure_is_named_and_quick() {
    let (result, elapsed) = timed(|| hostapi::resolve("nonexistent.invalid", 2001, TIMEOUT));
    let error = err(result);
    assert_failure(&error, Stage::Resolve, ErrorKind::DnsFailure);
    assert!(elapsed < TIMEOUT + Duration::from_millis(500), "took {elapsed:?}");
    assert!(
        std::error::Error::source(&error).is_some(),
        "the resolver's error is kept"
    );
}

#[test]
fn localhost_resolves_to_loopback() {
    let addrs = ok(hostapi::resolve("localhost", 2001, TIMEOUT));
    assert!(
        addrs.iter().all(|a| a.ip().is_loopback() && a.port() == 2001),
        "{addrs:?}"
    );
}

#[test]
fn closed_port_is_connection_refused_with_the_io_error_as_source() {
    let addr = SocketAddr::from(([127, 0, 0, 1], free_port()));
    let error = err(hostapi::connect(&[addr], TIMEOUT));
    assert_failure(&error, Stage::Connect, ErrorKind::ConnectionRefused);
    let source = std::error::Error::source(&error).expect("source");
    let io = source.downcast_ref::<std::io::Error>().expect("io::Error source");
    assert_eq!(io.kind(), IoKind::ConnectionRefused);
    assert_eq!(error.detail(), Some(addr.to_string().as_str()));
}

#[test]
fn refusal_on_one_address_is_reported_over_a_later_timeout() {
    let refused = SocketAddr::from(([127, 0, 0, 1], free_port()));
    let error = err(hostapi::connect(&[refused, refused], Duration::from_secs(1)));
    assert_failure(&error, Stage::Connect, ErrorKind::ConnectionRefused);
}

/// A listener whose accept queue is full drops new SYNs, as a black-holed host does.
#[test]
fn full_backlog_is_a_connect_timeout_within_the_budget() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("address");
    let mut queued = Vec::new();
    let mut full = false;
    for _ in 0..20_000 {
        match TcpStream::connect_timeout(&addr, Duration::from_millis(300)) {
            Ok(stream) => queued.push(stream),
            Err(_) => {
                full = true;
                break;
            }
        }
    }
    assert!(full, "the accept queue never filled after {} connections", queued.len());
    let timeout = Duration::from_secs(1);
    let (result, elapsed) = timed(|| hostapi::connect(&[addr], timeout));
    assert_failure(&err(result), Stage::Connect, ErrorKind::ConnectTimeout);
    assert!(elapsed >= Duration::from_millis(900), "gave up early: {elapsed:?}");
    assert!(elapsed < Duration::from_millis(2500), "took {elapsed:?}");
    drop(listener);
}

// ---------------------------------------------------------------- handshake

#[test]
fn a_peer_that_accepts_and_never_speaks_is_a_handshake_timeout() {
    let pki = Lab::new();
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("address");
    let holder = thread::spawn(move || {
        let (stream, _) = listener.accept().expect("accept");
        thread::sleep(Duration::from_secs(4));
        drop(stream);
    });
    let timeout = Duration::from_secs(1);
    let (result, elapsed) = timed(|| open(addr, "127.0.0.1", &pki.materials(), timeout));
    assert_failure(&err(result), Stage::Handshake, ErrorKind::HandshakeTimeout);
    assert!(elapsed >= Duration::from_millis(900), "gave up early: {elapsed:?}");
    assert!(elapsed < Duration::from_millis(2500), "took {elapsed:?}");
    holder.join().expect("holder thread");
}

#[test]
fn a_peer_that_closes_at_once_is_peer_closed_during_the_handshake() {
    let pki = Lab::new();
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("address");
    let closer = thread::spawn(move || drop(listener.accept().expect("accept")));
    let error = err(open(addr, "127.0.0.1", &pki.materials(), TIMEOUT));
    assert_failure(&error, Stage::Handshake, ErrorKind::PeerClosed);
    closer.join().expect("closer thread");
}

#[test]
fn a_peer_answering_in_plain_text_is_a_tls_failure_that_says_so() {
    let pki = Lab::new();
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("address");
    let http = thread::spawn(move || {
        let (mut stream, _) = listener.accept().expect("accept");
        let mut hello = [0u8; 512];
        let _ = stream.read(&mut hello);
        let _ = stream.write_all(b"HTTP/1.1 400 Bad Request\r\n\r\n");
        thread::sleep(Duration::from_millis(500));
    });
    let error = err(open(addr, "127.0.0.1", &pki.materials(), TIMEOUT));
    assert_failure(&error, Stage::Handshake, ErrorKind::TlsFailure);
    assert!(error.detail().is_some_and(|d| d.contains("TLS")), "{error}");
    http.join().expect("http thread");
}

#[test]
fn a_host_that_is_no_name_is_an_invalid_server_name() {
    let pki = Lab::new();
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let tcp = TcpStream::connect(listener.local_addr().expect("address")).expect("connect");
    let error = err(hostapi::handshake(tcp, "not a host!", &pki.materials(), TIMEOUT));
    assert_failure(&error, Stage::Handshake, ErrorKind::InvalidServerName);
}

#[test]
fn a_mismatched_client_key_is_refused_before_connecting_anywhere() {
    let pki = Lab::new();
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let tcp = TcpStream::connect(listener.local_addr().expect("address")).expect("connect");
    let materials = TlsMaterials {
        roots: vec![cert_der(&pki.ca.cert)],
        client: Some((vec![cert_der(&pki.client)], key_der(&pki.server))),
    };
    let error = err(hostapi::handshake(tcp, "127.0.0.1", &materials, TIMEOUT));
    assert_failure(&error, Stage::ClientAuth, ErrorKind::InvalidClientIdentity);
}

#[test]
fn materials_debug_never_shows_the_private_key() {
    let pki = Lab::new();
    let materials = pki.materials();
    let shown = format!("{materials:?} {:?}", materials.clone());
    assert!(shown.contains(fxconfig::secret::MASK), "{shown}");
    let key_body: String = pki
        .client
        .key_pem
        .lines()
        .nth(1)
        .expect("PEM body")
        .chars()
        .take(20)
        .collect();
    assert!(!shown.contains(&key_body), "{shown}");
    let key_bytes = format!("{:?}", &pki.client.key_der[..8]);
    assert!(!shown.contains(key_bytes.trim_matches(['[', ']'])), "{shown}");
}

// ---------------------------------------------------------------- echo against a scripted peer

fn echo_against(answer: &[u8], timeout: Duration) -> (Result<hostapi::EchoReply, HostApiError>, Duration) {
    let pki = Lab::new();
    let addr = scripted_server(&pki, answer.to_vec());
    let mut session = ok(open(addr, "localhost", &pki.materials(), TIMEOUT));
    assert!(!session.client_cert_requested);
    timed(|| hostapi::echo(&mut session, timeout))
}

#[test]
fn an_answer_over_64_kib_is_frame_too_large() {
    let mut answer = b"[AOECHO;PN".to_vec();
    answer.extend(std::iter::repeat_n(b'A', MAX_FRAME_LEN + 10));
    let (result, _) = echo_against(&answer, TIMEOUT);
    let error = err(result);
    assert_failure(&error, Stage::Echo, ErrorKind::FrameTooLarge);
    assert_eq!(
        std::error::Error::source(&error).and_then(|s| s.downcast_ref::<FrameError>()),
        Some(&FrameError::TooLarge)
    );
}

#[test]
fn an_answer_without_closing_bracket_is_no_frame_end_within_the_timeout() {
    let timeout = Duration::from_secs(1);
    let (result, elapsed) = echo_against(b"[AOECHO;SN12", timeout);
    assert_failure(&err(result), Stage::Echo, ErrorKind::NoFrameEnd);
    assert!(elapsed < Duration::from_millis(2500), "took {elapsed:?}");
}

#[test]
fn an_http_answer_is_not_a_frame() {
    let (result, elapsed) = echo_against(b"HTTP/1.1 400 Bad Request\r\n\r\n", TIMEOUT);
    let error = err(result);
    assert_failure(&error, Stage::Echo, ErrorKind::NotAFrame);
    assert!(error.detail().is_some_and(|d| d.contains("HTTP/1.1")), "{error}");
    assert!(elapsed < Duration::from_secs(1), "named at once, took {elapsed:?}");
}

#[test]
fn binary_inside_a_frame_is_not_a_frame() {
    let (result, _) = echo_against(b"[AOECHO;\x01\x02\xff", TIMEOUT);
    assert_failure(&err(result), Stage::Echo, ErrorKind::NotAFrame);
}

#[test]
fn an_error_answer_is_command_refused_citing_the_host_api_commands_section() {
    let (result, _) = echo_against(b"[AOERRO;BBcommand not enabled;]", TIMEOUT);
    let error = err(result);
    assert_failure(&error, Stage::Echo, ErrorKind::CommandRefused);
    assert_eq!(error.detail(), Some("command not enabled"));
    assert_eq!(error.guide_section(), Some("3.2.10"));
    let remedy = remedy_with_citation(&error);
    assert!(remedy.contains("CLCR") && remedy.ends_with("[3.2.10]"), "{remedy}");
}

#[test]
fn an_answer_for_another_command_is_unexpected() {
    let (result, _) = echo_against(b"[AOGPIN;]", TIMEOUT);
    assert_failure(&err(result), Stage::Echo, ErrorKind::UnexpectedReply);
}

#[test]
fn a_well_formed_echo_answer_is_parsed_with_its_identity() {
    let (result, _) = echo_against(b"[AOECHO;ANY;BC7.1.0.3;SN0042;PNKMES Series 3;]", TIMEOUT);
    let reply = ok(result);
    assert_eq!(reply.raw, "[AOECHO;ANY;BC7.1.0.3;SN0042;PNKMES Series 3;]");
    assert_eq!(reply.unknown_status, None);
    assert_eq!(answer::judge(&reply.frame), Judgement::Answered);
    assert_eq!(
        answer::describe(&reply.frame),
        "status Y (AN), application version 7.1.0.3 (BC), serial 0042 (SN), product KMES Series 3 (PN)"
    );
}

#[test]
fn refusals_fail_whatever_the_command_and_keep_the_answer() {
    let (result, _) = echo_against(b"[AOECHO;ANP;]", TIMEOUT);
    let error = err(result);
    assert_failure(&error, Stage::Echo, ErrorKind::PermissionDenied);
    assert_eq!(error.raw(), Some("[AOECHO;ANP;]"));
    let remedy = remedy_with_citation(&error);
    assert!(remedy.contains("[3.2.3]") && remedy.ends_with("[3.2.10]"), "{remedy}");

    let (result, _) = echo_against(b"[AOECHO;ANN;ERCommand not permitted for this identity;]", TIMEOUT);
    let error = err(result);
    assert_failure(&error, Stage::Echo, ErrorKind::GeneralFailure);
    assert_eq!(error.detail(), Some("Command not permitted for this identity"));
}

#[test]
fn an_unknown_status_is_a_reply_that_says_so() {
    let (result, _) = echo_against(b"[AOECHO;ANQ;BC7.1;]", TIMEOUT);
    let reply = ok(result);
    assert_eq!(reply.unknown_status.as_deref(), Some("Q"));
}

#[test]
fn an_answer_with_control_characters_is_not_a_frame_and_shown_escaped() {
    let (result, _) = echo_against(b"[AOECHO;BB\x1b]0;owned\x07;]", TIMEOUT);
    let error = err(result);
    assert_failure(&error, Stage::Echo, ErrorKind::NotAFrame);
    let raw = error.raw().expect("the answer is kept");
    assert!(raw.starts_with("[AOECHO;BB\\x1b"), "{raw}");
    assert!(!raw.chars().any(fxconfig::display::is_unsafe), "{raw}");
}

// ---------------------------------------------------------------- openssl s_server

fn s_server_args<'a>(pki: &'a Lab, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec![
        "-cert",
        pki.files.server_cert.to_str().expect("path"),
        "-key",
        pki.files.server_key.to_str().expect("path"),
        "-CAfile",
        pki.files.ca_cert.to_str().expect("path"),
    ];
    args.extend_from_slice(extra);
    args
}

#[test]
fn s_server_with_client_certificate_completes_and_its_text_is_not_a_frame() {
    let pki = Lab::new();
    let mut server = SServer::start(&s_server_args(&pki, &["-Verify", "1"]));
    let mut session = ok(open(server.addr, "127.0.0.1", &pki.materials(), TIMEOUT));
    assert_eq!(session.protocol, "TLSv1.3");
    assert!(session.client_cert_requested && session.client_cert_sent);
    assert_eq!(session.peer_chain[0].as_ref(), pki.server.cert_der.as_slice());
    server.send(b"HTTP/1.0 200 OK\r\n");
    let (result, elapsed) = timed(|| hostapi::echo(&mut session, TIMEOUT));
    assert_failure(&err(result), Stage::Echo, ErrorKind::NotAFrame);
    assert!(elapsed < TIMEOUT, "took {elapsed:?}");
}

#[test]
fn s_server_without_client_certificate_fails_at_client_auth_on_first_read() {
    let pki = Lab::new();
    let server = SServer::start(&s_server_args(&pki, &["-Verify", "1"]));
    let mut session = ok(open(server.addr, "127.0.0.1", &pki.materials_without_client(), TIMEOUT));
    assert!(session.client_cert_requested && !session.client_cert_sent);
    let error = err(hostapi::echo(&mut session, TIMEOUT));
    assert_failure(&error, Stage::ClientAuth, ErrorKind::ClientCertRequired);
    let source = std::error::Error::source(&error).and_then(|s| s.downcast_ref::<rustls::Error>());
    assert!(matches!(source, Some(rustls::Error::AlertReceived(_))), "{source:?}");
}

#[test]
fn s_server_tls12_without_client_certificate_fails_in_the_handshake() {
    let pki = Lab::new();
    let server = SServer::start(&s_server_args(&pki, &["-Verify", "1", "-tls1_2"]));
    let error = err(open(server.addr, "127.0.0.1", &pki.materials_without_client(), TIMEOUT));
    assert_failure(&error, Stage::ClientAuth, ErrorKind::ClientCertRequired);
}

#[test]
fn s_server_rejecting_our_client_certificate_is_client_cert_rejected() {
    let pki = Lab::new();
    let other = Lab::with_ca("Unrelated CA");
    let args = [
        "-cert",
        pki.files.server_cert.to_str().expect("path"),
        "-key",
        pki.files.server_key.to_str().expect("path"),
        "-CAfile",
        other.files.ca_cert.to_str().expect("path"),
        "-Verify",
        "1",
        "-verify_return_error",
    ];
    let server = SServer::start(&args);
    let result = probe(server.addr, "127.0.0.1", &pki.materials(), TIMEOUT);
    assert_failure(&err(result), Stage::ClientAuth, ErrorKind::ClientCertRejected);
}

/// Under TLS 1.2 the server rejects our certificate inside the handshake, after we verified
/// its own: the error keeps the chain that was verified. A server certificate that fails
/// verification is not kept.
#[test]
fn tls12_rejection_of_our_client_certificate_keeps_the_verified_server_chain() {
    let pki = Lab::new();
    let other = Lab::with_ca("Unrelated CA");
    let path = |p: &std::path::Path| p.to_str().expect("path").to_owned();
    let rejecting_args = [
        "-tls1_2",
        "-cert",
        &path(&pki.files.server_cert),
        "-key",
        &path(&pki.files.server_key),
        "-CAfile",
        &path(&other.files.ca_cert),
        "-Verify",
        "1",
        "-verify_return_error",
    ];
    let rejecting = SServer::start(&rejecting_args);
    let error = err(open(rejecting.addr, "127.0.0.1", &pki.materials(), TIMEOUT));
    assert_failure(&error, Stage::ClientAuth, ErrorKind::ClientCertRejected);
    let chain = error
        .verified_server_chain()
        .expect("the server certificate was verified first");
    assert_eq!(chain.first(), Some(&cert_der(&pki.server)));

    // The one-call probe reports the verified server certificate before the failure.
    let rejecting = SServer::start(&rejecting_args);
    let mut seen = Vec::new();
    let result = hostapi::run_probe(
        "127.0.0.1",
        rejecting.addr.port(),
        &pki.materials(),
        TIMEOUT,
        |stage, outcome| seen.push((stage, outcome.clone())),
    );
    assert_failure(&err(result), Stage::ClientAuth, ErrorKind::ClientCertRejected);
    let stages: Vec<Stage> = seen.iter().map(|(stage, _)| *stage).collect();
    assert_eq!(
        stages,
        [Stage::Resolve, Stage::Connect, Stage::ServerCert, Stage::ClientAuth]
    );
    assert!(
        matches!(&seen[2].1, StageOutcome::Passed(text) if text.contains("certificate(s) presented, verified")),
        "{seen:?}"
    );

    let foreign = SServer::start(&[
        "-tls1_2",
        "-cert",
        &path(&other.files.server_cert),
        "-key",
        &path(&other.files.server_key),
    ]);
    let error = err(open(foreign.addr, "127.0.0.1", &pki.materials(), TIMEOUT));
    assert_failure(&error, Stage::ServerCert, ErrorKind::UnknownIssuer);
    assert!(error.verified_server_chain().is_none(), "{error:?}");
}

#[test]
fn s_server_with_a_certificate_from_another_ca_is_unknown_issuer() {
    let pki = Lab::new();
    let other = Lab::with_ca("Unrelated CA");
    let args = [
        "-cert",
        other.files.server_cert.to_str().expect("path"),
        "-key",
        other.files.server_key.to_str().expect("path"),
        "-CAfile",
        pki.files.ca_cert.to_str().expect("path"),
        "-Verify",
        "1",
    ];
    let server = SServer::start(&args);
    let error = err(open(server.addr, "127.0.0.1", &pki.materials(), TIMEOUT));
    assert_failure(&error, Stage::ServerCert, ErrorKind::UnknownIssuer);
    let source = std::error::Error::source(&error).and_then(|s| s.downcast_ref::<rustls::Error>());
    assert!(
        matches!(
            source,
            Some(rustls::Error::InvalidCertificate(
                rustls::CertificateError::UnknownIssuer
            ))
        ),
        "{source:?}"
    );
}

#[test]
fn s_server_tls12_only_still_works_and_rev_mode_gives_a_read_timeout() {
    let pki = Lab::new();
    let server = SServer::start(&s_server_args(&pki, &["-Verify", "1", "-tls1_2", "-rev"]));
    let mut session = ok(open(server.addr, "127.0.0.1", &pki.materials(), TIMEOUT));
    assert_eq!(session.protocol, "TLSv1.2");
    assert!(session.client_cert_sent);
    let timeout = Duration::from_secs(1);
    let (result, elapsed) = timed(|| hostapi::echo(&mut session, timeout));
    assert_failure(&err(result), Stage::Echo, ErrorKind::ReadTimeout);
    assert!(
        elapsed >= Duration::from_millis(900) && elapsed < Duration::from_millis(2500),
        "{elapsed:?}"
    );
}

#[test]
fn s_server_speaking_only_tls11_has_no_protocol_in_common() {
    let pki = Lab::new();
    let server = SServer::start(&s_server_args(&pki, &["-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0"]));
    let error = err(open(server.addr, "127.0.0.1", &pki.materials(), TIMEOUT));
    assert_failure(&error, Stage::Handshake, ErrorKind::NoCommonProtocol);
}

#[test]
fn s_server_with_only_cbc_ciphers_has_no_cipher_in_common() {
    let pki = Lab::new();
    let server = SServer::start(&s_server_args(&pki, &["-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-SHA"]));
    let error = err(open(server.addr, "127.0.0.1", &pki.materials(), TIMEOUT));
    assert_failure(&error, Stage::Handshake, ErrorKind::NoCommonProtocol);
}

#[test]
fn s_server_sending_an_unfinished_frame_is_no_frame_end() {
    let pki = Lab::new();
    let mut server = SServer::start(&s_server_args(&pki, &["-Verify", "1"]));
    let mut session = ok(open(server.addr, "localhost", &pki.materials(), TIMEOUT));
    server.send(b"[AOECHO;SN1");
    let timeout = Duration::from_secs(1);
    let (result, elapsed) = timed(|| hostapi::echo(&mut session, timeout));
    assert_failure(&err(result), Stage::Echo, ErrorKind::NoFrameEnd);
    assert!(elapsed < Duration::from_millis(2500), "{elapsed:?}");
}

#[test]
fn run_probe_reports_each_stage_until_the_failure() {
    let pki = Lab::new();
    let server = SServer::start(&s_server_args(&pki, &["-Verify", "1", "-rev"]));
    let mut seen = Vec::new();
    let result = hostapi::run_probe(
        "127.0.0.1",
        server.addr.port(),
        &pki.materials(),
        Duration::from_secs(1),
        |stage, outcome| seen.push((stage, outcome.clone())),
    );
    assert_failure(&err(result), Stage::Echo, ErrorKind::ReadTimeout);
    let stages: Vec<Stage> = seen.iter().map(|(stage, _)| *stage).collect();
    assert_eq!(
        stages,
        [
            Stage::Resolve,
            Stage::Connect,
            Stage::Handshake,
            Stage::ServerCert,
            Stage::Echo
        ]
    );
    assert!(matches!(seen.last(), Some((_, StageOutcome::Failed(_)))));
}
