//! Rule 10: DOMAIN.md's permissions, row by row, and the bindings of a token.

use crate::common::*;
use domain::action::ActionCommand;
use domain::actor::Actor;
use domain::context::Context;
use domain::error::{ApiCode, DomainError};
use domain::events::*;
use domain::permissions::{CommandKind, permitted};
use domain::programme::{ProgrammeCommand, ProgrammeDecider};
use domain::session::{SessionCommand, SessionDecider};
use domain::values::*;

#[test]
fn the_table_of_domain_md_is_the_table_of_permitted() {
    use CommandKind::*;
    use Role::*;
    let table: &[(&[CommandKind], &[Role])] = &[
        (&[EstablishProgramme, ManageTokens], &[Admin]),
        (
            &[
                DefineAxis,
                RetireAxis,
                RegisterFunder,
                NotifyEnvelope,
                ReviseEnvelope,
                ChangeBodyMembership,
                ValidateAnnualReview,
            ],
            &[Pilot],
        ),
        (
            &[
                RegisterPartner,
                SetPartnerLegalForm,
                ChangeTerritory,
                WriteReviewSection,
                PartnerLeaves,
                ScheduleSession,
                RecordSessionHeld,
                CancelSession,
            ],
            &[Pilot, Coordinator],
        ),
        (
            &[
                ProposeAction,
                AmendAction,
                ProvideComplements,
                WithdrawAction,
                StartAction,
                ChangePeriod,
                CompleteAction,
                AttestNonRealisation,
                SubmitReport,
                MeasureIndicator,
            ],
            &[Coordinator, Porteur],
        ),
        (&[RequestComplements, GiveOpinion], &[Coordinator]),
        (
            &[RecordCopilDecisions, ReviseDecision],
            &[Pilot, Coordinator],
        ),
        (
            &[
                AwardGrant,
                RefuseGrant,
                RecordPayment,
                CancelPayment,
                RequestRepayment,
                RecordRepayment,
                ExtendReportDeadline,
                ReviewFinalReport,
                AmendGrant,
                CancelRepaymentRequest,
                CorrectReport,
                CorrectAttendance,
                CloseAction,
            ],
            &[Pilot, Coordinator],
        ),
        (&[EvaluateAction], &[Evaluator, Pilot, Coordinator]),
        // eraseText: PILOT; ADMIN for any programme.
        (&[EraseText, EraseActorName], &[Admin, Pilot]),
    ];
    let mut covered = 0;
    for (commands, roles) in table {
        for command in *commands {
            covered += 1;
            for role in Role::ALL {
                assert_eq!(
                    permitted(*role, *command),
                    roles.contains(role),
                    "{role:?} × {command:?}"
                );
            }
        }
    }
    assert_eq!(
        covered,
        CommandKind::ALL.len(),
        "every command is in the table"
    );
}

#[test]
fn an_observer_may_give_no_command_at_all() {
    assert!(
        CommandKind::ALL
            .iter()
            .all(|c| !permitted(Role::Observer, *c))
    );
}

fn programme_ctx(actor: Actor) -> Context {
    Context::new(actor, today(), programme_id())
}

fn established() -> Vec<Dated<ProgrammeEvent>> {
    vec![at(
        d(2025, 1, 1),
        ProgrammeEstablished {
            programme: programme_id(),
            name: name("Grigny"),
            territory: vec![],
            qpv: vec![],
            labelled_on: None,
            request_cap_permille: 800,
        },
    )]
}

fn establish(programme: ProgrammeId) -> ProgrammeCommand {
    ProgrammeCommand::EstablishProgramme {
        programme,
        name: name("Cité éducative"),
        territory: vec![name("Grigny")],
        qpv: vec![],
        labelled_on: None,
        request_cap_permille: 800,
    }
}

fn define_axis() -> ProgrammeCommand {
    ProgrammeCommand::DefineAxis {
        code: axis("A1"),
        title: title("Réussite"),
        objective: NationalObjective::SchoolRole,
    }
}

#[test]
fn only_an_admin_establishes_a_programme_and_any_programme() {
    given_in::<ProgrammeDecider>(vec![], programme_ctx(Actor::admin()))
        .when(establish(programme_id()))
        .decided();
    let ctx = Context::new(Actor::admin(), today(), other_programme());
    given_in::<ProgrammeDecider>(vec![], ctx)
        .when(establish(other_programme()))
        .decided();
    given_in::<ProgrammeDecider>(vec![], programme_ctx(pilot()))
        .when(establish(programme_id()))
        .then_error(DomainError::Forbidden {
            role: Role::Pilot,
            command: CommandKind::EstablishProgramme,
        });
}

#[test]
fn only_a_pilot_defines_axes() {
    given_in::<ProgrammeDecider>(established(), programme_ctx(pilot()))
        .when(define_axis())
        .decided();
    for actor in [coordinator(), Actor::admin(), evaluator()] {
        given_in::<ProgrammeDecider>(established(), programme_ctx(actor))
            .when(define_axis())
            .then_forbidden();
    }
}

#[test]
fn a_token_of_another_programme_is_forbidden() {
    let actor = Actor::of(Role::Pilot, other_programme());
    let e = given_in::<ProgrammeDecider>(established(), programme_ctx(actor))
        .when(define_axis())
        .then_forbidden();
    assert_eq!(
        e,
        DomainError::ForbiddenProgramme {
            bound_to: Some(other_programme()),
            target: programme_id()
        }
    );
    given(proposed())
        .by(Actor::of(Role::Coordinator, other_programme()))
        .when(ActionCommand::WithdrawAction { reason: note("x") })
        .then_forbidden();
}

#[test]
fn sessions_are_scheduled_by_pilots_and_coordinators_only() {
    let schedule = || SessionCommand::ScheduleSession {
        session: copil(),
        body: BodyKind::Copil,
        date: d(2026, 9, 20),
        title: title("COPIL de rentrée"),
    };
    for actor in [pilot(), coordinator()] {
        given_in::<SessionDecider>(
            vec![],
            programme_ctx(actor).with_programme(programme_facts()),
        )
        .when(schedule())
        .decided();
    }
    for actor in [porteur(), observer(), evaluator()] {
        given_in::<SessionDecider>(
            vec![],
            programme_ctx(actor).with_programme(programme_facts()),
        )
        .when(schedule())
        .then_forbidden();
    }
}

#[test]
fn a_porteur_proposes_for_its_own_partner_only() {
    given(vec![])
        .by(porteur())
        .when(ActionCommand::ProposeAction(action_proposed()))
        .decided();
    let e = given(vec![])
        .by(other_porteur())
        .when(ActionCommand::ProposeAction(action_proposed()))
        .then_forbidden();
    assert_eq!(
        e,
        DomainError::ForbiddenPartner {
            bound_to: Some(other_partner()),
            holder: Some(holder())
        }
    );
}

#[test]
fn a_porteur_acts_on_its_own_actions_and_not_on_another_partner_s() {
    let start = || ActionCommand::StartAction {
        started_on: d(2026, 6, 1),
    };
    given(funded()).by(porteur()).when(start()).decided();
    given(funded())
        .by(other_porteur())
        .when(start())
        .then_forbidden();
    let report = || ActionCommand::SubmitReport {
        kind: ReportKind::Final,
        spent: eur(1),
        narrative: narrative("Bilan."),
        beneficiaries: vec![],
    };
    given(completed()).by(porteur()).when(report()).decided();
    given(completed())
        .by(other_porteur())
        .when(report())
        .then_forbidden();
}

#[test]
fn the_holder_s_commands_are_not_the_pilot_s() {
    given(proposed())
        .by(pilot())
        .when(ActionCommand::WithdrawAction { reason: note("x") })
        .then_forbidden();
    given(proposed())
        .by(coordinator())
        .when(ActionCommand::WithdrawAction { reason: note("x") })
        .decided();
}

#[test]
fn opinions_and_complement_requests_belong_to_the_coordinator() {
    let opinion = || ActionCommand::GiveOpinion {
        session: cotech(),
        opinion: Opinion::Favourable,
        proposed: vec![],
        comment: None,
    };
    given(proposed())
        .session(cotech_facts())
        .when(opinion())
        .decided();
    for actor in [pilot(), porteur()] {
        given(proposed())
            .session(cotech_facts())
            .by(actor)
            .when(opinion())
            .then_forbidden();
    }
    given(proposed())
        .by(porteur())
        .when(ActionCommand::RequestComplements {
            items: vec![title("Devis")],
        })
        .then_forbidden();
}

#[test]
fn pilots_and_coordinators_record_and_revise_copil_decisions() {
    // The CPO keeps the COPIL's secretariat and types its relevé.
    let revise = || ActionCommand::ReviseDecision {
        session: copil_june(),
        outcome: DecisionOutcome::Deferred,
        retained: vec![],
        reason: note("x"),
    };
    for actor in [pilot(), coordinator()] {
        given(retained())
            .session(copil_june_facts())
            .by(actor)
            .when(revise())
            .decided();
    }
    for actor in [porteur(), evaluator(), observer()] {
        given(retained())
            .session(copil_june_facts())
            .by(actor)
            .when(revise())
            .then_forbidden();
    }
}

#[test]
fn grants_and_payments_belong_to_pilots_and_coordinators() {
    let pay = || ActionCommand::RecordPayment {
        payment: payment_id("v2"),
        funder: etat(),
        amount: eur(100),
        kind: PaymentKind::Instalment,
        paid_on: d(2026, 6, 1),
    };
    for actor in [pilot(), coordinator()] {
        given(in_progress()).by(actor).when(pay()).decided();
    }
    for actor in [porteur(), evaluator(), observer()] {
        given(in_progress()).by(actor).when(pay()).then_forbidden();
    }
}

#[test]
fn evaluations_belong_to_evaluators_pilots_and_coordinators() {
    let evaluate = || ActionCommand::EvaluateAction {
        rating: Rating::Achieved,
        findings: narrative("Bien."),
        recommendation: Recommendation::Renew,
    };
    // The CPO leads the evaluation technically.
    for actor in [evaluator(), pilot(), coordinator()] {
        given(reported()).by(actor).when(evaluate()).decided();
    }
    for actor in [porteur(), observer()] {
        given(reported())
            .by(actor)
            .when(evaluate())
            .then_forbidden();
    }
}

#[test]
fn a_forbidden_command_is_forbidden_even_on_an_action_that_does_not_exist() {
    let e = given(vec![])
        .by(observer())
        .when(ActionCommand::CloseAction)
        .error();
    assert_eq!(e.api_code(), ApiCode::Forbidden);
    let e = given(vec![])
        .by(coordinator())
        .when(ActionCommand::CloseAction)
        .error();
    assert_eq!(e.api_code(), ApiCode::NotFound);
}
