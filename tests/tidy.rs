//! Architecture invariants that a reviewer would otherwise have to remember (ARCHITECTURE.md,
//! "Architecture invariants"; STYLE.md, "Layout and boundaries").

use std::path::{Path, PathBuf};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// The crates of the workspace, by folder; "." is the `chronique` package.
const CRATES: &[&str] = &[".", "domain", "eventlog", "projections", "graphql"];

/// What `domain` may depend on: it is pure, so nothing that does IO, async or storage.
const DOMAIN_ALLOWED: &[&str] = &["serde", "thiserror", "chrono"];
const DOMAIN_DEV_ALLOWED: &[&str] = &["proptest"];

fn manifest(folder: &str) -> toml::Table {
    let path = Path::new(ROOT).join(folder).join("Cargo.toml");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    text.parse()
        .unwrap_or_else(|e| panic!("{} is not valid TOML: {e}", path.display()))
}

fn dependency_names(manifest: &toml::Table, section: &str) -> Vec<String> {
    manifest
        .get(section)
        .and_then(|v| v.as_table())
        .map(|t| t.keys().cloned().collect())
        .unwrap_or_default()
}

fn all_dependency_names(manifest: &toml::Table) -> Vec<String> {
    ["dependencies", "dev-dependencies", "build-dependencies"]
        .iter()
        .flat_map(|s| dependency_names(manifest, s))
        .collect()
}

fn rust_files(folder: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![folder.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let name = entry.file_name();
            if path.is_dir() {
                if name != "target" && name != ".git" {
                    stack.push(path);
                }
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    out
}

/// The Rust sources of a crate, without the other crates' folders when it is the root package.
fn crate_sources(folder: &str) -> Vec<PathBuf> {
    if folder == "." {
        ["src", "tests", "benches"]
            .iter()
            .flat_map(|d| rust_files(&Path::new(ROOT).join(d)))
            .filter(|p| !p.ends_with("tidy.rs"))
            .collect()
    } else {
        rust_files(&Path::new(ROOT).join(folder))
    }
}

fn sources_naming(folder: &str, needles: &[&str]) -> Vec<String> {
    let mut hits = Vec::new();
    for path in crate_sources(folder) {
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        for needle in needles {
            if text.contains(needle) {
                hits.push(format!("{} names `{needle}`", path.display()));
            }
        }
    }
    hits
}

#[test]
fn only_eventlog_depends_on_sled_or_bincode() {
    let mut offenders = Vec::new();
    for folder in CRATES.iter().filter(|c| **c != "eventlog") {
        for dep in all_dependency_names(&manifest(folder)) {
            if dep == "sled" || dep == "bincode" {
                offenders.push(format!("{folder}/Cargo.toml depends on {dep}"));
            }
        }
        offenders.extend(sources_naming(folder, &["sled::", "bincode::"]));
    }
    assert!(
        offenders.is_empty(),
        "only `eventlog` may name sled or bincode:\n{}",
        offenders.join("\n")
    );
}

#[test]
fn only_graphql_depends_on_async_graphql_or_axum() {
    let mut offenders = Vec::new();
    for folder in CRATES.iter().filter(|c| **c != "graphql") {
        for dep in all_dependency_names(&manifest(folder)) {
            if dep.starts_with("async-graphql") || dep == "axum" {
                offenders.push(format!("{folder}/Cargo.toml depends on {dep}"));
            }
        }
        offenders.extend(sources_naming(folder, &["async_graphql::", "axum::"]));
    }
    assert!(
        offenders.is_empty(),
        "only `graphql` may name async-graphql or axum:\n{}",
        offenders.join("\n")
    );
}

#[test]
fn domain_depends_only_on_its_allow_list() {
    let domain = manifest("domain");
    let mut offenders: Vec<String> = dependency_names(&domain, "dependencies")
        .into_iter()
        .filter(|d| !DOMAIN_ALLOWED.contains(&d.as_str()))
        .map(|d| format!("[dependencies] {d}"))
        .collect();
    offenders.extend(
        dependency_names(&domain, "dev-dependencies")
            .into_iter()
            .filter(|d| {
                !DOMAIN_ALLOWED.contains(&d.as_str()) && !DOMAIN_DEV_ALLOWED.contains(&d.as_str())
            })
            .map(|d| format!("[dev-dependencies] {d}")),
    );
    offenders.extend(
        dependency_names(&domain, "build-dependencies")
            .into_iter()
            .map(|d| format!("[build-dependencies] {d}")),
    );
    assert!(
        offenders.is_empty(),
        "domain may depend only on {DOMAIN_ALLOWED:?} (and {DOMAIN_DEV_ALLOWED:?} for tests); found:\n{}",
        offenders.join("\n")
    );
}

#[test]
fn domain_does_no_io_and_reads_no_clock() {
    let forbidden = [
        "std::fs",
        "std::net",
        "std::io::stdin",
        "SystemTime",
        "Instant::now",
        "Utc::now",
        "Local::now",
        "Uuid::now_v7",
        "Uuid::new_v4",
        "tokio",
        "async fn",
    ];
    let hits = sources_naming("domain", &forbidden);
    assert!(
        hits.is_empty(),
        "domain must stay pure (no IO, no clock, no async, no fresh ids):\n{}",
        hits.join("\n")
    );
}

#[test]
fn internal_crates_are_path_dependencies_at_version_zero() {
    for folder in CRATES.iter().filter(|c| **c != ".") {
        let m = manifest(folder);
        let package = m["package"].as_table().expect("[package]");
        assert_eq!(
            package.get("version").and_then(|v| v.as_str()),
            Some("0.0.0"),
            "{folder} must have version 0.0.0"
        );
        assert_eq!(
            package.get("name").and_then(|v| v.as_str()),
            Some(*folder),
            "the folder name is the crate name"
        );
    }
}
