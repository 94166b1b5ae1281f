//! Backups (issue #10, finding 7): the export's last line, the import's refusals of a truncated,
//! empty or disagreeing file, `--expect-head`, `--no-trailer-check`, and `GET /export` of a
//! running server for ADMIN tokens.

mod common;

use common::*;
use serde_json::json;
use std::path::Path;

fn export_of(dir: &Path) -> String {
    let output = chronique(&["export", "--data-dir", dir.to_str().unwrap()]);
    assert!(output.status.success(), "{}", stderr(&output));
    stdout(&output)
}

/// `chronique import` of `text` into a fresh store; returns the output and the store.
fn import(text: &str, flags: &[&str]) -> (std::process::Output, tempfile::TempDir) {
    let scratch = tempfile::tempdir().unwrap();
    let file = scratch.path().join("sauvegarde.ndjson");
    std::fs::write(&file, text).unwrap();
    let store = scratch.path().join("registre");
    let mut args = vec![
        "import",
        "--data-dir",
        store.to_str().unwrap(),
        file.to_str().unwrap(),
    ];
    args.extend(flags);
    (chronique(&args), scratch)
}

/// The import was refused with one French line, and nothing was written: no store at all.
fn assert_refused(output: &std::process::Output, scratch: &tempfile::TempDir, expected: &str) {
    assert!(!output.status.success(), "imported: {}", stdout(output));
    let error = stderr(output);
    assert_eq!(error.trim_end().lines().count(), 1, "{error}");
    assert!(
        error.starts_with("chronique : ")
            && error.contains(expected)
            && error.contains("rien n'a été importé"),
        "{error}"
    );
    assert!(
        !scratch.path().join("registre").exists(),
        "a refused import created the store"
    );
}

fn verify_head(dir: &Path) -> String {
    let output = chronique(&["verify", "--data-dir", dir.to_str().unwrap()]);
    assert!(output.status.success(), "{}", stderr(&output));
    stdout(&output).lines().next().unwrap().to_owned()
}

#[test]
fn the_export_ends_with_the_event_count_and_the_head() {
    let source = tempfile::tempdir().unwrap();
    generate(source.path());
    let text = export_of(source.path());
    let lines: Vec<&str> = text.lines().collect();
    let trailer: serde_json::Value = serde_json::from_str(lines.last().unwrap()).unwrap();
    let events = trailer["trailer"]["events"].as_u64().unwrap();
    assert_eq!(events as usize, lines.len() - 1);
    assert_eq!(trailer["trailer"]["headPosition"].as_u64().unwrap(), events);
    assert_eq!(
        verify_head(source.path()),
        format!(
            "tête : position {events}, empreinte {}",
            trailer["trailer"]["headHash"].as_str().unwrap()
        )
    );
}

#[test]
fn an_export_cut_at_a_line_boundary_is_refused() {
    let source = tempfile::tempdir().unwrap();
    generate(source.path());
    let text = export_of(source.path());
    let lines: Vec<&str> = text.lines().collect();
    // The issue's case: most lines kept, cut cleanly between two of them.
    let kept = lines.len() * 9 / 10;
    let cut: String = lines[..kept].iter().map(|l| format!("{l}\n")).collect();
    let (output, scratch) = import(&cut, &[]);
    assert_refused(&output, &scratch, "sans sa ligne finale");
    assert!(stderr(&output).contains(&format!("après {kept} événements")));
}

#[test]
fn an_empty_file_is_refused() {
    let (output, scratch) = import("", &[]);
    assert_refused(&output, &scratch, "aucune ligne");
    let (output, scratch) = import("", &["--no-trailer-check"]);
    assert_refused(&output, &scratch, "aucune ligne");
}

#[test]
fn a_tampered_trailer_is_refused() {
    let source = tempfile::tempdir().unwrap();
    generate(source.path());
    let text = export_of(source.path());
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    let mut trailer: serde_json::Value = serde_json::from_str(lines.last().unwrap()).unwrap();
    let events = trailer["trailer"]["events"].as_u64().unwrap();
    trailer["trailer"]["events"] = json!(events + 1);
    *lines.last_mut().unwrap() = trailer.to_string();
    let (output, scratch) = import(&(lines.join("\n") + "\n"), &[]);
    assert_refused(
        &output,
        &scratch,
        &format!("annonce {} événements", events + 1),
    );

    trailer["trailer"]["events"] = json!(events);
    trailer["trailer"]["headHash"] = json!("0".repeat(64));
    *lines.last_mut().unwrap() = trailer.to_string();
    let (output, scratch) = import(&(lines.join("\n") + "\n"), &[]);
    assert_refused(&output, &scratch, "empreinte de tête");
}

#[test]
fn expect_head_accepts_the_right_hash_and_refuses_another() {
    let source = tempfile::tempdir().unwrap();
    generate(source.path());
    let text = export_of(source.path());
    let trailer: serde_json::Value = serde_json::from_str(text.lines().last().unwrap()).unwrap();
    let hash = trailer["trailer"]["headHash"].as_str().unwrap().to_owned();

    let (output, scratch) = import(&text, &["--expect-head", &hash]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(
        verify_head(&scratch.path().join("registre")),
        verify_head(source.path())
    );

    let other = "ab".repeat(32);
    let (output, scratch) = import(&text, &["--expect-head", &other]);
    assert_refused(&output, &scratch, "--expect-head");
    let (output, _) = import(&text, &["--expect-head", "pas-une-empreinte"]);
    assert!(!output.status.success());
    assert!(
        stderr(&output).contains("64 chiffres hexadécimaux"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn an_old_export_without_the_last_line_needs_no_trailer_check() {
    let source = tempfile::tempdir().unwrap();
    generate(source.path());
    let text = export_of(source.path());
    let lines: Vec<&str> = text.lines().collect();
    let old: String = lines[..lines.len() - 1]
        .iter()
        .map(|l| format!("{l}\n"))
        .collect();
    let (output, scratch) = import(&old, &[]);
    assert_refused(&output, &scratch, "--no-trailer-check");
    let (output, scratch) = import(&old, &["--no-trailer-check"]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(
        verify_head(&scratch.path().join("registre")),
        verify_head(source.path())
    );
}

#[test]
fn a_broken_chain_is_refused_in_french() {
    let source = tempfile::tempdir().unwrap();
    generate(source.path());
    let text = export_of(source.path());
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    let mut record: serde_json::Value = serde_json::from_str(&lines[2]).unwrap();
    record["actor"] = json!("Quelqu'un d'autre (pilote)");
    lines[2] = record.to_string();
    let (output, scratch) = import(&(lines.join("\n") + "\n"), &[]);
    assert_refused(&output, &scratch, "chaîne rompue à la position 3");
    assert!(!stderr(&output).contains("chain"), "{}", stderr(&output));
}

const ESTABLISH: &str = r#"mutation($id: ID!) { establishProgramme(input: {id: $id,
    name: "Cité éducative de test", territory: ["Grigny"], qpv: ["Grande Borne"],
    labelledOn: "2019-09-05"}) { position } }"#;

#[test]
fn the_http_export_of_a_running_server_imports_and_verifies_while_writes_go_on() {
    let dir = tempfile::tempdir().unwrap();
    generate(dir.path());
    let admin = create_token(dir.path(), "ADMIN", None, None);
    let app = spawn_app(dir.path());
    let before = app.ok(&admin, "{ integrity { headPosition headHash } }", json!({}));

    let mut response = app
        .client
        .get(app.url("/export"))
        .bearer_auth(&admin)
        .send()
        .expect("GET /export");
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(
        response.headers()["content-type"].to_str().unwrap(),
        "application/x-ndjson"
    );
    assert!(
        response.headers().get("content-length").is_none(),
        "the export is streamed, not built whole first"
    );
    // The server keeps taking writes while the export is open; they come after its head.
    for i in 0..3 {
        app.ok(&admin, ESTABLISH, json!({"id": format!("sauvegarde-{i}")}));
    }
    let mut text = String::new();
    std::io::Read::read_to_string(&mut response, &mut text).unwrap();
    let after = app.head(&admin);

    let trailer: serde_json::Value = serde_json::from_str(text.lines().last().unwrap()).unwrap();
    let head_position = before["integrity"]["headPosition"].as_u64().unwrap();
    assert_eq!(
        trailer["trailer"]["headPosition"].as_u64().unwrap(),
        head_position
    );
    assert_eq!(
        trailer["trailer"]["headHash"],
        before["integrity"]["headHash"]
    );
    assert_eq!(after, head_position + 3);

    let hash = trailer["trailer"]["headHash"].as_str().unwrap().to_owned();
    let (output, scratch) = import(&text, &["--expect-head", &hash]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(
        verify_head(&scratch.path().join("registre")),
        format!("tête : position {head_position}, empreinte {hash}")
    );
    assert!(app.terminate().success());
}

#[test]
fn the_http_export_is_for_admin_tokens_only() {
    let dir = tempfile::tempdir().unwrap();
    let programme = generate(dir.path());
    let pilot = create_token(dir.path(), "PILOT", Some(&programme), None);
    let app = spawn_app(dir.path());

    let response = app
        .client
        .get(app.url("/export"))
        .bearer_auth(&pilot)
        .send()
        .unwrap();
    assert_eq!(response.status().as_u16(), 403);
    let body: serde_json::Value = response.json().unwrap();
    assert_eq!(first_code(&body), "FORBIDDEN");
    let message = body["errors"][0]["message"].as_str().unwrap();
    assert!(message.contains("réservé aux administrateurs"), "{message}");
    assert!(!body.to_string().contains("\"position\""), "{body}");

    let response = app.get("/export");
    assert_eq!(response.status().as_u16(), 401);
    let body: serde_json::Value = response.json().unwrap();
    assert_eq!(first_code(&body), "UNAUTHENTICATED");

    let response = app
        .client
        .get(app.url("/export"))
        .bearer_auth("chq_pas-un-jeton")
        .send()
        .unwrap();
    assert_eq!(response.status().as_u16(), 401);
    assert!(app.terminate().success());
}
