//! Golden files of the stored formats: each file is decoded and compared with the value it
//! holds, and the current encoding of that value must equal the file byte for byte. If one of
//! these tests fails after a change, the change altered the bytes on disk or the hashes: do
//! not update the file, add a format or schema version instead.
//!
//! Provenance: the files were written by this test with `EVENTLOG_BLESS=1` when format 1 was
//! introduced; blessing again is only for a brand-new file.

use chrono::{DateTime, NaiveDate, Utc};
use eventlog::{CommandRecord, Envelope, codec};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

fn golden_path(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name)
}

/// Compares `bytes` with the golden file, writing it only when blessing a new file.
fn check_golden(name: &str, bytes: &[u8]) -> Vec<u8> {
    let path = golden_path(name);
    if std::env::var_os("EVENTLOG_BLESS").is_some() && !path.exists() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, bytes).unwrap();
    }
    let golden = std::fs::read(&path)
        .unwrap_or_else(|e| panic!("golden file {} is missing ({e})", path.display()));
    assert!(
        golden == bytes,
        "the encoding of {name} changed: add a format or schema version instead of changing \
         stored bytes\n golden:  {}\n current: {}",
        hex::encode(&golden),
        hex::encode(bytes)
    );
    golden
}

fn full_envelope() -> Envelope {
    let mut envelope = Envelope {
        position: 42,
        event_id: Uuid::parse_str("01933b8e-7c2a-7d4e-9f10-123456789abc").unwrap(),
        stream_id: "action-nord-2026.a12".into(),
        stream_version: 7,
        event_type: "PaymentRecorded".into(),
        schema_version: 2,
        recorded_at: DateTime::parse_from_rfc3339("2026-03-14T09:30:00.123456Z")
            .unwrap()
            .with_timezone(&Utc),
        effective_on: NaiveDate::from_ymd_opt(2026, 3, 13).unwrap(),
        actor: "user:alice".into(),
        actor_role: None,
        command_id: Some("nord-2026/7b1e".into()),
        correlation_id: Some(Uuid::parse_str("01933b8e-0000-7000-8000-000000000001").unwrap()),
        causation_id: Some(Uuid::parse_str("01933b8e-0000-7000-8000-000000000002").unwrap()),
        payload: b"{\"amount_cents\":125000}".to_vec(),
        text_commitments: Vec::new(),
        texts: Vec::new(),
        prev_hash: [0xab; 32],
        hash: [0; 32],
    };
    envelope.hash = envelope.computed_hash();
    envelope
}

fn minimal_envelope() -> Envelope {
    let mut envelope = Envelope {
        position: 1,
        event_id: Uuid::parse_str("01933b8e-7c2a-7d4e-9f10-000000000001").unwrap(),
        stream_id: "programme-nord-2026".into(),
        stream_version: 1,
        event_type: "ProgrammeOpened".into(),
        schema_version: 1,
        recorded_at: DateTime::parse_from_rfc3339("1969-12-31T23:59:59Z")
            .unwrap()
            .with_timezone(&Utc),
        effective_on: NaiveDate::from_ymd_opt(1960, 1, 1).unwrap(),
        actor: "system".into(),
        actor_role: None,
        command_id: None,
        correlation_id: None,
        causation_id: None,
        payload: vec![],
        text_commitments: Vec::new(),
        texts: Vec::new(),
        prev_hash: [0; 32],
        hash: [0; 32],
    };
    envelope.hash = envelope.computed_hash();
    envelope
}

#[test]
fn stored_envelope_format_1_with_every_field_is_unchanged() {
    let envelope = full_envelope();
    let golden = check_golden("envelope/v1-full.bin", &envelope.stored_bytes());
    assert_eq!(Envelope::from_stored_bytes(&golden, 1).unwrap(), envelope);
    // The hash itself is pinned, so that a change of hashing (not only of bytes) fails too.
    assert_eq!(
        hex::encode(envelope.hash),
        hex::encode(&golden[golden.len() - 32..])
    );
}

#[test]
fn stored_envelope_format_1_with_no_optional_field_is_unchanged() {
    let envelope = minimal_envelope();
    let golden = check_golden("envelope/v1-minimal.bin", &envelope.stored_bytes());
    assert_eq!(Envelope::from_stored_bytes(&golden, 1).unwrap(), envelope);
}

/// Format 2: the actor is a stable id and the role follows it.
fn v2(mut envelope: Envelope, actor_id: &str, role: &str) -> Envelope {
    envelope.actor = actor_id.into();
    envelope.actor_role = Some(role.into());
    envelope.hash = envelope.computed_hash();
    envelope
}

#[test]
fn stored_envelope_format_2_with_every_field_is_unchanged() {
    let mut envelope = full_envelope();
    envelope.text_commitments = vec![[0x5a; 32], [0xa5; 32]];
    let envelope = v2(
        envelope,
        "person:01933b8e-0000-7000-8000-0000000000aa",
        "COORDINATOR",
    );
    let golden = check_golden("envelope/v2-full.bin", &envelope.stored_bytes());
    assert_eq!(Envelope::from_stored_bytes(&golden, 2).unwrap(), envelope);
    assert_eq!(
        hex::encode(envelope.hash),
        hex::encode(&golden[golden.len() - 32..])
    );
}

#[test]
fn stored_envelope_format_2_with_no_optional_field_is_unchanged() {
    let envelope = v2(minimal_envelope(), "system", "");
    let golden = check_golden("envelope/v2-minimal.bin", &envelope.stored_bytes());
    assert_eq!(Envelope::from_stored_bytes(&golden, 2).unwrap(), envelope);
}

#[test]
fn canonical_bytes_of_format_2_hold_the_actor_id_its_role_and_the_text_commitments() {
    // GUARANTEES.md, format 2: format 1's fields with the role after the actor's id.
    let mut envelope = minimal_envelope();
    envelope.text_commitments = vec![[7; 32]];
    let envelope = v2(envelope, "token:t1", "PILOT");
    let v1 = minimal_envelope().canonical_bytes();
    // Format 1 up to the actor: prev_hash … effective_on, then `6 system`.
    let before_actor = v1.len() - (8 + 6) - 3 - 8;
    let mut expected = v1[..before_actor].to_vec();
    expected.extend_from_slice(&8u64.to_le_bytes());
    expected.extend_from_slice(b"token:t1");
    expected.extend_from_slice(&5u64.to_le_bytes());
    expected.extend_from_slice(b"PILOT");
    expected.extend_from_slice(&[0, 0, 0]); // command, correlation, causation: None
    expected.extend_from_slice(&0u64.to_le_bytes()); // payload length
    expected.extend_from_slice(&1u64.to_le_bytes()); // one text commitment
    expected.extend_from_slice(&[7; 32]);
    assert_eq!(
        hex::encode(envelope.canonical_bytes()),
        hex::encode(&expected)
    );
    // The same fields read as format 1 would not even decode the same way.
    assert_ne!(
        Envelope::from_stored_bytes(&envelope.stored_bytes(), 1).ok(),
        Some(envelope.clone())
    );
}

#[test]
fn canonical_bytes_follow_the_documented_layout() {
    // GUARANTEES.md describes these bytes; this test spells the description out.
    let envelope = minimal_envelope();
    let mut expected = Vec::new();
    expected.extend_from_slice(&[0; 32]); // prev_hash
    expected.extend_from_slice(&1u64.to_le_bytes()); // position
    expected.extend_from_slice(envelope.event_id.as_bytes()); // event id, 16 bytes
    expected.extend_from_slice(&19u64.to_le_bytes()); // stream id length
    expected.extend_from_slice(b"programme-nord-2026");
    expected.extend_from_slice(&1u64.to_le_bytes()); // stream version
    expected.extend_from_slice(&15u64.to_le_bytes());
    expected.extend_from_slice(b"ProgrammeOpened");
    expected.extend_from_slice(&1u16.to_le_bytes()); // schema version
    expected.extend_from_slice(&(-1_000_000i64).to_le_bytes()); // recorded_at, µs since 1970
    expected.extend_from_slice(&(-3653i32).to_le_bytes()); // effective_on, days since 1970
    expected.extend_from_slice(&6u64.to_le_bytes());
    expected.extend_from_slice(b"system");
    expected.push(0); // command id: None
    expected.push(0); // correlation id: None
    expected.push(0); // causation id: None
    expected.extend_from_slice(&0u64.to_le_bytes()); // payload length, then no byte
    assert_eq!(
        hex::encode(envelope.canonical_bytes()),
        hex::encode(&expected)
    );
    let digest: [u8; 32] = sha2::Digest::finalize(sha2::Digest::chain_update(
        <sha2::Sha256 as sha2::Digest>::new(),
        &expected,
    ))
    .into();
    assert_eq!(envelope.hash, digest);
}

#[test]
fn command_record_format_1_is_unchanged() {
    let record = CommandRecord {
        fingerprint: [0x5a; 32],
        first_position: 10,
        last_position: 12,
        stream_versions: vec![("action-nord.a1".into(), 3), ("session-nord.s1".into(), 1)],
    };
    let golden = check_golden("command-record/v1.bin", &codec::encode(&record).unwrap());
    assert_eq!(codec::decode::<CommandRecord>(&golden).unwrap(), record);
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
enum Sample {
    Unit,
    Tuple(i64, Option<String>),
    Struct {
        cents: i64,
        date: NaiveDate,
        tags: Vec<String>,
    },
}

#[test]
fn codec_encoding_of_serde_values_is_unchanged() {
    // Other crates store their payloads and snapshots with this codec; its configuration
    // (fixed-width little-endian integers, u64 lengths, u32 variant indices) is frozen.
    let values = vec![
        Sample::Unit,
        Sample::Tuple(-5, Some("é".into())),
        Sample::Struct {
            cents: 125_000,
            date: NaiveDate::from_ymd_opt(2026, 1, 31).unwrap(),
            tags: vec!["copil".into()],
        },
    ];
    let golden = check_golden("codec/v1-sample.bin", &codec::encode(&values).unwrap());
    assert_eq!(codec::decode::<Vec<Sample>>(&golden).unwrap(), values);
}

#[test]
fn codec_refuses_trailing_bytes_and_truncated_input() {
    let mut bytes = codec::encode(&(1u32, "x".to_owned())).unwrap();
    assert!(codec::decode::<(u32, String)>(&bytes).is_ok());
    bytes.push(0);
    assert!(codec::decode::<(u32, String)>(&bytes).is_err());
    assert!(codec::decode::<(u32, String)>(&bytes[..3]).is_err());
}
