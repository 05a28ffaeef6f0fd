//! Invented articles in ar/en/ru (Kazakhstan unrest, Ukraine war, neither), each made
//! unique by a numbered sentence. Shared by the tests and `wirefeed-bench`.
#![allow(dead_code)]

/// Deterministic xorshift generator, so a failing run can be repeated by seed.
#[derive(Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    pub fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[self.below(xs.len())]
    }
}

const EN_KZ_HEAD: &[&str] = &[
    "Protests spread across Kazakhstan as fuel prices soar",
    "Kazakhstan declares state of emergency after riots in Almaty",
    "Tokayev orders crackdown as unrest grips Kazakhstan",
];
const EN_KZ: &[&str] = &[
    "Protesters clashed with police in Almaty on Wednesday, and officials said dozens were detained.",
    "The government of Kazakhstan imposed a curfew in Almaty after a night of riots.",
    "President Tokayev said the protests in Kazakhstan were organised by bandits and terrorists.",
    "Security forces used tear gas and stun grenades against protesters in the Kazakh city of Aktau.",
    "The CSTO agreed to send peacekeepers to Kazakhstan at the request of Tokayev.",
    "Hundreds of people were arrested in Kazakhstan, the interior ministry said, and many were injured.",
    "The unrest in Kazakhstan began in Zhanaozen over gas prices and spread to Almaty.",
];
const EN_UA_HEAD: &[&str] = &[
    "Russian missiles strike Kyiv as the war in Ukraine grinds on",
    "Ukrainian forces push back near Kharkiv",
    "Zelensky appeals for air defence after shelling of Odesa",
];
const EN_UA: &[&str] = &[
    "Russian forces shelled the outskirts of Kharkiv overnight, Ukrainian officials said.",
    "Ukraine's armed forces said they had repelled an assault near Bakhmut in the Donetsk region.",
    "President Zelensky urged Western allies to send more air defence systems to Ukraine.",
    "A Russian missile strike on Kyiv damaged power stations, the Ukrainian energy ministry said.",
    "The invasion of Ukraine has displaced millions of people since February 2022.",
    "Ukrainian drones hit a fuel depot behind the front line in occupied Zaporizhzhia.",
];
const EN_OTHER_HEAD: &[&str] = &[
    "City council approves new tram line",
    "Farmers expect a record harvest this autumn",
    "Local museum reopens after renovation",
];
const EN_OTHER: &[&str] = &[
    "The council voted nine to two in favour of the plan after a long debate.",
    "Officials expect the work to be finished within three years at a modest cost.",
    "Residents welcomed the decision, although some shopkeepers worried about parking.",
    "Weather forecasters predict a mild and dry season across the region.",
    "The exhibition includes paintings, old maps and a collection of ceramic bowls.",
    "Visitors can buy tickets online or at the door from Tuesday to Sunday.",
];
const RU_KZ_HEAD: &[&str] = &[
    "Протесты в Казахстане: в Алматы введено чрезвычайное положение",
    "Токаев обвинил в беспорядках в Казахстане террористов",
];
const RU_KZ: &[&str] = &[
    "В Алматы протестующие захватили здание акимата, сообщили местные власти Казахстана.",
    "Президент Казахстана Токаев ввел комендантский час и режим чрезвычайного положения.",
    "По данным МВД Казахстана, задержаны сотни участников беспорядков, есть погибшие.",
    "Миротворцы ОДКБ прибыли в Казахстан по просьбе Токаева.",
    "Протесты начались в Жанаозене после повышения цен на газ и охватили Алматы.",
];
const RU_UA_HEAD: &[&str] = &[
    "Ракетный удар по Киеву: повреждены объекты энергетики Украины",
    "ВСУ сообщили об отражении атаки под Харьковом",
];
const RU_UA: &[&str] = &[
    "Российские войска обстреляли пригороды Харькова, сообщили украинские власти.",
    "Вооруженные силы Украины заявили об отражении штурма в Донецкой области.",
    "Зеленский призвал союзников передать Украине больше систем противовоздушной обороны.",
    "В результате ракетного удара по Киеву повреждены электростанции.",
    "Война на Украине вынудила миллионы людей покинуть свои дома.",
];
const RU_OTHER_HEAD: &[&str] = &[
    "В городе откроется новая библиотека",
    "Фермеры ожидают хороший урожай",
];
const RU_OTHER: &[&str] = &[
    "Городской совет одобрил проект после долгого обсуждения.",
    "Строительство планируется завершить в течение двух лет.",
    "Жители приветствовали решение, хотя некоторые беспокоятся о парковке.",
    "Синоптики обещают теплую и сухую осень во всем регионе.",
    "В экспозиции представлены картины, старые карты и керамика.",
];
const AR_KZ_HEAD: &[&str] = &[
    "احتجاجات في كازاخستان وإعلان حالة الطوارئ في ألماتي",
    "توكاييف يتهم الإرهابيين بإثارة الشغب في كازاخستان",
];
const AR_KZ: &[&str] = &[
    "قالت الشرطة في ألماتي إن المتظاهرين اشتبكوا مع قوات الأمن وإن العشرات اعتقلوا.",
    "أعلن رئيس كازاخستان توكاييف حالة الطوارئ وحظر التجول في ألماتي بعد أعمال الشغب.",
    "أرسلت منظمة معاهدة الأمن الجماعي قوات حفظ السلام إلى كازاخستان.",
    "بدأت الاحتجاجات في كازاخستان بسبب ارتفاع أسعار الغاز ثم امتدت إلى ألماتي.",
    "قالت وزارة الداخلية في كازاخستان إن مئات الموقوفين ما زالوا محتجزين وإن هناك قتلى وجرحى.",
];
const AR_UA_HEAD: &[&str] = &[
    "قصف روسي على كييف والحرب في أوكرانيا مستمرة",
    "القوات الأوكرانية تصد هجوما قرب خاركيف",
];
const AR_UA: &[&str] = &[
    "قالت السلطات الأوكرانية إن القوات الروسية قصفت ضواحي خاركيف خلال الليل.",
    "أعلن الجيش الأوكراني صد هجوم روسي قرب باخموت في منطقة دونيتسك.",
    "دعا الرئيس زيلينسكي الحلفاء الغربيين إلى إرسال المزيد من أنظمة الدفاع الجوي إلى أوكرانيا.",
    "ألحق هجوم صاروخي روسي على كييف أضرارا بمحطات الكهرباء.",
    "أدى الغزو الروسي لأوكرانيا إلى نزوح الملايين منذ فبراير 2022.",
];
const AR_OTHER_HEAD: &[&str] = &[
    "افتتاح مكتبة عامة جديدة في وسط المدينة",
    "المزارعون يتوقعون موسما زراعيا جيدا",
];
const AR_OTHER: &[&str] = &[
    "وافق المجلس البلدي على المشروع بعد نقاش طويل بين الأعضاء.",
    "من المتوقع أن تنتهي أعمال البناء خلال عامين بتكلفة معقولة.",
    "رحب السكان بالقرار رغم قلق بعض أصحاب المتاجر من مواقف السيارات.",
    "يتوقع خبراء الأرصاد خريفا معتدلا وجافا في أنحاء المنطقة.",
    "يضم المعرض لوحات وخرائط قديمة ومجموعة من الأواني الخزفية.",
];

/// One invented article: (file name, bytes). `n` makes it unique.
pub fn article(rng: &mut Rng, n: usize) -> (String, Vec<u8>) {
    let lang = rng.below(3);
    let kind = rng.below(3);
    let (head, body, unique): (&[&str], &[&str], String) = match (lang, kind) {
        (0, 0) => (EN_KZ_HEAD, EN_KZ, format!("This is report number {n}.")),
        (0, 1) => (EN_UA_HEAD, EN_UA, format!("This is report number {n}.")),
        (0, _) => (
            EN_OTHER_HEAD,
            EN_OTHER,
            format!("This is report number {n}."),
        ),
        (1, 0) => (RU_KZ_HEAD, RU_KZ, format!("Это сообщение номер {n}.")),
        (1, 1) => (RU_UA_HEAD, RU_UA, format!("Это сообщение номер {n}.")),
        (1, _) => (RU_OTHER_HEAD, RU_OTHER, format!("Это сообщение номер {n}.")),
        (_, 0) => (AR_KZ_HEAD, AR_KZ, format!("هذا هو التقرير رقم {n}.")),
        (_, 1) => (AR_UA_HEAD, AR_UA, format!("هذا هو التقرير رقم {n}.")),
        _ => (AR_OTHER_HEAD, AR_OTHER, format!("هذا هو التقرير رقم {n}.")),
    };
    let mut text = String::new();
    text.push_str(rng.pick(head));
    text.push_str("\n\n");
    let paras = 3 + rng.below(3);
    for i in 0..paras {
        let a = rng.pick(body);
        let b = rng.pick(body);
        text.push_str(a);
        if a != b {
            text.push(' ');
            text.push_str(b);
        }
        if i == paras / 2 {
            text.push(' ');
            text.push_str(&unique);
        }
        text.push_str("\n\n");
    }
    let tag = ["en", "ru", "ar"][lang];
    (format!("article-{n:06}-{tag}.txt"), text.into_bytes())
}

/// `count` invented articles numbered from `first`, from a fixed seed.
pub fn articles(seed: u64, first: usize, count: usize) -> Vec<(String, Vec<u8>)> {
    let mut rng = Rng::new(seed);
    (first..first + count)
        .map(|n| article(&mut rng, n))
        .collect()
}
