//! The rules of DOMAIN.md, each broken every way it can be, and the sensible ones beside them.

use crate::common::*;
use domain::action::{ActionCommand, ActionDecider, CONVENTION_THRESHOLD, beneficiary_count};
use domain::context::{Context, EnvelopeFacts, PartnerFacts};
use domain::decider::{Command, Decider};
use domain::error::*;
use domain::events::*;
use domain::values::*;

fn propose(p: ActionProposed) -> ActionCommand {
    ActionCommand::ProposeAction(p)
}

fn decide_at_copil(outcome: DecisionOutcome, retained: Vec<MoneyLine>) -> ActionCommand {
    ActionCommand::TakeCopilDecision {
        session: copil_june(),
        outcome,
        retained,
        reason: None,
    }
}

fn revise(outcome: DecisionOutcome, retained: Vec<MoneyLine>) -> ActionCommand {
    ActionCommand::ReviseDecision {
        session: copil_june(),
        outcome,
        retained,
        reason: note("Erreur au relevé."),
    }
}

fn grant(funder: FunderId, amount: Money, kind: ActKind) -> ActionCommand {
    ActionCommand::AwardGrant {
        grant: grant_id("g2"),
        funder,
        year: Year::parse(2026).unwrap(),
        amount,
        act: Act {
            kind,
            reference: title("Acte 2"),
            signed_on: d(2026, 6, 20),
        },
    }
}

fn pay(id: &str, funder: FunderId, amount: Money) -> ActionCommand {
    ActionCommand::RecordPayment {
        payment: payment_id(id),
        funder,
        amount,
        kind: PaymentKind::Instalment,
        paid_on: d(2026, 6, 20),
    }
}

trait PaidOn {
    fn with_paid_on(self, day: chrono::NaiveDate) -> Self;
}

impl PaidOn for ActionCommand {
    fn with_paid_on(mut self, day: chrono::NaiveDate) -> Self {
        if let ActionCommand::RecordPayment { paid_on, .. } = &mut self {
            *paid_on = day;
        }
        self
    }
}

fn request_repayment(amount: Money) -> ActionCommand {
    ActionCommand::RequestRepayment {
        funder: etat(),
        amount,
        reason: note("Action non réalisée."),
    }
}

fn receive_repayment(amount: Money) -> ActionCommand {
    ActionCommand::RecordRepayment {
        funder: etat(),
        amount,
        received_on: d(2026, 6, 25),
    }
}

fn report(kind: ReportKind, cells: Vec<BeneficiaryCount>) -> ActionCommand {
    ActionCommand::SubmitReport {
        kind,
        spent: eur(18_000),
        narrative: narrative("Bilan."),
        beneficiaries: cells,
    }
}

fn cell(sex: Sex, count: u32) -> BeneficiaryCount {
    BeneficiaryCount {
        public: PublicKind::Children,
        age_band: AgeBand::Age6To10,
        sex,
        qpv_resident: true,
        count,
    }
}

fn not_realised_with_repayment_requested() -> Vec<Dated<ActionEvent>> {
    let mut events = not_realised();
    events.push(at(
        d(2026, 5, 10),
        RepaymentRequested {
            funder: etat(),
            amount: eur(4_000),
            reason: note("Non réalisée."),
        },
    ));
    events
}

// ---------------------------------------------------------------- rule 1: money_invalid

#[test]
fn money_outside_its_range_does_not_exist() {
    assert!(Money::from_cents(-1).is_none());
    assert!(Money::from_cents(Money::MAX_CENTS + 1).is_none());
}

#[test]
fn requested_amounts_whose_sum_overflows_are_refused() {
    let max = Money::from_cents(Money::MAX_CENTS).unwrap();
    let mut p = action_proposed();
    p.total_cost = max;
    p.requested = vec![line(etat(), max), line(ville(), eur(1))];
    given(vec![]).when(propose(p)).then_rule("money_invalid");
}

// ---------------------------------------------------------------- rule 2

#[test]
fn a_proposal_within_its_cost_and_cap_is_recorded_without_warning() {
    let (decided, state) = given(vec![]).when(propose(action_proposed())).decided();
    assert!(decided.warnings.is_empty());
    assert_eq!(decided.effective_on, today());
    assert_eq!(decided.events, vec![action_proposed().into()]);
    assert_eq!(state.action.unwrap().status, ActionStatus::Proposed);
}

#[test]
fn requested_above_total_cost_is_refused() {
    let mut p = action_proposed();
    p.requested = vec![line(etat(), eur(15_000)), line(ville(), eur(5_001))];
    let e = given(vec![])
        .when(propose(p))
        .then_rule("requested_exceeds_cost");
    assert_eq!(
        e,
        DomainError::RequestedExceedsCost {
            requested: eur(20_001),
            total_cost: eur(20_000)
        }
    );
    assert!(e.to_string().contains("20\u{202F}001,00\u{A0}€"));
}

#[test]
fn requested_equal_to_total_cost_is_accepted_with_the_cap_warning() {
    let mut p = action_proposed();
    p.requested = vec![line(etat(), eur(15_000)), line(ville(), eur(5_000))];
    let (decided, _) = given(vec![]).when(propose(p)).decided();
    assert_eq!(decided.warnings.len(), 1);
    assert_eq!(decided.warnings[0].code(), "request_above_cap");
}

#[test]
fn requested_exactly_at_the_cap_has_no_warning_and_one_cent_more_has() {
    let mut p = action_proposed();
    p.requested = vec![line(etat(), eur(16_000))];
    let (decided, _) = given(vec![]).when(propose(p.clone())).decided();
    assert!(decided.warnings.is_empty());
    p.requested = vec![line(etat(), cents(1_600_001))];
    let (decided, _) = given(vec![]).when(propose(p)).decided();
    assert_eq!(
        decided.warnings,
        vec![Warning::RequestAboveCap {
            requested: cents(1_600_001),
            total_cost: eur(20_000),
            cap_permille: 800
        }]
    );
}

#[test]
fn the_programme_cap_decides_the_warning() {
    let mut facts = programme_facts();
    facts.request_cap_permille = 500;
    let (decided, _) = given(vec![])
        .with(|c| c.with_programme(facts))
        .when(propose(action_proposed()))
        .decided();
    assert_eq!(decided.warnings.len(), 1);
}

#[test]
fn an_amendment_raising_the_request_above_the_cost_is_refused() {
    given(proposed())
        .when(ActionCommand::AmendAction(ActionAmended {
            total_cost: Some(eur(14_000)),
            ..ActionAmended::default()
        }))
        .then_rule("requested_exceeds_cost");
}

#[test]
fn an_amendment_above_the_cap_is_accepted_with_a_warning() {
    let (decided, _) = given(proposed())
        .when(ActionCommand::AmendAction(ActionAmended {
            total_cost: Some(eur(16_000)),
            ..ActionAmended::default()
        }))
        .decided();
    assert_eq!(decided.warnings[0].code(), "request_above_cap");
}

#[test]
fn a_proposal_requesting_nothing_is_refused() {
    let mut p = action_proposed();
    p.requested = vec![line(etat(), Money::ZERO)];
    given(vec![])
        .when(propose(p))
        .then_error(DomainError::ZeroAmount {
            field: "montants demandés",
        });
}

// ---------------------------------------------------------------- proposals: sensible rules

#[test]
fn a_proposal_on_a_retired_axis_is_refused() {
    let mut p = action_proposed();
    p.axis = axis("A0");
    given(vec![]).when(propose(p)).then_rule("axis_retired");
}

#[test]
fn a_secondary_axis_that_is_retired_is_refused() {
    let mut p = action_proposed();
    p.secondary_axes = vec![axis("A0")];
    given(vec![]).when(propose(p)).then_rule("axis_retired");
}

#[test]
fn a_proposal_on_an_unknown_axis_is_not_found() {
    let mut p = action_proposed();
    p.axis = axis("Z9");
    given(vec![])
        .when(propose(p))
        .then_error(DomainError::NotFound(Missing::Axis(axis("Z9"))));
}

#[test]
fn an_axis_named_twice_is_a_validation_error() {
    let mut p = action_proposed();
    p.secondary_axes = vec![axis("A1")];
    given(vec![])
        .when(propose(p))
        .then_error(DomainError::DuplicateAxis(axis("A1")));
}

#[test]
fn a_funder_not_registered_is_not_found() {
    let mut p = action_proposed();
    p.requested = vec![line(FunderId::parse("region").unwrap(), eur(1_000))];
    given(vec![]).when(propose(p)).then_code(ApiCode::NotFound);
}

#[test]
fn a_funder_named_twice_is_a_validation_error() {
    let mut p = action_proposed();
    p.requested = vec![line(etat(), eur(1_000)), line(etat(), eur(2_000))];
    given(vec![])
        .when(propose(p))
        .then_error(DomainError::DuplicateFunder(etat()));
}

#[test]
fn a_period_ending_before_it_starts_is_a_validation_error() {
    let mut p = action_proposed();
    p.period_end = d(2025, 12, 31);
    given(vec![])
        .when(propose(p))
        .then_code(ApiCode::Validation);
}

#[test]
fn an_indicator_planned_twice_is_a_validation_error() {
    let mut p = action_proposed();
    p.indicators.push(p.indicators[0].clone());
    given(vec![])
        .when(propose(p))
        .then_error(DomainError::DuplicateIndicator(indicator()));
}

#[test]
fn a_holder_that_left_the_alliance_cannot_propose() {
    given(vec![])
        .with(|c| {
            c.with_holder(PartnerFacts {
                id: holder(),
                active: false,
                legal_form: LegalForm::Association,
            })
        })
        .when(propose(action_proposed()))
        .then_rule("partner_inactive");
}

#[test]
fn a_holder_unknown_is_not_found() {
    let mut ctx = action_ctx();
    ctx.holder = None;
    given(vec![])
        .with(|_| ctx)
        .when(propose(action_proposed()))
        .then_error(DomainError::NotFound(Missing::Partner(holder())));
}

#[test]
fn a_proposal_in_a_programme_not_established_is_not_found() {
    let mut ctx = action_ctx();
    ctx.programme_facts = None;
    given(vec![])
        .with(|_| ctx)
        .when(propose(action_proposed()))
        .then_error(DomainError::NotFound(Missing::Programme(programme_id())));
}

#[test]
fn an_action_is_proposed_only_once() {
    given(proposed())
        .when(propose(action_proposed()))
        .then_rule("lifecycle");
}

#[test]
fn a_command_on_an_action_that_does_not_exist_is_not_found() {
    given(vec![])
        .when(ActionCommand::WithdrawAction { reason: note("x") })
        .then_code(ApiCode::NotFound);
}

// ---------------------------------------------------------------- rule 3

#[test]
fn an_amendment_records_only_what_changes() {
    given(proposed())
        .when(ActionCommand::AmendAction(ActionAmended {
            title: Some(title("Nouveau titre")),
            axis: Some(axis("A1")),
            ..ActionAmended::default()
        }))
        .then(vec![
            ActionAmended {
                title: Some(title("Nouveau titre")),
                ..ActionAmended::default()
            }
            .into(),
        ]);
}

#[test]
fn an_amendment_that_changes_nothing_is_a_validation_error() {
    given(proposed())
        .when(ActionCommand::AmendAction(ActionAmended {
            axis: Some(axis("A1")),
            ..ActionAmended::default()
        }))
        .then_error(DomainError::NothingToChange);
}

#[test]
fn a_deferred_action_can_be_amended_and_stays_deferred() {
    let state = given(deferred())
        .when(ActionCommand::AmendAction(ActionAmended {
            total_cost: Some(eur(25_000)),
            ..ActionAmended::default()
        }))
        .then(vec![
            ActionAmended {
                total_cost: Some(eur(25_000)),
                ..ActionAmended::default()
            }
            .into(),
        ]);
    assert_eq!(state.action.unwrap().status, ActionStatus::Deferred);
}

#[test]
fn a_retained_action_cannot_be_amended() {
    let e = given(retained())
        .when(ActionCommand::AmendAction(ActionAmended {
            title: Some(title("Autre")),
            ..ActionAmended::default()
        }))
        .then_rule("amend_after_decision");
    assert_eq!(
        e,
        DomainError::AmendAfterDecision {
            status: ActionStatus::Retained
        }
    );
}

#[test]
fn a_rejected_or_withdrawn_action_cannot_be_amended() {
    let mut rejected = under_review();
    rejected.push(at(copil_on(), decision(DecisionOutcome::Rejected, vec![])));
    let mut withdrawn = proposed();
    withdrawn.push(at(
        d(2026, 1, 20),
        ActionWithdrawn {
            reason: note("Abandon."),
        },
    ));
    for events in [rejected, withdrawn, funded()] {
        given(events)
            .when(ActionCommand::AmendAction(ActionAmended {
                title: Some(title("Autre")),
                ..ActionAmended::default()
            }))
            .then_rule("amend_after_decision");
    }
}

#[test]
fn an_amendment_to_a_retired_axis_is_refused() {
    given(proposed())
        .when(ActionCommand::AmendAction(ActionAmended {
            axis: Some(axis("A0")),
            ..ActionAmended::default()
        }))
        .then_rule("axis_retired");
}

// ---------------------------------------------------------------- rule 4

#[test]
fn an_opinion_is_effective_on_the_session_date_and_puts_the_action_under_review() {
    let state = given(proposed())
        .session(cotech_facts())
        .when(ActionCommand::GiveOpinion {
            session: cotech(),
            opinion: Opinion::Reserved,
            proposed: vec![line(etat(), eur(6_000))],
            comment: Some(note("Budget à préciser.")),
        })
        .then_on(
            cotech_on(),
            vec![
                OpinionGiven {
                    session: cotech(),
                    opinion: Opinion::Reserved,
                    proposed: vec![line(etat(), eur(6_000))],
                    comment: Some(note("Budget à préciser.")),
                }
                .into(),
            ],
        );
    let a = state.action.unwrap();
    assert_eq!(a.status, ActionStatus::UnderReview);
    assert_eq!(a.line(&etat()).proposed, eur(6_000));
}

#[test]
fn an_opinion_at_a_copil_session_is_refused() {
    let e = given(proposed())
        .session(copil_facts())
        .when(ActionCommand::GiveOpinion {
            session: copil(),
            opinion: Opinion::Favourable,
            proposed: vec![],
            comment: None,
        })
        .then_rule("session_invalid");
    assert_eq!(
        e,
        DomainError::SessionInvalid {
            session: copil(),
            problem: SessionProblem::OpinionAtCopil
        }
    );
}

#[test]
fn an_opinion_at_a_cancelled_session_is_refused() {
    let mut facts = cotech_facts();
    facts.cancelled = true;
    given(proposed())
        .session(facts)
        .when(ActionCommand::GiveOpinion {
            session: cotech(),
            opinion: Opinion::Favourable,
            proposed: vec![],
            comment: None,
        })
        .then_rule("session_invalid");
}

#[test]
fn an_opinion_at_an_unknown_session_is_not_found() {
    given(proposed())
        .when(ActionCommand::GiveOpinion {
            session: cotech(),
            opinion: Opinion::Favourable,
            proposed: vec![],
            comment: None,
        })
        .then_error(DomainError::NotFound(Missing::Session(cotech())));
}

#[test]
fn a_second_opinion_of_the_same_session_is_refused() {
    given(under_review())
        .session(cotech_facts())
        .when(ActionCommand::GiveOpinion {
            session: cotech(),
            opinion: Opinion::Favourable,
            proposed: vec![],
            comment: None,
        })
        .then_rule("opinion_already_given");
}

#[test]
fn an_opinion_proposing_more_than_requested_is_refused() {
    given(proposed())
        .session(cotech_facts())
        .when(ActionCommand::GiveOpinion {
            session: cotech(),
            opinion: Opinion::Favourable,
            proposed: vec![line(caf(), eur(1))],
            comment: None,
        })
        .then_rule("proposed_exceeds_requested");
}

#[test]
fn a_decision_is_effective_on_the_session_date() {
    let state = given(under_review())
        .session(copil_june_facts())
        .when(decide_at_copil(
            DecisionOutcome::Retained,
            vec![line(etat(), eur(10_000))],
        ))
        .then_on(
            copil_june_on(),
            vec![
                CopilDecisionTaken {
                    session: copil_june(),
                    decision_no: 1,
                    outcome: DecisionOutcome::Retained,
                    retained: vec![line(etat(), eur(10_000))],
                    reason: None,
                }
                .into(),
            ],
        );
    assert_eq!(state.action.unwrap().status, ActionStatus::Retained);
}

#[test]
fn a_decision_at_a_session_not_yet_held_is_refused() {
    let mut facts = copil_june_facts();
    facts.held = false;
    let e = given(under_review())
        .session(facts)
        .when(decide_at_copil(
            DecisionOutcome::Retained,
            vec![line(etat(), eur(1_000))],
        ))
        .then_rule("session_invalid");
    assert!(matches!(
        e,
        DomainError::SessionInvalid {
            problem: SessionProblem::NotHeld,
            ..
        }
    ));
}

#[test]
fn a_decision_at_a_cotech_session_is_refused() {
    given(under_review())
        .session(session_facts(
            copil_june(),
            BodyKind::Cotech,
            copil_june_on(),
            true,
        ))
        .when(decide_at_copil(DecisionOutcome::Deferred, vec![]))
        .then_rule("session_invalid");
}

#[test]
fn a_decision_at_a_cancelled_session_is_refused() {
    let mut facts = copil_june_facts();
    facts.cancelled = true;
    given(under_review())
        .session(facts)
        .when(decide_at_copil(DecisionOutcome::Deferred, vec![]))
        .then_rule("session_invalid");
}

#[test]
fn a_revision_at_a_session_not_held_is_refused() {
    let mut facts = copil_june_facts();
    facts.held = false;
    given(retained())
        .session(facts)
        .when(revise(DecisionOutcome::Deferred, vec![]))
        .then_rule("session_invalid");
}

// ---------------------------------------------------------------- rule 5

#[test]
fn retaining_more_than_requested_is_refused() {
    let e = given(under_review())
        .session(copil_june_facts())
        .when(decide_at_copil(
            DecisionOutcome::Retained,
            vec![line(etat(), cents(1_000_001))],
        ))
        .then_rule("retained_exceeds_requested");
    assert_eq!(
        e,
        DomainError::RetainedExceedsRequested {
            funder: etat(),
            requested: eur(10_000),
            retained: cents(1_000_001)
        }
    );
}

#[test]
fn retaining_from_a_funder_not_requested_is_refused() {
    given(under_review())
        .session(copil_june_facts())
        .when(decide_at_copil(
            DecisionOutcome::Retained,
            vec![line(caf(), eur(100))],
        ))
        .then_rule("retained_exceeds_requested");
}

#[test]
fn retaining_nothing_is_refused() {
    given(under_review())
        .session(copil_june_facts())
        .when(decide_at_copil(
            DecisionOutcome::Retained,
            vec![line(etat(), Money::ZERO)],
        ))
        .then_error(DomainError::RetainedNothing);
    given(under_review())
        .session(copil_june_facts())
        .when(decide_at_copil(DecisionOutcome::Retained, vec![]))
        .then_rule("retained_exceeds_requested");
}

#[test]
fn a_deferral_with_amounts_is_a_validation_error() {
    given(under_review())
        .session(copil_june_facts())
        .when(decide_at_copil(
            DecisionOutcome::Deferred,
            vec![line(etat(), eur(100))],
        ))
        .then_code(ApiCode::Validation);
}

#[test]
fn an_action_already_decided_at_that_session_needs_a_revision() {
    given(deferred())
        .session(copil_facts())
        .when(ActionCommand::TakeCopilDecision {
            session: copil(),
            outcome: DecisionOutcome::Retained,
            retained: vec![line(etat(), eur(1_000))],
            reason: None,
        })
        .then_error(DomainError::AlreadyDecidedAtSession {
            session: copil(),
            decision_no: 1,
        });
}

#[test]
fn a_deferred_action_is_decided_at_a_later_session() {
    let state = given(deferred())
        .session(copil_june_facts())
        .when(decide_at_copil(
            DecisionOutcome::Retained,
            vec![line(ville(), eur(5_000))],
        ))
        .then(vec![
            CopilDecisionTaken {
                session: copil_june(),
                decision_no: 2,
                outcome: DecisionOutcome::Retained,
                retained: vec![line(ville(), eur(5_000))],
                reason: None,
            }
            .into(),
        ]);
    let a = state.action.unwrap();
    assert_eq!(a.status, ActionStatus::Retained);
    assert_eq!(a.decisions.len(), 2);
    assert_eq!(a.decision().unwrap().number, 2);
}

// ---------------------------------------------------------------- rule 6

#[test]
fn a_grant_within_retained_funds_the_action() {
    let state = given(retained())
        .with(|c| {
            c.with_envelope(EnvelopeFacts {
                amount: eur(100_000),
                granted: eur(50_000),
            })
        })
        .when(grant(ville(), eur(5_000), ActKind::Deliberation))
        .then_on(
            d(2026, 6, 20),
            vec![
                GrantAwarded {
                    grant: grant_id("g2"),
                    funder: ville(),
                    year: Year::parse(2026).unwrap(),
                    amount: eur(5_000),
                    act: Act {
                        kind: ActKind::Deliberation,
                        reference: title("Acte 2"),
                        signed_on: d(2026, 6, 20),
                    },
                }
                .into(),
            ],
        );
    let a = state.action.unwrap();
    assert_eq!(a.status, ActionStatus::Funded);
    assert_eq!(a.line(&ville()).granted, eur(5_000));
}

#[test]
fn a_grant_needs_a_retained_action() {
    for events in [
        proposed(),
        under_review(),
        deferred(),
        completed(),
        not_realised(),
    ] {
        given(events)
            .when(grant(etat(), eur(1_000), ActKind::Arrete))
            .then_rule("grant_needs_retained");
    }
}

#[test]
fn a_grant_above_retained_is_refused() {
    let e = given(retained())
        .when(grant(ville(), cents(500_001), ActKind::Arrete))
        .then_rule("grant_exceeds_retained");
    assert_eq!(
        e,
        DomainError::GrantExceedsRetained {
            funder: ville(),
            retained: eur(5_000),
            already_granted: Money::ZERO,
            requested: cents(500_001)
        }
    );
}

#[test]
fn a_grant_from_a_funder_that_retained_nothing_is_refused() {
    given(retained())
        .when(grant(caf(), eur(1), ActKind::Arrete))
        .then_rule("grant_exceeds_retained");
}

#[test]
fn a_grant_above_the_envelope_left_is_refused() {
    let e = given(retained())
        .with(|c| {
            c.with_envelope(EnvelopeFacts {
                amount: eur(30_000),
                granted: eur(26_000),
            })
        })
        .when(grant(ville(), eur(4_001), ActKind::Arrete))
        .then_rule("grant_exceeds_envelope");
    assert_eq!(
        e,
        DomainError::GrantExceedsEnvelope {
            funder: ville(),
            year: Year::parse(2026).unwrap(),
            envelope: eur(30_000),
            already_granted: eur(26_000),
            requested: eur(4_001)
        }
    );
}

#[test]
fn a_grant_that_exactly_exhausts_the_envelope_is_accepted() {
    given(retained())
        .with(|c| {
            c.with_envelope(EnvelopeFacts {
                amount: eur(30_000),
                granted: eur(25_000),
            })
        })
        .when(grant(ville(), eur(5_000), ActKind::Arrete))
        .decided();
}

/// An action of the holder retained for 40 000 € of the State, ready for its grants.
fn retained_for_40_000() -> Vec<Dated<ActionEvent>> {
    let mut events = under_review();
    events[0] = at(proposed_on(), {
        let mut p = action_proposed();
        p.total_cost = eur(60_000);
        p.requested = vec![line(etat(), eur(40_000))];
        p
    });
    events.push(at(
        copil_on(),
        decision(DecisionOutcome::Retained, vec![line(etat(), eur(40_000))]),
    ));
    events
}

fn holder_of_form(legal_form: LegalForm) -> impl FnOnce(Context) -> Context {
    move |c| {
        c.with_holder(PartnerFacts {
            id: holder(),
            active: true,
            legal_form,
        })
    }
}

#[test]
fn a_grant_above_23_000_euros_to_an_association_needs_a_convention() {
    let events = retained_for_40_000();
    let e = given(events.clone())
        .with(holder_of_form(LegalForm::Association))
        .when(grant(etat(), cents(2_300_001), ActKind::Arrete))
        .then_rule("convention_required");
    assert_eq!(
        e,
        DomainError::ConventionRequired {
            amount: cents(2_300_001),
            act: ActKind::Arrete,
            funder: etat(),
            holder: holder(),
            year: Year::parse(2026).unwrap(),
            already_granted: Money::ZERO,
        }
    );
    assert!(e.to_string().contains("pour l'exercice 2026"), "{e}");
    given(events.clone())
        .with(holder_of_form(LegalForm::Association))
        .when(grant(etat(), CONVENTION_THRESHOLD, ActKind::Arrete))
        .decided();
    given(events)
        .with(holder_of_form(LegalForm::Association))
        .when(grant(etat(), eur(40_000), ActKind::Convention))
        .decided();
}

#[test]
fn the_convention_threshold_adds_up_one_funders_grants_to_one_partner_for_the_year() {
    // Two 15 000 € grants of the State to one association in one year: the second, with 15 000 €
    // already granted on another of its actions, makes 30 000 € and needs a convention.
    let events = retained_for_40_000();
    let with_15_000_granted = |c: Context| {
        let mut c = holder_of_form(LegalForm::Association)(c);
        c.partner_granted = Some(eur(15_000));
        c
    };
    let e = given(events.clone())
        .with(with_15_000_granted)
        .when(grant(etat(), eur(15_000), ActKind::Arrete))
        .then_rule("convention_required");
    assert_eq!(
        e,
        DomainError::ConventionRequired {
            amount: eur(15_000),
            act: ActKind::Arrete,
            funder: etat(),
            holder: holder(),
            year: Year::parse(2026).unwrap(),
            already_granted: eur(15_000),
        }
    );
    assert!(
        e.to_string().contains("a déjà attribué 15\u{202f}000,00"),
        "{e}"
    );
    given(events.clone())
        .with(with_15_000_granted)
        .when(grant(etat(), eur(8_000), ActKind::Arrete))
        .decided();
    given(events)
        .with(with_15_000_granted)
        .when(grant(etat(), eur(15_000), ActKind::Convention))
        .decided();
}

#[test]
fn a_partner_of_public_law_needs_no_convention_under_this_rule() {
    // A 30 000 € grant to a collège (an EPLE) by an arrêté is lawful.
    let events = retained_for_40_000();
    for form in [
        LegalForm::Eple,
        LegalForm::LocalAuthority,
        LegalForm::StateService,
        LegalForm::OtherPublic,
    ] {
        given(events.clone())
            .with(holder_of_form(form))
            .when(grant(etat(), eur(30_000), ActKind::Arrete))
            .decided();
    }
    // Private law, or a legal form not known, does.
    for form in [
        LegalForm::Association,
        LegalForm::Foundation,
        LegalForm::Company,
        LegalForm::OtherPrivate,
        LegalForm::Unknown,
    ] {
        given(events.clone())
            .with(holder_of_form(form))
            .when(grant(etat(), eur(30_000), ActKind::Arrete))
            .then_rule("convention_required");
    }
}

#[test]
fn a_grant_needs_the_holders_facts_and_what_it_was_already_granted() {
    let needs = <ActionDecider as Decider>::needs(
        &ActionDecider::fold(&retained_for_40_000()),
        &grant(etat(), eur(1_000), ActKind::Arrete),
    );
    assert_eq!(needs.holder, Some(holder()));
    assert_eq!(
        needs.partner_grants,
        Some((holder(), etat(), Year::parse(2026).unwrap()))
    );
}

#[test]
fn a_second_grant_from_the_same_funder_is_refused() {
    given(funded())
        .when(grant(etat(), cents(1), ActKind::Arrete))
        .then_rule("grant_already_awarded");
}

#[test]
fn a_grant_from_a_funder_that_refused_is_refused() {
    let mut events = retained();
    events.push(at(
        d(2026, 4, 2),
        GrantRefused {
            funder: ville(),
            reason: note("Budget voté."),
        },
    ));
    given(events)
        .when(grant(ville(), eur(1_000), ActKind::Arrete))
        .then_rule("grant_already_refused");
}

#[test]
fn a_refusal_marks_the_funding_line() {
    let state = given(retained())
        .when(ActionCommand::RefuseGrant {
            funder: ville(),
            reason: note("Budget voté."),
        })
        .then(vec![
            GrantRefused {
                funder: ville(),
                reason: note("Budget voté."),
            }
            .into(),
        ]);
    assert!(state.action.unwrap().line(&ville()).refused);
}

#[test]
fn a_refusal_after_a_grant_of_that_funder_is_refused() {
    given(funded())
        .when(ActionCommand::RefuseGrant {
            funder: etat(),
            reason: note("x"),
        })
        .then_rule("grant_already_awarded");
}

#[test]
fn a_grant_of_zero_is_a_validation_error() {
    given(retained())
        .when(grant(ville(), Money::ZERO, ActKind::Arrete))
        .then_code(ApiCode::Validation);
}

// ---------------------------------------------------------------- rule 7

#[test]
fn a_payment_within_granted_is_recorded_on_its_date() {
    let state = given(in_progress())
        .when(pay("v2", etat(), eur(4_000)))
        .then_on(
            d(2026, 6, 20),
            vec![
                PaymentRecorded {
                    payment: payment_id("v2"),
                    funder: etat(),
                    amount: eur(4_000),
                    kind: PaymentKind::Instalment,
                }
                .into(),
            ],
        );
    let line = state.action.unwrap().line(&etat());
    assert_eq!(line.paid, eur(8_000));
    assert_eq!(line.to_pay, Money::ZERO);
}

#[test]
fn payment_above_granted_is_refused() {
    let e = given(in_progress())
        .when(pay("v2", etat(), cents(400_001)))
        .then_rule("payment_exceeds_granted");
    assert_eq!(
        e,
        DomainError::PaymentExceedsGranted {
            funder: etat(),
            granted: eur(8_000),
            already_paid: eur(4_000),
            requested: cents(400_001)
        }
    );
}

#[test]
fn a_payment_from_a_funder_that_granted_nothing_is_refused() {
    given(in_progress())
        .when(pay("v2", ville(), eur(1)))
        .then_rule("payment_exceeds_granted");
}

#[test]
fn a_cancelled_payment_frees_its_amount() {
    let mut events = in_progress();
    events.push(at(
        d(2026, 5, 1),
        PaymentCancelled {
            payment: payment_id("v1"),
            reason: note("Erreur."),
        },
    ));
    given(events).when(pay("v2", etat(), eur(8_000))).decided();
}

#[test]
fn payments_are_refused_before_funding_and_once_not_realised_or_closed() {
    let mut closed = evaluated();
    closed.push(at(d(2026, 6, 21), ActionClosed {}));
    for events in [retained(), not_realised(), closed] {
        given(events)
            .when(pay("v2", etat(), eur(1)))
            .then_rule("lifecycle");
    }
}

#[test]
fn payments_are_allowed_until_evaluated() {
    given(evaluated())
        .when(pay("v2", etat(), eur(4_000)))
        .decided();
}

#[test]
fn a_payment_dated_before_its_grant_was_signed_is_refused() {
    let e = given(funded())
        .when(pay("v2", etat(), eur(1)).with_paid_on(d(2026, 3, 31)))
        .then_rule("payment_before_grant");
    assert_eq!(
        e,
        DomainError::PaymentBeforeGrant {
            funder: etat(),
            paid_on: d(2026, 3, 31),
            signed_on: signed_on()
        }
    );
    given(funded())
        .when(pay("v2", etat(), eur(1)).with_paid_on(signed_on()))
        .decided();
}

#[test]
fn a_payment_by_a_funder_not_registered_is_not_found_not_a_figure_of_zero() {
    let region = FunderId::parse("region").unwrap();
    given(funded())
        .when(pay("v2", region.clone(), eur(1)))
        .then_error(DomainError::NotFound(Missing::Funder(region)));
}

#[test]
fn a_payment_id_already_used_is_a_validation_error() {
    given(in_progress())
        .when(pay("v1", etat(), eur(1)))
        .then_error(DomainError::PaymentIdTaken(payment_id("v1")));
}

#[test]
fn cancelling_a_payment_records_the_correction() {
    let state = given(in_progress())
        .when(ActionCommand::CancelPayment {
            payment: payment_id("v1"),
            reason: note("Doublon."),
        })
        .then(vec![
            PaymentCancelled {
                payment: payment_id("v1"),
                reason: note("Doublon."),
            }
            .into(),
        ]);
    assert_eq!(state.action.unwrap().line(&etat()).paid, Money::ZERO);
}

#[test]
fn cancelling_an_unknown_payment_is_not_found() {
    given(in_progress())
        .when(ActionCommand::CancelPayment {
            payment: payment_id("v9"),
            reason: note("x"),
        })
        .then_error(DomainError::NotFound(Missing::Payment(payment_id("v9"))));
}

#[test]
fn cancelling_a_payment_twice_is_refused() {
    let mut events = in_progress();
    events.push(at(
        d(2026, 5, 1),
        PaymentCancelled {
            payment: payment_id("v1"),
            reason: note("Erreur."),
        },
    ));
    given(events)
        .when(ActionCommand::CancelPayment {
            payment: payment_id("v1"),
            reason: note("x"),
        })
        .then_rule("payment_already_cancelled");
}

#[test]
fn cancelling_a_payment_already_claimed_back_is_refused() {
    given(not_realised_with_repayment_requested())
        .when(ActionCommand::CancelPayment {
            payment: payment_id("v1"),
            reason: note("x"),
        })
        .then_rule("repayment_exceeds_paid");
}

// ---------------------------------------------------------------- repayments

#[test]
fn a_repayment_request_within_paid_is_recorded() {
    let state = given(not_realised())
        .when(request_repayment(eur(4_000)))
        .then(vec![
            RepaymentRequested {
                funder: etat(),
                amount: eur(4_000),
                reason: note("Action non réalisée."),
            }
            .into(),
        ]);
    assert_eq!(
        state.action.unwrap().line(&etat()).repayment_requested,
        eur(4_000)
    );
}

#[test]
fn a_repayment_request_above_paid_minus_requested_is_refused() {
    given(not_realised())
        .when(request_repayment(cents(400_001)))
        .then_rule("repayment_exceeds_paid");
    let e = given(not_realised_with_repayment_requested())
        .when(request_repayment(eur(1)))
        .then_rule("repayment_exceeds_paid");
    assert_eq!(
        e,
        DomainError::RepaymentExceedsPaid {
            funder: etat(),
            paid: eur(4_000),
            already_requested: eur(4_000),
            requested: eur(1)
        }
    );
}

#[test]
fn a_repayment_received_above_requested_minus_received_is_refused() {
    given(not_realised())
        .when(receive_repayment(eur(1)))
        .then_rule("repayment_exceeds_requested");
    let mut events = not_realised_with_repayment_requested();
    events.push(at(
        d(2026, 6, 1),
        RepaymentReceived {
            funder: etat(),
            amount: eur(3_000),
        },
    ));
    let e = given(events.clone())
        .when(receive_repayment(cents(100_001)))
        .then_rule("repayment_exceeds_requested");
    assert_eq!(
        e,
        DomainError::RepaymentExceedsRequested {
            funder: etat(),
            requested: eur(4_000),
            already_received: eur(3_000),
            received: cents(100_001)
        }
    );
    let state = given(events).when(receive_repayment(eur(1_000))).then_on(
        d(2026, 6, 25),
        vec![
            RepaymentReceived {
                funder: etat(),
                amount: eur(1_000),
            }
            .into(),
        ],
    );
    assert_eq!(state.action.unwrap().line(&etat()).repaid, eur(4_000));
}

// ---------------------------------------------------------------- rule 8

#[test]
fn an_interim_report_needs_a_started_action() {
    let e = given(funded())
        .when(report(ReportKind::Interim, vec![]))
        .then_rule("report_needs_completion");
    assert_eq!(
        e,
        DomainError::ReportNeedsCompletion {
            kind: ReportKind::Interim,
            status: ActionStatus::Funded
        }
    );
    given(in_progress())
        .when(report(ReportKind::Interim, vec![cell(Sex::Male, 3)]))
        .decided();
}

#[test]
fn a_final_report_needs_a_completed_action() {
    given(in_progress())
        .when(report(ReportKind::Final, vec![]))
        .then_rule("report_needs_completion");
    let state = given(completed())
        .when(report(ReportKind::Final, vec![cell(Sex::Female, 12)]))
        .then(vec![
            ReportSubmitted {
                kind: ReportKind::Final,
                beneficiaries: vec![cell(Sex::Female, 12)],
                spent: eur(18_000),
                narrative: narrative("Bilan."),
            }
            .into(),
        ]);
    assert_eq!(state.action.unwrap().status, ActionStatus::Reported);
}

#[test]
fn a_second_final_report_is_refused() {
    given(reported())
        .when(report(ReportKind::Final, vec![]))
        .then_rule("lifecycle");
}

#[test]
fn an_evaluation_needs_a_final_report() {
    let evaluate = || ActionCommand::EvaluateAction {
        rating: Rating::PartlyAchieved,
        findings: narrative("Mitigé."),
        recommendation: Recommendation::Adjust,
    };
    for events in [completed(), in_progress()] {
        given(events)
            .by(evaluator())
            .when(evaluate())
            .then_rule("evaluation_needs_final_report");
    }
    let state = given(reported())
        .by(evaluator())
        .when(evaluate())
        .decided()
        .1;
    let a = state.action.unwrap();
    assert_eq!(a.status, ActionStatus::Evaluated);
    assert_eq!(a.evaluation.unwrap().evaluated_on, today());
}

#[test]
fn closing_needs_an_evaluation() {
    for events in [completed(), reported(), in_progress()] {
        given(events)
            .when(ActionCommand::CloseAction)
            .then_rule("close_not_ready");
    }
    let state = given(evaluated())
        .when(ActionCommand::CloseAction)
        .then(vec![ActionClosed {}.into()]);
    assert_eq!(state.action.unwrap().status, ActionStatus::Closed);
}

#[test]
fn a_non_realised_action_closes_once_every_repayment_requested_is_received() {
    let e = given(not_realised_with_repayment_requested())
        .when(ActionCommand::CloseAction)
        .then_rule("close_not_ready");
    assert_eq!(
        e,
        DomainError::CloseNotReady {
            status: ActionStatus::NotRealised,
            repayments_outstanding: eur(4_000)
        }
    );
    let mut events = not_realised_with_repayment_requested();
    events.push(at(
        d(2026, 6, 1),
        RepaymentReceived {
            funder: etat(),
            amount: eur(4_000),
        },
    ));
    given(events)
        .when(ActionCommand::CloseAction)
        .then(vec![ActionClosed {}.into()]);
}

#[test]
fn a_closed_action_cannot_be_closed_again() {
    let mut closed = evaluated();
    closed.push(at(d(2026, 6, 21), ActionClosed {}));
    given(closed)
        .when(ActionCommand::CloseAction)
        .then_rule("lifecycle");
}

// ---------------------------------------------------------------- rule 9

#[test]
fn beneficiary_cells_counted_twice_are_refused() {
    given(completed())
        .when(report(
            ReportKind::Final,
            vec![cell(Sex::Male, 3), cell(Sex::Male, 4)],
        ))
        .then_rule("beneficiaries_invalid");
}

#[test]
fn negative_or_implausible_counts_are_refused() {
    assert_eq!(beneficiary_count(12), Ok(12));
    assert_eq!(beneficiary_count(0), Ok(0));
    assert_eq!(
        beneficiary_count(-1).unwrap_err().rule_code(),
        "beneficiaries_invalid"
    );
    assert_eq!(
        beneficiary_count(1_000_001).unwrap_err().rule_code(),
        "beneficiaries_invalid"
    );
    given(completed())
        .when(report(ReportKind::Final, vec![cell(Sex::Male, 1_000_001)]))
        .then_rule("beneficiaries_invalid");
}

// ---------------------------------------------------------------- rule 13

#[test]
fn a_revision_supersedes_the_current_decision() {
    let state = given(funded())
        .session(copil_june_facts())
        .when(revise(
            DecisionOutcome::Retained,
            vec![line(etat(), eur(9_000)), line(ville(), eur(2_000))],
        ))
        .then_on(
            copil_june_on(),
            vec![
                DecisionRevised {
                    session: copil_june(),
                    decision_no: 2,
                    supersedes: 1,
                    outcome: DecisionOutcome::Retained,
                    retained: vec![line(etat(), eur(9_000)), line(ville(), eur(2_000))],
                    reason: note("Erreur au relevé."),
                }
                .into(),
            ],
        );
    let a = state.action.unwrap();
    assert_eq!(a.status, ActionStatus::Funded);
    assert_eq!(a.line(&ville()).retained, eur(2_000));
    assert_eq!(a.decisions[0].superseded_by, Some(2));
}

#[test]
fn a_revision_below_what_is_granted_is_refused() {
    let e = given(funded())
        .session(copil_june_facts())
        .when(revise(
            DecisionOutcome::Retained,
            vec![line(etat(), cents(799_999))],
        ))
        .then_rule("decision_revision_invalid");
    assert_eq!(
        e,
        DomainError::DecisionRevisionInvalid(RevisionProblem::BelowGranted {
            funder: etat(),
            granted: eur(8_000),
            retained: cents(799_999)
        })
    );
}

#[test]
fn a_revision_dropping_a_granted_funder_is_refused() {
    given(funded())
        .session(copil_june_facts())
        .when(revise(
            DecisionOutcome::Retained,
            vec![line(ville(), eur(5_000))],
        ))
        .then_rule("decision_revision_invalid");
}

#[test]
fn rejecting_or_deferring_a_funded_action_is_refused() {
    for outcome in [DecisionOutcome::Rejected, DecisionOutcome::Deferred] {
        given(funded())
            .session(copil_june_facts())
            .when(revise(outcome, vec![]))
            .then_rule("decision_revision_invalid");
    }
}

#[test]
fn a_retained_action_without_grant_can_be_revised_to_rejected() {
    let state = given(retained())
        .session(copil_june_facts())
        .when(revise(DecisionOutcome::Rejected, vec![]))
        .decided()
        .1;
    let a = state.action.unwrap();
    assert_eq!(a.status, ActionStatus::Rejected);
    assert_eq!(a.line(&etat()).retained, Money::ZERO);
}

#[test]
fn a_revision_at_a_session_earlier_than_the_decision_is_refused() {
    let early = session_facts(copil_june(), BodyKind::Copil, d(2026, 3, 1), true);
    given(retained())
        .session(early)
        .when(revise(DecisionOutcome::Deferred, vec![]))
        .then_rule("decision_revision_invalid");
}

#[test]
fn a_revision_of_an_undecided_or_completed_action_is_refused() {
    for events in [under_review(), completed()] {
        given(events)
            .session(copil_june_facts())
            .by(pilot())
            .when(revise(DecisionOutcome::Deferred, vec![]))
            .then_rule("lifecycle");
    }
}

// ---------------------------------------------------------------- other sensible rules

#[test]
fn an_indicator_not_planned_cannot_be_measured() {
    given(in_progress())
        .when(ActionCommand::MeasureIndicator {
            code: IndicatorCode::parse("autre").unwrap(),
            value: 3.0,
            measured_on: d(2026, 6, 1),
        })
        .then_rule("indicator_not_planned");
}

#[test]
fn a_measurement_is_kept_with_its_date() {
    let state = given(in_progress())
        .when(ActionCommand::MeasureIndicator {
            code: indicator(),
            value: 31.0,
            measured_on: d(2026, 6, 1),
        })
        .then_on(
            d(2026, 6, 1),
            vec![
                IndicatorMeasured {
                    code: indicator(),
                    value: 31.0,
                }
                .into(),
            ],
        );
    let a = state.action.unwrap();
    assert_eq!(a.indicators[0].measurements[0].value, 31.0);
    assert_eq!(a.indicators[0].measurements[0].measured_on, d(2026, 6, 1));
}

#[test]
fn a_measurement_that_is_not_a_number_is_a_validation_error() {
    given(in_progress())
        .when(ActionCommand::MeasureIndicator {
            code: indicator(),
            value: f64::NAN,
            measured_on: d(2026, 6, 1),
        })
        .then_error(DomainError::MeasureNotFinite);
}

#[test]
fn completion_before_the_start_is_refused() {
    given(in_progress())
        .when(ActionCommand::CompleteAction {
            completed_on: d(2026, 4, 19),
        })
        .then_rule("completed_before_start");
}

#[test]
fn a_period_change_must_change_the_period_and_stay_ordered() {
    given(funded())
        .when(ActionCommand::ChangePeriod {
            period_start: d(2026, 1, 5),
            period_end: d(2026, 12, 18),
            reason: note("x"),
        })
        .then_error(DomainError::NothingToChange);
    given(funded())
        .when(ActionCommand::ChangePeriod {
            period_start: d(2026, 9, 1),
            period_end: d(2026, 8, 31),
            reason: note("x"),
        })
        .then_code(ApiCode::Validation);
    let state = given(funded())
        .when(ActionCommand::ChangePeriod {
            period_start: d(2026, 9, 1),
            period_end: d(2027, 7, 3),
            reason: note("Année scolaire."),
        })
        .decided()
        .1;
    assert_eq!(state.action.unwrap().period_end, d(2027, 7, 3));
}

#[test]
fn complements_requested_without_items_is_a_validation_error() {
    given(proposed())
        .when(ActionCommand::RequestComplements { items: vec![] })
        .then_code(ApiCode::Validation);
}

#[test]
fn errors_speak_french_with_the_figures() {
    let e = DomainError::GrantExceedsEnvelope {
        funder: etat(),
        year: Year::parse(2026).unwrap(),
        envelope: eur(30_000),
        already_granted: eur(26_000),
        requested: eur(4_001),
    };
    assert_eq!(
        e.to_string(),
        "L'attribution de 4\u{202F}001,00\u{A0}€ dépasse l'enveloppe 2026 de « etat » (30\u{202F}000,00\u{A0}€, dont 26\u{202F}000,00\u{A0}€ déjà attribués)."
    );
    let e = DomainError::EffectiveDateInFuture {
        date: d(2026, 7, 1),
        today: d(2026, 6, 30),
    };
    assert!(e.to_string().contains("1er juillet 2026"));
    assert!(e.to_string().contains("30 juin 2026"));
}

#[test]
fn forbidden_messages_elide_before_a_vowel() {
    let e = DomainError::Forbidden {
        role: Role::Coordinator,
        command: domain::permissions::CommandKind::RecordCopilDecisions,
    };
    assert_eq!(
        e.to_string(),
        "Le rôle « coordination » ne permet pas d'enregistrer les décisions du COPIL."
    );
}

#[test]
fn a_generated_reference_is_the_year_and_three_digits() {
    assert_eq!(
        domain::action::generated_reference(Year::parse(2026).unwrap(), 7).as_str(),
        "2026-007"
    );
}

#[test]
fn every_command_option_default_is_no_effective_date() {
    let c: Command<ActionCommand> = ActionCommand::CloseAction.into();
    assert_eq!(c.effective_on, None);
}

#[test]
fn a_revision_at_a_cotech_or_cancelled_session_is_refused() {
    let mut cancelled = copil_june_facts();
    cancelled.cancelled = true;
    let cotech = session_facts(copil_june(), BodyKind::Cotech, copil_june_on(), true);
    for facts in [cancelled, cotech] {
        given(retained())
            .session(facts)
            .when(revise(DecisionOutcome::Deferred, vec![]))
            .then_rule("session_invalid");
    }
}

#[test]
fn an_amendment_raising_the_requested_amounts_above_the_cost_is_refused() {
    given(deferred())
        .when(ActionCommand::AmendAction(ActionAmended {
            requested: Some(vec![line(etat(), eur(20_000)), line(caf(), eur(1))]),
            ..ActionAmended::default()
        }))
        .then_rule("requested_exceeds_cost");
}

#[test]
fn retained_amounts_whose_sum_overflows_are_refused() {
    let max = Money::from_cents(Money::MAX_CENTS).unwrap();
    given(under_review())
        .session(copil_june_facts())
        .when(decide_at_copil(
            DecisionOutcome::Retained,
            vec![line(etat(), max), line(ville(), max)],
        ))
        .then_rule("money_invalid");
}

#[test]
fn a_revision_retaining_more_than_requested_is_refused() {
    given(funded())
        .session(copil_june_facts())
        .when(revise(
            DecisionOutcome::Retained,
            vec![line(etat(), cents(1_000_001))],
        ))
        .then_rule("retained_exceeds_requested");
}

#[test]
fn a_repayment_is_claimed_back_only_from_a_funder_that_paid() {
    given(not_realised())
        .when(ActionCommand::RequestRepayment {
            funder: ville(),
            amount: eur(1),
            reason: note("x"),
        })
        .then_rule("repayment_exceeds_paid");
}

#[test]
fn a_free_text_that_looks_like_personal_data_is_accepted_with_a_warning() {
    use domain::personal::Suspicion;
    let (decided, _) = given(under_review())
        .when(ActionCommand::WithdrawAction {
            reason: note("Rappeler la famille au 06 12 34 56 78"),
        })
        .decided();
    assert_eq!(
        decided.warnings,
        vec![Warning::PersonalDataSuspected(Suspicion::Phone)]
    );
    assert_eq!(decided.warnings[0].code(), "personal_data_suspected");
    assert!(
        decided.warnings[0]
            .to_string()
            .contains("un numéro de téléphone"),
        "{}",
        decided.warnings[0]
    );
    let (decided, _) = given(under_review())
        .when(ActionCommand::WithdrawAction {
            reason: note("Le porteur renonce."),
        })
        .decided();
    assert!(decided.warnings.is_empty());
}
