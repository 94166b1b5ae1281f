//! Starts the test OpenID Connect provider of this folder (`provider.mjs`), for the sign-in
//! tests of both crates (each includes this file with `#[path]`).

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

/// The provider, stopped when dropped.
pub struct Provider {
    child: Child,
    pub issuer: String,
}

impl Drop for Provider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The provider of `dir` (this folder), with the client `chronique` (secret `secret-de-test`)
/// sending people back to `redirect`, and `users` (login → claims).
pub fn start(dir: &Path, redirect: &str, users: &serde_json::Value) -> Provider {
    assert!(
        dir.join("node_modules/oidc-provider").exists(),
        "the test provider is not installed: run ./scripts/test (npm ci in {})",
        dir.display()
    );
    let mut child = Command::new("node")
        .arg("provider.mjs")
        .current_dir(dir)
        .env("OIDC_PORT", "0")
        .env("OIDC_CLIENT_ID", "chronique")
        .env("OIDC_CLIENT_SECRET", "secret-de-test")
        .env("OIDC_REDIRECT_URI", redirect)
        .env("OIDC_USERS", users.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("node runs (Node.js, which ./scripts/test installs)");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let issuer = line
        .strip_prefix("ready ")
        .unwrap_or_else(|| panic!("the provider did not start: « {line} »"))
        .trim()
        .to_owned();
    Provider { child, issuer }
}
