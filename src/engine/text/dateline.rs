//! Datelines at the start of a story's first body paragraph: "ألماتي - …",
//! "KYIV, Ukraine (AP) — …", "MOSCOW, Jan 5 (Reuters) - …", "МОСКВА, 5 января. /ТАСС/. …".
//!
//! Only the place is returned; the paragraph keeps its text. Agency names in the
//! dateline are picked up by the credit finder (parentheses and slashes are credit
//! positions), so they are not handled here.

use std::sync::LazyLock;

use regex::Regex;

/// Arabic: one to three Arabic words, optional "(agency)", then a dash and a space.
/// The space after the dash keeps parenthetical dashes ("الوزارة -في بيان-") out.
static ARABIC: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?P<place>\p{Arabic}+(?: \p{Arabic}+){0,2})\s*(?:\([^()]{1,40}\)\s*)?[-–—]+\s+\S")
        .unwrap()
});
/// English, upper-case place ("KYIV, Ukraine", "NEW YORK"), optional date and
/// "(Agency)", then a dash.
static ENGLISH_UPPER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?P<place>[A-Z][A-Z.'\-]+(?: [A-Z][A-Z.'\-]+){0,3}(?:, [A-Z][A-Za-z.'\-]+(?: [A-Z][A-Za-z.'\-]+){0,2})?)(?:,? [A-Z][a-z]{2,8}\.? \d{1,2})?\s*(?:\([^()]{1,40}\))?\s*[-–—]{1,2}\s+\S")
        .unwrap()
});
/// English, title-case place: only with an "(Agency)" before the dash ("Kyiv (Reuters) -").
static ENGLISH_TITLE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?P<place>[A-Z][a-z]+(?:[ \-][A-Z][a-z]+){0,2}(?:, [A-Z][a-z]+)?)(?:,? [A-Z][a-z]{2,8}\.? \d{1,2})?\s*\([^()]{1,40}\)\s*[-–—]{1,2}\s+\S")
        .unwrap()
});
/// Russian: place, comma, day and month, then "/Agency/" or "- Agency.".
static RUSSIAN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?P<place>[А-ЯЁ][А-ЯЁа-яё\-]+(?: [А-ЯЁ][А-ЯЁа-яё\-]+){0,2}),\s*\d{1,2}\s+[а-яё]+\.?(?:\s+\d{4}(?:\s*г\.?)?)?\s*\.?\s*(?:/[^/]{1,40}/|[-–—]\s*[^.\s][^.]{0,40}\.)")
        .unwrap()
});

/// Lower-case words that look like an Arabic dateline but start ordinary sentences
/// ("قال - …" would be odd, but "وقال" and friends are cheap to exclude).
const ARABIC_NOT_PLACES: &[&str] = &["قال", "وقال", "وقالت", "قالت", "واضاف", "واضافت"];

/// The dateline place of a paragraph, if it starts with one.
pub fn find(paragraph: &str) -> Option<String> {
    for re in [&*ENGLISH_UPPER, &*ENGLISH_TITLE, &*RUSSIAN] {
        if let Some(c) = re.captures(paragraph) {
            return c.name("place").map(|m| m.as_str().trim().to_string());
        }
    }
    let c = ARABIC.captures(paragraph)?;
    let place = c.name("place")?.as_str().trim();
    let first = place.split(' ').next().unwrap_or_default();
    if ARABIC_NOT_PLACES.contains(&crate::engine::normalize::fold(first).as_str()) {
        return None;
    }
    Some(place.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arabic() {
        assert_eq!(
            find("القاهرة - أعلنت الحكومة اليوم خطة جديدة.").as_deref(),
            Some("القاهرة")
        );
        assert_eq!(
            find("موسكو (رويترز) - قال الكرملين إن المحادثات مستمرة.").as_deref(),
            Some("موسكو")
        );
        assert_eq!(find("وقالت الوزارة -في بيان- إن الوضع هادئ."), None);
        assert_eq!(find("أعلنت الحكومة اليوم خطة جديدة - وفق مصادر."), None);
    }

    #[test]
    fn english() {
        assert_eq!(
            find("KYIV, Ukraine (AP) — Air raid sirens sounded across the city.").as_deref(),
            Some("KYIV, Ukraine")
        );
        assert_eq!(
            find("MOSCOW, Jan 5 (Reuters) - The central bank held rates.").as_deref(),
            Some("MOSCOW")
        );
        assert_eq!(
            find("Kyiv (Reuters) - Officials met on Tuesday.").as_deref(),
            Some("Kyiv")
        );
        assert_eq!(
            find("NEW YORK — Markets opened lower on Monday.").as_deref(),
            Some("NEW YORK")
        );
        assert_eq!(find("The minister - who resigned - spoke."), None);
        assert_eq!(
            find("Officials said on Tuesday that talks would resume."),
            None
        );
    }

    #[test]
    fn russian() {
        assert_eq!(
            find("МОСКВА, 5 января. /ТАСС/. Правительство утвердило план.").as_deref(),
            Some("МОСКВА")
        );
        assert_eq!(
            find("Минск, 12 марта - РИА Новости. Переговоры продолжатся.").as_deref(),
            Some("Минск")
        );
        assert_eq!(find("Власти заявили, что 5 человек задержаны."), None);
    }
}
