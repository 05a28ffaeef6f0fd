//! Datelines, stated dates and agency credits in the 14 languages, through the clean
//! stage, on invented pages (`tests/datelines/<lang>.txt`).

use wirefeed::engine::Engine;
use wirefeed::model::CleanArticle;

fn clean(name: &str) -> CleanArticle {
    let path = format!("{}/tests/datelines/{name}", env!("CARGO_MANIFEST_DIR"));
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let mut arts = Engine::builtin()
        .expect("builtin data")
        .clean(&bytes)
        .expect("fixture cleans");
    assert_eq!(arts.len(), 1, "{name}");
    arts.remove(0)
}

/// (file, dateline place, published, first credit id)
const CASES: &[(&str, &str, &str, &str)] = &[
    ("en.txt", "ALMATY", "2022-01-05T09:30:00Z", "reuters"),
    ("de.txt", "MOSKAU", "2022-01-05T14:30:00", "dpa"),
    ("fr.txt", "Kiev", "2022-03-12T10:15:00", "afp"),
    ("es.txt", "MADRID", "2022-01-05", "europa_press"),
    ("it.txt", "ROMA", "2022-01-05", "ansa"),
    ("pt.txt", "LISBOA", "2022-01-05", "lusa"),
    ("tr.txt", "ANKARA", "2022-01-05", "anadolu"),
    ("pl.txt", "WARSZAWA", "2022-01-05", "pap"),
    ("ru.txt", "МОСКВА", "2022-01-05", "tass"),
    ("uk.txt", "КИЇВ", "2022-01-05", "ukrinform"),
    ("kk.txt", "Алматы", "2022-01-05", "kaztag"),
    ("ar.txt", "بيروت", "2022-01-05", "afp"),
    ("fa.txt", "تهران", "2022-01-05", "irna"),
    ("zh.txt", "北京", "2022-01-05T08:00:00", "xinhua"),
];

#[test]
fn datelines_dates_and_credits_in_every_language() {
    let mut failures = Vec::new();
    for &(file, place, published, credit) in CASES {
        let a = clean(file);
        let got = (
            a.dateline.as_deref().unwrap_or("-"),
            a.published.as_deref().unwrap_or("-"),
            a.credits.first().map_or("-", |c| c.id.as_str()),
        );
        if got != (place, published, credit) {
            failures.push(format!(
                "{file}: got {got:?}, want {:?}",
                (place, published, credit)
            ));
        }
        // The date line is removed, the dateline paragraph is kept whole.
        assert!(
            a.removed.iter().any(|r| r.rule == "date_line"),
            "{file}: {:?}",
            a.removed
        );
        assert!(
            a.paragraphs.iter().take(2).any(|p| p.contains(place)),
            "{file}: {:?}",
            a.paragraphs
        );
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn a_leading_date_stamp_is_the_publish_date_when_nothing_better_is_there() {
    let a = clean("stamp_de.txt");
    assert_eq!(a.published.as_deref(), Some("2022-01-03"));
}
