//! The key-value area: named sled trees beside the log, for checkpoints, snapshots and the
//! token store. They are not part of the log: not hashed, not exported, not imported.

use crate::Error;

/// A named tree of the key-value area. Cloning is cheap.
#[derive(Clone)]
pub struct KvTree {
    name: String,
    db: sled::Db,
    tree: sled::Tree,
}

/// Several writes to one [`KvTree`], applied atomically by [`KvTree::apply`].
#[derive(Default)]
pub struct KvBatch {
    batch: sled::Batch,
}

impl KvBatch {
    pub fn insert(&mut self, key: impl AsRef<[u8]>, value: impl AsRef<[u8]>) {
        self.batch.insert(key.as_ref(), value.as_ref());
    }

    pub fn remove(&mut self, key: impl AsRef<[u8]>) {
        self.batch.remove(key.as_ref());
    }
}

impl KvTree {
    pub(crate) fn open(db: &sled::Db, name: &str) -> Result<KvTree, Error> {
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
        Ok(KvTree {
            name: name.to_owned(),
            db: db.clone(),
            tree: db.open_tree(format!("kv/{name}"))?,
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn get(&self, key: impl AsRef<[u8]>) -> Result<Option<Vec<u8>>, Error> {
        Ok(self.tree.get(key)?.map(|v| v.to_vec()))
    }

    /// Writes one key (durable at the next [`KvTree::flush`] or background flush).
    pub fn insert(&self, key: impl AsRef<[u8]>, value: impl AsRef<[u8]>) -> Result<(), Error> {
        self.tree.insert(key.as_ref(), value.as_ref())?;
        Ok(())
    }

    pub fn remove(&self, key: impl AsRef<[u8]>) -> Result<(), Error> {
        self.tree.remove(key)?;
        Ok(())
    }

    /// Applies every write of the batch atomically: after a crash, all or none are there.
    pub fn apply(&self, batch: KvBatch) -> Result<(), Error> {
        self.tree.apply_batch(batch.batch)?;
        Ok(())
    }

    /// Every `(key, value)` whose key starts with `prefix`, in key order.
    pub fn scan_prefix(
        &self,
        prefix: impl AsRef<[u8]>,
    ) -> impl Iterator<Item = Result<(Vec<u8>, Vec<u8>), Error>> + Send + 'static {
        self.tree.scan_prefix(prefix).map(|entry| {
            entry
                .map(|(k, v)| (k.to_vec(), v.to_vec()))
                .map_err(Error::from)
        })
    }

    /// Makes every write so far durable.
    pub fn flush(&self) -> Result<(), Error> {
        self.db.flush()?;
        Ok(())
    }
}
