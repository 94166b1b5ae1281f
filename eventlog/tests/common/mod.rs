//! Helpers shared by the integration tests of `eventlog`.
#![allow(dead_code)]

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use chrono::NaiveDate;
use eventlog::{
    AppendRequest, EventLog, ExpectedVersion, NewEvent, Options, StoreLocation, StreamAppend,
};

/// Whether this run of the suite is on PostgreSQL: `CHRONIQUE_TEST_ENGINE=postgres`, with
/// `CHRONIQUE_TEST_POSTGRES` the URL of a server to create stores in (`scripts/test` starts
/// one under `target/` and runs the suite a second time so).
pub fn postgres() -> bool {
    std::env::var("CHRONIQUE_TEST_ENGINE").as_deref() == Ok("postgres")
}

/// A fresh, empty store of the engine under test: a temporary directory (sled), or a new
/// schema of the test server (PostgreSQL), whose tables the store creates when it opens.
pub struct TestStore {
    dir: Option<tempfile::TempDir>,
    location: StoreLocation,
}

impl TestStore {
    /// Where the store is (named `path` so that the tests read the same on both engines).
    pub fn path(&self) -> &StoreLocation {
        &self.location
    }

    /// The directory of a sled store (the tests that read sled's files run on sled only).
    pub fn dir(&self) -> &Path {
        self.dir
            .as_ref()
            .expect("a store in a directory (this test runs on sled only)")
            .path()
    }
}

pub fn store() -> TestStore {
    if !postgres() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let location = StoreLocation::Dir(dir.path().to_path_buf());
        return TestStore {
            dir: Some(dir),
            location,
        };
    }
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let base = std::env::var("CHRONIQUE_TEST_POSTGRES")
        .expect("CHRONIQUE_TEST_POSTGRES: the URL of the test server (scripts/test sets it)");
    let schema = format!(
        "t_{}_{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0)
    );
    create_schema(&base, &schema);
    let separator = if base.contains('?') { '&' } else { '?' };
    TestStore {
        dir: None,
        location: StoreLocation::Postgres(format!(
            "{base}{separator}options=-csearch_path%3D{schema}"
        )),
    }
}

/// Creates `schema` on the server at `url`.
fn create_schema(url: &str, schema: &str) {
    let sql = format!("CREATE SCHEMA {schema}");
    with_client(url, move |client| {
        Box::pin(async move { client.batch_execute(&sql).await.unwrap() })
    });
}

pub fn date() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 3, 14).expect("a valid date")
}

pub fn event(text: &str) -> NewEvent {
    NewEvent::new("TestEvent", 1, date(), "tester", text.as_bytes().to_vec())
}

pub fn events(n: usize, prefix: &str) -> Vec<NewEvent> {
    (0..n).map(|i| event(&format!("{prefix}-{i}"))).collect()
}

pub fn single(stream: &str, expected: ExpectedVersion, n: usize) -> AppendRequest {
    AppendRequest::single(stream, expected, events(n, stream))
}

pub fn multi(streams: &[(&str, ExpectedVersion, usize)]) -> AppendRequest {
    AppendRequest {
        streams: streams
            .iter()
            .map(|(stream, expected, n)| StreamAppend {
                stream_id: stream.to_string(),
                expected: *expected,
                events: events(*n, stream),
            })
            .collect(),
        command: None,
    }
}

pub fn open(location: &StoreLocation) -> EventLog {
    try_open(location).unwrap_or_else(|error| panic!("the store does not open: {error}"))
}

/// [`open`]'s result, for the tests of stores that must not open.
pub fn try_open(location: &StoreLocation) -> Result<EventLog, eventlog::Error> {
    EventLog::open_store(location, Options::default())
}

/// The store in the directory `path` (the tests of sled's own files).
pub fn open_dir(path: &Path) -> EventLog {
    open(&StoreLocation::Dir(path.to_path_buf()))
}

/// Runs `f` on the sled database of the store in `path`, opened directly (to read or damage it
/// as a disk or an attacker would), then waits until sled has released the directory's lock,
/// as dropping an [`EventLog`] does: sled's own threads may hold it a moment longer.
pub fn with_raw<R>(path: &Path, f: impl FnOnce(&sled::Db) -> R) -> R {
    let db =
        sled::open(path).unwrap_or_else(|e| panic!("sled does not open {}: {e}", path.display()));
    let result = f(&db);
    db.flush().unwrap();
    drop(db);
    let file = std::fs::File::open(path.join("db")).unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while let Err(std::fs::TryLockError::WouldBlock) = file.try_lock() {
        assert!(
            std::time::Instant::now() < deadline,
            "sled kept its lock on {}",
            path.display()
        );
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    result
}

pub fn all(log: &EventLog) -> Vec<eventlog::Envelope> {
    log.read_all(1)
        .collect::<Result<Vec<_>, _>>()
        .expect("the log reads")
}

/// [`try_open`] on the directory `path`.
pub fn try_open_dir(path: &Path) -> Result<EventLog, eventlog::Error> {
    try_open(&StoreLocation::Dir(path.to_path_buf()))
}

/// Runs `f` with a client of the server at `url`, on a thread and runtime of its own.
fn with_client<R: Send + 'static>(
    url: &str,
    f: impl FnOnce(
        tokio_postgres::Client,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = R> + Send>>
    + Send
    + 'static,
) -> R {
    let url = url.to_owned();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
                .await
                .unwrap_or_else(|e| panic!("the test server at {url} does not answer: {e}"));
            tokio::spawn(connection);
            f(client).await
        })
    })
    .join()
    .unwrap()
}

/// Every stored byte string of a closed store, each with where it is: every file of a sled
/// store's directory; every value of a PostgreSQL store's trees and every part of its files
/// (`trees/<tree>`, `files/<name>`, each file's parts joined).
pub fn stored_bytes(store: &TestStore) -> Vec<(String, Vec<u8>)> {
    match store.path() {
        StoreLocation::Dir(dir) => {
            let mut out = Vec::new();
            let mut pending = vec![dir.clone()];
            while let Some(dir) = pending.pop() {
                for entry in std::fs::read_dir(&dir).unwrap() {
                    let path = entry.unwrap().path();
                    if path.is_dir() {
                        pending.push(path);
                    } else {
                        out.push((path.display().to_string(), std::fs::read(&path).unwrap()));
                    }
                }
            }
            out
        }
        StoreLocation::Postgres(url) => with_client(url, |client| {
            Box::pin(async move {
                let mut out = Vec::new();
                for row in client
                    .query("SELECT tree, key || value FROM chronique_trees", &[])
                    .await
                    .unwrap()
                {
                    out.push((format!("trees/{}", row.get::<_, String>(0)), row.get(1)));
                }
                for row in client
                    .query("SELECT name, string_agg(content, ''::bytea ORDER BY part) FROM chronique_files GROUP BY name",
                        &[],)
                    .await
                    .unwrap()
                {
                    out.push((format!("files/{}", row.get::<_, String>(0)), row.get(1)));
                }
                out
            })
        }),
    }
}

/// Changes the bytes of the text files of a closed store with `edit`, as someone with access
/// to the disk or the database would.
pub fn edit_text_files(store: &TestStore, edit: fn(&mut Vec<u8>)) {
    match store.path() {
        StoreLocation::Dir(dir) => {
            for entry in std::fs::read_dir(dir.join("texts")).unwrap() {
                let path = entry.unwrap().path();
                let mut bytes = std::fs::read(&path).unwrap();
                edit(&mut bytes);
                std::fs::write(&path, bytes).unwrap();
            }
        }
        StoreLocation::Postgres(url) => with_client(url, move |client| {
            Box::pin(async move {
                let rows = client
                    .query(
                        "SELECT name, part, content FROM chronique_files WHERE name LIKE 'texts/%'",
                        &[],
                    )
                    .await
                    .unwrap();
                for row in rows {
                    let (name, part, mut bytes): (String, i64, Vec<u8>) =
                        (row.get(0), row.get(1), row.get(2));
                    edit(&mut bytes);
                    client
                        .execute(
                            "UPDATE chronique_files SET content = $3 WHERE name = $1 AND part = $2",
                            &[&name, &part, &bytes],
                        )
                        .await
                        .unwrap();
                }
            })
        }),
    }
}

/// Writes (`Some`) or removes (`None`) keys of the `meta` tree of a closed store, as an
/// earlier build would have left them.
pub fn set_meta(store: &TestStore, edits: Vec<(&'static str, Option<Vec<u8>>)>) {
    match store.path() {
        StoreLocation::Dir(dir) => with_raw(dir, |db| {
            let meta = db.open_tree("meta").unwrap();
            for (key, value) in edits {
                match value {
                    Some(value) => meta.insert(key, value).unwrap(),
                    None => meta.remove(key).unwrap(),
                };
            }
        }),
        StoreLocation::Postgres(url) => with_client(url, move |client| {
            Box::pin(async move {
                for (key, value) in edits {
                    let key = key.as_bytes().to_vec();
                    client
                        .execute(
                            "DELETE FROM chronique_trees WHERE tree = 'meta' AND key = $1",
                            &[&key],
                        )
                        .await
                        .unwrap();
                    if let Some(value) = value {
                        client
                            .execute(
                                "INSERT INTO chronique_trees (tree, key, value) VALUES ('meta', $1, $2)",
                                &[&key, &value],
                            )
                            .await
                            .unwrap();
                    }
                }
            })
        }),
    }
}

/// A key of the `meta` tree of a closed store.
pub fn get_meta(store: &TestStore, key: &'static str) -> Option<Vec<u8>> {
    match store.path() {
        StoreLocation::Dir(dir) => with_raw(dir, |db| {
            db.open_tree("meta")
                .unwrap()
                .get(key)
                .unwrap()
                .map(|v| v.to_vec())
        }),
        StoreLocation::Postgres(url) => with_client(url, move |client| {
            Box::pin(async move {
                client
                    .query_opt(
                        "SELECT value FROM chronique_trees WHERE tree = 'meta' AND key = $1",
                        &[&key.as_bytes()],
                    )
                    .await
                    .unwrap()
                    .map(|row| row.get(0))
            })
        }),
    }
}
