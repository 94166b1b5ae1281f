//! `Subscription.timeline` over a real WebSocket (graphql-transport-ws), on the real binary: the
//! token in `connection_init`, the entries already recorded first (catching up, in order), then
//! every new one as other clients write over HTTP, none missing, none twice; `fromPosition`;
//! what the token may see; and the connections refused.

mod common;

use common::*;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

const P: &str = "grigny";

const TIMELINE: &str = "subscription($p: ID!, $from: Int) {
    timeline(programmeId: $p, fromPosition: $from) { position kind actionId summary } }";

struct Fixture {
    _dir: tempfile::TempDir,
    app: TestApp,
    admin: String,
    pilot: String,
    coordinator: String,
    observer: String,
    /// The positions of grigny's entries written by the fixture.
    written: Vec<u64>,
}

fn position_of(data: &Value) -> u64 {
    let payload = data.as_object().unwrap().values().next().unwrap();
    payload["position"].as_u64().unwrap()
}

const PROPOSE: &str = "mutation($p: ID!, $id: ID!) { proposeAction(programmeId: $p, input: {id: $id,
    title: \"Action\", summary: \"Résumé.\", holderId: \"asso\", axis: \"A1\", publics: [CHILDREN],
    periodStart: \"2025-01-06\", periodEnd: \"2025-12-19\", year: 2025, totalCost: 100000,
    requested: [{funderId: \"etat\", amount: 50000}]}, options: {effectiveOn: \"2025-01-10\"}) { position } }";

/// Grigny with an axis, a funder, a partner, a held COTECH and COPIL, and three proposals: a1
/// under review after a favourable opinion, then retained; a2 and a3 only proposed.
fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let admin = create_token(dir.path(), "ADMIN", None, None);
    let app = spawn_app(dir.path());
    let pilot = app.new_token(&admin, "PILOT", Some(P), None, "Pilote");
    let coordinator = app.new_token(&admin, "COORDINATOR", Some(P), None, "Coordination");
    let observer = app.new_token(&admin, "OBSERVER", Some(P), None, "Alliance");
    let mut written = Vec::new();
    let mut write = |token: &str, query: &str, variables: Value| {
        written.push(position_of(&app.ok(token, query, variables)));
    };
    write(
        &admin,
        r#"mutation { establishProgramme(input: {id: "grigny", name: "Grigny", territory: ["Grigny"], qpv: ["Grande Borne"]}, options: {effectiveOn: "2025-01-02"}) { position } }"#,
        json!({}),
    );
    for query in [
        r#"mutation { defineAxis(programmeId: "grigny", input: {code: "A1", title: "Réussite", objective: SCHOOL_ROLE}, options: {effectiveOn: "2025-01-02"}) { position } }"#,
        r#"mutation { registerFunder(programmeId: "grigny", input: {id: "etat", name: "État", kind: STATE}, options: {effectiveOn: "2025-01-02"}) { position } }"#,
    ] {
        write(&pilot, query, json!({}));
    }
    for query in [
        r#"mutation { registerPartner(programmeId: "grigny", input: {id: "asso", name: "Association", kind: ASSOCIATION}, options: {effectiveOn: "2025-01-02"}) { position } }"#,
        r#"mutation { scheduleSession(programmeId: "grigny", input: {id: "cotech", body: COTECH, date: "2025-02-01", title: "COTECH"}, options: {effectiveOn: "2025-01-02"}) { position } }"#,
        r#"mutation { scheduleSession(programmeId: "grigny", input: {id: "copil", body: COPIL, date: "2025-03-01", title: "COPIL"}, options: {effectiveOn: "2025-01-02"}) { position } }"#,
        r#"mutation { recordSessionHeld(programmeId: "grigny", sessionId: "cotech", present: ["Ville"], options: {effectiveOn: "2025-02-01"}) { position } }"#,
        r#"mutation { recordSessionHeld(programmeId: "grigny", sessionId: "copil", present: ["Préfecture"], options: {effectiveOn: "2025-03-01"}) { position } }"#,
    ] {
        write(&coordinator, query, json!({}));
    }
    for id in ["a1", "a2", "a3"] {
        write(&coordinator, PROPOSE, json!({"p": P, "id": id}));
    }
    write(
        &coordinator,
        r#"mutation { giveOpinion(programmeId: "grigny", actionId: "a1", sessionId: "cotech", opinion: FAVOURABLE) { position } }"#,
        json!({}),
    );
    write(
        &pilot,
        r#"mutation { recordCopilDecisions(programmeId: "grigny", sessionId: "copil", decisions: [{actionId: "a1", outcome: RETAINED, retained: [{funderId: "etat", amount: 50000}]}]) { position } }"#,
        json!({}),
    );
    assert_eq!(written, (1..=13).collect::<Vec<u64>>());
    Fixture {
        _dir: dir,
        app,
        admin,
        pilot,
        coordinator,
        observer,
        written,
    }
}

/// A socket acknowledged with `token`, subscribed to grigny's timeline from `from`.
fn subscribe(app: &TestApp, token: &str, from: Option<u64>) -> Socket {
    let mut socket = websocket(app, json!({"token": token}));
    let ack = next_json(&mut socket).expect("an answer to connection_init");
    assert_eq!(ack["type"], "connection_ack", "{ack}");
    send_json(
        &mut socket,
        json!({"id": "frise", "type": "subscribe",
               "payload": {"query": TIMELINE, "variables": {"p": P, "from": from}}}),
    );
    socket
}

/// The next entry of the subscription; fails on anything else.
fn next_entry(socket: &mut Socket) -> Value {
    let message = next_json(socket).expect("an entry before the deadline");
    assert_eq!(message["type"], "next", "{message}");
    assert_eq!(message["id"], "frise");
    assert!(message["payload"].get("errors").is_none(), "{message}");
    message["payload"]["data"]["timeline"].clone()
}

/// Sends mutations over HTTP from another thread: 20 proposals in grigny, each followed by an
/// axis of another programme (entries grigny's subscribers must not get). Returns grigny's
/// positions, in the order written.
fn write_concurrently(f: &Fixture) -> std::thread::JoinHandle<Vec<u64>> {
    let url = f.app.url("/graphql");
    let coordinator = f.coordinator.clone();
    let admin = f.admin.clone();
    let other_pilot = f
        .app
        .new_token(&f.admin, "PILOT", Some("autre"), None, "Autre");
    std::thread::spawn(move || {
        let client = reqwest::blocking::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap();
        let post = |token: &str, query: &str, variables: Value| -> Value {
            let body: Value = client
                .post(&url)
                .bearer_auth(token)
                .json(&json!({"query": query, "variables": variables}))
                .send()
                .unwrap()
                .json()
                .unwrap();
            assert!(body.get("errors").is_none(), "{body}");
            body["data"].clone()
        };
        post(
            &admin,
            "mutation { establishProgramme(input: {id: \"autre\", name: \"Autre\", territory: [\"Évry\"], qpv: [\"Pyramides\"]}) { position } }",
            json!({}),
        );
        let mut positions = Vec::new();
        for i in 0..20 {
            let data = post(
                &coordinator,
                PROPOSE,
                json!({"p": P, "id": format!("b{i}")}),
            );
            positions.push(position_of(&data));
            post(
                &other_pilot,
                "mutation($code: ID!) { defineAxis(programmeId: \"autre\", input: {code: $code, title: \"Axe\", objective: SCHOOL_ROLE}) { position } }",
                json!({"code": format!("A{i}")}),
            );
        }
        positions
    })
}

#[test]
fn the_subscription_catches_up_in_order_then_follows_every_new_entry_once() {
    let f = fixture();
    let mut socket = subscribe(&f.app, &f.pilot, Some(0));
    // Writes begin at once: some may land while the subscription is still catching up.
    let writer = write_concurrently(&f);
    let mut received = Vec::new();
    for _ in 0..f.written.len() + 20 {
        received.push(next_entry(&mut socket));
    }
    let written_later = writer.join().unwrap();
    let expected: Vec<u64> = f.written.iter().copied().chain(written_later).collect();
    let positions: Vec<u64> = received
        .iter()
        .map(|e| e["position"].as_u64().unwrap())
        .collect();
    assert_eq!(positions, expected, "every entry, in order, once");
    assert_eq!(received[0]["kind"], "ProgrammeEstablished");
    assert_eq!(received[12]["kind"], "CopilDecisionTaken");
    assert_eq!(
        received[13]["summary"],
        format!(
            "Action 2025-004 « Action » : proposition « Action » déposée par Association pour un coût total de {}, demande : {} (État)",
            eur("1 000,00"),
            eur("500,00")
        )
    );
    // Nothing more: another programme's entries never come. A last write here is the next one.
    let data = f
        .app
        .ok(&f.coordinator, PROPOSE, json!({"p": P, "id": "dernier"}));
    let last = next_entry(&mut socket);
    assert_eq!(last["position"].as_u64().unwrap(), position_of(&data));
    assert_eq!(last["actionId"], "dernier");
}

#[test]
fn from_position_starts_after_it_and_without_it_only_new_entries_come() {
    let f = fixture();
    // After position 10: 11, 12, 13, then what is written next.
    let mut socket = subscribe(&f.app, &f.pilot, Some(10));
    let caught_up: Vec<Value> = (0..3)
        .map(|_| next_entry(&mut socket)["position"].clone())
        .collect();
    assert_eq!(caught_up, [json!(11), json!(12), json!(13)]);
    let data = f
        .app
        .ok(&f.coordinator, PROPOSE, json!({"p": P, "id": "b1"}));
    assert_eq!(
        next_entry(&mut socket)["position"].as_u64().unwrap(),
        position_of(&data)
    );

    // Without fromPosition: nothing of the past. The subscription is set up once the server
    // has read the message, which the protocol does not acknowledge: write until an entry comes.
    let head = f.app.head(&f.admin);
    let mut socket = subscribe(&f.app, &f.pilot, None);
    if let tungstenite::stream::MaybeTlsStream::Plain(stream) = socket.get_ref() {
        stream
            .set_read_timeout(Some(Duration::from_millis(500)))
            .unwrap();
    }
    let started = Instant::now();
    let mut written = Vec::new();
    let first = loop {
        assert!(started.elapsed() < DEADLINE, "no entry came");
        let data = f.app.ok(
            &f.coordinator,
            PROPOSE,
            json!({"p": P, "id": format!("c{}", written.len())}),
        );
        written.push(position_of(&data));
        match socket.read() {
            Ok(tungstenite::Message::Text(text)) => {
                let message: Value = serde_json::from_str(&text).unwrap();
                assert_eq!(message["type"], "next", "{message}");
                break message["payload"]["data"]["timeline"].clone();
            }
            Ok(other) => panic!("unexpected {other:?}"),
            Err(tungstenite::Error::Io(e))
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            Err(e) => panic!("{e}"),
        }
    };
    if let tungstenite::stream::MaybeTlsStream::Plain(stream) = socket.get_ref() {
        stream.set_read_timeout(Some(DEADLINE)).unwrap();
    }
    let first = first["position"].as_u64().unwrap();
    assert!(first > head, "an entry of the past came: {first} ≤ {head}");
    // From the first one received, every later write comes, in order.
    let rest: Vec<u64> = written.iter().copied().filter(|p| *p > first).collect();
    assert!(written.contains(&first));
    for expected in rest {
        assert_eq!(
            next_entry(&mut socket)["position"].as_u64().unwrap(),
            expected
        );
    }
}

/// The code of the error that ends a subscription: a resolver's error comes in a `next`
/// message (graphql-transport-ws), an error of the operation itself in an `error` message.
fn error_code(socket: &mut Socket) -> String {
    let message = next_json(socket).expect("an answer");
    let error = match message["type"].as_str() {
        Some("next") => &message["payload"]["errors"][0],
        Some("error") => &message["payload"][0],
        _ => panic!("not an error: {message}"),
    };
    error["extensions"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("no code in {message}"))
        .to_owned()
}

#[test]
fn the_subscription_shows_what_the_token_may_see() {
    let f = fixture();
    // The observer sees neither the opinion (position 12) nor the proposals not retained
    // (a2 and a3, positions 10 and 11); a1's proposal and decision, yes.
    let mut socket = subscribe(&f.app, &f.observer, Some(0));
    let data = f.app.ok(
        &f.observer,
        "query($p: ID!) { timeline(programmeId: $p, oldestFirst: true, first: 500) { edges { node { position } } } }",
        json!({"p": P}),
    );
    // The timeline query orders by effective date; the subscription follows the log.
    let mut visible: Vec<u64> = nodes(&data["timeline"])
        .iter()
        .map(|n| n["position"].as_u64().unwrap())
        .collect();
    visible.sort();
    assert_eq!(visible, [1, 2, 3, 4, 5, 6, 7, 8, 9, 13]);
    let visible: Vec<Value> = visible.into_iter().map(Value::from).collect();
    let received: Vec<Value> = (0..visible.len())
        .map(|_| next_entry(&mut socket)["position"].clone())
        .collect();
    assert_eq!(received, visible);
    // A proposal is not the observer's to see; a retained decision is.
    f.app
        .ok(&f.coordinator, PROPOSE, json!({"p": P, "id": "b1"}));
    let decided = f.app.ok(
        &f.pilot,
        r#"mutation { recordCopilDecisions(programmeId: "grigny", sessionId: "copil", decisions: [{actionId: "a2", outcome: RETAINED, retained: [{funderId: "etat", amount: 50000}]}]) { position } }"#,
        json!({}),
    );
    let next = next_entry(&mut socket);
    assert_eq!(next["position"].as_u64().unwrap(), position_of(&decided));
    assert_eq!(next["actionId"], "a2");

    // Another programme's timeline: FORBIDDEN, as an error message of the subscription.
    let stranger = f
        .app
        .new_token(&f.admin, "PILOT", Some("evry"), None, "Évry");
    let mut socket = subscribe(&f.app, &stranger, Some(0));
    assert_eq!(error_code(&mut socket), "FORBIDDEN");
    // A negative position: VALIDATION.
    let mut socket = websocket(&f.app, json!({"token": f.pilot}));
    assert_eq!(next_json(&mut socket).unwrap()["type"], "connection_ack");
    send_json(
        &mut socket,
        json!({"id": "x", "type": "subscribe", "payload": {"query": TIMELINE, "variables": {"p": P, "from": -1}}}),
    );
    assert_eq!(error_code(&mut socket), "VALIDATION");
}

#[test]
fn a_connection_without_a_valid_token_is_refused() {
    let f = fixture();
    // Revoked through the API: refused at once.
    let data = f.app.ok(
        &f.admin,
        "mutation { createToken(role: OBSERVER, programmeId: \"grigny\", name: \"Éphémère\") { secret token { id } } }",
        json!({}),
    );
    let revoked = data["createToken"]["secret"].as_str().unwrap().to_owned();
    f.app.ok(
        &f.admin,
        "mutation($id: ID!) { revokeToken(id: $id) { revoked } }",
        json!({"id": data["createToken"]["token"]["id"]}),
    );
    for payload in [
        json!(null),
        json!({}),
        json!({"token": ""}),
        json!({"token": "chq_inconnu"}),
        json!({"token": revoked}),
        json!({"Authorization": "Bearer chq_inconnu"}),
    ] {
        let mut socket = websocket(&f.app, payload.clone());
        let answer = next_json(&mut socket);
        assert!(
            answer
                .as_ref()
                .is_none_or(|m| m["type"] != "connection_ack"),
            "{payload} was acknowledged: {answer:?}"
        );
        // A subscription sent anyway gets no entry.
        let _ = socket.send(tungstenite::Message::Text(
            json!({"id": "1", "type": "subscribe", "payload": {"query": TIMELINE, "variables": {"p": P, "from": 0}}})
                .to_string()
                .into(),
        ));
        let after = next_json(&mut socket);
        assert!(
            after.as_ref().is_none_or(|m| m["type"] != "next"),
            "{payload} got an entry: {after:?}"
        );
    }
    // The valid token still works, also in the form some clients send it.
    let mut socket = subscribe(&f.app, &f.pilot, Some(12));
    assert_eq!(next_entry(&mut socket)["position"], 13);
    let mut socket = websocket(
        &f.app,
        json!({"Authorization": format!("Bearer {}", f.pilot)}),
    );
    assert_eq!(next_json(&mut socket).unwrap()["type"], "connection_ack");
}
