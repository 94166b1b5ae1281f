//! Chunks: how records are grouped into sled values.
//!
//! sled pays a fixed cost per key (node entries, an allocation per value when a page is read
//! back), which made reading the log one key per event slow. Records are therefore stored in
//! chunks of up to 16 records or 6 KiB: key `e ‖ position of the chunk's first record`, value
//! the records one after the other, each preceded by its length (u32 little-endian). The writer
//! keeps the last chunk in memory and rewrites it as records join it, inside the same sled
//! batch as the rest of the append, so a chunk is always replaced whole.

use sled::IVec;

use crate::Error;
use crate::record::keys;

/// Most records in one chunk.
pub(crate) const MAX_CHUNK_RECORDS: u64 = 16;
/// A chunk takes no record that would make it larger than this (a single larger record gets a
/// chunk of its own). sled splits a leaf above 16 entries and writes a page of more than
/// 128 KiB as a separate blob file: 16 chunks of 6 KiB stay well below that.
pub(crate) const MAX_CHUNK_BYTES: usize = 6 * 1024;

/// The last chunk of the log, as the writer builds it.
#[derive(Debug, Clone)]
pub(crate) struct Tail {
    pub first: u64,
    pub count: u64,
    pub bytes: Vec<u8>,
}

impl Tail {
    pub(crate) fn empty(first: u64) -> Tail {
        Tail {
            first,
            count: 0,
            bytes: Vec::new(),
        }
    }

    /// Whether a record of this length may join the chunk.
    pub(crate) fn accepts(&self, record_len: usize) -> bool {
        self.count == 0
            || (self.count < MAX_CHUNK_RECORDS
                && self.bytes.len() + 4 + record_len <= MAX_CHUNK_BYTES)
    }

    pub(crate) fn push(&mut self, record: &[u8]) {
        push(&mut self.bytes, record);
        self.count += 1;
    }
}

pub(crate) fn push(chunk: &mut Vec<u8>, record: &[u8]) {
    // Records are far below 4 GiB (payloads are limited to a few MiB by the options).
    chunk.extend_from_slice(&(record.len() as u32).to_le_bytes());
    chunk.extend_from_slice(record);
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

/// Loads the last chunk of the log (an empty tail at position 1 for an empty log).
pub(crate) fn load_tail(log: &sled::Tree) -> Result<Tail, Error> {
    let Some(entry) = log
        .range(keys::event(0)..=keys::event(u64::MAX))
        .next_back()
    else {
        return Ok(Tail::empty(1));
    };
    let (key, bytes) = entry?;
    let first = keys::u64_value(&key[1..]).unwrap_or(0);
    let mut count = 0;
    for record in records(&bytes) {
        record.map_err(|detail| Error::Corruption {
            at: Some(first + count),
            detail,
        })?;
        count += 1;
    }
    Ok(Tail {
        first,
        count,
        bytes: bytes.to_vec(),
    })
}

/// The record at `position`, whatever the head (callers cap at the head).
pub(crate) fn find(log: &sled::Tree, position: u64) -> Result<Option<IVec>, Error> {
    let Some(entry) = log
        .range(keys::event(0)..=keys::event(position))
        .next_back()
    else {
        return Ok(None);
    };
    let (key, chunk) = entry?;
    let first = keys::u64_value(&key[1..]).unwrap_or(0);
    let index = (position - first) as usize;
    match records(&chunk).nth(index) {
        None => Ok(None),
        Some(Ok((offset, length))) => Ok(Some(chunk.subslice(offset, length))),
        Some(Err(detail)) => Err(Error::Corruption {
            at: Some(position),
            detail,
        }),
    }
}

/// Records with `from <= position <= to`, in order, checked to be gapless: a missing record
/// (or a chunk that does not start where the previous one ended) is a `Corruption` at the
/// first missing position, after which the iterator ends.
pub(crate) struct RangeIter {
    chunks: Option<sled::Iter>,
    current: Option<(IVec, u64, usize)>,
    expected: u64,
    to: u64,
    started: bool,
    done: bool,
}

impl RangeIter {
    pub(crate) fn new(log: &sled::Tree, from: u64, to: u64) -> RangeIter {
        let from = from.max(1);
        if from > to {
            return RangeIter {
                chunks: None,
                current: None,
                expected: from,
                to,
                started: false,
                done: true,
            };
        }
        // The chunk holding `from` may start before it.
        let start = log
            .range(keys::event(0)..=keys::event(from))
            .next_back()
            .and_then(Result::ok)
            .and_then(|(key, _)| keys::u64_value(&key[1..]))
            .unwrap_or(from);
        RangeIter {
            chunks: Some(log.range(keys::event(start)..=keys::event(to))),
            current: None,
            expected: from,
            to,
            started: false,
            done: false,
        }
    }

    fn fail(&mut self, detail: String) -> Option<Result<(u64, IVec), Error>> {
        self.done = true;
        Some(Err(Error::Corruption {
            at: Some(self.expected),
            detail,
        }))
    }
}

impl Iterator for RangeIter {
    type Item = Result<(u64, IVec), Error>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if self.done || self.expected > self.to {
                return None;
            }
            if let Some((chunk, position, offset)) = &mut self.current {
                if *offset < chunk.len() {
                    let record = records(&chunk[*offset..]).next();
                    match record {
                        Some(Ok((start, length))) => {
                            let at = *offset + start;
                            *offset = at + length;
                            let this = *position;
                            *position += 1;
                            if this < self.expected {
                                continue;
                            }
                            if this > self.expected {
                                let detail =
                                    format!("record missing (next record found at {this})");
                                return self.fail(detail);
                            }
                            self.expected += 1;
                            return Some(Ok((this, chunk.subslice(at, length))));
                        }
                        Some(Err(detail)) => return self.fail(detail),
                        None => {}
                    }
                }
                self.current = None;
            }
            let next_chunk = self.chunks.as_mut().and_then(Iterator::next);
            match next_chunk {
                None => {
                    return self.fail("record missing below the head".to_owned());
                }
                Some(Err(error)) => {
                    self.done = true;
                    return Some(Err(error.into()));
                }
                Some(Ok((key, chunk))) => {
                    let first = keys::u64_value(&key[1..]).unwrap_or(0);
                    // Only the first chunk may start before the range; every later one must
                    // start right after the previous one.
                    if first > self.expected || (self.started && first != self.expected) {
                        let detail = format!("record missing (a chunk starts at {first})");
                        return self.fail(detail);
                    }
                    self.started = true;
                    self.current = Some((chunk, first, 0));
                }
            }
        }
    }
}
