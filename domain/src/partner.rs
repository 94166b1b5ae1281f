//! The `partner-{p}.{id}` stream: a member of the alliance.

use crate::context::{Context, Needs, PartnerFacts};
use crate::decider::{Command, Decided, Decider, effective_date, stated_date};
use crate::error::{DomainError, Missing, Stage, StreamKind};
use crate::events::*;
use crate::permissions::{CommandKind, authorize};
use crate::streams::StreamRef;
use crate::values::*;
use chrono::NaiveDate;

/// The fold of a partner stream. `partner` is `None` until `PartnerRegistered`.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PartnerState {
    pub partner: Option<Partner>,
    pub first_effective_on: Option<NaiveDate>,
    pub version: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Partner {
    pub id: PartnerId,
    pub name: Name,
    pub kind: PartnerKind,
    pub siret: Option<Siret>,
    /// Private or public law: what the convention rule needs.
    pub legal_form: LegalForm,
    pub rna: Option<Rna>,
    /// False once it left the alliance.
    pub active: bool,
    pub registered_on: NaiveDate,
    pub left_on: Option<NaiveDate>,
    pub left_reason: Option<Note>,
}

impl From<&Partner> for PartnerFacts {
    fn from(p: &Partner) -> Self {
        PartnerFacts {
            id: p.id.clone(),
            active: p.active,
            legal_form: p.legal_form,
        }
    }
}

/// [`evolve`] in place, with the event borrowed (folds over many events call this).
pub fn apply(state: &mut PartnerState, on: NaiveDate, event: &PartnerEvent) {
    state.version += 1;
    state.first_effective_on.get_or_insert(on);
    match event {
        PartnerEvent::PartnerRegistered(e) => {
            if state.partner.is_none() {
                state.partner = Some(Partner {
                    id: e.partner.clone(),
                    name: e.name.clone(),
                    kind: e.kind,
                    siret: e.siret.clone(),
                    legal_form: e.legal_form,
                    rna: e.rna.clone(),
                    active: true,
                    registered_on: on,
                    left_on: None,
                    left_reason: None,
                });
            }
        }
        PartnerEvent::PartnerLeftAlliance(e) => {
            if let Some(p) = state.partner.as_mut() {
                p.active = false;
                p.left_on = Some(on);
                p.left_reason = Some(e.reason.clone());
            }
        }
        PartnerEvent::PartnerLegalFormSet(e) => {
            if let Some(p) = state.partner.as_mut() {
                p.legal_form = e.legal_form;
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PartnerCommand {
    RegisterPartner {
        partner: PartnerId,
        name: Name,
        kind: PartnerKind,
        siret: Option<Siret>,
        legal_form: LegalForm,
        rna: Option<Rna>,
    },
    SetPartnerLegalForm {
        legal_form: LegalForm,
        reason: Note,
    },
    PartnerLeaves {
        reason: Note,
    },
}

impl PartnerCommand {
    pub fn kind(&self) -> CommandKind {
        match self {
            PartnerCommand::RegisterPartner { .. } => CommandKind::RegisterPartner,
            PartnerCommand::SetPartnerLegalForm { .. } => CommandKind::SetPartnerLegalForm,
            PartnerCommand::PartnerLeaves { .. } => CommandKind::PartnerLeaves,
        }
    }

    /// Registering needs the programme to exist.
    pub fn needs(&self) -> Needs {
        Needs {
            programme: matches!(self, PartnerCommand::RegisterPartner { .. }),
            ..Needs::default()
        }
    }
}

pub struct PartnerDecider;

impl Decider for PartnerDecider {
    type Id = PartnerId;
    type State = PartnerState;
    type Command = PartnerCommand;
    type Event = PartnerEvent;

    fn stream(programme: &ProgrammeId, id: &PartnerId) -> StreamRef {
        StreamRef::Partner(programme.clone(), id.clone())
    }

    fn version(state: &PartnerState) -> u64 {
        state.version
    }

    fn needs(_: &PartnerState, command: &PartnerCommand) -> Needs {
        command.needs()
    }

    fn command_kind(command: &PartnerCommand) -> CommandKind {
        command.kind()
    }

    fn texts(command: &PartnerCommand) -> Vec<&str> {
        match command {
            PartnerCommand::SetPartnerLegalForm { reason, .. }
            | PartnerCommand::PartnerLeaves { reason } => vec![reason.as_str()],
            PartnerCommand::RegisterPartner { .. } => Vec::new(),
        }
    }

    fn rules(
        state: &PartnerState,
        command: &Command<PartnerCommand>,
        ctx: &Context,
    ) -> Result<Decided<PartnerEvent>, DomainError> {
        let kind = command.command.kind();
        authorize(&ctx.actor, kind, &ctx.programme, None)?;
        match &command.command {
            PartnerCommand::RegisterPartner {
                partner,
                name,
                kind: partner_kind,
                siret,
                legal_form,
                rna,
            } => {
                if state.version > 0 {
                    return Err(DomainError::Lifecycle {
                        command: kind,
                        stage: Stage::Exists,
                    });
                }
                if ctx.programme_facts.is_none() {
                    return Err(DomainError::NotFound(Missing::Programme(
                        ctx.programme.clone(),
                    )));
                }
                let on = effective_date(None, command.effective_on, ctx.today, None)?;
                ctx.date_range().check("date d'effet", on)?;
                Ok(Decided::one(
                    on,
                    PartnerRegistered {
                        partner: partner.clone(),
                        name: name.clone(),
                        kind: *partner_kind,
                        siret: siret.clone(),
                        legal_form: *legal_form,
                        rna: rna.clone(),
                    },
                ))
            }
            PartnerCommand::SetPartnerLegalForm { legal_form, reason } => {
                let Some(p) = state.partner.as_ref() else {
                    return Err(DomainError::NotFound(Missing::Target(StreamKind::Partner)));
                };
                if p.legal_form == *legal_form {
                    return Err(DomainError::NothingToChange);
                }
                let on = stated_date(command, ctx, state.first_effective_on)?;
                Ok(Decided::one(
                    on,
                    PartnerLegalFormSet {
                        legal_form: *legal_form,
                        reason: reason.clone(),
                    },
                ))
            }
            PartnerCommand::PartnerLeaves { reason } => {
                let Some(p) = state.partner.as_ref() else {
                    return Err(DomainError::NotFound(Missing::Target(StreamKind::Partner)));
                };
                if !p.active {
                    return Err(DomainError::Lifecycle {
                        command: kind,
                        stage: Stage::PartnerLeft,
                    });
                }
                let on = stated_date(command, ctx, state.first_effective_on)?;
                Ok(Decided::one(
                    on,
                    PartnerLeftAlliance {
                        reason: reason.clone(),
                    },
                ))
            }
        }
    }

    /// Folds one event; never fails.
    fn evolve(mut state: PartnerState, event: &Dated<PartnerEvent>) -> PartnerState {
        apply(&mut state, event.effective_on, &event.event);
        state
    }
}
