//! P7 directory search: the one search service (`weft_core::directory::search`, the
//! database's own full-text index) over 10,000 communities listed by 100 instances, as
//! the directory table holds them after a crawl (seeded through the db layer). Queries of
//! one and two words, with and without a language, and a tag; the median and the 99th
//! percentile of each query's time (in the process, through the connection pool, no
//! HTTP). Goal: p99 under 50 ms.

use crate::weft::{Backend, Setup};
use crate::{Options, Row};
use std::time::{Duration, Instant};
use weft_db::directory::NewDirectoryEntry;

const GOAL_P99_MS: f64 = 50.0;

const WORDS: [&str; 48] = [
    "trauma",
    "dementia",
    "wellbeing",
    "schools",
    "nursing",
    "midwifery",
    "housing",
    "homelessness",
    "youth",
    "literacy",
    "numeracy",
    "gardening",
    "beekeeping",
    "climate",
    "energy",
    "transport",
    "cycling",
    "libraries",
    "museums",
    "archives",
    "coding",
    "testing",
    "security",
    "accessibility",
    "design",
    "research",
    "evaluation",
    "funding",
    "volunteering",
    "mentoring",
    "coaching",
    "supervision",
    "safeguarding",
    "inclusion",
    "migration",
    "refugees",
    "farming",
    "fisheries",
    "forestry",
    "water",
    "sanitation",
    "nutrition",
    "pharmacy",
    "physiotherapy",
    "counselling",
    "recovery",
    "carers",
    "hospice",
];
const FILLER: [&str; 8] = [
    "practice", "across", "region", "sharing", "learning", "together", "people", "network",
];
const LANGUAGES: [&str; 6] = ["en", "en-GB", "fr", "de", "es", "nl"];

/// A small deterministic generator (the same directory every run).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((self.0 >> 33) % n as u64) as usize
    }
    fn word(&mut self) -> &'static str {
        WORDS[self.next(WORDS.len())]
    }
}

fn entries(instances: usize, per_instance: usize) -> Vec<NewDirectoryEntry> {
    let mut rng = Lcg(7);
    let now = weft_db::now();
    let mut out = Vec::with_capacity(instances * per_instance);
    for i in 0..instances {
        let domain = format!("cop{i}.example");
        for j in 0..per_instance {
            let title = format!("{} and {} {}", rng.word(), rng.word(), FILLER[rng.next(8)]);
            let about: Vec<&str> = (0..14)
                .map(|k| {
                    if k % 3 == 0 {
                        FILLER[rng.next(8)]
                    } else {
                        rng.word()
                    }
                })
                .collect();
            let mut tags: Vec<&str> = (0..3).map(|_| rng.word()).collect();
            tags.sort();
            tags.dedup();
            out.push(NewDirectoryEntry {
                ap_id: format!("https://{domain}/c/community{j}"),
                source_domain: domain.clone(),
                is_local: false,
                name: format!("community{j}"),
                title,
                about: about.join(" "),
                tags: tags.join(" "),
                language: Some(LANGUAGES[rng.next(LANGUAGES.len())].to_string()),
                lifecycle: if rng.next(10) == 0 {
                    "proposal"
                } else {
                    "active"
                }
                .into(),
                member_count: rng.next(300) as i64,
                last_activity_at: Some(now - chrono::Duration::minutes(rng.next(100_000) as i64)),
                fetched_at: now,
            });
        }
    }
    out
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

fn one(backend: &Backend, options: &Options) -> Result<Row, String> {
    let (instances, per, queries) = if options.smoke {
        (10, 20, 40)
    } else {
        (100, 100, 1000)
    };
    let setup = Setup::new(backend)?;
    let db = setup.db();
    let rows = entries(instances, per);
    let total = rows.len();
    db.write_blocking(move |c| weft_db::directory::insert_entries(c, &rows))
        .map_err(|e| e.to_string())?;
    setup.settle();
    let mut rng = Lcg(99);
    let mut times = Vec::with_capacity(queries);
    let mut found_any = 0;
    for i in 0..queries {
        let search = match i % 4 {
            0 => weft_core::directory::Search {
                q: rng.word().to_string(),
                page: 1,
                ..Default::default()
            },
            1 => weft_core::directory::Search {
                q: format!("{} {}", rng.word(), rng.word()),
                page: 1,
                ..Default::default()
            },
            2 => weft_core::directory::Search {
                q: rng.word().to_string(),
                language: Some("en".into()),
                page: 1,
                ..Default::default()
            },
            _ => weft_core::directory::Search {
                q: format!("{} region", rng.word()),
                lifecycle: Some("active".into()),
                page: 1,
                ..Default::default()
            },
        };
        let start = Instant::now();
        let found = db
            .read_blocking(|c| weft_core::directory::search(c, &search))
            .map_err(|e| e.to_string())?;
        times.push(start.elapsed());
        if found.total > 0 {
            found_any += 1;
        }
    }
    times.sort();
    let (median, p99) = (percentile(&times, 0.5), percentile(&times, 0.99));
    let mut broken = vec![];
    if found_any * 2 < queries {
        broken.push(format!(
            "only {found_any} of {queries} searches found anything in {total} communities"
        ));
    }
    println!(
        "P7 directory search ({}): {total} communities from {instances} instances, {queries} searches: median {median:.2} ms, p99 {p99:.2} ms",
        backend.name()
    );
    Ok(Row {
        name: "P7 directory search",
        backend: backend.name(),
        goal: format!("p99 < {GOAL_P99_MS} ms"),
        limit: format!("{total} communities, {instances} instances"),
        measured: format!("median {median:.2} ms, p99 {p99:.2} ms"),
        ratio: format!("{:.2}", p99 / GOAL_P99_MS),
        pass: Some(p99 < GOAL_P99_MS),
        broken,
    })
}

pub async fn run(options: &Options) -> Result<Vec<Row>, String> {
    let mut rows = vec![];
    for backend in options.backends() {
        let o = Options {
            smoke: options.smoke,
            postgres: options.postgres.clone(),
            fault: options.fault,
        };
        let b = backend.clone();
        rows.push(
            tokio::task::spawn_blocking(move || one(&b, &o))
                .await
                .map_err(|e| e.to_string())??,
        );
    }
    Ok(rows)
}
