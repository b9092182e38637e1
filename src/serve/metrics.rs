//! `/metrics`: Prometheus text exposition of requests, verdicts, latencies and the age of
//! the trust material.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    route: String,
    method: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct VerdictLabels {
    kind: String,
    indication: String,
}

type HistogramFamily<L> = Family<L, Histogram, fn() -> Histogram>;

/// The service's metrics.
pub(crate) struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: HistogramFamily<RouteLabels>,
    verdicts: Family<VerdictLabels, Counter>,
    trust_age: Gauge,
    trust_reload_failures: Gauge,
}

/// 0.5 ms to about 16 s.
fn latency_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.0005, 2.0, 16))
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("eseal");
        let requests = Family::<RequestLabels, Counter>::default();
        let latency = HistogramFamily::new_with_constructor(latency_histogram as fn() -> _);
        let verdicts = Family::<VerdictLabels, Counter>::default();
        let trust_age = Gauge::default();
        let trust_reload_failures = Gauge::default();
        registry.register(
            "http_requests",
            "HTTP requests answered, by route, method and status",
            requests.clone(),
        );
        registry.register(
            "http_request_duration_seconds",
            "Time from a request's head to its answer, by route",
            latency.clone(),
        );
        registry.register(
            "verifications",
            "Verifications by kind of the first entry and overall indication",
            verdicts.clone(),
        );
        registry.register(
            "trust_material_age_seconds",
            "Seconds since the trust material in use was loaded",
            trust_age.clone(),
        );
        registry.register(
            "trust_reload_failures",
            "Reloads of the trust folder that failed (the last good set stayed)",
            trust_reload_failures.clone(),
        );
        Metrics {
            registry,
            requests,
            latency,
            verdicts,
            trust_age,
            trust_reload_failures,
        }
    }

    /// Counts a request to `route` answered with `status` after `seconds`.
    pub fn request(&self, route: &str, method: &str, status: u16, seconds: f64) {
        self.requests
            .get_or_create(&RequestLabels {
                route: route.to_owned(),
                method: method.to_owned(),
                status,
            })
            .inc();
        self.latency
            .get_or_create(&RouteLabels {
                route: route.to_owned(),
            })
            .observe(seconds);
    }

    /// Counts a verification's verdict.
    pub fn verdict(&self, kind: &str, indication: &str) {
        self.verdicts
            .get_or_create(&VerdictLabels {
                kind: kind.to_owned(),
                indication: indication.to_owned(),
            })
            .inc();
    }

    /// The exposition, with the trust material's age and reload failures as of now.
    pub fn render(&self, trust_age: u64, reload_failures: u64) -> String {
        self.trust_age.set(trust_age as i64);
        self.trust_reload_failures.set(reload_failures as i64);
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &self.registry)
            .expect("writing to a String does not fail");
        text
    }
}
