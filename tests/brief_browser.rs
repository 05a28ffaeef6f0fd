//! `/brief` in a real browser: Debian's `chromium`, headless, loads the page the
//! embedded daemon serves after files are dropped, runs its polling script, and the
//! test reads the rendered DOM (and saves a screenshot): the stories with their
//! counts, the count growing when more files arrive, an Arabic headline rendered
//! right to left. No chromium: skipped outside CI, a failure under `CI`.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use common::*;

/// `CHROMIUM_BIN`, else `chromium` on PATH.
fn chromium() -> Option<PathBuf> {
    if let Ok(p) = std::env::var("CHROMIUM_BIN") {
        return Some(PathBuf::from(p));
    }
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join("chromium"))
            .find(|p| p.is_file())
    });
    if found.is_none() && std::env::var_os("CI").is_some() {
        panic!("chromium not found under CI (apt-get install chromium, or set CHROMIUM_BIN)");
    }
    found
}

/// Run headless chromium on `url` with `extra` flags; its stdout. The profile lives in
/// `profile` (a temp dir: no state shared between runs or with a desktop session).
fn run_chromium(bin: &Path, profile: &Path, url: &str, extra: &[String]) -> String {
    let out = Command::new(bin)
        .args([
            "--headless",
            "--disable-gpu",
            "--no-sandbox",
            "--no-first-run",
            "--disable-extensions",
            "--disable-dev-shm-usage",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(extra)
        .arg(url)
        .stdin(Stdio::null())
        .output()
        .expect("running chromium");
    assert!(
        out.status.success(),
        "chromium failed: {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).to_string()
}

/// The rendered DOM after `budget_ms` of virtual time (the page polls every 2 s).
fn dump_dom(bin: &Path, profile: &Path, url: &str, budget_ms: u64) -> String {
    run_chromium(
        bin,
        profile,
        url,
        &[
            format!("--virtual-time-budget={budget_ms}"),
            "--dump-dom".into(),
        ],
    )
}

/// The opening tag of every element carrying `marker` (e.g. `class="story"`).
fn tags_with<'a>(dom: &'a str, marker: &str) -> Vec<&'a str> {
    let mut out = Vec::new();
    let mut rest = dom;
    while let Some(i) = rest.find(marker) {
        let start = rest[..i].rfind('<').unwrap_or(0);
        let end = i + rest[i..].find('>').unwrap_or(rest.len() - i);
        out.push(&rest[start..end]);
        rest = &rest[end..];
    }
    out
}

fn attr<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    let key = format!(" {name}=\"");
    let i = tag.find(&key)? + key.len();
    Some(&tag[i..i + tag[i..].find('"')?])
}

/// story id → article count, from the rendered page.
fn stories(dom: &str) -> std::collections::BTreeMap<String, u64> {
    tags_with(dom, "class=\"story")
        .into_iter()
        .filter_map(|t| {
            Some((
                attr(t, "data-id")?.to_string(),
                attr(t, "data-articles")?.parse().ok()?,
            ))
        })
        .collect()
}

/// A headline that would be markup if the page used innerHTML.
const MARKUP: &str = "<b>sentenced</b><img src=x onerror=\"document.title='owned'\">";

fn fixture_file(name: &str) -> (String, Vec<u8>) {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/stories")
        .join(name);
    (name.to_string(), std::fs::read(p).unwrap())
}

fn drop_and_wait(dirs: &Dirs, names: &[&str]) {
    for n in names {
        let before = file_names(&dirs.processed).len();
        drop_files(&dirs.inbox, &[fixture_file(n)]);
        wait_until(&format!("{n} processed"), Duration::from_secs(60), || {
            file_names(&dirs.processed).len() > before && file_names(&dirs.inbox).is_empty()
        });
    }
}

#[test]
fn brief_page_renders_stories_updates_live_and_sets_arabic_right_to_left() {
    let Some(bin) = chromium() else {
        eprintln!("skipped: chromium not found (apt-get install chromium)");
        return;
    };
    let dirs = Dirs::new();
    let mut d = Daemon::start(&dirs, DaemonOpts::new(None));
    d.wait_ready(Duration::from_secs(30));
    let url = format!("http://127.0.0.1:{}/brief", d.metrics_port);
    let profile = dirs.logs.join("chromium");

    // An empty table first: the page loads and says so.
    let empty = dump_dom(&bin, &profile, &url, 1000);
    assert!(empty.contains("No stories yet."), "{empty}");

    // Two reports of one event (Arabic first: its headline heads the story) and an
    // unrelated story.
    drop_and_wait(&dirs, &["event_ar.json", "event_en.json"]);
    // an unrelated story whose headline is markup: it must show as text
    let (_, court) = fixture_file("sameday_court.json");
    let mut doc: serde_json::Value = serde_json::from_slice(&court).unwrap();
    let headline = format!("{MARKUP} {}", doc["headline"].as_str().unwrap());
    doc["headline"] = serde_json::Value::String(headline);
    let before = file_names(&dirs.processed).len();
    drop_files(
        &dirs.inbox,
        &[("markup.json".into(), serde_json::to_vec(&doc).unwrap())],
    );
    wait_until("markup.json processed", Duration::from_secs(60), || {
        file_names(&dirs.processed).len() > before
    });
    let dom = dump_dom(&bin, &profile, &url, 5000);
    let shown = stories(&dom);
    assert_eq!(shown.len(), 2, "{shown:?}\n{dom}");
    let mut counts: Vec<u64> = shown.values().copied().collect();
    counts.sort();
    assert_eq!(counts, [1, 2], "{dom}");
    // ranked by size: the two-article story first
    let first = tags_with(&dom, "class=\"story")[0];
    assert_eq!(attr(first, "data-articles"), Some("2"), "{dom}");
    // the page keeps polling (more than one render within 5 s of virtual time)
    let status = tags_with(&dom, "id=\"status\"")[0];
    let updates: u32 = attr(status, "data-updates").unwrap().parse().unwrap();
    assert!(updates >= 2, "the page polled {updates} time(s)");
    // the Arabic headline: dir=auto, lang=ar, and it renders right to left
    let arabic = tags_with(&dom, "lang=\"ar\"");
    assert_eq!(arabic.len(), 1, "{dom}");
    assert_eq!(attr(arabic[0], "dir"), Some("auto"));
    assert_eq!(
        attr(arabic[0], "data-rendered-dir"),
        Some("rtl"),
        "{}",
        arabic[0]
    );
    let english: Vec<&str> = tags_with(&dom, "lang=\"en\"")
        .into_iter()
        .filter(|t| t.contains("class=\"headline\""))
        .collect();
    assert_eq!(english.len(), 1, "{dom}");
    assert_eq!(
        attr(english[0], "data-rendered-dir"),
        Some("ltr"),
        "{}",
        english[0]
    );
    // the markup headline is text: escaped in the DOM, no element made of it
    assert!(
        !dom.contains("<b>sentenced</b>") && !dom.contains("<img"),
        "{dom}"
    );
    assert!(dom.contains("&lt;b&gt;sentenced&lt;/b&gt;"), "{dom}");

    // The third report arrives: the same story grows to 3 on the next poll.
    let event_id = shown.iter().find(|(_, n)| **n == 2).unwrap().0.clone();
    drop_and_wait(&dirs, &["event_ru.json"]);
    let dom = dump_dom(&bin, &profile, &url, 5000);
    assert_eq!(stories(&dom).get(&event_id), Some(&3), "{dom}");

    // A screenshot for a human to look at.
    // under target/tmp/, kept after the test
    let shot = Path::new(env!("CARGO_TARGET_TMPDIR")).join("brief.png");
    let _ = std::fs::remove_file(&shot);
    run_chromium(
        &bin,
        &profile,
        &url,
        &[
            "--virtual-time-budget=3000".into(),
            "--window-size=1200,900".into(),
            format!("--screenshot={}", shot.display()),
        ],
    );
    let png = std::fs::read(&shot).expect("screenshot written");
    assert!(
        png.starts_with(b"\x89PNG") && png.len() > 5000,
        "{} bytes",
        png.len()
    );
    eprintln!("screenshot: {}", shot.display());
    d.assert_running();
}
