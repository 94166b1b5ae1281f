//! Fixtures and the given / when / then helper.
#![allow(dead_code)]

use chrono::NaiveDate;
use domain::events::*;
use domain::values::*;

pub fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).expect("a valid date")
}

/// Whole euros.
pub fn eur(euros: i64) -> Money {
    Money::from_cents(euros * 100).expect("a valid amount")
}

pub fn cents(c: i64) -> Money {
    Money::from_cents(c).expect("a valid amount")
}

pub fn title(s: &str) -> Title {
    Title::parse("titre", s).unwrap()
}
pub fn name(s: &str) -> Name {
    Name::parse("nom", s).unwrap()
}
pub fn note(s: &str) -> Note {
    Note::parse("motif", s).unwrap()
}
pub fn narrative(s: &str) -> Narrative {
    Narrative::parse("récit", s).unwrap()
}

pub fn programme_id() -> ProgrammeId {
    ProgrammeId::parse("grigny").unwrap()
}
pub fn other_programme() -> ProgrammeId {
    ProgrammeId::parse("clichy").unwrap()
}
pub fn action_id() -> ActionId {
    ActionId::parse("soutien-scolaire").unwrap()
}
pub fn holder() -> PartnerId {
    PartnerId::parse("asso-lecture").unwrap()
}
pub fn other_partner() -> PartnerId {
    PartnerId::parse("club-sport").unwrap()
}
pub fn etat() -> FunderId {
    FunderId::parse("etat").unwrap()
}
pub fn ville() -> FunderId {
    FunderId::parse("ville").unwrap()
}
pub fn caf() -> FunderId {
    FunderId::parse("caf").unwrap()
}
pub fn axis(code: &str) -> AxisCode {
    AxisCode::parse(code).unwrap()
}
pub fn copil() -> SessionId {
    SessionId::parse("copil-mars").unwrap()
}
pub fn copil_june() -> SessionId {
    SessionId::parse("copil-juin").unwrap()
}
pub fn cotech() -> SessionId {
    SessionId::parse("cotech-fevrier").unwrap()
}
pub fn grant_id(s: &str) -> GrantId {
    GrantId::parse(s).unwrap()
}
pub fn payment_id(s: &str) -> PaymentId {
    PaymentId::parse(s).unwrap()
}
pub fn indicator() -> IndicatorCode {
    IndicatorCode::parse("eleves-accompagnes").unwrap()
}
pub fn line(funder: FunderId, amount: Money) -> MoneyLine {
    MoneyLine::new(funder, amount)
}

// The calendar of the fixtures.
pub const fn proposed_on() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 1, 10).unwrap()
}
pub const fn cotech_on() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 2, 10).unwrap()
}
pub const fn copil_on() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 3, 14).unwrap()
}
pub const fn copil_june_on() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 6, 12).unwrap()
}
pub const fn signed_on() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 4, 1).unwrap()
}
pub const fn paid_on() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 4, 15).unwrap()
}
pub const fn started_on() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 4, 20).unwrap()
}
pub const fn completed_on() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 6, 1).unwrap()
}
pub const fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 6, 30).unwrap()
}

pub fn at<E>(effective_on: NaiveDate, event: impl Into<E>) -> Dated<E> {
    Dated {
        effective_on,
        event: event.into(),
    }
}

/// Total cost 20 000 €, requesting 10 000 € from the State and 5 000 € from the town.
pub fn action_proposed() -> ActionProposed {
    ActionProposed {
        action: action_id(),
        reference: title("2026-001"),
        title: title("Soutien scolaire au collège Sabatier"),
        summary: narrative("Accompagnement des élèves de 6e après la classe."),
        holder: holder(),
        axis: axis("A1"),
        secondary_axes: vec![axis("A2")],
        publics: vec![PublicKind::Children],
        qpv: vec![name("Grande Borne")],
        period_start: d(2026, 1, 5),
        period_end: d(2026, 12, 18),
        year: Year::parse(2026).unwrap(),
        total_cost: eur(20_000),
        requested: vec![line(etat(), eur(10_000)), line(ville(), eur(5_000))],
        indicators: vec![IndicatorDef {
            code: indicator(),
            label: title("Élèves accompagnés"),
            target: Some(40.0),
        }],
        external_refs: vec![title("DAUPHIN-2026-1234")],
        renews: None,
    }
}

pub fn proposed() -> Vec<Dated<ActionEvent>> {
    vec![at(proposed_on(), action_proposed())]
}

pub fn opinion_given() -> OpinionGiven {
    OpinionGiven {
        session: cotech(),
        opinion: Opinion::Favourable,
        proposed: vec![line(etat(), eur(8_000)), line(ville(), eur(5_000))],
        comment: None,
    }
}

pub fn under_review() -> Vec<Dated<ActionEvent>> {
    let mut events = proposed();
    events.push(at(cotech_on(), opinion_given()));
    events
}

pub fn decision(outcome: DecisionOutcome, retained: Vec<MoneyLine>) -> CopilDecisionTaken {
    CopilDecisionTaken {
        session: copil(),
        decision_no: 1,
        outcome,
        retained,
        reason: None,
    }
}

/// Retained for 8 000 € (State) and 5 000 € (town).
pub fn retained() -> Vec<Dated<ActionEvent>> {
    let mut events = under_review();
    events.push(at(
        copil_on(),
        decision(
            DecisionOutcome::Retained,
            vec![line(etat(), eur(8_000)), line(ville(), eur(5_000))],
        ),
    ));
    events
}

pub fn deferred() -> Vec<Dated<ActionEvent>> {
    let mut events = under_review();
    events.push(at(copil_on(), decision(DecisionOutcome::Deferred, vec![])));
    events
}

pub fn grant_awarded() -> GrantAwarded {
    GrantAwarded {
        grant: grant_id("g-etat"),
        funder: etat(),
        year: Year::parse(2026).unwrap(),
        amount: eur(8_000),
        act: Act {
            kind: ActKind::Arrete,
            reference: title("Arrêté 2026-17"),
            signed_on: signed_on(),
        },
    }
}

/// The State granted 8 000 €.
pub fn funded() -> Vec<Dated<ActionEvent>> {
    let mut events = retained();
    events.push(at(signed_on(), grant_awarded()));
    events
}

pub fn payment(id: &str, amount: Money) -> PaymentRecorded {
    PaymentRecorded {
        payment: payment_id(id),
        funder: etat(),
        amount,
        kind: PaymentKind::Advance,
    }
}

/// Funded, 4 000 € paid by the State, started.
pub fn in_progress() -> Vec<Dated<ActionEvent>> {
    let mut events = funded();
    events.push(at(paid_on(), payment("v1", eur(4_000))));
    events.push(at(started_on(), ActionStarted {}));
    events
}

pub fn completed() -> Vec<Dated<ActionEvent>> {
    let mut events = in_progress();
    events.push(at(completed_on(), ActionCompleted {}));
    events
}

pub fn final_report() -> ReportSubmitted {
    ReportSubmitted {
        kind: ReportKind::Final,
        beneficiaries: vec![BeneficiaryCount {
            public: PublicKind::Children,
            age_band: AgeBand::Age11To14,
            sex: Sex::Female,
            qpv_resident: true,
            count: 21,
        }],
        spent: eur(19_000),
        narrative: narrative("Quarante élèves accompagnés toute l'année."),
    }
}

pub fn reported() -> Vec<Dated<ActionEvent>> {
    let mut events = completed();
    events.push(at(d(2026, 6, 15), final_report()));
    events
}

pub fn evaluated() -> Vec<Dated<ActionEvent>> {
    let mut events = reported();
    events.push(at(
        d(2026, 6, 20),
        ActionEvaluated {
            rating: Rating::Achieved,
            findings: narrative("Objectifs atteints."),
            recommendation: Recommendation::Renew,
        },
    ));
    events
}

pub fn not_realised() -> Vec<Dated<ActionEvent>> {
    let mut events = in_progress();
    events.push(at(
        d(2026, 5, 2),
        NonRealisationAttested {
            reason: note("Intervenant parti."),
        },
    ));
    events
}

// ------------------------------------------------------------------------------ contexts

use domain::action::ActionDecider;
use domain::actor::Actor;
use domain::context::*;
use domain::decider::{Command, Decided, Decider};
use domain::error::{ApiCode, DomainError};

pub fn coordinator() -> Actor {
    Actor::of(Role::Coordinator, programme_id())
}
pub fn pilot() -> Actor {
    Actor::of(Role::Pilot, programme_id())
}
pub fn evaluator() -> Actor {
    Actor::of(Role::Evaluator, programme_id())
}
pub fn observer() -> Actor {
    Actor::of(Role::Observer, programme_id())
}
pub fn porteur() -> Actor {
    Actor::porteur(programme_id(), holder())
}
pub fn other_porteur() -> Actor {
    Actor::porteur(programme_id(), other_partner())
}

/// Axes A1 and A2, A0 retired; funders etat, ville, caf; the default cap of 800 ‰.
pub fn programme_facts() -> ProgrammeFacts {
    ProgrammeFacts {
        request_cap_permille: 800,
        labelled_on: None,
        axes: vec![
            AxisFact {
                code: axis("A0"),
                retired: true,
            },
            AxisFact {
                code: axis("A1"),
                retired: false,
            },
            AxisFact {
                code: axis("A2"),
                retired: false,
            },
        ],
        funders: vec![etat(), ville(), caf()],
    }
}

pub fn session_facts(id: SessionId, body: BodyKind, date: NaiveDate, held: bool) -> SessionFacts {
    SessionFacts {
        id,
        body,
        date,
        held,
        cancelled: false,
    }
}

/// The March COPIL, held.
pub fn copil_facts() -> SessionFacts {
    session_facts(copil(), BodyKind::Copil, copil_on(), true)
}
/// The June COPIL, held.
pub fn copil_june_facts() -> SessionFacts {
    session_facts(copil_june(), BodyKind::Copil, copil_june_on(), true)
}
/// The February COTECH.
pub fn cotech_facts() -> SessionFacts {
    session_facts(cotech(), BodyKind::Cotech, cotech_on(), true)
}
pub fn cotech_june() -> SessionId {
    SessionId::parse("cotech-juin").unwrap()
}
pub fn cotech_june_facts() -> SessionFacts {
    session_facts(cotech_june(), BodyKind::Cotech, d(2026, 6, 5), true)
}

/// A coordinator of Grigny, on 30 June 2026, with the programme and the holder known.
pub fn action_ctx() -> Context {
    Context::new(coordinator(), today(), programme_id())
        .with_programme(programme_facts())
        .with_holder(PartnerFacts {
            id: holder(),
            active: true,
            legal_form: LegalForm::Association,
        })
}

// ------------------------------------------------------------------------------ given / when / then

pub struct Spec<D: Decider> {
    given: Vec<Dated<D::Event>>,
    ctx: Context,
    /// Who gives the command unless [`Spec::by`] says: someone allowed to.
    default_actor: Option<fn(&D::Command) -> Actor>,
}

/// The role DOMAIN.md allows for an action command (a coordinator, but the COPIL's pilot for
/// decisions and an evaluator for evaluations).
pub fn allowed_actor(command: &domain::action::ActionCommand) -> Actor {
    use domain::permissions::CommandKind;
    match command.kind() {
        CommandKind::RecordCopilDecisions | CommandKind::ReviseDecision => pilot(),
        CommandKind::EvaluateAction => evaluator(),
        _ => coordinator(),
    }
}

/// An action stream after `events`, seen by [`action_ctx`], the command given by someone
/// allowed to (see [`allowed_actor`]) unless [`Spec::by`] names someone else.
pub fn given(events: Vec<Dated<ActionEvent>>) -> Spec<ActionDecider> {
    Spec {
        given: events,
        ctx: action_ctx(),
        default_actor: Some(allowed_actor),
    }
}

/// Any stream after `events`, seen by `ctx`.
pub fn given_in<D: Decider>(events: Vec<Dated<D::Event>>, ctx: Context) -> Spec<D> {
    Spec {
        given: events,
        ctx,
        default_actor: None,
    }
}

impl<D: Decider> Spec<D>
where
    D::Event: std::fmt::Debug + PartialEq,
    D::State: std::fmt::Debug,
{
    pub fn by(mut self, actor: Actor) -> Self {
        self.ctx.actor = actor;
        self.default_actor = None;
        self
    }

    pub fn today(mut self, today: NaiveDate) -> Self {
        self.ctx.today = today;
        self
    }

    pub fn session(mut self, facts: SessionFacts) -> Self {
        self.ctx.session = Some(facts);
        self
    }

    pub fn with(mut self, f: impl FnOnce(Context) -> Context) -> Self {
        self.ctx = f(self.ctx);
        self
    }

    pub fn when(mut self, command: impl Into<Command<D::Command>>) -> Then<D> {
        let command = command.into();
        if let Some(actor) = self.default_actor {
            self.ctx.actor = actor(&command.command);
        }
        let state = D::fold(&self.given);
        let result = D::decide(&state, &command, &self.ctx);
        Then { state, result }
    }
}

pub struct Then<D: Decider> {
    state: D::State,
    result: Result<Decided<D::Event>, DomainError>,
}

impl<D: Decider> Then<D>
where
    D::Event: std::fmt::Debug + PartialEq,
    D::State: std::fmt::Debug,
{
    /// The command succeeds with exactly `expected`; returns the state after folding them.
    pub fn then(self, expected: Vec<D::Event>) -> D::State {
        let decided = self.decided();
        assert_eq!(decided.0.events, expected, "events");
        decided.1
    }

    /// Like [`Then::then`], and the events are effective on `on`.
    pub fn then_on(self, on: NaiveDate, expected: Vec<D::Event>) -> D::State {
        let (decided, state) = self.decided();
        assert_eq!(decided.effective_on, on, "effective date");
        assert_eq!(decided.events, expected, "events");
        state
    }

    /// The decision and the state after folding it.
    pub fn decided(self) -> (Decided<D::Event>, D::State) {
        match self.result {
            Ok(decided) => {
                let state = decided
                    .dated()
                    .iter()
                    .fold(self.state, |s, e| D::evolve(s, e));
                (decided, state)
            }
            Err(e) => panic!("expected success, got {e:?}: {e}"),
        }
    }

    pub fn then_error(self, expected: DomainError) {
        assert_eq!(self.error(), expected);
    }

    /// A RULE_VIOLATION with this rule code.
    pub fn then_rule(self, code: &str) -> DomainError {
        let e = self.error();
        assert_eq!(e.api_code(), ApiCode::RuleViolation, "{e:?}");
        assert_eq!(e.rule_code(), code, "{e:?}");
        e
    }

    pub fn then_code(self, api: ApiCode) -> DomainError {
        let e = self.error();
        assert_eq!(e.api_code(), api, "{e:?}");
        e
    }

    pub fn then_forbidden(self) -> DomainError {
        self.then_code(ApiCode::Forbidden)
    }

    pub fn error(self) -> DomainError {
        match self.result {
            Ok(decided) => panic!("expected an error, got {decided:?}"),
            Err(e) => {
                // Every error has a French sentence.
                assert!(!e.to_string().is_empty());
                e
            }
        }
    }
}
