//! The handle: opening the store, appending through the writer, reading, verifying.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, mpsc};
use std::thread::JoinHandle;

use tokio::sync::{oneshot, watch};

use crate::chunk;
use crate::engine::{Db, StoreLocation, Tree};
use crate::files::Area;
use crate::kv::KvTree;
use crate::mark::HeadMark;
use crate::record::{self, Layout, keys};
use crate::subscription::Subscription;
use crate::texts::{StoredText, TextStore, Tombstone, commitment};
use crate::types::{StatsCounters, validate_request};
use crate::writer::{self, Message, Reply, Writer};
use crate::{
    AppendOutcome, AppendRequest, CommandRecord, Direction, Envelope, Error, FORMAT_VERSION, Head,
    Options, Stats, VerifyReport, validate_stream_id,
};

const FORMAT_KEY: &[u8] = b"format_version";
/// Records checked together by [`EventLog::verify`].
const VERIFY_BATCH: usize = 1024;
/// In tree `meta`: the first position whose record is in envelope format 2 (u64 big-endian);
/// absent means 1 (every record). Written when a store of format 1 is upgraded, and by imports.
pub(crate) const V2_FROM_KEY: &[u8] = b"envelope_v2_from";
/// Present in tree `meta` while an import writes (see `ndjson.rs`).
const IMPORT_KEY: &[u8] = b"import_in_progress";

/// A handle on an open log. Cloning is cheap (an `Arc`); the store closes when the last clone
/// (including those held by subscriptions) is dropped, after the writer has drained its queue
/// and flushed: that drop blocks for the flush, so avoid it on a latency-critical async task.
#[derive(Clone)]
pub struct EventLog {
    inner: Arc<Inner>,
}

struct Inner {
    // Field order matters: the sender must drop before `_writer_thread` joins the writer, since
    // the writer stops when every sender is gone.
    sender: mpsc::Sender<Message>,
    db: Db,
    log: Tree,
    /// Where the store's files are (its directory, or its database's table of files).
    area: Area,
    head: watch::Receiver<Head>,
    /// The first position in envelope format 2 ([`Layout`]), shared with the writer (an import
    /// sets it).
    layout: Arc<AtomicU64>,
    /// The erasable texts (`texts.rs`).
    texts: Arc<TextStore>,
    /// The file-kept trees of the key-value area opened so far ([`EventLog::erasable_kv_tree`]).
    file_trees: parking_lot::Mutex<HashMap<String, Arc<crate::kv::FileTree>>>,
    options: Options,
    location: StoreLocation,
    stats: Arc<StatsCounters>,
    /// Why the writer stopped appending, shared with it (see [`EventLog::write_failure`]).
    failed: Arc<parking_lot::Mutex<Option<String>>>,
    // Never read: it is here for its `Drop`, which joins the writer.
    _writer_thread: WriterThread,
    // Never read: last, so that it drops after every sled handle above (sled only).
    _lock_released: Option<LockReleased>,
}

/// Joins the writer thread on drop, so that when the last handle is gone the store is closed
/// and its directory lock released (tests reopen the same directory right after).
struct WriterThread(Option<JoinHandle<()>>);

impl Drop for WriterThread {
    fn drop(&mut self) {
        if let Some(handle) = self.0.take() {
            let _ = handle.join();
        }
    }
}

/// Waits on drop, for a few seconds at most, until sled's lock on the directory is released:
/// sled's own background threads may hold the store a moment after its last handle is gone, and
/// a store reopened in the same process during that moment would be refused as `Locked`.
struct LockReleased(PathBuf);

impl Drop for LockReleased {
    fn drop(&mut self) {
        // sled locks its `db` file with flock, as `File::try_lock` does.
        let Ok(file) = std::fs::File::open(self.0.join("db")) else {
            return;
        };
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        while std::time::Instant::now() < deadline {
            match file.try_lock() {
                Ok(()) => {
                    let _ = file.unlock();
                    return;
                }
                Err(std::fs::TryLockError::WouldBlock) => {
                    std::thread::sleep(std::time::Duration::from_millis(2));
                }
                Err(std::fs::TryLockError::Error(_)) => return,
            }
        }
    }
}

impl std::fmt::Debug for EventLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventLog")
            .field("location", &self.inner.location)
            .field("head", &self.head().position)
            .finish()
    }
}

impl EventLog {
    /// Opens (or creates) the store in `path` and starts its writer thread. Works from plain
    /// sync code and from inside a tokio runtime.
    ///
    /// Errors: [`Error::Locked`] at once when another process holds the directory;
    /// [`Error::UnknownFormat`] for a store of another format version;
    /// [`Error::Corruption`] when sled or the last record does not read back.
    pub fn open(path: impl AsRef<Path>, options: Options) -> Result<EventLog, Error> {
        EventLog::open_store(&StoreLocation::Dir(path.as_ref().to_path_buf()), options)
    }

    /// Opens (or creates) the store at `location`: a directory (sled) or a PostgreSQL database
    /// (`postgres://…`), where the tables are created if they are missing. On PostgreSQL the
    /// writer holds the database's advisory lock while the store is open: a second server on
    /// the same database gets [`Error::Locked`].
    pub fn open_store(location: &StoreLocation, options: Options) -> Result<EventLog, Error> {
        // Records are framed with a u32 length inside chunks; keep far below that.
        if options.max_payload_bytes > 256 * 1024 * 1024 {
            return Err(Error::InvalidInput(format!(
                "max_payload_bytes is {}, more than the 256 MiB this log can frame",
                options.max_payload_bytes
            )));
        }
        let (db, area) = match location {
            StoreLocation::Dir(path) => {
                let with_path = |error: sled::Error| match Error::from(error) {
                    Error::Locked { .. } => Error::Locked {
                        path: path.display().to_string(),
                    },
                    other => other,
                };
                let db = sled::Config::new()
                    .path(path)
                    .cache_capacity(options.cache_capacity_bytes)
                    .mode(sled::Mode::HighThroughput)
                    .open()
                    .map_err(with_path)?;
                (Db::Sled(db), Area::Dir(path.clone()))
            }
            StoreLocation::Postgres(url) => {
                let pg = crate::pg::Pg::connect(url)?;
                (Db::Pg(pg.clone()), Area::Pg(pg))
            }
        };
        let shown = location.to_string();
        let meta = db.open_tree("meta")?;
        let log = db.open_tree("log")?;
        let version = match meta.get(FORMAT_KEY)? {
            None => {
                if !log.is_empty()? {
                    return Err(Error::UnknownFormat(format!(
                        "{shown} holds events but no format version"
                    )));
                }
                meta.insert(FORMAT_KEY, FORMAT_VERSION.to_be_bytes())?;
                db.flush()?;
                FORMAT_VERSION
            }
            Some(bytes) => <[u8; 4]>::try_from(bytes.as_ref())
                .map(u32::from_be_bytes)
                .map_err(|_| {
                    Error::UnknownFormat(format!(
                        "the format version of {shown} is not a number ({} bytes)",
                        bytes.len()
                    ))
                })?,
        };
        if !(1..=FORMAT_VERSION).contains(&version) {
            return Err(Error::UnknownFormat(format!(
                "{shown} is in store format {version}; this build reads formats 1 to {FORMAT_VERSION}"
            )));
        }
        if meta.get(IMPORT_KEY)?.is_some() {
            return Err(Error::IncompleteImport);
        }
        let mut layout = match version {
            1 => Layout { v2_from: u64::MAX },
            _ => read_layout(&meta)?,
        };
        let head = load_head(&log, layout)?;
        if let Some(path) = location.dir() {
            check_mark(path, &log, &head)?;
        }
        let texts = Arc::new(TextStore::open(
            &area,
            head.position,
            options.durability == crate::Durability::Durable,
        )?);
        if version == 1 {
            // A store of format 1 is upgraded in place: its records stay as they are (their
            // hashes chain them), and every record appended from now on is in format 2.
            layout = Layout {
                v2_from: head.position + 1,
            };
            meta.insert(V2_FROM_KEY, layout.v2_from.to_be_bytes())?;
            meta.insert(FORMAT_KEY, FORMAT_VERSION.to_be_bytes())?;
            db.flush()?;
        }
        let layout = Arc::new(AtomicU64::new(layout.v2_from));
        let (head_tx, head_rx) = watch::channel(head);
        let (sender, receiver) = mpsc::channel();
        let stats = Arc::new(StatsCounters::default());
        let failed = Arc::new(parking_lot::Mutex::new(None));
        let writer = Writer {
            db: db.clone(),
            log: log.clone(),
            durability: options.durability,
            clock: options.clock.clone(),
            head,
            head_tx: Arc::new(head_tx),
            versions: HashMap::new(),
            failed: failed.clone(),
            closed: false,
            mark: Arc::new(parking_lot::Mutex::new(HeadMark::new(location.dir()))),
            tail: chunk::load_tail(&log)?,
            stats: stats.clone(),
            meta: meta.clone(),
            layout: layout.clone(),
            texts: texts.clone(),
        };
        let thread = std::thread::Builder::new()
            .name("eventlog-writer".to_owned())
            .spawn(move || writer.run(receiver))?;
        let lock_released = location.dir().map(|path| LockReleased(path.to_path_buf()));
        Ok(EventLog {
            inner: Arc::new(Inner {
                sender,
                db,
                log,
                area,
                head: head_rx,
                layout,
                texts,
                file_trees: parking_lot::Mutex::new(HashMap::new()),
                options,
                location: location.clone(),
                stats,
                failed,
                _writer_thread: WriterThread(Some(thread)),
                _lock_released: lock_released,
            }),
        })
    }

    /// Where the store is.
    pub fn location(&self) -> &StoreLocation {
        &self.inner.location
    }

    /// Where the store keeps its files.
    pub(crate) fn area(&self) -> &Area {
        &self.inner.area
    }

    /// The store's engine.
    pub(crate) fn inner_db(&self) -> &Db {
        &self.inner.db
    }

    /// Appends atomically; returns once the append is durable (or, in `Buffered` mode, applied).
    ///
    /// Dropping the future after it has started does not cancel the append: the request is
    /// already with the writer. Retry with the same command id to learn its outcome.
    pub async fn append(&self, request: AppendRequest) -> Result<AppendOutcome, Error> {
        validate_request(&request, &self.inner.options)?;
        let (sender, receiver) = oneshot::channel();
        self.send(Message::Append {
            request,
            reply: Reply::Async(sender),
        })?;
        receiver.await.map_err(|_| Error::Closed)?
    }

    /// Same as [`EventLog::append`], blocking the calling thread (do not call it from an async
    /// task; use `append` there).
    pub fn append_blocking(&self, request: AppendRequest) -> Result<AppendOutcome, Error> {
        validate_request(&request, &self.inner.options)?;
        let (sender, receiver) = mpsc::sync_channel(1);
        self.send(Message::Append {
            request,
            reply: Reply::Blocking(sender),
        })?;
        receiver.recv().map_err(|_| Error::Closed)?
    }

    fn send(&self, message: Message) -> Result<(), Error> {
        let is_append = matches!(message, Message::Append { .. });
        self.inner.sender.send(message).map_err(|_| Error::Closed)?;
        if is_append {
            StatsCounters::add(&self.inner.stats.appends_sent, 1);
        }
        Ok(())
    }

    /// Counters of the writer since the log was opened.
    pub fn stats(&self) -> Stats {
        self.inner.stats.snapshot()
    }

    /// Why the writer refuses every append since a failed write or flush (a full disk, an IO
    /// error), or `None` while it writes. Once set it stays until the store is reopened:
    /// after such a failure sled's state and what was acknowledged may differ.
    pub fn write_failure(&self) -> Option<String> {
        self.inner.failed.lock().clone()
    }

    pub(crate) fn request_blocking<T>(
        &self,
        message: impl FnOnce(Reply<T>) -> Message,
    ) -> Result<T, Error> {
        let (sender, receiver) = mpsc::sync_channel(1);
        self.send(message(Reply::Blocking(sender)))?;
        receiver.recv().map_err(|_| Error::Closed)?
    }

    /// The entry of the command-id index, if this command id produced acknowledged events.
    pub fn command(&self, id: &str) -> Result<Option<CommandRecord>, Error> {
        let head = self.head().position;
        Ok(writer::load_command(&self.inner.log, id)?.filter(|r| r.last_position <= head))
    }

    /// The version of the last acknowledged event of a stream, `None` if it has none.
    pub fn stream_version(&self, stream_id: &str) -> Result<Option<u64>, Error> {
        validate_stream_id(stream_id)?;
        let version =
            writer::last_stream_version(&self.inner.log, stream_id, self.head().position)?;
        Ok((version > 0).then_some(version))
    }

    /// Up to `limit` events of one stream, starting at `from_version` (inclusive) and going in
    /// `direction`. `Backward` from `u64::MAX` reads from the last event.
    pub fn read_stream(
        &self,
        stream_id: &str,
        from_version: u64,
        direction: Direction,
        limit: usize,
    ) -> Result<Vec<Envelope>, Error> {
        validate_stream_id(stream_id)?;
        if limit == 0 || (direction == Direction::Backward && from_version == 0) {
            return Ok(Vec::new());
        }
        let head = self.head().position;
        let log = &self.inner.log;
        let entries = match direction {
            Direction::Forward => log.range(
                &keys::stream(stream_id, from_version.max(1)),
                &keys::stream(stream_id, u64::MAX),
                false,
            ),
            Direction::Backward => log.range(
                &keys::stream(stream_id, 1),
                &keys::stream(stream_id, from_version),
                true,
            ),
        };
        let mut positions = Vec::new();
        for entry in entries {
            if positions.len() >= limit {
                break;
            }
            let (_, value) = entry?;
            let position = keys::u64_value(&value).ok_or_else(|| Error::Corruption {
                at: None,
                detail: format!("stream index entry of {stream_id} is not a position"),
            })?;
            // Entries past the head belong to an append not yet acknowledged.
            if position > head {
                continue;
            }
            positions.push(position);
        }
        let layout = self.layout();
        chunk::find_many(log, &positions)?
            .into_iter()
            .zip(&positions)
            .map(|(record, &position)| {
                let bytes = record.ok_or_else(|| Error::Corruption {
                    at: Some(position),
                    detail: format!("stream {stream_id} points to a missing record"),
                })?;
                record::decode_record(&bytes, position, layout)
                    .and_then(|envelope| with_texts(&self.inner.texts, envelope))
            })
            .collect()
    }

    /// The event at `position`, if acknowledged.
    pub fn get(&self, position: u64) -> Result<Option<Envelope>, Error> {
        if position == 0 || position > self.head().position {
            return Ok(None);
        }
        match chunk::find(&self.inner.log, position)? {
            None => Err(Error::Corruption {
                at: Some(position),
                detail: "record missing below the head".to_owned(),
            }),
            Some(bytes) => record::decode_record(&bytes, position, self.layout())
                .and_then(|envelope| with_texts(&self.inner.texts, envelope))
                .map(Some),
        }
    }

    /// Every acknowledged event from `from_position` (inclusive) to the head as it is now,
    /// read lazily from disk.
    pub fn read_all(
        &self,
        from_position: u64,
    ) -> impl Iterator<Item = Result<Envelope, Error>> + Send + 'static {
        self.read_range(from_position, u64::MAX)
    }

    /// Events with `from <= position <= to_inclusive` (capped at the head), lazily.
    pub fn read_range(
        &self,
        from: u64,
        to_inclusive: u64,
    ) -> impl Iterator<Item = Result<Envelope, Error>> + Send + 'static {
        let layout = self.layout();
        let texts = self.inner.texts.clone();
        self.raw_range(from, to_inclusive).map(move |entry| {
            entry.and_then(|(position, bytes)| {
                with_texts(&texts, record::decode_record(&bytes, position, layout)?)
            })
        })
    }

    /// [`EventLog::read_range`] in two steps: the records are read here, in order, and each is
    /// decoded by [`RawRecord::decode`], possibly on another thread (the projections read on
    /// one core and decode on the other when they catch up).
    pub fn read_range_raw(
        &self,
        from: u64,
        to_inclusive: u64,
    ) -> impl Iterator<Item = Result<RawRecord, Error>> + Send + 'static {
        let layout = self.layout();
        let texts = self.inner.texts.clone();
        self.raw_range(from, to_inclusive).map(move |entry| {
            entry.map(|(position, bytes)| RawRecord {
                position,
                bytes,
                layout,
                texts: texts.clone(),
            })
        })
    }

    /// Stored records with their positions, checked to be gapless, without decoding them.
    pub(crate) fn raw_range(
        &self,
        from: u64,
        to_inclusive: u64,
    ) -> impl Iterator<Item = Result<(u64, sled::IVec), Error>> + Send + 'static {
        chunk::RangeIter::new(
            &self.inner.log,
            from,
            to_inclusive.min(self.head().position),
        )
    }

    /// Which records are in envelope format 2.
    pub(crate) fn layout(&self) -> Layout {
        Layout {
            v2_from: self.inner.layout.load(Ordering::Acquire),
        }
    }

    /// The first position whose envelope is in format 2 (actor id and role; GUARANTEES.md):
    /// 1 for a store created by this build, one past the old head for an upgraded store.
    pub fn envelope_v2_from(&self) -> u64 {
        self.layout().v2_from
    }

    /// The last acknowledged position and hash.
    pub fn head(&self) -> Head {
        *self.inner.head.borrow()
    }

    pub(crate) fn head_receiver(&self) -> watch::Receiver<Head> {
        self.inner.head.clone()
    }

    /// Events from `from_position` (inclusive) on: first those already recorded, read from
    /// disk, then new ones as they are acknowledged, without gap or duplicate.
    pub fn subscribe(&self, from_position: u64) -> Subscription {
        Subscription::new(self.clone(), from_position.max(1))
    }

    /// Walks the whole chain up to the head and reports the first position that does not
    /// check out: a missing record, a record that does not decode, a hash that does not match
    /// its bytes, a previous hash that is not the hash before it, a position, stream version
    /// or recorded time out of sequence, or a stream index entry that does not point back.
    pub fn verify(&self) -> Result<VerifyReport, Error> {
        let head = self.head();
        let mut report = VerifyReport {
            head_position: head.position,
            head_hash: head.hash,
            verified_up_to: 0,
            first_broken: None,
        };
        let mut prev_hash = [0u8; 32];
        let mut previous_recorded = None;
        let mut versions: HashMap<String, u64> = HashMap::new();
        let mut records = self.raw_range(1, head.position);
        let mut broken_read = None;
        loop {
            // Records are checked by batches, so that their stream index entries are read in
            // one query on PostgreSQL.
            let mut batch = Vec::with_capacity(VERIFY_BATCH);
            for entry in records.by_ref() {
                match entry {
                    Ok(entry) => batch.push(entry),
                    Err(Error::Corruption { at, .. }) => {
                        broken_read = Some(at.unwrap_or(0));
                        break;
                    }
                    Err(other) => return Err(other),
                }
                if batch.len() == VERIFY_BATCH {
                    break;
                }
            }
            let index_keys = batch
                .iter()
                .map(|(position, bytes)| {
                    record::decode_record(bytes, *position, self.layout())
                        .map(|e| keys::stream(&e.stream_id, e.stream_version))
                        .unwrap_or_default()
                })
                .collect();
            let indexed = self
                .inner
                .log
                .get_many(index_keys)
                .map_err(|_| Error::Corruption {
                    at: batch.first().map(|(position, _)| *position),
                    detail: "the stream index does not read".to_owned(),
                });
            let indexed = match indexed {
                Ok(indexed) => indexed,
                Err(_) => {
                    report.first_broken = Some((
                        report.verified_up_to + 1,
                        "l'index des flux ne se lit pas".to_owned(),
                    ));
                    return Ok(report);
                }
            };
            let done = batch.len() < VERIFY_BATCH;
            for ((position, bytes), indexed) in batch.into_iter().zip(indexed) {
                match self.check_record(
                    position,
                    &bytes,
                    &prev_hash,
                    previous_recorded,
                    &mut versions,
                    indexed.as_deref(),
                ) {
                    Ok(envelope) => {
                        prev_hash = envelope.hash;
                        previous_recorded = Some(envelope.recorded_at);
                        report.verified_up_to = position;
                    }
                    Err(reason) => {
                        report.first_broken = Some((position, reason));
                        return Ok(report);
                    }
                }
            }
            if let Some(at) = broken_read {
                // The report is read by the operator: a French reason, not the crate's
                // English detail.
                report.first_broken = Some((
                    if at == 0 {
                        report.verified_up_to + 1
                    } else {
                        at
                    },
                    "les fichiers du registre ne se relisent pas à cet endroit".to_owned(),
                ));
                return Ok(report);
            }
            if done {
                break;
            }
        }
        if report.verified_up_to != head.position {
            report.first_broken = Some((
                report.verified_up_to + 1,
                "événement manquant sous la tête".to_owned(),
            ));
        } else if prev_hash != head.hash {
            report.first_broken = Some((
                head.position,
                "l'empreinte de tête ne correspond pas".to_owned(),
            ));
        }
        Ok(report)
    }

    fn check_record(
        &self,
        position: u64,
        bytes: &[u8],
        prev_hash: &[u8; 32],
        previous_recorded: Option<chrono::DateTime<chrono::Utc>>,
        versions: &mut HashMap<String, u64>,
        indexed: Option<&[u8]>,
    ) -> Result<Envelope, String> {
        let (canonical, stored_hash) = record::split(bytes, position)
            .map_err(|_| "l'événement enregistré est tronqué".to_owned())?;
        if record::hash_canonical(canonical) != stored_hash {
            return Err("son empreinte ne correspond pas à son contenu".to_owned());
        }
        let envelope = record::decode_record(bytes, position, self.layout())
            .map_err(|_| "l'événement enregistré ne se décode pas".to_owned())?;
        if envelope.position != position {
            return Err(format!(
                "l'événement dit position {}, il est rangé à la position {position}",
                envelope.position
            ));
        }
        if &envelope.prev_hash != prev_hash {
            return Err(
                "son empreinte précédente n'est pas celle de l'événement d'avant".to_owned(),
            );
        }
        if previous_recorded.is_some_and(|previous| envelope.recorded_at < previous) {
            return Err("l'heure d'enregistrement recule".to_owned());
        }
        let version = versions.entry(envelope.stream_id.clone()).or_insert(0);
        if envelope.stream_version != *version + 1 {
            return Err(format!(
                "le flux {} saute de la version {} à la version {}",
                envelope.stream_id, version, envelope.stream_version
            ));
        }
        *version += 1;
        if indexed.and_then(keys::u64_value) != Some(position) {
            return Err(format!(
                "l'index du flux {} version {} ne désigne pas cet événement",
                envelope.stream_id, envelope.stream_version
            ));
        }
        // Each kept text still matches the commitment the chain holds; an erased one is
        // accounted for by its tombstone.
        let envelope = with_texts(&self.inner.texts, envelope)
            .map_err(|_| "ses textes effaçables ne se lisent pas".to_owned())?;
        for (slot, (text, committed)) in envelope
            .texts
            .iter()
            .zip(&envelope.text_commitments)
            .enumerate()
        {
            match text {
                StoredText::Kept { salt, text } if commitment(salt, text) != *committed => {
                    return Err(format!(
                        "son texte n° {} ne correspond pas à l'empreinte chaînée",
                        slot + 1
                    ));
                }
                StoredText::Missing => {
                    return Err(format!(
                        "son texte n° {} manque dans les fichiers de textes",
                        slot + 1
                    ));
                }
                _ => {}
            }
        }
        Ok(envelope)
    }

    /// Erases text `slot` (from 0) of the event at `position`: the text file that holds it is
    /// rewritten with `tombstone` in its place (`texts.rs`), the chain does not change. Returns
    /// whether there was a text to erase (false when it was erased already). An event of
    /// envelope format 1 holds its texts inside its chained bytes: they cannot be erased.
    pub fn erase_text(
        &self,
        position: u64,
        slot: u32,
        tombstone: Tombstone,
    ) -> Result<bool, Error> {
        let envelope = self.get(position)?.ok_or_else(|| {
            Error::InvalidInput(format!(
                "aucun événement n'est enregistré à la position {position}"
            ))
        })?;
        if envelope.actor_role.is_none() {
            return Err(Error::InvalidInput(format!(
                "l'événement de la position {position} a été enregistré avant les textes effaçables : ses textes font partie des octets chaînés et ne peuvent pas être effacés"
            )));
        }
        if slot as usize >= envelope.text_commitments.len() {
            return Err(Error::InvalidInput(format!(
                "l'événement de la position {position} n'a pas de texte n° {}",
                slot + 1
            )));
        }
        self.inner.texts.erase(position, slot, tombstone)
    }

    /// A named tree of the key-value area (checkpoints, snapshots, tokens). Names are
    /// `[a-z0-9-]{1,64}`. These trees are not part of the log: not hashed, not exported.
    pub fn kv_tree(&self, name: &str) -> Result<KvTree, Error> {
        KvTree::open(&self.inner.db, name)
    }

    /// A tree of the key-value area for what may have to be erased (names, addresses): kept in
    /// the file `files/<name>.kv`, rewritten whole at each write, never given to sled. Every
    /// call with one name shares one tree. The first time, what an earlier build kept in sled's
    /// tree of that name is moved into the file.
    pub fn erasable_kv_tree(&self, name: &str) -> Result<KvTree, Error> {
        let mut trees = self.inner.file_trees.lock();
        if let Some(tree) = trees.get(name) {
            return Ok(KvTree::file(name, tree.clone()));
        }
        let tree = Arc::new(crate::kv::open_file_tree(self, &self.inner.db, name)?);
        trees.insert(name.to_owned(), tree.clone());
        Ok(KvTree::file(name, tree))
    }

    /// Makes every acknowledged append durable (useful in `Buffered` mode).
    pub fn flush(&self) -> Result<(), Error> {
        self.request_blocking(|reply| Message::Flush { reply })
    }

    /// Drains the writer, flushes, and refuses further appends from every handle (they get
    /// [`Error::Closed`]). Reads keep working; the store itself closes when the last handle
    /// is dropped.
    pub fn close(self) -> Result<(), Error> {
        self.request_blocking(|reply| Message::Close { reply })
    }

    pub(crate) fn tree(&self) -> &Tree {
        &self.inner.log
    }

    /// Records durably that an import is writing (`true`) or has ended, written or emptied
    /// again (`false`): a store opened with the mark set was left by an interrupted import.
    pub(crate) fn mark_import(&self, in_progress: bool) -> Result<(), Error> {
        let meta = self.inner.db.open_tree("meta")?;
        if in_progress {
            meta.insert(IMPORT_KEY, [1u8])?;
        } else {
            meta.remove(IMPORT_KEY)?;
        }
        self.inner.db.flush()?;
        Ok(())
    }

    /// Bytes the store uses on disk (sled's files, or the PostgreSQL database).
    pub fn size_on_disk(&self) -> Result<u64, Error> {
        self.inner.db.size_on_disk()
    }
}

/// Test support, not part of the API: writes `version` as the format version of the closed
/// store in `path`, as a newer build would have left it (the end-to-end tests of the binary
/// cannot name sled).
#[doc(hidden)]
pub fn overwrite_format_version_for_tests(path: &Path, version: u32) -> Result<(), Error> {
    {
        let db = sled::Config::new().path(path).open()?;
        db.open_tree("meta")?
            .insert(FORMAT_KEY, &version.to_be_bytes())?;
        db.flush()?;
    }
    drop(LockReleased(path.to_path_buf()));
    Ok(())
}

/// `envelope` with its erasable texts read from the text files.
fn with_texts(texts: &TextStore, mut envelope: Envelope) -> Result<Envelope, Error> {
    if !envelope.text_commitments.is_empty() {
        envelope.texts = texts.read(envelope.position, envelope.text_commitments.len())?;
    }
    Ok(envelope)
}

/// The layout a store of format 2 records in `meta`.
pub(crate) fn read_layout(meta: &Tree) -> Result<Layout, Error> {
    match meta.get(V2_FROM_KEY)? {
        None => Ok(Layout::V2),
        Some(bytes) => keys::u64_value(&bytes)
            .map(|v2_from| Layout { v2_from })
            .ok_or_else(|| Error::Corruption {
                at: None,
                detail: "the first position of envelope format 2 is not a number".to_owned(),
            }),
    }
}

/// Refuses a store whose sled log came back shorter than a head known to be durable, or
/// whose record at that position is not the one that was marked (see `mark.rs`).
fn check_mark(path: &Path, log: &Tree, head: &Head) -> Result<(), Error> {
    let Some((position, hash)) = HeadMark::read(path)? else {
        return Ok(());
    };
    if position == 0 {
        return Ok(());
    }
    if head.position < position {
        return Err(Error::Corruption {
            at: Some(head.position + 1),
            detail: format!(
                "sled recovered the log only up to position {}, but position {position} had been \
                 acknowledged: the store's files are damaged (restore from an export)",
                head.position
            ),
        });
    }
    let stored = chunk::find(log, position)?;
    let matches = stored
        .as_deref()
        .map(|bytes| record::split(bytes, position).map(|(_, stored_hash)| stored_hash == hash))
        .transpose()?;
    if matches != Some(true) {
        return Err(Error::Corruption {
            at: Some(position),
            detail: "the record at the head mark is not the one acknowledged".to_owned(),
        });
    }
    Ok(())
}

/// Reads the last record to learn the head; an empty log has the zero head.
fn load_head(log: &Tree, layout: Layout) -> Result<Head, Error> {
    let tail = chunk::load_tail(log)?;
    if tail.next_position() == 1 {
        return Ok(Head::EMPTY);
    }
    let position = tail.next_position() - 1;
    let bytes = chunk::find(log, position)?.ok_or_else(|| Error::Corruption {
        at: Some(position),
        detail: "the last record cannot be found".to_owned(),
    })?;
    let envelope = record::decode_record(&bytes, position, layout)?;
    // The last record is the one a crash or a bad disk would damage first; checking its hash
    // costs one SHA-256 and turns silent damage into a clear error at start-up.
    let (canonical, _) = record::split(&bytes, position)?;
    if record::hash_canonical(canonical) != envelope.hash {
        return Err(Error::Corruption {
            at: Some(position),
            detail: "the last record does not match its hash".to_owned(),
        });
    }
    if envelope.position != position {
        return Err(Error::Corruption {
            at: Some(position),
            detail: format!("last record says position {}", envelope.position),
        });
    }
    Ok(Head {
        position,
        hash: envelope.hash,
        recorded_at: Some(envelope.recorded_at),
    })
}

/// A record as stored, not yet decoded (see [`EventLog::read_range_raw`]).
#[derive(Clone)]
pub struct RawRecord {
    position: u64,
    bytes: sled::IVec,
    layout: Layout,
    texts: Arc<TextStore>,
}

impl RawRecord {
    pub fn position(&self) -> u64 {
        self.position
    }

    /// The envelope, checked as [`EventLog::read_range`] checks it.
    pub fn decode(&self) -> Result<Envelope, Error> {
        with_texts(
            &self.texts,
            record::decode_record(&self.bytes, self.position, self.layout)?,
        )
    }
}

impl std::fmt::Debug for RawRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RawRecord")
            .field("position", &self.position)
            .field("bytes", &self.bytes.len())
            .finish()
    }
}
