//! Stories (issue #12) end to end through `wirefeed process --cluster`: republished
//! copies, two different stories with the same entities, one event in three
//! languages, and the durable story log surviving kill -9. The fixtures in
//! tests/stories/ are invented text written for these tests.

#[path = "common/gen.rs"]
mod gen;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

fn fixture(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/stories")
        .join(name)
        .display()
        .to_string()
}

/// Run `process --cluster` over the fixtures (in this order); the extension objects,
/// by file name, and stderr.
fn cluster(names: &[&str], extra: &[&str]) -> (BTreeMap<String, Value>, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_wirefeed"));
    cmd.env_remove("WIREFEED_DATA")
        .args(["process", "--cluster", "-j", "1"])
        .args(extra);
    for n in names {
        cmd.arg(fixture(n));
    }
    let out = cmd.output().expect("binary runs");
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(out.status.success(), "{stderr}");
    let docs: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect();
    assert_eq!(docs.len(), names.len(), "{stderr}");
    let exts = names
        .iter()
        .zip(&docs)
        .map(|(n, d)| {
            (
                n.to_string(),
                wirefeed::ninjs::extension(d).expect("extension"),
            )
        })
        .collect();
    (exts, stderr)
}

fn id(e: &Value) -> &str {
    e["article_id"].as_str().unwrap()
}

#[test]
fn republished_copies_form_one_duplicate_group() {
    let names = [
        "dup_original.json",
        "dup_copy_site.txt",
        "dup_copy_added.html",
    ];
    let (e, stderr) = cluster(&names, &[]);
    let orig = &e["dup_original.json"];
    assert!(orig["duplicate_of"].is_null());
    for copy in &names[1..] {
        let c = &e[*copy];
        assert_eq!(c["duplicate_of"], orig["article_id"], "{copy}: {c}");
        assert!(c["duplicate"]["jaccard"].as_f64().unwrap() >= 0.5, "{c}");
        assert_eq!(
            c["cluster"], orig["cluster"],
            "{copy} joins the original's story"
        );
        assert_eq!(c["clusters"][0]["via"], "duplicate");
    }
    assert!(stderr.contains("duplicate groups: 1\n"), "{stderr}");
}

#[test]
fn two_stories_with_the_same_entities_on_the_same_day_are_not_duplicates() {
    let (e, _) = cluster(&["sameday_court.json", "sameday_memorial.json"], &[]);
    let (a, b) = (&e["sameday_court.json"], &e["sameday_memorial.json"]);
    assert!(
        a["duplicate_of"].is_null() && b["duplicate_of"].is_null(),
        "{b}"
    );
    // The same entities (Tokayev, Almaty) in both; Almaty is the topic's setting, so
    // one shared person is not enough to call the court case and the ceremony one event.
    let d = &b["clusters"][0];
    assert_ne!(a["cluster"], b["cluster"], "{d}");
    assert_eq!(d["via"], "new");
    assert!(
        d["rejected"][0]
            .as_str()
            .unwrap()
            .contains("shares only tokayev"),
        "{d}"
    );
}

#[test]
fn one_event_reported_in_arabic_english_and_russian_is_one_story() {
    let out = tempfile::tempdir().unwrap();
    let dir = out.path().display().to_string();
    let names = ["event_ar.json", "event_en.json", "event_ru.json"];
    let (e, stderr) = cluster(&names, &["--stories-out", &dir]);
    let first = &e["event_ar.json"];
    assert_eq!(first["clusters"][0]["via"], "new");
    for n in &names[1..] {
        let d = &e[*n]["clusters"][0];
        assert_eq!(e[*n]["cluster"], first["cluster"], "{n}: {d}");
        assert_eq!(d["via"], "entities", "{d}");
        assert_eq!(d["topic"], "kazakhstan_unrest");
        let shared: Vec<&str> = d["shared"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        assert_eq!(shared, ["tokayev", "aktobe"], "{d}");
        assert!(d["score"].as_f64().unwrap() >= 0.5);
        assert!(d["hours_apart"].as_f64().unwrap() < 3.0, "{d}");
        assert!(
            e[*n]["duplicate_of"].is_null(),
            "translations are not copies"
        );
    }
    let cid = first["cluster"].as_str().unwrap();
    let story: Value = serde_json::from_str(
        &fs::read_to_string(
            out.path()
                .join("kazakhstan_unrest")
                .join(format!("{cid}.json")),
        )
        .unwrap(),
    )
    .unwrap();
    assert_eq!(story["articles"], 3);
    assert_eq!(story["languages"], serde_json::json!(["ar", "en", "ru"]));
    assert_eq!(story["sources"].as_array().unwrap().len(), 3);
    assert_eq!(story["first_seen"], "2026-04-04T14:00:00Z");
    assert_eq!(story["last_seen"], "2026-04-04T16:20:00Z");
    assert_eq!(story["figures"]["arrested"]["value"], 25);
    assert!(stderr.contains(cid), "the stories table lists it: {stderr}");
}

#[test]
fn all_fixtures_together_give_the_same_groups() {
    let names = [
        "dup_original.json",
        "sameday_court.json",
        "event_en.json",
        "dup_copy_site.txt",
        "event_ru.json",
        "sameday_memorial.json",
        "dup_copy_added.html",
        "event_ar.json",
    ];
    let (e, stderr) = cluster(&names, &[]);
    let mut by: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    for (n, x) in &e {
        by.entry(x["cluster"].as_str().unwrap().to_string())
            .or_default()
            .push(n);
    }
    let mut groups: Vec<Vec<&str>> = by.into_values().collect();
    groups.sort();
    assert_eq!(
        groups,
        vec![
            vec![
                "dup_copy_added.html",
                "dup_copy_site.txt",
                "dup_original.json"
            ],
            vec!["event_ar.json", "event_en.json", "event_ru.json"],
            vec!["sameday_court.json"],
            vec!["sameday_memorial.json"],
        ],
        "{stderr}"
    );
    assert!(stderr.contains("duplicate groups: 1\n"), "{stderr}");
    let _ = id(&e["event_ar.json"]);
}

fn write_inputs(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for (name, bytes) in gen::articles(12, 0, 1200) {
        let p = dir.join(name);
        fs::write(&p, bytes).unwrap();
        files.push(p);
    }
    for n in [
        "dup_original.json",
        "event_en.json",
        "dup_copy_site.txt",
        "event_ru.json",
        "event_ar.json",
    ] {
        let p = dir.join(n);
        fs::copy(fixture(n), &p).unwrap();
        files.push(p);
    }
    files
}

fn run_to_end(files: &[PathBuf], state: &Path, out: &Path) -> String {
    let o = Command::new(env!("CARGO_BIN_EXE_wirefeed"))
        .env_remove("WIREFEED_DATA")
        .args(["process", "--cluster", "-j", "1", "--stories-state"])
        .arg(state)
        .arg("--stories-out")
        .arg(out)
        .args(files)
        .stdout(Stdio::null())
        .output()
        .unwrap();
    assert!(o.status.success());
    String::from_utf8_lossy(&o.stderr).to_string()
}

fn read_dir_tree(dir: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for t in fs::read_dir(dir).unwrap() {
        let t = t.unwrap().path();
        for f in fs::read_dir(&t).unwrap() {
            let f = f.unwrap().path();
            out.insert(
                f.strip_prefix(dir).unwrap().display().to_string(),
                fs::read_to_string(&f).unwrap(),
            );
        }
    }
    out
}

fn lines(p: &Path) -> usize {
    fs::read(p)
        .map(|b| b.iter().filter(|&&c| c == b'\n').count())
        .unwrap_or(0)
}

#[test]
fn kill_9_mid_batch_loses_no_story_state() {
    let tmp = tempfile::tempdir().unwrap();
    let inputs = tmp.path().join("in");
    fs::create_dir(&inputs).unwrap();
    let files = write_inputs(&inputs);
    // Reference: one uninterrupted run.
    let (ref_state, ref_out) = (tmp.path().join("ref.log"), tmp.path().join("ref-out"));
    run_to_end(&files, &ref_state, &ref_out);
    let expected = read_dir_tree(&ref_out);
    assert!(expected.len() > 5);
    // Killed run: SIGKILL once part of the batch is in the log, then run it again.
    let (state, out) = (tmp.path().join("state.log"), tmp.path().join("out"));
    let mut child = Command::new(env!("CARGO_BIN_EXE_wirefeed"))
        .env_remove("WIREFEED_DATA")
        .args(["process", "--cluster", "-j", "1", "--stories-state"])
        .arg(&state)
        .args(&files)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while lines(&state) < 100 && start.elapsed() < Duration::from_secs(60) {
        std::thread::sleep(Duration::from_millis(2));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let recorded = lines(&state);
    assert!(recorded >= 100, "the log grew before the kill");
    assert!(
        recorded < files.len(),
        "killed mid-batch ({recorded} of {})",
        files.len()
    );
    let stderr = run_to_end(&files, &state, &out);
    assert_eq!(read_dir_tree(&out), expected, "{stderr}");
    // Every article is in the log once: replays are not recorded again.
    assert_eq!(lines(&state), lines(&ref_state));
    // A third run over the same inputs changes nothing.
    let again = tmp.path().join("again");
    run_to_end(&files, &state, &again);
    assert_eq!(read_dir_tree(&again), expected);
}

/// A story that outgrows `max_members` still counts and lists every article of the
/// batch in the table, while its row lists only the latest members.
#[test]
fn a_story_past_max_members_lists_every_article_in_the_table() {
    let out = tempfile::tempdir().unwrap();
    let config = out.path().join("stories.toml");
    fs::write(
        &config,
        "[clusters]\nmax_members = 2\n[alerts]\narticles = 2\n",
    )
    .unwrap();
    let rows = out.path().join("rows");
    let names = ["event_ar.json", "event_en.json", "event_ru.json"];
    let (e, stderr) = cluster(
        &names,
        &[
            "--stories-config",
            &config.display().to_string(),
            "--stories-out",
            &rows.display().to_string(),
        ],
    );
    let cid = e["event_ar.json"]["cluster"].as_str().unwrap().to_string();
    for n in &names {
        assert_eq!(e[*n]["cluster"], cid.as_str(), "{n}");
        assert!(stderr.contains(&fixture(n)), "{n} listed: {stderr}");
    }
    let story: Value = serde_json::from_str(
        &fs::read_to_string(rows.join("kazakhstan_unrest").join(format!("{cid}.json"))).unwrap(),
    )
    .unwrap();
    assert_eq!(story["articles"], 3);
    let held: Vec<&str> = story["article_ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(held, [id(&e["event_en.json"]), id(&e["event_ru.json"])]);
}
