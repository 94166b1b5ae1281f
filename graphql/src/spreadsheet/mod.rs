//! The cité's *tableau de suivi* as a workbook: the template Chronique reads and writes, the
//! import of a filled workbook as the commands a person would have given (each row through the
//! command service, `decide` and all), and the export of the register in the same workbook.
//!
//! One row is one fact of the register, in the sheet of its kind (the sheets and their columns
//! are [`SHEETS`]; `facts` maps each row to its command and each event back to its row). Rows
//! are applied in effective-date order; each row's command id is derived from its natural key,
//! so importing a file again writes only its new rows.

mod facts;
mod import;
mod read;
mod write;

pub use import::Importer;
pub use import::{ImportOptions, ImportReport, RowRefusal, SheetCount, import_workbook};
pub use read::{Workbook, read_workbook};
pub use write::{
    SheetFormat, Table, TableColumn, TableKind, export_workbook, table_workbook, template_xlsx,
};

use chrono::NaiveDate;

/// The limits of an imported file (issue « tableur »).
pub const MAX_FILE_BYTES: usize = 20 * 1024 * 1024;
pub const MAX_ROWS: usize = 20_000;

/// What a column holds, for reading and for the cell types written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColKind {
    Text,
    Date,
    /// Euros with two decimals, cents inside.
    Money,
    Int,
    Number,
}

#[derive(Debug)]
pub struct Col {
    pub header: &'static str,
    pub kind: ColKind,
    pub help: &'static str,
    /// A sheet typed by hand may leave this column out (it is then empty).
    pub optional: bool,
}

#[derive(Debug)]
pub struct SheetSpec {
    pub name: &'static str,
    pub columns: &'static [Col],
    /// What a row of this sheet records, for the « Notice » sheet.
    pub notice: &'static str,
}

impl SheetSpec {
    pub fn column(&self, header: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.header == header)
    }
}

const fn col(header: &'static str, kind: ColKind, help: &'static str) -> Col {
    Col {
        header,
        kind,
        help,
        optional: false,
    }
}

const fn opt(header: &'static str, kind: ColKind, help: &'static str) -> Col {
    Col {
        header,
        kind,
        help,
        optional: true,
    }
}

use ColKind::{Date as D, Int as I, Money as M, Number as N, Text as T};

/// The column every sheet ends with: the position of the fact in the register it was exported
/// from, to keep the order of facts of one day. Empty in rows typed by hand.
pub const ORDER: &str = "N° d'ordre";
/// The position of a payment's cancellation, on its payment's row.
pub const CANCEL_ORDER: &str = "N° d'ordre de l'annulation";

/// The sheets of the workbook, in their order.
pub static SHEETS: &[SheetSpec] = &[
    SheetSpec {
        name: "Paramètres",
        notice: "Le programme et ses réglages, un élément par ligne : Programme, Axe, Axe retiré, Financeur, Enveloppe, Révision d'enveloppe, Instance (composition), Territoire, Partenaire, Forme juridique, Sortie de partenaire, Séance, Séance tenue, Présents corrigés, Séance annulée, Revue de projet, Revue validée.",
        columns: &[
            col(
                "Élément",
                T,
                "Programme, Axe, Financeur, Enveloppe, Partenaire, Séance…",
            ),
            opt(
                "Identifiant",
                T,
                "programme, code d'axe, financeur, partenaire ou séance",
            ),
            opt("Nom", T, "nom, intitulé ou titre"),
            opt(
                "Nature",
                T,
                "objectif national, nature du financeur ou du partenaire, instance, partie de la revue",
            ),
            opt(
                "Précision",
                T,
                "payeur, forme juridique, référence, motif ou texte",
            ),
            opt("Exercice", I, "année"),
            opt("Montant", M, "en euros"),
            opt("Date", D, "date de la séance, de labellisation"),
            opt(
                "Liste",
                T,
                "communes, organisations, présents : séparés par « ; »",
            ),
            opt("QPV", T, "codes séparés par « ; »"),
            opt("Écoles", T, "UAI séparés par « ; »"),
            opt("Effet le", D, "date d'effet (aujourd'hui si vide)"),
            opt(ORDER, I, ""),
        ],
    },
    SheetSpec {
        name: "Actions",
        notice: "Une ligne par action proposée, avec ses montants demandés dans « Demandes » et ses indicateurs dans « Indicateurs ».",
        columns: &[
            col(
                "Référence",
                T,
                "2026-001 ; la suivante de l'exercice si vide",
            ),
            opt("Identifiant", T, "déduit de la référence si vide"),
            col("Titre", T, ""),
            col("Résumé", T, "sans donnée personnelle"),
            col("Porteur", T, "identifiant du partenaire"),
            col("Axe", T, "code de l'axe principal"),
            opt("Axes secondaires", T, "codes séparés par « ; »"),
            opt("Publics", T, "enfants et jeunes ; parents ; professionnels"),
            opt("QPV", T, "séparés par « ; »"),
            col("Exercice", I, ""),
            col("Début", D, ""),
            col("Fin", D, ""),
            col("Coût total", M, ""),
            opt("Reconduit", T, "référence de l'action reconduite"),
            opt("Références externes", T, "séparées par « ; »"),
            opt("Proposée le", D, "date d'effet"),
            opt(ORDER, I, ""),
        ],
    },
    SheetSpec {
        name: "Demandes",
        notice: "Les montants demandés par action et par financeur (avec la proposition).",
        columns: &[
            col("Référence", T, ""),
            col("Financeur", T, "identifiant"),
            col("Montant demandé", M, ""),
        ],
    },
    SheetSpec {
        name: "Indicateurs",
        notice: "Les indicateurs prévus par action (avec la proposition).",
        columns: &[
            col("Référence", T, ""),
            col("Code", T, ""),
            col("Libellé", T, ""),
            opt("Cible", N, ""),
        ],
    },
    SheetSpec {
        name: "Modifications",
        notice: "Les modifications d'une proposition avant la décision : une ligne par champ changé (Titre, Résumé, Axe, Axes secondaires, Publics, QPV, Début, Fin, Coût total, Demandes « financeur = montant ; … », Indicateurs « code | libellé | cible ; … »), les champs d'une même modification ayant la même date d'effet.",
        columns: &[
            col("Référence", T, ""),
            col("Champ", T, "Titre, Résumé, Axe, Coût total, Demandes…"),
            col("Nouvelle valeur", T, "dates jj/mm/aaaa, montants 12000,50"),
            col("Effet le", D, ""),
            opt(ORDER, I, ""),
        ],
    },
    SheetSpec {
        name: "Compléments",
        notice: "Compléments demandés (Éléments) ou fournis (Réponse) : une ligne par demande ou par réponse.",
        columns: &[
            col("Référence", T, ""),
            col("Mouvement", T, "demandés ou fournis"),
            opt("Éléments", T, "séparés par « ; »"),
            opt("Réponse", T, ""),
            opt("Effet le", D, ""),
            opt(ORDER, I, ""),
        ],
    },
    SheetSpec {
        name: "Avis",
        notice: "Les avis des COTECH et comités : une ligne par financeur proposé (une seule sans montant).",
        columns: &[
            col("Référence", T, ""),
            col("Séance", T, "identifiant"),
            col("Avis", T, "favorable, réservé, défavorable"),
            opt("Financeur", T, ""),
            opt("Montant proposé", M, ""),
            opt("Commentaire", T, ""),
            opt(ORDER, I, ""),
        ],
    },
    SheetSpec {
        name: "Décisions",
        notice: "Les décisions du COPIL et leurs révisions : une ligne par financeur retenu (une seule sans montant).",
        columns: &[
            col("Référence", T, ""),
            col("Séance", T, "identifiant du COPIL"),
            col("Décision", T, "retenue, ajournée, rejetée"),
            opt("Financeur", T, ""),
            opt("Montant retenu", M, ""),
            opt("Motif", T, ""),
            opt("Révision", T, "oui pour une révision"),
            opt(ORDER, I, ""),
        ],
    },
    SheetSpec {
        name: "Attributions",
        notice: "Les subventions attribuées (Montant) ou les financements refusés (Refus : motif).",
        columns: &[
            col("Référence", T, ""),
            col("Financeur", T, ""),
            col("Exercice", I, ""),
            col("Montant", M, ""),
            col("Acte", T, "convention, arrêté, délibération…"),
            col("Référence de l'acte", T, ""),
            col("Signé le", D, ""),
            opt("Refus", T, "motif d'un financement refusé"),
            opt("Effet le", D, "pour un refus"),
            opt(ORDER, I, ""),
        ],
    },
    SheetSpec {
        name: "Avenants",
        notice: "Les avenants : le nouveau montant d'une attribution (celle du financeur et de l'exercice), jamais sous ce qui est versé.",
        columns: &[
            col("Référence", T, ""),
            col("Financeur", T, ""),
            col("Exercice", I, "exercice de l'attribution"),
            col("Nouveau montant", M, ""),
            col("Référence de l'avenant", T, ""),
            col("Motif", T, ""),
            opt("Effet le", D, ""),
            opt(ORDER, I, ""),
        ],
    },
    SheetSpec {
        name: "Versements",
        notice: "Les versements ; un versement annulé garde sa ligne, avec la date et le motif de l'annulation.",
        columns: &[
            col("Référence", T, ""),
            col("Financeur", T, ""),
            col("Montant", M, ""),
            col("Nature", T, "avance, acompte, solde"),
            col("Versé le", D, ""),
            opt("Annulé le", D, ""),
            opt("Motif d'annulation", T, ""),
            opt(ORDER, I, ""),
            opt(CANCEL_ORDER, I, ""),
        ],
    },
    SheetSpec {
        name: "Étapes",
        notice: "Les étapes de la vie d'une action : démarrée, période modifiée, achevée, non réalisée, retirée, échéance reportée, bilan examiné, clôturée.",
        columns: &[
            col("Référence", T, ""),
            col("Étape", T, ""),
            opt("Date", D, "démarrée le, achevée le, nouvelle échéance"),
            opt("Début", D, "période modifiée"),
            opt("Fin", D, "période modifiée"),
            opt("Examen", T, "accepté ou refusé (bilan examiné)"),
            opt("Motif", T, "motif ou commentaire"),
            opt("Effet le", D, ""),
            opt(ORDER, I, ""),
        ],
    },
    SheetSpec {
        name: "Reversements",
        notice: "Reversements demandés, reçus ou dont la demande est annulée.",
        columns: &[
            col("Référence", T, ""),
            col("Financeur", T, ""),
            col("Mouvement", T, "demandé, reçu, demande annulée"),
            col("Montant", M, ""),
            opt("Motif", T, ""),
            opt("Effet le", D, "reçu le, pour un reversement reçu"),
            opt(ORDER, I, ""),
        ],
    },
    SheetSpec {
        name: "Bilans",
        notice: "Les bilans déposés, numérotés dans l'ordre de l'action (1, 2…), leurs bénéficiaires dans « Bénéficiaires ».",
        columns: &[
            col("Référence", T, ""),
            col("N°", I, "1 pour le premier bilan de l'action"),
            col("Bilan", T, "bilan intermédiaire ou bilan final"),
            col("Dépenses", M, ""),
            col("Synthèse", T, ""),
            opt("Déposé le", D, ""),
            opt(ORDER, I, ""),
        ],
    },
    SheetSpec {
        name: "Bénéficiaires",
        notice: "Les bénéficiaires de chaque bilan, par public, âge, sexe et résidence en QPV.",
        columns: &[
            col("Référence", T, ""),
            col("N°", I, "numéro du bilan"),
            col("Public", T, ""),
            col("Âge", T, "6 à 10 ans…"),
            col("Sexe", T, "féminin, masculin, non renseigné"),
            col("Résident QPV", T, "oui ou non"),
            col("Nombre", I, ""),
        ],
    },
    SheetSpec {
        name: "Mesures",
        notice: "Les mesures des indicateurs.",
        columns: &[
            col("Référence", T, ""),
            col("Indicateur", T, "code"),
            col("Valeur", N, ""),
            col("Mesuré le", D, ""),
            opt(ORDER, I, ""),
        ],
    },
    SheetSpec {
        name: "Évaluations",
        notice: "Les évaluations des actions.",
        columns: &[
            col("Référence", T, ""),
            col("Appréciation", T, "objectifs atteints…"),
            col("Constats", T, ""),
            col("Recommandation", T, "reconduire, ajuster, arrêter"),
            opt("Évaluée le", D, ""),
            opt(ORDER, I, ""),
        ],
    },
];

pub fn sheet(name: &str) -> Option<&'static SheetSpec> {
    SHEETS.iter().find(|s| s.name == name)
}

/// Where a problem is in a workbook, and what it is, in French.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CellError {
    pub sheet: String,
    /// The row as the spreadsheet numbers it (1 is the header row).
    pub row: Option<usize>,
    pub column: Option<String>,
    pub message: String,
}

impl std::fmt::Display for CellError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "feuille « {} »", self.sheet)?;
        if let Some(row) = self.row {
            write!(f, ", ligne {row}")?;
        }
        if let Some(column) = &self.column {
            write!(f, ", colonne « {column} »")?;
        }
        write!(f, " : {}", self.message)
    }
}

/// A file that cannot be read as a workbook at all, or a sheet or cell that is wrong.
#[derive(Debug, thiserror::Error)]
pub enum SpreadsheetError {
    #[error("{0}")]
    File(String),
    #[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
    Cells(Vec<CellError>),
}

/// A cell as read, whatever the file's format.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Empty,
    Text(String),
    Number(f64),
    Date(NaiveDate),
    Bool(bool),
    /// A formula error (#DIV/0!…) or a cell covered by a merge.
    Invalid(String),
}

impl Value {
    pub fn is_empty(&self) -> bool {
        match self {
            Value::Empty => true,
            Value::Text(t) => t.trim().is_empty(),
            _ => false,
        }
    }
}

/// What to export of the register.
#[derive(Debug, Clone)]
pub struct ExportRequest {
    pub programme: domain::values::ProgrammeId,
    /// Only the actions of this exercice (the programme's settings are always there).
    pub year: Option<i32>,
    /// Only the facts effective on or before this date (« tel que décidé »).
    pub as_of: Option<NaiveDate>,
    pub format: SheetFormat,
}

/// The register of one programme as the template's workbook, and the count of events no
/// sheet holds (by type; said to the user, never dropped silently).
pub struct Exported {
    pub bytes: Vec<u8>,
    pub left_out: std::collections::BTreeMap<&'static str, usize>,
    pub position: u64,
    pub rows: usize,
}

/// Writes the register of `request.programme` from `log`, in log order.
pub fn export_register(
    log: &eventlog::EventLog,
    request: &ExportRequest,
) -> Result<Exported, String> {
    use domain::events::{ActionEvent, DomainEvent};
    use domain::streams::StreamRef;
    let head = log.head();
    let mut rows = facts::Rows::default();
    let mut years = std::collections::HashMap::new();
    let mut found = false;
    for envelope in log.read_range(1, head.position) {
        let envelope = envelope.map_err(|e| format!("le registre n'a pas pu être lu ({e})"))?;
        let recorded = projections::recorded::RecordedEvent::from_envelope(&envelope)
            .map_err(|e| format!("un événement n'a pas pu être relu ({e})"))?;
        let programme = match &recorded.stream {
            StreamRef::Programme(p)
            | StreamRef::Partner(p, _)
            | StreamRef::Session(p, _)
            | StreamRef::Action(p, _) => p,
        };
        if programme != &request.programme {
            continue;
        }
        found = true;
        if request.as_of.is_some_and(|d| recorded.effective_on > d) {
            continue;
        }
        if let (StreamRef::Action(_, action), Some(year)) = (&recorded.stream, request.year) {
            if let DomainEvent::Action(ActionEvent::ActionProposed(p)) = &recorded.event {
                years.insert(action.clone(), p.year.get());
            }
            if years.get(action) != Some(&year) {
                continue;
            }
        }
        rows.add(&recorded);
    }
    if !found {
        return Err(format!(
            "le registre ne contient pas de programme « {} »",
            request.programme
        ));
    }
    let hash: String = head.hash.iter().map(|b| format!("{b:02x}")).collect();
    let mut note = format!("Cité éducative « {} » — ", request.programme);
    match request.as_of {
        Some(d) => note.push_str(&format!("état au {}, tel que décidé", domain::fr::date(d))),
        None => note.push_str("état du registre"),
    }
    if let Some(y) = request.year {
        note.push_str(&format!(", actions de l'exercice {y}"));
    }
    note.push_str(&format!(
        " — position {} du journal, empreinte {hash} (à vérifier : chronique verify --position {} --hash {hash}, ou la requête checkDocument)",
        head.position, head.position
    ));
    let n = rows.sheets.values().map(Vec::len).sum();
    let bytes = export_workbook(Some(&rows), &note, request.format)?;
    Ok(Exported {
        bytes,
        left_out: rows.left_out,
        position: head.position,
        rows: n,
    })
}
