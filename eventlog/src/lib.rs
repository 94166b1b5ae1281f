//! The durable, append-only event log of Chronique, on sled.
//!
//! To be filled by the event log issue.
