//! Small beneficiary cells stay hidden everywhere (DOMAIN.md, « Read models users expect »,
//! Beneficiaries): for a viewer who must not see them (an OBSERVER, a PORTEUR outside its own
//! actions), a cell below 10 reads « < 10 » and a total is withheld whenever a cell is hidden,
//! since the total minus the visible cells would give the hidden one back.
//!
//! On the real binary: a final report counts 31 boys and 7 girls (38 in all); every answer such a
//! viewer can get that shows beneficiaries (the queries the page itself sends for its screens,
//! CSV downloads and printed views, the histories, the changes, the subscription's catch-up) is
//! searched for the hidden 7 and the total 38, which a COORDINATOR and the holder's PORTEUR see.

mod common;

use common::*;
use serde_json::{Value, json};

const P: &str = "grigny";

struct Fixture {
    _dir: tempfile::TempDir,
    app: TestApp,
    admin: String,
    coordinator: String,
    observer: String,
    /// PORTEUR of `asso`, which does not hold a1: sees a1 as an observer.
    other_porteur: String,
    /// PORTEUR of `autre`, which holds a1: sees it in full.
    holder: String,
}

/// A programme whose one action a1 (held by `autre`) is retained, granted, started, completed,
/// and has a final report of 31 boys and 7 girls.
fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let admin = create_token(dir.path(), "ADMIN", None, None);
    let app = spawn_app(dir.path());
    let token =
        |role: &str, partner: Option<&str>| app.new_token(&admin, role, Some(P), partner, role);
    let pilot = token("PILOT", None);
    let f = Fixture {
        coordinator: token("COORDINATOR", None),
        observer: token("OBSERVER", None),
        other_porteur: token("PORTEUR", Some("asso")),
        holder: token("PORTEUR", Some("autre")),
        _dir: dir,
        app,
        admin,
    };
    let ok = |token: &str, query: &str| {
        f.app.ok(token, query, json!({}));
    };
    ok(
        &f.admin,
        r#"mutation { establishProgramme(input: {id: "grigny", name: "Cité éducative de Grigny",
            territory: ["Grigny"], qpv: ["Grande Borne"]}, options: {effectiveOn: "2025-01-02"}) { position } }"#,
    );
    for query in [
        r#"mutation { defineAxis(programmeId: "grigny", input: {code: "A1", title: "Réussite éducative", objective: SCHOOL_ROLE}, options: {effectiveOn: "2025-01-02"}) { position } }"#,
        r#"mutation { registerFunder(programmeId: "grigny", input: {id: "etat", name: "État", kind: STATE}, options: {effectiveOn: "2025-01-02"}) { position } }"#,
        r#"mutation { notifyEnvelope(programmeId: "grigny", input: {funderId: "etat", year: 2025, amount: 10000000}, options: {effectiveOn: "2025-01-02"}) { position } }"#,
    ] {
        ok(&pilot, query);
    }
    for query in [
        r#"mutation { registerPartner(programmeId: "grigny", input: {id: "asso", name: "Association Lire", kind: ASSOCIATION}, options: {effectiveOn: "2025-01-02"}) { position } }"#,
        r#"mutation { registerPartner(programmeId: "grigny", input: {id: "autre", name: "Club Autre", kind: SPORT}, options: {effectiveOn: "2025-01-02"}) { position } }"#,
        r#"mutation { scheduleSession(programmeId: "grigny", input: {id: "cotech", body: COTECH, date: "2025-02-01", title: "COTECH"}, options: {effectiveOn: "2025-01-02"}) { position } }"#,
        r#"mutation { scheduleSession(programmeId: "grigny", input: {id: "copil", body: COPIL, date: "2025-03-01", title: "COPIL"}, options: {effectiveOn: "2025-01-02"}) { position } }"#,
        r#"mutation { proposeAction(programmeId: "grigny", input: {id: "a1", title: "Club de lecture", summary: "Lire ensemble.",
            holderId: "autre", axis: "A1", publics: [CHILDREN], periodStart: "2025-01-06", periodEnd: "2025-06-27",
            year: 2025, totalCost: 2000000, requested: [{funderId: "etat", amount: 1000000}]}, options: {effectiveOn: "2025-01-10"}) { position } }"#,
        r#"mutation { recordSessionHeld(programmeId: "grigny", sessionId: "cotech", present: ["Ville"], options: {effectiveOn: "2025-02-01"}) { position } }"#,
        r#"mutation { giveOpinion(programmeId: "grigny", actionId: "a1", sessionId: "cotech", opinion: FAVOURABLE,
            proposed: [{funderId: "etat", amount: 1000000}]) { position } }"#,
        r#"mutation { recordSessionHeld(programmeId: "grigny", sessionId: "copil", present: ["Préfecture"], options: {effectiveOn: "2025-03-01"}) { position } }"#,
    ] {
        ok(&f.coordinator, query);
    }
    ok(
        &pilot,
        r#"mutation { recordCopilDecisions(programmeId: "grigny", sessionId: "copil",
            decisions: [{actionId: "a1", outcome: RETAINED, retained: [{funderId: "etat", amount: 1000000}]}]) { position } }"#,
    );
    for query in [
        r#"mutation { awardGrant(programmeId: "grigny", actionId: "a1", funderId: "etat", year: 2025, amount: 1000000,
            act: {kind: ARRETE, reference: "2025-1", signedOn: "2025-03-10"}) { position } }"#,
        r#"mutation { startAction(programmeId: "grigny", actionId: "a1", startedOn: "2025-03-20") { position } }"#,
        r#"mutation { completeAction(programmeId: "grigny", actionId: "a1", completedOn: "2025-06-27") { position } }"#,
        r#"mutation { submitReport(programmeId: "grigny", actionId: "a1", kind: FINAL, spent: 1500000,
            summary: "Une année de lecture.", beneficiaries: [
                {public: CHILDREN, ageBand: AGE_6_10, sex: MALE, qpvResident: true, count: 31},
                {public: CHILDREN, ageBand: AGE_6_10, sex: FEMALE, qpvResident: true, count: 7}],
            options: {effectiveOn: "2025-07-10"}) { position } }"#,
    ] {
        ok(&f.coordinator, query);
    }
    f
}

/// A query the page sends, as its script on the server writes it: the template literal that
/// starts with `start`, with each `${NAME}` replaced by the script's `const NAME = '…';` (or
/// its own template literal, expanded the same way) and each other expression (the parts shown
/// to full readers only) left out, as for an observer.
fn page_query(app: &TestApp, script: &str, start: &str) -> String {
    let response = app.get(&format!("/assets/js/views/{script}"));
    assert_eq!(response.status().as_u16(), 200, "{script}");
    let js = response.text().unwrap();
    let begin = js
        .find(start)
        .unwrap_or_else(|| panic!("{script} has no `{start}`"))
        + 1;
    let end = begin + js[begin..].find('`').unwrap();
    expand(&js, script, &js[begin..end])
}

fn expand(js: &str, script: &str, template: &str) -> String {
    let mut query = String::new();
    let mut rest = template;
    while let Some(at) = rest.find("${") {
        query.push_str(&rest[..at]);
        let mut depth = 0;
        let close = rest[at + 1..]
            .char_indices()
            .find(|&(_, c)| {
                match c {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    _ => {}
                }
                depth == 0
            })
            .map(|(i, _)| at + 1 + i)
            .unwrap();
        let expression = rest[at + 2..close].trim();
        if expression
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_')
        {
            let quoted = format!("const {expression} = '");
            let literal = format!("const {expression} = `");
            if let Some(at) = js.find(&quoted) {
                let value_at = at + quoted.len();
                let value_end = value_at + js[value_at..].find('\'').unwrap();
                query.push_str(&js[value_at..value_end]);
            } else {
                let value_at = js
                    .find(&literal)
                    .unwrap_or_else(|| panic!("{script} declares no {expression}"))
                    + literal.len();
                let value_end = value_at + js[value_at..].find('`').unwrap();
                query.push_str(&expand(js, script, &js[value_at..value_end]));
            }
        }
        rest = &rest[close + 1..];
    }
    query.push_str(rest);
    query
}

/// Every answer that could show a1's beneficiaries to `token`, as JSON text, with a label.
fn answers(f: &Fixture, token: &str) -> Vec<(String, String)> {
    let app = &f.app;
    let mut out = Vec::new();
    let mut ask = |label: &str, query: &str, variables: Value| {
        let data = app.ok(token, query, variables);
        out.push((label.to_owned(), data.to_string()));
    };
    // The page's own queries: its screens, their CSV downloads and printed views are drawn
    // from these answers.
    ask(
        "page: fiche action",
        &page_query(app, "action.js", "`query Action("),
        json!({"p": P, "id": "a1"}),
    );
    ask(
        "page: frise",
        &page_query(app, "timeline.js", "`query Timeline("),
        json!({"p": P, "first": 50}),
    );
    ask(
        "page: frise de l'action",
        &page_query(app, "timeline.js", "`query Timeline("),
        json!({"p": P, "first": 50, "filter": {"actionId": "a1"}}),
    );
    ask(
        "page: séance",
        &page_query(app, "session.js", "`query Session("),
        json!({"p": P, "id": "copil"}),
    );
    ask(
        "reports and history of the action",
        "query($p: ID!) { action(programmeId: $p, id: \"a1\") {
            reports { kind summary beneficiaries { public ageBand sex qpvResident count hidden } }
            history { summary } } }",
        json!({"p": P}),
    );
    ask(
        "actions",
        "query($p: ID!) { actions(programmeId: $p, first: 10) { edges { node { id
            reports { beneficiaries { count hidden } } } } } }",
        json!({"p": P}),
    );
    ask(
        "timeline oldest first",
        "query($p: ID!) { timeline(programmeId: $p, oldestFirst: true, first: 500) {
            edges { node { kind summary amount } } } }",
        json!({"p": P}),
    );
    ask(
        "programme history",
        "query($p: ID!) { programme(id: $p) { history { summary } } }",
        json!({"p": P}),
    );
    ask(
        "sessions' histories",
        "query($p: ID!) { sessions(programmeId: $p) { history { summary } } }",
        json!({"p": P}),
    );
    ask(
        "changes",
        "query($p: ID!) { changes(programmeId: $p, from: {position: 0}, to: {effectiveOn: \"2026-01-01\"}) {
            entries { kind summary amount } } }",
        json!({"p": P}),
    );
    ask(
        "the action as of the report's day",
        "query($p: ID!) { action(programmeId: $p, id: \"a1\", asOf: {effectiveOn: \"2025-07-10\"}) {
            reports { beneficiaries { count hidden } } history { summary } } }",
        json!({"p": P}),
    );
    for (label, start, variables) in [
        (
            "page: bénéficiaires",
            "`query Beneficiaries(",
            json!({"p": P, "year": 2025}),
        ),
        (
            "page: déploiement",
            "`query Deployment(",
            json!({"p": P, "year": 2025}),
        ),
        (
            "page: gouvernance",
            "`query Governance(",
            json!({"p": P, "year": 2025}),
        ),
        (
            "page: finances",
            "`query Finances(",
            json!({"p": P, "from": 2025, "to": 2025}),
        ),
    ] {
        ask(label, &page_query(app, "pilotage.js", start), variables);
    }
    out.push((
        "subscription's catch-up".to_owned(),
        subscription_catch_up(app, token),
    ));
    out
}

/// The entries the subscription sends from position 0, up to the report (the log's last
/// event), as JSON text.
fn subscription_catch_up(app: &TestApp, token: &str) -> String {
    let mut socket = websocket(app, json!({"token": token}));
    let ack = next_json(&mut socket).expect("an answer to connection_init");
    assert_eq!(ack["type"], "connection_ack", "{ack}");
    send_json(
        &mut socket,
        json!({"id": "frise", "type": "subscribe", "payload": {
            "query": "subscription($p: ID!) { timeline(programmeId: $p, fromPosition: 0) { position kind summary amount } }",
            "variables": {"p": P}}}),
    );
    let mut entries = Vec::new();
    loop {
        let message = next_json(&mut socket).expect("an entry before the deadline");
        assert_eq!(message["type"], "next", "{message}");
        let entry = message["payload"]["data"]["timeline"].clone();
        let last = entry["kind"] == "ReportSubmitted";
        entries.push(entry);
        if last {
            break;
        }
    }
    Value::from(entries).to_string()
}

/// What gives the hidden cell away: its count, or a total that includes it.
const REVEALING: [&str; 5] = [
    "\"count\":7,",
    "\"count\":38",
    "\"total\":38",
    "38 bénéficiaires",
    "38\u{A0}bénéficiaires",
];

#[test]
fn an_observer_never_sees_a_small_cell_nor_a_total_that_gives_it_back() {
    let f = fixture();
    for (viewer, token) in [
        ("OBSERVER", &f.observer),
        ("PORTEUR of another partner", &f.other_porteur),
    ] {
        let answers = answers(&f, token);
        for (label, answer) in &answers {
            for revealing in REVEALING {
                assert!(
                    !answer.contains(revealing),
                    "{viewer}, {label}: « {revealing} » in {}",
                    short(answer)
                );
            }
        }
        let all: String = answers.iter().map(|(_, a)| a.as_str()).collect();
        // The report is there, its visible cell shown, its hidden one said to be hidden and its
        // total said to be withheld.
        assert!(
            all.contains("\"count\":31"),
            "{viewer}: the 31 boys are shown"
        );
        assert!(
            all.contains("\"count\":null,\"hidden\":true"),
            "{viewer}: the cell of girls is marked hidden"
        );
        assert!(
            all.contains("total des bénéficiaires non communiqué (effectif < 10)"),
            "{viewer}: the sentences say the total is withheld"
        );
        // Never the raw log.
        let error = f.app.error(
            token,
            "{ events(programmeId: \"grigny\") { edges { node { data } } } }",
            json!({}),
        );
        assert_eq!(
            error["extensions"]["code"], "FORBIDDEN",
            "{viewer}: {error}"
        );
    }
}

#[test]
fn the_coordinator_and_the_holder_see_every_cell_and_the_total() {
    let f = fixture();
    for (viewer, token) in [("COORDINATOR", &f.coordinator), ("holder", &f.holder)] {
        let answers = answers(&f, token);
        let find = |label: &str| {
            &answers
                .iter()
                .find(|(l, _)| l == label)
                .unwrap_or_else(|| panic!("no answer {label}"))
                .1
        };
        for label in [
            "page: fiche action",
            "page: frise",
            "reports and history of the action",
            "timeline oldest first",
            "changes",
            "subscription's catch-up",
        ] {
            assert!(
                find(label).contains("38 bénéficiaires"),
                "{viewer}, {label}: {}",
                short(find(label))
            );
        }
        assert!(
            find("page: fiche action").contains("\"count\":7,"),
            "{viewer}"
        );
        let page = find("page: bénéficiaires");
        assert!(
            page.contains("\"count\":7,") && page.contains("\"total\":38"),
            "{viewer}: {page}"
        );
    }
}

/// `beneficiaries` of 2025 (api-next, DOMAIN.md « Beneficiaries of year Y »): the full table
/// for the coordinator and the holder; for an observer and another partner's porteur, the cell
/// of 7 hidden and the total withheld; nothing before the report's date; its provenance checks.
#[test]
fn the_beneficiaries_of_a_year_hide_small_cells_from_those_who_must_not_see_them() {
    let f = fixture();
    let query = r#"query($asOf: AsOf) { beneficiaries(programmeId: "grigny", year: 2025, asOf: $asOf) {
        year total actionsCounted actionsWithInterimOnly
        cells { axis { code } objective public ageBand sex qpvResident count hidden }
        provenance { position headHash asOf } } }"#;
    let table = |token: &str| f.app.ok(token, query, json!({}))["beneficiaries"].clone();
    let cell = |sex: &str, count: Value, hidden: bool| {
        json!({"axis": {"code": "A1"}, "objective": "SCHOOL_ROLE", "public": "CHILDREN", "ageBand": "AGE_6_10",
               "sex": sex, "qpvResident": true, "count": count, "hidden": hidden})
    };
    for token in [&f.coordinator, &f.holder] {
        let t = table(token);
        assert_eq!(t["total"], 38, "{t}");
        assert_eq!(
            (
                t["actionsCounted"].as_i64(),
                t["actionsWithInterimOnly"].as_i64()
            ),
            (Some(1), Some(0))
        );
        assert_eq!(
            t["cells"],
            json!([
                cell("FEMALE", json!(7), false),
                cell("MALE", json!(31), false)
            ])
        );
    }
    for token in [&f.observer, &f.other_porteur] {
        let t = table(token);
        assert_eq!(
            t["total"],
            Value::Null,
            "the total would give the hidden cell back: {t}"
        );
        assert_eq!(
            t["cells"],
            json!([
                cell("FEMALE", Value::Null, true),
                cell("MALE", json!(31), false)
            ])
        );
        // Nowhere in the figures (the provenance's hash may hold the digits 38 by chance).
        let figures = json!([t["cells"], t["total"], t["actionsCounted"]]).to_string();
        assert!(!figures.contains("38"), "{t}");
    }
    // The figure says which state of the register it comes from, and that state checks.
    let t = table(&f.coordinator);
    let position = t["provenance"]["position"].as_i64().unwrap();
    assert_eq!(position as u64, f.app.head(&f.admin));
    let checked = f.app.ok(
        &f.coordinator,
        "query($p: Int!, $h: String!) { checkDocument(position: $p, hash: $h) { matches } }",
        json!({"p": position, "h": t["provenance"]["headHash"]}),
    );
    assert_eq!(checked["checkDocument"]["matches"], true);
    assert_eq!(t["provenance"]["asOf"], Value::Null);
    // Before the report was filed, nothing is counted.
    let before = f.app.ok(
        &f.coordinator,
        query,
        json!({"asOf": {"effectiveOn": "2025-07-01"}}),
    )["beneficiaries"]
        .clone();
    assert_eq!(
        (
            before["actionsCounted"].as_i64(),
            before["cells"].clone(),
            before["total"].as_i64()
        ),
        (Some(0), json!([]), Some(0))
    );
    assert_eq!(before["provenance"]["asOf"], "état au 2025-07-01");
}

/// With a second action (held by `asso`) that has only an interim report of 4 parents: it is
/// counted and said to be interim; its small cell is seen by its own porteur only.
#[test]
fn an_action_with_only_an_interim_report_counts_and_each_porteur_sees_its_own_small_cells() {
    let f = fixture();
    for query in [
        r#"mutation { proposeAction(programmeId: "grigny", input: {id: "a2", title: "Café des parents", summary: "Se retrouver.",
            holderId: "asso", axis: "A1", publics: [PARENTS], periodStart: "2025-01-06", periodEnd: "2025-12-19",
            year: 2025, totalCost: 1000000, requested: [{funderId: "etat", amount: 500000}]}, options: {effectiveOn: "2025-01-10"}) { position } }"#,
        r#"mutation { recordCopilDecisions(programmeId: "grigny", sessionId: "copil",
            decisions: [{actionId: "a2", outcome: RETAINED, retained: [{funderId: "etat", amount: 500000}]}]) { position } }"#,
        r#"mutation { awardGrant(programmeId: "grigny", actionId: "a2", funderId: "etat", year: 2025, amount: 500000,
            act: {kind: ARRETE, reference: "2025-2", signedOn: "2025-03-10"}) { position } }"#,
        r#"mutation { startAction(programmeId: "grigny", actionId: "a2", startedOn: "2025-03-20") { position } }"#,
        r#"mutation { submitReport(programmeId: "grigny", actionId: "a2", kind: INTERIM, spent: 200000,
            summary: "Premier trimestre.", beneficiaries: [
                {public: PARENTS, ageBand: ADULT, sex: FEMALE, qpvResident: false, count: 4}],
            options: {effectiveOn: "2025-07-11"}) { position } }"#,
    ] {
        f.app.ok(&f.coordinator, query, json!({}));
    }
    let query = r#"{ beneficiaries(programmeId: "grigny", year: 2025) { total actionsCounted actionsWithInterimOnly
        cells { public sex count hidden } } }"#;
    let table = |token: &str| f.app.ok(token, query, json!({}))["beneficiaries"].clone();
    let t = table(&f.coordinator);
    assert_eq!(
        (
            t["total"].as_i64(),
            t["actionsCounted"].as_i64(),
            t["actionsWithInterimOnly"].as_i64()
        ),
        (Some(42), Some(2), Some(1))
    );
    let counts = |t: &Value| -> Vec<(String, String, Value)> {
        t["cells"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                (
                    c["public"].as_str().unwrap().to_owned(),
                    c["sex"].as_str().unwrap().to_owned(),
                    c["count"].clone(),
                )
            })
            .collect()
    };
    let all = vec![
        ("CHILDREN".to_owned(), "FEMALE".to_owned(), json!(7)),
        ("CHILDREN".to_owned(), "MALE".to_owned(), json!(31)),
        ("PARENTS".to_owned(), "FEMALE".to_owned(), json!(4)),
    ];
    assert_eq!(counts(&t), all);
    // `autre` holds a1: it sees its 7 girls, not asso's 4 parents.
    let t = table(&f.holder);
    assert_eq!(t["total"], Value::Null);
    assert_eq!(
        counts(&t),
        vec![
            all[0].clone(),
            all[1].clone(),
            ("PARENTS".to_owned(), "FEMALE".to_owned(), Value::Null)
        ]
    );
    // `asso` holds a2: the reverse.
    let t = table(&f.other_porteur);
    assert_eq!(t["total"], Value::Null);
    assert_eq!(
        counts(&t),
        vec![
            ("CHILDREN".to_owned(), "FEMALE".to_owned(), Value::Null),
            all[1].clone(),
            all[2].clone()
        ]
    );
    // The observer sees neither.
    let t = table(&f.observer);
    assert_eq!(counts(&t).iter().filter(|c| c.2.is_null()).count(), 2);
}
