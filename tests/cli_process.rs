//! `wirefeed process` end to end: the real binary over the seeds and over a folder of
//! hostile inputs. Every run also checks that nothing panicked: a panic is never an
//! acceptable way to reject an input.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_wirefeed"))
}

fn seeds() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("seeds")
}

/// Run the binary with `args`; panics with both streams if it panicked.
fn run(args: &[&str]) -> Output {
    let out = bin()
        // Data overlays from the developer's environment must not change results.
        .env_remove("WIREFEED_DATA")
        .args(args)
        .output()
        .expect("binary runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !stderr.contains("panicked"),
        "wirefeed {args:?} panicked:\n{stderr}"
    );
    out
}

fn stdout(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).expect("stdout is UTF-8")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn is_article_id(id: &str) -> bool {
    let Some((hash, n)) = id.rsplit_once('-') else {
        return false;
    };
    hash.len() == 64
        && hash
            .chars()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
        && n.parse::<u32>().is_ok()
}

/// The wirefeed article id of a ninjs document (from `altIds`).
fn article_id(doc: &Value) -> String {
    doc["altIds"]
        .as_array()
        .and_then(|ids| ids.iter().find(|i| i["role"] == "wirefeed-article-id"))
        .and_then(|i| i["value"].as_str())
        .expect("wirefeed-article-id in altIds")
        .to_string()
}

#[test]
fn seeds_give_six_json_lines_with_content_ids() {
    let out = run(&["process", seeds().to_str().unwrap()]);
    assert!(
        out.status.success(),
        "exit {:?}\n{}",
        out.status,
        stderr(&out)
    );
    let text = stdout(&out);
    let docs: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad JSON line {e}: {l}")))
        .collect();
    // Seed 000 holds two stories, the other four one each.
    assert_eq!(docs.len(), 6, "{text}");
    let ids: Vec<String> = docs.iter().map(article_id).collect();
    for (doc, id) in docs.iter().zip(&ids) {
        assert!(is_article_id(id), "id {id} is not <blake3>-<n>");
        assert_eq!(doc["uri"], format!("urn:wirefeed:article:{id}"));
    }
    // The id is the BLAKE3 of the file's bytes: recompute it for each seed.
    let mut want = Vec::new();
    let mut files: Vec<PathBuf> = fs::read_dir(seeds())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    for f in &files {
        let hash = blake3::hash(&fs::read(f).unwrap()).to_hex().to_string();
        let n = if f.file_name().unwrap().to_string_lossy().starts_with("000") {
            2
        } else {
            1
        };
        want.extend((0..n).map(|i| format!("{hash}-{i}")));
    }
    assert_eq!(ids, want, "ids in input order");
    assert!(
        stderr(&out).contains("5 file(s) processed, 6 article(s), 0 failed"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn out_dir_gets_one_file_per_article() {
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("out");
    let out = run(&[
        "process",
        seeds().to_str().unwrap(),
        "--out",
        out_dir.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    // With --out nothing goes to stdout: the documents are in the files.
    assert!(stdout(&out).trim().is_empty(), "{}", stdout(&out));
    let mut names: Vec<String> = fs::read_dir(&out_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n != "errors.jsonl")
        .collect();
    names.sort();
    assert_eq!(names.len(), 6, "{names:?}");
    for name in &names {
        let id = name.strip_suffix(".json").expect(".json file");
        assert!(is_article_id(id), "{name}");
        let doc: Value = serde_json::from_slice(&fs::read(out_dir.join(name)).unwrap()).unwrap();
        assert_eq!(article_id(&doc), id, "file name is the article id");
    }
    // No failure, so no error record (the file may exist, but must be empty).
    let errors = fs::read_to_string(out_dir.join("errors.jsonl")).unwrap_or_default();
    assert!(errors.trim().is_empty(), "{errors}");
}

const BILLION_LAUGHS: &str = r#"<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<nitf><body><body.content><p>&lol4;</p></body.content></body></nitf>
"#;

const XXE: &str = r#"<?xml version="1.0"?>
<!DOCTYPE nitf [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<nitf><head><title>Leak</title></head><body><body.content><p>&xxe;</p></body.content></body></nitf>
"#;

/// NITF cut off in the middle of an element: a container that cannot be parsed.
const MALFORMED_NITF: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<nitf><head><title>Storm closes port</title></head>
<body><body.head><hedline><hl1>Storm closes port</hl1></hedline></body.head>
<body.content><p>The harbour authority closed the port on Tuesday.</p>
<p>Ferries were cancelled until"#;

const GOOD_TEXT: &str = "Council approves new bridge budget\n\n\
The city council approved on Monday a budget for a new footbridge over the river.\n\
Work is expected to start next spring and to last two years.\n";

/// A folder of bad inputs plus one good file: (file name, expected error_type).
fn hostile_folder(dir: &Path) -> Vec<(&'static str, &'static str)> {
    fs::write(dir.join("a_good.txt"), GOOD_TEXT).unwrap();
    fs::write(dir.join("b_empty.txt"), b"").unwrap();
    let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x10\0\0\0\x10\x08\x06\0\0\0".to_vec();
    png.extend(std::iter::repeat_n(0u8, 64));
    fs::write(dir.join("c_picture.png"), png).unwrap();
    fs::write(dir.join("d_laughs.xml"), BILLION_LAUGHS).unwrap();
    fs::write(dir.join("e_broken.xml"), MALFORMED_NITF).unwrap();
    fs::write(dir.join("f_xxe.xml"), XXE).unwrap();
    vec![
        ("b_empty.txt", "empty"),
        ("c_picture.png", "binary"),
        ("d_laughs.xml", "entity_declaration"),
        ("e_broken.xml", "malformed"),
        ("f_xxe.xml", "entity_declaration"),
    ]
}

/// Error records of a JSON-lines file, by file name.
fn records(text: &str) -> BTreeMap<String, Value> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let r: Value = serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}"));
            let name = Path::new(r["path"].as_str().expect("path"))
                .file_name()
                .unwrap()
                .to_string_lossy()
                .into_owned();
            (name, r)
        })
        .collect()
}

#[test]
fn bad_inputs_are_reported_and_good_ones_still_processed() {
    let dir = tempfile::tempdir().unwrap();
    let inbox = dir.path().join("inbox");
    fs::create_dir(&inbox).unwrap();
    let expected = hostile_folder(&inbox);
    let errors_file = dir.path().join("errors.jsonl");
    let out = run(&[
        "process",
        inbox.to_str().unwrap(),
        "--errors",
        errors_file.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    // The good file in the same run still produced its article.
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 1, "{text}");
    let doc: Value = serde_json::from_str(lines[0]).unwrap();
    assert_eq!(
        doc["headlines"][0]["value"],
        "Council approves new bridge budget"
    );
    let err = stderr(&out);
    let recs = records(&fs::read_to_string(&errors_file).expect("errors file written"));
    assert_eq!(
        recs.len(),
        expected.len(),
        "one record per bad input: {recs:?}"
    );
    for (name, kind) in &expected {
        let r = recs
            .get(*name)
            .unwrap_or_else(|| panic!("no record for {name}"));
        assert_eq!(r["error_type"], *kind, "{name}: {r}");
        let reason = r["reason"].as_str().expect("reason");
        assert!(!reason.is_empty(), "{name}: empty reason");
        // stderr names the file, its reason and its type.
        let line = err
            .lines()
            .find(|l| l.contains(name))
            .unwrap_or_else(|| panic!("{name} not on stderr:\n{err}"));
        assert!(
            line.contains(reason) && line.contains(kind),
            "{name}: {line}"
        );
    }
    assert!(
        err.contains("1 file(s) processed, 1 article(s), 5 failed"),
        "{err}"
    );
    // The XXE payload must never be read: no passwd content anywhere.
    assert!(!text.contains("root:"), "XXE expanded");
}

#[test]
fn errors_go_to_out_dir_errors_jsonl() {
    let dir = tempfile::tempdir().unwrap();
    let inbox = dir.path().join("inbox");
    fs::create_dir(&inbox).unwrap();
    let expected = hostile_folder(&inbox);
    let out_dir = dir.path().join("out");
    let out = run(&[
        "process",
        inbox.to_str().unwrap(),
        "--out",
        out_dir.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let recs = records(&fs::read_to_string(out_dir.join("errors.jsonl")).unwrap());
    let got: Vec<(&str, &str)> = recs
        .iter()
        .map(|(n, r)| (n.as_str(), r["error_type"].as_str().unwrap()))
        .collect();
    assert_eq!(got, expected);
    let articles = fs::read_dir(&out_dir)
        .unwrap()
        .filter(|e| e.as_ref().unwrap().file_name() != "errors.jsonl")
        .count();
    assert_eq!(articles, 1, "the good file's article");
}

#[test]
fn errors_default_to_stderr_as_json_records() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("empty.txt");
    fs::write(&f, "   \n\n  ").unwrap();
    let out = run(&["process", f.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    let rec = err
        .lines()
        .find(|l| l.starts_with('{'))
        .unwrap_or_else(|| panic!("no JSON error record on stderr:\n{err}"));
    let rec: Value = serde_json::from_str(rec).unwrap();
    assert_eq!(rec["error_type"], "empty");
    assert!(rec["path"].as_str().unwrap().ends_with("empty.txt"));
}

#[test]
fn max_bytes_rejects_large_inputs_as_too_large() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("long.txt");
    fs::write(&f, GOOD_TEXT).unwrap();
    let errors = dir.path().join("e.jsonl");
    let out = run(&[
        "process",
        f.to_str().unwrap(),
        "--max-bytes",
        "20",
        "--errors",
        errors.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let recs = records(&fs::read_to_string(&errors).unwrap());
    assert_eq!(recs["long.txt"]["error_type"], "too_large");
}

#[test]
fn explain_prints_topic_decisions() {
    let out = run(&["process", seeds().to_str().unwrap(), "--explain", "-j", "1"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    // One header per article; no JSON in explain mode.
    assert_eq!(text.lines().filter(|l| l.starts_with("== ")).count(), 6);
    assert!(
        !text.lines().any(|l| l.starts_with('{')),
        "JSON in --explain"
    );
    for want in ["headline:", "dateline:", "body:", "kazakhstan_unrest"] {
        assert!(text.contains(want), "missing {want:?} in:\n{text}");
    }
    // Every article explains every topic, matched (✓) or not (✗), with a reason.
    let decisions = text
        .lines()
        .filter(|l| l.trim_start().starts_with("topic "))
        .collect::<Vec<_>>();
    assert!(
        decisions.len() >= 6 && decisions.len() % 6 == 0,
        "{decisions:?}"
    );
    assert!(decisions.iter().all(|l| l.contains("score")));
    // The seeds are about the Kazakhstan unrest: at least one matches it.
    assert!(
        decisions
            .iter()
            .any(|l| l.contains("✓") && l.contains("kazakhstan_unrest")),
        "{text}"
    );
}

#[test]
fn help_describes_the_command() {
    let out = run(&["process", "--help"]);
    assert!(out.status.success());
    let text = stdout(&out);
    for flag in [
        "--out",
        "--explain",
        "--errors",
        "--jobs",
        "--max-bytes",
        "PATH",
    ] {
        assert!(text.contains(flag), "--help lacks {flag}:\n{text}");
    }
    let top = run(&["--help"]);
    assert!(top.status.success());
    assert!(stdout(&top).contains("process"));
}

#[test]
fn missing_path_fails_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-such-file.txt");
    let errors = dir.path().join("e.jsonl");
    let out = run(&[
        "process",
        missing.to_str().unwrap(),
        "--errors",
        errors.to_str().unwrap(),
    ]);
    // A missing input is an input failure like any other (exit 1, a `read` record),
    // not a crash and not a usage error.
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("no-such-file.txt"),
        "the path is named: {}",
        stderr(&out)
    );
    let recs = records(&fs::read_to_string(&errors).expect("error record written"));
    assert_eq!(recs["no-such-file.txt"]["error_type"], "read");
    assert!(stdout(&out).is_empty());
}

#[test]
fn usage_errors_exit_2() {
    // No path at all is a usage error (clap), not an input failure.
    let out = run(&["process"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let out = run(&["process", "--jobs", "many", "seeds"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
}

/// `process --digest`: one line, a sha256 and the article count.
fn digest(paths: &[&str], jobs: &str) -> String {
    let mut args = vec!["process", "--digest", "-j", jobs];
    args.extend_from_slice(paths);
    let out = run(&args);
    let text = stdout(&out);
    let line = text.trim_end();
    let hex = line.split_whitespace().next().unwrap_or("");
    assert!(
        hex.len() == 64 && hex.chars().all(|c| c.is_ascii_hexdigit()),
        "digest line {line:?}\n{}",
        stderr(&out)
    );
    assert!(line.ends_with(" articles"), "digest line {line:?}");
    line.to_string()
}

#[test]
fn digest_is_the_sha256_of_the_sorted_json_lines() {
    use sha2::{Digest, Sha256};
    let seeds = seeds();
    let out = run(&["process", seeds.to_str().unwrap()]);
    let text = stdout(&out);
    let mut lines: Vec<&str> = text.lines().collect();
    lines.sort_unstable();
    let mut h = Sha256::new();
    for l in &lines {
        h.update(l.as_bytes());
        h.update(b"\n");
    }
    let hex: String = h.finalize().iter().map(|b| format!("{b:02x}")).collect();
    let expected = format!("{hex}  {} articles", lines.len());
    assert_eq!(digest(&[seeds.to_str().unwrap()], "1"), expected);
}

/// Determinism: one worker or two, the engine says exactly the same, over the whole
/// development corpus (the seeds when `../shared` is absent).
#[test]
fn digest_is_the_same_for_one_and_two_workers() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    let path = if corpus.is_dir() {
        corpus
    } else if std::env::var_os("CI").is_some() {
        panic!("../shared/corpus not found; CI must run the corpus check");
    } else {
        seeds()
    };
    let path = path.to_str().unwrap();
    let one = digest(&[path], "1");
    let two = digest(&[path], "2");
    assert_eq!(one, two, "output differs between -j 1 and -j 2");
}
