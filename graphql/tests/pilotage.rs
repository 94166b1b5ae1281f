//! The pilotage's queries (api-next.graphql, DOMAIN.md « Precise meanings ») on a small
//! programme whose every figure is computed by hand below, through `schema.execute` with a
//! clock the test moves: what was typed when matters for the monthly report's late entries and
//! for « ce que le COPIL savait ».
//!
//! The year 2025 of Grigny, as typed (recorded instants in UTC; Paris is UTC+1 then UTC+2):
//!
//! | recorded         | what                                                              |
//! |------------------|-------------------------------------------------------------------|
//! | 2025-01-06       | programme, axes A1 (école) A2 (champ des possibles), funders etat (STATE), ville (MUNICIPALITY), caf (CAF); COPIL members; partners asso, club (associations), college (EPLE); five sessions; a0 (2024) and a1…a4 proposed |
//! | 2025-02-03       | COTECH held; opinions on a1 a2 a4; a3 withdrawn                   |
//! | 2025-03-03       | COPIL held; a1 (etat 10 000 €), a2 (ville 5 000 €), a4 (caf 3 000 €) retained |
//! | 2025-03-10       | the three grants, signed that day                                 |
//! | 2025-04-09       | a1 paid 6 000 € (30 days), started; COTECH of May cancelled        |
//! | 2025-05-10       | a4 paid 3 000 € (61 days)                                          |
//! | 2025-06-05       | a2's period changed, **effective 20 May**; a4 not realised, repayment of 3 000 € asked |
//! | 2025-06-13       | a2 paid 5 000 € (95 days)                                          |
//! | 2025-06-21       | the COPIL of 20 June recorded held (names the session)             |
//! | 2025-06-28       | a1 completed                                                       |
//! | 2025-07-01       | a1's balance of 4 000 € **paid on 8 June** (90 days); a1's final report (girls 12, boys 9, mothers 15); 1 000 € repaid by a4 |
//! | 2026-01-20       | revue 2025: communication and difficultés written                  |
//! | 2026-02-10       | COPIL of 2026 held; revue 2025 validated                           |
//! | 2026-03-01       | a1's report corrected (girls 14); communication rewritten          |

use async_graphql::{Request, Variables};
use chrono::{DateTime, Utc};
use domain::values::Role;
use eventlog::EventLog;
use graphql::auth::{Viewer, authenticate};
use graphql::schema::{ChroniqueSchema, build_schema};
use graphql::tokens::NewToken;
use graphql::{AppState, Clock};
use projections::runner::{Projector, ProjectorOptions};
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};

const P: &str = "grigny";

struct Fixture {
    _dir: tempfile::TempDir,
    state: AppState,
    schema: ChroniqueSchema,
    now: Arc<Mutex<DateTime<Utc>>>,
    pilot: Viewer,
    coordinator: Viewer,
    observer: Viewer,
    evaluator: Viewer,
    /// PORTEUR of asso (a1's holder).
    porteur: Viewer,
}

fn at(instant: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(instant)
        .unwrap()
        .with_timezone(&Utc)
}

impl Fixture {
    fn new() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let now = Arc::new(Mutex::new(at("2025-01-06T09:00:00Z")));
        let read = now.clone();
        let clock = Clock::from_fn(move || *read.lock().unwrap());
        let log = EventLog::open(
            dir.path(),
            eventlog::Options {
                clock: clock.for_eventlog(),
                ..Default::default()
            },
        )
        .unwrap();
        let projector = Projector::start(&log, ProjectorOptions::default()).unwrap();
        let state = AppState::new(log, clock).unwrap().with_projector(projector);
        let schema = build_schema(state.clone());
        let token = |role: Role, partner: Option<&str>| {
            let (_, secret) = state
                .tokens
                .create(NewToken {
                    role,
                    programme: Some(P.to_owned()),
                    partner: partner.map(str::to_owned),
                    name: format!("Test {role:?}"),
                })
                .unwrap();
            authenticate(&state.tokens, Some(&secret)).unwrap()
        };
        Fixture {
            pilot: token(Role::Pilot, None),
            coordinator: token(Role::Coordinator, None),
            observer: token(Role::Observer, None),
            evaluator: token(Role::Evaluator, None),
            porteur: token(Role::Porteur, Some("asso")),
            _dir: dir,
            state,
            schema,
            now,
        }
    }

    fn set_clock(&self, instant: &str) {
        *self.now.lock().unwrap() = at(instant);
    }

    async fn run(&self, viewer: &Viewer, query: &str, variables: Value) -> Value {
        let request = Request::new(query)
            .variables(Variables::from_json(variables))
            .data(viewer.clone());
        serde_json::to_value(self.schema.execute(request).await).unwrap()
    }

    async fn ok(&self, viewer: &Viewer, query: &str) -> Value {
        let response = self.run(viewer, query, json!({})).await;
        assert!(
            response.get("errors").is_none(),
            "unexpected errors for {query}: {response}"
        );
        response["data"].clone()
    }

    async fn all(&self, viewer: &Viewer, queries: &[&str]) {
        for q in queries {
            self.ok(viewer, q).await;
        }
    }

    async fn error(&self, viewer: &Viewer, query: &str) -> Value {
        let response = self.run(viewer, query, json!({})).await;
        response["errors"][0].clone()
    }

    /// The hash the log holds at `position`.
    fn hash_at(&self, position: u64) -> String {
        let envelope = self
            .state
            .log
            .read_range(position, position)
            .next()
            .unwrap()
            .unwrap();
        hex::encode(envelope.hash)
    }
}

/// The year 2025 of the module's table, up to its last line.
async fn the_year(f: &Fixture) {
    let admin = {
        let (_, secret) = f
            .state
            .tokens
            .create(NewToken {
                role: Role::Admin,
                programme: None,
                partner: None,
                name: "Admin".into(),
            })
            .unwrap();
        authenticate(&f.state.tokens, Some(&secret)).unwrap()
    };
    let (pilot, coordinator) = (&f.pilot, &f.coordinator);
    f.ok(
        &admin,
        r#"mutation { establishProgramme(input: {id: "grigny", name: "Cité éducative de Grigny",
            territory: ["Grigny"], qpv: ["Grande Borne"], labelledOn: "2019-09-05"}) { position } }"#,
    )
    .await;
    f.all(pilot, &[
        r#"mutation { defineAxis(programmeId: "grigny", input: {code: "A1", title: "Réussite éducative", objective: SCHOOL_ROLE}) { position } }"#,
        r#"mutation { defineAxis(programmeId: "grigny", input: {code: "A2", title: "Ouverture culturelle", objective: WIDER_HORIZONS}) { position } }"#,
        r#"mutation { registerFunder(programmeId: "grigny", input: {id: "etat", name: "État", kind: STATE}) { position } }"#,
        r#"mutation { registerFunder(programmeId: "grigny", input: {id: "ville", name: "Ville de Grigny", kind: MUNICIPALITY}) { position } }"#,
        r#"mutation { registerFunder(programmeId: "grigny", input: {id: "caf", name: "CAF de l'Essonne", kind: CAF}) { position } }"#,
        r#"mutation { notifyEnvelope(programmeId: "grigny", input: {funderId: "etat", year: 2025, amount: 10000000}) { position } }"#,
        r#"mutation { notifyEnvelope(programmeId: "grigny", input: {funderId: "ville", year: 2025, amount: 5000000}) { position } }"#,
        r#"mutation { changeBodyMembership(programmeId: "grigny", body: COPIL, organisations: ["Préfecture", "Ville", "DSDEN"]) { position } }"#,
    ]).await;
    f.all(coordinator, &[
        r#"mutation { registerPartner(programmeId: "grigny", input: {id: "asso", name: "Association Lire", kind: ASSOCIATION, legalForm: ASSOCIATION}) { position } }"#,
        r#"mutation { registerPartner(programmeId: "grigny", input: {id: "club", name: "Club sportif", kind: SPORT, legalForm: ASSOCIATION}) { position } }"#,
        r#"mutation { registerPartner(programmeId: "grigny", input: {id: "college", name: "Collège Pablo Neruda", kind: COLLEGE, legalForm: EPLE}) { position } }"#,
        r#"mutation { scheduleSession(programmeId: "grigny", input: {id: "cotech", body: COTECH, date: "2025-02-03", title: "COTECH de février"}) { position } }"#,
        r#"mutation { scheduleSession(programmeId: "grigny", input: {id: "copil", body: COPIL, date: "2025-03-03", title: "COPIL de mars"}) { position } }"#,
        r#"mutation { scheduleSession(programmeId: "grigny", input: {id: "cotech-mai", body: COTECH, date: "2025-05-05", title: "COTECH de mai"}) { position } }"#,
        r#"mutation { scheduleSession(programmeId: "grigny", input: {id: "copil-juin", body: COPIL, date: "2025-06-20", title: "COPIL de juin"}) { position } }"#,
        r#"mutation { scheduleSession(programmeId: "grigny", input: {id: "copil-2026", body: COPIL, date: "2026-02-10", title: "COPIL de 2026"}) { position } }"#,
        r#"mutation { proposeAction(programmeId: "grigny", input: {id: "a0", title: "Lecture 2024", summary: "L'an dernier.",
            holderId: "asso", axis: "A1", publics: [CHILDREN], periodStart: "2024-09-02", periodEnd: "2024-12-20",
            year: 2024, totalCost: 500000, requested: [{funderId: "etat", amount: 200000}]}) { position } }"#,
        r#"mutation { proposeAction(programmeId: "grigny", input: {id: "a1", title: "Club de lecture", summary: "Lire ensemble.",
            holderId: "asso", axis: "A1", publics: [CHILDREN, PARENTS], periodStart: "2025-01-15", periodEnd: "2025-06-28",
            year: 2025, totalCost: 2000000, requested: [{funderId: "etat", amount: 1000000}]}) { position } }"#,
        r#"mutation { proposeAction(programmeId: "grigny", input: {id: "a2", title: "Théâtre au collège", summary: "Ateliers.",
            holderId: "college", axis: "A2", publics: [CHILDREN], periodStart: "2025-02-01", periodEnd: "2025-06-13",
            year: 2025, totalCost: 1000000, requested: [{funderId: "ville", amount: 500000}], renews: "a0"}) { position } }"#,
        r#"mutation { proposeAction(programmeId: "grigny", input: {id: "a3", title: "Boxe éducative", summary: "Le samedi.",
            holderId: "club", axis: "A1", publics: [CHILDREN], periodStart: "2025-02-01", periodEnd: "2025-06-30",
            year: 2025, totalCost: 400000, requested: [{funderId: "etat", amount: 200000}]}) { position } }"#,
        r#"mutation { proposeAction(programmeId: "grigny", input: {id: "a4", title: "Sorties nature", summary: "En forêt.",
            holderId: "club", axis: "A2", publics: [CHILDREN], periodStart: "2025-04-01", periodEnd: "2025-07-31",
            year: 2025, totalCost: 800000, requested: [{funderId: "caf", amount: 300000}]}) { position } }"#,
    ]).await;

    f.set_clock("2025-02-03T17:00:00Z");
    f.all(coordinator, &[
        r#"mutation { recordSessionHeld(programmeId: "grigny", sessionId: "cotech", present: ["Ville", "Collège Pablo Neruda"]) { position } }"#,
        r#"mutation { giveOpinion(programmeId: "grigny", actionId: "a1", sessionId: "cotech", opinion: FAVOURABLE, proposed: [{funderId: "etat", amount: 1000000}]) { position } }"#,
        r#"mutation { giveOpinion(programmeId: "grigny", actionId: "a2", sessionId: "cotech", opinion: FAVOURABLE, proposed: [{funderId: "ville", amount: 500000}]) { position } }"#,
        r#"mutation { giveOpinion(programmeId: "grigny", actionId: "a4", sessionId: "cotech", opinion: FAVOURABLE, proposed: [{funderId: "caf", amount: 300000}]) { position } }"#,
        r#"mutation { withdrawAction(programmeId: "grigny", actionId: "a3", reason: "L'intervenant a quitté le club.") { position } }"#,
    ]).await;

    f.set_clock("2025-03-03T17:00:00Z");
    f.ok(coordinator, r#"mutation { recordSessionHeld(programmeId: "grigny", sessionId: "copil", present: ["Préfecture", "Ville", "DSDEN"]) { position } }"#).await;
    f.ok(pilot, r#"mutation { recordCopilDecisions(programmeId: "grigny", sessionId: "copil", decisions: [
        {actionId: "a1", outcome: RETAINED, retained: [{funderId: "etat", amount: 1000000}]},
        {actionId: "a2", outcome: RETAINED, retained: [{funderId: "ville", amount: 500000}]},
        {actionId: "a4", outcome: RETAINED, retained: [{funderId: "caf", amount: 300000}]}]) { position } }"#).await;

    f.set_clock("2025-03-10T10:00:00Z");
    f.all(coordinator, &[
        r#"mutation { awardGrant(programmeId: "grigny", actionId: "a1", funderId: "etat", year: 2025, amount: 1000000, act: {kind: CONVENTION, reference: "CONV-2025-01", signedOn: "2025-03-10"}) { position } }"#,
        r#"mutation { awardGrant(programmeId: "grigny", actionId: "a2", funderId: "ville", year: 2025, amount: 500000, act: {kind: DELIBERATION, reference: "DEL-2025-12", signedOn: "2025-03-10"}) { position } }"#,
        r#"mutation { awardGrant(programmeId: "grigny", actionId: "a4", funderId: "caf", year: 2025, amount: 300000, act: {kind: CONVENTION, reference: "CAF-2025-3", signedOn: "2025-03-10"}) { position } }"#,
    ]).await;

    f.set_clock("2025-04-09T10:00:00Z");
    f.all(coordinator, &[
        r#"mutation { recordPayment(programmeId: "grigny", actionId: "a1", funderId: "etat", amount: 600000, kind: ADVANCE, paidOn: "2025-04-09") { position } }"#,
        r#"mutation { startAction(programmeId: "grigny", actionId: "a1", startedOn: "2025-04-09") { position } }"#,
        r#"mutation { cancelSession(programmeId: "grigny", sessionId: "cotech-mai", reason: "Quorum non atteint.") { position } }"#,
    ]).await;

    f.set_clock("2025-05-10T10:00:00Z");
    f.ok(coordinator, r#"mutation { recordPayment(programmeId: "grigny", actionId: "a4", funderId: "caf", amount: 300000, kind: ADVANCE, paidOn: "2025-05-10") { position } }"#).await;

    f.set_clock("2025-06-05T10:00:00Z");
    f.all(coordinator, &[
        r#"mutation { changePeriod(programmeId: "grigny", actionId: "a2", periodStart: "2025-02-01", periodEnd: "2025-06-27", reason: "Report des ateliers.", options: {effectiveOn: "2025-05-20"}) { position } }"#,
        r#"mutation { attestNonRealisation(programmeId: "grigny", actionId: "a4", reason: "Le club a fermé.") { position } }"#,
        r#"mutation { requestRepayment(programmeId: "grigny", actionId: "a4", funderId: "caf", amount: 300000, reason: "Action non réalisée.") { position } }"#,
    ]).await;

    f.set_clock("2025-06-13T10:00:00Z");
    f.ok(coordinator, r#"mutation { recordPayment(programmeId: "grigny", actionId: "a2", funderId: "ville", amount: 500000, kind: BALANCE, paidOn: "2025-06-13") { position } }"#).await;

    f.set_clock("2025-06-21T09:00:00Z");
    f.ok(coordinator, r#"mutation { recordSessionHeld(programmeId: "grigny", sessionId: "copil-juin", present: ["Préfecture", "Ville"], options: {effectiveOn: "2025-06-20"}) { position } }"#).await;

    f.set_clock("2025-06-28T15:00:00Z");
    f.ok(coordinator, r#"mutation { completeAction(programmeId: "grigny", actionId: "a1", completedOn: "2025-06-28") { position } }"#).await;

    f.set_clock("2025-07-01T09:00:00Z");
    f.all(coordinator, &[
        r#"mutation { recordPayment(programmeId: "grigny", actionId: "a1", funderId: "etat", amount: 400000, kind: BALANCE, paidOn: "2025-06-08") { position } }"#,
        r#"mutation { submitReport(programmeId: "grigny", actionId: "a1", kind: FINAL, spent: 2000000, summary: "Quarante séances.", beneficiaries: [
            {public: CHILDREN, ageBand: AGE_6_10, sex: FEMALE, qpvResident: true, count: 12},
            {public: CHILDREN, ageBand: AGE_6_10, sex: MALE, qpvResident: true, count: 9},
            {public: PARENTS, ageBand: ADULT, sex: FEMALE, qpvResident: false, count: 15}]) { position } }"#,
        r#"mutation { recordRepayment(programmeId: "grigny", actionId: "a4", funderId: "caf", amount: 100000, receivedOn: "2025-07-01") { position } }"#,
    ]).await;

    f.set_clock("2026-01-20T10:00:00Z");
    f.all(coordinator, &[
        r#"mutation { writeReviewSection(programmeId: "grigny", year: 2025, section: COMMUNICATION, text: "Une lettre par trimestre.") { position } }"#,
        r#"mutation { writeReviewSection(programmeId: "grigny", year: 2025, section: DIFFICULTIES, text: "Recruter des intervenants.") { position } }"#,
    ]).await;
}

/// The revue de projet of 2025 validated at the COPIL of 2026, then corrected.
async fn validate_then_correct(f: &Fixture) -> u64 {
    f.set_clock("2026-02-10T17:00:00Z");
    f.ok(&f.coordinator, r#"mutation { recordSessionHeld(programmeId: "grigny", sessionId: "copil-2026", present: ["Préfecture"]) { position } }"#).await;
    let validated = f
        .ok(&f.pilot, r#"mutation { validateAnnualReview(programmeId: "grigny", year: 2025, sessionId: "copil-2026") { position } }"#)
        .await["validateAnnualReview"]["position"]
        .as_u64()
        .unwrap();
    f.set_clock("2026-03-01T10:00:00Z");
    f.all(&f.coordinator, &[
        r#"mutation { correctReport(programmeId: "grigny", actionId: "a1", reportIndex: 0, spent: 2000000, summary: "Quarante séances.", beneficiaries: [
            {public: CHILDREN, ageBand: AGE_6_10, sex: FEMALE, qpvResident: true, count: 14},
            {public: CHILDREN, ageBand: AGE_6_10, sex: MALE, qpvResident: true, count: 9},
            {public: PARENTS, ageBand: ADULT, sex: FEMALE, qpvResident: false, count: 15}], reason: "Deux inscriptions oubliées.") { position } }"#,
        r#"mutation { writeReviewSection(programmeId: "grigny", year: 2025, section: COMMUNICATION, text: "Une lettre par trimestre et un site.") { position } }"#,
    ]).await;
    validated
}

const PROVENANCE: &str = "provenance { position headHash asOf computedAt }";

/// Checks a provenance against the log: its hash is the log's at its position.
fn check_provenance(f: &Fixture, provenance: &Value, position: u64, as_of: Value) {
    assert_eq!(provenance["position"], position, "{provenance}");
    assert_eq!(provenance["headHash"], f.hash_at(position), "{provenance}");
    assert_eq!(provenance["asOf"], as_of, "{provenance}");
}

#[tokio::test]
async fn deployment_governance_and_finances_of_a_year_are_the_figures_computed_by_hand() {
    let f = Fixture::new();
    the_year(&f).await;
    let head = f.state.log.head().position;

    let d = f
        .ok(&f.coordinator, &format!(r#"{{ deployment(programmeId: "grigny", year: 2025) {{
            year byStatus {{ status axis {{ code }} objective count }}
            holders {{ kind legalForm partners actions }} newActions renewedActions
            withdrawn {{ id lastReason }} notRealised {{ id lastReason }} periodChanged {{ id periodEnd }} {PROVENANCE} }} }}"#))
        .await["deployment"]
        .clone();
    assert_eq!(
        d["byStatus"],
        json!([
            // By status in the life cycle's order, then axis: a3, a2, a4, a1.
            {"status": "WITHDRAWN", "axis": {"code": "A1"}, "objective": "SCHOOL_ROLE", "count": 1},
            {"status": "FUNDED", "axis": {"code": "A2"}, "objective": "WIDER_HORIZONS", "count": 1},
            {"status": "NOT_REALISED", "axis": {"code": "A2"}, "objective": "WIDER_HORIZONS", "count": 1},
            {"status": "REPORTED", "axis": {"code": "A1"}, "objective": "SCHOOL_ROLE", "count": 1},
        ])
    );
    // Retained: a1 (asso), a4 (club), a2 (college, renewing a0).
    assert_eq!(
        d["holders"],
        json!([
            {"kind": "COLLEGE", "legalForm": "EPLE", "partners": 1, "actions": 1},
            {"kind": "ASSOCIATION", "legalForm": "ASSOCIATION", "partners": 1, "actions": 1},
            {"kind": "SPORT", "legalForm": "ASSOCIATION", "partners": 1, "actions": 1},
        ])
    );
    assert_eq!(
        (d["newActions"].clone(), d["renewedActions"].clone()),
        (json!(2), json!(1))
    );
    assert_eq!(
        d["withdrawn"],
        json!([{"id": "a3", "lastReason": "L'intervenant a quitté le club."}])
    );
    assert_eq!(
        d["notRealised"],
        json!([{"id": "a4", "lastReason": "Le club a fermé."}])
    );
    assert_eq!(
        d["periodChanged"],
        json!([{"id": "a2", "periodEnd": "2025-06-27"}])
    );
    check_provenance(&f, &d["provenance"], head, Value::Null);

    // An observer never sees a3, withdrawn before the COPIL.
    let seen = f
        .ok(&f.observer, r#"{ deployment(programmeId: "grigny", year: 2025) { byStatus { status count } withdrawn { id } notRealised { id } } }"#)
        .await["deployment"]
        .clone();
    assert_eq!(
        seen,
        json!({"byStatus": [{"status": "FUNDED", "count": 1}, {"status": "NOT_REALISED", "count": 1}, {"status": "REPORTED", "count": 1}],
               "withdrawn": [], "notRealised": [{"id": "a4"}]})
    );

    let g = f
        .ok(
            &f.observer,
            r#"{ governance(programmeId: "grigny", year: 2025) {
            sessions { body scheduled held cancelled } heldSessions { id date present }
            membershipChanges { kind effectiveOn } } }"#,
        )
        .await["governance"]
        .clone();
    assert_eq!(
        g["sessions"],
        json!([
            {"body": "COPIL", "scheduled": 2, "held": 2, "cancelled": 0},
            {"body": "COTECH", "scheduled": 2, "held": 1, "cancelled": 1},
            {"body": "SELECTION_COMMITTEE", "scheduled": 0, "held": 0, "cancelled": 0},
            {"body": "OTHER", "scheduled": 0, "held": 0, "cancelled": 0},
        ])
    );
    assert_eq!(
        g["heldSessions"],
        json!([
            {"id": "cotech", "date": "2025-02-03", "present": ["Ville", "Collège Pablo Neruda"]},
            {"id": "copil", "date": "2025-03-03", "present": ["Préfecture", "Ville", "DSDEN"]},
            {"id": "copil-juin", "date": "2025-06-20", "present": ["Préfecture", "Ville"]},
        ])
    );
    assert_eq!(
        g["membershipChanges"],
        json!([{"kind": "BodyMembershipChanged", "effectiveOn": "2025-01-06"}])
    );

    let fin = f
        .ok(&f.porteur, &format!(r#"{{ finances(programmeId: "grigny", fromYear: 2025, toYear: 2025) {{
            funders {{ funder {{ id }} year granted paid repaid toRepay sharePermille
                medianDaysToFirstPayment medianDaysToBalance firstPaymentsOver60Days grants grantsPaidInFull }}
            communeSharePermille {{ year permille }} stateSharePermille {{ year permille }}
            cofinancingPermille {{ year permille }} actions {{ action {{ id }} granted totalCost permille }} {PROVENANCE} }} }}"#))
        .await["finances"]
        .clone();
    // 18 000 € granted in 2025: etat 10 000 (555 ‰), ville 5 000 (277 ‰), caf 3 000 (166 ‰).
    assert_eq!(
        fin["funders"],
        json!([
            {"funder": {"id": "etat"}, "year": 2025, "granted": 1000000, "paid": 1000000, "repaid": 0, "toRepay": 0,
             "sharePermille": 555, "medianDaysToFirstPayment": 30, "medianDaysToBalance": 90,
             "firstPaymentsOver60Days": 0, "grants": 1, "grantsPaidInFull": 1},
            {"funder": {"id": "ville"}, "year": 2025, "granted": 500000, "paid": 500000, "repaid": 0, "toRepay": 0,
             "sharePermille": 277, "medianDaysToFirstPayment": 95, "medianDaysToBalance": 95,
             "firstPaymentsOver60Days": 1, "grants": 1, "grantsPaidInFull": 1},
            {"funder": {"id": "caf"}, "year": 2025, "granted": 300000, "paid": 300000, "repaid": 100000, "toRepay": 200000,
             "sharePermille": 166, "medianDaysToFirstPayment": 61, "medianDaysToBalance": 61,
             "firstPaymentsOver60Days": 1, "grants": 1, "grantsPaidInFull": 1},
        ])
    );
    assert_eq!(
        fin["communeSharePermille"],
        json!([{"year": 2025, "permille": 277}])
    );
    assert_eq!(
        fin["stateSharePermille"],
        json!([{"year": 2025, "permille": 555}])
    );
    // 18 000 € over the 38 000 € the retained actions cost.
    assert_eq!(
        fin["cofinancingPermille"],
        json!([{"year": 2025, "permille": 473}])
    );
    assert_eq!(
        fin["actions"],
        json!([
            {"action": {"id": "a1"}, "granted": 1000000, "totalCost": 2000000, "permille": 500},
            {"action": {"id": "a2"}, "granted": 500000, "totalCost": 1000000, "permille": 500},
            {"action": {"id": "a4"}, "granted": 300000, "totalCost": 800000, "permille": 375},
        ])
    );
    check_provenance(&f, &fin["provenance"], head, Value::Null);

    // As of 31 May 2025: a1's balance and a2's payment had not come; a1's was paid on 8 June.
    let before = f
        .ok(&f.coordinator, &format!(r#"{{ finances(programmeId: "grigny", fromYear: 2024, toYear: 2025, asOf: {{effectiveOn: "2025-05-31"}}) {{
            funders {{ funder {{ id }} year paid medianDaysToBalance }} cofinancingPermille {{ year permille }} {PROVENANCE} }} }}"#))
        .await["finances"]
        .clone();
    assert_eq!(
        before["funders"][3],
        json!({"funder": {"id": "etat"}, "year": 2025, "paid": 600000, "medianDaysToBalance": null})
    );
    assert_eq!(
        before["funders"][0],
        json!({"funder": {"id": "etat"}, "year": 2024, "paid": 0, "medianDaysToBalance": null})
    );
    assert_eq!(
        before["cofinancingPermille"],
        json!([{"year": 2024, "permille": null}, {"year": 2025, "permille": 473}])
    );
    assert_eq!(before["provenance"]["asOf"], "état au 2025-05-31");

    // A year outside the register's range is refused, never read as « every year ».
    for query in [
        r#"{ governance(programmeId: "grigny", year: 99999) { year } }"#,
        r#"{ deployment(programmeId: "grigny", year: 1999) { year } }"#,
        r#"{ beneficiaries(programmeId: "grigny", year: -1) { year } }"#,
        r#"{ annualReview(programmeId: "grigny", year: 3000) { year } }"#,
        r#"{ finances(programmeId: "grigny", fromYear: 1900, toYear: 2025) { fromYear } }"#,
    ] {
        let error = f.error(&f.coordinator, query).await;
        assert_eq!(
            error["extensions"]["code"], "VALIDATION",
            "{query}: {error}"
        );
        assert!(
            error["message"]
                .as_str()
                .unwrap()
                .contains("hors de la plage"),
            "{error}"
        );
    }
    let error = f
        .error(
            &f.coordinator,
            r#"{ finances(programmeId: "grigny", fromYear: 2026, toYear: 2025) { fromYear } }"#,
        )
        .await;
    assert_eq!(error["extensions"]["code"], "VALIDATION", "{error}");
    assert!(
        error["message"].as_str().unwrap().contains("2026 à 2025"),
        "{error}"
    );
}

#[tokio::test]
async fn the_monthly_report_and_what_the_copil_knew_show_the_late_entries() {
    let f = Fixture::new();
    the_year(&f).await;
    let head = f.state.log.head().position;
    let report = f
        .ok(&f.evaluator, &format!(r#"{{ monthlyReport(programmeId: "grigny", from: "2025-06-01", to: "2025-06-30") {{
            from to changes {{ entries {{ kind effectiveOn actionId }} statusChanges {{ actionId from to }} grantedDelta {{ funder {{ id }} delta }} }}
            lateEntries {{ kind effectiveOn recordedAt actionId }}
            reportsDue {{ action {{ id }} }} overdueCompletions {{ id periodEnd status }}
            budgetAtFrom {{ total {{ granted paid toPay }} }} budgetAtTo {{ total {{ granted paid toPay }} }} {PROVENANCE} }} }}"#))
        .await["monthlyReport"]
        .clone();
    // Effective in June: a4 not realised and its repayment asked (5th), a1's balance (8th),
    // a2's payment (13th), the COPIL held (20th), a1 completed (28th).
    let kinds: Vec<(&str, &str)> = report["changes"]["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["kind"].as_str().unwrap(),
                e["effectiveOn"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        kinds,
        [
            ("NonRealisationAttested", "2025-06-05"),
            ("RepaymentRequested", "2025-06-05"),
            ("PaymentRecorded", "2025-06-08"),
            ("PaymentRecorded", "2025-06-13"),
            ("SessionHeld", "2025-06-20"),
            ("ActionCompleted", "2025-06-28"),
        ]
    );
    assert_eq!(
        report["changes"]["statusChanges"],
        json!([
            {"actionId": "a1", "from": "IN_PROGRESS", "to": "COMPLETED"},
            {"actionId": "a4", "from": "FUNDED", "to": "NOT_REALISED"},
        ])
    );
    assert_eq!(report["changes"]["grantedDelta"], json!([]));
    // Typed on 5 June, effective on 20 May.
    assert_eq!(
        report["lateEntries"],
        json!([{"kind": "PeriodChanged", "effectiveOn": "2025-05-20", "recordedAt": "2025-06-05T10:00:00Z", "actionId": "a2"}])
    );
    // Final reports are due on 30 June 2026: none within 30 days of 30 June 2025.
    assert_eq!(report["reportsDue"], json!([]));
    assert_eq!(
        report["overdueCompletions"],
        json!([{"id": "a2", "periodEnd": "2025-06-27", "status": "FUNDED"}])
    );
    // Paid by 31 May: a1 6 000 € and a4 3 000 €; by 30 June, everything. a4 is not realised
    // by then: nothing is left to pay on it.
    assert_eq!(
        report["budgetAtFrom"]["total"],
        json!({"granted": 1800000, "paid": 900000, "toPay": 900000})
    );
    assert_eq!(
        report["budgetAtTo"]["total"],
        json!({"granted": 1800000, "paid": 1800000, "toPay": 0})
    );
    check_provenance(
        &f,
        &report["provenance"],
        head,
        json!("du 2025-06-01 au 2025-06-30"),
    );

    // The COPIL of 20 June did not know of a1's balance, paid on 8 June and typed on 1 July;
    // its own attendance, typed the next morning, does not count.
    let h = f
        .ok(&f.pilot, &format!(r#"{{ copilHindsight(programmeId: "grigny", sessionId: "copil-juin") {{
            session {{ id date }} lateEntries {{ kind effectiveOn actionId amount }}
            grantedUnknown {{ funder {{ id }} delta }} paidUnknown {{ funder {{ id }} delta }} {PROVENANCE} }} }}"#))
        .await["copilHindsight"]
        .clone();
    assert_eq!(
        h["session"],
        json!({"id": "copil-juin", "date": "2025-06-20"})
    );
    assert_eq!(
        h["lateEntries"],
        json!([{"kind": "PaymentRecorded", "effectiveOn": "2025-06-08", "actionId": "a1", "amount": 400000}])
    );
    assert_eq!(h["grantedUnknown"], json!([]));
    assert_eq!(
        h["paidUnknown"],
        json!([{"funder": {"id": "etat"}, "delta": 400000}])
    );
    check_provenance(&f, &h["provenance"], head, Value::Null);
    // The COPIL of March knew everything effective by then.
    let march = f
        .ok(&f.pilot, r#"{ copilHindsight(programmeId: "grigny", sessionId: "copil") { lateEntries { kind } paidUnknown { delta } } }"#)
        .await["copilHindsight"]
        .clone();
    assert_eq!(march, json!({"lateEntries": [], "paidUnknown": []}));

    // Who may read them, and what is refused.
    for viewer in [&f.observer, &f.porteur] {
        for query in [
            r#"{ monthlyReport(programmeId: "grigny", from: "2025-06-01", to: "2025-06-30") { from } }"#,
            r#"{ copilHindsight(programmeId: "grigny", sessionId: "copil") { lateEntries { kind } } }"#,
        ] {
            let error = f.error(viewer, query).await;
            assert_eq!(error["extensions"]["code"], "FORBIDDEN", "{error}");
        }
    }
    let error = f
        .error(&f.pilot, r#"{ monthlyReport(programmeId: "grigny", from: "2025-06-30", to: "2025-06-01") { from } }"#)
        .await;
    assert_eq!(error["extensions"]["code"], "VALIDATION", "{error}");
    let error = f
        .error(&f.pilot, r#"{ copilHindsight(programmeId: "grigny", sessionId: "inconnue") { lateEntries { kind } } }"#)
        .await;
    assert_eq!(error["extensions"]["code"], "NOT_FOUND", "{error}");
}

#[tokio::test]
async fn a_validated_revue_keeps_its_declared_figures_when_the_register_is_corrected() {
    let f = Fixture::new();
    the_year(&f).await;
    let review = r#"{ annualReview(programmeId: "grigny", year: 2025) {
        year sections { section text writtenAt } validatedAt { id }
        beneficiaries { total cells { sex count hidden } }
        deployment { newActions } governance { sessions { body held } } finances { stateSharePermille { permille } }
        budget { total { granted } } evaluations { id }
        provenance { position headHash asOf }
        declared { sections { section text } beneficiaries { total } validatedAt { id } declared { year } provenance { position headHash asOf } } } }"#;
    // Before its validation, the revue is the pilotage's own.
    let error = f.error(&f.observer, review).await;
    assert_eq!(error["extensions"]["code"], "FORBIDDEN", "{error}");
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("pas encore été validée"),
        "{error}"
    );
    let draft = f.ok(&f.coordinator, review).await["annualReview"].clone();
    assert_eq!(draft["validatedAt"], Value::Null);
    assert_eq!(draft["declared"], Value::Null);
    assert_eq!(
        draft["sections"],
        json!([
            {"section": "COMMUNICATION", "text": "Une lettre par trimestre.", "writtenAt": "2026-01-20T10:00:00Z"},
            {"section": "DIFFICULTIES", "text": "Recruter des intervenants.", "writtenAt": "2026-01-20T10:00:00Z"},
        ])
    );
    assert_eq!(draft["beneficiaries"]["total"], 36);
    assert_eq!(draft["deployment"]["newActions"], 2);
    assert_eq!(
        draft["finances"]["stateSharePermille"],
        json!([{"permille": 555}])
    );
    assert_eq!(draft["budget"]["total"]["granted"], 1800000);
    assert_eq!(draft["evaluations"], json!([]));

    let validated = validate_then_correct(&f).await;
    let head = f.state.log.head().position;
    let today = f.ok(&f.coordinator, review).await["annualReview"].clone();
    // Today's figures moved with the correction; the declared ones did not.
    assert_eq!(today["beneficiaries"]["total"], 38);
    assert_eq!(
        today["sections"][0]["text"],
        "Une lettre par trimestre et un site."
    );
    assert_eq!(today["validatedAt"], json!({"id": "copil-2026"}));
    check_provenance(&f, &today["provenance"], head, Value::Null);
    let declared = &today["declared"];
    assert_eq!(declared["beneficiaries"]["total"], 36);
    assert_eq!(declared["sections"][0]["text"], "Une lettre par trimestre.");
    assert_eq!(declared["validatedAt"], json!({"id": "copil-2026"}));
    assert_eq!(declared["declared"], Value::Null);
    check_provenance(
        &f,
        &declared["provenance"],
        validated,
        json!(format!("tel que validé (position {validated})")),
    );

    // Once validated, an observer reads it, small cells hidden: the 9 boys, and so the total.
    let seen = f.ok(&f.observer, review).await["annualReview"].clone();
    assert_eq!(seen["beneficiaries"]["total"], Value::Null);
    assert_eq!(
        seen["beneficiaries"]["cells"],
        json!([
            {"sex": "FEMALE", "count": 14, "hidden": false},
            {"sex": "MALE", "count": null, "hidden": true},
            {"sex": "FEMALE", "count": 15, "hidden": false},
        ])
    );
    assert_eq!(seen["declared"]["beneficiaries"]["total"], Value::Null);
    // The porteur of a1 sees its own counts in full.
    let own = f.ok(&f.porteur, review).await["annualReview"].clone();
    assert_eq!(own["beneficiaries"]["total"], 38);
}
