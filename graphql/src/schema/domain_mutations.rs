//! The domain's mutations: each turns its input into a domain command, hands it to the
//! [`CommandService`], and answers with the payload of api.graphql once the write is durable and
//! visible in the read models.
//!
//! Resolvers only translate (ARCHITECTURE.md): strings become validated values (a malformed one
//! is `VALIDATION`), enums become domain enums, options become [`CommandMeta`], and the
//! service's errors become `extensions.code`.

#![allow(
    clippy::too_many_arguments,
    reason = "each resolver takes the arguments api.graphql gives its field: the contract sets their number"
)]

use super::enums::{
    ActKind, AgeBand, BodyKind, DecisionOutcome, FunderKind, LegalForm, NationalObjective, Opinion,
    PartnerKind, Payer, PaymentKind, PublicKind, Rating, Recommendation, ReportKind, ReportVerdict,
    ReviewSection, Sex,
};
use super::objects::{ActionObject, PartnerObject, ProgrammeObject, SessionObject};
use super::scalars::{Cents, Date};
use crate::auth::Viewer;
use crate::commands::{CommandMeta, CommandService, Issuer, Outcome, fingerprint};
use crate::error::ApiError;
use crate::state::AppState;
use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject, Value};
use domain::action::{
    ActionCommand, ActionDecider, CopilDecision, RecordCopilDecisions, placeholder_grant_id,
    placeholder_payment_id, placeholder_reference,
};
use domain::decider::{Command, Decider};
use domain::events::{ActionAmended, ActionProposed};
use domain::partner::{PartnerCommand, PartnerDecider};
use domain::programme::{ProgrammeCommand, ProgrammeDecider};
use domain::session::{SessionCommand, SessionDecider};
use domain::values::{
    Act, ActionId, AxisCode, BeneficiaryCount, FunderId, GrantId, IndicatorCode, IndicatorDef,
    MoneyLine, PartnerId, PaymentId, ProgrammeId, Rna, SessionId, Siret, Text, Year,
};
use std::collections::BTreeMap;

// ---------------------------------------------------------------------------------- inputs

/// Common to every mutation.
#[derive(InputObject, Default)]
pub struct CommandOptions {
    /// Idempotency key, scoped to the programme: the same key with the same command returns the
    /// first result and writes nothing new; with a different command it is VALIDATION.
    pub command_id: Option<ID>,
    /// Optimistic concurrency on the target stream: CONFLICT if its version differs.
    pub expected_version: Option<i32>,
    /// The effective date of the fact (when it happened in the world).
    pub effective_on: Option<Date>,
}

#[derive(InputObject)]
pub struct MoneyLineInput {
    pub funder_id: ID,
    pub amount: Cents,
}

#[derive(InputObject)]
pub struct IndicatorInput {
    pub code: String,
    pub label: String,
    pub target: Option<f64>,
}

#[derive(InputObject)]
pub struct BeneficiaryInput {
    pub public: PublicKind,
    pub age_band: AgeBand,
    pub sex: Sex,
    pub qpv_resident: bool,
    pub count: i32,
}

#[derive(InputObject)]
pub struct ActInput {
    pub kind: ActKind,
    pub reference: String,
    pub signed_on: Date,
}

#[derive(InputObject)]
pub struct EstablishProgrammeInput {
    pub id: ID,
    pub name: String,
    pub territory: Vec<String>,
    pub qpv: Vec<String>,
    pub labelled_on: Option<Date>,
    /// Per mille of the total cost an action may request without a warning; 800 when absent.
    #[graphql(default_with = "Some(800)")]
    pub request_cap_permille: Option<i32>,
}

#[derive(InputObject)]
pub struct DefineAxisInput {
    pub code: ID,
    pub title: String,
    pub objective: NationalObjective,
}

#[derive(InputObject)]
pub struct RegisterFunderInput {
    pub id: ID,
    pub name: String,
    pub kind: FunderKind,
    /// Default: from `kind`, as DOMAIN.md maps old funders.
    pub payer: Option<Payer>,
}

#[derive(InputObject)]
pub struct NotifyEnvelopeInput {
    pub funder_id: ID,
    pub year: i32,
    pub amount: Cents,
    pub reference: Option<String>,
}

#[derive(InputObject)]
pub struct RegisterPartnerInput {
    pub id: ID,
    pub name: String,
    pub kind: PartnerKind,
    pub siret: Option<String>,
    /// Absent or null: UNKNOWN (which the rules treat as private law).
    #[graphql(default_with = "Some(LegalForm::Unknown)")]
    pub legal_form: Option<LegalForm>,
    pub rna: Option<String>,
}

#[derive(InputObject)]
pub struct ScheduleSessionInput {
    pub id: ID,
    pub body: BodyKind,
    pub date: Date,
    pub title: String,
}

#[derive(InputObject)]
pub struct ProposeActionInput {
    pub id: ID,
    pub reference: Option<String>,
    pub title: String,
    pub summary: String,
    pub holder_id: ID,
    pub axis: ID,
    pub secondary_axes: Option<Vec<ID>>,
    pub publics: Vec<PublicKind>,
    pub qpv: Option<Vec<String>>,
    pub period_start: Date,
    pub period_end: Date,
    pub year: i32,
    pub total_cost: Cents,
    pub requested: Vec<MoneyLineInput>,
    pub indicators: Option<Vec<IndicatorInput>>,
    pub external_refs: Option<Vec<String>>,
    /// An earlier action of the same programme, of an earlier year, that this one continues.
    pub renews: Option<ID>,
}

#[derive(InputObject)]
pub struct AmendActionInput {
    pub title: Option<String>,
    pub summary: Option<String>,
    pub axis: Option<ID>,
    pub secondary_axes: Option<Vec<ID>>,
    pub publics: Option<Vec<PublicKind>>,
    pub qpv: Option<Vec<String>>,
    pub period_start: Option<Date>,
    pub period_end: Option<Date>,
    pub total_cost: Option<Cents>,
    pub requested: Option<Vec<MoneyLineInput>>,
    pub indicators: Option<Vec<IndicatorInput>>,
}

#[derive(InputObject)]
pub struct CopilDecisionInput {
    pub action_id: ID,
    pub expected_version: Option<i32>,
    pub outcome: DecisionOutcome,
    pub retained: Option<Vec<MoneyLineInput>>,
    pub reason: Option<String>,
}

// ---------------------------------------------------------------------------------- payloads

/// `position`: the last position the mutation wrote. `warnings`: rule codes accepted with a
/// warning, e.g. request_above_cap.
#[derive(SimpleObject)]
pub struct ActionPayload {
    pub action: ActionObject,
    pub position: i64,
    pub warnings: Vec<String>,
    /// The same warnings, each as a French sentence with its figures (for a person).
    pub warning_messages: Vec<String>,
}

#[derive(SimpleObject)]
pub struct ProgrammePayload {
    pub programme: ProgrammeObject,
    pub position: i64,
    /// Rule codes accepted with a warning (e.g. `personal_data_suspected`).
    pub warnings: Vec<String>,
    /// The same warnings, each as a French sentence with its figures (for a person).
    pub warning_messages: Vec<String>,
}

#[derive(SimpleObject)]
pub struct SessionPayload {
    pub session: SessionObject,
    pub position: i64,
    /// Rule codes accepted with a warning (e.g. `personal_data_suspected`).
    pub warnings: Vec<String>,
    /// The same warnings, each as a French sentence with its figures (for a person).
    pub warning_messages: Vec<String>,
}

#[derive(SimpleObject)]
pub struct PartnerPayload {
    pub partner: PartnerObject,
    pub position: i64,
    /// Rule codes accepted with a warning (e.g. `personal_data_suspected`).
    pub warnings: Vec<String>,
    /// The same warnings, each as a French sentence with its figures (for a person).
    pub warning_messages: Vec<String>,
}

#[derive(SimpleObject)]
pub struct DecisionsPayload {
    pub actions: Vec<ActionObject>,
    pub position: i64,
    /// Rule codes accepted with a warning (e.g. `personal_data_suspected`).
    pub warnings: Vec<String>,
    /// The same warnings, each as a French sentence with its figures (for a person).
    pub warning_messages: Vec<String>,
}

// ---------------------------------------------------------------------------------- parsing

pub(super) fn programme_id(id: &str) -> Result<ProgrammeId, ApiError> {
    Ok(ProgrammeId::parse(id)?)
}
fn to_action_id(id: &str) -> Result<ActionId, ApiError> {
    Ok(ActionId::parse(id)?)
}
fn session_id(id: &str) -> Result<SessionId, ApiError> {
    Ok(SessionId::parse(id)?)
}
fn partner_id(id: &str) -> Result<PartnerId, ApiError> {
    Ok(PartnerId::parse(id)?)
}
fn funder_id(id: &str) -> Result<FunderId, ApiError> {
    Ok(FunderId::parse(id)?)
}
fn axis(code: &str) -> Result<AxisCode, ApiError> {
    Ok(AxisCode::parse(code)?)
}
pub(super) fn text<const MAX: usize>(
    field: &'static str,
    value: &str,
) -> Result<Text<MAX>, ApiError> {
    Ok(Text::<MAX>::parse(field, value)?)
}
fn texts<const MAX: usize>(
    field: &'static str,
    values: &[String],
) -> Result<Vec<Text<MAX>>, ApiError> {
    values.iter().map(|v| text::<MAX>(field, v)).collect()
}
fn year(value: i32) -> Result<Year, ApiError> {
    Ok(Year::parse(value)?)
}
fn money_lines(lines: &[MoneyLineInput]) -> Result<Vec<MoneyLine>, ApiError> {
    lines
        .iter()
        .map(|l| {
            Ok(MoneyLine {
                funder: funder_id(&l.funder_id)?,
                amount: l.amount.0,
            })
        })
        .collect()
}
fn indicators(inputs: &[IndicatorInput]) -> Result<Vec<IndicatorDef>, ApiError> {
    inputs
        .iter()
        .map(|i| {
            if let Some(target) = i.target
                && !target.is_finite()
            {
                return Err(ApiError::validation(format!(
                    "la cible de l'indicateur « {} » doit être un nombre",
                    i.code
                )));
            }
            Ok(IndicatorDef {
                code: IndicatorCode::parse(&i.code)?,
                label: text("libellé de l'indicateur", &i.label)?,
                target: i.target,
            })
        })
        .collect()
}
fn axes(codes: &[ID]) -> Result<Vec<AxisCode>, ApiError> {
    codes.iter().map(|c| axis(c)).collect()
}
fn nonnegative(field: &str, value: i32) -> Result<u64, ApiError> {
    u64::try_from(value)
        .map_err(|_| ApiError::validation(format!("{field} ne peut pas être négatif ({value})")))
}

/// The canonical text of a mutation's arguments, without its command id: the same command sent
/// twice, even with its fields in another order, gives the same text.
fn canonical(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<_> = map.keys().collect();
            keys.sort();
            out.push('{');
            for key in keys {
                if key.as_str() == "commandId" {
                    continue;
                }
                out.push_str(key.as_str());
                out.push(':');
                canonical(&map[key], out);
                out.push(',');
            }
            out.push('}');
        }
        Value::List(items) => {
            out.push('[');
            for item in items {
                canonical(item, out);
                out.push(',');
            }
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
}

/// The service's view of the options, with the fingerprint of the mutation as sent.
pub(super) fn meta(
    ctx: &Context<'_>,
    options: &Option<CommandOptions>,
) -> Result<CommandMeta, ApiError> {
    let arguments = ctx
        .field()
        .arguments()
        .map_err(|e| ApiError::bug(format!("arguments of a mutation: {}", e.message)))?;
    let mut text = String::new();
    let mut sorted: Vec<_> = arguments.iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    for (name, value) in sorted {
        text.push_str(name.as_str());
        text.push('=');
        canonical(value, &mut text);
        text.push(';');
    }
    let options = options.as_ref();
    let command_id = options
        .and_then(|o| o.command_id.as_ref())
        .map(|id| id.to_string());
    if let Some(id) = &command_id
        && (id.is_empty() || id.len() > 200)
    {
        return Err(ApiError::validation(
            "commandId doit contenir de 1 à 200 caractères",
        ));
    }
    let expected_version = options
        .and_then(|o| o.expected_version)
        .map(|v| nonnegative("expectedVersion", v))
        .transpose()?;
    Ok(CommandMeta {
        command_id,
        fingerprint: fingerprint(ctx.field().name(), &text),
        expected_version,
    })
}

fn effective_on(options: &Option<CommandOptions>) -> Option<chrono::NaiveDate> {
    options.as_ref().and_then(|o| o.effective_on).map(|d| d.0)
}

pub(super) fn command<C>(command: C, options: &Option<CommandOptions>) -> Command<C> {
    Command {
        command,
        effective_on: effective_on(options),
    }
}

/// The caller, its issuer for the log, the state and the command service.
pub(super) fn context<'a>(
    ctx: &Context<'a>,
) -> Result<(&'a Viewer, Issuer, &'a AppState, CommandService), ApiError> {
    let viewer = Viewer::of(ctx)?;
    let state = ctx.data_unchecked::<AppState>();
    let service = state.commands()?;
    let issuer = viewer.issuer();
    Ok((viewer, issuer, state, service))
}

fn beneficiary_counts(inputs: &[BeneficiaryInput]) -> Result<Vec<BeneficiaryCount>, ApiError> {
    inputs
        .iter()
        .map(|b| {
            Ok(BeneficiaryCount {
                public: b.public.into(),
                age_band: b.age_band.into(),
                sex: b.sex.into(),
                qpv_resident: b.qpv_resident,
                count: domain::action::beneficiary_count(i64::from(b.count))?,
            })
        })
        .collect()
}

fn position(outcome: &Outcome) -> i64 {
    i64::try_from(outcome.position).unwrap_or(i64::MAX)
}

/// The one path of the mutations on one stream: the command through the command service, then
/// the payload of the stream's kind. `id` names the target stream; an invalid id is reported
/// after the caller's token and options, as for every other argument.
async fn run<D: Answer>(
    ctx: &Context<'_>,
    programme: &str,
    id: Result<D::Id, ApiError>,
    command_value: D::Command,
    options: &Option<CommandOptions>,
) -> Result<D::Payload> {
    let meta = meta(ctx, options)?;
    let (viewer, issuer, _, service) = context(ctx)?;
    let programme = programme_id(programme)?;
    let id = id?;
    let outcome = service
        .run::<D>(
            &issuer,
            &programme,
            &id,
            command(command_value, options),
            &meta,
        )
        .await
        .map_err(ApiError::from)?;
    D::answer(ctx, viewer, &programme, &id, outcome)
}

/// What a mutation on a stream of this kind answers: the one place each kind of stream is
/// registered with the resolvers.
trait Answer: Decider {
    type Payload;
    fn answer(
        ctx: &Context<'_>,
        viewer: &Viewer,
        programme: &ProgrammeId,
        id: &Self::Id,
        outcome: Outcome,
    ) -> Result<Self::Payload>;
}

impl Answer for ProgrammeDecider {
    type Payload = ProgrammePayload;
    fn answer(
        ctx: &Context<'_>,
        viewer: &Viewer,
        programme: &ProgrammeId,
        _: &(),
        outcome: Outcome,
    ) -> Result<ProgrammePayload> {
        Ok(ProgrammePayload {
            programme: ProgrammeObject::current(ctx, viewer, programme)?,
            position: position(&outcome),
            warnings: outcome.warnings,
            warning_messages: outcome.warning_messages,
        })
    }
}

impl Answer for PartnerDecider {
    type Payload = PartnerPayload;
    fn answer(
        ctx: &Context<'_>,
        viewer: &Viewer,
        programme: &ProgrammeId,
        id: &PartnerId,
        outcome: Outcome,
    ) -> Result<PartnerPayload> {
        Ok(PartnerPayload {
            partner: PartnerObject::current(ctx, viewer, programme, id)?,
            position: position(&outcome),
            warnings: outcome.warnings,
            warning_messages: outcome.warning_messages,
        })
    }
}

impl Answer for SessionDecider {
    type Payload = SessionPayload;
    fn answer(
        ctx: &Context<'_>,
        viewer: &Viewer,
        programme: &ProgrammeId,
        id: &SessionId,
        outcome: Outcome,
    ) -> Result<SessionPayload> {
        Ok(SessionPayload {
            session: SessionObject::current(ctx, viewer, programme, id)?,
            position: position(&outcome),
            warnings: outcome.warnings,
            warning_messages: outcome.warning_messages,
        })
    }
}

impl Answer for ActionDecider {
    type Payload = ActionPayload;
    fn answer(
        ctx: &Context<'_>,
        viewer: &Viewer,
        programme: &ProgrammeId,
        id: &ActionId,
        outcome: Outcome,
    ) -> Result<ActionPayload> {
        Ok(ActionPayload {
            action: ActionObject::current(ctx, viewer, programme, id)?,
            position: position(&outcome),
            warnings: outcome.warnings,
            warning_messages: outcome.warning_messages,
        })
    }
}

// ---------------------------------------------------------------------------------- mutations

#[derive(Default)]
pub struct DomainMutation;

#[Object]
impl DomainMutation {
    async fn establish_programme(
        &self,
        ctx: &Context<'_>,
        input: EstablishProgrammeInput,
        options: Option<CommandOptions>,
    ) -> Result<ProgrammePayload> {
        let requested_cap = input.request_cap_permille.unwrap_or(i32::from(
            domain::events::legacy::DEFAULT_REQUEST_CAP_PERMILLE,
        ));
        let cap = u16::try_from(requested_cap).map_err(|_| {
            ApiError::validation(format!(
                "requestCapPermille doit être compris entre 0 et 1000 ({requested_cap} donné)"
            ))
        })?;
        let programme = programme_id(&input.id)?;
        let cmd = ProgrammeCommand::EstablishProgramme {
            programme: programme.clone(),
            name: text("nom", &input.name)?,
            territory: texts("territoire", &input.territory)?,
            qpv: texts("QPV", &input.qpv)?,
            labelled_on: input.labelled_on.map(|d| d.0),
            request_cap_permille: cap,
        };
        run::<ProgrammeDecider>(ctx, programme.as_str(), Ok(()), cmd, &options).await
    }

    async fn define_axis(
        &self,
        ctx: &Context<'_>,
        programme_id: ID,
        input: DefineAxisInput,
        options: Option<CommandOptions>,
    ) -> Result<ProgrammePayload> {
        let cmd = ProgrammeCommand::DefineAxis {
            code: axis(&input.code)?,
            title: text("titre de l'axe", &input.title)?,
            objective: input.objective.into(),
        };
        run::<ProgrammeDecider>(ctx, &programme_id, Ok(()), cmd, &options).await
    }

    async fn retire_axis(
        &self,
        ctx: &Context<'_>,
        programme_id: ID,
        code: ID,
        options: Option<CommandOptions>,
    ) -> Result<ProgrammePayload> {
        let cmd = ProgrammeCommand::RetireAxis { code: axis(&code)? };
        run::<ProgrammeDecider>(ctx, &programme_id, Ok(()), cmd, &options).await
    }

    async fn register_funder(
        &self,
        ctx: &Context<'_>,
        programme_id: ID,
        input: RegisterFunderInput,
        options: Option<CommandOptions>,
    ) -> Result<ProgrammePayload> {
        let kind = FunderKind::into(input.kind);
        let cmd = ProgrammeCommand::RegisterFunder {
            funder: funder_id(&input.id)?,
            name: text("nom du financeur", &input.name)?,
            kind,
            payer: input
                .payer
                .map_or(domain::values::Payer::of_kind(kind), Into::into),
        };
        run::<ProgrammeDecider>(ctx, &programme_id, Ok(()), cmd, &options).await
    }

    async fn notify_envelope(
        &self,
        ctx: &Context<'_>,
        programme_id: ID,
        input: NotifyEnvelopeInput,
        options: Option<CommandOptions>,
    ) -> Result<ProgrammePayload> {
        let cmd = ProgrammeCommand::NotifyEnvelope {
            funder: funder_id(&input.funder_id)?,
            year: year(input.year)?,
            amount: input.amount.0,
            reference: input
                .reference
                .as_deref()
                .map(|r| text("référence", r))
                .transpose()?,
        };
        run::<ProgrammeDecider>(ctx, &programme_id, Ok(()), cmd, &options).await
    }

    async fn revise_envelope(
        &self,
        ctx: &Context<'_>,
        programme_id: ID,
        funder_id: ID,
        year: i32,
        amount: Cents,
        reason: String,
        options: Option<CommandOptions>,
    ) -> Result<ProgrammePayload> {
        let cmd = ProgrammeCommand::ReviseEnvelope {
            funder: self::funder_id(&funder_id)?,
            year: self::year(year)?,
            amount: amount.0,
            reason: text("motif", &reason)?,
        };
        run::<ProgrammeDecider>(ctx, &programme_id, Ok(()), cmd, &options).await
    }

    async fn change_body_membership(
        &self,
        ctx: &Context<'_>,
        programme_id: ID,
        body: BodyKind,
        organisations: Vec<String>,
        options: Option<CommandOptions>,
    ) -> Result<ProgrammePayload> {
        let cmd = ProgrammeCommand::ChangeBodyMembership {
            body: body.into(),
            organisations: texts("organisation", &organisations)?,
        };
        run::<ProgrammeDecider>(ctx, &programme_id, Ok(()), cmd, &options).await
    }

    /// QPV codes as the ANCT publishes them; schools by their UAI (seven digits and a check
    /// letter).
    async fn change_territory(
        &self,
        ctx: &Context<'_>,
        programme_id: ID,
        communes: Vec<String>,
        qpv: Vec<String>,
        schools: Option<Vec<String>>,
        reason: String,
        options: Option<CommandOptions>,
    ) -> Result<ProgrammePayload> {
        let cmd = ProgrammeCommand::ChangeTerritory {
            communes: texts("commune", &communes)?,
            qpv: texts("QPV", &qpv)?,
            schools: texts("école", schools.as_deref().unwrap_or_default())?,
            reason: text("motif", &reason)?,
        };
        run::<ProgrammeDecider>(ctx, &programme_id, Ok(()), cmd, &options).await
    }

    async fn write_review_section(
        &self,
        ctx: &Context<'_>,
        programme_id: ID,
        year: i32,
        section: ReviewSection,
        text: String,
        options: Option<CommandOptions>,
    ) -> Result<ProgrammePayload> {
        let cmd = ProgrammeCommand::WriteReviewSection {
            year: self::year(year)?,
            section: section.into(),
            text: self::text::<20_000>("texte de la section", &text)?,
        };
        run::<ProgrammeDecider>(ctx, &programme_id, Ok(()), cmd, &options).await
    }

    /// The troïka validated the revue de projet of `year` at `sessionId`, a held COPIL session
    /// of a later year.
    async fn validate_annual_review(
        &self,
        ctx: &Context<'_>,
        programme_id: ID,
        year: i32,
        session_id: ID,
        options: Option<CommandOptions>,
    ) -> Result<ProgrammePayload> {
        let cmd = ProgrammeCommand::ValidateAnnualReview {
            year: self::year(year)?,
            session: self::session_id(&session_id)?,
        };
        run::<ProgrammeDecider>(ctx, &programme_id, Ok(()), cmd, &options).await
    }

    async fn register_partner(
        &self,
        ctx: &Context<'_>,
        programme_id: ID,
        input: RegisterPartnerInput,
        options: Option<CommandOptions>,
    ) -> Result<PartnerPayload> {
        let partner = partner_id(&input.id)?;
        let cmd = PartnerCommand::RegisterPartner {
            partner: partner.clone(),
            name: text("nom du partenaire", &input.name)?,
            kind: PartnerKind::into(input.kind),
            siret: input
                .siret
                .as_deref()
                .map(Siret::parse)
                .transpose()
                .map_err(ApiError::from)?,
            legal_form: input.legal_form.unwrap_or(LegalForm::Unknown).into(),
            rna: input
                .rna
                .as_deref()
                .map(Rna::parse)
                .transpose()
                .map_err(ApiError::from)?,
        };
        run::<PartnerDecider>(ctx, &programme_id, Ok(partner), cmd, &options).await
    }

    async fn set_partner_legal_form(
        &self,
        ctx: &Context<'_>,
        programme_id: ID,
        partner_id: ID,
        legal_form: LegalForm,
        reason: String,
        options: Option<CommandOptions>,
    ) -> Result<PartnerPayload> {
        let partner = self::partner_id(&partner_id)?;
        let cmd = PartnerCommand::SetPartnerLegalForm {
            legal_form: legal_form.into(),
            reason: text("motif", &reason)?,
        };
        run::<PartnerDecider>(ctx, &programme_id, Ok(partner), cmd, &options).await
    }

    async fn partner_leaves(
        &self,
        ctx: &Context<'_>,
        programme_id: ID,
        partner_id: ID,
        reason: String,
        options: Option<CommandOptions>,
    ) -> Result<PartnerPayload> {
        let partner = self::partner_id(&partner_id)?;
        let cmd = PartnerCommand::PartnerLeaves {
            reason: text("motif", &reason)?,
        };
        run::<PartnerDecider>(ctx, &programme_id, Ok(partner), cmd, &options).await
    }

    async fn schedule_session(
        &self,
        ctx: &Context<'_>,
        programme_id: ID,
        input: ScheduleSessionInput,
        options: Option<CommandOptions>,
    ) -> Result<SessionPayload> {
        let session = session_id(&input.id)?;
        let cmd = SessionCommand::ScheduleSession {
            session: session.clone(),
            body: input.body.into(),
            date: input.date.0,
            title: text("titre de la séance", &input.title)?,
        };
        run::<SessionDecider>(ctx, &programme_id, Ok(session), cmd, &options).await
    }

    async fn record_session_held(
        &self,
        ctx: &Context<'_>,
        programme_id: ID,
        session_id: ID,
        present: Vec<String>,
        options: Option<CommandOptions>,
    ) -> Result<SessionPayload> {
        let session = self::session_id(&session_id)?;
        let cmd = SessionCommand::RecordSessionHeld {
            present: texts::<200>("organisation présente", &present)?,
        };
        run::<SessionDecider>(ctx, &programme_id, Ok(session), cmd, &options).await
    }

    async fn correct_attendance(
        &self,
        ctx: &Context<'_>,
        programme_id: ID,
        session_id: ID,
        present: Vec<String>,
        reason: String,
        options: Option<CommandOptions>,
    ) -> Result<SessionPayload> {
        let session = self::session_id(&session_id)?;
        let cmd = SessionCommand::CorrectAttendance {
            present: texts::<200>("organisation présente", &present)?,
            reason: text("motif", &reason)?,
        };
        run::<SessionDecider>(ctx, &programme_id, Ok(session), cmd, &options).await
    }

    async fn cancel_session(
        &self,
        ctx: &Context<'_>,
        programme_id: ID,
        session_id: ID,
        reason: String,
        options: Option<CommandOptions>,
    ) -> Result<SessionPayload> {
        let session = self::session_id(&session_id)?;
        let cmd = SessionCommand::CancelSession {
            reason: text("motif", &reason)?,
        };
        run::<SessionDecider>(ctx, &programme_id, Ok(session), cmd, &options).await
    }

    async fn propose_action(
        &self,
        ctx: &Context<'_>,
        programme_id: ID,
        input: ProposeActionInput,
        options: Option<CommandOptions>,
    ) -> Result<ActionPayload> {
        let action = to_action_id(&input.id)?;
        let proposal = ActionProposed {
            action: action.clone(),
            reference: match input.reference.as_deref() {
                Some(r) => text("référence", r)?,
                None => placeholder_reference(),
            },
            title: text("titre", &input.title)?,
            summary: text::<20_000>("résumé", &input.summary)?,
            holder: partner_id(&input.holder_id)?,
            axis: axis(&input.axis)?,
            secondary_axes: axes(input.secondary_axes.as_deref().unwrap_or_default())?,
            publics: input.publics.iter().map(|p| (*p).into()).collect(),
            qpv: texts("QPV", input.qpv.as_deref().unwrap_or_default())?,
            period_start: input.period_start.0,
            period_end: input.period_end.0,
            year: year(input.year)?,
            total_cost: input.total_cost.0,
            requested: money_lines(&input.requested)?,
            indicators: indicators(input.indicators.as_deref().unwrap_or_default())?,
            external_refs: texts(
                "référence externe",
                input.external_refs.as_deref().unwrap_or_default(),
            )?,
            renews: input
                .renews
                .as_deref()
                .map(|r| to_action_id(r))
                .transpose()?,
        };
        run::<ActionDecider>(
            ctx,
            &programme_id,
            Ok(action),
            ActionCommand::ProposeAction(proposal),
            &options,
        )
        .await
    }

    async fn amend_action(
        &self,
        ctx: &Context<'_>,
        programme_id: ID,
        action_id: ID,
        input: AmendActionInput,
        options: Option<CommandOptions>,
    ) -> Result<ActionPayload> {
        let amended = ActionAmended {
            title: input
                .title
                .as_deref()
                .map(|t| text("titre", t))
                .transpose()?,
            summary: input
                .summary
                .as_deref()
                .map(|s| text::<20_000>("résumé", s))
                .transpose()?,
            axis: input.axis.as_ref().map(|a| axis(a)).transpose()?,
            secondary_axes: input.secondary_axes.as_deref().map(axes).transpose()?,
            publics: input
                .publics
                .map(|ps| ps.into_iter().map(Into::into).collect()),
            qpv: input.qpv.as_deref().map(|q| texts("QPV", q)).transpose()?,
            period_start: input.period_start.map(|d| d.0),
            period_end: input.period_end.map(|d| d.0),
            total_cost: input.total_cost.map(|c| c.0),
            requested: input.requested.as_deref().map(money_lines).transpose()?,
            indicators: input.indicators.as_deref().map(indicators).transpose()?,
        };
        run::<ActionDecider>(
            ctx,
            &programme_id,
            to_action_id(&action_id),
            ActionCommand::AmendAction(amended),
            &options,
        )
        .await
    }

    async fn request_complements(
        &self,
        ctx: &Context<'_>,
        programme_id: ID,
        action_id: ID,
        items: Vec<String>,
        options: Option<CommandOptions>,
    ) -> Result<ActionPayload> {
        let cmd = ActionCommand::RequestComplements {
            items: texts("complément demandé", &items)?,
        };
        run::<ActionDecider>(ctx, &programme_id, to_action_id(&action_id), cmd, &options).await
    }

    async fn provide_complements(
        &self,
        ctx: &Context<'_>,
        programme_id: ID,
        action_id: ID,
        note: String,
        options: Option<CommandOptions>,
    ) -> Result<ActionPayload> {
        let cmd = ActionCommand::ProvideComplements {
            note: text("note", &note)?,
        };
        run::<ActionDecider>(ctx, &programme_id, to_action_id(&action_id), cmd, &options).await
    }

    async fn withdraw_action(
        &self,
        ctx: &Context<'_>,
        programme_id: ID,
        action_id: ID,
        reason: String,
        options: Option<CommandOptions>,
    ) -> Result<ActionPayload> {
        let cmd = ActionCommand::WithdrawAction {
            reason: text("motif", &reason)?,
        };
        run::<ActionDecider>(ctx, &programme_id, to_action_id(&action_id), cmd, &options).await
    }

    async fn give_opinion(
        &self,
        ctx: &Context<'_>,
        programme_id: ID,
        action_id: ID,
        session_id: ID,
        opinion: Opinion,
        proposed: Option<Vec<MoneyLineInput>>,
        comment: Option<String>,
        options: Option<CommandOptions>,
    ) -> Result<ActionPayload> {
        let cmd = ActionCommand::GiveOpinion {
            session: self::session_id(&session_id)?,
            opinion: opinion.into(),
            proposed: money_lines(proposed.as_deref().unwrap_or_default())?,
            comment: comment
                .as_deref()
                .map(|c| text("commentaire", c))
                .transpose()?,
        };
        run::<ActionDecider>(ctx, &programme_id, to_action_id(&action_id), cmd, &options).await
    }

    /// All decisions of one COPIL session, recorded atomically: all or none.
    async fn record_copil_decisions(
        &self,
        ctx: &Context<'_>,
        programme_id: ID,
        session_id: ID,
        decisions: Vec<CopilDecisionInput>,
        options: Option<CommandOptions>,
    ) -> Result<DecisionsPayload> {
        let meta = meta(ctx, &options)?;
        let (viewer, issuer, _, service) = context(ctx)?;
        let programme = self::programme_id(&programme_id)?;
        let mut expected_versions = BTreeMap::new();
        let mut parsed = Vec::with_capacity(decisions.len());
        for d in &decisions {
            let action = to_action_id(&d.action_id)?;
            if let Some(v) = d.expected_version {
                expected_versions.insert(action.clone(), nonnegative("expectedVersion", v)?);
            }
            parsed.push(CopilDecision {
                action,
                outcome: d.outcome.into(),
                retained: money_lines(d.retained.as_deref().unwrap_or_default())?,
                reason: d
                    .reason
                    .as_deref()
                    .map(|r| text::<5_000>("motif", r))
                    .transpose()?,
            });
        }
        let actions: Vec<ActionId> = parsed.iter().map(|d| d.action.clone()).collect();
        let cmd = RecordCopilDecisions {
            session: self::session_id(&session_id)?,
            decisions: parsed,
        };
        let outcome = service
            .copil_decisions(
                &issuer,
                &programme,
                command(cmd, &options),
                &expected_versions,
                &meta,
            )
            .await
            .map_err(ApiError::from)?;
        let actions = actions
            .iter()
            .map(|a| ActionObject::current(ctx, viewer, &programme, a))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(DecisionsPayload {
            actions,
            position: position(&outcome),
            warnings: outcome.warnings,
            warning_messages: outcome.warning_messages,
        })
    }

    /// Supersedes the action's current decision by one taken at `sessionId`, a held COPIL
    /// session (rule 13).
    async fn revise_decision(
        &self,
        ctx: &Context<'_>,
        programme_id: ID,
        action_id: ID,
        session_id: ID,
        outcome: DecisionOutcome,
        retained: Option<Vec<MoneyLineInput>>,
        reason: String,
        options: Option<CommandOptions>,
    ) -> Result<ActionPayload> {
        let cmd = ActionCommand::ReviseDecision {
            session: self::session_id(&session_id)?,
            outcome: outcome.into(),
            retained: money_lines(retained.as_deref().unwrap_or_default())?,
            reason: text("motif", &reason)?,
        };
        run::<ActionDecider>(ctx, &programme_id, to_action_id(&action_id), cmd, &options).await
    }

    async fn award_grant(
        &self,
        ctx: &Context<'_>,
        programme_id: ID,
        action_id: ID,
        funder_id: ID,
        year: i32,
        amount: Cents,
        act: ActInput,
        options: Option<CommandOptions>,
    ) -> Result<ActionPayload> {
        let cmd = ActionCommand::AwardGrant {
            grant: placeholder_grant_id(),
            funder: self::funder_id(&funder_id)?,
            year: self::year(year)?,
            amount: amount.0,
            act: Act {
                kind: act.kind.into(),
                reference: text("référence de l'acte", &act.reference)?,
                signed_on: act.signed_on.0,
            },
        };
        run::<ActionDecider>(ctx, &programme_id, to_action_id(&action_id), cmd, &options).await
    }

    async fn refuse_grant(
        &self,
        ctx: &Context<'_>,
        programme_id: ID,
        action_id: ID,
        funder_id: ID,
        reason: String,
        options: Option<CommandOptions>,
    ) -> Result<ActionPayload> {
        let cmd = ActionCommand::RefuseGrant {
            funder: self::funder_id(&funder_id)?,
            reason: text("motif", &reason)?,
        };
        run::<ActionDecider>(ctx, &programme_id, to_action_id(&action_id), cmd, &options).await
    }

    async fn record_payment(
        &self,
        ctx: &Context<'_>,
        programme_id: ID,
        action_id: ID,
        funder_id: ID,
        amount: Cents,
        kind: PaymentKind,
        paid_on: Date,
        options: Option<CommandOptions>,
    ) -> Result<ActionPayload> {
        let cmd = ActionCommand::RecordPayment {
            payment: placeholder_payment_id(),
            funder: self::funder_id(&funder_id)?,
            amount: amount.0,
            kind: kind.into(),
            paid_on: paid_on.0,
        };
        run::<ActionDecider>(ctx, &programme_id, to_action_id(&action_id), cmd, &options).await
    }

    /// Cancels a payment recorded by mistake, with a reason; `Action.payments` gives the ids.
    async fn cancel_payment(
        &self,
        ctx: &Context<'_>,
        programme_id: ID,
        action_id: ID,
        payment_id: ID,
        reason: String,
        options: Option<CommandOptions>,
    ) -> Result<ActionPayload> {
        let cmd = ActionCommand::CancelPayment {
            payment: PaymentId::parse(&payment_id).map_err(ApiError::from)?,
            reason: text("motif", &reason)?,
        };
        run::<ActionDecider>(ctx, &programme_id, to_action_id(&action_id), cmd, &options).await
    }

    async fn start_action(
        &self,
        ctx: &Context<'_>,
        programme_id: ID,
        action_id: ID,
        started_on: Date,
        options: Option<CommandOptions>,
    ) -> Result<ActionPayload> {
        let cmd = ActionCommand::StartAction {
            started_on: started_on.0,
        };
        run::<ActionDecider>(ctx, &programme_id, to_action_id(&action_id), cmd, &options).await
    }

    async fn change_period(
        &self,
        ctx: &Context<'_>,
        programme_id: ID,
        action_id: ID,
        period_start: Date,
        period_end: Date,
        reason: String,
        options: Option<CommandOptions>,
    ) -> Result<ActionPayload> {
        let cmd = ActionCommand::ChangePeriod {
            period_start: period_start.0,
            period_end: period_end.0,
            reason: text("motif", &reason)?,
        };
        run::<ActionDecider>(ctx, &programme_id, to_action_id(&action_id), cmd, &options).await
    }

    async fn complete_action(
        &self,
        ctx: &Context<'_>,
        programme_id: ID,
        action_id: ID,
        completed_on: Date,
        options: Option<CommandOptions>,
    ) -> Result<ActionPayload> {
        let cmd = ActionCommand::CompleteAction {
            completed_on: completed_on.0,
        };
        run::<ActionDecider>(ctx, &programme_id, to_action_id(&action_id), cmd, &options).await
    }

    async fn attest_non_realisation(
        &self,
        ctx: &Context<'_>,
        programme_id: ID,
        action_id: ID,
        reason: String,
        options: Option<CommandOptions>,
    ) -> Result<ActionPayload> {
        let cmd = ActionCommand::AttestNonRealisation {
            reason: text("motif", &reason)?,
        };
        run::<ActionDecider>(ctx, &programme_id, to_action_id(&action_id), cmd, &options).await
    }

    async fn request_repayment(
        &self,
        ctx: &Context<'_>,
        programme_id: ID,
        action_id: ID,
        funder_id: ID,
        amount: Cents,
        reason: String,
        options: Option<CommandOptions>,
    ) -> Result<ActionPayload> {
        let cmd = ActionCommand::RequestRepayment {
            funder: self::funder_id(&funder_id)?,
            amount: amount.0,
            reason: text("motif", &reason)?,
        };
        run::<ActionDecider>(ctx, &programme_id, to_action_id(&action_id), cmd, &options).await
    }

    async fn record_repayment(
        &self,
        ctx: &Context<'_>,
        programme_id: ID,
        action_id: ID,
        funder_id: ID,
        amount: Cents,
        received_on: Date,
        options: Option<CommandOptions>,
    ) -> Result<ActionPayload> {
        let cmd = ActionCommand::RecordRepayment {
            funder: self::funder_id(&funder_id)?,
            amount: amount.0,
            received_on: received_on.0,
        };
        run::<ActionDecider>(ctx, &programme_id, to_action_id(&action_id), cmd, &options).await
    }

    async fn submit_report(
        &self,
        ctx: &Context<'_>,
        programme_id: ID,
        action_id: ID,
        kind: ReportKind,
        spent: Cents,
        summary: String,
        beneficiaries: Vec<BeneficiaryInput>,
        options: Option<CommandOptions>,
    ) -> Result<ActionPayload> {
        let beneficiaries = beneficiary_counts(&beneficiaries)?;
        let cmd = ActionCommand::SubmitReport {
            kind: kind.into(),
            spent: spent.0,
            narrative: text::<20_000>("bilan", &summary)?,
            beneficiaries,
        };
        run::<ActionDecider>(ctx, &programme_id, to_action_id(&action_id), cmd, &options).await
    }

    /// An avenant: the grant's new amount (DOMAIN.md rule 6), never below what was paid.
    async fn amend_grant(
        &self,
        ctx: &Context<'_>,
        programme_id: ID,
        action_id: ID,
        grant_id: ID,
        amount: Cents,
        reference: String,
        reason: String,
        options: Option<CommandOptions>,
    ) -> Result<ActionPayload> {
        let cmd = ActionCommand::AmendGrant {
            grant: GrantId::parse(&grant_id).map_err(ApiError::from)?,
            amount: amount.0,
            reference: text("référence de l'avenant", &reference)?,
            reason: text("motif", &reason)?,
        };
        run::<ActionDecider>(ctx, &programme_id, to_action_id(&action_id), cmd, &options).await
    }

    async fn cancel_repayment_request(
        &self,
        ctx: &Context<'_>,
        programme_id: ID,
        action_id: ID,
        funder_id: ID,
        reason: String,
        options: Option<CommandOptions>,
    ) -> Result<ActionPayload> {
        let cmd = ActionCommand::CancelRepaymentRequest {
            funder: self::funder_id(&funder_id)?,
            reason: text("motif", &reason)?,
        };
        run::<ActionDecider>(ctx, &programme_id, to_action_id(&action_id), cmd, &options).await
    }

    /// Supersedes a report (its index in Action.reports, from 0) with corrected figures.
    async fn correct_report(
        &self,
        ctx: &Context<'_>,
        programme_id: ID,
        action_id: ID,
        report_index: i32,
        spent: Cents,
        summary: String,
        beneficiaries: Vec<BeneficiaryInput>,
        reason: String,
        options: Option<CommandOptions>,
    ) -> Result<ActionPayload> {
        let report = u32::try_from(report_index).map_err(|_| {
            ApiError::validation(format!(
                "reportIndex compte les bilans à partir de 0 ({report_index} donné)"
            ))
        })?;
        let cmd = ActionCommand::CorrectReport {
            report,
            spent: spent.0,
            beneficiaries: beneficiary_counts(&beneficiaries)?,
            narrative: text::<20_000>("bilan", &summary)?,
            reason: text("motif", &reason)?,
        };
        run::<ActionDecider>(ctx, &programme_id, to_action_id(&action_id), cmd, &options).await
    }

    async fn measure_indicator(
        &self,
        ctx: &Context<'_>,
        programme_id: ID,
        action_id: ID,
        code: String,
        value: f64,
        measured_on: Date,
        options: Option<CommandOptions>,
    ) -> Result<ActionPayload> {
        let cmd = ActionCommand::MeasureIndicator {
            code: IndicatorCode::parse(&code).map_err(ApiError::from)?,
            value,
            measured_on: measured_on.0,
        };
        run::<ActionDecider>(ctx, &programme_id, to_action_id(&action_id), cmd, &options).await
    }

    async fn evaluate_action(
        &self,
        ctx: &Context<'_>,
        programme_id: ID,
        action_id: ID,
        rating: Rating,
        findings: String,
        recommendation: Recommendation,
        options: Option<CommandOptions>,
    ) -> Result<ActionPayload> {
        let cmd = ActionCommand::EvaluateAction {
            rating: rating.into(),
            findings: text::<20_000>("constats", &findings)?,
            recommendation: recommendation.into(),
        };
        run::<ActionDecider>(ctx, &programme_id, to_action_id(&action_id), cmd, &options).await
    }

    async fn extend_report_deadline(
        &self,
        ctx: &Context<'_>,
        programme_id: ID,
        action_id: ID,
        due_on: Date,
        reason: String,
        options: Option<CommandOptions>,
    ) -> Result<ActionPayload> {
        let cmd = ActionCommand::ExtendReportDeadline {
            due_on: due_on.0,
            reason: text("motif", &reason)?,
        };
        run::<ActionDecider>(ctx, &programme_id, to_action_id(&action_id), cmd, &options).await
    }

    async fn review_final_report(
        &self,
        ctx: &Context<'_>,
        programme_id: ID,
        action_id: ID,
        verdict: ReportVerdict,
        comment: Option<String>,
        options: Option<CommandOptions>,
    ) -> Result<ActionPayload> {
        let cmd = ActionCommand::ReviewFinalReport {
            verdict: verdict.into(),
            comment: comment
                .as_deref()
                .map(|c| text("commentaire", c))
                .transpose()?,
        };
        run::<ActionDecider>(ctx, &programme_id, to_action_id(&action_id), cmd, &options).await
    }

    async fn close_action(
        &self,
        ctx: &Context<'_>,
        programme_id: ID,
        action_id: ID,
        options: Option<CommandOptions>,
    ) -> Result<ActionPayload> {
        run::<ActionDecider>(
            ctx,
            &programme_id,
            to_action_id(&action_id),
            ActionCommand::CloseAction,
            &options,
        )
        .await
    }
}
