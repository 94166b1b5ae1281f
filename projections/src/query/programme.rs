//! The programme itself: its name, territory, axes, funders, envelopes and bodies.

use super::views::{AxisView, FunderView};
use super::{QueryError, check_programme};
use crate::model::{ProgrammeView, ReadModel};
use crate::visibility;
use chrono::NaiveDate;
use domain::actor::Actor;
use domain::values::{BodyKind, Money, ProgrammeId};

/// `Envelope` of api.graphql: the current amount, after revisions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvelopeView {
    pub funder: FunderView,
    pub year: i32,
    pub amount: Money,
    pub reference: Option<String>,
}

/// `BodyMembers` of api.graphql.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BodyMembersView {
    pub body: BodyKind,
    pub organisations: Vec<String>,
    pub since: NaiveDate,
}

/// `Programme` of api.graphql without its history (see [`super::programme_history`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProgrammeInfo {
    pub id: ProgrammeId,
    pub name: String,
    pub territory: Vec<String>,
    pub qpv: Vec<String>,
    pub labelled_on: Option<NaiveDate>,
    pub request_cap_permille: u16,
    /// Every axis, retired ones included (`retired` tells), in the order defined.
    pub axes: Vec<AxisView>,
    pub funders: Vec<FunderView>,
    /// Every envelope, by year then in the order notified.
    pub envelopes: Vec<EnvelopeView>,
    pub bodies: Vec<BodyMembersView>,
    /// Version of the programme's stream.
    pub version: u64,
}

impl ProgrammeInfo {
    /// The envelopes of one year, or all.
    pub fn envelopes_of(&self, year: Option<i32>) -> impl Iterator<Item = &EnvelopeView> {
        self.envelopes
            .iter()
            .filter(move |e| year.is_none_or(|y| e.year == y))
    }

    /// The axes in force, or all.
    pub fn axes_of(&self, include_retired: bool) -> impl Iterator<Item = &AxisView> {
        self.axes
            .iter()
            .filter(move |a| include_retired || !a.retired)
    }
}

fn info(view: &ProgrammeView) -> Option<ProgrammeInfo> {
    let p = view.programme.programme.as_ref()?;
    let mut envelopes: Vec<EnvelopeView> = p
        .envelopes
        .iter()
        .map(|e| EnvelopeView {
            funder: FunderView::of(view, &e.funder),
            year: e.year.get(),
            amount: e.amount,
            reference: e.reference.as_ref().map(|r| r.to_string()),
        })
        .collect();
    envelopes.sort_by_key(|e| e.year);
    Some(ProgrammeInfo {
        id: p.id.clone(),
        name: p.name.to_string(),
        territory: p.territory.iter().map(|t| t.to_string()).collect(),
        qpv: p.qpv.iter().map(|q| q.to_string()).collect(),
        labelled_on: p.labelled_on,
        request_cap_permille: p.request_cap_permille,
        axes: p.axes.iter().map(|a| AxisView::of(view, &a.code)).collect(),
        funders: p
            .funders
            .iter()
            .map(|f| FunderView::of(view, &f.id))
            .collect(),
        envelopes,
        bodies: p
            .bodies
            .iter()
            .map(|b| BodyMembersView {
                body: b.body,
                organisations: b.organisations.iter().map(|o| o.to_string()).collect(),
                since: b.since,
            })
            .collect(),
        version: view.programme.version,
    })
}

/// The programme, `None` when it was not established at the bound.
pub fn programme(
    view: &ProgrammeView,
    viewer: &Actor,
) -> Result<Option<ProgrammeInfo>, QueryError> {
    check_programme(view, viewer)?;
    Ok(info(view))
}

/// The programmes the viewer may read (every one for ADMIN), by id.
pub fn programmes(model: &ReadModel, viewer: &Actor) -> Vec<ProgrammeInfo> {
    model
        .programmes()
        .filter(|v| visibility::may_read_programme(viewer, &v.id))
        .filter_map(info)
        .collect()
}
