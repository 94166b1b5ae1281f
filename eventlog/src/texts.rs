//! Erasable texts, kept outside sled.
//!
//! An event of envelope format 2 may carry texts (titles, summaries, reasons… that a person
//! typed and that may name someone). Its chained bytes hold, for each, a salted commitment
//! `SHA-256("chronique-text\0" ‖ salt ‖ text)`; the text and its salt live here, in files of the
//! store's directory `texts/`, one per 4 096 positions. Erasing a text rewrites its file (write
//! a copy, fsync, rename, fsync the directory) with a tombstone in its place: its bytes are gone
//! from the disk, while the chain, which holds only the commitment, still verifies. sled keeps
//! dead values inside live segments of its files, which is why erasable words are never given
//! to sled.
//!
//! A file is a sequence of frames `u32 length (little-endian) ‖ codec bytes of a Frame`, in
//! position order. Texts of a group of appends are written and fsync'd before the group's sled
//! batch is applied, so that an event never exists without its texts; frames of positions past
//! the head (a crash between the two) are cut off at open.
//!
//! On PostgreSQL the same files are rows of `chronique_files` (`pg.rs`): an append adds a part
//! keyed by the first position it holds, an erasure replaces the file's parts with one
//! rewritten part (keyed by the segment's first position) in a transaction. The words then
//! leave the table at once, and the server's files after VACUUM and WAL recycling (the README
//! says what a standby or a WAL archive keeps). A text is read from the one part that holds
//! its position (`part <= position`, the greatest), not from the whole file: a part is what one
//! group of appends wrote, so reading an event costs one small row, and the last parts read are
//! kept in memory for the reads that follow (a rebuild reads them in order). No index is built
//! at open, and parts past the head (texts written before a crash took their events) are
//! deleted in one statement.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

use chrono::NaiveDate;
use parking_lot::{Mutex, RwLock};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::files::Area;
use crate::pg::Pg;
use crate::{Error, codec};

/// Positions per file.
const SEGMENT_EVENTS: u64 = 4096;
/// The directory of the text files, inside the store's.
pub(crate) const DIR: &str = "texts";

/// The commitment the chain holds for `text` with `salt`.
pub fn commitment(salt: &[u8; 16], text: &str) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(b"chronique-text\0");
    hasher.update(salt);
    hasher.update(text.as_bytes());
    hasher.finalize().into()
}

/// What an erasure left in place of a text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tombstone {
    /// The position of the event that erased it.
    pub by: u64,
    /// The day of the erasure (its effective date).
    pub on: NaiveDate,
    /// Why, as the erasure gave it.
    pub reason: String,
}

/// One text of an event, as the store holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum StoredText {
    /// The words, and the salt of their commitment.
    Kept { salt: [u8; 16], text: String },
    /// Erased: the words are gone.
    Erased(Tombstone),
    /// No text is stored where the chain commits to one: the text files are damaged.
    Missing,
}

impl StoredText {
    /// The words, when kept.
    pub fn text(&self) -> Option<&str> {
        match self {
            StoredText::Kept { text, .. } => Some(text),
            _ => None,
        }
    }
}

#[derive(Serialize, Deserialize)]
struct Frame {
    position: u64,
    slot: u32,
    text: StoredText,
}

fn segment_of(position: u64) -> u64 {
    position / SEGMENT_EVENTS
}

fn file_name(segment: u64) -> String {
    format!("{segment:012}.texts")
}

/// Per segment, per position in it: where the frames of the position's texts begin in the
/// segment's file (the offset of the first frame's length), [`NONE`] for a position without
/// text. A position's frames are contiguous, in slot order: 8 bytes per position in memory.
type SlotIndex = HashMap<u64, Vec<u64>>;

/// No text at this position.
const NONE: u64 = u64::MAX;

/// Segments whose bytes are kept in memory for reading (a rebuild reads each once).
const CACHED_SEGMENTS: usize = 4;

/// One frame's place in its file.
struct Placed {
    position: u64,
    slot: u32,
    /// The offset of the frame's bytes (after its length).
    start: u64,
}

/// Records `placed` in `index`: the first frame of each position.
fn place(index: &mut SlotIndex, placed: impl IntoIterator<Item = Placed>) {
    for p in placed.into_iter().filter(|p| p.slot == 0) {
        let offsets = index
            .entry(segment_of(p.position))
            .or_insert_with(|| vec![NONE; SEGMENT_EVENTS as usize]);
        offsets[(p.position % SEGMENT_EVENTS) as usize] = p.start - 4;
    }
}

/// Where the text files are.
enum Backend {
    Dir {
        dir: PathBuf,
        files: RwLock<HashMap<u64, Arc<File>>>,
    },
    Pg {
        pg: Arc<Pg>,
        /// The parts read last, most recent last.
        parts: Mutex<Vec<Arc<Part>>>,
    },
}

/// One part of a text file on PostgreSQL, with where each position's frames start in it.
struct Part {
    segment: u64,
    bytes: Vec<u8>,
    starts: HashMap<u64, usize>,
}

/// Parts kept in memory on PostgreSQL.
const CACHED_PARTS: usize = 64;

/// The offset of each position's first frame in `bytes` (a sequence of frames); `None` if a
/// frame does not decode.
fn frame_starts(bytes: &[u8]) -> Option<HashMap<u64, usize>> {
    let mut starts = HashMap::new();
    let mut offset = 0usize;
    while offset + 4 <= bytes.len() {
        let len = u32::from_le_bytes(bytes[offset..offset + 4].try_into().ok()?) as usize;
        let end = (offset + 4)
            .checked_add(len)
            .filter(|&e| e <= bytes.len())?;
        let frame = codec::decode_bounded::<Frame>(&bytes[offset + 4..end]).ok()?;
        starts.entry(frame.position).or_insert(offset);
        offset = end;
    }
    Some(starts)
}

/// The text files of one store.
pub(crate) struct TextStore {
    backend: Backend,
    sync: bool,
    index: RwLock<SlotIndex>,
    /// The bytes of the segments read last, most recent last.
    cache: Mutex<Vec<(u64, Arc<Vec<u8>>)>>,
    /// Serialises writers (the log's writer thread; imports go through it too).
    write: Mutex<()>,
}

impl TextStore {
    /// Opens the text files of the store in `store_dir`, cutting off frames past `head`.
    pub(crate) fn open(area: &Area, head: u64, sync: bool) -> Result<TextStore, Error> {
        let backend = match area {
            Area::Dir(store_dir) => {
                let dir = store_dir.join(DIR);
                std::fs::create_dir_all(&dir)?;
                Backend::Dir {
                    dir,
                    files: RwLock::new(HashMap::new()),
                }
            }
            Area::Pg(pg) => {
                // Parts past the head hold the texts of events a crash took back.
                pg.remove_parts_after(&format!("{DIR}/"), head as i64)?;
                return Ok(TextStore {
                    backend: Backend::Pg {
                        pg: pg.clone(),
                        parts: Mutex::new(Vec::new()),
                    },
                    sync,
                    index: RwLock::new(HashMap::new()),
                    cache: Mutex::new(Vec::new()),
                    write: Mutex::new(()),
                });
            }
        };
        let store = TextStore {
            backend,
            sync,
            index: RwLock::new(HashMap::new()),
            cache: Mutex::new(Vec::new()),
            write: Mutex::new(()),
        };
        let mut segments = Vec::new();
        for name in area.list(DIR)? {
            if let Some(number) = name.strip_suffix(".texts") {
                if let Ok(segment) = number.parse::<u64>() {
                    segments.push(segment);
                }
            } else if name.ends_with(".tmp") {
                // A rewrite that did not reach its rename: the original is whole.
                area.remove(DIR, &name)?;
            }
        }
        for segment in segments {
            store.load_segment(segment, head)?;
        }
        Ok(store)
    }

    /// The bytes of a segment's file (empty when it has none).
    fn read_segment(&self, segment: u64) -> Result<Vec<u8>, Error> {
        match &self.backend {
            Backend::Dir { dir, .. } => match std::fs::read(dir.join(file_name(segment))) {
                Ok(bytes) => Ok(bytes),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
                Err(e) => Err(e.into()),
            },
            Backend::Pg { pg, .. } => Ok(pg
                .read_file(&format!("{DIR}/{}", file_name(segment)))?
                .unwrap_or_default()),
        }
    }

    /// Replaces a segment's file with `bytes` (atomically, durably).
    fn replace_segment(&self, segment: u64, bytes: &[u8]) -> Result<(), Error> {
        match &self.backend {
            Backend::Dir { dir, files } => {
                let path = dir.join(file_name(segment));
                let tmp = dir.join(format!("{}.tmp", file_name(segment)));
                {
                    let mut file = File::create(&tmp)?;
                    file.write_all(bytes)?;
                    file.sync_all()?;
                }
                std::fs::rename(&tmp, &path)?;
                File::open(dir)?.sync_all()?;
                files.write().remove(&segment);
            }
            Backend::Pg { pg, parts } => {
                pg.write_file_at(
                    &format!("{DIR}/{}", file_name(segment)),
                    (segment * SEGMENT_EVENTS) as i64,
                    bytes,
                )?;
                parts.lock().retain(|part| part.segment != segment);
            }
        }
        Ok(())
    }

    /// Reads a segment's frames into the index, truncating a torn tail and frames past `head`.
    fn load_segment(&self, segment: u64, head: u64) -> Result<(), Error> {
        let bytes = self.read_segment(segment)?;
        let mut offset = 0usize;
        let mut entries = Vec::new();
        while offset + 4 <= bytes.len() {
            let len = u32::from_le_bytes(bytes[offset..offset + 4].try_into().unwrap_or_default());
            let start = offset + 4;
            let Some(end) = start
                .checked_add(len as usize)
                .filter(|&e| e <= bytes.len())
            else {
                break;
            };
            let Ok(frame) = codec::decode_bounded::<Frame>(&bytes[start..end]) else {
                break;
            };
            if frame.position > head {
                break;
            }
            entries.push(Placed {
                position: frame.position,
                slot: frame.slot,
                start: start as u64,
            });
            offset = end;
        }
        if offset < bytes.len() {
            match &self.backend {
                Backend::Dir { dir, .. } => {
                    let file = OpenOptions::new()
                        .write(true)
                        .open(dir.join(file_name(segment)))?;
                    file.set_len(offset as u64)?;
                    file.sync_all()?;
                }
                Backend::Pg { .. } => self.replace_segment(segment, &bytes[..offset])?,
            }
        }
        place(&mut self.index.write(), entries);
        Ok(())
    }

    /// Appends `bytes` (the frames of positions from `first` on) to a segment's file (and
    /// fsyncs them when `sync`); returns the offset they start at (0 on PostgreSQL, where they
    /// are a part of their own).
    fn append_segment(&self, segment: u64, first: u64, bytes: &[u8]) -> Result<u64, Error> {
        match &self.backend {
            Backend::Dir { dir, files } => {
                let open = files.read().get(&segment).cloned();
                let file = match open {
                    Some(file) => file,
                    None => {
                        let file = Arc::new(
                            OpenOptions::new()
                                .create(true)
                                .read(true)
                                .append(true)
                                .open(dir.join(file_name(segment)))?,
                        );
                        files.write().insert(segment, file.clone());
                        file
                    }
                };
                let base = file.metadata()?.len();
                (&*file).write_all(bytes)?;
                if self.sync {
                    file.sync_data()?;
                }
                Ok(base)
            }
            Backend::Pg { pg, .. } => {
                pg.append_part(
                    &format!("{DIR}/{}", file_name(segment)),
                    first as i64,
                    bytes,
                )?;
                Ok(0)
            }
        }
    }

    /// Appends the texts of new events (`(position, slot, text)` in position order) and, in
    /// durable mode, fsyncs them; only then may their events be written.
    pub(crate) fn append(&self, texts: &[(u64, u32, StoredText)]) -> Result<(), Error> {
        if texts.is_empty() {
            return Ok(());
        }
        let _guard = self.write.lock();
        // (segment, bytes to append, their frames' places relative to the bytes' start)
        let mut by_segment: Vec<(u64, Vec<u8>, Vec<Placed>)> = Vec::new();
        for (position, slot, text) in texts {
            let segment = segment_of(*position);
            if by_segment.last().is_none_or(|(s, _, _)| *s != segment) {
                by_segment.push((segment, Vec::new(), Vec::new()));
            }
            let (_, buffer, entries) = by_segment.last_mut().expect("pushed above");
            let frame = codec::encode(&Frame {
                position: *position,
                slot: *slot,
                text: text.clone(),
            })?;
            let len = u32::try_from(frame.len())
                .map_err(|_| Error::InvalidInput("a text over 4 GiB".to_owned()))?;
            buffer.extend_from_slice(&len.to_le_bytes());
            entries.push(Placed {
                position: *position,
                slot: *slot,
                start: buffer.len() as u64,
            });
            buffer.extend_from_slice(&frame);
        }
        let mut done = Vec::with_capacity(by_segment.len());
        for (segment, buffer, entries) in by_segment {
            let first = entries.first().map_or(0, |p| p.position);
            let base = self.append_segment(segment, first, &buffer)?;
            done.push((segment, base, entries));
        }
        if let Backend::Pg { .. } = self.backend {
            // Read by part: no index to keep.
            return Ok(());
        }
        let mut index = self.index.write();
        for (segment, _, _) in &done {
            self.forget(*segment);
        }
        for (_, base, entries) in done {
            place(
                &mut index,
                entries.into_iter().map(|p| Placed {
                    start: base + p.start,
                    ..p
                }),
            );
        }
        Ok(())
    }

    /// The texts of the event at `position`, `n` of them (as many as its commitments).
    pub(crate) fn read(&self, position: u64, n: usize) -> Result<Vec<StoredText>, Error> {
        if n == 0 {
            return Ok(Vec::new());
        }
        let segment = segment_of(position);
        if let Backend::Pg { pg, parts } = &self.backend {
            let part = self.part_holding(pg, parts, segment, position)?;
            return match part {
                Some(part) => read_frames(&part.bytes, part.starts[&position], position, n),
                None => Ok(vec![StoredText::Missing; n]),
            };
        }
        // The offset and the bytes are taken together, so that an append or an erasure (which
        // change both under the index's lock) cannot pair an old offset with new bytes.
        let (offset, bytes) = {
            let index = self.index.read();
            let offset = index
                .get(&segment)
                .map(|offsets| offsets[(position % SEGMENT_EVENTS) as usize])
                .unwrap_or(NONE);
            if offset == NONE {
                return Ok(vec![StoredText::Missing; n]);
            }
            (offset as usize, self.segment_bytes(segment)?)
        };
        read_frames(&bytes, offset, position, n)
    }

    /// On PostgreSQL, the part that holds the frames of `position`: from the parts read last,
    /// or the one keyed at most `position` (kept for the reads that follow).
    fn part_holding(
        &self,
        pg: &Pg,
        parts: &Mutex<Vec<Arc<Part>>>,
        segment: u64,
        position: u64,
    ) -> Result<Option<Arc<Part>>, Error> {
        if let Some(part) = parts
            .lock()
            .iter()
            .rev()
            .find(|part| part.segment == segment && part.starts.contains_key(&position))
        {
            return Ok(Some(part.clone()));
        }
        let Some((_, bytes)) =
            pg.part_at(&format!("{DIR}/{}", file_name(segment)), position as i64)?
        else {
            return Ok(None);
        };
        let starts = frame_starts(&bytes).ok_or_else(|| Error::Corruption {
            at: Some(position),
            detail: "a text frame does not decode".to_owned(),
        })?;
        if !starts.contains_key(&position) {
            return Ok(None);
        }
        let part = Arc::new(Part {
            segment,
            bytes,
            starts,
        });
        let mut parts = parts.lock();
        if parts.len() >= CACHED_PARTS {
            parts.remove(0);
        }
        parts.push(part.clone());
        Ok(Some(part))
    }
}

/// The `n` texts of the event at `position`, whose frames start at `offset` of `bytes`.
fn read_frames(
    bytes: &[u8],
    offset: usize,
    position: u64,
    n: usize,
) -> Result<Vec<StoredText>, Error> {
    let corrupt = |detail: String| Error::Corruption {
        at: Some(position),
        detail,
    };
    let mut texts = Vec::with_capacity(n);
    let mut at = offset;
    for slot in 0..n {
        let Some(len) = bytes
            .get(at..at + 4)
            .map(|b| u32::from_le_bytes(b.try_into().unwrap_or_default()) as usize)
        else {
            texts.push(StoredText::Missing);
            continue;
        };
        let Some(frame_bytes) = bytes.get(at + 4..at + 4 + len) else {
            texts.push(StoredText::Missing);
            continue;
        };
        let frame: Frame = codec::decode_bounded(frame_bytes)
            .map_err(|e| corrupt(format!("a text frame does not decode: {e}")))?;
        if frame.position == position && frame.slot as usize == slot {
            texts.push(frame.text);
            at += 4 + len;
        } else {
            texts.push(StoredText::Missing);
        }
    }
    Ok(texts)
}

impl TextStore {
    /// The bytes of a segment's file, from the cache or read whole into it.
    fn segment_bytes(&self, segment: u64) -> Result<Arc<Vec<u8>>, Error> {
        let mut cache = self.cache.lock();
        if let Some(i) = cache.iter().position(|(s, _)| *s == segment) {
            let entry = cache.remove(i);
            let bytes = entry.1.clone();
            cache.push(entry);
            return Ok(bytes);
        }
        let bytes = Arc::new(self.read_segment(segment)?);
        if cache.len() >= CACHED_SEGMENTS {
            cache.remove(0);
        }
        cache.push((segment, bytes.clone()));
        Ok(bytes)
    }

    /// Forgets the cached bytes of `segment` (its file changed). Called under the index's lock.
    fn forget(&self, segment: u64) {
        self.cache.lock().retain(|(s, _)| *s != segment);
    }

    /// Replaces text `slot` of the event at `position` by `tombstone`: its file is rewritten
    /// without the words (copy, fsync, rename, fsync of the directory). Returns whether a text
    /// was there to erase (false when it was erased already).
    pub(crate) fn erase(
        &self,
        position: u64,
        slot: u32,
        tombstone: Tombstone,
    ) -> Result<bool, Error> {
        let _guard = self.write.lock();
        let segment = segment_of(position);
        let bytes = self.read_segment(segment)?;
        let mut out = Vec::with_capacity(bytes.len());
        let mut entries = Vec::new();
        let mut erased = false;
        let mut found = false;
        let mut offset = 0usize;
        while offset + 4 <= bytes.len() {
            let len = u32::from_le_bytes(bytes[offset..offset + 4].try_into().unwrap_or_default());
            let start = offset + 4;
            let end = start + len as usize;
            let mut frame: Frame =
                codec::decode_bounded(&bytes[start..end]).map_err(|e| Error::Corruption {
                    at: Some(position),
                    detail: format!("a text frame does not decode: {e}"),
                })?;
            if frame.position == position && frame.slot == slot {
                found = true;
                if !matches!(frame.text, StoredText::Erased(_)) {
                    erased = true;
                    frame.text = StoredText::Erased(tombstone.clone());
                }
            }
            let encoded = codec::encode(&frame)?;
            let new_len = encoded.len() as u32;
            out.extend_from_slice(&new_len.to_le_bytes());
            entries.push(Placed {
                position: frame.position,
                slot: frame.slot,
                start: out.len() as u64,
            });
            out.extend_from_slice(&encoded);
            offset = end;
        }
        if !found {
            return Err(Error::InvalidInput(format!(
                "aucun texte n° {} n'est enregistré pour l'événement de la position {position}",
                slot + 1
            )));
        }
        if !erased {
            return Ok(false);
        }
        // Readers holding the old bytes keep reading them until the index changes: swap both
        // under the index's lock.
        let mut index = self.index.write();
        self.replace_segment(segment, &out)?;
        self.forget(segment);
        if let Some(offsets) = index.get_mut(&segment) {
            offsets.fill(NONE);
        }
        place(&mut index, entries);
        Ok(true)
    }

    /// Makes every appended text durable (buffered mode, close).
    pub(crate) fn sync(&self) -> Result<(), Error> {
        if let Backend::Dir { files, .. } = &self.backend {
            for file in files.read().values() {
                file.sync_data()?;
            }
        }
        Ok(())
    }

    /// Forgets every text (an aborted import).
    pub(crate) fn clear(&self) -> Result<(), Error> {
        let _guard = self.write.lock();
        self.index.write().clear();
        self.cache.lock().clear();
        match &self.backend {
            Backend::Dir { dir, files } => {
                files.write().clear();
                for entry in std::fs::read_dir(dir)? {
                    std::fs::remove_file(entry?.path())?;
                }
            }
            Backend::Pg { pg, parts } => {
                parts.lock().clear();
                for name in pg.list_files(&format!("{DIR}/"))? {
                    pg.remove_file(&name)?;
                }
            }
        }
        Ok(())
    }
}
