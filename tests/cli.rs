//! The command line as scripts use it: token, export, import, verify, rebuild, exit statuses
//! and French messages.

mod common;

use common::*;

fn dir_str(dir: &tempfile::TempDir) -> &str {
    dir.path().to_str().unwrap()
}

#[test]
fn token_create_prints_the_secret_alone_on_the_last_line_on_a_fresh_store() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("neuf");
    let output = chronique(&[
        "token",
        "create",
        "--data-dir",
        store.to_str().unwrap(),
        "--role",
        "ADMIN",
        "--name",
        "Opératrice",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    let last = text.lines().last().unwrap();
    assert!(last.starts_with("chq_") && !last.contains(' '), "{last:?}");
    // A programme that does not exist yet is accepted: that is how an operator starts.
    let secret = create_token(&store, "porteur", Some("grigny"), Some("asso-lecture"));
    assert!(secret.starts_with("chq_"));
}

#[test]
fn token_create_refuses_a_pilot_without_programme_with_one_french_line() {
    let dir = tempfile::tempdir().unwrap();
    let output = chronique(&[
        "token",
        "create",
        "--data-dir",
        dir_str(&dir),
        "--role",
        "PILOT",
    ]);
    assert!(!output.status.success());
    let error = stderr(&output);
    assert_eq!(error.trim_end().lines().count(), 1, "{error}");
    assert!(error.starts_with("chronique : "), "{error}");
    assert!(
        error.contains("doit être lié à une cité éducative"),
        "{error}"
    );
}

#[test]
fn token_list_shows_tokens_and_revoke_marks_them_revoked() {
    let dir = tempfile::tempdir().unwrap();
    create_token(dir.path(), "EVALUATOR", Some("grigny"), None);
    let list = stdout(&chronique(&["token", "list", "--data-dir", dir_str(&dir)]));
    let line = list.lines().nth(1).expect("one token listed");
    let id = line.split('\t').next().unwrap().to_owned();
    assert!(line.contains("EVALUATOR") && line.contains("grigny") && line.contains("actif"));
    assert!(!list.contains("chq_"), "a secret is listed: {list}");

    let output = chronique(&["token", "revoke", "--data-dir", dir_str(&dir), &id]);
    assert!(output.status.success(), "{}", stderr(&output));
    let list = stdout(&chronique(&["token", "list", "--data-dir", dir_str(&dir)]));
    assert!(list.contains("révoqué"), "{list}");

    let output = chronique(&["token", "revoke", "--data-dir", dir_str(&dir), "ffffffff"]);
    assert!(!output.status.success());
}

#[test]
fn verify_exits_zero_on_a_good_store_and_prints_the_head() {
    let dir = tempfile::tempdir().unwrap();
    generate(dir.path());
    let output = chronique(&["verify", "--data-dir", dir_str(&dir)]);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(text.starts_with("tête : position "), "{text}");
    assert!(text.contains("empreinte "), "{text}");
}

#[test]
fn verify_refuses_a_directory_without_a_store() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("absent");
    let output = chronique(&["verify", "--data-dir", missing.to_str().unwrap()]);
    assert!(!output.status.success());
    assert!(
        stderr(&output).contains("aucun registre"),
        "{}",
        stderr(&output)
    );
}

fn head_line(dir: &std::path::Path) -> String {
    let output = chronique(&["verify", "--data-dir", dir.to_str().unwrap()]);
    assert!(output.status.success(), "{}", stderr(&output));
    stdout(&output).lines().next().unwrap().to_owned()
}

#[test]
fn export_then_import_gives_the_same_head_hash_and_no_tokens() {
    let source = tempfile::tempdir().unwrap();
    generate(source.path());
    create_token(source.path(), "ADMIN", None, None);
    let file = source.path().join("export.ndjson");
    let output = chronique(&[
        "export",
        "--data-dir",
        dir_str(&source),
        "--out",
        file.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    // Without --out, the same NDJSON on standard output.
    let piped = chronique(&["export", "--data-dir", dir_str(&source)]);
    assert_eq!(piped.stdout, std::fs::read(&file).unwrap());

    let target = tempfile::tempdir().unwrap();
    let output = chronique(&[
        "import",
        "--data-dir",
        dir_str(&target),
        file.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(head_line(source.path()), head_line(target.path()));
    let list = stdout(&chronique(&[
        "token",
        "list",
        "--data-dir",
        dir_str(&target),
    ]));
    assert_eq!(list.lines().count(), 1, "tokens were imported: {list}");

    // A store that has events refuses a second import.
    let output = chronique(&[
        "import",
        "--data-dir",
        dir_str(&target),
        file.to_str().unwrap(),
    ]);
    assert!(!output.status.success());
    assert!(
        stderr(&output).contains("registre vide"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn import_refuses_an_export_with_one_edited_line() {
    let source = tempfile::tempdir().unwrap();
    generate(source.path());
    let file = source.path().join("export.ndjson");
    assert!(
        chronique(&[
            "export",
            "--data-dir",
            dir_str(&source),
            "--out",
            file.to_str().unwrap()
        ])
        .status
        .success()
    );
    let text = std::fs::read_to_string(&file).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    // Someone rewrites history: the actor of the third event.
    let mut record: serde_json::Value = serde_json::from_str(&lines[2]).unwrap();
    record["actor"] = serde_json::Value::from("Quelqu'un d'autre (pilote)");
    lines[2] = record.to_string();
    let edited = source.path().join("edited.ndjson");
    std::fs::write(&edited, lines.join("\n") + "\n").unwrap();

    let target = tempfile::tempdir().unwrap();
    let output = chronique(&[
        "import",
        "--data-dir",
        dir_str(&target),
        edited.to_str().unwrap(),
    ]);
    assert!(!output.status.success(), "a broken chain was imported");
    let error = stderr(&output);
    assert!(
        error.starts_with("chronique : ") && error.contains("rien n'a été importé"),
        "{error}"
    );
    // Nothing was imported: the file is checked whole before the target is opened, so the
    // target is still an empty folder.
    assert_eq!(std::fs::read_dir(target.path()).unwrap().count(), 0);
}

#[test]
fn rebuild_rebuilds_the_read_models_up_to_the_head() {
    let dir = tempfile::tempdir().unwrap();
    generate(dir.path());
    let output = chronique(&["rebuild", "--data-dir", dir_str(&dir)]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(stdout(&output).starts_with("vues reconstruites jusqu'à la position "));
}

#[test]
fn help_names_every_command() {
    let help = stdout(&chronique(&["--help"]));
    for command in [
        "serve", "demo", "token", "export", "import", "verify", "rebuild", "bench",
    ] {
        assert!(help.contains(command), "{command} missing from:\n{help}");
    }
    let help = stdout(&chronique(&["serve", "--help"]));
    assert!(help.contains("--data-dir") && help.contains("CHRONIQUE_DATA_DIR"));
    assert!(help.contains("--listen") && help.contains("CHRONIQUE_LISTEN"));
}

#[test]
fn person_invite_list_and_revoke_on_a_stopped_server() {
    let dir = tempfile::tempdir().unwrap();
    let output = chronique(&[
        "person",
        "invite",
        "--data-dir",
        dir_str(&dir),
        "--email",
        "Claire.Petit@Example.fr",
        "--role",
        "porteur",
        "--programme",
        "grigny",
        "--partner",
        "asso",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let said = stdout(&output);
    assert!(
        said.contains("claire.petit@example.fr") && said.contains("[en attente]"),
        "{said}"
    );
    let id = said.split_whitespace().nth(1).unwrap().to_owned();
    // A second role for the same address.
    let output = chronique(&[
        "person",
        "invite",
        "--data-dir",
        dir_str(&dir),
        "--email",
        "claire.petit@example.fr",
        "--role",
        "observer",
        "--programme",
        "grigny",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let list = stdout(&chronique(&["person", "list", "--data-dir", dir_str(&dir)]));
    let line = list
        .lines()
        .find(|l| l.starts_with(&id))
        .unwrap_or_else(|| panic!("{list}"));
    assert!(
        line.contains("PORTEUR grigny (asso) [en attente], OBSERVER grigny [en attente]"),
        "{line}"
    );
    assert!(line.ends_with("active"), "{line}");
    // A porteur without a partner: one French line, nothing written.
    let output = chronique(&[
        "person",
        "invite",
        "--data-dir",
        dir_str(&dir),
        "--email",
        "x@example.fr",
        "--role",
        "porteur",
        "--programme",
        "grigny",
    ]);
    assert!(!output.status.success());
    assert!(
        stderr(&output).contains("partenaire"),
        "{}",
        stderr(&output)
    );
    // One role removed, the other kept.
    let output = chronique(&[
        "person",
        "remove-role",
        "--data-dir",
        dir_str(&dir),
        &id,
        "--role",
        "observer",
        "--programme",
        "grigny",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        stdout(&output).contains("il lui reste : PORTEUR grigny (asso)"),
        "{}",
        stdout(&output)
    );
    let output = chronique(&["person", "revoke", "--data-dir", dir_str(&dir), &id]);
    assert!(output.status.success(), "{}", stderr(&output));
    let list = stdout(&chronique(&["person", "list", "--data-dir", dir_str(&dir)]));
    assert!(
        list.lines()
            .any(|l| l.starts_with(&id) && l.ends_with("révoquée")),
        "{list}"
    );
    assert_eq!(list.lines().count(), 2, "{list}");
}
