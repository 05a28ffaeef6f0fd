//! Unit tests of the text rules over the shipped data files, with invented English and
//! Russian fixtures (the Arabic seeds are covered by `tests/text_seeds.rs`).

use super::*;
use crate::data::DataSet;
use crate::model::Format;

fn rules() -> TextRules {
    let data = DataSet::builtin();
    let languages = crate::engine::language::Languages::from_files(&data.languages)
        .expect("builtin languages load");
    TextRules::from_files(&data.boilerplate, &data.agencies, &data.dates, &languages)
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

// --- Page clutter above the headline, in several languages (invented pages). ---

fn story_of(text: &str) -> Story {
    rules().segment(&extracted(text)).remove(0)
}

const LONG_EN: &str = "Engineers spent two years replacing the rusted cables of the old bridge, the city council said on Monday, and traffic resumed at dawn after a short ceremony attended by residents and the mayor.";

#[test]
fn skip_link_and_section_label_above_the_headline() {
    let s = story_of(&format!(
        "Skip to main content\n\nLocal Affairs\n\nHarbour city reopens its old bridge\n\n{LONG_EN}\n\nThe mayor thanked residents.\n"
    ));
    assert_eq!(
        s.headline.as_deref(),
        Some("Harbour city reopens its old bridge")
    );
    assert_eq!(removed_by(&s, "skip_link"), ["Skip to main content"]);
    assert_eq!(removed_by(&s, "section_label"), ["Local Affairs"]);
    assert_eq!(s.paragraphs.len(), 2);
}

#[test]
fn three_word_kicker_above_a_longer_headline_is_a_label() {
    let s = story_of(&format!(
        "War in Europe\n\nHarbour city reopens its old bridge after two years\n\nCables replaced and lanes widened\n\n{LONG_EN}\n"
    ));
    assert_eq!(
        s.headline.as_deref(),
        Some("Harbour city reopens its old bridge after two years")
    );
    assert_eq!(removed_by(&s, "section_label"), ["War in Europe"]);
    // The deck under the headline stays as the first paragraph.
    assert_eq!(s.paragraphs[0], "Cables replaced and lanes widened");
}

#[test]
fn scrape_stamp_is_cut_from_the_headline_and_dates_the_story() {
    let s = story_of(" date 2024-03-12 Fähre fährt nach zwei Jahren wieder über den See\n\nDie Fähre über den See fährt nach zwei Jahren Pause wieder, teilte der Betreiber am Montag mit. Die ersten Gäste kamen schon früh am Morgen zum Anleger und kauften Karten.\n");
    assert_eq!(
        s.headline.as_deref(),
        Some("Fähre fährt nach zwei Jahren wieder über den See")
    );
    assert_eq!(s.published.as_deref(), Some("2024-03-12"));
    assert_eq!(removed_by(&s, "scrape_stamp"), ["date 2024-03-12"]);
}

#[test]
fn month_only_scrape_stamp_is_cut_without_a_date() {
    let s = story_of(" date 2024-03 Prom znów pływa po jeziorze po dwóch latach\n\nProm wznowił kursy w poniedziałek po dwóch latach przerwy, poinformował przewoźnik. Pierwsi pasażerowie przyszli na przystań już o świcie, a bilety szybko się skończyły.\n");
    assert_eq!(
        s.headline.as_deref(),
        Some("Prom znów pływa po jeziorze po dwóch latach")
    );
    assert_eq!(s.published, None);
}

#[test]
fn date_stamp_glued_to_the_headline_is_cut() {
    let s = story_of("Fähre fährt nach zwei Jahren wieder Stand: 12.03.2024 09:15 Uhr\n\nDie Fähre über den See fährt nach zwei Jahren Pause wieder, teilte der Betreiber am Montag mit. Die ersten Gäste kamen schon früh am Morgen zum Anleger.\n");
    assert_eq!(
        s.headline.as_deref(),
        Some("Fähre fährt nach zwei Jahren wieder")
    );
    assert_eq!(
        removed_by(&s, "date_stamp"),
        ["Stand: 12.03.2024 09:15 Uhr"]
    );
}

#[test]
fn tickers_and_stamps_above_a_russian_headline() {
    let s = story_of("• USD 92.10\n• EUR 99.80\n\n12 марта 2024, 09:15\n\nПаром снова ходит через озеро после ремонта\n\nПаром возобновил рейсы через озеро после двухлетнего ремонта, сообщил в понедельник перевозчик. Первые пассажиры пришли на причал ещё до рассвета.\n");
    assert_eq!(
        s.headline.as_deref(),
        Some("Паром снова ходит через озеро после ремонта")
    );
    assert_eq!(removed_by(&s, "ticker"), ["• USD 92.10", "• EUR 99.80"]);
    assert_eq!(s.paragraphs.len(), 1, "{:?}", s.removed);
}

#[test]
fn pipe_site_suffix_is_cut_from_a_spanish_headline() {
    let s = story_of("Un ferry vuelve a cruzar el lago tras dos años | Diario del Valle\n\nMartes, 12 de marzo de 2024\n\nEl ferry volvió a cruzar el lago el lunes tras dos años de obras, informó el operador, y los primeros pasajeros llegaron al muelle antes del amanecer.\n");
    assert_eq!(
        s.headline.as_deref(),
        Some("Un ferry vuelve a cruzar el lago tras dos años")
    );
    assert_eq!(removed_by(&s, "site_suffix"), ["Diario del Valle"]);
}

#[test]
fn dash_suffix_needs_a_date_or_domain() {
    let s = story_of("Ferry returns to the lake after two years – Photo report\n\nThe ferry resumed service on Monday after two years of repairs, the operator said.\n\nTickets sold out by noon.\n");
    assert_eq!(
        s.headline.as_deref(),
        Some("Ferry returns to the lake after two years – Photo report")
    );
    let s = story_of("Ferry returns to the lake after two years - Lake Post, 12.03.2024\n\nThe ferry resumed service on Monday after two years of repairs, the operator said.\n\nTickets sold out by noon.\n");
    assert_eq!(
        s.headline.as_deref(),
        Some("Ferry returns to the lake after two years")
    );
}

#[test]
fn arabic_caption_with_credit_is_body_not_headline() {
    let s = story_of("عبارة تعبر البحيرة صباح الاثنين بعد عامين من التوقف (رويترز)\n\nعادت العبارة إلى العمل في البحيرة بعد عامين من أعمال الصيانة، وقال المشغل إن الرحلات ستكون يومية.\n\nوأضاف أن الأسعار لن ترتفع هذا العام.\n");
    assert_eq!(s.headline, None);
    assert_eq!(s.paragraphs.len(), 3);
    assert_eq!(ids(&s), ["reuters"]);
}

#[test]
fn italian_copyright_and_photo_credit_lines() {
    let s = story_of("Il traghetto torna sul lago dopo due anni\n\nFoto: Mario Rossi/Agenzia\n\nIl traghetto ha ripreso servizio lunedì dopo due anni di lavori, ha detto il gestore.\n\nI biglietti sono finiti a mezzogiorno.\n\n© Giornale del Lago - Riproduzione riservata\n");
    assert_eq!(
        s.headline.as_deref(),
        Some("Il traghetto torna sul lago dopo due anni")
    );
    assert_eq!(
        removed_by(&s, "photo_credit"),
        ["Foto: Mario Rossi/Agenzia"]
    );
    assert_eq!(
        removed_by(&s, "copyright"),
        ["© Giornale del Lago - Riproduzione riservata"]
    );
    assert_eq!(s.paragraphs.len(), 2);
}

#[test]
fn ukrainian_breadcrumb_bullets_and_repeated_headline() {
    let s = story_of("• Головна\n  • >\n  • Пором знову курсує озером після ремонту\n\nПором знову курсує озером після ремонту\n\n12.03.2024\n\nПором відновив рейси озером після дворічного ремонту, повідомив у понеділок перевізник. Перші пасажири прийшли на причал ще до світанку.\n");
    assert_eq!(
        s.headline.as_deref(),
        Some("Пором знову курсує озером після ремонту")
    );
    assert_eq!(s.paragraphs.len(), 1, "{:?}", s.removed);
}

#[test]
fn chinese_headline_counts_characters_as_words() {
    let s = story_of("目录\n\n渡轮时隔两年重新开通 首班船载客两百人\n\n渡轮周一恢复运营，运营方表示，首班船载有两百名乘客，票在中午前售罄。\n\n市长出席了仪式。\n");
    assert_eq!(
        s.headline.as_deref(),
        Some("渡轮时隔两年重新开通 首班船载客两百人")
    );
    assert_eq!(removed_by(&s, "section_label"), ["目录"]);
}

#[test]
fn turkish_headline_may_end_with_an_exclamation_mark() {
    let s = story_of("Dünya\n\nFeribot iki yıl sonra yeniden sefere başladı!\n\nFeribot, iki yıllık aradan sonra pazartesi günü yeniden sefere başladı, işletmeci açıkladı.\n\nBiletler öğlene kadar tükendi.\n");
    assert_eq!(
        s.headline.as_deref(),
        Some("Feribot iki yıl sonra yeniden sefere başladı!")
    );
}

#[test]
fn persian_date_and_kazakh_labels_above_the_headline() {
    let s = story_of("۱۵ دی ۱۴۰۰ - ۱۲:۳۰\n\nکشتی مسافربری پس از دو سال دوباره به راه افتاد\n\nکشتی مسافربری پس از دو سال توقف روز دوشنبه دوباره فعالیت خود را آغاز کرد، مدیر شرکت گفت.\n\nبلیت ها تا ظهر فروخته شد.\n");
    assert_eq!(
        s.headline.as_deref(),
        Some("کشتی مسافربری پس از دو سال دوباره به راه افتاد")
    );
    let s = story_of("Accessibility links\n\nСоңғы жаңалықтар\n\nПаром екі жылдан кейін қайта жүзе бастады\n\nПаром екі жылдық үзілістен кейін дүйсенбі күні қайта жүзе бастады, деп хабарлады компания.\n\nБилеттер түске дейін сатылып кетті.\n");
    assert_eq!(
        s.headline.as_deref(),
        Some("Паром екі жылдан кейін қайта жүзе бастады")
    );
    assert_eq!(removed_by(&s, "skip_link"), ["Accessibility links"]);
    assert_eq!(removed_by(&s, "news_label"), ["Соңғы жаңалықтар"]);
}

#[test]
fn portuguese_skip_link_and_latest_news_label() {
    let s = story_of("Ir para o conteúdo\n\nÚltimas notícias\n\nBalsa volta a cruzar o lago após dois anos\n\nA balsa voltou a operar na segunda-feira depois de dois anos de obras, informou a empresa.\n\nOs bilhetes esgotaram ao meio-dia.\n");
    assert_eq!(
        s.headline.as_deref(),
        Some("Balsa volta a cruzar o lago após dois anos")
    );
}

#[test]
fn byline_promo_toolbar_and_agency_list_are_not_headlines() {
    for text in [
        "Avec notre envoyé spécial à Genève, Paul Martin\n\nLes négociations ont repris lundi à Genève, ont indiqué les deux délégations.\n\nElles doivent durer trois jours.\n",
        "Zobacz wideo Prom znów pływa po jeziorze\n\nProm wznowił kursy w poniedziałek po dwóch latach przerwy, poinformował przewoźnik.\n\nBilety skończyły się przed południem.\n",
        "E-Mail Article Printer-Friendly Translate Share Article Text Size\n\nThe ferry resumed service on Monday after two years of repairs, the operator said.\n\nTickets sold out by noon.\n",
        "AFP, EFE\n\nEl ferry volvió a cruzar el lago el lunes tras dos años de obras, informó el operador.\n\nLos billetes se agotaron al mediodía.\n",
        "Photo Reuters\n\nThe ferry resumed service on Monday after two years of repairs, the operator said.\n\nTickets sold out by noon.\n",
    ] {
        let s = story_of(text);
        assert_eq!(s.headline, None, "{text}");
        assert_eq!(s.paragraphs.len(), 2 + usize::from(text.starts_with("Avec")), "{text}: {:?}", s.removed);
    }
    let s = story_of("AFP, EFE\n\nEl ferry volvió a cruzar el lago el lunes tras dos años de obras, informó el operador.\n");
    assert_eq!(ids(&s), ["afp", "efe"]);
}

#[test]
fn url_and_file_name_lines_above_the_headline() {
    let s = story_of(&format!(
        "https://example.org/2024/03/ferry\n\nIMG_2041 ferry dock\n\nFerry returns to the lake after two years\n\n{LONG_EN}\n"
    ));
    assert_eq!(
        s.headline.as_deref(),
        Some("Ferry returns to the lake after two years")
    );
    assert_eq!(
        removed_by(&s, "url_line"),
        ["https://example.org/2024/03/ferry"]
    );
    assert_eq!(removed_by(&s, "file_name"), ["IMG_2041 ferry dock"]);
}

#[test]
fn caption_sentence_above_the_headline_stays_in_the_body() {
    let s = story_of(&format!(
        "Passengers board the ferry at dawn on Monday.\n\nFerry returns to the lake after two years\n\n{LONG_EN}\n"
    ));
    assert_eq!(
        s.headline.as_deref(),
        Some("Ferry returns to the lake after two years")
    );
    assert_eq!(
        s.paragraphs[0],
        "Passengers board the ferry at dawn on Monday."
    );
}

// --- Body text is never dropped (regressions of the trailing-run and repeat rules). ---

#[test]
fn cut_off_last_paragraph_is_body() {
    let s = story_of("Fähre fährt wieder über den See\n\nDie Fähre fährt wieder, sagte der Betreiber am Montag.\n\nNeue Fahrpläne ab Juni\n\nDie ersten Gäste kamen früh. Viele von ihnen hatten seit Jahren auf die");
    assert_eq!(s.paragraphs.len(), 3, "{:?}", s.removed);
    assert!(removed_by(&s, "trailing_headlines").is_empty());
}

#[test]
fn cut_off_arabic_paragraph_with_clauses_is_body() {
    let s = story_of("عبارة تعود إلى البحيرة بعد عامين\n\nعادت العبارة إلى العمل بعد عامين، وقال المشغل إن الرحلات ستستمر.\n\nوأضاف المشغل أن الرحلات ستكون يومية وأن الأسعار لن ترتفع\n\nفي الموسم المقبل، بحسب ما أعلن، وسط ترحيب من السكان الذين");
    assert_eq!(s.paragraphs.len(), 3, "{:?}", s.removed);
}

#[test]
fn hard_wrapped_sentence_is_body() {
    let s = story_of("Ferry service resumes on the lake\n\nThe ferry resumed service after repairs, the operator said.\n\nThe first boat left the harbour at dawn carrying\nforty passengers and two cars\n");
    assert_eq!(s.paragraphs.len(), 3, "{:?}", s.removed);
    // A page that starts with a wrapped sentence has no headline.
    let s = story_of("The council said on Monday that the old\nbridge would reopen in May after repairs.\n\nWork began last year.\n");
    assert_eq!(s.headline, None);
    assert_eq!(s.paragraphs.len(), 3);
}

#[test]
fn repeated_quote_keeps_its_first_occurrence_in_place() {
    let quote = "\"We waited two years for this day,\" the captain said.";
    let s = story_of(&format!(
        "Ferry returns to the lake\n\n{quote}\n\nThe crew cheered as the boat left the harbour.\n\n{quote}\n\nTickets sold out by noon.\n"
    ));
    assert_eq!(s.paragraphs.iter().filter(|p| *p == quote).count(), 1);
    assert_eq!(s.paragraphs[0], quote);
    assert_eq!(removed_by(&s, "duplicate_line"), [quote]);
}

// --- Publishers named by the page itself (invented pages). ---

#[test]
fn the_site_of_a_headline_suffix_publishes_the_page() {
    let s = story_of("Un ferry vuelve a cruzar el lago tras dos años | Diario del Valle\n\nEl ferry volvió a cruzar el lago el lunes tras dos años de obras, informó el operador, y los primeros pasajeros llegaron al muelle antes del amanecer.\n");
    assert_eq!(s.publisher.as_deref(), Some("Diario del Valle"));
    // a dash suffix with its date: the name without the date
    let s = story_of("Ferry returns to the lake after two years – Lake Post, 12.03.2024\n\nThe ferry resumed service on Monday after two years of repairs, the operator said.\n\nTickets sold out by noon.\n");
    assert_eq!(
        s.headline.as_deref(),
        Some("Ferry returns to the lake after two years")
    );
    assert_eq!(s.publisher.as_deref(), Some("Lake Post"));
}

#[test]
fn the_holder_of_a_copyright_line_publishes_the_page() {
    for (line, publisher) in [
        (
            "© 2024 The Lake Post. All rights reserved.",
            "The Lake Post",
        ),
        ("Copyright 2019–2024 Lake Post", "Lake Post"),
        (
            "© Giornale del Lago - Riproduzione riservata",
            "Giornale del Lago",
        ),
        (
            "Giornale del Lago - Riproduzione riservata",
            "Giornale del Lago",
        ),
        ("© Озёрный вестник, 2024", "Озёрный вестник"),
    ] {
        let s = story_of(&format!("Ferry returns to the lake after two years\n\n{LONG_EN}\n\nTickets sold out by noon.\n\n{line}\n"));
        assert_eq!(s.publisher.as_deref(), Some(publisher), "{line}");
        assert_eq!(removed_by(&s, "copyright"), [line], "{line}");
        assert_eq!(s.paragraphs.len(), 2, "{line}");
    }
    // a photo credit names the photographer's agency, not the publisher
    for line in ["© Agenzia Foto / Mario Rossi", "© foto di Mario Rossi"] {
        let s = story_of(&format!(
            "Ferry returns to the lake after two years\n\n{LONG_EN}\n\n{line}\n"
        ));
        assert_eq!(s.publisher, None, "{line}");
        assert_eq!(removed_by(&s, "copyright"), [line], "{line}");
    }
}

#[test]
fn source_lines_name_the_publisher_in_many_languages() {
    for (line, publisher) in [
        ("Źródło: Kurier Jeziorny", "Kurier Jeziorny"),
        ("Kaynak: Göl Gazetesi", "Göl Gazetesi"),
        ("Quelle: Seebote", "Seebote"),
        ("Fuente: Diario del Lago", "Diario del Lago"),
        ("Джерело: Озерний вісник", "Озерний вісник"),
        ("منبع: روزنامه دریاچه", "روزنامه دریاچه"),
        ("来源：湖畔日报", "湖畔日报"),
    ] {
        let s = story_of(&format!(
            "Ferry returns to the lake after two years\n\n{LONG_EN}\n\n{line}\n"
        ));
        assert_eq!(s.publisher.as_deref(), Some(publisher), "{line}");
        assert_eq!(removed_by(&s, "source"), [line], "{line}");
    }
}

#[test]
fn arabic_agency_credit_in_parentheses() {
    let s = story_of("عبارة تعود إلى البحيرة بعد عامين\n\nبيروت (أ ف ب) - عادت العبارة إلى العمل في البحيرة بعد عامين من أعمال الصيانة، وقال المشغل إن الرحلات ستكون يومية.\n\nوأضاف أن الأسعار لن ترتفع.\n");
    assert_eq!(s.dateline.as_deref(), Some("بيروت"));
    assert_eq!(ids(&s), ["afp"]);
}
