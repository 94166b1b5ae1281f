//! The real server over HTTP: authentication, errors, limits, operational endpoints, the page,
//! shutdown and restarts.

mod common;

use common::*;
use serde_json::json;

fn app_with_admin() -> (tempfile::TempDir, TestApp, String) {
    let dir = tempfile::tempdir().unwrap();
    let admin = create_token(dir.path(), "ADMIN", None, None);
    let app = spawn_app(dir.path());
    (dir, app, admin)
}

#[test]
fn me_describes_the_token_of_the_request() {
    let dir = tempfile::tempdir().unwrap();
    let token = create_token(dir.path(), "PORTEUR", Some("grigny"), Some("asso-lecture"));
    let app = spawn_app(dir.path());
    let (status, body) = app.graphql(
        Some(&token),
        "{ me { role programmeId partnerId name } }",
        json!({}),
    );
    assert_eq!(status, 200);
    assert_eq!(
        body["data"]["me"],
        json!({"role": "PORTEUR", "programmeId": "grigny", "partnerId": "asso-lecture", "name": "Test"})
    );
}

#[test]
fn a_request_without_a_token_is_unauthenticated() {
    let (_dir, app, _) = app_with_admin();
    let (status, body) = app.graphql(None, "{ me { role } }", json!({}));
    assert_eq!(status, 401);
    assert_eq!(first_code(&body), "UNAUTHENTICATED");
    let (status, body) = app.graphql(Some("chq_inconnu"), "{ __typename }", json!({}));
    assert_eq!(status, 401);
    assert_eq!(first_code(&body), "UNAUTHENTICATED");
}

#[test]
fn a_revoked_token_is_unauthenticated_at_once() {
    let (_dir, app, admin) = app_with_admin();
    let (_, body) = app.graphql(
        Some(&admin),
        "mutation { createToken(role: OBSERVER, programmeId: \"grigny\", name: \"Alliance\") { secret token { id } } }",
        json!({}),
    );
    let secret = body["data"]["createToken"]["secret"]
        .as_str()
        .unwrap()
        .to_owned();
    let id = body["data"]["createToken"]["token"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, _) = app.graphql(Some(&secret), "{ me { role } }", json!({}));
    assert_eq!(status, 200);
    let (_, body) = app.graphql(
        Some(&admin),
        "mutation($id: ID!) { revokeToken(id: $id) { revoked } }",
        json!({"id": id}),
    );
    assert_eq!(body["data"]["revokeToken"]["revoked"], true);
    let (status, body) = app.graphql(Some(&secret), "{ me { role } }", json!({}));
    assert_eq!(status, 401);
    assert_eq!(first_code(&body), "UNAUTHENTICATED");
}

#[test]
fn create_token_by_a_non_admin_is_forbidden() {
    let dir = tempfile::tempdir().unwrap();
    let pilot = create_token(dir.path(), "PILOT", Some("grigny"), None);
    let app = spawn_app(dir.path());
    let (_, body) = app.graphql(
        Some(&pilot),
        "mutation { createToken(role: ADMIN, name: \"moi\") { secret } }",
        json!({}),
    );
    assert_eq!(first_code(&body), "FORBIDDEN");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("administrateur")
    );
}

#[test]
fn a_query_nested_too_deep_is_limit() {
    let (_dir, app, admin) = app_with_admin();
    let query = format!(
        "{{ __schema {{ types {{ fields {{ type {{ {} name {} }} }} }} }} }}",
        "ofType { ".repeat(20),
        "}".repeat(20)
    );
    let (_, body) = app.graphql(Some(&admin), &query, json!({}));
    assert_eq!(first_code(&body), "LIMIT");
    assert!(body["data"].is_null());
}

#[test]
fn a_body_over_the_limit_is_limit_with_413() {
    let (_dir, app, admin) = app_with_admin();
    let padding = "x".repeat(2 * 1024 * 1024);
    let response = app
        .client
        .post(app.url("/graphql"))
        .bearer_auth(&admin)
        .json(&json!({"query": "{ me { role } }", "variables": {"padding": padding}}))
        .send()
        .unwrap();
    assert_eq!(response.status().as_u16(), 413);
    let body: serde_json::Value = response.json().unwrap();
    assert_eq!(first_code(&body), "LIMIT");
}

#[test]
fn health_and_metrics_report_the_head_and_the_requests() {
    let dir = tempfile::tempdir().unwrap();
    let programme = generate(dir.path());
    let admin = create_token(dir.path(), "ADMIN", None, None);
    let app = spawn_app(dir.path());
    let health: serde_json::Value = app.get("/health").json().unwrap();
    assert_eq!(health["status"], "ok");
    assert!(health["headPosition"].as_u64().unwrap() > 0);
    assert_eq!(health["projectionLag"], 0);

    let (_, body) = app.graphql(
        Some(&admin),
        "query Journal($p: ID!) { events(programmeId: $p, first: 2) { edges { node { kind } } } }",
        json!({"p": programme}),
    );
    assert_eq!(
        body["data"]["events"]["edges"][0]["node"]["kind"],
        "ProgrammeEstablished"
    );
    let response = app.get("/metrics");
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain"),
    );
    let text = response.text().unwrap();
    assert!(text.contains("chronique_head_position "), "{text}");
    assert!(text.contains("chronique_projection_lag_events 0"), "{text}");
    assert!(
        text.contains("chronique_graphql_requests_total{operation=\"Journal\",outcome=\"ok\"} 1"),
        "{text}"
    );
    assert!(
        text.contains("chronique_append_latency_seconds_bucket"),
        "{text}"
    );
    assert!(text.contains("chronique_log_appends_total "), "{text}");
}

#[test]
fn integrity_is_verified_up_to_the_head() {
    let dir = tempfile::tempdir().unwrap();
    generate(dir.path());
    let admin = create_token(dir.path(), "ADMIN", None, None);
    let app = spawn_app(dir.path());
    let query = "{ integrity { headPosition headHash verified verifiedUpTo } }";
    // The start-up verification runs in the background: poll until it is done.
    let started = std::time::Instant::now();
    let integrity = loop {
        let (_, body) = app.graphql(Some(&admin), query, json!({}));
        let integrity = body["data"]["integrity"].clone();
        if integrity["verified"] == true || started.elapsed() > DEADLINE {
            break integrity;
        }
    };
    assert_eq!(integrity["verified"], true, "{integrity}");
    assert_eq!(integrity["verifiedUpTo"], integrity["headPosition"]);
    let verify = stdout(&{
        let dir = app.data_dir.clone();
        drop(app);
        chronique(&["verify", "--data-dir", dir.to_str().unwrap()])
    });
    assert!(
        verify.contains(integrity["headHash"].as_str().unwrap()),
        "{verify}"
    );
}

#[test]
fn the_page_and_its_assets_are_served() {
    let (_dir, app, _) = app_with_admin();
    let page = app.get("/");
    assert!(
        page.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert!(page.text().unwrap().contains("lang=\"fr\""));
    let css = app.get("/assets/app.css");
    assert_eq!(css.status().as_u16(), 200);
    assert!(
        css.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/css")
    );
    let js = app.get("/assets/js/main.js");
    assert!(
        js.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/javascript")
    );
    assert_eq!(app.get("/assets/README.md").status().as_u16(), 404);
    assert_eq!(app.get("/assets/nope.js").status().as_u16(), 404);
    let graphiql = app.get("/graphql");
    assert_eq!(graphiql.status().as_u16(), 200);
    let graphiql = graphiql.text().unwrap();
    assert!(graphiql.contains("/graphql/ws"));
    // Without the Internet, the console that stands in for GraphiQL.
    assert!(
        graphiql.contains("Console GraphQL de Chronique"),
        "{graphiql}"
    );
    let sdl = app.get("/graphql/schema.graphql");
    assert_eq!(sdl.status().as_u16(), 200);
    assert!(sdl.text().unwrap().contains("type Query"));
}

#[test]
fn a_second_command_on_a_store_held_by_the_server_fails_at_once_in_french() {
    let (dir, app, _) = app_with_admin();
    let started = std::time::Instant::now();
    let output = chronique(&["token", "list", "--data-dir", dir.path().to_str().unwrap()]);
    assert!(
        started.elapsed() < std::time::Duration::from_secs(10),
        "it waited"
    );
    assert!(!output.status.success());
    let error = stderr(&output);
    assert!(
        error.contains(
            "est déjà ouvert par un autre processus (un serveur chronique tourne-t-il ?)"
        ),
        "{error}"
    );
    drop(app);
}

#[test]
fn sigterm_shuts_the_server_down_cleanly() {
    let (_dir, app, admin) = app_with_admin();
    let (status, _) = app.graphql(Some(&admin), "{ me { role } }", json!({}));
    assert_eq!(status, 200);
    let status = app.terminate();
    assert!(status.success(), "exit status {status:?}");
}

#[test]
fn after_sigkill_the_server_starts_again_on_the_same_store() {
    let dir = tempfile::tempdir().unwrap();
    generate(dir.path());
    let admin = create_token(dir.path(), "ADMIN", None, None);
    let app = spawn_app(dir.path());
    let query = "{ integrity { headPosition headHash } }";
    let (_, before) = app.graphql(Some(&admin), query, json!({}));
    let (_, created) = app.graphql(
        Some(&admin),
        "mutation { createToken(role: EVALUATOR, programmeId: \"grigny\", name: \"INJEP\") { secret } }",
        json!({}),
    );
    let evaluator = created["data"]["createToken"]["secret"]
        .as_str()
        .unwrap()
        .to_owned();
    let app = app.kill_and_restart();
    let (_, after) = app.graphql(Some(&admin), query, json!({}));
    assert_eq!(before["data"], after["data"]);
    // A token shown before the crash still works: it was durable before it was shown.
    let (status, _) = app.graphql(Some(&evaluator), "{ me { role } }", json!({}));
    assert_eq!(status, 200);
}

#[test]
fn demo_fills_a_fresh_store_prints_one_token_per_role_and_serves_it_again() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("demo");
    let app = spawn(&["demo"], &store);
    let tokens: Vec<&String> = app
        .preamble
        .iter()
        .filter(|l| l.starts_with("token "))
        .collect();
    let roles: Vec<&str> = tokens
        .iter()
        .map(|l| l.split(' ').nth(1).unwrap())
        .collect();
    assert_eq!(
        roles,
        [
            "ADMIN",
            "PILOT",
            "COORDINATOR",
            "PORTEUR",
            "EVALUATOR",
            "OBSERVER"
        ],
        "{:?}",
        app.preamble
    );
    let pilot = tokens[1].split(' ').nth(2).unwrap().to_owned();
    let (_, body) = app.graphql(
        Some(&pilot),
        "{ me { role programmeId } integrity { headPosition } }",
        json!({}),
    );
    assert_eq!(body["data"]["me"]["role"], "PILOT");
    assert!(
        body["data"]["integrity"]["headPosition"].as_u64().unwrap() > 50,
        "{body}"
    );
    assert!(app.terminate().success());

    // Run again, it serves the same demo store, with new tokens.
    let app = spawn(&["demo"], &store);
    assert_eq!(
        app.preamble
            .iter()
            .filter(|l| l.starts_with("token "))
            .count(),
        6
    );
    assert!(app.terminate().success());

    // A non-empty directory that is not a demo store is refused.
    let other = tempfile::tempdir().unwrap();
    std::fs::write(other.path().join("notes.txt"), "à garder").unwrap();
    let output = command()
        .args([
            "demo",
            "--listen",
            "127.0.0.1:0",
            "--data-dir",
            other.path().to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(
        stderr(&output).contains("n'est pas un registre de démonstration"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn websocket_subscriptions_take_the_token_from_connection_init() {
    let (_dir, app, admin) = app_with_admin();
    let mut socket = websocket(&app, json!({"token": admin}));
    assert_eq!(next_json(&mut socket).unwrap()["type"], "connection_ack");
    let subscribe = json!({
        "id": "1",
        "type": "subscribe",
        "payload": {"query": "subscription { integrity { headPosition verified } }"}
    });
    send_json(&mut socket, subscribe);
    let message = next_json(&mut socket).unwrap();
    assert_eq!(message["type"], "next", "{message}");
    assert_eq!(message["payload"]["data"]["integrity"]["headPosition"], 0);

    // Without a valid token the connection is refused: no acknowledgement.
    let mut socket = websocket(&app, json!({"token": "chq_inconnu"}));
    assert!(
        next_json(&mut socket).is_none_or(|m| m["type"] != "connection_ack"),
        "an unknown token was acknowledged"
    );
}

/// The answers kept between two events (`graphql::cache`): served again while nothing moved,
/// never after a write, never to a token that was revoked, never to another programme's token.
#[test]
fn a_kept_answer_is_never_stale_nor_served_to_another_viewer() {
    let dir = tempfile::tempdir().unwrap();
    let admin = create_token(dir.path(), "ADMIN", None, None);
    let pilot = create_token(dir.path(), "PILOT", Some("grigny"), None);
    let other = create_token(dir.path(), "PILOT", Some("clichy"), None);
    let app = spawn_app(dir.path());
    let (_, body) = app.graphql(
        Some(&admin),
        r#"mutation { establishProgramme(input: {id: "grigny", name: "Cité éducative de Grigny",
            territory: ["Grigny"], qpv: ["Grande Borne"], labelledOn: "2019-09-05"}) { position } }"#,
        json!({}),
    );
    assert!(body["errors"].is_null(), "{body}");
    let partners = "query($p: ID!) { partners(programmeId: $p) { id } }";
    let ids = |token: &str| {
        let (_, body) = app.graphql(Some(token), partners, json!({"p": "grigny"}));
        body
    };
    assert_eq!(ids(&pilot)["data"]["partners"], json!([]));
    assert_eq!(ids(&pilot)["data"]["partners"], json!([]));
    let metrics = app.get("/metrics").text().unwrap();
    assert!(
        metrics.contains("chronique_graphql_cached_answers_total 1\n"),
        "the second read is answered from the cache: {metrics}"
    );
    // Another programme's pilot asking the same text is refused, not served the kept answer.
    assert_eq!(first_code(&ids(&other)), "FORBIDDEN");

    let (_, body) = app.graphql(
        Some(&pilot),
        r#"mutation { registerPartner(programmeId: "grigny", input: {id: "asso", name: "Association Lire", kind: ASSOCIATION, siret: "732 829 320 00074"}) { position } }"#,
        json!({}),
    );
    assert!(body["errors"].is_null(), "{body}");
    assert_eq!(ids(&pilot)["data"]["partners"], json!([{"id": "asso"}]));

    // A revoked token is refused at once, even for an answer that is kept.
    let (_, body) = app.graphql(
        Some(&admin),
        "{ tokens { id role programmeId } }",
        json!({}),
    );
    let id = body["data"]["tokens"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["role"] == "PILOT" && t["programmeId"] == "grigny")
        .unwrap()["id"]
        .clone();
    let (_, body) = app.graphql(
        Some(&admin),
        "mutation($id: ID!) { revokeToken(id: $id) { revoked } }",
        json!({"id": id}),
    );
    assert!(body["errors"].is_null(), "{body}");
    assert_eq!(first_code(&ids(&pilot)), "UNAUTHENTICATED");
}
