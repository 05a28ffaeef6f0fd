//! Property tests of file names as data: arbitrary name bytes through the intake's
//! escaping, the NATS headers and message ids built from them, and the moves and
//! `.reason` sidecars of real files with those names.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::str::FromStr;

use proptest::prelude::*;
use wirefeed::daemon::config::InboxConfig;
use wirefeed::daemon::files::{self, fit_name, NAME_MAX};
use wirefeed::daemon::inbox::{self, escape_name};

/// The inverse of `escape_name`, to show it loses nothing (hence is injective).
fn unescape(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            let mut b = [0u8; 4];
            out.extend_from_slice(c.encode_utf8(&mut b).as_bytes());
            continue;
        }
        match chars.next()? {
            '\\' => out.push(b'\\'),
            'x' => {
                let h: String = [chars.next()?, chars.next()?].iter().collect();
                out.push(u8::from_str_radix(&h, 16).ok()?);
            }
            'u' => {
                if chars.next()? != '{' {
                    return None;
                }
                let mut h = String::new();
                loop {
                    match chars.next()? {
                        '}' => break,
                        d => h.push(d),
                    }
                }
                let c = char::from_u32(u32::from_str_radix(&h, 16).ok()?)?;
                let mut b = [0u8; 4];
                out.extend_from_slice(c.encode_utf8(&mut b).as_bytes());
            }
            _ => return None,
        }
    }
    Some(out)
}

/// Names biased towards the hostile: control bytes, CR LF, header-like text,
/// invalid UTF-8, backslashes, non-ASCII letters, bidi controls.
fn name_bytes() -> impl Strategy<Value = Vec<u8>> {
    let piece = prop_oneof![
        3 => any::<u8>().prop_map(|b| vec![b]),
        1 => Just(b"\r\n".to_vec()),
        1 => Just(b"\n".to_vec()),
        1 => Just(b"Nats-Msg-Id: x".to_vec()),
        1 => Just(b"\\x41".to_vec()),
        1 => Just("статья".as_bytes().to_vec()),
        1 => Just("\u{202e}".as_bytes().to_vec()),
        1 => Just(b"\xff\xfe".to_vec()),
        2 => "[a-z0-9._-]{1,12}".prop_map(|s| s.into_bytes()),
    ];
    prop::collection::vec(piece, 1..24).prop_map(|v| v.concat())
}

/// A name a file can have on Linux: no `/`, no NUL, not `.` or `..`, ≤ 255 bytes.
fn file_name_bytes() -> impl Strategy<Value = Vec<u8>> {
    name_bytes().prop_map(|mut b| {
        b.retain(|&c| c != b'/' && c != 0);
        b.truncate(NAME_MAX);
        if b.is_empty() || b == b"." || b == b".." {
            b = b"x".to_vec();
        }
        b
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn escaped_names_are_single_line_header_safe_and_lossless(name in name_bytes()) {
        let e = escape_name(&name);
        prop_assert!(!e.chars().any(|c| c.is_control()), "control char in {e:?}");
        prop_assert!(!e.contains('\r') && !e.contains('\n'));
        prop_assert!(!e.chars().any(|c| c.is_whitespace() && c != ' '), "{e:?}");
        prop_assert_eq!(unescape(&e), Some(name.clone()), "lossless");
        // a valid NATS header value, and as a header line exactly one line
        prop_assert!(async_nats::HeaderValue::from_str(&e).is_ok());
        let mut h = async_nats::HeaderMap::new();
        h.insert("Wirefeed-Source-Path", e.as_str());
        h.insert("Nats-Msg-Id", format!("{}:dlq:clean:{e}", "0".repeat(64)).as_str());
        prop_assert_eq!(h.iter().count(), 2, "no header injected");
        let line = format!("Wirefeed-Source-Path: {}\r\n", h.get("Wirefeed-Source-Path").unwrap());
        prop_assert_eq!(line.matches("\r\n").count(), 1);
        prop_assert_eq!(
            h.get("Nats-Msg-Id").unwrap().as_str(),
            format!("{}:dlq:clean:{e}", "0".repeat(64))
        );
    }

    #[test]
    fn distinct_names_escape_distinctly(a in name_bytes(), b in name_bytes()) {
        prop_assume!(a != b);
        prop_assert_ne!(escape_name(&a), escape_name(&b));
    }

    #[test]
    fn fitted_names_stay_within_the_limit_and_distinct(a in file_name_bytes(), b in file_name_bytes()) {
        for suffix in ["", ".reason", ".0123456789abcdef"] {
            let fa = fit_name("", OsStr::from_bytes(&a), suffix);
            prop_assert!(fa.len() <= NAME_MAX, "{} bytes", fa.len());
            let ft = fit_name(".", OsStr::from_bytes(&a), ".tmp");
            prop_assert!(ft.len() <= NAME_MAX);
            if a != b {
                prop_assert_ne!(fa, fit_name("", OsStr::from_bytes(&b), suffix));
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    /// Real files with arbitrary names: vetted, read, rejected with a sidecar that is
    /// within the name limit and holds exactly its five one-line fields.
    #[test]
    fn real_files_with_arbitrary_names_go_through_intake(name in file_name_bytes()) {
        let d = tempfile::tempdir().unwrap();
        let inbox_dir = d.path().join("inbox");
        std::fs::create_dir_all(&inbox_dir).unwrap();
        let cfg = InboxConfig {
            dir: inbox_dir.clone(),
            processed_dir: d.path().join("processed"),
            rejected_dir: d.path().join("rejected"),
            ..InboxConfig::default()
        };
        let path = inbox_dir.join(OsStr::from_bytes(&name));
        std::fs::write(&path, b"body").unwrap();
        let policy = inbox::Policy {
            inbox: std::fs::canonicalize(&inbox_dir).unwrap(),
            follow_symlinks: false,
        };
        let v = inbox::vet(&policy, &path).unwrap().unwrap();
        prop_assert_eq!(v.size, 4);
        match inbox::read_limited(&v.source, 100).unwrap() {
            inbox::ReadOutcome::Bytes(b) => prop_assert_eq!(b, b"body".to_vec()),
            other => prop_assert!(false, "{other:?}"),
        }
        let dest = files::reject(&cfg, &path, &"ab".repeat(32), "empty", "a reason\nwith a newline").unwrap();
        prop_assert!(!path.exists());
        prop_assert_eq!(dest.file_name().unwrap().as_bytes(), &name[..]);
        prop_assert_eq!(std::fs::read_dir(&cfg.rejected_dir).unwrap().count(), 2);
        let sidecar = cfg.rejected_dir.join(fit_name("", dest.file_name().unwrap(), ".reason"));
        let text = std::fs::read_to_string(&sidecar).unwrap();
        prop_assert_eq!(text.lines().count(), 5, "{:?}", text);
        let source = format!("source: {}", inbox::shown(&path));
        prop_assert!(text.contains(&source), "{:?}", text);
        prop_assert!(!text.contains('\r'));
    }
}
