//! Language identification: ISO 639-1 code with a confidence.
//!
//! `whatlang` (trigram models for ~70 languages) does the statistics. It has no Kazakh
//! model, so Cyrillic text is first checked for the letters only Kazakh uses
//! (ә ғ қ ң ө ұ ү һ); the same idea separates Ukrainian (і ї є ґ) from Russian when
//! the trigram guess is unsure. A language declared by the container (`xml:lang`,
//! ninjs `language`) is trusted when the text is too short to judge.

use crate::model::{CleanArticle, LanguageGuess};
use whatlang::Lang;

/// Enough text to judge; more only costs time.
const SAMPLE_CHARS: usize = 3000;

/// Detect the language of an article (headline + body).
pub fn detect(article: &CleanArticle) -> LanguageGuess {
    let mut sample = String::with_capacity(SAMPLE_CHARS * 2);
    if let Some(h) = &article.headline {
        sample.push_str(h);
        sample.push('\n');
    }
    for p in &article.paragraphs {
        if sample.chars().count() >= SAMPLE_CHARS {
            break;
        }
        sample.push_str(p);
        sample.push('\n');
    }
    let sample: String = sample.chars().take(SAMPLE_CHARS).collect();
    let declared = article
        .declared_language
        .as_deref()
        .map(|l| l.split(['-', '_']).next().unwrap_or(l).to_ascii_lowercase());
    detect_text(&sample, declared.as_deref())
}

/// Detect the language of a text; `declared` is the container's claim, if any.
pub fn detect_text(text: &str, declared: Option<&str>) -> LanguageGuess {
    let letters = text.chars().filter(|c| c.is_alphabetic()).count();
    if letters < 20 {
        return match declared {
            Some(code) => LanguageGuess {
                code: code.to_string(),
                confidence: 0.5,
            },
            None => LanguageGuess {
                code: "und".into(),
                confidence: 0.0,
            },
        };
    }
    if let Some(guess) = cyrillic_by_letters(text) {
        return guess;
    }
    match whatlang::detect(text) {
        Some(info) => {
            let code = iso639_1(info.lang()).unwrap_or("und");
            let mut confidence = info.confidence();
            // The container's declaration agreeing with the statistics is strong evidence.
            if declared == Some(code) {
                confidence = confidence.max(0.9);
            }
            LanguageGuess {
                code: code.to_string(),
                confidence: round2(confidence),
            }
        }
        None => LanguageGuess {
            code: declared.unwrap_or("und").to_string(),
            confidence: if declared.is_some() { 0.5 } else { 0.0 },
        },
    }
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// Kazakh and Ukrainian have letters Russian lacks; their share among Cyrillic
/// letters is a sharper signal than trigrams on short news text.
fn cyrillic_by_letters(text: &str) -> Option<LanguageGuess> {
    let (mut cyr, mut kk, mut uk) = (0usize, 0usize, 0usize);
    for c in text.chars() {
        let l = c.to_lowercase().next().unwrap_or(c);
        if ('\u{0400}'..='\u{04FF}').contains(&l) {
            cyr += 1;
            match l {
                'ә' | 'ғ' | 'қ' | 'ң' | 'ө' | 'ұ' | 'ү' | 'һ' => kk += 1,
                'ї' | 'є' | 'ґ' => uk += 1,
                _ => {}
            }
        }
    }
    let letters = text.chars().filter(|c| c.is_alphabetic()).count();
    if cyr * 2 < letters || cyr < 20 {
        return None;
    }
    let kk_share = kk as f64 / cyr as f64;
    let uk_share = uk as f64 / cyr as f64;
    // In Kazakh running text these letters are roughly 5–10% of all letters.
    if kk_share > 0.02 {
        return Some(LanguageGuess {
            code: "kk".into(),
            confidence: round2((0.6 + kk_share * 5.0).min(0.99)),
        });
    }
    if uk_share > 0.005 {
        return Some(LanguageGuess {
            code: "uk".into(),
            confidence: round2((0.6 + uk_share * 20.0).min(0.99)),
        });
    }
    None
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

    fn code(text: &str) -> String {
        detect_text(text, None).code
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
        ];
        for (want, text) in cases {
            assert_eq!(code(text), want, "{text}");
        }
    }

    #[test]
    fn short_text_falls_back_to_declared() {
        let g = detect_text("OK", Some("fi"));
        assert_eq!(g.code, "fi");
        assert_eq!(detect_text("OK", None).code, "und");
    }
}
