//! The head mark: a small file beside sled's own files recording a position (and its hash)
//! known to be durable.
//!
//! sled's recovery stops at the first damaged entry of its log and silently drops everything
//! after it: right for a torn write at a crash, wrong for acknowledged events lost to a bad
//! disk. The mark lets `open` tell the two apart: if sled comes back with a head below the
//! mark, acknowledged events are gone and opening is a [`crate::Error::Corruption`], not a
//! shorter log. The mark is rewritten at most once a second by the flusher (so it costs no
//! throughput) and on every explicit flush and close; events acknowledged after the last
//! mark are protected by sled's own checksums only.
//!
//! A store on PostgreSQL has no mark: a commit there is durable when it returns, and the
//! server's own recovery never drops a committed transaction.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::{Error, Head};

const FILE_NAME: &str = "eventlog-head";
const MIN_INTERVAL: Duration = Duration::from_secs(1);

pub(crate) struct HeadMark {
    /// `None` on PostgreSQL: nothing is written.
    directory: Option<PathBuf>,
    last_written: Option<Instant>,
    last_position: Option<u64>,
}

impl HeadMark {
    pub(crate) fn new(directory: Option<&Path>) -> Self {
        HeadMark {
            directory: directory.map(Path::to_path_buf),
            last_written: None,
            last_position: None,
        }
    }

    /// Writes the mark if a second has passed since the last write.
    pub(crate) fn maybe_write(&mut self, head: &Head) {
        if self
            .last_written
            .is_none_or(|at| at.elapsed() >= MIN_INTERVAL)
        {
            // A failed mark only weakens the check at the next open; the append itself is
            // durable, so the error is not the caller's.
            let _ = self.write(head);
        }
    }

    /// Writes the mark now (write to a temporary file, fsync, rename, fsync the directory).
    pub(crate) fn write(&mut self, head: &Head) -> Result<(), Error> {
        self.last_written = Some(Instant::now());
        let Some(directory) = &self.directory else {
            return Ok(());
        };
        if self.last_position == Some(head.position) {
            return Ok(());
        }
        let temporary = directory.join(format!("{FILE_NAME}.tmp"));
        let mut file = std::fs::File::create(&temporary)?;
        writeln!(file, "{} {}", head.position, hex::encode(head.hash))?;
        file.sync_all()?;
        std::fs::rename(&temporary, directory.join(FILE_NAME))?;
        std::fs::File::open(directory)?.sync_all()?;
        self.last_position = Some(head.position);
        Ok(())
    }

    /// Reads the mark of a store, if it has one.
    pub(crate) fn read(directory: &Path) -> Result<Option<(u64, [u8; 32])>, Error> {
        let text = match std::fs::read_to_string(directory.join(FILE_NAME)) {
            Ok(text) => text,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(error) => return Err(error.into()),
        };
        let bad = || Error::Corruption {
            at: None,
            detail: format!("the head mark {FILE_NAME} is unreadable: {text:?}"),
        };
        let (position, hash) = text.trim().split_once(' ').ok_or_else(bad)?;
        let position = position.parse().map_err(|_| bad())?;
        let mut bytes = [0u8; 32];
        hex::decode_to_slice(hash, &mut bytes).map_err(|_| bad())?;
        Ok(Some((position, bytes)))
    }
}
