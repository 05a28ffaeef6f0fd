//! Text normalisation: the display form (what readers see) and the matching form
//! (what rules, gazetteers and topic terms are matched against).
//!
//! Display: Unicode NFC, zero-width and bidi controls removed, other control
//! characters turned into spaces, whitespace runs collapsed inside a paragraph.
//!
//! Matching (`fold`): the display form plus Arabic folding (no tatweel or harakat,
//! alef forms unified, ى→ي, ة→ه), Arabic-Indic and Persian digits to ASCII,
//! lower-cased Latin and Cyrillic (ё→е). Folding never changes the number of
//! words, so token positions line up between the two forms.

use unicode_normalization::{IsNormalized, UnicodeNormalization};

/// Characters that carry no text: zero-width marks, bidi embeddings/isolates, BOM,
/// soft hyphen, Arabic letter mark.
fn is_invisible(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{061C}' | '\u{180E}'
        | '\u{200B}'..='\u{200F}'
        | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{2064}'
        | '\u{2066}'..='\u{2069}'
        | '\u{FEFF}')
}

/// Display form of one paragraph (or line): NFC, invisibles removed, control
/// characters and whitespace runs collapsed to one space, trimmed.
pub fn display(s: &str) -> String {
    // Most text is already NFC, which the quick check sees without decomposing and
    // recomposing every character.
    if unicode_normalization::is_nfc_quick(s.chars()) == IsNormalized::Yes {
        collapse(s.chars(), s.len())
    } else {
        collapse(s.nfc(), s.len())
    }
}

/// Invisibles removed, control characters and whitespace runs collapsed to one
/// space, trimmed.
fn collapse(chars: impl Iterator<Item = char>, len: usize) -> String {
    let mut out = String::with_capacity(len);
    let mut pending_space = false;
    for c in chars {
        if is_invisible(c) {
            continue;
        }
        if c.is_whitespace() || c.is_control() {
            pending_space = !out.is_empty();
            continue;
        }
        if pending_space {
            out.push(' ');
            pending_space = false;
        }
        out.push(c);
    }
    out
}

/// Split text into display-form lines: line breaks are kept (as `\n`), everything
/// else normalised with [`display`]. Empty lines are kept as empty strings so callers
/// can see paragraph breaks.
pub fn display_lines(s: &str) -> Vec<String> {
    s.split(['\n', '\r', '\u{2028}', '\u{2029}', '\u{0085}'])
        .map(display)
        .collect::<Vec<_>>()
}

/// Characters of blocks without letter case, where lower-casing is the identity
/// without a Unicode table lookup: Hebrew to Arabic Extended-A (U+0590–U+08FF, where
/// most non-Latin text here is) and the CJK ideographs.
pub fn caseless(c: char) -> bool {
    matches!(c, '\u{0590}'..='\u{08FF}' | '\u{4E00}'..='\u{9FFF}')
}

/// Fold one character for matching; `None` drops it.
#[inline]
pub fn fold_char(c: char) -> Option<char> {
    Some(match c {
        // Arabic harakat, Quranic marks, superscript alef, tatweel
        '\u{0610}'..='\u{061A}' | '\u{064B}'..='\u{065F}' | '\u{0670}' | '\u{0640}' => return None,
        '\u{06D6}'..='\u{06ED}' => return None,
        'أ' | 'إ' | 'آ' | 'ٱ' | 'ٲ' | 'ٳ' => 'ا',
        'ى' | 'ی' => 'ي',
        'ة' => 'ه',
        'ک' => 'ك',
        '\u{0660}'..='\u{0669}' => char::from(b'0' + (c as u32 - 0x0660) as u8),
        '\u{06F0}'..='\u{06F9}' => char::from(b'0' + (c as u32 - 0x06F0) as u8),
        'ё' | 'Ё' => 'е',
        c if c.is_ascii() => c.to_ascii_lowercase(),
        // Hebrew, Arabic, Syriac, Thaana, N'Ko…, CJK: no letter case, skip the table lookup
        c if caseless(c) => c,
        // Latin-1 and basic Cyrillic capitals sit at a fixed distance from their small
        // letters (what `to_lowercase` gives; checked for every char in the tests).
        '\u{00C0}'..='\u{00D6}' | '\u{00D8}'..='\u{00DE}' | '\u{0410}'..='\u{042F}' => {
            char::from_u32(c as u32 + 0x20).unwrap_or(c)
        }
        '\u{0400}'..='\u{040F}' => char::from_u32(c as u32 + 0x50).unwrap_or(c),
        '\u{00D7}'..='\u{00FF}' | '\u{0430}'..='\u{045F}' => c,
        c => {
            let mut l = c.to_lowercase();
            match (l.next(), l.next()) {
                (Some(one), None) => one,
                _ => c,
            }
        }
    })
}

/// Matching form of a display string (see the module docs).
pub fn fold(s: &str) -> String {
    // ASCII folds to its lower case, char for char.
    if s.is_ascii() {
        return s.to_ascii_lowercase();
    }
    // Runs of characters that fold to themselves are copied as slices.
    let mut out = String::with_capacity(s.len());
    let mut run = 0;
    for (i, c) in s.char_indices() {
        match fold_char(c) {
            Some(f) if f == c => continue,
            other => {
                out.push_str(&s[run..i]);
                out.extend(other);
                run = i + c.len_utf8();
            }
        }
    }
    out.push_str(&s[run..]);
    out
}

/// Matching form plus, for each char of the result, the char index it came from in
/// `s`. Lets matchers that run on the folded form report spans in the display form.
pub fn fold_with_map(s: &str) -> (String, Vec<usize>) {
    let mut out = String::with_capacity(s.len());
    let mut map = Vec::with_capacity(s.len());
    let mut run = 0;
    for (n, (i, c)) in s.char_indices().enumerate() {
        match fold_char(c) {
            Some(f) if f == c => map.push(n),
            other => {
                out.push_str(&s[run..i]);
                if let Some(f) = other {
                    out.push(f);
                    map.push(n);
                }
                run = i + c.len_utf8();
            }
        }
    }
    out.push_str(&s[run..]);
    (out, map)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_strips_invisibles_and_collapses_space() {
        assert_eq!(display("  a\u{200B}b \u{202B}c\t\u{00A0} d  "), "ab c d");
        assert_eq!(display("\u{FEFF}x\u{1}y"), "x y");
    }

    #[test]
    fn display_skips_nfc_only_when_the_text_is_already_nfc() {
        for t in [
            "plain",
            "توكاييف",
            "e\u{0301}",
            "A\u{030A}ngstr\u{00F6}m",
            "한국어",
            "ё",
        ] {
            let reference: String = t.nfc().collect();
            assert_eq!(display(t), display_nfc(&reference), "{t:?}");
        }
    }

    fn display_nfc(s: &str) -> String {
        collapse(s.nfc(), s.len())
    }

    #[test]
    fn display_is_nfc() {
        // e + combining acute → é
        assert_eq!(display("e\u{0301}"), "\u{00E9}");
    }

    #[test]
    fn fold_arabic() {
        assert_eq!(fold("أَحْمَد"), "احمد");
        assert_eq!(fold("إلى مـــدينة"), "الي مدينه");
        assert_eq!(fold("٢٠٢٢ و۱۲"), "2022 و12");
    }

    #[test]
    fn fold_latin_cyrillic() {
        assert_eq!(fold("Tokayev ТОКАЕВ Ёлка"), "tokayev токаев елка");
    }

    /// `fold_char` as it was before its Latin-1/Cyrillic shortcuts.
    fn fold_char_reference(c: char) -> Option<char> {
        if ('\u{00C0}'..='\u{045F}').contains(&c) && !matches!(c, 'ё' | 'Ё') {
            let mut l = c.to_lowercase();
            return Some(match (l.next(), l.next()) {
                (Some(one), None) => one,
                _ => c,
            });
        }
        fold_char(c)
    }

    #[test]
    fn fold_char_shortcuts_agree_with_to_lowercase() {
        for c in (0..=0x10FFFFu32).filter_map(char::from_u32) {
            assert_eq!(fold_char(c), fold_char_reference(c), "{c:?}");
        }
        let mixed = "Tokayev ТОКАЕВ Ёлка ÀÉÎÕÜ×ß أَحْمَد";
        assert_eq!(
            fold(mixed),
            mixed.chars().filter_map(fold_char).collect::<String>()
        );
        assert_eq!(fold("Plain ASCII, 2024!"), "plain ascii, 2024!");
    }

    #[test]
    fn fold_copies_runs_like_char_by_char_folding() {
        for t in [
            "Tokayev ТОКАЕВ Ёлка ÀÉÎÕÜ×ß أَحْمَد",
            "إلى مـــدينة ٢٠٢٢",
            "plain",
            "",
            "ё",
            "x\u{0640}",
        ] {
            let reference: String = t.chars().filter_map(fold_char).collect();
            assert_eq!(fold(t), reference, "{t:?}");
            let (f, map) = fold_with_map(t);
            assert_eq!(f, reference, "{t:?}");
            let chars: Vec<char> = t.chars().collect();
            assert_eq!(f.chars().count(), map.len());
            for (fc, &i) in f.chars().zip(&map) {
                assert_eq!(fold_char(chars[i]), Some(fc));
            }
        }
    }

    #[test]
    fn fold_map_points_back() {
        let (f, map) = fold_with_map("بِوتين");
        assert_eq!(f, "بوتين");
        assert_eq!(map, vec![0, 2, 3, 4, 5]);
    }
}
