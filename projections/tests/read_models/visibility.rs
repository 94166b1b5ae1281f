//! The reading rules of DOMAIN.md ("Permissions") as the queries apply them.

use crate::fixture::*;
use domain::actor::Actor;
use domain::events::*;
use domain::values::*;
use projections::query::{self, ActionFilter, Page, QueryError, TimelineFilter};

/// a1 (asso) retained with a favourable opinion; a2 (college) only proposed.
fn programme() -> Fixture {
    let mut f = Fixture::base();
    f.propose(
        "a1",
        "2026-001",
        "Soutien scolaire",
        "asso",
        2026,
        &[(ETAT, 12_000), (VILLE, 3_000)],
    );
    f.hold("cotech-1", "2026-02-02", &["Rectorat"]);
    f.opinion(
        "a1",
        "cotech-1",
        "2026-02-02",
        Opinion::Favourable,
        &[(ETAT, 10_000)],
    );
    f.hold("copil-1", "2026-03-14", &["Préfecture"]);
    f.decide(
        "a1",
        "copil-1",
        "2026-03-14",
        1,
        DecisionOutcome::Retained,
        &[(ETAT, 10_000)],
    );
    f.propose(
        "a2",
        "2026-002",
        "Théâtre au collège",
        "college",
        2026,
        &[(ETAT, 5_000)],
    );
    f
}

#[test]
fn an_observer_does_not_see_an_action_before_it_is_retained() {
    let mut f = programme();
    assert!(
        query::action(&f.view, &observer(), &aid("a2"))
            .unwrap()
            .is_none()
    );
    assert!(
        query::action_history(&f.view, &observer(), &aid("a2"), &f.events)
            .unwrap()
            .is_none()
    );
    let list = query::actions(
        &f.view,
        &observer(),
        &ActionFilter::default(),
        &Page::first(50),
    )
    .unwrap();
    assert_eq!(list.total_count, 1);
    assert_eq!(list.edges[0].node.id, aid("a1"));
    // Once retained, it appears.
    f.decide(
        "a2",
        "copil-1",
        "2026-03-14",
        1,
        DecisionOutcome::Retained,
        &[(ETAT, 5_000)],
    );
    assert!(
        query::action(&f.view, &observer(), &aid("a2"))
            .unwrap()
            .is_some()
    );
    // Deferred, rejected or withdrawn actions stay hidden.
    f.propose(
        "a3",
        "2026-003",
        "Ajournée",
        "college",
        2026,
        &[(ETAT, 5_000)],
    );
    f.decide(
        "a3",
        "copil-1",
        "2026-03-14",
        1,
        DecisionOutcome::Deferred,
        &[],
    );
    assert!(
        query::action(&f.view, &observer(), &aid("a3"))
            .unwrap()
            .is_none()
    );
    assert!(
        query::action(&f.view, &pilot(), &aid("a3"))
            .unwrap()
            .is_some()
    );
}

#[test]
fn an_observer_sees_no_opinion_and_no_requested_amount_of_a_retained_action() {
    let f = programme();
    let a1 = query::action(&f.view, &observer(), &aid("a1"))
        .unwrap()
        .unwrap();
    assert!(a1.restricted);
    assert!(a1.opinions.is_empty());
    // The Ville line was only requested: it is left out; the État line withholds its request.
    assert_eq!(a1.money.len(), 1);
    let etat = &a1.money[0];
    assert_eq!(etat.funder.id.as_str(), ETAT);
    assert!(etat.restricted);
    assert_eq!(etat.requested, Money::ZERO);
    assert_eq!(etat.proposed, Money::ZERO);
    assert_eq!(etat.retained, euros(10_000));
    // A pilot sees everything.
    let full = query::action(&f.view, &pilot(), &aid("a1"))
        .unwrap()
        .unwrap();
    assert!(!full.restricted);
    assert_eq!(full.opinions.len(), 1);
    assert_eq!(full.money.len(), 2);
    assert_eq!(full.money[0].requested, euros(12_000));
    assert_eq!(full.money[0].proposed, euros(10_000));
}

#[test]
fn an_observer_sees_no_opinion_in_histories_timelines_and_releves() {
    let f = programme();
    let history = query::action_history(&f.view, &observer(), &aid("a1"), &f.events)
        .unwrap()
        .unwrap();
    let kinds: Vec<&str> = history.iter().map(|h| h.kind).collect();
    assert_eq!(kinds, ["ActionProposed", "CopilDecisionTaken"]);
    assert!(
        !history[0].summary.contains("12\u{202F}000"),
        "{}",
        history[0].summary
    );
    let full = query::action_history(&f.view, &pilot(), &aid("a1"), &f.events)
        .unwrap()
        .unwrap();
    assert_eq!(full.len(), 3);
    assert!(
        full[0].summary.contains("12\u{202F}000,00\u{A0}€"),
        "{}",
        full[0].summary
    );

    let timeline = query::timeline(
        &f.view,
        &observer(),
        &TimelineFilter::default(),
        true,
        &Page::first(500),
        &f.events,
    )
    .unwrap();
    let kinds: Vec<&str> = timeline.edges.iter().map(|e| e.node.kind).collect();
    assert!(!kinds.contains(&"OpinionGiven"));
    // a2 is hidden entirely; a1's proposal is there without its requested amount.
    assert!(
        timeline
            .edges
            .iter()
            .all(|e| e.node.action_id != Some(aid("a2")))
    );
    let proposal = timeline
        .edges
        .iter()
        .find(|e| e.node.kind == "ActionProposed")
        .unwrap();
    assert_eq!(proposal.node.amount, None);

    let releve = query::session_decisions(&f.view, &observer(), &sid("cotech-1")).unwrap();
    assert!(releve.is_empty());
    assert_eq!(
        query::session_decisions(&f.view, &pilot(), &sid("cotech-1"))
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        query::session_decisions(&f.view, &observer(), &sid("copil-1"))
            .unwrap()
            .len(),
        1
    );
}

#[test]
fn an_observer_sees_no_agenda() {
    let f = programme();
    let s = query::session(&f.view, &observer(), &sid("cotech-1"))
        .unwrap()
        .unwrap();
    assert!(s.agenda_hidden);
    assert!(
        query::session_agenda(&f.view, &observer(), &sid("cotech-1"))
            .unwrap()
            .is_empty()
    );
    assert!(
        !query::session_agenda(&f.view, &pilot(), &sid("cotech-1"))
            .unwrap()
            .is_empty()
    );
}

fn report_with(f: &mut Fixture, counts: &[u32]) {
    f.grant("a1", ETAT, 2026, 10_000, "2026-04-01");
    f.action("a1", "2026-09-01", ActionStarted {});
    f.action(
        "a1",
        "2027-01-15",
        ReportSubmitted {
            kind: ReportKind::Interim,
            beneficiaries: counts
                .iter()
                .map(|&count| BeneficiaryCount {
                    public: PublicKind::Children,
                    age_band: AgeBand::Age11To14,
                    sex: if count % 2 == 0 {
                        Sex::Female
                    } else {
                        Sex::Male
                    },
                    qpv_resident: true,
                    count,
                })
                .collect(),
            spent: euros(4_000),
            narrative: narrative("À mi-parcours."),
        },
    );
}

#[test]
fn an_observer_sees_a_beneficiary_cell_of_ten_but_not_of_nine() {
    let mut f = programme();
    report_with(&mut f, &[9, 10]);
    let seen = query::action(&f.view, &observer(), &aid("a1"))
        .unwrap()
        .unwrap();
    let cells = &seen.reports[0].beneficiaries;
    assert_eq!((cells[0].count, cells[0].hidden), (None, true));
    assert_eq!((cells[1].count, cells[1].hidden), (Some(10), false));
    let full = query::action(&f.view, &pilot(), &aid("a1"))
        .unwrap()
        .unwrap();
    let cells = &full.reports[0].beneficiaries;
    assert_eq!((cells[0].count, cells[0].hidden), (Some(9), false));
}

#[test]
fn a_porteur_sees_its_own_action_in_full_and_anothers_as_an_observer() {
    let mut f = programme();
    f.decide(
        "a2",
        "copil-1",
        "2026-03-14",
        1,
        DecisionOutcome::Retained,
        &[(ETAT, 5_000)],
    );
    f.propose(
        "a3",
        "2026-003",
        "Encore proposée",
        "college",
        2026,
        &[(ETAT, 1_000)],
    );
    let college = porteur("college");
    let own = query::action(&f.view, &college, &aid("a2"))
        .unwrap()
        .unwrap();
    assert!(!own.restricted);
    assert_eq!(own.money[0].requested, euros(5_000));
    let own_proposal = query::action(&f.view, &college, &aid("a3"))
        .unwrap()
        .unwrap();
    assert_eq!(own_proposal.status, ActionStatus::Proposed);
    let other = query::action(&f.view, &college, &aid("a1"))
        .unwrap()
        .unwrap();
    assert!(other.restricted);
    assert!(other.opinions.is_empty());
    assert_eq!(other.money[0].requested, Money::ZERO);
    // The other holder's proposals stay hidden.
    let asso = porteur("asso");
    assert!(query::action(&f.view, &asso, &aid("a3")).unwrap().is_none());
    // The agenda of the COPIL lists its own waiting actions only.
    f.opinion("a3", "cotech-1", "2026-02-02", Opinion::Favourable, &[]);
    // copil-1 is held: a1 and a2 were decided there, and a1 is not the college's.
    let agenda = query::session_agenda(&f.view, &college, &sid("copil-1")).unwrap();
    let ids: Vec<&str> = agenda.iter().map(|a| a.id.as_str()).collect();
    assert_eq!(ids, ["a2"]);
    f.schedule("copil-2", BodyKind::Copil, "2026-06-10", "2026-04-01");
    f.propose("a4", "2026-004", "Autre", "asso", 2026, &[(ETAT, 1_000)]);
    f.opinion("a4", "cotech-1", "2026-02-02", Opinion::Favourable, &[]);
    let agenda = query::session_agenda(&f.view, &college, &sid("copil-2")).unwrap();
    let ids: Vec<&str> = agenda.iter().map(|a| a.id.as_str()).collect();
    assert_eq!(ids, ["a3"]);
    assert_eq!(
        query::session_agenda(&f.view, &pilot(), &sid("copil-2"))
            .unwrap()
            .len(),
        2
    );
}

#[test]
fn a_token_of_another_programme_is_forbidden() {
    let f = programme();
    let stranger = Actor::of(
        Role::Pilot,
        domain::values::ProgrammeId::parse("clichy").unwrap(),
    );
    assert!(matches!(
        query::action(&f.view, &stranger, &aid("a1")),
        Err(QueryError::Forbidden { .. })
    ));
    assert!(matches!(
        query::budget(&f.view, &stranger, 2026),
        Err(QueryError::Forbidden { .. })
    ));
    assert!(query::budget(&f.view, &Actor::admin(), 2026).is_ok());
}
