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

/// The two formats written: `.xlsx` (rust_xlsxwriter) and `.ods` (spreadsheet-ods).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SheetFormat {
    #[default]
    Xlsx,
    Ods,
}

impl SheetFormat {
    pub fn extension(self) -> &'static str {
        match self {
            SheetFormat::Xlsx => "xlsx",
            SheetFormat::Ods => "ods",
        }
    }
    pub fn media_type(self) -> &'static str {
        match self {
            SheetFormat::Xlsx => {
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            }
            SheetFormat::Ods => "application/vnd.oasis.opendocument.spreadsheet",
        }
    }
}

/// What the workbooks are written through, whatever the format.
trait Grid {
    /// Starts a new sheet; `note` is its page header.
    fn sheet(&mut self, name: &str, note: &str) -> Result<(), String>;
    /// A header cell (bold, wrapped).
    fn header(&mut self, row: u32, col: u16, text: &str) -> Result<(), String>;
    fn cell(&mut self, row: u32, col: u16, value: &Out) -> Result<(), String>;
    /// A column's width, in characters.
    fn width(&mut self, col: u16, chars: f64) -> Result<(), String>;
    /// Keeps the first `rows` rows in view.
    fn freeze(&mut self, rows: u32) -> Result<(), String>;
    fn finish(self: Box<Self>) -> Result<Vec<u8>, String>;
}

fn grid(format: SheetFormat) -> Box<dyn Grid> {
    match format {
        SheetFormat::Xlsx => Box::new(XlsxGrid::new()),
        SheetFormat::Ods => Box::new(OdsGrid::new()),
    }
}

fn xlsx_error(e: XlsxError) -> String {
    format!("le classeur n'a pas pu être écrit ({e})")
}

struct XlsxGrid {
    book: Workbook,
    header: Format,
    money: Format,
    date: Format,
    percent: Format,
}

impl XlsxGrid {
    fn new() -> XlsxGrid {
        XlsxGrid {
            book: Workbook::new(),
            header: Format::new().set_bold().set_text_wrap(),
            money: Format::new().set_num_format(MONEY),
            date: Format::new().set_num_format(DATE),
            percent: Format::new().set_num_format("0.0%"),
        }
    }
    fn current(&mut self) -> Result<&mut Worksheet, String> {
        let n = self.book.worksheets().len();
        self.book
            .worksheet_from_index(n.saturating_sub(1))
            .map_err(xlsx_error)
    }
}

impl Grid for XlsxGrid {
    fn sheet(&mut self, name: &str, note: &str) -> Result<(), String> {
        let sheet = self.book.add_worksheet();
        sheet.set_name(name).map_err(xlsx_error)?;
        // `&` starts a code in a page header: doubled, it is printed.
        sheet.set_header(format!("&L{}", note.replace('&', "&&")));
        Ok(())
    }
    fn header(&mut self, row: u32, col: u16, text: &str) -> Result<(), String> {
        let format = self.header.clone();
        self.current()?
            .write_string_with_format(row, col, text, &format)
            .map_err(xlsx_error)?;
        Ok(())
    }
    fn cell(&mut self, row: u32, col: u16, value: &Out) -> Result<(), String> {
        let (money, date, percent) = (self.money.clone(), self.date.clone(), self.percent.clone());
        let sheet = self.current()?;
        match value {
            Out::Empty => {}
            Out::Text(s) => {
                sheet.write_string(row, col, s).map_err(xlsx_error)?;
            }
            Out::Money(cents) => {
                sheet
                    .write_number_with_format(row, col, *cents as f64 / 100.0, &money)
                    .map_err(xlsx_error)?;
            }
            Out::Int(i) => {
                sheet
                    .write_number(row, col, *i as f64)
                    .map_err(xlsx_error)?;
            }
            Out::Number(n) => {
                sheet.write_number(row, col, *n).map_err(xlsx_error)?;
            }
            Out::Percent(p) => {
                sheet
                    .write_number_with_format(row, col, *p, &percent)
                    .map_err(xlsx_error)?;
            }
            Out::Date(d) => {
                use chrono::Datelike;
                let day = ExcelDateTime::from_ymd(d.year() as u16, d.month() as u8, d.day() as u8)
                    .map_err(xlsx_error)?;
                sheet
                    .write_datetime_with_format(row, col, &day, &date)
                    .map_err(xlsx_error)?;
            }
        }
        Ok(())
    }
    fn width(&mut self, col: u16, chars: f64) -> Result<(), String> {
        self.current()?
            .set_column_width(col, chars)
            .map_err(xlsx_error)?;
        Ok(())
    }
    fn freeze(&mut self, rows: u32) -> Result<(), String> {
        self.current()?
            .set_freeze_panes(rows, 0)
            .map_err(xlsx_error)?;
        Ok(())
    }
    fn finish(mut self: Box<Self>) -> Result<Vec<u8>, String> {
        self.book.save_to_buffer().map_err(xlsx_error)
    }
}

struct OdsGrid {
    book: spreadsheet_ods::WorkBook,
    sheet: Option<spreadsheet_ods::Sheet>,
    money: spreadsheet_ods::CellStyleRef,
    date: spreadsheet_ods::CellStyleRef,
}

impl OdsGrid {
    fn new() -> OdsGrid {
        use spreadsheet_ods::format::{create_currency_suffix, create_date_dmy_format};
        use spreadsheet_ods::{CellStyle, WorkBook};
        let mut book = WorkBook::new_empty();
        let euros = book.add_currency_format(create_currency_suffix(
            "euros",
            icu_locale_core::locale!("fr-FR"),
            "€",
        ));
        let money = book.add_cellstyle(CellStyle::new("montant", &euros));
        let day = book.add_datetime_format(create_date_dmy_format("jour"));
        let date = book.add_cellstyle(CellStyle::new("date", &day));
        OdsGrid {
            book,
            sheet: None,
            money,
            date,
        }
    }
    fn current(&mut self) -> Result<&mut spreadsheet_ods::Sheet, String> {
        self.sheet
            .as_mut()
            .ok_or_else(|| "aucune feuille commencée".to_owned())
    }
}

impl Grid for OdsGrid {
    fn sheet(&mut self, name: &str, _note: &str) -> Result<(), String> {
        if let Some(done) = self.sheet.take() {
            self.book.push_sheet(done);
        }
        self.sheet = Some(spreadsheet_ods::Sheet::new(name));
        Ok(())
    }
    fn header(&mut self, row: u32, col: u16, text: &str) -> Result<(), String> {
        self.current()?.set_value(row, col.into(), text);
        Ok(())
    }
    fn cell(&mut self, row: u32, col: u16, value: &Out) -> Result<(), String> {
        use spreadsheet_ods::Value;
        let (money, date) = (self.money.clone(), self.date.clone());
        let sheet = self.current()?;
        let col = u32::from(col);
        match value {
            Out::Empty => {}
            Out::Text(s) => sheet.set_value(row, col, s.as_str()),
            Out::Money(cents) => sheet.set_styled_value(
                row,
                col,
                Value::Currency(*cents as f64 / 100.0, "EUR".into()),
                &money,
            ),
            Out::Int(i) => sheet.set_value(row, col, *i as f64),
            Out::Number(n) | Out::Percent(n) => sheet.set_value(row, col, *n),
            Out::Date(d) => sheet.set_styled_value(row, col, *d, &date),
        }
        Ok(())
    }
    fn width(&mut self, col: u16, chars: f64) -> Result<(), String> {
        self.current()?
            .set_col_width(col.into(), spreadsheet_ods::Length::Cm(chars * 0.21));
        Ok(())
    }
    fn freeze(&mut self, rows: u32) -> Result<(), String> {
        if rows > 0 {
            self.current()?.split_row_header(rows - 1);
        }
        Ok(())
    }
    fn finish(mut self: Box<Self>) -> Result<Vec<u8>, String> {
        if let Some(done) = self.sheet.take() {
            self.book.push_sheet(done);
        }
        spreadsheet_ods::write_ods_buf(&mut self.book, Vec::new())
            .map_err(|e| format!("le classeur .ods n'a pas pu être écrit ({e})"))
    }
}

/// The workbook of the template filled with `rows` (empty: the template itself), each sheet
/// headed by `note`.
pub fn export_workbook(
    rows: Option<&Rows>,
    note: &str,
    format: SheetFormat,
) -> Result<Vec<u8>, String> {
    let mut g = grid(format);
    for spec in SHEETS {
        g.sheet(spec.name, note)?;
        for (c, column) in spec.columns.iter().enumerate() {
            let c = c as u16;
            g.header(0, c, column.header)?;
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
            g.width(c, width)?;
        }
        g.freeze(1)?;
        if let Some(rows) = rows.and_then(|r| r.sheets.get(spec.name)) {
            for (r, row) in rows.iter().enumerate() {
                for (c, value) in row.iter().enumerate() {
                    g.cell(r as u32 + 1, c as u16, value)?;
                }
            }
        }
    }
    notice(g.as_mut(), note)?;
    g.finish()
}

/// The template, empty, with its « Notice ».
pub fn template_xlsx() -> Result<Vec<u8>, String> {
    export_workbook(
        None,
        "Modèle de tableau de suivi de Chronique (vide)",
        SheetFormat::Xlsx,
    )
}

/// The « Notice » sheet: what each sheet records and what each column holds.
fn notice(g: &mut dyn Grid, note: &str) -> Result<(), String> {
    g.sheet("Notice", note)?;
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
        g.header(0, c as u16, h)?;
    }
    for (r, (a, b, c)) in lines.into_iter().enumerate() {
        let r = r as u32 + 1;
        g.cell(r, 0, &Out::Text(a))?;
        g.cell(r, 1, &Out::Text(b))?;
        g.cell(r, 2, &Out::Text(c))?;
    }
    g.width(0, 16.0)?;
    g.width(1, 22.0)?;
    g.width(2, 100.0)?;
    g.freeze(1)
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
    /// `xlsx` (the default) or `ods`.
    #[serde(default)]
    pub format: SheetFormat,
}

/// `table` as a one-sheet workbook, in its format.
pub fn table_workbook(table: &Table) -> Result<Vec<u8>, String> {
    let mut g = grid(table.format);
    let name: String = table
        .title
        .chars()
        .filter(|c| !matches!(c, '[' | ']' | ':' | '*' | '?' | '/' | '\\'))
        .take(31)
        .collect();
    g.sheet(
        if name.trim().is_empty() {
            "Tableau"
        } else {
            &name
        },
        &table.note,
    )?;
    g.cell(0, 0, &Out::Text(table.note.clone()))?;
    for (c, column) in table.columns.iter().enumerate() {
        let c = c as u16;
        g.header(1, c, &column.label)?;
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
        g.width(c, (longest as f64 + 2.0).clamp(10.0, 60.0))?;
    }
    g.freeze(2)?;
    for (r, row) in table.rows.iter().enumerate() {
        for (c, (value, column)) in row.iter().zip(&table.columns).enumerate() {
            let number = value
                .as_f64()
                .or_else(|| value.as_str().and_then(|s| s.parse::<f64>().ok()));
            let out = match (column.kind, value, number) {
                (_, serde_json::Value::Null, _) => Out::Empty,
                (TableKind::Money, _, Some(n)) => Out::Money(n.round() as i64),
                (TableKind::Permille, _, Some(n)) => Out::Percent(n / 1000.0),
                (TableKind::Number, _, Some(n)) => Out::Number(n),
                (TableKind::Date, serde_json::Value::String(s), _) => {
                    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
                        .map_or_else(|_| Out::Text(s.clone()), Out::Date)
                }
                (_, serde_json::Value::String(s), _) => Out::Text(s.clone()),
                (_, other, _) => Out::Text(other.to_string()),
            };
            g.cell(r as u32 + 2, c as u16, &out)?;
        }
    }
    g.finish()
}
