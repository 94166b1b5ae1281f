//! The page as the workspace of the people who keep the register (issue « Saisie »), in headless
//! Chromium over WebDriver, against `chronique serve` on an empty store.
//!
//! One walk, in one browser (Chromium is slow to start on two busy cores), enters a whole year
//! through the page only, each step by the role who does it in real life: the pilot sets the
//! programme up (« Paramètres »), the coordinator registers a partner and schedules the séances,
//! a porteur proposes an action (a request above the cap: the warning shows), the coordinator
//! asks for complements and the porteur provides them from its « À faire », the COTECH is held
//! and gives its opinion, the COPIL's relevé of three actions is recorded in one screen (first
//! with a failing row: its reason shows and nothing is written), the pilot awards the grant, the
//! coordinator records an advance (a payment above the grant is refused next to the amount; a
//! response lost on the network, then a reload and a resubmit, write once) and a balance (a
//! double click writes once), the porteur starts, completes and files the final report with its
//! beneficiaries, the evaluator evaluates (the only control it sees), the coordinator closes.
//! After each step the fiche shows the status the API gives; at the end the budget and the
//! timeline show the API's figures. Then: two tabs editing one action (the second gets the
//! French conflict message and keeps what was typed), an observer sees no write control
//! anywhere, a porteur none on another partner's action, and a proposal made with the keyboard
//! alone. Screenshots of the forms, filled and in error, are left in
//! `target/browser-screenshots/saisie/`.

mod common;
#[path = "browser/webdriver.rs"]
mod webdriver;

use common::*;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Instant;
use webdriver::{Browser, keys, screenshot_dir};

const P: &str = "grigny";

struct Desk {
    app: TestApp,
    browser: Browser,
    admin: String,
    tokens: HashMap<&'static str, String>,
    shots: PathBuf,
    started: Instant,
    step: Instant,
}

impl Desk {
    fn api(&self, role: &str, query: &str, variables: Value) -> Value {
        self.app.ok(self.token(role), query, variables)
    }

    fn token(&self, role: &str) -> &str {
        if role == "ADMIN" {
            return &self.admin;
        }
        self.tokens
            .get(role)
            .unwrap_or_else(|| panic!("no token for {role}"))
    }

    fn head(&self) -> u64 {
        self.app.head(&self.admin)
    }

    fn js(&self, script: &str) -> Value {
        self.browser.js(script, vec![])
    }

    fn shot(&mut self, name: &str) {
        let path = self.shots.join(format!("{name}.png"));
        self.browser.screenshot(&path);
        eprintln!(
            "saisie: {name} in {:.1} s ({:.1} s since the start)",
            self.step.elapsed().as_secs_f64(),
            self.started.elapsed().as_secs_f64(),
        );
        self.step = Instant::now();
    }

    /// Signs in with the token of `role` (signing out first if someone is signed in).
    fn sign_in(&self, role: &str) {
        if self.js("return !document.getElementById('user-tools').hidden;") == json!(true) {
            self.browser.click_css("[data-testid=signout]");
        }
        let field = self.browser.find("#token");
        self.browser.type_into(&field, self.token(role));
        self.browser.click_css("[data-testid=signin-submit]");
        self.browser.wait(&format!("{role} to be signed in"), || {
            (self.js("return !document.getElementById('user-tools').hidden;") == json!(true)
                && self.view_ready())
            .then_some(())
        });
    }

    fn view_ready(&self) -> bool {
        self.js(
            "return !document.getElementById('main').hasAttribute('aria-busy') && !!document.getElementById('view-title');",
        ) == json!(true)
    }

    /// Goes to `#route` and waits for `css` to be shown there.
    fn go(&self, route: &str, css: &str) {
        self.browser
            .js("location.hash = arguments[0];", vec![json!(route)]);
        self.browser.wait(&format!("{route} to show {css}"), || {
            (self.view_ready() && self.browser.try_find(css).is_some()).then_some(())
        });
    }

    /// Opens the form of `command` from its button.
    fn open(&self, command: &str) {
        self.browser
            .click_css(&format!("[data-testid=command-{command}]"));
        self.browser.find(&format!("[data-testid=form-{command}]"));
    }

    /// Types `text` into the field `field` of the form `form`, replacing what it held.
    fn fill(&self, form: &str, field: &str, text: &str) {
        self.set(&format!("#f-{form}-{field}"), text);
    }

    /// Types `text` into the control `css`, replacing what it held.
    fn set(&self, css: &str, text: &str) {
        let element = self.browser.find(css);
        self.browser.js(
            "document.querySelector(arguments[0]).value = '';",
            vec![json!(css)],
        );
        self.browser.type_into(&element, text);
    }

    fn choose(&self, css: &str, value: &str) {
        self.browser.choose(css, value);
    }

    fn pick(&self, form: &str, field: &str, value: &str) {
        self.choose(&format!("#f-{form}-{field}"), value);
    }

    /// Sends the open form and waits for the confirmation of the new state.
    fn submit(&self) -> String {
        self.browser.click_css("[data-testid=form-submit]");
        self.confirmation()
    }

    fn confirmation(&self) -> String {
        // One script finds and reads, since the view may be drawn again meanwhile.
        let probe = "const shown = (t) => [...document.querySelectorAll(`[data-testid=${t}]`)].find(e => e.getClientRects().length > 0); \
                     const errors = shown('form-errors'); if (errors) return {refused: errors.innerText}; \
                     const done = shown('form-confirmation'); return done ? {done: done.innerText} : null;";
        let found = self.browser.wait("the confirmation of the write", || {
            let value = self.js(probe);
            (!value.is_null()).then_some(value)
        });
        if let Some(refused) = found["refused"].as_str() {
            panic!("the form was refused: {refused}");
        }
        found["done"].as_str().unwrap().to_owned()
    }

    /// Sends the open form and waits for its errors; returns the summary's text.
    fn submit_refused(&self) -> String {
        self.browser.click_css("[data-testid=form-submit]");
        let summary = self.browser.find("[data-testid=form-errors]");
        // The summary takes the focus, so that a screen reader reads it at once.
        assert_eq!(
            self.js("return document.activeElement?.dataset.testid ?? null;"),
            json!("form-errors")
        );
        self.browser
            .js_on("return arguments[0].innerText;", &[&summary])
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// The error shown next to `field` of `form`, tied to its control by aria-describedby.
    fn field_error(&self, form: &str, field: &str) -> String {
        let error = self.browser.find(&format!(
            "[data-testid=form-{form}] [data-field={field}] [data-testid=error-{field}]"
        ));
        let tied = self.browser.js(
            "const box = document.querySelector(arguments[0]); const err = box.querySelector('.field-error'); \
             return [...box.querySelectorAll('input, select, textarea')].every(c => (c.getAttribute('aria-describedby') || '').split(' ').includes(err.id) && c.getAttribute('aria-invalid') === 'true');",
            vec![json!(format!("[data-testid=form-{form}] [data-field={field}]"))],
        );
        assert_eq!(tied, json!(true), "the error of {field} is not tied to it");
        self.browser
            .js_on("return arguments[0].textContent;", &[&error])
            .as_str()
            .unwrap()
            .to_owned()
    }

    fn action(&self, id: &str) -> Value {
        self.api(
            "COORDINATOR",
            "query($p: ID!, $id: ID!) { action(programmeId: $p, id: $id) { id reference status version
               money { funder { id } requested proposed retained granted paid } payments { id amount cancelled } reports { kind } } }",
            json!({"p": P, "id": id}),
        )["action"]
            .clone()
    }

    /// The fiche of `id` shows the status the API gives.
    fn check_status(&self, id: &str, expected: &str) {
        let api = self.action(id);
        assert_eq!(api["status"], expected, "the API's status of {id}");
        self.go(&format!("#/action/{id}"), "[data-testid=action-status]");
        let shown =
            self.js("return document.querySelector('[data-testid=action-status]').dataset.status;");
        assert_eq!(shown, json!(expected), "the fiche of {id}");
    }

    fn download(&self, name: &str) -> Vec<u8> {
        self.browser.download(name)
    }

    /// The command buttons the view shows, in order.
    fn buttons(&self) -> Vec<String> {
        self.js("return [...document.querySelectorAll('[data-testid^=\"command-\"]')].map(b => b.dataset.testid.slice(8));")
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_owned())
            .collect()
    }
}

fn setup() -> (tempfile::TempDir, Desk) {
    let started = Instant::now();
    let browser = Browser::start();
    let dir = tempfile::tempdir().unwrap();
    let admin = create_token(dir.path(), "ADMIN", None, None);
    let app = spawn_app(dir.path());
    let desk = Desk {
        app,
        browser,
        admin,
        tokens: HashMap::new(),
        shots: screenshot_dir("saisie"),
        started,
        step: Instant::now(),
    };
    desk.browser.goto(&desk.app.url("/"));
    (dir, desk)
}

const PROPOSE_API: &str = "mutation($id: ID!, $holder: ID!, $amount: Cents!) {
    proposeAction(programmeId: \"grigny\", input: {id: $id, title: \"Atelier\", summary: \"Un atelier.\",
        holderId: $holder, axis: \"A1\", publics: [CHILDREN], periodStart: \"2026-02-01\",
        periodEnd: \"2026-11-30\", year: 2026, totalCost: 1000000,
        requested: [{funderId: \"etat\", amount: $amount}]}, options: {effectiveOn: \"2026-01-20\"}) { position } }";

#[test]
fn the_register_is_kept_through_the_page() {
    let (_dir, mut desk) = setup();
    eprintln!(
        "saisie: server and Chromium started in {:.1} s",
        desk.started.elapsed().as_secs_f64()
    );

    // ------------------------------------------------ an ADMIN establishes the cité's programme
    desk.sign_in("ADMIN");
    desk.browser.find("[data-testid=form-establishProgramme]");
    desk.fill("establishProgramme", "id", P);
    desk.fill("establishProgramme", "name", "Cité éducative de Grigny");
    desk.fill("establishProgramme", "territory", "Grigny");
    desk.fill("establishProgramme", "effectiveOn", "05/01/2026");
    desk.submit();
    assert_eq!(
        desk.js("return document.getElementById('programme-name').textContent;"),
        json!("Cité éducative de Grigny")
    );
    for role in ["PILOT", "COORDINATOR", "EVALUATOR", "OBSERVER"] {
        let token = desk.app.new_token(&desk.admin, role, Some(P), None, role);
        desk.tokens.insert(role, token);
    }

    // ------------------------------------------------ the pilot sets the programme up
    desk.sign_in("PILOT");
    desk.go("#/parametres", "[data-testid=settings-commands]");
    desk.open("defineAxis");
    desk.fill("defineAxis", "code", "A1");
    desk.fill("defineAxis", "title", "Réussite éducative");
    desk.pick("defineAxis", "objective", "SCHOOL_ROLE");
    desk.fill("defineAxis", "effectiveOn", "05/01/2026");
    desk.shot("01-axe-rempli");
    desk.submit();
    desk.open("registerFunder");
    desk.fill("registerFunder", "id", "etat");
    desk.fill("registerFunder", "name", "État");
    desk.pick("registerFunder", "kind", "STATE");
    desk.fill("registerFunder", "effectiveOn", "05/01/2026");
    desk.submit();
    desk.open("notifyEnvelope");
    desk.pick("notifyEnvelope", "year", "2026");
    desk.fill("notifyEnvelope", "amount", "100 000");
    desk.fill("notifyEnvelope", "effectiveOn", "05/01/2026");
    desk.shot("02-enveloppe-remplie");
    desk.submit();
    let programme = desk.api(
        "PILOT",
        "query { programme(id: \"grigny\") { axes { code } funders { id } envelopes { year amount } } }",
        json!({}),
    )["programme"]
        .clone();
    assert_eq!(programme["axes"], json!([{"code": "A1"}]));
    assert_eq!(
        programme["envelopes"],
        json!([{"year": 2026, "amount": 10_000_000}])
    );
    let settings =
        desk.js("return document.querySelector('[data-testid=settings-envelopes]').innerText;");
    assert!(
        settings
            .as_str()
            .unwrap()
            .contains("100\u{202F}000,00\u{A0}€"),
        "{settings}"
    );

    // ------------------------------------------------ the coordinator: partners, séances
    desk.sign_in("COORDINATOR");
    desk.go("#/parametres", "[data-testid=settings-commands]");
    assert!(
        !desk.buttons().contains(&"defineAxis".to_owned()),
        "a coordinator is offered defineAxis"
    );
    desk.open("registerPartner");
    desk.fill("registerPartner", "id", "asso");
    desk.fill("registerPartner", "name", "Association Lire");
    desk.pick("registerPartner", "kind", "ASSOCIATION");
    desk.pick("registerPartner", "legalForm", "ASSOCIATION");
    desk.fill("registerPartner", "effectiveOn", "05/01/2026");
    desk.submit();
    desk.api(
        "COORDINATOR",
        r#"mutation { registerPartner(programmeId: "grigny", input: {id: "autre", name: "Club Autre", kind: SPORT, legalForm: ASSOCIATION}, options: {effectiveOn: "2026-01-05"}) { position } }"#,
        json!({}),
    );
    for (body, date, title) in [
        ("COTECH", "10/02/2026", "COTECH de février"),
        ("COPIL", "14/03/2026", "COPIL de mars"),
    ] {
        desk.open("scheduleSession");
        desk.pick("scheduleSession", "body", body);
        desk.fill("scheduleSession", "date", date);
        desk.fill("scheduleSession", "title", title);
        desk.submit();
    }
    let sessions = desk.api(
        "COORDINATOR",
        "query { sessions(programmeId: \"grigny\") { id body date } }",
        json!({}),
    )["sessions"]
        .clone();
    let session_of = |body: &str| {
        sessions
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["body"] == body)
            .unwrap_or_else(|| panic!("no {body} in {sessions}"))["id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let (cotech, copil) = (session_of("COTECH"), session_of("COPIL"));
    // Both séances are past and not recorded: the coordinator's home says so, with their links.
    desk.go("#/", "[data-testid=todo]");
    let waiting = desk.js(
        "return [...document.querySelectorAll('[data-testid=todo-item]')].map(e => e.dataset.kind);",
    );
    assert_eq!(waiting, json!(["session-to-record", "session-to-record"]));
    let porteur = desk.app.new_token(
        &desk.admin,
        "PORTEUR",
        Some(P),
        Some("asso"),
        "Association Lire",
    );
    let other = desk
        .app
        .new_token(&desk.admin, "PORTEUR", Some(P), Some("autre"), "Club Autre");
    desk.tokens.insert("PORTEUR", porteur);
    desk.tokens.insert("PORTEUR_AUTRE", other);
    for (id, amount) in [("a2", 500_000), ("a3", 300_000)] {
        desk.api(
            "COORDINATOR",
            PROPOSE_API,
            json!({"id": id, "holder": "autre", "amount": amount}),
        );
    }

    // ------------------------------------------------ a porteur proposes (above the cap)
    desk.sign_in("PORTEUR");
    desk.go("#/proposer", "[data-testid=form-proposeAction]");
    desk.fill("proposeAction", "title", "Lire en famille");
    desk.fill(
        "proposeAction",
        "summary",
        "Ateliers de lecture pour les enfants et leurs parents.",
    );
    desk.browser.click_css("#f-proposeAction-publics-CHILDREN");
    desk.pick("proposeAction", "year", "2026");
    desk.fill("proposeAction", "periodStart", "06/01/2026");
    desk.fill("proposeAction", "periodEnd", "30/11/2026");
    desk.fill("proposeAction", "totalCost", "10 000");
    desk.fill("proposeAction", "requested-etat", "9 000,00 €");
    desk.fill("proposeAction", "effectiveOn", "15/01/2026");
    desk.shot("03-proposition-remplie");
    let confirmation = desk.submit();
    assert!(
        desk.browser
            .try_find("[data-testid=form-warning][data-code=request_above_cap]")
            .is_some(),
        "the cap's warning is not shown: {confirmation}"
    );
    desk.shot("04-proposition-avertissement");
    let a1 = desk.js("return decodeURIComponent(location.hash.split('/')[2]);");
    let a1 = a1.as_str().unwrap().to_owned();
    let proposed = desk.action(&a1);
    assert_eq!(proposed["money"][0]["requested"], 900_000);
    desk.check_status(&a1, "PROPOSED");

    // ------------------------------------------------ complements asked, then provided
    desk.sign_in("COORDINATOR");
    desk.go(&format!("#/action/{a1}"), "[data-testid=action-commands]");
    desk.open("requestComplements");
    desk.fill(
        "requestComplements",
        "items",
        "Budget détaillé\nCalendrier des ateliers",
    );
    desk.fill("requestComplements", "effectiveOn", "20/01/2026");
    desk.submit();
    desk.check_status(&a1, "COMPLEMENTS_REQUESTED");

    desk.sign_in("PORTEUR");
    desk.go("#/", "[data-testid=todo]");
    desk.browser
        .click_css("[data-testid=todo-item][data-kind=complements] a");
    desk.browser.find("[data-testid=form-provideComplements]");
    desk.fill("provideComplements", "note", "Budget et calendrier joints.");
    desk.fill("provideComplements", "effectiveOn", "25/01/2026");
    desk.submit();
    desk.check_status(&a1, "PROPOSED");

    // ------------------------------------------------ the COTECH is held and gives its opinion
    desk.sign_in("COORDINATOR");
    desk.go(
        &format!("#/session/{cotech}"),
        "[data-testid=session-commands]",
    );
    desk.open("recordSessionHeld");
    desk.fill(
        "recordSessionHeld",
        "present",
        "Ville de Grigny\nPréfecture",
    );
    desk.submit();
    desk.browser
        .click_css(&format!("[data-testid=opinion-{a1}]"));
    desk.browser.find("[data-testid=form-giveOpinion]");
    desk.pick("giveOpinion", "opinion", "FAVOURABLE");
    desk.fill("giveOpinion", "proposed-etat", "8 000");
    desk.fill("giveOpinion", "comment", "Projet solide.");
    desk.shot("05-avis-rempli");
    desk.submit();
    assert_eq!(desk.action(&a1)["money"][0]["proposed"], 800_000);
    for id in ["a2", "a3"] {
        desk.api(
            "COORDINATOR",
            "mutation($a: ID!, $s: ID!) { giveOpinion(programmeId: \"grigny\", actionId: $a, sessionId: $s, opinion: RESERVED) { position } }",
            json!({"a": id, "s": cotech}),
        );
    }

    // ------------------------------------------------ the COPIL's relevé, three actions at once
    desk.sign_in("PILOT");
    desk.go(
        &format!("#/session/{copil}"),
        "[data-testid=session-commands]",
    );
    desk.open("recordSessionHeld");
    desk.submit();
    desk.browser.find("[data-testid=releve-form]");
    let rows = desk.js("return document.querySelectorAll('[data-testid=releve-row]').length;");
    assert_eq!(rows, json!(3));
    // Prefilled from the opinion for a1, from the request for the others.
    let prefilled = desk.js(&format!(
        "return document.querySelector('[data-testid=releve-amount-{a1}-etat]').value;"
    ));
    assert_eq!(prefilled, json!("8\u{202F}000"));
    let before = desk.head();
    desk.set("[data-testid=releve-amount-a2-etat]", "9 999");
    desk.choose("[data-testid=releve-outcome-a3]", "REJECTED");
    desk.set(
        "[data-testid=releve-reason-a3]",
        "Hors du champ de la cité éducative.",
    );
    desk.browser.click_css("[data-testid=releve-submit]");
    let row_error = desk
        .browser
        .find("[data-action-id=a2] [data-testid=releve-error]");
    let message = desk
        .browser
        .js_on("return arguments[0].textContent;", &[&row_error]);
    assert!(
        message.as_str().unwrap().contains("5\u{202F}000,00"),
        "the failing row's reason: {message}"
    );
    let shown_errors = desk.js(
        "return [...document.querySelectorAll('[data-testid=releve-error]')].filter(e => !e.hidden).length;",
    );
    assert_eq!(
        shown_errors,
        json!(1),
        "only the failing row shows an error"
    );
    assert_eq!(desk.head(), before, "a refused relevé wrote something");
    desk.shot("06-releve-ligne-refusee");
    desk.set("[data-testid=releve-amount-a2-etat]", "5 000");
    desk.browser.click_css("[data-testid=releve-submit]");
    desk.confirmation();
    desk.check_status(&a1, "RETAINED");
    desk.check_status("a2", "RETAINED");
    desk.check_status("a3", "REJECTED");
    assert_eq!(desk.action(&a1)["money"][0]["retained"], 800_000);

    // ------------------------------------------------ the pilot awards the grant
    desk.go(&format!("#/action/{a1}"), "[data-testid=action-commands]");
    desk.open("awardGrant");
    assert_eq!(
        desk.js("return document.getElementById('f-awardGrant-amount').value;"),
        json!("8\u{202F}000")
    );
    desk.pick("awardGrant", "actKind", "ARRETE");
    desk.fill("awardGrant", "actReference", "Arrêté 2026-41");
    desk.fill("awardGrant", "signedOn", "01/04/2026");
    desk.shot("07-attribution-remplie");
    desk.submit();
    desk.check_status(&a1, "FUNDED");

    // ------------------------------------------------ payments: refused, lost, doubled
    desk.sign_in("COORDINATOR");
    desk.go(&format!("#/action/{a1}"), "[data-testid=action-commands]");
    desk.open("recordPayment");
    desk.fill("recordPayment", "amount", "9 000");
    desk.pick("recordPayment", "kind", "ADVANCE");
    desk.fill("recordPayment", "paidOn", "15/04/2026");
    let before = desk.head();
    let summary = desk.submit_refused();
    let error = desk.field_error("recordPayment", "amount");
    assert!(
        error.contains("8\u{202F}000,00") && summary.contains(&error),
        "payment_exceeds_granted next to the amount: {error} / {summary}"
    );
    assert_eq!(desk.head(), before, "a refused payment wrote something");
    desk.shot("08-versement-refuse");
    // The answer is lost on the way back: the write happened, the page does not know it.
    desk.fill("recordPayment", "amount", "4 000");
    desk.js(
        "const real = window.fetch; window.fetch = async (...args) => { await real(...args); window.fetch = real; throw new TypeError('lost'); };",
    );
    desk.browser.click_css("[data-testid=form-submit]");
    desk.browser.wait("the network error", || {
        desk.browser
            .try_find("[data-testid=form-errors]")
            .filter(|e| {
                desk.browser
                    .js_on("return arguments[0].innerText;", &[e])
                    .as_str()
                    .unwrap()
                    .contains("ne répond pas")
            })
    });
    let after_first = desk.head();
    assert_eq!(after_first, before + 1, "the lost answer's write");
    // A reload, then the same form sent again: its draft kept the commandId, nothing more is written.
    desk.browser.goto(&format!(
        "{}?reloaded#/action/{a1}/recordPayment",
        desk.app.url("/")
    ));
    desk.browser.find("[data-testid=form-recordPayment]");
    assert_eq!(
        desk.js("return document.getElementById('f-recordPayment-amount').value;"),
        json!("4 000"),
        "the draft's values"
    );
    desk.submit();
    assert_eq!(
        desk.head(),
        after_first,
        "a resubmit after a reload wrote again"
    );
    assert_eq!(desk.action(&a1)["payments"].as_array().unwrap().len(), 1);

    // ------------------------------------------------ the porteur starts the action
    desk.sign_in("PORTEUR");
    desk.go(&format!("#/action/{a1}"), "[data-testid=action-commands]");
    desk.open("startAction");
    desk.fill("startAction", "startedOn", "20/04/2026");
    desk.submit();
    desk.check_status(&a1, "IN_PROGRESS");

    // A double click on a balance writes one payment.
    desk.sign_in("COORDINATOR");
    desk.go(&format!("#/action/{a1}"), "[data-testid=action-commands]");
    desk.open("recordPayment");
    desk.fill("recordPayment", "amount", "4 000");
    desk.pick("recordPayment", "kind", "BALANCE");
    desk.fill("recordPayment", "paidOn", "30/06/2026");
    let before = desk.head();
    desk.js("const b = document.querySelector('[data-testid=form-submit]'); b.click(); b.click();");
    desk.confirmation();
    assert_eq!(desk.head(), before + 1, "a double click wrote twice");
    assert_eq!(desk.action(&a1)["payments"].as_array().unwrap().len(), 2);

    // ------------------------------------------------ completed, then the final report
    desk.sign_in("PORTEUR");
    desk.go(&format!("#/action/{a1}"), "[data-testid=action-commands]");
    desk.open("completeAction");
    desk.fill("completeAction", "completedOn", "30/11/2026");
    desk.submit();
    desk.check_status(&a1, "COMPLETED");
    desk.open("submitReport");
    desk.pick("submitReport", "kind", "FINAL");
    desk.fill("submitReport", "spent", "8 000");
    desk.fill(
        "submitReport",
        "summary",
        "Douze ateliers, quarante familles.",
    );
    desk.choose("#f-submitReport-beneficiaries-1-ageBand", "AGE_6_10");
    desk.choose("#f-submitReport-beneficiaries-1-sex", "FEMALE");
    desk.browser
        .click_css("#f-submitReport-beneficiaries-1-qpv");
    desk.fill("submitReport", "beneficiaries-1-count", "12");
    desk.browser.click_css("[data-testid=beneficiary-add]");
    desk.choose("#f-submitReport-beneficiaries-2-ageBand", "AGE_6_10");
    desk.choose("#f-submitReport-beneficiaries-2-sex", "MALE");
    desk.fill("submitReport", "beneficiaries-2-count", "14");
    desk.fill("submitReport", "effectiveOn", "01/12/2026");
    desk.shot("09-bilan-rempli");
    desk.submit();
    desk.check_status(&a1, "REPORTED");
    let report = desk.api(
        "PORTEUR",
        "query($p: ID!, $id: ID!) { action(programmeId: $p, id: $id) { reports { kind beneficiaries { sex qpvResident count } } } }",
        json!({"p": P, "id": a1}),
    );
    assert_eq!(
        report["action"]["reports"],
        json!([{"kind": "FINAL", "beneficiaries": [
            {"sex": "FEMALE", "qpvResident": true, "count": 12},
            {"sex": "MALE", "qpvResident": false, "count": 14}]}])
    );

    // ------------------------------------------------ the evaluator evaluates, the coordinator closes
    desk.sign_in("EVALUATOR");
    desk.go(&format!("#/action/{a1}"), "[data-testid=action-commands]");
    assert_eq!(desk.buttons(), vec!["evaluateAction".to_owned()]);
    desk.open("evaluateAction");
    desk.pick("evaluateAction", "rating", "ACHIEVED");
    desk.fill(
        "evaluateAction",
        "findings",
        "Objectifs atteints, familles fidèles.",
    );
    desk.pick("evaluateAction", "recommendation", "RENEW");
    desk.fill("evaluateAction", "effectiveOn", "03/12/2026");
    desk.submit();
    desk.check_status(&a1, "EVALUATED");

    desk.sign_in("COORDINATOR");
    desk.go(&format!("#/action/{a1}"), "[data-testid=action-commands]");
    desk.open("closeAction");
    desk.fill("closeAction", "effectiveOn", "04/12/2026");
    desk.submit();
    desk.check_status(&a1, "CLOSED");

    // The revue de projet of the year: the coordinator writes a section from the « Pilotage »
    // page, which shows it at once, with the figures the register gives.
    desk.go("#/pilotage/revue/2026", "[data-testid=review-commands]");
    assert_eq!(desk.buttons(), vec!["writeReviewSection".to_owned()]);
    desk.open("writeReviewSection");
    desk.pick("writeReviewSection", "section", "DIFFICULTIES");
    desk.fill(
        "writeReviewSection",
        "text",
        "Recruter des intervenants pour le soutien scolaire.",
    );
    desk.submit();
    let written = desk.js(
        "return document.querySelector('[data-testid=review-text-DIFFICULTIES] .prose')?.textContent;",
    );
    assert_eq!(
        written,
        json!("Recruter des intervenants pour le soutien scolaire.")
    );
    let review = desk.api(
        "COORDINATOR",
        "query { annualReview(programmeId: \"grigny\", year: 2026) { sections { section text } } }",
        json!({}),
    );
    assert_eq!(
        review["annualReview"]["sections"],
        json!([{"section": "DIFFICULTIES", "text": "Recruter des intervenants pour le soutien scolaire."}])
    );
    desk.shot("revue-de-projet");

    // The budget and the timeline show what the API says.
    let budget = desk.api(
        "COORDINATOR",
        "query { budget(programmeId: \"grigny\", year: 2026) { total { granted paid } } }",
        json!({}),
    );
    desk.go("#/budget/2026", "[data-testid=budget-total-granted]");
    let granted =
        desk.js("return document.querySelector('[data-testid=budget-total-granted]').textContent;");
    assert_eq!(budget["budget"]["total"]["granted"], 800_000);
    assert_eq!(granted, json!("8\u{202F}000,00\u{A0}€"));
    let paid =
        desk.js("return document.querySelector('[data-testid=budget-total-paid]').textContent;");
    assert_eq!(paid, json!("8\u{202F}000,00\u{A0}€"));
    let timeline = desk.api(
        "COORDINATOR",
        "query { timeline(programmeId: \"grigny\", first: 50) { edges { node { position } } } }",
        json!({}),
    );
    let mut expected: Vec<i64> = timeline["timeline"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["position"].as_i64().unwrap())
        .collect();
    expected.sort_unstable();
    desk.go("#/", "[data-testid=timeline-entry]");
    let mut shown: Vec<i64> = desk
        .js("return [...document.querySelectorAll('[data-testid=timeline-entry]')].map(e => Number(e.dataset.position));")
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_i64().unwrap())
        .collect();
    shown.sort_unstable();
    assert_eq!(shown, expected, "the timeline shows the API's entries");

    // ------------------------------------------------ two people on one action
    desk.go("#/action/a2", "[data-testid=action-commands]");
    let first_tab = desk.browser.tab();
    desk.open("changePeriod");
    desk.fill("changePeriod", "periodEnd", "31/10/2026");
    desk.fill("changePeriod", "reason", "Report de la fin des ateliers.");
    let second_tab = desk.browser.new_tab();
    desk.browser.switch_to(&second_tab);
    desk.browser.goto(&desk.app.url("/"));
    desk.sign_in("PILOT");
    desk.go("#/action/a2", "[data-testid=action-commands]");
    desk.open("awardGrant");
    desk.pick("awardGrant", "actKind", "ARRETE");
    desk.fill("awardGrant", "actReference", "Arrêté 2026-42");
    desk.fill("awardGrant", "signedOn", "02/04/2026");
    desk.submit();
    desk.browser.switch_to(&first_tab);
    desk.browser.click_css("[data-testid=form-submit]");
    desk.browser.find("[data-testid=form-conflict]");
    assert_eq!(
        desk.js("return document.getElementById('f-changePeriod-reason').value;"),
        json!("Report de la fin des ateliers."),
        "the typed values are kept"
    );
    assert_eq!(
        desk.js("return document.querySelector('[data-testid=action-status]').dataset.status;"),
        json!("FUNDED"),
        "the new state is shown"
    );
    desk.shot("10-conflit");
    // Sent again on the new state, it is recorded.
    desk.submit();
    assert_eq!(desk.action("a2")["status"], "FUNDED");

    // ------------------------------------------------ the tableau de suivi, from the page
    // The coordinator brings in a payment kept in the cité's own spreadsheet: checked first
    // (a refused row is shown and blocks the import), then imported on confirmation.
    desk.sign_in("COORDINATOR");
    desk.go("#/parametres", "[data-testid=spreadsheet]");
    desk.browser.click_css("[data-testid=spreadsheet-template]");
    let template = desk.download("chronique-modele.xlsx");
    assert!(template.starts_with(b"PK"), "the template is an .xlsx");
    let csv = desk.shots.join("versements.csv");
    std::fs::write(
        &csv,
        "Référence;Financeur;Montant;Nature;Versé le\n2026-001;etat;2 000,00;avance;10/04/2026\n2026-001;etat;9 000,00;solde;11/04/2026\n",
    )
    .unwrap();
    let input = desk.browser.find("[data-testid=spreadsheet-file]");
    desk.browser.type_into(&input, csv.to_str().unwrap());
    desk.browser.click_css("[data-testid=spreadsheet-check]");
    desk.browser.find("[data-testid=spreadsheet-refusal]");
    let refusal =
        desk.js("return document.querySelector('[data-testid=spreadsheet-refusal]').textContent;");
    assert!(
        refusal
            .as_str()
            .unwrap()
            .contains("ligne 3, colonne « Montant »"),
        "{refusal}"
    );
    assert_eq!(
        desk.js("return document.querySelector('[data-testid=spreadsheet-confirm]').disabled;"),
        json!(true)
    );
    desk.shot("12-tableur-ligne-refusee");
    std::fs::write(
        &csv,
        "Référence;Financeur;Montant;Nature;Versé le\n2026-001;etat;2 000,00;avance;10/04/2026\n",
    )
    .unwrap();
    let before = desk.head();
    desk.js("document.querySelector('[data-testid=spreadsheet-file]').value = '';");
    let input = desk.browser.find("[data-testid=spreadsheet-file]");
    desk.browser.type_into(&input, csv.to_str().unwrap());
    desk.browser.click_css("[data-testid=spreadsheet-check]");
    desk.browser.wait("the preview of one row", || {
        (desk.js("return document.querySelector('[data-testid=spreadsheet-confirm]')?.disabled;")
            == json!(false))
        .then_some(())
    });
    assert_eq!(desk.head(), before, "a check wrote something");
    desk.browser.click_css("[data-testid=spreadsheet-confirm]");
    desk.confirmation();
    assert_eq!(desk.head(), before + 1);
    assert_eq!(desk.action("a2")["payments"].as_array().unwrap().len(), 1);

    // A table of the page as a workbook, read by LibreOffice: its total is the API's.
    desk.go("#/budget/2026", "[data-testid=xlsx-budget-lines]");
    desk.browser.click_css("[data-testid=xlsx-budget-lines]");
    let xlsx = desk.download("budget-2026.xlsx");
    let path = desk.shots.join("budget-2026.xlsx");
    std::fs::write(&path, &xlsx).unwrap();
    let profile = format!(
        "-env:UserInstallation=file://{}",
        desk.shots.join("lo-profile").display()
    );
    let converted = std::process::Command::new("soffice")
        .args([
            "--headless",
            "--norestore",
            &profile,
            "--convert-to",
            "csv:Text - txt - csv (StarCalc):59,34,76,1,,1036,false,true,false,false,false",
            "--outdir",
        ])
        .arg(&desk.shots)
        .arg(&path)
        .output()
        .expect("LibreOffice (soffice) is installed by ./scripts/test");
    assert!(
        converted.status.success(),
        "{}",
        String::from_utf8_lossy(&converted.stderr)
    );
    let text = std::fs::read_to_string(desk.shots.join("budget-2026.csv")).unwrap();
    let granted = desk.api(
        "COORDINATOR",
        "query { budget(programmeId: \"grigny\", year: 2026) { total { granted } } }",
        json!({}),
    )["budget"]["total"]["granted"]
        .as_i64()
        .unwrap();
    let lines: Vec<Vec<&str>> = text.lines().map(|l| l.split(';').collect()).collect();
    assert!(
        lines[0][0].contains("État au"),
        "the « État au » line heads the sheet: {:?}",
        lines[0]
    );
    let header = &lines[1];
    let column = header
        .iter()
        .position(|h| *h == "Attribué")
        .unwrap_or_else(|| panic!("{header:?}"));
    let total: i64 = lines[2..]
        .iter()
        .filter(|l| l.len() > column && !l[0].contains("Total"))
        .map(|l| (l[column].replace(',', ".").parse::<f64>().unwrap_or(0.0) * 100.0).round() as i64)
        .sum();
    assert_eq!(total, granted, "the granted column read by LibreOffice");

    // ------------------------------------------------ every form offered, filled and in error
    // Each form the pilot and the coordinator are offered on a fiche, a séance and « Paramètres »:
    // opened (a screenshot with what it proposes), emptied and sent (its errors next to the
    // fields, a screenshot), then closed; nothing is written.
    let before = desk.head();
    let mut shown = 0;
    for (role, route, bar) in [
        ("COORDINATOR", "#/action/a2".to_owned(), "action-commands"),
        ("PILOT", "#/action/a2".to_owned(), "action-commands"),
        (
            "COORDINATOR",
            format!("#/session/{copil}"),
            "session-commands",
        ),
        ("PILOT", "#/parametres".to_owned(), "settings-commands"),
    ] {
        desk.sign_in(role);
        desk.go(&route, &format!("[data-testid={bar}]"));
        for command in desk.buttons() {
            desk.open(&command);
            desk.shot(&format!("formulaire-{command}"));
            // Under each free text, the reminder that it must name no child (DOMAIN.md rule 20).
            let unhinted = desk.js(
                "const f = document.querySelector('form.command-form');\
                 return [...f.querySelectorAll('textarea, input[type=text]')]\
                   .filter(c => ['reason', 'title', 'text', 'summary', 'note', 'comment', 'findings', 'items'].includes(c.name))\
                   .filter(c => !(c.getAttribute('aria-describedby') || '').split(' ')\
                     .some(id => /aucun enfant|nom d’enfant/.test(document.getElementById(id)?.textContent || '')))\
                   .map(c => c.name);",
            );
            assert_eq!(
                unhinted,
                json!([]),
                "{command}: free texts without the reminder"
            );
            desk.js(
                "const f = document.querySelector('form.command-form');\
                 for (const c of f.querySelectorAll('input[type=text], textarea')) c.value = '';\
                 for (const c of f.querySelectorAll('select')) { if ([...c.options].some(o => o.value === '')) c.value = ''; }\
                 for (const c of f.querySelectorAll('input[type=checkbox]')) c.checked = false;",
            );
            desk.browser.click_css("[data-testid=form-submit]");
            desk.browser.find("[data-testid=form-errors]");
            desk.shot(&format!("formulaire-{command}-erreurs"));
            desk.browser.click_css("[data-testid=form-cancel]");
            shown += 1;
        }
    }
    assert!(shown >= 25, "only {shown} forms were opened");
    assert_eq!(desk.head(), before, "an emptied form wrote something");

    // ------------------------------------------------ no write control for those who may not
    desk.sign_in("OBSERVER");
    for (route, css) in [
        ("#/", "[data-testid=timeline]"),
        (&*format!("#/action/{a1}"), "[data-testid=action-card]"),
        ("#/action/a2", "[data-testid=action-card]"),
        (&*format!("#/session/{copil}"), "[data-testid=session-card]"),
        ("#/budget", "[data-testid=budget-lines]"),
    ] {
        desk.go(route, css);
        let controls = desk.js(
            "return [...document.querySelectorAll('[data-testid^=\"command-\"], form.command-form, [data-testid=releve-form], [data-testid=todo], [data-testid=nav-settings], [data-testid=nav-propose]')]\
             .filter(e => e.getClientRects().length > 0).length;",
        );
        assert_eq!(
            controls,
            json!(0),
            "an observer sees write controls on {route}"
        );
    }
    desk.sign_in("PORTEUR");
    desk.go("#/action/a2", "[data-testid=action-card]");
    assert!(
        desk.buttons().is_empty(),
        "a porteur sees {:?} on another partner's action",
        desk.buttons()
    );

    // ------------------------------------------------ a proposal with the keyboard alone
    // The page opened afresh: the focus starts at the top, as for anyone arriving on it.
    desk.browser
        .goto(&format!("{}?clavier#/", desk.app.url("/")));
    desk.browser.find("[data-testid=timeline]");
    let mut reached = false;
    for _ in 0..40 {
        desk.browser.press(&[keys::TAB]);
        if desk.js("return document.activeElement?.dataset.testid ?? null;") == json!("nav-propose")
        {
            reached = true;
            break;
        }
    }
    assert!(
        reached,
        "« Proposer une action » cannot be reached with Tab"
    );
    desk.browser.press(&[keys::ENTER]);
    desk.browser.find("[data-testid=form-proposeAction]");
    let focused = |id: &str| {
        desk.browser.wait(&format!("the focus on {id}"), || {
            (desk.js("return document.activeElement?.id ?? null;") == json!(id)).then_some(())
        })
    };
    let type_in = |id: &str, text: &str| {
        focused(id);
        desk.browser.type_keys(text);
        desk.browser.press(&[keys::TAB]);
    };
    type_in("f-proposeAction-title", "Jardin partagé");
    type_in(
        "f-proposeAction-summary",
        "Un jardin entre l’école et les familles.",
    );
    focused("f-proposeAction-holderId");
    desk.browser.press(&[keys::TAB]);
    focused("f-proposeAction-axis");
    desk.browser.press(&[keys::TAB]);
    focused("f-proposeAction-secondaryAxes-A1");
    desk.browser.press(&[keys::TAB]);
    focused("f-proposeAction-publics-CHILDREN");
    desk.browser
        .press(&[keys::SPACE, keys::TAB, keys::TAB, keys::TAB]);
    focused("f-proposeAction-year");
    desk.browser.type_keys("2026");
    desk.browser.press(&[keys::TAB]);
    type_in("f-proposeAction-periodStart", "01/03/2026");
    type_in("f-proposeAction-periodEnd", "30/11/2026");
    type_in("f-proposeAction-totalCost", "6 000");
    type_in("f-proposeAction-requested-etat", "3 000");
    focused("f-proposeAction-renews");
    desk.browser.press(&[keys::TAB]);
    focused("f-proposeAction-reference");
    desk.browser.press(&[keys::TAB]);
    focused("f-proposeAction-effectiveOn");
    desk.browser.press(&[keys::ENTER]);
    desk.confirmation();
    desk.shot("11-proposition-au-clavier");
    let garden = desk.js("return decodeURIComponent(location.hash.split('/')[2]);");
    let garden = desk.action(garden.as_str().unwrap());
    assert_eq!(garden["status"], "PROPOSED");
    assert_eq!(garden["money"][0]["requested"], 300_000);

    // ------------------------------------------------ an ADMIN gives a token, then revokes it
    desk.sign_in("ADMIN");
    desk.go("#/parametres", "[data-testid=token-commands]");
    desk.open("createToken");
    desk.pick("createToken", "role", "OBSERVER");
    desk.fill("createToken", "name", "Élue à l’éducation");
    desk.submit();
    let secret =
        desk.js("return document.querySelector('[data-testid=token-secret]').textContent;");
    let secret = secret.as_str().unwrap().to_owned();
    let (_, me) = desk
        .app
        .graphql(Some(&secret), "{ me { role name } }", json!({}));
    assert_eq!(
        me["data"]["me"],
        json!({"role": "OBSERVER", "name": "Élue à l’éducation"})
    );
    let id = desk.api("ADMIN", "{ tokens { id name } }", json!({}))["tokens"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "Élue à l’éducation")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    desk.browser
        .click_css(&format!("[data-testid=revoke-{id}]"));
    desk.browser.find("[data-testid=form-revokeToken]");
    desk.submit();
    let (status, _) = desk
        .app
        .graphql(Some(&secret), "{ me { role } }", json!({}));
    assert_eq!(status, 401, "a revoked token still works");

    eprintln!(
        "saisie: the whole walk in {:.1} s",
        desk.started.elapsed().as_secs_f64()
    );
}
