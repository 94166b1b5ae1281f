//! Chunks: how records are grouped into sled values.
//!
//! sled pays a fixed cost per key (node entries, an allocation per value when a page is read
//! back), which made reading the log one key per event slow. Records are therefore sealed into
//! chunks of 16 records (or about 6 KiB): key `e ‖ position of the chunk's first record`, value
//! the records one after the other, each preceded by its length (u32 little-endian).
//!
//! The records after the last chunk (the *tail*, fewer than 16) are stored one per key in 16
//! slots, `z ‖ position mod 16`. When the tail fills up, the same sled batch that appends its
//! last record writes the sealed chunk; the slots are simply overwritten by the next records,
//! so a record is always in its chunk or in its slot (or, for a while, identical in both).
//! A slot is trusted only if the record in it says the position looked for (bytes 32..40 of
//! every record, see GUARANTEES.md). Chunks are written once and never rewritten: rewriting a
//! growing chunk on every append multiplied sled's writes (a 100 000-event log took 1.1 GB
//! instead of 0.2 GB), and slots cost no deletion.
//! The tail keys sort after every other key of the tree, away from the chunks: a sled leaf
//! that empties merges into its left neighbour, and a tail leaf merged into a leaf of large
//! chunks made every later tail insert rewrite those chunks (7.7 KB written per event).

use sled::IVec;

use crate::Error;
use crate::engine::{Batch, Tree};
use crate::record::keys;

/// Records in a full chunk.
pub(crate) const MAX_CHUNK_RECORDS: usize = 16;
/// Slots of the tail: one per record a chunk can hold.
pub(crate) const TAIL_SLOTS: u64 = MAX_CHUNK_RECORDS as u64;
/// A tail holding this many bytes is sealed even with fewer records, so that a sled leaf (16
/// entries) stays well below the 128 KiB above which sled writes a page as a separate blob.
pub(crate) const MAX_CHUNK_BYTES: usize = 6 * 1024;

/// The records of the tail, as the writer keeps them to seal them without reading.
#[derive(Debug, Clone)]
pub(crate) struct Tail {
    pub first: u64,
    pub records: Vec<Vec<u8>>,
    pub n_bytes: usize,
}

impl Tail {
    pub(crate) fn empty(first: u64) -> Tail {
        Tail {
            first,
            records: Vec::new(),
            n_bytes: 0,
        }
    }

    pub(crate) fn push(&mut self, record: Vec<u8>) {
        self.n_bytes += 4 + record.len();
        self.records.push(record);
    }

    pub(crate) fn is_full(&self) -> bool {
        self.records.len() >= MAX_CHUNK_RECORDS || self.n_bytes >= MAX_CHUNK_BYTES
    }

    /// The sealed chunk of these records.
    pub(crate) fn chunk_bytes(&self) -> Vec<u8> {
        let mut chunk = Vec::with_capacity(self.n_bytes);
        for record in &self.records {
            // Records are far below 4 GiB (payloads are limited to a few MiB).
            chunk.extend_from_slice(&(record.len() as u32).to_le_bytes());
            chunk.extend_from_slice(record);
        }
        chunk
    }

    /// The position after the last record.
    pub(crate) fn next_position(&self) -> u64 {
        self.first + self.records.len() as u64
    }

    /// Adds the writes for one more record to `batch`, sealing the tail when it is full.
    pub(crate) fn append(&mut self, batch: &mut Batch, position: u64, record: Vec<u8>) {
        batch.insert(keys::tail(position), record.as_slice());
        self.push(record);
        if self.is_full() {
            batch.insert(keys::event(self.first), self.chunk_bytes());
            *self = Tail::empty(self.next_position());
        }
    }
}

/// The `(offset, length)` of each record of a chunk.
pub(crate) fn records(chunk: &[u8]) -> impl Iterator<Item = Result<(usize, usize), String>> + '_ {
    let mut offset = 0;
    std::iter::from_fn(move || {
        if offset >= chunk.len() {
            return None;
        }
        let Some(length) = chunk.get(offset..offset + 4) else {
            offset = chunk.len();
            return Some(Err("chunk ends inside a record length".to_owned()));
        };
        let length = u32::from_le_bytes([length[0], length[1], length[2], length[3]]) as usize;
        let start = offset + 4;
        if start + length > chunk.len() {
            offset = chunk.len();
            return Some(Err("chunk ends inside a record".to_owned()));
        }
        offset = start + length;
        Some(Ok((start, length)))
    })
}

fn key_position(key: &[u8]) -> u64 {
    keys::u64_value(&key[1..]).unwrap_or(0)
}

/// Loads the tail (the records after the last chunk) at open.
pub(crate) fn load_tail(log: &Tree) -> Result<Tail, Error> {
    let after_chunks = match log.last_in(&keys::event(0), &keys::event(u64::MAX))? {
        None => 1,
        Some((key, chunk)) => {
            let first = key_position(&key);
            let mut count = 0;
            for record in records(&chunk) {
                record.map_err(|detail| Error::Corruption {
                    at: Some(first + count),
                    detail,
                })?;
                count += 1;
            }
            first + count
        }
    };
    let mut tail = Tail::empty(after_chunks);
    // The tail is the run of slots holding the positions right after the last chunk; slots
    // holding older positions are leftovers of sealed records.
    while (tail.records.len() as u64) < TAIL_SLOTS {
        match slot(log, tail.next_position())? {
            Some(record) => tail.push(record.to_vec()),
            None => break,
        }
    }
    Ok(tail)
}

/// The record at `position` in a chunk, if a chunk holds it.
fn find_in_chunks(log: &Tree, position: u64) -> Result<Option<IVec>, Error> {
    let Some((key, chunk)) = log.last_in(&keys::event(0), &keys::event(position))? else {
        return Ok(None);
    };
    let index = (position - key_position(&key)) as usize;
    match records(&chunk).nth(index) {
        None => Ok(None),
        Some(Ok((offset, length))) => Ok(Some(chunk.subslice(offset, length))),
        Some(Err(detail)) => Err(Error::Corruption {
            at: Some(position),
            detail,
        }),
    }
}

/// The record at `position`, whatever the head (callers cap at the head).
pub(crate) fn find(log: &Tree, position: u64) -> Result<Option<IVec>, Error> {
    // Chunks first: a slot may still hold a copy of a sealed record, and only the chunk is
    // what `verify` checks. If neither the chunks nor the slot have it, the record may have
    // been sealed (and its slot reused) between the two looks: the chunks then have it.
    if let Some(record) = find_in_chunks(log, position)? {
        return Ok(Some(record));
    }
    if let Some(record) = slot(log, position)? {
        return Ok(Some(record));
    }
    find_in_chunks(log, position)
}

/// The records at `positions` (each whatever the head, as [`find`]): on PostgreSQL the chunks
/// that hold them in one query and the tail slots of the others in a second, so that reading a
/// stream of many events costs two round trips rather than one or two per event.
pub(crate) fn find_many(log: &Tree, positions: &[u64]) -> Result<Vec<Option<IVec>>, Error> {
    if !log.is_remote() || positions.len() < 2 {
        return positions.iter().map(|&p| find(log, p)).collect();
    }
    let chunks = log.floor_entries(keys::EVENT, positions)?;
    let mut out: Vec<Option<IVec>> = vec![None; positions.len()];
    let mut missing = Vec::new();
    for (i, &position) in positions.iter().enumerate() {
        // The chunk with the greatest first position at most `position`.
        let at = chunks.partition_point(|(key, _)| key_position(key) <= position);
        let record = match at.checked_sub(1).map(|j| &chunks[j]) {
            Some((key, chunk)) => {
                let index = (position - key_position(key)) as usize;
                match records(chunk).nth(index) {
                    Some(Ok((offset, length))) => Some(chunk.subslice(offset, length)),
                    Some(Err(detail)) => {
                        return Err(Error::Corruption {
                            at: Some(position),
                            detail,
                        });
                    }
                    None => None,
                }
            }
            None => None,
        };
        match record {
            Some(record) => out[i] = Some(record),
            None => missing.push(i),
        }
    }
    if !missing.is_empty() {
        let slots = log.get_many(
            missing
                .iter()
                .map(|&i| keys::tail(positions[i]).to_vec())
                .collect(),
        )?;
        for (&i, slot) in missing.iter().zip(slots) {
            out[i] = match slot {
                Some(record) if record_position(&record) == Some(positions[i]) => Some(record),
                // Sealed (and its slot reused) between the two looks: the chunks have it now.
                _ => find(log, positions[i])?,
            };
        }
    }
    Ok(out)
}

/// The record at `position` if its tail slot still holds it.
fn slot(log: &Tree, position: u64) -> Result<Option<IVec>, Error> {
    let Some(record) = log.get(keys::tail(position))? else {
        return Ok(None);
    };
    Ok((record_position(&record) == Some(position)).then_some(record))
}

/// The position a stored record says it is at: bytes 32..40 (after the previous hash),
/// little-endian.
pub(crate) fn record_position(record: &[u8]) -> Option<u64> {
    Some(u64::from_le_bytes(record.get(32..40)?.try_into().ok()?))
}

/// Records with `from <= position <= to`, in order, checked to be gapless: a missing record is
/// a `Corruption` at its position, after which the iterator ends. Chunks are read in order,
/// each looked up from the root of the tree; positions no chunk holds (the tail, or a chunk
/// sealed after the pass went by) are looked up one by one.
///
/// Why not one sled iterator over all the chunks: sled 0.34 evicts from its cache only when a
/// shard of its LRU has queued 64 accesses (256 shards), and one iterator touches each leaf page
/// only a few times. A whole read then evicted nothing, whatever the cache capacity: reading a
/// 1 000 000-event log left about 340 MB of pages resident. A lookup per chunk descends from the
/// root each time, which sled counts, so the cache stays near its capacity (about 80 MB
/// resident after the same read with a 64 MiB capacity, about 50 MB with the default 16 MiB).
/// On PostgreSQL, where each lookup is a round trip, the chunks are read by pages instead.
pub(crate) struct RangeIter {
    log: Tree,
    /// The chunks from `next_chunk` on, read by pages (PostgreSQL only).
    pages: Option<crate::engine::Entries>,
    /// Where to look for the next chunk (the first key `e ‖ position` at or after it), `None`
    /// once no chunk is left in the range.
    next_chunk: Option<u64>,
    current: Option<(IVec, u64, usize)>,
    /// A chunk read ahead that starts after the next position.
    ahead: Option<(IVec, u64)>,
    expected: u64,
    to: u64,
    done: bool,
}

impl RangeIter {
    pub(crate) fn new(log: &Tree, from: u64, to: u64) -> RangeIter {
        let from = from.max(1);
        let mut iter = RangeIter {
            log: log.clone(),
            pages: None,
            next_chunk: None,
            current: None,
            ahead: None,
            expected: from,
            to,
            done: from > to,
        };
        if !iter.done {
            // The chunk holding `from` may start before it.
            let start = log
                .last_in(&keys::event(0), &keys::event(from))
                .ok()
                .flatten()
                .map(|(key, _)| key_position(&key))
                .unwrap_or(from);
            iter.next_chunk = Some(start);
        }
        iter
    }

    fn fail(&mut self, detail: String) -> Option<Result<(u64, IVec), Error>> {
        self.done = true;
        Some(Err(Error::Corruption {
            at: Some(self.expected),
            detail,
        }))
    }

    /// The next record of the current chunk, skipping those before `expected`.
    fn next_in_current_chunk(&mut self) -> Option<Result<IVec, String>> {
        let (chunk, position, offset) = self.current.as_mut()?;
        while *offset < chunk.len() {
            let (start, length) = match records(&chunk[*offset..]).next()? {
                Ok(record) => record,
                Err(detail) => return Some(Err(detail)),
            };
            let at = *offset + start;
            *offset = at + length;
            let this = *position;
            *position += 1;
            if this == self.expected {
                return Some(Ok(chunk.subslice(at, length)));
            }
            if this > self.expected {
                return Some(Err(format!("record missing (chunk holds {this} next)")));
            }
        }
        self.current = None;
        None
    }
}

impl Iterator for RangeIter {
    type Item = Result<(u64, IVec), Error>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if self.done || self.expected > self.to {
                return None;
            }
            match self.next_in_current_chunk() {
                Some(Ok(record)) => {
                    let position = self.expected;
                    self.expected += 1;
                    return Some(Ok((position, record)));
                }
                Some(Err(detail)) => return self.fail(detail),
                None => {}
            }
            // Take the next chunk if it starts at or before the next position.
            if self.ahead.is_none()
                && let Some(from) = self.next_chunk
            {
                let next = if self.log.is_remote() {
                    let (log, to) = (&self.log, self.to);
                    self.pages
                        .get_or_insert_with(|| {
                            log.range(&keys::event(from), &keys::event(to), false)
                        })
                        .next()
                } else {
                    self.log
                        .first_in(&keys::event(from), &keys::event(self.to))
                        .transpose()
                };
                match next {
                    Some(Ok((key, chunk))) => {
                        let first = key_position(&key);
                        self.next_chunk = Some(first + 1);
                        self.ahead = Some((chunk, first));
                    }
                    Some(Err(error)) => {
                        self.done = true;
                        return Some(Err(error));
                    }
                    None => self.next_chunk = None,
                }
            }
            if let Some((chunk, first)) = self.ahead.take() {
                if first <= self.expected {
                    self.current = Some((chunk, first, 0));
                    continue;
                }
                self.ahead = Some((chunk, first));
            }
            // No chunk holds the next position: it is in the tail (or was sealed meanwhile).
            match find(&self.log, self.expected) {
                Ok(Some(record)) => {
                    let position = self.expected;
                    self.expected += 1;
                    return Some(Ok((position, record)));
                }
                Ok(None) => return self.fail("record missing below the head".to_owned()),
                Err(error) => {
                    self.done = true;
                    return Some(Err(error));
                }
            }
        }
    }
}
