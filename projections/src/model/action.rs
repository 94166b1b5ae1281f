//! A fiche action as the read model keeps it: [`domain::action::ActionState`] in a compact form.
//!
//! Eighty thousand actions live in the model of a national log. As domain states they took
//! about 4 KB each (a `String` per id and text, vectors grown by doubling, each money line
//! rebuilt after every event); here every string is a [`Str`] of the programme's [`Strings`],
//! lists are boxed slices of their exact length, and the money lines are computed when asked
//! for, from the records and the funders the action ever named.
//!
//! [`ActionRecord::apply`] is the fold of [`domain::action::apply`] over these types, and calls
//! the same rules: the status transitions of [`domain::action::next_status`] and the money
//! formula of [`domain::action::add_up_money`]. What it writes itself is the copying of each
//! event's fields into the compact records; [`ActionRef::to_state`] gives back the domain state,
//! which tests compare with the domain's own fold (`tests/compact_fold.rs`, on generated logs
//! and random event sequences) to guard that copying. The record also keeps what the index
//! needs: the position of each payment and decision.

use chrono::NaiveDate;
use domain::action::{self as da, ActionState};
use domain::events::ActionEvent;
use domain::values::*;
use serde::{Deserialize, Serialize};

use super::strings::{Str, Strings};

/// One action stream: its version, the date of its first event, and the action once proposed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActionRecord {
    /// The action's stream, as an index of [`super::ProgrammeView::subject`].
    pub(crate) subject: u32,
    /// Number of events folded: the stream's version.
    pub version: u64,
    /// Effective date of the stream's first event (rule 12).
    pub first_effective_on: Option<NaiveDate>,
    /// `None` until `ActionProposed`.
    body: Option<Box<Body>>,
}

/// A money line: a funder and an amount.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Line {
    pub funder: Str,
    pub amount: Money,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grant {
    pub id: Str,
    pub funder: Str,
    pub year: Year,
    pub amount: Money,
    pub act_kind: ActKind,
    pub act_reference: Str,
    pub signed_on: NaiveDate,
    pub awarded_on: NaiveDate,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refusal {
    pub funder: Str,
    pub reason: Str,
    pub refused_on: NaiveDate,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Payment {
    pub id: Str,
    pub funder: Str,
    pub amount: Money,
    pub kind: PaymentKind,
    pub paid_on: NaiveDate,
    pub cancelled: bool,
    pub cancel_reason: Option<Str>,
    pub cancelled_on: Option<NaiveDate>,
    /// The position of the `PaymentRecorded`.
    pub position: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Repayment {
    pub funder: Str,
    pub amount: Money,
    pub received: bool,
    pub reason: Option<Str>,
    pub on: NaiveDate,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Complement {
    pub requested_on: NaiveDate,
    pub items: Box<[Str]>,
    pub provided_on: Option<NaiveDate>,
    pub note: Option<Str>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpinionRecord {
    pub session: Str,
    pub opinion: Opinion,
    pub proposed: Box<[Line]>,
    pub comment: Option<Str>,
    pub given_on: NaiveDate,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    pub number: u32,
    pub session: Str,
    pub outcome: DecisionOutcome,
    pub retained: Box<[Line]>,
    pub reason: Option<Str>,
    pub decided_on: NaiveDate,
    pub revised: bool,
    pub supersedes: Option<u32>,
    pub superseded_by: Option<u32>,
    /// The position of the `CopilDecisionTaken` or `DecisionRevised`.
    pub position: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    pub kind: ReportKind,
    pub submitted_on: NaiveDate,
    pub spent: Money,
    pub narrative: Str,
    pub beneficiaries: Box<[BeneficiaryCount]>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Indicator {
    pub code: Str,
    pub label: Str,
    pub target: Option<f64>,
    /// Oldest first.
    pub measurements: Box<[da::Measurement]>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evaluation {
    pub rating: Rating,
    pub findings: Str,
    pub recommendation: Recommendation,
    pub evaluated_on: NaiveDate,
}

/// A review of a final report, as [`da::ReviewRecord`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Review {
    pub verdict: ReportVerdict,
    pub comment: Option<Str>,
    pub reviewed_on: NaiveDate,
}

/// The fields of [`da::Action`], with [`Str`]s for strings and without its money lines.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Body {
    /// The id the proposal gave (the stream's, unless the log was made by hand).
    id: Str,
    reference: Str,
    title: Str,
    summary: Str,
    holder: Str,
    axis: Str,
    secondary_axes: Box<[Str]>,
    publics: Box<[PublicKind]>,
    qpv: Box<[Str]>,
    period_start: NaiveDate,
    period_end: NaiveDate,
    year: Year,
    total_cost: Money,
    external_refs: Box<[Str]>,
    renews: Option<Str>,
    status: ActionStatus,
    status_before_complements: Option<ActionStatus>,
    requested: Box<[Line]>,
    /// Every funder named anywhere in the action's life, ordered by id: one money line each.
    funders: Box<[Str]>,
    grants: Box<[Grant]>,
    refusals: Box<[Refusal]>,
    payments: Box<[Payment]>,
    repayments: Box<[Repayment]>,
    complements: Box<[Complement]>,
    opinions: Box<[OpinionRecord]>,
    decisions: Box<[Decision]>,
    current_decision: Option<u32>,
    reports: Box<[Report]>,
    indicators: Box<[Indicator]>,
    evaluation: Option<Evaluation>,
    report_deadline: Option<NaiveDate>,
    reviews: Box<[Review]>,
    final_report_reviewed: bool,
    last_reason: Option<Str>,
    proposed_on: NaiveDate,
    started_on: Option<NaiveDate>,
    completed_on: Option<NaiveDate>,
    not_realised_on: Option<NaiveDate>,
    closed_on: Option<NaiveDate>,
}

/// What the index needs of an event just folded into a proposed action.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Folded {
    /// For an opinion: its index in the action's opinions.
    pub opinion: Option<u32>,
    /// For a cancellation: the position of the cancelled payment and its amount.
    pub cancelled: Option<(u64, Money)>,
    /// For a revision: the position of the decision it supersedes.
    pub superseded_decision: Option<u64>,
    /// The action's primary axis after the event.
    pub axis: Option<Str>,
}

/// One funder's money in one action, as [`da::FundingLine`] (computed, see
/// [`ActionRef::money`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Funding {
    pub funder: Str,
    pub requested: Money,
    pub proposed: Money,
    pub retained: Money,
    pub granted: Money,
    pub paid: Money,
    pub to_pay: Money,
    pub repayment_requested: Money,
    pub repaid: Money,
    pub refused: bool,
}

impl Funding {
    fn new(funder: Str) -> Funding {
        Funding {
            funder,
            requested: Money::ZERO,
            proposed: Money::ZERO,
            retained: Money::ZERO,
            granted: Money::ZERO,
            paid: Money::ZERO,
            to_pay: Money::ZERO,
            repayment_requested: Money::ZERO,
            repaid: Money::ZERO,
            refused: false,
        }
    }
}

impl da::MoneyColumns for Funding {
    fn column(&mut self, column: da::MoneyColumn) -> &mut Money {
        match column {
            da::MoneyColumn::Requested => &mut self.requested,
            da::MoneyColumn::Proposed => &mut self.proposed,
            da::MoneyColumn::Retained => &mut self.retained,
            da::MoneyColumn::Granted => &mut self.granted,
            da::MoneyColumn::Paid => &mut self.paid,
            da::MoneyColumn::ToPay => &mut self.to_pay,
            da::MoneyColumn::RepaymentRequested => &mut self.repayment_requested,
            da::MoneyColumn::Repaid => &mut self.repaid,
        }
    }
    fn mark_refused(&mut self) {
        self.refused = true;
    }
}

/// The lines of [`ActionRef::money`]: one per funder of [`Body::funders`], which holds every
/// funder a record names.
struct FundingLines<'v>(&'v mut Vec<Funding>);

impl da::MoneyLines<Str> for FundingLines<'_> {
    fn line(&mut self, funder: Str) -> &mut dyn da::MoneyColumns {
        let i = match self.0.iter().position(|l| l.funder == funder) {
            Some(i) => i,
            None => {
                self.0.push(Funding::new(funder));
                self.0.len() - 1
            }
        };
        &mut self.0[i]
    }
    fn each(&mut self, f: &mut dyn FnMut(&mut dyn da::MoneyColumns)) {
        for line in self.0.iter_mut() {
            f(line);
        }
    }
}

fn pairs(lines: &[Line]) -> impl Iterator<Item = (Str, Money)> + '_ {
    lines.iter().map(|l| (l.funder, l.amount))
}

impl<'a> da::MoneyRecords for ActionRef<'a> {
    type Funder = Str;
    fn requested(&self) -> impl Iterator<Item = (Str, Money)> {
        pairs(&self.body.requested)
    }
    fn latest_opinion(&self) -> impl Iterator<Item = (Str, Money)> {
        self.body
            .opinions
            .last()
            .into_iter()
            .flat_map(|o| pairs(&o.proposed))
    }
    fn decisions(
        &self,
    ) -> impl Iterator<Item = (u32, DecisionOutcome, impl Iterator<Item = (Str, Money)>)> {
        self.body
            .decisions
            .iter()
            .map(|d| (d.number, d.outcome, pairs(&d.retained)))
    }
    fn current_decision(&self) -> Option<u32> {
        self.body.current_decision
    }
    fn grants(&self) -> impl Iterator<Item = (Str, Money)> {
        self.body.grants.iter().map(|g| (g.funder, g.amount))
    }
    fn payments(&self) -> impl Iterator<Item = (Str, Money, bool)> {
        self.body
            .payments
            .iter()
            .map(|p| (p.funder, p.amount, p.cancelled))
    }
    fn repayments(&self) -> impl Iterator<Item = (Str, Money, bool)> {
        self.body
            .repayments
            .iter()
            .map(|r| (r.funder, r.amount, r.received))
    }
    fn refusals(&self) -> impl Iterator<Item = Str> {
        self.body.refusals.iter().map(|r| r.funder)
    }
    fn not_realised(&self) -> bool {
        self.body.not_realised_on.is_some()
    }
}

/// Appends to a boxed slice, keeping it exactly as long as its items.
fn push<T>(items: &mut Box<[T]>, item: T) {
    let mut all = std::mem::take(items).into_vec();
    all.reserve_exact(1);
    all.push(item);
    *items = all.into_boxed_slice();
}

fn lines(strings: &mut Strings, lines: &[MoneyLine]) -> Box<[Line]> {
    lines
        .iter()
        .map(|l| Line {
            funder: strings.intern(l.funder.as_str()),
            amount: l.amount,
        })
        .collect()
}

fn strs<'a>(strings: &mut Strings, items: impl IntoIterator<Item = &'a str>) -> Box<[Str]> {
    items.into_iter().map(|s| strings.intern(s)).collect()
}

impl ActionRecord {
    pub(crate) fn new(subject: u32) -> ActionRecord {
        ActionRecord {
            subject,
            version: 0,
            first_effective_on: None,
            body: None,
        }
    }

    /// The action has been proposed.
    pub fn is_proposed(&self) -> bool {
        self.body.is_some()
    }

    /// Folds one event of the action's stream: [`domain::action::apply`] over the compact
    /// form. Returns what the index needs, `None` while the action is not proposed.
    pub(crate) fn apply(
        &mut self,
        strings: &mut Strings,
        on: NaiveDate,
        position: u64,
        event: &ActionEvent,
    ) -> Option<Folded> {
        self.version += 1;
        self.first_effective_on.get_or_insert(on);
        if let ActionEvent::ActionProposed(e) = event {
            if self.body.is_none() {
                let mut body = Body {
                    id: strings.intern(e.action.as_str()),
                    reference: strings.intern(e.reference.as_str()),
                    title: strings.intern(e.title.as_str()),
                    summary: strings.intern(e.summary.as_str()),
                    holder: strings.intern(e.holder.as_str()),
                    axis: strings.intern(e.axis.as_str()),
                    secondary_axes: strs(strings, e.secondary_axes.iter().map(|a| a.as_str())),
                    publics: e.publics.iter().copied().collect(),
                    qpv: strs(strings, e.qpv.iter().map(|q| q.as_str())),
                    period_start: e.period_start,
                    period_end: e.period_end,
                    year: e.year,
                    total_cost: e.total_cost,
                    external_refs: strs(strings, e.external_refs.iter().map(|r| r.as_str())),
                    renews: e.renews.as_ref().map(|r| strings.intern(r.as_str())),
                    status: ActionStatus::Proposed,
                    status_before_complements: None,
                    requested: lines(strings, &e.requested),
                    funders: Box::default(),
                    grants: Box::default(),
                    refusals: Box::default(),
                    payments: Box::default(),
                    repayments: Box::default(),
                    complements: Box::default(),
                    opinions: Box::default(),
                    decisions: Box::default(),
                    current_decision: None,
                    reports: Box::default(),
                    indicators: e
                        .indicators
                        .iter()
                        .map(|def| Indicator {
                            code: strings.intern(def.code.as_str()),
                            label: strings.intern(def.label.as_str()),
                            target: def.target,
                            measurements: Box::default(),
                        })
                        .collect(),
                    evaluation: None,
                    report_deadline: None,
                    reviews: Box::default(),
                    final_report_reviewed: false,
                    last_reason: None,
                    proposed_on: on,
                    started_on: None,
                    completed_on: None,
                    not_realised_on: None,
                    closed_on: None,
                };
                let named: Vec<Str> = body.requested.iter().map(|l| l.funder).collect();
                body.name_funders(strings, named);
                self.body = Some(Box::new(body));
            }
            return self.body.as_ref().map(|b| Folded {
                axis: Some(b.axis),
                ..Folded::default()
            });
        }
        let a = self.body.as_deref_mut()?;
        let mut folded = Folded::default();
        // The funders this event names: each gets a money line from now on.
        let mut named: Vec<Str> = Vec::new();
        match event {
            ActionEvent::ActionProposed(_) => {}
            ActionEvent::ActionAmended(e) => {
                if let Some(v) = &e.title {
                    a.title = strings.intern(v.as_str());
                }
                if let Some(v) = &e.summary {
                    a.summary = strings.intern(v.as_str());
                }
                if let Some(v) = &e.axis {
                    a.axis = strings.intern(v.as_str());
                }
                if let Some(v) = &e.secondary_axes {
                    a.secondary_axes = strs(strings, v.iter().map(|x| x.as_str()));
                }
                if let Some(v) = &e.publics {
                    a.publics = v.iter().copied().collect();
                }
                if let Some(v) = &e.qpv {
                    a.qpv = strs(strings, v.iter().map(|x| x.as_str()));
                }
                if let Some(v) = e.period_start {
                    a.period_start = v;
                }
                if let Some(v) = e.period_end {
                    a.period_end = v;
                }
                if let Some(v) = e.total_cost {
                    a.total_cost = v;
                }
                if let Some(v) = &e.requested {
                    a.requested = lines(strings, v);
                    named.extend(a.requested.iter().map(|l| l.funder));
                }
                if let Some(defs) = &e.indicators {
                    // Measurements of an indicator kept by the amendment stay with it.
                    let old = std::mem::take(&mut a.indicators);
                    a.indicators = defs
                        .iter()
                        .map(|def| {
                            let code = strings.intern(def.code.as_str());
                            Indicator {
                                code,
                                label: strings.intern(def.label.as_str()),
                                target: def.target,
                                measurements: old
                                    .iter()
                                    .find(|r| r.code == code)
                                    .map(|r| r.measurements.clone())
                                    .unwrap_or_default(),
                            }
                        })
                        .collect();
                }
            }
            ActionEvent::ComplementsRequested(e) => {
                let items = strs(strings, e.items.iter().map(|i| i.as_str()));
                push(
                    &mut a.complements,
                    Complement {
                        requested_on: on,
                        items,
                        provided_on: None,
                        note: None,
                    },
                );
            }
            ActionEvent::ComplementsProvided(e) => {
                if let Some(c) = a
                    .complements
                    .iter_mut()
                    .rev()
                    .find(|c| c.provided_on.is_none())
                {
                    c.provided_on = Some(on);
                    c.note = Some(strings.intern(e.note.as_str()));
                }
            }
            ActionEvent::OpinionGiven(e) => {
                let opinion = OpinionRecord {
                    session: strings.intern(e.session.as_str()),
                    opinion: e.opinion,
                    proposed: lines(strings, &e.proposed),
                    comment: e.comment.as_ref().map(|c| strings.intern(c.as_str())),
                    given_on: on,
                };
                named.extend(opinion.proposed.iter().map(|l| l.funder));
                push(&mut a.opinions, opinion);
                folded.opinion = Some(u32::try_from(a.opinions.len() - 1).unwrap_or(u32::MAX));
            }
            ActionEvent::CopilDecisionTaken(e) => {
                let decision = Decision {
                    number: e.decision_no,
                    session: strings.intern(e.session.as_str()),
                    outcome: e.outcome,
                    retained: lines(strings, &e.retained),
                    reason: e.reason.as_ref().map(|r| strings.intern(r.as_str())),
                    decided_on: on,
                    revised: false,
                    supersedes: None,
                    superseded_by: None,
                    position,
                };
                named.extend(decision.retained.iter().map(|l| l.funder));
                push(&mut a.decisions, decision);
                a.current_decision = Some(e.decision_no);
            }
            ActionEvent::DecisionRevised(e) => {
                if let Some(old) = a.decisions.iter_mut().find(|d| d.number == e.supersedes) {
                    old.superseded_by = Some(e.decision_no);
                }
                let reason = strings.intern(e.reason.as_str());
                let decision = Decision {
                    number: e.decision_no,
                    session: strings.intern(e.session.as_str()),
                    outcome: e.outcome,
                    retained: lines(strings, &e.retained),
                    reason: Some(reason),
                    decided_on: on,
                    revised: true,
                    supersedes: Some(e.supersedes),
                    superseded_by: None,
                    position,
                };
                named.extend(decision.retained.iter().map(|l| l.funder));
                push(&mut a.decisions, decision);
                folded.superseded_decision = a
                    .decisions
                    .iter()
                    .find(|d| d.number == e.supersedes)
                    .map(|d| d.position);
                a.current_decision = Some(e.decision_no);
                a.last_reason = Some(reason);
            }
            ActionEvent::ActionWithdrawn(e) => {
                a.last_reason = Some(strings.intern(e.reason.as_str()));
            }
            ActionEvent::GrantAwarded(e) => {
                let grant = Grant {
                    id: strings.intern(e.grant.as_str()),
                    funder: strings.intern(e.funder.as_str()),
                    year: e.year,
                    amount: e.amount,
                    act_kind: e.act.kind,
                    act_reference: strings.intern(e.act.reference.as_str()),
                    signed_on: e.act.signed_on,
                    awarded_on: on,
                };
                named.push(grant.funder);
                push(&mut a.grants, grant);
            }
            ActionEvent::GrantRefused(e) => {
                let refusal = Refusal {
                    funder: strings.intern(e.funder.as_str()),
                    reason: strings.intern(e.reason.as_str()),
                    refused_on: on,
                };
                named.push(refusal.funder);
                push(&mut a.refusals, refusal);
            }
            ActionEvent::PaymentRecorded(e) => {
                let payment = Payment {
                    id: strings.intern(e.payment.as_str()),
                    funder: strings.intern(e.funder.as_str()),
                    amount: e.amount,
                    kind: e.kind,
                    paid_on: on,
                    cancelled: false,
                    cancel_reason: None,
                    cancelled_on: None,
                    position,
                };
                named.push(payment.funder);
                push(&mut a.payments, payment);
            }
            ActionEvent::PaymentCancelled(e) => {
                let id = strings.intern(e.payment.as_str());
                if let Some(p) = a.payments.iter_mut().find(|p| p.id == id) {
                    p.cancelled = true;
                    p.cancel_reason = Some(strings.intern(e.reason.as_str()));
                    p.cancelled_on = Some(on);
                    folded.cancelled = Some((p.position, p.amount));
                }
            }
            ActionEvent::ActionStarted(_) => {
                a.started_on = Some(on);
            }
            ActionEvent::PeriodChanged(e) => {
                a.period_start = e.period_start;
                a.period_end = e.period_end;
                a.last_reason = Some(strings.intern(e.reason.as_str()));
            }
            ActionEvent::ActionCompleted(_) => {
                a.completed_on = Some(on);
            }
            ActionEvent::NonRealisationAttested(e) => {
                a.not_realised_on = Some(on);
                a.last_reason = Some(strings.intern(e.reason.as_str()));
            }
            ActionEvent::RepaymentRequested(e) => {
                let repayment = Repayment {
                    funder: strings.intern(e.funder.as_str()),
                    amount: e.amount,
                    received: false,
                    reason: Some(strings.intern(e.reason.as_str())),
                    on,
                };
                named.push(repayment.funder);
                push(&mut a.repayments, repayment);
            }
            ActionEvent::RepaymentReceived(e) => {
                let repayment = Repayment {
                    funder: strings.intern(e.funder.as_str()),
                    amount: e.amount,
                    received: true,
                    reason: None,
                    on,
                };
                named.push(repayment.funder);
                push(&mut a.repayments, repayment);
            }
            ActionEvent::ReportSubmitted(e) => {
                push(
                    &mut a.reports,
                    Report {
                        kind: e.kind,
                        submitted_on: on,
                        spent: e.spent,
                        narrative: strings.intern(e.narrative.as_str()),
                        beneficiaries: e.beneficiaries.iter().cloned().collect(),
                    },
                );
                if e.kind == ReportKind::Final {
                    a.final_report_reviewed = false;
                }
            }
            ActionEvent::ReportDeadlineExtended(e) => {
                a.report_deadline = Some(e.due_on);
            }
            ActionEvent::GrantAmended(e) => {
                let id = strings.intern(e.grant.as_str());
                if let Some(g) = a.grants.iter_mut().find(|g| g.id == id) {
                    g.amount = e.amount;
                }
            }
            ActionEvent::RepaymentRequestCancelled(e) => {
                let funder = strings.intern(e.funder.as_str());
                let mut all = std::mem::take(&mut a.repayments).into_vec();
                let received = da::cancel_repayment_request(&mut all, &funder, |r| {
                    (&r.funder, r.received, r.amount)
                });
                if !received.is_zero() {
                    all.push(Repayment {
                        funder,
                        amount: received,
                        received: false,
                        reason: Some(strings.intern(e.reason.as_str())),
                        on,
                    });
                }
                a.repayments = all.into_boxed_slice();
            }
            ActionEvent::ReportCorrected(e) => {
                if let Some(r) = a.reports.get_mut(e.report as usize) {
                    r.spent = e.spent;
                    r.beneficiaries = e.beneficiaries.iter().cloned().collect();
                    r.narrative = strings.intern(e.narrative.as_str());
                }
            }
            ActionEvent::FinalReportReviewed(e) => {
                push(
                    &mut a.reviews,
                    Review {
                        verdict: e.verdict,
                        comment: e.comment.as_ref().map(|c| strings.intern(c.as_str())),
                        reviewed_on: on,
                    },
                );
                a.final_report_reviewed = true;
            }
            ActionEvent::IndicatorMeasured(e) => {
                let code = strings.intern(e.code.as_str());
                if let Some(r) = a.indicators.iter_mut().find(|r| r.code == code) {
                    push(
                        &mut r.measurements,
                        da::Measurement {
                            value: e.value,
                            measured_on: on,
                        },
                    );
                }
            }
            ActionEvent::ActionEvaluated(e) => {
                a.evaluation = Some(Evaluation {
                    rating: e.rating,
                    findings: strings.intern(e.findings.as_str()),
                    recommendation: e.recommendation,
                    evaluated_on: on,
                });
            }
            ActionEvent::ActionClosed(_) => {
                a.closed_on = Some(on);
            }
        }
        a.status = da::next_status(a.status, &mut a.status_before_complements, event);
        a.name_funders(strings, named);
        folded.axis = Some(a.axis);
        Some(folded)
    }
}

impl Body {
    /// Adds the funders named to [`Body::funders`], ordered by id.
    fn name_funders(&mut self, strings: &Strings, named: Vec<Str>) {
        for funder in named {
            let id = strings.get(funder);
            if let Err(i) = self.funders.binary_search_by(|f| strings.get(*f).cmp(id)) {
                let mut all = std::mem::take(&mut self.funders).into_vec();
                all.reserve_exact(1);
                all.insert(i, funder);
                self.funders = all.into_boxed_slice();
            }
        }
    }
}

/// A proposed action of a [`super::ProgrammeView`], with the strings to read it.
#[derive(Debug, Clone, Copy)]
pub struct ActionRef<'a> {
    stream: &'a str,
    record: &'a ActionRecord,
    body: &'a Body,
    strings: &'a Strings,
}

impl<'a> ActionRef<'a> {
    pub(crate) fn new(
        stream: &'a str,
        record: &'a ActionRecord,
        strings: &'a Strings,
    ) -> Option<ActionRef<'a>> {
        Some(ActionRef {
            stream,
            record,
            body: record.body.as_deref()?,
            strings,
        })
    }

    /// The text of a [`Str`] of this action.
    pub fn str(&self, s: Str) -> &'a str {
        self.strings.get(s)
    }

    /// The id of the action's stream, by which the view finds it.
    pub fn stream_id(&self) -> &'a str {
        self.stream
    }

    /// The action's id as its proposal gave it (its stream's in any log the command service
    /// wrote).
    pub fn id(&self) -> &'a str {
        self.str(self.body.id)
    }

    /// The stream's version (`expectedVersion`).
    pub fn version(&self) -> u64 {
        self.record.version
    }

    pub fn reference(&self) -> &'a str {
        self.str(self.body.reference)
    }

    pub fn title(&self) -> &'a str {
        self.str(self.body.title)
    }

    pub fn summary(&self) -> &'a str {
        self.str(self.body.summary)
    }

    /// The holder's partner id.
    pub fn holder(&self) -> &'a str {
        self.str(self.body.holder)
    }

    /// The primary axis's code.
    pub fn axis(&self) -> &'a str {
        self.str(self.body.axis)
    }

    pub fn secondary_axes(&self) -> impl Iterator<Item = &'a str> + 'a {
        let strings = self.strings;
        self.body.secondary_axes.iter().map(|s| strings.get(*s))
    }

    pub fn publics(&self) -> &'a [PublicKind] {
        &self.body.publics
    }

    pub fn qpv(&self) -> impl Iterator<Item = &'a str> + 'a {
        let strings = self.strings;
        self.body.qpv.iter().map(|s| strings.get(*s))
    }

    pub fn period_start(&self) -> NaiveDate {
        self.body.period_start
    }

    pub fn period_end(&self) -> NaiveDate {
        self.body.period_end
    }

    pub fn year(&self) -> Year {
        self.body.year
    }

    pub fn total_cost(&self) -> Money {
        self.body.total_cost
    }

    /// The id of the earlier action this one continues.
    pub fn renews(&self) -> Option<&'a str> {
        self.body.renews.map(|r| self.strings.get(r))
    }

    pub fn external_refs(&self) -> impl Iterator<Item = &'a str> + 'a {
        let strings = self.strings;
        self.body.external_refs.iter().map(|s| strings.get(*s))
    }

    pub fn status(&self) -> ActionStatus {
        self.body.status
    }

    /// The current requested amounts, as proposed or last amended.
    pub fn requested(&self) -> &'a [Line] {
        &self.body.requested
    }

    pub fn grants(&self) -> &'a [Grant] {
        &self.body.grants
    }

    pub fn refusals(&self) -> &'a [Refusal] {
        &self.body.refusals
    }

    pub fn payments(&self) -> &'a [Payment] {
        &self.body.payments
    }

    /// The payment `id`, if it was recorded.
    pub fn payment(&self, id: &str) -> Option<&'a Payment> {
        self.body.payments.iter().find(|p| self.str(p.id) == id)
    }

    pub fn repayments(&self) -> &'a [Repayment] {
        &self.body.repayments
    }

    pub fn complements(&self) -> &'a [Complement] {
        &self.body.complements
    }

    pub fn opinions(&self) -> &'a [OpinionRecord] {
        &self.body.opinions
    }

    /// Every decision, revisions included, in the order taken.
    pub fn decisions(&self) -> &'a [Decision] {
        &self.body.decisions
    }

    /// The decision in force.
    pub fn decision(&self) -> Option<&'a Decision> {
        let n = self.body.current_decision?;
        self.body.decisions.iter().find(|d| d.number == n)
    }

    pub fn reports(&self) -> &'a [Report] {
        &self.body.reports
    }

    pub fn has_final_report(&self) -> bool {
        self.body
            .reports
            .iter()
            .any(|r| r.kind == ReportKind::Final)
    }

    pub fn indicators(&self) -> &'a [Indicator] {
        &self.body.indicators
    }

    pub fn evaluation(&self) -> Option<&'a Evaluation> {
        self.body.evaluation.as_ref()
    }

    /// Every review of a final report, in order.
    pub fn reviews(&self) -> &'a [Review] {
        &self.body.reviews
    }

    /// When its compte rendu financier is due; `None` when none is due
    /// ([`da::final_report_due`], the domain's rule).
    pub fn final_report_due_on(&self) -> Option<NaiveDate> {
        let rejected = self.body.final_report_reviewed
            && self
                .body
                .reviews
                .last()
                .is_some_and(|r| r.verdict == ReportVerdict::Rejected);
        da::final_report_due(
            self.body.status,
            self.body.grants.iter().map(|g| g.year).max(),
            self.body.year,
            self.body.report_deadline,
            rejected,
        )
    }

    /// The reason given when it was withdrawn, not realised, or its decision last revised.
    pub fn last_reason(&self) -> Option<&'a str> {
        self.body.last_reason.map(|s| self.str(s))
    }

    pub fn completed_on(&self) -> Option<NaiveDate> {
        self.body.completed_on
    }

    /// The money lines, one per funder named anywhere in the action's life, ordered by funder
    /// id, corrections applied: [`da::Action::money`], computed from the records with the
    /// domain's own formula ([`da::add_up_money`]).
    pub fn money(&self) -> Vec<Funding> {
        let mut money: Vec<Funding> = self.body.funders.iter().map(|f| Funding::new(*f)).collect();
        da::add_up_money(self, &mut FundingLines(&mut money));
        money
    }

    /// The domain state this record stands for, as [`domain::action::ActionDecider`]'s `evolve` folds it (the
    /// strings are given back as they were decoded; see [`super::restore`]).
    pub fn to_state(&self) -> Option<ActionState> {
        Some(ActionState {
            action: Some(self.to_action()?),
            first_effective_on: self.record.first_effective_on,
            version: self.record.version,
        })
    }

    /// The domain action (see [`ActionRef::to_state`]).
    pub fn to_action(&self) -> Option<da::Action> {
        let a = self.body;
        let s = |x: Str| self.str(x);
        // Every string type of `domain::values` restores from its text.
        fn r<T: serde::de::DeserializeOwned>(text: &str) -> Option<T> {
            super::restore(text)
        }
        let title = |x: Str| r::<Title>(s(x));
        let note = |x: Str| r::<Note>(s(x));
        let narrative = |x: Str| r::<Narrative>(s(x));
        let name = |x: Str| r::<Name>(s(x));
        let funder = |x: Str| r::<FunderId>(s(x));
        let session = |x: Str| r::<SessionId>(s(x));
        let axis = |x: Str| r::<AxisCode>(s(x));
        let money_lines = |lines: &[Line]| -> Option<Vec<MoneyLine>> {
            lines
                .iter()
                .map(|l| Some(MoneyLine::new(funder(l.funder)?, l.amount)))
                .collect()
        };
        let opt = |x: Option<Str>, f: &dyn Fn(Str) -> Option<Note>| -> Option<Option<Note>> {
            match x {
                None => Some(None),
                Some(x) => f(x).map(Some),
            }
        };
        Some(da::Action {
            id: r(s(a.id))?,
            reference: title(a.reference)?,
            title: title(a.title)?,
            summary: narrative(a.summary)?,
            holder: r(s(a.holder))?,
            axis: axis(a.axis)?,
            secondary_axes: a
                .secondary_axes
                .iter()
                .map(|x| axis(*x))
                .collect::<Option<_>>()?,
            publics: a.publics.to_vec(),
            qpv: a.qpv.iter().map(|x| name(*x)).collect::<Option<_>>()?,
            period_start: a.period_start,
            period_end: a.period_end,
            year: a.year,
            total_cost: a.total_cost,
            external_refs: a
                .external_refs
                .iter()
                .map(|x| title(*x))
                .collect::<Option<_>>()?,
            renews: match a.renews {
                None => None,
                Some(x) => Some(r::<ActionId>(s(x))?),
            },
            status: a.status,
            status_before_complements: a.status_before_complements,
            requested: money_lines(&a.requested)?,
            money: self
                .money()
                .iter()
                .map(|l| {
                    Some(da::FundingLine {
                        funder: funder(l.funder)?,
                        requested: l.requested,
                        proposed: l.proposed,
                        retained: l.retained,
                        granted: l.granted,
                        paid: l.paid,
                        to_pay: l.to_pay,
                        repayment_requested: l.repayment_requested,
                        repaid: l.repaid,
                        refused: l.refused,
                    })
                })
                .collect::<Option<_>>()?,
            grants: a
                .grants
                .iter()
                .map(|g| {
                    Some(da::GrantRecord {
                        id: r(s(g.id))?,
                        funder: funder(g.funder)?,
                        year: g.year,
                        amount: g.amount,
                        act: Act {
                            kind: g.act_kind,
                            reference: title(g.act_reference)?,
                            signed_on: g.signed_on,
                        },
                        awarded_on: g.awarded_on,
                    })
                })
                .collect::<Option<_>>()?,
            refusals: a
                .refusals
                .iter()
                .map(|r| {
                    Some(da::RefusalRecord {
                        funder: funder(r.funder)?,
                        reason: note(r.reason)?,
                        refused_on: r.refused_on,
                    })
                })
                .collect::<Option<_>>()?,
            payments: a
                .payments
                .iter()
                .map(|p| {
                    Some(da::PaymentRecord {
                        id: r(s(p.id))?,
                        funder: funder(p.funder)?,
                        amount: p.amount,
                        kind: p.kind,
                        paid_on: p.paid_on,
                        cancelled: p.cancelled,
                        cancel_reason: opt(p.cancel_reason, &note)?,
                        cancelled_on: p.cancelled_on,
                    })
                })
                .collect::<Option<_>>()?,
            repayments: a
                .repayments
                .iter()
                .map(|r| {
                    Some(da::RepaymentRecord {
                        funder: funder(r.funder)?,
                        amount: r.amount,
                        received: r.received,
                        reason: opt(r.reason, &note)?,
                        on: r.on,
                    })
                })
                .collect::<Option<_>>()?,
            complements: a
                .complements
                .iter()
                .map(|c| {
                    Some(da::ComplementRecord {
                        requested_on: c.requested_on,
                        items: c.items.iter().map(|x| title(*x)).collect::<Option<_>>()?,
                        provided_on: c.provided_on,
                        note: opt(c.note, &note)?,
                    })
                })
                .collect::<Option<_>>()?,
            opinions: a
                .opinions
                .iter()
                .map(|o| {
                    Some(da::OpinionRecord {
                        session: session(o.session)?,
                        opinion: o.opinion,
                        proposed: money_lines(&o.proposed)?,
                        comment: opt(o.comment, &note)?,
                        given_on: o.given_on,
                    })
                })
                .collect::<Option<_>>()?,
            decisions: a
                .decisions
                .iter()
                .map(|d| {
                    Some(da::DecisionRecord {
                        number: d.number,
                        session: session(d.session)?,
                        outcome: d.outcome,
                        retained: money_lines(&d.retained)?,
                        reason: opt(d.reason, &note)?,
                        decided_on: d.decided_on,
                        revised: d.revised,
                        supersedes: d.supersedes,
                        superseded_by: d.superseded_by,
                    })
                })
                .collect::<Option<_>>()?,
            current_decision: a.current_decision,
            reports: a
                .reports
                .iter()
                .map(|r| {
                    Some(da::ReportRecord {
                        kind: r.kind,
                        submitted_on: r.submitted_on,
                        spent: r.spent,
                        narrative: narrative(r.narrative)?,
                        beneficiaries: r.beneficiaries.to_vec(),
                    })
                })
                .collect::<Option<_>>()?,
            indicators: a
                .indicators
                .iter()
                .map(|i| {
                    Some(da::IndicatorRecord {
                        def: IndicatorDef {
                            code: r(s(i.code))?,
                            label: title(i.label)?,
                            target: i.target,
                        },
                        measurements: i.measurements.to_vec(),
                    })
                })
                .collect::<Option<_>>()?,
            evaluation: match &a.evaluation {
                None => None,
                Some(e) => Some(da::EvaluationRecord {
                    rating: e.rating,
                    findings: narrative(e.findings)?,
                    recommendation: e.recommendation,
                    evaluated_on: e.evaluated_on,
                }),
            },
            report_deadline: a.report_deadline,
            reviews: a
                .reviews
                .iter()
                .map(|r| {
                    Some(da::ReviewRecord {
                        verdict: r.verdict,
                        comment: opt(r.comment, &note)?,
                        reviewed_on: r.reviewed_on,
                    })
                })
                .collect::<Option<_>>()?,
            final_report_reviewed: a.final_report_reviewed,
            last_reason: opt(a.last_reason, &note)?,
            proposed_on: a.proposed_on,
            started_on: a.started_on,
            completed_on: a.completed_on,
            not_realised_on: a.not_realised_on,
            closed_on: a.closed_on,
        })
    }
}
