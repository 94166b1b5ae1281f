//! Opening the store, with French messages for the operator.

use anyhow::anyhow;
use eventlog::{EventLog, Options};
use std::path::Path;

/// Opens (or creates) the store in `dir`.
pub fn open(dir: &Path, options: Options) -> anyhow::Result<EventLog> {
    EventLog::open(dir, options).map_err(|error| explain(error, dir))
}

/// Opens the store in `dir`, which must already exist: commands that only read a store
/// should not create an empty one by mistake (a typo in `--data-dir`).
pub fn open_existing(dir: &Path, options: Options) -> anyhow::Result<EventLog> {
    if !dir.is_dir() {
        return Err(anyhow!(
            "aucun registre dans {} (indiquez-le avec --data-dir ou CHRONIQUE_DATA_DIR)",
            dir.display()
        ));
    }
    open(dir, options)
}

/// The operator's version of an error of the log.
pub fn explain(error: eventlog::Error, dir: &Path) -> anyhow::Error {
    let dir = dir.display();
    match error {
        eventlog::Error::Locked { .. } => anyhow!(
            "le registre {dir} est déjà ouvert par un autre processus (un serveur chronique tourne-t-il ?)"
        ),
        eventlog::Error::UnknownFormat(detail) => anyhow!(
            "le registre {dir} est dans un format que cette version de chronique ne lit pas ({detail})"
        ),
        eventlog::Error::Corruption { .. } => {
            anyhow!("le registre {dir} est endommagé : {error}")
        }
        eventlog::Error::Io(io) => anyhow!("le registre {dir} est inaccessible : {io}"),
        other => anyhow!("le registre {dir} a refusé l'opération : {other}"),
    }
}
