//! End-to-end helpers: the real `chronique` binary on a fresh temporary directory (zero2prod's
//! `spawn_app`), a blocking HTTP client, and ways to stop it (SIGTERM) or kill it (SIGKILL)
//! and start it again on the same store.

#![allow(dead_code)]

use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// How long a server may take to start or stop before the test fails.
pub const DEADLINE: Duration = Duration::from_secs(60);

pub const BIN: &str = env!("CARGO_BIN_EXE_chronique");

/// The binary with a clean environment: no `CHRONIQUE_*` variable of the developer's shell.
pub fn command() -> Command {
    let mut command = Command::new(BIN);
    for (key, _) in std::env::vars() {
        if key.starts_with("CHRONIQUE_") {
            command.env_remove(key);
        }
    }
    command.env("CHRONIQUE_LOG", "warn");
    command
}

/// Runs `chronique ARGS…` to completion.
pub fn chronique(args: &[&str]) -> Output {
    command().args(args).output().expect("run chronique")
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// `chronique token create …` on `dir`; returns the secret (the last line of its output).
pub fn create_token(
    dir: &Path,
    role: &str,
    programme: Option<&str>,
    partner: Option<&str>,
) -> String {
    create_token_on(
        &["--data-dir", dir.to_str().unwrap()],
        role,
        programme,
        partner,
    )
}

/// `chronique token create STORE… …` (`STORE`: `--data-dir DIR` or `--store URL`).
pub fn create_token_on(
    store: &[&str],
    role: &str,
    programme: Option<&str>,
    partner: Option<&str>,
) -> String {
    let mut args = vec!["token", "create"];
    args.extend_from_slice(store);
    args.extend(["--role", role, "--name", "Test"]);
    if let Some(programme) = programme {
        args.extend(["--programme", programme]);
    }
    if let Some(partner) = partner {
        args.extend(["--partner", partner]);
    }
    let output = chronique(&args);
    assert!(
        output.status.success(),
        "token create failed: {}",
        stderr(&output)
    );
    stdout(&output).lines().last().unwrap().to_owned()
}

/// Fills `dir` with a small generated log (the real deciders and encoding), closed afterwards.
pub fn generate(dir: &Path) -> String {
    let log = eventlog::EventLog::open(dir, eventlog::Options::default()).unwrap();
    let params = projections::generator::GeneratorParams::small(11, 1, 4);
    let summary = projections::generator::generate(&log, &params).unwrap();
    summary.programmes[0].to_string()
}

/// A running `chronique serve` (or `demo`).
pub struct TestApp {
    pub address: String,
    pub data_dir: PathBuf,
    /// Lines the server printed on standard output before `listening on`.
    pub preamble: Vec<String>,
    pub client: reqwest::blocking::Client,
    child: Option<Child>,
}

/// Starts `chronique serve --listen 127.0.0.1:0 --data-dir DIR`.
pub fn spawn_app(dir: &Path) -> TestApp {
    spawn(&["serve"], dir)
}

/// Starts `chronique SUBCOMMAND --listen 127.0.0.1:0 --data-dir DIR` and waits for its
/// `listening on` line.
pub fn spawn(subcommand: &[&str], dir: &Path) -> TestApp {
    spawn_listening(subcommand, dir, "127.0.0.1:0")
}

/// [`spawn`] on the address `listen`.
pub fn spawn_listening(subcommand: &[&str], dir: &Path, listen: &str) -> TestApp {
    let mut app = spawn_store(subcommand, &["--data-dir", dir.to_str().unwrap()], listen);
    app.data_dir = dir.to_path_buf();
    app
}

/// Starts `chronique SUBCOMMAND --listen LISTEN STORE…` (`STORE`: `--data-dir DIR` or
/// `--store URL`) and waits for its `listening on` line.
pub fn spawn_store(subcommand: &[&str], store: &[&str], listen: &str) -> TestApp {
    let mut child = command()
        .args(subcommand)
        .args(["--listen", listen])
        .args(store)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start chronique");
    let stdout = child.stdout.take().unwrap();
    let (sender, receiver) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if sender.send(line).is_err() {
                break;
            }
        }
    });
    let started = Instant::now();
    let mut preamble = Vec::new();
    let address = loop {
        let left = DEADLINE.saturating_sub(started.elapsed());
        match receiver.recv_timeout(left) {
            Ok(line) => match line.strip_prefix("listening on ") {
                Some(address) => break address.to_owned(),
                None => preamble.push(line),
            },
            Err(_) => {
                let _ = child.kill();
                panic!("the server did not print `listening on` in time; it printed {preamble:?}");
            }
        }
    };
    // Lines printed after `listening on` (the demo's URLs) are drained in the background.
    std::thread::spawn(move || while receiver.recv().is_ok() {});
    TestApp {
        address,
        data_dir: PathBuf::new(),
        preamble,
        client: reqwest::blocking::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap(),
        child: Some(child),
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    pub fn get(&self, path: &str) -> reqwest::blocking::Response {
        self.client.get(self.url(path)).send().expect("GET")
    }

    /// The body of `GET path` with `token`; fails unless it is 200.
    pub fn get_with(&self, token: &str, path: &str) -> Vec<u8> {
        let response = self
            .client
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .expect("GET");
        assert_eq!(response.status().as_u16(), 200, "GET {path}");
        response.bytes().expect("a body").to_vec()
    }

    /// POSTs a GraphQL operation; returns the HTTP status and the JSON body.
    pub fn graphql(&self, token: Option<&str>, query: &str, variables: Value) -> (u16, Value) {
        let mut request = self
            .client
            .post(self.url("/graphql"))
            .json(&json!({"query": query, "variables": variables}));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().expect("POST /graphql");
        let status = response.status().as_u16();
        (status, response.json().expect("a JSON body"))
    }

    /// The secret `chronique demo` printed for `role` (its `token ROLE SECRET` lines).
    pub fn demo_token(&self, role: &str) -> String {
        let prefix = format!("token {role} ");
        self.preamble
            .iter()
            .find_map(|line| line.strip_prefix(&prefix))
            .unwrap_or_else(|| panic!("the demo prints a {role} token: {:?}", self.preamble))
            .to_owned()
    }

    /// The programme `chronique demo` made (its `cité éducative : ID` line).
    pub fn demo_programme(&self) -> String {
        self.preamble
            .iter()
            .find_map(|line| line.strip_prefix("cité éducative : "))
            .unwrap_or_else(|| panic!("the demo names its programme: {:?}", self.preamble))
            .to_owned()
    }

    pub fn pid(&self) -> u32 {
        self.child.as_ref().unwrap().id()
    }

    /// SIGKILL: the process dies at once, as in a crash.
    pub fn kill(mut self) {
        let mut child = self.child.take().unwrap();
        child.kill().unwrap();
        child.wait().unwrap();
    }

    /// SIGTERM, then waits (with a deadline) for the exit status.
    pub fn terminate(mut self) -> ExitStatus {
        let mut child = self.child.take().unwrap();
        let status = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .expect("run kill");
        assert!(status.success());
        let started = Instant::now();
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                return status;
            }
            if started.elapsed() > DEADLINE {
                let _ = child.kill();
                panic!("the server did not stop within {DEADLINE:?} after SIGTERM");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// SIGKILL, then `serve` again on the same store.
    pub fn kill_and_restart(self) -> TestApp {
        let dir = self.data_dir.clone();
        self.kill();
        spawn_app(&dir)
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

pub fn first_code(body: &Value) -> String {
    body["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("no error code in {body}"))
        .to_owned()
}

impl TestApp {
    /// Runs an operation that must succeed; returns its `data`.
    pub fn ok(&self, token: &str, query: &str, variables: Value) -> Value {
        let (status, body) = self.graphql(Some(token), query, variables);
        assert!(
            status == 200 && body.get("errors").is_none(),
            "unexpected answer {status} to {}: {}",
            short(query),
            short(&body.to_string())
        );
        body["data"].clone()
    }

    /// Runs an operation that must fail; returns its first error.
    pub fn error(&self, token: &str, query: &str, variables: Value) -> Value {
        let (_, body) = self.graphql(Some(token), query, variables);
        assert!(
            body.get("errors").is_some(),
            "{} should have failed: {}",
            short(query),
            short(&body.to_string())
        );
        body["errors"][0].clone()
    }

    /// The position of the last event of the log, as `integrity` gives it.
    pub fn head(&self, token: &str) -> u64 {
        self.ok(token, "{ integrity { headPosition } }", json!({}))["integrity"]["headPosition"]
            .as_u64()
            .unwrap()
    }

    /// `createToken` through the API, with an ADMIN token; returns the secret.
    pub fn new_token(
        &self,
        admin: &str,
        role: &str,
        programme: Option<&str>,
        partner: Option<&str>,
        name: &str,
    ) -> String {
        let data = self.ok(
            admin,
            "mutation($role: Role!, $p: ID, $partner: ID, $name: String!) {
                createToken(role: $role, programmeId: $p, partnerId: $partner, name: $name) { secret } }",
            json!({"role": role, "p": programme, "partner": partner, "name": name}),
        );
        data["createToken"]["secret"].as_str().unwrap().to_owned()
    }
}

/// At most 400 characters of a text, for failure messages.
pub fn short(text: &str) -> String {
    if text.chars().count() <= 400 {
        text.to_owned()
    } else {
        let mut kept: String = text.chars().take(400).collect();
        kept.push('…');
        kept
    }
}

/// « 12 000,00 € » as the API writes money in French: `eur("12 000,00")`, with a narrow
/// no-break space between thousands and a no-break space before the euro sign.
pub fn eur(amount: &str) -> String {
    format!("{}\u{A0}€", amount.replace(' ', "\u{202F}"))
}

/// The `node`s of a connection's `edges`.
pub fn nodes(connection: &Value) -> Vec<Value> {
    connection["edges"]
        .as_array()
        .unwrap_or_else(|| panic!("no edges in {connection}"))
        .iter()
        .map(|edge| edge["node"].clone())
        .collect()
}

/// One field of each item of a list.
pub fn pluck(list: &Value, field: &str) -> Vec<Value> {
    list.as_array()
        .unwrap_or_else(|| panic!("not a list: {list}"))
        .iter()
        .map(|item| item[field].clone())
        .collect()
}

pub type Socket = tungstenite::WebSocket<tungstenite::stream::MaybeTlsStream<std::net::TcpStream>>;

/// Opens `/graphql/ws` with the graphql-transport-ws protocol and sends `connection_init`
/// with `payload`.
pub fn websocket(app: &TestApp, payload: Value) -> Socket {
    use tungstenite::client::IntoClientRequest;
    let url = app.url("/graphql/ws").replacen("http://", "ws://", 1);
    let mut request = url.into_client_request().unwrap();
    request.headers_mut().insert(
        "Sec-WebSocket-Protocol",
        "graphql-transport-ws".parse().unwrap(),
    );
    let (mut socket, _) = tungstenite::connect(request).expect("WebSocket handshake");
    if let tungstenite::stream::MaybeTlsStream::Plain(stream) = socket.get_ref() {
        stream.set_read_timeout(Some(DEADLINE)).unwrap();
    }
    send_json(
        &mut socket,
        json!({"type": "connection_init", "payload": payload}),
    );
    socket
}

pub fn send_json(socket: &mut Socket, message: Value) {
    socket
        .send(tungstenite::Message::Text(message.to_string().into()))
        .unwrap();
}

/// The next text message, as JSON, answering pings; `None` when the server closed the
/// connection (or said nothing within [`DEADLINE`]).
pub fn next_json(socket: &mut Socket) -> Option<Value> {
    loop {
        match socket.read() {
            Ok(tungstenite::Message::Text(text)) => {
                let message: Value = serde_json::from_str(&text).ok()?;
                if message["type"] == "ping" {
                    send_json(socket, json!({"type": "pong"}));
                    continue;
                }
                return Some(message);
            }
            Ok(tungstenite::Message::Close(_)) | Err(_) => return None,
            Ok(_) => continue,
        }
    }
}

/// Every file under `dir` with its bytes, to compare a store before and after a command.
pub fn files_of(dir: &Path) -> std::collections::BTreeMap<PathBuf, Vec<u8>> {
    let mut files = std::collections::BTreeMap::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(folder) = pending.pop() {
        for entry in std::fs::read_dir(&folder).expect("read the store's folder") {
            let path = entry.expect("a folder entry").path();
            if path.is_dir() {
                pending.push(path);
            } else {
                let bytes = std::fs::read(&path).expect("read a file of the store");
                files.insert(path.strip_prefix(dir).unwrap().to_path_buf(), bytes);
            }
        }
    }
    files
}

/// Runs `chronique ARGS…` and waits for it, at most [`DEADLINE`]: a command expected to be
/// refused at once (`serve`, `demo`) must not start serving.
pub fn chronique_until_exit(args: &[&str]) -> Output {
    let mut child = command()
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start chronique");
    let started = Instant::now();
    while child.try_wait().expect("wait for chronique").is_none() {
        if started.elapsed() > DEADLINE {
            let _ = child.kill();
            panic!(
                "`chronique {}` did not exit within {DEADLINE:?}",
                args.join(" ")
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().expect("chronique's output")
}

/// The URL of the test PostgreSQL server (`scripts/test` starts one under `target/`).
pub fn postgres_url() -> String {
    std::env::var("CHRONIQUE_TEST_POSTGRES").expect(
        "CHRONIQUE_TEST_POSTGRES: the URL of the test PostgreSQL server (scripts/test starts one)",
    )
}

/// The rows of the simple query `sql` on the server at `url` (each row's first column, as
/// text), from a thread and runtime of their own (the caller may be inside a runtime).
pub fn postgres_query(url: &str, sql: &str) -> Vec<String> {
    let (url, sql) = (url.to_owned(), sql.to_owned());
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
                .await
                .unwrap_or_else(|e| panic!("the PostgreSQL server at {url} does not answer: {e}"));
            tokio::spawn(connection);
            let messages = client
                .simple_query(&sql)
                .await
                .unwrap_or_else(|e| panic!("{sql}: {e}"));
            messages
                .iter()
                .filter_map(|message| match message {
                    tokio_postgres::SimpleQueryMessage::Row(row) => {
                        Some(row.get(0).unwrap_or_default().to_owned())
                    }
                    _ => None,
                })
                .collect()
        })
    })
    .join()
    .unwrap()
}

/// Runs `sql` on the server at `url`.
pub fn postgres_execute(url: &str, sql: &str) {
    postgres_query(url, sql);
}

/// A free TCP port on the loopback interface.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Registers funders `{prefix}0`, `{prefix}1`… in the programme `grigny` through the API at
/// `url` (`…/graphql`), one after the other, until an answer fails (the server died) or
/// `limit` are done; pushes each acknowledged id onto `acknowledged`.
pub fn register_funders(
    url: &str,
    token: &str,
    prefix: &str,
    limit: usize,
    acknowledged: &std::sync::Mutex<Vec<String>>,
) {
    let client = reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    for i in 0..limit {
        let id = format!("{prefix}{i}");
        let body = json!({
            "query": "mutation($id: ID!) { registerFunder(programmeId: \"grigny\", input: {id: $id, name: \"Financeur\", kind: OTHER}) { position } }",
            "variables": {"id": id},
        });
        let Ok(response) = client.post(url).bearer_auth(token).json(&body).send() else {
            return;
        };
        let Ok(answer) = response.json::<Value>() else {
            return;
        };
        if answer.get("errors").is_some() {
            return;
        }
        acknowledged.lock().unwrap().push(id);
    }
}

/// A new, empty store on the server at `base`: a schema of its own, named by the URL.
pub fn postgres_store(base: &str, name: &str) -> String {
    let schema = format!("{name}_{}", std::process::id());
    postgres_execute(base, &format!("CREATE SCHEMA {schema}"));
    let separator = if base.contains('?') { '&' } else { '?' };
    format!("{base}{separator}options=-csearch_path%3D{schema}")
}
