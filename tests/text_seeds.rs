//! The five Arabic seed pages through the clean stage: boilerplate removed, stories
//! split, metadata found, and no real body paragraph lost.

use wirefeed::engine::Engine;
use wirefeed::model::CleanArticle;

fn clean(name: &str) -> Vec<CleanArticle> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/seeds");
    let path = std::fs::read_dir(dir)
        .expect("seeds dir")
        .map(|e| e.unwrap().path())
        .find(|p| p.file_name().unwrap().to_string_lossy().starts_with(name))
        .unwrap_or_else(|| panic!("seed {name} not found"));
    let bytes = std::fs::read(path).unwrap();
    Engine::builtin()
        .expect("builtin data")
        .clean(&bytes)
        .expect("seed cleans")
}

fn credit_ids(a: &CleanArticle) -> Vec<&str> {
    a.credits.iter().map(|c| c.id.as_str()).collect()
}

fn removed(a: &CleanArticle) -> Vec<(&str, &str)> {
    a.removed
        .iter()
        .map(|r| (r.rule.as_str(), r.text.as_str()))
        .collect()
}

fn body_has(a: &CleanArticle, needle: &str) -> bool {
    a.paragraphs.iter().any(|p| p.contains(needle))
}

#[test]
fn seed_000_teaser_and_second_story() {
    let arts = clean("000_");
    assert_eq!(arts.len(), 2);
    let caption = "مظليون روس يستقلون طائرة شحن قرب موسكو للمغادرة إلى كازاخستان أمس (أ.ف.ب)";

    let a = &arts[0];
    assert_eq!(
        a.headline.as_deref(),
        Some("قوات روسية إلى كازاخستان لدعم النظام")
    );
    assert!(a.truncated);
    assert_eq!(a.paragraphs.iter().filter(|p| *p == caption).count(), 1);
    assert!(!a.paragraphs.iter().any(|p| p == "TT"));
    assert_eq!(credit_ids(a), ["afp", "sputnik"]);
    assert_eq!(a.credits[0].literal, "أ.ف.ب");
    // Subtitle (kept as first paragraph), caption, three body paragraphs.
    assert_eq!(a.paragraphs.len(), 5);
    assert!(a.paragraphs[0].starts_with("عشرات القتلى وآلاف الموقوفين"));
    assert!(a.paragraphs[4].ends_with("وأن يعود النظام الاجتماعي لطبيعته»."));
    assert_eq!(
        removed(a),
        [
            ("duplicate_line", caption),
            ("toolbar", "TT"),
            ("repeated_headline", "قوات روسية إلى كازاخستان لدعم النظام"),
            ("duplicate_line", caption),
            ("duplicate_line", caption),
            ("read_more", "... المزيد"),
        ]
    );

    let b = &arts[1];
    assert_eq!(
        b.headline.as_deref(),
        Some("موسكو تُحمل واشنطن ولندن «مسؤولية أفعال كييف»")
    );
    assert!(!b.truncated);
    assert_eq!(credit_ids(b), ["reuters"]);
    // Caption plus seven body paragraphs.
    assert_eq!(b.paragraphs.len(), 8);
    assert!(b.paragraphs[1].starts_with("حمّلت موسكو، أمس الخميس"));
    assert!(body_has(b, "فولوديمير زيلينسكي في لاهاي"));
    assert!(b.paragraphs[7].ends_with("«على المعتدي أن يشعر بكامل قوة العدالة»."));
    assert_eq!(removed(b).len(), 5);
}

#[test]
fn seed_001_body_first_source_and_comments() {
    let arts = clean("001_");
    assert_eq!(arts.len(), 1);
    let a = &arts[0];
    assert_eq!(a.headline, None);
    assert!(a.paragraphs[0].starts_with("أعلنت وزارة الدفاع الروسية أن وحداتها"));
    assert_eq!(a.publisher.as_deref(), Some("الجزيرة"));
    assert_eq!(credit_ids(a), ["sputnik"]);
    // 16 body paragraphs and 2 subheadings.
    assert_eq!(a.paragraphs.len(), 18);
    assert!(a.paragraphs[17].starts_with("وسمحت وزارة الخارجية الأميركية لموظفي"));
    assert_eq!(
        removed(a),
        [
            ("source", "المصدر : الجزيرة + وكالات"),
            ("comment_prompt", "Post a Comment"),
            ("comment_prompt", "أحدث أقدم"),
        ]
    );
}

#[test]
fn seed_002_credit_line_and_related_block() {
    let arts = clean("002_");
    assert_eq!(arts.len(), 1);
    let a = &arts[0];
    assert_eq!(a.headline, None, "a credit line is not a headline");
    assert_eq!(credit_ids(a), ["ap"]);
    assert_eq!(a.credits[0].literal, "أ ب");
    assert!(a.paragraphs[0].starts_with("قال رئيس كازاخستان إن أعمال الشغب"));
    // 8 body paragraphs and 3 subheadings; the subheading after the related block stays.
    assert_eq!(a.paragraphs.len(), 11);
    assert!(a.paragraphs.iter().any(|p| p == "وحدة متعددة الجنسيات"));
    assert!(a.paragraphs[10].ends_with("وتم تدريبها في «مراكز في الخارج»."));
    assert_eq!(
        removed(a),
        [
            ("credit_line", "أ ب"),
            ("related_block", "أخبار ذات صلة"),
            (
                "related_block",
                "«تحدٍّ أسرع من الصوت».. فرص المواجهة العسكرية بين أمريكا والصين"
            ),
            (
                "related_block",
                "توقعات بخسارة ماكرون للأغلبية البرلمانية.. واليمين الفرنسي يصف الاختراق بـ«تسونامي»"
            ),
        ]
    );
}

#[test]
fn seed_003_date_source_keywords_trailing_headlines() {
    let arts = clean("003_");
    assert_eq!(arts.len(), 1);
    let a = &arts[0];
    assert_eq!(
        a.headline.as_deref(),
        Some("بوتين يهاتف توكاييف وأمريكا تحذر كازاخستان من تبعات الاستعانة بالروس")
    );
    assert_eq!(a.published.as_deref(), Some("2022-01-08T11:47:00"));
    assert_eq!(a.publisher.as_deref(), Some("الحرة"));
    assert!(a.credits.is_empty());
    assert_eq!(a.paragraphs.len(), 14);
    assert!(a.paragraphs[13].starts_with("وتهز كازاخستان، أكبر دولة في آسيا الوسطى"));
    assert!(!body_has(a, "كلمات مفتاحية"));
    assert!(!body_has(a, "روسيا توقف رحلات الطيران"));
    let rules: Vec<&str> = a.removed.iter().map(|r| r.rule.as_str()).collect();
    assert_eq!(
        rules,
        [
            "date_line",
            "source",
            "keywords",
            "keywords",
            "trailing_headlines",
            "trailing_headlines",
            "trailing_headlines",
            "trailing_headlines",
            "trailing_headlines",
            "trailing_headlines",
        ]
    );
    assert_eq!(a.removed[0].text, "السبت 8 يناير 2022 11:47 ص");
    assert_eq!(
        a.removed[3].text,
        "كازاخستان روسيا أمريكا بوتين توكاييف بلينكن"
    );
}

#[test]
fn seed_004_site_name_dateline_repeated_headline() {
    let arts = clean("004_");
    assert_eq!(arts.len(), 1);
    let a = &arts[0];
    assert_eq!(
        a.headline.as_deref(),
        Some("روسيا ترسل قوات لإخماد انتفاضة كازاخستان مع اندلاع أعمال عنف جديدة")
    );
    assert_eq!(a.dateline.as_deref(), Some("ألماتي"));
    assert!(a.paragraphs[0].starts_with("ألماتي - اندلعت أعمال عنف جديدة"));
    assert_eq!(credit_ids(a), ["reuters", "tass", "ria"]);
    // 27 body paragraphs and 2 subheadings.
    assert_eq!(a.paragraphs.len(), 29);
    assert!(a.paragraphs[28].starts_with("وقال علي وهو مدير في فندق هوليداي"));
    assert_eq!(
        removed(a),
        [
            ("site_name", "Bbabo NET"),
            ("nav", "أخبار"),
            (
                "repeated_headline",
                "روسيا ترسل قوات لإخماد انتفاضة كازاخستان مع اندلاع أعمال عنف جديدة"
            ),
        ]
    );
}
