//! Answers to read-only queries, kept while the register has not moved.
//!
//! A comité around a screen, a dozen browsers refreshing the same timeline, the same `actions`
//! page asked again and again: between two events, the answer to a read is the same bytes.
//! The server keeps the serialized answer of a read-only query under a [`Key`] (the query, its
//! variables, the operation and who asks) and serves it again as long as the [`Moment`] it was
//! computed at is still the current one.
//!
//! # Invariants
//!
//! - Only a query whose root fields all read the log and the read models ([`CACHEABLE`]) is
//!   kept: never a mutation or a subscription, never the tokens (`me`, `tokens`), never the
//!   chain's verification status (`integrity`).
//! - An answer is served only at the moment it was computed at: the log head, the read
//!   models' applied position and the day (for what is due) all equal. The moment is read
//!   before the query runs, and the read models publish their position after applying, so an
//!   answer is never older than the moment it is kept under.
//! - The viewer is part of the key (role, programme, partner): what one may see is never
//!   served to another. The token itself is checked before the cache is looked at.
//! - The cache never holds more than its budget of bytes; when the moment changes, it is
//!   emptied.

use async_graphql::Request;
use async_graphql::parser::parse_query;
use async_graphql::parser::types::{DocumentOperations, OperationType, Selection};
use axum::body::Bytes;
use chrono::NaiveDate;
use domain::actor::Actor;
use parking_lot::Mutex;
use std::collections::HashMap;

/// The root fields whose answers depend only on the log, the read models, the viewer and the
/// day.
pub const CACHEABLE: &[&str] = &[
    "events",
    "programmes",
    "programme",
    "action",
    "actions",
    "session",
    "sessions",
    "partners",
    "budget",
    "timeline",
    "changes",
    "reportsDue",
    "__typename",
];

/// How many query texts the cache remembers the shape of.
const MAX_SHAPES: usize = 1024;

/// What the register is at: an answer computed at one moment is served only at that moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Moment {
    /// The log's head position.
    pub head: u64,
    /// The read models' applied position.
    pub projected: u64,
    /// How many erasures were applied: an erasure changes answers without moving the head past
    /// its own event.
    pub erasures: u64,
    /// Today in Europe/Paris (`reportsDue` depends on it).
    pub today: NaiveDate,
}

/// A read-only query as asked by one kind of viewer.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Key {
    query: String,
    operation: Option<String>,
    variables: String,
    viewer: Actor,
}

#[derive(Default)]
struct Kept {
    moment: Option<Moment>,
    answers: HashMap<Key, Bytes>,
    bytes: usize,
}

/// The answers of the current moment, within a budget of bytes.
pub struct AnswerCache {
    budget: usize,
    kept: Mutex<Kept>,
    /// Whether a query text, with an operation name, is a read-only query of [`CACHEABLE`]
    /// fields.
    shapes: Mutex<HashMap<(String, Option<String>), bool>>,
}

impl AnswerCache {
    /// A cache of at most `budget` bytes of answers.
    pub fn new(budget: usize) -> AnswerCache {
        AnswerCache {
            budget,
            kept: Mutex::new(Kept::default()),
            shapes: Mutex::new(HashMap::new()),
        }
    }

    /// The key of `request` asked by `viewer`, or `None` when its answer may not be kept.
    pub fn key(&self, request: &Request, viewer: &Actor) -> Option<Key> {
        if self.budget == 0 || !self.cacheable(&request.query, request.operation_name.as_deref()) {
            return None;
        }
        Some(Key {
            query: request.query.clone(),
            operation: request.operation_name.clone(),
            variables: serde_json::to_string(&request.variables).ok()?,
            viewer: viewer.clone(),
        })
    }

    /// The answer kept for `key` at `moment`.
    pub fn get(&self, key: &Key, moment: Moment) -> Option<Bytes> {
        let kept = self.kept.lock();
        if kept.moment != Some(moment) {
            return None;
        }
        kept.answers.get(key).cloned()
    }

    /// Keeps `answer`, computed at `moment`. An answer of an older moment than the one kept
    /// is dropped; a newer moment empties the cache first.
    pub fn put(&self, key: Key, moment: Moment, answer: Bytes) {
        let mut kept = self.kept.lock();
        match kept.moment {
            Some(current) if moment < current => return,
            Some(current) if moment == current => {}
            _ => {
                kept.answers.clear();
                kept.bytes = 0;
                kept.moment = Some(moment);
            }
        }
        let size = answer.len() + key.query.len() + key.variables.len();
        if kept.bytes + size > self.budget || kept.answers.contains_key(&key) {
            return;
        }
        kept.bytes += size;
        kept.answers.insert(key, answer);
    }

    /// Whether the operation of `query` chosen by `operation` is a query whose root selections
    /// are all fields of [`CACHEABLE`]. Anything unusual (no such operation, fragments at the
    /// root, a syntax error) is not kept: the engine answers it, errors included.
    fn cacheable(&self, query: &str, operation: Option<&str>) -> bool {
        let shape = (query.to_owned(), operation.map(str::to_owned));
        if let Some(known) = self.shapes.lock().get(&shape) {
            return *known;
        }
        let verdict = parse_query(query).is_ok_and(|document| {
            let chosen = match (&document.operations, operation) {
                (DocumentOperations::Single(op), None) => Some(op),
                (DocumentOperations::Multiple(ops), Some(name)) => ops.get(name),
                (DocumentOperations::Multiple(ops), None) if ops.len() == 1 => ops.values().next(),
                _ => None,
            };
            chosen.is_some_and(|op| {
                op.node.ty == OperationType::Query
                    && op.node.selection_set.node.items.iter().all(|item| {
                        matches!(&item.node, Selection::Field(field)
                            if CACHEABLE.contains(&field.node.name.node.as_str()))
                    })
            })
        });
        let mut shapes = self.shapes.lock();
        if shapes.len() >= MAX_SHAPES {
            shapes.clear();
        }
        shapes.insert(shape, verdict);
        verdict
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::values::{ProgrammeId, Role};

    fn moment(head: u64) -> Moment {
        Moment {
            head,
            projected: head,
            erasures: 0,
            today: NaiveDate::from_ymd_opt(2026, 3, 14).unwrap(),
        }
    }

    fn pilot(programme: &str) -> Actor {
        Actor {
            role: Role::Pilot,
            programme: Some(ProgrammeId::parse(programme).unwrap()),
            partner: None,
        }
    }

    #[test]
    fn only_read_only_queries_of_the_read_models_are_kept() {
        let cache = AnswerCache::new(1 << 20);
        let viewer = pilot("grigny");
        let key = |q: &str| cache.key(&Request::new(q), &viewer);
        assert!(key("{ actions(programmeId: \"grigny\") { totalCount } }").is_some());
        assert!(key("query A { budget(programmeId: \"g\", year: 2026) { year } timeline(programmeId: \"g\") { totalCount } }").is_some());
        assert!(key("{ me { role } }").is_none());
        assert!(key("{ tokens { id } }").is_none());
        assert!(key("{ integrity { verified } }").is_none());
        assert!(key("{ actions(programmeId: \"g\") { totalCount } me { role } }").is_none());
        assert!(key("mutation { revokeToken(id: \"x\") }").is_none());
        assert!(key("subscription { timeline(programmeId: \"g\") { position } }").is_none());
        assert!(
            key("{ ...F } fragment F on Query { actions(programmeId: \"g\") { totalCount } }")
                .is_none()
        );
        assert!(key("{ actions(").is_none());
        // Several operations: the name picks one; none given, the engine answers the error.
        let two = "query A { actions(programmeId: \"g\") { totalCount } } query B { me { role } }";
        assert!(
            cache
                .key(&Request::new(two).operation_name("A"), &viewer)
                .is_some()
        );
        assert!(
            cache
                .key(&Request::new(two).operation_name("B"), &viewer)
                .is_none()
        );
        assert!(cache.key(&Request::new(two), &viewer).is_none());
        assert!(
            AnswerCache::new(0)
                .key(
                    &Request::new("{ actions(programmeId: \"g\") { totalCount } }"),
                    &viewer
                )
                .is_none()
        );
    }

    #[test]
    fn an_answer_is_served_only_at_its_moment_and_to_the_same_kind_of_viewer() {
        let cache = AnswerCache::new(1 << 20);
        let query = "{ actions(programmeId: \"grigny\") { totalCount } }";
        let key = cache.key(&Request::new(query), &pilot("grigny")).unwrap();
        cache.put(key.clone(), moment(7), Bytes::from_static(b"{\"data\":1}"));
        assert_eq!(
            cache.get(&key, moment(7)).as_deref(),
            Some(&b"{\"data\":1}"[..])
        );
        assert_eq!(cache.get(&key, moment(8)), None);
        let mut next_day = moment(7);
        next_day.today = next_day.today.succ_opt().unwrap();
        assert_eq!(cache.get(&key, next_day), None);
        // Another viewer, other variables: another key.
        let other = cache.key(&Request::new(query), &pilot("clichy")).unwrap();
        assert_eq!(cache.get(&other, moment(7)), None);
        let with_variables = Request::new(query).variables(async_graphql::Variables::from_json(
            serde_json::json!({"x": 1}),
        ));
        let third = cache.key(&with_variables, &pilot("grigny")).unwrap();
        assert_ne!(third, key);
        // A newer moment empties the cache; an answer of an older one is not kept.
        cache.put(
            other.clone(),
            moment(8),
            Bytes::from_static(b"{\"data\":2}"),
        );
        assert_eq!(cache.get(&key, moment(8)), None);
        cache.put(key.clone(), moment(7), Bytes::from_static(b"{\"data\":1}"));
        assert_eq!(cache.get(&key, moment(7)), None);
        assert_eq!(
            cache.get(&other, moment(8)).as_deref(),
            Some(&b"{\"data\":2}"[..])
        );
    }

    #[test]
    fn the_cache_keeps_within_its_budget() {
        let cache = AnswerCache::new(100);
        let viewer = pilot("grigny");
        let small = cache
            .key(&Request::new("{ programmes { id } }"), &viewer)
            .unwrap();
        let large = cache
            .key(
                &Request::new("{ partners(programmeId: \"g\") { id } }"),
                &viewer,
            )
            .unwrap();
        cache.put(small.clone(), moment(1), Bytes::from("x".repeat(40)));
        cache.put(large.clone(), moment(1), Bytes::from("y".repeat(200)));
        assert!(cache.get(&small, moment(1)).is_some());
        assert!(cache.get(&large, moment(1)).is_none());
    }
}
