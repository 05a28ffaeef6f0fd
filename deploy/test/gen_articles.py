#!/usr/bin/env python3
"""Generate invented wire articles for the deployment tests.

Each article is a small plain-text file (headline, blank line, paragraphs) in
English, Russian or Arabic, about Kazakhstan unrest, the war in Ukraine, or
neither, with a serial number in its text so no two articles are identical
(identical content would be one article to a deduplicating pipeline). All text
is invented for tests.

Usage: gen_articles.py --count N --out DIR [--prefix P] [--start K]
Prints one line per file: NAME<TAB>LANG<TAB>INTENDED_TOPIC (or "none").
"""
import argparse
import os

TEXT = {
    ("en", "kazakhstan_unrest"): (
        "Protests spread across Kazakhstan as police detain demonstrators (report {n})",
        [
            "ALMATY, Kazakhstan - Thousands of protesters rallied in Almaty on day {n} over fuel prices, "
            "and police detained dozens of demonstrators after clashes near the city hall.",
            "Kazakhstan's President Tokayev declared a state of emergency and a curfew in the region, "
            "while protesters said the crackdown would not stop the unrest.",
            "Witnesses in Almaty said tear gas was used against protesters; officials in Kazakhstan "
            "reported {n} arrests and several people injured in the riots.",
        ],
    ),
    ("en", "ukraine_war"): (
        "Russian missile strikes hit Ukrainian cities, Kyiv says (update {n})",
        [
            "KYIV, Ukraine - Russian forces launched missile and drone strikes on Kyiv and Kharkiv overnight, "
            "Ukraine's military said in update {n}, as fighting continued along the front line.",
            "Ukrainian air defences shot down most of the Russian drones, the Ukrainian air force said, "
            "and the war in Ukraine entered another week of heavy shelling in Donetsk.",
            "Zelensky called on allies to send more air defence systems to Ukraine after the Russian "
            "invasion forces shelled civilian areas in Zaporizhzhia and Kherson.",
        ],
    ),
    ("en", "none"): (
        "City council approves new library opening hours (notice {n})",
        [
            "The city council voted on Tuesday to extend the opening hours of the central library, "
            "a spokeswoman said in notice {n}.",
            "The library will open at eight in the morning and close at nine in the evening from next month, "
            "and a new reading room for children will open in the spring.",
            "Council members said the change followed a survey of residents about weekend services.",
        ],
    ),
    ("ru", "kazakhstan_unrest"): (
        "В Казахстане продолжаются протесты, задержаны десятки демонстрантов (сообщение {n})",
        [
            "АЛМАТЫ. Тысячи демонстрантов вышли на митинг в Алматы из-за цен на газ, сообщение {n}; "
            "полиция задержала десятки участников протестов в Казахстане.",
            "Президент Казахстана Токаев ввел чрезвычайное положение и комендантский час, "
            "а беспорядки в Алматы продолжались всю ночь.",
            "По данным властей Казахстана, задержаны {n} человек, есть пострадавшие; "
            "протесты охватили несколько городов.",
        ],
    ),
    ("ru", "ukraine_war"): (
        "Украина сообщила о ракетных ударах по Киеву и Харькову (сводка {n})",
        [
            "КИЕВ. Российские войска нанесли ракетные удары по Киеву и Харькову, говорится в сводке {n} "
            "Генштаба Украины; бои продолжаются на линии фронта.",
            "Силы ПВО Украины сбили большую часть беспилотников, сообщили в Воздушных силах Украины; "
            "война на Украине идет с февраля 2022 года.",
            "Зеленский призвал союзников передать Украине больше систем ПВО после обстрелов "
            "Запорожья и Херсона российской армией.",
        ],
    ),
    ("ru", "none"): (
        "В городе открылась новая библиотека (заметка {n})",
        [
            "В центре города открылась новая библиотека, сообщили в мэрии, заметка {n}.",
            "Библиотека будет работать с восьми утра до девяти вечера, "
            "а весной откроется читальный зал для детей.",
            "Жители города давно просили продлить часы работы библиотек по выходным.",
        ],
    ),
    ("ar", "kazakhstan_unrest"): (
        "احتجاجات في كازاخستان واعتقال عشرات المتظاهرين (تقرير {n})",
        [
            "ألماتي - تظاهر آلاف المحتجين في ألماتي بكازاخستان احتجاجا على ارتفاع أسعار الوقود، "
            "واعتقلت الشرطة عشرات المتظاهرين بعد اشتباكات، بحسب التقرير {n}.",
            "وأعلن الرئيس الكازاخستاني توكاييف حالة الطوارئ وحظر التجول في كازاخستان، "
            "فيما استمرت الاحتجاجات وأعمال الشغب في ألماتي.",
            "وقالت السلطات في كازاخستان إن قوات الأمن استخدمت الغاز المسيل للدموع لتفريق المتظاهرين، "
            "وأفادت بسقوط جرحى.",
        ],
    ),
    ("ar", "ukraine_war"): (
        "ضربات صاروخية روسية على كييف وخاركيف (نشرة {n})",
        [
            "كييف - شنت القوات الروسية ضربات صاروخية وهجمات بطائرات مسيرة على كييف وخاركيف، "
            "حسبما أعلن الجيش الأوكراني في النشرة {n}، مع استمرار الحرب في أوكرانيا.",
            "وقالت القوات الجوية الأوكرانية إن الدفاعات الجوية أسقطت معظم المسيرات الروسية، "
            "فيما تواصل القصف الروسي على دونيتسك.",
            "ودعا زيلينسكي حلفاء أوكرانيا إلى إرسال المزيد من أنظمة الدفاع الجوي بعد الغزو الروسي.",
        ],
    ),
    ("ar", "none"): (
        "افتتاح مكتبة عامة جديدة في وسط المدينة (خبر {n})",
        [
            "افتتحت بلدية المدينة مكتبة عامة جديدة في وسط المدينة، بحسب الخبر {n}.",
            "وستفتح المكتبة أبوابها من الثامنة صباحا حتى التاسعة مساء، "
            "وسيتم افتتاح قاعة مطالعة للأطفال في الربيع.",
            "وقال مسؤولون إن المكتبة تضم أكثر من عشرين ألف كتاب.",
        ],
    ),
}
LANGS = ["en", "ru", "ar"]
TOPICS = ["kazakhstan_unrest", "ukraine_war", "none", "none"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--count", type=int, required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--prefix", default="gen")
    ap.add_argument("--start", type=int, default=0)
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    for k in range(a.start, a.start + a.count):
        lang = LANGS[k % len(LANGS)]
        topic = TOPICS[(k // len(LANGS)) % len(TOPICS)]
        headline, paras = TEXT[(lang, topic)]
        n = f"{a.prefix}-{k}"
        body = headline.format(n=n) + "\n\n" + "\n\n".join(p.format(n=n) for p in paras) + "\n"
        name = f"{a.prefix}_{k:05d}_{lang}.txt"
        with open(os.path.join(a.out, name), "w", encoding="utf-8") as f:
            f.write(body)
        print(f"{name}\t{lang}\t{topic}")


if __name__ == "__main__":
    main()
