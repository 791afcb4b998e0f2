//! Name resolution and the TCP connection, each bounded by a timeout.

use std::io;
use std::net::{IpAddr, SocketAddr, TcpStream, ToSocketAddrs};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use super::error::{ErrorKind, HostApiError, Stage};

/// The host without the brackets of an IPv6 literal such as `[::1]`, trimmed.
pub(crate) fn bare_host(host: &str) -> &str {
    let host = host.trim();
    host.strip_prefix('[').and_then(|h| h.strip_suffix(']')).unwrap_or(host)
}

/// Resolves `host` to socket addresses for `port`.
///
/// IP literals (IPv4, IPv6, with or without brackets) are returned without any
/// lookup. Names are resolved by the system resolver on a worker thread, so the
/// call returns after `timeout` even when the resolver hangs (the worker then
/// finishes in the background).
pub fn resolve(host: &str, port: u16, timeout: Duration) -> Result<Vec<SocketAddr>, HostApiError> {
    let name = bare_host(host);
    if name.is_empty() {
        return Err(HostApiError::new(Stage::Resolve, ErrorKind::DnsFailure).with_detail("no host name given"));
    }
    if let Ok(ip) = name.parse::<IpAddr>() {
        return Ok(vec![SocketAddr::new(ip, port)]);
    }
    let (sender, receiver) = mpsc::channel();
    let owned = name.to_owned();
    thread::Builder::new()
        .name("fxconfig-dns".into())
        .spawn(move || {
            let result = (owned.as_str(), port)
                .to_socket_addrs()
                .map(Iterator::collect::<Vec<_>>);
            // The receiver is gone when the caller already gave up; nothing to do then.
            let _ = sender.send(result);
        })
        .map_err(|e| HostApiError::new(Stage::Resolve, ErrorKind::DnsFailure).with_source(e))?;
    match receiver.recv_timeout(timeout) {
        Ok(Ok(addrs)) if !addrs.is_empty() => Ok(addrs),
        Ok(Ok(_)) => {
            Err(HostApiError::new(Stage::Resolve, ErrorKind::DnsFailure)
                .with_detail(format!("{name} has no addresses")))
        }
        Ok(Err(e)) => Err(HostApiError::new(Stage::Resolve, ErrorKind::DnsFailure)
            .with_detail(name)
            .with_source(e)),
        Err(mpsc::RecvTimeoutError::Timeout) => Err(HostApiError::new(Stage::Resolve, ErrorKind::DnsTimeout)
            .with_detail(format!("{name}: no answer within {} ms", timeout.as_millis()))),
        Err(mpsc::RecvTimeoutError::Disconnected) => {
            Err(HostApiError::new(Stage::Resolve, ErrorKind::DnsFailure).with_detail(name))
        }
    }
}

fn connect_error_kind(error: &io::Error) -> ErrorKind {
    match error.kind() {
        io::ErrorKind::ConnectionRefused => ErrorKind::ConnectionRefused,
        io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => ErrorKind::ConnectTimeout,
        io::ErrorKind::HostUnreachable | io::ErrorKind::NetworkUnreachable | io::ErrorKind::AddrNotAvailable => {
            ErrorKind::Unreachable
        }
        _ => ErrorKind::NetworkError,
    }
}

/// Connects to the first address that accepts, trying them in order within one
/// overall `timeout`. The returned stream has read and write timeouts of `timeout`
/// and Nagle's algorithm disabled.
///
/// When every address fails, the error is the one of the last address tried,
/// unless an earlier one was refused and a later one merely timed out: the
/// refusal says more.
pub fn connect(addrs: &[SocketAddr], timeout: Duration) -> Result<TcpStream, HostApiError> {
    let deadline = Instant::now() + timeout;
    let mut failure: Option<(SocketAddr, io::Error)> = None;
    for addr in addrs {
        let remaining = deadline.saturating_duration_since(Instant::now());
        if remaining.is_zero() {
            break;
        }
        match TcpStream::connect_timeout(addr, remaining) {
            Ok(stream) => {
                let configured = stream
                    .set_read_timeout(Some(timeout))
                    .and_then(|()| stream.set_write_timeout(Some(timeout)))
                    .and_then(|()| stream.set_nodelay(true));
                return match configured {
                    Ok(()) => Ok(stream),
                    Err(e) => Err(HostApiError::new(Stage::Connect, ErrorKind::NetworkError)
                        .with_detail(addr.to_string())
                        .with_source(e)),
                };
            }
            Err(e) => {
                let keep_earlier = matches!(&failure, Some((_, earlier)) if earlier.kind() == io::ErrorKind::ConnectionRefused)
                    && e.kind() != io::ErrorKind::ConnectionRefused;
                if !keep_earlier {
                    failure = Some((*addr, e));
                }
            }
        }
    }
    Err(match failure {
        Some((addr, e)) => HostApiError::new(Stage::Connect, connect_error_kind(&e))
            .with_detail(addr.to_string())
            .with_source(e),
        None if addrs.is_empty() => {
            HostApiError::new(Stage::Connect, ErrorKind::Unreachable).with_detail("no address to connect to")
        }
        None => HostApiError::new(Stage::Connect, ErrorKind::ConnectTimeout)
            .with_detail(format!("no connection within {} ms", timeout.as_millis())),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ip_literals_need_no_lookup() {
        let v4 = resolve("127.0.0.1", 2001, Duration::from_millis(1)).unwrap();
        assert_eq!(v4, vec!["127.0.0.1:2001".parse().unwrap()]);
        let v6 = resolve(" [::1] ", 9100, Duration::from_millis(1)).unwrap();
        assert_eq!(v6, vec!["[::1]:9100".parse().unwrap()]);
    }

    #[test]
    fn empty_host_is_a_resolve_failure() {
        let err = resolve("  ", 1, Duration::from_secs(1)).unwrap_err();
        assert_eq!((err.stage(), err.kind()), (Stage::Resolve, &ErrorKind::DnsFailure));
    }

    #[test]
    fn no_address_is_a_connect_failure() {
        let err = connect(&[], Duration::from_secs(1)).unwrap_err();
        assert_eq!(err.stage(), Stage::Connect);
    }
}
