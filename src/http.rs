//! The HTTP/1.1 that eseal speaks to signing services, on `std::net`: a client for one
//! `POST` of a DER object (RFC 3161 timestamps, RFC 6960 OCSP) and the message parsing the
//! timestamp server shares.
//!
//! Written here on purpose. `tiny_http` (the light server crate) neither bounds a
//! connection's time nor the number of connection threads, so a client that sends nothing
//! holds a thread for ever; `ureq` 3 without TLS still brings eight crates (`http`,
//! `bytes`, `ureq-proto`, `httparse`, a second `base64`, ...) for one `POST`. The subset
//! needed is small: one request per connection (`Connection: close`), bodies framed by
//! `Content-Length` or chunked, fixed size limits and one deadline per exchange. Only
//! `http://` URLs are supported: what travels is signed (RFC 3161 clause 4, RFC 6960
//! clause 4.2), so its integrity does not depend on the transport.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

use crate::error::{Error, Result};

/// The largest header section read.
pub(crate) const MAX_HEAD: usize = 16 * 1024;

/// The largest chunk of a chunked body.
const MAX_BODY: usize = 64 << 20;

/// A request or response head.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Head {
    /// The request line or status line.
    pub start: String,
    /// Header names lower-cased, values trimmed.
    pub headers: Vec<(String, String)>,
    /// The head's length including the blank line.
    pub len: usize,
}

impl Head {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// How the body is delimited (RFC 9112 clause 6.3).
    pub fn framing(&self) -> std::result::Result<Framing, String> {
        if let Some(te) = self.header("transfer-encoding") {
            return if te.eq_ignore_ascii_case("chunked") {
                Ok(Framing::Chunked)
            } else {
                Err(format!("unsupported transfer-encoding {te:?}"))
            };
        }
        match self.header("content-length") {
            Some(n) => n
                .parse()
                .map(Framing::Length)
                .map_err(|_| format!("bad content-length {n:?}")),
            None => Ok(Framing::UntilClose),
        }
    }
}

/// How a body is delimited.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Framing {
    Length(usize),
    Chunked,
    UntilClose,
}

/// The head at the start of `buf`, `None` while incomplete.
pub(crate) fn parse_head(buf: &[u8]) -> std::result::Result<Option<Head>, String> {
    let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") else {
        return if buf.len() > MAX_HEAD {
            Err("the header section is too large".into())
        } else {
            Ok(None)
        };
    };
    if end > MAX_HEAD {
        return Err("the header section is too large".into());
    }
    let text = String::from_utf8_lossy(&buf[..end]);
    let mut lines = text.split("\r\n");
    let start = lines.next().unwrap_or_default().to_string();
    let mut headers = Vec::new();
    for line in lines {
        let (name, value) = line
            .split_once(':')
            .ok_or_else(|| format!("bad header line {line:?}"))?;
        headers.push((name.trim().to_ascii_lowercase(), value.trim().to_string()));
    }
    Ok(Some(Head {
        start,
        headers,
        len: end + 4,
    }))
}

/// The body in `data` (what follows the head), `None` while incomplete; `eof` says the
/// peer closed the connection.
pub(crate) fn parse_body(
    framing: Framing,
    data: &[u8],
    eof: bool,
) -> std::result::Result<Option<Vec<u8>>, String> {
    match framing {
        Framing::Length(n) if data.len() >= n => Ok(Some(data[..n].to_vec())),
        Framing::Length(n) if eof => Err(format!(
            "the connection closed after {} of {n} body bytes",
            data.len()
        )),
        Framing::Length(_) => Ok(None),
        Framing::UntilClose if eof => Ok(Some(data.to_vec())),
        Framing::UntilClose => Ok(None),
        Framing::Chunked => match dechunk(data)? {
            Some(body) => Ok(Some(body)),
            None if eof => Err("the connection closed inside a chunked body".into()),
            None => Ok(None),
        },
    }
}

/// Decodes a complete chunked body (RFC 9112 clause 7.1), `None` while incomplete.
fn dechunk(mut data: &[u8]) -> std::result::Result<Option<Vec<u8>>, String> {
    let mut body = Vec::new();
    loop {
        let Some(eol) = data.windows(2).position(|w| w == b"\r\n") else {
            return Ok(None);
        };
        let line = String::from_utf8_lossy(&data[..eol]);
        let size = line.split(';').next().unwrap_or_default().trim();
        let size =
            usize::from_str_radix(size, 16).map_err(|_| format!("bad chunk size {size:?}"))?;
        data = &data[eol + 2..];
        if size == 0 {
            // Trailer fields, then an empty line.
            loop {
                let Some(eol) = data.windows(2).position(|w| w == b"\r\n") else {
                    return Ok(None);
                };
                if eol == 0 {
                    return Ok(Some(body));
                }
                data = &data[eol + 2..];
            }
        }
        if size > MAX_BODY {
            return Err("a chunk is too large".into());
        }
        if data.len() < size + 2 {
            return Ok(None);
        }
        if &data[size..size + 2] != b"\r\n" {
            return Err("a chunk does not end with CRLF".into());
        }
        body.extend_from_slice(&data[..size]);
        data = &data[size + 2..];
    }
}

/// The time left before `deadline`, or a timeout error.
pub(crate) fn remaining(deadline: Instant) -> std::io::Result<Duration> {
    deadline
        .checked_duration_since(Instant::now())
        .filter(|d| !d.is_zero())
        .ok_or_else(|| std::io::Error::from(std::io::ErrorKind::TimedOut))
}

/// Reads from `stream` until `done` finds a complete message in what was read or the
/// deadline passes; `limit` bounds what is read.
pub(crate) fn read_message<T>(
    stream: &mut TcpStream,
    deadline: Instant,
    limit: usize,
    mut done: impl FnMut(&[u8], bool) -> std::result::Result<Option<T>, String>,
) -> std::io::Result<T> {
    let invalid = |d: String| std::io::Error::new(std::io::ErrorKind::InvalidData, d);
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        stream.set_read_timeout(Some(remaining(deadline)?))?;
        let n = match stream.read(&mut chunk) {
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock) => {
                return Err(std::io::ErrorKind::TimedOut.into());
            }
            Err(e) => return Err(e),
        };
        buf.extend_from_slice(&chunk[..n]);
        if buf.len() > limit {
            return Err(invalid(format!("more than {limit} bytes")));
        }
        match done(&buf, n == 0).map_err(invalid)? {
            Some(message) => return Ok(message),
            None if n == 0 => return Err(invalid("the connection closed early".into())),
            None => {}
        }
    }
}

/// An `http://` URL split for a request.
#[derive(Debug, PartialEq, Eq)]
struct HttpUrl {
    host: String,
    port: u16,
    path: String,
}

fn parse_url(url: &str) -> Result<HttpUrl> {
    let invalid = |d: &str| Error::Invalid(format!("URL {url:?}: {d}"));
    let lower = url.to_ascii_lowercase();
    if lower.starts_with("https://") {
        return Err(invalid(
            "https is not supported; use http:// (what travels here is signed)",
        ));
    }
    if !lower.starts_with("http://") {
        return Err(invalid("not an http:// URL"));
    }
    let rest = &url["http://".len()..];
    let (authority, path) = match rest.find(['/', '?', '#']) {
        Some(i) if rest.as_bytes()[i] == b'/' => (&rest[..i], &rest[i..]),
        Some(i) => (&rest[..i], "/"),
        None => (rest, "/"),
    };
    let path = path.split('#').next().unwrap_or("/");
    if authority.contains('@') {
        return Err(invalid("user information in the URL is not supported"));
    }
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        let (host, after) = v6.split_once(']').ok_or_else(|| invalid("unclosed ["))?;
        match after.strip_prefix(':') {
            Some(port) => (host, Some(port)),
            None if after.is_empty() => (host, None),
            None => return Err(invalid("bad authority")),
        }
    } else {
        match authority.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        }
    };
    if host.is_empty() || host.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(invalid("no host"));
    }
    let port = match port {
        Some(p) => p.parse().map_err(|_| invalid("bad port"))?,
        None => 80,
    };
    if path.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(invalid("white space in the path"));
    }
    Ok(HttpUrl {
        host: host.to_string(),
        port,
        path: path.to_string(),
    })
}

/// One `POST` of a DER object to a signing service.
pub(crate) struct Post<'a> {
    /// The service's `http://` URL.
    pub url: &'a str,
    /// `Content-Type` of `body`.
    pub content_type: &'a str,
    /// The `Accept`ed reply type.
    pub accept: &'a str,
    /// The request body.
    pub body: &'a [u8],
    /// The deadline of the whole exchange, from now.
    pub timeout: Duration,
    /// The largest reply read, head included.
    pub max_reply: usize,
    /// The service as errors name it, e.g. "the TSA".
    pub peer: &'a str,
}

/// Sends `request` and returns the reply body of a `200` answer. Name resolution,
/// connection, sending and reading share one deadline; a peer that is down, refuses, answers
/// with another status or does not answer in time is an [`Error::Io`] naming the URL.
pub(crate) fn post(request: &Post<'_>) -> Result<Vec<u8>> {
    let Post {
        url,
        content_type,
        accept,
        body,
        timeout,
        max_reply,
        peer,
    } = *request;
    let started = Instant::now();
    let deadline = started + timeout;
    let target = parse_url(url)?;
    let io = |e: std::io::Error, doing: &str| {
        let e = if matches!(
            e.kind(),
            std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock
        ) {
            std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                format!(
                    "{peer} did not answer within {:.1} s ({doing})",
                    timeout.as_secs_f64()
                ),
            )
        } else {
            std::io::Error::new(e.kind(), format!("{doing}: {e}"))
        };
        Error::io(url, e)
    };
    let addrs = resolve(&target, deadline).map_err(|e| io(e, "resolving the host"))?;
    let mut stream = connect(&addrs, deadline).map_err(|e| io(e, "connecting"))?;
    let host = if target.host.contains(':') {
        format!("[{}]", target.host)
    } else {
        target.host.clone()
    };
    let host = if target.port == 80 {
        host
    } else {
        format!("{host}:{}", target.port)
    };
    let head = format!(
        "POST {} HTTP/1.1\r\nHost: {host}\r\nContent-Type: {content_type}\r\n\
         Accept: {accept}\r\nContent-Length: {}\r\nConnection: close\r\n\
         User-Agent: eseal/{}\r\n\r\n",
        target.path,
        body.len(),
        env!("CARGO_PKG_VERSION")
    );
    let mut message = head.into_bytes();
    message.extend_from_slice(body);
    remaining(deadline)
        .and_then(|left| stream.set_write_timeout(Some(left)))
        .and_then(|()| stream.write_all(&message))
        .and_then(|()| stream.flush())
        .map_err(|e| io(e, "sending the request"))?;
    let (status, reason, reply) = read_message(&mut stream, deadline, max_reply, |buf, eof| {
        let mut buf = buf;
        loop {
            let Some(head) = parse_head(buf)? else {
                return if eof {
                    Err("the connection closed before the response head".into())
                } else {
                    Ok(None)
                };
            };
            let mut words = head.start.splitn(3, ' ');
            let version = words.next().unwrap_or_default();
            let status: u16 = words
                .next()
                .and_then(|s| s.parse().ok())
                .filter(|_| version.starts_with("HTTP/1."))
                .ok_or_else(|| format!("not an HTTP/1.x response: {:?}", head.start))?;
            let reason = words.next().unwrap_or_default().to_string();
            if (100..200).contains(&status) {
                // An interim response (100 Continue): the final one follows.
                buf = &buf[head.len..];
                continue;
            }
            return Ok(parse_body(head.framing()?, &buf[head.len..], eof)?
                .map(|body| (status, reason, body)));
        }
    })
    .map_err(|e| io(e, "reading the response"))?;
    if status != 200 {
        let text: String = String::from_utf8_lossy(&reply)
            .chars()
            .filter(|c| !c.is_control())
            .take(200)
            .collect();
        return Err(Error::io(
            url,
            std::io::Error::other(format!("{peer} answered HTTP {status} {reason}: {text}")),
        ));
    }
    Ok(reply)
}

/// Resolves the host within the deadline: the system resolver may block, so it runs in a
/// thread of its own that is abandoned when time is up.
fn resolve(target: &HttpUrl, deadline: Instant) -> std::io::Result<Vec<SocketAddr>> {
    if let Ok(ip) = target.host.parse::<std::net::IpAddr>() {
        return Ok(vec![SocketAddr::new(ip, target.port)]);
    }
    let (tx, rx) = std::sync::mpsc::channel();
    let name = (target.host.clone(), target.port);
    std::thread::Builder::new()
        .name("eseal-http-resolve".into())
        .spawn(move || {
            let _ = tx.send(name.to_socket_addrs().map(Iterator::collect::<Vec<_>>));
        })?;
    match rx.recv_timeout(remaining(deadline)?) {
        Ok(Ok(addrs)) if !addrs.is_empty() => Ok(addrs),
        Ok(Ok(_)) => Err(std::io::Error::new(
            std::io::ErrorKind::NotFound,
            "the host has no address",
        )),
        Ok(Err(e)) => Err(e),
        Err(_) => Err(std::io::ErrorKind::TimedOut.into()),
    }
}

/// Connects to the first address that answers within the deadline.
fn connect(addrs: &[SocketAddr], deadline: Instant) -> std::io::Result<TcpStream> {
    let mut last = std::io::Error::from(std::io::ErrorKind::TimedOut);
    for addr in addrs {
        match TcpStream::connect_timeout(addr, remaining(deadline)?) {
            Ok(stream) => {
                let _ = stream.set_nodelay(true);
                return Ok(stream);
            }
            Err(e) => last = e,
        }
    }
    Err(last)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        let url = parse_url("http://127.0.0.1:8091/").unwrap();
        assert_eq!(
            url,
            HttpUrl {
                host: "127.0.0.1".into(),
                port: 8091,
                path: "/".into()
            }
        );
        let url = parse_url("HTTP://tsa.example/ts?x=1#frag").unwrap();
        assert_eq!((url.host.as_str(), url.port), ("tsa.example", 80));
        assert_eq!(url.path, "/ts?x=1");
        let url = parse_url("http://[::1]:9/a").unwrap();
        assert_eq!(
            (url.host.as_str(), url.port, url.path.as_str()),
            ("::1", 9, "/a")
        );
        for bad in [
            "https://tsa.example/",
            "ftp://x/",
            "http://",
            "http://u:p@host/",
            "http://host:99999/",
            "http://[::1/",
            "http://host/a b",
        ] {
            assert!(parse_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn heads_and_bodies() {
        let msg = b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nX: y\r\n\r\nabcdef";
        let head = parse_head(msg).unwrap().unwrap();
        assert_eq!(head.start, "HTTP/1.1 200 OK");
        assert_eq!(head.framing(), Ok(Framing::Length(3)));
        assert_eq!(
            parse_body(Framing::Length(3), &msg[head.len..], false),
            Ok(Some(b"abc".to_vec()))
        );
        assert_eq!(parse_head(b"HTTP/1.1 200 OK\r\n"), Ok(None));
        assert_eq!(parse_body(Framing::Length(9), b"abc", false), Ok(None));
        assert!(parse_body(Framing::Length(9), b"abc", true).is_err());
        let chunked = b"3;ext=1\r\nabc\r\n2\r\nde\r\n0\r\nT: v\r\n\r\n";
        assert_eq!(dechunk(chunked), Ok(Some(b"abcde".to_vec())));
        for end in 0..chunked.len() {
            assert_eq!(dechunk(&chunked[..end]), Ok(None), "{end}");
        }
        assert!(dechunk(b"zz\r\n").is_err());
        assert!(dechunk(b"3\r\nabcX\r\n").is_err());
        assert_eq!(
            parse_body(Framing::UntilClose, b"xyz", true),
            Ok(Some(b"xyz".to_vec()))
        );
    }
}
