//! Signing in against a real OpenID Connect provider: the certified `oidc-provider` package
//! (`tests/oidc-provider/`, pinned by its lockfile, installed by `./scripts/test`) on a loopback
//! port, driven over HTTP as a browser would (its login and consent forms). The ID token is
//! checked by the `openidconnect` crate: a tampered token, another client's audience, an expired
//! token, another login's nonce and a replayed `state` are refused.

use graphql::oidc::{Oidc, OidcConfig, OidcError};
use openidconnect::Nonce;
use std::collections::BTreeMap;
use std::path::PathBuf;

const CALLBACK: &str = "http://127.0.0.1:1/auth/callback";

#[path = "../../tests/oidc-provider/launch.rs"]
mod launch;

use launch::Provider;

fn provider() -> Provider {
    provider_for(CALLBACK)
}

fn provider_for(redirect: &str) -> Provider {
    let users = serde_json::json!({
        "alice": {"email": "Alice.Martin@example.fr", "email_verified": true, "given_name": "Alice", "usual_name": "Martin"},
        "bob": {"email": "bob@example.fr", "email_verified": false, "given_name": "Bob", "usual_name": "Durand"},
        "eve": {"email": "eve@example.fr", "email_verified": true, "given_name": "Eve", "usual_name": "Inconnue"},
    });
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/oidc-provider");
    launch::start(&dir, redirect, &users)
}

fn config(p: &Provider, client_id: &str) -> OidcConfig {
    OidcConfig {
        issuer: p.issuer.clone(),
        client_id: client_id.to_owned(),
        client_secret: "secret-de-test".to_owned(),
        public_url: "http://127.0.0.1:1".to_owned(),
        emails_verified_by_provider: false,
    }
}

/// A browser without JavaScript: follows the provider's redirects by hand, keeps its cookies,
/// fills its login and consent forms, and stops at the callback.
struct Browser {
    http: reqwest::Client,
    cookies: BTreeMap<String, String>,
    /// The last callback URL the provider sent the browser to.
    last_callback: Option<String>,
}

impl Browser {
    fn new() -> Browser {
        Browser {
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            cookies: BTreeMap::new(),
            last_callback: None,
        }
    }

    async fn send(&mut self, request: reqwest::RequestBuilder) -> reqwest::Response {
        let cookie: Vec<String> = self
            .cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        let response = request
            .header("Cookie", cookie.join("; "))
            .send()
            .await
            .unwrap();
        for value in response.headers().get_all("set-cookie") {
            let pair = value.to_str().unwrap().split(';').next().unwrap();
            if let Some((k, v)) = pair.split_once('=') {
                self.cookies.insert(k.to_owned(), v.to_owned());
            }
        }
        response
    }

    /// Where a redirect goes, resolved against the page that sent it.
    fn location(response: &reqwest::Response) -> String {
        let target = response
            .headers()
            .get("location")
            .unwrap_or_else(|| panic!("no redirect ({})", response.status()))
            .to_str()
            .unwrap();
        response.url().join(target).unwrap().to_string()
    }

    /// From the provider's authorization URL to the callback: (code, state).
    async fn sign_in(&mut self, auth_url: &str, login: &str) -> (String, String) {
        let url = self.follow_to_callback(auth_url, login, CALLBACK).await;
        let parsed = reqwest::Url::parse(&url).unwrap();
        let get = |k: &str| {
            parsed
                .query_pairs()
                .find(|(key, _)| key == k)
                .map(|(_, v)| v.into_owned())
        };
        (get("code").expect("a code"), get("state").expect("a state"))
    }

    /// Follows `start` through the provider's forms (as `login`) up to a URL under `callback`.
    async fn follow_to_callback(&mut self, start: &str, login: &str, callback: &str) -> String {
        let mut url = start.to_owned();
        for _ in 0..12 {
            if url.starts_with(callback) {
                return url;
            }
            let response = self.send(self.http.get(&url)).await;
            if response.status().is_redirection() {
                url = Self::location(&response);
                continue;
            }
            let page = response.text().await.unwrap();
            let form: Vec<(&str, &str)> = if page.contains("name=\"login\"") {
                vec![("prompt", "login"), ("login", login), ("password", "x")]
            } else {
                vec![("prompt", "consent")]
            };
            let response = self.send(self.http.post(&url).form(&form)).await;
            url = Self::location(&response);
        }
        panic!("the provider never sent the browser back");
    }
}

#[tokio::test]
async fn a_person_signs_in_and_every_forged_or_replayed_answer_is_refused() {
    let p = provider();
    let oidc = Oidc::discover(config(&p, "chronique")).await.unwrap();

    // Alice signs in: her address (lower-cased), verified, and her names.
    let mut browser = Browser::new();
    let (code, state) = browser.sign_in(&oidc.start(), "alice").await;
    assert_eq!(oidc.pending(), 1);
    let (id_token, nonce) = oidc.exchange(&code, &state).await.unwrap();
    assert_eq!(oidc.pending(), 0, "a login's state serves once");
    let alice = oidc.check(&id_token, &nonce).unwrap();
    assert_eq!(alice.subject, "alice");
    assert_eq!(alice.email, "alice.martin@example.fr");
    assert!(alice.email_verified);
    assert_eq!(alice.given_name.as_deref(), Some("Alice"));
    assert_eq!(alice.usual_name.as_deref(), Some("Martin"));

    // The same answer again: its state was used.
    let replay = oidc.exchange(&code, &state).await.unwrap_err();
    assert!(matches!(replay, OidcError::UnknownState), "{replay}");
    assert!(replay.to_string().contains("déjà utilisée"), "{replay}");
    // A state this server never gave.
    let forged = oidc.finish(&code, "etat-invente").await.unwrap_err();
    assert!(matches!(forged, OidcError::UnknownState), "{forged}");

    // The token with its claims changed: the signature no longer matches.
    let parts: Vec<&str> = id_token.split('.').collect();
    let claims = base64_url_decode(parts[1]);
    let changed = claims.replace("Alice.Martin@example.fr", "mallory@example.fr");
    assert_ne!(claims, changed);
    let tampered = format!("{}.{}.{}", parts[0], base64_url_encode(&changed), parts[2]);
    let error = oidc.check(&tampered, &nonce).unwrap_err();
    assert!(matches!(error, OidcError::Invalid(_)), "{error}");
    // Another login's nonce.
    let error = oidc
        .check(&id_token, &Nonce::new("un-autre-nonce".into()))
        .unwrap_err();
    assert!(matches!(error, OidcError::Invalid(_)), "{error}");
    // Checked two hours later: expired.
    let later = chrono::Utc::now() + chrono::Duration::hours(2);
    let error = oidc.check_at(&id_token, &nonce, later).unwrap_err();
    assert!(matches!(error, OidcError::Invalid(_)), "{error}");
    // Issued to another client: the audience is not Chronique's.
    let other = Oidc::discover(config(&p, "autre-application"))
        .await
        .unwrap();
    let error = other.check(&id_token, &nonce).unwrap_err();
    assert!(matches!(error, OidcError::Invalid(_)), "{error}");

    // Bob's address is not verified by the provider: refused, unless the provider is one that
    // vouches for every address (ProConnect).
    let mut browser = Browser::new();
    let (code, state) = browser.sign_in(&oidc.start(), "bob").await;
    let (bob_token, bob_nonce) = oidc.exchange(&code, &state).await.unwrap();
    let error = oidc.check(&bob_token, &bob_nonce).unwrap_err();
    assert!(matches!(error, OidcError::NoVerifiedEmail), "{error}");
    let vouching = Oidc::discover(OidcConfig {
        emails_verified_by_provider: true,
        ..config(&p, "chronique")
    })
    .await
    .unwrap();
    assert_eq!(
        vouching.check(&bob_token, &bob_nonce).unwrap().email,
        "bob@example.fr"
    );

    // A provider that does not answer: a French message naming it.
    let error = Oidc::discover(OidcConfig {
        issuer: "http://127.0.0.1:1".to_owned(),
        ..config(&p, "chronique")
    })
    .await
    .unwrap_err();
    assert!(error.to_string().contains("injoignable"), "{error}");
}

fn base64_url_decode(part: &str) -> String {
    use base64::Engine;
    String::from_utf8(
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(part)
            .unwrap(),
    )
    .unwrap()
}

fn base64_url_encode(text: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(text)
}

/// A server on a loopback port with sign-in through the provider, its projector, and an ADMIN
/// token; stopped when dropped.
struct Server {
    url: String,
    state: graphql::AppState,
    admin: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    _dir: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

async fn server_with_provider() -> (Server, Provider) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let p = provider_for(&format!("{url}/auth/callback"));
    let dir = tempfile::tempdir().unwrap();
    let log = eventlog::EventLog::open(dir.path(), eventlog::Options::default()).unwrap();
    let projector = projections::runner::Projector::start(
        &log,
        projections::runner::ProjectorOptions::default(),
    )
    .unwrap();
    let oidc = Oidc::discover(OidcConfig {
        public_url: url.clone(),
        ..config(&p, "chronique")
    })
    .await
    .unwrap();
    let state = graphql::AppState::new(log, graphql::Clock::system())
        .unwrap()
        .with_projector(projector)
        .with_oidc(oidc);
    let (_, admin) = state
        .tokens
        .create(graphql::tokens::NewToken {
            role: domain::values::Role::Admin,
            programme: None,
            partner: None,
            name: "Administration".into(),
        })
        .unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(graphql::serve(listener, state.clone(), async {
        let _ = stopped.await;
    }));
    (
        Server {
            url,
            state,
            admin,
            stop: Some(stop),
            _dir: dir,
        },
        p,
    )
}

impl Browser {
    /// POST /graphql with the browser's cookies (and `csrf` in the page's header when given).
    async fn graphql(
        &mut self,
        server: &Server,
        query: &str,
        csrf: Option<&str>,
    ) -> (u16, serde_json::Value) {
        let mut request = self
            .http
            .post(format!("{}/graphql", server.url))
            .json(&serde_json::json!({"query": query}));
        if let Some(csrf) = csrf {
            request = request.header("x-chronique-csrf", csrf);
        }
        let response = self.send(request).await;
        let status = response.status().as_u16();
        (status, response.json().await.unwrap())
    }

    /// Signs in at the server as `login`: the page the server answers the callback with.
    async fn sign_in_at(&mut self, server: &Server, login: &str) -> reqwest::Response {
        let callback = format!("{}/auth/callback", server.url);
        let url = self
            .follow_to_callback(&format!("{}/auth/login", server.url), login, &callback)
            .await;
        self.last_callback = Some(url.clone());
        self.send(self.http.get(&url)).await
    }
}

async fn admin_graphql(server: &Server, query: &str) -> serde_json::Value {
    reqwest::Client::new()
        .post(format!("{}/graphql", server.url))
        .bearer_auth(&server.admin)
        .json(&serde_json::json!({"query": query}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// A WebSocket opened with the browser's cookies, `connection_init` sent with `payload`; the
/// first answer's type, then (after `then` ran) the close code the server sends.
fn websocket_until_closed(
    url: &str,
    cookie: &str,
    payload: serde_json::Value,
    ready: std::sync::mpsc::Sender<()>,
    then: std::sync::mpsc::Receiver<()>,
) -> (String, Option<u16>) {
    use tungstenite::client::IntoClientRequest;
    let mut request = format!("{}/graphql/ws", url.replacen("http://", "ws://", 1))
        .into_client_request()
        .unwrap();
    request.headers_mut().insert(
        "Sec-WebSocket-Protocol",
        "graphql-transport-ws".parse().unwrap(),
    );
    request
        .headers_mut()
        .insert("Cookie", cookie.parse().unwrap());
    let (mut socket, _) = tungstenite::connect(request).expect("WebSocket handshake");
    if let tungstenite::stream::MaybeTlsStream::Plain(stream) = socket.get_ref() {
        stream
            .set_read_timeout(Some(std::time::Duration::from_secs(10)))
            .unwrap();
    }
    socket
        .send(tungstenite::Message::Text(
            serde_json::json!({"type": "connection_init", "payload": payload})
                .to_string()
                .into(),
        ))
        .unwrap();
    let first = match socket.read() {
        Ok(tungstenite::Message::Text(text)) => serde_json::from_str::<serde_json::Value>(&text)
            .unwrap()["type"]
            .as_str()
            .unwrap()
            .to_owned(),
        Ok(tungstenite::Message::Close(frame)) => {
            return ("close".to_owned(), frame.map(|f| u16::from(f.code)));
        }
        other => panic!("{other:?}"),
    };
    // The connection is open: the test may now act on it.
    let _ = ready.send(());
    let _ = then.recv();
    loop {
        match socket.read() {
            Ok(tungstenite::Message::Close(frame)) => {
                return (first, frame.map(|f| u16::from(f.code)));
            }
            Ok(_) => continue,
            Err(_) => return (first, None),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invited_person_signs_in_and_writes_as_themselves_through_the_server() {
    let (server, _provider) = server_with_provider().await;
    admin_graphql(
        &server,
        r#"mutation { establishProgramme(input: {id: "grigny", name: "Cité éducative de Grigny", territory: ["Grigny"], qpv: ["Grande Borne"]}) { position } }"#,
    )
    .await;

    // An address nobody invited: told so in French, no session.
    let mut browser = Browser::new();
    let refused = browser.sign_in_at(&server, "eve").await;
    assert_eq!(refused.status(), 403);
    assert!(refused.headers().get("set-cookie").is_none());
    let page = refused.text().await.unwrap();
    assert!(page.contains("aucune invitation"), "{page}");

    // Alice, invited as coordinator of Grigny (by the API), signs in: a session cookie, HttpOnly.
    let invited = admin_graphql(
        &server,
        r#"mutation { invitePerson(email: "Alice.Martin@example.fr", role: COORDINATOR, programmeId: "grigny") {
            id email name signedInAt revoked roles { role programmeId partnerId pending } } }"#,
    )
    .await;
    let invited = &invited["data"]["invitePerson"];
    assert_eq!(invited["email"], "alice.martin@example.fr");
    assert_eq!(
        invited["roles"],
        serde_json::json!([{"role": "COORDINATOR", "programmeId": "grigny", "partnerId": null, "pending": true}])
    );
    assert_eq!(invited["signedInAt"], serde_json::Value::Null);
    let mut browser = Browser::new();
    let signed_in = browser.sign_in_at(&server, "alice").await;
    assert_eq!(signed_in.status(), 303);
    let cookie = signed_in
        .headers()
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        cookie.starts_with("chronique_session=")
            && cookie.contains("HttpOnly")
            && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    let session: serde_json::Value = browser
        .send(browser.http.get(format!("{}/auth/session", server.url)))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(session["email"], "alice.martin@example.fr");
    assert_eq!(session["name"], "Alice Martin");
    assert_eq!(session["roles"][0]["role"], "Coordinator");
    let csrf = session["csrf"].as_str().unwrap().to_owned();

    // She reads as herself.
    let (status, me) = browser
        .graphql(&server, "{ me { name role programmeId personId } }", None)
        .await;
    assert_eq!(status, 200, "{me}");
    assert_eq!(me["data"]["me"]["role"], "COORDINATOR");
    assert_eq!(me["data"]["me"]["programmeId"], "grigny");
    assert_eq!(me["data"]["me"]["personId"], session["personId"]);
    // A write without the page's header (a form of another site can send the cookie): refused,
    // nothing written.
    let head = server.state.log.head().position;
    let write = r#"mutation { registerPartner(programmeId: "grigny", input: {id: "asso", name: "Association Lire", kind: ASSOCIATION}) { position } }"#;
    let (status, answer) = browser.graphql(&server, write, None).await;
    assert_eq!(status, 403, "{answer}");
    assert_eq!(answer["errors"][0]["extensions"]["code"], "FORBIDDEN");
    assert_eq!(server.state.log.head().position, head);
    // With it: written, and the history names her.
    let (status, answer) = browser.graphql(&server, write, Some(&csrf)).await;
    assert_eq!(status, 200, "{answer}");
    assert!(answer.get("errors").is_none(), "{answer}");
    let timeline = admin_graphql(
        &server,
        r#"{ timeline(programmeId: "grigny", first: 1) { edges { node { kind actor } } } }"#,
    )
    .await;
    assert_eq!(
        timeline["data"]["timeline"]["edges"][0]["node"]["actor"],
        "Alice Martin (coordination)"
    );
    // The log holds her stable id and her role, never her name (envelope format 2).
    let person_id = session["personId"].as_str().unwrap();
    let written = server.state.log.get(head + 1).unwrap().unwrap();
    assert_eq!(written.actor, format!("person:{person_id}"));
    assert_eq!(written.actor_role.as_deref(), Some("COORDINATOR"));
    assert!(
        !String::from_utf8_lossy(&written.canonical_bytes()).contains("Alice"),
        "her name is outside the chained bytes"
    );
    let events = admin_graphql(
        &server,
        &format!(
            r#"{{ events(programmeId: "grigny", fromPosition: {}) {{ edges {{ node {{ actor actorId actorRole }} }} }} }}"#,
            head + 1
        ),
    )
    .await;
    assert_eq!(
        events["data"]["events"]["edges"][0]["node"],
        serde_json::json!({"actor": "Alice Martin (coordination)",
            "actorId": format!("person:{person_id}"), "actorRole": "COORDINATOR"})
    );
    let own = browser
        .graphql(
            &server,
            r#"{ timeline(programmeId: "grigny", first: 1) { edges { node { actor actorId } } } }"#,
            None,
        )
        .await
        .1;
    assert_eq!(
        own["data"]["timeline"]["edges"][0]["node"],
        serde_json::json!({"actor": "Alice Martin (coordination)", "actorId": null}),
        "a coordinator is not shown actor ids"
    );

    // The callback once more: its state served once.
    let replay = browser
        .send(browser.http.get(browser.last_callback.clone().unwrap()))
        .await;
    assert_eq!(replay.status(), 400);
    assert!(replay.text().await.unwrap().contains("déjà utilisée"));

    // Sign-out ends the session on the server.
    let out = browser
        .send(browser.http.post(format!("{}/auth/logout", server.url)))
        .await;
    assert_eq!(out.status(), 204);
    let (status, _) = browser.graphql(&server, "{ me { name } }", None).await;
    assert_eq!(status, 401);

    // Revoked, her new session ends at once, and so does her live connection.
    let mut browser = Browser::new();
    assert_eq!(browser.sign_in_at(&server, "alice").await.status(), 303);
    assert_eq!(
        browser.graphql(&server, "{ me { name } }", None).await.0,
        200
    );
    let session: serde_json::Value = browser
        .send(browser.http.get(format!("{}/auth/session", server.url)))
        .await
        .json()
        .await
        .unwrap();
    let cookie = format!("chronique_session={}", browser.cookies["chronique_session"]);
    // Without the session's value in its payload, a socket opened with the cookie is refused.
    let (_keep, never) = std::sync::mpsc::channel();
    let (unused, _) = std::sync::mpsc::channel();
    let (url, wrong) = (server.url.clone(), cookie.clone());
    let refused = tokio::task::spawn_blocking(move || {
        websocket_until_closed(&url, &wrong, serde_json::json!({}), unused, never)
    })
    .await
    .unwrap();
    assert_eq!(refused, ("close".to_owned(), Some(4403)));
    let (revoke_now, then) = std::sync::mpsc::channel();
    let (ready, opened) = std::sync::mpsc::channel();
    let (url, csrf) = (server.url.clone(), session["csrf"].clone());
    let socket = tokio::task::spawn_blocking(move || {
        websocket_until_closed(
            &url,
            &cookie,
            serde_json::json!({"csrf": csrf}),
            ready,
            then,
        )
    });
    // Revoked only once her connection is open (on a loaded machine the socket's thread may
    // start after the next request).
    tokio::task::spawn_blocking(move || opened.recv_timeout(std::time::Duration::from_secs(30)))
        .await
        .unwrap()
        .expect("her live connection opens");
    let people = admin_graphql(
        &server,
        "{ people { id email name signedInAt roles { pending } } }",
    )
    .await;
    let listed = &people["data"]["people"][0];
    assert_eq!(listed["id"], session["personId"]);
    assert_eq!(listed["name"], "Alice Martin");
    assert_eq!(listed["roles"][0]["pending"], false);
    assert!(listed["signedInAt"].is_string());
    let revoked = admin_graphql(
        &server,
        &format!(
            r#"mutation {{ revokePerson(id: "{}") {{ revoked }} }}"#,
            listed["id"].as_str().unwrap()
        ),
    )
    .await;
    assert_eq!(revoked["data"]["revokePerson"]["revoked"], true);
    revoke_now.send(()).unwrap();
    let (first, closed) = socket.await.unwrap();
    assert_eq!(first, "connection_ack");
    assert_eq!(
        closed,
        Some(4403),
        "the live connection of a revoked person ends"
    );
    assert_eq!(
        browser.graphql(&server, "{ me { name } }", None).await.0,
        401
    );
    let again = browser.sign_in_at(&server, "alice").await;
    assert_eq!(again.status(), 403);
    assert!(again.text().await.unwrap().contains("retiré"));
}
