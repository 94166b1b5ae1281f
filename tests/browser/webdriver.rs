//! A small WebDriver client for the browser tests: headless Chromium driven by ChromeDriver over
//! plain HTTP and JSON (W3C WebDriver, plus ChromeDriver's door to the DevTools protocol), with
//! the blocking reqwest client the other end-to-end tests use.
//!
//! ChromeDriver is started on a free port in a process group of its own; Chromium, which it
//! starts, belongs to that group. Dropping the [`Browser`] ends the session and kills the group,
//! so nothing is left running when a test panics.

// Each browser test binary includes this module and uses a part of it.
#![allow(dead_code)]
use base64::Engine as _;
use serde_json::{Value, json};
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long a condition on the page may take to hold: generous, for two busy cores.
pub const WAIT: Duration = Duration::from_secs(30);
/// How long ChromeDriver and Chromium may take to start.
const STARTUP: Duration = Duration::from_secs(60);

/// The W3C key of an element reference.
const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";

/// Special keys of the WebDriver keyboard.
pub mod keys {
    pub const HOME: &str = "\u{E011}";
    pub const RIGHT: &str = "\u{E014}";
    pub const TAB: &str = "\u{E004}";
    pub const ENTER: &str = "\u{E007}";
    pub const SPACE: &str = " ";
}

/// Where a program is on the `PATH`, if anywhere.
fn which(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|candidate| candidate.is_file())
}

/// A program the browser tests need; a missing one fails the test with what to do.
fn required(program: &str) -> PathBuf {
    which(program).unwrap_or_else(|| {
        panic!(
            "`{program}` est introuvable : les tests dans un navigateur ont besoin de Chromium et de \
             ChromeDriver. Lancez ./scripts/test, qui les installe (paquets Debian chromium et \
             chromium-driver), ou installez-les avec apt-get."
        )
    })
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free local port")
        .port()
}

/// One element of the page, by its WebDriver reference.
#[derive(Clone, Debug)]
pub struct Element(String);

impl Element {
    fn json(&self) -> Value {
        json!({ ELEMENT_KEY: self.0 })
    }
}

/// Headless Chromium with one WebDriver session.
pub struct Browser {
    base: String,
    session: String,
    http: reqwest::blocking::Client,
    driver: Child,
    /// Chromium's profile and the folder downloads go to.
    _profile: tempfile::TempDir,
    pub download_dir: PathBuf,
}

impl Browser {
    /// Starts ChromeDriver on a free port and opens a session of headless Chromium whose
    /// downloads land in [`Browser::download_dir`].
    pub fn start() -> Browser {
        let chromium = required("chromium");
        let chromedriver = required("chromedriver");
        let profile = tempfile::tempdir().expect("a temporary folder");
        let download_dir = profile.path().join("downloads");
        std::fs::create_dir_all(&download_dir).unwrap();
        let port = free_port();
        let driver = Command::new(&chromedriver)
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", chromedriver.display()));
        let http = reqwest::blocking::Client::builder()
            .timeout(Duration::from_secs(120))
            .build()
            .unwrap();
        let mut browser = Browser {
            base: format!("http://127.0.0.1:{port}"),
            session: String::new(),
            http,
            driver,
            _profile: profile,
            download_dir,
        };
        browser.wait_for_driver();
        browser.new_session(&chromium);
        browser
    }

    fn wait_for_driver(&mut self) {
        let started = Instant::now();
        loop {
            if let Some(status) = self.driver.try_wait().unwrap() {
                panic!("chromedriver stopped at once ({status})");
            }
            let ready = self
                .http
                .get(format!("{}/status", self.base))
                .timeout(Duration::from_secs(5))
                .send()
                .ok()
                .and_then(|r| r.json::<Value>().ok())
                .is_some_and(|v| v["value"]["ready"] == json!(true));
            if ready {
                return;
            }
            assert!(
                started.elapsed() < STARTUP,
                "chromedriver did not answer on {} within {STARTUP:?}",
                self.base
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn new_session(&mut self, chromium: &Path) {
        let user_data = self._profile.path().join("profile");
        let args = [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--window-size=1280,900",
            "--lang=fr-FR",
        ]
        .iter()
        .map(|a| a.to_string())
        .chain([format!("--user-data-dir={}", user_data.display())])
        .collect::<Vec<_>>();
        let capabilities = json!({
            "capabilities": { "alwaysMatch": {
                "browserName": "chrome",
                "goog:loggingPrefs": { "browser": "ALL" },
                "goog:chromeOptions": {
                    "binary": chromium,
                    "args": args,
                    "prefs": {
                        "download.default_directory": self.download_dir,
                        "download.prompt_for_download": false,
                        "intl.accept_languages": "fr-FR,fr",
                    },
                },
            }}
        });
        let value = self.raw("POST", "/session", Some(capabilities));
        self.session = value["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session id in {value}"))
            .to_owned();
        let downloads = json!({
            "behavior": "allow",
            "downloadPath": self.download_dir,
        });
        if self
            .try_cdp("Browser.setDownloadBehavior", downloads.clone())
            .is_err()
        {
            self.cdp("Page.setDownloadBehavior", downloads);
        }
    }

    /// One WebDriver command; the `value` of its answer, or the error's text.
    fn try_raw(&self, method: &str, path: &str, body: Option<Value>) -> Result<Value, String> {
        let url = format!("{}{path}", self.base);
        let request = match method {
            "GET" => self.http.get(url),
            "DELETE" => self.http.delete(url),
            _ => self.http.post(url).json(&body.unwrap_or_else(|| json!({}))),
        };
        let response = request
            .send()
            .map_err(|e| format!("{method} {path}: {e}"))?;
        let status = response.status();
        let body: Value = response
            .json()
            .map_err(|e| format!("{method} {path}: not JSON ({e})"))?;
        if status.is_success() {
            Ok(body["value"].clone())
        } else {
            Err(format!(
                "{method} {path}: {status} {} — {}",
                body["value"]["error"], body["value"]["message"]
            ))
        }
    }

    fn raw(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        self.try_raw(method, path, body)
            .unwrap_or_else(|e| panic!("WebDriver: {e}"))
    }

    /// A command of this session (`path` after `/session/{id}`).
    fn command(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        self.raw(method, &format!("/session/{}{path}", self.session), body)
    }

    /// Opens a new tab (its own sessionStorage: another person's page) and returns its handle;
    /// the current tab stays the one commands go to.
    pub fn new_tab(&self) -> String {
        let value = self.command("POST", "/window/new", Some(json!({ "type": "tab" })));
        value["handle"]
            .as_str()
            .expect("a window handle")
            .to_owned()
    }

    /// The handle of the tab commands go to.
    pub fn tab(&self) -> String {
        self.command("GET", "/window", None)
            .as_str()
            .expect("a window handle")
            .to_owned()
    }

    /// Sends the next commands to the tab `handle`.
    pub fn switch_to(&self, handle: &str) {
        self.command("POST", "/window", Some(json!({ "handle": handle })));
    }

    pub fn goto(&self, url: &str) {
        self.command("POST", "/url", Some(json!({ "url": url })));
    }

    /// Runs `script` (a function body; `arguments` holds `args`) and returns what it returns.
    pub fn js(&self, script: &str, args: Vec<Value>) -> Value {
        self.command(
            "POST",
            "/execute/sync",
            Some(json!({ "script": script, "args": args })),
        )
    }

    /// `js` with elements as arguments.
    pub fn js_on(&self, script: &str, elements: &[&Element]) -> Value {
        self.js(script, elements.iter().map(|e| e.json()).collect())
    }

    /// The first element matching `css` that is shown (has a box and is not `visibility:
    /// hidden`), if any.
    pub fn try_find(&self, css: &str) -> Option<Element> {
        let value = self.js(
            "const e = document.querySelector(arguments[0]); \
             return e && e.getClientRects().length > 0 && getComputedStyle(e).visibility !== 'hidden' ? e : null;",
            vec![json!(css)],
        );
        value[ELEMENT_KEY].as_str().map(|id| Element(id.to_owned()))
    }

    /// The first element matching `css`, shown or not (an `<option>` of a closed `<select>`).
    pub fn try_find_present(&self, css: &str) -> Option<Element> {
        let value = self.js(
            "return document.querySelector(arguments[0]);",
            vec![json!(css)],
        );
        value[ELEMENT_KEY].as_str().map(|id| Element(id.to_owned()))
    }

    /// The first element matching `css`, waiting for it to be there and shown.
    pub fn find(&self, css: &str) -> Element {
        self.wait(&format!("an element `{css}` to be shown"), || {
            self.try_find(css)
        })
    }

    /// A real click (scrolls the element into view, fails when something covers it).
    pub fn click(&self, element: &Element) {
        self.command("POST", &format!("/element/{}/click", element.0), None);
    }

    pub fn click_css(&self, css: &str) {
        let element = self.find(css);
        self.click(&element);
    }

    /// Types `text` into the element, as a keyboard would.
    pub fn type_into(&self, element: &Element, text: &str) {
        self.command(
            "POST",
            &format!("/element/{}/value", element.0),
            Some(json!({ "text": text })),
        );
    }

    /// Presses and releases each key of `keys` on whatever has the focus.
    pub fn press(&self, keys: &[&str]) {
        let mut actions = Vec::new();
        for key in keys {
            actions.push(json!({ "type": "keyDown", "value": key }));
            actions.push(json!({ "type": "keyUp", "value": key }));
        }
        self.command(
            "POST",
            "/actions",
            Some(json!({ "actions": [{ "type": "key", "id": "keyboard", "actions": actions }] })),
        );
        self.command("DELETE", "/actions", None);
    }

    /// Chooses the `<option>` `value` of the `<select>` `css` by clicking it, as ChromeDriver
    /// lets a person do, and checks the select took it.
    pub fn choose(&self, css: &str, value: &str) {
        let option = self.wait(&format!("the option {value:?} of {css}"), || {
            self.try_find_present(&format!("{css} option[value=\"{value}\"]"))
        });
        self.click(&option);
        let chosen = self.js(
            "return document.querySelector(arguments[0]).value;",
            vec![json!(css)],
        );
        assert_eq!(chosen, json!(value), "{css} did not take {value}");
    }

    /// The bytes of the file `name` the page downloaded, once whole (no `.crdownload` left).
    pub fn download(&self, name: &str) -> Vec<u8> {
        let path = self.download_dir.join(name);
        self.wait(&format!("the download of {name}"), || {
            let partial = std::fs::read_dir(&self.download_dir)
                .unwrap()
                .flatten()
                .any(|e| e.file_name().to_string_lossy().ends_with(".crdownload"));
            if partial {
                return None;
            }
            std::fs::read(&path).ok().filter(|b| !b.is_empty())
        })
    }

    /// Types `text` on whatever has the focus, key by key, as a keyboard would.
    pub fn type_keys(&self, text: &str) {
        let chars: Vec<String> = text.chars().map(String::from).collect();
        self.press(&chars.iter().map(String::as_str).collect::<Vec<_>>());
    }

    /// Polls `probe` until it gives something, or fails the test after [`WAIT`].
    pub fn wait<T>(&self, what: &str, mut probe: impl FnMut() -> Option<T>) -> T {
        let started = Instant::now();
        loop {
            if let Some(found) = probe() {
                return found;
            }
            if started.elapsed() > WAIT {
                let error = self
                    .try_raw(
                        "POST",
                        &format!("/session/{}/execute/sync", self.session),
                        Some(json!({
                            "script": "const e = document.getElementById('error'); \
                                       return [location.href, e && !e.hidden ? e.textContent : ''];",
                            "args": [],
                        })),
                    )
                    .unwrap_or_default();
                panic!(
                    "waited {WAIT:?} for {what}; the page is at {} and shows the error « {} »; \
                     the console said:\n{}",
                    error[0],
                    error[1],
                    self.console().join("\n")
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// What the page wrote to the console since the last call (errors, warnings, logs).
    pub fn console(&self) -> Vec<String> {
        self.try_raw(
            "POST",
            &format!("/session/{}/se/log", self.session),
            Some(json!({ "type": "browser" })),
        )
        .ok()
        .and_then(|v| v.as_array().cloned())
        .unwrap_or_default()
        .iter()
        .map(|entry| format!("{} {}", entry["level"], entry["message"]))
        .collect()
    }

    /// Polls a script until it returns something other than `null`, `false`, `""` or `0`.
    pub fn wait_js(&self, what: &str, script: &str) -> Value {
        self.wait(what, || {
            let value = self.js(script, vec![]);
            let falsy =
                value.is_null() || value == json!(false) || value == json!("") || value == json!(0);
            (!falsy).then_some(value)
        })
    }

    /// A DevTools protocol command, through ChromeDriver.
    pub fn try_cdp(&self, cmd: &str, params: Value) -> Result<Value, String> {
        self.try_raw(
            "POST",
            &format!("/session/{}/goog/cdp/execute", self.session),
            Some(json!({ "cmd": cmd, "params": params })),
        )
    }

    pub fn cdp(&self, cmd: &str, params: Value) -> Value {
        self.try_cdp(cmd, params)
            .unwrap_or_else(|e| panic!("DevTools {cmd}: {e}"))
    }

    /// A PNG of the whole page (not only the window), saved at `path`.
    pub fn screenshot(&self, path: &Path) {
        let metrics = self.cdp("Page.getLayoutMetrics", json!({}));
        let size = &metrics["cssContentSize"];
        let width = size["width"].as_f64().unwrap_or(1280.0).ceil();
        // Very long pages are cut: a person looks at the top of them.
        let height = size["height"]
            .as_f64()
            .unwrap_or(900.0)
            .clamp(1.0, 6000.0)
            .ceil();
        let shot = self.cdp(
            "Page.captureScreenshot",
            json!({
                "format": "png",
                "captureBeyondViewport": true,
                "clip": { "x": 0, "y": 0, "width": width, "height": height, "scale": 1 },
            }),
        );
        write_base64(path, shot["data"].as_str().expect("a screenshot"));
    }

    /// The page printed to PDF as Chromium's print dialog does (the page size and margins of
    /// the stylesheet's `@page`, backgrounds as the stylesheet asks), saved at `path`; its bytes.
    pub fn print_pdf(&self, path: &Path) -> Vec<u8> {
        let value = self.cdp(
            "Page.printToPDF",
            json!({ "preferCSSPageSize": true, "printBackground": false }),
        );
        write_base64(path, value["data"].as_str().expect("a PDF"))
    }
}

fn write_base64(path: &Path, data: &str) -> Vec<u8> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(data)
        .expect("base64 from the browser");
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).unwrap();
    }
    std::fs::write(path, &bytes).unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
    bytes
}

impl Drop for Browser {
    fn drop(&mut self) {
        if !self.session.is_empty() {
            let _ = self
                .http
                .delete(format!("{}/session/{}", self.base, self.session))
                .timeout(Duration::from_secs(10))
                .send();
        }
        // ChromeDriver leads its own process group; Chromium and its helpers are in it.
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.driver.id())])
            .stderr(Stdio::null())
            .status();
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

/// `target/browser-screenshots/<test>`, emptied, from `CARGO_TARGET_DIR` or the test
/// binary's place (`target/debug/deps/browser-…`). One folder per test: they run in parallel.
pub fn screenshot_dir(test: &str) -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .map(|dir| {
            if dir.is_absolute() {
                dir
            } else {
                Path::new(env!("CARGO_MANIFEST_DIR")).join(dir)
            }
        })
        .unwrap_or_else(|| {
            let exe = std::env::current_exe().expect("the test binary's path");
            exe.ancestors()
                .nth(3)
                .expect("target/<profile>/deps/<binary>")
                .to_path_buf()
        });
    let dir = target.join("browser-screenshots").join(test);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
