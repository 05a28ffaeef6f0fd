//! `wirefeed process --cluster`: the story state over one batch, in input order, with
//! no clock (an article's time is the one it states), and the stories table.

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::engine::stories::{time, Observation, StorySettings, StoryState, StoryTag};
use crate::model::ClassifiedArticle;
use crate::story_store::{self, LogStore, StoryStore};

/// Read story settings from FILE, or the shipped ones.
pub fn settings(file: Option<&Path>) -> Result<StorySettings> {
    match file {
        None => Ok(StorySettings::builtin()),
        Some(f) => {
            let text = fs::read_to_string(f).with_context(|| format!("reading {}", f.display()))?;
            Ok(StorySettings::parse(&f.display().to_string(), &text)?)
        }
    }
}

/// One batch's story state.
pub struct Batch {
    pub settings: StorySettings,
    pub state: StoryState,
    /// Duplicate groups: first article → its copies.
    pub groups: BTreeMap<String, Vec<String>>,
    /// Article id → input path (for the table).
    pub paths: BTreeMap<String, PathBuf>,
    /// Story id → the articles of this batch in it, in order (a story holds only its
    /// latest members).
    pub members: BTreeMap<String, Vec<String>>,
    pub alerts: usize,
    /// The durable log (`--stories-state`), when given.
    pub log: Option<LogStore>,
    /// Observations replayed from it at start.
    pub replayed: usize,
}

impl Batch {
    pub fn new(config: Option<&Path>, state_log: Option<&Path>) -> Result<Batch> {
        let settings = settings(config)?;
        let (state, log, replayed) = match state_log {
            None => (StoryState::new(), None, 0),
            Some(p) => {
                let mut log = LogStore::open(p, &settings)
                    .with_context(|| format!("opening {}", p.display()))?;
                let (state, n) = story_store::restore(&mut log, &settings)
                    .with_context(|| format!("reading {}", p.display()))?;
                (state, Some(log), n)
            }
        };
        Ok(Batch {
            settings,
            state,
            groups: BTreeMap::new(),
            paths: BTreeMap::new(),
            members: BTreeMap::new(),
            alerts: 0,
            log,
            replayed,
        })
    }

    /// Observe one article: recorded durably (with `--stories-state`) before the
    /// caller writes its outputs.
    pub fn observe(&mut self, c: &ClassifiedArticle, path: &Path) -> Result<StoryTag> {
        let ob = Observation::of(&self.settings, c, None);
        if let Some(log) = &mut self.log {
            if !self.state.has_seen(&ob.article_id) {
                log.record(&ob).context("writing the story state log")?;
            }
        }
        let o = self.state.apply(&self.settings, &ob);
        self.paths
            .insert(c.tagged.article.id.clone(), path.to_path_buf());
        if let Some(d) = o.tag.duplicate_of() {
            self.groups
                .entry(d.to_string())
                .or_default()
                .push(c.tagged.article.id.clone());
        }
        // (a repeated article changes no story)
        for id in &o.changed {
            let list = self.members.entry(id.clone()).or_default();
            list.push(c.tagged.article.id.clone());
        }
        self.alerts += o.alerts.len();
        Ok(o.tag)
    }

    fn path(&self, id: &str) -> String {
        self.paths
            .get(id)
            .map_or_else(|| id.to_string(), |p| p.display().to_string())
    }

    /// The duplicate groups and the stories table.
    pub fn write_table(&self, out: &mut impl Write) -> Result<()> {
        writeln!(out, "duplicate groups: {}", self.groups.len())?;
        for (first, copies) in &self.groups {
            writeln!(out, "  {} ({} copies)", self.path(first), copies.len())?;
            for c in copies {
                writeln!(out, "    = {}", self.path(c))?;
            }
        }
        let mut stories: Vec<_> = self.state.stories().collect();
        stories.sort_by(|a, b| {
            (a.topic.as_str(), std::cmp::Reverse(a.articles))
                .cmp(&(b.topic.as_str(), std::cmp::Reverse(b.articles)))
        });
        let multi = stories.iter().filter(|s| s.articles > 1).count();
        writeln!(
            out,
            "stories: {} ({} with more than one article), alerts: {}",
            stories.len(),
            multi,
            self.alerts
        )?;
        writeln!(
            out,
            "{:<32} {:>4} {:>4} {:<20} {:<11} {:<20} {:<20} {:<24} headline",
            "story",
            "arts",
            "dups",
            "sources",
            "languages",
            "first seen",
            "last seen",
            "largest figures"
        )?;
        for s in stories {
            let figs: Vec<String> = s
                .figures
                .iter()
                .map(|(k, f)| format!("{k} {}", f.value))
                .collect();
            let list = |v: &std::collections::BTreeSet<String>| {
                let j: Vec<&str> = v.iter().map(String::as_str).collect();
                if j.is_empty() {
                    "—".to_string()
                } else {
                    j.join(",")
                }
            };
            let when = |t: Option<i64>| t.map_or_else(|| "—".to_string(), time::format_iso);
            let headline: String = s
                .headline
                .as_deref()
                .unwrap_or("—")
                .chars()
                .take(70)
                .collect();
            writeln!(
                out,
                "{:<32} {:>4} {:>4} {:<20} {:<11} {:<20} {:<20} {:<24} {}",
                s.id,
                s.articles,
                s.duplicates,
                list(&s.sources),
                list(&s.languages),
                when(s.first_seen),
                when(s.last_seen),
                if figs.is_empty() {
                    "—".into()
                } else {
                    figs.join(",")
                },
                headline
            )?;
            if s.articles > 1 {
                let held: Vec<&str> = s.members.iter().map(|m| m.article.as_str()).collect();
                let here: Vec<&str> = self
                    .members
                    .get(&s.id)
                    .map_or_else(Vec::new, |l| l.iter().map(String::as_str).collect());
                // all held, else this batch's (the story outgrew max_members)
                let (list, earlier) = if held.len() as u32 == s.articles {
                    (held, 0)
                } else {
                    let n = s.articles.saturating_sub(here.len() as u32);
                    (here, n)
                };
                for a in list {
                    writeln!(out, "      · {}", self.path(a))?;
                }
                if earlier > 0 {
                    writeln!(out, "      · (+{earlier} from the state log)")?;
                }
            }
        }
        Ok(())
    }

    /// Every story as DIR/<topic>/<id>.json.
    pub fn write_stories(&self, dir: &Path) -> Result<()> {
        for s in self.state.stories() {
            let d = dir.join(&s.topic);
            fs::create_dir_all(&d).with_context(|| format!("creating {}", d.display()))?;
            let f = d.join(format!("{}.json", s.id));
            fs::write(&f, serde_json::to_string_pretty(&s.summary())?)
                .with_context(|| format!("writing {}", f.display()))?;
        }
        Ok(())
    }
}

/// The `--explain` lines of a story decision.
pub fn explain_tag(tag: &StoryTag) -> String {
    use std::fmt::Write as _;
    let mut s = String::new();
    if let Some(d) = &tag.duplicate {
        let _ = writeln!(
            s,
            "   duplicate of {} (matched {}: jaccard {}, containment {})",
            d.duplicate_of, d.matched, d.jaccard, d.containment
        );
    }
    for c in &tag.clusters {
        let _ = writeln!(
            s,
            "   story {} {}: via {}{} score {} shared [{}] keys [{}]{}",
            c.topic,
            c.id,
            c.via,
            c.member
                .as_deref()
                .map(|m| format!(" {m}"))
                .unwrap_or_default(),
            c.score,
            c.shared.join(","),
            c.keys.join(","),
            c.hours_apart
                .map(|h| format!(" {h} h apart"))
                .unwrap_or_default()
        );
        for r in &c.rejected {
            let _ = writeln!(s, "       not {r}");
        }
    }
    s
}
