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
//! `extensions.code = LIMIT`, one that does not arrive within [`Config::body_timeout`] with 408;
//! a batch above [`limits::MAX_BATCH`] requests is refused whole; each request is held to
//! [`crate::limits`] (nesting, fields, aliases, cost) before anything else reads it; a request
//! running longer than [`Config::request_timeout`] is answered LIMIT (and a query's work is
//! stopped); an answer above [`Config::max_answer_bytes`] is replaced by LIMIT. A request
//! without a valid token is answered UNAUTHENTICATED (HTTP 401) before anything runs.
//! Connections are capped and timed by [`crate::connections`], WebSockets by
//! [`crate::websocket`].

use crate::assets;
use crate::auth::{self, Viewer};
use crate::cache::{AnswerCache, Moment};
use crate::connections::ConnectionPermit;
use crate::error::{ApiError, Code};
use crate::limits;
use crate::schema::{ChroniqueSchema, build_schema, refused};
use crate::state::{AppState, Config};
use async_graphql::http::ALL_WEBSOCKET_PROTOCOLS;
use async_graphql::parser::types::OperationType;
use async_graphql::{BatchRequest, BatchResponse};
use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Extension, Path, State, WebSocketUpgrade};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use std::future::Future;
use std::sync::Arc;
use std::time::Instant;

#[derive(Clone)]
pub(crate) struct Server {
    pub(crate) state: AppState,
    schema: ChroniqueSchema,
    answers: Arc<AnswerCache>,
}

/// The router of the whole server, for `main` and for tests.
pub fn app(state: AppState) -> Router {
    router(server(state))
}

fn server(state: AppState) -> Server {
    let schema = build_schema(state.clone());
    let answers = Arc::new(AnswerCache::new(state.config.answer_cache_bytes));
    Server {
        state,
        schema,
        answers,
    }
}

fn router(server: Server) -> Router {
    let config = server.state.config.clone();
    Router::new()
        .route("/graphql", get(graphiql).post(graphql_http))
        .route("/graphql/ws", get(graphql_ws))
        .route("/graphql/schema.graphql", get(schema_sdl))
        .route("/health", get(health))
        .route("/metrics", get(metrics))
        .route("/export", get(crate::export::export))
        .route(
            "/spreadsheet/template",
            get(crate::spreadsheet_http::template),
        )
        .route("/spreadsheet/export", get(crate::spreadsheet_http::export))
        .route(
            "/spreadsheet/import",
            axum::routing::post(crate::spreadsheet_http::import).layer(DefaultBodyLimit::max(
                crate::spreadsheet::MAX_FILE_BYTES + 1024,
            )),
        )
        .route(
            "/spreadsheet/table",
            axum::routing::post(crate::spreadsheet_http::table),
        )
        .route("/auth/login", get(crate::signin_http::login))
        .route(
            crate::oidc::CALLBACK_PATH,
            get(crate::signin_http::callback),
        )
        .route("/auth/session", get(crate::signin_http::session))
        .route(
            "/auth/role",
            axum::routing::post(crate::signin_http::choose_role),
        )
        .route(
            "/auth/logout",
            axum::routing::post(crate::signin_http::logout),
        )
        .route("/", get(index))
        .route("/assets/{*path}", get(asset))
        .layer(DefaultBodyLimit::max(config.max_body_bytes))
        .layer(tower_http::timeout::RequestBodyTimeoutLayer::new(
            config.body_timeout,
        ))
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .with_state(server)
}

/// What connections past the cap get: `/health` as usual (a supervisor still sees the server
/// alive), 503 with `Retry-After` for everything else.
fn busy_router(server: Server) -> Router {
    Router::new()
        .route("/health", get(health))
        .fallback(|| async {
            let mut response = error_response(
                StatusCode::SERVICE_UNAVAILABLE,
                ApiError::limit(
                    "Le serveur sert déjà le nombre maximal de connexions : réessayez dans un instant.",
                ),
            );
            let headers = response.headers_mut();
            headers.insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            headers.insert(header::CONNECTION, HeaderValue::from_static("close"));
            response
        })
        .with_state(server)
}

/// Serves the application on `listener` until `shutdown` resolves, then lets the requests in
/// flight finish, under the connection limits of [`crate::connections`]. The chain watch
/// ([`crate::integrity`]) runs meanwhile and is stopped on return, so that the caller can
/// close the log.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let watch = tokio::spawn(state.chain.clone().run(state.log.clone()));
    let config = state.config.clone();
    let server = server(state);
    let result = crate::connections::serve_connections(
        listener,
        router(server.clone()),
        busy_router(server),
        &config,
        shutdown,
    )
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
pub(crate) fn error_response(status: StatusCode, error: ApiError) -> Response {
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

/// An answer given before or instead of running the request, with its HTTP status.
struct Refusal {
    status: StatusCode,
    error: ApiError,
}

impl Refusal {
    fn new(status: StatusCode, error: ApiError) -> Refusal {
        Refusal { status, error }
    }
}

/// `POST /graphql`: read the body, authenticate, answer from the cache, hold each request to
/// [`crate::limits`], execute within the time limit, bound the answer's size. Every way out
/// goes through the one place that records the metrics.
async fn graphql_http(
    State(server): State<Server>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let started = Instant::now();
    let mut operation = None;
    let (outcome, response) = match answer_http(&server, &headers, body, &mut operation).await {
        Ok(Answer { outcome, body }) => (outcome, json_response(StatusCode::OK, body)),
        Err(refusal) => (
            refusal.error.code().as_str().to_owned(),
            error_response(refusal.status, refusal.error),
        ),
    };
    server
        .state
        .metrics
        .record_request(operation.as_deref(), &outcome, started.elapsed());
    response
}

/// A GraphQL answer: its body, and its outcome for the metrics (`ok` or the first code).
struct Answer {
    outcome: String,
    body: Bytes,
}

/// Whether the body was refused because it did not arrive within [`Config::body_timeout`].
fn body_timed_out(rejection: &BytesRejection) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(rejection);
    while let Some(error) = source {
        if error.is::<tower_http::timeout::TimeoutError>() {
            return true;
        }
        source = error.source();
    }
    false
}

fn read_request(
    config: &Config,
    body: Result<Bytes, BytesRejection>,
) -> Result<BatchRequest, Refusal> {
    let body = match body {
        Ok(body) => body,
        Err(rejection) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            return Err(Refusal::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                ApiError::limit(format!(
                    "La requête dépasse la taille maximale de {} Kio.",
                    config.max_body_bytes / 1024
                )),
            ));
        }
        Err(rejection) if body_timed_out(&rejection) => {
            return Err(Refusal::new(
                StatusCode::REQUEST_TIMEOUT,
                ApiError::limit(format!(
                    "Le corps de la requête n'est pas arrivé en entier en {} s.",
                    config.body_timeout.as_secs_f64()
                )),
            ));
        }
        Err(_) => {
            return Err(Refusal::new(
                StatusCode::BAD_REQUEST,
                ApiError::validation("Le corps de la requête est illisible."),
            ));
        }
    };
    let request: BatchRequest = serde_json::from_slice(&body).map_err(|error| {
        Refusal::new(
            StatusCode::BAD_REQUEST,
            ApiError::validation(format!(
                "Le corps de la requête n'est pas une requête GraphQL en JSON ({{\"query\": \"…\", \"variables\": {{…}}}}) : {}.",
                crate::error::french_json_error(&error)
            )),
        )
    })?;
    if let BatchRequest::Batch(list) = &request
        && list.len() > limits::MAX_BATCH
    {
        return Err(Refusal::new(
            StatusCode::OK,
            ApiError::limit(format!(
                "Un envoi groupé contient au plus {} requêtes ({} reçues) : rien n'a été exécuté.",
                limits::MAX_BATCH,
                list.len()
            )),
        ));
    }
    Ok(request)
}

async fn answer_http(
    server: &Server,
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
    operation: &mut Option<String>,
) -> Result<Answer, Refusal> {
    let config: &Config = &server.state.config;
    let request = read_request(config, body)?;
    *operation = operation_name(&request);
    let authenticated = auth::authenticate_request(&server.state, headers)
        .map_err(|error| Refusal::new(auth::status_of(&error), ApiError::from(error)))?;
    let viewer: Viewer = authenticated.viewer;
    let admitted = admit(server, request, &viewer)?;
    // A write sent with the session cookie must carry the page's header: a form of another
    // site can make the browser send the cookie, never that header.
    if let Some(csrf) = &authenticated.csrf
        && admitted.writes
        && headers
            .get(crate::sessions::CSRF_HEADER)
            .and_then(|v| v.to_str().ok())
            != Some(csrf.as_str())
    {
        return Err(Refusal::new(
            StatusCode::FORBIDDEN,
            ApiError::forbidden(
                "Cette écriture vient d'une autre page que celle de Chronique (l'en-tête de protection de la session manque) : rien n'a été écrit.",
            ),
        ));
    }
    // A read-only query asked again before the register moved is answered from the cache.
    let cached = match (
        &admitted.requests[..],
        admitted.batch,
        &server.state.projector,
    ) {
        ([Ok(single)], false, Some(projector)) => {
            server.answers.key(single, &viewer.actor).map(|key| {
                let moment = Moment {
                    head: server.state.log.head().position,
                    projected: projector.position(),
                    erasures: server
                        .state
                        .erasures
                        .load(std::sync::atomic::Ordering::Acquire),
                    today: server.state.clock.today(),
                };
                (key, moment)
            })
        }
        _ => None,
    };
    if let Some((key, moment)) = &cached
        && let Some(body) = server.answers.get(key, *moment)
    {
        server.state.metrics.record_cached_answer();
        return Ok(Answer {
            outcome: "ok".to_owned(),
            body,
        });
    }
    let response = execute_in_time(server, admitted).await?;
    let outcome = match &response {
        BatchResponse::Single(r) => outcome(r),
        BatchResponse::Batch(list) => list.first().map(outcome).unwrap_or_else(|| "ok".to_owned()),
    };
    let body = serde_json::to_vec(&response).map_err(|error| {
        Refusal::new(StatusCode::INTERNAL_SERVER_ERROR, ApiError::internal(error))
    })?;
    if body.len() > config.max_answer_bytes {
        return Err(Refusal::new(
            StatusCode::OK,
            ApiError::limit(format!(
                "La réponse ferait {} Mio, au plus {} Mio sont envoyés : demandez des pages plus petites (« first ») ou moins de champs.",
                body.len().div_ceil(1024 * 1024),
                config.max_answer_bytes.div_ceil(1024 * 1024)
            )),
        ));
    }
    let body = Bytes::from(body);
    if let Some((key, moment)) = cached
        && outcome == "ok"
    {
        server.answers.put(key, moment, body.clone());
    }
    Ok(Answer { outcome, body })
}

/// The requests of one POST, each held to [`crate::limits`] before anything else (the cache's
/// key included) reads its document.
struct Admitted {
    requests: Vec<Result<async_graphql::Request, ApiError>>,
    batch: bool,
    /// Whether one of them may write (a mutation, or a document that did not parse).
    writes: bool,
}

fn admit(server: &Server, request: BatchRequest, viewer: &Viewer) -> Result<Admitted, Refusal> {
    let (requests, batch) = match request {
        BatchRequest::Single(single) => (vec![single], false),
        BatchRequest::Batch(list) => (list, true),
    };
    let mut admitted = Admitted {
        requests: Vec::with_capacity(requests.len()),
        batch,
        writes: false,
    };
    for mut request in requests {
        match server.schema.admit(&mut request) {
            Ok(checked) => {
                admitted.writes |=
                    checked.is_none_or(|c| c.operation == Some(OperationType::Mutation));
                admitted.requests.push(Ok(request.data(viewer.clone())));
            }
            Err(error) if !batch => return Err(Refusal::new(StatusCode::OK, error)),
            Err(error) => admitted.requests.push(Err(error)),
        }
    }
    Ok(admitted)
}

/// Runs the admitted requests in their own task within the time limit. When the time is up,
/// the work of queries is stopped; a mutation already under way is not cut in the middle (it
/// was decided, and may be written).
async fn execute_in_time(server: &Server, admitted: Admitted) -> Result<BatchResponse, Refusal> {
    let config: &Config = &server.state.config;
    let Admitted {
        requests: admitted,
        batch,
        writes,
    } = admitted;
    let schema = server.schema.clone();
    let execution = tokio::spawn(async move {
        let mut responses = Vec::with_capacity(admitted.len());
        for request in admitted {
            responses.push(match request {
                Ok(request) => schema.execute_admitted(request).await,
                Err(error) => refused(error),
            });
        }
        responses
    });
    let abort = execution.abort_handle();
    match tokio::time::timeout(config.request_timeout, execution).await {
        Ok(Ok(mut responses)) if !batch => Ok(BatchResponse::Single(responses.remove(0))),
        Ok(Ok(responses)) => Ok(BatchResponse::Batch(responses)),
        Ok(Err(join)) => Err(Refusal::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            ApiError::internal(join),
        )),
        Err(_) => {
            let message = if writes {
                format!(
                    "La requête a duré plus de {} s et a été abandonnée. Si c'était une modification, elle a pu être enregistrée : vérifiez avant de recommencer (avec le même commandId, elle ne le sera pas deux fois).",
                    config.request_timeout.as_secs()
                )
            } else {
                abort.abort();
                format!(
                    "La requête a duré plus de {} s et a été abandonnée : demandez moins à la fois.",
                    config.request_timeout.as_secs()
                )
            };
            Err(Refusal::new(StatusCode::OK, ApiError::limit(message)))
        }
    }
}

/// GraphiQL, loaded from its CDN with the page's token; without the Internet, a simple console
/// in French takes its place.
async fn graphiql() -> Response {
    static PAGE: &str = include_str!("graphiql.html");
    static POLICY: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
        // The page's own script and style are allowed by their hash, nothing else inline.
        let script = inline_hash(PAGE, "<script>", "</script>");
        let style = inline_hash(PAGE, "<style>", "</style>");
        format!(
            "default-src 'none'; script-src https://unpkg.com {script}; style-src https://unpkg.com {style} 'unsafe-inline'; img-src 'self' data: https://unpkg.com; font-src https://unpkg.com data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
        )
    });
    with_page_policy(Html(PAGE).into_response(), &POLICY)
}

/// `'sha256-…'` of the text between the first `open` and the `close` after it.
fn inline_hash(page: &str, open: &str, close: &str) -> String {
    use base64::Engine;
    use sha2::Digest;
    let text = page
        .split_once(open)
        .and_then(|(_, rest)| rest.split_once(close))
        .map_or("", |(inside, _)| inside);
    let digest = sha2::Sha256::digest(text.as_bytes());
    format!(
        "'sha256-{}'",
        base64::engine::general_purpose::STANDARD.encode(digest)
    )
}

/// The timeline page's policy: its own files only, no inline script or style, no framing.
const PAGE_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// Adds the Content-Security-Policy and the framing refusal (for browsers without
/// `frame-ancestors`) to an HTML page.
fn with_page_policy(mut response: Response, policy: &str) -> Response {
    let headers = response.headers_mut();
    if let Ok(policy) = HeaderValue::from_str(policy) {
        headers.insert(header::CONTENT_SECURITY_POLICY, policy);
    }
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    response
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
    headers: HeaderMap,
    permit: Option<Extension<ConnectionPermit>>,
    upgrade: WebSocketUpgrade,
) -> Response {
    let Some(protocol) = crate::websocket::protocol(&headers) else {
        return error_response(
            StatusCode::BAD_REQUEST,
            ApiError::validation(
                "Précisez le sous-protocole WebSocket « graphql-transport-ws » (en-tête Sec-WebSocket-Protocol).",
            ),
        );
    };
    upgrade
        .protocols(ALL_WEBSOCKET_PROTOCOLS)
        .on_upgrade(move |socket| async move {
            // The socket keeps its place under the connection cap for as long as it is open.
            let _permit = permit;
            crate::websocket::serve(server.state, server.schema, protocol, socket, headers).await
        })
}

async fn health(State(server): State<Server>) -> Response {
    let state = &server.state;
    let head = state.log.head().position;
    let chain = state.chain.status();
    let broken = chain.broken.is_some();
    let write_failure = state.log.write_failure();
    let status = match (broken, &write_failure) {
        (true, _) => "broken",
        (false, Some(_)) => "cannot_write",
        (false, None) => "ok",
    };
    let body = serde_json::json!({
        "status": status,
        "writable": write_failure.is_none(),
        "writeError": write_failure.as_ref().map(|why| format!(
            "Le registre ne peut plus rien enregistrer depuis une erreur d'écriture ({why}). Libérez de la place sur le disque si besoin, puis redémarrez le serveur : rien de ce qui a été confirmé n'est perdu."
        )),
        "headPosition": head,
        "projectionLag": state.projection_lag(),
        "verified": chain.verified_to(head),
        "verifiedUpTo": chain.verified_up_to,
        "brokenAt": chain.broken.as_ref().map(|(position, _)| *position),
    });
    let status = if status == "ok" {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
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

async fn index() -> Response {
    with_page_policy(Html(assets::INDEX_HTML).into_response(), PAGE_POLICY)
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

    /// A server of `config` without read models on a fresh store, and the secret of a token
    /// of `role`.
    async fn start(
        config: Config,
        role: Role,
        programme: Option<&str>,
    ) -> (
        std::net::SocketAddr,
        String,
        tokio::task::JoinHandle<std::io::Result<()>>,
        tempfile::TempDir,
    ) {
        let dir = tempfile::tempdir().unwrap();
        let log = eventlog::EventLog::open(dir.path(), eventlog::Options::default()).unwrap();
        let state = AppState::new(log, Clock::system())
            .unwrap()
            .with_config(config);
        let (_, secret) = state
            .tokens
            .create(NewToken {
                role,
                programme: programme.map(str::to_owned),
                partner: None,
                name: "Agente".to_owned(),
            })
            .unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let server = tokio::spawn(async move { axum::serve(listener, app(state)).await });
        (address, secret, server, dir)
    }

    /// POSTs `body` to `/graphql` with the token's secret; the whole response.
    async fn post(address: std::net::SocketAddr, secret: &str, body: &str) -> String {
        http(
            address,
            format!(
                "POST /graphql HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\nAuthorization: Bearer {secret}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            ),
        )
        .await
    }

    #[tokio::test]
    async fn an_answer_larger_than_the_bound_is_answered_limit() {
        let config = Config {
            max_answer_bytes: 10_000,
            ..Config::default()
        };
        let (address, secret, server, _dir) = start(config, Role::Observer, Some("nord")).await;
        // The schema's description is far larger than 10 000 bytes.
        let body = r#"{"query":"{ __schema { types { name description fields { name description } } } }"}"#;
        let response = post(address, &secret, body).await;
        assert!(response.contains("\"code\":\"LIMIT\""), "{response}");
        assert!(response.contains("au plus 1 Mio"), "{response}");
        assert!(response.len() < 10_000, "{}", response.len());
        server.abort();
    }

    #[tokio::test]
    async fn a_request_running_past_the_timeout_is_answered_limit() {
        let config = Config {
            request_timeout: Duration::from_millis(50),
            ..Config::default()
        };
        let (address, secret, server, _dir) = start(config, Role::Admin, None).await;
        // Without the chain watch running, `integrity` waits for it longer than the timeout.
        let response = post(
            address,
            &secret,
            r#"{"query":"{ integrity { verified } }"}"#,
        )
        .await;
        assert!(response.contains("\"code\":\"LIMIT\""), "{response}");
        assert!(response.contains("abandonnée"), "{response}");
        server.abort();
    }
}
