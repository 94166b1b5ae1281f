//! `chronique spreadsheet template|export|import`: the cité's tableau de suivi in and out.

use crate::run::{log_options, runtime};
use crate::store;
use anyhow::{Context, anyhow, bail};
use chrono::NaiveDate;
use domain::values::ProgrammeId;
use eventlog::StoreLocation;
use graphql::clock::Clock;
use graphql::commands::CommandService;
use graphql::metrics::Metrics;
use graphql::spreadsheet::{self, ExportRequest, ImportOptions, ImportReport, Importer};
use projections::runner::{Projector, ProjectorOptions};
use std::io::Write;
use std::path::Path;
use std::sync::Arc;

/// Writes `bytes` to `out`, or to standard output.
fn write_out(bytes: &[u8], out: Option<&Path>) -> anyhow::Result<()> {
    match out {
        Some(path) => std::fs::write(path, bytes).map_err(|e| {
            anyhow!(
                "impossible d'écrire {} : {}",
                path.display(),
                store::io_french(&e)
            )
        }),
        None => {
            let mut stdout = std::io::stdout().lock();
            stdout.write_all(bytes)?;
            stdout.flush()?;
            Ok(())
        }
    }
}

pub fn template(out: Option<&Path>) -> anyhow::Result<()> {
    let bytes = spreadsheet::template_xlsx().map_err(|e| anyhow!(e))?;
    write_out(&bytes, out)?;
    if let Some(path) = out {
        eprintln!("modèle écrit dans {}", path.display());
    }
    Ok(())
}

pub fn export(
    dir: &StoreLocation,
    programme: &str,
    year: Option<i32>,
    as_of: Option<NaiveDate>,
    format: spreadsheet::SheetFormat,
    out: Option<&Path>,
) -> anyhow::Result<()> {
    let programme =
        ProgrammeId::parse(programme).map_err(|e| anyhow!("--programme : {}", e.problem))?;
    let log = store::open_copy(dir)?;
    let exported = spreadsheet::export_register(
        &log,
        &ExportRequest {
            programme,
            year,
            as_of,
            format,
        },
    )
    .map_err(|e| anyhow!(e))?;
    write_out(&exported.bytes, out)?;
    eprintln!(
        "{} lignes exportées{} ; registre à la position {}",
        exported.rows,
        out.map(|p| format!(" vers {}", p.display()))
            .unwrap_or_default(),
        exported.position
    );
    for (kind, n) in &exported.left_out {
        eprintln!(
            "attention : {n} événement(s) {kind} n'ont pas de feuille dans le modèle et ne sont pas dans le classeur"
        );
    }
    Ok(())
}

pub fn import(
    dir: &StoreLocation,
    file: &Path,
    programme: &str,
    dry_run: bool,
    name: &str,
) -> anyhow::Result<()> {
    let programme =
        ProgrammeId::parse(programme).map_err(|e| anyhow!("--programme : {}", e.problem))?;
    let bytes = std::fs::read(file).map_err(|e| {
        anyhow!(
            "impossible de lire {} : {}",
            file.display(),
            store::io_french(&e)
        )
    })?;
    let file_name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let report = import_bytes(dir, &file_name, &bytes, programme, dry_run, name)?;
    print_report(&report);
    if !report.refusals.is_empty() {
        bail!(
            "{} ligne(s) refusée(s) : rien n'a été écrit",
            report.refusals.len()
        );
    }
    Ok(())
}

/// Imports the file `file_name` (`bytes`) into the store in `dir`, as the CLI does.
pub fn import_bytes(
    dir: &StoreLocation,
    file_name: &str,
    bytes: &[u8],
    programme: ProgrammeId,
    dry_run: bool,
    name: &str,
) -> anyhow::Result<ImportReport> {
    let workbook = spreadsheet::read_workbook(file_name, bytes).map_err(|e| anyhow!("{e}"))?;
    let clock = Clock::system();
    // The server is stopped and this process is the only writer: the rows are flushed to disk
    // once, at the end, before the import says it is done (a crash before leaves no row that
    // was reported written, and importing again writes what is missing).
    let options = eventlog::Options {
        durability: eventlog::Durability::Buffered,
        ..log_options(&clock)
    };
    let log = store::open(dir, options)?;
    let projector = Projector::start(&log, ProjectorOptions::default())
        .context("impossible de construire les vues du registre")?;
    let service = CommandService::new(
        log.clone(),
        projector.clone(),
        clock.clone(),
        Arc::new(Metrics::new()),
    );
    // The log records the operator's id; the name stays outside it (`graphql::actors`).
    let tokens = graphql::tokens::TokenStore::open(&log, clock.clone())?;
    let people = graphql::people::PeopleStore::open(&log, clock.clone())?;
    let operator = graphql::actors::ActorNames::open(&log, people, tokens)?.operator(name)?;
    let options = ImportOptions {
        programme,
        dry_run,
        importer: Importer::Admin { operator },
    };
    let report = runtime()?.block_on(async {
        let report = spreadsheet::import_workbook(&service, &workbook, &options).await;
        let _ = projector.shutdown_async().await;
        report
    });
    log.flush().map_err(|e| store::explain(e, dir))?;
    report.map_err(|e| anyhow!(e))
}

/// `bench spreadsheet_*`: a demo-like programme of 300 actions over three years, exported as a
/// workbook, imported into a fresh store, then imported again (nothing to write).
pub fn bench(dir: &Path, print: impl Fn(String)) -> anyhow::Result<()> {
    use chrono::Datelike;
    let _ = std::fs::remove_dir_all(dir);
    let source = StoreLocation::Dir(dir.join("source"));
    let today = Clock::system().today();
    let params = projections::generator::GeneratorParams {
        actions_per_programme: 300,
        ..projections::generator::GeneratorParams::demo(today)
    };
    let options = eventlog::Options {
        durability: eventlog::Durability::Buffered,
        ..eventlog::Options::default()
    };
    let programme = {
        let log = eventlog::EventLog::open_store(&source, options)
            .map_err(|e| store::explain(e, &source))?;
        let summary =
            projections::generator::generate(&log, &params).map_err(|e| anyhow!("{e}"))?;
        log.flush().map_err(|e| store::explain(e, &source))?;
        summary.programmes[0].clone()
    };
    let started = std::time::Instant::now();
    let log = store::open_copy(&source)?;
    let exported = spreadsheet::export_register(
        &log,
        &ExportRequest {
            programme: programme.clone(),
            year: None,
            as_of: None,
            format: spreadsheet::SheetFormat::Xlsx,
        },
    )
    .map_err(|e| anyhow!(e))?;
    drop(log);
    print(format!(
        "bench spreadsheet_export_300_actions {:.2} s",
        started.elapsed().as_secs_f64()
    ));
    print(format!(
        "bench spreadsheet_rows_300_actions {} rows ({} events, {} years from {})",
        exported.rows,
        exported.position,
        params.years,
        today.year() - 2
    ));
    let target = StoreLocation::Dir(dir.join("target"));
    let started = std::time::Instant::now();
    let report = import_bytes(
        &target,
        "tableau.xlsx",
        &exported.bytes,
        programme.clone(),
        false,
        "bench",
    )?;
    let left_out: usize = exported.left_out.values().sum();
    if !report.refusals.is_empty() || (report.new_rows() + left_out) as u64 != exported.position {
        bail!(
            "l'import du banc d'essai n'a pas tout écrit : {} lignes pour {} événements, {:?}, hors modèle : {:?}",
            report.new_rows(),
            exported.position,
            report.refusals.first(),
            exported.left_out
        );
    }
    print(format!(
        "bench spreadsheet_import_300_actions {:.2} s",
        started.elapsed().as_secs_f64()
    ));
    let started = std::time::Instant::now();
    let again = import_bytes(
        &target,
        "tableau.xlsx",
        &exported.bytes,
        programme,
        false,
        "bench",
    )?;
    if again.new_rows() != 0 {
        bail!(
            "le second import du banc d'essai a écrit {} lignes",
            again.new_rows()
        );
    }
    print(format!(
        "bench spreadsheet_reimport_300_actions {:.2} s",
        started.elapsed().as_secs_f64()
    ));
    Ok(())
}

fn print_report(report: &ImportReport) {
    let mut out = std::io::stdout().lock();
    for s in &report.sheets {
        let _ = writeln!(
            out,
            "feuille « {} » : {} ligne(s) {}, {} déjà importée(s), {} refusée(s)",
            s.sheet,
            s.new,
            if report.written {
                "écrite(s)"
            } else {
                "à écrire"
            },
            s.already,
            s.refused
        );
    }
    for r in &report.refusals {
        let _ = writeln!(out, "refusée : {r}");
    }
    let _ = if report.dry_run {
        writeln!(
            out,
            "essai : rien n'a été écrit ({} ligne(s) seraient écrites)",
            report.new_rows()
        )
    } else if report.written {
        writeln!(
            out,
            "import terminé : {} ligne(s) écrite(s) ; registre à la position {}",
            report.new_rows(),
            report.position
        )
    } else {
        writeln!(out, "rien n'a été écrit")
    };
}
