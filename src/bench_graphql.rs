//! The GraphQL figures of `chronique bench`, measured through the real router over HTTP on
//! loopback, with durable appends:
//!
//! - `graphql_mutations`: mutations per second, 32 concurrent clients, each registering partners
//!   in its own programme (commands of different programmes share the log's group commit);
//! - `graphql_mutations_one_programme`: the same 32 clients on one programme, whose commands
//!   are decided one at a time (ARCHITECTURE.md, "The command service");
//! - `graphql_read_p50` / `graphql_read_p99`: latency of the `actions` query of a programme of
//!   300 actions, sent open-loop at 1 000 requests per second (at most 64 in flight; latency
//!   counts from the moment each request was due), and `graphql_read_unloaded_p50` / `_p99`
//!   for one client sending them one after the other. Between two events the server answers
//!   a read it has already answered from its cache ([`graphql::cache`]), as it does for a comité
//!   whose screens refresh the same page; `graphql_read_uncached_p50` / `_p99` are the same
//!   sequential reads on a server without that cache: what computing the answer costs.
//! - `graphql_annual_review_p50` / `_p99` and `graphql_monthly_report_p50` / `_p99`: the revue de
//!   projet (with its declared figures when validated) and the rapport mensuel of that
//!   programme, as the « Pilotage » page asks them, one after the other on the server without
//!   the cache (each computed whole).

use anyhow::{Context, anyhow};
use chrono::Datelike;
use domain::values::Role;
use graphql::tokens::NewToken;
use graphql::{AppState, Clock};
use projections::generator::{GeneratorParams, generate};
use projections::runner::{Projector, ProjectorOptions};
use serde_json::{Value, json};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

const CLIENTS: usize = 32;
const MUTATION_TIME: Duration = Duration::from_secs(4);
const READ_RATE_PER_SECOND: u64 = 1_000;
const READ_TIME: Duration = Duration::from_secs(5);
const MAX_IN_FLIGHT: usize = 64;
const SEQUENTIAL_READS: usize = 200;

/// How many times each pilotage document is asked.
const PILOTAGE_READS: usize = 30;

const PILOTAGE_FIGURES: &str = "beneficiaries { total cells { axis { code } public ageBand sex qpvResident count hidden } }
  deployment { newActions renewedActions byStatus { status axis { code } count } holders { kind partners actions }
    withdrawn { id reference lastReason } notRealised { id reference lastReason } periodChanged { id reference } }
  governance { sessions { body scheduled held cancelled } heldSessions { id date present } membershipChanges { summary } }
  finances { funders { funder { id } granted paid sharePermille medianDaysToFirstPayment medianDaysToBalance firstPaymentsOver60Days }
    cofinancingPermille { permille } actions { action { id } permille } }
  budget { total { granted paid } } evaluations { id } sections { section text } provenance { position headHash }";

/// The revue de projet with its declared copy: the figures twice.
fn pilotage_review() -> String {
    format!(
        "query($p: ID!, $y: Int!) {{ annualReview(programmeId: $p, year: $y) {{ {PILOTAGE_FIGURES} declared {{ {PILOTAGE_FIGURES} }} }} }}"
    )
}

const PILOTAGE_MONTHLY: &str = "query($p: ID!, $from: Date!, $to: Date!) { monthlyReport(programmeId: $p, from: $from, to: $to) {
  changes { entries { position kind summary amount } statusChanges { actionId from to } grantedDelta { delta } }
  lateEntries { position summary } reportsDue { action { id } dueOn overdue } overdueCompletions { id reference }
  budgetAtFrom { total { granted paid } lines { granted consumptionPermille } }
  budgetAtTo { total { granted paid } lines { granted consumptionPermille } } provenance { position headHash } } }";

const ACTIONS_QUERY: &str = r#"query($p: ID!) { actions(programmeId: $p, first: 300) { totalCount
  edges { node { id reference title status holder { name } axis { code }
    money { funder { id } requested retained granted paid toPay } } } } }"#;

/// Runs the GraphQL figures in `dir` (a new store), printing each with `report`.
pub fn run(dir: &Path, report: impl Fn(String)) -> anyhow::Result<()> {
    run_on(&eventlog::StoreLocation::Dir(dir.to_path_buf()), "", report)
}

/// Runs the GraphQL figures on the new store at `store`, their names ending with `suffix`. On
/// PostgreSQL (`suffix` not empty) only the mutations are measured: the reads are answered
/// from the read models in memory, whatever the engine.
pub fn run_on(
    store: &eventlog::StoreLocation,
    suffix: &str,
    report: impl Fn(String),
) -> anyhow::Result<()> {
    let reads_too = suffix.is_empty();
    // The programme of 300 actions is generated in bulk, then the store is reopened durable.
    let programme = {
        let log = eventlog::EventLog::open_store(
            store,
            eventlog::Options {
                durability: eventlog::Durability::Buffered,
                ..Default::default()
            },
        )?;
        let summary = generate(&log, &GeneratorParams::small(300, 1, 300))
            .map_err(|e| anyhow!("{e}"))
            .context("la génération du programme de mesure a échoué")?;
        log.close()?;
        summary.programmes[0].to_string()
    };
    let log = eventlog::EventLog::open_store(store, eventlog::Options::default())?;
    let projector = Projector::start(&log, ProjectorOptions::default())
        .map_err(|e| anyhow!("{e}"))
        .context("les vues n'ont pas démarré")?;
    let state = AppState::new(log.clone(), Clock::system())
        .map_err(|e| anyhow!("{e}"))?
        .with_projector(projector.clone());
    let token = |role: Role, programme: Option<&str>| -> anyhow::Result<String> {
        let (_, secret) = state
            .tokens
            .create(NewToken {
                role,
                programme: programme.map(str::to_owned),
                partner: None,
                name: "mesure".to_owned(),
            })
            .map_err(|e| anyhow!("{e}"))?;
        Ok(secret)
    };
    let admin = token(Role::Admin, None)?;
    let pilot = token(Role::Pilot, Some(&programme))?;
    let coordinators = (0..CLIENTS)
        .map(|i| token(Role::Coordinator, Some(&format!("mesure-{i}"))))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let coordinator_of_programme = token(Role::Coordinator, Some(&programme))?;

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let result = runtime.block_on(async {
        let (url, server) = Running::start(state.clone()).await?;
        let client = reqwest::Client::new();

        for i in 0..CLIENTS {
            let establish = json!({
                "query": "mutation($id: ID!) { establishProgramme(input: {id: $id, name: \"Mesure\", territory: [\"Ici\"], qpv: [\"Là\"]}) { position } }",
                "variables": {"id": format!("mesure-{i}")},
            });
            post(&client, &url, &admin, &establish).await?;
        }
        let spread: Vec<(String, String)> = coordinators
            .iter()
            .enumerate()
            .map(|(i, t)| (format!("mesure-{i}"), t.clone()))
            .collect();
        let rate = mutations(&client, &url, spread).await?;
        report(format!("bench graphql_mutations{suffix} {rate:.0} mutations/s"));
        let same: Vec<(String, String)> = (0..CLIENTS)
            .map(|_| (programme.clone(), coordinator_of_programme.clone()))
            .collect();
        let rate = mutations(&client, &url, same).await?;
        report(format!(
            "bench graphql_mutations_one_programme{suffix} {rate:.0} mutations/s"
        ));
        if !reads_too {
            server.stop().await?;
            return anyhow::Ok(());
        }

        let (p50, p99) = sequential_reads(&client, &url, &pilot, &programme).await?;
        report(format!("bench graphql_read_unloaded_p50 {p50:.2} ms"));
        report(format!("bench graphql_read_unloaded_p99 {p99:.2} ms"));
        let (p50, p99, achieved) = reads(&client, &url, &pilot, &programme).await?;
        report(format!("bench graphql_read_p50 {p50:.2} ms"));
        report(format!("bench graphql_read_p99 {p99:.2} ms"));
        report(format!("bench graphql_read_rate {achieved:.0} requests/s"));
        server.stop().await?;

        // The same reads, computed each time.
        let uncached = state.clone().with_config(graphql::Config {
            answer_cache_bytes: 0,
            ..graphql::Config::default()
        });
        let (url, server) = Running::start(uncached).await?;
        let (p50, p99) = sequential_reads(&client, &url, &pilot, &programme).await?;
        report(format!("bench graphql_read_uncached_p50 {p50:.2} ms"));
        report(format!("bench graphql_read_uncached_p99 {p99:.2} ms"));
        for (name, body) in pilotage_documents(&client, &url, &pilot, &programme).await? {
            let (p50, p99) = timed(&client, &url, &pilot, &body, PILOTAGE_READS).await?;
            report(format!("bench {name}_p50 {p50:.2} ms"));
            report(format!("bench {name}_p99 {p99:.2} ms"));
        }
        server.stop().await?;
        anyhow::Ok(())
    });
    projector.shutdown().map_err(|e| anyhow!("{e}"))?;
    log.close()?;
    result
}

/// A server on a free loopback port, until [`Running::stop`].
struct Running {
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Running {
    /// Serves `state`; returns the GraphQL URL and the server.
    async fn start(state: AppState) -> anyhow::Result<(String, Running)> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let url = format!("http://{}/graphql", listener.local_addr()?);
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(graphql::serve(listener, state, async {
            let _ = stopped.await;
        }));
        Ok((url, Running { stop, task }))
    }

    async fn stop(self) -> anyhow::Result<()> {
        let _ = self.stop.send(());
        self.task.await??;
        Ok(())
    }
}

/// Sends `body` with `token`; the answer's bytes.
async fn send(
    client: &reqwest::Client,
    url: &str,
    token: &str,
    body: &Value,
) -> anyhow::Result<Vec<u8>> {
    Ok(client
        .post(url)
        .bearer_auth(token)
        .json(body)
        .send()
        .await?
        .bytes()
        .await?
        .into())
}

async fn post(
    client: &reqwest::Client,
    url: &str,
    token: &str,
    body: &Value,
) -> anyhow::Result<Value> {
    let answer: Value = serde_json::from_slice(&send(client, url, token, body).await?)?;
    if let Some(errors) = answer.get("errors") {
        return Err(anyhow!("GraphQL a refusé la requête de mesure : {errors}"));
    }
    Ok(answer)
}

/// Sends a read and checks its answer has data and no error, without building the answer's
/// tree: the measure is the server's, not the client's JSON parser's.
async fn read(
    client: &reqwest::Client,
    url: &str,
    token: &str,
    body: &Value,
) -> anyhow::Result<()> {
    #[derive(serde::Deserialize)]
    struct Answer {
        data: Option<serde::de::IgnoredAny>,
        errors: Option<Value>,
    }
    let answer: Answer = serde_json::from_slice(&send(client, url, token, body).await?)?;
    if let Some(errors) = answer.errors {
        return Err(anyhow!("GraphQL a refusé la requête de mesure : {errors}"));
    }
    if answer.data.is_none() {
        return Err(anyhow!(
            "GraphQL a répondu sans données à la requête de mesure"
        ));
    }
    Ok(())
}

/// 32 clients registering partners, each in the programme it is given, for [`MUTATION_TIME`].
async fn mutations(
    client: &reqwest::Client,
    url: &str,
    clients: Vec<(String, String)>,
) -> anyhow::Result<f64> {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let done = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let tasks: Vec<_> = clients
        .into_iter()
        .map(|(programme, token)| {
            let (client, url, done) = (client.clone(), url.to_owned(), Arc::clone(&done));
            tokio::spawn(async move {
                while started.elapsed() < MUTATION_TIME {
                    let id = format!("partenaire-{}", NEXT.fetch_add(1, Ordering::Relaxed));
                    let body = json!({
                        "query": "mutation($p: ID!, $id: ID!) { registerPartner(programmeId: $p, input: {id: $id, name: \"Association\", kind: ASSOCIATION}) { position } }",
                        "variables": {"p": programme, "id": id},
                    });
                    post(&client, &url, &token, &body).await?;
                    done.fetch_add(1, Ordering::Relaxed);
                }
                anyhow::Ok(())
            })
        })
        .collect();
    for task in tasks {
        task.await??;
    }
    Ok(done.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64())
}

/// The `actions` query sent by one client, each request after the previous answer: p50, p99
/// in milliseconds, what one request costs on a server with nothing else to do.
async fn sequential_reads(
    client: &reqwest::Client,
    url: &str,
    token: &str,
    programme: &str,
) -> anyhow::Result<(f64, f64)> {
    let body = json!({"query": ACTIONS_QUERY, "variables": {"p": programme}});
    timed(client, url, token, &body, SEQUENTIAL_READS).await
}

/// The monthly report of the month of the programme's latest COPIL decision, and the revue de
/// projet of the year before, with the fields the page asks.
async fn pilotage_documents(
    client: &reqwest::Client,
    url: &str,
    token: &str,
    programme: &str,
) -> anyhow::Result<[(&'static str, Value); 2]> {
    let latest = post(
        client,
        url,
        token,
        &json!({"query": "query($p: ID!) { timeline(programmeId: $p, first: 1, filter: {kinds: [\"CopilDecisionTaken\"]}) { edges { node { effectiveOn } } } }",
                "variables": {"p": programme}}),
    )
    .await?;
    let day = latest["data"]["timeline"]["edges"][0]["node"]["effectiveOn"]
        .as_str()
        .and_then(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
        .ok_or_else(|| anyhow!("le programme de mesure n'a pas de décision du COPIL"))?;
    let first = day.with_day(1).unwrap_or(day);
    let review =
        json!({"query": pilotage_review(), "variables": {"p": programme, "y": day.year() - 1}});
    let monthly = json!({"query": PILOTAGE_MONTHLY, "variables": {"p": programme, "from": first.to_string(), "to": day.to_string()}});
    Ok([
        ("graphql_annual_review", review),
        ("graphql_monthly_report", monthly),
    ])
}

/// `body` sent `n` times by one client, each after the previous answer: p50, p99 in ms.
async fn timed(
    client: &reqwest::Client,
    url: &str,
    token: &str,
    body: &Value,
    n: usize,
) -> anyhow::Result<(f64, f64)> {
    let mut latencies = Vec::with_capacity(n);
    for _ in 0..n {
        let sent = Instant::now();
        read(client, url, token, body).await?;
        latencies.push(sent.elapsed());
    }
    Ok(percentiles(latencies))
}

fn percentiles(mut latencies: Vec<Duration>) -> (f64, f64) {
    latencies.sort();
    let at = |q: f64| {
        let i = ((latencies.len() as f64 - 1.0) * q).round() as usize;
        latencies[i].as_secs_f64() * 1000.0
    };
    (at(0.50), at(0.99))
}

/// The `actions` query sent at a fixed rate whatever the answers' pace (open loop): p50, p99
/// in milliseconds, and the rate achieved.
async fn reads(
    client: &reqwest::Client,
    url: &str,
    token: &str,
    programme: &str,
) -> anyhow::Result<(f64, f64, f64)> {
    let body = json!({"query": ACTIONS_QUERY, "variables": {"p": programme}});
    let first = post(client, url, token, &body).await?;
    let n_actions = first["data"]["actions"]["totalCount"].as_u64().unwrap_or(0);
    if n_actions < 300 {
        return Err(anyhow!(
            "le programme de mesure n'a que {n_actions} actions"
        ));
    }
    let n_requests = READ_RATE_PER_SECOND * READ_TIME.as_secs();
    let mut ticker = tokio::time::interval(Duration::from_micros(1_000_000 / READ_RATE_PER_SECOND));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    // At most this many requests in flight (and so connections open); a request that waits for
    // a place still counts its wait, since latency runs from the moment it was due.
    let in_flight = Arc::new(tokio::sync::Semaphore::new(MAX_IN_FLIGHT));
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(n_requests as usize);
    for _ in 0..n_requests {
        let due = ticker.tick().await;
        let permit = Arc::clone(&in_flight).acquire_owned().await?;
        let (client, url, token, body) = (
            client.clone(),
            url.to_owned(),
            token.to_owned(),
            body.clone(),
        );
        tasks.push(tokio::spawn(async move {
            read(&client, &url, &token, &body).await?;
            drop(permit);
            anyhow::Ok(due.elapsed())
        }));
    }
    let mut latencies = Vec::with_capacity(tasks.len());
    for task in tasks {
        latencies.push(task.await??);
    }
    let achieved = latencies.len() as f64 / started.elapsed().as_secs_f64();
    let (p50, p99) = percentiles(latencies);
    Ok((p50, p99, achieved))
}
