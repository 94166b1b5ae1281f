//! The command service: the only write path of Chronique.
//!
//! A mutation's resolver turns its input into a domain command and hands it here, with the
//! viewer and the command's options. The service then, for the programme the command belongs
//! to (ARCHITECTURE.md, "The command service"):
//!
//! 1. consults the command-id index *before deciding*: a command id already recorded with the
//!    same fingerprint returns the positions it produced and writes nothing (so a retried
//!    `recordPayment` returns its first result instead of breaking rule 7); with another
//!    fingerprint it is `VALIDATION`. The fingerprint recorded (and exported) is keyed with a
//!    secret of the store that is never exported (HMAC-SHA-256), so that it cannot confirm a
//!    guess of an erased text;
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
use domain::action::{self, ActionDecider, ActionState, RecordCopilDecisions};
use domain::actor::Actor;
use domain::context::{Context, FactSource, Needs, PartnerFacts, RenewalFacts, SessionFacts};
use domain::decider::{Command, Decided, Decider};
use domain::error::{DomainError, Missing};
use domain::events::{Dated, DomainEvent};
use domain::partner::PartnerDecider;
use domain::permissions::{self, CommandKind};
use domain::programme::{Programme, ProgrammeDecider};
use domain::session::SessionDecider;
use domain::streams::{action_stream, partner_stream, programme_stream, session_stream};
use domain::values::{ActionId, FunderId, Money, PartnerId, ProgrammeId, SessionId, Year};
use eventlog::{AppendRequest, CommandKey, EventLog, ExpectedVersion, NewEvent, StreamAppend};
use projections::recorded::RecordedEvent;
use projections::registry;
use projections::runner::Projector;
use sha2::{Digest, Sha256};
use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
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

/// Who gives the command: the domain's actor, and the actor id the log records with the
/// role (names live outside the log: [`crate::actors`]).
#[derive(Debug, Clone)]
pub struct Issuer {
    /// `person:…`, `token:…`, `operator:…`.
    pub id: String,
    pub actor: Actor,
}

/// What a command wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// The last position the command wrote (or wrote the first time, for a replay).
    pub position: u64,
    /// Rule codes accepted with a warning (`request_above_cap`).
    pub warnings: Vec<String>,
    /// The same warnings, each as a French sentence with its figures, in the same order.
    pub warning_messages: Vec<String>,
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
    /// The store's secret the recorded fingerprints are keyed with ([`fingerprint_key`]).
    fingerprint_key: Arc<[u8; 32]>,
}

/// The tree and key of the store's secret for command fingerprints: in the key-value area,
/// which is never exported.
const SECRETS_TREE: &str = "secrets";
const FINGERPRINT_KEY: &[u8] = b"command-fingerprint-key";

/// The store's secret for command fingerprints, made (32 random bytes) the first time.
pub fn fingerprint_key(log: &EventLog) -> Result<[u8; 32], eventlog::Error> {
    let tree = log.kv_tree(SECRETS_TREE)?;
    if let Some(key) = tree
        .get(FINGERPRINT_KEY)?
        .and_then(|k| <[u8; 32]>::try_from(k).ok())
    {
        return Ok(key);
    }
    let mut key = [0u8; 32];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut key);
    tree.insert(FINGERPRINT_KEY, key)?;
    tree.flush()?;
    Ok(key)
}

/// What the command index records of `fingerprint`: keyed with the store's secret.
fn keyed(key: &[u8; 32], fingerprint: &[u8; 32]) -> [u8; 32] {
    use hmac::Mac;
    let mut mac =
        hmac::Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes a key of any length");
    mac.update(fingerprint);
    mac.finalize().into_bytes().into()
}

impl CommandService {
    pub fn new(
        log: EventLog,
        projector: Projector,
        clock: Clock,
        metrics: Arc<Metrics>,
    ) -> CommandService {
        // A store whose key-value area cannot be written fails its first command anyway; the
        // fingerprints are then keyed with a key of this process only.
        let fingerprint_key = fingerprint_key(&log).unwrap_or_else(|error| {
            tracing::error!(%error, "the store's fingerprint key cannot be read or made");
            let mut key = [0u8; 32];
            rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut key);
            key
        });
        CommandService {
            log,
            projector,
            clock,
            metrics,
            locks: Default::default(),
            fingerprint_key: Arc::new(fingerprint_key),
        }
    }

    /// This service keying its command fingerprints as `other` does: a rehearsal on a copy of
    /// the register (whose key-value area, with the store's secret, is not copied) recognises
    /// the commands already recorded.
    pub fn sharing_fingerprint_key(mut self, other: &CommandService) -> CommandService {
        self.fingerprint_key = other.fingerprint_key.clone();
        self
    }

    /// The log this service writes.
    pub fn log(&self) -> &EventLog {
        &self.log
    }

    /// The clock that says what « today » is.
    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    /// The read models this service waits for.
    pub fn projector(&self) -> &Projector {
        &self.projector
    }

    fn lock_of(&self, programme: &ProgrammeId) -> Arc<tokio::sync::Mutex<()>> {
        self.locks
            .lock()
            .entry(programme.clone())
            .or_default()
            .clone()
    }

    /// A command on the stream of kind `D` named `id` in `programme`: the one path of every
    /// command but `recordCopilDecisions`.
    ///
    /// The ids the service gives are filled in by [`Decider::assign_ids`]: a `RecordPayment` or
    /// `AwardGrant` may carry any placeholder id ([`action::placeholder_payment_id`],
    /// [`action::placeholder_grant_id`]), and a proposal whose reference is
    /// [`action::placeholder_reference`] gets the next `{year}-{n:03}` of its programme.
    pub async fn run<D: Decider>(
        &self,
        issuer: &Issuer,
        programme: &ProgrammeId,
        id: &D::Id,
        command: Command<D::Command>,
        meta: &CommandMeta,
    ) -> Result<Outcome, CommandError> {
        let target = D::stream(programme, id);
        let stream = target.stream_id();
        // The stream as the issuer may know it: one it may not read does not exist, to it.
        let seen = || -> Result<(D::State, u64), CommandError> {
            let (state, version) = self.fold::<D>(&stream)?;
            Ok(if D::hidden_from(&issuer.actor, &state, &command.command) {
                (D::State::default(), 0)
            } else {
                (state, version)
            })
        };
        let authorize = || -> Result<(), CommandError> {
            let (state, _) = seen()?;
            let holder = D::holder(&state, &command.command);
            Ok(permissions::authorize(
                &issuer.actor,
                D::command_kind(&command.command),
                programme,
                holder.as_ref(),
            )?)
        };
        let (seen, stream, target, command) = (&seen, &stream, &target, &command);
        let attempt = || async move {
            let (state, version) = seen()?;
            if let Some(expected) = meta.expected_version
                && expected != version
            {
                return Err(CommandError::Conflict {
                    stream: stream.clone(),
                    expected,
                    current: version,
                });
            }
            let context = self
                .gather(issuer, programme, &D::needs(&state, &command.command))
                .await?;
            let mut command = command.clone();
            D::assign_ids(&mut command.command, &state, &context);
            let decided = D::decide(&state, &command, &context).map_err(|e| match e {
                DomainError::NotFound(Missing::Target(kind)) if kind == target.kind() => {
                    DomainError::NotFound(target.missing())
                }
                other => other,
            })?;
            Ok(Attempt {
                warnings: Warned::of(&decided),
                streams: vec![self.stream_append(stream.clone(), version, &decided, issuer)],
            })
        };
        self.decide_and_append(programme, meta, authorize, attempt)
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
        let authorize = || -> Result<(), CommandError> {
            Ok(permissions::authorize(
                &issuer.actor,
                CommandKind::RecordCopilDecisions,
                programme,
                None,
            )?)
        };
        let command = &command;
        let attempt = || async move {
            let mut states = BTreeMap::new();
            for decision in &command.command.decisions {
                let stream = action_stream(programme, &decision.action);
                let (state, _) = self.fold::<ActionDecider>(&stream)?;
                states.insert(decision.action.clone(), state);
            }
            let context = self
                .gather(issuer, programme, &command.command.needs())
                .await?;
            let decided = match action::decide_copil_decisions(&states, command, &context) {
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
                    )
                })
                .collect();
            let warnings = decided.iter().flat_map(|(_, d)| Warned::of(d)).collect();
            Ok(Attempt { streams, warnings })
        };
        self.decide_and_append(programme, meta, authorize, attempt)
            .await
    }

    /// The shape every command shares. A command id already recorded answers with its first
    /// result (once `authorize` lets the issuer give the command: the permission `decide` would
    /// have checked). Otherwise: take the programme's lock; answer again if a concurrent sending
    /// of the same command was recorded while this one waited; then `attempt` decides on the
    /// state as it is, its streams are appended, and on a conflict (only reachable if something
    /// outside this service wrote to a stream) it decides again, unless the client pinned a
    /// version.
    async fn decide_and_append<F>(
        &self,
        programme: &ProgrammeId,
        meta: &CommandMeta,
        authorize: impl Fn() -> Result<(), CommandError>,
        attempt: impl Fn() -> F,
    ) -> Result<Outcome, CommandError>
    where
        F: Future<Output = Result<Attempt, CommandError>>,
    {
        let command_key = self.command_key(programme, meta);
        if let Some(outcome) = self.replay(&command_key, &authorize).await? {
            return Ok(outcome);
        }
        let lock = self.lock_of(programme);
        let _guard = lock.lock().await;
        if let Some(outcome) = self.replay(&command_key, &authorize).await? {
            return Ok(outcome);
        }
        for _attempt in 0..=CONFLICT_RETRIES {
            let Attempt { streams, warnings } = attempt().await?;
            match self
                .append(AppendRequest {
                    streams,
                    command: command_key.clone(),
                })
                .await
            {
                Ok(outcome) => return self.visible(outcome, warnings).await,
                Err(eventlog::Error::Conflict {
                    stream,
                    expected,
                    actual,
                }) if meta.expected_version.is_some() => {
                    return Err(CommandError::Conflict {
                        stream,
                        expected: match expected {
                            ExpectedVersion::Exact(v) => v,
                            _ => 0,
                        },
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
            fingerprint: keyed(&self.fingerprint_key, &meta.fingerprint),
        })
    }

    /// A command id already recorded: its first result, or `CommandIdReused`; either only
    /// once `authorize` has let the issuer give the command.
    async fn replay(
        &self,
        key: &Option<CommandKey>,
        authorize: impl Fn() -> Result<(), CommandError>,
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
            warning_messages: Vec::new(),
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
        warnings: Vec<Warned>,
    ) -> Result<Outcome, CommandError> {
        self.projector
            .wait_for(outcome.last_position, READ_YOUR_WRITES_TIMEOUT)
            .await
            .map_err(CommandError::NotVisible)?;
        Ok(Outcome {
            position: outcome.last_position,
            warnings: warnings.iter().map(|w| w.code.clone()).collect(),
            warning_messages: warnings.into_iter().map(|w| w.message).collect(),
            replayed: outcome.replayed,
        })
    }

    fn stream_append<E: Clone + Into<DomainEvent>>(
        &self,
        stream_id: String,
        version: u64,
        decided: &Decided<E>,
        issuer: &Issuer,
    ) -> StreamAppend {
        let events = decided
            .events
            .iter()
            .map(|event| {
                let encoded = registry::encode_erasable(&event.clone().into());
                NewEvent::new(
                    encoded.event_type,
                    encoded.schema_version,
                    decided.effective_on,
                    issuer.id.clone(),
                    encoded.payload,
                )
                .with_role(issuer.actor.role.code())
                .with_texts(encoded.texts)
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

    /// The stream of kind `D` named `id` in `programme`, folded from the log as it is now:
    /// what `decide` would see (what the page may offer is computed from it).
    pub fn state_of<D: Decider>(
        &self,
        programme: &ProgrammeId,
        id: &D::Id,
    ) -> Result<D::State, CommandError> {
        Ok(self.fold::<D>(&D::stream(programme, id).stream_id())?.0)
    }

    /// Folds a stream from the log: its state and version.
    fn fold<D: Decider>(&self, stream: &str) -> Result<(D::State, u64), CommandError> {
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

    /// The facts of other streams a command needs (domain::context explains each), read from
    /// the log and, once it has caught up with every event appended so far, the read model.
    async fn gather(
        &self,
        issuer: &Issuer,
        programme: &ProgrammeId,
        needs: &Needs,
    ) -> Result<Context, CommandError> {
        if needs.envelope.is_some()
            || needs.references
            || needs.partner_grants.is_some()
            || needs.renewal.is_some()
        {
            // Under the programme's lock, that includes every event of the programme.
            self.projector
                .wait_for(self.log.head().position, READ_YOUR_WRITES_TIMEOUT)
                .await
                .map_err(CommandError::NotVisible)?;
        }
        let source = LogFacts {
            service: self,
            programme,
        };
        Context::gather(
            issuer.actor.clone(),
            self.clock.today(),
            programme.clone(),
            needs,
            &source,
        )
    }
}

/// The facts of other streams as the log and the read model hold them.
struct LogFacts<'a> {
    service: &'a CommandService,
    programme: &'a ProgrammeId,
}

impl FactSource for LogFacts<'_> {
    type Error = CommandError;

    fn programme(&self) -> Result<Option<Cow<'_, Programme>>, CommandError> {
        let (state, _) = self
            .service
            .fold::<ProgrammeDecider>(&programme_stream(self.programme))?;
        Ok(state.programme.map(Cow::Owned))
    }

    fn session(&self, id: &SessionId) -> Result<Option<SessionFacts>, CommandError> {
        let (state, _) = self
            .service
            .fold::<SessionDecider>(&session_stream(self.programme, id))?;
        Ok(state.session.as_ref().map(SessionFacts::from))
    }

    fn partner(&self, id: &PartnerId) -> Result<Option<PartnerFacts>, CommandError> {
        let (state, _) = self
            .service
            .fold::<PartnerDecider>(&partner_stream(self.programme, id))?;
        Ok(state.partner.as_ref().map(PartnerFacts::from))
    }

    fn granted(&self, funder: &FunderId, year: Year) -> Result<Money, CommandError> {
        Ok(self.service.projector.read(|model| {
            model.programme(self.programme).map_or(Money::ZERO, |view| {
                projections::query::granted_in_year(view, funder, year)
            })
        }))
    }

    fn renewal(&self, id: &ActionId) -> Result<Option<RenewalFacts>, CommandError> {
        Ok(self.service.projector.read(|model| {
            model
                .programme(self.programme)
                .and_then(|view| projections::query::renewal_facts(view, id))
        }))
    }

    fn granted_to(
        &self,
        partner: &PartnerId,
        funder: &FunderId,
        year: Year,
    ) -> Result<Money, CommandError> {
        Ok(self.service.projector.read(|model| {
            model.programme(self.programme).map_or(Money::ZERO, |view| {
                projections::query::granted_to_partner(view, partner, funder, year)
            })
        }))
    }

    fn references(&self) -> Result<Vec<(String, Year)>, CommandError> {
        Ok(self.service.projector.read(|model| {
            model
                .programme(self.programme)
                .map_or_else(Vec::new, |view| {
                    view.actions()
                        .map(|a| (a.reference().to_owned(), a.year()))
                        .collect()
                })
        }))
    }
}

/// A rule accepted with a warning: its code, and its French sentence.
struct Warned {
    code: String,
    message: String,
}

impl Warned {
    /// The warnings of `decided`.
    fn of<E>(decided: &Decided<E>) -> Vec<Warned> {
        decided
            .warnings
            .iter()
            .map(|w| Warned {
                code: w.code().to_owned(),
                message: w.to_string(),
            })
            .collect()
    }
}

/// What one attempt of a command decided: the streams to append, the warnings to answer.
struct Attempt {
    streams: Vec<StreamAppend>,
    warnings: Vec<Warned>,
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
