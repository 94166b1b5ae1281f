//! The domain fitted to the field (issue #12), over HTTP on the real binary: partners' legal
//! forms and RNA numbers, funders' payers, the convention rule added up per funder, partner
//! and year, versions of partners and sessions, and warnings on every payload.

mod common;

use common::*;
use serde_json::{Value, json};

const P: &str = "grigny";

struct Fixture {
    _dir: tempfile::TempDir,
    app: TestApp,
    pilot: String,
    coordinator: String,
    porteur: String,
}

fn line(funder: &str, amount: i64) -> Value {
    json!({"funderId": funder, "amount": amount})
}

const PROPOSE: &str = "mutation($id: ID!, $holder: ID!, $requested: [MoneyLineInput!]!) {
    proposeAction(programmeId: \"grigny\", input: {id: $id, title: \"Action\", summary: \"Résumé.\",
        holderId: $holder, axis: \"A1\", publics: [CHILDREN], periodStart: \"2025-01-06\",
        periodEnd: \"2025-12-19\", year: 2025, totalCost: 10000000, requested: $requested},
        options: {effectiveOn: \"2025-01-10\"}) { position } }";

const GRANT: &str = "mutation($a: ID!, $amount: Cents!, $kind: ActKind!) {
    awardGrant(programmeId: \"grigny\", actionId: $a, funderId: \"etat\", year: 2025,
        amount: $amount, act: {kind: $kind, reference: \"Acte\", signedOn: \"2025-03-10\"}) {
        position warnings action { status grants { amount actKind } } } }";

/// Programme `grigny` with the State (envelope 200 000 €) and the Ville; the association
/// `asso` (its RNA number given), the collège `college` (an EPLE) and `mairie` registered
/// without a legal form; a COPIL held on 1 March 2025 that retained a1 and a2 (asso, 20 000 €
/// and 15 000 € of the State) and c1 (college, 30 000 €).
fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let admin = create_token(dir.path(), "ADMIN", None, None);
    let app = spawn_app(dir.path());
    let pilot = app.new_token(&admin, "PILOT", Some(P), None, "Pilote");
    let coordinator = app.new_token(&admin, "COORDINATOR", Some(P), None, "Coordination");
    app.ok(
        &admin,
        r#"mutation { establishProgramme(input: {id: "grigny", name: "Cité éducative de Grigny",
            territory: ["Grigny"], qpv: ["Grande Borne"]}, options: {effectiveOn: "2025-01-02"}) { position } }"#,
        json!({}),
    );
    for query in [
        r#"mutation { defineAxis(programmeId: "grigny", input: {code: "A1", title: "Réussite", objective: SCHOOL_ROLE}, options: {effectiveOn: "2025-01-02"}) { position } }"#,
        r#"mutation { registerFunder(programmeId: "grigny", input: {id: "etat", name: "État", kind: STATE}, options: {effectiveOn: "2025-01-02"}) { position warnings } }"#,
        r#"mutation { registerFunder(programmeId: "grigny", input: {id: "ville", name: "Ville", kind: MUNICIPALITY}, options: {effectiveOn: "2025-01-02"}) { position } }"#,
        r#"mutation { registerFunder(programmeId: "grigny", input: {id: "fonds", name: "Fonds de la cité", kind: FONDS_DE_LA_CITE}, options: {effectiveOn: "2025-01-02"}) { position } }"#,
        r#"mutation { registerFunder(programmeId: "grigny", input: {id: "bailleur", name: "Bailleur", kind: HOUSING, payer: OTHER}, options: {effectiveOn: "2025-01-02"}) { position } }"#,
        r#"mutation { notifyEnvelope(programmeId: "grigny", input: {funderId: "etat", year: 2025, amount: 20000000}, options: {effectiveOn: "2025-01-02"}) { position } }"#,
    ] {
        app.ok(&pilot, query, json!({}));
    }
    for query in [
        r#"mutation { registerPartner(programmeId: "grigny", input: {id: "asso", name: "Association Lire", kind: ASSOCIATION, legalForm: ASSOCIATION, rna: "w913001234"}, options: {effectiveOn: "2025-01-02"}) { position } }"#,
        r#"mutation { registerPartner(programmeId: "grigny", input: {id: "college", name: "Collège Dolto", kind: COLLEGE, legalForm: EPLE}, options: {effectiveOn: "2025-01-02"}) { position } }"#,
        r#"mutation { registerPartner(programmeId: "grigny", input: {id: "mairie", name: "Service jeunesse", kind: MUNICIPAL_SERVICE}, options: {effectiveOn: "2025-01-02"}) { position } }"#,
        r#"mutation { scheduleSession(programmeId: "grigny", input: {id: "copil", body: COPIL, date: "2025-03-01", title: "COPIL"}, options: {effectiveOn: "2025-01-02"}) { position } }"#,
        r#"mutation { recordSessionHeld(programmeId: "grigny", sessionId: "copil", present: ["Préfecture"], options: {effectiveOn: "2025-03-01"}) { position } }"#,
    ] {
        app.ok(&coordinator, query, json!({}));
    }
    for (id, holder, amount) in [
        ("a1", "asso", 2_000_000),
        ("a2", "asso", 1_500_000),
        ("c1", "college", 3_000_000),
    ] {
        app.ok(
            &coordinator,
            PROPOSE,
            json!({"id": id, "holder": holder, "requested": [line("etat", amount)]}),
        );
    }
    app.ok(
        &coordinator,
        "mutation($d: [CopilDecisionInput!]!) { recordCopilDecisions(programmeId: \"grigny\", sessionId: \"copil\", decisions: $d) { position warnings } }",
        json!({"d": [
            {"actionId": "a1", "outcome": "RETAINED", "retained": [line("etat", 2_000_000)]},
            {"actionId": "a2", "outcome": "RETAINED", "retained": [line("etat", 1_500_000)]},
            {"actionId": "c1", "outcome": "RETAINED", "retained": [line("etat", 3_000_000)]},
        ]}),
    );
    let porteur = app.new_token(&admin, "PORTEUR", Some(P), Some("asso"), "Porteur");
    Fixture {
        _dir: dir,
        app,
        pilot,
        coordinator,
        porteur,
    }
}

fn grant(f: &Fixture, action: &str, amount: i64, kind: &str) -> (u16, Value) {
    f.app.graphql(
        Some(&f.coordinator),
        GRANT,
        json!({"a": action, "amount": amount, "kind": kind}),
    )
}

#[test]
fn partners_have_a_legal_form_and_funders_a_payer() {
    let f = fixture();
    let data = f.app.ok(
        &f.pilot,
        r#"{ partners(programmeId: "grigny") { id legalForm rna version }
             programme(id: "grigny") { funders { id payer } } }"#,
        json!({}),
    );
    assert_eq!(
        data["partners"],
        json!([
            {"id": "asso", "legalForm": "ASSOCIATION", "rna": "W913001234", "version": 1},
            {"id": "college", "legalForm": "EPLE", "rna": null, "version": 1},
            {"id": "mairie", "legalForm": "UNKNOWN", "rna": null, "version": 1},
        ])
    );
    // Without `payer`, the kind's: the fonds de la cité is State money.
    assert_eq!(
        data["programme"]["funders"],
        json!([
            {"id": "etat", "payer": "STATE"},
            {"id": "ville", "payer": "COMMUNE"},
            {"id": "fonds", "payer": "STATE"},
            {"id": "bailleur", "payer": "OTHER"},
        ])
    );
    // A malformed RNA number is VALIDATION, in French, and writes nothing.
    let head = f.app.head(&f.pilot);
    let error = f.app.error(
        &f.coordinator,
        r#"mutation { registerPartner(programmeId: "grigny", input: {id: "x", name: "X", kind: ASSOCIATION, rna: "913001234"}) { position } }"#,
        json!({}),
    );
    assert_eq!(error["extensions"]["code"], "VALIDATION", "{error}");
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("W suivie de 9 chiffres"),
        "{error}"
    );
    assert_eq!(f.app.head(&f.pilot), head);
}

#[test]
fn a_legal_form_set_later_is_versioned_and_told_in_the_history() {
    let f = fixture();
    let set = r#"mutation($v: Int) { setPartnerLegalForm(programmeId: "grigny", partnerId: "mairie",
        legalForm: LOCAL_AUTHORITY, reason: "Service de la commune", options: {expectedVersion: $v}) {
        position warnings partner { legalForm version } } }"#;
    let error = f.app.error(&f.coordinator, set, json!({"v": 7}));
    assert_eq!(error["extensions"]["code"], "CONFLICT", "{error}");
    let data = f.app.ok(&f.coordinator, set, json!({"v": 1}));
    assert_eq!(
        data["setPartnerLegalForm"]["partner"],
        json!({"legalForm": "LOCAL_AUTHORITY", "version": 2})
    );
    assert_eq!(data["setPartnerLegalForm"]["warnings"], json!([]));
    // The same form again changes nothing.
    let error = f.app.error(&f.coordinator, set, json!({}));
    assert_eq!(error["extensions"]["code"], "VALIDATION", "{error}");
    // A porteur may not set it.
    let error = f.app.error(&f.porteur, set, json!({}));
    assert_eq!(error["extensions"]["code"], "FORBIDDEN", "{error}");
    let timeline = f.app.ok(
        &f.pilot,
        r#"{ timeline(programmeId: "grigny", filter: {kinds: ["PartnerLegalFormSet"]}) { edges { node { kind summary } } } }"#,
        json!({}),
    );
    assert_eq!(
        nodes(&timeline["timeline"])[0]["summary"],
        "Forme juridique du partenaire « Service jeunesse » : collectivité territoriale (Service de la commune)"
    );
}

#[test]
fn the_convention_threshold_adds_up_one_funders_grants_to_one_association_for_the_year() {
    let f = fixture();
    // 20 000 € to the association by an arrêté: below the threshold.
    let (_, body) = grant(&f, "a1", 2_000_000, "ARRETE");
    assert!(body.get("errors").is_none(), "{body}");
    // 15 000 € more to the same association for the same year, on another action: 35 000 €.
    let head = f.app.head(&f.pilot);
    let (_, body) = grant(&f, "a2", 1_500_000, "ARRETE");
    let error = &body["errors"][0];
    assert_eq!(error["extensions"]["code"], "RULE_VIOLATION", "{body}");
    assert_eq!(error["extensions"]["rule"], "convention_required", "{body}");
    let message = error["message"].as_str().unwrap();
    assert!(
        message.contains(&format!("a déjà attribué {}", eur("20 000,00"))),
        "{message}"
    );
    assert!(message.contains("« asso »"), "{message}");
    assert_eq!(f.app.head(&f.pilot), head, "nothing written");
    // As a convention it is lawful.
    let (_, body) = grant(&f, "a2", 1_500_000, "CONVENTION");
    assert_eq!(
        body["data"]["awardGrant"]["action"]["grants"],
        json!([{"amount": 1_500_000, "actKind": "CONVENTION"}]),
        "{body}"
    );
}

#[test]
fn a_collège_needs_no_convention_above_23_000_euros() {
    let f = fixture();
    // 30 000 € to an EPLE by an arrêté: public law, no convention under this rule.
    let (_, body) = grant(&f, "c1", 3_000_000, "ARRETE");
    assert!(body.get("errors").is_none(), "{body}");
    assert_eq!(body["data"]["awardGrant"]["action"]["status"], "FUNDED");
}

#[test]
fn the_cpo_records_the_copils_relevé_and_sessions_have_a_version() {
    let f = fixture();
    let data = f.app.ok(
        &f.coordinator,
        r#"{ session(programmeId: "grigny", id: "copil") { version decisions { action { id } outcome } } }"#,
        json!({}),
    );
    assert_eq!(data["session"]["version"], 2);
    assert_eq!(data["session"]["decisions"].as_array().unwrap().len(), 3);
}

#[test]
fn a_free_text_that_looks_like_personal_data_is_accepted_with_a_warning() {
    let f = fixture();
    let data = f.app.ok(
        &f.coordinator,
        r#"mutation { scheduleSession(programmeId: "grigny", input: {id: "cotech", body: COTECH,
            date: "2025-04-01", title: "COTECH"}, options: {effectiveOn: "2025-03-02"}) { warnings } }"#,
        json!({}),
    );
    assert_eq!(data["scheduleSession"]["warnings"], json!([]));
    for (reason, warned) in [
        ("Joindre Mme X au 06 12 34 56 78", true),
        ("Écrire à marie.dupont@exemple.fr", true),
        ("Report demandé par la préfecture", false),
    ] {
        let data = f.app.ok(
            &f.coordinator,
            r#"mutation($r: String!) { setPartnerLegalForm(programmeId: "grigny", partnerId: "mairie",
                legalForm: OTHER_PUBLIC, reason: $r) { warnings } }"#,
            json!({"r": reason}),
        );
        let expected = if warned {
            json!(["personal_data_suspected"])
        } else {
            json!([])
        };
        assert_eq!(
            data["setPartnerLegalForm"]["warnings"], expected,
            "{reason}"
        );
        // Back, to set it again.
        f.app.ok(
            &f.coordinator,
            r#"mutation { setPartnerLegalForm(programmeId: "grigny", partnerId: "mairie",
                legalForm: LOCAL_AUTHORITY, reason: "Commune") { position } }"#,
            json!({}),
        );
    }
    let data = f.app.ok(
        &f.porteur,
        r#"mutation { changePeriod(programmeId: "grigny", actionId: "a1", periodStart: "2025-02-01",
            periodEnd: "2025-12-19", reason: "Lucas, né le 12/03/2015, arrive en février.") { warnings } }"#,
        json!({}),
    );
    assert_eq!(
        data["changePeriod"]["warnings"],
        json!(["personal_data_suspected"])
    );
}

/// c1 granted (30 000 € of the State for 2025), started, completed and its final report filed.
fn reported_c1(f: &Fixture) {
    let (_, body) = grant(f, "c1", 3_000_000, "ARRETE");
    assert!(body.get("errors").is_none(), "{body}");
    for query in [
        r#"mutation { startAction(programmeId: "grigny", actionId: "c1", startedOn: "2025-03-20") { position } }"#,
        r#"mutation { completeAction(programmeId: "grigny", actionId: "c1", completedOn: "2025-12-19") { position } }"#,
        r#"mutation { submitReport(programmeId: "grigny", actionId: "c1", kind: FINAL, spent: 2900000,
            summary: "Bilan.", beneficiaries: []) { position } }"#,
    ] {
        f.app.ok(&f.coordinator, query, json!({}));
    }
}

const C1: &str = r#"{ action(programmeId: "grigny", id: "c1") { status finalReportDueOn
    finalReportReview { verdict comment reviewedOn } } }"#;

#[test]
fn a_report_deadline_extended_shows_in_the_fiche_and_in_reports_due() {
    let f = fixture();
    let (_, body) = grant(&f, "c1", 3_000_000, "ARRETE");
    assert!(body.get("errors").is_none(), "{body}");
    let data = f.app.ok(&f.pilot, C1, json!({}));
    assert_eq!(data["action"]["finalReportDueOn"], "2026-06-30");
    let extend = r#"mutation($on: Date!) { extendReportDeadline(programmeId: "grigny", actionId: "c1",
        dueOn: $on, reason: "L'action suit l'année scolaire") { position action { finalReportDueOn } } }"#;
    let error = f
        .app
        .error(&f.coordinator, extend, json!({"on": "2026-06-30"}));
    assert_eq!(error["extensions"]["rule"], "deadline_invalid", "{error}");
    let data = f
        .app
        .ok(&f.coordinator, extend, json!({"on": "2026-12-31"}));
    assert_eq!(
        data["extendReportDeadline"]["action"]["finalReportDueOn"],
        "2026-12-31"
    );
    let due = f.app.ok(
        &f.pilot,
        r#"{ reportsDue(programmeId: "grigny", withinDays: 100000) { action { id } dueOn kind } }"#,
        json!({}),
    );
    assert_eq!(
        due["reportsDue"],
        json!([{"action": {"id": "c1"}, "dueOn": "2026-12-31", "kind": "FINAL"}])
    );
    let timeline = f.app.ok(
        &f.pilot,
        r#"{ timeline(programmeId: "grigny", filter: {kinds: ["ReportDeadlineExtended"]}) { edges { node { summary } } } }"#,
        json!({}),
    );
    assert_eq!(
        nodes(&timeline["timeline"])[0]["summary"],
        "Action 2025-003 « Action » : échéance du compte rendu financier reportée au 31 décembre 2026 : L'action suit l'année scolaire"
    );
}

#[test]
fn a_final_report_reviewed_accepted_lets_the_action_close_without_an_evaluation() {
    let f = fixture();
    reported_c1(&f);
    let close =
        r#"mutation { closeAction(programmeId: "grigny", actionId: "c1") { action { status } } }"#;
    let error = f.app.error(&f.coordinator, close, json!({}));
    assert_eq!(error["extensions"]["rule"], "close_not_ready", "{error}");
    let review = r#"mutation($v: ReportVerdict!, $c: String) { reviewFinalReport(programmeId: "grigny",
        actionId: "c1", verdict: $v, comment: $c) { position action { status } } }"#;
    // Refused first: the report is due again, and listed as due.
    f.app.ok(
        &f.coordinator,
        review,
        json!({"v": "REJECTED", "c": "Pièces manquantes"}),
    );
    let mut data = f.app.ok(&f.pilot, C1, json!({}));
    // Reviewed today (the server's clock).
    let reviewed_on = data["action"]["finalReportReview"]["reviewedOn"].take();
    assert_eq!(
        reviewed_on.as_str().map(str::len),
        Some(10),
        "{reviewed_on}"
    );
    assert_eq!(
        data["action"],
        json!({"status": "REPORTED", "finalReportDueOn": "2026-06-30",
               "finalReportReview": {"verdict": "REJECTED", "comment": "Pièces manquantes", "reviewedOn": null}})
    );
    let error = f.app.error(&f.coordinator, close, json!({}));
    assert_eq!(error["extensions"]["rule"], "close_not_ready", "{error}");
    let error = f
        .app
        .error(&f.coordinator, review, json!({"v": "ACCEPTED"}));
    assert_eq!(
        error["extensions"]["rule"], "report_review_invalid",
        "{error}"
    );
    // A new final report, accepted: the action closes.
    f.app.ok(
        &f.coordinator,
        r#"mutation { submitReport(programmeId: "grigny", actionId: "c1", kind: FINAL, spent: 2900000,
            summary: "Bilan complété.", beneficiaries: []) { position } }"#,
        json!({}),
    );
    f.app.ok(&f.coordinator, review, json!({"v": "ACCEPTED"}));
    let data = f.app.ok(&f.coordinator, close, json!({}));
    assert_eq!(data["closeAction"]["action"]["status"], "CLOSED");
}

#[test]
fn a_renewal_shows_the_chain_both_ways() {
    let f = fixture();
    let propose = r#"mutation($id: ID!, $year: Int!, $renews: ID) { proposeAction(programmeId: "grigny",
        input: {id: $id, title: "Lecture, an 2", summary: "Suite.", holderId: "asso", axis: "A1",
        publics: [CHILDREN], periodStart: "2026-01-05", periodEnd: "2026-06-30", year: $year,
        totalCost: 1000000, requested: [{funderId: "etat", amount: 500000}], renews: $renews},
        options: {effectiveOn: "2025-06-01"}) { action { id renews { id year } } } }"#;
    let data = f.app.ok(
        &f.coordinator,
        propose,
        json!({"id": "a1-suite", "year": 2026, "renews": "a1"}),
    );
    assert_eq!(
        data["proposeAction"]["action"],
        json!({"id": "a1-suite", "renews": {"id": "a1", "year": 2025}})
    );
    let data = f.app.ok(
        &f.pilot,
        r#"{ action(programmeId: "grigny", id: "a1") { renewedBy { id } recommendationFollowed } }"#,
        json!({}),
    );
    assert_eq!(
        data["action"],
        json!({"renewedBy": {"id": "a1-suite"}, "recommendationFollowed": null})
    );
    let head = f.app.head(&f.pilot);
    for (id, year, renews) in [
        ("a1-bis", 2026, "a1"),
        ("a2-meme", 2025, "a2"),
        ("inconnu", 2026, "nulle-part"),
    ] {
        let error = f.app.error(
            &f.coordinator,
            propose,
            json!({"id": id, "year": year, "renews": renews}),
        );
        assert_eq!(error["extensions"]["rule"], "renewal_invalid", "{error}");
    }
    assert_eq!(f.app.head(&f.pilot), head, "nothing written");
    let history = f.app.ok(
        &f.pilot,
        r#"{ action(programmeId: "grigny", id: "a1-suite") { history { summary } } }"#,
        json!({}),
    );
    let first = history["action"]["history"][0]["summary"].as_str().unwrap();
    assert!(
        first.ends_with(", renouvelant l'action 2025-001"),
        "{first}"
    );
}

#[test]
fn the_territory_changes_with_its_qpv_codes_and_schools() {
    let f = fixture();
    let change = r#"mutation($qpv: [String!]!, $schools: [String!]) { changeTerritory(programmeId: "grigny",
        communes: ["Grigny", "Viry-Châtillon"], qpv: $qpv, schools: $schools,
        reason: "Nouvelle géographie prioritaire au 1er janvier 2024") {
        programme { territory qpv schools } } }"#;
    let data = f.app.ok(
        &f.coordinator,
        change,
        json!({"qpv": ["QN09101M"], "schools": ["0750654d"]}),
    );
    assert_eq!(
        data["changeTerritory"]["programme"],
        json!({"territory": ["Grigny", "Viry-Châtillon"], "qpv": ["QN09101M"], "schools": ["0750654D"]})
    );
    let head = f.app.head(&f.pilot);
    for (qpv, schools) in [
        (json!(["Grande Borne"]), json!([])),
        (json!([]), json!(["0750654E"])),
    ] {
        let error = f.app.error(
            &f.coordinator,
            change,
            json!({"qpv": qpv, "schools": schools}),
        );
        assert_eq!(error["extensions"]["rule"], "territory_invalid", "{error}");
    }
    assert_eq!(f.app.head(&f.pilot), head);
}

#[test]
fn the_revue_de_projet_is_written_then_validated_by_a_copil_of_the_next_year() {
    let f = fixture();
    let write = r#"mutation { writeReviewSection(programmeId: "grigny", year: 2025, section: GOVERNANCE,
        text: "Trois COPIL et dix COTECH.") { position warnings } }"#;
    f.app.ok(&f.coordinator, write, json!({}));
    let validate = r#"mutation($s: ID!) { validateAnnualReview(programmeId: "grigny", year: 2025,
        sessionId: $s) { position } }"#;
    // The COPIL of March 2025 is of the year reviewed.
    let error = f.app.error(&f.pilot, validate, json!({"s": "copil"}));
    assert_eq!(error["extensions"]["rule"], "review_invalid", "{error}");
    // Only a pilot validates.
    let error = f.app.error(&f.coordinator, validate, json!({"s": "copil"}));
    assert_eq!(error["extensions"]["code"], "FORBIDDEN", "{error}");
    for query in [
        r#"mutation { scheduleSession(programmeId: "grigny", input: {id: "copil-2026", body: COPIL, date: "2026-03-12", title: "COPIL de mars 2026"}, options: {effectiveOn: "2026-01-05"}) { position } }"#,
        r#"mutation { recordSessionHeld(programmeId: "grigny", sessionId: "copil-2026", present: ["Préfecture"], options: {effectiveOn: "2026-03-12"}) { position } }"#,
    ] {
        f.app.ok(&f.coordinator, query, json!({}));
    }
    f.app.ok(&f.pilot, validate, json!({"s": "copil-2026"}));
    let timeline = f.app.ok(
        &f.pilot,
        r#"{ timeline(programmeId: "grigny", filter: {kinds: ["AnnualReviewValidated", "ReviewSectionWritten"]}, oldestFirst: true) {
            edges { node { kind effectiveOn summary } } } }"#,
        json!({}),
    );
    let entries = nodes(&timeline["timeline"]);
    assert_eq!(entries.len(), 2);
    let validated = entries
        .iter()
        .find(|e| e["kind"] == "AnnualReviewValidated")
        .unwrap();
    assert_eq!(
        *validated,
        json!({"kind": "AnnualReviewValidated", "effectiveOn": "2026-03-12",
               "summary": "Revue de projet 2025 validée par le COPIL du 12 mars 2026"})
    );
}

#[test]
fn a_session_lists_the_actions_awaiting_its_body_held_or_not() {
    let f = fixture();
    f.app.ok(
        &f.coordinator,
        PROPOSE,
        json!({"id": "p1", "holder": "asso", "requested": [line("etat", 100_000)]}),
    );
    // The COTECH (an opinion body) awaits the proposals; the held COPIL awaits none (its three
    // actions were decided).
    for query in [
        r#"mutation { scheduleSession(programmeId: "grigny", input: {id: "cotech", body: COTECH, date: "2025-04-01", title: "COTECH"}, options: {effectiveOn: "2025-03-02"}) { position } }"#,
        r#"mutation { recordSessionHeld(programmeId: "grigny", sessionId: "cotech", present: ["Ville"], options: {effectiveOn: "2025-04-01"}) { position } }"#,
    ] {
        f.app.ok(&f.coordinator, query, json!({}));
    }
    let data = f.app.ok(
        &f.coordinator,
        r#"{ cotech: session(programmeId: "grigny", id: "cotech") { held awaiting { id } agenda { id } }
             copil: session(programmeId: "grigny", id: "copil") { awaiting { id } } }"#,
        json!({}),
    );
    assert_eq!(
        data["cotech"],
        json!({"held": true, "awaiting": [{"id": "p1"}], "agenda": []})
    );
    assert_eq!(data["copil"]["awaiting"], json!([]));
}

#[test]
fn the_corrections_a_year_needs_go_through_the_api() {
    let f = fixture();
    reported_c1(&f);
    // An avenant: c1's 30 000 € brought to 29 000 € (29 000 € were spent).
    let data = f.app.ok(
        &f.coordinator,
        r#"mutation { amendGrant(programmeId: "grigny", actionId: "c1", grantId: "g1", amount: 2900000,
            reference: "Avenant n° 1", reason: "Dépense inférieure") {
            action { grants { amount } money { funder { id } granted toPay } } } }"#,
        json!({}),
    );
    assert_eq!(
        data["amendGrant"]["action"],
        json!({"grants": [{"amount": 2_900_000}],
               "money": [{"funder": {"id": "etat"}, "granted": 2_900_000, "toPay": 2_900_000}]})
    );
    // The report's figures corrected.
    let data = f.app.ok(
        &f.coordinator,
        r#"mutation { correctReport(programmeId: "grigny", actionId: "c1", reportIndex: 0, spent: 2850000,
            summary: "Bilan corrigé.", beneficiaries: [], reason: "Facture comptée deux fois") {
            action { reports { spent summary } } } }"#,
        json!({}),
    );
    assert_eq!(
        data["correctReport"]["action"]["reports"],
        json!([{"spent": 2_850_000, "summary": "Bilan corrigé."}])
    );
    let error = f.app.error(
        &f.coordinator,
        r#"mutation { correctReport(programmeId: "grigny", actionId: "c1", reportIndex: -1, spent: 1,
            summary: "x", beneficiaries: [], reason: "x") { position } }"#,
        json!({}),
    );
    assert_eq!(error["extensions"]["code"], "VALIDATION", "{error}");
    // A repayment asked for, then given up.
    f.app.ok(
        &f.coordinator,
        r#"mutation { recordPayment(programmeId: "grigny", actionId: "c1", funderId: "etat", amount: 2900000,
            kind: BALANCE, paidOn: "2026-01-15") { position } }"#,
        json!({}),
    );
    f.app.ok(
        &f.coordinator,
        r#"mutation { requestRepayment(programmeId: "grigny", actionId: "c1", funderId: "etat", amount: 50000,
            reason: "Trop-perçu") { position } }"#,
        json!({}),
    );
    let data = f.app.ok(
        &f.coordinator,
        r#"mutation { cancelRepaymentRequest(programmeId: "grigny", actionId: "c1", funderId: "etat",
            reason: "Remise gracieuse") { action { money { repaymentRequested repaid } } } }"#,
        json!({}),
    );
    assert_eq!(
        data["cancelRepaymentRequest"]["action"]["money"],
        json!([{"repaymentRequested": 0, "repaid": 0}])
    );
    // The COPIL's attendance corrected.
    let data = f.app.ok(
        &f.coordinator,
        r#"mutation { correctAttendance(programmeId: "grigny", sessionId: "copil",
            present: ["Préfecture", "CAF"], reason: "La CAF était présente") {
            session { present version } } }"#,
        json!({}),
    );
    assert_eq!(
        data["correctAttendance"]["session"],
        json!({"present": ["Préfecture", "CAF"], "version": 3})
    );
    let history = f.app.ok(
        &f.pilot,
        r#"{ action(programmeId: "grigny", id: "c1") { history { kind } } }"#,
        json!({}),
    );
    let kinds: Vec<Value> = history["action"]["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["kind"].clone())
        .collect();
    for kind in [
        "GrantAmended",
        "ReportCorrected",
        "RepaymentRequestCancelled",
    ] {
        assert!(kinds.contains(&json!(kind)), "{kind} in {kinds:?}");
    }
}
