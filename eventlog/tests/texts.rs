//! Erasable texts: kept outside sled with a salted commitment in the chain, erased by
//! rewriting their file, while `verify` still passes.

mod common;

use std::io::Cursor;

use common::{all, date, open};
use eventlog::texts::{StoredText, Tombstone, commitment};
use eventlog::{AppendRequest, Error, ExpectedVersion, ImportOptions, NewEvent};

const SECRET: &str = "Kylian, CM2 B, né le 3 mai 2015";

fn with_texts(texts: &[&str]) -> NewEvent {
    NewEvent::new(
        "ReportSubmitted",
        1,
        date(),
        "person:p1",
        b"counts".to_vec(),
    )
    .with_role("COORDINATOR")
    .with_texts(texts.iter().map(|t| t.to_string()).collect())
}

/// A log of three events: the second carries `SECRET` and another text.
fn sample(dir: &eventlog::StoreLocation) -> eventlog::EventLog {
    let log = open(dir);
    for texts in [vec!["Premier"], vec![SECRET, "Bilan sans nom"], vec![]] {
        log.append_blocking(AppendRequest::single(
            "action-p1.a",
            ExpectedVersion::Any,
            vec![with_texts(&texts)],
        ))
        .unwrap();
    }
    log
}

fn tombstone() -> Tombstone {
    Tombstone {
        by: 4,
        on: date(),
        reason: "prénom d'un enfant".into(),
    }
}

fn holds(bytes: &[u8], needle: &[u8]) -> bool {
    bytes.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn texts_live_outside_sled_with_their_commitment_in_the_chain() {
    let dir = common::store();
    let log = sample(dir.path());
    let second = log.get(2).unwrap().unwrap();
    assert_eq!(second.text_commitments.len(), 2);
    let StoredText::Kept { salt, text } = &second.texts[0] else {
        panic!("{:?}", second.texts);
    };
    assert_eq!(text, SECRET);
    assert_eq!(commitment(salt, text), second.text_commitments[0]);
    assert!(!holds(&second.canonical_bytes(), SECRET.as_bytes()));
    assert_eq!(second.hash, second.computed_hash());
    // Two events with the same words have different commitments (each text its own salt).
    assert_ne!(
        log.get(1).unwrap().unwrap().text_commitments[0],
        commitment(&[0; 16], "Premier")
    );
    assert!(log.verify().unwrap().is_ok());
    drop(log);
    // The trees (sled's files, or the trees' table) never received the words; the text files
    // did.
    for (path, bytes) in common::stored_bytes(&dir) {
        let in_texts = path.contains("texts");
        assert_eq!(holds(&bytes, SECRET.as_bytes()), in_texts, "{path}");
    }
    let log = open(dir.path());
    assert_eq!(all(&log)[1].texts[1].text(), Some("Bilan sans nom"));
}

#[test]
fn an_erased_text_is_gone_from_every_file_and_the_chain_still_verifies() {
    let dir = common::store();
    let log = sample(dir.path());
    let head = log.head();
    assert!(log.erase_text(2, 0, tombstone()).unwrap());
    // Erasing it again changes nothing and says so.
    assert!(!log.erase_text(2, 0, tombstone()).unwrap());
    let second = log.get(2).unwrap().unwrap();
    assert_eq!(second.texts[0], StoredText::Erased(tombstone()));
    assert_eq!(second.texts[1].text(), Some("Bilan sans nom"));
    assert_eq!(log.head(), head);
    assert!(log.verify().unwrap().is_ok());
    // An export made now carries the tombstone, not the words.
    let mut export = Vec::new();
    log.export_ndjson(&mut export).unwrap();
    assert!(!holds(&export, SECRET.as_bytes()));
    drop(log);
    let log = open(dir.path());
    assert_eq!(
        log.get(2).unwrap().unwrap().texts[0],
        StoredText::Erased(tombstone())
    );
    assert!(log.verify().unwrap().is_ok());
    drop(log);
    for (path, bytes) in common::stored_bytes(&dir) {
        assert!(
            !holds(&bytes, SECRET.as_bytes()),
            "{path} still holds the erased words"
        );
    }
    // The export imports into a new store, tombstone included, and verifies.
    let copy = common::store();
    let imported = open(copy.path());
    imported
        .import_ndjson(Cursor::new(&export), &ImportOptions::default())
        .unwrap();
    assert_eq!(imported.head(), head);
    assert_eq!(
        imported.get(2).unwrap().unwrap().texts[0],
        StoredText::Erased(tombstone())
    );
    assert!(imported.verify().unwrap().is_ok());
}

#[test]
fn erasing_what_cannot_be_erased_is_said_in_french() {
    let dir = common::store();
    let log = sample(dir.path());
    for (position, slot) in [(2, 2), (3, 0), (9, 0)] {
        match log.erase_text(position, slot, tombstone()) {
            Err(Error::InvalidInput(message)) => {
                assert!(
                    message.contains(&format!("position {position}")),
                    "{message}"
                )
            }
            other => panic!("expected a refusal, got {other:?}"),
        }
    }
}

#[test]
fn a_changed_text_breaks_verify_at_its_event_and_an_import_of_it() {
    let dir = common::store();
    let log = sample(dir.path());
    let mut export = Vec::new();
    log.export_ndjson(&mut export).unwrap();
    drop(log);
    // Someone edits the text file: same length, one letter changed.
    common::edit_text_files(&dir, |bytes| {
        if let Some(at) = bytes.windows(6).position(|w| w == b"Kylian") {
            bytes[at + 1] = b'i';
        }
    });
    let report = open(dir.path()).verify().unwrap();
    let (position, reason) = report.first_broken.unwrap();
    assert_eq!(position, 2);
    assert!(reason.contains("texte n° 1"), "{reason}");
    // The same change in an export is refused at import, before anything is written.
    let changed = String::from_utf8(export)
        .unwrap()
        .replace("Kylian", "Kilian");
    let other = common::store();
    let target = open(other.path());
    match target.import_ndjson(Cursor::new(changed.as_bytes()), &ImportOptions::default()) {
        Err(Error::InvalidInput(message)) => {
            assert!(message.contains("texte n° 1 de la position 2"), "{message}")
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    assert_eq!(target.head().position, 0);
}
