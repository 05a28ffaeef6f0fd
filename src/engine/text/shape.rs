//! Line-shape signals that hold in every language: how a line ends, how many words it
//! has (CJK text counted by characters), whether it is a date/time stamp, a ticker,
//! a URL, a menu or breadcrumb, a bullet, a file name. No words of any language live
//! here; word lists are data (`data/boilerplate/*.toml`).

use crate::engine::chars::CharClass;

/// Closing quotes and brackets ignored when looking at how a line ends.
const CLOSERS: &[char] = &[
    '"', '»', '”', '’', '\'', ')', ']', '›', '“', '«', '】', '」', '』',
];

/// Bullet characters that open list and menu items.
const BULLETS: &[char] = &[
    '•', '·', '▪', '●', '◦', '‣', '►', '▶', '■', '□', '*', '-', '–', '—',
];

/// Menu and breadcrumb separators between items.
const MENU_SEPARATORS: &[&str] = &["|", " > ", ">>", " » ", "»»", " / ", " › "];

/// The last char of a line, ignoring closing quotes and brackets.
pub fn last_meaningful(s: &str) -> Option<char> {
    s.trim_end_matches(|c: char| CLOSERS.contains(&c) || c.is_whitespace())
        .chars()
        .next_back()
}

/// Does the line end like a sentence (or a teaser)? A headline may end in "?" or
/// "!" ("لماذا استقال …؟", "Kritik karar!") but not in a stop, comma, colon or a dash
/// ("CNN —").
pub fn ends_sentence(s: &str) -> bool {
    last_meaningful(s).is_some_and(|c| ".,،:;؛…-–—。，；：、".contains(c))
}

/// Is `c` written without spaces between words (Han, kana, Hangul)?
pub fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x3040..=0x30FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xAC00..=0xD7AF | 0xF900..=0xFAFF)
}

/// Words in a line: whitespace-separated tokens with a letter or digit; a run of CJK
/// characters counts one word per two characters.
pub fn word_count(s: &str) -> usize {
    s.split_whitespace()
        .filter(|t| t.chars().any(CharClass::is_alnum))
        .map(|t| {
            let cjk = t.chars().filter(|&c| is_cjk(c)).count();
            if cjk == 0 {
                1
            } else {
                let rest = t.chars().any(|c| c.is_alnum() && !is_cjk(c));
                cjk.div_ceil(2) + usize::from(rest)
            }
        })
        .sum()
}

/// Display width: CJK characters count two, as they carry about as much as two
/// letters of an alphabet.
pub fn width(s: &str) -> usize {
    s.chars().map(|c| if is_cjk(c) { 2 } else { 1 }).sum()
}

/// Does the line hold a sentence end followed by more text ("… sagte er. Dann …")?
pub fn has_inner_sentence_end(s: &str) -> bool {
    let chars: Vec<char> = s.chars().collect();
    let n = chars.len();
    (1..n.saturating_sub(1)).any(|i| {
        let c = chars[i];
        if "。！？".contains(c) {
            return chars[i + 1..].iter().any(|c| c.is_alnum());
        }
        // "word. Next": a stop after a lower-case letter (not an initial or a number),
        // then a space and an upper-case letter or a letter of a caseless script.
        // Caseless scripts (Arabic, Persian) count any letter on both sides.
        let caseless = |d: char| d.is_alpha() && !d.is_uppercase() && !d.is_lowercase();
        c == '.'
            && (chars[i - 1].is_lowercase() || caseless(chars[i - 1]))
            && chars.get(i + 1) == Some(&' ')
            && chars
                .get(i + 2)
                .is_some_and(|&d| d.is_uppercase() || caseless(d))
    })
}

/// Commas inside the line (any script's comma), not counting a final one.
pub fn inner_commas(s: &str) -> usize {
    let t = s.trim_end_matches(|c: char| !c.is_alnum());
    t.matches([',', '،', '，', '、']).count()
}

/// Does the line start like the continuation of a sentence cut by a hard line break
/// (a lower-case letter in a cased script)?
pub fn starts_lowercase(s: &str) -> bool {
    s.trim_start_matches(|c: char| !c.is_alnum())
        .chars()
        .next()
        .is_some_and(char::is_lowercase)
}

/// Runs of digits (any script's digits) in the line.
fn digit_groups(s: &str) -> usize {
    let mut groups = 0;
    let mut in_group = false;
    for c in s.chars() {
        let d = c.is_num();
        if d && !in_group {
            groups += 1;
        }
        in_group = d;
    }
    groups
}

/// Words of letters (no digits) in the line; CJK runs counted as in [`word_count`].
fn letter_words(s: &str) -> usize {
    let letters: String = s
        .chars()
        .map(|c| if c.is_alpha() { c } else { ' ' })
        .collect();
    word_count(&letters)
}

/// Is the line a date/time stamp in any language: short, at least two groups of
/// digits (day and year, or hours and minutes) and few words ("Қаң 15, 2022 14:53
/// Asia/Almaty", "15 فروردين 1397 - 15:55", "Martes, 15 de Mayo de 2012",
/// "时间: 2023-02-23 14:41:33", "20.06.2022")?
pub fn is_stamp(s: &str) -> bool {
    let groups = digit_groups(s);
    let n = s.chars().count();
    let words = letter_words(s);
    n <= 80 && groups >= 2 && words <= (groups + 2).min(4) && !ends_sentence_strict(s)
}

/// A full stop (not an abbreviation dot after digits) at the end.
fn ends_sentence_strict(s: &str) -> bool {
    let t = s.trim_end();
    t.ends_with(['.', '。']) && t.chars().rev().nth(1).is_some_and(CharClass::is_alpha)
}

/// Is the line a ticker or counter ("• USD94.07", "7 3", "1929 0", "+"): digits and
/// symbols with at most one short word, or no letters or digits at all?
pub fn is_ticker(s: &str) -> bool {
    if !s.chars().any(CharClass::is_alnum) {
        return true;
    }
    let digits = digit_groups(s) > 0;
    digits && s.chars().count() <= 40 && letter_words(s) <= 1
}

/// Is the line a price or rate: one short word (a currency code or symbol) and one
/// decimal number ("• USD 92.10", "€1,0842", "BTC 61.8400")?
pub fn is_price(s: &str) -> bool {
    let chars: Vec<char> = s.chars().collect();
    let decimal = chars
        .windows(3)
        .any(|w| w[0].is_num() && ".,".contains(w[1]) && w[2].is_num());
    decimal && digit_groups(s) == 2 && letter_words(s) <= 1 && chars.len() <= 30
}

/// Is the line a URL, or a short label and a URL ("链接:https://…")?
pub fn is_url_line(s: &str) -> bool {
    // A token is a URL only if it holds "://" or starts with "www.".
    if !s.contains("://") && !s.contains("www.") {
        return false;
    }
    let tokens: Vec<&str> = s.split_whitespace().collect();
    let url = |t: &str| {
        let t = t.trim_start_matches(|c: char| !c.is_ascii_alphanumeric());
        t.contains("://")
            || t.starts_with("www.")
            || t.contains("http://")
            || t.contains("https://")
    };
    let urls = tokens.iter().filter(|t| url(t)).count();
    urls > 0 && (tokens.len() <= 1 + urls || letter_words(s) <= 3 + urls)
}

/// Does the line hold a file-name or image-id token ("IMG_2041", "Copy of
/// Kazakhsta-1641386640886", "photo_credit_name")?
pub fn has_file_token(s: &str) -> bool {
    s.split_whitespace().any(|t| {
        let underscore = t.contains('_') && t.chars().filter(|c| c.is_alnum()).count() > 3;
        let mut run = 0usize;
        let mut longest = 0usize;
        for c in t.chars() {
            run = if c.is_ascii_digit() { run + 1 } else { 0 };
            longest = longest.max(run);
        }
        let glued_id = longest >= 8 && t.chars().any(CharClass::is_alpha);
        underscore || glued_id
    })
}

/// The line without a leading bullet ("• Home", "  - Item"), if it has one.
pub fn strip_bullet(s: &str) -> Option<&str> {
    let t = s.trim_start();
    let first = t.chars().next()?;
    if !BULLETS.contains(&first) {
        return None;
    }
    let rest = t[first.len_utf8()..].trim_start();
    // "-5 °C" or "—" alone are not bullets followed by an item.
    let spaced = t[first.len_utf8()..].starts_with(char::is_whitespace);
    (spaced && !rest.is_empty()).then_some(rest)
}

/// Is the line a menu or breadcrumb: items joined by "|", ">", "»", "/" with at most
/// three words each ("Home > World > Asia", "首页|客户端|官方微博")?
pub fn is_menu(s: &str) -> bool {
    for sep in MENU_SEPARATORS {
        let parts: Vec<&str> = s.split(sep).map(str::trim).collect();
        // One longer item is allowed: the site name after the menu.
        let short = parts.iter().filter(|p| word_count(p) <= 3).count();
        if parts.len() >= 3 && short + 1 >= parts.len() && short >= 2 {
            return true;
        }
        // "Home > World" and "首页 >> 社会热点": two short items.
        if parts.len() == 2 && sep.trim() != "|" && sep.trim() != "/" {
            let short = parts.iter().all(|p| !p.is_empty() && word_count(p) <= 2);
            if short {
                return true;
            }
        }
    }
    // Bracketed toolbar items: "【打 印】 【 】", "【 第1頁 第2頁 】".
    let letters = s.chars().filter(|c| c.is_alpha()).count();
    s.matches(['【', '】', '[', ']']).count() >= 2 && letters <= 12
}

/// The text before a site-name suffix: "Headline | Site", "Headline | Site, 5 May",
/// "Headline – Site, 12.03.2024". The suffix must be short (at most `max_words`
/// words); a dash suffix also needs a date or a domain ("– Site, 5 May 2022",
/// "- site.com") since "Headline – Photo report" is a real headline.
pub fn split_site_suffix(s: &str, max_words: usize) -> Option<(&str, &str)> {
    for sep in [" | ", " ｜ ", " - ", " – ", " — "] {
        let Some(at) = s.rfind(sep) else { continue };
        let (head, tail) = (&s[..at], &s[at + sep.len()..]);
        if word_count(head) < 3 || tail.trim().is_empty() || word_count(tail) > max_words {
            continue;
        }
        let pipe = sep.contains(['|', '｜']);
        let dated = digit_groups(tail) >= 2 && tail.contains(',');
        let domain = tail
            .split_whitespace()
            .any(|t| t.contains('.') && t.chars().all(|c| c.is_alnum() || c == '.' || c == '-'))
            && tail.chars().any(|c| c.is_ascii_lowercase());
        if (pipe && !ends_sentence(tail)) || dated || domain {
            return Some((head.trim_end(), tail));
        }
    }
    None
}

/// The site name of a site-name suffix ("The Daily Post, 5 May 2022" → "The Daily
/// Post"): the text before a comma or a date stamp, if it has letters.
pub fn site_name(suffix: &str) -> Option<&str> {
    let name = suffix.split([',', '，', '،']).next().unwrap_or(suffix);
    let name = match trailing_stamp(name) {
        Some(at) => &name[..at],
        None => name,
    };
    let name = name.trim_matches(|c: char| !c.is_alphanumeric());
    let letters = name.chars().filter(|c| c.is_alphabetic()).count();
    (letters >= 2 && !is_stamp(name)).then_some(name)
}

/// Where a date/time stamp glued to the end of a line starts ("Headline Stand:
/// 24.11.2024 07:05 Uhr"): the byte index of the longest tail that is a stamp with at
/// least three groups of digits, leaving at least three words before it.
pub fn trailing_stamp(s: &str) -> Option<usize> {
    let starts: Vec<usize> = s
        .char_indices()
        .filter(|&(i, c)| !c.is_whitespace() && (i == 0 || s[..i].ends_with(char::is_whitespace)))
        .map(|(i, _)| i)
        .collect();
    // The shortest stamp tail, then one word more when that word is its label
    // ("Stand:", "Updated:").
    let n = starts.iter().rposition(|&i| {
        let tail = &s[i..];
        i > 0 && digit_groups(tail) >= 3 && is_stamp(tail)
    })?;
    let n = match n.checked_sub(1) {
        Some(m) if m > 0 && s[starts[m]..starts[n]].trim_end().ends_with(':') => m,
        _ => n,
    };
    (word_count(&s[..starts[n]]) >= 3).then_some(starts[n])
}

/// Content-word stems of a line for topic overlap: the first five letters of each
/// word of three letters or more, and each pair of adjacent CJK characters.
pub fn stems(folded: &str) -> Vec<&str> {
    let mut out = Vec::new();
    for token in folded.split(|c: char| !c.is_alnum()) {
        if token.chars().any(is_cjk) {
            // every pair of adjacent chars, as a slice of the token
            let mut bounds: Vec<usize> = token.char_indices().map(|(i, _)| i).collect();
            bounds.push(token.len());
            out.extend(bounds.windows(3).map(|w| &token[w[0]..w[2]]));
        } else if token.chars().filter(|c| c.is_alpha()).count() >= 3 {
            let end = token.char_indices().nth(5).map_or(token.len(), |(i, _)| i);
            out.push(&token[..end]);
        }
    }
    out
}

/// Alphanumeric skeleton of a line for loose repeat checks: folded letters and digits
/// only (quotes, dashes and spaces ignored).
pub fn skeleton(folded: &str) -> String {
    folded.chars().filter(|c| c.is_alnum()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_count_cjk_by_characters() {
        assert_eq!(word_count("Harbour city reopens"), 3);
        assert_eq!(word_count("港口城市重新开放大桥"), 5);
        assert_eq!(word_count("目录"), 1);
        assert_eq!(word_count("• >"), 0);
    }

    #[test]
    fn sentence_ends_in_many_scripts() {
        assert!(ends_sentence("The bridge opened."));
        assert!(ends_sentence("大桥今天开放。"));
        assert!(ends_sentence("قال الوزير،"));
        assert!(!ends_sentence("Why did the minister resign?"));
        assert!(!ends_sentence("Fähre fährt wieder!"));
        assert!(!ends_sentence("«Мы вернёмся»"));
    }

    #[test]
    fn stamps_in_many_languages() {
        for s in [
            "12 березня 2024, 09:15",
            "Salı, 12 Mart 2024 09:15",
            "۱۵ دی ۱۴۰۰ - ۱۲:۳۰",
            "发布时间：2024-03-12 09:15",
            "12.03.2024",
            "Mar 12, 2024 9:15 Europe/Berlin",
            "Aktualisiert: 12.03.2024 09:15 Uhr",
        ] {
            assert!(is_stamp(s), "{s}");
        }
        for s in [
            "8 years after the 2016 final the stadium reopens",
            "Harbour city reopens its old bridge",
            "Sales rose 12% to 3.4 billion in 2023.",
        ] {
            assert!(!is_stamp(s), "{s}");
        }
    }

    #[test]
    fn tickers_urls_files_menus() {
        assert!(is_ticker("• EUR 1.0842"));
        assert!(is_price("• EUR 1.0842"));
        assert!(!is_price("12.03.2024"));
        assert!(is_ticker("12 4"));
        assert!(is_ticker("+"));
        assert!(!is_ticker("Harbour city reopens"));
        assert!(is_url_line("https://example.org/news/2024/bridge"));
        assert!(is_url_line("Link: https://example.org/a"));
        assert!(!is_url_line("The council posted the plans on its site https://example.org yesterday, officials said"));
        assert!(has_file_token("IMG_2041 harbour bridge"));
        assert!(has_file_token("Copy of bridge-1700000000123"));
        assert!(!has_file_token("Bridge reopens after 2 years"));
        assert!(is_menu("Home > World > Europe"));
        assert!(is_menu("首页|客户端|官方微博|投稿"));
        assert!(is_menu("Home | World | Sport | The Daily Lake Post"));
        assert!(!is_menu("Bridge reopens | The Daily Lake Post"));
        assert!(is_menu("Startseite » Politik"));
        assert!(!is_menu("Harbour city reopens its old bridge"));
        assert_eq!(strip_bullet("  • Bridge reopens"), Some("Bridge reopens"));
        assert_eq!(strip_bullet("-5 degrees"), None);
    }

    #[test]
    fn site_suffixes() {
        assert_eq!(
            split_site_suffix("Harbour city reopens its bridge | The Daily Post", 5),
            Some(("Harbour city reopens its bridge", "The Daily Post"))
        );
        assert_eq!(
            split_site_suffix(
                "Harbour city reopens its bridge - Daily Post, 12.03.2024",
                6
            )
            .map(|p| p.0),
            Some("Harbour city reopens its bridge")
        );
        assert_eq!(
            split_site_suffix("Harbour city reopens its bridge – dailypost.example", 5)
                .map(|p| p.0),
            Some("Harbour city reopens its bridge")
        );
        assert_eq!(
            split_site_suffix("Harbour city reopens its bridge – Photo report", 5),
            None
        );
    }

    #[test]
    fn site_names_of_suffixes() {
        assert_eq!(site_name("The Daily Post"), Some("The Daily Post"));
        assert_eq!(site_name("Daily Post, 5 May 2022"), Some("Daily Post"));
        assert_eq!(site_name("dailypost.example"), Some("dailypost.example"));
        assert_eq!(
            site_name("Вечерний город, 12.03.2024"),
            Some("Вечерний город")
        );
        assert_eq!(site_name("12.03.2024"), None);
    }

    #[test]
    fn stamps_glued_to_a_headline() {
        let s = "Harbour city reopens its bridge Aktualisiert: 12.03.2024 09:15 Uhr";
        assert_eq!(
            trailing_stamp(s).map(|i| &s[..i]),
            Some("Harbour city reopens its bridge ")
        );
        assert_eq!(trailing_stamp("Spain beat Italy 4 0 in the final"), None);
    }

    #[test]
    fn prose_signals() {
        assert!(has_inner_sentence_end("He left early. Then the rain began"));
        assert!(has_inner_sentence_end("他走了。然后下雨"));
        assert!(!has_inner_sentence_end("U.S. envoy meets Kazakh leader"));
        assert_eq!(inner_commas("Rain, wind and snow, forecasters say,"), 2);
        assert!(starts_lowercase("and the bridge reopened."));
        assert!(!starts_lowercase("Bridge reopened."));
    }
}
