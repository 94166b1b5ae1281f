//! Crashes and other processes: a child appends from several threads and is killed with
//! SIGKILL at random moments; every acknowledged append must be there afterwards, whole.

mod common;

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use eventlog::Error;

const CHILD: &str = env!("CARGO_BIN_EXE_eventlog-test-child");

/// A tiny deterministic generator (xorshift), seeded from the clock and printed, so that a
/// failing run can be replayed with `EVENTLOG_CRASH_SEED`.
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

#[derive(Debug, Clone)]
struct Ack {
    first: u64,
    last: u64,
    batch: String,
    n_events: u64,
}

/// Kills the child when dropped, so that a failing assertion never leaves a process appending
/// for ever.
struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn spawn_child(mode: &str, store: &eventlog::StoreLocation, run: u64) -> KillOnDrop {
    let location = match store {
        eventlog::StoreLocation::Dir(dir) => dir.display().to_string(),
        eventlog::StoreLocation::Postgres(url) => url.clone(),
    };
    let child = Command::new(CHILD)
        .arg(mode)
        .arg(location)
        .arg(run.to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("the test child starts");
    KillOnDrop(child)
}

/// Reads the child's stdout on a thread; returns once `ready` is seen, with the acks it
/// collects until the child dies.
fn follow(child: &mut Child) -> (std::thread::JoinHandle<()>, Arc<Mutex<Vec<Ack>>>) {
    let stdout = child.stdout.take().expect("piped stdout");
    let acks = Arc::new(Mutex::new(Vec::new()));
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    let collected = acks.clone();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            let words: Vec<&str> = line.split(' ').collect();
            match words.as_slice() {
                ["ready"] => {
                    let _ = ready_tx.send(Ok(()));
                }
                ["ack", first, last, batch, n] => collected.lock().unwrap().push(Ack {
                    first: first.parse().unwrap(),
                    last: last.parse().unwrap(),
                    batch: batch.to_string(),
                    n_events: n.parse().unwrap(),
                }),
                // A line cut by the kill is not an acknowledgement we can rely on.
                _ => {
                    let _ = ready_tx.send(Err(line));
                }
            }
        }
    });
    match ready_rx.recv_timeout(Duration::from_secs(20)) {
        Ok(Ok(())) => {}
        other => panic!("the child did not start: {other:?}"),
    }
    (reader, acks)
}

fn check_store(dir: &eventlog::StoreLocation, acks: &[Ack], kill: u64) {
    // On PostgreSQL the server releases a killed process's lock when it sees its connection
    // close, a moment after the kill.
    let started = Instant::now();
    let log = loop {
        match common::try_open(dir) {
            Err(Error::Locked { .. }) if started.elapsed() < Duration::from_secs(10) => {
                std::thread::sleep(Duration::from_millis(20));
            }
            other => {
                break other
                    .unwrap_or_else(|e| panic!("kill {kill}: the store does not reopen: {e}"));
            }
        }
    };
    let report = log.verify().unwrap();
    assert!(report.is_ok(), "kill {kill}: verify failed: {report:?}");
    let head = log.head().position;
    // Gapless: read_all checks that positions follow one another.
    let mut batches: HashMap<String, (u64, u64)> = HashMap::new();
    let mut count = 0;
    for envelope in log.read_all(1) {
        let envelope = envelope.unwrap_or_else(|e| panic!("kill {kill}: read failed: {e}"));
        count += 1;
        assert_eq!(envelope.position, count);
        let text = String::from_utf8(envelope.payload).unwrap();
        let (batch, n) = text.split_once(' ').unwrap();
        let entry = batches
            .entry(batch.to_owned())
            .or_insert((0, n.parse().unwrap()));
        entry.0 += 1;
    }
    assert_eq!(count, head, "kill {kill}: events up to the head");
    for (batch, (seen, expected)) in &batches {
        assert_eq!(seen, expected, "kill {kill}: batch {batch} is half visible");
    }
    for ack in acks {
        assert!(
            ack.last <= head,
            "kill {kill}: acknowledged {ack:?} but the head is {head}"
        );
        assert_eq!(ack.last - ack.first + 1, ack.n_events);
        for position in ack.first..=ack.last {
            let envelope = log
                .get(position)
                .unwrap()
                .expect("acknowledged event present");
            let text = String::from_utf8(envelope.payload).unwrap();
            assert!(
                text.starts_with(&format!("{} ", ack.batch)),
                "kill {kill}: position {position} holds {text:?}, acknowledged for {}",
                ack.batch
            );
        }
    }
}

#[test]
fn acknowledged_appends_survive_sigkill_and_batches_are_never_half_visible() {
    let dir = common::store();
    let seed = std::env::var("EVENTLOG_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos() as u64)
                .unwrap_or(1)
                | 1
        });
    println!("EVENTLOG_CRASH_SEED={seed}");
    let mut random = Random(seed);
    let started = Instant::now();
    let mut all_acks = Vec::new();
    // Fewer on PostgreSQL, where each reopening waits for the server to see the killed
    // process's connection close and release its lock.
    let n_kills = if common::postgres() { 8 } else { 22 };
    for kill in 0..n_kills {
        let mut child = spawn_child("append", dir.path(), kill);
        let (reader, acks) = follow(&mut child.0);
        // A random moment between 5 and 120 ms after the store is open: this picks where the
        // kill lands, it asserts nothing about timing.
        std::thread::sleep(Duration::from_millis(5 + random.next() % 115));
        child.0.kill().expect("SIGKILL");
        child.0.wait().expect("the child is reaped");
        reader
            .join()
            .expect("the reader thread ends with the child");
        let acks = acks.lock().unwrap().clone();
        all_acks.extend(acks);
        check_store(dir.path(), &all_acks, kill);
    }
    assert!(!all_acks.is_empty(), "the child acknowledged appends");
    println!(
        "{n_kills} kills, {} acknowledged appends, {:?}",
        all_acks.len(),
        started.elapsed()
    );
}

#[test]
fn opening_a_store_held_by_another_process_is_refused_at_once() {
    let dir = common::store();
    let mut child = spawn_child("hold", dir.path(), 0);
    let (reader, _) = follow(&mut child.0);
    let started = Instant::now();
    let error = common::try_open(dir.path()).unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "it does not wait for the lock"
    );
    match &error {
        Error::Locked { path } => assert!(path.contains(&dir.path().to_string())),
        other => panic!("expected Locked, got {other:?}"),
    }
    assert!(error.to_string().contains("in use by another process"));
    // Closing the child's stdin lets it exit; then the store opens.
    drop(child.0.stdin.take());
    let status = child.0.wait().unwrap();
    assert!(status.success());
    reader.join().unwrap();
    let log = common::try_open(dir.path()).expect("free again");
    assert_eq!(log.head().position, 0);
    let _ = std::io::stdout().flush();
}
