//! The read side of Chronique: the log folded into read models, live and *as of* any past
//! moment, and the queries over them.
//!
//! Its job: decode every stored payload into the current domain event (upcasting old schema
//! versions), fold the events into one read model of every programme, keep that model in
//! memory and up to date as the log grows, save and reload it as snapshots, rebuild it from
//! the log alone, build it as of a past bound, and answer the queries of DOMAIN.md's « Read
//! models users expect » for a given viewer. Both the API and the command service read through
//! it (the command service sums across actions from the model once it has caught up).
//!
//! Its modules, in the order an event meets them:
//! - [`registry`]: `(event_type, schema_version, bytes)` → the current domain event; every
//!   stored version with its upcast, pinned by the golden files of `tests/golden/`;
//! - [`recorded`]: an event with its envelope's facts (position, effective date, recorded
//!   time, actor);
//! - [`model`]: the fold ([`model::ReadModel::apply`]) of every programme's streams, with
//!   actions kept compact ([`model::ActionRecord`]) and strings interned ([`model::Strings`]);
//! - [`runner`]: the live model ([`runner::Projector`]): snapshot, catching up, following the
//!   log, `wait_for(position)` for read-your-writes, and [`runner::rebuild`];
//! - [`time_travel`]: one programme as of a position, a recorded instant or an effective date;
//! - [`query`]: the read models users ask for (fiches actions, histories, timeline, sessions
//!   and their relevés, budgets, changes, reports due), as plain view types;
//! - [`visibility`]: who may read what, applied by every query;
//! - [`render`]: one French sentence per event type, for histories and timelines;
//! - [`generator`]: realistic logs for tests, benchmarks and `chronique demo`;
//! - [`mod@bench`]: the figures of `cargo bench -p projections` and `chronique bench`.
//!
//! Invariants:
//! - One fold per read model: [`model::ReadModel::apply`] serves the live runner, a rebuild and
//!   time travel alike, so that the state as of the head and the live state agree by
//!   construction; a rebuild gives the state incremental application gave (property test in
//!   `tests/runner.rs`).
//! - Events are applied in log order, each exactly once; one that does not decode stops the
//!   projector loudly, it is never skipped.
//! - A snapshot starts with [`runner::SNAPSHOT_LAYOUT_VERSION`]: a snapshot of another layout
//!   is discarded and the model rebuilt. Bump it whenever the model's shape changes.
//! - The model holds states and small indexes, not events nor sentences: histories read their
//!   few events back from the log by position and word them on demand.
//! - Every query applies the reading rules of [`visibility`]: what a viewer may not see is
//!   absent, or withheld with a flag, never leaked through a total or a sentence.
//!
//! What it deliberately does not do: decide or append anything (the command service in
//! `graphql` is the only write path; the [`generator`] writes around it on purpose, for bulk
//! loads of generated data only, through the same deciders), open or lock the store (it reads
//! through `eventlog`'s handle and [`recorded::EventSource`]), name GraphQL types, or
//! know who the viewer is beyond a domain [`domain::actor::Actor`].

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
