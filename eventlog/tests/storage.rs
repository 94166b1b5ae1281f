//! The stored bytes: hash chain and `verify`, format version, corruption at open.
//! These tests open the sled files directly to damage them as a disk or an attacker would.

mod common;

use common::{open_dir, single, try_open_dir, with_raw};
use eventlog::{Error, ExpectedVersion};

fn event_key(position: u64) -> Vec<u8> {
    let mut key = vec![b'e'];
    key.extend_from_slice(&position.to_be_bytes());
    key
}

fn tail_key(position: u64) -> Vec<u8> {
    let mut key = vec![b'z'];
    key.extend_from_slice(&(position % 16).to_be_bytes());
    key
}

/// The position a stored record says (bytes 32..40, after the previous hash).
fn record_position(record: &[u8]) -> u64 {
    u64::from_le_bytes(record[32..40].try_into().unwrap())
}

/// Edits the records around `position`: records are sealed in chunks of 16
/// (`e ‖ first position` → for each record, its length as u32 little-endian, then its bytes);
/// the last ones (the tail) are kept in 16 slots (`z ‖ position mod 16`). `edit` gets the
/// records of the chunk (or the single tail record) and the index of `position` among them.
fn edit_chunk(tree: &sled::Tree, position: u64, edit: impl FnOnce(&mut Vec<Vec<u8>>, usize)) {
    let in_chunk = tree
        .range(event_key(0)..=event_key(position))
        .next_back()
        .map(|entry| entry.unwrap())
        .is_some_and(|(key, chunk)| {
            let first = u64::from_be_bytes(key[1..].try_into().unwrap());
            let mut offset = 0;
            let mut count = 0;
            while offset < chunk.len() {
                let length = u32::from_le_bytes(chunk[offset..offset + 4].try_into().unwrap());
                offset += 4 + length as usize;
                count += 1;
            }
            position < first + count
        });
    let slot = tree.get(tail_key(position)).unwrap();
    if let Some(record) = slot.filter(|r| !in_chunk && record_position(r) == position) {
        let mut records = vec![record.to_vec()];
        edit(&mut records, 0);
        match records.first() {
            None => tree.remove(tail_key(position)).map(|_| ()).unwrap(),
            Some(record) => tree
                .insert(tail_key(position), record.clone())
                .map(|_| ())
                .unwrap(),
        }
        return;
    }
    let (key, chunk) = tree
        .range(event_key(0)..=event_key(position))
        .next_back()
        .expect("a chunk holds the position")
        .unwrap();
    let first = u64::from_be_bytes(key[1..].try_into().unwrap());
    let mut records = Vec::new();
    let mut offset = 0;
    while offset < chunk.len() {
        let length = u32::from_le_bytes(chunk[offset..offset + 4].try_into().unwrap()) as usize;
        records.push(chunk[offset + 4..offset + 4 + length].to_vec());
        offset += 4 + length;
    }
    edit(&mut records, (position - first) as usize);
    let mut rebuilt = Vec::new();
    for record in &records {
        rebuilt.extend_from_slice(&(record.len() as u32).to_le_bytes());
        rebuilt.extend_from_slice(record);
    }
    tree.insert(key, rebuilt).unwrap();
}

/// Opens the raw sled store of a closed log and applies `damage` to its `log` tree.
fn damage_raw(dir: &std::path::Path, damage: impl FnOnce(&sled::Db, &sled::Tree)) {
    with_raw(dir, |db| damage(db, &db.open_tree("log").unwrap()));
}

fn filled(n_appends: usize) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let log = open_dir(dir.path());
    for i in 0..n_appends {
        log.append_blocking(single(
            &format!("action-p1.a{}", i % 3),
            ExpectedVersion::Any,
            2,
        ))
        .unwrap();
    }
    dir
}

#[test]
fn verify_passes_on_an_untouched_log_and_on_an_empty_one() {
    let empty = tempfile::tempdir().unwrap();
    let report = open_dir(empty.path()).verify().unwrap();
    assert!(report.is_ok());
    assert_eq!((report.head_position, report.verified_up_to), (0, 0));

    let dir = filled(10);
    let log = open_dir(dir.path());
    let report = log.verify().unwrap();
    assert!(report.is_ok(), "{report:?}");
    assert_eq!(report.verified_up_to, 20);
    assert_eq!(report.head_hash, log.head().hash);
}

#[test]
fn verify_names_the_position_of_a_flipped_byte() {
    // Byte offsets from the start of record 7: inside prev_hash, the position, the stream id
    // length, the payload's last byte, and the stored hash.
    for offset in [0usize, 40, 58, usize::MAX - 32, usize::MAX] {
        let dir = filled(10);
        damage_raw(dir.path(), |_, tree| {
            edit_chunk(tree, 7, |records, i| {
                let record = &mut records[i];
                let index = match offset {
                    usize::MAX => record.len() - 1,
                    o if o > usize::MAX - 64 => record.len() - 33,
                    o => o,
                };
                record[index] ^= 0x01;
            });
        });
        let log = open_dir(dir.path());
        let report = log.verify().unwrap();
        let (position, reason) = report.first_broken.clone().expect("the flip is found");
        assert_eq!(position, 7, "offset {offset}: {reason}");
        assert_eq!(report.verified_up_to, 6);
    }
}

#[test]
fn verify_names_a_missing_record() {
    // 40 events: the record removed is in the first chunk, not the last one (whose damage
    // `open` itself refuses).
    let dir = filled(20);
    damage_raw(dir.path(), |_, tree| {
        edit_chunk(tree, 4, |records, i| {
            records.remove(i);
        });
    });
    let log = open_dir(dir.path());
    let report = log.verify().unwrap();
    assert_eq!(report.first_broken.map(|(p, _)| p), Some(4));
}

#[test]
fn verify_names_a_record_replaced_by_a_valid_record_of_another_chain() {
    // Rewriting a record with a correct hash of its own still breaks the link to the next one.
    let dir = filled(5);
    let log = open_dir(dir.path());
    let mut forged = log.get(3).unwrap().unwrap();
    drop(log);
    forged.payload = b"forged".to_vec();
    forged.hash = forged.computed_hash();
    damage_raw(dir.path(), |_, tree| {
        edit_chunk(tree, 3, |records, i| records[i] = forged.stored_bytes());
    });
    let report = open_dir(dir.path()).verify().unwrap();
    assert_eq!(report.first_broken.map(|(p, _)| p), Some(4));
}

#[test]
fn opening_a_store_whose_last_record_is_damaged_is_a_corruption_error() {
    let dir = filled(3);
    damage_raw(dir.path(), |_, tree| {
        edit_chunk(tree, 6, |records, i| {
            let last = records[i].len() - 40;
            records[i][last] ^= 0xff;
        });
    });
    match try_open_dir(dir.path()) {
        Err(Error::Corruption { at: Some(6), .. }) => {}
        other => panic!("expected corruption at 6, got {other:?}"),
    }
}

#[test]
fn opening_a_store_of_a_newer_format_is_refused() {
    let dir = filled(1);
    with_raw(dir.path(), |db| {
        let meta = db.open_tree("meta").unwrap();
        meta.insert("format_version", &3u32.to_be_bytes()).unwrap();
    });
    match try_open_dir(dir.path()) {
        Err(Error::UnknownFormat(message)) => {
            assert!(message.contains("format 3"), "{message}")
        }
        other => panic!("expected UnknownFormat, got {other:?}"),
    }
}

#[test]
fn opening_a_store_with_events_but_no_format_version_is_refused() {
    let dir = filled(1);
    with_raw(dir.path(), |db| {
        db.open_tree("meta").unwrap().clear().unwrap()
    });
    assert!(matches!(
        try_open_dir(dir.path()),
        Err(Error::UnknownFormat(_))
    ));
}

#[test]
fn a_new_store_records_the_current_format_version() {
    let dir = tempfile::tempdir().unwrap();
    drop(open_dir(dir.path()));
    let stored = with_raw(dir.path(), |db| {
        db.open_tree("meta")
            .unwrap()
            .get("format_version")
            .unwrap()
            .unwrap()
    });
    assert_eq!(stored.as_ref(), &eventlog::FORMAT_VERSION.to_be_bytes());
}

#[test]
fn damaged_sled_files_are_an_error_at_open_never_a_shorter_log() {
    let dir = filled(50);
    // Overwrite a region in the middle of every sled file with garbage.
    for entry in walk(dir.path()) {
        if entry.file_name().is_some_and(|n| n == "eventlog-head") {
            continue;
        }
        let mut bytes = std::fs::read(&entry).unwrap();
        if bytes.len() > 64 {
            let start = bytes.len() / 4;
            let end = (start + 4096).min(bytes.len());
            for byte in &mut bytes[start..end] {
                *byte = 0xa5;
            }
            std::fs::write(&entry, bytes).unwrap();
        }
    }
    match try_open_dir(dir.path()) {
        Err(Error::Corruption { .. }) => {}
        Err(other) => panic!("expected a corruption error, got {other:?}"),
        Ok(log) => {
            // sled found nothing wrong: then nothing may be missing either.
            let report = log.verify().unwrap();
            assert!(
                report.is_ok() && report.head_position == 100,
                "opened a damaged store silently: {report:?}"
            );
        }
    }
}

#[test]
fn a_store_whose_sled_log_lost_acknowledged_events_is_refused() {
    let dir = filled(5);
    // Simulate sled recovering a shorter log than was acknowledged.
    damage_raw(dir.path(), |_, tree| {
        for position in (7..=10).rev() {
            edit_chunk(tree, position, |records, i| records.truncate(i));
        }
    });
    match try_open_dir(dir.path()) {
        Err(Error::Corruption { at, detail }) => {
            assert_eq!(at, Some(7));
            assert!(detail.contains("only up to position 6"), "{detail}");
        }
        other => panic!("expected corruption, got {other:?}"),
    }
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else {
            files.push(path);
        }
    }
    files
}

#[test]
fn reads_cross_chunk_boundaries_and_a_reopen_continues_a_partial_chunk() {
    // Records are grouped in chunks of at most 16 records or 6 KiB; a larger record gets a
    // chunk of its own. Mixed sizes and reopenings put boundaries everywhere.
    let dir = tempfile::tempdir().unwrap();
    let mut expected = Vec::new();
    for round in 0..4 {
        let log = open_dir(dir.path());
        for i in 0..15 {
            let size = match (round + i) % 5 {
                0 => 10_000,
                1 => 3_000,
                _ => 40,
            };
            let mut event = common::event("x");
            event.payload = vec![(round * 16 + i) as u8; size];
            expected.push(event.payload.clone());
            log.append_blocking(eventlog::AppendRequest::single(
                "action-p1.a",
                ExpectedVersion::Any,
                vec![event],
            ))
            .unwrap();
        }
        drop(log);
    }
    let log = open_dir(dir.path());
    let n = expected.len() as u64;
    assert_eq!(log.head().position, n);
    for position in 1..=n {
        let envelope = log.get(position).unwrap().unwrap();
        assert_eq!(envelope.position, position);
        assert_eq!(envelope.payload, expected[position as usize - 1]);
    }
    for from in 1..=n {
        for to in [from, from + 1, from + 17, n, n + 5] {
            let positions: Vec<u64> = log
                .read_range(from, to)
                .map(|e| e.unwrap().position)
                .collect();
            assert_eq!(
                positions,
                (from..=to.min(n)).collect::<Vec<_>>(),
                "{from}..={to}"
            );
        }
    }
    let stream = log
        .read_stream("action-p1.a", 1, eventlog::Direction::Forward, usize::MAX)
        .unwrap();
    assert_eq!(stream.len() as u64, n);
    assert!(log.verify().unwrap().is_ok());
}

#[test]
fn verify_names_a_flipped_byte_in_a_record_not_yet_sealed_into_a_chunk() {
    // 10 events: all still in the tail slots.
    let dir = filled(5);
    damage_raw(dir.path(), |_, tree| {
        edit_chunk(tree, 7, |records, i| records[i][100] ^= 0x01);
    });
    let report = open_dir(dir.path()).verify().unwrap();
    assert_eq!(report.first_broken.map(|(p, _)| p), Some(7));

    // A damaged position cuts the tail short at open, which the head mark turns into an error.
    let dir = filled(5);
    damage_raw(dir.path(), |_, tree| {
        edit_chunk(tree, 7, |records, i| records[i][35] ^= 0x01);
    });
    match try_open_dir(dir.path()) {
        Err(Error::Corruption { at: Some(7), .. }) => {}
        other => panic!("expected corruption at 7, got {other:?}"),
    }
}
