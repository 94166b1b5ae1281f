//! The domain's `Query` fields of api.graphql: programmes, actions, sessions, partners, budget,
//! timeline, changes, reports due; each as of now or of a past moment ([`AsOf`]).
//!
//! Every field checks first that the token may read the programme (FORBIDDEN otherwise), then
//! reads it through `projections::query`, whose reading rules decide what the viewer sees. An
//! unknown programme (or one that did not exist at the moment asked) is `null` for the
//! nullable fields and NOT_FOUND for the others.

#![allow(
    clippy::too_many_arguments,
    reason = "each resolver takes the arguments api.graphql gives its field: the contract sets their number"
)]

use super::enums::{ActionStatus, BodyKind};
use super::objects::{
    ActionConnectionObject, ActionObject, BudgetObject, ChangeSetObject, PartnerObject,
    ProgrammeObject, ReportDueObject, SessionObject, TimelineConnectionObject,
};
use super::reading::{
    AsOf, Bound, actor, app_state, blocking, bound_at, live_bound, programme_id,
    programme_not_found, query_error, required_bound,
};
use super::scalars::Date;
use crate::auth::Viewer;
use crate::error::ApiError;
use crate::schema::check_page_size;
use async_graphql::{Context, ID, InputObject, Object, Result};
use domain::values::{ActionId, AxisCode, PartnerId, SessionId};
use projections::model::ProgrammeView;
use projections::query::{self as q, Page};
use projections::time_travel;

/// Les actions qui répondent à tous les critères donnés.
#[derive(InputObject, Debug, Clone, Default)]
pub struct ActionFilter {
    /// L'un de ces statuts.
    status: Option<Vec<ActionStatus>>,
    /// Axe principal ou secondaire.
    axis: Option<ID>,
    /// Le porteur (identifiant du partenaire).
    holder: Option<ID>,
    year: Option<i32>,
    /// Texte cherché dans la référence, le titre ou le résumé (sans casse ni accents).
    text: Option<String>,
}

impl ActionFilter {
    fn to_query(&self) -> Result<q::ActionFilter, ApiError> {
        Ok(q::ActionFilter {
            status: self
                .status
                .as_ref()
                .map(|list| list.iter().map(|&s| s.into()).collect()),
            axis: self
                .axis
                .as_deref()
                .map(|s| AxisCode::parse(s))
                .transpose()?,
            holder: self
                .holder
                .as_deref()
                .map(|s| PartnerId::parse(s))
                .transpose()?,
            year: self.year,
            text: self.text.clone(),
        })
    }
}

/// Les entrées de la frise qui répondent à tous les critères donnés.
#[derive(InputObject, Debug, Clone, Default)]
pub struct TimelineFilter {
    /// Date d'effet au plus tôt (incluse).
    from: Option<Date>,
    /// Date d'effet au plus tard (incluse).
    to: Option<Date>,
    /// Types d'événements, tels quels (ActionProposed, CopilDecisionTaken…).
    kinds: Option<Vec<String>>,
    axis: Option<ID>,
    action_id: Option<ID>,
    /// Les événements de la séance et les avis, décisions et révisions qui y ont été pris.
    session_id: Option<ID>,
}

impl TimelineFilter {
    fn to_query(&self) -> Result<q::TimelineFilter, ApiError> {
        Ok(q::TimelineFilter {
            from: self.from.map(|d| d.0),
            to: self.to.map(|d| d.0),
            kinds: self.kinds.clone(),
            axis: self
                .axis
                .as_deref()
                .map(|s| AxisCode::parse(s))
                .transpose()?,
            action_id: self
                .action_id
                .as_deref()
                .map(|s| ActionId::parse(s))
                .transpose()?,
            session_id: self
                .session_id
                .as_deref()
                .map(|s| SessionId::parse(s))
                .transpose()?,
        })
    }
}

/// The bound of a nullable field: FORBIDDEN for another programme's token, `None` when the
/// programme does not exist at that moment.
pub(crate) async fn optional_bound(
    ctx: &Context<'_>,
    programme: &str,
    as_of: Option<AsOf>,
) -> Result<Option<Bound>, ApiError> {
    let programme = programme_id(programme)?;
    Viewer::of(ctx)?.require_programme(&programme)?;
    bound_at(app_state(ctx), &programme, as_of).await
}

pub(crate) async fn bound(
    ctx: &Context<'_>,
    programme: &str,
    as_of: Option<AsOf>,
) -> Result<Bound, ApiError> {
    required_bound(ctx, &programme_id(programme)?, as_of).await
}

/// `first` as api.graphql declares it: `Int = 50` (an explicit null is the default).
fn page(first: Option<i32>, after: Option<String>) -> Result<Page, ApiError> {
    Ok(Page {
        first: check_page_size(first.unwrap_or(50))?,
        after,
    })
}

#[derive(Default)]
pub struct DomainQuery;

#[Object]
impl DomainQuery {
    /// Les cités éducatives que ce jeton peut lire : toutes pour un administrateur, la sienne
    /// pour les autres.
    async fn programmes(&self, ctx: &Context<'_>) -> Result<Vec<ProgrammeObject>> {
        let viewer = Viewer::of(ctx)?;
        let projector = app_state(ctx).projector()?;
        let ids: Vec<_> = projector.read(|model| {
            model
                .programmes()
                .filter(|view| view.programme.programme.is_some())
                .filter(|view| viewer.sees_programme(&view.id))
                .map(|view| view.id.clone())
                .collect()
        });
        Ok(ids
            .into_iter()
            .map(|id| ProgrammeObject::new(Bound::live(projector.clone(), id)))
            .collect())
    }

    async fn programme(
        &self,
        ctx: &Context<'_>,
        id: ID,
        as_of: Option<AsOf>,
    ) -> Result<Option<ProgrammeObject>> {
        Ok(optional_bound(ctx, &id, as_of)
            .await?
            .map(ProgrammeObject::new))
    }

    async fn action(
        &self,
        ctx: &Context<'_>,
        programme_id: ID,
        id: ID,
        as_of: Option<AsOf>,
    ) -> Result<Option<ActionObject>> {
        let action = ActionId::parse(&id).map_err(ApiError::from)?;
        let Some(bound) = optional_bound(ctx, &programme_id, as_of).await? else {
            return Ok(None);
        };
        let actor = actor(ctx)?;
        let found = bound
            .read(|view| q::action(view, actor, &action))?
            .map_err(query_error)?;
        Ok(found.map(|view| ActionObject::new(bound, view)))
    }

    async fn actions(
        &self,
        ctx: &Context<'_>,
        programme_id: ID,
        filter: Option<ActionFilter>,
        as_of: Option<AsOf>,
        #[graphql(default_with = "Some(50)")] first: Option<i32>,
        after: Option<String>,
    ) -> Result<ActionConnectionObject> {
        let page = page(first, after)?;
        let filter = filter.unwrap_or_default().to_query()?;
        let bound = bound(ctx, &programme_id, as_of).await?;
        let actor = actor(ctx)?;
        let connection = bound
            .read(|view| q::actions(view, actor, &filter, &page))?
            .map_err(query_error)?;
        Ok(ActionConnectionObject::new(&bound, connection))
    }

    async fn session(
        &self,
        ctx: &Context<'_>,
        programme_id: ID,
        id: ID,
        as_of: Option<AsOf>,
    ) -> Result<Option<SessionObject>> {
        let session = SessionId::parse(&id).map_err(ApiError::from)?;
        let Some(bound) = optional_bound(ctx, &programme_id, as_of).await? else {
            return Ok(None);
        };
        let actor = actor(ctx)?;
        let found = bound
            .read(|view| q::session(view, actor, &session))?
            .map_err(query_error)?;
        Ok(found.map(|view| SessionObject::new(bound, view)))
    }

    /// Les séances, d'une instance si `body` est donné, par date.
    async fn sessions(
        &self,
        ctx: &Context<'_>,
        programme_id: ID,
        body: Option<BodyKind>,
        as_of: Option<AsOf>,
    ) -> Result<Vec<SessionObject>> {
        let bound = bound(ctx, &programme_id, as_of).await?;
        let actor = actor(ctx)?;
        let list = bound
            .read(|view| q::sessions(view, actor, body.map(Into::into)))?
            .map_err(query_error)?;
        Ok(list
            .into_iter()
            .map(|s| SessionObject::new(bound.clone(), s))
            .collect())
    }

    async fn partners(
        &self,
        ctx: &Context<'_>,
        programme_id: ID,
        as_of: Option<AsOf>,
    ) -> Result<Vec<PartnerObject>> {
        let bound = bound(ctx, &programme_id, as_of).await?;
        let actor = actor(ctx)?;
        let list = bound
            .read(|view| q::partners(view, actor))?
            .map_err(query_error)?;
        Ok(list.into_iter().map(PartnerObject::from).collect())
    }

    /// Programmation annuelle et suivi financier d'un exercice (DOMAIN.md, « Precise
    /// meanings »).
    async fn budget(
        &self,
        ctx: &Context<'_>,
        programme_id: ID,
        year: i32,
        as_of: Option<AsOf>,
    ) -> Result<BudgetObject> {
        let bound = bound(ctx, &programme_id, as_of).await?;
        let actor = actor(ctx)?;
        let budget = bound
            .read(|view| q::budget(view, actor, year))?
            .map_err(query_error)?;
        Ok(BudgetObject::new(&bound, budget))
    }

    /// Les entrées, par date d'effet puis position, les plus récentes d'abord sauf avec
    /// `oldestFirst`.
    async fn timeline(
        &self,
        ctx: &Context<'_>,
        programme_id: ID,
        filter: Option<TimelineFilter>,
        as_of: Option<AsOf>,
        #[graphql(default_with = "Some(false)")] oldest_first: Option<bool>,
        #[graphql(default_with = "Some(50)")] first: Option<i32>,
        after: Option<String>,
    ) -> Result<TimelineConnectionObject> {
        let page = page(first, after)?;
        let filter = filter.unwrap_or_default().to_query()?;
        let bound = bound(ctx, &programme_id, as_of).await?;
        let actor = actor(ctx)?.clone();
        let log = app_state(ctx).log.clone();
        let connection = bound
            .read_blocking(move |view| {
                q::timeline(
                    view,
                    &actor,
                    &filter,
                    oldest_first.unwrap_or(false),
                    &page,
                    &log,
                )
                .map_err(query_error)
            })
            .await?;
        Ok(connection.into())
    }

    /// Ce qui a changé entre deux moments : pour les évaluateurs.
    async fn changes(
        &self,
        ctx: &Context<'_>,
        programme_id: ID,
        from: AsOf,
        to: AsOf,
    ) -> Result<ChangeSetObject> {
        let programme = super::reading::programme_id(&programme_id)?;
        let to_bound = required_bound(ctx, &programme, Some(to)).await?;
        let state = app_state(ctx);
        let from_bound = bound_at(state, &programme, Some(from)).await?;
        let (from_at, to_at) = (from.bound()?, to.bound()?);
        // Two views side by side: copied out, so that no lock is taken twice.
        let to_view = to_bound.read(ProgrammeView::clone)?;
        let from_view = match from_bound {
            Some(bound) => bound.read(ProgrammeView::clone)?,
            // Before the programme existed: nothing.
            None => ProgrammeView::new(programme.clone()),
        };
        let actor = actor(ctx)?.clone();
        let log = state.log.clone();
        let projector = state.projector()?.clone();
        let (changes, from_position, to_position) = blocking(move || {
            let changes = q::changes(&from_view, &to_view, &actor, &log).map_err(query_error)?;
            let positions = projector.read(|model| {
                let live = model
                    .programme(&programme)
                    .ok_or_else(|| programme_not_found(&programme))?;
                let resolve =
                    |at| time_travel::resolve_position(&log, live, &at).map_err(ApiError::internal);
                Ok::<_, ApiError>((resolve(from_at)?, resolve(to_at)?))
            })?;
            Ok((changes, positions.0, positions.1))
        })
        .await?;
        Ok(ChangeSetObject::new(changes, from_position, to_position))
    }

    /// Les bilans finaux dont l'échéance est passée ou tombe dans les `withinDays` jours.
    async fn reports_due(
        &self,
        ctx: &Context<'_>,
        programme_id: ID,
        #[graphql(default_with = "Some(30)")] within_days: Option<i32>,
    ) -> Result<Vec<ReportDueObject>> {
        let within_days = within_days.unwrap_or(30);
        let within_days = u32::try_from(within_days).map_err(|_| {
            ApiError::validation(format!(
                "« withinDays » ne peut pas être négatif ({within_days} donné)."
            ))
        })?;
        let programme = super::reading::programme_id(&programme_id)?;
        Viewer::of(ctx)?.require_programme(&programme)?;
        let state = app_state(ctx);
        let bound =
            live_bound(state, &programme)?.ok_or_else(|| programme_not_found(&programme))?;
        let today = state.clock.today();
        let actor = actor(ctx)?;
        let due = bound
            .read(|view| q::reports_due(view, actor, today, within_days))?
            .map_err(query_error)?;
        Ok(due
            .into_iter()
            .map(|d| ReportDueObject::new(&bound, d))
            .collect())
    }
}
