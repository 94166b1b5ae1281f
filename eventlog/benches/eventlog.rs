//! `cargo bench -p eventlog`: prints one line `bench <name> <value> <unit>` per figure.
//! The code lives in `eventlog::bench` so that `chronique bench` runs the same measurements.

fn main() {
    let directory = match tempfile::tempdir() {
        Ok(directory) => directory,
        Err(error) => {
            eprintln!("cannot create a temporary directory: {error}");
            std::process::exit(1);
        }
    };
    let settings = eventlog::bench::Settings::default();
    if let Err(error) = eventlog::bench::run(
        &eventlog::bench::Target::Dir(directory.path().to_path_buf()),
        &settings,
        |figure| {
            println!("{figure}");
        },
    ) {
        eprintln!("bench failed: {error}");
        std::process::exit(1);
    }
}
