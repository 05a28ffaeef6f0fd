//! `ukraine_war` in the 14 languages: invented held-out articles (positives and hard
//! negatives in the languages the older tests do not cover, Portuguese included, which
//! has no development data), and per-language precision/recall floors on the real web
//! pages in `../shared/corpus/web` (13 languages).
//!
//! The floors sit a little under the measured numbers (docs/topics.md): losing one more
//! document in a language than today fails here and has to be looked at with
//! `wirefeed eval ../shared/corpus/web/labels.csv -v`.

mod corpus_eval;

use corpus_eval::check_floor;
use wirefeed::engine::Engine;

fn engine() -> Engine {
    Engine::builtin().expect("built-in data compiles")
}

/// Whether `ukraine_war` matched, per story.
fn ukraine_war(engine: &Engine, text: &str) -> Vec<bool> {
    engine
        .process(text.as_bytes())
        .expect("article processes")
        .iter()
        .map(|a| {
            a.decisions
                .iter()
                .any(|d| d.matched && d.topic == "ukraine_war")
        })
        .collect()
}

/// Invented articles (never taken from any corpus): headline, blank line, body.
/// Each is (name, text, whether it is the war).
const FIXTURES: &[(&str, &str, bool)] = &[
    (
        "pt_kharkiv_shelling",
        "Bombardeio russo mata quatro pessoas em Kharkiv\n\n\
         As forças russas bombardearam durante a noite bairros residenciais de Kharkiv, no \
         leste da Ucrânia, matando quatro civis, segundo as autoridades ucranianas.\n\n\
         O exército ucraniano afirmou ter repelido uma ofensiva perto de Kupiansk e abatido \
         onze drones lançados pela Rússia.\n\n\
         Zelensky pediu aos aliados mais sistemas de defesa aérea e mísseis para proteger as \
         cidades da linha de frente.",
        true,
    ),
    (
        "pt_grain_corridor",
        "Navios de cereais deixam portos ucranianos pelo novo corredor\n\n\
         Dois navios carregados de trigo deixaram o porto de Chornomorsk, na região de \
         Odessa, pelo corredor criado pela Ucrânia depois que a Rússia abandonou o acordo de \
         grãos do Mar Negro.\n\n\
         Moscou ameaçou considerar alvos militares os navios que se dirigem a portos \
         ucranianos. Kiev diz que a rota é protegida pela marinha ucraniana.",
        true,
    ),
    (
        "pt_chernobyl_anniversary",
        "Ucrânia lembra 35 anos do desastre de Chernobil\n\n\
         A Ucrânia assinalou nesta segunda-feira os 35 anos do acidente de Chernobil, a pior \
         catástrofe nuclear da história, ocorrida em abril de 1986.\n\n\
         Milhares de liquidatários morreram ou adoeceram por causa da radiação. A cidade de \
         Pripyat continua abandonada dentro da zona de exclusão.\n\n\
         Em Kiev, o presidente depositou flores no memorial às vítimas.",
        false,
    ),
    (
        "pt_tymoshenko_verdict",
        "Tribunal ucraniano condena Yulia Tymoshenko a sete anos de prisão\n\n\
         Um tribunal de Kiev condenou nesta terça-feira a ex-primeira-ministra ucraniana Yulia \
         Tymoshenko a sete anos de prisão por abuso de poder na assinatura dos contratos de \
         gás com a Rússia em 2009.\n\n\
         Tymoshenko, heroína da Revolução Laranja de 2004, chamou o processo de vingança \
         política do presidente Viktor Yanukovych. A União Europeia criticou a sentença.",
        false,
    ),
    (
        "pt_euro_final_kyiv",
        "Espanha vence Itália na final da Eurocopa em Kiev\n\n\
         A Espanha venceu a Itália por 4 a 0 na final da Euro 2012, disputada no Estádio \
         Olímpico de Kiev, na Ucrânia.\n\n\
         O treinador espanhol elogiou o ataque da equipe, que marcou dois golos em cada \
         tempo. A Ucrânia e a Polônia organizaram o torneio.",
        false,
    ),
    (
        "pl_chernobyl_anniversary",
        "36. rocznica katastrofy w Czarnobylu\n\n\
         Na Ukrainie upamiętniono ofiary katastrofy czarnobylskiej z kwietnia 1986 roku. \
         Wybuch czwartego reaktora skaził ogromne obszary.\n\n\
         Tysiące likwidatorów zmarło z powodu promieniowania. Miasto Prypeć w strefie \
         wykluczenia pozostaje opuszczone.",
        false,
    ),
    (
        "pl_odesa_drones",
        "Zmasowany atak dronów na Odessę\n\n\
         Rosja w nocy zaatakowała Odessę dronami i rakietami, poinformowały władze obwodu \
         odeskiego. Uszkodzona została infrastruktura portowa.\n\n\
         Ukraińska obrona powietrzna zestrzeliła większość dronów. Rannych zostało pięć osób.",
        true,
    ),
    (
        "zh_kherson_retaken",
        "乌军收复赫尔松\n\n\
         乌克兰总统泽连斯基表示,乌克兰军队已进入南部城市赫尔松,俄军已从第聂伯河西岸撤退。\n\n\
         俄罗斯国防部称已完成撤军。赫尔松自战争初期以来一直被俄罗斯占领。",
        true,
    ),
    (
        "kk_kharkiv_shelling",
        "Ресей әскері Харьковты атқылады\n\n\
         Ресей әскері түнде Харьков қаласының тұрғын аудандарын атқылады, төрт адам қаза \
         тапты деп хабарлады Украина билігі.\n\n\
         Украина Қарулы Күштері Купянск маңындағы шабуылды тойтарып, он бір дронды атып \
         түсіргенін мәлімдеді.",
        true,
    ),
    (
        "fa_orange_revolution",
        "سالگرد انقلاب نارنجی در اوکراین\n\n\
         هجده سال پیش انقلاب نارنجی در اوکراین آغاز شد. هزاران نفر در کی یف در اعتراض به \
         نتایج انتخابات ریاست جمهوری ۲۰۰۴ به خیابان ها آمدند.\n\n\
         یوشچنکو پس از تکرار دور دوم انتخابات رئیس جمهوری اوکراین شد.",
        false,
    ),
    (
        "fa_zaporizhzhia_plant",
        "گروسی: خطر در نیروگاه زاپوریژیا همچنان بالاست\n\n\
         مدیرکل آژانس بین المللی انرژی اتمی گفت گلوله باران در نزدیکی نیروگاه اتمی \
         زاپوریژیا در جنوب اوکراین ادامه دارد.\n\n\
         این نیروگاه از آغاز جنگ در اشغال نیروهای روسی است و چندین بار برق آن قطع شده است.",
        true,
    ),
    (
        "tr_euro_final_kyiv",
        "Euro 2012 finali Kiev'de oynandı\n\n\
         İspanya, Kiev Olimpiyat Stadyumu'nda oynanan Euro 2012 finalinde İtalya'yı 4-0 \
         yendi.\n\n\
         İspanyol teknik direktör, takımının hücum oyununu övdü. Turnuvaya Ukrayna ve Polonya \
         ev sahipliği yaptı.",
        false,
    ),
    (
        "it_ceasefire_talks",
        "Kiev respinge il cessate il fuoco proposto da Mosca\n\n\
         Il governo ucraino ha respinto la tregua proposta dalla Russia, definendola una \
         manovra per riorganizzare le truppe russe nel Donbass.\n\n\
         Zelensky ha chiesto nuovi aiuti militari e sistemi di difesa aerea agli alleati \
         occidentali.",
        true,
    ),
    (
        "de_baikonur_background",
        "Sojus-Rakete startet von Baikonur zur ISS\n\n\
         Eine Sojus-Rakete mit drei Kosmonauten ist vom Weltraumbahnhof Baikonur zur \
         Internationalen Raumstation gestartet. Roskosmos meldete einen planmäßigen Flug.\n\n\
         Trotz des Krieges in der Ukraine arbeiten russische und amerikanische Astronauten \
         an Bord der Raumstation weiter zusammen.",
        false,
    ),
];

#[test]
fn invented_articles_in_the_new_languages() {
    let e = engine();
    let mut wrong = Vec::new();
    for (name, text, war) in FIXTURES {
        let got = ukraine_war(&e, text);
        if got != vec![*war] {
            wrong.push(format!("{name}: expected ukraine_war={war}, got {got:?}"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn web_corpus_floors_per_language() {
    let Some(report) = corpus_eval::report("corpus/web/labels.csv", &engine()) else {
        return;
    };
    // Measured (docs/topics.md): all P 1.000 R 0.960; per language P 1.000 and
    // R ar 1, de 1, en 1, es 1, fa 0.889, fr 0.917, it 0.833, kk 1, pl 1, ru 1, tr 1,
    // uk 0.875, zh 1. Each floor allows one more lost document than today.
    check_floor(
        "ukraine_war web all",
        report.topic_total("ukraine_war"),
        0.97,
        0.94,
    );
    let floors: &[(&str, f64)] = &[
        ("ar", 0.83),
        ("de", 0.92),
        ("en", 0.83),
        ("es", 0.91),
        ("fa", 0.77),
        ("fr", 0.83),
        ("it", 0.75),
        ("kk", 0.9),
        ("pl", 0.88),
        ("ru", 0.9),
        ("tr", 0.87),
        ("uk", 0.75),
        ("zh", 0.88),
    ];
    for (lang, recall) in floors {
        let c = corpus_eval::cell(&report, "ukraine_war", lang);
        check_floor(&format!("ukraine_war web {lang}"), c, 0.9, *recall);
    }
}
