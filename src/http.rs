//! The HTTP/1.1 that eseal speaks to signing services, on `std::net`: a client for one
//! `POST` of a DER object (RFC 3161 timestamps, RFC 6960 OCSP) and the message parsing the
//! timestamp server shares.
//!
//! Heads and chunk-size lines are parsed by `httparse` (the parser of hyper); framing,
//! limits, deadlines and connections are here. `tiny_http` (the light server crate)
//! neither bounds a connection's time nor the number of connection threads, so a client
//! that sends nothing holds a thread for ever; `ureq` 3 without TLS still brings eight
//! crates for one `POST`. The subset needed is small: one request per connection
//! (`Connection: close`), bodies framed by one `Content-Length` or by chunked coding alone
//! (anything ambiguous is an error, RFC 9112 clause 6.3), fixed size limits and one
//! deadline per exchange. Only `http://` URLs are supported: what travels is signed
//! (RFC 3161 clause 4, RFC 6960 clause 4.2), so its integrity does not depend on the
//! transport.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

use crate::error::{Error, Result};

/// The largest header section read.
pub(crate) const MAX_HEAD: usize = 16 * 1024;

/// The most header (or trailer) fields in one section.
const MAX_HEADERS: usize = 100;

/// The largest chunk of a chunked body.
const MAX_BODY: usize = 64 << 20;

/// The header fields of a request or response head.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Headers {
    /// Names lower-cased, values trimmed, in the order received.
    pub fields: Vec<(String, String)>,
    /// The head's length including the blank line.
    pub len: usize,
}

impl Headers {
    fn new(fields: &[httparse::Header<'_>], len: usize) -> std::result::Result<Self, String> {
        if len > MAX_HEAD {
            return Err("the header section is too large".into());
        }
        let fields = fields
            .iter()
            .map(|h| {
                let value = String::from_utf8_lossy(h.value).trim().to_string();
                (h.name.to_ascii_lowercase(), value)
            })
            .collect();
        Ok(Headers { fields, len })
    }

    fn all<'a>(&'a self, name: &str) -> impl Iterator<Item = &'a str> {
        self.fields
            .iter()
            .filter(move |(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// How the body is delimited (RFC 9112 clause 6.3): a `Transfer-Encoding` of
    /// `chunked` alone, or one `Content-Length` of decimal digits. Both together, two
    /// `Content-Length` fields or two `Transfer-Encoding` fields are refused, as clause
    /// 6.3 allows, rather than guessed at (request smuggling).
    pub fn framing(&self) -> std::result::Result<Framing, String> {
        let lengths: Vec<&str> = self.all("content-length").collect();
        let codings: Vec<&str> = self.all("transfer-encoding").collect();
        match (&lengths[..], &codings[..]) {
            ([], []) => Ok(Framing::UntilClose),
            ([], [te]) if te.eq_ignore_ascii_case("chunked") => Ok(Framing::Chunked),
            ([], [te]) => Err(format!("unsupported transfer-encoding {te:?}")),
            ([n], []) if !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) => n
                .parse()
                .map(Framing::Length)
                .map_err(|_| format!("content-length {n:?} is too large")),
            ([n], []) => Err(format!("bad content-length {n:?}")),
            ([], _) => Err("more than one transfer-encoding field".into()),
            (_, []) => Err("more than one content-length field".into()),
            _ => Err("both content-length and transfer-encoding".into()),
        }
    }
}

/// A request head (RFC 9112 clause 3).
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct RequestHead {
    /// The method, e.g. `POST`.
    pub method: String,
    /// The header fields.
    pub headers: Headers,
}

/// A response head (RFC 9112 clause 4).
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct ResponseHead {
    /// The status code.
    pub status: u16,
    /// The reason phrase.
    pub reason: String,
    /// The header fields.
    pub headers: Headers,
}

/// `None` while the head is incomplete and within [`MAX_HEAD`].
fn partial<T>(buf: &[u8]) -> std::result::Result<Option<T>, String> {
    if buf.len() > MAX_HEAD {
        Err("the header section is too large".into())
    } else {
        Ok(None)
    }
}

/// The HTTP/1.x request head at the start of `buf`, `None` while incomplete.
pub(crate) fn parse_request_head(buf: &[u8]) -> std::result::Result<Option<RequestHead>, String> {
    let mut fields = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut request = httparse::Request::new(&mut fields);
    match request.parse(buf) {
        Ok(httparse::Status::Complete(len)) => Ok(Some(RequestHead {
            method: request.method.unwrap_or_default().to_string(),
            headers: Headers::new(request.headers, len)?,
        })),
        Ok(httparse::Status::Partial) => partial(buf),
        Err(e) => Err(format!("not an HTTP/1.x request: {e}")),
    }
}

/// The HTTP/1.x response head at the start of `buf`, `None` while incomplete.
pub(crate) fn parse_response_head(buf: &[u8]) -> std::result::Result<Option<ResponseHead>, String> {
    let mut fields = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut response = httparse::Response::new(&mut fields);
    match response.parse(buf) {
        Ok(httparse::Status::Complete(len)) => Ok(Some(ResponseHead {
            status: response.code.unwrap_or_default(),
            reason: response.reason.unwrap_or_default().to_string(),
            headers: Headers::new(response.headers, len)?,
        })),
        Ok(httparse::Status::Partial) => partial(buf),
        Err(e) => Err(format!("not an HTTP/1.x response: {e}")),
    }
}

/// How a body is delimited.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Framing {
    Length(usize),
    Chunked,
    UntilClose,
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

/// Decodes a complete chunked body (RFC 9112 clause 7.1), `None` while incomplete:
/// chunk-size lines (extensions ignored) by `httparse`, each chunk ending in CRLF, then the
/// trailer section, whose fields are read and dropped.
pub(crate) fn dechunk(mut data: &[u8]) -> std::result::Result<Option<Vec<u8>>, String> {
    let mut body = Vec::new();
    loop {
        let (line, size) = match httparse::parse_chunk_size(data) {
            Ok(httparse::Status::Complete(found)) => found,
            Ok(httparse::Status::Partial) => return Ok(None),
            Err(httparse::InvalidChunkSize) => return Err("bad chunk-size line".into()),
        };
        data = &data[line..];
        if size == 0 {
            let mut fields = [httparse::EMPTY_HEADER; MAX_HEADERS];
            return match httparse::parse_headers(data, &mut fields) {
                Ok(httparse::Status::Complete(_)) => Ok(Some(body)),
                Ok(httparse::Status::Partial) => Ok(None),
                Err(e) => Err(format!("bad trailer section: {e}")),
            };
        }
        let size = match usize::try_from(size) {
            Ok(size) if size <= MAX_BODY => size,
            _ => return Err("a chunk is too large".into()),
        };
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

/// Runs the request and response head parsers, the framing rules and the chunked decoder
/// over `data` as the server and the client would (the `http` fuzz target).
#[doc(hidden)]
pub fn fuzz_parsers(data: &[u8]) {
    if let Ok(Some(head)) = parse_request_head(data)
        && let Ok(framing) = head.headers.framing()
    {
        for eof in [false, true] {
            let _ = parse_body(framing, &data[head.headers.len..], eof);
        }
    }
    if let Ok(Some(head)) = parse_response_head(data)
        && let Ok(framing) = head.headers.framing()
    {
        let _ = parse_body(framing, &data[head.headers.len..], true);
    }
    let _ = dechunk(data);
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
            let Some(head) = parse_response_head(buf)? else {
                return if eof {
                    Err("the connection closed before the response head".into())
                } else {
                    Ok(None)
                };
            };
            let rest = &buf[head.headers.len..];
            if (100..200).contains(&head.status) {
                // An interim response (100 Continue): the final one follows.
                buf = rest;
                continue;
            }
            return Ok(parse_body(head.headers.framing()?, rest, eof)?
                .map(|body| (head.status, head.reason, body)));
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
        let head = parse_response_head(msg).unwrap().unwrap();
        assert_eq!((head.status, head.reason.as_str()), (200, "OK"));
        assert_eq!(head.headers.framing(), Ok(Framing::Length(3)));
        assert_eq!(
            parse_body(Framing::Length(3), &msg[head.headers.len..], false),
            Ok(Some(b"abc".to_vec()))
        );
        assert_eq!(parse_response_head(b"HTTP/1.1 200 OK\r\n"), Ok(None));
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

    #[test]
    fn request_heads_and_ambiguous_framing() {
        let msg = b"POST /tsa HTTP/1.1\r\nHost: x\r\nContent-Type: a/b\r\n\r\nbody";
        let head = parse_request_head(msg).unwrap().unwrap();
        assert_eq!(head.method, "POST");
        assert_eq!(head.headers.all("content-type").next(), Some("a/b"));
        assert_eq!(head.headers.len, msg.len() - 4);
        assert_eq!(head.headers.framing(), Ok(Framing::UntilClose));
        assert_eq!(parse_request_head(b"POST / HTTP/1.1\r\nHost"), Ok(None));
        assert!(parse_request_head(b"POST / HTTP/2.0\r\n\r\n").is_err());
        assert!(parse_request_head(&[b'a'; MAX_HEAD + 1]).is_err());
        let framing = |fields: &str| {
            let msg = format!("POST / HTTP/1.1\r\n{fields}\r\n");
            parse_request_head(msg.as_bytes())
                .unwrap()
                .unwrap()
                .headers
                .framing()
        };
        assert_eq!(framing("Content-Length: 12\r\n"), Ok(Framing::Length(12)));
        assert_eq!(
            framing("Transfer-Encoding: Chunked\r\n"),
            Ok(Framing::Chunked)
        );
        for ambiguous in [
            "Content-Length: 3\r\nContent-Length: 3\r\n",
            "Content-Length: 3\r\nTransfer-Encoding: chunked\r\n",
            "Transfer-Encoding: chunked\r\nContent-Length: 3\r\n",
            "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n",
            "Transfer-Encoding: gzip, chunked\r\n",
            "Content-Length: +3\r\n",
            "Content-Length: 3, 3\r\n",
            "Content-Length: 99999999999999999999999\r\n",
        ] {
            assert!(framing(ambiguous).is_err(), "{ambiguous:?}");
        }
    }

    #[test]
    fn chunk_sizes_out_of_range() {
        assert_eq!(
            dechunk(b"4000001\r\n"),
            Err("a chunk is too large".to_string())
        );
        assert!(dechunk(b"fffffffffffffffffff\r\n").is_err());
        assert!(dechunk(b"0\r\nbad trailer\r\n\r\n").is_err());
        assert_eq!(dechunk(b"0\r\n\r\n"), Ok(Some(Vec::new())));
    }
}
