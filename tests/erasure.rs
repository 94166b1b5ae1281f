//! Personal data erased from the register (RGPD), end to end with the binary: a child's name
//! typed by mistake into an action's title and summary is erased by the pilot; every read
//! (time travel before the erasure included), the raw log, the spreadsheet export, a new export
//! and the subscription show « texte effacé le … : motif »; `verify` passes; after a restart no
//! file of the store holds a byte of the words; an export made before the erasure, imported
//! with the erasure's event after it, is erased again.

mod common;

use common::*;
use serde_json::{Value, json};

const P: &str = "grigny";
const NAME: &str = "Kylian Martin";
const BIRTH: &str = "né le 3 mai 2015";

fn holds(bytes: &[u8], needle: &str) -> bool {
    bytes.windows(needle.len()).any(|w| w == needle.as_bytes())
}

/// The files of `dir` that hold `needle`.
fn files_holding(dir: &std::path::Path, needle: &str) -> Vec<String> {
    files_of(dir)
        .into_iter()
        .filter(|(_, bytes)| holds(bytes, needle))
        .map(|(path, _)| path.display().to_string())
        .collect()
}

fn position_of(data: &Value) -> u64 {
    data.as_object()
        .and_then(|o| o.values().next())
        .and_then(|v| v["position"].as_u64())
        .unwrap()
}

#[test]
fn an_erased_name_is_gone_from_every_read_every_file_and_later_exports() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let admin = create_token(&store, "ADMIN", None, None);
    let app = spawn_app(&store);
    let pilot = app.new_token(&admin, "PILOT", Some(P), None, "Pilote");
    let coordinator = app.new_token(&admin, "COORDINATOR", Some(P), None, "Coordination");
    app.ok(
        &admin,
        r#"mutation { establishProgramme(input: {id: "grigny", name: "Grigny", territory: ["Grigny"], qpv: ["Grande Borne"]}, options: {effectiveOn: "2025-01-02"}) { position } }"#,
        json!({}),
    );
    for query in [
        r#"mutation { defineAxis(programmeId: "grigny", input: {code: "A1", title: "Réussite", objective: SCHOOL_ROLE}, options: {effectiveOn: "2025-01-02"}) { position } }"#,
        r#"mutation { registerFunder(programmeId: "grigny", input: {id: "etat", name: "État", kind: STATE}, options: {effectiveOn: "2025-01-02"}) { position } }"#,
    ] {
        app.ok(&pilot, query, json!({}));
    }
    app.ok(
        &coordinator,
        r#"mutation { registerPartner(programmeId: "grigny", input: {id: "asso", name: "Association", kind: ASSOCIATION}, options: {effectiveOn: "2025-01-02"}) { position } }"#,
        json!({}),
    );
    let proposed = app.ok(
        &coordinator,
        "mutation($title: String!, $summary: String!) { proposeAction(programmeId: \"grigny\", input: {id: \"a1\",
            title: $title, summary: $summary, holderId: \"asso\", axis: \"A1\", publics: [CHILDREN],
            periodStart: \"2025-01-06\", periodEnd: \"2025-12-19\", year: 2025, totalCost: 100000,
            requested: [{funderId: \"etat\", amount: 50000}]}, options: {effectiveOn: \"2025-01-10\"}) { position warnings } }",
        json!({"title": format!("Lecture avec {NAME}"),
               "summary": format!("{NAME}, {BIRTH}, lit avec sa classe de CM2.")}),
    );
    // Rule 20 warned the person typing.
    assert_eq!(
        proposed["proposeAction"]["warnings"],
        json!(["personal_data_suspected"])
    );
    let at = position_of(&proposed);
    let before_erasure = app.head(&admin);
    let export_before = app.get_with(&admin, "/export");

    // Who may erase: not the coordination; an unknown field is named.
    let erase = "mutation($at: Int!, $field: String!) { eraseText(programmeId: \"grigny\", position: $at, field: $field, reason: \"Nom et date de naissance d'un enfant\") { position erased } }";
    let refused = app.error(&coordinator, erase, json!({"at": at, "field": "summary"}));
    assert_eq!(refused["extensions"]["code"], "FORBIDDEN");
    let refused = app.error(&pilot, erase, json!({"at": at, "field": "résumé"}));
    assert_eq!(refused["extensions"]["code"], "VALIDATION");
    let message = refused["message"].as_str().unwrap();
    assert!(
        message.contains("« summary »") && message.contains("« title »"),
        "{message}"
    );
    let refused = app.error(&pilot, erase, json!({"at": 1, "field": "name"}));
    assert_eq!(
        refused["extensions"]["code"], "VALIDATION",
        "a name is no erasable text"
    );
    assert_eq!(app.head(&admin), before_erasure, "refusals write nothing");

    // The pilot erases the summary, then the title.
    let summary = app.ok(&pilot, erase, json!({"at": at, "field": "summary"}));
    assert_eq!(summary["eraseText"]["erased"], 1);
    let title = app.ok(&pilot, erase, json!({"at": at, "field": "title"}));
    assert_eq!(title["eraseText"]["erased"], 1);
    let again = app.ok(&pilot, erase, json!({"at": at, "field": "summary"}));
    assert_eq!(
        again["eraseText"],
        json!({"position": summary["eraseText"]["position"], "erased": 0}),
        "erased once: the answer names the erasure that did it"
    );

    // Every read shows the notice: now, as of before the erasure, in the history, the raw log.
    let notice = "texte effacé le ";
    let reads = app.ok(
        &admin,
        "query($before: Int!) {
            now: action(programmeId: \"grigny\", id: \"a1\") { title summary history { summary } }
            then: action(programmeId: \"grigny\", id: \"a1\", asOf: {position: $before}) { title summary }
            timeline(programmeId: \"grigny\", first: 50) { edges { node { summary kind } } }
            events(programmeId: \"grigny\", first: 50) { edges { node { position data } } } }",
        json!({"before": before_erasure}),
    );
    let text = reads.to_string();
    assert!(!text.contains(NAME) && !text.contains(BIRTH), "{text}");
    for read in ["now", "then"] {
        let summary = reads[read]["summary"].as_str().unwrap();
        assert!(
            summary.starts_with(notice)
                && summary.ends_with(": Nom et date de naissance d'un enfant"),
            "{read}: {summary}"
        );
        assert!(reads[read]["title"].as_str().unwrap().starts_with(notice));
    }
    let erasures = nodes(&reads["timeline"])
        .iter()
        .filter(|n| n["kind"] == "TextErased")
        .count();
    assert_eq!(erasures, 2);
    // The spreadsheet export and a new NDJSON export hold no byte of the words.
    let sheet = app.get_with(&admin, "/spreadsheet/export?programme=grigny&format=ods");
    assert!(sheet.len() > 1000);
    let export_after = app.get_with(&admin, "/export");
    for needle in [NAME, BIRTH] {
        assert!(holds(&export_before, needle), "the export before holds it");
        assert!(!holds(&export_after, needle), "the export after does not");
    }
    // A subscription replaying the timeline shows the notice too.
    let mut socket = websocket(&app, json!({"token": admin}));
    assert_eq!(next_json(&mut socket).unwrap()["type"], "connection_ack");
    send_json(
        &mut socket,
        json!({"id": "frise", "type": "subscribe", "payload": {
            "query": "subscription($p: ID!) { timeline(programmeId: $p, fromPosition: 0) { position summary } }",
            "variables": {"p": P}}}),
    );
    loop {
        let message = next_json(&mut socket).expect("the proposal's entry");
        let entry = &message["payload"]["data"]["timeline"];
        assert!(!message.to_string().contains(NAME), "{message}");
        if entry["position"].as_u64() == Some(at) {
            assert!(
                entry["summary"].as_str().unwrap().contains(notice),
                "{entry}"
            );
            break;
        }
    }
    drop(socket);

    // After a stop and a restart, no file of the store holds the words; the chain verifies.
    assert!(app.terminate().success());
    let verify = chronique(&["verify", "--data-dir", store.to_str().unwrap()]);
    assert!(verify.status.success(), "{}", stderr(&verify));
    let app = spawn_app(&store);
    let summary = app.ok(
        &admin,
        r#"{ action(programmeId: "grigny", id: "a1") { summary } }"#,
        json!({}),
    );
    assert!(
        summary["action"]["summary"]
            .as_str()
            .unwrap()
            .starts_with(notice)
    );
    assert!(app.terminate().success());
    for needle in [NAME, BIRTH] {
        assert_eq!(
            files_holding(&store, needle),
            Vec::<String>::new(),
            "{needle}"
        );
    }

    // The export made before, followed by the erasures' events (as a backup restored and the
    // register's later events after it), is imported and erased again.
    let before = String::from_utf8(export_before).unwrap();
    let after = String::from_utf8(export_after).unwrap();
    let mut mixed: Vec<&str> = before
        .lines()
        .filter(|l| !l.contains("\"trailer\""))
        .collect();
    mixed.extend(after.lines().filter(|l| {
        serde_json::from_str::<Value>(l).unwrap()["position"]
            .as_u64()
            .is_none_or(|p| p > before_erasure)
    }));
    let file = dir.path().join("restored.ndjson");
    std::fs::write(&file, mixed.join("\n") + "\n").unwrap();
    let restored = dir.path().join("restored");
    let import = chronique(&[
        "import",
        "--data-dir",
        restored.to_str().unwrap(),
        file.to_str().unwrap(),
    ]);
    assert!(import.status.success(), "{}", stderr(&import));
    assert!(
        stdout(&import).contains("2 texte(s) effacé(s)"),
        "{}",
        stdout(&import)
    );
    for needle in [NAME, BIRTH] {
        assert_eq!(
            files_holding(&restored, needle),
            Vec::<String>::new(),
            "{needle}"
        );
    }
    let verify = chronique(&["verify", "--data-dir", restored.to_str().unwrap()]);
    assert!(verify.status.success(), "{}", stderr(&verify));
    let restored_admin = create_token(&restored, "ADMIN", None, None);
    let app = spawn_app(&restored);
    let shown = app.ok(
        &restored_admin,
        r#"{ action(programmeId: "grigny", id: "a1") { title summary } }"#,
        json!({}),
    );
    for field in ["title", "summary"] {
        let text = shown["action"][field].as_str().unwrap();
        assert!(
            text.starts_with(notice) && text.ends_with("Nom et date de naissance d'un enfant"),
            "{field}: {text}"
        );
    }
}

/// The fingerprint an export carries for a command id is keyed with a secret of its store,
/// never exported: the same command in two stores has two fingerprints, so an export cannot
/// confirm a guess of the words of a command (an erased text among them). Retries still replay.
#[test]
fn command_fingerprints_are_keyed_by_a_secret_of_each_store() {
    let mut fingerprints = Vec::new();
    for _ in 0..2 {
        let dir = tempfile::tempdir().unwrap();
        let admin = create_token(dir.path(), "ADMIN", None, None);
        let app = spawn_app(dir.path());
        let establish = r#"mutation { establishProgramme(input: {id: "grigny", name: "Grigny", territory: ["Grigny"], qpv: ["Grande Borne"]}, options: {commandId: "c1"}) { position } }"#;
        app.ok(&admin, establish, json!({}));
        // The retry replays.
        assert_eq!(
            app.ok(&admin, establish, json!({}))["establishProgramme"]["position"],
            1
        );
        let export = String::from_utf8(app.get_with(&admin, "/export")).unwrap();
        let first: Value = serde_json::from_str(export.lines().next().unwrap()).unwrap();
        fingerprints.push(first["command_fingerprint"].as_str().unwrap().to_owned());
    }
    assert_ne!(fingerprints[0], fingerprints[1]);
}

/// An agent who leaves: their name is erased from every history (« agent effacé
/// (coordination) »), their token revoked, and no file of the store holds it after a restart.
/// A person known in two programmes is erased by the ADMIN only.
#[test]
fn an_agents_name_is_erased_from_every_history_and_every_file() {
    const AGENT: &str = "Marie Dupontel";
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let admin = create_token(&store, "ADMIN", None, None);
    // A person invited to two cités (she never acted).
    let mut person = String::new();
    for cite in ["grigny", "evry"] {
        let invited = chronique(&[
            "person",
            "invite",
            "--data-dir",
            store.to_str().unwrap(),
            "--email",
            "jeanne.roux@example.fr",
            "--role",
            "observer",
            "--programme",
            cite,
        ]);
        assert!(invited.status.success(), "{}", stderr(&invited));
        person = stdout(&invited)
            .split_whitespace()
            .nth(1)
            .unwrap()
            .to_owned();
    }
    let app = spawn_app(&store);
    let pilot = app.new_token(&admin, "PILOT", Some(P), None, "Pilote");
    let agent = app.new_token(&admin, "COORDINATOR", Some(P), None, AGENT);
    app.ok(
        &admin,
        r#"mutation { establishProgramme(input: {id: "grigny", name: "Grigny", territory: ["Grigny"], qpv: ["Grande Borne"]}) { position } }"#,
        json!({}),
    );
    app.ok(
        &agent,
        r#"mutation { registerPartner(programmeId: "grigny", input: {id: "asso", name: "Association", kind: ASSOCIATION}) { position } }"#,
        json!({}),
    );
    let history = r#"{ timeline(programmeId: "grigny", first: 10) { edges { node { kind actor actorId } } } }"#;
    let before = app.ok(&pilot, history, json!({}));
    let written = nodes(&before["timeline"])
        .into_iter()
        .find(|n| n["kind"] == "PartnerRegistered")
        .unwrap();
    assert_eq!(written["actor"], format!("{AGENT} (coordination)"));
    let agent_id = written["actorId"].as_str().unwrap().to_owned();
    assert!(agent_id.starts_with("token:"), "{agent_id}");

    let erase = "mutation($a: ID!) { eraseActorName(programmeId: \"grigny\", actorId: $a, reason: \"Agent partie, à sa demande\") { position erased } }";
    let erased = app.ok(&pilot, erase, json!({"a": agent_id}));
    assert_eq!(erased["eraseActorName"]["erased"], 1);
    let after = app.ok(&pilot, history, json!({}));
    assert!(!after.to_string().contains(AGENT), "{after}");
    assert!(
        nodes(&after["timeline"])
            .iter()
            .any(|n| n["actor"] == "agent effacé (coordination)"),
        "{after}"
    );
    // Her token no longer opens the register.
    let (status, _) = app.graphql(Some(&agent), "{ me { role } }", json!({}));
    assert_eq!(status, 401);
    // A person known in two cités: the pilot may not, the ADMIN may.
    let person_id = format!("person:{person}");
    let refused = app.error(&pilot, erase, json!({"a": person_id}));
    assert_eq!(refused["extensions"]["code"], "FORBIDDEN", "{refused}");
    let erased = app.ok(&admin, erase, json!({"a": person_id}));
    assert_eq!(erased["eraseActorName"]["erased"], 1);
    let people = app.ok(&admin, "{ people { email name revoked } }", json!({}));
    assert!(!people.to_string().contains("jeanne"), "{people}");

    assert!(app.terminate().success());
    let verify = chronique(&["verify", "--data-dir", store.to_str().unwrap()]);
    assert!(verify.status.success(), "{}", stderr(&verify));
    for needle in [AGENT, "jeanne.roux"] {
        assert_eq!(
            files_holding(&store, needle),
            Vec::<String>::new(),
            "{needle}"
        );
    }
}
