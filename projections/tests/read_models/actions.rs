//! The list of actions: filters, order and pagination; the action view.

use crate::fixture::*;
use domain::events::*;
use domain::values::*;
use projections::query::{self, ActionFilter, Page, QueryError};

fn programme() -> Fixture {
    let mut f = Fixture::base();
    f.propose(
        "zeta",
        "2026-002",
        "Éveil musical",
        "asso",
        2026,
        &[(ETAT, 1_000)],
    );
    f.propose(
        "alpha",
        "2026-001",
        "Soutien scolaire",
        "college",
        2026,
        &[(ETAT, 2_000)],
    );
    f.propose(
        "beta",
        "2027-001",
        "Cœur de quartier",
        "asso",
        2027,
        &[(VILLE, 3_000)],
    );
    f.action(
        "beta",
        "2026-02-01",
        ActionAmended {
            secondary_axes: Some(vec![axis("A2")]),
            ..Default::default()
        },
    );
    f.decide(
        "zeta",
        "copil-1",
        "2026-03-14",
        1,
        DecisionOutcome::Retained,
        &[(ETAT, 1_000)],
    );
    f
}

fn ids(f: &Fixture, filter: ActionFilter) -> Vec<String> {
    query::actions(&f.view, &pilot(), &filter, &Page::first(50))
        .unwrap()
        .edges
        .into_iter()
        .map(|e| e.node.id.to_string())
        .collect()
}

#[test]
fn actions_are_ordered_by_reference_then_id() {
    let f = programme();
    assert_eq!(ids(&f, ActionFilter::default()), ["alpha", "zeta", "beta"]);
}

#[test]
fn actions_filter_by_status_axis_holder_and_year() {
    let f = programme();
    let status = ActionFilter {
        status: Some(vec![ActionStatus::Retained]),
        ..Default::default()
    };
    assert_eq!(ids(&f, status), ["zeta"]);
    let secondary = ActionFilter {
        axis: Some(axis("A2")),
        ..Default::default()
    };
    assert_eq!(ids(&f, secondary), ["beta"]);
    let primary = ActionFilter {
        axis: Some(axis("A1")),
        ..Default::default()
    };
    assert_eq!(ids(&f, primary).len(), 3);
    let holder = ActionFilter {
        holder: Some(pid("asso")),
        year: Some(2026),
        ..Default::default()
    };
    assert_eq!(ids(&f, holder), ["zeta"]);
}

#[test]
fn the_text_filter_ignores_case_and_accents() {
    let f = programme();
    let text = |t: &str| ActionFilter {
        text: Some(t.to_owned()),
        ..Default::default()
    };
    assert_eq!(ids(&f, text("EVEIL")), ["zeta"]);
    assert_eq!(ids(&f, text("coeur")), ["beta"]);
    assert_eq!(ids(&f, text("2027-")), ["beta"]);
    assert_eq!(
        ids(&f, text("plan")).len(),
        3,
        "the summary is searched too"
    );
    assert!(ids(&f, text("absent")).is_empty());
}

#[test]
fn action_pages_carry_the_total_and_follow_each_other() {
    let f = programme();
    let first =
        query::actions(&f.view, &pilot(), &ActionFilter::default(), &Page::first(2)).unwrap();
    assert_eq!(first.total_count, 3);
    assert!(first.page_info.has_next_page);
    assert_eq!(first.edges.len(), 2);
    let cursor = first.page_info.end_cursor.clone().unwrap();
    let second = query::actions(
        &f.view,
        &pilot(),
        &ActionFilter::default(),
        &Page::after(2, cursor),
    )
    .unwrap();
    assert_eq!(second.total_count, 3);
    assert!(!second.page_info.has_next_page);
    assert_eq!(second.edges.len(), 1);
    assert_eq!(second.edges[0].node.id.as_str(), "beta");
    let bad = query::actions(
        &f.view,
        &pilot(),
        &ActionFilter::default(),
        &Page::after(2, "zz"),
    );
    assert!(matches!(bad, Err(QueryError::InvalidCursor { .. })));
}

#[test]
fn the_action_view_carries_its_whole_life() {
    let mut f = programme();
    f.action(
        "zeta",
        "2026-03-01",
        ComplementsRequested {
            items: vec![title("Budget détaillé")],
        },
    );
    f.grant("zeta", ETAT, 2026, 1_000, "2026-04-01");
    f.pay("zeta", "v-1", ETAT, 400, "2026-04-15");
    f.action("zeta", "2026-09-01", ActionStarted {});
    f.action(
        "zeta",
        "2026-12-01",
        IndicatorMeasured {
            code: IndicatorCode::parse("eleves").unwrap(),
            value: 42.0,
        },
    );
    f.action(
        "zeta",
        "2027-01-01",
        IndicatorMeasured {
            code: IndicatorCode::parse("eleves").unwrap(),
            value: 57.5,
        },
    );
    let a = query::action(&f.view, &pilot(), &aid("zeta"))
        .unwrap()
        .unwrap();
    assert_eq!(a.status, ActionStatus::InProgress);
    assert_eq!(a.holder.name, "Association Réussite");
    assert_eq!(a.axis.title, "Réussite éducative");
    assert_eq!(a.grants.len(), 1);
    assert_eq!(a.payments[0].amount, euros(400));
    assert_eq!(a.money[0].to_pay, euros(600));
    assert_eq!(a.complements[0].items, ["Budget détaillé"]);
    let ind = &a.indicators[0];
    assert_eq!((ind.target, ind.measured), (Some(100.0), Some(57.5)));
    assert_eq!(ind.measured_on, Some(date("2027-01-01")));
    assert_eq!(ind.measurements.len(), 2);
    assert_eq!(a.version, 8);
    assert_eq!(a.decision.unwrap().outcome, DecisionOutcome::Retained);
    assert!(
        query::action(&f.view, &pilot(), &aid("absent"))
            .unwrap()
            .is_none()
    );
}
