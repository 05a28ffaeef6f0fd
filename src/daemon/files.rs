//! File moves the daemon makes: processed/, rejected/ with a `.reason` sidecar, and
//! durable atomic writes (temp file, fsync, rename, fsync the folder).
//!
//! Names are raw bytes: a file keeps its exact name in processed/ and rejected/; only
//! the sidecar's text shows it escaped ([`super::inbox::escape_name`]). A name that
//! leaves no room for a suffix within the 255-byte limit (`.reason`, the collision
//! suffix, the `.<name>.tmp` of a durable write) is shortened, with a hash of the
//! full name so shortened names stay distinct ([`fit_name`]).
//!
//! A move across filesystems (`processed/` on another mount: `EXDEV`) is done as
//! copy to a temp name in the destination, fsync, rename, fsync the folder, then
//! remove the source. A crash in between leaves the file in both places; the inbox
//! copy is then redone, which the content-derived ids make harmless.

use std::ffi::{OsStr, OsString};
use std::fs;
use std::io::Write;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use super::config::{InboxConfig, OnSuccess};
use super::inbox::shown;

/// The longest file name (bytes) on the filesystems the daemon writes to.
pub const NAME_MAX: usize = 255;

/// `prefix + name + suffix`, shortened to fit [`NAME_MAX`]: when too long, the name is
/// cut and `~<16 hex of its BLAKE3>` inserted before the suffix.
pub fn fit_name(prefix: &str, name: &OsStr, suffix: &str) -> OsString {
    let n = name.as_bytes();
    let mut out = Vec::with_capacity(NAME_MAX);
    out.extend_from_slice(prefix.as_bytes());
    if prefix.len() + n.len() + suffix.len() <= NAME_MAX {
        out.extend_from_slice(n);
    } else {
        let hash = crate::engine::content_hash(n);
        let tag = format!("~{}", &hash[..16]);
        let room = NAME_MAX.saturating_sub(prefix.len() + tag.len() + suffix.len());
        out.extend_from_slice(&n[..room.min(n.len())]);
        out.extend_from_slice(tag.as_bytes());
    }
    out.extend_from_slice(suffix.as_bytes());
    OsString::from_vec(out)
}

/// A free destination for `name` in `dir`: the name itself, or with the content hash
/// appended when a different file already has that name.
fn destination(dir: &Path, name: &OsStr, hash: &str) -> PathBuf {
    let plain = dir.join(fit_name("", name, ""));
    if fs::symlink_metadata(&plain).is_err() {
        return plain;
    }
    dir.join(fit_name(
        "",
        name,
        &format!(".{}", &hash[..hash.len().min(16)]),
    ))
}

fn file_name(path: &Path) -> OsString {
    path.file_name()
        .map(OsStr::to_os_string)
        .unwrap_or_else(|| "unnamed".into())
}

/// The file's content is safely in the pipeline: move it to processed/ or delete it.
pub fn finish(cfg: &InboxConfig, path: &Path, hash: &str) -> Result<()> {
    match cfg.on_success {
        OnSuccess::Delete => match fs::remove_file(path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(e).with_context(|| format!("deleting {}", shown(path))),
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
    let sidecar = cfg
        .rejected_dir
        .join(fit_name("", &file_name(&dest), ".reason"));
    // every line is one line: the reason and the names are escaped
    let text = format!(
        "error_type: {}\nreason: {}\nblake3: {hash}\nsource: {}\nfile: {}\n",
        super::inbox::escape_name(error_type.as_bytes()),
        super::inbox::escape_name(reason.as_bytes()),
        shown(path),
        shown(&dest),
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
        Err(e) if e.raw_os_error() == Some(libc::EXDEV) => return move_across(from, to),
        Err(e) => {
            return Err(e).with_context(|| format!("moving {} to {}", shown(from), shown(to)))
        }
    }
    if let Some(dir) = to.parent() {
        sync_dir(dir);
    }
    Ok(())
}

/// A move to another filesystem: copy (durably, under a temp name), then remove.
/// Symlinks and other non-regular entries (refused ones) are recreated as what they
/// are, never followed.
fn move_across(from: &Path, to: &Path) -> Result<()> {
    let md = match fs::symlink_metadata(from) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e).with_context(|| format!("reading {}", shown(from))),
    };
    let dir = to.parent().context("destination has no parent")?;
    let tmp = dir.join(fit_name(".", &file_name(to), ".tmp"));
    let ctx = || {
        format!(
            "copying {} to {} (another filesystem)",
            shown(from),
            shown(to)
        )
    };
    let _ = fs::remove_file(&tmp);
    if md.file_type().is_symlink() {
        let target = fs::read_link(from).with_context(ctx)?;
        std::os::unix::fs::symlink(target, &tmp).with_context(ctx)?;
    } else if md.is_file() {
        let mut src = fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
            .open(from)
            .with_context(ctx)?;
        let mut dst = fs::File::create(&tmp).with_context(ctx)?;
        std::io::copy(&mut src, &mut dst).with_context(ctx)?;
        dst.sync_all().with_context(ctx)?;
        let _ = dst.set_permissions(fs::Permissions::from_mode(md.mode() & 0o7777));
    } else {
        anyhow::bail!(
            "cannot move {} to another filesystem: not a regular file or link",
            shown(from)
        );
    }
    fs::rename(&tmp, to).with_context(ctx)?;
    sync_dir(dir);
    match fs::remove_file(from) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => {
            return Err(e).with_context(|| format!("removing {} after copying it", shown(from)))
        }
    }
    if let Some(src_dir) = from.parent() {
        sync_dir(src_dir);
    }
    Ok(())
}

/// Whether `a` and `b` (folders; created if missing) are on different filesystems,
/// so moves between them are copies. Logged at start-up.
pub fn crosses_filesystems(a: &Path, b: &Path) -> Option<bool> {
    let _ = fs::create_dir_all(b);
    let da = fs::metadata(a).ok()?.dev();
    let db = fs::metadata(b).ok()?.dev();
    Some(da != db)
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
    let tmp = dir.join(fit_name(".", &file_name(path), ".tmp"));
    let written = (|| {
        let mut f = fs::File::create(&tmp).with_context(|| format!("creating {}", shown(&tmp)))?;
        f.write_all(bytes)
            .with_context(|| format!("writing {}", shown(&tmp)))?;
        f.sync_all()
            .with_context(|| format!("syncing {}", shown(&tmp)))?;
        fs::rename(&tmp, path).with_context(|| format!("renaming into {}", shown(path)))
    })();
    if written.is_err() {
        // a full disk or a failed rename must not leave the half-written temp behind
        let _ = fs::remove_file(&tmp);
    }
    written?;
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
