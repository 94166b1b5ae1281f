//! NDJSON export and import, and the key-value area (which is never exported).

mod common;

use std::io::Cursor;

use common::{all, multi, open, single};
use eventlog::{Error, ExpectedVersion, ImportOptions, KvBatch};

fn exported(log: &eventlog::EventLog) -> String {
    let mut out = Vec::new();
    log.export_ndjson(&mut out).unwrap();
    String::from_utf8(out).unwrap()
}

fn sample_log(dir: &eventlog::StoreLocation) -> eventlog::EventLog {
    let log = open(dir);
    log.append_blocking(single("programme-p1", ExpectedVersion::NoStream, 1))
        .unwrap();
    log.append_blocking(
        multi(&[
            ("action-p1.a", ExpectedVersion::NoStream, 2),
            ("session-p1.s", ExpectedVersion::NoStream, 1),
        ])
        .with_command("p1/decide", [8; 32]),
    )
    .unwrap();
    log.append_blocking(
        single("action-p1.a", ExpectedVersion::Exact(2), 1).with_command("p1/pay", [9; 32]),
    )
    .unwrap();
    log
}

#[test]
fn export_writes_one_line_per_event_with_base64_payload_and_hex_hashes() {
    let dir = common::store();
    let log = sample_log(dir.path());
    let text = exported(&log);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 6, "five events and the trailer");
    let trailer: serde_json::Value = serde_json::from_str(lines[5]).unwrap();
    assert_eq!(
        trailer,
        serde_json::json!({"trailer": {"events": 5, "headPosition": 5,
            "headHash": hex::encode(log.head().hash)}})
    );
    let first: serde_json::Value = serde_json::from_str(lines[0]).unwrap();
    assert_eq!(first["position"], 1);
    assert_eq!(first["stream_id"], "programme-p1");
    assert_eq!(first["payload"], "cHJvZ3JhbW1lLXAxLTA="); // base64 of "programme-p1-0"
    assert_eq!(first["prev_hash"], "0".repeat(64));
    assert_eq!(
        first["hash"],
        hex::encode(log.get(1).unwrap().unwrap().hash)
    );
    let second: serde_json::Value = serde_json::from_str(lines[1]).unwrap();
    assert_eq!(second["command_id"], "p1/decide");
    assert_eq!(second["command_fingerprint"], hex::encode([8u8; 32]));
    assert_eq!(second["prev_hash"], first["hash"]);
}

#[test]
fn import_of_an_export_reproduces_the_head_hash_every_event_and_the_command_index() {
    let source_dir = common::store();
    let source = sample_log(source_dir.path());
    let text = exported(&source);

    let target_dir = common::store();
    let target = open(target_dir.path());
    let report = target
        .import_ndjson(Cursor::new(text.as_bytes()), &ImportOptions::default())
        .unwrap();
    assert_eq!(report.n_events, 5);
    assert_eq!(report.head, source.head());
    assert_eq!(target.head(), source.head());
    assert_eq!(all(&target), all(&source));
    assert!(target.verify().unwrap().is_ok());
    assert_eq!(
        target.command("p1/decide").unwrap(),
        source.command("p1/decide").unwrap()
    );
    assert_eq!(
        target.command("p1/pay").unwrap().unwrap().positions(),
        vec![5]
    );
    assert_eq!(target.stream_version("action-p1.a").unwrap(), Some(3));
    // The imported store goes on where the source stopped.
    let next = target
        .append_blocking(single("action-p1.a", ExpectedVersion::Exact(3), 1))
        .unwrap();
    assert_eq!(next.positions, vec![6]);
    assert_eq!(
        target.get(6).unwrap().unwrap().prev_hash,
        source.head().hash
    );
    // And it survives a reopen.
    let head = target.head();
    drop(target);
    assert_eq!(open(target_dir.path()).head(), head);
}

#[test]
fn import_into_a_store_with_events_is_refused() {
    let dir = common::store();
    let source = sample_log(dir.path());
    let text = exported(&source);
    match source.import_ndjson(Cursor::new(text.as_bytes()), &ImportOptions::default()) {
        Err(Error::InvalidInput(message)) => assert!(message.contains("sans événement")),
        other => panic!("expected a refusal, got {other:?}"),
    }
    assert_eq!(source.head().position, 5);
}

fn refused_import(text: &str) -> String {
    let dir = common::store();
    let target = open(dir.path());
    let message =
        match target.import_ndjson(Cursor::new(text.as_bytes()), &ImportOptions::default()) {
            Err(Error::InvalidInput(message)) => message,
            other => panic!("expected a refusal, got {other:?}"),
        };
    assert_eq!(target.head().position, 0, "nothing stays after a refusal");
    assert_eq!(target.read_all(1).count(), 0);
    assert_eq!(target.command("p1/decide").unwrap(), None);
    // The store is usable afterwards.
    target
        .append_blocking(single("action-p1.a", ExpectedVersion::NoStream, 1))
        .unwrap();
    message
}

#[test]
fn import_refuses_a_tampered_payload_and_leaves_the_store_empty() {
    let dir = common::store();
    let text = exported(&sample_log(dir.path()));
    let mut lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    lines[3]["payload"] = "Zm9yZ2Vk".into(); // "forged"
    let tampered: String = lines.iter().map(|l| format!("{l}\n")).collect();
    let message = refused_import(&tampered);
    assert!(
        message.contains("ligne 4") && message.contains("position 4"),
        "{message}"
    );
}

#[test]
fn import_refuses_a_missing_line() {
    let dir = common::store();
    let text = exported(&sample_log(dir.path()));
    let without_third: String = text
        .lines()
        .enumerate()
        .filter(|(i, _)| *i != 2)
        .map(|(_, l)| format!("{l}\n"))
        .collect();
    let message = refused_import(&without_third);
    assert!(
        message.contains("position 4 alors que la position 3 était attendue"),
        "{message}"
    );
}

#[test]
fn import_refuses_a_rehashed_record_that_breaks_the_chain() {
    // Recomputing the hash of a changed record is not enough: the next record's prev_hash
    // still names the original.
    let dir = common::store();
    let log = sample_log(dir.path());
    let text = exported(&log);
    let mut forged = log.get(2).unwrap().unwrap();
    forged.actor = "mallory".into();
    forged.hash = forged.computed_hash();
    let mut lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    lines[1]["actor"] = "mallory".into();
    lines[1]["hash"] = hex::encode(forged.hash).into();
    let tampered: String = lines.iter().map(|l| format!("{l}\n")).collect();
    let message = refused_import(&tampered);
    assert!(
        message.contains("chaîne rompue à la position 3"),
        "{message}"
    );
}

#[test]
fn import_refuses_a_line_that_is_not_json() {
    let message = refused_import("{\"position\": 1,\n");
    assert!(message.contains("ligne 1"), "{message}");
}

fn refused_with(text: &str, options: &ImportOptions) -> String {
    let dir = common::store();
    let target = open(dir.path());
    let message = match target.import_ndjson(Cursor::new(text.as_bytes()), options) {
        Err(Error::InvalidInput(message)) => message,
        other => panic!("expected a refusal, got {other:?}"),
    };
    assert_eq!(target.head().position, 0, "nothing stays after a refusal");
    assert!(eventlog::check_ndjson(Cursor::new(text.as_bytes()), options).is_err());
    message
}

#[test]
fn import_refuses_an_export_cut_at_a_line_boundary() {
    let dir = common::store();
    let text = exported(&sample_log(dir.path()));
    let cut: String = text.lines().take(4).map(|l| format!("{l}\n")).collect();
    let message = refused_import(&cut);
    assert!(message.contains("sans sa ligne finale"), "{message}");
    assert!(message.contains("4 événements"), "{message}");
}

#[test]
fn import_refuses_an_empty_file_even_without_the_trailer_check() {
    for options in [
        ImportOptions::default(),
        ImportOptions {
            require_trailer: false,
            expect_head: None,
        },
    ] {
        let message = refused_with("", &options);
        assert!(message.contains("aucune ligne"), "{message}");
        let message = refused_with("\n\n", &options);
        assert!(message.contains("aucune ligne"), "{message}");
    }
}

#[test]
fn import_refuses_a_trailer_that_disagrees_or_is_not_last() {
    let dir = common::store();
    let log = sample_log(dir.path());
    let text = exported(&log);
    let lines: Vec<&str> = text.lines().collect();
    let events = &lines[..5];
    let trailer = |events: u64, position: u64, hash: String| {
        serde_json::json!({"trailer": {"events": events, "headPosition": position, "headHash": hash}})
            .to_string()
    };
    let head = hex::encode(log.head().hash);
    let with =
        |last: String| events.iter().map(|l| format!("{l}\n")).collect::<String>() + &last + "\n";
    let message = refused_import(&with(trailer(6, 5, head.clone())));
    assert!(message.contains("annonce 6 événements"), "{message}");
    let message = refused_import(&with(trailer(5, 6, head.clone())));
    assert!(message.contains("position 6"), "{message}");
    let message = refused_import(&with(trailer(5, 5, "ab".repeat(32))));
    assert!(message.contains("empreinte de tête"), "{message}");
    // Four events and the trailer of five: a line was dropped from the end.
    let short: String = events[..4]
        .iter()
        .map(|l| format!("{l}\n"))
        .collect::<String>()
        + &trailer(5, 5, head.clone())
        + "\n";
    let message = refused_import(&short);
    assert!(message.contains("annonce 5 événements"), "{message}");
    // A trailer followed by more lines.
    let message = refused_import(&(text.clone() + lines[0] + "\n"));
    assert!(message.contains("suivie d'autres lignes"), "{message}");
}

#[test]
fn import_checks_the_expected_head_and_accepts_an_old_export_only_when_told() {
    let dir = common::store();
    let log = sample_log(dir.path());
    let text = exported(&log);
    let old: String = text.lines().take(5).map(|l| format!("{l}\n")).collect();
    let message = refused_import(&old);
    assert!(message.contains("--no-trailer-check"), "{message}");
    let lenient = ImportOptions {
        require_trailer: false,
        expect_head: None,
    };
    let target_dir = common::store();
    let target = open(target_dir.path());
    let report = target
        .import_ndjson(Cursor::new(old.as_bytes()), &lenient)
        .unwrap();
    assert_eq!(report.head, log.head());

    let wrong = ImportOptions {
        require_trailer: true,
        expect_head: Some([7; 32]),
    };
    let message = refused_with(&text, &wrong);
    assert!(message.contains("--expect-head"), "{message}");
    let right = ImportOptions {
        require_trailer: true,
        expect_head: Some(log.head().hash),
    };
    let target_dir = common::store();
    let target = open(target_dir.path());
    assert_eq!(
        target
            .import_ndjson(Cursor::new(text.as_bytes()), &right)
            .unwrap()
            .head,
        log.head()
    );
}

#[test]
fn export_lines_stop_at_the_head_of_their_start_and_name_it_in_the_trailer() {
    let dir = common::store();
    let log = sample_log(dir.path());
    let head = log.head();
    let mut lines = log.export_lines();
    let first = lines.next().unwrap().unwrap();
    // Appends after the start are not part of the export.
    log.append_blocking(single("programme-p2", ExpectedVersion::NoStream, 3))
        .unwrap();
    let rest: Vec<String> = lines.map(Result::unwrap).collect();
    assert_eq!(rest.len(), 5);
    let text = first + &rest.concat();
    let target_dir = common::store();
    let target = open(target_dir.path());
    let report = target
        .import_ndjson(Cursor::new(text.as_bytes()), &ImportOptions::default())
        .unwrap();
    assert_eq!(report.head, head);
}

#[test]
fn kv_batch_is_applied_atomically_and_survives_a_reopen() {
    let dir = common::store();
    let log = open(dir.path());
    let tree = log.kv_tree("projection-snapshots").unwrap();
    let mut batch = KvBatch::default();
    batch.insert(b"snapshot/timeline", b"state bytes");
    batch.insert(b"checkpoint/timeline", 42u64.to_be_bytes());
    batch.insert(b"old", b"x");
    batch.remove(b"old");
    tree.apply(batch).unwrap();
    tree.flush().unwrap();
    drop(tree);
    drop(log);
    let log = open(dir.path());
    let tree = log.kv_tree("projection-snapshots").unwrap();
    assert_eq!(
        tree.get(b"snapshot/timeline").unwrap().unwrap(),
        b"state bytes"
    );
    assert_eq!(tree.get(b"old").unwrap(), None);
    let checkpoints: Vec<_> = tree
        .scan_prefix(b"checkpoint/")
        .map(|e| e.unwrap())
        .collect();
    assert_eq!(checkpoints.len(), 1);
    tree.remove(b"snapshot/timeline").unwrap();
    assert_eq!(tree.get(b"snapshot/timeline").unwrap(), None);
}

#[test]
fn kv_trees_are_not_part_of_the_log_or_its_export() {
    let dir = common::store();
    let log = sample_log(dir.path());
    let before = exported(&log);
    let head = log.head();
    let tokens = log.kv_tree("tokens").unwrap();
    tokens.insert(b"token-hash", b"ADMIN").unwrap();
    assert_eq!(exported(&log), before);
    assert!(!before.contains("token-hash"));
    assert_eq!(log.head(), head);
    assert!(log.verify().unwrap().is_ok());
}

#[test]
fn kv_tree_names_are_validated() {
    let dir = common::store();
    let log = open(dir.path());
    for bad in ["", "Tokens", "a/b", "a b", &"x".repeat(65)] {
        assert!(
            matches!(log.kv_tree(bad), Err(Error::InvalidInput(_))),
            "{bad:?}"
        );
    }
    assert!(log.kv_tree("token-store-2").is_ok());
}

#[test]
fn import_of_a_large_export_is_sent_in_pieces_and_reads_back_whole() {
    // More than one import message (10 000 events each) and a partial chunk at the end.
    let source_dir = common::store();
    let source = open(source_dir.path());
    for i in 0..11 {
        source
            .append_blocking(single(
                &format!("action-p1.b{}", i % 3),
                ExpectedVersion::Any,
                1_001,
            ))
            .unwrap();
    }
    let text = exported(&source);
    let target_dir = common::store();
    let target = open(target_dir.path());
    let report = target
        .import_ndjson(Cursor::new(text.as_bytes()), &ImportOptions::default())
        .unwrap();
    assert_eq!(report.n_events, 11_011);
    assert_eq!(target.head(), source.head());
    assert_eq!(target.read_all(1).count(), 11_011);
    assert_eq!(target.get(11_011).unwrap(), source.get(11_011).unwrap());
    assert!(target.verify().unwrap().is_ok());
    drop(target);
    let reopened = open(target_dir.path());
    assert_eq!(reopened.head(), source.head());
    reopened
        .append_blocking(single("action-p1.b0", ExpectedVersion::Exact(4_004), 1))
        .unwrap();
    assert!(reopened.verify().unwrap().is_ok());
}

/// `text` as a build before envelope format 2 would have exported it: every actor a name
/// (`name`), no role, and the hashes chained over format 1's bytes.
fn as_format_1(text: &str, name: &str) -> String {
    use base64::Engine;
    let mut out = String::new();
    let mut prev = [0u8; 32];
    let mut n = 0;
    for line in text.lines() {
        let mut value: serde_json::Value = serde_json::from_str(line).unwrap();
        if value.get("trailer").is_some() {
            value["trailer"]["headHash"] = hex::encode(prev).into();
            out.push_str(&format!("{value}\n"));
            continue;
        }
        let text_of = |key: &str| value[key].as_str().unwrap().to_owned();
        let uuid = |key: &str| {
            value[key]
                .as_str()
                .map(|s| uuid::Uuid::parse_str(s).unwrap())
        };
        let mut envelope = eventlog::Envelope {
            position: value["position"].as_u64().unwrap(),
            event_id: uuid("event_id").unwrap(),
            stream_id: text_of("stream_id"),
            stream_version: value["stream_version"].as_u64().unwrap(),
            event_type: text_of("event_type"),
            schema_version: value["schema_version"].as_u64().unwrap() as u16,
            recorded_at: text_of("recorded_at").parse().unwrap(),
            effective_on: text_of("effective_on").parse().unwrap(),
            actor: name.to_owned(),
            actor_role: None,
            command_id: value["command_id"].as_str().map(str::to_owned),
            correlation_id: uuid("correlation_id"),
            causation_id: uuid("causation_id"),
            payload: base64::engine::general_purpose::STANDARD
                .decode(text_of("payload"))
                .unwrap(),
            text_commitments: Vec::new(),
            texts: Vec::new(),
            prev_hash: prev,
            hash: [0; 32],
        };
        envelope.hash = envelope.computed_hash();
        prev = envelope.hash;
        n += 1;
        let object = value.as_object_mut().unwrap();
        object.remove("actor_role");
        object.insert("actor".into(), name.into());
        object.insert("prev_hash".into(), hex::encode(envelope.prev_hash).into());
        object.insert("hash".into(), hex::encode(envelope.hash).into());
        out.push_str(&format!("{value}\n"));
    }
    assert!(n > 0);
    out
}

/// A store holding the sample log's five events as an earlier build wrote them (format 1),
/// imported from their export.
fn store_of_format_1_records() -> (common::TestStore, eventlog::EventLog) {
    let source_dir = common::store();
    let old = as_format_1(&exported(&sample_log(source_dir.path())), "Marie Dupont");
    let dir = common::store();
    let log = open(dir.path());
    log.import_ndjson(Cursor::new(old.as_bytes()), &ImportOptions::default())
        .unwrap();
    (dir, log)
}

#[test]
fn an_export_in_envelope_format_1_imports_verifies_and_goes_on_in_format_2() {
    let (dir, log) = store_of_format_1_records();
    assert_eq!(log.envelope_v2_from(), 6);
    assert!(log.verify().unwrap().is_ok());
    let first = log.get(1).unwrap().unwrap();
    assert_eq!(
        (first.actor.as_str(), first.actor_role),
        ("Marie Dupont", None)
    );
    // New events are in format 2 and chain onto the old ones.
    log.append_blocking(single("action-p1.a", ExpectedVersion::Exact(3), 1))
        .unwrap();
    let next = log.get(6).unwrap().unwrap();
    assert_eq!(next.actor_role.as_deref(), Some(""));
    assert_eq!(next.prev_hash, log.get(5).unwrap().unwrap().hash);
    assert!(log.verify().unwrap().is_ok());
    // Its export, with both formats, imports again into the same chain.
    let both = exported(&log);
    let head = log.head();
    drop(log);
    assert_eq!(open(dir.path()).envelope_v2_from(), 6);
    let again_dir = common::store();
    let again = open(again_dir.path());
    again
        .import_ndjson(Cursor::new(both.as_bytes()), &ImportOptions::default())
        .unwrap();
    assert_eq!(again.head(), head);
    assert_eq!(again.envelope_v2_from(), 6);
    assert!(again.verify().unwrap().is_ok());
}

#[test]
fn a_store_of_format_1_is_upgraded_at_open_and_keeps_its_old_records() {
    let (dir, log) = store_of_format_1_records();
    let head = log.head();
    drop(log);
    // What a build of format 1 left: format version 1 and no first position of format 2.
    common::set_meta(
        &dir,
        vec![
            ("format_version", Some(1u32.to_be_bytes().to_vec())),
            ("envelope_v2_from", None),
        ],
    );
    let log = open(dir.path());
    assert_eq!(log.head(), head);
    assert_eq!(log.envelope_v2_from(), 6);
    assert!(log.verify().unwrap().is_ok());
    assert_eq!(log.get(5).unwrap().unwrap().actor, "Marie Dupont");
    log.append_blocking(single("action-p1.a", ExpectedVersion::Exact(3), 1))
        .unwrap();
    drop(log);
    let stored = common::get_meta(&dir, "format_version").unwrap();
    assert_eq!(stored, 2u32.to_be_bytes());
    let log = open(dir.path());
    assert!(log.verify().unwrap().is_ok());
    assert_eq!(log.get(6).unwrap().unwrap().actor_role.as_deref(), Some(""));
}

#[test]
fn import_refuses_a_line_of_format_1_after_one_of_format_2() {
    let source_dir = common::store();
    let text = exported(&sample_log(source_dir.path()));
    let mut lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    lines[2].as_object_mut().unwrap().remove("actor_role");
    let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
    let dir = common::store();
    let log = open(dir.path());
    match log.import_ndjson(Cursor::new(text.as_bytes()), &ImportOptions::default()) {
        Err(Error::InvalidInput(message)) => {
            assert!(message.contains("format d'enveloppe 1"), "{message}")
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    assert_eq!(log.head().position, 0);
}

#[test]
fn a_store_of_a_newer_format_is_refused_on_either_engine() {
    let dir = common::store();
    drop(sample_log(dir.path()));
    common::set_meta(
        &dir,
        vec![("format_version", Some(99u32.to_be_bytes().to_vec()))],
    );
    match common::try_open(dir.path()) {
        Err(Error::UnknownFormat(message)) => assert!(message.contains("99"), "{message}"),
        other => panic!("expected UnknownFormat, got {other:?}"),
    }
}
