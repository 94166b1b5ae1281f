//! The folds: what the state says after given events, corrections included.

use crate::common::*;
use domain::action::{ActionDecider, ActionState};
use domain::decider::Decider;
use domain::events::legacy::ProgrammeEstablishedV1;
use domain::events::*;
use domain::partner::{PartnerDecider, PartnerState};
use domain::programme::{ProgrammeDecider, ProgrammeState};
use domain::session::{SessionDecider, SessionState};
use domain::values::*;

fn fold_action(events: &[Dated<ActionEvent>]) -> ActionState {
    events
        .iter()
        .fold(ActionState::default(), ActionDecider::evolve)
}

#[test]
fn a_proposal_folds_to_a_proposed_action_with_its_requested_money() {
    let state = fold_action(&proposed());
    let a = state.action.expect("the action exists");
    assert_eq!(a.status, ActionStatus::Proposed);
    assert_eq!(state.version, 1);
    assert_eq!(state.first_effective_on, Some(proposed_on()));
    assert_eq!(a.line(&etat()).requested, eur(10_000));
    assert_eq!(a.line(&ville()).requested, eur(5_000));
    assert_eq!(a.total(|l| l.requested), eur(15_000));
}

#[test]
fn money_per_funder_follows_opinion_decision_grant_and_payment() {
    let a = fold_action(&in_progress()).action.unwrap();
    assert_eq!(a.status, ActionStatus::InProgress);
    let etat_line = a.line(&etat());
    assert_eq!(etat_line.requested, eur(10_000));
    assert_eq!(etat_line.proposed, eur(8_000));
    assert_eq!(etat_line.retained, eur(8_000));
    assert_eq!(etat_line.granted, eur(8_000));
    assert_eq!(etat_line.paid, eur(4_000));
    assert_eq!(etat_line.to_pay, eur(4_000));
    assert_eq!(a.started_on, Some(started_on()));
}

#[test]
fn a_cancelled_payment_no_longer_counts() {
    let mut events = in_progress();
    events.push(at(
        d(2026, 5, 1),
        PaymentCancelled {
            payment: payment_id("v1"),
            reason: note("Saisi deux fois."),
        },
    ));
    let a = fold_action(&events).action.unwrap();
    assert_eq!(a.line(&etat()).paid, Money::ZERO);
    assert_eq!(a.line(&etat()).to_pay, eur(8_000));
    let p = a.payment(&payment_id("v1")).unwrap();
    assert!(p.cancelled);
    assert_eq!(p.cancelled_on, Some(d(2026, 5, 1)));
}

#[test]
fn a_revised_decision_replaces_the_current_one_and_history_keeps_both() {
    let mut events = retained();
    events.push(at(
        copil_june_on(),
        DecisionRevised {
            session: copil_june(),
            decision_no: 2,
            supersedes: 1,
            outcome: DecisionOutcome::Retained,
            retained: vec![line(etat(), eur(9_000))],
            reason: note("Erreur de saisie du relevé."),
        },
    ));
    let a = fold_action(&events).action.unwrap();
    assert_eq!(a.decisions.len(), 2);
    assert_eq!(a.decisions[0].superseded_by, Some(2));
    let current = a.decision().unwrap();
    assert_eq!(current.number, 2);
    assert!(current.revised);
    assert_eq!(a.line(&etat()).retained, eur(9_000));
    assert_eq!(a.line(&ville()).retained, Money::ZERO);
    assert_eq!(a.status, ActionStatus::Retained);
    assert_eq!(
        a.last_reason.as_ref().unwrap().as_str(),
        "Erreur de saisie du relevé."
    );
}

#[test]
fn a_retained_revision_of_a_funded_action_keeps_its_status() {
    let mut events = funded();
    events.push(at(
        copil_june_on(),
        DecisionRevised {
            session: copil_june(),
            decision_no: 2,
            supersedes: 1,
            outcome: DecisionOutcome::Retained,
            retained: vec![line(etat(), eur(9_000))],
            reason: note("Complément accordé."),
        },
    ));
    assert_eq!(
        fold_action(&events).action.unwrap().status,
        ActionStatus::Funded
    );
}

#[test]
fn complements_return_the_action_where_it_was() {
    let mut events = under_review();
    events.push(at(
        d(2026, 2, 11),
        ComplementsRequested {
            items: vec![title("Budget détaillé")],
        },
    ));
    let a = fold_action(&events).action.unwrap();
    assert_eq!(a.status, ActionStatus::ComplementsRequested);
    events.push(at(
        d(2026, 2, 20),
        ComplementsProvided {
            note: note("Budget joint."),
        },
    ));
    let a = fold_action(&events).action.unwrap();
    assert_eq!(a.status, ActionStatus::UnderReview);
    assert_eq!(a.complements[0].provided_on, Some(d(2026, 2, 20)));
}

#[test]
fn nothing_is_left_to_pay_once_not_realised() {
    let a = fold_action(&not_realised()).action.unwrap();
    assert_eq!(a.status, ActionStatus::NotRealised);
    assert_eq!(a.line(&etat()).to_pay, Money::ZERO);
    assert_eq!(a.line(&etat()).paid, eur(4_000));
}

#[test]
fn folding_saturates_amounts_that_no_longer_fit() {
    let mut events = funded();
    let max = Money::from_cents(Money::MAX_CENTS).unwrap();
    for n in 0..3 {
        events.push(at(paid_on(), payment(&format!("p{n}"), max)));
    }
    let a = fold_action(&events).action.unwrap();
    assert_eq!(a.line(&etat()).paid, max);
    assert_eq!(a.line(&etat()).to_pay, Money::ZERO);
}

#[test]
fn events_before_the_proposal_are_counted_and_ignored() {
    let state = fold_action(&[at(d(2026, 1, 1), ActionStarted {})]);
    assert_eq!(state.version, 1);
    assert!(state.action.is_none());
}

#[test]
fn a_version_1_programme_upcast_folds_with_the_default_cap() {
    let v1 = ProgrammeEstablishedV1 {
        programme: programme_id(),
        name: name("Cité éducative de Grigny"),
        territory: vec![name("Grigny")],
        qpv: vec![name("Grande Borne"), name("Grigny 2")],
        labelled_on: Some(d(2019, 9, 5)),
    };
    let current: ProgrammeEstablished = v1.into();
    let state = ProgrammeDecider::evolve(ProgrammeState::default(), &at(d(2019, 9, 5), current));
    let p = state.programme.unwrap();
    assert_eq!(p.request_cap_permille, 800);
    assert_eq!(p.name.as_str(), "Cité éducative de Grigny");
    assert_eq!(p.qpv.len(), 2);
    assert_eq!(p.labelled_on, Some(d(2019, 9, 5)));
    assert_eq!(p.established_on, d(2019, 9, 5));
}

#[test]
fn a_programme_keeps_axes_funders_envelopes_and_bodies() {
    let year = Year::parse(2026).unwrap();
    let events: Vec<Dated<ProgrammeEvent>> = vec![
        at(
            d(2025, 1, 1),
            ProgrammeEstablished {
                programme: programme_id(),
                name: name("Grigny"),
                territory: vec![],
                qpv: vec![],
                labelled_on: None,
                request_cap_permille: 700,
            },
        ),
        at(
            d(2025, 1, 2),
            AxisDefined {
                code: axis("A1"),
                title: title("Réussite"),
                objective: NationalObjective::SchoolRole,
            },
        ),
        at(d(2025, 6, 1), AxisRetired { code: axis("A1") }),
        at(
            d(2025, 1, 3),
            FunderRegistered {
                funder: etat(),
                name: name("État"),
                kind: FunderKind::State,
                payer: Payer::of_kind(FunderKind::State),
            },
        ),
        at(
            d(2025, 1, 4),
            EnvelopeNotified {
                funder: etat(),
                year,
                amount: eur(300_000),
                reference: None,
            },
        ),
        at(
            d(2025, 9, 4),
            EnvelopeRevised {
                funder: etat(),
                year,
                amount: eur(280_000),
                reason: note("Gel de crédits."),
            },
        ),
        at(
            d(2025, 2, 1),
            BodyMembershipChanged {
                body: BodyKind::Copil,
                organisations: vec![name("Préfecture")],
            },
        ),
        at(
            d(2025, 3, 1),
            BodyMembershipChanged {
                body: BodyKind::Copil,
                organisations: vec![name("Préfecture"), name("Mairie")],
            },
        ),
    ];
    let state = events
        .iter()
        .fold(ProgrammeState::default(), ProgrammeDecider::evolve);
    let p = state.programme.unwrap();
    assert_eq!(state.version, 8);
    assert!(p.axis(&axis("A1")).unwrap().retired);
    let env = p.envelope(&etat(), year).unwrap();
    assert_eq!(env.amount, eur(280_000));
    assert_eq!(env.notified_amount, eur(300_000));
    assert_eq!(env.revisions.len(), 1);
    let copil_members = p.members(BodyKind::Copil).unwrap();
    assert_eq!(copil_members.organisations.len(), 2);
    assert_eq!(copil_members.since, d(2025, 3, 1));
    assert_eq!(p.body_history.len(), 2);
}

#[test]
fn a_session_is_held_or_cancelled() {
    let scheduled = at(
        copil_on(),
        SessionScheduled {
            session: copil(),
            body: BodyKind::Copil,
            date: copil_on(),
            title: title("COPIL de mars"),
        },
    );
    let held = [
        scheduled.clone(),
        at(
            copil_on(),
            SessionHeld {
                present: vec![name("Préfecture")],
            },
        ),
    ]
    .iter()
    .fold(SessionState::default(), SessionDecider::evolve);
    let s = held.session.unwrap();
    assert!(s.held && !s.cancelled);
    let cancelled = [
        scheduled,
        at(
            d(2026, 3, 1),
            SessionCancelled {
                reason: note("Grève."),
            },
        ),
    ]
    .iter()
    .fold(SessionState::default(), SessionDecider::evolve);
    let s = cancelled.session.unwrap();
    assert!(s.cancelled && !s.held);
}

#[test]
fn a_partner_that_leaves_is_no_longer_active() {
    let state = [
        at(
            d(2025, 1, 1),
            PartnerRegistered {
                partner: holder(),
                name: name("Lire à Grigny"),
                kind: PartnerKind::Association,
                siret: None,
                legal_form: LegalForm::of_kind(PartnerKind::Association),
                rna: None,
            },
        ),
        at(
            d(2026, 1, 1),
            PartnerLeftAlliance {
                reason: note("Dissolution."),
            },
        ),
    ]
    .iter()
    .fold(PartnerState::default(), PartnerDecider::evolve);
    let p = state.partner.unwrap();
    assert!(!p.active);
    assert_eq!(p.left_on, Some(d(2026, 1, 1)));
}

/// Found by `random_action_commands_keep_every_invariant`: closing a non-realised action used to
/// be told apart from closing a completed one by the absence of a completion date; the fold
/// now records when the non-realisation was attested.
#[test]
fn a_non_realised_action_once_closed_still_has_nothing_left_to_pay() {
    let mut events = not_realised();
    events.push(at(d(2026, 6, 1), ActionClosed {}));
    let a = fold_action(&events).action.unwrap();
    assert_eq!(a.status, ActionStatus::Closed);
    assert_eq!(a.not_realised_on, Some(d(2026, 5, 2)));
    assert_eq!(a.line(&etat()).to_pay, Money::ZERO);
}

#[test]
fn a_funder_once_named_keeps_its_line_after_an_amendment_drops_it() {
    let mut events = proposed();
    events.push(at(
        d(2026, 1, 15),
        ActionAmended {
            requested: Some(vec![line(etat(), eur(12_000))]),
            ..ActionAmended::default()
        },
    ));
    let a = fold_action(&events).action.unwrap();
    assert_eq!(a.money.len(), 2);
    assert_eq!(a.line(&ville()).requested, Money::ZERO);
    assert_eq!(a.line(&etat()).requested, eur(12_000));
}
