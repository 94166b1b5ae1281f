//! DOMAIN.md's table of permissions, in one place: [`permitted`] answers for a role and a kind
//! of command; [`authorize`] adds the bindings of the token (programme, partner).
//!
//! A refusal is [`DomainError::Forbidden`] and its siblings (`FORBIDDEN` in the API), never a
//! rule violation.

use crate::actor::Actor;
use crate::error::DomainError;
use crate::values::{ActionStatus, PartnerId, ProgrammeId, Role};
use serde::{Deserialize, Serialize};

// ------------------------------------------------------------------------ reading rules

/// How a viewer sees one action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActionAccess {
    /// Not at all: as if it did not exist.
    Hidden,
    /// As an observer: retained actions, no opinion, no requested amount, small cells hidden.
    Restricted,
    Full,
}

impl ActionAccess {
    pub fn is_visible(self) -> bool {
        self != ActionAccess::Hidden
    }
}

/// Sees everything of the programme (ADMIN, PILOT, COORDINATOR, EVALUATOR).
pub fn sees_everything(viewer: &Actor) -> bool {
    matches!(
        viewer.role,
        Role::Admin | Role::Pilot | Role::Coordinator | Role::Evaluator
    )
}

/// RETAINED or later: the statuses an observer may see.
pub fn observer_may_see_status(status: ActionStatus) -> bool {
    use ActionStatus::*;
    matches!(
        status,
        Retained | Funded | InProgress | Completed | NotRealised | Reported | Evaluated | Closed
    )
}

/// How `viewer` sees an action held by partner `holder`, of status `status`.
pub fn access(viewer: &Actor, holder: &str, status: ActionStatus) -> ActionAccess {
    if sees_everything(viewer) {
        return ActionAccess::Full;
    }
    if viewer.role == Role::Porteur && viewer.partner.as_ref().map(|p| p.as_str()) == Some(holder) {
        return ActionAccess::Full;
    }
    if observer_may_see_status(status) {
        ActionAccess::Restricted
    } else {
        ActionAccess::Hidden
    }
}

// ------------------------------------------------------------------------------ commands

/// Every kind of command a user can give, named after its mutation in api.graphql.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum CommandKind {
    EstablishProgramme,
    /// createToken, revokeToken: outside the event log, but in the table.
    ManageTokens,
    DefineAxis,
    RetireAxis,
    RegisterFunder,
    NotifyEnvelope,
    ReviseEnvelope,
    ChangeBodyMembership,
    ChangeTerritory,
    WriteReviewSection,
    ValidateAnnualReview,
    RegisterPartner,
    SetPartnerLegalForm,
    PartnerLeaves,
    ScheduleSession,
    RecordSessionHeld,
    CancelSession,
    ProposeAction,
    AmendAction,
    RequestComplements,
    ProvideComplements,
    WithdrawAction,
    GiveOpinion,
    RecordCopilDecisions,
    ReviseDecision,
    AwardGrant,
    RefuseGrant,
    RecordPayment,
    CancelPayment,
    StartAction,
    ChangePeriod,
    CompleteAction,
    AttestNonRealisation,
    RequestRepayment,
    RecordRepayment,
    SubmitReport,
    MeasureIndicator,
    EvaluateAction,
    CloseAction,
    ExtendReportDeadline,
    ReviewFinalReport,
    AmendGrant,
    CancelRepaymentRequest,
    CorrectReport,
    CorrectAttendance,
    /// eraseText: a PILOT for their programme, an ADMIN for any.
    EraseText,
    /// eraseActorName: the same, and only an ADMIN for an actor known in several programmes
    /// (checked by the API, which knows the log).
    EraseActorName,
}

/// Where the page offers a command: the programme (« Paramètres », « Proposer une action »), an
/// action's fiche, a séance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    Programme,
    Action,
    Session,
}

impl CommandKind {
    pub const ALL: &'static [CommandKind] = &[
        CommandKind::EstablishProgramme,
        CommandKind::ManageTokens,
        CommandKind::DefineAxis,
        CommandKind::RetireAxis,
        CommandKind::RegisterFunder,
        CommandKind::NotifyEnvelope,
        CommandKind::ReviseEnvelope,
        CommandKind::ChangeBodyMembership,
        CommandKind::ChangeTerritory,
        CommandKind::WriteReviewSection,
        CommandKind::ValidateAnnualReview,
        CommandKind::RegisterPartner,
        CommandKind::SetPartnerLegalForm,
        CommandKind::PartnerLeaves,
        CommandKind::ScheduleSession,
        CommandKind::RecordSessionHeld,
        CommandKind::CancelSession,
        CommandKind::ProposeAction,
        CommandKind::AmendAction,
        CommandKind::RequestComplements,
        CommandKind::ProvideComplements,
        CommandKind::WithdrawAction,
        CommandKind::GiveOpinion,
        CommandKind::RecordCopilDecisions,
        CommandKind::ReviseDecision,
        CommandKind::AwardGrant,
        CommandKind::RefuseGrant,
        CommandKind::RecordPayment,
        CommandKind::CancelPayment,
        CommandKind::StartAction,
        CommandKind::ChangePeriod,
        CommandKind::CompleteAction,
        CommandKind::AttestNonRealisation,
        CommandKind::RequestRepayment,
        CommandKind::RecordRepayment,
        CommandKind::SubmitReport,
        CommandKind::MeasureIndicator,
        CommandKind::EvaluateAction,
        CommandKind::CloseAction,
        CommandKind::ExtendReportDeadline,
        CommandKind::ReviewFinalReport,
        CommandKind::AmendGrant,
        CommandKind::CancelRepaymentRequest,
        CommandKind::CorrectReport,
        CommandKind::CorrectAttendance,
        CommandKind::EraseText,
        CommandKind::EraseActorName,
    ];

    /// Whether the page offers this command at `place` (what `availableCommands` lists there).
    pub fn offered_at(self, place: Place) -> bool {
        use CommandKind::*;
        // An erasure names an event of the history, not a place of the page.
        if matches!(self, EraseText | EraseActorName) {
            return false;
        }
        const AT_SESSION: &[CommandKind] = &[
            RecordSessionHeld,
            CancelSession,
            CorrectAttendance,
            GiveOpinion,
            RecordCopilDecisions,
        ];
        let programme = matches!(
            self,
            ManageTokens
                | DefineAxis
                | RetireAxis
                | RegisterFunder
                | NotifyEnvelope
                | ReviseEnvelope
                | ChangeBodyMembership
                | ChangeTerritory
                | WriteReviewSection
                | ValidateAnnualReview
                | RegisterPartner
                | SetPartnerLegalForm
                | PartnerLeaves
                | ScheduleSession
                | ProposeAction
        );
        match place {
            Place::Programme => programme,
            Place::Session => AT_SESSION.contains(&self),
            // Opinions and decisions are given on an action as well as at their séance.
            Place::Action => {
                !programme
                    && self != EstablishProgramme
                    && !matches!(self, RecordSessionHeld | CancelSession | CorrectAttendance)
            }
        }
    }

    /// The commands the page offers at `place`.
    pub fn offered(place: Place) -> impl Iterator<Item = CommandKind> {
        CommandKind::ALL
            .iter()
            .copied()
            .filter(move |k| k.offered_at(place))
    }

    /// The mutation's name in api.graphql.
    pub fn mutation(self) -> &'static str {
        use CommandKind::*;
        match self {
            EstablishProgramme => "establishProgramme",
            ManageTokens => "createToken",
            DefineAxis => "defineAxis",
            RetireAxis => "retireAxis",
            RegisterFunder => "registerFunder",
            NotifyEnvelope => "notifyEnvelope",
            ReviseEnvelope => "reviseEnvelope",
            ChangeBodyMembership => "changeBodyMembership",
            ChangeTerritory => "changeTerritory",
            WriteReviewSection => "writeReviewSection",
            ValidateAnnualReview => "validateAnnualReview",
            RegisterPartner => "registerPartner",
            SetPartnerLegalForm => "setPartnerLegalForm",
            PartnerLeaves => "partnerLeaves",
            ScheduleSession => "scheduleSession",
            RecordSessionHeld => "recordSessionHeld",
            CancelSession => "cancelSession",
            ProposeAction => "proposeAction",
            AmendAction => "amendAction",
            RequestComplements => "requestComplements",
            ProvideComplements => "provideComplements",
            WithdrawAction => "withdrawAction",
            GiveOpinion => "giveOpinion",
            RecordCopilDecisions => "recordCopilDecisions",
            ReviseDecision => "reviseDecision",
            AwardGrant => "awardGrant",
            RefuseGrant => "refuseGrant",
            RecordPayment => "recordPayment",
            CancelPayment => "cancelPayment",
            StartAction => "startAction",
            ChangePeriod => "changePeriod",
            CompleteAction => "completeAction",
            AttestNonRealisation => "attestNonRealisation",
            RequestRepayment => "requestRepayment",
            RecordRepayment => "recordRepayment",
            SubmitReport => "submitReport",
            MeasureIndicator => "measureIndicator",
            EvaluateAction => "evaluateAction",
            CloseAction => "closeAction",
            ExtendReportDeadline => "extendReportDeadline",
            ReviewFinalReport => "reviewFinalReport",
            AmendGrant => "amendGrant",
            CancelRepaymentRequest => "cancelRepaymentRequest",
            CorrectReport => "correctReport",
            CorrectAttendance => "correctAttendance",
            EraseText => "eraseText",
            EraseActorName => "eraseActorName",
        }
    }

    /// What the command does, in French, for messages: « enregistrer un versement ».
    pub fn label(self) -> &'static str {
        use CommandKind::*;
        match self {
            EstablishProgramme => "créer une cité éducative",
            ManageTokens => "gérer les jetons d'accès",
            DefineAxis => "définir un axe",
            RetireAxis => "retirer un axe",
            RegisterFunder => "enregistrer un financeur",
            NotifyEnvelope => "notifier une enveloppe",
            ReviseEnvelope => "réviser une enveloppe",
            ChangeBodyMembership => "modifier la composition d'une instance",
            ChangeTerritory => "modifier le territoire",
            WriteReviewSection => "rédiger la revue de projet",
            ValidateAnnualReview => "valider la revue de projet",
            RegisterPartner => "enregistrer un partenaire",
            SetPartnerLegalForm => "renseigner la forme juridique d'un partenaire",
            PartnerLeaves => "enregistrer le départ d'un partenaire",
            ScheduleSession => "programmer une séance",
            RecordSessionHeld => "enregistrer la tenue d'une séance",
            CancelSession => "annuler une séance",
            ProposeAction => "proposer une action",
            AmendAction => "modifier une action",
            RequestComplements => "demander des compléments",
            ProvideComplements => "fournir des compléments",
            WithdrawAction => "retirer une action",
            GiveOpinion => "rendre un avis",
            RecordCopilDecisions => "enregistrer les décisions du COPIL",
            ReviseDecision => "réviser une décision",
            AwardGrant => "enregistrer une attribution",
            RefuseGrant => "enregistrer un refus de financement",
            RecordPayment => "enregistrer un versement",
            CancelPayment => "annuler un versement",
            StartAction => "démarrer une action",
            ChangePeriod => "modifier la période d'une action",
            CompleteAction => "achever une action",
            AttestNonRealisation => "attester la non-réalisation d'une action",
            RequestRepayment => "demander un reversement",
            RecordRepayment => "enregistrer un reversement reçu",
            SubmitReport => "déposer un bilan",
            MeasureIndicator => "mesurer un indicateur",
            EvaluateAction => "évaluer une action",
            CloseAction => "clôturer une action",
            ExtendReportDeadline => "reporter l'échéance d'un compte rendu financier",
            ReviewFinalReport => "examiner un compte rendu financier",
            AmendGrant => "enregistrer un avenant",
            CancelRepaymentRequest => "annuler une demande de reversement",
            CorrectReport => "corriger un bilan",
            CorrectAttendance => "corriger la liste des présents",
            EraseText => "effacer un texte",
            EraseActorName => "effacer le nom d'un agent",
        }
    }
}

/// DOMAIN.md's table "Permissions", row by row. PORTEUR is allowed here for its rows; that it
/// acts only on its own partner's actions is checked by [`authorize`].
pub fn permitted(role: Role, command: CommandKind) -> bool {
    use CommandKind::*;
    use Role::*;
    match command {
        EstablishProgramme | ManageTokens => role == Admin,
        EraseText | EraseActorName => matches!(role, Admin | Pilot),
        DefineAxis | RetireAxis | RegisterFunder | NotifyEnvelope | ReviseEnvelope
        | ChangeBodyMembership | ValidateAnnualReview => role == Pilot,
        RegisterPartner | SetPartnerLegalForm | PartnerLeaves | ScheduleSession
        | RecordSessionHeld | CancelSession | ChangeTerritory | WriteReviewSection => {
            matches!(role, Pilot | Coordinator)
        }
        ProposeAction | AmendAction | ProvideComplements | WithdrawAction | StartAction
        | ChangePeriod | CompleteAction | AttestNonRealisation | SubmitReport
        | MeasureIndicator => matches!(role, Coordinator | Porteur),
        RequestComplements | GiveOpinion => role == Coordinator,
        // The CPO keeps the COPIL's secretariat and types its relevé.
        RecordCopilDecisions | ReviseDecision => matches!(role, Pilot | Coordinator),
        AwardGrant
        | RefuseGrant
        | RecordPayment
        | CancelPayment
        | RequestRepayment
        | RecordRepayment
        | ExtendReportDeadline
        | ReviewFinalReport
        | CloseAction
        | AmendGrant
        | CancelRepaymentRequest
        | CorrectReport
        | CorrectAttendance => {
            matches!(role, Pilot | Coordinator)
        }
        // The CPO leads the evaluation technically.
        EvaluateAction => matches!(role, Evaluator | Pilot | Coordinator),
    }
}

/// Checks the role against the table, the token's programme against the target's, and, for a
/// PORTEUR, its partner against the action's holder (`holder` is `None` for commands that do
/// not touch an action).
pub fn authorize(
    actor: &Actor,
    command: CommandKind,
    programme: &ProgrammeId,
    holder: Option<&PartnerId>,
) -> Result<(), DomainError> {
    if !permitted(actor.role, command) {
        return Err(DomainError::Forbidden {
            role: actor.role,
            command,
        });
    }
    if actor.role != Role::Admin && actor.programme.as_ref() != Some(programme) {
        return Err(DomainError::ForbiddenProgramme {
            bound_to: actor.programme.clone(),
            target: programme.clone(),
        });
    }
    if actor.role == Role::Porteur {
        let own = matches!((actor.partner.as_ref(), holder), (Some(a), Some(h)) if a == h);
        if !own {
            return Err(DomainError::ForbiddenPartner {
                bound_to: actor.partner.clone(),
                holder: holder.cloned(),
            });
        }
    }
    Ok(())
}
