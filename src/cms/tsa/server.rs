//! An RFC 3161 timestamping authority ([`Authority`]) and its HTTP server ([`serve`],
//! [`spawn_local`]) for RFC 3161 clause 3.4 (feature `tsa-server`).

use std::io::Write;
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime};

use der::asn1::{AnyRef, BitStringRef, IntRef, ObjectIdentifier, Utf8StringRef};
use der::{Decode, Encode};

use super::{CONTENT_TYPE_QUERY, CONTENT_TYPE_REPLY, Timestamper};
use crate::cms::digest::DigestAlgorithm;
use crate::cms::sign::{SignOptions, sign_encapsulated};
use crate::cms::timestamp::{
    AccuracyAsn1, DIRECTORY_NAME, DecodedRequest, FailureInfo, MessageImprintAsn1, OID_TST_INFO,
    PkiStatusInfoAsn1, TimeStampRespAsn1, TimestampRequest, TimestampToken, TstInfoAsn1,
    decode_request, gen_time_der, positive_integer, random_bytes, token_from_response,
};
use crate::crypto::{PublicKey, Signer};
use crate::error::{Error, Result};
use crate::http::{Framing, MAX_HEAD, RequestHead, parse_body, parse_request_head, read_message};
use crate::pki::{Certificate, OID_KP_TIME_STAMPING};

/// The largest request body the server reads (a `TimeStampReq` is about 60–100 bytes).
pub const MAX_REQUEST_BODY: usize = 64 * 1024;
/// How long the server gives one connection to send its request and take the answer.
pub const SERVER_DEADLINE: Duration = Duration::from_secs(10);
/// Connections the server handles at once; more are answered `503` at once.
pub const MAX_CONNECTIONS: usize = 64;

// ---------------------------------------------------------------------------------------
// The authority
// ---------------------------------------------------------------------------------------

/// A timestamping authority (RFC 3161 clause 2): a key reserved for timestamps, its
/// certificate with the critical extended key usage `id-kp-timeStamping` alone (clause
/// 2.3), the chain to send with it, and the policy it issues tokens under.
pub struct Authority {
    signer: Arc<dyn Signer>,
    certificate: Certificate,
    chain: Vec<Certificate>,
    policy: String,
    accuracy_micros: u64,
}

impl std::fmt::Debug for Authority {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Authority")
            .field("algorithm", &self.signer.algorithm())
            .field("certificate", &self.certificate.subject())
            .field("chain", &self.chain.len())
            .field("policy", &self.policy)
            .field("accuracy_micros", &self.accuracy_micros)
            .finish()
    }
}

impl Authority {
    /// An authority signing with `signer`, whose key `certificate` certifies, sending
    /// `chain` (intermediates, optionally the root) after it, under the TSA policy
    /// `policy` (a dotted OID), with an accuracy of one second.
    ///
    /// Refuses a certificate without the critical extended key usage `id-kp-timeStamping`
    /// (1.3.6.1.5.5.7.3.8) as its only purpose (RFC 3161 clause 2.3), a signer whose key
    /// is not the certificate's, and a policy that is not an OID.
    pub fn new(
        signer: Arc<dyn Signer>,
        certificate: Certificate,
        chain: Vec<Certificate>,
        policy: &str,
    ) -> Result<Self> {
        match certificate.ext_key_usage() {
            Some((true, oids)) if oids == [OID_KP_TIME_STAMPING] => {}
            _ => {
                return Err(Error::Invalid(format!(
                    "{} cannot sign timestamps: RFC 3161 clause 2.3 requires a critical \
                     extended key usage of timeStamping alone",
                    certificate.subject()
                )));
            }
        }
        if certificate.public_key()? != PublicKey::from_spki_der(signer.public_key_spki())? {
            return Err(Error::Invalid(format!(
                "the signing key is not the key of {}",
                certificate.subject()
            )));
        }
        ObjectIdentifier::new(policy)
            .map_err(|e| Error::Invalid(format!("TSA policy {policy:?}: {e}")))?;
        Ok(Authority {
            signer,
            certificate,
            chain,
            policy: policy.to_string(),
            accuracy_micros: 1_000_000,
        })
    }

    /// The TSA certificate.
    pub fn certificate(&self) -> &Certificate {
        &self.certificate
    }

    /// The TSA policy (a dotted OID) tokens are issued under.
    pub fn policy(&self) -> &str {
        &self.policy
    }

    /// A token for `imprint` (a digest made with `algorithm`) straight from this authority,
    /// without HTTP: a request with a nonce and `certReq` TRUE, answered as of now and
    /// checked by [`token_from_response`] (in-process timestamping, e.g. for PAdES B-T).
    pub fn timestamp(&self, algorithm: DigestAlgorithm, imprint: &[u8]) -> Result<TimestampToken> {
        let request = TimestampRequest::new(algorithm, imprint.to_vec());
        token_from_response(&self.respond(&request.to_der()?), &request)
    }

    /// A DER `TimeStampResp` (RFC 3161 clause 2.4.2) for the DER `TimeStampReq` `request`
    /// as of now; see [`Authority::respond_at`].
    pub fn respond(&self, request: &[u8]) -> Vec<u8> {
        self.respond_at(request, SystemTime::now())
    }

    /// A DER `TimeStampResp` for the DER `TimeStampReq` `request` with `genTime` `now`.
    ///
    /// Granted (status 0) with a token: `TSTInfo` version 1, the policy (the requested one
    /// when it is this authority's, which is also the default), the request's
    /// `messageImprint` as sent, a 128-bit random `serialNumber`, `genTime` in UTC to the
    /// second, `accuracy` one second, the nonce echoed, `tsa` the certificate's subject as
    /// a `directoryName`. The token is a `SignedData` over it (content-type
    /// `id-ct-TSTInfo`, message-digest, ESS `signingCertificateV2`) with the TSA
    /// certificate and chain when `certReq` is TRUE.
    ///
    /// Otherwise a rejection (status 2) with one `failInfo` bit and a status text:
    /// `badDataFormat` (not a DER `TimeStampReq`, an imprint of the wrong length),
    /// `badRequest` (a version other than 1), `badAlg` (an unknown or SHA-1 hash),
    /// `unacceptedPolicy` (another policy asked for), `unacceptedExtension` (any request
    /// extension), `timeNotAvailable` or `systemFailure` (the signer failed).
    pub fn respond_at(&self, request: &[u8], now: SystemTime) -> Vec<u8> {
        match self.grant(request, now) {
            Ok(response) => response,
            Err((fail, text)) => rejection(fail, &text),
        }
    }

    fn grant(
        &self,
        request: &[u8],
        now: SystemTime,
    ) -> std::result::Result<Vec<u8>, (FailureInfo, String)> {
        let DecodedRequest {
            request,
            imprint_der,
            nonce_der,
        } = decode_request(request).map_err(|e| (e.fail, e.detail))?;
        if request.digest_algorithm == DigestAlgorithm::Sha1 {
            return Err((FailureInfo::BadAlg, "SHA-1 is too weak".into()));
        }
        if let Some(policy) = &request.policy
            && *policy != self.policy
        {
            return Err((
                FailureInfo::UnacceptedPolicy,
                format!(
                    "policy {policy} is not supported; this TSA issues under {}",
                    self.policy
                ),
            ));
        }
        let system = |e: Error| (FailureInfo::SystemFailure, e.to_string());
        let der_error = |e: der::Error| (FailureInfo::SystemFailure, e.to_string());
        let gen_time =
            gen_time_der(now).map_err(|e| (FailureInfo::TimeNotAvailable, e.to_string()))?;
        let serial = positive_integer(&random_bytes::<16>());
        let imprint = MessageImprintAsn1::from_der(&imprint_der).map_err(der_error)?;
        let subject = self.certificate.subject_der();
        let tst_info = TstInfoAsn1 {
            version: 1,
            policy: ObjectIdentifier::new(&self.policy)
                .map_err(|e| (FailureInfo::SystemFailure, e.to_string()))?,
            message_imprint: imprint,
            serial_number: IntRef::new(&serial).map_err(der_error)?,
            gen_time: AnyRef::try_from(gen_time.as_slice()).map_err(der_error)?,
            accuracy: Some(accuracy(self.accuracy_micros)),
            ordering: false,
            nonce: nonce_der
                .as_deref()
                .map(IntRef::new)
                .transpose()
                .map_err(der_error)?,
            tsa: Some(AnyRef::new(DIRECTORY_NAME, subject).map_err(der_error)?),
            extensions: None,
        }
        .to_der()
        .map_err(der_error)?;
        let options = SignOptions {
            signer: &*self.signer,
            certificate: &self.certificate,
            chain: &self.chain,
            signing_time: None,
        };
        let token = sign_encapsulated(OID_TST_INFO, &tst_info, &options, request.cert_req)
            .map_err(system)?;
        TimeStampRespAsn1 {
            status: PkiStatusInfoAsn1 {
                status: 0,
                status_string: None,
                fail_info: None,
            },
            time_stamp_token: Some(AnyRef::try_from(token.as_slice()).map_err(der_error)?),
        }
        .to_der()
        .map_err(der_error)
    }
}

/// `Accuracy` of `micros` microseconds, zero parts omitted.
fn accuracy(micros: u64) -> AccuracyAsn1 {
    let seconds = micros / 1_000_000;
    let millis = (micros / 1000 % 1000) as u16;
    let micros = (micros % 1000) as u16;
    AccuracyAsn1 {
        seconds: (seconds > 0).then_some(seconds),
        millis: (millis > 0).then_some(millis),
        micros: (micros > 0).then_some(micros),
    }
}

/// A DER rejection `TimeStampResp`: status 2, `text` and one `failInfo` bit.
fn rejection(fail: FailureInfo, text: &str) -> Vec<u8> {
    let (unused, bits) = fail.bit_string();
    let encode = || -> der::Result<Vec<u8>> {
        TimeStampRespAsn1 {
            status: PkiStatusInfoAsn1 {
                status: 2,
                status_string: Some(vec![Utf8StringRef::new(text)?]),
                fail_info: Some(BitStringRef::new(unused, &bits)?),
            },
            time_stamp_token: None,
        }
        .to_der()
    };
    // SEQUENCE { SEQUENCE { INTEGER 2 } } should the text not encode.
    encode().unwrap_or_else(|_| vec![0x30, 0x05, 0x30, 0x03, 0x02, 0x01, 0x02])
}

impl Timestamper for Authority {
    fn timestamp(&self, algorithm: DigestAlgorithm, digest: &[u8]) -> Result<Vec<u8>> {
        Authority::timestamp(self, algorithm, digest).map(|token| token.der().to_vec())
    }
}

// ---------------------------------------------------------------------------------------
// Server
// ---------------------------------------------------------------------------------------

/// Serves `authority` over HTTP on `listener` (RFC 3161 clause 3.4) until the process
/// ends: `POST` with an `application/timestamp-query` body (any path) is answered `200`
/// with the `application/timestamp-reply` of [`Authority::respond`]; a rejected request
/// is still a `200` with a rejection `TimeStampResp`, as clause 2.4.2 intends.
///
/// Each connection gets a thread, at most [`MAX_CONNECTIONS`] at once (more are answered
/// `503`), one request (`Connection: close`), a body of at most [`MAX_REQUEST_BODY`]
/// bytes (else `413`) and [`SERVER_DEADLINE`] to send it and take the answer (else
/// `408` or a closed connection). Other methods are `405`, other content types `415`,
/// malformed requests `400`.
///
/// Returns only when the listener cannot be used (`Err`).
pub fn serve(listener: TcpListener, authority: Arc<Authority>) -> Result<()> {
    let local = listener
        .local_addr()
        .map_err(|e| Error::io("TSA listener", e))?;
    let active = Arc::new(AtomicUsize::new(0));
    loop {
        let stream = match listener.accept() {
            Ok((stream, _)) => stream,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) if is_fatal_accept_error(&e) => {
                return Err(Error::io(format!("TSA listener {local}"), e));
            }
            Err(_) => {
                // Out of descriptors or a connection reset before accept: wait, go on.
                std::thread::sleep(Duration::from_millis(50));
                continue;
            }
        };
        if active.fetch_add(1, Ordering::SeqCst) >= MAX_CONNECTIONS {
            active.fetch_sub(1, Ordering::SeqCst);
            let mut stream = stream;
            let _ = stream.set_write_timeout(Some(Duration::from_secs(1)));
            let _ = write_response(
                &mut stream,
                503,
                "Service Unavailable",
                "text/plain",
                b"busy\n",
            );
            continue;
        }
        let slot = Slot(active.clone());
        let authority = authority.clone();
        // A failed spawn drops the closure: the slot is released and the connection closed.
        let _ = std::thread::Builder::new()
            .name("eseal-tsa-conn".into())
            .spawn(move || {
                let _slot = slot;
                handle(stream, &authority);
            });
    }
}

/// Errors after which accepting cannot work again.
fn is_fatal_accept_error(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::InvalidInput | std::io::ErrorKind::NotConnected
    )
}

/// One connection slot of the server, released when dropped.
struct Slot(Arc<AtomicUsize>);

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// A parsed HTTP request.
struct HttpRequest {
    method: String,
    content_type: Option<String>,
    body: Vec<u8>,
}

/// Why a request gets no timestamp: the status to answer with.
struct HttpRefusal(u16, &'static str, String);

/// Reads one request from `stream` and answers it.
fn handle(mut stream: TcpStream, authority: &Authority) {
    let deadline = Instant::now() + SERVER_DEADLINE;
    let _ = stream.set_nodelay(true);
    let _ = stream.set_write_timeout(Some(SERVER_DEADLINE));
    let Ok(mut reader) = stream.try_clone() else {
        return;
    };
    let mut refusal = None;
    let mut sent_continue = false;
    let request = read_message(
        &mut reader,
        deadline,
        MAX_HEAD + MAX_REQUEST_BODY,
        |buf, eof| {
            let Some(RequestHead { method, headers }) = parse_request_head(buf)? else {
                return Ok(None);
            };
            let framing = match headers.framing()? {
                Framing::UntilClose if method == "POST" => {
                    refusal = Some(HttpRefusal(
                        411,
                        "Length Required",
                        "no Content-Length".into(),
                    ));
                    return Ok(Some(None));
                }
                Framing::UntilClose => Framing::Length(0),
                framing => framing,
            };
            if let Framing::Length(n) = framing
                && n > MAX_REQUEST_BODY
            {
                refusal = Some(HttpRefusal(
                    413,
                    "Content Too Large",
                    format!("at most {MAX_REQUEST_BODY} bytes"),
                ));
                return Ok(Some(None));
            }
            if !sent_continue
                && headers
                    .header("expect")
                    .is_some_and(|e| e.eq_ignore_ascii_case("100-continue"))
            {
                sent_continue = true;
                let _ = stream.write_all(b"HTTP/1.1 100 Continue\r\n\r\n");
            }
            let body = parse_body(framing, &buf[headers.len..], eof)?;
            if body.as_ref().is_some_and(|b| b.len() > MAX_REQUEST_BODY) {
                refusal = Some(HttpRefusal(
                    413,
                    "Content Too Large",
                    format!("at most {MAX_REQUEST_BODY} bytes"),
                ));
                return Ok(Some(None));
            }
            Ok(body.map(|body| {
                Some(HttpRequest {
                    method,
                    content_type: headers.header("content-type").map(str::to_string),
                    body,
                })
            }))
        },
    );
    let answer = match (request, refusal) {
        (_, Some(refusal)) => Err(refusal),
        (Ok(Some(request)), None) => check_request(request),
        (Ok(None), None) => Err(HttpRefusal(400, "Bad Request", "no request".into())),
        (Err(e), None) if e.kind() == std::io::ErrorKind::TimedOut => Err(HttpRefusal(
            408,
            "Request Timeout",
            "the request did not arrive in time".into(),
        )),
        (Err(e), None) if e.kind() == std::io::ErrorKind::InvalidData => {
            Err(HttpRefusal(400, "Bad Request", e.to_string()))
        }
        // The peer went away: nobody to answer.
        (Err(_), None) => return,
    };
    let _ = match answer {
        Ok(query) => {
            let reply = authority.respond(&query);
            write_response(&mut stream, 200, "OK", CONTENT_TYPE_REPLY, &reply)
        }
        Err(HttpRefusal(status, reason, text)) => {
            let text = format!("{text}\n");
            write_response(&mut stream, status, reason, "text/plain", text.as_bytes())
        }
    };
    let _ = stream.shutdown(std::net::Shutdown::Write);
}

/// The `TimeStampReq` of a well-formed timestamp query.
fn check_request(request: HttpRequest) -> std::result::Result<Vec<u8>, HttpRefusal> {
    if request.method != "POST" {
        return Err(HttpRefusal(
            405,
            "Method Not Allowed",
            "POST an application/timestamp-query".into(),
        ));
    }
    if let Some(content_type) = &request.content_type {
        let essence = content_type.split(';').next().unwrap_or_default().trim();
        if !essence.eq_ignore_ascii_case(CONTENT_TYPE_QUERY) {
            return Err(HttpRefusal(
                415,
                "Unsupported Media Type",
                format!("{content_type} is not {CONTENT_TYPE_QUERY}"),
            ));
        }
    }
    Ok(request.body)
}

fn write_response(
    stream: &mut TcpStream,
    status: u16,
    reason: &str,
    content_type: &str,
    body: &[u8],
) -> std::io::Result<()> {
    let mut message = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: {content_type}\r\n\
         Content-Length: {}\r\nCache-Control: no-store\r\nConnection: close\r\n",
        body.len()
    );
    if status == 405 {
        message.push_str("Allow: POST\r\n");
    }
    message.push_str("\r\n");
    let mut bytes = message.into_bytes();
    bytes.extend_from_slice(body);
    stream.write_all(&bytes)?;
    stream.flush()
}

/// Starts [`serve`] for `authority` on 127.0.0.1 at a free port in a thread of its own
/// (for tests and local use) and returns its URL (`http://127.0.0.1:PORT/`) and the
/// thread, which serves until the process ends.
pub fn spawn_local(authority: Authority) -> Result<(String, std::thread::JoinHandle<Result<()>>)> {
    let listener = TcpListener::bind(("127.0.0.1", 0)).map_err(|e| Error::io("127.0.0.1:0", e))?;
    let addr = listener
        .local_addr()
        .map_err(|e| Error::io("127.0.0.1:0", e))?;
    let authority = Arc::new(authority);
    let handle = std::thread::Builder::new()
        .name("eseal-tsa".into())
        .spawn(move || serve(listener, authority))
        .map_err(|e| Error::io("TSA thread", e))?;
    Ok((format!("http://{addr}/"), handle))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accuracy_parts() {
        let a = accuracy(1_000_000);
        assert_eq!((a.seconds, a.millis, a.micros), (Some(1), None, None));
        let a = accuracy(2_003_004);
        assert_eq!((a.seconds, a.millis, a.micros), (Some(2), Some(3), Some(4)));
    }
}
