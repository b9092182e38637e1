//! Connections: queued by the kernel in a backlog deep enough for a connection flood,
//! accepted within limits (in all and per client address), TLS by rustls with optional
//! client certificates, HTTP/1.1 or HTTP/2 by hyper, with a deadline for each request head
//! so that slow clients cannot hold the service.

use std::collections::HashMap;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use sha2::{Digest, Sha256};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::sync::Semaphore;
use tokio_rustls::TlsAcceptor;
use tower::ServiceExt;

use super::auth::ClientCertificate;
use super::config::{Limits, TlsConfig};
use super::strict::StrictHttp1;
use crate::{Error, Result};

/// The listen backlog asked for: connections the kernel completes before the service
/// accepts them (capped by the kernel: on Linux `net.core.somaxconn`, 4096 by default).
/// The standard library's 128 fills up when clients dropped over their limit reconnect at
/// once, and the kernel then drops every new SYN, a legitimate client's too, which costs it
/// a one-second retransmission.
const BACKLOG: u32 = 4096;

/// A listener on `address` (`host:port`; the addresses it resolves to tried in turn) with
/// a [`BACKLOG`]-deep queue.
pub(crate) async fn bind(address: &str) -> Result<TcpListener> {
    let io = |e| Error::io(address, e);
    let mut failure = None;
    for addr in tokio::net::lookup_host(address).await.map_err(io)? {
        match listen_on(addr) {
            Ok(listener) => return Ok(listener),
            Err(e) => failure = Some(e),
        }
    }
    Err(io(failure.unwrap_or_else(|| {
        std::io::Error::new(
            std::io::ErrorKind::AddrNotAvailable,
            "resolves to no address",
        )
    })))
}

fn listen_on(addr: SocketAddr) -> std::io::Result<TcpListener> {
    let socket = match addr {
        SocketAddr::V4(_) => TcpSocket::new_v4()?,
        SocketAddr::V6(_) => TcpSocket::new_v6()?,
    };
    // As `TcpListener::bind`: a restarted service binds at once, its old connections in
    // TIME_WAIT notwithstanding.
    #[cfg(unix)]
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(BACKLOG)
}

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
    let requested = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let first = requested.clone();
    let service =
        hyper::service::service_fn(move |mut request: hyper::Request<hyper::body::Incoming>| {
            first.store(true, std::sync::atomic::Ordering::Relaxed);
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
    let connection = builder.serve_connection_with_upgrades(io, service);
    tokio::pin!(connection);
    // hyper's header deadline starts once it knows HTTP/1 from HTTP/2: a first request
    // must have come by the deadline however its bytes trickle.
    tokio::select! {
        _ = &mut connection => return,
        _ = tokio::time::sleep(head_deadline) => {}
    }
    if requested.load(std::sync::atomic::Ordering::Relaxed) {
        let _ = connection.await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .build()
            .expect("runtime")
    }

    #[test]
    fn an_address_without_a_port_is_refused_by_name() {
        match runtime().block_on(bind("127.0.0.1")) {
            Err(Error::Io { path, .. }) => assert_eq!(path, std::path::Path::new("127.0.0.1")),
            other => panic!("expected an I/O error, got {other:?}"),
        }
    }

    /// While the service accepts nothing, the kernel completes as many connections as the
    /// backlog (capped by `net.core.somaxconn`) allows; with 128 the 130th would stall.
    #[cfg(target_os = "linux")]
    #[test]
    fn connections_queue_beyond_the_standard_librarys_backlog() {
        let somaxconn: usize = std::fs::read_to_string("/proc/sys/net/core/somaxconn")
            .ok()
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(128);
        let runtime = runtime();
        let listener = runtime.block_on(bind("127.0.0.1:0")).expect("binds");
        let address = listener.local_addr().expect("address");
        let count = somaxconn.min(300);
        let connections: Vec<_> = (0..count)
            .map(|i| {
                std::net::TcpStream::connect_timeout(&address, Duration::from_secs(5))
                    .unwrap_or_else(|e| panic!("connection {i} of {count}: {e}"))
            })
            .collect();
        let queued: std::collections::HashSet<SocketAddr> = (0..count)
            .map(|_| runtime.block_on(listener.accept()).expect("accepts").1)
            .collect();
        let made = connections
            .iter()
            .map(|c| c.local_addr().expect("address"))
            .collect();
        assert_eq!(queued, made);
    }
}
