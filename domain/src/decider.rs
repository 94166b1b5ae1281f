//! The shape shared by the four kinds of stream: a command with its options, what `decide`
//! returns, the effective date (rule 12), and the [`Decider`] trait that says everything a kind
//! of stream is, so that generic code (the command service, the resolvers, the generator, tests)
//! drives any of them through one path.
//!
//! A fifth kind of stream is a `Decider` impl, a [`StreamRef`] variant and a [`DomainEvent`]
//! variant, all in this crate; the event registry of `projections` then registers its events.

use crate::actor::Actor;
use crate::context::{Context, Needs};
use crate::error::{DomainError, Warning};
use crate::events::{Dated, DomainEvent};
use crate::permissions::CommandKind;
use crate::streams::StreamRef;
use crate::values::{PartnerId, ProgrammeId};
use chrono::NaiveDate;

/// A command as the API layer builds it: the business command and the `effectiveOn` option of
/// `CommandOptions` (the other options, command id and expected version, are the command
/// service's business).
#[derive(Debug, Clone, PartialEq)]
pub struct Command<C> {
    pub command: C,
    pub effective_on: Option<NaiveDate>,
}

impl<C> Command<C> {
    pub fn new(command: C) -> Command<C> {
        Command {
            command,
            effective_on: None,
        }
    }

    /// With the `effectiveOn` option set.
    pub fn effective_on(mut self, date: NaiveDate) -> Command<C> {
        self.effective_on = Some(date);
        self
    }
}

impl<C> From<C> for Command<C> {
    fn from(command: C) -> Self {
        Command::new(command)
    }
}

/// What `decide` returns: the events to append, all effective on one date, and the warnings
/// of rules accepted with a warning (rule 2's `request_above_cap`).
#[derive(Debug, Clone, PartialEq)]
pub struct Decided<E> {
    pub effective_on: NaiveDate,
    pub events: Vec<E>,
    pub warnings: Vec<Warning>,
}

impl<E: Clone> Decided<E> {
    pub fn one(effective_on: NaiveDate, event: impl Into<E>) -> Decided<E> {
        Decided {
            effective_on,
            events: vec![event.into()],
            warnings: Vec::new(),
        }
    }

    /// The events with their effective date, as `evolve` folds them.
    pub fn dated(&self) -> Vec<Dated<E>> {
        self.events
            .iter()
            .map(|event| Dated {
                effective_on: self.effective_on,
                event: event.clone(),
            })
            .collect()
    }
}

/// Rule 12. The effective date of a command is the date it names (`named`: paidOn, signedOn,
/// the session's date…), else the `effectiveOn` option, else today. An option that disagrees
/// with a named date is `VALIDATION`; a date after today, or before the stream's first event
/// (`first`), is `effective_date_invalid`.
pub fn effective_date(
    named: Option<NaiveDate>,
    option: Option<NaiveDate>,
    today: NaiveDate,
    first: Option<NaiveDate>,
) -> Result<NaiveDate, DomainError> {
    if let (Some(named), Some(option)) = (named, option)
        && named != option
    {
        return Err(DomainError::EffectiveDateContradicts { named, option });
    }
    let date = named.or(option).unwrap_or(today);
    if date > today {
        return Err(DomainError::EffectiveDateInFuture { date, today });
    }
    if let Some(first) = first
        && date < first
    {
        return Err(DomainError::EffectiveDateBeforeStream { date, first });
    }
    Ok(date)
}

/// Rule 12 for a command that names no date: the `effectiveOn` option, else today, never before
/// the stream's first event (`first`).
pub fn stated_date<C>(
    command: &Command<C>,
    context: &Context,
    first: Option<NaiveDate>,
) -> Result<NaiveDate, DomainError> {
    effective_date(None, command.effective_on, context.today, first)
}

/// A kind of stream: how its streams are named, its state, commands and events, the two pure
/// functions over them, and what the command service must know to run one of its commands
/// (the facts it needs, the permission it checks, the ids it gives).
pub trait Decider {
    /// What names one stream of this kind within its programme (`()` for the programme's own).
    type Id: Clone + Send + Sync;
    type State: Default + Clone + Send + Sync;
    type Command: Clone + Send + Sync;
    /// The stream's events; they wrap into [`DomainEvent`] to be stored and unwrap back.
    type Event: Clone + Send + Sync + Into<DomainEvent> + TryFrom<DomainEvent>;

    /// The stream of this kind named `id` in `programme`.
    fn stream(programme: &ProgrammeId, id: &Self::Id) -> StreamRef;

    /// The number of events folded into `state`: the stream's version.
    fn version(state: &Self::State) -> u64;

    /// The facts of other streams `command` needs in its [`Context`], on the stream as it is.
    fn needs(state: &Self::State, command: &Self::Command) -> Needs;

    /// The row of DOMAIN.md's table of permissions `command` falls under.
    fn command_kind(command: &Self::Command) -> CommandKind;

    /// The partner holding what `command` is about, for a porteur's permission.
    fn holder(_state: &Self::State, _command: &Self::Command) -> Option<PartnerId> {
        None
    }

    /// Whether `actor` may not even know the stream exists (DOMAIN.md, reading rules): then
    /// every answer it gets is the one an unknown id gets.
    fn hidden_from(_actor: &Actor, _state: &Self::State, _command: &Self::Command) -> bool {
        false
    }

    /// Gives the ids the command service gives (the domain never makes fresh ids from nothing):
    /// replaces the placeholders of `command` from the stream's `state` and the `context`.
    fn assign_ids(_command: &mut Self::Command, _state: &Self::State, _context: &Context) {}

    /// The rules of the command: permissions, existence, dates, then its own rules.
    fn rules(
        state: &Self::State,
        command: &Command<Self::Command>,
        context: &Context,
    ) -> Result<Decided<Self::Event>, DomainError>;

    /// The free texts `command` carries (titles, summaries, reasons, notes, comments,
    /// narratives, findings), for rule 20.
    fn texts(command: &Self::Command) -> Vec<&str>;

    /// Decides `command`: its [`Decider::rules`], then rule 20, which every command shares (a
    /// free text that looks like personal data is accepted with `personal_data_suspected`).
    fn decide(
        state: &Self::State,
        command: &Command<Self::Command>,
        context: &Context,
    ) -> Result<Decided<Self::Event>, DomainError> {
        let mut decided = Self::rules(state, command, context)?;
        if let Some(suspicion) = Self::texts(&command.command)
            .into_iter()
            .filter_map(crate::personal::suspect)
            .min()
        {
            decided
                .warnings
                .push(Warning::PersonalDataSuspected(suspicion));
        }
        Ok(decided)
    }

    fn evolve(state: Self::State, event: &Dated<Self::Event>) -> Self::State;

    /// The state after `events`, from the empty stream.
    fn fold<'a, I>(events: I) -> Self::State
    where
        I: IntoIterator<Item = &'a Dated<Self::Event>>,
        Self::Event: 'a,
    {
        events
            .into_iter()
            .fold(Self::State::default(), |state, e| Self::evolve(state, e))
    }

    /// `event`, if it is one of this kind's.
    fn unwrap(event: DomainEvent) -> Option<Self::Event> {
        Self::Event::try_from(event).ok()
    }
}
