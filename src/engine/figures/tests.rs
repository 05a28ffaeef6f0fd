//! Unit tests on invented sentences (never corpus text).

use super::*;
use crate::data::DataSet;
use crate::engine::language::Languages;
use std::sync::LazyLock;

static RULES: LazyLock<FigureRules> = LazyLock::new(|| {
    let data = DataSet::builtin();
    let languages = Languages::from_files(&data.languages).expect("builtin language models");
    FigureRules::from_files(&data.figures, &languages).expect("builtin figures data loads")
});

use FigureCategory::*;
use Qualifier::{Approx, Exact, Max, Min};

/// Compact view of one figure: (category, value, vague, qualifier, who).
type Row = (
    FigureCategory,
    Option<u64>,
    Option<&'static str>,
    Qualifier,
    Option<FigureWho>,
);

fn rows(text: &str, lang: &str) -> Vec<Row> {
    RULES
        .extract(text, lang)
        .into_iter()
        .map(|f| {
            let vague = f.quantity.vague.as_deref().map(|v| match v {
                "dozens" => "dozens",
                "scores" => "scores",
                "hundreds" => "hundreds",
                "thousands" => "thousands",
                "tens_of_thousands" => "tens_of_thousands",
                "hundreds_of_thousands" => "hundreds_of_thousands",
                "millions" => "millions",
                other => panic!("unexpected vague label {other}"),
            });
            (
                f.category,
                f.quantity.value,
                vague,
                f.quantity.qualifier,
                f.who,
            )
        })
        .collect()
}

fn n(c: FigureCategory, v: u64, q: Qualifier, who: Option<FigureWho>) -> Row {
    (c, Some(v), None, q, who)
}

fn vague(c: FigureCategory, label: &'static str, who: Option<FigureWho>) -> Row {
    (c, None, Some(label), Exact, who)
}

const POLICE: Option<FigureWho> = Some(FigureWho::Police);
const PROTESTERS: Option<FigureWho> = Some(FigureWho::Protesters);
const CIVILIANS: Option<FigureWho> = Some(FigureWho::Civilians);
const SOLDIERS: Option<FigureWho> = Some(FigureWho::Soldiers);

// ------------------------------------------------------------------ English

#[test]
fn en_basic_figures_and_qualifiers() {
    assert_eq!(
        rows(
            "At least 12 people were killed and 40 injured in the riots.",
            "en"
        ),
        vec![n(Killed, 12, Min, None), n(Injured, 40, Exact, None)]
    );
    assert_eq!(
        rows(
            "Officials said up to 300 demonstrators had been detained.",
            "en"
        ),
        vec![n(Arrested, 300, Max, PROTESTERS)]
    );
    assert_eq!(
        rows("Nearly 2,500 residents fled the town overnight.", "en"),
        vec![n(Displaced, 2500, Approx, CIVILIANS)]
    );
    assert_eq!(
        rows("The death toll rose to 57 on Tuesday.", "en"),
        vec![n(Killed, 57, Exact, None)]
    );
}

#[test]
fn en_number_words_and_vague() {
    assert_eq!(
        rows("Twenty-five soldiers were wounded.", "en"),
        vec![n(Injured, 25, Exact, SOLDIERS)]
    );
    assert_eq!(
        rows("A dozen police officers were hurt.", "en"),
        vec![n(Injured, 12, Exact, POLICE)]
    );
    assert_eq!(
        rows("Two hundred and fifty protesters were arrested.", "en"),
        vec![n(Arrested, 250, Exact, PROTESTERS)]
    );
    assert_eq!(
        rows("Dozens were killed and thousands were displaced.", "en"),
        vec![
            vague(Killed, "dozens", None),
            vague(Displaced, "thousands", None)
        ]
    );
    assert_eq!(
        rows("Tens of thousands of refugees crossed the border.", "en"),
        vec![vague(Displaced, "tens_of_thousands", None)]
    );
    assert_eq!(
        rows("Scores of civilians died in the shelling.", "en"),
        vec![vague(Killed, "scores", CIVILIANS)]
    );
    assert_eq!(
        rows("The fighting has displaced 1.5 million people.", "en"),
        vec![n(Displaced, 1_500_000, Exact, None)]
    );
}

#[test]
fn en_police_as_source_is_not_who() {
    assert_eq!(
        rows("Police said 14 people died in the clashes.", "en"),
        vec![n(Killed, 14, Exact, None)]
    );
}

#[test]
fn en_false_positives() {
    // years, dates, times, percentages, money, equipment, ages
    assert!(rows("In 2022 the army lost 70 aircraft.", "en").is_empty());
    assert!(rows("He was killed on 6 January.", "en").is_empty());
    assert!(rows("The victim, aged 18, died in hospital.", "en").is_empty());
    assert_eq!(
        rows("Prices rose 15% after 3 people were killed.", "en"),
        vec![n(Killed, 3, Exact, None)]
    );
    assert_eq!(
        rows("Two men were arrested at 11:45 on Sunday.", "en"),
        vec![n(Arrested, 2, Exact, None)]
    );
    assert!(rows("The dead man owed $5,000.", "en").is_empty());
    assert!(rows(
        "The injured were taken to 3 hospitals in 12-hour shifts.",
        "en"
    )
    .is_empty());
    assert!(rows("Call +7 727 555 0199 if you were detained.", "en").is_empty());
    assert!(rows("The fifth person killed was a teacher.", "en").is_empty());
    assert!(rows("Those killed in 2014 were remembered.", "en").is_empty());
}

// ------------------------------------------------------------------ Russian

#[test]
fn ru_figures_with_case_forms() {
    assert_eq!(
        rows(
            "В ходе беспорядков погибли не менее 30 человек, ранены более 200.",
            "ru"
        ),
        vec![n(Killed, 30, Min, None), n(Injured, 200, Min, None)]
    );
    assert_eq!(
        rows("Задержаны около 1 200 протестующих.", "ru"),
        vec![n(Arrested, 1200, Approx, PROTESTERS)]
    );
    assert_eq!(
        rows("Число погибших возросло до 45.", "ru"),
        vec![n(Killed, 45, Exact, None)]
    );
    assert_eq!(
        rows("Пострадали до 15 сотрудников полиции.", "ru"),
        vec![n(Injured, 15, Max, POLICE)]
    );
    assert_eq!(
        rows("Трое военнослужащих погибли.", "ru"),
        vec![n(Killed, 3, Exact, SOLDIERS)]
    );
    assert_eq!(
        rows("Из города эвакуированы 1,5 млн мирных жителей.", "ru"),
        vec![n(Displaced, 1_500_000, Exact, CIVILIANS)]
    );
    assert_eq!(
        rows("Двадцать пять человек задержаны.", "ru"),
        vec![n(Arrested, 25, Exact, None)]
    );
}

#[test]
fn ru_vague_quantities() {
    assert_eq!(
        rows(
            "Десятки человек погибли, сотни ранены, тысячи задержаны.",
            "ru"
        ),
        vec![
            vague(Killed, "dozens", None),
            vague(Injured, "hundreds", None),
            vague(Arrested, "thousands", None)
        ]
    );
    assert_eq!(
        rows("Десятки тысяч беженцев покинули страну.", "ru"),
        vec![vague(Displaced, "tens_of_thousands", None)]
    );
    assert_eq!(
        rows("Задержаны 5 тыс. человек.", "ru"),
        vec![n(Arrested, 5000, Exact, None)]
    );
}

#[test]
fn ru_false_positives() {
    assert!(rows("Погибшие в 2014 году не забыты.", "ru").is_empty());
    assert!(rows("Его задержали 6 января.", "ru").is_empty());
    assert!(rows("Пострадал мужчина в возрасте 40 лет.", "ru").is_empty());
    assert!(rows("Погибли 10% животных.", "ru").is_empty());
}

// ------------------------------------------------------------------ Arabic

#[test]
fn ar_clitics_number_words_and_qualifiers() {
    assert_eq!(
        rows("وقُتل ثلاثة جنود وأصيب خمسة وعشرون مدنياً.", "ar"),
        vec![
            n(Killed, 3, Exact, SOLDIERS),
            n(Injured, 25, Exact, CIVILIANS)
        ]
    );
    assert_eq!(
        rows("اعتقلت الشرطة نحو ثلاثة آلاف متظاهر.", "ar"),
        vec![n(Arrested, 3000, Approx, PROTESTERS)]
    );
    assert_eq!(
        rows("نزح ما لا يقل عن ١٢٬٠٠٠ شخص.", "ar"),
        vec![n(Displaced, 12000, Min, None)]
    );
    assert_eq!(
        rows("سقط عشرات القتلى ومئات الجرحى واعتقال عشرات الآلاف.", "ar"),
        vec![
            vague(Killed, "dozens", None),
            vague(Injured, "hundreds", None),
            vague(Arrested, "tens_of_thousands", None)
        ]
    );
}

#[test]
fn coordination_inside_the_counted_noun_phrase_does_not_separate() {
    assert_eq!(
        rows("وكان 30 جنديا وأفراد عائلاتهم قد قتلوا في الحادث.", "ar"),
        vec![n(Killed, 30, Exact, SOLDIERS)]
    );
    // but a coordinated trigger does: the clubs were raided, a referee arrested
    assert!(rows("داهمت الشرطة 35 ناديا رياضيا واعتقلت حكما.", "ar").is_empty());
    // a word number after a unit word is a count again
    assert_eq!(
        rows("К этому часу трое раненых доставлены в больницу.", "ru"),
        vec![n(Injured, 3, Exact, None)]
    );
}

#[test]
fn ar_false_positives() {
    assert!(rows("وصلت 40 طائرة إلى المطار في 6 يناير 2022.", "ar").is_empty());
    assert!(rows("قتل الرجل البالغ 45 عاما.", "ar").is_empty());
    // a place name ("كفر …") is not ك + "فر" (fled); countries are not people
    assert_eq!(
        rows("قتل 80 شخصا، من بينهم 14 طفلا في بلدات كفر بطنا.", "ar"),
        vec![n(Killed, 80, Exact, None)]
    );
    assert!(rows("أصاب الفيروس أكثر من 50 بلدا.", "ar").is_empty());
    assert_eq!(
        rows("وفرّ نحو 16 ألف شخص من المدينة.", "ar"),
        vec![n(Displaced, 16000, Approx, None)]
    );
}

#[test]
fn ranges_years_ages_rates_and_pronoun_one() {
    // a range: its lower bound, as a minimum (the annotation convention: a number is
    // an integer lower bound)
    assert_eq!(
        rows("Between 200 or 300 people were injured.", "en"),
        vec![n(Injured, 200, Min, None)]
    );
    assert_eq!(
        rows("Ранены от пяти до 15 человек.", "ru"),
        vec![n(Injured, 5, Min, None)]
    );
    assert!(rows(
        "Его приговорили к 15 суткам ареста, потом к 10 суткам ареста.",
        "ru"
    )
    .iter()
    .all(|r| r.1 != Some(15) && r.1 != Some(10)));
    // a year right before a trigger, after a year word
    assert!(rows("Since 2014 killed men have been counted.", "en").is_empty());
    assert!(rows("سقطت طائرة عام 2014 وأصيب ركابها.", "ar").is_empty());
    // ages and rates
    assert!(rows("توفي رجل في الخمسين من العمر.", "ar").is_empty());
    assert!(rows("Seven deaths per 100,000 people were recorded.", "en")
        .iter()
        .all(|r| r.1 != Some(100_000)));
    // "one" as a pronoun is not a count; "one person" and "at least one" are
    assert!(rows("It was the largest one in terms of people killed.", "en").is_empty());
    assert_eq!(
        rows("One person died and at least one was hurt.", "en"),
        vec![n(Killed, 1, Exact, None), n(Injured, 1, Min, None)]
    );
}

#[test]
fn scale_words_after_qualifiers_and_remainders() {
    assert_eq!(
        rows("Задержаны более тысячи человек.", "ru"),
        vec![n(Arrested, 1000, Min, None)]
    );
    assert_eq!(
        rows("Погибли 2 тысячи 635 человек.", "ru"),
        vec![n(Killed, 2635, Exact, None)]
    );
    assert_eq!(
        rows("أسفر الهجوم عن تسعة قتلى على الأقل بينهم شرطيان.", "ar"),
        vec![n(Killed, 9, Min, None)]
    );
}

// ------------------------------------------------------------------ mechanics

#[test]
fn unknown_or_wrong_language_falls_back_to_script() {
    let want = vec![n(Killed, 12, Min, None)];
    assert_eq!(rows("At least 12 people were killed.", "und"), want);
    assert_eq!(rows("At least 12 people were killed.", "ar"), want);
    assert_eq!(
        rows("Погибли 7 человек.", "en"),
        vec![n(Killed, 7, Exact, None)]
    );
}

#[test]
fn spans_are_char_offsets_of_the_sentence() {
    let body = "Ёлка.\n\nU.S. officials said 2.5 tonnes fell. Later 12 people were killed.";
    let figs = RULES.extract(body, "en");
    assert_eq!(figs.len(), 1, "{figs:#?}");
    let (s, e) = figs[0].span;
    let slice: String = body.chars().skip(s).take(e - s).collect();
    assert_eq!(slice, "Later 12 people were killed.");
    assert_eq!(figs[0].sentence, slice);
    assert_eq!(figs[0].quantity.text, "12");
}

#[test]
fn sentence_segmentation_keeps_abbreviations_and_decimals() {
    let text = "The U.S. said 2.5 tonnes left. أعلنت أ.ف.ب الخبر. Это т.е. пять тыс. человек! Done? Ok. and on.";
    let chars: Vec<char> = text.chars().collect();
    let got: Vec<String> = scan::sentences(&chars, &RULES.abbreviations)
        .into_iter()
        .map(|(s, e)| chars[s..e].iter().collect())
        .collect();
    assert_eq!(
        got,
        vec![
            "The U.S. said 2.5 tonnes left.",
            "أعلنت أ.ف.ب الخبر.",
            "Это т.е. пять тыс. человек!",
            "Done?",
            "Ok. and on."
        ]
    );
}

#[test]
fn unpunctuated_text_is_cut_into_bounded_sentences() {
    let text = "and 5 people were killed the 12 ".repeat(2000);
    let figs = RULES.extract(&text, "en");
    assert!(!figs.is_empty());
    assert!(figs
        .iter()
        .all(|f| f.sentence.chars().count() <= 2 * scan::MAX_SENTENCE_CHARS));
    let word = "x".repeat(5 * scan::MAX_SENTENCE_CHARS);
    let chars: Vec<char> = word.chars().collect();
    assert!(scan::sentences(&chars, &RULES.abbreviations)
        .iter()
        .all(|(s, e)| e - s <= 2 * scan::MAX_SENTENCE_CHARS));
}

#[test]
fn number_parsing() {
    let num = |s: &str| -> Option<(Option<u64>, bool)> {
        let chars: Vec<char> = crate::engine::normalize::fold(s).chars().collect();
        scan::tokenize(&chars)
            .into_iter()
            .find_map(|t| match t.kind {
                Kind::Number(n) => Some((n.int, n.has_frac)),
                _ => None,
            })
    };
    assert_eq!(num("2,000"), Some((Some(2000), false)));
    assert_eq!(num("2 000"), Some((Some(2000), false)));
    assert_eq!(num("2٬000"), Some((Some(2000), false)));
    assert_eq!(num("٥١٣٥"), Some((Some(5135), false)));
    assert_eq!(num("۱۲"), Some((Some(12), false)));
    assert_eq!(num("1,234,567"), Some((Some(1_234_567), false)));
    assert_eq!(num("1,5 млн"), Some((Some(1), true)));
    assert_eq!(num("2.5"), Some((Some(2), true)));
    // a four-digit first group is not grouped with what follows ("in 2022 300 …")
    assert_eq!(num("2022 300"), Some((Some(2022), false)));
    assert_eq!(num("99999999999999999999999"), Some((None, false)));
}

#[test]
fn dedup_and_order_are_deterministic() {
    let body = "Dozens were injured. 5 people were killed and 5 people were killed.";
    let a = RULES.extract(body, "en");
    let b = RULES.extract(body, "en");
    assert_eq!(a, b);
    let got: Vec<_> = a.iter().map(|f| (f.span.0, f.category)).collect();
    assert_eq!(got, vec![(0, Injured), (21, Killed)]);
}

#[test]
fn never_panics_on_odd_input() {
    for s in [
        "",
        "\n\n\n",
        "...!!!???",
        "5",
        "killed",
        "1,",
        "1.",
        "1,00",
        "- 5 -",
        "٬٫٬",
        "ا ل و",
        "وال",
        "killed 18446744073709551615 people",
        "killed 99999999999999999999 million people",
        "e\u{301}\u{301}\u{301} 5 killed",
        "قُتِلَ ٥٫٥ مليون",
        "\u{200f}12\u{200f} killed",
    ] {
        let _ = RULES.extract(s, "und");
    }
}

// ------------------------------------------------------------------ data errors

/// The built-in language models plus a test language `xx` (Latin script, with a
/// coordinating clitic "e" and a plain clitic "d").
fn languages() -> Languages {
    let mut files = DataSet::builtin().languages;
    files.push(DataFile {
        name: "languages/xx.toml".into(),
        text: "code = \"xx\"\nname = \"Test\"\nscript = \"Latin\"\n[clitics]\nprefixes = [\"e\", \"d\"]\nconjunctions = [\"e\"]\n".into(),
    });
    Languages::from_files(&files).expect("test language models")
}

fn load(text: &str) -> Result<FigureRules, Vec<DataError>> {
    FigureRules::from_files(
        &[DataFile {
            name: "figures/xx.toml".into(),
            text: text.into(),
        }],
        &languages(),
    )
}

#[test]
fn a_lexicon_needs_a_language_model() {
    let err = load("# no model for yy\nlanguage = \"yy\"\n[triggers]\nkilled = [\"dead\"]\n")
        .unwrap_err();
    assert_eq!(err.len(), 1, "{err:?}");
    assert_eq!(err[0].line, 2, "{err:?}");
    assert!(err[0].message.contains("data/languages/yy.toml"), "{err:?}");
}

#[test]
fn clitics_come_from_the_language_model() {
    // "dmorti" = clitic d + "morti"; the language model lists d, the lexicon does not
    let rules =
        load("language = \"xx\"\n[triggers]\nkilled = [\"morti\"]\n[numbers]\ntre = 3\n").unwrap();
    let figs = rules.extract("Tre dmorti.", "xx");
    assert_eq!(figs.len(), 1, "{figs:?}");
    assert_eq!(figs[0].quantity.value, Some(3));
    // a figures file may no longer keep its own list
    let err = load("language = \"xx\"\nprefixes = [\"d\"]\n").unwrap_err();
    assert_eq!(err[0].line, 2, "{err:?}");
}

#[test]
fn malformed_toml_reports_line() {
    let err = load("language = \"xx\"\n# test\n\n[triggers]\nkilled = [\"dead\"\n").unwrap_err();
    assert_eq!(err.len(), 1);
    assert_eq!(err[0].file, "figures/xx.toml");
    assert!(err[0].line >= 5, "{err:?}");
}

#[test]
fn unknown_field_reports_line() {
    let err = load("language = \"xx\"\n# test\n[triggers]\nkiled = [\"dead\"]\n").unwrap_err();
    assert_eq!(err[0].line, 4, "{err:?}");
    assert!(err[0].message.contains("kiled"), "{err:?}");
}

#[test]
fn invalid_entries_report_line() {
    let text = "language = \"xx\"\n# test\n[triggers]\nkilled = [\"dead\",\n  \"k*\"]\ninjured = [\"dead\"]\n";
    let err = load(text).unwrap_err();
    let lines: Vec<usize> = err.iter().map(|e| e.line).collect();
    assert_eq!(lines, vec![5, 6], "{err:?}");
    assert!(err[0].message.contains("too short"));
    assert!(err[1].message.contains("both"));
}

#[test]
fn a_new_language_is_a_data_file() {
    let text = r#"
language = "xx"
[triggers]
killed = ["morti"]
[numbers]
tre = 3
"#;
    let rules = load(text).unwrap();
    let figs = rules.extract("Tre morti.", "xx");
    assert_eq!(figs.len(), 1);
    assert_eq!(figs[0].quantity.value, Some(3));
}

// ------------------------------------------------------------------ number formats

#[test]
fn digit_grouping_decimal_scales_and_ranges() {
    // 1.000 / 1 000 / NBSP / narrow NBSP / 1,000
    for text in [
        "Plus de 10.000 personnes ont été arrêtées.",
        "Plus de 10 000 personnes ont été arrêtées.",
        "Plus de 10\u{a0}000 personnes ont été arrêtées.",
        "Plus de 10\u{202f}000 personnes ont été arrêtées.",
    ] {
        assert_eq!(
            rows(text, "fr"),
            vec![n(Arrested, 10_000, Min, None)],
            "{text}"
        );
    }
    assert_eq!(
        rows("More than 1,000 people were detained.", "en"),
        vec![n(Arrested, 1000, Min, None)]
    );
    // decimal comma or point before an abbreviated scale: "4,4 tys.", "2,3 mln", "4.8 milioni"
    assert_eq!(
        rows("Zatrzymano 4,4 tys. osób w całym kraju.", "pl"),
        vec![n(Arrested, 4400, Exact, None)]
    );
    assert_eq!(
        rows("Do Polski przybyło ponad 2,3 mln uchodźców.", "pl"),
        vec![n(Displaced, 2_300_000, Min, None)]
    );
    assert_eq!(
        rows("Gli sfollati sono oltre 4.8 milioni.", "it"),
        vec![n(Displaced, 4_800_000, Min, None)]
    );
    assert_eq!(
        rows("Oltre 4mila feriti negli scontri.", "it"),
        vec![n(Injured, 4000, Min, None)]
    );
    // ranges keep the lower bound: "between 30 and 70", "30-70", "30 to 70"
    for (text, lang) in [
        ("Between 30 and 70 people were killed.", "en"),
        ("30-70 people were killed.", "en"),
        ("Zwischen 30 und 70 Menschen kamen ums Leben.", "de"),
        ("Entre 30 y 70 personas murieron.", "es"),
        ("30至70人死亡。", "zh"),
    ] {
        assert_eq!(rows(text, lang), vec![n(Killed, 30, Min, None)], "{text}");
    }
    assert_eq!(
        rows("Zelensky stimò che 2.500-3mila soldati siano morti.", "it"),
        vec![n(Killed, 2500, Min, SOLDIERS)]
    );
    // a range of years is no range of people
    assert!(rows("In 2014-2022 many were killed.", "en").is_empty());
}

#[test]
fn persian_and_arabic_indic_digits() {
    assert_eq!(
        rows("در این درگیری دست کم ۳۰ نفر کشته شدند.", "fa"),
        vec![n(Killed, 30, Min, None)]
    );
    assert_eq!(
        rows("أسفرت المواجهات عن مقتل ١٢ شخصا.", "ar"),
        vec![n(Killed, 12, Exact, None)]
    );
}

#[test]
fn case_endings_after_a_number() {
    assert_eq!(
        rows("Жараланғандар саны 84 494-ке жетті.", "kk"),
        vec![n(Injured, 84_494, Exact, None)]
    );
    assert_eq!(
        rows("Çatışmalarda 200'den fazla kişi yaralandı.", "tr"),
        vec![n(Injured, 200, Min, None)]
    );
    // an ordinal ending is not a count
    assert!(rows("5'inci kez yaralandı.", "tr").is_empty());
}

// ------------------------------------------------------------------ per language

#[test]
fn de_figures() {
    assert_eq!(
        rows(
            "Bei den Zusammenstößen wurden mindestens 12 Menschen getötet und 1.300 verletzt.",
            "de"
        ),
        vec![n(Killed, 12, Min, None), n(Injured, 1300, Exact, None)]
    );
    assert_eq!(
        rows("Die Polizei nahm Dutzende Demonstranten fest.", "de"),
        vec![vague(Arrested, "dozens", PROTESTERS)]
    );
    assert_eq!(
        rows("Hunderttausende Menschen wurden vertrieben.", "de"),
        vec![vague(Displaced, "hundreds_of_thousands", None)]
    );
    // "im Januar mindestens 238": a month before a qualifier is no date
    assert_eq!(
        rows(
            "Bei den Unruhen starben im Januar mindestens 238 Menschen.",
            "de"
        ),
        vec![n(Killed, 238, Min, None)]
    );
    assert_eq!(
        rows("Zwei weitere Soldaten seien verletzt worden.", "de"),
        vec![n(Injured, 2, Exact, SOLDIERS)]
    );
}

#[test]
fn fr_figures() {
    assert_eq!(
        rows(
            "Au moins 225 personnes ont été tuées et 4 500 blessées.",
            "fr"
        ),
        vec![n(Killed, 225, Min, None), n(Injured, 4500, Exact, None)]
    );
    assert_eq!(
        rows("Une centaine de manifestants ont été interpellés.", "fr"),
        vec![n(Arrested, 100, Exact, PROTESTERS)]
    );
    assert_eq!(
        rows(
            "Des dizaines de milliers de personnes ont fui la ville.",
            "fr"
        ),
        vec![vague(Displaced, "tens_of_thousands", None)]
    );
    assert_eq!(
        rows("Douze membres des forces de l'ordre ont été tués.", "fr"),
        vec![n(Killed, 12, Exact, POLICE)]
    );
}

#[test]
fn es_figures() {
    assert_eq!(
        rows(
            "Más de 200 personas murieron y decenas resultaron heridas.",
            "es"
        ),
        vec![n(Killed, 200, Min, None), vague(Injured, "dozens", None)]
    );
    assert_eq!(
        rows("La policía informó de un centenar de detenidos.", "es"),
        vec![n(Arrested, 100, Exact, None)]
    );
    // a list shares the trigger stated after its last member
    assert_eq!(
        rows(
            "Las regiones más afectadas registraron 12, 7 y 3 fallecidos.",
            "es"
        ),
        vec![
            n(Killed, 12, Exact, None),
            n(Killed, 7, Exact, None),
            n(Killed, 3, Exact, None)
        ]
    );
    // a subset with its who takes the category of the whole
    assert_eq!(
        rows("Murieron 40 personas, entre ellas dos niños.", "es"),
        vec![n(Killed, 40, Exact, None), n(Killed, 2, Exact, CIVILIANS)]
    );
}

#[test]
fn it_figures() {
    assert_eq!(
        rows(
            "Almeno 15 persone sono state ferite e una decina sono morte.",
            "it"
        ),
        vec![n(Killed, 10, Exact, None), n(Injured, 15, Min, None)]
    );
    assert_eq!(
        rows("Sessantasei manifestanti sono stati arrestati.", "it"),
        vec![n(Arrested, 66, Exact, PROTESTERS)]
    );
    assert_eq!(
        rows("Decine di migliaia di persone sono sfollate.", "it"),
        vec![vague(Displaced, "tens_of_thousands", None)]
    );
}

#[test]
fn pt_figures() {
    // no Portuguese pages in the development corpus: invented sentences only
    assert_eq!(
        rows(
            "Pelo menos 12 pessoas morreram e outras 30 ficaram feridas no ataque.",
            "pt"
        ),
        vec![n(Killed, 12, Min, None), n(Injured, 30, Exact, None)]
    );
    assert_eq!(
        rows("A polícia deteve cerca de 1.500 manifestantes.", "pt"),
        vec![n(Arrested, 1500, Approx, PROTESTERS)]
    );
    assert_eq!(
        rows("Milhares de pessoas foram deslocadas pelos combates.", "pt"),
        vec![vague(Displaced, "thousands", None)]
    );
    assert_eq!(
        rows("Entre 40 e 60 civis morreram no bombardeio.", "pt"),
        vec![n(Killed, 40, Min, CIVILIANS)]
    );
    assert_eq!(
        rows(
            "Dezenas de soldados foram mortos e duzentos ficaram feridos.",
            "pt"
        ),
        vec![
            vague(Killed, "dozens", SOLDIERS),
            n(Injured, 200, Exact, None)
        ]
    );
}

#[test]
fn pl_figures() {
    assert_eq!(
        rows(
            "Zginęło co najmniej trzech cywilów, a 22 osoby zostały ranne.",
            "pl"
        ),
        vec![n(Killed, 3, Min, CIVILIANS), n(Injured, 22, Exact, None)]
    );
    assert_eq!(
        rows("Rannych zostało 17 osób, w tym dwoje dzieci.", "pl"),
        vec![n(Injured, 17, Exact, None), n(Injured, 2, Exact, CIVILIANS)]
    );
    assert_eq!(
        rows("Dziesiątki zabitych i setki rannych.", "pl"),
        vec![
            vague(Killed, "dozens", None),
            vague(Injured, "hundreds", None)
        ]
    );
    assert_eq!(
        rows("Policja zatrzymała dwudziestu demonstrantów.", "pl"),
        vec![n(Arrested, 20, Exact, PROTESTERS)]
    );
}

#[test]
fn tr_figures() {
    assert_eq!(
        rows("Çatışmalarda en az 7 kişi hayatını kaybetti.", "tr"),
        vec![n(Killed, 7, Min, None)]
    );
    assert_eq!(
        rows("Polis yüzlerce göstericiyi gözaltına aldı.", "tr"),
        vec![vague(Arrested, "hundreds", PROTESTERS)]
    );
    assert_eq!(
        rows("Onlarca kişi yaralandı.", "tr"),
        vec![vague(Injured, "dozens", None)]
    );
}

#[test]
fn uk_figures() {
    assert_eq!(
        rows(
            "Внаслідок атаки загинули шестеро людей, ще понад двадцять отримали поранення.",
            "uk"
        ),
        vec![n(Killed, 6, Exact, None), n(Injured, 20, Min, None)]
    );
    assert_eq!(
        rows("Поліція затримала близько десятка людей.", "uk"),
        vec![n(Arrested, 10, Approx, None)]
    );
    // the apostrophe splits "п'ятеро" in the text and in the lexicon alike; the second
    // member of the list shares the trigger
    assert_eq!(
        rows("До лікарень доставлено 10 та ще п'ятеро людей.", "uk"),
        vec![n(Injured, 10, Exact, None), n(Injured, 5, Exact, None)]
    );
}

#[test]
fn kk_figures() {
    assert_eq!(
        rows("Қақтығыста кемінде 10 адам қаза тапты.", "kk"),
        vec![n(Killed, 10, Min, None)]
    );
    assert_eq!(
        rows("Жүздеген адам жараланды.", "kk"),
        vec![vague(Injured, "hundreds", None)]
    );
    assert_eq!(
        rows(
            "Соғыс салдарынан 2 миллион 316 мың босқын шекарадан өтті.",
            "kk"
        ),
        vec![n(Displaced, 2_316_000, Exact, None)]
    );
    assert_eq!(
        rows("Босқындар саны 4 миллионнан асты.", "kk"),
        vec![n(Displaced, 4_000_000, Min, None)]
    );
}

#[test]
fn fa_figures() {
    // "ده‌ها" with its zero-width non-joiner, as the page writes it
    assert_eq!(
        rows("دست کم ۳۰ نفر کشته و ده\u{200c}ها نفر زخمی شدند.", "fa"),
        vec![n(Killed, 30, Min, None), vague(Injured, "dozens", None)]
    );
    assert_eq!(
        rows("پلیس ۱۵۰۰ معترض را بازداشت کرد.", "fa"),
        vec![n(Arrested, 1500, Exact, PROTESTERS)]
    );
    assert_eq!(
        rows("هزاران نفر آواره شدند.", "fa"),
        vec![vague(Displaced, "thousands", None)]
    );
}

#[test]
fn zh_figures() {
    // no spaces: triggers and numbers abut
    assert_eq!(
        rows("骚乱已造成至少164人死亡，另有317人受伤。", "zh"),
        vec![n(Killed, 164, Min, None), n(Injured, 317, Exact, None)]
    );
    assert_eq!(
        rows("警方逮捕约200名抗议者。", "zh"),
        vec![n(Arrested, 200, Approx, PROTESTERS)]
    );
    // 十几 (ten-odd), 上百 (a hundred or so), 80多 (80-odd), 2万, 三十, 数十
    assert_eq!(
        rows("冲突中死了十几个人，伤了上百人。", "zh"),
        vec![n(Killed, 10, Min, None), n(Injured, 100, Exact, None)]
    );
    assert_eq!(
        rows("当天80多人受伤。", "zh"),
        vec![n(Injured, 80, Min, None)]
    );
    assert_eq!(
        rows("已有2万名士兵阵亡。", "zh"),
        vec![n(Killed, 20_000, Exact, SOLDIERS)]
    );
    assert_eq!(rows("三十人遇难。", "zh"), vec![n(Killed, 30, Exact, None)]);
    assert_eq!(
        rows("数十名示威者被捕。", "zh"),
        vec![vague(Arrested, "dozens", PROTESTERS)]
    );
    assert_eq!(
        rows("事故造成三百二十人死亡。", "zh"),
        vec![n(Killed, 320, Exact, None)]
    );
    // dates and ages next to a trigger are no counts
    assert!(rows("2022年1月5日，一名死者的家属发声。", "zh")
        .iter()
        .all(|r| r.1 != Some(2022) && r.1 != Some(5)));
}

#[test]
fn a_trigger_after_its_own_number_is_not_shared_forward() {
    assert_eq!(
        rows(
            "150 detained as tens of thousands rally in the capital.",
            "en"
        ),
        vec![n(Arrested, 150, Exact, None)]
    );
}

#[test]
fn an_attribution_aside_does_not_separate_a_figure_from_its_trigger() {
    assert_eq!(
        rows(
            "Swoje domy opuściło – według danych ONZ – ponad 3,5 mln osób.",
            "pl"
        ),
        vec![n(Displaced, 3_500_000, Min, None)]
    );
    assert_eq!(
        rows(
            "Gli sfollati, secondo le agenzie, sono oltre 2 milioni.",
            "it"
        ),
        vec![n(Displaced, 2_000_000, Min, None)]
    );
    // "according to police" names the source, not who was arrested
    assert_eq!(
        rows("Some 40 people, according to police, were detained.", "en"),
        vec![n(Arrested, 40, Approx, None)]
    );
    // an aside holding a number is not an attribution: it stays a clause of its own
    assert!(rows("Gli sfollati, secondo 3 fonti, sono tanti.", "it").is_empty());
}

#[test]
fn ar_duals_of_person_nouns_count_two_and_a_worker_is_not_a_year() {
    assert_eq!(
        rows("وأوقفت السلطات الناشطان في المطار.", "ar"),
        vec![n(Arrested, 2, Exact, None)]
    );
    // "عامل" (worker) begins like "عام" (year) but is no unit; the police who
    // detain are not who was detained
    assert_eq!(
        rows("احتجزت الشرطة أكثر من 60 عامل في المصنع.", "ar"),
        vec![n(Arrested, 60, Min, None)]
    );
}

#[test]
fn ru_and_uk_ranges_keep_the_lower_bound() {
    assert_eq!(
        rows("Задержаны от 5 до 15 человек.", "ru"),
        vec![n(Arrested, 5, Min, None)]
    );
    assert_eq!(
        rows("Поранено від 12 до 20 людей.", "uk"),
        vec![n(Injured, 12, Min, None)]
    );
}
