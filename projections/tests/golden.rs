//! Golden files of every stored payload version (STYLE.md, "The log").
//!
//! For each `(event_type, schema_version)` of the registry, `tests/golden/<type>/v<N>.bin` holds
//! the bytes of a sample value. The test decodes each file and compares it with the sample (old
//! versions through their upcast), and checks that the current encoding of each sample is the
//! file byte for byte. When it fails because an event's fields changed, do not regenerate the
//! file: add a schema version instead, and keep the old struct frozen in `domain::events::legacy`.
//!
//! A new event type or version gets its file with `CHRONIQUE_WRITE_GOLDEN=1 cargo test -p
//! projections --test golden`, which writes only the files that do not exist yet.

use chrono::NaiveDate;
use domain::events::legacy::{
    ActionProposedV1, FunderRegisteredV1, PartnerRegisteredV1, ProgrammeEstablishedV1,
};
use domain::events::*;
use domain::values::*;
use projections::registry;
use std::path::PathBuf;

fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}
fn name(s: &str) -> Name {
    Name::parse("nom", s).unwrap()
}
fn title(s: &str) -> Title {
    Title::parse("titre", s).unwrap()
}
fn note(s: &str) -> Note {
    Note::parse("note", s).unwrap()
}
fn narrative(s: &str) -> Narrative {
    Narrative::parse("texte", s).unwrap()
}
fn money(cents: i64) -> Money {
    Money::from_cents(cents).unwrap()
}
fn funder(s: &str) -> FunderId {
    FunderId::parse(s).unwrap()
}
fn line(f: &str, cents: i64) -> MoneyLine {
    MoneyLine {
        funder: funder(f),
        amount: money(cents),
    }
}
fn session(s: &str) -> SessionId {
    SessionId::parse(s).unwrap()
}
fn axis(s: &str) -> AxisCode {
    AxisCode::parse(s).unwrap()
}

/// One sample per event type, at its current version, with every optional field set.
fn current_samples() -> Vec<DomainEvent> {
    let p = |e: ProgrammeEvent| DomainEvent::Programme(e);
    let a = |e: ActionEvent| DomainEvent::Action(e);
    vec![
        p(ProgrammeEstablished {
            programme: ProgrammeId::parse("grigny").unwrap(),
            name: name("Cité éducative de Grigny"),
            territory: vec![name("Grigny")],
            qpv: vec![name("Grande Borne"), name("Grigny 2")],
            labelled_on: Some(date("2019-09-05")),
            request_cap_permille: 800,
        }
        .into()),
        p(AxisDefined {
            code: axis("A1"),
            title: title("Réussite éducative"),
            objective: NationalObjective::SchoolRole,
        }
        .into()),
        p(AxisRetired { code: axis("A1") }.into()),
        p(TerritoryChanged {
            communes: vec![name("Grigny"), name("Viry-Châtillon")],
            qpv: vec![QpvCode::parse("QN09101M").unwrap()],
            schools: vec![Uai::parse("0750654D").unwrap()],
            reason: note("Nouvelle géographie prioritaire au 1er janvier 2024"),
        }
        .into()),
        p(ReviewSectionWritten {
            year: Year::parse(2025).unwrap(),
            section: ReviewSection::Governance,
            text: narrative("Le COPIL s'est réuni trois fois."),
        }
        .into()),
        p(AnnualReviewValidated {
            year: Year::parse(2025).unwrap(),
            session: session("copil-mars"),
        }
        .into()),
        p(ActorNameErased {
            actor: name("person:p_0123456789abcdef01234567"),
            reason: note("Agent parti, à sa demande"),
        }
        .into()),
        p(TextErased {
            position: 42,
            field: name("summary"),
            reason: note("Prénom d'un enfant écrit par erreur"),
        }
        .into()),
        p(FunderRegistered {
            funder: funder("fonds-cite"),
            name: name("Fonds de la cité"),
            kind: FunderKind::FondsDeLaCite,
            payer: Payer::State,
        }
        .into()),
        p(EnvelopeNotified {
            funder: funder("etat-p147"),
            year: Year::parse(2026).unwrap(),
            amount: money(35_000_000),
            reference: Some(title("Arrêté préfectoral 2026-14")),
        }
        .into()),
        p(EnvelopeRevised {
            funder: funder("etat-p147"),
            year: Year::parse(2026).unwrap(),
            amount: money(32_000_000),
            reason: note("Gel de crédits"),
        }
        .into()),
        p(BodyMembershipChanged {
            body: BodyKind::Copil,
            organisations: vec![name("Préfecture"), name("Ville de Grigny")],
        }
        .into()),
        DomainEvent::Partner(
            PartnerRegistered {
                partner: PartnerId::parse("asso-lire").unwrap(),
                name: name("Association Lire et Faire Lire"),
                kind: PartnerKind::Association,
                siret: Some(Siret::parse("73282932000074").unwrap()),
                legal_form: LegalForm::Association,
                rna: Some(Rna::parse("W913001234").unwrap()),
            }
            .into(),
        ),
        DomainEvent::Partner(
            PartnerLegalFormSet {
                legal_form: LegalForm::Foundation,
                reason: note("Reconnue d'utilité publique"),
            }
            .into(),
        ),
        DomainEvent::Partner(
            PartnerLeftAlliance {
                reason: note("Dissolution"),
            }
            .into(),
        ),
        DomainEvent::Session(
            SessionScheduled {
                session: session("copil-2026-03"),
                body: BodyKind::Copil,
                date: date("2026-03-14"),
                title: title("COPIL de printemps"),
            }
            .into(),
        ),
        DomainEvent::Session(
            SessionHeld {
                present: vec![name("Préfecture"), name("Rectorat")],
            }
            .into(),
        ),
        DomainEvent::Session(
            SessionCancelled {
                reason: note("Quorum non atteint"),
            }
            .into(),
        ),
        DomainEvent::Session(
            AttendanceCorrected {
                present: vec![name("Préfecture"), name("CAF")],
                reason: note("La CAF était présente"),
            }
            .into(),
        ),
        a(ActionProposed {
            action: ActionId::parse("soutien-scolaire").unwrap(),
            reference: title("2026-001"),
            title: title("Soutien scolaire"),
            summary: narrative("Aide aux devoirs pour les collégiens."),
            holder: PartnerId::parse("asso-lire").unwrap(),
            axis: axis("A1"),
            secondary_axes: vec![axis("A2")],
            publics: vec![PublicKind::Children, PublicKind::Parents],
            qpv: vec![name("Grande Borne")],
            period_start: date("2026-09-01"),
            period_end: date("2027-06-30"),
            year: Year::parse(2026).unwrap(),
            total_cost: money(2_000_000),
            requested: vec![line("etat-p147", 1_200_000), line("ville", 300_000)],
            indicators: vec![IndicatorDef {
                code: IndicatorCode::parse("eleves").unwrap(),
                label: title("Élèves accompagnés"),
                target: Some(120.0),
            }],
            external_refs: vec![title("DAUPHIN-2026-00042")],
            renews: Some(ActionId::parse("soutien-2025").unwrap()),
        }
        .into()),
        a(ActionAmended {
            title: Some(title("Soutien scolaire renforcé")),
            summary: Some(narrative("Aide aux devoirs et tutorat.")),
            axis: Some(axis("A2")),
            secondary_axes: Some(vec![]),
            publics: Some(vec![PublicKind::Children]),
            qpv: Some(vec![name("Grigny 2")]),
            period_start: Some(date("2026-10-01")),
            period_end: Some(date("2027-07-05")),
            total_cost: Some(money(2_100_000)),
            requested: Some(vec![line("etat-p147", 1_300_000)]),
            indicators: Some(vec![]),
        }
        .into()),
        a(ComplementsRequested {
            items: vec![title("Budget détaillé"), title("Statuts")],
        }
        .into()),
        a(ComplementsProvided {
            note: note("Budget joint"),
        }
        .into()),
        a(OpinionGiven {
            session: session("cotech-2026-02"),
            opinion: Opinion::Reserved,
            proposed: vec![line("etat-p147", 1_000_000)],
            comment: Some(note("Préciser les publics")),
        }
        .into()),
        a(CopilDecisionTaken {
            session: session("copil-2026-03"),
            decision_no: 1,
            outcome: DecisionOutcome::Retained,
            retained: vec![line("etat-p147", 1_000_000)],
            reason: Some(note("Action prioritaire")),
        }
        .into()),
        a(DecisionRevised {
            session: session("copil-2026-06"),
            decision_no: 2,
            supersedes: 1,
            outcome: DecisionOutcome::Retained,
            retained: vec![line("etat-p147", 1_100_000)],
            reason: note("Effectifs en hausse"),
        }
        .into()),
        a(ActionWithdrawn {
            reason: note("Porteur indisponible"),
        }
        .into()),
        a(GrantAwarded {
            grant: GrantId::parse("g-1").unwrap(),
            funder: funder("etat-p147"),
            year: Year::parse(2026).unwrap(),
            amount: money(1_000_000),
            act: Act {
                kind: ActKind::Arrete,
                reference: title("Arrêté 2026-77"),
                signed_on: date("2026-04-02"),
            },
        }
        .into()),
        a(GrantRefused {
            funder: funder("ville"),
            reason: note("Budget municipal épuisé"),
        }
        .into()),
        a(PaymentRecorded {
            payment: PaymentId::parse("v-1").unwrap(),
            funder: funder("etat-p147"),
            amount: money(500_000),
            kind: PaymentKind::Advance,
        }
        .into()),
        a(PaymentCancelled {
            payment: PaymentId::parse("v-1").unwrap(),
            reason: note("Saisi deux fois"),
        }
        .into()),
        a(ActionStarted {}.into()),
        a(PeriodChanged {
            period_start: date("2026-10-01"),
            period_end: date("2027-07-05"),
            reason: note("Rentrée décalée"),
        }
        .into()),
        a(ActionCompleted {}.into()),
        a(NonRealisationAttested {
            reason: note("Intervenant parti"),
        }
        .into()),
        a(RepaymentRequested {
            funder: funder("etat-p147"),
            amount: money(200_000),
            reason: note("Sous-consommation"),
        }
        .into()),
        a(RepaymentReceived {
            funder: funder("etat-p147"),
            amount: money(200_000),
        }
        .into()),
        a(ReportSubmitted {
            kind: ReportKind::Final,
            beneficiaries: vec![BeneficiaryCount {
                public: PublicKind::Children,
                age_band: AgeBand::Age11To14,
                sex: Sex::Female,
                qpv_resident: true,
                count: 42,
            }],
            spent: money(1_900_000),
            narrative: narrative("Objectifs atteints."),
        }
        .into()),
        a(IndicatorMeasured {
            code: IndicatorCode::parse("eleves").unwrap(),
            value: 118.0,
        }
        .into()),
        a(ActionEvaluated {
            rating: Rating::PartlyAchieved,
            findings: narrative("Bonne dynamique."),
            recommendation: Recommendation::Adjust,
        }
        .into()),
        a(ActionClosed {}.into()),
        a(ReportDeadlineExtended {
            due_on: date("2027-12-31"),
            reason: note("L'action suit l'année scolaire"),
        }
        .into()),
        a(GrantAmended {
            grant: GrantId::parse("g1").unwrap(),
            amount: money(1_500_000),
            reference: title("Avenant n° 1"),
            reason: note("Extension à une classe de plus"),
        }
        .into()),
        a(RepaymentRequestCancelled {
            funder: funder("ville"),
            reason: note("Remise gracieuse"),
        }
        .into()),
        a(ReportCorrected {
            report: 0,
            spent: money(1_900_000),
            beneficiaries: vec![],
            narrative: narrative("Bilan corrigé."),
            reason: note("Erreur de saisie"),
        }
        .into()),
        a(FinalReportReviewed {
            verdict: ReportVerdict::Rejected,
            comment: Some(note("Les dépenses ne sont pas justifiées")),
        }
        .into()),
    ]
}

/// `(event_type, version, stored bytes, the current event they must decode to)`.
fn golden_cases() -> Vec<(String, u16, Vec<u8>, DomainEvent)> {
    let mut cases: Vec<_> = current_samples()
        .into_iter()
        .map(|event| {
            let encoded = registry::encode(&event);
            (
                encoded.event_type.to_owned(),
                encoded.schema_version,
                encoded.payload,
                event,
            )
        })
        .collect();
    let v1 = ProgrammeEstablishedV1 {
        programme: ProgrammeId::parse("grigny").unwrap(),
        name: name("Cité éducative de Grigny"),
        territory: vec![name("Grigny")],
        qpv: vec![name("Grande Borne")],
        labelled_on: Some(date("2019-09-05")),
    };
    cases.push((
        "ProgrammeEstablished".to_owned(),
        1,
        eventlog::codec::encode(&v1).unwrap(),
        DomainEvent::Programme(ProgrammeEstablished::from(v1).into()),
    ));
    // Version 1 of a funder reads with the payer its kind maps to.
    let v1 = FunderRegisteredV1 {
        funder: funder("etat-p147"),
        name: name("État – crédits Cité éducative"),
        kind: FunderKind::State,
    };
    let upcast = FunderRegistered::from(v1.clone());
    assert_eq!(upcast.payer, Payer::State);
    cases.push((
        "FunderRegistered".to_owned(),
        1,
        eventlog::codec::encode(&v1).unwrap(),
        DomainEvent::Programme(upcast.into()),
    ));
    // Version 1 of a partner reads with the legal form its kind maps to, without an RNA number.
    let v1 = PartnerRegisteredV1 {
        partner: PartnerId::parse("asso-lire").unwrap(),
        name: name("Association Lire et Faire Lire"),
        kind: PartnerKind::Association,
        siret: Some(Siret::parse("73282932000074").unwrap()),
    };
    let upcast = PartnerRegistered::from(v1.clone());
    assert_eq!(
        (upcast.legal_form, upcast.rna.clone()),
        (LegalForm::Association, None)
    );
    cases.push((
        "PartnerRegistered".to_owned(),
        1,
        eventlog::codec::encode(&v1).unwrap(),
        DomainEvent::Partner(upcast.into()),
    ));
    // Version 1 of a proposal reads as renewing nothing.
    let v1 = ActionProposedV1 {
        action: ActionId::parse("soutien-scolaire").unwrap(),
        reference: title("2026-001"),
        title: title("Soutien scolaire"),
        summary: narrative("Aide aux devoirs pour les collégiens."),
        holder: PartnerId::parse("asso-lire").unwrap(),
        axis: axis("A1"),
        secondary_axes: vec![axis("A2")],
        publics: vec![PublicKind::Children, PublicKind::Parents],
        qpv: vec![name("Grande Borne")],
        period_start: date("2026-09-01"),
        period_end: date("2027-06-30"),
        year: Year::parse(2026).unwrap(),
        total_cost: money(2_000_000),
        requested: vec![line("etat-p147", 1_200_000), line("ville", 300_000)],
        indicators: vec![IndicatorDef {
            code: IndicatorCode::parse("eleves").unwrap(),
            label: title("Élèves accompagnés"),
            target: Some(120.0),
        }],
        external_refs: vec![title("DAUPHIN-2026-00042")],
    };
    let upcast = ActionProposed::from(v1.clone());
    assert_eq!(upcast.renews, None);
    cases.push((
        "ActionProposed".to_owned(),
        1,
        eventlog::codec::encode(&v1).unwrap(),
        DomainEvent::Action(upcast.into()),
    ));
    cases
}

fn golden_path(event_type: &str, version: u16) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(event_type)
        .join(format!("v{version}.bin"))
}

#[test]
fn every_stored_version_has_a_golden_file_and_a_sample() {
    let mut covered: Vec<(String, u16)> = golden_cases()
        .iter()
        .map(|(t, v, _, _)| (t.clone(), *v))
        .collect();
    covered.sort();
    let known: Vec<(String, u16)> = registry::known_versions()
        .into_iter()
        .map(|(t, v)| (t.to_owned(), v))
        .collect();
    assert_eq!(
        covered, known,
        "each (event_type, schema_version) of the registry needs exactly one golden sample"
    );
}

#[test]
fn golden_files_decode_to_their_samples_and_current_encodings_match_byte_for_byte() {
    let write_missing = std::env::var_os("CHRONIQUE_WRITE_GOLDEN").is_some();
    let mut failures = Vec::new();
    for (event_type, version, bytes, expected) in golden_cases() {
        let path = golden_path(&event_type, version);
        if !path.exists() && write_missing {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, &bytes).unwrap();
        }
        let stored = match std::fs::read(&path) {
            Ok(stored) => stored,
            Err(e) => {
                failures.push(format!("{}: missing ({e})", path.display()));
                continue;
            }
        };
        match registry::decode(&event_type, version, &stored) {
            Ok(decoded) if decoded == expected => {}
            Ok(decoded) => failures.push(format!(
                "{event_type} v{version}: the golden file decodes to {decoded:?}, expected {expected:?}"
            )),
            Err(e) => failures.push(format!("{event_type} v{version}: {e}")),
        }
        if stored != bytes {
            failures.push(format!(
                "{event_type} v{version}: the current encoding differs from {}. The stored format \
                 changed: add a schema version instead of changing the event",
                path.display()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn an_unknown_type_or_version_is_an_error_that_names_it() {
    let err = registry::decode("ActionTeleported", 1, &[]).unwrap_err();
    assert!(err.to_string().contains("ActionTeleported v1"), "{err}");
    let err = registry::decode("ActionProposed", 9, &[]).unwrap_err();
    assert!(err.to_string().contains("ActionProposed v9"), "{err}");
}

#[test]
fn a_truncated_payload_is_an_error_that_names_its_type() {
    let samples = current_samples();
    let event = samples
        .iter()
        .find(|e| e.event_type() == "ActionProposed")
        .unwrap();
    // (version 2 since renewals)
    let encoded = registry::encode(event);
    let err = registry::decode(
        encoded.event_type,
        encoded.schema_version,
        &encoded.payload[..encoded.payload.len() / 2],
    )
    .unwrap_err();
    assert!(err.to_string().contains("ActionProposed v2"), "{err}");
}

/// The payload the command service stores (envelope format 2): every erasable text (title,
/// note, narrative) taken out, an empty string in its place; pinned per event type that has
/// any, and decoded back whole with its texts.
#[test]
fn erasable_encodings_are_pinned_and_give_their_texts_back() {
    let write_missing = std::env::var_os("CHRONIQUE_WRITE_GOLDEN").is_some();
    let mut failures = Vec::new();
    let mut with_texts = 0;
    for event in current_samples() {
        let encoded = registry::encode_erasable(&event);
        let decoded = registry::decode_with_texts(
            encoded.event_type,
            encoded.schema_version,
            &encoded.payload,
            encoded.texts.clone(),
        )
        .unwrap();
        assert_eq!(decoded, event, "{}", encoded.event_type);
        let fields = registry::erasable_fields(&event);
        assert_eq!(fields.len(), encoded.texts.len(), "{}", encoded.event_type);
        assert!(fields.iter().all(|f| !f.is_empty()), "{fields:?}");
        if encoded.texts.is_empty() {
            assert_eq!(encoded.payload, registry::encode(&event).payload);
            continue;
        }
        with_texts += 1;
        for text in &encoded.texts {
            assert!(
                !encoded
                    .payload
                    .windows(text.len())
                    .any(|w| w == text.as_bytes()),
                "{}: « {text} » is still in the payload",
                encoded.event_type
            );
        }
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("tests/golden")
            .join(encoded.event_type)
            .join(format!("v{}-erasable.bin", encoded.schema_version));
        if !path.exists() && write_missing {
            std::fs::write(&path, &encoded.payload).unwrap();
        }
        match std::fs::read(&path) {
            Ok(stored) if stored == encoded.payload => {}
            Ok(_) => failures.push(format!("{}: the erasable encoding changed", path.display())),
            Err(e) => failures.push(format!("{}: missing ({e})", path.display())),
        }
    }
    assert!(with_texts > 20, "{with_texts} samples with texts");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // Where the texts of an action's proposal sit, as `eraseText` names them.
    let proposal = current_samples()
        .into_iter()
        .find(|e| e.event_type() == "ActionProposed")
        .unwrap();
    let fields = registry::erasable_fields(&proposal);
    assert!(
        fields.starts_with(&[
            "reference".to_owned(),
            "title".to_owned(),
            "summary".to_owned()
        ]),
        "{fields:?}"
    );
}
