//! The business rules of Chronique, the register of decisions of a Cité éducative.
//!
//! Its job: for each kind of stream (programme, partner, session, action), the commands users
//! give, the events they record, and the two pure functions between them (STYLE.md, "The pure
//! core"):
//!
//! - `decide(&state, &command, &context) -> Result<Decided<Event>, DomainError>` checks the
//!   permissions ([`permissions`]), the effective date (rule 12, [`decider::effective_date`])
//!   and the rules of DOMAIN.md, and returns the events to append, all effective on one date,
//!   with the warnings of rules accepted with a warning (`request_above_cap`);
//! - `evolve(state, &Dated<Event>) -> state` folds one recorded event into the state read
//!   models build on ([`action::ActionState`], [`programme::ProgrammeState`],
//!   [`session::SessionState`], [`partner::PartnerState`]).
//!
//! `recordCopilDecisions` spans many action streams: [`action::decide_copil_decisions`] decides
//! them all or none, and lists every failing action.
//!
//! Its parts: [`values`] (typed ids, money, validated texts, closed lists), [`events`] (the facts
//! and their schema versions, with the frozen old versions and their upcasts), [`streams`]
//! (stream ids), [`actor`] and [`permissions`] (who may do what), [`bounds`] (dates within the
//! programme's years, list lengths, no item twice), [`context`] (what a command
//! needs from other streams, and how the command service gathers it), [`decider`] (the shape
//! shared by the four streams), [`error`] (why a command is refused, and its API code), [`fr`]
//! (money and dates in French), and one module per stream kind.
//!
//! Invariants:
//! - Architecture Invariant: this crate is pure. It does no IO, has no async, reads no clock and
//!   makes no ids: today's date, new ids (grant, payment) and generated references arrive with
//!   the command or its context. It depends on no other crate of the workspace (only serde,
//!   thiserror and chrono; `tests/tidy.rs` checks it).
//! - `evolve` never fails and never panics: a recorded event is a fact. Amounts saturate at
//!   10¹³ cents; an event that does not fit the state is counted and applied as far as it makes
//!   sense.
//! - Money is `i64` cents with checked arithmetic in `decide` (rule 1); no float is ever near
//!   money.
//! - Corrections (`DecisionRevised`, `PaymentCancelled`) name what they supersede by a business
//!   id in their payload; the folded state applies them and keeps the history.
//! - Every refusal is a [`error::DomainError`] with its figures, a stable code and a French
//!   sentence; none is a string.
//!
//! What it deliberately does not do: load or append events, check expected versions or command
//! ids (the command service in `graphql` does), decode stored bytes or route old schema
//! versions (the registry and golden files live in `projections`), authenticate tokens, parse
//! user input (the API layer builds [`values`] and turns [`values::InvalidValue`] into
//! `VALIDATION`), or compute read models across streams (budgets, agendas, timelines are
//! `projections`').

pub mod action;
pub mod actor;
pub mod bounds;
pub mod context;
pub mod decider;
pub mod error;
pub mod events;
pub mod fr;
pub mod partner;
pub mod permissions;
pub mod personal;
pub mod programme;
pub mod session;
pub mod streams;
pub mod values;
