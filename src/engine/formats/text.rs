//! Plain text: agency wire framing (IPTC 7901, ANPA 1312) removed, hard-wrapped
//! paragraphs re-joined, one-paragraph-per-line text kept as it is.

use super::Extracted;
use crate::engine::normalize;
use crate::model::Format;

const SOH: char = '\u{1}';
const STX: char = '\u{2}';
const ETX: char = '\u{3}';
const SYN: char = '\u{16}';

/// An ANPA line without its leading `^` and trailing `<` format codes.
fn anpa_codes(line: &str) -> &str {
    let t = line.trim();
    let t = t.strip_prefix('^').unwrap_or(t);
    t.strip_suffix('<').unwrap_or(t)
}

pub(super) fn extract(s: &str) -> Extracted {
    // ANPA 1312 transmissions open with SYN SYN SOH; their lines are paragraphs
    // already (never hard-wrapped) and carry `^` (start of a header line) and `<`
    // (end of line) format codes.
    let anpa = s.trim_start_matches(['\n', '\r']).starts_with(SYN);
    let body = strip_framing(s);
    // CRLF, LF or (old Mac) CR line ends.
    let lines: Vec<&str> = if body.contains('\n') {
        body.split('\n').map(|l| l.trim_end_matches('\r')).collect()
    } else {
        body.split('\r').collect()
    };
    let paragraphs = match wrap_width(&lines) {
        _ if anpa => lines
            .iter()
            .map(|l| normalize::display(anpa_codes(l)))
            .collect(),
        Some(width) => unwrap(&lines, width),
        None => lines.iter().map(|l| normalize::display(l)).collect(),
    };
    Extracted {
        format: Format::Text,
        paragraphs,
        ..Default::default()
    }
}

/// Remove wire transmission framing: the header between SOH and STX and the
/// trailer from ETX to the next message. Text without SOH is returned unchanged.
fn strip_framing(s: &str) -> String {
    if !s.contains(SOH) && !s.contains(STX) {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    for (i, message) in s.split(SOH).enumerate() {
        // Before the first SOH there is only line noise (SYN SYN) in real wires,
        // but text without any SOH framing must survive.
        let text = if i == 0 {
            if s.contains(SOH) && message.trim_matches(|c: char| c.is_control()).is_empty() {
                continue;
            }
            message
        } else {
            match message.find(STX) {
                Some(stx) => &message[stx + STX.len_utf8()..],
                None => message,
            }
        };
        let text = match text.find(ETX) {
            Some(etx) => &text[..etx],
            None => text,
        };
        if !out.is_empty() {
            out.push_str("\n\n");
        }
        out.push_str(text);
    }
    out
}

/// If the text is hard-wrapped (blocks of lines cut at a fixed width), that width.
///
/// Text with one paragraph per line (the seeds, scraped pages) has long lines or
/// blocks of single lines and is left alone.
fn wrap_width(lines: &[&str]) -> Option<usize> {
    let lens: Vec<usize> = lines
        .iter()
        .map(|l| l.trim().chars().count())
        .filter(|&n| n > 0)
        .collect();
    if lens.len() < 4 {
        return None;
    }
    let mut sorted = lens.clone();
    sorted.sort_unstable();
    let width = sorted[(sorted.len() * 9 / 10).min(sorted.len() - 1)];
    if !(30..=100).contains(&width) {
        return None;
    }
    // Lines followed by another non-empty line: in wrapped text nearly all of them
    // run close to the width.
    let mut continued = 0usize;
    let mut near_width = 0usize;
    for pair in lines.windows(2) {
        let (a, b) = (pair[0].trim(), pair[1].trim());
        if !a.is_empty() && !b.is_empty() {
            continued += 1;
            if a.chars().count() * 10 >= width * 6 {
                near_width += 1;
            }
        }
    }
    let wrapped =
        continued >= 2 && continued * 10 >= lens.len() * 3 && near_width * 10 >= continued * 7;
    wrapped.then_some(width)
}

/// Join the lines of each block into one paragraph. A short line, or one ending
/// in a wire end-of-field mark (`=` dpa, `<` ANPA), ends its paragraph early.
fn unwrap(lines: &[&str], width: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    for line in lines {
        let t = line.trim();
        if t.is_empty() {
            push(&mut current, &mut out);
            out.push(String::new());
            continue;
        }
        if !current.is_empty() {
            current.push(' ');
        }
        current.push_str(t);
        let short = t.chars().count() * 10 < width * 6;
        if short || t.ends_with('=') || t.ends_with('<') {
            push(&mut current, &mut out);
        }
    }
    push(&mut current, &mut out);
    out
}

fn push(current: &mut String, out: &mut Vec<String>) {
    let p = normalize::display(current);
    current.clear();
    if !p.is_empty() {
        out.push(p);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_paragraph_per_line_is_kept() {
        let s = "Title line\n\nA first paragraph that is long enough to be a full paragraph of prose and keeps going well past any wrap width.\n\nSecond one, also long, also well past the usual seventy-odd characters of a wire.\nCaption\n";
        let ex = extract(s);
        assert_eq!(
            ex.paragraphs,
            vec![
                "Title line",
                "",
                "A first paragraph that is long enough to be a full paragraph of prose and keeps going well past any wrap width.",
                "",
                "Second one, also long, also well past the usual seventy-odd characters of a wire.",
                "Caption",
                ""
            ]
        );
    }

    #[test]
    fn hard_wrapped_blocks_are_joined() {
        let s = "   The council met on Monday to discuss the new harbour plan and\r\n\
                 agreed to spend more on the quay walls before the winter storms\r\n\
                 arrive, the mayor said.\r\n\
                 \r\n\
                 \x20  Work should start in spring, with a budget of two million\r\n\
                 that the region will share with the town over three years.\r\n";
        let ex = extract(s);
        let non_empty: Vec<&String> = ex.paragraphs.iter().filter(|p| !p.is_empty()).collect();
        assert_eq!(non_empty.len(), 2, "{:?}", ex.paragraphs);
        assert!(non_empty[0].starts_with("The council met"));
        assert!(non_empty[0].ends_with("the mayor said."));
        assert!(non_empty[1].ends_with("over three years."));
    }

    #[test]
    fn anpa_lines_stay_lines_without_codes() {
        let s = "\u{16}\u{16}\u{1}X1234\u{1f}abc\n f l\u{13}\u{11} BC-Slug 01-01 0100\n\u{2}^BC-Slug,100<\n^Short headline here<\n^By A. WRITER=\n\tTOWN (XX) _ One paragraph.\n \n\tScores: A 1, B 2<\n\tC 3, D 4<\n\u{3}XX-01-01-20 1200GMT<\n";
        let ex = extract(s);
        let lines: Vec<&String> = ex.paragraphs.iter().filter(|p| !p.is_empty()).collect();
        assert_eq!(
            lines,
            vec![
                "BC-Slug,100",
                "Short headline here",
                "By A. WRITER=",
                "TOWN (XX) _ One paragraph.",
                "Scores: A 1, B 2",
                "C 3, D 4"
            ]
        );
    }

    #[test]
    fn framing_is_removed() {
        let s = "\u{16}\u{16}\u{1}abc123 4 i 200 xyz\r\n\r\nslug/\r\n\u{2}Headline here =\r\n\r\n   Body text.\r\n\u{3}181200 GMT\u{4}";
        let ex = extract(s);
        let joined = ex.paragraphs.join("|");
        assert!(!joined.contains("abc123"), "{joined}");
        assert!(!joined.contains("GMT"), "{joined}");
        assert!(joined.contains("Headline here ="));
        assert!(joined.contains("Body text."));
    }
}
