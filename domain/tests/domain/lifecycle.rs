//! Rule 11: every command tried in every status of an action. The statuses DOMAIN.md's life
//! cycle draws for a command accept it; every other status refuses it with a rule violation.

use crate::common::*;
use domain::action::ActionCommand;
use domain::error::ApiCode;
use domain::events::*;
use domain::values::*;

/// A stream reaching each of the fourteen statuses.
fn streams() -> Vec<(ActionStatus, Vec<Dated<ActionEvent>>)> {
    use ActionStatus as S;
    let mut complements = proposed();
    complements.push(at(
        d(2026, 1, 20),
        ComplementsRequested {
            items: vec![title("Budget")],
        },
    ));
    let mut rejected = under_review();
    rejected.push(at(copil_on(), decision(DecisionOutcome::Rejected, vec![])));
    let mut withdrawn = proposed();
    withdrawn.push(at(
        d(2026, 1, 20),
        ActionWithdrawn {
            reason: note("Abandon."),
        },
    ));
    let mut closed = evaluated();
    closed.push(at(d(2026, 6, 21), ActionClosed {}));
    vec![
        (S::Proposed, proposed()),
        (S::ComplementsRequested, complements),
        (S::UnderReview, under_review()),
        (S::Retained, retained()),
        (S::Deferred, deferred()),
        (S::Rejected, rejected),
        (S::Withdrawn, withdrawn),
        (S::Funded, funded()),
        (S::InProgress, in_progress()),
        (S::Completed, completed()),
        (S::NotRealised, not_realised()),
        (S::Reported, reported()),
        (S::Evaluated, evaluated()),
        (S::Closed, closed),
    ]
}

struct Case {
    command: ActionCommand,
    allowed: &'static [ActionStatus],
    /// The rule codes a refusal may carry.
    refusals: &'static [&'static str],
    /// The status after the command, from each allowed status.
    leads_to: fn(ActionStatus) -> ActionStatus,
}

fn cases() -> Vec<Case> {
    use ActionStatus as S;
    let late = d(2026, 6, 25);
    vec![
        Case {
            command: ActionCommand::AmendAction(ActionAmended {
                title: Some(title("Titre revu")),
                ..ActionAmended::default()
            }),
            allowed: &[
                S::Proposed,
                S::ComplementsRequested,
                S::UnderReview,
                S::Deferred,
            ],
            refusals: &["amend_after_decision"],
            leads_to: |s| s,
        },
        Case {
            command: ActionCommand::RequestComplements {
                items: vec![title("Devis")],
            },
            allowed: &[S::Proposed, S::UnderReview],
            refusals: &["lifecycle"],
            leads_to: |_| S::ComplementsRequested,
        },
        Case {
            command: ActionCommand::ProvideComplements {
                note: note("Devis joint."),
            },
            allowed: &[S::ComplementsRequested],
            refusals: &["lifecycle"],
            // The fixture asked for complements on a proposal.
            leads_to: |_| S::Proposed,
        },
        Case {
            command: ActionCommand::WithdrawAction {
                reason: note("Abandon."),
            },
            allowed: &[
                S::Proposed,
                S::ComplementsRequested,
                S::UnderReview,
                S::Deferred,
            ],
            refusals: &["lifecycle"],
            leads_to: |_| S::Withdrawn,
        },
        Case {
            command: ActionCommand::GiveOpinion {
                session: cotech_june(),
                opinion: Opinion::Favourable,
                proposed: vec![],
                comment: None,
            },
            allowed: &[S::Proposed, S::UnderReview, S::Deferred],
            refusals: &["lifecycle"],
            leads_to: |s| if s == S::Proposed { S::UnderReview } else { s },
        },
        Case {
            command: ActionCommand::TakeCopilDecision {
                session: copil_june(),
                outcome: DecisionOutcome::Retained,
                retained: vec![line(etat(), eur(7_000))],
                reason: None,
            },
            allowed: &[S::Proposed, S::UnderReview, S::Deferred],
            refusals: &["lifecycle"],
            leads_to: |_| S::Retained,
        },
        Case {
            command: ActionCommand::ReviseDecision {
                session: copil_june(),
                outcome: DecisionOutcome::Retained,
                retained: vec![line(etat(), eur(9_000)), line(ville(), eur(5_000))],
                reason: note("Rectification."),
            },
            allowed: &[
                S::Retained,
                S::Deferred,
                S::Rejected,
                S::Funded,
                S::InProgress,
            ],
            refusals: &["lifecycle"],
            // A RETAINED revision retains, but a funded action stays where it was (rule 13).
            leads_to: |s| match s {
                S::Funded | S::InProgress => s,
                _ => S::Retained,
            },
        },
        Case {
            command: ActionCommand::AwardGrant {
                grant: grant_id("g-ville"),
                funder: ville(),
                year: Year::parse(2026).unwrap(),
                amount: eur(5_000),
                act: Act {
                    kind: ActKind::Deliberation,
                    reference: title("Délibération 12"),
                    signed_on: late,
                },
            },
            allowed: &[S::Retained, S::Funded, S::InProgress],
            refusals: &["grant_needs_retained"],
            leads_to: |s| if s == S::Retained { S::Funded } else { s },
        },
        Case {
            command: ActionCommand::RefuseGrant {
                funder: ville(),
                reason: note("Budget épuisé."),
            },
            allowed: &[S::Retained, S::Funded, S::InProgress],
            refusals: &["grant_needs_retained"],
            leads_to: |s| s,
        },
        Case {
            command: ActionCommand::RecordPayment {
                payment: payment_id("v-late"),
                funder: etat(),
                amount: eur(1_000),
                kind: PaymentKind::Balance,
                paid_on: late,
            },
            allowed: &[
                S::Funded,
                S::InProgress,
                S::Completed,
                S::Reported,
                S::Evaluated,
            ],
            refusals: &["lifecycle"],
            leads_to: |s| s,
        },
        Case {
            command: ActionCommand::StartAction { started_on: late },
            allowed: &[S::Funded],
            refusals: &["lifecycle"],
            leads_to: |_| S::InProgress,
        },
        Case {
            command: ActionCommand::ChangePeriod {
                period_start: d(2026, 9, 1),
                period_end: d(2027, 7, 3),
                reason: note("Année scolaire."),
            },
            allowed: &[S::Retained, S::Funded, S::InProgress],
            refusals: &["lifecycle"],
            leads_to: |s| s,
        },
        Case {
            command: ActionCommand::CompleteAction { completed_on: late },
            allowed: &[S::InProgress],
            refusals: &["lifecycle"],
            leads_to: |_| S::Completed,
        },
        Case {
            command: ActionCommand::AttestNonRealisation {
                reason: note("Intervenant parti."),
            },
            allowed: &[S::Retained, S::Funded, S::InProgress],
            refusals: &["lifecycle"],
            leads_to: |_| S::NotRealised,
        },
        Case {
            command: ActionCommand::RequestRepayment {
                funder: etat(),
                amount: eur(1_000),
                reason: note("Sous-consommation."),
            },
            // Funded is allowed by the life cycle, but nothing was paid yet there.
            allowed: &[
                S::InProgress,
                S::Completed,
                S::NotRealised,
                S::Reported,
                S::Evaluated,
            ],
            refusals: &["lifecycle", "repayment_exceeds_paid"],
            leads_to: |s| s,
        },
        Case {
            command: ActionCommand::SubmitReport {
                kind: ReportKind::Interim,
                spent: eur(5_000),
                narrative: narrative("À mi-parcours."),
                beneficiaries: vec![],
            },
            allowed: &[S::InProgress, S::Completed],
            refusals: &["report_needs_completion"],
            leads_to: |s| s,
        },
        Case {
            command: ActionCommand::SubmitReport {
                kind: ReportKind::Final,
                spent: eur(19_000),
                narrative: narrative("Bilan."),
                beneficiaries: vec![],
            },
            allowed: &[S::Completed],
            refusals: &["report_needs_completion", "lifecycle"],
            leads_to: |_| S::Reported,
        },
        Case {
            command: ActionCommand::MeasureIndicator {
                code: indicator(),
                value: 12.0,
                measured_on: late,
            },
            allowed: &[
                S::Funded,
                S::InProgress,
                S::Completed,
                S::Reported,
                S::Evaluated,
            ],
            refusals: &["lifecycle"],
            leads_to: |s| s,
        },
        Case {
            command: ActionCommand::EvaluateAction {
                rating: Rating::Achieved,
                findings: narrative("Réussi."),
                recommendation: Recommendation::Renew,
            },
            allowed: &[S::Reported],
            refusals: &["evaluation_needs_final_report", "lifecycle"],
            leads_to: |_| S::Evaluated,
        },
        Case {
            command: ActionCommand::CloseAction,
            allowed: &[S::Evaluated, S::NotRealised],
            refusals: &["close_not_ready", "lifecycle"],
            leads_to: |_| S::Closed,
        },
    ]
}

#[test]
fn every_command_is_accepted_exactly_where_the_life_cycle_draws_it() {
    let mut checked = 0;
    for case in cases() {
        for (status, events) in streams() {
            let spec = given(events.clone()).with(|c| {
                let session = match &case.command {
                    ActionCommand::GiveOpinion { .. } => cotech_june_facts(),
                    _ => copil_june_facts(),
                };
                c.with_session(session)
            });
            let outcome = spec.when(case.command.clone());
            if case.allowed.contains(&status) {
                let (_, state) = outcome.decided();
                let after = state.action.unwrap().status;
                let expected = (case.leads_to)(status);
                assert_eq!(after, expected, "{:?} from {status:?}", case.command.kind());
            } else {
                let e = outcome.error();
                assert_eq!(
                    e.api_code(),
                    ApiCode::RuleViolation,
                    "{:?} from {status:?}: {e:?}",
                    case.command.kind()
                );
                assert!(
                    case.refusals.contains(&e.rule_code()),
                    "{:?} from {status:?}: {e:?}",
                    case.command.kind()
                );
            }
            checked += 1;
        }
    }
    assert_eq!(checked, cases().len() * 14);
}

#[test]
fn a_first_opinion_puts_a_proposed_action_under_review_and_a_deferred_one_stays_deferred() {
    let opinion = || ActionCommand::GiveOpinion {
        session: cotech_june(),
        opinion: Opinion::Favourable,
        proposed: vec![],
        comment: None,
    };
    let after = |events| {
        given(events)
            .session(cotech_june_facts())
            .when(opinion())
            .decided()
            .1
            .action
            .unwrap()
            .status
    };
    assert_eq!(after(proposed()), ActionStatus::UnderReview);
    assert_eq!(after(under_review()), ActionStatus::UnderReview);
    assert_eq!(after(deferred()), ActionStatus::Deferred);
}

#[test]
fn complements_provided_return_an_action_under_review_to_review() {
    let mut events = under_review();
    events.push(at(
        d(2026, 2, 12),
        ComplementsRequested {
            items: vec![title("Devis")],
        },
    ));
    let state = given(events)
        .when(ActionCommand::ProvideComplements {
            note: note("Devis joint."),
        })
        .decided()
        .1;
    assert_eq!(state.action.unwrap().status, ActionStatus::UnderReview);
}

#[test]
fn each_outcome_of_a_copil_decision_sets_the_status() {
    for (outcome, retained, status) in [
        (
            DecisionOutcome::Retained,
            vec![line(etat(), eur(1_000))],
            ActionStatus::Retained,
        ),
        (DecisionOutcome::Deferred, vec![], ActionStatus::Deferred),
        (DecisionOutcome::Rejected, vec![], ActionStatus::Rejected),
    ] {
        let state = given(under_review())
            .session(copil_june_facts())
            .when(ActionCommand::TakeCopilDecision {
                session: copil_june(),
                outcome,
                retained,
                reason: None,
            })
            .decided()
            .1;
        assert_eq!(state.action.unwrap().status, status);
    }
}

#[test]
fn the_first_grant_funds_a_retained_action_and_later_ones_keep_its_status() {
    let grant = |funder: FunderId, id: &str, amount| ActionCommand::AwardGrant {
        grant: grant_id(id),
        funder,
        year: Year::parse(2026).unwrap(),
        amount,
        act: Act {
            kind: ActKind::Arrete,
            reference: title("Arrêté"),
            signed_on: d(2026, 6, 1),
        },
    };
    let state = given(retained())
        .when(grant(etat(), "g1", eur(8_000)))
        .decided()
        .1;
    assert_eq!(state.action.as_ref().unwrap().status, ActionStatus::Funded);
    let state = given(in_progress())
        .when(grant(ville(), "g2", eur(5_000)))
        .decided()
        .1;
    assert_eq!(state.action.unwrap().status, ActionStatus::InProgress);
}
