//! The shared story window on JetStream KV (`daemon::story_kv`) against a real
//! nats-server: the engine's results, concurrent workers on one story, two workers
//! starting one event, redelivery and crashes at every write, restarts.
//!
//! Each test starts its own nats-server (random port, temp store). Skipped (with a
//! message) only when nats-server is missing and `CI` is unset.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{rt, NatsServer};
use wirefeed::daemon::stage::Transient;
use wirefeed::daemon::story_kv::KvStories;
use wirefeed::engine::stories::sketch::Sketch;
use wirefeed::engine::stories::{
    Observation, ObservedEntity, Story, StorySettings, StoryState, StoryUpdate,
};
use wirefeed::model::EntityKind;

macro_rules! nats_or_skip {
    () => {
        match NatsServer::start() {
            Some(n) => n,
            None => return,
        }
    };
}

/// 2026-01-05 12:00 UTC: the events' day.
const T0: i64 = 1_767_614_400;

fn settings() -> Arc<StorySettings> {
    let mut s = StorySettings::builtin();
    // Low enough for the sequences below to raise alerts.
    s.alerts.articles = 3;
    s.alerts.sources = 2;
    Arc::new(s)
}

/// A body of `n` words drawn from a fixed vocabulary by `seed`: different seeds give
/// texts that are not copies of each other.
fn body(seed: u64, n: usize) -> String {
    const WORDS: &[&str] = &[
        "river",
        "council",
        "bridge",
        "traffic",
        "engineers",
        "minister",
        "said",
        "police",
        "protest",
        "square",
        "night",
        "morning",
        "city",
        "road",
        "closed",
        "opened",
        "report",
        "officials",
        "crowd",
        "statement",
        "court",
        "hearing",
        "water",
        "storm",
        "rain",
        "north",
        "south",
        "market",
        "school",
        "hospital",
        "workers",
        "strike",
        "talks",
        "agreement",
        "border",
        "train",
        "station",
        "airport",
        "flights",
        "delayed",
    ];
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            WORDS[(x % WORDS.len() as u64) as usize]
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn person(id: &str) -> ObservedEntity {
    ObservedEntity {
        id: id.into(),
        kind: EntityKind::Person,
        headline: 1,
        body: 2,
    }
}

fn place(id: &str) -> ObservedEntity {
    ObservedEntity {
        kind: EntityKind::Place,
        ..person(id)
    }
}

/// One observation: id, stated time (also its arrival), topics, entities, body text.
fn ob(
    id: &str,
    time: Option<i64>,
    topics: &[&str],
    entities: Vec<ObservedEntity>,
    text: &str,
) -> Observation {
    let st = StorySettings::builtin();
    Observation {
        article_id: id.into(),
        time,
        arrival: Some(time.unwrap_or(T0)),
        headline: Some(format!("headline of {id}")),
        language: if id.ends_with('r') { "ru" } else { "en" }.into(),
        source: Some(format!("site-{}", id.len() % 3)),
        topics: topics.iter().map(|t| t.to_string()).collect(),
        entities,
        figures: BTreeMap::new(),
        sketch: Sketch::of(
            text,
            st.duplicates.shingle_words,
            st.duplicates.min_shingles,
        ),
    }
}

fn with_figure(mut o: Observation, kind: &str, v: u64) -> Observation {
    o.figures.insert(kind.into(), (v, v.to_string()));
    o
}

/// Events, copies, an undated report, a figure clash, two topics, an alert.
fn sequence() -> Vec<Observation> {
    let e1 = || vec![person("p_alpha"), place("city_b")];
    let e2 = || vec![person("p_gamma"), person("p_delta")];
    let copy_of_1 = format!("{} and more", body(1, 60));
    let copy_of_2 = format!("new first words {}", body(2, 60));
    vec![
        ob("a1", Some(T0), &["t1"], e1(), &body(1, 60)),
        ob("a2", Some(T0 + 600), &["t1", "t2"], e1(), &body(2, 60)),
        ob(
            "a3",
            Some(T0 + 700),
            &["t1"],
            vec![place("city_b")],
            &copy_of_1,
        ),
        // A copy naming none of its original's entities joins its story all the same.
        ob("a3b", Some(T0 + 750), &["t1"], vec![], &copy_of_2),
        ob("b1", Some(T0 + 800), &["t1"], e2(), &body(4, 60)),
        ob("a4r", Some(T0 + 900), &["t1", "t2"], e1(), &body(5, 60)),
        ob("a5", None, &["t1"], e1(), &body(6, 60)),
        with_figure(
            ob("b2", Some(T0 + 1000), &["t1"], e2(), &body(7, 60)),
            "killed",
            10,
        ),
        with_figure(
            ob("b3", Some(T0 + 1100), &["t1"], e2(), &body(8, 60)),
            "killed",
            100,
        ),
        ob("c1", Some(T0 + 1200), &[], vec![], &body(2, 60)),
        ob("a6", Some(T0 + 1300), &["t2"], e1(), &body(9, 60)),
        ob("a7", Some(T0 + 400_000), &["t1"], e1(), &body(10, 60)),
    ]
}

async fn connect(url: &str) -> async_nats::jetstream::Context {
    async_nats::jetstream::new(async_nats::connect(url).await.expect("connect"))
}

async fn open(url: &str, bucket: &str) -> KvStories {
    KvStories::open(&connect(url).await, bucket, 1, settings())
        .await
        .expect("open bucket")
}

/// The rows of `ids` as the bucket holds them.
async fn rows(kv: &KvStories, ids: &BTreeSet<String>) -> Vec<Story> {
    let mut out = Vec::new();
    for id in ids {
        out.push(kv.story(id).await.expect("read").expect("story present"));
    }
    out
}

fn story_ids(state: &StoryState) -> BTreeSet<String> {
    state.stories().map(|s| s.id.clone()).collect()
}

fn assert_counted_once(story: &Story) {
    let ids: Vec<&str> = story.members.iter().map(|m| m.article.as_str()).collect();
    let unique: BTreeSet<&str> = ids.iter().copied().collect();
    assert_eq!(
        ids.len(),
        unique.len(),
        "a member twice in {}: {ids:?}",
        story.id
    );
    assert_eq!(story.articles as usize, ids.len(), "{}", story.id);
    assert_eq!(story.version as usize, ids.len(), "{}", story.id);
}

/// Check 1: one worker through the bucket gives the engine's tags and story rows.
#[test]
fn one_worker_gives_the_engines_results() {
    let nats = nats_or_skip!();
    let url = nats.url();
    let st = settings();
    rt().block_on(async {
        let kv = open(&url, "stories1").await;
        let mut mem = StoryState::new();
        let mut ups = Vec::new();
        let mut spent = Duration::ZERO;
        for o in sequence() {
            let want = mem.update(&st, &o);
            let t = Instant::now();
            let got = kv.observe(&o).await.expect("observe");
            spent += t.elapsed();
            assert_eq!(got, want, "article {}", o.article_id);
            ups.push(got);
        }
        println!(
            "one worker alone: {:.2} ms per observe ({} articles)",
            spent.as_secs_f64() * 1000.0 / ups.len() as f64,
            ups.len()
        );
        // The sequence exercised what it is meant to.
        assert!(ups.iter().any(|u| !u.alerts.is_empty()), "an alert");
        let vias: BTreeSet<&str> = ups
            .iter()
            .flat_map(|u| u.tag.clusters.iter().map(|c| c.via.as_str()))
            .collect();
        assert_eq!(vias, BTreeSet::from(["new", "entities", "duplicate"]));
        assert!(ups
            .iter()
            .any(|u| u.tag.duplicate.is_some() && u.tag.clusters.is_empty()));
        assert!(ups.iter().any(|u| u.tag.clusters.len() == 2), "two topics");
        let all: BTreeSet<&str> = ups
            .iter()
            .flat_map(|u| u.tag.clusters.iter().map(|c| c.id.as_str()))
            .collect();
        assert!(all.len() >= 5, "{all:?}");
        // a7 came after the window: the earlier stories are forgotten.
        assert_eq!(mem.stories().count(), 1);
        let want: Vec<Story> = mem.stories().cloned().collect();
        let mut got = rows(&kv, &story_ids(&mem)).await;
        got.sort_by_key(|s| want.iter().position(|w| w.id == s.id));
        assert_eq!(got, want);
        assert_eq!(kv.conflicts(), 0, "one worker meets no conflict");
    });
}

/// A story past `max_members` holds only its latest members, in the bucket as in the
/// engine, and a late undated copy of a member no longer held still joins the story
/// with that member's time (kept in the copied article's record).
#[test]
fn a_capped_story_gives_the_engines_results() {
    let nats = nats_or_skip!();
    let url = nats.url();
    let mut st = (*settings()).clone();
    st.clusters.max_members = 3;
    let st = Arc::new(st);
    rt().block_on(async {
        let js = connect(&url).await;
        let kv = KvStories::open(&js, "capped", 1, st.clone())
            .await
            .expect("open bucket");
        let e1 = || vec![person("p_alpha"), place("city_b")];
        let mut obs: Vec<Observation> = (0..6)
            .map(|i| {
                let t = T0 - 3600 + i * 60;
                ob(
                    &format!("m{i}"),
                    Some(t),
                    &["t1"],
                    e1(),
                    &body(20 + i as u64, 60),
                )
            })
            .collect();
        let mut copy = ob("late", None, &["t1"], e1(), &body(20, 60));
        copy.arrival = Some(T0 + 1000);
        obs.push(copy);
        let mut mem = StoryState::new();
        for o in &obs {
            let want = mem.update(&st, o);
            let got = kv.observe(o).await.expect("observe");
            assert_eq!(got, want, "article {}", o.article_id);
        }
        let story = mem.stories().next().expect("one story").clone();
        assert_eq!(mem.stories().count(), 1);
        assert_eq!((story.articles, story.members.len()), (7, 3));
        let late = story.members.last().expect("a member");
        assert_eq!(
            (late.article.as_str(), late.time),
            ("late", Some(T0 - 3600))
        );
        assert_eq!(rows(&kv, &story_ids(&mem)).await, vec![story]);
    });
}

/// The text seed of an event's first article.
fn seed_of(prefix: &str) -> u64 {
    prefix
        .bytes()
        .fold(1000u64, |h, b| h.wrapping_mul(1_000_003) ^ b as u64)
}

/// Articles of one event (same key entities, times minutes apart, distinct texts).
fn event(prefix: &str, n: usize, entities: &[&str]) -> Vec<Observation> {
    // Texts differ between events too (not copies of another event's articles).
    let seed = seed_of(prefix);
    (0..n)
        .map(|i| {
            let ents = entities
                .iter()
                .enumerate()
                .map(|(j, e)| if j == 0 { person(e) } else { place(e) })
                .collect();
            ob(
                &format!("{prefix}{i}"),
                Some(T0 + 60 * i as i64),
                &["t1"],
                ents,
                &body(seed + i as u64, 50),
            )
        })
        .collect()
}

/// Observe `part` in order; the updates and the latency of each observe.
async fn run_part(w: &KvStories, part: Vec<Observation>) -> (Vec<StoryUpdate>, Vec<Duration>) {
    let mut out = Vec::new();
    let mut lat = Vec::new();
    for o in part {
        let t = Instant::now();
        out.push(w.observe(&o).await.expect("observe"));
        lat.push(t.elapsed());
    }
    (out, lat)
}

/// Observe `o` once every party reached the barrier.
async fn at_once(w: &KvStories, barrier: &tokio::sync::Barrier, o: &Observation) -> StoryUpdate {
    barrier.wait().await;
    w.observe(o).await.expect("observe")
}

/// Check 2: two workers on two connections updating one story at once lose no member and
/// count none twice; the conflicts they met were retried.
#[test]
fn two_workers_on_one_story_lose_no_update() {
    let nats = nats_or_skip!();
    let url = nats.url();
    rt().block_on(async {
        let mut total_conflicts = 0;
        for round in 0..4 {
            let bucket = format!("stories2r{round}");
            let (w1, w2) = (open(&url, &bucket).await, open(&url, &bucket).await);
            let n = 40;
            let obs = event(&format!("r{round}x"), n, &["p_alpha", "city_b"]);
            let (even, odd): (Vec<_>, Vec<_>) = obs
                .iter()
                .cloned()
                .enumerate()
                .partition(|(i, _)| i % 2 == 0);
            let (even, odd) = (
                even.into_iter().map(|(_, o)| o).collect(),
                odd.into_iter().map(|(_, o)| o).collect(),
            );
            let t = Instant::now();
            let ((u1, l1), (u2, l2)) = tokio::join!(run_part(&w1, even), run_part(&w2, odd));
            let wall = t.elapsed();
            let ups: Vec<StoryUpdate> = u1.into_iter().chain(u2).collect();
            let ids: BTreeSet<&str> = ups.iter().map(|u| u.tag.clusters[0].id.as_str()).collect();
            assert_eq!(ids.len(), 1, "one story: {ids:?}");
            let story = w1
                .story(ids.iter().next().unwrap())
                .await
                .unwrap()
                .expect("story");
            let members: BTreeSet<&str> = story.members.iter().map(|m| m.article.as_str()).collect();
            let want: BTreeSet<&str> = obs.iter().map(|o| o.article_id.as_str()).collect();
            assert_eq!(members, want, "every article is a member");
            assert_counted_once(&story);
            assert_eq!(story.version, n as u64);
            let conflicts = w1.conflicts() + w2.conflicts();
            total_conflicts += conflicts;
            let mut lat: Vec<Duration> = l1.into_iter().chain(l2).collect();
            lat.sort();
            println!(
                "round {round}: {n} articles by 2 workers in {wall:?} ({:.2} ms/article overall); per observe p50 {:?} p90 {:?} max {:?}; {conflicts} conflicts retried",
                wall.as_secs_f64() * 1000.0 / n as f64,
                lat[lat.len() / 2],
                lat[lat.len() * 9 / 10],
                lat[lat.len() - 1],
            );
        }
        assert!(total_conflicts > 0, "the workers never met a conflict");
    });
}

/// Check 3: two workers that start the same new event at the same moment end in one story.
#[test]
fn two_workers_starting_one_event_make_one_story() {
    let nats = nats_or_skip!();
    let url = nats.url();
    rt().block_on(async {
        let (w1, w2) = (open(&url, "stories3").await, open(&url, "stories3").await);
        let barrier = tokio::sync::Barrier::new(2);
        for round in 0..12 {
            let ents = [format!("person_{round}"), format!("town_{round}")];
            let pair = event(
                &format!("ev{round}_"),
                2,
                &[ents[0].as_str(), ents[1].as_str()],
            );
            let (u1, u2) = tokio::join!(
                at_once(&w1, &barrier, &pair[0]),
                at_once(&w2, &barrier, &pair[1])
            );
            assert_eq!(
                u1.tag.clusters[0].id, u2.tag.clusters[0].id,
                "round {round}: two stories for one event"
            );
            let vias: BTreeSet<&str> = [&u1, &u2]
                .iter()
                .map(|u| u.tag.clusters[0].via.as_str())
                .collect();
            assert_eq!(vias, BTreeSet::from(["new", "entities"]));
            let story = w1.story(&u1.tag.clusters[0].id).await.unwrap().unwrap();
            assert_eq!(story.articles, 2);
            assert_counted_once(&story);
        }
        // One article delivered to both workers at once (a redelivery while the first
        // delivery is still at work): one update, counted once.
        for round in 0..6 {
            let o = &event(&format!("same{round}_"), 1, &["p_alpha", "city_b"])[0];
            let (u1, u2) = tokio::join!(at_once(&w1, &barrier, o), at_once(&w2, &barrier, o));
            assert_eq!(u1.tag, u2.tag, "round {round}");
            let story = w1.story(&u1.tag.clusters[0].id).await.unwrap().unwrap();
            assert_counted_once(&story);
            let times = story
                .members
                .iter()
                .filter(|m| m.article == o.article_id)
                .count();
            assert_eq!(times, 1, "round {round}");
        }
        println!(
            "conflicts retried while starting events: {}",
            w1.conflicts() + w2.conflicts()
        );
    });
}

/// Check 4: a repeat gives the same update and changes nothing; a crash after any number
/// of writes is completed by the redelivery without counting the article twice.
#[test]
fn repeats_and_crashes_at_every_write_count_once() {
    let nats = nats_or_skip!();
    let url = nats.url();
    let st = settings();
    let all = sequence();
    // Everything before a4r (two topics, joins stories in both, after a copy).
    let at = all.iter().position(|o| o.article_id == "a4r").unwrap();
    let (prefix, target, later) = (&all[..at], &all[at], &all[at + 1..at + 3]);
    let mut mem = StoryState::new();
    for o in prefix {
        mem.update(&st, o);
    }
    let want = mem.update(&st, target);
    let ids_at_target = story_ids(&mem);
    let want_later: Vec<StoryUpdate> = later.iter().map(|o| mem.update(&st, o)).collect();
    let want_rows: Vec<Story> = mem.stories().cloned().collect();
    rt().block_on(async {
        // A plain repeat.
        let kv = open(&url, "stories4").await;
        for o in prefix {
            kv.observe(o).await.unwrap();
        }
        let first = kv.observe(target).await.unwrap();
        assert_eq!(first, want);
        let before = rows(&kv, &ids_at_target).await;
        kv.fail_after_writes(Some(0));
        assert_eq!(kv.observe(target).await.unwrap(), want, "a repeat writes nothing");
        kv.fail_after_writes(None);
        assert_eq!(rows(&kv, &ids_at_target).await, before);

        // A crash after n writes, for every n until the observe completes.
        let mut n = 0;
        loop {
            let bucket = format!("stories4c{n}");
            let kv = open(&url, &bucket).await;
            for o in prefix {
                kv.observe(o).await.unwrap();
            }
            kv.fail_after_writes(Some(n));
            let crashed = kv.observe(target).await;
            if let Ok(got) = crashed {
                assert_eq!(got, want);
                println!("the article's observe makes {n} writes; a crash (or a broker error) after each of 0..{n} recovered");
                assert!(n > 10, "{n} writes");
                break;
            }
            // The redelivery: by a new worker (a kill -9), or by the same one once the
            // broker answers again (a transient error retried in place).
            let kv = if n % 2 == 0 {
                drop(kv);
                open(&url, &bucket).await
            } else {
                kv.fail_after_writes(None);
                kv
            };
            let got = kv.observe(target).await.unwrap();
            assert_eq!(got, want, "redelivery after a crash after {n} writes");
            for (o, w) in later.iter().zip(&want_later) {
                assert_eq!(&kv.observe(o).await.unwrap(), w, "after a crash after {n} writes");
            }
            let got_rows = rows(&kv, &story_ids(&mem)).await;
            let mut want_sorted = want_rows.clone();
            want_sorted.sort_by(|a, b| a.id.cmp(&b.id));
            assert_eq!(got_rows, want_sorted, "rows after a crash after {n} writes");
            n += 1;
        }

        // A crash, then another worker's article in the same topics before the
        // redelivery: it rolls the half-written commit forward; nothing twice.
        for n in [5, 36, 40] {
            let bucket = format!("stories4o{n}");
            let kv = open(&url, &bucket).await;
            for o in prefix {
                kv.observe(o).await.unwrap();
            }
            kv.fail_after_writes(Some(n));
            let _ = kv.observe(target).await;
            drop(kv);
            let other = open(&url, &bucket).await;
            let z = other.observe(&later[0]).await.unwrap();
            let again = other.observe(target).await.unwrap();
            for u in [&z, &again] {
                for s in &u.stories {
                    assert_counted_once(s);
                }
            }
            let mine: Vec<&Story> = again
                .stories
                .iter()
                .filter(|s| s.members.iter().any(|m| m.article == target.article_id))
                .collect();
            assert_eq!(mine.len(), target.topics.len(), "in one story per topic");
            assert_eq!(again.tag.clusters.len(), target.topics.len());
        }
    });
}

/// Check 5: a new worker, and a restarted nats-server (same store), continue the window
/// exactly: nothing lost.
#[test]
fn restarts_lose_nothing() {
    let mut nats = nats_or_skip!();
    let url = nats.url();
    let st = settings();
    // Without the last article, which comes after the window (the engine forgets the
    // repeats' first observation then; the bucket forgets by wall clock).
    let mut all = sequence();
    all.pop();
    let mut mem = StoryState::new();
    let want: Vec<StoryUpdate> = all.iter().map(|o| mem.update(&st, o)).collect();
    let (first, rest) = all.split_at(5);
    rt().block_on(async {
        let kv = open(&url, "stories5").await;
        for (o, w) in first[..3].iter().zip(&want) {
            assert_eq!(&kv.observe(o).await.unwrap(), w);
        }
        drop(kv);
        let kv = open(&url, "stories5").await; // a new worker
        for (o, w) in first[3..].iter().zip(&want[3..]) {
            assert_eq!(&kv.observe(o).await.unwrap(), w);
        }
    });
    nats.restart();
    rt().block_on(async {
        let kv = open(&url, "stories5").await;
        for (o, w) in rest.iter().zip(&want[5..]) {
            assert_eq!(&kv.observe(o).await.unwrap(), w, "{}", o.article_id);
        }
        // The first articles again: their tags, and their stories as they are now.
        let mut now = StoryState::new();
        for o in &all {
            now.update(&st, o);
        }
        for o in first {
            assert_eq!(kv.observe(o).await.unwrap(), now.update(&st, o));
        }
        let mut want_rows: Vec<Story> = mem.stories().cloned().collect();
        want_rows.sort_by(|a, b| a.id.cmp(&b.id));
        assert_eq!(rows(&kv, &story_ids(&mem)).await, want_rows);
    });

    // The broker away mid-stream: a typed transient error, then the same worker
    // retries once it is back and the article counts once.
    let kv = rt().block_on(open(&url, "stories5"));
    let extra = ob(
        "a9",
        Some(T0 + 1400),
        &["t1", "t2"],
        vec![person("p_alpha"), place("city_b")],
        &body(11, 60),
    );
    let want_extra = mem.update(&st, &extra);
    nats.stop();
    let err = rt()
        .block_on(async { tokio::time::timeout(Duration::from_secs(60), kv.observe(&extra)).await })
        .expect("an observe with the broker away ends")
        .expect_err("the broker is away");
    assert!(Transient::KINDS.contains(&err.error_type), "{err:?}");
    nats.restart();
    let got = rt().block_on(async {
        for _ in 0..60 {
            match kv.observe(&extra).await {
                Ok(u) => return u,
                Err(_) => tokio::time::sleep(Duration::from_millis(500)).await,
            }
        }
        panic!("no recovery after the broker came back");
    });
    assert_eq!(got, want_extra);
    for s in &got.stories {
        assert_counted_once(s);
    }
}

/// The articles the kill -9 test's worker observes: three interleaved events (one in
/// two topics), with copies.
fn kill9_sequence() -> Vec<Observation> {
    let mut a = event("k9a", 16, &["p_alpha", "city_b"]);
    let b = event("k9b", 16, &["p_gamma", "town_d"]);
    let mut c = event("k9c", 8, &["p_eps", "town_f"]);
    for o in &mut c {
        o.topics.push("t2".into());
    }
    // Copies of a few of the first event's articles.
    let st = StorySettings::builtin();
    for i in [3, 7] {
        let mut copy = a[i].clone();
        copy.article_id = format!("k9copy{i}");
        copy.entities.clear();
        copy.time = copy.time.map(|t| t + 30);
        copy.arrival = copy.time;
        copy.sketch = Sketch::of(
            &format!("{} also", body(seed_of("k9a") + i as u64, 50)),
            st.duplicates.shingle_words,
            st.duplicates.min_shingles,
        );
        a.push(copy);
    }
    let mut out = Vec::new();
    let (mut ia, mut ib, mut ic) = (a.into_iter(), b.into_iter(), c.into_iter());
    loop {
        let next: Vec<Observation> = [ia.next(), ib.next(), ic.next()]
            .into_iter()
            .flatten()
            .collect();
        if next.is_empty() {
            return out;
        }
        out.extend(next);
    }
}

/// Child side of the kill -9 test: observe [`kill9_sequence`] from the start, one
/// line per article done. A no-op unless the parent test started it.
#[test]
fn kill9_child_worker() {
    let Ok(url) = std::env::var("STORY_KV_CHILD_URL") else {
        return;
    };
    rt().block_on(async {
        let kv = open(&url, "stories9").await;
        for o in kill9_sequence() {
            kv.observe(&o).await.expect("observe");
            println!("done {}", o.article_id);
        }
    });
}

/// A worker process killed with SIGKILL at arbitrary moments, restarted each time with
/// the whole input again (a redelivery of everything unacknowledged), ends with the
/// engine's stories: nothing lost, nothing counted twice.
#[test]
fn kill_9_at_any_moment_loses_nothing() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};
    let nats = nats_or_skip!();
    let url = nats.url();
    let child = || {
        let mut c = Command::new(std::env::current_exe().expect("test binary"));
        c.args([
            "kill9_child_worker",
            "--exact",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("STORY_KV_CHILD_URL", &url)
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
        c
    };
    let obs = kill9_sequence();
    let mut kills = 0;
    assert_eq!(obs.len(), 42);
    for after in [1, 2, 9, 17, 26, 33, 38, 41] {
        let mut p = child().spawn().expect("child worker");
        let mut lines = BufReader::new(p.stdout.take().unwrap()).lines();
        let mut done = 0;
        // Each run starts from the first article again: count the lines of this run.
        while done < after {
            match lines.next() {
                // (the harness's own "test … " may precede the first line)
                Some(Ok(l)) if l.contains("done ") => done += 1,
                Some(_) => {}
                None => break,
            }
        }
        std::thread::sleep(Duration::from_millis(after as u64 % 7));
        p.kill().expect("SIGKILL");
        p.wait().expect("reap");
        kills += 1;
    }
    let out = child().output().expect("final run");
    assert!(out.status.success(), "the final run completes");
    let done = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| l.contains("done "))
        .count();
    assert_eq!(done, obs.len());

    let st = settings();
    let mut mem = StoryState::new();
    let want: Vec<StoryUpdate> = obs.iter().map(|o| mem.update(&st, o)).collect();
    assert!(mem.stories().count() >= 4);
    rt().block_on(async {
        let kv = open(&url, "stories9").await;
        let mut want_rows: Vec<Story> = mem.stories().cloned().collect();
        want_rows.sort_by(|a, b| a.id.cmp(&b.id));
        assert_eq!(rows(&kv, &story_ids(&mem)).await, want_rows);
        for (o, w) in obs.iter().zip(&want) {
            assert_eq!(kv.observe(o).await.unwrap().tag, w.tag, "{}", o.article_id);
        }
    });
    println!(
        "{kills} kills, then a complete run: the engine's {} stories",
        mem.stories().count()
    );
}
