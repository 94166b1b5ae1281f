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

/// The parts of `../shared/api-next.graphql` served today: each is served when it works, with the
/// names, arguments and types that file gives (issue #12: the domain fitted to the field).
const SERVED_FROM_NEXT: &[&str] = &[
    "LegalForm",
    "Payer",
    "Funder.payer",
    "Partner.legalForm",
    "Partner.rna",
    "Partner.version",
    "RegisterFunderInput.payer",
    "RegisterPartnerInput.legalForm",
    "RegisterPartnerInput.rna",
    "Session.version",
    "ProgrammePayload.warnings",
    "SessionPayload.warnings",
    "PartnerPayload.warnings",
    "DecisionsPayload.warnings",
    "Mutation.setPartnerLegalForm",
    "ReportVerdict",
    "FinalReportReview",
    "Action.finalReportDueOn",
    "Action.finalReportReview",
    "Mutation.extendReportDeadline",
    "Mutation.reviewFinalReport",
    "ProposeActionInput.renews",
    "Action.renews",
    "Action.renewedBy",
    "Action.recommendationFollowed",
    "Programme.schools",
    "ReviewSection",
    "Mutation.changeTerritory",
    "Mutation.writeReviewSection",
    "Mutation.validateAnnualReview",
    "Session.awaiting",
    "Mutation.amendGrant",
    "Mutation.cancelRepaymentRequest",
    "Mutation.correctReport",
    "Mutation.correctAttendance",
    "Action.availableCommands",
    "Session.availableCommands",
    "Programme.availableCommands",
    "Query.checkDocument",
    "TimelineEntry.actorId",
    "ErasurePayload",
    "Mutation.eraseText",
    "Mutation.eraseActorName",
    "DocumentCheck",
    "Query.beneficiaries",
    "Provenance",
    "BeneficiaryCell",
    "BeneficiaryTable",
    "Query.deployment",
    "Query.governance",
    "Query.finances",
    "Query.annualReview",
    "Query.monthlyReport",
    "Query.copilHindsight",
    "StatusCount",
    "HolderCount",
    "Deployment",
    "SessionCount",
    "Governance",
    "FunderYear",
    "Finances",
    "YearPermille",
    "ReviewText",
    "AnnualReview",
    "MonthlyReport",
    "CopilHindsight",
    "Viewer.personId",
    "Person",
    "RoleAssignment",
    "Query.people",
    "Mutation.invitePerson",
    "Mutation.revokePerson",
];

/// `api-next.graphql`: beside the project, else the copy in `graphql/contract/`.
fn next_contract() -> String {
    let shared = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/api-next.graphql");
    std::fs::read_to_string(&shared).unwrap_or_else(|_| {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("contract/api-next.graphql");
        std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
    })
}

/// Every type of api-next.graphql, with the fields of its `extend`s gathered.
fn next_types() -> HashMap<String, TypeDefinition> {
    let document = parse_schema(next_contract())
        .unwrap_or_else(|e| panic!("api-next.graphql does not parse: {e}"));
    let mut types: HashMap<String, TypeDefinition> = HashMap::new();
    for definition in document.definitions {
        let TypeSystemDefinition::Type(t) = definition else {
            continue;
        };
        let t = t.node;
        let name = t.name.node.to_string();
        match types.get_mut(&name) {
            None => {
                types.insert(name, t);
            }
            Some(existing) => match (&mut existing.kind, t.kind) {
                (TypeKind::Object(a), TypeKind::Object(b)) => a.fields.extend(b.fields),
                (TypeKind::InputObject(a), TypeKind::InputObject(b)) => a.fields.extend(b.fields),
                _ => panic!("{name} is declared twice in api-next.graphql"),
            },
        }
    }
    types
}

/// The definitions of `items` named `name` (one, or the test names an item api-next lacks).
fn only<T: Clone>(
    items: &[async_graphql::Positioned<T>],
    name: &str,
    name_of: impl Fn(&T) -> &str,
    item: &str,
) -> Vec<async_graphql::Positioned<T>> {
    let found: Vec<_> = items
        .iter()
        .filter(|i| name_of(&i.node) == name)
        .cloned()
        .collect();
    assert!(!found.is_empty(), "{item} is not in api-next.graphql");
    found
}

#[test]
fn the_parts_of_api_next_served_today_are_served_as_declared() {
    let wanted = next_types();
    let served = types(&served_sdl(), "the served schema");
    let mut problems = Vec::new();
    for item in SERVED_FROM_NEXT {
        let (type_name, field) = match item.split_once('.') {
            Some((t, f)) => (t, Some(f)),
            None => (*item, None),
        };
        let want = wanted
            .get(type_name)
            .unwrap_or_else(|| panic!("{type_name} is not in api-next.graphql"));
        let Some(got) = served.get(type_name) else {
            problems.push(format!("{type_name} is not served"));
            continue;
        };
        match (&want.kind, &got.kind, field) {
            (TypeKind::Object(w), TypeKind::Object(g), Some(field)) => {
                let w = only(&w.fields, field, |f| f.name.node.as_str(), item);
                compare_fields(type_name, &w, &g.fields, &mut problems);
            }
            (TypeKind::InputObject(w), TypeKind::InputObject(g), Some(field)) => {
                let w = only(&w.fields, field, |f| f.name.node.as_str(), item);
                compare_inputs(type_name, &w, &g.fields, &mut problems);
            }
            (TypeKind::Object(w), TypeKind::Object(g), None) => {
                compare_fields(type_name, &w.fields, &g.fields, &mut problems);
            }
            (TypeKind::Enum(w), TypeKind::Enum(g), None) => {
                let names = |values: &[async_graphql::Positioned<
                    async_graphql::parser::types::EnumValueDefinition,
                >]| {
                    values
                        .iter()
                        .map(|v| v.node.value.node.to_string())
                        .collect::<Vec<_>>()
                };
                if names(&w.values) != names(&g.values) {
                    problems.push(format!(
                        "{type_name} serves {:?}, api-next.graphql says {:?}",
                        names(&g.values),
                        names(&w.values)
                    ));
                }
            }
            _ => problems.push(format!("{item}: not the kind api-next.graphql declares")),
        }
    }
    assert!(
        problems.is_empty(),
        "the served schema departs from api-next.graphql:\n{}",
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
    let shared = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/api-next.graphql");
    let copy = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("contract/api-next.graphql");
    if let Ok(shared) = std::fs::read_to_string(&shared) {
        assert!(
            shared == std::fs::read_to_string(&copy).unwrap_or_default(),
            "../shared/api-next.graphql changed: copy it to graphql/contract/api-next.graphql"
        );
    }
}
