//! The typed values that travel between the stages: raw input → [`CleanArticle`] →
//! [`TaggedArticle`] → [`ClassifiedArticle`].
//!
//! Every type here is plain data with serde derives, because in the daemon each
//! value crosses a NATS subject as JSON between the stages. Nothing here does IO.

use serde::{Deserialize, Serialize};

/// Input formats the cleaner recognises (detected from content, not the file name).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// Plain text, as scraped from a site (the seeds), or agency text wires (IPTC 7901, ANPA).
    #[default]
    Text,
    /// An HTML page or fragment.
    Html,
    /// IPTC ninjs JSON (1.x, 2.x or 3.x).
    Ninjs,
    /// NITF XML.
    Nitf,
    /// NewsML-G2 (or NewsML 1.x) XML.
    Newsml,
}

impl Format {
    /// Stable lowercase name, used in metric labels and records.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Text => "text",
            Format::Html => "html",
            Format::Ninjs => "ninjs",
            Format::Nitf => "nitf",
            Format::Newsml => "newsml",
        }
    }
}

/// An agency or source credit found in the text or metadata ("أ.ف.ب" → AFP).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Credit {
    /// Stable id from the agencies data file (`afp`, `reuters`, `tass`…).
    pub id: String,
    /// Display name ("AFP").
    pub name: String,
    /// The text as it appeared in the article ("أ.ف.ب").
    pub literal: String,
}

/// One story after cleaning: display text plus the metadata the text itself states.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CleanArticle {
    /// Article id: `<source_id>-<index>`.
    pub id: String,
    /// BLAKE3 of the input file's bytes (hex, 64 chars). The file's identity.
    pub source_id: String,
    /// Position of this story in its file (0-based).
    pub index: u32,
    /// How many stories the file held.
    pub story_count: u32,
    /// Detected input format.
    pub format: Format,
    /// Encoding the bytes were decoded from (`UTF-8`, `windows-1256`…).
    pub encoding: String,
    /// Headline, if one was found.
    pub headline: Option<String>,
    /// Body paragraphs, display form (NFC, controls removed, whitespace collapsed).
    pub paragraphs: Vec<String>,
    /// The story was cut off in the source (a teaser ending in "… المزيد" / "read more").
    pub truncated: bool,
    /// Dateline place as written ("ألماتي").
    pub dateline: Option<String>,
    /// Publish date-time stated by the source, ISO 8601 (`2022-01-08T11:47:00`, offset if known).
    pub published: Option<String>,
    /// Publisher named by a source line ("المصدر : الجزيرة" → "الجزيرة").
    pub publisher: Option<String>,
    /// Agency credits, deduplicated by id, in order of first appearance.
    pub credits: Vec<Credit>,
    /// Language declared by the container format (`xml:lang`, ninjs `language`), if any.
    pub declared_language: Option<String>,
    /// Lines removed as boilerplate, with the rule that removed them (for `--explain`).
    pub removed: Vec<Removed>,
    /// Matching form of the headline (see [`crate::engine::normalize::fold`]).
    pub headline_match: String,
    /// Matching form of the body text (paragraphs joined by `\n\n`).
    pub body_match: String,
}

impl CleanArticle {
    /// The body as one string: paragraphs joined by a blank line. Character spans in
    /// [`Figure`] are offsets (in Unicode scalar values) into this string.
    pub fn body_text(&self) -> String {
        self.paragraphs.join("\n\n")
    }
}

/// A line that the boilerplate rules removed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Removed {
    /// Rule name from the boilerplate data file (`comment_prompt`, `related_block`…).
    pub rule: String,
    /// The removed text.
    pub text: String,
}

/// Language guess.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LanguageGuess {
    /// ISO 639-1 code (`ar`, `en`, `ru`…), or `und` when unknown.
    pub code: String,
    /// 0.0 ..= 1.0
    pub confidence: f64,
}

/// Entity kinds of the gazetteer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EntityKind {
    Person,
    Place,
    Organisation,
}

/// An entity found in the article, with its mention counts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntityMention {
    /// Stable gazetteer id (`tokayev`, `almaty`, `csto`).
    pub id: String,
    pub kind: EntityKind,
    /// Canonical (English) name.
    pub name: String,
    /// URI (`urn:wirefeed:entity:<id>` unless the data file gives one).
    pub uri: String,
    /// Mentions in the headline.
    pub headline_count: u32,
    /// Mentions in the body.
    pub body_count: u32,
    /// Byte offset in `body_match` of each body mention (for topic rules that count
    /// entities per sentence).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub body_offsets: Vec<u32>,
}

/// What a reported figure counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FigureCategory {
    Killed,
    Injured,
    Arrested,
    Displaced,
}

/// Who the figure is about, when the sentence says so.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FigureWho {
    Protesters,
    Police,
    Civilians,
    Soldiers,
}

/// A quantity as reported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Quantity {
    /// The number as written ("أكثر من 2000", "2,000", "dozens").
    pub text: String,
    /// Numeric value, when one is stated (2000 for "more than 2,000"). For vague
    /// quantities no number is invented: `None`, and `vague` says the magnitude.
    pub value: Option<u64>,
    /// "more than" / "at least" (`min`), "about" (`approx`), "up to" (`max`), or exact.
    pub qualifier: Qualifier,
    /// Vague order of magnitude: `dozens`, `hundreds`, `thousands`, `tens_of_thousands`…
    pub vague: Option<String>,
}

/// Qualifier attached to a number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Qualifier {
    Exact,
    Min,
    Max,
    Approx,
}

/// A reported figure: "18 members of the security forces were killed".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Figure {
    pub category: FigureCategory,
    pub quantity: Quantity,
    pub who: Option<FigureWho>,
    /// Character span `[start, end)` of the sentence in [`CleanArticle::body_text`].
    pub span: (usize, usize),
    /// The sentence itself.
    pub sentence: String,
}

/// The tag stage's output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaggedArticle {
    pub article: CleanArticle,
    pub language: LanguageGuess,
    /// Entities by kind then id.
    pub entities: Vec<EntityMention>,
    pub figures: Vec<Figure>,
}

/// Where a term matched.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TermHit {
    /// Term group (`anchor`, `unrest`, …) from the topic file.
    pub group: String,
    /// The term as written in the topic file, or `@<entity id>` for a gazetteer
    /// entity the group is anchored on (matched through its names in any language).
    pub term: String,
    /// The term's language as listed in the topic file; `*` for an entity anchor.
    #[serde(default)]
    pub language: String,
    pub headline_count: u32,
    pub body_count: u32,
    /// Weight contributed to the score.
    pub contribution: f64,
}

/// One topic's decision for one article, with its explanation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TopicDecision {
    pub topic: String,
    pub label: String,
    pub matched: bool,
    pub score: f64,
    pub threshold: f64,
    /// 0–100, for ninjs `subjects[].confidence`: how far the score is past the threshold.
    pub confidence: u8,
    /// 0–100, for ninjs `subjects[].relevance`: how much of the article is about the topic.
    pub relevance: u8,
    /// IPTC Media Topic URIs of the topic.
    pub media_topics: Vec<String>,
    /// Human-readable reason when not matched (`missing group anchor`, `excluded by …`, `below threshold`).
    pub reason: String,
    pub hits: Vec<TermHit>,
}

/// The classify stage's output: the final article.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClassifiedArticle {
    pub tagged: TaggedArticle,
    /// Every topic's decision (matched or not), in topic id order.
    pub decisions: Vec<TopicDecision>,
}

impl ClassifiedArticle {
    /// Ids of the matched topics, in topic id order.
    pub fn topics(&self) -> Vec<&str> {
        self.decisions
            .iter()
            .filter(|d| d.matched)
            .map(|d| d.topic.as_str())
            .collect()
    }
}
