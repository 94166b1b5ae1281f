//! The business rules of Chronique, the register of decisions of a Cité éducative.
//!
//! Architecture Invariant: this crate is pure. It does no IO, has no async, reads no clock and
//! makes no ids: today's date, new ids and the actor arrive with the command or its context. It
//! depends on no other crate of the workspace (only serde, thiserror, uuid and chrono).
//!
//! Its parts: [`values`] (typed ids, money, validated texts, closed lists), [`events`] (the facts
//! and their schema versions), [`streams`] (stream ids).

pub mod action;
pub mod actor;
pub mod context;
pub mod decider;
pub mod error;
pub mod events;
pub mod fr;
pub mod partner;
pub mod permissions;
pub mod programme;
pub mod session;
pub mod streams;
pub mod values;
