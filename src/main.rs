fn main() {
    let engine = wirefeed::engine::Engine::builtin().expect("builtin data");
    for path in std::env::args().skip(1) {
        let bytes = std::fs::read(&path).unwrap();
        println!("{:?}", engine.process(&bytes).map(|v| v.len()));
    }
}
