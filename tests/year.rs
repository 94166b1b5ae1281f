//! A whole year of a Cité éducative through HTTP, on the real binary: from the programme's
//! establishment to the closing of its actions, each step with the token of the role that
//! DOMAIN.md gives it; then every read model checked against figures computed by hand.
//!
//! # The scenario
//!
//! Cité éducative « clichy », exercice 2025, three funders: `etat` (envelope 300 000 €, revised
//! to 280 000 €), `ville` (envelope 100 000 €), `caf` (no envelope). Nine actions:
//!
//! | id | ref | holder | axis | year | life | final status |
//! |---|---|---|---|---|---|---|
//! | a1 | 2025-001 | asso-lire | A1 | 2025 | favourable, retained, 2 grants, 3 payments (1 cancelled), interim and final reports, evaluated | CLOSED |
//! | a2 | 2025-002 | centre-social | A2 (+A1) | 2025 | complements, reserved, deferred, amended, retained at the 2nd COPIL, 2 grants, started | IN_PROGRESS |
//! | a3 | 2025-003 | college-dolto | A3 | 2025 | retained, granted, decision revised, not realised, repaid | CLOSED |
//! | a4 | 2025-004 | club-sport | A3 | 2025 | rejected | REJECTED |
//! | a5 | 2025-005 | asso-lire | A1 | 2025 | withdrawn by its holder | WITHDRAWN |
//! | a6 | 2025-006 | college-dolto | A1 | 2025 | retained at the 2nd COPIL, granted by the State, refused by the town | FUNDED |
//! | a7 | CHOR-25 | asso-lire | A3 | 2025 | never examined | PROPOSED |
//! | a8 | 2024-001 | centre-social | A2 | 2024 | the past year, entered last (back-dated) | COMPLETED |
//! | a9 | {Y}-001 | asso-lire | A1 | Y = this year | retained in March 2025, granted | FUNDED |
//!
//! Every mutation states the log position it must write: the scenario is the log, 87 events.

#![allow(
    clippy::too_many_arguments,
    reason = "the builders of expected values take one argument per field of the answer they build"
)]

mod common;

use common::*;
use serde_json::{Value, json};

const P: &str = "clichy";

/// The tokens of the scenario, one per role (and one per porteur's partner).
struct Year {
    _dir: tempfile::TempDir,
    app: TestApp,
    admin: String,
    pilot: String,
    coordinator: String,
    evaluator: String,
    observer: String,
    /// PORTEUR of asso-lire, college-dolto and centre-social.
    lire: String,
    dolto: String,
    social: String,
    /// The current year in Paris: a9's year.
    y: i32,
}

impl Year {
    fn ok(&self, token: &str, query: &str, variables: Value) -> Value {
        self.app.ok(token, query, variables)
    }

    /// Runs a mutation that must write up to `position`; returns its payload.
    fn write(&self, position: u64, token: &str, query: &str, variables: Value) -> Value {
        let data = self.ok(token, query, variables);
        let payload = data.as_object().unwrap().values().next().unwrap().clone();
        assert_eq!(
            payload["position"], position,
            "{query} with {data}: the scenario expected position {position}"
        );
        payload
    }
}

/// The current year in Paris. Around New Year, Paris is on winter time, UTC+1; the year is the
/// same in both zones the rest of the time.
fn this_year_in_paris() -> i32 {
    use chrono::Datelike;
    (chrono::Utc::now() + chrono::Duration::hours(1)).year()
}

// ------------------------------------------------------------------------------ documents

const ESTABLISH: &str = "mutation($input: EstablishProgrammeInput!, $on: Date) {
    establishProgramme(input: $input, options: {effectiveOn: $on}) { position } }";
const DEFINE_AXIS: &str = "mutation($p: ID!, $input: DefineAxisInput!, $on: Date) {
    defineAxis(programmeId: $p, input: $input, options: {effectiveOn: $on}) { position } }";
const RETIRE_AXIS: &str = "mutation($p: ID!, $code: ID!, $on: Date) {
    retireAxis(programmeId: $p, code: $code, options: {effectiveOn: $on}) { position } }";
const REGISTER_FUNDER: &str = "mutation($p: ID!, $input: RegisterFunderInput!, $on: Date) {
    registerFunder(programmeId: $p, input: $input, options: {effectiveOn: $on}) { position } }";
const NOTIFY_ENVELOPE: &str = "mutation($p: ID!, $input: NotifyEnvelopeInput!, $on: Date) {
    notifyEnvelope(programmeId: $p, input: $input, options: {effectiveOn: $on}) { position } }";
const REVISE_ENVELOPE: &str = "mutation($p: ID!, $funder: ID!, $year: Int!, $amount: Cents!, $reason: String!, $on: Date) {
    reviseEnvelope(programmeId: $p, funderId: $funder, year: $year, amount: $amount, reason: $reason, options: {effectiveOn: $on}) { position } }";
const CHANGE_BODY: &str = "mutation($p: ID!, $body: BodyKind!, $organisations: [String!]!, $on: Date) {
    changeBodyMembership(programmeId: $p, body: $body, organisations: $organisations, options: {effectiveOn: $on}) { position } }";
const REGISTER_PARTNER: &str = "mutation($p: ID!, $input: RegisterPartnerInput!, $on: Date) {
    registerPartner(programmeId: $p, input: $input, options: {effectiveOn: $on}) { position partner { id active } } }";
const PARTNER_LEAVES: &str = "mutation($p: ID!, $partner: ID!, $reason: String!, $on: Date) {
    partnerLeaves(programmeId: $p, partnerId: $partner, reason: $reason, options: {effectiveOn: $on}) { position partner { active } } }";
const SCHEDULE: &str = "mutation($p: ID!, $input: ScheduleSessionInput!, $on: Date) {
    scheduleSession(programmeId: $p, input: $input, options: {effectiveOn: $on}) { position } }";
const HELD: &str = "mutation($p: ID!, $s: ID!, $present: [String!]!, $on: Date) {
    recordSessionHeld(programmeId: $p, sessionId: $s, present: $present, options: {effectiveOn: $on}) { position session { held } } }";
const CANCEL_SESSION: &str = "mutation($p: ID!, $s: ID!, $reason: String!, $on: Date) {
    cancelSession(programmeId: $p, sessionId: $s, reason: $reason, options: {effectiveOn: $on}) { position session { cancelled } } }";
const PROPOSE: &str = "mutation($p: ID!, $input: ProposeActionInput!, $on: Date) {
    proposeAction(programmeId: $p, input: $input, options: {effectiveOn: $on}) { position warnings action { reference status } } }";
const AMEND: &str = "mutation($p: ID!, $a: ID!, $input: AmendActionInput!, $on: Date) {
    amendAction(programmeId: $p, actionId: $a, input: $input, options: {effectiveOn: $on}) { position warnings action { status } } }";
const REQUEST_COMPLEMENTS: &str = "mutation($p: ID!, $a: ID!, $items: [String!]!, $on: Date) {
    requestComplements(programmeId: $p, actionId: $a, items: $items, options: {effectiveOn: $on}) { position action { status } } }";
const PROVIDE_COMPLEMENTS: &str = "mutation($p: ID!, $a: ID!, $note: String!, $on: Date) {
    provideComplements(programmeId: $p, actionId: $a, note: $note, options: {effectiveOn: $on}) { position action { status } } }";
const WITHDRAW: &str = "mutation($p: ID!, $a: ID!, $reason: String!, $on: Date) {
    withdrawAction(programmeId: $p, actionId: $a, reason: $reason, options: {effectiveOn: $on}) { position action { status } } }";
const OPINION: &str = "mutation($p: ID!, $a: ID!, $s: ID!, $opinion: Opinion!, $proposed: [MoneyLineInput!], $comment: String) {
    giveOpinion(programmeId: $p, actionId: $a, sessionId: $s, opinion: $opinion, proposed: $proposed, comment: $comment) { position action { status } } }";
const DECIDE: &str = "mutation($p: ID!, $s: ID!, $decisions: [CopilDecisionInput!]!) {
    recordCopilDecisions(programmeId: $p, sessionId: $s, decisions: $decisions) { position actions { id status decision { decidedOn } } } }";
const REVISE: &str = "mutation($p: ID!, $a: ID!, $s: ID!, $outcome: DecisionOutcome!, $retained: [MoneyLineInput!], $reason: String!) {
    reviseDecision(programmeId: $p, actionId: $a, sessionId: $s, outcome: $outcome, retained: $retained, reason: $reason) { position action { status } } }";
const GRANT: &str = "mutation($p: ID!, $a: ID!, $funder: ID!, $year: Int!, $amount: Cents!, $act: ActInput!) {
    awardGrant(programmeId: $p, actionId: $a, funderId: $funder, year: $year, amount: $amount, act: $act) { position action { status } } }";
const REFUSE: &str = "mutation($p: ID!, $a: ID!, $funder: ID!, $reason: String!, $on: Date) {
    refuseGrant(programmeId: $p, actionId: $a, funderId: $funder, reason: $reason, options: {effectiveOn: $on}) { position } }";
const PAY: &str = "mutation($p: ID!, $a: ID!, $funder: ID!, $amount: Cents!, $kind: PaymentKind!, $on: Date!) {
    recordPayment(programmeId: $p, actionId: $a, funderId: $funder, amount: $amount, kind: $kind, paidOn: $on) { position action { payments { id } } } }";
const CANCEL_PAYMENT: &str = "mutation($p: ID!, $a: ID!, $payment: ID!, $reason: String!, $on: Date) {
    cancelPayment(programmeId: $p, actionId: $a, paymentId: $payment, reason: $reason, options: {effectiveOn: $on}) { position } }";
const START: &str = "mutation($p: ID!, $a: ID!, $on: Date!) {
    startAction(programmeId: $p, actionId: $a, startedOn: $on) { position action { status } } }";
const COMPLETE: &str = "mutation($p: ID!, $a: ID!, $on: Date!) {
    completeAction(programmeId: $p, actionId: $a, completedOn: $on) { position action { status } } }";
const NOT_REALISED: &str = "mutation($p: ID!, $a: ID!, $reason: String!, $on: Date) {
    attestNonRealisation(programmeId: $p, actionId: $a, reason: $reason, options: {effectiveOn: $on}) { position action { status } } }";
const REQUEST_REPAYMENT: &str = "mutation($p: ID!, $a: ID!, $funder: ID!, $amount: Cents!, $reason: String!, $on: Date) {
    requestRepayment(programmeId: $p, actionId: $a, funderId: $funder, amount: $amount, reason: $reason, options: {effectiveOn: $on}) { position } }";
const RECORD_REPAYMENT: &str = "mutation($p: ID!, $a: ID!, $funder: ID!, $amount: Cents!, $on: Date!) {
    recordRepayment(programmeId: $p, actionId: $a, funderId: $funder, amount: $amount, receivedOn: $on) { position } }";
const REPORT: &str = "mutation($p: ID!, $a: ID!, $kind: ReportKind!, $spent: Cents!, $summary: String!, $beneficiaries: [BeneficiaryInput!]!, $on: Date) {
    submitReport(programmeId: $p, actionId: $a, kind: $kind, spent: $spent, summary: $summary, beneficiaries: $beneficiaries, options: {effectiveOn: $on}) { position action { status } } }";
const MEASURE: &str = "mutation($p: ID!, $a: ID!, $code: String!, $value: Float!, $on: Date!) {
    measureIndicator(programmeId: $p, actionId: $a, code: $code, value: $value, measuredOn: $on) { position } }";
const EVALUATE: &str = "mutation($p: ID!, $a: ID!, $rating: Rating!, $findings: String!, $recommendation: Recommendation!, $on: Date) {
    evaluateAction(programmeId: $p, actionId: $a, rating: $rating, findings: $findings, recommendation: $recommendation, options: {effectiveOn: $on}) { position action { status } } }";
const CLOSE: &str = "mutation($p: ID!, $a: ID!, $on: Date) {
    closeAction(programmeId: $p, actionId: $a, options: {effectiveOn: $on}) { position action { status } } }";

fn line(funder: &str, amount: i64) -> Value {
    json!({"funderId": funder, "amount": amount})
}

fn act(kind: &str, reference: &str, signed_on: &str) -> Value {
    json!({"kind": kind, "reference": reference, "signedOn": signed_on})
}

fn cell(public: &str, age: &str, sex: &str, count: i64) -> Value {
    json!({"public": public, "ageBand": age, "sex": sex, "qpvResident": true, "count": count})
}

// ------------------------------------------------------------------------------ the year

/// Plays the whole scenario; see the module's documentation.
fn play() -> Year {
    let dir = tempfile::tempdir().unwrap();
    let admin = create_token(dir.path(), "ADMIN", None, None);
    let app = spawn_app(dir.path());
    let token = |role: &str, partner: Option<&str>, name: &str| {
        app.new_token(&admin, role, Some(P), partner, name)
    };
    let pilot = token("PILOT", None, "Préfète déléguée");
    let coordinator = token("COORDINATOR", None, "Cheffe de projet");
    let evaluator = token("EVALUATOR", None, "INJEP");
    let observer = token("OBSERVER", None, "Alliance");
    let lire = token("PORTEUR", Some("asso-lire"), "Lire 93");
    let dolto = token("PORTEUR", Some("college-dolto"), "Principal Dolto");
    let social = token("PORTEUR", Some("centre-social"), "Centre social");
    let y = Year {
        _dir: dir,
        app,
        admin,
        pilot,
        coordinator,
        evaluator,
        observer,
        lire,
        dolto,
        social,
        y: this_year_in_paris(),
    };
    setup(&y);
    proposals(&y);
    first_copil(&y);
    spring(&y);
    second_copil(&y);
    autumn(&y);
    past_year(&y);
    y
}

/// Positions 1 to 20: the programme, its axes, funders, envelopes, partners and sessions.
fn setup(y: &Year) {
    y.write(
        1,
        &y.admin,
        ESTABLISH,
        json!({"on": "2024-09-01", "input": {"id": P, "name": "Cité éducative de Clichy-sous-Bois",
            "territory": ["Clichy-sous-Bois"], "qpv": ["Le Chêne Pointu", "Bois du Temple"],
            "labelledOn": "2019-09-05"}}),
    );
    let axes = [
        ("A1", "Réussite éducative", "SCHOOL_ROLE"),
        ("A2", "Parentalité", "EDUCATIONAL_CONTINUITY"),
        ("A3", "Ouverture culturelle et sportive", "WIDER_HORIZONS"),
        ("A4", "Numérique éducatif", "SCHOOL_ROLE"),
    ];
    for (position, (code, title, objective)) in (2..).zip(axes) {
        y.write(
            position,
            &y.pilot,
            DEFINE_AXIS,
            json!({"p": P, "on": "2024-09-15", "input": {"code": code, "title": title, "objective": objective}}),
        );
    }
    y.write(
        6,
        &y.pilot,
        RETIRE_AXIS,
        json!({"p": P, "code": "A4", "on": "2024-10-01"}),
    );
    let funders = [
        ("etat", "État – crédits Cité éducative", "STATE"),
        ("ville", "Ville de Clichy-sous-Bois", "MUNICIPALITY"),
        ("caf", "CAF de la Seine-Saint-Denis", "CAF"),
    ];
    for (position, (id, name, kind)) in (7..).zip(funders) {
        y.write(
            position,
            &y.pilot,
            REGISTER_FUNDER,
            json!({"p": P, "on": "2024-09-15", "input": {"id": id, "name": name, "kind": kind}}),
        );
    }
    y.write(
        10,
        &y.pilot,
        NOTIFY_ENVELOPE,
        json!({"p": P, "on": "2025-01-10", "input": {"funderId": "etat", "year": 2025, "amount": 30_000_000, "reference": "Arrêté P147-2025"}}),
    );
    y.write(
        11,
        &y.pilot,
        NOTIFY_ENVELOPE,
        json!({"p": P, "on": "2025-01-10", "input": {"funderId": "ville", "year": 2025, "amount": 10_000_000}}),
    );
    y.write(
        12,
        &y.pilot,
        CHANGE_BODY,
        json!({"p": P, "on": "2024-09-15", "body": "COPIL",
               "organisations": ["Préfecture", "Rectorat", "Ville de Clichy-sous-Bois"]}),
    );
    // Their legal forms: a collège is an EPLE (public law), the others associations.
    let partners = [
        (
            "asso-lire",
            "Lire et faire lire 93",
            "ASSOCIATION",
            Some("732 829 320 00074"),
            "ASSOCIATION",
        ),
        (
            "college-dolto",
            "Collège Françoise Dolto",
            "COLLEGE",
            None,
            "EPLE",
        ),
        (
            "centre-social",
            "Centre social de l'Orangerie",
            "SOCIAL",
            None,
            "ASSOCIATION",
        ),
        (
            "club-sport",
            "Étoile sportive de Clichy",
            "SPORT",
            None,
            "ASSOCIATION",
        ),
    ];
    for (position, (id, name, kind, siret, legal_form)) in (13..).zip(partners) {
        let payload = y.write(
            position,
            &y.coordinator,
            REGISTER_PARTNER,
            json!({"p": P, "on": "2024-09-20", "input": {"id": id, "name": name, "kind": kind,
                   "siret": siret, "legalForm": legal_form}}),
        );
        assert_eq!(payload["partner"], json!({"id": id, "active": true}));
    }
    let sessions = [
        ("cotech-1", "COTECH", "2025-02-10", "COTECH de février"),
        ("copil-1", "COPIL", "2025-03-14", "COPIL de printemps"),
        ("cotech-2", "COTECH", "2025-04-01", "COTECH d'avril"),
        ("copil-2", "COPIL", "2025-06-20", "COPIL d'été"),
    ];
    for (position, (id, body, date, title)) in (17..).zip(sessions) {
        y.write(
            position,
            &y.coordinator,
            SCHEDULE,
            json!({"p": P, "on": "2025-01-06", "input": {"id": id, "body": body, "date": date, "title": title}}),
        );
    }
}

fn proposal(
    id: &str,
    reference: Option<&str>,
    title: &str,
    summary: &str,
    holder: &str,
    axis: &str,
    year: i32,
    period: (&str, &str),
    total_cost: i64,
    requested: Vec<Value>,
) -> Value {
    json!({"id": id, "reference": reference, "title": title, "summary": summary,
           "holderId": holder, "axis": axis, "publics": ["CHILDREN"], "qpv": ["Le Chêne Pointu"],
           "periodStart": period.0, "periodEnd": period.1, "year": year,
           "totalCost": total_cost, "requested": requested})
}

/// Positions 21 to 36: the proposals, complements, a withdrawal, the COTECH and its opinions.
fn proposals(y: &Year) {
    // a1, by its porteur: 24 000 € asked for 30 000 €, exactly 800 ‰: no warning.
    let mut a1 = proposal(
        "a1",
        None,
        "Coup de pouce lecture",
        "Clubs de lecture pour les CP et CE1 en difficulté.",
        "asso-lire",
        "A1",
        2025,
        ("2025-01-06", "2025-07-04"),
        3_000_000,
        vec![line("etat", 2_000_000), line("ville", 400_000)],
    );
    a1["publics"] = json!(["CHILDREN", "PARENTS"]);
    a1["indicators"] =
        json!([{"code": "lecteurs", "label": "Élèves lecteurs fluides", "target": 40}]);
    a1["externalRefs"] = json!(["DAUPHIN-2025-00042"]);
    let payload = y.write(
        21,
        &y.lire,
        PROPOSE,
        json!({"p": P, "on": "2025-01-15", "input": a1}),
    );
    assert_eq!(
        payload["action"],
        json!({"reference": "2025-001", "status": "PROPOSED"})
    );
    assert_eq!(payload["warnings"], json!([]));
    // a2, by the coordinator for the centre social: 10 000 € of 12 000 €, 833 ‰ > 800 ‰.
    let mut a2 = proposal(
        "a2",
        None,
        "Ateliers parents-école",
        "Rencontres mensuelles entre familles et enseignants.",
        "centre-social",
        "A2",
        2025,
        ("2025-09-01", "2026-06-30"),
        1_200_000,
        vec![line("etat", 800_000), line("caf", 200_000)],
    );
    a2["secondaryAxes"] = json!(["A1"]);
    a2["publics"] = json!(["PARENTS"]);
    let payload = y.write(
        22,
        &y.coordinator,
        PROPOSE,
        json!({"p": P, "on": "2025-01-16", "input": a2}),
    );
    assert_eq!(payload["warnings"], json!(["request_above_cap"]));
    let a3 = proposal(
        "a3",
        None,
        "Sorties culturelles",
        "Visites de musées et spectacles pour les collégiens.",
        "college-dolto",
        "A3",
        2025,
        ("2025-03-01", "2025-12-31"),
        4_000_000,
        vec![line("etat", 2_500_000), line("ville", 500_000)],
    );
    y.write(
        23,
        &y.dolto,
        PROPOSE,
        json!({"p": P, "on": "2025-01-17", "input": a3}),
    );
    let a4 = proposal(
        "a4",
        None,
        "Stage de football",
        "Stage sportif pendant les vacances de printemps.",
        "club-sport",
        "A3",
        2025,
        ("2025-04-14", "2025-04-25"),
        500_000,
        vec![line("ville", 300_000)],
    );
    y.write(
        24,
        &y.coordinator,
        PROPOSE,
        json!({"p": P, "on": "2025-01-18", "input": a4}),
    );
    let a5 = proposal(
        "a5",
        None,
        "Aide aux devoirs numérique",
        "Tablettes et tutorat en ligne.",
        "asso-lire",
        "A1",
        2025,
        ("2025-02-01", "2025-12-31"),
        1_000_000,
        vec![line("etat", 600_000)],
    );
    y.write(
        25,
        &y.lire,
        PROPOSE,
        json!({"p": P, "on": "2025-01-18", "input": a5}),
    );
    let a6 = proposal(
        "a6",
        None,
        "Parcours orientation",
        "Découverte des métiers pour les élèves de troisième.",
        "college-dolto",
        "A1",
        2025,
        ("2025-09-01", "2026-06-30"),
        1_500_000,
        vec![line("etat", 1_000_000), line("ville", 200_000)],
    );
    y.write(
        26,
        &y.dolto,
        PROPOSE,
        json!({"p": P, "on": "2025-01-20", "input": a6}),
    );

    let payload = y.write(
        27,
        &y.coordinator,
        REQUEST_COMPLEMENTS,
        json!({"p": P, "a": "a2", "on": "2025-01-20", "items": ["Budget détaillé", "Calendrier des ateliers"]}),
    );
    assert_eq!(payload["action"]["status"], "COMPLEMENTS_REQUESTED");
    let payload = y.write(
        28,
        &y.social,
        PROVIDE_COMPLEMENTS,
        json!({"p": P, "a": "a2", "on": "2025-01-27", "note": "Budget et calendrier joints"}),
    );
    assert_eq!(payload["action"]["status"], "PROPOSED");
    let payload = y.write(
        29,
        &y.lire,
        WITHDRAW,
        json!({"p": P, "a": "a5", "on": "2025-02-03", "reason": "Financement trouvé auprès de la Région"}),
    );
    assert_eq!(payload["action"]["status"], "WITHDRAWN");

    y.write(
        30,
        &y.coordinator,
        HELD,
        json!({"p": P, "s": "cotech-1", "on": "2025-02-10",
               "present": ["Ville de Clichy-sous-Bois", "Préfecture", "Collège Françoise Dolto"]}),
    );
    let opinions = [
        (
            "a1",
            "FAVOURABLE",
            vec![line("etat", 2_000_000), line("ville", 400_000)],
            Some("Action reconduite"),
        ),
        (
            "a2",
            "RESERVED",
            vec![line("etat", 600_000)],
            Some("Budget à consolider"),
        ),
        (
            "a3",
            "FAVOURABLE",
            vec![line("etat", 2_500_000), line("ville", 500_000)],
            None,
        ),
        (
            "a6",
            "FAVOURABLE",
            vec![line("etat", 1_000_000), line("ville", 200_000)],
            None,
        ),
    ];
    for (position, (action, opinion, proposed, comment)) in (31..).zip(opinions) {
        let payload = y.write(
            position,
            &y.coordinator,
            OPINION,
            json!({"p": P, "a": action, "s": "cotech-1", "opinion": opinion, "proposed": proposed, "comment": comment}),
        );
        assert_eq!(payload["action"]["status"], "UNDER_REVIEW");
    }
    let a9 = proposal(
        "a9",
        None,
        "Vacances apprenantes",
        "Ateliers d'été pour les enfants du quartier.",
        "asso-lire",
        "A1",
        y.y,
        (&format!("{}-07-06", y.y), &format!("{}-08-28", y.y)),
        500_000,
        vec![line("etat", 200_000)],
    );
    let payload = y.write(
        35,
        &y.lire,
        PROPOSE,
        json!({"p": P, "on": "2025-02-20", "input": a9}),
    );
    assert_eq!(payload["action"]["reference"], format!("{}-001", y.y));
    let mut a7 = proposal(
        "a7",
        Some("CHOR-25"),
        "Chorale inter-écoles",
        "Une chorale commune aux écoles du quartier.",
        "asso-lire",
        "A3",
        2025,
        ("2025-09-01", "2026-06-30"),
        800_000,
        vec![line("caf", 400_000)],
    );
    a7["secondaryAxes"] = json!(["A2"]);
    let payload = y.write(
        36,
        &y.lire,
        PROPOSE,
        json!({"p": P, "on": "2025-02-24", "input": a7}),
    );
    assert_eq!(payload["action"]["reference"], "CHOR-25");
}

/// Positions 37 to 42: the first COPIL decides five actions in one call.
fn first_copil(y: &Year) {
    y.write(
        37,
        &y.coordinator,
        HELD,
        json!({"p": P, "s": "copil-1", "on": "2025-03-14",
               "present": ["Préfecture", "Rectorat", "Ville de Clichy-sous-Bois"]}),
    );
    let payload = y.write(
        42,
        &y.pilot,
        DECIDE,
        json!({"p": P, "s": "copil-1", "decisions": [
            {"actionId": "a1", "outcome": "RETAINED", "retained": [line("etat", 1_800_000), line("ville", 400_000)]},
            {"actionId": "a2", "outcome": "DEFERRED", "reason": "Budget à préciser"},
            {"actionId": "a3", "outcome": "RETAINED", "retained": [line("etat", 2_500_000), line("ville", 500_000)]},
            {"actionId": "a4", "outcome": "REJECTED", "reason": "Hors des axes de la cité"},
            {"actionId": "a9", "outcome": "RETAINED", "retained": [line("etat", 200_000)]},
        ]}),
    );
    // The effective date of a decision is the session's.
    assert_eq!(
        payload["actions"],
        json!([
            {"id": "a1", "status": "RETAINED", "decision": {"decidedOn": "2025-03-14"}},
            {"id": "a2", "status": "DEFERRED", "decision": {"decidedOn": "2025-03-14"}},
            {"id": "a3", "status": "RETAINED", "decision": {"decidedOn": "2025-03-14"}},
            {"id": "a4", "status": "REJECTED", "decision": {"decidedOn": "2025-03-14"}},
            {"id": "a9", "status": "RETAINED", "decision": {"decidedOn": "2025-03-14"}},
        ])
    );
}

/// Positions 43 to 56: grants, a cancelled COTECH, payments (one cancelled), the envelope
/// revised, an amendment of the deferred action, a measure and an interim report.
fn spring(y: &Year) {
    let payload = y.write(
        43,
        &y.coordinator,
        GRANT,
        json!({"p": P, "a": "a1", "funder": "etat", "year": 2025, "amount": 1_800_000,
               "act": act("ARRETE", "2025-031", "2025-04-02")}),
    );
    assert_eq!(payload["action"]["status"], "FUNDED");
    y.write(
        44,
        &y.pilot,
        GRANT,
        json!({"p": P, "a": "a1", "funder": "ville", "year": 2025, "amount": 400_000,
               "act": act("DELIBERATION", "2025-044", "2025-04-03")}),
    );
    // 25 000 € is above 23 000 €: a convention.
    y.write(
        45,
        &y.coordinator,
        GRANT,
        json!({"p": P, "a": "a3", "funder": "etat", "year": 2025, "amount": 2_500_000,
               "act": act("CONVENTION", "2025-012", "2025-04-05")}),
    );
    let payload = y.write(
        46,
        &y.coordinator,
        CANCEL_SESSION,
        json!({"p": P, "s": "cotech-2", "on": "2025-03-28", "reason": "Grève des transports"}),
    );
    assert_eq!(payload["session"]["cancelled"], true);
    let payload = y.write(
        47,
        &y.lire,
        START,
        json!({"p": P, "a": "a1", "on": "2025-04-07"}),
    );
    assert_eq!(payload["action"]["status"], "IN_PROGRESS");
    y.write(
        48,
        &y.coordinator,
        PAY,
        json!({"p": P, "a": "a1", "funder": "etat", "amount": 900_000, "kind": "ADVANCE", "on": "2025-04-15"}),
    );
    let payload = y.write(
        49,
        &y.coordinator,
        PAY,
        json!({"p": P, "a": "a1", "funder": "etat", "amount": 400_000, "kind": "INSTALMENT", "on": "2025-05-10"}),
    );
    assert_eq!(
        payload["action"]["payments"],
        json!([{"id": "v1"}, {"id": "v2"}])
    );
    y.write(
        50,
        &y.coordinator,
        CANCEL_PAYMENT,
        json!({"p": P, "a": "a1", "payment": "v2", "on": "2025-05-12", "reason": "Saisi deux fois"}),
    );
    y.write(
        51,
        &y.pilot,
        REVISE_ENVELOPE,
        json!({"p": P, "funder": "etat", "year": 2025, "amount": 28_000_000, "reason": "Gel de crédits", "on": "2025-05-01"}),
    );
    // Deferred, amended, still deferred: 9 000 € of 12 000 € is 750 ‰, no warning.
    let payload = y.write(
        52,
        &y.social,
        AMEND,
        json!({"p": P, "a": "a2", "on": "2025-04-10",
               "input": {"requested": [line("etat", 700_000), line("caf", 200_000)]}}),
    );
    assert_eq!(payload["action"]["status"], "DEFERRED");
    assert_eq!(payload["warnings"], json!([]));
    y.write(
        53,
        &y.coordinator,
        PAY,
        json!({"p": P, "a": "a1", "funder": "ville", "amount": 400_000, "kind": "BALANCE", "on": "2025-05-20"}),
    );
    y.write(
        54,
        &y.coordinator,
        PAY,
        json!({"p": P, "a": "a3", "funder": "etat", "amount": 1_000_000, "kind": "ADVANCE", "on": "2025-05-02"}),
    );
    y.write(
        55,
        &y.lire,
        MEASURE,
        json!({"p": P, "a": "a1", "code": "lecteurs", "value": 32.0, "on": "2025-06-16"}),
    );
    y.write(
        56,
        &y.lire,
        REPORT,
        json!({"p": P, "a": "a1", "kind": "INTERIM", "spent": 1_500_000, "summary": "Mi-parcours : 26 enfants suivis.",
               "on": "2025-06-16", "beneficiaries": [
                   cell("CHILDREN", "AGE_6_10", "FEMALE", 14), cell("CHILDREN", "AGE_6_10", "MALE", 12)]}),
    );
}

/// Positions 57 to 65: the second COPIL, a revision, grants and a refusal.
fn second_copil(y: &Year) {
    y.write(
        57,
        &y.coordinator,
        HELD,
        json!({"p": P, "s": "copil-2", "on": "2025-06-20",
               "present": ["Préfecture", "Rectorat", "Ville de Clichy-sous-Bois", "CAF"]}),
    );
    y.write(
        59,
        &y.pilot,
        DECIDE,
        json!({"p": P, "s": "copil-2", "decisions": [
            {"actionId": "a2", "outcome": "RETAINED", "retained": [line("etat", 600_000), line("caf", 200_000)]},
            {"actionId": "a6", "outcome": "RETAINED", "retained": [line("etat", 1_000_000), line("ville", 200_000)]},
        ]}),
    );
    // The State's 25 000 € are granted: the revision keeps them, the town's share is reduced.
    let payload = y.write(
        60,
        &y.pilot,
        REVISE,
        json!({"p": P, "a": "a3", "s": "copil-2", "outcome": "RETAINED",
               "retained": [line("etat", 2_500_000), line("ville", 300_000)],
               "reason": "Participation de la ville réduite"}),
    );
    assert_eq!(payload["action"]["status"], "FUNDED");
    y.write(
        61,
        &y.coordinator,
        GRANT,
        json!({"p": P, "a": "a3", "funder": "ville", "year": 2025, "amount": 300_000,
               "act": act("DELIBERATION", "2025-090", "2025-06-27")}),
    );
    y.write(
        62,
        &y.coordinator,
        GRANT,
        json!({"p": P, "a": "a2", "funder": "etat", "year": 2025, "amount": 600_000,
               "act": act("ARRETE", "2025-077", "2025-07-01")}),
    );
    y.write(
        63,
        &y.coordinator,
        GRANT,
        json!({"p": P, "a": "a2", "funder": "caf", "year": 2025, "amount": 200_000,
               "act": act("CONVENTION", "CAF-2025-7", "2025-07-02")}),
    );
    y.write(
        64,
        &y.coordinator,
        GRANT,
        json!({"p": P, "a": "a6", "funder": "etat", "year": 2025, "amount": 1_000_000,
               "act": act("ARRETE", "2025-078", "2025-07-03")}),
    );
    y.write(
        65,
        &y.pilot,
        REFUSE,
        json!({"p": P, "a": "a6", "funder": "ville", "reason": "Crédits municipaux épuisés", "on": "2025-07-03"}),
    );
}

/// Positions 66 to 78: a1 completed, reported, paid, evaluated and closed; a2 started; a3 not
/// realised, repaid and closed; a partner leaves.
fn autumn(y: &Year) {
    let payload = y.write(
        66,
        &y.lire,
        COMPLETE,
        json!({"p": P, "a": "a1", "on": "2025-07-04"}),
    );
    assert_eq!(payload["action"]["status"], "COMPLETED");
    y.write(
        67,
        &y.lire,
        MEASURE,
        json!({"p": P, "a": "a1", "code": "lecteurs", "value": 41.0, "on": "2025-07-04"}),
    );
    y.write(
        68,
        &y.coordinator,
        PAY,
        json!({"p": P, "a": "a2", "funder": "etat", "amount": 300_000, "kind": "ADVANCE", "on": "2025-07-15"}),
    );
    let payload = y.write(
        69,
        &y.lire,
        REPORT,
        json!({"p": P, "a": "a1", "kind": "FINAL", "spent": 2_900_000, "summary": "41 élèves lecteurs fluides sur 26 suivis et 6 mères.",
               "on": "2025-07-10", "beneficiaries": [
                   cell("CHILDREN", "AGE_6_10", "FEMALE", 14), cell("CHILDREN", "AGE_6_10", "MALE", 12),
                   cell("PARENTS", "ADULT", "FEMALE", 6)]}),
    );
    assert_eq!(payload["action"]["status"], "REPORTED");
    // A payment is still allowed once reported: the State's balance.
    y.write(
        70,
        &y.coordinator,
        PAY,
        json!({"p": P, "a": "a1", "funder": "etat", "amount": 900_000, "kind": "BALANCE", "on": "2025-09-20"}),
    );
    y.write(
        71,
        &y.social,
        START,
        json!({"p": P, "a": "a2", "on": "2025-09-01"}),
    );
    let payload = y.write(
        72,
        &y.dolto,
        NOT_REALISED,
        json!({"p": P, "a": "a3", "on": "2025-10-15", "reason": "Fermeture du musée partenaire"}),
    );
    assert_eq!(payload["action"]["status"], "NOT_REALISED");
    y.write(
        73,
        &y.coordinator,
        REQUEST_REPAYMENT,
        json!({"p": P, "a": "a3", "funder": "etat", "amount": 1_000_000, "reason": "Action non réalisée", "on": "2025-10-20"}),
    );
    let payload = y.write(
        74,
        &y.evaluator,
        EVALUATE,
        json!({"p": P, "a": "a1", "rating": "ACHIEVED", "findings": "Progrès nets en lecture.",
               "recommendation": "RENEW", "on": "2025-11-05"}),
    );
    assert_eq!(payload["action"]["status"], "EVALUATED");
    y.write(
        75,
        &y.coordinator,
        RECORD_REPAYMENT,
        json!({"p": P, "a": "a3", "funder": "etat", "amount": 1_000_000, "on": "2025-12-01"}),
    );
    let payload = y.write(
        76,
        &y.coordinator,
        CLOSE,
        json!({"p": P, "a": "a1", "on": "2025-12-10"}),
    );
    assert_eq!(payload["action"]["status"], "CLOSED");
    let payload = y.write(
        77,
        &y.pilot,
        CLOSE,
        json!({"p": P, "a": "a3", "on": "2025-12-10"}),
    );
    assert_eq!(payload["action"]["status"], "CLOSED");
    let payload = y.write(
        78,
        &y.pilot,
        PARTNER_LEAVES,
        json!({"p": P, "partner": "club-sport", "reason": "Association dissoute", "on": "2025-12-15"}),
    );
    assert_eq!(payload["partner"]["active"], false);
}

/// Positions 79 to 87: the cité enters its past year 2024 (a8, back-dated), and a9's grant.
fn past_year(y: &Year) {
    y.write(
        79,
        &y.coordinator,
        SCHEDULE,
        json!({"p": P, "on": "2024-10-15", "input": {"id": "copil-0", "body": "COPIL", "date": "2024-11-15", "title": "COPIL d'automne 2024"}}),
    );
    let a8 = proposal(
        "a8",
        None,
        "Café des parents",
        "Un lieu d'accueil pour les parents au centre social.",
        "centre-social",
        "A2",
        2024,
        ("2024-10-01", "2025-06-30"),
        600_000,
        vec![line("etat", 500_000)],
    );
    let payload = y.write(
        80,
        &y.coordinator,
        PROPOSE,
        json!({"p": P, "on": "2024-10-01", "input": a8}),
    );
    assert_eq!(payload["action"]["reference"], "2024-001");
    y.write(
        81,
        &y.coordinator,
        HELD,
        json!({"p": P, "s": "copil-0", "on": "2024-11-15", "present": ["Préfecture", "Ville de Clichy-sous-Bois"]}),
    );
    y.write(
        82,
        &y.pilot,
        DECIDE,
        json!({"p": P, "s": "copil-0", "decisions": [
            {"actionId": "a8", "outcome": "RETAINED", "retained": [line("etat", 500_000)]}]}),
    );
    y.write(
        83,
        &y.coordinator,
        GRANT,
        json!({"p": P, "a": "a8", "funder": "etat", "year": 2024, "amount": 500_000,
               "act": act("ARRETE", "2024-101", "2024-12-01")}),
    );
    y.write(
        84,
        &y.coordinator,
        PAY,
        json!({"p": P, "a": "a8", "funder": "etat", "amount": 500_000, "kind": "BALANCE", "on": "2024-12-15"}),
    );
    y.write(
        85,
        &y.social,
        START,
        json!({"p": P, "a": "a8", "on": "2025-01-06"}),
    );
    y.write(
        86,
        &y.social,
        COMPLETE,
        json!({"p": P, "a": "a8", "on": "2025-06-30"}),
    );
    let payload = y.write(
        87,
        &y.coordinator,
        GRANT,
        json!({"p": P, "a": "a9", "funder": "etat", "year": y.y, "amount": 200_000,
               "act": act("ARRETE", &format!("{}-001", y.y), "2025-04-10")}),
    );
    assert_eq!(payload["action"]["status"], "FUNDED");
}

// ------------------------------------------------------------------------------ the checks

#[test]
fn a_whole_year_through_http_gives_the_figures_computed_by_hand() {
    let y = play();
    assert_eq!(y.app.head(&y.admin), 87);
    check_programme(&y);
    check_actions_list(&y);
    check_action_a1(&y);
    check_other_actions(&y);
    check_timeline(&y);
    check_sessions(&y);
    check_budget(&y);
    check_reports_due(&y);
    check_changes(&y);
    check_as_of(&y);
    check_raw_log(&y);
}

// Actors as the log names them: the token's name and its role in French.
const ADMIN: &str = "Test (administrateur)";
const PILOT: &str = "Préfète déléguée (pilote)";
const COORDINATOR: &str = "Cheffe de projet (coordination)";
const EVALUATOR: &str = "INJEP (évaluateur)";
const LIRE: &str = "Lire 93 (porteur de projet)";
const DOLTO: &str = "Principal Dolto (porteur de projet)";

const ETAT: &str = "État – crédits Cité éducative";
const VILLE: &str = "Ville de Clichy-sous-Bois";

fn check_programme(y: &Year) {
    let data = y.ok(
        &y.evaluator,
        "query($p: ID!) { programme(id: $p) { id name territory qpv labelledOn requestCapPermille version
            axes { code title objective retired } all: axes(includeRetired: true) { code retired }
            funders { id name kind } envelopes(year: 2025) { funder { id } year amount reference }
            bodies { body organisations since }
            history { position kind summary effectiveOn actor } }
          partners(programmeId: $p) { id name kind siret active } }",
        json!({"p": P}),
    );
    let p = &data["programme"];
    assert_eq!(p["name"], "Cité éducative de Clichy-sous-Bois");
    assert_eq!(p["territory"], json!(["Clichy-sous-Bois"]));
    assert_eq!(p["qpv"], json!(["Le Chêne Pointu", "Bois du Temple"]));
    assert_eq!(p["labelledOn"], "2019-09-05");
    assert_eq!(p["requestCapPermille"], 800, "the default cap");
    // Positions 1 to 12 and 51 are the programme's own stream.
    assert_eq!(p["version"], 13);
    assert_eq!(
        p["axes"],
        json!([
            {"code": "A1", "title": "Réussite éducative", "objective": "SCHOOL_ROLE", "retired": false},
            {"code": "A2", "title": "Parentalité", "objective": "EDUCATIONAL_CONTINUITY", "retired": false},
            {"code": "A3", "title": "Ouverture culturelle et sportive", "objective": "WIDER_HORIZONS", "retired": false},
        ])
    );
    assert_eq!(
        p["all"],
        json!([{"code": "A1", "retired": false}, {"code": "A2", "retired": false},
               {"code": "A3", "retired": false}, {"code": "A4", "retired": true}])
    );
    assert_eq!(
        p["funders"],
        json!([{"id": "etat", "name": ETAT, "kind": "STATE"},
               {"id": "ville", "name": VILLE, "kind": "MUNICIPALITY"},
               {"id": "caf", "name": "CAF de la Seine-Saint-Denis", "kind": "CAF"}])
    );
    // The State's envelope as revised at position 51.
    assert_eq!(
        p["envelopes"],
        json!([{"funder": {"id": "etat"}, "year": 2025, "amount": 28_000_000, "reference": "Arrêté P147-2025"},
               {"funder": {"id": "ville"}, "year": 2025, "amount": 10_000_000, "reference": null}])
    );
    assert_eq!(
        p["bodies"],
        json!([{"body": "COPIL", "organisations": ["Préfecture", "Rectorat", VILLE], "since": "2024-09-15"}])
    );
    let axis = |position: u64, code: &str, title: &str, objective: &str| {
        json!({"position": position, "kind": "AxisDefined", "effectiveOn": "2024-09-15", "actor": PILOT,
               "summary": format!("Axe {code} « {title} » défini (objectif national : {objective})")})
    };
    let funder = |position: u64, name: &str, kind: &str| {
        json!({"position": position, "kind": "FunderRegistered", "effectiveOn": "2024-09-15", "actor": PILOT,
               "summary": format!("Financeur « {name} » enregistré ({kind})")})
    };
    assert_eq!(
        p["history"],
        json!([
            {"position": 1, "kind": "ProgrammeEstablished", "effectiveOn": "2024-09-01", "actor": ADMIN,
             "summary": "Cité éducative « Cité éducative de Clichy-sous-Bois » créée (labellisée le 5 septembre 2019)"},
            axis(2, "A1", "Réussite éducative", "Conforter le rôle de l'école"),
            axis(3, "A2", "Parentalité", "Promouvoir la continuité éducative"),
            axis(4, "A3", "Ouverture culturelle et sportive", "Ouvrir le champ des possibles"),
            axis(5, "A4", "Numérique éducatif", "Conforter le rôle de l'école"),
            {"position": 6, "kind": "AxisRetired", "effectiveOn": "2024-10-01", "actor": PILOT,
             "summary": "Axe A4 « Numérique éducatif » retiré"},
            funder(7, ETAT, "État"),
            funder(8, VILLE, "Commune"),
            funder(9, "CAF de la Seine-Saint-Denis", "CAF"),
            {"position": 10, "kind": "EnvelopeNotified", "effectiveOn": "2025-01-10", "actor": PILOT,
             "summary": format!("Enveloppe 2025 ({ETAT}) notifiée : {} (réf. Arrêté P147-2025)", eur("300 000,00"))},
            {"position": 11, "kind": "EnvelopeNotified", "effectiveOn": "2025-01-10", "actor": PILOT,
             "summary": format!("Enveloppe 2025 ({VILLE}) notifiée : {}", eur("100 000,00"))},
            {"position": 12, "kind": "BodyMembershipChanged", "effectiveOn": "2024-09-15", "actor": PILOT,
             "summary": format!("Composition du COPIL modifiée : 3 organisations (Préfecture, Rectorat, {VILLE})")},
            {"position": 51, "kind": "EnvelopeRevised", "effectiveOn": "2025-05-01", "actor": PILOT,
             "summary": format!("Enveloppe 2025 ({ETAT}) révisée à {} : Gel de crédits", eur("280 000,00"))},
        ])
    );
    // Partners by id; the SIRET without its spaces.
    assert_eq!(
        data["partners"],
        json!([
            {"id": "asso-lire", "name": "Lire et faire lire 93", "kind": "ASSOCIATION", "siret": "73282932000074", "active": true},
            {"id": "centre-social", "name": "Centre social de l'Orangerie", "kind": "SOCIAL", "siret": null, "active": true},
            {"id": "club-sport", "name": "Étoile sportive de Clichy", "kind": "SPORT", "siret": null, "active": false},
            {"id": "college-dolto", "name": "Collège Françoise Dolto", "kind": "COLLEGE", "siret": null, "active": true},
        ])
    );
}

const ACTION_IDS: &str =
    "query($p: ID!, $filter: ActionFilter, $first: Int, $after: String, $asOf: AsOf) {
    actions(programmeId: $p, filter: $filter, first: $first, after: $after, asOf: $asOf) {
        totalCount edges { cursor node { id } } pageInfo { hasNextPage endCursor } } }";

/// The ids of one page of `actions`, its total count and its end cursor when there is more.
fn action_ids(y: &Year, token: &str, variables: Value) -> (Vec<String>, u64, Option<String>) {
    let mut variables = variables;
    variables["p"] = json!(P);
    let data = y.ok(token, ACTION_IDS, variables);
    let connection = &data["actions"];
    let ids = nodes(connection)
        .iter()
        .map(|n| n["id"].as_str().unwrap().to_owned())
        .collect();
    let more = (connection["pageInfo"]["hasNextPage"] == true).then(|| {
        connection["pageInfo"]["endCursor"]
            .as_str()
            .unwrap()
            .to_owned()
    });
    (ids, connection["totalCount"].as_u64().unwrap(), more)
}

fn check_actions_list(y: &Year) {
    let ids = |filter: Value| {
        let (ids, total, more) = action_ids(y, &y.pilot, json!({"filter": filter}));
        assert_eq!(total as usize, ids.len());
        assert_eq!(more, None);
        ids
    };
    // By reference: 2024-001, 2025-001…006, {Y}-001 (Y ≥ 2026), then CHOR-25.
    assert_eq!(
        ids(json!(null)),
        ["a8", "a1", "a2", "a3", "a4", "a5", "a6", "a9", "a7"]
    );
    assert_eq!(
        ids(json!({"status": ["FUNDED", "IN_PROGRESS"]})),
        ["a2", "a6", "a9"]
    );
    assert_eq!(
        ids(json!({"status": ["CLOSED"], "year": 2025})),
        ["a1", "a3"]
    );
    // Primary or secondary axis: a2 has A1 as a secondary axis, a7 has A2.
    assert_eq!(ids(json!({"axis": "A1"})), ["a1", "a2", "a5", "a6", "a9"]);
    assert_eq!(ids(json!({"axis": "A2"})), ["a8", "a2", "a7"]);
    assert_eq!(ids(json!({"holder": "college-dolto"})), ["a3", "a6"]);
    assert_eq!(ids(json!({"year": 2024})), ["a8"]);
    assert_eq!(
        ids(json!({"year": 2025})),
        ["a1", "a2", "a3", "a4", "a5", "a6", "a7"]
    );
    assert_eq!(ids(json!({"text": "lecture"})), ["a1"]);
    // Without case or accents: « parents-école », « inter-écoles ».
    assert_eq!(ids(json!({"text": "ECOLE"})), ["a2", "a7"]);
    assert_eq!(
        ids(json!({"text": "2025-00"})),
        ["a1", "a2", "a3", "a4", "a5", "a6"]
    );
    assert_eq!(
        ids(json!({"holder": "asso-lire", "status": ["PROPOSED", "WITHDRAWN"]})),
        ["a5", "a7"]
    );

    // Pages of four, followed by their cursors.
    let (page, total, more) = action_ids(y, &y.pilot, json!({"first": 4}));
    assert_eq!(
        (page, total),
        (
            vec!["a8", "a1", "a2", "a3"]
                .into_iter()
                .map(String::from)
                .collect(),
            9
        )
    );
    let (page, _, more) = action_ids(y, &y.pilot, json!({"first": 4, "after": more.unwrap()}));
    assert_eq!(page, ["a4", "a5", "a6", "a9"]);
    let (page, _, more) = action_ids(y, &y.pilot, json!({"first": 4, "after": more.unwrap()}));
    assert_eq!((page, more), (vec!["a7".to_owned()], None));

    // The observer sees the actions retained or later; a porteur its own as well.
    let (observed, total, _) = action_ids(y, &y.observer, json!({}));
    assert_eq!(observed, ["a8", "a1", "a2", "a3", "a6", "a9"]);
    assert_eq!(total, 6);
    let (own, total, _) = action_ids(y, &y.lire, json!({}));
    assert_eq!(own, ["a8", "a1", "a2", "a3", "a5", "a6", "a9", "a7"]);
    assert_eq!(total, 8);
}

const ACTION: &str = "query($p: ID!, $a: ID!, $asOf: AsOf) { action(programmeId: $p, id: $a, asOf: $asOf) {
    id reference title summary status holder { id name } axis { code } secondaryAxes { code }
    publics qpv periodStart periodEnd year totalCost externalRefs
    money { funder { id } requested proposed retained granted paid toPay repaymentRequested repaid refused }
    grants { id funder { id } year amount actKind reference signedOn }
    payments { id funder { id } amount kind paidOn cancelled }
    complements { requestedOn items providedOn note }
    opinions { session { id } opinion proposed { funder { id } amount } comment givenOn }
    decision { session { id } outcome retained { funder { id } amount } reason decidedOn revised }
    reports { kind submittedOn spent summary beneficiaries { public ageBand sex qpvResident count hidden } }
    indicators { code label target measured measuredOn measurements { value measuredOn } }
    evaluation { rating findings recommendation evaluatedOn }
    lastReason version
    history { position kind summary effectiveOn actor supersededBy } } }";

fn action(y: &Year, token: &str, id: &str, as_of: Value) -> Value {
    y.ok(token, ACTION, json!({"p": P, "a": id, "asOf": as_of}))["action"].clone()
}

fn money(
    funder: &str,
    requested: i64,
    proposed: i64,
    retained: i64,
    granted: i64,
    paid: i64,
    to_pay: i64,
    repayment: (i64, i64),
    refused: bool,
) -> Value {
    json!({"funder": {"id": funder}, "requested": requested, "proposed": proposed, "retained": retained,
           "granted": granted, "paid": paid, "toPay": to_pay, "repaymentRequested": repayment.0,
           "repaid": repayment.1, "refused": refused})
}

fn lines(pairs: &[(&str, i64)]) -> Value {
    pairs
        .iter()
        .map(|(funder, amount)| json!({"funder": {"id": funder}, "amount": amount}))
        .collect()
}

fn entry(position: u64, kind: &str, on: &str, actor: &str, summary: String) -> Value {
    json!({"position": position, "kind": kind, "effectiveOn": on, "actor": actor,
           "summary": summary, "supersededBy": null})
}

fn check_action_a1(y: &Year) {
    let a = action(y, &y.pilot, "a1", json!(null));
    let cells = |with_parents: bool| {
        let mut cells = vec![
            json!({"public": "CHILDREN", "ageBand": "AGE_6_10", "sex": "FEMALE", "qpvResident": true, "count": 14, "hidden": false}),
            json!({"public": "CHILDREN", "ageBand": "AGE_6_10", "sex": "MALE", "qpvResident": true, "count": 12, "hidden": false}),
        ];
        if with_parents {
            cells.push(json!({"public": "PARENTS", "ageBand": "ADULT", "sex": "FEMALE", "qpvResident": true, "count": 6, "hidden": false}));
        }
        Value::from(cells)
    };
    let expected_state = json!({
        "id": "a1", "reference": "2025-001", "title": "Coup de pouce lecture",
        "summary": "Clubs de lecture pour les CP et CE1 en difficulté.", "status": "CLOSED",
        "holder": {"id": "asso-lire", "name": "Lire et faire lire 93"},
        "axis": {"code": "A1"}, "secondaryAxes": [], "publics": ["CHILDREN", "PARENTS"],
        "qpv": ["Le Chêne Pointu"], "periodStart": "2025-01-06", "periodEnd": "2025-07-04",
        "year": 2025, "totalCost": 3_000_000, "externalRefs": ["DAUPHIN-2025-00042"],
        // État: 9 000 + 9 000 paid (the 4 000 of v2 cancelled); Ville: 4 000 paid.
        "money": [
            money("etat", 2_000_000, 2_000_000, 1_800_000, 1_800_000, 1_800_000, 0, (0, 0), false),
            money("ville", 400_000, 400_000, 400_000, 400_000, 400_000, 0, (0, 0), false),
        ],
        "grants": [
            {"id": "g1", "funder": {"id": "etat"}, "year": 2025, "amount": 1_800_000, "actKind": "ARRETE", "reference": "2025-031", "signedOn": "2025-04-02"},
            {"id": "g2", "funder": {"id": "ville"}, "year": 2025, "amount": 400_000, "actKind": "DELIBERATION", "reference": "2025-044", "signedOn": "2025-04-03"},
        ],
        "payments": [
            {"id": "v1", "funder": {"id": "etat"}, "amount": 900_000, "kind": "ADVANCE", "paidOn": "2025-04-15", "cancelled": false},
            {"id": "v2", "funder": {"id": "etat"}, "amount": 400_000, "kind": "INSTALMENT", "paidOn": "2025-05-10", "cancelled": true},
            {"id": "v3", "funder": {"id": "ville"}, "amount": 400_000, "kind": "BALANCE", "paidOn": "2025-05-20", "cancelled": false},
            {"id": "v4", "funder": {"id": "etat"}, "amount": 900_000, "kind": "BALANCE", "paidOn": "2025-09-20", "cancelled": false},
        ],
        "complements": [],
        "opinions": [{"session": {"id": "cotech-1"}, "opinion": "FAVOURABLE",
                      "proposed": lines(&[("etat", 2_000_000), ("ville", 400_000)]),
                      "comment": "Action reconduite", "givenOn": "2025-02-10"}],
        "decision": {"session": {"id": "copil-1"}, "outcome": "RETAINED",
                     "retained": lines(&[("etat", 1_800_000), ("ville", 400_000)]),
                     "reason": null, "decidedOn": "2025-03-14", "revised": false},
        "reports": [
            {"kind": "INTERIM", "submittedOn": "2025-06-16", "spent": 1_500_000, "summary": "Mi-parcours : 26 enfants suivis.", "beneficiaries": cells(false)},
            {"kind": "FINAL", "submittedOn": "2025-07-10", "spent": 2_900_000, "summary": "41 élèves lecteurs fluides sur 26 suivis et 6 mères.", "beneficiaries": cells(true)},
        ],
        "indicators": [{"code": "lecteurs", "label": "Élèves lecteurs fluides", "target": 40.0,
                        "measured": 41.0, "measuredOn": "2025-07-04",
                        "measurements": [{"value": 32.0, "measuredOn": "2025-06-16"}, {"value": 41.0, "measuredOn": "2025-07-04"}]}],
        "evaluation": {"rating": "ACHIEVED", "findings": "Progrès nets en lecture.", "recommendation": "RENEW", "evaluatedOn": "2025-11-05"},
        "lastReason": null,
        "version": 18,
    });
    let mut state = a.clone();
    state.as_object_mut().unwrap().remove("history");
    assert_eq!(state, expected_state);

    let payment = |position: u64, on: &str, amount: &str, kind: &str, funder: &str| {
        entry(
            position,
            "PaymentRecorded",
            on,
            COORDINATOR,
            format!("Versement de {} ({kind}) par {funder}", eur(amount)),
        )
    };
    let mut cancelled = payment(49, "2025-05-10", "4 000,00", "acompte", ETAT);
    cancelled["supersededBy"] = json!(50);
    let expected_history = json!([
        entry(
            21,
            "ActionProposed",
            "2025-01-15",
            LIRE,
            format!(
                "Proposition « Coup de pouce lecture » déposée par Lire et faire lire 93 pour un coût total de {}, demande : {} ({ETAT}) et {} ({VILLE})",
                eur("30 000,00"),
                eur("20 000,00"),
                eur("4 000,00")
            )
        ),
        entry(
            31,
            "OpinionGiven",
            "2025-02-10",
            COORDINATOR,
            format!(
                "Avis favorable du COTECH du 10 février 2025 (proposé : {} ({ETAT}) et {} ({VILLE}))",
                eur("20 000,00"),
                eur("4 000,00")
            )
        ),
        entry(
            38,
            "CopilDecisionTaken",
            "2025-03-14",
            PILOT,
            format!(
                "Décision du COPIL du 14 mars 2025 : action retenue pour {} ({ETAT}) et {} ({VILLE})",
                eur("18 000,00"),
                eur("4 000,00")
            )
        ),
        entry(
            43,
            "GrantAwarded",
            "2025-04-02",
            COORDINATOR,
            format!(
                "Attribution de {} par {ETAT} au titre de 2025 (arrêté 2025-031 signé le 2 avril 2025)",
                eur("18 000,00")
            )
        ),
        entry(
            44,
            "GrantAwarded",
            "2025-04-03",
            PILOT,
            format!(
                "Attribution de {} par {VILLE} au titre de 2025 (délibération 2025-044 signée le 3 avril 2025)",
                eur("4 000,00")
            )
        ),
        entry(
            47,
            "ActionStarted",
            "2025-04-07",
            LIRE,
            "Action démarrée le 7 avril 2025".to_owned()
        ),
        payment(48, "2025-04-15", "9 000,00", "avance", ETAT),
        cancelled,
        entry(
            50,
            "PaymentCancelled",
            "2025-05-12",
            COORDINATOR,
            format!("Versement de {} annulé : Saisi deux fois", eur("4 000,00"))
        ),
        payment(53, "2025-05-20", "4 000,00", "solde", VILLE),
        entry(
            55,
            "IndicatorMeasured",
            "2025-06-16",
            LIRE,
            "Indicateur « Élèves lecteurs fluides » mesuré : 32".to_owned()
        ),
        entry(
            56,
            "ReportSubmitted",
            "2025-06-16",
            LIRE,
            format!(
                "Bilan intermédiaire déposé : {} dépensés, 26 bénéficiaires",
                eur("15 000,00")
            )
        ),
        entry(
            66,
            "ActionCompleted",
            "2025-07-04",
            LIRE,
            "Action achevée le 4 juillet 2025".to_owned()
        ),
        entry(
            67,
            "IndicatorMeasured",
            "2025-07-04",
            LIRE,
            "Indicateur « Élèves lecteurs fluides » mesuré : 41".to_owned()
        ),
        entry(
            69,
            "ReportSubmitted",
            "2025-07-10",
            LIRE,
            format!(
                "Bilan final déposé : {} dépensés, 32 bénéficiaires",
                eur("29 000,00")
            )
        ),
        payment(70, "2025-09-20", "9 000,00", "solde", ETAT),
        entry(
            74,
            "ActionEvaluated",
            "2025-11-05",
            EVALUATOR,
            "Action évaluée : objectifs atteints, recommandation : reconduire".to_owned()
        ),
        entry(
            76,
            "ActionClosed",
            "2025-12-10",
            COORDINATOR,
            "Action clôturée".to_owned()
        ),
    ]);
    let history = a["history"].as_array().unwrap();
    let expected_history = expected_history.as_array().unwrap();
    assert_eq!(history.len(), expected_history.len(), "{history:#?}");
    for (got, expected) in history.iter().zip(expected_history) {
        assert_eq!(got, expected);
    }
}

/// Only some fields of a JSON object.
fn pick(value: &Value, fields: &[&str]) -> Value {
    fields
        .iter()
        .map(|f| (f.to_string(), value[*f].clone()))
        .collect::<serde_json::Map<_, _>>()
        .into()
}

fn check_other_actions(y: &Year) {
    let fields = [
        "status",
        "secondaryAxes",
        "money",
        "complements",
        "opinions",
        "decision",
        "lastReason",
        "version",
    ];
    // a2: deferred with 8 000 € asked, amended to 7 000 €, 6 000 € retained, half paid.
    let a2 = action(y, &y.pilot, "a2", json!(null));
    assert_eq!(
        pick(&a2, &fields),
        json!({
            "status": "IN_PROGRESS", "secondaryAxes": [{"code": "A1"}],
            // One line per funder, by funder id.
            "money": [
                money("caf", 200_000, 0, 200_000, 200_000, 0, 200_000, (0, 0), false),
                money("etat", 700_000, 600_000, 600_000, 600_000, 300_000, 300_000, (0, 0), false),
            ],
            "complements": [{"requestedOn": "2025-01-20", "items": ["Budget détaillé", "Calendrier des ateliers"],
                             "providedOn": "2025-01-27", "note": "Budget et calendrier joints"}],
            "opinions": [{"session": {"id": "cotech-1"}, "opinion": "RESERVED", "proposed": lines(&[("etat", 600_000)]),
                          "comment": "Budget à consolider", "givenOn": "2025-02-10"}],
            "decision": {"session": {"id": "copil-2"}, "outcome": "RETAINED",
                         "retained": lines(&[("etat", 600_000), ("caf", 200_000)]),
                         "reason": null, "decidedOn": "2025-06-20", "revised": false},
            "lastReason": null,
            // 22, 27, 28, 32, 39, 52, 58, 62, 63, 68, 71.
            "version": 11,
        })
    );
    // a3: revised at the second COPIL, not realised, the State's advance repaid; nothing is
    // left to pay on an action not realised.
    let a3 = action(y, &y.pilot, "a3", json!(null));
    assert_eq!(
        pick(
            &a3,
            &[
                "status",
                "money",
                "grants",
                "decision",
                "lastReason",
                "version"
            ]
        ),
        json!({
            "status": "CLOSED",
            "money": [
                money("etat", 2_500_000, 2_500_000, 2_500_000, 2_500_000, 1_000_000, 0, (1_000_000, 1_000_000), false),
                money("ville", 500_000, 500_000, 300_000, 300_000, 0, 0, (0, 0), false),
            ],
            "grants": [
                {"id": "g1", "funder": {"id": "etat"}, "year": 2025, "amount": 2_500_000, "actKind": "CONVENTION", "reference": "2025-012", "signedOn": "2025-04-05"},
                {"id": "g2", "funder": {"id": "ville"}, "year": 2025, "amount": 300_000, "actKind": "DELIBERATION", "reference": "2025-090", "signedOn": "2025-06-27"},
            ],
            "decision": {"session": {"id": "copil-2"}, "outcome": "RETAINED",
                         "retained": lines(&[("etat", 2_500_000), ("ville", 300_000)]),
                         "reason": "Participation de la ville réduite", "decidedOn": "2025-06-20", "revised": true},
            "lastReason": "Fermeture du musée partenaire",
            // 23, 33, 40, 45, 54, 60, 61, 72, 73, 75, 77.
            "version": 11,
        })
    );
    let superseded: Vec<(Value, Value)> = a3["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| (h["position"].clone(), h["supersededBy"].clone()))
        .filter(|(_, by)| !by.is_null())
        .collect();
    assert_eq!(
        superseded,
        [(json!(40), json!(60))],
        "the first decision is superseded by the revision"
    );
    let a5 = action(y, &y.pilot, "a5", json!(null));
    assert_eq!(
        pick(&a5, &["status", "lastReason", "version"]),
        json!({"status": "WITHDRAWN", "lastReason": "Financement trouvé auprès de la Région", "version": 2})
    );
    // a6: the town refused its 2 000 € retained.
    let a6 = action(y, &y.pilot, "a6", json!(null));
    assert_eq!(
        pick(&a6, &["status", "money"]),
        json!({"status": "FUNDED", "money": [
            money("etat", 1_000_000, 1_000_000, 1_000_000, 1_000_000, 0, 1_000_000, (0, 0), false),
            money("ville", 200_000, 200_000, 200_000, 0, 0, 0, (0, 0), true),
        ]})
    );
    // Positions 80, 82, 83, 84, 85, 86.
    let a8 = action(y, &y.pilot, "a8", json!(null));
    assert_eq!(
        pick(&a8, &["reference", "status", "year", "version"]),
        json!({"reference": "2024-001", "status": "COMPLETED", "year": 2024, "version": 6})
    );
    let a9 = action(y, &y.pilot, "a9", json!(null));
    assert_eq!(
        pick(&a9, &["reference", "status", "year"]),
        json!({"reference": format!("{}-001", y.y), "status": "FUNDED", "year": y.y})
    );
}

const TIMELINE: &str = "query($p: ID!, $filter: TimelineFilter, $asOf: AsOf, $oldestFirst: Boolean, $first: Int, $after: String) {
    timeline(programmeId: $p, filter: $filter, asOf: $asOf, oldestFirst: $oldestFirst, first: $first, after: $after) {
        edges { cursor node { position effectiveOn kind summary actor actionId sessionId axis amount supersededBy } }
        pageInfo { hasNextPage endCursor } } }";

/// Every entry of a timeline, following the cursors with pages of `first`.
fn whole_timeline(y: &Year, token: &str, variables: Value, first: u64) -> Vec<Value> {
    let mut variables = variables;
    variables["p"] = json!(P);
    variables["first"] = json!(first);
    let mut entries = Vec::new();
    loop {
        let data = y.ok(token, TIMELINE, variables.clone());
        let connection = &data["timeline"];
        let page = nodes(connection);
        assert!(page.len() as u64 <= first);
        entries.extend(page);
        if connection["pageInfo"]["hasNextPage"] == false {
            return entries;
        }
        variables["after"] = connection["pageInfo"]["endCursor"].clone();
    }
}

fn positions(entries: &[Value]) -> Vec<u64> {
    entries
        .iter()
        .map(|e| e["position"].as_u64().unwrap())
        .collect()
}

/// Every position of the log in the order of the effective dates (then positions), as the
/// scenario dated them.
const BY_EFFECTIVE_DATE: [u64; 87] = [
    1, // 2024-09-01
    2, 3, 4, 5, 7, 8, 9, 12, // 2024-09-15
    13, 14, 15, 16, // 2024-09-20
    6, 80, // 2024-10-01
    79, // 2024-10-15
    81, 82, // 2024-11-15
    83, // 2024-12-01
    84, // 2024-12-15
    17, 18, 19, 20, 85, // 2025-01-06
    10, 11, // 2025-01-10
    21, 22, 23, 24, 25, 26, 27, // 01-15, 01-16, 01-17, 01-18 ×2, 01-20 ×2
    28, 29, // 01-27, 02-03
    30, 31, 32, 33, 34, // 02-10
    35, 36, // 02-20, 02-24
    37, 38, 39, 40, 41, 42, // 03-14
    46, 43, 44, 45, 47, // 03-28, 04-02, 04-03, 04-05, 04-07
    52, 87, // 04-10
    48, 51, 54, 49, 50, 53, // 04-15, 05-01, 05-02, 05-10, 05-12, 05-20
    55, 56, // 06-16
    57, 58, 59, 60, // 06-20
    61, 86, 62, 63, // 06-27, 06-30, 07-01, 07-02
    64, 65, // 07-03
    66, 67, // 07-04
    69, 68, 71, 70, // 07-10, 07-15, 09-01, 09-20
    72, 73, 74, 75, // 10-15, 10-20, 11-05, 12-01
    76, 77, // 12-10
    78, // 12-15
];

fn check_timeline(y: &Year) {
    let oldest_first = whole_timeline(y, &y.pilot, json!({"oldestFirst": true}), 20);
    assert_eq!(positions(&oldest_first), BY_EFFECTIVE_DATE);
    let newest_first = whole_timeline(y, &y.pilot, json!({}), 30);
    let mut reversed = BY_EFFECTIVE_DATE;
    reversed.reverse();
    assert_eq!(positions(&newest_first), reversed);
    assert_eq!(
        newest_first[0],
        json!({"position": 78, "effectiveOn": "2025-12-15", "kind": "PartnerLeftAlliance",
               "summary": "Partenaire « Étoile sportive de Clichy » sorti de l'alliance : Association dissoute",
               "actor": PILOT, "actionId": null, "sessionId": null, "axis": null, "amount": null, "supersededBy": null})
    );

    // One action, newest first, every field.
    let a3 = whole_timeline(y, &y.pilot, json!({"filter": {"actionId": "a3"}}), 50);
    let label = "Action 2025-003 « Sorties culturelles »";
    let node = |position: u64,
                on: &str,
                kind: &str,
                actor: &str,
                clause: String,
                session: Option<&str>,
                amount: Option<i64>| {
        json!({"position": position, "effectiveOn": on, "kind": kind, "actor": actor,
               "summary": format!("{label} : {clause}"), "actionId": "a3", "sessionId": session,
               "axis": "A3", "amount": amount, "supersededBy": null})
    };
    let mut first_decision = node(
        40,
        "2025-03-14",
        "CopilDecisionTaken",
        PILOT,
        format!(
            "décision du COPIL du 14 mars 2025 : action retenue pour {} ({ETAT}) et {} ({VILLE})",
            eur("25 000,00"),
            eur("5 000,00")
        ),
        Some("copil-1"),
        Some(3_000_000),
    );
    first_decision["supersededBy"] = json!(60);
    let expected = [
        node(
            77,
            "2025-12-10",
            "ActionClosed",
            PILOT,
            "action clôturée".into(),
            None,
            None,
        ),
        node(
            75,
            "2025-12-01",
            "RepaymentReceived",
            COORDINATOR,
            format!("reversement de {} reçu par {ETAT}", eur("10 000,00")),
            None,
            Some(1_000_000),
        ),
        node(
            73,
            "2025-10-20",
            "RepaymentRequested",
            COORDINATOR,
            format!(
                "reversement de {} demandé par {ETAT} : Action non réalisée",
                eur("10 000,00")
            ),
            None,
            Some(1_000_000),
        ),
        node(
            72,
            "2025-10-15",
            "NonRealisationAttested",
            DOLTO,
            "non-réalisation attestée : Fermeture du musée partenaire".into(),
            None,
            None,
        ),
        node(
            61,
            "2025-06-27",
            "GrantAwarded",
            COORDINATOR,
            format!(
                "attribution de {} par {VILLE} au titre de 2025 (délibération 2025-090 signée le 27 juin 2025)",
                eur("3 000,00")
            ),
            None,
            Some(300_000),
        ),
        node(
            60,
            "2025-06-20",
            "DecisionRevised",
            PILOT,
            format!(
                "décision révisée du COPIL du 20 juin 2025 : action retenue pour {} ({ETAT}) et {} ({VILLE}) ; motif : Participation de la ville réduite",
                eur("25 000,00"),
                eur("3 000,00")
            ),
            Some("copil-2"),
            Some(2_800_000),
        ),
        node(
            54,
            "2025-05-02",
            "PaymentRecorded",
            COORDINATOR,
            format!("versement de {} (avance) par {ETAT}", eur("10 000,00")),
            None,
            Some(1_000_000),
        ),
        node(
            45,
            "2025-04-05",
            "GrantAwarded",
            COORDINATOR,
            format!(
                "attribution de {} par {ETAT} au titre de 2025 (convention 2025-012 signée le 5 avril 2025)",
                eur("25 000,00")
            ),
            None,
            Some(2_500_000),
        ),
        first_decision,
        node(
            33,
            "2025-02-10",
            "OpinionGiven",
            COORDINATOR,
            format!(
                "avis favorable du COTECH du 10 février 2025 (proposé : {} ({ETAT}) et {} ({VILLE}))",
                eur("25 000,00"),
                eur("5 000,00")
            ),
            Some("cotech-1"),
            Some(3_000_000),
        ),
        node(
            23,
            "2025-01-17",
            "ActionProposed",
            DOLTO,
            format!(
                "proposition « Sorties culturelles » déposée par Collège Françoise Dolto pour un coût total de {}, demande : {} ({ETAT}) et {} ({VILLE})",
                eur("40 000,00"),
                eur("25 000,00"),
                eur("5 000,00")
            ),
            None,
            Some(3_000_000),
        ),
    ];
    assert_eq!(a3.len(), expected.len(), "{a3:#?}");
    for (got, expected) in a3.iter().zip(&expected) {
        assert_eq!(got, expected);
    }

    let filtered = |filter: Value| {
        positions(&whole_timeline(
            y,
            &y.pilot,
            json!({"filter": filter, "oldestFirst": true}),
            500,
        ))
    };
    let decisions = json!(["CopilDecisionTaken", "DecisionRevised"]);
    assert_eq!(
        filtered(json!({"kinds": decisions})),
        [82, 38, 39, 40, 41, 42, 58, 59, 60]
    );
    assert_eq!(
        filtered(json!({"kinds": decisions, "from": "2025-01-01", "to": "2025-12-31"})),
        [38, 39, 40, 41, 42, 58, 59, 60]
    );
    assert_eq!(
        filtered(json!({"from": "2025-06-20", "to": "2025-06-30"})),
        [57, 58, 59, 60, 61, 86]
    );
    // A session's own events, and the opinions and decisions taken there.
    assert_eq!(
        filtered(json!({"sessionId": "copil-1"})),
        [18, 37, 38, 39, 40, 41, 42]
    );
    assert_eq!(filtered(json!({"sessionId": "cotech-2"})), [19, 46]);
    assert_eq!(
        filtered(json!({"sessionId": "cotech-1", "kinds": ["OpinionGiven"]})),
        [31, 32, 33, 34]
    );
    // The events of the actions whose primary axis is A2: a8, then a2.
    assert_eq!(
        filtered(json!({"axis": "A2"})),
        [
            80, 82, 83, 84, 85, 22, 27, 28, 32, 39, 52, 58, 86, 62, 63, 68, 71
        ]
    );
    assert_eq!(filtered(json!({"actionId": "a5"})), [25, 29]);
    assert_eq!(
        filtered(json!({"kinds": ["NoSuchKind"]})),
        Vec::<u64>::new()
    );

    // As of position 42: the first 42 entries only, in the same order.
    let early = whole_timeline(
        y,
        &y.pilot,
        json!({"asOf": {"position": 42}, "oldestFirst": true}),
        500,
    );
    let expected: Vec<u64> = BY_EFFECTIVE_DATE
        .iter()
        .copied()
        .filter(|p| *p <= 42)
        .collect();
    assert_eq!(positions(&early), expected);
}

const SESSION: &str = "query($p: ID!, $s: ID!, $asOf: AsOf) { session(programmeId: $p, id: $s, asOf: $asOf) {
    id body date title held cancelled present agenda { id }
    decisions { action { id } opinion outcome retained { funder { id } amount } amount reason revision }
    history { position kind summary effectiveOn actor } } }";

fn session(y: &Year, id: &str, as_of: Value) -> Value {
    y.ok(&y.pilot, SESSION, json!({"p": P, "s": id, "asOf": as_of}))["session"].clone()
}

fn decision(
    action: &str,
    outcome: &str,
    retained: &[(&str, i64)],
    amount: i64,
    reason: Option<&str>,
    revision: bool,
) -> Value {
    json!({"action": {"id": action}, "opinion": null, "outcome": outcome, "retained": lines(retained),
           "amount": amount, "reason": reason, "revision": revision})
}

fn opinion(action: &str, opinion: &str, amount: i64, comment: Option<&str>) -> Value {
    json!({"action": {"id": action}, "opinion": opinion, "outcome": null, "retained": [],
           "amount": amount, "reason": comment, "revision": false})
}

fn check_sessions(y: &Year) {
    let data = y.ok(
        &y.pilot,
        "query($p: ID!) { all: sessions(programmeId: $p) { id body date held cancelled }
                          copil: sessions(programmeId: $p, body: COPIL) { id } }",
        json!({"p": P}),
    );
    assert_eq!(
        data["all"],
        json!([
            {"id": "copil-0", "body": "COPIL", "date": "2024-11-15", "held": true, "cancelled": false},
            {"id": "cotech-1", "body": "COTECH", "date": "2025-02-10", "held": true, "cancelled": false},
            {"id": "copil-1", "body": "COPIL", "date": "2025-03-14", "held": true, "cancelled": false},
            {"id": "cotech-2", "body": "COTECH", "date": "2025-04-01", "held": false, "cancelled": true},
            {"id": "copil-2", "body": "COPIL", "date": "2025-06-20", "held": true, "cancelled": false},
        ])
    );
    assert_eq!(
        data["copil"],
        json!([{"id": "copil-0"}, {"id": "copil-1"}, {"id": "copil-2"}])
    );

    let copil = session(y, "copil-1", json!(null));
    assert_eq!(
        copil,
        json!({
            "id": "copil-1", "body": "COPIL", "date": "2025-03-14", "title": "COPIL de printemps",
            "held": true, "cancelled": false, "present": ["Préfecture", "Rectorat", VILLE],
            // Once held, the actions it decided on, in the order recorded.
            "agenda": [{"id": "a1"}, {"id": "a2"}, {"id": "a3"}, {"id": "a4"}, {"id": "a9"}],
            "decisions": [
                decision("a1", "RETAINED", &[("etat", 1_800_000), ("ville", 400_000)], 2_200_000, None, false),
                decision("a2", "DEFERRED", &[], 0, Some("Budget à préciser"), false),
                decision("a3", "RETAINED", &[("etat", 2_500_000), ("ville", 500_000)], 3_000_000, None, false),
                decision("a4", "REJECTED", &[], 0, Some("Hors des axes de la cité"), false),
                decision("a9", "RETAINED", &[("etat", 200_000)], 200_000, None, false),
            ],
            "history": [
                {"position": 18, "kind": "SessionScheduled", "effectiveOn": "2025-01-06", "actor": COORDINATOR,
                 "summary": "COPIL « COPIL de printemps » programmé le 14 mars 2025"},
                {"position": 37, "kind": "SessionHeld", "effectiveOn": "2025-03-14", "actor": COORDINATOR,
                 "summary": "COPIL du 14 mars 2025 tenu (3 organisations présentes)"},
            ],
        })
    );
    let copil = session(y, "copil-2", json!(null));
    assert_eq!(
        copil["agenda"],
        json!([{"id": "a2"}, {"id": "a6"}, {"id": "a3"}])
    );
    assert_eq!(
        copil["decisions"],
        json!([
            decision(
                "a2",
                "RETAINED",
                &[("etat", 600_000), ("caf", 200_000)],
                800_000,
                None,
                false
            ),
            decision(
                "a6",
                "RETAINED",
                &[("etat", 1_000_000), ("ville", 200_000)],
                1_200_000,
                None,
                false
            ),
            decision(
                "a3",
                "RETAINED",
                &[("etat", 2_500_000), ("ville", 300_000)],
                2_800_000,
                Some("Participation de la ville réduite"),
                true
            ),
        ])
    );
    let cotech = session(y, "cotech-1", json!(null));
    assert_eq!(
        cotech["agenda"],
        json!([{"id": "a1"}, {"id": "a2"}, {"id": "a3"}, {"id": "a6"}])
    );
    assert_eq!(
        cotech["decisions"],
        json!([
            opinion("a1", "FAVOURABLE", 2_400_000, Some("Action reconduite")),
            opinion("a2", "RESERVED", 600_000, Some("Budget à consolider")),
            opinion("a3", "FAVOURABLE", 3_000_000, None),
            opinion("a6", "FAVOURABLE", 1_200_000, None),
        ])
    );
    let cancelled = session(y, "cotech-2", json!(null));
    assert_eq!(
        pick(
            &cancelled,
            &["held", "cancelled", "agenda", "decisions", "history"]
        ),
        json!({"held": false, "cancelled": true, "agenda": [], "decisions": [], "history": [
            {"position": 19, "kind": "SessionScheduled", "effectiveOn": "2025-01-06", "actor": COORDINATOR,
             "summary": "COTECH « COTECH d'avril » programmé le 1er avril 2025"},
            {"position": 46, "kind": "SessionCancelled", "effectiveOn": "2025-03-28", "actor": COORDINATOR,
             "summary": "COTECH du 1er avril 2025 annulé : Grève des transports"},
        ]})
    );

    // Before it was held, a session's agenda is the actions awaiting its body, by reference:
    // for the second COPIL (position 56), a2 deferred and a6 under review, not a7 only proposed;
    // for the COTECH (position 29), the proposals, a5 being withdrawn.
    let before = session(y, "copil-2", json!({"position": 56}));
    assert_eq!(
        pick(&before, &["held", "agenda", "decisions"]),
        json!({"held": false, "agenda": [{"id": "a2"}, {"id": "a6"}], "decisions": []})
    );
    let before = session(y, "cotech-1", json!({"position": 29}));
    assert_eq!(
        before["agenda"],
        json!([{"id": "a1"}, {"id": "a2"}, {"id": "a3"}, {"id": "a4"}, {"id": "a6"}])
    );
    // The first COPIL of 2024 did not exist yet at position 78.
    let data = y.ok(
        &y.pilot,
        SESSION,
        json!({"p": P, "s": "copil-0", "asOf": {"position": 78}}),
    );
    assert_eq!(data["session"], Value::Null);
}

const BUDGET: &str = "query($p: ID!, $year: Int!, $asOf: AsOf) { budget(programmeId: $p, year: $year, asOf: $asOf) {
    year
    lines { funder { id } envelope requested retained granted paid toPay consumptionPermille }
    total { funder { id } envelope requested retained granted paid toPay consumptionPermille }
    programmation { action { id } amounts { funder { id } requested retained granted paid toPay } } } }";

/// A budget line: envelope, requested, retained, granted, paid, to pay, consumption.
fn budget_line(funder: Option<&str>, figures: [i64; 6], consumption: Option<i64>) -> Value {
    let [envelope, requested, retained, granted, paid, to_pay] = figures;
    json!({"funder": funder.map(|id| json!({"id": id})), "envelope": envelope, "requested": requested,
           "retained": retained, "granted": granted, "paid": paid, "toPay": to_pay,
           "consumptionPermille": consumption})
}

fn budget(y: &Year, token: &str, year: i32, as_of: Value) -> Value {
    y.ok(token, BUDGET, json!({"p": P, "year": year, "asOf": as_of}))["budget"].clone()
}

fn check_budget(y: &Year) {
    let b = budget(y, &y.pilot, 2025, json!(null));
    assert_eq!(b["year"], 2025);
    // Requested: a1, a2 (as amended), a3, a6, a7; not a4 (rejected) nor a5 (withdrawn).
    //   État 20 000 + 7 000 + 25 000 + 10 000 = 62 000 €; Ville 4 000 + 5 000 + 2 000 = 11 000 €;
    //   CAF 2 000 + 4 000 = 6 000 €.
    // Retained: a1, a2, a3 (as revised), a6.
    //   État 18 000 + 6 000 + 25 000 + 10 000 = 59 000 €; Ville 4 000 + 3 000 + 2 000 = 9 000 €
    //   (a6's refused by the town, still retained); CAF 2 000 €.
    // Granted in 2025: État 18 000 + 25 000 + 6 000 + 10 000 = 59 000 €; Ville 4 000 + 3 000 =
    //   7 000 €; CAF 2 000 €. (a9's grant is of its own year, a8's of 2024.)
    // Paid: État a1 9 000 + 9 000 (v2 cancelled), a2 3 000, a3 10 000 = 31 000 €; Ville a1 4 000 €.
    // To pay: État a2 3 000 + a6 10 000 = 13 000 € (a3 not realised: 0); Ville 0; CAF 2 000 €.
    // Consumption: État ⌊59 000 × 1000 / 280 000⌋ = 210 ‰; Ville ⌊7 000 × 1000 / 100 000⌋ = 70 ‰;
    //   total over the funders with an envelope ⌊66 000 × 1000 / 380 000⌋ = 173 ‰.
    assert_eq!(
        b["lines"],
        json!([
            budget_line(
                Some("etat"),
                [
                    28_000_000, 6_200_000, 5_900_000, 5_900_000, 3_100_000, 1_300_000
                ],
                Some(210)
            ),
            budget_line(
                Some("ville"),
                [10_000_000, 1_100_000, 900_000, 700_000, 400_000, 0],
                Some(70)
            ),
            budget_line(
                Some("caf"),
                [0, 600_000, 200_000, 200_000, 0, 200_000],
                None
            ),
        ])
    );
    assert_eq!(
        b["total"],
        budget_line(
            None,
            [
                38_000_000, 7_900_000, 7_000_000, 6_800_000, 3_500_000, 1_500_000
            ],
            Some(173)
        )
    );
    // The programmation: the actions of 2025 whose decision is RETAINED, whatever came after.
    let row = |id: &str, amounts: &[(&str, [i64; 5])]| {
        let amounts: Vec<Value> = amounts
            .iter()
            .map(|(funder, [requested, retained, granted, paid, to_pay])| {
                json!({"funder": {"id": funder}, "requested": requested, "retained": retained,
                       "granted": granted, "paid": paid, "toPay": to_pay})
            })
            .collect();
        json!({"action": {"id": id}, "amounts": amounts})
    };
    assert_eq!(
        b["programmation"],
        json!([
            row(
                "a1",
                &[
                    ("etat", [2_000_000, 1_800_000, 1_800_000, 1_800_000, 0]),
                    ("ville", [400_000, 400_000, 400_000, 400_000, 0])
                ]
            ),
            row(
                "a2",
                &[
                    ("caf", [200_000, 200_000, 200_000, 0, 200_000]),
                    ("etat", [700_000, 600_000, 600_000, 300_000, 300_000])
                ]
            ),
            row(
                "a3",
                &[
                    ("etat", [2_500_000, 2_500_000, 2_500_000, 1_000_000, 0]),
                    ("ville", [500_000, 300_000, 300_000, 0, 0])
                ]
            ),
            row(
                "a6",
                &[
                    ("etat", [1_000_000, 1_000_000, 1_000_000, 0, 1_000_000]),
                    ("ville", [200_000, 200_000, 0, 0, 0])
                ]
            ),
        ])
    );

    // 2024: a8 alone, 5 000 € granted and paid, no envelope notified that year.
    let b = budget(y, &y.pilot, 2024, json!(null));
    assert_eq!(
        b["lines"],
        json!([
            budget_line(
                Some("etat"),
                [0, 500_000, 500_000, 500_000, 500_000, 0],
                None
            ),
            budget_line(Some("ville"), [0; 6], None),
            budget_line(Some("caf"), [0; 6], None),
        ])
    );
    assert_eq!(
        b["total"],
        budget_line(None, [0, 500_000, 500_000, 500_000, 500_000, 0], None)
    );
    assert_eq!(pluck(&b["programmation"], "action"), [json!({"id": "a8"})]);

    // This year: a9, 2 000 € granted, nothing paid.
    let b = budget(y, &y.pilot, y.y, json!(null));
    assert_eq!(
        b["total"],
        budget_line(None, [0, 200_000, 200_000, 200_000, 0, 200_000], None)
    );
    assert_eq!(pluck(&b["programmation"], "action"), [json!({"id": "a9"})]);
}

fn check_reports_due(y: &Year) {
    let query = "query($p: ID!, $within: Int) { reportsDue(programmeId: $p, withinDays: $within) {
        action { id status } kind dueOn overdue } }";
    // Final reports of the actions FUNDED, IN_PROGRESS or COMPLETED, due on 30 June of the
    // next year: a8 (2024, completed without its final report), a2 and a6 (2025), all past.
    let due = |action: &str, status: &str, due_on: &str, overdue: bool| json!({"action": {"id": action, "status": status}, "kind": "FINAL", "dueOn": due_on, "overdue": overdue});
    let mut expected = vec![
        due("a8", "COMPLETED", "2025-06-30", true),
        due("a2", "IN_PROGRESS", "2026-06-30", true),
        due("a6", "FUNDED", "2026-06-30", true),
    ];
    let data = y.ok(&y.coordinator, query, json!({"p": P}));
    assert_eq!(data["reportsDue"], Value::from(expected.clone()));
    // a9's, due on 30 June of next year, comes within 600 days whatever today is, and never
    // within 30.
    expected.push(due("a9", "FUNDED", &format!("{}-06-30", y.y + 1), false));
    let data = y.ok(&y.coordinator, query, json!({"p": P, "within": 600}));
    assert_eq!(data["reportsDue"], Value::from(expected));
}

fn check_changes(y: &Year) {
    let query = "query($p: ID!, $from: AsOf!, $to: AsOf!) { changes(programmeId: $p, from: $from, to: $to) {
        fromPosition toPosition entries { position } actionsAdded
        statusChanges { actionId from to } grantedDelta { funder { id } delta } } }";
    let changes = |from: Value, to: Value| {
        y.ok(&y.evaluator, query, json!({"p": P, "from": from, "to": to}))["changes"].clone()
    };
    // Between two positions: the events 43 to 56, oldest first by effective date.
    let c = changes(json!({"position": 42}), json!({"position": 56}));
    assert_eq!(
        pluck(&c["entries"], "position"),
        [46, 43, 44, 45, 47, 52, 48, 51, 54, 49, 50, 53, 55, 56]
    );
    assert_eq!(
        pick(
            &c,
            &[
                "fromPosition",
                "toPosition",
                "actionsAdded",
                "statusChanges",
                "grantedDelta"
            ]
        ),
        json!({"fromPosition": 42, "toPosition": 56, "actionsAdded": [],
        "statusChanges": [
            {"actionId": "a1", "from": "RETAINED", "to": "IN_PROGRESS"},
            {"actionId": "a3", "from": "RETAINED", "to": "FUNDED"},
        ],
        "grantedDelta": [
            {"funder": {"id": "etat"}, "delta": 4_300_000},
            {"funder": {"id": "ville"}, "delta": 400_000},
        ]})
    );
    // Between two effective dates, 15 February and 31 July 2025: the 37 events dated in
    // between, a7 and a9 proposed, eight statuses moved, and the grants of the spring and summer:
    // État 18 000 + 25 000 + 2 000 (a9) + 6 000 + 10 000 = 61 000 €, Ville 4 000 + 3 000 =
    // 7 000 €, CAF 2 000 €.
    let c = changes(
        json!({"effectiveOn": "2025-02-15"}),
        json!({"effectiveOn": "2025-07-31"}),
    );
    let expected: Vec<u64> =
        BY_EFFECTIVE_DATE[BY_EFFECTIVE_DATE.iter().position(|p| *p == 35).unwrap()
            ..=BY_EFFECTIVE_DATE.iter().position(|p| *p == 68).unwrap()]
            .to_vec();
    assert_eq!(expected.len(), 37);
    // The positions are the last folded into each view: a8's start (6 January 2025, entered at
    // 85) and a9's grant (10 April, 87).
    assert_eq!(
        (&c["fromPosition"], &c["toPosition"]),
        (&json!(85), &json!(87))
    );
    assert_eq!(pluck(&c["entries"], "position"), expected);
    assert_eq!(
        pick(&c, &["actionsAdded", "statusChanges", "grantedDelta"]),
        json!({"actionsAdded": ["a7", "a9"],
        "statusChanges": [
            {"actionId": "a1", "from": "UNDER_REVIEW", "to": "REPORTED"},
            {"actionId": "a2", "from": "UNDER_REVIEW", "to": "FUNDED"},
            {"actionId": "a3", "from": "UNDER_REVIEW", "to": "FUNDED"},
            {"actionId": "a4", "from": "PROPOSED", "to": "REJECTED"},
            {"actionId": "a6", "from": "UNDER_REVIEW", "to": "FUNDED"},
            {"actionId": "a7", "from": null, "to": "PROPOSED"},
            {"actionId": "a8", "from": "IN_PROGRESS", "to": "COMPLETED"},
            {"actionId": "a9", "from": null, "to": "FUNDED"},
        ],
        "grantedDelta": [
            {"funder": {"id": "caf"}, "delta": 200_000},
            {"funder": {"id": "etat"}, "delta": 6_100_000},
            {"funder": {"id": "ville"}, "delta": 700_000},
        ]})
    );
}

fn check_as_of(y: &Year) {
    // a3 right after the first COPIL (position 42): retained, nothing granted yet.
    let a3 = action(y, &y.pilot, "a3", json!({"position": 42}));
    assert_eq!(
        pick(&a3, &["status", "money", "version"]),
        json!({"status": "RETAINED", "version": 3, "money": [
            money("etat", 2_500_000, 2_500_000, 2_500_000, 0, 0, 0, (0, 0), false),
            money("ville", 500_000, 500_000, 500_000, 0, 0, 0, (0, 0), false),
        ]})
    );
    assert_eq!(a3["decision"]["session"]["id"], "copil-1");
    // As of 20 June 2025, effective: the revision of that day, the State's grant and advance;
    // not yet the town's grant (27 June).
    let a3 = action(y, &y.pilot, "a3", json!({"effectiveOn": "2025-06-20"}));
    assert_eq!(
        pick(&a3, &["status", "money"]),
        json!({"status": "FUNDED", "money": [
            money("etat", 2_500_000, 2_500_000, 2_500_000, 2_500_000, 1_000_000, 1_500_000, (0, 0), false),
            money("ville", 500_000, 500_000, 300_000, 0, 0, 0, (0, 0), false),
        ]})
    );
    assert_eq!(
        a3["decision"],
        json!({"session": {"id": "copil-2"}, "outcome": "RETAINED",
               "retained": lines(&[("etat", 2_500_000), ("ville", 300_000)]),
               "reason": "Participation de la ville réduite", "decidedOn": "2025-06-20", "revised": true})
    );
    // a8 was entered last (positions 80 to 86) but happened in 2024.
    assert_eq!(
        action(y, &y.pilot, "a8", json!({"position": 78})),
        Value::Null
    );
    let a8 = action(y, &y.pilot, "a8", json!({"effectiveOn": "2024-12-31"}));
    assert_eq!(a8["status"], "FUNDED");
    let programme = "query($p: ID!, $asOf: AsOf) { programme(id: $p, asOf: $asOf) { version envelopes(year: 2025) { funder { id } amount } } }";
    for before in [
        json!({"position": 0}),
        json!({"effectiveOn": "2024-08-31"}),
        json!({"recordedAt": "2020-01-01T00:00:00Z"}),
    ] {
        let data = y.ok(&y.pilot, programme, json!({"p": P, "asOf": before}));
        assert_eq!(data["programme"], Value::Null, "as of {before}");
    }
    let data = y.ok(
        &y.pilot,
        programme,
        json!({"p": P, "asOf": {"effectiveOn": "2025-04-30"}}),
    );
    assert_eq!(
        data["programme"],
        json!({"version": 12, "envelopes": [{"funder": {"id": "etat"}, "amount": 30_000_000},
                                            {"funder": {"id": "ville"}, "amount": 10_000_000}]})
    );

    // The budget as of 30 April 2025 (effective): the envelope not yet revised; a1 and a3
    // retained and granted, a1's first advance paid.
    //   Requested: État 20 000 + 7 000 (a2 amended 10 April) + 25 000 + 10 000 = 62 000 €.
    //   Retained: État 18 000 + 25 000 = 43 000 €, Ville 4 000 + 5 000 = 9 000 €.
    //   Granted: État 43 000 €, Ville 4 000 €. Paid: État 9 000 €.
    //   Consumption: ⌊43 000 × 1000 / 300 000⌋ = 143, ⌊4 000 × 1000 / 100 000⌋ = 40,
    //   total ⌊47 000 × 1000 / 400 000⌋ = 117.
    let b = budget(y, &y.pilot, 2025, json!({"effectiveOn": "2025-04-30"}));
    assert_eq!(
        b["lines"],
        json!([
            budget_line(
                Some("etat"),
                [
                    30_000_000, 6_200_000, 4_300_000, 4_300_000, 900_000, 3_400_000
                ],
                Some(143)
            ),
            budget_line(
                Some("ville"),
                [10_000_000, 1_100_000, 900_000, 400_000, 0, 400_000],
                Some(40)
            ),
            budget_line(Some("caf"), [0, 600_000, 0, 0, 0, 0], None),
        ])
    );
    assert_eq!(
        b["total"],
        budget_line(
            None,
            [
                40_000_000, 7_900_000, 5_200_000, 4_700_000, 900_000, 3_800_000
            ],
            Some(117)
        )
    );
    assert_eq!(
        pluck(&b["programmation"], "action"),
        [json!({"id": "a1"}), json!({"id": "a3"})]
    );
    // As of position 42: a2 deferred with its first request (8 000 €), nothing granted.
    let b = budget(y, &y.pilot, 2025, json!({"position": 42}));
    assert_eq!(
        b["total"],
        budget_line(None, [40_000_000, 8_000_000, 5_200_000, 0, 0, 0], Some(0))
    );

    // As of a recorded instant: what the log held then. The five decisions of the first COPIL
    // were appended at once; the instant of the last one is a prefix ending at or after it.
    let events = y.ok(
        &y.admin,
        "query($p: ID!) { events(programmeId: $p, first: 500) { edges { node { position recordedAt } } } }",
        json!({"p": P}),
    );
    let recorded: Vec<(u64, String)> = nodes(&events["events"])
        .iter()
        .map(|n| {
            (
                n["position"].as_u64().unwrap(),
                n["recordedAt"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(recorded.len(), 87);
    let instant = recorded[41].1.clone();
    let prefix = recorded
        .iter()
        .filter(|(_, at)| parse_instant(at) <= parse_instant(&instant))
        .map(|(p, _)| *p)
        .max()
        .unwrap();
    assert!(prefix >= 42);
    let statuses = |as_of: Value| {
        let data = y.ok(
            &y.pilot,
            "query($p: ID!, $asOf: AsOf) { actions(programmeId: $p, asOf: $asOf) { edges { node { id status } } } }",
            json!({"p": P, "asOf": as_of}),
        );
        Value::from(nodes(&data["actions"]))
    };
    assert_eq!(
        statuses(json!({"recordedAt": instant})),
        statuses(json!({"position": prefix}))
    );
    assert_eq!(
        statuses(json!({"position": 42})),
        json!([
            {"id": "a1", "status": "RETAINED"}, {"id": "a2", "status": "DEFERRED"},
            {"id": "a3", "status": "RETAINED"}, {"id": "a4", "status": "REJECTED"},
            {"id": "a5", "status": "WITHDRAWN"}, {"id": "a6", "status": "UNDER_REVIEW"},
            {"id": "a9", "status": "RETAINED"}, {"id": "a7", "status": "PROPOSED"},
        ])
    );
}

fn parse_instant(text: &str) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::parse_from_rfc3339(text)
        .unwrap_or_else(|e| panic!("{text}: {e}"))
        .with_timezone(&chrono::Utc)
}

fn check_raw_log(y: &Year) {
    let data = y.ok(
        &y.evaluator,
        "query($p: ID!) { events(programmeId: $p, first: 500) { edges { node {
            position streamId version kind effectiveOn actor prevHash hash } } pageInfo { hasNextPage } }
          integrity { headPosition headHash } }",
        json!({"p": P}),
    );
    let events = nodes(&data["events"]);
    assert_eq!(events.len(), 87);
    assert_eq!(data["events"]["pageInfo"]["hasNextPage"], false);
    assert_eq!(
        pick(
            &events[0],
            &[
                "position",
                "streamId",
                "version",
                "kind",
                "effectiveOn",
                "actor"
            ]
        ),
        json!({"position": 1, "streamId": "programme-clichy", "version": 1, "kind": "ProgrammeEstablished",
               "effectiveOn": "2024-09-01", "actor": ADMIN})
    );
    // The five decisions of the first COPIL, one per action stream, in the order given.
    let decided: Vec<Value> = events[37..42]
        .iter()
        .map(|e| pick(e, &["position", "streamId", "version", "kind"]))
        .collect();
    assert_eq!(
        decided,
        [
            json!({"position": 38, "streamId": "action-clichy.a1", "version": 3, "kind": "CopilDecisionTaken"}),
            json!({"position": 39, "streamId": "action-clichy.a2", "version": 5, "kind": "CopilDecisionTaken"}),
            json!({"position": 40, "streamId": "action-clichy.a3", "version": 3, "kind": "CopilDecisionTaken"}),
            json!({"position": 41, "streamId": "action-clichy.a4", "version": 2, "kind": "CopilDecisionTaken"}),
            json!({"position": 42, "streamId": "action-clichy.a9", "version": 2, "kind": "CopilDecisionTaken"}),
        ]
    );
    for pair in events.windows(2) {
        assert_eq!(pair[1]["prevHash"], pair[0]["hash"], "the hash chain");
    }
    assert_eq!(
        data["integrity"],
        json!({"headPosition": 87, "headHash": events[86]["hash"]})
    );
}
