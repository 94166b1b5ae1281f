//! People and invitations (api-next: `people`, `invitePerson`, `revokePerson`): who may sign in
//! through OpenID Connect, with which roles. DOMAIN.md: an ADMIN for everyone, a PILOT for their
//! programme's roles other than ADMIN.

use super::enums::Role;
use super::scalars::DateTime;
use crate::auth::Viewer;
use crate::error::ApiError;
use crate::people::{Invitation, PeopleError, Person};
use crate::state::AppState;
use async_graphql::{Context, ID, Object, Result, SimpleObject};

impl From<PeopleError> for ApiError {
    fn from(error: PeopleError) -> Self {
        match error {
            PeopleError::Invalid(message) => ApiError::validation(message),
            PeopleError::Forbidden(message) => ApiError::forbidden(message),
            PeopleError::UnknownId(_) => {
                ApiError::not_found(format!("{}.", crate::error::capitalise(&error.to_string())))
            }
            other => ApiError::internal(other),
        }
    }
}

/// A role a person holds (or is invited to hold, until first sign-in).
#[derive(SimpleObject)]
#[graphql(name = "RoleAssignment")]
pub struct RoleAssignmentObject {
    role: Role,
    programme_id: Option<ID>,
    partner_id: Option<ID>,
    pending: bool,
}

#[derive(SimpleObject)]
#[graphql(name = "Person")]
pub struct PersonObject {
    id: ID,
    email: String,
    name: Option<String>,
    roles: Vec<RoleAssignmentObject>,
    signed_in_at: Option<DateTime>,
    revoked: bool,
}

impl From<Person> for PersonObject {
    fn from(p: Person) -> Self {
        PersonObject {
            id: ID(p.id),
            email: p.email,
            name: p.name,
            roles: p
                .roles
                .into_iter()
                .map(|r| RoleAssignmentObject {
                    role: r.role.into(),
                    programme_id: r.programme.map(|x| ID(x.to_string())),
                    partner_id: r.partner.map(|x| ID(x.to_string())),
                    pending: r.pending,
                })
                .collect(),
            signed_in_at: p.signed_in_at.map(DateTime),
            revoked: p.revoked,
        }
    }
}

async fn blocking<R: Send + 'static>(
    f: impl FnOnce() -> Result<R, PeopleError> + Send + 'static,
) -> Result<R, ApiError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(ApiError::internal)?
        .map_err(ApiError::from)
}

#[derive(Default)]
pub struct PeopleQuery;

#[Object]
impl PeopleQuery {
    /// Les personnes et les invitations en attente : toutes pour un administrateur, celles de
    /// son programme pour un pilote.
    async fn people(
        &self,
        ctx: &Context<'_>,
        programme_id: Option<ID>,
    ) -> Result<Vec<PersonObject>> {
        let viewer = Viewer::of(ctx)?;
        let people = ctx.data_unchecked::<AppState>().people.clone();
        let actor = viewer.actor.clone();
        let mut list = blocking(move || people.list(&actor)).await?;
        if let Some(programme) = programme_id {
            list.retain(|p| {
                p.roles
                    .iter()
                    .any(|r| r.programme.as_ref().map(|x| x.as_str()) == Some(programme.as_str()))
            });
        }
        Ok(list.into_iter().map(Into::into).collect())
    }
}

#[derive(Default)]
pub struct PeopleMutation;

#[Object]
impl PeopleMutation {
    /// Invite une personne par son adresse : le rôle lui revient à sa première connexion avec
    /// cette adresse, vérifiée par le fournisseur d'identité.
    async fn invite_person(
        &self,
        ctx: &Context<'_>,
        email: String,
        role: Role,
        programme_id: Option<ID>,
        partner_id: Option<ID>,
    ) -> Result<PersonObject> {
        let viewer = Viewer::of(ctx)?;
        let people = ctx.data_unchecked::<AppState>().people.clone();
        let actor = viewer.actor.clone();
        let invitation = Invitation {
            email,
            role: role.into(),
            programme: programme_id.map(|x| x.0),
            partner: partner_id.map(|x| x.0),
        };
        let person = blocking(move || people.invite(invitation, &actor)).await?;
        tracing::info!(person = %person.id, by = %viewer.token_id, "person invited");
        Ok(person.into())
    }

    /// Retire un rôle (ou une invitation en attente) à une personne, qui garde ses autres rôles ;
    /// ses sessions prennent fin (elle se reconnecte et choisit parmi les rôles qui lui restent).
    async fn remove_role(
        &self,
        ctx: &Context<'_>,
        id: ID,
        role: Role,
        programme_id: Option<ID>,
        partner_id: Option<ID>,
    ) -> Result<PersonObject> {
        let viewer = Viewer::of(ctx)?;
        let state = ctx.data_unchecked::<AppState>();
        let people = state.people.clone();
        let actor = viewer.actor.clone();
        let person = blocking(move || {
            let role = Invitation {
                email: String::new(),
                role: role.into(),
                programme: programme_id.map(|x| x.0),
                partner: partner_id.map(|x| x.0),
            };
            people.remove_role(&id.0, &role, &actor)
        })
        .await?;
        state.sessions.end_person(&person.id);
        tracing::info!(person = %person.id, by = %viewer.token_id, "role removed");
        Ok(person.into())
    }

    /// Retire l'accès d'une personne : ses sessions et ses abonnements prennent fin aussitôt.
    async fn revoke_person(&self, ctx: &Context<'_>, id: ID) -> Result<PersonObject> {
        let viewer = Viewer::of(ctx)?;
        let state = ctx.data_unchecked::<AppState>();
        let people = state.people.clone();
        let actor = viewer.actor.clone();
        let person = blocking(move || people.revoke(&id.0, &actor)).await?;
        state.sessions.end_person(&person.id);
        tracing::info!(person = %person.id, by = %viewer.token_id, "person revoked");
        Ok(person.into())
    }
}
