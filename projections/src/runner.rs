//! The projection runner: the live [`ReadModel`] in memory, fed by the log in order.
//!
//! [`Projector::start`] loads the last snapshot from its file beside the log, catches up
//! synchronously from its checkpoint to the head (so that the first reader already sees every
//! acknowledged event), then follows the log on a thread of its own. Readers take a shared lock
//! ([`Projector::read`]); the thread takes the exclusive lock once per batch of decoded events.
//!
//! Invariants:
//! - Events are applied in log order, each exactly once; an event that does not decode stops
//!   the projector loudly (logged, and [`Projector::status`] / [`Projector::wait_for`] report
//!   it): it is never skipped.
//! - A snapshot is written atomically (one file, written to a copy then renamed:
//!   `EventLog::write_file`); it holds texts that may be erased, so it is never given to sled,
//!   which keeps overwritten values in its files for a while. One that is of
//!   another layout, does not decode, or does not match the log (checkpoint beyond the head, or
//!   another event's hash at its checkpoint) is discarded with a warning and the model rebuilt
//!   from position 1: never a crash.
//! - Saving a snapshot encodes the model under the *shared* lock, on the runner's own thread:
//!   readers are never blocked by it, only the application of newer events waits.
//!
//! # Snapshot format
//!
//! The file `files/projections.snapshot` of the store:
//! - a header: `b"CHRQSNAP"`, the layout version (`u32` big-endian), the
//!   checkpoint position (`u64` big-endian), the hash of the event at the checkpoint (32 bytes,
//!   zero for position 0), the body's length and its FNV-1a 64 checksum (`u64` big-endian
//!   each): 68 bytes;
//! - then the body: `eventlog::codec::encode(&ReadModel)`.
//!
//! Builds before erasable texts kept it in sled's tree `projections`; it is removed at start.
//!
//! The checksum is checked before decoding: the codec trusts length prefixes, so damaged bytes
//! could otherwise ask for an absurd allocation. A body of an older shape under the *same*
//! layout version is caught only if it fails to decode: hence the rule to bump the version.

use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use eventlog::{EventLog, KvBatch, RawRecord};
use parking_lot::{Mutex, RwLock, RwLockReadGuard};
use tokio::sync::watch;

use crate::model::ReadModel;
use crate::recorded::{ReadError, RecordedEvent};

/// The layout of the snapshot body. **Bump it whenever the shape of [`ReadModel`] (or of
/// anything it contains: `ProgrammeView`, `EventRef`, the domain states) changes**: bincode
/// would otherwise decode an old snapshot into garbage, or fail. A snapshot of another layout is
/// discarded and the model rebuilt from the log.
///
/// 2: actions in their compact form with the programme's strings, 40-byte `EventRef`s, the
/// "superseded by" positions beside them. 3: subjects as (kind, string), 32-byte `EventRef`s
/// without their amount, the cancelled amounts beside. 4: partners with their legal form and
/// RNA number, funders with their payer, the event kind `PartnerLegalFormSet`. 5: actions with
/// their renewal, report deadline and reviews; the programme with its schools and its revues
/// de projet; the event kinds of #12.
pub const SNAPSHOT_LAYOUT_VERSION: u32 = 5;

/// The key-value tree holding the snapshot.
pub const SNAPSHOT_TREE: &str = "projections";
/// The snapshot's file beside the log (`EventLog::write_file`): header, then body.
pub const SNAPSHOT_FILE: &str = "projections.snapshot";
/// Where builds before erasable texts kept the snapshot, in sled: removed at start.
const HEADER_KEY: &[u8] = b"snapshot-header";
const BODY_KEY: &[u8] = b"snapshot-body";
const MAGIC: &[u8; 8] = b"CHRQSNAP";
const HEADER_LEN: usize = 8 + 4 + 8 + 32 + 8 + 8;

/// Events decoded before taking the write lock once to apply them all.
const BATCH: usize = 512;

/// How the runner behaves.
#[derive(Debug, Clone)]
pub struct ProjectorOptions {
    /// Save a snapshot every this many applied events (and at shutdown). 0: only at shutdown.
    pub snapshot_every: u64,
}

impl Default for ProjectorOptions {
    fn default() -> Self {
        ProjectorOptions {
            snapshot_every: 10_000,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ProjectorError {
    /// An event does not decode (unknown type or version, malformed payload, unknown stream).
    #[error(transparent)]
    Read(#[from] ReadError),
    #[error("event log: {0}")]
    Log(#[from] eventlog::Error),
    #[error("cannot start the projector thread: {0}")]
    Thread(#[from] std::io::Error),
}

/// Why [`Projector::wait_for`] did not see its position.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WaitError {
    #[error("the read model did not reach position {position} within {timeout:?} (at {applied})")]
    Timeout {
        position: u64,
        applied: u64,
        timeout: Duration,
    },
    #[error("the projector has failed: {0}")]
    Failed(String),
    #[error("the projector is stopped (at position {applied})")]
    Stopped { applied: u64 },
}

/// Where the runner stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    Live,
    /// An event did not decode, or the log failed: nothing more is applied.
    Failed(String),
    /// [`Projector::shutdown`] was called.
    Stopped,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Progress {
    applied: u64,
    status: Status,
}

/// What the start-up did, for the log and the tests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StartReport {
    /// The checkpoint of the snapshot used, if one was.
    pub snapshot_position: Option<u64>,
    /// Why a snapshot found was not used.
    pub snapshot_discarded: Option<String>,
    /// Events applied to catch up before serving.
    pub caught_up: u64,
}

/// A cloneable handle on the live read model.
#[derive(Clone)]
pub struct Projector {
    inner: Arc<Inner>,
}

struct Inner {
    // Before `log`: fields drop in order, and the log's last handle waits on drop until no
    // sled handle of its store is left, this tree included.
    log: EventLog,
    model: RwLock<ReadModel>,
    progress: watch::Sender<Progress>,
    stop: watch::Sender<bool>,
    thread: Mutex<Option<JoinHandle<()>>>,
    start_report: StartReport,
    options: ProjectorOptions,
    /// Serialises snapshot writes (the live thread and `save_snapshot` callers).
    saving: Mutex<()>,
}

impl std::fmt::Debug for Projector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Projector")
            .field("position", &self.position())
            .field("status", &self.status())
            .finish()
    }
}

impl Projector {
    /// Loads the snapshot, catches up to the head, then follows the log on a thread of its own.
    /// Works from plain sync code and from inside a tokio runtime (it blocks while catching up:
    /// call it from `spawn_blocking` in an async context if that matters).
    pub fn start(log: &EventLog, options: ProjectorOptions) -> Result<Projector, ProjectorError> {
        forget_snapshot_in_sled(log)?;
        let (mut model, snapshot_position, snapshot_discarded) = match load_snapshot(log)? {
            SnapshotLoad::Loaded(model) => {
                let p = model.position();
                (model, Some(p), None)
            }
            SnapshotLoad::Missing => (ReadModel::default(), None, None),
            SnapshotLoad::Discarded(reason) => {
                tracing::warn!(%reason, "projection snapshot discarded; rebuilding from position 1");
                (ReadModel::default(), None, Some(reason))
            }
        };
        let from = model.position() + 1;
        let head = log.head().position;
        let caught_up = apply_range(log, &mut model, from, head)?;
        tracing::info!(
            snapshot = ?snapshot_position,
            caught_up,
            position = model.position(),
            "projections caught up"
        );
        let applied = model.position();
        let (progress, _) = watch::channel(Progress {
            applied,
            status: Status::Live,
        });
        let (stop, stop_rx) = watch::channel(false);
        let projector = Projector {
            inner: Arc::new(Inner {
                log: log.clone(),
                model: RwLock::new(model),
                progress,
                stop,
                thread: Mutex::new(None),
                start_report: StartReport {
                    snapshot_position,
                    snapshot_discarded,
                    caught_up,
                },
                options,
                saving: Mutex::new(()),
            }),
        };
        // A long catch-up is worth keeping: the runner thread saves a snapshot first thing
        // (not here, so that serving starts without waiting for it).
        let since_snapshot = applied - snapshot_position.unwrap_or(0);
        let weak = Arc::downgrade(&projector.inner);
        let thread = std::thread::Builder::new()
            .name("projections".to_owned())
            .spawn(move || live_loop(weak, applied + 1, since_snapshot, stop_rx))?;
        *projector.inner.thread.lock() = Some(thread);
        Ok(projector)
    }

    /// What the start-up did (snapshot used or discarded, events caught up).
    pub fn start_report(&self) -> &StartReport {
        &self.inner.start_report
    }

    /// Reads the live model under the shared lock. Keep `f` short: the runner waits for it
    /// before applying newer events.
    pub fn read<R>(&self, f: impl FnOnce(&ReadModel) -> R) -> R {
        f(&self.inner.model.read())
    }

    /// The shared lock on the live model itself (do not hold it across an `.await`).
    pub fn guard(&self) -> RwLockReadGuard<'_, ReadModel> {
        self.inner.model.read()
    }

    /// The position of the last event applied.
    pub fn position(&self) -> u64 {
        self.inner.progress.borrow().applied
    }

    /// How many acknowledged events are not applied yet (log head − applied position).
    pub fn lag(&self) -> u64 {
        self.inner
            .log
            .head()
            .position
            .saturating_sub(self.position())
    }

    pub fn status(&self) -> Status {
        self.inner.progress.borrow().status.clone()
    }

    /// The log this projector follows.
    pub fn log(&self) -> &EventLog {
        &self.inner.log
    }

    /// Waits until the model has applied `position` (read-your-writes). Returns at once when it
    /// already has, even if the projector has stopped since.
    pub async fn wait_for(&self, position: u64, timeout: Duration) -> Result<(), WaitError> {
        let mut receiver = self.inner.progress.subscribe();
        let outcome = tokio::time::timeout(
            timeout,
            receiver.wait_for(|p| p.applied >= position || p.status != Status::Live),
        )
        .await;
        let progress = match outcome {
            Ok(Ok(progress)) => progress.clone(),
            // The sender lives in `Inner`, which `self` keeps alive: it cannot be dropped.
            Ok(Err(_)) => self.inner.progress.borrow().clone(),
            Err(_) => {
                return Err(WaitError::Timeout {
                    position,
                    applied: self.position(),
                    timeout,
                });
            }
        };
        if progress.applied >= position {
            return Ok(());
        }
        match progress.status {
            Status::Failed(reason) => Err(WaitError::Failed(reason)),
            Status::Stopped => Err(WaitError::Stopped {
                applied: progress.applied,
            }),
            Status::Live => Err(WaitError::Timeout {
                position,
                applied: progress.applied,
                timeout,
            }),
        }
    }

    /// Saves a snapshot of the live model now (encoded under the shared lock).
    pub fn save_snapshot(&self) -> Result<(), ProjectorError> {
        let _saving = self.inner.saving.lock();
        let started = Instant::now();
        let (position, body) = {
            let model = self.inner.model.read();
            (model.position(), eventlog::codec::encode(&*model)?)
        };
        let encoded = started.elapsed();
        write_snapshot(&self.inner.log, position, &body)?;
        tracing::debug!(
            position,
            bytes = body.len(),
            ?encoded,
            total = ?started.elapsed(),
            "projection snapshot saved"
        );
        Ok(())
    }

    /// Replaces the live model with `model` (from [`rebuild`]) and saves it as the snapshot.
    ///
    /// The runner is paused for the swap: `model` is first brought up to the live position if
    /// it is behind. A model ahead of the runner is fine: the runner skips the events it
    /// already holds ([`ReadModel::apply`] ignores them).
    pub fn replace(&self, mut model: ReadModel) -> Result<(), ProjectorError> {
        {
            let mut live = self.inner.model.write();
            let target = live.position();
            let from = model.position() + 1;
            if from <= target {
                apply_range(&self.inner.log, &mut model, from, target)?;
            }
            *live = model;
            let applied = live.position();
            self.inner.progress.send_modify(|p| p.applied = applied);
        }
        self.save_snapshot()
    }

    /// Stops following the log (nothing more is applied), joins the runner thread and saves a
    /// snapshot. Blocking for as long as the runner takes to finish its current batch; calling
    /// it again does nothing more than save again.
    pub fn shutdown(&self) -> Result<(), ProjectorError> {
        self.inner.stop.send_replace(true);
        let thread = self.inner.thread.lock().take();
        if let Some(thread) = thread
            && thread.join().is_err()
        {
            tracing::error!("the projection thread panicked");
        }
        self.inner.progress.send_modify(|p| {
            if p.status == Status::Live {
                p.status = Status::Stopped;
            }
        });
        self.save_snapshot()
    }

    /// [`Projector::shutdown`] from an async context (on the blocking pool).
    pub async fn shutdown_async(&self) -> Result<(), ProjectorError> {
        let this = self.clone();
        match tokio::task::spawn_blocking(move || this.shutdown()).await {
            Ok(result) => result,
            Err(error) => Err(ProjectorError::Thread(std::io::Error::other(error))),
        }
    }
}

/// The runner thread: follows the log from `next` until stopped or failed.
fn live_loop(
    inner: std::sync::Weak<Inner>,
    next: u64,
    mut since_snapshot: u64,
    mut stop: watch::Receiver<bool>,
) {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            if let Some(inner) = inner.upgrade() {
                fail(
                    &inner,
                    format!("cannot start the projection runtime: {error}"),
                );
            }
            return;
        }
    };
    let Some(log) = inner.upgrade().map(|i| i.log.clone()) else {
        return;
    };
    let mut subscription = log.subscribe(next);
    drop(log);
    if let Some(inner) = inner.upgrade() {
        let every = inner.options.snapshot_every;
        if every > 0 && since_snapshot >= every {
            since_snapshot = 0;
            if let Err(error) = (Projector { inner }).save_snapshot() {
                tracing::warn!(%error, "cannot save the projection snapshot after catching up");
            }
        }
    }
    runtime.block_on(async move {
        let mut batch: Vec<RecordedEvent> = Vec::with_capacity(BATCH);
        loop {
            // Wait for one event or the stop signal.
            let first = tokio::select! {
                biased;
                _ = stop.wait_for(|s| *s) => return,
                envelope = subscription.next() => envelope,
            };
            let Some(inner) = inner.upgrade() else { return };
            if *stop.borrow() {
                return;
            }
            let mut envelope = first;
            loop {
                match envelope
                    .map_err(ProjectorError::from)
                    .and_then(|e| RecordedEvent::from_envelope(&e).map_err(ProjectorError::from))
                {
                    Ok(event) => batch.push(event),
                    Err(error) => {
                        apply_batch(&inner, &mut batch);
                        fail(&inner, error.to_string());
                        return;
                    }
                }
                if batch.len() >= BATCH {
                    break;
                }
                envelope = match subscription.try_next() {
                    Ok(Some(e)) => Ok(e),
                    Ok(None) => break,
                    Err(error) => Err(error),
                };
            }
            since_snapshot += batch.len() as u64;
            apply_batch(&inner, &mut batch);
            let every = inner.options.snapshot_every;
            if every > 0 && since_snapshot >= every {
                since_snapshot = 0;
                let projector = Projector {
                    inner: inner.clone(),
                };
                if let Err(error) = projector.save_snapshot() {
                    tracing::warn!(%error, "cannot save the projection snapshot");
                }
            }
        }
    });
}

fn apply_batch(inner: &Inner, batch: &mut Vec<RecordedEvent>) {
    if batch.is_empty() {
        return;
    }
    let applied = {
        let mut model = inner.model.write();
        for event in batch.iter() {
            model.apply(event);
        }
        model.position()
    };
    batch.clear();
    inner.progress.send_modify(|p| p.applied = applied);
}

fn fail(inner: &Inner, reason: String) {
    tracing::error!(%reason, "the projector stopped: an event could not be applied");
    inner
        .progress
        .send_modify(|p| p.status = Status::Failed(reason));
}

/// Decodes and applies the events `from..=to` (capped at the head); returns how many.
///
/// Long ranges (start-up, rebuild) are pipelined over the two cores: this thread reads the
/// envelopes from the log and folds, a decoder thread turns chunks of envelopes into events
/// meanwhile. Events still reach the fold one by one, in log order; an envelope that cannot be
/// read or decoded stops the range there, after the events before it were applied.
///
/// Why the log is read on this thread rather than the helper's: sled keeps the pages it reads
/// in its cache, allocated by the thread that read them. Read by a helper thread, they lived in
/// an allocator arena of their own, whose freed pages (evicted ones) stayed resident beside
/// the cached ones: about 25 MB more for the 1M-event log than with one arena.
fn apply_range(
    log: &EventLog,
    model: &mut ReadModel,
    from: u64,
    to: u64,
) -> Result<u64, ProjectorError> {
    let to = to.min(log.head().position);
    if from > to {
        return Ok(0);
    }
    if to - from < PIPELINE_THRESHOLD {
        let mut n = 0;
        for envelope in log.read_range(from, to) {
            model.apply(&RecordedEvent::from_envelope(&envelope?)?);
            n += 1;
        }
        return Ok(n);
    }
    // The envelopes travel back with their events, to be freed by the thread that allocated
    // them (a free into another thread's arena takes that arena's lock).
    type Decoded = (Vec<RecordedEvent>, Option<ProjectorError>, Vec<RawRecord>);
    let (to_decoder, work) = std::sync::mpsc::sync_channel::<Work>(PIPELINE_DEPTH + 1);
    let (decoded_sender, decoded) = std::sync::mpsc::sync_channel::<Decoded>(PIPELINE_DEPTH);
    let decoder = std::thread::Builder::new()
        .name("projections-decoder".to_owned())
        .spawn(move || {
            for work in work {
                let chunk = match work {
                    Work::Decode(chunk) => chunk,
                    Work::Drop(events) => {
                        drop(events);
                        continue;
                    }
                };
                let mut events = Vec::with_capacity(chunk.len());
                let mut failure = None;
                for record in &chunk {
                    let event = record
                        .decode()
                        .map_err(ProjectorError::from)
                        .and_then(|e| RecordedEvent::from_envelope(&e).map_err(Into::into));
                    match event {
                        Ok(event) => events.push(event),
                        Err(error) => {
                            failure = Some(error);
                            break;
                        }
                    }
                }
                let stop = failure.is_some();
                if decoded_sender.send((events, failure, chunk)).is_err() || stop {
                    return;
                }
            }
        })?;
    let mut reading = log.read_range_raw(from, to);
    // Whether the log has more to read; why not, when it stopped on an error.
    let mut read_end: Option<Option<ProjectorError>> = None;
    let mut in_flight = 0usize;
    let mut n = 0;
    let mut failure = None;
    loop {
        // Keep the decoder supplied, up to PIPELINE_DEPTH chunks ahead of the fold.
        while read_end.is_none() && in_flight < PIPELINE_DEPTH {
            let mut chunk = Vec::with_capacity(PIPELINE_CHUNK);
            for record in reading.by_ref().take(PIPELINE_CHUNK) {
                match record {
                    Ok(record) => chunk.push(record),
                    Err(error) => {
                        read_end = Some(Some(error.into()));
                        break;
                    }
                }
            }
            if chunk.len() < PIPELINE_CHUNK {
                read_end.get_or_insert(None);
            }
            if chunk.is_empty() {
                break;
            }
            if to_decoder.send(Work::Decode(chunk)).is_err() {
                break;
            }
            in_flight += 1;
        }
        if in_flight == 0 {
            break;
        }
        let Ok((events, decode_failure, records)) = decoded.recv() else {
            break;
        };
        in_flight -= 1;
        drop(records);
        for event in &events {
            model.apply(event);
        }
        n += events.len() as u64;
        // Freed by the thread that allocated them, in its own arena.
        let _ = to_decoder.send(Work::Drop(events));
        if let Some(error) = decode_failure {
            failure = Some(error);
            break;
        }
    }
    drop(to_decoder);
    drop(decoded);
    if decoder.join().is_err() {
        return Err(ProjectorError::Thread(std::io::Error::other(
            "the projection decoder thread panicked",
        )));
    }
    match failure.or(read_end.flatten()) {
        Some(error) => Err(error),
        None => Ok(n),
    }
}

/// What the decoder thread of [`apply_range`] is given.
enum Work {
    Decode(Vec<RawRecord>),
    /// Events folded, to be freed.
    Drop(Vec<RecordedEvent>),
}

/// Below this many events, catching up reads and folds on the calling thread.
const PIPELINE_THRESHOLD: u64 = 4_096;
/// Envelopes decoded per message of the pipeline: small messages keep both threads busy more
/// evenly than a few large ones, and their buffers are reused by the allocator.
const PIPELINE_CHUNK: usize = 256;
/// Messages the reader may be ahead of the fold (2 048 events).
const PIPELINE_DEPTH: usize = 8;

/// The model from position 1 to the head, ignoring any snapshot (`chronique rebuild`).
pub fn rebuild(log: &EventLog) -> Result<ReadModel, ProjectorError> {
    let mut model = ReadModel::default();
    apply_range(log, &mut model, 1, log.head().position)?;
    Ok(model)
}

/// What [`load_snapshot`] found.
#[derive(Debug)]
pub enum SnapshotLoad {
    Missing,
    Loaded(ReadModel),
    /// A snapshot is there but must not be used; why.
    Discarded(String),
}

/// Reads the snapshot and checks it against the log (layout, length, decoding, checkpoint
/// within the head, hash of the event at the checkpoint).
pub fn load_snapshot(log: &EventLog) -> Result<SnapshotLoad, ProjectorError> {
    let Some(file) = log.read_file(SNAPSHOT_FILE)? else {
        return Ok(SnapshotLoad::Missing);
    };
    let (header, body) = file.split_at(file.len().min(HEADER_LEN));
    let discard = |reason: String| Ok(SnapshotLoad::Discarded(reason));
    if header.len() != HEADER_LEN || &header[..8] != MAGIC {
        return discard("the snapshot header is not one this build writes".to_owned());
    }
    let layout = u32::from_be_bytes(header[8..12].try_into().unwrap_or_default());
    let position = u64::from_be_bytes(header[12..20].try_into().unwrap_or_default());
    let hash: [u8; 32] = header[20..52].try_into().unwrap_or_default();
    let body_len = u64::from_be_bytes(header[52..60].try_into().unwrap_or_default());
    let checksum = u64::from_be_bytes(header[60..68].try_into().unwrap_or_default());
    if layout != SNAPSHOT_LAYOUT_VERSION {
        return discard(format!(
            "snapshot layout {layout}, this build reads layout {SNAPSHOT_LAYOUT_VERSION}"
        ));
    }
    let head = log.head().position;
    if position > head {
        return discard(format!(
            "snapshot checkpoint {position} is beyond the log head {head}"
        ));
    }
    if event_hash(log, position)? != hash {
        return discard(format!(
            "the event at the snapshot checkpoint {position} is not the one snapshotted"
        ));
    }
    if body.len() as u64 != body_len {
        return discard(format!(
            "snapshot body of {} bytes, header says {body_len}",
            body.len()
        ));
    }
    if fnv1a(body) != checksum {
        return discard("the snapshot body does not match its checksum".to_owned());
    }
    let model: ReadModel = match eventlog::codec::decode(body) {
        Ok(model) => model,
        Err(error) => return discard(format!("the snapshot body does not decode: {error}")),
    };
    if model.position() != position {
        return discard(format!(
            "the snapshot body is at position {}, its header says {position}",
            model.position()
        ));
    }
    Ok(SnapshotLoad::Loaded(model))
}

/// Saves `model` as the snapshot (atomically: header and body in one batch, then flushed).
pub fn save_snapshot(log: &EventLog, model: &ReadModel) -> Result<(), ProjectorError> {
    let body = eventlog::codec::encode(model)?;
    write_snapshot(log, model.position(), &body)
}

fn event_hash(log: &EventLog, position: u64) -> Result<[u8; 32], ProjectorError> {
    if position == 0 {
        return Ok([0; 32]);
    }
    Ok(log.get(position)?.map_or([0xff; 32], |e| e.hash))
}

fn write_snapshot(log: &EventLog, position: u64, body: &[u8]) -> Result<(), ProjectorError> {
    write_snapshot_as(log, SNAPSHOT_LAYOUT_VERSION, position, body)
}

/// Writes a snapshot with any layout, position and body: for tests of the rules that discard
/// snapshots (the runner itself writes only [`SNAPSHOT_LAYOUT_VERSION`]).
pub fn write_raw_snapshot(
    log: &EventLog,
    layout: u32,
    position: u64,
    body: &[u8],
) -> Result<(), ProjectorError> {
    write_snapshot_as(log, layout, position, body)
}

/// FNV-1a, 64 bits: enough to tell damaged bytes, and no dependency.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &b| {
        (hash ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

fn write_snapshot_as(
    log: &EventLog,
    layout: u32,
    position: u64,
    body: &[u8],
) -> Result<(), ProjectorError> {
    let mut header = Vec::with_capacity(HEADER_LEN);
    header.extend_from_slice(MAGIC);
    header.extend_from_slice(&layout.to_be_bytes());
    header.extend_from_slice(&position.to_be_bytes());
    header.extend_from_slice(&event_hash(log, position)?);
    header.extend_from_slice(&(body.len() as u64).to_be_bytes());
    header.extend_from_slice(&fnv1a(body).to_be_bytes());
    header.extend_from_slice(body);
    log.write_file(SNAPSHOT_FILE, &header)?;
    Ok(())
}

/// Removes the snapshot (the next start rebuilds from position 1).
pub fn discard_snapshot(log: &EventLog) -> Result<(), ProjectorError> {
    log.remove_file(SNAPSHOT_FILE)?;
    Ok(())
}

/// Removes a snapshot that an earlier build kept in sled's key-value area (it holds texts that
/// must be erasable; sled is never given them again).
fn forget_snapshot_in_sled(log: &EventLog) -> Result<(), ProjectorError> {
    let kv = log.kv_tree(SNAPSHOT_TREE)?;
    if kv.get(HEADER_KEY)?.is_some() || kv.get(BODY_KEY)?.is_some() {
        let mut batch = KvBatch::default();
        batch.remove(HEADER_KEY);
        batch.remove(BODY_KEY);
        kv.apply(batch)?;
        kv.flush()?;
    }
    Ok(())
}
