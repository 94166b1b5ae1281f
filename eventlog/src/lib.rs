//! The durable, append-only event log of Chronique, on sled.
//!
//! # Its job
//!
//! `eventlog` stores *envelopes* around opaque payloads: every decision of the register is one
//! event, appended once and never changed. One writer thread owns every append: it takes every
//! request already waiting (group commit), checks expected versions and command ids, assigns
//! positions, stamps and hashes the records and applies them in one sled batch; a flusher
//! thread then flushes, publishes the new head and answers the callers, while the writer works
//! on the next group. Readers read sled directly, up to the published head. The crate is the
//! only one of the workspace that names `sled` or `bincode`.
//!
//! # Invariants (each one is tested; `GUARANTEES.md` names the tests)
//!
//! - **Durable before acknowledged**: in [`Durability::Durable`] mode an append returns only
//!   after sled has flushed it to disk; concurrent appends share one flush (group commit).
//! - **Atomic**: all the events of one [`AppendRequest`] (one or several streams) become
//!   visible together, also after a crash, or none do.
//! - **Ordered, gapless**: global positions are 1, 2, 3, … in commit order; stream versions
//!   are 1, 2, 3, … per stream.
//! - **Optimistic concurrency** with [`ExpectedVersion`].
//! - **Idempotent** by command id: an append whose command id is already recorded writes
//!   nothing and returns the original positions.
//! - **Recorded time never decreases** along the log: the writer stamps
//!   `recorded_at = max(clock(), previous)` when it assigns positions.
//! - **Tamper-evident**: `hash = SHA-256(prev_hash ‖ canonical bytes)`; [`EventLog::verify`]
//!   names the first broken position.
//! - **Readers see only acknowledged events**: reads and subscriptions stop at the published
//!   [`Head`], so nobody builds on an event that a crash could still take back.
//!
//! # What it deliberately does not do
//!
//! - It knows no event type and never decodes a payload; [`codec`] is offered to the other
//!   crates, and schema upcasting lives in `projections`.
//! - It never deletes or rewrites an event; there is no compaction and no retention.
//! - It does not scope command ids: the caller does (by programme).
//! - The key-value area ([`KvTree`]) is not part of the log: it is neither hashed nor exported.
//!
//! # Storage layout (format version 2)
//!
//! - tree `meta`: `format_version` → `u32` big-endian; `envelope_v2_from` → the first position
//!   whose record is in envelope format 2 (actor id and role; absent: 1). Format version 1 is
//!   the same layout with every record in envelope format 1; it is upgraded at open;
//! - tree `log`: `e ‖ first position` → a sealed chunk of 16 records (or about 6 KiB);
//!   `z ‖ position mod 16` → a slot of the tail, for records not yet sealed (see `chunk.rs`);
//!   `s ‖ stream id ‖ 0x00 ‖ version` → position;
//!   `c ‖ command id` → [`CommandRecord`]; positions and versions are `u64` big-endian so that
//!   sled's key order is numeric order;
//! - trees `kv/<name>`: the key-value area;
//! - the file `eventlog-head` beside sled's files: a position and hash known to be durable, so
//!   that a sled log recovered shorter than what was acknowledged is refused at open.
//!
//! `GUARANTEES.md` (in the crate's folder) states what is durable when and which bytes are
//! hashed, with the test that proves each line.
//!
//! # Example
//!
//! ```
//! use eventlog::{AppendRequest, EventLog, ExpectedVersion, NewEvent, Options};
//! # fn main() -> Result<(), eventlog::Error> {
//! # let dir = std::env::temp_dir().join(format!("eventlog-doc-{}", std::process::id()));
//! let log = EventLog::open(&dir, Options::default())?;
//! let event = NewEvent::new("ActionProposed", 1, chrono::NaiveDate::from_ymd_opt(2026, 1, 5).unwrap(), "alice", b"{}".to_vec());
//! let outcome = log.append_blocking(AppendRequest::single("action-p1.a1", ExpectedVersion::NoStream, vec![event]))?;
//! assert_eq!(outcome.positions, vec![1]);
//! assert_eq!(log.read_stream("action-p1.a1", 1, eventlog::Direction::Forward, 10)?.len(), 1);
//! # drop(log); std::fs::remove_dir_all(&dir).ok();
//! # Ok(()) }
//! ```

pub mod bench;
mod chunk;
pub mod codec;
mod copy;
mod engine;
mod error;
mod files;
mod kv;
mod log;
mod mark;
mod ndjson;
mod pg;
mod record;
mod subscription;
pub mod texts;
mod types;
mod writer;

pub use copy::{CopiedLog, Layout, inspect};
pub use engine::StoreLocation;
pub use error::{Error, Result, StreamState};
pub use kv::{KvBatch, KvTree};
pub use log::{EventLog, RawRecord, overwrite_format_version_for_tests};
pub use ndjson::{ExportLines, ImportOptions, ImportReport, check_ndjson};
pub use pg::{is_postgres_url, redact as redact_postgres_url};
pub use subscription::Subscription;
pub use types::{
    AppendOutcome, AppendRequest, Clock, CommandKey, CommandRecord, Direction, Durability,
    Envelope, ExpectedVersion, FORMAT_VERSION, Head, NewEvent, Options, Stats, StreamAppend,
    VerifyReport, validate_stream_id,
};
