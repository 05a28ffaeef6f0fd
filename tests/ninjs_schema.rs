//! Every ninjs document wirefeed produces must validate against the official IPTC
//! ninjs 3.0 JSON Schema, with format validation on (`date-time`, `uri`), and must
//! carry a readable extension object.
//!
//! The schema lives in `../shared/ninjs` (it is not vendored). The seed part always
//! runs: it checks the extension object even when the schema is missing, and
//! validates when the schema is there. The corpus part needs `../shared`: without it
//! the test prints "skipped" and passes, except under CI, where a missing `../shared`
//! is a failure, because a silently skipped test proves nothing.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use jsonschema::{Resource, Retrieve, Uri, Validator};
use serde_json::{json, Value};
use wirefeed::engine::Engine;
use wirefeed::ninjs;

/// The only external `$ref` of the schema, used under `places[].geoJSON`, which
/// wirefeed never emits. It is stubbed with an empty schema instead of fetched.
const GEOJSON_URI: &str = "https://geojson.org/schema/GeoJSON.json";

/// How many validation errors to print per failing document.
const SHOW_ERRORS: usize = 5;

fn manifest() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn shared_dir() -> Option<PathBuf> {
    let dir = manifest().join("../shared");
    if dir.join("corpus/labels.csv").is_file() && dir.join("ninjs").is_dir() {
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

/// Refuses every fetch: tests must never reach the network, and any `$ref` other
/// than the stubbed GeoJSON one would be a surprise worth failing on.
struct NoNetwork;

impl Retrieve for NoNetwork {
    fn retrieve(&self, uri: &Uri<&str>) -> Result<Value, Box<dyn std::error::Error + Send + Sync>> {
        Err(format!("refusing to fetch remote schema {uri}").into())
    }
}

/// The ninjs 3.0 validator, built once per test binary (`None` without `../shared`).
fn validator() -> Option<&'static Validator> {
    static V: OnceLock<Option<Validator>> = OnceLock::new();
    V.get_or_init(|| {
        let path = shared_dir()?.join("ninjs/ninjs-schema_3.0.json");
        let text =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let schema: Value = serde_json::from_str(&text).expect("schema is JSON");
        let stub = Resource::from_contents(
            json!({"$schema": "https://json-schema.org/draft/2020-12/schema"}),
        )
        .expect("stub schema");
        Some(
            jsonschema::options()
                .with_draft(jsonschema::Draft::Draft202012)
                .should_validate_formats(true)
                .with_retriever(NoNetwork)
                .with_resource(GEOJSON_URI, stub)
                .build(&schema)
                .expect("ninjs 3.0 schema compiles"),
        )
    })
    .as_ref()
}

fn engine() -> &'static Engine {
    static E: OnceLock<Engine> = OnceLock::new();
    E.get_or_init(|| Engine::builtin().expect("built-in data loads"))
}

/// Schema errors of one document, first few, as text (empty when valid).
fn schema_errors(v: &Validator, doc: &Value) -> Vec<String> {
    v.iter_errors(doc)
        .take(SHOW_ERRORS)
        .map(|e| format!("{} at {}", e, e.instance_path))
        .collect()
}

/// Problems with the extension object of one document (empty when fine).
fn extension_problems(doc: &Value, article_id: &str, topics: &[&str]) -> Vec<String> {
    let mut out = Vec::new();
    let Some(ext) = ninjs::extension(doc) else {
        return vec!["no extension object in descriptions[]".into()];
    };
    let entry = doc["descriptions"]
        .as_array()
        .and_then(|d| d.iter().find(|d| d["role"] == ninjs::EXTENSION_ROLE));
    if entry.map(|e| &e["contentType"]) != Some(&json!(ninjs::EXTENSION_CONTENT_TYPE)) {
        out.push("extension entry lacks its content type".into());
    }
    for key in [
        "version",
        "engine",
        "article_id",
        "topics",
        "figures",
        "decisions",
    ] {
        if ext.get(key).is_none() {
            out.push(format!("extension lacks `{key}`"));
        }
    }
    if ext["version"] != json!(ninjs::EXTENSION_VERSION) {
        out.push(format!("extension version {}", ext["version"]));
    }
    if ext["engine"] != json!(wirefeed::cli::VERSION) {
        out.push(format!("extension engine {}", ext["engine"]));
    }
    if ext["article_id"] != json!(article_id) {
        out.push(format!(
            "extension article_id {} != {article_id}",
            ext["article_id"]
        ));
    }
    if ext["topics"] != json!(topics) {
        out.push(format!("extension topics {} != {topics:?}", ext["topics"]));
    }
    // The ninjs side says the same as the extension: topic subjects and the URI.
    let subject_topics: Vec<&str> = doc["subjects"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s["uri"].as_str()?.strip_prefix("urn:wirefeed:topic:"))
        .collect();
    if subject_topics != topics {
        out.push(format!("subjects {subject_topics:?} != topics {topics:?}"));
    }
    if doc["uri"] != json!(ninjs::article_uri(article_id)) {
        out.push(format!("uri {} for article {article_id}", doc["uri"]));
    }
    if !ext["figures"].is_array() {
        out.push("extension figures is not an array".into());
    }
    // One decision per topic, matched or not: the explanation of every subject.
    let n_topics = engine().topics().list().len();
    if ext["decisions"].as_array().map(Vec::len) != Some(n_topics) {
        out.push(format!(
            "extension has {:?} decisions, want {n_topics}",
            ext["decisions"].as_array().map(Vec::len)
        ));
    }
    out
}

/// Process one input, render each article and check it; returns (articles, problems).
fn check_input(label: &str, bytes: &[u8], v: Option<&Validator>) -> (usize, Vec<String>) {
    let articles = match engine().process(bytes) {
        Ok(a) => a,
        Err(e) => return (0, vec![format!("{label}: engine error: {e}")]),
    };
    let mut problems = Vec::new();
    for c in &articles {
        let doc = ninjs::to_ninjs(c, wirefeed::cli::VERSION);
        let id = &c.tagged.article.id;
        // The document goes over the wire as text: check the re-parsed form.
        let doc: Value =
            serde_json::from_str(&serde_json::to_string(&doc).expect("serialises")).unwrap();
        if let Some(v) = v {
            let errs = schema_errors(v, &doc);
            if !errs.is_empty() {
                problems.push(format!("{label} [{id}]: schema: {}", errs.join("; ")));
            }
        }
        let ext = extension_problems(&doc, id, &c.topics());
        if !ext.is_empty() {
            problems.push(format!("{label} [{id}]: {}", ext.join("; ")));
        }
    }
    (articles.len(), problems)
}

fn seed_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(manifest().join("seeds"))
        .expect("seeds/ is in the repository")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

#[test]
fn seeds_give_valid_ninjs_with_extension() {
    let v = validator();
    if v.is_none() {
        eprintln!("schema not available: checking the extension only");
    }
    let files = seed_files();
    assert_eq!(files.len(), 5, "five seeds expected in seeds/");
    let (mut total, mut problems) = (0, Vec::new());
    for path in &files {
        let bytes = std::fs::read(path).expect("seed readable");
        let (n, p) = check_input(&path.display().to_string(), &bytes, v);
        total += n;
        problems.extend(p);
    }
    // Seed 000 holds two stories.
    assert_eq!(total, 6, "articles from the five seeds");
    assert!(
        problems.is_empty(),
        "{} problem(s):\n{}",
        problems.len(),
        problems.join("\n")
    );
}

#[test]
fn corpus_gives_valid_ninjs_with_extension() {
    let Some(shared) = shared_dir() else { return };
    let v = validator().expect("schema present when ../shared is");
    let corpus = shared.join("corpus");
    let labels = std::fs::read_to_string(corpus.join("labels.csv")).expect("labels.csv");
    let (mut inputs, mut articles, mut problems) = (0usize, 0usize, Vec::new());
    for line in labels.lines().skip(1).filter(|l| !l.trim().is_empty()) {
        let rel = wirefeed::cli::eval::split_csv(line).swap_remove(0);
        let bytes = std::fs::read(corpus.join(&rel)).unwrap_or_else(|e| panic!("{rel}: {e}"));
        let (n, p) = check_input(&rel, &bytes, Some(v));
        inputs += 1;
        articles += n;
        problems.extend(p);
    }
    eprintln!("{inputs} corpus inputs, {articles} articles validated");
    assert!(inputs >= 1161, "only {inputs} rows in labels.csv");
    assert!(articles >= inputs, "fewer articles than inputs");
    assert!(
        problems.is_empty(),
        "{} problem(s); first ones:\n{}",
        problems.len(),
        problems
            .iter()
            .take(20)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}

/// The ninjs 3.0 example documents are themselves processed as input (they are a
/// format wirefeed reads); whatever text items they give must validate too.
#[test]
fn ninjs_examples_reprocessed_give_valid_ninjs() {
    let Some(shared) = shared_dir() else { return };
    let v = validator().expect("schema present when ../shared is");
    let dir = shared.join("ninjs/examples/3.0");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    let mut problems = Vec::new();
    let mut articles = 0;
    for path in &files {
        let bytes = std::fs::read(path).expect("readable");
        // Picture or package items without text are rejected by design; not a problem here.
        if engine().process(&bytes).is_err() {
            continue;
        }
        let (n, p) = check_input(&path.display().to_string(), &bytes, Some(v));
        articles += n;
        problems.extend(p);
    }
    assert!(articles > 0, "no example gave an article");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The validator is only worth something if it rejects bad documents: the IPTC
/// examples pass, and the breakages wirefeed must avoid (a root property outside
/// the schema, a zone-less date-time, a non-URI uri) fail.
#[test]
fn validator_accepts_examples_and_rejects_breakage() {
    let Some(shared) = shared_dir() else { return };
    let v = validator().expect("schema present when ../shared is");
    let dir = shared.join("ninjs/examples/3.0");
    for entry in std::fs::read_dir(&dir).expect("examples") {
        let path = entry.expect("dir entry").path();
        if path.extension().is_none_or(|x| x != "json") {
            continue;
        }
        let doc: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        let errs = schema_errors(v, &doc);
        assert!(errs.is_empty(), "{}: {}", path.display(), errs.join("; "));
    }
    let bytes = std::fs::read(seed_files()[1].as_path()).unwrap();
    let c = &engine().process(&bytes).expect("seed processes")[0];
    let good = ninjs::to_ninjs(c, wirefeed::cli::VERSION);
    assert!(schema_errors(v, &good).is_empty());
    let breakages: [(&str, Value); 4] = [
        ("/wirefeed", json!({"topics": []})),
        ("/firstCreated", json!("2022-01-08T11:47:00")),
        ("/firstCreated", json!("8 January 2022")),
        ("/uri", json!("not a uri")),
    ];
    for (pointer, value) in breakages {
        let mut bad = good.clone();
        let key = &pointer[1..];
        bad[key] = value.clone();
        assert!(
            !v.is_valid(&bad),
            "validator accepted {key} = {value}: format or closed-root checks are off"
        );
    }
}
