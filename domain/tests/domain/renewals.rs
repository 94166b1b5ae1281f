//! Renewals (DOMAIN.md rule 15 and "Renewals"): an action continues an earlier action of the
//! same programme, of an earlier year, not already renewed; whether an evaluation's
//! recommendation was followed.

use crate::common::*;
use domain::action::{ActionCommand, recommendation_followed};
use domain::context::RenewalFacts;
use domain::error::*;
use domain::values::*;

fn renewing(renewed: &str, year: i32) -> ActionCommand {
    let mut p = action_proposed();
    p.renews = Some(ActionId::parse(renewed).unwrap());
    p.year = Year::parse(year).unwrap();
    ActionCommand::ProposeAction(p)
}

fn facts(year: i32, renewed_by: Vec<(&str, ActionStatus)>) -> RenewalFacts {
    RenewalFacts {
        id: ActionId::parse("lecture-2025").unwrap(),
        year: Year::parse(year).unwrap(),
        holder: holder(),
        status: ActionStatus::Closed,
        renewed_by: renewed_by
            .into_iter()
            .map(|(id, status)| (ActionId::parse(id).unwrap(), status))
            .collect(),
    }
}

#[test]
fn an_action_renews_an_earlier_action_of_its_programme() {
    let (decided, state) = given(vec![])
        .with(|mut c| {
            c.renewal = Some(facts(
                2025,
                vec![("lecture-2026-bis", ActionStatus::Withdrawn)],
            ));
            c
        })
        .when(renewing("lecture-2025", 2026))
        .decided();
    assert_eq!(decided.events.len(), 1);
    assert_eq!(
        state.action.unwrap().renews,
        Some(ActionId::parse("lecture-2025").unwrap())
    );
}

#[test]
fn a_renewal_of_an_unknown_action_a_later_year_or_an_action_already_renewed_is_refused() {
    // Not in the programme (an action of another programme cannot be named).
    let e = given(vec![])
        .when(renewing("lecture-2025", 2026))
        .then_rule("renewal_invalid");
    assert!(e.to_string().contains("n'existe pas"), "{e}");
    // The same year, or a later one.
    for year in [2025, 2024] {
        let e = given(vec![])
            .with(|mut c| {
                c.renewal = Some(facts(2025, vec![]));
                c
            })
            .when(renewing("lecture-2025", year))
            .then_rule("renewal_invalid");
        assert!(e.to_string().contains("exercice antérieur"), "{e}");
    }
    // Already renewed by an action still alive.
    let e = given(vec![])
        .with(|mut c| {
            c.renewal = Some(facts(2025, vec![("lecture-2026", ActionStatus::Retained)]));
            c
        })
        .when(renewing("lecture-2025", 2026))
        .then_rule("renewal_invalid");
    assert_eq!(
        e,
        DomainError::RenewalInvalid {
            renewed: ActionId::parse("lecture-2025").unwrap(),
            problem: RenewalProblem::AlreadyRenewed {
                by: ActionId::parse("lecture-2026").unwrap()
            },
        }
    );
}

#[test]
fn a_recommendation_is_followed_when_the_renewal_matches_it() {
    use ActionStatus as S;
    use Recommendation as R;
    assert_eq!(recommendation_followed(None, [S::Retained]), None);
    for recommendation in [R::Renew, R::Adjust] {
        assert_eq!(
            recommendation_followed(Some(recommendation), [S::Rejected, S::Funded]),
            Some(true)
        );
        assert_eq!(
            recommendation_followed(Some(recommendation), []),
            Some(false)
        );
        assert_eq!(
            recommendation_followed(Some(recommendation), [S::Withdrawn]),
            Some(false)
        );
        assert_eq!(
            recommendation_followed(Some(recommendation), [S::UnderReview]),
            None
        );
    }
    assert_eq!(recommendation_followed(Some(R::Stop), []), Some(true));
    assert_eq!(
        recommendation_followed(Some(R::Stop), [S::Rejected]),
        Some(true)
    );
    assert_eq!(
        recommendation_followed(Some(R::Stop), [S::Retained]),
        Some(false)
    );
    assert_eq!(recommendation_followed(Some(R::Stop), [S::Proposed]), None);
}

#[test]
fn a_porteur_cannot_renew_nor_learn_of_an_action_it_may_not_read() {
    // Another partner's action, still under review: hidden from a porteur.
    let hidden = RenewalFacts {
        holder: other_partner(),
        status: ActionStatus::UnderReview,
        ..facts(2025, vec![("lecture-2026", ActionStatus::Retained)])
    };
    let e = given(vec![])
        .by(porteur())
        .with(|mut c| {
            c.renewal = Some(hidden.clone());
            c
        })
        .when(renewing("lecture-2025", 2026))
        .then_rule("renewal_invalid");
    assert!(e.to_string().contains("n'existe pas"), "{e}");
    // The coordination sees it, and that it is already renewed.
    let e = given(vec![])
        .with(|mut c| {
            c.renewal = Some(hidden);
            c
        })
        .when(renewing("lecture-2025", 2026))
        .then_rule("renewal_invalid");
    assert!(e.to_string().contains("déjà renouvelée"), "{e}");
}
