//! The doctor's report in the Prometheus text exposition format (version 0.0.4), for
//! node_exporter's textfile collector (`fxconfig check --format prometheus`).
//!
//! A check's status is one series per status (`pass`, `warn`, `fail`, `skip`), 1 for the
//! status it ended in and 0 for the others, rather than one number per check (such as 1
//! pass, 0.5 warn, 0 fail, -1 skip). The statuses have no order that arithmetic could
//! respect: a skipped check is not worse than a failed one, yet `-1` would sort below
//! `0`, so `min()` over a host's checks would call a host with a skipped check worse than
//! one with a failure. With one series per status, "a check fails" is the plain selector
//! `fxpkcs11_check_status{status="fail"} == 1`, `sum by (status)` counts checks per
//! status across a fleet, and every series is written on every run, so none goes stale
//! when a status changes.

use std::fmt::Write;

use super::{Report, Status};

/// The statuses in the order their series are written.
const STATUSES: [Status; 4] = [Status::Pass, Status::Warn, Status::Fail, Status::Skip];

/// A label value escaped as the format asks: backslash, double quote and line feed.
fn label(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

/// Writes one metric family's `# HELP` and `# TYPE gauge` lines.
fn family(out: &mut String, name: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} gauge");
}

/// The report as Prometheus text: the metrics below, all gauges. A figure the run could
/// not learn (a certificate that did not load, an ECHO that got no answer) is left out.
///
/// | metric | labels | value |
/// |---|---|---|
/// | `fxpkcs11_check_status` | `id`, `title`, `status` | 1 for the check's status, 0 for the three others |
/// | `fxpkcs11_check_duration_seconds` | `id` | the check's time (millisecond resolution) |
/// | `fxpkcs11_check_ok` | | 1 when no check failed, else 0 |
/// | `fxpkcs11_client_certificate_expiry_timestamp_seconds` | | the client certificate's notAfter |
/// | `fxpkcs11_ca_certificate_expiry_timestamp_seconds` | | the earliest notAfter in the CA file |
/// | `fxpkcs11_hostapi_echo_duration_seconds` | | the Excrypt ECHO round trip |
/// | `fxpkcs11_check_last_run_timestamp_seconds` | | when the run ended |
/// | `fxpkcs11_config_info` | `path`, `address`, `port` | 1 |
pub fn prometheus(report: &Report) -> String {
    let mut out = String::new();
    family(
        &mut out,
        "fxpkcs11_check_status",
        "Whether each fxconfig check ended in this status (1) or not (0); one series per status: pass, warn, fail, skip.",
    );
    for check in &report.checks {
        for status in STATUSES {
            let _ = writeln!(
                out,
                "fxpkcs11_check_status{{id=\"{}\",title=\"{}\",status=\"{}\"}} {}",
                label(check.id.as_str()),
                label(check.title),
                status.as_str(),
                u8::from(check.status == status)
            );
        }
    }
    family(
        &mut out,
        "fxpkcs11_check_duration_seconds",
        "How long each fxconfig check took, in seconds (millisecond resolution).",
    );
    for check in &report.checks {
        let _ = writeln!(
            out,
            "fxpkcs11_check_duration_seconds{{id=\"{}\"}} {}",
            label(check.id.as_str()),
            check.ms as f64 / 1000.0
        );
    }
    family(
        &mut out,
        "fxpkcs11_check_ok",
        "1 when no fxconfig check failed (warnings allowed), else 0.",
    );
    let _ = writeln!(out, "fxpkcs11_check_ok {}", u8::from(report.ok));
    let facts = &report.facts;
    if let Some(not_after) = facts.client_certificate_not_after {
        family(
            &mut out,
            "fxpkcs11_client_certificate_expiry_timestamp_seconds",
            "When the PKCS#12 client certificate (PROD-TLS-KEY) expires, in Unix seconds.",
        );
        let _ = writeln!(out, "fxpkcs11_client_certificate_expiry_timestamp_seconds {not_after}");
    }
    if let Some(not_after) = facts.ca_certificate_not_after {
        family(
            &mut out,
            "fxpkcs11_ca_certificate_expiry_timestamp_seconds",
            "When the first certificate of the root CA file (PROD-TLS-CA) expires, in Unix seconds.",
        );
        let _ = writeln!(out, "fxpkcs11_ca_certificate_expiry_timestamp_seconds {not_after}");
    }
    if let Some(seconds) = facts.echo_seconds {
        family(
            &mut out,
            "fxpkcs11_hostapi_echo_duration_seconds",
            "How long the Excrypt ECHO took, from sending the command to the whole answer, in seconds.",
        );
        let _ = writeln!(out, "fxpkcs11_hostapi_echo_duration_seconds {seconds}");
    }
    family(
        &mut out,
        "fxpkcs11_check_last_run_timestamp_seconds",
        "When fxconfig check last ran to its end, in Unix seconds.",
    );
    let _ = writeln!(out, "fxpkcs11_check_last_run_timestamp_seconds {}", facts.finished_at);
    family(
        &mut out,
        "fxpkcs11_config_info",
        "The fxpkcs11.cfg examined and the KMES endpoint it names (ADDRESS, PROD-PORT); always 1.",
    );
    let _ = writeln!(
        out,
        "fxpkcs11_config_info{{path=\"{}\",address=\"{}\",port=\"{}\"}} 1",
        label(&report.config),
        label(facts.address.as_deref().unwrap_or_default()),
        facts.port.map(|port| port.to_string()).unwrap_or_default()
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doctor::{CheckId, CheckResult, Facts};

    fn report(status_of_connect: Status, facts: Facts) -> Report {
        Report {
            network: Default::default(),
            config: "/etc/odd \"name\"\\\n.cfg".to_owned(),
            ok: status_of_connect != Status::Fail,
            checks: [CheckId::ConfigLocate, CheckId::NetConnect]
                .into_iter()
                .map(|id| CheckResult {
                    id,
                    title: id.title(),
                    status: if id == CheckId::NetConnect {
                        status_of_connect
                    } else {
                        Status::Pass
                    },
                    detail: String::new(),
                    remedy: String::new(),
                    guide: id.guide_section(),
                    raw: None,
                    ms: 1234,
                })
                .collect(),
            document: None,
            facts,
        }
    }

    #[test]
    fn one_series_per_status_and_labels_escaped() {
        let text = prometheus(&report(
            Status::Fail,
            Facts {
                address: Some("10.0.8.20".to_owned()),
                port: Some(2001),
                client_certificate_not_after: Some(1_800_000_000),
                ca_certificate_not_after: None,
                echo_seconds: None,
                finished_at: 1_700_000_000,
            },
        ));
        assert!(text.contains(
            "fxpkcs11_check_status{id=\"net.connect\",title=\"TCP connection to the Host API port\",status=\"fail\"} 1\n"
        ));
        assert!(text.contains("fxpkcs11_check_status{id=\"net.connect\",title=\"TCP connection to the Host API port\",status=\"pass\"} 0\n"));
        assert_eq!(text.matches("fxpkcs11_check_status{").count(), 8);
        assert!(text.contains("fxpkcs11_check_duration_seconds{id=\"config.locate\"} 1.234\n"));
        assert!(text.contains("fxpkcs11_check_ok 0\n"));
        assert!(text.contains("fxpkcs11_client_certificate_expiry_timestamp_seconds 1800000000\n"));
        assert!(!text.contains("fxpkcs11_ca_certificate_expiry_timestamp_seconds"));
        assert!(!text.contains("fxpkcs11_hostapi_echo_duration_seconds"));
        assert!(text.contains("fxpkcs11_check_last_run_timestamp_seconds 1700000000\n"));
        assert!(text.contains(
            "fxpkcs11_config_info{path=\"/etc/odd \\\"name\\\"\\\\\\n.cfg\",address=\"10.0.8.20\",port=\"2001\"} 1\n"
        ));
        // Every family is announced once, before its samples.
        assert_eq!(text.matches("# TYPE ").count(), 6);
    }
}
