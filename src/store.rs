//! Opening the store, with French messages for the operator, and without changing a byte of a
//! store that is then refused.
//!
//! sled has no read-only open and its recovery writes (it may truncate its log, delete blobs,
//! write a snapshot), so a refusal found *by* opening would come too late: a damaged store
//! would be made worse by the command that refuses it. Each command therefore looks first:
//! a directory held by a running server, or non-empty without sled's files, is refused before
//! anything is opened ([`eventlog::inspect`]); an existing store is first opened as a
//! temporary copy ([`eventlog::EventLog::open_copy`]), where sled's recovery, the format
//! version, the head mark and the command's own condition (an empty store for `import`, a
//! demo store for `demo`) are checked. Only a store that passes is opened for real. `verify`
//! and `export` never open the store itself: they work on the copy, so they need no write
//! access. The price is a copy of the store in the temporary directory (`TMPDIR`) at each
//! such start: disk space equal to the store's size, for as long as the check (or the
//! `verify` or `export`) lasts.
//!
//! A store on PostgreSQL (`--store postgres://…`) is opened directly: the server's recovery is
//! its own and never drops a committed transaction, and opening changes nothing but creates
//! the two tables when they are missing. The checks run on the store itself.

use anyhow::{anyhow, bail};
use eventlog::{CopiedLog, EventLog, Layout, Options, StoreLocation};
use std::path::Path;

/// Opens (or creates) the store at `dir` for a command that writes.
pub fn open(dir: &StoreLocation, options: Options) -> anyhow::Result<EventLog> {
    open_if(dir, options, false, |_| Ok(()))
}

/// Opens the store in `dir`, which must already exist: commands that only read a store
/// should not create an empty one by mistake (a typo in `--data-dir`).
pub fn open_existing(dir: &StoreLocation, options: Options) -> anyhow::Result<EventLog> {
    open_if(dir, options, true, |_| Ok(()))
}

/// Opens the store in `dir` for a command that writes, after `check` has accepted it: on a
/// temporary copy when the store exists (so that a refusal leaves it untouched), on the new
/// store otherwise.
pub fn open_if(
    location: &StoreLocation,
    options: Options,
    must_exist: bool,
    check: impl FnOnce(&EventLog) -> anyhow::Result<()>,
) -> anyhow::Result<EventLog> {
    let dir = match location {
        StoreLocation::Dir(dir) => dir.as_path(),
        StoreLocation::Postgres(_) => {
            let log = EventLog::open_store(location, options).map_err(|e| explain(e, location))?;
            check(&log)?;
            return Ok(log);
        }
    };
    match eventlog::inspect(dir).map_err(|e| explain(e, location))? {
        Layout::Missing if must_exist => return Err(no_store(dir)),
        Layout::Missing | Layout::Empty => {
            let log = EventLog::open(dir, options).map_err(|e| explain(e, location))?;
            check(&log)?;
            return Ok(log);
        }
        Layout::Foreign => return Err(foreign(dir)),
        Layout::Store => {}
    }
    {
        let copy = EventLog::open_copy(dir, options.clone()).map_err(|e| explain(e, location))?;
        check(&copy)?;
    }
    EventLog::open(dir, options).map_err(|e| explain(e, location))
}

/// A store opened for a command that only reads: a temporary copy of a sled store, the store
/// itself on PostgreSQL.
pub enum ReadLog {
    Copy(CopiedLog),
    Direct(EventLog),
}

impl std::ops::Deref for ReadLog {
    type Target = EventLog;

    fn deref(&self) -> &EventLog {
        match self {
            ReadLog::Copy(copy) => copy,
            ReadLog::Direct(log) => log,
        }
    }
}

/// The store at `location` for the commands that only read (`verify`, `export`): a sled
/// store is read on a temporary copy, never opened itself, and needs read access only.
pub fn open_copy(location: &StoreLocation) -> anyhow::Result<ReadLog> {
    let dir = match location {
        StoreLocation::Dir(dir) => dir.as_path(),
        StoreLocation::Postgres(_) => {
            return EventLog::open_store(location, Options::default())
                .map(ReadLog::Direct)
                .map_err(|e| explain(e, location));
        }
    };
    match eventlog::inspect(dir).map_err(|e| explain(e, location))? {
        Layout::Missing | Layout::Empty => Err(no_store(dir)),
        Layout::Foreign => Err(foreign(dir)),
        Layout::Store => EventLog::open_copy(dir, Options::default())
            .map(ReadLog::Copy)
            .map_err(|e| explain(e, location)),
    }
}

fn no_store(dir: &Path) -> anyhow::Error {
    anyhow!(
        "aucun registre dans {} (indiquez-le avec --data-dir, --store ou CHRONIQUE_STORE)",
        dir.display()
    )
}

fn foreign(dir: &Path) -> anyhow::Error {
    anyhow!(
        "{} n'est pas vide et ne contient pas de registre chronique : rien n'y a été écrit (choisissez un autre dossier avec --data-dir)",
        dir.display()
    )
}

/// Refuses with `message` unless `condition` holds; for the checks passed to [`open_if`].
pub fn require(condition: bool, message: impl FnOnce() -> String) -> anyhow::Result<()> {
    if !condition {
        bail!("{}", message());
    }
    Ok(())
}

/// The operator's version of an error of the log, in French. The crate's own messages are
/// English, for developers; they are left out here (an operator can do nothing with a disk
/// pointer).
pub fn explain(error: eventlog::Error, dir: &StoreLocation) -> anyhow::Error {
    match error {
        eventlog::Error::Locked { .. } if matches!(dir, StoreLocation::Postgres(_)) => anyhow!(
            "le registre {dir} est déjà ouvert par un autre serveur chronique (il tient le verrou de la base) : un seul serveur écrit dans un registre ; rien n'y a été modifié"
        ),
        eventlog::Error::Io(io) if matches!(dir, StoreLocation::Postgres(_)) => {
            anyhow!("le registre {dir} est inaccessible : {io}")
        }
        eventlog::Error::Locked { .. } => anyhow!(
            "le registre {dir} est déjà ouvert par un autre processus (un serveur chronique tourne-t-il ?) : rien n'y a été modifié"
        ),
        eventlog::Error::UnknownFormat(_) => anyhow!(
            "le registre {dir} est dans un format que cette version de chronique ne lit pas (format attendu : {}) : rien n'y a été modifié",
            eventlog::FORMAT_VERSION
        ),
        eventlog::Error::Corruption { at, .. } => anyhow!(
            "le registre {dir} est endommagé{} : ses fichiers ne se relisent pas tels qu'ils ont été écrits ; rien n'y a été modifié, restaurez-le depuis un export (chronique import) ou une copie de ses fichiers",
            at.map(|p| format!(" à la position {p}"))
                .unwrap_or_default()
        ),
        eventlog::Error::Io(io) => {
            anyhow!("le registre {dir} est inaccessible : {}", io_french(&io))
        }
        eventlog::Error::InvalidInput(detail) => {
            anyhow!("le registre {dir} a refusé l'opération : {detail}")
        }
        eventlog::Error::IncompleteImport => anyhow!(
            "le registre {dir} est le reste d'un import interrompu : il ne contient qu'une partie du fichier ; supprimez ce dossier et recommencez l'import"
        ),
        eventlog::Error::Closed => anyhow!("le registre {dir} a été fermé pendant l'opération"),
        other => anyhow!("erreur interne de chronique sur le registre {dir}, à signaler : {other}"),
    }
}

/// An IO error in French, by kind (the system's own text is English).
pub fn io_french(error: &std::io::Error) -> String {
    use std::io::ErrorKind;
    let what = match error.kind() {
        ErrorKind::PermissionDenied => "permission refusée",
        ErrorKind::NotFound => "fichier introuvable",
        ErrorKind::StorageFull => "plus de place sur le disque",
        ErrorKind::ReadOnlyFilesystem => "système de fichiers en lecture seule",
        ErrorKind::AlreadyExists => "le fichier existe déjà",
        _ => "erreur d'entrée-sortie",
    };
    match error.raw_os_error() {
        Some(code) => format!("{what} (erreur système {code})"),
        None => what.to_owned(),
    }
}
