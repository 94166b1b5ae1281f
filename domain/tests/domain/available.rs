//! What the page offers on a session (`Session.availableCommands`) against what `decide`
//! accepts, for every body, stage and role: the two never disagree.

use crate::common::*;
use domain::action::{ActionCommand, ActionDecider, ActionState};
use domain::actor::Actor;
use domain::context::{Context, SessionFacts};
use domain::decider::{Command, Decider};
use domain::error::{ApiCode, DomainError};
use domain::events::*;
use domain::permissions::CommandKind;
use domain::permissions::Place;
use domain::session::{SessionCommand, SessionDecider, SessionState};
use domain::values::*;

fn every_actor() -> Vec<Actor> {
    vec![
        Actor::admin(),
        pilot(),
        coordinator(),
        evaluator(),
        observer(),
        porteur(),
        other_porteur(),
        Actor::of(Role::Pilot, other_programme()),
    ]
}

/// A refusal the session's offer foresees: the permission, the session's life cycle, rule 4.
fn refused_by_state(e: &DomainError) -> bool {
    e.api_code() == ApiCode::Forbidden || matches!(e.rule_code(), "lifecycle" | "session_invalid")
}

fn session_events(body: BodyKind, stage: u8) -> Vec<Dated<SessionEvent>> {
    let mut events = vec![at(
        d(2026, 3, 1),
        SessionScheduled {
            session: copil(),
            body,
            date: copil_on(),
            title: title("Séance"),
        },
    )];
    match stage {
        1 => events.push(at(copil_on(), SessionHeld { present: vec![] })),
        2 => events.push(at(d(2026, 3, 2), SessionCancelled { reason: note("x") })),
        _ => {}
    }
    events
}

/// `kind` given on or at the session, by `actor`.
fn decide(kind: CommandKind, session: &SessionState, actor: &Actor) -> Result<(), DomainError> {
    let ctx = Context::new(actor.clone(), today(), programme_id())
        .with_programme(programme_facts())
        .with_session(SessionFacts::from(session.session.as_ref().unwrap()));
    let on_session = |command: SessionCommand| {
        SessionDecider::decide(session, &Command::new(command), &ctx).map(|_| ())
    };
    let action: ActionState = proposed()
        .iter()
        .fold(ActionState::default(), ActionDecider::evolve);
    let on_action = |command: ActionCommand| {
        ActionDecider::decide(&action, &Command::new(command), &ctx).map(|_| ())
    };
    match kind {
        CommandKind::RecordSessionHeld => on_session(SessionCommand::RecordSessionHeld {
            present: vec![name("Ville")],
        }),
        CommandKind::CancelSession => on_session(SessionCommand::CancelSession {
            reason: note("Grève."),
        }),
        CommandKind::CorrectAttendance => on_session(SessionCommand::CorrectAttendance {
            present: vec![name("Ville")],
            reason: note("Oubli."),
        }),
        CommandKind::GiveOpinion => on_action(ActionCommand::GiveOpinion {
            session: copil(),
            opinion: Opinion::Favourable,
            proposed: vec![],
            comment: None,
        }),
        CommandKind::RecordCopilDecisions => on_action(ActionCommand::TakeCopilDecision {
            session: copil(),
            outcome: DecisionOutcome::Deferred,
            retained: vec![],
            reason: Some(note("À revoir.")),
        }),
        other => panic!("{other:?} is not a session's command"),
    }
}

#[test]
fn a_session_offers_exactly_what_decide_accepts_for_every_body_stage_and_role() {
    let mut offered = 0;
    for body in BodyKind::ALL.iter().copied() {
        for stage in 0..3 {
            let state = session_events(body, stage)
                .iter()
                .fold(SessionState::default(), SessionDecider::evolve);
            for actor in every_actor() {
                let available =
                    domain::session::available_commands(&actor, &programme_id(), &state);
                for kind in CommandKind::offered(Place::Session) {
                    let result = decide(kind, &state, &actor);
                    let here = format!("{kind:?} at {body:?} (stage {stage}) by {actor:?}");
                    if available.contains(&kind) {
                        offered += 1;
                        assert!(result.is_ok(), "{here}: offered, yet {result:?}");
                    } else {
                        let e = result.expect_err(&format!("{here}: accepted, yet not offered"));
                        assert!(
                            refused_by_state(&e),
                            "{here}: not offered, refused for {e:?}"
                        );
                    }
                }
            }
        }
    }
    assert!(
        offered > 20,
        "only {offered} offers: the test would prove little"
    );
}
