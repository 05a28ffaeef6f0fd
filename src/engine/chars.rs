//! Character classes without the Unicode table search per character.
//!
//! `char::is_alphabetic` answers ASCII at once but binary-searches Unicode tables for
//! every other character, which made it the engine's largest cost on Arabic, Cyrillic
//! and CJK text (`char::is_numeric` likewise). [`CharClass`] answers the Basic
//! Multilingual Plane from three bitmaps (8 KiB each) computed once from the standard
//! library's own answer, so the result is the same as `char::is_alphabetic` /
//! `char::is_alphanumeric` / `char::is_numeric` for every character
//! (checked exhaustively by the test below); characters outside the BMP go to the
//! standard library.

use std::sync::LazyLock;

const WORDS: usize = 0x10000 / 64;

struct Tables {
    alphabetic: [u64; WORDS],
    alphanumeric: [u64; WORDS],
    numeric: [u64; WORDS],
}

static TABLES: LazyLock<Box<Tables>> = LazyLock::new(|| {
    let mut t = Box::new(Tables {
        alphabetic: [0; WORDS],
        alphanumeric: [0; WORDS],
        numeric: [0; WORDS],
    });
    for u in 0..0x10000u32 {
        let Some(c) = char::from_u32(u) else {
            continue;
        };
        let (w, bit) = ((u >> 6) as usize, 1u64 << (u & 63));
        if c.is_alphabetic() {
            t.alphabetic[w] |= bit;
        }
        if c.is_alphanumeric() {
            t.alphanumeric[w] |= bit;
        }
        if c.is_numeric() {
            t.numeric[w] |= bit;
        }
    }
    t
});

#[inline]
fn bit(table: &[u64; WORDS], u: u32) -> bool {
    table[(u >> 6) as usize] & (1u64 << (u & 63)) != 0
}

/// Fast `is_alphabetic` / `is_alphanumeric` with exactly the standard library's answers.
// `char` is `Copy` and its own `is_*` methods take `self` by value, as these do, so
// they work as `.any(CharClass::is_alpha)` where `char::is_alphabetic` did.
#[allow(clippy::wrong_self_convention)]
pub trait CharClass {
    /// Same as [`char::is_alphabetic`].
    fn is_alpha(self) -> bool;
    /// Same as [`char::is_alphanumeric`].
    fn is_alnum(self) -> bool;
    /// Same as [`char::is_numeric`].
    fn is_num(self) -> bool;
}

impl CharClass for char {
    #[inline]
    fn is_alpha(self) -> bool {
        let u = self as u32;
        if u < 0x80 {
            self.is_ascii_alphabetic()
        } else if u < 0x10000 {
            bit(&TABLES.alphabetic, u)
        } else {
            self.is_alphabetic()
        }
    }

    #[inline]
    fn is_alnum(self) -> bool {
        let u = self as u32;
        if u < 0x80 {
            self.is_ascii_alphanumeric()
        } else if u < 0x10000 {
            bit(&TABLES.alphanumeric, u)
        } else {
            self.is_alphanumeric()
        }
    }

    #[inline]
    fn is_num(self) -> bool {
        let u = self as u32;
        if u < 0x80 {
            self.is_ascii_digit()
        } else if u < 0x10000 {
            bit(&TABLES.numeric, u)
        } else {
            self.is_numeric()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::CharClass;

    #[test]
    fn same_answers_as_the_standard_library_for_every_char() {
        for c in (0..=0x10FFFFu32).filter_map(char::from_u32) {
            assert_eq!(c.is_alpha(), c.is_alphabetic(), "{c:?}");
            assert_eq!(c.is_alnum(), c.is_alphanumeric(), "{c:?}");
            assert_eq!(c.is_num(), c.is_numeric(), "{c:?}");
        }
    }
}
