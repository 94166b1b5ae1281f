//! The GraphQL API and the HTTP server of Chronique.
//!
//! # Its job
//!
//! - [`server::app`] is the axum router: GraphQL over HTTP and WebSocket, GraphiQL, `/health`,
//!   `/metrics`, the timeline page and its assets; [`server::serve`] runs it until shutdown.
//! - [`schema`] builds the GraphQL schema from merged root objects, with its limits; the
//!   server's own fields (`me`, tokens, `integrity`, the raw `events`) live there, and the
//!   domain's resolvers are added as further objects.
//! - [`error`] is the one place where errors become `extensions.code` and French messages.
//! - [`tokens`] and [`auth`]: API tokens, stored hashed outside the event log, and the
//!   [`auth::Viewer`] each request runs as.
//! - [`integrity`] verifies the hash chain at start-up and follows it as it grows.
//! - [`cache`] keeps the answers of read-only queries until the register moves.
//! - [`metrics`], [`clock`], [`state`]: counters, the injectable clock, the shared state.
//!
//! # Invariants
//!
//! - Architecture Invariant: this is the only crate of the workspace that names `axum` or
//!   `async_graphql`; domain and projection types never derive GraphQL traits (the enums and
//!   scalars of [`schema`] mirror them).
//! - Every error a client sees carries `extensions.code`; an internal error shows no detail,
//!   its source chain goes to the log.
//! - Every operation needs a valid token; a request without one runs nothing.
//! - Tokens never enter the event log, an export or an import.
//!
//! # What it deliberately does not do
//!
//! - It does not decide: commands are decided by `domain` and appended by the command
//!   service, the only write path.
//! - It does not hold TLS: put it behind a reverse proxy to expose it beyond the machine.

pub mod actors;
pub mod assets;
pub mod auth;
pub mod cache;
pub mod clock;
pub mod commands;
pub mod connections;
pub mod erasure;
pub mod error;
pub mod export;
pub mod integrity;
pub mod limits;
pub mod metrics;
pub mod oidc;
pub mod people;
pub mod schema;
pub mod server;
pub mod sessions;
mod signin_http;
pub mod spreadsheet;
mod spreadsheet_http;
pub mod state;
pub mod tokens;
pub mod websocket;

pub use auth::Viewer;
pub use clock::Clock;
pub use error::ApiError;
pub use server::{app, serve};
pub use state::{AppState, Config};
pub use tokens::TokenStore;
