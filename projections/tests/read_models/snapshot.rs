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
    assert_eq!(
        query::session_decisions(&back, &pilot(), &sid("copil-1"))
            .unwrap()
            .len(),
        1
    );
}
