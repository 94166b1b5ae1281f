//! The programme's timeline and the histories: order, filters, pagination, supersession.

use crate::fixture::*;
use domain::events::*;
use domain::values::*;
use projections::query::{self, Page, QueryError, TimelineConnection, TimelineFilter};

/// Events whose effective dates are not in log order (a back-dated entry).
fn programme() -> Fixture {
    let mut f = Fixture::base();
    f.retained_action("a1", "2026-003", "asso", 2026, &[(ETAT, 12_000)]);
    f.grant("a1", ETAT, 2026, 12_000, "2026-04-01");
    f.pay("a1", "v-1", ETAT, 4_000, "2026-04-15");
    f.hold("copil-1", "2026-03-14", &["Préfecture", "Ville"]);
    // Back-dated: typed after the payment, effective before it.
    f.propose(
        "a2",
        "2026-004",
        "Parentalité",
        "college",
        2026,
        &[(VILLE, 2_000)],
    );
    f
}

fn positions(c: &TimelineConnection) -> Vec<u64> {
    c.edges.iter().map(|e| e.node.position).collect()
}

fn all(f: &Fixture, filter: TimelineFilter, oldest_first: bool) -> TimelineConnection {
    query::timeline(
        &f.view,
        &pilot(),
        &filter,
        oldest_first,
        &Page::first(500),
        &f.events,
    )
    .unwrap()
}

#[test]
fn the_timeline_is_ordered_by_effective_date_then_position_newest_first() {
    let f = programme();
    let newest = all(&f, TimelineFilter::default(), false);
    assert_eq!(newest.edges.len(), f.events.len());
    let keys: Vec<_> = newest
        .edges
        .iter()
        .map(|e| (e.node.effective_on, e.node.position))
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    sorted.reverse();
    assert_eq!(keys, sorted);
    assert_eq!(newest.edges[0].node.kind, "PaymentRecorded");
    let oldest = all(&f, TimelineFilter::default(), true);
    let mut reversed = positions(&oldest);
    reversed.reverse();
    assert_eq!(reversed, positions(&newest));
    assert_eq!(oldest.edges[0].node.kind, "ProgrammeEstablished");
}

#[test]
fn timeline_entries_carry_action_session_axis_amount_and_a_prefixed_summary() {
    let f = programme();
    let t = all(&f, TimelineFilter::default(), false);
    let payment = &t.edges[0].node;
    assert_eq!(payment.action_id, Some(aid("a1")));
    assert_eq!(payment.axis, Some(axis("A1")));
    assert_eq!(payment.amount, Some(euros(4_000)));
    assert_eq!(payment.actor.id(), Some("person:claire"));
    assert_eq!(
        payment.summary,
        "Action 2026-003 « Action 2026-003 » : versement de 4\u{202F}000,00\u{A0}€ (avance) par État – crédits Cité éducative"
    );
    let decision = t
        .edges
        .iter()
        .find(|e| e.node.kind == "CopilDecisionTaken")
        .unwrap();
    assert_eq!(decision.node.session_id, Some(sid("copil-1")));
    let held = t
        .edges
        .iter()
        .find(|e| e.node.kind == "SessionHeld")
        .unwrap();
    assert_eq!(held.node.session_id, Some(sid("copil-1")));
    assert_eq!(
        held.node.summary,
        "COPIL du 14 mars 2026 tenu (2 organisations présentes)"
    );
}

#[test]
fn the_timeline_filters_by_date_range_inclusive() {
    let f = programme();
    let t = all(
        &f,
        TimelineFilter {
            from: Some(date("2026-03-14")),
            to: Some(date("2026-04-01")),
            ..Default::default()
        },
        true,
    );
    let kinds: Vec<&str> = t.edges.iter().map(|e| e.node.kind).collect();
    assert_eq!(kinds, ["CopilDecisionTaken", "SessionHeld", "GrantAwarded"]);
}

#[test]
fn the_timeline_filters_by_kind_action_axis_and_session() {
    let mut f = programme();
    f.action(
        "a2",
        "2026-02-01",
        ActionAmended {
            axis: Some(axis("A2")),
            ..Default::default()
        },
    );
    let kinds = all(
        &f,
        TimelineFilter {
            kinds: Some(vec!["PaymentRecorded".into(), "GrantAwarded".into()]),
            ..Default::default()
        },
        true,
    );
    let k: Vec<&str> = kinds.edges.iter().map(|e| e.node.kind).collect();
    assert_eq!(k, ["GrantAwarded", "PaymentRecorded"]);
    let unknown = all(
        &f,
        TimelineFilter {
            kinds: Some(vec!["ActionTeleported".into()]),
            ..Default::default()
        },
        true,
    );
    assert!(unknown.edges.is_empty());
    let of_a2 = all(
        &f,
        TimelineFilter {
            action_id: Some(aid("a2")),
            ..Default::default()
        },
        true,
    );
    let k: Vec<&str> = of_a2.edges.iter().map(|e| e.node.kind).collect();
    assert_eq!(k, ["ActionProposed", "ActionAmended"]);
    // The axis is the action's at the time of each event: a2's proposal was on A1.
    let on_a2 = all(
        &f,
        TimelineFilter {
            axis: Some(axis("A2")),
            ..Default::default()
        },
        true,
    );
    let k: Vec<&str> = on_a2.edges.iter().map(|e| e.node.kind).collect();
    assert_eq!(k, ["ActionAmended"]);
    let at_copil = all(
        &f,
        TimelineFilter {
            session_id: Some(sid("copil-1")),
            ..Default::default()
        },
        true,
    );
    let k: Vec<&str> = at_copil.edges.iter().map(|e| e.node.kind).collect();
    assert_eq!(k, ["SessionScheduled", "CopilDecisionTaken", "SessionHeld"]);
}

#[test]
fn timeline_pages_follow_each_other_without_gap_or_overlap() {
    let f = programme();
    let whole = positions(&all(&f, TimelineFilter::default(), false));
    let mut paged = Vec::new();
    let mut page = Page::first(4);
    loop {
        let c = query::timeline(
            &f.view,
            &pilot(),
            &TimelineFilter::default(),
            false,
            &page,
            &f.events,
        )
        .unwrap();
        paged.extend(positions(&c));
        if !c.page_info.has_next_page {
            break;
        }
        assert_eq!(c.edges.len(), 4);
        page = Page::after(4, c.page_info.end_cursor.unwrap());
    }
    assert_eq!(paged, whole);
    let bad = query::timeline(
        &f.view,
        &pilot(),
        &TimelineFilter::default(),
        false,
        &Page::after(4, "not-a-cursor"),
        &f.events,
    );
    assert!(matches!(bad, Err(QueryError::InvalidCursor { .. })));
}

#[test]
fn a_cancelled_payment_is_superseded_by_its_cancellation() {
    let mut f = programme();
    let paid = f.pay("a1", "v-2", ETAT, 4_000, "2026-04-16");
    let cancelled = f.action(
        "a1",
        "2026-04-17",
        PaymentCancelled {
            payment: PaymentId::parse("v-2").unwrap(),
            reason: note("Saisi deux fois"),
        },
    );
    let history = query::action_history(&f.view, &pilot(), &aid("a1"), &f.events)
        .unwrap()
        .unwrap();
    let entry = history.iter().find(|h| h.position == paid).unwrap();
    assert_eq!(entry.superseded_by, Some(cancelled));
    let cancel = history.iter().find(|h| h.position == cancelled).unwrap();
    assert_eq!(cancel.superseded_by, None);
    assert_eq!(
        cancel.summary,
        "Versement de 4\u{202F}000,00\u{A0}€ annulé : Saisi deux fois"
    );
    // The first payment is untouched.
    let first = history
        .iter()
        .find(|h| h.kind == "PaymentRecorded" && h.position != paid)
        .unwrap();
    assert_eq!(first.superseded_by, None);
    // The timeline entry of the cancellation carries the cancelled amount.
    let t = all(
        &f,
        TimelineFilter {
            kinds: Some(vec!["PaymentCancelled".into()]),
            ..Default::default()
        },
        true,
    );
    assert_eq!(t.edges[0].node.amount, Some(euros(4_000)));
}

#[test]
fn a_revised_decision_is_superseded_by_its_revision() {
    let mut f = programme();
    let first = f
        .events
        .iter()
        .find(|e| e.event.event_type() == "CopilDecisionTaken")
        .unwrap()
        .position;
    let revised = f.action(
        "a1",
        "2026-03-14",
        DecisionRevised {
            session: sid("copil-1"),
            decision_no: 2,
            supersedes: 1,
            outcome: DecisionOutcome::Retained,
            retained: vec![line(ETAT, 13_000)],
            reason: note("Effectifs en hausse"),
        },
    );
    let history = query::action_history(&f.view, &pilot(), &aid("a1"), &f.events)
        .unwrap()
        .unwrap();
    assert_eq!(
        history
            .iter()
            .find(|h| h.position == first)
            .unwrap()
            .superseded_by,
        Some(revised)
    );
    let again = f.action(
        "a1",
        "2026-03-14",
        DecisionRevised {
            session: sid("copil-1"),
            decision_no: 3,
            supersedes: 2,
            outcome: DecisionOutcome::Retained,
            retained: vec![line(ETAT, 12_500)],
            reason: note("Correction"),
        },
    );
    let history = query::action_history(&f.view, &pilot(), &aid("a1"), &f.events)
        .unwrap()
        .unwrap();
    assert_eq!(
        history
            .iter()
            .find(|h| h.position == first)
            .unwrap()
            .superseded_by,
        Some(revised)
    );
    assert_eq!(
        history
            .iter()
            .find(|h| h.position == revised)
            .unwrap()
            .superseded_by,
        Some(again)
    );
}

#[test]
fn a_revised_envelope_supersedes_its_notification() {
    let mut f = programme();
    let notified = f
        .events
        .iter()
        .find(|e| e.event.event_type() == "EnvelopeNotified")
        .unwrap()
        .position;
    let revised = f.programme(
        "2026-05-01",
        EnvelopeRevised {
            funder: funder(ETAT),
            year: year(2026),
            amount: euros(90_000),
            reason: note("Gel de crédits"),
        },
    );
    let other_year = f.envelope(ETAT, 2027, 50_000, "2026-05-02");
    let history = query::programme_history(&f.view, &pilot(), &f.events).unwrap();
    assert_eq!(
        history
            .iter()
            .find(|h| h.position == notified)
            .unwrap()
            .superseded_by,
        Some(revised)
    );
    assert_eq!(
        history
            .iter()
            .find(|h| h.position == revised)
            .unwrap()
            .superseded_by,
        None
    );
    assert_eq!(
        history
            .iter()
            .find(|h| h.position == other_year)
            .unwrap()
            .superseded_by,
        None
    );
}

#[test]
fn a_supersession_outside_an_effective_date_bound_is_not_seen() {
    let mut f = programme();
    let paid = f.pay("a1", "v-2", ETAT, 1_000, "2026-04-16");
    f.action(
        "a1",
        "2026-05-20",
        PaymentCancelled {
            payment: PaymentId::parse("v-2").unwrap(),
            reason: note("Erreur"),
        },
    );
    let as_of = f.fold_where(|e| e.effective_on <= date("2026-05-01"));
    assert!(as_of.event_at(paid).is_some());
    assert_eq!(as_of.superseded_by(paid), None);
    assert!(f.view.superseded_by(paid).is_some());
}

#[test]
fn histories_of_a_session_and_of_the_programme_are_their_own_streams_oldest_first() {
    let f = programme();
    let session = query::session_history(&f.view, &pilot(), &sid("copil-1"), &f.events).unwrap();
    let kinds: Vec<&str> = session.iter().map(|h| h.kind).collect();
    assert_eq!(kinds, ["SessionScheduled", "SessionHeld"]);
    assert_eq!(
        session[0].summary,
        "COPIL « COPIL 2026-03-14 » programmé le 14 mars 2026"
    );
    let programme = query::programme_history(&f.view, &pilot(), &f.events).unwrap();
    assert_eq!(programme.len(), 7);
    assert_eq!(programme[0].kind, "ProgrammeEstablished");
    assert!(programme.windows(2).all(|w| w[0].position < w[1].position));
    assert_eq!(
        programme[6].summary,
        "Enveloppe 2026 (État – crédits Cité éducative) notifiée : 100\u{202F}000,00\u{A0}€"
    );
}

#[test]
fn a_timeline_entry_for_a_subscription_follows_the_same_rules() {
    let f = programme();
    let opinion_free = f
        .events
        .iter()
        .find(|e| e.event.event_type() == "PaymentRecorded")
        .unwrap();
    let entry = query::timeline_entry(&f.view, &observer(), opinion_free)
        .unwrap()
        .unwrap();
    assert_eq!(entry.amount, Some(euros(4_000)));
    let hidden = f.events.iter().find(
        |e| matches!(&e.stream, domain::streams::StreamRef::Action(_, id) if id.as_str() == "a2"),
    );
    assert!(
        query::timeline_entry(&f.view, &observer(), hidden.unwrap())
            .unwrap()
            .is_none()
    );
    assert!(
        query::timeline_entry(&f.view, &pilot(), hidden.unwrap())
            .unwrap()
            .is_some()
    );
}

#[test]
fn an_event_not_yet_folded_is_worded_from_the_event_alone() {
    let f = programme();
    let mut ahead = Fixture::base();
    ahead.events = f.events.clone();
    ahead.view = f.view.clone();
    let position = ahead.pay("a1", "v-9", ETAT, 1_000, "2026-05-02");
    let event = ahead.events.last().unwrap();
    assert!(f.view.event_at(position).is_none());
    let entry = query::timeline_entry(&f.view, &pilot(), event)
        .unwrap()
        .unwrap();
    assert_eq!(entry.position, position);
    assert_eq!(entry.kind, "PaymentRecorded");
    assert_eq!(entry.action_id, Some(aid("a1")));
    assert!(
        entry
            .summary
            .contains("versement de 1\u{202F}000,00\u{A0}€"),
        "{}",
        entry.summary
    );
}

mod paging {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]

        #[test]
        fn pages_of_any_size_concatenate_to_the_whole_timeline(
            size in 1usize..9,
            oldest_first in any::<bool>(),
            kinds_only in any::<bool>(),
        ) {
            let f = programme();
            let filter = if kinds_only {
                TimelineFilter {
                    kinds: Some(vec!["ActionProposed".into(), "PaymentRecorded".into(), "SessionHeld".into()]),
                    ..Default::default()
                }
            } else {
                TimelineFilter::default()
            };
            let whole = positions(&query::timeline(
                &f.view, &pilot(), &filter, oldest_first, &Page::first(500), &f.events,
            ).unwrap());
            let mut paged = Vec::new();
            let mut page = Page::first(size);
            loop {
                let c = query::timeline(&f.view, &pilot(), &filter, oldest_first, &page, &f.events)
                    .unwrap();
                prop_assert!(c.edges.len() <= size);
                paged.extend(positions(&c));
                match (c.page_info.has_next_page, c.page_info.end_cursor) {
                    (true, Some(cursor)) => page = Page::after(size, cursor),
                    _ => break,
                }
            }
            prop_assert_eq!(paged, whole);
        }
    }
}
