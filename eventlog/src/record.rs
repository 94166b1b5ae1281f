//! The stored form of an envelope, its canonical bytes and its hash.
//!
//! A record in the `log` tree is `canonical ‖ hash`, where `canonical` is the codec encoding
//! of [`Canonical`] (which begins with the previous hash) and `hash = SHA-256(canonical)`.
//! Because `canonical` starts with the 32 bytes of the previous hash, this is exactly
//! `SHA-256(prev_hash ‖ rest of the record)` as ARCHITECTURE.md states. GUARANTEES.md spells
//! the bytes out for an auditor.
//!
//! Two layouts exist. Format 1 (records written before envelope format 2) holds the actor's
//! name in field `actor`. Format 2 holds in `actor` the actor's stable id and, right after it,
//! the actor's role: names live outside the chained bytes; after the payload, the commitments
//! of the event's erasable texts, which live outside sled (`texts.rs`). A store knows from which position
//! its records are in format 2 ([`Layout`]).

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::{Envelope, Error, codec};

/// Days between 0001-01-01 (day 1 of the common era) and 1970-01-01.
const UNIX_EPOCH_DAYS_FROM_CE: i32 = 719_163;

/// Which layout a record at a given position has: format 2 from `v2_from` on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Layout {
    pub v2_from: u64,
}

impl Layout {
    /// Every record in format 2 (a store created by this build).
    pub const V2: Layout = Layout { v2_from: 1 };

    pub fn is_v2(self, position: u64) -> bool {
        position >= self.v2_from
    }
}

/// The hashed part of a record, borrowed for encoding: format 2 when `actor_role` is set,
/// format 1 otherwise.
pub(crate) struct CanonicalRef<'a> {
    pub prev_hash: [u8; 32],
    pub position: u64,
    pub event_id: [u8; 16],
    pub stream_id: &'a str,
    pub stream_version: u64,
    pub event_type: &'a str,
    pub schema_version: u16,
    pub recorded_at_micros: i64,
    pub effective_on_days: i32,
    pub actor: &'a str,
    pub actor_role: Option<&'a str>,
    pub command_id: Option<&'a str>,
    pub correlation_id: Option<[u8; 16]>,
    pub causation_id: Option<[u8; 16]>,
    pub payload: &'a [u8],
    /// Format 2 only: the commitments of the event's erasable texts (`texts.rs`).
    pub text_commitments: &'a [[u8; 32]],
}

/// Format 1's bytes. Field order is the byte order: never change it (add a format instead).
#[derive(Serialize)]
struct V1Ref<'a> {
    prev_hash: [u8; 32],
    position: u64,
    event_id: [u8; 16],
    stream_id: &'a str,
    stream_version: u64,
    event_type: &'a str,
    schema_version: u16,
    recorded_at_micros: i64,
    effective_on_days: i32,
    actor: &'a str,
    command_id: Option<&'a str>,
    correlation_id: Option<[u8; 16]>,
    causation_id: Option<[u8; 16]>,
    #[serde(with = "codec::bytes")]
    payload: &'a [u8],
}

/// Format 2's bytes: format 1 with the actor's role after the actor's id.
#[derive(Serialize)]
struct V2Ref<'a> {
    prev_hash: [u8; 32],
    position: u64,
    event_id: [u8; 16],
    stream_id: &'a str,
    stream_version: u64,
    event_type: &'a str,
    schema_version: u16,
    recorded_at_micros: i64,
    effective_on_days: i32,
    actor_id: &'a str,
    actor_role: &'a str,
    command_id: Option<&'a str>,
    correlation_id: Option<[u8; 16]>,
    causation_id: Option<[u8; 16]>,
    #[serde(with = "codec::bytes")]
    payload: &'a [u8],
    text_commitments: &'a [[u8; 32]],
}

/// The owned twin of [`V2Ref`], for decoding; the two must encode identically.
#[derive(Deserialize)]
struct CanonicalV2 {
    prev_hash: [u8; 32],
    position: u64,
    event_id: [u8; 16],
    stream_id: String,
    stream_version: u64,
    event_type: String,
    schema_version: u16,
    recorded_at_micros: i64,
    effective_on_days: i32,
    actor_id: String,
    actor_role: String,
    command_id: Option<String>,
    correlation_id: Option<[u8; 16]>,
    causation_id: Option<[u8; 16]>,
    #[serde(with = "codec::bytes")]
    payload: Vec<u8>,
    text_commitments: Vec<[u8; 32]>,
}

/// The owned twin of [`V1Ref`], for decoding; the two must encode identically.
#[derive(Deserialize)]
struct Canonical {
    prev_hash: [u8; 32],
    position: u64,
    event_id: [u8; 16],
    stream_id: String,
    stream_version: u64,
    event_type: String,
    schema_version: u16,
    recorded_at_micros: i64,
    effective_on_days: i32,
    actor: String,
    /// Never in format 1's bytes; set from format 2's.
    #[serde(skip)]
    actor_role: Option<String>,
    command_id: Option<String>,
    correlation_id: Option<[u8; 16]>,
    causation_id: Option<[u8; 16]>,
    #[serde(with = "codec::bytes")]
    payload: Vec<u8>,
    /// Never in format 1's bytes; set from format 2's.
    #[serde(skip)]
    text_commitments: Vec<[u8; 32]>,
}

pub(crate) fn date_to_days(date: NaiveDate) -> i32 {
    date.num_days_from_ce() - UNIX_EPOCH_DAYS_FROM_CE
}

fn days_to_date(days: i32) -> Option<NaiveDate> {
    NaiveDate::from_num_days_from_ce_opt(days.checked_add(UNIX_EPOCH_DAYS_FROM_CE)?)
}

use chrono::Datelike;

/// Encodes a record (canonical bytes followed by their hash) and returns it with its hash.
pub(crate) fn encode_record(canonical: &CanonicalRef<'_>) -> Result<(Vec<u8>, [u8; 32]), Error> {
    let mut bytes = Vec::with_capacity(160 + canonical.payload.len());
    let c = canonical;
    match c.actor_role {
        None => codec::encode_into(
            &V1Ref {
                prev_hash: c.prev_hash,
                position: c.position,
                event_id: c.event_id,
                stream_id: c.stream_id,
                stream_version: c.stream_version,
                event_type: c.event_type,
                schema_version: c.schema_version,
                recorded_at_micros: c.recorded_at_micros,
                effective_on_days: c.effective_on_days,
                actor: c.actor,
                command_id: c.command_id,
                correlation_id: c.correlation_id,
                causation_id: c.causation_id,
                payload: c.payload,
            },
            &mut bytes,
        )?,
        Some(actor_role) => codec::encode_into(
            &V2Ref {
                prev_hash: c.prev_hash,
                position: c.position,
                event_id: c.event_id,
                stream_id: c.stream_id,
                stream_version: c.stream_version,
                event_type: c.event_type,
                schema_version: c.schema_version,
                recorded_at_micros: c.recorded_at_micros,
                effective_on_days: c.effective_on_days,
                actor_id: c.actor,
                actor_role,
                command_id: c.command_id,
                correlation_id: c.correlation_id,
                causation_id: c.causation_id,
                payload: c.payload,
                text_commitments: c.text_commitments,
            },
            &mut bytes,
        )?,
    }
    let hash: [u8; 32] = Sha256::digest(&bytes).into();
    bytes.extend_from_slice(&hash);
    Ok((bytes, hash))
}

/// Splits a stored record into its canonical bytes and its stored hash.
pub(crate) fn split(record: &[u8], at: u64) -> Result<(&[u8], [u8; 32]), Error> {
    if record.len() < 32 {
        return Err(Error::Corruption {
            at: Some(at),
            detail: format!("record is {} bytes, shorter than a hash", record.len()),
        });
    }
    let (canonical, hash) = record.split_at(record.len() - 32);
    let mut stored = [0u8; 32];
    stored.copy_from_slice(hash);
    Ok((canonical, stored))
}

/// The SHA-256 of a record's canonical bytes, as the hash chain defines it.
pub(crate) fn hash_canonical(canonical: &[u8]) -> [u8; 32] {
    Sha256::digest(canonical).into()
}

/// Decodes a stored record without checking its hash (reads trust the store; `verify`
/// checks it). `at` is the position the record was found at, which with `layout` says its
/// format.
pub(crate) fn decode_record(record: &[u8], at: u64, layout: Layout) -> Result<Envelope, Error> {
    let (canonical, hash) = split(record, at)?;
    let corrupt = |detail: String| Error::Corruption {
        at: Some(at),
        detail,
    };
    let c: Canonical = if layout.is_v2(at) {
        let c: CanonicalV2 = codec::decode(canonical)
            .map_err(|e| corrupt(format!("record does not decode (format 2): {e}")))?;
        Canonical {
            prev_hash: c.prev_hash,
            position: c.position,
            event_id: c.event_id,
            stream_id: c.stream_id,
            stream_version: c.stream_version,
            event_type: c.event_type,
            schema_version: c.schema_version,
            recorded_at_micros: c.recorded_at_micros,
            effective_on_days: c.effective_on_days,
            actor: c.actor_id,
            actor_role: Some(c.actor_role),
            command_id: c.command_id,
            correlation_id: c.correlation_id,
            causation_id: c.causation_id,
            payload: c.payload,
            text_commitments: c.text_commitments,
        }
    } else {
        codec::decode(canonical).map_err(|e| corrupt(format!("record does not decode: {e}")))?
    };
    let recorded_at = DateTime::<Utc>::from_timestamp_micros(c.recorded_at_micros)
        .ok_or_else(|| corrupt("recorded time out of range".to_owned()))?;
    let effective_on = days_to_date(c.effective_on_days)
        .ok_or_else(|| corrupt("effective date out of range".to_owned()))?;
    Ok(Envelope {
        position: c.position,
        event_id: Uuid::from_bytes(c.event_id),
        stream_id: c.stream_id,
        stream_version: c.stream_version,
        event_type: c.event_type,
        schema_version: c.schema_version,
        recorded_at,
        effective_on,
        actor: c.actor,
        actor_role: c.actor_role,
        command_id: c.command_id,
        correlation_id: c.correlation_id.map(Uuid::from_bytes),
        causation_id: c.causation_id.map(Uuid::from_bytes),
        payload: c.payload,
        text_commitments: c.text_commitments,
        texts: Vec::new(),
        prev_hash: c.prev_hash,
        hash,
    })
}

/// The canonical view of a full envelope (used by import, golden tests and auditors' tools).
pub(crate) fn canonical_of(envelope: &Envelope) -> CanonicalRef<'_> {
    CanonicalRef {
        prev_hash: envelope.prev_hash,
        position: envelope.position,
        event_id: *envelope.event_id.as_bytes(),
        stream_id: &envelope.stream_id,
        stream_version: envelope.stream_version,
        event_type: &envelope.event_type,
        schema_version: envelope.schema_version,
        recorded_at_micros: envelope.recorded_at.timestamp_micros(),
        effective_on_days: date_to_days(envelope.effective_on),
        actor: &envelope.actor,
        actor_role: envelope.actor_role.as_deref(),
        command_id: envelope.command_id.as_deref(),
        correlation_id: envelope.correlation_id.map(|u| *u.as_bytes()),
        causation_id: envelope.causation_id.map(|u| *u.as_bytes()),
        payload: &envelope.payload,
        text_commitments: &envelope.text_commitments,
    }
}

/// Keys of the `log` tree. Everything one append writes lives in that one tree, so that a
/// single sled batch (atomic, also across a crash) carries it.
pub(crate) mod keys {
    pub(crate) const EVENT: u8 = b'e';
    pub(crate) const TAIL: u8 = b'z';
    pub(crate) const STREAM: u8 = b's';
    pub(crate) const COMMAND: u8 = b'c';

    pub(crate) fn event(position: u64) -> [u8; 9] {
        let mut key = [0u8; 9];
        key[0] = EVENT;
        key[1..].copy_from_slice(&position.to_be_bytes());
        key
    }

    /// The slot of the tail where the record at `position` is kept until (and a while after)
    /// it is sealed into a chunk: `z ‖ position mod 16` (see `chunk.rs`).
    pub(crate) fn tail(position: u64) -> [u8; 9] {
        let mut key = [0u8; 9];
        key[0] = TAIL;
        key[1..].copy_from_slice(&(position % crate::chunk::TAIL_SLOTS).to_be_bytes());
        key
    }

    /// `s ‖ stream id ‖ 0x00 ‖ version (u64 big-endian)`. Stream ids never contain 0x00, so
    /// the prefix of one stream is never the prefix of another.
    pub(crate) fn stream(stream_id: &str, version: u64) -> Vec<u8> {
        let mut key = stream_prefix(stream_id);
        key.extend_from_slice(&version.to_be_bytes());
        key
    }

    pub(crate) fn stream_prefix(stream_id: &str) -> Vec<u8> {
        let mut key = Vec::with_capacity(stream_id.len() + 10);
        key.push(STREAM);
        key.extend_from_slice(stream_id.as_bytes());
        key.push(0);
        key
    }

    pub(crate) fn command(command_id: &str) -> Vec<u8> {
        let mut key = Vec::with_capacity(command_id.len() + 1);
        key.push(COMMAND);
        key.extend_from_slice(command_id.as_bytes());
        key
    }

    pub(crate) fn u64_value(bytes: &[u8]) -> Option<u64> {
        Some(u64::from_be_bytes(bytes.try_into().ok()?))
    }
}
