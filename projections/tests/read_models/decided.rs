//! The read models under events that the real deciders produced, with the context gathered from
//! the read model itself as the command service gathers it (the envelope's granted amount comes
//! from `query::granted_in_year`).

use crate::fixture::*;
use domain::action::{ActionCommand, ActionDecider};
use domain::actor::Actor;
use domain::context::{Context, EnvelopeFacts, PartnerFacts, ProgrammeFacts, SessionFacts};
use domain::decider::{Command, Decider};
use domain::error::DomainError;
use domain::events::{ActionEvent, ActionProposed, DomainEvent};
use domain::streams::StreamRef;
use domain::values::*;
use projections::query::{self, Page, TimelineFilter};

fn today() -> chrono::NaiveDate {
    date("2026-12-31")
}

fn coordinator() -> Actor {
    Actor::of(Role::Coordinator, programme_id())
}

/// Decides `command` on action `id` with the context read from the fixture's view, and appends
/// what was decided.
fn run(
    f: &mut Fixture,
    actor: &Actor,
    id: &str,
    command: Command<ActionCommand>,
) -> Result<(), DomainError> {
    let needs = command.command.needs();
    let view = &f.view;
    let mut ctx = Context::new(actor.clone(), today(), programme_id());
    if needs.programme
        && let Some(p) = view.programme.programme.as_ref()
    {
        ctx = ctx.with_programme(ProgrammeFacts::from(p));
    }
    if let Some(s) = needs.session.as_ref().and_then(|s| view.session(s)) {
        ctx = ctx.with_session(SessionFacts::from(s));
    }
    if let Some(h) = needs.holder.as_ref().and_then(|h| view.partner(h)) {
        ctx = ctx.with_holder(PartnerFacts::from(h));
    }
    if let Some((funder, year)) = &needs.envelope
        && let Some(e) = view
            .programme
            .programme
            .as_ref()
            .and_then(|p| p.envelope(funder, *year))
    {
        ctx = ctx.with_envelope(EnvelopeFacts {
            amount: e.amount,
            granted: query::granted_in_year(view, funder, *year),
        });
    }
    let state = view.action_state(&aid(id));
    let decided = ActionDecider::decide(&state, &command, &ctx)?;
    let on = decided.effective_on.format("%Y-%m-%d").to_string();
    for event in decided.events {
        f.push(
            StreamRef::Action(programme_id(), aid(id)),
            &on,
            DomainEvent::Action(event),
        );
    }
    Ok(())
}

fn proposal(id: &str, reference: &str, requested_euros: i64) -> Command<ActionCommand> {
    Command::new(ActionCommand::ProposeAction(ActionProposed {
        action: aid(id),
        reference: title(reference),
        title: title("Soutien scolaire"),
        summary: narrative("Aide aux devoirs."),
        holder: pid("asso"),
        axis: axis("A1"),
        secondary_axes: vec![],
        publics: vec![PublicKind::Children],
        qpv: vec![],
        period_start: date("2026-09-01"),
        period_end: date("2027-06-30"),
        year: year(2026),
        total_cost: euros(requested_euros * 2),
        requested: vec![line(ETAT, requested_euros)],
        indicators: vec![],
        external_refs: vec![],
        renews: None,
    }))
    .effective_on(date("2026-01-15"))
}

fn decision(euros_: i64) -> Command<ActionCommand> {
    Command::new(ActionCommand::TakeCopilDecision {
        session: sid("copil-1"),
        outcome: DecisionOutcome::Retained,
        retained: vec![line(ETAT, euros_)],
        reason: None,
    })
}

fn grant(id: &str, euros_: i64) -> Command<ActionCommand> {
    Command::new(ActionCommand::AwardGrant {
        grant: GrantId::parse(&format!("g-{id}")).unwrap(),
        funder: funder(ETAT),
        year: year(2026),
        amount: euros(euros_),
        act: Act {
            kind: ActKind::Convention,
            reference: title("Convention 2026-12"),
            signed_on: date("2026-04-01"),
        },
    })
}

#[test]
fn decided_events_fold_into_the_budget_the_releve_and_the_timeline() {
    let mut f = Fixture::base();
    f.hold("cotech-1", "2026-02-02", &["Rectorat"]);
    f.hold("copil-1", "2026-03-14", &["Préfecture", "Ville"]);
    let c = coordinator();
    run(&mut f, &c, "a1", proposal("a1", "2026-001", 60_000)).unwrap();
    run(
        &mut f,
        &c,
        "a1",
        Command::new(ActionCommand::GiveOpinion {
            session: sid("cotech-1"),
            opinion: Opinion::Favourable,
            proposed: vec![line(ETAT, 60_000)],
            comment: None,
        }),
    )
    .unwrap();
    run(&mut f, &pilot(), "a1", decision(60_000)).unwrap();
    run(&mut f, &c, "a2", proposal("a2", "2026-002", 50_000)).unwrap();
    run(&mut f, &pilot(), "a2", decision(50_000)).unwrap();
    run(&mut f, &c, "a1", grant("a1", 60_000)).unwrap();
    // The envelope of 100 000 € has 40 000 € left, as the budget read model says.
    let refused = run(&mut f, &c, "a2", grant("a2", 50_000)).unwrap_err();
    assert_eq!(refused.rule_code(), "grant_exceeds_envelope", "{refused:?}");
    run(&mut f, &c, "a2", grant("a2", 40_000)).unwrap();
    run(
        &mut f,
        &c,
        "a1",
        Command::new(ActionCommand::RecordPayment {
            payment: PaymentId::parse("v-1").unwrap(),
            funder: funder(ETAT),
            amount: euros(20_000),
            kind: PaymentKind::Advance,
            paid_on: date("2026-04-15"),
        }),
    )
    .unwrap();

    let b = query::budget(&f.view, &pilot(), 2026).unwrap();
    let etat = &b.lines[0];
    assert_eq!(etat.granted, euros(100_000));
    assert_eq!(etat.consumption_permille, Some(1000));
    assert_eq!(etat.paid, euros(20_000));
    assert_eq!(etat.to_pay, euros(80_000));
    assert_eq!(etat.retained, euros(110_000));

    let releve = query::session_decisions(&f.view, &pilot(), &sid("copil-1")).unwrap();
    assert_eq!(releve.len(), 2);
    assert!(
        releve
            .iter()
            .all(|r| r.outcome == Some(DecisionOutcome::Retained))
    );
    let opinions = query::session_decisions(&f.view, &pilot(), &sid("cotech-1")).unwrap();
    assert_eq!(opinions[0].opinion, Some(Opinion::Favourable));

    let t = query::timeline(
        &f.view,
        &pilot(),
        &TimelineFilter {
            action_id: Some(aid("a1")),
            ..Default::default()
        },
        false,
        &Page::first(50),
        &f.events,
    )
    .unwrap();
    let kinds: Vec<&str> = t.edges.iter().map(|e| e.node.kind).collect();
    assert_eq!(
        kinds,
        [
            "PaymentRecorded",
            "GrantAwarded",
            "CopilDecisionTaken",
            "OpinionGiven",
            "ActionProposed"
        ]
    );
    // The decision's effective date is the session's (rule 4).
    assert_eq!(t.edges[2].node.effective_on, date("2026-03-14"));
    assert!(matches!(
        f.events.last().map(|e| &e.event),
        Some(DomainEvent::Action(ActionEvent::PaymentRecorded(_)))
    ));
}
