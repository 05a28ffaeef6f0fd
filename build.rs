//! Embeds the shipped data files (topics, gazetteer, boilerplate patterns, …) into the
//! binary so `wirefeed` works from any directory. Users extend them at run time with
//! `--data DIR`; this only decides the defaults.

use std::{env, fs, path::Path};

fn main() {
    let root = env::var("CARGO_MANIFEST_DIR").unwrap();
    let mut out = String::from("pub(crate) const BUILTIN: &[(&str, &str, &str)] = &[\n");
    let dirs = [
        ("topics", "topics".to_string()),
        ("gazetteer", "data/gazetteer".to_string()),
        ("boilerplate", "data/boilerplate".to_string()),
        ("agencies", "data/agencies".to_string()),
        ("figures", "data/figures".to_string()),
        ("languages", "data/languages".to_string()),
        ("dates", "data/dates".to_string()),
    ];
    for (category, rel) in dirs {
        let dir = Path::new(&root).join(&rel);
        println!("cargo:rerun-if-changed={}", dir.display());
        let Ok(read) = fs::read_dir(&dir) else {
            continue;
        };
        let mut files: Vec<_> = read
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "toml"))
            .collect();
        files.sort();
        for path in files {
            println!("cargo:rerun-if-changed={}", path.display());
            let name = path.file_name().unwrap().to_string_lossy().to_string();
            out.push_str(&format!(
                "    ({category:?}, {:?}, include_str!({:?})),\n",
                format!("{rel}/{name}"),
                path.display().to_string()
            ));
        }
    }
    out.push_str("];\n");
    let dest = Path::new(&env::var("OUT_DIR").unwrap()).join("builtin_data.rs");
    fs::write(dest, out).unwrap();
}
