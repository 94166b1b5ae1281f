//! Whole files beside the log, for what must be rewritable to the last byte: the read models'
//! snapshot holds texts that an erasure removes, and sled keeps overwritten values inside its
//! files for a while, so such data is never given to sled. A file is written to a copy, fsync'd
//! and renamed over the old one, then the directory is fsync'd: after a crash it is the old
//! file or the new one, whole; after a rewrite or a removal, the old bytes are in no file of the
//! store.

use std::io::Write;
use std::path::Path;

use crate::{Error, EventLog};

/// The directory of these files, inside the store's.
pub(crate) const DIR: &str = "files";

fn check_name(name: &str) -> Result<(), Error> {
    if name.is_empty()
        || name.starts_with('.')
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    {
        return Err(Error::InvalidInput(format!(
            "« {name} » n'est pas un nom de fichier du registre"
        )));
    }
    Ok(())
}

/// Writes `files/<name>` of the store in `store` whole (atomically, durably).
pub(crate) fn write(store: &Path, name: &str, bytes: &[u8]) -> Result<(), Error> {
    check_name(name)?;
    let dir = store.join(DIR);
    std::fs::create_dir_all(&dir)?;
    let tmp = dir.join(format!(".{name}.tmp"));
    {
        let mut file = std::fs::File::create(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
    }
    std::fs::rename(&tmp, dir.join(name))?;
    std::fs::File::open(&dir)?.sync_all()?;
    Ok(())
}

/// `files/<name>` of the store in `store`, `None` when there is none.
pub(crate) fn read(store: &Path, name: &str) -> Result<Option<Vec<u8>>, Error> {
    check_name(name)?;
    match std::fs::read(store.join(DIR).join(name)) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e.into()),
    }
}

impl EventLog {
    /// Writes the file `name` whole (atomically, durably), replacing what it held.
    pub fn write_file(&self, name: &str, bytes: &[u8]) -> Result<(), Error> {
        write(self.path(), name, bytes)
    }

    /// The file `name`, `None` when there is none.
    pub fn read_file(&self, name: &str) -> Result<Option<Vec<u8>>, Error> {
        read(self.path(), name)
    }

    /// Removes the file `name` (durably); nothing happens when there is none.
    pub fn remove_file(&self, name: &str) -> Result<(), Error> {
        check_name(name)?;
        let dir = self.path().join(DIR);
        match std::fs::remove_file(dir.join(name)) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(e.into()),
        }
        std::fs::File::open(&dir)?.sync_all()?;
        Ok(())
    }
}
