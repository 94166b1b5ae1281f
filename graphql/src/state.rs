//! What every handler and resolver shares: [`AppState`].

use crate::clock::Clock;
use crate::commands::CommandService;
use crate::error::ApiError;
use crate::integrity::ChainWatch;
use crate::metrics::{Gauges, Metrics};
use crate::tokens::{TokenError, TokenStore};
use eventlog::EventLog;
use projections::runner::Projector;
use std::sync::Arc;
use std::time::Duration;

/// Limits and settings of the HTTP server.
#[derive(Debug, Clone)]
pub struct Config {
    /// Largest request body accepted (LIMIT, HTTP 413, above it).
    pub max_body_bytes: usize,
    /// Longest time one GraphQL request may run (LIMIT after it).
    pub request_timeout: Duration,
    /// Bytes of answers to read-only queries kept until the register moves
    /// ([`crate::cache`]); 0 keeps none.
    pub answer_cache_bytes: usize,
    /// Largest answer sent (LIMIT above it).
    pub max_answer_bytes: usize,
    /// Longest wait for a request's headers, and longest idle time of a kept-alive
    /// connection between two requests ([`crate::connections`]).
    pub header_timeout: Duration,
    /// Longest wait for a request's body.
    pub body_timeout: Duration,
    /// Longest wait for `connection_init` on a WebSocket (closed with 4408 after it).
    pub ws_init_timeout: Duration,
    /// Connections served at once (WebSockets included).
    pub max_connections: usize,
    /// Connections past the cap that are still answered: `/health` as usual, 503 otherwise.
    pub overflow_connections: usize,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            max_body_bytes: 1024 * 1024,
            request_timeout: Duration::from_secs(30),
            answer_cache_bytes: 64 * 1024 * 1024,
            max_answer_bytes: crate::limits::MAX_ANSWER_BYTES,
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(30),
            ws_init_timeout: Duration::from_secs(10),
            max_connections: 512,
            overflow_connections: 64,
        }
    }
}

/// The state shared by the router and the schema. Cheap to clone.
///
/// The command service is added as a field here when it lands; resolvers reach everything
/// through `ctx.data_unchecked::<AppState>()`.
#[derive(Clone)]
pub struct AppState {
    pub log: EventLog,
    pub tokens: TokenStore,
    /// People invited to sign in through OpenID Connect.
    pub people: crate::people::PeopleStore,
    /// The names of the actors envelopes name by id.
    pub actors: crate::actors::ActorNames,
    /// Counts the erasures applied: answers kept from before one are never served again.
    pub erasures: Arc<std::sync::atomic::AtomicU64>,
    /// The sessions of people signed in.
    pub sessions: crate::sessions::SessionStore,
    /// The OpenID Connect provider, when sign-in is configured.
    pub oidc: Option<Arc<crate::oidc::Oidc>>,
    pub metrics: Arc<Metrics>,
    pub chain: ChainWatch,
    pub clock: Clock,
    pub config: Arc<Config>,
    /// The live read models. `None` only in tests of the server's own parts: `chronique serve`
    /// always starts one.
    pub projector: Option<Projector>,
    /// The only write path; made with the projector, whose positions it waits for.
    pub commands: Option<CommandService>,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("log", &self.log)
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl AppState {
    /// The state of a server over `log`, with default limits and no projector.
    pub fn new(log: EventLog, clock: Clock) -> Result<AppState, TokenError> {
        let tokens = TokenStore::open(&log, clock.clone())?;
        let people = crate::people::PeopleStore::open(&log, clock.clone())
            .map_err(|e| TokenError::Invalid(e.to_string()))?;
        Ok(AppState {
            actors: crate::actors::ActorNames::open(&log, people.clone(), tokens.clone())
                .map_err(|e| TokenError::Invalid(e.to_string()))?,
            tokens,
            people,
            erasures: Arc::default(),
            sessions: crate::sessions::SessionStore::default(),
            oidc: None,
            log,
            metrics: Arc::new(Metrics::new()),
            chain: ChainWatch::new(),
            clock,
            config: Arc::new(Config::default()),
            projector: None,
            commands: None,
        })
    }

    /// Signing in through this OpenID Connect provider.
    pub fn with_oidc(mut self, oidc: crate::oidc::Oidc) -> AppState {
        self.oidc = Some(Arc::new(oidc));
        self
    }

    pub fn with_config(mut self, config: Config) -> AppState {
        self.config = Arc::new(config);
        self
    }

    /// Adds the read models, and the command service that writes through them.
    pub fn with_projector(mut self, projector: Projector) -> AppState {
        self.commands = Some(CommandService::new(
            self.log.clone(),
            projector.clone(),
            self.clock.clone(),
            self.metrics.clone(),
        ));
        self.projector = Some(projector);
        self
    }

    /// The command service the mutations use; INTERNAL when the state was built without a
    /// projector.
    pub fn commands(&self) -> Result<CommandService, ApiError> {
        self.commands
            .clone()
            .ok_or_else(|| ApiError::bug("this server was started without a command service"))
    }

    /// The projector the queries read; INTERNAL when the state was built without one.
    pub fn projector(&self) -> Result<&Projector, ApiError> {
        self.projector
            .as_ref()
            .ok_or_else(|| ApiError::bug("this server was started without a projector"))
    }

    /// Events acknowledged but not yet in the read models; `None` without a projector.
    pub fn projection_lag(&self) -> Option<u64> {
        self.projector.as_ref().map(Projector::lag)
    }

    /// The figures `/metrics` reads at render time.
    pub fn gauges(&self) -> Gauges {
        let status = self.chain.status();
        let head = self.log.head().position;
        Gauges {
            head_position: head,
            projection_lag: self.projection_lag(),
            verified_up_to: status.verified_up_to,
            verified: status.verified_to(head),
            log: self.log.stats(),
        }
    }
}
