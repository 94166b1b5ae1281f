//! Concurrency through the real server over HTTP: 32 clients racing on one action with
//! `expectedVersion` (one winner a round, the others CONFLICT with the current version), and
//! the same `commandId` sent by several clients at once (written once, the same answer to all).

mod common;

use common::*;
use serde_json::{Value, json};
use std::sync::{Arc, Barrier};

const CLIENTS: usize = 32;
const ROUNDS: u64 = 5;

/// A programme with one funder, one partner, a COPIL held and two proposed actions; returns the
/// app and the pilot's and coordinator's tokens.
fn programme_with_two_proposals() -> (tempfile::TempDir, TestApp, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let admin = create_token(dir.path(), "ADMIN", None, None);
    let pilot = create_token(dir.path(), "PILOT", Some("grigny"), None);
    let coordinator = create_token(dir.path(), "COORDINATOR", Some("grigny"), None);
    let app = spawn_app(dir.path());
    let ok = |token: &str, query: &str, variables: Value| {
        let (status, body) = app.graphql(Some(token), query, variables);
        assert!(status == 200 && body["errors"].is_null(), "{query}: {body}");
        body
    };
    ok(
        &admin,
        r#"mutation { establishProgramme(input: {id: "grigny", name: "Cité éducative de Grigny",
            territory: ["Grigny"], qpv: ["Grande Borne"], labelledOn: "2019-09-05"}) { position } }"#,
        json!({}),
    );
    for query in [
        r#"mutation { defineAxis(programmeId: "grigny", input: {code: "A1", title: "Réussite éducative", objective: SCHOOL_ROLE}) { position } }"#,
        r#"mutation { registerFunder(programmeId: "grigny", input: {id: "etat", name: "État – crédits Cité éducative", kind: STATE}) { position } }"#,
        r#"mutation { notifyEnvelope(programmeId: "grigny", input: {funderId: "etat", year: 2026, amount: 10000000, reference: "Arrêté 2026-1"}) { position } }"#,
    ] {
        ok(&pilot, query, json!({}));
    }
    for query in [
        r#"mutation { registerPartner(programmeId: "grigny", input: {id: "asso", name: "Association Lire", kind: ASSOCIATION, siret: "732 829 320 00074"}) { position } }"#,
        r#"mutation { scheduleSession(programmeId: "grigny", input: {id: "copil", body: COPIL, date: "2026-03-14", title: "COPIL de printemps"}) { position } }"#,
        r#"mutation { recordSessionHeld(programmeId: "grigny", sessionId: "copil", present: ["Préfecture", "Ville"]) { position } }"#,
    ] {
        ok(&coordinator, query, json!({}));
    }
    for id in ["a1", "a2"] {
        ok(
            &coordinator,
            r#"mutation($id: ID!) { proposeAction(programmeId: "grigny", input: {
                id: $id, title: "Soutien scolaire", summary: "Aide aux devoirs.", holderId: "asso",
                axis: "A1", publics: [CHILDREN], periodStart: "2026-01-05", periodEnd: "2026-12-15",
                year: 2026, totalCost: 2000000, requested: [{funderId: "etat", amount: 1000000}]},
                options: {effectiveOn: "2026-01-10"}) { position } }"#,
            json!({"id": id}),
        );
    }
    (dir, app, pilot, coordinator)
}

fn head(app: &TestApp) -> u64 {
    let health: Value = app.get("/health").json().unwrap();
    health["headPosition"].as_u64().unwrap()
}

/// Sends `send(i)` from `n` threads released together; returns the answers in client order.
fn at_once(n: usize, send: impl Fn(usize) -> Value + Sync) -> Vec<Value> {
    let barrier = Arc::new(Barrier::new(n));
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..n)
            .map(|i| {
                let barrier = Arc::clone(&barrier);
                let send = &send;
                scope.spawn(move || {
                    barrier.wait();
                    send(i)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    })
}

#[test]
fn thirty_two_clients_racing_on_one_action_give_one_winner_each_round() {
    let (_dir, app, _, coordinator) = programme_with_two_proposals();
    let amend = r#"mutation($title: String!, $version: Int!) { amendAction(programmeId: "grigny",
        actionId: "a1", input: {title: $title}, options: {expectedVersion: $version})
        { action { title version } } }"#;
    // The proposal is version 1 of the action's stream.
    for round in 0..ROUNDS {
        let version = 1 + round;
        let before = head(&app);
        let answers = at_once(CLIENTS, |i| {
            app.graphql(
                Some(&coordinator),
                amend,
                json!({"title": format!("Soutien scolaire, tour {round}, client {i}"), "version": version}),
            )
            .1
        });
        let winners: Vec<&Value> = answers.iter().filter(|a| a["errors"].is_null()).collect();
        assert_eq!(winners.len(), 1, "round {round}: {answers:?}");
        assert_eq!(
            winners[0]["data"]["amendAction"]["action"]["version"],
            json!(version + 1)
        );
        for answer in answers.iter().filter(|a| !a["errors"].is_null()) {
            assert_eq!(first_code(answer), "CONFLICT", "{answer}");
            assert_eq!(
                answer["errors"][0]["extensions"]["currentVersion"],
                json!(version + 1),
                "a loser is told the version that won: {answer}"
            );
        }
        assert_eq!(head(&app), before + 1, "round {round}: one event written");
        // The title kept is the winner's.
        let (_, body) = app.graphql(
            Some(&coordinator),
            r#"{ action(programmeId: "grigny", id: "a1") { title version } }"#,
            json!({}),
        );
        assert_eq!(
            body["data"]["action"]["title"],
            winners[0]["data"]["amendAction"]["action"]["title"]
        );
    }
}

#[test]
fn the_same_command_id_sent_by_eight_clients_at_once_is_written_once() {
    let (_dir, app, pilot, coordinator) = programme_with_two_proposals();
    let ok = |token: &str, query: &str| {
        let (_, body) = app.graphql(Some(token), query, json!({}));
        assert!(body["errors"].is_null(), "{query}: {body}");
    };
    ok(
        &pilot,
        r#"mutation { recordCopilDecisions(programmeId: "grigny", sessionId: "copil", decisions: [
            {actionId: "a1", outcome: RETAINED, retained: [{funderId: "etat", amount: 1000000}]}]) { position } }"#,
    );
    ok(
        &coordinator,
        r#"mutation { awardGrant(programmeId: "grigny", actionId: "a1", funderId: "etat", year: 2026,
            amount: 1000000, act: {kind: ARRETE, reference: "Arrêté 2026-77", signedOn: "2026-04-01"}) { position } }"#,
    );
    let before = head(&app);
    // The whole grant at once: had a retry been decided again, rule 7 would refuse it.
    let pay = r#"mutation { recordPayment(programmeId: "grigny", actionId: "a1", funderId: "etat",
        amount: 1000000, kind: BALANCE, paidOn: "2026-04-15", options: {commandId: "solde-a1"})
        { position action { payments { id amount } } } }"#;
    let answers = at_once(8, |_| app.graphql(Some(&coordinator), pay, json!({})).1);
    assert!(answers[0]["errors"].is_null(), "{}", answers[0]);
    for answer in &answers {
        assert_eq!(answer, &answers[0], "every client gets the first result");
    }
    assert_eq!(head(&app), before + 1, "one payment written");
    // Sent again later, alone: still the first result, still nothing written.
    let (_, again) = app.graphql(Some(&coordinator), pay, json!({}));
    assert_eq!(again, answers[0]);
    assert_eq!(head(&app), before + 1);
}
