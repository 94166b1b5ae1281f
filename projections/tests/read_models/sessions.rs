//! Sessions, agendas and relevés de décisions.

use crate::fixture::*;
use domain::events::*;
use domain::values::*;
use projections::query;

fn refs(actions: &[query::ActionView]) -> Vec<&str> {
    actions.iter().map(|a| a.reference.as_str()).collect()
}

/// a1 proposed; a2 under review (opinion at cotech-1); a3 deferred; a4 retained elsewhere.
fn programme_with_actions() -> Fixture {
    let mut f = Fixture::base();
    f.propose("a1", "2026-001", "Proposée", "asso", 2026, &[(ETAT, 1_000)]);
    f.propose(
        "a2",
        "2026-002",
        "En instruction",
        "asso",
        2026,
        &[(ETAT, 2_000)],
    );
    f.propose(
        "a3",
        "2026-003",
        "Ajournée",
        "college",
        2026,
        &[(ETAT, 3_000)],
    );
    f.schedule("copil-0", BodyKind::Copil, "2026-01-30", "2026-01-08");
    f.hold("copil-0", "2026-01-30", &["Préfecture"]);
    f.decide(
        "a3",
        "copil-0",
        "2026-01-30",
        1,
        DecisionOutcome::Deferred,
        &[],
    );
    f
}

#[test]
fn before_it_is_held_an_opinion_body_has_the_proposed_actions_on_its_agenda() {
    let f = programme_with_actions();
    let agenda = query::session_agenda(&f.view, &pilot(), &sid("cotech-1")).unwrap();
    assert_eq!(refs(&agenda), ["2026-001", "2026-002"]);
}

#[test]
fn before_it_is_held_the_copil_has_actions_under_review_or_deferred_on_its_agenda() {
    let mut f = programme_with_actions();
    f.opinion(
        "a2",
        "cotech-1",
        "2026-02-02",
        Opinion::Favourable,
        &[(ETAT, 2_000)],
    );
    let agenda = query::session_agenda(&f.view, &pilot(), &sid("copil-1")).unwrap();
    assert_eq!(refs(&agenda), ["2026-002", "2026-003"]);
}

#[test]
fn once_held_the_agenda_is_the_actions_it_gave_an_opinion_or_decision_on() {
    let mut f = programme_with_actions();
    f.hold("cotech-1", "2026-02-02", &["Rectorat", "Ville"]);
    f.opinion(
        "a2",
        "cotech-1",
        "2026-02-02",
        Opinion::Favourable,
        &[(ETAT, 2_000)],
    );
    f.opinion("a1", "cotech-1", "2026-02-02", Opinion::Reserved, &[]);
    let agenda = query::session_agenda(&f.view, &pilot(), &sid("cotech-1")).unwrap();
    // In the order recorded, whatever their status now.
    assert_eq!(refs(&agenda), ["2026-002", "2026-001"]);
    let s = query::session(&f.view, &pilot(), &sid("cotech-1"))
        .unwrap()
        .unwrap();
    assert!(s.held);
    assert_eq!(s.present, ["Rectorat", "Ville"]);
    assert!(!s.agenda_hidden);
}

#[test]
fn the_copil_releve_lists_decisions_and_revisions_with_their_lines() {
    let mut f = programme_with_actions();
    f.hold("copil-1", "2026-03-14", &["Préfecture", "Ville"]);
    f.decide(
        "a2",
        "copil-1",
        "2026-03-14",
        1,
        DecisionOutcome::Retained,
        &[(ETAT, 1_500)],
    );
    f.decide(
        "a1",
        "copil-1",
        "2026-03-14",
        1,
        DecisionOutcome::Rejected,
        &[],
    );
    f.action(
        "a2",
        "2026-03-14",
        DecisionRevised {
            session: sid("copil-1"),
            decision_no: 2,
            supersedes: 1,
            outcome: DecisionOutcome::Retained,
            retained: vec![line(ETAT, 1_800)],
            reason: note("Erreur de saisie"),
        },
    );
    let releve = query::session_decisions(&f.view, &pilot(), &sid("copil-1")).unwrap();
    let rows: Vec<(&str, Option<DecisionOutcome>, Money, bool)> = releve
        .iter()
        .map(|r| (r.action.reference.as_str(), r.outcome, r.amount, r.revision))
        .collect();
    assert_eq!(
        rows,
        [
            (
                "2026-002",
                Some(DecisionOutcome::Retained),
                euros(1_500),
                false
            ),
            (
                "2026-001",
                Some(DecisionOutcome::Rejected),
                Money::ZERO,
                false
            ),
            (
                "2026-002",
                Some(DecisionOutcome::Retained),
                euros(1_800),
                true
            ),
        ]
    );
    assert_eq!(releve[2].reason.as_deref(), Some("Erreur de saisie"));
    assert_eq!(
        releve[2].retained[0].funder.name,
        "État – crédits Cité éducative"
    );
    assert!(releve.iter().all(|r| r.opinion.is_none()));
    // The decision in force of a2 is the revision.
    let a2 = query::action(&f.view, &pilot(), &aid("a2"))
        .unwrap()
        .unwrap();
    let d = a2.decision.unwrap();
    assert!(d.revised);
    assert_eq!(d.number, 2);
    // Once held, the COPIL's agenda is what it decided, each action once.
    let agenda = query::session_agenda(&f.view, &pilot(), &sid("copil-1")).unwrap();
    assert_eq!(refs(&agenda), ["2026-002", "2026-001"]);
}

#[test]
fn an_opinion_bodys_releve_lists_opinions_with_proposed_amounts() {
    let mut f = programme_with_actions();
    f.hold("cotech-1", "2026-02-02", &["Rectorat"]);
    f.opinion(
        "a1",
        "cotech-1",
        "2026-02-02",
        Opinion::Favourable,
        &[(ETAT, 900)],
    );
    let releve = query::session_decisions(&f.view, &pilot(), &sid("cotech-1")).unwrap();
    assert_eq!(releve.len(), 1);
    assert_eq!(releve[0].opinion, Some(Opinion::Favourable));
    assert_eq!(releve[0].outcome, None);
    assert_eq!(releve[0].amount, euros(900));
    assert!(releve[0].retained.is_empty());
    assert_eq!(releve[0].proposed[0].amount, euros(900));
}

#[test]
fn sessions_are_listed_by_date_and_filtered_by_body() {
    let f = programme_with_actions();
    let all = query::sessions(&f.view, &pilot(), None).unwrap();
    let ids: Vec<&str> = all.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(ids, ["copil-0", "cotech-1", "copil-1"]);
    let copils = query::sessions(&f.view, &pilot(), Some(BodyKind::Copil)).unwrap();
    let ids: Vec<&str> = copils.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(ids, ["copil-0", "copil-1"]);
}

#[test]
fn a_cancelled_session_has_no_agenda() {
    let mut f = programme_with_actions();
    f.session_event(
        "cotech-1",
        "2026-01-20",
        SessionCancelled {
            reason: note("Grève"),
        },
    );
    assert!(
        query::session_agenda(&f.view, &pilot(), &sid("cotech-1"))
            .unwrap()
            .is_empty()
    );
    assert!(
        query::session(&f.view, &pilot(), &sid("cotech-1"))
            .unwrap()
            .unwrap()
            .cancelled
    );
}

#[test]
fn partners_are_listed_for_every_reader() {
    let f = Fixture::base();
    let partners = query::partners(&f.view, &observer()).unwrap();
    let names: Vec<&str> = partners.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["Association Réussite", "Collège Jean Moulin"]);
    assert!(partners.iter().all(|p| p.active));
}

#[test]
fn the_programme_shows_its_axes_funders_and_current_envelopes() {
    let mut f = Fixture::base();
    f.programme("2026-02-01", AxisRetired { code: axis("A2") });
    f.programme(
        "2026-05-01",
        EnvelopeRevised {
            funder: funder(ETAT),
            year: year(2026),
            amount: euros(90_000),
            reason: note("Gel de crédits"),
        },
    );
    f.envelope(VILLE, 2025, 10_000, "2026-01-10");
    let p = query::programme(&f.view, &observer()).unwrap().unwrap();
    assert_eq!(p.name, "Cité éducative de Grigny");
    assert_eq!(p.axes_of(false).count(), 1);
    assert_eq!(p.axes_of(true).count(), 2);
    assert_eq!(p.funders.len(), 3);
    let envelopes: Vec<(i32, Money)> = p.envelopes.iter().map(|e| (e.year, e.amount)).collect();
    assert_eq!(envelopes, [(2025, euros(10_000)), (2026, euros(90_000))]);
    assert_eq!(p.envelopes_of(Some(2026)).count(), 1);
    assert_eq!(p.version, 10);
    let mut model = projections::model::ReadModel::default();
    for e in &f.events {
        model.apply(e);
    }
    assert_eq!(query::programmes(&model, &pilot()).len(), 1);
    let stranger = domain::actor::Actor::of(Role::Observer, ProgrammeId::parse("clichy").unwrap());
    assert!(query::programmes(&model, &stranger).is_empty());
    assert_eq!(
        query::programmes(&model, &domain::actor::Actor::admin()).len(),
        1
    );
}
