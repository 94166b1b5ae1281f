//! People who sign in through OpenID Connect, and their invitations.
//!
//! An ADMIN, or a PILOT for their own programme, invites a person by e-mail address with a role
//! (a programme, and a partner for a PORTEUR): the person is stored with that role *pending*.
//! The first sign-in whose provider says the address is verified binds the person to the
//! provider's subject and makes their roles effective; an address nobody invited gets nothing.
//! A person may hold several roles, in several programmes. Revoking a person keeps them listed,
//! revoked, and ends their sessions (the watch of [`PeopleStore::revocations`]).
//!
//! Like tokens, people live in a key-value tree of the store (`people`), outside the event log:
//! `p/<id>` → the person (JSON), `e/<address>` → `<id>`, both written in one batch.

use crate::clock::Clock;
use crate::oidc::SignedIn;
use chrono::{DateTime, Utc};
use domain::actor::Actor;
use domain::values::{PartnerId, ProgrammeId, Role};
use eventlog::{EventLog, KvBatch, KvTree};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// The name of the key-value tree that holds people.
pub const TREE: &str = "people";
/// Longest e-mail address, in characters (RFC 5321).
const MAX_EMAIL_CHARS: usize = 254;

/// A role a person holds, or is invited to hold until their first sign-in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleAssignment {
    pub role: Role,
    pub programme: Option<ProgrammeId>,
    pub partner: Option<PartnerId>,
    pub pending: bool,
}

impl RoleAssignment {
    pub fn actor(&self) -> Actor {
        Actor {
            role: self.role,
            programme: self.programme.clone(),
            partner: self.partner.clone(),
        }
    }
}

/// A person, as stored and listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Person {
    /// Stable, random: what envelopes will name.
    pub id: String,
    /// Lower-cased.
    pub email: String,
    /// From the provider at the last sign-in: given name and usual name.
    pub name: Option<String>,
    /// The provider's subject, bound at the first sign-in.
    pub subject: Option<String>,
    pub roles: Vec<RoleAssignment>,
    pub invited_at: DateTime<Utc>,
    pub signed_in_at: Option<DateTime<Utc>>,
    pub revoked: bool,
}

/// What an invitation asks for.
#[derive(Debug, Clone)]
pub struct Invitation {
    pub email: String,
    pub role: Role,
    pub programme: Option<String>,
    pub partner: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum PeopleError {
    /// The request is not valid (French, for a person).
    #[error("{0}")]
    Invalid(String),
    /// The inviter may not give this role (French).
    #[error("{0}")]
    Forbidden(String),
    #[error("aucune personne n'a l'identifiant « {0} »")]
    UnknownId(String),
    /// A sign-in with an address nobody invited.
    #[error(
        "l'adresse {0} n'a reçu aucune invitation à Chronique : demandez-en une au pilote ou à l'administrateur de votre cité éducative"
    )]
    NotInvited(String),
    #[error("l'accès de {0} à Chronique a été retiré")]
    Revoked(String),
    /// The address is bound to another account of the provider.
    #[error("l'adresse {0} est déjà liée à un autre compte du fournisseur d'identité")]
    OtherSubject(String),
    #[error("le magasin des personnes a échoué")]
    Store(#[from] eventlog::Error),
    #[error("une personne enregistrée est illisible : {0}")]
    Corrupt(String),
}

/// The people of one store. Cheap to clone.
#[derive(Clone)]
pub struct PeopleStore {
    tree: KvTree,
    clock: Clock,
    revoked: Arc<tokio::sync::watch::Sender<u64>>,
}

impl std::fmt::Debug for PeopleStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PeopleStore").finish_non_exhaustive()
    }
}

fn person_key(id: &str) -> Vec<u8> {
    format!("p/{id}").into_bytes()
}

fn email_key(email: &str) -> Vec<u8> {
    format!("e/{email}").into_bytes()
}

/// A plausible address, lower-cased: one `@`, something on each side, a dot in the domain, no
/// space nor control character.
pub fn normalise_email(email: &str) -> Result<String, PeopleError> {
    let email = email.trim().to_lowercase();
    let invalid = || {
        PeopleError::Invalid(format!(
            "« {} » n'est pas une adresse électronique : écrivez-la comme prenom.nom@exemple.fr.",
            email.chars().take(80).collect::<String>()
        ))
    };
    let (local, domain) = email.split_once('@').ok_or_else(invalid)?;
    if local.is_empty()
        || domain.is_empty()
        || domain.contains('@')
        || !domain.contains('.')
        || domain.starts_with('.')
        || domain.ends_with('.')
        || email.chars().count() > MAX_EMAIL_CHARS
        || email.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        return Err(invalid());
    }
    Ok(email)
}

impl PeopleStore {
    pub fn open(log: &EventLog, clock: Clock) -> Result<PeopleStore, PeopleError> {
        Ok(PeopleStore {
            tree: log.erasable_kv_tree(TREE)?,
            clock,
            revoked: Arc::new(tokio::sync::watch::Sender::new(0)),
        })
    }

    /// Changes each time a person is revoked: their sessions and connections end.
    pub fn revocations(&self) -> tokio::sync::watch::Receiver<u64> {
        self.revoked.subscribe()
    }

    fn read(&self, id: &str) -> Result<Option<Person>, PeopleError> {
        match self.tree.get(person_key(id))? {
            Some(bytes) => serde_json::from_slice(&bytes)
                .map(Some)
                .map_err(|e| PeopleError::Corrupt(e.to_string())),
            None => Ok(None),
        }
    }

    fn by_email(&self, email: &str) -> Result<Option<Person>, PeopleError> {
        match self.tree.get(email_key(email))? {
            Some(id) => self.read(&String::from_utf8_lossy(&id)),
            None => Ok(None),
        }
    }

    fn write(&self, person: &Person) -> Result<(), PeopleError> {
        let mut batch = KvBatch::default();
        batch.insert(
            person_key(&person.id),
            serde_json::to_vec(person).map_err(|e| PeopleError::Corrupt(e.to_string()))?,
        );
        batch.insert(email_key(&person.email), person.id.clone().into_bytes());
        self.tree.apply(batch)?;
        self.tree.flush()?;
        Ok(())
    }

    pub fn get(&self, id: &str) -> Result<Option<Person>, PeopleError> {
        self.read(id)
    }

    /// Invites `invitation.email` to hold a role, on behalf of `by` (DOMAIN.md: ADMIN, or PILOT
    /// for their programme's roles other than ADMIN). Inviting someone to a role they hold
    /// already changes nothing.
    pub fn invite(&self, invitation: Invitation, by: &Actor) -> Result<Person, PeopleError> {
        let email = normalise_email(&invitation.email)?;
        let assignment = self.check_assignment(&invitation, by)?;
        let mut person = match self.by_email(&email)? {
            Some(person) => person,
            None => {
                let mut id = [0u8; 12];
                rand::rngs::OsRng.fill_bytes(&mut id);
                Person {
                    id: format!("p_{}", hex::encode(id)),
                    email,
                    name: None,
                    subject: None,
                    roles: Vec::new(),
                    invited_at: self.clock.now(),
                    signed_in_at: None,
                    revoked: false,
                }
            }
        };
        let held = person.roles.iter().any(|r| {
            r.role == assignment.role
                && r.programme == assignment.programme
                && r.partner == assignment.partner
        });
        if !held {
            person.roles.push(RoleAssignment {
                // Binding is per person: once they signed in, a new role is theirs at once.
                pending: person.signed_in_at.is_none(),
                ..assignment
            });
        }
        // Inviting a revoked person again gives them their access back.
        person.revoked = false;
        self.write(&person)?;
        Ok(person)
    }

    fn check_assignment(
        &self,
        invitation: &Invitation,
        by: &Actor,
    ) -> Result<RoleAssignment, PeopleError> {
        let programme = invitation
            .programme
            .as_deref()
            .map(ProgrammeId::parse)
            .transpose()
            .map_err(|e| PeopleError::Invalid(e.to_string()))?;
        let partner = invitation
            .partner
            .as_deref()
            .map(PartnerId::parse)
            .transpose()
            .map_err(|e| PeopleError::Invalid(e.to_string()))?;
        match (invitation.role, &programme, &partner) {
            (Role::Admin, None, None) => {}
            (Role::Admin, _, _) => {
                return Err(PeopleError::Invalid(
                    "Une personne invitée comme administrateur n'est liée à aucun programme ni partenaire.".into(),
                ));
            }
            (_, None, _) => {
                return Err(PeopleError::Invalid(
                    "Nommez le programme auquel la personne est invitée.".into(),
                ));
            }
            (Role::Porteur, Some(_), None) => {
                return Err(PeopleError::Invalid(
                    "Un porteur de projet est invité pour un partenaire : nommez-le.".into(),
                ));
            }
            (Role::Porteur, Some(_), Some(_)) => {}
            (_, Some(_), Some(_)) => {
                return Err(PeopleError::Invalid(
                    "Seul un porteur de projet est lié à un partenaire.".into(),
                ));
            }
            (_, Some(_), None) => {}
        }
        let allowed = match by.role {
            Role::Admin => true,
            Role::Pilot => invitation.role != Role::Admin && by.programme == programme,
            _ => false,
        };
        if !allowed {
            return Err(PeopleError::Forbidden(
                "Seuls l'administrateur, et le pilote pour les rôles de son programme (administration exceptée), invitent des personnes.".into(),
            ));
        }
        Ok(RoleAssignment {
            role: invitation.role,
            programme,
            partner,
            pending: true,
        })
    }

    /// A verified sign-in: binds the invited person to the provider's subject (at the first
    /// sign-in), records their name and the time, makes their roles effective.
    pub fn sign_in(&self, who: &SignedIn) -> Result<Person, PeopleError> {
        let mut person = self
            .by_email(&who.email)?
            .ok_or_else(|| PeopleError::NotInvited(who.email.clone()))?;
        if person.revoked || person.roles.is_empty() {
            return Err(PeopleError::Revoked(who.email.clone()));
        }
        match &person.subject {
            Some(subject) if subject != &who.subject => {
                return Err(PeopleError::OtherSubject(who.email.clone()));
            }
            _ => person.subject = Some(who.subject.clone()),
        }
        let name: Vec<&str> = [who.given_name.as_deref(), who.usual_name.as_deref()]
            .into_iter()
            .flatten()
            .collect();
        if !name.is_empty() {
            person.name = Some(name.join(" "));
        }
        person.signed_in_at = Some(self.clock.now());
        for role in &mut person.roles {
            role.pending = false;
        }
        self.write(&person)?;
        Ok(person)
    }

    /// Revokes a person (they stay listed); their sessions end. ADMIN, or PILOT for a person
    /// whose every role is in their programme and not ADMIN.
    pub fn revoke(&self, id: &str, by: &Actor) -> Result<Person, PeopleError> {
        let forbidden = || {
            PeopleError::Forbidden(
                "Seuls l'administrateur, et le pilote pour les personnes de son seul programme, retirent un accès.".into(),
            )
        };
        if !matches!(by.role, Role::Admin | Role::Pilot) {
            return Err(forbidden());
        }
        let mut person = self
            .read(id)?
            .ok_or_else(|| PeopleError::UnknownId(id.to_owned()))?;
        let allowed = match by.role {
            Role::Admin => true,
            Role::Pilot => person
                .roles
                .iter()
                .all(|r| r.role != Role::Admin && r.programme == by.programme),
            _ => false,
        };
        if !allowed {
            return Err(forbidden());
        }
        person.revoked = true;
        self.write(&person)?;
        self.revoked.send_modify(|n| *n += 1);
        Ok(person)
    }

    /// Removes one role (or pending invitation) from a person, who keeps their other roles; their
    /// sessions end (the caller ends them), so that none goes on acting in the removed role. ADMIN,
    /// or PILOT for a role of their programme other than ADMIN.
    pub fn remove_role(
        &self,
        id: &str,
        role: &Invitation,
        by: &Actor,
    ) -> Result<Person, PeopleError> {
        let wanted = self.check_assignment(role, by).map_err(|e| match e {
            PeopleError::Forbidden(_) => PeopleError::Forbidden(
                "Seuls l'administrateur, et le pilote pour les rôles de son programme (administration exceptée), retirent un rôle.".into(),
            ),
            other => other,
        })?;
        let mut person = self
            .read(id)?
            .ok_or_else(|| PeopleError::UnknownId(id.to_owned()))?;
        let before = person.roles.len();
        person.roles.retain(|r| {
            (r.role, &r.programme, &r.partner) != (wanted.role, &wanted.programme, &wanted.partner)
        });
        if person.roles.len() == before {
            return Err(PeopleError::Invalid(format!(
                "{} n'a pas le rôle « {} »{} : rien n'est retiré.",
                person.email,
                wanted.role.label(),
                wanted
                    .programme
                    .as_ref()
                    .map(|p| format!(" pour {p}"))
                    .unwrap_or_default()
            )));
        }
        self.write(&person)?;
        self.revoked.send_modify(|n| *n += 1);
        Ok(person)
    }

    /// Erases the name, address and provider's subject of person `id` (an agent's name erased,
    /// RGPD): they are revoked and stay listed without them. Returns whether there was
    /// something to erase. The caller ends their sessions.
    pub fn erase(&self, id: &str) -> Result<bool, PeopleError> {
        let Some(mut person) = self.read(id)? else {
            return Ok(false);
        };
        let had = person.name.is_some() || !person.email.is_empty() || person.subject.is_some();
        let mut batch = KvBatch::default();
        batch.remove(email_key(&person.email));
        person.name = None;
        person.email = String::new();
        person.subject = None;
        person.revoked = true;
        batch.insert(
            person_key(&person.id),
            serde_json::to_vec(&person).map_err(|e| PeopleError::Corrupt(e.to_string()))?,
        );
        self.tree.apply(batch)?;
        self.revoked.send_modify(|n| *n += 1);
        Ok(had)
    }

    /// People and invitations, by address: every one for an ADMIN; for a PILOT, those holding a
    /// role in their programme (only those roles shown).
    pub fn list(&self, by: &Actor) -> Result<Vec<Person>, PeopleError> {
        let mut people = Vec::new();
        for entry in self.tree.scan_prefix(b"p/") {
            let (_, bytes) = entry?;
            let mut person: Person =
                serde_json::from_slice(&bytes).map_err(|e| PeopleError::Corrupt(e.to_string()))?;
            match by.role {
                Role::Admin => people.push(person),
                Role::Pilot => {
                    person.roles.retain(|r| r.programme == by.programme);
                    if !person.roles.is_empty() {
                        people.push(person);
                    }
                }
                _ => {
                    return Err(PeopleError::Forbidden(
                        "Seuls l'administrateur et le pilote voient les personnes invitées.".into(),
                    ));
                }
            }
        }
        people.sort_by(|a, b| a.email.cmp(&b.email));
        Ok(people)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The store, its log and their folder: bind them in this order, so that the store is
    /// dropped before its log.
    fn store() -> (tempfile::TempDir, EventLog, PeopleStore) {
        let dir = tempfile::tempdir().unwrap();
        let log = EventLog::open(dir.path(), eventlog::Options::default()).unwrap();
        let store = PeopleStore::open(&log, Clock::system()).unwrap();
        (dir, log, store)
    }

    fn grigny() -> ProgrammeId {
        ProgrammeId::parse("grigny").unwrap()
    }

    fn invitation(
        email: &str,
        role: Role,
        programme: Option<&str>,
        partner: Option<&str>,
    ) -> Invitation {
        Invitation {
            email: email.into(),
            role,
            programme: programme.map(Into::into),
            partner: partner.map(Into::into),
        }
    }

    fn signed_in(email: &str, subject: &str) -> SignedIn {
        SignedIn {
            subject: subject.into(),
            email: email.into(),
            email_verified: true,
            given_name: Some("Alice".into()),
            usual_name: Some("Martin".into()),
        }
    }

    #[test]
    fn an_invited_address_signs_in_and_an_other_one_is_told_so() {
        let (_dir, _log, people) = store();
        let pilot = Actor::of(Role::Pilot, grigny());
        let invited = people
            .invite(
                invitation(
                    " Alice.Martin@Example.FR ",
                    Role::Coordinator,
                    Some("grigny"),
                    None,
                ),
                &pilot,
            )
            .unwrap();
        assert_eq!(invited.email, "alice.martin@example.fr");
        assert!(invited.roles[0].pending);
        let person = people
            .sign_in(&signed_in("alice.martin@example.fr", "sub-1"))
            .unwrap();
        assert_eq!(person.id, invited.id);
        assert_eq!(person.name.as_deref(), Some("Alice Martin"));
        assert!(!person.roles[0].pending);
        assert!(person.signed_in_at.is_some());
        // Another account of the provider with the same address is not her.
        let error = people
            .sign_in(&signed_in("alice.martin@example.fr", "sub-2"))
            .unwrap_err();
        assert!(matches!(error, PeopleError::OtherSubject(_)), "{error}");
        let error = people
            .sign_in(&signed_in("eve@example.fr", "sub-3"))
            .unwrap_err();
        assert!(error.to_string().contains("aucune invitation"), "{error}");
    }

    #[test]
    fn who_may_invite_whom() {
        let (_dir, _log, people) = store();
        let pilot = Actor::of(Role::Pilot, grigny());
        let other_pilot = Actor::of(Role::Pilot, ProgrammeId::parse("evry").unwrap());
        let coordinator = Actor::of(Role::Coordinator, grigny());
        let ask = |role, programme, partner, by: &Actor| {
            people.invite(invitation("b@example.fr", role, programme, partner), by)
        };
        assert!(matches!(
            ask(Role::Admin, None, None, &pilot),
            Err(PeopleError::Forbidden(_))
        ));
        assert!(matches!(
            ask(Role::Observer, Some("grigny"), None, &other_pilot),
            Err(PeopleError::Forbidden(_))
        ));
        assert!(matches!(
            ask(Role::Observer, Some("grigny"), None, &coordinator),
            Err(PeopleError::Forbidden(_))
        ));
        assert!(matches!(
            ask(Role::Porteur, Some("grigny"), None, &pilot),
            Err(PeopleError::Invalid(_))
        ));
        assert!(matches!(
            ask(Role::Pilot, None, None, &Actor::admin()),
            Err(PeopleError::Invalid(_))
        ));
        assert!(matches!(
            ask(Role::Observer, Some("grigny"), Some("asso"), &pilot),
            Err(PeopleError::Invalid(_))
        ));
        assert!(matches!(
            people.invite(
                invitation("pas une adresse", Role::Observer, Some("grigny"), None),
                &pilot
            ),
            Err(PeopleError::Invalid(_))
        ));
        // Two roles, the same one twice counted once.
        ask(Role::Porteur, Some("grigny"), Some("asso"), &pilot).unwrap();
        ask(Role::Observer, Some("grigny"), None, &pilot).unwrap();
        let person = ask(Role::Observer, Some("grigny"), None, &pilot).unwrap();
        assert_eq!(person.roles.len(), 2);
        assert_eq!(people.list(&pilot).unwrap().len(), 1);
        assert!(people.list(&other_pilot).unwrap().is_empty());
        assert!(matches!(
            people.list(&coordinator),
            Err(PeopleError::Forbidden(_))
        ));
    }

    #[test]
    fn a_revoked_person_signs_in_no_more_and_their_sessions_learn_it() {
        let (_dir, _log, people) = store();
        let pilot = Actor::of(Role::Pilot, grigny());
        let person = people
            .invite(
                invitation("c@example.fr", Role::Evaluator, Some("grigny"), None),
                &pilot,
            )
            .unwrap();
        let mut revocations = people.revocations();
        let revoked = people.revoke(&person.id, &pilot).unwrap();
        assert!(revoked.revoked);
        assert!(revocations.has_changed().unwrap());
        revocations.mark_unchanged();
        let error = people
            .sign_in(&signed_in("c@example.fr", "sub"))
            .unwrap_err();
        assert!(error.to_string().contains("retiré"), "{error}");
        assert!(matches!(
            people.revoke(&person.id, &Actor::of(Role::Coordinator, grigny())),
            Err(PeopleError::Forbidden(_))
        ));
        assert!(matches!(
            people.revoke("inconnu", &pilot),
            Err(PeopleError::UnknownId(_))
        ));
    }

    #[test]
    fn a_role_is_removed_and_the_others_stay() {
        let (_dir, _log, people) = store();
        let pilot = Actor::of(Role::Pilot, grigny());
        let admin = Actor::admin();
        let ask = |role, programme: &str, by: &Actor| {
            people.invite(invitation("d@example.fr", role, Some(programme), None), by)
        };
        ask(Role::Coordinator, "grigny", &pilot).unwrap();
        ask(Role::Observer, "grigny", &pilot).unwrap();
        let person = ask(Role::Observer, "evry", &admin).unwrap();
        people.sign_in(&signed_in("d@example.fr", "sub")).unwrap();
        let role = |role, programme: &str| invitation("", role, Some(programme), None);
        // A pilot removes a role of their programme, not one of another programme.
        assert!(matches!(
            people.remove_role(&person.id, &role(Role::Observer, "evry"), &pilot),
            Err(PeopleError::Forbidden(_))
        ));
        let after = people
            .remove_role(&person.id, &role(Role::Coordinator, "grigny"), &pilot)
            .unwrap();
        let kept: Vec<(Role, String)> = after
            .roles
            .iter()
            .map(|r| (r.role, r.programme.as_ref().unwrap().to_string()))
            .collect();
        assert_eq!(
            kept,
            vec![
                (Role::Observer, "grigny".to_owned()),
                (Role::Observer, "evry".to_owned())
            ]
        );
        assert!(!after.revoked);
        // The person still signs in, with what is left.
        assert_eq!(
            people
                .sign_in(&signed_in("d@example.fr", "sub"))
                .unwrap()
                .roles
                .len(),
            2
        );
        // A role they do not hold: said, and nothing changes.
        let error = people
            .remove_role(&person.id, &role(Role::Coordinator, "grigny"), &pilot)
            .unwrap_err();
        assert!(error.to_string().contains("rien n'est retiré"), "{error}");
        assert!(matches!(
            people.remove_role(
                &person.id,
                &role(Role::Observer, "grigny"),
                &Actor::of(Role::Coordinator, grigny())
            ),
            Err(PeopleError::Forbidden(_))
        ));
    }
}
