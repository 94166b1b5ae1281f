//! The fiches actions: one, or a filtered page of them.

use super::views::{ActionView, action_view, visible_action};
use super::{Page, PageInfo, QueryError, check_programme, decode_cursor, encode_cursor, fold_text};
use crate::model::{ActionRef, ProgrammeView};
use crate::visibility;
use domain::actor::Actor;
use domain::values::{ActionId, ActionStatus, AxisCode, PartnerId};

/// `ActionFilter` of api.graphql; every field set must match.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ActionFilter {
    /// Any of these statuses (an empty list matches none).
    pub status: Option<Vec<ActionStatus>>,
    /// Primary or secondary axis.
    pub axis: Option<AxisCode>,
    pub holder: Option<PartnerId>,
    pub year: Option<i32>,
    /// Case- and accent-insensitive substring of the reference, title or summary.
    pub text: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ActionEdge {
    pub node: ActionView,
    pub cursor: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ActionConnection {
    pub edges: Vec<ActionEdge>,
    pub page_info: PageInfo,
    /// Every action matching the filter that the viewer may see, all pages together.
    pub total_count: usize,
}

/// One action, `None` when it does not exist at the bound or the viewer may not see it.
pub fn action(
    view: &ProgrammeView,
    viewer: &Actor,
    id: &ActionId,
) -> Result<Option<ActionView>, QueryError> {
    check_programme(view, viewer)?;
    Ok(visible_action(view, viewer, id))
}

fn sort_key(reference: &str, id: &str) -> String {
    format!("{reference}\u{1f}{id}")
}

/// The actions matching `filter` that the viewer may see, ordered by reference then id, one
/// page at a time.
pub fn actions(
    view: &ProgrammeView,
    viewer: &Actor,
    filter: &ActionFilter,
    page: &Page,
) -> Result<ActionConnection, QueryError> {
    check_programme(view, viewer)?;
    let after = page.after.as_deref().map(decode_cursor).transpose()?;
    let text = filter.text.as_deref().map(fold_text);
    let mut matching: Vec<(String, ActionRef<'_>)> = view
        .actions()
        .filter(|a| visibility::access_to(viewer, a).is_visible())
        .filter(|a| {
            filter
                .status
                .as_ref()
                .is_none_or(|s| s.contains(&a.status()))
                && filter.axis.as_ref().is_none_or(|x| {
                    a.axis() == x.as_str() || a.secondary_axes().any(|c| c == x.as_str())
                })
                && filter
                    .holder
                    .as_ref()
                    .is_none_or(|h| a.holder() == h.as_str())
                && filter.year.is_none_or(|y| a.year().get() == y)
                && text.as_deref().is_none_or(|t| {
                    fold_text(a.reference()).contains(t)
                        || fold_text(a.title()).contains(t)
                        || fold_text(a.summary()).contains(t)
                })
        })
        .map(|a| (sort_key(a.reference(), a.id()), a))
        .collect();
    matching.sort_by(|x, y| x.0.cmp(&y.0));
    let total_count = matching.len();
    let start = match &after {
        Some(key) => matching.partition_point(|(k, _)| k <= key),
        None => 0,
    };
    let rest = &matching[start..];
    let taken = &rest[..rest.len().min(page.first)];
    let edges: Vec<ActionEdge> = taken
        .iter()
        .filter_map(|(key, a)| {
            let access = visibility::access_to(viewer, a);
            action_view(view, a, access).map(|node| ActionEdge {
                node,
                cursor: encode_cursor(key),
            })
        })
        .collect();
    Ok(ActionConnection {
        page_info: PageInfo {
            has_next_page: rest.len() > taken.len(),
            end_cursor: edges.last().map(|e| e.cursor.clone()),
        },
        edges,
        total_count,
    })
}
