//! Why a command is refused: [`DomainError`], an enum of business reasons with their figures.
//!
//! Every error maps to one API code ([`DomainError::api_code`]): `RULE_VIOLATION` (with the
//! rule's stable code, [`DomainError::rule_code`]), `FORBIDDEN`, `VALIDATION` or `NOT_FOUND`;
//! the COPIL's many decisions at once fail with [`DomainError::Decisions`], one
//! [`ActionFailure`] per failing action. `Display` is the French sentence for a person, with
//! money and dates written by [`crate::fr`].

use crate::fr;
use crate::permissions::CommandKind;
use crate::values::*;
use chrono::NaiveDate;
use std::fmt;

/// The `extensions.code` of api.graphql an error belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ApiCode {
    RuleViolation,
    Forbidden,
    Validation,
    NotFound,
}

impl ApiCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ApiCode::RuleViolation => "RULE_VIOLATION",
            ApiCode::Forbidden => "FORBIDDEN",
            ApiCode::Validation => "VALIDATION",
            ApiCode::NotFound => "NOT_FOUND",
        }
    }
}

/// The kind of a stream, for a command sent to a stream that does not exist.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamKind {
    Programme,
    Partner,
    Session,
    Action,
}

/// Why a revue de projet cannot be written or validated so (rule 17).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReviewProblem {
    /// The programme has no action and no envelope for that year.
    NoActivity {
        year: Year,
    },
    NotCopil {
        session: SessionId,
    },
    NotHeld {
        session: SessionId,
    },
    /// The session is not of a later year than the one reviewed.
    TooEarly {
        session_date: NaiveDate,
        year: Year,
    },
}

/// What is wrong with a territory (rule 16).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TerritoryProblem {
    NoCommune,
    Qpv(String),
    Uai(String),
}

/// Why a proposal cannot renew the action it names (rule 15).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RenewalProblem {
    /// No action of the programme has that id.
    NotInProgramme,
    /// The renewed action is not of an earlier year.
    NotEarlier { renewed_year: Year, year: Year },
    /// Another action, not WITHDRAWN nor REJECTED, already renews it.
    AlreadyRenewed { by: ActionId },
}

/// Why a report deadline cannot be extended (rule 14).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeadlineProblem {
    /// The final report is not due (the action is not FUNDED, IN_PROGRESS or COMPLETED).
    NotDue { status: ActionStatus },
    /// The new date is not after the current due date.
    NotLater {
        due_on: NaiveDate,
        current: NaiveDate,
    },
}

/// Something named by a command that does not exist.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Missing {
    /// The command's own target stream is empty (its id is the command service's to report).
    Target(StreamKind),
    Programme(ProgrammeId),
    Action(ActionId),
    Session(SessionId),
    Partner(PartnerId),
    Funder(FunderId),
    Axis(AxisCode),
    Payment(PaymentId),
    Grant(GrantId),
    /// A report of the action, by its index (from 0).
    Report(u32),
    Envelope {
        funder: FunderId,
        year: Year,
    },
}

/// Where a stream stands when a command does not fit its life cycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// The stream already exists (a second creation).
    Exists,
    Action(ActionStatus),
    SessionScheduled,
    SessionHeld,
    SessionCancelled,
    PartnerLeft,
}

/// Why a session cannot carry an opinion or a decision (rule 4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionProblem {
    /// An opinion names a COPIL session.
    OpinionAtCopil,
    /// A decision names a session of another body.
    DecisionOutsideCopil(BodyKind),
    /// A decision names a COPIL session not yet held.
    NotHeld,
    Cancelled,
}

/// Why a revision is refused (rule 13).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RevisionProblem {
    /// A retained amount would fall below what is already granted for that funder.
    BelowGranted {
        funder: FunderId,
        granted: Money,
        retained: Money,
    },
    /// REJECTED or DEFERRED while money is granted.
    GrantsExist {
        outcome: DecisionOutcome,
        granted: Money,
    },
    /// The revising session is earlier than the decision it supersedes.
    EarlierSession {
        session_date: NaiveDate,
        decided_on: NaiveDate,
    },
}

/// Why beneficiary counts are refused (rule 9).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BeneficiaryProblem {
    /// The same cell (public, age band, sex, QPV residence) appears twice.
    DuplicateCell {
        public: PublicKind,
        age_band: AgeBand,
        sex: Sex,
        qpv_resident: bool,
    },
    /// A count below zero, as given.
    Negative(i64),
    /// A count larger than any real cell ([`crate::action::MAX_BENEFICIARY_COUNT`]).
    TooLarge(i64),
}

/// One action of a COPIL call that failed, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionFailure {
    pub action: ActionId,
    pub error: DomainError,
}

/// A business reason to refuse a command, with its figures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DomainError {
    // ---------------------------------------------------------------- FORBIDDEN
    /// The role may not give this command (DOMAIN.md, "Permissions").
    Forbidden {
        role: Role,
        command: CommandKind,
    },
    /// The token is bound to another programme (or to none).
    ForbiddenProgramme {
        bound_to: Option<ProgrammeId>,
        target: ProgrammeId,
    },
    /// A PORTEUR acting on an action its partner does not hold.
    ForbiddenPartner {
        bound_to: Option<PartnerId>,
        holder: Option<PartnerId>,
    },

    // ---------------------------------------------------------------- NOT_FOUND
    NotFound(Missing),

    // ---------------------------------------------------------------- VALIDATION
    /// A malformed value the caller built a command with.
    Invalid(InvalidValue),
    /// The `effectiveOn` option contradicts the date the command names (rule 12).
    EffectiveDateContradicts {
        named: NaiveDate,
        option: NaiveDate,
    },
    /// The command names a programme other than its stream's.
    ProgrammeMismatch {
        command: ProgrammeId,
        stream: ProgrammeId,
    },
    DuplicateFunder(FunderId),
    DuplicateAxis(AxisCode),
    DuplicateIndicator(IndicatorCode),
    /// The same action twice in one `recordCopilDecisions` (rule 5).
    DuplicateAction(ActionId),
    GrantIdTaken(GrantId),
    PaymentIdTaken(PaymentId),
    /// The period ends before it starts.
    PeriodInvalid {
        start: NaiveDate,
        end: NaiveDate,
    },
    /// A list that must name at least one item is empty.
    EmptyList {
        field: &'static str,
    },
    /// An amount that must be positive is zero.
    ZeroAmount {
        field: &'static str,
    },
    /// A DEFERRED or REJECTED decision with positive retained amounts.
    AmountsWithoutRetention {
        outcome: DecisionOutcome,
    },
    /// A request cap above 1000 ‰.
    CapInvalid {
        permille: u16,
    },
    /// A measurement that is not a finite number.
    MeasureNotFinite,
    /// An amendment or a period change that changes nothing.
    NothingToChange,
    /// Rule 19: a date outside the programme's plausible years (or a labelling date outside
    /// 1 January 2019 – today).
    DateOutOfRange {
        /// What the date is, in French: « début de la période », « date de la séance »…
        field: &'static str,
        date: NaiveDate,
        earliest: NaiveDate,
        latest: NaiveDate,
    },
    /// Rule 19 for an exercice: a year outside the programme's plausible years.
    YearOutOfRange {
        field: &'static str,
        year: Year,
        earliest: i32,
        latest: i32,
    },
    /// A list longer than its bound ([`crate::bounds`]).
    TooManyItems {
        field: &'static str,
        max: usize,
        given: usize,
    },
    /// The same item twice in a list (texts compared without case, spaces or invisible
    /// characters).
    DuplicateItem {
        field: &'static str,
        item: String,
    },

    // ---------------------------------------------------------------- RULE_VIOLATION
    /// Rule 1: a sum leaves 0 ≤ x ≤ 10¹³ cents.
    MoneyOverflow {
        what: &'static str,
    },
    /// Rule 2.
    RequestedExceedsCost {
        requested: Money,
        total_cost: Money,
    },
    /// Rule 3.
    AmendAfterDecision {
        status: ActionStatus,
    },
    /// Rule 4.
    SessionInvalid {
        session: SessionId,
        problem: SessionProblem,
    },
    /// Rule 5: a retained amount above the requested one.
    RetainedExceedsRequested {
        funder: FunderId,
        requested: Money,
        retained: Money,
    },
    /// Rule 5: RETAINED without any positive amount.
    RetainedNothing,
    /// Rule 5: the action already has a decision taken at this session: use `reviseDecision`.
    AlreadyDecidedAtSession {
        session: SessionId,
        decision_no: u32,
    },
    /// An opinion proposes more than was requested from a funder.
    ProposedExceedsRequested {
        funder: FunderId,
        requested: Money,
        proposed: Money,
    },
    /// The same session already gave its opinion on the action.
    OpinionAlreadyGiven {
        session: SessionId,
    },
    /// Rule 6.
    GrantNeedsRetained {
        status: ActionStatus,
    },
    GrantExceedsRetained {
        funder: FunderId,
        retained: Money,
        already_granted: Money,
        requested: Money,
    },
    GrantExceedsEnvelope {
        funder: FunderId,
        year: Year,
        envelope: Money,
        already_granted: Money,
        requested: Money,
    },
    /// Rule 6: this funder's grants to this partner of private law for the year, this one
    /// included, exceed the threshold.
    ConventionRequired {
        amount: Money,
        act: ActKind,
        funder: FunderId,
        holder: PartnerId,
        year: Year,
        /// What the funder already granted to the partner for the year, over all its actions.
        already_granted: Money,
    },
    GrantAlreadyAwarded {
        funder: FunderId,
        grant: GrantId,
    },
    /// The funder already refused to fund this action.
    GrantAlreadyRefused {
        funder: FunderId,
    },
    /// Rule 7.
    PaymentExceedsGranted {
        funder: FunderId,
        granted: Money,
        already_paid: Money,
        requested: Money,
    },
    PaymentAlreadyCancelled {
        payment: PaymentId,
    },
    /// A payment dated before the act that granted the money was signed.
    PaymentBeforeGrant {
        funder: FunderId,
        paid_on: NaiveDate,
        signed_on: NaiveDate,
    },
    /// A repayment request above what was paid and not yet claimed back.
    RepaymentExceedsPaid {
        funder: FunderId,
        paid: Money,
        already_requested: Money,
        requested: Money,
    },
    /// Cancelling this payment would leave less paid than the repayments already requested.
    CancelBelowRepayments {
        payment: PaymentId,
        funder: FunderId,
        paid_after: Money,
        repayment_requested: Money,
    },
    /// A repayment received above what was requested and not yet received.
    RepaymentExceedsRequested {
        funder: FunderId,
        requested: Money,
        already_received: Money,
        received: Money,
    },
    /// Rule 8.
    ReportNeedsCompletion {
        kind: ReportKind,
        status: ActionStatus,
    },
    EvaluationNeedsFinalReport {
        status: ActionStatus,
    },
    CloseNotReady {
        status: ActionStatus,
        repayments_outstanding: Money,
    },
    /// Rule 17: a revue de projet of a year without activity, or validated elsewhere than at a
    /// held COPIL session of a later year.
    ReviewInvalid(ReviewProblem),
    /// Rule 16: a territory without a commune, a malformed QPV code or UAI.
    TerritoryInvalid(TerritoryProblem),
    /// Rule 15: what `renews` names cannot be renewed by this proposal.
    RenewalInvalid {
        renewed: ActionId,
        problem: RenewalProblem,
    },
    /// Rule 6: an avenant below what was already paid.
    GrantBelowPaid {
        grant: GrantId,
        paid: Money,
        amount: Money,
    },
    /// Rule 14: a report deadline extended when none is due, or not to a later date.
    DeadlineInvalid(DeadlineProblem),
    /// Rule 14: a final report reviewed when not REPORTED, or already reviewed.
    ReportReviewInvalid {
        status: ActionStatus,
        already_reviewed: bool,
    },
    /// Rule 9.
    BeneficiariesInvalid(BeneficiaryProblem),
    /// Rule 11: a transition not drawn in DOMAIN.md.
    Lifecycle {
        command: CommandKind,
        stage: Stage,
    },
    /// Rule 12: an effective date after today.
    EffectiveDateInFuture {
        date: NaiveDate,
        today: NaiveDate,
    },
    /// Rule 12: an effective date before the stream's first event.
    EffectiveDateBeforeStream {
        date: NaiveDate,
        first: NaiveDate,
    },
    /// Completion dated before the start.
    CompletedBeforeStart {
        started_on: NaiveDate,
        completed_on: NaiveDate,
    },
    /// Rule 13.
    DecisionRevisionInvalid(RevisionProblem),
    /// An axis named by a proposal has been retired.
    AxisRetired(AxisCode),
    AxisAlreadyDefined(AxisCode),
    FunderAlreadyRegistered(FunderId),
    /// An envelope is notified once per funder and year; later changes are revisions.
    EnvelopeAlreadyNotified {
        funder: FunderId,
        year: Year,
        amount: Money,
    },
    /// A proposal held by a partner that left the alliance.
    PartnerInactive(PartnerId),
    /// A measurement of an indicator the action did not plan.
    IndicatorNotPlanned(IndicatorCode),
    /// Rule 18: a reference is unique in its programme.
    ReferenceAlreadyUsed {
        reference: Title,
    },

    // ---------------------------------------------------------------- many actions
    /// `recordCopilDecisions`: every failing action, with its reason. Nothing was decided.
    Decisions(Vec<ActionFailure>),
}

impl From<InvalidValue> for DomainError {
    fn from(e: InvalidValue) -> Self {
        DomainError::Invalid(e)
    }
}

impl DomainError {
    /// Everything said of an error, in one match: the API code it is answered with, its stable
    /// snake_case code (for a rule violation, the rule's code of DOMAIN.md, `extensions.rule`;
    /// for the others the reason: `forbidden`, `not_found`, `effective_on_contradicts`…) and
    /// its French message.
    fn describe(&self) -> (ApiCode, &'static str, String) {
        use DomainError::*;
        let m = |x: &Money| fr::money(*x);
        match self {
            Forbidden { role, command } => (
                ApiCode::Forbidden,
                "forbidden",
                format!(
                    "Le rôle « {} » ne permet pas {}.",
                    role.label(),
                    de(command.label())
                ),
            ),
            ForbiddenProgramme { bound_to, target } => (
                ApiCode::Forbidden,
                "forbidden_programme",
                match bound_to {
                    Some(p) => format!(
                        "Ce jeton est lié à la cité éducative « {p} » et ne permet pas d'agir sur « {target} »."
                    ),
                    None => format!(
                        "Ce jeton n'est lié à aucune cité éducative et ne permet pas d'agir sur « {target} »."
                    ),
                },
            ),
            ForbiddenPartner { bound_to, holder } => (
                ApiCode::Forbidden,
                "forbidden_partner",
                match (bound_to, holder) {
                    (Some(p), Some(h)) => format!(
                        "Ce jeton de porteur est lié au partenaire « {p} » ; l'action est portée par « {h} »."
                    ),
                    _ => "Un porteur de projet n'agit que sur les actions de son partenaire."
                        .to_owned(),
                },
            ),
            NotFound(missing) => (ApiCode::NotFound, "not_found", {
                let s = missing.to_string();
                let mut c = s.chars();
                match c.next() {
                    Some(first) => format!("{}{}.", first.to_uppercase(), c.as_str()),
                    None => String::new(),
                }
            }),
            Invalid(e) => (
                ApiCode::Validation,
                "invalid_value",
                format!("Valeur invalide : {e}."),
            ),
            EffectiveDateContradicts { named, option } => (
                ApiCode::Validation,
                "effective_on_contradicts",
                format!(
                    "La date d'effet demandée ({}) contredit la date indiquée dans la commande ({}).",
                    fr::date(*option),
                    fr::date(*named)
                ),
            ),
            ProgrammeMismatch { command, stream } => (
                ApiCode::Validation,
                "programme_mismatch",
                format!(
                    "La commande nomme la cité éducative « {command} » mais s'adresse à « {stream} »."
                ),
            ),
            DuplicateFunder(id) => (
                ApiCode::Validation,
                "duplicate_funder",
                format!("Le financeur « {id} » figure deux fois."),
            ),
            DuplicateAxis(code) => (
                ApiCode::Validation,
                "duplicate_axis",
                format!("L'axe « {code} » figure deux fois."),
            ),
            DuplicateIndicator(code) => (
                ApiCode::Validation,
                "duplicate_indicator",
                format!("L'indicateur « {code} » figure deux fois."),
            ),
            DuplicateAction(id) => (
                ApiCode::Validation,
                "duplicate_action",
                format!("L'action « {id} » figure deux fois dans les décisions de la séance."),
            ),
            GrantIdTaken(id) => (
                ApiCode::Validation,
                "grant_id_taken",
                format!("L'identifiant d'attribution « {id} » est déjà pris."),
            ),
            PaymentIdTaken(id) => (ApiCode::Validation, "payment_id_taken", {
                format!("L'identifiant de versement « {id} » est déjà pris.")
            }),
            PeriodInvalid { start, end } => (
                ApiCode::Validation,
                "period_invalid",
                format!(
                    "La période se termine le {} avant de commencer le {}.",
                    fr::date(*end),
                    fr::date(*start)
                ),
            ),
            EmptyList { field } => (
                ApiCode::Validation,
                "empty_list",
                format!("La liste « {field} » ne peut pas être vide."),
            ),
            ZeroAmount { field } => (
                ApiCode::Validation,
                "zero_amount",
                format!("Le montant « {field} » doit être positif."),
            ),
            AmountsWithoutRetention { outcome } => (
                ApiCode::Validation,
                "amounts_without_retention",
                format!(
                    "Une décision « {} » ne retient aucun montant.",
                    outcome.label()
                ),
            ),
            CapInvalid { permille } => (
                ApiCode::Validation,
                "request_cap_invalid",
                format!("Le plafond de demande ({permille} ‰) ne peut pas dépasser 1000 ‰."),
            ),
            MeasureNotFinite => (
                ApiCode::Validation,
                "measure_not_finite",
                "La mesure doit être un nombre fini.".to_owned(),
            ),
            NothingToChange => (
                ApiCode::Validation,
                "nothing_to_change",
                "La commande ne change rien.".to_owned(),
            ),
            DateOutOfRange {
                field,
                date,
                earliest,
                latest,
            } => (
                ApiCode::Validation,
                "dates_out_of_range",
                format!(
                    "{} : le {} est hors de la plage acceptée (du {} au {}).",
                    capitalised(field),
                    fr::date(*date),
                    fr::date(*earliest),
                    fr::date(*latest)
                ),
            ),
            YearOutOfRange {
                field,
                year,
                earliest,
                latest,
            } => (
                ApiCode::Validation,
                "dates_out_of_range",
                format!(
                    "{} : {year} est hors de la plage acceptée (de {earliest} à {latest}).",
                    capitalised(field)
                ),
            ),
            TooManyItems { field, max, given } => (
                ApiCode::Validation,
                "too_many_items",
                format!(
                    "La liste « {field} » compte {} éléments : {} au plus sont acceptés.",
                    fr::count(*given),
                    fr::count(*max)
                ),
            ),
            DuplicateItem { field, item } => (ApiCode::Validation, "duplicate_item", {
                format!("« {item} » figure deux fois dans la liste « {field} ».")
            }),
            MoneyOverflow { what } => (
                ApiCode::RuleViolation,
                "money_invalid",
                format!(
                    "Le total « {what} » dépasse le montant maximal de {}.",
                    fr::money(Money::from_cents(Money::MAX_CENTS).unwrap_or_default())
                ),
            ),
            RequestedExceedsCost {
                requested,
                total_cost,
            } => (
                ApiCode::RuleViolation,
                "requested_exceeds_cost",
                format!(
                    "Les montants demandés ({}) dépassent le coût total de l'action ({}).",
                    m(requested),
                    m(total_cost)
                ),
            ),
            AmendAfterDecision { status } => (
                ApiCode::RuleViolation,
                "amend_after_decision",
                format!(
                    "L'action ne peut plus être modifiée : elle est {}.",
                    status.label()
                ),
            ),
            SessionInvalid { session, problem } => (
                ApiCode::RuleViolation,
                "session_invalid",
                match problem {
                    SessionProblem::OpinionAtCopil => format!(
                        "La séance « {session} » est une séance du COPIL : elle décide, elle ne rend pas d'avis."
                    ),
                    SessionProblem::DecisionOutsideCopil(body) => format!(
                        "La séance « {session} » est une séance de l'instance « {} » : seul le COPIL décide.",
                        body.label()
                    ),
                    SessionProblem::NotHeld => {
                        format!("La séance « {session} » ne s'est pas encore tenue.")
                    }
                    SessionProblem::Cancelled => format!("La séance « {session} » a été annulée."),
                },
            ),
            RetainedExceedsRequested {
                funder,
                requested,
                retained,
            } => (
                ApiCode::RuleViolation,
                "retained_exceeds_requested",
                format!(
                    "Le montant retenu pour « {funder} » ({}) dépasse le montant demandé ({}).",
                    m(retained),
                    m(requested)
                ),
            ),
            RetainedNothing => (
                ApiCode::RuleViolation,
                "retained_exceeds_requested",
                "Une action retenue doit l'être pour un montant positif au moins.".to_owned(),
            ),
            AlreadyDecidedAtSession {
                session,
                decision_no,
            } => (
                ApiCode::RuleViolation,
                "already_decided_at_session",
                format!(
                    "Le COPIL a déjà décidé de cette action en séance « {session} » (décision n° {decision_no}) : utilisez la révision de décision."
                ),
            ),
            ProposedExceedsRequested {
                funder,
                requested,
                proposed,
            } => (
                ApiCode::RuleViolation,
                "proposed_exceeds_requested",
                format!(
                    "Le montant proposé pour « {funder} » ({}) dépasse le montant demandé ({}).",
                    m(proposed),
                    m(requested)
                ),
            ),
            OpinionAlreadyGiven { session } => (
                ApiCode::RuleViolation,
                "opinion_already_given",
                format!("La séance « {session} » a déjà rendu son avis sur cette action."),
            ),
            GrantNeedsRetained { status } => (
                ApiCode::RuleViolation,
                "grant_needs_retained",
                format!(
                    "Une attribution demande une action retenue, financée ou en cours ; elle est {}.",
                    status.label()
                ),
            ),
            GrantExceedsRetained {
                funder,
                retained,
                already_granted,
                requested,
            } => (
                ApiCode::RuleViolation,
                "grant_exceeds_retained",
                format!(
                    "L'attribution de {} par « {funder} » dépasse le montant retenu ({}, dont {} déjà attribués).",
                    m(requested),
                    m(retained),
                    m(already_granted)
                ),
            ),
            GrantExceedsEnvelope {
                funder,
                year,
                envelope,
                already_granted,
                requested,
            } => (
                ApiCode::RuleViolation,
                "grant_exceeds_envelope",
                format!(
                    "L'attribution de {} dépasse l'enveloppe {year} de « {funder} » ({}, dont {} déjà attribués).",
                    m(requested),
                    m(envelope),
                    m(already_granted)
                ),
            ),
            ConventionRequired {
                amount,
                act,
                funder,
                holder,
                year,
                already_granted,
            } => (
                ApiCode::RuleViolation,
                "convention_required",
                if already_granted.is_zero() {
                    format!(
                        "Une attribution de {} de « {funder} » à « {holder} », organisme de droit privé, dépasse {} pour l'exercice {year} : elle demande une convention, pas un acte « {} ».",
                        m(amount),
                        fr::money(crate::action::CONVENTION_THRESHOLD),
                        act.label()
                    )
                } else {
                    format!(
                        "« {funder} » a déjà attribué {} à « {holder} », organisme de droit privé, pour l'exercice {year} ; avec cette attribution de {}, le total dépasse {} : elle demande une convention, pas un acte « {} ».",
                        m(already_granted),
                        m(amount),
                        fr::money(crate::action::CONVENTION_THRESHOLD),
                        act.label()
                    )
                },
            ),
            GrantAlreadyAwarded { funder, grant } => (
                ApiCode::RuleViolation,
                "grant_already_awarded",
                format!(
                    "« {funder} » a déjà attribué une subvention à cette action (attribution « {grant} »)."
                ),
            ),
            GrantAlreadyRefused { funder } => (ApiCode::RuleViolation, "grant_already_refused", {
                format!("« {funder} » a déjà refusé de financer cette action.")
            }),
            PaymentExceedsGranted {
                funder,
                granted,
                already_paid,
                requested,
            } => (
                ApiCode::RuleViolation,
                "payment_exceeds_granted",
                format!(
                    "Le versement de {} par « {funder} » dépasse le reste à verser : {} attribués, {} déjà versés.",
                    m(requested),
                    m(granted),
                    m(already_paid)
                ),
            ),
            PaymentBeforeGrant {
                funder,
                paid_on,
                signed_on,
            } => (
                ApiCode::RuleViolation,
                "payment_before_grant",
                format!(
                    "Un versement de « {funder} » ne peut pas dater du {}, avant la signature de l'acte d'attribution le {}.",
                    fr::date(*paid_on),
                    fr::date(*signed_on)
                ),
            ),
            PaymentAlreadyCancelled { payment } => {
                (ApiCode::RuleViolation, "payment_already_cancelled", {
                    format!("Le versement « {payment} » est déjà annulé.")
                })
            }
            RepaymentExceedsPaid {
                funder,
                paid,
                already_requested,
                requested,
            } => (
                ApiCode::RuleViolation,
                "repayment_exceeds_paid",
                format!(
                    "Le reversement de {} demandé pour « {funder} » dépasse les sommes versées ({}, dont {} déjà réclamés).",
                    m(requested),
                    m(paid),
                    m(already_requested)
                ),
            ),
            CancelBelowRepayments {
                payment,
                funder,
                paid_after,
                repayment_requested,
            } => (
                ApiCode::RuleViolation,
                "repayment_exceeds_paid",
                format!(
                    "Annuler le versement « {payment} » ramènerait les sommes versées par « {funder} » à {}, moins que les {} de reversement déjà demandés.",
                    m(paid_after),
                    m(repayment_requested)
                ),
            ),
            RepaymentExceedsRequested {
                funder,
                requested,
                already_received,
                received,
            } => (
                ApiCode::RuleViolation,
                "repayment_exceeds_requested",
                format!(
                    "Le reversement reçu de {} pour « {funder} » dépasse le reversement demandé ({}, dont {} déjà reçus).",
                    m(received),
                    m(requested),
                    m(already_received)
                ),
            ),
            ReportNeedsCompletion { kind, status } => (
                ApiCode::RuleViolation,
                "report_needs_completion",
                match kind {
                    ReportKind::Interim => format!(
                        "Un bilan intermédiaire demande une action démarrée ; elle est {}.",
                        status.label()
                    ),
                    ReportKind::Final => format!(
                        "Un bilan final demande une action achevée ; elle est {}.",
                        status.label()
                    ),
                },
            ),
            EvaluationNeedsFinalReport { status } => (
                ApiCode::RuleViolation,
                "evaluation_needs_final_report",
                format!(
                    "Une évaluation demande un bilan final ; l'action est {}.",
                    status.label()
                ),
            ),
            CloseNotReady {
                status,
                repayments_outstanding,
            } => (ApiCode::RuleViolation, "close_not_ready", {
                if repayments_outstanding.is_zero() {
                    format!(
                        "L'action ne peut être clôturée qu'évaluée, non réalisée, ou son compte rendu financier accepté ; elle est {}.",
                        status.label()
                    )
                } else {
                    format!(
                        "L'action ne peut être clôturée : {} de reversements demandés restent à recevoir.",
                        m(repayments_outstanding)
                    )
                }
            }),
            ReviewInvalid(problem) => (
                ApiCode::RuleViolation,
                "review_invalid",
                match problem {
                    ReviewProblem::NoActivity { year } => format!(
                        "La cité éducative n'a ni action ni enveloppe pour l'exercice {year} : il n'y a pas de revue de projet à en faire."
                    ),
                    ReviewProblem::NotCopil { session } => format!(
                        "La revue de projet se valide en COPIL ; la séance « {session} » n'en est pas un."
                    ),
                    ReviewProblem::NotHeld { session } => format!(
                        "La séance « {session} » ne s'est pas tenue : la revue de projet ne peut y avoir été validée."
                    ),
                    ReviewProblem::TooEarly { session_date, year } => format!(
                        "La revue de projet {year} est le bilan de l'exercice : elle se valide à partir du 1er janvier {}, pas le {}.",
                        year.get() + 1,
                        fr::date(*session_date)
                    ),
                },
            ),
            TerritoryInvalid(problem) => (
                ApiCode::RuleViolation,
                "territory_invalid",
                match problem {
                    TerritoryProblem::NoCommune => {
                        "Le territoire garde au moins une commune.".to_owned()
                    }
                    TerritoryProblem::Qpv(code) => format!(
                        "« {code} » n'est pas un code de QPV : des lettres majuscules et des chiffres, comme QN07501M."
                    ),
                    TerritoryProblem::Uai(code) => format!(
                        "« {code} » n'est pas un UAI : sept chiffres et une lettre de contrôle, comme 0750654D."
                    ),
                },
            ),
            RenewalInvalid { renewed, problem } => (
                ApiCode::RuleViolation,
                "renewal_invalid",
                match problem {
                    RenewalProblem::NotInProgramme => format!(
                        "L'action renouvelée « {renewed} » n'existe pas dans cette cité éducative."
                    ),
                    RenewalProblem::NotEarlier { renewed_year, year } => format!(
                        "L'action « {renewed} » est de l'exercice {renewed_year} : une action de l'exercice {year} ne renouvelle qu'une action d'un exercice antérieur."
                    ),
                    RenewalProblem::AlreadyRenewed { by } => {
                        format!("L'action « {renewed} » est déjà renouvelée par l'action « {by} ».")
                    }
                },
            ),
            GrantBelowPaid {
                grant,
                paid,
                amount,
            } => (
                ApiCode::RuleViolation,
                "payment_exceeds_granted",
                format!(
                    "L'avenant ramène l'attribution « {grant} » à {}, moins que les {} déjà versés.",
                    m(amount),
                    m(paid)
                ),
            ),
            DeadlineInvalid(problem) => (
                ApiCode::RuleViolation,
                "deadline_invalid",
                match problem {
                    DeadlineProblem::NotDue { status } => format!(
                        "L'échéance du compte rendu financier ne se reporte que tant qu'il est attendu (action financée, en cours ou achevée) ; l'action est {}.",
                        status.label()
                    ),
                    DeadlineProblem::NotLater { due_on, current } => format!(
                        "La nouvelle échéance ({}) doit suivre l'échéance actuelle ({}).",
                        fr::date(*due_on),
                        fr::date(*current)
                    ),
                },
            ),
            ReportReviewInvalid {
                status,
                already_reviewed,
            } => (
                ApiCode::RuleViolation,
                "report_review_invalid",
                if *already_reviewed {
                    "Le dernier compte rendu financier a déjà été examiné : un nouveau doit être déposé avant un nouvel examen.".to_owned()
                } else {
                    format!(
                        "Seul le compte rendu financier d'une action au bilan rendu s'examine ; l'action est {}.",
                        status.label()
                    )
                },
            ),
            BeneficiariesInvalid(problem) => (
                ApiCode::RuleViolation,
                "beneficiaries_invalid",
                match problem {
                    BeneficiaryProblem::DuplicateCell {
                        public,
                        age_band,
                        sex,
                        qpv_resident,
                    } => format!(
                        "Les bénéficiaires « {}, {}, {}, {} » sont comptés deux fois.",
                        public.label(),
                        age_band.label(),
                        sex.label(),
                        if *qpv_resident {
                            "résidant en QPV"
                        } else {
                            "hors QPV"
                        }
                    ),
                    BeneficiaryProblem::Negative(n) => {
                        format!("Un nombre de bénéficiaires ne peut pas être négatif ({n}).")
                    }
                    BeneficiaryProblem::TooLarge(n) => format!(
                        "Un nombre de bénéficiaires de {n} n'est pas plausible pour une seule case."
                    ),
                },
            ),
            Lifecycle { command, stage } => (
                ApiCode::RuleViolation,
                "lifecycle",
                format!(
                    "Impossible {} : {}.",
                    de(command.label()),
                    stage_label(*stage)
                ),
            ),
            EffectiveDateInFuture { date, today } => (
                ApiCode::RuleViolation,
                "effective_date_invalid",
                format!(
                    "La date d'effet ({}) est dans le futur (nous sommes le {}).",
                    fr::date(*date),
                    fr::date(*today)
                ),
            ),
            EffectiveDateBeforeStream { date, first } => (
                ApiCode::RuleViolation,
                "effective_date_invalid",
                format!(
                    "La date d'effet ({}) précède le premier événement de ce dossier ({}).",
                    fr::date(*date),
                    fr::date(*first)
                ),
            ),
            CompletedBeforeStart {
                started_on,
                completed_on,
            } => (
                ApiCode::RuleViolation,
                "completed_before_start",
                format!(
                    "L'action ne peut pas être achevée le {} : elle a démarré le {}.",
                    fr::date(*completed_on),
                    fr::date(*started_on)
                ),
            ),
            DecisionRevisionInvalid(problem) => (
                ApiCode::RuleViolation,
                "decision_revision_invalid",
                match problem {
                    RevisionProblem::BelowGranted {
                        funder,
                        granted,
                        retained,
                    } => format!(
                        "La révision retiendrait {} pour « {funder} », moins que les {} déjà attribués.",
                        m(retained),
                        m(granted)
                    ),
                    RevisionProblem::GrantsExist { outcome, granted } => format!(
                        "La décision ne peut devenir « {} » : {} ont déjà été attribués.",
                        outcome.label(),
                        m(granted)
                    ),
                    RevisionProblem::EarlierSession {
                        session_date,
                        decided_on,
                    } => format!(
                        "Une séance du {} ne peut pas réviser une décision du {}.",
                        fr::date(*session_date),
                        fr::date(*decided_on)
                    ),
                },
            ),
            AxisRetired(code) => (
                ApiCode::RuleViolation,
                "axis_retired",
                format!("L'axe « {code} » a été retiré."),
            ),
            AxisAlreadyDefined(code) => (
                ApiCode::RuleViolation,
                "axis_already_defined",
                format!("L'axe « {code} » est déjà défini."),
            ),
            FunderAlreadyRegistered(id) => (ApiCode::RuleViolation, "funder_already_registered", {
                format!("Le financeur « {id} » est déjà enregistré.")
            }),
            EnvelopeAlreadyNotified {
                funder,
                year,
                amount,
            } => (
                ApiCode::RuleViolation,
                "envelope_already_notified",
                format!(
                    "L'enveloppe {year} de « {funder} » est déjà notifiée ({}) : révisez-la.",
                    m(amount)
                ),
            ),
            PartnerInactive(id) => (
                ApiCode::RuleViolation,
                "partner_inactive",
                format!("Le partenaire « {id} » a quitté l'alliance."),
            ),
            IndicatorNotPlanned(code) => (
                ApiCode::RuleViolation,
                "indicator_not_planned",
                format!("L'indicateur « {code} » n'est pas prévu par cette action."),
            ),
            ReferenceAlreadyUsed { reference } => (
                ApiCode::RuleViolation,
                "reference_already_used",
                format!(
                    "La référence « {reference} » est déjà celle d'une autre action de cette cité éducative : choisissez-en une autre."
                ),
            ),
            Decisions(failures) => {
                // The most pressing code among the failures (FORBIDDEN, then VALIDATION,
                // NOT_FOUND, RULE_VIOLATION), the first failure's rule.
                let codes: Vec<ApiCode> = failures.iter().map(|f| f.error.api_code()).collect();
                let code = [
                    ApiCode::Forbidden,
                    ApiCode::Validation,
                    ApiCode::NotFound,
                    ApiCode::RuleViolation,
                ]
                .into_iter()
                .find(|c| codes.contains(c))
                .unwrap_or(ApiCode::RuleViolation);
                let rule = failures
                    .first()
                    .map_or("decisions_failed", |f| f.error.rule_code());
                let mut message = format!(
                    "Aucune décision n'a été enregistrée : {} action(s) en échec.",
                    failures.len()
                );
                for failure in failures {
                    message.push_str(&format!(" « {} » : {}", failure.action, failure.error));
                }
                (code, rule, message)
            }
        }
    }

    /// The API code this error is answered with. For [`DomainError::Decisions`], the most
    /// pressing code among the failures (FORBIDDEN, then VALIDATION, NOT_FOUND, RULE_VIOLATION).
    pub fn api_code(&self) -> ApiCode {
        self.describe().0
    }

    /// A stable snake_case code for every error. For a rule violation it is the rule's code of
    /// DOMAIN.md (`extensions.rule`), e.g. `grant_exceeds_envelope`; for the others it names the
    /// reason (`forbidden`, `not_found`, `effective_on_contradicts`…).
    pub fn rule_code(&self) -> &'static str {
        self.describe().1
    }

    /// The failures of a COPIL call, one per failing action; empty for any other error.
    pub fn failures(&self) -> &[ActionFailure] {
        match self {
            DomainError::Decisions(f) => f,
            _ => &[],
        }
    }
}

/// « de démarrer », « d'enregistrer »: the preposition before an infinitive, elided before a
/// vowel.
fn de(infinitive: &str) -> String {
    let elided = infinitive
        .chars()
        .next()
        .is_some_and(|c| "aeéèêiîoôuh".contains(c));
    if elided {
        format!("d'{infinitive}")
    } else {
        format!("de {infinitive}")
    }
}

/// « Début de la période » from « début de la période ».
fn capitalised(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

fn stage_label(stage: Stage) -> String {
    match stage {
        Stage::Exists => "elle existe déjà".to_owned(),
        Stage::Action(status) => format!("l'action est {}", status.label()),
        Stage::SessionScheduled => "la séance n'est que programmée".to_owned(),
        Stage::SessionHeld => "la séance s'est déjà tenue".to_owned(),
        Stage::SessionCancelled => "la séance est annulée".to_owned(),
        Stage::PartnerLeft => "le partenaire a quitté l'alliance".to_owned(),
    }
}

impl fmt::Display for Missing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Missing::Target(StreamKind::Programme) => {
                write!(f, "cette cité éducative n'existe pas")
            }
            Missing::Target(StreamKind::Partner) => write!(f, "ce partenaire n'existe pas"),
            Missing::Target(StreamKind::Session) => write!(f, "cette séance n'existe pas"),
            Missing::Target(StreamKind::Action) => write!(f, "cette action n'existe pas"),
            Missing::Programme(id) => write!(f, "la cité éducative « {id} » n'existe pas"),
            Missing::Action(id) => write!(f, "l'action « {id} » n'existe pas"),
            Missing::Session(id) => write!(f, "la séance « {id} » n'existe pas"),
            Missing::Partner(id) => write!(f, "le partenaire « {id} » n'existe pas"),
            Missing::Funder(id) => write!(f, "le financeur « {id} » n'est pas enregistré"),
            Missing::Axis(code) => write!(f, "l'axe « {code} » n'existe pas"),
            Missing::Payment(id) => write!(f, "le versement « {id} » n'existe pas"),
            Missing::Grant(id) => write!(f, "l'attribution « {id} » n'existe pas"),
            Missing::Report(index) => {
                write!(f, "le bilan n° {index} (compté à partir de 0) n'existe pas")
            }
            Missing::Envelope { funder, year } => write!(
                f,
                "aucune enveloppe n'a été notifiée par « {funder} » pour l'exercice {year}"
            ),
        }
    }
}

impl fmt::Display for DomainError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.describe().2)
    }
}

impl std::error::Error for DomainError {}

/// A rule accepted with a warning (`warnings` in api.graphql's payloads).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Warning {
    /// Rule 2: the requested amounts exceed the programme's request cap.
    RequestAboveCap {
        requested: Money,
        total_cost: Money,
        cap_permille: u16,
    },
    /// Rule 20: a free text looks like it holds personal data.
    PersonalDataSuspected(crate::personal::Suspicion),
    /// Reports due: the period ends after the compte rendu financier is due.
    PeriodEndsAfterReportDue {
        period_end: NaiveDate,
        due_on: NaiveDate,
    },
}

impl Warning {
    /// The warning's stable code: `request_above_cap`.
    pub fn code(&self) -> &'static str {
        match self {
            Warning::RequestAboveCap { .. } => "request_above_cap",
            Warning::PersonalDataSuspected(_) => "personal_data_suspected",
            Warning::PeriodEndsAfterReportDue { .. } => "period_ends_after_report_due",
        }
    }
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Warning::RequestAboveCap {
                requested,
                total_cost,
                cap_permille,
            } => write!(
                f,
                "Les montants demandés ({}) dépassent {} du coût total ({}).",
                fr::money(*requested),
                fr::permille(*cap_permille),
                fr::money(*total_cost)
            ),
            Warning::PersonalDataSuspected(suspicion) => write!(
                f,
                "Un texte semble contenir {} : le registre garde tout pour toujours et ne doit tenir que des effectifs, jamais des personnes. Vérifiez-le.",
                suspicion.label()
            ),
            Warning::PeriodEndsAfterReportDue { period_end, due_on } => write!(
                f,
                "La période se termine le {}, après l'échéance du compte rendu financier ({}) : pensez à demander un report d'échéance aux financeurs.",
                fr::date(*period_end),
                fr::date(*due_on)
            ),
        }
    }
}
