//! The key-value area: named trees beside the log, for checkpoints, secrets, tokens, people and
//! the names of actors. They are not part of the log: not hashed, not exported, not imported.
//!
//! A tree is kept either in sled ([`crate::EventLog::kv_tree`]) or, when it holds what may have
//! to be erased (names, addresses), in one file beside the log rewritten whole at each write
//! ([`crate::EventLog::erasable_kv_tree`]): sled keeps overwritten values inside its files for
//! a while, a rewritten file does not.

use std::collections::BTreeMap;
use std::sync::Arc;

use parking_lot::Mutex;

use crate::engine::{self, Db, Tree};
use crate::files::Area;
use crate::{Error, EventLog, codec};

/// A named tree of the key-value area. Cloning is cheap.
#[derive(Clone)]
pub struct KvTree {
    name: String,
    backing: Backing,
}

#[derive(Clone)]
enum Backing {
    Engine { db: Db, tree: Tree },
    File(Arc<FileTree>),
}

/// A tree kept in the file `files/<name>.kv`, in memory, rewritten whole at each write.
pub(crate) struct FileTree {
    /// The store's files (not the log's handle: the handle keeps its trees).
    area: Area,
    file: String,
    map: Mutex<BTreeMap<Vec<u8>, Vec<u8>>>,
}

impl FileTree {
    fn persist(&self, map: &BTreeMap<Vec<u8>, Vec<u8>>) -> Result<(), Error> {
        let entries: Vec<(&Vec<u8>, &Vec<u8>)> = map.iter().collect();
        self.area
            .write(crate::files::DIR, &self.file, &codec::encode(&entries)?)
    }
}

/// The `(key, value)` pairs [`KvTree::scan_prefix`] gives.
pub type Entries = Box<dyn Iterator<Item = Result<(Vec<u8>, Vec<u8>), Error>> + Send + 'static>;

/// Several writes to one [`KvTree`], applied atomically by [`KvTree::apply`].
#[derive(Default)]
pub struct KvBatch {
    ops: Vec<(Vec<u8>, Option<Vec<u8>>)>,
}

impl KvBatch {
    pub fn insert(&mut self, key: impl AsRef<[u8]>, value: impl AsRef<[u8]>) {
        self.ops
            .push((key.as_ref().to_vec(), Some(value.as_ref().to_vec())));
    }

    pub fn remove(&mut self, key: impl AsRef<[u8]>) {
        self.ops.push((key.as_ref().to_vec(), None));
    }
}

fn check_name(name: &str) -> Result<(), Error> {
    let valid = !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if !valid {
        return Err(Error::InvalidInput(format!(
            "invalid key-value tree name {name:?}: expected 1 to 64 of a-z, 0-9 and '-'"
        )));
    }
    Ok(())
}

/// Opens the file-kept tree `name` of `log`: loads its file, or, the first time, moves into it
/// what an earlier build kept in sled's tree of the same name (then emptied).
pub(crate) fn open_file_tree(log: &EventLog, db: &Db, name: &str) -> Result<FileTree, Error> {
    check_name(name)?;
    let file = format!("{name}.kv");
    let map: BTreeMap<Vec<u8>, Vec<u8>> = match log.area().read(crate::files::DIR, &file)? {
        Some(bytes) => codec::decode_bounded::<Vec<(Vec<u8>, Vec<u8>)>>(&bytes)
            .map_err(|e| Error::Corruption {
                at: None,
                detail: format!("the file of key-value tree {name} does not decode: {e}"),
            })?
            .into_iter()
            .collect(),
        None => BTreeMap::new(),
    };
    let tree = FileTree {
        area: log.area().clone(),
        file,
        map: Mutex::new(map),
    };
    let sled_name = format!("kv/{name}");
    if db.has_tree(&sled_name)? {
        let old = db.open_tree(&sled_name)?;
        if !old.is_empty()? {
            let mut map = tree.map.lock();
            for entry in old.iter() {
                let (k, v) = entry?;
                map.entry(k.to_vec()).or_insert_with(|| v.to_vec());
            }
            tree.persist(&map)?;
            old.clear()?;
            db.flush()?;
        }
    }
    Ok(tree)
}

impl KvTree {
    pub(crate) fn file(name: &str, tree: Arc<FileTree>) -> KvTree {
        KvTree {
            name: name.to_owned(),
            backing: Backing::File(tree),
        }
    }

    pub(crate) fn open(db: &Db, name: &str) -> Result<KvTree, Error> {
        check_name(name)?;
        Ok(KvTree {
            name: name.to_owned(),
            backing: Backing::Engine {
                db: db.clone(),
                tree: db.open_tree(&format!("kv/{name}"))?,
            },
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn get(&self, key: impl AsRef<[u8]>) -> Result<Option<Vec<u8>>, Error> {
        match &self.backing {
            Backing::Engine { tree, .. } => Ok(tree.get(key)?.map(|v| v.to_vec())),
            Backing::File(file) => Ok(file.map.lock().get(key.as_ref()).cloned()),
        }
    }

    /// Writes one key (durable at the next [`KvTree::flush`] or background flush; at once for
    /// a file-kept tree).
    pub fn insert(&self, key: impl AsRef<[u8]>, value: impl AsRef<[u8]>) -> Result<(), Error> {
        let mut batch = KvBatch::default();
        batch.insert(key, value);
        self.apply(batch)
    }

    pub fn remove(&self, key: impl AsRef<[u8]>) -> Result<(), Error> {
        let mut batch = KvBatch::default();
        batch.remove(key);
        self.apply(batch)
    }

    /// Applies every write of the batch atomically: after a crash, all or none are there.
    pub fn apply(&self, batch: KvBatch) -> Result<(), Error> {
        match &self.backing {
            Backing::Engine { tree, .. } => {
                let mut engine_batch = engine::Batch::default();
                for (key, value) in batch.ops {
                    match value {
                        Some(value) => engine_batch.insert(key, value),
                        None => engine_batch.remove(key),
                    }
                }
                tree.apply_batch(engine_batch)?;
            }
            Backing::File(file) => {
                let mut map = file.map.lock();
                let mut next = map.clone();
                for (key, value) in batch.ops {
                    match value {
                        Some(value) => next.insert(key, value),
                        None => next.remove(&key),
                    };
                }
                file.persist(&next)?;
                *map = next;
            }
        }
        Ok(())
    }

    /// Every `(key, value)` whose key starts with `prefix`, in key order.
    pub fn scan_prefix(&self, prefix: impl AsRef<[u8]>) -> Entries {
        match &self.backing {
            Backing::Engine { tree, .. } => Box::new(
                tree.scan_prefix(prefix.as_ref(), false)
                    .map(|entry| entry.map(|(k, v)| (k.to_vec(), v.to_vec()))),
            ),
            Backing::File(file) => {
                let prefix = prefix.as_ref().to_vec();
                let found: Vec<_> = file
                    .map
                    .lock()
                    .range(prefix.clone()..)
                    .take_while(|(k, _)| k.starts_with(&prefix))
                    .map(|(k, v)| Ok((k.clone(), v.clone())))
                    .collect();
                Box::new(found.into_iter())
            }
        }
    }

    /// Makes every write so far durable.
    pub fn flush(&self) -> Result<(), Error> {
        if let Backing::Engine { db, .. } = &self.backing {
            db.flush()?;
        }
        Ok(())
    }
}

impl EventLog {
    /// Copies what an export leaves out into `to`: every tree of the key-value area (tokens,
    /// people, names, secrets, checkpoints) and every file of `files/` (the read models'
    /// snapshot, the file-kept trees). For `chronique migrate`, into a store that has just
    /// received this one's export. Returns the number of entries and files copied.
    pub fn copy_key_values_to(&self, to: &EventLog) -> Result<u64, Error> {
        let mut copied = 0;
        for name in self.inner_db().tree_names()? {
            if !name.starts_with("kv/") {
                continue;
            }
            let from = self.inner_db().open_tree(&name)?;
            let mut batch = engine::Batch::default();
            for entry in from.iter() {
                let (key, value) = entry?;
                batch.insert(key.to_vec(), value.to_vec());
                copied += 1;
            }
            to.inner_db().open_tree(&name)?.apply_batch(batch)?;
        }
        for name in self.area().list(crate::files::DIR)? {
            if name.starts_with('.') {
                continue;
            }
            if let Some(bytes) = self.area().read(crate::files::DIR, &name)? {
                to.area().write(crate::files::DIR, &name, &bytes)?;
                copied += 1;
            }
        }
        to.inner_db().flush()?;
        Ok(copied)
    }
}
