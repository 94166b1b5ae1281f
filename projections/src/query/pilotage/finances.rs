//! Gestion financière over several years (DOMAIN.md, « Payment delay », « Commune's share »).

use super::super::budget::budget;
use super::super::views::{ActionView, FunderView, action_view};
use super::super::{QueryError, check_programme};
use crate::model::{ActionRef, Grant, Payment, ProgrammeView};
use crate::visibility;
use chrono::NaiveDate;
use domain::actor::Actor;
use domain::values::{DecisionOutcome, FunderId, Money, Payer};
use std::collections::BTreeMap;

/// Days between a grant's signature and its payments, for the delays.
const LATE_FIRST_PAYMENT_DAYS: i64 = 60;

/// One funder in one year.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunderYearView {
    pub funder: FunderView,
    pub year: i32,
    /// As the year's budget counts them (grants of the year; payments against them).
    pub granted: Money,
    pub paid: Money,
    /// Repayments requested (not cancelled) and received, on the actions whose latest grant
    /// from this funder is of this year.
    pub to_repay: Money,
    pub repaid: Money,
    /// ⌊granted × 1000 / all granted that year⌋, 0 when nothing was granted.
    pub share_permille: i64,
    pub median_days_to_first_payment: Option<i64>,
    pub median_days_to_balance: Option<i64>,
    pub first_payments_over_60_days: u32,
    /// Grants of the year with at least one payment, and fully paid.
    pub grants: u32,
    pub grants_paid_in_full: u32,
}

/// A per-mille figure of a year; `None` when its denominator is zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct YearPermilleView {
    pub year: i32,
    pub permille: Option<i64>,
}

/// The co-financing rate of one action: its grants over its total cost.
#[derive(Debug, Clone, PartialEq)]
pub struct ActionCofinancingView {
    pub action: ActionView,
    pub granted: Money,
    pub total_cost: Money,
    pub permille: Option<i64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct FinancesView {
    pub from_year: i32,
    pub to_year: i32,
    /// Year by year, each year's funders in the budget's order.
    pub funders: Vec<FunderYearView>,
    pub commune_share_permille: Vec<YearPermilleView>,
    pub state_share_permille: Vec<YearPermilleView>,
    pub cofinancing_permille: Vec<YearPermilleView>,
    /// The actions of those years the COPIL retained, by year then reference.
    pub actions: Vec<ActionCofinancingView>,
}

/// ⌊part × 1000 / whole⌋, `None` when `whole` is zero.
pub fn permille(part: Money, whole: Money) -> Option<i64> {
    if whole.cents() <= 0 {
        return None;
    }
    i64::try_from(i128::from(part.cents()) * 1000 / i128::from(whole.cents())).ok()
}

/// The lower middle value (DOMAIN.md): `None` for none.
fn median(mut days: Vec<i64>) -> Option<i64> {
    if days.is_empty() {
        return None;
    }
    days.sort_unstable();
    Some(days[(days.len() - 1) / 2])
}

/// How one grant was paid: the days from its signature to its first payment and to the
/// payment that completed it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct GrantDelays {
    first: Option<i64>,
    balance: Option<i64>,
}

/// The delays of the grants of one funder on one action, given as (signature date, cents) in
/// the order they were signed. A payment names its funder, not its grant: the payments, given
/// as (date, position, cents) with cancelled ones left out, fill the grants by date in that
/// order, so a second year's grant starts being paid once the first is paid in full.
fn delays(grants: &[(NaiveDate, i64)], payments: &[(NaiveDate, u64, i64)]) -> Vec<GrantDelays> {
    let mut payments = payments.to_vec();
    payments.sort_unstable();
    let mut out = Vec::with_capacity(grants.len());
    let mut start = 0i64;
    for &(signed_on, amount) in grants {
        let end = start + amount;
        let mut paid = 0i64;
        let (mut first, mut balance) = (None, None);
        for &(paid_on, _, cents) in &payments {
            let before = paid;
            paid += cents;
            let days = (paid_on - signed_on).num_days();
            if first.is_none() && paid > start && before < end {
                first = Some(days);
            }
            if paid >= end && amount > 0 {
                balance = Some(days);
                break;
            }
        }
        out.push(GrantDelays { first, balance });
        start = end;
    }
    out
}

/// The finances of every year from `from_year` to `to_year` (the caller bounds the range).
pub fn finances(
    view: &ProgrammeView,
    viewer: &Actor,
    from_year: i32,
    to_year: i32,
) -> Result<FinancesView, QueryError> {
    check_programme(view, viewer)?;
    // Delays and repayments per (funder, year), from every action.
    #[derive(Default)]
    struct Extra {
        first: Vec<i64>,
        balance: Vec<i64>,
        grants: u32,
        to_repay: Money,
        repaid: Money,
    }
    let mut extra: BTreeMap<(FunderId, i32), Extra> = BTreeMap::new();
    for a in view.actions() {
        let mut by_funder: BTreeMap<&str, (Vec<&Grant>, Vec<&Payment>)> = BTreeMap::new();
        for g in a.grants() {
            by_funder.entry(view.str(g.funder)).or_default().0.push(g);
        }
        for p in a.payments() {
            by_funder.entry(view.str(p.funder)).or_default().1.push(p);
        }
        for (funder, (grants, payments)) in &mut by_funder {
            let Ok(funder) = FunderId::parse(funder) else {
                continue;
            };
            grants.sort_by_key(|g| g.signed_on);
            let signed: Vec<_> = grants
                .iter()
                .map(|g| (g.signed_on, g.amount.cents()))
                .collect();
            let paid: Vec<_> = payments
                .iter()
                .filter(|p| !p.cancelled)
                .map(|p| (p.paid_on, p.position, p.amount.cents()))
                .collect();
            for (g, d) in grants.iter().zip(delays(&signed, &paid)) {
                let e = extra.entry((funder.clone(), g.year.get())).or_default();
                e.grants += 1;
                e.first.extend(d.first);
                e.balance.extend(d.balance);
            }
        }
        repayments(view, &a, &mut extra, |e| (&mut e.to_repay, &mut e.repaid));
    }
    let mut funders = Vec::new();
    let (mut commune, mut state, mut cofinancing) = (Vec::new(), Vec::new(), Vec::new());
    for year in from_year..=to_year {
        let b = budget(view, viewer, year)?;
        let total = b.total.granted;
        let mut by_payer = BTreeMap::<Payer, Money>::new();
        for line in &b.lines {
            let Some(funder) = &line.funder else { continue };
            let entry = by_payer.entry(funder.payer).or_default();
            *entry = entry.saturating_add(line.granted);
            let e = extra.remove(&(funder.id.clone(), year)).unwrap_or_default();
            funders.push(FunderYearView {
                funder: funder.clone(),
                year,
                granted: line.granted,
                paid: line.paid,
                to_repay: e.to_repay,
                repaid: e.repaid,
                share_permille: permille(line.granted, total).unwrap_or(0),
                first_payments_over_60_days: u32::try_from(
                    e.first
                        .iter()
                        .filter(|&&d| d > LATE_FIRST_PAYMENT_DAYS)
                        .count(),
                )
                .unwrap_or(u32::MAX),
                grants_paid_in_full: u32::try_from(e.balance.len()).unwrap_or(u32::MAX),
                grants: e.grants,
                median_days_to_first_payment: median(e.first),
                median_days_to_balance: median(e.balance),
            });
        }
        let payer = |p: Payer| by_payer.get(&p).copied().unwrap_or_default();
        commune.push(YearPermilleView {
            year,
            permille: permille(
                payer(Payer::Commune).saturating_add(payer(Payer::Epci)),
                total,
            ),
        });
        state.push(YearPermilleView {
            year,
            permille: permille(payer(Payer::State), total),
        });
        let cost = view
            .actions()
            .filter(|a| a.year().get() == year && retained(a))
            .fold(Money::ZERO, |acc, a| acc.saturating_add(a.total_cost()));
        cofinancing.push(YearPermilleView {
            year,
            permille: permille(total, cost),
        });
    }
    let mut actions: Vec<ActionCofinancingView> = view
        .actions()
        .filter(|a| (from_year..=to_year).contains(&a.year().get()) && retained(a))
        .filter_map(|a| {
            let action = action_view(view, &a, visibility::access_to(viewer, &a))?;
            let granted = a
                .grants()
                .iter()
                .fold(Money::ZERO, |acc, g| acc.saturating_add(g.amount));
            Some(ActionCofinancingView {
                action,
                granted,
                total_cost: a.total_cost(),
                permille: permille(granted, a.total_cost()),
            })
        })
        .collect();
    actions.sort_by(|x, y| {
        (x.action.year, &x.action.reference).cmp(&(y.action.year, &y.action.reference))
    });
    Ok(FinancesView {
        from_year,
        to_year,
        funders,
        commune_share_permille: commune,
        state_share_permille: state,
        cofinancing_permille: cofinancing,
        actions,
    })
}

fn retained(a: &ActionRef<'_>) -> bool {
    a.decision()
        .is_some_and(|d| d.outcome == DecisionOutcome::Retained)
}

/// Adds the action's repayments per funder to the year of its latest grant from that funder
/// (the action's own year when it has none).
fn repayments<E: Default>(
    view: &ProgrammeView,
    a: &ActionRef<'_>,
    into: &mut BTreeMap<(FunderId, i32), E>,
    fields: impl Fn(&mut E) -> (&mut Money, &mut Money),
) {
    for line in a.money() {
        if line.repayment_requested.is_zero() && line.repaid.is_zero() {
            continue;
        }
        let Ok(funder) = FunderId::parse(view.str(line.funder)) else {
            continue;
        };
        let year = a
            .grants()
            .iter()
            .filter(|g| g.funder == line.funder)
            .map(|g| g.year.get())
            .max()
            .unwrap_or(a.year().get());
        let (to_repay, repaid) = fields(into.entry((funder, year)).or_default());
        *to_repay = to_repay.saturating_add(line.repayment_requested.saturating_sub(line.repaid));
        *repaid = repaid.saturating_add(line.repaid);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, m, d).unwrap()
    }

    #[test]
    fn payments_fill_the_grants_in_the_order_signed() {
        let grants = [(day(1, 10), 1000), (day(3, 1), 500)];
        let payments = [
            (day(5, 1), 4, 200),
            (day(2, 9), 1, 600),
            (day(4, 10), 3, 700),
        ];
        let d = delays(&grants, &payments);
        // The first grant: paid 600 on 9 Feb (30 days), completed on 10 April (90 days).
        assert_eq!(
            d[0],
            GrantDelays {
                first: Some(30),
                balance: Some(90)
            }
        );
        // The second: its first euro came with the payment of 10 April (40 days after 1
        // March), its balance on 1 May (61 days).
        assert_eq!(
            d[1],
            GrantDelays {
                first: Some(40),
                balance: Some(61)
            }
        );
        // Nothing paid: no delay.
        assert_eq!(
            delays(&grants, &[]),
            vec![
                GrantDelays {
                    first: None,
                    balance: None
                };
                2
            ]
        );
    }

    #[test]
    fn the_median_is_the_lower_middle_value() {
        assert_eq!(median(vec![]), None);
        assert_eq!(median(vec![5]), Some(5));
        assert_eq!(median(vec![40, 10, 30, 20]), Some(20));
        assert_eq!(median(vec![3, 1, 2]), Some(2));
    }
}
