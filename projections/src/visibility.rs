//! Who may read what (DOMAIN.md, "Permissions", reading rules), in one place.
//!
//! - ADMIN, PILOT, COORDINATOR and EVALUATOR see everything of their programme (ADMIN of all).
//! - A PORTEUR sees its own partner's actions in full, and everything else as an observer.
//! - An OBSERVER sees an action only once its status, at the query's bound, is RETAINED or
//!   later ([`observer_may_see_status`]); never opinions, requested amounts, agendas or the raw
//!   log; budgets show their lines and totals; in figures it sees as aggregates, a beneficiary
//!   cell below [`BENEFICIARY_THRESHOLD`] is hidden.
//!
//! Figures that an observer may not see but that the API declares non-null are **withheld as
//! zero with a flag**, never left out silently:
//! - an action's money lines (`FundingLine.requested`, `FundingLine.proposed`) read 0 and
//!   [`crate::query::FundingLineView::restricted`] is true; lines whose every figure the
//!   observer may see is zero (a funder only named in the request) are left out;
//! - a budget's requested amounts (`BudgetLine.requested`) read 0 and
//!   [`crate::query::BudgetLineView::requested_hidden`] is true;
//! - a beneficiary cell below the threshold has `count` `None` and `hidden` true;
//! - a session's agenda is empty and [`crate::query::SessionView::agenda_hidden`] is true (a
//!   porteur's agenda lists its own actions only);
//! - opinions are left out of actions, relevés, histories and timelines; the amounts of a
//!   proposal or an amendment are left out of their sentences and their `amount`; the other
//!   events of an action the observer may see (its proposal, complements, decisions) are shown;
//! - the programme's, partners' and sessions' own events are shown to every reader of the
//!   programme; a changeset's `from` status is `None` for an action the viewer could not see
//!   at the first bound.
//!
//! The raw event log is not served by this crate; the API checks [`may_read_raw_log`].

use crate::model::ActionRef;
use domain::action::Action;
use domain::actor::Actor;
/// The rule of which actions a viewer sees at all is the domain's: the command service applies
/// it too, so that a command never reveals an action its issuer may not read.
pub use domain::permissions::{ActionAccess, access, observer_may_see_status, sees_everything};
use domain::values::{ProgrammeId, Role};

/// Below this, a beneficiary count is hidden from those who see aggregates only.
pub const BENEFICIARY_THRESHOLD: u32 = 10;

/// The token may read this programme at all.
pub fn may_read_programme(viewer: &Actor, programme: &ProgrammeId) -> bool {
    viewer.role == Role::Admin || viewer.programme.as_ref() == Some(programme)
}

/// May read the raw event log (api.graphql `events`).
pub fn may_read_raw_log(viewer: &Actor) -> bool {
    sees_everything(viewer)
}

/// How `viewer` sees `action` as it stands at the query's bound.
pub fn action_access(viewer: &Actor, action: &Action) -> ActionAccess {
    access(viewer, action.holder.as_str(), action.status)
}

/// [`action_access`] for an action of the read model.
pub fn access_to(viewer: &Actor, action: &ActionRef<'_>) -> ActionAccess {
    access(viewer, action.holder(), action.status())
}

/// Whether a beneficiary count is shown to a viewer with this access to its action.
pub fn beneficiary_count_shown(access: ActionAccess, count: u32) -> bool {
    access == ActionAccess::Full || count >= BENEFICIARY_THRESHOLD
}

/// Whether the viewer sees requested amounts of the budget (aggregates of requests).
pub fn sees_requested_totals(viewer: &Actor) -> bool {
    sees_everything(viewer)
}

/// Whether the viewer sees session agendas in full.
pub fn sees_agendas(viewer: &Actor) -> bool {
    sees_everything(viewer)
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::values::{ActionStatus, PartnerId, ProgrammeId};

    fn p() -> ProgrammeId {
        ProgrammeId::parse("grigny").unwrap()
    }

    #[test]
    fn observers_see_retained_statuses_only() {
        use ActionStatus::*;
        for s in [
            Proposed,
            ComplementsRequested,
            UnderReview,
            Deferred,
            Rejected,
            Withdrawn,
        ] {
            assert!(!observer_may_see_status(s), "{s:?}");
        }
        for s in [
            Retained,
            Funded,
            InProgress,
            Completed,
            NotRealised,
            Reported,
            Evaluated,
            Closed,
        ] {
            assert!(observer_may_see_status(s), "{s:?}");
        }
    }

    #[test]
    fn tokens_read_their_own_programme_only_except_admin() {
        let other = ProgrammeId::parse("clichy").unwrap();
        assert!(may_read_programme(&Actor::of(Role::Observer, p()), &p()));
        assert!(!may_read_programme(&Actor::of(Role::Pilot, p()), &other));
        assert!(may_read_programme(&Actor::admin(), &other));
        let porteur = Actor::porteur(p(), PartnerId::parse("asso").unwrap());
        assert!(!may_read_raw_log(&porteur));
        assert!(may_read_raw_log(&Actor::of(Role::Evaluator, p())));
        assert!(!may_read_raw_log(&Actor::of(Role::Observer, p())));
    }

    #[test]
    fn a_cell_below_ten_is_hidden_from_restricted_viewers_only() {
        assert!(!beneficiary_count_shown(ActionAccess::Restricted, 9));
        assert!(beneficiary_count_shown(ActionAccess::Restricted, 10));
        assert!(beneficiary_count_shown(ActionAccess::Full, 0));
    }
}
