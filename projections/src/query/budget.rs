//! Suivi financier, programmation annuelle and reports due (DOMAIN.md, "Precise meanings").

use super::views::{ActionView, FunderView, FundingLineView, action_view, funding_lines};
use super::{QueryError, check_programme};
use crate::model::{self, ActionRef, ProgrammeView, Str};
use crate::visibility;
use chrono::NaiveDate;
use domain::actor::Actor;
use domain::context::RenewalFacts;
use domain::values::{
    ActionId, ActionStatus, DecisionOutcome, FunderId, Money, PartnerId, ReportKind, Year,
};
use std::collections::BTreeMap;

/// `BudgetLine` of api.graphql; `funder` is `None` on the total line. `requested_hidden`: the
/// viewer may not see requested amounts, so `requested` is withheld and reads 0.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BudgetLineView {
    pub funder: Option<FunderView>,
    pub envelope: Money,
    pub requested: Money,
    pub retained: Money,
    pub granted: Money,
    pub paid: Money,
    pub to_pay: Money,
    /// ⌊granted × 1000 / envelope⌋; `None` without an envelope (or a zero one).
    pub consumption_permille: Option<i64>,
    pub requested_hidden: bool,
}

/// One action of the programmation annuelle with its money lines.
#[derive(Debug, Clone, PartialEq)]
pub struct ProgrammationRow {
    pub action: ActionView,
    pub amounts: Vec<FundingLineView>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct BudgetView {
    pub year: i32,
    /// One line per registered funder, in the order registered, then any funder named by an
    /// action without being registered.
    pub lines: Vec<BudgetLineView>,
    pub total: BudgetLineView,
    pub programmation: Vec<ProgrammationRow>,
}

#[derive(Debug, Clone, Default)]
struct Figures {
    envelope: Option<Money>,
    requested: Money,
    retained: Money,
    granted: Money,
    paid: Money,
    to_pay: Money,
}

/// The action is not realised (also once closed that way): nothing is left to pay.
fn not_realised(a: &ActionRef<'_>) -> bool {
    a.status() == ActionStatus::NotRealised
        || (a.status() == ActionStatus::Closed && a.completed_on().is_none())
}

fn decision_retained(a: &ActionRef<'_>) -> bool {
    a.decision()
        .is_some_and(|d| d.outcome == DecisionOutcome::Retained)
}

/// The funder id a [`Str`] of `view` names.
fn funder_id(view: &ProgrammeView, funder: Str) -> Option<FunderId> {
    model::restore(view.str(funder))
}

fn consumption(granted: Money, envelope: Money) -> Option<i64> {
    if envelope.is_zero() {
        return None;
    }
    let permille = i128::from(granted.cents()) * 1000 / i128::from(envelope.cents());
    i64::try_from(permille).ok()
}

/// The budget of year `year`:
/// - *requested*: current requested amounts of the actions of that year, except WITHDRAWN and
///   REJECTED;
/// - *retained*: retained amounts of the actions of that year whose decision is RETAINED;
/// - *granted*: the grants of that year (of any action);
/// - *paid*: payments against those grants (same action and funder), cancelled ones excluded;
/// - *to pay*: granted − paid per grant, 0 once the action is NOT_REALISED;
/// - *consumption*: ⌊granted × 1000 / envelope⌋ ‰, none without an envelope; the total line's
///   over the funders that have one;
/// - *envelope*: the current amount, after revisions.
///
/// The programmation lists the actions of that year whose decision is RETAINED (whatever
/// happened after), by reference.
pub fn budget(view: &ProgrammeView, viewer: &Actor, year: i32) -> Result<BudgetView, QueryError> {
    check_programme(view, viewer)?;
    let requested_hidden = !visibility::sees_requested_totals(viewer);
    let programme = view.programme.programme.as_ref();
    let mut order: Vec<FunderId> = programme
        .map(|p| p.funders.iter().map(|f| f.id.clone()).collect())
        .unwrap_or_default();
    let mut figures: BTreeMap<FunderId, Figures> = BTreeMap::new();
    if let Some(p) = programme {
        for e in p.envelopes.iter().filter(|e| e.year.get() == year) {
            figures.entry(e.funder.clone()).or_default().envelope = Some(e.amount);
        }
    }
    let mut programmation: Vec<ActionRef<'_>> = Vec::new();
    for a in view.actions() {
        if a.year().get() == year {
            if !matches!(a.status(), ActionStatus::Withdrawn | ActionStatus::Rejected) {
                for l in a.requested() {
                    let Some(funder) = funder_id(view, l.funder) else {
                        continue;
                    };
                    let f = figures.entry(funder).or_default();
                    f.requested = f.requested.saturating_add(l.amount);
                }
            }
            if decision_retained(&a) {
                for l in &a.money() {
                    let Some(funder) = funder_id(view, l.funder) else {
                        continue;
                    };
                    let f = figures.entry(funder).or_default();
                    f.retained = f.retained.saturating_add(l.retained);
                }
                programmation.push(a);
            }
        }
        for g in a.grants().iter().filter(|g| g.year.get() == year) {
            let paid = a
                .payments()
                .iter()
                .filter(|p| p.funder == g.funder && !p.cancelled)
                .fold(Money::ZERO, |acc, p| acc.saturating_add(p.amount));
            let Some(funder) = funder_id(view, g.funder) else {
                continue;
            };
            let f = figures.entry(funder).or_default();
            f.granted = f.granted.saturating_add(g.amount);
            f.paid = f.paid.saturating_add(paid);
            if !not_realised(&a) {
                f.to_pay = f.to_pay.saturating_add(g.amount.saturating_sub(paid));
            }
        }
    }
    for id in figures.keys() {
        if !order.contains(id) {
            order.push(id.clone());
        }
    }
    let mut total = Figures::default();
    let mut enveloped_granted = Money::ZERO;
    let mut enveloped = false;
    let mut lines = Vec::with_capacity(order.len());
    for id in &order {
        let f = figures.remove(id).unwrap_or_default();
        total.requested = total.requested.saturating_add(f.requested);
        total.retained = total.retained.saturating_add(f.retained);
        total.granted = total.granted.saturating_add(f.granted);
        total.paid = total.paid.saturating_add(f.paid);
        total.to_pay = total.to_pay.saturating_add(f.to_pay);
        if let Some(e) = f.envelope {
            enveloped = true;
            total.envelope = Some(total.envelope.unwrap_or(Money::ZERO).saturating_add(e));
            enveloped_granted = enveloped_granted.saturating_add(f.granted);
        }
        lines.push(line(
            Some(FunderView::of(view, id)),
            &f,
            f.granted,
            requested_hidden,
        ));
    }
    let mut total_line = line(None, &total, enveloped_granted, requested_hidden);
    if !enveloped {
        total_line.consumption_permille = None;
    }
    programmation.sort_by(|x, y| (x.reference(), x.id()).cmp(&(y.reference(), y.id())));
    let programmation = programmation
        .into_iter()
        .filter_map(|a| {
            let access = visibility::access_to(viewer, &a);
            action_view(view, &a, access).map(|action| ProgrammationRow {
                amounts: funding_lines(view, &a, access),
                action,
            })
        })
        .collect();
    Ok(BudgetView {
        year,
        lines,
        total: total_line,
        programmation,
    })
}

fn line(
    funder: Option<FunderView>,
    f: &Figures,
    granted_for_consumption: Money,
    requested_hidden: bool,
) -> BudgetLineView {
    BudgetLineView {
        funder,
        envelope: f.envelope.unwrap_or(Money::ZERO),
        requested: if requested_hidden {
            Money::ZERO
        } else {
            f.requested
        },
        retained: f.retained,
        granted: f.granted,
        paid: f.paid,
        to_pay: f.to_pay,
        consumption_permille: f
            .envelope
            .and_then(|e| consumption(granted_for_consumption, e)),
        requested_hidden,
    }
}

/// The sum of the grants of `funder` for `year` over every action of the programme: what rule
/// 6 (`grant_exceeds_envelope`) compares with the envelope.
pub fn granted_in_year(view: &ProgrammeView, funder: &FunderId, year: Year) -> Money {
    view.actions()
        .flat_map(|a| a.grants())
        .filter(|g| g.year == year && view.str(g.funder) == funder.as_str())
        .fold(Money::ZERO, |acc, g| acc.saturating_add(g.amount))
}

/// What `funder` granted to `partner` for `year`, over every action `partner` holds (rule 6's
/// convention).
pub fn granted_to_partner(
    view: &ProgrammeView,
    partner: &PartnerId,
    funder: &FunderId,
    year: Year,
) -> Money {
    view.actions()
        .filter(|a| a.holder() == partner.as_str())
        .flat_map(|a| a.grants())
        .filter(|g| g.year == year && view.str(g.funder) == funder.as_str())
        .fold(Money::ZERO, |acc, g| acc.saturating_add(g.amount))
}

/// The action `id` and the actions that renew it, as rule 15 sees them; `None` when absent.
pub fn renewal_facts(view: &ProgrammeView, id: &ActionId) -> Option<RenewalFacts> {
    let renewed = view.actions().find(|a| a.id() == id.as_str())?;
    Some(RenewalFacts {
        id: id.clone(),
        year: renewed.year(),
        holder: PartnerId::parse(renewed.holder()).ok()?,
        status: renewed.status(),
        renewed_by: view
            .actions()
            .filter(|a| a.renews() == Some(id.as_str()))
            .filter_map(|a| Some((ActionId::parse(a.id()).ok()?, a.status())))
            .collect(),
    })
}

/// A final report due (`ReportDue` of api.graphql).
#[derive(Debug, Clone, PartialEq)]
pub struct ReportDueView {
    pub action: ActionView,
    pub kind: ReportKind,
    pub due_on: NaiveDate,
    pub overdue: bool,
}

/// The final reports due (DOMAIN.md, "Reports due": actions FUNDED, IN_PROGRESS or COMPLETED,
/// or REPORTED whose last final report was reviewed REJECTED; due on 30 June after the latest
/// year of their grants, or on their last extension), that are overdue (`today` is after the due
/// date) or due within `within_days` of `today`; by due date, then reference.
pub fn reports_due(
    view: &ProgrammeView,
    viewer: &Actor,
    today: NaiveDate,
    within_days: u32,
) -> Result<Vec<ReportDueView>, QueryError> {
    check_programme(view, viewer)?;
    let horizon = today
        .checked_add_days(chrono::Days::new(u64::from(within_days)))
        .unwrap_or(NaiveDate::MAX);
    let mut due: Vec<ReportDueView> = view
        .actions()
        .filter_map(|a| {
            let due_on = a.final_report_due_on()?;
            if due_on > horizon {
                return None;
            }
            let access = visibility::access_to(viewer, &a);
            action_view(view, &a, access).map(|action| ReportDueView {
                action,
                kind: ReportKind::Final,
                due_on,
                overdue: today > due_on,
            })
        })
        .collect();
    due.sort_by(|x, y| {
        (x.due_on, &x.action.reference, &x.action.id).cmp(&(
            y.due_on,
            &y.action.reference,
            &y.action.id,
        ))
    });
    Ok(due)
}
