//! The HTTP transport of RFC 3161 clause 3.4: `POST` of an
//! `application/timestamp-query`, answered by an `application/timestamp-reply`
//! ([`request_timestamp`], [`HttpTsa`]), and the [`Timestamper`] trait the signers take.
//!
//! With the `tsa-server` feature, also a timestamping authority (`Authority`), which
//! `eseal serve` (feature `serve`) answers for over HTTP.
//!
//! The HTTP is [`crate::http`]'s.

use std::time::Duration;

use super::digest::DigestAlgorithm;
use super::timestamp::{TimestampRequest, TimestampToken, token_from_response};
use crate::error::Result;
use crate::http;

#[cfg(feature = "tsa-server")]
mod server;
#[cfg(feature = "tsa-server")]
pub use server::{Authority, MAX_REQUEST_BODY};

/// The MIME type of a DER `TimeStampReq` (RFC 3161 clause 3.4).
pub const CONTENT_TYPE_QUERY: &str = "application/timestamp-query";
/// The MIME type of a DER `TimeStampResp` (RFC 3161 clause 3.4).
pub const CONTENT_TYPE_REPLY: &str = "application/timestamp-reply";

/// The largest response the client reads.
const MAX_RESPONSE: usize = super::timestamp::MAX_TIMESTAMP_SIZE + http::MAX_HEAD;
// ---------------------------------------------------------------------------------------
// Client
// ---------------------------------------------------------------------------------------

/// A source of RFC 3161 timestamp tokens: a TSA over HTTP ([`HttpTsa`]), an in-process
/// `Authority` (feature `tsa-server`), or any closure `Fn(DigestAlgorithm, &[u8]) -> Result<Vec<u8>>`.
pub trait Timestamper: Sync {
    /// A DER `TimeStampToken` (RFC 3161 clause 2.4.2) whose message imprint is `digest`,
    /// made with `algorithm`.
    fn timestamp(&self, algorithm: DigestAlgorithm, digest: &[u8]) -> Result<Vec<u8>>;
}

impl<F> Timestamper for F
where
    F: Fn(DigestAlgorithm, &[u8]) -> Result<Vec<u8>> + Sync,
{
    fn timestamp(&self, algorithm: DigestAlgorithm, digest: &[u8]) -> Result<Vec<u8>> {
        self(algorithm, digest)
    }
}

/// A TSA reached over HTTP with [`request_timestamp`].
#[derive(Clone, Debug)]
pub struct HttpTsa {
    /// The TSA's `http://` URL.
    pub url: String,
    /// How long one request may take.
    pub timeout: Duration,
}

impl Timestamper for HttpTsa {
    fn timestamp(&self, algorithm: DigestAlgorithm, digest: &[u8]) -> Result<Vec<u8>> {
        let request = TimestampRequest::new(algorithm, digest.to_vec());
        request_timestamp(&self.url, &request, self.timeout).map(|token| token.der().to_vec())
    }
}

/// Asks the TSA at `url` (RFC 3161 clause 3.4: `POST` of the DER `TimeStampReq` as
/// `application/timestamp-query`, answered by an `application/timestamp-reply`) and
/// returns the token after [`token_from_response`]'s checks against `request`.
///
/// The whole exchange (name resolution, connection, request, answer) is bounded by
/// `timeout`: a TSA that is down, refuses the connection, answers with an HTTP error or
/// does not answer in time is an `Error::Io` naming the URL and what happened, returned
/// within `timeout` (name resolution that hangs is abandoned in its thread). Only
/// `http://` is supported (see the module documentation); responses above 1 MiB are
/// refused.
pub fn request_timestamp(
    url: &str,
    request: &TimestampRequest,
    timeout: Duration,
) -> Result<TimestampToken> {
    let body = request.to_der()?;
    let reply = http::post(&http::Post {
        url,
        content_type: CONTENT_TYPE_QUERY,
        accept: CONTENT_TYPE_REPLY,
        body: &body,
        timeout,
        max_reply: MAX_RESPONSE,
        peer: "the TSA",
    })?;
    token_from_response(&reply, request)
}
