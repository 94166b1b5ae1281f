//! Permissions over HTTP, on the real binary: DOMAIN.md's table of who may give which command
//! (every mutation, every role it does not list: FORBIDDEN, nothing written), a porteur on
//! another partner's action, a token of one programme on another, revoked tokens; and the
//! reading rules: what an observer, or the porteur of another partner, sees.

mod common;

use common::*;
use serde_json::{Value, json};

const P: &str = "grigny";

const ROLES: [&str; 6] = [
    "ADMIN",
    "PILOT",
    "COORDINATOR",
    "PORTEUR",
    "EVALUATOR",
    "OBSERVER",
];

struct Fixture {
    _dir: tempfile::TempDir,
    app: TestApp,
    admin: String,
    pilot: String,
    coordinator: String,
    /// PORTEUR of `asso`, the holder of a1; `autre` holds a2 and a3.
    porteur: String,
    evaluator: String,
    observer: String,
}

impl Fixture {
    fn token(&self, role: &str) -> &str {
        match role {
            "ADMIN" => &self.admin,
            "PILOT" => &self.pilot,
            "COORDINATOR" => &self.coordinator,
            "PORTEUR" => &self.porteur,
            "EVALUATOR" => &self.evaluator,
            "OBSERVER" => &self.observer,
            other => panic!("no role {other}"),
        }
    }

    fn ok(&self, role: &str, query: &str, variables: Value) -> Value {
        self.app.ok(self.token(role), query, variables)
    }

    fn head(&self) -> u64 {
        self.app.head(&self.admin)
    }
}

fn line(funder: &str, amount: i64) -> Value {
    json!({"funderId": funder, "amount": amount})
}

/// A programme with three actions, each role's token:
/// - a1 (asso): favourable, retained (10 000 €), granted, 2 000 € paid, started, an interim
///   report with a cell of 6 parents;
/// - a2 (autre): reserved opinion, under review;
/// - a3 (autre): favourable, retained (8 000 €), granted, started, an interim report with a
///   cell of 3 girls.
fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let admin = create_token(dir.path(), "ADMIN", None, None);
    let app = spawn_app(dir.path());
    let token =
        |role: &str, partner: Option<&str>| app.new_token(&admin, role, Some(P), partner, role);
    let f = Fixture {
        pilot: token("PILOT", None),
        coordinator: token("COORDINATOR", None),
        porteur: token("PORTEUR", Some("asso")),
        evaluator: token("EVALUATOR", None),
        observer: token("OBSERVER", None),
        _dir: dir,
        app,
        admin,
    };
    f.ok(
        "ADMIN",
        r#"mutation { establishProgramme(input: {id: "grigny", name: "Cité éducative de Grigny",
            territory: ["Grigny"], qpv: ["Grande Borne"]}, options: {effectiveOn: "2025-01-02"}) { position } }"#,
        json!({}),
    );
    for query in [
        r#"mutation { defineAxis(programmeId: "grigny", input: {code: "A1", title: "Réussite éducative", objective: SCHOOL_ROLE}, options: {effectiveOn: "2025-01-02"}) { position } }"#,
        r#"mutation { registerFunder(programmeId: "grigny", input: {id: "etat", name: "État", kind: STATE}, options: {effectiveOn: "2025-01-02"}) { position } }"#,
        r#"mutation { notifyEnvelope(programmeId: "grigny", input: {funderId: "etat", year: 2025, amount: 10000000}, options: {effectiveOn: "2025-01-02"}) { position } }"#,
    ] {
        f.ok("PILOT", query, json!({}));
    }
    for query in [
        r#"mutation { registerPartner(programmeId: "grigny", input: {id: "asso", name: "Association Lire", kind: ASSOCIATION}, options: {effectiveOn: "2025-01-02"}) { position } }"#,
        r#"mutation { registerPartner(programmeId: "grigny", input: {id: "autre", name: "Club Autre", kind: SPORT}, options: {effectiveOn: "2025-01-02"}) { position } }"#,
        r#"mutation { scheduleSession(programmeId: "grigny", input: {id: "cotech", body: COTECH, date: "2025-02-01", title: "COTECH"}, options: {effectiveOn: "2025-01-02"}) { position } }"#,
        r#"mutation { scheduleSession(programmeId: "grigny", input: {id: "copil", body: COPIL, date: "2025-03-01", title: "COPIL"}, options: {effectiveOn: "2025-01-02"}) { position } }"#,
        r#"mutation { recordSessionHeld(programmeId: "grigny", sessionId: "cotech", present: ["Ville"], options: {effectiveOn: "2025-02-01"}) { position } }"#,
        r#"mutation { recordSessionHeld(programmeId: "grigny", sessionId: "copil", present: ["Préfecture"], options: {effectiveOn: "2025-03-01"}) { position } }"#,
    ] {
        f.ok("COORDINATOR", query, json!({}));
    }
    let propose = "mutation($id: ID!, $holder: ID!, $cost: Cents!, $amount: Cents!) {
        proposeAction(programmeId: \"grigny\", input: {id: $id, title: \"Action\", summary: \"Résumé.\",
            holderId: $holder, axis: \"A1\", publics: [CHILDREN], periodStart: \"2025-01-06\",
            periodEnd: \"2025-12-19\", year: 2025, totalCost: $cost,
            requested: [{funderId: \"etat\", amount: $amount}]}, options: {effectiveOn: \"2025-01-10\"}) { position } }";
    f.ok(
        "PORTEUR",
        propose,
        json!({"id": "a1", "holder": "asso", "cost": 2_000_000, "amount": 1_000_000}),
    );
    f.ok(
        "COORDINATOR",
        propose,
        json!({"id": "a2", "holder": "autre", "cost": 1_000_000, "amount": 500_000}),
    );
    f.ok(
        "COORDINATOR",
        propose,
        json!({"id": "a3", "holder": "autre", "cost": 1_000_000, "amount": 800_000}),
    );
    let opinion = "mutation($a: ID!, $opinion: Opinion!, $amount: Cents!, $comment: String) {
        giveOpinion(programmeId: \"grigny\", actionId: $a, sessionId: \"cotech\", opinion: $opinion,
            proposed: [{funderId: \"etat\", amount: $amount}], comment: $comment) { position } }";
    f.ok(
        "COORDINATOR",
        opinion,
        json!({"a": "a1", "opinion": "FAVOURABLE", "amount": 1_000_000}),
    );
    f.ok(
        "COORDINATOR",
        opinion,
        json!({"a": "a2", "opinion": "RESERVED", "amount": 300_000, "comment": "Budget fragile"}),
    );
    f.ok(
        "COORDINATOR",
        opinion,
        json!({"a": "a3", "opinion": "FAVOURABLE", "amount": 800_000, "comment": "Très bon dossier"}),
    );
    f.ok(
        "PILOT",
        "mutation($d: [CopilDecisionInput!]!) { recordCopilDecisions(programmeId: \"grigny\", sessionId: \"copil\", decisions: $d) { position } }",
        json!({"d": [
            {"actionId": "a1", "outcome": "RETAINED", "retained": [line("etat", 1_000_000)]},
            {"actionId": "a3", "outcome": "RETAINED", "retained": [line("etat", 800_000)]},
        ]}),
    );
    for (a, amount) in [("a1", 1_000_000), ("a3", 800_000)] {
        f.ok(
            "COORDINATOR",
            "mutation($a: ID!, $amount: Cents!) { awardGrant(programmeId: \"grigny\", actionId: $a, funderId: \"etat\",
                year: 2025, amount: $amount, act: {kind: ARRETE, reference: \"2025-1\", signedOn: \"2025-03-10\"}) { position } }",
            json!({"a": a, "amount": amount}),
        );
    }
    f.ok(
        "COORDINATOR",
        r#"mutation { recordPayment(programmeId: "grigny", actionId: "a1", funderId: "etat", amount: 200000, kind: ADVANCE, paidOn: "2025-03-15") { position } }"#,
        json!({}),
    );
    let start = "mutation($a: ID!) { startAction(programmeId: \"grigny\", actionId: $a, startedOn: \"2025-03-20\") { position } }";
    f.ok("PORTEUR", start, json!({"a": "a1"}));
    f.ok("COORDINATOR", start, json!({"a": "a3"}));
    let report = "mutation($a: ID!, $cells: [BeneficiaryInput!]!) { submitReport(programmeId: \"grigny\", actionId: $a,
        kind: INTERIM, spent: 300000, summary: \"Mi-parcours.\", beneficiaries: $cells, options: {effectiveOn: \"2025-04-01\"}) { position } }";
    let cell = |public: &str, age: &str, sex: &str, count: i64| json!({"public": public, "ageBand": age, "sex": sex, "qpvResident": true, "count": count});
    f.ok(
        "PORTEUR",
        report,
        json!({"a": "a1", "cells": [cell("CHILDREN", "AGE_6_10", "FEMALE", 14), cell("PARENTS", "ADULT", "FEMALE", 6)]}),
    );
    f.ok(
        "COORDINATOR",
        report,
        json!({"a": "a3", "cells": [cell("CHILDREN", "AGE_11_14", "MALE", 12), cell("CHILDREN", "AGE_11_14", "FEMALE", 3)]}),
    );
    f
}

/// Every mutation of the API, the roles DOMAIN.md's table allows (PORTEUR: on its own
/// partner's action, a1), and a call that is otherwise well formed and names things that
/// exist.
const TABLE: &[(&str, &[&str], &str)] = &[
    (
        "establishProgramme",
        &["ADMIN"],
        r#"mutation { establishProgramme(input: {id: "evry", name: "Évry", territory: ["Évry"], qpv: ["Pyramides"]}) { position } }"#,
    ),
    (
        "createToken",
        &["ADMIN"],
        r#"mutation { createToken(role: OBSERVER, programmeId: "grigny", name: "Public") { secret } }"#,
    ),
    (
        "revokeToken",
        &["ADMIN"],
        r#"mutation($token: ID!) { revokeToken(id: $token) { id } }"#,
    ),
    // People who sign in through the identity provider: outside the event log too.
    (
        "invitePerson",
        &["ADMIN", "PILOT"],
        r#"mutation { invitePerson(email: "claire@example.fr", role: OBSERVER, programmeId: "grigny") { id } }"#,
    ),
    (
        "eraseText",
        &["ADMIN", "PILOT"],
        r#"mutation { eraseText(programmeId: "grigny", position: 1, field: "summary", reason: "Essai") { position } }"#,
    ),
    (
        "eraseActorName",
        &["ADMIN", "PILOT"],
        r#"mutation { eraseActorName(programmeId: "grigny", actorId: "token:inconnu", reason: "Essai") { position } }"#,
    ),
    (
        "removeRole",
        &["ADMIN", "PILOT"],
        r#"mutation { removeRole(id: "p_inconnue", role: OBSERVER, programmeId: "grigny") { id } }"#,
    ),
    (
        "revokePerson",
        &["ADMIN", "PILOT"],
        r#"mutation { revokePerson(id: "p_inconnue") { id } }"#,
    ),
    (
        "defineAxis",
        &["PILOT"],
        r#"mutation { defineAxis(programmeId: "grigny", input: {code: "A9", title: "Sport", objective: WIDER_HORIZONS}) { position } }"#,
    ),
    (
        "retireAxis",
        &["PILOT"],
        r#"mutation { retireAxis(programmeId: "grigny", code: "A1") { position } }"#,
    ),
    (
        "registerFunder",
        &["PILOT"],
        r#"mutation { registerFunder(programmeId: "grigny", input: {id: "caf", name: "CAF", kind: CAF}) { position } }"#,
    ),
    (
        "notifyEnvelope",
        &["PILOT"],
        r#"mutation { notifyEnvelope(programmeId: "grigny", input: {funderId: "etat", year: 2026, amount: 100}) { position } }"#,
    ),
    (
        "reviseEnvelope",
        &["PILOT"],
        r#"mutation { reviseEnvelope(programmeId: "grigny", funderId: "etat", year: 2025, amount: 20000000, reason: "Rallonge") { position } }"#,
    ),
    (
        "changeBodyMembership",
        &["PILOT"],
        r#"mutation { changeBodyMembership(programmeId: "grigny", body: COPIL, organisations: ["Préfecture"]) { position } }"#,
    ),
    (
        "validateAnnualReview",
        &["PILOT"],
        r#"mutation { validateAnnualReview(programmeId: "grigny", year: 2024, sessionId: "copil") { position } }"#,
    ),
    (
        "changeTerritory",
        &["PILOT", "COORDINATOR"],
        r#"mutation { changeTerritory(programmeId: "grigny", communes: ["Grigny"], qpv: ["QN09101M"], reason: "Nouvelle carte") { position } }"#,
    ),
    (
        "writeReviewSection",
        &["PILOT", "COORDINATOR"],
        r#"mutation { writeReviewSection(programmeId: "grigny", year: 2025, section: GOVERNANCE, text: "Trois COPIL.") { position } }"#,
    ),
    (
        "registerPartner",
        &["PILOT", "COORDINATOR"],
        r#"mutation { registerPartner(programmeId: "grigny", input: {id: "neuf", name: "Nouveau", kind: OTHER}) { position } }"#,
    ),
    (
        "partnerLeaves",
        &["PILOT", "COORDINATOR"],
        r#"mutation { partnerLeaves(programmeId: "grigny", partnerId: "autre", reason: "Départ") { position } }"#,
    ),
    (
        "setPartnerLegalForm",
        &["PILOT", "COORDINATOR"],
        r#"mutation { setPartnerLegalForm(programmeId: "grigny", partnerId: "autre", legalForm: FOUNDATION, reason: "Statuts") { position } }"#,
    ),
    (
        "scheduleSession",
        &["PILOT", "COORDINATOR"],
        r#"mutation { scheduleSession(programmeId: "grigny", input: {id: "copil-2", body: COPIL, date: "2025-06-01", title: "COPIL"}) { position } }"#,
    ),
    (
        "recordSessionHeld",
        &["PILOT", "COORDINATOR"],
        r#"mutation { recordSessionHeld(programmeId: "grigny", sessionId: "copil", present: ["Ville"]) { position } }"#,
    ),
    (
        "cancelSession",
        &["PILOT", "COORDINATOR"],
        r#"mutation { cancelSession(programmeId: "grigny", sessionId: "cotech", reason: "Grève") { position } }"#,
    ),
    (
        "proposeAction",
        &["COORDINATOR", "PORTEUR"],
        r#"mutation { proposeAction(programmeId: "grigny", input: {id: "a9", title: "T", summary: "S", holderId: "asso",
            axis: "A1", publics: [CHILDREN], periodStart: "2025-01-06", periodEnd: "2025-06-30", year: 2025,
            totalCost: 1000, requested: [{funderId: "etat", amount: 500}]}) { position } }"#,
    ),
    (
        "amendAction",
        &["COORDINATOR", "PORTEUR"],
        r#"mutation { amendAction(programmeId: "grigny", actionId: "a1", input: {title: "Nouveau titre"}) { position } }"#,
    ),
    (
        "requestComplements",
        &["COORDINATOR"],
        r#"mutation { requestComplements(programmeId: "grigny", actionId: "a1", items: ["Budget"]) { position } }"#,
    ),
    (
        "provideComplements",
        &["COORDINATOR", "PORTEUR"],
        r#"mutation { provideComplements(programmeId: "grigny", actionId: "a1", note: "Voici") { position } }"#,
    ),
    (
        "withdrawAction",
        &["COORDINATOR", "PORTEUR"],
        r#"mutation { withdrawAction(programmeId: "grigny", actionId: "a1", reason: "Abandon") { position } }"#,
    ),
    (
        "giveOpinion",
        &["COORDINATOR"],
        r#"mutation { giveOpinion(programmeId: "grigny", actionId: "a1", sessionId: "cotech", opinion: FAVOURABLE) { position } }"#,
    ),
    (
        "recordCopilDecisions",
        &["PILOT", "COORDINATOR"],
        r#"mutation { recordCopilDecisions(programmeId: "grigny", sessionId: "copil", decisions: [{actionId: "a2", outcome: REJECTED}]) { position } }"#,
    ),
    (
        "reviseDecision",
        &["PILOT", "COORDINATOR"],
        r#"mutation { reviseDecision(programmeId: "grigny", actionId: "a1", sessionId: "copil", outcome: RETAINED,
            retained: [{funderId: "etat", amount: 1000000}], reason: "Erratum") { position } }"#,
    ),
    (
        "awardGrant",
        &["PILOT", "COORDINATOR"],
        r#"mutation { awardGrant(programmeId: "grigny", actionId: "a1", funderId: "etat", year: 2025, amount: 100,
            act: {kind: ARRETE, reference: "X", signedOn: "2025-03-10"}) { position } }"#,
    ),
    (
        "refuseGrant",
        &["PILOT", "COORDINATOR"],
        r#"mutation { refuseGrant(programmeId: "grigny", actionId: "a1", funderId: "etat", reason: "Non") { position } }"#,
    ),
    (
        "recordPayment",
        &["PILOT", "COORDINATOR"],
        r#"mutation { recordPayment(programmeId: "grigny", actionId: "a1", funderId: "etat", amount: 100, kind: INSTALMENT, paidOn: "2025-04-01") { position } }"#,
    ),
    (
        "cancelPayment",
        &["PILOT", "COORDINATOR"],
        r#"mutation { cancelPayment(programmeId: "grigny", actionId: "a1", paymentId: "v1", reason: "Erreur") { position } }"#,
    ),
    (
        "startAction",
        &["COORDINATOR", "PORTEUR"],
        r#"mutation { startAction(programmeId: "grigny", actionId: "a1", startedOn: "2025-03-21") { position } }"#,
    ),
    (
        "changePeriod",
        &["COORDINATOR", "PORTEUR"],
        r#"mutation { changePeriod(programmeId: "grigny", actionId: "a1", periodStart: "2025-02-01", periodEnd: "2025-12-31", reason: "Retard") { position } }"#,
    ),
    (
        "completeAction",
        &["COORDINATOR", "PORTEUR"],
        r#"mutation { completeAction(programmeId: "grigny", actionId: "a1", completedOn: "2025-06-30") { position } }"#,
    ),
    (
        "attestNonRealisation",
        &["COORDINATOR", "PORTEUR"],
        r#"mutation { attestNonRealisation(programmeId: "grigny", actionId: "a1", reason: "Annulée") { position } }"#,
    ),
    (
        "requestRepayment",
        &["PILOT", "COORDINATOR"],
        r#"mutation { requestRepayment(programmeId: "grigny", actionId: "a1", funderId: "etat", amount: 100, reason: "Trop perçu") { position } }"#,
    ),
    (
        "recordRepayment",
        &["PILOT", "COORDINATOR"],
        r#"mutation { recordRepayment(programmeId: "grigny", actionId: "a1", funderId: "etat", amount: 100, receivedOn: "2025-04-01") { position } }"#,
    ),
    (
        "submitReport",
        &["COORDINATOR", "PORTEUR"],
        r#"mutation { submitReport(programmeId: "grigny", actionId: "a1", kind: INTERIM, spent: 100, summary: "Point", beneficiaries: []) { position } }"#,
    ),
    (
        "measureIndicator",
        &["COORDINATOR", "PORTEUR"],
        r#"mutation { measureIndicator(programmeId: "grigny", actionId: "a1", code: "x", value: 1.0, measuredOn: "2025-04-01") { position } }"#,
    ),
    (
        "evaluateAction",
        &["EVALUATOR", "PILOT", "COORDINATOR"],
        r#"mutation { evaluateAction(programmeId: "grigny", actionId: "a1", rating: ACHIEVED, findings: "Bien", recommendation: RENEW) { position } }"#,
    ),
    (
        "extendReportDeadline",
        &["PILOT", "COORDINATOR"],
        r#"mutation { extendReportDeadline(programmeId: "grigny", actionId: "a1", dueOn: "2026-12-31", reason: "Année scolaire") { position } }"#,
    ),
    (
        "reviewFinalReport",
        &["PILOT", "COORDINATOR"],
        r#"mutation { reviewFinalReport(programmeId: "grigny", actionId: "a1", verdict: ACCEPTED) { position } }"#,
    ),
    (
        "amendGrant",
        &["PILOT", "COORDINATOR"],
        r#"mutation { amendGrant(programmeId: "grigny", actionId: "a1", grantId: "g1", amount: 900000, reference: "Avenant 1", reason: "Ajustement") { position } }"#,
    ),
    (
        "cancelRepaymentRequest",
        &["PILOT", "COORDINATOR"],
        r#"mutation { cancelRepaymentRequest(programmeId: "grigny", actionId: "a1", funderId: "etat", reason: "Remise") { position } }"#,
    ),
    (
        "correctReport",
        &["PILOT", "COORDINATOR"],
        r#"mutation { correctReport(programmeId: "grigny", actionId: "a1", reportIndex: 0, spent: 100, summary: "Corrigé", beneficiaries: [], reason: "Erreur") { position } }"#,
    ),
    (
        "correctAttendance",
        &["PILOT", "COORDINATOR"],
        r#"mutation { correctAttendance(programmeId: "grigny", sessionId: "copil", present: ["Préfecture"], reason: "Erreur") { position } }"#,
    ),
    (
        "closeAction",
        &["PILOT", "COORDINATOR"],
        r#"mutation { closeAction(programmeId: "grigny", actionId: "a1") { position } }"#,
    ),
];

/// The commands a porteur gives on its own partner's actions (DOMAIN.md's table).
const PORTEUR_COMMANDS: [&str; 10] = [
    "proposeAction",
    "amendAction",
    "provideComplements",
    "withdrawAction",
    "startAction",
    "changePeriod",
    "completeAction",
    "attestNonRealisation",
    "submitReport",
    "measureIndicator",
];

#[test]
fn the_table_names_every_mutation_of_the_schema() {
    let f = fixture();
    let data = f.ok(
        "ADMIN",
        "{ __type(name: \"Mutation\") { fields { name } } }",
        json!({}),
    );
    let mut schema: Vec<String> = pluck(&data["__type"]["fields"], "name")
        .iter()
        .map(|n| n.as_str().unwrap().to_owned())
        .collect();
    schema.sort();
    let mut table: Vec<String> = TABLE.iter().map(|(name, _, _)| name.to_string()).collect();
    table.sort();
    assert_eq!(table, schema);
}

#[test]
fn every_role_the_table_does_not_list_is_forbidden_and_writes_nothing() {
    let f = fixture();
    let tokens = f.ok("ADMIN", "{ tokens { id role } }", json!({}));
    let observer_token = tokens["tokens"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["role"] == "OBSERVER")
        .unwrap()["id"]
        .clone();
    let head = f.head();
    let mut refused = 0;
    for (mutation, allowed, query) in TABLE {
        for role in ROLES.iter().filter(|r| !allowed.contains(r)) {
            let error = f
                .app
                .error(f.token(role), query, json!({"token": observer_token}));
            assert_eq!(
                error["extensions"]["code"], "FORBIDDEN",
                "{role} on {mutation}: {error}"
            );
            assert!(
                !error["message"].as_str().unwrap().is_empty(),
                "a French message"
            );
            refused += 1;
        }
    }
    // 3 ADMIN rows × 5 roles, 7 PILOT rows × 5, 8 PILOT-or-COORDINATOR × 4,
    // 10 COORDINATOR-or-PORTEUR × 4, 2 COORDINATOR × 5, 2 PILOT-or-COORDINATOR (the COPIL's) × 4,
    // 13 PILOT-or-COORDINATOR × 4, 1 EVALUATOR-PILOT-or-COORDINATOR × 3, 5 ADMIN-or-PILOT
    // (people, erasures) × 4.
    assert_eq!(refused, 15 + 35 + 32 + 40 + 10 + 8 + 52 + 3 + 20);
    assert_eq!(f.head(), head, "no refusal wrote anything");
    // The observer's token was not revoked by the refusals.
    let (status, _) = f
        .app
        .graphql(Some(&f.observer), "{ me { role } }", json!({}));
    assert_eq!(status, 200);
}

#[test]
fn a_porteur_is_forbidden_on_another_partners_action() {
    let f = fixture();
    let head = f.head();
    for (mutation, _, query) in TABLE
        .iter()
        .filter(|(name, _, _)| PORTEUR_COMMANDS.contains(name))
    {
        // a3 is held by `autre`; the proposal names `autre` as its holder.
        let query = query
            .replace("actionId: \"a1\"", "actionId: \"a3\"")
            .replace("holderId: \"asso\"", "holderId: \"autre\"");
        let error = f.app.error(&f.porteur, &query, json!({}));
        assert_eq!(
            error["extensions"]["code"], "FORBIDDEN",
            "{mutation}: {error}"
        );
    }
    assert_eq!(f.head(), head);
    // Its own: allowed.
    f.ok(
        "PORTEUR",
        r#"mutation { changePeriod(programmeId: "grigny", actionId: "a1", periodStart: "2025-02-01", periodEnd: "2025-12-31", reason: "Retard") { position } }"#,
        json!({}),
    );
    assert_eq!(f.head(), head + 1);
}

#[test]
fn replaying_another_roles_command_id_is_still_forbidden() {
    let f = fixture();
    let pay = r#"mutation { recordPayment(programmeId: "grigny", actionId: "a1", funderId: "etat", amount: 100,
        kind: INSTALMENT, paidOn: "2025-04-01", options: {commandId: "versement-42"}) { position action { id } } }"#;
    f.ok("COORDINATOR", pay, json!({}));
    let head = f.head();
    for role in ["OBSERVER", "EVALUATOR", "PORTEUR", "ADMIN"] {
        let error = f.app.error(f.token(role), pay, json!({}));
        assert_eq!(error["extensions"]["code"], "FORBIDDEN", "{role}: {error}");
    }
    // Nor a coordinator of another programme.
    let stranger = f
        .app
        .new_token(&f.admin, "COORDINATOR", Some("evry"), None, "Évry");
    let error = f.app.error(&stranger, pay, json!({}));
    assert_eq!(error["extensions"]["code"], "FORBIDDEN", "{error}");
    assert_eq!(f.head(), head);
    // The same for a COPIL call.
    let decide = r#"mutation { recordCopilDecisions(programmeId: "grigny", sessionId: "copil",
        decisions: [{actionId: "a2", outcome: DEFERRED}], options: {commandId: "copil-1"}) { position } }"#;
    let first = f.ok("PILOT", decide, json!({}));
    let head = f.head();
    let error = f.app.error(f.token("EVALUATOR"), decide, json!({}));
    assert_eq!(error["extensions"]["code"], "FORBIDDEN", "{error}");
    // The pilot's own retry still gets its first result.
    assert_eq!(f.ok("PILOT", decide, json!({})), first);
    assert_eq!(f.head(), head);
}

#[test]
fn a_token_of_one_programme_is_forbidden_on_another() {
    let f = fixture();
    f.ok(
        "ADMIN",
        r#"mutation { establishProgramme(input: {id: "evry", name: "Évry", territory: ["Évry"], qpv: ["Pyramides"]}, options: {effectiveOn: "2025-01-02"}) { position } }"#,
        json!({}),
    );
    let head = f.head();
    for (role, query) in [
        (
            "PILOT",
            r#"mutation { defineAxis(programmeId: "evry", input: {code: "A1", title: "T", objective: SCHOOL_ROLE}) { position } }"#,
        ),
        (
            "COORDINATOR",
            r#"mutation { registerPartner(programmeId: "evry", input: {id: "asso", name: "Association Lire", kind: ASSOCIATION}) { position } }"#,
        ),
        (
            "EVALUATOR",
            r#"mutation { evaluateAction(programmeId: "evry", actionId: "a1", rating: ACHIEVED, findings: "Bien", recommendation: RENEW) { position } }"#,
        ),
    ] {
        let error = f.app.error(f.token(role), query, json!({}));
        assert_eq!(error["extensions"]["code"], "FORBIDDEN", "{role}: {error}");
    }
    assert_eq!(f.head(), head);
    for query in [
        r#"{ programme(id: "evry") { id } }"#,
        r#"{ action(programmeId: "evry", id: "a1") { id } }"#,
        r#"{ actions(programmeId: "evry") { totalCount } }"#,
        r#"{ sessions(programmeId: "evry") { id } }"#,
        r#"{ partners(programmeId: "evry") { id } }"#,
        r#"{ budget(programmeId: "evry", year: 2025) { year } }"#,
        r#"{ timeline(programmeId: "evry") { edges { cursor } } }"#,
        r#"{ reportsDue(programmeId: "evry") { dueOn } }"#,
        r#"{ events(programmeId: "evry") { edges { cursor } } }"#,
        r#"{ changes(programmeId: "evry", from: {position: 0}, to: {position: 1}) { toPosition } }"#,
    ] {
        let error = f.app.error(&f.pilot, query, json!({}));
        assert_eq!(error["extensions"]["code"], "FORBIDDEN", "{query}: {error}");
    }
    // The ADMIN reads every programme; a PILOT lists its own only.
    let data = f.ok("ADMIN", "{ programmes { id } }", json!({}));
    assert_eq!(
        data["programmes"],
        json!([{"id": "evry"}, {"id": "grigny"}])
    );
    let data = f.ok("PILOT", "{ programmes { id } }", json!({}));
    assert_eq!(data["programmes"], json!([{"id": "grigny"}]));
}

#[test]
fn a_token_revoked_by_the_cli_while_the_server_is_stopped_is_unauthenticated() {
    let dir = tempfile::tempdir().unwrap();
    let admin = create_token(dir.path(), "ADMIN", None, None);
    let pilot = create_token(dir.path(), "PILOT", Some(P), None);
    let observer = create_token(dir.path(), "OBSERVER", Some(P), None);
    let app = spawn_app(dir.path());
    let (status, _) = app.graphql(Some(&pilot), "{ me { role } }", json!({}));
    assert_eq!(status, 200);
    assert!(app.terminate().success());

    let dir_str = dir.path().to_str().unwrap();
    let list = stdout(&chronique(&["token", "list", "--data-dir", dir_str]));
    let id = list
        .lines()
        .find(|l| l.contains("PILOT"))
        .and_then(|l| l.split('\t').next())
        .unwrap_or_else(|| panic!("no PILOT token in {list}"))
        .to_owned();
    let output = chronique(&["token", "revoke", "--data-dir", dir_str, &id]);
    assert!(output.status.success(), "{}", stderr(&output));

    let app = spawn_app(dir.path());
    for query in [
        "{ me { role } }",
        "mutation { defineAxis(programmeId: \"grigny\", input: {code: \"A1\", title: \"T\", objective: SCHOOL_ROLE}) { position } }",
    ] {
        let (status, body) = app.graphql(Some(&pilot), query, json!({}));
        assert_eq!(status, 401, "{body}");
        assert_eq!(first_code(&body), "UNAUTHENTICATED");
    }
    // The other token still works.
    let data = app.ok(&observer, "{ me { role } }", json!({}));
    assert_eq!(data["me"]["role"], "OBSERVER");
    // The ADMIN sees it listed as revoked.
    let data = app.ok(&admin, "{ tokens { id role revoked } }", json!({}));
    let pilot_token = data["tokens"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == id.as_str())
        .unwrap_or_else(|| panic!("{id} not in {data}"));
    assert_eq!(pilot_token["role"], "PILOT");
    assert_eq!(pilot_token["revoked"], true);
}

// ------------------------------------------------------------------------------ reading rules

const ACTION: &str = "query($a: ID!) { action(programmeId: \"grigny\", id: $a) {
    id status opinions { opinion }
    money { funder { id } requested proposed retained granted paid toPay restricted }
    reports { beneficiaries { sex count hidden } }
    history { kind summary } } }";

fn kinds(history: &Value) -> Vec<String> {
    pluck(history, "kind")
        .iter()
        .map(|k| k.as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn an_observer_sees_retained_actions_without_opinions_requests_agendas_small_cells_or_the_log() {
    let f = fixture();
    let data = f.ok(
        "OBSERVER",
        "{ actions(programmeId: \"grigny\") { totalCount edges { node { id } } } }",
        json!({}),
    );
    assert_eq!(data["actions"]["totalCount"], 2);
    assert_eq!(
        pluck(&Value::from(nodes(&data["actions"])), "id"),
        ["a1", "a3"]
    );
    // a2 is under review: as if it did not exist.
    let data = f.ok("OBSERVER", ACTION, json!({"a": "a2"}));
    assert_eq!(data["action"], Value::Null);

    let data = f.ok("OBSERVER", ACTION, json!({"a": "a3"}));
    let a3 = &data["action"];
    assert_eq!(a3["opinions"], json!([]));
    assert_eq!(
        a3["money"],
        json!([{"funder": {"id": "etat"}, "requested": 0, "proposed": 0, "retained": 800_000,
                "granted": 800_000, "paid": 0, "toPay": 800_000, "restricted": true}])
    );
    // The cell of 3 girls is below 10: hidden; the 12 boys are shown.
    assert_eq!(
        a3["reports"],
        json!([{"beneficiaries": [{"sex": "MALE", "count": 12, "hidden": false},
                                  {"sex": "FEMALE", "count": null, "hidden": true}]}])
    );
    assert_eq!(
        kinds(&a3["history"]),
        [
            "ActionProposed",
            "CopilDecisionTaken",
            "GrantAwarded",
            "ActionStarted",
            "ReportSubmitted"
        ]
    );
    assert_eq!(
        a3["history"][0]["summary"],
        format!(
            "Proposition « Action » déposée par Club Autre pour un coût total de {}",
            eur("10 000,00")
        ),
        "no requested amount in the sentence"
    );

    // Budgets: lines and totals, requested amounts withheld.
    let data = f.ok(
        "OBSERVER",
        "{ budget(programmeId: \"grigny\", year: 2025) {
            total { envelope requested requestedHidden retained granted paid toPay consumptionPermille } } }",
        json!({}),
    );
    assert_eq!(
        data["budget"]["total"],
        json!({"envelope": 10_000_000, "requested": 0, "requestedHidden": true, "retained": 1_800_000,
               "granted": 1_800_000, "paid": 200_000, "toPay": 1_600_000, "consumptionPermille": 180})
    );
    let data = f.ok(
        "PILOT",
        "{ budget(programmeId: \"grigny\", year: 2025) { total { requested requestedHidden } } }",
        json!({}),
    );
    assert_eq!(
        data["budget"]["total"],
        json!({"requested": 2_300_000, "requestedHidden": false})
    );

    // No agenda, no opinions in the relevés; the decisions of retained actions.
    let data = f.ok(
        "OBSERVER",
        "{ sessions(programmeId: \"grigny\") { id agenda { id } agendaHidden decisions { action { id } outcome opinion } } }",
        json!({}),
    );
    assert_eq!(
        data["sessions"],
        json!([
            {"id": "cotech", "agenda": [], "agendaHidden": true, "decisions": []},
            {"id": "copil", "agenda": [], "agendaHidden": true, "decisions": [
                {"action": {"id": "a1"}, "outcome": "RETAINED", "opinion": null},
                {"action": {"id": "a3"}, "outcome": "RETAINED", "opinion": null}]},
        ])
    );

    // The timeline leaves out opinions and the actions not retained.
    let data = f.ok(
        "OBSERVER",
        "{ timeline(programmeId: \"grigny\", first: 500) { edges { node { kind actionId } } } }",
        json!({}),
    );
    let entries = nodes(&data["timeline"]);
    assert!(entries.iter().all(|e| e["kind"] != "OpinionGiven"));
    assert!(entries.iter().all(|e| e["actionId"] != "a2"));
    let pilot = f.ok(
        "PILOT",
        "{ timeline(programmeId: \"grigny\", first: 500) { edges { node { kind actionId } } } }",
        json!({}),
    );
    // Three opinions and a2's proposal are the pilot's only.
    assert_eq!(nodes(&pilot["timeline"]).len(), entries.len() + 4);

    // Never the raw log.
    let error = f.app.error(
        &f.observer,
        "{ events(programmeId: \"grigny\") { edges { cursor } } }",
        json!({}),
    );
    assert_eq!(error["extensions"]["code"], "FORBIDDEN");
}

#[test]
fn a_porteur_sees_its_own_action_in_full_and_another_partners_as_an_observer() {
    let f = fixture();
    let data = f.ok("PORTEUR", ACTION, json!({"a": "a1"}));
    let a1 = &data["action"];
    assert_eq!(a1["opinions"], json!([{"opinion": "FAVOURABLE"}]));
    assert_eq!(a1["money"][0]["requested"], 1_000_000);
    assert_eq!(a1["money"][0]["restricted"], false);
    assert_eq!(
        a1["reports"],
        json!([{"beneficiaries": [{"sex": "FEMALE", "count": 14, "hidden": false},
                                  {"sex": "FEMALE", "count": 6, "hidden": false}]}])
    );
    assert!(kinds(&a1["history"]).contains(&"OpinionGiven".to_owned()));

    // a3 belongs to `autre`: seen as an observer sees it.
    let data = f.ok("PORTEUR", ACTION, json!({"a": "a3"}));
    let a3 = &data["action"];
    assert_eq!(a3["opinions"], json!([]));
    assert_eq!(a3["money"][0]["requested"], 0);
    assert_eq!(a3["money"][0]["restricted"], true);
    assert_eq!(a3["reports"][0]["beneficiaries"][1]["hidden"], true);
    assert!(!kinds(&a3["history"]).contains(&"OpinionGiven".to_owned()));
    // a2, under review, is not its own: invisible.
    let data = f.ok("PORTEUR", ACTION, json!({"a": "a2"}));
    assert_eq!(data["action"], Value::Null);

    // The relevé of the COTECH: its own action's opinion only; its agenda likewise.
    let data = f.ok(
        "PORTEUR",
        "{ session(programmeId: \"grigny\", id: \"cotech\") { agenda { id } agendaHidden decisions { action { id } opinion } } }",
        json!({}),
    );
    assert_eq!(
        data["session"],
        json!({"agenda": [{"id": "a1"}], "agendaHidden": true,
               "decisions": [{"action": {"id": "a1"}, "opinion": "FAVOURABLE"}]})
    );
    let error = f.app.error(
        &f.porteur,
        "{ events(programmeId: \"grigny\") { edges { cursor } } }",
        json!({}),
    );
    assert_eq!(error["extensions"]["code"], "FORBIDDEN");
}

// ------------------------------------------------------------- actions a token may not read

/// An error with every mention of `id` replaced by « ID », to compare two answers.
fn without_id(error: &Value, id: &str) -> String {
    error
        .to_string()
        .replace(&format!("\"{id}\""), "ID")
        .replace(&format!("« {id} »"), "« ID »")
        .replace(id, "ID")
}

#[test]
fn an_action_a_token_may_not_read_answers_as_an_unknown_id() {
    let f = fixture();
    let head = f.head();
    // a2 (held by `autre`) is under review: neither the porteur of `asso` nor an observer may
    // read it. `zz` does not exist.
    for role in ["PORTEUR", "OBSERVER"] {
        for (mutation, _, query) in TABLE
            .iter()
            .filter(|(_, _, query)| query.contains("actionId: \"a1\""))
        {
            let answer = |id: &str| {
                f.app.error(
                    f.token(role),
                    &query.replace("\"a1\"", &format!("\"{id}\"")),
                    json!({}),
                )
            };
            let (hidden, unknown) = (answer("a2"), answer("zz"));
            assert_eq!(
                without_id(&hidden, "a2"),
                without_id(&unknown, "zz"),
                "{role} on {mutation}"
            );
            let message = hidden["message"].as_str().unwrap();
            assert!(
                !message.contains("autre"),
                "{role} on {mutation}: {message}"
            );
            if role == "PORTEUR" && PORTEUR_COMMANDS.contains(mutation) {
                assert_eq!(
                    hidden["extensions"]["code"], "NOT_FOUND",
                    "{mutation}: {hidden}"
                );
            }
        }
        // With a version pinned: the same CONFLICT as an unknown id (version 0), not a2's.
        let amend = |id: &str| {
            f.app.error(
                f.token(role),
                &format!(
                    r#"mutation {{ amendAction(programmeId: "grigny", actionId: "{id}", input: {{title: "T"}},
                        options: {{expectedVersion: 1}}) {{ position }} }}"#
                ),
                json!({}),
            )
        };
        assert_eq!(
            without_id(&amend("a2"), "a2"),
            without_id(&amend("zz"), "zz"),
            "{role}"
        );
        // Reading: the same null, the same empty timeline.
        for query in [
            "query($a: ID!) { action(programmeId: \"grigny\", id: $a) { id holder { id } } }",
            "query($a: ID!) { action(programmeId: \"grigny\", id: $a, asOf: {position: 12}) { id } }",
            "query($a: ID!) { timeline(programmeId: \"grigny\", filter: {actionId: $a}) { edges { node { summary } } } }",
        ] {
            let (_, hidden) = f
                .app
                .graphql(Some(f.token(role)), query, json!({"a": "a2"}));
            let (_, unknown) = f
                .app
                .graphql(Some(f.token(role)), query, json!({"a": "zz"}));
            assert_eq!(
                without_id(&hidden, "a2"),
                without_id(&unknown, "zz"),
                "{role}: {query}"
            );
        }
    }
    assert_eq!(f.head(), head, "nothing was written");
    // a3 is retained: the porteur reads it, so being refused is no secret (FORBIDDEN).
    let error = f.app.error(
        &f.porteur,
        r#"mutation { amendAction(programmeId: "grigny", actionId: "a3", input: {title: "T"}) { position } }"#,
        json!({}),
    );
    assert_eq!(error["extensions"]["code"], "FORBIDDEN", "{error}");
}

fn strings(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap_or_else(|| panic!("not a list: {list}"))
        .iter()
        .map(|s| s.as_str().unwrap().to_owned())
        .collect()
}

/// `availableCommands` over HTTP: what each role may give on an action in progress, at a held
/// COPIL and on the programme, as the page asks for it; nothing at a past bound; and every
/// command offered is one the role's permissions allow.
#[test]
fn each_role_is_offered_the_commands_it_may_give_now() {
    let f = fixture();
    let query = r#"query { programme(id: "grigny") { availableCommands }
        action(programmeId: "grigny", id: "a1") { status availableCommands availableReportKinds }
        session(programmeId: "grigny", id: "copil") { availableCommands } }"#;
    let offers = |role: &str| {
        let data = f.ok(role, query, json!({}));
        (
            strings(&data["programme"]["availableCommands"]),
            strings(&data["action"]["availableCommands"]),
            strings(&data["session"]["availableCommands"]),
            data["action"]["availableReportKinds"].clone(),
        )
    };
    let (programme, action, session, reports) = offers("COORDINATOR");
    assert_eq!(
        f.ok("COORDINATOR", query, json!({}))["action"]["status"],
        "IN_PROGRESS"
    );
    for command in [
        "recordPayment",
        "completeAction",
        "changePeriod",
        "attestNonRealisation",
        "extendReportDeadline",
    ] {
        assert!(
            action.contains(&command.to_owned()),
            "COORDINATOR: {action:?}"
        );
    }
    for command in [
        "evaluateAction",
        "closeAction",
        "startAction",
        "requestComplements",
    ] {
        assert!(
            !action.contains(&command.to_owned()),
            "COORDINATOR: {command} in {action:?}"
        );
    }
    assert_eq!(reports, json!(["INTERIM"]));
    assert!(
        session.contains(&"correctAttendance".to_owned()),
        "{session:?}"
    );
    assert!(
        !session.contains(&"recordSessionHeld".to_owned()),
        "{session:?}"
    );
    assert!(
        programme.contains(&"proposeAction".to_owned()),
        "{programme:?}"
    );
    assert!(
        !programme.contains(&"defineAxis".to_owned()),
        "{programme:?}"
    );

    let (programme, action, session, _) = offers("PILOT");
    assert!(
        action.contains(&"awardGrant".to_owned()),
        "PILOT: {action:?}"
    );
    assert!(
        session.contains(&"recordCopilDecisions".to_owned()),
        "PILOT: {session:?}"
    );
    assert!(
        programme.contains(&"defineAxis".to_owned()),
        "PILOT: {programme:?}"
    );

    let (programme, action, session, _) = offers("OBSERVER");
    assert_eq!((programme.len(), action.len(), session.len()), (0, 0, 0));
    let (programme, action, session, _) = offers("EVALUATOR");
    assert!(
        programme.is_empty() && session.is_empty() && action.is_empty(),
        "EVALUATOR: {action:?}"
    );
    let (programme, action, _, _) = offers("PORTEUR");
    assert!(programme.contains(&"proposeAction".to_owned()));
    assert!(
        action.contains(&"submitReport".to_owned())
            && !action.contains(&"recordPayment".to_owned()),
        "PORTEUR: {action:?}"
    );
    // Another partner's action, which the porteur reads as an observer: nothing.
    let other = f.ok(
        "PORTEUR",
        r#"query { action(programmeId: "grigny", id: "a3") { availableCommands } }"#,
        json!({}),
    );
    assert_eq!(other["action"]["availableCommands"], json!([]));

    // Every offer is allowed by the table of permissions, for every role.
    for role in ROLES {
        let (programme, action, session, _) = offers(role);
        for command in programme.iter().chain(&action).chain(&session) {
            let (_, roles, _) = TABLE
                .iter()
                .find(|(name, _, _)| name == command)
                .unwrap_or_else(|| panic!("{command} is not in the table"));
            let porteur = role == "PORTEUR" && PORTEUR_COMMANDS.contains(&command.as_str());
            assert!(
                roles.contains(&role) || porteur,
                "{role} is offered {command}, which the table does not give it"
            );
        }
    }

    // At a past bound nothing can be given.
    let past = f.ok(
        "COORDINATOR",
        r#"query { programme(id: "grigny", asOf: {effectiveOn: "2025-02-15"}) { availableCommands }
            action(programmeId: "grigny", id: "a1", asOf: {effectiveOn: "2025-02-15"}) { availableCommands }
            session(programmeId: "grigny", id: "copil", asOf: {effectiveOn: "2025-02-15"}) { availableCommands } }"#,
        json!({}),
    );
    assert_eq!(past["programme"]["availableCommands"], json!([]));
    assert_eq!(past["action"]["availableCommands"], json!([]));
    assert_eq!(past["session"]["availableCommands"], json!([]));
}
