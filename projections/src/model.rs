//! The read model: every programme's current state, folded from the log in order.
//!
//! [`ReadModel::apply`] is the single fold used everywhere: by the live runner, by a rebuild,
//! and by time travel (which folds one programme's events up to a bound into a fresh
//! [`ProgrammeView`]). It never fails: a recorded event is a fact.
//!
//! Memory: the model keeps the domain states and small indexes, not the events themselves nor
//! their French sentences; histories and timelines read the events back from the log by position
//! and word them on demand.

use crate::recorded::RecordedEvent;
use chrono::{DateTime, NaiveDate, Utc};
use domain::events::{Dated, DomainEvent};
use domain::streams::StreamRef;
use domain::values::{ActionId, PartnerId, ProgrammeId, SessionId};
use domain::{action, partner, programme, session};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Where one event of a programme stands: enough to select it by bound without reading it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventRef {
    pub position: u64,
    pub effective_on: NaiveDate,
    pub recorded_at: DateTime<Utc>,
}

/// All programmes, as of `position`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ReadModel {
    position: u64,
    programmes: BTreeMap<ProgrammeId, ProgrammeView>,
}

impl ReadModel {
    /// The position of the last event applied (0 for none).
    pub fn position(&self) -> u64 {
        self.position
    }

    pub fn programme(&self, id: &ProgrammeId) -> Option<&ProgrammeView> {
        self.programmes.get(id)
    }

    pub fn programmes(&self) -> impl Iterator<Item = &ProgrammeView> {
        self.programmes.values()
    }

    /// Folds one event. Events must come in log order; one already applied is ignored, so that
    /// catching up after a snapshot may safely overlap.
    pub fn apply(&mut self, event: &RecordedEvent) {
        if event.position <= self.position {
            return;
        }
        self.position = event.position;
        let id = event.stream.programme().clone();
        self.programmes
            .entry(id.clone())
            .or_insert_with(|| ProgrammeView::new(id))
            .apply(event);
    }
}

/// One programme: its streams' states and the indexes its read models need.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProgrammeView {
    pub id: ProgrammeId,
    pub programme: programme::ProgrammeState,
    pub partners: BTreeMap<PartnerId, partner::PartnerState>,
    pub sessions: BTreeMap<SessionId, session::SessionState>,
    pub actions: BTreeMap<ActionId, action::ActionState>,
    /// Every event of the programme, in log order.
    events: Vec<EventRef>,
}

impl ProgrammeView {
    pub fn new(id: ProgrammeId) -> ProgrammeView {
        ProgrammeView {
            id,
            programme: Default::default(),
            partners: BTreeMap::new(),
            sessions: BTreeMap::new(),
            actions: BTreeMap::new(),
            events: Vec::new(),
        }
    }

    /// Every event of the programme folded so far, in log order.
    pub fn events(&self) -> &[EventRef] {
        &self.events
    }

    /// The position of the last event folded into this programme (0 for none).
    pub fn position(&self) -> u64 {
        self.events.last().map_or(0, |e| e.position)
    }

    /// Folds one event of this programme's streams (the caller routes by programme).
    pub fn apply(&mut self, event: &RecordedEvent) {
        self.events.push(EventRef {
            position: event.position,
            effective_on: event.effective_on,
            recorded_at: event.recorded_at,
        });
        let on = event.effective_on;
        match (&event.stream, &event.event) {
            (StreamRef::Programme(_), DomainEvent::Programme(e)) => {
                let state = std::mem::take(&mut self.programme);
                self.programme = programme::evolve(state, &dated(on, e));
            }
            (StreamRef::Partner(_, id), DomainEvent::Partner(e)) => {
                let slot = self.partners.entry(id.clone()).or_default();
                *slot = partner::evolve(std::mem::take(slot), &dated(on, e));
            }
            (StreamRef::Session(_, id), DomainEvent::Session(e)) => {
                let slot = self.sessions.entry(id.clone()).or_default();
                *slot = session::evolve(std::mem::take(slot), &dated(on, e));
            }
            (StreamRef::Action(_, id), DomainEvent::Action(e)) => {
                let slot = self.actions.entry(id.clone()).or_default();
                *slot = action::evolve(std::mem::take(slot), &dated(on, e));
            }
            // `RecordedEvent::from_envelope` refuses an event of another stream's kind.
            _ => {}
        }
    }
}

fn dated<E: Clone>(effective_on: NaiveDate, event: &E) -> Dated<E> {
    Dated {
        effective_on,
        event: event.clone(),
    }
}
