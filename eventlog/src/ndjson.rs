//! Export of the whole log to NDJSON, and import into an empty store.
//!
//! One line per event, in log order: every envelope field, the payload in base64 (standard
//! alphabet, with padding), the hashes in lowercase hex, and `command_fingerprint` (hex) from
//! the command-id index on lines that carry a command id, so that import can rebuild the index.
//! The key-value area is not exported.
//!
//! # The last line (trailer)
//!
//! After the events comes one line that is not an event:
//!
//! ```text
//! {"trailer":{"events":422,"headPosition":422,"headHash":"9f86d0…"}}
//! ```
//!
//! `events` is the number of event lines, `headPosition` and `headHash` (lowercase hex) the
//! head the export was read up to (a consistent prefix: the head when the export started). An
//! event line never has a `trailer` key, so the two cannot be confused. A file cut anywhere,
//! even at a line boundary, lacks this line or disagrees with it, and import refuses it.
//! Exports made before the trailer existed are imported only with
//! [`ImportOptions::require_trailer`] set to `false` (`chronique import --no-trailer-check`).
//!
//! Import reads the file twice: a first pass checks every line, the chain and the trailer
//! without writing anything; only a file that passes is written, by the second pass. A refused
//! file therefore leaves the store as it was. Messages of refusal are in French: they reach
//! the operator as they are.

use std::collections::HashSet;
use std::io::{BufRead, Seek, SeekFrom, Write};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::chunk::Tail;
use crate::record::{self, keys};
use crate::texts::StoredText;
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
    /// Format 1: the actor's name. Format 2: the actor's stable id.
    actor: String,
    /// Format 2 only: the actor's role. Its presence is what marks a line as format 2.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    actor_role: Option<String>,
    command_id: Option<String>,
    command_fingerprint: Option<String>,
    correlation_id: Option<Uuid>,
    causation_id: Option<Uuid>,
    payload: String,
    /// Format 2: the commitments of the event's erasable texts, in hex (chained).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    text_commitments: Vec<String>,
    /// The texts themselves, kept or erased (not chained).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    texts: Vec<TextLine>,
    prev_hash: String,
    hash: String,
}

/// One erasable text in an export: its words and salt, or what its erasure left.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "lowercase", deny_unknown_fields)]
enum TextLine {
    Kept { salt: String, text: String },
    Erased(crate::texts::Tombstone),
}

/// What an import read, or what an export wrote: the number of events and the head.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportReport {
    pub n_events: u64,
    pub head: Head,
}

fn hash_from_hex(what: &str, text: &str) -> Result<[u8; 32], String> {
    let mut out = [0u8; 32];
    hex::decode_to_slice(text, &mut out)
        .map_err(|e| format!("{what} n'est pas une empreinte de 32 octets en hexadécimal ({e})"))?;
    Ok(out)
}

/// The last line of an export (see the module documentation).
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct TrailerLine {
    trailer: Trailer,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Trailer {
    events: u64,
    head_position: u64,
    head_hash: String,
}

/// How strictly an import checks the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportOptions {
    /// Refuse a file whose last line is not a trailer agreeing with what was read (the
    /// default). `false` only for exports made before the trailer existed.
    pub require_trailer: bool,
    /// Refuse unless the imported head hash is this one (kept apart from the file by a
    /// careful operator).
    pub expect_head: Option<[u8; 32]>,
}

impl Default for ImportOptions {
    fn default() -> Self {
        ImportOptions {
            require_trailer: true,
            expect_head: None,
        }
    }
}

/// The lines of an export, each ending with a newline, read lazily up to the head as it was
/// when [`EventLog::export_lines`] was called, then the trailer.
pub struct ExportLines {
    log: EventLog,
    records: Box<dyn Iterator<Item = Result<Envelope, Error>> + Send>,
    head: Head,
    n_events: u64,
    last_command: Option<(String, Option<String>)>,
    done: bool,
}

impl ExportLines {
    /// The head the export reads up to (the one its trailer names).
    pub fn head(&self) -> Head {
        self.head
    }

    /// Event lines produced so far.
    pub fn n_events(&self) -> u64 {
        self.n_events
    }

    fn event_line(&mut self, envelope: Envelope) -> Result<String, Error> {
        let command_fingerprint = match &envelope.command_id {
            None => None,
            Some(id) => match &self.last_command {
                Some((last_id, fingerprint)) if last_id == id => fingerprint.clone(),
                _ => {
                    let fingerprint = crate::writer::load_command(self.log.tree(), id)?
                        .map(|r| hex::encode(r.fingerprint));
                    self.last_command = Some((id.clone(), fingerprint.clone()));
                    fingerprint
                }
            },
        };
        let texts = envelope
            .texts
            .iter()
            .map(|text| match text {
                StoredText::Kept { salt, text } => Ok(TextLine::Kept {
                    salt: hex::encode(salt),
                    text: text.clone(),
                }),
                StoredText::Erased(tombstone) => Ok(TextLine::Erased(tombstone.clone())),
                StoredText::Missing => Err(Error::Corruption {
                    at: Some(envelope.position),
                    detail: "a text the chain commits to is missing from the text files".to_owned(),
                }),
            })
            .collect::<Result<Vec<_>, Error>>()?;
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
            actor_role: envelope.actor_role,
            command_id: envelope.command_id,
            command_fingerprint,
            correlation_id: envelope.correlation_id,
            causation_id: envelope.causation_id,
            payload: BASE64.encode(&envelope.payload),
            text_commitments: envelope.text_commitments.iter().map(hex::encode).collect(),
            texts,
            prev_hash: hex::encode(envelope.prev_hash),
            hash: hex::encode(envelope.hash),
        };
        let mut text =
            serde_json::to_string(&line).map_err(|e| Error::Io(std::io::Error::other(e)))?;
        text.push('\n');
        Ok(text)
    }
}

impl Iterator for ExportLines {
    type Item = Result<String, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        match self.records.next() {
            Some(Ok(envelope)) => {
                self.n_events += 1;
                let line = self.event_line(envelope);
                if line.is_err() {
                    self.done = true;
                }
                Some(line)
            }
            Some(Err(error)) => {
                self.done = true;
                Some(Err(error))
            }
            None => {
                self.done = true;
                if self.n_events != self.head.position {
                    return Some(Err(Error::Corruption {
                        at: Some(self.n_events + 1),
                        detail: format!(
                            "l'export s'est arrêté à {} événements au lieu de {}",
                            self.n_events, self.head.position
                        ),
                    }));
                }
                let trailer = TrailerLine {
                    trailer: Trailer {
                        events: self.n_events,
                        head_position: self.head.position,
                        head_hash: hex::encode(self.head.hash),
                    },
                };
                Some(
                    serde_json::to_string(&trailer)
                        .map(|text| text + "\n")
                        .map_err(|e| Error::Io(std::io::Error::other(e))),
                )
            }
        }
    }
}

impl EventLog {
    /// The export, line by line, up to the head as it is now (later appends are not part of
    /// it), ending with the trailer.
    pub fn export_lines(&self) -> ExportLines {
        let head = self.head();
        ExportLines {
            log: self.clone(),
            records: Box::new(self.read_range(1, head.position)),
            head,
            n_events: 0,
            last_command: None,
            done: false,
        }
    }

    /// Writes every acknowledged event, up to the head as it is now, one JSON object per line,
    /// then the trailer. Returns the number of events written and the head exported.
    pub fn export_ndjson(&self, mut out: impl Write) -> Result<ImportReport, Error> {
        let mut lines = self.export_lines();
        for line in lines.by_ref() {
            out.write_all(line?.as_bytes())?;
        }
        out.flush()?;
        Ok(ImportReport {
            n_events: lines.n_events(),
            head: lines.head(),
        })
    }

    /// Reads an export into this store, which must hold no event: [`check_ndjson`] first,
    /// which writes nothing, then [`EventLog::import_checked_ndjson`]. The result is flushed
    /// before return.
    pub fn import_ndjson<R: BufRead + Seek>(
        &self,
        mut input: R,
        options: &ImportOptions,
    ) -> Result<ImportReport, Error> {
        self.require_empty()?;
        let checked = check_ndjson(&mut input, options)?;
        input.seek(SeekFrom::Start(0))?;
        self.import_checked_ndjson(input, options, &checked)
    }

    /// The writing pass of an import, over a file that [`check_ndjson`] accepted with the
    /// report `checked`: it is read again, checked again line by line, and written in pieces.
    /// If anything differs from the first pass (the file changed meanwhile) the log is emptied
    /// again and the import refused. The result is flushed before return.
    ///
    /// Not crash-atomic, but a crash during it is seen: the store is marked while it writes,
    /// and [`EventLog::open`] refuses a marked store with [`Error::IncompleteImport`] (delete
    /// it and import again).
    pub fn import_checked_ndjson(
        &self,
        input: impl BufRead,
        options: &ImportOptions,
        checked: &ImportReport,
    ) -> Result<ImportReport, Error> {
        self.require_empty()?;
        // Until the mark is removed, opening this store is refused: a crash or a kill during
        // the writing pass cannot leave a prefix that looks like a whole register.
        self.mark_import(true)?;
        let outcome = match read_export(input, options, Some(self)) {
            Ok(report) if &report == checked => self.flush().map(|()| report),
            Ok(_) => {
                self.request_blocking(|reply| Message::AbortImport { reply })?;
                Err(Error::InvalidInput(
                    "le fichier a changé pendant l'import".to_owned(),
                ))
            }
            Err(error) => {
                self.request_blocking(|reply| Message::AbortImport { reply })?;
                Err(error)
            }
        };
        self.mark_import(false)?;
        outcome
    }

    fn require_empty(&self) -> Result<(), Error> {
        if self.head().position != 0 || self.tree().iter().next().is_some() {
            return Err(Error::InvalidInput(
                "l'import se fait dans un registre sans événement".to_owned(),
            ));
        }
        Ok(())
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
            texts: std::mem::take(&mut state.texts),
            head: state.written,
            v2_from: state.v2_from.unwrap_or(state.head.position + 1),
        };
        self.request_blocking(|reply| Message::Import { chunk, reply })?;
        state.chunk_start = state.written;
        state.n_in_chunk = 0;
        Ok(())
    }
}

/// Reads a whole export and checks it as an import would (every line, the chain, the trailer
/// unless `options` says otherwise, the expected head), without any store and without writing
/// anything. Returns what an import of it would give.
pub fn check_ndjson(input: impl BufRead, options: &ImportOptions) -> Result<ImportReport, Error> {
    read_export(input, options, None)
}

/// One pass over the file; writes into `sink` when there is one.
fn read_export(
    input: impl BufRead,
    options: &ImportOptions,
    sink: Option<&EventLog>,
) -> Result<ImportReport, Error> {
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
        v2_from: None,
        texts: Vec::new(),
    };
    let mut n_events = 0u64;
    let mut trailer: Option<(usize, Trailer)> = None;
    for (index, line) in input.lines().enumerate() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let line_number = index + 1;
        let refuse = |why: String| Error::InvalidInput(format!("ligne {line_number} : {why}"));
        if let Some((trailer_line, _)) = &trailer {
            return Err(refuse(format!(
                "la ligne finale de l'export (ligne {trailer_line}) est suivie d'autres lignes"
            )));
        }
        let parsed: Line = match serde_json::from_str(&line) {
            Ok(parsed) => parsed,
            Err(error) => match serde_json::from_str::<TrailerLine>(&line) {
                Ok(found) => {
                    trailer = Some((line_number, found.trailer));
                    continue;
                }
                Err(_) => {
                    return Err(refuse(format!(
                        "ce n'est pas un événement exporté ({error})"
                    )));
                }
            },
        };
        state.add(parsed).map_err(refuse)?;
        n_events += 1;
        if state.n_in_chunk >= IMPORT_CHUNK_EVENTS {
            if let Some(log) = sink {
                log.send_chunk(&mut state, false)?;
            } else {
                state.writes.clear();
                state.texts.clear();
                state.n_in_chunk = 0;
            }
        }
    }
    check_end(n_events, &state.head, trailer.map(|(_, t)| t), options)?;
    if let Some(log) = sink {
        state.finish_command();
        log.send_chunk(&mut state, true)?;
    }
    Ok(ImportReport {
        n_events,
        head: state.head,
    })
}

/// The checks of the end of the file: not empty, the trailer and the expected head.
fn check_end(
    n_events: u64,
    head: &Head,
    trailer: Option<Trailer>,
    options: &ImportOptions,
) -> Result<(), Error> {
    let refuse = |why: String| Err(Error::InvalidInput(why));
    match trailer {
        None if n_events == 0 => {
            return refuse("le fichier ne contient aucune ligne : ce n'est pas un export".into());
        }
        None if options.require_trailer => {
            return refuse(format!(
                "le fichier s'arrête après {n_events} événements sans sa ligne finale \
                 (nombre d'événements et empreinte de tête) : il est sans doute tronqué \
                 (un export fait avant cette ligne s'importe avec --no-trailer-check)"
            ));
        }
        None => {}
        Some(trailer) => {
            if trailer.events != n_events {
                return refuse(format!(
                    "la ligne finale annonce {} événements, le fichier en contient {n_events}",
                    trailer.events
                ));
            }
            if trailer.head_position != head.position {
                return refuse(format!(
                    "la ligne finale annonce la tête à la position {}, le fichier s'arrête à la position {}",
                    trailer.head_position, head.position
                ));
            }
            if trailer.head_hash != hex::encode(head.hash) {
                return refuse(format!(
                    "la ligne finale annonce l'empreinte de tête {}, le fichier donne {}",
                    trailer.head_hash,
                    hex::encode(head.hash)
                ));
            }
        }
    }
    if let Some(expected) = options.expect_head
        && expected != head.hash
    {
        return refuse(format!(
            "l'empreinte de tête du fichier est {} et non {} attendue (--expect-head)",
            hex::encode(head.hash),
            hex::encode(expected)
        ));
    }
    Ok(())
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
    /// The first line in envelope format 2, once seen; every later line must be too.
    v2_from: Option<u64>,
    /// The texts of the lines read since the last chunk was sent.
    texts: Vec<(u64, u32, StoredText)>,
}

impl ImportState {
    fn add(&mut self, line: Line) -> Result<(), String> {
        let expected_position = self.head.position + 1;
        if line.position != expected_position {
            return Err(format!(
                "position {} alors que la position {expected_position} était attendue",
                line.position
            ));
        }
        match (line.actor_role.is_some(), self.v2_from) {
            (true, None) => self.v2_from = Some(line.position),
            (false, Some(first)) => {
                return Err(format!(
                    "la position {} est au format d'enveloppe 1 (sans rôle d'acteur) alors que la position {first} était déjà au format 2",
                    line.position
                ));
            }
            _ => {}
        }
        validate_stream_id(&line.stream_id).map_err(|_| {
            format!(
                "l'identifiant de flux « {} » n'est pas valide",
                line.stream_id
            )
        })?;
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
            actor_role: line.actor_role,
            command_id: line.command_id,
            correlation_id: line.correlation_id,
            causation_id: line.causation_id,
            payload: BASE64
                .decode(&line.payload)
                .map_err(|e| format!("le contenu (payload) n'est pas du base64 ({e})"))?,
            text_commitments: line
                .text_commitments
                .iter()
                .map(|c| hash_from_hex("text_commitments", c))
                .collect::<Result<_, _>>()?,
            texts: Vec::new(),
            prev_hash: hash_from_hex("prev_hash", &line.prev_hash)?,
            hash: hash_from_hex("hash", &line.hash)?,
        };
        if envelope.actor_role.is_none() && !envelope.text_commitments.is_empty() {
            return Err(format!(
                "la position {} a des textes effaçables sans être au format d'enveloppe 2",
                line.position
            ));
        }
        if line.texts.len() != envelope.text_commitments.len() {
            return Err(format!(
                "la position {} engage {} texte(s) mais en donne {}",
                line.position,
                envelope.text_commitments.len(),
                line.texts.len()
            ));
        }
        for (slot, (text, committed)) in line
            .texts
            .into_iter()
            .zip(&envelope.text_commitments)
            .enumerate()
        {
            let stored = match text {
                TextLine::Kept { salt, text } => {
                    let salt: [u8; 16] = hex::decode(&salt)
                        .ok()
                        .and_then(|b| b.try_into().ok())
                        .ok_or_else(|| format!("le sel du texte n° {} de la position {} n'est pas 16 octets en hexadécimal", slot + 1, line.position))?;
                    if crate::texts::commitment(&salt, &text) != *committed {
                        return Err(format!(
                            "le texte n° {} de la position {} ne correspond pas à son empreinte",
                            slot + 1,
                            line.position
                        ));
                    }
                    StoredText::Kept { salt, text }
                }
                TextLine::Erased(tombstone) => StoredText::Erased(tombstone),
            };
            self.texts.push((line.position, slot as u32, stored));
        }
        let position = envelope.position;
        if envelope.prev_hash != self.head.hash {
            return Err(format!(
                "chaîne rompue à la position {position} : son empreinte précédente n'est pas celle de la position {}",
                self.head.position
            ));
        }
        if self
            .head
            .recorded_at
            .is_some_and(|previous| envelope.recorded_at < previous)
        {
            return Err(format!(
                "l'heure d'enregistrement recule à la position {position}"
            ));
        }
        if !envelope
            .recorded_at
            .timestamp_subsec_nanos()
            .is_multiple_of(1000)
        {
            return Err(format!(
                "l'heure d'enregistrement de la position {position} est plus fine que la microseconde"
            ));
        }
        let version = self.versions.entry(envelope.stream_id.clone()).or_insert(0);
        if envelope.stream_version != *version + 1 {
            return Err(format!(
                "le flux {} passe de la version {} à la version {} à la position {position}",
                envelope.stream_id, version, envelope.stream_version
            ));
        }
        *version += 1;
        let (bytes, hash) = record::encode_record(&record::canonical_of(&envelope))
            .map_err(|e| format!("l'événement ne s'encode pas ({e})"))?;
        if hash != envelope.hash {
            return Err(format!(
                "chaîne rompue à la position {position} : son empreinte ne correspond pas à son contenu"
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
            fingerprint.ok_or(
                "une ligne avec un identifiant de commande n'a pas de command_fingerprint",
            )?,
        )?;
        match &mut self.command {
            Some((current, record)) if current == id => {
                if record.fingerprint != fingerprint {
                    return Err(format!("la commande {id} change d'empreinte"));
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
                    return Err(format!(
                        "la commande {id} apparaît dans deux ajouts séparés"
                    ));
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

#[cfg(test)]
mod tests {
    use crate::{Error, EventLog, Options};

    #[test]
    fn a_store_left_by_an_interrupted_import_is_refused_at_open() {
        let dir = tempfile::tempdir().unwrap();
        let log = EventLog::open(dir.path(), Options::default()).unwrap();
        // What a kill during the writing pass leaves: the mark, set before the first write.
        log.mark_import(true).unwrap();
        drop(log);
        assert!(matches!(
            EventLog::open(dir.path(), Options::default()),
            Err(Error::IncompleteImport)
        ));
    }
}
