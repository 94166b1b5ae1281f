//! The page served at `/`, in a real browser (issue #4): headless Chromium, driven over
//! WebDriver by ChromeDriver, reads a `chronique demo` on a random port as a person would.
//!
//! One test walks through the steps in order in one browser session (Chromium is slow to start
//! on two busy cores): sign in with a token and choose the programme, the timeline (its second
//! page, an entry arriving live), a filter by axis, an action and its history, the « État au »
//! slider moved to a past session (then « tel qu'enregistré »), the budget of the year against
//! the API's figures, a CSV download parsed, and a session's relevé printed (print media
//! emulated, then a PDF). Another test reads as an OBSERVER: a wrong token refused, what they
//! may not see not shown, signing out. Every expected figure comes from the GraphQL API, never
//! from a guess. Screenshots of each page are left in `target/browser-screenshots/<test>/`.
//!
//! Chromium and ChromeDriver are Debian packages that `./scripts/test` installs; without them
//! the test fails and says so.

mod common;
#[path = "browser/webdriver.rs"]
mod webdriver;

use chrono::Datelike;
use common::*;
use domain::fr::MONTHS;
use serde_json::{Value, json};
use std::path::PathBuf;
use std::time::Instant;
use webdriver::{Browser, keys, screenshot_dir};

const NNBSP: char = '\u{202F}';
const NBSP: char = '\u{00A0}';

// ---------------------------------------------------------------- French formats (DOMAIN.md)

/// 1200000 → « 12 000,00 € » (U+202F between thousands, U+00A0 before €).
fn money(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let abs = cents.unsigned_abs();
    let euros = (abs / 100).to_string();
    let mut grouped = String::new();
    for (i, digit) in euros.chars().enumerate() {
        if i > 0 && (euros.len() - i).is_multiple_of(3) {
            grouped.push(NNBSP);
        }
        grouped.push(digit);
    }
    format!("{sign}{grouped},{:02}{NBSP}€", abs % 100)
}

/// 1200000 → `12000,00` (CSV: decimal comma, no thousands separator).
fn money_csv(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let abs = cents.unsigned_abs();
    format!("{sign}{},{:02}", abs / 100, abs % 100)
}

/// "2026-03-14" → « 14 mars 2026 », « 1er » for the first of the month.
fn french_date(iso: &str) -> String {
    let (year, rest) = iso.split_at(4);
    let month: usize = rest[1..3].parse().unwrap();
    let day: u32 = rest[4..6].parse().unwrap();
    let day = if day == 1 {
        "1er".to_owned()
    } else {
        day.to_string()
    };
    format!("{day} {} {year}", MONTHS[month - 1])
}

/// 456 ‰ → « 45,6 % »; the CSV has `45,6`.
fn permille(p: &Value) -> (String, String) {
    match p.as_i64() {
        None => (String::new(), String::new()),
        Some(p) => {
            let csv = format!("{},{}", p / 10, p % 10);
            (format!("{csv}{NBSP}%"), csv)
        }
    }
}

fn cents(v: &Value) -> i64 {
    v.as_i64()
        .unwrap_or_else(|| panic!("not a Cents value: {v}"))
}

/// Does `text` hold a date written like « 14 mars 2026 »?
fn has_french_date(text: &str) -> bool {
    let words: Vec<&str> = text.split_whitespace().collect();
    words.windows(3).any(|w| {
        (w[0] == "1er" || (w[0].len() <= 2 && w[0].parse::<u8>().is_ok_and(|d| d <= 31)))
            && MONTHS.contains(&w[1])
            && w[2].len() >= 4
            && w[2][..4].parse::<u16>().is_ok()
    })
}

/// Does `text` hold an amount written like « 12 000,00 € » (U+202F, U+00A0), with thousands?
fn has_french_money(text: &str) -> bool {
    let chars: Vec<char> = text.chars().collect();
    (0..chars.len()).any(|i| {
        // d NNBSP ddd , dd NBSP €
        let pattern = "0\u{202F}000,00\u{A0}€";
        pattern.chars().enumerate().all(|(k, p)| {
            chars
                .get(i + k)
                .is_some_and(|&c| if p == '0' { c.is_ascii_digit() } else { c == p })
        })
    })
}

// ---------------------------------------------------------------- the test's surroundings

struct Walk {
    app: TestApp,
    browser: Browser,
    token: String,
    shots: PathBuf,
    started: Instant,
    step: Instant,
}

impl Walk {
    /// Chromium, then `chronique demo` in a new folder (kept while the returned guard lives),
    /// walked with the demo's token of `role`; screenshots in `target/browser-screenshots/<test>`.
    fn on_demo(role: &str, test: &str) -> (tempfile::TempDir, Walk) {
        let started = Instant::now();
        // Chromium first: without it the test fails at once, saying how to install it.
        let browser = Browser::start();
        let dir = tempfile::tempdir().unwrap();
        let app = spawn(&["demo"], dir.path());
        let token = app.demo_token(role);
        let walk = Walk {
            app,
            browser,
            token,
            shots: screenshot_dir(test),
            started,
            step: Instant::now(),
        };
        (dir, walk)
    }
    fn api(&self, query: &str, variables: Value) -> Value {
        let (status, body) = self.app.graphql(Some(&self.token), query, variables);
        assert_eq!(status, 200, "{body}");
        assert!(body["errors"].is_null(), "the API answered {body}");
        body["data"].clone()
    }

    fn js(&self, script: &str) -> Value {
        self.browser.js(script, vec![])
    }

    fn text(&self, css: &str) -> String {
        self.browser.find(css);
        self.browser
            .js(
                "return document.querySelector(arguments[0]).textContent;",
                vec![json!(css)],
            )
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// The visible text of the view (`innerText`: what is on screen, not hidden nodes).
    fn view_text(&self) -> String {
        self.js("return document.getElementById('main').innerText;")
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// No error shown by the page: a failed query or a partial answer shows one.
    fn no_error(&self, when: &str) {
        let error = self.js(
            "const e = document.getElementById('error'); return e.hidden ? null : e.textContent;",
        );
        assert!(
            error.is_null(),
            "{when}: the page shows the error « {error} »"
        );
        let problems: Vec<String> = self
            .browser
            .console()
            .into_iter()
            .filter(|line| line.starts_with("\"SEVERE\""))
            .collect();
        assert!(problems.is_empty(), "{when}: the console says {problems:?}");
    }

    /// The `data-position`s of the entries shown in the timeline, in page order.
    fn shown_positions(&self) -> Vec<i64> {
        self.js(
            "return [...document.querySelectorAll('[data-testid=timeline-entry]')]\
             .map(e => Number(e.dataset.position));",
        )
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_i64().unwrap())
        .collect()
    }

    fn api_timeline(&self, programme: &str, filter: Value) -> Vec<i64> {
        self.api_timeline_first(programme, filter, 50)
    }

    fn api_timeline_first(&self, programme: &str, filter: Value, first: usize) -> Vec<i64> {
        let data = self.api(
            "query($p: ID!, $f: TimelineFilter, $n: Int) { timeline(programmeId: $p, filter: $f, first: $n) \
             { edges { node { position } } } }",
            json!({"p": programme, "f": filter, "n": first}),
        );
        data["timeline"]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["node"]["position"].as_i64().unwrap())
            .collect()
    }

    /// Waits for the timeline to show exactly these entries (what the API gives).
    fn wait_for_timeline(&self, expected: &[i64], what: &str) {
        let mut sorted = expected.to_vec();
        sorted.sort_unstable();
        self.browser.wait(what, || {
            let busy = self.js(
                "return document.getElementById('timeline')?.hasAttribute('aria-busy') ?? true;",
            );
            let mut shown = self.shown_positions();
            shown.sort_unstable();
            (busy == json!(false) && shown == sorted).then_some(())
        });
    }

    /// Saves a screenshot of the whole page as `NN-name.png` and says how long the step took.
    fn shot(&mut self, name: &str) {
        let path = self.shots.join(format!("{name}.png"));
        self.browser.screenshot(&path);
        eprintln!(
            "browser: {name} in {:.1} s ({:.1} s since the start), {}",
            self.step.elapsed().as_secs_f64(),
            self.started.elapsed().as_secs_f64(),
            path.display()
        );
        self.step = Instant::now();
    }

    fn click(&self, css: &str) {
        self.browser.click_css(css);
    }

    fn choose(&self, select: &str, value: &str) {
        self.browser.choose(select, value);
    }

    fn hash(&self) -> String {
        self.js("return location.hash;")
            .as_str()
            .unwrap()
            .to_owned()
    }
}

/// The action and the past session of the « État au » step: an action decided at a COPIL, and
/// the last session before that COPIL at which the action already existed, with another status
/// and other amounts.
struct PastState {
    action: Value,
    session: Value,
    then: Value,
}

const ACTION: &str =
    "query($p: ID!, $id: ID!, $asOf: AsOf) { action(programmeId: $p, id: $id, asOf: $asOf) {
  id reference title status axis { code }
  money { requested proposed retained granted paid toPay repaymentRequested repaid }
  history { position } } }";

fn money_total(action: &Value, field: &str) -> i64 {
    action["money"]
        .as_array()
        .unwrap()
        .iter()
        .map(|line| cents(&line[field]))
        .sum()
}

fn choose_past_state(walk: &Walk, programme: &str, past_sessions: &[Value]) -> PastState {
    let data = walk.api(
        "query($p: ID!) { actions(programmeId: $p, first: 500) { edges { node { id decision { session { date } } } } } }",
        json!({"p": programme}),
    );
    for edge in data["actions"]["edges"].as_array().unwrap() {
        let id = edge["node"]["id"].as_str().unwrap();
        let Some(decided) = edge["node"]["decision"]["session"]["date"].as_str() else {
            continue;
        };
        let Some(session) = past_sessions
            .iter()
            .rev()
            .find(|s| s["date"].as_str().unwrap() < decided)
        else {
            continue;
        };
        let now = walk.api(ACTION, json!({"p": programme, "id": id}))["action"].clone();
        let then = walk.api(
            ACTION,
            json!({"p": programme, "id": id, "asOf": {"effectiveOn": session["date"]}}),
        )["action"]
            .clone();
        if then.is_null() {
            continue;
        }
        if then["status"] != now["status"]
            && money_total(&then, "retained") != money_total(&now, "retained")
            && then["history"].as_array().unwrap().len() < now["history"].as_array().unwrap().len()
        {
            return PastState {
                action: now,
                session: session.clone(),
                then,
            };
        }
    }
    panic!("the demo has no action whose state changed after a past session");
}

/// Waits for the fiche action to show the API's `action`: status, reference, money totals and
/// history (the page may still be drawing the previous state).
fn check_action_card(walk: &Walk, action: &Value, when: &str) {
    let fields = ["requested", "retained", "granted", "paid", "toPay"];
    let expected = json!({
        "status": action["status"],
        "reference": action["reference"],
        "totals": fields.iter().map(|f| money(money_total(action, f))).collect::<Vec<_>>(),
        "history": action["history"].as_array().unwrap().iter().map(|e| e["position"].clone()).collect::<Vec<_>>(),
    });
    let started = Instant::now();
    loop {
        let last = walk.browser.js(
            "if (document.getElementById('main').hasAttribute('aria-busy')) return null; \
             const q = (s) => document.querySelector(s); \
             if (!q('[data-testid=action-status]')) return null; \
             return { status: q('[data-testid=action-status]').dataset.status, \
               reference: q('[data-testid=action-reference]').textContent, \
               totals: arguments[0].map(f => q('[data-testid=action-money-total-' + f + ']')?.textContent), \
               history: [...document.querySelectorAll('[data-testid=action-history-entry]')].map(e => Number(e.dataset.position)) };",
            vec![json!(fields)],
        );
        if last == expected {
            return;
        }
        assert!(
            started.elapsed() < webdriver::WAIT,
            "the fiche action ({when}) shows\n{last}\ninstead of what the API gives\n{expected}"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

/// Splits a CSV file of the page: BOM, CRLF, `;`, quoted fields with `""`.
fn parse_csv(bytes: &[u8]) -> Vec<Vec<String>> {
    assert!(
        bytes.starts_with(&[0xEF, 0xBB, 0xBF]),
        "the CSV starts with a UTF-8 BOM"
    );
    let text = std::str::from_utf8(&bytes[3..]).expect("the CSV is UTF-8");
    assert!(text.ends_with("\r\n"), "the CSV ends with CRLF");
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') if field.is_empty() => quoted = true,
            (false, ';') => row.push(std::mem::take(&mut field)),
            (false, '\r') => {
                assert_eq!(chars.next(), Some('\n'), "lines end with CRLF");
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            (false, '\n') => panic!("a bare LF in the CSV"),
            (false, c) => field.push(c),
        }
    }
    rows
}

fn is_csv_money(cell: &str) -> bool {
    let digits = cell.strip_prefix('-').unwrap_or(cell);
    let Some((euros, cents)) = digits.split_once(',') else {
        return false;
    };
    !euros.is_empty()
        && euros.chars().all(|c| c.is_ascii_digit())
        && cents.len() == 2
        && cents.chars().all(|c| c.is_ascii_digit())
}

/// The number of pages of a PDF written by Chromium (its page objects are not compressed).
fn pdf_pages(pdf: &[u8]) -> usize {
    let needle = b"/Type /Page";
    pdf.windows(needle.len() + 1)
        .filter(|w| &w[..needle.len()] == needle && w[needle.len()] != b's')
        .count()
}

// ---------------------------------------------------------------- the walk

#[test]
fn a_person_reads_the_register_in_a_browser() {
    let (_dir, mut walk) = Walk::on_demo("ADMIN", "registre");
    let programme = walk.app.demo_programme();
    eprintln!(
        "browser: demo and Chromium started in {:.1} s",
        walk.started.elapsed().as_secs_f64()
    );

    // A second programme, so that the ADMIN token has a programme to choose.
    let other = walk.api(
        "mutation { establishProgramme(input: {id: \"essai\", name: \"Cité éducative d’essai\", \
         territory: [\"Évry-Courcouronnes\"], qpv: []}) { programme { id name } } }",
        json!({}),
    );
    let other_name = other["establishProgramme"]["programme"]["name"]
        .as_str()
        .unwrap()
        .to_owned();
    let data = walk.api(
        "query($p: ID!) { programme(id: $p) { name } sessions(programmeId: $p) { id body date title held cancelled } }",
        json!({"p": programme}),
    );
    let programme_name = data["programme"]["name"].as_str().unwrap().to_owned();
    let today = walk.browser.js(
        "const p = Object.fromEntries(new Intl.DateTimeFormat('en-GB', {timeZone: 'Europe/Paris', \
         year: 'numeric', month: '2-digit', day: '2-digit'}).formatToParts(new Date()).map(x => [x.type, x.value])); \
         return p.year + '-' + p.month + '-' + p.day;",
        vec![],
    );
    let today = today.as_str().unwrap().to_owned();
    // The sessions of the slider: past and not cancelled, by date then title.
    let mut past_sessions: Vec<Value> = data["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["cancelled"] == json!(false) && s["date"].as_str().unwrap() <= today.as_str())
        .cloned()
        .collect();
    past_sessions.sort_by(|a, b| {
        (a["date"].as_str(), a["title"].as_str()).cmp(&(b["date"].as_str(), b["title"].as_str()))
    });

    // ------------------------------------------------------------ 1. sign in
    walk.browser.goto(&walk.app.url("/"));
    assert_eq!(
        walk.js("return document.documentElement.lang;"),
        json!("fr")
    );
    let field = walk.browser.find("[data-testid=signin-token]");
    walk.browser.type_into(&field, &walk.token);
    walk.shot("01-connexion");
    walk.click("[data-testid=signin-submit]");
    walk.browser.find("[data-testid=programme-select]");
    walk.browser.wait_js(
        "the programme choice to list both programmes",
        "return document.querySelectorAll('#programme-select option').length === 2;",
    );
    assert_eq!(
        walk.js("return sessionStorage.getItem('chronique.token');"),
        json!(walk.token),
        "the token is kept in session storage"
    );
    assert_eq!(
        walk.js("return document.getElementById('token').value;"),
        json!(""),
        "the token does not stay in the form"
    );
    // Choose the other programme, then the demo's: the page follows both ways.
    for (id, name) in [
        ("essai", other_name.as_str()),
        (programme.as_str(), programme_name.as_str()),
    ] {
        walk.choose("#programme-select", id);
        walk.browser.wait(&format!("the programme « {name} »"), || {
            let shown = walk.text("[data-testid=programme-name]");
            let stored = walk.js("return sessionStorage.getItem('chronique.programme');");
            (shown == name && stored == json!(id)).then_some(())
        });
        let expected = walk.api_timeline(id, Value::Null);
        walk.wait_for_timeline(&expected, &format!("the timeline of {id}"));
    }
    walk.no_error("after signing in");

    // ------------------------------------------------------------ 2. the timeline
    let all = walk.api_timeline(&programme, Value::Null);
    assert_eq!(all.len(), 50, "the demo has more than a page of timeline");
    // Reloading the page keeps the token (session storage): no new sign-in.
    walk.browser.goto(&walk.app.url("/"));
    walk.wait_for_timeline(&all, "the timeline after a reload");
    // The figure of the issue's « first paint under one second », printed, never asserted
    // (the timeline's moment is when this poll saw it, so a little late).
    let paint = walk.js(
        "const p = performance.getEntriesByName('first-contentful-paint')[0]; \
         return [p ? p.startTime : null, performance.now()];",
    );
    eprintln!(
        "browser: first contentful paint {} ms, timeline of 50 entries seen drawn at {} ms",
        paint[0], paint[1]
    );
    assert_eq!(walk.text("[data-testid=programme-name]"), programme_name);
    assert_eq!(
        walk.js("return document.getElementById('signin').hidden;"),
        json!(true)
    );
    assert_eq!(
        walk.text("[data-testid=timeline-count]"),
        "50 entrées affichées, d’autres sont disponibles."
    );
    let text = walk.view_text();
    assert!(
        has_french_date(&text),
        "no date like « 14 mars 2026 » in the timeline"
    );
    assert!(
        has_french_money(&text),
        "no amount like « 12 000,00 € » in the timeline"
    );
    assert_eq!(
        walk.js("return document.querySelector('[data-testid=nav-timeline]').getAttribute('aria-current');"),
        json!("page")
    );
    walk.no_error("on the timeline");
    walk.shot("02-frise");

    // « Afficher plus »: the next page, after the cursor.
    walk.click("[data-testid=timeline-more]");
    let hundred = walk.api_timeline_first(&programme, Value::Null, 100);
    walk.wait_for_timeline(&hundred, "a second page of the timeline");

    // An entry recorded elsewhere (the coordinator schedules a session) arrives live
    // (Subscription.timeline over /graphql/ws), marked new and announced.
    walk.browser.wait("the live updates to connect", || {
        (walk.js("return document.getElementById('live-status').dataset.state;")
            == json!("connected"))
        .then_some(())
    });
    let coordinator = walk.app.demo_token("COORDINATOR");
    let next_year: i64 = today[..4].parse::<i64>().unwrap() + 1;
    let (status, body) = walk.app.graphql(
        Some(&coordinator),
        "mutation($p: ID!, $input: ScheduleSessionInput!) { scheduleSession(programmeId: $p, input: $input) { position } }",
        json!({"p": programme, "input": {"id": "cotech-essai", "body": "COTECH",
            "date": format!("{next_year}-01-15"), "title": "COTECH d’essai"}}),
    );
    assert_eq!(status, 200, "{body}");
    let position = body["data"]["scheduleSession"]["position"]
        .as_i64()
        .unwrap_or_else(|| panic!("{body}"));
    let summary = walk.api(
        "query($p: ID!) { timeline(programmeId: $p, first: 1) { edges { node { position summary } } } }",
        json!({"p": programme}),
    )["timeline"]["edges"][0]["node"]
        .clone();
    assert_eq!(summary["position"], json!(position));
    let summary = summary["summary"].as_str().unwrap().to_owned();
    walk.browser.wait("the new entry to come live", || {
        walk.browser
            .try_find(&format!("#entry-{position}.is-new"))
            .map(|_| ())
    });
    walk.browser.wait("the live entry to be announced", || {
        let said = walk.text("[data-testid=live-region]");
        (said == format!("Nouvelle entrée : {summary}")).then_some(())
    });
    let all = walk.api_timeline(&programme, Value::Null);
    walk.no_error("after a live entry");
    walk.shot("03-frise-en-direct");

    // ------------------------------------------------------------ 3. filter by axis
    let axes = walk.js(
        "return [...document.querySelectorAll('#filter-axis option')].map(o => o.value).filter(v => v);",
    );
    let (axis, filtered) = axes
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap().to_owned())
        .map(|a| {
            let positions = walk.api_timeline(&programme, json!({"axis": a}));
            (a, positions)
        })
        .find(|(_, positions)| positions.len() >= 2)
        .expect("an axis with entries");
    walk.choose("#filter-axis", &axis);
    walk.click("[data-testid=filter-apply]");
    walk.wait_for_timeline(&filtered, &format!("the timeline of axis {axis}"));
    let lanes = walk.js(
        "return [...document.querySelectorAll('[data-testid=timeline-lane]')].map(l => l.dataset.axis);",
    );
    assert_eq!(lanes, json!([axis]), "one lane, the axis filtered on");
    assert_eq!(
        walk.js("return document.getElementById('filter-axis').value;"),
        json!(axis),
        "the filter keeps its value"
    );
    walk.no_error("after filtering by axis");
    walk.shot("04-frise-par-axe");

    // ------------------------------------------------------------ 4. an action and its history
    let past = choose_past_state(&walk, &programme, &past_sessions);
    let action_id = past.action["id"].as_str().unwrap().to_owned();
    walk.click("[data-testid=filter-clear]");
    walk.wait_for_timeline(&all, "the timeline without filters");
    walk.choose("#filter-action", &action_id);
    walk.click("[data-testid=filter-apply]");
    let of_action = walk.api_timeline(&programme, json!({"actionId": action_id}));
    walk.wait_for_timeline(&of_action, "the timeline of one action");
    walk.click(&format!(
        "[data-testid=timeline-entry] a[href=\"#/action/{action_id}\"]"
    ));
    check_action_card(&walk, &past.action, "today");
    assert!(walk.hash().starts_with(&format!("#/action/{action_id}")));
    let text = walk.view_text();
    assert!(
        has_french_date(&text),
        "no date like « 14 mars 2026 » on the action"
    );
    walk.no_error("on the action");
    walk.shot("05-action");

    // ------------------------------------------------------------ 5. « État au » a past session
    let session_date = past.session["date"].as_str().unwrap().to_owned();
    let slider = walk.browser.find("[data-testid=asof-slider]");
    walk.browser.js_on("arguments[0].focus();", &[&slider]);
    walk.browser.press(&[keys::HOME]);
    for _ in 0..=past_sessions.len() {
        let hash = walk.hash();
        if hash.contains(&format!("asof={session_date}")) {
            break;
        }
        walk.browser.press(&[keys::RIGHT]);
        walk.browser.wait("the slider to move the « État au »", || {
            (walk.hash() != hash).then_some(())
        });
    }
    assert!(
        walk.hash().contains(&format!("asof={session_date}")),
        "the slider reaches the session of {session_date}"
    );
    let label = walk.text("[data-testid=asof-slider-label]");
    assert!(
        label.contains(past.session["title"].as_str().unwrap())
            && label.contains(&french_date(&session_date)),
        "the slider's label names the session: « {label} »"
    );
    check_action_card(&walk, &past.then, "at the past session");
    let banner = walk.text("[data-testid=asof-banner]");
    assert!(
        banner.contains(&french_date(&session_date)),
        "the banner says which state is shown: « {banner} »"
    );
    assert_eq!(
        walk.js("return document.activeElement.id;"),
        json!("asof-slider"),
        "the focus stays on the slider"
    );
    walk.no_error("at a past state");
    walk.shot("06-action-etat-passe");

    // « tel qu’enregistré »: what the register held that day, late entries left out.
    let recorded = walk.api(
        ACTION,
        json!({"p": programme, "id": action_id, "asOf": {"recordedAt": format!("{session_date}T23:59:59Z")}}),
    )["action"]
        .clone();
    walk.click("[data-testid=asof-recorded]");
    walk.browser.wait("the switch to reach the route", || {
        walk.hash().contains("recorded=1").then_some(())
    });
    check_action_card(&walk, &recorded, "as recorded at the past session");
    assert!(
        walk.text("[data-testid=asof-banner]")
            .contains("tel qu’enregistré")
    );
    walk.no_error("at a past state, as recorded");

    // ------------------------------------------------------------ 6. the budget of the year
    walk.click("[data-testid=asof-banner-today]");
    walk.browser.wait("the banner to go", || {
        (walk.js("return document.getElementById('asof-banner').hidden;") == json!(true))
            .then_some(())
    });
    check_action_card(&walk, &past.action, "back to today");

    // The « État au » date typed on the keyboard (switch off): the state of that day, and one
    // entry in the history, not one per keystroke.
    walk.click("[data-testid=asof-recorded]");
    assert_eq!(
        walk.js("return document.getElementById('asof-recorded').checked;"),
        json!(false)
    );
    let before = walk.js("return history.length;");
    let field = walk.browser.find("[data-testid=asof-date]");
    walk.browser.click(&field);
    // The field's order of day, month and year is the browser's locale's.
    let order = walk.js(
        "return new Intl.DateTimeFormat().formatToParts(new Date(2025, 2, 15)) \
         .filter(p => ['day', 'month', 'year'].includes(p.type)).map(p => p.type);",
    );
    let (year, month, day) = (
        &session_date[..4],
        &session_date[5..7],
        &session_date[8..10],
    );
    let typed: String = order
        .as_array()
        .unwrap()
        .iter()
        .map(|part| match part.as_str().unwrap() {
            "day" => day,
            "month" => month,
            _ => year,
        })
        .collect();
    walk.browser.type_into(&field, &typed);
    walk.browser.wait("the typed date to reach the route", || {
        walk.hash()
            .contains(&format!("asof={session_date}"))
            .then_some(())
    });
    check_action_card(&walk, &past.then, "at the typed date");
    assert_eq!(
        walk.js("return history.length;").as_i64().unwrap(),
        before.as_i64().unwrap() + 1,
        "typing a date adds one entry to the history"
    );
    walk.no_error("at a typed date");
    walk.click("[data-testid=asof-banner-today]");
    check_action_card(&walk, &past.action, "back to today again");
    walk.click("[data-testid=nav-budget]");
    walk.browser.find("[data-testid=budget-total-granted]");
    let year: i64 = walk
        .js("return document.getElementById('budget-year').value;")
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(
        year.to_string(),
        today[..4],
        "the budget opens on this year"
    );
    let budget = walk.api(
        "query($p: ID!, $y: Int!) { budget(programmeId: $p, year: $y) { year \
         lines { funder { name } envelope requested retained granted paid toPay consumptionPermille } \
         total { envelope requested retained granted paid toPay consumptionPermille } } }",
        json!({"p": programme, "y": year}),
    )["budget"]
        .clone();
    let total = &budget["total"];
    assert!(
        cents(&total["granted"]) > 0,
        "the demo granted money in {year}"
    );
    for field in [
        "envelope",
        "requested",
        "retained",
        "granted",
        "paid",
        "toPay",
    ] {
        assert_eq!(
            walk.text(&format!("[data-testid=budget-total-{field}]")),
            money(cents(&total[field])),
            "the budget's total {field} for {year}"
        );
    }
    let consumption = walk.text("[data-testid=budget-total-consumption]");
    assert!(
        consumption.contains(&permille(&total["consumptionPermille"]).0),
        "the consumption « {consumption} »"
    );
    assert!(has_french_money(&walk.view_text()));
    walk.no_error("on the budget");
    walk.shot("07-budget");

    // ------------------------------------------------------------ 7. a CSV file
    let button = walk.browser.find("[data-testid=csv-budget-lines]");
    let filename = walk
        .browser
        .js_on("return arguments[0].dataset.filename;", &[&button])
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(filename, format!("budget-{year}.csv"));
    walk.browser.click(&button);
    let path = walk.browser.download_dir.join(&filename);
    let bytes = walk.browser.download(&filename);
    let _ = std::fs::copy(&path, walk.shots.join(&filename));
    let rows = parse_csv(&bytes);
    assert_eq!(
        rows[0],
        [
            "Financeur",
            "Enveloppe",
            "Demandé",
            "Retenu",
            "Attribué",
            "Versé",
            "Reste à verser",
            "Consommation (%)"
        ]
    );
    let lines = budget["lines"].as_array().unwrap();
    assert_eq!(
        rows.len(),
        1 + lines.len() + 1,
        "header, one row per funder, total"
    );
    let fields = [
        "envelope",
        "requested",
        "retained",
        "granted",
        "paid",
        "toPay",
    ];
    for (row, line) in rows[1..].iter().zip(lines.iter().chain([total])) {
        assert_eq!(row.len(), 8, "{row:?}");
        let name = line["funder"]["name"].as_str().unwrap_or("Total");
        assert_eq!(row[0], name);
        for (cell, field) in row[1..7].iter().zip(fields) {
            assert!(is_csv_money(cell), "« {cell} » is not money as 12000,00");
            assert_eq!(*cell, money_csv(cents(&line[field])), "{name}, {field}");
        }
        assert_eq!(row[7], permille(&line["consumptionPermille"]).1, "{name}");
    }
    walk.no_error("after the download");

    // ------------------------------------------------------------ 8. a session's relevé, printed
    let copil = walk.api(
        "query($p: ID!) { sessions(programmeId: $p) { id body title held decisions { action { id } } } }",
        json!({"p": programme}),
    )["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["body"] == json!("COPIL") && s["held"] == json!(true))
        .max_by_key(|s| s["decisions"].as_array().unwrap().len())
        .cloned()
        .expect("a COPIL held");
    let session_id = copil["id"].as_str().unwrap();
    let decisions = copil["decisions"].as_array().unwrap().len();
    assert!(decisions > 0);
    walk.click("[data-testid=nav-sessions]");
    walk.click(&format!("tr[data-session-id=\"{session_id}\"] a"));
    walk.browser.wait("the relevé de décisions", || {
        let rows = walk.js(
            "const t = document.querySelector('[data-testid=session-decisions]'); \
             return t ? t.tBodies[0].rows.length : 0;",
        );
        (rows == json!(decisions)).then_some(())
    });
    let title = walk.text("#view-title");
    assert!(title.starts_with("COPIL du "), "« {title} »");
    walk.no_error("on the session");
    walk.shot("08-seance");

    walk.browser
        .cdp("Emulation.setEmulatedMedia", json!({"media": "print"}));
    let printed = walk.js(
        "const d = (s) => { const e = document.querySelector(s); return e ? getComputedStyle(e).display : 'absent'; }; \
         return { header: d('.site-header'), nav: d('#main-nav'), asof: d('#asof-form'), \
           print: d('[data-testid=print-button]'), csv: d('[data-testid=csv-session-decisions]'), \
           printHeader: d('#print-header'), \
           breaks: [...document.querySelectorAll('.print-break')].map(e => getComputedStyle(e).breakBefore), \
           theadBreak: getComputedStyle(document.querySelector('[data-testid=session-decisions] thead')).breakAfter, \
           asofLine: document.getElementById('print-asof').textContent, \
           programme: document.getElementById('print-programme').textContent };",
    );
    for hidden in ["header", "nav", "asof", "print", "csv"] {
        assert_eq!(
            printed[hidden],
            json!("none"),
            "{hidden} is not printed: {printed}"
        );
    }
    assert_eq!(printed["printHeader"], json!("block"), "{printed}");
    assert_eq!(
        printed["breaks"],
        json!(["page"]),
        "the history starts a page: {printed}"
    );
    assert_eq!(
        printed["theadBreak"],
        json!("avoid"),
        "a table's header row does not end a page alone: {printed}"
    );
    assert_eq!(
        printed["asofLine"],
        json!(format!("État au {}", french_date(&today))),
        "{printed}"
    );
    assert_eq!(
        printed["programme"],
        json!(format!("Chronique — {programme_name}"))
    );
    walk.shot("09-releve-apercu-impression");
    walk.browser
        .cdp("Emulation.setEmulatedMedia", json!({"media": ""}));

    let pdf = walk.browser.print_pdf(&walk.shots.join("10-releve.pdf"));
    assert!(pdf.starts_with(b"%PDF-"), "WebDriver print gives a PDF");
    assert!(
        pdf_pages(&pdf) >= 2,
        "the relevé and the history are on separate pages ({} pages)",
        pdf_pages(&pdf)
    );
    walk.no_error("after printing");

    pilotage_documents(&mut walk, &programme, &today);
    erased_texts_on_the_page(&mut walk, &programme);
    eprintln!(
        "browser: the walk took {:.1} s; screenshots in {}",
        walk.started.elapsed().as_secs_f64(),
        walk.shots.display()
    );
}

/// An action's report summary and title erased through the API: its page, its history's CSV
/// and its print show « texte effacé le … : motif » and not the words.
fn erased_texts_on_the_page(walk: &mut Walk, programme: &str) {
    let reports = walk.api(
        "query($p: ID!) { timeline(programmeId: $p, first: 1, filter: {kinds: [\"ReportSubmitted\"]}) { edges { node { position actionId } } } }",
        json!({"p": programme}),
    );
    let report = &reports["timeline"]["edges"][0]["node"];
    let action_id = report["actionId"].as_str().unwrap().to_owned();
    let before = walk.api(
        "query($p: ID!, $a: ID!) { action(programmeId: $p, id: $a) { reference title reports { summary } } \
         timeline(programmeId: $p, first: 1, filter: {actionId: $a, kinds: [\"ActionProposed\"]}) { edges { node { position } } } }",
        json!({"p": programme, "a": action_id}),
    );
    let title = before["action"]["title"].as_str().unwrap().to_owned();
    let summary = before["action"]["reports"][0]["summary"]
        .as_str()
        .unwrap()
        .to_owned();
    let proposed = before["timeline"]["edges"][0]["node"]["position"].clone();
    let erase = "mutation($p: ID!, $at: Int!, $field: String!) { eraseText(programmeId: $p, position: $at, field: $field, reason: \"Nom d'un enfant\") { erased } }";
    // The report's summary through the API…
    let erased = walk.api(
        erase,
        json!({"p": programme, "at": report["position"], "field": "narrative"}),
    );
    assert_eq!(erased["eraseText"]["erased"], 1);
    // … the title from the history of the action's page.
    walk.browser
        .goto(&walk.app.url(&format!("/#/action/{action_id}")));
    walk.click(&format!("[data-testid=erase-{proposed}]"));
    walk.browser.find("[data-testid=form-eraseText]");
    walk.browser.choose("#f-eraseText-field", "title");
    let reason = walk.browser.find("#f-eraseText-reason");
    walk.browser.type_into(&reason, "Nom d'un enfant");
    walk.shot("16-effacer-un-texte");
    walk.click("[data-testid=form-submit]");
    walk.browser.wait_js(
        "the action's page with the notice",
        "return document.querySelector('[data-testid=action-history]') !== null \
         && document.querySelector('#view h1')?.innerText.includes('texte effacé le');",
    );
    let page = walk.view_text();
    assert!(
        !page.contains(&title) && !page.contains(&summary),
        "the words are gone from the page"
    );
    assert!(page.contains(": Nom d'un enfant"), "the reason is shown");
    walk.shot("17-textes-effaces");
    walk.click("[data-testid=csv-action-history]");
    let reference = before["action"]["reference"].as_str().unwrap();
    let csv = walk
        .browser
        .download(&format!("action-{reference}-historique.csv"));
    let csv = String::from_utf8(csv).unwrap();
    assert!(
        csv.contains("texte effacé le") && !csv.contains(&title),
        "{csv}"
    );
    let pdf_path = walk.shots.join("18-action-effacee.pdf");
    walk.browser.print_pdf(&pdf_path);
    let printed = pdf_text(&pdf_path);
    assert!(printed.contains("texte effacé le"), "{printed}");
    assert!(!printed.contains(&title));
    walk.no_error("after the erasure");
}

/// The first and last days of the calendar month before `today` ("YYYY-MM-DD").
fn last_month(today: &str) -> (String, String) {
    let date = chrono::NaiveDate::parse_from_str(today, "%Y-%m-%d").unwrap();
    let first_of_this = date.with_day(1).unwrap();
    let last = first_of_this.pred_opt().unwrap();
    (last.with_day(1).unwrap().to_string(), last.to_string())
}

/// The rows a table of the page shows (its body's rows with cells, the « none » row excluded).
fn table_rows(walk: &Walk, testid: &str) -> usize {
    walk.js(&format!(
        "return [...document.querySelectorAll('[data-testid={testid}] tbody tr')].filter(r => !r.querySelector('td.empty')).length;"
    ))
    .as_u64()
    .unwrap() as usize
}

/// The text of a PDF, page by page, as poppler's `pdftotext` reads it.
fn pdf_text(path: &std::path::Path) -> String {
    let output = std::process::Command::new("pdftotext")
        .args(["-layout".as_ref(), path.as_os_str(), "-".as_ref()])
        .output()
        .expect("pdftotext (poppler-utils, which ./scripts/test installs) runs");
    assert!(output.status.success(), "pdftotext failed: {output:?}");
    String::from_utf8(output.stdout).unwrap()
}

/// « Pilotage »: the monthly report of last month against the API's (its tables, its charts,
/// its provenance on screen, in the CSV it downloads, on every page of its PDF), then the revue
/// de projet, the beneficiaries and the finances, each drawn with its charts.
fn pilotage_documents(walk: &mut Walk, programme: &str, today: &str) {
    let (from, to) = last_month(today);
    let expected = walk.api(
        "query($p: ID!, $from: Date!, $to: Date!) { monthlyReport(programmeId: $p, from: $from, to: $to) {
            changes { entries { position } statusChanges { actionId } } lateEntries { position }
            reportsDue { action { id } } overdueCompletions { id }
            budgetAtTo { lines { funder { id } consumptionPermille } }
            provenance { position headHash } } }",
        json!({"p": programme, "from": from, "to": to}),
    )["monthlyReport"]
        .clone();
    let (position, hash) = (
        expected["provenance"]["position"].as_i64().unwrap(),
        expected["provenance"]["headHash"]
            .as_str()
            .unwrap()
            .to_owned(),
    );
    walk.click("[data-testid=nav-pilotage]");
    walk.browser.find("[data-testid=monthly-entries]");
    assert_eq!(walk.hash(), "#/pilotage");
    // The last calendar month, proposed by default.
    assert_eq!(
        walk.js("return [document.querySelector('[data-testid=monthly-form-from]').value, document.querySelector('[data-testid=monthly-form-to]').value];"),
        json!([from, to])
    );
    let count = |v: &Value| v.as_array().unwrap().len();
    for (testid, list) in [
        ("monthly-entries", &expected["changes"]["entries"]),
        ("monthly-status", &expected["changes"]["statusChanges"]),
        ("monthly-late", &expected["lateEntries"]),
        ("monthly-reports-due", &expected["reportsDue"]),
        ("monthly-overdue", &expected["overdueCompletions"]),
    ] {
        assert_eq!(table_rows(walk, testid), count(list), "{testid}");
    }
    assert!(
        count(&expected["changes"]["entries"]) > 0,
        "the demo's last month has facts: {expected}"
    );
    // The provenance, on screen.
    let shown = walk.js(
        "const p = document.querySelector('[data-testid=provenance]'); return [Number(p.dataset.position), p.dataset.hash, p.textContent];",
    );
    assert_eq!(shown[0], json!(position));
    assert_eq!(shown[1], json!(hash));
    let verify = format!("chronique verify --position {position} --hash {hash}");
    assert!(shown[2].as_str().unwrap().contains(&verify), "{shown}");
    // The consumption chart: one bar per funder with an envelope, as long as its figure.
    let with_envelope = expected["budgetAtTo"]["lines"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| !l["consumptionPermille"].is_null())
        .count();
    let bars = walk.js(
        "return [...document.querySelectorAll('[data-testid=chart-consumption] .chart-row')]\
         .filter(g => g.dataset.value !== '').map(g => [Number(g.dataset.value), Number(g.querySelector('rect')?.getAttribute('width') ?? -1)]);",
    );
    assert_eq!(count(&bars), with_envelope, "{bars}");
    assert!(with_envelope > 0);
    for bar in bars.as_array().unwrap() {
        assert!(bar[1].as_f64().unwrap() >= 0.0, "a bar is drawn: {bars}");
        if bar[0].as_f64().unwrap() > 0.0 {
            assert!(
                bar[1].as_f64().unwrap() > 0.0,
                "a positive figure has a visible bar: {bars}"
            );
        }
    }
    walk.shot("11-pilotage-rapport-mensuel");

    // The CSV carries the provenance under the table.
    walk.click("[data-testid=csv-monthly-entries]");
    let csv = parse_csv(
        &walk
            .browser
            .download(&format!("rapport-mensuel-{from}-{to}.csv")),
    );
    assert_eq!(csv[0][0], "Date d’effet");
    let tail: Vec<(String, String)> = csv
        .iter()
        .filter(|r| r.len() == 2)
        .map(|r| (r[0].clone(), r[1].clone()))
        .collect();
    assert!(
        tail.contains(&("Position du journal".into(), position.to_string())),
        "{tail:?}"
    );
    assert!(
        tail.contains(&("Empreinte (SHA-256)".into(), hash.clone())),
        "{tail:?}"
    );
    assert!(
        tail.iter()
            .any(|(k, v)| k == "Vérification" && v.contains(&verify)),
        "{tail:?}"
    );
    assert_eq!(
        csv.iter().filter(|r| r.len() == 6).count() - 1,
        count(&expected["changes"]["entries"]),
        "one row per fact, besides the header"
    );

    // Printed: the header says which state it shows; every page's foot says how to check it.
    walk.browser
        .cdp("Emulation.setEmulatedMedia", json!({"media": "print"}));
    let line = walk.text("[data-testid=print-provenance]");
    assert!(line.contains(&verify), "« {line} »");
    walk.browser
        .cdp("Emulation.setEmulatedMedia", json!({"media": ""}));
    let pdf_path = walk.shots.join("12-rapport-mensuel.pdf");
    let pdf = walk.browser.print_pdf(&pdf_path);
    let pages = pdf_pages(&pdf);
    let text = pdf_text(&pdf_path);
    assert!(text.contains("Rapport mensuel au COTECH"), "{text}");
    // pdftotext ends each page with a form feed.
    let printed: Vec<&str> = text
        .split('\u{c}')
        .filter(|p| !p.trim().is_empty())
        .collect();
    assert_eq!(printed.len(), pages, "{text}");
    for (i, page) in printed.iter().enumerate() {
        assert!(
            page.contains(&verify),
            "page {} of {pages} has no check line: {page}",
            i + 1
        );
    }
    // What an auditor does with the printed pair.
    let check = walk.api(
        "query($p: Int!, $h: String!) { checkDocument(position: $p, hash: $h) { matches } }",
        json!({"p": position, "h": hash}),
    );
    assert_eq!(check["checkDocument"]["matches"], json!(true));
    walk.no_error("the monthly report");

    // The revue de projet of last year, with the figures declared at its validation.
    let year = today[..4].parse::<i32>().unwrap() - 1;
    let review = walk.api(
        "query($p: ID!, $y: Int!) { annualReview(programmeId: $p, year: $y) {
            deployment { newActions renewedActions } validatedAt { id } declared { provenance { position } } } }",
        json!({"p": programme, "y": year}),
    )["annualReview"]
        .clone();
    walk.click("[data-testid=pilotage-revue]");
    walk.browser.find("[data-testid=review-figures]");
    let first = walk.text("[data-testid=review-figures] tbody tr td:last-child");
    let retained = review["deployment"]["newActions"].as_i64().unwrap()
        + review["deployment"]["renewedActions"].as_i64().unwrap();
    assert!(
        first.starts_with(&retained.to_string()),
        "« {first} » against {review}"
    );
    let status = walk.text("[data-testid=review-validated]");
    if review["validatedAt"].is_null() {
        assert!(status.contains("Pas encore validée"), "« {status} »");
    } else {
        let declared = review["declared"]["provenance"]["position"]
            .as_i64()
            .unwrap();
        assert!(
            status.contains(&format!("position {declared}")),
            "« {status} »"
        );
    }
    walk.browser.find("[data-testid=chart-axes] rect.chart-bar");
    walk.shot("13-pilotage-revue");

    // Beneficiaries by age band, and payment delays against the 60 days.
    walk.click("[data-testid=pilotage-beneficiaires]");
    walk.browser.find("[data-testid=chart-beneficiaries]");
    walk.shot("14-pilotage-beneficiaires");
    walk.click("[data-testid=pilotage-finances]");
    walk.browser
        .find("[data-testid=chart-delays] rect.chart-bar");
    walk.browser
        .find("[data-testid=chart-delays] .chart-reference");
    walk.shot("15-pilotage-finances");

    // What the COPIL knew: from the latest held COPIL's page, against the API.
    let sessions = walk.api(
        "query($p: ID!) { sessions(programmeId: $p, body: COPIL) { id held } }",
        json!({"p": programme}),
    );
    let copil = sessions["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .rev()
        .find(|s| s["held"] == json!(true))
        .expect("a held COPIL in the demo")["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let hindsight = walk.api(
        "query($p: ID!, $s: ID!) { copilHindsight(programmeId: $p, sessionId: $s) { lateEntries { position } paidUnknown { delta } } }",
        json!({"p": programme, "s": copil}),
    )["copilHindsight"]
        .clone();
    walk.browser
        .goto(&walk.app.url(&format!("/#/session/{copil}")));
    walk.click("[data-testid=session-hindsight]");
    walk.browser.find("[data-testid=hindsight-late]");
    assert_eq!(
        table_rows(walk, "hindsight-late"),
        count(&hindsight["lateEntries"])
    );
    assert_eq!(
        table_rows(walk, "hindsight-paid"),
        count(&hindsight["paidUnknown"])
    );
    walk.shot("16-ce-que-le-copil-savait");
    walk.no_error("the pilotage");
}

/// An alliance member (OBSERVER): a wrong token first, then theirs; no programme to choose;
/// what they may not see (opinions, agendas, requested amounts) is neither asked for nor shown
/// as zeros; signing out forgets the token. Then a PORTEUR: its own action in full, another
/// partner's as an observer.
#[test]
fn an_observer_and_a_porteur_see_only_what_is_theirs() {
    let (_dir, mut walk) = Walk::on_demo("OBSERVER", "observateur");
    let porteur = walk.app.demo_token("PORTEUR");
    let programme = walk.app.demo_programme();

    // A wrong token: a French message, and the form again.
    walk.browser.goto(&walk.app.url("/"));
    let field = walk.browser.find("[data-testid=signin-token]");
    walk.browser.type_into(&field, "chq_inconnu");
    walk.click("[data-testid=signin-submit]");
    let error = walk.browser.wait("the refusal of a wrong token", || {
        let e = walk.js(
            "const e = document.getElementById('error'); return e.hidden ? null : e.textContent;",
        );
        e.as_str().map(str::to_owned)
    });
    assert!(
        error.contains("jeton") || error.contains("Jeton"),
        "« {error} »"
    );
    assert!(
        walk.browser
            .try_find("[data-testid=signin-token]")
            .is_some()
    );
    assert_eq!(
        walk.js("return sessionStorage.getItem('chronique.token');"),
        Value::Null,
        "a refused token is not kept"
    );
    walk.shot("01-jeton-refuse");
    // The 401 of the wrong token is in the console: what follows must add nothing.
    let _ = walk.browser.console();

    let field = walk.browser.find("[data-testid=signin-token]");
    walk.browser.type_into(&field, &walk.token);
    walk.click("[data-testid=signin-submit]");
    let expected = walk.api_timeline(&programme, Value::Null);
    walk.wait_for_timeline(&expected, "the observer's timeline");
    assert_eq!(
        walk.js("return document.getElementById('programme-select').hidden;"),
        json!(true),
        "one programme: nothing to choose"
    );
    assert!(walk.text("[data-testid=viewer]").contains("(observation)"));
    walk.no_error("on the observer's timeline");

    // An action: no opinions, and no « Demandé » column of zeros.
    let action = walk.api(
        "query($p: ID!) { actions(programmeId: $p, first: 1, filter: {status: [FUNDED, IN_PROGRESS]}) \
         { edges { node { id reference } } } }",
        json!({"p": programme}),
    )["actions"]["edges"][0]["node"]
        .clone();
    let action_id = action["id"].as_str().unwrap();
    walk.browser
        .goto(&walk.app.url(&format!("/#/action/{action_id}")));
    walk.browser.find("[data-testid=action-card]");
    assert_eq!(
        walk.text("[data-testid=action-reference]"),
        action["reference"].as_str().unwrap()
    );
    let headers = walk.js(
        "return [...document.querySelectorAll('[data-testid=action-money] thead th')].map(t => t.textContent);",
    );
    assert!(
        !headers
            .as_array()
            .unwrap()
            .iter()
            .any(|h| h == "Demandé" || h == "Proposé"),
        "an observer is not shown requested amounts as zeros: {headers}"
    );
    assert!(
        walk.browser
            .try_find_present("[data-testid=action-opinions]")
            .is_none()
    );
    walk.no_error("on an action, as an observer");
    walk.shot("02-action");

    // The budget: lines and totals, no requested column.
    walk.click("[data-testid=nav-budget]");
    walk.browser.find("[data-testid=budget-total-granted]");
    let headers = walk.js(
        "return [...document.querySelectorAll('[data-testid=budget-lines] thead th, [data-testid=budget-programmation] thead th')]\
         .map(t => t.textContent);",
    );
    assert!(
        !headers.as_array().unwrap().iter().any(|h| h == "Demandé"),
        "an observer is not shown requested amounts as zeros: {headers}"
    );
    assert!(
        walk.browser
            .try_find_present("[data-testid=budget-total-requested]")
            .is_none()
    );
    walk.no_error("on the budget, as an observer");
    walk.shot("03-budget");

    // A session: the relevé, without the agenda.
    walk.click("[data-testid=nav-sessions]");
    walk.click("tr[data-session-id] a");
    walk.browser.find("[data-testid=session-decisions]");
    assert!(
        walk.browser
            .try_find_present("[data-testid=session-agenda]")
            .is_none()
    );
    walk.no_error("on a session, as an observer");
    walk.shot("04-seance");

    // The pilotage: no monthly report; beneficiaries of each year with no cell below 10, on
    // screen nor in the CSV, and no total once a cell is hidden.
    walk.click("[data-testid=nav-pilotage]");
    walk.browser.find("[data-testid=beneficiaries-cells]");
    assert!(
        walk.browser
            .try_find_present("[data-testid=pilotage-mensuel]")
            .is_none()
    );
    let today = walk.js("return new Date().toISOString().slice(0, 4);");
    let this_year: i32 = today.as_str().unwrap().parse().unwrap();
    let mut hidden_seen = false;
    for year in [this_year - 1, this_year] {
        walk.browser
            .goto(&walk.app.url(&format!("/#/pilotage/beneficiaires/{year}")));
        walk.browser.wait_js(
            "the beneficiaries of the year",
            &format!("return document.getElementById('view-title')?.textContent === 'Bénéficiaires {year}';"),
        );
        let counts = walk.js(
            "return [...document.querySelectorAll('[data-testid=beneficiaries-cells] tbody tr td:last-child')].map(td => td.textContent);",
        );
        let total = walk.text("[data-testid=beneficiaries-total]");
        for count in counts.as_array().unwrap() {
            let count = count.as_str().unwrap().replace(NNBSP, "");
            if count == "< 10" {
                hidden_seen = true;
                assert!(total.starts_with("Total non communiqué"), "« {total} »");
            } else {
                assert!(
                    count.parse::<u32>().unwrap() >= 10,
                    "a cell of {count} shown to an observer"
                );
            }
        }
        walk.click("[data-testid=csv-beneficiaries-cells]");
        let csv = parse_csv(&walk.browser.download(&format!("beneficiaires-{year}.csv")));
        for row in csv.iter().skip(1).filter(|r| r.len() == 7) {
            assert!(
                row[6] == "< 10" || row[6].parse::<u32>().unwrap() >= 10,
                "{row:?}"
            );
        }
    }
    assert!(
        hidden_seen,
        "the demo has small cells, hidden from an observer"
    );
    walk.no_error("on the pilotage, as an observer");
    walk.shot("05-pilotage-beneficiaires");

    // Signing out forgets the token: a reload shows the sign-in form.
    walk.click("[data-testid=signout]");
    walk.browser.find("[data-testid=signin-token]");
    assert_eq!(
        walk.js("return sessionStorage.getItem('chronique.token');"),
        Value::Null
    );
    walk.browser.goto(&walk.app.url("/"));
    walk.browser.find("[data-testid=signin-token]");
    assert_eq!(
        walk.js("return document.getElementById('main-nav').hidden;"),
        json!(true)
    );
    walk.shot("05-deconnexion");

    // A porteur: its own action in full, another partner's without requested amounts nor
    // opinions.
    walk.token = porteur;
    let field = walk.browser.find("[data-testid=signin-token]");
    walk.browser.type_into(&field, &walk.token);
    walk.click("[data-testid=signin-submit]");
    walk.browser.find("[data-testid=timeline-entry]");
    let data = walk.api(
        "query($p: ID!) { me { partnerId } actions(programmeId: $p, first: 500, filter: {status: [FUNDED, IN_PROGRESS]}) \
         { edges { node { id holder { id } } } } }",
        json!({"p": programme}),
    );
    let partner = data["me"]["partnerId"].clone();
    let actions = data["actions"]["edges"].as_array().unwrap();
    let own = actions
        .iter()
        .find(|e| e["node"]["holder"]["id"] == partner)
        .expect("an action of the porteur's partner");
    let other = actions
        .iter()
        .find(|e| e["node"]["holder"]["id"] != partner)
        .expect("an action of another partner");
    for (action, full) in [(own, true), (other, false)] {
        let id = action["node"]["id"].as_str().unwrap();
        walk.browser.goto(&walk.app.url(&format!("/#/action/{id}")));
        walk.browser.wait(&format!("the action {id}"), || {
            let shown = walk.js(
                "const c = document.querySelector('[data-testid=action-card]'); \
                 return c && !document.getElementById('main').hasAttribute('aria-busy') ? location.hash : null;",
            );
            (shown.as_str() == Some(&format!("#/action/{id}"))).then_some(())
        });
        let headers = walk.js(
            "return [...document.querySelectorAll('[data-testid=action-money] thead th')].map(t => t.textContent);",
        );
        let requested = headers.as_array().unwrap().iter().any(|h| h == "Demandé");
        assert_eq!(requested, full, "requested amounts of {id}: {headers}");
        let opinions = walk
            .browser
            .try_find_present("[data-testid=action-opinions]")
            .is_some();
        assert_eq!(opinions, full, "opinions of {id}");
        walk.no_error(&format!("on the action {id}, as a porteur"));
    }
    walk.shot("06-porteur-action-d-un-autre");
}

#[test]
fn french_formats_of_the_test_match_domain_md() {
    assert_eq!(money(1_200_000), "12\u{202F}000,00\u{A0}€");
    assert_eq!(money(5), "0,05\u{A0}€");
    assert_eq!(money(-150_050), "-1\u{202F}500,50\u{A0}€");
    assert_eq!(money_csv(1_200_000), "12000,00");
    assert_eq!(french_date("2026-03-14"), "14 mars 2026");
    assert_eq!(french_date("2026-08-01"), "1er août 2026");
    assert!(has_french_date("décidé le 14 mars 2026 ·"));
    assert!(!has_french_date("2026-03-14"));
    assert!(has_french_money("pour 12\u{202F}000,00\u{A0}€ ;"));
    assert!(!has_french_money("pour 12000,00 €"));
    assert!(is_csv_money("12000,00") && is_csv_money("-1500,50"));
    assert!(!is_csv_money("12 000,00") && !is_csv_money("12000.00"));
}

/// `/graphql` in a browser without the Internet (GraphiQL's CDN blocked): the console that stands
/// in for GraphiQL runs a query with the token typed in, and links to the schema.
#[test]
fn without_the_internet_graphql_offers_a_console() {
    let browser = Browser::start();
    let dir = tempfile::tempdir().unwrap();
    let app = spawn(&["demo"], dir.path());
    let token = app.demo_token("OBSERVER");
    browser.cdp("Network.enable", json!({}));
    browser.cdp("Network.setBlockedURLs", json!({"urls": ["*unpkg.com*"]}));
    browser.goto(&app.url("/graphql"));
    browser.wait("the console in place of GraphiQL", || {
        (browser.js("return document.getElementById('console').hidden;", vec![]) == json!(false))
            .then_some(())
    });
    assert_eq!(
        browser.js("return document.documentElement.lang;", vec![]),
        json!("fr")
    );
    let field = browser.find("#token");
    browser.type_into(&field, &token);
    browser.js(
        "document.getElementById('query').value = arguments[0];",
        vec![json!("{ me { role } }")],
    );
    browser.click_css("#run button[type=submit]");
    let answer = browser.wait("the console's answer", || {
        let text = browser.js(
            "return document.getElementById('answer').textContent;",
            vec![],
        );
        text.as_str()
            .filter(|t| t.contains("\"role\""))
            .map(str::to_owned)
    });
    let answer: serde_json::Value = serde_json::from_str(&answer).unwrap();
    assert_eq!(answer["data"]["me"]["role"], "OBSERVER");
    let schema = browser.js(
        "return document.querySelector('a[href=\"/graphql/schema.graphql\"]') !== null;",
        vec![],
    );
    assert_eq!(schema, json!(true));
    browser.screenshot(&screenshot_dir("console").join("01-console-hors-ligne.png"));
}
