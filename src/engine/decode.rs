//! Bytes → text: BOM sniffing, UTF-8, UTF-16, legacy encodings via `encoding_rs`.

use crate::error::EngineError;

/// Decoded text and the encoding it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decoded {
    pub text: String,
    /// `encoding_rs` name (`UTF-8`, `UTF-16LE`, `windows-1256`, `KOI8-R`…).
    pub encoding: &'static str,
}

/// Decode bytes to text. STUB: UTF-8 only (being replaced).
pub fn decode(bytes: &[u8]) -> Result<Decoded, EngineError> {
    let (text, _, _) = encoding_rs::UTF_8.decode(bytes);
    Ok(Decoded {
        text: text.into_owned(),
        encoding: "UTF-8",
    })
}
