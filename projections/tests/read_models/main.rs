//! The read models and their queries, over programmes built from events chosen by hand.

mod actions;
mod budget;
mod changes;
mod decided;
mod fixture;
mod log_source;
mod sentences;
mod sessions;
mod snapshot;
mod timeline;
mod visibility;
