//! A file as sheets of cells: `.xlsx` and `.ods` through calamine, `.csv` through the csv
//! crate (UTF-8 with or without BOM, `;` or `,`). Each sheet of the template is found by its
//! name (a CSV by its header row), its columns by their headers.

use super::{
    CellError, ColKind, MAX_FILE_BYTES, MAX_ROWS, SHEETS, SheetSpec, SpreadsheetError, Value,
};
use calamine::{Data, Reader, Sheets};
use chrono::NaiveDate;
use std::io::Cursor;

/// The sheets of the template found in a file.
#[derive(Debug)]
pub struct Workbook {
    pub sheets: Vec<SheetData>,
    /// A CSV file: dates and amounts are text, read as French people write them.
    pub from_csv: bool,
}

#[derive(Debug)]
pub struct SheetData {
    pub spec: &'static SheetSpec,
    pub rows: Vec<RowData>,
}

/// One row of a sheet, its values in the order of the template's columns.
#[derive(Debug)]
pub struct RowData {
    /// The row's number in the spreadsheet (the header is row 1).
    pub line: usize,
    pub values: Vec<Value>,
}

impl Workbook {
    pub fn sheet(&self, name: &str) -> Option<&SheetData> {
        self.sheets.iter().find(|s| s.spec.name == name)
    }
}

fn file_error(message: impl Into<String>) -> SpreadsheetError {
    SpreadsheetError::File(message.into())
}

/// Reads `bytes` (the file named `name`) as a workbook of the template.
pub fn read_workbook(name: &str, bytes: &[u8]) -> Result<Workbook, SpreadsheetError> {
    if bytes.len() > MAX_FILE_BYTES {
        return Err(file_error(format!(
            "le fichier « {name} » fait {} Mo : la limite est de {} Mo",
            bytes.len() / (1024 * 1024),
            MAX_FILE_BYTES / (1024 * 1024)
        )));
    }
    let lower = name.to_lowercase();
    let zipped = bytes.starts_with(b"PK\x03\x04");
    let workbook = if zipped {
        read_zipped(name, bytes)?
    } else if lower.ends_with(".xlsx") || lower.ends_with(".ods") || lower.ends_with(".xls") {
        return Err(file_error(format!(
            "« {name} » n'est pas un classeur : son contenu n'est ni du .xlsx ni du .ods"
        )));
    } else {
        read_csv(name, bytes)?
    };
    let rows: usize = workbook.sheets.iter().map(|s| s.rows.len()).sum();
    if rows > MAX_ROWS {
        return Err(file_error(format!(
            "le fichier « {name} » a {rows} lignes : la limite est de {MAX_ROWS}"
        )));
    }
    if workbook.sheets.is_empty() {
        return Err(file_error(format!(
            "« {name} » ne contient aucune feuille du modèle de Chronique ({}) : partez du modèle (`chronique spreadsheet template`)",
            SHEETS.iter().map(|s| s.name).collect::<Vec<_>>().join(", ")
        )));
    }
    Ok(workbook)
}

fn read_zipped(name: &str, bytes: &[u8]) -> Result<Workbook, SpreadsheetError> {
    let mut book = calamine::open_workbook_auto_from_rs(Cursor::new(bytes.to_vec()))
        .map_err(|e| file_error(format!("« {name} » n'est pas un classeur lisible ({e})")))?;
    let mut sheets = Vec::new();
    let mut errors = Vec::new();
    for sheet_name in book.sheet_names() {
        let Some(spec) = SHEETS.iter().find(|s| s.name == sheet_name.trim()) else {
            continue;
        };
        let range = book
            .worksheet_range(&sheet_name)
            .map_err(|e| file_error(format!("la feuille « {sheet_name} » est illisible ({e})")))?;
        // A merged cell hides its neighbours' values: refused where it touches data.
        if let Sheets::Xlsx(xlsx) = &mut book
            && let Some(Ok(merges)) = xlsx.worksheet_merge_cells(&sheet_name)
        {
            for m in merges {
                errors.push(CellError {
                    sheet: spec.name.to_owned(),
                    row: Some(m.start.0 as usize + 1),
                    column: None,
                    message: format!(
                        "des cellules sont fusionnées ({}) : défusionnez-les, une valeur par cellule",
                        cell_name(m.start)
                    ),
                });
            }
        }
        let (top, left) = range.start().unwrap_or((0, 0));
        let grid: Vec<Vec<Value>> = range
            .rows()
            .map(|row| row.iter().map(value_of).collect())
            .collect();
        match sheet_of(spec, grid, top as usize, left as usize) {
            Ok(sheet) => sheets.push(sheet),
            Err(e) => errors.push(e),
        }
    }
    if errors.is_empty() {
        Ok(Workbook {
            sheets,
            from_csv: false,
        })
    } else {
        Err(SpreadsheetError::Cells(errors))
    }
}

fn cell_name((row, col): (u32, u32)) -> String {
    let mut letters = String::new();
    let mut n = col + 1;
    while n > 0 {
        let r = (n - 1) % 26;
        letters.insert(0, (b'A' + r as u8) as char);
        n = (n - 1) / 26;
    }
    format!("{letters}{}", row + 1)
}

fn value_of(data: &Data) -> Value {
    match data {
        Data::Empty => Value::Empty,
        Data::String(s) => Value::Text(s.clone()),
        Data::Int(i) => Value::Number(*i as f64),
        Data::Float(f) => Value::Number(*f),
        Data::Bool(b) => Value::Bool(*b),
        Data::DateTime(d) => excel_date(d.as_f64()).map_or_else(
            || Value::Invalid(format!("date hors limites ({})", d.as_f64())),
            Value::Date,
        ),
        Data::DateTimeIso(s) => NaiveDate::parse_from_str(&s[..s.len().min(10)], "%Y-%m-%d")
            .map_or_else(
                |_| Value::Invalid(format!("date illisible ({s})")),
                Value::Date,
            ),
        Data::DurationIso(s) => Value::Invalid(format!("durée au lieu d'une valeur ({s})")),
        Data::Error(e) => Value::Invalid(format!("erreur de formule ({e})")),
    }
}

/// A spreadsheet's serial date (days since 30 December 1899).
fn excel_date(serial: f64) -> Option<NaiveDate> {
    let epoch = NaiveDate::from_ymd_opt(1899, 12, 30)?;
    let days = serial.floor();
    if !(1.0..=2_958_465.0).contains(&days) {
        return None;
    }
    epoch.checked_add_days(chrono::Days::new(days as u64))
}

/// The rows of `spec` from a grid whose first row is the header, found at (`top`, `left`).
fn sheet_of(
    spec: &'static SheetSpec,
    grid: Vec<Vec<Value>>,
    top: usize,
    left: usize,
) -> Result<SheetData, CellError> {
    let mut rows = grid.into_iter();
    let header: Vec<String> = rows
        .next()
        .unwrap_or_default()
        .into_iter()
        .map(|v| match v {
            Value::Text(t) => t.trim().to_owned(),
            _ => String::new(),
        })
        .collect();
    let mut places = Vec::with_capacity(spec.columns.len());
    for column in spec.columns {
        match header.iter().position(|h| h == column.header) {
            Some(i) => places.push(Some(i)),
            None if column.optional => places.push(None),
            None => {
                return Err(CellError {
                    sheet: spec.name.to_owned(),
                    row: Some(top + 1),
                    column: Some(column.header.to_owned()),
                    message: "colonne manquante dans la ligne d'en-tête".to_owned(),
                });
            }
        }
    }
    let data = rows
        .enumerate()
        .map(|(i, row)| RowData {
            line: top + i + 2,
            values: places
                .iter()
                .map(|p| p.and_then(|p| row.get(p).cloned()).unwrap_or(Value::Empty))
                .collect(),
        })
        .filter(|r| !r.values.iter().all(Value::is_empty))
        .collect();
    let _ = left;
    Ok(SheetData { spec, rows: data })
}

fn read_csv(name: &str, bytes: &[u8]) -> Result<Workbook, SpreadsheetError> {
    let text = std::str::from_utf8(bytes).map_err(|_| {
        file_error(format!(
            "« {name} » n'est ni un classeur ni un CSV en UTF-8 : enregistrez-le en .xlsx, .ods ou CSV UTF-8"
        ))
    })?;
    let text = text.strip_prefix('\u{FEFF}').unwrap_or(text);
    let first = text.lines().next().unwrap_or_default();
    let delimiter = if first.matches(';').count() >= first.matches(',').count() {
        b';'
    } else {
        b','
    };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut grid = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| file_error(format!("« {name} » : CSV illisible ({e})")))?;
        grid.push(
            record
                .iter()
                .map(|s| Value::Text(s.to_owned()))
                .collect::<Vec<_>>(),
        );
    }
    let header: Vec<String> = grid
        .first()
        .map(|r| {
            r.iter()
                .map(|v| match v {
                    Value::Text(t) => t.trim().to_owned(),
                    _ => String::new(),
                })
                .collect()
        })
        .unwrap_or_default();
    // A CSV is one sheet: the one whose first column heads it and whose headers it has most.
    let spec = SHEETS
        .iter()
        .filter(|s| header.first().map(String::as_str) == Some(s.columns[0].header))
        .max_by_key(|s| s.columns.iter().filter(|c| header.iter().any(|h| h == c.header)).count())
        .ok_or_else(|| {
            file_error(format!(
                "« {name} » : la ligne d'en-tête ne correspond à aucune feuille du modèle (elle commence par « {} »)",
                header.first().map(String::as_str).unwrap_or("")
            ))
        })?;
    let sheet = sheet_of(spec, grid, 0, 0).map_err(|e| SpreadsheetError::Cells(vec![e]))?;
    Ok(Workbook {
        sheets: vec![sheet],
        from_csv: true,
    })
}

// ---------------------------------------------------------------------------------- cells

/// French money: « 12 000,50 », « 12000.5 », « 12 000 € » → cents.
pub fn parse_money_text(text: &str) -> Option<i64> {
    let raw: String = text
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '€' && *c != '\u{202F}' && *c != '\u{A0}')
        .collect();
    let (units, decimals) = match raw.split_once([',', '.']) {
        Some((u, d)) => (u, d),
        None => (raw.as_str(), ""),
    };
    if units.is_empty()
        || !units.chars().all(|c| c.is_ascii_digit())
        || decimals.len() > 2
        || !decimals.chars().all(|c| c.is_ascii_digit())
    {
        return None;
    }
    let units: i64 = units.parse().ok()?;
    let decimals: i64 = format!("{decimals:0<2}").parse().ok()?;
    units.checked_mul(100)?.checked_add(decimals)
}

/// « 14/03/2026 » or « 2026-03-14 ».
pub fn parse_date_text(text: &str) -> Option<NaiveDate> {
    let t = text.trim();
    NaiveDate::parse_from_str(t, "%d/%m/%Y")
        .or_else(|_| NaiveDate::parse_from_str(t, "%Y-%m-%d"))
        .ok()
}

/// A cell of `kind`, as the planner wants it; `Err` is the French reason.
pub fn typed(value: &Value, kind: ColKind, from_csv: bool) -> Result<Option<Typed>, String> {
    if value.is_empty() {
        return Ok(None);
    }
    match (kind, value) {
        (_, Value::Invalid(why)) => Err(why.clone()),
        (ColKind::Text, Value::Text(t)) => Ok(Some(Typed::Text(t.trim().to_owned()))),
        (ColKind::Text, Value::Number(n)) => Ok(Some(Typed::Text(number_text(*n)))),
        (ColKind::Text, Value::Bool(b)) => {
            Ok(Some(Typed::Text(if *b { "oui" } else { "non" }.to_owned())))
        }
        (ColKind::Text, Value::Date(d)) => Ok(Some(Typed::Text(d.to_string()))),
        (ColKind::Date, Value::Date(d)) => Ok(Some(Typed::Date(*d))),
        (ColKind::Date, Value::Text(t)) if from_csv => parse_date_text(t)
            .map(|d| Some(Typed::Date(d)))
            .ok_or_else(|| format!("« {t} » n'est pas une date (jj/mm/aaaa)")),
        (ColKind::Date, Value::Text(t)) => Err(format!(
            "« {t} » est une date saisie comme du texte : donnez à la cellule le format date"
        )),
        (ColKind::Date, _) => Err("une date est attendue".to_owned()),
        (ColKind::Money, Value::Number(n)) => {
            let cents = (n * 100.0).round();
            if (n * 100.0 - cents).abs() > 1e-6 {
                Err(format!("{} a plus de deux décimales", number_text(*n)))
            } else if !(0.0..=1e13).contains(&cents) {
                Err(format!("{} n'est pas un montant possible", number_text(*n)))
            } else {
                Ok(Some(Typed::Money(cents as i64)))
            }
        }
        (ColKind::Money, Value::Text(t)) => parse_money_text(t)
            .map(|c| Some(Typed::Money(c)))
            .ok_or_else(|| {
                format!("« {t} » n'est pas un montant en euros (par exemple 12 000,50)")
            }),
        (ColKind::Int, Value::Number(n)) if n.fract() == 0.0 => Ok(Some(Typed::Int(*n as i64))),
        (ColKind::Int, Value::Text(t)) => t
            .trim()
            .parse::<i64>()
            .map(|i| Some(Typed::Int(i)))
            .map_err(|_| format!("« {t} » n'est pas un nombre entier")),
        (ColKind::Number, Value::Number(n)) => Ok(Some(Typed::Number(*n))),
        (ColKind::Number, Value::Text(t)) => t
            .trim()
            .replace(',', ".")
            .parse::<f64>()
            .ok()
            .filter(|n| n.is_finite())
            .map(|n| Some(Typed::Number(n)))
            .ok_or_else(|| format!("« {t} » n'est pas un nombre")),
        _ => Err("valeur inattendue pour cette colonne".to_owned()),
    }
}

fn number_text(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        n.to_string()
    }
}

/// A cell's value in the type of its column.
#[derive(Debug, Clone, PartialEq)]
pub enum Typed {
    Text(String),
    Date(NaiveDate),
    Money(i64),
    Int(i64),
    Number(f64),
}
