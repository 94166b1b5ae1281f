//! Every event type has a French past-tense sentence naming its figures.

use crate::fixture::*;
use domain::events::*;
use domain::streams::StreamRef;
use domain::values::*;
use projections::model::EventKind;
use projections::recorded::RecordedEvent;
use projections::render::{self, Redaction};
use std::collections::BTreeSet;

const NNBSP: char = '\u{202F}';

fn render_last(f: &Fixture) -> String {
    render::sentence(&f.view, f.events.last().unwrap(), Redaction::NONE)
}

/// One sample of each event type, pushed on the right stream of a programme.
fn every_event_type() -> (Fixture, Vec<String>) {
    let mut f = Fixture::base();
    f.programme("2026-01-05", AxisRetired { code: axis("A2") });
    f.programme(
        "2026-01-12",
        EnvelopeRevised {
            funder: funder(ETAT),
            year: year(2026),
            amount: euros(90_000),
            reason: note("Gel de crédits"),
        },
    );
    f.programme(
        "2026-01-12",
        BodyMembershipChanged {
            body: BodyKind::Copil,
            organisations: vec![name("Préfecture"), name("Ville de Grigny")],
        },
    );
    f.programme(
        "2026-01-12",
        TerritoryChanged {
            communes: vec![name("Grigny")],
            qpv: vec![QpvCode::parse("QN09101M").unwrap()],
            schools: vec![Uai::parse("0750654D").unwrap()],
            reason: note("Nouvelle géographie prioritaire"),
        },
    );
    f.programme(
        "2026-01-13",
        ReviewSectionWritten {
            year: Year::parse(2025).unwrap(),
            section: ReviewSection::Outlook,
            text: narrative("Poursuivre."),
        },
    );
    f.programme(
        "2026-01-14",
        AnnualReviewValidated {
            year: Year::parse(2025).unwrap(),
            session: SessionId::parse("copil-inconnu").unwrap(),
        },
    );
    f.programme(
        "2026-01-14",
        ActorNameErased {
            actor: name("token:t1"),
            reason: note("agent parti"),
        },
    );
    f.programme(
        "2026-01-14",
        TextErased {
            position: 12,
            field: name("summary"),
            reason: note("prénom d'un enfant"),
        },
    );
    f.push(
        StreamRef::Partner(programme_id(), pid("college")),
        "2026-01-15",
        DomainEvent::Partner(
            PartnerLegalFormSet {
                legal_form: LegalForm::Eple,
                reason: note("Établissement public local d'enseignement"),
            }
            .into(),
        ),
    );
    f.push(
        StreamRef::Partner(programme_id(), pid("college")),
        "2026-01-20",
        DomainEvent::Partner(
            PartnerLeftAlliance {
                reason: note("Fusion"),
            }
            .into(),
        ),
    );
    f.hold("cotech-1", "2026-02-02", &["Rectorat"]);
    f.session_event(
        "cotech-1",
        "2026-02-03",
        AttendanceCorrected {
            present: vec![name("Rectorat"), name("CAF")],
            reason: note("La CAF était présente"),
        },
    );
    f.schedule("cotech-2", BodyKind::Cotech, "2026-02-20", "2026-01-07");
    f.session_event(
        "cotech-2",
        "2026-02-10",
        SessionCancelled {
            reason: note("Grève"),
        },
    );
    f.hold("copil-1", "2026-03-14", &["Préfecture", "Ville"]);
    f.propose(
        "a1",
        "2026-003",
        "Soutien scolaire",
        "asso",
        2026,
        &[(ETAT, 12_000), (VILLE, 3_000)],
    );
    f.action(
        "a1",
        "2026-01-20",
        ActionAmended {
            title: Some(title("Soutien scolaire renforcé")),
            requested: Some(vec![line(ETAT, 12_000), line(VILLE, 3_000)]),
            ..Default::default()
        },
    );
    f.action(
        "a1",
        "2026-01-21",
        ComplementsRequested {
            items: vec![title("Budget détaillé"), title("Statuts")],
        },
    );
    f.action(
        "a1",
        "2026-01-25",
        ComplementsProvided {
            note: note("Budget joint"),
        },
    );
    f.opinion(
        "a1",
        "cotech-1",
        "2026-02-02",
        Opinion::Favourable,
        &[(ETAT, 12_000)],
    );
    f.decide(
        "a1",
        "copil-1",
        "2026-03-14",
        1,
        DecisionOutcome::Retained,
        &[(ETAT, 12_000)],
    );
    f.action(
        "a1",
        "2026-03-14",
        DecisionRevised {
            session: sid("copil-1"),
            decision_no: 2,
            supersedes: 1,
            outcome: DecisionOutcome::Retained,
            retained: vec![line(ETAT, 12_000), line(VILLE, 3_000)],
            reason: note("Cofinancement de la Ville"),
        },
    );
    f.grant("a1", ETAT, 2026, 12_000, "2026-04-01");
    f.action(
        "a1",
        "2026-04-02",
        GrantRefused {
            funder: funder(VILLE),
            reason: note("Budget épuisé"),
        },
    );
    f.pay("a1", "v-1", ETAT, 4_000, "2026-04-15");
    f.action(
        "a1",
        "2026-04-16",
        PaymentCancelled {
            payment: PaymentId::parse("v-1").unwrap(),
            reason: note("Saisi deux fois"),
        },
    );
    f.action("a1", "2026-09-01", ActionStarted {});
    f.action(
        "a1",
        "2026-09-02",
        PeriodChanged {
            period_start: date("2026-10-01"),
            period_end: date("2027-07-05"),
            reason: note("Rentrée décalée"),
        },
    );
    f.action(
        "a1",
        "2027-01-10",
        IndicatorMeasured {
            code: IndicatorCode::parse("eleves").unwrap(),
            value: 57.5,
        },
    );
    f.action(
        "a1",
        "2027-01-20",
        GrantAmended {
            grant: GrantId::parse("g1").unwrap(),
            amount: Money::from_cents(100).unwrap(),
            reference: title("Avenant n° 1"),
            reason: note("Ajustement"),
        },
    );
    f.action(
        "a1",
        "2027-01-21",
        RepaymentRequestCancelled {
            funder: funder(ETAT),
            reason: note("Remise gracieuse"),
        },
    );
    f.action(
        "a1",
        "2027-02-01",
        ReportDeadlineExtended {
            due_on: date("2027-12-31"),
            reason: note("L'action suit l'année scolaire"),
        },
    );
    f.action("a1", "2027-06-30", ActionCompleted {});
    f.action(
        "a1",
        "2027-07-10",
        ReportSubmitted {
            kind: ReportKind::Final,
            beneficiaries: vec![BeneficiaryCount {
                public: PublicKind::Children,
                age_band: AgeBand::Age11To14,
                sex: Sex::Female,
                qpv_resident: true,
                count: 42,
            }],
            spent: euros(11_500),
            narrative: narrative("Objectifs atteints."),
        },
    );
    f.action(
        "a1",
        "2027-09-01",
        ActionEvaluated {
            rating: Rating::PartlyAchieved,
            findings: narrative("Bonne dynamique."),
            recommendation: Recommendation::Adjust,
        },
    );
    f.action(
        "a1",
        "2027-07-20",
        ReportCorrected {
            report: 0,
            spent: Money::from_cents(100).unwrap(),
            beneficiaries: vec![],
            narrative: narrative("Bilan corrigé."),
            reason: note("Erreur de saisie"),
        },
    );
    f.action(
        "a1",
        "2027-08-01",
        FinalReportReviewed {
            verdict: ReportVerdict::Accepted,
            comment: Some(note("Pièces complètes")),
        },
    );
    f.action("a1", "2027-09-02", ActionClosed {});
    f.propose("a2", "2026-004", "Théâtre", "asso", 2026, &[(ETAT, 1_000)]);
    f.action(
        "a2",
        "2026-02-01",
        ActionWithdrawn {
            reason: note("Porteur indisponible"),
        },
    );
    f.propose("a3", "2026-005", "Sorties", "asso", 2026, &[(ETAT, 2_000)]);
    f.decide(
        "a3",
        "copil-1",
        "2026-03-14",
        1,
        DecisionOutcome::Retained,
        &[(ETAT, 2_000)],
    );
    f.grant("a3", ETAT, 2026, 2_000, "2026-04-01");
    f.pay("a3", "v-2", ETAT, 2_000, "2026-04-15");
    f.action(
        "a3",
        "2026-05-01",
        NonRealisationAttested {
            reason: note("Intervenant parti"),
        },
    );
    f.action(
        "a3",
        "2026-05-02",
        RepaymentRequested {
            funder: funder(ETAT),
            amount: euros(2_000),
            reason: note("Action non réalisée"),
        },
    );
    f.action(
        "a3",
        "2026-06-01",
        RepaymentReceived {
            funder: funder(ETAT),
            amount: euros(2_000),
        },
    );
    let sentences = f
        .events
        .iter()
        .map(|e| render::sentence(&f.view, e, Redaction::NONE))
        .collect();
    (f, sentences)
}

#[test]
fn every_event_type_of_the_domain_has_a_french_sentence() {
    let (f, sentences) = every_event_type();
    let kinds: BTreeSet<EventKind> = f.events.iter().map(|e| EventKind::of(&e.event)).collect();
    let missing: Vec<&str> = EventKind::ALL
        .iter()
        .filter(|k| !kinds.contains(k))
        .map(|k| k.name())
        .collect();
    assert!(missing.is_empty(), "no sample of {missing:?}");
    for (event, sentence) in f.events.iter().zip(&sentences) {
        let kind = event.event.event_type();
        assert!(sentence.chars().count() > 10, "{kind}: « {sentence} »");
        assert!(
            sentence.chars().next().unwrap().is_uppercase(),
            "{kind}: « {sentence} »"
        );
        assert!(
            !sentence.contains('{') && !sentence.contains("  "),
            "{kind}: « {sentence} »"
        );
    }
    // Each type reads differently from the others.
    let distinct: BTreeSet<&str> = sentences
        .iter()
        .map(|s| s.split([' ', ':']).next().unwrap())
        .collect();
    assert!(distinct.len() > 10);
}

#[test]
fn sentences_name_their_figures_in_french() {
    let (f, sentences) = every_event_type();
    let by_kind = |kind: &str| -> Vec<&str> {
        f.events
            .iter()
            .zip(&sentences)
            .filter(|(e, _)| e.event.event_type() == kind)
            .map(|(_, s)| s.as_str())
            .collect()
    };
    let m = |s: &str| s.replace(' ', &NNBSP.to_string()).replace('E', "\u{A0}€");
    assert_eq!(
        by_kind("CopilDecisionTaken")[0],
        format!(
            "Décision du COPIL du 14 mars 2026 : action retenue pour {} (État – crédits Cité éducative)",
            m("12 000,00E")
        )
    );
    assert_eq!(
        by_kind("DecisionRevised")[0],
        format!(
            "Décision révisée du COPIL du 14 mars 2026 : action retenue pour {} (État – crédits Cité éducative) et {} (Ville) ; motif : Cofinancement de la Ville",
            m("12 000,00E"),
            m("3 000,00E")
        )
    );
    assert_eq!(
        by_kind("PaymentRecorded")[0],
        format!(
            "Versement de {} (avance) par État – crédits Cité éducative",
            m("4 000,00E")
        )
    );
    assert_eq!(
        by_kind("PaymentCancelled")[0],
        format!("Versement de {} annulé : Saisi deux fois", m("4 000,00E"))
    );
    assert_eq!(
        by_kind("SessionHeld")[1],
        "COPIL du 14 mars 2026 tenu (2 organisations présentes)"
    );
    assert_eq!(
        by_kind("SessionHeld")[0],
        "COTECH du 2 février 2026 tenu (1 organisation présente)"
    );
    assert_eq!(
        by_kind("SessionCancelled")[0],
        "COTECH du 20 février 2026 annulé : Grève"
    );
    assert_eq!(
        by_kind("OpinionGiven")[0],
        format!(
            "Avis favorable du COTECH du 2 février 2026 (proposé : {} (État – crédits Cité éducative))",
            m("12 000,00E")
        )
    );
    assert_eq!(
        by_kind("EnvelopeRevised")[0],
        format!(
            "Enveloppe 2026 (État – crédits Cité éducative) révisée à {} : Gel de crédits",
            m("90 000,00E")
        )
    );
    assert_eq!(
        by_kind("ActionStarted")[0],
        "Action démarrée le 1er septembre 2026"
    );
    assert_eq!(
        by_kind("IndicatorMeasured")[0],
        "Indicateur « Élèves accompagnés » mesuré : 57,5"
    );
    assert_eq!(
        by_kind("ReportSubmitted")[0],
        format!(
            "Bilan final déposé : {} dépensés, 42 bénéficiaires",
            m("11 500,00E")
        )
    );
    assert_eq!(
        by_kind("GrantAwarded")[0],
        format!(
            "Attribution de {} par État – crédits Cité éducative au titre de 2026 (arrêté Arrêté 2026-77 signé le 1er avril 2026)",
            m("12 000,00E")
        )
    );
    assert_eq!(
        by_kind("PartnerLeftAlliance")[0],
        "Partenaire « Collège Jean Moulin » sorti de l'alliance : Fusion"
    );
    assert_eq!(
        by_kind("ActionProposed")[0],
        format!(
            "Proposition « Soutien scolaire » déposée par Association Réussite pour un coût total de {}, demande : {} (État – crédits Cité éducative) et {} (Ville)",
            m("30 000,00E"),
            m("12 000,00E"),
            m("3 000,00E")
        )
    );
}

#[test]
fn observer_sentences_leave_out_requested_amounts_and_small_counts() {
    let mut f = Fixture::base();
    f.propose(
        "a1",
        "2026-003",
        "Soutien scolaire",
        "asso",
        2026,
        &[(ETAT, 12_000)],
    );
    let proposal = render::sentence(&f.view, f.events.last().unwrap(), Redaction::OBSERVER);
    assert!(!proposal.contains("demande"), "{proposal}");
    f.action(
        "a1",
        "2026-06-01",
        ReportSubmitted {
            kind: ReportKind::Interim,
            beneficiaries: vec![BeneficiaryCount {
                public: PublicKind::Parents,
                age_band: AgeBand::Adult,
                sex: Sex::Undisclosed,
                qpv_resident: false,
                count: 7,
            }],
            spent: euros(100),
            narrative: narrative("Début."),
        },
    );
    let last: &RecordedEvent = f.events.last().unwrap();
    assert!(!render::sentence(&f.view, last, Redaction::OBSERVER).contains('7'));
    assert!(render_last(&f).contains("7 bénéficiaires"));
}

#[test]
fn an_observer_sentence_withholds_the_total_when_any_cell_is_hidden() {
    let mut f = Fixture::base();
    f.retained_action("a1", "2026-003", "asso", 2026, &[(ETAT, 12_000)]);
    let cell = |sex: Sex, count: u32| BeneficiaryCount {
        public: PublicKind::Children,
        age_band: AgeBand::Age6To10,
        sex,
        qpv_resident: true,
        count,
    };
    let mut report = |cells: Vec<BeneficiaryCount>| {
        f.action(
            "a1",
            "2026-06-01",
            ReportSubmitted {
                kind: ReportKind::Interim,
                beneficiaries: cells,
                spent: euros(100),
                narrative: narrative("Point."),
            },
        );
        let last = f.events.last().unwrap();
        (
            render::sentence(&f.view, last, Redaction::OBSERVER),
            render::timeline_sentence(&f.view, last, Redaction::OBSERVER),
            render::sentence(&f.view, last, Redaction::NONE),
        )
    };
    // 31 shown beside 7 hidden: « 38 bénéficiaires » would give the 7 back.
    let (history, timeline, full) = report(vec![cell(Sex::Male, 31), cell(Sex::Female, 7)]);
    for observed in [&history, &timeline] {
        assert!(!observed.contains("38"), "{observed}");
        assert!(observed.ends_with(render::HIDDEN_TOTAL), "{observed}");
    }
    assert!(full.ends_with(", 38 bénéficiaires"), "{full}");
    // Every cell at 10 or more: the total is shown to everyone.
    let (history, _, _) = report(vec![cell(Sex::Male, 31), cell(Sex::Female, 10)]);
    assert!(history.ends_with(", 41 bénéficiaires"), "{history}");
}

#[test]
fn a_timeline_sentence_names_the_action_first() {
    let mut f = Fixture::base();
    f.retained_action("a1", "2026-003", "asso", 2026, &[(ETAT, 12_000)]);
    f.pay("a1", "v-1", ETAT, 4_000, "2026-04-15");
    let s = render::timeline_sentence(&f.view, f.events.last().unwrap(), Redaction::NONE);
    assert_eq!(
        s,
        format!(
            "Action 2026-003 « Action 2026-003 » : versement de 4{NNBSP}000,00\u{A0}€ (avance) par État – crédits Cité éducative"
        )
    );
    // Other streams' sentences are the history's.
    let programme_event = &f.events[0];
    assert_eq!(
        render::timeline_sentence(&f.view, programme_event, Redaction::NONE),
        render::sentence(&f.view, programme_event, Redaction::NONE)
    );
}
