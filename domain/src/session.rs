//! The `session-{p}.{id}` stream: one dated meeting of a body.

use crate::actor::Actor;
use crate::bounds::{self, check_list};
use crate::context::{Context, Needs, SessionFacts};
use crate::decider::{Command, Decided, Decider, effective_date, stated_date};
use crate::error::{DomainError, Missing, SessionProblem, Stage, StreamKind};
use crate::events::*;
use crate::permissions::{CommandKind, authorize};
use crate::streams::StreamRef;
use crate::values::*;
use chrono::NaiveDate;

/// The fold of a session stream. `session` is `None` until `SessionScheduled`.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SessionState {
    pub session: Option<Session>,
    pub first_effective_on: Option<NaiveDate>,
    pub version: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Session {
    pub id: SessionId,
    pub body: BodyKind,
    /// The day of the meeting.
    pub date: NaiveDate,
    pub title: Title,
    pub held: bool,
    /// Organisations present, once held.
    pub present: Vec<Name>,
    pub cancelled: bool,
    pub cancel_reason: Option<Note>,
    pub cancelled_on: Option<NaiveDate>,
}

impl From<&Session> for SessionFacts {
    fn from(s: &Session) -> Self {
        SessionFacts {
            id: s.id.clone(),
            body: s.body,
            date: s.date,
            held: s.held,
            cancelled: s.cancelled,
        }
    }
}

/// [`evolve`] in place, with the event borrowed (folds over many events call this).
pub fn apply(state: &mut SessionState, on: NaiveDate, event: &SessionEvent) {
    state.version += 1;
    state.first_effective_on.get_or_insert(on);
    match event {
        SessionEvent::SessionScheduled(e) => {
            if state.session.is_none() {
                state.session = Some(Session {
                    id: e.session.clone(),
                    body: e.body,
                    date: e.date,
                    title: e.title.clone(),
                    held: false,
                    present: Vec::new(),
                    cancelled: false,
                    cancel_reason: None,
                    cancelled_on: None,
                });
            }
        }
        SessionEvent::SessionHeld(e) => {
            if let Some(s) = state.session.as_mut() {
                s.held = true;
                s.present = e.present.clone();
            }
        }
        SessionEvent::SessionCancelled(e) => {
            if let Some(s) = state.session.as_mut() {
                s.cancelled = true;
                s.cancel_reason = Some(e.reason.clone());
                s.cancelled_on = Some(on);
            }
        }
        SessionEvent::AttendanceCorrected(e) => {
            if let Some(s) = state.session.as_mut() {
                s.present = e.present.clone();
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionCommand {
    ScheduleSession {
        session: SessionId,
        body: BodyKind,
        date: NaiveDate,
        title: Title,
    },
    RecordSessionHeld {
        present: Vec<Name>,
    },
    CancelSession {
        reason: Note,
    },
    CorrectAttendance {
        present: Vec<Name>,
        reason: Note,
    },
}

impl SessionCommand {
    pub fn kind(&self) -> CommandKind {
        match self {
            SessionCommand::ScheduleSession { .. } => CommandKind::ScheduleSession,
            SessionCommand::RecordSessionHeld { .. } => CommandKind::RecordSessionHeld,
            SessionCommand::CancelSession { .. } => CommandKind::CancelSession,
            SessionCommand::CorrectAttendance { .. } => CommandKind::CorrectAttendance,
        }
    }

    /// Scheduling needs the programme to exist.
    pub fn needs(&self) -> Needs {
        Needs {
            programme: matches!(self, SessionCommand::ScheduleSession { .. }),
            ..Needs::default()
        }
    }
}

fn existing(state: &SessionState) -> Result<&Session, DomainError> {
    state
        .session
        .as_ref()
        .ok_or(DomainError::NotFound(Missing::Target(StreamKind::Session)))
}

/// The state preconditions of a command on or at a session (rule 4 and the session's life
/// cycle): a held or cancelled session is final; only a held one has attendance to correct; an
/// opinion is given at a body other than the COPIL, not cancelled; a decision at a held COPIL.
/// `decide` checks this, and [`available_commands`] asks it of every command.
pub fn precondition(s: &SessionFacts, command: CommandKind) -> Result<(), DomainError> {
    use CommandKind as K;
    let lifecycle = |stage| Err(DomainError::Lifecycle { command, stage });
    let invalid = |problem| {
        Err(DomainError::SessionInvalid {
            session: s.id.clone(),
            problem,
        })
    };
    match command {
        K::RecordSessionHeld | K::CancelSession if s.cancelled => {
            lifecycle(Stage::SessionCancelled)
        }
        K::RecordSessionHeld | K::CancelSession if s.held => lifecycle(Stage::SessionHeld),
        K::CorrectAttendance if s.cancelled => lifecycle(Stage::SessionCancelled),
        K::CorrectAttendance if !s.held => lifecycle(Stage::SessionScheduled),
        K::GiveOpinion if s.body == BodyKind::Copil => invalid(SessionProblem::OpinionAtCopil),
        K::RecordCopilDecisions | K::ReviseDecision if s.body != BodyKind::Copil => {
            invalid(SessionProblem::DecisionOutsideCopil(s.body))
        }
        K::GiveOpinion | K::RecordCopilDecisions | K::ReviseDecision if s.cancelled => {
            invalid(SessionProblem::Cancelled)
        }
        K::RecordCopilDecisions | K::ReviseDecision if !s.held => invalid(SessionProblem::NotHeld),
        _ => Ok(()),
    }
}

/// The commands `actor` may give on or at the session of `state` now: its permission and
/// every [`precondition`].
pub fn available_commands(
    actor: &Actor,
    programme: &ProgrammeId,
    state: &SessionState,
) -> Vec<CommandKind> {
    let Some(s) = state.session.as_ref() else {
        return Vec::new();
    };
    let facts = SessionFacts::from(s);
    CommandKind::offered(crate::permissions::Place::Session)
        .filter(|&kind| {
            authorize(actor, kind, programme, actor.partner.as_ref()).is_ok()
                && precondition(&facts, kind).is_ok()
        })
        .collect()
}

pub struct SessionDecider;

impl Decider for SessionDecider {
    type Id = SessionId;
    type State = SessionState;
    type Command = SessionCommand;
    type Event = SessionEvent;

    fn stream(programme: &ProgrammeId, id: &SessionId) -> StreamRef {
        StreamRef::Session(programme.clone(), id.clone())
    }

    fn version(state: &SessionState) -> u64 {
        state.version
    }

    fn needs(_: &SessionState, command: &SessionCommand) -> Needs {
        command.needs()
    }

    fn command_kind(command: &SessionCommand) -> CommandKind {
        command.kind()
    }

    fn texts(command: &SessionCommand) -> Vec<&str> {
        match command {
            SessionCommand::ScheduleSession { title, .. } => vec![title.as_str()],
            SessionCommand::CancelSession { reason }
            | SessionCommand::CorrectAttendance { reason, .. } => vec![reason.as_str()],
            SessionCommand::RecordSessionHeld { .. } => Vec::new(),
        }
    }

    /// Decides a session command.
    ///
    /// Effective dates: scheduling is effective when it is decided (the option, or today), or on
    /// the session's date when the session is entered after it took place, so that its holding,
    /// effective on the session's date, never precedes the stream's first event. Holding is
    /// effective on the session's date: a session is not held before it takes place.
    fn rules(
        state: &SessionState,
        command: &Command<SessionCommand>,
        ctx: &Context,
    ) -> Result<Decided<SessionEvent>, DomainError> {
        let kind = command.command.kind();
        authorize(&ctx.actor, kind, &ctx.programme, None)?;
        match &command.command {
            SessionCommand::ScheduleSession {
                session,
                body,
                date,
                title,
            } => {
                if state.version > 0 {
                    return Err(DomainError::Lifecycle {
                        command: kind,
                        stage: Stage::Exists,
                    });
                }
                if ctx.programme_facts.is_none() {
                    return Err(DomainError::NotFound(Missing::Programme(
                        ctx.programme.clone(),
                    )));
                }
                let range = ctx.date_range();
                range.check("date de la séance", *date)?;
                if let Some(option) = command.effective_on
                    && option > *date
                {
                    return Err(DomainError::EffectiveDateContradicts {
                        named: *date,
                        option,
                    });
                }
                let default = command.effective_on.unwrap_or((*date).min(ctx.today));
                let on = effective_date(None, Some(default), ctx.today, None)?;
                range.check("date d'effet", on)?;
                Ok(Decided::one(
                    on,
                    SessionScheduled {
                        session: session.clone(),
                        body: *body,
                        date: *date,
                        title: title.clone(),
                    },
                ))
            }
            SessionCommand::RecordSessionHeld { present } => {
                let s = existing(state)?;
                precondition(&s.into(), kind)?;
                check_list(
                    "organisations présentes",
                    present,
                    bounds::MAX_ORGANISATIONS,
                    |name| name.as_str().to_owned(),
                )?;
                let on = effective_date(
                    Some(s.date),
                    command.effective_on,
                    ctx.today,
                    state.first_effective_on,
                )?;
                Ok(Decided::one(
                    on,
                    SessionHeld {
                        present: present.clone(),
                    },
                ))
            }
            SessionCommand::CancelSession { reason } => {
                let s = existing(state)?;
                precondition(&s.into(), kind)?;
                let on = stated_date(command, ctx, state.first_effective_on)?;
                Ok(Decided::one(
                    on,
                    SessionCancelled {
                        reason: reason.clone(),
                    },
                ))
            }
            // Only a held session has attendance to correct.
            SessionCommand::CorrectAttendance { present, reason } => {
                let s = existing(state)?;
                precondition(&s.into(), kind)?;
                check_list(
                    "organisations présentes",
                    present,
                    bounds::MAX_ORGANISATIONS,
                    |name| name.as_str().to_owned(),
                )?;
                if &s.present == present {
                    return Err(DomainError::NothingToChange);
                }
                let on = stated_date(command, ctx, state.first_effective_on)?;
                Ok(Decided::one(
                    on,
                    AttendanceCorrected {
                        present: present.clone(),
                        reason: reason.clone(),
                    },
                ))
            }
        }
    }

    /// Folds one event; never fails.
    fn evolve(mut state: SessionState, event: &Dated<SessionEvent>) -> SessionState {
        apply(&mut state, event.effective_on, &event.event);
        state
    }
}
