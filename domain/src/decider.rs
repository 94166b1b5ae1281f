//! The shape shared by the four kinds of stream: a command with its options, what `decide`
//! returns, the effective date (rule 12), and the [`Decider`] trait that names a stream's
//! `decide` and `evolve` so that generic code (tests, the command service) can drive any of them.

use crate::context::Context;
use crate::error::{DomainError, Warning};
use crate::events::Dated;
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

/// A kind of stream: its state, commands and events, and the two pure functions over them.
pub trait Decider {
    type State: Default + Clone;
    type Command;
    type Event: Clone;

    fn decide(
        state: &Self::State,
        command: &Command<Self::Command>,
        context: &Context,
    ) -> Result<Decided<Self::Event>, DomainError>;

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
}
