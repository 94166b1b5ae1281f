//! Durability of the real binary: a server killed with SIGKILL in the middle of a stream of
//! mutations keeps every mutation it acknowledged, its chain verifies, and its read models equal
//! a rebuild from the log.

mod common;

use common::{chronique, create_token, spawn_app, stderr, stdout};
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const DEADLINE: Duration = Duration::from_secs(30);

fn funder_ids(body: &Value) -> Vec<String> {
    body["data"]["programme"]["funders"]
        .as_array()
        .unwrap_or_else(|| panic!("no funders in {body}"))
        .iter()
        .map(|f| f["id"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn mutations_acknowledged_before_a_sigkill_are_all_there_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let admin = create_token(dir.path(), "ADMIN", None, None);
    let pilot = create_token(dir.path(), "PILOT", Some("grigny"), None);
    let app = spawn_app(dir.path());
    let (_, established) = app.graphql(
        Some(&admin),
        r#"mutation { establishProgramme(input: {id: "grigny", name: "Cité éducative de Grigny",
            territory: ["Grigny"], qpv: ["Grande Borne"]}) { position } }"#,
        json!({}),
    );
    assert!(established.get("errors").is_none(), "{established}");

    // A client registers funders one after the other and notes each one acknowledged.
    let acknowledged = Arc::new(Mutex::new(Vec::<String>::new()));
    let writer = {
        let acknowledged = Arc::clone(&acknowledged);
        let url = app.url("/graphql");
        let pilot = pilot.clone();
        std::thread::spawn(move || {
            common::register_funders(&url, &pilot, "f", 10_000, &acknowledged)
        })
    };
    let started = Instant::now();
    while acknowledged.lock().unwrap().len() < 25 {
        assert!(
            started.elapsed() < DEADLINE,
            "the writer did not get 25 acknowledgements in time"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    let dir_path = app.data_dir.clone();
    app.kill();
    writer.join().unwrap();
    let acknowledged = acknowledged.lock().unwrap().clone();

    let app = spawn_app(&dir_path);
    let query = r#"{ programme(id: "grigny") { funders { id } version } integrity { verified headPosition } }"#;
    let (_, after_crash) = app.graphql(Some(&pilot), query, json!({}));
    let present = funder_ids(&after_crash);
    for id in &acknowledged {
        assert!(
            present.contains(id),
            "{id} was acknowledged before the crash and is gone"
        );
    }
    // One writer, in order: what survived is a prefix, with no gap.
    let expected: Vec<String> = (0..present.len()).map(|i| format!("f{i}")).collect();
    assert_eq!(present, expected);
    assert_eq!(after_crash["data"]["integrity"]["verified"], true);
    eprintln!(
        "{} registrations acknowledged before SIGKILL, {} present after the restart",
        acknowledged.len(),
        present.len()
    );

    let status = app.terminate();
    assert!(status.success(), "{status:?}");
    let data_dir = dir_path.to_str().unwrap();
    let verify = chronique(&["verify", "--data-dir", data_dir]);
    assert!(verify.status.success(), "verify: {}", stderr(&verify));
    let rebuild = chronique(&["rebuild", "--data-dir", data_dir]);
    assert!(
        rebuild.status.success(),
        "rebuild: {} {}",
        stdout(&rebuild),
        stderr(&rebuild)
    );

    let app = spawn_app(&dir_path);
    let (_, after_rebuild) = app.graphql(Some(&pilot), query, json!({}));
    assert_eq!(
        after_rebuild["data"], after_crash["data"],
        "the read models after the restart equal a rebuild from the log"
    );
}
