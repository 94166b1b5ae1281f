//! The timeline page, embedded at compile time: `index.html` at `/`, every other file of
//! `graphql/assets/` under `/assets/…` (the README is not served). See `build.rs`.

mod list {
    include!(concat!(env!("OUT_DIR"), "/assets.rs"));
}

/// The page served at `/`.
pub const INDEX_HTML: &str = include_str!("../assets/index.html");

/// The bytes of an asset by its path under `assets/` (`app.css`, `js/main.js`).
pub fn get(path: &str) -> Option<&'static [u8]> {
    list::FILES
        .iter()
        .find(|(name, _)| *name == path)
        .map(|(_, bytes)| *bytes)
}

/// Every embedded path.
pub fn paths() -> impl Iterator<Item = &'static str> {
    list::FILES.iter().map(|(name, _)| *name)
}

/// The `Content-Type` of a file, by its extension.
pub fn content_type(path: &str) -> &'static str {
    let extension = path.rsplit_once('.').map_or("", |(_, e)| e);
    match extension {
        "html" => "text/html; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "json" | "map" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "txt" | "md" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_asset_but_the_readme_is_embedded() {
        assert!(get("app.css").is_some());
        assert!(get("js/main.js").is_some());
        assert!(get("README.md").is_none());
        assert!(paths().all(|p| content_type(p) != "application/octet-stream"));
    }
}
