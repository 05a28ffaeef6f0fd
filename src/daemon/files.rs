//! File moves the daemon makes: processed/, rejected/ with a `.reason` sidecar, and
//! durable atomic writes (temp file, fsync, rename, fsync the folder).

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use super::config::{InboxConfig, OnSuccess};

/// A free destination for `name` in `dir`: the name itself, or with the content hash
/// appended when a different file already has that name.
fn destination(dir: &Path, name: &str, hash: &str) -> PathBuf {
    let plain = dir.join(name);
    if !plain.exists() {
        return plain;
    }
    dir.join(format!("{name}.{}", &hash[..hash.len().min(16)]))
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_else(|| "unnamed".into())
}

/// The file's content is safely in the pipeline: move it to processed/ or delete it.
pub fn finish(cfg: &InboxConfig, path: &Path, hash: &str) -> Result<()> {
    match cfg.on_success {
        OnSuccess::Delete => match fs::remove_file(path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(e).with_context(|| format!("deleting {}", path.display())),
        },
        OnSuccess::Move => {
            fs::create_dir_all(&cfg.processed_dir)?;
            let dest = destination(&cfg.processed_dir, &file_name(path), hash);
            rename_durably(path, &dest)
        }
    }
}

/// The file can never be processed: move it to rejected/ with a `.reason` sidecar.
pub fn reject(
    cfg: &InboxConfig,
    path: &Path,
    hash: &str,
    error_type: &str,
    reason: &str,
) -> Result<PathBuf> {
    fs::create_dir_all(&cfg.rejected_dir)?;
    let dest = destination(&cfg.rejected_dir, &file_name(path), hash);
    let sidecar = PathBuf::from(format!("{}.reason", dest.display()));
    let text = format!(
        "error_type: {error_type}\nreason: {reason}\nblake3: {hash}\nsource: {}\n",
        path.display()
    );
    write_durably(&sidecar, text.as_bytes())?;
    rename_durably(path, &dest)?;
    Ok(dest)
}

fn rename_durably(from: &Path, to: &Path) -> Result<()> {
    match fs::rename(from, to) {
        Ok(()) => {}
        // already moved by an earlier attempt (e.g. before a crash)
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => {
            return Err(e).with_context(|| format!("moving {} to {}", from.display(), to.display()))
        }
    }
    if let Some(dir) = to.parent() {
        sync_dir(dir);
    }
    Ok(())
}

fn sync_dir(dir: &Path) {
    if let Ok(d) = fs::File::open(dir) {
        let _ = d.sync_all();
    }
}

/// Write `bytes` to `path` atomically and durably: a temp file beside it, fsync,
/// rename over `path`, fsync the folder. Readers never see a partial file.
pub fn write_durably(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path.parent().context("path has no parent")?;
    fs::create_dir_all(dir)?;
    let tmp = dir.join(format!(".{}.tmp", file_name(path)));
    {
        let mut f =
            fs::File::create(&tmp).with_context(|| format!("creating {}", tmp.display()))?;
        f.write_all(bytes)?;
        f.sync_all()?;
    }
    fs::rename(&tmp, path).with_context(|| format!("renaming into {}", path.display()))?;
    sync_dir(dir);
    Ok(())
}

/// Remove temp files a crash left behind in `dir` and its sub-folders: the
/// `.<name>.tmp` files of [`write_durably`] that never reached their rename. Call it at
/// start-up, before any writer runs. Returns how many were removed.
pub fn remove_stale_temps(dir: &Path) -> usize {
    let Ok(rd) = fs::read_dir(dir) else {
        return 0;
    };
    let mut removed = 0;
    for entry in rd.flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().to_string();
        match entry.file_type() {
            Ok(t) if t.is_dir() => removed += remove_stale_temps(&path),
            Ok(t)
                if t.is_file()
                    && name.starts_with('.')
                    && name.ends_with(".tmp")
                    && fs::remove_file(&path).is_ok() =>
            {
                removed += 1;
            }
            _ => {}
        }
    }
    removed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stale_temps_are_removed_and_nothing_else() {
        let d = std::env::temp_dir().join(format!("wirefeed-files-{}", std::process::id()));
        let _ = fs::remove_dir_all(&d);
        fs::create_dir_all(d.join("topic")).unwrap();
        fs::write(d.join("topic/.a.json.tmp"), b"half").unwrap();
        fs::write(d.join("topic/a.json"), b"{}").unwrap();
        fs::write(d.join("b.tmp"), b"not ours").unwrap();
        assert_eq!(remove_stale_temps(&d), 1);
        assert!(d.join("topic/a.json").exists());
        assert!(d.join("b.tmp").exists());
        assert!(!d.join("topic/.a.json.tmp").exists());
        let _ = fs::remove_dir_all(&d);
    }
}
