//! Backup and restore with the real binary: an export imported into a fresh store gives the same
//! head hash and the same answers to the same queries (tokens are not part of an export).

mod common;

use common::{chronique, create_token, generate, spawn_app, stderr};
use serde_json::{Value, json};
use std::path::Path;

const QUERY: &str = r#"query($p: ID!) {
  programme(id: $p) { name axes(includeRetired: true) { code title retired } funders { id name }
    envelopes { funder { id } year amount } version }
  actions(programmeId: $p, first: 500) { totalCount edges { node { id reference status
    money { funder { id } requested retained granted paid toPay repaid }
    payments { id amount cancelled } decision { outcome revised } } } }
  y2025: budget(programmeId: $p, year: 2025) { total { envelope requested retained granted paid toPay } }
  y2026: budget(programmeId: $p, year: 2026) { total { envelope requested retained granted paid toPay } }
  timeline(programmeId: $p, first: 100) { edges { node { position kind summary effectiveOn supersededBy } } }
  integrity { headPosition headHash verified }
}"#;

fn answers(dir: &Path, programme: &str) -> Value {
    let token = create_token(dir, "EVALUATOR", Some(programme), None);
    let app = spawn_app(dir);
    let (status, body) = app.graphql(Some(&token), QUERY, json!({"p": programme}));
    assert_eq!(status, 200, "{body}");
    assert!(body.get("errors").is_none(), "{body}");
    assert!(app.terminate().success());
    body["data"].clone()
}

#[test]
fn an_imported_export_answers_every_query_as_the_original_did() {
    let source = tempfile::tempdir().unwrap();
    let programme = generate(source.path());
    let file = source.path().join("sauvegarde.ndjson");
    let export = chronique(&[
        "export",
        "--data-dir",
        source.path().to_str().unwrap(),
        "--out",
        file.to_str().unwrap(),
    ]);
    assert!(export.status.success(), "{}", stderr(&export));
    let target = tempfile::tempdir().unwrap();
    let import = chronique(&[
        "import",
        "--data-dir",
        target.path().to_str().unwrap(),
        file.to_str().unwrap(),
    ]);
    assert!(import.status.success(), "{}", stderr(&import));

    let original = answers(source.path(), &programme);
    let restored = answers(target.path(), &programme);
    assert!(
        original["actions"]["totalCount"].as_u64().unwrap() > 0,
        "the generated programme has actions: {original}"
    );
    assert_eq!(restored, original);
}
