//! Connections: accepted within limits (in all and per client address), TLS by rustls
//! with optional client certificates, HTTP/1.1 or HTTP/2 by hyper, with a deadline for
//! each request head so that slow clients cannot hold the service.

use std::collections::HashMap;
use std::future::Future;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use sha2::{Digest, Sha256};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio_rustls::TlsAcceptor;
use tower::ServiceExt;

use super::auth::ClientCertificate;
use super::config::{Limits, TlsConfig};
use super::strict::StrictHttp1;
use crate::{Error, Result};

/// A TLS acceptor from the PEM files of `tls`, offering HTTP/2 and HTTP/1.1 (ALPN) and,
/// with `client_ca`, asking for a client certificate that it verifies when one comes.
pub(crate) fn tls_acceptor(tls: &TlsConfig) -> Result<TlsAcceptor> {
    let pem_error = |path: &std::path::Path| {
        let path = path.to_path_buf();
        move |e: rustls::pki_types::pem::Error| {
            Error::malformed("PEM", e.to_string()).in_file(path.clone())
        }
    };
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(&tls.cert)
        .map_err(pem_error(&tls.cert))?
        .collect::<std::result::Result<_, _>>()
        .map_err(pem_error(&tls.cert))?;
    let key = PrivateKeyDer::from_pem_file(&tls.key).map_err(pem_error(&tls.key))?;
    // ring, as everywhere in eseal: its provider lacks only the post-quantum key
    // exchange, for which rustls deprecates it.
    #[allow(deprecated)]
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(tls_error)?;
    let builder = match &tls.client_ca {
        Some(path) => {
            let mut roots = rustls::RootCertStore::empty();
            for cert in CertificateDer::pem_file_iter(path).map_err(pem_error(path))? {
                roots
                    .add(cert.map_err(pem_error(path))?)
                    .map_err(tls_error)?;
            }
            let verifier =
                rustls::server::WebPkiClientVerifier::builder_with_provider(roots.into(), provider)
                    .allow_unauthenticated()
                    .build()
                    .map_err(|e| Error::Invalid(format!("client CA: {e}")))?;
            builder.with_client_cert_verifier(verifier)
        }
        None => builder.with_no_client_auth(),
    };
    let mut config = builder.with_single_cert(certs, key).map_err(tls_error)?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(TlsAcceptor::from(Arc::new(config)))
}

fn tls_error(e: rustls::Error) -> Error {
    Error::Invalid(format!("TLS: {e}"))
}

/// The open connections per client address.
#[derive(Clone, Default)]
struct PerClient(Arc<Mutex<HashMap<IpAddr, usize>>>);

/// One connection counted for its client; uncounted when dropped.
struct ClientSlot {
    clients: PerClient,
    ip: IpAddr,
}

impl PerClient {
    fn take(&self, ip: IpAddr, limit: usize) -> Option<ClientSlot> {
        let mut map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let open = map.entry(ip).or_default();
        if *open >= limit {
            return None;
        }
        *open += 1;
        Some(ClientSlot {
            clients: self.clone(),
            ip,
        })
    }
}

impl Drop for ClientSlot {
    fn drop(&mut self) {
        let mut map = self.clients.0.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(open) = map.get_mut(&self.ip) {
            *open -= 1;
            if *open == 0 {
                map.remove(&self.ip);
            }
        }
    }
}

/// Accepts connections on `listener` and serves `app` on each until `shutdown`.
/// Connections over the limits are closed at once.
pub(crate) async fn accept_loop(
    listener: TcpListener,
    tls: Option<TlsAcceptor>,
    app: axum::Router,
    limits: Limits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) {
    let all = Arc::new(Semaphore::new(limits.max_connections));
    let clients = PerClient::default();
    let limits = Arc::new(limits);
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            _ = &mut shutdown => return,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                // Out of file descriptors and the like: wait rather than spin.
                Err(_) => {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let Ok(connection) = all.clone().try_acquire_owned() else {
            continue;
        };
        let Some(slot) = clients.take(peer.ip(), limits.max_connections_per_client) else {
            continue;
        };
        let (tls, app, limits) = (tls.clone(), app.clone(), limits.clone());
        tokio::spawn(async move {
            let _held = (connection, slot);
            serve_connection(stream, tls, app, &limits).await;
        });
    }
}

async fn serve_connection(
    stream: TcpStream,
    tls: Option<TlsAcceptor>,
    app: axum::Router,
    limits: &Limits,
) {
    let _ = stream.set_nodelay(true);
    let head_deadline = Duration::from_secs(limits.header_timeout_secs);
    match tls {
        None => {
            let stream = StrictHttp1::new(stream);
            serve_http(TokioIo::new(stream), app, None, head_deadline).await;
        }
        Some(acceptor) => {
            let Ok(Ok(stream)) = tokio::time::timeout(head_deadline, acceptor.accept(stream)).await
            else {
                return;
            };
            let certificate = stream
                .get_ref()
                .1
                .peer_certificates()
                .and_then(|certs| certs.first())
                .map(|c| ClientCertificate(Sha256::digest(c.as_ref()).into()));
            if stream.get_ref().1.alpn_protocol() == Some(b"h2") {
                serve_http(TokioIo::new(stream), app, certificate, head_deadline).await;
            } else {
                let stream = StrictHttp1::new(stream);
                serve_http(TokioIo::new(stream), app, certificate, head_deadline).await;
            }
        }
    }
}

async fn serve_http<I>(
    io: TokioIo<I>,
    app: axum::Router,
    certificate: Option<ClientCertificate>,
    head_deadline: Duration,
) where
    I: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let service =
        hyper::service::service_fn(move |mut request: hyper::Request<hyper::body::Incoming>| {
            if let Some(certificate) = certificate {
                request.extensions_mut().insert(certificate);
            }
            app.clone().oneshot(request.map(axum::body::Body::new))
        });
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(head_deadline)
        .max_buf_size(64 * 1024);
    builder
        .http2()
        .timer(TokioTimer::new())
        .keep_alive_interval(Some(Duration::from_secs(30)))
        .max_concurrent_streams(64);
    let _ = builder.serve_connection_with_upgrades(io, service).await;
}
