//! The `action-{p}.{id}` stream: one fiche action, from its proposal to its closing.
//!
//! [`ActionState`] is what read models build on: the action's fields, its status, its money
//! per funder ([`FundingLine`]) and every record of its life (grants, payments, complements,
//! opinions, decisions, reports, indicators, evaluation). Corrections are applied when
//! folding: a cancelled payment no longer counts, a revised decision gives way to its revision
//! while both stay in [`Action::decisions`].

use crate::context::{Context, Needs, ProgrammeFacts, SessionFacts};
use crate::decider::{Command, Decided, Decider, effective_date};
use crate::error::*;
use crate::events::*;
use crate::permissions::{CommandKind, authorize};
use crate::values::*;
use chrono::NaiveDate;
use std::collections::{BTreeMap, BTreeSet};

/// Above this amount (strictly) a grant is a convention (rule 6): 23 000,00 €.
pub const CONVENTION_THRESHOLD: Money = match Money::from_cents(2_300_000) {
    Some(m) => m,
    None => Money::ZERO,
};

/// The largest plausible count in one cell of beneficiaries (rule 9).
pub const MAX_BENEFICIARY_COUNT: i64 = 1_000_000;

// ------------------------------------------------------------------------------ state

/// The fold of an action stream. `action` is `None` until `ActionProposed`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ActionState {
    pub action: Option<Action>,
    /// Effective date of the stream's first event (rule 12).
    pub first_effective_on: Option<NaiveDate>,
    /// Number of events folded: the stream's version (`expectedVersion`).
    pub version: u64,
}

/// A fiche action as it stands.
#[derive(Debug, Clone, PartialEq)]
pub struct Action {
    pub id: ActionId,
    pub reference: Title,
    pub title: Title,
    pub summary: Narrative,
    pub holder: PartnerId,
    pub axis: AxisCode,
    pub secondary_axes: Vec<AxisCode>,
    pub publics: Vec<PublicKind>,
    pub qpv: Vec<Name>,
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    pub year: Year,
    pub total_cost: Money,
    pub external_refs: Vec<Title>,
    pub status: ActionStatus,
    /// The status to return to once complements are provided.
    pub status_before_complements: Option<ActionStatus>,
    /// The current requested amounts, as proposed or last amended.
    pub requested: Vec<MoneyLine>,
    /// One line per funder named anywhere in the action's life, ordered by funder id.
    pub money: Vec<FundingLine>,
    pub grants: Vec<GrantRecord>,
    pub refusals: Vec<RefusalRecord>,
    pub payments: Vec<PaymentRecord>,
    pub repayments: Vec<RepaymentRecord>,
    pub complements: Vec<ComplementRecord>,
    pub opinions: Vec<OpinionRecord>,
    /// Every decision, revisions included, in the order taken.
    pub decisions: Vec<DecisionRecord>,
    /// The number of the decision in force.
    pub current_decision: Option<u32>,
    pub reports: Vec<ReportRecord>,
    pub indicators: Vec<IndicatorRecord>,
    pub evaluation: Option<EvaluationRecord>,
    /// The reason given when it was withdrawn, not realised, or its decision last revised.
    pub last_reason: Option<Note>,
    pub proposed_on: NaiveDate,
    pub started_on: Option<NaiveDate>,
    pub completed_on: Option<NaiveDate>,
    pub closed_on: Option<NaiveDate>,
}

/// The money of one funder in one action (DOMAIN.md, "Read models users expect").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FundingLine {
    pub funder: FunderId,
    pub requested: Money,
    /// Proposed by the latest opinion.
    pub proposed: Money,
    /// Retained by the decision in force, when it is RETAINED.
    pub retained: Money,
    pub granted: Money,
    /// Payments not cancelled.
    pub paid: Money,
    /// granted − paid, and zero once the action is NOT_REALISED.
    pub to_pay: Money,
    pub repayment_requested: Money,
    pub repaid: Money,
    /// The funder refused to fund the action.
    pub refused: bool,
}

impl FundingLine {
    fn new(funder: FunderId) -> FundingLine {
        FundingLine {
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

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrantRecord {
    pub id: GrantId,
    pub funder: FunderId,
    pub year: Year,
    pub amount: Money,
    /// Its kind, reference and signing date (the grant's effective date).
    pub act: Act,
    pub awarded_on: NaiveDate,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefusalRecord {
    pub funder: FunderId,
    pub reason: Note,
    pub refused_on: NaiveDate,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentRecord {
    pub id: PaymentId,
    pub funder: FunderId,
    pub amount: Money,
    pub kind: PaymentKind,
    pub paid_on: NaiveDate,
    pub cancelled: bool,
    pub cancel_reason: Option<Note>,
    pub cancelled_on: Option<NaiveDate>,
}

/// A repayment asked for (`received` false) or received (`received` true).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepaymentRecord {
    pub funder: FunderId,
    pub amount: Money,
    pub received: bool,
    pub reason: Option<Note>,
    pub on: NaiveDate,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComplementRecord {
    pub requested_on: NaiveDate,
    pub items: Vec<Title>,
    pub provided_on: Option<NaiveDate>,
    pub note: Option<Note>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpinionRecord {
    pub session: SessionId,
    pub opinion: Opinion,
    pub proposed: Vec<MoneyLine>,
    pub comment: Option<Note>,
    /// The session's date.
    pub given_on: NaiveDate,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecisionRecord {
    /// Numbered from 1 in the order recorded, revisions included.
    pub number: u32,
    pub session: SessionId,
    pub outcome: DecisionOutcome,
    pub retained: Vec<MoneyLine>,
    pub reason: Option<Note>,
    /// The session's date.
    pub decided_on: NaiveDate,
    /// This decision is a revision (`DecisionRevised`).
    pub revised: bool,
    /// The decision a revision supersedes.
    pub supersedes: Option<u32>,
    /// The later decision that superseded this one.
    pub superseded_by: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportRecord {
    pub kind: ReportKind,
    pub submitted_on: NaiveDate,
    pub spent: Money,
    pub narrative: Narrative,
    pub beneficiaries: Vec<BeneficiaryCount>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct IndicatorRecord {
    pub def: IndicatorDef,
    /// Oldest first.
    pub measurements: Vec<Measurement>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Measurement {
    pub value: f64,
    pub measured_on: NaiveDate,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvaluationRecord {
    pub rating: Rating,
    pub findings: Narrative,
    pub recommendation: Recommendation,
    pub evaluated_on: NaiveDate,
}

impl Action {
    /// The decision in force.
    pub fn decision(&self) -> Option<&DecisionRecord> {
        let n = self.current_decision?;
        self.decisions.iter().find(|d| d.number == n)
    }

    /// The money line of `funder`; all zero when the action never named it.
    pub fn line(&self, funder: &FunderId) -> FundingLine {
        self.money
            .iter()
            .find(|l| &l.funder == funder)
            .cloned()
            .unwrap_or_else(|| FundingLine::new(funder.clone()))
    }

    pub fn grant_of(&self, funder: &FunderId) -> Option<&GrantRecord> {
        self.grants.iter().find(|g| &g.funder == funder)
    }

    pub fn payment(&self, id: &PaymentId) -> Option<&PaymentRecord> {
        self.payments.iter().find(|p| &p.id == id)
    }

    pub fn has_final_report(&self) -> bool {
        self.reports.iter().any(|r| r.kind == ReportKind::Final)
    }

    /// The sum of the lines' field, saturated.
    pub fn total(&self, field: impl Fn(&FundingLine) -> Money) -> Money {
        self.money
            .iter()
            .fold(Money::ZERO, |acc, l| acc.saturating_add(field(l)))
    }

    /// Rebuilds the money lines from the records, corrections applied. Saturates, never fails.
    fn refresh_money(&mut self) {
        let mut lines: BTreeMap<FunderId, FundingLine> = BTreeMap::new();
        fn line<'a>(
            lines: &'a mut BTreeMap<FunderId, FundingLine>,
            funder: &FunderId,
        ) -> &'a mut FundingLine {
            lines
                .entry(funder.clone())
                .or_insert_with(|| FundingLine::new(funder.clone()))
        }
        for l in &self.requested {
            let x = line(&mut lines, &l.funder);
            x.requested = x.requested.saturating_add(l.amount);
        }
        if let Some(opinion) = self.opinions.last() {
            for l in &opinion.proposed {
                let x = line(&mut lines, &l.funder);
                x.proposed = x.proposed.saturating_add(l.amount);
            }
        }
        // Every funder a decision ever named keeps its line, even at zero.
        for d in &self.decisions {
            for l in &d.retained {
                line(&mut lines, &l.funder);
            }
        }
        if let Some(d) = self.decision()
            && d.outcome == DecisionOutcome::Retained
        {
            let retained = d.retained.clone();
            for l in &retained {
                let x = line(&mut lines, &l.funder);
                x.retained = x.retained.saturating_add(l.amount);
            }
        }
        for g in &self.grants {
            let x = line(&mut lines, &g.funder);
            x.granted = x.granted.saturating_add(g.amount);
        }
        for p in &self.payments {
            let x = line(&mut lines, &p.funder);
            if !p.cancelled {
                x.paid = x.paid.saturating_add(p.amount);
            }
        }
        for r in &self.repayments {
            let x = line(&mut lines, &r.funder);
            if r.received {
                x.repaid = x.repaid.saturating_add(r.amount);
            } else {
                x.repayment_requested = x.repayment_requested.saturating_add(r.amount);
            }
        }
        for r in &self.refusals {
            line(&mut lines, &r.funder).refused = true;
        }
        let not_realised = self.status == ActionStatus::NotRealised
            || (self.status == ActionStatus::Closed && self.completed_on.is_none());
        for x in lines.values_mut() {
            x.to_pay = if not_realised {
                Money::ZERO
            } else {
                x.granted.saturating_sub(x.paid)
            };
        }
        self.money = lines.into_values().collect();
    }
}

fn status_of(outcome: DecisionOutcome) -> ActionStatus {
    match outcome {
        DecisionOutcome::Retained => ActionStatus::Retained,
        DecisionOutcome::Deferred => ActionStatus::Deferred,
        DecisionOutcome::Rejected => ActionStatus::Rejected,
    }
}

/// Folds one event. Never fails, never panics: a recorded event is a fact. An event that does
/// not fit the state (it could only come from a bug or a hand-made log) is applied as far as it
/// makes sense; amounts saturate at 10¹³ cents.
pub fn evolve(mut state: ActionState, event: &Dated<ActionEvent>) -> ActionState {
    state.version += 1;
    let on = event.effective_on;
    state.first_effective_on.get_or_insert(on);
    if let ActionEvent::ActionProposed(e) = &event.event {
        if state.action.is_none() {
            let mut action = Action {
                id: e.action.clone(),
                reference: e.reference.clone(),
                title: e.title.clone(),
                summary: e.summary.clone(),
                holder: e.holder.clone(),
                axis: e.axis.clone(),
                secondary_axes: e.secondary_axes.clone(),
                publics: e.publics.clone(),
                qpv: e.qpv.clone(),
                period_start: e.period_start,
                period_end: e.period_end,
                year: e.year,
                total_cost: e.total_cost,
                external_refs: e.external_refs.clone(),
                status: ActionStatus::Proposed,
                status_before_complements: None,
                requested: e.requested.clone(),
                money: Vec::new(),
                grants: Vec::new(),
                refusals: Vec::new(),
                payments: Vec::new(),
                repayments: Vec::new(),
                complements: Vec::new(),
                opinions: Vec::new(),
                decisions: Vec::new(),
                current_decision: None,
                reports: Vec::new(),
                indicators: e
                    .indicators
                    .iter()
                    .map(|def| IndicatorRecord {
                        def: def.clone(),
                        measurements: Vec::new(),
                    })
                    .collect(),
                evaluation: None,
                last_reason: None,
                proposed_on: on,
                started_on: None,
                completed_on: None,
                closed_on: None,
            };
            action.refresh_money();
            state.action = Some(action);
        }
        return state;
    }
    let Some(a) = state.action.as_mut() else {
        return state;
    };
    match &event.event {
        ActionEvent::ActionProposed(_) => {}
        ActionEvent::ActionAmended(e) => {
            if let Some(v) = &e.title {
                a.title = v.clone();
            }
            if let Some(v) = &e.summary {
                a.summary = v.clone();
            }
            if let Some(v) = &e.axis {
                a.axis = v.clone();
            }
            if let Some(v) = &e.secondary_axes {
                a.secondary_axes = v.clone();
            }
            if let Some(v) = &e.publics {
                a.publics = v.clone();
            }
            if let Some(v) = &e.qpv {
                a.qpv = v.clone();
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
                a.requested = v.clone();
            }
            if let Some(defs) = &e.indicators {
                // Measurements of an indicator kept by the amendment stay with it.
                let old = std::mem::take(&mut a.indicators);
                a.indicators = defs
                    .iter()
                    .map(|def| IndicatorRecord {
                        def: def.clone(),
                        measurements: old
                            .iter()
                            .find(|r| r.def.code == def.code)
                            .map(|r| r.measurements.clone())
                            .unwrap_or_default(),
                    })
                    .collect();
            }
        }
        ActionEvent::ComplementsRequested(e) => {
            a.complements.push(ComplementRecord {
                requested_on: on,
                items: e.items.clone(),
                provided_on: None,
                note: None,
            });
            if a.status != ActionStatus::ComplementsRequested {
                a.status_before_complements = Some(a.status);
            }
            a.status = ActionStatus::ComplementsRequested;
        }
        ActionEvent::ComplementsProvided(e) => {
            if let Some(c) = a
                .complements
                .iter_mut()
                .rev()
                .find(|c| c.provided_on.is_none())
            {
                c.provided_on = Some(on);
                c.note = Some(e.note.clone());
            }
            if a.status == ActionStatus::ComplementsRequested {
                a.status = a
                    .status_before_complements
                    .take()
                    .unwrap_or(ActionStatus::Proposed);
            }
        }
        ActionEvent::OpinionGiven(e) => {
            a.opinions.push(OpinionRecord {
                session: e.session.clone(),
                opinion: e.opinion,
                proposed: e.proposed.clone(),
                comment: e.comment.clone(),
                given_on: on,
            });
            if a.status == ActionStatus::Proposed {
                a.status = ActionStatus::UnderReview;
            }
        }
        ActionEvent::CopilDecisionTaken(e) => {
            a.decisions.push(DecisionRecord {
                number: e.decision_no,
                session: e.session.clone(),
                outcome: e.outcome,
                retained: e.retained.clone(),
                reason: e.reason.clone(),
                decided_on: on,
                revised: false,
                supersedes: None,
                superseded_by: None,
            });
            a.current_decision = Some(e.decision_no);
            a.status = status_of(e.outcome);
        }
        ActionEvent::DecisionRevised(e) => {
            if let Some(old) = a.decisions.iter_mut().find(|d| d.number == e.supersedes) {
                old.superseded_by = Some(e.decision_no);
            }
            a.decisions.push(DecisionRecord {
                number: e.decision_no,
                session: e.session.clone(),
                outcome: e.outcome,
                retained: e.retained.clone(),
                reason: Some(e.reason.clone()),
                decided_on: on,
                revised: true,
                supersedes: Some(e.supersedes),
                superseded_by: None,
            });
            a.current_decision = Some(e.decision_no);
            a.last_reason = Some(e.reason.clone());
            // Rule 13: a RETAINED revision of a funded action leaves its status where it was.
            let funded = matches!(a.status, ActionStatus::Funded | ActionStatus::InProgress);
            if !(funded && e.outcome == DecisionOutcome::Retained) {
                a.status = status_of(e.outcome);
            }
        }
        ActionEvent::ActionWithdrawn(e) => {
            a.status = ActionStatus::Withdrawn;
            a.last_reason = Some(e.reason.clone());
        }
        ActionEvent::GrantAwarded(e) => {
            a.grants.push(GrantRecord {
                id: e.grant.clone(),
                funder: e.funder.clone(),
                year: e.year,
                amount: e.amount,
                act: e.act.clone(),
                awarded_on: on,
            });
            if a.status == ActionStatus::Retained {
                a.status = ActionStatus::Funded;
            }
        }
        ActionEvent::GrantRefused(e) => {
            a.refusals.push(RefusalRecord {
                funder: e.funder.clone(),
                reason: e.reason.clone(),
                refused_on: on,
            });
        }
        ActionEvent::PaymentRecorded(e) => {
            a.payments.push(PaymentRecord {
                id: e.payment.clone(),
                funder: e.funder.clone(),
                amount: e.amount,
                kind: e.kind,
                paid_on: on,
                cancelled: false,
                cancel_reason: None,
                cancelled_on: None,
            });
        }
        ActionEvent::PaymentCancelled(e) => {
            if let Some(p) = a.payments.iter_mut().find(|p| p.id == e.payment) {
                p.cancelled = true;
                p.cancel_reason = Some(e.reason.clone());
                p.cancelled_on = Some(on);
            }
        }
        ActionEvent::ActionStarted(_) => {
            a.status = ActionStatus::InProgress;
            a.started_on = Some(on);
        }
        ActionEvent::PeriodChanged(e) => {
            a.period_start = e.period_start;
            a.period_end = e.period_end;
            a.last_reason = Some(e.reason.clone());
        }
        ActionEvent::ActionCompleted(_) => {
            a.status = ActionStatus::Completed;
            a.completed_on = Some(on);
        }
        ActionEvent::NonRealisationAttested(e) => {
            a.status = ActionStatus::NotRealised;
            a.last_reason = Some(e.reason.clone());
        }
        ActionEvent::RepaymentRequested(e) => {
            a.repayments.push(RepaymentRecord {
                funder: e.funder.clone(),
                amount: e.amount,
                received: false,
                reason: Some(e.reason.clone()),
                on,
            });
        }
        ActionEvent::RepaymentReceived(e) => {
            a.repayments.push(RepaymentRecord {
                funder: e.funder.clone(),
                amount: e.amount,
                received: true,
                reason: None,
                on,
            });
        }
        ActionEvent::ReportSubmitted(e) => {
            a.reports.push(ReportRecord {
                kind: e.kind,
                submitted_on: on,
                spent: e.spent,
                narrative: e.narrative.clone(),
                beneficiaries: e.beneficiaries.clone(),
            });
            if e.kind == ReportKind::Final && a.status == ActionStatus::Completed {
                a.status = ActionStatus::Reported;
            }
        }
        ActionEvent::IndicatorMeasured(e) => {
            if let Some(r) = a.indicators.iter_mut().find(|r| r.def.code == e.code) {
                r.measurements.push(Measurement {
                    value: e.value,
                    measured_on: on,
                });
            }
        }
        ActionEvent::ActionEvaluated(e) => {
            a.evaluation = Some(EvaluationRecord {
                rating: e.rating,
                findings: e.findings.clone(),
                recommendation: e.recommendation,
                evaluated_on: on,
            });
            a.status = ActionStatus::Evaluated;
        }
        ActionEvent::ActionClosed(_) => {
            a.status = ActionStatus::Closed;
            a.closed_on = Some(on);
        }
    }
    a.refresh_money();
    state
}
