//! The command service: the only write path of Chronique.
//!
//! A mutation's resolver turns its input into a domain command and hands it here, with the
//! viewer and the command's options. The service then, for the programme the command belongs
//! to (ARCHITECTURE.md, "The command service"):
//!
//! 1. consults the command-id index *before deciding*: a command id already recorded with the
//!    same fingerprint returns the positions it produced and writes nothing (so a retried
//!    `recordPayment` returns its first result instead of breaking rule 7); with another
//!    fingerprint it is `VALIDATION`;
//! 2. takes the programme's lock, so that commands of one programme are decided one at a time
//!    and the facts a rule reads from other streams cannot change under it; other programmes
//!    go on in parallel and share the log's group commit;
//! 3. folds the target stream from the log, gathers the context the command needs from state
//!    that includes every event already appended (other streams folded from the log, sums
//!    across actions from the read model once it has caught up with the head), and checks the
//!    client's `expectedVersion`;
//! 4. calls `decide`, encodes the events, and appends them with `Exact(version)` and the
//!    command id, atomically (many streams at once for a COPIL session);
//! 5. waits until the read model has applied its last position (read-your-writes).
//!
//! It gives the ids the domain never makes: grant and payment ids (`g1`, `v3`: one more than
//! the action already has), and the reference `{year}-{n:03}` of a proposal without one.

use crate::clock::Clock;
use crate::metrics::Metrics;
use domain::action::{
    self, ActionCommand, ActionDecider, ActionState, RecordCopilDecisions, next_reference,
};
use domain::actor::Actor;
use domain::context::{Context, EnvelopeFacts, Needs, PartnerFacts, ProgrammeFacts, SessionFacts};
use domain::decider::{Command, Decided, Decider};
use domain::error::{DomainError, Missing, StreamKind};
use domain::events::{ActionEvent, Dated, DomainEvent, PartnerEvent, ProgrammeEvent, SessionEvent};
use domain::partner::{PartnerCommand, PartnerDecider};
use domain::permissions::{self, CommandKind};
use domain::programme::{ProgrammeCommand, ProgrammeDecider, ProgrammeState};
use domain::session::{SessionCommand, SessionDecider};
use domain::streams::{action_stream, partner_stream, programme_stream, session_stream};
use domain::values::{
    ActionId, FunderId, GrantId, Money, PartnerId, PaymentId, ProgrammeId, SessionId, Year,
    comparison_key,
};
use eventlog::{AppendRequest, CommandKey, EventLog, ExpectedVersion, NewEvent, StreamAppend};
use projections::recorded::RecordedEvent;
use projections::registry;
use projections::runner::Projector;
use projections::visibility::{self, ActionAccess};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;
use std::time::Duration;

/// How long a mutation waits for the read model to show its own write before it gives up.
const READ_YOUR_WRITES_TIMEOUT: Duration = Duration::from_secs(10);
/// How many times a command without `expectedVersion` is decided again after a conflict.
const CONFLICT_RETRIES: usize = 3;

/// What a command's options carry besides `effectiveOn` (which goes into the domain command).
#[derive(Debug, Clone, Default)]
pub struct CommandMeta {
    /// The client's idempotency key, scoped here by programme.
    pub command_id: Option<String>,
    /// SHA-256 of the command as the client sent it, without its command id: two sendings of
    /// the same command have the same fingerprint (see [`fingerprint`]).
    pub fingerprint: [u8; 32],
    /// The client's optimistic concurrency check on the target stream.
    pub expected_version: Option<u64>,
}

/// The fingerprint of a command as sent: its name and its canonical arguments.
pub fn fingerprint(name: &str, canonical_arguments: &str) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(name.as_bytes());
    hasher.update([0]);
    hasher.update(canonical_arguments.as_bytes());
    hasher.finalize().into()
}

/// Who gives the command: the domain's actor and the name of the token, for the log.
#[derive(Debug, Clone)]
pub struct Issuer {
    pub actor: Actor,
    pub name: String,
}

impl Issuer {
    /// The actor written in the envelope: « Marie Dupont (coordination) ».
    fn envelope_actor(&self) -> String {
        format!("{} ({})", self.name, self.actor.role.label())
    }
}

/// What a command wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// The last position the command wrote (or wrote the first time, for a replay).
    pub position: u64,
    /// Rule codes accepted with a warning (`request_above_cap`).
    pub warnings: Vec<String>,
    /// True when the command id was already recorded and nothing was written now.
    pub replayed: bool,
}

/// One failing action of a COPIL call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecisionFailure {
    pub action: ActionId,
    pub error: FailureReason,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FailureReason {
    Domain(DomainError),
    Conflict { expected: u64, current: u64 },
}

/// Why a command was not recorded. A failed command wrote nothing.
#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    /// A business reason, from `decide`.
    #[error("{0}")]
    Domain(DomainError),
    /// The client's `expectedVersion` differs from the stream's.
    #[error(
        "la version attendue ({expected}) ne correspond plus : « {stream} » en est à la version {current}, quelqu'un l'a modifié entre-temps"
    )]
    Conflict {
        stream: String,
        expected: u64,
        current: u64,
    },
    /// The command id was already used for another command.
    #[error(
        "l'identifiant de commande « {0} » a déjà servi pour une autre commande : choisissez-en un nouveau"
    )]
    CommandIdReused(String),
    /// `expectedVersion` is given per decision on `recordCopilDecisions`.
    #[error(
        "expectedVersion n'est pas accepté dans les options de recordCopilDecisions : donnez-le pour chaque décision"
    )]
    ExpectedVersionOnBatch,
    /// Some decisions of a COPIL call failed; none was recorded.
    #[error("{} décision(s) refusée(s) ; aucune décision de cette séance n'a été enregistrée", .0.len())]
    Decisions(Vec<DecisionFailure>),
    /// The log refused or failed (not the client's doing).
    #[error("le registre n'a pas pu enregistrer la commande")]
    Log(#[source] eventlog::Error),
    /// A stored event could not be read back.
    #[error("le registre n'a pas pu relire un événement")]
    Read(#[source] projections::recorded::ReadError),
    /// The read model did not show the write in time; the write itself is durable.
    #[error("la commande est enregistrée, mais les vues ne l'affichent pas encore")]
    NotVisible(#[source] projections::runner::WaitError),
}

impl From<DomainError> for CommandError {
    fn from(e: DomainError) -> Self {
        CommandError::Domain(e)
    }
}

impl From<projections::recorded::ReadError> for CommandError {
    fn from(e: projections::recorded::ReadError) -> Self {
        CommandError::Read(e)
    }
}

/// The write side. Cheap to clone.
#[derive(Clone)]
pub struct CommandService {
    log: EventLog,
    projector: Projector,
    clock: Clock,
    metrics: Arc<Metrics>,
    locks: Arc<parking_lot::Mutex<HashMap<ProgrammeId, Arc<tokio::sync::Mutex<()>>>>>,
}

impl CommandService {
    pub fn new(
        log: EventLog,
        projector: Projector,
        clock: Clock,
        metrics: Arc<Metrics>,
    ) -> CommandService {
        CommandService {
            log,
            projector,
            clock,
            metrics,
            locks: Default::default(),
        }
    }

    fn lock_of(&self, programme: &ProgrammeId) -> Arc<tokio::sync::Mutex<()>> {
        self.locks
            .lock()
            .entry(programme.clone())
            .or_default()
            .clone()
    }

    fn context(&self, issuer: &Issuer, programme: &ProgrammeId) -> Context {
        Context::new(issuer.actor.clone(), self.clock.today(), programme.clone())
    }

    /// A command on the `programme-{p}` stream.
    pub async fn programme(
        &self,
        issuer: &Issuer,
        programme: &ProgrammeId,
        command: Command<ProgrammeCommand>,
        meta: &CommandMeta,
    ) -> Result<Outcome, CommandError> {
        let stream = programme_stream(programme);
        let target = Target {
            kind: StreamKind::Programme,
            missing: Missing::Programme(programme.clone()),
        };
        self.single::<ProgrammeDecider>(issuer, programme, &stream, target, command, meta)
            .await
    }

    /// A command on a `partner-{p}.{id}` stream.
    pub async fn partner(
        &self,
        issuer: &Issuer,
        programme: &ProgrammeId,
        partner: &PartnerId,
        command: Command<PartnerCommand>,
        meta: &CommandMeta,
    ) -> Result<Outcome, CommandError> {
        let stream = partner_stream(programme, partner);
        let target = Target {
            kind: StreamKind::Partner,
            missing: Missing::Partner(partner.clone()),
        };
        self.single::<PartnerDecider>(issuer, programme, &stream, target, command, meta)
            .await
    }

    /// A command on a `session-{p}.{id}` stream.
    pub async fn session(
        &self,
        issuer: &Issuer,
        programme: &ProgrammeId,
        session: &SessionId,
        command: Command<SessionCommand>,
        meta: &CommandMeta,
    ) -> Result<Outcome, CommandError> {
        let stream = session_stream(programme, session);
        let target = Target {
            kind: StreamKind::Session,
            missing: Missing::Session(session.clone()),
        };
        self.single::<SessionDecider>(issuer, programme, &stream, target, command, meta)
            .await
    }

    /// A command on an `action-{p}.{id}` stream.
    ///
    /// Ids the service gives are filled in here: a `RecordPayment` or `AwardGrant` may carry
    /// any placeholder id (use [`placeholder_payment_id`] / [`placeholder_grant_id`]), and a
    /// proposal whose reference is the placeholder [`placeholder_reference`] gets the next
    /// `{year}-{n:03}` of its programme.
    pub async fn action(
        &self,
        issuer: &Issuer,
        programme: &ProgrammeId,
        action: &ActionId,
        command: Command<ActionCommand>,
        meta: &CommandMeta,
    ) -> Result<Outcome, CommandError> {
        let stream = action_stream(programme, action);
        let target = Target {
            kind: StreamKind::Action,
            missing: Missing::Action(action.clone()),
        };
        self.single::<ActionDecider>(issuer, programme, &stream, target, command, meta)
            .await
    }

    /// `recordCopilDecisions`: every decision of one COPIL session, appended atomically.
    ///
    /// `expected_versions` gives each decision's own `expectedVersion`, if any.
    pub async fn copil_decisions(
        &self,
        issuer: &Issuer,
        programme: &ProgrammeId,
        command: Command<RecordCopilDecisions>,
        expected_versions: &BTreeMap<ActionId, u64>,
        meta: &CommandMeta,
    ) -> Result<Outcome, CommandError> {
        if meta.expected_version.is_some() {
            return Err(CommandError::ExpectedVersionOnBatch);
        }
        let command_key = self.command_key(programme, meta);
        let authorize = || -> Result<(), CommandError> {
            Ok(permissions::authorize(
                &issuer.actor,
                CommandKind::RecordCopilDecisions,
                programme,
                None,
            )?)
        };
        if let Some(outcome) = self.replay(&command_key, authorize).await? {
            return Ok(outcome);
        }
        let lock = self.lock_of(programme);
        let _guard = lock.lock().await;
        // A concurrent sending of the same command may have been recorded while this one
        // waited for the lock: answer with its result rather than deciding again.
        if let Some(outcome) = self.replay(&command_key, authorize).await? {
            return Ok(outcome);
        }
        for _attempt in 0..=CONFLICT_RETRIES {
            let mut states = BTreeMap::new();
            for decision in &command.command.decisions {
                let stream = action_stream(programme, &decision.action);
                let (state, _) = self.fold::<ActionDecider>(&stream)?;
                states.insert(decision.action.clone(), state);
            }
            let context = self
                .gather(issuer, programme, &command.command.needs())
                .await?;
            let decided = match action::decide_copil_decisions(&states, &command, &context) {
                Ok(decided) => decided,
                Err(DomainError::Decisions(failures)) => {
                    let mut failures: Vec<DecisionFailure> = failures
                        .into_iter()
                        .map(|f| DecisionFailure {
                            action: f.action,
                            error: FailureReason::Domain(f.error),
                        })
                        .collect();
                    failures.extend(version_failures(&states, expected_versions));
                    return Err(CommandError::Decisions(failures));
                }
                Err(other) => return Err(other.into()),
            };
            let stale = version_failures(&states, expected_versions);
            if !stale.is_empty() {
                return Err(CommandError::Decisions(stale));
            }
            let streams = decided
                .iter()
                .map(|(action_id, decided)| {
                    let version = states.get(action_id).map_or(0, |s| s.version);
                    self.stream_append(
                        action_stream(programme, action_id),
                        version,
                        decided,
                        issuer,
                        DomainEvent::Action,
                    )
                })
                .collect();
            let warnings = decided
                .iter()
                .flat_map(|(_, d)| d.warnings.iter().map(|w| w.code().to_owned()))
                .collect();
            match self
                .append(AppendRequest {
                    streams,
                    command: command_key.clone(),
                })
                .await
            {
                Ok(outcome) => return self.visible(outcome, warnings).await,
                Err(eventlog::Error::Conflict { .. }) => continue,
                Err(e) => return Err(CommandError::Log(e)),
            }
        }
        Err(CommandError::Log(eventlog::Error::Bug(
            "conflicts persisted past the retries while holding the programme's lock".into(),
        )))
    }

    /// The shared path of a command on one stream.
    async fn single<D: StreamDecider>(
        &self,
        issuer: &Issuer,
        programme: &ProgrammeId,
        stream: &str,
        target: Target,
        mut command: Command<D::Command>,
        meta: &CommandMeta,
    ) -> Result<Outcome, CommandError> {
        let command_key = self.command_key(programme, meta);
        // A recorded command id answers only a token that may give the command: the
        // permission `decide` would have checked.
        let authorize = || -> Result<(), CommandError> {
            let (state, _) =
                D::as_seen_by(&issuer.actor, &command.command, self.fold::<D>(stream)?);
            let holder = D::holder(&state, &command.command);
            Ok(permissions::authorize(
                &issuer.actor,
                D::kind(&command.command),
                programme,
                holder.as_ref(),
            )?)
        };
        if let Some(outcome) = self.replay(&command_key, authorize).await? {
            return Ok(outcome);
        }
        let lock = self.lock_of(programme);
        let _guard = lock.lock().await;
        // A concurrent sending of the same command may have been recorded while this one
        // waited for the lock: answer with its result rather than deciding again.
        if let Some(outcome) = self.replay(&command_key, authorize).await? {
            return Ok(outcome);
        }
        for _attempt in 0..=CONFLICT_RETRIES {
            let (state, version) =
                D::as_seen_by(&issuer.actor, &command.command, self.fold::<D>(stream)?);
            if let Some(expected) = meta.expected_version
                && expected != version
            {
                return Err(CommandError::Conflict {
                    stream: stream.to_owned(),
                    expected,
                    current: version,
                });
            }
            D::fill_ids(&mut command.command, &state, self, programme).await?;
            let context = self
                .gather(issuer, programme, &D::needs(&command.command))
                .await?;
            let decided = D::decide(&state, &command, &context).map_err(|e| target.name(e))?;
            let warnings = decided
                .warnings
                .iter()
                .map(|w| w.code().to_owned())
                .collect();
            let append = self.stream_append(stream.to_owned(), version, &decided, issuer, D::wrap);
            match self
                .append(AppendRequest {
                    streams: vec![append],
                    command: command_key.clone(),
                })
                .await
            {
                Ok(outcome) => return self.visible(outcome, warnings).await,
                // Only reachable if something outside this service wrote to the stream: decide
                // again on the new state, unless the client pinned a version.
                Err(eventlog::Error::Conflict { actual, .. })
                    if meta.expected_version.is_some() =>
                {
                    return Err(CommandError::Conflict {
                        stream: stream.to_owned(),
                        expected: version,
                        current: match actual {
                            eventlog::StreamState::NoStream => 0,
                            eventlog::StreamState::At(v) => v,
                        },
                    });
                }
                Err(eventlog::Error::Conflict { .. }) => continue,
                Err(e) => return Err(CommandError::Log(e)),
            }
        }
        Err(CommandError::Log(eventlog::Error::Bug(
            "conflicts persisted past the retries while holding the programme's lock".into(),
        )))
    }

    fn command_key(&self, programme: &ProgrammeId, meta: &CommandMeta) -> Option<CommandKey> {
        meta.command_id.as_ref().map(|id| CommandKey {
            id: format!("{programme}/{id}"),
            fingerprint: meta.fingerprint,
        })
    }

    /// A command id already recorded: its first result, or `CommandIdReused`; either only
    /// once `authorize` has let the issuer give the command.
    async fn replay(
        &self,
        key: &Option<CommandKey>,
        authorize: impl FnOnce() -> Result<(), CommandError>,
    ) -> Result<Option<Outcome>, CommandError> {
        let Some(key) = key else { return Ok(None) };
        let Some(record) = self.log.command(&key.id).map_err(CommandError::Log)? else {
            return Ok(None);
        };
        authorize()?;
        if record.fingerprint != key.fingerprint {
            let id = key.id.split_once('/').map_or(key.id.as_str(), |(_, id)| id);
            return Err(CommandError::CommandIdReused(id.to_owned()));
        }
        let position = record.last_position;
        self.projector
            .wait_for(position, READ_YOUR_WRITES_TIMEOUT)
            .await
            .map_err(CommandError::NotVisible)?;
        Ok(Some(Outcome {
            position,
            warnings: Vec::new(),
            replayed: true,
        }))
    }

    /// Appends, and counts the append and its latency for `/metrics`.
    async fn append(
        &self,
        request: AppendRequest,
    ) -> Result<eventlog::AppendOutcome, eventlog::Error> {
        let n_events = request.streams.iter().map(|s| s.events.len()).sum();
        let started = std::time::Instant::now();
        let outcome = self.log.append(request).await?;
        if !outcome.replayed {
            self.metrics.record_append(n_events, started.elapsed());
        }
        Ok(outcome)
    }

    /// Waits for the read model to show the append, then answers.
    async fn visible(
        &self,
        outcome: eventlog::AppendOutcome,
        warnings: Vec<String>,
    ) -> Result<Outcome, CommandError> {
        self.projector
            .wait_for(outcome.last_position, READ_YOUR_WRITES_TIMEOUT)
            .await
            .map_err(CommandError::NotVisible)?;
        Ok(Outcome {
            position: outcome.last_position,
            warnings,
            replayed: outcome.replayed,
        })
    }

    fn stream_append<E>(
        &self,
        stream_id: String,
        version: u64,
        decided: &Decided<E>,
        issuer: &Issuer,
        wrap: impl Fn(E) -> DomainEvent,
    ) -> StreamAppend
    where
        E: Clone,
    {
        let actor = issuer.envelope_actor();
        let events = decided
            .events
            .iter()
            .map(|event| {
                let encoded = registry::encode(&wrap(event.clone()));
                NewEvent::new(
                    encoded.event_type,
                    encoded.schema_version,
                    decided.effective_on,
                    actor.clone(),
                    encoded.payload,
                )
            })
            .collect();
        StreamAppend {
            stream_id,
            expected: if version == 0 {
                ExpectedVersion::NoStream
            } else {
                ExpectedVersion::Exact(version)
            },
            events,
        }
    }

    /// Folds a stream from the log: its state and version.
    fn fold<D: StreamDecider>(&self, stream: &str) -> Result<(D::State, u64), CommandError> {
        let envelopes = self
            .log
            .read_stream(stream, 1, eventlog::Direction::Forward, usize::MAX)
            .map_err(CommandError::Log)?;
        let mut state = D::State::default();
        let mut version = 0;
        for envelope in &envelopes {
            let recorded = RecordedEvent::from_envelope(envelope)?;
            if let Some(event) = D::unwrap(recorded.event) {
                state = D::evolve(
                    state,
                    &Dated {
                        effective_on: recorded.effective_on,
                        event,
                    },
                );
            }
            version = envelope.stream_version;
        }
        Ok((state, version))
    }

    fn programme_state(&self, programme: &ProgrammeId) -> Result<ProgrammeState, CommandError> {
        Ok(self
            .fold::<ProgrammeDecider>(&programme_stream(programme))?
            .0)
    }

    fn session_facts(
        &self,
        programme: &ProgrammeId,
        session: &SessionId,
    ) -> Result<Option<SessionFacts>, CommandError> {
        let (state, _) = self.fold::<SessionDecider>(&session_stream(programme, session))?;
        Ok(state.session.as_ref().map(SessionFacts::from))
    }

    /// The facts of other streams a command needs (domain::context explains each).
    async fn gather(
        &self,
        issuer: &Issuer,
        programme: &ProgrammeId,
        needs: &Needs,
    ) -> Result<Context, CommandError> {
        let mut context = self.context(issuer, programme);
        if needs.programme || needs.envelope.is_some() {
            let state = self.programme_state(programme)?;
            if let Some(p) = state.programme.as_ref() {
                if needs.programme {
                    context.programme_facts = Some(ProgrammeFacts::from(p));
                }
                if let Some((funder, year)) = &needs.envelope
                    && let Some(envelope) = p.envelope(funder, *year)
                {
                    let granted = self.granted(programme, funder, *year).await?;
                    context.envelope = Some(EnvelopeFacts {
                        amount: envelope.amount,
                        granted,
                    });
                }
            }
        }
        if let Some(session) = &needs.session {
            context.session = self.session_facts(programme, session)?;
        }
        if let Some(holder) = &needs.holder {
            let (state, _) = self.fold::<PartnerDecider>(&partner_stream(programme, holder))?;
            context.holder = state.partner.as_ref().map(PartnerFacts::from);
        }
        if needs.references {
            let references = self.used_references(programme).await?;
            context = context.with_references(references.iter().map(String::as_str));
        }
        Ok(context)
    }

    /// The read model, caught up with every event appended so far. Under the programme's lock,
    /// that includes every event of the programme.
    async fn caught_up(&self) -> Result<(), CommandError> {
        self.projector
            .wait_for(self.log.head().position, READ_YOUR_WRITES_TIMEOUT)
            .await
            .map_err(CommandError::NotVisible)
    }

    /// What every action of the programme was granted by `funder` for `year`.
    async fn granted(
        &self,
        programme: &ProgrammeId,
        funder: &FunderId,
        year: Year,
    ) -> Result<Money, CommandError> {
        self.caught_up().await?;
        Ok(self.projector.read(|model| {
            model.programme(programme).map_or(Money::ZERO, |view| {
                projections::query::granted_in_year(view, funder, year)
            })
        }))
    }

    /// The references of every action of the programme (rule 18).
    async fn used_references(&self, programme: &ProgrammeId) -> Result<Vec<String>, CommandError> {
        self.caught_up().await?;
        Ok(self.projector.read(|model| {
            model.programme(programme).map_or_else(Vec::new, |view| {
                view.actions().map(|a| a.reference().to_owned()).collect()
            })
        }))
    }

    /// How many actions the programme has for `year`: the next reference is one more.
    async fn actions_of_year(
        &self,
        programme: &ProgrammeId,
        year: Year,
    ) -> Result<u32, CommandError> {
        self.caught_up().await?;
        Ok(self.projector.read(|model| {
            model.programme(programme).map_or(0, |view| {
                let n = view.actions().filter(|a| a.year() == year).count();
                u32::try_from(n).unwrap_or(u32::MAX)
            })
        }))
    }
}

/// The ids a resolver puts in a command for the service to replace.
pub fn placeholder_payment_id() -> PaymentId {
    PaymentId::parse("pending").unwrap_or_else(|_| unreachable!("a valid id"))
}

pub fn placeholder_grant_id() -> GrantId {
    GrantId::parse("pending").unwrap_or_else(|_| unreachable!("a valid id"))
}

/// The reference of a proposal that did not give one.
pub fn placeholder_reference() -> domain::values::Title {
    domain::values::Title::parse("référence", "\u{2014}").unwrap_or_else(|_| unreachable!())
}

fn version_failures(
    states: &BTreeMap<ActionId, ActionState>,
    expected_versions: &BTreeMap<ActionId, u64>,
) -> Vec<DecisionFailure> {
    expected_versions
        .iter()
        .filter_map(|(action, expected)| {
            let current = states.get(action).map_or(0, |s| s.version);
            (current != *expected).then(|| DecisionFailure {
                action: action.clone(),
                error: FailureReason::Conflict {
                    expected: *expected,
                    current,
                },
            })
        })
        .collect()
}

/// The command's own target, to name it when it does not exist.
struct Target {
    kind: StreamKind,
    missing: Missing,
}

impl Target {
    fn name(&self, error: DomainError) -> DomainError {
        match error {
            DomainError::NotFound(Missing::Target(kind)) if kind == self.kind => {
                DomainError::NotFound(self.missing.clone())
            }
            other => other,
        }
    }
}

/// What the service needs to know of a kind of stream beyond `Decider`.
trait StreamDecider: Decider<State: Send + Sync, Command: Send + Sync, Event: Send + Sync> {
    fn wrap(event: Self::Event) -> DomainEvent;
    fn unwrap(event: DomainEvent) -> Option<Self::Event>;
    fn needs(command: &Self::Command) -> Needs;
    /// The row of DOMAIN.md's table of permissions.
    fn kind(command: &Self::Command) -> CommandKind;
    /// The partner holding the action the command is about, for a porteur's permission.
    fn holder(_state: &Self::State, _command: &Self::Command) -> Option<PartnerId> {
        None
    }

    /// The folded stream (state, version) as the issuer may know it. Default: as it is.
    fn as_seen_by(
        _actor: &Actor,
        _command: &Self::Command,
        folded: (Self::State, u64),
    ) -> (Self::State, u64) {
        folded
    }

    /// Replaces the placeholder ids the service gives (see [`CommandService::action`]).
    async fn fill_ids(
        _command: &mut Self::Command,
        _state: &Self::State,
        _service: &CommandService,
        _programme: &ProgrammeId,
    ) -> Result<(), CommandError> {
        Ok(())
    }
}

impl StreamDecider for ProgrammeDecider {
    fn wrap(event: ProgrammeEvent) -> DomainEvent {
        DomainEvent::Programme(event)
    }
    fn unwrap(event: DomainEvent) -> Option<ProgrammeEvent> {
        match event {
            DomainEvent::Programme(e) => Some(e),
            _ => None,
        }
    }
    fn needs(command: &ProgrammeCommand) -> Needs {
        command.needs()
    }
    fn kind(command: &ProgrammeCommand) -> CommandKind {
        command.kind()
    }
}

impl StreamDecider for PartnerDecider {
    fn wrap(event: PartnerEvent) -> DomainEvent {
        DomainEvent::Partner(event)
    }
    fn unwrap(event: DomainEvent) -> Option<PartnerEvent> {
        match event {
            DomainEvent::Partner(e) => Some(e),
            _ => None,
        }
    }
    fn needs(command: &PartnerCommand) -> Needs {
        command.needs()
    }
    fn kind(command: &PartnerCommand) -> CommandKind {
        command.kind()
    }
}

impl StreamDecider for SessionDecider {
    fn wrap(event: SessionEvent) -> DomainEvent {
        DomainEvent::Session(event)
    }
    fn unwrap(event: DomainEvent) -> Option<SessionEvent> {
        match event {
            DomainEvent::Session(e) => Some(e),
            _ => None,
        }
    }
    fn needs(command: &SessionCommand) -> Needs {
        command.needs()
    }
    fn kind(command: &SessionCommand) -> CommandKind {
        command.kind()
    }
}

impl StreamDecider for ActionDecider {
    fn wrap(event: ActionEvent) -> DomainEvent {
        DomainEvent::Action(event)
    }
    fn unwrap(event: DomainEvent) -> Option<ActionEvent> {
        match event {
            DomainEvent::Action(e) => Some(e),
            _ => None,
        }
    }
    fn needs(command: &ActionCommand) -> Needs {
        command.needs()
    }
    fn kind(command: &ActionCommand) -> CommandKind {
        command.kind()
    }
    /// An action the issuer may not read (another partner's action not yet retained, for a
    /// PORTEUR or an OBSERVER) is, to it, an action that does not exist (DOMAIN.md, reading
    /// rules): every answer it gets (NOT_FOUND, FORBIDDEN for its role, CONFLICT with version
    /// 0) is the one an unknown id gets, and names no holder. A proposal still sees the stream:
    /// its id is taken either way.
    fn as_seen_by(
        actor: &Actor,
        command: &ActionCommand,
        folded: (ActionState, u64),
    ) -> (ActionState, u64) {
        let hidden = !matches!(command, ActionCommand::ProposeAction(_))
            && folded.0.action.as_ref().is_some_and(|action| {
                visibility::action_access(actor, action) == ActionAccess::Hidden
            });
        if hidden {
            (ActionState::default(), 0)
        } else {
            folded
        }
    }

    fn holder(state: &ActionState, command: &ActionCommand) -> Option<PartnerId> {
        match (command, state.action.as_ref()) {
            (ActionCommand::ProposeAction(proposal), _) => Some(proposal.holder.clone()),
            (_, Some(action)) => Some(action.holder.clone()),
            (_, None) => None,
        }
    }

    async fn fill_ids(
        command: &mut ActionCommand,
        state: &ActionState,
        service: &CommandService,
        programme: &ProgrammeId,
    ) -> Result<(), CommandError> {
        let Some(action) = state.action.as_ref() else {
            if let ActionCommand::ProposeAction(proposal) = command
                && proposal.reference == placeholder_reference()
            {
                let n = service.actions_of_year(programme, proposal.year).await?;
                // Skip a custom reference that looks like a generated one (rule 18).
                let used: BTreeSet<String> = service
                    .used_references(programme)
                    .await?
                    .iter()
                    .map(|r| comparison_key(r))
                    .collect();
                proposal.reference =
                    next_reference(proposal.year, n, |r| used.contains(&comparison_key(r)));
            }
            return Ok(());
        };
        match command {
            ActionCommand::RecordPayment { payment, .. } => {
                *payment = PaymentId::parse(&format!("v{}", action.payments.len() + 1))
                    .unwrap_or_else(|_| unreachable!("v and a number make a valid id"));
            }
            ActionCommand::AwardGrant { grant, .. } => {
                *grant = GrantId::parse(&format!("g{}", action.grants.len() + 1))
                    .unwrap_or_else(|_| unreachable!("g and a number make a valid id"));
            }
            _ => {}
        }
        Ok(())
    }
}
