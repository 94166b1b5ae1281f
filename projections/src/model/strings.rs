//! The strings of one programme, each kept once: ids, titles, notes, narratives.
//!
//! A read model of a million events holds a few hundred thousand short texts, most of them
//! repeated (funder and session ids, a QPV's name, the same note given to many actions). Kept as
//! one `String` each they cost more in headers and allocations than in bytes; here they share
//! one buffer, and a [`Str`] (4 bytes) names one. Interning is exact: two equal strings get the
//! same [`Str`], so that the fold may compare ids by their [`Str`].

use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::num::NonZeroU32;

use super::Derived;

/// A string of a programme's [`Strings`] (`Option<Str>` takes 4 bytes too).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Str(NonZeroU32);

impl Str {
    fn index(self) -> usize {
        self.0.get() as usize - 1
    }

    /// A number unique to this string among its programme's.
    pub(crate) fn key(self) -> u32 {
        self.0.get()
    }
}

/// Every distinct string of a programme, in the order first seen.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Strings {
    /// The strings one after the other.
    bytes: String,
    /// Where each string ends in `bytes` (it starts where the previous one ends).
    ends: Vec<u64>,
    /// Hash → index, by open addressing over the map's keys (see [`Strings::intern`]): a
    /// cache, rebuilt after a snapshot is loaded, not compared.
    lookup: Derived<Lookup>,
}

#[derive(Debug, Clone, Default)]
struct Lookup {
    /// How many strings it covers; stale when it differs from `ends.len()`.
    n_strings: usize,
    /// 32-bit hash → index (a wider hash would only make the map bigger: collisions are probed).
    slots: HashMap<u32, u32, BuildHasherDefault<Spread>>,
}

impl Strings {
    /// The string `s` names. A [`Str`] of another programme's strings gives another string or
    /// the empty one.
    pub fn get(&self, s: Str) -> &str {
        let i = s.index();
        let end = self.ends.get(i).copied().unwrap_or(0) as usize;
        let start = match i {
            0 => 0,
            _ => self.ends.get(i - 1).copied().unwrap_or(0) as usize,
        };
        self.bytes.get(start..end).unwrap_or("")
    }

    /// How many distinct strings are kept.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// The [`Str`] of `s`, which is added when new.
    pub fn intern(&mut self, s: &str) -> Str {
        if self.lookup.0.n_strings != self.ends.len() {
            self.reindex();
        }
        // Open addressing: probe hash, hash + 1, … until `s` or a free key. Every string was
        // inserted along the same probe sequence, so a free key means `s` is new.
        let mut key = hash(s);
        while let Some(&i) = self.lookup.0.slots.get(&key) {
            let found = Str(index_to_nonzero(i));
            if self.get(found) == s {
                return found;
            }
            key = key.wrapping_add(1);
        }
        let i = u32::try_from(self.ends.len()).unwrap_or(u32::MAX - 1);
        reserve_gently(&mut self.bytes, s.len());
        self.bytes.push_str(s);
        if self.ends.len() == self.ends.capacity() {
            self.ends.reserve_exact((self.ends.len() / 8).max(16));
        }
        self.ends.push(self.bytes.len() as u64);
        self.lookup.0.slots.insert(key, i);
        self.lookup.0.n_strings = self.ends.len();
        Str(index_to_nonzero(i))
    }

    /// The [`Str`] of `s` if it is kept, without adding it.
    pub fn find(&self, s: &str) -> Option<Str> {
        if self.lookup.0.n_strings == self.ends.len() {
            let mut key = hash(s);
            while let Some(&i) = self.lookup.0.slots.get(&key) {
                let found = Str(index_to_nonzero(i));
                if self.get(found) == s {
                    return Some(found);
                }
                key = key.wrapping_add(1);
            }
            None
        } else {
            // Right after a snapshot was loaded, before the next event rebuilds the lookup.
            (0..self.ends.len())
                .map(|i| Str(index_to_nonzero(i as u32)))
                .find(|&found| self.get(found) == s)
        }
    }

    fn reindex(&mut self) {
        let mut slots = HashMap::default();
        for i in 0..self.ends.len() {
            let found = Str(index_to_nonzero(i as u32));
            let mut key = hash(self.get(found));
            while slots.contains_key(&key) {
                key = key.wrapping_add(1);
            }
            slots.insert(key, i as u32);
        }
        self.lookup.0 = Lookup {
            n_strings: self.ends.len(),
            slots,
        };
    }
}

fn index_to_nonzero(i: u32) -> NonZeroU32 {
    NonZeroU32::new(i.saturating_add(1)).unwrap_or(NonZeroU32::MIN)
}

/// Grows `bytes` by an eighth rather than doubling it: the buffer lives as long as the model.
fn reserve_gently(bytes: &mut String, more: usize) {
    if bytes.capacity() - bytes.len() < more {
        bytes.reserve_exact(more.max(bytes.len() / 8).max(256));
    }
}

/// A 64-bit hash taking eight bytes at a time (a byte-at-a-time hash was a fifth of the whole
/// fold: one dependent multiplication per byte of every text), then mixed so that both ends of
/// the hash are usable by the map. Not for untrusted keys: a collision only costs a probe.
fn hash(s: &str) -> u32 {
    const K: u64 = 0x9e37_79b9_7f4a_7c15;
    let bytes = s.as_bytes();
    let mut hash = bytes.len() as u64;
    let mut words = bytes.chunks_exact(8);
    for word in &mut words {
        let mut w = [0u8; 8];
        w.copy_from_slice(word);
        hash = (hash.rotate_left(5) ^ u64::from_le_bytes(w)).wrapping_mul(K);
    }
    let mut last = [0u8; 8];
    last[..words.remainder().len()].copy_from_slice(words.remainder());
    hash = (hash.rotate_left(5) ^ u64::from_le_bytes(last)).wrapping_mul(K);
    hash ^= hash >> 29;
    hash = hash.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    (hash ^ (hash >> 32)) as u32
}

/// The keys of [`Lookup::slots`] are hashes already: spread over 64 bits by one multiplication
/// (the map reads both ends of the hash).
#[derive(Debug, Clone, Copy, Default)]
struct Spread(u64);

impl Hasher for Spread {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        }
    }

    fn write_u32(&mut self, n: u32) {
        self.0 = u64::from(n).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_strings_get_the_same_str_and_read_back() {
        let mut strings = Strings::default();
        let a = strings.intern("ville");
        let b = strings.intern("etat-p147");
        let empty = strings.intern("");
        assert_eq!(strings.intern("ville"), a);
        assert_ne!(a, b);
        assert_eq!(strings.get(a), "ville");
        assert_eq!(strings.get(b), "etat-p147");
        assert_eq!(strings.get(empty), "");
        assert_eq!(strings.find("etat-p147"), Some(b));
        assert_eq!(strings.find("caf"), None);
        assert_eq!(strings.len(), 3);
    }

    #[test]
    fn colliding_hashes_still_intern_exactly() {
        let mut strings = Strings::default();
        let a = strings.intern("a");
        // Take the slot "b" would hash to, as a colliding string would.
        let key = hash("b");
        strings.lookup.0.slots.remove(&hash("a"));
        strings.lookup.0.slots.insert(key, 0);
        let b = strings.intern("b");
        assert_ne!(a, b);
        assert_eq!(strings.intern("b"), b);
        assert_eq!(strings.get(b), "b");
        assert_eq!(strings.find("b"), Some(b));
    }

    #[test]
    fn a_decoded_copy_interns_like_the_original() {
        let mut strings = Strings::default();
        let words = ["un", "deux", "trois", "deux"];
        let ids: Vec<Str> = words.iter().map(|w| strings.intern(w)).collect();
        let bytes = eventlog::codec::encode(&strings).unwrap();
        let mut copy: Strings = eventlog::codec::decode(&bytes).unwrap();
        assert_eq!(copy, strings);
        assert_eq!(copy.find("trois"), Some(ids[2]));
        let again: Vec<Str> = words.iter().map(|w| copy.intern(w)).collect();
        assert_eq!(again, ids);
        assert_eq!(copy.intern("quatre"), strings.intern("quatre"));
    }
}
