//! A small registry of counters and histograms, rendered as Prometheus text at `/metrics`.
//!
//! Written here rather than taken from a crate: the server needs a handful of series, and
//! atomics are enough. Label values that clients choose (operation names) are capped at
//! [`MAX_OPERATIONS`] distinct values, after which they count as `other`, so that a client
//! cannot make the registry grow without bound.

use parking_lot::Mutex;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Distinct operation names kept as labels.
pub const MAX_OPERATIONS: usize = 200;

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 12] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0,
];

/// A latency histogram with fixed buckets (cumulative counts are computed when rendered).
#[derive(Debug, Default)]
pub struct Histogram {
    buckets: [AtomicU64; BUCKETS.len()],
    count: AtomicU64,
    sum_micros: AtomicU64,
}

impl Histogram {
    pub fn observe(&self, duration: Duration) {
        let seconds = duration.as_secs_f64();
        if let Some(index) = BUCKETS.iter().position(|bound| seconds <= *bound) {
            self.buckets[index].fetch_add(1, Ordering::Relaxed);
        }
        self.count.fetch_add(1, Ordering::Relaxed);
        let micros = u64::try_from(duration.as_micros()).unwrap_or(u64::MAX);
        self.sum_micros.fetch_add(micros, Ordering::Relaxed);
    }

    pub fn count(&self) -> u64 {
        self.count.load(Ordering::Relaxed)
    }

    fn render(&self, out: &mut String, name: &str, labels: &str) {
        let mut cumulative = 0;
        let separator = if labels.is_empty() { "" } else { "," };
        for (bound, bucket) in BUCKETS.iter().zip(&self.buckets) {
            cumulative += bucket.load(Ordering::Relaxed);
            let _ = writeln!(
                out,
                "{name}_bucket{{{labels}{separator}le=\"{bound}\"}} {cumulative}"
            );
        }
        let count = self.count();
        let _ = writeln!(
            out,
            "{name}_bucket{{{labels}{separator}le=\"+Inf\"}} {count}"
        );
        let braces = if labels.is_empty() {
            String::new()
        } else {
            format!("{{{labels}}}")
        };
        let sum = self.sum_micros.load(Ordering::Relaxed) as f64 / 1e6;
        let _ = writeln!(out, "{name}_sum{braces} {sum}");
        let _ = writeln!(out, "{name}_count{braces} {count}");
    }
}

/// Every series the server exports.
#[derive(Debug, Default)]
pub struct Metrics {
    /// Appends acknowledged by the log (one per command that wrote).
    appends: AtomicU64,
    /// Events those appends wrote.
    events_appended: AtomicU64,
    append_latency: Histogram,
    /// GraphQL requests by (operation, outcome): outcome is `ok` or an error code.
    requests: Mutex<BTreeMap<(String, String), u64>>,
    request_latency: Histogram,
    /// Requests answered from the cache of read-only queries ([`crate::cache`]).
    cached_answers: AtomicU64,
}

/// Figures read at render time rather than counted.
#[derive(Debug, Clone, Copy, Default)]
pub struct Gauges {
    pub head_position: u64,
    /// Head position minus the read model's position; `None` without a projector.
    pub projection_lag: Option<u64>,
    pub verified_up_to: u64,
    pub verified: bool,
    /// The log writer's own counters (every append, whoever made it).
    pub log: eventlog::Stats,
}

impl Metrics {
    pub fn new() -> Metrics {
        Metrics::default()
    }

    /// Called by the command service after each acknowledged append (the log's own counters,
    /// rendered beside, count every append but cannot time a command's wait).
    pub fn record_append(&self, n_events: usize, latency: Duration) {
        self.appends.fetch_add(1, Ordering::Relaxed);
        self.events_appended
            .fetch_add(n_events as u64, Ordering::Relaxed);
        self.append_latency.observe(latency);
    }

    /// Called once per GraphQL operation answered over HTTP.
    pub fn record_request(&self, operation: Option<&str>, outcome: &str, latency: Duration) {
        let operation = operation
            .filter(|name| {
                !name.is_empty()
                    && name.len() <= 64
                    && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
            })
            .unwrap_or("anonymous");
        let mut requests = self.requests.lock();
        let key = (operation.to_owned(), outcome.to_owned());
        let distinct = requests.len();
        let key = if requests.contains_key(&key) || distinct < MAX_OPERATIONS * 4 {
            key
        } else {
            ("other".to_owned(), outcome.to_owned())
        };
        *requests.entry(key).or_insert(0) += 1;
        drop(requests);
        self.request_latency.observe(latency);
    }

    /// Called, beside [`Metrics::record_request`], for a request answered from the cache.
    pub fn record_cached_answer(&self) {
        self.cached_answers.fetch_add(1, Ordering::Relaxed);
    }

    /// How many requests ended with this (operation, outcome) so far.
    pub fn requests(&self, operation: &str, outcome: &str) -> u64 {
        self.requests
            .lock()
            .get(&(operation.to_owned(), outcome.to_owned()))
            .copied()
            .unwrap_or(0)
    }

    /// The Prometheus text exposition (version 0.0.4).
    pub fn render(&self, gauges: Gauges) -> String {
        let mut out = String::new();
        let mut counter = |name: &str, help: &str, value: u64| {
            let _ = writeln!(out, "# HELP {name} {help}");
            let _ = writeln!(out, "# TYPE {name} counter");
            let _ = writeln!(out, "{name} {value}");
        };
        counter(
            "chronique_appends_total",
            "Appends acknowledged by the event log.",
            self.appends.load(Ordering::Relaxed),
        );
        counter(
            "chronique_events_appended_total",
            "Events written by those appends.",
            self.events_appended.load(Ordering::Relaxed),
        );
        counter(
            "chronique_graphql_cached_answers_total",
            "GraphQL requests answered from the cache of read-only queries.",
            self.cached_answers.load(Ordering::Relaxed),
        );
        counter(
            "chronique_log_appends_total",
            "Append requests handed to the log's writer, from any caller.",
            gauges.log.appends_sent,
        );
        counter(
            "chronique_log_events_written_total",
            "Events the log's writer wrote.",
            gauges.log.events_written,
        );
        counter(
            "chronique_log_group_commits_total",
            "Groups of appends the writer committed together.",
            gauges.log.groups,
        );
        counter(
            "chronique_log_flushes_total",
            "Flushes to disk made to acknowledge durable appends.",
            gauges.log.flushes,
        );
        let _ = writeln!(
            out,
            "# HELP chronique_append_latency_seconds Time from a command's append request to its acknowledgement."
        );
        let _ = writeln!(out, "# TYPE chronique_append_latency_seconds histogram");
        self.append_latency
            .render(&mut out, "chronique_append_latency_seconds", "");

        let mut gauge = |name: &str, help: &str, value: u64| {
            let _ = writeln!(out, "# HELP {name} {help}");
            let _ = writeln!(out, "# TYPE {name} gauge");
            let _ = writeln!(out, "{name} {value}");
        };
        gauge(
            "chronique_head_position",
            "Position of the last acknowledged event.",
            gauges.head_position,
        );
        if let Some(lag) = gauges.projection_lag {
            gauge(
                "chronique_projection_lag_events",
                "Events acknowledged but not yet applied to the read models.",
                lag,
            );
        }
        gauge(
            "chronique_verified_up_to",
            "Last position of the hash chain verified by this server.",
            gauges.verified_up_to,
        );
        gauge(
            "chronique_chain_verified",
            "1 when the whole chain up to the head verified, else 0.",
            u64::from(gauges.verified),
        );

        let _ = writeln!(
            out,
            "# HELP chronique_graphql_requests_total GraphQL operations answered, by operation name and outcome (ok or the error code)."
        );
        let _ = writeln!(out, "# TYPE chronique_graphql_requests_total counter");
        for ((operation, outcome), value) in self.requests.lock().iter() {
            let _ = writeln!(
                out,
                "chronique_graphql_requests_total{{operation=\"{operation}\",outcome=\"{outcome}\"}} {value}"
            );
        }
        let _ = writeln!(
            out,
            "# HELP chronique_graphql_request_duration_seconds Time to answer a GraphQL operation over HTTP."
        );
        let _ = writeln!(
            out,
            "# TYPE chronique_graphql_request_duration_seconds histogram"
        );
        self.request_latency
            .render(&mut out, "chronique_graphql_request_duration_seconds", "");
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rendering_lists_counters_histograms_and_gauges() {
        let metrics = Metrics::new();
        metrics.record_append(3, Duration::from_micros(700));
        metrics.record_request(Some("Me"), "ok", Duration::from_millis(2));
        metrics.record_request(Some("bad name!"), "VALIDATION", Duration::from_millis(2));
        let text = metrics.render(Gauges {
            head_position: 7,
            projection_lag: Some(0),
            verified_up_to: 7,
            verified: true,
            log: eventlog::Stats::default(),
        });
        assert!(text.contains("chronique_appends_total 1\n"));
        assert!(text.contains("chronique_events_appended_total 3\n"));
        assert!(text.contains("chronique_append_latency_seconds_bucket{le=\"0.001\"} 1\n"));
        assert!(text.contains("chronique_append_latency_seconds_count 1\n"));
        assert!(
            text.contains("chronique_graphql_requests_total{operation=\"Me\",outcome=\"ok\"} 1\n")
        );
        assert!(text.contains(
            "chronique_graphql_requests_total{operation=\"anonymous\",outcome=\"VALIDATION\"} 1\n"
        ));
        assert!(text.contains("chronique_head_position 7\n"));
        assert!(text.contains("chronique_projection_lag_events 0\n"));
    }
}
