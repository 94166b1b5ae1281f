//! Who gives a command: the role of their token and what it is bound to.

use crate::values::{PartnerId, ProgrammeId, Role};
use serde::{Deserialize, Serialize};

/// The bearer of a token, as the API layer resolved it.
///
/// Tokens other than ADMIN are bound to one programme; PORTEUR tokens to one partner as well
/// (api.graphql, "Authentication"). The domain checks these bindings in `decide`
/// (see [`crate::permissions::authorize`]).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Actor {
    pub role: Role,
    pub programme: Option<ProgrammeId>,
    pub partner: Option<PartnerId>,
}

impl Actor {
    /// An operator of the instance: may act on every programme.
    pub fn admin() -> Actor {
        Actor {
            role: Role::Admin,
            programme: None,
            partner: None,
        }
    }

    /// A token of `role` bound to `programme` (PILOT, COORDINATOR, EVALUATOR, OBSERVER).
    pub fn of(role: Role, programme: ProgrammeId) -> Actor {
        Actor {
            role,
            programme: Some(programme),
            partner: None,
        }
    }

    /// A project holder's token, bound to its programme and its partner.
    pub fn porteur(programme: ProgrammeId, partner: PartnerId) -> Actor {
        Actor {
            role: Role::Porteur,
            programme: Some(programme),
            partner: Some(partner),
        }
    }
}
