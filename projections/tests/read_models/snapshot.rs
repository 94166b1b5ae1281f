//! The indexes of a view are part of its snapshot.

use crate::fixture::*;
use domain::events::*;
use domain::values::*;
use projections::model::ProgrammeView;
use projections::query::{self, Page, TimelineFilter};

#[test]
fn a_view_with_its_indexes_survives_the_snapshot_codec() {
    let mut f = Fixture::base();
    f.retained_action("a1", "2026-001", "asso", 2026, &[(ETAT, 10_000)]);
    f.pay("a1", "v-1", ETAT, 1_000, "2026-04-15");
    f.action(
        "a1",
        "2026-04-16",
        PaymentCancelled {
            payment: PaymentId::parse("v-1").unwrap(),
            reason: note("Erreur"),
        },
    );
    let bytes = eventlog::codec::encode(&f.view).unwrap();
    let back: ProgrammeView = eventlog::codec::decode(&bytes).unwrap();
    assert_eq!(back, f.view);
    let page = |view: &ProgrammeView| {
        query::timeline(
            view,
            &pilot(),
            &TimelineFilter::default(),
            false,
            &Page::first(50),
            &f.events,
        )
        .unwrap()
    };
    assert_eq!(page(&back), page(&f.view));
    // Before any new event, the decoded view answers by scanning its interned ids.
    assert_eq!(
        query::session_decisions(&back, &pilot(), &sid("copil-1"))
            .unwrap()
            .len(),
        1
    );
    // Folding on from the decoded view gives what folding on from the live one gives.
    let mut back = back;
    let paid = f.pay("a1", "v-2", ETAT, 2_000, "2026-04-20");
    let cancel = f.action(
        "a1",
        "2026-04-21",
        PaymentCancelled {
            payment: PaymentId::parse("v-2").unwrap(),
            reason: note("Erreur"),
        },
    );
    back.apply(&f.events[paid as usize - 1]);
    back.apply(&f.events[cancel as usize - 1]);
    assert_eq!(back, f.view);
    assert!(back.event_at(paid).is_some());
    assert_eq!(back.superseded_by(paid), Some(cancel));
    assert_eq!(
        query::session_decisions(&back, &pilot(), &sid("copil-1"))
            .unwrap()
            .len(),
        1
    );
}
