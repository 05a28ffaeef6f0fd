//! Gazetteer over the seed articles and sanity checks of the shipped gazetteer data.
//!
//! Expected counts were made by reading each seed. Each entity has a range: the low end
//! counts mentions in the article proper (headline once, body paragraphs), the high end
//! also counts what boilerplate rules may remove (photo captions and repeated headlines,
//! related-article links, keyword lists, the dateline). Counts are summed over all
//! stories of a file, since story splitting may divide a file that holds two stories.

use std::collections::{BTreeMap, BTreeSet};

use wirefeed::data::DataSet;
use wirefeed::engine::normalize::fold;
use wirefeed::engine::Engine;
use wirefeed::model::EntityKind;

fn seed(name: &str) -> Vec<u8> {
    std::fs::read(format!("{}/seeds/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

/// Total mentions (headline + body) per entity over every story of the file.
fn mentions(engine: &Engine, file: &str) -> BTreeMap<String, (EntityKind, u32)> {
    let mut out = BTreeMap::new();
    for article in engine.clean(&seed(file)).unwrap() {
        let tagged = engine.tag(article);
        let keys: Vec<_> = tagged.entities.iter().map(|e| (e.kind, &e.id)).collect();
        let mut sorted = keys.clone();
        sorted.sort();
        assert_eq!(keys, sorted, "{file}: entities sorted by kind then id");
        for e in &tagged.entities {
            assert_eq!(e.uri, format!("urn:wirefeed:entity:{}", e.id));
            assert!(e.headline_count + e.body_count > 0);
            out.entry(e.id.clone()).or_insert((e.kind, 0)).1 += e.headline_count + e.body_count;
        }
    }
    out
}

fn check(file: &str, expected: &[(&str, EntityKind, u32, u32)]) {
    let engine = Engine::builtin().expect("built-in data loads");
    let found = mentions(&engine, file);
    let known: BTreeSet<&str> = expected.iter().map(|e| e.0).collect();
    for id in found.keys() {
        assert!(
            known.contains(id.as_str()),
            "{file}: unexpected entity {id}"
        );
    }
    for &(id, kind, lo, hi) in expected {
        let (k, n) = found.get(id).copied().unwrap_or((kind, 0));
        assert_eq!(k, kind, "{file}: kind of {id}");
        assert!(
            (lo..=hi).contains(&n),
            "{file}: {id} mentioned {n} times, expected {lo}..={hi}"
        );
    }
}

use EntityKind::{Organisation as O, Person as P, Place as L};

#[test]
fn seed_000_two_teasers_kazakhstan_and_kremlin_drones() {
    check(
        "000_89c72a54e2bafaae.txt",
        &[
            ("kirby", P, 1, 1),
            ("peskov", P, 2, 2),
            ("putin", P, 1, 1),
            ("tokayev", P, 2, 2),
            ("zakharova", P, 1, 1),
            ("zelensky", P, 1, 1),
            ("almaty", L, 2, 2),
            ("china", L, 1, 1),
            // 4 captions say "قرب موسكو"/"سماء كييف"; headlines are repeated.
            ("kazakhstan", L, 4, 9),
            ("kyiv", L, 5, 10),
            ("london", L, 3, 4),
            ("moscow", L, 5, 10),
            ("russia", L, 4, 4),
            ("the_hague", L, 2, 2),
            ("ukraine", L, 2, 2),
            ("united_kingdom", L, 1, 1),
            ("united_states", L, 2, 2),
            ("washington", L, 3, 4),
            ("csto", O, 1, 1),
            ("icc", O, 2, 2),
            ("kremlin", O, 4, 4),
            ("russian_foreign_ministry", O, 1, 1),
            ("white_house", O, 2, 2),
        ],
    );
}

#[test]
fn seed_001_csto_deployment() {
    check(
        "001_3278567e7b789027.txt",
        &[
            ("blinken", P, 1, 1),
            ("masimov", P, 1, 1),
            // "نور سلطان نزارباييف" is the person, not the capital.
            ("nazarbayev", P, 1, 1),
            ("tokayev", P, 1, 1),
            ("turgumbayev", P, 1, 1),
            ("almaty", L, 3, 3),
            ("bishkek", L, 1, 1),
            ("kazakhstan", L, 7, 7),
            ("moscow", L, 3, 3),
            ("russia", L, 1, 1),
            ("washington", L, 1, 1),
            ("csto", O, 2, 2),
            ("kazakh_interior_ministry", O, 1, 1),
            ("russian_defence_ministry", O, 2, 2),
            ("us_state_department", O, 2, 2),
        ],
    );
}

#[test]
fn seed_002_tokayev_coup_attempt() {
    check(
        "002_901cde79856b230e.txt",
        &[
            ("blinken", P, 1, 1),
            ("putin", P, 3, 3),
            ("tokayev", P, 5, 5),
            ("almaty", L, 2, 2),
            ("kazakhstan", L, 6, 6),
            ("moscow", L, 1, 1),
            ("russia", L, 2, 2),
            ("csto", O, 1, 1),
            ("kremlin", O, 1, 1),
            // Only in the related-news links.
            ("macron", P, 0, 1),
            ("china", L, 0, 1),
            ("united_states", L, 0, 1),
        ],
    );
}

#[test]
fn seed_003_putin_calls_tokayev() {
    check(
        "003_d47a0e498ccdc5c2.txt",
        &[
            ("blinken", P, 4, 5),
            ("putin", P, 3, 4),
            ("tokayev", P, 4, 5),
            ("almaty", L, 2, 2),
            ("kazakhstan", L, 9, 16),
            ("moscow", L, 2, 2),
            ("russia", L, 2, 6),
            ("united_states", L, 1, 3),
            ("washington", L, 1, 1),
            ("kazakh_interior_ministry", O, 1, 1),
            ("kremlin", O, 1, 1),
            ("russian_foreign_ministry", O, 1, 1),
            ("us_state_department", O, 1, 1),
            // Only in a related-article link.
            ("turkey", L, 0, 1),
        ],
    );
}

#[test]
fn seed_004_russia_sends_troops() {
    check(
        "004_39218ff9d189c24a.txt",
        &[
            ("nazarbayev", P, 6, 6),
            ("ned_price", P, 1, 1),
            ("tokayev", P, 4, 4),
            // One of the six is the dateline "ألماتي -".
            ("almaty", L, 5, 6),
            ("armenia", L, 1, 1),
            // "في نور سلطان العاصمة": here the capital.
            ("astana", L, 1, 1),
            ("azerbaijan", L, 1, 1),
            ("belarus", L, 1, 1),
            ("kazakhstan", L, 9, 10),
            ("moscow", L, 7, 7),
            ("russia", L, 4, 5),
            ("ukraine", L, 1, 1),
            ("united_states", L, 1, 1),
            ("csto", O, 1, 1),
            ("kremlin", O, 2, 2),
        ],
    );
}

/// Every gazetteer entity of the built-in data, parsed independently of the engine.
fn builtin_entities() -> Vec<toml::Value> {
    DataSet::builtin()
        .gazetteer
        .iter()
        .flat_map(|f| {
            let v: toml::Value = toml::from_str(&f.text).unwrap();
            v.get("entity")
                .and_then(|e| e.as_array().cloned())
                .unwrap_or_default()
        })
        .collect()
}

fn names_in(entity: &toml::Value, lang: &str) -> Vec<String> {
    ["names", "exact"]
        .iter()
        .filter_map(|t| entity.get(t)?.get(lang)?.as_array().cloned())
        .flatten()
        .filter_map(|n| n.as_str().map(str::to_string))
        .collect()
}

#[test]
fn every_builtin_entity_has_arabic_english_and_russian_names() {
    let entities = builtin_entities();
    assert!(entities.len() >= 200, "{} entities", entities.len());
    for e in &entities {
        for lang in ["ar", "en", "ru"] {
            assert!(
                !names_in(e, lang).is_empty(),
                "{} has no {lang} name",
                e["id"]
            );
        }
    }
}

#[test]
fn no_arabic_name_is_a_clitic_plus_another_name() {
    // "ب" + "X" must never spell another listed name, or that name's own mentions
    // would be read as X behind a clitic.
    let prefixes = [
        "و", "ف", "ب", "ل", "ك", "ال", "وال", "فال", "بال", "كال", "وب", "فب", "ول", "فل", "وك",
        "فك", "لل",
    ];
    let mut first_words = BTreeMap::new();
    let mut single = BTreeMap::new();
    for e in builtin_entities() {
        let id = e["id"].as_str().unwrap().to_string();
        for n in names_in(&e, "ar") {
            let f = fold(&n);
            let words: Vec<&str> = f.split_whitespace().collect();
            first_words.insert(words[0].to_string(), id.clone());
            if words.len() == 1 {
                single.insert(f.clone(), id.clone());
            }
        }
    }
    for (word, id) in &first_words {
        for p in prefixes {
            if let Some(rest) = word.strip_prefix(p) {
                if let Some(other) = single.get(rest) {
                    assert_eq!(other, id, "{word:?} ({id}) = {p} + a name of {other}");
                }
            }
        }
    }
}
