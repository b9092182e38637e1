//! The web page for service-hall clerks, embedded in the binary (service halls are often
//! on networks without the Internet): `web/` in the repository, jsQR vendored under
//! `web/vendor/` (see its README for the exact package and how to reproduce it).

use axum::extract::Path;
use axum::http::{HeaderValue, header};
use axum::response::{Html, IntoResponse, Response};

use super::error::ApiError;

/// `(name, content type, bytes)` of each asset under `/assets/`.
const ASSETS: [(&str, &str, &[u8]); 3] = [
    (
        "app.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../web/app.js"),
    ),
    (
        "style.css",
        "text/css; charset=utf-8",
        include_bytes!("../../web/style.css"),
    ),
    (
        "jsQR.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../web/vendor/jsQR.js"),
    ),
];

/// Headers every page answer carries: no framing by other sites, no guessing of types,
/// scripts and styles from this origin only.
fn security_headers() -> [(header::HeaderName, HeaderValue); 4] {
    [
        (
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' blob: data:; media-src 'self' blob:; \
                 object-src 'none'; frame-ancestors 'none'",
            ),
        ),
        (
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ),
        (header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")),
        (
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ),
    ]
}

/// `GET /`: the page.
pub(crate) async fn index() -> Response {
    (
        security_headers(),
        Html(include_str!("../../web/index.html")),
    )
        .into_response()
}

/// `GET /assets/{file}`.
pub(crate) async fn asset(Path(file): Path<String>) -> Result<Response, ApiError> {
    let (_, content_type, bytes) = ASSETS
        .iter()
        .find(|(name, _, _)| *name == file)
        .ok_or_else(|| ApiError::not_found(format!("no asset {file}")))?;
    Ok((
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
        ],
        security_headers(),
        *bytes,
    )
        .into_response())
}
