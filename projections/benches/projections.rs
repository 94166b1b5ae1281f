//! `cargo bench -p projections`: prints `bench <name> <value> <unit>` lines (see
//! `projections::bench`). The log is generated and rebuilt in this process; the live model is
//! then loaded in a fresh process (this program again, with `--load DIR`), so that `memory_1m`
//! is what a server starting on that store would hold. `CHRONIQUE_BENCH_PROGRAMMES=N` generates
//! N programmes instead of 250 (about 4 000 events each), for a quick run.

use projections::bench::{self, Settings};

fn settings() -> Settings {
    let mut settings = Settings::default();
    if let Some(n) = std::env::var("CHRONIQUE_BENCH_PROGRAMMES")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        settings.params.programmes = n;
    }
    settings
}

fn fail(error: impl std::fmt::Display) -> ! {
    eprintln!("bench failed: {error}");
    std::process::exit(1);
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let print = &mut |figure: &bench::Figure| println!("{figure}");
    if let Some(i) = args.iter().position(|a| a == "--load") {
        let Some(dir) = args.get(i + 1) else {
            fail("--load needs a directory")
        };
        if let Err(error) = bench::load(std::path::Path::new(dir), &settings(), print) {
            fail(error);
        }
        return;
    }
    let dir = tempfile::tempdir().unwrap_or_else(|e| fail(e));
    if let Err(error) = bench::prepare(dir.path(), &settings(), print) {
        fail(error);
    }
    let exe = std::env::current_exe().unwrap_or_else(|e| fail(e));
    let status = std::process::Command::new(exe)
        .arg("--load")
        .arg(dir.path())
        .status()
        .unwrap_or_else(|e| fail(e));
    if !status.success() {
        fail(format!("the load phase ended with {status}"));
    }
}
