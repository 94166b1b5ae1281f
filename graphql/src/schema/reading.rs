//! How the query side reaches the read models: the moment a query reads ([`AsOf`]), the handle
//! every output object keeps on it ([`Bound`]), and the mapping of the projections' errors.
//!
//! # How objects hold their bound
//!
//! An object that needs the programme's state after it was built (`Action.history`,
//! `Session.agenda`, `OpinionRecord.session`, …) keeps the [`Bound`] it came from, and its
//! resolvers read through [`Bound::read`]:
//!
//! - **as of a past moment**, the bound owns the [`ProgrammeView`] folded for the request, in an
//!   `Arc`: every nested field reads that very fold;
//! - **live**, the bound names the projector and the programme, and each resolver reads the
//!   live model again under the projector's shared lock. Nothing is copied: a request for 300
//!   actions costs no clone of the programme, and the model is never held in memory twice. A
//!   nested field may therefore see an event applied after its parent was resolved (a write
//!   landing in the middle of a request): it always sees the live state, never an older one.
//!   Measured on a 300-action programme (3 500 events, release build, two cores under other
//!   builds' load): `actions(first: 300)` with a dozen fields per action, p50 5.6 ms (of which
//!   0.9 ms in `projections::query::actions`, the rest in async-graphql's resolution of some
//!   7 000 fields); a copy of that programme's view costs 0.4 ms (p99 2 ms) and would double
//!   the memory of the programmes being read, or be made again after each of their writes.
//!   Reading under the lock costs nothing of the kind, so that is the choice.

use crate::auth::Viewer;
use crate::error::ApiError;
use crate::schema::scalars::{Date, DateTime};
use crate::state::AppState;
use async_graphql::{Context, OneofObject};
use domain::actor::Actor;
use domain::values::ProgrammeId;
use projections::model::ProgrammeView;
use projections::query::QueryError;
use projections::runner::Projector;
use projections::time_travel::{self, TimeTravelError};
use std::sync::Arc;
use std::time::Duration;

/// How long a query *as of* a moment waits for the read model to reach the log's head.
const CATCH_UP_TIMEOUT: Duration = Duration::from_secs(10);

/// Un moment du passé : exactement un champ est renseigné. Une position au-delà de la tête du
/// journal est refusée (VALIDATION).
#[derive(OneofObject, Debug, Clone, Copy)]
pub enum AsOf {
    /// Position dans le journal : l'état juste après l'événement à cette position.
    Position(i64),
    /// Tout ce qui a été enregistré jusqu'à cet instant (ce que le système savait alors).
    RecordedAt(DateTime),
    /// Tout ce dont la date d'effet est ce jour ou avant (ce qui s'était passé alors).
    EffectiveOn(Date),
}

impl AsOf {
    /// The projections' bound; VALIDATION for a negative position.
    pub fn bound(self) -> Result<time_travel::Bound, ApiError> {
        Ok(match self {
            AsOf::Position(p) => time_travel::Bound::Position(u64::try_from(p).map_err(|_| {
                ApiError::validation(format!(
                    "Une position du journal est un entier positif ou nul ({p} donné)."
                ))
            })?),
            AsOf::RecordedAt(at) => time_travel::Bound::RecordedAt(at.0),
            AsOf::EffectiveOn(day) => time_travel::Bound::EffectiveOn(day.0),
        })
    }
}

/// The moment a set of objects was read at: see the module's documentation.
#[derive(Clone)]
pub struct Bound(Arc<BoundKind>);

// Boxed or not, the view is behind the `Arc` of `Bound`: the size difference costs nothing.
#[allow(clippy::large_enum_variant)]
enum BoundKind {
    Live {
        projector: Projector,
        programme: ProgrammeId,
    },
    AsOf(ProgrammeView),
}

impl Bound {
    pub fn live(projector: Projector, programme: ProgrammeId) -> Bound {
        Bound(Arc::new(BoundKind::Live {
            projector,
            programme,
        }))
    }

    pub fn as_of(view: ProgrammeView) -> Bound {
        Bound(Arc::new(BoundKind::AsOf(view)))
    }

    /// The programme of a live bound; `None` at a past bound, where nothing can be given.
    pub fn live_programme(&self) -> Option<&ProgrammeId> {
        match &*self.0 {
            BoundKind::Live { programme, .. } => Some(programme),
            BoundKind::AsOf(_) => None,
        }
    }

    /// Runs `f` on the programme as this bound sees it. Live, `f` runs under the projector's
    /// shared lock: keep it short (no `.await`), it delays the application of newer events.
    pub fn read<R>(&self, f: impl FnOnce(&ProgrammeView) -> R) -> Result<R, ApiError> {
        match &*self.0 {
            BoundKind::AsOf(view) => Ok(f(view)),
            BoundKind::Live {
                projector,
                programme,
            } => projector.read(|model| match model.programme(programme) {
                Some(view) => Ok(f(view)),
                // Programmes are never removed from the live model.
                None => Err(ApiError::bug(format!(
                    "the programme « {programme} » left the live read model"
                ))),
            }),
        }
    }

    /// Runs `f` on the blocking pool (it reads the log: histories, timelines), on the
    /// programme as this bound sees it.
    pub async fn read_blocking<R: Send + 'static>(
        &self,
        f: impl FnOnce(&ProgrammeView) -> Result<R, ApiError> + Send + 'static,
    ) -> Result<R, ApiError> {
        let bound = self.clone();
        blocking(move || bound.read(f)?).await
    }
}

/// Runs blocking work (log reads, folds) off the async threads.
pub async fn blocking<R: Send + 'static>(
    f: impl FnOnce() -> Result<R, ApiError> + Send + 'static,
) -> Result<R, ApiError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(ApiError::internal)?
}

/// The shared state of the request.
pub fn app_state<'a>(ctx: &Context<'a>) -> &'a AppState {
    ctx.data_unchecked::<AppState>()
}

/// The viewer's actor, which the projections' reading rules take.
pub fn actor<'a>(ctx: &Context<'a>) -> Result<&'a Actor, ApiError> {
    Ok(&Viewer::of(ctx)?.actor)
}

/// A programme id from the request; VALIDATION when malformed.
pub fn programme_id(id: &str) -> Result<ProgrammeId, ApiError> {
    Ok(ProgrammeId::parse(id)?)
}

/// The programme as it stands now, `None` when it has not been established.
pub fn live_bound(state: &AppState, programme: &ProgrammeId) -> Result<Option<Bound>, ApiError> {
    let projector = state.projector()?;
    let exists = projector.read(|model| {
        model
            .programme(programme)
            .is_some_and(|view| view.programme.programme.is_some())
    });
    Ok(exists.then(|| Bound::live(projector.clone(), programme.clone())))
}

/// The programme as of `as_of` (now without it); `None` when it did not exist then. The
/// caller has checked that the viewer may read the programme.
pub async fn bound_at(
    state: &AppState,
    programme: &ProgrammeId,
    as_of: Option<AsOf>,
) -> Result<Option<Bound>, ApiError> {
    let Some(as_of) = as_of else {
        return live_bound(state, programme);
    };
    let bound = as_of.bound()?;
    let projector = state.projector()?;
    let head = state.log.head().position;
    if let time_travel::Bound::Position(position) = bound
        && position > head
    {
        return Err(beyond_head(position, head));
    }
    // The fold starts from the live model's index of the programme's events: it must hold
    // every event the bound may select.
    let target = match bound {
        time_travel::Bound::Position(position) => position,
        _ => head,
    };
    projector
        .wait_for(target, CATCH_UP_TIMEOUT)
        .await
        .map_err(ApiError::internal)?;
    // The live view is time travel's index of the programme's events. Copied once under the
    // shared lock, so that the fold (many log reads) does not delay the live model.
    let live = projector.read(|model| {
        let established = model
            .programme(programme)
            .filter(|live| live.programme.programme.is_some());
        established.map(|live| {
            if time_travel::selected(live, &bound).len() == live.events().len() {
                // Everything is included: that is the live state, no need to fold.
                None
            } else {
                Some(live.clone())
            }
        })
    });
    let live = match live {
        None => return Ok(None),
        Some(None) => return Ok(Some(Bound::live(projector.clone(), programme.clone()))),
        Some(Some(live)) => live,
    };
    let log = state.log.clone();
    blocking(
        move || match time_travel::programme_as_of(&log, &live, &bound) {
            Ok(view) => Ok(view.map(Bound::as_of)),
            Err(TimeTravelError::BeyondHead { position, head }) => Err(beyond_head(position, head)),
            Err(error) => Err(ApiError::internal(error)),
        },
    )
    .await
}

fn beyond_head(position: u64, head: u64) -> ApiError {
    ApiError::validation(format!(
        "La position {position} est au-delà de la tête du journal ({head}) : choisissez une position entre 0 et {head}."
    ))
}

/// NOT_FOUND for a programme that a non-null field needs.
pub fn programme_not_found(programme: &ProgrammeId) -> ApiError {
    ApiError::not_found(format!(
        "La cité éducative « {programme} » n'existe pas (ou pas encore à ce moment)."
    ))
}

/// The programme as of `as_of`, NOT_FOUND when it does not exist then; FORBIDDEN when the
/// token may not read it.
pub async fn required_bound(
    ctx: &Context<'_>,
    programme: &ProgrammeId,
    as_of: Option<AsOf>,
) -> Result<Bound, ApiError> {
    Viewer::of(ctx)?.require_programme(programme)?;
    bound_at(app_state(ctx), programme, as_of)
        .await?
        .ok_or_else(|| programme_not_found(programme))
}

/// The projections' errors in the terms of api.graphql.
pub fn query_error(error: QueryError) -> ApiError {
    match error {
        QueryError::Forbidden { programme } => ApiError::forbidden(format!(
            "Ce jeton ne donne pas accès à la cité éducative « {programme} »."
        )),
        QueryError::InvalidCursor { cursor } => ApiError::validation(format!(
            "Le curseur « {cursor} » n'est pas un curseur de cette liste."
        )),
        other => ApiError::internal(other),
    }
}
