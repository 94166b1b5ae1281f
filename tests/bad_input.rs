//! Bad input over HTTP, on the real binary: each rule of DOMAIN.md broken through the API is a
//! RULE_VIOLATION with the rule's code and writes nothing (the head does not move); malformed
//! values are VALIDATION; unknown ids are NOT_FOUND; queries too deep, too complex or with
//! pages too large are LIMIT. (`tests/server.rs` covers authentication, the body size and the
//! depth of an introspection query.)

mod common;

use common::*;
use serde_json::{Value, json};

const P: &str = "grigny";

struct Fixture {
    _dir: tempfile::TempDir,
    app: TestApp,
    admin: String,
    pilot: String,
    coordinator: String,
    evaluator: String,
}

fn line(funder: &str, amount: i64) -> Value {
    json!({"funderId": funder, "amount": amount})
}

const PROPOSE: &str =
    "mutation($id: ID!, $cost: Cents!, $requested: [MoneyLineInput!]!, $holder: ID! = \"asso\") {
    proposeAction(programmeId: \"grigny\", input: {id: $id, title: \"Action\", summary: \"Résumé.\",
        holderId: $holder, axis: \"A1\", publics: [CHILDREN], periodStart: \"2025-01-06\",
        periodEnd: \"2025-12-19\", year: 2025, totalCost: $cost, requested: $requested},
        options: {effectiveOn: \"2025-01-10\"}) { position warnings } }";

/// A programme `grigny` for 2025 (État: envelope 100 000 €, Ville: envelope 10 000 €), the
/// partners `asso` and `centre` (associations) and `college` (an EPLE), sessions of every
/// state, and actions at every stage:
/// - p1 PROPOSED (asso): 10 000 € of the State asked for 20 000 €;
/// - d1 DEFERRED (asso): 5 000 € of the State asked;
/// - r1 RETAINED, not granted (centre): État 30 000 €, Ville 8 000 € retained;
/// - f1 FUNDED (asso): État 40 000 € (a convention) and Ville 5 000 € granted, 10 000 € paid (v1);
/// - s1 IN_PROGRESS (college): État 5 000 € granted.
fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let admin = create_token(dir.path(), "ADMIN", None, None);
    let app = spawn_app(dir.path());
    let pilot = app.new_token(&admin, "PILOT", Some(P), None, "Pilote");
    let coordinator = app.new_token(&admin, "COORDINATOR", Some(P), None, "Coordination");
    let evaluator = app.new_token(&admin, "EVALUATOR", Some(P), None, "Évaluation");
    let f = Fixture {
        _dir: dir,
        app,
        admin,
        pilot,
        coordinator,
        evaluator,
    };
    f.app.ok(
        &f.admin,
        r#"mutation { establishProgramme(input: {id: "grigny", name: "Cité éducative de Grigny",
            territory: ["Grigny"], qpv: ["Grande Borne"]}, options: {effectiveOn: "2025-01-02"}) { position } }"#,
        json!({}),
    );
    for query in [
        r#"mutation { defineAxis(programmeId: "grigny", input: {code: "A1", title: "Réussite", objective: SCHOOL_ROLE}, options: {effectiveOn: "2025-01-02"}) { position } }"#,
        r#"mutation { defineAxis(programmeId: "grigny", input: {code: "A2", title: "Ancien axe", objective: WIDER_HORIZONS}, options: {effectiveOn: "2025-01-02"}) { position } }"#,
        r#"mutation { retireAxis(programmeId: "grigny", code: "A2", options: {effectiveOn: "2025-01-03"}) { position } }"#,
        r#"mutation { registerFunder(programmeId: "grigny", input: {id: "etat", name: "État", kind: STATE}, options: {effectiveOn: "2025-01-02"}) { position } }"#,
        r#"mutation { registerFunder(programmeId: "grigny", input: {id: "ville", name: "Ville", kind: MUNICIPALITY}, options: {effectiveOn: "2025-01-02"}) { position } }"#,
        r#"mutation { notifyEnvelope(programmeId: "grigny", input: {funderId: "etat", year: 2025, amount: 10000000}, options: {effectiveOn: "2025-01-02"}) { position } }"#,
        r#"mutation { notifyEnvelope(programmeId: "grigny", input: {funderId: "ville", year: 2025, amount: 1000000}, options: {effectiveOn: "2025-01-02"}) { position } }"#,
    ] {
        f.app.ok(&f.pilot, query, json!({}));
    }
    for query in [
        r#"mutation { registerPartner(programmeId: "grigny", input: {id: "asso", name: "Association Lire", kind: ASSOCIATION, legalForm: ASSOCIATION}, options: {effectiveOn: "2025-01-02"}) { position } }"#,
        r#"mutation { registerPartner(programmeId: "grigny", input: {id: "centre", name: "Centre social", kind: SOCIAL, legalForm: ASSOCIATION}, options: {effectiveOn: "2025-01-02"}) { position } }"#,
        r#"mutation { registerPartner(programmeId: "grigny", input: {id: "college", name: "Collège Dolto", kind: COLLEGE, legalForm: EPLE}, options: {effectiveOn: "2025-01-02"}) { position } }"#,
        r#"mutation { scheduleSession(programmeId: "grigny", input: {id: "copil-hiver", body: COPIL, date: "2025-01-20", title: "COPIL d'hiver"}, options: {effectiveOn: "2025-01-02"}) { position } }"#,
        r#"mutation { scheduleSession(programmeId: "grigny", input: {id: "cotech", body: COTECH, date: "2025-02-01", title: "COTECH"}, options: {effectiveOn: "2025-01-02"}) { position } }"#,
        r#"mutation { scheduleSession(programmeId: "grigny", input: {id: "copil", body: COPIL, date: "2025-03-01", title: "COPIL"}, options: {effectiveOn: "2025-01-02"}) { position } }"#,
        r#"mutation { scheduleSession(programmeId: "grigny", input: {id: "cotech-annule", body: COTECH, date: "2025-04-01", title: "COTECH"}, options: {effectiveOn: "2025-01-02"}) { position } }"#,
        r#"mutation { scheduleSession(programmeId: "grigny", input: {id: "copil-annule", body: COPIL, date: "2025-04-15", title: "COPIL"}, options: {effectiveOn: "2025-01-02"}) { position } }"#,
        r#"mutation { scheduleSession(programmeId: "grigny", input: {id: "copil-juin", body: COPIL, date: "2025-06-01", title: "COPIL de juin"}, options: {effectiveOn: "2025-01-02"}) { position } }"#,
        r#"mutation { recordSessionHeld(programmeId: "grigny", sessionId: "copil-hiver", present: ["Ville"], options: {effectiveOn: "2025-01-20"}) { position } }"#,
        r#"mutation { recordSessionHeld(programmeId: "grigny", sessionId: "cotech", present: ["Ville"], options: {effectiveOn: "2025-02-01"}) { position } }"#,
        r#"mutation { recordSessionHeld(programmeId: "grigny", sessionId: "copil", present: ["Préfecture"], options: {effectiveOn: "2025-03-01"}) { position } }"#,
        r#"mutation { cancelSession(programmeId: "grigny", sessionId: "cotech-annule", reason: "Grève", options: {effectiveOn: "2025-03-20"}) { position } }"#,
        r#"mutation { cancelSession(programmeId: "grigny", sessionId: "copil-annule", reason: "Grève", options: {effectiveOn: "2025-03-20"}) { position } }"#,
    ] {
        f.app.ok(&f.coordinator, query, json!({}));
    }
    // Each holder's grants add up apart (rule 6's convention): r1's holder has no other grant,
    // s1's is a collège (public law).
    for (id, holder, cost, requested) in [
        ("p1", "asso", 2_000_000, vec![line("etat", 1_000_000)]),
        ("d1", "asso", 1_000_000, vec![line("etat", 500_000)]),
        (
            "r1",
            "centre",
            5_000_000,
            vec![line("etat", 3_000_000), line("ville", 800_000)],
        ),
        (
            "f1",
            "asso",
            6_000_000,
            vec![line("etat", 4_000_000), line("ville", 500_000)],
        ),
        ("s1", "college", 1_000_000, vec![line("etat", 500_000)]),
    ] {
        f.app.ok(
            &f.coordinator,
            PROPOSE,
            json!({"id": id, "holder": holder, "cost": cost, "requested": requested}),
        );
    }
    f.app.ok(
        &f.pilot,
        "mutation($d: [CopilDecisionInput!]!) { recordCopilDecisions(programmeId: \"grigny\", sessionId: \"copil\", decisions: $d) { position } }",
        json!({"d": [
            {"actionId": "d1", "outcome": "DEFERRED", "reason": "À revoir"},
            {"actionId": "r1", "outcome": "RETAINED", "retained": [line("etat", 3_000_000), line("ville", 800_000)]},
            {"actionId": "f1", "outcome": "RETAINED", "retained": [line("etat", 4_000_000), line("ville", 500_000)]},
            {"actionId": "s1", "outcome": "RETAINED", "retained": [line("etat", 500_000)]},
        ]}),
    );
    let grant = "mutation($a: ID!, $funder: ID!, $amount: Cents!, $kind: ActKind!) { awardGrant(programmeId: \"grigny\",
        actionId: $a, funderId: $funder, year: 2025, amount: $amount,
        act: {kind: $kind, reference: \"R\", signedOn: \"2025-03-10\"}) { position } }";
    for (action, funder, amount, kind) in [
        ("f1", "etat", 4_000_000, "CONVENTION"),
        ("f1", "ville", 500_000, "ARRETE"),
        ("s1", "etat", 500_000, "ARRETE"),
    ] {
        f.app.ok(
            &f.coordinator,
            grant,
            json!({"a": action, "funder": funder, "amount": amount, "kind": kind}),
        );
    }
    f.app.ok(
        &f.coordinator,
        r#"mutation { recordPayment(programmeId: "grigny", actionId: "f1", funderId: "etat", amount: 1000000, kind: ADVANCE, paidOn: "2025-03-15") { position } }"#,
        json!({}),
    );
    f.app.ok(
        &f.coordinator,
        r#"mutation { startAction(programmeId: "grigny", actionId: "s1", startedOn: "2025-03-20") { position } }"#,
        json!({}),
    );
    f
}

impl Fixture {
    fn token(&self, role: &str) -> &str {
        match role {
            "PILOT" => &self.pilot,
            "COORDINATOR" => &self.coordinator,
            "EVALUATOR" => &self.evaluator,
            "ADMIN" => &self.admin,
            other => panic!("no role {other}"),
        }
    }

    fn head(&self) -> u64 {
        self.app.head(&self.admin)
    }

    /// Sends `query` as `role`; asserts the error's code (and rule) and that nothing was
    /// written. Returns the error.
    fn refused(&self, role: &str, query: &str, code: &str, rule: Option<&str>) -> Value {
        let (error, problem) = self.check(role, query, code, rule);
        if let Some(problem) = problem {
            panic!("{problem}");
        }
        error
    }

    /// Like [`Fixture::refused`], for a table of cases: what went wrong, if anything.
    fn check(
        &self,
        role: &str,
        query: &str,
        code: &str,
        rule: Option<&str>,
    ) -> (Value, Option<String>) {
        let head = self.head();
        let (_, body) = self.app.graphql(Some(self.token(role)), query, json!({}));
        let error = body["errors"][0].clone();
        let message = error["message"].as_str().unwrap_or_default();
        let problem = if error["extensions"]["code"] != code
            || rule.is_some_and(|rule| error["extensions"]["rule"] != rule)
        {
            Some(format!(
                "expected {code} {rule:?}, got {}",
                short(&body.to_string())
            ))
        } else if message.is_empty() || message.contains("Failed") || message.contains("Invalid") {
            Some(format!("not a French message: {message}"))
        } else if self.head() != head {
            Some("it wrote something".to_owned())
        } else {
            None
        };
        (error, problem.map(|p| format!("{}\n  {p}", short(query))))
    }

    /// Checks every case of a table, then says every one that went wrong.
    fn check_all(
        &self,
        cases: &[(&str, String)],
        code: &str,
        rule: impl Fn(usize) -> Option<&'static str>,
    ) {
        let problems: Vec<String> = cases
            .iter()
            .enumerate()
            .filter_map(|(i, (role, query))| self.check(role, query, code, rule(i)).1)
            .collect();
        assert!(
            problems.is_empty(),
            "{} case(s) failed:\n{}",
            problems.len(),
            problems.join("\n")
        );
    }
}

fn decide(session: &str, decisions: &str) -> String {
    format!(
        "mutation {{ recordCopilDecisions(programmeId: \"grigny\", sessionId: \"{session}\", decisions: [{decisions}]) {{ position }} }}"
    )
}

fn propose(id: &str, cost: i64, requested: &str) -> String {
    format!(
        "mutation {{ proposeAction(programmeId: \"grigny\", input: {{id: \"{id}\", title: \"Action\", summary: \"Résumé.\",
            holderId: \"asso\", axis: \"A1\", publics: [CHILDREN], periodStart: \"2025-01-06\",
            periodEnd: \"2025-12-19\", year: 2025, totalCost: {cost}, requested: [{requested}]}},
            options: {{effectiveOn: \"2025-01-10\"}}) {{ position }} }}"
    )
}

fn grant(action: &str, funder: &str, amount: i64, kind: &str) -> String {
    format!(
        "mutation {{ awardGrant(programmeId: \"grigny\", actionId: \"{action}\", funderId: \"{funder}\", year: 2025,
            amount: {amount}, act: {{kind: {kind}, reference: \"R2\", signedOn: \"2025-03-12\"}}) {{ position }} }}"
    )
}

fn cells(count: i64) -> String {
    format!(
        "[{{public: CHILDREN, ageBand: AGE_6_10, sex: FEMALE, qpvResident: true, count: {count}}}]"
    )
}

#[test]
fn each_rule_broken_through_the_api_is_a_rule_violation_with_its_code_and_writes_nothing() {
    let f = fixture();
    let cases: Vec<(&str, &str, String)> = vec![
        // 1. Sums use checked arithmetic: two requests of 6 × 10¹² cents pass 10¹³.
        (
            "money_invalid",
            "COORDINATOR",
            propose(
                "x1",
                10_000_000_000_000,
                r#"{funderId: "etat", amount: 6000000000000}, {funderId: "ville", amount: 6000000000000}"#,
            ),
        ),
        // 2. 1 500 € asked for a cost of 1 000 €; an amendment likewise.
        (
            "requested_exceeds_cost",
            "COORDINATOR",
            propose("x2", 100_000, r#"{funderId: "etat", amount: 150000}"#),
        ),
        (
            "requested_exceeds_cost",
            "COORDINATOR",
            r#"mutation { amendAction(programmeId: "grigny", actionId: "p1", input: {requested: [{funderId: "etat", amount: 2000001}]}) { position } }"#.into(),
        ),
        (
            "requested_exceeds_cost",
            "COORDINATOR",
            r#"mutation { amendAction(programmeId: "grigny", actionId: "p1", input: {totalCost: 999999}) { position } }"#.into(),
        ),
        // 3. Retained: no more amendments.
        (
            "amend_after_decision",
            "COORDINATOR",
            r#"mutation { amendAction(programmeId: "grigny", actionId: "r1", input: {title: "Autre titre"}) { position } }"#.into(),
        ),
        // 4. An opinion at the COPIL, at a cancelled session; a decision at a COTECH, at a
        //    COPIL not held yet, at a cancelled one; a revision at a COPIL not held.
        (
            "session_invalid",
            "COORDINATOR",
            r#"mutation { giveOpinion(programmeId: "grigny", actionId: "p1", sessionId: "copil", opinion: FAVOURABLE) { position } }"#.into(),
        ),
        (
            "session_invalid",
            "COORDINATOR",
            r#"mutation { giveOpinion(programmeId: "grigny", actionId: "p1", sessionId: "cotech-annule", opinion: FAVOURABLE) { position } }"#.into(),
        ),
        (
            "session_invalid",
            "PILOT",
            decide("cotech", r#"{actionId: "p1", outcome: REJECTED}"#),
        ),
        (
            "session_invalid",
            "PILOT",
            decide("copil-juin", r#"{actionId: "p1", outcome: REJECTED}"#),
        ),
        (
            "session_invalid",
            "PILOT",
            decide("copil-annule", r#"{actionId: "p1", outcome: REJECTED}"#),
        ),
        (
            "session_invalid",
            "PILOT",
            r#"mutation { reviseDecision(programmeId: "grigny", actionId: "d1", sessionId: "copil-juin", outcome: REJECTED, reason: "x") { position } }"#.into(),
        ),
        // 5. More than requested; retained with nothing; decided twice at one session.
        (
            "retained_exceeds_requested",
            "PILOT",
            decide(
                "copil",
                r#"{actionId: "p1", outcome: RETAINED, retained: [{funderId: "etat", amount: 1000001}]}"#,
            ),
        ),
        (
            "retained_exceeds_requested",
            "PILOT",
            decide("copil", r#"{actionId: "p1", outcome: RETAINED}"#),
        ),
        (
            "retained_exceeds_requested",
            "PILOT",
            decide(
                "copil",
                r#"{actionId: "p1", outcome: RETAINED, retained: [{funderId: "etat", amount: 0}]}"#,
            ),
        ),
        (
            "already_decided_at_session",
            "PILOT",
            decide("copil", r#"{actionId: "d1", outcome: REJECTED}"#),
        ),
        // 6. Grants.
        (
            "grant_needs_retained",
            "COORDINATOR",
            grant("p1", "etat", 100, "ARRETE"),
        ),
        (
            "grant_needs_retained",
            "COORDINATOR",
            grant("d1", "etat", 100, "ARRETE"),
        ),
        (
            "grant_exceeds_retained",
            "COORDINATOR",
            grant("r1", "etat", 3_000_001, "CONVENTION"),
        ),
        // The town's envelope is 10 000 €, 5 000 € already granted to f1.
        (
            "grant_exceeds_envelope",
            "COORDINATOR",
            grant("r1", "ville", 500_001, "ARRETE"),
        ),
        // 23 000,01 € is strictly above 23 000 €: a convention.
        (
            "convention_required",
            "COORDINATOR",
            grant("r1", "etat", 2_300_001, "ARRETE"),
        ),
        (
            "grant_already_awarded",
            "PILOT",
            grant("f1", "etat", 100, "CONVENTION"),
        ),
        // 7. 40 000 € granted, 10 000 € paid: 30 000,01 € is too much.
        (
            "payment_exceeds_granted",
            "COORDINATOR",
            r#"mutation { recordPayment(programmeId: "grigny", actionId: "f1", funderId: "etat", amount: 3000001, kind: BALANCE, paidOn: "2025-04-01") { position } }"#.into(),
        ),
        (
            "payment_exceeds_granted",
            "COORDINATOR",
            r#"mutation { recordPayment(programmeId: "grigny", actionId: "f1", funderId: "ville", amount: 500001, kind: BALANCE, paidOn: "2025-04-01") { position } }"#.into(),
        ),
        // 8. Reports, evaluation, closing.
        (
            "report_needs_completion",
            "COORDINATOR",
            format!(
                r#"mutation {{ submitReport(programmeId: "grigny", actionId: "s1", kind: FINAL, spent: 100, summary: "Fin", beneficiaries: {}) {{ position }} }}"#,
                cells(12)
            ),
        ),
        (
            "report_needs_completion",
            "COORDINATOR",
            format!(
                r#"mutation {{ submitReport(programmeId: "grigny", actionId: "f1", kind: INTERIM, spent: 100, summary: "Point", beneficiaries: {}) {{ position }} }}"#,
                cells(12)
            ),
        ),
        (
            "evaluation_needs_final_report",
            "EVALUATOR",
            r#"mutation { evaluateAction(programmeId: "grigny", actionId: "s1", rating: ACHIEVED, findings: "Bien", recommendation: RENEW) { position } }"#.into(),
        ),
        (
            "close_not_ready",
            "COORDINATOR",
            r#"mutation { closeAction(programmeId: "grigny", actionId: "s1") { position } }"#.into(),
        ),
        // 9. Counts are ≥ 0.
        (
            "beneficiaries_invalid",
            "COORDINATOR",
            format!(
                r#"mutation {{ submitReport(programmeId: "grigny", actionId: "s1", kind: INTERIM, spent: 100, summary: "Point", beneficiaries: {}) {{ position }} }}"#,
                cells(-1)
            ),
        ),
        // 11. Transitions not drawn.
        (
            "lifecycle",
            "COORDINATOR",
            r#"mutation { withdrawAction(programmeId: "grigny", actionId: "f1", reason: "Abandon") { position } }"#.into(),
        ),
        (
            "lifecycle",
            "COORDINATOR",
            r#"mutation { startAction(programmeId: "grigny", actionId: "r1", startedOn: "2025-04-01") { position } }"#.into(),
        ),
        (
            "lifecycle",
            "COORDINATOR",
            r#"mutation { completeAction(programmeId: "grigny", actionId: "f1", completedOn: "2025-04-01") { position } }"#.into(),
        ),
        (
            "lifecycle",
            "COORDINATOR",
            r#"mutation { provideComplements(programmeId: "grigny", actionId: "p1", note: "Rien n'était demandé") { position } }"#.into(),
        ),
        (
            "lifecycle",
            "COORDINATOR",
            r#"mutation { recordPayment(programmeId: "grigny", actionId: "r1", funderId: "etat", amount: 100, kind: ADVANCE, paidOn: "2025-04-01") { position } }"#.into(),
        ),
        // An action proposed twice.
        (
            "lifecycle",
            "COORDINATOR",
            propose("p1", 100_000, r#"{funderId: "etat", amount: 50000}"#),
        ),
        // 12. In the future; before the stream's first event (p1 was proposed on 10 January).
        (
            "effective_date_invalid",
            "COORDINATOR",
            r#"mutation { withdrawAction(programmeId: "grigny", actionId: "p1", reason: "x", options: {effectiveOn: "2099-01-01"}) { position } }"#.into(),
        ),
        (
            "effective_date_invalid",
            "COORDINATOR",
            r#"mutation { recordPayment(programmeId: "grigny", actionId: "f1", funderId: "etat", amount: 100, kind: INSTALMENT, paidOn: "2099-01-01") { position } }"#.into(),
        ),
        (
            "effective_date_invalid",
            "COORDINATOR",
            r#"mutation { amendAction(programmeId: "grigny", actionId: "p1", input: {title: "Titre"}, options: {effectiveOn: "2025-01-09"}) { position } }"#.into(),
        ),
        // 13. Below what is granted; rejected once granted; at a COPIL before the decision.
        (
            "decision_revision_invalid",
            "PILOT",
            r#"mutation { reviseDecision(programmeId: "grigny", actionId: "f1", sessionId: "copil", outcome: RETAINED,
                retained: [{funderId: "etat", amount: 3999999}, {funderId: "ville", amount: 500000}], reason: "Baisse") { position } }"#.into(),
        ),
        (
            "decision_revision_invalid",
            "PILOT",
            r#"mutation { reviseDecision(programmeId: "grigny", actionId: "f1", sessionId: "copil", outcome: REJECTED, reason: "Erreur") { position } }"#.into(),
        ),
        (
            "decision_revision_invalid",
            "PILOT",
            r#"mutation { reviseDecision(programmeId: "grigny", actionId: "r1", sessionId: "copil-hiver", outcome: RETAINED,
                retained: [{funderId: "etat", amount: 1000000}], reason: "Erratum") { position } }"#.into(),
        ),
        // 18. A reference already used in the programme: p1 was given 2025-001.
        (
            "reference_already_used",
            "COORDINATOR",
            propose("x5", 100_000, r#"{funderId: "etat", amount: 50000}"#)
                .replace("title: \"Action\"", "reference: \"2025-001\", title: \"Action\""),
        ),
        // An axis retired: no new action on it.
        (
            "axis_retired",
            "COORDINATOR",
            propose("x3", 100_000, r#"{funderId: "etat", amount: 50000}"#)
                .replace("axis: \"A1\"", "axis: \"A2\""),
        ),
    ];
    let head = f.head();
    let table: Vec<(&str, String)> = cases
        .iter()
        .map(|(_, role, query)| (*role, query.clone()))
        .collect();
    f.check_all(&table, "RULE_VIOLATION", |i| Some(cases[i].0));
    assert_eq!(f.head(), head);
}

#[test]
fn a_rule_violation_names_the_figures_in_french() {
    let f = fixture();
    let error = f.refused(
        "COORDINATOR",
        &grant("r1", "ville", 500_001, "ARRETE"),
        "RULE_VIOLATION",
        Some("grant_exceeds_envelope"),
    );
    let message = error["message"].as_str().unwrap();
    for figure in ["10 000,00", "5 000,00", "5 000,01"] {
        assert!(
            message.contains(&eur(figure)),
            "{message} should name {}",
            eur(figure)
        );
    }
    let error = f.refused(
        "COORDINATOR",
        r#"mutation { recordPayment(programmeId: "grigny", actionId: "f1", funderId: "etat", amount: 3000001, kind: BALANCE, paidOn: "2025-04-01") { position } }"#,
        "RULE_VIOLATION",
        Some("payment_exceeds_granted"),
    );
    let message = error["message"].as_str().unwrap();
    for figure in ["40 000,00", "10 000,00", "30 000,01"] {
        assert!(message.contains(&eur(figure)), "{message}");
    }
}

#[test]
fn a_copil_call_with_one_failing_decision_records_none_and_lists_every_failure() {
    let f = fixture();
    let error = f.refused(
        "PILOT",
        &decide(
            "copil-hiver",
            r#"{actionId: "p1", outcome: RETAINED, retained: [{funderId: "etat", amount: 1000000}]},
               {actionId: "d1", outcome: RETAINED, retained: [{funderId: "etat", amount: 600000}]},
               {actionId: "r1", outcome: REJECTED},
               {actionId: "inconnue", outcome: REJECTED}"#,
        ),
        "NOT_FOUND",
        None,
    );
    let failures: Vec<(String, String, Value)> = error["extensions"]["failures"]
        .as_array()
        .unwrap_or_else(|| panic!("no failures in {error}"))
        .iter()
        .map(|x| {
            (
                x["actionId"].as_str().unwrap().to_owned(),
                x["code"].as_str().unwrap().to_owned(),
                x["rule"].clone(),
            )
        })
        .collect();
    // p1 alone would have been retained: it is not listed, and not recorded.
    assert_eq!(
        failures,
        [
            (
                "d1".to_owned(),
                "RULE_VIOLATION".to_owned(),
                json!("retained_exceeds_requested")
            ),
            (
                "r1".to_owned(),
                "RULE_VIOLATION".to_owned(),
                json!("lifecycle")
            ),
            ("inconnue".to_owned(), "NOT_FOUND".to_owned(), Value::Null),
        ]
    );
    let data = f.app.ok(
        &f.pilot,
        "{ action(programmeId: \"grigny\", id: \"p1\") { status } }",
        json!({}),
    );
    assert_eq!(data["action"]["status"], "PROPOSED");
}

#[test]
fn the_limits_of_the_rules_are_allowed() {
    let f = fixture();
    // 23 000,00 € exactly is not above 23 000 €: an arrêté will do.
    f.app.ok(
        &f.coordinator,
        &grant("r1", "etat", 2_300_000, "ARRETE"),
        json!({}),
    );
    // The town's envelope to the cent: 5 000 € + 5 000 € = 10 000 €.
    f.app.ok(
        &f.coordinator,
        &grant("r1", "ville", 500_000, "ARRETE"),
        json!({}),
    );
    // A cancelled payment no longer counts: f1's 10 000 € cancelled, the whole 40 000 € is paid.
    f.app.ok(
        &f.coordinator,
        r#"mutation { cancelPayment(programmeId: "grigny", actionId: "f1", paymentId: "v1", reason: "Erreur de saisie", options: {effectiveOn: "2025-03-16"}) { position } }"#,
        json!({}),
    );
    f.app.ok(
        &f.coordinator,
        r#"mutation { recordPayment(programmeId: "grigny", actionId: "f1", funderId: "etat", amount: 4000000, kind: BALANCE, paidOn: "2025-03-20") { position } }"#,
        json!({}),
    );
    f.refused(
        "COORDINATOR",
        r#"mutation { recordPayment(programmeId: "grigny", actionId: "f1", funderId: "etat", amount: 1, kind: BALANCE, paidOn: "2025-03-21") { position } }"#,
        "RULE_VIOLATION",
        Some("payment_exceeds_granted"),
    );
    // Asking all of the cost is allowed, above the cap (800 ‰) with a warning.
    let data = f.app.ok(
        &f.coordinator,
        &propose("x4", 100_000, r#"{funderId: "etat", amount: 100000}"#)
            .replace("{ position }", "{ position warnings }"),
        json!({}),
    );
    assert_eq!(
        data["proposeAction"]["warnings"],
        json!(["request_above_cap"])
    );
    // Not realised: closed once the repayment asked is received, not before.
    f.app.ok(
        &f.coordinator,
        r#"mutation { attestNonRealisation(programmeId: "grigny", actionId: "f1", reason: "Annulée", options: {effectiveOn: "2025-04-01"}) { position } }"#,
        json!({}),
    );
    f.app.ok(
        &f.coordinator,
        r#"mutation { requestRepayment(programmeId: "grigny", actionId: "f1", funderId: "etat", amount: 4000000, reason: "Non réalisée", options: {effectiveOn: "2025-04-02"}) { position } }"#,
        json!({}),
    );
    f.refused(
        "COORDINATOR",
        r#"mutation { closeAction(programmeId: "grigny", actionId: "f1", options: {effectiveOn: "2025-04-03"}) { position } }"#,
        "RULE_VIOLATION",
        Some("close_not_ready"),
    );
    f.app.ok(
        &f.coordinator,
        r#"mutation { recordRepayment(programmeId: "grigny", actionId: "f1", funderId: "etat", amount: 4000000, receivedOn: "2025-05-02") { position } }"#,
        json!({}),
    );
    let data = f.app.ok(
        &f.coordinator,
        r#"mutation { closeAction(programmeId: "grigny", actionId: "f1", options: {effectiveOn: "2025-05-03"}) { action { status } } }"#,
        json!({}),
    );
    assert_eq!(data["closeAction"]["action"]["status"], "CLOSED");
}

#[test]
fn malformed_values_are_validation_errors_and_write_nothing() {
    let f = fixture();
    let pay = |amount: &str, kind: &str, paid_on: &str| {
        format!(
            r#"mutation {{ recordPayment(programmeId: "grigny", actionId: "f1", funderId: "etat", amount: {amount}, kind: {kind}, paidOn: "{paid_on}") {{ position }} }}"#
        )
    };
    let cases: Vec<(&str, String)> = vec![
        // Money: negative, above 10¹³, not whole.
        ("COORDINATOR", pay("-5", "ADVANCE", "2025-04-01")),
        ("COORDINATOR", pay("10000000000001", "ADVANCE", "2025-04-01")),
        ("COORDINATOR", pay("12.5", "ADVANCE", "2025-04-01")),
        // Dates: one that does not exist, one badly written.
        ("COORDINATOR", pay("100", "ADVANCE", "2025-02-30")),
        ("COORDINATOR", pay("100", "ADVANCE", "14/03/2025")),
        // An unknown enum value.
        ("COORDINATOR", pay("100", "MAYBE", "2025-04-01")),
        (
            "PILOT",
            r#"mutation { registerFunder(programmeId: "grigny", input: {id: "x", name: "X", kind: BANK}) { position } }"#.into(),
        ),
        // A SIRET whose checksum is wrong; an id outside the syntax; an empty title.
        (
            "COORDINATOR",
            r#"mutation { registerPartner(programmeId: "grigny", input: {id: "p2", name: "X", kind: SPORT, siret: "73282932000075"}) { position } }"#.into(),
        ),
        (
            "COORDINATOR",
            r#"mutation { withdrawAction(programmeId: "grigny", actionId: "A B", reason: "x") { position } }"#.into(),
        ),
        (
            "COORDINATOR",
            r#"mutation { amendAction(programmeId: "grigny", actionId: "p1", input: {title: ""}) { position } }"#.into(),
        ),
        // A text too long.
        (
            "COORDINATOR",
            format!(
                r#"mutation {{ amendAction(programmeId: "grigny", actionId: "p1", input: {{title: "{}"}}) {{ position }} }}"#,
                "t".repeat(10_000)
            ),
        ),
        // A period that ends before it starts.
        (
            "COORDINATOR",
            r#"mutation { changePeriod(programmeId: "grigny", actionId: "s1", periodStart: "2025-06-01", periodEnd: "2025-05-01", reason: "x") { position } }"#.into(),
        ),
        // An effectiveOn that contradicts the date the command names.
        (
            "COORDINATOR",
            r#"mutation { recordPayment(programmeId: "grigny", actionId: "f1", funderId: "etat", amount: 100, kind: ADVANCE, paidOn: "2025-04-01", options: {effectiveOn: "2025-04-02"}) { position } }"#.into(),
        ),
        // The same action twice in one COPIL call; expectedVersion on the whole call.
        (
            "PILOT",
            decide(
                "copil-hiver",
                r#"{actionId: "p1", outcome: REJECTED}, {actionId: "p1", outcome: DEFERRED}"#,
            ),
        ),
        (
            "PILOT",
            r#"mutation { recordCopilDecisions(programmeId: "grigny", sessionId: "copil-hiver", decisions: [{actionId: "p1", outcome: REJECTED}], options: {expectedVersion: 1}) { position } }"#.into(),
        ),
        // Not GraphQL at all, or an unknown field.
        ("COORDINATOR", "mutation { recordPayment(".into()),
        (
            "COORDINATOR",
            r#"{ action(programmeId: "grigny", id: "p1") { colour } }"#.into(),
        ),
        // Negative figures where a count is asked.
        (
            "COORDINATOR",
            r#"{ reportsDue(programmeId: "grigny", withinDays: -1) { dueOn } }"#.into(),
        ),
        (
            "COORDINATOR",
            r#"{ actions(programmeId: "grigny", first: -1) { totalCount } }"#.into(),
        ),
        (
            "COORDINATOR",
            r#"{ actions(programmeId: "grigny", after: "pas un curseur") { totalCount } }"#.into(),
        ),
    ];
    let head = f.head();
    f.check_all(&cases, "VALIDATION", |_| None);
    // The same through variables: the values are checked as they are coerced.
    let query = "mutation($amount: Cents!, $kind: PaymentKind!, $on: Date!) { recordPayment(programmeId: \"grigny\",
        actionId: \"f1\", funderId: \"etat\", amount: $amount, kind: $kind, paidOn: $on) { position } }";
    for variables in [
        json!({"amount": -5, "kind": "ADVANCE", "on": "2025-04-01"}),
        json!({"amount": 100, "kind": "MAYBE", "on": "2025-04-01"}),
        json!({"amount": 100, "kind": "ADVANCE", "on": "2025-13-01"}),
        json!({"amount": "cent", "kind": "ADVANCE", "on": "2025-04-01"}),
    ] {
        let error = f.app.error(&f.coordinator, query, variables.clone());
        assert_eq!(
            error["extensions"]["code"], "VALIDATION",
            "{variables}: {error}"
        );
    }
    assert_eq!(f.head(), head);
}

#[test]
fn unknown_ids_are_not_found_and_write_nothing() {
    let f = fixture();
    let cases: Vec<(&str, String)> = vec![
        // An unknown axis, holder or funder in a proposal.
        (
            "COORDINATOR",
            propose("x1", 100_000, r#"{funderId: "etat", amount: 50000}"#)
                .replace("axis: \"A1\"", "axis: \"A9\""),
        ),
        (
            "COORDINATOR",
            propose("x1", 100_000, r#"{funderId: "etat", amount: 50000}"#)
                .replace("holderId: \"asso\"", "holderId: \"inconnu\""),
        ),
        (
            "COORDINATOR",
            propose("x1", 100_000, r#"{funderId: "region", amount: 50000}"#),
        ),
        // An unknown funder for an opinion, a decision, a revision, a grant, a payment, a
        // repayment, an envelope.
        (
            "COORDINATOR",
            r#"mutation { giveOpinion(programmeId: "grigny", actionId: "p1", sessionId: "cotech", opinion: FAVOURABLE, proposed: [{funderId: "region", amount: 100}]) { position } }"#.into(),
        ),
        (
            "PILOT",
            decide(
                "copil",
                r#"{actionId: "p1", outcome: RETAINED, retained: [{funderId: "region", amount: 100}]}"#,
            ),
        ),
        (
            "PILOT",
            r#"mutation { reviseDecision(programmeId: "grigny", actionId: "r1", sessionId: "copil", outcome: RETAINED,
                retained: [{funderId: "etat", amount: 3000000}, {funderId: "region", amount: 100}], reason: "x") { position } }"#.into(),
        ),
        ("COORDINATOR", grant("r1", "region", 100, "ARRETE")),
        (
            "COORDINATOR",
            r#"mutation { requestRepayment(programmeId: "grigny", actionId: "f1", funderId: "region", amount: 100, reason: "x") { position } }"#.into(),
        ),
        (
            "COORDINATOR",
            r#"mutation { recordRepayment(programmeId: "grigny", actionId: "f1", funderId: "region", amount: 100, receivedOn: "2025-04-01") { position } }"#.into(),
        ),
        (
            "COORDINATOR",
            r#"mutation { recordPayment(programmeId: "grigny", actionId: "f1", funderId: "region", amount: 100, kind: ADVANCE, paidOn: "2025-04-01") { position } }"#.into(),
        ),
        (
            "PILOT",
            r#"mutation { notifyEnvelope(programmeId: "grigny", input: {funderId: "region", year: 2025, amount: 100}) { position } }"#.into(),
        ),
        (
            "PILOT",
            r#"mutation { reviseEnvelope(programmeId: "grigny", funderId: "etat", year: 2026, amount: 100, reason: "x") { position } }"#.into(),
        ),
        // An unknown axis to retire; an unknown session; an unknown payment.
        (
            "PILOT",
            r#"mutation { retireAxis(programmeId: "grigny", code: "A9") { position } }"#.into(),
        ),
        (
            "COORDINATOR",
            r#"mutation { giveOpinion(programmeId: "grigny", actionId: "p1", sessionId: "nulle-part", opinion: RESERVED) { position } }"#.into(),
        ),
        ("PILOT", decide("nulle-part", r#"{actionId: "p1", outcome: REJECTED}"#)),
        (
            "COORDINATOR",
            r#"mutation { recordSessionHeld(programmeId: "grigny", sessionId: "nulle-part", present: []) { position } }"#.into(),
        ),
        (
            "COORDINATOR",
            r#"mutation { cancelPayment(programmeId: "grigny", actionId: "f1", paymentId: "v9", reason: "x") { position } }"#.into(),
        ),
        // An unknown action, partner.
        (
            "COORDINATOR",
            r#"mutation { withdrawAction(programmeId: "grigny", actionId: "inconnue", reason: "x") { position } }"#.into(),
        ),
        (
            "COORDINATOR",
            r#"mutation { partnerLeaves(programmeId: "grigny", partnerId: "inconnu", reason: "x") { position } }"#.into(),
        ),
        // Queries that need their programme.
        (
            "ADMIN",
            r#"{ budget(programmeId: "nulle-part", year: 2025) { year } }"#.into(),
        ),
    ];
    let head = f.head();
    f.check_all(&cases, "NOT_FOUND", |_| None);
    // A mutation on a programme that does not exist, by a token bound to it.
    let stranger = f
        .app
        .new_token(&f.admin, "PILOT", Some("nulle-part"), None, "Perdu");
    let error = f.app.error(
        &stranger,
        r#"mutation { defineAxis(programmeId: "nulle-part", input: {code: "A1", title: "T", objective: SCHOOL_ROLE}) { position } }"#,
        json!({}),
    );
    assert_eq!(error["extensions"]["code"], "NOT_FOUND", "{error}");
    assert_eq!(f.head(), head);
}

#[test]
fn queries_too_deep_too_complex_or_with_pages_above_five_hundred_are_limit() {
    let f = fixture();
    // Action → decision → session → agenda → decision → session … : 20 levels.
    let mut nested = String::from("id");
    for _ in 0..5 {
        nested = format!("decision {{ session {{ agenda {{ {nested} }} }} }}");
    }
    let deep = format!("{{ action(programmeId: \"grigny\", id: \"f1\") {{ {nested} }} }}");
    let error = f.app.error(&f.pilot, &deep, json!({}));
    assert_eq!(error["extensions"]["code"], "LIMIT", "{error}");
    let (_, body) = f.app.graphql(Some(&f.pilot), &deep, json!({}));
    assert!(body["data"].is_null(), "nothing runs: {body}");

    // Twenty thousand fields and more.
    let wide: String = (0..10_001)
        .map(|i| format!("f{i}: me {{ role }} "))
        .collect();
    let error = f.app.error(&f.pilot, &format!("{{ {wide} }}"), json!({}));
    assert_eq!(error["extensions"]["code"], "LIMIT", "{error}");

    for query in [
        r#"{ actions(programmeId: "grigny", first: 501) { totalCount } }"#,
        r#"{ timeline(programmeId: "grigny", first: 501) { edges { cursor } } }"#,
        r#"{ events(programmeId: "grigny", first: 501) { edges { cursor } } }"#,
    ] {
        let error = f.app.error(&f.pilot, query, json!({}));
        assert_eq!(error["extensions"]["code"], "LIMIT", "{query}: {error}");
    }
    // 500 is allowed.
    let data = f.app.ok(
        &f.pilot,
        r#"{ actions(programmeId: "grigny", first: 500) { totalCount } }"#,
        json!({}),
    );
    assert_eq!(data["actions"]["totalCount"], 5);
}

#[test]
fn a_moment_beyond_the_head_is_validation() {
    let f = fixture();
    let head = f.head();
    for as_of in [json!({"position": head + 1}), json!({"position": -1})] {
        let error = f.app.error(
            &f.pilot,
            "query($asOf: AsOf) { actions(programmeId: \"grigny\", asOf: $asOf) { totalCount } }",
            json!({"asOf": as_of}),
        );
        assert_eq!(
            error["extensions"]["code"], "VALIDATION",
            "{as_of}: {error}"
        );
    }
    // Exactly one field of an AsOf.
    let error = f.app.error(
        &f.pilot,
        "{ actions(programmeId: \"grigny\", asOf: {position: 1, effectiveOn: \"2025-01-01\"}) { totalCount } }",
        json!({}),
    );
    assert_eq!(error["extensions"]["code"], "VALIDATION", "{error}");
    // The head itself is fine.
    let data = f.app.ok(
        &f.pilot,
        "query($asOf: AsOf) { actions(programmeId: \"grigny\", asOf: $asOf) { totalCount } }",
        json!({"asOf": {"position": head}}),
    );
    assert_eq!(data["actions"]["totalCount"], 5);
}

/// Sends `query` with `variables` as `role`: a VALIDATION in French that names `expected`, and
/// nothing written.
fn refused_in_french(f: &Fixture, role: &str, query: &str, variables: Value, expected: &str) {
    let head = f.head();
    let (_, body) = f.app.graphql(Some(f.token(role)), query, variables);
    let error = &body["errors"][0];
    assert_eq!(
        error["extensions"]["code"],
        "VALIDATION",
        "{}: {}",
        short(query),
        short(&body.to_string())
    );
    let message = error["message"].as_str().unwrap_or_default();
    assert!(
        message.contains(expected) && !message.contains("Failed") && !message.contains("Invalid"),
        "{}: the message should name « {expected} » in French: {message}",
        short(query)
    );
    assert_eq!(f.head(), head, "{}: it wrote something", short(query));
}

/// Finding 8 of issue #10, each reproduction refused: dates outside the programme's years,
/// a labelling in the future, a title of invisible characters, a public twice, ten thousand QPV.
#[test]
fn inputs_outside_the_calendar_or_sense_are_refused_in_french_and_write_nothing() {
    let f = fixture();
    let proposal = |period_start: &str, period_end: &str| {
        propose("x6", 100_000, r#"{funderId: "etat", amount: 50000}"#)
            .replace("2025-01-06", period_start)
            .replace("2025-12-19", period_end)
    };
    // The Date scalar reads signed years (chrono's `%Y`): rule 19 refuses them, in French.
    refused_in_french(
        &f,
        "COORDINATOR",
        &proposal("-0001-01-01", "2025-12-19"),
        json!({}),
        "le 1er janvier -1 est hors de la plage acceptée",
    );
    refused_in_french(
        &f,
        "COORDINATOR",
        &proposal("2025-01-06", "+10000-01-01"),
        json!({}),
        "le 1er janvier 10000 est hors de la plage acceptée",
    );
    // No labelling: from 1 January 2019 to 31 December of the current year + 5.
    refused_in_french(
        &f,
        "COORDINATOR",
        &proposal("2018-12-31", "2025-12-19"),
        json!({}),
        "1er janvier 2019",
    );
    let schedule = |date: &str| {
        format!(
            r#"mutation {{ scheduleSession(programmeId: "grigny", input: {{id: "loin", body: COPIL, date: "{date}", title: "COPIL"}}) {{ position }} }}"#
        )
    };
    for date in ["0001-01-01", "9999-12-31"] {
        refused_in_french(
            &f,
            "COORDINATOR",
            &schedule(date),
            json!({}),
            "Date de la séance",
        );
    }
    refused_in_french(
        &f,
        "ADMIN",
        r#"mutation { establishProgramme(input: {id: "clichy", name: "Cité éducative de Clichy",
            territory: ["Clichy"], qpv: ["Bois"], labelledOn: "2099-01-01"}) { position } }"#,
        json!({}),
        "Date de labellisation",
    );
    refused_in_french(
        &f,
        "COORDINATOR",
        "mutation($t: String!) { amendAction(programmeId: \"grigny\", actionId: \"p1\", input: {title: $t}) { position } }",
        json!({"t": "\u{200B}\u{200C}\u{200D}\u{2060}\u{FEFF} "}),
        "ne peut pas être vide",
    );
    refused_in_french(
        &f,
        "COORDINATOR",
        &propose("x7", 100_000, r#"{funderId: "etat", amount: 50000}"#).replace(
            "publics: [CHILDREN]",
            "publics: [CHILDREN, PARENTS, CHILDREN]",
        ),
        json!({}),
        "figure deux fois",
    );
    let qpv: Vec<String> = (0..10_000).map(|i| format!("QPV {i}")).collect();
    refused_in_french(
        &f,
        "COORDINATOR",
        "mutation($q: [String!]!) { amendAction(programmeId: \"grigny\", actionId: \"p1\", input: {qpv: $q}) { position } }",
        json!({"q": qpv}),
        "50 au plus",
    );
    let refs: Vec<String> = (0..10_000).map(|i| format!("DAUPHIN-{i}")).collect();
    refused_in_french(
        &f,
        "COORDINATOR",
        "mutation($r: [String!]!) { proposeAction(programmeId: \"grigny\", input: {id: \"x8\", title: \"Action\", summary: \"Résumé.\",
            holderId: \"asso\", axis: \"A1\", publics: [CHILDREN], periodStart: \"2025-01-06\", periodEnd: \"2025-12-19\",
            year: 2025, totalCost: 100000, requested: [{funderId: \"etat\", amount: 50000}], externalRefs: $r}) { position } }",
        json!({"r": refs}),
        "20 au plus",
    );
}

#[test]
fn a_generated_reference_skips_a_custom_one_already_used() {
    let f = fixture();
    // Five actions of 2025 (2025-001 to 2025-005) and a sixth with the reference 2025-007
    // given by hand: the seventh would be 2025-007, which is taken.
    let custom = propose("x9", 100_000, r#"{funderId: "etat", amount: 50000}"#).replace(
        "title: \"Action\"",
        "reference: \"2025-007\", title: \"Action\"",
    );
    f.app.ok(&f.coordinator, &custom, json!({}));
    f.app.ok(
        &f.coordinator,
        &propose("x10", 100_000, r#"{funderId: "etat", amount: 50000}"#),
        json!({}),
    );
    let data = f.app.ok(
        &f.pilot,
        "{ x9: action(programmeId: \"grigny\", id: \"x9\") { reference } x10: action(programmeId: \"grigny\", id: \"x10\") { reference } }",
        json!({}),
    );
    assert_eq!(data["x9"]["reference"], "2025-007");
    assert_eq!(data["x10"]["reference"], "2025-008");
}
