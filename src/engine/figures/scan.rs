//! Sentence segmentation and tokenisation for figure extraction: sentences of the
//! display text, then tokens (words, numbers, clause breaks, symbols) of each
//! sentence's folded form.

use crate::engine::chars::CharClass;
use std::collections::HashSet;

/// Sentence length after which a break is forced at the next space (and at any
/// char past twice this): a bound on each figure's copy of its sentence.
pub(super) const MAX_SENTENCE_CHARS: usize = 1000;

/// Sentence-ending characters.
fn is_terminator(c: char) -> bool {
    matches!(
        c,
        '.' | '!' | '?' | '؟' | '…' | '۔' | '\n' | '。' | '！' | '？'
    )
}

/// A Chinese character (CJK unified ideographs and their extensions in the BMP).
pub(super) fn is_han(c: char) -> bool {
    matches!(c, '\u{3400}'..='\u{4DBF}' | '\u{4E00}'..='\u{9FFF}' | '\u{F900}'..='\u{FAFF}')
}

/// Closing marks that belong to the sentence they follow ("… killed.»").
fn is_closer(c: char) -> bool {
    matches!(
        c,
        '"' | '\'' | '»' | '”' | '’' | ')' | ']' | '›' | '）' | '」' | '』'
    )
}

fn is_digit(c: char) -> bool {
    c.is_ascii_digit()
        || ('\u{0660}'..='\u{0669}').contains(&c)
        || ('\u{06F0}'..='\u{06F9}').contains(&c)
}

/// Split `chars` into sentences: `[start, end)` char ranges, trimmed, non-empty.
///
/// A '.' does not end a sentence inside a number ("2.5"), after a single letter
/// ("U.S.", "أ.ف.ب", "т.е."), after a known abbreviation ("тыс.", "Mr."), or when
/// the next word starts in lower case (an abbreviation we don't know).
pub(super) fn sentences(chars: &[char], abbreviations: &HashSet<String>) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = 0;
    let n = chars.len();
    let mut i = 0;
    while i < n {
        let c = chars[i];
        // Text without punctuation (tables, lists, junk) would make one huge
        // "sentence" copied into every figure it holds: break it at a space.
        // (or anywhere, past twice the limit: one endless "word")
        let len = i - start;
        if (len >= MAX_SENTENCE_CHARS && c.is_whitespace()) || len >= 2 * MAX_SENTENCE_CHARS {
            push_trimmed(chars, start, i, &mut out);
            start = i;
            i += 1;
            continue;
        }
        if !is_terminator(c) || (c == '.' && !period_ends(chars, i, abbreviations)) {
            i += 1;
            continue;
        }
        let mut end = i + 1;
        if c != '\n' {
            while end < n
                && (is_terminator(chars[end]) && chars[end] != '\n' || is_closer(chars[end]))
            {
                end += 1;
            }
        }
        push_trimmed(chars, start, end, &mut out);
        start = end;
        i = end;
    }
    push_trimmed(chars, start, n, &mut out);
    out
}

fn push_trimmed(chars: &[char], mut s: usize, mut e: usize, out: &mut Vec<(usize, usize)>) {
    while s < e && chars[s].is_whitespace() {
        s += 1;
    }
    while e > s && chars[e - 1].is_whitespace() {
        e -= 1;
    }
    if s < e {
        out.push((s, e));
    }
}

/// After a single-letter word's period: end of text, a space or another letter
/// ("U.S", "U. S."). A digit or other mark after it does not make it an initial.
fn initial_follows(next: Option<char>) -> bool {
    next.is_none_or(|c| c.is_alpha() || c == ' ' || c == ',' || c == '\u{a0}')
}

fn period_ends(chars: &[char], i: usize, abbreviations: &HashSet<String>) -> bool {
    let prev = i.checked_sub(1).map(|j| chars[j]);
    let next = chars.get(i + 1).copied();
    // decimal point or digit grouping: "2.5", "1.500"
    if prev.is_some_and(is_digit) && next.is_some_and(is_digit) {
        return false;
    }
    // the word before the period
    let mut ws = i;
    while ws > 0 && chars[ws - 1].is_alpha() {
        ws -= 1;
    }
    let word: String = chars[ws..i].iter().collect();
    let wlen = i - ws;
    if wlen == 1 && initial_follows(next) {
        // single letter: an initial or a dotted acronym ("U.S.", "أ.ف.ب")
        return false;
    }
    if wlen > 0 && abbreviations.contains(&crate::engine::normalize::fold(&word)) {
        return false;
    }
    // next word in lower case: the sentence goes on ("approx. twenty")
    let mut j = i + 1;
    while j < chars.len() && chars[j] == ' ' {
        j += 1;
    }
    // (only after a word in a cased script: Arabic has no lower case to go by)
    let cased = chars[ws..i]
        .iter()
        .any(|c| c.is_lowercase() || c.is_uppercase());
    if cased && j > i + 1 && chars.get(j).is_some_and(|c| c.is_lowercase()) {
        return false;
    }
    true
}

/// One token of a folded sentence; `start..end` are char indices in the folded form.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Token {
    pub kind: Kind,
    pub start: usize,
    pub end: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Kind {
    Word(String),
    Number(Num),
    /// Clause boundary: "," "،" ";" ":" " - " "—".
    Clause,
    /// A symbol that changes what an adjacent number means: % $ € £ ₽ + / : - # №.
    Symbol(char),
}

/// A number written in digits.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Num {
    /// Integer part; `None` when it does not fit (not a head count then).
    pub int: Option<u64>,
    /// Fractional part ("1.5 million"), 0.0 if none.
    pub frac: f64,
    pub has_frac: bool,
    /// Plain run of digits, no separators ("2022" but not "2,022").
    pub plain: bool,
    pub digits: usize,
    /// Written with a leading zero ("0199"): an id or phone fragment, not a count.
    pub leading_zero: bool,
}

fn is_group_sep(c: char) -> bool {
    matches!(
        c,
        ',' | '.' | '٬' | ' ' | '\u{a0}' | '\u{202f}' | '\'' | '’'
    )
}

fn is_decimal_sep(c: char) -> bool {
    matches!(c, '.' | ',' | '٫')
}

/// Read a number at `i` (a digit). Returns the token and the index after it.
fn scan_number(c: &[char], i: usize) -> (Num, usize) {
    let n = c.len();
    let mut j = i;
    let mut int_digits = String::new();
    while j < n && c[j].is_ascii_digit() {
        int_digits.push(c[j]);
        j += 1;
    }
    let first_group = int_digits.len();
    let mut plain = true;
    // Thousands groups: a separator then exactly three digits, only after a first
    // group of 1-3 digits ("2,000", "2 000", "2٬000"; not "2022 300").
    if first_group <= 3 {
        let mut sep_used: Option<char> = None;
        // one number uses one grouping separator throughout
        while j < n
            && is_group_sep(c[j])
            && sep_used.is_none_or(|s| s == c[j])
            && c.get(j + 1..j + 4)
                .is_some_and(|g| g.iter().all(|d| d.is_ascii_digit()))
            && !c.get(j + 4).is_some_and(|d| d.is_ascii_digit())
        {
            sep_used = Some(c[j]);
            int_digits.extend(&c[j + 1..j + 4]);
            j += 4;
            plain = false;
        }
    }
    let mut frac = 0.0;
    let mut has_frac = false;
    if j + 1 < n && is_decimal_sep(c[j]) && c[j + 1].is_ascii_digit() {
        let mut k = j + 1;
        let mut f = String::from("0.");
        while k < n && c[k].is_ascii_digit() {
            f.push(c[k]);
            k += 1;
        }
        frac = f.parse().unwrap_or(0.0);
        has_frac = true;
        plain = false;
        j = k;
    }
    let digits = int_digits.len();
    let leading_zero = int_digits.len() > 1 && int_digits.starts_with('0');
    (
        Num {
            int: int_digits.parse().ok(),
            frac,
            has_frac,
            plain,
            digits,
            leading_zero,
        },
        j,
    )
}

/// Tokenise a folded sentence (digits are ASCII after folding).
pub(super) fn tokenize(c: &[char]) -> Vec<Token> {
    let mut out = Vec::new();
    let n = c.len();
    let mut i = 0;
    while i < n {
        let ch = c[i];
        if ch.is_ascii_digit() {
            let (num, j) = scan_number(c, i);
            out.push(Token {
                kind: Kind::Number(num),
                start: i,
                end: j,
            });
            i = j;
        } else if is_han(ch) {
            // no spaces between Chinese words: each character is a token and the
            // lexicon's phrases are character sequences
            out.push(Token {
                kind: Kind::Word(ch.to_string()),
                start: i,
                end: i + 1,
            });
            i += 1;
        } else if ch.is_alpha() {
            let mut j = i;
            while j < n && (c[j].is_alpha() || is_mark(c[j])) && !is_han(c[j]) {
                j += 1;
            }
            out.push(Token {
                kind: Kind::Word(c[i..j].iter().collect()),
                start: i,
                end: j,
            });
            i = j;
        } else {
            let prev = i.checked_sub(1).map(|k| c[k]);
            let next = c.get(i + 1).copied();
            let kind = match ch {
                ',' | '،' | ';' | '؛' | '—' | '–' | '，' | '、' | '；' | '：' => {
                    Some(Kind::Clause)
                }
                // a case ending written after a number: "200'den"
                '\'' | '’' | 'ʼ'
                    if prev.is_some_and(|p| p.is_ascii_digit())
                        && next.is_some_and(CharClass::is_alpha) =>
                {
                    Some(Kind::Symbol('\''))
                }
                ':' if prev.is_some_and(|p| p.is_ascii_digit())
                    && next.is_some_and(|p| p.is_ascii_digit()) =>
                {
                    Some(Kind::Symbol(':'))
                }
                ':' => Some(Kind::Clause),
                // hyphen inside a word ("twenty-five") just separates the words
                '-' if prev.is_some_and(CharClass::is_alpha)
                    && next.is_some_and(CharClass::is_alpha) =>
                {
                    None
                }
                '-' if prev.is_some_and(|p| p.is_ascii_digit())
                    || next.is_some_and(|p| p.is_ascii_digit()) =>
                {
                    Some(Kind::Symbol('-'))
                }
                '-' if prev.is_none_or(char::is_whitespace)
                    && next.is_none_or(char::is_whitespace) =>
                {
                    Some(Kind::Clause)
                }
                '%' | '٪' | '$' | '€' | '£' | '₽' | '+' | '/' | '#' | '№' | '-' => {
                    Some(Kind::Symbol(ch))
                }
                _ => None,
            };
            if let Some(kind) = kind {
                out.push(Token {
                    kind,
                    start: i,
                    end: i + 1,
                });
            }
            i += 1;
        }
    }
    out
}

fn is_mark(c: char) -> bool {
    // combining marks that survive folding (non-Arabic diacritics)
    ('\u{0300}'..='\u{036F}').contains(&c)
}
