//! Realistic logs, for tests, benchmarks and `chronique demo`: one place.
//!
//! The generator drives the real deciders (through `domain::decider::Decider`, as the command
//! service does, and `decide_copil_decisions`) with commands a Cité éducative would give, with
//! contexts gathered by the same `Context::gather`, folds their events locally with `evolve`, encodes them with [`crate::registry::encode`] and appends
//! them with `ExpectedVersion::Exact` on the streams of `domain::streams`: every generated event
//! is one the rules accept. A refusal is a bug of the generator and is returned as an error.
//!
//! It is a discrete-event simulation ordered by the day each fact is *recorded*: most facts are
//! entered a few days after they took effect (minutes typed after the meeting, payments seen on
//! the bank statement), so back-dated entries exist. With a [`SimulatedClock`] passed to
//! `eventlog::Options::clock`, the log's recorded times follow that simulated calendar.
//!
//! Deterministic from the seed (a splitmix64 generator, no dependency): the same parameters give
//! the same events (ids, amounts, dates, recorded times with a simulated clock).
//!
//! Each action is given a *fate*, the stage its life stops at, so that every status of
//! `ActionStatus` occurs in every programme of at least fifteen actions (when `today` leaves
//! time for the lives to unfold).
//!
//! Appends: every command's events go to a pending append, flushed when the simulated day
//! changes, when a stream would appear twice in it, or at 4 000 events; with 250 programmes
//! that is a few hundred events per append. Measured in release on the shared 2-core machine
//! (load average about 10): 1 026 004 events in 89 s (11 500 events/s) with
//! `Durability::Buffered`; a profile shows about two thirds of the CPU in the log's writer and
//! sled (hashing, inserts, background flushes) and most of the rest in the action's `evolve`
//! (`Action::refresh_money`) and allocation, the generator's own logic being a small part.

use std::borrow::Cow;
use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap, HashMap};
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, Datelike, Days, NaiveDate, TimeZone, Utc};
use domain::action::{
    self, ActionCommand, ActionDecider, ActionState, CopilDecision, RecordCopilDecisions,
};
use domain::actor::Actor;
use domain::context::{Context, FactSource, Needs, PartnerFacts, RenewalFacts, SessionFacts};
use domain::decider::{Command, Decider};
use domain::error::DomainError;
use domain::events::*;
use domain::fr;
use domain::partner::{PartnerCommand, PartnerDecider, PartnerState};
use domain::programme::{Programme, ProgrammeCommand, ProgrammeDecider, ProgrammeState};
use domain::session::{SessionCommand, SessionDecider, SessionState};
use domain::streams;
use domain::values::*;
use eventlog::{AppendRequest, EventLog, ExpectedVersion, NewEvent, StreamAppend};

use crate::registry;

// ------------------------------------------------------------------------------ parameters

/// What to generate.
#[derive(Debug, Clone)]
pub struct GeneratorParams {
    pub programmes: usize,
    /// Actions of each programme, spread over its years.
    pub actions_per_programme: usize,
    /// Budget years (exercices) of each programme, the first being `first_year`.
    pub years: u32,
    pub first_year: i32,
    /// Nothing is recorded after this day; lives still unfolding stop where they are.
    pub today: NaiveDate,
    pub seed: u64,
    /// Set before each append so that recorded times follow the simulated calendar; the log must
    /// have been opened with [`SimulatedClock::clock`] as its clock.
    pub clock: Option<SimulatedClock>,
    /// The calendar of a real cité (the demo): a COTECH every month but August, three COPILs a
    /// year, actions that renew actions of the year before, a report deadline extended.
    /// Otherwise a COTECH and two COPILs a year, which keeps the large presets light.
    pub full_year: bool,
}

impl GeneratorParams {
    /// `chronique demo`: one programme (`grigny`) of seventy-five actions over the three budget
    /// years up to `today` (the current year's actions are still under way), with the calendar
    /// of a real cité ([`GeneratorParams::full_year`]): a State envelope of about 350 000 € a
    /// year, the fonds de la cité, the Ville and the Département matching part of it. For realistic recorded
    /// times, open the store with a [`SimulatedClock`], pass it with
    /// [`GeneratorParams::with_clock`], and [`SimulatedClock::release`] it before serving.
    pub fn demo(today: NaiveDate) -> GeneratorParams {
        GeneratorParams {
            programmes: 1,
            actions_per_programme: 75,
            years: 3,
            first_year: today.year() - 2,
            today,
            seed: 2026,
            clock: None,
            full_year: true,
        }
    }

    /// About one million events: 250 programmes of 320 actions over six years, all lives done.
    pub fn million() -> GeneratorParams {
        GeneratorParams {
            programmes: 250,
            actions_per_programme: 320,
            years: 6,
            first_year: 2019,
            today: date(2026, 11, 20),
            seed: 1_000_000,
            clock: None,
            full_year: false,
        }
    }

    /// A small programme whose actions have all reached their fate (tests).
    pub fn small(seed: u64, programmes: usize, actions_per_programme: usize) -> GeneratorParams {
        GeneratorParams {
            programmes,
            actions_per_programme,
            years: 2,
            first_year: 2023,
            today: date(2026, 6, 30),
            seed,
            clock: None,
            full_year: false,
        }
    }

    /// The same parameters, recording times with `clock`.
    pub fn with_clock(mut self, clock: SimulatedClock) -> GeneratorParams {
        self.clock = Some(clock);
        self
    }
}

/// What was generated.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GeneratedSummary {
    pub programmes: Vec<ProgrammeId>,
    pub n_events: u64,
    pub n_appends: u64,
    pub n_actions: u64,
    /// The log head after generation.
    pub last_position: u64,
    /// An action whose COPIL decision was revised.
    pub revised_action: Option<(ProgrammeId, ActionId)>,
    /// A COPIL decision recorded days after its session: the action, the session's date, and
    /// the simulated day it was recorded.
    pub backdated_decision: Option<BackdatedDecision>,
    /// An action with a cancelled payment.
    pub cancelled_payment_action: Option<(ProgrammeId, ActionId)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackdatedDecision {
    pub programme: ProgrammeId,
    pub action: ActionId,
    pub session: SessionId,
    pub session_date: NaiveDate,
    pub recorded_on: NaiveDate,
}

#[derive(Debug, thiserror::Error)]
pub enum GeneratorError {
    /// The rules refused a generated command: a bug of the generator.
    #[error("the rules refused a generated command on {stream} ({command}): {error}")]
    Refused {
        stream: String,
        command: String,
        error: DomainError,
    },
    #[error("event log: {0}")]
    Log(#[from] eventlog::Error),
    #[error("invalid generated value: {0}")]
    Value(String),
}

impl From<InvalidValue> for GeneratorError {
    fn from(value: InvalidValue) -> Self {
        GeneratorError::Value(format!("{value:?}"))
    }
}

// ------------------------------------------------------------------------------ clock

/// A clock for `eventlog::Options::clock` that the generator moves along the simulated
/// calendar; once [`SimulatedClock::release`]d it is the real clock again.
#[derive(Clone)]
pub struct SimulatedClock {
    micros: Arc<AtomicI64>,
}

const REAL_TIME: i64 = i64::MIN;

impl std::fmt::Debug for SimulatedClock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimulatedClock")
            .field("now", &self.now())
            .finish()
    }
}

impl Default for SimulatedClock {
    fn default() -> Self {
        SimulatedClock::new()
    }
}

impl SimulatedClock {
    /// Starts as the real clock until [`SimulatedClock::set`].
    pub fn new() -> SimulatedClock {
        SimulatedClock {
            micros: Arc::new(AtomicI64::new(REAL_TIME)),
        }
    }

    pub fn set(&self, instant: DateTime<Utc>) {
        self.micros
            .store(instant.timestamp_micros(), Ordering::SeqCst);
    }

    /// Back to the real clock.
    pub fn release(&self) {
        self.micros.store(REAL_TIME, Ordering::SeqCst);
    }

    pub fn now(&self) -> DateTime<Utc> {
        match self.micros.load(Ordering::SeqCst) {
            REAL_TIME => Utc::now(),
            micros => DateTime::from_timestamp_micros(micros).unwrap_or_else(Utc::now),
        }
    }

    /// The clock to open the log with.
    pub fn clock(&self) -> eventlog::Clock {
        let this = self.clone();
        Arc::new(move || this.now())
    }
}

// ------------------------------------------------------------------------------ randomness

/// splitmix64: tiny, fast, and good enough for test data.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x5DEE_CE66_D1CE_4E5B)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `low..=high`.
    pub fn range(&mut self, low: u64, high: u64) -> u64 {
        low + self.next_u64() % (high - low + 1)
    }

    /// True with probability `percent` / 100.
    pub fn percent(&mut self, percent: u64) -> bool {
        self.next_u64() % 100 < percent
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[(self.next_u64() % items.len() as u64) as usize]
    }
}

// ------------------------------------------------------------------------------ texts

const COMMUNES: &[(&str, &str)] = &[
    ("Grigny", "Grande Borne – Grigny 2"),
    ("Clichy-sous-Bois", "Le Chêne Pointu"),
    ("Vaulx-en-Velin", "Grande Île"),
    ("Roubaix", "Quartiers Est"),
    ("Marseille", "Saint-Mauront – Belle de Mai"),
    ("Nîmes", "Pissevin – Valdegour"),
    ("Mulhouse", "Coteaux"),
    ("Bordeaux", "Grand Parc"),
    ("Toulouse", "Le Mirail"),
    ("Besançon", "Planoise"),
    ("Rennes", "Le Blosne"),
    ("Amiens", "Amiens Nord"),
    ("Saint-Denis", "Franc-Moisin"),
    ("Montpellier", "Mosson"),
    ("Strasbourg", "Neuhof"),
    ("Nantes", "Bellevue"),
];

const AXES: &[(&str, &str, NationalObjective)] = &[
    (
        "A1",
        "Réussite scolaire et lutte contre le décrochage",
        NationalObjective::SchoolRole,
    ),
    (
        "A2",
        "Continuité éducative entre l'école, la famille et le quartier",
        NationalObjective::EducationalContinuity,
    ),
    (
        "A3",
        "Soutien à la parentalité et place des familles",
        NationalObjective::EducationalContinuity,
    ),
    (
        "A4",
        "Ouverture culturelle, sportive et orientation",
        NationalObjective::WiderHorizons,
    ),
    (
        "A5",
        "Petite enfance et premiers apprentissages",
        NationalObjective::SchoolRole,
    ),
    (
        "A6",
        "Expérimentations numériques (axe abandonné)",
        NationalObjective::WiderHorizons,
    ),
];

const ACTION_TITLES: &[&str] = &[
    "Aide aux devoirs et accompagnement scolaire",
    "Ateliers de lecture et d'écriture",
    "Parcours d'éducation artistique et culturelle",
    "Prévention du décrochage scolaire",
    "Accompagnement à la parentalité",
    "Séjours de découverte pendant les vacances",
    "Club de sciences et de robotique",
    "Théâtre et expression orale",
    "Sport, santé et citoyenneté",
    "Coding club et médiation numérique",
    "Français langue seconde pour les parents",
    "Petits déjeuners à l'école",
    "Orientation et stages de troisième",
    "Classe orchestre",
    "Ludothèque itinérante",
    "Prévention santé, sommeil et écrans",
    "Cordées de la réussite",
    "Vacances apprenantes",
    "Accueil des tout-petits et de leurs parents",
    "Tutorat par des étudiants",
];

const ACTION_PLACES: &[&str] = &[
    "au collège Jean Moulin",
    "dans les écoles du quartier",
    "pour les familles du QPV",
    "au centre social",
    "à la médiathèque",
    "au lycée professionnel",
    "dans les maisons de quartier",
];

const PARTNERS: &[(&str, PartnerKind, LegalForm)] = &[
    ("Collège Jean Moulin", PartnerKind::College, LegalForm::Eple),
    (
        "Collège Pablo Neruda",
        PartnerKind::College,
        LegalForm::Eple,
    ),
    // An école has no legal personality: its money goes to its commune or its coopérative.
    (
        "École élémentaire Jules Ferry",
        PartnerKind::School,
        LegalForm::Unknown,
    ),
    (
        "Association Lire et faire lire",
        PartnerKind::Association,
        LegalForm::Association,
    ),
    (
        "Association Sport dans la ville",
        PartnerKind::Sport,
        LegalForm::Association,
    ),
    (
        "Centre social des Tilleuls",
        PartnerKind::Social,
        LegalForm::Association,
    ),
    (
        "Service municipal de la jeunesse",
        PartnerKind::MunicipalService,
        LegalForm::LocalAuthority,
    ),
    (
        "Médiathèque municipale",
        PartnerKind::Culture,
        LegalForm::LocalAuthority,
    ),
    (
        "Association Les Petits Débrouillards",
        PartnerKind::Association,
        LegalForm::Association,
    ),
    (
        "Conservatoire à rayonnement communal",
        PartnerKind::Culture,
        LegalForm::LocalAuthority,
    ),
    (
        "Maison de santé pluriprofessionnelle",
        PartnerKind::Health,
        LegalForm::OtherPrivate,
    ),
    (
        "Bailleur social Habitat du quartier",
        PartnerKind::Housing,
        LegalForm::OtherPublic,
    ),
];

/// The funders: id, name, kind, and whether it joins most actions' requests.
const FUNDERS: &[(&str, &str, FunderKind)] = &[
    (
        "etat-p147",
        "État – crédits Cité éducative (P147)",
        FunderKind::State,
    ),
    (
        "fonds-cite",
        "Fonds de la cité (collège chef de file)",
        FunderKind::FondsDeLaCite,
    ),
    ("ville", "Ville", FunderKind::Municipality),
    ("departement", "Département", FunderKind::Department),
    ("caf", "Caisse d'allocations familiales", FunderKind::Caf),
    // With a full year only (the demo): the EPCI matches part of the State's money.
    ("epci", "Établissement public territorial", FunderKind::Epci),
];

/// The funders a programme registers: the EPCI only with a full year.
fn funders_of(
    params: &GeneratorParams,
) -> impl Iterator<Item = (usize, &'static (&'static str, &'static str, FunderKind))> + '_ {
    FUNDERS
        .iter()
        .enumerate()
        .filter(|(_, (id, _, _))| params.full_year || *id != "epci")
}

// ------------------------------------------------------------------------------ the simulation

/// Where an action's life stops.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fate {
    Proposed,
    ComplementsRequested,
    UnderReview,
    Withdrawn,
    Rejected,
    Deferred,
    Retained,
    Funded,
    InProgress,
    Completed,
    NotRealised,
    NotRealisedClosed,
    Reported,
    Evaluated,
    Closed,
}

/// One of each first (so that every status occurs), then mostly complete lives.
const FIRST_FATES: &[Fate] = &[
    Fate::Closed,
    Fate::Proposed,
    Fate::ComplementsRequested,
    Fate::UnderReview,
    Fate::Withdrawn,
    Fate::Rejected,
    Fate::Deferred,
    Fate::Retained,
    Fate::Funded,
    Fate::InProgress,
    Fate::Completed,
    Fate::NotRealised,
    Fate::NotRealisedClosed,
    Fate::Reported,
    Fate::Evaluated,
];

/// With a full year, about one action in five of each year after the first renews an action of
/// the year before that got past its COPIL (each renewed once): a cité's plan continues.
fn renew_some(actions: &mut [ActionSim]) {
    let mut renewed: Vec<usize> = Vec::new();
    for i in 0..actions.len() {
        if i % 5 != 0 {
            continue;
        }
        let year = actions[i].year;
        let candidate = (0..actions.len()).find(|&j| {
            actions[j].year == year - 1
                && !renewed.contains(&j)
                && !matches!(
                    actions[j].fate,
                    Fate::Proposed
                        | Fate::ComplementsRequested
                        | Fate::UnderReview
                        | Fate::Withdrawn
                        | Fate::Rejected
                        | Fate::Deferred
                )
        });
        if let Some(j) = candidate {
            renewed.push(j);
            let (title, holder, axis) = (
                actions[j].proposal.title.clone(),
                actions[j].proposal.holder.clone(),
                actions[j].proposal.axis.clone(),
            );
            let renewal = &mut actions[i].proposal;
            renewal.renews = Some(actions[j].id.clone());
            renewal.title = title;
            renewal.holder = holder;
            // The renewed action's axis, never also among its secondary ones (rule 3).
            renewal.secondary_axes.retain(|a| a != &axis);
            renewal.axis = axis;
        }
    }
}

fn random_fate(rng: &mut Rng) -> Fate {
    match rng.range(0, 99) {
        0..=59 => Fate::Closed,
        60..=64 => Fate::Evaluated,
        65..=68 => Fate::Reported,
        69..=76 => Fate::Rejected,
        77..=81 => Fate::Withdrawn,
        82..=84 => Fate::Deferred,
        85..=89 => Fate::NotRealisedClosed,
        90..=91 => Fate::NotRealised,
        92..=94 => Fate::InProgress,
        95..=96 => Fate::Completed,
        _ => Fate::Funded,
    }
}

struct ActionSim {
    id: ActionId,
    year: i32,
    fate: Fate,
    complements: bool,
    deferred_first: bool,
    revised: bool,
    cancelled_payment: bool,
    period_changed: bool,
    amended: bool,
    refused_funder: bool,
    proposal: ActionProposed,
    state: ActionState,
    n_payments: u32,
}

struct SessionSim {
    id: SessionId,
    body: BodyKind,
    date: NaiveDate,
    title: String,
    state: SessionState,
}

struct ProgrammeSim {
    id: ProgrammeId,
    commune: &'static str,
    qpv: &'static str,
    state: ProgrammeState,
    partners: Vec<(PartnerId, PartnerState)>,
    sessions: Vec<SessionSim>,
    actions: Vec<ActionSim>,
    granted: BTreeMap<(FunderId, Year), Money>,
    /// A report deadline was extended (once per programme, with a full year).
    deadline_extended: bool,
    /// Planned requests per funder and year, to size the envelopes.
    planned: BTreeMap<(usize, i32), i64>,
}

/// The facts of other streams, as the generator folded them.
impl FactSource for ProgrammeSim {
    type Error = std::convert::Infallible;

    fn programme(&self) -> Result<Option<Cow<'_, Programme>>, Self::Error> {
        Ok(self.state.programme.as_ref().map(Cow::Borrowed))
    }

    fn session(&self, id: &SessionId) -> Result<Option<SessionFacts>, Self::Error> {
        Ok(self
            .sessions
            .iter()
            .find(|s| &s.id == id)
            .and_then(|s| s.state.session.as_ref())
            .map(SessionFacts::from))
    }

    fn partner(&self, id: &PartnerId) -> Result<Option<PartnerFacts>, Self::Error> {
        Ok(self
            .partners
            .iter()
            .find(|(partner, _)| partner == id)
            .and_then(|(_, s)| s.partner.as_ref())
            .map(PartnerFacts::from))
    }

    fn granted(&self, funder: &FunderId, year: Year) -> Result<Money, Self::Error> {
        Ok(self
            .granted
            .get(&(funder.clone(), year))
            .copied()
            .unwrap_or(Money::ZERO))
    }

    fn renewal(&self, id: &ActionId) -> Result<Option<RenewalFacts>, Self::Error> {
        let actions = || self.actions.iter().filter_map(|a| a.state.action.as_ref());
        Ok(actions().find(|a| &a.id == id).map(|renewed| RenewalFacts {
            id: id.clone(),
            year: renewed.year,
            holder: renewed.holder.clone(),
            status: renewed.status,
            renewed_by: actions()
                .filter(|a| a.renews.as_ref() == Some(id))
                .map(|a| (a.id.clone(), a.status))
                .collect(),
        }))
    }

    fn granted_to(
        &self,
        partner: &PartnerId,
        funder: &FunderId,
        year: Year,
    ) -> Result<Money, Self::Error> {
        Ok(self
            .actions
            .iter()
            .filter_map(|a| a.state.action.as_ref())
            .filter(|a| &a.holder == partner)
            .flat_map(|a| &a.grants)
            .filter(|g| &g.funder == funder && g.year == year)
            .fold(Money::ZERO, |acc, g| acc.saturating_add(g.amount)))
    }

    fn references(&self) -> Result<Vec<(String, Year)>, Self::Error> {
        Ok(self
            .actions
            .iter()
            .filter_map(|a| a.state.action.as_ref())
            .map(|a| (a.reference.to_string(), a.year))
            .collect())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Task {
    Establish,
    YearStart(i32),
    ScheduleSession(usize),
    HoldSession(usize),
    CancelSession(usize),
    Opinions(usize),
    Decisions(usize),
    ReviseEnvelope(i32),
    Membership(i32),
    PartnerLeaves,
    Propose(usize),
    RequestComplements(usize),
    ProvideComplements(usize),
    Amend(usize),
    Withdraw(usize),
    Grants(usize),
    Advance(usize),
    WrongPayment(usize),
    CancelWrongPayment(usize),
    Start(usize),
    Measure(usize),
    Interim(usize),
    ChangePeriod(usize),
    NotRealised(usize),
    RequestRepayment(usize),
    ReceiveRepayment(usize),
    Complete(usize),
    FinalReport(usize),
    Balance(usize),
    Evaluate(usize),
    Close(usize),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Scheduled {
    /// The day it is recorded (the simulation's order).
    recorded: NaiveDate,
    seq: u64,
    /// The day it takes effect.
    effective: NaiveDate,
    programme: usize,
    task: Task,
}

/// The pending append: consecutive events of one stream share a [`StreamAppend`].
#[derive(Default)]
struct Pending {
    streams: Vec<StreamAppend>,
    n_events: usize,
}

struct Sim<'a> {
    log: &'a EventLog,
    params: &'a GeneratorParams,
    rng: Rng,
    programmes: Vec<ProgrammeSim>,
    queue: BinaryHeap<Reverse<Scheduled>>,
    seq: u64,
    /// The simulated day being recorded.
    today: NaiveDate,
    pending: Pending,
    pending_day: Option<NaiveDate>,
    appends_today: u32,
    summary: GeneratedSummary,
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or(NaiveDate::MIN)
}

fn plus(day: NaiveDate, days: u64) -> NaiveDate {
    day.checked_add_days(Days::new(days)).unwrap_or(day)
}

fn euros(amount: i64) -> Money {
    Money::from_cents(amount.clamp(0, Money::MAX_CENTS)).unwrap_or(Money::ZERO)
}

fn title(s: &str) -> Result<Title, GeneratorError> {
    Ok(Title::parse("titre", s)?)
}

fn note(s: &str) -> Result<Note, GeneratorError> {
    Ok(Note::parse("note", s)?)
}

fn name(s: &str) -> Result<Name, GeneratorError> {
    Ok(Name::parse("nom", s)?)
}

fn slug(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        let c = match c {
            'é' | 'è' | 'ê' | 'ë' => 'e',
            'à' | 'â' => 'a',
            'î' | 'ï' => 'i',
            'ô' => 'o',
            'û' | 'ù' => 'u',
            'ç' => 'c',
            c => c.to_ascii_lowercase(),
        };
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    out.trim_end_matches('-').to_owned()
}

/// A valid SIRET (Luhn) from 13 random digits.
fn siret(rng: &mut Rng) -> Option<Siret> {
    let mut digits: Vec<u32> = (0..13).map(|_| rng.range(0, 9) as u32).collect();
    digits[0] = rng.range(1, 9) as u32;
    if digits[0] == 3 {
        digits[0] = 4;
    }
    for check in 0..10 {
        let mut all = digits.clone();
        all.push(check);
        let sum: u32 = all
            .iter()
            .rev()
            .enumerate()
            .map(|(i, &d)| {
                if i % 2 == 1 {
                    let x = d * 2;
                    if x > 9 { x - 9 } else { x }
                } else {
                    d
                }
            })
            .sum();
        if sum.is_multiple_of(10) {
            let s: String = all.iter().map(|d| char::from(b'0' + *d as u8)).collect();
            return Siret::parse(&s).ok();
        }
    }
    None
}

/// The actor id of the generator's events: not a person, so no name to erase.
pub const GENERATOR_ACTOR: &str = "system:demo";

/// Generates `params` into `log` (which should be empty; with [`GeneratorParams::clock`], opened
/// with that clock; `Durability::Buffered` makes it much faster). Blocking: call it outside
/// async tasks (or in `spawn_blocking`).
pub fn generate(
    log: &EventLog,
    params: &GeneratorParams,
) -> Result<GeneratedSummary, GeneratorError> {
    let mut sim = Sim {
        log,
        params,
        rng: Rng::new(params.seed),
        programmes: Vec::new(),
        queue: BinaryHeap::new(),
        seq: 0,
        today: date(params.first_year, 1, 1),
        pending: Pending::default(),
        pending_day: None,
        appends_today: 0,
        summary: GeneratedSummary::default(),
    };
    sim.plan()?;
    while let Some(Reverse(next)) = sim.queue.pop() {
        if next.recorded > params.today {
            break;
        }
        if sim.pending_day != Some(next.recorded) {
            sim.flush()?;
            sim.pending_day = Some(next.recorded);
            sim.appends_today = 0;
        }
        sim.today = next.recorded;
        sim.run(next)?;
        if sim.pending.n_events >= 4_000 {
            sim.flush()?;
        }
    }
    sim.flush()?;
    sim.summary.last_position = log.head().position;
    sim.summary.n_actions = sim.programmes.iter().map(|p| p.actions.len() as u64).sum();
    Ok(sim.summary)
}

impl Sim<'_> {
    fn plan(&mut self) -> Result<(), GeneratorError> {
        let params = self.params;
        let years = params.years.max(1) as i32;
        for p in 0..params.programmes {
            let (commune, qpv) = COMMUNES[p % COMMUNES.len()];
            let id = if params.programmes == 1 {
                slug(commune)
            } else {
                format!("{}-{:04}", slug(commune), p + 1)
            };
            let mut prog = ProgrammeSim {
                id: ProgrammeId::parse(&id)?,
                commune,
                qpv,
                state: ProgrammeState::default(),
                partners: Vec::new(),
                sessions: Vec::new(),
                actions: Vec::new(),
                granted: BTreeMap::new(),
                deadline_extended: false,
                planned: BTreeMap::new(),
            };
            for (i, (partner_name, _, _)) in PARTNERS.iter().enumerate() {
                let pid = format!("{}-{}", slug(partner_name), i + 1);
                prog.partners
                    .push((PartnerId::parse(&pid)?, PartnerState::default()));
            }
            // Sessions: per year a COTECH in March, a COPIL in April, a COPIL in October (with a
            // full year, a COTECH every month but August and a COPIL de bilan in February too);
            // a COTECH in June of the second year is cancelled.
            for y in 0..years {
                let year = params.first_year + y;
                let r = self.rng.range(0, 6) as u32;
                let mut specs = vec![
                    (
                        BodyKind::Copil,
                        date(year, 4, 8 + r),
                        "COPIL de programmation",
                    ),
                    (BodyKind::Copil, date(year, 10, 8 + r), "COPIL d'automne"),
                ];
                if params.full_year {
                    // The programme starts in January: its first year has no bilan to draw, and
                    // no COTECH before it exists.
                    if y > 0 {
                        specs.push((BodyKind::Copil, date(year, 2, 2 + r), "COPIL de bilan"));
                    }
                    for month in (1..=12).filter(|m| *m != 8 && (y > 0 || *m > 1)) {
                        specs.push((BodyKind::Cotech, date(year, month, 17 + r), "COTECH"));
                    }
                } else {
                    specs.push((
                        BodyKind::Cotech,
                        date(year, 3, 17 + r),
                        "COTECH de printemps",
                    ));
                    if y == 1 {
                        specs.push((BodyKind::Cotech, date(year, 6, 12), "COTECH de juin"));
                    }
                }
                specs.sort_by_key(|(_, day, _)| *day);
                for (body, day, label) in specs {
                    prog.sessions.push(SessionSim {
                        id: SessionId::parse(&format!(
                            "{}-{}-{}",
                            if body == BodyKind::Copil {
                                "copil"
                            } else {
                                "cotech"
                            },
                            year,
                            day.month()
                        ))?,
                        body,
                        date: day,
                        title: if params.full_year && body == BodyKind::Cotech {
                            format!("{label} de {} {year}", fr::month(day.month()))
                        } else {
                            format!("{label} {year}")
                        },
                        state: SessionState::default(),
                    });
                }
            }
            // Actions, spread over the years; fates: one of each first, then at random. Early
            // fates go to the last year, where they are natural.
            let n = params.actions_per_programme;
            for a in 0..n {
                let fate = match FIRST_FATES.get(a) {
                    Some(fate) => *fate,
                    None => random_fate(&mut self.rng),
                };
                let early = matches!(
                    fate,
                    Fate::Proposed | Fate::ComplementsRequested | Fate::UnderReview
                );
                let year = if early {
                    params.first_year + years - 1
                } else {
                    params.first_year + (a as i32 % years)
                };
                let action = self.plan_action(&prog, a, year, fate)?;
                for line in &action.proposal.requested {
                    let f = FUNDERS
                        .iter()
                        .position(|(id, _, _)| *id == line.funder.as_str())
                        .unwrap_or(0);
                    *prog.planned.entry((f, year)).or_default() += line.amount.cents();
                }
                prog.actions.push(action);
            }
            if params.full_year {
                renew_some(&mut prog.actions);
            }
            self.programmes.push(prog);

            // The programme's calendar.
            let start = date(params.first_year, 1, 2 + self.rng.range(0, 3) as u32);
            self.schedule(p, Task::Establish, start, start);
            for y in 0..years {
                let year = params.first_year + y;
                let day = date(year, 1, 12 + self.rng.range(0, 10) as u32);
                let lag = self.rng.range(1, 6);
                self.schedule(p, Task::YearStart(year), day, plus(day, lag));
                let day = date(year, 6, 10 + self.rng.range(0, 10) as u32);
                self.schedule(p, Task::ReviseEnvelope(year), day, plus(day, 3));
                let day = date(year, 9, 15 + self.rng.range(0, 10) as u32);
                self.schedule(p, Task::Membership(year), day, plus(day, 2));
            }
            if years > 1 {
                let day = date(params.first_year + 1, 11, 30);
                self.schedule(p, Task::PartnerLeaves, day, plus(day, 4));
            }
            let sessions: Vec<(usize, NaiveDate, bool)> = self.programmes[p]
                .sessions
                .iter()
                .enumerate()
                .map(|(i, s)| {
                    let cancelled = s.body == BodyKind::Cotech
                        && s.date.month() == 6
                        && s.date.year() == params.first_year + 1;
                    (i, s.date, cancelled)
                })
                .collect();
            for (s, day, cancelled) in sessions {
                let scheduled = day - Days::new(25);
                self.schedule(p, Task::ScheduleSession(s), scheduled, scheduled);
                if cancelled {
                    let c = day - Days::new(5);
                    self.schedule(p, Task::CancelSession(s), c, c);
                    continue;
                }
                let held = plus(day, self.rng.range(1, 3));
                self.schedule(p, Task::HoldSession(s), day, held);
                let minutes = plus(held, self.rng.range(2, 9));
                let task = if self.programmes[p].sessions[s].body == BodyKind::Copil {
                    Task::Decisions(s)
                } else {
                    Task::Opinions(s)
                };
                self.schedule(p, task, day, minutes);
            }
            for a in 0..self.programmes[p].actions.len() {
                let year = self.programmes[p].actions[a].year;
                let day = date(year, 1, 20) + Days::new(self.rng.range(0, 35));
                let lag = self.rng.range(0, 2);
                self.schedule(p, Task::Propose(a), day, plus(day, lag));
            }
            self.summary.programmes.push(self.programmes[p].id.clone());
        }
        Ok(())
    }

    fn plan_action(
        &mut self,
        prog: &ProgrammeSim,
        index: usize,
        year: i32,
        fate: Fate,
    ) -> Result<ActionSim, GeneratorError> {
        let rng = &mut self.rng;
        let base = *rng.pick(ACTION_TITLES);
        let place = *rng.pick(ACTION_PLACES);
        let id = ActionId::parse(&format!("{}-{:03}-{}", year, index + 1, slug(base)))?;
        // Costs from 3 000 € to 90 000 €, many small ones.
        let cost_euros = match rng.range(0, 9) {
            0..=4 => rng.range(3_000, 15_000),
            5..=7 => rng.range(15_000, 40_000),
            _ => rng.range(40_000, 90_000),
        };
        // A real cité's plan (the demo) runs larger actions: a State envelope of about 350 000 €
        // a year for twenty-five actions.
        let cost_euros = if self.params.full_year {
            cost_euros * 5 / 4
        } else {
            cost_euros
        };
        let total_cost = (cost_euros as i64 / 10) * 10 * 100;
        let share = if rng.percent(5) {
            rng.range(82, 95)
        } else {
            rng.range(50, 80)
        } as i64;
        let request = total_cost * share / 100 / 1000 * 1000;
        let mut funders: Vec<usize> = Vec::new();
        // The fonds de la cité (about 30 000 € a year) pays for small actions.
        let small = if self.params.full_year { 20_000 } else { 6_000 };
        if cost_euros < small && rng.percent(60) {
            funders.push(1);
        } else {
            funders.push(0);
            if rng.percent(50) {
                funders.push(2);
            }
            if rng.percent(20) {
                funders.push(3);
            }
            if rng.percent(20) {
                funders.push(4);
            }
            if self.params.full_year && rng.percent(30) {
                funders.push(5);
            }
        }
        let mut requested = Vec::new();
        let mut left = request;
        for (i, &f) in funders.iter().enumerate() {
            let amount = if i + 1 == funders.len() {
                left
            } else {
                (left * rng.range(40, 70) as i64 / 100) / 1000 * 1000
            };
            left -= amount;
            if amount > 0 {
                requested.push(MoneyLine::new(
                    FunderId::parse(FUNDERS[f].0)?,
                    euros(amount),
                ));
            }
        }
        let school_year = rng.percent(70);
        let (period_start, period_end) = if school_year {
            (date(year, 9, 1), date(year + 1, 6, 30))
        } else {
            (date(year, 4, 15), date(year, 12, 15))
        };
        // The holders are the first eleven partners; the twelfth leaves the alliance.
        let holder = (index * 7 + year as usize) % (PARTNERS.len() - 1);
        let axis = AXES[index % 5].0;
        let secondary = AXES[(index + 1) % 5].0;
        let mut indicators = vec![IndicatorDef {
            code: IndicatorCode::parse("participants")?,
            label: title("Nombre de participants")?,
            target: Some(rng.range(15, 120) as f64),
        }];
        if rng.percent(50) {
            indicators.push(IndicatorDef {
                code: IndicatorCode::parse("assiduite")?,
                label: title("Taux d'assiduité (%)")?,
                target: Some(80.0),
            });
        }
        let proposal = ActionProposed {
            action: id.clone(),
            reference: action::generated_reference(Year::parse(year)?, index as u32 + 1),
            title: title(&format!("{base} {place}"))?,
            summary: Narrative::parse(
                "résumé",
                &format!(
                    "{base} {place}, à {}, pour les enfants et les jeunes du quartier {} et leurs familles.",
                    prog.commune, prog.qpv
                ),
            )?,
            holder: prog.partners[holder].0.clone(),
            axis: AxisCode::parse(axis)?,
            secondary_axes: if rng.percent(40) {
                vec![AxisCode::parse(secondary)?]
            } else {
                Vec::new()
            },
            publics: if rng.percent(30) {
                vec![PublicKind::Children, PublicKind::Parents]
            } else {
                vec![PublicKind::Children]
            },
            qpv: vec![name(prog.qpv)?],
            period_start,
            period_end,
            year: Year::parse(year)?,
            total_cost: euros(total_cost),
            requested,
            indicators,
            external_refs: if rng.percent(60) {
                vec![title(&format!(
                    "DAUPHIN-{year}-{:05}",
                    rng.range(1, 99_999)
                ))?]
            } else {
                Vec::new()
            },
            renews: None,
        };
        let decided = !matches!(
            fate,
            Fate::Proposed | Fate::ComplementsRequested | Fate::UnderReview | Fate::Withdrawn
        );
        let beyond_retained = decided && !matches!(fate, Fate::Rejected | Fate::Deferred);
        Ok(ActionSim {
            id,
            year,
            fate,
            complements: fate == Fate::ComplementsRequested || rng.percent(15),
            deferred_first: fate == Fate::Deferred || (beyond_retained && rng.percent(8)),
            revised: beyond_retained && fate != Fate::Retained && rng.percent(6),
            cancelled_payment: rng.percent(5),
            period_changed: rng.percent(8),
            amended: rng.percent(10),
            refused_funder: rng.percent(5),
            proposal,
            state: ActionState::default(),
            n_payments: 0,
        })
    }

    fn schedule(
        &mut self,
        programme: usize,
        task: Task,
        effective: NaiveDate,
        recorded: NaiveDate,
    ) {
        self.seq += 1;
        let recorded = recorded.max(effective).max(self.today);
        self.queue.push(Reverse(Scheduled {
            recorded,
            seq: self.seq,
            effective,
            programme,
            task,
        }));
    }

    /// Schedules a follow-up `days` after `from`, recorded a few days later.
    fn follow(&mut self, p: usize, task: Task, from: NaiveDate, days: (u64, u64), lag: (u64, u64)) {
        let effective = plus(from, self.rng.range(days.0, days.1));
        let recorded = plus(effective, self.rng.range(lag.0, lag.1));
        self.schedule(p, task, effective, recorded);
    }

    // -------------------------------------------------------------------------- appending

    fn push(
        &mut self,
        stream_id: String,
        version_before: u64,
        events: Vec<NewEvent>,
    ) -> Result<(), GeneratorError> {
        if events.is_empty() {
            return Ok(());
        }
        let last_is_same = self
            .pending
            .streams
            .last()
            .is_some_and(|s| s.stream_id == stream_id);
        if !last_is_same
            && self
                .pending
                .streams
                .iter()
                .any(|s| s.stream_id == stream_id)
        {
            self.flush()?;
        }
        self.pending.n_events += events.len();
        match self.pending.streams.last_mut() {
            Some(last) if last.stream_id == stream_id => last.events.extend(events),
            _ => self.pending.streams.push(StreamAppend {
                stream_id,
                expected: ExpectedVersion::Exact(version_before),
                events,
            }),
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<(), GeneratorError> {
        if self.pending.streams.is_empty() {
            return Ok(());
        }
        if let Some(clock) = &self.params.clock {
            // Entered during the working day, a few minutes apart.
            let day = self.pending_day.unwrap_or(self.today);
            let at = day.and_hms_opt(9, 0, 0).unwrap_or_default()
                + chrono::Duration::seconds(i64::from(self.appends_today) * 97);
            clock.set(Utc.from_utc_datetime(&at));
        }
        self.appends_today += 1;
        let streams = std::mem::take(&mut self.pending.streams);
        self.pending.n_events = 0;
        let n: usize = streams.iter().map(|s| s.events.len()).sum();
        self.log.append_blocking(AppendRequest {
            streams,
            command: None,
        })?;
        self.summary.n_events += n as u64;
        self.summary.n_appends += 1;
        Ok(())
    }

    fn new_event(encoded: registry::EncodedEvent, on: NaiveDate, role: Role) -> NewEvent {
        NewEvent::new(
            encoded.event_type,
            encoded.schema_version,
            on,
            GENERATOR_ACTOR,
            encoded.payload,
        )
        .with_role(role.code())
        .with_texts(encoded.texts)
    }

    /// The context of a command of `role` in programme `p`, gathered from what was generated.
    fn context(&self, p: usize, role: Role, needs: &Needs) -> Context {
        let prog = &self.programmes[p];
        let actor = match role {
            Role::Admin => Actor::admin(),
            role => Actor::of(role, prog.id.clone()),
        };
        let Ok(context) = Context::gather(actor, self.today, prog.id.clone(), needs, prog);
        context
    }

    /// Decides `command` on the stream of kind `D` named `id` in programme `p`, whose state
    /// `state_of` finds, folds its events into that state and adds them to the pending append:
    /// the one path of every generated command but the COPIL's. `on`: the `effectiveOn` option.
    fn decide<D: Decider>(
        &mut self,
        p: usize,
        role: Role,
        on: Option<NaiveDate>,
        id: &D::Id,
        state_of: impl Fn(&mut ProgrammeSim) -> &mut D::State,
        command: D::Command,
    ) -> Result<(), GeneratorError> {
        let needs = D::needs(state_of(&mut self.programmes[p]), &command);
        let context = self.context(p, role, &needs);
        let prog = &mut self.programmes[p];
        let stream = D::stream(&prog.id, id).stream_id();
        let mut command = Command {
            command,
            effective_on: on,
        };
        let state = state_of(prog);
        // The ids the command service gives (`g{n}`, `v{n}`, the next reference), the same way.
        D::assign_ids(&mut command.command, state, &context);
        let decided =
            D::decide(state, &command, &context).map_err(|error| GeneratorError::Refused {
                stream: stream.clone(),
                command: format!("{:?}", D::command_kind(&command.command)),
                error,
            })?;
        let before = D::version(state);
        let mut events = Vec::new();
        for event in decided.dated() {
            *state = D::evolve(std::mem::take(state), &event);
            events.push(event.event.into());
        }
        let mut out = Vec::new();
        for event in events {
            if let DomainEvent::Action(ActionEvent::GrantAwarded(g)) = &event {
                let sum = prog
                    .granted
                    .entry((g.funder.clone(), g.year))
                    .or_insert(Money::ZERO);
                *sum = sum.saturating_add(g.amount);
            }
            out.push(Self::new_event(
                registry::encode_erasable(&event),
                decided.effective_on,
                role,
            ));
        }
        self.push(stream, before, out)
    }

    fn programme_cmd(
        &mut self,
        p: usize,
        role: Role,
        on: NaiveDate,
        command: ProgrammeCommand,
    ) -> Result<(), GeneratorError> {
        self.decide::<ProgrammeDecider>(p, role, Some(on), &(), |prog| &mut prog.state, command)
    }

    fn partner_cmd(
        &mut self,
        p: usize,
        i: usize,
        on: NaiveDate,
        command: PartnerCommand,
    ) -> Result<(), GeneratorError> {
        let id = self.programmes[p].partners[i].0.clone();
        self.decide::<PartnerDecider>(
            p,
            Role::Coordinator,
            Some(on),
            &id,
            |prog| &mut prog.partners[i].1,
            command,
        )
    }

    fn session_cmd(
        &mut self,
        p: usize,
        s: usize,
        on: Option<NaiveDate>,
        command: SessionCommand,
    ) -> Result<(), GeneratorError> {
        let id = self.programmes[p].sessions[s].id.clone();
        self.decide::<SessionDecider>(
            p,
            Role::Coordinator,
            on,
            &id,
            |prog| &mut prog.sessions[s].state,
            command,
        )
    }

    /// `on`: the `effectiveOn` option, for commands that name no date.
    fn action_cmd(
        &mut self,
        p: usize,
        a: usize,
        role: Role,
        on: Option<NaiveDate>,
        command: ActionCommand,
    ) -> Result<(), GeneratorError> {
        let id = self.programmes[p].actions[a].id.clone();
        self.decide::<ActionDecider>(p, role, on, &id, |prog| &mut prog.actions[a].state, command)
    }

    fn status(&self, p: usize, a: usize) -> Option<ActionStatus> {
        self.programmes[p].actions[a]
            .state
            .action
            .as_ref()
            .map(|x| x.status)
    }

    fn action(&self, p: usize, a: usize) -> Option<&action::Action> {
        self.programmes[p].actions[a].state.action.as_ref()
    }

    // -------------------------------------------------------------------------- the tasks

    /// Runs one scheduled task; each is a method named for it.
    fn run(&mut self, next: Scheduled) -> Result<(), GeneratorError> {
        let p = next.programme;
        let on = next.effective;
        match next.task {
            Task::Establish => self.establish(p, on),
            Task::YearStart(year) => self.year_start(p, year, on),
            Task::ReviseEnvelope(year) => self.revise_envelope(p, year, on),
            Task::Membership(year) => self.membership(p, year, on),
            Task::PartnerLeaves => self.partner_leaves(p, on),
            Task::ScheduleSession(s) => self.schedule_session(p, s, on),
            Task::HoldSession(s) => self.hold_session(p, s),
            Task::CancelSession(s) => self.session_cmd(
                p,
                s,
                Some(on),
                SessionCommand::CancelSession {
                    reason: note("Quorum non atteint : séance reportée au COPIL d'automne.")?,
                },
            ),
            Task::Opinions(s) => self.opinions(p, s),
            Task::Decisions(s) => self.decisions(p, s),
            Task::Propose(a) => self.propose(p, a, on),
            Task::RequestComplements(a) => self.request_complements(p, a, on),
            Task::ProvideComplements(a) => self.action_cmd(
                p,
                a,
                Role::Coordinator,
                Some(on),
                ActionCommand::ProvideComplements {
                    note: note("Budget détaillé et lettre de soutien déposés sur la plateforme.")?,
                },
            ),
            Task::Amend(a) => self.amend(p, a, on),
            Task::Withdraw(a) => self.withdraw(p, a, on),
            Task::Grants(a) => self.grants(p, a, on),
            Task::Advance(a) => self.advance(p, a, on),
            Task::WrongPayment(a) => self.wrong_payment(p, a, on),
            Task::CancelWrongPayment(a) => self.cancel_wrong_payment(p, a, on),
            Task::Start(a) => self.start(p, a, on),
            Task::Measure(a) => self.measure(p, a, on),
            Task::Interim(a) => self.interim(p, a, on),
            Task::ChangePeriod(a) => self.change_period(p, a, on),
            Task::NotRealised(a) => self.not_realised(p, a, on),
            Task::RequestRepayment(a) => self.request_repayment(p, a, on),
            Task::ReceiveRepayment(a) => self.receive_repayment(p, a, on),
            Task::Complete(a) => self.complete(p, a, on),
            Task::FinalReport(a) => self.final_report(p, a, on),
            Task::Balance(a) => self.balance(p, a, on),
            Task::Evaluate(a) => self.evaluate(p, a, on),
            Task::Close(a) => self.action_cmd(
                p,
                a,
                Role::Coordinator,
                Some(on),
                ActionCommand::CloseAction,
            ),
        }
    }

    fn revise_envelope(
        &mut self,
        p: usize,
        year: i32,
        on: NaiveDate,
    ) -> Result<(), GeneratorError> {
        let funder = FunderId::parse("ville")?;
        let Some(env) = self.programmes[p]
            .state
            .programme
            .as_ref()
            .and_then(|x| x.envelope(&funder, Year::parse(year).ok()?))
        else {
            return Ok(());
        };
        let amount = euros(env.amount.cents() / 100 * 110);
        self.programme_cmd(
            p,
            Role::Pilot,
            on,
            ProgrammeCommand::ReviseEnvelope {
                funder,
                year: Year::parse(year)?,
                amount,
                reason: note("Délibération modificative du conseil municipal : abondement de l'enveloppe de 10 %.")?,
            },
        )
    }

    fn membership(&mut self, p: usize, year: i32, on: NaiveDate) -> Result<(), GeneratorError> {
        let organisations = vec![
            name("Préfecture")?,
            name("Direction des services départementaux de l'éducation nationale")?,
            name(&format!("Ville de {}", self.programmes[p].commune))?,
            name("Caisse d'allocations familiales")?,
            name(if year % 2 == 0 {
                "Conseil départemental"
            } else {
                "Établissement public territorial"
            })?,
        ];
        self.programme_cmd(
            p,
            Role::Pilot,
            on,
            ProgrammeCommand::ChangeBodyMembership {
                body: BodyKind::Copil,
                organisations,
            },
        )
    }

    fn partner_leaves(&mut self, p: usize, on: NaiveDate) -> Result<(), GeneratorError> {
        let last = PARTNERS.len() - 1;
        self.partner_cmd(
            p,
            last,
            on,
            PartnerCommand::PartnerLeaves {
                reason: note("Le bailleur a transféré son patrimoine à un autre organisme.")?,
            },
        )
    }

    fn schedule_session(
        &mut self,
        p: usize,
        s: usize,
        on: NaiveDate,
    ) -> Result<(), GeneratorError> {
        let sim = &self.programmes[p].sessions[s];
        let command = SessionCommand::ScheduleSession {
            session: sim.id.clone(),
            body: sim.body,
            date: sim.date,
            title: title(&sim.title)?,
        };
        self.session_cmd(p, s, Some(on), command)
    }

    fn hold_session(&mut self, p: usize, s: usize) -> Result<(), GeneratorError> {
        let present = vec![
            name("Préfecture")?,
            name("Éducation nationale")?,
            name(&format!("Ville de {}", self.programmes[p].commune))?,
        ];
        self.session_cmd(p, s, None, SessionCommand::RecordSessionHeld { present })
    }

    fn request_complements(
        &mut self,
        p: usize,
        a: usize,
        on: NaiveDate,
    ) -> Result<(), GeneratorError> {
        if self.status(p, a) != Some(ActionStatus::Proposed) {
            return Ok(());
        }
        self.action_cmd(
            p,
            a,
            Role::Coordinator,
            Some(on),
            ActionCommand::RequestComplements {
                items: vec![
                    title("Budget prévisionnel détaillé")?,
                    title("Lettre de soutien du chef d'établissement")?,
                ],
            },
        )?;
        if self.programmes[p].actions[a].fate != Fate::ComplementsRequested {
            self.follow(p, Task::ProvideComplements(a), on, (8, 14), (0, 0));
        }
        Ok(())
    }

    fn amend(&mut self, p: usize, a: usize, on: NaiveDate) -> Result<(), GeneratorError> {
        if self.status(p, a) != Some(ActionStatus::Deferred) {
            return Ok(());
        }
        let Some(current) = self.action(p, a) else {
            return Ok(());
        };
        let requested: Vec<MoneyLine> = current
            .requested
            .iter()
            .map(|l| MoneyLine::new(l.funder.clone(), euros(l.amount.cents() / 1000 * 900)))
            .collect();
        let amended = ActionAmended {
            requested: Some(requested),
            summary: Some(Narrative::parse(
                "résumé",
                &format!(
                    "{} Projet resserré après l'ajournement du COPIL.",
                    current.summary.as_str()
                ),
            )?),
            ..ActionAmended::default()
        };
        self.action_cmd(
            p,
            a,
            Role::Coordinator,
            Some(on),
            ActionCommand::AmendAction(amended),
        )
    }

    fn withdraw(&mut self, p: usize, a: usize, on: NaiveDate) -> Result<(), GeneratorError> {
        if !matches!(
            self.status(p, a),
            Some(ActionStatus::Proposed | ActionStatus::UnderReview)
        ) {
            return Ok(());
        }
        self.action_cmd(
            p,
            a,
            Role::Coordinator,
            Some(on),
            ActionCommand::WithdrawAction {
                reason: note(
                    "L'intervenant principal a quitté l'association ; le projet est reporté.",
                )?,
            },
        )
    }

    fn wrong_payment(&mut self, p: usize, a: usize, on: NaiveDate) -> Result<(), GeneratorError> {
        use ActionStatus as S;
        if !matches!(
            self.status(p, a),
            Some(S::Funded | S::InProgress | S::Completed | S::Reported | S::Evaluated)
        ) {
            return Ok(());
        }
        let Some(x) = self.action(p, a) else {
            return Ok(());
        };
        let Some(line) = x.money.iter().find(|l| l.to_pay.cents() >= 1000).cloned() else {
            return Ok(());
        };
        let amount = euros(line.to_pay.cents() / 10);
        self.pay(p, a, on, line.funder, amount, PaymentKind::Instalment)?;
        self.follow(p, Task::CancelWrongPayment(a), on, (1, 3), (0, 1));
        Ok(())
    }

    fn cancel_wrong_payment(
        &mut self,
        p: usize,
        a: usize,
        on: NaiveDate,
    ) -> Result<(), GeneratorError> {
        let payment = PaymentId::parse(&format!("v{}", self.programmes[p].actions[a].n_payments))?;
        self.action_cmd(
            p,
            a,
            Role::Coordinator,
            Some(on),
            ActionCommand::CancelPayment {
                payment,
                reason: note("Versement saisi en double : annulé.")?,
            },
        )?;
        let prog = &self.programmes[p];
        self.summary
            .cancelled_payment_action
            .get_or_insert_with(|| (prog.id.clone(), prog.actions[a].id.clone()));
        Ok(())
    }

    fn measure(&mut self, p: usize, a: usize, on: NaiveDate) -> Result<(), GeneratorError> {
        use ActionStatus as S;
        if !matches!(
            self.status(p, a),
            Some(S::Funded | S::InProgress | S::Completed | S::Reported | S::Evaluated)
        ) {
            return Ok(());
        }
        let target = self.rng.range(10, 130) as f64;
        self.action_cmd(
            p,
            a,
            Role::Coordinator,
            None,
            ActionCommand::MeasureIndicator {
                code: IndicatorCode::parse("participants")?,
                value: target,
                measured_on: on,
            },
        )
    }

    fn interim(&mut self, p: usize, a: usize, on: NaiveDate) -> Result<(), GeneratorError> {
        if !matches!(
            self.status(p, a),
            Some(ActionStatus::InProgress | ActionStatus::Completed)
        ) {
            return Ok(());
        }
        let spent = self.action(p, a).map_or(0, |x| x.total_cost.cents() / 2);
        let beneficiaries = self.beneficiaries();
        self.action_cmd(
            p,
            a,
            Role::Coordinator,
            Some(on),
            ActionCommand::SubmitReport {
                kind: ReportKind::Interim,
                spent: euros(spent),
                narrative: Narrative::parse(
                    "bilan",
                    "Premier trimestre : les groupes sont constitués, l'assiduité est bonne.",
                )?,
                beneficiaries,
            },
        )
    }

    fn change_period(&mut self, p: usize, a: usize, on: NaiveDate) -> Result<(), GeneratorError> {
        if !matches!(
            self.status(p, a),
            Some(ActionStatus::Retained | ActionStatus::Funded | ActionStatus::InProgress)
        ) {
            return Ok(());
        }
        let Some(x) = self.action(p, a) else {
            return Ok(());
        };
        let (start, end) = (x.period_start, plus(x.period_end, 45));
        self.action_cmd(
            p,
            a,
            Role::Coordinator,
            Some(on),
            ActionCommand::ChangePeriod {
                period_start: start,
                period_end: end,
                reason: note("Démarrage retardé par les travaux du gymnase : période prolongée.")?,
            },
        )
    }

    fn not_realised(&mut self, p: usize, a: usize, on: NaiveDate) -> Result<(), GeneratorError> {
        self.action_cmd(
            p,
            a,
            Role::Coordinator,
            Some(on),
            ActionCommand::AttestNonRealisation {
                reason: note("L'association a cessé son activité ; l'action n'a pas eu lieu.")?,
            },
        )?;
        let paid = self
            .action(p, a)
            .is_some_and(|x| x.money.iter().any(|l| !l.paid.is_zero()));
        if paid {
            self.follow(p, Task::RequestRepayment(a), on, (10, 20), (0, 3));
        } else if self.programmes[p].actions[a].fate == Fate::NotRealisedClosed {
            self.follow(p, Task::Close(a), on, (10, 30), (0, 3));
        }
        Ok(())
    }

    fn request_repayment(
        &mut self,
        p: usize,
        a: usize,
        on: NaiveDate,
    ) -> Result<(), GeneratorError> {
        let lines: Vec<(FunderId, Money)> = self
            .action(p, a)
            .map(|x| {
                x.money
                    .iter()
                    .filter(|l| !l.paid.is_zero())
                    .map(|l| (l.funder.clone(), l.paid))
                    .collect()
            })
            .unwrap_or_default();
        for (funder, amount) in lines {
            self.action_cmd(
                p,
                a,
                Role::Coordinator,
                Some(on),
                ActionCommand::RequestRepayment {
                    funder,
                    amount,
                    reason: note("Titre de recette : action non réalisée.")?,
                },
            )?;
        }
        if self.programmes[p].actions[a].fate == Fate::NotRealisedClosed {
            self.follow(p, Task::ReceiveRepayment(a), on, (30, 60), (2, 10));
        }
        Ok(())
    }

    fn receive_repayment(
        &mut self,
        p: usize,
        a: usize,
        on: NaiveDate,
    ) -> Result<(), GeneratorError> {
        let lines: Vec<(FunderId, Money)> = self
            .action(p, a)
            .map(|x| {
                x.money
                    .iter()
                    .filter(|l| l.repayment_requested > l.repaid)
                    .map(|l| {
                        (
                            l.funder.clone(),
                            l.repayment_requested.saturating_sub(l.repaid),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        for (funder, amount) in lines {
            self.action_cmd(
                p,
                a,
                Role::Coordinator,
                None,
                ActionCommand::RecordRepayment {
                    funder,
                    amount,
                    received_on: on,
                },
            )?;
        }
        self.follow(p, Task::Close(a), on, (5, 20), (0, 3));
        Ok(())
    }

    fn complete(&mut self, p: usize, a: usize, on: NaiveDate) -> Result<(), GeneratorError> {
        if self.status(p, a) != Some(ActionStatus::InProgress) {
            return Ok(());
        }
        self.action_cmd(
            p,
            a,
            Role::Coordinator,
            None,
            ActionCommand::CompleteAction { completed_on: on },
        )?;
        if self.programmes[p].actions[a].fate != Fate::Completed {
            self.follow(p, Task::FinalReport(a), on, (20, 60), (0, 5));
        }
        Ok(())
    }

    fn final_report(&mut self, p: usize, a: usize, on: NaiveDate) -> Result<(), GeneratorError> {
        let cost = self.action(p, a).map_or(0, |x| x.total_cost.cents());
        let spent = cost / 100 * self.rng.range(85, 100) as i64;
        let beneficiaries = self.beneficiaries();
        self.action_cmd(
            p,
            a,
            Role::Coordinator,
            Some(on),
            ActionCommand::SubmitReport {
                kind: ReportKind::Final,
                spent: euros(spent),
                narrative: Narrative::parse(
                    "bilan",
                    "Objectifs largement atteints ; les familles demandent la reconduction. Compte rendu financier joint.",
                )?,
                beneficiaries,
            },
        )?;
        self.follow(p, Task::Balance(a), on, (15, 40), (1, 8));
        Ok(())
    }

    fn balance(&mut self, p: usize, a: usize, on: NaiveDate) -> Result<(), GeneratorError> {
        let lines: Vec<(FunderId, Money)> = self
            .action(p, a)
            .map(|x| {
                x.money
                    .iter()
                    .filter(|l| !l.to_pay.is_zero())
                    .map(|l| (l.funder.clone(), l.to_pay))
                    .collect()
            })
            .unwrap_or_default();
        for (funder, amount) in lines {
            self.pay(p, a, on, funder, amount, PaymentKind::Balance)?;
        }
        if self.programmes[p].actions[a].fate != Fate::Reported {
            self.follow(p, Task::Evaluate(a), on, (30, 90), (0, 5));
        }
        Ok(())
    }

    fn evaluate(&mut self, p: usize, a: usize, on: NaiveDate) -> Result<(), GeneratorError> {
        let rating = *self.rng.pick(Rating::ALL);
        let recommendation = match rating {
            Rating::Achieved => Recommendation::Renew,
            Rating::PartlyAchieved => Recommendation::Adjust,
            Rating::NotAchieved => Recommendation::Stop,
        };
        self.action_cmd(
            p,
            a,
            Role::Evaluator,
            Some(on),
            ActionCommand::EvaluateAction {
                rating,
                findings: Narrative::parse(
                    "constats",
                    "Public touché conforme à la cible ; partenariat avec les établissements à consolider.",
                )?,
                recommendation,
            },
        )?;
        if self.programmes[p].actions[a].fate == Fate::Closed {
            self.follow(p, Task::Close(a), on, (10, 45), (0, 3));
        }
        Ok(())
    }

    fn beneficiaries(&mut self) -> Vec<BeneficiaryCount> {
        let mut cells = Vec::new();
        for band in [AgeBand::Age6To10, AgeBand::Age11To14] {
            for sex in [Sex::Female, Sex::Male] {
                cells.push(BeneficiaryCount {
                    public: PublicKind::Children,
                    age_band: band,
                    sex,
                    qpv_resident: true,
                    count: self.rng.range(3, 40) as u32,
                });
            }
        }
        cells.push(BeneficiaryCount {
            public: PublicKind::Parents,
            age_band: AgeBand::Adult,
            sex: Sex::Undisclosed,
            qpv_resident: true,
            count: self.rng.range(0, 15) as u32,
        });
        cells
    }

    fn establish(&mut self, p: usize, on: NaiveDate) -> Result<(), GeneratorError> {
        let (id, commune, qpv) = {
            let x = &self.programmes[p];
            (x.id.clone(), x.commune, x.qpv)
        };
        self.programme_cmd(
            p,
            Role::Admin,
            on,
            ProgrammeCommand::EstablishProgramme {
                programme: id,
                name: name(&format!("Cité éducative de {commune}"))?,
                territory: vec![name(commune)?],
                qpv: vec![name(qpv)?],
                // Labelled the September before its first year, and never before 2019 (rule
                // 19: the first Cités éducatives were labelled that year).
                labelled_on: Some(
                    date(self.params.first_year - 1, 9, 1).max(domain::bounds::EARLIEST_LABELLING),
                ),
                request_cap_permille: 800,
            },
        )?;
        for (code, axis_title, objective) in AXES {
            self.programme_cmd(
                p,
                Role::Pilot,
                on,
                ProgrammeCommand::DefineAxis {
                    code: AxisCode::parse(code)?,
                    title: title(axis_title)?,
                    objective: *objective,
                },
            )?;
        }
        self.programme_cmd(
            p,
            Role::Pilot,
            on,
            ProgrammeCommand::RetireAxis {
                code: AxisCode::parse(AXES[5].0)?,
            },
        )?;
        for (_, (funder, funder_name, kind)) in funders_of(self.params) {
            let funder_name = if *kind == FunderKind::Municipality {
                format!("Ville de {commune}")
            } else {
                (*funder_name).to_owned()
            };
            self.programme_cmd(
                p,
                Role::Pilot,
                on,
                ProgrammeCommand::RegisterFunder {
                    funder: FunderId::parse(funder)?,
                    name: name(&funder_name)?,
                    kind: *kind,
                    payer: Payer::of_kind(*kind),
                },
            )?;
        }
        for (body, members) in [
            (
                BodyKind::Copil,
                vec!["Préfecture", "Direction académique", "Ville"],
            ),
            (
                BodyKind::Cotech,
                vec![
                    "Ville",
                    "Collège chef de file",
                    "Centre social des Tilleuls",
                    "Caisse d'allocations familiales",
                ],
            ),
        ] {
            let organisations = members
                .into_iter()
                .map(name)
                .collect::<Result<Vec<_>, _>>()?;
            self.programme_cmd(
                p,
                Role::Pilot,
                on,
                ProgrammeCommand::ChangeBodyMembership {
                    body,
                    organisations,
                },
            )?;
        }
        for (i, &(partner_name, kind, legal_form)) in PARTNERS.iter().enumerate() {
            let siret = if kind == PartnerKind::Association || self.rng.percent(30) {
                siret(&mut self.rng)
            } else {
                None
            };
            let partner = self.programmes[p].partners[i].0.clone();
            self.partner_cmd(
                p,
                i,
                on,
                PartnerCommand::RegisterPartner {
                    partner,
                    name: name(partner_name)?,
                    kind,
                    siret,
                    legal_form,
                    rna: None,
                },
            )?;
        }
        Ok(())
    }

    fn year_start(&mut self, p: usize, year: i32, on: NaiveDate) -> Result<(), GeneratorError> {
        for (f, (funder, _, kind)) in funders_of(self.params) {
            let planned = self.programmes[p]
                .planned
                .get(&(f, year))
                .copied()
                .unwrap_or(0);
            // Sized on the year's requests: a little short, so that choices are needed.
            let factor = if *kind == FunderKind::State { 92 } else { 85 };
            let amount = (planned / 100 * factor / 100_000).max(1) * 100_000;
            let reference = match kind {
                FunderKind::State => format!("Arrêté préfectoral n° {year}-CE-{:03}", p + 1),
                FunderKind::FondsDeLaCite => format!("Conseil d'administration du collège, {year}"),
                _ => format!("Délibération n° {year}-{:03}", self.rng.range(10, 300)),
            };
            self.programme_cmd(
                p,
                Role::Pilot,
                on,
                ProgrammeCommand::NotifyEnvelope {
                    funder: FunderId::parse(funder)?,
                    year: Year::parse(year)?,
                    amount: euros(amount),
                    reference: Some(title(&reference)?),
                },
            )?;
        }
        Ok(())
    }

    fn propose(&mut self, p: usize, a: usize, on: NaiveDate) -> Result<(), GeneratorError> {
        let proposal = self.programmes[p].actions[a].proposal.clone();
        self.action_cmd(
            p,
            a,
            Role::Coordinator,
            Some(on),
            ActionCommand::ProposeAction(proposal),
        )?;
        let sim = &self.programmes[p].actions[a];
        let (complements, fate, year) = (sim.complements, sim.fate, sim.year);
        if complements {
            self.follow(p, Task::RequestComplements(a), on, (5, 10), (0, 2));
        }
        if fate == Fate::Withdrawn {
            let day = date(year, 4, 2);
            self.schedule(p, Task::Withdraw(a), day, day);
        }
        Ok(())
    }

    fn opinions(&mut self, p: usize, s: usize) -> Result<(), GeneratorError> {
        let (session, year, day) = {
            let x = &self.programmes[p].sessions[s];
            (x.id.clone(), x.date.year(), x.date)
        };
        // With a COTECH every month, an action gets its opinion at the first one after its
        // proposal.
        let awaiting: &[ActionStatus] = if self.params.full_year {
            &[ActionStatus::Proposed]
        } else {
            &[ActionStatus::Proposed, ActionStatus::UnderReview]
        };
        for a in 0..self.programmes[p].actions.len() {
            let sim = &self.programmes[p].actions[a];
            let proposed_by_then = sim.state.first_effective_on.is_some_and(|d| d <= day);
            if sim.year != year
                || !proposed_by_then
                || matches!(sim.fate, Fate::Proposed | Fate::ComplementsRequested)
                || !self.status(p, a).is_some_and(|st| awaiting.contains(&st))
            {
                continue;
            }
            let favourable = !matches!(sim.fate, Fate::Rejected);
            let Some(x) = self.action(p, a) else { continue };
            let proposed: Vec<MoneyLine> = if favourable {
                x.requested.clone()
            } else {
                Vec::new()
            };
            let opinion = if favourable {
                if self.rng.percent(15) {
                    Opinion::Reserved
                } else {
                    Opinion::Favourable
                }
            } else {
                Opinion::Unfavourable
            };
            self.action_cmd(
                p,
                a,
                Role::Coordinator,
                None,
                ActionCommand::GiveOpinion {
                    session: session.clone(),
                    opinion,
                    proposed,
                    comment: Some(note("Avis du comité technique après instruction.")?),
                },
            )?;
        }
        Ok(())
    }

    fn decisions(&mut self, p: usize, s: usize) -> Result<(), GeneratorError> {
        let (session, session_date) = {
            let x = &self.programmes[p].sessions[s];
            (x.id.clone(), x.date)
        };
        if session_date.month() == 2 {
            return self.annual_review(p, session, session_date);
        }
        let year = session_date.year();
        let autumn = session_date.month() >= 9;
        let mut decisions = Vec::new();
        let mut revisions = Vec::new();
        for a in 0..self.programmes[p].actions.len() {
            let sim = &self.programmes[p].actions[a];
            let status = self.status(p, a);
            if sim.year != year {
                continue;
            }
            if autumn
                && sim.revised
                && matches!(
                    status,
                    Some(ActionStatus::Retained | ActionStatus::Funded | ActionStatus::InProgress)
                )
            {
                revisions.push(a);
                continue;
            }
            if matches!(
                sim.fate,
                Fate::Proposed | Fate::ComplementsRequested | Fate::UnderReview | Fate::Withdrawn
            ) {
                continue;
            }
            let decidable = if autumn {
                status == Some(ActionStatus::Deferred) && sim.fate != Fate::Deferred
            } else {
                matches!(
                    status,
                    Some(ActionStatus::Proposed | ActionStatus::UnderReview)
                )
            };
            if !decidable {
                continue;
            }
            let pct = self.rng.range(70, 100) as i64;
            let sim = &self.programmes[p].actions[a];
            let Some(x) = self.action(p, a) else { continue };
            let (outcome, retained, reason) = if sim.fate == Fate::Rejected {
                (
                    DecisionOutcome::Rejected,
                    Vec::new(),
                    Some(note("Projet hors des priorités du plan d'actions.")?),
                )
            } else if sim.deferred_first && !autumn {
                (
                    DecisionOutcome::Deferred,
                    Vec::new(),
                    Some(note(
                        "Plan de financement à revoir ; à représenter au COPIL d'automne.",
                    )?),
                )
            } else {
                let lines = x
                    .requested
                    .iter()
                    .map(|l| {
                        MoneyLine::new(
                            l.funder.clone(),
                            euros((l.amount.cents() * pct / 100 / 10_000).max(1) * 10_000),
                        )
                    })
                    .map(|l| {
                        let max = x
                            .requested
                            .iter()
                            .find(|r| r.funder == l.funder)
                            .map_or(l.amount, |r| r.amount);
                        MoneyLine::new(l.funder, l.amount.min(max))
                    })
                    .collect();
                (DecisionOutcome::Retained, lines, None)
            };
            decisions.push((
                a,
                CopilDecision {
                    action: x.id.clone(),
                    outcome,
                    retained,
                    reason,
                },
            ));
        }
        if !decisions.is_empty() {
            let states: BTreeMap<ActionId, ActionState> = decisions
                .iter()
                .map(|(a, d)| {
                    (
                        d.action.clone(),
                        self.programmes[p].actions[*a].state.clone(),
                    )
                })
                .collect();
            let command = Command::new(RecordCopilDecisions {
                session: session.clone(),
                decisions: decisions.iter().map(|(_, d)| d.clone()).collect(),
            });
            let ctx = self.context(p, Role::Pilot, &command.command.needs());
            let decided =
                action::decide_copil_decisions(&states, &command, &ctx).map_err(|error| {
                    GeneratorError::Refused {
                        stream: streams::session_stream(&self.programmes[p].id, &session),
                        command: "RecordCopilDecisions".to_owned(),
                        error,
                    }
                })?;
            let by_id: HashMap<ActionId, usize> = decisions
                .iter()
                .map(|(a, d)| (d.action.clone(), *a))
                .collect();
            for (id, result) in decided {
                let a = by_id[&id];
                let prog = &mut self.programmes[p];
                let sim = &mut prog.actions[a];
                let stream = streams::action_stream(&prog.id, &sim.id);
                let before = sim.state.version;
                let mut out = Vec::new();
                for event in result.dated() {
                    out.push(Self::new_event(
                        registry::encode_erasable(&DomainEvent::Action(event.event.clone())),
                        event.effective_on,
                        Role::Pilot,
                    ));
                    sim.state = ActionDecider::evolve(std::mem::take(&mut sim.state), &event);
                }
                let retained = sim
                    .state
                    .action
                    .as_ref()
                    .is_some_and(|x| x.status == ActionStatus::Retained);
                let fate = sim.fate;
                if self.summary.backdated_decision.is_none() && self.today > session_date {
                    self.summary.backdated_decision = Some(BackdatedDecision {
                        programme: prog.id.clone(),
                        action: id.clone(),
                        session: session.clone(),
                        session_date,
                        recorded_on: self.today,
                    });
                }
                self.push(stream, before, out)?;
                if retained && fate != Fate::Retained {
                    self.follow(
                        p,
                        Task::Grants(a),
                        session_date.max(self.today),
                        (20, 50),
                        (0, 5),
                    );
                }
                if !retained
                    && self.programmes[p].actions[a].deferred_first
                    && !autumn
                    && self.programmes[p].actions[a].amended
                {
                    self.follow(p, Task::Amend(a), self.today, (20, 40), (0, 2));
                }
            }
        }
        for a in revisions {
            let Some(x) = self.action(p, a) else { continue };
            let retained: Vec<MoneyLine> = x.requested.clone();
            self.action_cmd(
                p,
                a,
                Role::Pilot,
                None,
                ActionCommand::ReviseDecision {
                    session: session.clone(),
                    outcome: DecisionOutcome::Retained,
                    retained,
                    reason: note("Le COPIL porte le soutien au montant demandé au vu du bilan intermédiaire.")?,
                },
            )?;
            let prog = &self.programmes[p];
            self.summary
                .revised_action
                .get_or_insert_with(|| (prog.id.clone(), prog.actions[a].id.clone()));
        }
        Ok(())
    }

    /// The act of a grant of `amount` by `funder` to action `a`'s holder: a convention when
    /// rule 6 asks for one, else the act that funder usually signs.
    /// The COPIL de bilan (February, with a full year) validates the revue de projet of the year
    /// before, whose governance section the coordination wrote for it.
    fn annual_review(
        &mut self,
        p: usize,
        session: SessionId,
        on: NaiveDate,
    ) -> Result<(), GeneratorError> {
        let year = Year::parse(on.year() - 1)?;
        self.programme_cmd(
            p,
            Role::Coordinator,
            on,
            ProgrammeCommand::WriteReviewSection {
                year,
                section: ReviewSection::Governance,
                text: Narrative::parse(
                    "texte",
                    &format!(
                        "En {year}, le COPIL s'est réuni trois fois et le COTECH chaque mois, hors août ; la troïka a suivi la programmation et les bilans."
                    ),
                )?,
            },
        )?;
        self.programme_cmd(
            p,
            Role::Pilot,
            on,
            ProgrammeCommand::ValidateAnnualReview { year, session },
        )
    }

    fn act_for(
        &mut self,
        p: usize,
        a: usize,
        funder: &FunderId,
        amount: Money,
        year: Year,
        on: NaiveDate,
    ) -> Result<Act, GeneratorError> {
        let prog = &self.programmes[p];
        let holder = self.action(p, a).map(|x| x.holder.clone());
        let (legal_form, already) = match &holder {
            Some(holder) => {
                let Ok(already) = prog.granted_to(holder, funder, year);
                let Ok(facts) = prog.partner(holder);
                (facts.map_or(LegalForm::Unknown, |f| f.legal_form), already)
            }
            None => (LegalForm::Unknown, Money::ZERO),
        };
        let year = year.get();
        let kind = if action::convention_required(legal_form, already, amount) {
            ActKind::Convention
        } else {
            match funder.as_str() {
                "etat-p147" => ActKind::Arrete,
                "fonds-cite" => ActKind::EpleDecision,
                "ville" | "departement" => ActKind::Deliberation,
                _ => ActKind::Other,
            }
        };
        let reference = match kind {
            ActKind::Convention => {
                format!("Convention n° {year}-CE-{:04}", self.rng.range(1, 9999))
            }
            ActKind::Arrete => {
                format!("Arrêté attributif n° {year}-{:04}", self.rng.range(1, 9999))
            }
            ActKind::EpleDecision => format!(
                "Décision du chef d'établissement n° {year}-{:03}",
                self.rng.range(1, 999)
            ),
            ActKind::Deliberation => {
                format!("Délibération n° {year}-{:03}", self.rng.range(1, 999))
            }
            ActKind::Other => format!("Notification n° {year}-{:04}", self.rng.range(1, 9999)),
        };
        Ok(Act {
            kind,
            reference: title(&reference)?,
            signed_on: on,
        })
    }

    fn grants(&mut self, p: usize, a: usize, on: NaiveDate) -> Result<(), GeneratorError> {
        if self.status(p, a) != Some(ActionStatus::Retained) {
            return Ok(());
        }
        let Some(x) = self.action(p, a) else {
            return Ok(());
        };
        let year = x.year;
        let lines: Vec<(FunderId, Money)> = x
            .money
            .iter()
            .filter(|l| !l.retained.is_zero() && l.granted.is_zero() && !l.refused)
            .map(|l| (l.funder.clone(), l.retained))
            .collect();
        let refuse_one = self.programmes[p].actions[a].refused_funder && lines.len() > 1;
        for (i, (funder, retained)) in lines.into_iter().enumerate() {
            let envelope = self.programmes[p]
                .state
                .programme
                .as_ref()
                .and_then(|x| x.envelope(&funder, year))
                .map(|e| e.amount);
            let already = self.programmes[p]
                .granted
                .get(&(funder.clone(), year))
                .copied()
                .unwrap_or(Money::ZERO);
            let room = envelope.map_or(retained, |e| e.saturating_sub(already));
            let amount = retained.min(room);
            if amount.is_zero() || (refuse_one && i > 0) {
                let reason = if amount.is_zero() {
                    "Enveloppe de l'exercice entièrement engagée."
                } else {
                    "Le financeur n'a pas retenu l'action dans sa programmation."
                };
                self.action_cmd(
                    p,
                    a,
                    Role::Coordinator,
                    Some(on),
                    ActionCommand::RefuseGrant {
                        funder,
                        reason: note(reason)?,
                    },
                )?;
                continue;
            }
            let act = self.act_for(p, a, &funder, amount, year, on)?;
            let grant = GrantId::parse(&format!("g-{funder}"))?;
            self.action_cmd(
                p,
                a,
                Role::Coordinator,
                None,
                ActionCommand::AwardGrant {
                    grant,
                    funder,
                    year,
                    amount,
                    act,
                },
            )?;
        }
        if self.status(p, a) != Some(ActionStatus::Funded) {
            return Ok(());
        }
        // With a full year, the first action that follows a school year gets a later deadline
        // for its compte rendu financier, as funders agree to.
        let school_year = self
            .action(p, a)
            .is_some_and(|x| x.period_start.month() == 9);
        if self.params.full_year && school_year && !self.programmes[p].deadline_extended {
            self.programmes[p].deadline_extended = true;
            let due_on = date(year.get() + 1, 12, 31);
            self.action_cmd(
                p,
                a,
                Role::Coordinator,
                Some(on),
                ActionCommand::ExtendReportDeadline {
                    due_on,
                    reason: note(
                        "L'action suit l'année scolaire : les financeurs acceptent le compte rendu financier en fin d'année.",
                    )?,
                },
            )?;
        }
        self.follow(p, Task::Advance(a), on, (10, 30), (1, 8));
        Ok(())
    }

    fn pay(
        &mut self,
        p: usize,
        a: usize,
        on: NaiveDate,
        funder: FunderId,
        amount: Money,
        kind: PaymentKind,
    ) -> Result<(), GeneratorError> {
        let n = {
            let sim = &mut self.programmes[p].actions[a];
            sim.n_payments += 1;
            sim.n_payments
        };
        let payment = PaymentId::parse(&format!("v{n}"))?;
        self.action_cmd(
            p,
            a,
            Role::Coordinator,
            None,
            ActionCommand::RecordPayment {
                payment,
                funder,
                amount,
                kind,
                paid_on: on,
            },
        )
    }

    fn advance(&mut self, p: usize, a: usize, on: NaiveDate) -> Result<(), GeneratorError> {
        let lines: Vec<(FunderId, Money)> = self
            .action(p, a)
            .map(|x| {
                x.money
                    .iter()
                    .filter(|l| !l.to_pay.is_zero())
                    .map(|l| (l.funder.clone(), l.to_pay))
                    .collect()
            })
            .unwrap_or_default();
        for (funder, to_pay) in lines {
            let amount = euros(to_pay.cents() / 2);
            if !amount.is_zero() {
                self.pay(p, a, on, funder, amount, PaymentKind::Advance)?;
            }
        }
        let (cancelled_payment, fate) = {
            let sim = &self.programmes[p].actions[a];
            (sim.cancelled_payment, sim.fate)
        };
        if cancelled_payment {
            self.follow(p, Task::WrongPayment(a), on, (5, 20), (0, 2));
        }
        match fate {
            Fate::Funded => Ok(()),
            Fate::NotRealised | Fate::NotRealisedClosed if self.rng.percent(50) => {
                self.follow(p, Task::NotRealised(a), on, (30, 60), (0, 10));
                Ok(())
            }
            _ => {
                let period_start = self.action(p, a).map_or(on, |x| x.period_start);
                let start = period_start.max(plus(on, 1));
                let recorded = plus(start, self.rng.range(0, 10));
                self.schedule(p, Task::Start(a), start, recorded);
                Ok(())
            }
        }
    }

    fn start(&mut self, p: usize, a: usize, on: NaiveDate) -> Result<(), GeneratorError> {
        if self.status(p, a) != Some(ActionStatus::Funded) {
            return Ok(());
        }
        self.action_cmd(
            p,
            a,
            Role::Coordinator,
            None,
            ActionCommand::StartAction { started_on: on },
        )?;
        let sim = &self.programmes[p].actions[a];
        let (fate, period_changed) = (sim.fate, sim.period_changed);
        self.follow(p, Task::Measure(a), on, (40, 80), (0, 5));
        if matches!(fate, Fate::NotRealised | Fate::NotRealisedClosed) {
            self.follow(p, Task::NotRealised(a), on, (20, 40), (0, 10));
            return Ok(());
        }
        if self.rng.percent(50) {
            self.follow(p, Task::Interim(a), on, (90, 120), (0, 10));
        }
        if period_changed {
            self.follow(p, Task::ChangePeriod(a), on, (20, 50), (0, 5));
        }
        if fate == Fate::InProgress {
            return Ok(());
        }
        // Completed at the end of its period (as changed, if it is), at least two months on.
        let end = self.action(p, a).map_or(on, |x| x.period_end);
        let end = if period_changed { plus(end, 45) } else { end };
        let complete = end.max(plus(on, 130));
        let recorded = plus(complete, self.rng.range(0, 10));
        self.schedule(p, Task::Complete(a), complete, recorded);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ReadModel;
    use crate::recorded::RecordedEvent;
    use std::collections::BTreeSet;

    fn open(dir: &std::path::Path, clock: &SimulatedClock) -> EventLog {
        let options = eventlog::Options {
            durability: eventlog::Durability::Buffered,
            clock: clock.clock(),
            ..eventlog::Options::default()
        };
        EventLog::open(dir, options).unwrap()
    }

    #[test]
    fn a_generated_programme_verifies_decodes_and_has_actions_in_every_status() {
        let dir = tempfile::tempdir().unwrap();
        let clock = SimulatedClock::new();
        let log = open(dir.path(), &clock);
        let params = GeneratorParams::small(7, 1, 40).with_clock(clock.clone());
        let summary = generate(&log, &params).unwrap();
        assert_eq!(summary.last_position, summary.n_events);
        let report = log.verify().unwrap();
        assert_eq!(report.head_position, summary.n_events);
        let mut model = ReadModel::default();
        let mut previous = None;
        for envelope in log.read_all(1) {
            let envelope = envelope.unwrap();
            assert!(envelope.effective_on <= envelope.recorded_at.date_naive());
            if let Some(previous) = previous {
                assert!(envelope.recorded_at >= previous);
            }
            previous = Some(envelope.recorded_at);
            model.apply(&RecordedEvent::from_envelope(&envelope).unwrap());
        }
        let view = model.programme(&summary.programmes[0]).unwrap();
        let statuses: BTreeSet<ActionStatus> = view.actions().map(|a| a.status()).collect();
        let missing: Vec<_> = ActionStatus::ALL
            .iter()
            .filter(|s| !statuses.contains(s))
            .collect();
        assert!(missing.is_empty(), "no action in {missing:?}");
        assert!(summary.revised_action.is_some());
        assert!(summary.cancelled_payment_action.is_some());
        let backdated = summary.backdated_decision.unwrap();
        assert!(backdated.recorded_on > backdated.session_date);
    }

    #[test]
    fn the_same_seed_gives_the_same_log() {
        let hashes = (0..2)
            .map(|_| {
                let dir = tempfile::tempdir().unwrap();
                let clock = SimulatedClock::new();
                let log = open(dir.path(), &clock);
                generate(&log, &GeneratorParams::small(3, 2, 12).with_clock(clock)).unwrap();
                log.read_all(1)
                    .map(|e| {
                        let e = e.unwrap();
                        (e.stream_id, e.payload, e.recorded_at, e.effective_on)
                    })
                    .collect::<Vec<_>>()
            })
            .collect::<Vec<_>>();
        assert_eq!(hashes[0], hashes[1]);
    }

    #[test]
    fn the_demo_preset_stops_at_today() {
        let dir = tempfile::tempdir().unwrap();
        let clock = SimulatedClock::new();
        let log = open(dir.path(), &clock);
        let today = date(2026, 11, 23);
        let summary = generate(&log, &GeneratorParams::demo(today).with_clock(clock)).unwrap();
        assert_eq!(summary.programmes.len(), 1);
        let head = log.head();
        assert!(head.recorded_at.unwrap().date_naive() <= today);
        assert!(summary.n_events > 300, "{summary:?}");
    }

    /// The demo looks like a real cité (issue #12): about 1 M€ of State money over three years,
    /// the fonds de la cité, a COTECH every month, three COPILs a year, renewed actions, a
    /// report deadline extended, revues de projet validated, organisations in the bodies.
    #[test]
    fn the_demo_looks_like_a_real_cite() {
        let dir = tempfile::tempdir().unwrap();
        let clock = SimulatedClock::new();
        let log = open(dir.path(), &clock);
        let today = date(2026, 11, 23);
        generate(&log, &GeneratorParams::demo(today).with_clock(clock)).unwrap();
        let mut model = crate::model::ReadModel::default();
        let mut kinds = std::collections::BTreeMap::<&str, usize>::new();
        for envelope in log.read_all(1) {
            let event = crate::recorded::RecordedEvent::from_envelope(&envelope.unwrap()).unwrap();
            *kinds.entry(event.event.event_type()).or_default() += 1;
            model.apply(&event);
        }
        let view = model.programmes().next().unwrap();
        let p = view.programme.programme.as_ref().unwrap();
        let state_per_year: Vec<i64> = p
            .envelopes
            .iter()
            .filter(|e| e.funder.as_str() == "etat-p147")
            .map(|e| e.amount.cents() / 100)
            .collect();
        assert_eq!(state_per_year.len(), 3);
        assert!(
            state_per_year
                .iter()
                .all(|a| (200_000..=450_000).contains(a)),
            "{state_per_year:?}"
        );
        let total: i64 = state_per_year.iter().sum();
        assert!((800_000..=1_300_000).contains(&total), "{total}");
        let fonds: Vec<i64> = p
            .envelopes
            .iter()
            .filter(|e| e.funder.as_str() == "fonds-cite")
            .map(|e| e.amount.cents() / 100)
            .collect();
        assert!(
            fonds.iter().all(|a| (10_000..=60_000).contains(a)),
            "{fonds:?}"
        );
        let cotechs = view
            .sessions
            .values()
            .filter_map(|s| s.session.as_ref())
            .filter(|s| s.body == BodyKind::Cotech && s.date.year() == 2025)
            .count();
        assert_eq!(cotechs, 11, "a COTECH every month but August");
        let copils = view
            .sessions
            .values()
            .filter_map(|s| s.session.as_ref())
            .filter(|s| s.body == BodyKind::Copil && s.date.year() == 2025)
            .count();
        assert_eq!(copils, 3);
        assert!(view.actions().filter(|a| a.renews().is_some()).count() >= 5);
        assert_eq!(kinds.get("ReportDeadlineExtended"), Some(&1), "{kinds:?}");
        assert_eq!(kinds.get("AnnualReviewValidated"), Some(&2), "{kinds:?}");
        let members: Vec<String> = p
            .bodies
            .iter()
            .flat_map(|b| b.organisations.iter().map(|o| o.to_string()))
            .collect();
        assert!(
            members
                .iter()
                .all(|m| !m.contains("projet") && !m.contains("–")),
            "organisations, not job titles: {members:?}"
        );
        let partners_with_form = view
            .partners
            .values()
            .filter_map(|s| s.partner.as_ref())
            .filter(|p| p.legal_form != LegalForm::Unknown)
            .count();
        assert!(partners_with_form >= 8, "{partners_with_form}");
    }
}
