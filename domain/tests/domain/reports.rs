//! The compte rendu financier: when it is due, its deadline extended, its review, and closing
//! after an ACCEPTED review (DOMAIN.md rules 8 and 14, "Reports due").

use crate::common::*;
use domain::action::{ActionCommand, ActionDecider};
use domain::decider::Decider;
use domain::error::*;
use domain::events::*;
use domain::values::*;

fn extend(due_on: chrono::NaiveDate) -> ActionCommand {
    ActionCommand::ExtendReportDeadline {
        due_on,
        reason: note("L'action suit l'année scolaire"),
    }
}

fn review(verdict: ReportVerdict) -> ActionCommand {
    ActionCommand::ReviewFinalReport {
        verdict,
        comment: None,
    }
}

fn reviewed(verdict: ReportVerdict) -> Vec<Dated<ActionEvent>> {
    let mut events = reported();
    events.push(at(
        d(2026, 6, 20),
        FinalReportReviewed {
            verdict,
            comment: Some(note("Examen")),
        },
    ));
    events
}

#[test]
fn the_final_report_is_due_six_months_after_the_exercice_of_its_grants() {
    // Granted for 2026: due on 30 June 2027.
    let (_, state) = given(funded()).when(extend(d(2027, 12, 31))).decided();
    let action = state.action.unwrap();
    assert_eq!(action.report_deadline, Some(d(2027, 12, 31)));
    assert_eq!(action.final_report_due_on(), Some(d(2027, 12, 31)));
    let funded = ActionDecider::fold(&funded());
    assert_eq!(
        funded.action.unwrap().final_report_due_on(),
        Some(d(2027, 6, 30))
    );
    // Nothing is due before funding, nor once the report is filed.
    assert_eq!(
        ActionDecider::fold(&retained())
            .action
            .unwrap()
            .final_report_due_on(),
        None
    );
    assert_eq!(
        ActionDecider::fold(&reported())
            .action
            .unwrap()
            .final_report_due_on(),
        None
    );
}

#[test]
fn a_deadline_is_extended_only_while_the_report_is_due_and_to_a_later_date() {
    let e = given(funded())
        .when(extend(d(2027, 6, 30)))
        .then_rule("deadline_invalid");
    assert_eq!(
        e,
        DomainError::DeadlineInvalid(DeadlineProblem::NotLater {
            due_on: d(2027, 6, 30),
            current: d(2027, 6, 30),
        })
    );
    for events in [retained(), reported(), evaluated(), not_realised()] {
        given(events)
            .when(extend(d(2027, 12, 31)))
            .then_rule("deadline_invalid");
    }
    for events in [funded(), in_progress(), completed()] {
        given(events).when(extend(d(2027, 12, 31))).decided();
    }
    // Beyond rule 19's range: VALIDATION.
    given(funded())
        .when(extend(d(2040, 1, 1)))
        .then_code(ApiCode::Validation);
}

#[test]
fn a_final_report_is_reviewed_once_when_reported() {
    given(reported())
        .when(review(ReportVerdict::Accepted))
        .decided();
    for events in [completed(), evaluated(), funded()] {
        given(events)
            .when(review(ReportVerdict::Accepted))
            .then_rule("report_review_invalid");
    }
    let e = given(reviewed(ReportVerdict::Accepted))
        .when(review(ReportVerdict::Rejected))
        .then_rule("report_review_invalid");
    assert!(e.to_string().contains("déjà été examiné"), "{e}");
}

#[test]
fn a_reported_action_closes_once_its_final_report_is_accepted() {
    given(reported())
        .when(ActionCommand::CloseAction)
        .then_rule("close_not_ready");
    let (_, state) = given(reviewed(ReportVerdict::Accepted))
        .when(ActionCommand::CloseAction)
        .decided();
    assert_eq!(state.action.unwrap().status, ActionStatus::Closed);
    given(reviewed(ReportVerdict::Rejected))
        .when(ActionCommand::CloseAction)
        .then_rule("close_not_ready");
}

#[test]
fn after_a_rejected_review_a_new_final_report_is_due_then_reviewed_again() {
    let rejected = reviewed(ReportVerdict::Rejected);
    let action = ActionDecider::fold(&rejected).action.unwrap();
    assert_eq!(action.status, ActionStatus::Reported);
    assert_eq!(action.final_report_due_on(), Some(d(2027, 6, 30)));
    let refile = ActionCommand::SubmitReport {
        kind: ReportKind::Final,
        spent: eur(9_000),
        narrative: narrative("Dépenses justifiées."),
        beneficiaries: vec![],
    };
    let (_, state) = given(rejected.clone()).when(refile.clone()).decided();
    let action = state.action.unwrap();
    assert_eq!(action.status, ActionStatus::Reported);
    assert_eq!(action.final_report_due_on(), None);
    // Reviewed again, accepted, then closed.
    let mut refiled = rejected;
    refiled.push(at(d(2026, 6, 25), {
        let mut r = final_report();
        r.narrative = narrative("Dépenses justifiées.");
        r
    }));
    given(refiled.clone())
        .when(review(ReportVerdict::Accepted))
        .decided();
    // Without a rejection, a second final report is refused.
    given(reported()).when(refile).then_rule("lifecycle");
}

#[test]
fn closing_always_needs_every_requested_repayment_received() {
    let mut events = evaluated();
    events.push(at(
        d(2026, 6, 25),
        RepaymentRequested {
            funder: etat(),
            amount: eur(100),
            reason: note("Trop-perçu"),
        },
    ));
    let e = given(events)
        .when(ActionCommand::CloseAction)
        .then_rule("close_not_ready");
    assert_eq!(
        e,
        DomainError::CloseNotReady {
            status: ActionStatus::Evaluated,
            repayments_outstanding: eur(100),
        }
    );
}

#[test]
fn a_period_ending_after_the_report_is_due_is_accepted_with_a_warning() {
    let change = |end| ActionCommand::ChangePeriod {
        period_start: d(2026, 1, 5),
        period_end: end,
        reason: note("Année scolaire"),
    };
    let (decided, _) = given(funded()).when(change(d(2027, 7, 9))).decided();
    let codes: Vec<&str> = decided.warnings.iter().map(|w| w.code()).collect();
    assert_eq!(codes, ["period_ends_after_report_due"]);
    assert!(
        decided.warnings[0].to_string().contains("30 juin 2027"),
        "{}",
        decided.warnings[0]
    );
    let (decided, _) = given(funded()).when(change(d(2027, 6, 30))).decided();
    assert!(decided.warnings.is_empty());
    // Once the deadline is extended, the same period raises no warning.
    let mut extended = funded();
    extended.push(at(
        d(2026, 6, 1),
        ReportDeadlineExtended {
            due_on: d(2027, 12, 31),
            reason: note("Accord des financeurs"),
        },
    ));
    let (decided, _) = given(extended).when(change(d(2027, 7, 9))).decided();
    assert!(decided.warnings.is_empty());
    // A proposal whose period ends after 30 June of the next year.
    let (decided, _) = given(vec![])
        .when(ActionCommand::ProposeAction({
            let mut p = action_proposed();
            p.period_end = d(2027, 7, 9);
            p
        }))
        .decided();
    let codes: Vec<&str> = decided.warnings.iter().map(|w| w.code()).collect();
    assert_eq!(codes, ["period_ends_after_report_due"]);
}

#[test]
fn after_a_rejected_review_money_can_be_claimed_back() {
    // REPORTED with its compte rendu financier refused: a repayment is asked for, and received.
    let mut events = reviewed(ReportVerdict::Rejected);
    events.push(at(d(2026, 6, 10), payment("v9", eur(2_000))));
    let (_, state) = given(events.clone())
        .when(ActionCommand::RequestRepayment {
            funder: etat(),
            amount: eur(1_000),
            reason: note("Dépenses non justifiées"),
        })
        .decided();
    let action = state.action.unwrap();
    assert_eq!(action.status, ActionStatus::Reported);
    assert_eq!(action.line(&etat()).repayment_requested, eur(1_000));
    // It still cannot close before a new final report is accepted.
    given(events)
        .when(ActionCommand::CloseAction)
        .then_rule("close_not_ready");
}
