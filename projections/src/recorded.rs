//! An event as the read side sees it: the envelope's facts around the decoded domain event.

use crate::registry::{self, DecodeError};
use chrono::{DateTime, NaiveDate, Utc};
use domain::events::DomainEvent;
use domain::streams::StreamRef;
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq)]
pub struct RecordedEvent {
    pub position: u64,
    pub event_id: Uuid,
    pub stream: StreamRef,
    pub stream_version: u64,
    pub recorded_at: DateTime<Utc>,
    pub effective_on: NaiveDate,
    /// Who gave the command, as the envelope says it.
    pub actor: Recorder,
    pub command_id: Option<String>,
    pub event: DomainEvent,
}

/// What a stored text shows: its words, or what its erasure left, « texte effacé le 5 décembre
/// 2026 : motif » (every read, print and export from then on, for every past bound too).
pub fn shown_text(text: &eventlog::texts::StoredText) -> String {
    use eventlog::texts::StoredText;
    match text {
        StoredText::Kept { text, .. } => text.clone(),
        StoredText::Erased(t) => erasure_notice(t.on, &t.reason),
        StoredText::Missing => {
            "texte illisible (fichiers de textes du registre endommagés)".to_owned()
        }
    }
}

/// « texte effacé le 5 décembre 2026 : motif ».
pub fn erasure_notice(on: NaiveDate, reason: &str) -> String {
    format!("texte effacé le {} : {reason}", domain::fr::date(on))
}

/// Who recorded an event, as its envelope says it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Recorder {
    /// Envelope format 1 (written before format 2): the actor's name and role in words, as
    /// the command service wrote them, inside the chained bytes.
    Named(String),
    /// Envelope format 2: the actor's stable id (`person:…`, `token:…`) and role code
    /// (`COORDINATOR`…); the name is looked up outside the log, where it can be erased.
    Agent { id: String, role: String },
}

impl Recorder {
    pub fn of(envelope: &eventlog::Envelope) -> Recorder {
        match &envelope.actor_role {
            None => Recorder::Named(envelope.actor.clone()),
            Some(role) => Recorder::Agent {
                id: envelope.actor.clone(),
                role: role.clone(),
            },
        }
    }

    /// The stable id, for an envelope of format 2.
    pub fn id(&self) -> Option<&str> {
        match self {
            Recorder::Named(_) => None,
            Recorder::Agent { id, .. } => Some(id),
        }
    }
}

/// A name in words (tests, and events held in memory).
impl From<&str> for Recorder {
    fn from(name: &str) -> Recorder {
        Recorder::Named(name.to_owned())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("event at position {position}: {source}")]
    Decode {
        position: u64,
        #[source]
        source: DecodeError,
    },
    #[error("event at position {position}: stream id « {stream_id} » is not one of Chronique's")]
    UnknownStream { position: u64, stream_id: String },
    #[error("event at position {position}: a {event_type} cannot belong to stream « {stream_id} »")]
    WrongStreamKind {
        position: u64,
        stream_id: String,
        event_type: String,
    },
    #[error(transparent)]
    Log(#[from] eventlog::Error),
}

impl RecordedEvent {
    /// Decodes an envelope, upcasting old payload versions. An unknown type, version or stream is
    /// an error that names it, never a silent skip.
    pub fn from_envelope(envelope: &eventlog::Envelope) -> Result<RecordedEvent, ReadError> {
        let stream =
            StreamRef::parse(&envelope.stream_id).ok_or_else(|| ReadError::UnknownStream {
                position: envelope.position,
                stream_id: envelope.stream_id.clone(),
            })?;
        let event = registry::decode_with_texts(
            &envelope.event_type,
            envelope.schema_version,
            &envelope.payload,
            envelope.texts.iter().map(shown_text).collect(),
        )
        .map_err(|source| ReadError::Decode {
            position: envelope.position,
            source,
        })?;
        let kind_matches = matches!(
            (&stream, &event),
            (StreamRef::Programme(_), DomainEvent::Programme(_))
                | (StreamRef::Partner(..), DomainEvent::Partner(_))
                | (StreamRef::Session(..), DomainEvent::Session(_))
                | (StreamRef::Action(..), DomainEvent::Action(_))
        );
        if !kind_matches {
            return Err(ReadError::WrongStreamKind {
                position: envelope.position,
                stream_id: envelope.stream_id.clone(),
                event_type: envelope.event_type.clone(),
            });
        }
        Ok(RecordedEvent {
            position: envelope.position,
            event_id: envelope.event_id,
            stream,
            stream_version: envelope.stream_version,
            recorded_at: envelope.recorded_at,
            effective_on: envelope.effective_on,
            actor: Recorder::of(envelope),
            command_id: envelope.command_id.clone(),
            event,
        })
    }
}

/// Where the read side reads events back by position: the log, or events held in memory
/// (tests, small tools). Time travel folds what it reads ([`crate::time_travel`]); queries word
/// it ([`crate::query`]).
pub trait EventSource: Sync {
    /// The last position the source holds (for the log, its head).
    fn head_position(&self) -> u64;
    /// The event at `position`, decoded; `None` when there is none.
    fn event(&self, position: u64) -> Result<Option<RecordedEvent>, ReadError>;
}

impl EventSource for eventlog::EventLog {
    fn head_position(&self) -> u64 {
        self.head().position
    }

    fn event(&self, position: u64) -> Result<Option<RecordedEvent>, ReadError> {
        match self.get(position)? {
            Some(envelope) => RecordedEvent::from_envelope(&envelope).map(Some),
            None => Ok(None),
        }
    }
}

/// Events held in memory, by position (tests, small tools).
impl EventSource for std::collections::BTreeMap<u64, RecordedEvent> {
    fn head_position(&self) -> u64 {
        self.keys().next_back().copied().unwrap_or(0)
    }

    fn event(&self, position: u64) -> Result<Option<RecordedEvent>, ReadError> {
        Ok(self.get(&position).cloned())
    }
}

/// Events held in memory in log order (tests).
impl EventSource for [RecordedEvent] {
    fn head_position(&self) -> u64 {
        self.last().map_or(0, |e| e.position)
    }

    fn event(&self, position: u64) -> Result<Option<RecordedEvent>, ReadError> {
        Ok(self
            .binary_search_by_key(&position, |e| e.position)
            .ok()
            .map(|i| self[i].clone()))
    }
}

impl EventSource for Vec<RecordedEvent> {
    fn head_position(&self) -> u64 {
        self.as_slice().head_position()
    }

    fn event(&self, position: u64) -> Result<Option<RecordedEvent>, ReadError> {
        self.as_slice().event(position)
    }
}
