//! The view types shared by the queries, and how an action becomes an [`ActionView`] for a
//! viewer.

use super::{QueryError, check_programme};
use crate::model::{self, ActionRef, Line, ProgrammeView, Str};
use crate::visibility::{self, ActionAccess};
use chrono::NaiveDate;
use domain::action as da;
use domain::actor::Actor;
use domain::values::*;

/// A funder as the API shows it; an id never registered shows as its own name, kind OTHER.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunderView {
    pub id: FunderId,
    pub name: String,
    pub kind: FunderKind,
    pub payer: Payer,
}

impl FunderView {
    pub fn of(view: &ProgrammeView, id: &FunderId) -> FunderView {
        match view.programme.programme.as_ref().and_then(|p| p.funder(id)) {
            Some(f) => FunderView {
                id: f.id.clone(),
                name: f.name.to_string(),
                kind: f.kind,
                payer: f.payer,
            },
            None => FunderView {
                id: id.clone(),
                name: id.to_string(),
                kind: FunderKind::Other,
                payer: Payer::Other,
            },
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MoneyLineView {
    pub funder: FunderView,
    pub amount: Money,
}

/// The funder a [`Str`] names (`None` only if it is not a funder id at all).
pub(crate) fn funder_of(view: &ProgrammeView, funder: Str) -> Option<FunderView> {
    let id: FunderId = model::restore(view.str(funder))?;
    Some(FunderView::of(view, &id))
}

fn money_lines(view: &ProgrammeView, lines: &[Line]) -> Vec<MoneyLineView> {
    lines
        .iter()
        .filter_map(|l| {
            Some(MoneyLineView {
                funder: funder_of(view, l.funder)?,
                amount: l.amount,
            })
        })
        .collect()
}

pub(crate) fn money_lines_of(view: &ProgrammeView, lines: &[Line]) -> Vec<MoneyLineView> {
    money_lines(view, lines)
}

/// A partner; an unknown holder shows as its id, kind OTHER, inactive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartnerView {
    pub id: PartnerId,
    pub name: String,
    pub kind: PartnerKind,
    pub siret: Option<String>,
    pub legal_form: LegalForm,
    pub rna: Option<String>,
    pub active: bool,
    /// The version of the partner's stream.
    pub version: u64,
}

impl PartnerView {
    pub fn of(view: &ProgrammeView, id: &PartnerId) -> PartnerView {
        match view.partner(id) {
            Some(p) => PartnerView {
                id: p.id.clone(),
                name: p.name.to_string(),
                kind: p.kind,
                siret: p.siret.as_ref().map(|s| s.as_str().to_owned()),
                legal_form: p.legal_form,
                rna: p.rna.as_ref().map(|r| r.as_str().to_owned()),
                active: p.active,
                version: view.partners.get(id).map_or(0, |s| s.version),
            },
            None => PartnerView {
                id: id.clone(),
                name: id.to_string(),
                kind: PartnerKind::Other,
                siret: None,
                legal_form: LegalForm::Unknown,
                rna: None,
                active: false,
                version: 0,
            },
        }
    }
}

/// An axis; an unknown code shows as itself, objective SCHOOL_ROLE, retired.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AxisView {
    pub code: AxisCode,
    pub title: String,
    pub objective: NationalObjective,
    pub retired: bool,
}

impl AxisView {
    pub fn of(view: &ProgrammeView, code: &AxisCode) -> AxisView {
        match view.programme.programme.as_ref().and_then(|p| p.axis(code)) {
            Some(a) => AxisView {
                code: a.code.clone(),
                title: a.title.to_string(),
                objective: a.objective,
                retired: a.retired,
            },
            None => AxisView {
                code: code.clone(),
                title: code.to_string(),
                objective: NationalObjective::SchoolRole,
                retired: true,
            },
        }
    }
}

/// `FundingLine` of api.graphql. `restricted`: the viewer sees the action as an observer, so
/// `requested` and `proposed` are withheld and read 0.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FundingLineView {
    pub funder: FunderView,
    pub requested: Money,
    pub proposed: Money,
    pub retained: Money,
    pub granted: Money,
    pub paid: Money,
    pub to_pay: Money,
    pub repayment_requested: Money,
    pub repaid: Money,
    pub refused: bool,
    pub restricted: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrantView {
    pub id: GrantId,
    pub funder: FunderView,
    pub year: i32,
    pub amount: Money,
    pub act_kind: ActKind,
    pub reference: String,
    pub signed_on: NaiveDate,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentView {
    pub id: PaymentId,
    pub funder: FunderView,
    pub amount: Money,
    pub kind: PaymentKind,
    pub paid_on: NaiveDate,
    pub cancelled: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComplementView {
    pub requested_on: NaiveDate,
    pub items: Vec<String>,
    pub provided_on: Option<NaiveDate>,
    pub note: Option<String>,
}

/// `OpinionRecord`: the API resolves `session` by id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpinionView {
    pub session: SessionId,
    pub opinion: Opinion,
    pub proposed: Vec<MoneyLineView>,
    pub comment: Option<String>,
    pub given_on: NaiveDate,
}

/// `DecisionRecord`: the decision in force; the API resolves `session` by id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecisionView {
    pub session: SessionId,
    pub number: u32,
    pub outcome: DecisionOutcome,
    pub retained: Vec<MoneyLineView>,
    pub reason: Option<String>,
    pub decided_on: NaiveDate,
    /// It is a revision (`DecisionRevised`).
    pub revised: bool,
}

/// A cell of beneficiaries: `count` is `None` and `hidden` true when withheld.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BeneficiaryView {
    pub public: PublicKind,
    pub age_band: AgeBand,
    pub sex: Sex,
    pub qpv_resident: bool,
    pub count: Option<u32>,
    pub hidden: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportView {
    pub kind: ReportKind,
    pub submitted_on: NaiveDate,
    pub spent: Money,
    pub summary: String,
    pub beneficiaries: Vec<BeneficiaryView>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct IndicatorView {
    pub code: String,
    pub label: String,
    pub target: Option<f64>,
    /// The latest measurement.
    pub measured: Option<f64>,
    pub measured_on: Option<NaiveDate>,
    /// Oldest first.
    pub measurements: Vec<da::Measurement>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvaluationView {
    pub rating: Rating,
    pub findings: String,
    pub recommendation: Recommendation,
    pub evaluated_on: NaiveDate,
}

/// The latest review of a final report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewView {
    pub verdict: ReportVerdict,
    pub comment: Option<String>,
    pub reviewed_on: NaiveDate,
}

/// `Action` of api.graphql, redacted for its viewer (history: [`super::action_history`]).
#[derive(Debug, Clone, PartialEq)]
pub struct ActionView {
    pub id: ActionId,
    pub reference: String,
    pub title: String,
    pub summary: String,
    pub status: ActionStatus,
    pub holder: PartnerView,
    pub axis: AxisView,
    pub secondary_axes: Vec<AxisView>,
    pub publics: Vec<PublicKind>,
    pub qpv: Vec<String>,
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    pub year: i32,
    pub total_cost: Money,
    pub external_refs: Vec<String>,
    pub money: Vec<FundingLineView>,
    pub grants: Vec<GrantView>,
    pub payments: Vec<PaymentView>,
    pub complements: Vec<ComplementView>,
    /// Empty when restricted.
    pub opinions: Vec<OpinionView>,
    pub decision: Option<DecisionView>,
    pub reports: Vec<ReportView>,
    pub indicators: Vec<IndicatorView>,
    pub evaluation: Option<EvaluationView>,
    /// When its compte rendu financier is due, extensions included; `None` once filed (and
    /// not refused since) or when none is due.
    pub final_report_due_on: Option<NaiveDate>,
    /// The latest review of its final report.
    pub final_report_review: Option<ReviewView>,
    /// The earlier action this one continues.
    pub renews: Option<ActionId>,
    pub last_reason: Option<String>,
    pub version: u64,
    /// The viewer sees this action as an observer (see [`crate::visibility`]).
    pub restricted: bool,
}

/// Every partner of the programme, in id order. Partners are public to every reader of the
/// programme.
pub fn partners(view: &ProgrammeView, viewer: &Actor) -> Result<Vec<PartnerView>, QueryError> {
    check_programme(view, viewer)?;
    Ok(view
        .partners
        .iter()
        .filter(|(_, s)| s.partner.is_some())
        .map(|(id, _)| PartnerView::of(view, id))
        .collect())
}

/// The funding lines of an action as `access` shows them.
pub(crate) fn funding_lines(
    view: &ProgrammeView,
    action: &ActionRef<'_>,
    access: ActionAccess,
) -> Vec<FundingLineView> {
    let restricted = access == ActionAccess::Restricted;
    action
        .money()
        .iter()
        .filter(|l| {
            !restricted
                || l.refused
                || [
                    l.retained,
                    l.granted,
                    l.paid,
                    l.to_pay,
                    l.repayment_requested,
                    l.repaid,
                ]
                .iter()
                .any(|m| !m.is_zero())
        })
        .filter_map(|l| {
            Some(FundingLineView {
                funder: funder_of(view, l.funder)?,
                requested: if restricted { Money::ZERO } else { l.requested },
                proposed: if restricted { Money::ZERO } else { l.proposed },
                retained: l.retained,
                granted: l.granted,
                paid: l.paid,
                to_pay: l.to_pay,
                repayment_requested: l.repayment_requested,
                repaid: l.repaid,
                refused: l.refused,
                restricted,
            })
        })
        .collect()
}

pub(crate) fn beneficiaries(
    cells: &[BeneficiaryCount],
    access: ActionAccess,
) -> Vec<BeneficiaryView> {
    cells
        .iter()
        .map(|b| {
            let shown = visibility::beneficiary_count_shown(access, b.count);
            BeneficiaryView {
                public: b.public,
                age_band: b.age_band,
                sex: b.sex,
                qpv_resident: b.qpv_resident,
                count: shown.then_some(b.count),
                hidden: !shown,
            }
        })
        .collect()
}

pub(crate) fn decision_view(view: &ProgrammeView, d: &model::Decision) -> Option<DecisionView> {
    Some(DecisionView {
        session: model::restore(view.str(d.session))?,
        number: d.number,
        outcome: d.outcome,
        retained: money_lines(view, &d.retained),
        reason: d.reason.map(|r| view.str(r).to_owned()),
        decided_on: d.decided_on,
        revised: d.revised,
    })
}

pub(crate) fn opinion_view(view: &ProgrammeView, o: &model::OpinionRecord) -> Option<OpinionView> {
    Some(OpinionView {
        session: model::restore(view.str(o.session))?,
        opinion: o.opinion,
        proposed: money_lines(view, &o.proposed),
        comment: o.comment.map(|c| view.str(c).to_owned()),
        given_on: o.given_on,
    })
}

fn axis_of(view: &ProgrammeView, code: &str) -> Option<AxisView> {
    let code: AxisCode = model::restore(code)?;
    Some(AxisView::of(view, &code))
}

/// A free text as a reader with `access` may see it: « — » unless it sees the action in full
/// (DOMAIN.md, « Reading »: reasons, comments, narratives, complement items and notes, findings).
pub(crate) fn withheld(access: ActionAccess, text: &str) -> &str {
    if access == ActionAccess::Full {
        text
    } else {
        crate::render::WITHHELD
    }
}

/// The action as `access` shows it; `None` when hidden.
pub(crate) fn action_view(
    view: &ProgrammeView,
    action: &ActionRef<'_>,
    access: ActionAccess,
) -> Option<ActionView> {
    if !access.is_visible() {
        return None;
    }
    let restricted = access == ActionAccess::Restricted;
    let owned = |s: Str| action.str(s).to_owned();
    // Free texts that may name people read « — » for an observer (DOMAIN.md, « Reading »).
    let text = |s: Str| withheld(access, action.str(s)).to_owned();
    let holder: PartnerId = model::restore(action.holder())?;
    Some(ActionView {
        id: model::restore(action.id())?,
        reference: action.reference().to_owned(),
        title: action.title().to_owned(),
        summary: action.summary().to_owned(),
        status: action.status(),
        holder: PartnerView::of(view, &holder),
        axis: axis_of(view, action.axis())?,
        secondary_axes: action
            .secondary_axes()
            .filter_map(|c| axis_of(view, c))
            .collect(),
        publics: action.publics().to_vec(),
        qpv: action.qpv().map(str::to_owned).collect(),
        period_start: action.period_start(),
        period_end: action.period_end(),
        year: action.year().get(),
        total_cost: action.total_cost(),
        external_refs: action.external_refs().map(str::to_owned).collect(),
        money: funding_lines(view, action, access),
        grants: action
            .grants()
            .iter()
            .filter_map(|g| {
                Some(GrantView {
                    id: model::restore(action.str(g.id))?,
                    funder: funder_of(view, g.funder)?,
                    year: g.year.get(),
                    amount: g.amount,
                    act_kind: g.act_kind,
                    reference: owned(g.act_reference),
                    signed_on: g.signed_on,
                })
            })
            .collect(),
        payments: action
            .payments()
            .iter()
            .filter_map(|p| {
                Some(PaymentView {
                    id: model::restore(action.str(p.id))?,
                    funder: funder_of(view, p.funder)?,
                    amount: p.amount,
                    kind: p.kind,
                    paid_on: p.paid_on,
                    cancelled: p.cancelled,
                })
            })
            .collect(),
        complements: action
            .complements()
            .iter()
            .map(|c| ComplementView {
                requested_on: c.requested_on,
                items: c.items.iter().map(|i| text(*i)).collect(),
                provided_on: c.provided_on,
                note: c.note.map(text),
            })
            .collect(),
        opinions: if restricted {
            Vec::new()
        } else {
            action
                .opinions()
                .iter()
                .filter_map(|o| opinion_view(view, o))
                .collect()
        },
        decision: action.decision().and_then(|d| {
            let mut decision = decision_view(view, d)?;
            decision.reason = decision.reason.map(|r| withheld(access, &r).to_owned());
            Some(decision)
        }),
        reports: action
            .reports()
            .iter()
            .map(|r| ReportView {
                kind: r.kind,
                submitted_on: r.submitted_on,
                spent: r.spent,
                summary: text(r.narrative),
                beneficiaries: beneficiaries(&r.beneficiaries, access),
            })
            .collect(),
        indicators: action
            .indicators()
            .iter()
            .map(|i| {
                let last = i.measurements.last();
                IndicatorView {
                    code: owned(i.code),
                    label: owned(i.label),
                    target: i.target,
                    measured: last.map(|m| m.value),
                    measured_on: last.map(|m| m.measured_on),
                    measurements: i.measurements.to_vec(),
                }
            })
            .collect(),
        evaluation: action.evaluation().map(|e| EvaluationView {
            rating: e.rating,
            findings: text(e.findings),
            recommendation: e.recommendation,
            evaluated_on: e.evaluated_on,
        }),
        final_report_due_on: action.final_report_due_on(),
        final_report_review: action.reviews().last().map(|r| ReviewView {
            verdict: r.verdict,
            comment: r.comment.map(text),
            reviewed_on: r.reviewed_on,
        }),
        renews: action.renews().and_then(|r| ActionId::parse(r).ok()),
        last_reason: action.last_reason().map(|r| withheld(access, r).to_owned()),
        version: action.version(),
        restricted,
    })
}

/// The actions that renew the action `id`, with their status, in the order proposed.
pub fn renewals_of(view: &ProgrammeView, id: &ActionId) -> Vec<(ActionId, ActionStatus)> {
    view.actions()
        .filter(|a| a.renews() == Some(id.as_str()))
        .filter_map(|a| Some((ActionId::parse(a.id()).ok()?, a.status())))
        .collect()
}

/// The view of the action `id` for `viewer`, `None` when absent or hidden.
pub(crate) fn visible_action(
    view: &ProgrammeView,
    viewer: &Actor,
    id: &ActionId,
) -> Option<ActionView> {
    let action = view.action(id)?;
    action_view(view, &action, visibility::access_to(viewer, &action))
}
