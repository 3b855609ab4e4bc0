//! P2 distance: a steady stream of activities to one peer that takes 150 ms to answer.
//! Strictly one-at-a-time delivery (Lemmy's queue) caps near 1 / 0.15 s ≈ 7 per second;
//! Weft keeps several requests in flight, keeping the order of activities on one post.

use crate::sink::{Behaviour, Sinks};
use crate::weft::{Setup, post};
use crate::{Options, Row};
use std::collections::HashMap;
use std::time::{Duration, Instant};

pub async fn run(options: &Options) -> Result<Vec<Row>, String> {
    let posts = if options.smoke { 10 } else { 1_000 };
    let delay = Duration::from_millis(150);
    let setup = Setup::new(&crate::weft::Backend::Sqlite)?;
    let (lead, token) = setup.user("lead");
    let cop = setup.community("cop", &lead);
    // A peer that does not say what it runs: it gets both announces of each post.
    let sinks = Sinks::start(
        1,
        &cop.public_key_pem,
        Behaviour {
            delay,
            software: |_| None,
            fault: options.fault,
        },
    )
    .await?;
    let port = sinks.ports[0];
    setup.remote_actors(
        vec![(
            format!("http://localhost:{port}/users/far"),
            format!("localhost:{port}"),
            format!("http://localhost:{port}/inbox"),
            cop.public_key_pem.clone(),
        )],
        Some(cop.id),
    );
    let (weft, _) = setup.start(&[]).await?;
    let client = reqwest::Client::new();
    let community = format!("cop@{}", setup.domain);
    let started = Instant::now();
    // Eight writers post as fast as the API takes them.
    let mut writers = vec![];
    for w in 0..8 {
        let (client, base, token, community) = (
            client.clone(),
            weft.base.clone(),
            token.clone(),
            community.clone(),
        );
        writers.push(tokio::spawn(async move {
            for i in (w..posts).step_by(8) {
                post(&client, &base, &token, &community, &format!("Post {i}")).await?;
            }
            Ok::<_, String>(())
        }));
    }
    for w in writers {
        w.await.map_err(|e| e.to_string())??;
    }
    let posted = started.elapsed().as_secs_f64();
    let expected = 2 * posts;
    while sinks.count() < expected {
        if started.elapsed() > Duration::from_secs(300) {
            return Err(format!("P2: only {} of {expected} arrived", sinks.count()));
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let received = sinks.received();
    let first = received.iter().map(|r| r.at).min().unwrap();
    let last = received.iter().map(|r| r.at).max().unwrap();
    let window = (last - first).as_secs_f64() + delay.as_secs_f64();
    let rate = received.len() as f64 / window;
    // Order: for each post, Announce(Create) arrived before Announce(Page).
    let mut seen: HashMap<&str, Vec<&str>> = HashMap::new();
    for r in &received {
        seen.entry(r.object.as_str())
            .or_default()
            .push(r.label.as_str());
    }
    let in_order = seen
        .values()
        .all(|labels| labels == &["Announce(Create)", "Announce(Page)"]);
    let unique: std::collections::HashSet<&str> = received.iter().map(|r| r.id.as_str()).collect();
    let in_flight = weft_server_in_flight();
    let limit = in_flight as f64 / delay.as_secs_f64();
    println!(
        "P2 distance: {} activities to a peer 150 ms away in {window:.2} s = {rate:.0}/s \
         (posting took {posted:.2} s); in order: {in_order}; repeats: {}; \
         limit {in_flight} in flight / 0.15 s = {limit:.0}/s; one at a time would be 6.7/s",
        received.len(),
        received.len() - unique.len()
    );
    Ok(vec![Row {
        name: "P2 distance: stream to a peer 150 ms away",
        backend: "SQLite".into(),
        goal: "≥ 200 activities/s, in order per post".into(),
        limit: format!("{limit:.0}/s ({in_flight} in flight / 150 ms)"),
        measured: format!("{rate:.0}/s, in order: {in_order}"),
        ratio: format!("{:.2} of limit; {:.1}× goal", rate / limit, rate / 200.0),
        pass: Some(rate >= 200.0),
        broken: [
            (!in_order).then(|| "an Announce(Page) arrived before its Announce(Create)".into()),
            (unique.len() != received.len()).then(|| {
                format!(
                    "{} activities arrived more than once",
                    received.len() - unique.len()
                )
            }),
        ]
        .into_iter()
        .flatten()
        .collect(),
    }])
}

fn weft_server_in_flight() -> usize {
    weft_server::Config::from_parts(Default::default(), |_| None)
        .map(|c| c.delivery.in_flight)
        .unwrap_or(16)
}
