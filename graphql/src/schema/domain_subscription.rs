//! `Subscription.timeline`: the programme's timeline entries as they are recorded.
//!
//! Built on the log's own subscription (catch up from a position, then live, without gap or
//! duplicate): each event of the programme is waited for in the projector
//! ([`projections::runner::Projector::wait_for`]) and worded with the live read model that
//! includes it, under the reading rules of the token (an entry the token may not see is left
//! out). The token comes from the request, or from `connection_init` on the WebSocket.

use super::objects::TimelineEntryObject;
use super::reading::{app_state, live_bound, programme_id, programme_not_found, query_error};
use crate::auth::Viewer;
use crate::error::ApiError;
use async_graphql::futures_util::Stream;
use async_graphql::{Context, ID, Result, Subscription};
use domain::actor::Actor;
use domain::streams::StreamRef;
use domain::values::ProgrammeId;
use eventlog::Envelope;
use projections::query as q;
use projections::recorded::RecordedEvent;
use projections::runner::Projector;
use std::time::Duration;

/// How long an entry waits for the read model to apply it before the subscription fails.
const APPLY_TIMEOUT: Duration = Duration::from_secs(30);

/// What a running subscription follows.
struct Follow {
    events: eventlog::Subscription,
    projector: Projector,
    actor: Actor,
    programme: ProgrammeId,
}

impl Follow {
    /// The next entry the token may see, waiting for it.
    async fn next_entry(&mut self) -> Result<TimelineEntryObject, ApiError> {
        loop {
            let envelope = self.events.next().await?;
            if let Some(entry) = self.entry(&envelope).await? {
                return Ok(entry);
            }
        }
    }

    /// The entry of one event, `None` when it is another programme's or the token may not see
    /// it.
    async fn entry(&self, envelope: &Envelope) -> Result<Option<TimelineEntryObject>, ApiError> {
        let ours = StreamRef::parse(&envelope.stream_id)
            .is_some_and(|stream| stream.programme() == &self.programme);
        if !ours {
            return Ok(None);
        }
        let event = RecordedEvent::from_envelope(envelope).map_err(ApiError::internal)?;
        self.projector
            .wait_for(event.position, APPLY_TIMEOUT)
            .await
            .map_err(ApiError::internal)?;
        let entry = self.projector.read(|model| {
            model
                .programme(&self.programme)
                .map(|view| q::timeline_entry(view, &self.actor, &event))
                .transpose()
        });
        Ok(entry.map_err(query_error)?.flatten().map(Into::into))
    }
}

#[derive(Default)]
pub struct DomainSubscription;

#[Subscription]
impl DomainSubscription {
    /// Chaque entrée de la cité de position supérieure à `fromPosition`, dans l'ordre, puis
    /// chaque nouvelle entrée dès qu'elle est enregistrée ; sans `fromPosition`, les nouvelles
    /// seulement. Filtrées selon ce que le jeton peut voir.
    async fn timeline(
        &self,
        ctx: &Context<'_>,
        programme_id: ID,
        from_position: Option<i64>,
    ) -> Result<impl Stream<Item = Result<TimelineEntryObject>> + use<>> {
        let viewer = Viewer::of(ctx)?;
        let programme = self::programme_id(&programme_id)?;
        viewer.require_programme(&programme)?;
        let state = app_state(ctx);
        if live_bound(state, &programme)?.is_none() {
            return Err(programme_not_found(&programme).into());
        }
        let start = match from_position {
            Some(position) => {
                u64::try_from(position).map_err(|_| {
                    ApiError::validation(format!(
                        "« fromPosition » ne peut pas être négatif ({position} donné)."
                    ))
                })? + 1
            }
            None => state.log.head().position + 1,
        };
        let follow = Follow {
            events: state.log.subscribe(start),
            projector: state.projector()?.clone(),
            actor: viewer.actor.clone(),
            programme,
        };
        Ok(async_graphql::futures_util::stream::unfold(
            Some(follow),
            |follow| async move {
                let mut follow = follow?;
                match follow.next_entry().await {
                    Ok(entry) => Some((Ok(entry), Some(follow))),
                    // The log or the projector failed: say so once, and end.
                    Err(error) => Some((Err(error.into()), None)),
                }
            },
        ))
    }
}
