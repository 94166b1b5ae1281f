//! The pilotage's figures (DOMAIN.md, « Beneficiaries of year Y »): aggregated across the
//! actions the viewer may see, with the small-cell rule for the roles that must not see cells
//! below 10.

use super::views::action_view;
use super::{QueryError, check_programme};
use crate::model::ProgrammeView;
use crate::visibility::{self, ActionAccess, BENEFICIARY_THRESHOLD};
use domain::actor::Actor;
use domain::values::{AgeBand, AxisCode, PublicKind, ReportKind, Sex};
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
