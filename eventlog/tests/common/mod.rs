//! Helpers shared by the integration tests of `eventlog`.
#![allow(dead_code)]

use std::path::Path;

use chrono::NaiveDate;
use eventlog::{AppendRequest, EventLog, ExpectedVersion, NewEvent, Options, StreamAppend};

pub fn date() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 3, 14).expect("a valid date")
}

pub fn event(text: &str) -> NewEvent {
    NewEvent::new("TestEvent", 1, date(), "tester", text.as_bytes().to_vec())
}

pub fn events(n: usize, prefix: &str) -> Vec<NewEvent> {
    (0..n).map(|i| event(&format!("{prefix}-{i}"))).collect()
}

pub fn single(stream: &str, expected: ExpectedVersion, n: usize) -> AppendRequest {
    AppendRequest::single(stream, expected, events(n, stream))
}

pub fn multi(streams: &[(&str, ExpectedVersion, usize)]) -> AppendRequest {
    AppendRequest {
        streams: streams
            .iter()
            .map(|(stream, expected, n)| StreamAppend {
                stream_id: stream.to_string(),
                expected: *expected,
                events: events(*n, stream),
            })
            .collect(),
        command: None,
    }
}

pub fn open(path: &Path) -> EventLog {
    try_open(path).unwrap_or_else(|error| panic!("the store does not open: {error}"))
}

/// [`open`]'s result, for the tests of stores that must not open.
pub fn try_open(path: &Path) -> Result<EventLog, eventlog::Error> {
    EventLog::open(path, Options::default())
}

/// Runs `f` on the sled database of the store in `path`, opened directly (to read or damage it
/// as a disk or an attacker would), then waits until sled has released the directory's lock,
/// as dropping an [`EventLog`] does: sled's own threads may hold it a moment longer.
pub fn with_raw<R>(path: &Path, f: impl FnOnce(&sled::Db) -> R) -> R {
    let db =
        sled::open(path).unwrap_or_else(|e| panic!("sled does not open {}: {e}", path.display()));
    let result = f(&db);
    db.flush().unwrap();
    drop(db);
    let file = std::fs::File::open(path.join("db")).unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while let Err(std::fs::TryLockError::WouldBlock) = file.try_lock() {
        assert!(
            std::time::Instant::now() < deadline,
            "sled kept its lock on {}",
            path.display()
        );
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    result
}

pub fn all(log: &EventLog) -> Vec<eventlog::Envelope> {
    log.read_all(1)
        .collect::<Result<Vec<_>, _>>()
        .expect("the log reads")
}
