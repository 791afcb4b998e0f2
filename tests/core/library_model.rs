//! fxconfig's verdict against a model of fxpkcs11: for each case of docs/troubleshooting.md's
//! table "What fxpkcs11 accepts", the same KMES (stunnel, set up per case, in front of an
//! Excrypt ECHO answer) is tried by the model, a C client linked against Debian 11's OpenSSL
//! 1.1.1 (tests/reference/fxpkcs11_model.c), and by the doctor. Whether each connects and
//! reaches the ECHO must agree; a weakness is a warning that names it.
//!
//! The PKI of each case is made by the `openssl` command, not by fxconfig.

use std::fs;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::AtomicBool;
use std::thread;
use std::time::{Duration, Instant};

use fxconfig::doctor::{self, CheckId, DoctorOptions, Report, Status};
use fxconfig::pki::DemoFiles;

use crate::support::lab::{P12_PASSWORD, guide_cfg, write_private};
use crate::support::net::free_port;
use crate::support::tools::openssl;

/// Where tests/reference/openssl-1.1.sh (run by tests/system-deps.sh) unpacks OpenSSL 1.1.1.
const OPENSSL_11: &str = "/var/cache/fxconfig-tests/openssl-1.1";

/// The answer the KMES behind each terminator gives to any request.
const ECHO_ANSWER: &[u8] = b"[AOECHO;ANY;BC7.1.0.3;]";

/// The model, compiled once for the test program.
fn model() -> &'static Path {
    static MODEL: OnceLock<PathBuf> = OnceLock::new();
    MODEL.get_or_init(|| {
        let root = Path::new(OPENSSL_11);
        let lib = root.join("usr/lib/x86_64-linux-gnu");
        assert!(
            lib.join("libssl.so.1.1").exists(),
            "OpenSSL 1.1.1 is not unpacked in {OPENSSL_11}: run tests/system-deps.sh"
        );
        let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("fxpkcs11-model");
        let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/reference/fxpkcs11_model.c");
        let status = Command::new("gcc")
            .arg("-O1")
            .arg("-Wall")
            .arg("-Werror")
            .arg("-o")
            .arg(&out)
            .arg(&source)
            .arg(format!("-I{}", root.join("usr/include").display()))
            .arg(format!("-I{}", root.join("usr/include/x86_64-linux-gnu").display()))
            .arg(format!("-L{}", lib.display()))
            .arg(format!("-Wl,-rpath,{}", lib.display()))
            .args(["-lssl", "-lcrypto"])
            .status()
            .expect("gcc runs");
        assert!(status.success(), "the model does not compile");
        out
    })
}

/// How a case's server certificate and key are made.
#[derive(Clone, Copy)]
struct ServerCert {
    /// `openssl req -newkey` arguments, such as `rsa:2048`.
    key: &'static str,
    /// The digest that signs it, such as `-sha256`.
    digest: &'static str,
    /// Whether it names 127.0.0.1 in its subjectAltName (else CN=KMES alone, as [3.1.2]).
    names_address: bool,
    /// Issued by an intermediate CA, which PROD-TLS-CA then holds instead of the root.
    intermediate_as_anchor: bool,
    /// Issued by another CA than PROD-TLS-CA's.
    other_ca: bool,
    /// A CA of the chain that is no longer valid (valid in 2020 only).
    expired: Option<ExpiredCa>,
}

/// Which CA of the chain has expired.
#[derive(Clone, Copy, PartialEq, Eq)]
enum ExpiredCa {
    /// The root, PROD-TLS-CA itself.
    Root,
    /// An issuing CA between the root and the server certificate, sent by the server.
    Intermediate,
}

/// The configuration of `openssl ca`, the only way the `openssl` 3.0 command dates a
/// certificate in the past.
const DATED_CA_CONFIG: &str = "[ca]\ndefault_ca = dated\n[dated]\ndatabase = index.txt\nnew_certs_dir = .\n\
serial = serial\ndefault_md = sha256\npolicy = any\nunique_subject = no\n[any]\ncommonName = supplied\n\
organizationName = optional\n";

/// A CA certificate `name`, valid in 2020 only: self-signed, or issued by `issuer`.
fn expired_ca(dir: &Path, name: &str, issuer: Option<&str>) {
    write(dir, "dated.cnf", DATED_CA_CONFIG);
    write(dir, "index.txt", "");
    write(dir, "serial", "1000\n");
    write(
        dir,
        &format!("{name}.ext"),
        "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n",
    );
    let (key, csr, pem, ext) = (
        format!("{name}.key"),
        format!("{name}.csr"),
        format!("{name}.pem"),
        format!("{name}.ext"),
    );
    let subject = format!("/O=Futurex Test/CN={name}");
    openssl(
        dir,
        &[
            "req", "-new", "-newkey", "rsa:2048", "-nodes", "-keyout", &key, "-out", &csr, "-subj", &subject,
        ],
    );
    let mut args = vec![
        "ca",
        "-batch",
        "-config",
        "dated.cnf",
        "-in",
        &csr,
        "-out",
        &pem,
        "-notext",
        "-extfile",
        &ext,
    ];
    args.extend(["-startdate", "20200101000000Z", "-enddate", "20210101000000Z"]);
    let (issuer_pem, issuer_key);
    match issuer {
        Some(issuer) => {
            issuer_pem = format!("{issuer}.pem");
            issuer_key = format!("{issuer}.key");
            args.extend(["-cert", &issuer_pem, "-keyfile", &issuer_key]);
        }
        None => args.extend(["-selfsign", "-keyfile", &key]),
    }
    openssl(dir, &args);
}

const GOOD_CERT: ServerCert = ServerCert {
    key: "rsa:2048",
    digest: "-sha256",
    names_address: true,
    intermediate_as_anchor: false,
    other_ca: false,
    expired: None,
};

/// How PROD-TLS-CA is written.
#[derive(Clone, Copy, PartialEq, Eq)]
enum CaFile {
    /// PEM, as the guide exports it [3.1.4].
    Pem,
    /// DER.
    Der,
    /// PEM after a UTF-8 byte-order mark, as some Windows editors save it.
    ByteOrderMark,
    /// PEM with every line indented by two spaces.
    Indented,
}

/// One case: the KMES's certificate and TLS settings, the client's key, what the model is
/// expected to do, and the warning fxconfig must give.
struct Case {
    server: ServerCert,
    ca_file: CaFile,
    /// stunnel's `sslVersionMin`/`sslVersionMax`, `ciphers` and `securityLevel`.
    tls: (&'static str, &'static str, &'static str, u8),
    /// `openssl req -newkey` arguments of the client key, such as `rsa:2048`.
    client_key: &'static str,
    /// The key usage of the client certificate, such as `digitalSignature`.
    client_key_usage: &'static str,
    /// Options of `openssl pkcs12 -export`, such as `-nomac`.
    p12_options: &'static [&'static str],
    /// Whether the model (and so fxpkcs11) connects and gets the ECHO answer.
    connects: bool,
    /// The check that must warn (or fail) and a fragment of its detail.
    finding: Option<(CheckId, Status, &'static str)>,
}

const MODERN_TLS: (&str, &str, &str, u8) = ("TLSv1.2", "TLSv1.3", "DEFAULT", 1);

/// A KMES and client as the guide sets them up, with modern TLS: the model connects. Each
/// case changes what it is about.
fn guide_setup() -> Case {
    Case {
        server: GOOD_CERT,
        ca_file: CaFile::Pem,
        tls: MODERN_TLS,
        client_key: "rsa:2048",
        client_key_usage: "digitalSignature",
        p12_options: &[],
        connects: true,
        finding: None,
    }
}

/// The files of one case, made by `openssl` in a temporary folder.
struct CasePki {
    dir: tempfile::TempDir,
    /// PROD-TLS-CA.
    anchor: PathBuf,
    /// The root that issued the client certificate (the terminator's CAfile).
    client_root: PathBuf,
    /// The terminator's certificate chain file and key.
    server_chain: PathBuf,
    server_key: PathBuf,
    p12: PathBuf,
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    fs::write(&path, text).expect("write");
    path
}

/// A self-signed root CA `name` (RSA 2048, SHA-256, CA:TRUE).
fn root_ca(dir: &Path, name: &str) {
    openssl(
        dir,
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-sha256",
            "-keyout",
            &format!("{name}.key"),
            "-out",
            &format!("{name}.pem"),
            "-subj",
            &format!("/O=Futurex Test/CN={name}"),
            "-days",
            "365",
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign",
        ],
    );
}

/// Issues `name` from the CA `issuer` with the extensions `ext`.
fn issue(dir: &Path, name: &str, key: &str, subject: &str, issuer: &str, digest: &str, ext: &str) {
    let ext_file = write(dir, &format!("{name}.ext"), ext);
    let key_out = format!("{name}.key");
    let csr_out = format!("{name}.csr");
    let mut args = vec!["req", "-new", "-newkey"];
    args.extend(key.split_whitespace());
    args.extend(["-nodes", "-keyout", &key_out, "-out", &csr_out, "-subj", subject]);
    openssl(dir, &args);
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            &format!("{name}.csr"),
            "-CA",
            &format!("{issuer}.pem"),
            "-CAkey",
            &format!("{issuer}.key"),
            "-CAcreateserial",
            "-out",
            &format!("{name}.pem"),
            "-days",
            "365",
            digest,
            "-extfile",
            ext_file.to_str().expect("path"),
        ],
    );
}

fn read(dir: &Path, name: &str) -> String {
    fs::read_to_string(dir.join(name)).expect("read")
}

impl CasePki {
    fn new(case: &Case) -> CasePki {
        let dir = tempfile::tempdir().expect("temporary folder");
        let path = dir.path();
        let server = case.server;
        if server.expired == Some(ExpiredCa::Root) {
            expired_ca(path, "root", None);
        } else {
            root_ca(path, "root");
        }
        let mut server_issuer = "root";
        if server.expired == Some(ExpiredCa::Intermediate) {
            expired_ca(path, "issuing", Some("root"));
            server_issuer = "issuing";
        }
        if server.other_ca {
            root_ca(path, "other");
            server_issuer = "other";
        }
        if server.intermediate_as_anchor {
            issue(
                path,
                "issuing",
                "rsa:2048",
                "/O=Futurex Test/CN=Issuing CA",
                "root",
                "-sha256",
                "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n",
            );
            server_issuer = "issuing";
        }
        let names = if server.names_address {
            "subjectAltName=IP:127.0.0.1\n"
        } else {
            ""
        };
        issue(
            path,
            "server",
            server.key,
            "/O=Futurex Test/CN=KMES",
            server_issuer,
            server.digest,
            &format!(
                "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n{names}"
            ),
        );
        issue(
            path,
            "client",
            case.client_key,
            "/O=Futurex Test/CN=PKCS #11 Client",
            "root",
            "-sha256",
            &format!(
                "basicConstraints=CA:FALSE\nkeyUsage=critical,{}\nextendedKeyUsage=clientAuth\n",
                case.client_key_usage
            ),
        );
        let passout = format!("pass:{P12_PASSWORD}");
        let mut export = vec![
            "pkcs12",
            "-export",
            "-inkey",
            "client.key",
            "-in",
            "client.pem",
            "-certfile",
            "root.pem",
            "-out",
            "client.p12",
            "-passout",
            &passout,
        ];
        export.extend(case.p12_options);
        openssl(path, &export);
        let mut chain = read(path, "server.pem");
        if server.intermediate_as_anchor || server.expired == Some(ExpiredCa::Intermediate) {
            chain.push_str(&read(path, "issuing.pem"));
        }
        let mut anchor = if server.intermediate_as_anchor {
            path.join("issuing.pem")
        } else {
            path.join("root.pem")
        };
        let anchor_pem = fs::read_to_string(&anchor).expect("read the CA");
        match case.ca_file {
            CaFile::Pem => {}
            CaFile::Der => {
                openssl(
                    path,
                    &["x509", "-in", "root.pem", "-outform", "DER", "-out", "root.der"],
                );
                anchor = path.join("root.der");
            }
            CaFile::ByteOrderMark => anchor = write(path, "root-bom.pem", &format!("\u{feff}{anchor_pem}")),
            CaFile::Indented => {
                let indented: String = anchor_pem.lines().map(|line| format!("  {line}\n")).collect();
                anchor = write(path, "root-indented.pem", &indented);
            }
        }
        CasePki {
            anchor,
            client_root: path.join("root.pem"),
            server_chain: write(path, "server-chain.pem", &chain),
            server_key: path.join("server.key"),
            p12: path.join("client.p12"),
            dir,
        }
    }

    /// The guide-layout configuration for the terminator at `port`.
    fn write_cfg(&self, port: u16) -> PathBuf {
        let files = DemoFiles {
            ca_cert: self.anchor.clone(),
            ca_key: self.dir.path().join("root.key"),
            server_cert: self.server_chain.clone(),
            server_key: self.server_key.clone(),
            client_p12: self.p12.clone(),
            client_cert: self.dir.path().join("client.pem"),
            client_key: self.dir.path().join("client.key"),
        };
        let cfg = self.dir.path().join("fxpkcs11.cfg");
        write_private(&cfg, guide_cfg("127.0.0.1", port, &files, P12_PASSWORD).as_bytes());
        cfg
    }
}

/// A plain TCP Excrypt endpoint that answers every request with [`ECHO_ANSWER`], for the
/// life of the test program (a few connections per case).
fn echo_backend() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("address").port();
    thread::spawn(move || {
        for connection in listener.incoming() {
            let Ok(mut tcp) = connection else { return };
            thread::spawn(move || {
                tcp.set_read_timeout(Some(Duration::from_secs(20))).ok();
                let mut request = Vec::new();
                let mut byte = [0u8; 1];
                while !request.ends_with(b"]") {
                    match tcp.read(&mut byte) {
                        Ok(1) => request.push(byte[0]),
                        _ => return,
                    }
                }
                let _ = tcp.write_all(ECHO_ANSWER);
                let mut rest = [0u8; 256];
                while matches!(tcp.read(&mut rest), Ok(n) if n > 0) {}
            });
        }
    });
    port
}

/// stunnel as the KMES's Host API port: TLS per the case, client certificates required and
/// verified against the root, in front of [`echo_backend`]. Stopped when dropped.
struct Terminator {
    child: Child,
    port: u16,
}

impl Terminator {
    fn start(pki: &CasePki, tls: (&str, &str, &str, u8)) -> Terminator {
        let backend = echo_backend();
        let (min, max, ciphers, level) = tls;
        for _attempt in 0..3 {
            let port = free_port();
            let config = format!(
                "foreground = yes\npid =\ndebug = 4\n[kmes]\naccept = 127.0.0.1:{port}\nconnect = 127.0.0.1:{backend}\n\
                 cert = {}\nkey = {}\nCAfile = {}\nverifyChain = yes\nrequireCert = yes\n\
                 sslVersionMin = {min}\nsslVersionMax = {max}\nciphers = {ciphers}\nsecurityLevel = {level}\n",
                pki.server_chain.display(),
                pki.server_key.display(),
                pki.client_root.display(),
            );
            let config_path = write(pki.dir.path(), "stunnel.conf", &config);
            let mut child = Command::new("stunnel")
                .arg(&config_path)
                // OpenSSL's own defaults, not the distribution's policy file.
                .env("OPENSSL_CONF", "/dev/null")
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .expect("stunnel runs (tests/system-deps.sh installs stunnel4)");
            let started = Instant::now();
            while started.elapsed() < Duration::from_secs(10) {
                if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                    return Terminator { child, port };
                }
                if let Ok(Some(_)) = child.try_wait() {
                    break;
                }
                thread::sleep(Duration::from_millis(50));
            }
            let _ = child.kill();
            let mut stderr = String::new();
            if let Some(mut err) = child.stderr.take() {
                let _ = err.read_to_string(&mut stderr);
            }
            let _ = child.wait();
            eprintln!("stunnel did not start: {stderr}");
        }
        panic!("stunnel did not start");
    }
}

impl Drop for Terminator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What the model said: `Ok(line)` when it got the ECHO answer, `Err(line)` otherwise.
fn run_model(pki: &CasePki, port: u16) -> Result<String, String> {
    let output = Command::new(model())
        .arg("127.0.0.1")
        .arg(port.to_string())
        .arg(&pki.anchor)
        .arg(&pki.p12)
        .env("FXPKCS11_MODEL_P12_PASS", P12_PASSWORD)
        .env("OPENSSL_CONF", "/dev/null")
        .output()
        .expect("the model runs");
    let line = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    if output.status.success() && line.starts_with("CONNECTED") {
        Ok(line)
    } else {
        Err(format!("{line} {}", String::from_utf8_lossy(&output.stderr)))
    }
}

fn run_fxconfig(cfg: &Path) -> Report {
    let options = DoctorOptions {
        config: Some(cfg.to_owned()),
        timeout: Duration::from_secs(10),
        ..DoctorOptions::default()
    };
    doctor::run(&options, &AtomicBool::new(false), &mut |_| {})
}

fn result_line(report: &Report, id: CheckId) -> String {
    report
        .get(id)
        .map(|r| format!("{id} {:?}: {} | {}", r.status, r.detail, r.remedy))
        .unwrap_or_default()
}

/// Runs one case through the model and the doctor and compares them.
fn check_case(case: Case) {
    let pki = CasePki::new(&case);
    let terminator = Terminator::start(&pki, case.tls);
    let cfg = pki.write_cfg(terminator.port);
    let model = run_model(&pki, terminator.port);
    assert_eq!(
        model.is_ok(),
        case.connects,
        "the model's verdict is not the one this case documents: {model:?}"
    );
    let report = run_fxconfig(&cfg);
    let all: Vec<String> = CheckId::ALL
        .iter()
        .filter(|id| report.get(**id).is_some())
        .map(|id| result_line(&report, *id))
        .collect();
    let failed = !report.ok;
    assert_eq!(
        !failed,
        case.connects,
        "fxconfig's verdict differs from the model's ({model:?}):\n{}",
        all.join("\n")
    );
    let echo = report.get(CheckId::HostapiEcho).map(|r| r.status);
    if case.connects {
        assert!(
            matches!(echo, Some(Status::Pass)),
            "the model reached the ECHO, fxconfig did not:\n{}",
            all.join("\n")
        );
        let answer = model.unwrap_or_default();
        assert!(answer.contains("[AOECHO;ANY;"), "{answer}");
    }
    if let Some((id, status, fragment)) = case.finding {
        let line = result_line(&report, id);
        assert!(
            report.get(id).is_some_and(|r| r.status == status) && line.contains(fragment),
            "expected {id} {status:?} naming {fragment:?}, got:\n{}",
            all.join("\n")
        );
    }
}

#[test]
fn a_modern_kmes_passes_with_both() {
    check_case(Case {
        finding: Some((CheckId::TlsHandshake, Status::Pass, "the modern client (rustls)")),
        ..guide_setup()
    });
}

#[test]
fn the_guides_cn_only_certificate_works_with_a_warning_naming_the_address() {
    check_case(Case {
        server: ServerCert {
            names_address: false,
            ..GOOD_CERT
        },
        finding: Some((CheckId::TlsServerCert, Status::Warn, "does not name 127.0.0.1")),
        ..guide_setup()
    });
}

#[test]
fn a_tls12_kmes_with_cbc_suites_only_works_with_a_warning_naming_the_suite() {
    check_case(Case {
        tls: ("TLSv1.2", "TLSv1.2", "ECDHE-RSA-AES256-SHA384:ECDHE-RSA-AES128-SHA", 1),
        finding: Some((
            CheckId::TlsHandshake,
            Status::Warn,
            "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384: a CBC suite",
        )),
        ..guide_setup()
    });
}

#[test]
fn rsa_key_exchange_works_with_a_warning() {
    check_case(Case {
        tls: ("TLSv1.2", "TLSv1.2", "AES256-GCM-SHA384", 1),
        finding: Some((CheckId::TlsHandshake, Status::Warn, "RSA key exchange")),
        ..guide_setup()
    });
}

#[test]
fn dhe_suites_that_rustls_lacks_work_with_a_warning_naming_the_client() {
    check_case(Case {
        tls: ("TLSv1.2", "TLSv1.2", "DHE-RSA-AES256-GCM-SHA384", 1),
        finding: Some((CheckId::TlsHandshake, Status::Warn, "OpenSSL 1.x-compatible client")),
        ..guide_setup()
    });
}

#[test]
fn a_tls10_only_kmes_works_as_with_openssl_11_with_a_warning() {
    check_case(Case {
        tls: ("TLSv1", "TLSv1", "DEFAULT:@SECLEVEL=0", 0),
        finding: Some((CheckId::TlsHandshake, Status::Warn, "TLSv1, deprecated")),
        ..guide_setup()
    });
}

#[test]
fn a_sha1_signed_server_certificate_works_with_a_warning() {
    check_case(Case {
        server: ServerCert {
            digest: "-sha1",
            ..GOOD_CERT
        },
        tls: ("TLSv1.2", "TLSv1.3", "DEFAULT:@SECLEVEL=0", 0),
        finding: Some((CheckId::TlsHandshake, Status::Warn, "signed with SHA-1")),
        ..guide_setup()
    });
}

#[test]
fn an_rsa_1024_server_key_works_with_a_warning() {
    check_case(Case {
        server: ServerCert {
            key: "rsa:1024",
            ..GOOD_CERT
        },
        tls: ("TLSv1.2", "TLSv1.3", "DEFAULT:@SECLEVEL=0", 0),
        finding: Some((CheckId::TlsHandshake, Status::Warn, "1024-bit RSA key")),
        ..guide_setup()
    });
}

#[test]
fn an_issuing_ca_given_as_prod_tls_ca_fails_as_openssl_refuses_it() {
    check_case(Case {
        server: ServerCert {
            intermediate_as_anchor: true,
            ..GOOD_CERT
        },
        connects: false,
        finding: Some((CheckId::TlsServerCert, Status::Fail, "unable to get issuer certificate")),
        ..guide_setup()
    });
}

#[test]
fn a_server_certificate_from_another_ca_fails_with_both() {
    check_case(Case {
        server: ServerCert {
            other_ca: true,
            ..GOOD_CERT
        },
        connects: false,
        finding: Some((
            CheckId::TlsServerCert,
            Status::Fail,
            "not issued by the configured root CA",
        )),
        ..guide_setup()
    });
}

#[test]
fn a_p521_client_key_works_through_the_compatibility_client() {
    check_case(Case {
        client_key: "ec -pkeyopt ec_paramgen_curve:P-521",
        finding: Some((CheckId::TlsHandshake, Status::Warn, "OpenSSL 1.x-compatible client")),
        ..guide_setup()
    });
}

#[test]
fn a_der_root_ca_fails_as_the_librarys_openssl_loads_pem_only() {
    check_case(Case {
        ca_file: CaFile::Der,
        connects: false,
        finding: Some((CheckId::TlsCa, Status::Fail, "openssl x509 -inform DER")),
        ..guide_setup()
    });
}

#[test]
fn a_root_ca_after_a_byte_order_mark_fails_as_openssl_reads_no_certificate() {
    check_case(Case {
        ca_file: CaFile::ByteOrderMark,
        connects: false,
        finding: Some((CheckId::TlsCa, Status::Fail, "byte-order mark")),
        ..guide_setup()
    });
}

#[test]
fn an_indented_root_ca_fails_as_openssl_reads_no_certificate() {
    check_case(Case {
        ca_file: CaFile::Indented,
        connects: false,
        finding: Some((CheckId::TlsCa, Status::Fail, "indented")),
        ..guide_setup()
    });
}

#[test]
fn a_pkcs12_file_without_a_mac_fails_as_pkcs12_parse_refuses_it() {
    check_case(Case {
        p12_options: &["-nomac"],
        connects: false,
        finding: Some((CheckId::TlsIdentity, Status::Fail, "no MAC")),
        ..guide_setup()
    });
}

#[test]
fn a_client_certificate_that_cannot_sign_fails_as_the_kmes_refuses_it() {
    check_case(Case {
        client_key_usage: "keyEncipherment",
        connects: false,
        finding: Some((CheckId::TlsIdentityChain, Status::Fail, "lacks digitalSignature")),
        ..guide_setup()
    });
}

#[test]
fn an_expired_root_ca_fails_as_openssl_checks_every_certificate_of_the_chain() {
    check_case(Case {
        server: ServerCert {
            expired: Some(ExpiredCa::Root),
            ..GOOD_CERT
        },
        connects: false,
        finding: Some((CheckId::TlsCa, Status::Fail, "not valid today")),
        ..guide_setup()
    });
}

#[test]
fn an_expired_issuing_ca_sent_by_the_server_fails_the_server_certificate() {
    check_case(Case {
        server: ServerCert {
            expired: Some(ExpiredCa::Intermediate),
            ..GOOD_CERT
        },
        connects: false,
        finding: Some((CheckId::TlsServerCert, Status::Fail, "expired")),
        ..guide_setup()
    });
}
