//! The server's own part of the API: `me`, `tokens`, `createToken`, `revokeToken`,
//! `integrity`, and the `integrity` subscription (an addition to api.graphql, for dashboards).

use crate::auth::Viewer;
use crate::error::ApiError;
use crate::schema::enums::Role;
use crate::schema::scalars::DateTime;
use crate::state::AppState;
use crate::tokens::{NewToken, TokenInfo};
use async_graphql::futures_util::Stream;
use async_graphql::{Context, ID, Object, Result, SimpleObject, Subscription};
use std::time::Duration;

/// How long `integrity` waits for the chain watch to reach the head before answering.
const INTEGRITY_PATIENCE: Duration = Duration::from_millis(500);

#[Object(name = "Viewer")]
impl Viewer {
    #[graphql(name = "role")]
    async fn graphql_role(&self) -> Role {
        self.actor.role.into()
    }

    async fn programme_id(&self) -> Option<ID> {
        self.actor.programme.as_ref().map(|p| ID(p.to_string()))
    }

    async fn partner_id(&self) -> Option<ID> {
        self.actor.partner.as_ref().map(|p| ID(p.to_string()))
    }

    #[graphql(name = "name")]
    async fn graphql_name(&self) -> &str {
        &self.name
    }

    /// La personne connectée ; nul pour un jeton.
    async fn person_id(&self) -> Option<ID> {
        self.person_id.as_ref().map(|p| ID(p.clone()))
    }
}

/// A token without its secret.
#[derive(SimpleObject)]
#[graphql(name = "TokenInfo")]
pub struct TokenInfoObject {
    id: ID,
    role: Role,
    programme_id: Option<ID>,
    partner_id: Option<ID>,
    name: String,
    created_at: DateTime,
    revoked: bool,
}

impl From<TokenInfo> for TokenInfoObject {
    fn from(token: TokenInfo) -> Self {
        TokenInfoObject {
            id: ID(token.id),
            role: token.role.into(),
            programme_id: token.programme.map(|p| ID(p.to_string())),
            partner_id: token.partner.map(|p| ID(p.to_string())),
            name: token.name,
            created_at: DateTime(token.created_at),
            revoked: token.revoked,
        }
    }
}

#[derive(SimpleObject)]
pub struct TokenPayload {
    token: TokenInfoObject,
    /// Le secret du jeton, montré cette seule fois.
    secret: String,
}

/// Whether the log holds `hash` at `position`: what an auditor checks of a printed document.
#[derive(SimpleObject, Clone, PartialEq, Eq)]
pub struct DocumentCheck {
    position: i64,
    /// The hash asked about, in lower case.
    hash: String,
    matches: bool,
}

/// The hash `text` (64 hexadecimal digits), or the French reason it is not one.
pub fn parse_hash(text: &str) -> std::result::Result<[u8; 32], String> {
    let text = text.trim();
    let mut hash = [0u8; 32];
    if text.len() != 64 || !text.is_ascii() {
        return Err(format!(
            "Une empreinte est faite de 64 chiffres hexadécimaux ({} caractères reçus).",
            text.chars().count()
        ));
    }
    for (i, byte) in hash.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&text[2 * i..2 * i + 2], 16)
            .map_err(|_| format!("« {text} » n'est pas une empreinte en hexadécimal."))?;
    }
    Ok(hash)
}

/// Whether `log` holds `hash` at `position`; the French reason when the question cannot be
/// asked (a position beyond the head, a malformed hash).
pub fn check_document(
    log: &eventlog::EventLog,
    position: i64,
    hash: &str,
) -> std::result::Result<bool, String> {
    let wanted = parse_hash(hash)?;
    let head = log.head().position;
    let at = u64::try_from(position).ok().filter(|p| (1..=head).contains(p)).ok_or_else(|| {
        format!(
            "La position {position} n'est pas dans le journal, qui va de 1 à {head} : ce document ne vient pas de ce registre, ou d'un état plus récent que celui-ci."
        )
    })?;
    let envelope = log
        .read_range(at, at)
        .next()
        .ok_or_else(|| format!("La position {at} n'a pas pu être relue."))?
        .map_err(|e| format!("La position {at} n'a pas pu être relue ({e})."))?;
    Ok(envelope.hash == wanted)
}

/// L'état de la chaîne d'empreintes du journal.
#[derive(SimpleObject, Clone, PartialEq, Eq)]
pub struct Integrity {
    head_position: i64,
    head_hash: String,
    verified: bool,
    verified_up_to: i64,
}

fn as_int(position: u64) -> i64 {
    i64::try_from(position).unwrap_or(i64::MAX)
}

impl Integrity {
    fn now(state: &AppState, status: &crate::integrity::ChainStatus) -> Integrity {
        let head = state.log.head();
        Integrity {
            head_position: as_int(head.position),
            head_hash: hex::encode(head.hash),
            verified: status.verified_to(head.position),
            verified_up_to: as_int(status.verified_up_to.min(head.position)),
        }
    }
}

#[derive(Default)]
pub struct BaseQuery;

#[Object]
impl BaseQuery {
    /// Le porteur du jeton de la requête.
    async fn me<'a>(&self, ctx: &Context<'a>) -> Result<&'a Viewer> {
        Ok(Viewer::of(ctx)?)
    }

    /// Réservé aux administrateurs : les jetons, sans leur secret.
    async fn tokens(&self, ctx: &Context<'_>) -> Result<Vec<TokenInfoObject>> {
        Viewer::of(ctx)?.require_admin()?;
        let state = ctx.data_unchecked::<AppState>();
        let tokens = state.tokens.clone();
        let list = tokio::task::spawn_blocking(move || tokens.list())
            .await
            .map_err(ApiError::internal)?
            .map_err(ApiError::from)?;
        Ok(list.into_iter().map(Into::into).collect())
    }

    /// Confirms that the log holds `hash` at `position` (for a printed document): VALIDATION beyond the head.
    async fn check_document(
        &self,
        ctx: &Context<'_>,
        position: i64,
        hash: String,
    ) -> Result<DocumentCheck> {
        Viewer::of(ctx)?;
        let log = ctx.data_unchecked::<AppState>().log.clone();
        let asked = hash.trim().to_lowercase();
        let checked = asked.clone();
        let matches = crate::schema::reading::blocking(move || {
            check_document(&log, position, &checked).map_err(ApiError::validation)
        })
        .await?;
        Ok(DocumentCheck {
            position,
            hash: asked,
            matches,
        })
    }

    /// La tête du journal et l'état de sa vérification.
    async fn integrity(&self, ctx: &Context<'_>) -> Result<Integrity> {
        Viewer::of(ctx)?;
        let state = ctx.data_unchecked::<AppState>();
        let head = state.log.head().position;
        let status = state.chain.status_at(head, INTEGRITY_PATIENCE).await;
        Ok(Integrity::now(state, &status))
    }
}

#[derive(Default)]
pub struct TokenMutation;

#[Object]
impl TokenMutation {
    /// Réservé aux administrateurs. Les jetons vivent hors du journal : ils ne sont ni exportés
    /// ni importés.
    async fn create_token(
        &self,
        ctx: &Context<'_>,
        role: Role,
        programme_id: Option<ID>,
        partner_id: Option<ID>,
        name: String,
    ) -> Result<TokenPayload> {
        let viewer = Viewer::of(ctx)?;
        viewer.require_admin()?;
        let state = ctx.data_unchecked::<AppState>();
        let tokens = state.tokens.clone();
        let request = NewToken {
            role: role.into(),
            programme: programme_id.map(|id| id.0),
            partner: partner_id.map(|id| id.0),
            name,
        };
        let (token, secret) = tokio::task::spawn_blocking(move || tokens.create(request))
            .await
            .map_err(ApiError::internal)?
            .map_err(ApiError::from)?;
        tracing::info!(token = %token.id, by = %viewer.token_id, role = ?token.role, "token created");
        Ok(TokenPayload {
            token: token.into(),
            secret,
        })
    }

    /// Réservé aux administrateurs : le jeton ne donne plus accès, dès maintenant.
    async fn revoke_token(&self, ctx: &Context<'_>, id: ID) -> Result<TokenInfoObject> {
        let viewer = Viewer::of(ctx)?;
        viewer.require_admin()?;
        let state = ctx.data_unchecked::<AppState>();
        let tokens = state.tokens.clone();
        let token = tokio::task::spawn_blocking(move || tokens.revoke(&id.0))
            .await
            .map_err(ApiError::internal)?
            .map_err(ApiError::from)?;
        tracing::info!(token = %token.id, by = %viewer.token_id, "token revoked");
        Ok(token.into())
    }
}

#[derive(Default)]
pub struct IntegritySubscription;

#[Subscription]
impl IntegritySubscription {
    /// L'état de la chaîne maintenant, puis à chaque progression de sa vérification.
    async fn integrity(&self, ctx: &Context<'_>) -> Result<impl Stream<Item = Integrity>> {
        Viewer::of(ctx)?;
        let state = ctx.data_unchecked::<AppState>().clone();
        let changes = tokio_stream::wrappers::WatchStream::new(state.chain.subscribe());
        Ok(async_graphql::futures_util::StreamExt::map(
            changes,
            move |status| Integrity::now(&state, &status),
        ))
    }
}
