//! P1 fan-out (and P5's peak memory): one post in a community with 10,000 followers on
//! 1,000 instances (sinks on localhost ports that verify every signature). The sinks say
//! in their NodeInfo that they run Mastodon (60 %), Lemmy (30 %) or nothing (10 %), and
//! Weft must send each shared inbox one request per form it reads: the `Announce` of the
//! bare post to Mastodon, of the `Create` to Lemmy, both to the unknown. The limit is the
//! RSA signing those requests need, measured here, spread over the cores.
//!
//! The first post meets every instance cold (a TCP connection each); a second post a
//! moment later finds the connections open, as a community that posts again within the
//! pool's idle time does. Both are reported; the goal is judged on the first. The
//! transport floor (`floor.rs`) shows what the same requests cost without Weft.

use crate::sink::{Behaviour, Sinks};
use crate::weft::{Setup, Weft, machine_busy_seconds, mb, post, process_cpu_seconds};
use crate::{Options, Row};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

/// Seconds per RSA-2048 signature with Weft's signer (aws-lc-rs), on one core.
pub fn signing_cost(rounds: usize) -> f64 {
    let (private_pem, _) = weft_protocol::httpsig::generate_key_pair();
    let key = weft_protocol::httpsig::SigningKey::from_pem(&private_pem).unwrap();
    let start = Instant::now();
    for _ in 0..rounds {
        std::hint::black_box(key.sign(SIGNED_TEXT));
    }
    start.elapsed().as_secs_f64() / rounds as f64
}

/// The same with the `rsa` crate (what the federation library uses).
pub fn rsa_crate_signing_cost(rounds: usize) -> f64 {
    use rsa::pkcs1v15::Pkcs1v15Sign;
    use rsa::pkcs8::DecodePrivateKey;
    use sha2::{Digest, Sha256};
    let (private_pem, _) = weft_protocol::httpsig::generate_key_pair();
    let key = rsa::RsaPrivateKey::from_pkcs8_pem(&private_pem).unwrap();
    let start = Instant::now();
    for _ in 0..rounds {
        let digest = Sha256::digest(SIGNED_TEXT.as_bytes());
        std::hint::black_box(key.sign(Pkcs1v15Sign::new::<Sha256>(), &digest).unwrap());
    }
    start.elapsed().as_secs_f64() / rounds as f64
}

const SIGNED_TEXT: &str = "(request-target): post /inbox\nhost: localhost:40000\ndate: Sun, 22 Nov 2026 03:00:00 GMT\ndigest: SHA-256=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\ncontent-type: application/activity+json";

/// What the sink with this index says it runs: 60 % Mastodon, 30 % Lemmy, 10 % nothing.
fn software_mix(i: usize) -> Option<&'static str> {
    match i % 10 {
        0..=5 => Some("mastodon"),
        6..=8 => Some("lemmy"),
        _ => None,
    }
}

/// What an instance running `software` must receive of one post, sorted.
fn expected_labels(software: Option<&str>) -> Vec<String> {
    match weft_core::software::reads(software) {
        weft_core::software::Reads::Activity => vec!["Announce(Create)".into()],
        weft_core::software::Reads::Object => vec!["Announce(Page)".into()],
        weft_core::software::Reads::Both => {
            vec!["Announce(Create)".into(), "Announce(Page)".into()]
        }
    }
}

/// The signatures one post needs: one per form each instance reads.
fn signatures_needed(sinks: &Sinks) -> usize {
    sinks
        .ports
        .iter()
        .map(|p| expected_labels(sinks.software(*p)).len())
        .sum()
}

pub fn cores() -> f64 {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1) as f64
}

/// One post's fan-out as the sinks saw it.
struct FanOut {
    seconds: f64,
    /// When the API answered (the post stored and its deliveries queued).
    posted: f64,
    /// When the first request reached a sink.
    first: f64,
    weft_cpu: f64,
    sinks_cpu: f64,
    machine_busy: f64,
    instances: usize,
    requests: usize,
    repeats: usize,
    /// Each instance got exactly the forms it reads.
    complete: bool,
}

/// Posts once and waits until every sink has what it reads; the sinks' log is emptied
/// first.
async fn fan_out(
    setup: &Setup,
    weft: &Weft,
    sinks: &Sinks,
    token: &str,
    title: &str,
    smoke: bool,
) -> Result<FanOut, String> {
    sinks.state.log.lock().unwrap().clear();
    let instances = sinks.ports.len();
    let expected = signatures_needed(sinks);
    let client = reqwest::Client::new();
    let community = format!("cop@{}", setup.domain);
    let (weft_before, sinks_before, busy_before) = (
        weft.cpu_seconds(),
        process_cpu_seconds("self"),
        machine_busy_seconds(),
    );
    let started = Instant::now();
    post(&client, &weft.base, token, &community, title).await?;
    let posted = started.elapsed().as_secs_f64();
    let deadline = Duration::from_secs(if smoke { 60 } else { 300 });
    while sinks.count() < expected {
        if started.elapsed() > deadline {
            return Err(format!(
                "P1: only {} of {expected} requests arrived",
                sinks.count()
            ));
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    let seconds = started.elapsed().as_secs_f64();
    let (weft_cpu, sinks_cpu, machine_busy) = (
        weft.cpu_seconds() - weft_before,
        process_cpu_seconds("self") - sinks_before,
        machine_busy_seconds() - busy_before,
    );
    tokio::time::sleep(Duration::from_millis(200)).await; // anything extra would show now
    let first = sinks
        .received()
        .iter()
        .map(|r| r.at)
        .min()
        .map(|t| (t - started).as_secs_f64())
        .unwrap_or(0.0);
    let per_port = sinks.per_port();
    let labels = sinks.labels_per_port();
    let complete = sinks.ports.iter().all(|port| {
        labels.get(port).cloned().unwrap_or_default() == expected_labels(sinks.software(*port))
    });
    Ok(FanOut {
        seconds,
        posted,
        first,
        weft_cpu,
        sinks_cpu,
        machine_busy,
        instances,
        requests: sinks.count(),
        repeats: per_port
            .values()
            .flat_map(|ids| ids.values())
            .filter(|n| **n > 1)
            .count(),
        complete,
    })
}

/// One launch of Weft: a cold and a warm fan-out, and the signing cost around them.
struct Launch {
    cold: FanOut,
    warm: FanOut,
    before: f64,
    after: f64,
    limit: f64,
    /// Signatures one post needs (one per form each instance reads).
    needed: usize,
}

impl Launch {
    fn print(&self, backend: &str, followers: usize) {
        for (label, f) in [
            ("first post, cold", &self.cold),
            ("second post, warm", &self.warm),
        ] {
            println!(
                "P1 fan-out ({backend}, {label}): {followers} followers on {} instances: \
                 {} requests ({} needed, {} repeated) in {:.3} s; limit {} signatures × \
                 {:.0} µs (before {:.0}, after {:.0}) / {} cores = {:.3} s; ratio {:.2}; Weft \
                 used {:.2} CPU-s, the sinks {:.2}, the machine {:.2} of {:.2}; post stored and \
                 queued after {:.3} s, first request after {:.3} s",
                f.instances,
                f.requests,
                self.needed,
                f.repeats,
                f.seconds,
                self.needed,
                (self.before + self.after) / 2.0 * 1e6,
                self.before * 1e6,
                self.after * 1e6,
                cores(),
                self.limit,
                f.seconds / self.limit,
                f.weft_cpu,
                f.sinks_cpu,
                f.machine_busy,
                f.seconds * cores(),
                f.posted,
                f.first,
            );
        }
    }
}

pub async fn run(options: &Options) -> Result<Vec<Row>, String> {
    let (followers, instances) = if options.smoke {
        (40, 10)
    } else {
        (10_000, 1_000)
    };
    let rounds = if options.smoke { 5 } else { 300 };
    let mut rows = vec![];
    for backend in options.backends() {
        let setup = Setup::new(&backend)?;
        let (lead, token) = setup.user("lead");
        let cop = setup.community("cop", &lead);
        let sinks = Sinks::start(
            instances,
            &cop.public_key_pem,
            Behaviour {
                delay: Duration::ZERO,
                software: software_mix,
                fault: options.fault,
            },
        )
        .await?;
        let needed = signatures_needed(&sinks);
        let actors = (0..followers)
            .map(|i| {
                let port = sinks.ports[i % instances];
                (
                    format!("http://localhost:{port}/users/u{i}"),
                    format!("localhost:{port}"),
                    format!("http://localhost:{port}/inbox"),
                    cop.public_key_pem.clone(),
                )
            })
            .collect();
        setup.remote_actors(actors, Some(cop.id));

        // Each launch of Weft meets the instances cold; the median launch is reported.
        let mut launches = vec![];
        let mut peak = 0;
        let mut broken = vec![];
        for launch in 0..if options.smoke { 1 } else { 3 } {
            let (weft, _) = setup.start(&[]).await?;
            // Weft learns what each instance runs when it starts (the first launch fetches
            // every NodeInfo; later ones find it recorded, under a day old).
            let learnt = software_learnt(&setup, instances).await?;
            if launch == 0 {
                broken.extend(wrong_software(&sinks, &learnt));
            }
            // The signing cost just before and just after the fan-out: the machine's
            // speed drifts, and the limit should be the one of the moment.
            let before = signing_cost(rounds);
            setup.settle();
            let title = format!("Fan-out {launch}");
            let cold = fan_out(&setup, &weft, &sinks, &token, &title, options.smoke).await?;
            let title = format!("Again {launch}");
            let warm = fan_out(&setup, &weft, &sinks, &token, &title, options.smoke).await?;
            peak = peak.max(weft.memory().1);
            let after = signing_cost(rounds);
            drop(weft);
            let launch = Launch {
                cold,
                warm,
                before,
                after,
                limit: needed as f64 * (before + after) / 2.0 / cores(),
                needed,
            };
            launch.print(&backend.name(), followers);
            launches.push(launch);
        }
        let bad = sinks.state.bad_signatures.load(Ordering::Relaxed);
        let median = |ratio: fn(&Launch) -> f64| {
            let mut order: Vec<&Launch> = launches.iter().collect();
            order.sort_by(|a, b| ratio(a).total_cmp(&ratio(b)));
            order[order.len() / 2]
        };
        let (cold_run, warm_run) = (
            median(|l| l.cold.seconds / l.limit),
            median(|l| l.warm.seconds / l.limit),
        );
        let (cold, warm) = (&cold_run.cold, &warm_run.warm);
        let limit = cold_run.limit;

        // The floor sends each instance what the last fan-out sent it.
        let per_port = delivered_bodies(&setup, &sinks)?;
        let private_pem = cop.private_key_pem.clone().unwrap_or_default();
        let floor_limit = needed as f64 * signing_cost(rounds) / cores();
        let floor = crate::floor::run(&sinks, &private_pem, &cop.public_key_id, &per_port).await?;
        let with_floor = floor_limit + floor.busy / cores();
        // Weft's first post against signing + floor, each at the signing cost of its moment.
        let over_floor = cold.seconds / limit / (with_floor / floor_limit);
        let name = backend.name();
        println!(
            "P1 fan-out ({name}): median of {} launches: first post {:.3} s, ratio {:.2}; second post {:.3} s, ratio {:.2}; {bad} bad signatures in all",
            launches.len(),
            cold.seconds,
            cold.seconds / limit,
            warm.seconds,
            warm.seconds / warm_run.limit,
        );
        println!(
            "P1 transport floor ({name}): the same {needed} requests signed beforehand, sent cold by a \
             bare client: {:.3} s, the machine busy {:.2} CPU-s; signing + floor = {with_floor:.3} s \
             ({:.2} × the signing limit of the moment, {floor_limit:.3} s); the median first post \
             at {over_floor:.2} × signing + floor",
            floor.seconds,
            floor.busy,
            with_floor / floor_limit,
        );
        // Every launch's fan-outs must have reached each instance once with each form it
        // reads (and no other), with valid signatures.
        if bad > 0 {
            broken.push(format!("{bad} requests had a bad signature"));
        }
        for (i, l) in launches.iter().enumerate() {
            for (which, f) in [("first", &l.cold), ("second", &l.warm)] {
                if f.repeats > 0 {
                    broken.push(format!(
                        "launch {i}, {which} post: {} activities reached an instance twice",
                        f.repeats
                    ));
                }
                if !f.complete {
                    broken.push(format!(
                        "launch {i}, {which} post: an instance did not get exactly the forms it reads"
                    ));
                }
            }
        }
        let mix = format!(
            "{} instances: {} Mastodon, {} Lemmy, {} unknown",
            instances,
            sinks
                .ports
                .iter()
                .filter(|p| sinks.software(**p) == Some("mastodon"))
                .count(),
            sinks
                .ports
                .iter()
                .filter(|p| sinks.software(**p) == Some("lemmy"))
                .count(),
            sinks
                .ports
                .iter()
                .filter(|p| sinks.software(**p).is_none())
                .count(),
        );
        rows.push(Row {
            name: "P1 fan-out: 1 post, 10k followers, 1k instances",
            backend: name.clone(),
            goal:
                "≤ 1.5 × limit and ≤ 1.2 × (signing + floor); 1 request per form an instance reads"
                    .into(),
            limit: format!(
                "{limit:.3} s ({needed} RSA signatures needed at {:.0} µs / {} cores; {mix})",
                (cold_run.before + cold_run.after) / 2.0 * 1e6,
                cores()
            ),
            measured: format!(
                "{:.3} s; {} requests (median of {})",
                cold.seconds,
                cold.requests,
                launches.len()
            ),
            ratio: format!(
                "{:.2} of limit; {over_floor:.2} of signing + floor",
                cold.seconds / limit
            ),
            pass: Some(cold.seconds / limit <= 1.5 && over_floor <= 1.2),
            broken: broken.clone(),
        });
        rows.push(Row {
            name: "P1 transport floor: the same requests signed beforehand, sent by a bare client",
            backend: name.clone(),
            goal: "- (what any sender pays beyond signing)".into(),
            limit: format!("{floor_limit:.3} s signing alone"),
            measured: format!(
                "floor alone {:.3} s ({:.2} CPU-s); signing + floor {with_floor:.3} s",
                floor.seconds, floor.busy
            ),
            ratio: format!(
                "{:.2} (signing + floor ÷ limit); Weft's first post {over_floor:.2} × signing + floor",
                with_floor / floor_limit,
            ),
            pass: None,
            broken: vec![],
        });
        rows.push(Row {
            name: "P1 fan-out, second post (connections open)",
            backend: name.clone(),
            goal: "≤ 1.5 × limit".into(),
            limit: format!("{:.3} s", warm_run.limit),
            measured: format!("{:.3} s (median of {})", warm.seconds, launches.len()),
            ratio: format!("{:.2}", warm.seconds / warm_run.limit),
            pass: Some(warm.seconds / warm_run.limit <= 1.5),
            broken: vec![],
        });
        rows.push(Row {
            name: "P5 memory at the peak of P1",
            backend: name,
            goal: "≤ 200 MB".into(),
            limit: "200 MB".into(),
            measured: format!("{:.1} MB peak resident", mb(peak)),
            ratio: format!("{:.2}", mb(peak) / 200.0),
            pass: Some(mb(peak) <= 200.0),
            broken: vec![],
        });
    }
    let (aws, rsa) = (signing_cost(rounds), rsa_crate_signing_cost(rounds));
    rows.push(Row {
        name: "RSA-2048 signature, one core (before → after)",
        backend: "-".into(),
        goal: "faster than the rsa crate".into(),
        limit: format!("rsa crate {:.0} µs ({:.0}/s)", rsa * 1e6, 1.0 / rsa),
        measured: format!("aws-lc-rs {:.0} µs ({:.0}/s)", aws * 1e6, 1.0 / aws),
        ratio: format!("{:.2}× faster", rsa / aws),
        pass: Some(aws < rsa),
        broken: vec![],
    });
    Ok(rows)
}

/// Waits until Weft has checked the software of every instance; returns what it
/// recorded, by domain.
async fn software_learnt(
    setup: &Setup,
    instances: usize,
) -> Result<std::collections::HashMap<String, Option<String>>, String> {
    let started = Instant::now();
    loop {
        let checked = setup
            .db()
            .read_blocking(weft_db::instances::checked)
            .map_err(|e| e.to_string())?;
        if checked.len() >= instances {
            return Ok(checked.into_iter().collect());
        }
        if started.elapsed() > Duration::from_secs(120) {
            return Err(format!(
                "P1: Weft checked the software of only {} of {instances} instances",
                checked.len()
            ));
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Instances whose recorded software is not what their NodeInfo says.
fn wrong_software(
    sinks: &Sinks,
    learnt: &std::collections::HashMap<String, Option<String>>,
) -> Vec<String> {
    sinks
        .ports
        .iter()
        .filter_map(|port| {
            let domain = format!("localhost:{port}");
            let found = learnt.get(&domain).cloned().flatten();
            let says = sinks.software(*port).map(str::to_string);
            (found != says).then(|| format!("{domain} runs {says:?}, Weft recorded {found:?}"))
        })
        .collect()
}

/// What each sink received last, as (port, bodies in arrival order), the bodies read
/// from the outbox, where they stay.
fn delivered_bodies(setup: &Setup, sinks: &Sinks) -> Result<Vec<(u16, Vec<String>)>, String> {
    let received = sinks.received();
    let mut ids: Vec<String> = received.iter().map(|r| r.id.clone()).collect();
    ids.sort();
    ids.dedup();
    let bodies: std::collections::HashMap<String, String> = setup
        .db()
        .read_blocking(|c| {
            ids.iter()
                .map(|id| weft_db::outbox::by_ap_id(c, id).map(|r| r.map(|r| (id.clone(), r.body))))
                .collect::<Result<Option<Vec<(String, String)>>, weft_db::DbError>>()
        })
        .map_err(|e| e.to_string())?
        .ok_or_else(|| "P1: a delivered activity is not in the outbox".to_string())?
        .into_iter()
        .collect();
    let mut per_port: std::collections::BTreeMap<u16, Vec<String>> =
        std::collections::BTreeMap::new();
    for r in received {
        per_port
            .entry(r.port)
            .or_default()
            .push(bodies[&r.id].clone());
    }
    Ok(per_port.into_iter().collect())
}
