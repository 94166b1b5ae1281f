//! The cité's tableau de suivi (issue « tableur »), end to end on the real binary:
//!
//! - the demo's register exported as a workbook (over HTTP), imported into a fresh store by
//!   `chronique spreadsheet import`, answers every read model (programme, partners, sessions and
//!   their relevés, actions with their money, grants, payments, opinions, decisions, reports,
//!   evaluations, budgets of each year) like the original;
//! - importing the same file again writes nothing; a CSV with three new payments writes them,
//!   and only them;
//! - LibreOffice (headless) reads the exported workbook: its payments and grants add up to the
//!   API's figures; a workbook it wrote from a hand-made CSV imports;
//! - bad files (not a spreadsheet, a missing column, a merged cell, a formula error, a date
//!   typed as text, an amount with letters, too many rows, too many bytes) get a French error
//!   naming the sheet, row and column, over HTTP and from the CLI, and write nothing;
//! - a dry run over HTTP lists what would be written and writes nothing.

mod common;

use common::*;
use serde_json::{Value, json};
use std::path::Path;
use std::process::Command;

const SETTINGS: &str = r#"query($p: ID!) {
  programme(id: $p) { name territory qpv axes(includeRetired: true) { code title objective retired }
    funders { id name kind payer } envelopes { funder { id } year amount reference } bodies { body organisations since } }
  partners(programmeId: $p) { id name kind legalForm active }
  sessions(programmeId: $p) { id body date title held cancelled present
    decisions { action { id } opinion outcome amount reason revision } }
  b2024: budget(programmeId: $p, year: 2024) { lines { funder { id } envelope requested retained granted paid toPay } total { granted paid } }
  b2025: budget(programmeId: $p, year: 2025) { lines { funder { id } envelope requested retained granted paid toPay } total { granted paid } }
  b2026: budget(programmeId: $p, year: 2026) { lines { funder { id } envelope requested retained granted paid toPay } total { granted paid } }
}"#;

const ACTIONS: &str = r#"query($p: ID!, $after: String) {
  actions(programmeId: $p, first: 20, after: $after) { pageInfo { hasNextPage endCursor } edges { node {
    id reference title summary status year periodStart periodEnd
    totalCost holder { id } axis { code } secondaryAxes { code } publics renews { id }
    money { funder { id } requested proposed retained granted paid toPay repaymentRequested repaid refused }
    grants { id funder { id } year amount actKind reference signedOn } payments { id funder { id } amount kind paidOn cancelled }
    complements { requestedOn items providedOn note }
    opinions { session { id } opinion proposed { funder { id } amount } comment givenOn }
    decision { session { id } outcome retained { funder { id } amount } reason decidedOn revised }
    reports { kind submittedOn spent summary beneficiaries { public ageBand sex qpvResident count } }
    indicators { code label target measured measuredOn } evaluation { rating findings recommendation evaluatedOn }
    finalReportDueOn } } } }"#;

/// Every read model the round trip compares: settings, sessions, budgets, and every action.
fn read_models(app: &TestApp, token: &str) -> Value {
    let mut all = app.ok(token, SETTINGS, json!({"p": "grigny"}));
    let mut actions = Vec::new();
    let mut after = Value::Null;
    loop {
        let page = app.ok(token, ACTIONS, json!({"p": "grigny", "after": after}));
        actions.extend(
            page["actions"]["edges"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["node"].clone()),
        );
        if page["actions"]["pageInfo"]["hasNextPage"] != true {
            break;
        }
        after = page["actions"]["pageInfo"]["endCursor"].clone();
    }
    all["actions"] = Value::Array(actions);
    all
}

/// Every read model of `copy` equals the `original`'s; each action field by field, so that a
/// difference names its action and field.
fn assert_same_read_models(original: &Value, copy: &Value, what: &str) {
    for (a, b) in original["actions"]
        .as_array()
        .unwrap()
        .iter()
        .zip(copy["actions"].as_array().unwrap())
    {
        for (field, value) in a.as_object().unwrap() {
            assert_eq!(
                &b[field], value,
                "« {field} » of the action {} differs after {what}",
                a["reference"]
            );
        }
    }
    for key in [
        "programme",
        "partners",
        "sessions",
        "actions",
        "b2024",
        "b2025",
        "b2026",
    ] {
        assert_eq!(
            copy[key], original[key],
            "the read model « {key} » differs after {what}"
        );
    }
}

/// `soffice` headless with a profile of its own under `dir` (tests run in parallel).
fn soffice(dir: &Path, args: &[&str]) {
    let profile = format!(
        "-env:UserInstallation=file://{}",
        dir.join("lo-profile").display()
    );
    let output = Command::new("soffice")
        .args(["--headless", "--norestore", &profile])
        .args(args)
        .output()
        .expect("LibreOffice (soffice) is installed by ./scripts/test");
    assert!(
        output.status.success(),
        "soffice {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

fn import_cli(store: &Path, file: &Path, extra: &[&str]) -> std::process::Output {
    let mut args = vec![
        "spreadsheet",
        "import",
        file.to_str().unwrap(),
        "--data-dir",
        store.to_str().unwrap(),
        "--programme",
        "grigny",
    ];
    args.extend_from_slice(extra);
    chronique(&args)
}

/// The number of rows written, as the CLI's last line says it.
fn written(output: &std::process::Output) -> usize {
    let out = stdout(output);
    let line = out
        .lines()
        .find(|l| l.starts_with("import terminé"))
        .unwrap_or_else(|| panic!("no « import terminé » in {out} / {}", stderr(output)));
    line.split_whitespace()
        .find_map(|w| w.parse().ok())
        .unwrap()
}

fn head_of(store: &Path) -> u64 {
    let output = chronique(&["verify", "--data-dir", store.to_str().unwrap()]);
    let out = stdout(&output);
    out.lines()
        .find_map(|l| l.strip_prefix("tête : position "))
        .and_then(|rest| rest.split(',').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no head in {out}"))
}

fn get_bytes(app: &TestApp, token: &str, path: &str) -> (u16, Vec<u8>) {
    let response = app
        .client
        .get(app.url(path))
        .bearer_auth(token)
        .send()
        .unwrap();
    (
        response.status().as_u16(),
        response.bytes().unwrap().to_vec(),
    )
}

fn post_import(
    app: &TestApp,
    token: &str,
    name: &str,
    bytes: Vec<u8>,
    dry_run: bool,
) -> (u16, Value) {
    let response = app
        .client
        .post(app.url(&format!(
            "/spreadsheet/import?programme=grigny&dryRun={dry_run}"
        )))
        .bearer_auth(token)
        .header("X-File-Name", name)
        .body(bytes)
        .send()
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().unwrap_or(Value::Null))
}

/// Reads a CSV LibreOffice wrote (`;`, UTF-8): header and rows.
fn lo_csv(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut lines = text.lines().map(|l| {
        l.split(';')
            .map(|c| c.trim_matches('"').to_owned())
            .collect::<Vec<_>>()
    });
    let header = lines.next().unwrap_or_default();
    (header, lines.collect())
}

#[test]
fn the_demo_register_goes_out_as_a_workbook_and_comes_back_the_same() {
    let dir = tempfile::tempdir().unwrap();
    let original_dir = dir.path().join("demo");
    let demo = spawn(&["demo"], &original_dir);
    let admin = demo.demo_token("ADMIN");
    let pilot = demo.demo_token("PILOT");
    let programme = demo.demo_programme();
    assert_eq!(programme, "grigny");

    // An avenant, so that the round trip carries one.
    let funded = demo.ok(
        &admin,
        r#"{ actions(programmeId: "grigny", filter: {status: [FUNDED, IN_PROGRESS]}, first: 50) { edges { node { id
            grants { id funder { id } amount } money { funder { id } paid } } } } }"#,
        json!({}),
    );
    let (action, grant, amount) = funded["actions"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .find_map(|e| {
            let a = &e["node"];
            a["grants"].as_array().unwrap().iter().find_map(|g| {
                let paid = a["money"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|l| l["funder"]["id"] == g["funder"]["id"])?["paid"]
                    .as_i64()?;
                let amount = g["amount"].as_i64()?;
                (amount - paid >= 200).then(|| {
                    (
                        a["id"].as_str().unwrap().to_owned(),
                        g["id"].as_str().unwrap().to_owned(),
                        paid + (amount - paid) / 2,
                    )
                })
            })
        })
        .expect("a grant not wholly paid");
    demo.ok(
        &pilot,
        "mutation($a: ID!, $g: ID!, $n: Cents!) { amendGrant(programmeId: \"grigny\", actionId: $a, grantId: $g, amount: $n, reference: \"Avenant n° 1\", reason: \"Action réduite.\") { position } }",
        json!({"a": action, "g": grant, "n": amount}),
    );

    // The register as a workbook, over HTTP.
    let (status, bytes) = get_bytes(&demo, &pilot, "/spreadsheet/export?programme=grigny");
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&bytes));
    assert!(bytes.starts_with(b"PK"), "an .xlsx is a zip");
    let workbook = dir.path().join("registre.xlsx");
    std::fs::write(&workbook, &bytes).unwrap();
    let (status, _) = get_bytes(
        &demo,
        &demo.demo_token("OBSERVER"),
        "/spreadsheet/export?programme=grigny",
    );
    assert_eq!(status, 403, "an observer may not export the whole register");
    let original = read_models(&demo, &admin);
    let events = demo.head(&admin);

    // Imported into a fresh store by the CLI.
    let copy_dir = dir.path().join("copie");
    let started = std::time::Instant::now();
    let output = import_cli(&copy_dir, &workbook, &[]);
    assert!(
        output.status.success(),
        "{}{}",
        stdout(&output),
        stderr(&output)
    );
    eprintln!(
        "spreadsheet: {} facts imported in {:.1} s",
        written(&output),
        started.elapsed().as_secs_f64()
    );
    assert_eq!(
        written(&output) as u64,
        events,
        "every event of the demo is one row"
    );

    let copy_admin = create_token(&copy_dir, "ADMIN", None, None);
    let copy = spawn_app(&copy_dir);
    let imported = read_models(&copy, &copy_admin);
    assert_same_read_models(&original, &imported, "the round trip");
    copy.kill();

    // The same file again writes nothing.
    let before = head_of(&copy_dir);
    let output = import_cli(&copy_dir, &workbook, &[]);
    assert!(
        output.status.success(),
        "{}{}",
        stdout(&output),
        stderr(&output)
    );
    assert_eq!(written(&output), 0);
    assert_eq!(head_of(&copy_dir), before);

    // Three new payments (a CSV as a treasurer keeps it: `,`, decimal point): those three only.
    let actions = original["actions"].as_array().unwrap();
    let in_progress: Vec<&Value> = actions
        .iter()
        .filter(|a| {
            a["status"] == "IN_PROGRESS"
                && a["money"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|l| l["toPay"].as_i64().unwrap() >= 300)
        })
        .take(3)
        .collect();
    assert_eq!(
        in_progress.len(),
        3,
        "the demo has actions in progress with money left to pay"
    );
    let mut csv = String::from("\u{FEFF}Référence,Financeur,Montant,Nature,Versé le\r\n");
    for a in &in_progress {
        let line = a["money"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["toPay"].as_i64().unwrap() >= 300)
            .unwrap();
        csv.push_str(&format!(
            "{},{},1.50,acompte,01/12/2026\r\n",
            a["reference"].as_str().unwrap(),
            line["funder"]["id"].as_str().unwrap()
        ));
    }
    let new_rows = dir.path().join("versements.csv");
    std::fs::write(&new_rows, &csv).unwrap();
    let output = import_cli(&copy_dir, &new_rows, &[]);
    assert!(
        output.status.success(),
        "{}{}",
        stdout(&output),
        stderr(&output)
    );
    assert_eq!(written(&output), 3);
    assert_eq!(head_of(&copy_dir), before + 3);
    let output = import_cli(&copy_dir, &new_rows, &[]);
    assert_eq!(written(&output), 0, "the three payments twice");

    // A row already imported, sent again with other content, is a conflict: refused, nothing written.
    let evaluated = actions
        .iter()
        .find(|a| !a["evaluation"].is_null())
        .expect("an evaluated action");
    let changed = dir.path().join("evaluations.csv");
    std::fs::write(
        &changed,
        format!(
            "Référence;Appréciation;Constats;Recommandation;Évaluée le\n{};atteints;Constats réécrits après coup.;reconduire;{}\n",
            evaluated["reference"].as_str().unwrap(),
            evaluated["evaluation"]["evaluatedOn"].as_str().unwrap()
        ),
    )
    .unwrap();
    let head = head_of(&copy_dir);
    let output = import_cli(&copy_dir, &changed, &[]);
    assert!(!output.status.success());
    assert!(
        stdout(&output).contains("déjà été importée avec un autre contenu"),
        "{}",
        stdout(&output)
    );
    assert_eq!(head_of(&copy_dir), head);

    // The same register as .ods comes back the same too (calamine reads what spreadsheet-ods wrote).
    let (status, ods) = get_bytes(
        &demo,
        &pilot,
        "/spreadsheet/export?programme=grigny&format=ods",
    );
    assert_eq!(status, 200);
    let ods_file = dir.path().join("registre-ods.ods");
    std::fs::write(&ods_file, &ods).unwrap();
    let ods_dir = dir.path().join("copie-ods");
    let output = import_cli(&ods_dir, &ods_file, &[]);
    assert!(
        output.status.success(),
        "{}{}",
        stdout(&output),
        stderr(&output)
    );
    let ods_admin = create_token(&ods_dir, "ADMIN", None, None);
    let ods_app = spawn_app(&ods_dir);
    let from_ods = read_models(&ods_app, &ods_admin);
    assert_same_read_models(&original, &from_ods, "the .ods round trip");
    ods_app.kill();

    // LibreOffice reads what Chronique wrote (.xlsx and .ods): payments and grants add up to the API's.
    soffice(
        dir.path(),
        &[
            "--convert-to",
            "csv:Text - txt - csv (StarCalc):59,34,76,1,,1036,false,true,false,false,false,-1",
            "--outdir",
            dir.path().join("lo").to_str().unwrap(),
            workbook.to_str().unwrap(),
            ods_file.to_str().unwrap(),
        ],
    );
    // The workbook says which state of the register it holds, and an auditor can check it.
    let notice =
        std::fs::read_to_string(dir.path().join("lo").join("registre-Notice.csv")).unwrap();
    let after = notice
        .split("position ")
        .nth(1)
        .expect("the position in the notice");
    let position: i64 = after.split_whitespace().next().unwrap().parse().unwrap();
    let hash = after.split("empreinte ").nth(1).unwrap()[..64].to_owned();
    assert_eq!(position as u64, events);
    let check = "query($p: Int!, $h: String!) { checkDocument(position: $p, hash: $h) { position hash matches } }";
    let checked = demo.ok(&admin, check, json!({"p": position, "h": hash}));
    assert_eq!(
        checked["checkDocument"],
        json!({"position": position, "hash": hash, "matches": true})
    );
    let wrong = format!(
        "{}{}",
        if hash.starts_with('0') { "1" } else { "0" },
        &hash[1..]
    );
    let checked = demo.ok(&admin, check, json!({"p": position, "h": wrong}));
    assert_eq!(checked["checkDocument"]["matches"], false);
    let beyond = demo.error(&admin, check, json!({"p": position + 1, "h": hash}));
    assert_eq!(beyond["extensions"]["code"], "VALIDATION", "{beyond}");
    assert!(
        beyond["message"]
            .as_str()
            .unwrap()
            .contains("n'est pas dans le journal"),
        "{beyond}"
    );
    let malformed = demo.error(&admin, check, json!({"p": position, "h": "abc"}));
    assert!(
        malformed["message"]
            .as_str()
            .unwrap()
            .contains("64 chiffres hexadécimaux"),
        "{malformed}"
    );
    demo.kill();
    let store = original_dir.to_str().unwrap();
    let verify = |position: i64, hash: &str| {
        chronique(&[
            "verify",
            "--data-dir",
            store,
            "--position",
            &position.to_string(),
            "--hash",
            hash,
        ])
    };
    let output = verify(position, &hash);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        stdout(&output).contains("document vérifié"),
        "{}",
        stdout(&output)
    );
    let output = verify(position, &wrong);
    assert!(!output.status.success());
    assert!(
        stderr(&output).contains("ne porte pas l'empreinte"),
        "{}",
        stderr(&output)
    );
    let output = verify(position + 1, &hash);
    assert!(!output.status.success());
    assert!(
        stderr(&output).contains("n'est pas dans le journal"),
        "{}",
        stderr(&output)
    );

    for base in ["registre", "registre-ods"] {
        let lo = |sheet: &str| lo_csv(&dir.path().join("lo").join(format!("{base}-{sheet}.csv")));
        let sum_by = |sheet: &str, amount: &str, skip: Option<&str>| {
            let (header, rows) = lo(sheet);
            let col = |name: &str| {
                header
                    .iter()
                    .position(|h| h == name)
                    .unwrap_or_else(|| panic!("{sheet}: no {name} in {header:?}"))
            };
            let mut sums = std::collections::BTreeMap::<String, i64>::new();
            for row in rows {
                if skip.is_some_and(|s| !row[col(s)].is_empty()) {
                    continue;
                }
                let euros: f64 = row[col(amount)]
                    .replace(',', ".")
                    .parse()
                    .unwrap_or_else(|_| panic!("{sheet}: {row:?}"));
                *sums.entry(row[col("Référence")].clone()).or_default() +=
                    (euros * 100.0).round() as i64;
            }
            sums
        };
        let paid = sum_by("Versements", "Montant", Some("Annulé le"));
        // Granted: each grant's amount, replaced by its avenants' new amount.
        let cents =
            |text: &str| (text.replace(',', ".").parse::<f64>().unwrap() * 100.0).round() as i64;
        let mut grants = std::collections::BTreeMap::<(String, String, String), i64>::new();
        for (sheet, amount) in [("Attributions", "Montant"), ("Avenants", "Nouveau montant")] {
            let (header, rows) = lo(sheet);
            let col = |name: &str| {
                header
                    .iter()
                    .position(|h| h == name)
                    .unwrap_or_else(|| panic!("{sheet}: no {name}"))
            };
            for row in rows {
                if sheet == "Attributions" && !row[col("Refus")].is_empty() {
                    continue;
                }
                let key = (
                    row[col("Référence")].clone(),
                    row[col("Financeur")].clone(),
                    row[col("Exercice")].clone(),
                );
                grants.insert(key, cents(&row[col(amount)]));
            }
        }
        let mut granted = std::collections::BTreeMap::<String, i64>::new();
        for ((reference, _, _), amount) in grants {
            *granted.entry(reference).or_default() += amount;
        }
        let mut checked = 0;
        for a in actions {
            let total = |f: &str| {
                a["money"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|l| l[f].as_i64().unwrap())
                    .sum::<i64>()
            };
            let reference = a["reference"].as_str().unwrap();
            assert_eq!(
                paid.get(reference).copied().unwrap_or(0),
                total("paid"),
                "paid of {reference} read by LibreOffice"
            );
            assert_eq!(
                granted.get(reference).copied().unwrap_or(0),
                total("granted"),
                "granted of {reference} read by LibreOffice"
            );
            checked += 1;
        }
        assert_eq!(checked, 75);
    }
}

#[test]
fn a_workbook_written_by_libreoffice_from_a_hand_made_csv_imports() {
    let dir = tempfile::tempdir().unwrap();
    // The settings of a new cité, typed by hand in French (dates as people write them).
    let csv = "Élément;Identifiant;Nom;Nature;Précision;Exercice;Montant;Date;Liste;QPV;Écoles;Effet le\n\
        Programme;grigny;Cité éducative de Grigny;;;;;01/09/2024;Grigny;;;02/01/2025\n\
        Axe;A1;Réussite éducative;Conforter le rôle de l'école;;;;;;;;02/01/2025\n\
        Financeur;etat;État;État;;;;;;;;02/01/2025\n\
        Enveloppe;etat;;;Notification 2025;2025;150 000,00;;;;;03/01/2025\n\
        Partenaire;asso;Association Lire;association;association;;;;;;;03/01/2025\n\
        Séance;copil-mars;COPIL de mars;COPIL;;;;14/03/2025;;;;03/01/2025\n\
        Séance tenue;copil-mars;;;;;;;Préfecture;;;\n";
    let params = dir.path().join("Paramètres.csv");
    std::fs::write(&params, csv).unwrap();
    soffice(
        dir.path(),
        &[
            "--infilter=CSV:59,34,76,1,,1036",
            "--convert-to",
            "xlsx",
            "--outdir",
            dir.path().to_str().unwrap(),
            params.to_str().unwrap(),
        ],
    );
    let workbook = dir.path().join("Paramètres.xlsx");
    let store = dir.path().join("store");
    let output = import_cli(&store, &workbook, &["--dry-run"]);
    assert!(
        output.status.success(),
        "{}{}",
        stdout(&output),
        stderr(&output)
    );
    assert!(
        stdout(&output).contains("essai : rien n'a été écrit (7 ligne(s) seraient écrites)"),
        "{}",
        stdout(&output)
    );
    let output = import_cli(&store, &workbook, &[]);
    assert!(
        output.status.success(),
        "{}{}",
        stdout(&output),
        stderr(&output)
    );
    assert_eq!(written(&output), 7);
    let admin = create_token(&store, "ADMIN", None, None);
    let app = spawn_app(&store);
    let data = app.ok(
        &admin,
        r#"{ programme(id: "grigny") { name labelledOn axes { code } envelopes { year amount reference } }
             sessions(programmeId: "grigny") { id date held present } }"#,
        json!({}),
    );
    assert_eq!(data["programme"]["labelledOn"], "2024-09-01");
    assert_eq!(
        data["programme"]["envelopes"],
        json!([{"year": 2025, "amount": 15_000_000, "reference": "Notification 2025"}])
    );
    assert_eq!(
        data["sessions"],
        json!([{"id": "copil-mars", "date": "2025-03-14", "held": true, "present": ["Préfecture"]}])
    );
    // The log names the operator by an id; the name (« import tableur ») stays outside it.
    let events = app.ok(
        &admin,
        r#"{ events(programmeId: "grigny", first: 2) { edges { node { actor actorId actorRole } } } }"#,
        json!({}),
    );
    let first = &events["events"]["edges"][0]["node"];
    assert!(
        first["actorId"].as_str().unwrap().starts_with("operator:"),
        "{first}"
    );
    assert_eq!(first["actorRole"], "ADMIN");
    assert_eq!(first["actor"], "import tableur (administrateur)");
}

/// A workbook made by rust_xlsxwriter, for the faults LibreOffice will not make from a CSV.
fn xlsx_versements(write: impl FnOnce(&mut rust_xlsxwriter::Worksheet)) -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("Versements").unwrap();
    for (c, h) in [
        "Référence",
        "Financeur",
        "Montant",
        "Nature",
        "Versé le",
        "Annulé le",
        "Motif d'annulation",
    ]
    .iter()
    .enumerate()
    {
        sheet.write_string(0, c as u16, *h).unwrap();
    }
    write(sheet);
    book.save_to_buffer().unwrap()
}

#[test]
fn bad_files_get_a_french_error_naming_where_and_write_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let demo = spawn(&["demo"], &dir.path().join("demo"));
    let pilot = demo.demo_token("PILOT");
    let admin = demo.demo_token("ADMIN");
    let head = demo.head(&admin);
    let header = "Référence;Financeur;Montant;Nature;Versé le\n";

    // A formula error, as LibreOffice computes and stores it.
    let formula = dir.path().join("Versements.csv");
    std::fs::write(
        &formula,
        format!("{header}2024-001;etat;=1/0;avance;01/12/2026\n"),
    )
    .unwrap();
    soffice(
        dir.path(),
        &[
            "--infilter=CSV:59,34,76,1,,1036",
            "--convert-to",
            "xlsx",
            "--outdir",
            dir.path().to_str().unwrap(),
            formula.to_str().unwrap(),
        ],
    );
    let formula = std::fs::read(dir.path().join("Versements.xlsx")).unwrap();

    let merged = xlsx_versements(|s| {
        s.write_string(1, 0, "2024-001").unwrap();
        s.merge_range(1, 1, 1, 2, "etat", &rust_xlsxwriter::Format::new())
            .unwrap();
    });
    let text_date = xlsx_versements(|s| {
        for (c, v) in ["2024-001", "etat"].iter().enumerate() {
            s.write_string(1, c as u16, *v).unwrap();
        }
        s.write_number(1, 2, 100.0).unwrap();
        s.write_string(1, 3, "avance").unwrap();
        s.write_string(1, 4, "14/03/2026").unwrap();
    });
    let many: String = std::iter::once(header.to_owned())
        .chain((0..20_001).map(|i| format!("2024-001;etat;{i};avance;01/12/2026\n")))
        .collect();
    let cases: Vec<(&str, Vec<u8>, &[&str])> = vec![
        (
            "tableau.xlsx",
            b"ceci n'est pas un classeur".to_vec(),
            &["n'est pas un classeur"],
        ),
        (
            "versements.csv",
            "Référence;Financeur;Nature;Versé le\n2024-001;etat;avance;01/12/2026\n"
                .as_bytes()
                .to_vec(),
            &[
                "feuille « Versements »",
                "colonne « Montant »",
                "colonne manquante",
            ],
        ),
        (
            "fusion.xlsx",
            merged,
            &["feuille « Versements »", "ligne 2", "fusionnées"],
        ),
        (
            "formule.xlsx",
            formula,
            &[
                "feuille « Versements »",
                "ligne 2",
                "colonne « Montant »",
                "erreur de formule",
            ],
        ),
        (
            "date.xlsx",
            text_date,
            &[
                "feuille « Versements »",
                "ligne 2",
                "colonne « Versé le »",
                "date saisie comme du texte",
            ],
        ),
        (
            "lettres.csv",
            format!("{header}2024-001;etat;douze euros;avance;01/12/2026\n").into_bytes(),
            &[
                "feuille « Versements »",
                "ligne 2",
                "colonne « Montant »",
                "« douze euros » n'est pas un montant",
            ],
        ),
        (
            "beaucoup.csv",
            many.into_bytes(),
            &["20001 lignes", "la limite est de 20000"],
        ),
    ];
    for (name, bytes, expected) in cases {
        let (status, body) = post_import(&demo, &pilot, name, bytes.clone(), false);
        let message = match (&body["errors"][0]["message"], &body["refusals"]) {
            (Value::String(m), _) => m.clone(),
            (_, Value::Array(r)) if !r.is_empty() => r
                .iter()
                .map(|x| {
                    format!(
                        "feuille « {} », ligne {}, colonne « {} » : {}",
                        x["sheet"].as_str().unwrap_or(""),
                        x["row"],
                        x["column"].as_str().unwrap_or(""),
                        x["message"].as_str().unwrap_or("")
                    )
                })
                .collect::<Vec<_>>()
                .join("\n"),
            _ => panic!("{name}: no error in {status} {body}"),
        };
        for e in expected {
            assert!(message.contains(e), "{name}: « {e} » not in « {message} »");
        }
        assert_eq!(demo.head(&admin), head, "{name} wrote something");
    }
    demo.kill();

    // Above 20 MB, from the CLI (the server's body limit answers the same file 413).
    let big = dir.path().join("gros.csv");
    std::fs::write(&big, vec![b'x'; 21 * 1024 * 1024]).unwrap();
    let output = import_cli(&dir.path().join("demo"), &big, &[]);
    assert!(!output.status.success());
    assert!(
        stderr(&output).contains("la limite est de 20 Mo"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn a_dry_run_over_http_lists_what_would_be_written_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let demo = spawn(&["demo"], &dir.path().join("demo"));
    let coordinator = demo.demo_token("COORDINATOR");
    let admin = demo.demo_token("ADMIN");
    let (status, template) = get_bytes(&demo, &coordinator, "/spreadsheet/template");
    assert_eq!(status, 200);
    assert!(template.starts_with(b"PK"));
    let actions = demo.ok(&admin, r#"{ actions(programmeId: "grigny", filter: {status: [IN_PROGRESS]}, first: 1) { edges { node { reference money { funder { id } toPay } } } } }"#, json!({}));
    let a = &actions["actions"]["edges"][0]["node"];
    let funder = a["money"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["toPay"].as_i64().unwrap() > 0)
        .unwrap()["funder"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let reference = a["reference"].as_str().unwrap();
    let csv = format!(
        "Référence;Financeur;Montant;Nature;Versé le\n{reference};{funder};1,00;acompte;02/12/2026\n{reference};{funder};99 999 999,00;solde;03/12/2026\n"
    );
    let head = demo.head(&admin);
    let (status, report) = post_import(
        &demo,
        &coordinator,
        "versements.csv",
        csv.clone().into_bytes(),
        true,
    );
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["dryRun"], true, "{report}");
    assert_eq!(report["written"], false);
    assert_eq!(report["sheets"][0]["sheet"], "Versements");
    assert_eq!(report["sheets"][0]["new"], 1);
    assert_eq!(report["sheets"][0]["refused"], 1);
    let refusal = &report["refusals"][0];
    assert_eq!(
        (
            refusal["row"].as_u64(),
            refusal["column"].as_str(),
            refusal["rule"].as_str()
        ),
        (Some(3), Some("Montant"), Some("payment_exceeds_granted")),
        "{refusal}"
    );
    assert_eq!(demo.head(&admin), head);
    // Without the dry run nothing is written either, since a row is refused.
    let (_, report) = post_import(
        &demo,
        &coordinator,
        "versements.csv",
        csv.into_bytes(),
        false,
    );
    assert_eq!(report["written"], false);
    assert_eq!(demo.head(&admin), head);
    // Corrected, it writes its one row, with the coordinator's name.
    let csv = format!(
        "Référence;Financeur;Montant;Nature;Versé le\n{reference};{funder};1,00;acompte;02/12/2026\n"
    );
    let (_, report) = post_import(
        &demo,
        &coordinator,
        "versements.csv",
        csv.into_bytes(),
        false,
    );
    assert_eq!(report["written"], true, "{report}");
    assert_eq!(demo.head(&admin), head + 1);
}
