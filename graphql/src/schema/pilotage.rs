//! The pilotage's queries of api-next.graphql: the figures of a year (`beneficiaries`,
//! `deployment`, `governance`, `finances`), the documents (`annualReview`, `monthlyReport`,
//! `copilHindsight`), each with the [`ProvenanceObject`] a printed copy carries.
//!
//! Reading rules (DOMAIN.md, « Pilotage reads »): every reader of the programme reads the
//! figures, restricted by `projections::query` to what it may see; an OBSERVER or a PORTEUR
//! reads a revue de projet once validated only; the monthly report and the COPIL's hindsight
//! are for ADMIN, PILOT, COORDINATOR and EVALUATOR.

use super::domain_queries::bound;
use super::enums::{
    ActionStatus, AgeBand, BodyKind, LegalForm, NationalObjective, PartnerKind, PublicKind,
    ReviewSection, Sex,
};
use super::objects::{
    ActionObject, AxisObject, BudgetObject, ChangeSetObject, FunderDeltaObject, FunderObject,
    ReportDueObject, SessionObject, TimelineEntryObject, int,
};
use super::reading::{AsOf, Bound, actor, app_state, blocking, query_error};
use super::scalars::{Cents, Date, DateTime};
use crate::error::ApiError;
use async_graphql::{Context, ID, Object, Result, SimpleObject};
use domain::values::SessionId;
use projections::model::ProgrammeView;
use projections::query::{self as q, ReportError};
use projections::visibility;

/// The widest range of years `finances` compares.
const MAX_FINANCE_YEARS: i32 = 30;

/// The state of the log a document was computed from: print it on the document.
#[derive(SimpleObject, Clone)]
#[graphql(name = "Provenance")]
pub struct ProvenanceObject {
    /// The position of the last event the figures include.
    position: i64,
    /// The hash of the event at `position`: `chronique verify --position P --hash H`.
    head_hash: String,
    /// The bound asked, in words; null for the register as it stands.
    as_of: Option<String>,
    computed_at: DateTime,
}

impl ProvenanceObject {
    /// The provenance of figures whose last event is at `position`, for the bound `as_of`
    /// (in words).
    async fn of(
        ctx: &Context<'_>,
        position: u64,
        as_of: Option<String>,
    ) -> Result<ProvenanceObject, ApiError> {
        let state = app_state(ctx);
        let log = state.log.clone();
        let hash = blocking(move || {
            let envelope = log
                .read_range(position, position)
                .next()
                .ok_or_else(|| ApiError::bug(format!("no event at position {position}")))?
                .map_err(ApiError::internal)?;
            Ok(hex::encode(envelope.hash))
        })
        .await?;
        Ok(ProvenanceObject {
            position: int(position),
            head_hash: hash,
            as_of,
            computed_at: DateTime(state.clock.now()),
        })
    }
}

/// A bound in words, as a document prints it.
fn as_of_words(as_of: Option<&AsOf>) -> Option<String> {
    as_of.map(|a| match a {
        AsOf::Position(p) => format!("position {p}"),
        AsOf::RecordedAt(at) => format!("tel qu'enregistré au {}", at.0.to_rfc3339()),
        AsOf::EffectiveOn(day) => format!("état au {}", day.0),
    })
}

/// VALIDATION for a year outside the range the register accepts (2000 to 2100).
fn check_year(year: i32) -> Result<(), ApiError> {
    domain::values::Year::parse(year)?;
    Ok(())
}

fn count(n: u32) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

fn permille(p: Option<i64>) -> Option<i32> {
    p.map(|p| i32::try_from(p).unwrap_or(i32::MAX))
}

// ------------------------------------------------------------------------------ beneficiaries

#[derive(SimpleObject)]
#[graphql(name = "BeneficiaryCell")]
pub struct BeneficiaryCellObject {
    axis: Option<AxisObject>,
    objective: Option<NationalObjective>,
    public: PublicKind,
    age_band: AgeBand,
    sex: Sex,
    qpv_resident: bool,
    /// Null when hidden (below 10 for a role that must not see small cells).
    count: Option<i32>,
    hidden: bool,
}

#[derive(SimpleObject)]
#[graphql(name = "BeneficiaryTable")]
pub struct BeneficiaryTableObject {
    year: i32,
    cells: Vec<BeneficiaryCellObject>,
    /// Withheld (null) for a role that must not see small cells whenever any cell is hidden.
    total: Option<i64>,
    actions_counted: i32,
    actions_with_interim_only: i32,
    provenance: ProvenanceObject,
}

/// The axis of each cell of `t`, as `view` defines it.
fn cell_axes(view: &ProgrammeView, t: &q::BeneficiaryTableView) -> Vec<q::AxisView> {
    t.cells
        .iter()
        .map(|c| q::AxisView::of(view, &c.axis))
        .collect()
}

impl BeneficiaryTableObject {
    fn new(
        t: q::BeneficiaryTableView,
        axes: Vec<q::AxisView>,
        provenance: ProvenanceObject,
    ) -> Self {
        BeneficiaryTableObject {
            year: t.year,
            cells: t
                .cells
                .into_iter()
                .zip(axes)
                .map(|(c, axis)| BeneficiaryCellObject {
                    objective: Some(axis.objective.into()),
                    axis: Some(axis.into()),
                    public: c.public.into(),
                    age_band: c.age_band.into(),
                    sex: c.sex.into(),
                    qpv_resident: c.qpv_resident,
                    count: c.count.map(|n| i32::try_from(n).unwrap_or(i32::MAX)),
                    hidden: c.hidden,
                })
                .collect(),
            total: t.total.map(|t| i64::try_from(t).unwrap_or(i64::MAX)),
            actions_counted: count(t.actions_counted),
            actions_with_interim_only: count(t.actions_with_interim_only),
            provenance,
        }
    }
}

// ------------------------------------------------------------------------------ deployment

#[derive(SimpleObject)]
#[graphql(name = "StatusCount")]
pub struct StatusCountObject {
    status: ActionStatus,
    axis: Option<AxisObject>,
    objective: NationalObjective,
    count: i32,
}

#[derive(SimpleObject)]
#[graphql(name = "HolderCount")]
pub struct HolderCountObject {
    kind: PartnerKind,
    legal_form: LegalForm,
    partners: i32,
    /// Actions of the year the COPIL retained, carried by these partners.
    actions: i32,
}

#[derive(SimpleObject)]
#[graphql(name = "Deployment")]
pub struct DeploymentObject {
    year: i32,
    /// Every action of the year, once, on its primary axis.
    by_status: Vec<StatusCountObject>,
    holders: Vec<HolderCountObject>,
    /// Actions the COPIL retained that continue no earlier action.
    new_actions: i32,
    /// Actions the COPIL retained that continue an earlier one (`renews`).
    renewed_actions: i32,
    withdrawn: Vec<ActionObject>,
    not_realised: Vec<ActionObject>,
    period_changed: Vec<ActionObject>,
    provenance: ProvenanceObject,
}

impl DeploymentObject {
    fn new(bound: &Bound, d: q::DeploymentView, provenance: ProvenanceObject) -> Self {
        let actions = |list: Vec<q::ActionView>| {
            list.into_iter()
                .map(|a| ActionObject::new(bound.clone(), a))
                .collect()
        };
        DeploymentObject {
            year: d.year,
            by_status: d
                .by_status
                .into_iter()
                .map(|s| StatusCountObject {
                    status: s.status.into(),
                    axis: Some(s.axis.into()),
                    objective: s.objective.into(),
                    count: count(s.count),
                })
                .collect(),
            holders: d
                .holders
                .into_iter()
                .map(|h| HolderCountObject {
                    kind: h.kind.into(),
                    legal_form: h.legal_form.into(),
                    partners: count(h.partners),
                    actions: count(h.actions),
                })
                .collect(),
            new_actions: count(d.new_actions),
            renewed_actions: count(d.renewed_actions),
            withdrawn: actions(d.withdrawn),
            not_realised: actions(d.not_realised),
            period_changed: actions(d.period_changed),
            provenance,
        }
    }
}

// ------------------------------------------------------------------------------ governance

#[derive(SimpleObject)]
#[graphql(name = "SessionCount")]
pub struct SessionCountObject {
    body: BodyKind,
    /// Every session dated in the year: held, cancelled or still to be held.
    scheduled: i32,
    held: i32,
    cancelled: i32,
}

#[derive(SimpleObject)]
#[graphql(name = "Governance")]
pub struct GovernanceObject {
    year: i32,
    sessions: Vec<SessionCountObject>,
    /// By date, each with the organisations present.
    held_sessions: Vec<SessionObject>,
    membership_changes: Vec<TimelineEntryObject>,
    provenance: ProvenanceObject,
}

impl GovernanceObject {
    fn new(bound: &Bound, g: q::GovernanceView, provenance: ProvenanceObject) -> Self {
        GovernanceObject {
            year: g.year,
            sessions: g
                .sessions
                .into_iter()
                .map(|s| SessionCountObject {
                    body: s.body.into(),
                    scheduled: count(s.scheduled),
                    held: count(s.held),
                    cancelled: count(s.cancelled),
                })
                .collect(),
            held_sessions: g
                .held_sessions
                .into_iter()
                .map(|s| SessionObject::new(bound.clone(), s))
                .collect(),
            membership_changes: g.membership_changes.into_iter().map(Into::into).collect(),
            provenance,
        }
    }
}

// ------------------------------------------------------------------------------ finances

#[derive(SimpleObject)]
#[graphql(name = "FunderYear")]
pub struct FunderYearObject {
    funder: FunderObject,
    year: i32,
    granted: Cents,
    paid: Cents,
    repaid: Cents,
    /// Repayments requested and not yet received.
    to_repay: Cents,
    /// ⌊granted × 1000 / all granted that year⌋.
    share_permille: i32,
    median_days_to_first_payment: Option<i32>,
    median_days_to_balance: Option<i32>,
    first_payments_over60_days: i32,
    /// The grants of the year, and those paid in full.
    grants: i32,
    grants_paid_in_full: i32,
}

#[derive(SimpleObject)]
#[graphql(name = "YearPermille")]
pub struct YearPermilleObject {
    year: i32,
    permille: Option<i32>,
}

/// The co-financing rate of one action retained by the COPIL.
#[derive(SimpleObject)]
#[graphql(name = "ActionCofinancing")]
pub struct ActionCofinancingObject {
    action: ActionObject,
    /// Every grant of the action.
    granted: Cents,
    total_cost: Cents,
    /// ⌊granted × 1000 / total cost⌋; null for a zero cost.
    permille: Option<i32>,
}

#[derive(SimpleObject)]
#[graphql(name = "Finances")]
pub struct FinancesObject {
    from_year: i32,
    to_year: i32,
    funders: Vec<FunderYearObject>,
    /// Per year: payers COMMUNE and EPCI, and payer STATE, over all granted (per mille).
    commune_share_permille: Vec<YearPermilleObject>,
    state_share_permille: Vec<YearPermilleObject>,
    /// Per year: granted over the total cost of the actions retained (per mille).
    cofinancing_permille: Vec<YearPermilleObject>,
    /// The actions of those years the COPIL retained, by year then reference.
    actions: Vec<ActionCofinancingObject>,
    provenance: ProvenanceObject,
}

impl FinancesObject {
    fn new(bound: &Bound, f: q::FinancesView, provenance: ProvenanceObject) -> Self {
        let years = |list: Vec<q::YearPermilleView>| {
            list.into_iter()
                .map(|y| YearPermilleObject {
                    year: y.year,
                    permille: permille(y.permille),
                })
                .collect()
        };
        let days = |d: Option<i64>| d.map(|d| i32::try_from(d).unwrap_or(i32::MAX));
        FinancesObject {
            from_year: f.from_year,
            to_year: f.to_year,
            funders: f
                .funders
                .into_iter()
                .map(|l| FunderYearObject {
                    funder: l.funder.into(),
                    year: l.year,
                    granted: Cents(l.granted),
                    paid: Cents(l.paid),
                    repaid: Cents(l.repaid),
                    to_repay: Cents(l.to_repay),
                    share_permille: permille(Some(l.share_permille)).unwrap_or(0),
                    median_days_to_first_payment: days(l.median_days_to_first_payment),
                    median_days_to_balance: days(l.median_days_to_balance),
                    first_payments_over60_days: count(l.first_payments_over_60_days),
                    grants: count(l.grants),
                    grants_paid_in_full: count(l.grants_paid_in_full),
                })
                .collect(),
            commune_share_permille: years(f.commune_share_permille),
            state_share_permille: years(f.state_share_permille),
            cofinancing_permille: years(f.cofinancing_permille),
            actions: f
                .actions
                .into_iter()
                .map(|a| ActionCofinancingObject {
                    action: ActionObject::new(bound.clone(), a.action),
                    granted: Cents(a.granted),
                    total_cost: Cents(a.total_cost),
                    permille: permille(a.permille),
                })
                .collect(),
            provenance,
        }
    }
}

// ------------------------------------------------------------------------------ annual review

#[derive(SimpleObject)]
#[graphql(name = "ReviewText")]
pub struct ReviewTextObject {
    section: ReviewSection,
    text: String,
    written_at: DateTime,
}

#[derive(SimpleObject)]
#[graphql(name = "AnnualReview")]
pub struct AnnualReviewObject {
    year: i32,
    governance: GovernanceObject,
    deployment: DeploymentObject,
    finances: FinancesObject,
    beneficiaries: BeneficiaryTableObject,
    budget: BudgetObject,
    /// The actions of the year evaluated, by reference.
    evaluations: Vec<ActionObject>,
    /// The latest text of each section written.
    sections: Vec<ReviewTextObject>,
    /// Null until the troïka validated it; then the same review as of the validation's position.
    validated_at: Option<SessionObject>,
    declared: Option<Box<AnnualReviewObject>>,
    provenance: ProvenanceObject,
}

impl AnnualReviewObject {
    fn new(
        bound: &Bound,
        year: i32,
        (f, beneficiary_axes): (q::AnnualReviewView, Vec<q::AxisView>),
        provenance: ProvenanceObject,
        declared: Option<AnnualReviewObject>,
    ) -> Self {
        AnnualReviewObject {
            year,
            governance: GovernanceObject::new(bound, f.governance, provenance.clone()),
            deployment: DeploymentObject::new(bound, f.deployment, provenance.clone()),
            finances: FinancesObject::new(bound, f.finances, provenance.clone()),
            beneficiaries: BeneficiaryTableObject::new(
                f.beneficiaries,
                beneficiary_axes,
                provenance.clone(),
            ),
            budget: BudgetObject::new(bound, f.budget),
            evaluations: f
                .evaluations
                .into_iter()
                .map(|a| ActionObject::new(bound.clone(), a))
                .collect(),
            sections: f
                .texts
                .sections
                .into_iter()
                .map(|t| ReviewTextObject {
                    section: t.section.into(),
                    text: t.text,
                    written_at: DateTime(t.written_at),
                })
                .collect(),
            validated_at: f.validated_at.map(|s| SessionObject::new(bound.clone(), s)),
            declared: declared.map(Box::new),
            provenance,
        }
    }
}

// ------------------------------------------------------------------------------ documents

#[derive(SimpleObject)]
#[graphql(name = "MonthlyReport")]
pub struct MonthlyReportObject {
    from: Date,
    to: Date,
    /// From the state as of effective date from − 1 day to the state as of effective date to.
    changes: ChangeSetObject,
    /// Recorded between from and to, effective before from.
    late_entries: Vec<TimelineEntryObject>,
    /// Due within 30 days of `to`, or overdue then.
    reports_due: Vec<ReportDueObject>,
    /// Actions whose period ended by `to` without being completed or declared not realised.
    overdue_completions: Vec<ActionObject>,
    /// The budget of the year of `to`, as of from − 1 day and as of `to`.
    budget_at_from: BudgetObject,
    budget_at_to: BudgetObject,
    provenance: ProvenanceObject,
}

#[derive(SimpleObject)]
#[graphql(name = "CopilHindsight")]
pub struct CopilHindsightObject {
    session: SessionObject,
    /// Entries effective on or before the session's date, recorded after the end of its day, except those naming the session.
    late_entries: Vec<TimelineEntryObject>,
    /// Per funder: granted as of the effective date minus granted as recorded that day.
    granted_unknown: Vec<FunderDeltaObject>,
    paid_unknown: Vec<FunderDeltaObject>,
    provenance: ProvenanceObject,
}

fn report_error(error: ReportError) -> ApiError {
    match error {
        ReportError::Query(e) => query_error(e),
        ReportError::Forbidden => ApiError::forbidden(
            "Le rapport mensuel et « ce que le COPIL savait » sont réservés au pilotage, à la coordination et à l'évaluation.",
        ),
        ReportError::UnknownSession(session) => {
            ApiError::not_found(format!("La séance « {session} » n'existe pas."))
        }
        ReportError::TimeTravel(e) => ApiError::internal(e),
    }
}

/// The live programme, copied out of the read model so that the folds of a document do not
/// hold its lock.
async fn live_copy(ctx: &Context<'_>, programme: &ID) -> Result<(Bound, ProgrammeView), ApiError> {
    let bound = bound(ctx, programme, None).await?;
    let view = bound.read(ProgrammeView::clone)?;
    Ok((bound, view))
}

#[derive(Default)]
pub struct PilotageQuery;

#[Object]
impl PilotageQuery {
    /// Les bénéficiaires d'un exercice (DOMAIN.md) : bilans finaux (à défaut le dernier bilan
    /// intermédiaire) des actions visibles, par axe, public, âge, sexe et résidence en QPV ;
    /// cellules de moins de 10 masquées pour les rôles qui ne doivent pas les voir.
    async fn beneficiaries(
        &self,
        ctx: &Context<'_>,
        programme_id: ID,
        year: i32,
        as_of: Option<AsOf>,
    ) -> Result<BeneficiaryTableObject> {
        check_year(year)?;
        let bound = bound(ctx, &programme_id, as_of).await?;
        let actor = actor(ctx)?;
        let (table, axes, position) = bound
            .read(|view| {
                q::beneficiaries(view, actor, year)
                    .map(|t| (cell_axes(view, &t), t, view.position()))
            })?
            .map(|(axes, t, position)| (t, axes, position))
            .map_err(query_error)?;
        let provenance = ProvenanceObject::of(ctx, position, as_of_words(as_of.as_ref())).await?;
        Ok(BeneficiaryTableObject::new(table, axes, provenance))
    }

    /// Le déploiement d'un exercice : actions par statut et axe, porteurs, nouvelles et
    /// reconduites, retraits, non-réalisations, changements de période.
    async fn deployment(
        &self,
        ctx: &Context<'_>,
        programme_id: ID,
        year: i32,
        as_of: Option<AsOf>,
    ) -> Result<DeploymentObject> {
        check_year(year)?;
        let bound = bound(ctx, &programme_id, as_of).await?;
        let actor = actor(ctx)?;
        let (d, position) = bound
            .read(|view| q::deployment(view, actor, year).map(|d| (d, view.position())))?
            .map_err(query_error)?;
        let provenance = ProvenanceObject::of(ctx, position, as_of_words(as_of.as_ref())).await?;
        Ok(DeploymentObject::new(&bound, d, provenance))
    }

    /// La gouvernance d'un exercice : séances par instance, présents, changements de membres.
    async fn governance(
        &self,
        ctx: &Context<'_>,
        programme_id: ID,
        year: i32,
        as_of: Option<AsOf>,
    ) -> Result<GovernanceObject> {
        check_year(year)?;
        let bound = bound(ctx, &programme_id, as_of).await?;
        let actor = actor(ctx)?.clone();
        let log = app_state(ctx).log.clone();
        let (g, position) = bound
            .read_blocking(move |view| {
                q::governance(view, &actor, year, &log)
                    .map(|g| (g, view.position()))
                    .map_err(query_error)
            })
            .await?;
        let provenance = ProvenanceObject::of(ctx, position, as_of_words(as_of.as_ref())).await?;
        Ok(GovernanceObject::new(&bound, g, provenance))
    }

    /// La gestion financière de plusieurs exercices côte à côte : parts des financeurs, de la
    /// commune et de l'État, cofinancement, délais de paiement, reversements.
    async fn finances(
        &self,
        ctx: &Context<'_>,
        programme_id: ID,
        from_year: i32,
        to_year: i32,
        as_of: Option<AsOf>,
    ) -> Result<FinancesObject> {
        check_year(from_year)?;
        check_year(to_year)?;
        if to_year < from_year || to_year - from_year >= MAX_FINANCE_YEARS {
            return Err(ApiError::validation(format!(
                "Les exercices vont de « fromYear » à « toYear », au plus {MAX_FINANCE_YEARS} ans ({from_year} à {to_year} donnés)."
            ))
            .into());
        }
        let bound = bound(ctx, &programme_id, as_of).await?;
        let actor = actor(ctx)?;
        let (f, position) = bound
            .read(|view| {
                q::finances(view, actor, from_year, to_year).map(|f| (f, view.position()))
            })?
            .map_err(query_error)?;
        let provenance = ProvenanceObject::of(ctx, position, as_of_words(as_of.as_ref())).await?;
        Ok(FinancesObject::new(&bound, f, provenance))
    }

    /// La revue de projet d'un exercice : les chiffres d'aujourd'hui et, une fois validée par
    /// le COPIL, les chiffres tels que déclarés. Avant sa validation, réservée au pilotage,
    /// à la coordination et à l'évaluation.
    async fn annual_review(
        &self,
        ctx: &Context<'_>,
        programme_id: ID,
        year: i32,
    ) -> Result<AnnualReviewObject> {
        check_year(year)?;
        let programme = super::reading::programme_id(&programme_id)?;
        let bound = bound(ctx, &programme_id, None).await?;
        let figures = read_review(&bound, ctx, year).await?;
        if figures.0.texts.validated.is_none() && !visibility::sees_everything(actor(ctx)?) {
            return Err(ApiError::forbidden(format!(
                "La revue de projet {year} n'a pas encore été validée en COPIL : jusque-là, seuls le pilotage, la coordination et l'évaluation la lisent."
            ))
            .into());
        }
        let declared = match figures.0.texts.validated.clone() {
            Some((_, at)) => {
                let state = app_state(ctx);
                let declared_bound =
                    super::reading::bound_at(state, &programme, Some(AsOf::Position(int(at))))
                        .await?
                        .ok_or_else(|| super::reading::programme_not_found(&programme))?;
                let f = read_review(&declared_bound, ctx, year).await?;
                let provenance = ProvenanceObject::of(
                    ctx,
                    f.0.position,
                    Some(format!("tel que validé (position {at})")),
                )
                .await?;
                Some(AnnualReviewObject::new(
                    &declared_bound,
                    year,
                    f,
                    provenance,
                    None,
                ))
            }
            None => None,
        };
        let provenance = ProvenanceObject::of(ctx, figures.0.position, None).await?;
        Ok(AnnualReviewObject::new(
            &bound, year, figures, provenance, declared,
        ))
    }

    /// Le rapport mensuel au COTECH entre deux dates incluses (DOMAIN.md, « Monthly report »).
    async fn monthly_report(
        &self,
        ctx: &Context<'_>,
        programme_id: ID,
        from: Date,
        to: Date,
    ) -> Result<MonthlyReportObject> {
        if to.0 < from.0 {
            return Err(ApiError::validation(format!(
                "La fin de la période ({}) précède son début ({}).",
                to.0, from.0
            ))
            .into());
        }
        let (_, live) = live_copy(ctx, &programme_id).await?;
        let actor = actor(ctx)?.clone();
        let log = app_state(ctx).log.clone();
        let position = live.position();
        let r = blocking(move || {
            q::monthly_report(&live, &actor, from.0, to.0, &log).map_err(report_error)
        })
        .await?;
        let provenance =
            ProvenanceObject::of(ctx, position, Some(format!("du {} au {}", from.0, to.0))).await?;
        let (before, after) = (Bound::as_of(r.before), Bound::as_of(r.after));
        let (from_position, to_position) = (r.changes.from_position, r.changes.to_position);
        Ok(MonthlyReportObject {
            from,
            to,
            changes: ChangeSetObject::new(r.changes, from_position, to_position),
            late_entries: r.late_entries.into_iter().map(Into::into).collect(),
            reports_due: r
                .reports_due
                .into_iter()
                .map(|d| ReportDueObject::new(&after, d))
                .collect(),
            overdue_completions: r
                .overdue_completions
                .into_iter()
                .map(|a| ActionObject::new(after.clone(), a))
                .collect(),
            budget_at_from: BudgetObject::new(&before, r.budget_at_from),
            budget_at_to: BudgetObject::new(&after, r.budget_at_to),
            provenance,
        })
    }

    /// Ce que le COPIL savait à une séance : les faits antérieurs à sa date saisis après.
    async fn copil_hindsight(
        &self,
        ctx: &Context<'_>,
        programme_id: ID,
        session_id: ID,
    ) -> Result<CopilHindsightObject> {
        let session = SessionId::parse(&session_id).map_err(ApiError::from)?;
        let (bound, live) = live_copy(ctx, &programme_id).await?;
        let actor = actor(ctx)?.clone();
        let log = app_state(ctx).log.clone();
        let position = live.position();
        let h = blocking(move || {
            q::copil_hindsight(&live, &actor, &session, &log).map_err(report_error)
        })
        .await?;
        let provenance = ProvenanceObject::of(ctx, position, None).await?;
        Ok(CopilHindsightObject {
            session: SessionObject::new(bound, h.session),
            late_entries: h.late_entries.into_iter().map(Into::into).collect(),
            granted_unknown: h.granted_unknown.into_iter().map(Into::into).collect(),
            paid_unknown: h.paid_unknown.into_iter().map(Into::into).collect(),
            provenance,
        })
    }
}

/// The figures of a revue de projet as `bound` sees them, with the axis of each beneficiary cell.
async fn read_review(
    bound: &Bound,
    ctx: &Context<'_>,
    year: i32,
) -> Result<(q::AnnualReviewView, Vec<q::AxisView>), ApiError> {
    let actor = actor(ctx)?.clone();
    let log = app_state(ctx).log.clone();
    bound
        .read_blocking(move |view| {
            let review = q::annual_review(view, &actor, year, &log).map_err(query_error)?;
            let axes = cell_axes(view, &review.beneficiaries);
            Ok((review, axes))
        })
        .await
}
