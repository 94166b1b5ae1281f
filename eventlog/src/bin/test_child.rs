//! A child process for the tests of `eventlog` that need one (sled's lock is per process, and
//! a crash test must kill a real process). Not part of the API.
//!
//! - `eventlog-test-child hold STORE` (a directory or a `postgres://` URL): opens the store, prints `ready`, holds it until stdin
//!   closes.
//! - `eventlog-test-child append DIR RUN`: opens the store, prints `ready`, then appends for
//!   ever from several threads, printing `ack FIRST LAST BATCH N` after each acknowledged
//!   append. Every event's payload is `BATCH N`, so the parent can check that no batch is half
//!   visible after a kill.

use std::io::{BufRead, Write};
use std::sync::Mutex;

use eventlog::{AppendRequest, EventLog, ExpectedVersion, NewEvent, Options, StreamAppend};

const N_WRITERS: u64 = 4;

fn event(batch: &str, n: usize) -> NewEvent {
    let date = chrono::NaiveDate::from_ymd_opt(2026, 3, 14).unwrap_or_default();
    NewEvent::new(
        "CrashTest",
        1,
        date,
        "child",
        format!("{batch} {n}").into_bytes(),
    )
}

fn request(run: &str, writer: u64, i: u64) -> (String, usize, AppendRequest) {
    let batch = format!("r{run}-w{writer}-i{i}");
    match i % 3 {
        // One event on one stream.
        0 => (
            batch.clone(),
            1,
            AppendRequest::single(
                format!("crash-w{writer}.s{}", i % 5),
                ExpectedVersion::Any,
                vec![event(&batch, 1)],
            ),
        ),
        // Several events on one stream, with a command id.
        1 => (
            batch.clone(),
            3,
            AppendRequest::single(
                format!("crash-w{writer}.t{}", i % 7),
                ExpectedVersion::Any,
                (0..3).map(|_| event(&batch, 3)).collect(),
            )
            .with_command(format!("cmd-{batch}"), [7; 32]),
        ),
        // A batch over three streams.
        _ => (
            batch.clone(),
            6,
            AppendRequest {
                streams: (0..3)
                    .map(|s| StreamAppend {
                        stream_id: format!("crash-w{writer}.m{s}"),
                        expected: ExpectedVersion::Any,
                        events: vec![event(&batch, 6), event(&batch, 6)],
                    })
                    .collect(),
                command: None,
            },
        ),
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (Some(mode), Some(dir)) = (args.get(1), args.get(2)) else {
        eprintln!("usage: eventlog-test-child hold|append DIR [RUN]");
        std::process::exit(2);
    };
    let location = eventlog::StoreLocation::parse(dir);
    // On PostgreSQL the server releases the lock of a killed process when it sees its
    // connection close, a moment after the kill: an "append" child waits that moment out.
    let started = std::time::Instant::now();
    let log = loop {
        match EventLog::open_store(&location, Options::default()) {
            Ok(log) => break log,
            Err(eventlog::Error::Locked { .. })
                if mode == "append"
                    && matches!(location, eventlog::StoreLocation::Postgres(_))
                    && started.elapsed() < std::time::Duration::from_secs(10) =>
            {
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            Err(error) => {
                println!("error {error}");
                std::process::exit(1);
            }
        }
    };
    println!("ready");
    let _ = std::io::stdout().flush();
    match mode.as_str() {
        "hold" => {
            // Hold the store until the parent closes our stdin.
            for _ in std::io::stdin().lock().lines() {}
        }
        "append" => {
            let run = args.get(3).cloned().unwrap_or_default();
            let stdout = Mutex::new(std::io::stdout());
            std::thread::scope(|scope| {
                for writer in 0..N_WRITERS {
                    let (log, run, stdout) = (&log, &run, &stdout);
                    scope.spawn(move || {
                        for i in 0.. {
                            let (batch, n, request) = request(run, writer, i);
                            match log.append_blocking(request) {
                                Ok(outcome) => {
                                    let mut out = stdout.lock().unwrap_or_else(|e| e.into_inner());
                                    let _ = writeln!(
                                        out,
                                        "ack {} {} {batch} {n}",
                                        outcome.first_position, outcome.last_position
                                    );
                                    let _ = out.flush();
                                }
                                Err(error) => {
                                    println!("error {error}");
                                    std::process::exit(1);
                                }
                            }
                        }
                    });
                }
            });
        }
        other => {
            eprintln!("unknown mode {other}");
            std::process::exit(2);
        }
    }
}
