//! API tokens: random secrets, shown once, stored hashed in their own key-value tree.
//!
//! A token is `chq_` followed by 32 random bytes from the operating system in base64url
//! (without padding). The store keeps only its SHA-256: a copy of the store does not give
//! access. Tokens live in the key-value tree `tokens` of the log's store, **outside the event
//! log**: they are neither hashed into the chain nor exported nor imported (ARCHITECTURE.md).
//!
//! Layout of the tree: `t/<id>` → the token's record (JSON); `h/<sha256 hex>` → `<id>`.
//! Both keys of a token are written in one atomic batch and flushed before the secret is
//! returned, so a secret that was shown always works, even after a crash.
//!
//! Invariants: ADMIN tokens are bound to no programme and no partner; every other token is
//! bound to one programme; PORTEUR tokens, and only they, are bound to one partner as well.
//! A programme that does not exist yet is accepted: that is how an operator starts.
//!
//! What it does not do: it does not delete a token (a revoked token stays listed, revoked), and
//! it does not expire tokens.

use crate::clock::Clock;
use crate::error::ApiError;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use domain::actor::Actor;
use domain::values::{PartnerId, ProgrammeId, Role};
use eventlog::{EventLog, KvBatch, KvTree};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::sync::Arc;

/// The name of the key-value tree that holds the tokens.
pub const TREE: &str = "tokens";
/// The prefix of every secret, so that a leaked one is easy to recognise.
pub const SECRET_PREFIX: &str = "chq_";
/// Longest token name, in characters.
const MAX_NAME_CHARS: usize = 200;

/// A token as stored and listed, without its secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenInfo {
    pub id: String,
    pub role: Role,
    pub programme: Option<ProgrammeId>,
    pub partner: Option<PartnerId>,
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub revoked: bool,
}

impl TokenInfo {
    /// The domain's view of the bearer.
    pub fn actor(&self) -> Actor {
        Actor {
            role: self.role,
            programme: self.programme.clone(),
            partner: self.partner.clone(),
        }
    }
}

/// What a new token is for; checked by [`TokenStore::create`].
#[derive(Debug, Clone)]
pub struct NewToken {
    pub role: Role,
    pub programme: Option<String>,
    pub partner: Option<String>,
    pub name: String,
}

/// Errors of the token store.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    /// The request does not describe a valid token (French, for a person).
    #[error("{0}")]
    Invalid(String),
    /// No token has this id.
    #[error("aucun jeton n'a l'identifiant « {0} »")]
    UnknownId(String),
    /// The store failed.
    #[error("le magasin des jetons a échoué")]
    Store(#[from] eventlog::Error),
    /// A stored record does not decode.
    #[error("un jeton enregistré est illisible : {0}")]
    Corrupt(String),
}

impl From<TokenError> for ApiError {
    fn from(error: TokenError) -> Self {
        match error {
            TokenError::Invalid(message) => ApiError::Validation(message),
            TokenError::UnknownId(_) => {
                ApiError::NotFound(format!("{}.", crate::error::capitalise(&error.to_string())))
            }
            other => ApiError::internal(other),
        }
    }
}

/// The tokens of one store. Cheap to clone.
#[derive(Clone)]
pub struct TokenStore {
    tree: KvTree,
    clock: Clock,
    /// Counts the revocations made through this store, so that open WebSockets learn of them
    /// at once ([`TokenStore::revocations`]).
    revoked: Arc<tokio::sync::watch::Sender<u64>>,
}

impl std::fmt::Debug for TokenStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenStore").finish_non_exhaustive()
    }
}

fn record_key(id: &str) -> Vec<u8> {
    format!("t/{id}").into_bytes()
}

fn hash_key(hash_hex: &str) -> Vec<u8> {
    format!("h/{hash_hex}").into_bytes()
}

fn hash_secret(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

impl TokenStore {
    /// Opens the token tree of `log`'s store.
    pub fn open(log: &EventLog, clock: Clock) -> Result<TokenStore, TokenError> {
        Ok(TokenStore {
            tree: log.erasable_kv_tree(TREE)?,
            clock,
            revoked: Arc::new(tokio::sync::watch::Sender::new(0)),
        })
    }

    /// Changes each time a token is revoked: a holder of a connection re-checks its token.
    pub fn revocations(&self) -> tokio::sync::watch::Receiver<u64> {
        self.revoked.subscribe()
    }

    /// Checks the request, makes a secret, stores its hash durably; returns the token and the
    /// secret, which is never shown again.
    pub fn create(&self, request: NewToken) -> Result<(TokenInfo, String), TokenError> {
        let name = request.name.trim().to_owned();
        if name.is_empty() {
            return Err(TokenError::Invalid(
                "Le nom du jeton ne peut pas être vide : nommez la personne ou l'usage.".to_owned(),
            ));
        }
        if name.chars().count() > MAX_NAME_CHARS || name.chars().any(char::is_control) {
            return Err(TokenError::Invalid(format!(
                "Le nom du jeton doit tenir en {MAX_NAME_CHARS} caractères, sans caractère de contrôle."
            )));
        }
        let programme = match request.programme.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(text) => {
                Some(ProgrammeId::parse(text).map_err(|e| TokenError::Invalid(format!("{e}.")))?)
            }
        };
        let partner = match request.partner.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(text) => {
                Some(PartnerId::parse(text).map_err(|e| TokenError::Invalid(format!("{e}.")))?)
            }
        };
        let role_label = request.role.label();
        match (request.role, &programme, &partner) {
            (Role::Admin, Some(_), _) | (Role::Admin, _, Some(_)) => {
                return Err(TokenError::Invalid(
                    "Un jeton administrateur n'est lié à aucune cité éducative ni à aucun partenaire.".to_owned(),
                ));
            }
            (Role::Admin, None, None) => {}
            (_, None, _) => {
                return Err(TokenError::Invalid(format!(
                    "Un jeton « {role_label} » doit être lié à une cité éducative (programme)."
                )));
            }
            (Role::Porteur, Some(_), None) => {
                return Err(TokenError::Invalid(
                    "Un jeton « porteur de projet » doit être lié à un partenaire.".to_owned(),
                ));
            }
            (Role::Porteur, Some(_), Some(_)) => {}
            (_, Some(_), Some(_)) => {
                return Err(TokenError::Invalid(format!(
                    "Seul un jeton « porteur de projet » est lié à un partenaire, pas un jeton « {role_label} »."
                )));
            }
            (_, Some(_), None) => {}
        }

        let mut bytes = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        let secret = format!("{SECRET_PREFIX}{}", URL_SAFE_NO_PAD.encode(bytes));
        let id = self.fresh_id()?;
        let info = TokenInfo {
            id: id.clone(),
            role: request.role,
            programme,
            partner,
            name,
            created_at: self.clock.now(),
            revoked: false,
        };
        let mut batch = KvBatch::default();
        batch.insert(record_key(&id), encode(&info)?);
        batch.insert(hash_key(&hash_secret(&secret)), id.as_bytes());
        self.tree.apply(batch)?;
        self.tree.flush()?;
        Ok((info, secret))
    }

    /// A short random id that no token has yet: eight hexadecimal digits.
    fn fresh_id(&self) -> Result<String, TokenError> {
        loop {
            let mut bytes = [0u8; 4];
            rand::rngs::OsRng.fill_bytes(&mut bytes);
            let id = hex::encode(bytes);
            if self.tree.get(record_key(&id))?.is_none() {
                return Ok(id);
            }
        }
    }

    /// Every token, oldest first.
    pub fn list(&self) -> Result<Vec<TokenInfo>, TokenError> {
        let mut out = Vec::new();
        for entry in self.tree.scan_prefix(b"t/") {
            let (_, value) = entry?;
            out.push(decode(&value)?);
        }
        out.sort_by(|a, b| a.created_at.cmp(&b.created_at).then(a.id.cmp(&b.id)));
        Ok(out)
    }

    /// The token with this id.
    pub fn get(&self, id: &str) -> Result<Option<TokenInfo>, TokenError> {
        self.tree
            .get(record_key(id))?
            .map(|bytes| decode(&bytes))
            .transpose()
    }

    /// Marks a token revoked (durably); revoking it again changes nothing.
    pub fn revoke(&self, id: &str) -> Result<TokenInfo, TokenError> {
        let mut info = self
            .get(id)?
            .ok_or_else(|| TokenError::UnknownId(id.to_owned()))?;
        if !info.revoked {
            info.revoked = true;
            self.tree.insert(record_key(id), encode(&info)?)?;
            self.tree.flush()?;
            self.revoked.send_modify(|n| *n += 1);
        }
        Ok(info)
    }

    /// Erases the name of token `id` (an agent's name erased, RGPD) and revokes it. Returns
    /// whether it had a name to erase.
    pub fn erase_name(&self, id: &str) -> Result<bool, TokenError> {
        let Some(mut info) = self.get(id)? else {
            return Ok(false);
        };
        let had = !info.name.is_empty();
        info.name = String::new();
        info.revoked = true;
        self.tree.insert(record_key(id), encode(&info)?)?;
        self.revoked.send_modify(|n| *n += 1);
        Ok(had)
    }

    /// The live token whose secret this is; `None` for an unknown or revoked one.
    pub fn authenticate(&self, secret: &str) -> Result<Option<TokenInfo>, TokenError> {
        if !secret.starts_with(SECRET_PREFIX) || secret.len() > 200 {
            return Ok(None);
        }
        let Some(id) = self.tree.get(hash_key(&hash_secret(secret)))? else {
            return Ok(None);
        };
        let id = String::from_utf8(id).map_err(|e| TokenError::Corrupt(e.to_string()))?;
        Ok(self.get(&id)?.filter(|info| !info.revoked))
    }
}

fn encode(info: &TokenInfo) -> Result<Vec<u8>, TokenError> {
    serde_json::to_vec(info).map_err(|e| TokenError::Corrupt(e.to_string()))
}

fn decode(bytes: &[u8]) -> Result<TokenInfo, TokenError> {
    serde_json::from_slice(bytes).map_err(|e| TokenError::Corrupt(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> (tempfile::TempDir, EventLog, TokenStore) {
        let dir = tempfile::tempdir().unwrap();
        let log = EventLog::open(dir.path(), eventlog::Options::default()).unwrap();
        let tokens = TokenStore::open(&log, Clock::system()).unwrap();
        (dir, log, tokens)
    }

    fn new(role: Role, programme: Option<&str>, partner: Option<&str>) -> NewToken {
        NewToken {
            role,
            programme: programme.map(str::to_owned),
            partner: partner.map(str::to_owned),
            name: "Marie Dupont".to_owned(),
        }
    }

    #[test]
    fn a_created_token_authenticates_until_it_is_revoked() {
        let (_dir, _log, tokens) = store();
        let (info, secret) = tokens
            .create(new(Role::Pilot, Some("grigny"), None))
            .unwrap();
        assert!(secret.starts_with("chq_"));
        assert_eq!(tokens.authenticate(&secret).unwrap(), Some(info.clone()));
        assert_eq!(tokens.authenticate("chq_nope").unwrap(), None);
        tokens.revoke(&info.id).unwrap();
        assert_eq!(tokens.authenticate(&secret).unwrap(), None);
        assert!(tokens.list().unwrap()[0].revoked);
    }

    #[test]
    fn the_secret_itself_is_never_stored() {
        let (_dir, log, tokens) = store();
        let (_, secret) = tokens.create(new(Role::Admin, None, None)).unwrap();
        let tree = log.erasable_kv_tree(TREE).unwrap();
        for entry in tree.scan_prefix(b"") {
            let (key, value) = entry.unwrap();
            let text = format!(
                "{}{}",
                String::from_utf8_lossy(&key),
                String::from_utf8_lossy(&value)
            );
            assert!(
                !text.contains(&secret[4..]),
                "the secret is stored in clear"
            );
        }
    }

    #[test]
    fn bindings_follow_the_role() {
        let (_dir, _log, tokens) = store();
        assert!(tokens.create(new(Role::Admin, Some("p"), None)).is_err());
        assert!(tokens.create(new(Role::Pilot, None, None)).is_err());
        assert!(tokens.create(new(Role::Porteur, Some("p"), None)).is_err());
        assert!(
            tokens
                .create(new(Role::Observer, Some("p"), Some("asso")))
                .is_err()
        );
        assert!(
            tokens
                .create(new(Role::Pilot, Some("Pas Valide"), None))
                .is_err()
        );
        assert!(
            tokens
                .create(new(Role::Porteur, Some("p"), Some("asso")))
                .is_ok()
        );
        assert!(tokens.create(new(Role::Evaluator, Some("p"), None)).is_ok());
    }

    #[test]
    fn revoking_an_unknown_id_is_not_found() {
        let (_dir, _log, tokens) = store();
        let error = ApiError::from(tokens.revoke("00000000").unwrap_err());
        assert_eq!(error.code(), crate::error::Code::NotFound);
    }
}
