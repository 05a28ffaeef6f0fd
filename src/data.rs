//! Data files: the built-in set embedded at compile time (see `build.rs`) and user
//! directories layered on top at run time.
//!
//! Categories: `topics`, `gazetteer`, `boilerplate`, `agencies`, `figures`, `languages`,
//! `dates`. A user
//! directory given with `--data DIR` may hold any of `DIR/<category>/*.toml`; a file
//! whose name matches a built-in one replaces it, other files are added.

use std::path::Path;

include!(concat!(env!("OUT_DIR"), "/builtin_data.rs"));

/// One data file: where it came from (for error messages) and its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataFile {
    /// Display path (`topics/ukraine_war.toml` or the user's path).
    pub name: String,
    pub text: String,
}

impl DataFile {
    /// Parse the file as TOML into `T`; a syntax or type error is reported at its
    /// file:line:column. The one way every data loader reads its files.
    pub fn parse<T: serde::de::DeserializeOwned>(&self) -> Result<T, crate::error::DataError> {
        toml::from_str(&self.text)
            .map_err(|e| crate::error::DataError::from_toml(&self.name, &self.text, &e))
    }
}

/// All data files by category.
#[derive(Debug, Clone, Default)]
pub struct DataSet {
    pub topics: Vec<DataFile>,
    pub gazetteer: Vec<DataFile>,
    pub boilerplate: Vec<DataFile>,
    pub agencies: Vec<DataFile>,
    pub figures: Vec<DataFile>,
    pub languages: Vec<DataFile>,
    /// Month, weekday and dateline words per language (`data/dates/<lang>.toml`).
    pub dates: Vec<DataFile>,
}

/// The data categories, in a fixed order.
pub const CATEGORIES: [&str; 7] = [
    "topics",
    "gazetteer",
    "boilerplate",
    "agencies",
    "figures",
    "languages",
    "dates",
];

impl DataSet {
    /// The files shipped in the binary.
    pub fn builtin() -> DataSet {
        let mut set = DataSet::default();
        for (category, name, text) in BUILTIN {
            set.category_mut(category).push(DataFile {
                name: name.to_string(),
                text: text.to_string(),
            });
        }
        set
    }

    fn category_mut(&mut self, category: &str) -> &mut Vec<DataFile> {
        match category {
            "topics" => &mut self.topics,
            "gazetteer" => &mut self.gazetteer,
            "boilerplate" => &mut self.boilerplate,
            "agencies" => &mut self.agencies,
            "figures" => &mut self.figures,
            "languages" => &mut self.languages,
            "dates" => &mut self.dates,
            other => unreachable!("unknown data category {other}"),
        }
    }

    /// Add (or replace, by file name) the `*.toml` files of one category from `dir`.
    pub fn overlay_category(&mut self, category: &str, dir: &Path) -> std::io::Result<usize> {
        let mut paths: Vec<_> = std::fs::read_dir(dir)?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "toml"))
            .collect();
        paths.sort();
        let files = self.category_mut(category);
        for path in &paths {
            let text = std::fs::read_to_string(path)?;
            let file_name = path.file_name().map(|n| n.to_os_string());
            files.retain(|f| Path::new(&f.name).file_name().map(|n| n.to_os_string()) != file_name);
            files.push(DataFile {
                name: path.display().to_string(),
                text,
            });
        }
        Ok(paths.len())
    }

    /// Overlay every category found under `dir` (`dir/topics`, `dir/gazetteer`, …).
    pub fn overlay_dir(&mut self, dir: &Path) -> std::io::Result<usize> {
        let mut n = 0;
        for category in CATEGORIES {
            let sub = dir.join(category);
            if sub.is_dir() {
                n += self.overlay_category(category, &sub)?;
            }
        }
        Ok(n)
    }
}
