//! Decode + extract over the shared development corpus and the ninjs 3.0 examples.
//!
//! The corpus lives outside the repository (`../shared`, third-party content that
//! must not be copied in). Without it the test says so and passes, except under CI,
//! where a missing corpus is a failure: a silently skipped test proves nothing.

use std::path::{Path, PathBuf};

use wirefeed::engine::{decode, formats, normalize};
use wirefeed::error::EngineError;
use wirefeed::model::Format;

/// Corpus items whose body is empty in the source itself (a Reuters correction
/// notice whose XHTML body is `<p/>`). They must still give their headline.
const HEADLINE_ONLY: &[&str] =
    &["en/superdesk/tag_reuters.com_2016_newsml_L1N14N0FF_version_1542761538"];

fn shared_dir() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared");
    if dir.join("corpus/labels.csv").is_file() {
        return Some(dir);
    }
    if std::env::var_os("CI").is_some() {
        panic!(
            "../shared not found at {} (required under CI)",
            dir.display()
        );
    }
    eprintln!("skipped: ../shared not found at {}", dir.display());
    None
}

fn run(path: &Path) -> Result<formats::Extracted, EngineError> {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let decoded = decode::decode(&bytes)?;
    formats::extract(&decoded.text)
}

fn has_text(ex: &formats::Extracted) -> bool {
    ex.paragraphs.iter().any(|p| !p.trim().is_empty())
}

#[test]
fn corpus_files_extract_with_the_labelled_format() {
    let Some(shared) = shared_dir() else { return };
    let corpus = shared.join("corpus");
    let labels = std::fs::read_to_string(corpus.join("labels.csv")).expect("labels.csv");
    let mut failures = Vec::new();
    let mut checked = 0usize;
    for line in labels.lines().skip(1).filter(|l| !l.trim().is_empty()) {
        let fields = wirefeed::cli::eval::split_csv(line);
        let (rel, format) = (&fields[0], fields[3].as_str());
        let path = corpus.join(rel);
        checked += 1;
        let expected = match format {
            "nitf" => Format::Nitf,
            "newsml" => Format::Newsml,
            "ninjs" => Format::Ninjs,
            "html" => Format::Html,
            // ANPA and the dpa IPTC 7901 wires are text once the framing is gone.
            "anpa" | "text" => Format::Text,
            other => panic!("{rel}: unknown format label {other}"),
        };
        let strict = format != "text" || rel.contains("/superdesk/");
        let body_empty_in_source = HEADLINE_ONLY.contains(&rel.as_str());
        match run(&path) {
            Ok(ex) if body_empty_in_source => {
                if has_text(&ex) || ex.headline.is_none() {
                    failures.push(format!(
                        "{rel}: expected headline only (source body is empty)"
                    ));
                }
            }
            Ok(ex) if !has_text(&ex) => failures.push(format!("{rel}: no paragraph")),
            Ok(ex) if strict && ex.format != expected => {
                failures.push(format!("{rel}: format {:?}, want {expected:?}", ex.format))
            }
            Ok(ex) => {
                if matches!(expected, Format::Nitf | Format::Newsml | Format::Ninjs) {
                    assert!(ex.structured, "{rel}: structured formats must say so");
                }
            }
            Err(e) => failures.push(format!("{rel}: {e}")),
        }
    }
    assert!(checked > 1000, "only {checked} corpus rows read");
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Scraped text (the seeds, the ar/en/ru corpus) has one paragraph per line: the
/// extractor must neither join nor split those lines.
#[test]
fn one_paragraph_per_line_text_keeps_its_lines() {
    let Some(shared) = shared_dir() else { return };
    let mut files: Vec<PathBuf> = Vec::new();
    for dir in ["seeds", "corpus/ar/antcorpus", "corpus/en/ukraine-war-news"] {
        let dir = shared.join(dir);
        files.extend(
            std::fs::read_dir(&dir)
                .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
                .map(|e| e.expect("dir entry").path())
                .filter(|p| p.extension().is_some_and(|x| x == "txt")),
        );
    }
    files.sort();
    assert!(files.len() > 100, "only {} text files", files.len());
    let mut failures = Vec::new();
    for path in files {
        let bytes = std::fs::read(&path).expect("readable");
        let text = decode::decode(&bytes).expect("decodes").text;
        let want: Vec<String> = text
            .lines()
            .map(normalize::display)
            .filter(|l| !l.is_empty())
            .collect();
        let ex = formats::extract(&text).expect("extracts");
        let got: Vec<&String> = ex.paragraphs.iter().filter(|p| !p.is_empty()).collect();
        if ex.format != Format::Text || got.len() != want.len() {
            failures.push(format!(
                "{}: {:?}, {} lines in, {} out",
                path.display(),
                ex.format,
                want.len(),
                got.len()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn ninjs_3_examples_give_typed_results() {
    let Some(shared) = shared_dir() else { return };
    let dir = shared.join("ninjs/examples/3.0");
    let mut entries: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    entries.sort();
    assert!(
        !entries.is_empty(),
        "no ninjs examples in {}",
        dir.display()
    );
    let mut failures = Vec::new();
    for path in entries {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let raw = std::fs::read_to_string(&path).expect("utf-8 json");
        let item: serde_json::Value = serde_json::from_str(&raw).expect("examples are valid JSON");
        let is_text = item.get("type").and_then(|t| t.as_str()) == Some("text");
        match run(&path) {
            Ok(ex) => {
                if ex.format != Format::Ninjs {
                    failures.push(format!("{name}: format {:?}", ex.format));
                }
                if is_text && !has_text(&ex) && ex.headline.is_none() {
                    failures.push(format!("{name}: text item without body or headline"));
                }
            }
            Err(EngineError::NoTextBody { format: "ninjs" }) if !is_text => {}
            Err(e) => failures.push(format!("{name}: {e}")),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
