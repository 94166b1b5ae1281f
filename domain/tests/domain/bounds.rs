//! Inputs held to the calendar and to sense: unique references (rule 18), dates in the
//! programme's years (rule 19), lists of a sensible length with no item twice.

use crate::common::*;
use domain::action::{ActionCommand, CopilDecision, RecordCopilDecisions, next_reference};
use domain::actor::Actor;
use domain::bounds::*;
use domain::context::Context;
use domain::decider::Command;
use domain::error::{ApiCode, DomainError};
use domain::events::*;
use domain::programme::{ProgrammeCommand, ProgrammeDecider};
use domain::session::{SessionCommand, SessionDecider};
use domain::values::*;
use std::collections::BTreeMap;

fn propose(p: ActionProposed) -> ActionCommand {
    ActionCommand::ProposeAction(p)
}

fn names(prefix: &str, n: usize) -> Vec<Name> {
    (0..n).map(|i| name(&format!("{prefix} {i}"))).collect()
}

fn titles(prefix: &str, n: usize) -> Vec<Title> {
    (0..n).map(|i| title(&format!("{prefix} {i}"))).collect()
}

/// A VALIDATION error with this code; returns its French message.
fn validation(error: DomainError, code: &str) -> String {
    assert_eq!(error.api_code(), ApiCode::Validation, "{error:?}");
    assert_eq!(error.rule_code(), code, "{error:?}");
    error.to_string()
}

fn labelled(labelled_on: Option<chrono::NaiveDate>) -> impl FnOnce(Context) -> Context {
    move |mut ctx| {
        if let Some(facts) = ctx.programme_facts.as_mut() {
            facts.labelled_on = labelled_on;
        }
        ctx
    }
}

// ------------------------------------------------------------------------------ rule 18

#[test]
fn a_reference_already_used_in_the_programme_is_refused() {
    let error = given(vec![])
        .with(|c| c.with_references(["2025-004", "2026-001"]))
        .when(propose(action_proposed()))
        .then_rule("reference_already_used");
    assert!(error.to_string().contains("« 2026-001 »"), "{error}");
}

#[test]
fn references_that_differ_only_by_case_spaces_or_invisible_characters_are_the_same() {
    for used in ["dauphin  a", "DAUPHIN A", "Dauphin\u{200B} A"] {
        given(vec![])
            .with(|c| c.with_references([used]))
            .when(propose(ActionProposed {
                reference: title("Dauphin A"),
                ..action_proposed()
            }))
            .then_rule("reference_already_used");
    }
}

#[test]
fn an_unused_reference_is_accepted() {
    given(vec![])
        .with(|c| c.with_references(["2026-002", "2025-001"]))
        .when(propose(action_proposed()))
        .then(vec![action_proposed().into()]);
}

#[test]
fn a_generated_reference_skips_the_references_already_used() {
    let year = Year::parse(2026).unwrap();
    assert_eq!(next_reference(year, 4, |_| false).as_str(), "2026-005");
    let used = ["2026-001", "2026-002", "2026-004"];
    assert_eq!(
        next_reference(year, 0, |r| used.contains(&r)).as_str(),
        "2026-003"
    );
    assert_eq!(
        next_reference(year, 3, |r| used.contains(&r)).as_str(),
        "2026-005"
    );
}

// ------------------------------------------------------------------------------ rule 19

#[test]
fn a_period_outside_the_programme_s_years_is_refused_and_its_limits_are_allowed() {
    // No labelling: from 1 January 2019; today is 30 June 2026: until 31 December 2031.
    let with_period = |start, end| ActionProposed {
        period_start: start,
        period_end: end,
        ..action_proposed()
    };
    let year_minus_1 = chrono::NaiveDate::from_ymd_opt(-1, 1, 1).unwrap();
    let year_10000 = chrono::NaiveDate::from_ymd_opt(10_000, 1, 1).unwrap();
    for (start, end) in [
        (year_minus_1, d(2026, 12, 18)),
        (d(2026, 1, 5), year_10000),
        (year_minus_1, year_10000),
        (d(2018, 12, 31), d(2026, 12, 18)),
        (d(2026, 1, 5), d(2032, 1, 1)),
    ] {
        let error = given(vec![]).when(propose(with_period(start, end))).error();
        let message = validation(error, "dates_out_of_range");
        assert!(
            message.contains("du 1er janvier 2019 au 31 décembre 2031"),
            "{message}"
        );
    }
    given(vec![])
        .when(propose(with_period(d(2019, 1, 1), d(2031, 12, 31))))
        .then(vec![with_period(d(2019, 1, 1), d(2031, 12, 31)).into()]);
}

#[test]
fn the_range_starts_the_year_before_the_labelling() {
    let with_start = |start| ActionProposed {
        period_start: start,
        ..action_proposed()
    };
    given(vec![])
        .with(labelled(Some(d(2019, 9, 5))))
        .when(propose(with_start(d(2018, 1, 1))))
        .then(vec![with_start(d(2018, 1, 1)).into()]);
    let error = given(vec![])
        .with(labelled(Some(d(2019, 9, 5))))
        .when(propose(with_start(d(2017, 12, 31))))
        .error();
    let message = validation(error, "dates_out_of_range");
    assert!(message.contains("1er janvier 2018"), "{message}");
    // Labelled in 2023: 2021 is out.
    given(vec![])
        .with(labelled(Some(d(2023, 3, 1))))
        .when(propose(with_start(d(2021, 12, 31))))
        .then_code(ApiCode::Validation);
}

#[test]
fn a_proposal_back_dated_before_the_programme_s_years_is_refused() {
    let error = given(vec![])
        .when(Command::new(propose(action_proposed())).effective_on(d(2010, 1, 1)))
        .error();
    validation(error, "dates_out_of_range");
}

#[test]
fn an_amendment_or_a_period_change_outside_the_range_is_refused() {
    let amend = |start, end| {
        ActionCommand::AmendAction(ActionAmended {
            period_start: start,
            period_end: end,
            ..ActionAmended::default()
        })
    };
    validation(
        given(proposed())
            .when(amend(Some(d(2018, 12, 31)), None))
            .error(),
        "dates_out_of_range",
    );
    validation(
        given(proposed())
            .when(amend(None, Some(d(9999, 1, 1))))
            .error(),
        "dates_out_of_range",
    );
    given(proposed())
        .when(amend(None, Some(d(2031, 12, 31))))
        .then(vec![
            ActionAmended {
                period_end: Some(d(2031, 12, 31)),
                ..ActionAmended::default()
            }
            .into(),
        ]);
    let change = |end| ActionCommand::ChangePeriod {
        period_start: d(2026, 1, 5),
        period_end: end,
        reason: note("Prolongation."),
    };
    validation(
        given(retained()).when(change(d(2032, 1, 1))).error(),
        "dates_out_of_range",
    );
    given(retained()).when(change(d(2031, 12, 31))).then(vec![
        PeriodChanged {
            period_start: d(2026, 1, 5),
            period_end: d(2031, 12, 31),
            reason: note("Prolongation."),
        }
        .into(),
    ]);
}

#[test]
fn an_act_signed_before_the_programme_s_years_is_refused_even_in_an_old_stream() {
    // A stream entered before rule 19, its first event in 2017: rule 12 alone lets 2018 pass.
    let mut events = retained();
    for e in events.iter_mut() {
        e.effective_on = d(2017, 6, 1);
    }
    let grant = |signed_on| ActionCommand::AwardGrant {
        grant: grant_id("g1"),
        funder: etat(),
        year: Year::parse(2026).unwrap(),
        amount: eur(1_000),
        act: Act {
            kind: ActKind::Arrete,
            reference: title("Arrêté 1"),
            signed_on,
        },
    };
    let message = validation(
        given(events.clone()).when(grant(d(2018, 6, 1))).error(),
        "dates_out_of_range",
    );
    assert!(message.contains("Signature de l'acte"), "{message}");
    given(events).when(grant(d(2019, 1, 1))).decided();
}

fn establish(labelled_on: Option<chrono::NaiveDate>) -> ProgrammeCommand {
    ProgrammeCommand::EstablishProgramme {
        programme: programme_id(),
        name: name("Grigny"),
        territory: vec![name("Grigny")],
        qpv: vec![name("Grande Borne")],
        labelled_on,
        request_cap_permille: 800,
    }
}

fn admin_ctx() -> Context {
    Context::new(Actor::admin(), today(), programme_id())
}

#[test]
fn a_labelling_date_lies_between_2019_and_today() {
    for labelled_on in [d(2099, 1, 1), d(2018, 12, 31), d(2026, 7, 1)] {
        let error = given_in::<ProgrammeDecider>(vec![], admin_ctx())
            .when(establish(Some(labelled_on)))
            .error();
        let message = validation(error, "dates_out_of_range");
        assert!(message.contains("Date de labellisation"), "{message}");
    }
    for labelled_on in [d(2019, 1, 1), today()] {
        given_in::<ProgrammeDecider>(vec![], admin_ctx())
            .when(establish(Some(labelled_on)))
            .decided();
    }
}

#[test]
fn a_programme_established_before_its_years_is_refused() {
    given_in::<ProgrammeDecider>(vec![], admin_ctx())
        .when(Command::new(establish(Some(d(2019, 9, 5)))).effective_on(d(2017, 12, 31)))
        .then_code(ApiCode::Validation);
    given_in::<ProgrammeDecider>(vec![], admin_ctx())
        .when(Command::new(establish(Some(d(2019, 9, 5)))).effective_on(d(2018, 1, 1)))
        .decided();
}

fn schedule(date: chrono::NaiveDate) -> SessionCommand {
    SessionCommand::ScheduleSession {
        session: copil(),
        body: BodyKind::Copil,
        date,
        title: title("COPIL"),
    }
}

fn session_ctx() -> Context {
    Context::new(coordinator(), today(), programme_id()).with_programme(programme_facts())
}

#[test]
fn a_session_dated_year_1_or_9999_is_refused_and_the_limits_are_allowed() {
    for date in [d(1, 1, 1), d(9999, 12, 31), d(2018, 12, 31), d(2032, 1, 1)] {
        let error = given_in::<SessionDecider>(vec![], session_ctx())
            .when(schedule(date))
            .error();
        let message = validation(error, "dates_out_of_range");
        assert!(message.contains("Date de la séance"), "{message}");
    }
    for date in [d(2019, 1, 1), d(2031, 12, 31)] {
        given_in::<SessionDecider>(vec![], session_ctx())
            .when(schedule(date))
            .decided();
    }
}

// ------------------------------------------------------------------------------ lists

#[test]
fn the_qpv_of_a_proposal_are_at_most_fifty_and_each_once() {
    let with_qpv = |qpv| ActionProposed {
        qpv,
        ..action_proposed()
    };
    let message = validation(
        given(vec![])
            .when(propose(with_qpv(names("QPV", 10_000))))
            .error(),
        "too_many_items",
    );
    assert!(
        message.contains("10\u{202F}000") && message.contains("50"),
        "{message}"
    );
    validation(
        given(vec![])
            .when(propose(with_qpv(names("QPV", MAX_QPV + 1))))
            .error(),
        "too_many_items",
    );
    given(vec![])
        .when(propose(with_qpv(names("QPV", MAX_QPV))))
        .decided();
    let message = validation(
        given(vec![])
            .when(propose(with_qpv(vec![
                name("Grande Borne"),
                name("La Rive"),
                name("grande  borne"),
            ])))
            .error(),
        "duplicate_item",
    );
    assert!(
        message.contains("« grande  borne »") && message.contains("QPV"),
        "{message}"
    );
}

#[test]
fn each_public_is_named_once() {
    let with_publics = |publics| ActionProposed {
        publics,
        ..action_proposed()
    };
    let message = validation(
        given(vec![])
            .when(propose(with_publics(vec![
                PublicKind::Children,
                PublicKind::Parents,
                PublicKind::Children,
            ])))
            .error(),
        "duplicate_item",
    );
    assert!(message.contains("enfants et jeunes"), "{message}");
    validation(
        given(vec![])
            .when(propose(with_publics(vec![PublicKind::Parents; 10_000])))
            .error(),
        "too_many_items",
    );
    given(vec![])
        .when(propose(with_publics(PublicKind::ALL.to_vec())))
        .decided();
    // An amendment likewise.
    validation(
        given(proposed())
            .when(ActionCommand::AmendAction(ActionAmended {
                publics: Some(vec![PublicKind::Parents, PublicKind::Parents]),
                ..ActionAmended::default()
            }))
            .error(),
        "duplicate_item",
    );
}

#[test]
fn the_other_lists_of_a_proposal_are_bounded() {
    let too_many: Vec<(ActionProposed, &str)> = vec![
        (
            ActionProposed {
                secondary_axes: (0..=MAX_SECONDARY_AXES)
                    .map(|i| axis(&format!("S{i}")))
                    .collect(),
                ..action_proposed()
            },
            "too_many_items",
        ),
        (
            ActionProposed {
                external_refs: titles("DAUPHIN", MAX_EXTERNAL_REFS + 1),
                ..action_proposed()
            },
            "too_many_items",
        ),
        (
            ActionProposed {
                external_refs: vec![title("DAUPHIN-1"), title("dauphin-1")],
                ..action_proposed()
            },
            "duplicate_item",
        ),
        (
            ActionProposed {
                indicators: (0..=MAX_INDICATORS)
                    .map(|i| IndicatorDef {
                        code: IndicatorCode::parse(&format!("i{i}")).unwrap(),
                        label: title("Indicateur"),
                        target: None,
                    })
                    .collect(),
                ..action_proposed()
            },
            "too_many_items",
        ),
        (
            ActionProposed {
                requested: (0..=MAX_MONEY_LINES)
                    .map(|i| line(FunderId::parse(&format!("f{i}")).unwrap(), eur(1)))
                    .collect(),
                ..action_proposed()
            },
            "too_many_items",
        ),
    ];
    for (proposal, code) in too_many {
        let error = given(vec![]).when(propose(proposal)).error();
        validation(error, code);
    }
    given(vec![])
        .when(propose(ActionProposed {
            external_refs: titles("DAUPHIN", MAX_EXTERNAL_REFS),
            ..action_proposed()
        }))
        .decided();
}

#[test]
fn complements_asked_are_at_most_fifty_and_each_once() {
    let ask = |items| ActionCommand::RequestComplements { items };
    validation(
        given(proposed())
            .when(ask(titles("Pièce", MAX_COMPLEMENT_ITEMS + 1)))
            .error(),
        "too_many_items",
    );
    validation(
        given(proposed())
            .when(ask(vec![title("Budget"), title("BUDGET")]))
            .error(),
        "duplicate_item",
    );
    given(proposed())
        .when(ask(titles("Pièce", MAX_COMPLEMENT_ITEMS)))
        .decided();
}

#[test]
fn a_copil_call_decides_at_most_five_hundred_actions() {
    let call = RecordCopilDecisions {
        session: copil(),
        decisions: (0..=MAX_DECISIONS)
            .map(|i| CopilDecision {
                action: ActionId::parse(&format!("a{i}")).unwrap(),
                outcome: DecisionOutcome::Rejected,
                retained: vec![],
                reason: None,
            })
            .collect(),
    };
    let ctx = Context::new(pilot(), today(), programme_id())
        .with_programme(programme_facts())
        .with_session(copil_facts());
    let error = domain::action::decide_copil_decisions(&BTreeMap::new(), &Command::new(call), &ctx)
        .unwrap_err();
    let message = validation(error, "too_many_items");
    assert!(
        message.contains("501") && message.contains("500"),
        "{message}"
    );
}

#[test]
fn a_programme_s_territory_and_qpv_are_bounded_and_each_named_once() {
    let with = |territory, qpv| ProgrammeCommand::EstablishProgramme {
        programme: programme_id(),
        name: name("Grigny"),
        territory,
        qpv,
        labelled_on: None,
        request_cap_permille: 800,
    };
    let cases = [
        (
            with(names("Commune", MAX_COMMUNES + 1), vec![]),
            "too_many_items",
        ),
        (with(vec![], names("QPV", MAX_QPV + 1)), "too_many_items"),
        (
            with(vec![name("Grigny"), name("Viry"), name("GRIGNY")], vec![]),
            "duplicate_item",
        ),
        (
            with(
                vec![],
                vec![name("Grande Borne"), name("Grande\u{2060} Borne")],
            ),
            "duplicate_item",
        ),
    ];
    for (command, code) in cases {
        let error = given_in::<ProgrammeDecider>(vec![], admin_ctx())
            .when(command)
            .error();
        validation(error, code);
    }
    given_in::<ProgrammeDecider>(vec![], admin_ctx())
        .when(with(names("Commune", MAX_COMMUNES), names("QPV", MAX_QPV)))
        .decided();
}

#[test]
fn the_organisations_of_a_body_or_a_session_are_bounded_and_each_named_once() {
    let established = vec![at(
        d(2025, 1, 1),
        ProgrammeEstablished {
            programme: programme_id(),
            name: name("Grigny"),
            territory: vec![name("Grigny")],
            qpv: vec![],
            labelled_on: None,
            request_cap_permille: 800,
        },
    )];
    let pilot_ctx = Context::new(pilot(), today(), programme_id());
    let membership = |organisations| ProgrammeCommand::ChangeBodyMembership {
        body: BodyKind::Copil,
        organisations,
    };
    for (organisations, code) in [
        (
            names("Organisation", MAX_ORGANISATIONS + 1),
            "too_many_items",
        ),
        (
            vec![name("Préfecture"), name("préfecture")],
            "duplicate_item",
        ),
    ] {
        let error = given_in::<ProgrammeDecider>(established.clone(), pilot_ctx.clone())
            .when(membership(organisations))
            .error();
        validation(error, code);
    }
    given_in::<ProgrammeDecider>(established, pilot_ctx)
        .when(membership(names("Organisation", MAX_ORGANISATIONS)))
        .decided();

    let scheduled = vec![at(
        d(2026, 3, 1),
        SessionScheduled {
            session: copil(),
            body: BodyKind::Copil,
            date: d(2026, 3, 14),
            title: title("COPIL"),
        },
    )];
    let held = |present| SessionCommand::RecordSessionHeld { present };
    for (present, code) in [
        (
            names("Organisation", MAX_ORGANISATIONS + 1),
            "too_many_items",
        ),
        (vec![name("Ville"), name("Ville ")], "duplicate_item"),
    ] {
        let error = given_in::<SessionDecider>(scheduled.clone(), session_ctx())
            .when(held(present))
            .error();
        validation(error, code);
    }
    given_in::<SessionDecider>(scheduled, session_ctx())
        .when(held(names("Organisation", MAX_ORGANISATIONS)))
        .decided();
}

#[test]
fn a_text_made_only_of_invisible_characters_is_refused_as_empty() {
    for text in [
        "\u{200B}\u{200C}\u{200D}",
        "\u{2060}\u{FEFF}",
        " \u{3000}\u{00A0} ",
        "\u{202E}",
    ] {
        let error = Title::parse("titre", text).unwrap_err();
        assert!(
            error.problem.contains("ne peut pas être vide"),
            "{text:?}: {error}"
        );
        let error = Name::parse("nom", text).unwrap_err();
        assert!(error.problem.contains("invisibles") || error.problem.contains("vide"));
        assert!(Note::parse("motif", text).is_err());
        assert!(Narrative::parse("récit", text).is_err());
    }
}

#[test]
fn an_exercice_outside_the_programme_s_years_is_refused() {
    let year = |y| Year::parse(y).unwrap();
    // An action's year: 2019 to 2031 without labelling, today being 30 June 2026.
    for y in [2000, 2018, 2032, 2100] {
        let message = validation(
            given(vec![])
                .when(propose(ActionProposed {
                    year: year(y),
                    ..action_proposed()
                }))
                .error(),
            "dates_out_of_range",
        );
        assert!(message.contains("de 2019 à 2031"), "{message}");
    }
    for y in [2019, 2031] {
        given(vec![])
            .when(propose(ActionProposed {
                year: year(y),
                ..action_proposed()
            }))
            .decided();
    }
    // A grant's year.
    let grant = |y| ActionCommand::AwardGrant {
        grant: grant_id("g1"),
        funder: etat(),
        year: year(y),
        amount: eur(1_000),
        act: Act {
            kind: ActKind::Arrete,
            reference: title("Arrêté 1"),
            signed_on: signed_on(),
        },
    };
    validation(
        given(retained()).when(grant(2000)).error(),
        "dates_out_of_range",
    );
    given(retained()).when(grant(2031)).decided();
    // An envelope's year, labelled in 2019: from 2018.
    let established = vec![
        at(
            d(2019, 9, 5),
            ProgrammeEstablished {
                programme: programme_id(),
                name: name("Grigny"),
                territory: vec![name("Grigny")],
                qpv: vec![],
                labelled_on: Some(d(2019, 9, 5)),
                request_cap_permille: 800,
            },
        ),
        at(
            d(2019, 9, 5),
            FunderRegistered {
                funder: etat(),
                name: name("État"),
                kind: FunderKind::State,
                payer: Payer::of_kind(FunderKind::State),
            },
        ),
    ];
    let notify = |y| ProgrammeCommand::NotifyEnvelope {
        funder: etat(),
        year: year(y),
        amount: eur(100_000),
        reference: None,
    };
    let pilot_ctx = Context::new(pilot(), today(), programme_id());
    validation(
        given_in::<ProgrammeDecider>(established.clone(), pilot_ctx.clone())
            .when(notify(2017))
            .error(),
        "dates_out_of_range",
    );
    given_in::<ProgrammeDecider>(established, pilot_ctx)
        .when(notify(2018))
        .decided();
}

#[test]
fn the_messages_name_the_bound_and_what_was_given() {
    let range = DateRange::of_programme(None, today());
    assert_eq!(
        range
            .check("date de la séance", d(1, 1, 1))
            .unwrap_err()
            .to_string(),
        "Date de la séance : le 1er janvier 1 est hors de la plage acceptée (du 1er janvier 2019 au 31 décembre 2031)."
    );
    assert_eq!(
        DateRange::of_programme(Some(d(2021, 9, 1)), today()).earliest,
        d(2020, 1, 1)
    );
    assert_eq!(
        range
            .check_year("exercice de l'action", Year::parse(2100).unwrap())
            .unwrap_err()
            .to_string(),
        "Exercice de l'action : 2100 est hors de la plage acceptée (de 2019 à 2031)."
    );
    assert_eq!(
        check_list("QPV", &names("QPV", 10_000), MAX_QPV, |n| n.to_string())
            .unwrap_err()
            .to_string(),
        "La liste « QPV » compte 10\u{202F}000 éléments : 50 au plus sont acceptés."
    );
    assert_eq!(
        check_list(
            "publics",
            &[PublicKind::Children, PublicKind::Children],
            3,
            |p| p.label().to_owned()
        )
        .unwrap_err()
        .to_string(),
        "« enfants et jeunes » figure deux fois dans la liste « publics »."
    );
    assert_eq!(
        DomainError::ReferenceAlreadyUsed {
            reference: title("2026-001")
        }
        .to_string(),
        "La référence « 2026-001 » est déjà celle d'une autre action de cette cité éducative : choisissez-en une autre."
    );
}
