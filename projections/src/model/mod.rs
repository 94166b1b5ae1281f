//! The read model: every programme's current state, folded from the log in order.
//!
//! [`ReadModel::apply`] is the single fold used everywhere: by the live runner, by a rebuild,
//! and by time travel (which folds one programme's events up to a bound into a fresh
//! [`ProgrammeView`]). It never fails: a recorded event is a fact.
//!
//! Memory: the model keeps the streams' states and small indexes, not the events themselves
//! nor their French sentences; histories and timelines read the events back from the log by
//! position and word them on demand (see [`crate::query`] and [`crate::render`]). The programme,
//! partners and sessions are kept as their domain states (a few per programme); actions, tens of
//! thousands, as compact [`ActionRecord`]s whose strings live in the programme's [`Strings`]
//! (see [`ActionRecord`] for how they are held to the domain's fold).
//!
//! The indexes of a [`ProgrammeView`], all maintained by [`ProgrammeView::apply`] so that they
//! are equally right live, after a rebuild and in a time-travel fold:
//!
//! - one [`EventRef`] per event (position, effective date, recorded time, [`EventKind`], the
//!   stream, the session it names, the action's axis at that time), and beside them the position
//!   of the later event that superseded one ([`ProgrammeView::superseded_by`]) and the amount of
//!   the payment a cancellation cancelled (the other amounts are read from the events
//!   themselves, [`ProgrammeView::amount_of`]);
//! - the superseding keys: the position of each action's payments and decisions (kept in their
//!   records), and of the last notification or revision of each envelope (by funder and year); a
//!   `PaymentCancelled` supersedes the `PaymentRecorded` of the same payment id, a
//!   `DecisionRevised` the decision whose number it names, an `EnvelopeRevised` (or a second
//!   `EnvelopeNotified`) the previous notification or revision;
//! - the relevé of each session: which actions got an opinion, a decision or a revision there.
//!
//! Ids are interned once per programme ([`Subject`]), so that an [`EventRef`] stays 32 bytes.
//! The id → index lookups (subjects, strings) are caches: not in snapshots, not compared,
//! rebuilt on the next event (queries scan the interned ids until then).

mod action;
mod strings;

pub use action::{
    ActionRecord, ActionRef, Complement, Decision, Evaluation, Funding, Grant, Indicator, Line,
    OpinionRecord, Payment, Refusal, Repayment, Report, Review,
};
pub use strings::{Str, Strings};

use action::Folded;

use crate::recorded::RecordedEvent;
use chrono::{DateTime, NaiveDate, Utc};
use domain::events::{ActionEvent, DomainEvent, ProgrammeEvent};
use domain::streams::StreamRef;
use domain::values::{
    ActionId, AxisCode, FunderId, Money, PartnerId, ProgrammeId, SessionId, Year,
};
use domain::{action as domain_action, partner, programme, session};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::hash::{BuildHasherDefault, Hasher};

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
    PartnerLegalFormSet,
    ReportDeadlineExtended,
    FinalReportReviewed,
    TerritoryChanged,
    ReviewSectionWritten,
    AnnualReviewValidated,
    GrantAmended,
    RepaymentRequestCancelled,
    ReportCorrected,
    AttendanceCorrected,
    TextErased,
    ActorNameErased,
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
///
/// Kept to 32 bytes (one million of them live in memory): the optional facts are stored with a
/// sentinel and read through their accessors, the recorded time at the log's precision
/// (microseconds), the rare "superseded by" beside ([`ProgrammeView::superseded_by`]), and the
/// amount is taken from the event itself when it is read back ([`ProgrammeView::amount_of`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventRef {
    pub position: u64,
    /// Microseconds since 1970-01-01 UTC.
    recorded_at: i64,
    effective_on: NaiveDate,
    /// The event's stream, as an index of [`ProgrammeView::subject`].
    pub stream: u32,
    /// `u32::MAX` for none.
    session: u32,
    /// `u16::MAX` for none.
    axis: u16,
    pub kind: EventKind,
    /// For an action's event: the action was proposed once the event was folded (its amount
    /// counts then only, as for its axis).
    of_proposed_action: bool,
}

impl EventRef {
    /// The date the event takes effect.
    pub fn effective_on(&self) -> NaiveDate {
        self.effective_on
    }

    /// When the event was recorded, to the microsecond (the log's precision).
    pub fn recorded_at(&self) -> DateTime<Utc> {
        DateTime::from_timestamp_micros(self.recorded_at).unwrap_or(DateTime::UNIX_EPOCH)
    }

    /// The session the event belongs to or names (opinions, decisions, revisions), as an index
    /// of [`ProgrammeView::subject`].
    pub fn session(&self) -> Option<u32> {
        (self.session != u32::MAX).then_some(self.session)
    }

    /// For an action's event: its primary axis once the event was folded, as an index of
    /// [`ProgrammeView::axis_code`].
    pub fn axis(&self) -> Option<u16> {
        (self.axis != u16::MAX).then_some(self.axis)
    }
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
        let id = event.stream.programme();
        if !self.programmes.contains_key(id) {
            self.programmes
                .insert(id.clone(), ProgrammeView::new(id.clone()));
        }
        if let Some(view) = self.programmes.get_mut(id) {
            view.apply(event);
        }
    }
}

/// One programme: its streams' states and the indexes its read models need.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProgrammeView {
    pub id: ProgrammeId,
    pub programme: programme::ProgrammeState,
    pub partners: BTreeMap<PartnerId, partner::PartnerState>,
    pub sessions: BTreeMap<SessionId, session::SessionState>,
    /// Every action stream, in the order of its first event (see [`ProgrammeView::actions`]).
    actions: Vec<ActionRecord>,
    /// The strings of the actions.
    strings: Strings,
    /// Every event of the programme, in log order.
    events: Vec<EventRef>,
    /// Position of a superseded event → position of the later event that superseded it.
    superseded: BTreeMap<u64, u64>,
    /// Position of a `PaymentCancelled` → the amount of the payment it cancelled.
    cancelled_amounts: BTreeMap<u64, Money>,
    /// Interned subjects; an [`EventRef`] names its stream and session by index here.
    subjects: Vec<SubjectEntry>,
    /// Where each subject is in `subjects`: derived, rebuilt after a snapshot is loaded.
    lookup: Derived<SubjectLookup>,
    /// Interned axis codes.
    axis_codes: Vec<AxisCode>,
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
            actions: Vec::new(),
            strings: Strings::default(),
            events: Vec::new(),
            superseded: BTreeMap::new(),
            cancelled_amounts: BTreeMap::new(),
            subjects: Vec::new(),
            lookup: Derived::default(),
            axis_codes: Vec::new(),
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
    pub fn subject(&self, index: u32) -> Option<Subject> {
        let entry = self.subjects.get(index as usize)?;
        let id = self.strings.get(entry.id);
        match entry.kind {
            SubjectKind::Programme => Some(Subject::Programme),
            SubjectKind::Partner => restore(id).map(Subject::Partner),
            SubjectKind::Session => restore(id).map(Subject::Session),
            SubjectKind::Action => restore(id).map(Subject::Action),
        }
    }

    /// The index of `subject`, if an event ever named it.
    pub fn subject_index(&self, subject: &Subject) -> Option<u32> {
        let (kind, id) = subject.key();
        self.index_of(kind, id)
    }

    fn index_of(&self, kind: SubjectKind, id: &str) -> Option<u32> {
        let id = self.strings.find(id)?;
        if self.lookup.0.n_subjects == self.subjects.len() {
            self.lookup.0.slots.get(&subject_key(kind, id)).copied()
        } else {
            // Right after a snapshot was loaded, before the next event rebuilds the lookup.
            self.subjects
                .iter()
                .position(|s| (s.kind, s.id) == (kind, id))
                .and_then(|i| u32::try_from(i).ok())
        }
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
    pub fn action_of(&self, entry: &EventRef) -> Option<ActionId> {
        match self.subject(entry.stream)? {
            Subject::Action(id) => Some(id),
            _ => None,
        }
    }

    /// The session an entry belongs to or names, if any.
    pub fn session_of(&self, entry: &EventRef) -> Option<SessionId> {
        match self.subject(entry.session()?)? {
            Subject::Session(id) => Some(id),
            _ => None,
        }
    }

    /// The opinions, decisions and revisions recorded at `session`, in log order.
    pub fn session_acts(&self, session: &SessionId) -> &[SessionAct] {
        self.index_of(SubjectKind::Session, session.as_str())
            .and_then(|i| self.session_acts.get(&i))
            .map_or(&[], |v| v.as_slice())
    }

    /// The action with this id, if it was proposed.
    pub fn action(&self, id: &ActionId) -> Option<ActionRef<'_>> {
        self.action_ref(self.action_record(id)?)
    }

    /// The stream of action `id`, proposed or not, if an event named it.
    pub fn action_record(&self, id: &ActionId) -> Option<&ActionRecord> {
        self.action_record_at(self.index_of(SubjectKind::Action, id.as_str())?)
    }

    /// The action stream interned as subject `index`, proposed or not.
    pub fn action_record_at(&self, index: u32) -> Option<&ActionRecord> {
        let entry = self.subjects.get(index as usize)?;
        match entry.kind {
            SubjectKind::Action => self.actions.get(entry.record as usize),
            _ => None,
        }
    }

    /// The action interned as subject `index`, if it was proposed.
    pub fn action_at(&self, index: u32) -> Option<ActionRef<'_>> {
        self.action_ref(self.action_record_at(index)?)
    }

    /// Every proposed action, in the order of its stream's first event.
    pub fn actions(&self) -> impl Iterator<Item = ActionRef<'_>> {
        self.actions.iter().filter_map(|r| self.action_ref(r))
    }

    /// The domain state of action `id` (an empty one when no event named it), as the command
    /// service would fold it: for `decide`, and for tests.
    pub fn action_state(&self, id: &ActionId) -> domain_action::ActionState {
        match self.action_record(id) {
            None => domain_action::ActionState::default(),
            Some(record) => match self.action_ref(record) {
                Some(a) => a.to_state().unwrap_or_default(),
                None => domain_action::ActionState {
                    action: None,
                    first_effective_on: record.first_effective_on,
                    version: record.version,
                },
            },
        }
    }

    fn action_ref<'a>(&'a self, record: &'a ActionRecord) -> Option<ActionRef<'a>> {
        let entry = self.subjects.get(record.subject as usize)?;
        ActionRef::new(self.strings.get(entry.id), record, &self.strings)
    }

    /// The text of a [`Str`] of this programme.
    pub fn str(&self, s: Str) -> &str {
        self.strings.get(s)
    }

    pub fn session(&self, id: &SessionId) -> Option<&session::Session> {
        self.sessions.get(id)?.session.as_ref()
    }

    pub fn partner(&self, id: &PartnerId) -> Option<&partner::Partner> {
        self.partners.get(id)?.partner.as_ref()
    }

    /// The index of the subject `(kind, id)`, interning it when new.
    fn intern(&mut self, kind: SubjectKind, id: &str) -> u32 {
        if self.lookup.0.n_subjects != self.subjects.len() {
            self.lookup.0 = SubjectLookup::of(&self.subjects);
        }
        let id = self.strings.intern(id);
        let key = subject_key(kind, id);
        if let Some(&i) = self.lookup.0.slots.get(&key) {
            return i;
        }
        let i = u32::try_from(self.subjects.len()).unwrap_or(u32::MAX);
        let record = match kind {
            SubjectKind::Action => {
                let r = u32::try_from(self.actions.len()).unwrap_or(u32::MAX);
                self.actions.push(ActionRecord::new(i));
                r
            }
            _ => u32::MAX,
        };
        self.subjects.push(SubjectEntry { kind, id, record });
        self.lookup.0.slots.insert(key, i);
        self.lookup.0.n_subjects = self.subjects.len();
        i
    }

    fn supersede(&mut self, old_position: u64, by: u64) {
        if self.event_at(old_position).is_some() {
            self.superseded.insert(old_position, by);
        }
    }

    /// The position of the later event that superseded the event at `position`.
    pub fn superseded_by(&self, position: u64) -> Option<u64> {
        self.superseded.get(&position).copied()
    }

    /// The amount the event of `entry` carries, `event` being that event read back: the sum of
    /// its lines (requested, proposed, retained), a grant, a payment (for a cancellation, the
    /// cancelled payment's), a repayment, an envelope, the spending of a report. An action's
    /// event counts only if the action was proposed once it was folded.
    pub fn amount_of(&self, entry: &EventRef, event: &DomainEvent) -> Option<Money> {
        match event {
            DomainEvent::Programme(ProgrammeEvent::EnvelopeNotified(x)) => Some(x.amount),
            DomainEvent::Programme(ProgrammeEvent::EnvelopeRevised(x)) => Some(x.amount),
            DomainEvent::Action(e) if entry.of_proposed_action => match e {
                ActionEvent::ActionProposed(e) => Some(sum(&e.requested)),
                ActionEvent::OpinionGiven(e) => Some(sum(&e.proposed)),
                ActionEvent::CopilDecisionTaken(e) => Some(sum(&e.retained)),
                ActionEvent::DecisionRevised(e) => Some(sum(&e.retained)),
                ActionEvent::GrantAwarded(e) => Some(e.amount),
                ActionEvent::PaymentRecorded(e) => Some(e.amount),
                ActionEvent::PaymentCancelled(_) => {
                    self.cancelled_amounts.get(&entry.position).copied()
                }
                ActionEvent::RepaymentRequested(e) => Some(e.amount),
                ActionEvent::RepaymentReceived(e) => Some(e.amount),
                ActionEvent::ReportSubmitted(e) => Some(e.spent),
                _ => None,
            },
            _ => None,
        }
    }

    /// Folds one event of this programme's streams (the caller routes by programme).
    pub fn apply(&mut self, event: &RecordedEvent) {
        let on = event.effective_on;
        let position = event.position;
        let stream = match &event.stream {
            StreamRef::Programme(_) => self.intern(SubjectKind::Programme, ""),
            StreamRef::Partner(_, id) => self.intern(SubjectKind::Partner, id.as_str()),
            StreamRef::Session(_, id) => self.intern(SubjectKind::Session, id.as_str()),
            StreamRef::Action(_, id) => self.intern(SubjectKind::Action, id.as_str()),
        };
        let mut entry = EventRef {
            position,
            effective_on: on,
            recorded_at: event.recorded_at.timestamp_micros(),
            kind: EventKind::of(&event.event),
            stream,
            session: u32::MAX,
            axis: u16::MAX,
            of_proposed_action: false,
        };
        match (&event.stream, &event.event) {
            (StreamRef::Programme(_), DomainEvent::Programme(e)) => {
                programme::apply(&mut self.programme, on, e);
                match e {
                    ProgrammeEvent::EnvelopeNotified(x) => {
                        self.envelope_moved(x.funder.clone(), x.year, position);
                    }
                    ProgrammeEvent::EnvelopeRevised(x) => {
                        self.envelope_moved(x.funder.clone(), x.year, position);
                    }
                    _ => {}
                }
            }
            (StreamRef::Partner(_, id), DomainEvent::Partner(e)) => {
                if let Some(slot) = slot_of(&mut self.partners, id) {
                    partner::apply(slot, on, e);
                }
            }
            (StreamRef::Session(_, id), DomainEvent::Session(e)) => {
                entry.session = stream;
                if let Some(slot) = slot_of(&mut self.sessions, id) {
                    session::apply(slot, on, e);
                }
            }
            (StreamRef::Action(..), DomainEvent::Action(e)) => {
                let record = match self.subjects.get(stream as usize) {
                    Some(s) if s.kind == SubjectKind::Action => s.record,
                    _ => u32::MAX,
                };
                let Some(record) = self.actions.get_mut(record as usize) else {
                    return;
                };
                if let Some(folded) = record.apply(&mut self.strings, on, position, e) {
                    if let Some(axis) = folded.axis {
                        entry.axis = intern_axis(&mut self.axis_codes, self.strings.get(axis));
                    }
                    self.index_action_event(&mut entry, e, folded);
                }
            }
            // `RecordedEvent::from_envelope` refuses an event of another stream's kind.
            _ => {}
        }
        // Grown by an eighth rather than doubled: the index lives as long as the model.
        if self.events.len() == self.events.capacity() {
            self.events.reserve_exact((self.events.len() / 8).max(16));
        }
        self.events.push(entry);
    }

    fn record_act(&mut self, entry: &mut EventRef, session: &SessionId, what: SessionActKind) {
        let s = self.intern(SubjectKind::Session, session.as_str());
        entry.session = s;
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

    /// Indexes an event of a proposed action, once folded into its record.
    fn index_action_event(&mut self, entry: &mut EventRef, event: &ActionEvent, folded: Folded) {
        let position = entry.position;
        let superseded = match event {
            ActionEvent::PaymentCancelled(_) => folded.cancelled.map(|(p, _)| p),
            ActionEvent::DecisionRevised(_) => folded.superseded_decision,
            _ => None,
        };
        if let Some(old) = superseded {
            self.supersede(old, position);
        }
        entry.of_proposed_action = true;
        if let (ActionEvent::PaymentCancelled(_), Some((_, amount))) = (event, folded.cancelled) {
            self.cancelled_amounts.insert(position, amount);
        }
        match event {
            ActionEvent::OpinionGiven(e) => {
                let index = folded.opinion.unwrap_or(u32::MAX);
                self.record_act(entry, &e.session, SessionActKind::Opinion(index));
            }
            ActionEvent::CopilDecisionTaken(e) => {
                self.record_act(entry, &e.session, SessionActKind::Decision(e.decision_no));
            }
            ActionEvent::DecisionRevised(e) => {
                self.record_act(entry, &e.session, SessionActKind::Revision(e.decision_no));
            }
            _ => {}
        }
    }
}

/// The index of `code` among the interned axis codes, interning it when new (`u16::MAX` when
/// the table is full).
fn intern_axis(codes: &mut Vec<AxisCode>, code: &str) -> u16 {
    if let Some(i) = codes.iter().position(|c| c.as_str() == code) {
        return u16::try_from(i).unwrap_or(u16::MAX);
    }
    match (u16::try_from(codes.len()), AxisCode::parse(code)) {
        (Ok(i), Ok(code)) if i != u16::MAX => {
            codes.push(code);
            i
        }
        _ => u16::MAX,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
enum SubjectKind {
    Programme,
    Partner,
    Session,
    Action,
}

impl Subject {
    fn key(&self) -> (SubjectKind, &str) {
        match self {
            Subject::Programme => (SubjectKind::Programme, ""),
            Subject::Partner(id) => (SubjectKind::Partner, id.as_str()),
            Subject::Session(id) => (SubjectKind::Session, id.as_str()),
            Subject::Action(id) => (SubjectKind::Action, id.as_str()),
        }
    }
}

/// A subject as the view keeps it: its kind, its id among the programme's strings, and for an
/// action the index of its record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
struct SubjectEntry {
    kind: SubjectKind,
    id: Str,
    /// The index of the action's record in `actions` (`u32::MAX` for other kinds).
    record: u32,
}

fn subject_key(kind: SubjectKind, id: Str) -> u64 {
    (kind as u64) << 32 | u64::from(id.key())
}

/// (kind, id) → subject index.
#[derive(Debug, Clone, Default)]
struct SubjectLookup {
    /// How many subjects it covers; stale when it differs from `subjects.len()`.
    n_subjects: usize,
    slots: HashMap<u64, u32, BuildHasherDefault<Mix>>,
}

impl SubjectLookup {
    fn of(subjects: &[SubjectEntry]) -> SubjectLookup {
        let slots = subjects
            .iter()
            .enumerate()
            .map(|(i, s)| {
                (
                    subject_key(s.kind, s.id),
                    u32::try_from(i).unwrap_or(u32::MAX),
                )
            })
            .collect();
        SubjectLookup {
            n_subjects: subjects.len(),
            slots,
        }
    }
}

/// Hashes a `u64` key by one multiplication (Fibonacci hashing): the keys are small integers.
#[derive(Debug, Clone, Copy, Default)]
struct Mix(u64);

impl Hasher for Mix {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
}

/// A domain value stored as a [`Str`]: the ids and texts of `domain::values` are strings
/// underneath (serde-transparent), so this gives back exactly the value decoded from the log.
/// `None` only for a type that is not a plain string.
pub fn restore<T: serde::de::DeserializeOwned>(s: &str) -> Option<T> {
    use serde::de::IntoDeserializer;
    let deserializer: serde::de::value::StrDeserializer<'_, serde::de::value::Error> =
        s.into_deserializer();
    T::deserialize(deserializer).ok()
}

/// Data derived from the rest of the view: not part of snapshots (it is rebuilt), and not
/// compared (two views with the same facts are equal whatever their caches hold).
#[derive(Debug, Clone, Default)]
struct Derived<T>(T);

impl<T> PartialEq for Derived<T> {
    fn eq(&self, _: &Derived<T>) -> bool {
        true
    }
}

impl<T> Serialize for Derived<T> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_unit()
    }
}

impl<'de, T: Default> Deserialize<'de> for Derived<T> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        <()>::deserialize(deserializer)?;
        Ok(Derived(T::default()))
    }
}

fn sum(lines: &[domain::values::MoneyLine]) -> Money {
    lines
        .iter()
        .fold(Money::ZERO, |acc, l| acc.saturating_add(l.amount))
}

/// The state of stream `id`, made empty the first time (the id is cloned only then). Always
/// `Some`.
fn slot_of<'a, K: Ord + Clone, V: Default>(
    states: &'a mut BTreeMap<K, V>,
    id: &K,
) -> Option<&'a mut V> {
    if !states.contains_key(id) {
        states.insert(id.clone(), V::default());
    }
    states.get_mut(id)
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

    #[test]
    fn an_event_ref_stays_small() {
        assert!(std::mem::size_of::<EventRef>() <= 32);
    }
}
