//! The sign-in routes: `GET /auth/login` (to the provider), `GET /auth/callback` (back from it:
//! the session is opened for an invited person), `GET /auth/session` (who is signed in, their
//! roles, and the header the page sends), `POST /auth/role` (the role to act in) and
//! `POST /auth/logout`.

use crate::oidc::OidcError;
use crate::people::PeopleError;
use crate::server::Server;
use crate::sessions::{self, COOKIE, CSRF_HEADER};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

/// A French page with one message and a way back, for a sign-in that did not go through.
fn page(status: StatusCode, message: &str) -> Response {
    let escaped = message
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;");
    let body = format!(
        "<!doctype html><html lang=\"fr\"><head><meta charset=\"utf-8\"><title>Connexion — Chronique</title></head>\
         <body><main><h1>Connexion impossible</h1><p data-testid=\"signin-refused\">{escaped}</p>\
         <p><a href=\"/\">Revenir à Chronique</a></p></main></body></html>"
    );
    (status, Html(body)).into_response()
}

fn secure(server: &Server) -> bool {
    server
        .state
        .oidc
        .as_ref()
        .is_some_and(|o| o.public_url().starts_with("https://"))
}

fn session_id(headers: &HeaderMap) -> Option<String> {
    sessions::cookie(
        headers.get(header::COOKIE).and_then(|v| v.to_str().ok()),
        COOKIE,
    )
    .map(str::to_owned)
}

/// `GET /auth/login`: to the provider, with a new state, nonce and PKCE challenge.
pub(crate) async fn login(State(server): State<Server>) -> Response {
    match &server.state.oidc {
        Some(oidc) => (StatusCode::SEE_OTHER, [(header::LOCATION, oidc.start())]).into_response(),
        None => page(
            StatusCode::NOT_FOUND,
            "La connexion par un fournisseur d'identité n'est pas configurée sur ce serveur : connectez-vous avec un jeton d'accès.",
        ),
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct Callback {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

/// `GET /auth/callback`: the provider's answer, checked; an invited person gets a session.
pub(crate) async fn callback(
    State(server): State<Server>,
    Query(answer): Query<Callback>,
) -> Response {
    let Some(oidc) = server.state.oidc.clone() else {
        return page(
            StatusCode::NOT_FOUND,
            "La connexion par un fournisseur d'identité n'est pas configurée sur ce serveur.",
        );
    };
    if let Some(error) = answer.error {
        let detail = answer.error_description.unwrap_or(error);
        return page(
            StatusCode::BAD_REQUEST,
            &format!("Le fournisseur d'identité a refusé la connexion : {detail}."),
        );
    }
    let (Some(code), Some(state)) = (answer.code, answer.state) else {
        return page(
            StatusCode::BAD_REQUEST,
            "La réponse du fournisseur d'identité est incomplète : recommencez depuis « Se connecter ».",
        );
    };
    let who = match oidc.finish(&code, &state).await {
        Ok(who) => who,
        Err(error) => {
            let status = match error {
                OidcError::NoVerifiedEmail => StatusCode::FORBIDDEN,
                OidcError::Discovery { .. } | OidcError::Provider(_) => StatusCode::BAD_GATEWAY,
                _ => StatusCode::BAD_REQUEST,
            };
            return page(status, &crate::error::capitalise(&error.to_string()));
        }
    };
    let people = server.state.people.clone();
    let person = match tokio::task::spawn_blocking(move || people.sign_in(&who)).await {
        Ok(Ok(person)) => person,
        Ok(Err(
            error @ (PeopleError::NotInvited(_)
            | PeopleError::Revoked(_)
            | PeopleError::OtherSubject(_)),
        )) => {
            return page(
                StatusCode::FORBIDDEN,
                &crate::error::capitalise(&error.to_string()),
            );
        }
        Ok(Err(error)) => {
            tracing::error!(%error, "sign-in failed");
            return page(
                StatusCode::INTERNAL_SERVER_ERROR,
                "La connexion a échoué sur le serveur : réessayez.",
            );
        }
        Err(error) => {
            tracing::error!(%error, "sign-in task failed");
            return page(
                StatusCode::INTERNAL_SERVER_ERROR,
                "La connexion a échoué sur le serveur : réessayez.",
            );
        }
    };
    let session = server.state.sessions.create(&person.id);
    let mut response = (StatusCode::SEE_OTHER, [(header::LOCATION, "/")]).into_response();
    if let Ok(cookie) = HeaderValue::from_str(&sessions::set_cookie(&session.id, secure(&server))) {
        response.headers_mut().insert(header::SET_COOKIE, cookie);
    }
    response
}

/// 401 for a request that needs a session.
fn no_session() -> Response {
    (
        StatusCode::UNAUTHORIZED,
        axum::Json(json!({"error": "Aucune session de connexion : connectez-vous."})),
    )
        .into_response()
}

/// No session. `/auth/session` answers 200 even so (`signedIn: false`): the page asks it at
/// every start, and a refusal would be a browser error on every server used with tokens. It
/// says whether signing in through the provider is offered here.
fn unauthenticated(server: &Server) -> Response {
    axum::Json(json!({
        "signedIn": false,
        "signInAvailable": server.state.oidc.is_some(),
    }))
    .into_response()
}

/// `GET /auth/session`: the person signed in, their roles, the one they act in, and the value
/// of the header their page sends.
pub(crate) async fn session(State(server): State<Server>, headers: HeaderMap) -> Response {
    let Some(id) = session_id(&headers) else {
        return unauthenticated(&server);
    };
    let Some(session) = server.state.sessions.get(&id) else {
        return unauthenticated(&server);
    };
    match server.state.people.get(&session.person) {
        Ok(Some(person)) if !person.revoked => axum::Json(json!({
            "signedIn": true,
            "signInAvailable": true,
            "personId": person.id,
            "email": person.email,
            "name": person.name,
            "roles": person.roles.iter().map(|r| json!({
                "role": r.role,
                "programmeId": r.programme,
                "partnerId": r.partner,
                "pending": r.pending,
            })).collect::<Vec<_>>(),
            "active": session.active,
            "csrfHeader": CSRF_HEADER,
            "csrf": session.csrf,
        }))
        .into_response(),
        _ => {
            server.state.sessions.end(&id);
            unauthenticated(&server)
        }
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct Choice {
    role: usize,
}

/// `POST /auth/role` (`{"role": n}`, with the page's header): the role the session acts in.
pub(crate) async fn choose_role(
    State(server): State<Server>,
    headers: HeaderMap,
    axum::Json(choice): axum::Json<Choice>,
) -> Response {
    let Some(id) = session_id(&headers) else {
        return no_session();
    };
    let Some(session) = server.state.sessions.get(&id) else {
        return no_session();
    };
    if headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok()) != Some(session.csrf.as_str()) {
        return (
            StatusCode::FORBIDDEN,
            axum::Json(json!({"error": "Ce choix vient d'une autre page que celle de Chronique : rien n'a changé."})),
        )
            .into_response();
    }
    let roles = match server.state.people.get(&session.person) {
        Ok(Some(person)) => person.roles.len(),
        _ => 0,
    };
    if choice.role >= roles {
        return (
            StatusCode::BAD_REQUEST,
            axum::Json(json!({"error": format!("Vous n'avez pas de rôle n° {} : choisissez parmi les {roles} de votre compte.", choice.role + 1)})),
        )
            .into_response();
    }
    server.state.sessions.choose(&id, choice.role);
    StatusCode::NO_CONTENT.into_response()
}

/// `POST /auth/logout`: the session ends on the server, and its cookie in the browser.
pub(crate) async fn logout(State(server): State<Server>, headers: HeaderMap) -> Response {
    if let Some(id) = session_id(&headers) {
        server.state.sessions.end(&id);
    }
    let mut response = StatusCode::NO_CONTENT.into_response();
    if let Ok(cookie) = HeaderValue::from_str(&sessions::clear_cookie(secure(&server))) {
        response.headers_mut().insert(header::SET_COOKIE, cookie);
    }
    response
}
