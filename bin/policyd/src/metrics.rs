//! Prometheus metrics, kept with `prometheus-client` (the Prometheus
//! project's own Rust client) and served in the OpenMetrics text format.

use std::sync::atomic::AtomicU64;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

/// The content type of `/metrics`.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    endpoint: &'static str,
    outcome: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct EndpointLabel {
    endpoint: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ResultLabel {
    result: &'static str,
}

/// Every metric the daemon exports.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<EndpointLabel, Histogram>,
    reloads: Family<ResultLabel, Counter>,
    last_success: Gauge<f64, AtomicU64>,
    generation: Gauge,
    stale: Gauge,
    log_dropped: Counter,
    removed_most: Counter,
}

impl Metrics {
    /// Registers every metric.
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("policyd");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "requests",
            "Decision requests by endpoint and outcome",
            requests.clone(),
        );
        // 10 µs to ~80 ms: decisions take microseconds; the tail shows
        // scheduling, not evaluation.
        let latency = Family::<EndpointLabel, Histogram>::new_with_constructor(|| {
            Histogram::new(exponential_buckets(0.000_01, 2.0, 14))
        });
        registry.register(
            "request_duration_seconds",
            "Time from request received to response ready, by endpoint",
            latency.clone(),
        );
        let reloads = Family::<ResultLabel, Counter>::default();
        registry.register(
            "reloads",
            "Reload attempts by result (ok, unchanged, failed, unsettled)",
            reloads.clone(),
        );
        let last_success = Gauge::<f64, AtomicU64>::default();
        registry.register(
            "last_successful_reload_timestamp_seconds",
            "Unix time the serving policy was loaded",
            last_success.clone(),
        );
        let generation = Gauge::default();
        registry.register(
            "policy_generation",
            "How many policies have been served since start (1 = the initial one)",
            generation.clone(),
        );
        let stale = Gauge::default();
        registry.register(
            "policy_stale",
            "1 when the newest files failed to load and an older policy is kept",
            stale.clone(),
        );
        let log_dropped = Counter::default();
        registry.register(
            "decision_log_dropped",
            "Decision log lines lost: dropped because the writer fell behind, or not written (e.g. a full disk)",
            log_dropped.clone(),
        );
        let removed_most = Counter::default();
        registry.register(
            "reloads_removing_most_providers",
            "Reloads that removed more than half of the served providers (a file read unfinished?)",
            removed_most.clone(),
        );
        Self {
            registry,
            requests,
            latency,
            reloads,
            last_success,
            generation,
            stale,
            log_dropped,
            removed_most,
        }
    }

    /// Counts one request and its latency.
    pub fn request(&self, endpoint: &'static str, outcome: &'static str, took: Duration) {
        self.requests
            .get_or_create(&RequestLabels { endpoint, outcome })
            .inc();
        self.latency
            .get_or_create(&EndpointLabel { endpoint })
            .observe(took.as_secs_f64());
    }

    /// Counts a reload attempt.
    pub fn reload(&self, result: &'static str) {
        self.reloads.get_or_create(&ResultLabel { result }).inc();
    }

    /// Counts a reload that removed most providers.
    pub fn removed_most(&self) {
        self.removed_most.inc();
    }

    /// Records the policy now served.
    pub fn served(&self, generation: u64, loaded_at: SystemTime) {
        self.generation
            .set(i64::try_from(generation).unwrap_or(i64::MAX));
        let secs = loaded_at
            .duration_since(UNIX_EPOCH)
            .map_or(0.0, |d| d.as_secs_f64());
        self.last_success.set(secs);
    }

    /// Records whether the newest files failed to load.
    pub fn set_stale(&self, stale: bool) {
        self.stale.set(i64::from(stale));
    }

    /// Counts a dropped decision-log line.
    pub fn log_dropped(&self) {
        self.log_dropped.inc();
    }

    /// The dropped-lines counter, for the decision log's writer thread.
    pub fn log_dropped_counter(&self) -> Counter {
        self.log_dropped.clone()
    }

    /// The exposition text.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        if prometheus_client::encoding::text::encode(&mut out, &self.registry).is_err() {
            // Writing to a String cannot fail; keep the endpoint valid anyway.
            out = "# EOF\n".to_string();
        }
        out
    }
}
