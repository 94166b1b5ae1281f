//! Suivi financier, programmation annuelle and reports due (DOMAIN.md, "Precise meanings").

use crate::fixture::*;
use domain::events::*;
use domain::values::*;
use projections::query::{self, BudgetLineView};

fn line_of<'a>(lines: &'a [BudgetLineView], f: &str) -> &'a BudgetLineView {
    lines
        .iter()
        .find(|l| l.funder.as_ref().is_some_and(|x| x.id.as_str() == f))
        .unwrap_or_else(|| panic!("no budget line for {f}"))
}

#[test]
fn requested_counts_current_requests_of_the_year_except_withdrawn_and_rejected() {
    let mut f = Fixture::base();
    f.propose("a1", "2026-001", "Soutien", "asso", 2026, &[(ETAT, 10_000)]);
    f.propose("a2", "2026-002", "Retirée", "asso", 2026, &[(ETAT, 4_000)]);
    f.action(
        "a2",
        "2026-02-01",
        ActionWithdrawn {
            reason: note("Porteur indisponible"),
        },
    );
    f.propose("a3", "2026-003", "Rejetée", "asso", 2026, &[(ETAT, 3_000)]);
    f.decide(
        "a3",
        "copil-1",
        "2026-03-14",
        1,
        DecisionOutcome::Rejected,
        &[],
    );
    f.propose(
        "a4",
        "2026-004",
        "Ajournée",
        "asso",
        2026,
        &[(ETAT, 2_000), (VILLE, 500)],
    );
    f.decide(
        "a4",
        "copil-1",
        "2026-03-14",
        1,
        DecisionOutcome::Deferred,
        &[],
    );
    f.propose(
        "a5",
        "2027-001",
        "Autre année",
        "asso",
        2027,
        &[(ETAT, 7_000)],
    );
    // An amendment changes the current requested amount.
    f.action(
        "a1",
        "2026-01-20",
        ActionAmended {
            requested: Some(vec![line(ETAT, 9_000)]),
            ..Default::default()
        },
    );
    let b = query::budget(&f.view, &pilot(), 2026).unwrap();
    assert_eq!(line_of(&b.lines, ETAT).requested, euros(9_000 + 2_000));
    assert_eq!(line_of(&b.lines, VILLE).requested, euros(500));
    assert_eq!(b.total.requested, euros(11_500));
    assert!(!b.total.requested_hidden);
}

#[test]
fn retained_counts_actions_whose_decision_is_retained_and_programmation_lists_them() {
    let mut f = Fixture::base();
    f.retained_action(
        "a1",
        "2026-001",
        "asso",
        2026,
        &[(ETAT, 8_000), (VILLE, 1_000)],
    );
    f.retained_action("a2", "2026-002", "asso", 2026, &[(ETAT, 5_000)]);
    // a2 is then revised to DEFERRED: no longer retained.
    f.action(
        "a2",
        "2026-06-10",
        DecisionRevised {
            session: sid("copil-1"),
            decision_no: 2,
            supersedes: 1,
            outcome: DecisionOutcome::Deferred,
            retained: vec![],
            reason: note("Projet à revoir"),
        },
    );
    // a3 is retained, then funded and not realised: still in the programmation.
    f.retained_action("a3", "2026-003", "college", 2026, &[(ETAT, 3_000)]);
    f.grant("a3", ETAT, 2026, 3_000, "2026-04-01");
    f.action(
        "a3",
        "2026-09-01",
        NonRealisationAttested {
            reason: note("Intervenant parti"),
        },
    );
    f.retained_action("a9", "2027-001", "asso", 2027, &[(ETAT, 1_000)]);
    let b = query::budget(&f.view, &pilot(), 2026).unwrap();
    assert_eq!(line_of(&b.lines, ETAT).retained, euros(11_000));
    assert_eq!(line_of(&b.lines, VILLE).retained, euros(1_000));
    let refs: Vec<&str> = b
        .programmation
        .iter()
        .map(|r| r.action.reference.as_str())
        .collect();
    assert_eq!(refs, ["2026-001", "2026-003"]);
    let row = &b.programmation[0];
    assert_eq!(row.amounts.len(), 2);
    assert_eq!(row.amounts[0].funder.id.as_str(), ETAT);
    assert_eq!(row.amounts[0].retained, euros(8_000));
}

#[test]
fn granted_counts_grants_of_the_year_and_paid_excludes_cancelled_payments() {
    let mut f = Fixture::base();
    f.retained_action("a1", "2026-001", "asso", 2026, &[(ETAT, 10_000)]);
    f.grant("a1", ETAT, 2026, 10_000, "2026-04-01");
    f.pay("a1", "v-1", ETAT, 4_000, "2026-04-15");
    f.pay("a1", "v-2", ETAT, 4_000, "2026-04-16");
    f.action(
        "a1",
        "2026-04-17",
        PaymentCancelled {
            payment: PaymentId::parse("v-2").unwrap(),
            reason: note("Saisi deux fois"),
        },
    );
    // A 2025 action granted on the 2026 budget counts in 2026.
    f.retained_action("old", "2025-001", "asso", 2025, &[(ETAT, 2_000)]);
    f.grant("old", ETAT, 2026, 2_000, "2026-04-01");
    let b = query::budget(&f.view, &pilot(), 2026).unwrap();
    let etat = line_of(&b.lines, ETAT);
    assert_eq!(etat.granted, euros(12_000));
    assert_eq!(etat.paid, euros(4_000));
    assert_eq!(etat.to_pay, euros(8_000));
    assert_eq!(etat.retained, euros(10_000));
    let b2025 = query::budget(&f.view, &pilot(), 2025).unwrap();
    assert_eq!(line_of(&b2025.lines, ETAT).granted, Money::ZERO);
    assert_eq!(line_of(&b2025.lines, ETAT).retained, euros(2_000));
}

#[test]
fn to_pay_is_zero_once_the_action_is_not_realised() {
    let mut f = Fixture::base();
    f.retained_action("a1", "2026-001", "asso", 2026, &[(ETAT, 10_000)]);
    f.grant("a1", ETAT, 2026, 10_000, "2026-04-01");
    f.pay("a1", "v-1", ETAT, 3_000, "2026-04-15");
    let before = query::budget(&f.view, &pilot(), 2026).unwrap();
    assert_eq!(line_of(&before.lines, ETAT).to_pay, euros(7_000));
    f.action(
        "a1",
        "2026-09-01",
        NonRealisationAttested {
            reason: note("Intervenant parti"),
        },
    );
    let after = query::budget(&f.view, &pilot(), 2026).unwrap();
    let etat = line_of(&after.lines, ETAT);
    assert_eq!(etat.to_pay, Money::ZERO);
    assert_eq!(etat.granted, euros(10_000));
    assert_eq!(etat.paid, euros(3_000));
    assert_eq!(after.total.to_pay, Money::ZERO);
}

#[test]
fn consumption_is_the_floor_per_mille_of_the_revised_envelope_and_none_without_one() {
    let mut f = Fixture::base();
    // État: envelope 100 000 € revised to 30 000 €; granted 10 000 € → 333,33… ‰ → 333.
    f.programme(
        "2026-05-01",
        EnvelopeRevised {
            funder: funder(ETAT),
            year: year(2026),
            amount: euros(30_000),
            reason: note("Gel de crédits"),
        },
    );
    // CAF: envelope 0 € → no consumption.
    f.envelope(CAF, 2026, 0, "2026-01-10");
    f.retained_action(
        "a1",
        "2026-001",
        "asso",
        2026,
        &[(ETAT, 10_000), (VILLE, 5_000), (CAF, 100)],
    );
    f.grant("a1", ETAT, 2026, 10_000, "2026-06-01");
    f.grant("a1", VILLE, 2026, 5_000, "2026-06-01");
    let b = query::budget(&f.view, &pilot(), 2026).unwrap();
    let etat = line_of(&b.lines, ETAT);
    assert_eq!(etat.envelope, euros(30_000));
    assert_eq!(etat.consumption_permille, Some(333));
    let ville = line_of(&b.lines, VILLE);
    assert_eq!(ville.envelope, Money::ZERO);
    assert_eq!(ville.consumption_permille, None);
    assert_eq!(line_of(&b.lines, CAF).consumption_permille, None);
    // Total: granted 15 000 € of which 10 000 € by funders with an envelope (État, CAF) whose
    // envelopes sum to 30 000 € → 333 ‰, not 500 ‰.
    assert_eq!(b.total.granted, euros(15_000));
    assert_eq!(b.total.envelope, euros(30_000));
    assert_eq!(b.total.consumption_permille, Some(333));
    assert!(b.total.funder.is_none());
}

#[test]
fn total_consumption_is_none_when_no_funder_has_an_envelope() {
    let mut f = Fixture::base();
    f.retained_action("a1", "2027-001", "asso", 2027, &[(VILLE, 5_000)]);
    f.grant("a1", VILLE, 2027, 5_000, "2026-06-01");
    let b = query::budget(&f.view, &pilot(), 2027).unwrap();
    assert_eq!(b.total.consumption_permille, None);
    assert_eq!(b.total.granted, euros(5_000));
    // Every registered funder has its line, in the order registered.
    let ids: Vec<&str> = b
        .lines
        .iter()
        .map(|l| l.funder.as_ref().unwrap().id.as_str())
        .collect();
    assert_eq!(ids, [ETAT, VILLE, CAF]);
}

#[test]
fn granted_in_year_sums_one_funders_grants_over_every_action() {
    let mut f = Fixture::base();
    f.retained_action("a1", "2026-001", "asso", 2026, &[(ETAT, 10_000)]);
    f.retained_action(
        "a2",
        "2026-002",
        "asso",
        2026,
        &[(ETAT, 5_000), (VILLE, 1_000)],
    );
    f.grant("a1", ETAT, 2026, 10_000, "2026-04-01");
    f.grant("a2", ETAT, 2026, 4_000, "2026-04-01");
    f.grant("a2", VILLE, 2026, 1_000, "2026-04-01");
    assert_eq!(
        query::granted_in_year(&f.view, &funder(ETAT), year(2026)),
        euros(14_000)
    );
    assert_eq!(
        query::granted_in_year(&f.view, &funder(ETAT), year(2027)),
        Money::ZERO
    );
}

#[test]
fn observers_see_budget_lines_and_totals_but_not_requested_amounts() {
    let mut f = Fixture::base();
    f.propose("a1", "2026-001", "Soutien", "asso", 2026, &[(ETAT, 10_000)]);
    f.retained_action("a2", "2026-002", "asso", 2026, &[(ETAT, 5_000)]);
    let b = query::budget(&f.view, &observer(), 2026).unwrap();
    assert_eq!(b.total.requested, Money::ZERO);
    assert!(b.total.requested_hidden);
    assert_eq!(line_of(&b.lines, ETAT).requested, Money::ZERO);
    assert_eq!(line_of(&b.lines, ETAT).retained, euros(5_000));
    assert_eq!(b.programmation.len(), 1);
    assert!(
        b.programmation[0]
            .amounts
            .iter()
            .all(|l| l.requested == Money::ZERO && l.restricted)
    );
}

mod reports_due {
    use super::*;

    fn funded(f: &mut Fixture, id: &str, reference: &str, y: i32) {
        f.retained_action(id, reference, "asso", y, &[(ETAT, 1_000)]);
        f.grant(id, ETAT, y, 1_000, "2026-04-01");
    }

    #[test]
    fn the_final_report_is_due_on_30_june_of_the_next_year_and_overdue_after_it() {
        let mut f = Fixture::base();
        funded(&mut f, "a1", "2025-001", 2025);
        let on_the_day = query::reports_due(&f.view, &pilot(), date("2026-06-30"), 0).unwrap();
        assert_eq!(on_the_day.len(), 1);
        assert_eq!(on_the_day[0].due_on, date("2026-06-30"));
        assert!(!on_the_day[0].overdue);
        assert_eq!(on_the_day[0].kind, ReportKind::Final);
        let day_after = query::reports_due(&f.view, &pilot(), date("2026-07-01"), 0).unwrap();
        assert!(day_after[0].overdue);
    }

    #[test]
    fn a_report_is_listed_only_within_the_horizon() {
        let mut f = Fixture::base();
        funded(&mut f, "a1", "2025-001", 2025);
        assert!(
            query::reports_due(&f.view, &pilot(), date("2026-05-31"), 29)
                .unwrap()
                .is_empty()
        );
        assert_eq!(
            query::reports_due(&f.view, &pilot(), date("2026-05-31"), 30)
                .unwrap()
                .len(),
            1
        );
    }

    #[test]
    fn only_funded_in_progress_and_completed_actions_owe_a_report() {
        let mut f = Fixture::base();
        funded(&mut f, "funded", "2025-001", 2025);
        funded(&mut f, "started", "2025-002", 2025);
        f.action("started", "2025-09-01", ActionStarted {});
        funded(&mut f, "done", "2025-003", 2025);
        f.action("done", "2025-09-01", ActionStarted {});
        f.action("done", "2026-06-01", ActionCompleted {});
        funded(&mut f, "reported", "2025-004", 2025);
        f.action("reported", "2025-09-01", ActionStarted {});
        f.action("reported", "2026-06-01", ActionCompleted {});
        f.action(
            "reported",
            "2026-06-02",
            ReportSubmitted {
                kind: ReportKind::Final,
                beneficiaries: vec![],
                spent: euros(900),
                narrative: narrative("Fait."),
            },
        );
        f.retained_action("retained", "2025-005", "asso", 2025, &[(ETAT, 1_000)]);
        funded(&mut f, "not-realised", "2025-006", 2025);
        f.action(
            "not-realised",
            "2025-10-01",
            NonRealisationAttested {
                reason: note("Annulée"),
            },
        );
        let due = query::reports_due(&f.view, &pilot(), date("2026-08-01"), 30).unwrap();
        let refs: Vec<&str> = due.iter().map(|d| d.action.reference.as_str()).collect();
        assert_eq!(refs, ["2025-001", "2025-002", "2025-003"]);
        assert!(due.iter().all(|d| d.overdue));
    }
}
