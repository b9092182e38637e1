//! The routes: verification, lists, the timestamping authority, health and metrics, and
//! the office's issuing API ([`super::office`]).

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::{MatchedPath, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::auth::Caller;
use super::error::ApiError;
use super::{State as Shared, log, office, strict, web};
use crate::{Error, Report};

type AppState = State<Arc<Shared>>;

/// Every route of the service.
pub(crate) fn router(state: Arc<Shared>) -> axum::Router {
    axum::Router::new()
        .route("/", get(web::index).post(timestamp))
        .route("/assets/{file}", get(web::asset))
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .route("/v1/verify", post(verify))
        .route("/v1/verify/report.pdf", post(verify_report_pdf))
        .route("/v1/whoami", get(whoami))
        .route("/tsa", post(timestamp))
        .route(strict::REFUSED_PATH, get(refused))
        .merge(office::routes())
        .fallback(not_found)
        .layer(axum::middleware::from_fn_with_state(state.clone(), track))
        .with_state(state)
}

/// What a handler adds to the request's line in the log.
#[derive(Clone, Debug, Default)]
pub(crate) struct LogFields(pub Vec<(&'static str, String)>);

/// Logs each request (never its content) and counts it in the metrics.
async fn track(State(state): AppState, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().clone();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let response = next.run(request).await;
    let seconds = started.elapsed().as_secs_f64();
    let status = response.status().as_u16();
    state
        .metrics
        .request(&route, method.as_str(), status, seconds);
    let mut fields = vec![
        ("method", method.to_string()),
        ("route", route),
        ("status", status.to_string()),
        ("ms", format!("{:.1}", seconds * 1000.0)),
    ];
    if let Some(extra) = response.extensions().get::<LogFields>() {
        fields.extend(extra.0.iter().cloned());
    }
    log::event("request", &fields);
    response
}

#[derive(Deserialize)]
struct Refused {
    reason: String,
}

/// What a request with ambiguous framing gets ([`strict`]): 400, and the connection
/// closed.
async fn refused(Query(refused): Query<Refused>) -> Response {
    let mut response = ApiError::bad_request(
        "bad_framing",
        format!("the request is refused: {}", refused.reason),
    )
    .into_response();
    response.headers_mut().insert(
        header::CONNECTION,
        header::HeaderValue::from_static("close"),
    );
    response
}

async fn not_found() -> ApiError {
    ApiError::not_found("no such endpoint")
}

#[derive(Deserialize)]
pub(crate) struct AtQuery {
    at: Option<String>,
}

impl AtQuery {
    /// The time to verify as of: `at=` (RFC 3339) or now.
    fn time(&self) -> Result<SystemTime, ApiError> {
        match &self.at {
            Some(text) => crate::parse_rfc3339(text)
                .map_err(|e| ApiError::bad_request("invalid_time", format!("at: {e}"))),
            None => Ok(SystemTime::now()),
        }
    }
}

/// The request's body, at most `limit` and `limits.max_body` bytes, within the body
/// deadline.
pub(crate) async fn read_body(
    state: &Shared,
    headers: &HeaderMap,
    body: Body,
    limit: usize,
) -> Result<Bytes, ApiError> {
    let limit = limit.min(state.config.limits.max_body);
    let too_large = || {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            format!("the body is larger than {limit} bytes"),
        )
    };
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(too_large());
    }
    let deadline = Duration::from_secs(state.config.limits.body_timeout_secs);
    match tokio::time::timeout(deadline, axum::body::to_bytes(body, limit)).await {
        Err(_) => Err(ApiError::new(
            StatusCode::REQUEST_TIMEOUT,
            "body_timeout",
            format!("the body did not arrive within {} s", deadline.as_secs()),
        )),
        Ok(Err(e)) if is_length_limit(&e) => Err(too_large()),
        Ok(Err(e)) => Err(ApiError::bad_request("bad_body", e.to_string())),
        Ok(Ok(bytes)) => Ok(bytes),
    }
}

fn is_length_limit(error: &axum::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(e) = source {
        if e.is::<http_body_util::LengthLimitError>() {
            return true;
        }
        source = e.source();
    }
    false
}

/// A verification's outcome: the report and the SHA-256 of the input.
struct Verified {
    report: Report,
    sha256: [u8; 32],
    size: usize,
}

/// Verifies `input` as of `at` with the trust material in use, one of the limited
/// verification slots held.
async fn run_verification(
    state: &Arc<Shared>,
    input: Bytes,
    at: SystemTime,
) -> Result<Verified, ApiError> {
    let _slot = state
        .verifications
        .acquire()
        .await
        .map_err(ApiError::internal)?;
    let trust = state.trust.current();
    let (result, sha256, size) = tokio::task::spawn_blocking(move || {
        let sha256: [u8; 32] = Sha256::digest(&input).into();
        (trust.verifier.verify(&input, at), sha256, input.len())
    })
    .await
    .map_err(ApiError::internal)?;
    let report = result.map_err(|e| match e {
        Error::NoTrustList => ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "no_trust_list",
            "this service holds no licence trust list to verify a licence QR against".into(),
        ),
        other => ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "unreadable_input",
            other.to_string(),
        ),
    })?;
    let kind = report
        .signatures
        .first()
        .map_or("none", |s| s.kind.as_str());
    let indication = report.indication().map_or("NONE".into(), |i| i.to_string());
    state.metrics.verdict(kind, &indication);
    Ok(Verified {
        report,
        sha256,
        size,
    })
}

/// The verification of a request's body as of its `at=`, for a caller who may verify.
async fn verify_body(
    state: &Arc<Shared>,
    caller: &Caller,
    query: &AtQuery,
    headers: &HeaderMap,
    body: Body,
) -> Result<Verified, ApiError> {
    caller.require_verify(&state.operators)?;
    let at = query.time()?;
    let input = read_body(state, headers, body, usize::MAX).await?;
    run_verification(state, input, at).await
}

/// The language the caller asked for in `Accept-Language`: Chinese when it prefers
/// `zh*` to `en*`, else English.
pub(crate) fn wants_chinese(headers: &HeaderMap) -> bool {
    let Some(value) = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let mut best: Option<(bool, f32)> = None;
    for item in value.split(',') {
        let mut parts = item.trim().split(';');
        let tag = parts.next().unwrap_or("").trim().to_ascii_lowercase();
        let q = parts
            .find_map(|p| p.trim().strip_prefix("q=")?.parse::<f32>().ok())
            .unwrap_or(1.0);
        let chinese = tag.starts_with("zh");
        if (chinese || tag.starts_with("en")) && best.is_none_or(|(_, b)| q > b) {
            best = Some((chinese, q));
        }
    }
    best.is_some_and(|(chinese, _)| chinese)
}

/// The report as JSON, with the reasons' messages (and the common licence labels) in
/// Chinese when asked.
fn report_json(report: &Report, chinese: bool) -> serde_json::Value {
    let mut json = serde_json::to_value(report).expect("a report serialises");
    if chinese {
        for (s, entry) in report
            .signatures
            .iter()
            .zip(json["signatures"].as_array_mut().into_iter().flatten())
        {
            for (reason, out) in s
                .reasons
                .iter()
                .zip(entry["reasons"].as_array_mut().into_iter().flatten())
            {
                out["message"] = reason.message_zh().into();
            }
        }
        let fields = json.get_mut("fields").and_then(|f| f.as_array_mut());
        for field in fields.into_iter().flatten() {
            if let Some(zh) = field["label"].as_str().and_then(chinese_label) {
                field["label"] = zh.into();
            }
        }
    }
    json
}

/// The Chinese label of the fields every licence has.
pub(crate) fn chinese_label(label: &str) -> Option<&'static str> {
    match label {
        "identifier" => Some("证照标识"),
        "name" => Some("证照名称"),
        "holder" => Some("持证主体"),
        "number" => Some("证照编号"),
        _ => None,
    }
}

fn verdict_fields(verified: &Verified) -> LogFields {
    LogFields(vec![
        ("bytes", verified.size.to_string()),
        ("sha256", hex::encode(verified.sha256)),
        (
            "verdict",
            verified
                .report
                .indication()
                .map_or("NONE".into(), |i| i.to_string()),
        ),
    ])
}

/// `POST /v1/verify`: the JSON report of the body as of `at=`.
async fn verify(
    State(state): AppState,
    caller: Caller,
    Query(query): Query<AtQuery>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let verified = verify_body(&state, &caller, &query, &headers, body).await?;
    let mut json = report_json(&verified.report, wants_chinese(&headers));
    json["sha256"] = hex::encode(verified.sha256).into();
    let mut response = Json(json).into_response();
    response.extensions_mut().insert(verdict_fields(&verified));
    Ok(response)
}

/// `POST /v1/verify/report.pdf`: the printable verification report of the body.
async fn verify_report_pdf(
    State(state): AppState,
    caller: Caller,
    Query(query): Query<AtQuery>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let verified = verify_body(&state, &caller, &query, &headers, body).await?;
    let log = verdict_fields(&verified);
    let Verified {
        report,
        sha256,
        size,
    } = verified;
    let document = crate::ReportDocument::new(sha256, size as u64);
    let pdf =
        tokio::task::spawn_blocking(move || crate::verification_report_pdf(&report, &document))
            .await
            .map_err(ApiError::internal)?
            .map_err(ApiError::internal)?;
    let mut response = (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/pdf"),
            ),
            (
                header::CONTENT_DISPOSITION,
                HeaderValue::from_static("attachment; filename=\"verification-report.pdf\""),
            ),
        ],
        pdf,
    )
        .into_response();
    response.extensions_mut().insert(log);
    Ok(response)
}

/// `GET /v1/whoami`: the caller's name and roles.
async fn whoami(
    State(state): AppState,
    caller: Caller,
) -> Result<Json<serde_json::Value>, ApiError> {
    if let Caller::Anonymous = caller {
        caller.require_public(&state.operators)?;
    }
    Ok(Json(serde_json::json!({
        "operator": caller.name(),
        "roles": caller.roles(),
    })))
}

/// `GET /healthz`: `ok`, or `degraded` when the last reload failed (the last good set
/// is in use), with the trust material's age and the reload error.
async fn healthz(State(state): AppState) -> Json<serde_json::Value> {
    let now = SystemTime::now();
    let current = state.trust.current();
    let reload = state.trust.status();
    Json(serde_json::json!({
        "status": if reload.error.is_some() { "degraded" } else { "ok" },
        "trust": {
            "loaded_at": super::trust::time_text(current.loaded_at),
            "age_seconds": current.age(now),
            "files": current.files,
            "trust_list_seq": current.trust_list.as_ref().map(|t| t.seq),
            "last_reload": reload.at.map(super::trust::time_text),
            "last_reload_error": reload.error,
        },
        "office": state.office.is_some(),
        "tsa": state.tsa.is_some(),
    }))
}

/// `GET /metrics`: Prometheus text.
async fn metrics(State(state): AppState) -> Response {
    let age = state.trust.current().age(SystemTime::now());
    let failures = state.trust.status().failures;
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        state.metrics.render(age, failures),
    )
        .into_response()
}

/// `POST /tsa` (and `POST /`): an RFC 3161 timestamp response (clause 3.4: `application/timestamp-query`
/// in, `application/timestamp-reply` out); every request gets a response, a refused one
/// with its failure info.
async fn timestamp(
    State(state): AppState,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let Some(tsa) = state.tsa.clone() else {
        return Err(ApiError::not_found(
            "this service runs no timestamping authority",
        ));
    };
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !content_type.eq_ignore_ascii_case("application/timestamp-query") {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "a timestamp request is application/timestamp-query".into(),
        ));
    }
    let request = read_body(&state, &headers, body, crate::cms::tsa::MAX_REQUEST_BODY).await?;
    let reply = tokio::task::spawn_blocking(move || tsa.respond(&request))
        .await
        .map_err(ApiError::internal)?;
    Ok((
        [(header::CONTENT_TYPE, "application/timestamp-reply")],
        reply,
    )
        .into_response())
}
