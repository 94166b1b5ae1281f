//! Workbooks written with rust_xlsxwriter: the template (empty, with its « Notice »), the
//! register exported in it, and any table of the page as a sheet. Cells are typed (amounts
//! are numbers in euros with two decimals, dates are dates), headers are French and frozen,
//! columns have widths, and the page header of each sheet says which state of the register
//! it shows.

use super::facts::{Out, Rows};
use super::{ColKind, SHEETS};
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook, Worksheet, XlsxError};

const MONEY: &str = "#,##0.00\\ \"€\"";
const DATE: &str = "dd/mm/yyyy";

fn xlsx_error(e: XlsxError) -> String {
    format!("le classeur n'a pas pu être écrit ({e})")
}

struct Formats {
    header: Format,
    money: Format,
    date: Format,
    wrap: Format,
}

impl Formats {
    fn new() -> Formats {
        Formats {
            header: Format::new().set_bold().set_text_wrap(),
            money: Format::new().set_num_format(MONEY),
            date: Format::new().set_num_format(DATE),
            wrap: Format::new().set_text_wrap(),
        }
    }
}

/// A sheet's page header: « État au … » and the log position, printed on every page.
fn page_header(sheet: &mut Worksheet, note: &str) {
    // `&` starts a code in a page header: doubled, it is printed.
    sheet.set_header(format!("&L{}", note.replace('&', "&&")));
}

fn write_out(
    sheet: &mut Worksheet,
    f: &Formats,
    row: u32,
    col: u16,
    value: &Out,
) -> Result<(), XlsxError> {
    match value {
        Out::Empty => {}
        Out::Text(s) => {
            sheet.write_string(row, col, s)?;
        }
        Out::Money(cents) => {
            sheet.write_number_with_format(row, col, *cents as f64 / 100.0, &f.money)?;
        }
        Out::Int(i) => {
            sheet.write_number(row, col, *i as f64)?;
        }
        Out::Number(n) => {
            sheet.write_number(row, col, *n)?;
        }
        Out::Date(d) => {
            use chrono::Datelike;
            let date = ExcelDateTime::from_ymd(d.year() as u16, d.month() as u8, d.day() as u8)?;
            sheet.write_datetime_with_format(row, col, &date, &f.date)?;
        }
    }
    Ok(())
}

/// The workbook of the template filled with `rows` (empty: the template itself), each sheet
/// headed by `note`.
pub fn export_workbook(rows: Option<&Rows>, note: &str) -> Result<Vec<u8>, String> {
    let mut book = Workbook::new();
    let f = Formats::new();
    for spec in SHEETS {
        let sheet = book.add_worksheet();
        sheet.set_name(spec.name).map_err(xlsx_error)?;
        page_header(sheet, note);
        for (c, column) in spec.columns.iter().enumerate() {
            let c = c as u16;
            sheet
                .write_string_with_format(0, c, column.header, &f.header)
                .map_err(xlsx_error)?;
            let width = match column.kind {
                ColKind::Text
                    if matches!(
                        column.header,
                        "Résumé" | "Synthèse" | "Constats" | "Précision" | "Titre" | "Nom"
                    ) =>
                {
                    40.0
                }
                ColKind::Text => (column.header.chars().count() as f64 + 4.0).max(14.0),
                ColKind::Money => 16.0,
                ColKind::Date => 12.0,
                ColKind::Int | ColKind::Number => {
                    (column.header.chars().count() as f64 + 2.0).max(9.0)
                }
            };
            sheet.set_column_width(c, width).map_err(xlsx_error)?;
        }
        sheet.set_freeze_panes(1, 0).map_err(xlsx_error)?;
        if let Some(rows) = rows.and_then(|r| r.sheets.get(spec.name)) {
            for (r, row) in rows.iter().enumerate() {
                for (c, value) in row.iter().enumerate() {
                    write_out(sheet, &f, r as u32 + 1, c as u16, value).map_err(xlsx_error)?;
                }
            }
        }
    }
    notice(&mut book, &f, note)?;
    book.save_to_buffer().map_err(xlsx_error)
}

/// The template, empty, with its « Notice ».
pub fn template_xlsx() -> Result<Vec<u8>, String> {
    export_workbook(None, "Modèle de tableau de suivi de Chronique (vide)")
}

/// The « Notice » sheet: what each sheet records and what each column holds.
fn notice(book: &mut Workbook, f: &Formats, note: &str) -> Result<(), String> {
    let sheet = book.add_worksheet();
    sheet.set_name("Notice").map_err(xlsx_error)?;
    page_header(sheet, note);
    let lines: Vec<(String, String, String)> = std::iter::once((
        "Chronique".to_owned(),
        String::new(),
        format!("{note}. Une ligne = un fait du registre. Les montants sont en euros, les dates au format date. L'import applique les lignes dans l'ordre des dates d'effet, en passant par les règles du registre ; une ligne déjà importée n'est pas réécrite. La feuille « Notice » n'est pas lue."),
    ))
    .chain(SHEETS.iter().flat_map(|s| {
        std::iter::once((s.name.to_owned(), String::new(), s.notice.to_owned())).chain(
            s.columns
                .iter()
                .filter(|c| c.header != super::ORDER && c.header != super::CANCEL_ORDER)
                .map(|c| (String::new(), c.header.to_owned(), c.help.to_owned())),
        )
    }))
    .collect();
    for (c, h) in ["Feuille", "Colonne", "Contenu"].iter().enumerate() {
        sheet
            .write_string_with_format(0, c as u16, *h, &f.header)
            .map_err(xlsx_error)?;
    }
    for (r, (a, b, c)) in lines.iter().enumerate() {
        let r = r as u32 + 1;
        sheet.write_string(r, 0, a).map_err(xlsx_error)?;
        sheet.write_string(r, 1, b).map_err(xlsx_error)?;
        sheet
            .write_string_with_format(r, 2, c, &f.wrap)
            .map_err(xlsx_error)?;
    }
    sheet.set_column_width(0, 16).map_err(xlsx_error)?;
    sheet.set_column_width(1, 22).map_err(xlsx_error)?;
    sheet.set_column_width(2, 100).map_err(xlsx_error)?;
    sheet.set_freeze_panes(1, 0).map_err(xlsx_error)?;
    Ok(())
}

// ---------------------------------------------------------------------------------- tables

/// What a column of a page's table holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TableKind {
    Text,
    /// Cents.
    Money,
    /// `YYYY-MM-DD`.
    Date,
    Number,
    /// Per mille, written as a percentage.
    Permille,
}

#[derive(Debug, Clone, serde::Deserialize)]
pub struct TableColumn {
    pub label: String,
    pub kind: TableKind,
}

/// A table of the page, as it downloads it.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct Table {
    /// The sheet's name (31 characters at most are kept).
    pub title: String,
    /// « État au … », the log position: written above the table and in the page header.
    pub note: String,
    pub columns: Vec<TableColumn>,
    pub rows: Vec<Vec<serde_json::Value>>,
}

/// `table` as a one-sheet workbook.
pub fn table_xlsx(table: &Table) -> Result<Vec<u8>, String> {
    let mut book = Workbook::new();
    let f = Formats::new();
    let percent = Format::new().set_num_format("0.0%");
    let sheet = book.add_worksheet();
    let name: String = table
        .title
        .chars()
        .filter(|c| !matches!(c, '[' | ']' | ':' | '*' | '?' | '/' | '\\'))
        .take(31)
        .collect();
    sheet
        .set_name(if name.trim().is_empty() {
            "Tableau".to_owned()
        } else {
            name
        })
        .map_err(xlsx_error)?;
    page_header(sheet, &table.note);
    sheet.write_string(0, 0, &table.note).map_err(xlsx_error)?;
    for (c, column) in table.columns.iter().enumerate() {
        let c = c as u16;
        sheet
            .write_string_with_format(1, c, &column.label, &f.header)
            .map_err(xlsx_error)?;
        let longest = table
            .rows
            .iter()
            .filter_map(|r| r.get(c as usize))
            .map(|v| match v {
                serde_json::Value::String(s) => s.chars().count(),
                _ => 12,
            })
            .max()
            .unwrap_or(0)
            .max(column.label.chars().count());
        sheet
            .set_column_width(c, (longest as f64 + 2.0).clamp(10.0, 60.0))
            .map_err(xlsx_error)?;
    }
    sheet.set_freeze_panes(2, 0).map_err(xlsx_error)?;
    for (r, row) in table.rows.iter().enumerate() {
        let r = r as u32 + 2;
        for (c, (value, column)) in row.iter().zip(&table.columns).enumerate() {
            let c = c as u16;
            let number = value
                .as_f64()
                .or_else(|| value.as_str().and_then(|s| s.parse::<f64>().ok()));
            match (column.kind, value, number) {
                (_, serde_json::Value::Null, _) => {}
                (TableKind::Money, _, Some(n)) => {
                    sheet
                        .write_number_with_format(r, c, n / 100.0, &f.money)
                        .map_err(xlsx_error)?;
                }
                (TableKind::Permille, _, Some(n)) => {
                    sheet
                        .write_number_with_format(r, c, n / 1000.0, &percent)
                        .map_err(xlsx_error)?;
                }
                (TableKind::Number, _, Some(n)) => {
                    sheet.write_number(r, c, n).map_err(xlsx_error)?;
                }
                (TableKind::Date, serde_json::Value::String(s), _) => {
                    match chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d") {
                        Ok(d) => write_out(sheet, &f, r, c, &Out::Date(d)).map_err(xlsx_error)?,
                        Err(_) => {
                            sheet.write_string(r, c, s).map_err(xlsx_error)?;
                        }
                    }
                }
                (_, serde_json::Value::String(s), _) => {
                    sheet.write_string(r, c, s).map_err(xlsx_error)?;
                }
                (_, other, _) => {
                    sheet
                        .write_string(r, c, other.to_string())
                        .map_err(xlsx_error)?;
                }
            }
        }
    }
    book.save_to_buffer().map_err(xlsx_error)
}
