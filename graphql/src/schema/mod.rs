//! The GraphQL schema: its roots, its limits, and the wrapper that codes engine errors.
//!
//! # Adding resolvers
//!
//! Each part of the API is an object in its own file (`#[derive(Default)] pub struct
//! DomainQuery;` with `#[Object] impl DomainQuery { … }`), listed in the merged roots below:
//! [`QueryRoot`], [`MutationRoot`] and [`SubscriptionRoot`]. The files written with the
//! server are [`base`] (`me`, `tokens`, `createToken`, `revokeToken`, `integrity`) and
//! [`events`] (the raw audit log); the domain's queries and mutations go in `domain_*.rs`
//! files and are added to the tuples.
//!
//! Resolvers reach the shared state with `ctx.data_unchecked::<AppState>()` and the caller
//! with [`crate::auth::Viewer::of`]; they return `async_graphql::Result<T>` and build errors
//! as [`crate::error::ApiError`] (its `?` conversion gives `extensions.code`).
//!
//! # Limits
//!
//! Depth ([`MAX_DEPTH`]) and complexity ([`MAX_COMPLEXITY`]) are checked before anything runs
//! (LIMIT); page sizes by the resolvers with [`check_page_size`]; the body size and the time
//! by the router ([`crate::server`]).

pub mod base;
pub mod domain_mutations;
pub mod domain_queries;
pub mod domain_subscription;
pub mod enums;
pub mod erasure;
pub mod events;
pub mod objects;
pub mod page;
pub mod people;
pub mod pilotage;
pub mod reading;
pub mod scalars;

use crate::error::{ApiError, Code, code_for_engine_error};
use crate::limits::{self, Checked, SchemaShape};
use crate::state::AppState;
use async_graphql::futures_util::stream::{BoxStream, StreamExt};
use async_graphql::{
    BatchRequest, BatchResponse, Data, Executor, MergedObject, MergedSubscription, Request,
    Response, Schema, SchemaBuilder, ServerError,
};
use std::sync::Arc;

/// Deepest query accepted (GraphiQL's introspection query is 13 levels deep).
pub const MAX_DEPTH: usize = 16;
/// Most complex query accepted (each field counts 1 unless its resolver says more).
pub const MAX_COMPLEXITY: usize = 20_000;
/// Largest `first` of a paginated field.
pub const MAX_PAGE_SIZE: usize = 500;

/// Every query field. Add the domain's query objects here.
#[derive(MergedObject, Default)]
#[graphql(name = "Query")]
pub struct QueryRoot(
    base::BaseQuery,
    events::EventsQuery,
    domain_queries::DomainQuery,
    pilotage::PilotageQuery,
    people::PeopleQuery,
);

/// Every mutation. Add the domain's mutation objects here.
#[derive(MergedObject, Default)]
#[graphql(name = "Mutation")]
pub struct MutationRoot(
    base::TokenMutation,
    domain_mutations::DomainMutation,
    people::PeopleMutation,
    erasure::ErasureMutation,
);

/// Every subscription. Add the domain's subscription objects here.
#[derive(MergedSubscription, Default)]
#[graphql(name = "Subscription")]
pub struct SubscriptionRoot(
    base::IntegritySubscription,
    domain_subscription::DomainSubscription,
);

/// The engine's schema, without the coding of its errors: use [`ChroniqueSchema`].
pub type RawSchema = Schema<QueryRoot, MutationRoot, SubscriptionRoot>;

/// The schema as served: async-graphql's, whose engine errors (parsing, validation, limits,
/// argument coercion) are given an `extensions.code` and a French message on the way out.
///
/// A wrapper rather than an async-graphql extension: an extension, even one that only hooks
/// the request, sends every field of every answer through the extension chain, which cost
/// about a third of the time of a large query.
///
/// Every request is first held to [`crate::limits`] (nesting, fields, aliases, cost), before
/// async-graphql parses it: what is refused there is answered LIMIT without running anything.
#[derive(Clone)]
pub struct ChroniqueSchema {
    schema: RawSchema,
    shape: Arc<SchemaShape>,
}

impl ChroniqueSchema {
    fn new(schema: RawSchema) -> ChroniqueSchema {
        let shape = Arc::new(SchemaShape::from_sdl(&schema.sdl()));
        ChroniqueSchema { schema, shape }
    }

    /// Holds `request` to [`crate::limits`]; when it passes, its parsed document is kept in
    /// it (so that it is not parsed twice) and what the check learnt is returned.
    pub fn admit(&self, request: &mut Request) -> Result<Option<Checked>, ApiError> {
        let checked = limits::check(
            &self.shape,
            &request.query,
            request.operation_name.as_deref(),
            &request.variables,
        )?;
        Ok(checked.map(|(document, checked)| {
            request.set_parsed_query(document);
            checked
        }))
    }

    /// Runs a request that [`ChroniqueSchema::admit`] accepted.
    pub async fn execute_admitted(&self, request: Request) -> Response {
        let mut response = self.schema.execute(request).await;
        code_errors(&mut response.errors);
        response
    }

    pub async fn execute(&self, request: impl Into<Request>) -> Response {
        let mut request = request.into();
        match self.admit(&mut request) {
            Ok(_) => self.execute_admitted(request).await,
            Err(error) => refused(error),
        }
    }

    pub async fn execute_batch(&self, batch: BatchRequest) -> BatchResponse {
        Executor::execute_batch(self, batch).await
    }

    pub fn execute_stream(&self, request: impl Into<Request>) -> BoxStream<'static, Response> {
        Executor::execute_stream(self, request.into(), None)
    }

    /// The schema in SDL, as served.
    pub fn sdl(&self) -> String {
        self.schema.sdl()
    }
}

/// The answer to a request refused before it ran.
pub fn refused(error: ApiError) -> Response {
    Response::from_errors(vec![
        error
            .to_graphql()
            .into_server_error(async_graphql::Pos::default()),
    ])
}

impl Executor for ChroniqueSchema {
    async fn execute(&self, request: Request) -> Response {
        ChroniqueSchema::execute(self, request).await
    }

    fn execute_stream(
        &self,
        request: Request,
        session_data: Option<Arc<Data>>,
    ) -> BoxStream<'static, Response> {
        let mut request = request;
        if let Err(error) = self.admit(&mut request) {
            return async_graphql::futures_util::stream::once(async move { refused(error) })
                .boxed();
        }
        self.schema
            .execute_stream_with_session_data(request, session_data.unwrap_or_default())
            .map(|mut response| {
                code_errors(&mut response.errors);
                response
            })
            .boxed()
    }
}

/// The schema's builder with its limits and `state` as data; add more data, then wrap
/// `finish()` in [`ChroniqueSchema`] (or use [`build_schema`]).
pub fn schema_builder(state: AppState) -> SchemaBuilder<QueryRoot, MutationRoot, SubscriptionRoot> {
    Schema::build(
        QueryRoot::default(),
        MutationRoot::default(),
        SubscriptionRoot::default(),
    )
    .limit_depth(MAX_DEPTH)
    .limit_complexity(MAX_COMPLEXITY)
    .data(state)
}

/// The schema served by [`crate::server::app`].
pub fn build_schema(state: AppState) -> ChroniqueSchema {
    ChroniqueSchema::new(schema_builder(state).finish())
}

/// The page size of a `first` argument: VALIDATION below 0, LIMIT above [`MAX_PAGE_SIZE`].
pub fn check_page_size(first: i32) -> Result<usize, crate::error::ApiError> {
    let Ok(first) = usize::try_from(first) else {
        return Err(crate::error::ApiError::validation(format!(
            "« first » ne peut pas être négatif ({first} donné)."
        )));
    };
    if first > MAX_PAGE_SIZE {
        return Err(crate::error::ApiError::limit(format!(
            "Une page contient au plus {MAX_PAGE_SIZE} éléments ({first} demandés) : utilisez « after » pour lire la suite."
        )));
    }
    Ok(first)
}

/// Whether an error already carries `extensions.code`.
fn has_code(error: &ServerError) -> bool {
    error
        .extensions
        .as_ref()
        .is_some_and(|e| e.get("code").is_some())
}

/// Gives every error that async-graphql raised itself (parsing, validation, limits, argument
/// coercion) an `extensions.code` and a French message. Errors of resolvers already carry a
/// code and are left as they are.
fn code_errors(errors: &mut [ServerError]) {
    for error in errors {
        if let Some(rest) = error.message.strip_prefix("Failed to parse ") {
            // An input that did not coerce: `Failed to parse "Cents": <our French reason>`.
            let (what, reason) = rest.split_once(": ").unwrap_or((rest, ""));
            error.message = format!(
                "Valeur invalide pour {} : {}.",
                what.trim_matches('"'),
                crate::error::french_input_reason(reason)
            );
            set_code(error, Code::Validation);
            continue;
        }
        if has_code(error) {
            continue;
        }
        let (code, message) = if error.path.is_empty()
            || error.message.starts_with("Invalid value for argument")
        {
            code_for_engine_error(&error.message)
        } else {
            // A field error without a code did not come through `ApiError`: it is a bug of
            // ours, not something the client can fix.
            tracing::error!(message = %error.message, path = ?error.path, "uncoded resolver error");
            (
                Code::Internal,
                "Une erreur interne est survenue.".to_owned(),
            )
        };
        error.message = message;
        set_code(error, code);
    }
}

fn set_code(error: &mut ServerError, code: Code) {
    error
        .extensions
        .get_or_insert_with(Default::default)
        .set("code", code.as_str());
}

#[cfg(test)]
mod tests;
