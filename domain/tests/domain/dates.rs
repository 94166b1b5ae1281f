//! Rule 12: the effective date of each command.

use crate::common::*;
use domain::action::ActionCommand;
use domain::context::Context;
use domain::decider::{Command, effective_date};
use domain::error::{ApiCode, DomainError};
use domain::events::*;
use domain::programme::{ProgrammeCommand, ProgrammeDecider};
use domain::session::{SessionCommand, SessionDecider};
use domain::values::*;

fn pay(paid_on: chrono::NaiveDate) -> ActionCommand {
    ActionCommand::RecordPayment {
        payment: payment_id("v2"),
        funder: etat(),
        amount: eur(100),
        kind: PaymentKind::Instalment,
        paid_on,
    }
}

#[test]
fn a_command_without_a_date_is_effective_today() {
    let (decided, _) = given(proposed())
        .when(ActionCommand::WithdrawAction { reason: note("x") })
        .decided();
    assert_eq!(decided.effective_on, today());
}

#[test]
fn the_effective_on_option_back_dates_a_command() {
    let (decided, _) = given(proposed())
        .when(
            Command::new(ActionCommand::WithdrawAction { reason: note("x") })
                .effective_on(d(2026, 2, 1)),
        )
        .decided();
    assert_eq!(decided.effective_on, d(2026, 2, 1));
}

#[test]
fn a_payment_is_effective_on_its_date() {
    let (decided, _) = given(in_progress()).when(pay(d(2026, 5, 3))).decided();
    assert_eq!(decided.effective_on, d(2026, 5, 3));
}

#[test]
fn a_payment_dated_in_the_future_is_refused() {
    let e = given(in_progress())
        .when(pay(d(2026, 7, 1)))
        .then_rule("effective_date_invalid");
    assert_eq!(
        e,
        DomainError::EffectiveDateInFuture {
            date: d(2026, 7, 1),
            today: today()
        }
    );
}

#[test]
fn an_effective_on_option_in_the_future_is_refused() {
    given(proposed())
        .when(
            Command::new(ActionCommand::WithdrawAction { reason: note("x") })
                .effective_on(d(2026, 7, 1)),
        )
        .then_rule("effective_date_invalid");
}

#[test]
fn an_effective_on_option_that_contradicts_the_named_date_is_a_validation_error() {
    let e = given(in_progress())
        .when(Command::new(pay(d(2026, 5, 3))).effective_on(d(2026, 5, 4)))
        .then_code(ApiCode::Validation);
    assert_eq!(
        e,
        DomainError::EffectiveDateContradicts {
            named: d(2026, 5, 3),
            option: d(2026, 5, 4)
        }
    );
    given(in_progress())
        .when(Command::new(pay(d(2026, 5, 3))).effective_on(d(2026, 5, 3)))
        .decided();
}

#[test]
fn an_opinion_option_that_contradicts_the_session_date_is_a_validation_error() {
    given(proposed())
        .session(cotech_facts())
        .when(
            Command::new(ActionCommand::GiveOpinion {
                session: cotech(),
                opinion: Opinion::Favourable,
                proposed: vec![],
                comment: None,
            })
            .effective_on(d(2026, 2, 11)),
        )
        .then_code(ApiCode::Validation);
}

#[test]
fn nothing_is_effective_before_the_stream_s_first_event() {
    let e = given(proposed())
        .when(
            Command::new(ActionCommand::WithdrawAction { reason: note("x") })
                .effective_on(d(2026, 1, 9)),
        )
        .then_rule("effective_date_invalid");
    assert_eq!(
        e,
        DomainError::EffectiveDateBeforeStream {
            date: d(2026, 1, 9),
            first: proposed_on()
        }
    );
    // A COTECH held before the proposal cannot give its opinion on it.
    given(proposed())
        .session(session_facts(
            cotech(),
            BodyKind::Cotech,
            d(2026, 1, 2),
            true,
        ))
        .when(ActionCommand::GiveOpinion {
            session: cotech(),
            opinion: Opinion::Favourable,
            proposed: vec![],
            comment: None,
        })
        .then_rule("effective_date_invalid");
    given(in_progress())
        .when(pay(d(2025, 12, 31)))
        .then_rule("effective_date_invalid");
}

#[test]
fn a_grant_is_effective_on_the_day_its_act_was_signed() {
    let (decided, _) = given(retained())
        .when(ActionCommand::AwardGrant {
            grant: grant_id("g"),
            funder: ville(),
            year: Year::parse(2026).unwrap(),
            amount: eur(5_000),
            act: Act {
                kind: ActKind::Deliberation,
                reference: title("Délibération"),
                signed_on: d(2026, 5, 5),
            },
        })
        .decided();
    assert_eq!(decided.effective_on, d(2026, 5, 5));
}

#[test]
fn the_helper_orders_its_checks() {
    let t = d(2026, 6, 30);
    assert_eq!(effective_date(None, None, t, None), Ok(t));
    assert_eq!(
        effective_date(Some(d(2026, 1, 1)), None, t, None),
        Ok(d(2026, 1, 1))
    );
    assert!(effective_date(Some(d(2026, 1, 1)), Some(d(2026, 1, 2)), t, None).is_err());
    assert!(effective_date(None, None, t, Some(d(2026, 7, 1))).is_err());
}

#[test]
fn a_programme_entered_afterwards_is_effective_on_its_labelling_date() {
    let establish = |labelled_on| ProgrammeCommand::EstablishProgramme {
        programme: programme_id(),
        name: name("Grigny"),
        territory: vec![],
        qpv: vec![],
        labelled_on,
        request_cap_permille: 800,
    };
    let ctx = Context::new(domain::actor::Actor::admin(), today(), programme_id());
    let (decided, _) = given_in::<ProgrammeDecider>(vec![], ctx.clone())
        .when(establish(Some(d(2019, 9, 5))))
        .decided();
    assert_eq!(decided.effective_on, d(2019, 9, 5));
    let (decided, _) = given_in::<ProgrammeDecider>(vec![], ctx.clone())
        .when(establish(None))
        .decided();
    assert_eq!(decided.effective_on, today());
    let (decided, _) = given_in::<ProgrammeDecider>(vec![], ctx)
        .when(Command::new(establish(Some(d(2019, 9, 5)))).effective_on(d(2020, 1, 1)))
        .decided();
    assert_eq!(decided.effective_on, d(2020, 1, 1));
}

fn schedule(date: chrono::NaiveDate) -> SessionCommand {
    SessionCommand::ScheduleSession {
        session: copil(),
        body: BodyKind::Copil,
        date,
        title: title("COPIL"),
    }
}

fn session_ctx() -> Context {
    Context::new(coordinator(), today(), programme_id()).with_programme(programme_facts())
}

#[test]
fn a_future_session_is_scheduled_today_and_a_past_one_on_its_date() {
    let (decided, _) = given_in::<SessionDecider>(vec![], session_ctx())
        .when(schedule(d(2026, 9, 20)))
        .decided();
    assert_eq!(decided.effective_on, today());
    let (decided, state) = given_in::<SessionDecider>(vec![], session_ctx())
        .when(schedule(d(2026, 3, 14)))
        .decided();
    assert_eq!(decided.effective_on, d(2026, 3, 14));
    // Its holding, entered later, is effective on the session's date.
    let s = state.session.unwrap();
    assert_eq!(s.date, d(2026, 3, 14));
}

#[test]
fn a_session_scheduled_with_an_option_after_its_date_is_a_validation_error() {
    given_in::<SessionDecider>(vec![], session_ctx())
        .when(Command::new(schedule(d(2026, 3, 14))).effective_on(d(2026, 3, 20)))
        .then_code(ApiCode::Validation);
}

#[test]
fn a_session_is_not_held_before_its_date() {
    let scheduled = vec![at(
        d(2026, 6, 1),
        SessionScheduled {
            session: copil(),
            body: BodyKind::Copil,
            date: d(2026, 9, 20),
            title: title("COPIL"),
        },
    )];
    given_in::<SessionDecider>(scheduled.clone(), session_ctx())
        .when(SessionCommand::RecordSessionHeld { present: vec![] })
        .then_rule("effective_date_invalid");
    let (decided, state) = given_in::<SessionDecider>(scheduled, session_ctx())
        .today(d(2026, 9, 21))
        .when(SessionCommand::RecordSessionHeld {
            present: vec![name("Préfecture")],
        })
        .decided();
    assert_eq!(decided.effective_on, d(2026, 9, 20));
    assert!(state.session.unwrap().held);
}
