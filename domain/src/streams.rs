//! Stream ids: `programme-{p}`, `partner-{p}.{id}`, `session-{p}.{id}`, `action-{p}.{id}`.

use crate::error::{Missing, StreamKind};
use crate::values::{ActionId, PartnerId, ProgrammeId, SessionId};

pub fn programme_stream(programme: &ProgrammeId) -> String {
    format!("programme-{programme}")
}

pub fn partner_stream(programme: &ProgrammeId, partner: &PartnerId) -> String {
    format!("partner-{programme}.{partner}")
}

pub fn session_stream(programme: &ProgrammeId, session: &SessionId) -> String {
    format!("session-{programme}.{session}")
}

pub fn action_stream(programme: &ProgrammeId, action: &ActionId) -> String {
    format!("action-{programme}.{action}")
}

/// The kind of a stream and the ids its name carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StreamRef {
    Programme(ProgrammeId),
    Partner(ProgrammeId, PartnerId),
    Session(ProgrammeId, SessionId),
    Action(ProgrammeId, ActionId),
}

impl StreamRef {
    /// Reads a stream id back; `None` when it is not one of Chronique's.
    pub fn parse(stream_id: &str) -> Option<StreamRef> {
        let (kind, rest) = stream_id.split_once('-')?;
        if kind == "programme" {
            return ProgrammeId::parse(rest).ok().map(StreamRef::Programme);
        }
        let (programme, local) = rest.split_once('.')?;
        let programme = ProgrammeId::parse(programme).ok()?;
        match kind {
            "partner" => Some(StreamRef::Partner(programme, PartnerId::parse(local).ok()?)),
            "session" => Some(StreamRef::Session(programme, SessionId::parse(local).ok()?)),
            "action" => Some(StreamRef::Action(programme, ActionId::parse(local).ok()?)),
            _ => None,
        }
    }

    pub fn programme(&self) -> &ProgrammeId {
        match self {
            StreamRef::Programme(p)
            | StreamRef::Partner(p, _)
            | StreamRef::Session(p, _)
            | StreamRef::Action(p, _) => p,
        }
    }

    pub fn kind(&self) -> StreamKind {
        match self {
            StreamRef::Programme(_) => StreamKind::Programme,
            StreamRef::Partner(..) => StreamKind::Partner,
            StreamRef::Session(..) => StreamKind::Session,
            StreamRef::Action(..) => StreamKind::Action,
        }
    }

    /// What a command names when this stream does not exist (`NOT_FOUND`).
    pub fn missing(&self) -> Missing {
        match self {
            StreamRef::Programme(p) => Missing::Programme(p.clone()),
            StreamRef::Partner(_, id) => Missing::Partner(id.clone()),
            StreamRef::Session(_, id) => Missing::Session(id.clone()),
            StreamRef::Action(_, id) => Missing::Action(id.clone()),
        }
    }

    pub fn stream_id(&self) -> String {
        match self {
            StreamRef::Programme(p) => programme_stream(p),
            StreamRef::Partner(p, id) => partner_stream(p, id),
            StreamRef::Session(p, id) => session_stream(p, id),
            StreamRef::Action(p, id) => action_stream(p, id),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stream_ids_round_trip() {
        let p = ProgrammeId::parse("grigny").unwrap();
        let a = ActionId::parse("soutien-2026").unwrap();
        let id = action_stream(&p, &a);
        assert_eq!(id, "action-grigny.soutien-2026");
        assert_eq!(StreamRef::parse(&id), Some(StreamRef::Action(p.clone(), a)));
        assert_eq!(
            StreamRef::parse("programme-grigny"),
            Some(StreamRef::Programme(p))
        );
        assert_eq!(StreamRef::parse("action-grigny"), None);
        assert_eq!(StreamRef::parse("budget-grigny.x"), None);
    }
}
