//! Read models folded from the event log, checkpoints and time travel.
//!
//! To be filled by the projections issue.
