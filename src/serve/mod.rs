//! `eseal serve`: a verification and issuing service over HTTP/1.1 and HTTP/2 (hyper and
//! axum on tokio, TLS by rustls), with the web page service-hall clerks use.
//!
//! - `POST /v1/verify`: any input [`crate::Verifier::verify`] takes; the JSON report.
//! - `POST /v1/verify/report.pdf`: the same, as a printable verification report.
//! - The issuing API of an office (`/v1/licences…`), its status list and trust list.
//! - `POST /tsa`: the office's RFC 3161 timestamping authority.
//! - `/healthz`, `/metrics` (Prometheus), `/` (the web page).
//!
//! Verification is stateless: instances behind a load balancer answer alike as long as
//! they load the same trust folder. `openapi.yaml` at the repository's root describes the
//! API.

mod api;
mod auth;
mod config;
mod error;
mod listen;
mod log;
mod metrics;
mod office;
mod strict;
mod trust;
mod web;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

pub use auth::Role;
pub use config::{Config, Limits, OperatorConfig, TlsConfig, TsaConfig};
#[cfg(feature = "test-util")]
#[doc(hidden)]
pub use strict::fuzz_framing;

use crate::{Result, TimestampAuthority};

/// What every request handler reads.
pub(crate) struct State {
    pub config: Config,
    pub trust: trust::TrustMaterial,
    pub operators: auth::Operators,
    pub office: Option<office::Office>,
    pub tsa: Option<Arc<TimestampAuthority>>,
    pub verifications: tokio::sync::Semaphore,
    pub metrics: metrics::Metrics,
}

/// A configured service: trust material loaded, office opened, not yet listening.
pub struct Service {
    state: Arc<State>,
}

impl Service {
    /// Loads the trust folder, opens the office (if any) and checks the operators; `tsa`
    /// is the timestamping authority to serve at `/tsa`.
    pub fn new(config: Config, tsa: Option<TimestampAuthority>) -> Result<Service> {
        let now = SystemTime::now();
        let trust = trust::TrustMaterial::load(config.trust_dir.as_deref(), now)?;
        let operators = auth::Operators::new(&config.operators, config.anonymous)?;
        let office = match &config.office {
            Some(dir) => Some(office::Office::open(dir, &config)?),
            None => None,
        };
        let slots = match config.limits.max_concurrent_verifications {
            0 => 2 * std::thread::available_parallelism().map_or(2, |n| n.get()),
            n => n,
        };
        let state = Arc::new(State {
            trust,
            operators,
            office,
            tsa: tsa.map(Arc::new),
            verifications: tokio::sync::Semaphore::new(slots),
            metrics: metrics::Metrics::new(),
            config,
        });
        if let Some(office) = &state.office {
            office.publish_status_list(&state.trust, 0)?;
        }
        Ok(Service { state })
    }

    /// The routes, for embedding in another axum application.
    pub fn router(&self) -> axum::Router {
        api::router(self.state.clone())
    }

    /// Serves on `listener` until `shutdown` completes; reloads the trust folder on
    /// SIGHUP and when its files change. Give `listener` a deep backlog
    /// (`tokio::net::TcpSocket::listen`; [`Service::run`] asks for 4096): the 128 of
    /// `TcpListener::bind` overflows under a connection flood.
    pub async fn serve(
        self,
        listener: tokio::net::TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<()> {
        self.spawn_reloads();
        self.accept(listener, shutdown).await
    }

    async fn accept(
        self,
        listener: tokio::net::TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<()> {
        let tls = match &self.state.config.tls {
            Some(tls) => Some(listen::tls_acceptor(tls)?),
            None => None,
        };
        listen::accept_loop(
            listener,
            tls,
            self.router(),
            self.state.config.limits.clone(),
            shutdown,
        )
        .await;
        Ok(())
    }

    /// Binds the configured address, prints the service's URL on standard output and
    /// serves until Ctrl-C or SIGTERM.
    pub fn run(self) -> Result<()> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .map_err(|e| crate::Error::io("tokio runtime", e))?;
        runtime.block_on(async move {
            let address = self.state.config.listen.clone();
            let listener = listen::bind(&address).await?;
            let local = listener
                .local_addr()
                .map_err(|e| crate::Error::io(&address, e))?;
            // Reloads (and the SIGHUP handler) first: whoever reads the URL may signal.
            self.spawn_reloads();
            println!("{}", self.url(local));
            log::event("listening", &[("address", local.to_string())]);
            self.accept(listener, stop_signal()).await
        })
    }

    /// The URL the service answers at when bound to `local`.
    pub fn url(&self, local: SocketAddr) -> String {
        let scheme = if self.state.config.tls.is_some() {
            "https"
        } else {
            "http"
        };
        format!("{scheme}://{local}/")
    }

    fn spawn_reloads(&self) {
        let interval = self.state.config.reload_interval_secs;
        if interval > 0 {
            let state = self.state.clone();
            tokio::spawn(async move {
                let mut ticks = tokio::time::interval(Duration::from_secs(interval));
                loop {
                    ticks.tick().await;
                    let state = state.clone();
                    let _ =
                        tokio::task::spawn_blocking(move || state.trust.reload_if_changed()).await;
                }
            });
        }
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            let state = self.state.clone();
            if let Ok(mut hangups) = signal(SignalKind::hangup()) {
                tokio::spawn(async move {
                    while hangups.recv().await.is_some() {
                        let state = state.clone();
                        let _ = tokio::task::spawn_blocking(move || {
                            state.trust.reload(SystemTime::now())
                        })
                        .await;
                    }
                });
            }
        }
    }
}

/// Serves `tsa` (and the rest of [`Config::default`]: verification trusting nothing) on
/// 127.0.0.1 at a free port in a thread of its own, for tests and local use; returns the
/// service's URL (`http://127.0.0.1:PORT/`) and the thread, which serves until the
/// process ends.
pub fn spawn_local(
    tsa: TimestampAuthority,
) -> Result<(String, std::thread::JoinHandle<Result<()>>)> {
    let io = |e| crate::Error::io("127.0.0.1:0", e);
    let listener = std::net::TcpListener::bind(("127.0.0.1", 0)).map_err(io)?;
    listener.set_nonblocking(true).map_err(io)?;
    let local = listener.local_addr().map_err(io)?;
    let service = Service::new(Config::default(), Some(tsa))?;
    let url = service.url(local);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| crate::Error::io("tokio runtime", e))?;
    let thread = std::thread::Builder::new()
        .name("eseal-serve".into())
        .spawn(move || {
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener)
                    .map_err(|e| crate::Error::io("127.0.0.1:0", e))?;
                service.serve(listener, std::future::pending()).await
            })
        })
        .map_err(|e| crate::Error::io("eseal-serve thread", e))?;
    Ok((url, thread))
}

/// Ctrl-C or, on Unix, SIGTERM.
async fn stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut terminate) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = terminate.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
