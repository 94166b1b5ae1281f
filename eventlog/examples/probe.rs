use std::time::Instant;
fn main() {
    let arg = std::env::args().nth(1).unwrap();
    let dir = std::path::PathBuf::from(std::env::args().nth(2).unwrap());
    let n: u64 = std::env::args()
        .nth(3)
        .map(|s| s.parse().unwrap())
        .unwrap_or(100_000);
    if arg == "fill" {
        let log = eventlog::EventLog::open(
            &dir,
            eventlog::Options {
                durability: eventlog::Durability::Buffered,
                ..Default::default()
            },
        )
        .unwrap();
        let date = chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
        let t = Instant::now();
        for i in 0..n {
            let evs = vec![eventlog::NewEvent::new(
                "BenchEvent",
                1,
                date,
                "bench",
                vec![b'x'; 300],
            )];
            log.append_blocking(eventlog::AppendRequest::single(
                format!("action-bench.a{}", i % 1000),
                eventlog::ExpectedVersion::Any,
                evs,
            ))
            .unwrap();
        }
        println!(
            "fill c1 buffered {:.0}/s",
            n as f64 / t.elapsed().as_secs_f64()
        );
        return;
    }
    let log = eventlog::EventLog::open(&dir, Default::default()).unwrap();
    for _ in 0..3 {
        let t = Instant::now();
        let c = log.read_all(1).count();
        println!("read_all {c} {:.0}/s", c as f64 / t.elapsed().as_secs_f64());
    }
    let t = Instant::now();
    let r = log.verify().unwrap();
    println!(
        "verify {:.0}/s",
        r.verified_up_to as f64 / t.elapsed().as_secs_f64()
    );
}
