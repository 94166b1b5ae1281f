//! Rebuilding from position 1 gives the same model as incremental application, whatever the
//! chunks the log arrived in and however often the projector was restarted from its snapshot.

use std::path::Path;
use std::time::Duration;

use eventlog::{AppendRequest, Durability, Envelope, EventLog, ExpectedVersion, NewEvent, Options};
use projections::generator::{self, GeneratorParams};
use projections::runner::{self, Projector, ProjectorOptions};
use proptest::prelude::*;

fn open(dir: &Path) -> EventLog {
    let options = Options {
        durability: Durability::Buffered,
        ..Options::default()
    };
    EventLog::open(dir, options).unwrap()
}

fn copy(log: &EventLog, envelope: &Envelope) {
    let event = NewEvent {
        event_type: envelope.event_type.clone(),
        schema_version: envelope.schema_version,
        effective_on: envelope.effective_on,
        actor: envelope.actor.clone(),
        actor_role: envelope.actor_role.clone().unwrap_or_default(),
        correlation_id: envelope.correlation_id,
        causation_id: envelope.causation_id,
        payload: envelope.payload.clone(),
        texts: envelope
            .texts
            .iter()
            .map(|t| t.text().unwrap_or_default().to_owned())
            .collect(),
    };
    log.append_blocking(AppendRequest::single(
        envelope.stream_id.clone(),
        ExpectedVersion::Exact(envelope.stream_version - 1),
        vec![event],
    ))
    .unwrap();
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 6, ..ProptestConfig::default() })]

    #[test]
    fn rebuild_equals_incremental_application_with_restarts(
        seed in any::<u64>(),
        programmes in 1usize..=2,
        actions in 2usize..=8,
        chunks in proptest::collection::vec((1usize..=150, any::<bool>(), 0u64..=60), 1..6),
    ) {
        let source_dir = tempfile::tempdir().unwrap();
        let source = open(source_dir.path());
        generator::generate(&source, &GeneratorParams::small(seed, programmes, actions)).unwrap();
        let envelopes: Vec<Envelope> = source.read_all(1).map(|e| e.unwrap()).collect();
        drop(source);

        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let mut next = 0;
        let mut chunks = chunks.into_iter().cycle();
        while next < envelopes.len() {
            let (size, while_live, snapshot_every) = chunks.next().unwrap();
            let end = (next + size).min(envelopes.len());
            let log = open(dir.path());
            if while_live {
                // Appended while the projector follows the log (snapshots on the way).
                let projector = Projector::start(&log, ProjectorOptions { snapshot_every }).unwrap();
                for envelope in &envelopes[next..end] {
                    copy(&log, envelope);
                }
                runtime
                    .block_on(projector.wait_for(end as u64, Duration::from_secs(30)))
                    .unwrap();
                projector.shutdown().unwrap();
            } else {
                // Appended while no projector runs: the next start catches up from the snapshot.
                for envelope in &envelopes[next..end] {
                    copy(&log, envelope);
                }
                let projector = Projector::start(&log, ProjectorOptions { snapshot_every }).unwrap();
                prop_assert_eq!(projector.position(), end as u64);
                projector.shutdown().unwrap();
            }
            next = end;
        }
        let log = open(dir.path());
        let projector = Projector::start(&log, ProjectorOptions::default()).unwrap();
        prop_assert_eq!(projector.start_report().caught_up, 0);
        let rebuilt = runner::rebuild(&log).unwrap();
        prop_assert_eq!(rebuilt.position(), envelopes.len() as u64);
        let same = projector.read(|model| model == &rebuilt);
        prop_assert!(same, "the incremental model differs from the rebuilt one");
        projector.shutdown().unwrap();
    }
}
