//! The clean stage (decode, extract, boilerplate, story split) on arbitrary bytes.
#![no_main]

use std::sync::OnceLock;

use wirefeed::engine::Engine;

fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| Engine::builtin().expect("built-in data loads"))
}

libfuzzer_sys::fuzz_target!(|bytes: &[u8]| {
    let _ = engine().clean(bytes);
});
