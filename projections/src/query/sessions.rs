//! Sessions, their agenda and their relevé de décisions (DOMAIN.md, "Agenda of a session").

use super::views::{ActionView, MoneyLineView, action_view, money_lines_of, withheld};
use super::{QueryError, check_programme};
use crate::model::{ActionRef, Line, ProgrammeView, SessionActKind};
use crate::visibility::{self, ActionAccess};
use chrono::NaiveDate;
use domain::actor::Actor;
use domain::session::Session;
use domain::values::{ActionStatus, BodyKind, DecisionOutcome, Money, Opinion, Role, SessionId};

/// `Session` of api.graphql without its lists (see [`session_agenda`], [`session_decisions`],
/// [`super::session_history`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionView {
    pub id: SessionId,
    pub body: BodyKind,
    pub date: NaiveDate,
    pub title: String,
    pub held: bool,
    pub cancelled: bool,
    pub cancel_reason: Option<String>,
    pub present: Vec<String>,
    /// The viewer may not see this session's agenda in full: observers see none, a porteur
    /// sees its own actions only.
    pub agenda_hidden: bool,
    /// The version of the session's stream.
    pub version: u64,
}

/// One line of a relevé: an opinion (opinion body) or a decision or revision (COPIL).
#[derive(Debug, Clone, PartialEq)]
pub struct SessionDecisionView {
    pub action: ActionView,
    pub opinion: Option<Opinion>,
    pub outcome: Option<DecisionOutcome>,
    /// Retained by a decision (empty for an opinion).
    pub retained: Vec<MoneyLineView>,
    /// Proposed by an opinion (empty for a decision).
    pub proposed: Vec<MoneyLineView>,
    /// The total retained by a decision, or proposed by an opinion.
    pub amount: Money,
    /// A decision's reason, an opinion's comment.
    pub reason: Option<String>,
    pub revision: bool,
    /// The position of the event that recorded it.
    pub position: u64,
}

fn session_view(s: &Session, version: u64, viewer: &Actor) -> SessionView {
    SessionView {
        version,
        id: s.id.clone(),
        body: s.body,
        date: s.date,
        title: s.title.to_string(),
        held: s.held,
        cancelled: s.cancelled,
        cancel_reason: s.cancel_reason.as_ref().map(|r| r.to_string()),
        present: s.present.iter().map(|p| p.to_string()).collect(),
        agenda_hidden: !visibility::sees_agendas(viewer),
    }
}

/// One session, `None` when it does not exist at the bound.
pub fn session(
    view: &ProgrammeView,
    viewer: &Actor,
    id: &SessionId,
) -> Result<Option<SessionView>, QueryError> {
    check_programme(view, viewer)?;
    Ok(view.sessions.get(id).and_then(|state| {
        let s = state.session.as_ref()?;
        Some(session_view(s, state.version, viewer))
    }))
}

/// The sessions, of one body if given, ordered by date then id.
pub fn sessions(
    view: &ProgrammeView,
    viewer: &Actor,
    body: Option<BodyKind>,
) -> Result<Vec<SessionView>, QueryError> {
    check_programme(view, viewer)?;
    let mut all: Vec<SessionView> = view
        .sessions
        .values()
        .filter_map(|state| Some((state.session.as_ref()?, state.version)))
        .filter(|(s, _)| body.is_none_or(|b| s.body == b))
        .map(|(s, version)| session_view(s, version, viewer))
        .collect();
    all.sort_by(|a, b| (a.date, &a.id).cmp(&(b.date, &b.id)));
    Ok(all)
}

/// The agenda (DOMAIN.md): before the session is held, the actions awaiting its body (PROPOSED
/// for an opinion body, UNDER_REVIEW or DEFERRED for the COPIL), by reference; once held, the
/// actions it gave an opinion or decision on, in the order recorded. A cancelled session that
/// was never held has none. Observers see no agenda; a porteur sees its own actions only.
pub fn session_agenda(
    view: &ProgrammeView,
    viewer: &Actor,
    id: &SessionId,
) -> Result<Vec<ActionView>, QueryError> {
    check_programme(view, viewer)?;
    let Some(session) = view.session(id) else {
        return Ok(Vec::new());
    };
    let full = |a: &ActionRef<'_>| sees_on_agenda(viewer, a);
    let mut out = Vec::new();
    if session.held {
        let mut seen = Vec::new();
        for act in view.session_acts(id) {
            if seen.contains(&act.action) {
                continue;
            }
            seen.push(act.action);
            if let Some(a) = view.action_at(act.action)
                && full(&a)
                && let Some(v) = action_view(view, &a, ActionAccess::Full)
            {
                out.push(v);
            }
        }
    } else if !session.cancelled {
        out = awaiting(view, session.body, viewer);
    }
    Ok(out)
}

/// Whether `viewer` sees `action` on an agenda: everything for those who see agendas, its own
/// actions for a porteur.
fn sees_on_agenda(viewer: &Actor, action: &ActionRef<'_>) -> bool {
    visibility::sees_agendas(viewer)
        || (viewer.role == Role::Porteur
            && viewer.partner.as_ref().map(|p| p.as_str()) == Some(action.holder()))
}

/// The actions awaiting `body` now (PROPOSED for an opinion body, UNDER_REVIEW or DEFERRED for
/// the COPIL) that `viewer` sees on an agenda, by reference.
fn awaiting(view: &ProgrammeView, body: BodyKind, viewer: &Actor) -> Vec<ActionView> {
    let statuses: &[ActionStatus] = if body == BodyKind::Copil {
        &[ActionStatus::UnderReview, ActionStatus::Deferred]
    } else {
        &[ActionStatus::Proposed]
    };
    let mut actions: Vec<ActionRef<'_>> = view
        .actions()
        .filter(|a| statuses.contains(&a.status()) && sees_on_agenda(viewer, a))
        .collect();
    actions.sort_by(|x, y| (x.reference(), x.id()).cmp(&(y.reference(), y.id())));
    actions
        .iter()
        .filter_map(|a| action_view(view, a, ActionAccess::Full))
        .collect()
}

/// `Session.awaiting` (DOMAIN.md): the actions awaiting the session's body now, held or not:
/// what the relevé entry screen lists after the meeting. Observers see none, a porteur its own.
pub fn session_awaiting(
    view: &ProgrammeView,
    viewer: &Actor,
    id: &SessionId,
) -> Result<Vec<ActionView>, QueryError> {
    check_programme(view, viewer)?;
    let Some(session) = view.session(id) else {
        return Ok(Vec::new());
    };
    Ok(awaiting(view, session.body, viewer))
}

fn total(lines: &[Line]) -> Money {
    lines
        .iter()
        .fold(Money::ZERO, |acc, l| acc.saturating_add(l.amount))
}

/// The relevé de décisions, in the order recorded: opinions for an opinion body, decisions and
/// revisions for the COPIL. Opinions are shown only to those who see the action in full; a
/// decision only to those who may see its action.
pub fn session_decisions(
    view: &ProgrammeView,
    viewer: &Actor,
    id: &SessionId,
) -> Result<Vec<SessionDecisionView>, QueryError> {
    check_programme(view, viewer)?;
    let mut out = Vec::new();
    for act in view.session_acts(id) {
        let Some(a) = view.action_at(act.action) else {
            continue;
        };
        let access = visibility::access_to(viewer, &a);
        let Some(action) = action_view(view, &a, access) else {
            continue;
        };
        let row = match act.what {
            SessionActKind::Opinion(index) => {
                if access != ActionAccess::Full {
                    continue;
                }
                let Some(o) = a.opinions().get(index as usize) else {
                    continue;
                };
                SessionDecisionView {
                    action,
                    opinion: Some(o.opinion),
                    outcome: None,
                    retained: Vec::new(),
                    proposed: money_lines_of(view, &o.proposed),
                    amount: total(&o.proposed),
                    reason: o.comment.map(|c| view.str(c).to_owned()),
                    revision: false,
                    position: act.position,
                }
            }
            SessionActKind::Decision(number) | SessionActKind::Revision(number) => {
                let Some(d) = a.decisions().iter().find(|d| d.number == number) else {
                    continue;
                };
                let retained: &[Line] = if d.outcome == DecisionOutcome::Retained {
                    &d.retained
                } else {
                    &[]
                };
                SessionDecisionView {
                    action,
                    opinion: None,
                    outcome: Some(d.outcome),
                    retained: money_lines_of(view, retained),
                    proposed: Vec::new(),
                    amount: total(retained),
                    reason: d.reason.map(|r| withheld(access, view.str(r)).to_owned()),
                    revision: matches!(act.what, SessionActKind::Revision(_)),
                    position: act.position,
                }
            }
        };
        out.push(row);
    }
    Ok(out)
}
