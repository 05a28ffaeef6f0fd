//! A small, safe XML tree for the news containers (NITF, NewsML), built on quick-xml.
//!
//! Safety rules: entity declarations are refused (no DTD is ever processed), only the
//! five predefined entities and numeric references are expanded, unknown named
//! references are mapped from a short HTML table or kept literally, and nesting is
//! bounded so that neither building nor walking nor dropping the tree can overflow
//! the stack.

use std::borrow::Cow;

use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

use super::{append_part, ParagraphBuilder};
use crate::engine::normalize;
use crate::error::EngineError;

/// Deeper nesting than this is no news item; refusing it keeps recursion bounded.
const MAX_DEPTH: usize = 256;

/// An element: its local name, its attributes (keys as written, e.g. `xml:lang`)
/// and its children.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Element {
    pub name: String,
    pub attrs: Vec<(String, String)>,
    pub children: Vec<Node>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Node {
    Element(Element),
    Text(String),
}

impl Element {
    /// Attribute by its written key (`xml:lang`) or, failing that, its local name.
    pub fn attr(&self, key: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == key)
            .or_else(|| {
                self.attrs
                    .iter()
                    .find(|(k, _)| k.rsplit(':').next() == Some(key))
            })
            .map(|(_, v)| v.as_str())
    }

    /// Element children.
    pub fn elements(&self) -> impl Iterator<Item = &Element> {
        self.children.iter().filter_map(|n| match n {
            Node::Element(e) => Some(e),
            Node::Text(_) => None,
        })
    }

    /// First child element with this local name.
    pub fn child(&self, name: &str) -> Option<&Element> {
        self.elements().find(|e| e.name == name)
    }

    /// Follow a path of child names.
    pub fn path(&self, names: &[&str]) -> Option<&Element> {
        names.iter().try_fold(self, |e, n| e.child(n))
    }

    /// First descendant (depth-first, self excluded) with this local name.
    pub fn find(&self, name: &str) -> Option<&Element> {
        for e in self.elements() {
            if e.name == name {
                return Some(e);
            }
            if let Some(found) = e.find(name) {
                return Some(found);
            }
        }
        None
    }

    /// All descendants with this local name, in document order (not inside each other).
    pub fn find_all<'a>(&'a self, name: &str, out: &mut Vec<&'a Element>) {
        for e in self.elements() {
            if e.name == name {
                out.push(e);
            } else {
                e.find_all(name, out);
            }
        }
    }

    /// All text below this element, concatenated (display form).
    pub fn text(&self) -> String {
        let mut s = String::new();
        self.collect_text(&mut s);
        normalize::display(&s)
    }

    fn collect_text(&self, s: &mut String) {
        for n in &self.children {
            match n {
                Node::Text(t) => s.push_str(t),
                Node::Element(e) => {
                    // Keep words of adjacent elements apart ("<a>x</a><b>y</b>").
                    if is_block(&e.name) {
                        s.push(' ');
                    }
                    e.collect_text(s);
                    if is_block(&e.name) {
                        s.push(' ');
                    }
                }
            }
        }
    }

    /// All text below this element with its line breaks (for plain-text payloads).
    pub fn text_raw(&self) -> String {
        let mut s = String::new();
        self.collect_text(&mut s);
        s
    }

    /// Non-empty text of this element, if any.
    pub fn non_empty_text(&self) -> Option<String> {
        Some(self.text()).filter(|t| !t.is_empty())
    }
}

/// Parse `s` into a tree. `format` names the container in error messages.
pub(crate) fn parse(s: &str, format: &'static str) -> Result<Element, EngineError> {
    let mut reader = Reader::from_str(s);
    let malformed = |detail: String| EngineError::Malformed { format, detail };
    let mut stack: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    loop {
        let event = reader
            .read_event()
            .map_err(|e| malformed(format!("{e} (at byte {})", reader.error_position())))?;
        match event {
            Event::DocType(d) => {
                // Entities may only be declared in the DTD; refuse before anything
                // could ever expand them.
                if d.windows(8).any(|w| w == b"<!ENTITY") {
                    return Err(EngineError::EntityDeclaration);
                }
            }
            Event::Start(start) => {
                if stack.len() >= MAX_DEPTH {
                    return Err(malformed(format!(
                        "nesting deeper than {MAX_DEPTH} elements (at byte {})",
                        reader.buffer_position()
                    )));
                }
                stack.push(element(&start, format)?);
            }
            Event::Empty(start) => {
                let e = element(&start, format)?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(Node::Element(e)),
                    None => {
                        root.get_or_insert(e);
                    }
                }
            }
            Event::End(_) => {
                // quick-xml already checked that the end name matches.
                let Some(e) = stack.pop() else {
                    return Err(malformed(format!(
                        "unexpected end tag (at byte {})",
                        reader.buffer_position()
                    )));
                };
                match stack.last_mut() {
                    Some(parent) => parent.children.push(Node::Element(e)),
                    None => {
                        root.get_or_insert(e);
                    }
                }
            }
            Event::Text(t) => {
                if let Some(parent) = stack.last_mut() {
                    let raw = utf8(&t, format)?;
                    parent.children.push(Node::Text(unescape(raw).into_owned()));
                }
            }
            Event::CData(t) => {
                if let Some(parent) = stack.last_mut() {
                    parent
                        .children
                        .push(Node::Text(utf8(&t, format)?.to_string()));
                }
            }
            Event::Eof => break,
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) => {}
        }
    }
    if let Some(open) = stack.last() {
        return Err(malformed(format!(
            "unexpected end of input: <{}> not closed",
            open.name
        )));
    }
    root.ok_or_else(|| malformed("no root element".to_string()))
}

fn utf8<'a>(b: &'a [u8], format: &'static str) -> Result<&'a str, EngineError> {
    // The reader runs over a `&str`, so this only fails if an event split a char.
    std::str::from_utf8(b).map_err(|e| EngineError::Malformed {
        format,
        detail: e.to_string(),
    })
}

fn element(start: &BytesStart, format: &'static str) -> Result<Element, EngineError> {
    let name = utf8(start.local_name().into_inner(), format)?.to_string();
    let mut attrs = Vec::new();
    for a in start.attributes() {
        let a = a.map_err(|e| EngineError::Malformed {
            format,
            detail: e.to_string(),
        })?;
        let key = utf8(a.key.as_ref(), format)?.to_string();
        let value = unescape(utf8(&a.value, format)?).into_owned();
        attrs.push((key, value));
    }
    Ok(Element {
        name,
        attrs,
        children: Vec::new(),
    })
}

/// Expand `&lt;` `&gt;` `&amp;` `&quot;` `&apos;`, numeric references and a few
/// common HTML names (feeds paste `&nbsp;` into XML). Anything else stays literal:
/// no entity is ever looked up in a DTD.
pub(crate) fn unescape(raw: &str) -> Cow<'_, str> {
    if !raw.contains('&') {
        return Cow::Borrowed(raw);
    }
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        rest = &rest[amp..];
        let end = rest
            .char_indices()
            .skip(1)
            .take(33)
            .find(|&(_, c)| c == ';' || c == '&' || c.is_whitespace() || c == '<');
        match end {
            Some((semi, ';')) if semi > 1 => {
                let name = &rest[1..semi];
                match resolve(name) {
                    Some(c) => {
                        out.push_str(c.as_str());
                        rest = &rest[semi + 1..];
                    }
                    None => {
                        out.push_str(&rest[..semi + 1]);
                        rest = &rest[semi + 1..];
                    }
                }
            }
            _ => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    Cow::Owned(out)
}

/// Text for one entity name (without `&` and `;`).
fn resolve(name: &str) -> Option<String> {
    if let Some(num) = name.strip_prefix('#') {
        let code = match num.strip_prefix(['x', 'X']) {
            Some(hex) => u32::from_str_radix(hex, 16).ok()?,
            None => num.parse::<u32>().ok()?,
        };
        // NUL and surrogates are not characters; show that something was there.
        let c = char::from_u32(code)
            .filter(|&c| c != '\0')
            .unwrap_or('\u{FFFD}');
        return Some(c.to_string());
    }
    let c = match name {
        "lt" => "<",
        "gt" => ">",
        "amp" => "&",
        "quot" => "\"",
        "apos" => "'",
        _ => return html_entity(name).map(str::to_string),
    };
    Some(c.to_string())
}

/// The HTML named entities that show up in wire XML.
fn html_entity(name: &str) -> Option<&'static str> {
    Some(match name {
        "nbsp" => "\u{00A0}",
        "ensp" => "\u{2002}",
        "emsp" => "\u{2003}",
        "thinsp" => "\u{2009}",
        "shy" => "\u{00AD}",
        "ndash" => "–",
        "mdash" => "—",
        "hellip" => "…",
        "lsquo" => "‘",
        "rsquo" => "’",
        "sbquo" => "‚",
        "ldquo" => "“",
        "rdquo" => "”",
        "bdquo" => "„",
        "laquo" => "«",
        "raquo" => "»",
        "lsaquo" => "‹",
        "rsaquo" => "›",
        "bull" => "•",
        "middot" => "·",
        "copy" => "©",
        "reg" => "®",
        "trade" => "™",
        "deg" => "°",
        "euro" => "€",
        "pound" => "£",
        "yen" => "¥",
        "cent" => "¢",
        "sect" => "§",
        "para" => "¶",
        "times" => "×",
        "divide" => "÷",
        "plusmn" => "±",
        "frac12" => "½",
        "frac14" => "¼",
        "frac34" => "¾",
        "prime" => "′",
        "Prime" => "″",
        "agrave" => "à",
        "aacute" => "á",
        "acirc" => "â",
        "auml" => "ä",
        "aring" => "å",
        "ccedil" => "ç",
        "egrave" => "è",
        "eacute" => "é",
        "ecirc" => "ê",
        "euml" => "ë",
        "iacute" => "í",
        "iuml" => "ï",
        "ntilde" => "ñ",
        "oacute" => "ó",
        "ocirc" => "ô",
        "ouml" => "ö",
        "oslash" => "ø",
        "uacute" => "ú",
        "uuml" => "ü",
        "szlig" => "ß",
        "Auml" => "Ä",
        "Aring" => "Å",
        "Eacute" => "É",
        "Ouml" => "Ö",
        "Oslash" => "Ø",
        "Uuml" => "Ü",
        "aelig" => "æ",
        "AElig" => "Æ",
        _ => return None,
    })
}

/// Local name of the root element, skipping the XML declaration, comments,
/// processing instructions and the DOCTYPE. Only looks, never parses.
pub(crate) fn sniff_root(s: &str) -> Option<String> {
    let mut rest = s.trim_start_matches(|c: char| c.is_whitespace() || c == '\u{FEFF}');
    loop {
        if let Some(r) = rest.strip_prefix("<?") {
            rest = &r[r.find("?>")? + 2..];
        } else if let Some(r) = rest.strip_prefix("<!--") {
            rest = &r[r.find("-->")? + 3..];
        } else if rest
            .get(..9)
            .is_some_and(|d| d.eq_ignore_ascii_case("<!doctype"))
        {
            let r = &rest[9..];
            let close = r.find('>')?;
            rest = match r.find('[') {
                Some(open) if open < close => {
                    let after = &r[open..];
                    let end = after.find(']')?;
                    let tail = &after[end..];
                    &tail[tail.find('>')? + 1..]
                }
                _ => &r[close + 1..],
            };
        } else if let Some(r) = rest.strip_prefix('<') {
            let name: String = r
                .chars()
                .take_while(|c| !c.is_whitespace() && !matches!(c, '>' | '/'))
                .collect();
            let local = name.rsplit(':').next().unwrap_or_default();
            return Some(local.to_string()).filter(|n| !n.is_empty());
        } else {
            return None;
        }
        rest = rest.trim_start();
    }
}

/// Elements that start a new paragraph.
pub(crate) fn is_block(name: &str) -> bool {
    matches!(
        name.to_ascii_lowercase().as_str(),
        "p" | "div"
            | "h1"
            | "h2"
            | "h3"
            | "h4"
            | "h5"
            | "h6"
            | "hl1"
            | "hl2"
            | "li"
            | "ul"
            | "ol"
            | "dl"
            | "dt"
            | "dd"
            | "tr"
            | "table"
            | "blockquote"
            | "bq"
            | "section"
            | "article"
            | "header"
            | "main"
            | "block"
            | "pre"
            | "figure"
            | "figcaption"
            | "address"
            | "body"
            | "html"
            | "fn"
            | "note"
            | "caption"
            | "tagline"
            | "nitf-table"
            | "dateline"
            | "byline"
    )
}

/// Elements whose content is never article text.
pub(crate) fn is_skipped(name: &str) -> bool {
    matches!(
        name.to_ascii_lowercase().as_str(),
        "script"
            | "style"
            | "noscript"
            | "template"
            | "svg"
            | "iframe"
            | "nav"
            | "footer"
            | "aside"
            | "form"
            | "button"
            | "select"
            | "head"
            | "media"
            | "media-reference"
            | "media-metadata"
            | "object"
            | "img"
            | "link"
            | "meta"
            | "title"
    )
}

/// Paragraphs of an element tree, appended to `out`: block elements become
/// separate paragraphs (an empty string between them), inline elements run
/// together, `br` breaks the line.
pub(crate) fn block_paragraphs(root: &Element, out: &mut Vec<String>) {
    let mut b = ParagraphBuilder::default();
    walk_blocks(root, &mut b);
    append_part(out, b.finish());
}

fn walk_blocks(e: &Element, b: &mut ParagraphBuilder) {
    for n in &e.children {
        match n {
            Node::Text(t) => b.push_str(t),
            Node::Element(child) => {
                let name = child.name.to_ascii_lowercase();
                if is_skipped(&name) {
                    continue;
                }
                match name.as_str() {
                    "br" => b.line_break(),
                    "td" | "th" => {
                        b.push(' ');
                        walk_blocks(child, b);
                        b.push(' ');
                    }
                    _ if is_block(&name) => {
                        b.paragraph_break();
                        walk_blocks(child, b);
                        b.paragraph_break();
                    }
                    _ => walk_blocks(child, b),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unescape_predefined_numeric_and_html_names() {
        assert_eq!(unescape("a &lt;b&gt; &amp; &#65;&#x42;"), "a <b> & AB");
        assert_eq!(unescape("x&nbsp;y &mdash; z"), "x\u{A0}y — z");
        assert_eq!(unescape("&unknown; & &;"), "&unknown; & &;");
        assert_eq!(unescape("&#0; &#xD800;"), "\u{FFFD} \u{FFFD}");
        assert_eq!(unescape("end &amp"), "end &amp");
    }

    #[test]
    fn sniff_skips_prolog() {
        let s = "<?xml version=\"1.0\"?>\n<!-- c -->\n<!DOCTYPE nitf SYSTEM \"nitf.dtd\">\n<nitf>";
        assert_eq!(sniff_root(s).as_deref(), Some("nitf"));
        assert_eq!(
            sniff_root("<x:newsItem a='1'/>").as_deref(),
            Some("newsItem")
        );
        assert_eq!(
            sniff_root("<!DOCTYPE a [ <!ELEMENT a ANY> ]><a/>").as_deref(),
            Some("a")
        );
        assert_eq!(sniff_root("<?xml"), None);
    }

    #[test]
    fn parse_builds_tree_and_keeps_unknown_entities() {
        let root = parse("<a x='1&amp;2'><b>one &nbsp;&foo;</b><c/></a>", "xml").unwrap();
        assert_eq!(root.name, "a");
        assert_eq!(root.attr("x"), Some("1&2"));
        assert_eq!(root.child("b").unwrap().text(), "one &foo;");
        assert!(root.child("c").is_some());
    }

    #[test]
    fn parse_rejects_unclosed_and_mismatched() {
        for bad in ["<a><b></a>", "<a><b>", "<a attr=></a>", ""] {
            let err = parse(bad, "nitf").unwrap_err();
            assert!(
                matches!(err, EngineError::Malformed { format: "nitf", .. }),
                "{bad}: {err:?}"
            );
        }
    }

    #[test]
    fn parse_bounds_depth() {
        let deep = "<a>".repeat(10_000);
        assert!(matches!(
            parse(&deep, "xml"),
            Err(EngineError::Malformed { .. })
        ));
    }

    #[test]
    fn blocks_split_paragraphs() {
        let root = parse(
            "<body><p>One <em>two</em></p>three<br/>four<table><tr><td>a</td><td>b</td></tr></table><script>x</script></body>",
            "xml",
        )
        .unwrap();
        let mut out = Vec::new();
        block_paragraphs(&root, &mut out);
        assert_eq!(out, vec!["One two", "", "three", "four", "", "a b"]);
    }
}
