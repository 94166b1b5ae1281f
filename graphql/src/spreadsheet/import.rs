//! The import: every fact of a workbook through the command service, in effective-date order,
//! each under the command id its natural key gives.
//!
//! All or nothing: the facts are first run against a copy of the register (the whole log,
//! exported and imported into a temporary store, with its own read models and command
//! service). Only when none is refused are they run again on the register itself. Between the
//! two runs, only a write by someone else can make a fact refused; the rows before it stay
//! written, and importing the file again, once corrected, writes only the rest (each row is
//! written once, under its own command id).

use super::CellError;
use super::facts::{Fact, Known, Step, plan};
use super::read::Workbook;
use crate::commands::{CommandError, CommandMeta, CommandService, Issuer, Outcome, fingerprint};
use crate::metrics::Metrics;
use chrono::NaiveDate;
use domain::action::{ActionCommand, ActionDecider, RecordCopilDecisions};
use domain::actor::Actor;
use domain::decider::Command;
use domain::partner::PartnerDecider;
use domain::permissions::{CommandKind, permitted};
use domain::programme::ProgrammeDecider;
use domain::session::SessionDecider;
use domain::values::{ActionId, ProgrammeId, Role, SessionId};
use eventlog::EventLog;
use projections::runner::{Projector, ProjectorOptions};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

/// Who imports.
#[derive(Debug, Clone)]
pub enum Importer {
    /// The CLI: every row with the rights of the role DOMAIN.md's table gives its command,
    /// under this operator's actor id ([`crate::actors::ActorNames::operator`]).
    Admin { operator: String },
    /// A person signed in on the page: their own permissions, row by row.
    Person(Issuer),
}

#[derive(Debug, Clone)]
pub struct ImportOptions {
    pub programme: ProgrammeId,
    pub dry_run: bool,
    pub importer: Importer,
}

/// Per sheet: rows that would be (or were) written, already imported, refused.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SheetCount {
    pub sheet: String,
    pub new: usize,
    pub already: usize,
    pub refused: usize,
}

/// A row refused, where it is and why, in French.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RowRefusal {
    pub sheet: String,
    pub row: Option<usize>,
    pub column: Option<String>,
    pub message: String,
    /// The rule's code (`payment_exceeds_granted`) when a rule refused it.
    pub rule: Option<String>,
}

impl std::fmt::Display for RowRefusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        CellError {
            sheet: self.sheet.clone(),
            row: self.row,
            column: self.column.clone(),
            message: self.message.clone(),
        }
        .fmt(f)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ImportReport {
    pub dry_run: bool,
    /// True when the register was written (no refusal, not a dry run).
    pub written: bool,
    pub sheets: Vec<SheetCount>,
    pub refusals: Vec<RowRefusal>,
    /// The register's head after the import.
    pub position: u64,
}

impl ImportReport {
    pub fn new_rows(&self) -> usize {
        self.sheets.iter().map(|s| s.new).sum()
    }
}

fn refusal(e: CellError) -> RowRefusal {
    RowRefusal {
        sheet: e.sheet,
        row: e.row,
        column: e.column,
        message: e.message,
        rule: None,
    }
}

/// What the register already holds that a file may name.
struct Snapshot {
    references: HashMap<String, ActionId>,
    sessions: HashMap<SessionId, NaiveDate>,
    programme_exists: bool,
}

impl Known for Snapshot {
    fn action_of_reference(&self, reference: &str) -> Option<ActionId> {
        self.references.get(reference).cloned()
    }
    fn session_date(&self, session: &SessionId) -> Option<NaiveDate> {
        self.sessions.get(session).copied()
    }
}

fn snapshot(projector: &Projector, programme: &ProgrammeId) -> Snapshot {
    projector.read(|model| match model.programme(programme) {
        None => Snapshot {
            references: HashMap::new(),
            sessions: HashMap::new(),
            programme_exists: false,
        },
        Some(view) => Snapshot {
            references: view
                .actions()
                .filter_map(|a| Some((a.reference().to_owned(), ActionId::parse(a.id()).ok()?)))
                .collect(),
            sessions: view
                .sessions
                .iter()
                .filter_map(|(id, s)| Some((id.clone(), s.session.as_ref()?.date)))
                .collect(),
            programme_exists: view.programme.programme.is_some(),
        },
    })
}

/// Imports `workbook` into `programme` through `service` (see the module's documentation).
pub async fn import_workbook(
    service: &CommandService,
    workbook: &Workbook,
    options: &ImportOptions,
) -> Result<ImportReport, String> {
    let known = snapshot(service.projector(), &options.programme);
    let today = service.clock().today();
    let facts = match plan(workbook, &known, today) {
        Ok(facts) => facts,
        Err(errors) => {
            return Ok(ImportReport {
                dry_run: options.dry_run,
                written: false,
                sheets: Vec::new(),
                refusals: errors.into_iter().map(refusal).collect(),
                position: service.log().head().position,
            });
        }
    };
    let establishes = facts.iter().find_map(|f| match &f.step {
        Step::Programme(c) => match &c.command {
            domain::programme::ProgrammeCommand::EstablishProgramme { programme, .. } => {
                Some((f, programme.clone()))
            }
            _ => None,
        },
        _ => None,
    });
    if let Some((f, id)) = &establishes
        && id != &options.programme
    {
        return Ok(refused_file(
            options,
            service,
            RowRefusal {
                sheet: f.sheet.to_owned(),
                row: Some(f.line),
                column: Some("Identifiant".to_owned()),
                message: format!(
                    "ce classeur établit le programme « {id} », pas « {} »",
                    options.programme
                ),
                rule: None,
            },
        ));
    }
    if !known.programme_exists && establishes.is_none() {
        return Ok(refused_file(
            options,
            service,
            RowRefusal {
                sheet: "Paramètres".to_owned(),
                row: None,
                column: None,
                message: format!(
                    "le programme « {} » n'existe pas encore : la feuille « Paramètres » doit l'établir (une ligne « Programme »)",
                    options.programme
                ),
                rule: None,
            },
        ));
    }
    // The rehearsal, on a copy of the register.
    let copy = Rehearsal::of(service).await?;
    let rehearsed = run_all(&copy.service, &facts, options).await;
    copy.close().await;
    if options.dry_run || !rehearsed.refusals.is_empty() {
        return Ok(ImportReport {
            dry_run: options.dry_run,
            written: false,
            position: service.log().head().position,
            ..rehearsed
        });
    }
    let mut report = run_all(service, &facts, options).await;
    report.written = report.refusals.is_empty();
    report.position = service.log().head().position;
    Ok(report)
}

fn refused_file(options: &ImportOptions, service: &CommandService, r: RowRefusal) -> ImportReport {
    ImportReport {
        dry_run: options.dry_run,
        written: false,
        sheets: Vec::new(),
        refusals: vec![r],
        position: service.log().head().position,
    }
}

/// A temporary copy of the register with its own read models and command service.
struct Rehearsal {
    service: CommandService,
    projector: Projector,
    _dir: tempfile::TempDir,
}

impl Rehearsal {
    async fn of(service: &CommandService) -> Result<Rehearsal, String> {
        let log = service.log().clone();
        let original = service.clone();
        let clock = service.clock().clone();
        tokio::task::spawn_blocking(move || {
            let failed = |e: &dyn std::fmt::Display| {
                format!("la répétition de l'import n'a pas pu copier le registre ({e})")
            };
            let mut ndjson = Vec::new();
            log.export_ndjson(&mut ndjson).map_err(|e| failed(&e))?;
            let dir = tempfile::tempdir().map_err(|e| failed(&e))?;
            // A copy thrown away after the rehearsal: no flush to disk after each row.
            let options = eventlog::Options {
                durability: eventlog::Durability::Buffered,
                ..eventlog::Options::default()
            };
            let copy = EventLog::open(dir.path(), options).map_err(|e| failed(&e))?;
            copy.import_ndjson(
                std::io::Cursor::new(ndjson),
                &eventlog::ImportOptions::default(),
            )
            .map_err(|e| failed(&e))?;
            let projector =
                Projector::start(&copy, ProjectorOptions::default()).map_err(|e| failed(&e))?;
            let service =
                CommandService::new(copy, projector.clone(), clock, Arc::new(Metrics::new()))
                    .sharing_fingerprint_key(&original);
            Ok(Rehearsal {
                service,
                projector,
                _dir: dir,
            })
        })
        .await
        .map_err(|e| format!("la répétition de l'import a échoué ({e})"))?
    }

    async fn close(self) {
        let _ = self.projector.shutdown_async().await;
    }
}

/// The role that gives `kind` for an ADMIN import: the first of the table that may.
fn acting_role(kind: CommandKind) -> Role {
    [Role::Admin, Role::Pilot, Role::Coordinator, Role::Evaluator]
        .into_iter()
        .find(|r| permitted(*r, kind))
        .unwrap_or(Role::Admin)
}

fn kind_of(step: &Step) -> CommandKind {
    match step {
        Step::Programme(c) => c.command.kind(),
        Step::Partner(_, c) => c.command.kind(),
        Step::Session(_, c) => c.command.kind(),
        Step::Action(_, c) => c.command.kind(),
        Step::Decision(..) => CommandKind::RecordCopilDecisions,
        Step::CancelPayment { .. } => CommandKind::CancelPayment,
        Step::AmendGrant { .. } => CommandKind::AmendGrant,
    }
}

async fn run_all(
    service: &CommandService,
    facts: &[Fact],
    options: &ImportOptions,
) -> ImportReport {
    let mut counts: BTreeMap<&'static str, SheetCount> = BTreeMap::new();
    let mut refusals = Vec::new();
    for fact in facts {
        let count = counts.entry(fact.sheet).or_insert_with(|| SheetCount {
            sheet: fact.sheet.to_owned(),
            ..SheetCount::default()
        });
        match run_one(service, fact, options).await {
            Ok(outcome) if outcome.replayed => count.already += 1,
            Ok(_) => count.new += 1,
            Err(e) => {
                count.refused += 1;
                refusals.push(explain(fact, e));
            }
        }
    }
    let mut sheets: Vec<SheetCount> = counts.into_values().collect();
    sheets.sort_by_key(|s| super::SHEETS.iter().position(|x| x.name == s.sheet));
    ImportReport {
        dry_run: options.dry_run,
        written: false,
        sheets,
        refusals,
        position: 0,
    }
}

async fn run_one(
    service: &CommandService,
    fact: &Fact,
    options: &ImportOptions,
) -> Result<Outcome, CommandError> {
    let programme = &options.programme;
    let issuer = match &options.importer {
        Importer::Person(issuer) => issuer.clone(),
        Importer::Admin { operator } => {
            let role = acting_role(kind_of(&fact.step));
            Issuer {
                actor: if role == Role::Admin {
                    Actor::admin()
                } else {
                    Actor::of(role, programme.clone())
                },
                id: operator.clone(),
            }
        }
    };
    let id = format!("tableur:{}", fact.key);
    let command_id = if id.len() <= 200 {
        id
    } else {
        format!("tableur:{}", hex::encode(fingerprint("clé", &fact.key)))
    };
    let meta = CommandMeta {
        command_id: Some(command_id),
        fingerprint: fingerprint("tableur", &format!("{:?}", fact.step)),
        expected_version: None,
    };
    match &fact.step {
        Step::Programme(c) => {
            service
                .run::<ProgrammeDecider>(&issuer, programme, &(), c.clone(), &meta)
                .await
        }
        Step::Partner(id, c) => {
            service
                .run::<PartnerDecider>(&issuer, programme, id, c.clone(), &meta)
                .await
        }
        Step::Session(id, c) => {
            service
                .run::<SessionDecider>(&issuer, programme, id, c.clone(), &meta)
                .await
        }
        Step::Action(id, c) => {
            service
                .run::<ActionDecider>(&issuer, programme, id, c.clone(), &meta)
                .await
        }
        Step::Decision(session, decision) => {
            let command = Command::new(RecordCopilDecisions {
                session: session.clone(),
                decisions: vec![decision.clone()],
            });
            service
                .copil_decisions(&issuer, programme, command, &BTreeMap::new(), &meta)
                .await
        }
        Step::AmendGrant {
            action,
            funder,
            year,
            amount,
            reference,
            reason,
            effective_on,
        } => {
            let state = service.state_of::<ActionDecider>(programme, action)?;
            let grant = state
                .action
                .as_ref()
                .and_then(|a| {
                    a.grants
                        .iter()
                        .find(|g| &g.funder == funder && g.year == *year)
                })
                .map(|g| g.id.clone())
                .unwrap_or_else(domain::action::placeholder_grant_id);
            let command = Command {
                command: ActionCommand::AmendGrant {
                    grant,
                    amount: *amount,
                    reference: reference.clone(),
                    reason: reason.clone(),
                },
                effective_on: *effective_on,
            };
            service
                .run::<ActionDecider>(&issuer, programme, action, command, &meta)
                .await
        }
        Step::CancelPayment {
            action,
            funder,
            amount,
            kind,
            paid_on,
            reason,
            effective_on,
        } => {
            let state = service.state_of::<ActionDecider>(programme, action)?;
            let same = |p: &&domain::action::PaymentRecord| {
                &p.funder == funder
                    && p.amount == *amount
                    && p.kind == *kind
                    && p.paid_on == *paid_on
            };
            let payments = state
                .action
                .as_ref()
                .map(|a| a.payments.as_slice())
                .unwrap_or_default();
            let payment = payments
                .iter()
                .filter(same)
                .find(|p| !p.cancelled)
                .or_else(|| payments.iter().find(same))
                .map(|p| p.id.clone())
                .unwrap_or_else(domain::action::placeholder_payment_id);
            let command = Command {
                command: ActionCommand::CancelPayment {
                    payment,
                    reason: reason.clone(),
                },
                effective_on: *effective_on,
            };
            service
                .run::<ActionDecider>(&issuer, programme, action, command, &meta)
                .await
        }
    }
}

/// The French reason a fact was refused, with the column it most likely concerns.
fn explain(fact: &Fact, e: CommandError) -> RowRefusal {
    let (message, rule) = match &e {
        CommandError::Domain(d) => (d.to_string(), Some(d.rule_code().to_owned())),
        CommandError::Decisions(failures) => match failures.first() {
            Some(f) => match &f.error {
                crate::commands::FailureReason::Domain(d) => (d.to_string(), Some(d.rule_code().to_owned())),
                crate::commands::FailureReason::Conflict { .. } => (e.to_string(), None),
            },
            None => (e.to_string(), None),
        },
        CommandError::CommandIdReused(_) => (
            "cette ligne a déjà été importée avec un autre contenu : ne la modifiez pas, corrigez le registre par une correction (annulation de versement, avenant, révision de décision, bilan corrigé…)".to_owned(),
            Some("already_imported_differently".to_owned()),
        ),
        other => (other.to_string(), None),
    };
    RowRefusal {
        sheet: fact.sheet.to_owned(),
        row: Some(fact.line),
        column: rule
            .as_deref()
            .and_then(|r| column_of(fact.sheet, r))
            .map(str::to_owned),
        message,
        rule,
    }
}

/// The column a rule's refusal points at, in each sheet.
fn column_of(sheet: &str, rule: &str) -> Option<&'static str> {
    Some(match (sheet, rule) {
        (_, "effective_date_invalid" | "dates_out_of_range") => match sheet {
            "Actions" => "Proposée le",
            "Versements" => "Versé le",
            "Attributions" => "Signé le",
            "Mesures" => "Mesuré le",
            "Évaluations" => "Évaluée le",
            "Bilans" => "Déposé le",
            "Avis" | "Décisions" => "Séance",
            _ => "Effet le",
        },
        ("Versements", "payment_exceeds_granted" | "zero_amount" | "payment_before_grant") => {
            "Montant"
        }
        ("Attributions", "grant_exceeds_retained" | "grant_exceeds_envelope" | "zero_amount") => {
            "Montant"
        }
        ("Attributions", "convention_required") => "Acte",
        ("Décisions", "retained_exceeds_requested" | "amounts_without_retention") => {
            "Montant retenu"
        }
        ("Avis", "proposed_exceeds_requested") => "Montant proposé",
        ("Reversements", "repayment_exceeds_paid" | "repayment_exceeds_requested") => "Montant",
        ("Actions", "requested_exceeds_cost") => "Coût total",
        ("Actions", "reference_already_used") => "Référence",
        ("Actions", "period_invalid") => "Fin",
        ("Avis" | "Décisions", "session_invalid") => "Séance",
        (_, "not_found") => "Référence",
        (_, "lifecycle") => "Référence",
        _ => return None,
    })
}
