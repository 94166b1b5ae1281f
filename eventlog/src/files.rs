//! Whole files beside the log, for what must be rewritable to the last byte: the read models'
//! snapshot holds texts that an erasure removes, and sled keeps overwritten values inside its
//! files for a while, so such data is never given to sled. A file is written to a copy, fsync'd
//! and renamed over the old one, then the directory is fsync'd: after a crash it is the old
//! file or the new one, whole; after a rewrite or a removal, the old bytes are in no file of the
//! store.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::pg::Pg;
use crate::{Error, EventLog};

/// The directory of these files, inside the store's.
pub(crate) const DIR: &str = "files";

/// Where a store keeps its files: in its directory (sled), or in the table `chronique_files`
/// of its database (PostgreSQL), under the same relative names (`files/…`, `texts/…`).
#[derive(Clone)]
pub(crate) enum Area {
    Dir(PathBuf),
    Pg(Arc<Pg>),
}

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

/// Writes `path` (atomically, durably): a copy, fsync'd, renamed over the old file, then the
/// directory fsync'd.
pub(crate) fn write_path(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
    let tmp = dir.join(format!(".{}.tmp", name.unwrap_or_default()));
    {
        let mut file = std::fs::File::create(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
    }
    std::fs::rename(&tmp, path)?;
    std::fs::File::open(dir)?.sync_all()?;
    Ok(())
}

impl Area {
    /// Writes `<dir>/<name>` whole (atomically, durably).
    pub(crate) fn write(&self, dir: &str, name: &str, bytes: &[u8]) -> Result<(), Error> {
        match self {
            Area::Dir(store) => write_path(&store.join(dir).join(name), bytes),
            Area::Pg(pg) => pg.write_file(&format!("{dir}/{name}"), bytes),
        }
    }

    /// `<dir>/<name>`, `None` when there is none.
    pub(crate) fn read(&self, dir: &str, name: &str) -> Result<Option<Vec<u8>>, Error> {
        match self {
            Area::Dir(store) => match std::fs::read(store.join(dir).join(name)) {
                Ok(bytes) => Ok(Some(bytes)),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                Err(e) => Err(e.into()),
            },
            Area::Pg(pg) => pg.read_file(&format!("{dir}/{name}")),
        }
    }

    /// Removes `<dir>/<name>` (durably); nothing happens when there is none.
    pub(crate) fn remove(&self, dir: &str, name: &str) -> Result<(), Error> {
        match self {
            Area::Dir(store) => {
                let dir = store.join(dir);
                match std::fs::remove_file(dir.join(name)) {
                    Ok(()) => {}
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
                    Err(e) => return Err(e.into()),
                }
                std::fs::File::open(&dir)?.sync_all()?;
                Ok(())
            }
            Area::Pg(pg) => pg.remove_file(&format!("{dir}/{name}")),
        }
    }

    /// The names of the files in `dir`.
    pub(crate) fn list(&self, dir: &str) -> Result<Vec<String>, Error> {
        match self {
            Area::Dir(store) => {
                let mut names = Vec::new();
                let entries = match std::fs::read_dir(store.join(dir)) {
                    Ok(entries) => entries,
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(names),
                    Err(e) => return Err(e.into()),
                };
                for entry in entries {
                    names.push(entry?.file_name().to_string_lossy().into_owned());
                }
                Ok(names)
            }
            Area::Pg(pg) => Ok(pg
                .list_files(&format!("{dir}/"))?
                .into_iter()
                .map(|name| name[dir.len() + 1..].to_owned())
                .collect()),
        }
    }
}

impl EventLog {
    /// Writes the file `name` whole (atomically, durably), replacing what it held.
    pub fn write_file(&self, name: &str, bytes: &[u8]) -> Result<(), Error> {
        check_name(name)?;
        self.area().write(DIR, name, bytes)
    }

    /// The file `name`, `None` when there is none.
    pub fn read_file(&self, name: &str) -> Result<Option<Vec<u8>>, Error> {
        check_name(name)?;
        self.area().read(DIR, name)
    }

    /// Removes the file `name` (durably); nothing happens when there is none.
    pub fn remove_file(&self, name: &str) -> Result<(), Error> {
        check_name(name)?;
        self.area().remove(DIR, name)
    }
}
