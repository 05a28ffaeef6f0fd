//! `wirefeed topics --check` and user topic folders, through the built binary: the
//! shipped topics pass, a broken topic file is reported with file and line, and a
//! user's extra topic is used by `process`.

use std::path::Path;
use std::process::{Command, Output};

fn wirefeed(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_wirefeed"))
        .args(args)
        .env_remove("WIREFEED_DATA")
        .output()
        .expect("wirefeed runs")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn shipped_topics_pass_the_check() {
    let out = wirefeed(&["topics", "--check"]);
    assert!(out.status.success(), "stderr: {}", stderr(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.starts_with("ok: 2 topic(s)"), "stdout: {stdout}");
}

/// Write `name` into a fresh topic folder and run `topics --check --topics DIR`.
fn check_one(name: &str, text: &str) -> (Output, String) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(name), text).unwrap();
    let out = wirefeed(&[
        "topics",
        "--check",
        "--topics",
        dir.path().to_str().unwrap(),
    ]);
    let path = dir.path().join(name).display().to_string();
    (out, path)
}

const GOOD_HEAD: &str = "id = \"broken\"\nlabel = \"Broken\"\nthreshold = 2.0\n";

#[test]
fn unknown_key_is_reported_with_its_line() {
    let text = format!(
        "{GOOD_HEAD}treshold_typo = 3\n\n[groups.a]\nweight = 1.0\nterms.en = [\"quake\"]\n"
    );
    let (out, path) = check_one("broken.toml", &text);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.contains(&format!("{path}:4:")), "stderr: {err}");
    assert!(err.contains("treshold_typo"), "stderr: {err}");
}

#[test]
fn unknown_group_reference_is_reported_with_its_line() {
    let text = format!(
        "{GOOD_HEAD}\n[[require]]\ngroups = [\"nope\"]\n\n[groups.a]\nweight = 1.0\nterms.en = [\"quake\"]\n"
    );
    let (out, path) = check_one("broken.toml", &text);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.contains(&format!("{path}:6:")), "stderr: {err}");
    assert!(err.contains("unknown group \"nope\""), "stderr: {err}");
}

#[test]
fn invalid_term_is_reported_with_its_line() {
    // A stem shorter than three letters would match almost any word.
    let text =
        format!("{GOOD_HEAD}\n[groups.a]\nweight = 1.0\nterms.en = [\"quake\",\n  \"ab*\"]\n");
    let (out, path) = check_one("broken.toml", &text);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.contains(&format!("{path}:8:")), "stderr: {err}");
    assert!(err.contains("shorter than 3 letters"), "stderr: {err}");
}

#[test]
fn user_topic_is_picked_up_by_process() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("earthquake.toml"),
        r#"id = "earthquake"
label = "Earthquake"
threshold = 4.0

[[require]]
groups = ["quake"]
min_hits = 2

[groups.quake]
weight = 1.0
terms.en = ["earthquake*", "quake*", "aftershock*", "richter", "magnitude"]
terms.ar = ["زلزال", "الزلزال", "هزة أرضية"]
"#,
    )
    .unwrap();
    let topics = dir.path().to_str().unwrap();
    let check = wirefeed(&["topics", "--check", "--topics", topics]);
    assert!(check.status.success(), "stderr: {}", stderr(&check));
    assert!(String::from_utf8_lossy(&check.stdout).starts_with("ok: 3 topic(s)"));

    let article = dir.path().join("quake.txt");
    std::fs::write(
        &article,
        "Strong earthquake shakes the coast\n\nA magnitude 6.1 earthquake struck off the \
         coast on Monday. Several aftershocks followed the quake.\n",
    )
    .unwrap();
    let out = wirefeed(&[
        "process",
        "--explain",
        "--topics",
        topics,
        article.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "stderr: {}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("topic ✓ earthquake"), "stdout: {text}");
    assert!(text.contains("topic ✗ ukraine_war"), "stdout: {text}");
    assert!(Path::new(&article).exists());
}

/// Adding a language is adding data files: a language model, names in the gazetteer,
/// terms in a topic and a figure lexicon, all from a temporary data folder, with no
/// code change.
#[test]
fn a_language_is_added_from_a_data_folder() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    for sub in ["languages", "gazetteer", "topics", "figures"] {
        std::fs::create_dir(root.join(sub)).unwrap();
    }
    std::fs::write(
        root.join("languages/nl.toml"),
        "code = \"nl\"\nname = \"Dutch\"\nscript = \"Latin\"\n\n[identify]\nwords = [\"de\", \"het\", \"een\", \"van\", \"en\", \"niet\", \"zijn\", \"werd\", \"bij\"]\n",
    )
    .unwrap();
    std::fs::write(
        root.join("gazetteer/nl.toml"),
        "[[entity]]\nid = \"friesland_test\"\nkind = \"place\"\nname = \"Friesland\"\nnames.nl = [\"Friesland\"]\n",
    )
    .unwrap();
    std::fs::write(
        root.join("topics/dijken.toml"),
        "id = \"dike_breach\"\nlabel = \"Dike breach\"\nthreshold = 4.0\n\n[groups.place]\nweight = 1.0\nentities = [\"friesland_test\"]\n\n[groups.event]\nweight = 1.5\nterms.nl = [\"dijkdoorbraak\", \"overstroming*\"]\n",
    )
    .unwrap();
    std::fs::write(
        root.join("figures/nl.toml"),
        "language = \"nl\"\n\n[triggers]\ndisplaced = [\"geëvacueerd\"]\n\n[qualifiers]\nmin = [\"meer dan\"]\n",
    )
    .unwrap();
    let article = root.join("article.txt");
    std::fs::write(
        &article,
        "Dijkdoorbraak in Friesland\n\nBij de dijkdoorbraak in Friesland zijn meer dan 300 bewoners geëvacueerd. \
         De overstromingen werden niet verwacht, zei de burgemeester van een van de dorpen.\n",
    )
    .unwrap();
    let out = wirefeed(&[
        "process",
        "--explain",
        "--data",
        root.to_str().unwrap(),
        article.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "stderr: {}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("topic ✓ dike_breach"), "{text}");
    assert!(text.contains("@friesland_test"), "{text}");
    assert!(text.contains("language nl"), "{text}");
    assert!(text.contains("Displaced = meer dan 300"), "{text}");
}
