//! Datelines at the start of a story's first body paragraph, in any language the date
//! and agency data cover: "ALMATY, Jan 5 (Reuters) -", "MOSKAU (dpa) -",
//! "Kiev, 12 mars (AFP) -", "МОСКВА, 5 января. /ТАСС/.", "АЛМАТЫ, 5 янв — РИА Новости.",
//! "Алматы. 5 қыркүйек. ҚазТАГ -", "موسكو-أ. ف. ب-", "تهران - ایرنا -", "北京1月5日电".
//!
//! Only the place is returned; the paragraph keeps its text. Agency names in the
//! dateline are picked up by the credit finder (parentheses and slashes are credit
//! positions). Month names come from `data/dates/*.toml` (a "date" in a dateline must be
//! a real day and month), agency names from `data/agencies/*.toml`, the words that are
//! never places (`[dateline] not_places`) and the CJK dispatch words
//! (`[dateline] dispatch`) from the date files.
//!
//! The shapes, tried in order:
//! 1. **Credit in brackets**: place (any case), optional ", Country", optional date,
//!    then "(Agency)" or "/Agency/". A known agency needs nothing after it; any other
//!    bracket needs a dash after it ("Kyiv (Reuters) -").
//! 2. **Upper-case place and a dash**: "NEW YORK —", "ASTANA –", "ALMATY, Kazakhstan --".
//! 3. **Place, date, agency**: "Минск, 12 марта - РИА Новости." (the date must be real).
//! 4. **Place. [date.] agency -**: "Алматы. 5 қыркүйек. ҚазТАГ -" (a known agency, or
//!    a date before it).
//! 5. **Place, Country:**: "Almaty, Kazakhstan: …", "آلماتی، قزاقستان: …".
//! 6. **Arabic script**: one to three words and a dash, with an optional "(agency)" or a
//!    "- agency -" credit: "القاهرة - …", "موسكو (رويترز) - …", "موسكو-أ. ف. ب- …".
//! 7. **CJK**: [agency] place, [month 月] day 日, dispatch word: "新华社北京1月5日电".

use regex::Regex;

use super::agencies::{credit_form, Agencies};
use super::dates::Dates;
use crate::engine::chars::CharClass;
use crate::engine::hash::Set;
use crate::engine::language::{Languages, Script};
use crate::engine::normalize::fold;

/// Compiled dateline shapes.
#[derive(Debug, Clone)]
pub struct Datelines {
    bracket: Regex,
    upper_dash: Regex,
    dated_agency: Option<Regex>,
    dotted: Regex,
    colon: Regex,
    arabic_agency: Regex,
    arabic: Regex,
    cjk: Option<Regex>,
    agencies: Agencies,
    not_places: Set<String>,
}

/// A capitalised word of a place name ("KYIV", "Almaty", "Нур-Султан", "L'Aquila").
const WORD: &str = r"\p{Lu}[\p{L}\p{M}'’.\-]*";
/// Words that join a multi-word place ("Rio de Janeiro", "Nova Iorque"): lower-case,
/// at most three letters, between capitalised words.
const JOIN: &str = r"(?:[ \-](?:\p{Ll}{1,3} )?";

/// The regex class of the letters of the scripts whose languages `pick` selects, or a
/// class that matches nothing when none does.
fn script_class(
    languages: &Languages,
    pick: impl Fn(&crate::engine::language::LanguageModel) -> bool,
) -> String {
    let mut scripts: Vec<Script> = Vec::new();
    for m in languages.iter().filter(|m| pick(m)) {
        if !scripts.contains(&m.script) {
            scripts.push(m.script);
        }
    }
    if scripts.is_empty() {
        return r"^\s\S".to_string();
    }
    scripts.iter().map(|s| s.regex_class()).collect()
}

/// Punctuation that separates the parts of a credit group.
const GROUP_SEP: &[char] = &['،', ',', '/', ';', '+', '|'];

impl Default for Datelines {
    fn default() -> Datelines {
        Datelines::new(
            &Dates::default(),
            &Agencies::default(),
            &Languages::default(),
        )
    }
}

impl Datelines {
    /// The shapes over the date and agency data; the caseless-script shapes (6) and
    /// the unspaced-script shape (7) take their letters from the language models.
    pub fn new(dates: &Dates, agencies: &Agencies, languages: &Languages) -> Datelines {
        let caseless = script_class(languages, |m| m.space_delimited && !m.script.has_case());
        let unspaced = script_class(languages, |m| !m.space_delimited);
        let place = format!(r"{WORD}{JOIN}{WORD}){{0,3}}");
        let country = format!(r"(?:,\s*{WORD}(?: {WORD}){{0,2}})?");
        let multi = format!(r"(?:\s*/\s*{WORD})?");
        let months = dates.month_alternation();
        // A day and a month, in either order, with an optional year ("5 Ene.", "Jan 5",
        // "5. Januar", "12 de marzo", "5 января 2022 г.").
        let date = if months.is_empty() {
            r"[^\s\S]".to_string()
        } else {
            format!(
                r"(?i:\d{{1,2}}(?:er|º|°)?\.?\s*(?:de\s+)?(?:{months})\.?(?:\s+(?:de\s+)?\d{{4}}(?:\s*(?:г|р|r)\.?)?)?|(?:{months})\.?\s+\d{{1,2}}(?:,\s*\d{{4}})?)"
            )
        };
        let re = |s: String| Regex::new(&s).expect("dateline regex");
        let bracket = re(format!(
            r"^(?P<place>{place}{country}{multi})(?:,?\s*{date})?\s*(?:\((?P<c1>[^()]{{1,40}})\)|/(?P<c2>[^/\s][^/]{{0,39}})/)\s*[.,]?\s*(?P<dash>[-–—]{{1,2}})?"
        ));
        let upper_dash = re(format!(
            r"^(?P<place>{place}{country}{multi})(?:,?\s*{date})?\s*[-–—]{{1,2}}\s+\S"
        ));
        let dated_agency = (!months.is_empty()).then(|| {
            re(format!(
                r"^(?P<place>{place}),\s*{date}\s*\.?\s*[-–—]\s*(?P<ag>[^.\-–—]{{1,40}}?)\s*[.\-–—]"
            ))
        });
        let dotted = re(format!(
            r"^(?P<place>{place})\.\s*(?P<date>{date}\.\s*)?(?P<ag>[^.\-–—]{{1,30}}?)\s*[-–—]\s"
        ));
        let colon = re(format!(
            r"^(?P<place>(?:{place}|[{caseless}\p{{M}}]+(?: [{caseless}\p{{M}}]+)?)[,،]\s*(?:{WORD}(?: {WORD})?|[{caseless}\p{{M}}]+(?: [{caseless}\p{{M}}]+)?)):\s+\S"
        ));
        let arabic_agency = re(format!(
            r"^(?P<place>[{caseless}\p{{M}}]+(?: [{caseless}\p{{M}}]+){{0,2}})\s*[-–—]\s*(?P<ag>[^-–—]{{1,40}}?)\s*[-–—]"
        ));
        let arabic = re(format!(
            r"^(?P<place>[{caseless}\p{{M}}]+(?: [{caseless}\p{{M}}]+){{0,2}})\s*(?:\([^()]{{1,40}}\)\s*)?[-–—]+\s+\S"
        ));
        let dispatch: Vec<String> = dates
            .dispatch_words()
            .iter()
            .map(|w| regex::escape(w))
            .collect();
        let cjk = (!dispatch.is_empty()).then(|| {
            re(format!(
                r"^(?P<head>[{unspaced}]{{2,16}})(?:\d{{1,2}}月)?\d{{1,2}}日(?:{})",
                dispatch.join("|")
            ))
        });
        Datelines {
            bracket,
            upper_dash,
            dated_agency,
            dotted,
            colon,
            arabic_agency,
            arabic,
            cjk,
            agencies: agencies.clone(),
            not_places: dates.not_places().clone(),
        }
    }

    /// Is `s` (or one part of a "AFP, Reuters" group) a known agency?
    fn is_agency(&self, s: &str) -> bool {
        s.split(GROUP_SEP)
            .any(|part| self.agencies.lookup(part.trim()).is_some())
    }

    /// Not a sentence opener and not an agency name ("AGI - …" is a credit).
    fn place_ok(&self, place: &str) -> bool {
        let first = place.split([' ', ',', '،']).next().unwrap_or_default();
        !place.is_empty()
            && !self.not_places.contains(&fold(first))
            && self.agencies.lookup(place).is_none()
    }

    /// The dateline place of a paragraph, if it starts with one.
    pub fn find(&self, paragraph: &str) -> Option<String> {
        let p = paragraph.trim_start();
        let place = |c: &regex::Captures| {
            c.name("place")
                .map(|m| m.as_str().trim().trim_end_matches(',').trim().to_string())
        };
        let upper = |s: &str| {
            let letters: Vec<char> = s.chars().filter(|c| c.is_alpha()).collect();
            letters.len() >= 2 && letters.iter().all(|c| c.is_uppercase())
        };
        // 1. Credit in brackets.
        if let Some(c) = self.bracket.captures(p) {
            let credit = c
                .name("c1")
                .or_else(|| c.name("c2"))
                .map_or("", |m| m.as_str());
            let pl = place(&c)?;
            // An unknown bracket ("Жанаозен (бывший Новый Узень) - город …") needs an
            // upper-case place or a Latin one ("Kyiv (Reuters) -" style).
            let latin = pl.chars().all(|ch| !ch.is_alpha() || ch.is_ascii());
            let unknown_ok = c.name("dash").is_some() && (upper(&pl) || latin);
            if self.place_ok(&pl) && (self.is_agency(credit) || unknown_ok) {
                return Some(pl);
            }
        }
        // 2. Upper-case place and a dash.
        if let Some(c) = self.upper_dash.captures(p) {
            let pl = place(&c)?;
            let head = pl.split(',').next().unwrap_or_default();
            if upper(head) && self.place_ok(&pl) {
                return Some(pl);
            }
        }
        // 3. Place, date, agency.
        if let Some(c) = self.dated_agency.as_ref().and_then(|r| r.captures(p)) {
            let pl = place(&c)?;
            if self.place_ok(&pl) {
                return Some(pl);
            }
        }
        // 4. Place. [date.] agency -
        if let Some(c) = self.dotted.captures(p) {
            let pl = place(&c)?;
            let ag = c.name("ag").map_or("", |m| m.as_str());
            if self.place_ok(&pl) && (c.name("date").is_some() || self.is_agency(ag)) {
                return Some(pl);
            }
        }
        // 5. Place, Country:
        if let Some(c) = self.colon.captures(p) {
            let pl = place(&c)?;
            if self.place_ok(&pl) {
                return Some(pl);
            }
        }
        // 6. Arabic script.
        if let Some(c) = self.arabic_agency.captures(p) {
            let ag = c.name("ag").map_or("", |m| m.as_str());
            let pl = place(&c)?;
            if self.is_agency(ag) && self.place_ok(&pl) {
                return Some(pl);
            }
        }
        if let Some(c) = self.arabic.captures(p) {
            let pl = place(&c)?;
            if self.place_ok(&pl) {
                return Some(pl);
            }
        }
        // 7. CJK: strip a leading agency name from the place.
        let c = self.cjk.as_ref()?.captures(p)?;
        let head = c.name("head")?.as_str();
        let form = credit_form(head).text;
        let skip = self.agencies.leading_alias_len(&form).unwrap_or(0);
        let pl: String = head.chars().skip(form[..skip].chars().count()).collect();
        (pl.chars().count() >= 2).then_some(pl)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::DataSet;

    fn datelines() -> Datelines {
        let data = DataSet::builtin();
        let dates = Dates::from_files(&data.dates).unwrap();
        let languages = crate::engine::language::Languages::from_files(&data.languages).unwrap();
        let agencies = Agencies::from_files(&data.agencies, &languages).unwrap();
        Datelines::new(&dates, &agencies, &languages)
    }

    fn find(p: &str) -> Option<String> {
        datelines().find(p)
    }

    #[test]
    fn arabic() {
        let d = datelines();
        assert_eq!(
            d.find("القاهرة - أعلنت الحكومة اليوم خطة جديدة.")
                .as_deref(),
            Some("القاهرة")
        );
        assert_eq!(
            d.find("موسكو (رويترز) - قال الكرملين إن المحادثات مستمرة.")
                .as_deref(),
            Some("موسكو")
        );
        assert_eq!(
            d.find("بيروت-أ. ف. ب- وصل الوفد مساء أمس إلى المطار.")
                .as_deref(),
            Some("بيروت")
        );
        assert_eq!(
            d.find("عمّان – أ ف ب، رويترز - افتتح المعرض أبوابه صباح اليوم.")
                .as_deref(),
            Some("عمّان")
        );
        assert_eq!(d.find("وقالت الوزارة -في بيان- إن الوضع هادئ."), None);
        assert_eq!(d.find("أعلنت الحكومة اليوم خطة جديدة - وفق مصادر."), None);
        assert_eq!(d.find("وقال - بعد الاجتماع - إن الخطة جاهزة."), None);
    }

    #[test]
    fn persian() {
        let d = datelines();
        assert_eq!(
            d.find("تهران - ایرنا - وزیر امور خارجه امروز به مسکو سفر کرد.")
                .as_deref(),
            Some("تهران")
        );
        assert_eq!(
            d.find("مشهد- ایسنا- نمایشگاه کتاب از فردا آغاز می‌شود.")
                .as_deref(),
            Some("مشهد")
        );
        assert_eq!(
            d.find("آلماتی، قزاقستان: پلیس روز پنجشنبه خیابان‌ها را بست.")
                .as_deref(),
            Some("آلماتی، قزاقستان")
        );
    }

    #[test]
    fn english() {
        let d = datelines();
        assert_eq!(
            d.find("KYIV, Ukraine (AP) — Air raid sirens sounded across the city.")
                .as_deref(),
            Some("KYIV, Ukraine")
        );
        assert_eq!(
            d.find("MOSCOW, Jan 5 (Reuters) - The central bank held rates.")
                .as_deref(),
            Some("MOSCOW")
        );
        assert_eq!(
            d.find("ALMATY, Jan 5 (Reuters) - Traffic returned to the streets.")
                .as_deref(),
            Some("ALMATY")
        );
        assert_eq!(
            d.find("Kyiv (Reuters) - Officials met on Tuesday.")
                .as_deref(),
            Some("Kyiv")
        );
        assert_eq!(
            d.find("NEW YORK — Markets opened lower on Monday.")
                .as_deref(),
            Some("NEW YORK")
        );
        assert_eq!(
            d.find("ASTANA – The upper house passed the bill on Friday.")
                .as_deref(),
            Some("ASTANA")
        );
        assert_eq!(
            d.find("Almaty, Kazakhstan: Shops reopened on Monday morning.")
                .as_deref(),
            Some("Almaty, Kazakhstan")
        );
        assert_eq!(d.find("The minister - who resigned - spoke."), None);
        assert_eq!(
            d.find("Officials said on Tuesday that talks would resume."),
            None
        );
        assert_eq!(d.find("Update: the road is open again."), None);
        assert_eq!(d.find("AGI - Il consiglio si è riunito oggi."), None);
    }

    #[test]
    fn european() {
        let d = datelines();
        assert_eq!(
            d.find("MOSKAU (dpa) - Die Regierung hat neue Regeln beschlossen.")
                .as_deref(),
            Some("MOSKAU")
        );
        assert_eq!(
            d.find("Kiew/Moskau (dpa) - Beide Seiten meldeten Gespräche.")
                .as_deref(),
            Some("Kiew/Moskau")
        );
        assert_eq!(
            d.find("Kiev, 12 mars (AFP) - Les écoles rouvriront lundi.")
                .as_deref(),
            Some("Kiev")
        );
        assert_eq!(
            d.find("MADRID, 5 Ene. (EUROPA PRESS) - El Gobierno aprobó el plan.")
                .as_deref(),
            Some("MADRID")
        );
        assert_eq!(
            d.find("ROMA, 5 gen (ANSA) - Il consiglio si riunirà domani.")
                .as_deref(),
            Some("ROMA")
        );
        assert_eq!(
            d.find("LISBOA, 5 jan (Lusa) – O parlamento votou a proposta.")
                .as_deref(),
            Some("LISBOA")
        );
        assert_eq!(
            d.find("WARSZAWA (PAP) - Sejm przyjął ustawę w piątek.")
                .as_deref(),
            Some("WARSZAWA")
        );
        assert_eq!(
            d.find("ANKARA (AA) – Bakanlık yeni kararı açıkladı.")
                .as_deref(),
            Some("ANKARA")
        );
        assert_eq!(
            d.find("Rio de Janeiro (EFE) - A prefeitura anunciou obras.")
                .as_deref(),
            Some("Rio de Janeiro")
        );
        assert_eq!(
            d.find("Die Regierung (CDU) hat neue Regeln beschlossen."),
            None
        );
    }

    #[test]
    fn cyrillic() {
        let d = datelines();
        assert_eq!(
            d.find("МОСКВА, 5 января. /ТАСС/. Правительство утвердило план.")
                .as_deref(),
            Some("МОСКВА")
        );
        assert_eq!(
            d.find("Минск, 12 марта - РИА Новости. Переговоры продолжатся.")
                .as_deref(),
            Some("Минск")
        );
        assert_eq!(
            d.find("АЛМАТЫ, 5 янв — РИА Новости. Аэропорт возобновил работу.")
                .as_deref(),
            Some("АЛМАТЫ")
        );
        assert_eq!(
            d.find("КИЇВ, 5 січня /Укрінформ/ Уряд ухвалив нове рішення.")
                .as_deref(),
            Some("КИЇВ")
        );
        assert_eq!(
            d.find("Алматы. 5 қыркүйек. ҚазТАГ - Қалада жаңа мектеп ашылды.")
                .as_deref(),
            Some("Алматы")
        );
        assert_eq!(
            d.find("Астана. Kazinform - Үкімет отырысы өтті.")
                .as_deref(),
            Some("Астана")
        );
        assert_eq!(find("Власти заявили, что 5 человек задержаны."), None);
        assert_eq!(
            find("Жанаозен (бывший Новый Узень) - город в Мангистауской области."),
            None
        );
        assert_eq!(find("Жители, 5 января вышедшие на улицы, разошлись."), None);
    }

    #[test]
    fn chinese() {
        let d = datelines();
        assert_eq!(
            d.find("新华社北京1月5日电 国务院今天召开常务会议。")
                .as_deref(),
            Some("北京")
        );
        assert_eq!(
            d.find("中央社台北5日綜合外電報導 今天股市上漲。")
                .as_deref(),
            Some("台北")
        );
        assert_eq!(d.find("今天北京天气晴朗，气温回升。"), None);
    }
}
