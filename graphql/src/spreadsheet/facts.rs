//! Each row of the workbook and the fact of the register it stands for, both ways: a row read
//! becomes the command a person would have given ([`plan`]); a recorded event becomes the row
//! that gives it again ([`Rows::add`]). Keeping both directions of a sheet side by side keeps
//! its columns in one place.

use super::read::{RowData, Typed, Workbook, typed};
use super::{CANCEL_ORDER, CellError, ORDER, SheetSpec, sheet};
use chrono::NaiveDate;
use domain::action::{ActionCommand, CopilDecision, placeholder_grant_id, placeholder_payment_id};
use domain::decider::Command;
use domain::events::*;
use domain::partner::PartnerCommand;
use domain::programme::ProgrammeCommand;
use domain::session::SessionCommand;
use domain::streams::StreamRef;
use domain::values::*;
use projections::recorded::RecordedEvent;
use std::collections::{BTreeMap, HashMap};

// ---------------------------------------------------------------------------------- facts

/// What one fact of the file asks of the command service.
// Short-lived, as the events are: not boxed, like `DomainEvent`.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
pub enum Step {
    Programme(Command<ProgrammeCommand>),
    Partner(PartnerId, Command<PartnerCommand>),
    Session(SessionId, Command<SessionCommand>),
    Action(ActionId, Command<ActionCommand>),
    /// One action's decision at a COPIL (`recordCopilDecisions` of one decision).
    Decision(SessionId, CopilDecision),
    /// A grant named by its funder and year, not by its id (given by the service).
    AmendGrant {
        action: ActionId,
        funder: FunderId,
        year: Year,
        amount: Money,
        reference: Title,
        reason: Note,
        effective_on: Option<NaiveDate>,
    },
    /// A payment named by what it is, not by its id (given by the service).
    CancelPayment {
        action: ActionId,
        funder: FunderId,
        amount: Money,
        kind: PaymentKind,
        paid_on: NaiveDate,
        reason: Note,
        effective_on: Option<NaiveDate>,
    },
}

/// One fact of the file: where it is, its natural key, when it applies, what it asks.
#[derive(Debug, Clone)]
pub struct Fact {
    pub sheet: &'static str,
    pub line: usize,
    /// The natural key: the command id is made from it, so a fact is imported once.
    pub key: String,
    /// Rows exported from a register keep its order (their position); rows typed by hand
    /// come after, by effective date, then by life-cycle rank.
    pub order: (u64, NaiveDate, u8),
    pub step: Step,
}

/// What the planner may look up in the register the file goes into.
pub trait Known {
    /// The action of this reference already in the register.
    fn action_of_reference(&self, reference: &str) -> Option<ActionId>;
    /// The date of a session already in the register.
    fn session_date(&self, session: &SessionId) -> Option<NaiveDate>;
}

/// Reads the cells of one row, collecting the French reason of each bad one.
struct Cells<'a> {
    spec: &'static SheetSpec,
    row: &'a RowData,
    csv: bool,
    errors: Vec<CellError>,
}

impl<'a> Cells<'a> {
    fn err(&mut self, header: &str, message: impl Into<String>) {
        self.errors.push(CellError {
            sheet: self.spec.name.to_owned(),
            row: Some(self.row.line),
            column: Some(header.to_owned()),
            message: message.into(),
        });
    }

    fn get(&mut self, header: &'static str) -> Option<Typed> {
        let i = self
            .spec
            .column(header)
            .unwrap_or_else(|| panic!("the sheet {} has no column {header}", self.spec.name));
        match typed(&self.row.values[i], self.spec.columns[i].kind, self.csv) {
            Ok(v) => v,
            Err(e) => {
                self.err(header, e);
                None
            }
        }
    }

    fn need<T>(&mut self, header: &'static str, v: Option<T>) -> Option<T> {
        if v.is_none()
            && !self
                .errors
                .iter()
                .any(|e| e.column.as_deref() == Some(header))
        {
            self.err(header, "valeur obligatoire");
        }
        v
    }

    fn text(&mut self, header: &'static str) -> Option<String> {
        match self.get(header) {
            Some(Typed::Text(t)) => Some(t),
            _ => None,
        }
    }
    fn need_text(&mut self, header: &'static str) -> Option<String> {
        let v = self.text(header);
        self.need(header, v)
    }
    fn date(&mut self, header: &'static str) -> Option<NaiveDate> {
        match self.get(header) {
            Some(Typed::Date(d)) => Some(d),
            _ => None,
        }
    }
    fn need_date(&mut self, header: &'static str) -> Option<NaiveDate> {
        let v = self.date(header);
        self.need(header, v)
    }
    fn money(&mut self, header: &'static str) -> Option<Money> {
        match self.get(header) {
            Some(Typed::Money(c)) => Money::from_cents(c).or_else(|| {
                self.err(header, "montant hors limites");
                None
            }),
            _ => None,
        }
    }
    fn need_money(&mut self, header: &'static str) -> Option<Money> {
        let v = self.money(header);
        self.need(header, v)
    }
    fn int(&mut self, header: &'static str) -> Option<i64> {
        match self.get(header) {
            Some(Typed::Int(i)) => Some(i),
            _ => None,
        }
    }
    fn number(&mut self, header: &'static str) -> Option<f64> {
        match self.get(header) {
            Some(Typed::Number(n)) => Some(n),
            Some(Typed::Int(i)) => Some(i as f64),
            _ => None,
        }
    }
    fn year(&mut self, header: &'static str) -> Option<Year> {
        let y = self.int(header);
        let y = self.need(header, y)?;
        self.value(header, Year::parse(i32::try_from(y).unwrap_or(i32::MAX)))
    }
    fn value<T>(&mut self, header: &'static str, r: Result<T, InvalidValue>) -> Option<T> {
        r.map_err(|e| self.err(header, e.problem)).ok()
    }
    fn parsed<T>(
        &mut self,
        header: &'static str,
        parse: impl FnOnce(&str) -> Result<T, InvalidValue>,
    ) -> Option<T> {
        let t = self.need_text(header)?;
        self.value(header, parse(&t))
    }
    fn parsed_opt<T>(
        &mut self,
        header: &'static str,
        parse: impl FnOnce(&str) -> Result<T, InvalidValue>,
    ) -> Option<Option<T>> {
        match self.text(header) {
            None => Some(None),
            Some(t) => self.value(header, parse(&t)).map(Some),
        }
    }
    fn list(&mut self, header: &'static str) -> Vec<String> {
        self.text(header)
            .map(|t| split_list(&t))
            .unwrap_or_default()
    }
    fn names(&mut self, header: &'static str) -> Option<Vec<Name>> {
        let mut out = Vec::new();
        for item in self.list(header) {
            out.push(self.value(header, Name::parse(header, &item))?);
        }
        Some(out)
    }
    /// An enum value by its French label (or its API name), whatever the case.
    fn choice<E: Copy + std::fmt::Debug>(
        &mut self,
        header: &'static str,
        all: &[E],
        label: fn(E) -> &'static str,
    ) -> Option<E> {
        let t = self.need_text(header)?;
        self.choose(header, &t, all, label)
    }
    fn choose<E: Copy + std::fmt::Debug>(
        &mut self,
        header: &'static str,
        t: &str,
        all: &[E],
        label: fn(E) -> &'static str,
    ) -> Option<E> {
        let found = all
            .iter()
            .copied()
            .find(|e| same(label(*e), t) || same(&api_name(e), t));
        if found.is_none() {
            self.err(
                header,
                format!(
                    "« {t} » n'est pas une valeur possible ({})",
                    all.iter().map(|e| label(*e)).collect::<Vec<_>>().join(", ")
                ),
            );
        }
        found
    }
    fn yes(&mut self, header: &'static str) -> bool {
        self.text(header).is_some_and(|t| {
            matches!(
                t.to_lowercase().as_str(),
                "oui" | "vrai" | "x" | "true" | "1"
            )
        })
    }
    fn order(&mut self) -> u64 {
        if self.spec.column(ORDER).is_none() {
            return u64::MAX;
        }
        self.int(ORDER)
            .and_then(|i| u64::try_from(i).ok())
            .unwrap_or(u64::MAX)
    }
}

fn same(a: &str, b: &str) -> bool {
    let norm = |s: &str| s.trim().to_lowercase().replace(['_', '\'', '’'], " ");
    norm(a) == norm(b)
}

/// `SchoolRole` → `school role`, compared as `SCHOOL_ROLE` after [`same`]'s folding.
fn api_name<E: std::fmt::Debug>(e: &E) -> String {
    let debug = format!("{e:?}");
    let mut out = String::new();
    for (i, c) in debug.chars().enumerate() {
        if c.is_uppercase() && i > 0 {
            out.push(' ');
        }
        out.extend(c.to_lowercase());
    }
    out
}

pub fn split_list(text: &str) -> Vec<String> {
    text.split([';', '\n'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// An action's id from its reference, when the file gives none: `2026-003` → `a-2026-003`.
pub fn id_of_reference(reference: &str) -> String {
    let mut id: String = reference
        .to_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    id.truncate(60);
    format!("a-{}", id.trim_matches('-'))
}

// ---------------------------------------------------------------------------------- planning

/// Every fact of `workbook`, or the reason of each bad cell.
pub fn plan(
    workbook: &Workbook,
    known: &dyn Known,
    today: NaiveDate,
) -> Result<Vec<Fact>, Vec<CellError>> {
    let mut p = Planner {
        csv: workbook.from_csv,
        known,
        today,
        facts: Vec::new(),
        errors: Vec::new(),
        references: HashMap::new(),
        sessions: HashMap::new(),
    };
    // References and session dates first: the other sheets name them.
    if let Some(s) = workbook.sheet("Actions") {
        for row in &s.rows {
            let mut c = p.cells(s.spec, row);
            if let Some(reference) = c.text("Référence") {
                let id = c
                    .text("Identifiant")
                    .unwrap_or_else(|| id_of_reference(&reference));
                if let Some(id) = c.value("Identifiant", ActionId::parse(&id)) {
                    p.references.insert(reference, id);
                }
            }
            p.errors.extend(c.errors);
        }
    }
    if let Some(s) = workbook.sheet("Paramètres") {
        for row in &s.rows {
            let mut c = p.cells(s.spec, row);
            if c.text("Élément").is_some_and(|e| same(&e, "Séance"))
                && let (Some(id), Some(date)) = (c.text("Identifiant"), c.date("Date"))
                && let Ok(id) = SessionId::parse(&id)
            {
                p.sessions.insert(id, date);
            }
        }
    }
    for sheet in &workbook.sheets {
        for row in &sheet.rows {
            match sheet.spec.name {
                "Paramètres" => p.parameter(sheet.spec, row),
                "Actions" => p.action(workbook, sheet.spec, row),
                "Demandes" | "Indicateurs" | "Bénéficiaires" => {} // read with their fact
                "Compléments" => p.complements(sheet.spec, row),
                "Avis" | "Décisions" | "Modifications" => {} // grouped below
                "Attributions" => p.grant(sheet.spec, row),
                "Avenants" => p.amended_grant(sheet.spec, row),
                "Versements" => p.payment(sheet.spec, row),
                "Étapes" => p.stage(sheet.spec, row),
                "Reversements" => p.repayment(sheet.spec, row),
                "Bilans" => p.report(workbook, sheet.spec, row),
                "Mesures" => p.measure(sheet.spec, row),
                "Évaluations" => p.evaluation(sheet.spec, row),
                other => unreachable!("a sheet {other} without its planner"),
            }
        }
    }
    p.opinions_and_decisions(workbook);
    p.amendments(workbook);
    if p.errors.is_empty() {
        let mut facts = p.facts;
        facts.sort_by_key(|f| f.order);
        Ok(facts)
    } else {
        Err(p.errors)
    }
}

struct Planner<'a> {
    csv: bool,
    known: &'a dyn Known,
    today: NaiveDate,
    facts: Vec<Fact>,
    errors: Vec<CellError>,
    references: HashMap<String, ActionId>,
    sessions: HashMap<SessionId, NaiveDate>,
}

/// Life-cycle ranks: facts of one day with no order of their own are applied in this order.
mod rank {
    pub const PROGRAMME: u8 = 0;
    pub const SETTING: u8 = 1;
    pub const ENVELOPE: u8 = 2;
    pub const REVISION: u8 = 3;
    pub const SESSION: u8 = 4;
    pub const PROPOSAL: u8 = 5;
    pub const COMPLEMENTS: u8 = 6;
    pub const HELD: u8 = 8;
    pub const OPINION: u8 = 9;
    pub const DECISION: u8 = 10;
    pub const GRANT: u8 = 12;
    pub const PAYMENT: u8 = 13;
    pub const STAGE: u8 = 14;
    pub const MEASURE: u8 = 16;
    pub const REPORT: u8 = 19;
    pub const REPAYMENT: u8 = 22;
    pub const CANCELLATION: u8 = 24;
    pub const EVALUATION: u8 = 25;
    pub const CLOSING: u8 = 26;
    pub const LATE: u8 = 27;
}

impl<'a> Planner<'a> {
    fn cells<'r>(&self, spec: &'static SheetSpec, row: &'r RowData) -> Cells<'r> {
        Cells {
            spec,
            row,
            csv: self.csv,
            errors: Vec::new(),
        }
    }

    /// Keeps the fact if the row was good, its errors otherwise.
    fn push(
        &mut self,
        mut c: Cells<'_>,
        key: String,
        on: Option<NaiveDate>,
        rank: u8,
        step: Option<Step>,
    ) {
        let order = c.order();
        let (sheet, line, errors) = (c.spec.name, c.row.line, c.errors);
        if !errors.is_empty() {
            self.errors.extend(errors);
            return;
        }
        if let Some(step) = step {
            self.facts.push(Fact {
                sheet,
                line,
                key,
                order: (order, on.unwrap_or(self.today), rank),
                step,
            });
        }
    }

    fn action_id(&self, c: &mut Cells<'_>) -> Option<(String, ActionId)> {
        let reference = c.need_text("Référence")?;
        let id = self
            .references
            .get(&reference)
            .cloned()
            .or_else(|| self.known.action_of_reference(&reference));
        match id {
            Some(id) => Some((reference, id)),
            None => {
                c.err(
                    "Référence",
                    format!("aucune action de référence « {reference} » dans la feuille « Actions » ni dans le registre"),
                );
                None
            }
        }
    }

    fn session_date(&self, session: &SessionId) -> Option<NaiveDate> {
        self.sessions
            .get(session)
            .copied()
            .or_else(|| self.known.session_date(session))
    }

    fn parameter(&mut self, spec: &'static SheetSpec, row: &RowData) {
        let mut c = self.cells(spec, row);
        let on = c.date("Effet le");
        let Some(element) = c.need_text("Élément") else {
            return self.push(c, String::new(), None, 0, None);
        };
        let e = |name: &str| same(&element, name);
        let id = c.text("Identifiant").unwrap_or_default();
        let (key, rank, step) = if e("Programme") {
            let step = (|| {
                let programme = c.parsed("Identifiant", ProgrammeId::parse)?;
                let name = c.parsed("Nom", |t| Name::parse("nom", t))?;
                let territory = c.names("Liste")?;
                let qpv = c.names("QPV")?;
                let cap = c
                    .text("Précision")
                    .map_or(Some(800), |t| t.parse::<u16>().ok());
                let cap = c.need("Précision", cap)?;
                Some(Step::Programme(Command {
                    command: ProgrammeCommand::EstablishProgramme {
                        programme,
                        name,
                        territory,
                        qpv,
                        labelled_on: c.date("Date"),
                        request_cap_permille: cap,
                    },
                    effective_on: on,
                }))
            })();
            (format!("programme:{id}"), rank::PROGRAMME, step)
        } else if e("Axe") {
            let step = (|| {
                Some(programme(
                    ProgrammeCommand::DefineAxis {
                        code: c.parsed("Identifiant", AxisCode::parse)?,
                        title: c.parsed("Nom", |t| Title::parse("intitulé", t))?,
                        objective: c.choice(
                            "Nature",
                            NationalObjective::ALL,
                            NationalObjective::label,
                        )?,
                    },
                    on,
                ))
            })();
            (format!("axe:{id}"), rank::SETTING, step)
        } else if e("Axe retiré") {
            let step = c
                .parsed("Identifiant", AxisCode::parse)
                .map(|code| programme(ProgrammeCommand::RetireAxis { code }, on));
            (format!("axe-retire:{id}"), rank::REVISION, step)
        } else if e("Financeur") {
            let step = (|| {
                let kind = c.choice("Nature", FunderKind::ALL, FunderKind::label)?;
                let payer = match c.text("Précision") {
                    Some(t) => c.choose("Précision", &t, Payer::ALL, Payer::label)?,
                    None => Payer::of_kind(kind),
                };
                Some(programme(
                    ProgrammeCommand::RegisterFunder {
                        funder: c.parsed("Identifiant", FunderId::parse)?,
                        name: c.parsed("Nom", |t| Name::parse("nom", t))?,
                        kind,
                        payer,
                    },
                    on,
                ))
            })();
            (format!("financeur:{id}"), rank::SETTING, step)
        } else if e("Enveloppe") || e("Révision d'enveloppe") {
            let revision = e("Révision d'enveloppe");
            let year = c.year("Exercice");
            let step = (|| {
                let funder = c.parsed("Identifiant", FunderId::parse)?;
                let amount = c.need_money("Montant")?;
                let year = year?;
                Some(programme(
                    if revision {
                        ProgrammeCommand::ReviseEnvelope {
                            funder,
                            year,
                            amount,
                            reason: c.parsed("Précision", |t| Note::parse("motif", t))?,
                        }
                    } else {
                        ProgrammeCommand::NotifyEnvelope {
                            funder,
                            year,
                            amount,
                            reference: c
                                .parsed_opt("Précision", |t| Title::parse("référence", t))?,
                        }
                    },
                    on,
                ))
            })();
            let y = year.map(|y| y.get()).unwrap_or_default();
            if revision {
                let d = on.map(|d| d.to_string()).unwrap_or_default();
                (
                    format!("revision-enveloppe:{id}:{y}:{d}"),
                    rank::REVISION,
                    step,
                )
            } else {
                (format!("enveloppe:{id}:{y}"), rank::ENVELOPE, step)
            }
        } else if e("Instance") {
            let step = (|| {
                Some(programme(
                    ProgrammeCommand::ChangeBodyMembership {
                        body: c.choice("Nature", BodyKind::ALL, BodyKind::label)?,
                        organisations: c.names("Liste")?,
                    },
                    on,
                ))
            })();
            let d = on.map(|d| d.to_string()).unwrap_or_default();
            let body = c.text("Nature").unwrap_or_default();
            (format!("instance:{body}:{d}"), rank::SETTING, step)
        } else if e("Territoire") {
            let step = (|| {
                Some(programme(
                    ProgrammeCommand::ChangeTerritory {
                        communes: c.names("Liste")?,
                        qpv: c.names("QPV")?,
                        schools: c.names("Écoles")?,
                        reason: c.parsed("Précision", |t| Note::parse("motif", t))?,
                    },
                    on,
                ))
            })();
            let d = on.map(|d| d.to_string()).unwrap_or_default();
            (format!("territoire:{d}"), rank::SETTING, step)
        } else if e("Partenaire") {
            let step = (|| {
                let partner = c.parsed("Identifiant", PartnerId::parse)?;
                let legal_form = match c.text("Précision") {
                    Some(t) => c.choose("Précision", &t, LegalForm::ALL, LegalForm::label)?,
                    None => LegalForm::Unknown,
                };
                Some(Step::Partner(
                    partner.clone(),
                    Command {
                        command: PartnerCommand::RegisterPartner {
                            partner,
                            name: c.parsed("Nom", |t| Name::parse("nom", t))?,
                            kind: c.choice("Nature", PartnerKind::ALL, PartnerKind::label)?,
                            siret: None,
                            legal_form,
                            rna: None,
                        },
                        effective_on: on,
                    },
                ))
            })();
            (format!("partenaire:{id}"), rank::SETTING, step)
        } else if e("Forme juridique") || e("Sortie de partenaire") {
            let leaves = e("Sortie de partenaire");
            let step = (|| {
                let partner = c.parsed("Identifiant", PartnerId::parse)?;
                let command = if leaves {
                    PartnerCommand::PartnerLeaves {
                        reason: c.parsed("Précision", |t| Note::parse("motif", t))?,
                    }
                } else {
                    PartnerCommand::SetPartnerLegalForm {
                        legal_form: c.choice("Nature", LegalForm::ALL, LegalForm::label)?,
                        reason: c.parsed("Précision", |t| Note::parse("motif", t))?,
                    }
                };
                Some(Step::Partner(
                    partner,
                    Command {
                        command,
                        effective_on: on,
                    },
                ))
            })();
            let d = on.map(|d| d.to_string()).unwrap_or_default();
            let what = if leaves { "sortie" } else { "forme" };
            (
                format!("partenaire-{what}:{id}:{d}"),
                if leaves { rank::LATE } else { rank::SETTING },
                step,
            )
        } else if e("Séance") || e("Séance tenue") || e("Présents corrigés") || e("Séance annulée")
        {
            let step = (|| {
                let session = c.parsed("Identifiant", SessionId::parse)?;
                let command = if e("Séance") {
                    SessionCommand::ScheduleSession {
                        session: session.clone(),
                        body: c.choice("Nature", BodyKind::ALL, BodyKind::label)?,
                        date: c.need_date("Date")?,
                        title: c.parsed("Nom", |t| Title::parse("titre", t))?,
                    }
                } else if e("Séance tenue") {
                    SessionCommand::RecordSessionHeld {
                        present: c.names("Liste")?,
                    }
                } else if e("Présents corrigés") {
                    SessionCommand::CorrectAttendance {
                        present: c.names("Liste")?,
                        reason: c.parsed("Précision", |t| Note::parse("motif", t))?,
                    }
                } else {
                    SessionCommand::CancelSession {
                        reason: c.parsed("Précision", |t| Note::parse("motif", t))?,
                    }
                };
                Some(Step::Session(
                    session,
                    Command {
                        command,
                        effective_on: on,
                    },
                ))
            })();
            let (what, rank) = if e("Séance") {
                ("seance", rank::SESSION)
            } else if e("Séance tenue") {
                ("seance-tenue", rank::HELD)
            } else if e("Présents corrigés") {
                ("presents", rank::LATE)
            } else {
                ("seance-annulee", rank::LATE)
            };
            (format!("{what}:{id}"), rank, step)
        } else if e("Revue de projet") || e("Revue validée") {
            let validated = e("Revue validée");
            let year = c.year("Exercice");
            let step = (|| {
                let year = year?;
                Some(programme(
                    if validated {
                        ProgrammeCommand::ValidateAnnualReview {
                            year,
                            session: c.parsed("Identifiant", SessionId::parse)?,
                        }
                    } else {
                        ProgrammeCommand::WriteReviewSection {
                            year,
                            section: c.choice(
                                "Nature",
                                ReviewSection::ALL,
                                ReviewSection::label,
                            )?,
                            text: c.parsed("Précision", |t| Narrative::parse("texte", t))?,
                        }
                    },
                    on,
                ))
            })();
            let y = year.map(|y| y.get()).unwrap_or_default();
            let section = c.text("Nature").unwrap_or_default();
            let d = on.map(|d| d.to_string()).unwrap_or_default();
            if validated {
                (format!("revue-validee:{y}"), rank::LATE, step)
            } else {
                (format!("revue:{y}:{section}:{d}"), rank::LATE, step)
            }
        } else {
            c.err(
                "Élément",
                format!("« {element} » n'est pas un élément connu (Programme, Axe, Financeur, Enveloppe, Partenaire, Séance…)"),
            );
            (String::new(), 0, None)
        };
        // A held session takes its own date.
        let held_on = if e("Séance tenue") {
            SessionId::parse(&id)
                .ok()
                .and_then(|s| self.session_date(&s))
        } else {
            None
        };
        self.push(c, key, held_on.or(on), rank, step);
    }
}

fn programme(command: ProgrammeCommand, on: Option<NaiveDate>) -> Step {
    Step::Programme(Command {
        command,
        effective_on: on,
    })
}

impl<'a> Planner<'a> {
    fn action(&mut self, workbook: &Workbook, spec: &'static SheetSpec, row: &RowData) {
        let mut c = self.cells(spec, row);
        let on = c.date("Proposée le");
        let reference = c.text("Référence");
        let step = (|| {
            let reference = c.parsed("Référence", |t| Title::parse("référence", t))?;
            let id = match c.text("Identifiant") {
                Some(id) => id,
                None => id_of_reference(reference.as_str()),
            };
            let action = c.value("Identifiant", ActionId::parse(&id))?;
            let axes = c.list("Axes secondaires");
            let mut secondary_axes = Vec::new();
            for a in axes {
                secondary_axes.push(c.value("Axes secondaires", AxisCode::parse(&a))?);
            }
            let mut publics = Vec::new();
            for p in c.list("Publics") {
                publics.push(c.choose("Publics", &p, PublicKind::ALL, PublicKind::label)?);
            }
            let renews = match c.text("Reconduit") {
                None => None,
                Some(r) => Some(
                    self.references
                        .get(&r)
                        .cloned()
                        .or_else(|| self.known.action_of_reference(&r))
                        .or_else(|| {
                            c.err("Reconduit", format!("aucune action de référence « {r} »"));
                            None
                        })?,
                ),
            };
            let mut external_refs = Vec::new();
            for r in c.list("Références externes") {
                external_refs
                    .push(c.value("Références externes", Title::parse("référence externe", &r))?);
            }
            let (requested, indicators) =
                self.proposal_lines(workbook, reference.as_str(), &mut c)?;
            Some(Step::Action(
                action.clone(),
                Command {
                    command: ActionCommand::ProposeAction(ActionProposed {
                        action,
                        reference,
                        title: c.parsed("Titre", |t| Title::parse("titre", t))?,
                        summary: c.parsed("Résumé", |t| Narrative::parse("résumé", t))?,
                        holder: c.parsed("Porteur", PartnerId::parse)?,
                        axis: c.parsed("Axe", AxisCode::parse)?,
                        secondary_axes,
                        publics,
                        qpv: c.names("QPV")?,
                        period_start: c.need_date("Début")?,
                        period_end: c.need_date("Fin")?,
                        year: c.year("Exercice")?,
                        total_cost: c.need_money("Coût total")?,
                        requested,
                        indicators,
                        external_refs,
                        renews,
                    }),
                    effective_on: on,
                },
            ))
        })();
        let key = format!("action:{}", reference.unwrap_or_default());
        self.push(c, key, on, rank::PROPOSAL, step);
    }

    /// The requested amounts and indicators of the proposal `reference`, from their sheets.
    fn proposal_lines(
        &self,
        workbook: &Workbook,
        reference: &str,
        c: &mut Cells<'_>,
    ) -> Option<(Vec<MoneyLine>, Vec<IndicatorDef>)> {
        let mut requested = Vec::new();
        if let Some(s) = workbook.sheet("Demandes") {
            for row in &s.rows {
                let mut d = self.cells(s.spec, row);
                if d.text("Référence").as_deref() != Some(reference) {
                    continue;
                }
                let line = (|| {
                    Some(MoneyLine::new(
                        d.parsed("Financeur", FunderId::parse)?,
                        d.need_money("Montant demandé")?,
                    ))
                })();
                c.errors.append(&mut d.errors);
                requested.push(line?);
            }
        }
        let mut indicators = Vec::new();
        if let Some(s) = workbook.sheet("Indicateurs") {
            for row in &s.rows {
                let mut d = self.cells(s.spec, row);
                if d.text("Référence").as_deref() != Some(reference) {
                    continue;
                }
                let def = (|| {
                    Some(IndicatorDef {
                        code: d.parsed("Code", IndicatorCode::parse)?,
                        label: d.parsed("Libellé", |t| Title::parse("libellé", t))?,
                        target: d.number("Cible"),
                    })
                })();
                c.errors.append(&mut d.errors);
                indicators.push(def?);
            }
        }
        Some((requested, indicators))
    }

    fn complements(&mut self, spec: &'static SheetSpec, row: &RowData) {
        let mut c = self.cells(spec, row);
        let on = c.date("Effet le");
        let found = self.action_id(&mut c);
        let movement = c.need_text("Mouvement").unwrap_or_default();
        let provided = same(&movement, "fournis");
        let step = (|| {
            let (_, action) = found.clone()?;
            let command = if provided {
                ActionCommand::ProvideComplements {
                    note: c.parsed("Réponse", |t| Note::parse("réponse", t))?,
                }
            } else if same(&movement, "demandés") {
                let mut items = Vec::new();
                for item in c.list("Éléments") {
                    items.push(c.value("Éléments", Title::parse("complément", &item))?);
                }
                ActionCommand::RequestComplements { items }
            } else {
                c.err(
                    "Mouvement",
                    format!("« {movement} » : écrivez « demandés » ou « fournis »"),
                );
                return None;
            };
            Some(Step::Action(
                action,
                Command {
                    command,
                    effective_on: on,
                },
            ))
        })();
        let r = found.map(|f| f.0).unwrap_or_default();
        let d = on.map(|d| d.to_string()).unwrap_or_default();
        let key = format!(
            "complements-{}:{r}:{d}",
            if provided { "fournis" } else { "demandes" }
        );
        self.push(c, key, on, rank::COMPLEMENTS + u8::from(provided), step);
    }

    fn grant(&mut self, spec: &'static SheetSpec, row: &RowData) {
        let mut c = self.cells(spec, row);
        let found = self.action_id(&mut c);
        let funder = c.text("Financeur").unwrap_or_default();
        let refusal = c.text("Refus");
        let r = found.as_ref().map(|f| f.0.clone()).unwrap_or_default();
        if let Some(reason) = refusal {
            let on = c.date("Effet le");
            let step = (|| {
                Some(Step::Action(
                    found.clone()?.1,
                    Command {
                        command: ActionCommand::RefuseGrant {
                            funder: c.parsed("Financeur", FunderId::parse)?,
                            reason: c.value("Refus", Note::parse("motif", &reason))?,
                        },
                        effective_on: on,
                    },
                ))
            })();
            return self.push(c, format!("refus:{r}:{funder}"), on, rank::GRANT, step);
        }
        let signed = c.date("Signé le");
        let year = c.int("Exercice").unwrap_or_default();
        let step = (|| {
            Some(Step::Action(
                found.clone()?.1,
                Command::new(ActionCommand::AwardGrant {
                    grant: placeholder_grant_id(),
                    funder: c.parsed("Financeur", FunderId::parse)?,
                    year: c.year("Exercice")?,
                    amount: c.need_money("Montant")?,
                    act: Act {
                        kind: c.choice("Acte", ActKind::ALL, ActKind::label)?,
                        reference: c.parsed("Référence de l'acte", |t| {
                            Title::parse("référence de l'acte", t)
                        })?,
                        signed_on: c.need_date("Signé le")?,
                    },
                }),
            ))
        })();
        self.push(
            c,
            format!("attribution:{r}:{funder}:{year}"),
            signed,
            rank::GRANT,
            step,
        );
    }

    fn amended_grant(&mut self, spec: &'static SheetSpec, row: &RowData) {
        let mut c = self.cells(spec, row);
        let found = self.action_id(&mut c);
        let on = c.date("Effet le");
        let funder = c.text("Financeur").unwrap_or_default();
        let year = c.int("Exercice").unwrap_or_default();
        let reference = c.text("Référence de l'avenant").unwrap_or_default();
        let step = (|| {
            Some(Step::AmendGrant {
                action: found.clone()?.1,
                funder: c.parsed("Financeur", FunderId::parse)?,
                year: c.year("Exercice")?,
                amount: c.need_money("Nouveau montant")?,
                reference: c.parsed("Référence de l'avenant", |t| {
                    Title::parse("référence de l'avenant", t)
                })?,
                reason: c.parsed("Motif", |t| Note::parse("motif", t))?,
                effective_on: on,
            })
        })();
        let r = found.map(|f| f.0).unwrap_or_default();
        self.push(
            c,
            format!("avenant:{r}:{funder}:{year}:{reference}"),
            on,
            rank::GRANT + 1,
            step,
        );
    }

    fn payment(&mut self, spec: &'static SheetSpec, row: &RowData) {
        let mut c = self.cells(spec, row);
        let found = self.action_id(&mut c);
        let paid_on = c.need_date("Versé le");
        let fields = (|| {
            Some((
                found.clone()?.1,
                c.parsed("Financeur", FunderId::parse)?,
                c.need_money("Montant")?,
                c.choice("Nature", PaymentKind::ALL, PaymentKind::label)?,
                paid_on?,
            ))
        })();
        let cancelled = c.date("Annulé le");
        let cancel_order = c
            .int(CANCEL_ORDER)
            .and_then(|i| u64::try_from(i).ok())
            .unwrap_or(u64::MAX);
        let reason = c.text("Motif d'annulation");
        let cancellation = match (cancelled, &reason, &fields) {
            (Some(on), Some(reason), Some((action, funder, amount, kind, paid_on))) => c
                .value("Motif d'annulation", Note::parse("motif", reason))
                .map(|reason| Step::CancelPayment {
                    action: action.clone(),
                    funder: funder.clone(),
                    amount: *amount,
                    kind: *kind,
                    paid_on: *paid_on,
                    reason,
                    effective_on: Some(on),
                }),
            (Some(_), None, _) => {
                c.err("Motif d'annulation", "un versement annulé a son motif");
                None
            }
            _ => None,
        };
        let key = match &fields {
            Some((_, funder, amount, kind, paid_on)) => format!(
                "versement:{}:{funder}:{paid_on}:{}:{kind:?}",
                found.as_ref().map(|f| f.0.as_str()).unwrap_or_default(),
                amount.cents()
            ),
            None => String::new(),
        };
        let step = fields.map(|(action, funder, amount, kind, paid_on)| {
            Step::Action(
                action,
                Command::new(ActionCommand::RecordPayment {
                    payment: placeholder_payment_id(),
                    funder,
                    amount,
                    kind,
                    paid_on,
                }),
            )
        });
        let order = c.order();
        if c.errors.is_empty()
            && let Some(cancel) = cancellation
        {
            self.facts.push(Fact {
                sheet: spec.name,
                line: row.line,
                key: format!("annulation-{key}"),
                order: (
                    cancel_order,
                    cancelled.unwrap_or(self.today),
                    rank::CANCELLATION,
                ),
                step: cancel,
            });
        }
        let _ = order;
        self.push(c, key, paid_on, rank::PAYMENT, step);
    }

    fn stage(&mut self, spec: &'static SheetSpec, row: &RowData) {
        let mut c = self.cells(spec, row);
        let found = self.action_id(&mut c);
        let on = c.date("Effet le");
        let stage = c.need_text("Étape").unwrap_or_default();
        let s = |name: &str| same(&stage, name);
        let mut rank = rank::STAGE;
        let mut date = on;
        let step = (|| {
            let (_, action) = found.clone()?;
            let reason = |c: &mut Cells<'_>| c.parsed("Motif", |t| Note::parse("motif", t));
            let command = if s("démarrée") {
                let d = c.need_date("Date")?;
                date = Some(d);
                ActionCommand::StartAction { started_on: d }
            } else if s("achevée") {
                let d = c.need_date("Date")?;
                date = Some(d);
                rank = rank::STAGE + 3;
                ActionCommand::CompleteAction { completed_on: d }
            } else if s("période modifiée") {
                rank = rank::STAGE + 1;
                ActionCommand::ChangePeriod {
                    period_start: c.need_date("Début")?,
                    period_end: c.need_date("Fin")?,
                    reason: reason(&mut c)?,
                }
            } else if s("non réalisée") {
                rank = rank::STAGE + 4;
                ActionCommand::AttestNonRealisation {
                    reason: reason(&mut c)?,
                }
            } else if s("retirée") {
                rank = rank::STAGE + 4;
                ActionCommand::WithdrawAction {
                    reason: reason(&mut c)?,
                }
            } else if s("échéance reportée") {
                rank = rank::REPORT + 1;
                ActionCommand::ExtendReportDeadline {
                    due_on: c.need_date("Date")?,
                    reason: reason(&mut c)?,
                }
            } else if s("bilan examiné") {
                rank = rank::REPORT + 2;
                ActionCommand::ReviewFinalReport {
                    verdict: c.choice("Examen", ReportVerdict::ALL, ReportVerdict::label)?,
                    comment: c.parsed_opt("Motif", |t| Note::parse("commentaire", t))?,
                }
            } else if s("clôturée") {
                rank = rank::CLOSING;
                ActionCommand::CloseAction
            } else {
                c.err(
                    "Étape",
                    format!("« {stage} » n'est pas une étape connue (démarrée, période modifiée, achevée, non réalisée, retirée, échéance reportée, bilan examiné, clôturée)"),
                );
                return None;
            };
            let named = matches!(
                command,
                ActionCommand::StartAction { .. } | ActionCommand::CompleteAction { .. }
            );
            Some(Step::Action(
                action,
                Command {
                    command,
                    effective_on: if named { None } else { on },
                },
            ))
        })();
        let r = found.map(|f| f.0).unwrap_or_default();
        let d = date.map(|d| d.to_string()).unwrap_or_default();
        self.push(c, format!("etape:{r}:{stage}:{d}"), date, rank, step);
    }

    fn repayment(&mut self, spec: &'static SheetSpec, row: &RowData) {
        let mut c = self.cells(spec, row);
        let found = self.action_id(&mut c);
        let on = c.date("Effet le");
        let movement = c.need_text("Mouvement").unwrap_or_default();
        let amount_cents = c.money("Montant").map(|m| m.cents()).unwrap_or_default();
        let funder_text = c.text("Financeur").unwrap_or_default();
        let mut rank = rank::REPAYMENT;
        let step = (|| {
            let (_, action) = found.clone()?;
            let funder = c.parsed("Financeur", FunderId::parse)?;
            let command = if same(&movement, "demandé") {
                ActionCommand::RequestRepayment {
                    funder,
                    amount: c.need_money("Montant")?,
                    reason: c.parsed("Motif", |t| Note::parse("motif", t))?,
                }
            } else if same(&movement, "reçu") {
                rank = rank::REPAYMENT + 1;
                ActionCommand::RecordRepayment {
                    funder,
                    amount: c.need_money("Montant")?,
                    received_on: c.need_date("Effet le")?,
                }
            } else if same(&movement, "demande annulée") {
                rank = rank::REPAYMENT + 1;
                ActionCommand::CancelRepaymentRequest {
                    funder,
                    reason: c.parsed("Motif", |t| Note::parse("motif", t))?,
                }
            } else {
                c.err(
                    "Mouvement",
                    format!(
                        "« {movement} » : écrivez « demandé », « reçu » ou « demande annulée »"
                    ),
                );
                return None;
            };
            let named = matches!(command, ActionCommand::RecordRepayment { .. });
            Some(Step::Action(
                action,
                Command {
                    command,
                    effective_on: if named { None } else { on },
                },
            ))
        })();
        let r = found.map(|f| f.0).unwrap_or_default();
        let d = on.map(|d| d.to_string()).unwrap_or_default();
        self.push(
            c,
            format!("reversement:{r}:{funder_text}:{movement}:{d}:{amount_cents}"),
            on,
            rank,
            step,
        );
    }

    fn report(&mut self, workbook: &Workbook, spec: &'static SheetSpec, row: &RowData) {
        let mut c = self.cells(spec, row);
        let found = self.action_id(&mut c);
        let on = c.date("Déposé le");
        let number = c.int("N°");
        let step = (|| {
            let (reference, action) = found.clone()?;
            let number = c.need("N°", number)?;
            let mut beneficiaries = Vec::new();
            if let Some(s) = workbook.sheet("Bénéficiaires") {
                for row in &s.rows {
                    let mut b = self.cells(s.spec, row);
                    if b.text("Référence").as_deref() != Some(reference.as_str())
                        || b.int("N°") != Some(number)
                    {
                        continue;
                    }
                    let cell = (|| {
                        let count = b.int("Nombre");
                        let count = b.need("Nombre", count)?;
                        Some(BeneficiaryCount {
                            public: b.choice("Public", PublicKind::ALL, PublicKind::label)?,
                            age_band: b.choice("Âge", AgeBand::ALL, AgeBand::label)?,
                            sex: b.choice("Sexe", Sex::ALL, Sex::label)?,
                            qpv_resident: b.yes("Résident QPV"),
                            count: b.value(
                                "Nombre",
                                u32::try_from(count).map_err(|_| {
                                    InvalidValue::new("nombre", "un nombre positif est attendu")
                                }),
                            )?,
                        })
                    })();
                    c.errors.append(&mut b.errors);
                    beneficiaries.push(cell?);
                }
            }
            Some(Step::Action(
                action,
                Command {
                    command: ActionCommand::SubmitReport {
                        kind: c.choice("Bilan", ReportKind::ALL, ReportKind::label)?,
                        spent: c.need_money("Dépenses")?,
                        narrative: c.parsed("Synthèse", |t| Narrative::parse("synthèse", t))?,
                        beneficiaries,
                    },
                    effective_on: on,
                },
            ))
        })();
        let r = found.map(|f| f.0).unwrap_or_default();
        self.push(
            c,
            format!("bilan:{r}:{}", number.unwrap_or_default()),
            on,
            rank::REPORT,
            step,
        );
    }

    fn measure(&mut self, spec: &'static SheetSpec, row: &RowData) {
        let mut c = self.cells(spec, row);
        let found = self.action_id(&mut c);
        let on = c.need_date("Mesuré le");
        let code = c.text("Indicateur").unwrap_or_default();
        let step = (|| {
            let value = c.number("Valeur");
            Some(Step::Action(
                found.clone()?.1,
                Command::new(ActionCommand::MeasureIndicator {
                    code: c.parsed("Indicateur", IndicatorCode::parse)?,
                    value: c.need("Valeur", value)?,
                    measured_on: on?,
                }),
            ))
        })();
        let r = found.map(|f| f.0).unwrap_or_default();
        let d = on.map(|d| d.to_string()).unwrap_or_default();
        self.push(c, format!("mesure:{r}:{code}:{d}"), on, rank::MEASURE, step);
    }

    fn evaluation(&mut self, spec: &'static SheetSpec, row: &RowData) {
        let mut c = self.cells(spec, row);
        let found = self.action_id(&mut c);
        let on = c.date("Évaluée le");
        let step = (|| {
            Some(Step::Action(
                found.clone()?.1,
                Command {
                    command: ActionCommand::EvaluateAction {
                        rating: c.choice("Appréciation", Rating::ALL, Rating::label)?,
                        findings: c.parsed("Constats", |t| Narrative::parse("constats", t))?,
                        recommendation: c.choice(
                            "Recommandation",
                            Recommendation::ALL,
                            Recommendation::label,
                        )?,
                    },
                    effective_on: on,
                },
            ))
        })();
        let r = found.map(|f| f.0).unwrap_or_default();
        self.push(c, format!("evaluation:{r}"), on, rank::EVALUATION, step);
    }

    /// Opinions and decisions: the rows of one action at one session (one per funder) are one fact.
    fn opinions_and_decisions(&mut self, workbook: &Workbook) {
        for name in ["Avis", "Décisions"] {
            let Some(s) = workbook.sheet(name) else {
                continue;
            };
            let mut groups: BTreeMap<(String, String, bool), Vec<&RowData>> = BTreeMap::new();
            for row in &s.rows {
                let mut c = self.cells(s.spec, row);
                let revision = name == "Décisions" && c.yes("Révision");
                let key = (
                    c.text("Référence").unwrap_or_default(),
                    c.text("Séance").unwrap_or_default(),
                    revision,
                );
                groups.entry(key).or_default().push(row);
            }
            for ((reference, session_text, revision), rows) in groups {
                let mut c = self.cells(s.spec, rows[0]);
                let found = self.action_id(&mut c);
                let session = c.parsed("Séance", SessionId::parse);
                let date = session.as_ref().and_then(|s| self.session_date(s));
                if session.is_some() && date.is_none() {
                    c.err("Séance", format!("aucune séance « {session_text} » dans « Paramètres » ni dans le registre"));
                }
                let mut lines = Vec::new();
                for row in &rows {
                    let mut l = self.cells(s.spec, row);
                    let amount_header = if name == "Avis" {
                        "Montant proposé"
                    } else {
                        "Montant retenu"
                    };
                    if let Some(funder) = l.text("Financeur") {
                        let line = (|| {
                            Some(MoneyLine::new(
                                l.value("Financeur", FunderId::parse(&funder))?,
                                l.need_money(amount_header)?,
                            ))
                        })();
                        if let Some(line) = line {
                            lines.push(line);
                        }
                    }
                    c.errors.append(&mut l.errors);
                }
                let step = (|| {
                    let (_, action) = found.clone()?;
                    let session = session.clone()?;
                    if name == "Avis" {
                        return Some(Step::Action(
                            action,
                            Command::new(ActionCommand::GiveOpinion {
                                session,
                                opinion: c.choice("Avis", Opinion::ALL, Opinion::label)?,
                                proposed: lines,
                                comment: c
                                    .parsed_opt("Commentaire", |t| Note::parse("commentaire", t))?,
                            }),
                        ));
                    }
                    let outcome =
                        c.choice("Décision", DecisionOutcome::ALL, DecisionOutcome::label)?;
                    if revision {
                        return Some(Step::Action(
                            action,
                            Command::new(ActionCommand::ReviseDecision {
                                session,
                                outcome,
                                retained: lines,
                                reason: c.parsed("Motif", |t| Note::parse("motif", t))?,
                            }),
                        ));
                    }
                    Some(Step::Decision(
                        session,
                        CopilDecision {
                            action,
                            outcome,
                            retained: lines,
                            reason: c.parsed_opt("Motif", |t| Note::parse("motif", t))?,
                        },
                    ))
                })();
                let (what, rank) = match (name, revision) {
                    ("Avis", _) => ("avis", rank::OPINION),
                    (_, false) => ("decision", rank::DECISION),
                    (_, true) => ("revision", rank::DECISION + 1),
                };
                self.push(
                    c,
                    format!("{what}:{reference}:{session_text}"),
                    date,
                    rank,
                    step,
                );
            }
        }
    }
}

// ---------------------------------------------------------------------------------- export

/// A cell written.
#[derive(Debug, Clone, PartialEq)]
pub enum Out {
    Empty,
    Text(String),
    Date(NaiveDate),
    Money(i64),
    Int(i64),
    Number(f64),
    /// A fraction, shown as a percentage.
    Percent(f64),
}

fn t(s: impl ToString) -> Out {
    Out::Text(s.to_string())
}
fn opt_t(s: Option<impl ToString>) -> Out {
    s.map_or(Out::Empty, t)
}
fn m(money: Money) -> Out {
    Out::Money(money.cents())
}
fn join<T: ToString>(items: &[T]) -> Out {
    if items.is_empty() {
        Out::Empty
    } else {
        t(items
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(" ; "))
    }
}

/// The rows of every sheet, built from the register's events in log order.
#[derive(Default)]
pub struct Rows {
    pub sheets: BTreeMap<&'static str, Vec<Vec<Out>>>,
    references: HashMap<ActionId, String>,
    /// Where each payment's row is, to write its cancellation on it.
    payments: HashMap<(ActionId, PaymentId), usize>,
    /// Each grant's funder and year, which name it in « Avenants ».
    grants: HashMap<(ActionId, GrantId), (FunderId, i32)>,
    reports: HashMap<ActionId, i64>,
    /// Events no sheet holds, by type.
    pub left_out: BTreeMap<&'static str, usize>,
}

impl Rows {
    /// Appends a row to `sheet`, its cells given by header.
    fn row(&mut self, sheet_name: &'static str, cells: Vec<(&'static str, Out)>) -> usize {
        let spec = sheet(sheet_name).unwrap_or_else(|| panic!("no sheet {sheet_name}"));
        let mut row = vec![Out::Empty; spec.columns.len()];
        for (header, value) in cells {
            let i = spec
                .column(header)
                .unwrap_or_else(|| panic!("the sheet {sheet_name} has no column {header}"));
            row[i] = value;
        }
        let rows = self.sheets.entry(sheet_name).or_default();
        rows.push(row);
        rows.len() - 1
    }

    fn reference(&self, action: &ActionId) -> Out {
        t(self
            .references
            .get(action)
            .cloned()
            .unwrap_or_else(|| action.to_string()))
    }

    /// Adds the row (or rows) that give `e` again.
    pub fn add(&mut self, e: &RecordedEvent) {
        let on = Out::Date(e.effective_on);
        let order = Out::Int(i64::try_from(e.position).unwrap_or(i64::MAX));
        let param = |element: &str, cells: Vec<(&'static str, Out)>| {
            let mut all = vec![
                ("Élément", t(element)),
                ("Effet le", on.clone()),
                (ORDER, order.clone()),
            ];
            all.extend(cells);
            all
        };
        match (&e.stream, &e.event) {
            (_, DomainEvent::Programme(p)) => {
                use ProgrammeEvent as P;
                let cells = match p {
                    P::ProgrammeEstablished(x) => param(
                        "Programme",
                        vec![
                            ("Identifiant", t(&x.programme)),
                            ("Nom", t(&x.name)),
                            ("Liste", join(&x.territory)),
                            ("QPV", join(&x.qpv)),
                            ("Date", x.labelled_on.map_or(Out::Empty, Out::Date)),
                            ("Précision", t(x.request_cap_permille)),
                        ],
                    ),
                    P::AxisDefined(x) => param(
                        "Axe",
                        vec![
                            ("Identifiant", t(&x.code)),
                            ("Nom", t(&x.title)),
                            ("Nature", t(x.objective.label())),
                        ],
                    ),
                    P::AxisRetired(x) => param("Axe retiré", vec![("Identifiant", t(&x.code))]),
                    P::FunderRegistered(x) => param(
                        "Financeur",
                        vec![
                            ("Identifiant", t(&x.funder)),
                            ("Nom", t(&x.name)),
                            ("Nature", t(x.kind.label())),
                            ("Précision", t(x.payer.label())),
                        ],
                    ),
                    P::EnvelopeNotified(x) => param(
                        "Enveloppe",
                        vec![
                            ("Identifiant", t(&x.funder)),
                            ("Exercice", Out::Int(x.year.get().into())),
                            ("Montant", m(x.amount)),
                            ("Précision", opt_t(x.reference.as_ref())),
                        ],
                    ),
                    P::EnvelopeRevised(x) => param(
                        "Révision d'enveloppe",
                        vec![
                            ("Identifiant", t(&x.funder)),
                            ("Exercice", Out::Int(x.year.get().into())),
                            ("Montant", m(x.amount)),
                            ("Précision", t(&x.reason)),
                        ],
                    ),
                    P::BodyMembershipChanged(x) => param(
                        "Instance",
                        vec![
                            ("Nature", t(x.body.label())),
                            ("Liste", join(&x.organisations)),
                        ],
                    ),
                    P::TerritoryChanged(x) => param(
                        "Territoire",
                        vec![
                            ("Liste", join(&x.communes)),
                            (
                                "QPV",
                                join(&x.qpv.iter().map(|q| q.as_str()).collect::<Vec<_>>()),
                            ),
                            (
                                "Écoles",
                                join(&x.schools.iter().map(|u| u.as_str()).collect::<Vec<_>>()),
                            ),
                            ("Précision", t(&x.reason)),
                        ],
                    ),
                    P::ReviewSectionWritten(x) => param(
                        "Revue de projet",
                        vec![
                            ("Exercice", Out::Int(x.year.get().into())),
                            ("Nature", t(x.section.label())),
                            ("Précision", t(&x.text)),
                        ],
                    ),
                    P::AnnualReviewValidated(x) => param(
                        "Revue validée",
                        vec![
                            ("Exercice", Out::Int(x.year.get().into())),
                            ("Identifiant", t(&x.session)),
                        ],
                    ),
                    // An erasure is no setting of the cité: the erased text already reads as
                    // its notice in the row of its event.
                    P::TextErased(_) | P::ActorNameErased(_) => return,
                };
                self.row("Paramètres", cells);
            }
            (StreamRef::Partner(_, partner), DomainEvent::Partner(p)) => {
                use PartnerEvent as P;
                let cells = match p {
                    P::PartnerRegistered(x) => param(
                        "Partenaire",
                        vec![
                            ("Identifiant", t(&x.partner)),
                            ("Nom", t(&x.name)),
                            ("Nature", t(x.kind.label())),
                            ("Précision", t(x.legal_form.label())),
                        ],
                    ),
                    P::PartnerLegalFormSet(x) => param(
                        "Forme juridique",
                        vec![
                            ("Identifiant", t(partner)),
                            ("Nature", t(x.legal_form.label())),
                            ("Précision", t(&x.reason)),
                        ],
                    ),
                    P::PartnerLeftAlliance(x) => param(
                        "Sortie de partenaire",
                        vec![("Identifiant", t(partner)), ("Précision", t(&x.reason))],
                    ),
                };
                self.row("Paramètres", cells);
            }
            (StreamRef::Session(_, session), DomainEvent::Session(s)) => {
                use SessionEvent as S;
                let cells = match s {
                    S::SessionScheduled(x) => param(
                        "Séance",
                        vec![
                            ("Identifiant", t(&x.session)),
                            ("Nom", t(&x.title)),
                            ("Nature", t(x.body.label())),
                            ("Date", Out::Date(x.date)),
                        ],
                    ),
                    S::SessionHeld(x) => param(
                        "Séance tenue",
                        vec![("Identifiant", t(session)), ("Liste", join(&x.present))],
                    ),
                    S::AttendanceCorrected(x) => param(
                        "Présents corrigés",
                        vec![
                            ("Identifiant", t(session)),
                            ("Liste", join(&x.present)),
                            ("Précision", t(&x.reason)),
                        ],
                    ),
                    S::SessionCancelled(x) => param(
                        "Séance annulée",
                        vec![("Identifiant", t(session)), ("Précision", t(&x.reason))],
                    ),
                };
                self.row("Paramètres", cells);
            }
            (StreamRef::Action(_, action), DomainEvent::Action(a)) => {
                self.action(action, a, e, on, order)
            }
            _ => *self.left_out.entry(e.event.event_type()).or_default() += 1,
        }
    }

    fn action(
        &mut self,
        action: &ActionId,
        a: &ActionEvent,
        e: &RecordedEvent,
        on: Out,
        order: Out,
    ) {
        use ActionEvent as A;
        let r = self.reference(action);
        let stage = |this: &mut Rows, name: &str, cells: Vec<(&'static str, Out)>| {
            let mut all = vec![
                ("Référence", this.reference(action)),
                ("Étape", t(name)),
                ("Effet le", on.clone()),
                (ORDER, order.clone()),
            ];
            all.extend(cells);
            this.row("Étapes", all);
        };
        match a {
            A::ActionProposed(x) => {
                self.references
                    .insert(action.clone(), x.reference.to_string());
                let r = t(&x.reference);
                let renews = x.renews.as_ref().map(|id| self.reference(id));
                self.row(
                    "Actions",
                    vec![
                        ("Référence", r.clone()),
                        ("Identifiant", t(&x.action)),
                        ("Titre", t(&x.title)),
                        ("Résumé", t(&x.summary)),
                        ("Porteur", t(&x.holder)),
                        ("Axe", t(&x.axis)),
                        ("Axes secondaires", join(&x.secondary_axes)),
                        (
                            "Publics",
                            join(&x.publics.iter().map(|p| p.label()).collect::<Vec<_>>()),
                        ),
                        ("QPV", join(&x.qpv)),
                        ("Exercice", Out::Int(x.year.get().into())),
                        ("Début", Out::Date(x.period_start)),
                        ("Fin", Out::Date(x.period_end)),
                        ("Coût total", m(x.total_cost)),
                        ("Reconduit", renews.unwrap_or(Out::Empty)),
                        ("Références externes", join(&x.external_refs)),
                        ("Proposée le", on),
                        (ORDER, order),
                    ],
                );
                for l in &x.requested {
                    self.row(
                        "Demandes",
                        vec![
                            ("Référence", r.clone()),
                            ("Financeur", t(&l.funder)),
                            ("Montant demandé", m(l.amount)),
                        ],
                    );
                }
                for i in &x.indicators {
                    self.row(
                        "Indicateurs",
                        vec![
                            ("Référence", r.clone()),
                            ("Code", t(&i.code)),
                            ("Libellé", t(&i.label)),
                            ("Cible", i.target.map_or(Out::Empty, Out::Number)),
                        ],
                    );
                }
            }
            A::ComplementsRequested(x) => {
                self.row(
                    "Compléments",
                    vec![
                        ("Référence", r),
                        ("Mouvement", t("demandés")),
                        ("Éléments", join(&x.items)),
                        ("Effet le", on),
                        (ORDER, order),
                    ],
                );
            }
            A::ComplementsProvided(x) => {
                self.row(
                    "Compléments",
                    vec![
                        ("Référence", r),
                        ("Mouvement", t("fournis")),
                        ("Réponse", t(&x.note)),
                        ("Effet le", on),
                        (ORDER, order),
                    ],
                );
            }
            A::OpinionGiven(x) => {
                let base = vec![
                    ("Référence", r),
                    ("Séance", t(&x.session)),
                    ("Avis", t(x.opinion.label())),
                    ("Commentaire", opt_t(x.comment.as_ref())),
                    (ORDER, order),
                ];
                self.lines("Avis", base, &x.proposed, "Montant proposé");
            }
            A::CopilDecisionTaken(x) => {
                let base = vec![
                    ("Référence", r),
                    ("Séance", t(&x.session)),
                    ("Décision", t(x.outcome.label())),
                    ("Motif", opt_t(x.reason.as_ref())),
                    (ORDER, order),
                ];
                self.lines("Décisions", base, &x.retained, "Montant retenu");
            }
            A::DecisionRevised(x) => {
                let base = vec![
                    ("Référence", r),
                    ("Séance", t(&x.session)),
                    ("Décision", t(x.outcome.label())),
                    ("Motif", t(&x.reason)),
                    ("Révision", t("oui")),
                    (ORDER, order),
                ];
                self.lines("Décisions", base, &x.retained, "Montant retenu");
            }
            A::GrantAwarded(x) => {
                self.grants.insert(
                    (action.clone(), x.grant.clone()),
                    (x.funder.clone(), x.year.get()),
                );
                self.row(
                    "Attributions",
                    vec![
                        ("Référence", r),
                        ("Financeur", t(&x.funder)),
                        ("Exercice", Out::Int(x.year.get().into())),
                        ("Montant", m(x.amount)),
                        ("Acte", t(x.act.kind.label())),
                        ("Référence de l'acte", t(&x.act.reference)),
                        ("Signé le", Out::Date(x.act.signed_on)),
                        (ORDER, order),
                    ],
                );
            }
            A::GrantRefused(x) => {
                self.row(
                    "Attributions",
                    vec![
                        ("Référence", r),
                        ("Financeur", t(&x.funder)),
                        ("Refus", t(&x.reason)),
                        ("Effet le", on),
                        (ORDER, order),
                    ],
                );
            }
            A::PaymentRecorded(x) => {
                let at = self.row(
                    "Versements",
                    vec![
                        ("Référence", r),
                        ("Financeur", t(&x.funder)),
                        ("Montant", m(x.amount)),
                        ("Nature", t(x.kind.label())),
                        ("Versé le", on),
                        (ORDER, order),
                    ],
                );
                self.payments
                    .insert((action.clone(), x.payment.clone()), at);
            }
            A::PaymentCancelled(x) => {
                let spec = sheet("Versements").expect("the Versements sheet");
                match self.payments.get(&(action.clone(), x.payment.clone())) {
                    Some(&at) => {
                        let row = &mut self
                            .sheets
                            .get_mut("Versements")
                            .expect("its payment's sheet")[at];
                        row[spec.column("Annulé le").expect("column")] = Out::Date(e.effective_on);
                        row[spec.column("Motif d'annulation").expect("column")] = t(&x.reason);
                        row[spec.column(CANCEL_ORDER).expect("column")] = order;
                    }
                    None => *self.left_out.entry("PaymentCancelled").or_default() += 1,
                }
            }
            A::ActionStarted(_) => stage(self, "démarrée", vec![("Date", on.clone())]),
            A::ActionCompleted(_) => stage(self, "achevée", vec![("Date", on.clone())]),
            A::PeriodChanged(x) => stage(
                self,
                "période modifiée",
                vec![
                    ("Début", Out::Date(x.period_start)),
                    ("Fin", Out::Date(x.period_end)),
                    ("Motif", t(&x.reason)),
                ],
            ),
            A::NonRealisationAttested(x) => {
                stage(self, "non réalisée", vec![("Motif", t(&x.reason))])
            }
            A::ActionWithdrawn(x) => stage(self, "retirée", vec![("Motif", t(&x.reason))]),
            A::ReportDeadlineExtended(x) => stage(
                self,
                "échéance reportée",
                vec![("Date", Out::Date(x.due_on)), ("Motif", t(&x.reason))],
            ),
            A::FinalReportReviewed(x) => stage(
                self,
                "bilan examiné",
                vec![
                    ("Examen", t(x.verdict.label())),
                    ("Motif", opt_t(x.comment.as_ref())),
                ],
            ),
            A::ActionClosed(_) => stage(self, "clôturée", vec![]),
            A::RepaymentRequested(x) => {
                self.row(
                    "Reversements",
                    vec![
                        ("Référence", r),
                        ("Financeur", t(&x.funder)),
                        ("Mouvement", t("demandé")),
                        ("Montant", m(x.amount)),
                        ("Motif", t(&x.reason)),
                        ("Effet le", on),
                        (ORDER, order),
                    ],
                );
            }
            A::RepaymentReceived(x) => {
                self.row(
                    "Reversements",
                    vec![
                        ("Référence", r),
                        ("Financeur", t(&x.funder)),
                        ("Mouvement", t("reçu")),
                        ("Montant", m(x.amount)),
                        ("Effet le", on),
                        (ORDER, order),
                    ],
                );
            }
            A::RepaymentRequestCancelled(x) => {
                self.row(
                    "Reversements",
                    vec![
                        ("Référence", r),
                        ("Financeur", t(&x.funder)),
                        ("Mouvement", t("demande annulée")),
                        ("Motif", t(&x.reason)),
                        ("Effet le", on),
                        (ORDER, order),
                    ],
                );
            }
            A::ReportSubmitted(x) => {
                let n = self.reports.entry(action.clone()).or_default();
                *n += 1;
                let n = *n;
                self.row(
                    "Bilans",
                    vec![
                        ("Référence", r.clone()),
                        ("N°", Out::Int(n)),
                        ("Bilan", t(x.kind.label())),
                        ("Dépenses", m(x.spent)),
                        ("Synthèse", t(&x.narrative)),
                        ("Déposé le", on),
                        (ORDER, order),
                    ],
                );
                for b in &x.beneficiaries {
                    self.row(
                        "Bénéficiaires",
                        vec![
                            ("Référence", r.clone()),
                            ("N°", Out::Int(n)),
                            ("Public", t(b.public.label())),
                            ("Âge", t(b.age_band.label())),
                            ("Sexe", t(b.sex.label())),
                            (
                                "Résident QPV",
                                t(if b.qpv_resident { "oui" } else { "non" }),
                            ),
                            ("Nombre", Out::Int(b.count.into())),
                        ],
                    );
                }
            }
            A::IndicatorMeasured(x) => {
                self.row(
                    "Mesures",
                    vec![
                        ("Référence", r),
                        ("Indicateur", t(&x.code)),
                        ("Valeur", Out::Number(x.value)),
                        ("Mesuré le", on),
                        (ORDER, order),
                    ],
                );
            }
            A::ActionEvaluated(x) => {
                self.row(
                    "Évaluations",
                    vec![
                        ("Référence", r),
                        ("Appréciation", t(x.rating.label())),
                        ("Constats", t(&x.findings)),
                        ("Recommandation", t(x.recommendation.label())),
                        ("Évaluée le", on),
                        (ORDER, order),
                    ],
                );
            }
            A::ActionAmended(x) => {
                let date = |d: NaiveDate| t(d.format("%d/%m/%Y"));
                let money = |m: Money| t(format!("{},{:02}", m.cents() / 100, m.cents() % 100));
                let list = |items: Vec<String>| t(items.join(" ; "));
                let mut fields: Vec<(&str, Out)> = Vec::new();
                if let Some(v) = &x.title {
                    fields.push(("Titre", t(v)));
                }
                if let Some(v) = &x.summary {
                    fields.push(("Résumé", t(v)));
                }
                if let Some(v) = &x.axis {
                    fields.push(("Axe", t(v)));
                }
                if let Some(v) = &x.secondary_axes {
                    fields.push((
                        "Axes secondaires",
                        list(v.iter().map(ToString::to_string).collect()),
                    ));
                }
                if let Some(v) = &x.publics {
                    fields.push((
                        "Publics",
                        list(v.iter().map(|p| p.label().to_owned()).collect()),
                    ));
                }
                if let Some(v) = &x.qpv {
                    fields.push(("QPV", list(v.iter().map(ToString::to_string).collect())));
                }
                if let Some(v) = x.period_start {
                    fields.push(("Début", date(v)));
                }
                if let Some(v) = x.period_end {
                    fields.push(("Fin", date(v)));
                }
                if let Some(v) = x.total_cost {
                    fields.push(("Coût total", money(v)));
                }
                if let Some(v) = &x.requested {
                    fields.push((
                        "Demandes",
                        list(
                            v.iter()
                                .map(|l| {
                                    format!(
                                        "{} = {},{:02}",
                                        l.funder,
                                        l.amount.cents() / 100,
                                        l.amount.cents() % 100
                                    )
                                })
                                .collect(),
                        ),
                    ));
                }
                if let Some(v) = &x.indicators {
                    fields.push((
                        "Indicateurs",
                        list(
                            v.iter()
                                .map(|i| {
                                    format!(
                                        "{} | {} | {}",
                                        i.code,
                                        i.label,
                                        i.target.map(|t| t.to_string()).unwrap_or_default()
                                    )
                                })
                                .collect(),
                        ),
                    ));
                }
                for (field, value) in fields {
                    self.row(
                        "Modifications",
                        vec![
                            ("Référence", r.clone()),
                            ("Champ", t(field)),
                            ("Nouvelle valeur", value),
                            ("Effet le", on.clone()),
                            (ORDER, order.clone()),
                        ],
                    );
                }
            }
            A::GrantAmended(x) => {
                match self.grants.get(&(action.clone(), x.grant.clone())).cloned() {
                    Some((funder, year)) => {
                        self.row(
                            "Avenants",
                            vec![
                                ("Référence", r),
                                ("Financeur", t(funder)),
                                ("Exercice", Out::Int(year.into())),
                                ("Nouveau montant", m(x.amount)),
                                ("Référence de l'avenant", t(&x.reference)),
                                ("Motif", t(&x.reason)),
                                ("Effet le", on),
                                (ORDER, order),
                            ],
                        );
                    }
                    None => *self.left_out.entry("GrantAmended").or_default() += 1,
                }
            }
            A::ReportCorrected(_) => {
                *self.left_out.entry(a.event_type()).or_default() += 1;
            }
        }
    }

    /// One row per funder of `lines` (one row without amount when there is none).
    fn lines(
        &mut self,
        sheet_name: &'static str,
        base: Vec<(&'static str, Out)>,
        lines: &[MoneyLine],
        amount: &'static str,
    ) {
        if lines.is_empty() {
            self.row(sheet_name, base);
            return;
        }
        for l in lines {
            let mut cells = base.clone();
            cells.push(("Financeur", t(&l.funder)));
            cells.push((amount, m(l.amount)));
            self.row(sheet_name, cells);
        }
    }
}

impl<'a> Planner<'a> {
    /// Amendments: the rows of one action with one date (and order) are one `amendAction`.
    fn amendments(&mut self, workbook: &Workbook) {
        use super::read::{parse_date_text, parse_money_text};
        let Some(s) = workbook.sheet("Modifications") else {
            return;
        };
        let mut groups: BTreeMap<(String, Option<NaiveDate>, u64), Vec<&RowData>> = BTreeMap::new();
        for row in &s.rows {
            let mut c = self.cells(s.spec, row);
            let key = (
                c.text("Référence").unwrap_or_default(),
                c.date("Effet le"),
                c.order(),
            );
            groups.entry(key).or_default().push(row);
        }
        for ((reference, on, _), rows) in groups {
            let mut c = self.cells(s.spec, rows[0]);
            let found = self.action_id(&mut c);
            let mut amended = ActionAmended::default();
            for row in &rows {
                let mut f = self.cells(s.spec, row);
                let field = f.need_text("Champ").unwrap_or_default();
                let value = f.text("Nouvelle valeur").unwrap_or_default();
                let v = "Nouvelle valeur";
                let bad = |f: &mut Cells<'_>, what: &str| {
                    f.err(v, format!("« {value} » : {what} attendu"))
                };
                match field.as_str() {
                    "Titre" => amended.title = f.value(v, Title::parse("titre", &value)),
                    "Résumé" => amended.summary = f.value(v, Narrative::parse("résumé", &value)),
                    "Axe" => amended.axis = f.value(v, AxisCode::parse(&value)),
                    "Axes secondaires" => {
                        amended.secondary_axes = split_list(&value).iter().map(|a| f.value(v, AxisCode::parse(a))).collect();
                    }
                    "Publics" => {
                        amended.publics = split_list(&value).iter().map(|p| f.choose(v, p, PublicKind::ALL, PublicKind::label)).collect();
                    }
                    "QPV" => amended.qpv = split_list(&value).iter().map(|q| f.value(v, Name::parse("QPV", q))).collect(),
                    "Début" | "Fin" => match parse_date_text(&value) {
                        Some(d) if field == "Début" => amended.period_start = Some(d),
                        Some(d) => amended.period_end = Some(d),
                        None => bad(&mut f, "une date jj/mm/aaaa"),
                    },
                    "Coût total" => match parse_money_text(&value).and_then(Money::from_cents) {
                        Some(m) => amended.total_cost = Some(m),
                        None => bad(&mut f, "un montant"),
                    },
                    "Demandes" => {
                        let mut lines = Vec::new();
                        for item in split_list(&value) {
                            let line = item.split_once('=').and_then(|(funder, amount)| {
                                Some(MoneyLine::new(FunderId::parse(funder.trim()).ok()?, Money::from_cents(parse_money_text(amount)?)?))
                            });
                            match line {
                                Some(l) => lines.push(l),
                                None => bad(&mut f, "« financeur = montant »"),
                            }
                        }
                        amended.requested = Some(lines);
                    }
                    "Indicateurs" => {
                        let mut defs = Vec::new();
                        for item in split_list(&value) {
                            let parts: Vec<&str> = item.split('|').map(str::trim).collect();
                            let def = (parts.len() == 3).then(|| {
                                Some(IndicatorDef {
                                    code: IndicatorCode::parse(parts[0]).ok()?,
                                    label: Title::parse("libellé", parts[1]).ok()?,
                                    target: if parts[2].is_empty() { None } else { Some(parts[2].replace(',', ".").parse().ok()?) },
                                })
                            });
                            match def.flatten() {
                                Some(d) => defs.push(d),
                                None => bad(&mut f, "« code | libellé | cible »"),
                            }
                        }
                        amended.indicators = Some(defs);
                    }
                    other => f.err("Champ", format!("« {other} » n'est pas un champ modifiable (Titre, Résumé, Axe, Axes secondaires, Publics, QPV, Début, Fin, Coût total, Demandes, Indicateurs)")),
                }
                c.errors.append(&mut f.errors);
            }
            let step = found.clone().map(|(_, action)| {
                Step::Action(
                    action,
                    Command {
                        command: ActionCommand::AmendAction(amended),
                        effective_on: on,
                    },
                )
            });
            let d = on.map(|d| d.to_string()).unwrap_or_default();
            self.push(
                c,
                format!("modification:{reference}:{d}"),
                on,
                rank::PROPOSAL + 1,
                step,
            );
        }
    }
}
