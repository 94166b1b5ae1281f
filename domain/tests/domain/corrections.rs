//! The corrections a year needs (DOMAIN.md, events): an avenant to a grant, a repayment request
//! cancelled, a report corrected, a session's attendance corrected.

use crate::common::*;
use domain::action::ActionCommand;
use domain::context::{Context, EnvelopeFacts};
use domain::error::*;
use domain::events::*;
use domain::session::{SessionCommand, SessionDecider};
use domain::values::*;

fn avenant(grant: &str, amount: Money) -> ActionCommand {
    ActionCommand::AmendGrant {
        grant: grant_id(grant),
        amount,
        reference: title("Avenant n° 1"),
        reason: note("Ajustement du budget"),
    }
}

#[test]
fn an_avenant_changes_a_grant_within_what_was_retained_and_above_what_was_paid() {
    // Retained 8 000 €, granted 8 000 €, 4 000 € paid.
    let (_, state) = given(in_progress())
        .when(avenant("g-etat", eur(6_000)))
        .decided();
    let action = state.action.unwrap();
    assert_eq!(action.grants[0].amount, eur(6_000));
    assert_eq!(action.line(&etat()).granted, eur(6_000));
    assert_eq!(action.line(&etat()).to_pay, eur(2_000));
    let e = given(in_progress())
        .when(avenant("g-etat", eur(3_000)))
        .then_rule("payment_exceeds_granted");
    assert!(e.to_string().contains("avenant"), "{e}");
    given(in_progress())
        .when(avenant("g-etat", eur(9_000)))
        .then_rule("grant_exceeds_retained");
    given(in_progress())
        .when(avenant("g-inconnue", eur(6_000)))
        .then_code(ApiCode::NotFound);
    given(in_progress())
        .when(avenant("g-etat", eur(8_000)))
        .then_code(ApiCode::Validation);
    given(in_progress())
        .when(avenant("g-etat", Money::ZERO))
        .then_code(ApiCode::Validation);
}

#[test]
fn an_avenant_obeys_the_envelope_and_the_convention_rule_at_its_new_amount() {
    let mut events = in_progress();
    events[0] = at(proposed_on(), {
        let mut p = action_proposed();
        p.total_cost = eur(60_000);
        p.requested = vec![line(etat(), eur(40_000))];
        p
    });
    let position = events
        .iter()
        .position(|e| matches!(e.event, ActionEvent::CopilDecisionTaken(_)))
        .unwrap();
    events[position] = at(
        copil_on(),
        decision(DecisionOutcome::Retained, vec![line(etat(), eur(40_000))]),
    );
    // The envelope: 20 000 €, of which 8 000 € are this grant.
    let tight = |mut c: Context| {
        c.envelope = Some(EnvelopeFacts {
            amount: eur(20_000),
            granted: eur(20_000),
        });
        c
    };
    given(events.clone())
        .with(tight)
        .when(avenant("g-etat", eur(9_000)))
        .then_rule("grant_exceeds_envelope");
    // An association with 8 000 € of this funder this year: 24 000 € by an arrêté is too much.
    let association = |mut c: Context| {
        c.partner_granted = Some(eur(8_000));
        c
    };
    let e = given(events.clone())
        .with(association)
        .when(avenant("g-etat", eur(24_000)))
        .then_rule("convention_required");
    assert!(matches!(
        e,
        DomainError::ConventionRequired { already_granted, .. } if already_granted == Money::ZERO
    ));
    given(events)
        .with(association)
        .when(avenant("g-etat", eur(23_000)))
        .decided();
}

#[test]
fn a_repayment_request_cancelled_leaves_nothing_outstanding() {
    let mut events = in_progress();
    events.push(at(
        d(2026, 6, 1),
        RepaymentRequested {
            funder: etat(),
            amount: eur(3_000),
            reason: note("Trop-perçu"),
        },
    ));
    events.push(at(
        d(2026, 6, 10),
        RepaymentReceived {
            funder: etat(),
            amount: eur(1_000),
        },
    ));
    let cancel = ActionCommand::CancelRepaymentRequest {
        funder: etat(),
        reason: note("Remise gracieuse"),
    };
    let (_, state) = given(events).when(cancel.clone()).decided();
    let line = state.action.as_ref().unwrap().line(&etat());
    assert_eq!(
        (line.repayment_requested, line.repaid),
        (eur(1_000), eur(1_000))
    );
    // Nothing outstanding: nothing to cancel.
    given(in_progress())
        .when(cancel)
        .then_code(ApiCode::Validation);
}

#[test]
fn a_report_is_corrected_by_its_index() {
    let correct = |report: u32| ActionCommand::CorrectReport {
        report,
        spent: eur(7_500),
        beneficiaries: vec![],
        narrative: narrative("Bilan corrigé."),
        reason: note("Erreur de saisie"),
    };
    let (_, state) = given(reported()).when(correct(0)).decided();
    let action = state.action.unwrap();
    assert_eq!(action.reports[0].spent, eur(7_500));
    assert_eq!(action.reports.len(), 1);
    let e = given(reported())
        .when(correct(3))
        .then_code(ApiCode::NotFound);
    assert!(e.to_string().contains("n° 3"), "{e}");
}

#[test]
fn a_held_sessions_attendance_is_corrected() {
    let held = vec![
        at(
            d(2026, 3, 1),
            SessionScheduled {
                session: copil(),
                body: BodyKind::Copil,
                date: d(2026, 3, 14),
                title: title("COPIL"),
            },
        ),
        at(
            d(2026, 3, 14),
            SessionHeld {
                present: vec![name("Préfecture")],
            },
        ),
    ];
    let ctx = Context::new(coordinator(), today(), programme_id());
    let correct = SessionCommand::CorrectAttendance {
        present: vec![name("Préfecture"), name("CAF")],
        reason: note("La CAF était présente"),
    };
    let (_, state) = given_in::<SessionDecider>(held.clone(), ctx.clone())
        .when(correct.clone())
        .decided();
    assert_eq!(state.session.unwrap().present.len(), 2);
    given_in::<SessionDecider>(held[..1].to_vec(), ctx.clone())
        .when(correct)
        .then_rule("lifecycle");
}
