//! `chronique demo`: a fictitious Cité éducative, filled by the projections' generator, with one
//! token per role, served at once.
//!
//! A store made by the demo carries the key `demo` in the key-value tree `chronique`; `demo`
//! serves such a store again, refuses a non-empty directory without it (never writes into
//! someone's real register), and fills an empty or missing one. Secrets are stored hashed, so
//! running the demo again prints newly created tokens.

use crate::run::{self, create_token, log_options};
use crate::store;
use anyhow::{Context as _, anyhow};
use domain::streams::StreamRef;
use domain::values::Role;
use eventlog::{EventLog, Options};
use graphql::Clock;
use graphql::tokens::TokenStore;
use projections::generator::{self, GeneratorParams, SimulatedClock};
use std::path::Path;

const MARK_TREE: &str = "chronique";
const MARK_KEY: &str = "demo";
/// The ids of the tokens the last run printed, revoked by the next run.
const TOKENS_KEY: &str = "demo-tokens";

fn is_empty_dir(dir: &Path) -> anyhow::Result<bool> {
    if !dir.exists() {
        return Ok(true);
    }
    let mut entries =
        std::fs::read_dir(dir).with_context(|| format!("impossible de lire {}", dir.display()))?;
    Ok(entries.next().is_none())
}

fn is_demo_store(log: &EventLog) -> anyhow::Result<bool> {
    let tree = log.kv_tree(MARK_TREE).map_err(|e| anyhow!(e))?;
    Ok(tree.get(MARK_KEY).map_err(|e| anyhow!(e))?.is_some())
}

/// The first partner of `programme` in the log, for the PORTEUR token.
fn first_partner(log: &EventLog, programme: &str) -> anyhow::Result<Option<String>> {
    for envelope in log.read_all(1) {
        let envelope = envelope.map_err(|e| anyhow!(e))?;
        if let Some(StreamRef::Partner(p, partner)) = StreamRef::parse(&envelope.stream_id)
            && p.as_str() == programme
        {
            return Ok(Some(partner.to_string()));
        }
    }
    Ok(None)
}

/// Fills a fresh store; returns the programme generated.
fn fill(dir: &Path) -> anyhow::Result<String> {
    eprintln!(
        "chronique : création de la démonstration dans {} …",
        dir.display()
    );
    let simulated = SimulatedClock::new();
    let options = Options {
        clock: simulated.clock(),
        durability: eventlog::Durability::Buffered,
        ..Options::default()
    };
    let location = eventlog::StoreLocation::Dir(dir.to_path_buf());
    let log = store::open(&location, options)?;
    let today = Clock::system().today();
    let params = GeneratorParams::demo(today).with_clock(simulated.clone());
    let summary = generator::generate(&log, &params)
        .map_err(|e| anyhow!("{e}"))
        .context("la génération de la démonstration a échoué")?;
    simulated.release();
    let programme = summary
        .programmes
        .first()
        .map(|p| p.to_string())
        .ok_or_else(|| anyhow!("la génération n'a produit aucune cité éducative"))?;
    let mark = log.kv_tree(MARK_TREE).map_err(|e| anyhow!(e))?;
    mark.insert(MARK_KEY, programme.as_bytes())
        .map_err(|e| anyhow!(e))?;
    log.flush().map_err(|e| store::explain(e, &location))?;
    eprintln!(
        "chronique : {} événements enregistrés pour la cité éducative « {programme} »",
        summary.n_events
    );
    Ok(programme)
}

pub fn run(dir: &Path, listen: &str) -> anyhow::Result<()> {
    let fresh = is_empty_dir(dir)?;
    if fresh {
        // The generator writes with a simulated clock and buffered appends; the store is then
        // closed and opened again, durable and on the real clock, to be served.
        fill(dir)?;
    }
    let clock = Clock::system();
    // Checked on a temporary copy first (`store.rs`): a register that is not the demo's is
    // refused without a byte of it changed.
    let not_demo = || {
        anyhow!(
            "{} n'est pas un registre de démonstration et n'est pas vide : rien n'y a été écrit, choisissez un autre dossier avec --data-dir",
            dir.display()
        )
    };
    let location = eventlog::StoreLocation::Dir(dir.to_path_buf());
    if eventlog::inspect(dir).map_err(|e| store::explain(e, &location))?
        == eventlog::Layout::Foreign
    {
        return Err(not_demo());
    }
    let log = store::open_if(&location, log_options(&clock), false, |log| {
        if !is_demo_store(log)? {
            return Err(not_demo());
        }
        Ok(())
    })?;
    let mark = log.kv_tree(MARK_TREE).map_err(|e| anyhow!(e))?;
    let programme = mark
        .get(MARK_KEY)
        .map_err(|e| anyhow!(e))?
        .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
        .unwrap_or_default();
    let partner = first_partner(&log, &programme)?;
    let tokens = TokenStore::open(&log, clock.clone()).map_err(|e| anyhow!(e))?;
    if !fresh {
        println!(
            "registre de démonstration existant : de nouveaux jetons sont créés et ceux de la fois précédente sont révoqués"
        );
    }
    // The secrets printed by the previous run stop working: whoever saw them (a shared screen,
    // a terminal log) gets nothing from them now.
    if let Some(ids) = mark.get(TOKENS_KEY).map_err(|e| anyhow!(e))? {
        for id in String::from_utf8_lossy(&ids)
            .split(',')
            .filter(|id| !id.is_empty())
        {
            match tokens.revoke(id) {
                Ok(_) | Err(graphql::tokens::TokenError::UnknownId(_)) => {}
                Err(error) => return Err(anyhow!(error)),
            }
        }
    }
    let roles = [
        (Role::Admin, "ADMIN", "Opératrice de démonstration"),
        (Role::Pilot, "PILOT", "Troïka (démonstration)"),
        (
            Role::Coordinator,
            "COORDINATOR",
            "Cheffe de projet (démonstration)",
        ),
        (
            Role::Porteur,
            "PORTEUR",
            "Porteur de projet (démonstration)",
        ),
        (Role::Evaluator, "EVALUATOR", "Évaluatrice (démonstration)"),
        (
            Role::Observer,
            "OBSERVER",
            "Membre de l'alliance (démonstration)",
        ),
    ];
    let mut lines = Vec::new();
    let mut ids = Vec::new();
    for (role, name, label) in roles {
        let programme = (role != Role::Admin).then(|| programme.clone());
        let partner = if role == Role::Porteur {
            match &partner {
                Some(partner) => Some(partner.clone()),
                None => continue,
            }
        } else {
            None
        };
        let (info, secret) =
            create_token(&tokens, role, programme, partner, Some(label.to_owned()))?;
        ids.push(info.id);
        lines.push(format!("token {name} {secret}"));
    }
    mark.insert(TOKENS_KEY, ids.join(",").as_bytes())
        .and_then(|()| mark.flush())
        .map_err(|e| anyhow!(e))?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("impossible de démarrer le moteur asynchrone")?;
    runtime.block_on(run::serve_log(
        log,
        clock,
        listen,
        None,
        move |_, address| {
            for line in &lines {
                println!("{line}");
            }
            println!("cité éducative : {programme}");
            println!("page chronologique : http://{address}/");
            println!("GraphiQL : http://{address}/graphql");
            Ok(())
        },
    ))
}
