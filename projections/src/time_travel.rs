//! Time travel: one programme *as of* a position, a recorded instant or an effective date.
//!
//! The live [`ProgrammeView`] knows every event of its programme ([`ProgrammeView::events`]:
//! position, effective date, recorded time). A bound selects some of them; the selected events
//! are read back from the log by position, decoded, and folded with [`ProgrammeView::apply`]
//! into a fresh view, in log order: the same fold as the live model, so that "as of the head"
//! and the live view agree by construction.
//!
//! Meanings (DOMAIN.md, "Precise meanings"):
//! - as of a position P: the events with position ≤ P;
//! - as of a recorded instant T: the events recorded at or before T (recorded times never
//!   decrease along the log, so this is a prefix, found by binary search);
//! - as of an effective date D: the events whose effective date is on or before D, in log order.
//!
//! A programme that did not exist at the bound (no `ProgrammeEstablished` folded) is `None`; a
//! position beyond the log head is [`TimeTravelError::BeyondHead`].
//!
//! Cost: one random read, one decode and one fold per selected event (a programme of a
//! national log has a few thousand events); no per-programme checkpoint is kept in memory.
//! The random reads and decodes cost more than the fold (about 7-9 µs against 2-7 µs per event,
//! measured on a store of 206 000 events), so half of them run on a second thread.
//! Per-programme checkpoints (a folded view every few hundred events) would bound the work
//! further, at the price of memory the live model already lacks.
//!
//! The live view may lag the log head by the runner's lag: events acknowledged but not yet
//! applied are not selected. Callers that need them wait for the position first
//! ([`crate::runner::Projector::wait_for`]).

use chrono::{DateTime, NaiveDate, Utc};

pub use crate::recorded::EventSource;

use crate::model::{EventRef, ProgrammeView};
use crate::recorded::{ReadError, RecordedEvent};

/// A moment of the register.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bound {
    Position(u64),
    RecordedAt(DateTime<Utc>),
    EffectiveOn(NaiveDate),
}

#[derive(Debug, thiserror::Error)]
pub enum TimeTravelError {
    /// The caller's mistake: answer `VALIDATION`.
    #[error("position {position} is beyond the head of the log ({head})")]
    BeyondHead { position: u64, head: u64 },
    /// The log could not be read, or an event did not decode.
    #[error(transparent)]
    Read(#[from] ReadError),
    /// The live view names a position the log does not have.
    #[error("the log has no event at position {0}, which the read model names")]
    Missing(u64),
}

/// The events of `live` the bound selects, in log order.
pub fn selected<'a>(live: &'a ProgrammeView, bound: &Bound) -> Vec<&'a EventRef> {
    let events = live.events();
    match bound {
        Bound::Position(p) => events[..events.partition_point(|e| e.position <= *p)]
            .iter()
            .collect(),
        Bound::RecordedAt(t) => events[..events.partition_point(|e| e.recorded_at() <= *t)]
            .iter()
            .collect(),
        Bound::EffectiveOn(d) => events.iter().filter(|e| e.effective_on() <= *d).collect(),
    }
}

fn check_position(source: &impl EventSource, bound: &Bound) -> Result<(), TimeTravelError> {
    if let Bound::Position(position) = *bound {
        let head = source.head_position();
        if position > head {
            return Err(TimeTravelError::BeyondHead { position, head });
        }
    }
    Ok(())
}

/// The programme as of `bound`, or `None` when it did not exist then.
pub fn programme_as_of(
    source: &impl EventSource,
    live: &ProgrammeView,
    bound: &Bound,
) -> Result<Option<ProgrammeView>, TimeTravelError> {
    check_position(source, bound)?;
    let selection = selected(live, bound);
    let view = if selection.len() == live.events().len() {
        // Everything is included: the live view is that fold already.
        live.clone()
    } else {
        let positions: Vec<u64> = selection.iter().map(|e| e.position).collect();
        fold_positions(source, ProgrammeView::new(live.id.clone()), &positions)?
    };
    Ok(view.programme.programme.is_some().then_some(view))
}

fn read_events(
    source: &impl EventSource,
    positions: &[u64],
) -> Result<Vec<RecordedEvent>, TimeTravelError> {
    positions
        .iter()
        .map(|&position| {
            source
                .event(position)?
                .ok_or(TimeTravelError::Missing(position))
        })
        .collect()
}

/// Folds the events at `positions` (in log order) into `view`. Random reads dominate the cost,
/// so the second half is read and decoded on another thread while this one reads and folds the
/// first half.
fn fold_positions(
    source: &impl EventSource,
    mut view: ProgrammeView,
    positions: &[u64],
) -> Result<ProgrammeView, TimeTravelError> {
    const PARALLEL_FROM: usize = 256;
    if positions.len() < PARALLEL_FROM {
        for event in read_events(source, positions)? {
            view.apply(&event);
        }
        return Ok(view);
    }
    let (first, second) = positions.split_at(positions.len() / 2);
    std::thread::scope(|scope| {
        let later = scope.spawn(|| read_events(source, second));
        for event in read_events(source, first)? {
            view.apply(&event);
        }
        let later = later
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))?;
        for event in &later {
            view.apply(event);
        }
        Ok(view)
    })
}

/// The log position a bound corresponds to, for `ChangeSet.fromPosition/toPosition`:
/// - a position: itself (checked against the head);
/// - a recorded instant: the last position of the whole log recorded at or before it (0 when
///   none), found by binary search over the log;
/// - an effective date: the last position of the programme's events it includes (0 when none).
pub fn resolve_position(
    source: &impl EventSource,
    live: &ProgrammeView,
    bound: &Bound,
) -> Result<u64, TimeTravelError> {
    check_position(source, bound)?;
    match bound {
        Bound::Position(p) => Ok(*p),
        Bound::RecordedAt(t) => last_position_recorded_by(source, *t),
        Bound::EffectiveOn(_) => Ok(selected(live, bound).last().map_or(0, |e| e.position)),
    }
}

/// The last position of the log recorded at or before `instant` (0 when none).
pub fn last_position_recorded_by(
    source: &impl EventSource,
    instant: DateTime<Utc>,
) -> Result<u64, TimeTravelError> {
    // Invariant: every position < `low` is recorded at or before `instant`, every position
    // ≥ `high` after it.
    let (mut low, mut high) = (1u64, source.head_position() + 1);
    while low < high {
        let middle = low + (high - low) / 2;
        let event = source
            .event(middle)?
            .ok_or(TimeTravelError::Missing(middle))?;
        if event.recorded_at <= instant {
            low = middle + 1;
        } else {
            high = middle;
        }
    }
    Ok(low - 1)
}
