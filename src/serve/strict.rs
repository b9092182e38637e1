//! HTTP/1.x request framing checked before hyper reads it. hyper resolves the framings
//! RFC 9112 clause 6.3 lets a server refuse: `Transfer-Encoding` beside `Content-Length`
//! (it follows the former) and repeated equal `Content-Length` fields (it keeps one). A
//! proxy in front may resolve them otherwise (request smuggling), so the service refuses
//! them: the connection's bytes pass through [`StrictHttp1`], which reads each request head
//! with eseal's own parser ([`crate::http`]) and tracks the body's framing to find the next
//! head. A refused head reaches hyper as a request for [`REFUSED_PATH`], answered with 400
//! and the connection closed; nothing after it is read.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use crate::http::{Framing, parse_request_head};

/// The path a refused request is replaced by; its `reason` query says why.
pub(crate) const REFUSED_PATH: &str = "/.well-known/eseal/refused";

/// The connection preface of HTTP/2 with prior knowledge (RFC 9113 clause 3.4).
const H2_PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/// The longest chunk-size or trailer line waited for.
const MAX_LINE: usize = 4096;

/// Where in the request stream the next byte is.
#[derive(Debug, PartialEq, Eq)]
enum Position {
    Head,
    Body(u64),
    ChunkSize,
    /// Chunk data and its CRLF.
    ChunkData(u64),
    Trailers,
    /// HTTP/2 with prior knowledge: all passes.
    Through,
    /// A request was refused: nothing more is read.
    Closed,
    /// A body's framing broke off: the connection ends with an error.
    Broken,
}

/// A connection whose request framing is checked as hyper reads it.
pub(crate) struct StrictHttp1<T> {
    inner: T,
    position: Position,
    /// Read from the connection, not yet checked.
    unread: Vec<u8>,
    /// Checked, not yet handed to hyper.
    ready: Vec<u8>,
    handed: usize,
    eof: bool,
}

impl<T> StrictHttp1<T> {
    pub fn new(inner: T) -> Self {
        StrictHttp1 {
            inner,
            position: Position::Head,
            unread: Vec::new(),
            ready: Vec::new(),
            handed: 0,
            eof: false,
        }
    }

    /// Moves `n` checked bytes from `unread` to `ready`.
    fn pass(&mut self, n: usize) {
        self.ready.extend(self.unread.drain(..n));
    }

    /// Checks as much of `unread` as can be.
    fn check(&mut self) {
        loop {
            let progressed = match self.position {
                Position::Head => self.check_head(),
                Position::Body(n) | Position::ChunkData(n) => {
                    let k = n.min(self.unread.len() as u64) as usize;
                    self.pass(k);
                    let left = n - k as u64;
                    self.position = match (&self.position, left) {
                        (Position::Body(_), 0) => Position::Head,
                        (Position::Body(_), _) => Position::Body(left),
                        (_, 0) => Position::ChunkSize,
                        _ => Position::ChunkData(left),
                    };
                    k > 0
                }
                Position::ChunkSize => self.check_chunk_size(),
                Position::Trailers => self.check_trailer_line(),
                Position::Through => {
                    let n = self.unread.len();
                    self.pass(n);
                    false
                }
                Position::Closed | Position::Broken => {
                    self.unread.clear();
                    false
                }
            };
            if !progressed || self.unread.is_empty() {
                return;
            }
        }
    }

    fn check_head(&mut self) -> bool {
        let prefix = self.unread.len().min(H2_PREFACE.len());
        if self.unread[..prefix] == H2_PREFACE[..prefix] && !self.unread.is_empty() {
            if prefix == H2_PREFACE.len() {
                self.position = Position::Through;
                return true;
            }
            return false;
        }
        match parse_request_head(&self.unread) {
            Ok(None) => false,
            // Not HTTP/1.x, or a head over MAX_HEAD.
            Err(reason) => {
                self.ready.extend(refused_request(&reason));
                self.position = Position::Closed;
                true
            }
            Ok(Some(head)) => match head.headers.framing() {
                Ok(framing) => {
                    self.pass(head.headers.len);
                    self.position = match framing {
                        Framing::Length(0) | Framing::UntilClose => Position::Head,
                        Framing::Length(n) => Position::Body(n as u64),
                        Framing::Chunked => Position::ChunkSize,
                    };
                    true
                }
                Err(reason) => {
                    self.ready.extend(refused_request(&reason));
                    self.position = Position::Closed;
                    true
                }
            },
        }
    }

    fn check_chunk_size(&mut self) -> bool {
        match httparse::parse_chunk_size(&self.unread) {
            Ok(httparse::Status::Complete((line, size))) => {
                self.pass(line);
                self.position = if size == 0 {
                    Position::Trailers
                } else {
                    Position::ChunkData(size.saturating_add(2))
                };
                true
            }
            Ok(httparse::Status::Partial) if self.unread.len() <= MAX_LINE => false,
            _ => {
                self.position = Position::Broken;
                true
            }
        }
    }

    fn check_trailer_line(&mut self) -> bool {
        match memchr::memmem::find(&self.unread, b"\r\n") {
            Some(0) => {
                self.pass(2);
                self.position = Position::Head;
                true
            }
            Some(end) => {
                self.pass(end + 2);
                true
            }
            None if self.unread.len() <= MAX_LINE => false,
            None => {
                self.position = Position::Broken;
                true
            }
        }
    }
}

/// The request hyper reads instead of a refused one.
fn refused_request(reason: &str) -> Vec<u8> {
    let encoded: String = reason
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect();
    format!(
        "GET {REFUSED_PATH}?reason={encoded} HTTP/1.1\r\nHost: refused\r\nConnection: close\r\n\r\n"
    )
    .into_bytes()
}

impl<T: AsyncRead + Unpin> AsyncRead for StrictHttp1<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        loop {
            if this.handed < this.ready.len() {
                let n = (this.ready.len() - this.handed).min(buf.remaining());
                buf.put_slice(&this.ready[this.handed..this.handed + n]);
                this.handed += n;
                if this.handed == this.ready.len() {
                    this.ready.clear();
                    this.handed = 0;
                }
                return Poll::Ready(Ok(()));
            }
            match this.position {
                // Not end of file: hyper would take that for a client gone and drop the
                // answer. It closes the connection once the refusal is written.
                Position::Closed => return Poll::Pending,
                Position::Broken => {
                    return Poll::Ready(Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        "a chunked body that does not parse",
                    )));
                }
                _ => {}
            }
            if this.eof {
                // Whatever is left unchecked (a head cut short): hyper says what is wrong.
                let n = this.unread.len();
                if n == 0 {
                    return Poll::Ready(Ok(()));
                }
                this.pass(n);
                continue;
            }
            let mut scratch = [0u8; 16 * 1024];
            let mut read = ReadBuf::new(&mut scratch);
            match Pin::new(&mut this.inner).poll_read(cx, &mut read) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Ready(Ok(())) if read.filled().is_empty() => this.eof = true,
                Poll::Ready(Ok(())) => {
                    this.unread.extend_from_slice(read.filled());
                    this.check();
                }
            }
        }
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for StrictHttp1<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, data)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

/// Feeds `data` (its first byte sets the size of the pieces) through the framing check as
/// a connection would and checks what hyper would read: the input unchanged, cut where a
/// refusal replaces the rest (the `serve_framing` fuzz target).
#[cfg(feature = "test-util")]
pub fn fuzz_framing(data: &[u8]) {
    let Some((&step, input)) = data.split_first() else {
        return;
    };
    let mut strict = StrictHttp1::new(());
    for piece in input.chunks(usize::from(step).max(1)) {
        strict.unread.extend_from_slice(piece);
        strict.check();
    }
    let seen = &strict.ready;
    if strict.position != Position::Closed {
        assert!(input.starts_with(seen), "only checked input reaches hyper");
        return;
    }
    let refusal = format!("GET {REFUSED_PATH}?reason=");
    let at = memchr::memmem::rfind(seen, refusal.as_bytes()).expect("a refusal");
    assert!(
        input.starts_with(&seen[..at]),
        "checked input, then the refusal"
    );
    assert!(seen.ends_with(b"Connection: close\r\n\r\n"));
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What hyper would read of `input`, fed in pieces of `step` bytes.
    fn seen(input: &[u8], step: usize) -> Vec<u8> {
        let mut strict = StrictHttp1::new(());
        for piece in input.chunks(step) {
            strict.unread.extend_from_slice(piece);
            strict.check();
        }
        strict.ready
    }

    #[test]
    fn unambiguous_requests_pass_unchanged_in_any_pieces() {
        let stream: &[u8] = b"POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello\
            POST /b HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n\
            5;ext=1\r\nhello\r\n0\r\nX-Trailer: 1\r\n\r\n\
            GET /c HTTP/1.1\r\nHost: x\r\n\r\n";
        for step in [1, 2, 7, 64, 4096] {
            assert_eq!(seen(stream, step), stream, "pieces of {step}");
        }
    }

    #[test]
    fn ambiguous_framing_becomes_the_refused_request() {
        for (head, reason) in [
            (
                &b"POST /v1/verify HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nContent-Length: 4\r\n\r\nabcd"[..],
                "more than one content-length field",
            ),
            (
                b"POST /v1/verify HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n",
                "both content-length and transfer-encoding",
            ),
            (
                b"POST /v1/verify HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
                "unsupported transfer-encoding \"gzip, chunked\"",
            ),
        ] {
            // A good request first: it passes; the bad one and all after it do not.
            let good = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
            let stream = [&good[..], head, b"GET /smuggled HTTP/1.1\r\n\r\n"].concat();
            let expected = [&good[..], &refused_request(reason)].concat();
            assert_eq!(seen(&stream, 3), expected);
        }
    }

    #[test]
    fn http2_passes_and_garbage_is_refused() {
        let h2 = [H2_PREFACE, b"\x00\x00\x00\x04\x00\x00\x00\x00\x00"].concat();
        assert_eq!(seen(&h2, 5), h2);
        let garbage = b"\x16\x03\x01\x02\x00 not http\r\n\r\n";
        let refused = seen(garbage, 4);
        assert!(refused.starts_with(b"GET /.well-known/eseal/refused?reason=not%20an%20HTTP"));
        let huge = [&b"GET / HTTP/1.1\r\nX: "[..], &[b'a'; 20_000]].concat();
        let refused = seen(&huge, 1000);
        assert!(refused.starts_with(b"GET /.well-known/eseal/refused?reason=the%20header"));
    }
}
