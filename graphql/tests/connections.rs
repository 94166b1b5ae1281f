//! Slow and idle clients, the connection cap, and revocation reaching open WebSockets, against
//! `graphql::serve` on a real socket with short limits (issue #10, « Slow clients » and
//! « Revocation reaches open subscriptions »). Each test opens a bounded number of sockets.

use domain::values::Role;
use graphql::tokens::NewToken;
use graphql::{AppState, Clock, Config};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

/// Long enough for any answer on a loaded machine, far shorter than a default limit.
const PATIENCE: Duration = Duration::from_secs(10);

struct Server {
    address: SocketAddr,
    state: AppState,
    secret: String,
    token_id: String,
    _dir: tempfile::TempDir,
    _runtime: tokio::runtime::Runtime,
}

fn start(config: Config) -> Server {
    let dir = tempfile::tempdir().unwrap();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let log = eventlog::EventLog::open(dir.path(), eventlog::Options::default()).unwrap();
    let state = AppState::new(log, Clock::system())
        .unwrap()
        .with_config(config);
    let (info, secret) = state
        .tokens
        .create(NewToken {
            role: Role::Admin,
            programme: None,
            partner: None,
            name: "Opératrice".to_owned(),
        })
        .unwrap();
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let address = listener.local_addr().unwrap();
    let served = state.clone();
    runtime.spawn(async move { graphql::serve(listener, served, std::future::pending()).await });
    Server {
        address,
        state,
        secret,
        token_id: info.id,
        _dir: dir,
        _runtime: runtime,
    }
}

fn short_limits() -> Config {
    Config {
        header_timeout: Duration::from_millis(500),
        body_timeout: Duration::from_millis(500),
        ws_init_timeout: Duration::from_millis(500),
        max_connections: 4,
        overflow_connections: 2,
        ..Config::default()
    }
}

fn connect(address: SocketAddr) -> TcpStream {
    let stream = TcpStream::connect(address).unwrap();
    stream.set_read_timeout(Some(PATIENCE)).unwrap();
    stream
}

/// Reads until the server closes the connection; returns what it sent and when it closed.
fn read_until_closed(stream: &mut TcpStream) -> (String, Instant) {
    let mut received = Vec::new();
    let mut buffer = [0u8; 4096];
    loop {
        match stream.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => received.extend_from_slice(&buffer[..n]),
            Err(error) if error.kind() == std::io::ErrorKind::ConnectionReset => break,
            Err(error) => panic!(
                "the server kept the connection open for {PATIENCE:?} ({error}); it sent {:?}",
                String::from_utf8_lossy(&received)
            ),
        }
    }
    (
        String::from_utf8_lossy(&received).into_owned(),
        Instant::now(),
    )
}

fn get(address: SocketAddr, path: &str) -> String {
    let mut stream = connect(address);
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    read_until_closed(&mut stream).0
}

#[test]
fn headers_trickled_slowly_are_cut_off() {
    let server = start(short_limits());
    let mut stream = connect(server.address);
    let started = Instant::now();
    // One byte every 100 ms: each arrives well within any read timeout, the whole never does.
    let request = b"GET /health HTTP/1.1\r\nHost: test\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n\r\n";
    let mut cut = false;
    for byte in request {
        if stream.write_all(&[*byte]).is_err() {
            cut = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
        if started.elapsed() > PATIENCE {
            break;
        }
    }
    let (received, _) = if cut {
        (String::new(), Instant::now())
    } else {
        read_until_closed(&mut stream)
    };
    assert!(
        !received.contains("200 OK"),
        "headers that took {:?} were served: {received}",
        started.elapsed()
    );
    assert!(
        started.elapsed() < PATIENCE,
        "the trickle was not cut off within {PATIENCE:?}"
    );
}

#[test]
fn an_idle_kept_alive_connection_is_closed() {
    let server = start(short_limits());
    let mut stream = connect(server.address);
    write!(stream, "GET /health HTTP/1.1\r\nHost: test\r\n\r\n").unwrap();
    // The answer comes, then the connection is left idle: the server closes it.
    let (received, closed) = read_until_closed(&mut stream);
    assert!(received.starts_with("HTTP/1.1 200"), "{received}");
    assert!(closed.elapsed() < PATIENCE);
}

#[test]
fn a_body_that_never_arrives_is_cut_off() {
    let server = start(short_limits());
    let mut stream = connect(server.address);
    write!(
        stream,
        "POST /graphql HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\nAuthorization: Bearer {}\r\nContent-Length: 1000\r\n\r\n{{\"query\":",
        server.secret
    )
    .unwrap();
    let started = Instant::now();
    let (received, _) = read_until_closed(&mut stream);
    assert!(started.elapsed() < PATIENCE);
    assert!(received.starts_with("HTTP/1.1 408"), "{received}");
    assert!(received.contains("LIMIT"), "{received}");
}

type Socket = tungstenite::WebSocket<tungstenite::stream::MaybeTlsStream<TcpStream>>;

fn websocket(address: SocketAddr) -> Socket {
    use tungstenite::client::IntoClientRequest;
    let mut request = format!("ws://{address}/graphql/ws")
        .into_client_request()
        .unwrap();
    request.headers_mut().insert(
        "Sec-WebSocket-Protocol",
        "graphql-transport-ws".parse().unwrap(),
    );
    let (socket, _) = tungstenite::connect(request).expect("WebSocket handshake");
    if let tungstenite::stream::MaybeTlsStream::Plain(stream) = socket.get_ref() {
        stream.set_read_timeout(Some(PATIENCE)).unwrap();
    }
    socket
}

fn send(socket: &mut Socket, message: serde_json::Value) {
    socket
        .send(tungstenite::Message::Text(message.to_string().into()))
        .unwrap();
}

/// The close code the server sent, reading past any other message.
fn close_code(socket: &mut Socket) -> Option<u16> {
    loop {
        match socket.read() {
            Ok(tungstenite::Message::Close(frame)) => return frame.map(|f| f.code.into()),
            Ok(_) => continue,
            Err(_) => return None,
        }
    }
}

fn initialised(address: SocketAddr, secret: &str) -> Socket {
    let mut socket = websocket(address);
    send(
        &mut socket,
        serde_json::json!({"type": "connection_init", "payload": {"token": secret}}),
    );
    match socket.read().unwrap() {
        tungstenite::Message::Text(text) => assert!(text.contains("connection_ack"), "{text}"),
        other => panic!("expected connection_ack, got {other:?}"),
    }
    socket
}

#[test]
fn a_websocket_without_connection_init_is_closed_with_4408() {
    let server = start(short_limits());
    let mut socket = websocket(server.address);
    let started = Instant::now();
    assert_eq!(close_code(&mut socket), Some(4408));
    assert!(started.elapsed() < PATIENCE);
}

#[test]
fn revoking_a_token_closes_its_websocket() {
    let server = start(Config::default());
    let mut socket = initialised(server.address, &server.secret);
    send(
        &mut socket,
        serde_json::json!({"id": "1", "type": "subscribe",
            "payload": {"query": "subscription { integrity { verifiedUpTo } }"}}),
    );
    server.state.tokens.revoke(&server.token_id).unwrap();
    assert_eq!(close_code(&mut socket), Some(4403));
    // And a new socket with the revoked token is refused at connection_init.
    let mut again = websocket(server.address);
    send(
        &mut again,
        serde_json::json!({"type": "connection_init", "payload": {"token": server.secret}}),
    );
    let code = close_code(&mut again);
    assert_eq!(code, Some(4403), "{code:?}");
}

#[test]
fn past_the_connection_cap_health_still_answers_and_the_rest_gets_503() {
    let config = short_limits();
    let server = start(Config {
        // WebSockets stay open while initialised: they hold the places.
        ws_init_timeout: Duration::from_secs(60),
        header_timeout: Duration::from_secs(60),
        ..config
    });
    let held: Vec<Socket> = (0..4)
        .map(|_| initialised(server.address, &server.secret))
        .collect();
    let health = get(server.address, "/health");
    assert!(health.starts_with("HTTP/1.1 200"), "{health}");
    assert!(health.contains("\"status\":\"ok\""), "{health}");
    let page = get(server.address, "/");
    assert!(page.starts_with("HTTP/1.1 503"), "{page}");
    assert!(
        page.contains("Retry-After") || page.contains("retry-after"),
        "{page}"
    );
    assert!(page.contains("LIMIT"), "{page}");
    // Past the overflow too, a connection is closed at once rather than left waiting.
    let overflow: Vec<TcpStream> = (0..2).map(|_| connect(server.address)).collect();
    std::thread::sleep(Duration::from_millis(200));
    let mut extra = connect(server.address);
    let _ = write!(extra, "GET /health HTTP/1.1\r\nHost: test\r\n\r\n");
    let (received, _) = read_until_closed(&mut extra);
    assert!(received.is_empty(), "{received}");
    drop(overflow);
    drop(held);
    // Once the sockets are gone, the places are free again.
    let deadline = Instant::now() + PATIENCE;
    loop {
        let page = get(server.address, "/");
        if page.starts_with("HTTP/1.1 200") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the places were never freed: {page}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}
