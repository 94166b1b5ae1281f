//! A model-based property test: random appends (random expected versions, command ids,
//! several streams), reads and reopenings, checked against an in-memory model of the log.

mod common;

use std::collections::HashMap;

use common::events;
use eventlog::{AppendRequest, Direction, Error, EventLog, ExpectedVersion, Options, StreamAppend};
use proptest::prelude::*;

const STREAMS: [&str; 3] = ["action-m.a", "action-m.b", "session-m.s"];

#[derive(Debug, Clone)]
enum Op {
    Append {
        streams: Vec<(usize, ExpectedVersion, usize)>,
        command: Option<usize>,
    },
    ReadStream {
        stream: usize,
        from: u64,
        backward: bool,
        limit: usize,
    },
    ReadAll {
        from: u64,
    },
    Reopen,
}

fn expected_version() -> impl Strategy<Value = ExpectedVersion> {
    prop_oneof![
        Just(ExpectedVersion::Any),
        Just(ExpectedVersion::NoStream),
        Just(ExpectedVersion::StreamExists),
        (0u64..5).prop_map(ExpectedVersion::Exact),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (
            proptest::collection::vec((0..STREAMS.len(), expected_version(), 1usize..4), 1..3),
            proptest::option::of(0usize..4),
        )
            .prop_map(|(mut streams, command)| {
                // One stream at most once per append (the log refuses duplicates).
                let mut seen = Vec::new();
                streams.retain(|s| {
                    let new = !seen.contains(&s.0);
                    seen.push(s.0);
                    new
                });
                Op::Append { streams, command }
            }),
        2 => (0..STREAMS.len(), 0u64..6, any::<bool>(), 1usize..5).prop_map(
            |(stream, from, backward, limit)| Op::ReadStream { stream, from, backward, limit }
        ),
        1 => (0u64..12).prop_map(|from| Op::ReadAll { from }),
        1 => Just(Op::Reopen),
    ]
}

/// What an append produced: its positions and the stream versions after it.
type Produced = (Vec<u64>, Vec<(String, u64)>);

/// What the log should hold: (stream, version, command) per position.
#[derive(Default)]
struct Model {
    events: Vec<(usize, u64, Option<usize>)>,
    versions: HashMap<usize, u64>,
    commands: HashMap<usize, Produced>,
}

fn run(ops: Vec<Op>) -> Result<(), TestCaseError> {
    let dir = common::store();
    let mut log = EventLog::open_store(dir.path(), Options::default()).unwrap();
    let mut model = Model::default();
    for op in ops {
        match op {
            Op::Append { streams, command } => {
                let request = AppendRequest {
                    streams: streams
                        .iter()
                        .map(|(s, expected, n)| StreamAppend {
                            stream_id: STREAMS[*s].to_owned(),
                            expected: *expected,
                            events: events(*n, STREAMS[*s]),
                        })
                        .collect(),
                    command: command.map(|c| eventlog::CommandKey {
                        id: format!("cmd-{c}"),
                        fingerprint: [c as u8; 32],
                    }),
                };
                let result = log.append_blocking(request);
                if let Some((positions, versions)) = command.and_then(|c| model.commands.get(&c)) {
                    let outcome = result.expect("a replay succeeds");
                    prop_assert!(outcome.replayed);
                    prop_assert_eq!(&outcome.positions, positions);
                    prop_assert_eq!(&outcome.stream_versions, versions);
                    continue;
                }
                let conflict = streams.iter().find(|(s, expected, _)| {
                    !expected.is_satisfied_by(model.versions.get(s).copied().unwrap_or(0))
                });
                match (conflict, result) {
                    (Some((s, _, _)), Err(Error::Conflict { stream, .. })) => {
                        prop_assert_eq!(stream, STREAMS[*s]);
                    }
                    (None, Ok(outcome)) => {
                        prop_assert!(!outcome.replayed);
                        let first = model.events.len() as u64 + 1;
                        let mut versions = Vec::new();
                        for (s, _, n) in &streams {
                            for _ in 0..*n {
                                let version = model.versions.entry(*s).or_insert(0);
                                *version += 1;
                                model.events.push((*s, *version, command));
                            }
                            versions.push((STREAMS[*s].to_owned(), model.versions[s]));
                        }
                        let last = model.events.len() as u64;
                        prop_assert_eq!(&outcome.positions, &(first..=last).collect::<Vec<_>>());
                        prop_assert_eq!(&outcome.stream_versions, &versions);
                        if let Some(c) = command {
                            model
                                .commands
                                .insert(c, (outcome.positions.clone(), versions));
                        }
                    }
                    (expected, got) => {
                        return Err(TestCaseError::fail(format!(
                            "model expected conflict {expected:?}, log answered {got:?}"
                        )));
                    }
                }
            }
            Op::ReadStream {
                stream,
                from,
                backward,
                limit,
            } => {
                let direction = if backward {
                    Direction::Backward
                } else {
                    Direction::Forward
                };
                let read: Vec<(u64, u64)> = log
                    .read_stream(STREAMS[stream], from, direction, limit)
                    .unwrap()
                    .iter()
                    .map(|e| (e.position, e.stream_version))
                    .collect();
                let mut expected: Vec<(u64, u64)> = model
                    .events
                    .iter()
                    .enumerate()
                    .filter(|(_, (s, v, _))| {
                        *s == stream && if backward { *v <= from } else { *v >= from }
                    })
                    .map(|(i, (_, v, _))| (i as u64 + 1, *v))
                    .collect();
                if backward {
                    expected.reverse();
                }
                expected.truncate(limit);
                prop_assert_eq!(read, expected);
                let version = model.versions.get(&stream).copied();
                prop_assert_eq!(log.stream_version(STREAMS[stream]).unwrap(), version);
            }
            Op::ReadAll { from } => {
                type Row = (u64, String, u64, Option<String>);
                let read: Vec<Row> = log
                    .read_all(from)
                    .map(|e| e.unwrap())
                    .map(|e| (e.position, e.stream_id, e.stream_version, e.command_id))
                    .collect();
                let expected: Vec<Row> = model
                    .events
                    .iter()
                    .enumerate()
                    .map(|(i, (s, v, c))| {
                        (
                            i as u64 + 1,
                            STREAMS[*s].to_owned(),
                            *v,
                            c.map(|c| format!("cmd-{c}")),
                        )
                    })
                    .filter(|e| e.0 >= from)
                    .collect();
                prop_assert_eq!(read, expected);
            }
            Op::Reopen => {
                drop(log);
                log = EventLog::open_store(dir.path(), Options::default()).unwrap();
            }
        }
        prop_assert_eq!(log.head().position, model.events.len() as u64);
    }
    let report = log.verify().unwrap();
    prop_assert!(report.is_ok(), "{:?}", report);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig {
        // Fewer on PostgreSQL, where each case opens a store on the server.
        cases: if common::postgres() { 16 } else { 48 },
        ..ProptestConfig::default()
    })]

    #[test]
    fn the_log_behaves_like_its_in_memory_model(ops in proptest::collection::vec(op(), 1..40)) {
        run(ops)?;
    }
}
