//! The commands, one function each, plus the server's start-up and shutdown.

use crate::store;
use anyhow::{Context as _, anyhow, bail};
use domain::values::Role;
use eventlog::{EventLog, Options, StoreLocation};
use graphql::tokens::{NewToken, TokenInfo, TokenStore};
use graphql::{AppState, Clock};
use projections::runner::{Projector, ProjectorOptions};
use std::io::{BufReader, Write};
use std::net::SocketAddr;
use std::path::Path;

/// Logs go to standard error, filtered by `CHRONIQUE_LOG` (or `RUST_LOG`), e.g.
/// `CHRONIQUE_LOG=debug`; by default, information and above.
pub fn init_logging() {
    let filter = std::env::var("CHRONIQUE_LOG")
        .or_else(|_| std::env::var("RUST_LOG"))
        // sled's own messages are English and duplicate the French one the command prints
        // when it refuses a store; `CHRONIQUE_LOG=sled=warn` shows them.
        .unwrap_or_else(|_| "info,sled=off,tokio_postgres=warn".to_owned());
    let filter = tracing_subscriber::EnvFilter::try_new(&filter)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .try_init();
}

pub fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("impossible de démarrer le moteur asynchrone")
}

pub fn serve(
    dir: &StoreLocation,
    listen: &str,
    signin: Option<graphql::oidc::OidcConfig>,
) -> anyhow::Result<()> {
    let clock = Clock::system();
    let log = store::open(dir, log_options(&clock))?;
    runtime()?.block_on(serve_log(log, clock, listen, signin, |_, _| Ok(())))
}

pub fn log_options(clock: &Clock) -> Options {
    Options {
        clock: clock.for_eventlog(),
        ..Options::default()
    }
}

/// Resolves at the first SIGINT (Ctrl-C) or SIGTERM. The handlers are installed when this
/// function is called, not when the future is first polled: a signal that arrives just after
/// `listening on` is printed must stop the server cleanly, not kill it.
fn shutdown_signal() -> anyhow::Result<impl std::future::Future<Output = ()> + Send + 'static> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut interrupt =
        signal(SignalKind::interrupt()).context("impossible d'écouter le signal SIGINT")?;
    let mut terminate =
        signal(SignalKind::terminate()).context("impossible d'écouter le signal SIGTERM")?;
    Ok(async move {
        tokio::select! {
            _ = interrupt.recv() => {}
            _ = terminate.recv() => {}
        }
        tracing::info!("shutting down: finishing the requests in flight");
    })
}

/// Starts the read models, listens, prints `listening on http://ADDR`, calls `announce`,
/// serves until SIGINT or SIGTERM, then stops the read models (saving their snapshot) and
/// flushes the log.
pub async fn serve_log(
    log: EventLog,
    clock: Clock,
    listen: &str,
    signin: Option<graphql::oidc::OidcConfig>,
    announce: impl FnOnce(&AppState, SocketAddr) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let projector = {
        let log = log.clone();
        tokio::task::spawn_blocking(move || Projector::start(&log, ProjectorOptions::default()))
            .await
            .context("le démarrage des vues a échoué")?
            .context("impossible de construire les vues du registre")?
    };
    let mut state = AppState::new(log.clone(), clock)
        .context("impossible d'ouvrir les jetons du registre")?
        .with_projector(projector.clone());
    // An erasure recorded but not applied (a crash in between) is finished before serving.
    {
        let state = state.clone();
        tokio::task::spawn_blocking(move || graphql::erasure::apply_recorded(&state))
            .await
            .context("les effacements enregistrés n'ont pas pu être appliqués")?
            .map_err(|e| {
                anyhow!("les effacements enregistrés n'ont pas pu être appliqués : {e}")
            })?;
    }
    if let Some(config) = signin {
        let issuer = config.issuer.clone();
        let oidc = graphql::oidc::Oidc::discover(config)
            .await
            .context("la connexion par le fournisseur d'identité ne peut pas démarrer")?;
        tracing::info!(%issuer, "sign-in through OpenID Connect");
        state = state.with_oidc(oidc);
    }
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("impossible d'écouter sur {listen}"))?;
    let address = listener.local_addr().context("adresse d'écoute inconnue")?;
    let shutdown = shutdown_signal()?;
    announce(&state, address)?;
    {
        let mut stdout = std::io::stdout().lock();
        writeln!(stdout, "listening on http://{address}")?;
        stdout.flush()?;
    }
    tracing::info!(%address, head = log.head().position, "serving");
    let served = graphql::serve(listener, state, shutdown).await;
    let stopped = projector.shutdown_async().await;
    let flushed = tokio::task::spawn_blocking(move || log.flush()).await;
    served.context("le serveur s'est arrêté sur une erreur")?;
    stopped.context("l'instantané des vues n'a pas pu être enregistré")?;
    flushed
        .context("l'écriture finale du registre a échoué")?
        .context("l'écriture finale du registre a échoué")?;
    tracing::info!("stopped cleanly");
    Ok(())
}

pub fn create_token(
    tokens: &TokenStore,
    role: Role,
    programme: Option<String>,
    partner: Option<String>,
    name: Option<String>,
) -> anyhow::Result<(TokenInfo, String)> {
    let name = name.unwrap_or_else(|| format!("jeton {}", role.label()));
    tokens
        .create(NewToken {
            role,
            programme,
            partner,
            name,
        })
        .map_err(|e| anyhow!("{}", e.to_string().trim_end_matches('.')))
        .context("jeton refusé")
}

pub fn token_create(
    dir: &StoreLocation,
    role: Role,
    programme: Option<String>,
    partner: Option<String>,
    name: Option<String>,
) -> anyhow::Result<()> {
    let clock = Clock::system();
    let log = store::open(dir, log_options(&clock))?;
    let tokens = TokenStore::open(&log, clock).map_err(|e| anyhow!(e))?;
    let (info, secret) = create_token(&tokens, role, programme, partner, name)?;
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "jeton {} créé : rôle {}{}{}, nom « {} »",
        info.id,
        info.role.code(),
        info.programme
            .as_ref()
            .map(|p| format!(", cité éducative {p}"))
            .unwrap_or_default(),
        info.partner
            .as_ref()
            .map(|p| format!(", partenaire {p}"))
            .unwrap_or_default(),
        info.name
    )?;
    writeln!(
        out,
        "conservez ce secret : il ne sera plus jamais affiché (en-tête « Authorization: Bearer … »)"
    )?;
    writeln!(out, "{secret}")?;
    out.flush()?;
    Ok(())
}

pub fn token_list(dir: &StoreLocation) -> anyhow::Result<()> {
    let clock = Clock::system();
    let log = store::open_existing(dir, log_options(&clock))?;
    let tokens = TokenStore::open(&log, clock).map_err(|e| anyhow!(e))?;
    let list = tokens.list().map_err(|e| anyhow!(e))?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "id\trôle\tprogramme\tpartenaire\tcréé le\tétat\tnom")?;
    for token in list {
        writeln!(
            out,
            "{}\t{}\t{}\t{}\t{}\t{}\t{}",
            token.id,
            token.role.code(),
            token
                .programme
                .as_ref()
                .map_or("-".to_owned(), |p| p.to_string()),
            token
                .partner
                .as_ref()
                .map_or("-".to_owned(), |p| p.to_string()),
            token.created_at.format("%Y-%m-%dT%H:%M:%SZ"),
            if token.revoked { "révoqué" } else { "actif" },
            token.name
        )?;
    }
    out.flush()?;
    Ok(())
}

pub fn token_revoke(dir: &StoreLocation, id: &str) -> anyhow::Result<()> {
    let clock = Clock::system();
    let log = store::open_existing(dir, log_options(&clock))?;
    let tokens = TokenStore::open(&log, clock).map_err(|e| anyhow!(e))?;
    let info = tokens.revoke(id).map_err(|e| anyhow!(e))?;
    println!(
        "jeton {} révoqué ({}, « {} »)",
        info.id,
        info.role.code(),
        info.name
    );
    Ok(())
}

/// The people of a stopped server's store, acting as its operator (ADMIN).
fn people_of(
    dir: &StoreLocation,
    create: bool,
) -> anyhow::Result<(EventLog, graphql::people::PeopleStore)> {
    let clock = Clock::system();
    let log = if create {
        store::open(dir, log_options(&clock))?
    } else {
        store::open_existing(dir, log_options(&clock))?
    };
    let people = graphql::people::PeopleStore::open(&log, clock).map_err(|e| anyhow!(e))?;
    Ok((log, people))
}

fn roles_text(person: &graphql::people::Person) -> String {
    person
        .roles
        .iter()
        .map(|r| {
            let mut s = r.role.code().to_owned();
            if let Some(p) = &r.programme {
                s.push_str(&format!(" {p}"));
            }
            if let Some(p) = &r.partner {
                s.push_str(&format!(" ({p})"));
            }
            if r.pending {
                s.push_str(" [en attente]");
            }
            s
        })
        .collect::<Vec<_>>()
        .join(", ")
}

pub fn person_invite(
    dir: &StoreLocation,
    email: String,
    role: Role,
    programme: Option<String>,
    partner: Option<String>,
) -> anyhow::Result<()> {
    let (_log, people) = people_of(dir, true)?;
    let person = people
        .invite(
            graphql::people::Invitation {
                email,
                role,
                programme,
                partner,
            },
            &domain::actor::Actor::admin(),
        )
        .map_err(|e| anyhow!(e))?;
    println!(
        "personne {} invitée : {}, {}",
        person.id,
        person.email,
        roles_text(&person)
    );
    Ok(())
}

pub fn person_list(dir: &StoreLocation) -> anyhow::Result<()> {
    let (_log, people) = people_of(dir, false)?;
    let list = people
        .list(&domain::actor::Actor::admin())
        .map_err(|e| anyhow!(e))?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "id	adresse	nom	rôles	connecté le	état")?;
    for person in list {
        writeln!(
            out,
            "{}	{}	{}	{}	{}	{}",
            person.id,
            person.email,
            person.name.as_deref().unwrap_or("-"),
            roles_text(&person),
            person.signed_in_at.map_or("-".to_owned(), |t| t
                .format("%Y-%m-%dT%H:%M:%SZ")
                .to_string()),
            if person.revoked {
                "révoquée"
            } else {
                "active"
            },
        )?;
    }
    Ok(())
}

pub fn person_remove_role(
    dir: &StoreLocation,
    id: &str,
    role: Role,
    programme: Option<String>,
    partner: Option<String>,
) -> anyhow::Result<()> {
    let (_log, people) = people_of(dir, false)?;
    let role = graphql::people::Invitation {
        email: String::new(),
        role,
        programme,
        partner,
    };
    let person = people
        .remove_role(id, &role, &domain::actor::Actor::admin())
        .map_err(|e| anyhow!(e))?;
    println!(
        "rôle retiré à {} ({}) ; il lui reste : {}",
        person.email,
        person.id,
        if person.roles.is_empty() {
            "aucun rôle".to_owned()
        } else {
            roles_text(&person)
        }
    );
    Ok(())
}

pub fn person_revoke(dir: &StoreLocation, id: &str) -> anyhow::Result<()> {
    let (_log, people) = people_of(dir, false)?;
    let person = people
        .revoke(id, &domain::actor::Actor::admin())
        .map_err(|e| anyhow!(e))?;
    println!("accès de {} ({}) retiré", person.email, person.id);
    Ok(())
}

/// Exports from a temporary copy of the store (see `store.rs`): the store itself is only read.
pub fn export(dir: &StoreLocation, out: Option<&Path>) -> anyhow::Result<()> {
    let log = store::open_copy(dir)?;
    match out {
        None => {
            let stdout = std::io::stdout().lock();
            log.export_ndjson(std::io::BufWriter::new(stdout))
                .map_err(|e| store::explain(e, dir))
                .context("l'export a échoué")?;
        }
        Some(path) => {
            let file = std::fs::File::create(path).map_err(|e| {
                anyhow!(
                    "impossible de créer {} : {}",
                    path.display(),
                    store::io_french(&e)
                )
            })?;
            let report = log
                .export_ndjson(std::io::BufWriter::new(file))
                .map_err(|e| store::explain(e, dir))
                .context("l'export a échoué")?;
            println!(
                "{} événements exportés vers {} ; tête : position {}, empreinte {}",
                report.n_events,
                path.display(),
                report.head.position,
                hex_hash(&report.head.hash)
            );
        }
    }
    Ok(())
}

fn hex_hash(hash: &[u8; 32]) -> String {
    hash.iter().map(|b| format!("{b:02x}")).collect()
}

/// `--expect-head`: 64 hexadecimal digits.
pub fn parse_head_hash(text: &str) -> anyhow::Result<[u8; 32]> {
    let text = text.trim();
    let mut hash = [0u8; 32];
    if text.len() != 64 {
        bail!(
            "--expect-head attend une empreinte de 64 chiffres hexadécimaux ({} caractères reçus)",
            text.len()
        );
    }
    for (index, byte) in hash.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&text[2 * index..2 * index + 2], 16).map_err(|_| {
            anyhow!(
                "--expect-head attend une empreinte en hexadécimal : « {text} » n'en est pas une"
            )
        })?;
    }
    Ok(hash)
}

/// The file is checked whole (every line, the chain, the last line, `--expect-head`) before
/// the store is opened, so that a refused file writes nothing; only then is it read again
/// and written.
pub fn import(
    dir: &StoreLocation,
    file: &Path,
    expect_head: Option<&str>,
    no_trailer_check: bool,
) -> anyhow::Result<()> {
    let options = eventlog::ImportOptions {
        require_trailer: !no_trailer_check,
        expect_head: expect_head.map(parse_head_hash).transpose()?,
    };
    let open_file = || {
        std::fs::File::open(file).map(BufReader::new).map_err(|e| {
            anyhow!(
                "impossible de lire {} : {}",
                file.display(),
                store::io_french(&e)
            )
        })
    };
    let refused = |error: eventlog::Error| match error {
        eventlog::Error::InvalidInput(detail) => anyhow!(
            "import de {} refusé : {detail} ; rien n'a été importé",
            file.display()
        ),
        eventlog::Error::Io(io) => anyhow!(
            "import de {} refusé : lecture impossible ({}) ; rien n'a été importé",
            file.display(),
            store::io_french(&io)
        ),
        other => store::explain(other, dir),
    };
    let checked = eventlog::check_ndjson(open_file()?, &options).map_err(refused)?;
    let log = store::open_if(dir, Options::default(), false, |log| {
        store::require(log.head().position == 0, || {
            format!(
                "le registre {} contient déjà {} événements : l'import se fait dans un registre vide ; rien n'a été importé",
                dir,
                log.head().position
            )
        })
    })?;
    let report = log
        .import_checked_ndjson(open_file()?, &options, &checked)
        .map_err(refused)?;
    println!(
        "{} événements importés ; tête : position {}, empreinte {}",
        report.n_events,
        report.head.position,
        hex_hash(&report.head.hash)
    );
    // The erasures the export carries apply to the texts it carries (an export made before an
    // erasure, followed by the erasure's event).
    let projector = Projector::start(&log, ProjectorOptions::default())
        .context("impossible de construire les vues du registre importé")?;
    let state = AppState::new(log.clone(), graphql::clock::Clock::system())
        .context("impossible d'ouvrir les jetons du registre")?
        .with_projector(projector.clone());
    let erased = graphql::erasure::apply_recorded(&state)
        .map_err(|e| anyhow!("les effacements de l'export n'ont pas pu être appliqués : {e}"))?;
    if erased > 0 {
        println!("{erased} texte(s) effacé(s) selon les effacements que l'export contient");
    }
    projector
        .shutdown()
        .context("les vues du registre importé n'ont pas pu être enregistrées")?;
    Ok(())
}

/// Copies the store at `from` into the empty store at `to` (either engine to either): its
/// export, checked line by line and imported with the source's head as the expected head, then
/// what an export leaves out (tokens, people, names, secrets, the read models' snapshot); then
/// walks the copy's chain. The source is only read.
pub fn migrate(from: &StoreLocation, to: &StoreLocation) -> anyhow::Result<()> {
    if from == to {
        bail!("la source et la destination sont le même registre ({from}) : rien n'a été copié");
    }
    let source = store::open_copy(from)?;
    let head = source.head();
    let file = tempfile::NamedTempFile::new().map_err(|e| {
        anyhow!(
            "impossible de créer un fichier temporaire : {}",
            store::io_french(&e)
        )
    })?;
    source
        .export_ndjson(std::io::BufWriter::new(file.as_file()))
        .map_err(|e| store::explain(e, from))
        .context("la lecture de la source a échoué")?;
    let options = eventlog::ImportOptions {
        require_trailer: true,
        expect_head: Some(head.hash),
    };
    let open_file = || {
        std::fs::File::open(file.path())
            .map(BufReader::new)
            .map_err(|e| anyhow!("impossible de relire la copie : {}", store::io_french(&e)))
    };
    let checked =
        eventlog::check_ndjson(open_file()?, &options).map_err(|e| store::explain(e, from))?;
    let target = store::open_if(to, Options::default(), false, |log| {
        store::require(log.head().position == 0, || {
            format!(
                "le registre {to} contient déjà {} événements : la migration se fait vers un registre vide ; rien n'a été copié",
                log.head().position
            )
        })
    })?;
    let report = target
        .import_checked_ndjson(open_file()?, &options, &checked)
        .map_err(|e| store::explain(e, to))?;
    let copied = source
        .copy_key_values_to(&target)
        .map_err(|e| store::explain(e, to))
        .context("les jetons, personnes et instantanés n'ont pas pu être copiés")?;
    let verified = target.verify().map_err(|e| store::explain(e, to))?;
    if let Some((position, reason)) = verified.first_broken {
        bail!("la copie dans {to} ne se vérifie pas à la position {position} : {reason}");
    }
    if verified.head_hash != head.hash || verified.head_position != head.position {
        bail!("la copie dans {to} n'a pas la tête de la source");
    }
    println!(
        "{} événements copiés de {from} vers {to}, avec {copied} entrées (jetons, personnes, instantanés) ; chaîne vérifiée à l'arrivée ; tête : position {}, empreinte {}",
        report.n_events,
        head.position,
        hex_hash(&head.hash)
    );
    Ok(())
}

/// Verifies a temporary copy of the store (see `store.rs`): the store itself is only read.
/// Walks the chain; with `document` (a position and the hash printed on a document), also
/// says whether the log holds that hash there.
pub fn verify(dir: &StoreLocation, document: Option<(i64, String)>) -> anyhow::Result<()> {
    let log = store::open_copy(dir)?;
    let report = log.verify().map_err(|e| store::explain(e, dir))?;
    println!(
        "tête : position {}, empreinte {}",
        report.head_position,
        hex_hash(&report.head_hash)
    );
    match report.first_broken {
        None => {
            println!(
                "chaîne intacte : {} événements vérifiés",
                report.verified_up_to
            );
            if let Some((position, hash)) = document {
                let matches = graphql::schema::base::check_document(&log, position, &hash)
                    .map_err(|e| anyhow!(e))?;
                if !matches {
                    bail!(
                        "le journal ne porte pas l'empreinte {} à la position {position} : ce document ne vient pas de ce registre, ou a été modifié",
                        hash.trim()
                    );
                }
                println!(
                    "document vérifié : le journal porte cette empreinte à la position {position}"
                );
            }
            Ok(())
        }
        Some((position, reason)) => Err(anyhow!(
            "chaîne rompue à la position {position} ({reason}) ; vérifiée jusqu'à la position {}",
            report.verified_up_to
        )),
    }
}

pub fn rebuild(dir: &StoreLocation) -> anyhow::Result<()> {
    let log = store::open_existing(dir, Options::default())?;
    let model =
        projections::runner::rebuild(&log).context("la reconstruction des vues a échoué")?;
    projections::runner::save_snapshot(&log, &model)
        .context("l'instantané des vues n'a pas pu être enregistré")?;
    log.flush().map_err(|e| store::explain(e, dir))?;
    println!(
        "vues reconstruites jusqu'à la position {}",
        model.position()
    );
    Ok(())
}

/// A part of `chronique bench`, to measure alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum BenchPart {
    /// The event log: appends, reads, verification.
    Eventlog,
    /// The read models: rebuild, memory, time travel.
    Projections,
    /// The GraphQL API over HTTP: mutations and reads.
    Graphql,
    /// The spreadsheets: a 300-action register exported, imported, imported again.
    Tableur,
}

/// `rebuild_postgres`: the log the projections' figures generated on sled (one million events)
/// is copied into a schema of the PostgreSQL database at `url` (`copy_to_postgres`, events/s of
/// the export and import), then the read models are rebuilt from it (events/s).
fn bench_rebuild_postgres(dir: &Path, url: &str, print: impl Fn(String)) -> anyhow::Result<()> {
    let target = eventlog::bench::Target::Postgres(url.to_owned());
    let store = target.store("rebuild").map_err(|e| anyhow!(e))?;
    let measured = (|| -> anyhow::Result<()> {
        let source = EventLog::open(projections::bench::store_path(dir), Options::default())?;
        let started = std::time::Instant::now();
        let file = tempfile::NamedTempFile::new()?;
        source.export_ndjson(std::io::BufWriter::new(file.as_file()))?;
        drop(source);
        let log = EventLog::open_store(&store, Options::default())?;
        let report = log.import_ndjson(
            BufReader::new(std::fs::File::open(file.path())?),
            &eventlog::ImportOptions::default(),
        )?;
        print(format!(
            "bench copy_to_postgres {:.0} events/s",
            report.n_events as f64 / started.elapsed().as_secs_f64()
        ));
        drop(log);
        let log = EventLog::open_store(&store, Options::default())?;
        let started = std::time::Instant::now();
        let model = projections::runner::rebuild(&log).map_err(|e| anyhow!("{e}"))?;
        print(format!(
            "bench rebuild_postgres {:.0} events/s",
            model.position() as f64 / started.elapsed().as_secs_f64()
        ));
        Ok(())
    })();
    let _ = target.remove("rebuild");
    measured
}

/// The load phase of the projections' figures, on the store `chronique bench` prepared in `dir`.
pub fn bench_projections_load(dir: &Path) -> anyhow::Result<()> {
    projections::bench::load(
        &dir.join("projections"),
        &projections::bench::Settings::default(),
        &mut |figure| {
            println!("{figure}");
            let _ = std::io::stdout().flush();
        },
    )
    .map_err(|e| anyhow!(e))
    .context("la mesure des vues a échoué")?;
    Ok(())
}

/// `chronique bench`: every figure on sled, in `dir` (a temporary directory otherwise); with
/// `postgres` (a `postgres://` URL), the log's figures, the rebuild and the GraphQL mutations
/// again on PostgreSQL in the same run, in schemas `chronique_bench_*` of that database that
/// are dropped afterwards.
pub fn bench(
    seconds: u64,
    dir: Option<&Path>,
    only: &[BenchPart],
    postgres: Option<&str>,
) -> anyhow::Result<()> {
    if let Some(url) = postgres
        && !eventlog::is_postgres_url(url)
    {
        bail!("--store attend une adresse postgres://… (les mesures sur sled se font toujours)");
    }
    let (dir, temporary) = match dir {
        Some(dir) => (dir.to_path_buf(), false),
        None => (
            std::env::temp_dir().join(format!("chronique-bench-{}", std::process::id())),
            true,
        ),
    };
    std::fs::create_dir_all(&dir)
        .with_context(|| format!("impossible de créer {}", dir.display()))?;
    let runs = |part: BenchPart| only.is_empty() || only.contains(&part);
    let print = |figure: String| {
        println!("{figure}");
        let _ = std::io::stdout().flush();
    };
    let result = (|| -> anyhow::Result<()> {
        if runs(BenchPart::Eventlog) {
            let settings = eventlog::bench::Settings {
                append_duration: std::time::Duration::from_secs(seconds.max(1)),
                ..eventlog::bench::Settings::default()
            };
            eventlog::bench::run(
                &eventlog::bench::Target::Dir(dir.join("eventlog")),
                &settings,
                |f| print(f.to_string()),
            )
            .map_err(|e| anyhow!(e))
            .context("la mesure du journal a échoué")?;
            if let Some(url) = postgres {
                eventlog::bench::run(
                    &eventlog::bench::Target::Postgres(url.to_owned()),
                    &settings,
                    |f| print(f.to_string()),
                )
                .map_err(|e| anyhow!(e))
                .context("la mesure du journal sur PostgreSQL a échoué")?;
            }
        }
        if runs(BenchPart::Projections) {
            // The log is generated and rebuilt here; the read models are then loaded by a
            // fresh process (this program again), so that `memory_1m` is what a server
            // starting on that store would hold, not what this process kept of the generation.
            projections::bench::prepare(
                &dir.join("projections"),
                &projections::bench::Settings::default(),
                &mut |f| print(f.to_string()),
            )
            .map_err(|e| anyhow!(e))
            .context("la mesure des vues a échoué")?;
            let exe = std::env::current_exe().context("impossible de trouver ce programme")?;
            let status = std::process::Command::new(exe)
                .arg("bench")
                .arg("--dir")
                .arg(&dir)
                .arg("--projections-load")
                .status()
                .context("impossible de relancer ce programme pour mesurer les vues")?;
            if !status.success() {
                bail!("la mesure du chargement des vues a échoué ({status})");
            }
            if let Some(url) = postgres {
                bench_rebuild_postgres(&dir.join("projections"), url, print)
                    .context("la mesure de la reconstruction sur PostgreSQL a échoué")?;
            }
        }
        if runs(BenchPart::Graphql) {
            crate::bench_graphql::run(&dir.join("graphql"), print)
                .context("la mesure de l'API GraphQL a échoué")?;
            if let Some(url) = postgres {
                let target = eventlog::bench::Target::Postgres(url.to_owned());
                let store = target.store("graphql").map_err(|e| anyhow!(e))?;
                let measured = crate::bench_graphql::run_on(&store, "_postgres", print);
                let _ = target.remove("graphql");
                measured.context("la mesure de l'API GraphQL sur PostgreSQL a échoué")?;
            }
        }
        if runs(BenchPart::Tableur) {
            crate::spreadsheet::bench(&dir.join("tableur"), print)
                .context("la mesure du tableur a échoué")?;
        }
        Ok(())
    })();
    if temporary {
        let _ = std::fs::remove_dir_all(&dir);
    }
    result?;
    Ok(())
}
