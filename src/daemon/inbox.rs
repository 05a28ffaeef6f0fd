//! Inbox entries are untrusted input: their names, their types and their sizes.
//!
//! - **Names are data.** [`escape_name`] is the one function every file name goes
//!   through before it reaches a NATS header, a message id, a log line or a `.reason`
//!   sidecar: printable ASCII and non-ASCII letters and digits pass, everything else
//!   (control bytes, CR, LF, separators, bidi controls, bytes that are not UTF-8) is
//!   written as `\u{…}` / `\xNN`, and `\` as `\\`. The escape is injective: two
//!   different names never escape to the same text.
//! - **Only regular files are read.** [`vet`] classifies an entry without following
//!   links; symlinks, directories, FIFOs, sockets and devices are refused with a typed
//!   [`Refusal`] (a symlink is followed only when `inbox.follow_symlinks` is on, and
//!   then only to a regular file inside the inbox). [`read_limited`] opens with
//!   `O_NOFOLLOW | O_NONBLOCK`, checks the opened descriptor again (an entry swapped
//!   for a link or a FIFO after [`vet`] is not read) and reads at most `limit + 1`
//!   bytes, however large the file: memory never follows the file's size, and the
//!   pipeline still sees "more than the limit" and rejects it as `too_large`.
//! - **Refused entries leave the inbox** through [`refuse`]: moved to `rejected/`
//!   with a `.reason` sidecar, a warning and a count in `wirefeed_files_rejected_total`.

use std::ffi::OsStr;
use std::fmt::Write as _;
use std::fs;
use std::io::{self, Read};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{FileTypeExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use super::config::InboxConfig;

/// Escape every byte of a file name (or path) for headers, logs and sidecars.
pub fn escape_name(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            match c {
                '\\' => out.push_str("\\\\"),
                ' '..='~' => out.push(c),
                c if !c.is_ascii() && c.is_alphanumeric() => out.push(c),
                c => {
                    let _ = write!(out, "\\u{{{:x}}}", c as u32);
                }
            }
        }
        for b in chunk.invalid() {
            let _ = write!(out, "\\x{b:02x}");
        }
    }
    out
}

/// A path as it may be shown in a log line or a sidecar (escaped).
pub fn shown(path: &Path) -> String {
    escape_name(path.as_os_str().as_bytes())
}

/// The escaped last component of `path` (`unnamed` when it has none).
pub fn shown_name(path: &Path) -> String {
    path.file_name()
        .map(|n| escape_name(n.as_bytes()))
        .unwrap_or_else(|| "unnamed".into())
}

/// Names the watcher never takes: hidden files and temporary names, decided on the
/// raw bytes (a name need not be UTF-8).
pub fn is_ignored_name(name: &OsStr) -> bool {
    let b = name.as_bytes();
    b.starts_with(b".")
        || b.ends_with(b".tmp")
        || b.ends_with(b".part")
        || b.ends_with(b"~")
        || b.ends_with(b".reason")
        // the folder a filesystem's root holds for fsck, when the inbox is a mount
        || b == b"lost+found"
}

/// Why an inbox entry is not read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("symbolic link (inbox.follow_symlinks is off)")]
    Symlink,
    #[error("symbolic link to {target}, outside the inbox")]
    SymlinkOutside { target: String },
    #[error("symbolic link to {target}, which does not exist")]
    DanglingSymlink { target: String },
    #[error("symbolic link to {target}, which is not a regular file")]
    SymlinkNotFile { target: String },
    #[error("directory (the inbox is not searched recursively)")]
    Directory,
    #[error("not a regular file ({0})")]
    Special(&'static str),
    #[error("unreadable after {attempts} attempts: {error}")]
    Unreadable { attempts: u32, error: String },
}

impl Refusal {
    /// Bounded `error_type` / `reason` label.
    pub fn kind(&self) -> &'static str {
        match self {
            Refusal::Symlink
            | Refusal::SymlinkOutside { .. }
            | Refusal::DanglingSymlink { .. }
            | Refusal::SymlinkNotFile { .. } => "symlink",
            Refusal::Directory => "directory",
            Refusal::Special(_) => "special_file",
            Refusal::Unreadable { .. } => "unreadable",
        }
    }

    /// Every label [`Refusal::kind`] can return.
    pub const KINDS: &'static [&'static str] =
        &["symlink", "directory", "special_file", "unreadable"];
}

/// An entry that may be read: the file to open and its size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Vetted {
    /// What to open: the entry itself, or a followed link's target inside the inbox.
    pub source: PathBuf,
    pub size: u64,
}

/// What [`vet`] needs to know.
#[derive(Debug, Clone)]
pub struct Policy {
    /// The inbox, canonical.
    pub inbox: PathBuf,
    pub follow_symlinks: bool,
}

fn special_kind(t: &fs::FileType) -> &'static str {
    if t.is_fifo() {
        "fifo"
    } else if t.is_socket() {
        "socket"
    } else if t.is_block_device() {
        "block device"
    } else if t.is_char_device() {
        "character device"
    } else {
        "unknown type"
    }
}

/// Classify an inbox entry without following it. `Ok(None)`: it vanished. (Size is
/// not refused here but bounded in [`read_limited`], so that oversize files take the
/// pipeline's `too_large` path with its dead letter.)
pub fn vet(policy: &Policy, path: &Path) -> Result<Option<Vetted>, Refusal> {
    let md = match fs::symlink_metadata(path) {
        Ok(m) => m,
        Err(_) => return Ok(None),
    };
    let t = md.file_type();
    let (source, md) = if t.is_symlink() {
        if !policy.follow_symlinks {
            return Err(Refusal::Symlink);
        }
        let target = fs::read_link(path)
            .map(|t| shown(&t))
            .unwrap_or_else(|_| "?".into());
        let Ok(real) = fs::canonicalize(path) else {
            return Err(Refusal::DanglingSymlink { target });
        };
        if !real.starts_with(&policy.inbox) || real == policy.inbox {
            return Err(Refusal::SymlinkOutside { target });
        }
        match fs::metadata(&real) {
            Ok(m) if m.is_file() => (real, m),
            Ok(_) => return Err(Refusal::SymlinkNotFile { target }),
            Err(_) => return Err(Refusal::DanglingSymlink { target }),
        }
    } else if t.is_dir() {
        return Err(Refusal::Directory);
    } else if !t.is_file() {
        return Err(Refusal::Special(special_kind(&t)));
    } else {
        (path.to_path_buf(), md)
    };
    Ok(Some(Vetted {
        source,
        size: md.len(),
    }))
}

/// The result of [`read_limited`].
#[derive(Debug)]
pub enum ReadOutcome {
    Bytes(Vec<u8>),
    /// The descriptor says the file is larger than the limit: only its first
    /// `limit + 1` bytes were read (enough for the pipeline's `too_large` rejection
    /// and its dead letter), never the whole file.
    TooLarge {
        size: u64,
        prefix: Vec<u8>,
    },
    /// Not a regular file any more (swapped after it was vetted).
    NotRegular,
}

/// Open `path` without following a link and without blocking on a FIFO, check the
/// opened file is regular and within `limit`, then read at most `limit + 1` bytes
/// (memory stays bounded even if the file grows meanwhile).
pub fn read_limited(path: &Path, limit: usize) -> io::Result<ReadOutcome> {
    let f = fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_CLOEXEC)
        .open(path)
        .map_err(|e| {
            if e.raw_os_error() == Some(libc::ELOOP) {
                io::Error::new(io::ErrorKind::InvalidData, "became a symbolic link")
            } else {
                e
            }
        })?;
    let md = f.metadata()?;
    if !md.is_file() {
        return Ok(ReadOutcome::NotRegular);
    }
    let size = md.len();
    let mut buf = Vec::with_capacity(size.min(limit as u64 + 1) as usize);
    f.take(limit as u64 + 1).read_to_end(&mut buf)?;
    if size > limit as u64 {
        return Ok(ReadOutcome::TooLarge { size, prefix: buf });
    }
    Ok(ReadOutcome::Bytes(buf))
}

/// The (device, inode) of an entry, not following links.
pub fn identity(path: &Path) -> Option<(u64, u64)> {
    fs::symlink_metadata(path).ok().map(|m| (m.dev(), m.ino()))
}

/// Move a refused entry to `rejected/` with its reason; count and log it. A failure
/// to move is returned (the caller retries a bounded number of times).
pub fn refuse(cfg: &InboxConfig, path: &Path, why: &Refusal) -> anyhow::Result<PathBuf> {
    let kind = why.kind();
    let reason = why.to_string();
    tracing::warn!(path = %shown(path), error_type = kind, reason = %reason, "inbox entry refused");
    // the name is the id of an entry that is not read
    let hash = crate::engine::content_hash(path.as_os_str().as_bytes());
    let dest = super::files::reject(cfg, path, &hash, kind, &reason)?;
    metrics::counter!(crate::metrics::FILES_REJECTED, "error_type" => kind).increment(1);
    Ok(dest)
}

/// Keep only the `(dev, ino)` pairs of `wanted` that some other process holds open
/// for writing, looking through `/proc/<pid>/fd`. `names` are the wanted files' names:
/// only descriptors whose link names one of them are stat-ed (cheap, and no stat of
/// unrelated files, which could hang on a dead network mount). `None` when `/proc`
/// cannot be read (then the caller relies on inotify alone). Writers in another PID
/// namespace (a different container sharing the volume) are not visible here.
pub fn open_for_write(
    wanted: &std::collections::HashSet<(u64, u64)>,
    names: &std::collections::HashSet<std::ffi::OsString>,
) -> Option<std::collections::HashSet<(u64, u64)>> {
    let mut found = std::collections::HashSet::new();
    if wanted.is_empty() {
        return Some(found);
    }
    let me = std::process::id().to_string();
    let procs = fs::read_dir("/proc").ok()?;
    for p in procs.flatten() {
        let pid = p.file_name();
        let Some(pid) = pid.to_str() else { continue };
        if !pid.bytes().all(|b| b.is_ascii_digit()) || pid == me {
            continue;
        }
        let fd_dir = p.path().join("fd");
        let Ok(fds) = fs::read_dir(&fd_dir) else {
            continue;
        };
        for fd in fds.flatten() {
            let named = fs::read_link(fd.path())
                .ok()
                .is_some_and(|t| t.file_name().is_some_and(|n| names.contains(n)));
            if !named {
                continue;
            }
            let Ok(md) = fs::metadata(fd.path()) else {
                continue;
            };
            let key = (md.dev(), md.ino());
            if !wanted.contains(&key) || found.contains(&key) {
                continue;
            }
            let info = p.path().join("fdinfo").join(fd.file_name());
            let writing = fs::read_to_string(info).ok().is_some_and(|s| {
                s.lines()
                    .find_map(|l| l.strip_prefix("flags:"))
                    .and_then(|f| u32::from_str_radix(f.trim(), 8).ok())
                    .is_some_and(|flags| flags & libc::O_ACCMODE as u32 != libc::O_RDONLY as u32)
            });
            if writing {
                found.insert(key);
            }
        }
    }
    Some(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_keeps_plain_names_and_escapes_the_rest() {
        assert_eq!(escape_name(b"story-01.txt"), "story-01.txt");
        assert_eq!(escape_name("статья.txt".as_bytes()), "статья.txt");
        assert_eq!(escape_name(b"a\nb"), "a\\u{a}b");
        assert_eq!(
            escape_name(b"x\r\nNats-Msg-Id: y"),
            "x\\u{d}\\u{a}Nats-Msg-Id: y"
        );
        assert_eq!(escape_name(b"\xff\xfe.txt"), "\\xff\\xfe.txt");
        assert_eq!(escape_name(b"a\\b"), "a\\\\b");
        assert_eq!(escape_name("a\u{202e}b".as_bytes()), "a\\u{202e}b");
        // the escape of a backslash does not collide with an escape sequence
        assert_ne!(escape_name(b"\\x41"), escape_name(b"\x41"));
    }

    #[test]
    fn ignored_names() {
        for n in [".hidden", "a.tmp", "a.part", "a~", "x.reason", "lost+found"] {
            assert!(is_ignored_name(OsStr::new(n)), "{n}");
        }
        assert!(!is_ignored_name(OsStr::new("article.txt")));
        assert!(!is_ignored_name(OsStr::from_bytes(b"\xffarticle")));
    }

    #[test]
    fn vet_refuses_links_dirs_and_fifos() {
        let d = tempfile::tempdir().unwrap();
        let inbox = fs::canonicalize(d.path()).unwrap();
        let policy = Policy {
            inbox: inbox.clone(),
            follow_symlinks: false,
        };
        fs::write(inbox.join("ok"), b"12345").unwrap();
        fs::write(inbox.join("big"), b"12345678901").unwrap();
        std::os::unix::fs::symlink("/etc/passwd", inbox.join("pw")).unwrap();
        std::os::unix::fs::symlink(inbox.join("ok"), inbox.join("inside")).unwrap();
        std::os::unix::fs::symlink(inbox.join("nowhere"), inbox.join("dangling")).unwrap();
        fs::create_dir(inbox.join("sub")).unwrap();
        let fifo = std::ffi::CString::new(inbox.join("fifo").as_os_str().as_bytes()).unwrap();
        assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o600) }, 0);

        assert_eq!(
            vet(&policy, &inbox.join("ok")).unwrap().unwrap().size,
            5,
            "regular file"
        );
        assert_eq!(vet(&policy, &inbox.join("big")).unwrap().unwrap().size, 11);
        assert_eq!(vet(&policy, &inbox.join("pw")), Err(Refusal::Symlink));
        assert_eq!(vet(&policy, &inbox.join("sub")), Err(Refusal::Directory));
        assert_eq!(
            vet(&policy, &inbox.join("fifo")),
            Err(Refusal::Special("fifo"))
        );
        assert_eq!(vet(&policy, &inbox.join("gone")), Ok(None));

        let follow = Policy {
            follow_symlinks: true,
            ..policy
        };
        assert!(matches!(
            vet(&follow, &inbox.join("pw")),
            Err(Refusal::SymlinkOutside { .. })
        ));
        assert!(matches!(
            vet(&follow, &inbox.join("dangling")),
            Err(Refusal::DanglingSymlink { .. })
        ));
        assert_eq!(
            vet(&follow, &inbox.join("inside")).unwrap().unwrap().source,
            inbox.join("ok")
        );

        // the read itself does not follow links nor block on FIFOs
        assert!(read_limited(&inbox.join("pw"), 100).is_err());
        assert!(matches!(
            read_limited(&inbox.join("fifo"), 100).unwrap(),
            ReadOutcome::NotRegular
        ));
        match read_limited(&inbox.join("big"), 5).unwrap() {
            ReadOutcome::TooLarge { size, prefix } => {
                assert_eq!((size, prefix.as_slice()), (11, &b"123456"[..]))
            }
            other => panic!("{other:?}"),
        }
        match read_limited(&inbox.join("ok"), 10).unwrap() {
            ReadOutcome::Bytes(b) => assert_eq!(b, b"12345"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn open_writers_are_seen_through_proc() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("w");
        fs::write(&p, b"x").unwrap();
        let id = identity(&p).unwrap();
        let wanted: std::collections::HashSet<_> = [id].into_iter().collect();
        let names: std::collections::HashSet<_> =
            [std::ffi::OsString::from("w")].into_iter().collect();
        // a child process holding the file open for append
        let mut child = std::process::Command::new("sh")
            .arg("-c")
            .arg(format!("exec 3>>'{}'; exec sleep 5", p.display()))
            .spawn()
            .unwrap();
        let mut seen = false;
        for _ in 0..100 {
            if open_for_write(&wanted, &names).unwrap().contains(&id) {
                seen = true;
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        let _ = child.kill();
        let _ = child.wait();
        assert!(seen, "the writer holding the file was not seen");
        assert!(open_for_write(&wanted, &names).unwrap().is_empty());
    }
}
