//! The text engine: pure, deterministic functions from bytes to classified articles.
//!
//! ```text
//! bytes ─decode─▶ text ─formats::extract─▶ Extracted ─text::segment─▶ Story… ─▶ CleanArticle…
//! CleanArticle ─lang + entities + figures─▶ TaggedArticle ─classify─▶ ClassifiedArticle
//! ```
//!
//! Invariants: no IO, no clock, no globals, no randomness. The same bytes and the same
//! data files always give the same output. All data (patterns, gazetteer, topics) is
//! parsed once into an [`Engine`], which is `Send + Sync` and shared by all workers.

pub mod chars;
pub mod classify;
pub mod decode;
pub mod entities;
pub mod figures;
pub mod formats;
pub mod hash;
pub mod lang;
pub mod language;
pub mod normalize;
pub mod stories;
pub mod terms;
pub mod text;

use crate::data::DataSet;
use crate::error::{DataError, EngineError};
use crate::model::{ClassifiedArticle, CleanArticle, TaggedArticle};

/// Default maximum input size (bytes). Larger inputs are rejected as `too_large`.
pub const DEFAULT_MAX_INPUT_BYTES: usize = 16 * 1024 * 1024;

/// The loaded engine: every data file parsed and compiled.
#[derive(Debug)]
pub struct Engine {
    text: text::TextRules,
    languages: language::Languages,
    gazetteer: entities::Gazetteer,
    figures: figures::FigureRules,
    topics: classify::Topics,
    max_input_bytes: usize,
}

/// BLAKE3 of the bytes, hex. The identity of a file everywhere in wirefeed.
pub fn content_hash(bytes: &[u8]) -> String {
    blake3::hash(bytes).to_hex().to_string()
}

impl Engine {
    /// The engine over the data files shipped in the binary.
    pub fn builtin() -> Result<Engine, Vec<DataError>> {
        Engine::from_data(&DataSet::builtin())
    }

    /// Compile an engine from data files; reports every bad file, not only the first.
    pub fn from_data(data: &DataSet) -> Result<Engine, Vec<DataError>> {
        // Languages first: the gazetteer and topics read the language models. The
        // rest compiles in parallel (start-up is the serial part of a `process` run:
        // text rules ∥ gazetteer → topics ∥ figures); errors keep this order.
        let languages = language::Languages::from_files(&data.languages)?;
        let langs = &languages;
        let (text, (gazetteer_topics, figures)) = rayon::join(
            || text::TextRules::from_files(&data.boilerplate, &data.agencies, &data.dates, langs),
            || {
                rayon::join(
                    || {
                        let g = entities::Gazetteer::from_files(&data.gazetteer, langs)?;
                        let t = classify::Topics::from_files(&data.topics, &g, langs);
                        Ok::<_, Vec<DataError>>((g, t))
                    },
                    || figures::FigureRules::from_files(&data.figures, langs),
                )
            },
        );
        let mut errors = Vec::new();
        let text = text.map_err(|e| errors.extend(e)).ok();
        let (gazetteer, topics) = match gazetteer_topics {
            Ok((g, t)) => (Some(g), Some(t)),
            Err(e) => {
                errors.extend(e);
                (None, None)
            }
        };
        let figures = figures.map_err(|e| errors.extend(e)).ok();
        let topics = topics.and_then(|t| t.map_err(|e| errors.extend(e)).ok());
        match (text, gazetteer, figures, topics) {
            (Some(text), Some(gazetteer), Some(figures), Some(topics)) if errors.is_empty() => {
                Ok(Engine {
                    text,
                    languages,
                    gazetteer,
                    figures,
                    topics,
                    max_input_bytes: DEFAULT_MAX_INPUT_BYTES,
                })
            }
            _ => Err(errors),
        }
    }

    /// Set the maximum accepted input size in bytes.
    pub fn with_max_input_bytes(mut self, limit: usize) -> Engine {
        self.max_input_bytes = limit;
        self
    }

    /// The compiled topics (for `wirefeed topics`).
    pub fn topics(&self) -> &classify::Topics {
        &self.topics
    }

    /// Clean stage: decode, extract, strip boilerplate, split into stories.
    pub fn clean(&self, bytes: &[u8]) -> Result<Vec<CleanArticle>, EngineError> {
        if bytes.len() > self.max_input_bytes {
            return Err(EngineError::TooLarge {
                size: bytes.len(),
                limit: self.max_input_bytes,
            });
        }
        let source_id = content_hash(bytes);
        let decoded = decode::decode(bytes)?;
        let extracted = formats::extract(&decoded.text)?;
        let stories = self.text.segment(&extracted);
        let stories: Vec<_> = stories
            .into_iter()
            .filter(|s| !s.paragraphs.is_empty() || s.headline.is_some())
            .collect();
        if stories.is_empty() {
            return Err(EngineError::Empty);
        }
        let count = stories.len() as u32;
        Ok(stories
            .into_iter()
            .enumerate()
            .map(|(i, s)| {
                let headline_match = s
                    .headline
                    .as_deref()
                    .map(normalize::fold)
                    .unwrap_or_default();
                let body_match = normalize::fold(&s.paragraphs.join("\n\n"));
                CleanArticle {
                    id: format!("{source_id}-{i}"),
                    source_id: source_id.clone(),
                    index: i as u32,
                    story_count: count,
                    format: extracted.format,
                    encoding: decoded.encoding.to_string(),
                    headline: s.headline,
                    paragraphs: s.paragraphs,
                    truncated: s.truncated,
                    dateline: s.dateline,
                    published: s.published,
                    publisher: s.publisher,
                    credits: s.credits,
                    declared_language: extracted.language.clone(),
                    removed: s.removed,
                    headline_match,
                    body_match,
                }
            })
            .collect())
    }

    /// Tag stage: language, entities, reported figures.
    pub fn tag(&self, article: CleanArticle) -> TaggedArticle {
        let language = lang::detect(&article, &self.languages);
        let entities = self.gazetteer.find(&article);
        let figures = self.figures.extract(&article.body_text(), &language.code);
        TaggedArticle {
            article,
            language,
            entities,
            figures,
        }
    }

    /// Classify stage: one decision per topic.
    pub fn classify(&self, tagged: TaggedArticle) -> ClassifiedArticle {
        let decisions = self.topics.classify(&tagged);
        ClassifiedArticle { tagged, decisions }
    }

    /// All three stages.
    pub fn process(&self, bytes: &[u8]) -> Result<Vec<ClassifiedArticle>, EngineError> {
        Ok(self
            .clean(bytes)?
            .into_iter()
            .map(|a| self.classify(self.tag(a)))
            .collect())
    }
}
