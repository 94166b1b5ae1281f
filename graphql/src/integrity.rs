//! The server's own watch over the hash chain, and the index of each programme's positions.
//!
//! At start-up the server verifies the whole chain ([`eventlog::EventLog::verify`]: hashes,
//! links, positions, versions, stream index), in the background so that it starts answering at
//! once; then it follows the log and checks each new record as it is acknowledged (its hash
//! recomputed from its bytes, its link to the previous hash). `Query.integrity` reports it.
//!
//! The same pass records, per programme, the positions of its events (8 bytes per event), so
//! that `Query.events` pages through one programme without reading the others' events.
//!
//! What it does not do: it never repairs anything; a break is reported (and logged) and the
//! verification stops extending, since nothing after a break can be trusted.

use domain::streams::StreamRef;
use eventlog::{Envelope, EventLog};
use parking_lot::RwLock;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// What the server knows of its chain.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ChainStatus {
    /// True once the start-up verification has finished.
    pub started: bool,
    /// Every record up to this position checked out.
    pub verified_up_to: u64,
    /// The first position that did not, with the reason.
    pub broken: Option<(u64, String)>,
}

impl ChainStatus {
    /// Whether the chain is verified up to `head`, with no break.
    pub fn verified_to(&self, head: u64) -> bool {
        self.started && self.broken.is_none() && self.verified_up_to >= head
    }
}

/// The positions of each programme's events, up to `indexed_up_to`.
#[derive(Debug, Default)]
struct Index {
    indexed_up_to: u64,
    positions: HashMap<String, Vec<u64>>,
}

/// Shared by the server's handlers; cheap to clone.
#[derive(Clone)]
pub struct ChainWatch {
    status: watch::Sender<ChainStatus>,
    index: Arc<RwLock<Index>>,
}

impl Default for ChainWatch {
    fn default() -> Self {
        ChainWatch::new()
    }
}

impl std::fmt::Debug for ChainWatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChainWatch")
            .field("status", &*self.status.borrow())
            .finish_non_exhaustive()
    }
}

/// The programme a stream id belongs to, if it is one of Chronique's.
pub fn programme_of(stream_id: &str) -> Option<String> {
    StreamRef::parse(stream_id).map(|s| s.programme().to_string())
}

impl ChainWatch {
    pub fn new() -> ChainWatch {
        ChainWatch {
            status: watch::Sender::new(ChainStatus::default()),
            index: Arc::default(),
        }
    }

    pub fn status(&self) -> ChainStatus {
        self.status.borrow().clone()
    }

    /// Changes of the status, for subscriptions.
    pub fn subscribe(&self) -> watch::Receiver<ChainStatus> {
        self.status.subscribe()
    }

    /// The status once it has caught up with `head` (or found a break), waiting at most
    /// `patience`; the status as it is then otherwise. Lets `integrity` right after a write
    /// report that write as verified.
    pub async fn status_at(&self, head: u64, patience: Duration) -> ChainStatus {
        let mut receiver = self.status.subscribe();
        let wait =
            receiver.wait_for(|s| s.broken.is_some() || (s.started && s.verified_up_to >= head));
        match tokio::time::timeout(patience, wait).await {
            Ok(Ok(status)) => status.clone(),
            _ => self.status(),
        }
    }

    /// Positions of `programme`'s events from `from` (inclusive), at most `limit`, from the
    /// index; then the position up to which the index is complete, so that the caller can read
    /// the rest from the log.
    pub fn positions(&self, programme: &str, from: u64, limit: usize) -> (Vec<u64>, u64) {
        let index = self.index.read();
        let positions = index
            .positions
            .get(programme)
            .map(|all| {
                let start = all.partition_point(|p| *p < from);
                all[start..].iter().take(limit).copied().collect()
            })
            .unwrap_or_default();
        (positions, index.indexed_up_to)
    }

    fn index_envelope(&self, envelope: &Envelope) {
        let mut index = self.index.write();
        if envelope.position <= index.indexed_up_to {
            return;
        }
        index.indexed_up_to = envelope.position;
        if let Some(programme) = programme_of(&envelope.stream_id) {
            index
                .positions
                .entry(programme)
                .or_default()
                .push(envelope.position);
        }
    }

    /// Verifies the chain, then follows the log until it closes. Spawned by the server.
    pub async fn run(self, log: EventLog) {
        let verifying = log.clone();
        let report = tokio::task::spawn_blocking(move || verifying.verify()).await;
        let (mut verified_up_to, mut last_hash, mut broken) = match report {
            Ok(Ok(report)) => {
                let broken = report.first_broken.clone();
                match &broken {
                    None => tracing::info!(
                        head = report.head_position,
                        "the hash chain verifies up to the head"
                    ),
                    Some((position, reason)) => tracing::error!(
                        position,
                        reason = %reason,
                        "the hash chain is broken"
                    ),
                }
                let last_hash = if broken.is_none() {
                    report.head_hash
                } else {
                    [0; 32]
                };
                (report.verified_up_to, last_hash, broken)
            }
            Ok(Err(error)) => {
                tracing::error!(error = %crate::error::error_chain(&error), "the chain could not be verified");
                (
                    0,
                    [0; 32],
                    Some((1, format!("vérification impossible : {error}"))),
                )
            }
            Err(join) => {
                tracing::error!(error = %join, "the verification task failed");
                (0, [0; 32], Some((1, "vérification interrompue".to_owned())))
            }
        };
        self.status.send_replace(ChainStatus {
            started: true,
            verified_up_to,
            broken: broken.clone(),
        });

        let mut subscription = log.subscribe(1);
        drop(log);
        loop {
            let envelope = match subscription.next().await {
                Ok(envelope) => envelope,
                Err(eventlog::Error::Closed) => return,
                Err(error) => {
                    tracing::error!(error = %crate::error::error_chain(&error), "following the log failed");
                    return;
                }
            };
            self.index_envelope(&envelope);
            if broken.is_none() && envelope.position == verified_up_to + 1 {
                if envelope.prev_hash != last_hash {
                    broken = Some((
                        envelope.position,
                        "l'empreinte précédente ne correspond pas".to_owned(),
                    ));
                } else if envelope.computed_hash() != envelope.hash {
                    broken = Some((
                        envelope.position,
                        "l'empreinte ne correspond pas au contenu".to_owned(),
                    ));
                } else {
                    verified_up_to = envelope.position;
                    last_hash = envelope.hash;
                }
                if let Some((position, reason)) = &broken {
                    tracing::error!(position, reason = %reason, "the hash chain is broken");
                }
                self.status.send_replace(ChainStatus {
                    started: true,
                    verified_up_to,
                    broken: broken.clone(),
                });
            }
        }
    }
}
