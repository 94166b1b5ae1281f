//! The `action-{p}.{id}` stream: one fiche action, from its proposal to its closing.
//!
//! [`ActionState`] is what read models build on: the action's fields, its status, its money
//! per funder ([`FundingLine`]) and every record of its life (grants, payments, complements,
//! opinions, decisions, reports, indicators, evaluation). Corrections are applied when
//! folding: a cancelled payment no longer counts, a revised decision gives way to its revision
//! while both stay in [`Action::decisions`].

use crate::actor::Actor;
use crate::bounds::{self, check_length, check_list};
use crate::context::{Context, Needs, ProgrammeFacts, SessionFacts};
use crate::decider::{Command, Decided, Decider, effective_date};
use crate::error::*;
use crate::events::*;
use crate::permissions::{self, ActionAccess, CommandKind, authorize};
use crate::streams::StreamRef;
use crate::values::*;
use ActionStatus as S;
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
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ActionState {
    pub action: Option<Action>,
    /// Effective date of the stream's first event (rule 12).
    pub first_effective_on: Option<NaiveDate>,
    /// Number of events folded: the stream's version (`expectedVersion`).
    pub version: u64,
}

/// A fiche action as it stands.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
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
    /// The earlier action of the programme this one continues.
    pub renews: Option<ActionId>,
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
    /// The due date of the compte rendu financier, as last extended (`ReportDeadlineExtended`).
    pub report_deadline: Option<NaiveDate>,
    /// Every review of a final report, in order.
    pub reviews: Vec<ReviewRecord>,
    /// The last final report was reviewed (reset by each final report).
    pub final_report_reviewed: bool,
    /// The reason given when it was withdrawn, not realised, or its decision last revised.
    pub last_reason: Option<Note>,
    pub proposed_on: NaiveDate,
    pub started_on: Option<NaiveDate>,
    pub completed_on: Option<NaiveDate>,
    /// When its non-realisation was attested; nothing is left to pay from then on.
    pub not_realised_on: Option<NaiveDate>,
    pub closed_on: Option<NaiveDate>,
}

/// The money of one funder in one action (DOMAIN.md, "Read models users expect").
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
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
    /// granted − paid, and zero once the action is NOT_REALISED (and after, when closed).
    pub to_pay: Money,
    pub repayment_requested: Money,
    pub repaid: Money,
    /// The funder refused to fund the action.
    pub refused: bool,
}

impl FundingLine {
    /// Every figure back to zero, the funder kept.
    fn reset(&mut self) {
        let FundingLine {
            funder: _,
            requested,
            proposed,
            retained,
            granted,
            paid,
            to_pay,
            repayment_requested,
            repaid,
            refused,
        } = self;
        for m in [
            requested,
            proposed,
            retained,
            granted,
            paid,
            to_pay,
            repayment_requested,
            repaid,
        ] {
            *m = Money::ZERO;
        }
        *refused = false;
    }

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

/// A review of a final report (`FinalReportReviewed`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ReviewRecord {
    pub verdict: ReportVerdict,
    pub comment: Option<Note>,
    pub reviewed_on: NaiveDate,
}

/// When the compte rendu financier of an action is due (DOMAIN.md, "Reports due"), `None` when
/// none is due: for an action FUNDED, IN_PROGRESS or COMPLETED, or REPORTED whose last final
/// report was reviewed REJECTED, on the date of its last extension, else on 30 June of the year
/// after the latest year of its grants (its own year when it has none).
pub fn final_report_due(
    status: ActionStatus,
    latest_grant_year: Option<Year>,
    action_year: Year,
    deadline: Option<NaiveDate>,
    rejected_and_not_refiled: bool,
) -> Option<NaiveDate> {
    let due = matches!(
        status,
        ActionStatus::Funded | ActionStatus::InProgress | ActionStatus::Completed
    ) || (status == ActionStatus::Reported && rejected_and_not_refiled);
    due.then(|| {
        deadline.unwrap_or_else(|| default_report_due(latest_grant_year.unwrap_or(action_year)))
    })
}

/// 30 June of the year after `year`: six months after the end of the exercice.
pub fn default_report_due(year: Year) -> NaiveDate {
    NaiveDate::from_ymd_opt(year.get() + 1, 6, 30).unwrap_or(NaiveDate::MAX)
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct GrantRecord {
    pub id: GrantId,
    pub funder: FunderId,
    pub year: Year,
    pub amount: Money,
    /// Its kind, reference and signing date (the grant's effective date).
    pub act: Act,
    pub awarded_on: NaiveDate,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RefusalRecord {
    pub funder: FunderId,
    pub reason: Note,
    pub refused_on: NaiveDate,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
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
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RepaymentRecord {
    pub funder: FunderId,
    pub amount: Money,
    pub received: bool,
    pub reason: Option<Note>,
    pub on: NaiveDate,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ComplementRecord {
    pub requested_on: NaiveDate,
    pub items: Vec<Title>,
    pub provided_on: Option<NaiveDate>,
    pub note: Option<Note>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct OpinionRecord {
    pub session: SessionId,
    pub opinion: Opinion,
    pub proposed: Vec<MoneyLine>,
    pub comment: Option<Note>,
    /// The session's date.
    pub given_on: NaiveDate,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
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

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ReportRecord {
    pub kind: ReportKind,
    pub submitted_on: NaiveDate,
    pub spent: Money,
    pub narrative: Narrative,
    pub beneficiaries: Vec<BeneficiaryCount>,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct IndicatorRecord {
    pub def: IndicatorDef,
    /// Oldest first.
    pub measurements: Vec<Measurement>,
}

#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Measurement {
    pub value: f64,
    pub measured_on: NaiveDate,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct EvaluationRecord {
    pub rating: Rating,
    pub findings: Narrative,
    pub recommendation: Recommendation,
    pub evaluated_on: NaiveDate,
}

impl Action {
    /// Its last final report was reviewed REJECTED and no new one was filed since.
    pub fn final_report_rejected(&self) -> bool {
        self.final_report_reviewed
            && self
                .reviews
                .last()
                .is_some_and(|r| r.verdict == ReportVerdict::Rejected)
    }

    /// Its last final report was reviewed ACCEPTED.
    pub fn final_report_accepted(&self) -> bool {
        self.final_report_reviewed
            && self
                .reviews
                .last()
                .is_some_and(|r| r.verdict == ReportVerdict::Accepted)
    }

    /// When its compte rendu financier is due, were it due: the last extension, else 30 June
    /// after the latest year of its grants (its own year without grants).
    pub fn report_due_date(&self) -> NaiveDate {
        self.report_deadline.unwrap_or_else(|| {
            default_report_due(
                self.grants
                    .iter()
                    .map(|g| g.year)
                    .max()
                    .unwrap_or(self.year),
            )
        })
    }

    /// When its compte rendu financier is due; `None` when none is due ([`final_report_due`]).
    pub fn final_report_due_on(&self) -> Option<NaiveDate> {
        final_report_due(
            self.status,
            self.grants.iter().map(|g| g.year).max(),
            self.year,
            self.report_deadline,
            self.final_report_rejected(),
        )
    }

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

    /// Rebuilds the money lines from the records, corrections applied, with the formula every
    /// fold shares ([`add_up_money`]). Saturates, never fails.
    ///
    /// The lines are recomputed in place, kept ordered by funder id: no allocation unless a
    /// funder appears for the first time (this runs after every event of every fold). A funder
    /// once named keeps its line, even when an amendment or a later opinion no longer names it
    /// ("one line per funder named anywhere in the action's life").
    fn refresh_money(&mut self) {
        let Action {
            money,
            requested,
            opinions,
            decisions,
            current_decision,
            grants,
            payments,
            repayments,
            refusals,
            not_realised_on,
            ..
        } = self;
        for x in money.iter_mut() {
            x.reset();
        }
        // Lines this function made are ordered and unique; a state made otherwise is put in order.
        if !money.is_sorted_by(|a, b| a.funder < b.funder) {
            money.sort_by(|a, b| a.funder.cmp(&b.funder));
            money.dedup_by(|a, b| a.funder == b.funder);
        }
        let records = Records {
            requested,
            opinions,
            decisions,
            current_decision: *current_decision,
            grants,
            payments,
            repayments,
            refusals,
            not_realised: not_realised_on.is_some(),
        };
        add_up_money(&records, &mut SortedLines(money));
    }
}

/// The domain's records of an action, as the money formula reads them.
struct Records<'a> {
    requested: &'a [MoneyLine],
    opinions: &'a [OpinionRecord],
    decisions: &'a [DecisionRecord],
    current_decision: Option<u32>,
    grants: &'a [GrantRecord],
    payments: &'a [PaymentRecord],
    repayments: &'a [RepaymentRecord],
    refusals: &'a [RefusalRecord],
    not_realised: bool,
}

fn pairs(lines: &[MoneyLine]) -> impl Iterator<Item = (&FunderId, Money)> {
    lines.iter().map(|l| (&l.funder, l.amount))
}

impl<'a> MoneyRecords for Records<'a> {
    type Funder = &'a FunderId;
    fn requested(&self) -> impl Iterator<Item = (&'a FunderId, Money)> {
        pairs(self.requested)
    }
    fn latest_opinion(&self) -> impl Iterator<Item = (&'a FunderId, Money)> {
        self.opinions
            .last()
            .into_iter()
            .flat_map(|o| pairs(&o.proposed))
    }
    fn decisions(
        &self,
    ) -> impl Iterator<
        Item = (
            u32,
            DecisionOutcome,
            impl Iterator<Item = (&'a FunderId, Money)>,
        ),
    > {
        self.decisions
            .iter()
            .map(|d| (d.number, d.outcome, pairs(&d.retained)))
    }
    fn current_decision(&self) -> Option<u32> {
        self.current_decision
    }
    fn grants(&self) -> impl Iterator<Item = (&'a FunderId, Money)> {
        self.grants.iter().map(|g| (&g.funder, g.amount))
    }
    fn payments(&self) -> impl Iterator<Item = (&'a FunderId, Money, bool)> {
        self.payments
            .iter()
            .map(|p| (&p.funder, p.amount, p.cancelled))
    }
    fn repayments(&self) -> impl Iterator<Item = (&'a FunderId, Money, bool)> {
        self.repayments
            .iter()
            .map(|r| (&r.funder, r.amount, r.received))
    }
    fn refusals(&self) -> impl Iterator<Item = &'a FunderId> {
        self.refusals.iter().map(|r| &r.funder)
    }
    fn not_realised(&self) -> bool {
        self.not_realised
    }
}

/// The domain's money lines, ordered by funder id; a line is inserted in its place when a
/// funder is named for the first time.
struct SortedLines<'v>(&'v mut Vec<FundingLine>);

impl<'a> MoneyLines<&'a FunderId> for SortedLines<'_> {
    fn line(&mut self, funder: &'a FunderId) -> &mut dyn MoneyColumns {
        let lines = &mut *self.0;
        let i = match lines.binary_search_by(|l| l.funder.cmp(funder)) {
            Ok(i) => i,
            Err(i) => {
                lines.insert(i, FundingLine::new(funder.clone()));
                i
            }
        };
        &mut lines[i]
    }
    fn each(&mut self, f: &mut dyn FnMut(&mut dyn MoneyColumns)) {
        for line in self.0.iter_mut() {
            f(line);
        }
    }
}

impl MoneyColumns for FundingLine {
    fn column(&mut self, column: MoneyColumn) -> &mut Money {
        match column {
            MoneyColumn::Requested => &mut self.requested,
            MoneyColumn::Proposed => &mut self.proposed,
            MoneyColumn::Retained => &mut self.retained,
            MoneyColumn::Granted => &mut self.granted,
            MoneyColumn::Paid => &mut self.paid,
            MoneyColumn::ToPay => &mut self.to_pay,
            MoneyColumn::RepaymentRequested => &mut self.repayment_requested,
            MoneyColumn::Repaid => &mut self.repaid,
        }
    }
    fn mark_refused(&mut self) {
        self.refused = true;
    }
}

// -------------------------------------------------------- the rules every fold of an action shares

/// The figures of a money line (DOMAIN.md, « Read models users expect »: money per funder).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MoneyColumn {
    Requested,
    Proposed,
    Retained,
    Granted,
    Paid,
    ToPay,
    RepaymentRequested,
    Repaid,
}

/// A money line being computed, however it is stored.
pub trait MoneyColumns {
    fn column(&mut self, column: MoneyColumn) -> &mut Money;
    fn mark_refused(&mut self);
}

/// An action's money lines, however they are stored: [`MoneyLines::line`] finds a funder's
/// line, made at zero when the funder is new.
pub trait MoneyLines<F> {
    fn line(&mut self, funder: F) -> &mut dyn MoneyColumns;
    fn each(&mut self, f: &mut dyn FnMut(&mut dyn MoneyColumns));
}

/// An action's records as the money formula reads them, however they are stored (the domain's
/// [`Action`], the read model's compact record): each names a funder as it keeps it.
pub trait MoneyRecords {
    type Funder: Copy;
    fn requested(&self) -> impl Iterator<Item = (Self::Funder, Money)>;
    /// The amounts the latest opinion proposed.
    fn latest_opinion(&self) -> impl Iterator<Item = (Self::Funder, Money)>;
    /// Every decision, revisions included, in the order taken: number, outcome, retained.
    fn decisions(
        &self,
    ) -> impl Iterator<
        Item = (
            u32,
            DecisionOutcome,
            impl Iterator<Item = (Self::Funder, Money)>,
        ),
    >;
    /// The number of the decision in force.
    fn current_decision(&self) -> Option<u32>;
    fn grants(&self) -> impl Iterator<Item = (Self::Funder, Money)>;
    /// Amount and whether the payment was cancelled.
    fn payments(&self) -> impl Iterator<Item = (Self::Funder, Money, bool)>;
    /// Amount and whether the repayment was received (otherwise only requested).
    fn repayments(&self) -> impl Iterator<Item = (Self::Funder, Money, bool)>;
    fn refusals(&self) -> impl Iterator<Item = Self::Funder>;
    fn not_realised(&self) -> bool;
}

/// The money formula of an action, written once for every fold: the domain's
/// ([`Action::money`]) and the read model's compact one. Adds each record to its funder's line,
/// corrections applied, then sets what is left to pay. The lines must start at zero. Saturates,
/// never fails.
///
/// - *requested*: the current request; *proposed*: the latest opinion;
/// - *retained*: the decision in force, when it is RETAINED (a funder any decision named keeps
///   its line, even at zero);
/// - *granted*: the grants; *paid*: the payments not cancelled;
/// - *repayment requested* and *repaid*: the repayments, by whether they were received;
/// - *to pay*: granted − paid, and zero once the action is NOT_REALISED.
pub fn add_up_money<R: MoneyRecords>(records: &R, lines: &mut impl MoneyLines<R::Funder>) {
    fn add(line: &mut dyn MoneyColumns, column: MoneyColumn, amount: Money) {
        let x = line.column(column);
        *x = x.saturating_add(amount);
    }
    for (funder, amount) in records.requested() {
        add(lines.line(funder), MoneyColumn::Requested, amount);
    }
    for (funder, amount) in records.latest_opinion() {
        add(lines.line(funder), MoneyColumn::Proposed, amount);
    }
    // The decision in force is the first one with its number.
    let mut in_force_seen = false;
    let current = records.current_decision();
    for (number, outcome, retained) in records.decisions() {
        let in_force = !in_force_seen && Some(number) == current;
        in_force_seen |= in_force;
        for (funder, amount) in retained {
            let line = lines.line(funder);
            if in_force && outcome == DecisionOutcome::Retained {
                add(line, MoneyColumn::Retained, amount);
            }
        }
    }
    for (funder, amount) in records.grants() {
        add(lines.line(funder), MoneyColumn::Granted, amount);
    }
    for (funder, amount, cancelled) in records.payments() {
        let line = lines.line(funder);
        if !cancelled {
            add(line, MoneyColumn::Paid, amount);
        }
    }
    for (funder, amount, received) in records.repayments() {
        let column = if received {
            MoneyColumn::Repaid
        } else {
            MoneyColumn::RepaymentRequested
        };
        add(lines.line(funder), column, amount);
    }
    for funder in records.refusals() {
        lines.line(funder).mark_refused();
    }
    let not_realised = records.not_realised();
    lines.each(&mut |line| {
        let to_pay = if not_realised {
            Money::ZERO
        } else {
            let granted = *line.column(MoneyColumn::Granted);
            granted.saturating_sub(*line.column(MoneyColumn::Paid))
        };
        *line.column(MoneyColumn::ToPay) = to_pay;
    });
}

/// The status an action takes on a recorded event (DOMAIN.md, « Life cycle of an action »),
/// written once for every fold: the domain's [`apply`] and the read model's compact one.
/// `before_complements` keeps the status an action had while complements are awaited.
pub fn next_status(
    status: ActionStatus,
    before_complements: &mut Option<ActionStatus>,
    event: &ActionEvent,
) -> ActionStatus {
    use ActionStatus as S;
    match event {
        ActionEvent::ActionProposed(_) => status,
        ActionEvent::ComplementsRequested(_) => {
            if status != S::ComplementsRequested {
                *before_complements = Some(status);
            }
            S::ComplementsRequested
        }
        ActionEvent::ComplementsProvided(_) if status == S::ComplementsRequested => {
            before_complements.take().unwrap_or(S::Proposed)
        }
        ActionEvent::OpinionGiven(_) if status == S::Proposed => S::UnderReview,
        ActionEvent::CopilDecisionTaken(e) => status_of(e.outcome),
        ActionEvent::DecisionRevised(e) => {
            // Rule 13: a RETAINED revision of a funded action leaves its status where it was.
            let funded = matches!(status, S::Funded | S::InProgress);
            if funded && e.outcome == DecisionOutcome::Retained {
                status
            } else {
                status_of(e.outcome)
            }
        }
        ActionEvent::ActionWithdrawn(_) => S::Withdrawn,
        ActionEvent::GrantAwarded(_) if status == S::Retained => S::Funded,
        ActionEvent::ActionStarted(_) => S::InProgress,
        ActionEvent::ActionCompleted(_) => S::Completed,
        ActionEvent::NonRealisationAttested(_) => S::NotRealised,
        ActionEvent::ReportSubmitted(e)
            if e.kind == ReportKind::Final && status == S::Completed =>
        {
            S::Reported
        }
        ActionEvent::ActionEvaluated(_) => S::Evaluated,
        ActionEvent::ActionClosed(_) => S::Closed,
        ActionEvent::ComplementsProvided(_)
        | ActionEvent::OpinionGiven(_)
        | ActionEvent::GrantAwarded(_)
        | ActionEvent::ReportSubmitted(_)
        | ActionEvent::ActionAmended(_)
        | ActionEvent::GrantRefused(_)
        | ActionEvent::PaymentRecorded(_)
        | ActionEvent::PaymentCancelled(_)
        | ActionEvent::PeriodChanged(_)
        | ActionEvent::RepaymentRequested(_)
        | ActionEvent::RepaymentReceived(_)
        | ActionEvent::IndicatorMeasured(_)
        | ActionEvent::ReportDeadlineExtended(_)
        | ActionEvent::FinalReportReviewed(_)
        | ActionEvent::GrantAmended(_)
        | ActionEvent::RepaymentRequestCancelled(_)
        | ActionEvent::ReportCorrected(_) => status,
    }
}

fn status_of(outcome: DecisionOutcome) -> ActionStatus {
    match outcome {
        DecisionOutcome::Retained => ActionStatus::Retained,
        DecisionOutcome::Deferred => ActionStatus::Deferred,
        DecisionOutcome::Rejected => ActionStatus::Rejected,
    }
}

/// `RepaymentRequestCancelled` on an action's repayments, however they are stored: drops the
/// requests of `funder` and returns what it already received, which stays requested (so that
/// nothing is left outstanding). `fields` gives a record's funder, whether it was received, and
/// its amount.
pub fn cancel_repayment_request<R, F: PartialEq + ?Sized>(
    repayments: &mut Vec<R>,
    funder: &F,
    fields: impl Fn(&R) -> (&F, bool, Money),
) -> Money {
    let mut received = Money::ZERO;
    repayments.retain(|r| {
        let (f, was_received, amount) = fields(r);
        if f != funder {
            return true;
        }
        if was_received {
            received = received.saturating_add(amount);
        }
        was_received
    });
    received
}

/// [`evolve`] in place, with the event borrowed: what a fold over many events (the read
/// models, the command service) calls, so that neither the state nor the event is copied.
pub fn apply(state: &mut ActionState, on: NaiveDate, event: &ActionEvent) {
    state.version += 1;
    state.first_effective_on.get_or_insert(on);
    if let ActionEvent::ActionProposed(e) = event {
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
                renews: e.renews.clone(),
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
                report_deadline: None,
                reviews: Vec::new(),
                final_report_reviewed: false,
                last_reason: None,
                proposed_on: on,
                started_on: None,
                completed_on: None,
                not_realised_on: None,
                closed_on: None,
            };
            action.refresh_money();
            state.action = Some(action);
        }
        return;
    }
    let Some(a) = state.action.as_mut() else {
        return;
    };
    match event {
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
        }
        ActionEvent::OpinionGiven(e) => {
            a.opinions.push(OpinionRecord {
                session: e.session.clone(),
                opinion: e.opinion,
                proposed: e.proposed.clone(),
                comment: e.comment.clone(),
                given_on: on,
            });
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
        }
        ActionEvent::ActionWithdrawn(e) => {
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
            a.started_on = Some(on);
        }
        ActionEvent::PeriodChanged(e) => {
            a.period_start = e.period_start;
            a.period_end = e.period_end;
            a.last_reason = Some(e.reason.clone());
        }
        ActionEvent::ActionCompleted(_) => {
            a.completed_on = Some(on);
        }
        ActionEvent::NonRealisationAttested(e) => {
            a.not_realised_on = Some(on);
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
            if e.kind == ReportKind::Final {
                a.final_report_reviewed = false;
            }
        }
        ActionEvent::ReportDeadlineExtended(e) => {
            a.report_deadline = Some(e.due_on);
        }
        ActionEvent::GrantAmended(e) => {
            if let Some(g) = a.grants.iter_mut().find(|g| g.id == e.grant) {
                g.amount = e.amount;
            }
        }
        ActionEvent::RepaymentRequestCancelled(e) => {
            let received = cancel_repayment_request(&mut a.repayments, &e.funder, |r| {
                (&r.funder, r.received, r.amount)
            });
            if !received.is_zero() {
                a.repayments.push(RepaymentRecord {
                    funder: e.funder.clone(),
                    amount: received,
                    received: false,
                    reason: Some(e.reason.clone()),
                    on,
                });
            }
        }
        ActionEvent::ReportCorrected(e) => {
            if let Some(r) = a.reports.get_mut(e.report as usize) {
                r.spent = e.spent;
                r.beneficiaries = e.beneficiaries.clone();
                r.narrative = e.narrative.clone();
            }
        }
        ActionEvent::FinalReportReviewed(e) => {
            a.reviews.push(ReviewRecord {
                verdict: e.verdict,
                comment: e.comment.clone(),
                reviewed_on: on,
            });
            a.final_report_reviewed = true;
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
        }
        ActionEvent::ActionClosed(_) => {
            a.closed_on = Some(on);
        }
    }
    a.status = next_status(a.status, &mut a.status_before_complements, event);
    a.refresh_money();
}

// ------------------------------------------------------------------------------ commands

/// The reference of an action proposed without one: `{year}-{n:03}`, `n` counting from 1 in its
/// programme and year (DOMAIN.md, "Reference"). The caller counts; the domain only writes it.
pub fn generated_reference(year: Year, n: u32) -> Title {
    Title::parse("référence", &format!("{year}-{n:03}"))
        .unwrap_or_else(|_| unreachable!("a year and a number make a valid title"))
}

/// The reference the service gives a proposal without one: [`generated_reference`] with `n`
/// one more than `n_of_year` (the actions of its programme and year), skipping every reference
/// `used` says is taken (rule 18: a custom reference may look like a generated one).
/// Rule 6's convention: whether a grant of `amount` must be a convention, when its funder
/// already granted `already_granted` to the holder for the year over all its actions. Only for
/// a holder of private law (or of unknown legal form), when the total exceeds
/// [`CONVENTION_THRESHOLD`].
pub fn convention_required(legal_form: LegalForm, already_granted: Money, amount: Money) -> bool {
    legal_form.private_law()
        && already_granted
            .checked_add(amount)
            .is_none_or(|total| total > CONVENTION_THRESHOLD)
}

/// The reference a proposal carries when it gives none: the command service replaces it with
/// the next `{year}-{n:03}` ([`Decider::assign_ids`]).
pub fn placeholder_reference() -> Title {
    Title::parse("référence", "\u{2014}").unwrap_or_else(|_| unreachable!("a valid title"))
}

/// The ids a command carries until the command service gives the real one
/// ([`Decider::assign_ids`]).
pub fn placeholder_payment_id() -> PaymentId {
    PaymentId::parse("pending").unwrap_or_else(|_| unreachable!("a valid id"))
}

pub fn placeholder_grant_id() -> GrantId {
    GrantId::parse("pending").unwrap_or_else(|_| unreachable!("a valid id"))
}

pub fn next_reference(year: Year, n_of_year: u32, used: impl Fn(&str) -> bool) -> Title {
    let mut n = n_of_year.saturating_add(1);
    loop {
        let reference = generated_reference(year, n);
        if !used(reference.as_str()) || n == u32::MAX {
            return reference;
        }
        n += 1;
    }
}

/// A beneficiary count as given by a person (rule 9): a whole number, 0 ≤ n ≤
/// [`MAX_BENEFICIARY_COUNT`].
pub fn beneficiary_count(count: i64) -> Result<u32, DomainError> {
    if count < 0 {
        return Err(DomainError::BeneficiariesInvalid(
            BeneficiaryProblem::Negative(count),
        ));
    }
    if count > MAX_BENEFICIARY_COUNT {
        return Err(DomainError::BeneficiariesInvalid(
            BeneficiaryProblem::TooLarge(count),
        ));
    }
    u32::try_from(count)
        .map_err(|_| DomainError::BeneficiariesInvalid(BeneficiaryProblem::TooLarge(count)))
}

/// The commands of an action stream, one per mutation of api.graphql (`recordCopilDecisions`
/// is [`RecordCopilDecisions`], which decides one [`ActionCommand::TakeCopilDecision`] per
/// action).
#[derive(Debug, Clone, PartialEq)]
pub enum ActionCommand {
    /// The proposal as it will be recorded; its reference given by the holder or made by the
    /// caller with [`generated_reference`].
    ProposeAction(ActionProposed),
    /// The fields to change, each `Some` with its new value; the event keeps only those that
    /// really change.
    AmendAction(ActionAmended),
    RequestComplements {
        items: Vec<Title>,
    },
    ProvideComplements {
        note: Note,
    },
    WithdrawAction {
        reason: Note,
    },
    GiveOpinion {
        session: SessionId,
        opinion: Opinion,
        proposed: Vec<MoneyLine>,
        comment: Option<Note>,
    },
    /// One action's decision within `recordCopilDecisions`.
    TakeCopilDecision {
        session: SessionId,
        outcome: DecisionOutcome,
        retained: Vec<MoneyLine>,
        reason: Option<Note>,
    },
    ReviseDecision {
        session: SessionId,
        outcome: DecisionOutcome,
        retained: Vec<MoneyLine>,
        reason: Note,
    },
    /// `grant` is given by the command service.
    AwardGrant {
        grant: GrantId,
        funder: FunderId,
        year: Year,
        amount: Money,
        act: Act,
    },
    RefuseGrant {
        funder: FunderId,
        reason: Note,
    },
    /// `payment` is given by the command service.
    RecordPayment {
        payment: PaymentId,
        funder: FunderId,
        amount: Money,
        kind: PaymentKind,
        paid_on: NaiveDate,
    },
    CancelPayment {
        payment: PaymentId,
        reason: Note,
    },
    StartAction {
        started_on: NaiveDate,
    },
    ChangePeriod {
        period_start: NaiveDate,
        period_end: NaiveDate,
        reason: Note,
    },
    CompleteAction {
        completed_on: NaiveDate,
    },
    AttestNonRealisation {
        reason: Note,
    },
    RequestRepayment {
        funder: FunderId,
        amount: Money,
        reason: Note,
    },
    RecordRepayment {
        funder: FunderId,
        amount: Money,
        received_on: NaiveDate,
    },
    SubmitReport {
        kind: ReportKind,
        spent: Money,
        narrative: Narrative,
        beneficiaries: Vec<BeneficiaryCount>,
    },
    MeasureIndicator {
        code: IndicatorCode,
        value: f64,
        measured_on: NaiveDate,
    },
    EvaluateAction {
        rating: Rating,
        findings: Narrative,
        recommendation: Recommendation,
    },
    CloseAction,
    ExtendReportDeadline {
        due_on: NaiveDate,
        reason: Note,
    },
    ReviewFinalReport {
        verdict: ReportVerdict,
        comment: Option<Note>,
    },
    AmendGrant {
        grant: GrantId,
        amount: Money,
        reference: Title,
        reason: Note,
    },
    CancelRepaymentRequest {
        funder: FunderId,
        reason: Note,
    },
    CorrectReport {
        report: u32,
        spent: Money,
        beneficiaries: Vec<BeneficiaryCount>,
        narrative: Narrative,
        reason: Note,
    },
}

impl ActionCommand {
    pub fn kind(&self) -> CommandKind {
        use ActionCommand::*;
        match self {
            ProposeAction(_) => CommandKind::ProposeAction,
            AmendAction(_) => CommandKind::AmendAction,
            RequestComplements { .. } => CommandKind::RequestComplements,
            ProvideComplements { .. } => CommandKind::ProvideComplements,
            WithdrawAction { .. } => CommandKind::WithdrawAction,
            GiveOpinion { .. } => CommandKind::GiveOpinion,
            TakeCopilDecision { .. } => CommandKind::RecordCopilDecisions,
            ReviseDecision { .. } => CommandKind::ReviseDecision,
            AwardGrant { .. } => CommandKind::AwardGrant,
            RefuseGrant { .. } => CommandKind::RefuseGrant,
            RecordPayment { .. } => CommandKind::RecordPayment,
            CancelPayment { .. } => CommandKind::CancelPayment,
            StartAction { .. } => CommandKind::StartAction,
            ChangePeriod { .. } => CommandKind::ChangePeriod,
            CompleteAction { .. } => CommandKind::CompleteAction,
            AttestNonRealisation { .. } => CommandKind::AttestNonRealisation,
            RequestRepayment { .. } => CommandKind::RequestRepayment,
            RecordRepayment { .. } => CommandKind::RecordRepayment,
            SubmitReport { .. } => CommandKind::SubmitReport,
            MeasureIndicator { .. } => CommandKind::MeasureIndicator,
            EvaluateAction { .. } => CommandKind::EvaluateAction,
            CloseAction => CommandKind::CloseAction,
            ExtendReportDeadline { .. } => CommandKind::ExtendReportDeadline,
            ReviewFinalReport { .. } => CommandKind::ReviewFinalReport,
            AmendGrant { .. } => CommandKind::AmendGrant,
            CancelRepaymentRequest { .. } => CommandKind::CancelRepaymentRequest,
            CorrectReport { .. } => CommandKind::CorrectReport,
        }
    }

    /// The facts of other streams this command needs in its [`Context`].
    pub fn needs(&self) -> Needs {
        use ActionCommand::*;
        match self {
            ProposeAction(p) => Needs {
                programme: true,
                holder: Some(p.holder.clone()),
                references: true,
                renewal: p.renews.clone(),
                ..Needs::default()
            },
            // Rule 19 needs the programme's labelling date for the dates these name.
            AmendAction(_)
            | ChangePeriod { .. }
            | StartAction { .. }
            | CompleteAction { .. }
            | MeasureIndicator { .. } => Needs {
                programme: true,
                ..Needs::default()
            },
            GiveOpinion { session, .. }
            | TakeCopilDecision { session, .. }
            | ReviseDecision { session, .. } => Needs {
                // The programme's funders, for the funders the amounts name.
                programme: !self.named_funders().is_empty(),
                session: Some(session.clone()),
                ..Needs::default()
            },
            AwardGrant { funder, year, .. } => Needs {
                programme: true,
                envelope: Some((funder.clone(), *year)),
                ..Needs::default()
            },
            RecordPayment { .. } | RequestRepayment { .. } | RecordRepayment { .. } => Needs {
                programme: true,
                ..Needs::default()
            },
            _ => Needs::default(),
        }
    }

    /// The funders the command names (amounts, grants, payments, repayments): each must be
    /// registered in the programme, or the command is NOT_FOUND rather than judged on figures
    /// of 0 €.
    fn named_funders(&self) -> Vec<&FunderId> {
        use ActionCommand::*;
        match self {
            GiveOpinion {
                proposed: lines, ..
            }
            | TakeCopilDecision {
                retained: lines, ..
            }
            | ReviseDecision {
                retained: lines, ..
            } => lines.iter().map(|l| &l.funder).collect(),
            AwardGrant { funder, .. }
            | RecordPayment { funder, .. }
            | RequestRepayment { funder, .. }
            | RecordRepayment { funder, .. } => vec![funder],
            _ => Vec::new(),
        }
    }

    /// What the date the command names is, for rule 19's message.
    fn named_date_label(&self) -> &'static str {
        use ActionCommand::*;
        match self {
            GiveOpinion { .. } | TakeCopilDecision { .. } | ReviseDecision { .. } => {
                "date de la séance"
            }
            AwardGrant { .. } => "signature de l'acte",
            RecordPayment { .. } => "date du versement",
            StartAction { .. } => "date de démarrage",
            CompleteAction { .. } => "date d'achèvement",
            RecordRepayment { .. } => "date de réception du reversement",
            MeasureIndicator { .. } => "date de la mesure",
            _ => "date d'effet",
        }
    }

    /// The date the command itself names (rule 12); for opinions and decisions, the session's.
    fn named_date(&self, session: Option<&SessionFacts>) -> Option<NaiveDate> {
        use ActionCommand::*;
        match self {
            GiveOpinion { .. } | TakeCopilDecision { .. } | ReviseDecision { .. } => {
                session.map(|s| s.date)
            }
            AwardGrant { act, .. } => Some(act.signed_on),
            RecordPayment { paid_on, .. } => Some(*paid_on),
            StartAction { started_on } => Some(*started_on),
            CompleteAction { completed_on } => Some(*completed_on),
            RecordRepayment { received_on, .. } => Some(*received_on),
            MeasureIndicator { measured_on, .. } => Some(*measured_on),
            _ => None,
        }
    }
}

/// `recordCopilDecisions`: the decisions of one COPIL session on many actions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordCopilDecisions {
    pub session: SessionId,
    pub decisions: Vec<CopilDecision>,
}

impl RecordCopilDecisions {
    /// The facts a COPIL call needs: its session, and the programme's funders for the amounts
    /// retained.
    pub fn needs(&self) -> Needs {
        Needs {
            programme: true,
            session: Some(self.session.clone()),
            ..Needs::default()
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopilDecision {
    pub action: ActionId,
    pub outcome: DecisionOutcome,
    pub retained: Vec<MoneyLine>,
    pub reason: Option<Note>,
}

// ------------------------------------------------------------------------------ decide

fn lifecycle(command: CommandKind, status: ActionStatus) -> DomainError {
    DomainError::Lifecycle {
        command,
        stage: Stage::Action(status),
    }
}

fn require(
    command: CommandKind,
    status: ActionStatus,
    allowed: &[ActionStatus],
) -> Result<(), DomainError> {
    if allowed.contains(&status) {
        Ok(())
    } else {
        Err(lifecycle(command, status))
    }
}

/// The state preconditions of a command on an existing action: the life cycle, and the rules
/// that depend on the action's state only (amend_after_decision, grant_needs_retained,
/// report_needs_completion, evaluation_needs_final_report, close_not_ready, deadline_invalid
/// while no report is due, report_review_invalid). Never an amount, a date or a text.
///
/// `report` is the kind of a report to submit; `None` asks whether some report may be. `decide`
/// checks this first, right after the permission, and [`available_commands`] asks it of every
/// command: what the page offers and what `decide` accepts cannot disagree.
pub fn precondition(
    a: &Action,
    kind: CommandKind,
    report: Option<ReportKind>,
) -> Result<(), DomainError> {
    use CommandKind as K;
    let status = a.status;
    const AWAITING_COPIL: &[ActionStatus] = &[S::Proposed, S::UnderReview, S::Deferred];
    const PAID_OR_PAYABLE: &[ActionStatus] = &[
        S::Funded,
        S::InProgress,
        S::Completed,
        S::Reported,
        S::Evaluated,
    ];
    match kind {
        K::AmendAction => {
            if !matches!(
                status,
                S::Proposed | S::ComplementsRequested | S::UnderReview | S::Deferred
            ) {
                return Err(DomainError::AmendAfterDecision { status });
            }
            Ok(())
        }
        K::RequestComplements => require(kind, status, &[S::Proposed, S::UnderReview]),
        K::ProvideComplements => require(kind, status, &[S::ComplementsRequested]),
        K::WithdrawAction => require(
            kind,
            status,
            &[
                S::Proposed,
                S::ComplementsRequested,
                S::UnderReview,
                S::Deferred,
            ],
        ),
        K::GiveOpinion | K::RecordCopilDecisions => require(kind, status, AWAITING_COPIL),
        K::ReviseDecision => {
            require(
                kind,
                status,
                &[
                    S::Retained,
                    S::Deferred,
                    S::Rejected,
                    S::Funded,
                    S::InProgress,
                ],
            )?;
            match a.decision() {
                Some(_) => Ok(()),
                None => Err(lifecycle(kind, status)),
            }
        }
        K::AwardGrant | K::RefuseGrant => {
            if !matches!(status, S::Retained | S::Funded | S::InProgress) {
                return Err(DomainError::GrantNeedsRetained { status });
            }
            Ok(())
        }
        K::AmendGrant | K::RecordPayment | K::MeasureIndicator => {
            require(kind, status, PAID_OR_PAYABLE)
        }
        K::CancelPayment | K::CorrectReport => {
            if status == S::Closed {
                return Err(lifecycle(kind, status));
            }
            Ok(())
        }
        K::StartAction => require(kind, status, &[S::Funded]),
        K::ChangePeriod | K::AttestNonRealisation => {
            require(kind, status, &[S::Retained, S::Funded, S::InProgress])
        }
        K::CompleteAction => require(kind, status, &[S::InProgress]),
        K::RequestRepayment | K::RecordRepayment | K::CancelRepaymentRequest => {
            require(kind, status, MONEY_BACK_STATUSES)
        }
        K::SubmitReport => match report {
            Some(report) => report_precondition(a, report),
            None => report_precondition(a, ReportKind::Interim)
                .or_else(|_| report_precondition(a, ReportKind::Final)),
        },
        K::EvaluateAction => {
            if matches!(status, S::Evaluated | S::Closed) {
                return Err(lifecycle(kind, status));
            }
            if status != S::Reported {
                return Err(DomainError::EvaluationNeedsFinalReport { status });
            }
            Ok(())
        }
        K::CloseAction => {
            let ready = match status {
                S::Evaluated | S::NotRealised => true,
                S::Reported => a.final_report_accepted(),
                S::Closed => return Err(lifecycle(kind, status)),
                _ => false,
            };
            if !ready {
                return Err(DomainError::CloseNotReady {
                    status,
                    repayments_outstanding: Money::ZERO,
                });
            }
            let outstanding = a.money.iter().fold(Money::ZERO, |acc, l| {
                acc.saturating_add(l.repayment_requested.saturating_sub(l.repaid))
            });
            if !outstanding.is_zero() {
                return Err(DomainError::CloseNotReady {
                    status,
                    repayments_outstanding: outstanding,
                });
            }
            Ok(())
        }
        K::ExtendReportDeadline => {
            if !matches!(status, S::Funded | S::InProgress | S::Completed) {
                return Err(DomainError::DeadlineInvalid(DeadlineProblem::NotDue {
                    status,
                }));
            }
            Ok(())
        }
        K::ReviewFinalReport => {
            if status != S::Reported || a.final_report_reviewed {
                return Err(DomainError::ReportReviewInvalid {
                    status,
                    already_reviewed: status == S::Reported,
                });
            }
            Ok(())
        }
        // Not a command on an existing action.
        _ => Err(DomainError::Lifecycle {
            command: kind,
            stage: Stage::Exists,
        }),
    }
}

/// Which report an action may receive: an interim one while in progress or completed, the final
/// one once completed (again after a REJECTED review).
fn report_precondition(a: &Action, report: ReportKind) -> Result<(), DomainError> {
    let status = a.status;
    let kind = CommandKind::SubmitReport;
    match report {
        ReportKind::Interim => {
            if !matches!(status, S::InProgress | S::Completed) {
                return Err(DomainError::ReportNeedsCompletion {
                    kind: report,
                    status,
                });
            }
        }
        // After a REJECTED review, a new final report is due (REPORTED stays REPORTED).
        ReportKind::Final if status == S::Reported && a.final_report_rejected() => {}
        ReportKind::Final => {
            if matches!(status, S::Reported | S::Evaluated | S::Closed) {
                return Err(lifecycle(kind, status));
            }
            if status != S::Completed {
                return Err(DomainError::ReportNeedsCompletion {
                    kind: report,
                    status,
                });
            }
        }
    }
    Ok(())
}

/// The commands `actor` may give on the action of `state` now: its permission
/// ([`authorize`]) and every [`precondition`]. Empty for a stream without an action, or one
/// the actor may not read.
pub fn available_commands(
    actor: &Actor,
    programme: &ProgrammeId,
    state: &ActionState,
) -> Vec<CommandKind> {
    let Some(a) = state.action.as_ref() else {
        return Vec::new();
    };
    if permissions::access(actor, a.holder.as_str(), a.status) == ActionAccess::Hidden {
        return Vec::new();
    }
    CommandKind::offered(permissions::Place::Action)
        .filter(|&kind| {
            authorize(actor, kind, programme, Some(&a.holder)).is_ok()
                && precondition(a, kind, None).is_ok()
        })
        .collect()
}

/// The kinds of report the action of `state` may receive now (with `submitReport`).
pub fn available_report_kinds(state: &ActionState) -> Vec<ReportKind> {
    let Some(a) = state.action.as_ref() else {
        return Vec::new();
    };
    [ReportKind::Interim, ReportKind::Final]
        .into_iter()
        .filter(|&k| report_precondition(a, k).is_ok())
        .collect()
}

/// Not too many lines, no funder twice; the sum stays within rule 1.
fn check_lines(lines: &[MoneyLine], what: &'static str) -> Result<Money, DomainError> {
    check_length(what, lines, bounds::MAX_MONEY_LINES)?;
    let mut seen = BTreeSet::new();
    for l in lines {
        if !seen.insert(&l.funder) {
            return Err(DomainError::DuplicateFunder(l.funder.clone()));
        }
    }
    Money::checked_sum(lines.iter().map(|l| l.amount)).ok_or(DomainError::MoneyOverflow { what })
}

/// Rule 19, then the end not before the start.
fn check_period(start: NaiveDate, end: NaiveDate, ctx: &Context) -> Result<(), DomainError> {
    let range = ctx.date_range();
    range.check("début de la période", start)?;
    range.check("fin de la période", end)?;
    if end < start {
        Err(DomainError::PeriodInvalid { start, end })
    } else {
        Ok(())
    }
}

fn check_axes(
    facts: &ProgrammeFacts,
    axis: &AxisCode,
    secondary: &[AxisCode],
) -> Result<(), DomainError> {
    check_length("axes secondaires", secondary, bounds::MAX_SECONDARY_AXES)?;
    let mut seen = BTreeSet::new();
    for code in std::iter::once(axis).chain(secondary) {
        if !seen.insert(code) {
            return Err(DomainError::DuplicateAxis(code.clone()));
        }
        match facts.axis(code) {
            None => return Err(DomainError::NotFound(Missing::Axis(code.clone()))),
            Some(a) if a.retired => return Err(DomainError::AxisRetired(code.clone())),
            Some(_) => {}
        }
    }
    Ok(())
}

fn check_funders(facts: &ProgrammeFacts, lines: &[MoneyLine]) -> Result<(), DomainError> {
    match lines.iter().find(|l| !facts.has_funder(&l.funder)) {
        Some(l) => Err(DomainError::NotFound(Missing::Funder(l.funder.clone()))),
        None => Ok(()),
    }
}

fn check_indicators(defs: &[IndicatorDef]) -> Result<(), DomainError> {
    check_length("indicateurs", defs, bounds::MAX_INDICATORS)?;
    let mut seen = BTreeSet::new();
    for def in defs {
        if !seen.insert(&def.code) {
            return Err(DomainError::DuplicateIndicator(def.code.clone()));
        }
        if def.target.is_some_and(|t| !t.is_finite()) {
            return Err(DomainError::MeasureNotFinite);
        }
    }
    Ok(())
}

/// Rule 2: the requested amounts never exceed the total cost; above the cap, a warning.
fn check_request(
    total_cost: Money,
    requested: &[MoneyLine],
    cap_permille: u16,
) -> Result<Vec<Warning>, DomainError> {
    let sum = check_lines(requested, "montants demandés")?;
    if !requested.iter().any(|l| !l.amount.is_zero()) {
        return Err(DomainError::ZeroAmount {
            field: "montants demandés",
        });
    }
    if sum > total_cost {
        return Err(DomainError::RequestedExceedsCost {
            requested: sum,
            total_cost,
        });
    }
    let above_cap =
        i128::from(sum.cents()) * 1000 > i128::from(total_cost.cents()) * i128::from(cap_permille);
    Ok(if above_cap {
        vec![Warning::RequestAboveCap {
            requested: sum,
            total_cost,
            cap_permille,
        }]
    } else {
        Vec::new()
    })
}

/// Rule 5: per funder at most what was requested, and something when RETAINED; nothing when
/// DEFERRED or REJECTED.
fn check_retained(
    a: &Action,
    outcome: DecisionOutcome,
    retained: &[MoneyLine],
) -> Result<(), DomainError> {
    check_lines(retained, "montants retenus")?;
    if outcome != DecisionOutcome::Retained {
        if retained.iter().any(|l| !l.amount.is_zero()) {
            return Err(DomainError::AmountsWithoutRetention { outcome });
        }
        return Ok(());
    }
    for l in retained {
        let requested = amount_for(&a.requested, &l.funder);
        if l.amount > requested {
            return Err(DomainError::RetainedExceedsRequested {
                funder: l.funder.clone(),
                requested,
                retained: l.amount,
            });
        }
    }
    if retained.iter().all(|l| l.amount.is_zero()) {
        return Err(DomainError::RetainedNothing);
    }
    Ok(())
}

/// The facts of `session` the context carries; NOT_FOUND when it names another one.
fn session_facts<'a>(
    ctx: &'a Context,
    session: &SessionId,
) -> Result<&'a SessionFacts, DomainError> {
    ctx.session
        .as_ref()
        .filter(|s| &s.id == session)
        .ok_or_else(|| DomainError::NotFound(Missing::Session(session.clone())))
}

fn programme_facts(ctx: &Context) -> Result<&ProgrammeFacts, DomainError> {
    ctx.programme_facts
        .as_ref()
        .ok_or_else(|| DomainError::NotFound(Missing::Programme(ctx.programme.clone())))
}

fn next_decision_no(a: &Action) -> u32 {
    let highest = a.decisions.iter().map(|d| d.number).max().unwrap_or(0);
    highest.saturating_add(1)
}

/// What every command on an existing action is decided with, once its permission, existence
/// and effective date are settled: the action, the command's row of permissions, the status,
/// the effective date and the context.
#[derive(Clone, Copy)]
struct Decision<'a> {
    a: &'a Action,
    kind: CommandKind,
    status: ActionStatus,
    on: NaiveDate,
    ctx: &'a Context,
}

/// `requestComplements` on an existing action.
fn request_complements(items: &[Title]) -> Result<ActionEvent, DomainError> {
    if items.is_empty() {
        return Err(DomainError::EmptyList {
            field: "compléments demandés",
        });
    }
    check_list(
        "compléments demandés",
        items,
        bounds::MAX_COMPLEMENT_ITEMS,
        show,
    )?;
    Ok(ComplementsRequested {
        items: items.to_vec(),
    }
    .into())
}

/// `provideComplements` on an existing action.
fn provide_complements(note: &Note) -> Result<ActionEvent, DomainError> {
    Ok(ComplementsProvided { note: note.clone() }.into())
}

/// `withdrawAction` on an existing action.
fn withdraw_action(reason: &Note) -> Result<ActionEvent, DomainError> {
    Ok(ActionWithdrawn {
        reason: reason.clone(),
    }
    .into())
}

/// `giveOpinion` on an existing action.
fn give_opinion(
    d: Decision<'_>,
    session: &SessionId,
    opinion: &Opinion,
    proposed: &[MoneyLine],
    comment: &Option<Note>,
) -> Result<ActionEvent, DomainError> {
    let Decision { a, .. } = d;
    if a.opinions.iter().any(|o| &o.session == session) {
        return Err(DomainError::OpinionAlreadyGiven {
            session: session.clone(),
        });
    }
    check_lines(proposed, "montants proposés")?;
    for l in proposed {
        let requested = amount_for(&a.requested, &l.funder);
        if l.amount > requested {
            return Err(DomainError::ProposedExceedsRequested {
                funder: l.funder.clone(),
                requested,
                proposed: l.amount,
            });
        }
    }
    Ok(OpinionGiven {
        session: session.clone(),
        opinion: *opinion,
        proposed: proposed.to_vec(),
        comment: comment.clone(),
    }
    .into())
}

/// One action's decision of `recordCopilDecisions`.
fn take_copil_decision(
    d: Decision<'_>,
    session: &SessionId,
    outcome: &DecisionOutcome,
    retained: &[MoneyLine],
    reason: &Option<Note>,
) -> Result<ActionEvent, DomainError> {
    let Decision { a, .. } = d;
    if let Some(d) = a.decisions.iter().find(|d| &d.session == session) {
        return Err(DomainError::AlreadyDecidedAtSession {
            session: session.clone(),
            decision_no: d.number,
        });
    }
    check_retained(a, *outcome, retained)?;
    Ok(CopilDecisionTaken {
        session: session.clone(),
        decision_no: next_decision_no(a),
        outcome: *outcome,
        retained: retained.to_vec(),
        reason: reason.clone(),
    }
    .into())
}

/// `reviseDecision` on an existing action.
fn revise_decision(
    d: Decision<'_>,
    session: &SessionId,
    outcome: &DecisionOutcome,
    retained: &[MoneyLine],
    reason: &Note,
) -> Result<ActionEvent, DomainError> {
    let Decision {
        a,
        kind,
        status,
        on,
        ..
    } = d;
    let Some(current) = a.decision() else {
        return Err(lifecycle(kind, status));
    };
    if on < current.decided_on {
        return Err(DomainError::DecisionRevisionInvalid(
            RevisionProblem::EarlierSession {
                session_date: on,
                decided_on: current.decided_on,
            },
        ));
    }
    check_retained(a, *outcome, retained)?;
    let granted = a.total(|l| l.granted);
    if *outcome != DecisionOutcome::Retained && !granted.is_zero() {
        return Err(DomainError::DecisionRevisionInvalid(
            RevisionProblem::GrantsExist {
                outcome: *outcome,
                granted,
            },
        ));
    }
    for l in a.money.iter().filter(|l| !l.granted.is_zero()) {
        let new = amount_for(retained, &l.funder);
        if new < l.granted {
            return Err(DomainError::DecisionRevisionInvalid(
                RevisionProblem::BelowGranted {
                    funder: l.funder.clone(),
                    granted: l.granted,
                    retained: new,
                },
            ));
        }
    }
    Ok(DecisionRevised {
        session: session.clone(),
        decision_no: next_decision_no(a),
        supersedes: current.number,
        outcome: *outcome,
        retained: retained.to_vec(),
        reason: reason.clone(),
    }
    .into())
}

/// `awardGrant` on an existing action.
fn award_grant(
    d: Decision<'_>,
    grant: &GrantId,
    funder: &FunderId,
    year: &Year,
    amount: &Money,
    act: &Act,
) -> Result<ActionEvent, DomainError> {
    let Decision { a, ctx, .. } = d;
    ctx.date_range()
        .check_year("exercice de l'attribution", *year)?;
    if amount.is_zero() {
        return Err(DomainError::ZeroAmount {
            field: "attribution",
        });
    }
    if a.grants.iter().any(|g| &g.id == grant) {
        return Err(DomainError::GrantIdTaken(grant.clone()));
    }
    if let Some(g) = a.grant_of(funder) {
        return Err(DomainError::GrantAlreadyAwarded {
            funder: funder.clone(),
            grant: g.id.clone(),
        });
    }
    let line = a.line(funder);
    if line.refused {
        return Err(DomainError::GrantAlreadyRefused {
            funder: funder.clone(),
        });
    }
    let room = line.retained.saturating_sub(line.granted);
    if *amount > room {
        return Err(DomainError::GrantExceedsRetained {
            funder: funder.clone(),
            retained: line.retained,
            already_granted: line.granted,
            requested: *amount,
        });
    }
    if let Some(env) = ctx.envelope
        && env
            .granted
            .checked_add(*amount)
            .is_none_or(|t| t > env.amount)
    {
        return Err(DomainError::GrantExceedsEnvelope {
            funder: funder.clone(),
            year: *year,
            envelope: env.amount,
            already_granted: env.granted,
            requested: *amount,
        });
    }
    // Rule 6's convention: this funder's grants to the holder for the year, over all its
    // actions, when the holder is of private law (or of unknown legal form).
    let private_law = ctx
        .holder
        .as_ref()
        .is_none_or(|h| h.legal_form.private_law());
    let already_granted = ctx.partner_granted.unwrap_or(Money::ZERO);
    let total = already_granted.checked_add(*amount);
    if private_law
        && total.is_none_or(|t| t > CONVENTION_THRESHOLD)
        && act.kind != ActKind::Convention
    {
        return Err(DomainError::ConventionRequired {
            amount: *amount,
            act: act.kind,
            funder: funder.clone(),
            holder: a.holder.clone(),
            year: *year,
            already_granted,
        });
    }
    Ok(GrantAwarded {
        grant: grant.clone(),
        funder: funder.clone(),
        year: *year,
        amount: *amount,
        act: act.clone(),
    }
    .into())
}

/// `refuseGrant` on an existing action.
fn refuse_grant(
    d: Decision<'_>,
    funder: &FunderId,
    reason: &Note,
) -> Result<ActionEvent, DomainError> {
    let Decision { a, .. } = d;
    if !a.money.iter().any(|l| &l.funder == funder) {
        return Err(DomainError::NotFound(Missing::Funder(funder.clone())));
    }
    if let Some(g) = a.grant_of(funder) {
        return Err(DomainError::GrantAlreadyAwarded {
            funder: funder.clone(),
            grant: g.id.clone(),
        });
    }
    if a.line(funder).refused {
        return Err(DomainError::GrantAlreadyRefused {
            funder: funder.clone(),
        });
    }
    Ok(GrantRefused {
        funder: funder.clone(),
        reason: reason.clone(),
    }
    .into())
}

/// `recordPayment` on an existing action.
fn record_payment(
    d: Decision<'_>,
    payment: &PaymentId,
    funder: &FunderId,
    amount: &Money,
    payment_kind: &PaymentKind,
) -> Result<ActionEvent, DomainError> {
    let Decision { a, on, .. } = d;
    if amount.is_zero() {
        return Err(DomainError::ZeroAmount { field: "versement" });
    }
    if a.payment(payment).is_some() {
        return Err(DomainError::PaymentIdTaken(payment.clone()));
    }
    let line = a.line(funder);
    if *amount > line.granted.saturating_sub(line.paid) {
        return Err(DomainError::PaymentExceedsGranted {
            funder: funder.clone(),
            granted: line.granted,
            already_paid: line.paid,
            requested: *amount,
        });
    }
    if let Some(g) = a.grant_of(funder)
        && on < g.act.signed_on
    {
        return Err(DomainError::PaymentBeforeGrant {
            funder: funder.clone(),
            paid_on: on,
            signed_on: g.act.signed_on,
        });
    }
    Ok(PaymentRecorded {
        payment: payment.clone(),
        funder: funder.clone(),
        amount: *amount,
        kind: *payment_kind,
    }
    .into())
}

/// `cancelPayment` on an existing action.
fn cancel_payment(
    d: Decision<'_>,
    payment: &PaymentId,
    reason: &Note,
) -> Result<ActionEvent, DomainError> {
    let Decision { a, .. } = d;
    let Some(p) = a.payment(payment) else {
        return Err(DomainError::NotFound(Missing::Payment(payment.clone())));
    };
    if p.cancelled {
        return Err(DomainError::PaymentAlreadyCancelled {
            payment: payment.clone(),
        });
    }
    let line = a.line(&p.funder);
    let paid_after = line.paid.saturating_sub(p.amount);
    if line.repayment_requested > paid_after {
        return Err(DomainError::CancelBelowRepayments {
            payment: payment.clone(),
            funder: p.funder.clone(),
            paid_after,
            repayment_requested: line.repayment_requested,
        });
    }
    Ok(PaymentCancelled {
        payment: payment.clone(),
        reason: reason.clone(),
    }
    .into())
}

/// `startAction` on an existing action.
fn start_action() -> Result<ActionEvent, DomainError> {
    Ok(ActionStarted {}.into())
}

/// `changePeriod` on an existing action.
fn change_period(
    d: Decision<'_>,
    period_start: &NaiveDate,
    period_end: &NaiveDate,
    reason: &Note,
) -> Result<ActionEvent, DomainError> {
    let Decision { a, ctx, .. } = d;
    check_period(*period_start, *period_end, ctx)?;
    if *period_start == a.period_start && *period_end == a.period_end {
        return Err(DomainError::NothingToChange);
    }
    Ok(PeriodChanged {
        period_start: *period_start,
        period_end: *period_end,
        reason: reason.clone(),
    }
    .into())
}

/// `completeAction` on an existing action.
fn complete_action(d: Decision<'_>, completed_on: &NaiveDate) -> Result<ActionEvent, DomainError> {
    let Decision { a, .. } = d;
    if let Some(started_on) = a.started_on
        && *completed_on < started_on
    {
        return Err(DomainError::CompletedBeforeStart {
            started_on,
            completed_on: *completed_on,
        });
    }
    Ok(ActionCompleted {}.into())
}

/// `attestNonRealisation` on an existing action.
fn attest_non_realisation(reason: &Note) -> Result<ActionEvent, DomainError> {
    Ok(NonRealisationAttested {
        reason: reason.clone(),
    }
    .into())
}

/// `requestRepayment` on an existing action.
fn request_repayment(
    d: Decision<'_>,
    funder: &FunderId,
    amount: &Money,
    reason: &Note,
) -> Result<ActionEvent, DomainError> {
    let Decision { a, .. } = d;
    if amount.is_zero() {
        return Err(DomainError::ZeroAmount {
            field: "reversement demandé",
        });
    }
    let line = a.line(funder);
    if *amount > line.paid.saturating_sub(line.repayment_requested) {
        return Err(DomainError::RepaymentExceedsPaid {
            funder: funder.clone(),
            paid: line.paid,
            already_requested: line.repayment_requested,
            requested: *amount,
        });
    }
    Ok(RepaymentRequested {
        funder: funder.clone(),
        amount: *amount,
        reason: reason.clone(),
    }
    .into())
}

/// `recordRepayment` on an existing action.
fn record_repayment(
    d: Decision<'_>,
    funder: &FunderId,
    amount: &Money,
) -> Result<ActionEvent, DomainError> {
    let Decision { a, .. } = d;
    if amount.is_zero() {
        return Err(DomainError::ZeroAmount {
            field: "reversement reçu",
        });
    }
    let line = a.line(funder);
    if *amount > line.repayment_requested.saturating_sub(line.repaid) {
        return Err(DomainError::RepaymentExceedsRequested {
            funder: funder.clone(),
            requested: line.repayment_requested,
            already_received: line.repaid,
            received: *amount,
        });
    }
    Ok(RepaymentReceived {
        funder: funder.clone(),
        amount: *amount,
    }
    .into())
}

/// `submitReport` on an existing action.
fn submit_report(
    report_kind: &ReportKind,
    spent: &Money,
    narrative: &Narrative,
    beneficiaries: &[BeneficiaryCount],
) -> Result<ActionEvent, DomainError> {
    check_beneficiaries(beneficiaries)?;
    Ok(ReportSubmitted {
        kind: *report_kind,
        beneficiaries: beneficiaries.to_vec(),
        spent: *spent,
        narrative: narrative.clone(),
    }
    .into())
}

/// `measureIndicator` on an existing action.
fn measure_indicator(
    d: Decision<'_>,
    code: &IndicatorCode,
    value: &f64,
) -> Result<ActionEvent, DomainError> {
    let Decision { a, .. } = d;
    if !value.is_finite() {
        return Err(DomainError::MeasureNotFinite);
    }
    if !a.indicators.iter().any(|r| &r.def.code == code) {
        return Err(DomainError::IndicatorNotPlanned(code.clone()));
    }
    Ok(IndicatorMeasured {
        code: code.clone(),
        value: *value,
    }
    .into())
}

/// `evaluateAction` on an existing action.
fn evaluate_action(
    rating: &Rating,
    findings: &Narrative,
    recommendation: &Recommendation,
) -> Result<ActionEvent, DomainError> {
    Ok(ActionEvaluated {
        rating: *rating,
        findings: findings.clone(),
        recommendation: *recommendation,
    }
    .into())
}

/// `closeAction` on an existing action: every requested repayment received, and a
/// non-realisation, an evaluation, or a final report reviewed ACCEPTED (rule 8).
fn close_action() -> Result<ActionEvent, DomainError> {
    Ok(ActionClosed {}.into())
}

/// `extendReportDeadline` (rule 14): only while the final report is due, to a later date.
fn extend_report_deadline(
    d: Decision<'_>,
    due_on: &NaiveDate,
    reason: &Note,
) -> Result<ActionEvent, DomainError> {
    let Decision { a, ctx, .. } = d;
    ctx.date_range().check("nouvelle échéance", *due_on)?;
    let current = a.report_due_date();
    if *due_on <= current {
        return Err(DomainError::DeadlineInvalid(DeadlineProblem::NotLater {
            due_on: *due_on,
            current,
        }));
    }
    Ok(ReportDeadlineExtended {
        due_on: *due_on,
        reason: reason.clone(),
    }
    .into())
}

/// `reviewFinalReport` (rule 14): only when REPORTED and not yet reviewed since its last final
/// report.
fn review_final_report(
    verdict: &ReportVerdict,
    comment: &Option<Note>,
) -> Result<ActionEvent, DomainError> {
    Ok(FinalReportReviewed {
        verdict: *verdict,
        comment: comment.clone(),
    }
    .into())
}

/// Rule 15: `renews` names an action of the programme, of an earlier year, not already renewed
/// by another action that is not WITHDRAWN or REJECTED.
fn check_renewal(renewed: &ActionId, year: Year, ctx: &Context) -> Result<(), DomainError> {
    let invalid = |problem| DomainError::RenewalInvalid {
        renewed: renewed.clone(),
        problem,
    };
    // An action the proposer may not read (another partner's, not yet retained) is, to it, an
    // action that does not exist.
    let Some(facts) = ctx.renewal.as_ref().filter(|f| {
        &f.id == renewed
            && permissions::access(&ctx.actor, f.holder.as_str(), f.status) != ActionAccess::Hidden
    }) else {
        return Err(invalid(RenewalProblem::NotInProgramme));
    };
    if facts.year >= year {
        return Err(invalid(RenewalProblem::NotEarlier {
            renewed_year: facts.year,
            year,
        }));
    }
    if let Some((by, _)) = facts
        .renewed_by
        .iter()
        .find(|(_, status)| !matches!(status, ActionStatus::Withdrawn | ActionStatus::Rejected))
    {
        return Err(invalid(RenewalProblem::AlreadyRenewed { by: by.clone() }));
    }
    Ok(())
}

/// Whether an evaluated action's recommendation was followed (DOMAIN.md, "Renewals"): RENEW or
/// ADJUST and renewed by an action RETAINED or later, or STOP and not so renewed; `None` while a
/// renewal awaits its decision, or for an action not evaluated.
pub fn recommendation_followed(
    recommendation: Option<Recommendation>,
    renewals: impl IntoIterator<Item = ActionStatus>,
) -> Option<bool> {
    let recommendation = recommendation?;
    let mut retained = false;
    let mut awaiting = false;
    for status in renewals {
        use ActionStatus as S;
        match status {
            S::Proposed | S::ComplementsRequested | S::UnderReview | S::Deferred => awaiting = true,
            S::Withdrawn | S::Rejected => {}
            _ => retained = true,
        }
    }
    if retained {
        return Some(recommendation != Recommendation::Stop);
    }
    if awaiting {
        return None;
    }
    Some(recommendation == Recommendation::Stop)
}

/// `amendGrant`, an avenant (rule 6 at the new amount): within what was retained, the envelope
/// and the convention rule, and never below what was paid.
fn amend_grant(
    d: Decision<'_>,
    grant: &GrantId,
    amount: &Money,
    reference: &Title,
    reason: &Note,
) -> Result<ActionEvent, DomainError> {
    let Decision { a, ctx, .. } = d;
    let Some(g) = a.grants.iter().find(|g| &g.id == grant) else {
        return Err(DomainError::NotFound(Missing::Grant(grant.clone())));
    };
    if amount.is_zero() {
        return Err(DomainError::ZeroAmount { field: "avenant" });
    }
    if *amount == g.amount {
        return Err(DomainError::NothingToChange);
    }
    let line = a.line(&g.funder);
    let others = line.granted.saturating_sub(g.amount);
    if amount.saturating_add(others) > line.retained {
        return Err(DomainError::GrantExceedsRetained {
            funder: g.funder.clone(),
            retained: line.retained,
            already_granted: others,
            requested: *amount,
        });
    }
    if *amount < line.paid {
        return Err(DomainError::GrantBelowPaid {
            grant: grant.clone(),
            paid: line.paid,
            amount: *amount,
        });
    }
    if let Some(env) = ctx.envelope {
        let already = env.granted.saturating_sub(g.amount);
        if already.checked_add(*amount).is_none_or(|t| t > env.amount) {
            return Err(DomainError::GrantExceedsEnvelope {
                funder: g.funder.clone(),
                year: g.year,
                envelope: env.amount,
                already_granted: already,
                requested: *amount,
            });
        }
    }
    let legal_form = ctx
        .holder
        .as_ref()
        .map_or(LegalForm::Unknown, |h| h.legal_form);
    let already_granted = ctx
        .partner_granted
        .unwrap_or(g.amount)
        .saturating_sub(g.amount);
    if convention_required(legal_form, already_granted, *amount)
        && g.act.kind != ActKind::Convention
    {
        return Err(DomainError::ConventionRequired {
            amount: *amount,
            act: g.act.kind,
            funder: g.funder.clone(),
            holder: a.holder.clone(),
            year: g.year,
            already_granted,
        });
    }
    Ok(GrantAmended {
        grant: grant.clone(),
        amount: *amount,
        reference: reference.clone(),
        reason: reason.clone(),
    }
    .into())
}

/// `cancelRepaymentRequest`: what is still to be repaid to `funder` is no longer asked for.
fn cancel_repayment_request_of(
    d: Decision<'_>,
    funder: &FunderId,
    reason: &Note,
) -> Result<ActionEvent, DomainError> {
    let Decision { a, .. } = d;
    let line = a.line(funder);
    if line.repayment_requested <= line.repaid {
        return Err(DomainError::NothingToChange);
    }
    Ok(RepaymentRequestCancelled {
        funder: funder.clone(),
        reason: reason.clone(),
    }
    .into())
}

/// `correctReport`: the report at `report` (from 0) superseded by corrected figures.
fn correct_report(
    d: Decision<'_>,
    report: u32,
    spent: &Money,
    beneficiaries: &[BeneficiaryCount],
    narrative: &Narrative,
    reason: &Note,
) -> Result<ActionEvent, DomainError> {
    let Decision { a, .. } = d;
    let Some(current) = a.reports.get(report as usize) else {
        return Err(DomainError::NotFound(Missing::Report(report)));
    };
    check_beneficiaries(beneficiaries)?;
    if current.spent == *spent
        && current.beneficiaries == beneficiaries
        && &current.narrative == narrative
    {
        return Err(DomainError::NothingToChange);
    }
    Ok(ReportCorrected {
        report,
        spent: *spent,
        beneficiaries: beneficiaries.to_vec(),
        narrative: narrative.clone(),
        reason: reason.clone(),
    }
    .into())
}

/// The warning `period_ends_after_report_due`, when a period ends after the report's due date.
fn period_ends_after_report_due(period_end: NaiveDate, due_on: NaiveDate) -> Option<Warning> {
    (period_end > due_on).then_some(Warning::PeriodEndsAfterReportDue { period_end, due_on })
}

/// Where money can be claimed back and received: once paid, until closed.
const MONEY_BACK_STATUSES: &[ActionStatus] = &[
    ActionStatus::Funded,
    ActionStatus::InProgress,
    ActionStatus::Completed,
    ActionStatus::NotRealised,
    ActionStatus::Reported,
    ActionStatus::Evaluated,
];

/// Each public once.
fn check_publics(publics: &[PublicKind]) -> Result<(), DomainError> {
    check_list("publics", publics, PublicKind::ALL.len(), |p| {
        p.label().to_owned()
    })
}

/// A text as a list's message shows it.
fn show<const MAX: usize>(text: &Text<MAX>) -> String {
    text.as_str().to_owned()
}

fn check_beneficiaries(cells: &[BeneficiaryCount]) -> Result<(), DomainError> {
    let mut seen = BTreeSet::new();
    for c in cells {
        if i64::from(c.count) > MAX_BENEFICIARY_COUNT {
            return Err(DomainError::BeneficiariesInvalid(
                BeneficiaryProblem::TooLarge(i64::from(c.count)),
            ));
        }
        if !seen.insert((c.public, c.age_band, c.sex, c.qpv_resident)) {
            return Err(DomainError::BeneficiariesInvalid(
                BeneficiaryProblem::DuplicateCell {
                    public: c.public,
                    age_band: c.age_band,
                    sex: c.sex,
                    qpv_resident: c.qpv_resident,
                },
            ));
        }
    }
    Ok(())
}

fn propose(
    state: &ActionState,
    p: &ActionProposed,
    option: Option<NaiveDate>,
    ctx: &Context,
) -> Result<Decided<ActionEvent>, DomainError> {
    if state.version > 0 {
        return Err(DomainError::Lifecycle {
            command: CommandKind::ProposeAction,
            stage: Stage::Exists,
        });
    }
    let facts = programme_facts(ctx)?;
    let holder = ctx
        .holder
        .as_ref()
        .filter(|h| h.id == p.holder)
        .ok_or_else(|| DomainError::NotFound(Missing::Partner(p.holder.clone())))?;
    if !holder.active {
        return Err(DomainError::PartnerInactive(p.holder.clone()));
    }
    let on = effective_date(None, option, ctx.today, None)?;
    ctx.date_range().check("date d'effet", on)?;
    check_period(p.period_start, p.period_end, ctx)?;
    ctx.date_range()
        .check_year("exercice de l'action", p.year)?;
    if ctx.reference_used(p.reference.as_str()) {
        return Err(DomainError::ReferenceAlreadyUsed {
            reference: p.reference.clone(),
        });
    }
    if let Some(renewed) = &p.renews {
        check_renewal(renewed, p.year, ctx)?;
    }
    check_axes(facts, &p.axis, &p.secondary_axes)?;
    check_publics(&p.publics)?;
    check_list("QPV", &p.qpv, bounds::MAX_QPV, show)?;
    check_list(
        "références externes",
        &p.external_refs,
        bounds::MAX_EXTERNAL_REFS,
        show,
    )?;
    check_indicators(&p.indicators)?;
    check_lines(&p.requested, "montants demandés")?;
    check_funders(facts, &p.requested)?;
    let mut warnings = check_request(p.total_cost, &p.requested, facts.request_cap_permille)?;
    warnings.extend(period_ends_after_report_due(
        p.period_end,
        default_report_due(p.year),
    ));
    Ok(Decided {
        effective_on: on,
        events: vec![p.clone().into()],
        warnings,
    })
}

/// The amendment that really changes something, checked against the merged result.
fn amend(
    a: &Action,
    changes: &ActionAmended,
    ctx: &Context,
) -> Result<(ActionAmended, Vec<Warning>), DomainError> {
    let facts = programme_facts(ctx)?;
    fn changed<T: PartialEq + Clone>(new: &Option<T>, current: &T) -> Option<T> {
        new.as_ref().filter(|v| *v != current).cloned()
    }
    let event = ActionAmended {
        title: changed(&changes.title, &a.title),
        summary: changed(&changes.summary, &a.summary),
        axis: changed(&changes.axis, &a.axis),
        secondary_axes: changed(&changes.secondary_axes, &a.secondary_axes),
        publics: changed(&changes.publics, &a.publics),
        qpv: changed(&changes.qpv, &a.qpv),
        period_start: changed(&changes.period_start, &a.period_start),
        period_end: changed(&changes.period_end, &a.period_end),
        total_cost: changed(&changes.total_cost, &a.total_cost),
        requested: changed(&changes.requested, &a.requested),
        indicators: changed(
            &changes.indicators,
            &a.indicators.iter().map(|r| r.def.clone()).collect(),
        ),
    };
    if event == ActionAmended::default() {
        return Err(DomainError::NothingToChange);
    }
    // Rule 19 for the dates the amendment changes (a period recorded before the rule stays).
    let range = ctx.date_range();
    if let Some(start) = event.period_start {
        range.check("début de la période", start)?;
    }
    if let Some(end) = event.period_end {
        range.check("fin de la période", end)?;
    }
    let (start, end) = (
        event.period_start.unwrap_or(a.period_start),
        event.period_end.unwrap_or(a.period_end),
    );
    if end < start {
        return Err(DomainError::PeriodInvalid { start, end });
    }
    if let Some(publics) = &event.publics {
        check_publics(publics)?;
    }
    if let Some(qpv) = &event.qpv {
        check_list("QPV", qpv, bounds::MAX_QPV, show)?;
    }
    if event.axis.is_some() || event.secondary_axes.is_some() {
        check_axes(
            facts,
            event.axis.as_ref().unwrap_or(&a.axis),
            event.secondary_axes.as_ref().unwrap_or(&a.secondary_axes),
        )?;
    }
    if let Some(defs) = &event.indicators {
        check_indicators(defs)?;
    }
    let mut warnings = Vec::new();
    if event.total_cost.is_some() || event.requested.is_some() {
        let requested = event.requested.as_ref().unwrap_or(&a.requested);
        check_lines(requested, "montants demandés")?;
        check_funders(facts, requested)?;
        warnings = check_request(
            event.total_cost.unwrap_or(a.total_cost),
            requested,
            facts.request_cap_permille,
        )?;
    }
    if let Some(period_end) = event.period_end {
        warnings.extend(period_ends_after_report_due(
            period_end,
            a.report_due_date(),
        ));
    }
    Ok((event, warnings))
}

/// `recordCopilDecisions`: decides every action of `command` at its session, atomically.
///
/// `actions` holds the folded state of each action named (the command service loads them
/// all); the context carries the session's facts. Returns the events per action, every one
/// effective on the session's date, or [`DomainError::Decisions`] listing each failing action
/// with its reason. The permission is checked once, for the whole call.
pub fn decide_copil_decisions(
    actions: &BTreeMap<ActionId, ActionState>,
    command: &Command<RecordCopilDecisions>,
    ctx: &Context,
) -> Result<Vec<(ActionId, Decided<ActionEvent>)>, DomainError> {
    authorize(
        &ctx.actor,
        CommandKind::RecordCopilDecisions,
        &ctx.programme,
        ctx.actor.partner.as_ref(),
    )?;
    let decisions = &command.command.decisions;
    if decisions.is_empty() {
        return Err(DomainError::EmptyList {
            field: "décisions"
        });
    }
    check_length("décisions", decisions, bounds::MAX_DECISIONS)?;
    let mut seen = BTreeSet::new();
    for d in decisions {
        if !seen.insert(&d.action) {
            return Err(DomainError::DuplicateAction(d.action.clone()));
        }
    }
    let mut decided = Vec::with_capacity(decisions.len());
    let mut failures = Vec::new();
    for d in decisions {
        let one = Command {
            command: ActionCommand::TakeCopilDecision {
                session: command.command.session.clone(),
                outcome: d.outcome,
                retained: d.retained.clone(),
                reason: d.reason.clone(),
            },
            effective_on: command.effective_on,
        };
        let result = match actions.get(&d.action) {
            Some(state) => ActionDecider::decide(state, &one, ctx).map_err(|e| match e {
                DomainError::NotFound(Missing::Target(StreamKind::Action)) => {
                    DomainError::NotFound(Missing::Action(d.action.clone()))
                }
                other => other,
            }),
            None => Err(DomainError::NotFound(Missing::Action(d.action.clone()))),
        };
        match result {
            Ok(events) => decided.push((d.action.clone(), events)),
            Err(error) => failures.push(ActionFailure {
                action: d.action.clone(),
                error,
            }),
        }
    }
    if failures.is_empty() {
        Ok(decided)
    } else {
        Err(DomainError::Decisions(failures))
    }
}

/// The action stream as a [`Decider`].
pub struct ActionDecider;

impl Decider for ActionDecider {
    type Id = ActionId;
    type State = ActionState;
    type Command = ActionCommand;
    type Event = ActionEvent;

    fn stream(programme: &ProgrammeId, id: &ActionId) -> StreamRef {
        StreamRef::Action(programme.clone(), id.clone())
    }

    fn version(state: &ActionState) -> u64 {
        state.version
    }

    /// A grant also needs the holder's legal form and what the funder already granted to it
    /// for the year (rule 6's convention).
    fn needs(state: &ActionState, command: &ActionCommand) -> Needs {
        let mut needs = command.needs();
        let Some(action) = state.action.as_ref() else {
            return needs;
        };
        let funder_year = match command {
            ActionCommand::AwardGrant { funder, year, .. } => Some((funder.clone(), *year)),
            ActionCommand::AmendGrant { grant, .. } => action
                .grants
                .iter()
                .find(|g| &g.id == grant)
                .map(|g| (g.funder.clone(), g.year)),
            _ => None,
        };
        if let Some((funder, year)) = funder_year {
            needs.programme = true;
            needs.envelope = Some((funder.clone(), year));
            needs.holder = Some(action.holder.clone());
            needs.partner_grants = Some((action.holder.clone(), funder, year));
        }
        needs
    }

    fn command_kind(command: &ActionCommand) -> CommandKind {
        command.kind()
    }

    fn holder(state: &ActionState, command: &ActionCommand) -> Option<PartnerId> {
        match (command, state.action.as_ref()) {
            (ActionCommand::ProposeAction(proposal), _) => Some(proposal.holder.clone()),
            (_, Some(action)) => Some(action.holder.clone()),
            (_, None) => None,
        }
    }

    /// An action the actor may not read (another partner's action not yet retained, for a
    /// PORTEUR or an OBSERVER) is, to it, an action that does not exist: every answer it gets
    /// (NOT_FOUND, FORBIDDEN for its role, CONFLICT with version 0) is the one an unknown id
    /// gets, and names no holder. A proposal still sees the stream: its id is taken either way.
    fn hidden_from(actor: &Actor, state: &ActionState, command: &ActionCommand) -> bool {
        !matches!(command, ActionCommand::ProposeAction(_))
            && state.action.as_ref().is_some_and(|action| {
                permissions::access(actor, action.holder.as_str(), action.status)
                    == ActionAccess::Hidden
            })
    }

    /// A payment's id is `v{n}` and a grant's `g{n}`, one more than the action already has; a
    /// proposal whose reference is [`placeholder_reference`] gets the next `{year}-{n:03}` of its
    /// programme, skipping a reference already used (rule 18).
    fn assign_ids(command: &mut ActionCommand, state: &ActionState, context: &Context) {
        let Some(action) = state.action.as_ref() else {
            if let ActionCommand::ProposeAction(proposal) = command
                && proposal.reference == placeholder_reference()
            {
                let n = context.actions_of_year(proposal.year);
                proposal.reference =
                    next_reference(proposal.year, n, |r| context.reference_used(r));
            }
            return;
        };
        match command {
            ActionCommand::RecordPayment { payment, .. } => {
                *payment = PaymentId::parse(&format!("v{}", action.payments.len() + 1))
                    .unwrap_or_else(|_| unreachable!("v and a number make a valid id"));
            }
            ActionCommand::AwardGrant { grant, .. } => {
                *grant = GrantId::parse(&format!("g{}", action.grants.len() + 1))
                    .unwrap_or_else(|_| unreachable!("g and a number make a valid id"));
            }
            _ => {}
        }
    }

    fn texts(command: &ActionCommand) -> Vec<&str> {
        use ActionCommand::*;
        match command {
            ProposeAction(p) => vec![p.title.as_str(), p.summary.as_str()],
            AmendAction(a) => a
                .title
                .iter()
                .map(|t| t.as_str())
                .chain(a.summary.iter().map(|s| s.as_str()))
                .collect(),
            RequestComplements { items } => items.iter().map(|i| i.as_str()).collect(),
            ProvideComplements { note } => vec![note.as_str()],
            GiveOpinion { comment, .. } => comment.iter().map(|c| c.as_str()).collect(),
            TakeCopilDecision { reason, .. } => reason.iter().map(|r| r.as_str()).collect(),
            WithdrawAction { reason }
            | ReviseDecision { reason, .. }
            | RefuseGrant { reason, .. }
            | CancelPayment { reason, .. }
            | ChangePeriod { reason, .. }
            | AttestNonRealisation { reason }
            | RequestRepayment { reason, .. } => vec![reason.as_str()],
            AwardGrant { act, .. } => vec![act.reference.as_str()],
            SubmitReport { narrative, .. } => vec![narrative.as_str()],
            EvaluateAction { findings, .. } => vec![findings.as_str()],
            ExtendReportDeadline { reason, .. } => vec![reason.as_str()],
            ReviewFinalReport { comment, .. } => comment.iter().map(|c| c.as_str()).collect(),
            AmendGrant {
                reference, reason, ..
            } => vec![reference.as_str(), reason.as_str()],
            CancelRepaymentRequest { reason, .. } => vec![reason.as_str()],
            CorrectReport {
                narrative, reason, ..
            } => vec![narrative.as_str(), reason.as_str()],
            RecordPayment { .. }
            | StartAction { .. }
            | CompleteAction { .. }
            | RecordRepayment { .. }
            | MeasureIndicator { .. }
            | CloseAction => Vec::new(),
        }
    }

    /// Decides an action command: permissions, existence, the effective date (rule 12), then the
    /// rules of the command.
    fn rules(
        state: &ActionState,
        command: &Command<ActionCommand>,
        ctx: &Context,
    ) -> Result<Decided<ActionEvent>, DomainError> {
        let kind = command.command.kind();
        if let ActionCommand::ProposeAction(p) = &command.command {
            authorize(&ctx.actor, kind, &ctx.programme, Some(&p.holder))?;
            return propose(state, p, command.effective_on, ctx);
        }
        let Some(a) = state.action.as_ref() else {
            // Answer FORBIDDEN before NOT_FOUND for a role that may not give the command at all.
            authorize(&ctx.actor, kind, &ctx.programme, ctx.actor.partner.as_ref())?;
            return Err(DomainError::NotFound(Missing::Target(StreamKind::Action)));
        };
        authorize(&ctx.actor, kind, &ctx.programme, Some(&a.holder))?;
        let report = match &command.command {
            ActionCommand::SubmitReport { kind, .. } => Some(*kind),
            _ => None,
        };
        precondition(a, kind, report)?;
        let funders = command.command.named_funders();
        if !funders.is_empty() {
            let facts = programme_facts(ctx)?;
            if let Some(unknown) = funders.into_iter().find(|f| !facts.has_funder(f)) {
                return Err(DomainError::NotFound(Missing::Funder(unknown.clone())));
            }
        }

        use ActionCommand::*;
        let status = a.status;
        // Session rules (rule 4) come before the date, which is the session's.
        match &command.command {
            GiveOpinion { session, .. }
            | TakeCopilDecision { session, .. }
            | ReviseDecision { session, .. } => {
                crate::session::precondition(session_facts(ctx, session)?, kind)?;
            }
            _ => {}
        }
        let on = effective_date(
            command.command.named_date(ctx.session.as_ref()),
            command.effective_on,
            ctx.today,
            state.first_effective_on,
        )?;
        // Rule 19; commands without the programme's facts are bounded below by the stream's first
        // event (rule 12), itself in range.
        if ctx.programme_facts.is_some() {
            ctx.date_range()
                .check(command.command.named_date_label(), on)?;
        }
        let d = Decision {
            a,
            kind,
            status,
            on,
            ctx,
        };
        let mut warnings = Vec::new();
        let event: ActionEvent = match &command.command {
            ProposeAction(_) => unreachable!("handled above"),
            AmendAction(changes) => {
                let (event, w) = amend(a, changes, ctx)?;
                warnings = w;
                event.into()
            }
            RequestComplements { items } => request_complements(items)?,
            ProvideComplements { note } => provide_complements(note)?,
            WithdrawAction { reason } => withdraw_action(reason)?,
            GiveOpinion {
                session,
                opinion,
                proposed,
                comment,
            } => give_opinion(d, session, opinion, proposed, comment)?,
            TakeCopilDecision {
                session,
                outcome,
                retained,
                reason,
            } => take_copil_decision(d, session, outcome, retained, reason)?,
            ReviseDecision {
                session,
                outcome,
                retained,
                reason,
            } => revise_decision(d, session, outcome, retained, reason)?,
            AwardGrant {
                grant,
                funder,
                year,
                amount,
                act,
            } => award_grant(d, grant, funder, year, amount, act)?,
            RefuseGrant { funder, reason } => refuse_grant(d, funder, reason)?,
            RecordPayment {
                payment,
                funder,
                amount,
                kind: payment_kind,
                ..
            } => record_payment(d, payment, funder, amount, payment_kind)?,
            CancelPayment { payment, reason } => cancel_payment(d, payment, reason)?,
            StartAction { .. } => start_action()?,
            ChangePeriod {
                period_start,
                period_end,
                reason,
            } => change_period(d, period_start, period_end, reason)?,
            CompleteAction { completed_on } => complete_action(d, completed_on)?,
            AttestNonRealisation { reason } => attest_non_realisation(reason)?,
            RequestRepayment {
                funder,
                amount,
                reason,
            } => request_repayment(d, funder, amount, reason)?,
            RecordRepayment { funder, amount, .. } => record_repayment(d, funder, amount)?,
            SubmitReport {
                kind: report_kind,
                spent,
                narrative,
                beneficiaries,
            } => submit_report(report_kind, spent, narrative, beneficiaries)?,
            MeasureIndicator { code, value, .. } => measure_indicator(d, code, value)?,
            EvaluateAction {
                rating,
                findings,
                recommendation,
            } => evaluate_action(rating, findings, recommendation)?,
            CloseAction => close_action()?,
            ExtendReportDeadline { due_on, reason } => extend_report_deadline(d, due_on, reason)?,
            ReviewFinalReport { verdict, comment } => review_final_report(verdict, comment)?,
            AmendGrant {
                grant,
                amount,
                reference,
                reason,
            } => amend_grant(d, grant, amount, reference, reason)?,
            CancelRepaymentRequest { funder, reason } => {
                cancel_repayment_request_of(d, funder, reason)?
            }
            CorrectReport {
                report,
                spent,
                beneficiaries,
                narrative,
                reason,
            } => correct_report(d, *report, spent, beneficiaries, narrative, reason)?,
        };
        if let ChangePeriod { period_end, .. } = &command.command {
            warnings.extend(period_ends_after_report_due(
                *period_end,
                a.report_due_date(),
            ));
        }
        Ok(Decided {
            effective_on: on,
            events: vec![event],
            warnings,
        })
    }

    /// Folds one event. Never fails, never panics: a recorded event is a fact. An event that does
    /// not fit the state (it could only come from a bug or a hand-made log) is applied as far as it
    /// makes sense; amounts saturate at 10¹³ cents.
    fn evolve(mut state: ActionState, event: &Dated<ActionEvent>) -> ActionState {
        apply(&mut state, event.effective_on, &event.event);
        state
    }
}
