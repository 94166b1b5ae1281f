//! Time travel: a programme as of a position, a recorded instant, an effective date.

use std::path::Path;

use chrono::{NaiveDate, TimeZone, Utc};
use eventlog::{Durability, EventLog, Options};
use projections::generator::{self, GeneratedSummary, GeneratorParams, SimulatedClock};
use projections::model::ReadModel;
use projections::recorded::RecordedEvent;
use projections::runner;
use projections::time_travel::{
    Bound, TimeTravelError, last_position_recorded_by, programme_as_of, resolve_position,
};

fn generated(dir: &Path, params: GeneratorParams) -> (EventLog, GeneratedSummary) {
    let clock = SimulatedClock::new();
    let options = Options {
        durability: Durability::Buffered,
        clock: clock.clock(),
        ..Options::default()
    };
    let log = EventLog::open(dir, options).unwrap();
    let summary = generator::generate(&log, &params.with_clock(clock)).unwrap();
    (log, summary)
}

#[test]
fn as_of_every_position_equals_a_fresh_fold_up_to_it() {
    let dir = tempfile::tempdir().unwrap();
    // Two programmes, so that positions of one programme's events interleave with the other's.
    let (log, summary) = generated(dir.path(), GeneratorParams::small(21, 2, 12));
    let live = runner::rebuild(&log).unwrap();
    let head = log.head().position;
    assert!(
        head > 250,
        "a log of {head} events is too small to mean much"
    );
    let mut fresh = ReadModel::default();
    for position in 0..=head {
        if position > 0 {
            let envelope = log.get(position).unwrap().unwrap();
            fresh.apply(&RecordedEvent::from_envelope(&envelope).unwrap());
        }
        for id in &summary.programmes {
            let live_view = live.programme(id).unwrap();
            let as_of = programme_as_of(&log, live_view, &Bound::Position(position)).unwrap();
            assert_eq!(
                as_of.as_ref(),
                fresh.programme(id),
                "programme {id} as of position {position}"
            );
        }
    }
}

#[test]
fn a_back_dated_decision_is_there_by_effective_date_and_not_by_recorded_time() {
    let dir = tempfile::tempdir().unwrap();
    let (log, summary) = generated(dir.path(), GeneratorParams::small(4, 1, 20));
    let live = runner::rebuild(&log).unwrap();
    let decision = summary.backdated_decision.unwrap();
    assert!(decision.recorded_on > decision.session_date);
    let view = live.programme(&decision.programme).unwrap();
    let decided = |view: &projections::model::ProgrammeView| {
        view.action(&decision.action).is_some_and(|a| {
            a.decisions()
                .iter()
                .any(|d| a.str(d.session) == decision.session.as_str())
        })
    };
    assert!(decided(view));

    // As of the session's date, by effective date: decided that day.
    let by_effective = programme_as_of(&log, view, &Bound::EffectiveOn(decision.session_date))
        .unwrap()
        .unwrap();
    assert!(decided(&by_effective));

    // As the register stood at the end of that day: not typed in yet.
    let evening = Utc.from_utc_datetime(&decision.session_date.and_hms_opt(23, 59, 59).unwrap());
    let by_recorded = programme_as_of(&log, view, &Bound::RecordedAt(evening))
        .unwrap()
        .unwrap();
    assert!(by_recorded.action(&decision.action).is_some());
    assert!(!decided(&by_recorded));

    // And as of the day it was recorded, it is.
    let recorded_evening =
        Utc.from_utc_datetime(&decision.recorded_on.and_hms_opt(23, 59, 59).unwrap());
    let later = programme_as_of(&log, view, &Bound::RecordedAt(recorded_evening))
        .unwrap()
        .unwrap();
    assert!(decided(&later));
}

#[test]
fn as_of_an_effective_date_folds_the_events_effective_by_then_in_log_order() {
    let dir = tempfile::tempdir().unwrap();
    let (log, summary) = generated(dir.path(), GeneratorParams::small(8, 1, 12));
    let live = runner::rebuild(&log).unwrap();
    let view = live.programme(&summary.programmes[0]).unwrap();
    let day = NaiveDate::from_ymd_opt(2024, 3, 1).unwrap();
    let as_of = programme_as_of(&log, view, &Bound::EffectiveOn(day))
        .unwrap()
        .unwrap();
    let mut expected = projections::model::ProgrammeView::new(view.id.clone());
    for envelope in log.read_all(1) {
        let envelope = envelope.unwrap();
        if envelope.effective_on <= day {
            expected.apply(&RecordedEvent::from_envelope(&envelope).unwrap());
        }
    }
    assert_eq!(as_of, expected);
    assert!(as_of.events().len() < view.events().len());
    assert!(as_of.events().iter().all(|e| e.effective_on() <= day));
    // Its position: the last of the programme's events it includes.
    let position = resolve_position(&log, view, &Bound::EffectiveOn(day)).unwrap();
    assert_eq!(position, expected.position());
}

#[test]
fn a_programme_that_did_not_exist_yet_is_none() {
    let dir = tempfile::tempdir().unwrap();
    let (log, summary) = generated(dir.path(), GeneratorParams::small(9, 2, 6));
    let live = runner::rebuild(&log).unwrap();
    let second = live.programme(&summary.programmes[1]).unwrap();
    let first_position = second.events()[0].position;
    assert!(first_position > 1);
    let before = Bound::Position(first_position - 1);
    assert_eq!(programme_as_of(&log, second, &before).unwrap(), None);
    assert_eq!(
        programme_as_of(&log, second, &Bound::Position(0)).unwrap(),
        None
    );
    let long_ago = NaiveDate::from_ymd_opt(2001, 1, 1).unwrap();
    assert_eq!(
        programme_as_of(&log, second, &Bound::EffectiveOn(long_ago)).unwrap(),
        None
    );
    let instant = Utc.with_ymd_and_hms(2001, 1, 1, 0, 0, 0).unwrap();
    assert_eq!(
        programme_as_of(&log, second, &Bound::RecordedAt(instant)).unwrap(),
        None
    );
    assert!(
        programme_as_of(&log, second, &Bound::Position(first_position))
            .unwrap()
            .is_some()
    );
}

#[test]
fn a_position_beyond_the_head_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let (log, summary) = generated(dir.path(), GeneratorParams::small(10, 1, 4));
    let live = runner::rebuild(&log).unwrap();
    let view = live.programme(&summary.programmes[0]).unwrap();
    let head = log.head().position;
    let error = programme_as_of(&log, view, &Bound::Position(head + 1)).unwrap_err();
    assert!(matches!(
        error,
        TimeTravelError::BeyondHead { position, head: h } if position == head + 1 && h == head
    ));
    assert!(matches!(
        resolve_position(&log, view, &Bound::Position(head + 1)),
        Err(TimeTravelError::BeyondHead { .. })
    ));
}

#[test]
fn a_bound_that_includes_everything_is_the_live_view() {
    let dir = tempfile::tempdir().unwrap();
    let (log, summary) = generated(dir.path(), GeneratorParams::small(12, 1, 6));
    let live = runner::rebuild(&log).unwrap();
    let view = live.programme(&summary.programmes[0]).unwrap();
    let head = log.head().position;
    let far = Utc.with_ymd_and_hms(2100, 1, 1, 0, 0, 0).unwrap();
    for bound in [
        Bound::Position(head),
        Bound::RecordedAt(far),
        Bound::EffectiveOn(NaiveDate::from_ymd_opt(2100, 1, 1).unwrap()),
    ] {
        assert_eq!(
            programme_as_of(&log, view, &bound).unwrap().as_ref(),
            Some(view)
        );
    }
}

#[test]
fn a_recorded_instant_resolves_to_the_last_position_recorded_by_then() {
    let dir = tempfile::tempdir().unwrap();
    let (log, summary) = generated(dir.path(), GeneratorParams::small(13, 1, 6));
    let live = runner::rebuild(&log).unwrap();
    let view = live.programme(&summary.programmes[0]).unwrap();
    let envelopes: Vec<_> = log.read_all(1).map(|e| e.unwrap()).collect();
    for probe in [
        0,
        1,
        envelopes.len() / 3,
        envelopes.len() / 2,
        envelopes.len() - 1,
    ] {
        let instant = envelopes[probe].recorded_at;
        let expected = envelopes
            .iter()
            .filter(|e| e.recorded_at <= instant)
            .map(|e| e.position)
            .max()
            .unwrap();
        assert_eq!(last_position_recorded_by(&log, instant).unwrap(), expected);
        assert_eq!(
            resolve_position(&log, view, &Bound::RecordedAt(instant)).unwrap(),
            expected
        );
    }
    let before = envelopes[0].recorded_at - chrono::Duration::seconds(1);
    assert_eq!(last_position_recorded_by(&log, before).unwrap(), 0);
    assert_eq!(
        resolve_position(&log, view, &Bound::Position(7)).unwrap(),
        7
    );
}
