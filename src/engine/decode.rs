//! Bytes → text: BOM sniffing, UTF-8, UTF-16, legacy encodings via `encoding_rs`.
//!
//! Order of evidence, strongest first: a byte-order mark, valid UTF-8, the charset
//! the document declares (`<?xml encoding>`, `<meta charset>`), then statistical
//! detection with `chardetng`. Binary data is refused before any decoding.

use std::sync::LazyLock;

use encoding_rs::{Encoding, KOI8_R, KOI8_U, UTF_16BE, UTF_16LE, UTF_8};
use regex::bytes::Regex;

use crate::error::EngineError;

/// Decoded text and the encoding it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decoded {
    pub text: String,
    /// `encoding_rs` name (`UTF-8`, `UTF-16LE`, `windows-1256`, `KOI8-R`…).
    pub encoding: &'static str,
}

/// How far into the input a charset declaration is looked for (declarations
/// must come first in XML and within the first 1024 bytes in HTML).
const DECLARATION_WINDOW: usize = 2048;

/// Decode bytes to text.
pub fn decode(bytes: &[u8]) -> Result<Decoded, EngineError> {
    if bytes.is_empty() {
        return Err(EngineError::Empty);
    }
    if let Some(kind) = binary_signature(bytes) {
        return Err(EngineError::Binary(format!("{kind} file signature")));
    }
    let (encoding, body) = match Encoding::for_bom(bytes) {
        Some((enc, bom_len)) => (enc, &bytes[bom_len..]),
        None => (sniff(bytes)?, bytes),
    };
    let (text, _had_errors) = encoding.decode_without_bom_handling(body);
    let text = text.into_owned();
    check_text(&text)?;
    Ok(Decoded {
        text,
        encoding: encoding.name(),
    })
}

/// Pick the encoding of input without a byte-order mark.
fn sniff(bytes: &[u8]) -> Result<&'static Encoding, EngineError> {
    if let Some(enc) = utf16_without_bom(bytes) {
        return Ok(enc);
    }
    // NUL never occurs in text in any ASCII-compatible encoding.
    if let Some(pos) = bytes.iter().position(|&b| b == 0) {
        return Err(EngineError::Binary(format!("NUL byte at offset {pos}")));
    }
    if std::str::from_utf8(bytes).is_ok() {
        return Ok(UTF_8);
    }
    if let Some(enc) = declared(bytes) {
        return Ok(enc);
    }
    let mut detector = chardetng::EncodingDetector::new();
    detector.feed(bytes, true);
    let guess = detector.guess(None, false);
    // chardetng reports KOI8 as KOI8-U; the two differ only in eight letter
    // positions that Russian never uses, so name it KOI8-R when none occur.
    if guess == KOI8_U && !bytes.iter().any(|b| KOI8_U_ONLY.contains(b)) {
        return Ok(KOI8_R);
    }
    Ok(guess)
}

/// KOI8-U bytes holding Ukrainian letters where KOI8-R has box drawing.
const KOI8_U_ONLY: [u8; 8] = [0xA4, 0xA6, 0xA7, 0xAD, 0xB4, 0xB6, 0xB7, 0xBD];

static XML_ENCODING: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"(?i-u)\A(?:\xEF\xBB\xBF)?\s*<\?xml[^>]*?\sencoding\s*=\s*["']([A-Za-z0-9._:-]+)["']"#,
    )
    .expect("valid regex")
});
static META_CHARSET: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?i-u)<meta[^>]*?charset\s*=\s*["']?([A-Za-z0-9._:-]+)"#).expect("valid regex")
});

/// The charset the document declares, if it names an ASCII-compatible encoding
/// (a UTF-16 declaration without a BOM or NULs is a lie; UTF-8 was already tried).
fn declared(bytes: &[u8]) -> Option<&'static Encoding> {
    let head = &bytes[..bytes.len().min(DECLARATION_WINDOW)];
    let label = XML_ENCODING
        .captures(head)
        .or_else(|| META_CHARSET.captures(head))?
        .get(1)?
        .as_bytes();
    Encoding::for_label(label).filter(|e| e.is_ascii_compatible() && *e != UTF_8)
}

/// UTF-16 without a BOM: mostly-ASCII text where every other byte is zero.
fn utf16_without_bom(bytes: &[u8]) -> Option<&'static Encoding> {
    let sample = &bytes[..bytes.len().min(4096) & !1];
    let pairs = sample.len() / 2;
    if pairs < 2 {
        return None;
    }
    let even_zero = sample.iter().step_by(2).filter(|&&b| b == 0).count();
    let odd_zero = sample
        .iter()
        .skip(1)
        .step_by(2)
        .filter(|&&b| b == 0)
        .count();
    if odd_zero * 10 >= pairs * 7 && even_zero * 20 <= pairs {
        Some(UTF_16LE)
    } else if even_zero * 10 >= pairs * 7 && odd_zero * 20 <= pairs {
        Some(UTF_16BE)
    } else {
        None
    }
}

/// Known binary formats by their leading bytes.
fn binary_signature(bytes: &[u8]) -> Option<&'static str> {
    const SIGNATURES: &[(&[u8], &str)] = &[
        (b"\x89PNG\r\n\x1a\n", "PNG"),
        (b"\xFF\xD8\xFF", "JPEG"),
        (b"GIF87a", "GIF"),
        (b"GIF89a", "GIF"),
        (b"%PDF-", "PDF"),
        (b"PK\x03\x04", "ZIP"),
        (b"PK\x05\x06", "ZIP"),
        (b"\x1F\x8B", "gzip"),
        (b"7z\xBC\xAF\x27\x1C", "7-Zip"),
        (b"\xFD7zXZ\x00", "xz"),
        (b"\x28\xB5\x2F\xFD", "zstd"),
        (b"\x7FELF", "ELF"),
        (b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1", "OLE2 (MS Office)"),
    ];
    if bytes.len() >= 12 && bytes.starts_with(b"RIFF") && &bytes[8..12] == b"WEBP" {
        return Some("WebP");
    }
    SIGNATURES
        .iter()
        .find(|(magic, _)| bytes.starts_with(magic))
        .map(|&(_, kind)| kind)
}

/// Refuse decoded text that is mostly control characters (binary that slipped
/// through) or that holds nothing but whitespace.
fn check_text(text: &str) -> Result<(), EngineError> {
    let mut total = 0usize;
    let mut controls = 0usize;
    let mut visible = false;
    for c in text.chars() {
        total += 1;
        if c.is_control() && !matches!(c, '\t' | '\n' | '\r') {
            controls += 1;
        } else if !c.is_whitespace() && c != '\u{FEFF}' {
            visible = true;
        }
    }
    // Wire framing uses a handful of control characters per message; binary data
    // has them everywhere.
    if controls >= 4 && controls * 10 > total {
        return Err(EngineError::Binary(format!(
            "{controls} of {total} characters are control characters"
        )));
    }
    if !visible {
        return Err(if controls > 0 {
            EngineError::Binary("only control characters".to_string())
        } else {
            EngineError::Empty
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use encoding_rs::{ISO_8859_2, WINDOWS_1251, WINDOWS_1256};

    const ARABIC: &str = "أعلنت البلدية اليوم افتتاح حديقة جديدة في وسط المدينة، وقال المسؤولون إن الأشجار ستزرع في الربيع المقبل.";
    const RUSSIAN: &str = "Городской совет сегодня утвердил план нового парка в центре города. По словам чиновников, деревья посадят весной, а дорожки откроют летом.";

    fn encode(enc: &'static Encoding, s: &str) -> Vec<u8> {
        let (bytes, _, unmappable) = enc.encode(s);
        assert!(!unmappable);
        bytes.into_owned()
    }

    #[test]
    fn utf8_with_and_without_bom() {
        let d = decode("héllo".as_bytes()).unwrap();
        assert_eq!((d.text.as_str(), d.encoding), ("héllo", "UTF-8"));
        let d = decode(b"\xEF\xBB\xBFhi there").unwrap();
        assert_eq!((d.text.as_str(), d.encoding), ("hi there", "UTF-8"));
    }

    #[test]
    fn utf16_with_bom() {
        let mut le = vec![0xFF, 0xFE];
        let mut be = vec![0xFE, 0xFF];
        for u in "Привет, мир".encode_utf16() {
            le.extend(u.to_le_bytes());
            be.extend(u.to_be_bytes());
        }
        let d = decode(&le).unwrap();
        assert_eq!((d.text.as_str(), d.encoding), ("Привет, мир", "UTF-16LE"));
        let d = decode(&be).unwrap();
        assert_eq!((d.text.as_str(), d.encoding), ("Привет, мир", "UTF-16BE"));
    }

    #[test]
    fn utf16_without_bom_is_not_binary() {
        let le: Vec<u8> = "Plain words here"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        let d = decode(&le).unwrap();
        assert_eq!(
            (d.text.as_str(), d.encoding),
            ("Plain words here", "UTF-16LE")
        );
    }

    #[test]
    fn windows_1256_arabic() {
        let d = decode(&encode(WINDOWS_1256, ARABIC)).unwrap();
        assert_eq!(d.encoding, "windows-1256");
        assert_eq!(d.text, ARABIC);
    }

    #[test]
    fn windows_1251_and_koi8_r_russian() {
        let d = decode(&encode(WINDOWS_1251, RUSSIAN)).unwrap();
        assert_eq!((d.text.as_str(), d.encoding), (RUSSIAN, "windows-1251"));
        let d = decode(&encode(KOI8_R, RUSSIAN)).unwrap();
        assert_eq!((d.text.as_str(), d.encoding), (RUSSIAN, "KOI8-R"));
    }

    #[test]
    fn xml_declaration_wins_over_detection() {
        let xml = format!(
            "<?xml version=\"1.0\" encoding=\"windows-1251\"?>\n<nitf><body><p>{RUSSIAN}</p></body></nitf>"
        );
        let d = decode(&encode(WINDOWS_1251, &xml)).unwrap();
        assert_eq!(d.encoding, "windows-1251");
        assert_eq!(d.text, xml);
    }

    #[test]
    fn meta_charset_is_used() {
        let html = "<html><head><meta charset=\"iso-8859-2\"></head><body><p>Zażółć gęślą jaźń</p></body></html>";
        let d = decode(&encode(ISO_8859_2, html)).unwrap();
        assert_eq!(d.encoding, "ISO-8859-2");
        assert_eq!(d.text, html);
        let html = format!(
            "<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=koi8-r\"></head><body>{RUSSIAN}</body></html>"
        );
        let d = decode(&encode(KOI8_R, &html)).unwrap();
        assert_eq!((d.text.as_str(), d.encoding), (html.as_str(), "KOI8-R"));
    }

    #[test]
    fn binary_is_refused() {
        let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
        assert!(matches!(decode(png), Err(EngineError::Binary(r)) if r.contains("PNG")));
        assert!(matches!(
            decode(b"%PDF-1.7\n..."),
            Err(EngineError::Binary(_))
        ));
        assert!(matches!(
            decode(b"PK\x03\x04rest"),
            Err(EngineError::Binary(_))
        ));
        assert!(
            matches!(decode(b"some text\0with a NUL"), Err(EngineError::Binary(r)) if r.contains("offset 9"))
        );
        let noise: Vec<u8> = (0u8..32).cycle().take(200).filter(|&b| b != 0).collect();
        assert!(matches!(decode(&noise), Err(EngineError::Binary(_))));
    }

    #[test]
    fn wire_framing_is_not_binary() {
        let wire = b"\x16\x16\x01abc 123\r\n\x02Headline =\r\n\r\n   A body line of ordinary text follows here.\r\n\x03\x04";
        assert!(decode(wire).is_ok());
    }

    #[test]
    fn empty_and_whitespace() {
        assert_eq!(decode(b""), Err(EngineError::Empty));
        assert_eq!(decode(b" \r\n\t "), Err(EngineError::Empty));
        assert_eq!(decode(b"\xEF\xBB\xBF  "), Err(EngineError::Empty));
    }
}
