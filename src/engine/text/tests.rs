//! Unit tests of the text rules over the shipped data files, with invented English and
//! Russian fixtures (the Arabic seeds are covered by `tests/text_seeds.rs`).

use super::*;
use crate::data::DataSet;
use crate::model::Format;

fn rules() -> TextRules {
    let data = DataSet::builtin();
    TextRules::from_files(&data.boilerplate, &data.agencies, &data.dates)
        .expect("builtin data loads")
}

fn extracted(text: &str) -> Extracted {
    Extracted {
        format: Format::Text,
        paragraphs: crate::engine::normalize::display_lines(text),
        ..Default::default()
    }
}

fn ids(s: &Story) -> Vec<&str> {
    s.credits.iter().map(|c| c.id.as_str()).collect()
}

fn removed_by<'a>(s: &'a Story, rule: &str) -> Vec<&'a str> {
    s.removed
        .iter()
        .filter(|r| r.rule == rule)
        .map(|r| r.text.as_str())
        .collect()
}

const EN_TWO_STORIES: &str = "\
World

Harbour city reopens its old bridge

Engineers spent two years replacing the rusted cables, the city council said on Monday.
The mayor thanked residents for their patience. ... Read more

Orchard growers expect a record apple harvest

APPLETON, Vermont (AP) — Growers in the valley expect their largest harvest in a decade after a mild spring.

Prices are likely to fall, traders said.

Related news
Apple prices fall at city markets
Cider makers hire seasonal staff

A local co-operative will open a second press in October.

Leave a comment
";

#[test]
fn english_read_more_splits_into_two_stories() {
    let stories = rules().segment(&extracted(EN_TWO_STORIES));
    assert_eq!(stories.len(), 2, "{stories:#?}");
    let a = &stories[0];
    assert_eq!(
        a.headline.as_deref(),
        Some("Harbour city reopens its old bridge")
    );
    assert!(a.truncated);
    assert_eq!(
        a.paragraphs,
        [
            "Engineers spent two years replacing the rusted cables, the city council said on Monday.",
            "The mayor thanked residents for their patience."
        ]
    );
    assert_eq!(removed_by(a, "nav"), ["World"]);
    assert_eq!(removed_by(a, "read_more"), ["... Read more"]);

    let b = &stories[1];
    assert_eq!(
        b.headline.as_deref(),
        Some("Orchard growers expect a record apple harvest")
    );
    assert!(!b.truncated);
    assert_eq!(b.dateline.as_deref(), Some("APPLETON, Vermont"));
    assert_eq!(ids(b), ["ap"]);
    assert_eq!(
        removed_by(b, "related_block"),
        [
            "Related news",
            "Apple prices fall at city markets",
            "Cider makers hire seasonal staff"
        ]
    );
    assert_eq!(removed_by(b, "comment_prompt"), ["Leave a comment"]);
    assert_eq!(b.paragraphs.len(), 3);
    assert_eq!(
        b.paragraphs[2],
        "A local co-operative will open a second press in October."
    );
}

const RU_STORY: &str = "\
Новости

Парламент одобрил новый бюджет

8 января 2022, 14:05

МОСКВА, 8 января. /ТАСС/. Депутаты одобрили проект бюджета во втором чтении, сообщили в пресс-службе.

Читайте также: Министр представил план расходов

По данным агентства Интерфакс, голосование прошло без задержек.

Источник: ТАСС

Комментарии
";

#[test]
fn russian_dateline_date_credits_and_source() {
    let stories = rules().segment(&extracted(RU_STORY));
    assert_eq!(stories.len(), 1);
    let s = &stories[0];
    assert_eq!(
        s.headline.as_deref(),
        Some("Парламент одобрил новый бюджет")
    );
    assert_eq!(s.published.as_deref(), Some("2022-01-08T14:05:00"));
    assert_eq!(s.dateline.as_deref(), Some("МОСКВА"));
    assert_eq!(s.publisher.as_deref(), Some("ТАСС"));
    assert_eq!(ids(s), ["tass", "interfax"]);
    assert_eq!(s.credits[0].literal, "ТАСС");
    assert_eq!(
        s.paragraphs,
        [
            "МОСКВА, 8 января. /ТАСС/. Депутаты одобрили проект бюджета во втором чтении, сообщили в пресс-службе.",
            "По данным агентства Интерфакс, голосование прошло без задержек."
        ]
    );
    let rules: Vec<&str> = s.removed.iter().map(|r| r.rule.as_str()).collect();
    assert_eq!(
        rules,
        [
            "nav",
            "date_line",
            "related_block",
            "source",
            "comment_prompt"
        ]
    );
}

#[test]
fn english_wire_dateline_and_source_line() {
    let text = "Central bank holds rates steady\n\nMOSCOW, Jan 5 (Reuters) - The central bank kept its key rate unchanged on Wednesday.\n\nAnalysts had expected the move.\n\nSource: Reuters\n";
    let s = &rules().segment(&extracted(text))[0];
    assert_eq!(s.dateline.as_deref(), Some("MOSCOW"));
    assert_eq!(s.publisher.as_deref(), Some("Reuters"));
    assert_eq!(ids(s), ["reuters"]);
    assert_eq!(s.paragraphs.len(), 2);
}

#[test]
fn body_without_headline_has_none() {
    let text = "The committee met for three hours on Tuesday and agreed on a timetable.\n\nMembers will vote next week.\n";
    let s = &rules().segment(&extracted(text))[0];
    assert_eq!(s.headline, None);
    assert_eq!(s.paragraphs.len(), 2);
}

#[test]
fn duplicate_caption_and_repeated_headline() {
    let text = "Storm closes mountain roads\nSnowploughs clear a pass near the village (AFP)\nSnowploughs clear a pass near the village (AFP)\nStorm closes mountain roads\nHeavy snow closed three mountain roads overnight, police said.\n";
    let s = &rules().segment(&extracted(text))[0];
    assert_eq!(s.headline.as_deref(), Some("Storm closes mountain roads"));
    assert_eq!(
        s.paragraphs,
        [
            "Snowploughs clear a pass near the village (AFP)",
            "Heavy snow closed three mountain roads overnight, police said."
        ]
    );
    assert_eq!(removed_by(s, "duplicate_line").len(), 1);
    assert_eq!(removed_by(s, "repeated_headline").len(), 1);
    assert_eq!(ids(s), ["afp"]);
}

#[test]
fn trailing_headlines_removed_but_single_short_last_line_kept() {
    let text = "Ferry service resumes\n\nThe ferry resumed service after repairs were completed, the operator said.\n\nBridge tolls to rise next year\n\nNew bus routes announced for the suburbs\n";
    let s = &rules().segment(&extracted(text))[0];
    assert_eq!(s.paragraphs.len(), 1);
    assert_eq!(removed_by(s, "trailing_headlines").len(), 2);

    let text = "Ferry service resumes\n\nThe ferry resumed service after repairs were completed, the operator said.\n\n(Reporting by Jane Roe)\n";
    let s = &rules().segment(&extracted(text))[0];
    assert_eq!(s.paragraphs.len(), 2);
}

#[test]
fn glued_keyword_header_is_cut_from_body() {
    let text = "جسر جديد في المدينة\n\nافتتحت البلدية الجسر الجديد بعد عامين من العمل. كلمات مفتاحية\n\nجسر بلدية مدينة\n";
    let s = &rules().segment(&extracted(text))[0];
    assert_eq!(
        s.paragraphs,
        ["افتتحت البلدية الجسر الجديد بعد عامين من العمل."]
    );
    assert_eq!(
        removed_by(s, "keywords"),
        ["كلمات مفتاحية", "جسر بلدية مدينة"]
    );
}

#[test]
fn structured_input_is_not_split_but_cleaned() {
    let mut ex = extracted("Officials met in the capital. ... Read more\n\nAnother headline here\n\nMore body text follows, officials said.\n\nPost a Comment\n");
    ex.structured = true;
    ex.headline = Some("Container headline".into());
    ex.credits = vec!["Agence France-Presse".into(), "Staff".into()];
    ex.published = Some("2022-01-05T10:00:00Z".into());
    let stories = rules().segment(&ex);
    assert_eq!(stories.len(), 1);
    let s = &stories[0];
    assert_eq!(s.headline.as_deref(), Some("Container headline"));
    assert_eq!(ids(s), ["afp"]);
    assert_eq!(s.published.as_deref(), Some("2022-01-05T10:00:00Z"));
    assert_eq!(removed_by(s, "comment_prompt"), ["Post a Comment"]);
    assert_eq!(s.paragraphs[0], "Officials met in the capital.");
}

#[test]
fn never_panics_on_odd_input() {
    let r = rules();
    let inputs = [
        "",
        "\n\n\n",
        "...",
        "… المزيد",
        "المزيد\nالمزيد\nالمزيد",
        "كلمات مفتاحية",
        "(",
        ")",
        "/ТАСС",
        "أَ.فَ.بَ",
        "ـــ",
        "\u{064B}\u{064B} ... Read more",
        "Related news\nRelated news",
        "A\u{0301}B. Tags",
        "Source:",
        "المصدر :",
    ];
    for input in inputs {
        let _ = r.segment(&extracted(input));
    }
}

#[test]
fn long_or_bulleted_trailing_lists_are_article_content() {
    let text = "Festival names its line-up\n\nThe festival announced the films in competition on Thursday.\n\n- Opening night: a comedy from Spain\n- Closing night: a drama from Chile\n";
    let s = &rules().segment(&extracted(text))[0];
    assert_eq!(s.paragraphs.len(), 3, "{:?}", s.removed);

    let text = "Festival names its line-up\n\nThe festival announced the films in competition on Thursday.\n\nSilent Hills – Ana Ruiz – Spain\nThe Long Road – Tom Berg – Norway\n";
    let s = &rules().segment(&extracted(text))[0];
    assert_eq!(s.paragraphs.len(), 3, "{:?}", s.removed);

    let text = "Rally marks anniversary\n\nThousands gathered in the square for the anniversary.\n\nMay peace return to every home!\nGlory to the defenders!\n";
    let s = &rules().segment(&extracted(text))[0];
    assert_eq!(s.paragraphs.len(), 3, "{:?}", s.removed);
}
