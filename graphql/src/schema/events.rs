//! `Query.events`: the raw audit log of one programme, page by page.
//!
//! Readable by ADMIN, and by PILOT, COORDINATOR and EVALUATOR of that programme. A programme's
//! events are those of its streams (`programme-{p}`, `partner-{p}.…`, `session-{p}.…`,
//! `action-{p}.…`); their positions come from the server's index ([`crate::integrity`]) and,
//! for the newest ones not indexed yet, from the log itself. A cursor is the position of an
//! event, in decimal.

use crate::auth::Viewer;
use crate::error::ApiError;
use crate::integrity::programme_of;
use crate::schema::check_page_size;
use crate::schema::page::PageInfo;
use crate::schema::scalars::{Date, DateTime};
use crate::state::AppState;
use async_graphql::{Context, ID, Object, Result, SimpleObject};
use domain::values::ProgrammeId;
use eventlog::{Envelope, EventLog};

/// One event of one stream, as recorded.
#[derive(SimpleObject, Debug, Clone)]
pub struct EventRecord {
    position: i64,
    stream_id: String,
    version: i64,
    event_id: ID,
    kind: String,
    schema_version: i32,
    effective_on: Date,
    recorded_at: DateTime,
    /// Qui l'a enregistré : « Marie Dupont (coordination) » (le nom vit hors du journal).
    actor: String,
    /// Format 2 : l'identifiant stable de l'agent, tel qu'il est chaîné ; nul au format 1.
    actor_id: Option<ID>,
    /// Format 2 : le rôle de l'agent (`COORDINATOR`…), tel qu'il est chaîné ; nul au format 1.
    actor_role: Option<String>,
    command_id: Option<ID>,
    /// Le contenu de l'événement, en texte JSON.
    data: String,
    /// Empreinte SHA-256 (hexadécimal) de l'enregistrement précédent.
    prev_hash: String,
    /// Empreinte SHA-256 (hexadécimal) de cet enregistrement : la chaîne du journal.
    hash: String,
}

#[derive(SimpleObject, Debug, Clone)]
pub struct EventEdge {
    node: EventRecord,
    cursor: String,
}

#[derive(SimpleObject, Debug, Clone)]
pub struct EventConnection {
    edges: Vec<EventEdge>,
    page_info: PageInfo,
}

/// The payload of a stored event as JSON text: the current struct of its type (old versions
/// upcast), serialised field by field.
pub fn payload_json(envelope: &Envelope) -> Result<String, ApiError> {
    let event = projections::registry::decode_with_texts(
        &envelope.event_type,
        envelope.schema_version,
        &envelope.payload,
        envelope
            .texts
            .iter()
            .map(projections::recorded::shown_text)
            .collect(),
    )
    .map_err(ApiError::internal)?;
    // An event serializes as the bare struct of its variant: its payload, field by field.
    let json = serde_json::to_string(&event);
    json.map_err(ApiError::internal)
}

fn record(state: &AppState, envelope: &Envelope) -> Result<EventRecord, ApiError> {
    Ok(EventRecord {
        position: i64::try_from(envelope.position).unwrap_or(i64::MAX),
        stream_id: envelope.stream_id.clone(),
        version: i64::try_from(envelope.stream_version).unwrap_or(i64::MAX),
        event_id: ID(envelope.event_id.to_string()),
        kind: envelope.event_type.clone(),
        schema_version: i32::from(envelope.schema_version),
        effective_on: Date(envelope.effective_on),
        recorded_at: DateTime(envelope.recorded_at),
        actor: state
            .actors
            .display(&projections::recorded::Recorder::of(envelope)),
        actor_id: envelope
            .actor_role
            .as_ref()
            .map(|_| ID(envelope.actor.clone())),
        actor_role: envelope.actor_role.clone(),
        command_id: envelope.command_id.clone().map(ID),
        data: payload_json(envelope)?,
        prev_hash: hex::encode(envelope.prev_hash),
        hash: hex::encode(envelope.hash),
    })
}

/// Up to `limit` events of `programme` from position `from` on: indexed positions first, then
/// the log past the index.
fn programme_events(
    state: &AppState,
    log: &EventLog,
    programme: &str,
    from: u64,
    limit: usize,
) -> Result<Vec<Envelope>, ApiError> {
    let (positions, indexed_up_to) = state.chain.positions(programme, from, limit);
    let mut out = Vec::with_capacity(positions.len());
    for position in positions {
        let envelope = log.get(position)?.ok_or_else(|| {
            ApiError::bug(format!("indexed position {position} is not in the log"))
        })?;
        out.push(envelope);
    }
    if out.len() < limit {
        for envelope in log.read_all(from.max(indexed_up_to + 1)) {
            let envelope = envelope?;
            if programme_of(&envelope.stream_id).as_deref() == Some(programme) {
                out.push(envelope);
                if out.len() >= limit {
                    break;
                }
            }
        }
    }
    Ok(out)
}

#[derive(Default)]
pub struct EventsQuery;

#[Object]
impl EventsQuery {
    /// Le journal brut des événements d'une cité éducative, à partir de `fromPosition`
    /// (incluse) : administrateur, pilote, coordination et évaluateur seulement.
    async fn events(
        &self,
        ctx: &Context<'_>,
        programme_id: ID,
        #[graphql(default_with = "Some(1)")] from_position: Option<i64>,
        #[graphql(default_with = "Some(50)")] first: Option<i32>,
        after: Option<String>,
    ) -> Result<EventConnection> {
        let viewer = Viewer::of(ctx)?;
        let programme = ProgrammeId::parse(&programme_id).map_err(ApiError::from)?;
        viewer.require_raw_log(&programme)?;
        let first = check_page_size(first.unwrap_or(50))?;
        let from = u64::try_from(from_position.unwrap_or(1).max(1)).unwrap_or(1);
        let start = match after.as_deref() {
            None => from,
            Some(cursor) => {
                let after: u64 = cursor.parse().map_err(|_| {
                    ApiError::validation(format!(
                        "Le curseur « {cursor} » n'est pas un curseur de cette liste."
                    ))
                })?;
                from.max(after.saturating_add(1))
            }
        };
        let state = ctx.data_unchecked::<AppState>().clone();
        let programme = programme.to_string();
        let connection =
            tokio::task::spawn_blocking(move || -> Result<EventConnection, ApiError> {
                // One more than asked tells whether a next page exists.
                let envelopes = programme_events(&state, &state.log, &programme, start, first + 1)?;
                let has_next_page = envelopes.len() > first;
                let edges = envelopes
                    .iter()
                    .take(first)
                    .map(|envelope| {
                        Ok(EventEdge {
                            cursor: envelope.position.to_string(),
                            node: record(&state, envelope)?,
                        })
                    })
                    .collect::<Result<Vec<_>, ApiError>>()?;
                Ok(EventConnection {
                    page_info: PageInfo {
                        has_next_page,
                        end_cursor: edges.last().map(|e| e.cursor.clone()),
                    },
                    edges,
                })
            })
            .await
            .map_err(ApiError::internal)??;
        Ok(connection)
    }
}
