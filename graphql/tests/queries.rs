//! The query side of the API through `schema.execute`: a store filled by the projections'
//! generator (two programmes of thirty actions, every life unfolded), a projector, tokens of
//! several roles made by the token store, and the domain's `Query` fields and
//! `Subscription.timeline` as clients call them.

use async_graphql::{Request, Variables};
use chrono::{NaiveDate, TimeZone, Utc};
use domain::events::{AxisDefined, DomainEvent, ProgrammeEvent};
use domain::values::{AxisCode, NationalObjective, ProgrammeId, Role, Title};
use eventlog::{AppendRequest, Durability, EventLog, ExpectedVersion, NewEvent};
use futures::StreamExt;
use graphql::auth::{Viewer, authenticate};
use graphql::schema::{ChroniqueSchema, build_schema};
use graphql::tokens::NewToken;
use graphql::{AppState, Clock};
use projections::generator::{self, GeneratedSummary, GeneratorParams, SimulatedClock};
use projections::runner::{Projector, ProjectorOptions};
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::time::Duration;

struct Fixture {
    _dir: tempfile::TempDir,
    state: AppState,
    schema: ChroniqueSchema,
    summary: GeneratedSummary,
    /// The first programme, and the other one.
    programme: String,
    other: String,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let clock = SimulatedClock::new();
    let log = EventLog::open(
        dir.path(),
        eventlog::Options {
            durability: Durability::Buffered,
            clock: clock.clock(),
            ..Default::default()
        },
    )
    .unwrap();
    let params = GeneratorParams::small(7, 2, 30).with_clock(clock.clone());
    let summary = generator::generate(&log, &params).unwrap();
    // Recorded times go on from the real clock, later than every simulated one.
    clock.release();
    let projector = Projector::start(&log, ProjectorOptions::default()).unwrap();
    let today = Clock::fixed(Utc.with_ymd_and_hms(2026, 6, 30, 10, 0, 0).unwrap());
    let state = AppState::new(log, today).unwrap().with_projector(projector);
    let schema = build_schema(state.clone());
    Fixture {
        _dir: dir,
        programme: summary.programmes[0].to_string(),
        other: summary.programmes[1].to_string(),
        state,
        schema,
        summary,
    }
}

impl Fixture {
    /// A viewer holding a token made by the token store.
    fn token(&self, role: Role, programme: Option<&str>, partner: Option<&str>) -> Viewer {
        let (_, secret) = self
            .state
            .tokens
            .create(NewToken {
                role,
                programme: programme.map(str::to_owned),
                partner: partner.map(str::to_owned),
                name: format!("Test {role:?}"),
            })
            .unwrap();
        authenticate(&self.state.tokens, Some(&secret)).unwrap()
    }

    fn pilot(&self) -> Viewer {
        self.token(Role::Pilot, Some(&self.programme), None)
    }

    async fn run(&self, viewer: &Viewer, query: &str, variables: Value) -> Value {
        let request = Request::new(query)
            .variables(Variables::from_json(variables))
            .data(viewer.clone());
        serde_json::to_value(self.schema.execute(request).await).unwrap()
    }

    /// Runs a query that must succeed, and returns its data.
    async fn data(&self, viewer: &Viewer, query: &str, variables: Value) -> Value {
        let response = self.run(viewer, query, variables).await;
        assert!(
            response.get("errors").is_none(),
            "unexpected errors: {}",
            response["errors"]
        );
        response["data"].clone()
    }

    fn head(&self) -> u64 {
        self.state.log.head().position
    }
}

fn code(response: &Value) -> &str {
    response["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("no error code in {response}"))
}

fn list(value: &Value) -> &Vec<Value> {
    value
        .as_array()
        .unwrap_or_else(|| panic!("not a list: {value}"))
}

const ALL_ACTIONS: &str = "query($p: ID!, $asOf: AsOf) {
  actions(programmeId: $p, asOf: $asOf, first: 500) {
    totalCount
    edges { node { id reference status year holder { id } opinions { opinion } } }
  }
}";

async fn all_actions(f: &Fixture, viewer: &Viewer) -> Vec<Value> {
    let data = f.data(viewer, ALL_ACTIONS, json!({"p": f.programme})).await;
    list(&data["actions"]["edges"])
        .iter()
        .map(|e| e["node"].clone())
        .collect()
}

fn status_is(node: &Value, statuses: &[&str]) -> bool {
    statuses.contains(&node["status"].as_str().unwrap())
}

const NOT_RETAINED: &[&str] = &[
    "PROPOSED",
    "COMPLEMENTS_REQUESTED",
    "UNDER_REVIEW",
    "DEFERRED",
    "REJECTED",
    "WITHDRAWN",
];

// ------------------------------------------------------------------------------ programme

#[tokio::test]
async fn programme_shows_its_axes_funders_envelopes_bodies_and_history() {
    let f = fixture();
    let data = f
        .data(
            &f.pilot(),
            "query($p: ID!) { programme(id: $p) {
                id name territory requestCapPermille version
                axes { code title objective retired }
                allAxes: axes(includeRetired: true) { code retired }
                funders { id name kind }
                envelopes { funder { id } year amount }
                envelopes2023: envelopes(year: 2023) { year amount }
                bodies { body organisations since }
                history { position kind summary effectiveOn recordedAt actor }
            } }",
            json!({"p": f.programme}),
        )
        .await;
    let p = &data["programme"];
    assert_eq!(p["id"], f.programme);
    assert!(!list(&p["axes"]).is_empty());
    assert!(list(&p["axes"]).iter().all(|a| a["retired"] == false));
    assert!(list(&p["allAxes"]).len() >= list(&p["axes"]).len());
    assert!(!list(&p["funders"]).is_empty());
    assert!(!list(&p["envelopes"]).is_empty());
    assert!(!list(&p["envelopes2023"]).is_empty());
    assert!(list(&p["envelopes2023"]).iter().all(|e| e["year"] == 2023));
    assert!(p["version"].as_i64().unwrap() > 0);
    let history = list(&p["history"]);
    assert_eq!(history[0]["kind"], "ProgrammeEstablished");
    assert_eq!(history.len() as i64, p["version"].as_i64().unwrap());
    assert!(
        history
            .iter()
            .all(|h| !h["summary"].as_str().unwrap().is_empty())
    );
}

#[tokio::test]
async fn programmes_lists_every_programme_for_an_admin_and_its_own_for_others() {
    let f = fixture();
    let query = "{ programmes { id } }";
    let admin = f
        .data(&f.token(Role::Admin, None, None), query, json!({}))
        .await;
    let ids: BTreeSet<&str> = list(&admin["programmes"])
        .iter()
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        BTreeSet::from([f.programme.as_str(), f.other.as_str()])
    );
    let pilot = f.data(&f.pilot(), query, json!({})).await;
    assert_eq!(pilot["programmes"], json!([{"id": f.programme}]));
}

#[tokio::test]
async fn an_unknown_programme_is_null_where_nullable_and_not_found_elsewhere() {
    let f = fixture();
    let admin = f.token(Role::Admin, None, None);
    let data = f
        .data(
            &admin,
            "{ programme(id: \"nulle-part\") { id } action(programmeId: \"nulle-part\", id: \"a1\") { id } session(programmeId: \"nulle-part\", id: \"s1\") { id } }",
            json!({}),
        )
        .await;
    assert_eq!(
        data,
        json!({"programme": null, "action": null, "session": null})
    );
    for query in [
        "{ budget(programmeId: \"nulle-part\", year: 2024) { year } }",
        "{ actions(programmeId: \"nulle-part\") { totalCount } }",
        "{ sessions(programmeId: \"nulle-part\") { id } }",
    ] {
        let response = f.run(&admin, query, json!({})).await;
        assert_eq!(code(&response), "NOT_FOUND", "{query}: {response}");
    }
}

// ------------------------------------------------------------------------------ actions

#[tokio::test]
async fn actions_are_filtered_counted_and_paged_with_cursors() {
    let f = fixture();
    let pilot = f.pilot();
    let all = all_actions(&f, &pilot).await;
    assert_eq!(all.len(), 30);
    let data = f
        .data(
            &pilot,
            "query($p: ID!) { actions(programmeId: $p, filter: {status: [RETAINED, FUNDED], year: 2023}) { totalCount edges { node { status year } } } }",
            json!({"p": f.programme}),
        )
        .await;
    let filtered = list(&data["actions"]["edges"]);
    assert_eq!(
        data["actions"]["totalCount"].as_u64().unwrap() as usize,
        filtered.len()
    );
    let expected = all
        .iter()
        .filter(|a| status_is(a, &["RETAINED", "FUNDED"]) && a["year"] == 2023)
        .count();
    assert_eq!(filtered.len(), expected);
    // Pages of 7, followed by their cursors, give the whole list once, in order.
    let mut after: Option<String> = None;
    let mut paged = Vec::new();
    loop {
        let data = f
            .data(
                &pilot,
                "query($p: ID!, $after: String) { actions(programmeId: $p, first: 7, after: $after) {
                    totalCount edges { cursor node { id } } pageInfo { hasNextPage endCursor } } }",
                json!({"p": f.programme, "after": after}),
            )
            .await;
        let connection = &data["actions"];
        assert_eq!(connection["totalCount"], 30);
        let edges = list(&connection["edges"]);
        assert!(edges.len() <= 7);
        paged.extend(edges.iter().map(|e| e["node"]["id"].clone()));
        if connection["pageInfo"]["hasNextPage"] == false {
            break;
        }
        after = Some(
            connection["pageInfo"]["endCursor"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    let ids: Vec<Value> = all.iter().map(|a| a["id"].clone()).collect();
    assert_eq!(paged, ids);
}

#[tokio::test]
async fn a_page_above_five_hundred_is_limit() {
    let f = fixture();
    let response = f
        .run(
            &f.pilot(),
            "query($p: ID!) { actions(programmeId: $p, first: 501) { totalCount } }",
            json!({"p": f.programme}),
        )
        .await;
    assert_eq!(code(&response), "LIMIT");
    let response = f
        .run(
            &f.pilot(),
            "query($p: ID!) { timeline(programmeId: $p, first: 501) { pageInfo { hasNextPage } } }",
            json!({"p": f.programme}),
        )
        .await;
    assert_eq!(code(&response), "LIMIT");
}

const ACTION: &str = "query($p: ID!, $id: ID!, $asOf: AsOf) { action(programmeId: $p, id: $id, asOf: $asOf) {
    id reference title status version lastReason
    holder { id name } axis { code title }
    money { funder { id name } requested proposed retained granted paid toPay refused restricted }
    grants { id funder { id } year amount actKind reference signedOn }
    payments { id funder { id } amount kind paidOn cancelled }
    opinions { opinion givenOn session { id body } proposed { amount } }
    decision { outcome revised decidedOn reason session { id body date held } retained { funder { id } amount } }
    reports { kind spent beneficiaries { count hidden } }
    indicators { code measurements { value measuredOn } }
    history { position kind summary effectiveOn recordedAt actor supersededBy }
} }";

#[tokio::test]
async fn an_action_shows_its_money_grants_payments_decision_and_history_in_french() {
    let f = fixture();
    let (programme, action) = f.summary.cancelled_payment_action.clone().unwrap();
    let pilot = f.token(Role::Pilot, Some(programme.as_str()), None);
    let data = f
        .data(
            &pilot,
            ACTION,
            json!({"p": programme.to_string(), "id": action.to_string()}),
        )
        .await;
    let a = &data["action"];
    assert_eq!(a["id"], action.to_string());
    assert!(!list(&a["grants"]).is_empty());
    let payments = list(&a["payments"]);
    assert!(payments.iter().any(|p| p["cancelled"] == true));
    // Paid per funder counts the payments not cancelled.
    for line in list(&a["money"]) {
        let funder = &line["funder"]["id"];
        let paid: i64 = payments
            .iter()
            .filter(|p| &p["funder"]["id"] == funder && p["cancelled"] == false)
            .map(|p| p["amount"].as_i64().unwrap())
            .sum();
        assert_eq!(line["paid"].as_i64().unwrap(), paid, "{line}");
        assert_eq!(line["restricted"], false);
    }
    let decision = &a["decision"];
    assert_eq!(decision["outcome"], "RETAINED");
    assert_eq!(decision["session"]["body"], "COPIL");
    assert_eq!(decision["session"]["held"], true);
    assert_eq!(decision["decidedOn"], decision["session"]["date"]);
    let history = list(&a["history"]);
    assert_eq!(history.len() as i64, a["version"].as_i64().unwrap());
    assert_eq!(history[0]["kind"], "ActionProposed");
    let cancelled = history
        .iter()
        .find(|h| h["kind"] == "PaymentCancelled")
        .expect("the cancellation is in the history");
    // The cancelled payment's entry names the cancellation that superseded it.
    assert!(
        history
            .iter()
            .any(|h| h["kind"] == "PaymentRecorded" && h["supersededBy"] == cancelled["position"])
    );
    let decided = history
        .iter()
        .find(|h| h["kind"] == "CopilDecisionTaken")
        .unwrap();
    let sentence = decided["summary"].as_str().unwrap();
    assert!(sentence.contains("COPIL"), "{sentence}");
    assert!(sentence.contains('€'), "{sentence}");
}

#[tokio::test]
async fn a_revised_decision_is_marked_revised_and_its_predecessor_superseded() {
    let f = fixture();
    let (programme, action) = f.summary.revised_action.clone().unwrap();
    let pilot = f.token(Role::Pilot, Some(programme.as_str()), None);
    let data = f
        .data(
            &pilot,
            ACTION,
            json!({"p": programme.to_string(), "id": action.to_string()}),
        )
        .await;
    let a = &data["action"];
    assert_eq!(a["decision"]["revised"], true);
    assert!(a["lastReason"].is_string());
    let history = list(&a["history"]);
    let revision = history
        .iter()
        .find(|h| h["kind"] == "DecisionRevised")
        .unwrap();
    assert!(
        history.iter().any(|h| h["kind"] == "CopilDecisionTaken"
            && h["supersededBy"] == revision["position"])
    );
}

// ------------------------------------------------------------------------------ reading rules

#[tokio::test]
async fn an_observer_sees_neither_actions_before_retention_nor_opinions() {
    let f = fixture();
    let pilot_view = all_actions(&f, &f.pilot()).await;
    let observer = f.token(Role::Observer, Some(&f.programme), None);
    let observer_view = all_actions(&f, &observer).await;
    let hidden = pilot_view
        .iter()
        .find(|a| status_is(a, NOT_RETAINED))
        .expect("a programme of thirty actions has one not retained");
    assert!(observer_view.iter().all(|a| a["id"] != hidden["id"]));
    assert!(observer_view.iter().all(|a| !status_is(a, NOT_RETAINED)));
    let visible = pilot_view
        .iter()
        .filter(|a| !status_is(a, NOT_RETAINED))
        .count();
    assert_eq!(observer_view.len(), visible);
    assert!(
        observer_view
            .iter()
            .all(|a| list(&a["opinions"]).is_empty())
    );
    assert!(
        pilot_view
            .iter()
            .any(|a| !status_is(a, NOT_RETAINED) && !list(&a["opinions"]).is_empty()),
        "the pilot sees opinions of retained actions"
    );
    let data = f
        .data(
            &observer,
            ACTION,
            json!({"p": f.programme, "id": hidden["id"]}),
        )
        .await;
    assert_eq!(data["action"], Value::Null);
    // Requested amounts of a retained action read 0, flagged.
    let shown = observer_view[0]["id"].clone();
    let data = f
        .data(&observer, ACTION, json!({"p": f.programme, "id": shown}))
        .await;
    for line in list(&data["action"]["money"]) {
        assert_eq!(line["restricted"], true);
        assert_eq!(line["requested"], 0);
    }
    assert!(
        list(&data["action"]["history"])
            .iter()
            .all(|h| h["kind"] != "OpinionGiven")
    );
    // Nor agendas: empty, and flagged.
    let query = "query($p: ID!) { sessions(programmeId: $p) { id agenda { id } agendaHidden } }";
    let pilot_sessions = f.data(&f.pilot(), query, json!({"p": f.programme})).await;
    assert!(
        list(&pilot_sessions["sessions"])
            .iter()
            .any(|s| !list(&s["agenda"]).is_empty())
    );
    assert!(
        list(&pilot_sessions["sessions"])
            .iter()
            .all(|s| s["agendaHidden"] == false)
    );
    let observer_sessions = f.data(&observer, query, json!({"p": f.programme})).await;
    for session in list(&observer_sessions["sessions"]) {
        assert!(list(&session["agenda"]).is_empty());
        assert_eq!(session["agendaHidden"], true);
    }
}

const TEXTS: &str = "query($p: ID!) {
  actions(programmeId: $p, first: 500) { edges { node { id holder { id } lastReason
    complements { items note } decision { reason } reports { summary }
    evaluation { findings } finalReportReview { comment } } } }
}";

/// Every free text of the programme's actions that DOMAIN.md's « Reading » withholds from an
/// observer, as `viewer` reads them: (action id, holder, field, text).
async fn free_texts(f: &Fixture, viewer: &Viewer) -> Vec<(String, String, &'static str, String)> {
    let data = f.data(viewer, TEXTS, json!({"p": f.programme})).await;
    let mut out = Vec::new();
    for edge in list(&data["actions"]["edges"]) {
        let a = &edge["node"];
        let mut push = |field: &'static str, v: &Value| {
            if let Some(text) = v.as_str() {
                out.push((
                    a["id"].as_str().unwrap().to_owned(),
                    a["holder"]["id"].as_str().unwrap().to_owned(),
                    field,
                    text.to_owned(),
                ));
            }
        };
        push("lastReason", &a["lastReason"]);
        push("decision.reason", &a["decision"]["reason"]);
        push("evaluation.findings", &a["evaluation"]["findings"]);
        push(
            "finalReportReview.comment",
            &a["finalReportReview"]["comment"],
        );
        for c in list(&a["complements"]) {
            push("complements.note", &c["note"]);
            for item in list(&c["items"]) {
                push("complements.items", item);
            }
        }
        for r in list(&a["reports"]) {
            push("reports.summary", &r["summary"]);
        }
    }
    out
}

/// DOMAIN.md, « Reading »: an observer, and a porteur outside its own actions, never receive
/// report narratives, complement items and notes, reasons, comments or findings. On the fiche
/// they read « — »; the timeline, the histories, the relevés and the changes word the events
/// without them. The holder reads its own in full.
#[tokio::test]
async fn an_observer_receives_no_free_text_that_may_name_people() {
    let f = fixture();
    let full = free_texts(&f, &f.pilot()).await;
    let kinds: BTreeSet<&str> = full.iter().map(|(_, _, field, _)| *field).collect();
    for field in [
        "lastReason",
        "decision.reason",
        "evaluation.findings",
        "complements.items",
        "complements.note",
        "reports.summary",
    ] {
        assert!(
            kinds.contains(field),
            "the generated programme has a {field}: {kinds:?}"
        );
    }
    let holder = full[0].1.clone();
    let observer = f.token(Role::Observer, Some(&f.programme), None);
    let porteur = f.token(Role::Porteur, Some(&f.programme), Some(&holder));
    for (who, viewer) in [("OBSERVER", &observer), ("PORTEUR", &porteur)] {
        let seen = free_texts(&f, viewer).await;
        assert!(!seen.is_empty(), "{who} sees retained actions with texts");
        for (action, owner, field, text) in &seen {
            if who == "PORTEUR" && owner == &holder {
                let original = full
                    .iter()
                    .find(|(a, _, fl, t)| a == action && fl == field && t == text);
                assert!(
                    original.is_some(),
                    "{who} reads its own {field} of {action} in full: « {text} »"
                );
            } else {
                assert_eq!(text, "—", "{who}: {field} of {action}");
            }
        }
        // Nowhere else either: every answer that words the events of the actions it may see.
        let mut answers = String::new();
        let queries = [
            "query($p: ID!) { timeline(programmeId: $p, first: 500, oldestFirst: true) { edges { node { summary } } } }",
            "query($p: ID!) { actions(programmeId: $p, first: 500) { edges { node { history { summary } } } } }",
            "query($p: ID!) { sessions(programmeId: $p) { decisions { reason } history { summary } } }",
            "query($p: ID!) { changes(programmeId: $p, from: {position: 0}, to: {position: 100000000}) { entries { summary } } }",
        ];
        for query in queries {
            let query = query.replace("100000000", &f.head().to_string());
            answers.push_str(
                &f.data(viewer, &query, json!({"p": f.programme}))
                    .await
                    .to_string(),
            );
        }
        let foreign: Vec<&(String, String, &str, String)> = full
            .iter()
            .filter(|(_, owner, _, text)| {
                !(who == "PORTEUR" && owner == &holder) && text.chars().count() >= 12
            })
            .collect();
        assert!(!foreign.is_empty());
        for (action, _, field, text) in foreign {
            assert!(
                !answers.contains(text.as_str()),
                "{who} receives the {field} of {action}, « {text} »"
            );
        }
        assert!(
            answers.contains(" : —"),
            "{who}: the sentences say a text is withheld"
        );
    }
}

#[tokio::test]
async fn a_porteur_sees_its_own_action_in_full() {
    let f = fixture();
    let pilot_view = all_actions(&f, &f.pilot()).await;
    let own = pilot_view
        .iter()
        .find(|a| {
            status_is(a, &["UNDER_REVIEW", "DEFERRED", "REJECTED"])
                && !list(&a["opinions"]).is_empty()
        })
        .or_else(|| pilot_view.iter().find(|a| status_is(a, NOT_RETAINED)))
        .expect("an action not retained");
    let holder = own["holder"]["id"].as_str().unwrap();
    let porteur = f.token(Role::Porteur, Some(&f.programme), Some(holder));
    let data = f
        .data(&porteur, ACTION, json!({"p": f.programme, "id": own["id"]}))
        .await;
    let a = &data["action"];
    assert_eq!(a["id"], own["id"]);
    assert_eq!(list(&a["opinions"]).len(), list(&own["opinions"]).len());
    assert!(list(&a["money"]).iter().all(|l| l["restricted"] == false));
    // Another holder's action not retained stays hidden from it.
    if let Some(other) = pilot_view
        .iter()
        .find(|a| status_is(a, NOT_RETAINED) && a["holder"]["id"] != holder)
    {
        let data = f
            .data(
                &porteur,
                ACTION,
                json!({"p": f.programme, "id": other["id"]}),
            )
            .await;
        assert_eq!(data["action"], Value::Null);
    }
}

#[tokio::test]
async fn a_token_of_another_programme_is_forbidden() {
    let f = fixture();
    let stranger = f.token(Role::Pilot, Some(&f.other), None);
    for query in [
        "query($p: ID!) { programme(id: $p) { id } }",
        "query($p: ID!) { actions(programmeId: $p) { totalCount } }",
        "query($p: ID!) { budget(programmeId: $p, year: 2023) { year } }",
        "query($p: ID!) { timeline(programmeId: $p) { pageInfo { hasNextPage } } }",
        "query($p: ID!) { reportsDue(programmeId: $p) { dueOn } }",
    ] {
        let response = f.run(&stranger, query, json!({"p": f.programme})).await;
        assert_eq!(code(&response), "FORBIDDEN", "{query}: {response}");
    }
}

// ------------------------------------------------------------------------------ sessions

#[tokio::test]
async fn a_held_copil_session_lists_its_agenda_and_its_decisions() {
    let f = fixture();
    let pilot = f.pilot();
    let data = f
        .data(
            &pilot,
            "query($p: ID!) { sessions(programmeId: $p, body: COPIL) { id body date held cancelled } }",
            json!({"p": f.programme}),
        )
        .await;
    let sessions = list(&data["sessions"]);
    assert!(sessions.iter().all(|s| s["body"] == "COPIL"));
    let dates: Vec<&str> = sessions
        .iter()
        .map(|s| s["date"].as_str().unwrap())
        .collect();
    assert!(dates.windows(2).all(|w| w[0] <= w[1]), "by date: {dates:?}");
    let mut checked = 0;
    for s in sessions.iter().filter(|s| s["held"] == true) {
        let data = f
            .data(
                &pilot,
                "query($p: ID!, $id: ID!) { session(programmeId: $p, id: $id) {
                    id agenda { id } decisions { action { id } outcome opinion amount revision retained { amount } }
                    history { kind summary } } }",
                json!({"p": f.programme, "id": s["id"]}),
            )
            .await;
        let session = &data["session"];
        let decisions = list(&session["decisions"]);
        if decisions.is_empty() {
            continue;
        }
        checked += 1;
        let agenda: BTreeSet<String> = list(&session["agenda"])
            .iter()
            .map(|a| a["id"].to_string())
            .collect();
        let decided: BTreeSet<String> = decisions
            .iter()
            .map(|d| d["action"]["id"].to_string())
            .collect();
        assert_eq!(agenda, decided);
        for d in decisions {
            assert!(d["outcome"].is_string() && d["opinion"].is_null(), "{d}");
            let sum: i64 = list(&d["retained"])
                .iter()
                .map(|l| l["amount"].as_i64().unwrap())
                .sum();
            assert_eq!(d["amount"].as_i64().unwrap(), sum);
        }
        let history = list(&session["history"]);
        assert_eq!(history[0]["kind"], "SessionScheduled");
        assert!(history.iter().any(|h| h["kind"] == "SessionHeld"));
    }
    assert!(checked > 0, "no held COPIL session with decisions");
}

// ------------------------------------------------------------------------------ budget

#[tokio::test]
async fn the_budget_total_is_the_sum_of_its_lines() {
    let f = fixture();
    let data = f
        .data(
            &f.pilot(),
            "query($p: ID!) { budget(programmeId: $p, year: 2023) {
                year
                lines { funder { id } envelope requested retained granted paid toPay consumptionPermille }
                total { funder { id } envelope requested retained granted paid toPay }
                programmation { action { id year } amounts { retained } }
            } }",
            json!({"p": f.programme}),
        )
        .await;
    let budget = &data["budget"];
    assert_eq!(budget["year"], 2023);
    assert_eq!(budget["total"]["funder"], Value::Null);
    let lines = list(&budget["lines"]);
    assert!(!lines.is_empty());
    for field in [
        "envelope",
        "requested",
        "retained",
        "granted",
        "paid",
        "toPay",
    ] {
        let sum: i64 = lines.iter().map(|l| l[field].as_i64().unwrap()).sum();
        assert_eq!(budget["total"][field].as_i64().unwrap(), sum, "{field}");
    }
    assert!(!list(&budget["programmation"]).is_empty());
    assert!(
        list(&budget["programmation"])
            .iter()
            .all(|row| row["action"]["year"] == 2023)
    );
}

// ------------------------------------------------------------------------------ timeline

const TIMELINE: &str = "query($p: ID!, $filter: TimelineFilter, $asOf: AsOf, $oldestFirst: Boolean, $first: Int, $after: String) {
  timeline(programmeId: $p, filter: $filter, asOf: $asOf, oldestFirst: $oldestFirst, first: $first, after: $after) {
    edges { cursor node { position effectiveOn recordedAt kind summary actor actionId sessionId axis amount supersededBy } }
    pageInfo { hasNextPage endCursor }
  }
}";

/// Every entry of a timeline query, page after page.
async fn whole_timeline(
    f: &Fixture,
    viewer: &Viewer,
    mut variables: Value,
    first: usize,
) -> Vec<Value> {
    let mut out = Vec::new();
    variables["first"] = json!(first);
    loop {
        let data = f.data(viewer, TIMELINE, variables.clone()).await;
        let connection = &data["timeline"];
        let edges = list(&connection["edges"]);
        assert!(edges.len() <= first);
        out.extend(edges.iter().map(|e| e["node"].clone()));
        if connection["pageInfo"]["hasNextPage"] == false {
            return out;
        }
        variables["after"] = connection["pageInfo"]["endCursor"].clone();
    }
}

fn key(entry: &Value) -> (String, i64) {
    (
        entry["effectiveOn"].as_str().unwrap().to_owned(),
        entry["position"].as_i64().unwrap(),
    )
}

#[tokio::test]
async fn the_timeline_is_ordered_filtered_and_paged() {
    let f = fixture();
    let pilot = f.pilot();
    let newest_first = whole_timeline(&f, &pilot, json!({"p": f.programme}), 200).await;
    let keys: Vec<_> = newest_first.iter().map(key).collect();
    assert!(keys.windows(2).all(|w| w[0] > w[1]), "newest first");
    let oldest_first = whole_timeline(
        &f,
        &pilot,
        json!({"p": f.programme, "oldestFirst": true}),
        37,
    )
    .await;
    let mut reversed = oldest_first.clone();
    reversed.reverse();
    assert_eq!(
        reversed, newest_first,
        "oldest first, paged by 37, is the same entries reversed"
    );
    // Every event of the programme is there once.
    let programme = ProgrammeId::parse(&f.programme).unwrap();
    let n_events = f
        .state
        .log
        .read_all(1)
        .filter(|e| {
            let e = e.as_ref().unwrap();
            domain::streams::StreamRef::parse(&e.stream_id)
                .unwrap()
                .programme()
                == &programme
        })
        .count();
    assert_eq!(newest_first.len(), n_events);

    let decisions = whole_timeline(
        &f,
        &pilot,
        json!({"p": f.programme, "filter": {"kinds": ["CopilDecisionTaken"], "from": "2024-01-01"}}),
        50,
    )
    .await;
    assert!(!decisions.is_empty());
    assert!(decisions.iter().all(|e| e["kind"] == "CopilDecisionTaken"
        && e["effectiveOn"].as_str().unwrap() >= "2024-01-01"
        && e["sessionId"].is_string()
        && e["actionId"].is_string()));
    let expected = newest_first
        .iter()
        .filter(|e| {
            e["kind"] == "CopilDecisionTaken" && e["effectiveOn"].as_str().unwrap() >= "2024-01-01"
        })
        .count();
    assert_eq!(decisions.len(), expected);

    let action = decisions[0]["actionId"].clone();
    let of_action = whole_timeline(
        &f,
        &pilot,
        json!({"p": f.programme, "filter": {"actionId": action}}),
        50,
    )
    .await;
    assert!(of_action.iter().all(|e| e["actionId"] == action));
    assert!(of_action.iter().any(|e| e["kind"] == "ActionProposed"));
}

// ------------------------------------------------------------------------------ time travel

#[tokio::test]
async fn as_of_a_position_an_effective_date_or_a_recorded_instant_is_an_earlier_state() {
    let f = fixture();
    let pilot = f.pilot();
    let count = |data: &Value| data["actions"]["totalCount"].as_i64().unwrap();
    let now = f.data(&pilot, ALL_ACTIONS, json!({"p": f.programme})).await;
    assert_eq!(count(&now), 30);
    let middle = f.head() / 3;
    let by_position = f
        .data(
            &pilot,
            ALL_ACTIONS,
            json!({"p": f.programme, "asOf": {"position": middle}}),
        )
        .await;
    assert!(count(&by_position) < 30, "{by_position}");
    let by_date = f
        .data(
            &pilot,
            ALL_ACTIONS,
            json!({"p": f.programme, "asOf": {"effectiveOn": "2023-03-01"}}),
        )
        .await;
    assert!(count(&by_date) < 30, "{by_date}");
    let by_instant = f
        .data(
            &pilot,
            ALL_ACTIONS,
            json!({"p": f.programme, "asOf": {"recordedAt": "2023-06-01T00:00:00Z"}}),
        )
        .await;
    assert!(count(&by_instant) < 30, "{by_instant}");
    // Before anything: the programme did not exist.
    let before = f
        .data(
            &pilot,
            "query($p: ID!) { programme(id: $p, asOf: {position: 0}) { id } }",
            json!({"p": f.programme}),
        )
        .await;
    assert_eq!(before["programme"], Value::Null);
    // The head itself is the current state.
    let at_head = f
        .data(
            &pilot,
            ALL_ACTIONS,
            json!({"p": f.programme, "asOf": {"position": f.head()}}),
        )
        .await;
    assert_eq!(at_head, now);
    // An action seen as of a past position shows that past status and its history up to it.
    let (programme, action) = f.summary.revised_action.clone().unwrap();
    let data = f
        .data(
            &pilot,
            ACTION,
            json!({"p": programme.to_string(), "id": action.to_string()}),
        )
        .await;
    let history = list(&data["action"]["history"]);
    let revision = history
        .iter()
        .find(|h| h["kind"] == "DecisionRevised")
        .unwrap();
    let before_revision = revision["position"].as_i64().unwrap() - 1;
    let data = f
        .data(
            &pilot,
            ACTION,
            json!({"p": programme.to_string(), "id": action.to_string(), "asOf": {"position": before_revision}}),
        )
        .await;
    let past = &data["action"];
    assert_eq!(past["decision"]["revised"], false);
    assert!(
        list(&past["history"])
            .iter()
            .all(|h| h["kind"] != "DecisionRevised")
    );
    assert!(
        list(&past["history"])
            .iter()
            .all(|h| h["position"].as_i64().unwrap() <= before_revision)
    );
}

#[tokio::test]
async fn a_position_beyond_the_head_is_validation() {
    let f = fixture();
    let response = f
        .run(
            &f.pilot(),
            ALL_ACTIONS,
            json!({"p": f.programme, "asOf": {"position": f.head() + 1}}),
        )
        .await;
    assert_eq!(code(&response), "VALIDATION", "{response}");
    let response = f
        .run(
            &f.pilot(),
            ALL_ACTIONS,
            json!({"p": f.programme, "asOf": {"position": 1, "effectiveOn": "2024-01-01"}}),
        )
        .await;
    assert_eq!(
        code(&response),
        "VALIDATION",
        "two fields of AsOf: {response}"
    );
}

#[tokio::test]
async fn changes_between_two_positions_list_the_new_entries_actions_and_statuses() {
    let f = fixture();
    let pilot = f.pilot();
    let (from, to) = (f.head() / 4, f.head() / 2);
    let data = f
        .data(
            &pilot,
            "query($p: ID!, $from: Int!, $to: Int!) { changes(programmeId: $p, from: {position: $from}, to: {position: $to}) {
                fromPosition toPosition
                entries { position kind actionId }
                actionsAdded
                statusChanges { actionId from to }
                grantedDelta { funder { id } delta }
            } }",
            json!({"p": f.programme, "from": from, "to": to}),
        )
        .await;
    let changes = &data["changes"];
    assert_eq!(changes["fromPosition"], from);
    assert_eq!(changes["toPosition"], to);
    let entries = list(&changes["entries"]);
    assert!(!entries.is_empty());
    assert!(entries.iter().all(|e| {
        let p = e["position"].as_u64().unwrap();
        p > from && p <= to
    }));
    let proposed: BTreeSet<String> = entries
        .iter()
        .filter(|e| e["kind"] == "ActionProposed")
        .map(|e| e["actionId"].to_string())
        .collect();
    let added: BTreeSet<String> = list(&changes["actionsAdded"])
        .iter()
        .map(|a| a.to_string())
        .collect();
    assert_eq!(added, proposed);
    for change in list(&changes["statusChanges"]) {
        assert_ne!(change["from"], change["to"]);
    }
    let granted: i64 = entries
        .iter()
        .filter(|e| e["kind"] == "GrantAwarded")
        .count() as i64;
    if granted > 0 {
        assert!(!list(&changes["grantedDelta"]).is_empty());
    }
}

// ------------------------------------------------------------------------------ reports due

#[tokio::test]
async fn reports_due_are_the_final_reports_of_funded_started_or_completed_actions() {
    let f = fixture();
    let pilot = f.pilot();
    let data = f
        .data(
            &pilot,
            "query($p: ID!) { reportsDue(programmeId: $p) { kind dueOn overdue action { id year status reports { kind } } } }",
            json!({"p": f.programme}),
        )
        .await;
    let due = list(&data["reportsDue"]);
    assert!(!due.is_empty(), "the generated programme has reports due");
    for d in due {
        assert_eq!(d["kind"], "FINAL");
        let year = d["action"]["year"].as_i64().unwrap();
        assert_eq!(d["dueOn"], format!("{}-06-30", year + 1));
        // Today is 30 June 2026: due dates of 2024 and 2025 have passed.
        assert_eq!(d["overdue"], d["dueOn"].as_str().unwrap() < "2026-06-30");
        assert!(status_is(
            &d["action"],
            &["FUNDED", "IN_PROGRESS", "COMPLETED"]
        ));
        assert!(
            list(&d["action"]["reports"])
                .iter()
                .all(|r| r["kind"] != "FINAL")
        );
    }
    let waiting = all_actions(&f, &pilot)
        .await
        .into_iter()
        .filter(|a| status_is(a, &["FUNDED", "IN_PROGRESS", "COMPLETED"]))
        .count();
    assert!(due.len() <= waiting);
    let response = f
        .run(
            &pilot,
            "query($p: ID!) { reportsDue(programmeId: $p, withinDays: -1) { dueOn } }",
            json!({"p": f.programme}),
        )
        .await;
    assert_eq!(code(&response), "VALIDATION");
}

// ------------------------------------------------------------------------------ subscription

#[tokio::test]
async fn the_timeline_subscription_catches_up_in_order_then_follows_new_entries() {
    let f = fixture();
    let pilot = f.pilot();
    let programme = ProgrammeId::parse(&f.programme).unwrap();
    let head = f.head();
    let from = head - 40;
    let expected: Vec<u64> = f
        .state
        .log
        .read_all(from + 1)
        .map(|e| e.unwrap())
        .filter(|e| {
            domain::streams::StreamRef::parse(&e.stream_id)
                .unwrap()
                .programme()
                == &programme
        })
        .map(|e| e.position)
        .collect();
    assert!(!expected.is_empty());
    let request = Request::new(
        "subscription($p: ID!, $from: Int) { timeline(programmeId: $p, fromPosition: $from) { position kind summary } }",
    )
    .variables(Variables::from_json(json!({"p": f.programme, "from": from})))
    .data(pilot.clone());
    let mut stream = f.schema.execute_stream(request);
    let mut next = async || {
        let response = tokio::time::timeout(Duration::from_secs(10), stream.next())
            .await
            .expect("an entry within ten seconds")
            .expect("the stream goes on");
        assert!(response.errors.is_empty(), "{:?}", response.errors);
        response.data.into_json().unwrap()["timeline"].clone()
    };
    let mut caught_up = Vec::new();
    for _ in &expected {
        caught_up.push(next().await["position"].as_u64().unwrap());
    }
    assert_eq!(caught_up, expected);
    // A new event of the programme, recorded now.
    let position = define_axis(&f, "nouvel-axe", "Un axe défini pendant l'abonnement").await;
    let live = next().await;
    assert_eq!(live["position"].as_u64().unwrap(), position);
    assert_eq!(live["kind"], "AxisDefined");
    assert!(
        live["summary"]
            .as_str()
            .unwrap()
            .contains("Un axe défini pendant l'abonnement"),
        "worded with the model that includes it: {live}"
    );
}

#[tokio::test]
async fn the_timeline_subscription_of_another_programme_is_forbidden() {
    let f = fixture();
    let stranger = f.token(Role::Observer, Some(&f.other), None);
    let request = Request::new("subscription($p: ID!) { timeline(programmeId: $p) { position } }")
        .variables(Variables::from_json(json!({"p": f.programme})))
        .data(stranger);
    let mut stream = f.schema.execute_stream(request);
    let response = stream.next().await.unwrap();
    let response = serde_json::to_value(response).unwrap();
    assert_eq!(code(&response), "FORBIDDEN");
}

/// Appends an `AxisDefined` to the programme's stream, as a pilot would; returns its position.
async fn define_axis(f: &Fixture, code: &str, title: &str) -> u64 {
    let programme = ProgrammeId::parse(&f.programme).unwrap();
    let event = DomainEvent::Programme(ProgrammeEvent::AxisDefined(AxisDefined {
        code: AxisCode::parse(code).unwrap(),
        title: Title::parse("title", title).unwrap(),
        objective: NationalObjective::WiderHorizons,
    }));
    let encoded = projections::registry::encode(&event);
    f.state
        .log
        .append(AppendRequest::single(
            domain::streams::programme_stream(&programme),
            ExpectedVersion::Any,
            vec![NewEvent::new(
                encoded.event_type,
                encoded.schema_version,
                NaiveDate::from_ymd_opt(2026, 6, 30).unwrap(),
                "Test (pilotage)",
                encoded.payload,
            )],
        ))
        .await
        .unwrap()
        .last_position
}

#[tokio::test]
async fn the_timeline_subscription_without_a_position_gives_only_new_entries() {
    let f = fixture();
    let request =
        Request::new("subscription($p: ID!) { timeline(programmeId: $p) { position kind } }")
            .variables(Variables::from_json(json!({"p": f.programme})))
            .data(f.token(Role::Observer, Some(&f.programme), None));
    let head = f.head();
    let mut stream = f.schema.execute_stream(request);
    // The subscription starts when it is first polled: write, poll, until an entry comes.
    let mut written = Vec::new();
    let response = loop {
        let code = format!("axe-en-direct-{}", written.len());
        written.push(define_axis(&f, &code, "Un axe en direct").await);
        if let Ok(response) = tokio::time::timeout(Duration::from_millis(200), stream.next()).await
        {
            break response.expect("the stream goes on");
        }
        assert!(
            written.len() < 50,
            "no entry after {} writes",
            written.len()
        );
    };
    assert!(response.errors.is_empty(), "{:?}", response.errors);
    let entry = response.data.into_json().unwrap()["timeline"].clone();
    let position = entry["position"].as_u64().unwrap();
    assert!(
        position > head,
        "an entry from before the subscription: {entry}"
    );
    assert!(written.contains(&position));
    assert_eq!(entry["kind"], "AxisDefined");
    // The next ones follow in order.
    if let Some(&last) = written.last()
        && last > position
    {
        let response = tokio::time::timeout(Duration::from_secs(10), stream.next())
            .await
            .unwrap()
            .unwrap();
        let entry = response.data.into_json().unwrap()["timeline"].clone();
        assert_eq!(
            entry["position"].as_u64().unwrap(),
            written[written.iter().position(|&p| p == position).unwrap() + 1]
        );
    }
}

#[tokio::test]
async fn partners_and_sessions_are_listed_now_and_fewer_as_of_an_early_date() {
    let f = fixture();
    let pilot = f.pilot();
    let query = "query($p: ID!, $asOf: AsOf) { partners(programmeId: $p, asOf: $asOf) { id name kind active } sessions(programmeId: $p, asOf: $asOf) { id } }";
    let now = f.data(&pilot, query, json!({"p": f.programme})).await;
    let early = f
        .data(
            &pilot,
            query,
            json!({"p": f.programme, "asOf": {"effectiveOn": "2023-02-01"}}),
        )
        .await;
    assert!(!list(&now["partners"]).is_empty());
    assert!(list(&early["partners"]).len() <= list(&now["partners"]).len());
    assert!(list(&early["sessions"]).len() < list(&now["sessions"]).len());
    // Every holder of an action is a partner.
    let partners: BTreeSet<String> = list(&now["partners"])
        .iter()
        .map(|p| p["id"].to_string())
        .collect();
    for action in all_actions(&f, &pilot).await {
        assert!(partners.contains(&action["holder"]["id"].to_string()));
    }
}
