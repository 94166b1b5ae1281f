//! Property tests: random command sequences against the action and programme streams.
//!
//! - `decide` never panics, whatever the command, actor, session or state;
//! - folding the events `decide` returned gives the state the next command sees, the same as
//!   folding the whole stream from scratch, one event more per event;
//! - every effective date lies between the stream's first event and today;
//! - once corrections are applied, money per funder satisfies
//!   repaid ≤ repayment requested ≤ paid ≤ granted ≤ retained ≤ requested;
//! - the money lines are those the first, plainly written computation gave
//!   ([`reference_money`]: every line rebuilt in a `BTreeMap` after each event), which the
//!   fold now does in place.

use chrono::NaiveDate;
use domain::action::{Action, ActionCommand, ActionDecider, ActionState, FundingLine};
use domain::actor::Actor;
use domain::context::*;
use domain::decider::{Command, Decider};
use domain::events::*;
use domain::programme::{ProgrammeCommand, ProgrammeDecider, ProgrammeState};
use domain::values::*;
use proptest::prelude::*;
use std::collections::BTreeMap;

fn d(day_of_2026: u32) -> NaiveDate {
    NaiveDate::from_yo_opt(2026, day_of_2026.clamp(1, 365)).expect("a day of 2026")
}
fn programme_id() -> ProgrammeId {
    ProgrammeId::parse("grigny").unwrap()
}
fn holder() -> PartnerId {
    PartnerId::parse("asso").unwrap()
}
fn funder(i: usize) -> FunderId {
    FunderId::parse(["etat", "ville", "caf"][i % 3]).unwrap()
}
fn title(s: &str) -> Title {
    Title::parse("titre", s).unwrap()
}
fn note() -> Note {
    Note::parse("motif", "motif").unwrap()
}
fn narrative() -> Narrative {
    Narrative::parse("récit", "récit").unwrap()
}
fn axis(code: &str) -> AxisCode {
    AxisCode::parse(code).unwrap()
}

/// The sessions a command may name: (id, body, day of 2026, held, cancelled).
const SESSIONS: &[(&str, BodyKind, u32, bool, bool)] = &[
    ("cotech-1", BodyKind::Cotech, 40, true, false),
    ("cotech-2", BodyKind::SelectionCommittee, 120, true, false),
    ("copil-1", BodyKind::Copil, 70, true, false),
    ("copil-2", BodyKind::Copil, 160, true, false),
    ("copil-3", BodyKind::Copil, 175, false, false),
    ("copil-4", BodyKind::Copil, 100, true, true),
];

fn session(i: usize) -> (SessionId, SessionFacts) {
    let (id, body, day, held, cancelled) = SESSIONS[i % SESSIONS.len()];
    let id = SessionId::parse(id).unwrap();
    (
        id.clone(),
        SessionFacts {
            id,
            body,
            date: d(day),
            held,
            cancelled,
        },
    )
}

/// Mostly plausible amounts (whole thousands of euros up to 12 000 €), sometimes any amount
/// up to 20 000 €, the convention threshold plus a cent, or the largest amount.
fn money() -> impl Strategy<Value = Money> {
    prop_oneof![
        8 => (0i64..=12).prop_map(|k| Money::from_cents(k * 100_000).unwrap()),
        2 => (0i64..=2_000_000).prop_map(|c| Money::from_cents(c).unwrap()),
        1 => Just(Money::from_cents(2_300_001).unwrap()),
        1 => Just(Money::from_cents(Money::MAX_CENTS).unwrap()),
    ]
}

fn lines() -> impl Strategy<Value = Vec<MoneyLine>> {
    prop::collection::vec((0usize..3, money()), 0..4).prop_map(|v| {
        v.into_iter()
            .map(|(f, amount)| MoneyLine::new(funder(f), amount))
            .collect()
    })
}

fn outcome() -> impl Strategy<Value = DecisionOutcome> {
    prop::sample::select(DecisionOutcome::ALL.to_vec())
}

fn day() -> impl Strategy<Value = NaiveDate> {
    (1u32..=200).prop_map(d)
}

fn proposal() -> impl Strategy<Value = ActionProposed> {
    (money(), lines(), 0usize..3).prop_map(|(total_cost, requested, a)| ActionProposed {
        action: ActionId::parse("a").unwrap(),
        reference: title("2026-001"),
        title: title("Action"),
        summary: narrative(),
        holder: holder(),
        axis: axis(["A1", "A2", "A0"][a]),
        secondary_axes: vec![],
        publics: vec![PublicKind::Children],
        qpv: vec![],
        period_start: d(5),
        period_end: d(300),
        year: Year::parse(2026).unwrap(),
        total_cost,
        requested,
        indicators: vec![IndicatorDef {
            code: IndicatorCode::parse("i1").unwrap(),
            label: title("Indicateur"),
            target: None,
        }],
        external_refs: vec![],
        renews: None,
    })
}

fn command() -> impl Strategy<Value = ActionCommand> {
    use ActionCommand::*;
    prop_oneof![
        1 => proposal().prop_map(ProposeAction),
        2 => (prop::option::of(money()), prop::option::of(lines())).prop_map(|(total_cost, requested)| {
            AmendAction(ActionAmended {
                total_cost,
                requested,
                ..ActionAmended::default()
            })
        }),
        1 => Just(RequestComplements {
            items: vec![title("Devis")]
        }),
        2 => Just(ProvideComplements { note: note() }),
        1 => Just(WithdrawAction { reason: note() }),
        3 => (0usize..6, lines()).prop_map(|(s, proposed)| GiveOpinion {
            session: session(s).0,
            opinion: Opinion::Favourable,
            proposed,
            comment: None,
        }),
        6 => (0usize..6, outcome(), lines()).prop_map(|(s, outcome, retained)| TakeCopilDecision {
            session: session(s).0,
            outcome,
            retained,
            reason: None,
        }),
        3 => (0usize..6, outcome(), lines()).prop_map(|(s, outcome, retained)| ReviseDecision {
            session: session(s).0,
            outcome,
            retained,
            reason: note(),
        }),
        6 => (0usize..4, 0usize..3, money(), day(), any::<bool>()).prop_map(
            |(g, f, amount, signed_on, convention)| AwardGrant {
                grant: GrantId::parse(&format!("g{g}")).unwrap(),
                funder: funder(f),
                year: Year::parse(2026).unwrap(),
                amount,
                act: Act {
                    kind: if convention {
                        ActKind::Convention
                    } else {
                        ActKind::Arrete
                    },
                    reference: title("Acte"),
                    signed_on,
                },
            }
        ),
        1 => (0usize..3).prop_map(|f| RefuseGrant {
            funder: funder(f),
            reason: note()
        }),
        8 => (0usize..5, 0usize..3, money(), day()).prop_map(|(p, f, amount, paid_on)| RecordPayment {
            payment: PaymentId::parse(&format!("p{p}")).unwrap(),
            funder: funder(f),
            amount,
            kind: PaymentKind::Instalment,
            paid_on,
        }),
        3 => (0usize..5).prop_map(|p| CancelPayment {
            payment: PaymentId::parse(&format!("p{p}")).unwrap(),
            reason: note(),
        }),
        3 => day().prop_map(|started_on| StartAction { started_on }),
        1 => (day(), day()).prop_map(|(period_start, period_end)| ChangePeriod {
            period_start,
            period_end,
            reason: note(),
        }),
        2 => day().prop_map(|completed_on| CompleteAction { completed_on }),
        1 => Just(AttestNonRealisation { reason: note() }),
        4 => (0usize..3, money()).prop_map(|(f, amount)| RequestRepayment {
            funder: funder(f),
            amount,
            reason: note(),
        }),
        4 => (0usize..3, money(), day()).prop_map(|(f, amount, received_on)| RecordRepayment {
            funder: funder(f),
            amount,
            received_on,
        }),
        2 => (any::<bool>(), money()).prop_map(|(interim, spent)| SubmitReport {
            kind: if interim {
                ReportKind::Interim
            } else {
                ReportKind::Final
            },
            spent,
            narrative: narrative(),
            beneficiaries: vec![],
        }),
        2 => (any::<bool>(), -1.0e6f64..1.0e6, day()).prop_map(|(known, value, measured_on)| {
            MeasureIndicator {
                code: IndicatorCode::parse(if known { "i1" } else { "i2" }).unwrap(),
                value,
                measured_on,
            }
        }),
        2 => Just(EvaluateAction {
            rating: Rating::Achieved,
            findings: narrative(),
            recommendation: Recommendation::Renew,
        }),
        1 => Just(CloseAction),
        // Plausible steps, so that sequences often go all the way to payments and closing.
        8 => (2usize..4, 1i64..=10, 0usize..2).prop_map(|(s, k, f)| TakeCopilDecision {
            session: session(s).0,
            outcome: DecisionOutcome::Retained,
            retained: vec![MoneyLine::new(funder(f), Money::from_cents(k * 50_000).unwrap())],
            reason: None,
        }),
        8 => (0usize..2, 1i64..=10, 100u32..150).prop_map(|(f, k, day)| AwardGrant {
            grant: GrantId::parse(&format!("g{f}")).unwrap(),
            funder: funder(f),
            year: Year::parse(2026).unwrap(),
            amount: Money::from_cents(k * 50_000).unwrap(),
            act: Act { kind: ActKind::Arrete, reference: title("Acte"), signed_on: d(day) },
        }),
        10 => (0usize..5, 0usize..2, 1i64..=8, 100u32..150).prop_map(|(p, f, k, day)| RecordPayment {
            payment: PaymentId::parse(&format!("p{p}")).unwrap(),
            funder: funder(f),
            amount: Money::from_cents(k * 50_000).unwrap(),
            kind: PaymentKind::Advance,
            paid_on: d(day),
        }),
        4 => (0usize..2, 1i64..=4).prop_map(|(f, k)| RequestRepayment {
            funder: funder(f),
            amount: Money::from_cents(k * 50_000).unwrap(),
            reason: note(),
        }),
        4 => (0usize..2, 1i64..=4, 140u32..150).prop_map(|(f, k, day)| RecordRepayment {
            funder: funder(f),
            amount: Money::from_cents(k * 50_000).unwrap(),
            received_on: d(day),
        }),
        3 => (140u32..150).prop_map(|day| CompleteAction { completed_on: d(day) }),
        3 => (120u32..140).prop_map(|day| StartAction { started_on: d(day) }),
        3 => Just(SubmitReport {
            kind: ReportKind::Final,
            spent: Money::from_cents(1_000_000).unwrap(),
            narrative: narrative(),
            beneficiaries: vec![],
        }),
    ]
}

/// One step: who gives which command, with which option, on which day, with which envelope.
#[derive(Debug, Clone)]
struct Step {
    command: ActionCommand,
    actor: u8,
    option: Option<NaiveDate>,
    today: NaiveDate,
    envelope: Option<(Money, Money)>,
}

fn step() -> impl Strategy<Value = Step> {
    (
        command(),
        0u8..16,
        prop::option::weighted(0.05, day()),
        (150u32..=240).prop_map(d),
        prop::option::of((money(), money())),
    )
        .prop_map(|(command, actor, option, today, envelope)| Step {
            command,
            actor,
            option,
            today,
            envelope,
        })
}

fn actor_for(step: &Step) -> Actor {
    use domain::permissions::CommandKind::*;
    let p = programme_id();
    match step.actor {
        0 => Actor::of(Role::Observer, p),
        1 => Actor::porteur(p, PartnerId::parse("autre").unwrap()),
        2 => Actor::porteur(p, holder()),
        3 => Actor::of(Role::Pilot, ProgrammeId::parse("autre").unwrap()),
        _ => match step.command.kind() {
            RecordCopilDecisions | ReviseDecision => Actor::of(Role::Pilot, p),
            EvaluateAction => Actor::of(Role::Evaluator, p),
            _ => Actor::of(Role::Coordinator, p),
        },
    }
}

fn context(step: &Step) -> Context {
    let mut ctx = Context::new(actor_for(step), step.today, programme_id())
        .with_programme(ProgrammeFacts {
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
            funders: vec![funder(0), funder(1), funder(2)],
        })
        .with_holder(PartnerFacts {
            id: holder(),
            active: true,
            legal_form: LegalForm::Association,
        });
    if let ActionCommand::GiveOpinion { session: s, .. }
    | ActionCommand::TakeCopilDecision { session: s, .. }
    | ActionCommand::ReviseDecision { session: s, .. } = &step.command
    {
        let i = SESSIONS
            .iter()
            .position(|(id, ..)| *id == s.as_str())
            .unwrap_or(0);
        ctx = ctx.with_session(session(i).1);
    }
    if let Some((amount, granted)) = step.envelope {
        ctx = ctx.with_envelope(EnvelopeFacts { amount, granted });
    }
    ctx
}

/// A proposal every sequence starts from, so that most steps reach the rules.
fn start() -> Vec<Dated<ActionEvent>> {
    vec![Dated {
        effective_on: d(10),
        event: ActionProposed {
            action: ActionId::parse("a").unwrap(),
            reference: title("2026-001"),
            title: title("Action"),
            summary: narrative(),
            holder: holder(),
            axis: axis("A1"),
            secondary_axes: vec![],
            publics: vec![PublicKind::Children],
            qpv: vec![],
            period_start: d(5),
            period_end: d(300),
            year: Year::parse(2026).unwrap(),
            total_cost: Money::from_cents(2_000_000).unwrap(),
            requested: vec![
                MoneyLine::new(funder(0), Money::from_cents(1_000_000).unwrap()),
                MoneyLine::new(funder(1), Money::from_cents(500_000).unwrap()),
            ],
            indicators: vec![IndicatorDef {
                code: IndicatorCode::parse("i1").unwrap(),
                label: title("Indicateur"),
                target: Some(10.0),
            }],
            external_refs: vec![],
            renews: None,
        }
        .into(),
    }]
}

fn fold(events: &[Dated<ActionEvent>]) -> ActionState {
    events
        .iter()
        .fold(ActionState::default(), ActionDecider::evolve)
}

/// The money lines as `evolve` first computed them after each event (one line per funder
/// named anywhere in the action's life, `previous` being the lines before the event), kept here
/// as the reference for the in-place computation.
fn reference_money(previous: &[FundingLine], a: &Action) -> Vec<FundingLine> {
    let zero = |funder: &FunderId| FundingLine {
        funder: funder.clone(),
        requested: Money::ZERO,
        proposed: Money::ZERO,
        retained: Money::ZERO,
        granted: Money::ZERO,
        paid: Money::ZERO,
        to_pay: Money::ZERO,
        repayment_requested: Money::ZERO,
        repaid: Money::ZERO,
        refused: false,
    };
    let mut lines: BTreeMap<FunderId, FundingLine> = previous
        .iter()
        .map(|l| (l.funder.clone(), zero(&l.funder)))
        .collect();
    fn line<'a>(
        lines: &'a mut BTreeMap<FunderId, FundingLine>,
        zero: impl Fn(&FunderId) -> FundingLine,
        funder: &FunderId,
    ) -> &'a mut FundingLine {
        lines.entry(funder.clone()).or_insert_with(|| zero(funder))
    }
    for l in &a.requested {
        let x = line(&mut lines, zero, &l.funder);
        x.requested = x.requested.saturating_add(l.amount);
    }
    if let Some(opinion) = a.opinions.last() {
        for l in &opinion.proposed {
            let x = line(&mut lines, zero, &l.funder);
            x.proposed = x.proposed.saturating_add(l.amount);
        }
    }
    for d in &a.decisions {
        for l in &d.retained {
            line(&mut lines, zero, &l.funder);
        }
    }
    if let Some(d) = a.decision()
        && d.outcome == DecisionOutcome::Retained
    {
        for l in &d.retained {
            let x = line(&mut lines, zero, &l.funder);
            x.retained = x.retained.saturating_add(l.amount);
        }
    }
    for g in &a.grants {
        let x = line(&mut lines, zero, &g.funder);
        x.granted = x.granted.saturating_add(g.amount);
    }
    for p in &a.payments {
        let x = line(&mut lines, zero, &p.funder);
        if !p.cancelled {
            x.paid = x.paid.saturating_add(p.amount);
        }
    }
    for r in &a.repayments {
        let x = line(&mut lines, zero, &r.funder);
        if r.received {
            x.repaid = x.repaid.saturating_add(r.amount);
        } else {
            x.repayment_requested = x.repayment_requested.saturating_add(r.amount);
        }
    }
    for r in &a.refusals {
        line(&mut lines, zero, &r.funder).refused = true;
    }
    for x in lines.values_mut() {
        x.to_pay = if a.not_realised_on.is_some() {
            Money::ZERO
        } else {
            x.granted.saturating_sub(x.paid)
        };
    }
    lines.into_values().collect()
}

/// The lines of `after` are what [`reference_money`] computes from the lines of `before`.
fn check_reference_money(before: &ActionState, after: &ActionState) -> Result<(), TestCaseError> {
    if let Some(a) = &after.action {
        let previous = before
            .action
            .as_ref()
            .map_or(&[][..], |b| b.money.as_slice());
        prop_assert_eq!(&a.money, &reference_money(previous, a));
    }
    Ok(())
}

fn check_money(state: &ActionState) -> Result<(), TestCaseError> {
    let Some(a) = &state.action else {
        return Ok(());
    };
    for l in &a.money {
        prop_assert!(l.repaid <= l.repayment_requested, "{l:?}");
        prop_assert!(l.repayment_requested <= l.paid, "{l:?}");
        prop_assert!(l.paid <= l.granted, "{l:?}");
        prop_assert!(l.granted <= l.retained, "{l:?}");
        prop_assert!(l.retained <= l.requested, "{l:?}");
        if a.not_realised_on.is_some() {
            prop_assert_eq!(l.to_pay, Money::ZERO);
        } else {
            prop_assert_eq!(l.to_pay, l.granted.saturating_sub(l.paid));
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

    #[test]
    fn random_action_commands_keep_every_invariant(
        steps in prop::collection::vec(step(), 1..120),
        from_scratch in prop::bool::weighted(0.1),
    ) {
        let mut events = if from_scratch { Vec::new() } else { start() };
        let mut state = fold(&events);
        for step in &steps {
            let command = Command { command: step.command.clone(), effective_on: step.option };
            let ctx = context(step);
            let result = ActionDecider::decide(&state, &command, &ctx);
            // Deciding is a function of its inputs.
            prop_assert_eq!(&result, &ActionDecider::decide(&state, &command, &ctx));
            let Ok(decided) = result else { continue };
            prop_assert!(!decided.events.is_empty());
            prop_assert!(decided.effective_on <= step.today);
            if let Some(first) = state.first_effective_on {
                prop_assert!(decided.effective_on >= first);
            }
            let version = state.version;
            let dated = decided.dated();
            for event in &dated {
                let before = state.clone();
                state = ActionDecider::evolve(state, event);
                check_reference_money(&before, &state)?;
            }
            events.extend(dated);
            prop_assert_eq!(state.version, version + decided.events.len() as u64);
            prop_assert_eq!(&state, &fold(&events));
            check_money(&state)?;
        }
    }

    #[test]
    fn folding_never_panics_on_any_sequence_of_recorded_events(
        steps in prop::collection::vec(step(), 0..40),
    ) {
        // Events that `decide` would refuse are facts too once recorded: fold them blindly.
        let mut state = fold(&start());
        for step in &steps {
            let event = match &step.command {
                ActionCommand::RecordPayment { payment, funder, amount, kind, .. } => {
                    PaymentRecorded { payment: payment.clone(), funder: funder.clone(), amount: *amount, kind: *kind }.into()
                }
                ActionCommand::AwardGrant { grant, funder, year, amount, act } => GrantAwarded {
                    grant: grant.clone(), funder: funder.clone(), year: *year, amount: *amount, act: act.clone(),
                }.into(),
                ActionCommand::ReviseDecision { session, outcome, retained, reason } => DecisionRevised {
                    session: session.clone(), decision_no: 7, supersedes: 3, outcome: *outcome,
                    retained: retained.clone(), reason: reason.clone(),
                }.into(),
                ActionCommand::CancelPayment { payment, reason } => PaymentCancelled { payment: payment.clone(), reason: reason.clone() }.into(),
                ActionCommand::RequestRepayment { funder, amount, reason } => RepaymentRequested { funder: funder.clone(), amount: *amount, reason: reason.clone() }.into(),
                ActionCommand::CloseAction => ActionClosed {}.into(),
                _ => ActionStarted {}.into(),
            };
            let before = state.clone();
            state = ActionDecider::evolve(state, &Dated { effective_on: step.today, event });
            prop_assert_eq!(state.version, before.version + 1);
            check_reference_money(&before, &state)?;
        }
    }

    #[test]
    fn random_programme_commands_never_panic_and_fold_consistently(
        commands in prop::collection::vec((0u8..7, 0usize..3, money(), 2025i32..2028), 1..40),
    ) {
        let ctx = Context::new(Actor::of(Role::Pilot, programme_id()), d(180), programme_id());
        let mut events = vec![Dated {
            effective_on: d(1),
            event: ProgrammeEstablished {
                programme: programme_id(),
                name: Name::parse("nom", "Grigny").unwrap(),
                territory: vec![],
                qpv: vec![],
                labelled_on: None,
                request_cap_permille: 800,
            }.into(),
        }];
        let mut state = events.iter().fold(ProgrammeState::default(), ProgrammeDecider::evolve);
        for (kind, f, amount, year) in commands {
            let year = Year::parse(year).unwrap();
            let command = match kind {
                0 => ProgrammeCommand::DefineAxis { code: axis(["A1", "A2", "A3"][f]), title: title("Axe"), objective: NationalObjective::SchoolRole },
                1 => ProgrammeCommand::RetireAxis { code: axis(["A1", "A2", "A3"][f]) },
                2 => ProgrammeCommand::RegisterFunder { funder: funder(f), name: Name::parse("nom", "Financeur").unwrap(), kind: FunderKind::Other, payer: Payer::Other },
                3 => ProgrammeCommand::NotifyEnvelope { funder: funder(f), year, amount, reference: None },
                4 => ProgrammeCommand::ReviseEnvelope { funder: funder(f), year, amount, reason: note() },
                5 => ProgrammeCommand::ChangeBodyMembership { body: BodyKind::ALL[f], organisations: vec![] },
                _ => ProgrammeCommand::EstablishProgramme { programme: programme_id(), name: Name::parse("nom", "x").unwrap(), territory: vec![], qpv: vec![], labelled_on: None, request_cap_permille: 800 },
            };
            let Ok(decided) = ProgrammeDecider::decide(&state, &command.into(), &ctx) else { continue };
            let dated = decided.dated();
            state = dated.iter().fold(state, ProgrammeDecider::evolve);
            events.extend(dated);
            prop_assert_eq!(&state, &events.iter().fold(ProgrammeState::default(), ProgrammeDecider::evolve));
            let p = state.programme.as_ref().unwrap();
            // Envelopes are one per funder and year, and only for registered funders.
            for e in &p.envelopes {
                prop_assert!(p.funder(&e.funder).is_some());
                prop_assert_eq!(p.envelopes.iter().filter(|x| x.funder == e.funder && x.year == e.year).count(), 1);
            }
        }
    }
}

proptest! {
    #[test]
    fn a_copil_call_decides_every_action_or_names_every_failure(
        decisions in prop::collection::vec((0usize..4, outcome(), lines()), 1..6),
        s in 0usize..6,
    ) {
        use domain::action::{CopilDecision, RecordCopilDecisions, decide_copil_decisions};
        use std::collections::BTreeMap;
        let ids = ["a", "b", "c", "d"].map(|id| ActionId::parse(id).unwrap());
        // Three actions exist (the fourth does not): proposed, then each at its own stage.
        let mut states = BTreeMap::new();
        for id in &ids[..3] {
            let mut events = start();
            if let ActionEvent::ActionProposed(p) = &mut events[0].event {
                p.action = id.clone();
            }
            states.insert(id.clone(), fold(&events));
        }
        let (session_id, facts) = session(s);
        let command = Command::new(RecordCopilDecisions {
            session: session_id,
            decisions: decisions
                .iter()
                .map(|(a, outcome, retained)| CopilDecision {
                    action: ids[*a].clone(),
                    outcome: *outcome,
                    retained: retained.clone(),
                    reason: None,
                })
                .collect(),
        });
        let ctx = Context::new(Actor::of(Role::Pilot, programme_id()), d(200), programme_id())
            .with_session(facts);
        let named: Vec<&ActionId> = command.command.decisions.iter().map(|d| &d.action).collect();
        let distinct: std::collections::BTreeSet<&ActionId> = named.iter().copied().collect();
        match decide_copil_decisions(&states, &command, &ctx) {
            Ok(decided) => {
                prop_assert_eq!(decided.len(), named.len());
                for ((action, d), expected) in decided.iter().zip(&named) {
                    prop_assert_eq!(action, *expected);
                    prop_assert_eq!(d.events.len(), 1);
                    prop_assert_eq!(d.effective_on, ctx.session.as_ref().unwrap().date);
                }
            }
            Err(e) if distinct.len() < named.len() => {
                prop_assert_eq!(e.rule_code(), "duplicate_action");
            }
            Err(e) => {
                prop_assert!(!e.failures().is_empty(), "{e:?}");
                for f in e.failures() {
                    prop_assert!(distinct.contains(&f.action));
                }
                // The fourth action does not exist: it always fails when named.
                if distinct.contains(&ids[3]) {
                    prop_assert!(e.failures().iter().any(|f| f.action == ids[3]));
                }
            }
        }
    }
}

/// The refusals `availableCommands` foresees (api-next.graphql): the permission, the life cycle
/// and the rules that depend on the action's state only.
fn refused_by_state(e: &domain::error::DomainError) -> bool {
    use domain::error::{ApiCode, DeadlineProblem, DomainError};
    e.api_code() == ApiCode::Forbidden
        || matches!(
            e,
            DomainError::DeadlineInvalid(DeadlineProblem::NotDue { .. })
        )
        || matches!(
            e.rule_code(),
            "lifecycle"
                | "amend_after_decision"
                | "grant_needs_retained"
                | "report_needs_completion"
                | "evaluation_needs_final_report"
                | "close_not_ready"
                | "report_review_invalid"
        )
}

/// Every role the page may be opened with, one porteur holding the action and one not.
fn every_actor() -> Vec<Actor> {
    let p = programme_id();
    vec![
        Actor::admin(),
        Actor::of(Role::Pilot, p.clone()),
        Actor::of(Role::Coordinator, p.clone()),
        Actor::of(Role::Evaluator, p.clone()),
        Actor::of(Role::Observer, p.clone()),
        Actor::porteur(p.clone(), holder()),
        Actor::porteur(p.clone(), PartnerId::parse("autre").unwrap()),
        Actor::of(Role::Pilot, ProgrammeId::parse("autre").unwrap()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    /// `availableCommands` and `decide` never disagree: over generated histories and for every
    /// role, a command outside the list is refused for its permission or the action's state, and
    /// a command in it never is (a report of a kind not in `availableReportKinds` excepted,
    /// which that list says).
    #[test]
    fn available_commands_are_exactly_those_decide_does_not_refuse_for_the_state(
        steps in prop::collection::vec(step(), 1..120),
    ) {
        use domain::action::{available_commands, available_report_kinds};
        let mut state = fold(&start());
        for step in &steps {
            let command = Command { command: step.command.clone(), effective_on: step.option };
            for actor in every_actor() {
                let available = available_commands(&actor, &programme_id(), &state);
                let mut ctx = context(step);
                ctx.actor = actor.clone();
                let result = ActionDecider::decide(&state, &command, &ctx);
                let kind = step.command.kind();
                let offered = available.contains(&kind)
                    && match &step.command {
                        ActionCommand::SubmitReport { kind, .. } => {
                            available_report_kinds(&state).contains(kind)
                        }
                        _ => true,
                    };
                match (&result, offered) {
                    (Err(e), false) => prop_assert!(
                        refused_by_state(e),
                        "{kind:?} not offered to {actor:?} but refused for {e:?}"
                    ),
                    (Ok(_), false) => prop_assert!(
                        false,
                        "{kind:?} not offered to {actor:?} in {:?} yet accepted",
                        state.action.as_ref().map(|a| a.status)
                    ),
                    (Err(e), true) => prop_assert!(
                        !refused_by_state(e),
                        "{kind:?} offered to {actor:?} but refused for {e:?}"
                    ),
                    (Ok(_), true) => {}
                }
            }
            // The history goes on with the step's own actor.
            let ctx = context(step);
            if let Ok(decided) = ActionDecider::decide(&state, &command, &ctx) {
                state = decided.dated().iter().fold(state, ActionDecider::evolve);
            }
        }
    }
}
