//! Export of the whole log to NDJSON, and import into an empty store.
//!
//! One line per event, in log order: every envelope field, the payload in base64 (standard
//! alphabet, with padding), the hashes in lowercase hex, and `command_fingerprint` (hex) from
//! the command-id index on lines that carry a command id, so that import can rebuild the index.
//! The key-value area is not exported.

use std::collections::HashSet;
use std::io::{BufRead, Write};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::chunk::Tail;
use crate::record::{self, keys};
use crate::writer::{ImportChunk, Message};
use crate::{CommandRecord, Envelope, Error, EventLog, Head, codec, validate_stream_id};

/// Records sent to the writer at a time during an import.
const IMPORT_CHUNK_EVENTS: usize = 10_000;

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Line {
    position: u64,
    event_id: Uuid,
    stream_id: String,
    stream_version: u64,
    event_type: String,
    schema_version: u16,
    recorded_at: DateTime<Utc>,
    effective_on: NaiveDate,
    actor: String,
    command_id: Option<String>,
    command_fingerprint: Option<String>,
    correlation_id: Option<Uuid>,
    causation_id: Option<Uuid>,
    payload: String,
    prev_hash: String,
    hash: String,
}

/// What an import did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportReport {
    pub n_events: u64,
    pub head: Head,
}

fn hash_from_hex(what: &str, text: &str) -> Result<[u8; 32], String> {
    let mut out = [0u8; 32];
    hex::decode_to_slice(text, &mut out)
        .map_err(|e| format!("{what} is not 32 bytes of hex: {e}"))?;
    Ok(out)
}

impl EventLog {
    /// Writes every acknowledged event, up to the head as it is now, one JSON object per line.
    /// Returns the number of events written.
    pub fn export_ndjson(&self, mut out: impl Write) -> Result<u64, Error> {
        let mut n_events = 0;
        let mut last_command: Option<(String, Option<String>)> = None;
        for envelope in self.read_all(1) {
            let envelope = envelope?;
            let command_fingerprint = match &envelope.command_id {
                None => None,
                Some(id) => match &last_command {
                    Some((last_id, fingerprint)) if last_id == id => fingerprint.clone(),
                    _ => {
                        let fingerprint = crate::writer::load_command(self.tree(), id)?
                            .map(|r| hex::encode(r.fingerprint));
                        last_command = Some((id.clone(), fingerprint.clone()));
                        fingerprint
                    }
                },
            };
            let line = Line {
                position: envelope.position,
                event_id: envelope.event_id,
                stream_id: envelope.stream_id,
                stream_version: envelope.stream_version,
                event_type: envelope.event_type,
                schema_version: envelope.schema_version,
                recorded_at: envelope.recorded_at,
                effective_on: envelope.effective_on,
                actor: envelope.actor,
                command_id: envelope.command_id,
                command_fingerprint,
                correlation_id: envelope.correlation_id,
                causation_id: envelope.causation_id,
                payload: BASE64.encode(&envelope.payload),
                prev_hash: hex::encode(envelope.prev_hash),
                hash: hex::encode(envelope.hash),
            };
            serde_json::to_writer(&mut out, &line)
                .map_err(|e| Error::Io(std::io::Error::other(e)))?;
            out.write_all(b"\n")?;
            n_events += 1;
        }
        out.flush()?;
        Ok(n_events)
    }

    /// Reads an export into this store, which must hold no event. Every line is checked: its
    /// hash is recomputed from its fields and must match, it must continue the chain
    /// (position, previous hash, stream version, recorded time). On the first bad line the
    /// import is refused and the store is emptied again. The result is flushed before return.
    ///
    /// The import is not crash-atomic: a crash during it leaves a verified prefix; delete the
    /// store and import again.
    pub fn import_ndjson(&self, input: impl BufRead) -> Result<ImportReport, Error> {
        if self.head().position != 0 || self.tree().iter().next().is_some() {
            return Err(Error::InvalidInput(
                "import needs a store without events".to_owned(),
            ));
        }
        match self.import_lines(input) {
            Ok(report) => {
                self.flush()?;
                Ok(report)
            }
            Err(error) => {
                self.request_blocking(|reply| Message::AbortImport { reply })?;
                Err(error)
            }
        }
    }

    fn import_lines(&self, input: impl BufRead) -> Result<ImportReport, Error> {
        let mut state = ImportState {
            head: Head::EMPTY,
            chunk_start: Head::EMPTY,
            versions: std::collections::HashMap::new(),
            writes: Vec::new(),
            n_in_chunk: 0,
            tail: Tail::empty(1),
            written: Head::EMPTY,
            command: None,
            seen_commands: HashSet::new(),
        };
        let mut n_events = 0u64;
        for (index, line) in input.lines().enumerate() {
            let line = line?;
            if line.trim().is_empty() {
                continue;
            }
            let line_number = index + 1;
            let refuse =
                |why: String| Error::InvalidInput(format!("import line {line_number}: {why}"));
            let parsed: Line = serde_json::from_str(&line).map_err(|e| refuse(e.to_string()))?;
            state.add(parsed).map_err(refuse)?;
            n_events += 1;
            if state.n_in_chunk >= IMPORT_CHUNK_EVENTS {
                self.send_chunk(&mut state, false)?;
            }
        }
        state.finish_command();
        self.send_chunk(&mut state, true)?;
        Ok(ImportReport {
            n_events,
            head: state.head,
        })
    }

    /// Sends what is ready to the writer: sealed chunks (and their index entries), and on the
    /// last call the records of the unsealed tail.
    fn send_chunk(&self, state: &mut ImportState, last: bool) -> Result<(), Error> {
        if last {
            for (position, record) in (state.tail.first..).zip(&state.tail.records) {
                state
                    .writes
                    .push((keys::tail(position).to_vec(), record.clone()));
            }
            // Slots not written here may hold nothing or a record of another position; both
            // are ignored by readers, who check the position a slot's record says.
            state.written = state.head;
        }
        if state.writes.is_empty() {
            return Ok(());
        }
        let chunk = ImportChunk {
            after: (state.chunk_start.position, state.chunk_start.hash),
            writes: std::mem::take(&mut state.writes),
            head: state.written,
        };
        self.request_blocking(|reply| Message::Import { chunk, reply })?;
        state.chunk_start = state.written;
        state.n_in_chunk = 0;
        Ok(())
    }
}

struct ImportState {
    head: Head,
    chunk_start: Head,
    versions: std::collections::HashMap<String, u64>,
    writes: Vec<(Vec<u8>, Vec<u8>)>,
    n_in_chunk: usize,
    /// The records not yet sealed into a chunk.
    tail: Tail,
    /// The head of the last record written (sealed), which is what the writer's head becomes
    /// after a message.
    written: Head,
    /// The command whose events are being read; its events are contiguous in the log.
    command: Option<(String, CommandRecord)>,
    seen_commands: HashSet<String>,
}

impl ImportState {
    fn add(&mut self, line: Line) -> Result<(), String> {
        let expected_position = self.head.position + 1;
        if line.position != expected_position {
            return Err(format!(
                "position {} where {expected_position} was expected",
                line.position
            ));
        }
        validate_stream_id(&line.stream_id).map_err(|e| e.to_string())?;
        let envelope = Envelope {
            position: line.position,
            event_id: line.event_id,
            stream_id: line.stream_id,
            stream_version: line.stream_version,
            event_type: line.event_type,
            schema_version: line.schema_version,
            recorded_at: line.recorded_at,
            effective_on: line.effective_on,
            actor: line.actor,
            command_id: line.command_id,
            correlation_id: line.correlation_id,
            causation_id: line.causation_id,
            payload: BASE64
                .decode(&line.payload)
                .map_err(|e| format!("payload is not base64: {e}"))?,
            prev_hash: hash_from_hex("prev_hash", &line.prev_hash)?,
            hash: hash_from_hex("hash", &line.hash)?,
        };
        let position = envelope.position;
        if envelope.prev_hash != self.head.hash {
            return Err(format!(
                "the chain is broken at position {position}: its previous hash is not the hash of position {}",
                self.head.position
            ));
        }
        if self
            .head
            .recorded_at
            .is_some_and(|previous| envelope.recorded_at < previous)
        {
            return Err(format!("recorded time goes back at position {position}"));
        }
        if !envelope
            .recorded_at
            .timestamp_subsec_nanos()
            .is_multiple_of(1000)
        {
            return Err(format!(
                "recorded time at position {position} is finer than a microsecond"
            ));
        }
        let version = self.versions.entry(envelope.stream_id.clone()).or_insert(0);
        if envelope.stream_version != *version + 1 {
            return Err(format!(
                "stream {} goes from version {} to {} at position {position}",
                envelope.stream_id, version, envelope.stream_version
            ));
        }
        *version += 1;
        let (bytes, hash) =
            record::encode_record(&record::canonical_of(&envelope)).map_err(|e| e.to_string())?;
        if hash != envelope.hash {
            return Err(format!(
                "the chain is broken at position {position}: its hash does not match its contents"
            ));
        }
        self.track_command(&envelope, line.command_fingerprint.as_deref())?;
        self.tail.push(bytes);
        self.writes.push((
            keys::stream(&envelope.stream_id, envelope.stream_version),
            position.to_be_bytes().to_vec(),
        ));
        self.n_in_chunk += 1;
        self.head = Head {
            position,
            hash,
            recorded_at: Some(envelope.recorded_at),
        };
        if self.tail.is_full() {
            self.writes.push((
                keys::event(self.tail.first).to_vec(),
                self.tail.chunk_bytes(),
            ));
            self.tail = Tail::empty(position + 1);
            self.written = self.head;
        }
        Ok(())
    }

    fn track_command(
        &mut self,
        envelope: &Envelope,
        fingerprint: Option<&str>,
    ) -> Result<(), String> {
        let Some(id) = &envelope.command_id else {
            self.finish_command();
            return Ok(());
        };
        let fingerprint = hash_from_hex(
            "command_fingerprint",
            fingerprint.ok_or("a line with a command id has no command_fingerprint")?,
        )?;
        match &mut self.command {
            Some((current, record)) if current == id => {
                if record.fingerprint != fingerprint {
                    return Err(format!("command {id} changes fingerprint"));
                }
                record.last_position = envelope.position;
                match record
                    .stream_versions
                    .iter_mut()
                    .find(|(s, _)| *s == envelope.stream_id)
                {
                    Some(entry) => entry.1 = envelope.stream_version,
                    None => record
                        .stream_versions
                        .push((envelope.stream_id.clone(), envelope.stream_version)),
                }
            }
            _ => {
                self.finish_command();
                if !self.seen_commands.insert(id.clone()) {
                    return Err(format!("command {id} appears in two separate appends"));
                }
                self.command = Some((
                    id.clone(),
                    CommandRecord {
                        fingerprint,
                        first_position: envelope.position,
                        last_position: envelope.position,
                        stream_versions: vec![(
                            envelope.stream_id.clone(),
                            envelope.stream_version,
                        )],
                    },
                ));
            }
        }
        Ok(())
    }

    fn finish_command(&mut self) {
        if let Some((id, record)) = self.command.take() {
            // Encoding a plain struct into a Vec cannot fail.
            if let Ok(bytes) = codec::encode(&record) {
                self.writes.push((keys::command(&id), bytes));
            }
        }
    }
}
