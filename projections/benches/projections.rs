//! `cargo bench -p projections`: prints `bench <name> <value> <unit>` lines (see
//! `projections::bench`). `CHRONIQUE_BENCH_PROGRAMMES=N` generates N programmes instead of 250
//! (about 4 000 events each), for a quick run.

fn main() {
    let mut settings = projections::bench::Settings::default();
    if let Some(n) = std::env::var("CHRONIQUE_BENCH_PROGRAMMES")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        settings.params.programmes = n;
    }
    let dir = tempfile::tempdir().expect("a temporary directory");
    let result = projections::bench::run(dir.path(), &settings, |figure| println!("{figure}"));
    if let Err(error) = result {
        eprintln!("bench failed: {error}");
        std::process::exit(1);
    }
}
