//! The two engines behind one interface: ordered trees of bytes, written in atomic batches.
//!
//! sled (a directory, the embedded default) and PostgreSQL (`pg.rs`, for hosted deployments)
//! give the same operations; the log's layout, its writer, its checks and its guarantees are
//! written once above them. What differs is when a write is durable: sled's at the next flush,
//! PostgreSQL's when its transaction commits (so its flush does nothing).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use sled::IVec;

use crate::Error;
use crate::pg::{Pg, PgRange};

/// Where a store lives: a directory (sled) or a PostgreSQL database.
#[derive(Clone, PartialEq, Eq)]
pub enum StoreLocation {
    Dir(PathBuf),
    Postgres(String),
}

impl StoreLocation {
    /// `postgres://…` or `postgresql://…` names a database; anything else a directory.
    pub fn parse(location: &str) -> StoreLocation {
        if crate::pg::is_postgres_url(location) {
            StoreLocation::Postgres(location.to_owned())
        } else {
            StoreLocation::Dir(PathBuf::from(location))
        }
    }

    /// The directory, for a sled store.
    pub fn dir(&self) -> Option<&Path> {
        match self {
            StoreLocation::Dir(dir) => Some(dir),
            StoreLocation::Postgres(_) => None,
        }
    }
}

/// Shown without the password of a PostgreSQL URL.
impl std::fmt::Display for StoreLocation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StoreLocation::Dir(dir) => write!(f, "{}", dir.display()),
            StoreLocation::Postgres(url) => f.write_str(&crate::pg::redact(url)),
        }
    }
}

impl std::fmt::Debug for StoreLocation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "StoreLocation({self})")
    }
}

/// An open store's engine.
#[derive(Clone)]
pub(crate) enum Db {
    Sled(sled::Db),
    Pg(Arc<Pg>),
}

/// One ordered tree of an engine.
#[derive(Clone)]
pub(crate) enum Tree {
    Sled(sled::Tree),
    Pg { pg: Arc<Pg>, name: String },
}

/// Writes to one tree, applied atomically; a later write of a key overrides an earlier one.
#[derive(Default)]
pub(crate) struct Batch {
    ops: Vec<(Vec<u8>, Option<Vec<u8>>)>,
}

impl Batch {
    pub(crate) fn insert(&mut self, key: impl Into<Vec<u8>>, value: impl Into<Vec<u8>>) {
        self.ops.push((key.into(), Some(value.into())));
    }

    pub(crate) fn remove(&mut self, key: impl Into<Vec<u8>>) {
        self.ops.push((key.into(), None));
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }
}

/// Entries of a tree, read lazily.
pub(crate) type Entries = Box<dyn Iterator<Item = Result<(IVec, IVec), Error>> + Send>;

impl Db {
    pub(crate) fn open_tree(&self, name: &str) -> Result<Tree, Error> {
        match self {
            Db::Sled(db) => Ok(Tree::Sled(db.open_tree(name)?)),
            Db::Pg(pg) => Ok(Tree::Pg {
                pg: pg.clone(),
                name: name.to_owned(),
            }),
        }
    }

    /// Makes every write so far durable (a PostgreSQL write is durable when it returns).
    pub(crate) fn flush(&self) -> Result<(), Error> {
        match self {
            Db::Sled(db) => db.flush().map(|_| ()).map_err(Error::from),
            Db::Pg(_) => Ok(()),
        }
    }

    pub(crate) fn size_on_disk(&self) -> Result<u64, Error> {
        match self {
            Db::Sled(db) => Ok(db.size_on_disk()?),
            Db::Pg(pg) => pg.size_on_disk(),
        }
    }

    /// The names of the trees (on PostgreSQL, of those holding an entry).
    pub(crate) fn tree_names(&self) -> Result<Vec<String>, Error> {
        match self {
            Db::Sled(db) => Ok(db
                .tree_names()
                .iter()
                .map(|name| String::from_utf8_lossy(name).into_owned())
                .collect()),
            Db::Pg(pg) => pg.tree_names(),
        }
    }

    /// Whether the tree `name` exists and holds something.
    pub(crate) fn has_tree(&self, name: &str) -> Result<bool, Error> {
        match self {
            Db::Sled(db) => Ok(db
                .tree_names()
                .iter()
                .any(|t| t.as_ref() == name.as_bytes())),
            Db::Pg(pg) => Ok(pg.tree_names()?.iter().any(|t| t == name)),
        }
    }
}

impl Tree {
    /// Whether each read is a round trip to a server (PostgreSQL): long reads then go by pages
    /// of entries rather than one lookup each.
    pub(crate) fn is_remote(&self) -> bool {
        matches!(self, Tree::Pg { .. })
    }

    /// The values of `keys`, in their order: one query on PostgreSQL.
    pub(crate) fn get_many(&self, keys: Vec<Vec<u8>>) -> Result<Vec<Option<IVec>>, Error> {
        match self {
            Tree::Sled(tree) => keys
                .iter()
                .map(|key| tree.get(key).map_err(Error::from))
                .collect(),
            Tree::Pg { pg, name } => pg.get_many(name, keys),
        }
    }

    /// For each of `positions`, the entry with the greatest key at most `prefix ‖ position`
    /// among those starting with `prefix`, each entry once, in key order (PostgreSQL: one
    /// query; sled: one lookup each).
    pub(crate) fn floor_entries(
        &self,
        prefix: u8,
        positions: &[u64],
    ) -> Result<Vec<(IVec, IVec)>, Error> {
        match self {
            Tree::Sled(_) => {
                let mut found: Vec<(IVec, IVec)> = Vec::new();
                for &position in positions {
                    let mut high = vec![prefix];
                    high.extend_from_slice(&position.to_be_bytes());
                    if let Some(entry) = self.last_in(&[prefix], &high)?
                        && !found.iter().any(|(key, _)| key == &entry.0)
                    {
                        found.push(entry);
                    }
                }
                found.sort_by(|a, b| a.0.cmp(&b.0));
                Ok(found)
            }
            Tree::Pg { pg, name } => pg.floor_entries(name, prefix, positions),
        }
    }

    pub(crate) fn get(&self, key: impl AsRef<[u8]>) -> Result<Option<IVec>, Error> {
        match self {
            Tree::Sled(tree) => Ok(tree.get(key)?),
            Tree::Pg { pg, name } => pg.get(name, key.as_ref()),
        }
    }

    /// The first entry with `start <= key <= end`.
    pub(crate) fn first_in(&self, start: &[u8], end: &[u8]) -> Result<Option<(IVec, IVec)>, Error> {
        match self {
            Tree::Sled(tree) => Ok(tree.range(start..=end).next().transpose()?),
            Tree::Pg { pg, name } => Ok(pg
                .range_page(name, start, end, crate::pg::Bound::None, false, 1)?
                .into_iter()
                .next()),
        }
    }

    /// The last entry with `start <= key <= end`.
    pub(crate) fn last_in(&self, start: &[u8], end: &[u8]) -> Result<Option<(IVec, IVec)>, Error> {
        match self {
            Tree::Sled(tree) => Ok(tree.range(start..=end).next_back().transpose()?),
            Tree::Pg { pg, name } => Ok(pg
                .range_page(name, start, end, crate::pg::Bound::None, true, 1)?
                .into_iter()
                .next()),
        }
    }

    /// Entries with `start <= key <= end`, in key order or its reverse.
    pub(crate) fn range(&self, start: &[u8], end: &[u8], backward: bool) -> Entries {
        match self {
            Tree::Sled(tree) => {
                let range = tree.range(start..=end);
                if backward {
                    Box::new(range.rev().map(|e| e.map_err(Error::from)))
                } else {
                    Box::new(range.map(|e| e.map_err(Error::from)))
                }
            }
            Tree::Pg { pg, name } => Box::new(PgRange::new(
                pg.clone(),
                name,
                start.to_vec(),
                end.to_vec(),
                backward,
            )),
        }
    }

    /// Entries whose key starts with `prefix`, in key order or its reverse.
    pub(crate) fn scan_prefix(&self, prefix: &[u8], backward: bool) -> Entries {
        match self {
            Tree::Sled(tree) => {
                let scan = tree.scan_prefix(prefix);
                if backward {
                    Box::new(scan.rev().map(|e| e.map_err(Error::from)))
                } else {
                    Box::new(scan.map(|e| e.map_err(Error::from)))
                }
            }
            Tree::Pg { .. } => {
                // Every key with the prefix sorts between the prefix and the prefix followed
                // by enough 0xff bytes (keys here are far shorter than 4 KiB).
                let mut end = prefix.to_vec();
                end.extend(std::iter::repeat_n(0xff, 4096));
                self.range(prefix, &end, backward)
            }
        }
    }

    /// Every entry, in key order.
    pub(crate) fn iter(&self) -> Entries {
        self.scan_prefix(&[], false)
    }

    pub(crate) fn is_empty(&self) -> Result<bool, Error> {
        Ok(self.iter().next().transpose()?.is_none())
    }

    pub(crate) fn insert(
        &self,
        key: impl AsRef<[u8]>,
        value: impl AsRef<[u8]>,
    ) -> Result<(), Error> {
        let mut batch = Batch::default();
        batch.insert(key.as_ref(), value.as_ref());
        self.apply_batch(batch)
    }

    pub(crate) fn remove(&self, key: impl AsRef<[u8]>) -> Result<(), Error> {
        let mut batch = Batch::default();
        batch.remove(key.as_ref());
        self.apply_batch(batch)
    }

    /// Applies the batch atomically (durably at once on PostgreSQL, at the next flush on sled).
    pub(crate) fn apply_batch(&self, batch: Batch) -> Result<(), Error> {
        if batch.is_empty() {
            return Ok(());
        }
        match self {
            Tree::Sled(tree) => {
                let mut sled_batch = sled::Batch::default();
                for (key, value) in batch.ops {
                    match value {
                        Some(value) => sled_batch.insert(key, value),
                        None => sled_batch.remove(key),
                    }
                }
                Ok(tree.apply_batch(sled_batch)?)
            }
            Tree::Pg { pg, name } => pg.apply(name, batch.ops),
        }
    }

    pub(crate) fn clear(&self) -> Result<(), Error> {
        match self {
            Tree::Sled(tree) => Ok(tree.clear()?),
            Tree::Pg { pg, name } => pg.clear(name),
        }
    }
}
