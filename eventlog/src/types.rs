//! The public data types of the log: options, requests, outcomes, envelopes.

use std::fmt;
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::Error;

/// The version of the on-disk layout this build writes. It reads it and format 1 (envelopes
/// naming their actor), which it upgrades at open; any other value is refused at open
/// ([`Error::UnknownFormat`]).
pub const FORMAT_VERSION: u32 = 2;

/// The source of "now" for `recorded_at`; injectable so that tests can control recorded times.
pub type Clock = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

/// When an append is acknowledged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Durability {
    /// Acknowledge after sled has flushed the append to disk. The only mode for real data.
    Durable,
    /// Acknowledge before the flush (sled flushes in the background, every 500 ms, and when
    /// the log is closed). A crash may lose acknowledged appends: **unsafe for real data**;
    /// meant for bulk imports into a fresh store and for benchmarks.
    Buffered,
}

/// How to open the log.
#[derive(Clone)]
pub struct Options {
    pub durability: Durability,
    /// sled's page cache, in bytes (sled's own default is 1 GiB; ours is 16 MiB). sled 0.34
    /// splits it over 256 shards and keeps at least the last page read in each, whatever its
    /// size: with pages of about 100 KB (16 chunks of up to 6 KiB) the cache holds about 50 MB
    /// once the whole log was read, whatever the capacity below 25 MiB. 64 MiB held about
    /// 90 MB, which put the server with a 1M-event log over its 300 MB.
    pub cache_capacity_bytes: u64,
    /// Source of `recorded_at`; defaults to `Utc::now`.
    pub clock: Clock,
    /// Largest payload of one event (default 1 MiB, at most 256 MiB).
    pub max_payload_bytes: usize,
    /// Most events in one append (default 10 000).
    pub max_events_per_append: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            durability: Durability::Durable,
            cache_capacity_bytes: 16 * 1024 * 1024,
            clock: Arc::new(Utc::now),
            max_payload_bytes: 1024 * 1024,
            max_events_per_append: 10_000,
        }
    }
}

impl fmt::Debug for Options {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Options")
            .field("durability", &self.durability)
            .field("cache_capacity_bytes", &self.cache_capacity_bytes)
            .field("max_payload_bytes", &self.max_payload_bytes)
            .field("max_events_per_append", &self.max_events_per_append)
            .finish_non_exhaustive()
    }
}

/// What the caller believes about a stream before appending to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ExpectedVersion {
    /// No check.
    Any,
    /// The stream must have no event.
    NoStream,
    /// The stream's last event must have exactly this version (`Exact(0)` means no event).
    Exact(u64),
    /// The stream must have at least one event.
    StreamExists,
}

impl ExpectedVersion {
    /// Whether a stream whose current version is `current` (0 = no event) satisfies it.
    pub fn is_satisfied_by(self, current: u64) -> bool {
        match self {
            ExpectedVersion::Any => true,
            ExpectedVersion::NoStream => current == 0,
            ExpectedVersion::Exact(version) => current == version,
            ExpectedVersion::StreamExists => current > 0,
        }
    }
}

impl fmt::Display for ExpectedVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExpectedVersion::Any => f.write_str("any version"),
            ExpectedVersion::NoStream => f.write_str("no stream"),
            ExpectedVersion::Exact(version) => write!(f, "version {version}"),
            ExpectedVersion::StreamExists => f.write_str("an existing stream"),
        }
    }
}

/// One event to append, before the writer gives it a position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEvent {
    pub event_type: String,
    pub schema_version: u16,
    /// The date the decision takes effect (DOMAIN.md rule 12), distinct from `recorded_at`.
    pub effective_on: NaiveDate,
    /// The actor's stable id (an opaque string such as `person:…`): never a name, which would
    /// then be chained for ever (GUARANTEES.md, envelope format 2).
    pub actor: String,
    /// The actor's role when it acted (`COORDINATOR`…); may be empty.
    pub actor_role: String,
    pub correlation_id: Option<Uuid>,
    pub causation_id: Option<Uuid>,
    /// Opaque bytes, usually `codec::encode` of a domain event.
    pub payload: Vec<u8>,
    /// Texts a person typed that may have to be erased: stored outside sled, with a salted
    /// commitment of each in the chained bytes (`texts.rs`).
    pub texts: Vec<String>,
}

impl NewEvent {
    /// An event without correlation or causation.
    pub fn new(
        event_type: impl Into<String>,
        schema_version: u16,
        effective_on: NaiveDate,
        actor: impl Into<String>,
        payload: Vec<u8>,
    ) -> Self {
        NewEvent {
            event_type: event_type.into(),
            schema_version,
            effective_on,
            actor: actor.into(),
            actor_role: String::new(),
            correlation_id: None,
            causation_id: None,
            payload,
            texts: Vec::new(),
        }
    }

    /// The same event with its erasable texts.
    pub fn with_texts(mut self, texts: Vec<String>) -> Self {
        self.texts = texts;
        self
    }

    /// The same event, its actor acting in `role`.
    pub fn with_role(mut self, role: impl Into<String>) -> Self {
        self.actor_role = role.into();
        self
    }
}

/// The events for one stream within an append.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamAppend {
    pub stream_id: String,
    pub expected: ExpectedVersion,
    pub events: Vec<NewEvent>,
}

/// The command an append comes from, for idempotency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandKey {
    /// Scoped by the caller (e.g. by programme); at most 256 bytes.
    pub id: String,
    /// A digest of the command, kept beside the id so that a reused id with a different
    /// command can be detected by the caller.
    pub fingerprint: [u8; 32],
}

/// One atomic append: one or several streams, each with its own expected version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppendRequest {
    pub streams: Vec<StreamAppend>,
    pub command: Option<CommandKey>,
}

impl AppendRequest {
    /// An append to one stream, without a command id.
    pub fn single(
        stream_id: impl Into<String>,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
    ) -> Self {
        AppendRequest {
            streams: vec![StreamAppend {
                stream_id: stream_id.into(),
                expected,
                events,
            }],
            command: None,
        }
    }

    /// The same append, carrying a command id.
    pub fn with_command(mut self, id: impl Into<String>, fingerprint: [u8; 32]) -> Self {
        self.command = Some(CommandKey {
            id: id.into(),
            fingerprint,
        });
        self
    }

    pub(crate) fn n_events(&self) -> usize {
        self.streams.iter().map(|s| s.events.len()).sum()
    }
}

/// What an append produced (or, when `replayed`, what the first append of its command id
/// produced).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppendOutcome {
    pub first_position: u64,
    pub last_position: u64,
    /// Every position, in order (contiguous: `first_position..=last_position`).
    pub positions: Vec<u64>,
    /// The version of each stream after the append, in the order of the request.
    pub stream_versions: Vec<(String, u64)>,
    /// True when the command id was already recorded and nothing was written.
    pub replayed: bool,
}

/// An entry of the command-id index.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommandRecord {
    pub fingerprint: [u8; 32],
    pub first_position: u64,
    pub last_position: u64,
    pub stream_versions: Vec<(String, u64)>,
}

impl CommandRecord {
    /// The positions the command produced.
    pub fn positions(&self) -> Vec<u64> {
        (self.first_position..=self.last_position).collect()
    }

    pub(crate) fn outcome(&self, replayed: bool) -> AppendOutcome {
        AppendOutcome {
            first_position: self.first_position,
            last_position: self.last_position,
            positions: self.positions(),
            stream_versions: self.stream_versions.clone(),
            replayed,
        }
    }
}

/// A recorded event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope {
    pub position: u64,
    pub event_id: Uuid,
    pub stream_id: String,
    pub stream_version: u64,
    pub event_type: String,
    pub schema_version: u16,
    /// Stamped by the writer (microsecond precision), never decreasing along the log.
    pub recorded_at: DateTime<Utc>,
    pub effective_on: NaiveDate,
    /// Format 1: the actor's name as the writer gave it. Format 2: the actor's stable id.
    pub actor: String,
    /// The actor's role in format 2; `None` for a record in format 1 (written before it).
    pub actor_role: Option<String>,
    pub command_id: Option<String>,
    pub correlation_id: Option<Uuid>,
    pub causation_id: Option<Uuid>,
    pub payload: Vec<u8>,
    /// Format 2: the salted commitment of each erasable text (chained).
    pub text_commitments: Vec<[u8; 32]>,
    /// The texts themselves, as the text files hold them (not chained; empty when the
    /// envelope was decoded without them).
    pub texts: Vec<crate::texts::StoredText>,
    pub prev_hash: [u8; 32],
    pub hash: [u8; 32],
}

impl Envelope {
    /// The bytes the hash covers (GUARANTEES.md describes them field by field); they begin
    /// with `prev_hash`.
    pub fn canonical_bytes(&self) -> Vec<u8> {
        // Encoding plain fields into a Vec cannot fail; an empty result would make every
        // hash check fail loudly rather than pass.
        crate::record::encode_record(&crate::record::canonical_of(self))
            .map(|(mut bytes, _)| {
                bytes.truncate(bytes.len() - 32);
                bytes
            })
            .unwrap_or_default()
    }

    /// `SHA-256(canonical_bytes)`: what `hash` must be.
    pub fn computed_hash(&self) -> [u8; 32] {
        crate::record::hash_canonical(&self.canonical_bytes())
    }

    /// The record as stored in the `log` tree: canonical bytes, then the stored hash.
    pub fn stored_bytes(&self) -> Vec<u8> {
        let mut bytes = self.canonical_bytes();
        bytes.extend_from_slice(&self.hash);
        bytes
    }

    /// Decodes a stored record of envelope format `format` (1 or 2) without checking its hash.
    pub fn from_stored_bytes(bytes: &[u8], format: u32) -> Result<Envelope, Error> {
        let layout = crate::record::Layout {
            v2_from: if format >= 2 { 0 } else { u64::MAX },
        };
        crate::record::decode_record(bytes, 0, layout)
    }
}

/// The last acknowledged event: position 0 and a zero hash for an empty log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Head {
    pub position: u64,
    pub hash: [u8; 32],
    pub recorded_at: Option<DateTime<Utc>>,
}

impl Head {
    pub(crate) const EMPTY: Head = Head {
        position: 0,
        hash: [0; 32],
        recorded_at: None,
    };
}

/// Reading order of a stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Versions `from, from + 1, …`.
    Forward,
    /// Versions `from, from - 1, …` (pass `u64::MAX` to start from the last event).
    Backward,
}

/// Counters of the writer since the log was opened (for metrics and for the tests of group
/// commit).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// Append requests handed to the writer (after validation).
    pub appends_sent: u64,
    /// Groups the writer committed (one sled batch each, possibly empty of writes).
    pub groups: u64,
    /// Events written.
    pub events_written: u64,
    /// sled flushes done to acknowledge appends in `Durable` mode.
    pub flushes: u64,
}

#[derive(Default)]
pub(crate) struct StatsCounters {
    pub appends_sent: std::sync::atomic::AtomicU64,
    pub groups: std::sync::atomic::AtomicU64,
    pub events_written: std::sync::atomic::AtomicU64,
    pub flushes: std::sync::atomic::AtomicU64,
}

impl StatsCounters {
    pub(crate) fn add(counter: &std::sync::atomic::AtomicU64, n: u64) {
        counter.fetch_add(n, std::sync::atomic::Ordering::Relaxed);
    }

    pub(crate) fn snapshot(&self) -> Stats {
        let get = |c: &std::sync::atomic::AtomicU64| c.load(std::sync::atomic::Ordering::Relaxed);
        Stats {
            appends_sent: get(&self.appends_sent),
            groups: get(&self.groups),
            events_written: get(&self.events_written),
            flushes: get(&self.flushes),
        }
    }
}

/// The result of [`crate::EventLog::verify`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyReport {
    pub head_position: u64,
    pub head_hash: [u8; 32],
    /// The last position whose record, and every record before it, checked out.
    pub verified_up_to: u64,
    /// The first position that does not, with the reason.
    pub first_broken: Option<(u64, String)>,
}

impl VerifyReport {
    /// True when the whole chain checked out.
    pub fn is_ok(&self) -> bool {
        self.first_broken.is_none()
    }
}

/// Longest stream id accepted.
const MAX_STREAM_ID_BYTES: usize = 256;

/// Checks a stream id: a lowercase category, a dash, then `[a-z0-9][a-z0-9.-]*`
/// (e.g. `programme-nord`, `action-nord.a12`), at most 256 bytes. The log knows no domain;
/// this only refuses empty, oversized or odd ids (spaces, capitals, separators, control bytes).
pub fn validate_stream_id(stream_id: &str) -> Result<(), Error> {
    let bad = |why: &str| {
        Err(Error::InvalidInput(format!(
            "invalid stream id {stream_id:?}: {why} (expected `category-id`, \
             e.g. `action-nord.a12`: lowercase letters, then a dash, then lowercase letters, \
             digits, dots or dashes)"
        )))
    };
    if stream_id.is_empty() {
        return bad("it is empty");
    }
    if stream_id.len() > MAX_STREAM_ID_BYTES {
        return bad("it is longer than 256 bytes");
    }
    let Some((category, rest)) = stream_id.split_once('-') else {
        return bad("it has no dash");
    };
    if category.is_empty() || !category.bytes().all(|b| b.is_ascii_lowercase()) {
        return bad("the category is not lowercase letters");
    }
    let mut bytes = rest.bytes();
    match bytes.next() {
        Some(b) if b.is_ascii_lowercase() || b.is_ascii_digit() => {}
        _ => return bad("the id after the dash must start with a letter or a digit"),
    }
    if !bytes.all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-') {
        return bad("it contains a character other than a-z, 0-9, '.' or '-'");
    }
    Ok(())
}

/// Most bytes in an event type, an actor or a command id.
const MAX_NAME_BYTES: usize = 256;

fn check_name(what: &str, value: &str) -> Result<(), Error> {
    if value.is_empty() {
        return Err(Error::InvalidInput(format!("{what} is empty")));
    }
    if value.len() > MAX_NAME_BYTES {
        return Err(Error::InvalidInput(format!(
            "{what} is {} bytes long, more than {MAX_NAME_BYTES}",
            value.len()
        )));
    }
    if value.chars().any(char::is_control) {
        return Err(Error::InvalidInput(format!(
            "{what} {value:?} contains a control character"
        )));
    }
    Ok(())
}

/// Checks everything about a request that does not depend on the store, in the caller's
/// thread, so that the writer only spends time on valid requests.
pub(crate) fn validate_request(request: &AppendRequest, options: &Options) -> Result<(), Error> {
    if request.streams.is_empty() {
        return Err(Error::InvalidInput(
            "empty append: no stream and no event".to_owned(),
        ));
    }
    let n_events = request.n_events();
    if n_events > options.max_events_per_append {
        return Err(Error::InvalidInput(format!(
            "too many events in one append: {n_events}, at most {}",
            options.max_events_per_append
        )));
    }
    for (index, stream) in request.streams.iter().enumerate() {
        validate_stream_id(&stream.stream_id)?;
        if request.streams[..index]
            .iter()
            .any(|s| s.stream_id == stream.stream_id)
        {
            return Err(Error::InvalidInput(format!(
                "stream {} appears twice in one append; put its events together",
                stream.stream_id
            )));
        }
        if stream.events.is_empty() {
            return Err(Error::InvalidInput(format!(
                "empty append to stream {}: no event",
                stream.stream_id
            )));
        }
        for event in &stream.events {
            check_name("event type", &event.event_type)?;
            check_name("actor", &event.actor)?;
            if event.payload.len() > options.max_payload_bytes {
                return Err(Error::InvalidInput(format!(
                    "event {} on stream {} has a payload of {} bytes, more than the limit of {} bytes",
                    event.event_type,
                    stream.stream_id,
                    event.payload.len(),
                    options.max_payload_bytes
                )));
            }
        }
    }
    if let Some(command) = &request.command {
        check_name("command id", &command.id)?;
    }
    Ok(())
}
