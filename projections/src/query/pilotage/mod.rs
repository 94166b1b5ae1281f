//! The pilotage's figures and documents (DOMAIN.md, « Precise meanings »): aggregated across
//! the actions the viewer may see, with the small-cell rule for the roles that must not see
//! cells below 10.
//!
//! - [`beneficiaries`] (here), [`deployment`], [`governance`], [`finances`]: the figures of a
//!   year, which the revue de projet gathers with its texts ([`review_texts`]);
//! - [`monthly_report`], [`copil_hindsight`]: documents that compare two folds.

mod deployment;
mod finances;
mod reports;

pub use deployment::{
    DeploymentView, GovernanceView, HolderCountView, SessionCountView, StatusCountView, deployment,
    governance,
};
pub use finances::{
    ActionCofinancingView, FinancesView, FunderYearView, YearPermilleView, finances, permille,
};
pub use reports::{
    CopilHindsightView, MonthlyReportView, ReportError, copil_hindsight, monthly_report,
    start_of_day_in_paris,
};

use super::views::action_view;
use super::{QueryError, check_programme};
use crate::model::{EventKind, ProgrammeView};
use crate::visibility::{self, ActionAccess, BENEFICIARY_THRESHOLD};
use chrono::{DateTime, Utc};
use domain::actor::Actor;
use domain::values::{AgeBand, AxisCode, PublicKind, ReportKind, Sex};
use domain::values::{ReviewSection, SessionId};
use std::collections::BTreeMap;

/// A cell's place: primary axis, public, age band, sex, QPV residence.
type CellKey = (AxisCode, PublicKind, AgeBand, Sex, bool);

/// One cell: a primary axis × public × age band × sex × QPV residence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BeneficiaryCellView {
    pub axis: AxisCode,
    pub public: PublicKind,
    pub age_band: AgeBand,
    pub sex: Sex,
    pub qpv_resident: bool,
    /// `None` when hidden.
    pub count: Option<u32>,
    pub hidden: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BeneficiaryTableView {
    pub year: i32,
    pub cells: Vec<BeneficiaryCellView>,
    /// Withheld (`None`) whenever a cell is hidden.
    pub total: Option<u64>,
    pub actions_counted: u32,
    pub actions_with_interim_only: u32,
}

/// The beneficiaries of the actions of `year` the viewer may see: each action's latest final
/// report, else its latest interim report (counted in `actions_with_interim_only`), summed per
/// cell. An OBSERVER, and a PORTEUR for any cell holding another partner's counts, sees a cell
/// below 10 as hidden, and then no total.
pub fn beneficiaries(
    view: &ProgrammeView,
    viewer: &Actor,
    year: i32,
) -> Result<BeneficiaryTableView, QueryError> {
    check_programme(view, viewer)?;
    // Key → (count, holds counts the viewer may not see in detail).
    let mut cells: BTreeMap<CellKey, (u64, bool)> = BTreeMap::new();
    let (mut counted, mut interim_only) = (0, 0);
    for a in view.actions().filter(|a| a.year().get() == year) {
        // Only the actions the viewer may see; their counts read in full, then aggregated, and
        // hidden below the threshold in a cell holding an action the viewer reads restricted.
        let access = visibility::access_to(viewer, &a);
        if !access.is_visible() {
            continue;
        }
        let Some(seen) = action_view(view, &a, ActionAccess::Full) else {
            continue;
        };
        let report = seen
            .reports
            .iter()
            .rev()
            .find(|r| r.kind == ReportKind::Final)
            .or_else(|| seen.reports.last());
        let Some(report) = report else { continue };
        counted += 1;
        if report.kind == ReportKind::Interim {
            interim_only += 1;
        }
        let foreign = access != ActionAccess::Full;
        for b in &report.beneficiaries {
            let key = (
                seen.axis.code.clone(),
                b.public,
                b.age_band,
                b.sex,
                b.qpv_resident,
            );
            let cell = cells.entry(key).or_default();
            cell.0 += u64::from(b.count.unwrap_or(0));
            cell.1 |= foreign;
        }
    }
    let mut total = 0u64;
    let mut any_hidden = false;
    let cells = cells
        .into_iter()
        .map(
            |((axis, public, age_band, sex, qpv_resident), (count, foreign))| {
                total += count;
                let hidden = foreign && count < u64::from(BENEFICIARY_THRESHOLD);
                any_hidden |= hidden;
                BeneficiaryCellView {
                    axis,
                    public,
                    age_band,
                    sex,
                    qpv_resident,
                    count: (!hidden).then(|| u32::try_from(count).unwrap_or(u32::MAX)),
                    hidden,
                }
            },
        )
        .collect();
    Ok(BeneficiaryTableView {
        year,
        cells,
        total: (!any_hidden).then_some(total),
        actions_counted: counted,
        actions_with_interim_only: interim_only,
    })
}

/// The latest text of one section of a revue de projet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewTextView {
    pub section: ReviewSection,
    pub text: String,
    pub written_at: DateTime<Utc>,
    pub position: u64,
}

/// The texts of the revue de projet of `year` and its standing validation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewTextsView {
    /// The latest version of each section written, in the order of [`ReviewSection`].
    pub sections: Vec<ReviewTextView>,
    /// The latest validation: its session and the position of its event.
    pub validated: Option<(SessionId, u64)>,
}

/// The texts and validation of the revue de projet of `year` (DOMAIN.md rule 17: a section may
/// be rewritten, a later validation supersedes an earlier one).
pub fn review_texts(
    view: &ProgrammeView,
    viewer: &Actor,
    year: i32,
) -> Result<ReviewTextsView, QueryError> {
    check_programme(view, viewer)?;
    let Some(p) = view.programme.programme.as_ref() else {
        return Ok(ReviewTextsView {
            sections: Vec::new(),
            validated: None,
        });
    };
    // The records are folded in log order, as are their events: the n-th record is the n-th
    // event of its kind.
    let of_kind = |kind: EventKind| view.events().iter().filter(move |e| e.kind == kind);
    let mut latest: std::collections::BTreeMap<ReviewSection, ReviewTextView> =
        std::collections::BTreeMap::new();
    for (record, entry) in p
        .review_sections
        .iter()
        .zip(of_kind(EventKind::ReviewSectionWritten))
    {
        if record.year.get() == year {
            latest.insert(
                record.section,
                ReviewTextView {
                    section: record.section,
                    text: record.text.to_string(),
                    written_at: entry.recorded_at(),
                    position: entry.position,
                },
            );
        }
    }
    let validated = p
        .review_validations
        .iter()
        .zip(of_kind(EventKind::AnnualReviewValidated))
        .filter(|(v, _)| v.year.get() == year)
        .map(|(v, entry)| (v.session.clone(), entry.position))
        .last();
    Ok(ReviewTextsView {
        sections: latest.into_values().collect(),
        validated,
    })
}

/// Everything a revue de projet shows (api-next `AnnualReview` without its declared copy), as
/// the viewer may see it.
#[derive(Debug, Clone, PartialEq)]
pub struct AnnualReviewView {
    pub year: i32,
    pub beneficiaries: BeneficiaryTableView,
    pub deployment: DeploymentView,
    pub governance: GovernanceView,
    pub finances: FinancesView,
    pub budget: super::BudgetView,
    /// The actions of the year evaluated, by reference.
    pub evaluations: Vec<super::ActionView>,
    pub texts: ReviewTextsView,
    /// The session of the standing validation.
    pub validated_at: Option<super::SessionView>,
    /// The position of the last event of the view it was computed from.
    pub position: u64,
}

/// The revue de projet of `year` as `view` holds it: the figures of the year under the ANCT's
/// headings, the texts, and the standing validation.
pub fn annual_review(
    view: &ProgrammeView,
    viewer: &Actor,
    year: i32,
    source: &dyn super::EventSource,
) -> Result<AnnualReviewView, QueryError> {
    let texts = review_texts(view, viewer, year)?;
    let validated_at = match &texts.validated {
        Some((session, _)) => super::session(view, viewer, session)?,
        None => None,
    };
    let mut evaluations: Vec<super::ActionView> = view
        .actions()
        .filter(|a| a.year().get() == year && a.evaluation().is_some())
        .filter_map(|a| action_view(view, &a, visibility::access_to(viewer, &a)))
        .collect();
    evaluations.sort_by(|x, y| (&x.reference, &x.id).cmp(&(&y.reference, &y.id)));
    Ok(AnnualReviewView {
        year,
        beneficiaries: beneficiaries(view, viewer, year)?,
        deployment: deployment(view, viewer, year)?,
        governance: governance(view, viewer, year, source)?,
        finances: finances(view, viewer, year, year)?,
        budget: super::budget(view, viewer, year)?,
        evaluations,
        texts,
        validated_at,
        position: view.position(),
    })
}
