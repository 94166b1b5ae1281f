//! The rapport mensuel au COTECH and « ce que le COPIL savait » (DOMAIN.md, « Monthly report »,
//! « What the COPIL knew »): each compares two folds of the programme.

use super::super::budget::{BudgetView, ReportDueView, budget, reports_due};
use super::super::sessions::SessionView;
use super::super::timeline::{self, ChangeSet, FunderDelta, TimelineEntry};
use super::super::views::{ActionView, action_view};
use super::super::{EventSource, QueryError, check_programme};
use crate::model::{ProgrammeView, Subject};
use crate::time_travel::{self, Bound, TimeTravelError};
use crate::visibility;
use chrono::{DateTime, Datelike, Days, NaiveDate, TimeZone, Utc};
use domain::actor::Actor;
use domain::values::{ActionStatus, SessionId};

/// Why a report has no answer.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error(transparent)]
    Query(#[from] QueryError),
    #[error(transparent)]
    TimeTravel(#[from] TimeTravelError),
    /// `monthlyReport` and `copilHindsight` are for the roles that see everything.
    #[error("ce rapport est réservé au pilotage, à la coordination et à l'évaluation")]
    Forbidden,
    /// The session does not exist (NOT_FOUND).
    #[error("la séance « {0} » n'existe pas")]
    UnknownSession(SessionId),
}

/// The first instant of `day` in Europe/Paris, in UTC (the day a person means).
pub fn start_of_day_in_paris(day: NaiveDate) -> DateTime<Utc> {
    let midnight = day.and_hms_opt(0, 0, 0).unwrap_or_default();
    chrono_tz::Europe::Paris
        .from_local_datetime(&midnight)
        .earliest()
        // Midnight never falls in a gap in Paris; the fallback keeps the function total.
        .map_or_else(|| midnight.and_utc(), |t| t.with_timezone(&Utc))
}

fn day_before(day: NaiveDate) -> NaiveDate {
    day.checked_sub_days(Days::new(1)).unwrap_or(day)
}

fn day_after(day: NaiveDate) -> NaiveDate {
    day.checked_add_days(Days::new(1)).unwrap_or(day)
}

/// The programme as of `bound`, empty when it did not exist then.
fn fold_at<S: EventSource>(
    source: &S,
    live: &ProgrammeView,
    bound: &Bound,
) -> Result<ProgrammeView, TimeTravelError> {
    Ok(time_travel::programme_as_of(source, live, bound)?
        .unwrap_or_else(|| ProgrammeView::new(live.id.clone())))
}

#[derive(Debug, Clone, PartialEq)]
pub struct MonthlyReportView {
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// From the state as of effective date `from − 1` to the state as of effective date `to`.
    pub changes: ChangeSet,
    /// Recorded between `from` and `to` (Paris days), effective before `from`.
    pub late_entries: Vec<TimelineEntry>,
    /// Due within 30 days of `to`, or overdue at `to`, as the register stood at `to`.
    pub reports_due: Vec<ReportDueView>,
    /// Retained, funded or in progress at `to`, their period ended by then.
    pub overdue_completions: Vec<ActionView>,
    pub budget_at_from: BudgetView,
    pub budget_at_to: BudgetView,
    /// The two folds compared: as of effective date `from − 1` and `to`.
    pub before: ProgrammeView,
    pub after: ProgrammeView,
}

/// The rapport mensuel au COTECH from `from` to `to`, both included (`from` ≤ `to`, which the
/// caller checks).
pub fn monthly_report<S: EventSource>(
    live: &ProgrammeView,
    viewer: &Actor,
    from: NaiveDate,
    to: NaiveDate,
    source: &S,
) -> Result<MonthlyReportView, ReportError> {
    check_programme(live, viewer)?;
    if !visibility::sees_everything(viewer) {
        return Err(ReportError::Forbidden);
    }
    let before = fold_at(source, live, &Bound::EffectiveOn(day_before(from)))?;
    let after = fold_at(source, live, &Bound::EffectiveOn(to))?;
    let mut changes = timeline::changes(&before, &after, viewer, source)?;
    changes.from_position =
        time_travel::resolve_position(source, live, &Bound::EffectiveOn(day_before(from)))?;
    changes.to_position = time_travel::resolve_position(source, live, &Bound::EffectiveOn(to))?;
    let (start, end) = (
        start_of_day_in_paris(from),
        start_of_day_in_paris(day_after(to)),
    );
    let late_entries = timeline::entries(
        live,
        viewer,
        live.events().iter().filter(|e| {
            e.recorded_at() >= start && e.recorded_at() < end && e.effective_on() < from
        }),
        source,
    )?;
    let mut overdue_completions: Vec<ActionView> = after
        .actions()
        .filter(|a| {
            a.period_end() <= to
                && matches!(
                    a.status(),
                    ActionStatus::Retained | ActionStatus::Funded | ActionStatus::InProgress
                )
        })
        .filter_map(|a| action_view(&after, &a, visibility::access_to(viewer, &a)))
        .collect();
    overdue_completions
        .sort_by(|x, y| (x.period_end, &x.reference).cmp(&(y.period_end, &y.reference)));
    let year = to.year();
    Ok(MonthlyReportView {
        from,
        to,
        changes,
        late_entries,
        reports_due: reports_due(&after, viewer, to, 30)?,
        overdue_completions,
        budget_at_from: budget(&before, viewer, year)?,
        budget_at_to: budget(&after, viewer, year)?,
        before,
        after,
    })
}

#[derive(Debug, Clone, PartialEq)]
pub struct CopilHindsightView {
    pub session: SessionView,
    /// Effective on or before the session's date, recorded after the end of its day, except the
    /// events naming the session; by effective date then position.
    pub late_entries: Vec<TimelineEntry>,
    /// Per funder: as of the session's effective date minus as recorded at the end of its day.
    pub granted_unknown: Vec<FunderDelta>,
    pub paid_unknown: Vec<FunderDelta>,
}

/// What the COPIL knew at `session`: the register as recorded at the end of the session's day
/// against the register as of its date.
pub fn copil_hindsight<S: EventSource>(
    live: &ProgrammeView,
    viewer: &Actor,
    session: &SessionId,
    source: &S,
) -> Result<CopilHindsightView, ReportError> {
    check_programme(live, viewer)?;
    if !visibility::sees_everything(viewer) {
        return Err(ReportError::Forbidden);
    }
    let found = super::super::session(live, viewer, session)?
        .ok_or_else(|| ReportError::UnknownSession(session.clone()))?;
    let day = found.date;
    let end_of_day = start_of_day_in_paris(day_after(day));
    let index = live.subject_index(&Subject::Session(session.clone()));
    let late_entries = timeline::entries(
        live,
        viewer,
        live.events().iter().filter(|e| {
            e.effective_on() <= day
                && e.recorded_at() >= end_of_day
                && !(index.is_some() && (e.session() == index || Some(e.stream) == index))
        }),
        source,
    )?;
    let known = fold_at(
        source,
        live,
        &Bound::RecordedAt(end_of_day - chrono::Duration::nanoseconds(1)),
    )?;
    let effective = fold_at(source, live, &Bound::EffectiveOn(day))?;
    let granted = |view: &ProgrammeView| {
        timeline::money_by_funder(view, |a| {
            a.grants()
                .iter()
                .map(|g| (g.funder, g.amount))
                .collect::<Vec<_>>()
                .into_iter()
        })
    };
    let paid = |view: &ProgrammeView| {
        timeline::money_by_funder(view, |a| {
            a.payments()
                .iter()
                .filter(|p| !p.cancelled)
                .map(|p| (p.funder, p.amount))
                .collect::<Vec<_>>()
                .into_iter()
        })
    };
    Ok(CopilHindsightView {
        granted_unknown: timeline::funder_deltas(&granted(&known), &granted(&effective), live),
        paid_unknown: timeline::funder_deltas(&paid(&known), &paid(&effective), live),
        late_entries,
        session: found,
    })
}
