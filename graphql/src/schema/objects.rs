//! The output objects of the query side: the projections' view types, mapped to the names of
//! api.graphql.
//!
//! Objects whose fields need the programme's state after they were built keep the
//! [`Bound`] they were read at (see [`super::reading`]); the others are plain data. Reading
//! rules are the projections' own: every list and every figure here comes from a function of
//! `projections::query`, which has already redacted it for the viewer.

use super::enums::{
    ActKind, ActionStatus, AgeBand, BodyKind, DecisionOutcome, FunderKind, LegalForm,
    NationalObjective, Opinion, PartnerKind, Payer, PaymentKind, PublicKind, Rating,
    Recommendation, ReportKind, ReportVerdict, Sex,
};
use super::page::PageInfo;
use super::reading::{
    Bound, actor, app_state, blocking, live_bound, programme_not_found, query_error,
};
use super::scalars::{Cents, Date, DateTime, SignedCents};
use crate::auth::Viewer;
use crate::error::ApiError;
use async_graphql::{ComplexObject, Context, ID, Object, Result, SimpleObject};
use domain::values::{ActionId, PartnerId, ProgrammeId, SessionId};
use projections::model::ProgrammeView;
use projections::query as q;
use projections::recorded::Recorder;

pub(crate) fn int(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

fn id(value: impl std::fmt::Display) -> ID {
    ID(value.to_string())
}

fn the_programme(view: &ProgrammeView) -> Result<&domain::programme::Programme, ApiError> {
    view.programme.programme.as_ref().ok_or_else(|| {
        ApiError::bug(format!(
            "the programme « {} » has no ProgrammeEstablished in its view",
            view.id
        ))
    })
}

// ------------------------------------------------------------------------------ programme

/// Une cité éducative.
pub struct ProgrammeObject {
    bound: Bound,
}

impl ProgrammeObject {
    pub(crate) fn new(bound: Bound) -> ProgrammeObject {
        ProgrammeObject { bound }
    }

    /// The programme as it stands now (mutation payloads); NOT_FOUND when it does not exist,
    /// FORBIDDEN when the token may not read it.
    pub fn current(
        ctx: &Context<'_>,
        viewer: &Viewer,
        programme: &ProgrammeId,
    ) -> Result<ProgrammeObject, ApiError> {
        viewer.require_programme(programme)?;
        live_bound(app_state(ctx), programme)?
            .map(ProgrammeObject::new)
            .ok_or_else(|| programme_not_found(programme))
    }

    fn with<R>(
        &self,
        f: impl FnOnce(&ProgrammeView, &domain::programme::Programme) -> R,
    ) -> Result<R, ApiError> {
        self.bound
            .read(|view| the_programme(view).map(|p| f(view, p)))?
    }
}

#[Object(name = "Programme")]
impl ProgrammeObject {
    async fn id(&self) -> Result<ID> {
        Ok(self.with(|_, p| id(&p.id))?)
    }

    async fn name(&self) -> Result<String> {
        Ok(self.with(|_, p| p.name.to_string())?)
    }

    async fn territory(&self) -> Result<Vec<String>> {
        Ok(self.with(|_, p| p.territory.iter().map(ToString::to_string).collect())?)
    }

    async fn qpv(&self) -> Result<Vec<String>> {
        Ok(self.with(|_, p| p.qpv.iter().map(ToString::to_string).collect())?)
    }

    /// Schools of the territory, by UAI (TerritoryChanged).
    async fn schools(&self) -> Result<Vec<String>> {
        Ok(self.with(|_, p| p.schools.iter().map(|u| u.as_str().to_owned()).collect())?)
    }

    async fn labelled_on(&self) -> Result<Option<Date>> {
        Ok(self.with(|_, p| p.labelled_on.map(Date))?)
    }

    /// Position dans le journal du dernier événement de cette cité éducative que cette réponse
    /// inclut : s'abonner à `timeline` depuis cette position ne manque rien de ce qui a été
    /// enregistré après cette lecture.
    async fn position(&self) -> Result<i64> {
        Ok(self.with(|view, _| int(view.position()))?)
    }

    /// Part du coût total d'une action qui peut être demandée sans avertissement, en pour mille.
    async fn request_cap_permille(&self) -> Result<i32> {
        Ok(self.with(|_, p| i32::from(p.request_cap_permille))?)
    }

    async fn axes(
        &self,
        #[graphql(default_with = "Some(false)")] include_retired: Option<bool>,
    ) -> Result<Vec<AxisObject>> {
        Ok(self.with(|view, p| {
            p.axes
                .iter()
                .filter(|a| include_retired.unwrap_or(false) || !a.retired)
                .map(|a| AxisObject::from(q::AxisView::of(view, &a.code)))
                .collect()
        })?)
    }

    async fn funders(&self) -> Result<Vec<FunderObject>> {
        Ok(self.with(|view, p| {
            p.funders
                .iter()
                .map(|f| FunderObject::from(q::FunderView::of(view, &f.id)))
                .collect()
        })?)
    }

    /// Les enveloppes notifiées, d'un exercice si `year` est donné ; montants après révisions.
    async fn envelopes(&self, year: Option<i32>) -> Result<Vec<EnvelopeObject>> {
        Ok(self.with(|view, p| {
            p.envelopes
                .iter()
                .filter(|e| year.is_none_or(|y| e.year.get() == y))
                .map(|e| EnvelopeObject {
                    funder: q::FunderView::of(view, &e.funder).into(),
                    year: e.year.get(),
                    amount: Cents(e.amount),
                    reference: e.reference.as_ref().map(ToString::to_string),
                })
                .collect()
        })?)
    }

    /// La composition actuelle de chaque instance.
    async fn bodies(&self) -> Result<Vec<BodyMembersObject>> {
        Ok(self.with(|_, p| {
            p.bodies
                .iter()
                .map(|b| BodyMembersObject {
                    body: b.body.into(),
                    organisations: b.organisations.iter().map(ToString::to_string).collect(),
                    since: Date(b.since),
                })
                .collect()
        })?)
    }

    /// Programme-level commands this token may give now (mutation names): what the page offers.
    async fn available_commands(&self, ctx: &Context<'_>) -> Result<Vec<String>> {
        let Some(programme) = self.bound.live_programme() else {
            return Ok(Vec::new());
        };
        let actor = actor(ctx)?;
        let kinds = self.bound.read(|view| {
            domain::programme::available_commands(actor, programme, &view.programme)
        })?;
        Ok(kinds.into_iter().map(|k| k.mutation().to_owned()).collect())
    }

    /// Version du flux de la cité : à passer comme expectedVersion.
    async fn version(&self) -> Result<i64> {
        Ok(self.bound.read(|view| int(view.programme.version))?)
    }

    /// L'historique du programme lui-même (axes, financeurs, enveloppes, instances).
    async fn history(&self, ctx: &Context<'_>) -> Result<Vec<HistoryEntryObject>> {
        let actor = actor(ctx)?.clone();
        let log = app_state(ctx).log.clone();
        let entries = self
            .bound
            .read_blocking(move |view| {
                q::programme_history(view, &actor, &log).map_err(query_error)
            })
            .await?;
        Ok(entries.into_iter().map(HistoryEntryObject::from).collect())
    }
}

/// Un axe stratégique local.
#[derive(SimpleObject, Debug, Clone)]
#[graphql(name = "Axis")]
pub struct AxisObject {
    code: ID,
    title: String,
    objective: NationalObjective,
    retired: bool,
}

impl From<q::AxisView> for AxisObject {
    fn from(a: q::AxisView) -> Self {
        AxisObject {
            code: id(&a.code),
            title: a.title,
            objective: a.objective.into(),
            retired: a.retired,
        }
    }
}

/// Un financeur.
#[derive(SimpleObject, Debug, Clone)]
#[graphql(name = "Funder")]
pub struct FunderObject {
    id: ID,
    name: String,
    kind: FunderKind,
    /// L'organisme public qui paie en définitive (le fonds de la cité : l'État).
    payer: Payer,
}

impl From<q::FunderView> for FunderObject {
    fn from(f: q::FunderView) -> Self {
        FunderObject {
            id: id(&f.id),
            name: f.name,
            kind: f.kind.into(),
            payer: f.payer.into(),
        }
    }
}

/// Une enveloppe notifiée par un financeur pour un exercice.
#[derive(SimpleObject, Debug, Clone)]
#[graphql(name = "Envelope")]
pub struct EnvelopeObject {
    funder: FunderObject,
    year: i32,
    amount: Cents,
    reference: Option<String>,
}

/// Les organisations membres d'une instance, depuis une date.
#[derive(SimpleObject, Debug, Clone)]
#[graphql(name = "BodyMembers")]
pub struct BodyMembersObject {
    body: BodyKind,
    organisations: Vec<String>,
    since: Date,
}

/// Un membre de l'alliance éducative.
#[derive(SimpleObject, Debug, Clone)]
#[graphql(name = "Partner")]
pub struct PartnerObject {
    id: ID,
    name: String,
    kind: PartnerKind,
    siret: Option<String>,
    active: bool,
    /// Droit privé ou droit public : ce que la règle de la convention demande.
    legal_form: LegalForm,
    /// Numéro RNA d'une association (W et neuf chiffres).
    rna: Option<String>,
    /// Version of the partner's stream.
    version: i64,
}

impl From<q::PartnerView> for PartnerObject {
    fn from(p: q::PartnerView) -> Self {
        PartnerObject {
            id: id(&p.id),
            name: p.name,
            kind: p.kind.into(),
            siret: p.siret,
            active: p.active,
            legal_form: p.legal_form.into(),
            rna: p.rna,
            version: i64::try_from(p.version).unwrap_or(i64::MAX),
        }
    }
}

impl PartnerObject {
    /// The partner as it stands now (mutation payloads); NOT_FOUND when it is not registered.
    pub fn current(
        ctx: &Context<'_>,
        viewer: &Viewer,
        programme: &ProgrammeId,
        partner: &PartnerId,
    ) -> Result<PartnerObject, ApiError> {
        viewer.require_programme(programme)?;
        let bound =
            live_bound(app_state(ctx), programme)?.ok_or_else(|| programme_not_found(programme))?;
        let found = bound.read(|view| {
            view.partner(partner)
                .is_some()
                .then(|| q::PartnerView::of(view, partner))
        })?;
        found.map(PartnerObject::from).ok_or_else(|| {
            ApiError::not_found(format!(
                "Le partenaire « {partner} » n'est pas membre de l'alliance de « {programme} »."
            ))
        })
    }
}

/// Un montant par financeur.
#[derive(SimpleObject, Debug, Clone)]
#[graphql(name = "MoneyLine")]
pub struct MoneyLineObject {
    funder: FunderObject,
    amount: Cents,
}

impl From<q::MoneyLineView> for MoneyLineObject {
    fn from(l: q::MoneyLineView) -> Self {
        MoneyLineObject {
            funder: l.funder.into(),
            amount: Cents(l.amount),
        }
    }
}

fn money_lines(lines: &[q::MoneyLineView]) -> Vec<MoneyLineObject> {
    lines.iter().cloned().map(MoneyLineObject::from).collect()
}

// ------------------------------------------------------------------------------ action

/// Une fiche action, telle que le jeton peut la voir.
pub struct ActionObject {
    bound: Bound,
    action: q::ActionView,
}

impl ActionObject {
    pub(crate) fn new(bound: Bound, action: q::ActionView) -> ActionObject {
        ActionObject { bound, action }
    }

    /// The action as it stands now (mutation payloads); NOT_FOUND when it does not exist or
    /// the token may not see it, FORBIDDEN when the token may not read the programme.
    pub fn current(
        ctx: &Context<'_>,
        viewer: &Viewer,
        programme: &ProgrammeId,
        action: &ActionId,
    ) -> Result<ActionObject, ApiError> {
        viewer.require_programme(programme)?;
        let bound =
            live_bound(app_state(ctx), programme)?.ok_or_else(|| programme_not_found(programme))?;
        let found = bound
            .read(|view| q::action(view, &viewer.actor, action))?
            .map_err(query_error)?;
        match found {
            Some(view) => Ok(ActionObject::new(bound, view)),
            None => Err(action_not_found(programme, action)),
        }
    }
}

impl ActionObject {
    /// Another action of the programme at the same bound, as this token sees it.
    fn related(&self, ctx: &Context<'_>, id: &ActionId) -> Result<Option<ActionObject>> {
        let actor = actor(ctx)?;
        let found = self
            .bound
            .read(|view| q::action(view, actor, id))?
            .map_err(query_error)?;
        Ok(found.map(|view| ActionObject::new(self.bound.clone(), view)))
    }
}

pub(crate) fn action_not_found(programme: &ProgrammeId, action: &ActionId) -> ApiError {
    ApiError::not_found(format!(
        "L'action « {action} » n'existe pas dans « {programme} » (ou ce jeton ne peut pas la voir)."
    ))
}

impl ActionObject {
    /// The action's stream folded from the log, as `decide` sees it; `None` at a past bound.
    async fn live_state(&self, ctx: &Context<'_>) -> Result<Option<domain::action::ActionState>> {
        let Some(programme) = self.bound.live_programme().cloned() else {
            return Ok(None);
        };
        let commands = app_state(ctx)
            .commands
            .clone()
            .ok_or_else(|| ApiError::bug("no command service"))?;
        let id = self.action.id.clone();
        let state = blocking(move || {
            commands
                .state_of::<domain::action::ActionDecider>(&programme, &id)
                .map_err(ApiError::from)
        })
        .await?;
        Ok(Some(state))
    }
}

#[Object(name = "Action")]
impl ActionObject {
    /// Les commandes que ce jeton peut donner sur cette action maintenant (noms de mutations) :
    /// la permission de son rôle et chaque condition d'état de DOMAIN.md, jamais les montants,
    /// dates ni textes. Vide à une borne passée.
    async fn available_commands(&self, ctx: &Context<'_>) -> Result<Vec<String>> {
        let Some(state) = self.live_state(ctx).await? else {
            return Ok(Vec::new());
        };
        let (actor, programme) = (actor(ctx)?, &self.bound.live_programme());
        Ok(programme
            .map(|p| domain::action::available_commands(actor, p, &state))
            .unwrap_or_default()
            .into_iter()
            .map(|kind| kind.mutation().to_owned())
            .collect())
    }

    /// Les sortes de bilan que l'action peut recevoir maintenant (avec submitReport) : un
    /// bilan intermédiaire en cours de réalisation, le bilan final une fois réalisée.
    async fn available_report_kinds(&self, ctx: &Context<'_>) -> Result<Vec<ReportKind>> {
        let Some(state) = self.live_state(ctx).await? else {
            return Ok(Vec::new());
        };
        Ok(domain::action::available_report_kinds(&state)
            .into_iter()
            .map(Into::into)
            .collect())
    }

    async fn id(&self) -> ID {
        id(&self.action.id)
    }

    async fn reference(&self) -> &str {
        &self.action.reference
    }

    async fn title(&self) -> &str {
        &self.action.title
    }

    async fn summary(&self) -> &str {
        &self.action.summary
    }

    async fn status(&self) -> ActionStatus {
        self.action.status.into()
    }

    async fn holder(&self) -> PartnerObject {
        self.action.holder.clone().into()
    }

    async fn axis(&self) -> AxisObject {
        self.action.axis.clone().into()
    }

    async fn secondary_axes(&self) -> Vec<AxisObject> {
        self.action
            .secondary_axes
            .iter()
            .cloned()
            .map(AxisObject::from)
            .collect()
    }

    async fn publics(&self) -> Vec<PublicKind> {
        self.action.publics.iter().map(|&p| p.into()).collect()
    }

    async fn qpv(&self) -> &[String] {
        &self.action.qpv
    }

    async fn period_start(&self) -> Date {
        Date(self.action.period_start)
    }

    async fn period_end(&self) -> Date {
        Date(self.action.period_end)
    }

    async fn year(&self) -> i32 {
        self.action.year
    }

    async fn total_cost(&self) -> Cents {
        Cents(self.action.total_cost)
    }

    async fn external_refs(&self) -> &[String] {
        &self.action.external_refs
    }

    /// Une ligne par financeur nommé à un moment de la vie de l'action.
    async fn money(&self) -> Vec<FundingLineObject> {
        self.action
            .money
            .iter()
            .cloned()
            .map(FundingLineObject::from)
            .collect()
    }

    async fn grants(&self) -> Vec<GrantRecordObject> {
        self.action
            .grants
            .iter()
            .map(|g| GrantRecordObject {
                id: id(&g.id),
                funder: g.funder.clone().into(),
                year: g.year,
                amount: Cents(g.amount),
                act_kind: g.act_kind.into(),
                reference: g.reference.clone(),
                signed_on: Date(g.signed_on),
            })
            .collect()
    }

    async fn payments(&self) -> Vec<PaymentRecordObject> {
        self.action
            .payments
            .iter()
            .map(|p| PaymentRecordObject {
                id: id(&p.id),
                funder: p.funder.clone().into(),
                amount: Cents(p.amount),
                kind: p.kind.into(),
                paid_on: Date(p.paid_on),
                cancelled: p.cancelled,
            })
            .collect()
    }

    async fn complements(&self) -> Vec<ComplementRecordObject> {
        self.action
            .complements
            .iter()
            .map(|c| ComplementRecordObject {
                requested_on: Date(c.requested_on),
                items: c.items.clone(),
                provided_on: c.provided_on.map(Date),
                note: c.note.clone(),
            })
            .collect()
    }

    /// Vide pour qui ne voit l'action qu'en observateur.
    async fn opinions(&self) -> Vec<OpinionRecordObject> {
        self.action
            .opinions
            .iter()
            .map(|o| OpinionRecordObject {
                bound: self.bound.clone(),
                opinion: o.clone(),
            })
            .collect()
    }

    /// La décision en vigueur.
    async fn decision(&self) -> Option<DecisionRecordObject> {
        self.action.decision.as_ref().map(|d| DecisionRecordObject {
            bound: self.bound.clone(),
            decision: d.clone(),
        })
    }

    async fn reports(&self) -> Vec<ReportRecordObject> {
        self.action
            .reports
            .iter()
            .map(|r| ReportRecordObject {
                kind: r.kind.into(),
                submitted_on: Date(r.submitted_on),
                spent: Cents(r.spent),
                summary: r.summary.clone(),
                beneficiaries: r
                    .beneficiaries
                    .iter()
                    .map(|b| BeneficiaryCountObject {
                        public: b.public.into(),
                        age_band: b.age_band.into(),
                        sex: b.sex.into(),
                        qpv_resident: b.qpv_resident,
                        count: b.count.map(|c| i32::try_from(c).unwrap_or(i32::MAX)),
                        hidden: b.hidden,
                    })
                    .collect(),
            })
            .collect()
    }

    async fn indicators(&self) -> Vec<IndicatorValueObject> {
        self.action
            .indicators
            .iter()
            .map(|i| IndicatorValueObject {
                code: i.code.clone(),
                label: i.label.clone(),
                target: i.target,
                measured: i.measured,
                measured_on: i.measured_on.map(Date),
                measurements: i
                    .measurements
                    .iter()
                    .map(|m| MeasurementObject {
                        value: m.value,
                        measured_on: Date(m.measured_on),
                    })
                    .collect(),
            })
            .collect()
    }

    /// When its final report (compte rendu financier) is due, extensions included; null once
    /// filed or when none is due.
    async fn final_report_due_on(&self) -> Option<Date> {
        self.action.final_report_due_on.map(Date)
    }

    async fn final_report_review(&self) -> Option<FinalReportReviewObject> {
        self.action
            .final_report_review
            .as_ref()
            .map(|r| FinalReportReviewObject {
                verdict: r.verdict.into(),
                comment: r.comment.clone(),
                reviewed_on: Date(r.reviewed_on),
            })
    }

    async fn evaluation(&self) -> Option<EvaluationRecordObject> {
        self.action
            .evaluation
            .as_ref()
            .map(|e| EvaluationRecordObject {
                rating: e.rating.into(),
                findings: e.findings.clone(),
                recommendation: e.recommendation.into(),
                evaluated_on: Date(e.evaluated_on),
            })
    }

    /// The earlier action this one continues (null when hidden from this token).
    async fn renews(&self, ctx: &Context<'_>) -> Result<Option<ActionObject>> {
        let Some(renewed) = &self.action.renews else {
            return Ok(None);
        };
        self.related(ctx, renewed)
    }

    /// The later action that continues it: the one neither withdrawn nor rejected, else the
    /// latest proposed (null when hidden from this token).
    async fn renewed_by(&self, ctx: &Context<'_>) -> Result<Option<ActionObject>> {
        let renewals = self
            .bound
            .read(|view| q::renewals_of(view, &self.action.id))?;
        let live = renewals.iter().find(|(_, status)| {
            !matches!(
                status,
                domain::values::ActionStatus::Withdrawn | domain::values::ActionStatus::Rejected
            )
        });
        match live.or(renewals.last()) {
            Some((id, _)) => self.related(ctx, id),
            None => Ok(None),
        }
    }

    /// For an evaluated action: whether its recommendation was followed (DOMAIN.md, Renewals);
    /// null while a renewal awaits its decision, or when it was not evaluated.
    async fn recommendation_followed(&self) -> Result<Option<bool>> {
        let recommendation = self.action.evaluation.as_ref().map(|e| e.recommendation);
        let renewals = self
            .bound
            .read(|view| q::renewals_of(view, &self.action.id))?;
        Ok(domain::action::recommendation_followed(
            recommendation,
            renewals.into_iter().map(|(_, status)| status),
        ))
    }

    /// Le motif donné lors du retrait, de la non-réalisation, ou de la dernière révision de sa
    /// décision.
    async fn last_reason(&self) -> Option<&str> {
        self.action.last_reason.as_deref()
    }

    /// Version du flux de l'action : à passer comme expectedVersion.
    async fn version(&self) -> i64 {
        int(self.action.version)
    }

    /// L'historique de l'action en français, du plus ancien au plus récent.
    async fn history(&self, ctx: &Context<'_>) -> Result<Vec<HistoryEntryObject>> {
        let actor = actor(ctx)?.clone();
        let log = app_state(ctx).log.clone();
        let action = self.action.id.clone();
        let entries = self
            .bound
            .read_blocking(move |view| {
                q::action_history(view, &actor, &action, &log).map_err(query_error)
            })
            .await?;
        Ok(entries
            .unwrap_or_default()
            .into_iter()
            .map(HistoryEntryObject::from)
            .collect())
    }
}

/// Les montants d'une action pour un financeur.
#[derive(SimpleObject, Debug, Clone)]
#[graphql(name = "FundingLine")]
pub struct FundingLineObject {
    funder: FunderObject,
    requested: Cents,
    proposed: Cents,
    retained: Cents,
    granted: Cents,
    paid: Cents,
    to_pay: Cents,
    /// Reversement demandé.
    repayment_requested: Cents,
    /// Reversement reçu.
    repaid: Cents,
    refused: bool,
    /// Vrai quand le jeton ne voit l'action qu'en observateur : `requested` et `proposed` sont
    /// alors retenus et valent 0.
    restricted: bool,
}

impl From<q::FundingLineView> for FundingLineObject {
    fn from(l: q::FundingLineView) -> Self {
        FundingLineObject {
            funder: l.funder.into(),
            requested: Cents(l.requested),
            proposed: Cents(l.proposed),
            retained: Cents(l.retained),
            granted: Cents(l.granted),
            paid: Cents(l.paid),
            to_pay: Cents(l.to_pay),
            repayment_requested: Cents(l.repayment_requested),
            repaid: Cents(l.repaid),
            refused: l.refused,
            restricted: l.restricted,
        }
    }
}

#[derive(SimpleObject, Debug, Clone)]
#[graphql(name = "GrantRecord")]
pub struct GrantRecordObject {
    id: ID,
    funder: FunderObject,
    year: i32,
    amount: Cents,
    act_kind: ActKind,
    reference: String,
    signed_on: Date,
}

#[derive(SimpleObject, Debug, Clone)]
#[graphql(name = "PaymentRecord")]
pub struct PaymentRecordObject {
    id: ID,
    funder: FunderObject,
    amount: Cents,
    kind: PaymentKind,
    paid_on: Date,
    cancelled: bool,
}

#[derive(SimpleObject, Debug, Clone)]
#[graphql(name = "ComplementRecord")]
pub struct ComplementRecordObject {
    requested_on: Date,
    items: Vec<String>,
    provided_on: Option<Date>,
    note: Option<String>,
}

/// The session an opinion or a decision names, at the same bound; if that bound does not
/// know it (a session scheduled with a later effective date than the opinion given there,
/// seen as of an effective date), the session as it stands now.
fn session_named(
    ctx: &Context<'_>,
    bound: &Bound,
    session: &SessionId,
) -> Result<SessionObject, ApiError> {
    let viewer = Viewer::of(ctx)?;
    let found = bound
        .read(|view| q::session(view, &viewer.actor, session))?
        .map_err(query_error)?;
    if let Some(found) = found {
        return Ok(SessionObject::new(bound.clone(), found));
    }
    let programme = bound.read(|view| view.id.clone())?;
    SessionObject::current(ctx, viewer, &programme, session)
}

/// Un avis technique donné en séance.
pub struct OpinionRecordObject {
    bound: Bound,
    opinion: q::OpinionView,
}

#[Object(name = "OpinionRecord")]
impl OpinionRecordObject {
    async fn session(&self, ctx: &Context<'_>) -> Result<SessionObject> {
        Ok(session_named(ctx, &self.bound, &self.opinion.session)?)
    }

    async fn opinion(&self) -> Opinion {
        self.opinion.opinion.into()
    }

    async fn proposed(&self) -> Vec<MoneyLineObject> {
        money_lines(&self.opinion.proposed)
    }

    async fn comment(&self) -> Option<&str> {
        self.opinion.comment.as_deref()
    }

    async fn given_on(&self) -> Date {
        Date(self.opinion.given_on)
    }
}

/// Une décision du COPIL.
pub struct DecisionRecordObject {
    bound: Bound,
    decision: q::DecisionView,
}

#[Object(name = "DecisionRecord")]
impl DecisionRecordObject {
    async fn session(&self, ctx: &Context<'_>) -> Result<SessionObject> {
        Ok(session_named(ctx, &self.bound, &self.decision.session)?)
    }

    async fn outcome(&self) -> DecisionOutcome {
        self.decision.outcome.into()
    }

    async fn retained(&self) -> Vec<MoneyLineObject> {
        money_lines(&self.decision.retained)
    }

    async fn reason(&self) -> Option<&str> {
        self.decision.reason.as_deref()
    }

    async fn decided_on(&self) -> Date {
        Date(self.decision.decided_on)
    }

    async fn revised(&self) -> bool {
        self.decision.revised
    }
}

#[derive(SimpleObject, Debug, Clone)]
#[graphql(name = "ReportRecord")]
pub struct ReportRecordObject {
    kind: ReportKind,
    submitted_on: Date,
    spent: Cents,
    summary: String,
    beneficiaries: Vec<BeneficiaryCountObject>,
}

/// `count` est nul et `hidden` vrai quand le jeton ne voit que des agrégats et que l'effectif
/// est sous le seuil.
#[derive(SimpleObject, Debug, Clone)]
#[graphql(name = "BeneficiaryCount")]
pub struct BeneficiaryCountObject {
    public: PublicKind,
    age_band: AgeBand,
    sex: Sex,
    qpv_resident: bool,
    count: Option<i32>,
    hidden: bool,
}

#[derive(SimpleObject, Debug, Clone)]
#[graphql(name = "IndicatorValue")]
pub struct IndicatorValueObject {
    code: String,
    label: String,
    target: Option<f64>,
    measured: Option<f64>,
    measured_on: Option<Date>,
    measurements: Vec<MeasurementObject>,
}

#[derive(SimpleObject, Debug, Clone)]
#[graphql(name = "Measurement")]
pub struct MeasurementObject {
    value: f64,
    measured_on: Date,
}

/// L'examen du dernier compte rendu financier.
#[derive(SimpleObject, Debug, Clone)]
#[graphql(name = "FinalReportReview")]
pub struct FinalReportReviewObject {
    verdict: ReportVerdict,
    comment: Option<String>,
    reviewed_on: Date,
}

#[derive(SimpleObject, Debug, Clone)]
#[graphql(name = "EvaluationRecord")]
pub struct EvaluationRecordObject {
    rating: Rating,
    findings: String,
    recommendation: Recommendation,
    evaluated_on: Date,
}

/// Un événement d'un flux, en mots.
#[derive(SimpleObject, Debug, Clone)]
#[graphql(name = "HistoryEntry", complex)]
pub struct HistoryEntryObject {
    position: i64,
    /// Phrase au passé, en français.
    summary: String,
    kind: String,
    effective_on: Date,
    recorded_at: DateTime,
    #[graphql(skip)]
    recorder: Recorder,
    /// Position de l'événement ultérieur qui a remplacé celui-ci, s'il y en a un.
    superseded_by: Option<i64>,
}

impl From<q::HistoryEntry> for HistoryEntryObject {
    fn from(h: q::HistoryEntry) -> Self {
        HistoryEntryObject {
            position: int(h.position),
            summary: h.summary,
            kind: h.kind.to_owned(),
            effective_on: Date(h.effective_on),
            recorded_at: DateTime(h.recorded_at),
            recorder: h.actor,
            superseded_by: h.superseded_by.map(int),
        }
    }
}

#[ComplexObject]
impl HistoryEntryObject {
    /// Qui l'a enregistré : « Marie Dupont (coordination) ».
    async fn actor(&self, ctx: &Context<'_>) -> String {
        app_state(ctx).actors.display(&self.recorder)
    }

    /// L'identifiant stable de l'agent (enveloppes au format 2) ; visible d'un ADMIN ou d'un PILOT.
    async fn actor_id(&self, ctx: &Context<'_>) -> Result<Option<ID>> {
        actor_id_for(ctx, &self.recorder)
    }

    /// Les textes libres de l'événement qui peuvent encore être effacés (`eraseText`), par leur
    /// place dans ses données (`summary`, `items[1]`) : pour un ADMIN ou un PILOT, vide sinon.
    async fn erasable_fields(&self, ctx: &Context<'_>) -> Result<Vec<String>> {
        let viewer = Viewer::of(ctx)?;
        if !matches!(
            viewer.role(),
            domain::values::Role::Admin | domain::values::Role::Pilot
        ) || self.recorder.id().is_none()
        {
            return Ok(Vec::new());
        }
        let log = app_state(ctx).log.clone();
        let position = u64::try_from(self.position).unwrap_or(0);
        Ok(blocking(move || crate::erasure::erasable_fields_at(&log, position)).await?)
    }
}

/// The stable id of whoever recorded an event, for those who may erase a name (ADMIN, PILOT).
fn actor_id_for(ctx: &Context<'_>, recorder: &Recorder) -> Result<Option<ID>> {
    let viewer = Viewer::of(ctx)?;
    let may = matches!(
        viewer.role(),
        domain::values::Role::Admin | domain::values::Role::Pilot
    );
    Ok(recorder.id().filter(|_| may).map(|id| ID(id.to_owned())))
}

// ------------------------------------------------------------------------------ session

/// Une séance d'une instance.
pub struct SessionObject {
    bound: Bound,
    session: q::SessionView,
}

impl SessionObject {
    pub(crate) fn new(bound: Bound, session: q::SessionView) -> SessionObject {
        SessionObject { bound, session }
    }

    /// The session as it stands now (mutation payloads); NOT_FOUND when it does not exist.
    pub fn current(
        ctx: &Context<'_>,
        viewer: &Viewer,
        programme: &ProgrammeId,
        session: &SessionId,
    ) -> Result<SessionObject, ApiError> {
        viewer.require_programme(programme)?;
        let bound =
            live_bound(app_state(ctx), programme)?.ok_or_else(|| programme_not_found(programme))?;
        let found = bound
            .read(|view| q::session(view, &viewer.actor, session))?
            .map_err(query_error)?;
        match found {
            Some(found) => Ok(SessionObject::new(bound, found)),
            None => Err(ApiError::not_found(format!(
                "La séance « {session} » n'existe pas dans « {programme} »."
            ))),
        }
    }
}

#[Object(name = "Session")]
impl SessionObject {
    async fn id(&self) -> ID {
        id(&self.session.id)
    }

    async fn body(&self) -> BodyKind {
        self.session.body.into()
    }

    async fn date(&self) -> Date {
        Date(self.session.date)
    }

    async fn title(&self) -> &str {
        &self.session.title
    }

    async fn held(&self) -> bool {
        self.session.held
    }

    async fn cancelled(&self) -> bool {
        self.session.cancelled
    }

    /// Commands this token may give on this session now (mutation names, e.g.
    /// recordCopilDecisions): its own steps, opinions and decisions at it. Empty at a past bound.
    async fn available_commands(&self, ctx: &Context<'_>) -> Result<Vec<String>> {
        let Some(programme) = self.bound.live_programme() else {
            return Ok(Vec::new());
        };
        let actor = actor(ctx)?;
        let kinds = self.bound.read(|view| {
            view.sessions
                .get(&self.session.id)
                .map(|state| domain::session::available_commands(actor, programme, state))
                .unwrap_or_default()
        })?;
        Ok(kinds.into_iter().map(|k| k.mutation().to_owned()).collect())
    }

    /// Version of the session's stream: pass it as expectedVersion.
    async fn version(&self) -> i64 {
        i64::try_from(self.session.version).unwrap_or(i64::MAX)
    }

    async fn present(&self) -> &[String] {
        &self.session.present
    }

    /// Avant la séance, les actions qui attendent cette instance ; une fois tenue, celles sur
    /// lesquelles elle s'est prononcée. Vide pour un observateur ; un porteur n'y voit que ses
    /// propres actions.
    async fn agenda(&self, ctx: &Context<'_>) -> Result<Vec<ActionObject>> {
        let actor = actor(ctx)?;
        let actions = self
            .bound
            .read(|view| q::session_agenda(view, actor, &self.session.id))?
            .map_err(query_error)?;
        Ok(actions
            .into_iter()
            .map(|a| ActionObject::new(self.bound.clone(), a))
            .collect())
    }

    /// The actions awaiting this body now, held or not (DOMAIN.md): what the relevé entry lists.
    async fn awaiting(&self, ctx: &Context<'_>) -> Result<Vec<ActionObject>> {
        let actor = actor(ctx)?;
        let actions = self
            .bound
            .read(|view| q::session_awaiting(view, actor, &self.session.id))?
            .map_err(query_error)?;
        Ok(actions
            .into_iter()
            .map(|a| ActionObject::new(self.bound.clone(), a))
            .collect())
    }

    /// Vrai quand le jeton ne voit pas l'ordre du jour en entier (observateur, porteur).
    async fn agenda_hidden(&self) -> bool {
        self.session.agenda_hidden
    }

    /// Le relevé de décisions : les avis d'une instance d'avis, les décisions et révisions du
    /// COPIL.
    async fn decisions(&self, ctx: &Context<'_>) -> Result<Vec<SessionDecisionObject>> {
        let actor = actor(ctx)?;
        let rows = self
            .bound
            .read(|view| q::session_decisions(view, actor, &self.session.id))?
            .map_err(query_error)?;
        Ok(rows
            .into_iter()
            .map(|row| SessionDecisionObject {
                action: ActionObject::new(self.bound.clone(), row.action),
                opinion: row.opinion.map(Into::into),
                outcome: row.outcome.map(Into::into),
                retained: money_lines(&row.retained),
                amount: Cents(row.amount),
                reason: row.reason,
                revision: row.revision,
            })
            .collect())
    }

    /// L'historique de la séance (programmée, tenue, annulée).
    async fn history(&self, ctx: &Context<'_>) -> Result<Vec<HistoryEntryObject>> {
        let actor = actor(ctx)?.clone();
        let log = app_state(ctx).log.clone();
        let session = self.session.id.clone();
        let entries = self
            .bound
            .read_blocking(move |view| {
                q::session_history(view, &actor, &session, &log).map_err(query_error)
            })
            .await?;
        Ok(entries.into_iter().map(HistoryEntryObject::from).collect())
    }
}

/// Une ligne du relevé de décisions.
#[derive(SimpleObject)]
#[graphql(name = "SessionDecision")]
pub struct SessionDecisionObject {
    action: ActionObject,
    opinion: Option<Opinion>,
    outcome: Option<DecisionOutcome>,
    retained: Vec<MoneyLineObject>,
    amount: Cents,
    reason: Option<String>,
    revision: bool,
}

// ------------------------------------------------------------------------------ budget

/// Programmation annuelle et suivi financier d'un exercice.
#[derive(SimpleObject)]
#[graphql(name = "Budget")]
pub struct BudgetObject {
    year: i32,
    lines: Vec<BudgetLineObject>,
    total: BudgetLineObject,
    /// Programmation annuelle : une ligne par action retenue ayant de l'argent cet exercice.
    programmation: Vec<ProgrammationRowObject>,
}

impl BudgetObject {
    pub(crate) fn new(bound: &Bound, budget: q::BudgetView) -> BudgetObject {
        BudgetObject {
            year: budget.year,
            lines: budget
                .lines
                .into_iter()
                .map(BudgetLineObject::from)
                .collect(),
            total: budget.total.into(),
            programmation: budget
                .programmation
                .into_iter()
                .map(|row| ProgrammationRowObject {
                    action: ActionObject::new(bound.clone(), row.action),
                    amounts: row
                        .amounts
                        .into_iter()
                        .map(FundingLineObject::from)
                        .collect(),
                })
                .collect(),
        }
    }
}

#[derive(SimpleObject, Debug, Clone)]
#[graphql(name = "BudgetLine")]
pub struct BudgetLineObject {
    funder: Option<FunderObject>,
    envelope: Cents,
    requested: Cents,
    retained: Cents,
    granted: Cents,
    paid: Cents,
    to_pay: Cents,
    /// granted / envelope, en pour mille (0..1000+) ; nul sans enveloppe.
    consumption_permille: Option<i32>,
    /// Vrai quand le jeton ne voit pas les montants demandés : `requested` vaut alors 0.
    requested_hidden: bool,
}

impl From<q::BudgetLineView> for BudgetLineObject {
    fn from(l: q::BudgetLineView) -> Self {
        BudgetLineObject {
            funder: l.funder.map(Into::into),
            envelope: Cents(l.envelope),
            requested: Cents(l.requested),
            retained: Cents(l.retained),
            granted: Cents(l.granted),
            paid: Cents(l.paid),
            to_pay: Cents(l.to_pay),
            consumption_permille: l
                .consumption_permille
                .map(|c| i32::try_from(c).unwrap_or(i32::MAX)),
            requested_hidden: l.requested_hidden,
        }
    }
}

#[derive(SimpleObject)]
#[graphql(name = "ProgrammationRow")]
pub struct ProgrammationRowObject {
    action: ActionObject,
    amounts: Vec<FundingLineObject>,
}

/// Un bilan final attendu.
#[derive(SimpleObject)]
#[graphql(name = "ReportDue")]
pub struct ReportDueObject {
    action: ActionObject,
    kind: ReportKind,
    due_on: Date,
    overdue: bool,
}

impl ReportDueObject {
    pub(crate) fn new(bound: &Bound, due: q::ReportDueView) -> ReportDueObject {
        ReportDueObject {
            action: ActionObject::new(bound.clone(), due.action),
            kind: due.kind.into(),
            due_on: Date(due.due_on),
            overdue: due.overdue,
        }
    }
}

// ------------------------------------------------------------------------------ timeline

/// Une entrée de la frise chronologique.
#[derive(SimpleObject, Debug, Clone)]
#[graphql(name = "TimelineEntry", complex)]
pub struct TimelineEntryObject {
    position: i64,
    effective_on: Date,
    recorded_at: DateTime,
    kind: String,
    summary: String,
    #[graphql(skip)]
    recorder: Recorder,
    action_id: Option<ID>,
    session_id: Option<ID>,
    axis: Option<ID>,
    amount: Option<Cents>,
    superseded_by: Option<i64>,
}

impl From<q::TimelineEntry> for TimelineEntryObject {
    fn from(e: q::TimelineEntry) -> Self {
        TimelineEntryObject {
            position: int(e.position),
            effective_on: Date(e.effective_on),
            recorded_at: DateTime(e.recorded_at),
            kind: e.kind.to_owned(),
            summary: e.summary,
            recorder: e.actor,
            action_id: e.action_id.as_ref().map(id),
            session_id: e.session_id.as_ref().map(id),
            axis: e.axis.as_ref().map(id),
            amount: e.amount.map(Cents),
            superseded_by: e.superseded_by.map(int),
        }
    }
}

#[ComplexObject]
impl TimelineEntryObject {
    /// Qui l'a enregistré : « Marie Dupont (coordination) ».
    async fn actor(&self, ctx: &Context<'_>) -> String {
        app_state(ctx).actors.display(&self.recorder)
    }

    /// L'identifiant stable de l'agent (enveloppes au format 2) ; visible d'un ADMIN ou d'un PILOT.
    async fn actor_id(&self, ctx: &Context<'_>) -> Result<Option<ID>> {
        actor_id_for(ctx, &self.recorder)
    }
}

#[derive(SimpleObject, Debug, Clone)]
#[graphql(name = "TimelineEdge")]
pub struct TimelineEdgeObject {
    node: TimelineEntryObject,
    cursor: String,
}

#[derive(SimpleObject, Debug, Clone)]
#[graphql(name = "TimelineConnection")]
pub struct TimelineConnectionObject {
    edges: Vec<TimelineEdgeObject>,
    page_info: PageInfo,
}

impl From<q::TimelineConnection> for TimelineConnectionObject {
    fn from(c: q::TimelineConnection) -> Self {
        TimelineConnectionObject {
            edges: c
                .edges
                .into_iter()
                .map(|e| TimelineEdgeObject {
                    node: e.node.into(),
                    cursor: e.cursor,
                })
                .collect(),
            page_info: page_info(c.page_info),
        }
    }
}

fn page_info(p: q::PageInfo) -> PageInfo {
    PageInfo {
        has_next_page: p.has_next_page,
        end_cursor: p.end_cursor,
    }
}

#[derive(SimpleObject)]
#[graphql(name = "ActionEdge")]
pub struct ActionEdgeObject {
    node: ActionObject,
    cursor: String,
}

#[derive(SimpleObject)]
#[graphql(name = "ActionConnection")]
pub struct ActionConnectionObject {
    edges: Vec<ActionEdgeObject>,
    page_info: PageInfo,
    total_count: i32,
}

impl ActionConnectionObject {
    pub(crate) fn new(bound: &Bound, c: q::ActionConnection) -> ActionConnectionObject {
        ActionConnectionObject {
            edges: c
                .edges
                .into_iter()
                .map(|e| ActionEdgeObject {
                    node: ActionObject::new(bound.clone(), e.node),
                    cursor: e.cursor,
                })
                .collect(),
            page_info: page_info(c.page_info),
            total_count: i32::try_from(c.total_count).unwrap_or(i32::MAX),
        }
    }
}

// ------------------------------------------------------------------------------ changes

/// Ce qui a changé entre deux moments.
#[derive(SimpleObject, Debug, Clone)]
#[graphql(name = "ChangeSet")]
pub struct ChangeSetObject {
    from_position: i64,
    to_position: i64,
    entries: Vec<TimelineEntryObject>,
    actions_added: Vec<ID>,
    status_changes: Vec<StatusChangeObject>,
    /// Par financeur : attribué à `to` moins attribué à `from`.
    granted_delta: Vec<FunderDeltaObject>,
}

impl ChangeSetObject {
    /// `from_position` and `to_position` are the log positions the two bounds stand for.
    pub(crate) fn new(c: q::ChangeSet, from_position: u64, to_position: u64) -> ChangeSetObject {
        ChangeSetObject {
            from_position: int(from_position),
            to_position: int(to_position),
            entries: c.entries.into_iter().map(Into::into).collect(),
            actions_added: c.actions_added.iter().map(id).collect(),
            status_changes: c
                .status_changes
                .into_iter()
                .map(|s| StatusChangeObject {
                    action_id: id(&s.action_id),
                    from: s.from.map(Into::into),
                    to: s.to.into(),
                })
                .collect(),
            granted_delta: c.granted_delta.into_iter().map(Into::into).collect(),
        }
    }
}

#[derive(SimpleObject, Debug, Clone)]
#[graphql(name = "StatusChange")]
pub struct StatusChangeObject {
    action_id: ID,
    from: Option<ActionStatus>,
    to: ActionStatus,
}

#[derive(SimpleObject, Debug, Clone)]
#[graphql(name = "FunderDelta")]
pub struct FunderDeltaObject {
    funder: FunderObject,
    delta: SignedCents,
}

impl From<q::FunderDelta> for FunderDeltaObject {
    fn from(d: q::FunderDelta) -> Self {
        FunderDeltaObject {
            funder: d.funder.into(),
            delta: SignedCents(d.delta),
        }
    }
}
