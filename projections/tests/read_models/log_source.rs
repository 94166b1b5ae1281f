//! The log itself as the source of sentences: events appended to a real `EventLog`, read back,
//! folded and worded.

use crate::fixture::*;
use eventlog::{AppendRequest, EventLog, ExpectedVersion, NewEvent, Options};
use projections::model::ProgrammeView;
use projections::query::{self, EventSource, Page, TimelineFilter};
use projections::recorded::RecordedEvent;
use projections::registry;

#[test]
fn a_timeline_read_back_from_the_log_reads_like_the_one_in_memory() {
    let mut f = Fixture::base();
    f.retained_action("a1", "2026-003", "asso", 2026, &[(ETAT, 12_000)]);
    f.grant("a1", ETAT, 2026, 12_000, "2026-04-01");
    f.pay("a1", "v-1", ETAT, 4_000, "2026-04-15");
    let dir = tempfile::tempdir().unwrap();
    let log = EventLog::open(dir.path(), Options::default()).unwrap();
    for e in &f.events {
        let encoded = registry::encode(&e.event);
        let projections::recorded::Recorder::Agent { id, role } = &e.actor else {
            panic!("the fixture's events name an agent");
        };
        let new = NewEvent::new(
            encoded.event_type,
            encoded.schema_version,
            e.effective_on,
            id.clone(),
            encoded.payload,
        )
        .with_role(role.clone());
        log.append_blocking(AppendRequest::single(
            e.stream.stream_id(),
            ExpectedVersion::Any,
            vec![new],
        ))
        .unwrap();
    }
    let mut view = ProgrammeView::new(programme_id());
    for envelope in log.read_range(1, u64::MAX) {
        view.apply(&RecordedEvent::from_envelope(&envelope.unwrap()).unwrap());
    }
    let from_log = query::timeline(
        &view,
        &pilot(),
        &TimelineFilter::default(),
        false,
        &Page::first(10),
        &log,
    )
    .unwrap();
    let in_memory = query::timeline(
        &f.view,
        &pilot(),
        &TimelineFilter::default(),
        false,
        &Page::first(10),
        &f.events,
    )
    .unwrap();
    let summaries = |c: &query::TimelineConnection| -> Vec<String> {
        c.edges.iter().map(|e| e.node.summary.clone()).collect()
    };
    assert_eq!(summaries(&from_log), summaries(&in_memory));
    let actors = |c: &query::TimelineConnection| -> Vec<projections::recorded::Recorder> {
        c.edges.iter().map(|e| e.node.actor.clone()).collect()
    };
    assert_eq!(actors(&from_log), actors(&in_memory));
    assert_eq!(from_log.edges.len(), 10);
    assert!(log.event(10_000).unwrap().is_none());
}
