//! A command that refuses a store leaves every byte of it as it was (issue #10, finding 6), and
//! `verify` and `export` need no write access: they work on a temporary copy.

mod common;

use common::*;
use std::path::Path;

/// Every command that opens a store, as an operator would type it on `dir`. `export_file` is a
/// good export to import.
fn every_command<'a>(dir: &'a str, export_file: &'a str, out: &'a str) -> Vec<Vec<&'a str>> {
    vec![
        vec!["serve", "--listen", "127.0.0.1:0", "--data-dir", dir],
        vec!["demo", "--listen", "127.0.0.1:0", "--data-dir", dir],
        vec!["token", "create", "--data-dir", dir, "--role", "ADMIN"],
        vec!["token", "list", "--data-dir", dir],
        vec!["token", "revoke", "--data-dir", dir, "0123456789abcdef"],
        vec!["export", "--data-dir", dir, "--out", out],
        vec!["import", "--data-dir", dir, export_file],
        vec!["verify", "--data-dir", dir],
        vec!["rebuild", "--data-dir", dir],
    ]
}

/// A good export, made from a store of its own.
fn an_export(scratch: &Path) -> String {
    let source = scratch.join("source");
    generate(&source);
    let file = scratch.join("export.ndjson");
    let output = chronique(&[
        "export",
        "--data-dir",
        source.to_str().unwrap(),
        "--out",
        file.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    file.to_str().unwrap().to_owned()
}

/// Runs every command on `dir`; each must be refused with one French line containing
/// `expected`, and the files of `dir` must be byte for byte what they were.
fn every_command_is_refused_without_a_change(dir: &Path, expected: &str) {
    let scratch = tempfile::tempdir().unwrap();
    let export_file = an_export(scratch.path());
    let out = scratch.path().join("refused.ndjson");
    let before = files_of(dir);
    for args in every_command(dir.to_str().unwrap(), &export_file, out.to_str().unwrap()) {
        let output = chronique_until_exit(&args);
        let error = stderr(&output);
        assert!(
            !output.status.success(),
            "`chronique {}` was not refused",
            args.join(" ")
        );
        let last = error.trim_end().lines().last().unwrap_or_default();
        assert!(
            last.starts_with("chronique : ") && last.contains(expected),
            "`chronique {}` said: {error}",
            args.join(" ")
        );
        // French for the operator: not sled's words nor the log crate's English.
        assert!(
            !last.contains("sled") && !last.contains("corruption") && !last.contains("store"),
            "`chronique {}` said: {last}",
            args.join(" ")
        );
        let after = files_of(dir);
        assert!(
            after == before,
            "`chronique {}` changed the store's files: {:?}",
            args.join(" "),
            changed(&before, &after)
        );
    }
}

fn changed(
    before: &std::collections::BTreeMap<std::path::PathBuf, Vec<u8>>,
    after: &std::collections::BTreeMap<std::path::PathBuf, Vec<u8>>,
) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for (path, bytes) in before {
        match after.get(path) {
            None => names.push(format!("{} removed", path.display())),
            Some(other) if other != bytes => names.push(format!("{} modified", path.display())),
            Some(_) => {}
        }
    }
    for path in after.keys().filter(|p| !before.contains_key(*p)) {
        names.push(format!("{} created", path.display()));
    }
    names
}

#[test]
fn a_store_held_by_another_process_is_refused_by_every_command_without_a_change() {
    let dir = tempfile::tempdir().unwrap();
    generate(dir.path());
    // sled holds an exclusive flock on `db` for as long as a server runs; holding the same
    // lock here stands for the server without its own writes muddying the comparison (the
    // test below runs a real server).
    let db = std::fs::File::open(dir.path().join("db")).unwrap();
    db.lock().unwrap();
    every_command_is_refused_without_a_change(dir.path(), "déjà ouvert par un autre processus");
    db.unlock().unwrap();
}

#[test]
fn a_store_served_by_a_running_server_is_refused_in_french() {
    let dir = tempfile::tempdir().unwrap();
    generate(dir.path());
    let app = spawn_app(dir.path());
    for args in [
        vec!["verify", "--data-dir", dir.path().to_str().unwrap()],
        vec!["export", "--data-dir", dir.path().to_str().unwrap()],
        vec!["token", "list", "--data-dir", dir.path().to_str().unwrap()],
    ] {
        let output = chronique(&args);
        assert!(!output.status.success());
        assert!(
            stderr(&output).contains("déjà ouvert par un autre processus"),
            "{}",
            stderr(&output)
        );
    }
    assert!(app.terminate().success());
}

#[test]
fn a_store_of_a_newer_format_is_refused_by_every_command_without_a_change() {
    let dir = tempfile::tempdir().unwrap();
    generate(dir.path());
    eventlog::overwrite_format_version_for_tests(dir.path(), eventlog::FORMAT_VERSION + 1).unwrap();
    every_command_is_refused_without_a_change(dir.path(), "dans un format que cette version");
}

#[test]
fn a_damaged_store_is_refused_by_every_command_without_a_change() {
    // The case of the issue: sled's snapshot removed and its log cut short, so that opening
    // replays a shorter log than was acknowledged; sled's recovery used to rewrite the files
    // before the head mark refused them.
    let dir = tempfile::tempdir().unwrap();
    generate(dir.path());
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let path = entry.unwrap().path();
        if path
            .file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("snap.")
        {
            std::fs::remove_file(path).unwrap();
        }
    }
    let db = dir.path().join("db");
    let length = std::fs::metadata(&db).unwrap().len();
    std::fs::OpenOptions::new()
        .write(true)
        .open(&db)
        .unwrap()
        .set_len(length / 2)
        .unwrap();
    every_command_is_refused_without_a_change(dir.path(), "est endommagé");
}

#[test]
fn a_store_with_a_garbled_head_mark_is_refused_by_every_command_without_a_change() {
    let dir = tempfile::tempdir().unwrap();
    generate(dir.path());
    std::fs::write(dir.path().join("eventlog-head"), "n'importe quoi\n").unwrap();
    every_command_is_refused_without_a_change(dir.path(), "est endommagé");
}

#[test]
fn a_non_empty_directory_without_a_store_is_refused_by_every_command_without_a_change() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("notes.txt"), "à garder").unwrap();
    std::fs::create_dir(dir.path().join("photos")).unwrap();
    std::fs::write(dir.path().join("photos").join("a.jpg"), [0xff, 0xd8]).unwrap();
    let scratch = tempfile::tempdir().unwrap();
    let export_file = an_export(scratch.path());
    let out = scratch.path().join("refused.ndjson");
    let before = files_of(dir.path());
    for args in every_command(
        dir.path().to_str().unwrap(),
        &export_file,
        out.to_str().unwrap(),
    ) {
        let output = chronique_until_exit(&args);
        assert!(
            !output.status.success(),
            "`chronique {}` was not refused",
            args.join(" ")
        );
        assert!(
            stderr(&output).contains("n'est pas vide")
                || stderr(&output).contains("aucun registre"),
            "`chronique {}` said: {}",
            args.join(" "),
            stderr(&output)
        );
        assert_eq!(
            files_of(dir.path()),
            before,
            "`chronique {}`",
            args.join(" ")
        );
    }
}

#[test]
fn demo_refuses_a_store_that_is_not_a_demo_without_a_change() {
    let dir = tempfile::tempdir().unwrap();
    generate(dir.path());
    let before = files_of(dir.path());
    let output = chronique_until_exit(&[
        "demo",
        "--listen",
        "127.0.0.1:0",
        "--data-dir",
        dir.path().to_str().unwrap(),
    ]);
    assert!(!output.status.success());
    assert!(
        stderr(&output).contains("n'est pas un registre de démonstration"),
        "{}",
        stderr(&output)
    );
    assert_eq!(files_of(dir.path()), before);
}

#[test]
fn import_into_a_store_with_events_is_refused_without_a_change() {
    let dir = tempfile::tempdir().unwrap();
    generate(dir.path());
    let scratch = tempfile::tempdir().unwrap();
    let export_file = an_export(scratch.path());
    let before = files_of(dir.path());
    let output = chronique(&[
        "import",
        "--data-dir",
        dir.path().to_str().unwrap(),
        &export_file,
    ]);
    assert!(!output.status.success());
    assert!(
        stderr(&output).contains("registre vide"),
        "{}",
        stderr(&output)
    );
    assert_eq!(files_of(dir.path()), before);
}

/// Runs the binary as the unprivileged user `nobody` (root ignores file permissions).
fn as_nobody(args: &[&str]) -> std::process::Output {
    let mut command = std::process::Command::new("setpriv");
    command
        .args(["--reuid=65534", "--regid=65534", "--clear-groups", BIN])
        .args(args)
        .env("CHRONIQUE_LOG", "warn")
        .env("TMPDIR", "/tmp");
    for (key, _) in std::env::vars() {
        if key.starts_with("CHRONIQUE_") && key != "CHRONIQUE_LOG" {
            command.env_remove(key);
        }
    }
    command.output().expect("run setpriv (util-linux)")
}

/// Makes `dir` and everything under it readable by others, writable by its owner only.
fn read_only_for_others(dir: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let mut pending = vec![dir.to_path_buf()];
    while let Some(path) = pending.pop() {
        let mode = if path.is_dir() {
            for entry in std::fs::read_dir(&path).unwrap() {
                pending.push(entry.unwrap().path());
            }
            0o755
        } else {
            0o644
        };
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
    }
}

#[test]
fn verify_and_export_work_on_a_store_the_user_may_only_read() {
    assert_eq!(
        effective_uid(),
        0,
        "this test creates a store as root and reads it as nobody: run it as root (as CI does)"
    );
    // A folder every user may enter, with the store inside, owned by root.
    let parent = tempfile::Builder::new()
        .prefix("chronique-ro-")
        .tempdir_in("/tmp")
        .unwrap();
    let store = parent.path().join("registre");
    generate(&store);
    let head = {
        let output = chronique(&["verify", "--data-dir", store.to_str().unwrap()]);
        assert!(output.status.success(), "{}", stderr(&output));
        stdout(&output).lines().next().unwrap().to_owned()
    };
    read_only_for_others(parent.path());
    let before = files_of(&store);

    let output = as_nobody(&["verify", "--data-dir", store.to_str().unwrap()]);
    assert!(
        output.status.success(),
        "verify as nobody: {}",
        stderr(&output)
    );
    let text = stdout(&output);
    assert_eq!(text.lines().next().unwrap(), head);
    assert!(text.contains("chaîne intacte"), "{text}");

    let output = as_nobody(&["export", "--data-dir", store.to_str().unwrap()]);
    assert!(
        output.status.success(),
        "export as nobody: {}",
        stderr(&output)
    );
    let exported = stdout(&output);
    let trailer: serde_json::Value =
        serde_json::from_str(exported.lines().last().unwrap()).unwrap();
    let position = trailer["trailer"]["headPosition"].as_u64().unwrap();
    let hash = trailer["trailer"]["headHash"].as_str().unwrap();
    assert_eq!(
        head,
        format!("tête : position {position}, empreinte {hash}")
    );
    assert_eq!(trailer["trailer"]["events"].as_u64().unwrap(), position);
    assert_eq!(exported.lines().count() as u64, position + 1);

    assert_eq!(files_of(&store), before);
    // Nobody may not write there: a command that writes is refused, and changes nothing.
    let output = as_nobody(&["rebuild", "--data-dir", store.to_str().unwrap()]);
    assert!(!output.status.success());
    assert_eq!(files_of(&store), before);
}

/// The effective user id, read from /proc (no libc call needed).
fn effective_uid() -> u32 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))
        .and_then(|rest| rest.split_whitespace().nth(1))
        .and_then(|uid| uid.parse().ok())
        .unwrap()
}
