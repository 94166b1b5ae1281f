//! The stored form of an envelope, its canonical bytes and its hash.
//!
//! A record in the `log` tree is `canonical ‖ hash`, where `canonical` is the codec encoding
//! of [`Canonical`] (which begins with the previous hash) and `hash = SHA-256(canonical)`.
//! Because `canonical` starts with the 32 bytes of the previous hash, this is exactly
//! `SHA-256(prev_hash ‖ rest of the record)` as ARCHITECTURE.md states. GUARANTEES.md spells
//! the bytes out for an auditor.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::{Envelope, Error, codec};

/// Days between 0001-01-01 (day 1 of the common era) and 1970-01-01.
const UNIX_EPOCH_DAYS_FROM_CE: i32 = 719_163;

/// The hashed part of a record, borrowed for encoding. Field order is the byte order: never
/// change it (add a format version instead).
#[derive(Serialize)]
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
    pub command_id: Option<&'a str>,
    pub correlation_id: Option<[u8; 16]>,
    pub causation_id: Option<[u8; 16]>,
    #[serde(with = "codec::bytes")]
    pub payload: &'a [u8],
}

/// The owned twin of [`CanonicalRef`], for decoding; the two must encode identically.
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
    command_id: Option<String>,
    correlation_id: Option<[u8; 16]>,
    causation_id: Option<[u8; 16]>,
    #[serde(with = "codec::bytes")]
    payload: Vec<u8>,
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
    codec::encode_into(canonical, &mut bytes)?;
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
/// checks it). `at` is the position the record was found at, for error messages.
pub(crate) fn decode_record(record: &[u8], at: u64) -> Result<Envelope, Error> {
    let (canonical, hash) = split(record, at)?;
    let corrupt = |detail: String| Error::Corruption {
        at: Some(at),
        detail,
    };
    let c: Canonical =
        codec::decode(canonical).map_err(|e| corrupt(format!("record does not decode: {e}")))?;
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
        command_id: c.command_id,
        correlation_id: c.correlation_id.map(Uuid::from_bytes),
        causation_id: c.causation_id.map(Uuid::from_bytes),
        payload: c.payload,
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
        command_id: envelope.command_id.as_deref(),
        correlation_id: envelope.correlation_id.map(|u| *u.as_bytes()),
        causation_id: envelope.causation_id.map(|u| *u.as_bytes()),
        payload: &envelope.payload,
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
