//! `chronique`: the register of decisions of a Cité éducative.
//!
//! One binary: `serve` runs the server over an embedded store; `demo` fills a fresh store
//! with a realistic programme and serves it; the other commands work on a stopped store
//! (tokens, export, import, verify, rebuild) or measure (bench). Exit status 0 on success;
//! otherwise one line in French on standard error and a non-zero status.

mod bench_graphql;
mod demo;
mod run;
mod spreadsheet;
mod store;

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;
use std::process::ExitCode;

/// Chronique : le registre des décisions d'une Cité éducative.
///
/// Chaque décision (proposition, avis, décision du COPIL, attribution, versement, bilan,
/// évaluation…) est un événement inscrit pour toujours dans un journal chaîné par empreintes.
/// Commencez par `chronique demo` pour voir une cité éducative fictive, ou par
/// `chronique token create --role ADMIN --name "Votre nom"` puis `chronique serve`.
#[derive(Debug, Parser)]
#[command(name = "chronique", version, about, long_about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Lance le serveur : API GraphQL (/graphql), page chronologique (/), /health, /metrics.
    Serve {
        #[command(flatten)]
        store: StoreArgs,
        #[command(flatten)]
        listen: ListenArgs,
        #[command(flatten)]
        signin: SignInArgs,
    },
    /// Remplit un registre neuf avec une cité éducative fictive, crée un jeton par rôle et le
    /// sert. Relancée sur le même dossier, sert la démonstration déjà faite (avec de nouveaux
    /// jetons).
    Demo {
        /// Dossier du registre de démonstration.
        #[arg(long, env = "CHRONIQUE_DATA_DIR", default_value = "./chronique-demo")]
        data_dir: PathBuf,
        #[command(flatten)]
        listen: ListenArgs,
    },
    /// Gère les jetons d'accès (serveur arrêté ; en marche, passez par l'API).
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Gère les personnes invitées à se connecter par le fournisseur d'identité (serveur
    /// arrêté ; en marche, passez par l'API : invitePerson, revokePerson, people).
    Person {
        #[command(subcommand)]
        command: PersonCommand,
    },
    /// Écrit tout le journal en NDJSON (une ligne par événement, avec ses empreintes, puis une
    /// ligne finale : nombre d'événements, position et empreinte de tête). Les jetons n'en
    /// font pas partie. Travaille sur une copie temporaire du registre (autant de place dans
    /// TMPDIR que le registre en occupe) : le registre n'est que lu.
    Export {
        #[command(flatten)]
        store: StoreArgs,
        /// Fichier à écrire (la sortie standard sinon).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Importe un export NDJSON dans un registre sans événement, en vérifiant chaque
    /// empreinte et la ligne finale ; refuse une chaîne rompue ou un fichier tronqué, sans
    /// rien écrire.
    Import {
        #[command(flatten)]
        store: StoreArgs,
        /// Le fichier NDJSON produit par `chronique export` (ou par GET /export).
        file: PathBuf,
        /// Refuse l'import si l'empreinte de tête du fichier n'est pas celle-ci (64 chiffres
        /// hexadécimaux, notée à part lors de la sauvegarde).
        #[arg(long, value_name = "EMPREINTE")]
        expect_head: Option<String>,
        /// Accepte un export sans ligne finale (fait avant qu'elle existe) ; un fichier
        /// tronqué passe alors inaperçu.
        #[arg(long)]
        no_trailer_check: bool,
    },
    /// Vérifie toute la chaîne d'empreintes ; statut 0 seulement si elle est intacte.
    /// Travaille sur une copie temporaire du registre (autant de place dans TMPDIR que le
    /// registre en occupe) : le registre n'est que lu.
    Verify {
        #[command(flatten)]
        store: StoreArgs,
        /// Avec --hash : vérifie aussi qu'un document imprimé vient de ce registre (statut 0
        /// seulement si le journal porte cette empreinte à cette position).
        #[arg(long, requires = "hash")]
        position: Option<i64>,
        /// L'empreinte imprimée sur le document (64 chiffres hexadécimaux).
        #[arg(long, requires = "position")]
        hash: Option<String>,
    },
    /// Reconstruit les vues (projections) depuis le journal et enregistre leur instantané.
    Rebuild {
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Copie un registre vers un autre moteur (un dossier vers PostgreSQL, ou l'inverse) avec
    /// ses empreintes, ses textes, ses jetons et ses personnes, puis vérifie la chaîne à
    /// l'arrivée. La destination doit être vide ; la source n'est que lue.
    Migrate {
        /// Registre source : un dossier ou une adresse postgres://…
        #[arg(long)]
        from: String,
        /// Registre de destination (vide) : un dossier ou une adresse postgres://…
        #[arg(long)]
        to: String,
    },
    /// Le tableau de suivi de la cité : modèle, export et import de classeurs (.xlsx, .ods,
    /// .csv).
    Spreadsheet {
        #[command(subcommand)]
        command: SpreadsheetCommand,
    },
    /// Mesure les performances (dans un dossier temporaire) et écrit des lignes
    /// `bench <nom> <valeur> <unité>`.
    Bench {
        /// Durée de chaque mesure d'écriture, en secondes.
        #[arg(long, default_value_t = 4)]
        seconds: u64,
        /// Dossier de travail (un dossier temporaire sinon).
        #[arg(long)]
        dir: Option<PathBuf>,
        /// Ne mesurer qu'une partie (répétable) : journal, vues ou API ; tout sinon.
        #[arg(long, value_enum)]
        only: Vec<run::BenchPart>,
        /// Interne : ne mesure que le chargement des vues d'un registre déjà préparé dans
        /// `--dir` (`chronique bench` se relance ainsi, pour mesurer la mémoire d'un processus
        /// neuf).
        #[arg(long, hide = true, requires = "dir")]
        projections_load: bool,
        /// Une base PostgreSQL (postgres://…) où mesurer aussi le journal, la reconstruction
        /// des vues et les mutations, dans des schémas chronique_bench_* supprimés ensuite.
        #[arg(long, env = "CHRONIQUE_BENCH_STORE")]
        store: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
enum SpreadsheetCommand {
    /// Écrit le modèle vide (.xlsx), avec sa notice.
    Template {
        /// Fichier à écrire (la sortie standard sinon).
        #[arg(long)]
        out: Option<std::path::PathBuf>,
    },
    /// Écrit le registre d'une cité dans le modèle (.xlsx), qu'on peut compléter et réimporter.
    Export {
        #[command(flatten)]
        store: StoreArgs,
        /// La cité éducative, par exemple `grigny`.
        #[arg(long)]
        programme: String,
        /// Seulement les actions de cet exercice.
        #[arg(long)]
        year: Option<i32>,
        /// État à cette date (AAAA-MM-JJ), tel que décidé.
        #[arg(long, value_name = "DATE")]
        as_of: Option<chrono::NaiveDate>,
        /// Format du classeur : xlsx (Excel, LibreOffice) ou ods (LibreOffice).
        #[arg(long, value_enum, default_value = "xlsx")]
        format: FormatArg,
        /// Fichier à écrire (la sortie standard sinon).
        #[arg(long)]
        out: Option<std::path::PathBuf>,
    },
    /// Importe un classeur (.xlsx, .ods) ou un CSV : chaque ligne passe par les règles du
    /// registre ; rien n'est écrit si une ligne est refusée.
    Import {
        #[command(flatten)]
        store: StoreArgs,
        /// Le fichier à importer.
        file: std::path::PathBuf,
        /// La cité éducative, par exemple `grigny`.
        #[arg(long)]
        programme: String,
        /// Liste ce qui serait écrit et ce qui serait refusé, sans rien écrire.
        #[arg(long)]
        dry_run: bool,
        /// Le nom sous lequel les lignes sont enregistrées.
        #[arg(long, default_value = "import tableur")]
        name: String,
    },
}

#[derive(Debug, Subcommand)]
enum TokenCommand {
    /// Crée un jeton et l'écrit seul sur la dernière ligne (il ne sera plus jamais montré).
    /// Fonctionne sur un registre neuf, et pour une cité éducative pas encore créée.
    Create {
        #[command(flatten)]
        store: StoreArgs,
        /// Rôle du jeton.
        #[arg(long, value_enum, ignore_case = true)]
        role: RoleArg,
        /// Cité éducative du jeton (obligatoire sauf pour ADMIN), par exemple `grigny`.
        #[arg(long)]
        programme: Option<String>,
        /// Partenaire du jeton (obligatoire pour PORTEUR, interdit sinon).
        #[arg(long)]
        partner: Option<String>,
        /// Nom de la personne ou de l'usage, pour s'y retrouver.
        #[arg(long)]
        name: Option<String>,
    },
    /// Liste les jetons (sans leur secret).
    List {
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Révoque un jeton : il ne donne plus accès.
    Revoke {
        #[command(flatten)]
        store: StoreArgs,
        /// Identifiant du jeton (colonne « id » de `chronique token list`).
        id: String,
    },
}

#[derive(Debug, Subcommand)]
enum PersonCommand {
    /// Invite une personne par son adresse électronique, avec un rôle : il lui revient à sa
    /// première connexion avec cette adresse, vérifiée par le fournisseur d'identité.
    Invite {
        #[command(flatten)]
        store: StoreArgs,
        /// Adresse électronique de la personne.
        #[arg(long)]
        email: String,
        #[arg(long, value_enum, ignore_case = true)]
        role: RoleArg,
        /// Cité éducative (obligatoire sauf pour ADMIN).
        #[arg(long)]
        programme: Option<String>,
        /// Partenaire (obligatoire pour PORTEUR, interdit sinon).
        #[arg(long)]
        partner: Option<String>,
    },
    /// Liste les personnes et les invitations.
    List {
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Retire un rôle à une personne, qui garde ses autres rôles.
    RemoveRole {
        #[command(flatten)]
        store: StoreArgs,
        /// Identifiant de la personne (colonne « id » de `chronique person list`).
        id: String,
        #[arg(long, value_enum, ignore_case = true)]
        role: RoleArg,
        /// Cité éducative du rôle (sauf pour ADMIN).
        #[arg(long)]
        programme: Option<String>,
        /// Partenaire du rôle (pour PORTEUR).
        #[arg(long)]
        partner: Option<String>,
    },
    /// Retire l'accès d'une personne (elle reste listée, révoquée).
    Revoke {
        #[command(flatten)]
        store: StoreArgs,
        /// Identifiant de la personne (colonne « id » de `chronique person list`).
        id: String,
    },
}

#[derive(Debug, Args)]
struct StoreArgs {
    /// Dossier du registre (./chronique-data par défaut).
    #[arg(long, env = "CHRONIQUE_DATA_DIR")]
    data_dir: Option<PathBuf>,
    /// Le registre : un dossier, ou une base PostgreSQL (postgres://utilisateur@hôte/base).
    #[arg(long, env = "CHRONIQUE_STORE", hide_env_values = true)]
    store: Option<String>,
}

impl StoreArgs {
    /// Where the store is: `--store`, or `--data-dir` (its sled form); not both.
    fn location(&self) -> anyhow::Result<eventlog::StoreLocation> {
        match (&self.data_dir, &self.store) {
            (Some(_), Some(_)) => anyhow::bail!(
                "--data-dir (CHRONIQUE_DATA_DIR) et --store (CHRONIQUE_STORE) désignent tous deux un registre : n'en donnez qu'un"
            ),
            (None, Some(store)) => Ok(eventlog::StoreLocation::parse(store)),
            (Some(dir), None) => Ok(eventlog::StoreLocation::Dir(dir.clone())),
            (None, None) => Ok(eventlog::StoreLocation::Dir(PathBuf::from(
                "./chronique-data",
            ))),
        }
    }
}

/// La connexion des personnes par un fournisseur OpenID Connect (ProConnect ou celui de la
/// collectivité). Sans `--oidc-issuer`, seuls les jetons ouvrent l'accès.
#[derive(Debug, Args)]
struct SignInArgs {
    /// URL de l'émetteur (sa découverte est lue à `<URL>/.well-known/openid-configuration`).
    #[arg(long, env = "CHRONIQUE_OIDC_ISSUER", requires_all = ["oidc_client_id", "oidc_client_secret", "public_url"])]
    oidc_issuer: Option<String>,
    /// Identifiant du client que le fournisseur a donné à Chronique.
    #[arg(long, env = "CHRONIQUE_OIDC_CLIENT_ID")]
    oidc_client_id: Option<String>,
    /// Secret de ce client.
    #[arg(long, env = "CHRONIQUE_OIDC_CLIENT_SECRET", hide_env_values = true)]
    oidc_client_secret: Option<String>,
    /// Adresse publique de Chronique, telle que les navigateurs l'atteignent : le fournisseur
    /// y renvoie les personnes, à `<URL>/auth/callback`.
    #[arg(long, env = "CHRONIQUE_PUBLIC_URL")]
    public_url: Option<String>,
    /// Le fournisseur vérifie toutes les adresses qu'il donne (c'est le cas de ProConnect) :
    /// `email_verified` n'est alors pas exigé.
    #[arg(long, env = "CHRONIQUE_OIDC_VERIFIED_EMAILS")]
    oidc_verified_emails: bool,
}

impl SignInArgs {
    fn config(self) -> Option<graphql::oidc::OidcConfig> {
        Some(graphql::oidc::OidcConfig {
            issuer: self.oidc_issuer?,
            client_id: self.oidc_client_id?,
            client_secret: self.oidc_client_secret?,
            public_url: self.public_url?,
            emails_verified_by_provider: self.oidc_verified_emails,
        })
    }
}

#[derive(Debug, Args)]
struct ListenArgs {
    /// Adresse d'écoute ; le port 0 en choisit un libre (l'adresse réelle est écrite sur une
    /// ligne `listening on http://ADRESSE`).
    #[arg(long, env = "CHRONIQUE_LISTEN", default_value = "127.0.0.1:8080")]
    listen: String,
}

/// The formats of a workbook Chronique writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum FormatArg {
    Xlsx,
    Ods,
}

/// The roles of DOMAIN.md, as written on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
#[value(rename_all = "SCREAMING_SNAKE_CASE")]
enum RoleArg {
    Admin,
    Pilot,
    Coordinator,
    Porteur,
    Evaluator,
    Observer,
}

impl From<RoleArg> for domain::values::Role {
    fn from(role: RoleArg) -> Self {
        use domain::values::Role;
        match role {
            RoleArg::Admin => Role::Admin,
            RoleArg::Pilot => Role::Pilot,
            RoleArg::Coordinator => Role::Coordinator,
            RoleArg::Porteur => Role::Porteur,
            RoleArg::Evaluator => Role::Evaluator,
            RoleArg::Observer => Role::Observer,
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    run::init_logging();
    match run_command(cli.command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            // One line, the whole chain of causes: scripts read it, people too.
            let message = format!("{error:#}").replace('\n', " ");
            eprintln!("chronique : {message}");
            ExitCode::FAILURE
        }
    }
}

fn run_command(command: Command) -> anyhow::Result<()> {
    match command {
        Command::Serve {
            store,
            listen,
            signin,
        } => run::serve(&store.location()?, &listen.listen, signin.config()),
        Command::Demo { data_dir, listen } => demo::run(&data_dir, &listen.listen),
        Command::Token { command } => match command {
            TokenCommand::Create {
                store,
                role,
                programme,
                partner,
                name,
            } => run::token_create(&store.location()?, role.into(), programme, partner, name),
            TokenCommand::List { store } => run::token_list(&store.location()?),
            TokenCommand::Revoke { store, id } => run::token_revoke(&store.location()?, &id),
        },
        Command::Person { command } => match command {
            PersonCommand::Invite {
                store,
                email,
                role,
                programme,
                partner,
            } => run::person_invite(&store.location()?, email, role.into(), programme, partner),
            PersonCommand::List { store } => run::person_list(&store.location()?),
            PersonCommand::RemoveRole {
                store,
                id,
                role,
                programme,
                partner,
            } => run::person_remove_role(&store.location()?, &id, role.into(), programme, partner),
            PersonCommand::Revoke { store, id } => run::person_revoke(&store.location()?, &id),
        },
        Command::Export { store, out } => run::export(&store.location()?, out.as_deref()),
        Command::Import {
            store,
            file,
            expect_head,
            no_trailer_check,
        } => run::import(
            &store.location()?,
            &file,
            expect_head.as_deref(),
            no_trailer_check,
        ),
        Command::Spreadsheet { command } => match command {
            SpreadsheetCommand::Template { out } => spreadsheet::template(out.as_deref()),
            SpreadsheetCommand::Export {
                store,
                programme,
                year,
                as_of,
                format,
                out,
            } => spreadsheet::export(
                &store.location()?,
                &programme,
                year,
                as_of,
                match format {
                    FormatArg::Xlsx => graphql::spreadsheet::SheetFormat::Xlsx,
                    FormatArg::Ods => graphql::spreadsheet::SheetFormat::Ods,
                },
                out.as_deref(),
            ),
            SpreadsheetCommand::Import {
                store,
                file,
                programme,
                dry_run,
                name,
            } => spreadsheet::import(&store.location()?, &file, &programme, dry_run, &name),
        },
        Command::Verify {
            store,
            position,
            hash,
        } => run::verify(&store.location()?, position.zip(hash)),
        Command::Rebuild { store } => run::rebuild(&store.location()?),
        Command::Migrate { from, to } => run::migrate(
            &eventlog::StoreLocation::parse(&from),
            &eventlog::StoreLocation::parse(&to),
        ),
        Command::Bench {
            seconds,
            dir,
            only,
            projections_load,
            store,
        } => match (projections_load, dir.as_deref()) {
            (true, Some(dir)) => run::bench_projections_load(dir),
            (_, dir) => run::bench(seconds, dir, &only, store.as_deref()),
        },
    }
}
