//! The queries of the read models: plain functions over a [`ProgrammeView`] (current, or built
//! as of a past bound by time travel), a viewer ([`Actor`]) and, where sentences are needed,
//! an [`EventSource`] to read the few events they word.
//!
//! They return plain Rust view types; the `graphql` crate maps them to its output types. Every
//! function applies the reading rules of [`crate::visibility`]: an action the viewer may not
//! see is absent (`None`, left out of lists), as if it did not exist.
//!
//! - [`actions`], [`action`]: the fiches actions, filtered and paginated;
//! - [`action_history`], [`session_history`], [`programme_history`], [`timeline`],
//!   [`timeline_entry`]: events in words;
//! - [`sessions`], [`session`], [`session_agenda`], [`session_decisions`]: sessions, their
//!   agenda and relevé de décisions;
//! - [`programme`], [`programmes`], [`partners`];
//! - [`budget`], [`granted_in_year`], [`granted_to_partner`]: suivi financier and programmation
//!   annuelle;
//! - [`reports_due`];
//! - [`beneficiaries`], [`deployment`], [`governance`], [`finances`], [`review_texts`],
//!   [`monthly_report`], [`copil_hindsight`]: the pilotage's figures and documents;
//! - [`changes`]: what changed between two views.

pub mod actions;
pub mod budget;
pub mod pilotage;
pub mod programme;
pub mod sessions;
pub mod timeline;
pub mod views;

pub use actions::{ActionConnection, ActionEdge, ActionFilter, action, actions};
pub use budget::{
    BudgetLineView, BudgetView, ProgrammationRow, ReportDueView, budget, granted_in_year,
    granted_to_partner, renewal_facts, reports_due,
};
pub use pilotage::{
    ActionCofinancingView, AnnualReviewView, BeneficiaryCellView, BeneficiaryTableView,
    CopilHindsightView, DeploymentView, FinancesView, FunderYearView, GovernanceView,
    HolderCountView, MonthlyReportView, ReportError, ReviewTextView, ReviewTextsView,
    SessionCountView, StatusCountView, YearPermilleView, annual_review, beneficiaries,
    copil_hindsight, deployment, finances, governance, monthly_report, review_texts,
    start_of_day_in_paris,
};
pub use programme::{BodyMembersView, EnvelopeView, ProgrammeInfo, programme, programmes};
pub use sessions::{
    SessionDecisionView, SessionView, session, session_agenda, session_awaiting, session_decisions,
    sessions,
};
pub use timeline::{
    ChangeSet, FunderDelta, HistoryEntry, StatusChange, TimelineConnection, TimelineEdge,
    TimelineEntry, TimelineFilter, action_history, changes, programme_history, session_history,
    timeline, timeline_entry,
};
pub use views::{
    ActionView, AxisView, BeneficiaryView, ComplementView, DecisionView, EvaluationView,
    FunderView, FundingLineView, GrantView, IndicatorView, MoneyLineView, OpinionView, PartnerView,
    PaymentView, ReportView, ReviewView, partners, renewals_of,
};

pub use crate::recorded::EventSource;

use crate::model::ProgrammeView;
use crate::recorded::{ReadError, RecordedEvent};
use crate::visibility;
use domain::actor::Actor;

/// Why a query has no answer. [`QueryError::code`] gives the API's `extensions.code`.
#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    /// The viewer may not read this programme (FORBIDDEN).
    #[error("ce jeton ne donne pas accès au programme « {programme} »")]
    Forbidden { programme: String },
    /// A cursor that this crate did not make (VALIDATION).
    #[error("curseur de pagination invalide : « {cursor} »")]
    InvalidCursor { cursor: String },
    /// The index names a position the log does not hold: the log and the model disagree.
    #[error("l'événement à la position {position} est introuvable dans le journal")]
    MissingEvent { position: u64 },
    #[error(transparent)]
    Read(#[from] ReadError),
}

impl QueryError {
    /// The `extensions.code` of api.graphql: FORBIDDEN, VALIDATION, or INTERNAL when the log
    /// and the model disagree or the log cannot be read.
    pub fn code(&self) -> &'static str {
        match self {
            QueryError::Forbidden { .. } => "FORBIDDEN",
            QueryError::InvalidCursor { .. } => "VALIDATION",
            QueryError::MissingEvent { .. } | QueryError::Read(_) => "INTERNAL",
        }
    }
}

/// A page request: at most `first` items after the opaque cursor `after`. The caller validates
/// `first` (api.graphql: `first` ≤ 500).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Page {
    pub first: usize,
    pub after: Option<String>,
}

impl Page {
    pub fn first(first: usize) -> Page {
        Page { first, after: None }
    }

    pub fn after(first: usize, cursor: impl Into<String>) -> Page {
        Page {
            first,
            after: Some(cursor.into()),
        }
    }
}

/// `hasNextPage` and `endCursor`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageInfo {
    pub has_next_page: bool,
    pub end_cursor: Option<String>,
}

pub(crate) fn check_programme(view: &ProgrammeView, viewer: &Actor) -> Result<(), QueryError> {
    if visibility::may_read_programme(viewer, &view.id) {
        Ok(())
    } else {
        Err(QueryError::Forbidden {
            programme: view.id.to_string(),
        })
    }
}

pub(crate) fn read_event(
    source: &dyn EventSource,
    position: u64,
) -> Result<RecordedEvent, QueryError> {
    source
        .event(position)?
        .ok_or(QueryError::MissingEvent { position })
}

/// Cursors are the hex of a key this crate knows how to read back: opaque to clients.
pub(crate) fn encode_cursor(key: &str) -> String {
    key.bytes().map(|b| format!("{b:02x}")).collect()
}

pub(crate) fn decode_cursor(cursor: &str) -> Result<String, QueryError> {
    let invalid = || QueryError::InvalidCursor {
        cursor: cursor.chars().take(80).collect(),
    };
    if !cursor.len().is_multiple_of(2) || !cursor.is_ascii() {
        return Err(invalid());
    }
    let bytes: Result<Vec<u8>, _> = (0..cursor.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&cursor[i..i + 2], 16))
        .collect();
    String::from_utf8(bytes.map_err(|_| invalid())?).map_err(|_| invalid())
}

/// Case- and accent-insensitive form of a text, for searching.
pub(crate) fn fold_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars().flat_map(char::to_lowercase) {
        match c {
            'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' => out.push('a'),
            'ç' => out.push('c'),
            'è' | 'é' | 'ê' | 'ë' => out.push('e'),
            'ì' | 'í' | 'î' | 'ï' => out.push('i'),
            'ñ' => out.push('n'),
            'ò' | 'ó' | 'ô' | 'õ' | 'ö' => out.push('o'),
            'ù' | 'ú' | 'û' | 'ü' => out.push('u'),
            'ý' | 'ÿ' => out.push('y'),
            'œ' => out.push_str("oe"),
            'æ' => out.push_str("ae"),
            // Typographic apostrophes and dashes read as their plain forms.
            '\u{2019}' | '\u{2018}' => out.push('\''),
            '\u{2013}' | '\u{2014}' => out.push('-'),
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_foreign_ones_are_refused() {
        let c = encode_cursor("2026-003\u{1f}soutien");
        assert_eq!(decode_cursor(&c).unwrap(), "2026-003\u{1f}soutien");
        assert!(decode_cursor("zz").is_err());
        assert!(decode_cursor("abc").is_err());
    }

    #[test]
    fn text_folding_ignores_case_and_accents() {
        assert_eq!(fold_text("Éducation À l’École"), "education a l'ecole");
        assert_eq!(fold_text("CŒUR"), "coeur");
    }
}
