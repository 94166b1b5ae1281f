//! Who recorded an event, in words.
//!
//! Envelopes of format 2 name their actor by a stable id and a role code; the names live
//! here, outside the chained bytes, so that an agent who leaves can be erased without touching
//! the log. An id is one of:
//!
//! - `person:<id>`: a person signed in through OpenID Connect ([`crate::people`]); their name
//!   (or, before the provider gave one, their address);
//! - `token:<id>`: an API token ([`crate::tokens`]); its name;
//! - `operator:<uuid>`: an operator at the command line (a spreadsheet import), the name given
//!   with `--name`, kept in the tree `actors`;
//! - `system:demo`: the demonstration programme's generator.
//!
//! Envelopes of format 1 (written before) hold « Name (rôle) » in their chained bytes; they are
//! shown as written. An erased name ([`ActorNames::erase`]) shows as « agent effacé (rôle) ».
//! Every store here is a file-kept tree of the key-value area (`EventLog::erasable_kv_tree`):
//! an erased name leaves no byte behind.

use crate::people::PeopleStore;
use crate::tokens::TokenStore;
use domain::values::Role;
use eventlog::{EventLog, KvBatch, KvTree};
use projections::recorded::Recorder;

const PERSON: &str = "person:";
const TOKEN: &str = "token:";
const OPERATOR: &str = "operator:";
const TREE: &str = "actors";

/// The actor id of a person.
pub fn of_person(person_id: &str) -> String {
    format!("{PERSON}{person_id}")
}

/// The actor id of a token.
pub fn of_token(token_id: &str) -> String {
    format!("{TOKEN}{token_id}")
}

/// The label of a role code: « coordination ».
pub fn role_label(code: &str) -> &str {
    match Role::from_code(code) {
        Some(role) => role.label(),
        None if code.is_empty() => "rôle non précisé",
        None => code,
    }
}

#[derive(Debug, thiserror::Error)]
#[error("le répertoire des agents ne se lit pas : {0}")]
pub struct ActorError(String);

/// The names of actor ids, read from where each kind of actor is kept.
#[derive(Clone)]
pub struct ActorNames {
    people: PeopleStore,
    tokens: TokenStore,
    operators: KvTree,
}

impl std::fmt::Debug for ActorNames {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ActorNames").finish_non_exhaustive()
    }
}

impl ActorNames {
    pub fn open(
        log: &EventLog,
        people: PeopleStore,
        tokens: TokenStore,
    ) -> Result<ActorNames, ActorError> {
        Ok(ActorNames {
            people,
            tokens,
            operators: log
                .erasable_kv_tree(TREE)
                .map_err(|e| ActorError(e.to_string()))?,
        })
    }

    /// Whether the name of `id` was erased.
    pub fn is_erased(&self, id: &str) -> bool {
        self.operators
            .get(erased_key(id))
            .is_ok_and(|found| found.is_some())
    }

    /// Erases the name of `id` wherever it is kept (a person's name and address, a token's
    /// name, an operator's name), revoking a person or a token, and remembers that it was
    /// erased. Returns whether a name was there to erase.
    pub fn erase(&self, id: &str) -> Result<bool, ActorError> {
        let fail = |e: String| ActorError(e);
        let erased = if let Some(person) = id.strip_prefix(PERSON) {
            self.people.erase(person).map_err(|e| fail(e.to_string()))?
        } else if let Some(token) = id.strip_prefix(TOKEN) {
            self.tokens
                .erase_name(token)
                .map_err(|e| fail(e.to_string()))?
        } else if id.starts_with(OPERATOR) {
            let name = self
                .operators
                .get(operator_key(id))
                .map_err(|e| fail(e.to_string()))?;
            let mut batch = KvBatch::default();
            batch.remove(operator_key(id));
            if let Some(name) = &name {
                batch.remove(format!("n/{}", String::from_utf8_lossy(name)));
            }
            self.operators
                .apply(batch)
                .map_err(|e| fail(e.to_string()))?;
            name.is_some()
        } else {
            false
        };
        self.operators
            .insert(erased_key(id), b"")
            .map_err(|e| fail(e.to_string()))?;
        Ok(erased)
    }

    /// The name of `id`, `None` when it is known nowhere.
    pub fn name(&self, id: &str) -> Option<String> {
        if let Some(person) = id.strip_prefix(PERSON) {
            let person = self.people.get(person).ok()??;
            return Some(person.name.unwrap_or(person.email));
        }
        if let Some(token) = id.strip_prefix(TOKEN) {
            return self.tokens.get(token).ok()?.map(|t| t.name);
        }
        if id.starts_with(OPERATOR) {
            let bytes = self.operators.get(operator_key(id)).ok()??;
            return Some(String::from_utf8_lossy(&bytes).into_owned());
        }
        (id == projections::generator::GENERATOR_ACTOR).then(|| "Démonstration".to_owned())
    }

    /// « Marie Dupont (coordination) »: the name and the role of whoever recorded an event.
    pub fn display(&self, recorder: &Recorder) -> String {
        match recorder {
            Recorder::Named(words) => words.clone(),
            Recorder::Agent { id, role } => {
                let name = if self.is_erased(id) {
                    "agent effacé".to_owned()
                } else {
                    self.name(id).unwrap_or_else(|| "agent inconnu".to_owned())
                };
                format!("{name} ({})", role_label(role))
            }
        }
    }

    /// The id of the operator who signs with `name` at the command line, created the first
    /// time: the log then holds the id, and the name stays here.
    pub fn operator(&self, name: &str) -> Result<String, ActorError> {
        let by_name = format!("n/{name}").into_bytes();
        let fail = |e: eventlog::Error| ActorError(e.to_string());
        if let Some(id) = self.operators.get(&by_name).map_err(fail)? {
            return Ok(String::from_utf8_lossy(&id).into_owned());
        }
        let id = format!("{OPERATOR}{}", uuid::Uuid::now_v7());
        let mut batch = KvBatch::default();
        batch.insert(operator_key(&id), name.as_bytes());
        batch.insert(by_name, id.as_bytes());
        self.operators.apply(batch).map_err(fail)?;
        self.operators.flush().map_err(fail)?;
        Ok(id)
    }
}

fn operator_key(id: &str) -> Vec<u8> {
    format!("o/{id}").into_bytes()
}

/// Marks an id whose name was erased (the mark holds no name).
fn erased_key(id: &str) -> Vec<u8> {
    format!("x/{id}").into_bytes()
}
