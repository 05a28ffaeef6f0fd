//! Format detection and extraction on small invented fixtures.

use super::*;

fn non_empty(ex: &Extracted) -> Vec<&str> {
    ex.paragraphs
        .iter()
        .filter(|p| !p.is_empty())
        .map(String::as_str)
        .collect()
}

#[test]
fn iso_dates() {
    assert_eq!(
        iso_date("20151210T191044Z").as_deref(),
        Some("2015-12-10T19:10:44Z")
    );
    assert_eq!(
        iso_date("20140829T134951+0000").as_deref(),
        Some("2014-08-29T13:49:51+00:00")
    );
    assert_eq!(iso_date("20200102").as_deref(), Some("2020-01-02"));
    assert_eq!(
        iso_date("2017-08-24T01:58:40+0000").as_deref(),
        Some("2017-08-24T01:58:40+00:00")
    );
    assert_eq!(
        iso_date("2019-04-15T13:49:15").as_deref(),
        Some("2019-04-15T13:49:15")
    );
    assert_eq!(
        iso_date("2023-10-04T10:00:00.000Z").as_deref(),
        Some("2023-10-04T10:00:00Z")
    );
    assert_eq!(iso_date("Nov 13"), None);
}

const BILLION_LAUGHS: &str = r#"<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<nitf><body><body.content><p>&lol3;</p></body.content></body></nitf>"#;

#[test]
fn billion_laughs_is_refused_fast() {
    assert_eq!(extract(BILLION_LAUGHS), Err(EngineError::EntityDeclaration));
    // A megabyte of declarations is still one linear scan.
    let mut big = String::from("<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [\n");
    while big.len() < 1_000_000 {
        big.push_str("<!ENTITY lol \"lollollollollollollollollollollollollol\">\n");
    }
    big.push_str("]>\n<lolz>&lol;</lolz>");
    let start = std::time::Instant::now();
    assert_eq!(extract(&big), Err(EngineError::EntityDeclaration));
    assert!(start.elapsed() < std::time::Duration::from_millis(500));
}

#[test]
fn xxe_is_refused() {
    let xxe = "<?xml version=\"1.0\"?>\n<!DOCTYPE newsItem [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>\n<newsItem><contentSet><inlineData>&x;</inlineData></contentSet></newsItem>";
    assert_eq!(extract(xxe), Err(EngineError::EntityDeclaration));
    // Parsing directly (past the pre-check) refuses it too.
    assert_eq!(
        xml::parse(xxe, "newsml"),
        Err(EngineError::EntityDeclaration)
    );
}

#[test]
fn malformed_xml_names_the_format() {
    let nitf =
        "<?xml version=\"1.0\"?><nitf><body><body.content><p>Unclosed</body.content></body></nitf>";
    match extract(nitf) {
        Err(EngineError::Malformed { format, detail }) => {
            assert_eq!(format, "nitf");
            assert!(detail.contains("byte"), "{detail}");
        }
        other => panic!("expected malformed nitf, got {other:?}"),
    }
    let newsml = "<newsItem><contentSet><inlineData>text";
    assert!(matches!(
        extract(newsml),
        Err(EngineError::Malformed {
            format: "newsml",
            ..
        })
    ));
    let other = "<?xml version=\"1.0\"?><feed><entry></feed>";
    assert!(matches!(
        extract(other),
        Err(EngineError::Malformed { format: "xml", .. })
    ));
}

#[test]
fn nitf_article() {
    let s = r#"<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE nitf SYSTEM "nitf-3-4.dtd">
<nitf xml:lang="en-GB">
  <head>
    <title>Harbour plan</title>
    <docdata>
      <doc-id regsrc="XX" id-string="123"/>
      <date.issue norm="20200314T091500Z"/>
      <doc.copyright holder="Example Agency"/>
    </docdata>
  </head>
  <body>
    <body.head>
      <hedline><hl1>Town approves harbour plan</hl1></hedline>
      <byline>By A. Writer</byline>
      <distributor>Example Wire</distributor>
      <dateline><location>PORTVILLE</location><story.date norm="20200314T080000Z">March 14</story.date></dateline>
    </body.head>
    <body.content>
      <p>The council voted&nbsp;on Monday &amp; approved the plan.</p>
      <hl2>Costs</hl2>
      <p>It will cost <em>two</em> million.</p>
      <media media-type="image"><media-caption>Not body text</media-caption></media>
    </body.content>
  </body>
</nitf>"#;
    let ex = extract(s).unwrap();
    assert_eq!(ex.format, Format::Nitf);
    assert!(ex.structured);
    assert_eq!(ex.headline.as_deref(), Some("Town approves harbour plan"));
    assert_eq!(
        non_empty(&ex),
        vec![
            "The council voted on Monday & approved the plan.",
            "Costs",
            "It will cost two million."
        ]
    );
    assert_eq!(ex.paragraphs[1], "");
    assert_eq!(ex.dateline.as_deref(), Some("PORTVILLE"));
    assert_eq!(ex.published.as_deref(), Some("2020-03-14T08:00:00Z"));
    assert_eq!(ex.credits, vec!["Example Wire", "Example Agency"]);
    assert_eq!(ex.publisher.as_deref(), Some("Example Wire"));
    assert_eq!(ex.language.as_deref(), Some("en-GB"));
}

#[test]
fn nitf_without_body_is_no_text() {
    let s = "<nitf><head><docdata/></head><body><body.content/></body></nitf>";
    assert_eq!(extract(s), Err(EngineError::NoTextBody { format: "nitf" }));
}

#[test]
fn newsml_g2_inline_xhtml() {
    let s = r#"<?xml version="1.0" encoding="UTF-8"?>
<newsMessage xmlns="http://iptc.org/std/nar/2006-10-01/">
  <itemSet>
    <newsItem guid="urn:x:1" xml:lang="de">
      <itemMeta>
        <itemClass qcode="ninat:text"/>
        <provider literal="Beispiel-Agentur"/>
        <versionCreated>2021-05-06T07:08:09+02:00</versionCreated>
        <firstCreated>2021-05-06T06:00:00+02:00</firstCreated>
      </itemMeta>
      <contentMeta>
        <located><name>Musterstadt</name></located>
        <creditline>Beispiel-Agentur</creditline>
        <headline role="hld:subHeadline">Unterzeile</headline>
        <headline>Neue Brücke eröffnet</headline>
      </contentMeta>
      <contentSet>
        <inlineXML contenttype="application/xhtml+xml">
          <html xmlns="http://www.w3.org/1999/xhtml">
            <head><title>ignored</title></head>
            <body><h1>Neue Brücke eröffnet</h1><p>Die Brücke ist fertig.</p><p>Sie ist <b>200</b> Meter lang.</p></body>
          </html>
        </inlineXML>
      </contentSet>
    </newsItem>
  </itemSet>
</newsMessage>"#;
    let ex = extract(s).unwrap();
    assert_eq!(ex.format, Format::Newsml);
    assert!(ex.structured);
    assert_eq!(ex.headline.as_deref(), Some("Neue Brücke eröffnet"));
    assert_eq!(
        non_empty(&ex),
        vec![
            "Neue Brücke eröffnet",
            "Die Brücke ist fertig.",
            "Sie ist 200 Meter lang."
        ]
    );
    assert_eq!(ex.dateline.as_deref(), Some("Musterstadt"));
    assert_eq!(ex.published.as_deref(), Some("2021-05-06T06:00:00+02:00"));
    assert_eq!(ex.language.as_deref(), Some("de"));
    assert_eq!(ex.credits, vec!["Beispiel-Agentur"]);
}

#[test]
fn newsml_g2_inline_data_and_nitf() {
    let s = r#"<newsItem xmlns="http://iptc.org/std/nar/2006-10-01/">
  <itemMeta><itemClass qcode="icls:text"/><versionCreated>2022-01-02T03:04:05Z</versionCreated></itemMeta>
  <contentMeta><language tag="fi"/><dateline>Kaupunki</dateline><infoSource><name>Uutistoimisto</name></infoSource></contentMeta>
  <contentSet>
    <inlineData contenttype="text/plain">Ensimmäinen kappale.
Toinen kappale.</inlineData>
  </contentSet>
</newsItem>"#;
    let ex = extract(s).unwrap();
    assert_eq!(ex.format, Format::Newsml);
    assert_eq!(
        non_empty(&ex),
        vec!["Ensimmäinen kappale.", "Toinen kappale."]
    );
    assert_eq!(ex.language.as_deref(), Some("fi"));
    assert_eq!(ex.dateline.as_deref(), Some("Kaupunki"));
    assert_eq!(ex.published.as_deref(), Some("2022-01-02T03:04:05Z"));
    assert_eq!(ex.credits, vec!["Uutistoimisto"]);

    let nitf = r#"<newsMessage><itemSet><newsItem>
  <itemMeta><itemClass qcode="ninat:text"/></itemMeta>
  <contentSet><inlineXML contenttype="application/nitf+xml"><nitf><body><body.head><hedline><hl1>Inner head</hl1></hedline></body.head><body.content><p>Inner body.</p></body.content></body></nitf></inlineXML></contentSet>
</newsItem></itemSet></newsMessage>"#;
    let ex = extract(nitf).unwrap();
    assert_eq!(ex.headline.as_deref(), Some("Inner head"));
    assert_eq!(non_empty(&ex), vec!["Inner body."]);
}

#[test]
fn newsml_picture_and_package_have_no_text() {
    let picture = r#"<newsItem><itemMeta><itemClass qcode="ninat:picture"/></itemMeta>
<contentMeta><headline>A photo</headline></contentMeta>
<contentSet><remoteContent href="x.jpg"/></contentSet></newsItem>"#;
    assert_eq!(
        extract(picture),
        Err(EngineError::NoTextBody { format: "newsml" })
    );
    let package =
        r#"<packageItem><groupSet><group><itemRef residref="a"/></group></groupSet></packageItem>"#;
    assert_eq!(
        extract(package),
        Err(EngineError::NoTextBody { format: "newsml" })
    );
}

#[test]
fn newsml_1x() {
    let s = r#"<?xml version="1.0" encoding="utf-8"?>
<NewsML Version="1.2">
<NewsEnvelope><DateAndTime>20190101T000000Z</DateAndTime></NewsEnvelope>
<NewsItem xml:lang="fr">
<NewsManagement><FirstCreated>20190102T101500+0100</FirstCreated></NewsManagement>
<NewsComponent>
<NewsLines>
<DateLine>VILLE, 2 janv (Agence) -</DateLine>
<HeadLine>Un titre inventé</HeadLine>
<CreditLine>Agence</CreditLine>
</NewsLines>
<AdministrativeMetadata><Provider><Party FormalName="AGX"/></Provider></AdministrativeMetadata>
<ContentItem><MediaType FormalName="Photo"/><DataContent>not text</DataContent></ContentItem>
<ContentItem><MediaType FormalName="Text"/>
<DataContent><nitf><body><body.content><p>Premier paragraphe.</p><p>Second paragraphe.</p></body.content></body></nitf></DataContent>
</ContentItem>
</NewsComponent>
</NewsItem>
</NewsML>"#;
    let ex = extract(s).unwrap();
    assert_eq!(ex.format, Format::Newsml);
    assert_eq!(ex.headline.as_deref(), Some("Un titre inventé"));
    assert_eq!(
        non_empty(&ex),
        vec!["Premier paragraphe.", "Second paragraphe."]
    );
    assert_eq!(ex.dateline.as_deref(), Some("VILLE, 2 janv (Agence) -"));
    assert_eq!(ex.published.as_deref(), Some("2019-01-02T10:15:00+01:00"));
    assert_eq!(ex.language.as_deref(), Some("fr"));
    assert_eq!(ex.credits, vec!["Agence", "AGX"]);
}

#[test]
fn ninjs_2x() {
    let s = r#"{
  "uri": "urn:example:1", "type": "text", "language": "en",
  "headline": "Library reopens after repairs",
  "firstcreated": "2020-02-03T04:05:06+0000",
  "located": "Smallton",
  "byline": "A. Reporter",
  "infosources": [{"name": "Example Press"}],
  "body_html": "<p>The library reopened on Tuesday.</p><p>Readers &amp; staff were pleased.</p><script>x()</script>",
  "associations": {"featuremedia": {"type": "picture", "headline": "Not this"}}
}"#;
    let ex = extract(s).unwrap();
    assert_eq!(ex.format, Format::Ninjs);
    assert!(ex.structured);
    assert_eq!(
        ex.headline.as_deref(),
        Some("Library reopens after repairs")
    );
    assert_eq!(
        non_empty(&ex),
        vec![
            "The library reopened on Tuesday.",
            "Readers & staff were pleased."
        ]
    );
    assert_eq!(ex.published.as_deref(), Some("2020-02-03T04:05:06+00:00"));
    assert_eq!(ex.dateline.as_deref(), Some("Smallton"));
    assert_eq!(ex.language.as_deref(), Some("en"));
    assert_eq!(ex.credits, vec!["Example Press"]);

    let plain = r#"{"guid": "x", "headline": "H", "body_text": "Line one.\n\nLine two."}"#;
    assert_eq!(
        non_empty(&extract(plain).unwrap()),
        vec!["Line one.", "Line two."]
    );
}

#[test]
fn ninjs_3x() {
    let s = r#"{
  "uri": "urn:example:2", "type": "text", "language": "sv",
  "headlines": [{"role": "sub", "value": "Underrubrik"}, {"value": "Ny skola byggs"}],
  "firstCreated": "2023-10-04T10:00:00Z",
  "infoSources": [{"name": "Exempelbyrån", "role": "publisher"}],
  "bodies": [
    {"role": "default", "contentType": "text/plain", "value": "Skolan byggs.\nDen öppnar 2025."},
    {"role": "default", "contentType": "text/html", "value": "<p>Skolan byggs.</p><p>Den öppnar 2025.</p>"}
  ]
}"#;
    let ex = extract(s).unwrap();
    assert_eq!(ex.format, Format::Ninjs);
    assert_eq!(ex.headline.as_deref(), Some("Ny skola byggs"));
    assert_eq!(non_empty(&ex), vec!["Skolan byggs.", "Den öppnar 2025."]);
    assert_eq!(ex.published.as_deref(), Some("2023-10-04T10:00:00Z"));
    assert_eq!(ex.publisher.as_deref(), Some("Exempelbyrån"));
    assert_eq!(ex.language.as_deref(), Some("sv"));
}

#[test]
fn ninjs_errors() {
    assert!(matches!(
        extract(r#"{"uri": "x", "headline": "#),
        Err(EngineError::Malformed {
            format: "ninjs",
            ..
        })
    ));
    assert!(matches!(
        extract(r#"{"name": "config", "debug": true}"#),
        Err(EngineError::Malformed {
            format: "ninjs",
            ..
        })
    ));
    assert_eq!(
        extract(r#"{"uri": "x", "type": "picture", "headline": "A photo", "renditions": {}}"#),
        Err(EngineError::NoTextBody { format: "ninjs" })
    );
    assert_eq!(
        extract(r#"{"uri": "x", "type": "text"}"#),
        Err(EngineError::NoTextBody { format: "ninjs" })
    );
}

#[test]
fn prose_opening_with_a_brace_is_text() {
    let ex = extract("{Update} The vote was moved to Friday.").unwrap();
    assert_eq!(ex.format, Format::Text);
    assert!(matches!(
        extract("[{\"uri\": 1}]"),
        Err(EngineError::Malformed {
            format: "ninjs",
            ..
        })
    ));
}

#[test]
fn ninjs_text_without_body_falls_back_to_description() {
    let s = r#"{"uri": "x", "type": "text", "headlines": [{"value": "Kort"}],
  "descriptions": [{"role": "summary", "contentType": "text/plain", "value": "En sammanfattning."}]}"#;
    let ex = extract(s).unwrap();
    assert_eq!(ex.headline.as_deref(), Some("Kort"));
    assert_eq!(non_empty(&ex), vec!["En sammanfattning."]);
}

#[test]
fn br_wrapped_lines_are_joined_but_short_lines_kept() {
    let s = "<nitf><body><body.content>\
<p>The first wrapped line of this invented paragraph runs on and<br/>the second line finishes it.</p>\
<p>Scores:<br/>A 1<br/>B 2</p></body.content></body></nitf>";
    let ex = extract(s).unwrap();
    assert_eq!(
        ex.paragraphs,
        vec![
            "The first wrapped line of this invented paragraph runs on and the second line finishes it.",
            "",
            "Scores:",
            "A 1",
            "B 2"
        ]
    );
}

#[test]
fn html_page_drops_chrome() {
    let s = r#"<!DOCTYPE html>
<html lang="ar">
<head>
  <title>Title tag | Site</title>
  <meta property="og:title" content="عنوان الخبر">
  <meta property="og:site_name" content="الموقع">
  <meta property="article:published_time" content="2022-01-08T11:47:00+03:00">
  <style>p { color: red }</style>
  <script>var s = "<p>not text</p>";</script>
</head>
<body>
  <nav><ul><li>Home</li><li>World</li></ul></nav>
  <article>
    <h1>عنوان الخبر</h1>
    <p>الفقرة الأولى &amp; النص.</p>
    <div>الفقرة<br>الثانية</div>
    <form><button>Send</button></form>
  </article>
  <aside>Related</aside>
  <footer>© Site</footer>
</body>
</html>"#;
    let ex = extract(s).unwrap();
    assert_eq!(ex.format, Format::Html);
    assert!(!ex.structured);
    assert_eq!(ex.headline.as_deref(), Some("عنوان الخبر"));
    assert_eq!(
        non_empty(&ex),
        vec!["الفقرة الأولى & النص.", "الفقرة", "الثانية"]
    );
    assert_eq!(ex.published.as_deref(), Some("2022-01-08T11:47:00+03:00"));
    assert_eq!(ex.publisher.as_deref(), Some("الموقع"));
    assert_eq!(ex.language.as_deref(), Some("ar"));
}

#[test]
fn html_title_fallback_and_ld_json() {
    let s = r#"<html><head><title>Only title</title>
<script type="application/ld+json">{"@type":"NewsArticle","datePublished":"2021-03-04T05:06:07Z"}</script>
</head><body><p>Body.</p></body></html>"#;
    let ex = extract(s).unwrap();
    assert_eq!(ex.headline.as_deref(), Some("Only title"));
    assert_eq!(ex.published.as_deref(), Some("2021-03-04T05:06:07Z"));
    assert_eq!(non_empty(&ex), vec!["Body."]);
}

#[test]
fn lowercased_html_fragment() {
    let s = "<p><strong>город, 1 янв - агентство.</strong> первый абзац&nbsp;текста.</p>\n<p>второй абзац.</p>";
    let ex = extract(s).unwrap();
    assert_eq!(ex.format, Format::Html);
    assert_eq!(
        non_empty(&ex),
        vec![
            "город, 1 янв - агентство. первый абзац текста.",
            "второй абзац."
        ]
    );
    // Fragments that begin with text are still HTML.
    let s = "вступление <b>жирный</b></p><p>абзац</p><p>ещё</p>";
    assert_eq!(extract(s).unwrap().format, Format::Html);
}

#[test]
fn iptc7901_wire() {
    let s = "\u{1}abc0001 4 i 123 xxxx   agx 001\r\n\r\nTown/harbour/\r\n\u{2}Town approves new harbour plan =\r\n\r\n   Portville (agx) - The town council approved a plan on Monday to\r\nrebuild the old harbour walls before the winter storms arrive, the\r\nmayor said after the vote.\r\n\r\n   Work should start in the spring and take about two years, with\r\ncosts shared between the town and the regional government.\r\n\r\nagx xy zz\r\n\u{3}141200 GMT Mar 20\r\n\u{7f}\u{4}";
    let ex = extract(s).unwrap();
    assert_eq!(ex.format, Format::Text);
    assert!(!ex.structured);
    let p = non_empty(&ex);
    assert_eq!(p[0], "Town approves new harbour plan =");
    assert_eq!(
        p[1],
        "Portville (agx) - The town council approved a plan on Monday to rebuild the old harbour walls before the winter storms arrive, the mayor said after the vote."
    );
    assert!(p[2].starts_with("Work should start") && p[2].ends_with("regional government."));
    assert!(!p.iter().any(|l| l.contains("GMT") || l.contains("abc0001")));
    // Blank lines between paragraphs are kept as empty strings.
    assert_eq!(ex.paragraphs[1], "");
}

#[test]
fn plain_text_keeps_lines() {
    let ex = extract("Headline\n\nFirst line.\nSecond line.\n\n\n").unwrap();
    assert_eq!(
        ex.paragraphs,
        vec!["Headline", "", "First line.", "Second line."]
    );
    assert_eq!(extract("  \n \n"), Err(EngineError::Empty));
    assert_eq!(
        extract("<html><body></body></html>"),
        Err(EngineError::Empty)
    );
}

#[test]
fn xml_with_unknown_root_is_text() {
    let ex =
        extract("<?xml version=\"1.0\"?><doc xml:lang=\"en\"><para>One.</para><p>Two.</p></doc>")
            .unwrap();
    assert_eq!(ex.format, Format::Text);
    assert_eq!(ex.language.as_deref(), Some("en"));
    assert_eq!(non_empty(&ex), vec!["One.", "Two."]);
}

mod never_panics {
    use super::super::extract;
    use crate::engine::decode::decode;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn extract_any_string(s in "\\PC*") {
            let _ = extract(&s);
        }

        #[test]
        fn extract_markupish(s in "[<>/!?a-z =\"'&;#x0-9\\[\\]{}:,\u{1}\u{2}\u{3}\n\r é]*") {
            let _ = extract(&s);
            let _ = extract(&format!("<nitf>{s}"));
            let _ = extract(&format!("<newsItem><contentSet><inlineXML>{s}"));
            let _ = extract(&format!("{{\"uri\":\"{s}"));
        }

        #[test]
        fn decode_then_extract_any_bytes(b in proptest::collection::vec(any::<u8>(), 0..512)) {
            if let Ok(d) = decode(&b) {
                let _ = extract(&d.text);
            }
        }
    }
}

#[test]
fn bare_json_values_and_wordless_inputs_are_no_articles() {
    for input in [
        "null",
        " null\n",
        "true",
        "42",
        "-1.5",
        "\"a quoted line\"",
        "[1, 2]",
        "[]",
    ] {
        match extract(input) {
            Err(EngineError::Malformed { format: "json", .. }) => {}
            other => panic!("{input:?}: {other:?}"),
        }
    }
    for input in ["[[[[", "]]]]", "{{{{", "----\n\n****", "[[[[\n[[[["] {
        assert!(extract(input).is_err(), "{input:?} became an article");
    }
    // prose that opens like a JSON literal is still prose
    let ex = extract("null and void: the council voted the deal down on Tuesday.").unwrap();
    assert_eq!(ex.format, Format::Text);
    let ex = extract("42 people were rescued from the flooded valley overnight.").unwrap();
    assert_eq!(ex.format, Format::Text);
}
