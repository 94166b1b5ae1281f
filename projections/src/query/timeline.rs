//! Events in words: histories of an action, a session and the programme, the programme's
//! timeline, and what changed between two moments.
//!
//! The index of [`ProgrammeView`] selects, filters, orders and paginates without reading the
//! log; only the entries returned are read back (one `get` each) and worded by
//! [`crate::render`].

use super::views::FunderView;
use super::{
    EventSource, Page, PageInfo, QueryError, check_programme, decode_cursor, encode_cursor,
    read_event,
};
use crate::model::{self, ActionRef, EventKind, EventRef, ProgrammeView, Subject};
use crate::recorded::{RecordedEvent, Recorder};
use crate::render::{self, Redaction};
use crate::visibility::{self, ActionAccess};
use chrono::{DateTime, NaiveDate, Utc};
use domain::actor::Actor;
use domain::events::{ActionEvent, DomainEvent};
use domain::streams::StreamRef;
use domain::values::{ActionId, ActionStatus, AxisCode, FunderId, Money, SessionId};
use std::collections::BTreeMap;

/// `HistoryEntry` of api.graphql.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryEntry {
    pub position: u64,
    /// Past-tense sentence in French.
    pub summary: String,
    /// The event type's name, verbatim.
    pub kind: &'static str,
    pub effective_on: NaiveDate,
    pub recorded_at: DateTime<Utc>,
    pub actor: Recorder,
    pub superseded_by: Option<u64>,
}

/// `TimelineEntry` of api.graphql.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimelineEntry {
    pub position: u64,
    pub effective_on: NaiveDate,
    pub recorded_at: DateTime<Utc>,
    pub kind: &'static str,
    /// An action's event is prefixed with its reference and title.
    pub summary: String,
    pub actor: Recorder,
    pub action_id: Option<ActionId>,
    pub session_id: Option<SessionId>,
    /// The action's primary axis when the event was recorded.
    pub axis: Option<AxisCode>,
    pub amount: Option<Money>,
    pub superseded_by: Option<u64>,
}

/// `TimelineFilter` of api.graphql; every field set must match. `from` and `to` bound the
/// effective date, both inclusive; `kinds` are event type names (an unknown name matches
/// nothing); `session_id` matches the session's own events and the opinions, decisions and
/// revisions taken there.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TimelineFilter {
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub kinds: Option<Vec<String>>,
    pub axis: Option<AxisCode>,
    pub action_id: Option<ActionId>,
    pub session_id: Option<SessionId>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimelineEdge {
    pub node: TimelineEntry,
    pub cursor: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimelineConnection {
    pub edges: Vec<TimelineEdge>,
    pub page_info: PageInfo,
}

/// `ChangeSet` of api.graphql.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeSet {
    pub from_position: u64,
    pub to_position: u64,
    /// Oldest first (effective date, then position).
    pub entries: Vec<TimelineEntry>,
    pub actions_added: Vec<ActionId>,
    pub status_changes: Vec<StatusChange>,
    /// Per funder with a non-zero change: granted at `to` minus granted at `from`.
    pub granted_delta: Vec<FunderDelta>,
}

/// `from` is `None` for an action absent from the first view (or that the viewer could not see
/// there).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusChange {
    pub action_id: ActionId,
    pub from: Option<ActionStatus>,
    pub to: ActionStatus,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunderDelta {
    pub funder: FunderView,
    /// Signed cents.
    pub delta: i64,
}

/// How the viewer sees one entry: `None` when not at all.
fn entry_redaction(view: &ProgrammeView, viewer: &Actor, entry: &EventRef) -> Option<Redaction> {
    if view.action_record_at(entry.stream).is_none() {
        return Some(Redaction::NONE);
    }
    let access = match view.action_at(entry.stream) {
        Some(a) => visibility::access_to(viewer, &a),
        None if visibility::sees_everything(viewer) => ActionAccess::Full,
        None => ActionAccess::Hidden,
    };
    match access {
        ActionAccess::Hidden => None,
        ActionAccess::Full => Some(Redaction::NONE),
        ActionAccess::Restricted if entry.kind == EventKind::OpinionGiven => None,
        ActionAccess::Restricted => Some(Redaction::OBSERVER),
    }
}

fn redacted_amount(
    view: &ProgrammeView,
    entry: &EventRef,
    event: &RecordedEvent,
    redaction: Redaction,
) -> Option<Money> {
    if redaction.hide_requested
        && matches!(
            entry.kind,
            EventKind::ActionProposed | EventKind::ActionAmended
        )
    {
        None
    } else {
        view.amount_of(entry, &event.event)
    }
}

fn history_entry(
    view: &ProgrammeView,
    entry: &EventRef,
    event: &RecordedEvent,
    redaction: Redaction,
) -> HistoryEntry {
    HistoryEntry {
        position: entry.position,
        summary: render::sentence(view, event, redaction),
        kind: entry.kind.name(),
        effective_on: entry.effective_on(),
        recorded_at: entry.recorded_at(),
        actor: event.actor.clone(),
        superseded_by: view.superseded_by(entry.position),
    }
}

fn timeline_node(
    view: &ProgrammeView,
    entry: &EventRef,
    event: &RecordedEvent,
    redaction: Redaction,
) -> TimelineEntry {
    TimelineEntry {
        position: entry.position,
        effective_on: entry.effective_on(),
        recorded_at: entry.recorded_at(),
        kind: entry.kind.name(),
        summary: render::timeline_sentence(view, event, redaction),
        actor: event.actor.clone(),
        action_id: view.action_of(entry),
        session_id: view.session_of(entry),
        axis: entry.axis().and_then(|i| view.axis_code(i)).cloned(),
        amount: redacted_amount(view, entry, event, redaction),
        superseded_by: view.superseded_by(entry.position),
    }
}

/// The entries of `selected` (events of `view`) the viewer may see, by effective date then
/// position.
pub(crate) fn entries<'a>(
    view: &'a ProgrammeView,
    viewer: &Actor,
    selected: impl Iterator<Item = &'a EventRef>,
    source: &dyn EventSource,
) -> Result<Vec<TimelineEntry>, QueryError> {
    let mut seen: Vec<(&EventRef, Redaction)> = selected
        .filter_map(|e| entry_redaction(view, viewer, e).map(|r| (e, r)))
        .collect();
    seen.sort_by_key(|(e, _)| (e.effective_on(), e.position));
    let mut out = Vec::with_capacity(seen.len());
    for (entry, redaction) in seen {
        let event = read_event(source, entry.position)?;
        out.push(timeline_node(view, entry, &event, redaction));
    }
    Ok(out)
}

/// The history of one stream of the programme, oldest first, as the viewer may see it.
fn stream_history(
    view: &ProgrammeView,
    viewer: &Actor,
    subject: &Subject,
    source: &dyn EventSource,
) -> Result<Vec<HistoryEntry>, QueryError> {
    let Some(stream) = view.subject_index(subject) else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for entry in view.events().iter().filter(|e| e.stream == stream) {
        let Some(redaction) = entry_redaction(view, viewer, entry) else {
            continue;
        };
        let event = read_event(source, entry.position)?;
        out.push(history_entry(view, entry, &event, redaction));
    }
    Ok(out)
}

/// The history of an action in French, oldest first; `None` when the action does not exist at
/// the bound or the viewer may not see it. Observers get no opinion and no requested amount.
pub fn action_history(
    view: &ProgrammeView,
    viewer: &Actor,
    id: &ActionId,
    source: &dyn EventSource,
) -> Result<Option<Vec<HistoryEntry>>, QueryError> {
    check_programme(view, viewer)?;
    let Some(action) = view.action(id) else {
        return Ok(None);
    };
    if !visibility::access_to(viewer, &action).is_visible() {
        return Ok(None);
    }
    stream_history(view, viewer, &Subject::Action(id.clone()), source).map(Some)
}

/// The history of a session's own stream (scheduled, held, cancelled), oldest first.
pub fn session_history(
    view: &ProgrammeView,
    viewer: &Actor,
    id: &SessionId,
    source: &dyn EventSource,
) -> Result<Vec<HistoryEntry>, QueryError> {
    check_programme(view, viewer)?;
    stream_history(view, viewer, &Subject::Session(id.clone()), source)
}

/// The history of the programme's own stream (axes, funders, envelopes, bodies), oldest first.
pub fn programme_history(
    view: &ProgrammeView,
    viewer: &Actor,
    source: &dyn EventSource,
) -> Result<Vec<HistoryEntry>, QueryError> {
    check_programme(view, viewer)?;
    stream_history(view, viewer, &Subject::Programme, source)
}

fn cursor_key(entry: &EventRef) -> String {
    format!("{}/{}", entry.effective_on(), entry.position)
}

fn parse_cursor(cursor: &str) -> Result<(NaiveDate, u64), QueryError> {
    let invalid = || QueryError::InvalidCursor {
        cursor: cursor.chars().take(80).collect(),
    };
    let key = decode_cursor(cursor)?;
    let (date, position) = key.split_once('/').ok_or_else(invalid)?;
    let date = NaiveDate::parse_from_str(date, "%Y-%m-%d").map_err(|_| invalid())?;
    let position = position.parse::<u64>().map_err(|_| invalid())?;
    Ok((date, position))
}

/// The programme's timeline: every stream's entries the viewer may see, matching `filter`,
/// ordered by effective date then position, newest first unless `oldest_first`, one page at a
/// time.
pub fn timeline(
    view: &ProgrammeView,
    viewer: &Actor,
    filter: &TimelineFilter,
    oldest_first: bool,
    page: &Page,
    source: &dyn EventSource,
) -> Result<TimelineConnection, QueryError> {
    check_programme(view, viewer)?;
    let after = page.after.as_deref().map(parse_cursor).transpose()?;
    let kinds: Option<Vec<Option<EventKind>>> = filter
        .kinds
        .as_ref()
        .map(|ks| ks.iter().map(|k| EventKind::parse(k)).collect());
    // A filter naming something never seen matches nothing.
    let axis = filter.axis.as_ref().map(|code| view.axis_index(code));
    let action = filter
        .action_id
        .as_ref()
        .map(|id| view.subject_index(&Subject::Action(id.clone())));
    let session = filter
        .session_id
        .as_ref()
        .map(|id| view.subject_index(&Subject::Session(id.clone())));
    let mut selected: Vec<(&EventRef, Redaction)> = view
        .events()
        .iter()
        .filter(|e| {
            filter.from.is_none_or(|d| e.effective_on() >= d)
                && filter.to.is_none_or(|d| e.effective_on() <= d)
                && kinds.as_ref().is_none_or(|ks| ks.contains(&Some(e.kind)))
                && axis.is_none_or(|a| a.is_some() && e.axis() == a)
                && action.is_none_or(|a| a == Some(e.stream))
                && session.is_none_or(|s| s.is_some() && e.session() == s)
        })
        .filter_map(|e| entry_redaction(view, viewer, e).map(|r| (e, r)))
        .collect();
    let key = |e: &EventRef| (e.effective_on(), e.position);
    if oldest_first {
        selected.sort_by_key(|(e, _)| key(e));
    } else {
        selected.sort_by_key(|(e, _)| std::cmp::Reverse(key(e)));
    }
    let start = match after {
        Some(k) if oldest_first => selected.partition_point(|(e, _)| key(e) <= k),
        Some(k) => selected.partition_point(|(e, _)| key(e) >= k),
        None => 0,
    };
    let rest = &selected[start..];
    let taken = &rest[..rest.len().min(page.first)];
    let mut edges = Vec::with_capacity(taken.len());
    for (entry, redaction) in taken {
        let event = read_event(source, entry.position)?;
        edges.push(TimelineEdge {
            node: timeline_node(view, entry, &event, *redaction),
            cursor: encode_cursor(&cursor_key(entry)),
        });
    }
    Ok(TimelineConnection {
        page_info: PageInfo {
            has_next_page: rest.len() > taken.len(),
            end_cursor: edges.last().map(|e| e.cursor.clone()),
        },
        edges,
    })
}

/// One event as a timeline entry for this viewer (for subscriptions), `None` when the viewer
/// may not see it. The event should have been folded into `view`; if it was not yet, the entry
/// is built from the event alone (no axis, no amount, not superseded).
pub fn timeline_entry(
    view: &ProgrammeView,
    viewer: &Actor,
    event: &RecordedEvent,
) -> Result<Option<TimelineEntry>, QueryError> {
    check_programme(view, viewer)?;
    if let Some(entry) = view.event_at(event.position) {
        return Ok(entry_redaction(view, viewer, entry)
            .map(|redaction| timeline_node(view, entry, event, redaction)));
    }
    let kind = EventKind::of(&event.event);
    let action_id = match &event.stream {
        StreamRef::Action(_, id) => Some(id.clone()),
        _ => None,
    };
    let redaction = match &action_id {
        Some(id) => {
            let access = match view.action(id) {
                Some(a) => visibility::access_to(viewer, &a),
                None if visibility::sees_everything(viewer) => ActionAccess::Full,
                None => ActionAccess::Hidden,
            };
            match access {
                ActionAccess::Hidden => return Ok(None),
                ActionAccess::Restricted if kind == EventKind::OpinionGiven => return Ok(None),
                ActionAccess::Restricted => Redaction::OBSERVER,
                ActionAccess::Full => Redaction::NONE,
            }
        }
        None => Redaction::NONE,
    };
    let session_id = match (&event.stream, &event.event) {
        (StreamRef::Session(_, id), _) => Some(id.clone()),
        (_, DomainEvent::Action(ActionEvent::OpinionGiven(e))) => Some(e.session.clone()),
        (_, DomainEvent::Action(ActionEvent::CopilDecisionTaken(e))) => Some(e.session.clone()),
        (_, DomainEvent::Action(ActionEvent::DecisionRevised(e))) => Some(e.session.clone()),
        _ => None,
    };
    Ok(Some(TimelineEntry {
        position: event.position,
        effective_on: event.effective_on,
        recorded_at: event.recorded_at,
        kind: kind.name(),
        summary: render::timeline_sentence(view, event, redaction),
        actor: event.actor.clone(),
        action_id,
        session_id,
        axis: None,
        amount: None,
        superseded_by: None,
    }))
}

/// What changed from `from` to `to` (two views of one programme, built by the caller as of two
/// bounds): the entries folded into `to` and not into `from` (by position: with effective-date
/// bounds the first set is not always a prefix of the second), the actions that appear, the
/// status changes, and the granted amount moved per funder. All as the viewer may see them in
/// `to`; positions are the last folded into each view.
pub fn changes(
    from: &ProgrammeView,
    to: &ProgrammeView,
    viewer: &Actor,
    source: &dyn EventSource,
) -> Result<ChangeSet, QueryError> {
    check_programme(to, viewer)?;
    check_programme(from, viewer)?;
    let entries = entries(
        to,
        viewer,
        to.events()
            .iter()
            .filter(|e| from.event_at(e.position).is_none()),
        source,
    )?;
    let mut actions_added = Vec::new();
    let mut status_changes = Vec::new();
    let mut now: Vec<ActionRef<'_>> = to.actions().collect();
    now.sort_by(|x, y| x.stream_id().cmp(y.stream_id()));
    for now in now {
        if !visibility::access_to(viewer, &now).is_visible() {
            continue;
        }
        let Some(id) = model::restore::<ActionId>(now.stream_id()) else {
            continue;
        };
        let before = from
            .action(&id)
            .filter(|a| visibility::access_to(viewer, a).is_visible());
        if from.action(&id).is_none() {
            actions_added.push(id.clone());
        }
        let was = before.map(|a| a.status());
        if was != Some(now.status()) {
            status_changes.push(StatusChange {
                action_id: id.clone(),
                from: was,
                to: now.status(),
            });
        }
    }
    let granted_delta = funder_deltas(
        &money_by_funder(from, |a| a.grants().iter().map(|g| (g.funder, g.amount))),
        &money_by_funder(to, |a| a.grants().iter().map(|g| (g.funder, g.amount))),
        to,
    );
    Ok(ChangeSet {
        from_position: from.position(),
        to_position: to.position(),
        entries,
        actions_added,
        status_changes,
        granted_delta,
    })
}

/// A sum per funder over every action of `view` of the (funder, amount) pairs `of` gives.
pub(crate) fn money_by_funder<'a, I>(
    view: &'a ProgrammeView,
    of: impl Fn(&ActionRef<'a>) -> I,
) -> BTreeMap<FunderId, i64>
where
    I: Iterator<Item = (model::Str, Money)>,
{
    let mut by_funder: BTreeMap<FunderId, i64> = BTreeMap::new();
    for a in view.actions() {
        for (funder, amount) in of(&a) {
            if let Some(funder) = model::restore(view.str(funder)) {
                *by_funder.entry(funder).or_default() += amount.cents();
            }
        }
    }
    by_funder
}

/// `after − before` per funder, the non-zero ones, by funder id; funders named as in `view`.
pub(crate) fn funder_deltas(
    before: &BTreeMap<FunderId, i64>,
    after: &BTreeMap<FunderId, i64>,
    view: &ProgrammeView,
) -> Vec<FunderDelta> {
    let mut funders: Vec<&FunderId> = before.keys().chain(after.keys()).collect();
    funders.sort();
    funders.dedup();
    funders
        .into_iter()
        .filter_map(|f| {
            let delta = after.get(f).copied().unwrap_or(0) - before.get(f).copied().unwrap_or(0);
            (delta != 0).then(|| FunderDelta {
                funder: FunderView::of(view, f),
                delta,
            })
        })
        .collect()
}
