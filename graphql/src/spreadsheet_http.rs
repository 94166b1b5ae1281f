//! The spreadsheets over HTTP, for the page (authentication as for GraphQL: `Authorization:
//! Bearer <token>`; errors are French JSON of the GraphQL shape):
//!
//! - `GET /spreadsheet/template`: the template, empty (any token);
//! - `GET /spreadsheet/export?programme=P[&year=Y][&asOf=DATE]`: the register in the template
//!   (roles that read everything: ADMIN, PILOT, COORDINATOR, EVALUATOR);
//! - `POST /spreadsheet/import?programme=P&dryRun=true|false`, the file as the body and its
//!   name in `X-File-Name`: the import with the token's own permissions, row by row; the answer
//!   is the report (JSON), the same for a dry run and a real one;
//! - `POST /spreadsheet/table`: a table of the page (JSON) back as a one-sheet `.xlsx`.

use crate::auth::{self, Viewer};
use crate::error::ApiError;
use crate::server::{Server, error_response};
use crate::spreadsheet::{self, ExportRequest, ImportOptions, Importer, SheetFormat, Table};
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use domain::values::ProgrammeId;

fn viewer(server: &Server, headers: &HeaderMap) -> Result<Viewer, Box<Response>> {
    auth::authenticate_with_header(&server.state, headers)
        .map_err(|e| Box::new(error_response(auth::status_of(&e), ApiError::from(e))))
}

/// The token's viewer and the programme of the request, which it must be allowed to read.
fn viewer_of_programme(
    server: &Server,
    headers: &HeaderMap,
    text: Option<&str>,
) -> Result<(Viewer, ProgrammeId), Box<Response>> {
    let viewer = viewer(server, headers)?;
    let programme = programme(text, &viewer)?;
    Ok((viewer, programme))
}

fn programme(text: Option<&str>, viewer: &Viewer) -> Result<ProgrammeId, Box<Response>> {
    let text = text.ok_or_else(|| {
        error_response(
            StatusCode::BAD_REQUEST,
            ApiError::validation("Le paramètre « programme » manque."),
        )
    })?;
    let id = ProgrammeId::parse(text).map_err(|e| {
        error_response(
            StatusCode::BAD_REQUEST,
            ApiError::validation(format!("programme : {}", e.problem)),
        )
    })?;
    viewer
        .require_programme(&id)
        .map_err(|e| error_response(StatusCode::FORBIDDEN, e))?;
    Ok(id)
}

fn workbook(bytes: Vec<u8>, filename: &str, format: SheetFormat) -> Response {
    let mut response = (StatusCode::OK, bytes).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(format.media_type()),
    );
    if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{filename}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    response
}

fn failed(message: String) -> Response {
    error_response(StatusCode::INTERNAL_SERVER_ERROR, ApiError::bug(message))
}

pub(crate) async fn template(State(server): State<Server>, headers: HeaderMap) -> Response {
    if let Err(response) = viewer(&server, &headers) {
        return *response;
    }
    match spreadsheet::template_xlsx() {
        Ok(bytes) => workbook(bytes, "chronique-modele.xlsx", SheetFormat::Xlsx),
        Err(e) => failed(e),
    }
}

#[derive(Debug, serde::Deserialize)]
pub(crate) struct ExportQuery {
    programme: Option<String>,
    year: Option<i32>,
    #[serde(rename = "asOf")]
    as_of: Option<chrono::NaiveDate>,
    /// `xlsx` (the default) or `ods`.
    #[serde(default)]
    format: SheetFormat,
}

pub(crate) async fn export(
    State(server): State<Server>,
    headers: HeaderMap,
    Query(query): Query<ExportQuery>,
) -> Response {
    let (viewer, programme) =
        match viewer_of_programme(&server, &headers, query.programme.as_deref()) {
            Ok(found) => found,
            Err(r) => return *r,
        };
    if !domain::permissions::sees_everything(&viewer.actor) {
        return error_response(
            StatusCode::FORBIDDEN,
            ApiError::forbidden(format!(
                "Le registre complet n'est exporté que pour l'administration, le pilotage, la coordination et l'évaluation ; ce jeton a le rôle « {} ».",
                viewer.role().label()
            )),
        );
    }
    let log = server.state.log.clone();
    let request = ExportRequest {
        programme: programme.clone(),
        year: query.year,
        as_of: query.as_of,
        format: query.format,
    };
    match tokio::task::spawn_blocking(move || spreadsheet::export_register(&log, &request)).await {
        Ok(Ok(exported)) => workbook(
            exported.bytes,
            &format!("registre-{programme}.{}", query.format.extension()),
            query.format,
        ),
        Ok(Err(e)) => error_response(StatusCode::NOT_FOUND, ApiError::not_found(e)),
        Err(e) => failed(e.to_string()),
    }
}

#[derive(Debug, serde::Deserialize)]
pub(crate) struct ImportQuery {
    programme: Option<String>,
    #[serde(rename = "dryRun", default)]
    dry_run: bool,
}

pub(crate) async fn import(
    State(server): State<Server>,
    headers: HeaderMap,
    Query(query): Query<ImportQuery>,
    body: Bytes,
) -> Response {
    let (viewer, programme) =
        match viewer_of_programme(&server, &headers, query.programme.as_deref()) {
            Ok(found) => found,
            Err(r) => return *r,
        };
    let service = match server.state.commands() {
        Ok(s) => s,
        Err(e) => return error_response(StatusCode::INTERNAL_SERVER_ERROR, e),
    };
    let name = headers
        .get("x-file-name")
        .and_then(|v| v.to_str().ok())
        .map(percent_decoded)
        .unwrap_or_else(|| "tableur".to_owned());
    let workbook =
        match tokio::task::spawn_blocking(move || spreadsheet::read_workbook(&name, &body)).await {
            Ok(Ok(w)) => w,
            Ok(Err(e)) => {
                return error_response(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    ApiError::validation(e.to_string()),
                );
            }
            Err(e) => return failed(e.to_string()),
        };
    let options = ImportOptions {
        programme,
        dry_run: query.dry_run,
        importer: Importer::Person(viewer.issuer()),
    };
    tracing::info!(token = %viewer.token_id, dry_run = query.dry_run, "spreadsheet import over HTTP");
    match spreadsheet::import_workbook(&service, &workbook, &options).await {
        Ok(report) => axum::Json(report).into_response(),
        Err(e) => failed(e),
    }
}

pub(crate) async fn table(
    State(server): State<Server>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(response) = viewer(&server, &headers) {
        return *response;
    }
    let table: Table = match serde_json::from_slice(&body) {
        Ok(t) => t,
        Err(e) => {
            return error_response(
                StatusCode::BAD_REQUEST,
                ApiError::validation(format!("tableau illisible : {e}")),
            );
        }
    };
    let format = table.format;
    let name = format!(
        "{}.{}",
        table
            .title
            .replace(|c: char| !c.is_alphanumeric() && c != '-', "_"),
        format.extension()
    );
    match tokio::task::spawn_blocking(move || spreadsheet::table_workbook(&table)).await {
        Ok(Ok(bytes)) => workbook(bytes, &name, format),
        Ok(Err(e)) => failed(e),
        Err(e) => failed(e.to_string()),
    }
}

/// `X-File-Name` as the page sends it (percent-encoded UTF-8), decoded.
fn percent_decoded(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (
            bytes[i],
            bytes.get(i + 1).copied().and_then(hex),
            bytes.get(i + 2).copied().and_then(hex),
        ) {
            (b'%', Some(h), Some(l)) => {
                out.push((h * 16 + l) as u8);
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}
