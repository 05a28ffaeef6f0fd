//! Encoding detection, decoding and format detection/extraction (plain text, HTML,
//! ninjs JSON, NITF, NewsML-G2) on arbitrary bytes: an error is fine, a panic is not.
#![no_main]

libfuzzer_sys::fuzz_target!(|bytes: &[u8]| {
    if let Ok(decoded) = wirefeed::engine::decode::decode(bytes) {
        let _ = wirefeed::engine::formats::extract(&decoded.text);
    }
});
