//! The events of Chronique: past-tense facts, one struct per event type.
//!
//! Events carry business data only. The envelope (in `eventlog`) carries the event id, the
//! stream, the positions, the actor, the command id, the recorded time and the **effective
//! date**: every event of one command shares that date, and `evolve` receives it beside the
//! event (see [`Dated`]). A date the command names (paidOn, startedOn…) *is* that effective
//! date, so it is not repeated in the payload.
//!
//! Each event type has a stable name ([`DomainEvent::event_type`], the name of DOMAIN.md
//! verbatim) and a schema version ([`DomainEvent::schema_version`]). Stored payloads are the
//! bare structs below, encoded by `eventlog`'s codec, never the enums.
//!
//! Changing a struct here changes the stored format. Never reorder, rename, remove or retype a
//! field: add a schema version instead, keep the old struct frozen in [`legacy`] with a pure
//! upcast to the current one (see `ProgrammeEstablished`, now at version 2).

use crate::values::*;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// An event with the effective date it was recorded with: what `evolve` folds.
#[derive(Debug, Clone, PartialEq)]
pub struct Dated<E> {
    pub effective_on: NaiveDate,
    pub event: E,
}

// ------------------------------------------------------------------------------ programme

/// Version 2: `request_cap_permille` was added (version 1 is [`legacy::ProgrammeEstablishedV1`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProgrammeEstablished {
    pub programme: ProgrammeId,
    pub name: Name,
    /// Communes (or EPCI) of the territory.
    pub territory: Vec<Name>,
    /// Quartiers prioritaires de la politique de la ville.
    pub qpv: Vec<Name>,
    pub labelled_on: Option<NaiveDate>,
    /// Share of an action's total cost that may be requested without a warning (rule 2).
    pub request_cap_permille: u16,
}

/// The territory as it now is: the QPV map was redrawn on 1 January 2024.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TerritoryChanged {
    pub communes: Vec<Name>,
    pub qpv: Vec<QpvCode>,
    pub schools: Vec<Uai>,
    pub reason: Note,
}

/// A free-text section of the revue de projet of `year`, written or rewritten.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewSectionWritten {
    pub year: Year,
    pub section: ReviewSection,
    pub text: Narrative,
}

/// A free text of the event at `position` was erased (RGPD): the words are gone from the
/// register, the event and the chain stay. `field` is the text's place in the event's data
/// (`summary`, `items[1]`); the date is the effective date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TextErased {
    pub position: u64,
    pub field: Name,
    pub reason: Note,
}

/// The name of the agent `actor` (a stable id of envelope format 2) was erased: histories say
/// « agent effacé (rôle) » wherever it acted; its events and roles stay.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActorNameErased {
    pub actor: Name,
    pub reason: Note,
}

/// The troïka validated the revue de projet of `year` at the COPIL `session` (effective on its
/// date).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnnualReviewValidated {
    pub year: Year,
    pub session: SessionId,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AxisDefined {
    pub code: AxisCode,
    pub title: Title,
    pub objective: NationalObjective,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AxisRetired {
    pub code: AxisCode,
}

/// Version 2: `payer` was added (version 1 is [`legacy::FunderRegisteredV1`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FunderRegistered {
    pub funder: FunderId,
    pub name: Name,
    pub kind: FunderKind,
    /// The public body that finally pays its money.
    pub payer: Payer,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnvelopeNotified {
    pub funder: FunderId,
    pub year: Year,
    pub amount: Money,
    /// Reference of the notification (arrêté, courrier).
    pub reference: Option<Title>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnvelopeRevised {
    pub funder: FunderId,
    pub year: Year,
    pub amount: Money,
    pub reason: Note,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BodyMembershipChanged {
    pub body: BodyKind,
    pub organisations: Vec<Name>,
}

// ------------------------------------------------------------------------------ partner

/// Version 2: `legal_form` and `rna` were added (version 1 is
/// [`legacy::PartnerRegisteredV1`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartnerRegistered {
    pub partner: PartnerId,
    pub name: Name,
    pub kind: PartnerKind,
    pub siret: Option<Siret>,
    pub legal_form: LegalForm,
    pub rna: Option<Rna>,
}

/// The partner's legal form, set or corrected.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartnerLegalFormSet {
    pub legal_form: LegalForm,
    pub reason: Note,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartnerLeftAlliance {
    pub reason: Note,
}

// ------------------------------------------------------------------------------ session

/// Effective when the session was scheduled (today or the `effectiveOn` option), or on the
/// session's date when it is entered after it took place; never after the session's date, so
/// that `SessionHeld`, effective on that date, never precedes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionScheduled {
    pub session: SessionId,
    pub body: BodyKind,
    pub date: NaiveDate,
    pub title: Title,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionHeld {
    /// Organisations present.
    pub present: Vec<Name>,
}

/// The organisations present at a held session, corrected.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttendanceCorrected {
    pub present: Vec<Name>,
    pub reason: Note,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionCancelled {
    pub reason: Note,
}

// ------------------------------------------------------------------------------ action

/// Version 2: `renews` was added (version 1 is [`legacy::ActionProposedV1`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActionProposed {
    pub action: ActionId,
    /// Given by the holder, or `{year}-{n:03}` (DOMAIN.md, "Reference").
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
    pub requested: Vec<MoneyLine>,
    pub indicators: Vec<IndicatorDef>,
    /// External file numbers (Dauphin…).
    pub external_refs: Vec<Title>,
    /// The earlier action of the programme this one continues (rule 15).
    pub renews: Option<ActionId>,
}

/// Only the fields that changed are `Some`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ActionAmended {
    pub title: Option<Title>,
    pub summary: Option<Narrative>,
    pub axis: Option<AxisCode>,
    pub secondary_axes: Option<Vec<AxisCode>>,
    pub publics: Option<Vec<PublicKind>>,
    pub qpv: Option<Vec<Name>>,
    pub period_start: Option<NaiveDate>,
    pub period_end: Option<NaiveDate>,
    pub total_cost: Option<Money>,
    pub requested: Option<Vec<MoneyLine>>,
    pub indicators: Option<Vec<IndicatorDef>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ComplementsRequested {
    pub items: Vec<Title>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ComplementsProvided {
    pub note: Note,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpinionGiven {
    pub session: SessionId,
    pub opinion: Opinion,
    pub proposed: Vec<MoneyLine>,
    pub comment: Option<Note>,
}

/// A decision of the COPIL. Decisions of an action are numbered from 1 in the order they are
/// recorded, revisions included; a revision names the number it supersedes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CopilDecisionTaken {
    pub session: SessionId,
    pub decision_no: u32,
    pub outcome: DecisionOutcome,
    pub retained: Vec<MoneyLine>,
    pub reason: Option<Note>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DecisionRevised {
    pub session: SessionId,
    pub decision_no: u32,
    /// The number of the decision this one supersedes.
    pub supersedes: u32,
    pub outcome: DecisionOutcome,
    pub retained: Vec<MoneyLine>,
    pub reason: Note,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionWithdrawn {
    pub reason: Note,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GrantAwarded {
    pub grant: GrantId,
    pub funder: FunderId,
    pub year: Year,
    pub amount: Money,
    pub act: Act,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GrantRefused {
    pub funder: FunderId,
    pub reason: Note,
}

/// The payment date is the effective date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentRecorded {
    pub payment: PaymentId,
    pub funder: FunderId,
    pub amount: Money,
    pub kind: PaymentKind,
}

/// Supersedes the `PaymentRecorded` whose `payment` it names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentCancelled {
    pub payment: PaymentId,
    pub reason: Note,
}

/// The start date is the effective date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionStarted {}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeriodChanged {
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    pub reason: Note,
}

/// The completion date is the effective date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionCompleted {}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NonRealisationAttested {
    pub reason: Note,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RepaymentRequested {
    pub funder: FunderId,
    pub amount: Money,
    pub reason: Note,
}

/// The date received is the effective date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RepaymentReceived {
    pub funder: FunderId,
    pub amount: Money,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportSubmitted {
    pub kind: ReportKind,
    pub beneficiaries: Vec<BeneficiaryCount>,
    pub spent: Money,
    pub narrative: Narrative,
}

/// The measurement date is the effective date.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IndicatorMeasured {
    pub code: IndicatorCode,
    pub value: f64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionEvaluated {
    pub rating: Rating,
    pub findings: Narrative,
    pub recommendation: Recommendation,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionClosed {}

/// An avenant: the grant `grant` is now of `amount` (rule 6 at its new amount).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GrantAmended {
    pub grant: GrantId,
    pub amount: Money,
    /// The avenant's reference.
    pub reference: Title,
    pub reason: Note,
}

/// What was still to be repaid to `funder` is no longer asked for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RepaymentRequestCancelled {
    pub funder: FunderId,
    pub reason: Note,
}

/// Supersedes the report at index `report` of the action's reports (from 0) with corrected
/// figures.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportCorrected {
    pub report: u32,
    pub spent: Money,
    pub beneficiaries: Vec<BeneficiaryCount>,
    pub narrative: Narrative,
    pub reason: Note,
}

/// The funders agreed to a later compte rendu financier: it is due on `due_on`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportDeadlineExtended {
    pub due_on: NaiveDate,
    pub reason: Note,
}

/// The programme's check of the last final report (the compte rendu financier).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FinalReportReviewed {
    pub verdict: ReportVerdict,
    pub comment: Option<Note>,
}

// ------------------------------------------------------------------------------ the enums

/// Declares a stream's event enum, its names and schema versions.
macro_rules! event_enum {
    ($(#[$doc:meta])* $enum_name:ident { $($variant:ident = $version:literal),+ $(,)? }) => {
        $(#[$doc])*
        ///
        /// Serializing it writes the bare struct of its variant: the stored payload, nothing
        /// around it (see [`DomainEvent`]).
        #[derive(Debug, Clone, PartialEq, Serialize)]
        #[serde(untagged)]
        pub enum $enum_name { $($variant($variant)),+ }

        impl $enum_name {
            /// Every `(event_type, current schema_version)` of this stream kind.
            pub const TYPES: &'static [(&'static str, u16)] = &[$((stringify!($variant), $version)),+];

            /// The event type's name, DOMAIN.md's name verbatim.
            pub fn event_type(&self) -> &'static str {
                match self { $($enum_name::$variant(_) => stringify!($variant)),+ }
            }

            /// The schema version the current struct is stored with.
            pub fn schema_version(&self) -> u16 {
                match self { $($enum_name::$variant(_) => $version),+ }
            }
        }

        $(
            impl From<$variant> for $enum_name {
                fn from(e: $variant) -> Self { $enum_name::$variant(e) }
            }
        )+
    };
}

event_enum!(
    /// Events of a `programme-{p}` stream.
    ProgrammeEvent {
        ProgrammeEstablished = 2,
        AxisDefined = 1,
        AxisRetired = 1,
        FunderRegistered = 2,
        EnvelopeNotified = 1,
        EnvelopeRevised = 1,
        BodyMembershipChanged = 1,
        TerritoryChanged = 1,
        ReviewSectionWritten = 1,
        AnnualReviewValidated = 1,
        TextErased = 1,
        ActorNameErased = 1,
    }
);

event_enum!(
    /// Events of a `partner-{p}.{id}` stream.
    PartnerEvent {
        PartnerRegistered = 2,
        PartnerLeftAlliance = 1,
        PartnerLegalFormSet = 1,
    }
);

event_enum!(
    /// Events of a `session-{p}.{id}` stream.
    SessionEvent {
        SessionScheduled = 1,
        SessionHeld = 1,
        SessionCancelled = 1,
        AttendanceCorrected = 1,
    }
);

event_enum!(
    /// Events of an `action-{p}.{id}` stream.
    ActionEvent {
        ActionProposed = 2,
        ActionAmended = 1,
        ComplementsRequested = 1,
        ComplementsProvided = 1,
        OpinionGiven = 1,
        CopilDecisionTaken = 1,
        DecisionRevised = 1,
        ActionWithdrawn = 1,
        GrantAwarded = 1,
        GrantRefused = 1,
        PaymentRecorded = 1,
        PaymentCancelled = 1,
        ActionStarted = 1,
        PeriodChanged = 1,
        ActionCompleted = 1,
        NonRealisationAttested = 1,
        RepaymentRequested = 1,
        RepaymentReceived = 1,
        ReportSubmitted = 1,
        IndicatorMeasured = 1,
        ActionEvaluated = 1,
        ActionClosed = 1,
        ReportDeadlineExtended = 1,
        FinalReportReviewed = 1,
        GrantAmended = 1,
        RepaymentRequestCancelled = 1,
        ReportCorrected = 1,
    }
);

/// Any event of Chronique.
///
/// Serializing an event writes the bare struct of its variant (`untagged`), exactly the payload
/// stored for its `(event_type, schema_version)`: the log's codec and JSON use it alike. There is
/// deliberately no `Deserialize`: reading routes by the envelope's event type (the registry in
/// `projections`), since an untagged enum cannot be decoded without `deserialize_any`.
///
/// Not boxed although `ActionEvent` is much larger than the others: events are short-lived
/// values between decoding and folding, and other crates match on these variants directly.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
#[allow(clippy::large_enum_variant)]
pub enum DomainEvent {
    Programme(ProgrammeEvent),
    Partner(PartnerEvent),
    Session(SessionEvent),
    Action(ActionEvent),
}

impl DomainEvent {
    pub fn event_type(&self) -> &'static str {
        match self {
            DomainEvent::Programme(e) => e.event_type(),
            DomainEvent::Partner(e) => e.event_type(),
            DomainEvent::Session(e) => e.event_type(),
            DomainEvent::Action(e) => e.event_type(),
        }
    }

    pub fn schema_version(&self) -> u16 {
        match self {
            DomainEvent::Programme(e) => e.schema_version(),
            DomainEvent::Partner(e) => e.schema_version(),
            DomainEvent::Session(e) => e.schema_version(),
            DomainEvent::Action(e) => e.schema_version(),
        }
    }
}

/// Each kind's events wrap into [`DomainEvent`] and unwrap back (`Err` gives back an event of
/// another kind).
macro_rules! domain_event_kinds {
    ($($variant:ident($event:ty)),* $(,)?) => {$(
        impl From<$event> for DomainEvent {
            fn from(event: $event) -> DomainEvent {
                DomainEvent::$variant(event)
            }
        }

        impl TryFrom<DomainEvent> for $event {
            type Error = DomainEvent;

            fn try_from(event: DomainEvent) -> Result<$event, DomainEvent> {
                match event {
                    DomainEvent::$variant(event) => Ok(event),
                    other => Err(other),
                }
            }
        }
    )*};
}

domain_event_kinds!(
    Programme(ProgrammeEvent),
    Partner(PartnerEvent),
    Session(SessionEvent),
    Action(ActionEvent),
);

/// Frozen old versions of event payloads, each with its pure upcast to the current version.
///
/// A type here never changes again: stored bytes of that version decode into it forever.
pub mod legacy {
    use super::*;

    /// `ProgrammeEstablished` version 1, before the request cap was configurable.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    pub struct ProgrammeEstablishedV1 {
        pub programme: ProgrammeId,
        pub name: Name,
        pub territory: Vec<Name>,
        pub qpv: Vec<Name>,
        pub labelled_on: Option<NaiveDate>,
    }

    /// The cap every programme had before it could be set: 800 ‰ (DOMAIN.md, rule 2).
    pub const DEFAULT_REQUEST_CAP_PERMILLE: u16 = 800;

    impl From<ProgrammeEstablishedV1> for ProgrammeEstablished {
        fn from(v1: ProgrammeEstablishedV1) -> Self {
            ProgrammeEstablished {
                programme: v1.programme,
                name: v1.name,
                territory: v1.territory,
                qpv: v1.qpv,
                labelled_on: v1.labelled_on,
                request_cap_permille: DEFAULT_REQUEST_CAP_PERMILLE,
            }
        }
    }

    /// [`FunderRegistered`] before payers existed.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    pub struct FunderRegisteredV1 {
        pub funder: FunderId,
        pub name: Name,
        pub kind: FunderKind,
    }

    /// Reads with the payer DOMAIN.md maps its kind to.
    impl From<FunderRegisteredV1> for FunderRegistered {
        fn from(v1: FunderRegisteredV1) -> Self {
            FunderRegistered {
                payer: Payer::of_kind(v1.kind),
                funder: v1.funder,
                name: v1.name,
                kind: v1.kind,
            }
        }
    }

    /// [`PartnerRegistered`] before legal forms existed.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    pub struct PartnerRegisteredV1 {
        pub partner: PartnerId,
        pub name: Name,
        pub kind: PartnerKind,
        pub siret: Option<Siret>,
    }

    /// Reads with the legal form DOMAIN.md maps its kind to, and no RNA number.
    impl From<PartnerRegisteredV1> for PartnerRegistered {
        fn from(v1: PartnerRegisteredV1) -> Self {
            PartnerRegistered {
                legal_form: LegalForm::of_kind(v1.kind),
                rna: None,
                partner: v1.partner,
                name: v1.name,
                kind: v1.kind,
                siret: v1.siret,
            }
        }
    }

    /// [`ActionProposed`] before renewals existed.
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    pub struct ActionProposedV1 {
        pub action: ActionId,
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
        pub requested: Vec<MoneyLine>,
        pub indicators: Vec<IndicatorDef>,
        pub external_refs: Vec<Title>,
    }

    /// Reads as renewing nothing.
    impl From<ActionProposedV1> for ActionProposed {
        fn from(v1: ActionProposedV1) -> Self {
            ActionProposed {
                action: v1.action,
                reference: v1.reference,
                title: v1.title,
                summary: v1.summary,
                holder: v1.holder,
                axis: v1.axis,
                secondary_axes: v1.secondary_axes,
                publics: v1.publics,
                qpv: v1.qpv,
                period_start: v1.period_start,
                period_end: v1.period_end,
                year: v1.year,
                total_cost: v1.total_cost,
                requested: v1.requested,
                indicators: v1.indicators,
                external_refs: v1.external_refs,
                renews: None,
            }
        }
    }
}
