//! Déploiement and gouvernance of a year (the revue de projet's first two headings).

use super::super::views::{ActionView, AxisView, action_view};
use super::super::{
    EventSource, Page, QueryError, TimelineEntry, TimelineFilter, check_programme, timeline,
};
use crate::model::{ActionRef, EventKind, ProgrammeView};
use crate::visibility;
use chrono::NaiveDate;
use domain::actor::Actor;
use domain::values::{
    ActionId, ActionStatus, AxisCode, BodyKind, DecisionOutcome, LegalForm, NationalObjective,
    PartnerKind,
};
use std::collections::{BTreeMap, BTreeSet};

/// Actions of one status on one primary axis.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusCountView {
    pub status: ActionStatus,
    pub axis: AxisView,
    pub objective: NationalObjective,
    pub count: u32,
}

/// The porteurs of one kind and legal form, and the actions they carry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HolderCountView {
    pub kind: PartnerKind,
    pub legal_form: LegalForm,
    pub partners: u32,
    pub actions: u32,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DeploymentView {
    pub year: i32,
    pub by_status: Vec<StatusCountView>,
    pub holders: Vec<HolderCountView>,
    pub new_actions: u32,
    pub renewed_actions: u32,
    pub withdrawn: Vec<ActionView>,
    pub not_realised: Vec<ActionView>,
    pub period_changed: Vec<ActionView>,
}

/// Whether the COPIL's standing decision on the action is RETAINED: the programmation's rule
/// (an action retained then withdrawn or not realised still counts as carried that year).
fn retained(a: &ActionRef<'_>) -> bool {
    a.decision()
        .is_some_and(|d| d.outcome == DecisionOutcome::Retained)
}

fn not_realised(a: &ActionRef<'_>) -> bool {
    a.status() == ActionStatus::NotRealised
        || (a.status() == ActionStatus::Closed && a.completed_on().is_none())
}

/// The déploiement of `year`, over the actions of that year the viewer may see:
/// - `by_status`: every action counted once, on its primary axis, by status;
/// - `holders`, `new_actions`, `renewed_actions`: over the actions the COPIL retained (the
///   programmation annuelle), per porteur kind and legal form; renewed means it names an
///   earlier action it continues;
/// - `withdrawn`, `not_realised` (with their reasons in `last_reason`), `period_changed`: by
///   reference.
pub fn deployment(
    view: &ProgrammeView,
    viewer: &Actor,
    year: i32,
) -> Result<DeploymentView, QueryError> {
    check_programme(view, viewer)?;
    let visible: Vec<(ActionRef<'_>, visibility::ActionAccess)> = view
        .actions()
        .filter(|a| a.year().get() == year)
        .map(|a| {
            let access = visibility::access_to(viewer, &a);
            (a, access)
        })
        .filter(|(_, access)| access.is_visible())
        .collect();
    let mut by_status: BTreeMap<(ActionStatus, AxisCode), u32> = BTreeMap::new();
    for (a, _) in &visible {
        if let Ok(axis) = AxisCode::parse(a.axis()) {
            *by_status.entry((a.status(), axis)).or_default() += 1;
        }
    }
    let by_status = by_status
        .into_iter()
        .map(|((status, axis), count)| {
            let axis = AxisView::of(view, &axis);
            StatusCountView {
                status,
                objective: axis.objective,
                axis,
                count,
            }
        })
        .collect();
    let mut holders: BTreeMap<(PartnerKind, LegalForm), (BTreeSet<&str>, u32)> = BTreeMap::new();
    let (mut new_actions, mut renewed_actions) = (0, 0);
    for (a, _) in visible.iter().filter(|(a, _)| retained(a)) {
        if a.renews().is_some() {
            renewed_actions += 1;
        } else {
            new_actions += 1;
        }
        let partner = domain::values::PartnerId::parse(a.holder())
            .ok()
            .and_then(|id| view.partner(&id));
        let key = partner.map_or((PartnerKind::Other, LegalForm::Unknown), |p| {
            (p.kind, p.legal_form)
        });
        let entry = holders.entry(key).or_default();
        entry.0.insert(a.holder());
        entry.1 += 1;
    }
    let holders = holders
        .into_iter()
        .map(
            |((kind, legal_form), (partners, actions))| HolderCountView {
                kind,
                legal_form,
                partners: u32::try_from(partners.len()).unwrap_or(u32::MAX),
                actions,
            },
        )
        .collect();
    let changed: BTreeSet<ActionId> = view
        .events()
        .iter()
        .filter(|e| e.kind == EventKind::PeriodChanged)
        .filter_map(|e| view.action_of(e))
        .collect();
    let list = |keep: &dyn Fn(&ActionRef<'_>) -> bool| -> Vec<ActionView> {
        let mut out: Vec<ActionView> = visible
            .iter()
            .filter(|(a, _)| keep(a))
            .filter_map(|(a, access)| action_view(view, a, *access))
            .collect();
        out.sort_by(|x, y| (&x.reference, &x.id).cmp(&(&y.reference, &y.id)));
        out
    };
    let period_changed = list(&|a| changed.iter().any(|id| id.as_str() == a.id()));
    Ok(DeploymentView {
        year,
        by_status,
        holders,
        new_actions,
        renewed_actions,
        withdrawn: list(&|a| a.status() == ActionStatus::Withdrawn),
        not_realised: list(&not_realised),
        period_changed,
    })
}

/// Sessions of one body in a year.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionCountView {
    pub body: BodyKind,
    /// Every session dated in the year: held, cancelled or still to be held.
    pub scheduled: u32,
    pub held: u32,
    pub cancelled: u32,
}

#[derive(Debug, Clone, PartialEq)]
pub struct GovernanceView {
    pub year: i32,
    pub sessions: Vec<SessionCountView>,
    /// The held sessions of the year, by date (each with the organisations present).
    pub held_sessions: Vec<super::super::SessionView>,
    /// The changes of body membership effective in the year, oldest first.
    pub membership_changes: Vec<TimelineEntry>,
}

/// The gouvernance of `year`: sessions per body (every body listed, in the order of
/// [`BodyKind`]), the held ones, and the changes of membership.
pub fn governance(
    view: &ProgrammeView,
    viewer: &Actor,
    year: i32,
    source: &dyn EventSource,
) -> Result<GovernanceView, QueryError> {
    let all = super::super::sessions(view, viewer, None)?;
    let in_year: Vec<_> = all
        .into_iter()
        .filter(|s| chrono::Datelike::year(&s.date) == year)
        .collect();
    let sessions = BodyKind::ALL
        .iter()
        .map(|&body| {
            let of_body = in_year.iter().filter(|s| s.body == body);
            SessionCountView {
                body,
                scheduled: count(of_body.clone()),
                held: count(of_body.clone().filter(|s| s.held)),
                cancelled: count(of_body.filter(|s| s.cancelled)),
            }
        })
        .collect();
    let bounds = |m, d| NaiveDate::from_ymd_opt(year, m, d);
    let filter = TimelineFilter {
        from: bounds(1, 1),
        to: bounds(12, 31),
        kinds: Some(vec![EventKind::BodyMembershipChanged.name().to_owned()]),
        ..TimelineFilter::default()
    };
    let changes = timeline(
        view,
        viewer,
        &filter,
        true,
        &Page::first(usize::MAX),
        source,
    )?;
    Ok(GovernanceView {
        year,
        sessions,
        held_sessions: in_year.into_iter().filter(|s| s.held).collect(),
        membership_changes: changes.edges.into_iter().map(|e| e.node).collect(),
    })
}

fn count<T>(items: impl Iterator<Item = T>) -> u32 {
    u32::try_from(items.count()).unwrap_or(u32::MAX)
}
