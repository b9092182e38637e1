//! The issuing API of an office: licences issued, read, revoked, suspended and reinstated
//! by operators with the roles for it, every write recorded under the operator's name in
//! the registry's audit log; and the office's public lists.

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use axum::Json;
use axum::body::Body;
use axum::extract::{Path as UrlPath, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::State as Shared;
use super::api::read_body;
use super::auth::{Caller, Role};
use super::config::Config;
use super::error::ApiError;
use super::trust::TrustMaterial;
use crate::{
    DocumentFormat, IssuedLicence, LicenceRequest, LicenceState, OfficeDir, OpCode, Result,
    unix_seconds,
};

type AppState = State<Arc<Shared>>;

/// How long a status list the service signs stays valid: verifiers say UNKNOWN after.
const STATUS_LIST_VALIDITY: Duration = Duration::from_secs(48 * 3600);

/// An office the service issues for.
pub(crate) struct Office {
    dir: Mutex<OfficeDir>,
    status_list_uri: String,
    ttl: Duration,
    /// Counts the status changes made through the service.
    changes: AtomicU64,
    published: Mutex<Option<Published>>,
}

/// The office's status list as last signed.
#[derive(Clone)]
struct Published {
    token: Arc<Vec<u8>>,
    etag: String,
    /// Its `iat`, Unix seconds: each list is issued in a later second than the one
    /// before (and than any list of its URI the trust folder holds), as verifiers that see two lists of one second with different content
    /// must call the status unknown (LICENCE.md §5).
    iat: i64,
    /// The status changes it reflects.
    changes: u64,
}

impl Office {
    pub fn open(dir: &Path, config: &Config) -> Result<Office> {
        let dir = OfficeDir::open(dir)?;
        Ok(Office {
            status_list_uri: dir.config.status_list_uri.clone(),
            dir: Mutex::new(dir),
            ttl: Duration::from_secs(config.status_list_ttl_secs),
            changes: AtomicU64::new(0),
            published: Mutex::new(None),
        })
    }

    fn dir(&self) -> std::sync::MutexGuard<'_, OfficeDir> {
        self.dir.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Records a status change made through the service; returns its number.
    fn changed(&self) -> u64 {
        self.changes.fetch_add(1, Ordering::SeqCst) + 1
    }

    /// Signs and publishes the office's status list (and signs the audit head) unless a
    /// list reflecting change `change` was published already; the list goes to the
    /// service's own verifications too. Lists are issued at most one a second, so a
    /// change may wait for the next second; changes waiting together share one list.
    pub fn publish_status_list(&self, trust: &TrustMaterial, change: u64) -> Result<()> {
        let mut published = self.published.lock().unwrap_or_else(|e| e.into_inner());
        if published.as_ref().is_some_and(|p| p.changes >= change) {
            return Ok(());
        }
        let mut now = SystemTime::now();
        let held = trust
            .current()
            .newest_status_lists
            .get(&self.status_list_uri)
            .copied();
        if let Some(last) = published.as_ref().map(|p| p.iat).max(held) {
            let next = SystemTime::UNIX_EPOCH + Duration::from_secs((last + 1).max(0) as u64);
            if let Ok(wait) = next.duration_since(now) {
                std::thread::sleep(wait);
                now = SystemTime::now().max(next);
            }
        }
        let changes = self.changes.load(Ordering::SeqCst);
        let token = {
            let dir = self.dir();
            let (_, token) = dir.status_list(None, now, self.ttl, STATUS_LIST_VALIDITY)?;
            dir.sign_audit_head(now)?;
            token
        };
        trust.add_own_status_list(token.clone(), now)?;
        *published = Some(Published {
            etag: etag(&token),
            token: Arc::new(token),
            iat: unix_seconds(now),
            changes,
        });
        Ok(())
    }

    /// The published list, signed anew once half its `ttl` has passed.
    fn status_list(&self, trust: &TrustMaterial) -> Result<Published> {
        let now = unix_seconds(SystemTime::now());
        let half_ttl = (self.ttl.as_secs() / 2) as i64;
        let fresh = |p: &Published| now - p.iat < half_ttl.max(1);
        let published = self
            .published
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        match published {
            Some(p) if fresh(&p) => Ok(p),
            _ => {
                // A list newer than the one held, whatever changed.
                let change = published.map_or(0, |p| p.changes + 1);
                self.changes.fetch_max(change, Ordering::SeqCst);
                self.publish_status_list(trust, change)?;
                let published = self.published.lock().unwrap_or_else(|e| e.into_inner());
                Ok(published.clone().expect("just published"))
            }
        }
    }
}

/// A strong entity tag of `bytes` (RFC 9110 clause 8.8.3).
pub(crate) fn etag(bytes: &[u8]) -> String {
    format!("\"{}\"", hex::encode(&Sha256::digest(bytes)[..16]))
}

/// `bytes` with `ETag` and `Cache-Control: max-age`, or 304 when the caller holds them.
pub(crate) fn cached(
    headers: &HeaderMap,
    content_type: &'static str,
    etag: &str,
    max_age: u64,
    bytes: Vec<u8>,
) -> Response {
    let tag = HeaderValue::from_str(etag).expect("hex in quotes");
    let cache = HeaderValue::from_str(&format!("public, max-age={max_age}")).expect("digits");
    let held = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    if held {
        return (
            StatusCode::NOT_MODIFIED,
            [(header::ETAG, tag), (header::CACHE_CONTROL, cache)],
        )
            .into_response();
    }
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (header::ETAG, tag),
            (header::CACHE_CONTROL, cache),
        ],
        bytes,
    )
        .into_response()
}

/// The office's routes.
pub(crate) fn routes() -> axum::Router<Arc<Shared>> {
    axum::Router::new()
        .route("/v1/licence-types", get(licence_types))
        .route("/v1/licences", post(issue))
        .route("/v1/licences/{id}", get(licence))
        .route("/v1/licences/{id}/pdf", get(document_pdf))
        .route("/v1/licences/{id}/ofd", get(document_ofd))
        .route("/v1/licences/{id}/qr", get(qr_text))
        .route("/v1/licences/{id}/qr.png", get(qr_png))
        .route("/v1/licences/{id}/{action}", post(change))
        .route("/v1/status-lists/{n}", get(status_list))
        .route("/v1/trust-list", get(trust_list))
}

fn office(state: &Shared) -> std::result::Result<&Office, ApiError> {
    state
        .office
        .as_ref()
        .ok_or_else(|| ApiError::not_found("this service issues for no office"))
}

/// Runs `work` on the office's directory off the async threads.
async fn with_office<T: Send + 'static>(
    state: &Arc<Shared>,
    work: impl FnOnce(&mut OfficeDir) -> Result<T> + Send + 'static,
) -> std::result::Result<T, ApiError> {
    office(state)?;
    let state = state.clone();
    tokio::task::spawn_blocking(move || {
        let office = state.office.as_ref().expect("checked");
        work(&mut office.dir())
    })
    .await
    .map_err(ApiError::internal)?
    .map_err(ApiError::from_eseal)
}

/// Operators who may read the registry: those who issue or revoke.
fn require_reader(caller: &Caller) -> std::result::Result<String, ApiError> {
    caller
        .require(Role::Issue)
        .or_else(|_| caller.require(Role::Revoke))
        .map(|o| o.name.clone())
}

/// `GET /v1/licence-types`: the templates the registry holds.
async fn licence_types(
    State(state): AppState,
    caller: Caller,
) -> std::result::Result<Json<serde_json::Value>, ApiError> {
    caller.require(Role::Issue)?;
    let templates = with_office(&state, |dir| Ok(dir.registry.templates()?)).await?;
    let mut types = Vec::new();
    for stored in templates {
        let template: serde_json::Value =
            serde_json::from_slice(&stored.body).map_err(ApiError::internal)?;
        types.push(serde_json::json!({
            "type_code": stored.type_code,
            "name": template["name"],
            "template": template,
        }));
    }
    Ok(Json(types.into()))
}

#[derive(Deserialize)]
struct IssueQuery {
    #[serde(rename = "type")]
    type_code: String,
}

/// The JSON an issued licence is answered with.
fn issued_json(issued: &IssuedLicence) -> serde_json::Value {
    let id = &issued.record.identifier;
    let base = format!("/v1/licences/{}", encode_segment(id));
    serde_json::json!({
        "identifier": id,
        "qr": issued.record.qr,
        "status": issued.record.status.to_string(),
        "replayed": issued.replayed,
        "status_list": { "uri": issued.record.list_uri, "idx": issued.record.list_idx },
        "warnings": issued.warnings.iter().map(|w| w.to_string()).collect::<Vec<_>>(),
        "links": {
            "self": base,
            "pdf": format!("{base}/pdf"),
            "ofd": format!("{base}/ofd"),
            "qr": format!("{base}/qr"),
            "qr_png": format!("{base}/qr.png"),
        },
    })
}

/// `id` as one URL path segment (RFC 3986 clause 3.3).
fn encode_segment(id: &str) -> String {
    id.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// `POST /v1/licences?type=TYPE`: issues a licence from the request JSON of `eseal
/// licence issue`; `Idempotency-Key` (the 办件 number) makes a retry answer the licence
/// issued before (200) instead of issuing a second (201).
async fn issue(
    State(state): AppState,
    caller: Caller,
    Query(query): Query<IssueQuery>,
    headers: HeaderMap,
    body: Body,
) -> std::result::Result<Response, ApiError> {
    let operator = caller.require(Role::Issue)?.name.clone();
    let key = match headers.get("idempotency-key") {
        Some(v) => Some(
            v.to_str()
                .map_err(|_| ApiError::bad_request("invalid_idempotency_key", "not ASCII"))?
                .to_owned(),
        ),
        None => None,
    };
    let body = read_body(&state, &headers, body, usize::MAX).await?;
    let request = LicenceRequest::from_json(&body)
        .map_err(|e| ApiError::bad_request("invalid_request", e.to_string()))?;
    let at = unix_seconds(SystemTime::now());
    let issued = with_office(&state, move |dir| {
        dir.issue(
            &query.type_code,
            &request,
            key.as_deref(),
            &operator,
            at,
            false,
        )
        .map(|(issued, _)| issued)
    })
    .await?;
    // A new licence's entry reads valid in the list already published; a new office's
    // first licence makes its list.
    publish(&state, 0).await?;
    let status = if issued.replayed {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((status, Json(issued_json(&issued))).into_response())
}

/// Publishes the office's status list once it reflects `change`.
async fn publish(state: &Arc<Shared>, change: u64) -> std::result::Result<(), ApiError> {
    let state = state.clone();
    tokio::task::spawn_blocking(move || {
        let office = state.office.as_ref().expect("an office");
        office.publish_status_list(&state.trust, change)
    })
    .await
    .map_err(ApiError::internal)?
    .map_err(ApiError::from_eseal)
}

/// The licence `id`, or 404.
fn issued(dir: &OfficeDir, id: &str) -> Result<Option<IssuedLicence>> {
    match dir.licence(id)? {
        Some(_) => dir.issued(id).map(Some),
        None => Ok(None),
    }
}

async fn find(state: &Arc<Shared>, id: String) -> std::result::Result<IssuedLicence, ApiError> {
    let missing = format!("no licence {id}");
    with_office(state, move |dir| issued(dir, &id))
        .await?
        .ok_or_else(|| ApiError::not_found(missing))
}

/// `GET /v1/licences/{id}`: the record and its status history.
async fn licence(
    State(state): AppState,
    caller: Caller,
    UrlPath(id): UrlPath<String>,
) -> std::result::Result<Json<serde_json::Value>, ApiError> {
    require_reader(&caller)?;
    let issued = find(&state, id.clone()).await?;
    let history = with_office(&state, move |dir| Ok(dir.registry.history(&id)?)).await?;
    let mut json = issued_json(&issued);
    json["issued_at"] = crate::rfc3339(issued.record.issued_at).into();
    json["document_sha256"] = issued.record.doc_sha256.as_ref().map(hex::encode).into();
    json["history"] = history
        .iter()
        .map(|h| {
            serde_json::json!({
                "at": crate::rfc3339(h.at),
                "from": h.from,
                "to": h.to,
                "op": h.op,
                "reason": h.reason,
                "operator": h.operator,
            })
        })
        .collect();
    json.as_object_mut().map(|o| o.remove("replayed"));
    Ok(Json(json))
}

async fn document(
    state: Arc<Shared>,
    caller: Caller,
    id: String,
    format: DocumentFormat,
) -> std::result::Result<Response, ApiError> {
    let operator = require_reader(&caller)?;
    let issued = find(&state, id).await?;
    let bytes = with_office(&state, move |dir| {
        dir.sealed_document(&issued, &operator, format)
    })
    .await?;
    let content_type = match format {
        DocumentFormat::Pdf => "application/pdf",
        DocumentFormat::Ofd => "application/ofd",
    };
    Ok(([(header::CONTENT_TYPE, content_type)], bytes).into_response())
}

/// `GET /v1/licences/{id}/pdf`: the licence rendered and sealed (PAdES).
async fn document_pdf(
    State(state): AppState,
    caller: Caller,
    UrlPath(id): UrlPath<String>,
) -> std::result::Result<Response, ApiError> {
    document(state, caller, id, DocumentFormat::Pdf).await
}

/// `GET /v1/licences/{id}/ofd`: the licence rendered and sealed (OFD).
async fn document_ofd(
    State(state): AppState,
    caller: Caller,
    UrlPath(id): UrlPath<String>,
) -> std::result::Result<Response, ApiError> {
    document(state, caller, id, DocumentFormat::Ofd).await
}

/// `GET /v1/licences/{id}/qr`: the QR string.
async fn qr_text(
    State(state): AppState,
    caller: Caller,
    UrlPath(id): UrlPath<String>,
) -> std::result::Result<Response, ApiError> {
    require_reader(&caller)?;
    let issued = find(&state, id).await?;
    Ok((
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        issued.record.qr,
    )
        .into_response())
}

/// `GET /v1/licences/{id}/qr.png`: the QR code as a PNG.
async fn qr_png(
    State(state): AppState,
    caller: Caller,
    UrlPath(id): UrlPath<String>,
) -> std::result::Result<Response, ApiError> {
    require_reader(&caller)?;
    let issued = find(&state, id).await?;
    let png = crate::qr_png(&issued.record.qr, 4).map_err(ApiError::internal)?;
    Ok(([(header::CONTENT_TYPE, "image/png")], png).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Change {
    reason: String,
    /// For a revocation: 03, 04 or 07 (the default).
    #[serde(default)]
    status: Option<String>,
}

/// `POST /v1/licences/{id}/revoke|suspend|reinstate` `{"reason", "status"?}`: the
/// licence's new status (a revocation may name 03, 04 or 07, the default), recorded
/// under the operator's name; the office's new status list is published before the
/// answer.
async fn change(
    State(state): AppState,
    caller: Caller,
    UrlPath((id, action)): UrlPath<(String, String)>,
    headers: HeaderMap,
    body: Body,
) -> std::result::Result<Response, ApiError> {
    let op = match action.as_str() {
        "revoke" => OpCode::Terminate,
        "suspend" => OpCode::Suspend,
        "reinstate" => OpCode::Reinstate,
        _ => return Err(ApiError::not_found(format!("no action {action}"))),
    };
    let operator = caller.require(Role::Revoke)?.name.clone();
    let body = read_body(&state, &headers, body, usize::MAX).await?;
    let change: Change = serde_json::from_slice(&body)
        .map_err(|e| ApiError::bad_request("invalid_request", e.to_string()))?;
    if change.reason.trim().is_empty() {
        return Err(ApiError::bad_request("invalid_request", "reason: empty"));
    }
    let to = match (op, change.status.as_deref()) {
        (OpCode::Terminate, status) => {
            let code = status.unwrap_or("07");
            LicenceState::from_code(code, 1)
                .filter(|_| ["03", "04", "07"].contains(&code))
                .ok_or_else(|| {
                    ApiError::bad_request("invalid_request", "status: one of 03, 04, 07")
                })?
        }
        (_, Some(_)) => {
            return Err(ApiError::bad_request(
                "invalid_request",
                "status: only a revocation takes one",
            ));
        }
        (OpCode::Suspend, None) => LicenceState::Suspended,
        _ => LicenceState::Valid,
    };
    find(&state, id.clone()).await?;
    let at = unix_seconds(SystemTime::now());
    let reason = change.reason;
    let moved = id.clone();
    let from = with_office(&state, move |dir| {
        dir.set_status(&moved, to, op, &reason, &operator, at)
    })
    .await?;
    let change = office(&state)?.changed();
    publish(&state, change).await?;
    Ok(Json(serde_json::json!({
        "identifier": id,
        "from": from.to_string(),
        "status": to.to_string(),
    }))
    .into_response())
}

/// `GET /v1/status-lists/{n}`: the office's status list whose URI ends in `/{n}`.
async fn status_list(
    State(state): AppState,
    caller: Caller,
    UrlPath(n): UrlPath<String>,
    headers: HeaderMap,
) -> std::result::Result<Response, ApiError> {
    caller.require_public(&state.operators)?;
    let office = office(&state)?;
    if office.status_list_uri.rsplit('/').next() != Some(n.as_str()) {
        return Err(ApiError::not_found(format!("no status list {n}")));
    }
    let state2 = state.clone();
    let published = tokio::task::spawn_blocking(move || {
        let office = state2.office.as_ref().expect("an office");
        office.status_list(&state2.trust)
    })
    .await
    .map_err(ApiError::internal)?
    .map_err(ApiError::from_eseal)?;
    Ok(cached(
        &headers,
        "application/statuslist+cwt",
        &published.etag,
        office.ttl.as_secs(),
        published.token.to_vec(),
    ))
}

/// `GET /v1/trust-list`: the licence trust list the service holds.
async fn trust_list(
    State(state): AppState,
    caller: Caller,
    headers: HeaderMap,
) -> std::result::Result<Response, ApiError> {
    caller.require_public(&state.operators)?;
    let current = state.trust.current();
    let held = match &state.config.trust_list {
        Some(path) => std::fs::read(path).map_err(ApiError::internal)?,
        None => current
            .trust_list
            .as_ref()
            .map(|t| t.bytes.clone())
            .ok_or_else(|| ApiError::not_found("this service holds no trust list"))?,
    };
    let now = unix_seconds(SystemTime::now());
    let max_age = current
        .trust_list
        .as_ref()
        .map_or(0, |t| (t.expires_at - now).clamp(0, 3600) as u64);
    Ok(cached(
        &headers,
        "application/cose",
        &etag(&held),
        max_age,
        held,
    ))
}
