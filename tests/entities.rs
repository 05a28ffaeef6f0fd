use wirefeed::engine::Engine;

#[test]
fn smoke() {
    let engine = Engine::builtin().unwrap_or_else(|e| {
        for x in &e {
            eprintln!("{x}");
        }
        panic!("{} errors", e.len())
    });
    for f in [
        "000_89c72a54e2bafaae",
        "001_3278567e7b789027",
        "002_901cde79856b230e",
        "003_d47a0e498ccdc5c2",
        "004_39218ff9d189c24a",
    ] {
        let bytes = std::fs::read(format!("{}/seeds/{f}.txt", env!("CARGO_MANIFEST_DIR"))).unwrap();
        for a in engine.clean(&bytes).unwrap() {
            let t = engine.tag(a);
            println!("== {f} {}", t.article.story_count);
            for e in &t.entities {
                println!(
                    "  ({:?}, {:?}, {}, {}),",
                    e.id,
                    format!("{:?}", e.kind),
                    e.headline_count,
                    e.body_count
                );
            }
        }
    }
}
