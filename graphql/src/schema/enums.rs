//! The enums of api.graphql, as GraphQL enums, each mapped both ways to its domain type.
//!
//! Domain types never derive GraphQL traits (ARCHITECTURE.md): these mirrors do, and the
//! `From` conversions keep them in step. A variant added to a domain enum and not here fails
//! to compile (the matches are exhaustive). async-graphql writes items in SCREAMING_SNAKE_CASE,
//! which gives api.graphql's names, except for the age bands, named explicitly.

use async_graphql::Enum;
use domain::values as d;

macro_rules! api_enum {
    ($(#[$doc:meta])* $name:ident => $domain:ident { $($(#[$meta:meta])* $variant:ident),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Enum, Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name { $($(#[$meta])* $variant),+ }

        impl From<$name> for d::$domain {
            fn from(value: $name) -> Self {
                match value { $($name::$variant => d::$domain::$variant),+ }
            }
        }

        impl From<d::$domain> for $name {
            fn from(value: d::$domain) -> Self {
                match value { $(d::$domain::$variant => $name::$variant),+ }
            }
        }
    };
}

api_enum!(
    /// The role a token gives.
    Role => Role { Admin, Pilot, Coordinator, Porteur, Evaluator, Observer }
);
api_enum!(
    /// The three national objectives of the Cités éducatives.
    NationalObjective => NationalObjective { SchoolRole, EducationalContinuity, WiderHorizons }
);
api_enum!(
    /// What kind of funder.
    FunderKind => FunderKind {
        State, FondsDeLaCite, Municipality, Epci, Department, Region, Caf, Housing, Foundation,
        OwnFunds, Other
    }
);
api_enum!(
    /// What kind of organisation a partner is.
    PartnerKind => PartnerKind {
        School, College, Lycee, Association, MunicipalService, Epci, StateService, Caf, Culture,
        Sport, Social, Health, Housing, Other
    }
);
api_enum!(
    /// Private law: ASSOCIATION FOUNDATION COMPANY OTHER_PRIVATE. Public law: LOCAL_AUTHORITY EPLE
    /// STATE_SERVICE OTHER_PUBLIC. UNKNOWN counts as private law.
    LegalForm => LegalForm {
        Association, Foundation, Company, OtherPrivate, LocalAuthority, Eple, StateService,
        OtherPublic, Unknown
    }
);
api_enum!(
    /// The public body that finally pays a funder's money (the fonds de la cité: STATE).
    Payer => Payer { State, Commune, Epci, Department, Region, Caf, Other }
);
api_enum!(
    /// The free-text parts of the revue de projet.
    ReviewSection => ReviewSection {
        Governance, Deployment, Communication, Network, Finance, Evaluation, Difficulties, Outlook
    }
);
api_enum!(
    /// The programme's verdict on a compte rendu financier.
    ReportVerdict => ReportVerdict { Accepted, Rejected }
);
api_enum!(
    /// A governance body.
    BodyKind => BodyKind { Copil, Cotech, SelectionCommittee, Other }
);
api_enum!(
    /// Where an action stands in its life cycle.
    ActionStatus => ActionStatus {
        Proposed, ComplementsRequested, UnderReview, Retained, Deferred, Rejected, Withdrawn,
        Funded, InProgress, Completed, NotRealised, Reported, Evaluated, Closed
    }
);
api_enum!(
    /// The opinion of a COTECH or selection committee.
    Opinion => Opinion { Favourable, Reserved, Unfavourable }
);
api_enum!(
    /// What the COPIL decided.
    DecisionOutcome => DecisionOutcome { Retained, Deferred, Rejected }
);
api_enum!(
    /// The formal act of a grant.
    ActKind => ActKind { Convention, Arrete, Deliberation, EpleDecision, Other }
);
api_enum!(
    /// What a payment is.
    PaymentKind => PaymentKind { Advance, Instalment, Balance }
);
api_enum!(
    /// Interim or final report.
    ReportKind => ReportKind { Interim, Final }
);
api_enum!(
    /// Who an action is for.
    PublicKind => PublicKind { Children, Parents, Professionals }
);
api_enum!(
    /// Age band of beneficiaries; ADULT is 26 and over.
    AgeBand => AgeBand {
        #[graphql(name = "AGE_0_2")]
        Age0To2,
        #[graphql(name = "AGE_3_5")]
        Age3To5,
        #[graphql(name = "AGE_6_10")]
        Age6To10,
        #[graphql(name = "AGE_11_14")]
        Age11To14,
        #[graphql(name = "AGE_15_17")]
        Age15To17,
        #[graphql(name = "AGE_18_25")]
        Age18To25,
        Adult,
    }
);
api_enum!(
    /// Sex of beneficiaries, as counted.
    Sex => Sex { Female, Male, Undisclosed }
);
api_enum!(
    /// How far an action reached its objectives.
    Rating => Rating { Achieved, PartlyAchieved, NotAchieved }
);
api_enum!(
    /// What the evaluator recommends.
    Recommendation => Recommendation { Renew, Adjust, Stop }
);
