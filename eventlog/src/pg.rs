//! The PostgreSQL engine: the same trees and files as on sled, in two tables of one database.
//!
//! - `chronique_trees (tree, key, value)`: every tree of the store (`log`, `meta`, `kv/<name>`),
//!   keys compared byte by byte as sled compares them, so that the log's layout (`record.rs`,
//!   `chunk.rs`) is the same on both engines and every guarantee is kept by the same code;
//! - `chronique_files (name, part, content)`: the files (`files/…`, `texts/…`), each the
//!   concatenation of its parts in order (an append adds a part; a rewrite replaces them all).
//!
//! A write is a transaction (most often one statement), committed with `synchronous_commit` at least `on` before it
//! returns: what the writer commits is durable when it is acknowledged, with no flush after.
//! The writer's connection holds a session advisory lock for as long as the store is open, so
//! that a second server on the same store is refused at start ([`Error::Locked`]). A store is
//! the tables of one schema (the first of the connection's `search_path`, `public` unless the
//! URL says otherwise, e.g. `?options=-csearch_path%3Dcite_nord`): one database can hold the
//! stores of several cités, each locked on its own.
//!
//! The driver is async (`tokio-postgres`) and runs on a small runtime of its own: callers of
//! the log are plain threads and async tasks alike, so each call is sent to that runtime and
//! waited for on a channel (never with `block_on`, which would panic inside a caller's runtime).

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use sled::IVec;
use tokio_postgres::Client;

use crate::Error;

/// The session advisory lock the writer holds: one per store, that is per schema of the
/// database (a store's tables are created in the first schema of the `search_path`).
const LOCK: &str =
    "SELECT pg_try_advisory_lock(hashtextextended('chronique:' || current_schema(), 0))";

/// Rows read per query when a range is read lazily.
const PAGE_ROWS: i64 = 256;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS chronique_trees (
    tree text NOT NULL,
    key bytea NOT NULL,
    value bytea NOT NULL,
    PRIMARY KEY (tree, key)
);
CREATE TABLE IF NOT EXISTS chronique_files (
    name text NOT NULL,
    part bigint NOT NULL,
    content bytea NOT NULL,
    PRIMARY KEY (name, part)
);";

/// `url` without its `sslrootcert` parameter (which the driver does not read), and that
/// parameter's value.
fn take_root_cert(url: &str) -> (String, Option<String>) {
    let Some((base, query)) = url.split_once('?') else {
        return (url.to_owned(), None);
    };
    let mut root_cert = None;
    let kept: Vec<&str> = query
        .split('&')
        .filter(|pair| match pair.strip_prefix("sslrootcert=") {
            Some(path) => {
                root_cert = Some(path.to_owned());
                false
            }
            None => true,
        })
        .collect();
    let url = if kept.is_empty() {
        base.to_owned()
    } else {
        format!("{base}?{}", kept.join("&"))
    };
    (url, root_cert)
}

/// The TLS connector of the engine's connections (rustls): with `sslmode=prefer` (the
/// default) TLS when the server offers it, with `sslmode=require` TLS or nothing; the server's
/// certificate and name are always checked, against Mozilla's roots (webpki-roots) and the
/// certificates of the PEM file `sslrootcert=FILE` names.
fn tls_connector(
    root_cert: Option<&str>,
) -> Result<tokio_postgres_rustls::MakeRustlsConnect, Error> {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    if let Some(path) = root_cert {
        let unreadable = |e: &dyn std::fmt::Display| {
            Error::InvalidInput(format!(
                "le certificat racine {path} (sslrootcert) ne se lit pas : {e}"
            ))
        };
        let mut n = 0;
        for certificate in CertificateDer::pem_file_iter(path).map_err(|e| unreadable(&e))? {
            roots
                .add(certificate.map_err(|e| unreadable(&e))?)
                .map_err(|e| unreadable(&e))?;
            n += 1;
        }
        if n == 0 {
            return Err(unreadable(&"aucun certificat PEM"));
        }
    }
    // The process's default cryptography: ring, the one rustls is built with here.
    let config = rustls::ClientConfig::builder()
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(tokio_postgres_rustls::MakeRustlsConnect::new(config))
}

/// Whether `location` names a PostgreSQL database rather than a directory.
pub fn is_postgres_url(location: &str) -> bool {
    location.starts_with("postgres://") || location.starts_with("postgresql://")
}

/// `url` without its password, for messages.
pub fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    let authority = match authority.rsplit_once('@') {
        Some((user, host)) => {
            let user = user.split(':').next().unwrap_or_default();
            format!("{user}@{host}")
        }
        None => authority.to_owned(),
    };
    format!("{scheme}://{authority}{path}")
}

/// One open PostgreSQL store: its runtime, a writing connection (holding the lock) and reading
/// connections.
pub(crate) struct Pg {
    runtime: Option<tokio::runtime::Runtime>,
    writer: Arc<tokio::sync::Mutex<Client>>,
    readers: Vec<Arc<Client>>,
    next_reader: AtomicUsize,
}

impl Drop for Pg {
    fn drop(&mut self) {
        // A runtime cannot be dropped inside another one (the log may be dropped by an async
        // task); nothing is pending here, every call waits for its answer.
        // The lock is released before the connection closes, so that the store can be opened
        // again at once (the server notices a closed connection only a moment later).
        let writer = self.writer.clone();
        let _ = self.run(async move {
            writer
                .lock()
                .await
                .batch_execute("SELECT pg_advisory_unlock_all()")
                .await
                .map_err(pg_error)
        });
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

/// `error` followed by its causes (the driver's own message omits them: « error connecting to
/// server » without « Connection refused »).
fn with_causes(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(next) = cause {
        text.push_str(" : ");
        text.push_str(&next.to_string());
        cause = next.source();
    }
    text
}

pub(crate) fn pg_error(error: tokio_postgres::Error) -> Error {
    let detail = match error.as_db_error() {
        Some(db) => format!("{} ({})", db.message(), db.code().code()),
        None => with_causes(&error),
    };
    Error::Io(std::io::Error::other(format!("PostgreSQL : {detail}")))
}

impl Pg {
    /// Connects to `url`, takes the writer's lock and creates the tables if they are missing.
    pub(crate) fn connect(url: &str) -> Result<Arc<Pg>, Error> {
        let display = redact(url);
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("eventlog-postgres")
            .enable_all()
            .build()?;
        let (url, root_cert) = take_root_cert(url);
        let config: tokio_postgres::Config = url.parse().map_err(|e| {
            Error::InvalidInput(format!(
                "l'adresse PostgreSQL {display} ne se lit pas : {e}"
            ))
        })?;
        let tls = tls_connector(root_cert.as_deref())?;
        let connect = {
            let config = config.clone();
            let display = display.clone();
            move || {
                let config = config.clone();
                let display = display.clone();
                let tls = tls.clone();
                async move {
                    let (client, connection) = config.connect(tls).await.map_err(|e| {
                        Error::Io(std::io::Error::other(format!(
                            "impossible de joindre PostgreSQL à {display} : {}",
                            with_causes(&e)
                        )))
                    })?;
                    tokio::spawn(async move {
                        let _ = connection.await;
                    });
                    Ok::<Client, Error>(client)
                }
            }
        };
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        let open_display = display.clone();
        runtime.spawn(async move {
            let result = async {
                let writer = connect().await?;
                let locked: bool = writer.query_one(LOCK, &[]).await.map_err(pg_error)?.get(0);
                if !locked {
                    return Err(Error::Locked {
                        path: open_display.clone(),
                    });
                }
                // Durable before acknowledged: a commit must reach the disk (and, with a
                // synchronous standby, the standby's) before it returns.
                let commit: String = writer
                    .query_one("SHOW synchronous_commit", &[])
                    .await
                    .map_err(pg_error)?
                    .get(0);
                if commit == "off" {
                    writer
                        .batch_execute("SET synchronous_commit = on")
                        .await
                        .map_err(pg_error)?;
                }
                writer.batch_execute(SCHEMA).await.map_err(pg_error)?;
                let mut readers = Vec::new();
                for _ in 0..2 {
                    readers.push(Arc::new(connect().await?));
                }
                Ok((writer, readers))
            }
            .await;
            let _ = tx.send(result);
        });
        let (writer, readers) = rx.recv().map_err(|_| Error::Closed)??;
        Ok(Arc::new(Pg {
            runtime: Some(runtime),
            writer: Arc::new(tokio::sync::Mutex::new(writer)),
            readers,
            next_reader: AtomicUsize::new(0),
        }))
    }

    /// Runs `future` on the engine's runtime and waits for it, from any thread.
    fn run<T: Send + 'static>(
        &self,
        future: impl Future<Output = Result<T, Error>> + Send + 'static,
    ) -> Result<T, Error> {
        let runtime = self.runtime.as_ref().ok_or(Error::Closed)?;
        // A plain thread (the log's writer) waits on the runtime itself; a thread that drives
        // another runtime must not block in it, and waits on a channel instead.
        let caller = match tokio::runtime::Handle::try_current() {
            Err(_) => return runtime.block_on(future),
            Ok(caller) => caller,
        };
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        runtime.spawn(async move {
            let _ = tx.send(future.await);
        });
        let wait = || rx.recv().map_err(|_| Error::Closed)?;
        // On a worker of a multi-threaded runtime (the server's), the worker's other tasks move
        // to another thread while this one waits for the database.
        if caller.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread {
            tokio::task::block_in_place(wait)
        } else {
            wait()
        }
    }

    fn reader(&self) -> Arc<Client> {
        let i = self.next_reader.fetch_add(1, Ordering::Relaxed) % self.readers.len();
        self.readers[i].clone()
    }

    pub(crate) fn get(&self, tree: &str, key: &[u8]) -> Result<Option<IVec>, Error> {
        let client = self.reader();
        let (tree, key) = (tree.to_owned(), key.to_vec());
        self.run(async move {
            let row = client
                .query_opt(
                    "SELECT value FROM chronique_trees WHERE tree = $1 AND key = $2",
                    &[&tree, &key],
                )
                .await
                .map_err(pg_error)?;
            Ok(row.map(|row| IVec::from(row.get::<_, Vec<u8>>(0))))
        })
    }

    /// The values of `keys`, in their order, in one query.
    pub(crate) fn get_many(
        &self,
        tree: &str,
        keys: Vec<Vec<u8>>,
    ) -> Result<Vec<Option<IVec>>, Error> {
        let client = self.reader();
        let tree = tree.to_owned();
        self.run(async move {
            let rows = client
                .query(
                    "SELECT key, value FROM chronique_trees WHERE tree = $1 AND key = ANY($2::bytea[])",
                    &[&tree, &keys],
                )
                .await
                .map_err(pg_error)?;
            let found: std::collections::HashMap<Vec<u8>, Vec<u8>> = rows
                .into_iter()
                .map(|row| (row.get(0), row.get(1)))
                .collect();
            Ok(keys
                .iter()
                .map(|key| found.get(key).map(|value| IVec::from(value.as_slice())))
                .collect())
        })
    }

    /// For each of `positions`, the entry with the greatest key at most `prefix ‖ position`
    /// (u64 big-endian) among the keys starting with `prefix`: the chunks that may hold those
    /// positions, each once, in key order. One query.
    pub(crate) fn floor_entries(
        &self,
        tree: &str,
        prefix: u8,
        positions: &[u64],
    ) -> Result<Vec<(IVec, IVec)>, Error> {
        let client = self.reader();
        let tree = tree.to_owned();
        let low = vec![prefix];
        let positions: Vec<i64> = positions.iter().map(|&p| p as i64).collect();
        self.run(async move {
            let rows = client
                .query(
                    "SELECT DISTINCT c.key, c.value FROM unnest($3::bigint[]) AS p \
                     CROSS JOIN LATERAL (\
                         SELECT key, value FROM chronique_trees \
                         WHERE tree = $1 AND key >= $2 AND key <= ($2 || int8send(p)) \
                         ORDER BY key DESC LIMIT 1\
                     ) AS c ORDER BY c.key",
                    &[&tree, &low, &positions],
                )
                .await
                .map_err(pg_error)?;
            Ok(entries(rows))
        })
    }

    /// Up to `limit` entries with `start <= key <= end` (`after`: `start < key`), in key order
    /// or (`backward`) its reverse.
    pub(crate) fn range_page(
        &self,
        tree: &str,
        start: &[u8],
        end: &[u8],
        exclusive: Bound,
        backward: bool,
        limit: i64,
    ) -> Result<Vec<(IVec, IVec)>, Error> {
        let client = self.reader();
        let (tree, start, end) = (tree.to_owned(), start.to_vec(), end.to_vec());
        let (low, high) = match exclusive {
            Bound::None => (">=", "<="),
            Bound::Start => (">", "<="),
            Bound::End => (">=", "<"),
        };
        let order = if backward { "DESC" } else { "ASC" };
        let sql = format!(
            "SELECT key, value FROM chronique_trees WHERE tree = $1 AND key {low} $2 AND key {high} $3 ORDER BY key {order} LIMIT $4"
        );
        self.run(async move {
            let rows = client
                .query(&sql, &[&tree, &start, &end, &limit])
                .await
                .map_err(pg_error)?;
            Ok(entries(rows))
        })
    }

    /// Applies every write in one transaction (the last write of a key wins, as in a sled
    /// batch); durable when it returns.
    pub(crate) fn apply(
        &self,
        tree: &str,
        ops: Vec<(Vec<u8>, Option<Vec<u8>>)>,
    ) -> Result<(), Error> {
        let mut last: std::collections::HashMap<Vec<u8>, Option<Vec<u8>>> =
            std::collections::HashMap::with_capacity(ops.len());
        for (key, value) in ops {
            last.insert(key, value);
        }
        let mut keys = Vec::new();
        let mut values = Vec::new();
        let mut removed = Vec::new();
        for (key, value) in last {
            match value {
                Some(value) => {
                    keys.push(key);
                    values.push(value);
                }
                None => removed.push(key),
            }
        }
        let writer = self.writer.clone();
        let tree = tree.to_owned();
        // One statement (a removal and an upsert joined in a common table expression), which
        // PostgreSQL runs as one transaction: one round trip and one commit per batch. No key
        // is in both sets.
        self.run(async move {
            let client = writer.lock().await;
            client
                .execute(
                    "WITH removed AS (\
                         DELETE FROM chronique_trees WHERE tree = $1 AND key = ANY($4::bytea[])\
                     ) \
                     INSERT INTO chronique_trees (tree, key, value) \
                     SELECT $1, k, v FROM unnest($2::bytea[], $3::bytea[]) AS t(k, v) \
                     ON CONFLICT (tree, key) DO UPDATE SET value = EXCLUDED.value",
                    &[&tree, &keys, &values, &removed],
                )
                .await
                .map_err(pg_error)
                .map(|_| ())
        })
    }

    /// Removes every entry of `tree` (durably).
    pub(crate) fn clear(&self, tree: &str) -> Result<(), Error> {
        self.write_sql("DELETE FROM chronique_trees WHERE tree = $1", tree)
    }

    fn write_sql(&self, sql: &'static str, argument: &str) -> Result<(), Error> {
        let writer = self.writer.clone();
        let argument = argument.to_owned();
        self.run(async move {
            let client = writer.lock().await;
            client
                .execute(sql, &[&argument])
                .await
                .map_err(pg_error)
                .map(|_| ())
        })
    }

    /// The names of the trees that hold at least one entry.
    pub(crate) fn tree_names(&self) -> Result<Vec<String>, Error> {
        let client = self.reader();
        self.run(async move {
            let rows = client
                .query("SELECT DISTINCT tree FROM chronique_trees", &[])
                .await
                .map_err(pg_error)?;
            Ok(rows.into_iter().map(|row| row.get(0)).collect())
        })
    }

    /// The bytes of the store's two tables on disk, with their indexes and TOAST.
    pub(crate) fn size_on_disk(&self) -> Result<u64, Error> {
        let client = self.reader();
        self.run(async move {
            let size: i64 = client
                .query_one(
                    "SELECT (pg_total_relation_size('chronique_trees') \
                     + pg_total_relation_size('chronique_files'))::bigint",
                    &[],
                )
                .await
                .map_err(pg_error)?
                .get(0);
            Ok(size.max(0) as u64)
        })
    }

    /// The file `name` (its parts joined), `None` when there is none.
    pub(crate) fn read_file(&self, name: &str) -> Result<Option<Vec<u8>>, Error> {
        let client = self.reader();
        let name = name.to_owned();
        self.run(async move {
            let rows = client
                .query(
                    "SELECT content FROM chronique_files WHERE name = $1 ORDER BY part",
                    &[&name],
                )
                .await
                .map_err(pg_error)?;
            if rows.is_empty() {
                return Ok(None);
            }
            let mut bytes = Vec::new();
            for row in rows {
                bytes.extend_from_slice(row.get::<_, &[u8]>(0));
            }
            Ok(Some(bytes))
        })
    }

    /// Replaces the file `name` whole, in one transaction.
    pub(crate) fn write_file(&self, name: &str, bytes: &[u8]) -> Result<(), Error> {
        self.write_file_at(name, 0, bytes)
    }

    /// Replaces the file `name` whole by one part keyed `part`, in one transaction.
    pub(crate) fn write_file_at(&self, name: &str, part: i64, bytes: &[u8]) -> Result<(), Error> {
        let writer = self.writer.clone();
        let (name, bytes) = (name.to_owned(), bytes.to_vec());
        self.run(async move {
            let mut client = writer.lock().await;
            let transaction = client.transaction().await.map_err(pg_error)?;
            transaction
                .execute("DELETE FROM chronique_files WHERE name = $1", &[&name])
                .await
                .map_err(pg_error)?;
            transaction
                .execute(
                    "INSERT INTO chronique_files (name, part, content) VALUES ($1, $2, $3)",
                    &[&name, &part, &bytes],
                )
                .await
                .map_err(pg_error)?;
            transaction.commit().await.map_err(pg_error)
        })
    }

    /// Appends `bytes` to the file `name` as a new part keyed `part`, greater than the keys of
    /// its other parts (durably).
    pub(crate) fn append_part(&self, name: &str, part: i64, bytes: &[u8]) -> Result<(), Error> {
        let writer = self.writer.clone();
        let (name, bytes) = (name.to_owned(), bytes.to_vec());
        self.run(async move {
            let client = writer.lock().await;
            client
                .execute(
                    "INSERT INTO chronique_files (name, part, content) VALUES ($1, $2, $3)",
                    &[&name, &part, &bytes],
                )
                .await
                .map_err(pg_error)
                .map(|_| ())
        })
    }

    /// The part of the file `name` with the greatest key at most `at`, with its key.
    pub(crate) fn part_at(&self, name: &str, at: i64) -> Result<Option<(i64, Vec<u8>)>, Error> {
        let client = self.reader();
        let name = name.to_owned();
        self.run(async move {
            let row = client
                .query_opt(
                    "SELECT part, content FROM chronique_files WHERE name = $1 AND part <= $2 \
                     ORDER BY part DESC LIMIT 1",
                    &[&name, &at],
                )
                .await
                .map_err(pg_error)?;
            Ok(row.map(|row| (row.get(0), row.get(1))))
        })
    }

    /// Removes the parts keyed above `after` of the files whose names start with `prefix`.
    pub(crate) fn remove_parts_after(&self, prefix: &str, after: i64) -> Result<(), Error> {
        let writer = self.writer.clone();
        let prefix = prefix.to_owned();
        self.run(async move {
            let client = writer.lock().await;
            client
                .execute(
                    "DELETE FROM chronique_files WHERE starts_with(name, $1) AND part > $2",
                    &[&prefix, &after],
                )
                .await
                .map_err(pg_error)
                .map(|_| ())
        })
    }

    /// Removes the file `name`; nothing happens when there is none.
    pub(crate) fn remove_file(&self, name: &str) -> Result<(), Error> {
        self.write_sql("DELETE FROM chronique_files WHERE name = $1", name)
    }

    /// The names of the files that start with `prefix`.
    pub(crate) fn list_files(&self, prefix: &str) -> Result<Vec<String>, Error> {
        let client = self.reader();
        let prefix = prefix.to_owned();
        self.run(async move {
            let rows = client
                .query(
                    "SELECT DISTINCT name FROM chronique_files WHERE starts_with(name, $1) ORDER BY name",
                    &[&prefix],
                )
                .await
                .map_err(pg_error)?;
            Ok(rows.into_iter().map(|row| row.get(0)).collect())
        })
    }
}

/// The `(key, value)` of rows whose first two columns are those.
fn entries(rows: Vec<tokio_postgres::Row>) -> Vec<(IVec, IVec)> {
    rows.into_iter()
        .map(|row| {
            (
                IVec::from(row.get::<_, Vec<u8>>(0)),
                IVec::from(row.get::<_, Vec<u8>>(1)),
            )
        })
        .collect()
}

/// Which end of a range page is exclusive.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Bound {
    None,
    Start,
    End,
}

/// A range of one tree read lazily, a page at a time.
pub(crate) struct PgRange {
    pg: Arc<Pg>,
    tree: String,
    start: Vec<u8>,
    end: Vec<u8>,
    exclusive: Bound,
    backward: bool,
    page: std::collections::VecDeque<(IVec, IVec)>,
    done: bool,
}

impl PgRange {
    pub(crate) fn new(
        pg: Arc<Pg>,
        tree: &str,
        start: Vec<u8>,
        end: Vec<u8>,
        backward: bool,
    ) -> PgRange {
        PgRange {
            pg,
            tree: tree.to_owned(),
            start,
            end,
            exclusive: Bound::None,
            backward,
            page: std::collections::VecDeque::new(),
            done: false,
        }
    }
}

impl Iterator for PgRange {
    type Item = Result<(IVec, IVec), Error>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.page.is_empty() && !self.done {
            match self.pg.range_page(
                &self.tree,
                &self.start,
                &self.end,
                self.exclusive,
                self.backward,
                PAGE_ROWS,
            ) {
                Err(error) => {
                    self.done = true;
                    return Some(Err(error));
                }
                Ok(rows) => {
                    if (rows.len() as i64) < PAGE_ROWS {
                        self.done = true;
                    }
                    if let Some((last, _)) = rows.last() {
                        if self.backward {
                            self.end = last.to_vec();
                            self.exclusive = Bound::End;
                        } else {
                            self.start = last.to_vec();
                            self.exclusive = Bound::Start;
                        }
                    }
                    self.page.extend(rows);
                }
            }
        }
        self.page.pop_front().map(Ok)
    }
}

/// Benchmark support: the URL of a new, empty schema `name` on the server at `url` (dropped
/// first if it exists), so that each figure is measured on a fresh store.
pub fn fresh_schema(url: &str, name: &str) -> Result<String, Error> {
    execute_once(
        url,
        format!("DROP SCHEMA IF EXISTS {name} CASCADE; CREATE SCHEMA {name}"),
    )?;
    let separator = if url.contains('?') { '&' } else { '?' };
    Ok(format!("{url}{separator}options=-csearch_path%3D{name}"))
}

/// Benchmark support: drops the schema `name` and everything in it.
pub fn drop_schema(url: &str, name: &str) -> Result<(), Error> {
    execute_once(url, format!("DROP SCHEMA IF EXISTS {name} CASCADE"))
}

/// Runs `sql` on a connection of its own, from a thread of its own (the caller may be inside a
/// runtime).
fn execute_once(url: &str, sql: String) -> Result<(), Error> {
    let (url, root_cert) = take_root_cert(url);
    let tls = tls_connector(root_cert.as_deref())?;
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        runtime.block_on(async {
            let (client, connection) =
                tokio_postgres::connect(&url, tls).await.map_err(pg_error)?;
            tokio::spawn(connection);
            client.batch_execute(&sql).await.map_err(pg_error)
        })
    })
    .join()
    .map_err(|_| Error::Bug("the thread of a PostgreSQL command panicked".to_owned()))?
}

/// The comparison `chronique bench` prints beside the PostgreSQL engine: a plain event table,
/// as a typical event-store library lays it out (a global position from a sequence, a unique
/// stream and version, the type, the data and metadata, the time), with `clients` connections
/// each inserting one event per transaction (autocommit) for `duration`. Events per second.
pub fn plain_table_inserts(
    url: &str,
    clients: usize,
    duration: std::time::Duration,
    payload: fn(u64) -> Vec<u8>,
) -> Result<f64, Error> {
    const TABLE: &str = "
        DROP TABLE IF EXISTS plain_events;
        CREATE TABLE plain_events (
            global_position bigserial PRIMARY KEY,
            stream_id text NOT NULL,
            stream_version bigint NOT NULL,
            event_type text NOT NULL,
            data bytea NOT NULL,
            metadata jsonb NOT NULL,
            created_at timestamptz NOT NULL DEFAULT now(),
            UNIQUE (stream_id, stream_version)
        );";
    let (url, root_cert) = take_root_cert(url);
    let tls = tls_connector(root_cert.as_deref())?;
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()?;
        runtime.block_on(async move {
            let (client, connection) = tokio_postgres::connect(&url, tls.clone())
                .await
                .map_err(pg_error)?;
            tokio::spawn(connection);
            client.batch_execute(TABLE).await.map_err(pg_error)?;
            let counter = Arc::new(std::sync::atomic::AtomicU64::new(0));
            let started = std::time::Instant::now();
            let mut tasks = Vec::new();
            for writer in 0..clients {
                let (url, counter, tls) = (url.clone(), counter.clone(), tls.clone());
                tasks.push(tokio::spawn(async move {
                    let (client, connection) = tokio_postgres::connect(&url, tls)
                        .await
                        .map_err(pg_error)?;
                    tokio::spawn(connection);
                    let insert = client
                        .prepare(
                            "INSERT INTO plain_events (stream_id, stream_version, event_type, data, metadata) \
                             VALUES ($1, $2, 'BenchEvent', $3, '{\"actor\": \"bench\"}')",
                        )
                        .await
                        .map_err(pg_error)?;
                    let stream = format!("action-bench.w{writer}");
                    let mut version = 0i64;
                    while started.elapsed() < duration {
                        version += 1;
                        let data = payload(version as u64);
                        client
                            .execute(&insert, &[&stream, &version, &data])
                            .await
                            .map_err(pg_error)?;
                        counter.fetch_add(1, Ordering::Relaxed);
                    }
                    Ok::<(), Error>(())
                }));
            }
            for task in tasks {
                task.await
                    .map_err(|e| Error::Bug(format!("bench task failed: {e}")))??;
            }
            let rate =
                counter.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64();
            client
                .batch_execute("DROP TABLE plain_events")
                .await
                .map_err(pg_error)?;
            Ok(rate)
        })
    })
    .join()
    .map_err(|_| Error::Bug("the thread of the plain-table benchmark panicked".to_owned()))?
}
