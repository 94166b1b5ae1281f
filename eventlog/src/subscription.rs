//! Subscriptions: catch up from disk, then follow the head.
//!
//! A subscription never holds events in a channel the writer must fill: the writer only
//! publishes its new head in a `watch` (one value, overwritten), and the subscription reads
//! the events from disk in chunks. A slow subscriber therefore never slows the writer, is
//! never dropped, and cannot miss or repeat an event: it just reads further behind.

use std::collections::VecDeque;

use futures::Stream;
use tokio::sync::watch;

use crate::{Envelope, Error, EventLog, Head};

/// Events read from disk at a time.
const CHUNK: u64 = 512;

/// A cursor over the log that waits for new events at its end.
pub struct Subscription {
    log: EventLog,
    next_position: u64,
    buffer: VecDeque<Envelope>,
    head: watch::Receiver<Head>,
}

impl Subscription {
    pub(crate) fn new(log: EventLog, from_position: u64) -> Self {
        let head = log.head_receiver();
        Subscription {
            log,
            next_position: from_position,
            buffer: VecDeque::new(),
            head,
        }
    }

    /// The position of the next event this subscription will deliver.
    pub fn next_position(&self) -> u64 {
        self.next_position - self.buffer.len() as u64
    }

    /// The next event, waiting for it if the subscription has reached the head.
    pub async fn next(&mut self) -> Result<Envelope, Error> {
        loop {
            if let Some(envelope) = self.try_next()? {
                return Ok(envelope);
            }
            // The head may have moved since `try_next` looked; `changed` only returns when a
            // value newer than the last one seen is published.
            if self.head.changed().await.is_err() {
                return Err(Error::Closed);
            }
        }
    }

    /// The next event if one is already acknowledged, without waiting.
    pub fn try_next(&mut self) -> Result<Option<Envelope>, Error> {
        if let Some(envelope) = self.buffer.pop_front() {
            return Ok(Some(envelope));
        }
        // Mark the current head as seen before reading, so that an append published after
        // this line wakes `next` up.
        let head = self.head.borrow_and_update().position;
        if self.next_position > head {
            return Ok(None);
        }
        let to = head.min(self.next_position + CHUNK - 1);
        for envelope in self.log.read_range(self.next_position, to) {
            let envelope = envelope?;
            if envelope.position != self.next_position {
                return Err(Error::Corruption {
                    at: Some(self.next_position),
                    detail: format!(
                        "subscription expected this position, read {}",
                        envelope.position
                    ),
                });
            }
            self.next_position += 1;
            self.buffer.push_back(envelope);
        }
        Ok(self.buffer.pop_front())
    }

    /// The subscription as a `Stream` (it never ends while the log is open).
    pub fn into_stream(self) -> impl Stream<Item = Result<Envelope, Error>> + Send + 'static {
        futures::stream::unfold(self, |mut subscription| async move {
            let item = subscription.next().await;
            Some((item, subscription))
        })
    }
}
