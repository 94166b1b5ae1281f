//! The programme, partner and session streams: their commands and rules.

use crate::common::*;
use domain::actor::Actor;
use domain::context::{Context, PartnerFacts};
use domain::error::{DomainError, Missing};
use domain::events::*;
use domain::partner::{PartnerCommand, PartnerDecider};
use domain::programme::{ProgrammeCommand, ProgrammeDecider};
use domain::session::{SessionCommand, SessionDecider};
use domain::values::*;

fn year() -> Year {
    Year::parse(2026).unwrap()
}

fn pilot_ctx() -> Context {
    Context::new(pilot(), today(), programme_id()).with_programme(programme_facts())
}

fn programme_events() -> Vec<Dated<ProgrammeEvent>> {
    vec![
        at(
            d(2025, 1, 1),
            ProgrammeEstablished {
                programme: programme_id(),
                name: name("Grigny"),
                territory: vec![name("Grigny")],
                qpv: vec![],
                labelled_on: None,
                request_cap_permille: 800,
            },
        ),
        at(
            d(2025, 1, 2),
            AxisDefined {
                code: axis("A1"),
                title: title("Réussite"),
                objective: NationalObjective::SchoolRole,
            },
        ),
        at(
            d(2025, 1, 3),
            FunderRegistered {
                funder: etat(),
                name: name("État"),
                kind: FunderKind::State,
                payer: Payer::of_kind(FunderKind::State),
            },
        ),
        at(
            d(2025, 1, 4),
            EnvelopeNotified {
                funder: etat(),
                year: year(),
                amount: eur(300_000),
                reference: None,
            },
        ),
    ]
}

fn programme() -> crate::common::Spec<ProgrammeDecider> {
    given_in::<ProgrammeDecider>(programme_events(), pilot_ctx())
}

#[test]
fn a_programme_is_established_once() {
    let establish = ProgrammeCommand::EstablishProgramme {
        programme: programme_id(),
        name: name("Grigny"),
        territory: vec![],
        qpv: vec![],
        labelled_on: None,
        request_cap_permille: 800,
    };
    given_in::<ProgrammeDecider>(
        programme_events(),
        Context::new(Actor::admin(), today(), programme_id()),
    )
    .when(establish.clone())
    .then_rule("lifecycle");
    given_in::<ProgrammeDecider>(
        vec![],
        Context::new(Actor::admin(), today(), other_programme()),
    )
    .when(establish)
    .then_code(domain::error::ApiCode::Validation);
}

#[test]
fn a_request_cap_above_1000_per_mille_is_a_validation_error() {
    given_in::<ProgrammeDecider>(
        vec![],
        Context::new(Actor::admin(), today(), programme_id()),
    )
    .when(ProgrammeCommand::EstablishProgramme {
        programme: programme_id(),
        name: name("Grigny"),
        territory: vec![],
        qpv: vec![],
        labelled_on: None,
        request_cap_permille: 1001,
    })
    .then_error(DomainError::CapInvalid { permille: 1001 });
}

#[test]
fn commands_on_a_programme_not_established_are_not_found() {
    given_in::<ProgrammeDecider>(vec![], pilot_ctx())
        .when(ProgrammeCommand::RetireAxis { code: axis("A1") })
        .then_error(DomainError::NotFound(Missing::Programme(programme_id())));
}

#[test]
fn an_axis_code_is_defined_once() {
    programme()
        .when(ProgrammeCommand::DefineAxis {
            code: axis("A1"),
            title: title("Autre"),
            objective: NationalObjective::WiderHorizons,
        })
        .then_rule("axis_already_defined");
}

#[test]
fn retiring_an_axis_marks_it_retired_and_twice_is_refused() {
    let state = programme()
        .when(ProgrammeCommand::RetireAxis { code: axis("A1") })
        .then(vec![AxisRetired { code: axis("A1") }.into()]);
    assert!(state.programme.unwrap().axis(&axis("A1")).unwrap().retired);
    let mut events = programme_events();
    events.push(at(d(2025, 6, 1), AxisRetired { code: axis("A1") }));
    given_in::<ProgrammeDecider>(events, pilot_ctx())
        .when(ProgrammeCommand::RetireAxis { code: axis("A1") })
        .then_rule("axis_retired");
    programme()
        .when(ProgrammeCommand::RetireAxis { code: axis("Z") })
        .then_error(DomainError::NotFound(Missing::Axis(axis("Z"))));
}

#[test]
fn a_funder_is_registered_once() {
    programme()
        .when(ProgrammeCommand::RegisterFunder {
            funder: etat(),
            name: name("État"),
            kind: FunderKind::State,
            payer: Payer::of_kind(FunderKind::State),
        })
        .then_rule("funder_already_registered");
}

#[test]
fn an_envelope_needs_a_registered_funder_and_is_notified_once_then_revised() {
    programme()
        .when(ProgrammeCommand::NotifyEnvelope {
            funder: ville(),
            year: year(),
            amount: eur(1),
            reference: None,
        })
        .then_error(DomainError::NotFound(Missing::Funder(ville())));
    programme()
        .when(ProgrammeCommand::NotifyEnvelope {
            funder: etat(),
            year: year(),
            amount: eur(1),
            reference: None,
        })
        .then_rule("envelope_already_notified");
    let state = programme()
        .when(ProgrammeCommand::ReviseEnvelope {
            funder: etat(),
            year: year(),
            amount: eur(250_000),
            reason: note("Gel."),
        })
        .decided()
        .1;
    let p = state.programme.unwrap();
    let env = p.envelope(&etat(), year()).unwrap();
    assert_eq!(env.amount, eur(250_000));
    assert_eq!(env.revisions[0].previous, eur(300_000));
}

#[test]
fn revising_an_envelope_never_notified_is_not_found() {
    programme()
        .when(ProgrammeCommand::ReviseEnvelope {
            funder: etat(),
            year: Year::parse(2027).unwrap(),
            amount: eur(1),
            reason: note("x"),
        })
        .then_code(domain::error::ApiCode::NotFound);
}

#[test]
fn body_membership_is_history_with_its_date() {
    let state = programme()
        .when(ProgrammeCommand::ChangeBodyMembership {
            body: BodyKind::Copil,
            organisations: vec![name("Préfecture"), name("Mairie")],
        })
        .decided()
        .1;
    let p = state.programme.unwrap();
    assert_eq!(p.members(BodyKind::Copil).unwrap().since, today());
}

#[test]
fn a_partner_is_registered_once_and_leaves_once() {
    let ctx =
        Context::new(coordinator(), today(), programme_id()).with_programme(programme_facts());
    let register = PartnerCommand::RegisterPartner {
        partner: holder(),
        name: name("Lire à Grigny"),
        kind: PartnerKind::Association,
        siret: Some(Siret::parse("732 829 320 00074").unwrap()),
        legal_form: LegalForm::of_kind(PartnerKind::Association),
        rna: None,
    };
    let state = given_in::<PartnerDecider>(vec![], ctx.clone())
        .when(register.clone())
        .decided()
        .1;
    assert!(state.partner.as_ref().unwrap().active);
    let registered = vec![at(
        d(2026, 1, 1),
        PartnerRegistered {
            partner: holder(),
            name: name("Lire à Grigny"),
            kind: PartnerKind::Association,
            siret: None,
            legal_form: LegalForm::of_kind(PartnerKind::Association),
            rna: None,
        },
    )];
    given_in::<PartnerDecider>(registered.clone(), ctx.clone())
        .when(register)
        .then_rule("lifecycle");
    let mut left = registered.clone();
    left.push(at(d(2026, 2, 1), PartnerLeftAlliance { reason: note("x") }));
    given_in::<PartnerDecider>(left, ctx.clone())
        .when(PartnerCommand::PartnerLeaves { reason: note("y") })
        .then_rule("lifecycle");
    given_in::<PartnerDecider>(vec![], ctx)
        .when(PartnerCommand::PartnerLeaves { reason: note("y") })
        .then_code(domain::error::ApiCode::NotFound);
}

#[test]
fn a_partners_legal_form_is_set_later_and_folded() {
    let ctx =
        Context::new(coordinator(), today(), programme_id()).with_programme(programme_facts());
    let registered = vec![at(
        d(2026, 1, 1),
        PartnerRegistered {
            partner: holder(),
            name: name("Lire à Grigny"),
            kind: PartnerKind::Other,
            siret: None,
            legal_form: LegalForm::Unknown,
            rna: None,
        },
    )];
    let set = |form| PartnerCommand::SetPartnerLegalForm {
        legal_form: form,
        reason: note("Statuts reçus"),
    };
    let state = given_in::<PartnerDecider>(registered.clone(), ctx.clone())
        .when(set(LegalForm::Association))
        .decided()
        .1;
    let partner = state.partner.as_ref().unwrap();
    assert_eq!(partner.legal_form, LegalForm::Association);
    assert_eq!(state.version, 2);
    assert_eq!(
        PartnerFacts::from(partner).legal_form,
        LegalForm::Association
    );
    // The same form again changes nothing.
    given_in::<PartnerDecider>(registered, ctx.clone())
        .when(set(LegalForm::Unknown))
        .then_code(domain::error::ApiCode::Validation);
    // An unknown partner.
    given_in::<PartnerDecider>(vec![], ctx.clone())
        .when(set(LegalForm::Association))
        .then_code(domain::error::ApiCode::NotFound);
    // A porteur may not.
    given_in::<PartnerDecider>(vec![], ctx.clone())
        .by(porteur())
        .when(set(LegalForm::Association))
        .then_code(domain::error::ApiCode::Forbidden);
}

#[test]
fn an_rna_number_is_w_and_nine_digits() {
    assert_eq!(Rna::parse("w 913 001 234").unwrap().as_str(), "W913001234");
    for bad in [
        "913001234",
        "W91300123",
        "W9130012345",
        "X913001234",
        "W91300123A",
        "W913 001 23é",
    ] {
        let e = Rna::parse(bad).unwrap_err();
        assert!(
            e.to_string().contains("W suivie de 9 chiffres"),
            "{bad}: {e}"
        );
    }
}

#[test]
fn old_partners_and_funders_read_with_domain_md_mappings() {
    use PartnerKind as K;
    for (kind, form) in [
        (K::Association, LegalForm::Association),
        (K::College, LegalForm::Eple),
        (K::Lycee, LegalForm::Eple),
        (K::MunicipalService, LegalForm::LocalAuthority),
        (K::Epci, LegalForm::LocalAuthority),
        (K::StateService, LegalForm::StateService),
        (K::School, LegalForm::Unknown),
        (K::Caf, LegalForm::Unknown),
        (K::Culture, LegalForm::Unknown),
        (K::Other, LegalForm::Unknown),
    ] {
        assert_eq!(LegalForm::of_kind(kind), form, "{kind:?}");
    }
    use FunderKind as F;
    for (kind, payer) in [
        (F::State, Payer::State),
        (F::FondsDeLaCite, Payer::State),
        (F::Municipality, Payer::Commune),
        (F::Epci, Payer::Epci),
        (F::Department, Payer::Department),
        (F::Region, Payer::Region),
        (F::Caf, Payer::Caf),
        (F::Housing, Payer::Other),
        (F::Foundation, Payer::Other),
        (F::OwnFunds, Payer::Other),
        (F::Other, Payer::Other),
    ] {
        assert_eq!(Payer::of_kind(kind), payer, "{kind:?}");
    }
    assert!(LegalForm::Unknown.private_law());
    assert!(!LegalForm::Eple.private_law());
}

#[test]
fn a_partner_needs_an_established_programme() {
    given_in::<PartnerDecider>(vec![], Context::new(pilot(), today(), programme_id()))
        .when(PartnerCommand::RegisterPartner {
            partner: holder(),
            name: name("x"),
            kind: PartnerKind::Other,
            siret: None,
            legal_form: LegalForm::of_kind(PartnerKind::Other),
            rna: None,
        })
        .then_error(DomainError::NotFound(Missing::Programme(programme_id())));
}

#[test]
fn a_held_or_cancelled_session_is_final() {
    let ctx = Context::new(coordinator(), today(), programme_id());
    let scheduled = at(
        d(2026, 3, 1),
        SessionScheduled {
            session: copil(),
            body: BodyKind::Copil,
            date: copil_on(),
            title: title("COPIL"),
        },
    );
    let held = vec![
        scheduled.clone(),
        at(copil_on(), SessionHeld { present: vec![] }),
    ];
    let cancelled = vec![
        scheduled.clone(),
        at(d(2026, 3, 2), SessionCancelled { reason: note("x") }),
    ];
    for events in [held, cancelled] {
        given_in::<SessionDecider>(events.clone(), ctx.clone())
            .when(SessionCommand::CancelSession { reason: note("y") })
            .then_rule("lifecycle");
        given_in::<SessionDecider>(events, ctx.clone())
            .when(SessionCommand::RecordSessionHeld { present: vec![] })
            .then_rule("lifecycle");
    }
    let state = given_in::<SessionDecider>(vec![scheduled], ctx)
        .when(SessionCommand::CancelSession {
            reason: note("Grève."),
        })
        .decided()
        .1;
    assert!(state.session.unwrap().cancelled);
}

#[test]
fn a_territory_keeps_a_commune_and_names_qpv_and_schools_by_their_codes() {
    let change =
        |communes: &[&str], qpv: &[&str], schools: &[&str]| ProgrammeCommand::ChangeTerritory {
            communes: communes.iter().map(|c| name(c)).collect(),
            qpv: qpv.iter().map(|q| name(q)).collect(),
            schools: schools.iter().map(|s| name(s)).collect(),
            reason: note("Nouvelle géographie prioritaire"),
        };
    let (decided, state) = programme()
        .by(coordinator())
        .when(change(
            &["Grigny", "Viry"],
            &["QN09101M"],
            &["0750654D", "0911234x"],
        ))
        .decided();
    assert_eq!(decided.events.len(), 1);
    let p = state.programme.unwrap();
    assert_eq!(p.territory, vec![name("Grigny"), name("Viry")]);
    assert_eq!(p.qpv, vec![name("QN09101M")]);
    let schools: Vec<&str> = p.schools.iter().map(|s| s.as_str()).collect();
    assert_eq!(schools, ["0750654D", "0911234X"]);
    for (communes, qpv, schools, said) in [
        (&[][..], &["QN09101M"][..], &[][..], "au moins une commune"),
        (
            &["Grigny"][..],
            &["Grande Borne"][..],
            &[][..],
            "code de QPV",
        ),
        (&["Grigny"][..], &[][..], &["0750654E"][..], "UAI"),
        (&["Grigny"][..], &[][..], &["075065"][..], "UAI"),
    ] {
        let e = programme()
            .when(change(communes, qpv, schools))
            .then_rule("territory_invalid");
        assert!(e.to_string().contains(said), "{e}");
    }
    programme()
        .by(porteur())
        .when(change(&["Grigny"], &[], &[]))
        .then_code(domain::error::ApiCode::Forbidden);
}

#[test]
fn a_revue_de_projet_is_written_for_a_year_of_activity_and_validated_at_a_later_copil() {
    let write = |y: i32, text: &str| ProgrammeCommand::WriteReviewSection {
        year: Year::parse(y).unwrap(),
        section: ReviewSection::Governance,
        text: narrative(text),
    };
    // The envelope of 2026 makes it a year of activity; 2024 has none.
    let (_, state) = programme()
        .by(coordinator())
        .when(write(2026, "Trois COPIL."))
        .decided();
    assert_eq!(state.programme.unwrap().review_sections.len(), 1);
    let e = programme()
        .when(write(2024, "Rien."))
        .then_rule("review_invalid");
    assert!(e.to_string().contains("2024"), "{e}");
    // Actions of 2025 make it one too.
    let with_actions = |mut c: Context| {
        c.actions_by_year.insert(Year::parse(2025).unwrap(), 3);
        c
    };
    programme()
        .with(with_actions)
        .when(write(2025, "Bilan."))
        .decided();
    // The same text again changes nothing.
    let mut written = programme_events();
    written.push(at(
        d(2026, 2, 1),
        ReviewSectionWritten {
            year: Year::parse(2026).unwrap(),
            section: ReviewSection::Governance,
            text: narrative("Trois COPIL."),
        },
    ));
    given_in::<ProgrammeDecider>(written, pilot_ctx())
        .when(write(2026, "Trois COPIL."))
        .then_code(domain::error::ApiCode::Validation);

    let validate = |session: SessionId| ProgrammeCommand::ValidateAnnualReview {
        year: Year::parse(2025).unwrap(),
        session,
    };
    let copil_2026 = session_facts(copil(), BodyKind::Copil, d(2026, 3, 14), true);
    let (decided, state) = programme()
        .with(with_actions)
        .with(|c| c.with_session(copil_2026.clone()))
        .when(validate(copil()))
        .decided();
    assert_eq!(decided.effective_on, d(2026, 3, 14), "the session's date");
    assert_eq!(state.programme.unwrap().review_validations.len(), 1);
    for (facts, said) in [
        (
            session_facts(copil(), BodyKind::Copil, d(2025, 12, 15), true),
            "à partir du 1er janvier 2026",
        ),
        (
            session_facts(copil(), BodyKind::Cotech, d(2026, 3, 14), true),
            "en COPIL",
        ),
        (
            session_facts(copil(), BodyKind::Copil, d(2026, 3, 14), false),
            "ne s'est pas tenue",
        ),
    ] {
        let e = programme()
            .with(with_actions)
            .with(|c| c.with_session(facts))
            .when(validate(copil()))
            .then_rule("review_invalid");
        assert!(e.to_string().contains(said), "{e}");
    }
    programme()
        .with(with_actions)
        .when(validate(copil()))
        .then_code(domain::error::ApiCode::NotFound);
    // Only a pilot validates.
    programme()
        .by(coordinator())
        .with(with_actions)
        .with(|c| c.with_session(copil_2026))
        .when(validate(copil()))
        .then_code(domain::error::ApiCode::Forbidden);
}
