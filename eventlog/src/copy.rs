//! Opening a store without changing a byte of it: look at its directory first, then work on a
//! temporary copy.
//!
//! sled 0.34 has no read-only open: opening replays its log, may truncate a torn tail, delete
//! blobs and write a new snapshot, and closing flushes. That is right for a store being served,
//! but a command that is about to refuse a store (damaged, of another format, not a store at
//! all) must leave it as it was, so that an operator can still restore or inspect the original
//! files; and `verify` and `export` must work without write access. Only opening can tell
//! whether sled will accept a store, so the store's files are copied to a temporary directory
//! and the copy is opened: whatever sled does, it does to the copy. The cost is disk space equal
//! to the store's size in the temporary directory (`TMPDIR`, `/tmp` by default), and the time
//! to copy it, at each such open.

use std::path::{Path, PathBuf};

use crate::{Error, EventLog, Options};

/// What a directory holds, as seen before sled opens it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// Nothing there: opening creates a new store.
    Missing,
    /// An empty directory: opening creates a new store.
    Empty,
    /// sled's files (`conf` or `db`): a store, possibly damaged.
    Store,
    /// A directory with other files: not a store; nothing may be written into it.
    Foreign,
}

/// Looks at `path` without changing it. A store held by another process is [`Error::Locked`]
/// (sled locks its `db` file with `flock`; the lock is tried and released at once).
pub fn inspect(path: &Path) -> Result<Layout, Error> {
    let mut entries = match std::fs::read_dir(path) {
        Ok(entries) => entries,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(Layout::Missing),
        Err(error) => return Err(error.into()),
    };
    if entries.next().is_none() {
        return Ok(Layout::Empty);
    }
    if !path.join("conf").exists() && !path.join("db").exists() {
        return Ok(Layout::Foreign);
    }
    // Holding the lock only for this check; the caller opens (or copies) right after.
    drop(lock_shared(path)?);
    Ok(Layout::Store)
}

/// A shared `flock` on the store's `db` file, which sled's exclusive lock excludes: while it
/// is held no server can open the store, and if a server holds it this is `Locked`.
fn lock_shared(path: &Path) -> Result<Option<std::fs::File>, Error> {
    let file = match std::fs::File::open(path.join("db")) {
        Ok(file) => file,
        // A store without its `db` file is damaged; opening the copy will say how.
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(error) => return Err(error.into()),
    };
    match file.try_lock_shared() {
        Ok(()) => Ok(Some(file)),
        Err(std::fs::TryLockError::WouldBlock) => Err(Error::Locked {
            path: path.display().to_string(),
        }),
        Err(std::fs::TryLockError::Error(error)) => Err(error.into()),
    }
}

/// An [`EventLog`] opened on a temporary copy of a store; the copy is deleted on drop, after
/// the log is closed.
pub struct CopiedLog {
    log: Option<EventLog>,
    _directory: tempfile::TempDir,
    bytes: u64,
}

impl CopiedLog {
    /// Bytes copied: the temporary disk space this open costs.
    pub fn bytes_copied(&self) -> u64 {
        self.bytes
    }
}

impl std::ops::Deref for CopiedLog {
    type Target = EventLog;

    fn deref(&self) -> &EventLog {
        self.log
            .as_ref()
            .expect("the log lives as long as its copy")
    }
}

impl Drop for CopiedLog {
    fn drop(&mut self) {
        // The log (and its writer, and sled's lock) goes first, then the directory.
        drop(self.log.take());
    }
}

impl EventLog {
    /// Opens a temporary copy of the store in `path`, leaving `path` untouched (it needs read
    /// access only). Refuses a store held by another process ([`Error::Locked`]) and a missing
    /// or foreign directory ([`Error::InvalidInput`]); otherwise the errors of
    /// [`EventLog::open`], found on the copy. Appends to the copy are lost when it is dropped.
    pub fn open_copy(path: impl AsRef<Path>, options: Options) -> Result<CopiedLog, Error> {
        let path = path.as_ref();
        match inspect(path)? {
            Layout::Store => {}
            other => {
                return Err(Error::InvalidInput(format!(
                    "{} holds no store ({other:?})",
                    path.display()
                )));
            }
        }
        let directory = tempfile::Builder::new()
            .prefix("chronique-copy-")
            .tempdir()?;
        let bytes = {
            // No server may start writing while the files are copied, or the copy would mix
            // two moments of the store.
            let _lock = lock_shared(path)?;
            copy_tree(path, directory.path())?
        };
        let log = EventLog::open(directory.path(), options)?;
        Ok(CopiedLog {
            log: Some(log),
            _directory: directory,
            bytes,
        })
    }
}

/// Copies the files under `from` into `to` (which exists), owner-writable whatever the
/// original's permissions were (sled opens its files for writing). Returns the bytes copied.
fn copy_tree(from: &Path, to: &Path) -> Result<u64, Error> {
    use std::os::unix::fs::PermissionsExt;
    let mut bytes = 0;
    let mut pending: Vec<(PathBuf, PathBuf)> = vec![(from.to_path_buf(), to.to_path_buf())];
    while let Some((source, target)) = pending.pop() {
        for entry in std::fs::read_dir(&source)? {
            let entry = entry?;
            let kind = entry.file_type()?;
            let destination = target.join(entry.file_name());
            if kind.is_dir() {
                std::fs::create_dir(&destination)?;
                std::fs::set_permissions(&destination, std::fs::Permissions::from_mode(0o700))?;
                pending.push((entry.path(), destination));
            } else if kind.is_file() {
                bytes += std::fs::copy(entry.path(), &destination)?;
                std::fs::set_permissions(&destination, std::fs::Permissions::from_mode(0o600))?;
            }
        }
    }
    Ok(bytes)
}
