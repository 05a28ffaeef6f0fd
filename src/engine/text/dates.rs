//! Publish dates stated by the text itself: a line that is only a date (optionally with
//! weekday, time, AM/PM and a "Published:" prefix) in Arabic, English or Russian.
//!
//! Month and weekday names are language facts, not site boilerplate, so they live here
//! rather than in a data file. Matching runs on the folded form (see
//! [`crate::engine::normalize::fold`]): bare alef, ة→ه, lower case, ASCII digits.

use std::sync::LazyLock;

use regex::Regex;

use crate::engine::normalize::fold;

/// (folded name, month number). Arabic: Egyptian/Gulf, Levantine and Maghrebi names.
const MONTHS: &[(&str, u32)] = &[
    ("يناير", 1),
    ("كانون الثاني", 1),
    ("جانفي", 1),
    ("فبراير", 2),
    ("شباط", 2),
    ("فيفري", 2),
    ("مارس", 3),
    ("اذار", 3),
    ("ابريل", 4),
    ("نيسان", 4),
    ("افريل", 4),
    ("مايو", 5),
    ("ايار", 5),
    ("ماي", 5),
    ("يونيو", 6),
    ("يونيه", 6),
    ("حزيران", 6),
    ("جوان", 6),
    ("يوليو", 7),
    ("يوليه", 7),
    ("تموز", 7),
    ("جويليه", 7),
    ("اغسطس", 8),
    ("اب", 8),
    ("اوت", 8),
    ("سبتمبر", 9),
    ("ايلول", 9),
    ("اكتوبر", 10),
    ("تشرين الاول", 10),
    ("نوفمبر", 11),
    ("تشرين الثاني", 11),
    ("ديسمبر", 12),
    ("كانون الاول", 12),
    ("january", 1),
    ("jan", 1),
    ("february", 2),
    ("feb", 2),
    ("march", 3),
    ("mar", 3),
    ("april", 4),
    ("apr", 4),
    ("may", 5),
    ("june", 6),
    ("jun", 6),
    ("july", 7),
    ("jul", 7),
    ("august", 8),
    ("aug", 8),
    ("september", 9),
    ("sept", 9),
    ("sep", 9),
    ("october", 10),
    ("oct", 10),
    ("november", 11),
    ("nov", 11),
    ("december", 12),
    ("dec", 12),
    ("января", 1),
    ("янв", 1),
    ("февраля", 2),
    ("фев", 2),
    ("марта", 3),
    ("мар", 3),
    ("апреля", 4),
    ("апр", 4),
    ("мая", 5),
    ("июня", 6),
    ("июн", 6),
    ("июля", 7),
    ("июл", 7),
    ("августа", 8),
    ("авг", 8),
    ("сентября", 9),
    ("сент", 9),
    ("сен", 9),
    ("октября", 10),
    ("окт", 10),
    ("ноября", 11),
    ("ноя", 11),
    ("декабря", 12),
    ("дек", 12),
];

const WEEKDAYS: &[&str] = &[
    "السبت",
    "الاحد",
    "الاثنين",
    "الثلاثاء",
    "الاربعاء",
    "الخميس",
    "الجمعه",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
    "mon",
    "tue",
    "tues",
    "wed",
    "thu",
    "thurs",
    "fri",
    "sat",
    "sun",
    "понедельник",
    "вторник",
    "среда",
    "четверг",
    "пятница",
    "суббота",
    "воскресенье",
];

/// Words that may precede the date on a date line.
const PREFIXES: &[&str] = &[
    "published on",
    "published",
    "updated on",
    "updated",
    "posted on",
    "posted",
    "last updated",
    "опубликовано",
    "обновлено",
    "дата публикации",
    "تاريخ النشر",
    "نشر في",
    "نشر بتاريخ",
    "نشر",
    "اخر تحديث",
    "تم النشر",
];

fn alternation(words: impl Iterator<Item = &'static str>) -> String {
    let mut v: Vec<&str> = words.collect();
    v.sort_by(|a, b| b.chars().count().cmp(&a.chars().count()).then(a.cmp(b)));
    v.dedup();
    v.iter()
        .map(|w| regex::escape(w).replace(' ', r"\s+"))
        .collect::<Vec<_>>()
        .join("|")
}

static DATE_LINE: LazyLock<Regex> = LazyLock::new(|| {
    let month = alternation(MONTHS.iter().map(|m| m.0));
    let weekday = alternation(WEEKDAYS.iter().copied());
    let prefix = alternation(PREFIXES.iter().copied());
    let pattern = format!(
        r"^(?:(?:{prefix})\s*:?\s*)?(?:(?:{weekday})\.?\s*[,،]?\s*)?(?:(?P<d1>\d{{1,2}})(?:st|nd|rd|th)?\s*(?:-\s*)?(?P<m1>{month})\.?(?:\s*/\s*(?:{month}))?\s*[,،]?\s*(?P<y1>\d{{4}})(?:\s*(?:г\.?|года))?|(?P<m2>{month})\.?\s+(?P<d2>\d{{1,2}})(?:st|nd|rd|th)?\s*,?\s*(?P<y2>\d{{4}})|(?P<y3>\d{{4}})-(?P<mo3>\d{{1,2}})-(?P<d3>\d{{1,2}})|(?P<d4>\d{{1,2}})\.(?P<mo4>\d{{1,2}})\.(?P<y4>\d{{4}}))(?:\s*(?:[,،|t–—-]|at|в|الساعه)?\s*(?P<h>\d{{1,2}})[:.](?P<mi>\d{{2}})(?::(?P<s>\d{{2}}))?\s*(?P<ampm>a\.?m\.?|p\.?m\.?|صباحا|مساء|ص|م)?)?\s*(?P<tz>gmt|utc|z|мск|msk)?\s*(?P<off>[+-]\d{{2}}:?\d{{2}})?$"
    );
    Regex::new(&pattern).expect("date regex")
});

fn month_number(folded: &str) -> Option<u32> {
    let norm: String = folded.split_whitespace().collect::<Vec<_>>().join(" ");
    MONTHS.iter().find(|m| m.0 == norm).map(|m| m.1)
}

/// If `line` is only a date (and time), its ISO 8601 form: `2022-01-08T11:47:00`, or
/// `2022-01-08` without a time; `Z`/offset appended when the line states one.
pub fn date_line(line: &str) -> Option<String> {
    let folded = fold(line);
    let folded = folded.trim().trim_end_matches(['.', '،', ',']).trim();
    if folded.is_empty() || folded.chars().count() > 80 {
        return None;
    }
    let c = DATE_LINE.captures(folded)?;
    let num = |name: &str| c.name(name).and_then(|m| m.as_str().parse::<u32>().ok());
    let (year, month, day) = if let Some(y) = num("y1") {
        (y, month_number(c.name("m1")?.as_str())?, num("d1")?)
    } else if let Some(y) = num("y2") {
        (y, month_number(c.name("m2")?.as_str())?, num("d2")?)
    } else if let Some(y) = num("y3") {
        (y, num("mo3")?, num("d3")?)
    } else {
        (num("y4")?, num("mo4")?, num("d4")?)
    };
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || !(1800..=2200).contains(&year) {
        return None;
    }
    let mut out = format!("{year:04}-{month:02}-{day:02}");
    if let (Some(mut h), Some(mi)) = (num("h"), num("mi")) {
        let s = num("s").unwrap_or(0);
        if let Some(ampm) = c.name("ampm").map(|m| m.as_str()) {
            if h == 0 || h > 12 {
                return None;
            }
            let pm = ampm.starts_with('p') || ampm.starts_with('م');
            h = match (pm, h) {
                (false, 12) => 0,
                (true, 12) => 12,
                (true, h) => h + 12,
                (false, h) => h,
            };
        }
        if h > 23 || mi > 59 || s > 59 {
            return None;
        }
        out.push_str(&format!("T{h:02}:{mi:02}:{s:02}"));
        if let Some(off) = c.name("off") {
            let digits: String = off
                .as_str()
                .chars()
                .filter(|c| c.is_ascii_digit())
                .collect();
            out.push_str(&format!(
                "{}{}:{}",
                &off.as_str()[..1],
                &digits[..2],
                &digits[2..]
            ));
        } else if let Some(tz) = c.name("tz") {
            out.push_str(if matches!(tz.as_str(), "мск" | "msk") {
                "+03:00"
            } else {
                "Z"
            });
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arabic_dates() {
        assert_eq!(
            date_line("السبت 8 يناير 2022 11:47 ص").as_deref(),
            Some("2022-01-08T11:47:00")
        );
        assert_eq!(
            date_line("الأربعاء ٥ كانون الثاني ٢٠٢٢ - 09:05 م").as_deref(),
            Some("2022-01-05T21:05:00")
        );
        assert_eq!(date_line("12 آب 2021").as_deref(), Some("2021-08-12"));
        assert_eq!(
            date_line("نشر في 6 يناير/كانون الثاني 2022").as_deref(),
            Some("2022-01-06")
        );
        assert_eq!(date_line("12 ص 2021"), None);
    }

    #[test]
    fn english_dates() {
        assert_eq!(date_line("January 8, 2022").as_deref(), Some("2022-01-08"));
        assert_eq!(
            date_line("8 Jan 2022 14:05").as_deref(),
            Some("2022-01-08T14:05:00")
        );
        assert_eq!(
            date_line("Published: Saturday, March 5, 2022 2:30 PM GMT").as_deref(),
            Some("2022-03-05T14:30:00Z")
        );
        assert_eq!(
            date_line("Updated 12:00 am, 1 Feb 2023").as_deref(),
            None,
            "time before date is not a supported layout"
        );
        assert_eq!(
            date_line("2023-02-01T09:15:00+02:00").as_deref(),
            Some("2023-02-01T09:15:00+02:00")
        );
    }

    #[test]
    fn russian_dates() {
        assert_eq!(date_line("8 января 2022").as_deref(), Some("2022-01-08"));
        assert_eq!(
            date_line("8 января 2022 г., 14:05 мск").as_deref(),
            Some("2022-01-08T14:05:00+03:00")
        );
        assert_eq!(
            date_line("05.01.2022 18:40").as_deref(),
            Some("2022-01-05T18:40:00")
        );
    }

    #[test]
    fn sentences_with_dates_are_not_date_lines() {
        assert_eq!(date_line("On January 8, 2022 the police arrived."), None);
        assert_eq!(date_line("وفي 6 يناير 2022 أعلنت الحكومة"), None);
        assert_eq!(date_line("31 February 2022 99:99"), None);
        assert_eq!(date_line("32 января 2022"), None);
    }
}
