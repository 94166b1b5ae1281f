//! Who is asking: the bearer token of a request, resolved to a [`Viewer`].
//!
//! On HTTP the token comes in `Authorization: Bearer <token>`; on the WebSocket in the
//! `connection_init` payload, `{"token": "…"}`. A missing, unknown or revoked token is
//! UNAUTHENTICATED for **every** operation, introspection included: the API is closed, and the
//! request is answered before anything runs. (The GraphiQL page served at `GET /graphql` needs
//! no token; its requests do, in its headers editor.)
//!
//! The viewer is placed in the request's data; resolvers read it with [`Viewer::of`] and check
//! what it may read with the helpers below. Commands are authorised by the domain itself
//! (`decide` checks the actor); these helpers are for the read side and for tokens.

use crate::error::ApiError;
use crate::tokens::{TokenInfo, TokenStore};
use domain::actor::Actor;
use domain::values::{PartnerId, ProgrammeId, Role};

/// The bearer of a valid token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Viewer {
    /// The token's id, or `session:<id>` for a person signed in.
    pub token_id: String,
    pub actor: Actor,
    pub name: String,
    /// The person signed in; `None` for a token.
    pub person_id: Option<String>,
}

impl Viewer {
    pub fn from_token(token: &TokenInfo) -> Viewer {
        Viewer {
            token_id: token.id.clone(),
            actor: token.actor(),
            name: token.name.clone(),
            person_id: None,
        }
    }

    /// The viewer of the current request; UNAUTHENTICATED when there is none (the server
    /// refuses such requests before they run, so this is a second line of defence, e.g. for
    /// `schema.execute` in tests).
    pub fn of<'a>(ctx: &async_graphql::Context<'a>) -> Result<&'a Viewer, ApiError> {
        ctx.data_opt::<Viewer>().ok_or(ApiError::Unauthenticated)
    }

    pub fn role(&self) -> Role {
        self.actor.role
    }

    pub fn programme(&self) -> Option<&ProgrammeId> {
        self.actor.programme.as_ref()
    }

    pub fn partner(&self) -> Option<&PartnerId> {
        self.actor.partner.as_ref()
    }

    /// The actor id envelopes record: `person:<id>` for a person, `token:<id>` for a token.
    pub fn actor_id(&self) -> String {
        match &self.person_id {
            Some(person) => crate::actors::of_person(person),
            None => crate::actors::of_token(&self.token_id),
        }
    }

    /// The viewer as the issuer of a command.
    pub fn issuer(&self) -> crate::commands::Issuer {
        crate::commands::Issuer {
            id: self.actor_id(),
            actor: self.actor.clone(),
        }
    }

    /// The name shown for the viewer: « Marie Dupont (coordination) ».
    pub fn display_name(&self) -> String {
        format!("{} ({})", self.name, self.actor.role.label())
    }

    /// FORBIDDEN unless the token is an ADMIN's.
    pub fn require_admin(&self) -> Result<(), ApiError> {
        if self.role() == Role::Admin {
            Ok(())
        } else {
            Err(ApiError::forbidden(format!(
                "Seul un administrateur peut faire cela ; ce jeton a le rôle « {} ».",
                self.role().label()
            )))
        }
    }

    /// Whether the token may read anything of `programme` (ADMIN: every programme; others:
    /// their own).
    pub fn sees_programme(&self, programme: &ProgrammeId) -> bool {
        self.role() == Role::Admin || self.programme() == Some(programme)
    }

    /// FORBIDDEN unless the token may read `programme`.
    pub fn require_programme(&self, programme: &ProgrammeId) -> Result<(), ApiError> {
        if self.sees_programme(programme) {
            return Ok(());
        }
        Err(ApiError::forbidden(match self.programme() {
            Some(own) => format!(
                "Ce jeton est lié à la cité éducative « {own} » et ne donne pas accès à « {programme} »."
            ),
            None => format!("Ce jeton ne donne pas accès à la cité éducative « {programme} »."),
        }))
    }

    /// Whether the token sees everything of its programme, the raw log included: ADMIN,
    /// PILOT, COORDINATOR and EVALUATOR (DOMAIN.md, "Permissions", reading).
    pub fn sees_everything(&self) -> bool {
        matches!(
            self.role(),
            Role::Admin | Role::Pilot | Role::Coordinator | Role::Evaluator
        )
    }

    /// FORBIDDEN unless the token may read the raw event log of `programme`.
    pub fn require_raw_log(&self, programme: &ProgrammeId) -> Result<(), ApiError> {
        self.require_programme(programme)?;
        if self.sees_everything() {
            Ok(())
        } else {
            Err(ApiError::forbidden(format!(
                "Le journal brut des événements est réservé aux rôles administrateur, pilote, coordination et évaluateur ; ce jeton a le rôle « {} ».",
                self.role().label()
            )))
        }
    }
}

/// Why a request carries no viewer.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("no valid token")]
    Unauthenticated,
    #[error("the token store failed")]
    Store(#[source] crate::tokens::TokenError),
    #[error("the people store failed: {0}")]
    People(String),
    /// A session's request without the page's header.
    #[error("a session's request came without its protection header")]
    CrossSite,
}

impl From<AuthError> for ApiError {
    fn from(error: AuthError) -> Self {
        match error {
            AuthError::Unauthenticated => ApiError::Unauthenticated,
            AuthError::Store(e) => ApiError::internal(e),
            AuthError::People(e) => ApiError::bug(e),
            AuthError::CrossSite => ApiError::forbidden(
                "Cette demande vient d'une autre page que celle de Chronique (l'en-tête de protection de la session manque) : rien n'a été fait.",
            ),
        }
    }
}

/// The token of an `Authorization` header value: `Bearer <token>` (the scheme in any case).
pub fn bearer_token(header: Option<&str>) -> Option<&str> {
    let header = header?.trim();
    let (scheme, token) = header.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

/// The token of a `connection_init` payload: `{"token": "…"}` (also accepted:
/// `{"Authorization": "Bearer …"}`, which some clients send).
pub fn payload_token(payload: &serde_json::Value) -> Option<String> {
    if let Some(token) = payload.get("token").and_then(|t| t.as_str()) {
        return Some(token.trim().to_owned());
    }
    let header = payload
        .get("Authorization")
        .or_else(|| payload.get("authorization"))
        .and_then(|h| h.as_str());
    bearer_token(header).map(str::to_owned)
}

/// Who a request is, and the token its writes must carry when it came with a session cookie.
#[derive(Debug, Clone)]
pub struct Authenticated {
    pub viewer: Viewer,
    /// `Some` for a session: the value of [`crate::sessions::CSRF_HEADER`] its writes need.
    pub csrf: Option<String>,
}

/// The viewer of an HTTP request: its bearer token, else its session cookie.
pub fn authenticate_request(
    state: &crate::state::AppState,
    headers: &axum::http::HeaderMap,
) -> Result<Authenticated, AuthError> {
    let bearer = bearer_token(
        headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok()),
    );
    if bearer.is_some() {
        return authenticate(&state.tokens, bearer)
            .map(|viewer| Authenticated { viewer, csrf: None });
    }
    let cookies = headers
        .get(axum::http::header::COOKIE)
        .and_then(|v| v.to_str().ok());
    let id = crate::sessions::cookie(cookies, crate::sessions::COOKIE)
        .ok_or(AuthError::Unauthenticated)?;
    let session = state.sessions.get(id).ok_or(AuthError::Unauthenticated)?;
    let person = state
        .people
        .get(&session.person)
        .map_err(|e| AuthError::People(e.to_string()))?
        .filter(|p| !p.revoked)
        .ok_or_else(|| {
            state.sessions.end(&session.id);
            AuthError::Unauthenticated
        })?;
    let role = person
        .roles
        .get(session.active)
        .filter(|r| !r.pending)
        .ok_or(AuthError::Unauthenticated)?;
    Ok(Authenticated {
        viewer: Viewer {
            token_id: format!("session:{}", session.id),
            actor: role.actor(),
            name: person.name.clone().unwrap_or_else(|| person.email.clone()),
            person_id: Some(person.id.clone()),
        },
        csrf: Some(session.csrf),
    })
}

/// [`authenticate_request`] for the endpoints besides `/graphql` (export, spreadsheets): a
/// session's request must always carry the page's header.
pub fn authenticate_with_header(
    state: &crate::state::AppState,
    headers: &axum::http::HeaderMap,
) -> Result<Viewer, AuthError> {
    let authenticated = authenticate_request(state, headers)?;
    if let Some(csrf) = &authenticated.csrf
        && headers
            .get(crate::sessions::CSRF_HEADER)
            .and_then(|v| v.to_str().ok())
            != Some(csrf.as_str())
    {
        return Err(AuthError::CrossSite);
    }
    Ok(authenticated.viewer)
}

/// The HTTP status of a refusal.
pub fn status_of(error: &AuthError) -> axum::http::StatusCode {
    match error {
        AuthError::Unauthenticated => axum::http::StatusCode::UNAUTHORIZED,
        AuthError::CrossSite => axum::http::StatusCode::FORBIDDEN,
        AuthError::Store(_) | AuthError::People(_) => axum::http::StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// Resolves a secret to its viewer.
pub fn authenticate(tokens: &TokenStore, secret: Option<&str>) -> Result<Viewer, AuthError> {
    let secret = secret.ok_or(AuthError::Unauthenticated)?;
    match tokens.authenticate(secret) {
        Ok(Some(token)) => Ok(Viewer::from_token(&token)),
        Ok(None) => Err(AuthError::Unauthenticated),
        Err(e) => Err(AuthError::Store(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_header_is_read_in_any_case() {
        assert_eq!(bearer_token(Some("Bearer chq_abc")), Some("chq_abc"));
        assert_eq!(bearer_token(Some("bearer  chq_abc ")), Some("chq_abc"));
        assert_eq!(bearer_token(Some("Basic xyz")), None);
        assert_eq!(bearer_token(Some("Bearer ")), None);
        assert_eq!(bearer_token(None), None);
    }

    #[test]
    fn connection_init_token_is_read_from_the_payload() {
        let payload = serde_json::json!({"token": "chq_abc"});
        assert_eq!(payload_token(&payload).as_deref(), Some("chq_abc"));
        let payload = serde_json::json!({"Authorization": "Bearer chq_def"});
        assert_eq!(payload_token(&payload).as_deref(), Some("chq_def"));
        assert_eq!(payload_token(&serde_json::json!({})), None);
    }

    #[test]
    fn only_reading_roles_see_the_raw_log() {
        let p = ProgrammeId::parse("nord").unwrap();
        let viewer = |actor: Actor| Viewer {
            token_id: "t".into(),
            actor,
            name: "n".into(),
            person_id: None,
        };
        assert!(viewer(Actor::admin()).require_raw_log(&p).is_ok());
        assert!(
            viewer(Actor::of(Role::Evaluator, p.clone()))
                .require_raw_log(&p)
                .is_ok()
        );
        assert!(
            viewer(Actor::of(Role::Observer, p.clone()))
                .require_raw_log(&p)
                .is_err()
        );
        let other = ProgrammeId::parse("sud").unwrap();
        assert!(
            viewer(Actor::of(Role::Pilot, other))
                .require_raw_log(&p)
                .is_err()
        );
    }
}
