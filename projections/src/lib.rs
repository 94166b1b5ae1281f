//! Read models folded from the event log, checkpoints and time travel.
//!
//! Being written: [`registry`] (decoding stored payloads, upcasting old versions), [`recorded`]
//! (an envelope around its decoded event), [`model`] (the fold of every programme).

pub mod bench;
pub mod generator;
pub mod model;
pub mod query;
pub mod recorded;
pub mod registry;
pub mod render;
pub mod runner;
pub mod time_travel;
pub mod visibility;
