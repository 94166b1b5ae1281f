//! The sessions of people signed in through OpenID Connect: a random id in an HttpOnly,
//! SameSite cookie, held on the server with the person, the role they chose, and a token the
//! page sends in a header with every write (a cross-site form can send the cookie, never the
//! header). A session ends at sign-out, after [`SESSION_LIFETIME`], after [`IDLE_TIMEOUT`]
//! without a request, or when its person is revoked. Sessions live in memory: a restart signs
//! everyone out, which costs a sign-in and keeps no secret on disk.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use parking_lot::Mutex;
use rand::RngCore;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The cookie's name.
pub const COOKIE: &str = "chronique_session";
/// The header the page sends with every request a session makes.
pub const CSRF_HEADER: &str = "x-chronique-csrf";
/// The longest a session lasts, used or not.
pub const SESSION_LIFETIME: Duration = Duration::from_secs(12 * 3600);
/// The longest a session lasts without a request.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(60 * 60);

#[derive(Debug, Clone)]
pub struct Session {
    pub id: String,
    pub person: String,
    /// The index, in the person's roles, of the role they act in.
    pub active: usize,
    pub csrf: String,
    created: Instant,
    last_seen: Instant,
}

/// The sessions of one server. Cheap to clone.
#[derive(Debug, Clone)]
pub struct SessionStore {
    sessions: Arc<Mutex<HashMap<String, Session>>>,
    /// Changes whenever sessions end: open WebSockets check theirs.
    ended: Arc<tokio::sync::watch::Sender<u64>>,
}

impl Default for SessionStore {
    fn default() -> Self {
        SessionStore {
            sessions: Arc::default(),
            ended: Arc::new(tokio::sync::watch::Sender::new(0)),
        }
    }
}

fn random() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

impl SessionStore {
    /// A new session for `person`, acting in their first role.
    pub fn create(&self, person: &str) -> Session {
        let now = Instant::now();
        let session = Session {
            id: random(),
            person: person.to_owned(),
            active: 0,
            csrf: random(),
            created: now,
            last_seen: now,
        };
        let mut all = self.sessions.lock();
        all.retain(|_, s| alive(s, now));
        all.insert(session.id.clone(), session.clone());
        session
    }

    /// The session `id` if it is alive, marked as used now.
    pub fn get(&self, id: &str) -> Option<Session> {
        let now = Instant::now();
        let mut all = self.sessions.lock();
        match all.get_mut(id) {
            Some(s) if alive(s, now) => {
                s.last_seen = now;
                Some(s.clone())
            }
            Some(_) => {
                all.remove(id);
                None
            }
            None => None,
        }
    }

    /// Chooses the role the session acts in.
    pub fn choose(&self, id: &str, role: usize) -> Option<Session> {
        let mut all = self.sessions.lock();
        let s = all.get_mut(id)?;
        s.active = role;
        Some(s.clone())
    }

    /// Sign-out.
    pub fn end(&self, id: &str) {
        self.sessions.lock().remove(id);
        self.ended.send_modify(|n| *n += 1);
    }

    /// Ends every session of `person` (revocation).
    pub fn end_person(&self, person: &str) {
        self.sessions.lock().retain(|_, s| s.person != person);
        self.ended.send_modify(|n| *n += 1);
    }

    /// Changes whenever sessions end.
    pub fn endings(&self) -> tokio::sync::watch::Receiver<u64> {
        self.ended.subscribe()
    }

    /// Whether session `id` is alive, without marking it used.
    pub fn is_alive(&self, id: &str) -> bool {
        let now = Instant::now();
        self.sessions.lock().get(id).is_some_and(|s| alive(s, now))
    }

    /// Sessions alive now.
    pub fn len(&self) -> usize {
        let now = Instant::now();
        let mut all = self.sessions.lock();
        all.retain(|_, s| alive(s, now));
        all.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

fn alive(s: &Session, now: Instant) -> bool {
    now.duration_since(s.created) < SESSION_LIFETIME
        && now.duration_since(s.last_seen) < IDLE_TIMEOUT
}

/// The value of cookie `name` in a `Cookie` header.
pub fn cookie<'a>(header: Option<&'a str>, name: &str) -> Option<&'a str> {
    header?
        .split(';')
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
        .filter(|v| !v.is_empty())
}

/// The `Set-Cookie` of a session: HttpOnly, SameSite=Lax (the provider's redirect back is a
/// top-level navigation), Secure behind TLS, for [`SESSION_LIFETIME`].
pub fn set_cookie(id: &str, secure: bool) -> String {
    format!(
        "{COOKIE}={id}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}{}",
        SESSION_LIFETIME.as_secs(),
        if secure { "; Secure" } else { "" }
    )
}

/// The `Set-Cookie` that removes it.
pub fn clear_cookie(secure: bool) -> String {
    format!(
        "{COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{}",
        if secure { "; Secure" } else { "" }
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_lives_until_it_ends_and_each_is_its_own() {
        let store = SessionStore::default();
        let a = store.create("p_1");
        let b = store.create("p_1");
        let c = store.create("p_2");
        assert_ne!(a.id, b.id);
        assert_ne!(a.csrf, a.id);
        assert_eq!(store.get(&a.id).unwrap().person, "p_1");
        assert_eq!(store.choose(&a.id, 1).unwrap().active, 1);
        store.end(&a.id);
        assert!(store.get(&a.id).is_none());
        store.end_person("p_1");
        assert!(store.get(&b.id).is_none());
        assert!(store.get(&c.id).is_some());
        assert_eq!(store.len(), 1);
    }

    #[test]
    fn cookies_are_read_and_written_with_their_attributes() {
        assert_eq!(
            cookie(Some("a=1; chronique_session=xyz; b=2"), COOKIE),
            Some("xyz")
        );
        assert_eq!(cookie(Some("chronique_session="), COOKIE), None);
        assert_eq!(cookie(None, COOKIE), None);
        let set = set_cookie("xyz", true);
        for attribute in ["HttpOnly", "SameSite=Lax", "Secure", "Path=/"] {
            assert!(set.contains(attribute), "{set}");
        }
        assert!(!set_cookie("xyz", false).contains("Secure"));
        assert!(clear_cookie(false).contains("Max-Age=0"));
    }
}
