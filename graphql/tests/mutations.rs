//! The write side through `schema.execute`: a fresh store, tokens of every role, and the
//! mutations of api.graphql as a cité éducative uses them, with the figures read back, the
//! idempotency of command ids, optimistic concurrency, the atomic COPIL call, and refusals that
//! write nothing.

use async_graphql::{Request, Variables};
use chrono::{TimeZone, Utc};
use domain::values::Role;
use eventlog::EventLog;
use graphql::auth::{Viewer, authenticate};
use graphql::schema::{ChroniqueSchema, build_schema};
use graphql::tokens::NewToken;
use graphql::{AppState, Clock};
use projections::runner::{Projector, ProjectorOptions};
use serde_json::{Value, json};

const P: &str = "grigny";

struct Fixture {
    _dir: tempfile::TempDir,
    state: AppState,
    schema: ChroniqueSchema,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let log = EventLog::open(dir.path(), eventlog::Options::default()).unwrap();
    let projector = Projector::start(&log, ProjectorOptions::default()).unwrap();
    // Today is 30 June 2026 in Paris.
    let today = Clock::fixed(Utc.with_ymd_and_hms(2026, 6, 30, 10, 0, 0).unwrap());
    let state = AppState::new(log, today).unwrap().with_projector(projector);
    let schema = build_schema(state.clone());
    Fixture {
        _dir: dir,
        state,
        schema,
    }
}

impl Fixture {
    fn token(&self, role: Role, partner: Option<&str>) -> Viewer {
        let programme = (role != Role::Admin).then(|| P.to_owned());
        let (_, secret) = self
            .state
            .tokens
            .create(NewToken {
                role,
                programme,
                partner: partner.map(str::to_owned),
                name: format!("Test {role:?}"),
            })
            .unwrap();
        authenticate(&self.state.tokens, Some(&secret)).unwrap()
    }

    async fn run(&self, viewer: &Viewer, query: &str, variables: Value) -> Value {
        let request = Request::new(query)
            .variables(Variables::from_json(variables))
            .data(viewer.clone());
        serde_json::to_value(self.schema.execute(request).await).unwrap()
    }

    async fn ok(&self, viewer: &Viewer, query: &str, variables: Value) -> Value {
        let response = self.run(viewer, query, variables).await;
        assert!(
            response.get("errors").is_none(),
            "unexpected errors for {query}: {response}"
        );
        response["data"].clone()
    }

    fn head(&self) -> u64 {
        self.state.log.head().position
    }
}

fn error(response: &Value) -> &Value {
    &response["errors"][0]
}

fn code(response: &Value) -> &str {
    error(response)["extensions"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("no error code in {response}"))
}

/// A programme with one axis, two funders, an envelope, a partner, a COTECH and a COPIL held,
/// and two proposals (`a1` asks 12 000 € of the State for a cost of 20 000 €, `a2` 5 000 €).
async fn programme_with_two_proposals(f: &Fixture) -> (Viewer, Viewer, Viewer) {
    let admin = f.token(Role::Admin, None);
    let pilot = f.token(Role::Pilot, None);
    let coordinator = f.token(Role::Coordinator, None);
    f.ok(
        &admin,
        r#"mutation { establishProgramme(input: {id: "grigny", name: "Cité éducative de Grigny",
            territory: ["Grigny"], qpv: ["Grande Borne"], labelledOn: "2019-09-05"}) { position } }"#,
        json!({}),
    )
    .await;
    for query in [
        r#"mutation { defineAxis(programmeId: "grigny", input: {code: "A1", title: "Réussite éducative", objective: SCHOOL_ROLE}) { position } }"#,
        r#"mutation { registerFunder(programmeId: "grigny", input: {id: "etat", name: "État – crédits Cité éducative", kind: STATE}) { position } }"#,
        r#"mutation { registerFunder(programmeId: "grigny", input: {id: "ville", name: "Ville de Grigny", kind: MUNICIPALITY}) { position } }"#,
        r#"mutation { notifyEnvelope(programmeId: "grigny", input: {funderId: "etat", year: 2026, amount: 10000000, reference: "Arrêté 2026-1"}) { position } }"#,
    ] {
        f.ok(&pilot, query, json!({})).await;
    }
    for query in [
        r#"mutation { registerPartner(programmeId: "grigny", input: {id: "asso", name: "Association Lire", kind: ASSOCIATION, siret: "732 829 320 00074"}) { partner { id name siret active } } }"#,
        r#"mutation { scheduleSession(programmeId: "grigny", input: {id: "cotech", body: COTECH, date: "2026-02-02", title: "COTECH de février"}) { position } }"#,
        r#"mutation { scheduleSession(programmeId: "grigny", input: {id: "copil", body: COPIL, date: "2026-03-14", title: "COPIL de printemps"}) { position } }"#,
        r#"mutation { recordSessionHeld(programmeId: "grigny", sessionId: "cotech", present: ["Préfecture", "Ville"]) { session { held } } }"#,
        r#"mutation { recordSessionHeld(programmeId: "grigny", sessionId: "copil", present: ["Préfecture", "Rectorat", "Ville"]) { session { held } } }"#,
    ] {
        f.ok(&coordinator, query, json!({})).await;
    }
    for (id, amount) in [("a1", 1_200_000), ("a2", 500_000)] {
        f.ok(
            &coordinator,
            r#"mutation($id: ID!, $amount: Cents!) { proposeAction(programmeId: "grigny", input: {
                id: $id, title: "Soutien scolaire", summary: "Aide aux devoirs.", holderId: "asso",
                axis: "A1", publics: [CHILDREN], periodStart: "2026-01-05", periodEnd: "2026-12-15",
                year: 2026, totalCost: 2000000, requested: [{funderId: "etat", amount: $amount}]},
                options: {effectiveOn: "2026-01-10"}) { action { id reference status } warnings } }"#,
            json!({"id": id, "amount": amount}),
        )
        .await;
    }
    (admin, pilot, coordinator)
}

#[tokio::test]
async fn a_year_of_one_action_through_the_mutations_gives_the_expected_figures() {
    let f = fixture();
    let (_, pilot, coordinator) = programme_with_two_proposals(&f).await;

    let action = f
        .ok(
            &coordinator,
            r#"{ action(programmeId: "grigny", id: "a1") { reference status version } }"#,
            json!({}),
        )
        .await;
    assert_eq!(
        action["action"],
        json!({"reference": "2026-001", "status": "PROPOSED", "version": 1}),
        "a proposal without a reference gets {{year}}-{{n:03}}"
    );

    f.ok(
        &coordinator,
        r#"mutation { giveOpinion(programmeId: "grigny", actionId: "a1", sessionId: "cotech",
            opinion: FAVOURABLE, proposed: [{funderId: "etat", amount: 1200000}]) { action { status } } }"#,
        json!({}),
    )
    .await;
    let decided = f
        .ok(
            &pilot,
            r#"mutation { recordCopilDecisions(programmeId: "grigny", sessionId: "copil", decisions: [
                {actionId: "a1", outcome: RETAINED, retained: [{funderId: "etat", amount: 1000000}]},
                {actionId: "a2", outcome: REJECTED, reason: "Hors des axes"}]) {
                actions { id status decision { outcome decidedOn } } position } }"#,
            json!({}),
        )
        .await;
    assert_eq!(
        decided["recordCopilDecisions"]["actions"],
        json!([
            {"id": "a1", "status": "RETAINED", "decision": {"outcome": "RETAINED", "decidedOn": "2026-03-14"}},
            {"id": "a2", "status": "REJECTED", "decision": {"outcome": "REJECTED", "decidedOn": "2026-03-14"}},
        ])
    );

    f.ok(
        &coordinator,
        r#"mutation { awardGrant(programmeId: "grigny", actionId: "a1", funderId: "etat", year: 2026,
            amount: 1000000, act: {kind: ARRETE, reference: "Arrêté 2026-77", signedOn: "2026-04-01"}) {
            action { status grants { id amount signedOn } } } }"#,
        json!({}),
    )
    .await;
    let paid = f
        .ok(
            &coordinator,
            r#"mutation { recordPayment(programmeId: "grigny", actionId: "a1", funderId: "etat",
                amount: 400000, kind: ADVANCE, paidOn: "2026-04-15") { action { payments { id amount cancelled paidOn } } } }"#,
            json!({}),
        )
        .await;
    assert_eq!(
        paid["recordPayment"]["action"]["payments"],
        json!([{"id": "v1", "amount": 400000, "cancelled": false, "paidOn": "2026-04-15"}])
    );
    f.ok(
        &coordinator,
        r#"mutation { recordPayment(programmeId: "grigny", actionId: "a1", funderId: "etat",
            amount: 100000, kind: INSTALMENT, paidOn: "2026-05-15") { position } }"#,
        json!({}),
    )
    .await;
    f.ok(
        &coordinator,
        r#"mutation { cancelPayment(programmeId: "grigny", actionId: "a1", paymentId: "v2", reason: "Saisi deux fois") { position } }"#,
        json!({}),
    )
    .await;

    let read = f
        .ok(
            &pilot,
            r#"{ action(programmeId: "grigny", id: "a1") { status
                money { funder { id } requested proposed retained granted paid toPay }
                payments { id cancelled } history { kind summary actor } }
               budget(programmeId: "grigny", year: 2026) {
                 total { envelope requested retained granted paid toPay consumptionPermille } } }"#,
            json!({}),
        )
        .await;
    assert_eq!(read["action"]["status"], "FUNDED");
    assert_eq!(
        read["action"]["money"],
        json!([{"funder": {"id": "etat"}, "requested": 1200000, "proposed": 1200000,
                "retained": 1000000, "granted": 1000000, "paid": 400000, "toPay": 600000}])
    );
    assert_eq!(
        read["action"]["payments"],
        json!([{"id": "v1", "cancelled": false}, {"id": "v2", "cancelled": true}])
    );
    assert_eq!(
        read["action"]["history"][0]["actor"], "Test Coordinator (coordination)",
        "the log names who acted, with the role of the token, once"
    );
    let kinds: Vec<&str> = read["action"]["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "ActionProposed",
            "OpinionGiven",
            "CopilDecisionTaken",
            "GrantAwarded",
            "PaymentRecorded",
            "PaymentRecorded",
            "PaymentCancelled"
        ]
    );
    // The rejected action no longer counts in what was requested (DOMAIN.md, budget).
    assert_eq!(
        read["budget"]["total"],
        json!({"envelope": 10000000, "requested": 1200000, "retained": 1000000,
               "granted": 1000000, "paid": 400000, "toPay": 600000, "consumptionPermille": 100})
    );
}

#[tokio::test]
async fn a_retried_command_id_returns_the_first_result_and_writes_nothing() {
    let f = fixture();
    let (_, pilot, coordinator) = programme_with_two_proposals(&f).await;
    f.ok(
        &pilot,
        r#"mutation { recordCopilDecisions(programmeId: "grigny", sessionId: "copil", decisions: [
            {actionId: "a1", outcome: RETAINED, retained: [{funderId: "etat", amount: 1000000}]}]) { position } }"#,
        json!({}),
    )
    .await;
    f.ok(
        &coordinator,
        r#"mutation { awardGrant(programmeId: "grigny", actionId: "a1", funderId: "etat", year: 2026,
            amount: 1000000, act: {kind: ARRETE, reference: "Arrêté 2026-77", signedOn: "2026-04-01"}) { position } }"#,
        json!({}),
    )
    .await;
    let pay = r#"mutation($amount: Cents!) { recordPayment(programmeId: "grigny", actionId: "a1", funderId: "etat",
        amount: $amount, kind: BALANCE, paidOn: "2026-04-15", options: {commandId: "versement-1"}) { position } }"#;
    let first = f.ok(&coordinator, pay, json!({"amount": 1000000})).await;
    let head = f.head();
    // The whole grant is paid: a second payment would break rule 7, but a retry is not one.
    let again = f.ok(&coordinator, pay, json!({"amount": 1000000})).await;
    assert_eq!(again, first);
    assert_eq!(f.head(), head, "a retry writes nothing");
    let other = f.run(&coordinator, pay, json!({"amount": 500000})).await;
    assert_eq!(code(&other), "VALIDATION", "{other}");
    assert_eq!(f.head(), head);
}

#[tokio::test]
async fn a_stale_expected_version_is_a_conflict_with_the_current_version() {
    let f = fixture();
    let (_, _, coordinator) = programme_with_two_proposals(&f).await;
    let amend = r#"mutation($v: Int) { amendAction(programmeId: "grigny", actionId: "a1",
        input: {title: "Soutien scolaire renforcé"}, options: {expectedVersion: $v}) { action { version title } } }"#;
    let amended = f.ok(&coordinator, amend, json!({"v": 1})).await;
    assert_eq!(
        amended["amendAction"]["action"],
        json!({"version": 2, "title": "Soutien scolaire renforcé"})
    );
    let head = f.head();
    let stale = f.run(&coordinator, amend, json!({"v": 1})).await;
    assert_eq!(code(&stale), "CONFLICT", "{stale}");
    assert_eq!(error(&stale)["extensions"]["currentVersion"], 2);
    assert_eq!(f.head(), head);
}

#[tokio::test]
async fn a_copil_call_with_one_failing_decision_records_none_and_names_each_failure() {
    let f = fixture();
    let (_, pilot, _) = programme_with_two_proposals(&f).await;
    let head = f.head();
    let response = f
        .run(
            &pilot,
            r#"mutation { recordCopilDecisions(programmeId: "grigny", sessionId: "copil", decisions: [
                {actionId: "a1", outcome: RETAINED, retained: [{funderId: "etat", amount: 1000000}]},
                {actionId: "a2", outcome: RETAINED, retained: [{funderId: "etat", amount: 900000}]},
                {actionId: "a3", outcome: REJECTED}]) { position } }"#,
            json!({}),
        )
        .await;
    assert_eq!(f.head(), head, "all or none: nothing written");
    let failures = error(&response)["extensions"]["failures"]
        .as_array()
        .unwrap_or_else(|| panic!("no failures in {response}"));
    let by_action: Vec<(&str, &str)> = failures
        .iter()
        .map(|x| (x["actionId"].as_str().unwrap(), x["code"].as_str().unwrap()))
        .collect();
    assert!(by_action.contains(&("a2", "RULE_VIOLATION")), "{response}");
    assert!(by_action.contains(&("a3", "NOT_FOUND")), "{response}");
    assert!(!by_action.iter().any(|(a, _)| *a == "a1"), "{response}");
    let a2 = failures.iter().find(|x| x["actionId"] == "a2").unwrap();
    assert_eq!(a2["rule"], "retained_exceeds_requested");
}

#[tokio::test]
async fn a_broken_rule_is_a_rule_violation_with_its_code_and_writes_nothing() {
    let f = fixture();
    let (_, pilot, coordinator) = programme_with_two_proposals(&f).await;
    f.ok(
        &pilot,
        r#"mutation { recordCopilDecisions(programmeId: "grigny", sessionId: "copil", decisions: [
            {actionId: "a1", outcome: RETAINED, retained: [{funderId: "etat", amount: 1000000}]}]) { position } }"#,
        json!({}),
    )
    .await;
    let head = f.head();
    let response = f
        .run(
            &coordinator,
            r#"mutation { awardGrant(programmeId: "grigny", actionId: "a1", funderId: "etat", year: 2026,
                amount: 1100000, act: {kind: CONVENTION, reference: "Convention 12", signedOn: "2026-04-01"}) { position } }"#,
            json!({}),
        )
        .await;
    assert_eq!(code(&response), "RULE_VIOLATION", "{response}");
    assert_eq!(
        error(&response)["extensions"]["rule"],
        "grant_exceeds_retained"
    );
    let message = error(&response)["message"].as_str().unwrap();
    assert!(
        message.contains("10\u{202F}000,00\u{A0}€"),
        "the French message names the figures: {message}"
    );
    assert_eq!(f.head(), head);
}

#[tokio::test]
async fn roles_without_the_permission_are_forbidden_and_write_nothing() {
    let f = fixture();
    let (_, _, _) = programme_with_two_proposals(&f).await;
    let observer = f.token(Role::Observer, None);
    let evaluator = f.token(Role::Evaluator, None);
    let porteur = f.token(Role::Porteur, Some("autre"));
    let head = f.head();
    // A role that may never give the command is FORBIDDEN, which says nothing of the action; a
    // porteur aiming at another partner's proposal, which it may not even read, is answered as
    // for an unknown id: NOT_FOUND, its holder not named.
    for (viewer, query, expected) in [
        (
            &observer,
            r#"mutation { withdrawAction(programmeId: "grigny", actionId: "a1", reason: "x") { position } }"#,
            "FORBIDDEN",
        ),
        (
            &evaluator,
            r#"mutation { defineAxis(programmeId: "grigny", input: {code: "A9", title: "T", objective: WIDER_HORIZONS}) { position } }"#,
            "FORBIDDEN",
        ),
        (
            &porteur,
            r#"mutation { withdrawAction(programmeId: "grigny", actionId: "a1", reason: "Pas le mien") { position } }"#,
            "NOT_FOUND",
        ),
    ] {
        let response = f.run(viewer, query, json!({})).await;
        assert_eq!(code(&response), expected, "{query}: {response}");
    }
    assert_eq!(f.head(), head);
}

#[tokio::test]
async fn malformed_values_are_validation_errors() {
    let f = fixture();
    let (_, _, coordinator) = programme_with_two_proposals(&f).await;
    let head = f.head();
    for query in [
        // A SIRET whose checksum is wrong.
        r#"mutation { registerPartner(programmeId: "grigny", input: {id: "p2", name: "X", kind: SPORT, siret: "73282932000075"}) { position } }"#,
        // Negative money.
        r#"mutation { recordPayment(programmeId: "grigny", actionId: "a1", funderId: "etat", amount: -5, kind: ADVANCE, paidOn: "2026-04-15") { position } }"#,
        // A date that does not exist.
        r#"mutation { startAction(programmeId: "grigny", actionId: "a1", startedOn: "2026-02-30") { position } }"#,
        // A date in the future (today is 30 June 2026).
        r#"mutation { withdrawAction(programmeId: "grigny", actionId: "a1", reason: "x", options: {effectiveOn: "2026-07-01"}) { position } }"#,
        // An id outside the syntax.
        r#"mutation { withdrawAction(programmeId: "grigny", actionId: "A B", reason: "x") { position } }"#,
    ] {
        let response = f.run(&coordinator, query, json!({})).await;
        let got = code(&response);
        assert!(
            got == "VALIDATION"
                || (got == "RULE_VIOLATION"
                    && error(&response)["extensions"]["rule"] == "effective_date_invalid"),
            "{query}: {response}"
        );
    }
    assert_eq!(f.head(), head);
}

#[tokio::test]
async fn an_unknown_session_or_action_is_not_found() {
    let f = fixture();
    let (_, _, coordinator) = programme_with_two_proposals(&f).await;
    let response = f
        .run(
            &coordinator,
            r#"mutation { giveOpinion(programmeId: "grigny", actionId: "a1", sessionId: "nulle-part", opinion: RESERVED) { position } }"#,
            json!({}),
        )
        .await;
    assert_eq!(code(&response), "NOT_FOUND", "{response}");
    let response = f
        .run(
            &coordinator,
            r#"mutation { withdrawAction(programmeId: "grigny", actionId: "inconnue", reason: "x") { position } }"#,
            json!({}),
        )
        .await;
    assert_eq!(code(&response), "NOT_FOUND", "{response}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn thirty_two_clients_racing_with_the_same_expected_version_give_one_winner() {
    let f = fixture();
    let (_, _, coordinator) = programme_with_two_proposals(&f).await;
    let amend = r#"mutation($title: String!) { amendAction(programmeId: "grigny", actionId: "a1",
        input: {title: $title}, options: {expectedVersion: 1}) { action { version } } }"#;
    let requests = (0..32).map(|i| {
        let request = Request::new(amend)
            .variables(Variables::from_json(
                json!({"title": format!("Soutien scolaire, version {i}")}),
            ))
            .data(coordinator.clone());
        f.schema.execute(request)
    });
    let responses: Vec<Value> = futures::future::join_all(requests)
        .await
        .into_iter()
        .map(|r| serde_json::to_value(r).unwrap())
        .collect();
    let winners = responses
        .iter()
        .filter(|r| r.get("errors").is_none())
        .count();
    let conflicts = responses
        .iter()
        .filter(|r| r.get("errors").is_some() && code(r) == "CONFLICT")
        .count();
    assert_eq!((winners, conflicts), (1, 31), "{responses:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_same_command_id_sent_concurrently_is_written_once() {
    let f = fixture();
    let (_, pilot, coordinator) = programme_with_two_proposals(&f).await;
    f.ok(
        &pilot,
        r#"mutation { recordCopilDecisions(programmeId: "grigny", sessionId: "copil", decisions: [
            {actionId: "a1", outcome: RETAINED, retained: [{funderId: "etat", amount: 1000000}]}]) { position } }"#,
        json!({}),
    )
    .await;
    f.ok(
        &coordinator,
        r#"mutation { awardGrant(programmeId: "grigny", actionId: "a1", funderId: "etat", year: 2026,
            amount: 1000000, act: {kind: ARRETE, reference: "Arrêté 2026-77", signedOn: "2026-04-01"}) { position } }"#,
        json!({}),
    )
    .await;
    let head = f.head();
    // The whole grant at once: had the retries been decided again, rule 7 would refuse them.
    let pay = r#"mutation { recordPayment(programmeId: "grigny", actionId: "a1", funderId: "etat",
        amount: 1000000, kind: BALANCE, paidOn: "2026-04-15", options: {commandId: "solde"}) { position } }"#;
    let requests = (0..8).map(|_| {
        f.schema
            .execute(Request::new(pay).data(coordinator.clone()))
    });
    let responses: Vec<Value> = futures::future::join_all(requests)
        .await
        .into_iter()
        .map(|r| serde_json::to_value(r).unwrap())
        .collect();
    for response in &responses {
        assert_eq!(
            response, &responses[0],
            "every sending gets the first result"
        );
    }
    assert!(responses[0].get("errors").is_none(), "{:?}", responses[0]);
    assert_eq!(f.head(), head + 1, "one payment written");
}
