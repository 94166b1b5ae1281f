//! What changed between two moments.

use crate::fixture::*;
use domain::events::*;
use domain::values::*;
use projections::query;

#[test]
fn changes_list_new_entries_added_actions_status_changes_and_granted_delta() {
    let mut f = Fixture::base();
    f.retained_action(
        "a1",
        "2026-001",
        "asso",
        2026,
        &[(ETAT, 10_000), (VILLE, 2_000)],
    );
    f.grant("a1", VILLE, 2026, 2_000, "2026-03-20");
    let cut = f.events.len() as u64;
    f.grant("a1", ETAT, 2026, 10_000, "2026-04-01");
    f.propose("a2", "2026-002", "Nouvelle", "asso", 2026, &[(ETAT, 1_000)]);
    let from = f.fold_where(|e| e.position <= cut);
    let c = query::changes(&from, &f.view, &pilot(), &f.events).unwrap();
    assert_eq!(c.from_position, cut);
    assert_eq!(c.to_position, cut + 2);
    let kinds: Vec<&str> = c.entries.iter().map(|e| e.kind).collect();
    assert_eq!(
        kinds,
        ["ActionProposed", "GrantAwarded"],
        "oldest first by effective date"
    );
    assert_eq!(c.actions_added, [aid("a2")]);
    let changes: Vec<(&str, Option<ActionStatus>, ActionStatus)> = c
        .status_changes
        .iter()
        .map(|s| (s.action_id.as_str(), s.from, s.to))
        .collect();
    // a1 was already FUNDED (by the Ville grant): no change.
    assert_eq!(changes, [("a2", None, ActionStatus::Proposed)]);
    assert_eq!(c.granted_delta.len(), 1);
    assert_eq!(c.granted_delta[0].funder.id.as_str(), ETAT);
    assert_eq!(c.granted_delta[0].delta, 1_000_000);
}

#[test]
fn changes_between_effective_date_bounds_take_back_dated_events_into_account() {
    let mut f = Fixture::base();
    f.retained_action("a1", "2026-001", "asso", 2026, &[(ETAT, 10_000)]);
    f.grant("a1", ETAT, 2026, 10_000, "2026-04-01");
    // Recorded after the April payment but effective in March: the first fold is not a
    // prefix of the log, and the late entry belongs to both folds, so it is not a change.
    let payment = f.pay("a1", "v-1", ETAT, 3_000, "2026-04-10");
    let backdated = f.action(
        "a1",
        "2026-03-20",
        ComplementsProvided {
            note: note("Pièces"),
        },
    );
    let march = f.fold_where(|e| e.effective_on <= date("2026-03-31"));
    let april = f.fold_where(|e| e.effective_on <= date("2026-04-30"));
    assert!(
        march.event_at(backdated).is_some(),
        "a late entry of March is in March's fold"
    );
    let c = query::changes(&march, &april, &pilot(), &f.events).unwrap();
    let positions: Vec<u64> = c.entries.iter().map(|e| e.position).collect();
    let grant = f
        .events
        .iter()
        .find(|e| e.event.event_type() == "GrantAwarded")
        .unwrap()
        .position;
    assert_eq!(positions, [grant, payment]);
    assert_eq!(c.status_changes.len(), 1);
    assert_eq!(c.status_changes[0].from, Some(ActionStatus::Retained));
    assert_eq!(c.status_changes[0].to, ActionStatus::Funded);
    assert_eq!(c.granted_delta[0].delta, 1_000_000);
}

#[test]
fn a_negative_granted_delta_is_signed() {
    let mut f = Fixture::base();
    f.retained_action("a1", "2026-001", "asso", 2026, &[(ETAT, 10_000)]);
    f.grant("a1", ETAT, 2026, 10_000, "2026-04-01");
    let before = f.fold_where(|_| true);
    let after = f.fold_where(|e| e.event.event_type() != "GrantAwarded");
    let c = query::changes(&before, &after, &pilot(), &f.events).unwrap();
    assert_eq!(c.granted_delta[0].delta, -1_000_000);
    assert!(c.entries.is_empty());
}

#[test]
fn an_observer_does_not_see_changes_of_actions_it_may_not_see() {
    let mut f = Fixture::base();
    let cut = f.events.len() as u64;
    f.propose("a1", "2026-001", "Proposée", "asso", 2026, &[(ETAT, 1_000)]);
    f.retained_action("a2", "2026-002", "asso", 2026, &[(ETAT, 1_000)]);
    let from = f.fold_where(|e| e.position <= cut);
    let c = query::changes(&from, &f.view, &observer(), &f.events).unwrap();
    assert_eq!(c.actions_added, [aid("a2")]);
    assert_eq!(c.status_changes.len(), 1);
    assert!(c.entries.iter().all(|e| e.action_id == Some(aid("a2"))));
}
