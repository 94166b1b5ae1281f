//! The HTTP server: the axum router over the schema, the page and the operational endpoints.
//!
//! | route | what |
//! |---|---|
//! | `GET /graphql` | GraphiQL, for a person in a browser (no token needed to load it); a simple console when its CDN is out of reach |
//! | `GET /graphql/schema.graphql` | the schema served, in SDL |
//! | `POST /graphql` | GraphQL over HTTP; `Authorization: Bearer <token>` |
//! | `GET /graphql/ws` | subscriptions, `graphql-transport-ws`; token in `connection_init` |
//! | `GET /health` | JSON: status, head position, projection lag, chain verification |
//! | `GET /metrics` | Prometheus text |
//! | `GET /` | the timeline page (French) |
//! | `GET /assets/…` | its CSS and scripts |
//!
//! Limits: a body above [`Config::max_body_bytes`] is refused with HTTP 413 and
//! `extensions.code = LIMIT`; a request running longer than [`Config::request_timeout`] is
//! answered LIMIT. A request without a valid token is answered UNAUTHENTICATED (HTTP 401)
//! before anything runs.

use crate::assets;
use crate::auth::{self, AuthError, Viewer};
use crate::cache::{AnswerCache, Moment};
use crate::error::{ApiError, Code};
use crate::schema::{ChroniqueSchema, build_schema};
use crate::state::{AppState, Config};
use async_graphql::http::ALL_WEBSOCKET_PROTOCOLS;
use async_graphql::{BatchRequest, BatchResponse, Data};
use async_graphql_axum::{GraphQLProtocol, GraphQLWebSocket};
use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Path, State, WebSocketUpgrade};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use std::future::Future;
use std::sync::Arc;
use std::time::Instant;

#[derive(Clone)]
struct Server {
    state: AppState,
    schema: ChroniqueSchema,
    answers: Arc<AnswerCache>,
}

/// The router of the whole server, for `main` and for tests.
pub fn app(state: AppState) -> Router {
    let schema = build_schema(state.clone());
    let max_body = state.config.max_body_bytes;
    let answers = Arc::new(AnswerCache::new(state.config.answer_cache_bytes));
    Router::new()
        .route("/graphql", get(graphiql).post(graphql_http))
        .route("/graphql/ws", get(graphql_ws))
        .route("/graphql/schema.graphql", get(schema_sdl))
        .route("/health", get(health))
        .route("/metrics", get(metrics))
        .route("/", get(index))
        .route("/assets/{*path}", get(asset))
        .layer(DefaultBodyLimit::max(max_body))
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .with_state(Server {
            state,
            schema,
            answers,
        })
}

/// Serves `app(state)` on `listener` until `shutdown` resolves, then lets the requests in
/// flight finish. The chain watch ([`crate::integrity`]) runs meanwhile and is stopped on
/// return, so that the caller can close the log.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let watch = tokio::spawn(state.chain.clone().run(state.log.clone()));
    let result = axum::serve(listener, app(state))
        .with_graceful_shutdown(shutdown)
        .await;
    watch.abort();
    // Waiting for the aborted task drops its handle on the log.
    let _ = watch.await;
    result
}

fn json_response(status: StatusCode, body: impl Into<axum::body::Body>) -> Response {
    let mut response = (status, body.into()).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

/// A GraphQL response made of one error, for requests refused before they run.
fn error_response(status: StatusCode, error: ApiError) -> Response {
    let response = async_graphql::Response::from_errors(vec![
        error
            .to_graphql()
            .into_server_error(async_graphql::Pos::default()),
    ]);
    let mut body = serde_json::to_value(&response).unwrap_or_default();
    // Errors refused before parsing have no place in the query: drop the (0, 0) location.
    if let Some(errors) = body.get_mut("errors").and_then(|e| e.as_array_mut()) {
        for error in errors {
            if let Some(map) = error.as_object_mut() {
                map.remove("locations");
            }
        }
    }
    let mut response = json_response(status, body.to_string());
    if error.code() == Code::Unauthenticated {
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    }
    response
}

fn outcome(response: &async_graphql::Response) -> String {
    response
        .errors
        .first()
        .map(|e| {
            e.extensions
                .as_ref()
                .and_then(|x| x.get("code"))
                .map(|c| c.to_string().trim_matches('"').to_owned())
                .unwrap_or_else(|| "INTERNAL".to_owned())
        })
        .unwrap_or_else(|| "ok".to_owned())
}

/// The name of the operation for the metrics: `operationName` when given, else the name in
/// the document (`query Journal(…) {…}`), else none (counted as `anonymous`).
fn operation_name(request: &BatchRequest) -> Option<String> {
    let first = match request {
        BatchRequest::Single(r) => Some(r),
        BatchRequest::Batch(list) => list.first(),
    }?;
    if let Some(name) = &first.operation_name {
        return Some(name.clone());
    }
    let text = first.query.trim_start();
    let rest = ["query", "mutation", "subscription"]
        .iter()
        .find_map(|keyword| text.strip_prefix(keyword))?;
    let name: String = rest
        .trim_start()
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    (!name.is_empty()).then_some(name)
}

async fn graphql_http(
    State(server): State<Server>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let started = Instant::now();
    let metrics = server.state.metrics.clone();
    let config: &Config = &server.state.config;
    let body = match body {
        Ok(body) => body,
        Err(rejection) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            metrics.record_request(None, Code::Limit.as_str(), started.elapsed());
            return error_response(
                StatusCode::PAYLOAD_TOO_LARGE,
                ApiError::limit(format!(
                    "La requête dépasse la taille maximale de {} Kio.",
                    config.max_body_bytes / 1024
                )),
            );
        }
        Err(rejection) => {
            metrics.record_request(None, Code::Validation.as_str(), started.elapsed());
            return error_response(
                StatusCode::BAD_REQUEST,
                ApiError::validation(format!(
                    "Le corps de la requête est illisible : {rejection}."
                )),
            );
        }
    };
    let request: BatchRequest = match serde_json::from_slice(&body) {
        Ok(request) => request,
        Err(error) => {
            metrics.record_request(None, Code::Validation.as_str(), started.elapsed());
            return error_response(
                StatusCode::BAD_REQUEST,
                ApiError::validation(format!(
                    "Le corps de la requête n'est pas une requête GraphQL en JSON ({{\"query\": \"…\", \"variables\": {{…}}}}) : {error}."
                )),
            );
        }
    };
    let operation = operation_name(&request);
    let secret = auth::bearer_token(
        headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok()),
    );
    let viewer: Viewer = match auth::authenticate(&server.state.tokens, secret) {
        Ok(viewer) => viewer,
        Err(error) => {
            let status = match error {
                AuthError::Unauthenticated => StatusCode::UNAUTHORIZED,
                AuthError::Store(_) => StatusCode::INTERNAL_SERVER_ERROR,
            };
            let error = ApiError::from(error);
            metrics.record_request(
                operation.as_deref(),
                error.code().as_str(),
                started.elapsed(),
            );
            return error_response(status, error);
        }
    };
    // A read-only query asked again before the register moved is answered from the cache.
    let cached = match (&request, &server.state.projector) {
        (BatchRequest::Single(single), Some(projector)) => {
            server.answers.key(single, &viewer.actor).map(|key| {
                let moment = Moment {
                    head: server.state.log.head().position,
                    projected: projector.position(),
                    today: server.state.clock.today(),
                };
                (key, moment)
            })
        }
        _ => None,
    };
    if let Some((key, moment)) = &cached
        && let Some(answer) = server.answers.get(key, *moment)
    {
        metrics.record_request(operation.as_deref(), "ok", started.elapsed());
        metrics.record_cached_answer();
        return json_response(StatusCode::OK, answer);
    }
    let request = request.data(viewer);
    // The execution runs in its own task: when the time is up the client is answered, but a
    // mutation already under way is not cut in the middle.
    let schema = server.schema.clone();
    let execution = tokio::spawn(async move { schema.execute_batch(request).await });
    let response = match tokio::time::timeout(config.request_timeout, execution).await {
        Ok(Ok(response)) => response,
        Ok(Err(join)) => {
            let error = ApiError::internal(join);
            metrics.record_request(
                operation.as_deref(),
                error.code().as_str(),
                started.elapsed(),
            );
            return error_response(StatusCode::INTERNAL_SERVER_ERROR, error);
        }
        Err(_) => {
            metrics.record_request(
                operation.as_deref(),
                Code::Limit.as_str(),
                started.elapsed(),
            );
            return error_response(
                StatusCode::OK,
                ApiError::limit(format!(
                    "La requête a duré plus de {} s et a été abandonnée. Si c'était une modification, elle a pu être enregistrée : vérifiez avant de recommencer (avec le même commandId, elle ne le sera pas deux fois).",
                    config.request_timeout.as_secs()
                )),
            );
        }
    };
    let outcome = match &response {
        BatchResponse::Single(r) => outcome(r),
        BatchResponse::Batch(list) => list.first().map(outcome).unwrap_or_else(|| "ok".to_owned()),
    };
    metrics.record_request(operation.as_deref(), &outcome, started.elapsed());
    match serde_json::to_string(&response) {
        Ok(body) => {
            let body = Bytes::from(body);
            if let Some((key, moment)) = cached
                && outcome == "ok"
            {
                server.answers.put(key, moment, body.clone());
            }
            json_response(StatusCode::OK, body)
        }
        Err(error) => error_response(StatusCode::INTERNAL_SERVER_ERROR, ApiError::internal(error)),
    }
}

/// GraphiQL, loaded from its CDN with the page's token; without the Internet, a simple console
/// in French takes its place.
async fn graphiql() -> Html<&'static str> {
    Html(include_str!("graphiql.html"))
}

/// The schema as served, in SDL, for tools and for people without GraphiQL.
async fn schema_sdl(State(server): State<Server>) -> Response {
    (
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        server.schema.sdl(),
    )
        .into_response()
}

async fn graphql_ws(
    State(server): State<Server>,
    protocol: GraphQLProtocol,
    upgrade: WebSocketUpgrade,
) -> Response {
    let tokens = server.state.tokens.clone();
    let schema = server.schema.clone();
    upgrade
        .protocols(ALL_WEBSOCKET_PROTOCOLS)
        .on_upgrade(move |stream| {
            GraphQLWebSocket::new(stream, schema, protocol)
                .on_connection_init(move |payload| async move {
                    let secret = auth::payload_token(&payload);
                    match auth::authenticate(&tokens, secret.as_deref()) {
                        Ok(viewer) => {
                            let mut data = Data::default();
                            data.insert(viewer);
                            Ok(data)
                        }
                        Err(error) => Err(ApiError::from(error).to_graphql()),
                    }
                })
                .serve()
        })
}

async fn health(State(server): State<Server>) -> Response {
    let state = &server.state;
    let head = state.log.head().position;
    let chain = state.chain.status();
    let broken = chain.broken.is_some();
    let body = serde_json::json!({
        "status": if broken { "broken" } else { "ok" },
        "headPosition": head,
        "projectionLag": state.projection_lag(),
        "verified": chain.verified_to(head),
        "verifiedUpTo": chain.verified_up_to,
        "brokenAt": chain.broken.as_ref().map(|(position, _)| *position),
    });
    let status = if broken {
        StatusCode::SERVICE_UNAVAILABLE
    } else {
        StatusCode::OK
    };
    json_response(status, body.to_string())
}

async fn metrics(State(server): State<Server>) -> Response {
    let text = server.state.metrics.render(server.state.gauges());
    let mut response = text.into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    response
}

async fn index() -> Html<&'static str> {
    Html(assets::INDEX_HTML)
}

async fn asset(Path(path): Path<String>) -> Response {
    match assets::get(&path) {
        Some(bytes) => {
            let mut response = bytes.into_response();
            response.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static(assets::content_type(&path)),
            );
            response
        }
        None => (
            StatusCode::NOT_FOUND,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            "Fichier introuvable.",
        )
            .into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::Clock;
    use crate::tokens::NewToken;
    use domain::values::Role;
    use std::time::Duration;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// Sends one raw HTTP/1.1 request and returns the whole response.
    async fn http(address: std::net::SocketAddr, request: String) -> String {
        let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
        stream.write_all(request.as_bytes()).await.unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).await.unwrap();
        response
    }

    #[tokio::test]
    async fn a_request_running_past_the_timeout_is_answered_limit() {
        let dir = tempfile::tempdir().unwrap();
        let log = eventlog::EventLog::open(dir.path(), eventlog::Options::default()).unwrap();
        let state = AppState::new(log, Clock::system())
            .unwrap()
            .with_config(Config {
                request_timeout: Duration::from_millis(50),
                ..Config::default()
            });
        let (_, secret) = state
            .tokens
            .create(NewToken {
                role: Role::Admin,
                programme: None,
                partner: None,
                name: "Opératrice".to_owned(),
            })
            .unwrap();
        // Without the chain watch running, `integrity` waits for it longer than the timeout.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let server = tokio::spawn(async move { axum::serve(listener, app(state)).await });
        let body = r#"{"query":"{ integrity { verified } }"}"#;
        let response = http(
            address,
            format!(
                "POST /graphql HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\nAuthorization: Bearer {secret}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            ),
        )
        .await;
        assert!(response.contains("\"code\":\"LIMIT\""), "{response}");
        assert!(response.contains("abandonnée"), "{response}");
        server.abort();
    }
}
