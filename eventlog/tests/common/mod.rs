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
    EventLog::open(path, Options::default()).expect("the store opens")
}

pub fn all(log: &EventLog) -> Vec<eventlog::Envelope> {
    log.read_all(1)
        .collect::<Result<Vec<_>, _>>()
        .expect("the log reads")
}
