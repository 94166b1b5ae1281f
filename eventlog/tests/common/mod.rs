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

/// Opens the store in `path`. Right after a handle on the same store was dropped in this
/// process, sled's background threads may hold its lock a moment longer: `Locked` is retried
/// for a while (another process holding the store is not what these tests are about).
pub fn open(path: &Path) -> EventLog {
    try_open(path).unwrap_or_else(|error| panic!("the store does not open: {error}"))
}

/// [`open`]'s result, for the tests of stores that must not open.
pub fn try_open(path: &Path) -> Result<EventLog, eventlog::Error> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        match EventLog::open(path, Options::default()) {
            Err(eventlog::Error::Locked { .. }) if std::time::Instant::now() < deadline => {
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            result => return result,
        }
    }
}

/// Opens the sled database of the store in `path` directly (to damage it), with the same
/// patience as [`open`] for a lock not yet released.
pub fn open_raw(path: &Path) -> sled::Db {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        match sled::open(path) {
            Ok(db) => return db,
            Err(sled::Error::Io(error))
                if error.to_string().contains("could not acquire lock")
                    && std::time::Instant::now() < deadline =>
            {
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            Err(error) => panic!("sled does not open {}: {error}", path.display()),
        }
    }
}

pub fn all(log: &EventLog) -> Vec<eventlog::Envelope> {
    log.read_all(1)
        .collect::<Result<Vec<_>, _>>()
        .expect("the log reads")
}
