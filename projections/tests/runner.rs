//! The runner: start-up from a snapshot, catching up, following the log, snapshots, failures.

use std::path::Path;
use std::time::Duration;

use eventlog::{AppendRequest, Durability, EventLog, ExpectedVersion, NewEvent, Options};
use projections::generator::{self, GeneratorParams, SimulatedClock};
use projections::model::ReadModel;
use projections::recorded::RecordedEvent;
use projections::runner::{
    self, Projector, ProjectorOptions, SNAPSHOT_FILE, SnapshotLoad, Status, WaitError,
};

fn open(dir: &Path) -> EventLog {
    let options = Options {
        durability: Durability::Buffered,
        ..Options::default()
    };
    EventLog::open(dir, options).unwrap()
}

fn open_with_clock(dir: &Path, clock: &SimulatedClock) -> EventLog {
    let options = Options {
        durability: Durability::Buffered,
        clock: clock.clock(),
        ..Options::default()
    };
    EventLog::open(dir, options).unwrap()
}

/// A small log of one programme (a few hundred events).
fn generated(dir: &Path) -> EventLog {
    let log = open(dir);
    generator::generate(&log, &GeneratorParams::small(11, 1, 16)).unwrap();
    log
}

fn every(n: u64) -> ProjectorOptions {
    ProjectorOptions { snapshot_every: n }
}

#[test]
fn start_catches_up_to_the_head_before_serving() {
    let dir = tempfile::tempdir().unwrap();
    let log = generated(dir.path());
    let head = log.head().position;
    assert!(head > 100);
    let projector = Projector::start(&log, ProjectorOptions::default()).unwrap();
    assert_eq!(projector.position(), head);
    assert_eq!(projector.lag(), 0);
    assert_eq!(projector.start_report().caught_up, head);
    assert_eq!(projector.start_report().snapshot_position, None);
    let rebuilt = runner::rebuild(&log).unwrap();
    projector.read(|model| assert_eq!(model, &rebuilt));
    projector.shutdown().unwrap();
}

#[tokio::test]
async fn live_events_are_applied_and_wait_for_sees_them() {
    let dir = tempfile::tempdir().unwrap();
    let clock = SimulatedClock::new();
    let log = open_with_clock(dir.path(), &clock);
    let projector = Projector::start(&log, every(0)).unwrap();
    assert_eq!(projector.position(), 0);
    // Two programmes appended while the projector runs.
    let params = GeneratorParams::small(5, 2, 10).with_clock(clock);
    let writer_log = log.clone();
    let summary = tokio::task::spawn_blocking(move || generator::generate(&writer_log, &params))
        .await
        .unwrap()
        .unwrap();
    let head = log.head().position;
    assert_eq!(head, summary.n_events);
    projector
        .wait_for(head, Duration::from_secs(30))
        .await
        .unwrap();
    assert_eq!(projector.lag(), 0);
    let rebuilt = runner::rebuild(&log).unwrap();
    projector.read(|model| assert_eq!(model, &rebuilt));
    assert_eq!(projector.guard().programmes().count(), 2);
    projector.shutdown_async().await.unwrap();
}

#[test]
fn a_snapshot_saved_at_shutdown_is_used_at_the_next_start() {
    let dir = tempfile::tempdir().unwrap();
    let head;
    {
        let log = generated(dir.path());
        head = log.head().position;
        let projector = Projector::start(&log, every(0)).unwrap();
        projector.shutdown().unwrap();
        assert_eq!(projector.status(), Status::Stopped);
    }
    let log = open(dir.path());
    match runner::load_snapshot(&log).unwrap() {
        SnapshotLoad::Loaded(model) => assert_eq!(model.position(), head),
        other => panic!("expected a snapshot, found {other:?}"),
    }
    let projector = Projector::start(&log, every(0)).unwrap();
    assert_eq!(projector.start_report().snapshot_position, Some(head));
    assert_eq!(projector.start_report().caught_up, 0);
    let rebuilt = runner::rebuild(&log).unwrap();
    projector.read(|model| assert_eq!(model, &rebuilt));
    projector.shutdown().unwrap();
}

#[test]
fn start_catches_up_from_the_snapshot_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    let log = generated(dir.path());
    // A snapshot of the first hundred events, as an older run would have left it.
    let mut partial = projections::model::ReadModel::default();
    for envelope in log.read_range(1, 100) {
        partial.apply(
            &projections::recorded::RecordedEvent::from_envelope(&envelope.unwrap()).unwrap(),
        );
    }
    runner::save_snapshot(&log, &partial).unwrap();
    let head = log.head().position;
    let projector = Projector::start(&log, every(0)).unwrap();
    assert_eq!(projector.start_report().snapshot_position, Some(100));
    assert_eq!(projector.start_report().caught_up, head - 100);
    let rebuilt = runner::rebuild(&log).unwrap();
    projector.read(|model| assert_eq!(model, &rebuilt));
    projector.shutdown().unwrap();
}

#[tokio::test]
async fn a_snapshot_is_saved_every_n_events() {
    let dir = tempfile::tempdir().unwrap();
    let log = open(dir.path());
    let projector = Projector::start(&log, every(50)).unwrap();
    let writer_log = log.clone();
    tokio::task::spawn_blocking(move || {
        generator::generate(&writer_log, &GeneratorParams::small(2, 1, 8))
    })
    .await
    .unwrap()
    .unwrap();
    let head = log.head().position;
    projector
        .wait_for(head, Duration::from_secs(30))
        .await
        .unwrap();
    // The runner saves after the batch that crosses the threshold, once that batch is
    // published: the snapshot may land a moment after `wait_for` returns.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let saved = loop {
        match runner::load_snapshot(&log).unwrap() {
            SnapshotLoad::Loaded(model) => break model.position(),
            other if std::time::Instant::now() > deadline => {
                panic!("expected a snapshot, found {other:?}")
            }
            _ => tokio::time::sleep(Duration::from_millis(20)).await,
        }
    };
    assert!(
        saved >= 50 && saved <= head,
        "saved at {saved}, head {head}"
    );
    projector.shutdown().unwrap();
}

fn assert_discarded_and_rebuilt(log: &EventLog, why: &str) {
    let projector = Projector::start(log, every(0)).unwrap();
    let reason = projector
        .start_report()
        .snapshot_discarded
        .clone()
        .unwrap_or_else(|| panic!("the snapshot ({why}) was not discarded"));
    assert!(!reason.is_empty());
    assert_eq!(projector.start_report().snapshot_position, None);
    assert_eq!(projector.start_report().caught_up, log.head().position);
    let rebuilt = runner::rebuild(log).unwrap();
    projector.read(|model| assert_eq!(model, &rebuilt));
    projector.shutdown().unwrap();
}

#[test]
fn a_snapshot_of_another_layout_is_discarded_and_the_model_rebuilt() {
    let dir = tempfile::tempdir().unwrap();
    let log = generated(dir.path());
    let body = eventlog::codec::encode(&runner::rebuild(&log).unwrap()).unwrap();
    let head = log.head().position;
    runner::write_raw_snapshot(&log, runner::SNAPSHOT_LAYOUT_VERSION + 1, head, &body).unwrap();
    assert_discarded_and_rebuilt(&log, "other layout");
}

#[test]
fn a_snapshot_that_no_longer_decodes_is_discarded_and_the_model_rebuilt() {
    let dir = tempfile::tempdir().unwrap();
    let log = generated(dir.path());
    let head = log.head().position;
    // What an older build could have written under the same layout version: another shape.
    let older = eventlog::codec::encode(&(head, vec!["grigny".to_owned()], 3u8)).unwrap();
    runner::write_raw_snapshot(&log, runner::SNAPSHOT_LAYOUT_VERSION, head, &older).unwrap();
    assert_discarded_and_rebuilt(&log, "older shape");
}

#[test]
fn a_damaged_snapshot_is_discarded_and_the_model_rebuilt() {
    let dir = tempfile::tempdir().unwrap();
    let log = generated(dir.path());
    runner::save_snapshot(&log, &runner::rebuild(&log).unwrap()).unwrap();
    let mut file = log.read_file(SNAPSHOT_FILE).unwrap().unwrap();
    // A length prefix of the body (after the 68 bytes of the header) turned into nonsense:
    // decoding it would ask for petabytes.
    for b in &mut file[68 + 8..68 + 16] {
        *b = 0x7f;
    }
    log.write_file(SNAPSHOT_FILE, &file).unwrap();
    assert_discarded_and_rebuilt(&log, "damaged body");
}

#[test]
fn a_snapshot_beyond_the_head_is_discarded_and_the_model_rebuilt() {
    let dir = tempfile::tempdir().unwrap();
    let log = generated(dir.path());
    let model = runner::rebuild(&log).unwrap();
    let body = eventlog::codec::encode(&model).unwrap();
    let beyond = log.head().position + 10;
    runner::write_raw_snapshot(&log, runner::SNAPSHOT_LAYOUT_VERSION, beyond, &body).unwrap();
    assert_discarded_and_rebuilt(&log, "beyond the head");
}

#[test]
fn a_snapshot_of_another_log_is_discarded_and_the_model_rebuilt() {
    let dir = tempfile::tempdir().unwrap();
    let log = generated(dir.path());
    let mut partial = projections::model::ReadModel::default();
    for envelope in log.read_range(1, 10) {
        partial.apply(
            &projections::recorded::RecordedEvent::from_envelope(&envelope.unwrap()).unwrap(),
        );
    }
    // The event at the checkpoint is not the one the snapshot saw (a log restored or
    // imported anew in the same directory).
    runner::save_snapshot(&log, &partial).unwrap();
    let mut file = log.read_file(SNAPSHOT_FILE).unwrap().unwrap();
    file[20] ^= 0xff;
    log.write_file(SNAPSHOT_FILE, &file).unwrap();
    assert_discarded_and_rebuilt(&log, "hash at the checkpoint differs");
}

#[tokio::test]
async fn an_event_that_does_not_decode_stops_the_projector_loudly() {
    let dir = tempfile::tempdir().unwrap();
    let log = generated(dir.path());
    let head = log.head().position;
    let projector = Projector::start(&log, every(0)).unwrap();
    let event = NewEvent::new(
        "ActionTeleported",
        1,
        chrono::NaiveDate::from_ymd_opt(2026, 1, 5).unwrap(),
        "someone",
        vec![1, 2, 3],
    );
    let outcome = log
        .append(AppendRequest::single(
            "action-grigny.mystery",
            ExpectedVersion::NoStream,
            vec![event],
        ))
        .await
        .unwrap();
    let error = projector
        .wait_for(outcome.last_position, Duration::from_secs(30))
        .await
        .unwrap_err();
    match error {
        WaitError::Failed(reason) => assert!(reason.contains("ActionTeleported"), "{reason}"),
        other => panic!("expected a failure, got {other:?}"),
    }
    assert!(matches!(projector.status(), Status::Failed(_)));
    // Nothing was skipped: the model stays before the bad event.
    assert_eq!(projector.position(), head);
    assert_eq!(projector.lag(), 1);
    // A snapshot of the good part is still saved at shutdown.
    projector.shutdown().unwrap();
    match runner::load_snapshot(&log).unwrap() {
        SnapshotLoad::Loaded(model) => assert_eq!(model.position(), head),
        other => panic!("expected a snapshot, found {other:?}"),
    }
    // Starting again fails at once: the bad event cannot be skipped.
    assert!(Projector::start(&log, every(0)).is_err());
}

#[tokio::test]
async fn wait_for_a_position_that_never_comes_times_out() {
    let dir = tempfile::tempdir().unwrap();
    let log = generated(dir.path());
    let head = log.head().position;
    let projector = Projector::start(&log, every(0)).unwrap();
    projector
        .wait_for(head, Duration::from_millis(1))
        .await
        .unwrap();
    let error = projector
        .wait_for(head + 1, Duration::from_millis(20))
        .await
        .unwrap_err();
    assert_eq!(
        error,
        WaitError::Timeout {
            position: head + 1,
            applied: head,
            timeout: Duration::from_millis(20)
        }
    );
    projector.shutdown().unwrap();
    let error = projector
        .wait_for(head + 1, Duration::from_secs(5))
        .await
        .unwrap_err();
    assert_eq!(error, WaitError::Stopped { applied: head });
}

#[test]
fn after_shutdown_nothing_more_is_applied_and_the_lag_shows_it() {
    let dir = tempfile::tempdir().unwrap();
    let log = generated(dir.path());
    let head = log.head().position;
    let projector = Projector::start(&log, every(0)).unwrap();
    projector.shutdown().unwrap();
    generator::generate(&log, &GeneratorParams::small(12, 2, 4)).unwrap();
    let new_head = log.head().position;
    assert!(new_head > head);
    assert_eq!(projector.position(), head);
    assert_eq!(projector.lag(), new_head - head);
}

#[test]
fn replace_swaps_in_a_rebuilt_model_and_saves_it() {
    let dir = tempfile::tempdir().unwrap();
    let log = generated(dir.path());
    let projector = Projector::start(&log, every(0)).unwrap();
    let rebuilt = runner::rebuild(&log).unwrap();
    projector.replace(rebuilt.clone()).unwrap();
    projector.read(|model| assert_eq!(model, &rebuilt));
    match runner::load_snapshot(&log).unwrap() {
        SnapshotLoad::Loaded(model) => assert_eq!(model, rebuilt),
        other => panic!("expected a snapshot, found {other:?}"),
    }
    // A model behind the live one is brought up to it first.
    projector
        .replace(projections::model::ReadModel::default())
        .unwrap();
    projector.read(|model| assert_eq!(model, &rebuilt));
    projector.shutdown().unwrap();
}

#[test]
fn a_long_catch_up_folds_as_one_event_at_a_time_and_stops_at_an_event_that_does_not_decode() {
    // Long ranges are read on one thread and decoded on another (runner::apply_range).
    let dir = tempfile::tempdir().unwrap();
    let log = open(dir.path());
    generator::generate(&log, &GeneratorParams::small(12, 5, 100)).unwrap();
    let head = log.head().position;
    assert!(head > 4_096 + 1_000, "{head} events");
    let mut one_at_a_time = ReadModel::default();
    for envelope in log.read_all(1) {
        one_at_a_time.apply(&RecordedEvent::from_envelope(&envelope.unwrap()).unwrap());
    }
    assert_eq!(runner::rebuild(&log).unwrap(), one_at_a_time);

    let event = NewEvent::new(
        "ActionTeleported",
        1,
        chrono::NaiveDate::from_ymd_opt(2026, 1, 5).unwrap(),
        "someone",
        vec![1, 2, 3],
    );
    log.append_blocking(AppendRequest::single(
        "action-grigny.mystery",
        ExpectedVersion::NoStream,
        vec![event],
    ))
    .unwrap();
    let error = runner::rebuild(&log).unwrap_err();
    assert!(error.to_string().contains("ActionTeleported"), "{error}");
    assert!(Projector::start(&log, every(0)).is_err());
}
