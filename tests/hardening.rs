//! Nothing a client sends stops the server (issue #10), on the real binary over HTTP and the
//! WebSocket, with the demo's ordinary tokens: values nested thousands deep, generated deep and
//! wide documents, queries whose real cost is huge, oversized batches; the page's security
//! headers; the demo's old tokens revoked; `/health` after the disk filled up.

mod common;

use common::*;
use proptest::prelude::*;
use proptest::test_runner::{Config as ProptestConfig, TestRunner};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

/// A refusal by analysis comes at once; the work it prevents took tens of seconds.
const QUICKLY: Duration = Duration::from_secs(5);

fn demo() -> (tempfile::TempDir, TestApp) {
    let dir = tempfile::tempdir().unwrap();
    let app = spawn(&["demo"], &dir.path().join("demo"));
    (dir, app)
}

fn assert_alive(app: &TestApp) {
    let response = app.get("/health");
    assert_eq!(response.status().as_u16(), 200);
    let body: Value = response.json().unwrap();
    assert_eq!(body["status"], "ok", "{body}");
}

/// POSTs any JSON body; the status and the body, which must be JSON.
fn post(app: &TestApp, token: &str, body: &Value) -> (u16, Value) {
    let response = app
        .client
        .post(app.url("/graphql"))
        .bearer_auth(token)
        .json(body)
        .send()
        .expect("the server answers");
    let status = response.status().as_u16();
    (status, response.json().expect("a JSON body"))
}

fn nested_list(depth: usize) -> String {
    format!(
        "{{ actions(programmeId: \"x\", filter: {{ status: {}PROPOSED{} }}) {{ totalCount }} }}",
        "[".repeat(depth),
        "]".repeat(depth)
    )
}

#[test]
fn a_value_nested_thousands_deep_is_refused_over_http_and_websocket() {
    let (_dir, app) = demo();
    let observer = app.demo_token("OBSERVER");
    let (status, body) = app.graphql(Some(&observer), &nested_list(3_000), json!({}));
    assert_eq!(status, 200);
    assert_eq!(first_code(&body), "LIMIT", "{body}");
    let message = body["errors"][0]["message"].as_str().unwrap();
    assert!(message.contains("64 niveaux"), "{message}");
    assert_alive(&app);

    let mut socket = websocket(&app, json!({"token": observer}));
    assert_eq!(next_json(&mut socket).unwrap()["type"], "connection_ack");
    send_json(
        &mut socket,
        json!({"id": "deep", "type": "subscribe", "payload": {"query": nested_list(3_000)}}),
    );
    let answer = next_json(&mut socket).expect("an answer to the deep document");
    assert_eq!(answer["id"], "deep", "{answer}");
    assert!(answer.to_string().contains("LIMIT"), "{answer}");
    assert_alive(&app);
}

/// Documents deep in every kind of bracket, wide in fields and aliases, and broken anyhow.
fn documents() -> impl Strategy<Value = String> {
    let deep = (
        1usize..6_000,
        prop::sample::select(vec!['[', '{', '(']),
        any::<bool>(),
    )
        .prop_map(|(depth, open, closed)| {
            let close = match open {
                '[' => ']',
                '{' => '}',
                _ => ')',
            };
            let inner = format!(
                "{}{}",
                open.to_string().repeat(depth),
                if closed {
                    close.to_string().repeat(depth)
                } else {
                    String::new()
                }
            );
            format!("{{ me {{ role }} x(a: {inner}) }}")
        });
    let wide = (
        1usize..4_000,
        any::<bool>(),
        prop::sample::select(vec![
            "me { role }",
            "programmes { id name }",
            "__typename",
            "tokens { id }",
        ]),
    )
        .prop_map(|(width, aliased, field)| {
            let fields: Vec<String> = (0..width)
                .map(|i| {
                    if aliased {
                        format!("a{i}: {field}")
                    } else {
                        field.to_owned()
                    }
                })
                .collect();
            format!("{{ {} }}", fields.join(" "))
        });
    let fragments = (1usize..300).prop_map(|n| {
        // A chain of fragments, each spreading the next twice: exponential if walked naively.
        let mut text = String::from("{ ...F0 }");
        for i in 0..n {
            text.push_str(&format!(
                " fragment F{i} on Query {{ me {{ role }} ...F{} ...F{} }}",
                i + 1,
                i + 1
            ));
        }
        text.push_str(&format!(" fragment F{n} on Query {{ me {{ role }} }}"));
        text
    });
    let noise = "[\\[\\]{}()\"#a-z: \n]{0,400}";
    prop_oneof![deep, wide, fragments, noise]
}

#[test]
fn generated_deep_and_wide_documents_never_stop_the_server() {
    let (_dir, app) = demo();
    let observer = app.demo_token("OBSERVER");
    let socket = std::cell::RefCell::new(websocket(&app, json!({"token": observer})));
    assert_eq!(
        next_json(&mut socket.borrow_mut()).unwrap()["type"],
        "connection_ack"
    );
    let mut runner = TestRunner::new(ProptestConfig {
        cases: 64,
        failure_persistence: None,
        ..ProptestConfig::default()
    });
    let sent = std::cell::Cell::new(0);
    runner
        .run(&documents(), |document| {
            sent.set(sent.get() + 1);
            let (status, body) = post(&app, &observer, &json!({"query": document}));
            prop_assert!(
                matches!(status, 200 | 400 | 413),
                "status {} for {}",
                status,
                &document[..document.len().min(200)]
            );
            prop_assert!(body.get("data").is_some() || body.get("errors").is_some());
            let id = format!("q{}", sent.get());
            let mut socket = socket.borrow_mut();
            send_json(
                &mut socket,
                json!({"id": id, "type": "subscribe", "payload": {"query": document}}),
            );
            let answer = next_json(&mut socket);
            prop_assert!(answer.is_some(), "the WebSocket got no answer");
            Ok(())
        })
        .unwrap();
    assert_alive(&app);
}

const NESTED: &str = "edges { node { id title decision { session { decisions { action { id title status money { requested granted } } } } } } }";

fn aliases(n: usize, first: usize, programme: &str) -> String {
    let fields: Vec<String> = (0..n)
        .map(|i| {
            format!("a{i}: actions(programmeId: \"{programme}\", first: {first}) {{ {NESTED} }}")
        })
        .collect();
    format!("{{ {} }}", fields.join(" "))
}

fn refused_quickly(app: &TestApp, token: &str, query: &str) -> String {
    let started = Instant::now();
    let (status, body) = app.graphql(Some(token), query, json!({}));
    assert!(
        started.elapsed() < QUICKLY,
        "refused after {:?}",
        started.elapsed()
    );
    assert_eq!(status, 200);
    assert_eq!(first_code(&body), "LIMIT", "{body}");
    assert!(body["data"].is_null(), "nothing ran: {body}");
    body["errors"][0]["message"].as_str().unwrap().to_owned()
}

#[test]
fn queries_whose_real_cost_is_huge_are_refused_by_analysis() {
    let (_dir, app) = demo();
    let programme = app.demo_programme();
    let coordinator = app.demo_token("COORDINATOR");
    // Sixty aliases of a 500-action page with nested decisions: too many aliases.
    let message = refused_quickly(&app, &coordinator, &aliases(60, 500, &programme));
    assert!(message.contains("60 alias"), "{message}");
    // Ten of them: within the aliases, but their cost is counted with the page size and lists.
    let message = refused_quickly(&app, &coordinator, &aliases(10, 500, &programme));
    assert!(message.contains("coût estimé"), "{message}");
    // One, with the page size from a variable.
    let started = Instant::now();
    let (_, body) = app.graphql(
        Some(&coordinator),
        &format!(
            "query($n: Int) {{ actions(programmeId: \"{programme}\", first: $n) {{ {NESTED} }} }}"
        ),
        json!({"n": 500}),
    );
    assert!(started.elapsed() < QUICKLY);
    assert_eq!(first_code(&body), "LIMIT", "{body}");
    // Reading many past moments at once costs a fold each.
    let past: Vec<String> = (0..120)
        .map(|i| {
            format!(
                "p{i}: programme(id: \"{programme}\", asOf: {{position: {}}}) {{ name }}",
                i + 1
            )
        })
        .collect();
    let message = refused_quickly(&app, &coordinator, &format!("{{ {} }}", past.join(" ")));
    assert!(
        message.contains("alias") || message.contains("coût"),
        "{message}"
    );
    // What the page asks stays well within the limits.
    let body = app.ok(
        &coordinator,
        "query($p: ID!) { actions(programmeId: $p, first: 500) { totalCount edges { node {
            id reference title status year holder { id name } axis { code title }
            money { funder { id name } requested proposed retained granted paid toPay repaid } } } } }",
        json!({"p": programme}),
    );
    assert!(body["actions"]["totalCount"].as_u64().unwrap() > 0);
    assert_alive(&app);
}

#[test]
fn a_batch_larger_than_allowed_is_refused_whole() {
    let (_dir, app) = demo();
    let admin = app.demo_token("ADMIN");
    let create = json!({"query": "mutation { createToken(input: {role: ADMIN, name: \"lot\"}) { secret } }"});
    let tokens_before = app.ok(&admin, "{ tokens { id } }", json!({}))["tokens"]
        .as_array()
        .unwrap()
        .len();
    let (status, body) = post(&app, &admin, &Value::Array(vec![create.clone(); 6]));
    assert_eq!(status, 200);
    assert_eq!(first_code(&body), "LIMIT", "{body}");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("6 reçues")
    );
    let tokens_after = app.ok(&admin, "{ tokens { id } }", json!({}))["tokens"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(tokens_before, tokens_after, "nothing of the batch ran");
    // A small batch is served, one answer per request.
    let (_, body) = post(
        &app,
        &admin,
        &json!([{"query": "{ me { role } }"}, {"query": "{ me { name } }"}]),
    );
    assert_eq!(body.as_array().map(Vec::len), Some(2), "{body}");
}

#[test]
fn engine_messages_reach_users_in_french() {
    let (_dir, app) = demo();
    let programme = app.demo_programme();
    let coordinator = app.demo_token("COORDINATOR");
    // Integers beyond 32 bits, as a page size (refused by the cost analysis first) and inside
    // an input object.
    for (query, expected) in [
        (
            "query($p: ID!) { actions(programmeId: $p, first: 99999999999) { totalCount } }",
            "coût estimé",
        ),
        (
            "query($p: ID!) { actions(programmeId: $p, filter: {year: 99999999999}) { totalCount } }",
            "entiers",
        ),
    ] {
        let body = app.error(&coordinator, query, json!({"p": programme}));
        let message = body["message"].as_str().unwrap();
        assert!(!message.contains("Only integers"), "{message}");
        assert!(!message.contains("occurred while"), "{message}");
        assert!(message.contains(expected), "{message}");
    }
    for (query, expected) in [
        ("{ nope }", "n'a pas de champ « nope »"),
        ("{ me }", "demande une sélection"),
        ("{ me { role ", "erreur de syntaxe"),
        ("query($x: Int) { me { role } }", "jamais utilisée"),
    ] {
        let body = app.error(&coordinator, query, json!({}));
        let message = body["message"].as_str().unwrap();
        assert!(message.contains(expected), "{query}: {message}");
    }
    let response = app
        .client
        .post(app.url("/graphql"))
        .bearer_auth(&coordinator)
        .header("Content-Type", "application/json")
        .body("{\"query\": ")
        .send()
        .unwrap();
    let body: Value = response.json().unwrap();
    let message = body["errors"][0]["message"].as_str().unwrap();
    assert!(message.contains("s'arrête avant la fin"), "{message}");
}

#[test]
fn the_page_sends_a_content_security_policy_and_refuses_framing() {
    let (_dir, app) = demo();
    for path in ["/", "/graphql"] {
        let response = app.get(path);
        let headers = response.headers().clone();
        let policy = headers
            .get("content-security-policy")
            .unwrap_or_else(|| panic!("{path} has no Content-Security-Policy"))
            .to_str()
            .unwrap()
            .to_owned();
        assert!(policy.contains("frame-ancestors 'none'"), "{policy}");
        assert!(!policy.contains("script-src 'unsafe-inline'"), "{policy}");
        assert_eq!(headers.get("x-frame-options").unwrap(), "DENY");
        if path == "/graphql" {
            assert!(policy.contains("'sha256-"), "{policy}");
            let page = response.text().unwrap();
            // Every file from the CDN is pinned to an exact version and its hash.
            for tag in page
                .split('<')
                .filter(|tag| tag.contains("https://unpkg.com"))
            {
                assert!(tag.contains("integrity=\"sha384-"), "not pinned: <{tag}");
                assert!(
                    !tag.contains("@18/") && !tag.contains("@3/"),
                    "not exact: <{tag}"
                );
            }
        }
    }
}

#[test]
fn running_the_demo_again_revokes_the_tokens_it_printed_before() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("demo");
    let first = spawn(&["demo"], &store);
    let old = first.demo_token("COORDINATOR");
    assert_eq!(
        first.graphql(Some(&old), "{ me { role } }", json!({})).0,
        200
    );
    first.terminate();
    let second = spawn(&["demo"], &store);
    let (status, body) = second.graphql(Some(&old), "{ me { role } }", json!({}));
    assert_eq!(status, 401, "{body}");
    assert_eq!(first_code(&body), "UNAUTHENTICATED");
    let new = second.demo_token("COORDINATOR");
    assert_eq!(
        second.graphql(Some(&new), "{ me { role } }", json!({})).0,
        200
    );
}

/// A small tmpfs of its own, unmounted when dropped.
struct Tmpfs(std::path::PathBuf);

impl Tmpfs {
    fn mount(path: std::path::PathBuf, size: &str) -> Tmpfs {
        std::fs::create_dir_all(&path).unwrap();
        let status = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(&path)
            .status()
            .expect("run mount");
        assert!(
            status.success(),
            "mounting a tmpfs failed: this test needs root (CI runs as root)"
        );
        Tmpfs(path)
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .args(["-l"])
            .arg(&self.0)
            .status();
    }
}

#[test]
fn health_says_when_a_full_disk_stopped_the_writer() {
    let dir = tempfile::tempdir().unwrap();
    let disk = Tmpfs::mount(dir.path().join("disk"), "24m");
    let store = disk.0.join("store");
    let admin = create_token(&store, "ADMIN", None, None);
    let app = spawn_app(&store);
    let establish = |id: &str| {
        app.graphql(
            Some(&admin),
            "mutation($id: ID!) { establishProgramme(input: {id: $id, name: \"Cité\",
                territory: [\"Grigny\"], qpv: [\"Grande Borne\"]}) { position } }",
            json!({"id": id}),
        )
    };
    let (_, body) = establish("avant");
    assert!(body["errors"].is_null(), "{body}");
    assert_alive(&app);
    // Fill what is left of the disk.
    let filler = disk.0.join("filler");
    let _ = std::process::Command::new("dd")
        .args(["if=/dev/zero", "bs=1M", "count=64"])
        .arg(format!("of={}", filler.display()))
        .stderr(std::process::Stdio::null())
        .status();
    let mut refused = false;
    for i in 0..20_000 {
        let (_, body) = establish(&format!("plein-{i}"));
        if !body["errors"].is_null() {
            assert_eq!(first_code(&body), "INTERNAL", "{body}");
            refused = true;
            break;
        }
    }
    assert!(refused, "no write failed on a full disk");
    let response = app.get("/health");
    assert_eq!(response.status().as_u16(), 503);
    let health: Value = response.json().unwrap();
    assert_eq!(health["status"], "cannot_write", "{health}");
    assert_eq!(health["writable"], false);
    assert!(
        health["writeError"]
            .as_str()
            .unwrap()
            .contains("redémarrez"),
        "{health}"
    );
    // Once there is room again, a restart writes again and nothing acknowledged was lost.
    std::fs::remove_file(&filler).unwrap();
    let app = app.kill_and_restart();
    assert_alive(&app);
    let programme = app.ok(&admin, "{ programme(id: \"avant\") { name } }", json!({}));
    assert_eq!(programme["programme"]["name"], "Cité");
    let (_, body) = app.graphql(
        Some(&admin),
        "mutation { establishProgramme(input: {id: \"apres\", name: \"Cité\",
            territory: [\"Grigny\"], qpv: [\"Grande Borne\"]}) { position } }",
        json!({}),
    );
    assert!(body["errors"].is_null(), "{body}");
}
