//! The `programme-{p}` stream: a Cité éducative, its axes, funders, envelopes and bodies.

use crate::actor::Actor;
use crate::bounds::{self, DateRange, check_list};
use crate::context::{AxisFact, Context, Needs, ProgrammeFacts};
use crate::decider::{Command, Decided, Decider, effective_date};
use crate::error::{DomainError, Missing, ReviewProblem, Stage, TerritoryProblem};
use crate::events::*;
use crate::permissions::{CommandKind, authorize};
use crate::streams::StreamRef;
use crate::values::*;
use chrono::{Datelike, NaiveDate};

// ------------------------------------------------------------------------------ state

/// The fold of a programme stream. `programme` is `None` until `ProgrammeEstablished`.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ProgrammeState {
    pub programme: Option<Programme>,
    /// Effective date of the stream's first event (rule 12).
    pub first_effective_on: Option<NaiveDate>,
    /// Number of events folded: the stream's version.
    pub version: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Programme {
    pub id: ProgrammeId,
    pub name: Name,
    pub territory: Vec<Name>,
    pub qpv: Vec<Name>,
    /// Schools of the territory, by UAI (`TerritoryChanged`).
    pub schools: Vec<Uai>,
    pub labelled_on: Option<NaiveDate>,
    pub request_cap_permille: u16,
    pub established_on: NaiveDate,
    /// In the order they were defined, retired ones included.
    pub axes: Vec<Axis>,
    pub funders: Vec<Funder>,
    /// One per funder and year, in the order they were notified.
    pub envelopes: Vec<Envelope>,
    /// The current members of each body, in the order bodies were first described.
    pub bodies: Vec<BodyMembers>,
    /// Every membership change, oldest first.
    pub body_history: Vec<BodyMembers>,
    /// Every version of every section of the revues de projet, oldest first.
    pub review_sections: Vec<ReviewSectionRecord>,
    /// Every validation of a revue de projet, oldest first (the latest of a year stands).
    pub review_validations: Vec<ReviewValidation>,
}

/// One version of a section of a revue de projet.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ReviewSectionRecord {
    pub year: Year,
    pub section: ReviewSection,
    pub text: Narrative,
    pub written_on: NaiveDate,
}

/// The troïka validated the revue de projet of `year` at `session`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ReviewValidation {
    pub year: Year,
    pub session: SessionId,
    pub validated_on: NaiveDate,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Axis {
    pub code: AxisCode,
    pub title: Title,
    pub objective: NationalObjective,
    pub defined_on: NaiveDate,
    pub retired: bool,
    pub retired_on: Option<NaiveDate>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Funder {
    pub id: FunderId,
    pub name: Name,
    pub kind: FunderKind,
    /// The public body that finally pays its money.
    pub payer: Payer,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Envelope {
    pub funder: FunderId,
    pub year: Year,
    /// The current amount: the last revision's, or the notified one.
    pub amount: Money,
    pub reference: Option<Title>,
    pub notified_on: NaiveDate,
    pub notified_amount: Money,
    pub revisions: Vec<EnvelopeRevision>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct EnvelopeRevision {
    pub previous: Money,
    pub amount: Money,
    /// `None` for a second `EnvelopeNotified` (which the commands never produce).
    pub reason: Option<Note>,
    pub revised_on: NaiveDate,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct BodyMembers {
    pub body: BodyKind,
    pub organisations: Vec<Name>,
    pub since: NaiveDate,
}

impl Programme {
    pub fn axis(&self, code: &AxisCode) -> Option<&Axis> {
        self.axes.iter().find(|a| &a.code == code)
    }

    pub fn funder(&self, id: &FunderId) -> Option<&Funder> {
        self.funders.iter().find(|f| &f.id == id)
    }

    pub fn envelope(&self, funder: &FunderId, year: Year) -> Option<&Envelope> {
        self.envelopes
            .iter()
            .find(|e| &e.funder == funder && e.year == year)
    }

    pub fn members(&self, body: BodyKind) -> Option<&BodyMembers> {
        self.bodies.iter().find(|b| b.body == body)
    }
}

impl From<&Programme> for ProgrammeFacts {
    fn from(p: &Programme) -> Self {
        ProgrammeFacts {
            request_cap_permille: p.request_cap_permille,
            labelled_on: p.labelled_on,
            axes: p
                .axes
                .iter()
                .map(|a| AxisFact {
                    code: a.code.clone(),
                    retired: a.retired,
                })
                .collect(),
            funders: p.funders.iter().map(|f| f.id.clone()).collect(),
        }
    }
}

/// [`evolve`] in place, with the event borrowed (folds over many events call this).
pub fn apply(state: &mut ProgrammeState, on: NaiveDate, event: &ProgrammeEvent) {
    state.version += 1;
    state.first_effective_on.get_or_insert(on);
    match event {
        ProgrammeEvent::ProgrammeEstablished(e) => {
            if state.programme.is_none() {
                state.programme = Some(Programme {
                    id: e.programme.clone(),
                    name: e.name.clone(),
                    territory: e.territory.clone(),
                    qpv: e.qpv.clone(),
                    schools: Vec::new(),
                    review_sections: Vec::new(),
                    review_validations: Vec::new(),
                    labelled_on: e.labelled_on,
                    request_cap_permille: e.request_cap_permille,
                    established_on: on,
                    axes: Vec::new(),
                    funders: Vec::new(),
                    envelopes: Vec::new(),
                    bodies: Vec::new(),
                    body_history: Vec::new(),
                });
            }
        }
        other => {
            let Some(p) = state.programme.as_mut() else {
                return;
            };
            match other {
                ProgrammeEvent::ProgrammeEstablished(_) => {}
                ProgrammeEvent::AxisDefined(e) => {
                    if p.axis(&e.code).is_none() {
                        p.axes.push(Axis {
                            code: e.code.clone(),
                            title: e.title.clone(),
                            objective: e.objective,
                            defined_on: on,
                            retired: false,
                            retired_on: None,
                        });
                    }
                }
                ProgrammeEvent::AxisRetired(e) => {
                    if let Some(axis) = p.axes.iter_mut().find(|a| a.code == e.code) {
                        axis.retired = true;
                        axis.retired_on = Some(on);
                    }
                }
                ProgrammeEvent::FunderRegistered(e) => {
                    if p.funder(&e.funder).is_none() {
                        p.funders.push(Funder {
                            id: e.funder.clone(),
                            name: e.name.clone(),
                            kind: e.kind,
                            payer: e.payer,
                        });
                    }
                }
                ProgrammeEvent::EnvelopeNotified(e) => {
                    if let Some(env) = p
                        .envelopes
                        .iter_mut()
                        .find(|x| x.funder == e.funder && x.year == e.year)
                    {
                        // A second notification is a fact too: it replaces the amount.
                        env.revisions.push(EnvelopeRevision {
                            previous: env.amount,
                            amount: e.amount,
                            reason: None,
                            revised_on: on,
                        });
                        env.amount = e.amount;
                    } else {
                        p.envelopes.push(Envelope {
                            funder: e.funder.clone(),
                            year: e.year,
                            amount: e.amount,
                            reference: e.reference.clone(),
                            notified_on: on,
                            notified_amount: e.amount,
                            revisions: Vec::new(),
                        });
                    }
                }
                ProgrammeEvent::EnvelopeRevised(e) => {
                    if let Some(env) = p
                        .envelopes
                        .iter_mut()
                        .find(|x| x.funder == e.funder && x.year == e.year)
                    {
                        env.revisions.push(EnvelopeRevision {
                            previous: env.amount,
                            amount: e.amount,
                            reason: Some(e.reason.clone()),
                            revised_on: on,
                        });
                        env.amount = e.amount;
                    }
                }
                ProgrammeEvent::BodyMembershipChanged(e) => {
                    let members = BodyMembers {
                        body: e.body,
                        organisations: e.organisations.clone(),
                        since: on,
                    };
                    match p.bodies.iter_mut().find(|b| b.body == e.body) {
                        Some(current) => *current = members.clone(),
                        None => p.bodies.push(members.clone()),
                    }
                    p.body_history.push(members);
                }
                ProgrammeEvent::ReviewSectionWritten(e) => {
                    p.review_sections.push(ReviewSectionRecord {
                        year: e.year,
                        section: e.section,
                        text: e.text.clone(),
                        written_on: on,
                    });
                }
                ProgrammeEvent::AnnualReviewValidated(e) => {
                    p.review_validations.push(ReviewValidation {
                        year: e.year,
                        session: e.session.clone(),
                        validated_on: on,
                    });
                }
                // Recorded for the history; the words are erased outside the state.
                ProgrammeEvent::TextErased(_) | ProgrammeEvent::ActorNameErased(_) => {}
                ProgrammeEvent::TerritoryChanged(e) => {
                    p.territory = e.communes.clone();
                    p.qpv = e
                        .qpv
                        .iter()
                        .filter_map(|q| Name::parse("QPV", q.as_str()).ok())
                        .collect();
                    p.schools = e.schools.clone();
                }
            }
        }
    }
}

// ------------------------------------------------------------------------------ commands

/// A text as a list's message shows it.
fn show<const MAX: usize>(text: &Text<MAX>) -> String {
    text.as_str().to_owned()
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProgrammeCommand {
    EstablishProgramme {
        programme: ProgrammeId,
        name: Name,
        territory: Vec<Name>,
        qpv: Vec<Name>,
        labelled_on: Option<NaiveDate>,
        request_cap_permille: u16,
    },
    DefineAxis {
        code: AxisCode,
        title: Title,
        objective: NationalObjective,
    },
    RetireAxis {
        code: AxisCode,
    },
    RegisterFunder {
        funder: FunderId,
        name: Name,
        kind: FunderKind,
        payer: Payer,
    },
    NotifyEnvelope {
        funder: FunderId,
        year: Year,
        amount: Money,
        reference: Option<Title>,
    },
    ReviseEnvelope {
        funder: FunderId,
        year: Year,
        amount: Money,
        reason: Note,
    },
    ChangeBodyMembership {
        body: BodyKind,
        organisations: Vec<Name>,
    },
    WriteReviewSection {
        year: Year,
        section: ReviewSection,
        text: Narrative,
    },
    ValidateAnnualReview {
        year: Year,
        session: SessionId,
    },
    /// QPV codes and UAI as typed: rule 16 checks them.
    ChangeTerritory {
        communes: Vec<Name>,
        qpv: Vec<Name>,
        schools: Vec<Name>,
        reason: Note,
    },
    /// Erases a free text of a recorded event (the caller checked that the event is this
    /// programme's and that `field` names one of its erasable texts).
    EraseText {
        position: u64,
        field: Name,
        reason: Note,
    },
    /// Erases an agent's name (the caller checked who may: DOMAIN.md's permissions).
    EraseActorName {
        actor: Name,
        reason: Note,
    },
}

impl ProgrammeCommand {
    pub fn kind(&self) -> CommandKind {
        match self {
            ProgrammeCommand::EstablishProgramme { .. } => CommandKind::EstablishProgramme,
            ProgrammeCommand::DefineAxis { .. } => CommandKind::DefineAxis,
            ProgrammeCommand::RetireAxis { .. } => CommandKind::RetireAxis,
            ProgrammeCommand::RegisterFunder { .. } => CommandKind::RegisterFunder,
            ProgrammeCommand::NotifyEnvelope { .. } => CommandKind::NotifyEnvelope,
            ProgrammeCommand::ReviseEnvelope { .. } => CommandKind::ReviseEnvelope,
            ProgrammeCommand::ChangeBodyMembership { .. } => CommandKind::ChangeBodyMembership,
            ProgrammeCommand::ChangeTerritory { .. } => CommandKind::ChangeTerritory,
            ProgrammeCommand::WriteReviewSection { .. } => CommandKind::WriteReviewSection,
            ProgrammeCommand::ValidateAnnualReview { .. } => CommandKind::ValidateAnnualReview,
            ProgrammeCommand::EraseText { .. } => CommandKind::EraseText,
            ProgrammeCommand::EraseActorName { .. } => CommandKind::EraseActorName,
        }
    }

    /// Programme commands need nothing outside their stream.
    /// A revue de projet needs the actions of each year (rule 17); its validation, the COPIL
    /// session.
    pub fn needs(&self) -> Needs {
        match self {
            ProgrammeCommand::WriteReviewSection { .. } => Needs {
                references: true,
                ..Needs::default()
            },
            ProgrammeCommand::ValidateAnnualReview { session, .. } => Needs {
                references: true,
                session: Some(session.clone()),
                ..Needs::default()
            },
            _ => Needs::default(),
        }
    }
}

/// Rule 17: a revue de projet concerns a year the programme has actions or envelopes for.
fn review_year(p: &Programme, ctx: &Context, year: Year) -> Result<(), DomainError> {
    if ctx.actions_of_year(year) == 0 && !p.envelopes.iter().any(|e| e.year == year) {
        return Err(DomainError::ReviewInvalid(ReviewProblem::NoActivity {
            year,
        }));
    }
    Ok(())
}

/// Rule 17: a revue de projet is validated at a held COPIL session dated on or after 1 January of
/// the next year; its date is the validation's effective date.
fn review_session(
    p: &Programme,
    ctx: &Context,
    year: Year,
    session: &SessionId,
) -> Result<NaiveDate, DomainError> {
    let Some(s) = ctx.session.as_ref().filter(|s| &s.id == session) else {
        return Err(DomainError::NotFound(Missing::Session(session.clone())));
    };
    review_year(p, ctx, year)?;
    let problem = if s.body != BodyKind::Copil {
        Some(ReviewProblem::NotCopil {
            session: session.clone(),
        })
    } else if s.cancelled || !s.held {
        Some(ReviewProblem::NotHeld {
            session: session.clone(),
        })
    } else if s.date.year() <= year.get() {
        Some(ReviewProblem::TooEarly {
            session_date: s.date,
            year,
        })
    } else {
        None
    };
    match problem {
        Some(problem) => Err(DomainError::ReviewInvalid(problem)),
        None => Ok(s.date),
    }
}

/// Rule 16: QPV codes are upper-case letters and digits, schools are UAI whose check letter
/// holds, and at least one commune stays.
fn change_territory(
    communes: &[Name],
    qpv: &[Name],
    schools: &[Name],
    reason: &Note,
) -> Result<TerritoryChanged, DomainError> {
    if communes.is_empty() {
        return Err(DomainError::TerritoryInvalid(TerritoryProblem::NoCommune));
    }
    check_list("communes", communes, bounds::MAX_ORGANISATIONS, show)?;
    check_list("QPV", qpv, bounds::MAX_QPV, show)?;
    check_list("écoles", schools, bounds::MAX_ORGANISATIONS, show)?;
    let qpv = qpv
        .iter()
        .map(|q| {
            QpvCode::parse(q.as_str())
                .ok_or_else(|| DomainError::TerritoryInvalid(TerritoryProblem::Qpv(q.to_string())))
        })
        .collect::<Result<_, _>>()?;
    let schools = schools
        .iter()
        .map(|u| {
            Uai::parse(u.as_str())
                .ok_or_else(|| DomainError::TerritoryInvalid(TerritoryProblem::Uai(u.to_string())))
        })
        .collect::<Result<_, _>>()?;
    Ok(TerritoryChanged {
        communes: communes.to_vec(),
        qpv,
        schools,
        reason: reason.clone(),
    })
}

/// The programme-level commands `actor` may give now: its permission (a porteur for its own
/// partner), on an established programme. Which axis, funder or partner a command names is
/// left to `decide`.
pub fn available_commands(
    actor: &Actor,
    programme: &ProgrammeId,
    state: &ProgrammeState,
) -> Vec<CommandKind> {
    if state.programme.is_none() {
        return Vec::new();
    }
    CommandKind::offered(crate::permissions::Place::Programme)
        .filter(|&kind| authorize(actor, kind, programme, actor.partner.as_ref()).is_ok())
        .collect()
}

pub struct ProgrammeDecider;

impl Decider for ProgrammeDecider {
    type Id = ();
    type State = ProgrammeState;
    type Command = ProgrammeCommand;
    type Event = ProgrammeEvent;

    fn stream(programme: &ProgrammeId, _id: &()) -> StreamRef {
        StreamRef::Programme(programme.clone())
    }

    fn version(state: &ProgrammeState) -> u64 {
        state.version
    }

    fn needs(_: &ProgrammeState, command: &ProgrammeCommand) -> Needs {
        command.needs()
    }

    fn command_kind(command: &ProgrammeCommand) -> CommandKind {
        command.kind()
    }

    fn texts(command: &ProgrammeCommand) -> Vec<&str> {
        match command {
            ProgrammeCommand::DefineAxis { title, .. } => vec![title.as_str()],
            ProgrammeCommand::NotifyEnvelope { reference, .. } => {
                reference.iter().map(|r| r.as_str()).collect()
            }
            ProgrammeCommand::ReviseEnvelope { reason, .. }
            | ProgrammeCommand::ChangeTerritory { reason, .. }
            | ProgrammeCommand::EraseText { reason, .. }
            | ProgrammeCommand::EraseActorName { reason, .. } => vec![reason.as_str()],
            ProgrammeCommand::WriteReviewSection { text, .. } => vec![text.as_str()],
            _ => Vec::new(),
        }
    }

    /// Decides a programme command.
    fn rules(
        state: &ProgrammeState,
        command: &Command<ProgrammeCommand>,
        ctx: &Context,
    ) -> Result<Decided<ProgrammeEvent>, DomainError> {
        use ProgrammeCommand::*;
        let kind = command.command.kind();
        authorize(&ctx.actor, kind, &ctx.programme, None)?;

        if let EstablishProgramme {
            programme,
            name,
            territory,
            qpv,
            labelled_on,
            request_cap_permille,
        } = &command.command
        {
            if programme != &ctx.programme {
                return Err(DomainError::ProgrammeMismatch {
                    command: programme.clone(),
                    stream: ctx.programme.clone(),
                });
            }
            if state.version > 0 {
                return Err(DomainError::Lifecycle {
                    command: kind,
                    stage: Stage::Exists,
                });
            }
            if *request_cap_permille > 1000 {
                return Err(DomainError::CapInvalid {
                    permille: *request_cap_permille,
                });
            }
            check_list("territoire", territory, bounds::MAX_COMMUNES, show)?;
            check_list("QPV", qpv, bounds::MAX_QPV, show)?;
            if let Some(labelled_on) = labelled_on {
                DateRange::of_labelling(ctx.today).check("date de labellisation", *labelled_on)?;
            }
            // The labelling date is the natural effective date of a programme entered afterwards,
            // so that its past years can be entered too; the option may say otherwise.
            let default = command
                .effective_on
                .or(labelled_on.filter(|d| *d <= ctx.today));
            let on = effective_date(None, default, ctx.today, None)?;
            DateRange::of_programme(*labelled_on, ctx.today).check("date d'effet", on)?;
            return Ok(Decided::one(
                on,
                ProgrammeEstablished {
                    programme: programme.clone(),
                    name: name.clone(),
                    territory: territory.clone(),
                    qpv: qpv.clone(),
                    labelled_on: *labelled_on,
                    request_cap_permille: *request_cap_permille,
                },
            ));
        }

        let Some(p) = state.programme.as_ref() else {
            return Err(DomainError::NotFound(Missing::Programme(
                ctx.programme.clone(),
            )));
        };
        // A validation of the revue de projet is effective on its COPIL session's date.
        // An erasure is effective on the day it is made.
        let named = match &command.command {
            ValidateAnnualReview { year, session } => Some(review_session(p, ctx, *year, session)?),
            EraseText { .. } | EraseActorName { .. } => Some(ctx.today),
            _ => None,
        };
        let on = effective_date(
            named,
            command.effective_on,
            ctx.today,
            state.first_effective_on,
        )?;
        DateRange::of_programme(p.labelled_on, ctx.today).check("date d'effet", on)?;
        let event: ProgrammeEvent = match &command.command {
            EstablishProgramme { .. } => unreachable!("handled above"),
            EraseActorName { actor, reason } => ActorNameErased {
                actor: actor.clone(),
                reason: reason.clone(),
            }
            .into(),
            EraseText {
                position,
                field,
                reason,
            } => TextErased {
                position: *position,
                field: field.clone(),
                reason: reason.clone(),
            }
            .into(),
            DefineAxis {
                code,
                title,
                objective,
            } => {
                if p.axis(code).is_some() {
                    return Err(DomainError::AxisAlreadyDefined(code.clone()));
                }
                AxisDefined {
                    code: code.clone(),
                    title: title.clone(),
                    objective: *objective,
                }
                .into()
            }
            RetireAxis { code } => {
                let Some(axis) = p.axis(code) else {
                    return Err(DomainError::NotFound(Missing::Axis(code.clone())));
                };
                if axis.retired {
                    return Err(DomainError::AxisRetired(code.clone()));
                }
                AxisRetired { code: code.clone() }.into()
            }
            RegisterFunder {
                funder,
                name,
                kind,
                payer,
            } => {
                if p.funder(funder).is_some() {
                    return Err(DomainError::FunderAlreadyRegistered(funder.clone()));
                }
                FunderRegistered {
                    funder: funder.clone(),
                    name: name.clone(),
                    kind: *kind,
                    payer: *payer,
                }
                .into()
            }
            NotifyEnvelope {
                funder,
                year,
                amount,
                reference,
            } => {
                if p.funder(funder).is_none() {
                    return Err(DomainError::NotFound(Missing::Funder(funder.clone())));
                }
                DateRange::of_programme(p.labelled_on, ctx.today)
                    .check_year("exercice de l'enveloppe", *year)?;
                if let Some(existing) = p.envelope(funder, *year) {
                    return Err(DomainError::EnvelopeAlreadyNotified {
                        funder: funder.clone(),
                        year: *year,
                        amount: existing.amount,
                    });
                }
                EnvelopeNotified {
                    funder: funder.clone(),
                    year: *year,
                    amount: *amount,
                    reference: reference.clone(),
                }
                .into()
            }
            ReviseEnvelope {
                funder,
                year,
                amount,
                reason,
            } => {
                if p.funder(funder).is_none() {
                    return Err(DomainError::NotFound(Missing::Funder(funder.clone())));
                }
                let Some(existing) = p.envelope(funder, *year) else {
                    return Err(DomainError::NotFound(Missing::Envelope {
                        funder: funder.clone(),
                        year: *year,
                    }));
                };
                if existing.amount == *amount {
                    return Err(DomainError::NothingToChange);
                }
                EnvelopeRevised {
                    funder: funder.clone(),
                    year: *year,
                    amount: *amount,
                    reason: reason.clone(),
                }
                .into()
            }
            ChangeBodyMembership {
                body,
                organisations,
            } => {
                check_list(
                    "organisations",
                    organisations,
                    bounds::MAX_ORGANISATIONS,
                    show,
                )?;
                if p.members(*body)
                    .is_some_and(|m| &m.organisations == organisations)
                {
                    return Err(DomainError::NothingToChange);
                }
                BodyMembershipChanged {
                    body: *body,
                    organisations: organisations.clone(),
                }
                .into()
            }
            ChangeTerritory {
                communes,
                qpv,
                schools,
                reason,
            } => change_territory(communes, qpv, schools, reason)?.into(),
            WriteReviewSection {
                year,
                section,
                text,
            } => {
                review_year(p, ctx, *year)?;
                let latest = p
                    .review_sections
                    .iter()
                    .rev()
                    .find(|r| r.year == *year && r.section == *section);
                if latest.is_some_and(|r| &r.text == text) {
                    return Err(DomainError::NothingToChange);
                }
                ReviewSectionWritten {
                    year: *year,
                    section: *section,
                    text: text.clone(),
                }
                .into()
            }
            ValidateAnnualReview { year, session } => AnnualReviewValidated {
                year: *year,
                session: session.clone(),
            }
            .into(),
        };
        Ok(Decided::one(on, event))
    }

    /// Folds one event. Never fails: an event that does not fit (a second establishment, an axis
    /// unknown) is counted in the version and otherwise ignored or applied as best it can.
    fn evolve(mut state: ProgrammeState, event: &Dated<ProgrammeEvent>) -> ProgrammeState {
        apply(&mut state, event.effective_on, &event.event);
        state
    }
}
