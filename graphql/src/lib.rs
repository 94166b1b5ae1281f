//! The GraphQL API, the command service and the HTTP server of Chronique.
//!
//! To be filled by the GraphQL API issue.
