//! Language identification: ISO 639-1 code with a confidence.
//!
//! `whatlang` (trigram models for ~70 languages) does the statistics; the language
//! models (`data/languages/*.toml`, [`Languages`]) add the evidence it lacks or blurs:
//! - Han characters are Chinese (Simplified or Traditional);
//! - within Cyrillic, the letters only Kazakh uses (ә ғ қ ң ө ұ ү һ і) and those only
//!   Ukrainian uses (ї є ґ) are sharper than trigrams on short news text;
//! - Kazakh in the Latin alphabet (á ǵ ń ó ú ý ı and its function words), which
//!   whatlang has no model for;
//! - close pairs (Portuguese/Spanish, Persian/Arabic, Ukrainian/Russian) are settled by
//!   the languages' function words when the trigram guess is one of them.
//!
//! A language declared by the container (`xml:lang`, ninjs `language`) is trusted when
//! the text is too short to judge.

use std::borrow::Cow;

use crate::engine::hash::Set;

use crate::engine::chars::CharClass;
use crate::engine::language::{LanguageModel, Languages, Script};
use crate::engine::normalize::caseless;
use crate::model::{CleanArticle, LanguageGuess};
use whatlang::Lang;

/// Enough text to judge; more only costs time.
const SAMPLE_CHARS: usize = 3000;

/// Detect the language of an article (headline + body).
pub fn detect(article: &CleanArticle, languages: &Languages) -> LanguageGuess {
    let mut sample = String::with_capacity(SAMPLE_CHARS * 2);
    if let Some(h) = &article.headline {
        sample.push_str(h);
        sample.push('\n');
    }
    for p in &article.paragraphs {
        if sample.len() >= SAMPLE_CHARS * 2 {
            break;
        }
        sample.push_str(p);
        sample.push('\n');
    }
    let cut = sample
        .char_indices()
        .nth(SAMPLE_CHARS)
        .map_or(sample.len(), |(i, _)| i);
    sample.truncate(cut);
    let declared = article
        .declared_language
        .as_deref()
        .map(|l| l.split(['-', '_']).next().unwrap_or(l).to_ascii_lowercase());
    detect_text(&sample, declared.as_deref(), languages)
}

/// Letters per script in a sample.
#[derive(Debug, Default)]
struct ScriptCounts {
    letters: usize,
    latin: usize,
    cyrillic: usize,
    arabic: usize,
    han: usize,
}

fn count_scripts(text: &str) -> ScriptCounts {
    let mut c = ScriptCounts::default();
    for ch in text.chars() {
        if !ch.is_alpha() {
            continue;
        }
        c.letters += 1;
        match Script::of(ch) {
            Some(Script::Latin) => c.latin += 1,
            Some(Script::Cyrillic) => c.cyrillic += 1,
            Some(Script::Arabic) => c.arabic += 1,
            Some(Script::Han) => c.han += 1,
            _ => {}
        }
    }
    c
}

/// Detect the language of a text; `declared` is the container's claim, if any.
pub fn detect_text(text: &str, declared: Option<&str>, languages: &Languages) -> LanguageGuess {
    let counts = count_scripts(text);
    let words = TextWords::new(text);
    // Ideographs carry a word each: 10 of them are as much text as 20 letters.
    if counts.letters < 20 && counts.han < 10 {
        return match declared {
            Some(code) => guess(code, 0.5),
            None => guess("und", 0.0),
        };
    }
    if counts.han * 2 >= counts.letters && languages.get("zh").is_some() {
        return guess("zh", 0.95);
    }
    if counts.cyrillic * 2 >= counts.letters {
        if let Some(g) = by_letters(text, languages, Script::Cyrillic, counts.cyrillic) {
            return g;
        }
    }
    if counts.latin * 2 >= counts.letters {
        if let Some(g) = latin_by_letters(text, &words, languages, counts.latin) {
            return g;
        }
    }
    let stats = whatlang::detect(text);
    let code = stats.as_ref().and_then(|i| iso639_1(i.lang()));
    let mut confidence = stats.as_ref().map_or(0.0, |i| i.confidence());
    let script = if counts.arabic * 2 >= counts.letters {
        Some(Script::Arabic)
    } else if counts.cyrillic * 2 >= counts.letters {
        Some(Script::Cyrillic)
    } else if counts.latin * 2 >= counts.letters {
        Some(Script::Latin)
    } else {
        None
    };
    // Function words settle close pairs among the modelled languages of the script.
    let code = match (code, script) {
        (Some(c), Some(script)) if languages.get(c).is_some_and(|m| m.script == script) => {
            Some(by_words(&words, languages, script, c).unwrap_or(c))
        }
        (None, Some(script)) => by_words(&words, languages, script, "und"),
        (c, _) => c,
    };
    let Some(code) = code else {
        return match declared {
            Some(d) => guess(d, 0.5),
            None => guess("und", 0.0),
        };
    };
    // The container's declaration agreeing with the statistics is strong evidence.
    if declared == Some(code) {
        confidence = confidence.max(0.9);
    }
    guess(code, confidence)
}

fn guess(code: &str, confidence: f64) -> LanguageGuess {
    LanguageGuess {
        code: code.to_string(),
        confidence: round2(confidence),
    }
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// The share of a language's distinctive letters among the letters of its script.
fn letter_share(text: &str, letters: &[char], script_letters: usize) -> f64 {
    if letters.is_empty() || script_letters == 0 {
        return 0.0;
    }
    let n = text
        .chars()
        .filter(|c| {
            let l = lower_char(*c);
            letters.contains(&l)
        })
        .count();
    n as f64 / script_letters as f64
}

/// A language of `script` whose distinctive letters stand out (Kazakh in Cyrillic:
/// roughly 5–10 % of the letters; Ukrainian ї є ґ: well above 0.5 %). Languages whose
/// letters the others of the script share (Russian ы э) never win this way.
fn by_letters(
    text: &str,
    languages: &Languages,
    script: Script,
    script_letters: usize,
) -> Option<LanguageGuess> {
    if script_letters < 20 {
        return None;
    }
    let mut best: Option<(&LanguageModel, f64)> = None;
    for m in languages.iter().filter(|m| m.script == script) {
        let share = letter_share(text, &m.letters, script_letters);
        let needed = if m.letters.len() >= 6 { 0.02 } else { 0.005 };
        // Letters shared with another language of the script (Kazakh і = Ukrainian і)
        // are no evidence unless the language's own letters are there too.
        if share > needed && best.is_none_or(|(_, s)| share > s) {
            best = Some((m, share));
        }
    }
    let (m, share) = best?;
    if m.letters.len() < 6 && share < 0.005 {
        return None;
    }
    // Letters Russian lacks (і) are Kazakh and Ukrainian alike: Kazakh needs its own.
    if m.letters.len() >= 6 {
        let own: Vec<char> = m
            .letters
            .iter()
            .copied()
            .filter(|c| {
                !languages
                    .iter()
                    .any(|o| o.code != m.code && o.script == script && o.letters.contains(c))
            })
            .collect();
        if letter_share(text, &own, script_letters) < 0.02 {
            return by_letters_among(text, languages, script, script_letters, &m.code);
        }
    }
    let weight = if m.letters.len() >= 6 { 5.0 } else { 20.0 };
    Some(guess(&m.code, (0.6 + share * weight).min(0.99)))
}

/// As [`by_letters`], leaving one language out.
fn by_letters_among(
    text: &str,
    languages: &Languages,
    script: Script,
    script_letters: usize,
    without: &str,
) -> Option<LanguageGuess> {
    languages
        .iter()
        .filter(|m| m.script == script && m.code != without && !m.letters.is_empty())
        .filter(|m| m.letters.len() < 6)
        .map(|m| (m, letter_share(text, &m.letters, script_letters)))
        .filter(|(_, s)| *s > 0.005)
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(m, s)| guess(&m.code, (0.6 + s * 20.0).min(0.99)))
}

/// Latin-script Kazakh (and any other language with `latin_letters`): its letters
/// and its function words together.
fn latin_by_letters(
    text: &str,
    words: &TextWords,
    languages: &Languages,
    latin: usize,
) -> Option<LanguageGuess> {
    for m in languages.iter().filter(|m| !m.latin_letters.is_empty()) {
        let share = letter_share(text, &m.latin_letters, latin);
        if share > 0.01 && word_hits(words, m) >= 3 {
            return Some(guess(&m.code, (0.6 + share * 5.0).min(0.99)));
        }
    }
    None
}

/// The distinct lower-cased words of a text, computed on first use and shared by
/// every language's function-word count (each word is lower-cased once, not once per
/// language). Words already in lower case are borrowed from the text, not copied.
struct TextWords<'a> {
    text: &'a str,
    set: std::cell::OnceCell<Set<Cow<'a, str>>>,
}

impl<'a> TextWords<'a> {
    fn new(text: &'a str) -> TextWords<'a> {
        TextWords {
            text,
            set: std::cell::OnceCell::new(),
        }
    }

    fn contains(&self, w: &str) -> bool {
        self.set
            .get_or_init(|| {
                self.text
                    .split(|c: char| !c.is_alnum())
                    .filter(|w| !w.is_empty())
                    .map(lower)
                    .collect()
            })
            .contains(w)
    }
}

/// The first char of `c.to_lowercase()`, without the Unicode tables for ASCII and
/// [`caseless`] characters.
fn lower_char(c: char) -> char {
    if c.is_ascii() {
        c.to_ascii_lowercase()
    } else if caseless(c) {
        c
    } else {
        c.to_lowercase().next().unwrap_or(c)
    }
}

/// `str::to_lowercase`, borrowing a word that is already in lower case by a check
/// that needs no Unicode tables: ASCII without capitals, and [`caseless`] scripts.
fn lower(w: &str) -> Cow<'_, str> {
    let already_lower = |c: char| {
        if c.is_ascii() {
            !c.is_ascii_uppercase()
        } else {
            caseless(c)
        }
    };
    if w.chars().all(already_lower) {
        Cow::Borrowed(w)
    } else if w.is_ascii() {
        Cow::Owned(w.to_ascii_lowercase())
    } else {
        Cow::Owned(w.to_lowercase())
    }
}

fn word_hits(words: &TextWords, m: &LanguageModel) -> usize {
    m.words
        .iter()
        .enumerate()
        // A function word listed twice counts once.
        .filter(|(i, f)| !m.words[..*i].contains(f) && words.contains(f))
        .count()
}

/// Among the modelled languages of `script`, the one with clearly more function-word
/// hits than the statistical guess `current`, if any.
fn by_words<'a>(
    words: &TextWords,
    languages: &'a Languages,
    script: Script,
    current: &str,
) -> Option<&'a str> {
    let scores: Vec<(&LanguageModel, usize)> = languages
        .iter()
        .filter(|m| m.script == script && !m.words.is_empty())
        .map(|m| (m, word_hits(words, m)))
        .collect();
    let own = scores
        .iter()
        .find(|(m, _)| m.code == current)
        .map_or(0, |(_, n)| *n);
    let (best, n) = scores.iter().max_by_key(|(_, n)| *n)?;
    (best.code != current && *n >= 4 && *n >= own * 2 + 2).then_some(best.code.as_str())
}

/// ISO 639-3 (whatlang) → ISO 639-1.
fn iso639_1(lang: Lang) -> Option<&'static str> {
    Some(match lang {
        Lang::Eng => "en",
        Lang::Rus => "ru",
        Lang::Ara => "ar",
        Lang::Ukr => "uk",
        Lang::Fra => "fr",
        Lang::Deu => "de",
        Lang::Spa => "es",
        Lang::Tur => "tr",
        Lang::Pes => "fa",
        Lang::Urd => "ur",
        Lang::Por => "pt",
        Lang::Ita => "it",
        Lang::Nld => "nl",
        Lang::Pol => "pl",
        Lang::Ces => "cs",
        Lang::Slk => "sk",
        Lang::Ron => "ro",
        Lang::Hun => "hu",
        Lang::Bul => "bg",
        Lang::Bel => "be",
        Lang::Srp => "sr",
        Lang::Hrv => "hr",
        Lang::Slv => "sl",
        Lang::Mkd => "mk",
        Lang::Ell => "el",
        Lang::Heb => "he",
        Lang::Fin => "fi",
        Lang::Swe => "sv",
        Lang::Dan => "da",
        Lang::Nob => "nb",
        Lang::Est => "et",
        Lang::Lav => "lv",
        Lang::Lit => "lt",
        Lang::Kat => "ka",
        Lang::Hye => "hy",
        Lang::Aze => "az",
        Lang::Uzb => "uz",
        Lang::Tuk => "tk",
        Lang::Cmn => "zh",
        Lang::Jpn => "ja",
        Lang::Kor => "ko",
        Lang::Hin => "hi",
        Lang::Ben => "bn",
        Lang::Vie => "vi",
        Lang::Tha => "th",
        Lang::Ind => "id",
        Lang::Cat => "ca",
        Lang::Lat => "la",
        Lang::Afr => "af",
        Lang::Epo => "eo",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lower_agrees_with_to_lowercase() {
        // The ranges borrowed unchanged have no letter case at all.
        for c in ('\u{0590}'..='\u{08FF}').chain('\u{4E00}'..='\u{9FFF}') {
            assert_eq!(c.to_lowercase().collect::<String>(), c.to_string(), "{c:?}");
        }
        for w in [
            "Tokayev",
            "tokayev",
            "ТОКАЕВ",
            "Ёлка",
            "توكاييف",
            "托卡耶夫",
            "İstanbul",
            "ÀB",
        ] {
            assert_eq!(lower(w), w.to_lowercase(), "{w}");
        }
    }

    fn languages() -> Languages {
        Languages::from_files(&crate::data::DataSet::builtin().languages).unwrap()
    }

    fn code(text: &str) -> String {
        detect_text(text, None, &languages()).code
    }

    // Each sample is a sentence written for this test.
    #[test]
    fn recognises_the_required_languages() {
        let cases = [
            ("ar", "قالت الحكومة إن الاحتجاجات استمرت في عدة مدن يوم الخميس وسط انتشار أمني كثيف"),
            ("en", "The government said protests continued in several cities on Thursday amid a heavy security presence"),
            ("ru", "Правительство заявило, что протесты продолжались в нескольких городах в четверг при усиленных мерах безопасности"),
            ("uk", "Уряд заявив, що протести тривали в кількох містах у четвер, і їхні учасники вимагали змін"),
            ("kk", "Үкімет бейсенбі күні бірнеше қалада наразылық акциялары жалғасқанын мәлімдеді және қауіпсіздік күшейтілді"),
            ("fr", "Le gouvernement a déclaré que les manifestations se poursuivaient jeudi dans plusieurs villes du pays"),
            ("de", "Die Regierung erklärte, dass die Proteste am Donnerstag in mehreren Städten des Landes weitergingen"),
            ("es", "El gobierno dijo que las protestas continuaron el jueves en varias ciudades del país con fuerte presencia policial"),
            ("tr", "Hükümet, protestoların perşembe günü birçok şehirde yoğun güvenlik önlemleri altında sürdüğünü açıkladı"),
            ("fa", "دولت اعلام کرد که اعتراضات روز پنجشنبه در چندین شهر با حضور گسترده نیروهای امنیتی ادامه داشت"),
            ("it", "Il governo ha dichiarato che le proteste sono proseguite giovedì in diverse città del paese"),
            ("pt", "O governo disse que os protestos continuaram na quinta-feira em várias cidades do país, com forte presença policial"),
            ("pl", "Rząd poinformował, że protesty trwały w czwartek w kilku miastach kraju przy wzmożonej obecności policji"),
            ("zh", "政府表示，周四全国多个城市的抗议活动仍在继续，安全部队大量部署"),
            ("zh", "政府表示，週四全國多個城市的抗議活動仍在繼續，安全部隊大量部署"),
            ("kk", "Úkimet búl týraly málimdedi: beısenbi kúni birneshe qalada narazylyq aksıalary jalǵasty, biraq qaýipsizdik kúsheıtildi jáne osy qalada tártip ornady"),
        ];
        for (want, text) in cases {
            assert_eq!(code(text), want, "{text}");
        }
    }

    #[test]
    fn short_text_falls_back_to_declared() {
        let g = detect_text("OK", Some("fi"), &languages());
        assert_eq!(g.code, "fi");
        assert_eq!(detect_text("OK", None, &languages()).code, "und");
    }
}
