//! The single writer: one thread owns every append (the actor pattern), batches concurrent
//! requests into one sled batch and one flush (group commit), then publishes the new head.

use std::collections::HashMap;
use std::sync::{Arc, mpsc};

use parking_lot::Mutex;

use chrono::{DateTime, Utc};
use tokio::sync::{oneshot, watch};
use uuid::Uuid;

use crate::chunk::{self, Tail};
use crate::mark::HeadMark;
use crate::record::{self, CanonicalRef, keys};
use crate::types::StatsCounters;
use crate::{
    AppendOutcome, AppendRequest, Clock, CommandRecord, Durability, Error, Head, StreamState, codec,
};

/// Most events the writer puts in one group commit; bounds the latency of the first request
/// of a group and the memory of one sled batch.
const MAX_GROUP_EVENTS: usize = 20_000;

/// Above this many cached stream versions the cache is cleared (it is reloaded from disk on
/// demand), so that memory stays bounded with millions of streams.
const MAX_CACHED_STREAMS: usize = 1_000_000;

/// Where to send a result: an async caller waits on a oneshot, a blocking caller on a
/// rendezvous channel (so that `append_blocking` never needs a runtime).
pub(crate) enum Reply<T> {
    Async(oneshot::Sender<Result<T, Error>>),
    Blocking(mpsc::SyncSender<Result<T, Error>>),
}

impl<T> Reply<T> {
    pub(crate) fn send(self, result: Result<T, Error>) {
        // A caller that stopped waiting (a dropped future) is not the writer's problem.
        match self {
            Reply::Async(sender) => {
                let _ = sender.send(result);
            }
            Reply::Blocking(sender) => {
                let _ = sender.send(result);
            }
        }
    }
}

/// A chunk of verified records for import, in log order.
pub(crate) struct ImportChunk {
    /// Position and hash the chunk continues from.
    pub after: (u64, [u8; 32]),
    /// `(key, value)` pairs for the `log` tree: records, stream index, command index.
    pub writes: Vec<(Vec<u8>, Vec<u8>)>,
    /// Texts of the chunk's events (and of events of later chunks), written first.
    pub texts: Vec<(u64, u32, crate::texts::StoredText)>,
    /// The head after the chunk.
    pub head: Head,
    /// The first position in envelope format 2, as far as the import has read.
    pub v2_from: u64,
}

pub(crate) enum Message {
    Append {
        request: AppendRequest,
        reply: Reply<AppendOutcome>,
    },
    Flush {
        reply: Reply<()>,
    },
    Close {
        reply: Reply<()>,
    },
    Import {
        chunk: ImportChunk,
        reply: Reply<()>,
    },
    /// Empties the log after a refused import (the store was empty before it).
    AbortImport {
        reply: Reply<()>,
    },
}

pub(crate) struct Writer {
    pub db: crate::engine::Db,
    pub log: crate::engine::Tree,
    pub durability: Durability,
    pub clock: Clock,
    pub head: Head,
    /// Published by the flusher (durable mode) or by the writer (buffered mode, import).
    pub head_tx: Arc<watch::Sender<Head>>,
    /// Current version of streams the writer has seen (0 = no event); the writer is the only
    /// one who appends, so the cache cannot go stale.
    pub versions: HashMap<String, u64>,
    /// Set after an IO error during a commit: sled's state and ours may differ, so every later
    /// append is refused until the store is reopened.
    /// Shared with the flusher thread, which is where a failed flush is noticed.
    pub failed: Arc<Mutex<Option<String>>>,
    pub closed: bool,
    /// Shared with the flusher; see `mark.rs`.
    pub mark: Arc<Mutex<HeadMark>>,
    pub stats: Arc<StatsCounters>,
    /// The records after the last chunk, kept in memory so that sealing them needs no read.
    pub tail: Tail,
    pub meta: crate::engine::Tree,
    /// The first position in envelope format 2, shared with the handle (an import sets it).
    pub layout: Arc<std::sync::atomic::AtomicU64>,
    /// The erasable texts, written before the records that commit to them.
    pub texts: Arc<crate::texts::TextStore>,
}

impl Writer {
    pub(crate) fn run(mut self, receiver: mpsc::Receiver<Message>) {
        // The flusher thread makes applied groups durable while this thread stages and applies
        // the next ones: the fsync of one group overlaps the work of the next.
        let (to_flusher, flusher_receiver) = mpsc::channel();
        let flusher = Flusher {
            db: self.db.clone(),
            head_tx: self.head_tx.clone(),
            failed: self.failed.clone(),
            mark: self.mark.clone(),
            stats: self.stats.clone(),
        };
        let flusher_thread = std::thread::Builder::new()
            .name("eventlog-flusher".to_owned())
            .spawn(move || flusher.run(flusher_receiver));
        let flusher_thread = match flusher_thread {
            Ok(thread) => thread,
            Err(error) => {
                *self.failed.lock() = Some(format!("cannot start the flusher thread: {error}"));
                // Without a flusher nothing can be acknowledged durably: answer every request
                // with the failure until the handles are dropped.
                for message in receiver {
                    self.refuse(message);
                }
                return;
            }
        };
        self.run_loop(&receiver, &to_flusher);
        drop(to_flusher);
        let _ = flusher_thread.join();
        // Every handle is gone: make everything durable before the store closes.
        let _ = self.flush();
    }

    fn refuse(&self, message: Message) {
        let error = self.refusal().unwrap_or(Error::Closed);
        match message {
            Message::Append { reply, .. } => reply.send(Err(error)),
            Message::Flush { reply }
            | Message::Close { reply }
            | Message::Import { reply, .. }
            | Message::AbortImport { reply } => reply.send(Err(error)),
        }
    }

    fn run_loop(&mut self, receiver: &mpsc::Receiver<Message>, to_flusher: &mpsc::Sender<Pending>) {
        let mut appends = Vec::new();
        while let Ok(first) = receiver.recv() {
            // Take whatever else is already waiting: that is the group commit.
            let mut n_events = 0;
            let mut next = Some(first);
            while let Some(message) = next.take() {
                match message {
                    Message::Append { request, reply } => {
                        n_events += request.n_events();
                        appends.push((request, reply));
                    }
                    other => {
                        // Keep the order of requests: commit what came before, then act.
                        self.commit(std::mem::take(&mut appends), to_flusher);
                        n_events = 0;
                        self.handle_other(other, to_flusher);
                    }
                }
                if n_events < MAX_GROUP_EVENTS {
                    next = receiver.try_recv().ok();
                }
            }
            self.commit(std::mem::take(&mut appends), to_flusher);
        }
    }

    fn handle_other(&mut self, message: Message, to_flusher: &mpsc::Sender<Pending>) {
        match message {
            Message::Append { request, reply } => {
                self.commit(vec![(request, reply)], to_flusher);
            }
            Message::Flush { reply } => reply.send(self.flush()),
            Message::Close { reply } => {
                self.closed = true;
                reply.send(self.flush());
            }
            Message::Import { chunk, reply } => reply.send(self.import(chunk)),
            Message::AbortImport { reply } => reply.send(self.abort_import()),
        }
    }

    /// Flushes everything applied so far, then records the applied head in the mark.
    fn flush(&mut self) -> Result<(), Error> {
        self.texts.sync()?;
        self.db.flush()?;
        self.mark.lock().write(&self.head)
    }

    fn refusal(&self) -> Option<Error> {
        if self.closed {
            return Some(Error::Closed);
        }
        self.failed.lock().as_ref().map(|why| {
            Error::Io(std::io::Error::other(format!(
                "the writer stopped after an earlier failure ({why}); reopen the store"
            )))
        })
    }

    fn current_version(&mut self, stream_id: &str) -> Result<u64, Error> {
        if let Some(version) = self.versions.get(stream_id) {
            return Ok(*version);
        }
        let version = last_stream_version(&self.log, stream_id, u64::MAX)?;
        if self.versions.len() >= MAX_CACHED_STREAMS {
            self.versions.clear();
        }
        self.versions.insert(stream_id.to_owned(), version);
        Ok(version)
    }

    /// Commits a group of appends: checks each against the state left by the ones before it,
    /// writes all the accepted ones in one sled batch, then (durable mode) hands the group to
    /// the flusher, which flushes once and answers everyone.
    fn commit(
        &mut self,
        appends: Vec<(AppendRequest, Reply<AppendOutcome>)>,
        to_flusher: &mpsc::Sender<Pending>,
    ) {
        if appends.is_empty() {
            return;
        }
        if let Some(error) = self.refusal() {
            for (_, reply) in appends {
                reply.send(Err(clone_error(&error)));
            }
            return;
        }
        StatsCounters::add(&self.stats.groups, 1);
        let mut group = Group {
            batch: crate::engine::Batch::default(),
            texts: Vec::new(),
            head: self.head,
            versions: HashMap::new(),
            commands: HashMap::new(),
            written: false,
        };
        // One stamp per group: max(now, previous) keeps recorded time non-decreasing even when
        // the clock steps back; truncated to microseconds because that is what is stored.
        let now = truncate_to_micros((self.clock)());
        let recorded_at = match self.head.recorded_at {
            Some(previous) if previous > now => previous,
            _ => now,
        };
        let mut results = Vec::with_capacity(appends.len());
        for (request, reply) in appends {
            let result = self.stage(&mut group, &request, recorded_at);
            results.push((reply, result));
        }
        if group.written {
            let applied = self
                .texts
                .append(&group.texts)
                .and_then(|()| self.log.apply_batch(group.batch));
            if let Err(error) = applied {
                *self.failed.lock() = Some(error.to_string());
                for (reply, result) in results {
                    reply.send(result.and_then(|_| Err(clone_error(&error))));
                }
                return;
            }
            StatsCounters::add(
                &self.stats.events_written,
                group.head.position - self.head.position,
            );
            self.head = group.head;
            if self.versions.len() + group.versions.len() > MAX_CACHED_STREAMS {
                self.versions.clear();
            }
            self.versions.extend(group.versions);
        }
        match self.durability {
            Durability::Durable => {
                // Every answer waits for the flush, also conflicts and replays: they were
                // computed against applied state that only the flush makes durable.
                let pending = Pending {
                    head: self.head,
                    results,
                };
                if let Err(mpsc::SendError(pending)) = to_flusher.send(pending) {
                    for (reply, _) in pending.results {
                        reply.send(Err(Error::Bug("the flusher thread has stopped".to_owned())));
                    }
                }
            }
            Durability::Buffered => {
                self.head_tx.send_replace(self.head);
                for (reply, result) in results {
                    reply.send(result);
                }
            }
        }
    }

    /// Checks one append against the state so far and, if it holds, adds its writes to the
    /// group's batch.
    fn stage(
        &mut self,
        group: &mut Group,
        request: &AppendRequest,
        recorded_at: DateTime<Utc>,
    ) -> Result<AppendOutcome, Error> {
        if let Some(command) = &request.command {
            if let Some(recorded) = group.commands.get(&command.id) {
                return Ok(recorded.outcome(true));
            }
            if let Some(recorded) = load_command(&self.log, &command.id)? {
                return Ok(recorded.outcome(true));
            }
        }
        let mut currents = Vec::with_capacity(request.streams.len());
        for stream in &request.streams {
            let current = match group.versions.get(&stream.stream_id) {
                Some(version) => *version,
                None => self.current_version(&stream.stream_id)?,
            };
            if !stream.expected.is_satisfied_by(current) {
                return Err(Error::Conflict {
                    stream: stream.stream_id.clone(),
                    expected: stream.expected,
                    actual: if current == 0 {
                        StreamState::NoStream
                    } else {
                        StreamState::At(current)
                    },
                });
            }
            currents.push(current);
        }
        // Writes are staged locally and join the group only once the whole append is encoded,
        // so that a failing append leaves nothing half-staged in the batch.
        let mut writes: Vec<(Vec<u8>, Vec<u8>)> = Vec::with_capacity(request.n_events() + 1);
        let mut records: Vec<Vec<u8>> = Vec::with_capacity(request.n_events());
        let mut texts = Vec::new();
        let mut head = group.head;
        let mut new_versions = Vec::with_capacity(request.streams.len());
        let first_position = head.position + 1;
        let recorded_at_micros = recorded_at.timestamp_micros();
        let command_id = request.command.as_ref().map(|c| c.id.as_str());
        let mut stream_versions = Vec::with_capacity(request.streams.len());
        for (stream, current) in request.streams.iter().zip(currents) {
            let mut version = current;
            for event in &stream.events {
                let position = head.position + 1;
                version += 1;
                let mut commitments = Vec::with_capacity(event.texts.len());
                for (slot, text) in event.texts.iter().enumerate() {
                    let mut salt = [0u8; 16];
                    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut salt);
                    commitments.push(crate::texts::commitment(&salt, text));
                    texts.push((
                        position,
                        slot as u32,
                        crate::texts::StoredText::Kept {
                            salt,
                            text: text.clone(),
                        },
                    ));
                }
                let canonical = CanonicalRef {
                    prev_hash: head.hash,
                    position,
                    event_id: *Uuid::now_v7().as_bytes(),
                    stream_id: &stream.stream_id,
                    stream_version: version,
                    event_type: &event.event_type,
                    schema_version: event.schema_version,
                    recorded_at_micros,
                    effective_on_days: record::date_to_days(event.effective_on),
                    actor: &event.actor,
                    actor_role: Some(&event.actor_role),
                    command_id,
                    correlation_id: event.correlation_id.map(|u| *u.as_bytes()),
                    causation_id: event.causation_id.map(|u| *u.as_bytes()),
                    payload: &event.payload,
                    text_commitments: &commitments,
                };
                let (bytes, hash) = record::encode_record(&canonical)?;
                records.push(bytes);
                writes.push((
                    keys::stream(&stream.stream_id, version),
                    position.to_be_bytes().to_vec(),
                ));
                head = Head {
                    position,
                    hash,
                    recorded_at: Some(recorded_at),
                };
            }
            new_versions.push((stream.stream_id.clone(), version));
            stream_versions.push((stream.stream_id.clone(), version));
        }
        let recorded = CommandRecord {
            fingerprint: request.command.as_ref().map_or([0; 32], |c| c.fingerprint),
            first_position,
            last_position: head.position,
            stream_versions,
        };
        if let Some(command) = &request.command {
            writes.push((keys::command(&command.id), codec::encode(&recorded)?));
            group.commands.insert(command.id.clone(), recorded.clone());
        }
        for (key, value) in writes {
            group.batch.insert(key, value);
        }
        group.texts.extend(texts);
        for (position, record) in (first_position..).zip(records) {
            self.tail.append(&mut group.batch, position, record);
        }
        group.versions.extend(new_versions);
        group.head = head;
        group.written = true;
        Ok(recorded.outcome(false))
    }

    fn import(&mut self, import: ImportChunk) -> Result<(), Error> {
        if let Some(error) = self.refusal() {
            return Err(error);
        }
        if (self.head.position, self.head.hash) != import.after {
            return Err(Error::InvalidInput(
                "import chunk does not continue the log (was something appended during the import?)"
                    .to_owned(),
            ));
        }
        self.texts.append(&import.texts)?;
        // The layout is set before the records it describes become readable.
        self.meta
            .insert(crate::log::V2_FROM_KEY, import.v2_from.to_be_bytes())?;
        self.layout
            .store(import.v2_from, std::sync::atomic::Ordering::Release);
        let mut batch = crate::engine::Batch::default();
        for (key, value) in import.writes {
            batch.insert(key, value);
        }
        self.log.apply_batch(batch)?;
        self.head = import.head;
        self.tail = chunk::load_tail(&self.log)?;
        // Stream versions changed underneath the cache; reload them from disk on demand.
        self.versions.clear();
        self.head_tx.send_replace(self.head);
        Ok(())
    }

    fn abort_import(&mut self) -> Result<(), Error> {
        self.log.clear()?;
        self.meta.remove(crate::log::V2_FROM_KEY)?;
        self.texts.clear()?;
        self.layout.store(1, std::sync::atomic::Ordering::Release);
        self.head = Head::EMPTY;
        self.tail = Tail::empty(1);
        self.flush()?;
        self.versions.clear();
        self.head_tx.send_replace(self.head);
        Ok(())
    }
}

/// A group applied by the writer, waiting for the flush that makes it durable.
pub(crate) struct Pending {
    head: Head,
    results: Vec<(Reply<AppendOutcome>, Result<AppendOutcome, Error>)>,
}

/// Flushes applied groups, then publishes the new head and answers their callers. Groups that
/// arrive during a flush share the next one.
struct Flusher {
    db: crate::engine::Db,
    head_tx: Arc<watch::Sender<Head>>,
    failed: Arc<Mutex<Option<String>>>,
    mark: Arc<Mutex<HeadMark>>,
    stats: Arc<StatsCounters>,
}

impl Flusher {
    fn run(self, receiver: mpsc::Receiver<Pending>) {
        while let Ok(first) = receiver.recv() {
            let mut pending = vec![first];
            pending.extend(receiver.try_iter());
            let flushed = match self.failed.lock().clone() {
                Some(why) => Err(Error::Io(std::io::Error::other(format!(
                    "the writer stopped after an earlier failure ({why}); reopen the store"
                )))),
                None => {
                    StatsCounters::add(&self.stats.flushes, 1);
                    self.db.flush()
                }
            };
            match flushed {
                Ok(()) => {
                    let last_head = pending.last().map(|group| group.head);
                    if let Some(last) = last_head {
                        self.head_tx.send_if_modified(|head| {
                            let moved = last.position > head.position;
                            if moved {
                                *head = last;
                            }
                            moved
                        });
                    }
                    for group in pending {
                        for (reply, result) in group.results {
                            reply.send(result);
                        }
                    }
                    // After the answers, so that the mark's own fsync delays nobody.
                    if let Some(last) = last_head {
                        self.mark.lock().maybe_write(&last);
                    }
                }
                Err(error) => {
                    // sled's state and what was acknowledged may now differ: stop appending.
                    self.failed.lock().get_or_insert_with(|| error.to_string());
                    for group in pending {
                        for (reply, result) in group.results {
                            reply.send(result.and_then(|_| Err(clone_error(&error))));
                        }
                    }
                }
            }
        }
    }
}

struct Group {
    batch: crate::engine::Batch,
    /// The texts of the group's events, written (and fsync'd) before the batch.
    texts: Vec<(u64, u32, crate::texts::StoredText)>,
    head: Head,
    versions: HashMap<String, u64>,
    commands: HashMap<String, CommandRecord>,
    written: bool,
}

fn truncate_to_micros(time: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(time.timestamp_micros()).unwrap_or(time)
}

/// Errors are not `Clone` (io errors are not); the writer needs to send one failure to many.
pub(crate) fn clone_error(error: &Error) -> Error {
    match error {
        Error::InvalidInput(m) => Error::InvalidInput(m.clone()),
        Error::Conflict {
            stream,
            expected,
            actual,
        } => Error::Conflict {
            stream: stream.clone(),
            expected: *expected,
            actual: *actual,
        },
        Error::Locked { path } => Error::Locked { path: path.clone() },
        Error::Io(io) => Error::Io(std::io::Error::new(io.kind(), io.to_string())),
        Error::Corruption { at, detail } => Error::Corruption {
            at: *at,
            detail: detail.clone(),
        },
        Error::UnknownFormat(m) => Error::UnknownFormat(m.clone()),
        Error::IncompleteImport => Error::IncompleteImport,
        Error::Closed => Error::Closed,
        Error::Bug(m) => Error::Bug(m.clone()),
    }
}

/// The version of the last event of a stream whose position is at most `max_position`
/// (0 when there is none).
pub(crate) fn last_stream_version(
    log: &crate::engine::Tree,
    stream_id: &str,
    max_position: u64,
) -> Result<u64, Error> {
    let prefix = keys::stream_prefix(stream_id);
    for entry in log.scan_prefix(&prefix, true) {
        let (key, value) = entry?;
        let position = keys::u64_value(&value).ok_or_else(|| Error::Corruption {
            at: None,
            detail: format!("stream index entry of {stream_id} is not a position"),
        })?;
        if position <= max_position {
            return keys::u64_value(&key[prefix.len()..]).ok_or_else(|| Error::Corruption {
                at: Some(position),
                detail: format!("stream index key of {stream_id} has no version"),
            });
        }
    }
    Ok(0)
}

pub(crate) fn load_command(
    log: &crate::engine::Tree,
    id: &str,
) -> Result<Option<CommandRecord>, Error> {
    match log.get(keys::command(id))? {
        None => Ok(None),
        Some(bytes) => codec::decode(&bytes)
            .map(Some)
            .map_err(|e| Error::Corruption {
                at: None,
                detail: format!("command index entry {id:?} does not decode: {e}"),
            }),
    }
}
