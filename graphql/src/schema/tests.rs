//! Tests of the schema through `schema.execute`, without HTTP.

use super::*;
use crate::auth::Viewer;
use crate::clock::Clock;
use crate::tokens::NewToken;
use async_graphql::{Request, Variables};
use domain::actor::Actor;
use domain::values::{ProgrammeId, Role};
use eventlog::EventLog;
use serde_json::{Value, json};

struct Fixture {
    _dir: tempfile::TempDir,
    state: AppState,
    schema: ChroniqueSchema,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let log = EventLog::open(dir.path(), eventlog::Options::default()).unwrap();
    let state = AppState::new(log, Clock::system()).unwrap();
    let schema = build_schema(state.clone());
    Fixture {
        _dir: dir,
        state,
        schema,
    }
}

fn viewer(actor: Actor) -> Viewer {
    Viewer {
        token_id: "t1".to_owned(),
        actor,
        name: "Marie Dupont".to_owned(),
        person_id: None,
    }
}

fn admin() -> Viewer {
    viewer(Actor::admin())
}

fn of(role: Role, programme: &str) -> Viewer {
    viewer(Actor::of(role, ProgrammeId::parse(programme).unwrap()))
}

async fn run(fixture: &Fixture, viewer: Option<Viewer>, query: &str, variables: Value) -> Value {
    let mut request = Request::new(query).variables(Variables::from_json(variables));
    if let Some(viewer) = viewer {
        request = request.data(viewer);
    }
    serde_json::to_value(fixture.schema.execute(request).await).unwrap()
}

fn first_code(response: &Value) -> &str {
    response["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("no error code in {response}"))
}

#[tokio::test]
async fn me_describes_the_token() {
    let f = fixture();
    let response = run(
        &f,
        Some(of(Role::Pilot, "grigny")),
        "{ me { role programmeId partnerId name } }",
        json!({}),
    )
    .await;
    assert_eq!(
        response["data"]["me"],
        json!({"role": "PILOT", "programmeId": "grigny", "partnerId": null, "name": "Marie Dupont"})
    );
}

#[tokio::test]
async fn without_a_viewer_every_field_is_unauthenticated() {
    let f = fixture();
    let response = run(&f, None, "{ me { role } }", json!({})).await;
    assert_eq!(first_code(&response), "UNAUTHENTICATED");
}

#[tokio::test]
async fn a_query_nested_too_deep_is_limit_and_runs_nothing() {
    let f = fixture();
    let mut query = String::from("{ __schema { types { fields { type { ");
    for _ in 0..MAX_DEPTH {
        query.push_str("ofType { ");
    }
    query.push_str("name");
    query.push_str(&" }".repeat(MAX_DEPTH + 5));
    let response = run(&f, Some(admin()), &query, json!({})).await;
    assert_eq!(first_code(&response), "LIMIT");
    assert!(response["data"].is_null());
    assert!(
        response["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("trop profonde")
    );
}

#[tokio::test]
async fn the_standard_introspection_query_fits_the_depth_limit() {
    let f = fixture();
    // The TypeRef fragment of GraphiQL's introspection query, seven `ofType` deep.
    let mut type_ref = String::from("kind name");
    for _ in 0..7 {
        type_ref = format!("kind name ofType {{ {type_ref} }}");
    }
    let query = format!(
        "{{ __schema {{ types {{ fields(includeDeprecated: true) {{ args {{ type {{ {type_ref} }} }} type {{ {type_ref} }} }} }} }} }}"
    );
    let response = run(&f, Some(admin()), &query, json!({})).await;
    assert!(response.get("errors").is_none(), "{response}");
}

#[tokio::test]
async fn a_syntax_error_is_validation_in_french() {
    let f = fixture();
    let response = run(&f, Some(admin()), "{ me { role ", json!({})).await;
    assert_eq!(first_code(&response), "VALIDATION");
    let response = run(&f, Some(admin()), "{ nope }", json!({})).await;
    assert_eq!(first_code(&response), "VALIDATION");
    assert!(
        response["errors"][0]["message"]
            .as_str()
            .unwrap()
            .starts_with("La requête GraphQL n'est pas valide")
    );
}

#[tokio::test]
async fn only_an_admin_creates_lists_and_revokes_tokens() {
    let f = fixture();
    let create = "mutation($role: Role!, $p: ID, $name: String!) { createToken(role: $role, programmeId: $p, name: $name) { secret token { id role programmeId revoked createdAt } } }";
    let response = run(
        &f,
        Some(of(Role::Pilot, "grigny")),
        create,
        json!({"role": "ADMIN", "name": "x"}),
    )
    .await;
    assert_eq!(first_code(&response), "FORBIDDEN");
    let response = run(
        &f,
        Some(of(Role::Coordinator, "grigny")),
        "{ tokens { id } }",
        json!({}),
    )
    .await;
    assert_eq!(first_code(&response), "FORBIDDEN");

    let response = run(
        &f,
        Some(admin()),
        create,
        json!({"role": "EVALUATOR", "p": "grigny", "name": "INJEP"}),
    )
    .await;
    let payload = &response["data"]["createToken"];
    let secret = payload["secret"].as_str().unwrap();
    let id = payload["token"]["id"].as_str().unwrap().to_owned();
    assert_eq!(payload["token"]["role"], "EVALUATOR");
    let token = f.state.tokens.authenticate(secret).unwrap().unwrap();
    assert_eq!(token.id, id);

    let response = run(
        &f,
        Some(admin()),
        "{ tokens { id name revoked } }",
        json!({}),
    )
    .await;
    assert_eq!(response["data"]["tokens"][0]["name"], "INJEP");

    let response = run(
        &f,
        Some(admin()),
        "mutation($id: ID!) { revokeToken(id: $id) { id revoked } }",
        json!({"id": id}),
    )
    .await;
    assert_eq!(response["data"]["revokeToken"]["revoked"], true);
    assert!(f.state.tokens.authenticate(secret).unwrap().is_none());

    let response = run(
        &f,
        Some(admin()),
        "mutation { revokeToken(id: \"ffffffff\") { id } }",
        json!({}),
    )
    .await;
    assert_eq!(first_code(&response), "NOT_FOUND");
}

#[tokio::test]
async fn a_porteur_token_without_partner_is_validation() {
    let f = fixture();
    let response = run(
        &f,
        Some(admin()),
        "mutation { createToken(role: PORTEUR, programmeId: \"grigny\", name: \"Asso\") { secret } }",
        json!({}),
    )
    .await;
    assert_eq!(first_code(&response), "VALIDATION");
}

#[tokio::test]
async fn page_sizes_above_the_limit_are_limit() {
    assert!(check_page_size(500).is_ok());
    assert_eq!(
        check_page_size(501).unwrap_err().code(),
        crate::error::Code::Limit
    );
    assert_eq!(
        check_page_size(-1).unwrap_err().code(),
        crate::error::Code::Validation
    );
    let f = fixture();
    let response = run(
        &f,
        Some(admin()),
        "{ events(programmeId: \"grigny\", first: 501) { edges { cursor } } }",
        json!({}),
    )
    .await;
    assert_eq!(first_code(&response), "LIMIT");
}

#[tokio::test]
async fn the_enums_have_the_names_of_the_contract() {
    let f = fixture();
    let sdl = f.schema.sdl();
    // Enums are in the SDL only once a field uses them: Role is; the others are checked by
    // their GraphQL names directly.
    assert!(sdl.contains("enum Role {"), "{sdl}");
    use async_graphql::resolver_utils::EnumType;
    fn names<T>(items: &[async_graphql::resolver_utils::EnumItem<T>]) -> Vec<&str> {
        items.iter().map(|i| i.name).collect()
    }
    assert_eq!(
        names(enums::AgeBand::items()),
        [
            "AGE_0_2",
            "AGE_3_5",
            "AGE_6_10",
            "AGE_11_14",
            "AGE_15_17",
            "AGE_18_25",
            "ADULT"
        ]
    );
    assert_eq!(
        names(enums::FunderKind::items()),
        [
            "STATE",
            "FONDS_DE_LA_CITE",
            "MUNICIPALITY",
            "EPCI",
            "DEPARTMENT",
            "REGION",
            "CAF",
            "HOUSING",
            "FOUNDATION",
            "OWN_FUNDS",
            "OTHER"
        ]
    );
    assert_eq!(
        names(enums::ActionStatus::items()),
        [
            "PROPOSED",
            "COMPLEMENTS_REQUESTED",
            "UNDER_REVIEW",
            "RETAINED",
            "DEFERRED",
            "REJECTED",
            "WITHDRAWN",
            "FUNDED",
            "IN_PROGRESS",
            "COMPLETED",
            "NOT_REALISED",
            "REPORTED",
            "EVALUATED",
            "CLOSED"
        ]
    );
    assert_eq!(
        names(enums::ActKind::items()),
        [
            "CONVENTION",
            "ARRETE",
            "DELIBERATION",
            "EPLE_DECISION",
            "OTHER"
        ]
    );
    assert_eq!(
        names(enums::Rating::items()),
        ["ACHIEVED", "PARTLY_ACHIEVED", "NOT_ACHIEVED"]
    );
}

#[test]
fn cents_refuse_negative_fractional_and_huge_amounts_with_validation() {
    use crate::schema::scalars::Cents;
    use async_graphql::{ScalarType, Value};
    assert!(Cents::parse(Value::from(0)).is_ok());
    assert!(Cents::parse(Value::from(10_000_000_000_000_i64)).is_ok());
    for bad in [
        Value::from(-1),
        Value::from(10_000_000_000_001_i64),
        Value::from(1.5),
        Value::from("12"),
    ] {
        let error = Cents::parse(bad)
            .unwrap_err()
            .into_server_error(Default::default());
        let code = error
            .extensions
            .as_ref()
            .and_then(|e| e.get("code"))
            .cloned();
        assert_eq!(code, Some(Value::from("VALIDATION")));
    }
}

/// Fills the log with a small generated programme (the real deciders, the real encoding).
fn generated(f: &Fixture) -> String {
    let params = projections::generator::GeneratorParams::small(7, 2, 4);
    let summary = projections::generator::generate(&f.state.log, &params).unwrap();
    summary.programmes[0].to_string()
}

#[tokio::test]
async fn events_page_through_one_programme_with_decoded_payloads() {
    let f = fixture();
    let programme = generated(&f);
    let head = f.state.log.head().position;
    // The chain watch indexes part of the log only: the rest is read from disk.
    let query = "query($p: ID!, $after: String) { events(programmeId: $p, first: 5, after: $after) { edges { cursor node { position streamId version kind schemaVersion effectiveOn recordedAt actor data prevHash hash } } pageInfo { hasNextPage endCursor } } }";
    let mut after: Option<String> = None;
    let mut positions = Vec::new();
    loop {
        let response = run(
            &f,
            Some(of(Role::Evaluator, &programme)),
            query,
            json!({"p": programme, "after": after}),
        )
        .await;
        let connection = &response["data"]["events"];
        let edges = connection["edges"]
            .as_array()
            .unwrap_or_else(|| panic!("{response}"));
        assert!(edges.len() <= 5);
        for edge in edges {
            let node = &edge["node"];
            let stream = node["streamId"].as_str().unwrap();
            assert!(stream.contains(&format!("-{programme}")), "{stream}");
            let data: Value = serde_json::from_str(node["data"].as_str().unwrap()).unwrap();
            assert!(data.is_object());
            assert_eq!(node["hash"].as_str().unwrap().len(), 64);
            positions.push(node["position"].as_u64().unwrap());
        }
        if connection["pageInfo"]["hasNextPage"] == false {
            break;
        }
        after = connection["pageInfo"]["endCursor"]
            .as_str()
            .map(str::to_owned);
    }
    assert!(positions.windows(2).all(|w| w[0] < w[1]));
    assert!(!positions.is_empty() && (positions.len() as u64) < head);
    let first_event = f.state.log.get(positions[0]).unwrap().unwrap();
    assert_eq!(first_event.stream_id, format!("programme-{programme}"));
}

#[tokio::test]
async fn the_raw_log_is_refused_to_observers_and_other_programmes() {
    let f = fixture();
    let query = "{ events(programmeId: \"grigny\") { edges { cursor } } }";
    let response = run(&f, Some(of(Role::Observer, "grigny")), query, json!({})).await;
    assert_eq!(first_code(&response), "FORBIDDEN");
    let response = run(&f, Some(of(Role::Pilot, "autre")), query, json!({})).await;
    assert_eq!(first_code(&response), "FORBIDDEN");
    let response = run(&f, Some(of(Role::Pilot, "grigny")), query, json!({})).await;
    assert_eq!(response["data"]["events"]["edges"], json!([]));
}

#[tokio::test]
async fn integrity_reports_a_verified_chain_once_the_watch_has_run() {
    let f = fixture();
    generated(&f);
    let watch = tokio::spawn(f.state.chain.clone().run(f.state.log.clone()));
    let response = run(
        &f,
        Some(admin()),
        "{ integrity { headPosition headHash verified verifiedUpTo } }",
        json!({}),
    )
    .await;
    let integrity = &response["data"]["integrity"];
    let head = f.state.log.head();
    assert_eq!(integrity["headPosition"], head.position);
    assert_eq!(integrity["headHash"], hex::encode(head.hash));
    assert_eq!(integrity["verified"], true);
    assert_eq!(integrity["verifiedUpTo"], head.position);
    watch.abort();
}

#[tokio::test]
async fn tokens_created_through_the_store_are_listed_without_secret() {
    let f = fixture();
    f.state
        .tokens
        .create(NewToken {
            role: Role::Admin,
            programme: None,
            partner: None,
            name: "Opératrice".to_owned(),
        })
        .unwrap();
    let response = run(
        &f,
        Some(admin()),
        "{ tokens { id role name createdAt } }",
        json!({}),
    )
    .await;
    let token = &response["data"]["tokens"][0];
    assert_eq!(token["role"], "ADMIN");
    assert!(token["createdAt"].as_str().unwrap().ends_with('Z'));
}
