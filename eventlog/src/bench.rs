//! The benchmark of the log, shared by `cargo bench -p eventlog` and `chronique bench`.
//!
//! Each figure is printed as one line `bench <name> <value> <unit>`. Figures are measured on
//! fresh stores in sub-directories of the directory given, with payloads of about 300 bytes.
//! `read_all` is the first pass over a store just reopened (sled's cache empty, as when the
//! projections rebuild at start-up); `read_all_second_pass` reads it again.
//!
//! On PostgreSQL ([`Target::Postgres`]) the same figures are measured in fresh schemas of the
//! database given, named with the suffix `_postgres`, and beside them
//! `plain_table_c64_postgres`: a plain event table of the same server with 64 clients, each
//! committing its own insert (`pg::plain_table_inserts`), the way an application without
//! Chronique's single writer would append.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use chrono::NaiveDate;

use crate::{
    AppendRequest, Durability, Error, EventLog, ExpectedVersion, NewEvent, Options, StoreLocation,
};

/// Where the figures are measured: fresh stores in sub-directories of a directory (sled), or
/// fresh schemas `chronique_bench_<name>` of a PostgreSQL database, dropped afterwards.
#[derive(Debug, Clone)]
pub enum Target {
    Dir(PathBuf),
    Postgres(String),
}

impl Target {
    /// A fresh, empty store named `name`.
    pub fn store(&self, name: &str) -> Result<StoreLocation, Error> {
        match self {
            Target::Dir(dir) => Ok(StoreLocation::Dir(dir.join(name))),
            Target::Postgres(url) => Ok(StoreLocation::Postgres(crate::pg::fresh_schema(
                url,
                &schema_name(name),
            )?)),
        }
    }

    /// Removes the store named `name` (PostgreSQL: its schema; a directory stays for the
    /// caller to remove with its parent).
    pub fn remove(&self, name: &str) -> Result<(), Error> {
        match self {
            Target::Dir(_) => Ok(()),
            Target::Postgres(url) => crate::pg::drop_schema(url, &schema_name(name)),
        }
    }

    /// What the names of the figures end with: nothing on sled, `_postgres` on PostgreSQL.
    pub fn suffix(&self) -> &'static str {
        match self {
            Target::Dir(_) => "",
            Target::Postgres(_) => "_postgres",
        }
    }
}

fn schema_name(name: &str) -> String {
    format!(
        "chronique_bench_{}",
        name.replace(|c: char| !c.is_ascii_alphanumeric(), "_")
    )
}

/// One measured figure.
#[derive(Debug, Clone, PartialEq)]
pub struct Figure {
    pub name: String,
    pub value: f64,
    pub unit: &'static str,
}

impl fmt::Display for Figure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.value >= 100.0 {
            write!(f, "bench {} {:.0} {}", self.name, self.value, self.unit)
        } else {
            write!(f, "bench {} {:.2} {}", self.name, self.value, self.unit)
        }
    }
}

/// How long each timed append figure runs, and how many events the read figures use.
#[derive(Debug, Clone)]
pub struct Settings {
    pub append_duration: Duration,
    pub n_read_events: u64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            append_duration: Duration::from_secs(4),
            n_read_events: 100_000,
        }
    }
}

/// A payload of about 300 bytes that looks like an encoded domain event.
pub fn payload(n: u64) -> Vec<u8> {
    let text = format!(
        "{{\"action\":\"action-bench.a{}\",\"title\":\"Atelier de lecture partagée au collège, \
         séance numéro {n}\",\"amount_cents\":{},\"funder\":\"etat-politique-de-la-ville\",\
         \"axis\":\"reussite-educative\",\"comment\":\"Décision du comité de pilotage, \
         relevé de conclusions joint au dossier de la Cité éducative\"}}",
        n % 1000,
        (n * 7919) % 1_000_000
    );
    text.into_bytes()
}

fn event(n: u64) -> NewEvent {
    let date = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap_or_default();
    NewEvent::new("BenchEvent", 1, date, "bench", payload(n))
}

fn one_event(n: u64) -> AppendRequest {
    AppendRequest::single(
        format!("action-bench.a{}", n % 1000),
        ExpectedVersion::Any,
        vec![event(n)],
    )
}

fn percentile(sorted: &[Duration], per_cent: usize) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let index = (sorted.len() * per_cent / 100).min(sorted.len() - 1);
    sorted[index].as_secs_f64() * 1e6
}

fn directory_size(path: &Path) -> std::io::Result<u64> {
    let mut total = 0;
    for entry in std::fs::read_dir(path)? {
        let entry = entry?;
        let metadata = entry.metadata()?;
        total += if metadata.is_dir() {
            directory_size(&entry.path())?
        } else {
            metadata.len()
        };
    }
    Ok(total)
}

/// Runs every figure in fresh stores of `target`, calling `report` as each is measured.
pub fn run(
    target: &Target,
    settings: &Settings,
    mut report: impl FnMut(&Figure),
) -> Result<Vec<Figure>, Error> {
    let result = run_figures(target, settings, &mut report);
    for name in ["c1", "c16", "c64", "reads"] {
        let _ = target.remove(name);
    }
    result
}

fn run_figures(
    target: &Target,
    settings: &Settings,
    report: &mut impl FnMut(&Figure),
) -> Result<Vec<Figure>, Error> {
    let mut figures = Vec::new();
    let suffix = target.suffix();
    let mut emit = |name: &str, value: f64, unit: &'static str| {
        let figure = Figure {
            name: format!("{name}{suffix}"),
            value,
            unit,
        };
        report(&figure);
        figures.push(figure);
    };

    // One writer, one event per append, durable: the latency of a single fsync'd append.
    {
        let log = EventLog::open_store(&target.store("c1")?, Options::default())?;
        let mut latencies = Vec::new();
        let started = Instant::now();
        let mut n = 0;
        while started.elapsed() < settings.append_duration {
            let before = Instant::now();
            log.append_blocking(one_event(n))?;
            latencies.push(before.elapsed());
            n += 1;
        }
        let rate = n as f64 / started.elapsed().as_secs_f64();
        latencies.sort();
        emit("append_durable_c1", rate, "events/s");
        emit("append_latency_p50_c1", percentile(&latencies, 50), "µs");
        emit("append_latency_p99_c1", percentile(&latencies, 99), "µs");
    }

    for n_writers in [16, 64] {
        let log =
            EventLog::open_store(&target.store(&format!("c{n_writers}"))?, Options::default())?;
        let before = log.stats();
        let rate = concurrent_appends(&log, n_writers, settings.append_duration)?;
        let after = log.stats();
        emit(&format!("append_durable_c{n_writers}"), rate, "events/s");
        let flushes = after.flushes.saturating_sub(before.flushes).max(1);
        let events = after.events_written.saturating_sub(before.events_written);
        emit(
            &format!("events_per_flush_c{n_writers}"),
            events as f64 / flushes as f64,
            "events",
        );
    }

    // Buffered, 16 writers: also fills the store the read figures use.
    let read_path = target.store("reads")?;
    {
        let options = Options {
            durability: Durability::Buffered,
            ..Options::default()
        };
        let log = EventLog::open_store(&read_path, options)?;
        let started = Instant::now();
        fill(&log, 16, settings.n_read_events)?;
        log.flush()?;
        let rate = settings.n_read_events as f64 / started.elapsed().as_secs_f64();
        emit("append_buffered", rate, "events/s");
    }
    let size = {
        let log = EventLog::open_store(&read_path, Options::default())?;
        let started = Instant::now();
        let mut n_read = 0u64;
        let mut n_bytes = 0usize;
        for envelope in log.read_all(1) {
            n_bytes += envelope?.payload.len();
            n_read += 1;
        }
        let elapsed = started.elapsed().as_secs_f64();
        if n_read != settings.n_read_events || n_bytes == 0 {
            return Err(Error::Bug(format!(
                "read_all read {n_read} events, {} were written",
                settings.n_read_events
            )));
        }
        emit("read_all", n_read as f64 / elapsed, "events/s");

        // Again, with whatever of the store sled's cache now holds.
        let started = Instant::now();
        let n_again = log.read_all(1).filter(Result::is_ok).count();
        emit(
            "read_all_second_pass",
            n_again as f64 / started.elapsed().as_secs_f64(),
            "events/s",
        );

        let started = Instant::now();
        let verified = log.verify()?;
        let elapsed = started.elapsed().as_secs_f64();
        if !verified.is_ok() {
            return Err(Error::Bug(format!("verify failed: {verified:?}")));
        }
        emit(
            "verify",
            verified.verified_up_to as f64 / elapsed,
            "events/s",
        );
        match &read_path {
            StoreLocation::Dir(_) => None,
            StoreLocation::Postgres(_) => Some(log.size_on_disk()?),
        }
    };
    let size = match (&read_path, size) {
        (StoreLocation::Dir(path), _) => directory_size(path)?,
        (_, size) => size.unwrap_or(0),
    };
    emit(
        "bytes_per_event",
        size as f64 / settings.n_read_events as f64,
        "bytes",
    );
    if let Target::Postgres(url) = target {
        let url = crate::pg::fresh_schema(url, &schema_name("plain"))?;
        let rate = crate::pg::plain_table_inserts(&url, 64, settings.append_duration, payload);
        let _ = target.remove("plain");
        emit("plain_table_c64", rate?, "events/s");
    }
    Ok(figures)
}

fn runtime() -> Result<tokio::runtime::Runtime, Error> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?)
}

/// `n_writers` tasks append one event at a time until `duration` has passed; events/s.
fn concurrent_appends(log: &EventLog, n_writers: u64, duration: Duration) -> Result<f64, Error> {
    let counter = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    runtime()?.block_on(async {
        let mut tasks = Vec::new();
        for writer in 0..n_writers {
            let log = log.clone();
            let counter = counter.clone();
            tasks.push(tokio::spawn(async move {
                let mut n = writer;
                while started.elapsed() < duration {
                    log.append(one_event(n)).await?;
                    counter.fetch_add(1, Ordering::Relaxed);
                    n += n_writers;
                }
                Ok::<(), Error>(())
            }));
        }
        for task in tasks {
            task.await
                .map_err(|e| Error::Bug(format!("bench task failed: {e}")))??;
        }
        Ok::<(), Error>(())
    })?;
    Ok(counter.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64())
}

/// Appends exactly `n_events` events with `n_writers` concurrent tasks.
fn fill(log: &EventLog, n_writers: u64, n_events: u64) -> Result<(), Error> {
    runtime()?.block_on(async {
        let mut tasks = Vec::new();
        for writer in 0..n_writers {
            let log = log.clone();
            tasks.push(tokio::spawn(async move {
                let mut n = writer;
                while n < n_events {
                    log.append(one_event(n)).await?;
                    n += n_writers;
                }
                Ok::<(), Error>(())
            }));
        }
        for task in tasks {
            task.await
                .map_err(|e| Error::Bug(format!("bench task failed: {e}")))??;
        }
        Ok(())
    })
}
