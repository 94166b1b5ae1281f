//! The read model keeps actions in a compact form and folds them with its own copy of the
//! domain's rules (`projections::model::ActionRecord`). These tests hold that copy to the
//! domain's fold: for every action, the state the read model gives back
//! (`ProgrammeView::action_state`) is the state `ActionDecider::evolve` folds from the same
//! events, on generated logs and on random sequences of recorded events (also the ones `decide`
//! would refuse: a recorded event is a fact).

use std::collections::BTreeMap;

use chrono::{NaiveDate, TimeZone, Utc};
use domain::action::{self, ActionState};
use domain::events::*;
use domain::streams::StreamRef;
use domain::values::*;
use eventlog::{Durability, EventLog, Options};
use projections::generator::{self, GeneratorParams};
use projections::model::{ProgrammeView, ReadModel};
use projections::recorded::RecordedEvent;
use proptest::prelude::*;

/// Folds `events` (log order) both ways and compares every action.
fn check(events: &[RecordedEvent]) -> Result<usize, TestCaseError> {
    let mut model = ReadModel::default();
    let mut domain: BTreeMap<(ProgrammeId, ActionId), ActionState> = BTreeMap::new();
    for event in events {
        model.apply(event);
        if let (StreamRef::Action(p, a), DomainEvent::Action(e)) = (&event.stream, &event.event) {
            let state = domain.entry((p.clone(), a.clone())).or_default();
            action::apply(state, event.effective_on, e);
        }
    }
    for ((programme, id), expected) in &domain {
        let view = model
            .programme(programme)
            .expect("the programme was folded");
        prop_assert_eq!(&view.action_state(id), expected, "action {}", id);
        prop_assert_eq!(view.action(id).is_some(), expected.action.is_some());
    }
    let n_proposed = model
        .programmes()
        .map(|v| v.actions().count())
        .sum::<usize>();
    prop_assert_eq!(
        n_proposed,
        domain.values().filter(|s| s.action.is_some()).count()
    );
    Ok(domain.len())
}

fn generated(params: GeneratorParams) -> Vec<RecordedEvent> {
    let dir = tempfile::tempdir().unwrap();
    let options = Options {
        durability: Durability::Buffered,
        ..Options::default()
    };
    let log = EventLog::open(dir.path(), options).unwrap();
    generator::generate(&log, &params).unwrap();
    log.read_all(1)
        .map(|e| RecordedEvent::from_envelope(&e.unwrap()).unwrap())
        .collect()
}

#[test]
fn generated_programmes_fold_to_the_domain_states() {
    for seed in [1, 2, 3] {
        let events = generated(GeneratorParams::small(seed, 2, 40));
        let n = check(&events).unwrap();
        assert!(n >= 80, "{n} actions");
    }
    let today = NaiveDate::from_ymd_opt(2026, 3, 15).unwrap();
    check(&generated(GeneratorParams::demo(today))).unwrap();
}

// ------------------------------------------------------------------------------ random events

fn d(day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 1, 1).unwrap() + chrono::Days::new(u64::from(day))
}

fn pick<T: Clone + std::fmt::Debug + 'static>(items: Vec<T>) -> impl Strategy<Value = T> {
    proptest::sample::select(items)
}

fn funder() -> impl Strategy<Value = FunderId> {
    pick(vec!["etat", "ville", "caf"]).prop_map(|s| FunderId::parse(s).unwrap())
}

fn session() -> impl Strategy<Value = SessionId> {
    pick(vec!["copil-1", "cotech-1", "copil-2"]).prop_map(|s| SessionId::parse(s).unwrap())
}

fn title() -> impl Strategy<Value = Title> {
    pick(vec!["Soutien scolaire", "Acte", "Budget détaillé", "ville"])
        .prop_map(|s| Title::parse("titre", s).unwrap())
}

fn note() -> impl Strategy<Value = Note> {
    pick(vec!["motif", "Avis favorable.", "ville"]).prop_map(|s| Note::parse("note", s).unwrap())
}

fn narrative() -> impl Strategy<Value = Narrative> {
    pick(vec!["Aide aux devoirs.", "motif", "Objectifs atteints."])
        .prop_map(|s| Narrative::parse("texte", s).unwrap())
}

fn axis() -> impl Strategy<Value = AxisCode> {
    pick(vec!["A1", "A2"]).prop_map(|s| AxisCode::parse(s).unwrap())
}

fn indicator_code() -> impl Strategy<Value = IndicatorCode> {
    pick(vec!["i1", "i2"]).prop_map(|s| IndicatorCode::parse(s).unwrap())
}

fn money() -> impl Strategy<Value = Money> {
    (0i64..=2_000_000).prop_map(|c| Money::from_cents(c).unwrap())
}

fn lines() -> impl Strategy<Value = Vec<MoneyLine>> {
    prop::collection::vec((funder(), money()), 0..3)
        .prop_map(|v| v.into_iter().map(|(f, m)| MoneyLine::new(f, m)).collect())
}

fn indicators() -> impl Strategy<Value = Vec<IndicatorDef>> {
    prop::collection::vec(
        (indicator_code(), title(), prop::option::of(0.0f64..100.0)),
        0..3,
    )
    .prop_map(|v| {
        v.into_iter()
            .map(|(code, label, target)| IndicatorDef {
                code,
                label,
                target,
            })
            .collect()
    })
}

fn proposal() -> impl Strategy<Value = ActionEvent> {
    (
        title(),
        narrative(),
        axis(),
        prop::collection::vec(axis(), 0..2),
        lines(),
        indicators(),
        prop::collection::vec(title(), 0..2),
    )
        .prop_map(
            |(title, summary, axis, secondary_axes, requested, indicators, external_refs)| {
                ActionProposed {
                    action: ActionId::parse("a").unwrap(),
                    reference: Title::parse("référence", "2026-001").unwrap(),
                    title,
                    summary,
                    holder: PartnerId::parse("asso").unwrap(),
                    axis,
                    secondary_axes,
                    publics: vec![PublicKind::Children],
                    qpv: vec![Name::parse("nom", "Grigny 2").unwrap()],
                    period_start: d(5),
                    period_end: d(300),
                    year: Year::parse(2026).unwrap(),
                    total_cost: Money::from_cents(2_000_000).unwrap(),
                    requested,
                    indicators,
                    external_refs,
                    renews: Some(ActionId::parse("a-2025").unwrap()),
                }
                .into()
            },
        )
}

fn amendment() -> impl Strategy<Value = ActionEvent> {
    (
        prop::option::of(title()),
        prop::option::of(narrative()),
        prop::option::of(axis()),
        prop::option::of(prop::collection::vec(axis(), 0..2)),
        prop::option::of(lines()),
        prop::option::of(indicators()),
        prop::option::of(money()),
        prop::option::of(Just(d(20))),
    )
        .prop_map(
            |(title, summary, axis, secondary_axes, requested, indicators, total_cost, start)| {
                ActionAmended {
                    title,
                    summary,
                    axis,
                    secondary_axes,
                    publics: None,
                    qpv: None,
                    period_start: start,
                    period_end: None,
                    total_cost,
                    requested,
                    indicators,
                }
                .into()
            },
        )
}

fn outcome() -> impl Strategy<Value = DecisionOutcome> {
    pick(DecisionOutcome::ALL.to_vec())
}

fn event() -> impl Strategy<Value = ActionEvent> {
    let payment = || pick(vec!["v1", "v2", "v3"]).prop_map(|s| PaymentId::parse(s).unwrap());
    prop_oneof![
        2 => proposal(),
        2 => amendment(),
        1 => prop::collection::vec(title(), 1..3).prop_map(|items| ComplementsRequested { items }.into()),
        1 => note().prop_map(|note| ComplementsProvided { note }.into()),
        1 => (session(), pick(Opinion::ALL.to_vec()), lines(), prop::option::of(note()))
            .prop_map(|(session, opinion, proposed, comment)| OpinionGiven { session, opinion, proposed, comment }.into()),
        2 => (session(), 1u32..4, outcome(), lines(), prop::option::of(note()))
            .prop_map(|(session, decision_no, outcome, retained, reason)| CopilDecisionTaken { session, decision_no, outcome, retained, reason }.into()),
        1 => (session(), 1u32..5, 1u32..4, outcome(), lines(), note())
            .prop_map(|(session, decision_no, supersedes, outcome, retained, reason)| DecisionRevised { session, decision_no, supersedes, outcome, retained, reason }.into()),
        1 => note().prop_map(|reason| ActionWithdrawn { reason }.into()),
        2 => (pick(vec!["g1", "g2"]), funder(), money(), title()).prop_map(|(grant, funder, amount, reference)| GrantAwarded {
            grant: GrantId::parse(grant).unwrap(), funder, year: Year::parse(2026).unwrap(), amount,
            act: Act { kind: ActKind::Arrete, reference, signed_on: d(40) },
        }.into()),
        1 => (funder(), note()).prop_map(|(funder, reason)| GrantRefused { funder, reason }.into()),
        3 => (payment(), funder(), money()).prop_map(|(payment, funder, amount)| PaymentRecorded { payment, funder, amount, kind: PaymentKind::Advance }.into()),
        1 => (payment(), note()).prop_map(|(payment, reason)| PaymentCancelled { payment, reason }.into()),
        1 => Just(ActionStarted {}.into()),
        1 => note().prop_map(|reason| PeriodChanged { period_start: d(10), period_end: d(200), reason }.into()),
        1 => Just(ActionCompleted {}.into()),
        1 => note().prop_map(|reason| NonRealisationAttested { reason }.into()),
        1 => (funder(), money(), note()).prop_map(|(funder, amount, reason)| RepaymentRequested { funder, amount, reason }.into()),
        1 => (funder(), money()).prop_map(|(funder, amount)| RepaymentReceived { funder, amount }.into()),
        1 => (pick(vec![ReportKind::Interim, ReportKind::Final]), money(), narrative()).prop_map(|(kind, spent, narrative)| ReportSubmitted {
            kind, spent, narrative,
            beneficiaries: vec![BeneficiaryCount { public: PublicKind::Children, age_band: AgeBand::Age6To10, sex: Sex::Female, qpv_resident: true, count: 12 }],
        }.into()),
        1 => (indicator_code(), 0.0f64..100.0).prop_map(|(code, value)| IndicatorMeasured { code, value }.into()),
        1 => (pick(Rating::ALL.to_vec()), narrative()).prop_map(|(rating, findings)| ActionEvaluated { rating, findings, recommendation: Recommendation::Renew }.into()),
        1 => Just(ActionClosed {}.into()),
        1 => note().prop_map(|reason| ReportDeadlineExtended { due_on: d(280), reason }.into()),
        1 => (pick(ReportVerdict::ALL.to_vec()), prop::option::of(note()))
            .prop_map(|(verdict, comment)| FinalReportReviewed { verdict, comment }.into()),
        1 => (pick(vec!["g1", "g2", "g3"]), money(), title(), note()).prop_map(|(grant, amount, reference, reason)| GrantAmended {
            grant: GrantId::parse(grant).unwrap(), amount, reference, reason,
        }.into()),
        1 => (funder(), note()).prop_map(|(funder, reason)| RepaymentRequestCancelled { funder, reason }.into()),
        1 => (0u32..3, money(), narrative(), note()).prop_map(|(report, spent, narrative, reason)| ReportCorrected {
            report, spent, narrative, reason,
            beneficiaries: vec![BeneficiaryCount { public: PublicKind::Parents, age_band: AgeBand::Adult, sex: Sex::Male, qpv_resident: false, count: 3 }],
        }.into()),
    ]
}

/// Recorded events of two action streams of one programme, interleaved.
fn recorded(steps: Vec<(bool, u32, ActionEvent)>) -> Vec<RecordedEvent> {
    let programme = ProgrammeId::parse("grigny").unwrap();
    let mut versions = [0u64; 2];
    steps
        .into_iter()
        .enumerate()
        .map(|(i, (second, day, event))| {
            let which = usize::from(second);
            versions[which] += 1;
            let id = ActionId::parse(["a", "b"][which]).unwrap();
            RecordedEvent {
                position: i as u64 + 1,
                event_id: uuid::Uuid::nil(),
                stream: StreamRef::Action(programme.clone(), id),
                stream_version: versions[which],
                recorded_at: Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap(),
                effective_on: d(day),
                actor: "test".into(),
                command_id: None,
                event: DomainEvent::Action(event),
            }
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn random_recorded_events_fold_to_the_domain_states(
        first in proposal(),
        steps in prop::collection::vec((any::<bool>(), 0u32..300, event()), 0..60),
        proposed_first in prop::bool::weighted(0.9),
    ) {
        let mut all = Vec::new();
        if proposed_first {
            all.push((false, 1, first));
        }
        all.extend(steps);
        check(&recorded(all))?;
    }
}

#[test]
fn a_view_restored_from_its_snapshot_folds_on_like_the_original() {
    // The strings' lookup is rebuilt after decoding: folding on must intern alike.
    let events = generated(GeneratorParams::small(5, 1, 30));
    let (head, tail) = events.split_at(events.len() / 2);
    let mut model = ReadModel::default();
    for e in head {
        model.apply(e);
    }
    let bytes = eventlog::codec::encode(&model).unwrap();
    let mut restored: ReadModel = eventlog::codec::decode(&bytes).unwrap();
    assert_eq!(restored, model);
    for e in tail {
        model.apply(e);
        restored.apply(e);
    }
    assert_eq!(restored, model);
    let view: &ProgrammeView = restored.programmes().next().unwrap();
    assert!(view.actions().count() >= 30);
}
