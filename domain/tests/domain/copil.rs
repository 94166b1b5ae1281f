//! `recordCopilDecisions`: one session, a decision per action, all or none (rule 5).

use crate::common::*;
use domain::action::{ActionState, CopilDecision, RecordCopilDecisions, decide_copil_decisions};
use domain::context::Context;
use domain::decider::Command;
use domain::error::*;
use domain::events::*;
use domain::values::*;
use std::collections::BTreeMap;

fn second() -> ActionId {
    ActionId::parse("parentalite").unwrap()
}

fn third() -> ActionId {
    ActionId::parse("sport-ete").unwrap()
}

fn fold(events: &[Dated<ActionEvent>]) -> ActionState {
    events.iter().fold(
        ActionState::default(),
        <domain::action::ActionDecider as domain::decider::Decider>::evolve,
    )
}

fn actions() -> BTreeMap<ActionId, ActionState> {
    let mut other = under_review();
    if let ActionEvent::ActionProposed(p) = &mut other[0].event {
        p.action = second();
    }
    BTreeMap::from([
        (action_id(), fold(&under_review())),
        (second(), fold(&other)),
        (third(), fold(&deferred())),
    ])
}

fn ctx() -> Context {
    Context::new(pilot(), today(), programme_id())
        .with_programme(programme_facts())
        .with_session(copil_june_facts())
}

fn one(action: ActionId, outcome: DecisionOutcome, retained: Vec<MoneyLine>) -> CopilDecision {
    CopilDecision {
        action,
        outcome,
        retained,
        reason: None,
    }
}

fn call(decisions: Vec<CopilDecision>) -> Command<RecordCopilDecisions> {
    RecordCopilDecisions {
        session: copil_june(),
        decisions,
    }
    .into()
}

#[test]
fn every_action_of_the_session_gets_its_decision_on_the_session_date() {
    let decided = decide_copil_decisions(
        &actions(),
        &call(vec![
            one(
                action_id(),
                DecisionOutcome::Retained,
                vec![line(etat(), eur(8_000))],
            ),
            one(second(), DecisionOutcome::Rejected, vec![]),
            one(third(), DecisionOutcome::Deferred, vec![]),
        ]),
        &ctx(),
    )
    .expect("all three are decided");
    assert_eq!(decided.len(), 3);
    assert!(
        decided
            .iter()
            .all(|(_, d)| d.effective_on == copil_june_on())
    );
    assert_eq!(decided[0].0, action_id());
    assert_eq!(
        decided[0].1.events,
        vec![
            CopilDecisionTaken {
                session: copil_june(),
                decision_no: 1,
                outcome: DecisionOutcome::Retained,
                retained: vec![line(etat(), eur(8_000))],
                reason: None,
            }
            .into()
        ]
    );
    // The deferred action's second decision is number 2.
    match &decided[2].1.events[0] {
        ActionEvent::CopilDecisionTaken(e) => assert_eq!(e.decision_no, 2),
        other => panic!("{other:?}"),
    }
}

#[test]
fn one_failing_action_fails_the_call_and_every_failure_is_listed() {
    let e = decide_copil_decisions(
        &actions(),
        &call(vec![
            one(
                action_id(),
                DecisionOutcome::Retained,
                vec![line(etat(), eur(10_001))],
            ),
            one(second(), DecisionOutcome::Rejected, vec![]),
            one(
                ActionId::parse("inconnue").unwrap(),
                DecisionOutcome::Deferred,
                vec![],
            ),
        ]),
        &ctx(),
    )
    .unwrap_err();
    assert_eq!(
        e,
        DomainError::Decisions(vec![
            ActionFailure {
                action: action_id(),
                error: DomainError::RetainedExceedsRequested {
                    funder: etat(),
                    requested: eur(10_000),
                    retained: eur(10_001),
                },
            },
            ActionFailure {
                action: ActionId::parse("inconnue").unwrap(),
                error: DomainError::NotFound(Missing::Action(ActionId::parse("inconnue").unwrap())),
            },
        ])
    );
    assert_eq!(e.failures().len(), 2);
    assert_eq!(
        e.failures()[0].error.rule_code(),
        "retained_exceeds_requested"
    );
    assert_eq!(e.api_code(), ApiCode::NotFound);
    assert!(e.to_string().contains("inconnue"));
}

#[test]
fn failures_that_are_all_rule_violations_answer_rule_violation() {
    let e = decide_copil_decisions(
        &actions(),
        &call(vec![one(action_id(), DecisionOutcome::Retained, vec![])]),
        &ctx(),
    )
    .unwrap_err();
    assert_eq!(e.api_code(), ApiCode::RuleViolation);
    assert_eq!(e.rule_code(), "retained_exceeds_requested");
}

#[test]
fn the_same_action_twice_in_one_call_is_a_validation_error() {
    let e = decide_copil_decisions(
        &actions(),
        &call(vec![
            one(action_id(), DecisionOutcome::Deferred, vec![]),
            one(action_id(), DecisionOutcome::Rejected, vec![]),
        ]),
        &ctx(),
    )
    .unwrap_err();
    assert_eq!(e, DomainError::DuplicateAction(action_id()));
    assert_eq!(e.api_code(), ApiCode::Validation);
}

#[test]
fn an_action_already_decided_at_that_session_fails_with_its_reason() {
    let mut states = actions();
    let mut events = under_review();
    events.push(at(
        copil_june_on(),
        CopilDecisionTaken {
            session: copil_june(),
            decision_no: 1,
            outcome: DecisionOutcome::Deferred,
            retained: vec![],
            reason: None,
        },
    ));
    states.insert(action_id(), fold(&events));
    let e = decide_copil_decisions(
        &states,
        &call(vec![one(action_id(), DecisionOutcome::Rejected, vec![])]),
        &ctx(),
    )
    .unwrap_err();
    assert_eq!(
        e.failures()[0].error.rule_code(),
        "already_decided_at_session"
    );
}

#[test]
fn an_empty_call_is_a_validation_error() {
    let e = decide_copil_decisions(&actions(), &call(vec![]), &ctx()).unwrap_err();
    assert_eq!(e.api_code(), ApiCode::Validation);
}

#[test]
fn a_coordinator_records_copil_decisions_and_an_evaluator_cannot() {
    let mut ctx = ctx();
    ctx.actor = coordinator();
    let decided = decide_copil_decisions(
        &actions(),
        &call(vec![one(action_id(), DecisionOutcome::Deferred, vec![])]),
        &ctx,
    );
    assert!(decided.is_ok(), "{decided:?}");
    ctx.actor = evaluator();
    let e = decide_copil_decisions(
        &actions(),
        &call(vec![one(action_id(), DecisionOutcome::Deferred, vec![])]),
        &ctx,
    )
    .unwrap_err();
    assert_eq!(e.api_code(), ApiCode::Forbidden);
}

#[test]
fn a_session_not_held_fails_every_action() {
    let mut ctx = ctx();
    if let Some(s) = ctx.session.as_mut() {
        s.held = false;
    }
    let e = decide_copil_decisions(
        &actions(),
        &call(vec![
            one(action_id(), DecisionOutcome::Deferred, vec![]),
            one(second(), DecisionOutcome::Deferred, vec![]),
        ]),
        &ctx,
    )
    .unwrap_err();
    assert_eq!(e.failures().len(), 2);
    assert!(
        e.failures()
            .iter()
            .all(|f| f.error.rule_code() == "session_invalid")
    );
}
