//! What a command needs from outside its stream, and nothing else.
//!
//! [`Context`] carries the actor, today's date (the calendar date in Europe/Paris, computed by
//! the caller from its injectable clock), the programme the target stream belongs to, and the
//! facts of other streams a rule needs. Each command says which facts it needs
//! ([`crate::action::ActionCommand::needs`] and the like); a fact it needs and does not find
//! means that the thing does not exist (`NOT_FOUND`).
//!
//! [`Context::gather`] gathers them from a [`FactSource`]: the command service (in `graphql`)
//! reads the log and the read model, under the programme's lock so that no other command of
//! the programme can change them before the append; the generator of `projections` reads its
//! own memory of what it generated. Each fact:
//!
//! - `programme`: fold the `programme-{p}` stream ([`crate::programme::ProgrammeState`]) and take
//!   [`ProgrammeFacts::from`] it; `None` when the stream is empty. Needed to create a partner,
//!   a session or an action, and to amend an action (axes, funders, request cap), and by every
//!   action command that names a date or a period (its labelling date bounds them, rule 19).
//! - `session`: fold `session-{p}.{s}` for the session the command names
//!   ([`crate::session::SessionState`]) and take [`SessionFacts::from`] it; `None` when the stream
//!   is empty. Needed by `giveOpinion`, `recordCopilDecisions` (one session for every action)
//!   and `reviseDecision`.
//! - `holder`: fold `partner-{p}.{h}` for the holder a proposal names and take
//!   [`PartnerFacts::from`] it; `None` when the stream is empty. Needed by `proposeAction`.
//! - `envelope`: for `awardGrant`, the envelope of the grant's funder and year as folded from
//!   the programme stream (`None` when none was notified), and the sum of the grants of that
//!   funder and year over every action of the programme, read from the budget read model of
//!   `projections` (which has seen every event appended, the command service waiting for its
//!   position), or by folding the programme's action streams.
//! - `references`: for `proposeAction`, the references of every action of the programme
//!   (rule 18), read from the read model caught up with the head; [`Context::with_references`]
//!   keeps them in the form they are compared in. With them, how many actions each year has,
//!   for the next generated reference ([`crate::decider::Decider::assign_ids`]).
//! - `renewal`: for a proposal that renews an earlier action, that action's year and the actions
//!   that already renew it with their status (rule 15), read from the read model caught up with
//!   the head.
//! - `partner_grants`: for `awardGrant`, the holder's facts (its legal form) and what the grant's
//!   funder already granted to the holder for the grant's year over all its actions (rule 6's
//!   convention), read from the read model caught up with the head.

use crate::actor::Actor;
use crate::bounds::DateRange;
use crate::programme::Programme;
use crate::values::*;
use chrono::NaiveDate;
use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};

/// Everything `decide` knows beyond the target stream's state.
#[derive(Debug, Clone, PartialEq)]
pub struct Context {
    pub actor: Actor,
    /// Today in Europe/Paris.
    pub today: NaiveDate,
    /// The programme of the target stream.
    pub programme: ProgrammeId,
    pub programme_facts: Option<ProgrammeFacts>,
    pub session: Option<SessionFacts>,
    pub holder: Option<PartnerFacts>,
    pub envelope: Option<EnvelopeFacts>,
    /// The references already used in the programme, as [`comparison_key`]s (rule 18).
    pub used_references: BTreeSet<String>,
    /// How many actions the programme has for each year (gathered with the references).
    pub actions_by_year: BTreeMap<Year, u32>,
    /// What a grant's funder already granted to the action's holder for the grant's year.
    pub partner_granted: Option<Money>,
    /// The action a proposal renews, `None` when the programme has no such action.
    pub renewal: Option<RenewalFacts>,
}

/// An action a proposal renews, as rule 15 sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenewalFacts {
    pub id: ActionId,
    pub year: Year,
    /// Its holder and status, for whether the proposer may know it exists.
    pub holder: PartnerId,
    pub status: ActionStatus,
    /// The actions that already renew it, with their status.
    pub renewed_by: Vec<(ActionId, ActionStatus)>,
}

/// Where the facts of other streams come from, for [`Context::gather`].
pub trait FactSource {
    type Error;
    /// The programme as folded from its stream; `None` when the stream is empty.
    fn programme(&self) -> Result<Option<Cow<'_, Programme>>, Self::Error>;
    /// The session `id` as folded from its stream; `None` when the stream is empty.
    fn session(&self, id: &SessionId) -> Result<Option<SessionFacts>, Self::Error>;
    /// The partner `id` as folded from its stream; `None` when the stream is empty.
    fn partner(&self, id: &PartnerId) -> Result<Option<PartnerFacts>, Self::Error>;
    /// What every action of the programme was granted by `funder` for `year`.
    fn granted(&self, funder: &FunderId, year: Year) -> Result<Money, Self::Error>;
    /// The reference and the year of every action of the programme.
    fn references(&self) -> Result<Vec<(String, Year)>, Self::Error>;
    /// The action `id` of the programme and the actions that renew it; `None` when absent.
    fn renewal(&self, id: &ActionId) -> Result<Option<RenewalFacts>, Self::Error>;
    /// What `funder` granted to `partner` for `year`, over every action `partner` holds.
    fn granted_to(
        &self,
        partner: &PartnerId,
        funder: &FunderId,
        year: Year,
    ) -> Result<Money, Self::Error>;
}

impl Context {
    /// A context without facts of other streams.
    pub fn new(actor: Actor, today: NaiveDate, programme: ProgrammeId) -> Context {
        Context {
            actor,
            today,
            programme,
            programme_facts: None,
            session: None,
            holder: None,
            envelope: None,
            used_references: BTreeSet::new(),
            actions_by_year: BTreeMap::new(),
            partner_granted: None,
            renewal: None,
        }
    }

    /// The context of a command of `actor` in `programme` with the facts it `needs`, read from
    /// `source` (domain::context explains each).
    pub fn gather<S: FactSource>(
        actor: Actor,
        today: NaiveDate,
        programme: ProgrammeId,
        needs: &Needs,
        source: &S,
    ) -> Result<Context, S::Error> {
        let mut context = Context::new(actor, today, programme);
        if (needs.programme || needs.envelope.is_some())
            && let Some(p) = source.programme()?
        {
            if needs.programme {
                context.programme_facts = Some(ProgrammeFacts::from(p.as_ref()));
            }
            if let Some((funder, year)) = &needs.envelope
                && let Some(envelope) = p.envelope(funder, *year)
            {
                context.envelope = Some(EnvelopeFacts {
                    amount: envelope.amount,
                    granted: source.granted(funder, *year)?,
                });
            }
        }
        if let Some(session) = &needs.session {
            context.session = source.session(session)?;
        }
        if let Some(holder) = &needs.holder {
            context.holder = source.partner(holder)?;
        }
        if let Some((partner, funder, year)) = &needs.partner_grants {
            context.partner_granted = Some(source.granted_to(partner, funder, *year)?);
        }
        if let Some(renewed) = &needs.renewal {
            context.renewal = source.renewal(renewed)?;
        }
        if needs.references {
            let references = source.references()?;
            for (_, year) in &references {
                *context.actions_by_year.entry(*year).or_default() += 1;
            }
            context = context.with_references(references.iter().map(|(r, _)| r.as_str()));
        }
        Ok(context)
    }

    /// How many actions the programme has for `year` (gathered with the references).
    pub fn actions_of_year(&self, year: Year) -> u32 {
        self.actions_by_year.get(&year).copied().unwrap_or(0)
    }

    /// With the references already used in the programme (rule 18).
    pub fn with_references<'a>(mut self, references: impl IntoIterator<Item = &'a str>) -> Context {
        self.used_references = references.into_iter().map(comparison_key).collect();
        self
    }

    /// Whether `reference` is already used in the programme (rule 18).
    pub fn reference_used(&self, reference: &str) -> bool {
        self.used_references.contains(&comparison_key(reference))
    }

    /// Rule 19's range for this programme: from the year before its labelling (2019 without
    /// one) to the current year + 5. Without the programme's facts, the range of a programme
    /// without labelling.
    pub fn date_range(&self) -> DateRange {
        DateRange::of_programme(
            self.programme_facts.as_ref().and_then(|p| p.labelled_on),
            self.today,
        )
    }

    pub fn with_programme(mut self, facts: ProgrammeFacts) -> Context {
        self.programme_facts = Some(facts);
        self
    }

    pub fn with_session(mut self, facts: SessionFacts) -> Context {
        self.session = Some(facts);
        self
    }

    pub fn with_holder(mut self, facts: PartnerFacts) -> Context {
        self.holder = Some(facts);
        self
    }

    pub fn with_envelope(mut self, facts: EnvelopeFacts) -> Context {
        self.envelope = Some(facts);
        self
    }
}

/// Which facts a command needs: what the command service must gather before `decide`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Needs {
    pub programme: bool,
    pub session: Option<SessionId>,
    pub holder: Option<PartnerId>,
    /// The funder and year of a grant: its envelope and the grants already made against it.
    pub envelope: Option<(FunderId, Year)>,
    /// The references already used in the programme (a proposal's, rule 18).
    pub references: bool,
    /// For a grant: what its funder already granted to the action's holder for its year, over
    /// every action of the programme (rule 6's convention).
    pub partner_grants: Option<(PartnerId, FunderId, Year)>,
    /// For a proposal that renews an earlier action: that action's facts (rule 15).
    pub renewal: Option<ActionId>,
}

/// An axis of the programme, as a proposal sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AxisFact {
    pub code: AxisCode,
    pub retired: bool,
}

/// The programme, as a proposal sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProgrammeFacts {
    pub request_cap_permille: u16,
    /// When the programme was labelled: the start of rule 19's range.
    pub labelled_on: Option<NaiveDate>,
    pub axes: Vec<AxisFact>,
    pub funders: Vec<FunderId>,
}

impl ProgrammeFacts {
    pub fn axis(&self, code: &AxisCode) -> Option<&AxisFact> {
        self.axes.iter().find(|a| &a.code == code)
    }

    pub fn has_funder(&self, funder: &FunderId) -> bool {
        self.funders.contains(funder)
    }
}

/// A session, as an opinion or a decision sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionFacts {
    pub id: SessionId,
    pub body: BodyKind,
    pub date: NaiveDate,
    pub held: bool,
    pub cancelled: bool,
}

/// The holder of a proposal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartnerFacts {
    pub id: PartnerId,
    pub active: bool,
    /// Private or public law: the convention rule applies to private law (and UNKNOWN).
    pub legal_form: LegalForm,
}

/// A funder's envelope for one year, and what all the programme's actions were granted against
/// it so far (this action included).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EnvelopeFacts {
    pub amount: Money,
    pub granted: Money,
}
