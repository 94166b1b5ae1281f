//! Stores already in use keep working: a store and an export written by the binary of main before
//! the domain was fitted to the field (`tests/fixtures/store-v1`, its README says how they were
//! made) open with today's binary, verify, upcast every old event on read and answer the same
//! questions the same, field for field; and the new fields read the values DOMAIN.md maps old
//! events to.

mod common;

use common::*;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/store-v1");

fn fixture(name: &str) -> PathBuf {
    Path::new(FIXTURE).join(name)
}

/// The fixture's store, unpacked into `dir` (as `dir/store`).
fn unpack_store(dir: &Path) -> PathBuf {
    let status = std::process::Command::new("tar")
        .arg("-xzf")
        .arg(fixture("store.tar.gz"))
        .arg("-C")
        .arg(dir)
        .status()
        .expect("run tar");
    assert!(status.success(), "tar could not unpack the fixture");
    dir.join("store")
}

/// Asks `queries.graphql` page by page, as `make.py` did.
fn answers(app: &TestApp, token: &str) -> Vec<Value> {
    let query = std::fs::read_to_string(fixture("queries.graphql")).unwrap();
    let mut pages = Vec::new();
    let mut after = Value::Null;
    loop {
        let (status, body) =
            app.graphql(Some(token), &query, json!({"p": "grigny", "after": after}));
        assert_eq!(status, 200, "{body}");
        assert!(body.get("errors").is_none(), "{body}");
        let data = body["data"].clone();
        let page = data["timeline"]["pageInfo"].clone();
        pages.push(data);
        if page["hasNextPage"] != json!(true) {
            return pages;
        }
        after = page["endCursor"].clone();
    }
}

fn expected() -> Vec<Value> {
    serde_json::from_str(&std::fs::read_to_string(fixture("answers.json")).unwrap()).unwrap()
}

/// The first difference between two answers, by path, for a readable failure.
fn first_difference(path: &str, old: &Value, new: &Value) -> Option<String> {
    match (old, new) {
        (Value::Object(a), Value::Object(b)) => a.iter().find_map(|(k, v)| {
            first_difference(&format!("{path}.{k}"), v, b.get(k).unwrap_or(&Value::Null))
        }),
        (Value::Array(a), Value::Array(b)) if a.len() == b.len() => a
            .iter()
            .zip(b)
            .enumerate()
            .find_map(|(i, (x, y))| first_difference(&format!("{path}[{i}]"), x, y)),
        _ if old == new => None,
        _ => Some(format!("{path}: before {old}, now {new}")),
    }
}

fn assert_same(new: &[Value]) {
    let old = expected();
    assert_eq!(
        old.len(),
        new.len(),
        "not the same number of timeline pages"
    );
    for (o, n) in old.iter().zip(new) {
        if let Some(difference) = first_difference("", o, n) {
            panic!(
                "today's binary answers otherwise than the one that wrote the store: {difference}"
            );
        }
    }
}

#[test]
fn an_old_store_verifies_and_answers_as_before() {
    let dir = tempfile::tempdir().unwrap();
    let store = unpack_store(dir.path());
    let verify = chronique(&["verify", "--data-dir", store.to_str().unwrap()]);
    assert!(verify.status.success(), "{}", stderr(&verify));

    let token = create_token(&store, "ADMIN", None, None);
    let pilot = create_token(&store, "PILOT", Some("grigny"), None);
    let app = spawn_app(&store);
    assert_same(&answers(&app, &token));
    let (_, integrity) = app.graphql(
        Some(&token),
        "{ integrity { headPosition verified } }",
        json!({}),
    );
    assert_eq!(integrity["data"]["integrity"]["headPosition"], json!(364));
    assert_new_fields_read_domain_md_mappings(&app, &token);

    // Its events keep their actor's name (envelope format 1); a new one, written after the
    // upgrade, names its actor by id and role (format 2), chained onto the old ones.
    app.ok(
        &pilot,
        r#"mutation { defineAxis(programmeId: "grigny", input: {code: "A9", title: "Sport", objective: WIDER_HORIZONS}) { position } }"#,
        json!({}),
    );
    let events = app.ok(
        &token,
        r#"{ events(programmeId: "grigny", fromPosition: 364, first: 5) { edges { node { position actor actorId actorRole } } } }"#,
        json!({}),
    );
    let edges = events["events"]["edges"].as_array().unwrap();
    let old = &edges[0]["node"];
    assert_eq!(
        (old["actorId"].clone(), old["actorRole"].clone()),
        (Value::Null, Value::Null)
    );
    assert!(old["actor"].as_str().unwrap().ends_with(')'), "{old}");
    let new = &edges[1]["node"];
    assert_eq!(new["position"], json!(365));
    assert_eq!(new["actorRole"], json!("PILOT"));
    assert!(
        new["actorId"].as_str().unwrap().starts_with("token:"),
        "{new}"
    );
    assert_eq!(new["actor"], json!("Test (pilote)"));
    drop(app);
    let verify = chronique(&["verify", "--data-dir", store.to_str().unwrap()]);
    assert!(verify.status.success(), "{}", stderr(&verify));
}

/// Partners and funders stored before legal forms and payers existed read with the values
/// DOMAIN.md maps their kinds to (written out here again, apart from the code).
fn assert_new_fields_read_domain_md_mappings(app: &TestApp, token: &str) {
    let data = app.ok(
        token,
        r#"{ partners(programmeId: "grigny") { id kind legalForm rna version }
             programme(id: "grigny") { funders { id kind payer } } }"#,
        json!({}),
    );
    let partners = data["partners"].as_array().unwrap();
    assert!(partners.len() >= 10, "{data}");
    for partner in partners {
        let expected = match partner["kind"].as_str().unwrap() {
            "ASSOCIATION" => "ASSOCIATION",
            "COLLEGE" | "LYCEE" => "EPLE",
            "MUNICIPAL_SERVICE" | "EPCI" => "LOCAL_AUTHORITY",
            "STATE_SERVICE" => "STATE_SERVICE",
            _ => "UNKNOWN",
        };
        assert_eq!(partner["legalForm"], json!(expected), "{partner}");
        assert_eq!(partner["rna"], Value::Null, "{partner}");
        assert!(partner["version"].as_i64().unwrap() >= 1, "{partner}");
    }
    let kinds: Vec<&str> = partners
        .iter()
        .map(|p| p["kind"].as_str().unwrap())
        .collect();
    assert!(
        kinds.contains(&"SCHOOL") && kinds.contains(&"COLLEGE"),
        "{kinds:?}"
    );
    let funders = data["programme"]["funders"].as_array().unwrap();
    for funder in funders {
        let expected = match funder["kind"].as_str().unwrap() {
            "STATE" | "FONDS_DE_LA_CITE" => "STATE",
            "MUNICIPALITY" => "COMMUNE",
            "EPCI" => "EPCI",
            "DEPARTMENT" => "DEPARTMENT",
            "REGION" => "REGION",
            "CAF" => "CAF",
            _ => "OTHER",
        };
        assert_eq!(funder["payer"], json!(expected), "{funder}");
    }
    let fonds = funders.iter().find(|f| f["kind"] == "FONDS_DE_LA_CITE");
    assert_eq!(fonds.unwrap()["payer"], "STATE");
}

#[test]
fn an_old_export_imports_and_answers_as_before() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("imported");
    let import = chronique(&[
        "import",
        "--data-dir",
        store.to_str().unwrap(),
        fixture("export.ndjson").to_str().unwrap(),
    ]);
    assert!(import.status.success(), "{}", stderr(&import));
    let token = create_token(&store, "ADMIN", None, None);
    let app = spawn_app(&store);
    assert_same(&answers(&app, &token));
    drop(app);
}
