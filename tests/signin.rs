//! People sign in as themselves, in headless Chromium: `chronique serve` configured with a real
//! OpenID Connect provider (the `oidc-provider` package of `tests/oidc-provider/`, on a loopback
//! port), an invitation made with `chronique person invite` on the stopped store; then « Se
//! connecter avec votre compte professionnel », the provider's own login and consent pages, and
//! back in Chronique as the invited person, in the role of the invitation; sign-out; and an
//! address nobody invited, told so in French.

mod common;
#[path = "browser/webdriver.rs"]
mod webdriver;

use common::*;
use serde_json::{Value, json};
use std::path::PathBuf;
use webdriver::{Browser, screenshot_dir};

#[path = "oidc-provider/launch.rs"]
mod launch;

/// The provider of `tests/oidc-provider/`, sending people back to `redirect`.
fn provider(redirect: &str) -> launch::Provider {
    let users = json!({
        "alice": {"email": "alice.martin@example.fr", "email_verified": true, "given_name": "Alice", "usual_name": "Martin"},
        "eve": {"email": "eve@example.fr", "email_verified": true, "given_name": "Eve", "usual_name": "Inconnue"},
        "bob": {"email": "bob.durand@example.fr", "email_verified": true, "given_name": "Bob", "usual_name": "Durand"},
    });
    launch::start(
        &PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/oidc-provider"),
        redirect,
        &users,
    )
}

/// Signs in through the provider's pages as `login`, from Chronique's sign-in screen.
fn sign_in(browser: &Browser, app: &TestApp, login: &str) {
    browser.goto(&app.url("/"));
    browser.wait_js(
        "the provider's button",
        "return !document.getElementById('signin-oidc').hidden;",
    );
    browser.click_css("[data-testid=signin-oidc]");
    let field = browser.find("input[name=login]");
    browser.type_into(&field, login);
    let password = browser.find("input[name=password]");
    browser.type_into(&password, "mot-de-passe");
    browser.click_css("button[type=submit]");
    // The consent page of the provider.
    browser.wait_js(
        "the provider's consent page",
        "return document.querySelector('input[name=prompt]')?.value === 'consent';",
    );
    browser.click_css("button[type=submit]");
}

#[test]
fn an_invited_person_signs_in_through_the_provider_and_an_uninvited_one_is_refused() {
    let shots = screenshot_dir("connexion");
    let browser = Browser::start();
    let port = free_port();
    let public = format!("http://127.0.0.1:{port}");
    let p = provider(&format!("{public}/auth/callback"));
    let dir = tempfile::tempdir().unwrap();
    let admin = create_token(dir.path(), "ADMIN", None, None);
    let invited = chronique(&[
        "person",
        "invite",
        "--data-dir",
        dir.path().to_str().unwrap(),
        "--email",
        "alice.martin@example.fr",
        "--role",
        "coordinator",
        "--programme",
        "grigny",
    ]);
    assert!(invited.status.success(), "{}", stderr(&invited));
    // She is also the programme's pilot: two roles, chosen on the page.
    let invited = chronique(&[
        "person",
        "invite",
        "--data-dir",
        dir.path().to_str().unwrap(),
        "--email",
        "alice.martin@example.fr",
        "--role",
        "pilot",
        "--programme",
        "grigny",
    ]);
    assert!(invited.status.success(), "{}", stderr(&invited));
    let app = spawn_listening(
        &[
            "serve",
            "--oidc-issuer",
            &p.issuer,
            "--oidc-client-id",
            "chronique",
            "--oidc-client-secret",
            "secret-de-test",
            "--public-url",
            &public,
        ],
        dir.path(),
        &format!("127.0.0.1:{port}"),
    );
    app.ok(
        &admin,
        r#"mutation { establishProgramme(input: {id: "grigny", name: "Cité éducative de Grigny", territory: ["Grigny"], qpv: ["Grande Borne"]}) { position } }"#,
        json!({}),
    );

    // Alice: the provider's pages, then Chronique in her role.
    sign_in(&browser, &app, "alice");
    let viewer = browser.wait_js(
        "Alice signed in",
        "const v = document.querySelector('[data-testid=viewer]'); return v && v.textContent ? v.textContent : null;",
    );
    assert_eq!(viewer, json!("Alice Martin (coordination)"));
    browser.wait_js(
        "the programme's name",
        "return document.querySelector('[data-testid=programme-name]').textContent === 'Cité éducative de Grigny';",
    );
    browser.screenshot(&shots.join("01-connectee.png"));
    // Her session cookie is not readable by the page's scripts.
    assert_eq!(
        browser.js(
            "return document.cookie.includes('chronique_session');",
            vec![]
        ),
        Value::Bool(false)
    );
    // She writes through the page's forms, as herself.
    browser.goto(&app.url("/#/parametres"));
    browser.find("[data-testid=settings-commands]");
    let head = app.head(&admin);
    let written = browser.js(
        "return fetch('/graphql', {method: 'POST', headers: {'Content-Type': 'application/json'}, \
         body: JSON.stringify({query: 'mutation { registerPartner(programmeId: \"grigny\", input: {id: \"asso\", name: \"Association Lire\", kind: ASSOCIATION}) { position } }'})})\
         .then(r => r.status);",
        vec![],
    );
    assert_eq!(
        written,
        json!(403),
        "a write without the page's header is refused"
    );
    assert_eq!(app.head(&admin), head);

    // As the pilot (her second role), she manages the programme's people on the page.
    browser.wait_js(
        "the choice of roles",
        "return !document.getElementById('role-select').hidden;",
    );
    browser.choose("#role-select", "1");
    browser.wait_js(
        "Alice as pilot",
        "return document.querySelector('[data-testid=viewer]')?.textContent === 'Alice Martin (pilotage (troïka, COPIL))';",
    );
    browser.goto(&app.url("/#/parametres"));
    browser.find("[data-testid=settings-people]");
    for role in ["OBSERVER", "EVALUATOR"] {
        browser.click_css("[data-testid=command-invitePerson]");
        let email = browser.find("#f-invitePerson-email");
        browser.type_into(&email, "Bob.Durand@example.fr");
        browser.choose("#f-invitePerson-role", role);
        browser.click_css("[data-testid=form-submit]");
        browser.wait_js(
            "the invitation in the table",
            &format!(
                "const t = document.querySelector('[data-testid=settings-people]'); \
                 return t && t.innerText.includes('bob.durand@example.fr') && \
                 document.querySelector('[data-testid^=remove-role-][data-testid$=-{role}]') !== null;"
            ),
        );
    }
    let row = browser.wait_js(
        "Bob's row",
        "const r = [...document.querySelectorAll('[data-testid=settings-people] tr')].find(r => r.innerText.includes('bob.durand')); return r ? r.innerText : null;",
    );
    assert!(
        row.as_str().unwrap().contains("invitation en attente"),
        "{row}"
    );
    browser.screenshot(&shots.join("03-personnes.png"));
    let bob = browser.js(
        "return [...document.querySelectorAll('[data-testid=settings-people] tr')].find(r => r.innerText.includes('bob.durand')).dataset.personId;",
        vec![],
    );
    let bob = bob.as_str().unwrap().to_owned();
    // One role removed: the other stays.
    browser.click_css(&format!("[data-testid=remove-role-{bob}-OBSERVER]"));
    browser.find("[data-testid=form-removeRole]");
    browser.click_css("[data-testid=form-submit]");
    browser.wait_js(
        "the role removed",
        "return document.querySelector('[data-testid^=remove-role-][data-testid$=-OBSERVER]') === null \
         && document.querySelector('[data-testid^=remove-role-][data-testid$=-EVALUATOR]') !== null;",
    );
    // Then his access.
    browser.click_css(&format!("[data-testid=revoke-person-{bob}]"));
    browser.find("[data-testid=form-revokePerson]");
    browser.click_css("[data-testid=form-submit]");
    let row = browser.wait_js(
        "Bob revoked",
        "const r = [...document.querySelectorAll('[data-testid=settings-people] tr')].find(r => r.innerText.includes('bob.durand')); \
         return r && r.innerText.includes('retiré') ? r.innerText : null;",
    );
    assert!(!row.as_str().unwrap().contains("Observateur"), "{row}");
    let people = app.ok(
        &admin,
        "{ people { email revoked roles { role pending } } }",
        json!({}),
    );
    let bob = people["people"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["email"] == "bob.durand@example.fr")
        .unwrap()
        .clone();
    assert_eq!(
        bob,
        json!({"email": "bob.durand@example.fr", "revoked": true,
            "roles": [{"role": "EVALUATOR", "pending": true}]})
    );

    // Sign-out: the sign-in screen, and the session is over on the server.
    browser.click_css("[data-testid=signout]");
    browser.find("[data-testid=signin-oidc]");
    let signed_in = browser.js(
        "return fetch('/auth/session').then(r => r.json()).then(b => b.signedIn);",
        vec![],
    );
    assert_eq!(signed_in, json!(false));

    // Eve was never invited (on the same computer: the provider's own session is forgotten).
    browser.cdp("Network.clearBrowserCookies", json!({}));
    sign_in(&browser, &app, "eve");
    let refused = browser.wait_js(
        "the refusal",
        "const p = document.querySelector('[data-testid=signin-refused]'); return p ? p.textContent : null;",
    );
    assert!(
        refused.as_str().unwrap().contains("aucune invitation"),
        "{refused}"
    );
    browser.screenshot(&shots.join("02-refusee.png"));
}
