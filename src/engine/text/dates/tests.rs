//! Date parsing over the shipped `data/dates/*.toml`, with invented date lines.

use super::*;
use crate::data::DataSet;

fn dates() -> Dates {
    Dates::from_files(&DataSet::builtin().dates).expect("builtin date data loads")
}

fn line(s: &str) -> Option<String> {
    dates().date_line(s)
}

#[test]
fn arabic_dates() {
    let d = dates();
    assert_eq!(
        d.date_line("السبت 8 يناير 2022 11:47 ص").as_deref(),
        Some("2022-01-08T11:47:00")
    );
    assert_eq!(
        d.date_line("الأربعاء ٥ كانون الثاني ٢٠٢٢ - 09:05 م")
            .as_deref(),
        Some("2022-01-05T21:05:00")
    );
    assert_eq!(d.date_line("12 آب 2021").as_deref(), Some("2021-08-12"));
    assert_eq!(
        d.date_line("نشر في 6 يناير/كانون الثاني 2022").as_deref(),
        Some("2022-01-06")
    );
    assert_eq!(d.date_line("5 يناير 2022").as_deref(), Some("2022-01-05"));
    assert_eq!(
        d.date_line("الخميس 5 كانون الثاني 2022").as_deref(),
        Some("2022-01-05")
    );
    assert_eq!(d.date_line("14 جانفي 2022").as_deref(), Some("2022-01-14"));
    assert_eq!(
        d.date_line("22 نوفمبر 2004م").as_deref(),
        Some("2004-11-22")
    );
    assert_eq!(d.date_line("12 ص 2021"), None);
    // Lunar Hijri months are not converted.
    assert_eq!(d.date_line("7 شوال 1440"), None);
}

#[test]
fn english_dates() {
    let d = dates();
    assert_eq!(
        d.date_line("January 8, 2022").as_deref(),
        Some("2022-01-08")
    );
    assert_eq!(
        d.date_line("8 Jan 2022 14:05").as_deref(),
        Some("2022-01-08T14:05:00")
    );
    assert_eq!(
        d.date_line("Published: Saturday, March 5, 2022 2:30 PM GMT")
            .as_deref(),
        Some("2022-03-05T14:30:00Z")
    );
    assert_eq!(
        d.date_line("Updated 12:00 am, 1 Feb 2023").as_deref(),
        None,
        "time before date is not a supported layout"
    );
    assert_eq!(
        d.date_line("2023-02-01T09:15:00+02:00").as_deref(),
        Some("2023-02-01T09:15:00+02:00")
    );
    assert_eq!(
        d.date_line("Wednesday 20/March/2019 10:57 AM").as_deref(),
        Some("2019-03-20T10:57:00")
    );
    assert_eq!(d.date_line("June 9th, 2017").as_deref(), Some("2017-06-09"));
}

#[test]
fn russian_dates() {
    let d = dates();
    assert_eq!(d.date_line("8 января 2022").as_deref(), Some("2022-01-08"));
    assert_eq!(d.date_line("5 января 2022").as_deref(), Some("2022-01-05"));
    assert_eq!(
        d.date_line("8 января 2022 г., 14:05 мск").as_deref(),
        Some("2022-01-08T14:05:00+03:00")
    );
    assert_eq!(
        d.date_line("05.01.2022 18:40").as_deref(),
        Some("2022-01-05T18:40:00")
    );
    assert_eq!(
        d.date_line("Опубликовано: 5 января 2022 года в 09:30")
            .as_deref(),
        Some("2022-01-05T09:30:00")
    );
}

#[test]
fn ukrainian_and_kazakh_dates() {
    let d = dates();
    assert_eq!(d.date_line("5 січня 2022").as_deref(), Some("2022-01-05"));
    assert_eq!(
        d.date_line("7 січня 2022 р.").as_deref(),
        Some("2022-01-07")
    );
    assert_eq!(
        d.date_line("Дата: 03 грудня 2023").as_deref(),
        Some("2023-12-03")
    );
    assert_eq!(d.date_line("5 қаңтар 2022").as_deref(), Some("2022-01-05"));
    assert_eq!(
        d.date_line("2022 жылғы 5 қаңтар").as_deref(),
        Some("2022-01-05")
    );
    assert_eq!(
        d.date_line("Қаң 15, 2022 14:53").as_deref(),
        Some("2022-01-15T14:53:00")
    );
    assert_eq!(d.date_line("5 qańtar 2022").as_deref(), Some("2022-01-05"));
}

#[test]
fn west_european_dates() {
    let d = dates();
    assert_eq!(d.date_line("5. Januar 2022").as_deref(), Some("2022-01-05"));
    assert_eq!(
        d.date_line("Stand: 24.11.2022 07:05 Uhr").as_deref(),
        Some("2022-11-24T07:05:00")
    );
    assert_eq!(
        d.date_line("Mittwoch, 5. Januar 2022, 14:30 Uhr")
            .as_deref(),
        Some("2022-01-05T14:30:00")
    );
    assert_eq!(d.date_line("5 janvier 2022").as_deref(), Some("2022-01-05"));
    assert_eq!(
        d.date_line("Publié le 1er février 2022 à 14h30").as_deref(),
        Some("2022-02-01T14:30:00")
    );
    assert_eq!(
        d.date_line("5 de enero de 2022").as_deref(),
        Some("2022-01-05")
    );
    assert_eq!(
        d.date_line("miércoles, 5 de enero del 2022").as_deref(),
        Some("2022-01-05")
    );
    assert_eq!(d.date_line("5 gennaio 2022").as_deref(), Some("2022-01-05"));
    assert_eq!(d.date_line("12 LUGLIO 2013").as_deref(), Some("2013-07-12"));
    assert_eq!(
        d.date_line("5 de janeiro de 2022").as_deref(),
        Some("2022-01-05")
    );
    assert_eq!(
        d.date_line("5 de março de 2022 às 10:15").as_deref(),
        Some("2022-03-05T10:15:00")
    );
}

#[test]
fn turkish_and_polish_dates() {
    let d = dates();
    assert_eq!(d.date_line("5 Ocak 2022").as_deref(), Some("2022-01-05"));
    assert_eq!(
        d.date_line("5 Ocak 2022 Çarşamba 14:30").as_deref(),
        None,
        "a weekday between date and time is not a layout"
    );
    assert_eq!(
        d.date_line("Yayınlanma: 12 Şubat 2022 09:00").as_deref(),
        Some("2022-02-12T09:00:00")
    );
    assert_eq!(
        d.date_line("5 stycznia 2022").as_deref(),
        Some("2022-01-05")
    );
    assert_eq!(
        d.date_line("5 stycznia 2022 r., godz. 12:40").as_deref(),
        Some("2022-01-05T12:40:00")
    );
    assert_eq!(
        d.date_line("2024-03-20, 16:03").as_deref(),
        Some("2024-03-20T16:03:00")
    );
}

#[test]
fn chinese_dates() {
    let d = dates();
    assert_eq!(d.date_line("2022年1月5日").as_deref(), Some("2022-01-05"));
    assert_eq!(
        d.date_line("2022年01月05日 14:30").as_deref(),
        Some("2022-01-05T14:30:00")
    );
    assert_eq!(
        d.date_line("发布时间：2022年1月5日 08:00").as_deref(),
        Some("2022-01-05T08:00:00")
    );
    assert_eq!(d.date_line("2022年13月5日"), None);
}

#[test]
fn persian_solar_hijri_dates() {
    let d = dates();
    assert_eq!(d.date_line("۱۵ دی ۱۴۰۰").as_deref(), Some("2022-01-05"));
    assert_eq!(d.date_line("1 فروردین 1401").as_deref(), Some("2022-03-21"));
    assert_eq!(
        d.date_line("شنبه ۱ اردیبهشت ۱۴۰۳").as_deref(),
        Some("2024-04-20")
    );
    assert_eq!(
        d.date_line("15 فروردين 1397 - 15:55").as_deref(),
        Some("2018-04-04T15:55:00")
    );
    // Dari month names, same calendar.
    assert_eq!(d.date_line("۱۵ جدی ۱۴۰۰").as_deref(), Some("2022-01-05"));
    // Numeric, year first, Persian digits.
    assert_eq!(d.date_line("۱۴۰۰/۱۰/۱۹").as_deref(), Some("2022-01-09"));
    // Gregorian month names in Persian.
    assert_eq!(d.date_line("۵ ژانویه ۲۰۲۲").as_deref(), Some("2022-01-05"));
    assert_eq!(
        d.date_line("• شنبه 1 اردیبهشت 1403").as_deref(),
        Some("2024-04-20")
    );
    // Esfand has 30 days only in leap years (1399 was one, 1400 was not).
    assert_eq!(d.date_line("30 اسفند 1399").as_deref(), Some("2021-03-20"));
    assert_eq!(d.date_line("30 اسفند 1400"), None);
    assert_eq!(d.date_line("32 دی 1400"), None);
}

#[test]
fn solar_hijri_anchor_dates() {
    // Nowruz (1 Farvardin) falls on the March equinox day.
    assert_eq!(solar_hijri_to_gregorian(1401, 1, 1), Some((2022, 3, 21)));
    assert_eq!(solar_hijri_to_gregorian(1400, 10, 15), Some((2022, 1, 5)));
    assert_eq!(solar_hijri_to_gregorian(1403, 1, 1), Some((2024, 3, 20)));
    assert_eq!(solar_hijri_to_gregorian(1399, 1, 1), Some((2020, 3, 20)));
    assert_eq!(solar_hijri_to_gregorian(1357, 11, 22), Some((1979, 2, 11)));
    assert_eq!(solar_hijri_to_gregorian(1404, 12, 29), Some((2026, 3, 20)));
    assert_eq!(solar_hijri_to_gregorian(1400, 13, 1), None);
    // Every day of a span of years maps to consecutive Gregorian days.
    let mut prev = days_from_civil(1990, 3, 20);
    for y in 1369..1420 {
        let len = farvardin_first(y + 1).unwrap() - farvardin_first(y).unwrap();
        for m in 1..=12u32 {
            for d in 1..=31u32 {
                if let Some((gy, gm, gd)) = solar_hijri_to_gregorian(y, m, d) {
                    let n = days_from_civil(gy, gm, gd);
                    assert_eq!(n, prev + 1, "{y}-{m}-{d}");
                    prev = n;
                }
            }
        }
        assert!(len == 365 || len == 366);
    }
}

#[test]
fn gregorian_day_numbers_round_trip() {
    for z in -800_000..800_000 {
        let (y, m, d) = civil_from_days(z);
        assert_eq!(days_from_civil(y, m, d), z);
    }
}

#[test]
fn numeric_order_follows_the_language() {
    let d = dates();
    assert_eq!(d.date_line("05/01/2022").as_deref(), Some("2022-01-05"));
    assert_eq!(
        d.date_line_in("05/01/2022", Some("en")).as_deref(),
        Some("2022-05-01")
    );
    assert_eq!(
        d.date_line_in("05/01/2022", Some("en-US")).as_deref(),
        Some("2022-05-01")
    );
    assert_eq!(
        d.date_line_in("25/01/2022", Some("en")).as_deref(),
        Some("2022-01-25")
    );
    assert_eq!(
        d.date_line_in("01/25/2022", Some("fr")).as_deref(),
        Some("2022-01-25")
    );
    assert_eq!(
        d.date_line_in("05.01.2022", Some("en")).as_deref(),
        Some("2022-01-05")
    );
    assert_eq!(d.date_line("2022-01-05").as_deref(), Some("2022-01-05"));
    assert_eq!(d.date_line("2022/01/05").as_deref(), Some("2022-01-05"));
    assert_eq!(
        d.date_line_in("1400/10/15", Some("fa")).as_deref(),
        Some("2022-01-05")
    );
    assert_eq!(d.date_line("1400/10/15"), None, "no Persian hint");
}

#[test]
fn sentences_with_dates_are_not_date_lines() {
    assert_eq!(line("On January 8, 2022 the police arrived."), None);
    assert_eq!(line("وفي 6 يناير 2022 أعلنت الحكومة"), None);
    assert_eq!(line("31 February 2022 99:99"), None);
    assert_eq!(line("32 января 2022"), None);
    assert_eq!(line("29 February 2023"), None);
    assert_eq!(line("29 February 2024").as_deref(), Some("2024-02-29"));
    assert_eq!(line("Am 5. Januar 2022 begannen die Proteste."), None);
}

#[test]
fn leading_stamps() {
    let d = dates();
    let s = " date 2022-01-03 Representatives of the region met the protesters.";
    let found = d.leading(s, None).unwrap();
    assert_eq!(found.iso, "2022-01-03");
    assert_eq!(
        &s[found.end..],
        " Representatives of the region met the protesters."
    );
    assert_eq!(&s[found.start..found.end], "date 2022-01-03");
    let s = "7 січня 2022 р.Наскільки важливий цей регіон?";
    assert_eq!(d.leading(s, None).unwrap().iso, "2022-01-07");
    let s = "12 LUGLIO 2013 | di Maria Rossi";
    assert_eq!(d.leading(s, None).unwrap().iso, "2013-07-12");
    let s = "۱۵ دی ۱۴۰۰ - ۱۲:۳۰ خبر تازه";
    assert_eq!(d.leading(s, None).unwrap().iso, "2022-01-05T12:30:00");
    // Month-only stamps are not dates; dates that start sentences are not stamps.
    assert_eq!(
        d.leading(" date 2022-01 Die Lage bleibt ruhig.", None),
        None
    );
    assert_eq!(
        d.leading("5 января 2022 года в городе начались акции.", None),
        None
    );
    assert_eq!(
        d.leading("Le 26 avril 1986, à 01h23, le réacteur a explosé.", None),
        None
    );
}

#[test]
fn stated_publish_date() {
    let d = dates();
    let lines = [
        "World News",
        "",
        "Harbour reopens after storm",
        "World Wednesday 20/March/2019 10:57 AM",
        "The port reopened on Wednesday.",
    ];
    assert_eq!(
        d.stated(&lines, None).as_deref(),
        Some("2019-03-20T10:57:00")
    );
    let lines = ["Menu", "12 LUGLIO 2013 | di Maria Rossi", "Il testo."];
    assert_eq!(d.stated(&lines, None).as_deref(), Some("2013-07-12"));
    let lines = [
        "Headline of the day",
        "The council met on Monday, 5 January 2022, to vote.",
    ];
    assert_eq!(d.stated(&lines, None), None);
}

fn file(text: &str) -> Vec<DataFile> {
    vec![DataFile {
        name: "dates/t.toml".into(),
        text: text.into(),
    }]
}

#[test]
fn a_month_name_shared_by_two_months_is_an_error_with_line() {
    let text = "lang = \"xx\"\nmonths = [\n  [\"one\"], [\"two\"], [\"three\"], [\"four\"],\n  [\"five\"], [\"six\"], [\"seven\"], [\"eight\"],\n  [\"nine\"], [\"ten\"], [\"eleven\"], [\"one\"],\n]\n";
    let errs = Dates::from_files(&file(text)).unwrap_err();
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert_eq!(errs[0].line, 5, "{:?}", errs[0]);
    assert!(
        errs[0].message.contains("already means month 1"),
        "{:?}",
        errs[0]
    );
}

#[test]
fn bad_files_report_lines() {
    let errs =
        Dates::from_files(&file("lang = \"xx\"\nmonths = [[\"a\"], [\"b\"]]\n")).unwrap_err();
    assert_eq!((errs[0].line, errs[0].file.as_str()), (2, "dates/t.toml"));
    let errs = Dates::from_files(&file("lang = \"xx\"\n\nnumeric_order = \"dym\"\n")).unwrap_err();
    assert_eq!(errs[0].line, 3, "{:?}", errs[0]);
    let errs = Dates::from_files(&file("lang = \"xx\"\nzones = [[\"gmt\", \"0\"]]\n")).unwrap_err();
    assert_eq!(errs[0].line, 2, "{:?}", errs[0]);
    let errs =
        Dates::from_files(&file("lang = \"xx\"\nweekdays = [\"mon\",\n \"\"]\n")).unwrap_err();
    assert_eq!(errs[0].line, 3, "{:?}", errs[0]);
    let errs = Dates::from_files(&file("lang = \"xx\"\nmonthz = []\n")).unwrap_err();
    assert_eq!(errs[0].line, 2, "{:?}", errs[0]);
}

#[test]
fn word_boundary_free_test_regex_keeps_escaped_backslashes() {
    assert_eq!(without_word_boundaries(r"\d+\b\.?\\b\s"), r"\d+\.?\\b\s");
    assert_eq!(without_word_boundaries(r"a\b"), "a");
    assert_eq!(without_word_boundaries("plain"), "plain");
}
