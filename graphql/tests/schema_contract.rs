//! The schema the server really serves, against the contract and against its snapshot.
//!
//! - `graphql/schema.graphql` is the served schema, checked into the repository: a change to
//!   the API shows in review. When this test fails because the API changed on purpose, rewrite
//!   the file with `CHRONIQUE_WRITE_SCHEMA=1 cargo test -p graphql --test schema_contract` and
//!   explain the change.
//! - Every type, field, argument, default and enum value of `../shared/api.graphql` (kept
//!   copied in `graphql/contract/api.graphql`) must be served, with the same type: the server
//!   may add, never rename or remove.

use async_graphql::parser::parse_schema;
use async_graphql::parser::types::{
    FieldDefinition, InputValueDefinition, TypeDefinition, TypeKind, TypeSystemDefinition,
};
use graphql::schema::build_schema;
use graphql::{AppState, Clock};
use std::collections::HashMap;
use std::path::PathBuf;

fn served_sdl() -> String {
    let dir = tempfile::tempdir().unwrap();
    let log = eventlog::EventLog::open(dir.path(), eventlog::Options::default()).unwrap();
    let state = AppState::new(log, Clock::system()).unwrap();
    build_schema(state).sdl()
}

fn snapshot_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("schema.graphql")
}

/// The contract: `../shared/api.graphql` beside the project when it is there (as in CI and on
/// the developers' machines), else the copy kept in `graphql/contract/`.
fn contract() -> String {
    let shared = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/api.graphql");
    std::fs::read_to_string(&shared).unwrap_or_else(|_| vendored_contract())
}

fn vendored_contract() -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("contract/api.graphql");
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

fn types(sdl: &str, what: &str) -> HashMap<String, TypeDefinition> {
    let document = parse_schema(sdl).unwrap_or_else(|e| panic!("{what} does not parse: {e}"));
    document
        .definitions
        .into_iter()
        .filter_map(|d| match d {
            TypeSystemDefinition::Type(t) => Some((t.node.name.node.to_string(), t.node)),
            _ => None,
        })
        .collect()
}

fn kind_name(kind: &TypeKind) -> &'static str {
    match kind {
        TypeKind::Scalar => "scalar",
        TypeKind::Object(_) => "type",
        TypeKind::Interface(_) => "interface",
        TypeKind::Union(_) => "union",
        TypeKind::Enum(_) => "enum",
        TypeKind::InputObject(_) => "input",
    }
}

fn compare_inputs(
    place: &str,
    wanted: &[async_graphql::Positioned<InputValueDefinition>],
    served: &[async_graphql::Positioned<InputValueDefinition>],
    problems: &mut Vec<String>,
) {
    for want in wanted {
        let name = want.node.name.node.as_str();
        match served.iter().find(|s| s.node.name.node.as_str() == name) {
            None => problems.push(format!("{place}: `{name}` is missing")),
            Some(got) => {
                let (w, g) = (want.node.ty.node.to_string(), got.node.ty.node.to_string());
                if w != g {
                    problems.push(format!("{place}: `{name}` is {g}, the contract says {w}"));
                }
                let w = want.node.default_value.as_ref().map(|v| v.node.to_string());
                let g = got.node.default_value.as_ref().map(|v| v.node.to_string());
                if w.is_some() && w != g {
                    problems.push(format!(
                        "{place}: `{name}` defaults to {g:?}, the contract says {w:?}"
                    ));
                }
            }
        }
    }
}

fn compare_fields(
    type_name: &str,
    wanted: &[async_graphql::Positioned<FieldDefinition>],
    served: &[async_graphql::Positioned<FieldDefinition>],
    problems: &mut Vec<String>,
) {
    for want in wanted {
        let name = want.node.name.node.as_str();
        let Some(got) = served.iter().find(|s| s.node.name.node.as_str() == name) else {
            problems.push(format!("{type_name}.{name} is missing"));
            continue;
        };
        let (w, g) = (want.node.ty.node.to_string(), got.node.ty.node.to_string());
        if w != g {
            problems.push(format!("{type_name}.{name} is {g}, the contract says {w}"));
        }
        compare_inputs(
            &format!("{type_name}.{name}"),
            &want.node.arguments,
            &got.node.arguments,
            problems,
        );
    }
}

#[test]
fn the_served_schema_contains_everything_in_the_contract() {
    let wanted = types(&contract(), "api.graphql");
    let served = types(&served_sdl(), "the served schema");
    let mut problems = Vec::new();
    let mut names: Vec<&String> = wanted.keys().collect();
    names.sort();
    for name in names {
        let want = &wanted[name];
        let Some(got) = served.get(name) else {
            problems.push(format!("{} {name} is missing", kind_name(&want.kind)));
            continue;
        };
        if kind_name(&want.kind) != kind_name(&got.kind) {
            problems.push(format!(
                "{name} is a {}, the contract says {}",
                kind_name(&got.kind),
                kind_name(&want.kind)
            ));
            continue;
        }
        let wanted_directives: Vec<String> = want
            .directives
            .iter()
            .map(|d| d.node.name.node.to_string())
            .collect();
        for directive in wanted_directives {
            if !got
                .directives
                .iter()
                .any(|d| d.node.name.node.as_str() == directive)
            {
                problems.push(format!("{name} lacks @{directive}"));
            }
        }
        match (&want.kind, &got.kind) {
            (TypeKind::Object(w), TypeKind::Object(g)) => {
                compare_fields(name, &w.fields, &g.fields, &mut problems)
            }
            (TypeKind::InputObject(w), TypeKind::InputObject(g)) => {
                compare_inputs(name, &w.fields, &g.fields, &mut problems)
            }
            (TypeKind::Enum(w), TypeKind::Enum(g)) => {
                for value in &w.values {
                    let value = value.node.value.node.as_str();
                    if !g.values.iter().any(|v| v.node.value.node.as_str() == value) {
                        problems.push(format!("{name}.{value} is missing"));
                    }
                }
            }
            _ => {}
        }
    }
    assert!(
        problems.is_empty(),
        "the served schema departs from api.graphql:\n{}",
        problems.join("\n")
    );
}

#[test]
fn the_served_schema_matches_its_snapshot_in_the_repository() {
    let served = served_sdl();
    let path = snapshot_path();
    if std::env::var_os("CHRONIQUE_WRITE_SCHEMA").is_some() {
        std::fs::write(&path, &served).unwrap();
    }
    let stored = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        stored == served,
        "the served schema differs from {}: if the API changed on purpose, rewrite it with \
         CHRONIQUE_WRITE_SCHEMA=1 cargo test -p graphql --test schema_contract, and say why in \
         the commit",
        path.display()
    );
}

#[test]
fn the_copy_of_the_contract_in_the_repository_is_the_shared_one() {
    let shared = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/api.graphql");
    match std::fs::read_to_string(&shared) {
        Ok(shared) => assert!(
            shared == vendored_contract(),
            "../shared/api.graphql changed: copy it to graphql/contract/api.graphql"
        ),
        // Without the shared folder, the copy is the contract the other test checks against.
        Err(_) => eprintln!("{} is absent: checked against the copy", shared.display()),
    }
}
