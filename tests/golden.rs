//! Data-driven golden tests: every input in `tests/golden/` is run through the whole
//! engine and its key facts are compared with `<name>.expected.json` beside it.
//!
//! Expectations are compared field by field, and only the fields the expectation
//! names: a new fact the engine learns to report does not churn every golden file,
//! but every fact written down must hold. `null` means "must be absent".
//!
//! The inputs are invented articles written for these tests (never corpus text), one
//! per format and encoding the cleaner supports.
//!
//! `UPDATE_GOLDEN=1 cargo test --test golden` rewrites every expectation from the
//! current output. Read the diff before committing it: a regenerated file is only an
//! expectation once a person has checked that its facts are right.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use serde_json::{json, Map, Value};
use wirefeed::engine::Engine;
use wirefeed::model::ClassifiedArticle;

const EXPECTED_SUFFIX: &str = ".expected.json";

/// The facts an expectation may name. An unknown key is a typo, and fails the test
/// rather than being silently ignored.
const FACTS: &[&str] = &[
    "format",
    "encoding",
    "headline",
    "language",
    "dateline",
    "published",
    "publisher",
    "topics",
    "credits",
    "paragraphs",
    "truncated",
];

fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden")
}

/// Input files: everything in the folder but the expectations and hidden files.
fn inputs() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = fs::read_dir(golden_dir())
        .expect("tests/golden exists")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy();
            p.is_file()
                && !name.starts_with('.')
                && !name.ends_with(EXPECTED_SUFFIX)
                && name != "README.md"
        })
        .collect();
    files.sort();
    files
}

/// `text_en.txt` → `text_en.expected.json`; `story.nitf.xml` → `story.nitf.expected.json`.
fn expected_path(input: &Path) -> PathBuf {
    let name = input.file_name().unwrap().to_string_lossy();
    let stem = name.rsplit_once('.').map_or(&*name, |(s, _)| s);
    input.with_file_name(format!("{stem}{EXPECTED_SUFFIX}"))
}

/// The key facts of one article, under the names of [`FACTS`].
fn facts(c: &ClassifiedArticle) -> Map<String, Value> {
    let a = &c.tagged.article;
    let credits: Vec<&str> = a.credits.iter().map(|cr| cr.id.as_str()).collect();
    let v = json!({
        "format": a.format.as_str(),
        "encoding": a.encoding,
        "headline": a.headline,
        "language": c.tagged.language.code,
        "dateline": a.dateline,
        "published": a.published,
        "publisher": a.publisher,
        "topics": c.topics(),
        "credits": credits,
        "paragraphs": a.paragraphs.len(),
        "truncated": a.truncated,
    });
    let Value::Object(m) = v else { unreachable!() };
    debug_assert!(m.keys().all(|k| FACTS.contains(&k.as_str())));
    m
}

fn engine() -> Engine {
    Engine::builtin().expect("built-in data loads")
}

/// Actual output of one input: `{"articles": [facts…]}`.
fn actual(engine: &Engine, input: &Path) -> Result<Value, String> {
    let bytes = fs::read(input).map_err(|e| e.to_string())?;
    let articles = engine.process(&bytes).map_err(|e| format!("engine: {e}"))?;
    Ok(json!({
        "articles": articles.iter().map(|c| Value::Object(facts(c))).collect::<Vec<_>>()
    }))
}

/// Field-by-field differences between an expectation and the actual output.
fn compare(name: &str, expected: &Value, actual: &Value) -> Vec<String> {
    let mut out = Vec::new();
    let (Some(want), Some(got)) = (
        expected["articles"].as_array(),
        actual["articles"].as_array(),
    ) else {
        return vec![format!("{name}: expectation needs an `articles` array")];
    };
    if want.len() != got.len() {
        out.push(format!(
            "{name}: {} article(s), expected {}",
            got.len(),
            want.len()
        ));
    }
    for (i, (w, g)) in want.iter().zip(got).enumerate() {
        let Some(w) = w.as_object() else {
            out.push(format!("{name}[{i}]: expectation is not an object"));
            continue;
        };
        for (key, want_value) in w {
            if !FACTS.contains(&key.as_str()) {
                out.push(format!("{name}[{i}]: unknown fact `{key}` in expectation"));
                continue;
            }
            let got_value = g.get(key).unwrap_or(&Value::Null);
            if got_value != want_value {
                out.push(format!(
                    "{name}[{i}].{key}: got {got_value}, expected {want_value}"
                ));
            }
        }
    }
    out
}

fn updating() -> bool {
    std::env::var_os("UPDATE_GOLDEN").is_some_and(|v| v == "1")
}

#[test]
fn golden_inputs_match_their_expectations() {
    let engine = engine();
    let files = inputs();
    assert!(!files.is_empty(), "no golden inputs");
    let mut problems = Vec::new();
    for input in &files {
        let name = input.file_name().unwrap().to_string_lossy().into_owned();
        let got = match actual(&engine, input) {
            Ok(v) => v,
            Err(e) => {
                problems.push(format!("{name}: {e}"));
                continue;
            }
        };
        let exp_path = expected_path(input);
        if updating() {
            let text = serde_json::to_string_pretty(&got).unwrap() + "\n";
            fs::write(&exp_path, text).expect("write expectation");
            eprintln!("updated {}", exp_path.display());
            continue;
        }
        let Ok(text) = fs::read_to_string(&exp_path) else {
            problems.push(format!(
                "{name}: no {} (run with UPDATE_GOLDEN=1, then check it by reading)",
                exp_path.file_name().unwrap().to_string_lossy()
            ));
            continue;
        };
        let want: Value =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", exp_path.display()));
        problems.extend(compare(&name, &want, &got));
    }
    assert!(
        problems.is_empty(),
        "{} golden mismatch(es):\n{}",
        problems.len(),
        problems.join("\n")
    );
}

/// Every expectation belongs to an input (a renamed input must not leave a stale
/// expectation that nothing checks), and no two inputs share an expectation.
#[test]
fn every_expectation_has_one_input() {
    let files = inputs();
    let used: BTreeSet<PathBuf> = files.iter().map(|p| expected_path(p)).collect();
    assert_eq!(used.len(), files.len(), "two inputs map to one expectation");
    for e in fs::read_dir(golden_dir()).unwrap() {
        let p = e.unwrap().path();
        if p.to_string_lossy().ends_with(EXPECTED_SUFFIX) {
            assert!(used.contains(&p), "{} has no input", p.display());
        }
    }
}

/// The golden set covers every format and every encoding family the cleaner
/// supports, so a format that silently stops working is caught here.
#[test]
fn golden_set_covers_formats_and_encodings() {
    if updating() {
        // The other test is rewriting the expectations right now; read them next run.
        return;
    }
    let mut formats = BTreeSet::new();
    let mut encodings = BTreeSet::new();
    let mut languages = BTreeSet::new();
    for input in inputs() {
        let Ok(text) = fs::read_to_string(expected_path(&input)) else {
            continue;
        };
        let want: Value = serde_json::from_str(&text).unwrap();
        for a in want["articles"].as_array().into_iter().flatten() {
            formats.extend(a["format"].as_str().map(str::to_string));
            encodings.extend(a["encoding"].as_str().map(str::to_string));
            languages.extend(a["language"].as_str().map(str::to_string));
        }
    }
    for f in ["text", "html", "ninjs", "nitf", "newsml"] {
        assert!(formats.contains(f), "no golden input of format {f}");
    }
    for e in ["UTF-8", "windows-1251"] {
        assert!(encodings.contains(e), "no golden input in {e}");
    }
    assert!(
        encodings.iter().any(|e| e.starts_with("UTF-16")),
        "no golden input in UTF-16: {encodings:?}"
    );
    for l in ["en", "ru", "ar"] {
        assert!(languages.contains(l), "no golden input in language {l}");
    }
}

/// The comparison itself: a differing field, a missing article and an unknown key
/// are all reported; fields the expectation does not name are ignored.
#[test]
fn compare_reports_field_differences_only_for_named_fields() {
    let got = json!({"articles": [{"headline": "A", "language": "en", "topics": []}]});
    assert!(compare("x", &json!({"articles": [{"headline": "A"}]}), &got).is_empty());
    let diff = compare("x", &json!({"articles": [{"headline": "B"}]}), &got);
    assert_eq!(diff.len(), 1, "{diff:?}");
    assert!(diff[0].contains("x[0].headline"));
    assert_eq!(
        compare("x", &json!({"articles": [{}, {}]}), &got).len(),
        1,
        "article count"
    );
    assert_eq!(
        compare("x", &json!({"articles": [{"headlin": "A"}]}), &got).len(),
        1
    );
    // null expects absence.
    assert_eq!(
        compare("x", &json!({"articles": [{"dateline": null}]}), &got).len(),
        0
    );
    assert_eq!(
        compare("x", &json!({"articles": [{"language": null}]}), &got).len(),
        1
    );
}
