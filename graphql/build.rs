//! Embeds every file of `assets/` (except its README) in the binary: writes the list of
//! `(path, include_bytes!)` pairs that `src/assets.rs` includes, so that a file added to the
//! page is served without touching the Rust code.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn files(root: &Path, dir: &Path, out: &mut Vec<(String, PathBuf)>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .flatten()
        .collect();
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let path = entry.path();
        if path.is_dir() {
            files(root, &path, out);
        } else {
            let relative = path
                .strip_prefix(root)
                .expect("a file under the root")
                .to_string_lossy()
                .replace('\\', "/");
            if relative != "README.md" {
                out.push((relative, path));
            }
        }
    }
}

/// FNV-1a, 64 bits: enough to tell two versions of a file apart.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets");
    println!("cargo:rerun-if-changed={}", root.display());
    let mut list = Vec::new();
    files(&root, &root, &mut list);
    let mut code = String::from("pub static FILES: &[(&str, &[u8])] = &[\n");
    for (relative, path) in &list {
        // The content's digest in the generated code: incremental builds do not always see
        // that a file behind `include_bytes!` changed when the code naming it did not.
        let bytes =
            std::fs::read(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
        let _ = writeln!(code, "    // {relative}: {:016x}", fnv1a(&bytes));
        let _ = writeln!(
            code,
            "    ({relative:?}, include_bytes!({:?})),",
            path.display().to_string()
        );
    }
    code.push_str("];\n");
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("OUT_DIR is set by cargo"));
    std::fs::write(out.join("assets.rs"), code).expect("write assets.rs");
}
