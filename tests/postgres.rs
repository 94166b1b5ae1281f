//! The log on PostgreSQL, end to end with the real binary: a server on a database, a second
//! server refused, `migrate` both ways, and a failover to a synchronous standby after the
//! primary is killed.

mod common;

use common::{
    DEADLINE, chronique, create_token_on, free_port, postgres_execute, postgres_query,
    postgres_store, postgres_url, spawn_store, stderr, stdout,
};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::Instant;

const ESTABLISH: &str = r#"mutation { establishProgramme(input: {id: "grigny", name: "Cité éducative de Grigny",
    territory: ["Grigny"], qpv: ["Grande Borne"]}) { position } }"#;
const REGISTER: &str = "mutation($id: ID!) { registerFunder(programmeId: \"grigny\", input: {id: $id, name: \"Financeur\", kind: OTHER}) { position } }";
const STATE: &str = r#"{ programme(id: "grigny") { funders { id name } version } integrity { verified headPosition } }"#;

fn funder_ids(data: &Value) -> Vec<String> {
    data["programme"]["funders"]
        .as_array()
        .unwrap_or_else(|| panic!("no funders in {data}"))
        .iter()
        .map(|f| f["id"].as_str().unwrap().to_owned())
        .collect()
}

fn succeeds(args: &[&str]) -> String {
    let output = chronique(args);
    assert!(
        output.status.success(),
        "chronique {}: {} {}",
        args.join(" "),
        stdout(&output),
        stderr(&output)
    );
    stdout(&output)
}

#[test]
fn a_server_on_postgres_is_alone_on_its_store_and_migrate_copies_it_both_ways() {
    let url = postgres_store(&postgres_url(), "e2e");
    let store = ["--store", url.as_str()];
    let admin = create_token_on(&store, "ADMIN", None, None);
    let pilot = create_token_on(&store, "PILOT", Some("grigny"), None);
    let app = spawn_store(&["serve"], &store, "127.0.0.1:0");
    app.ok(&admin, ESTABLISH, json!({}));
    for i in 0..30 {
        app.ok(&pilot, REGISTER, json!({"id": format!("f{i}")}));
    }
    let on_postgres = app.ok(&pilot, STATE, json!({}));
    assert_eq!(funder_ids(&on_postgres).len(), 30);
    assert_eq!(on_postgres["integrity"]["verified"], true);

    // A second server on the same store is refused at start, in French, and writes nothing.
    let second =
        common::chronique_until_exit(&["serve", "--listen", "127.0.0.1:0", "--store", &url]);
    assert!(!second.status.success());
    assert!(
        stderr(&second).contains("déjà ouvert par un autre serveur chronique"),
        "{}",
        stderr(&second)
    );
    // Naming the store twice is refused.
    let both = chronique(&["verify", "--data-dir", "/tmp/x", "--store", &url]);
    assert!(!both.status.success());
    assert!(
        stderr(&both).contains("n'en donnez qu'un"),
        "{}",
        stderr(&both)
    );
    assert_eq!(app.ok(&pilot, STATE, json!({})), on_postgres);
    assert!(app.terminate().success());
    succeeds(&["verify", "--store", &url]);

    // To a directory: the same answers, with the same tokens.
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("copie");
    let copy_dir = copy.to_str().unwrap();
    let printed = succeeds(&["migrate", "--from", &url, "--to", copy_dir]);
    assert!(printed.contains("chaîne vérifiée à l'arrivée"), "{printed}");
    succeeds(&["verify", "--data-dir", copy_dir]);
    let app = spawn_store(&["serve"], &["--data-dir", copy_dir], "127.0.0.1:0");
    assert_eq!(app.ok(&pilot, STATE, json!({})), on_postgres);
    app.ok(&pilot, REGISTER, json!({"id": "f30"}));
    let on_sled = app.ok(&pilot, STATE, json!({}));
    assert!(app.terminate().success());

    // And back to another database (schema): the same answers again.
    let back = postgres_store(&postgres_url(), "retour");
    succeeds(&["migrate", "--from", copy_dir, "--to", &back]);
    let app = spawn_store(&["serve"], &["--store", &back], "127.0.0.1:0");
    assert_eq!(app.ok(&pilot, STATE, json!({})), on_sled);
    assert!(app.terminate().success());

    // A migration into a store that holds events is refused, and changes nothing.
    let refused = chronique(&["migrate", "--from", copy_dir, "--to", &url]);
    assert!(!refused.status.success());
    assert!(
        stderr(&refused).contains("vers un registre vide"),
        "{}",
        stderr(&refused)
    );
    succeeds(&["verify", "--store", &url]);
}

/// The directory of the PostgreSQL programs of the newest version installed.
fn pg_bin() -> PathBuf {
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .expect("PostgreSQL is installed (scripts/test installs it)")
        .map(|entry| entry.unwrap().path().join("bin"))
        .filter(|bin| bin.join("pg_basebackup").exists())
        .collect();
    versions.sort();
    versions.pop().expect("a PostgreSQL with pg_basebackup")
}

fn is_root() -> bool {
    let output = Command::new("id").arg("-u").output().unwrap();
    String::from_utf8_lossy(&output.stdout).trim() == "0"
}

/// A PostgreSQL program, to be run as the `postgres` system user when the tests run as root
/// (PostgreSQL refuses to run as root).
fn postgres_command(program: &str) -> Command {
    let bin = pg_bin().join(program);
    if is_root() {
        let mut command = Command::new("runuser");
        command.args(["-u", "postgres", "--"]).arg(&bin);
        command
    } else {
        Command::new(&bin)
    }
}

/// Runs a PostgreSQL program (see [`postgres_command`]), which must succeed.
fn postgres_program(program: &str, args: &[&str]) {
    let output = postgres_command(program).args(args).output().unwrap();
    assert!(
        output.status.success(),
        "{program} {}: {} {}",
        args.join(" "),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The primary and the standby of the failover test, stopped when the test ends.
struct Clusters {
    base: PathBuf,
}

impl Clusters {
    fn data(&self, name: &str) -> String {
        self.base.join(name).join("data").display().to_string()
    }

    fn start(&self, name: &str, port: u16) {
        let log = self.base.join(name).join("server.log");
        let options = format!(
            "-p {port} -k {} -c listen_addresses=127.0.0.1",
            self.base.display()
        );
        postgres_program(
            "pg_ctl",
            &[
                "-D",
                &self.data(name),
                "-l",
                log.to_str().unwrap(),
                "-o",
                &options,
                "-w",
                "start",
            ],
        );
    }
}

impl Clusters {
    /// A new cluster `name` (initdb), not started.
    fn init(&self, name: &str) {
        postgres_program(
            "initdb",
            &[
                "-D",
                &self.data(name),
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
            ],
        );
    }
}

/// A directory under `target/` for clusters, owned by the `postgres` user when the tests run
/// as root.
fn cluster_base(what: &str, clusters: &[&str]) -> Clusters {
    let base =
        PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("{what}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&base);
    for name in clusters {
        std::fs::create_dir_all(base.join(name)).unwrap();
    }
    chown_to_postgres(&base);
    Clusters { base }
}

/// Gives `path` and what it holds to the `postgres` user, when the tests run as root.
fn chown_to_postgres(path: &Path) {
    if is_root() {
        let status = Command::new("chown")
            .args(["-R", "postgres:", path.to_str().unwrap()])
            .status()
            .unwrap();
        assert!(status.success());
    }
}

impl Drop for Clusters {
    fn drop(&mut self) {
        let names: Vec<String> = std::fs::read_dir(&self.base)
            .map(|entries| {
                entries
                    .flatten()
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        for name in names {
            let data = self.data(&name);
            if Path::new(&data).join("postmaster.pid").exists() {
                let _ = postgres_command("pg_ctl")
                    .args(["-D", &data, "-m", "immediate", "stop"])
                    .output();
            }
        }
        let _ = std::fs::remove_dir_all(&self.base);
    }
}

/// The processes whose parent is `pid`.
fn children_of(pid: u32) -> Vec<u32> {
    let mut children = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(child) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        // `pid (comm) state ppid …`: the fields after the last ')'.
        let fields: Vec<&str> = stat
            .rsplit_once(')')
            .map(|(_, rest)| rest.split_whitespace().collect())
            .unwrap_or_default();
        if fields.get(1).and_then(|p| p.parse::<u32>().ok()) == Some(pid) {
            children.push(child);
        }
    }
    children
}

/// SIGKILL to the postmaster of `data` and every process it started, at once: the machine
/// dies.
fn kill_cluster(data: &str) {
    let pid_file = std::fs::read_to_string(Path::new(data).join("postmaster.pid")).unwrap();
    let postmaster: u32 = pid_file.lines().next().unwrap().trim().parse().unwrap();
    let mut pids = vec![postmaster];
    pids.extend(children_of(postmaster));
    let mut args = vec!["-KILL".to_owned()];
    args.extend(pids.iter().map(u32::to_string));
    // A backend may end on its own between the listing and the kill: only the postmaster's
    // death is required.
    let _ = Command::new("kill")
        .args(&args)
        .stderr(std::process::Stdio::null())
        .status();
    let started = Instant::now();
    while Path::new(&format!("/proc/{postmaster}")).exists()
        && !std::fs::read_to_string(format!("/proc/{postmaster}/stat"))
            .unwrap_or_default()
            .contains(") Z")
    {
        assert!(started.elapsed() < DEADLINE, "the primary did not die");
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
}

#[test]
fn after_the_primary_is_killed_the_promoted_standby_has_every_acknowledged_mutation() {
    let clusters = cluster_base("failover", &["primary", "standby"]);
    let (primary_port, standby_port) = (free_port(), free_port());
    let primary = format!("postgres://postgres@127.0.0.1:{primary_port}/postgres");
    let standby = format!("postgres://postgres@127.0.0.1:{standby_port}/postgres");

    // A primary, and a standby streaming from it (pg_basebackup -R), synchronous: a commit
    // returns once the standby has it on disk.
    clusters.init("primary");
    clusters.start("primary", primary_port);
    postgres_program(
        "pg_basebackup",
        &[
            "-h",
            "127.0.0.1",
            "-p",
            &primary_port.to_string(),
            "-U",
            "postgres",
            "-D",
            &clusters.data("standby"),
            "-R",
            "-X",
            "stream",
            "--checkpoint=fast",
        ],
    );
    clusters.start("standby", standby_port);
    postgres_execute(&primary, "ALTER SYSTEM SET synchronous_standby_names = '*'");
    postgres_execute(&primary, "SELECT pg_reload_conf()");
    let started = Instant::now();
    while postgres_query(&primary, "SELECT sync_state FROM pg_stat_replication")
        != ["sync".to_owned()]
    {
        assert!(
            started.elapsed() < DEADLINE,
            "the standby did not become synchronous"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }

    // Chronique on the primary, two clients registering funders, each noting what was
    // acknowledged.
    let on_primary = ["--store", primary.as_str()];
    let admin = create_token_on(&on_primary, "ADMIN", None, None);
    let pilot = create_token_on(&on_primary, "PILOT", Some("grigny"), None);
    let app = spawn_store(&["serve"], &on_primary, "127.0.0.1:0");
    app.ok(&admin, ESTABLISH, json!({}));
    let acknowledged = Arc::new(Mutex::new(Vec::<String>::new()));
    let writers: Vec<_> = ["a", "b"]
        .into_iter()
        .map(|client| {
            let acknowledged = Arc::clone(&acknowledged);
            let url = app.url("/graphql");
            let pilot = pilot.clone();
            std::thread::spawn(move || {
                common::register_funders(&url, &pilot, client, 100_000, &acknowledged)
            })
        })
        .collect();
    let started = Instant::now();
    while acknowledged.lock().unwrap().len() < 60 {
        assert!(
            started.elapsed() < DEADLINE,
            "the clients did not get 60 acknowledgements in time"
        );
        std::thread::sleep(std::time::Duration::from_millis(5));
    }

    // The primary's machine dies: the database and Chronique, at once.
    kill_cluster(&clusters.data("primary"));
    app.kill();
    for writer in writers {
        writer.join().unwrap();
    }
    let acknowledged = acknowledged.lock().unwrap().clone();

    // The operator promotes the standby and starts Chronique on it.
    postgres_program(
        "pg_ctl",
        &["-D", &clusters.data("standby"), "-w", "promote"],
    );
    succeeds(&["verify", "--store", &standby]);
    let on_standby = ["--store", standby.as_str()];
    let app = spawn_store(&["serve"], &on_standby, "127.0.0.1:0");
    let after_failover = app.ok(&pilot, STATE, json!({}));
    let present = funder_ids(&after_failover);
    for id in &acknowledged {
        assert!(
            present.contains(id),
            "{id} was acknowledged before the primary died and is not on the standby"
        );
    }
    // Each client wrote in order: what each has on the standby is a prefix, with no gap.
    for client in ["a", "b"] {
        let mine: Vec<&String> = present.iter().filter(|id| id.starts_with(client)).collect();
        let expected: Vec<String> = (0..mine.len()).map(|i| format!("{client}{i}")).collect();
        assert_eq!(mine, expected.iter().collect::<Vec<_>>());
    }
    assert_eq!(after_failover["integrity"]["verified"], true);
    eprintln!(
        "{} registrations acknowledged before the primary was killed, {} on the promoted standby",
        acknowledged.len(),
        present.len()
    );

    // The read models equal a rebuild from the log, and writes go on.
    assert!(app.terminate().success());
    succeeds(&["rebuild", "--store", &standby]);
    let app = spawn_store(&["serve"], &on_standby, "127.0.0.1:0");
    assert_eq!(
        app.ok(&pilot, STATE, json!({})),
        after_failover,
        "the read models after the failover equal a rebuild from the log"
    );
    app.ok(&pilot, REGISTER, json!({"id": "after-failover"}));
    assert!(funder_ids(&app.ok(&pilot, STATE, json!({}))).contains(&"after-failover".to_owned()));
    assert!(app.terminate().success());
    succeeds(&["verify", "--store", &standby]);
    drop(clusters);
}

fn openssl(args: &[&str], dir: &Path) {
    let output = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("openssl runs (Debian's package openssl)");
    assert!(
        output.status.success(),
        "openssl {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// A certificate authority `name` (`name.pem`, `name.key`) in `dir`.
fn authority(dir: &Path, name: &str) {
    openssl(
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            &format!("/CN={name}"),
            "-keyout",
            &format!("{name}.key"),
            "-out",
            &format!("{name}.pem"),
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign",
        ],
        dir,
    );
}

#[test]
fn a_server_that_requires_tls_is_reached_with_its_certificate_checked() {
    let clusters = cluster_base("tls", &["tls"]);
    let certificates = clusters.base.join("certificates");
    std::fs::create_dir_all(&certificates).unwrap();
    authority(&certificates, "ca");
    authority(&certificates, "other-ca");
    std::fs::write(
        certificates.join("server.ext"),
        "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
    )
    .unwrap();
    openssl(
        &[
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-subj",
            "/CN=127.0.0.1",
            "-keyout",
            "server.key",
            "-out",
            "server.csr",
        ],
        &certificates,
    );
    openssl(
        &[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-days",
            "2",
            "-extfile",
            "server.ext",
            "-out",
            "server.crt",
        ],
        &certificates,
    );

    // A server that accepts TCP connections with TLS only (hostssl).
    clusters.init("tls");
    let data = PathBuf::from(clusters.data("tls"));
    for file in ["server.crt", "server.key"] {
        std::fs::copy(certificates.join(file), data.join(file)).unwrap();
    }
    let mut conf = std::fs::read_to_string(data.join("postgresql.conf")).unwrap();
    conf.push_str("\nssl = on\nssl_cert_file = 'server.crt'\nssl_key_file = 'server.key'\n");
    std::fs::write(data.join("postgresql.conf"), conf).unwrap();
    std::fs::write(
        data.join("pg_hba.conf"),
        "local all all trust\nhostssl all all 127.0.0.1/32 trust\n",
    )
    .unwrap();
    chown_to_postgres(&clusters.base);
    let status = Command::new("chmod")
        .args(["600", data.join("server.key").to_str().unwrap()])
        .status()
        .unwrap();
    assert!(status.success());
    let port = free_port();
    clusters.start("tls", port);

    let base = format!("postgres://postgres@127.0.0.1:{port}/postgres");
    let ca = certificates.join("ca.pem");
    let url = format!("{base}?sslmode=require&sslrootcert={}", ca.display());
    let admin = create_token_on(&["--store", &url], "ADMIN", None, None);
    let app = spawn_store(&["serve"], &["--store", &url], "127.0.0.1:0");
    app.ok(&admin, ESTABLISH, json!({}));
    assert!(app.terminate().success());
    succeeds(&["verify", "--store", &url]);

    // A certificate signed by another authority, or no TLS at all, is refused.
    let other = format!(
        "{base}?sslmode=require&sslrootcert={}",
        certificates.join("other-ca.pem").display()
    );
    let without_authority = format!("{base}?sslmode=require");
    let without_tls = format!("{base}?sslmode=disable");
    for (refused, why) in [
        (&other, "a certificate of another authority"),
        (&without_authority, "an authority not given"),
        (&without_tls, "no TLS"),
    ] {
        let output = chronique(&["verify", "--store", refused]);
        assert!(!output.status.success(), "{why} was accepted");
        assert!(
            stderr(&output).contains("impossible de joindre PostgreSQL"),
            "{why}: {}",
            stderr(&output)
        );
    }
    drop(clusters);
}
