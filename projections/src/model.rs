//! The read model: every programme's current state, folded from the log in order.
//!
//! [`ReadModel::apply`] is the single fold used everywhere: by the live runner, by a rebuild,
//! and by time travel (which folds one programme's events up to a bound into a fresh
//! [`ProgrammeView`]). It never fails: a recorded event is a fact.
//!
//! Memory: the model keeps the domain states and small indexes, not the events themselves nor
//! their French sentences; histories and timelines read the events back from the log by position
//! and word them on demand (see [`crate::query`] and [`crate::render`]).
//!
//! The indexes of a [`ProgrammeView`], all maintained by [`ProgrammeView::apply`] so that they
//! are equally right live, after a rebuild and in a time-travel fold:
//!
//! - one [`EventRef`] per event (position, effective date, recorded time, [`EventKind`], the
//!   stream, the session it names, the action's axis at that time, the amount it carries, and
//!   the position of the later event that superseded it);
//! - the superseding keys: the position of each payment (by action and payment id), of each
//!   decision (by action and decision number), and of the last notification or revision of each
//!   envelope (by funder and year);
//! - the relevé of each session: which actions got an opinion, a decision or a revision there.
//!
//! Ids are interned once per programme ([`Subject`]), so that an [`EventRef`] stays a few
//! dozen bytes.

use crate::recorded::RecordedEvent;
use chrono::{DateTime, NaiveDate, Utc};
use domain::events::{ActionEvent, Dated, DomainEvent, ProgrammeEvent};
use domain::streams::StreamRef;
use domain::values::{
    ActionId, AxisCode, FunderId, Money, PartnerId, PaymentId, ProgrammeId, SessionId, Year,
};
use domain::{action, partner, programme, session};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::num::NonZeroU64;

macro_rules! event_kinds {
    ($($name:ident),+ $(,)?) => {
        /// The type of an event, as one byte; [`EventKind::name`] is DOMAIN.md's name verbatim.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        pub enum EventKind { $($name),+ }

        impl EventKind {
            pub const ALL: &'static [EventKind] = &[$(EventKind::$name),+];

            /// The event type's name, as stored in the envelope and shown as `kind`.
            pub fn name(self) -> &'static str {
                match self { $(EventKind::$name => stringify!($name)),+ }
            }

            /// The kind named `name` (exact spelling), if it is one.
            pub fn parse(name: &str) -> Option<EventKind> {
                match name { $(stringify!($name) => Some(EventKind::$name),)+ _ => None }
            }
        }
    };
}

event_kinds!(
    ProgrammeEstablished,
    AxisDefined,
    AxisRetired,
    FunderRegistered,
    EnvelopeNotified,
    EnvelopeRevised,
    BodyMembershipChanged,
    PartnerRegistered,
    PartnerLeftAlliance,
    SessionScheduled,
    SessionHeld,
    SessionCancelled,
    ActionProposed,
    ActionAmended,
    ComplementsRequested,
    ComplementsProvided,
    OpinionGiven,
    CopilDecisionTaken,
    DecisionRevised,
    ActionWithdrawn,
    GrantAwarded,
    GrantRefused,
    PaymentRecorded,
    PaymentCancelled,
    ActionStarted,
    PeriodChanged,
    ActionCompleted,
    NonRealisationAttested,
    RepaymentRequested,
    RepaymentReceived,
    ReportSubmitted,
    IndicatorMeasured,
    ActionEvaluated,
    ActionClosed,
);

impl EventKind {
    pub fn of(event: &DomainEvent) -> EventKind {
        // Every event type of `domain::events` is listed above (a test checks it).
        EventKind::parse(event.event_type()).unwrap_or(EventKind::ProgrammeEstablished)
    }
}

/// What a stream is about, interned per programme (see [`ProgrammeView::subject`]).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Subject {
    Programme,
    Partner(PartnerId),
    Session(SessionId),
    Action(ActionId),
}

/// Where one event of a programme stands, and what the read models need of it without reading
/// it back from the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventRef {
    pub position: u64,
    pub effective_on: NaiveDate,
    pub recorded_at: DateTime<Utc>,
    pub kind: EventKind,
    /// The event's stream, as an index of [`ProgrammeView::subject`].
    pub stream: u32,
    /// The session the event belongs to or names (opinions, decisions, revisions), as an index
    /// of [`ProgrammeView::subject`].
    pub session: Option<u32>,
    /// For an action's event: its primary axis once the event was folded, as an index of
    /// [`ProgrammeView::axis_code`].
    pub axis: Option<u16>,
    /// The amount the event carries: the sum of its lines (requested, proposed, retained), a
    /// grant, a payment (for a cancellation, the cancelled payment's), a repayment, an envelope,
    /// the spending of a report.
    pub amount: Option<Money>,
    /// The position of the later event that superseded this one.
    pub superseded_by: Option<NonZeroU64>,
}

/// What an action got at a session, in the order recorded (the relevé de décisions).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionAct {
    /// The action, as an index of [`ProgrammeView::subject`].
    pub action: u32,
    pub position: u64,
    pub what: SessionActKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SessionActKind {
    /// The index of the opinion in the action's `opinions`.
    Opinion(u32),
    /// The number of the decision taken.
    Decision(u32),
    /// The number of the revision taken.
    Revision(u32),
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
    /// Interned subjects, and their indexes.
    subjects: Vec<Subject>,
    subject_index: BTreeMap<Subject, u32>,
    /// Interned axis codes.
    axis_codes: Vec<AxisCode>,
    /// Position of each `PaymentRecorded`, by action index and payment id.
    payment_positions: BTreeMap<(u32, PaymentId), u64>,
    /// Position of each decision or revision, by action index and decision number.
    decision_positions: BTreeMap<(u32, u32), u64>,
    /// Position of the last notification or revision of each envelope.
    envelope_positions: BTreeMap<(FunderId, Year), u64>,
    /// The relevé of each session, by session index.
    session_acts: BTreeMap<u32, Vec<SessionAct>>,
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
            subjects: Vec::new(),
            subject_index: BTreeMap::new(),
            axis_codes: Vec::new(),
            payment_positions: BTreeMap::new(),
            decision_positions: BTreeMap::new(),
            envelope_positions: BTreeMap::new(),
            session_acts: BTreeMap::new(),
        }
    }

    /// Every event of the programme folded so far, in log order.
    pub fn events(&self) -> &[EventRef] {
        &self.events
    }

    /// The entry of the event at `position`, if it was folded into this view.
    pub fn event_at(&self, position: u64) -> Option<&EventRef> {
        self.events
            .binary_search_by_key(&position, |e| e.position)
            .ok()
            .map(|i| &self.events[i])
    }

    /// The position of the last event folded into this programme (0 for none).
    pub fn position(&self) -> u64 {
        self.events.last().map_or(0, |e| e.position)
    }

    /// The subject interned at `index`.
    pub fn subject(&self, index: u32) -> Option<&Subject> {
        self.subjects.get(index as usize)
    }

    /// The index of `subject`, if an event ever named it.
    pub fn subject_index(&self, subject: &Subject) -> Option<u32> {
        self.subject_index.get(subject).copied()
    }

    /// The axis code interned at `index`.
    pub fn axis_code(&self, index: u16) -> Option<&AxisCode> {
        self.axis_codes.get(usize::from(index))
    }

    /// The index of `code`, if an action ever had it as its primary axis.
    pub fn axis_index(&self, code: &AxisCode) -> Option<u16> {
        self.axis_codes
            .iter()
            .position(|c| c == code)
            .and_then(|i| u16::try_from(i).ok())
    }

    /// The action an entry's stream is, if it is one.
    pub fn action_of(&self, entry: &EventRef) -> Option<&ActionId> {
        match self.subject(entry.stream)? {
            Subject::Action(id) => Some(id),
            _ => None,
        }
    }

    /// The session an entry belongs to or names, if any.
    pub fn session_of(&self, entry: &EventRef) -> Option<&SessionId> {
        match self.subject(entry.session?)? {
            Subject::Session(id) => Some(id),
            _ => None,
        }
    }

    /// The opinions, decisions and revisions recorded at `session`, in log order.
    pub fn session_acts(&self, session: &SessionId) -> &[SessionAct] {
        self.subject_index(&Subject::Session(session.clone()))
            .and_then(|i| self.session_acts.get(&i))
            .map_or(&[], |v| v.as_slice())
    }

    /// The action with this id, if it was proposed.
    pub fn action(&self, id: &ActionId) -> Option<&action::Action> {
        self.actions.get(id)?.action.as_ref()
    }

    pub fn session(&self, id: &SessionId) -> Option<&session::Session> {
        self.sessions.get(id)?.session.as_ref()
    }

    pub fn partner(&self, id: &PartnerId) -> Option<&partner::Partner> {
        self.partners.get(id)?.partner.as_ref()
    }

    fn intern(&mut self, subject: Subject) -> u32 {
        if let Some(&i) = self.subject_index.get(&subject) {
            return i;
        }
        let i = u32::try_from(self.subjects.len()).unwrap_or(u32::MAX);
        self.subjects.push(subject.clone());
        self.subject_index.insert(subject, i);
        i
    }

    fn intern_axis(&mut self, code: &AxisCode) -> Option<u16> {
        if let Some(i) = self.axis_index(code) {
            return Some(i);
        }
        let i = u16::try_from(self.axis_codes.len()).ok()?;
        self.axis_codes.push(code.clone());
        Some(i)
    }

    fn supersede(&mut self, old_position: u64, by: u64) {
        if let Ok(i) = self
            .events
            .binary_search_by_key(&old_position, |e| e.position)
        {
            self.events[i].superseded_by = NonZeroU64::new(by);
        }
    }

    /// Folds one event of this programme's streams (the caller routes by programme).
    pub fn apply(&mut self, event: &RecordedEvent) {
        let on = event.effective_on;
        let position = event.position;
        let subject = match &event.stream {
            StreamRef::Programme(_) => Subject::Programme,
            StreamRef::Partner(_, id) => Subject::Partner(id.clone()),
            StreamRef::Session(_, id) => Subject::Session(id.clone()),
            StreamRef::Action(_, id) => Subject::Action(id.clone()),
        };
        let stream = self.intern(subject);
        let mut entry = EventRef {
            position,
            effective_on: on,
            recorded_at: event.recorded_at,
            kind: EventKind::of(&event.event),
            stream,
            session: None,
            axis: None,
            amount: None,
            superseded_by: None,
        };
        match (&event.stream, &event.event) {
            (StreamRef::Programme(_), DomainEvent::Programme(e)) => {
                let state = std::mem::take(&mut self.programme);
                self.programme = programme::evolve(state, &dated(on, e));
                match e {
                    ProgrammeEvent::EnvelopeNotified(x) => {
                        entry.amount = Some(x.amount);
                        self.envelope_moved(x.funder.clone(), x.year, position);
                    }
                    ProgrammeEvent::EnvelopeRevised(x) => {
                        entry.amount = Some(x.amount);
                        self.envelope_moved(x.funder.clone(), x.year, position);
                    }
                    _ => {}
                }
            }
            (StreamRef::Partner(_, id), DomainEvent::Partner(e)) => {
                let slot = self.partners.entry(id.clone()).or_default();
                *slot = partner::evolve(std::mem::take(slot), &dated(on, e));
            }
            (StreamRef::Session(_, id), DomainEvent::Session(e)) => {
                entry.session = Some(stream);
                let slot = self.sessions.entry(id.clone()).or_default();
                *slot = session::evolve(std::mem::take(slot), &dated(on, e));
            }
            (StreamRef::Action(_, id), DomainEvent::Action(e)) => {
                let before = self.actions.get(id).and_then(|s| s.action.as_ref());
                let n_opinions = before.map_or(0, |a| a.opinions.len());
                let cancelled_amount = match e {
                    ActionEvent::PaymentCancelled(x) => {
                        before.and_then(|a| a.payment(&x.payment)).map(|p| p.amount)
                    }
                    _ => None,
                };
                let slot = self.actions.entry(id.clone()).or_default();
                *slot = action::evolve(std::mem::take(slot), &dated(on, e));
                let axis = slot.action.as_ref().map(|a| a.axis.clone());
                entry.axis = axis.and_then(|code| self.intern_axis(&code));
                self.index_action_event(&mut entry, e, n_opinions, cancelled_amount);
            }
            // `RecordedEvent::from_envelope` refuses an event of another stream's kind.
            _ => {}
        }
        self.events.push(entry);
    }

    fn record_act(&mut self, entry: &mut EventRef, session: &SessionId, what: SessionActKind) {
        let s = self.intern(Subject::Session(session.clone()));
        entry.session = Some(s);
        self.session_acts.entry(s).or_default().push(SessionAct {
            action: entry.stream,
            position: entry.position,
            what,
        });
    }

    fn envelope_moved(&mut self, funder: FunderId, year: Year, position: u64) {
        if let Some(old) = self.envelope_positions.insert((funder, year), position) {
            self.supersede(old, position);
        }
    }

    fn index_action_event(
        &mut self,
        entry: &mut EventRef,
        event: &ActionEvent,
        n_opinions_before: usize,
        cancelled_amount: Option<Money>,
    ) {
        let action = entry.stream;
        let position = entry.position;
        match event {
            ActionEvent::ActionProposed(e) => entry.amount = Some(sum(&e.requested)),
            ActionEvent::OpinionGiven(e) => {
                entry.amount = Some(sum(&e.proposed));
                let index = u32::try_from(n_opinions_before).unwrap_or(u32::MAX);
                self.record_act(entry, &e.session, SessionActKind::Opinion(index));
            }
            ActionEvent::CopilDecisionTaken(e) => {
                entry.amount = Some(sum(&e.retained));
                self.record_act(entry, &e.session, SessionActKind::Decision(e.decision_no));
                self.decision_positions
                    .insert((action, e.decision_no), position);
            }
            ActionEvent::DecisionRevised(e) => {
                entry.amount = Some(sum(&e.retained));
                self.record_act(entry, &e.session, SessionActKind::Revision(e.decision_no));
                if let Some(&old) = self.decision_positions.get(&(action, e.supersedes)) {
                    self.supersede(old, position);
                }
                self.decision_positions
                    .insert((action, e.decision_no), position);
            }
            ActionEvent::GrantAwarded(e) => entry.amount = Some(e.amount),
            ActionEvent::PaymentRecorded(e) => {
                entry.amount = Some(e.amount);
                self.payment_positions
                    .insert((action, e.payment.clone()), position);
            }
            ActionEvent::PaymentCancelled(e) => {
                entry.amount = cancelled_amount;
                if let Some(&old) = self.payment_positions.get(&(action, e.payment.clone())) {
                    self.supersede(old, position);
                }
            }
            ActionEvent::RepaymentRequested(e) => entry.amount = Some(e.amount),
            ActionEvent::RepaymentReceived(e) => entry.amount = Some(e.amount),
            ActionEvent::ReportSubmitted(e) => entry.amount = Some(e.spent),
            _ => {}
        }
    }
}

fn sum(lines: &[domain::values::MoneyLine]) -> Money {
    lines
        .iter()
        .fold(Money::ZERO, |acc, l| acc.saturating_add(l.amount))
}

fn dated<E: Clone>(effective_on: NaiveDate, event: &E) -> Dated<E> {
    Dated {
        effective_on,
        event: event.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::events::{ActionEvent, PartnerEvent, ProgrammeEvent, SessionEvent};

    #[test]
    fn every_event_type_of_the_domain_has_a_kind() {
        let all = ProgrammeEvent::TYPES
            .iter()
            .chain(PartnerEvent::TYPES)
            .chain(SessionEvent::TYPES)
            .chain(ActionEvent::TYPES);
        let mut n = 0;
        for (name, _) in all {
            let kind = EventKind::parse(name).unwrap_or_else(|| panic!("{name} has no kind"));
            assert_eq!(kind.name(), *name);
            n += 1;
        }
        assert_eq!(n, EventKind::ALL.len());
    }
}
