//! P1 fan-out (and P5's peak memory): one post in a community with 10,000 followers on
//! 1,000 instances (sinks on localhost ports that verify every signature). Weft must send
//! one request per shared inbox per activity; the limit is the RSA signing those
//! requests need, measured here, spread over the cores.

use crate::sink::Sinks;
use crate::weft::{Setup, mb, post};
use crate::{Options, Row};
use std::time::{Duration, Instant};

/// Seconds per RSA-2048 signature with Weft's signer (aws-lc-rs) and with the `rsa`
/// crate (what the federation library uses), measured on one core.
pub fn signing_costs(rounds: usize) -> (f64, f64) {
    use rsa::pkcs1v15::Pkcs1v15Sign;
    use rsa::pkcs8::DecodePrivateKey;
    use sha2::{Digest, Sha256};
    let (private_pem, _) = weft_protocol::httpsig::generate_key_pair();
    let key = weft_protocol::httpsig::SigningKey::from_pem(&private_pem).unwrap();
    let text = "(request-target): post /inbox\nhost: localhost:40000\ndate: Sun, 22 Nov 2026 03:00:00 GMT\ndigest: SHA-256=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\ncontent-type: application/activity+json";
    let start = Instant::now();
    for _ in 0..rounds {
        std::hint::black_box(key.sign(text));
    }
    let aws = start.elapsed().as_secs_f64() / rounds as f64;
    let rsa_key = rsa::RsaPrivateKey::from_pkcs8_pem(&private_pem).unwrap();
    let start = Instant::now();
    for _ in 0..rounds {
        let digest = Sha256::digest(text.as_bytes());
        std::hint::black_box(
            rsa_key
                .sign(Pkcs1v15Sign::new::<Sha256>(), &digest)
                .unwrap(),
        );
    }
    let rsa = start.elapsed().as_secs_f64() / rounds as f64;
    (aws, rsa)
}

pub fn cores() -> f64 {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1) as f64
}

pub async fn run(options: &Options) -> Result<Vec<Row>, String> {
    let (followers, instances) = if options.smoke {
        (40, 8)
    } else {
        (10_000, 1_000)
    };
    let mut rows = vec![];
    for backend in options.backends() {
        let setup = Setup::new(&backend)?;
        let (lead, token) = setup.user("lead");
        let cop = setup.community("cop", &lead);
        let sinks = Sinks::start(instances, &cop.public_key_pem, Duration::ZERO).await?;
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
        let (weft, _) = setup.start(&[]).await?;
        let (aws, rsa) = signing_costs(if options.smoke { 5 } else { 300 });

        setup.settle();
        let client = reqwest::Client::new();
        let cpu_before = weft.cpu_seconds();
        let (sinks_before, busy_before) = (
            crate::weft::process_cpu_seconds("self"),
            crate::weft::machine_busy_seconds(),
        );
        let started = Instant::now();
        post(
            &client,
            &weft.base,
            &token,
            &format!("cop@{}", setup.domain),
            "Fan-out",
        )
        .await?;
        let posted = started.elapsed().as_secs_f64();
        let expected = 2 * instances; // Announce(Create) and Announce(Page) per shared inbox
        let deadline = Duration::from_secs(if options.smoke { 60 } else { 300 });
        while sinks.count() < expected {
            if started.elapsed() > deadline {
                return Err(format!(
                    "P1: only {} of {expected} requests arrived",
                    sinks.count()
                ));
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        let elapsed = started.elapsed().as_secs_f64();
        let cpu = weft.cpu_seconds() - cpu_before;
        let sinks_cpu = crate::weft::process_cpu_seconds("self") - sinks_before;
        let busy = crate::weft::machine_busy_seconds() - busy_before;
        let first = sinks
            .received()
            .iter()
            .map(|r| r.at)
            .min()
            .map(|t| (t - started).as_secs_f64())
            .unwrap_or(0.0);
        tokio::time::sleep(Duration::from_millis(200)).await; // anything extra would show now
        let (_, peak) = weft.memory();

        let per_port = sinks.per_port();
        let repeats = per_port
            .values()
            .flat_map(|ids| ids.values())
            .filter(|n| **n > 1)
            .count();
        let complete = per_port.len() == instances && per_port.values().all(|ids| ids.len() == 2);
        let total = sinks.count();
        let bad = sinks
            .state
            .bad_signatures
            .load(std::sync::atomic::Ordering::Relaxed);
        let limit = expected as f64 * aws / cores();
        let ratio = elapsed / limit;
        drop(weft);
        let mut ids: Vec<String> = sinks.received().into_iter().map(|r| r.id).collect();
        ids.sort();
        ids.dedup();
        let bodies = setup
            .db()
            .read_blocking(|c| {
                ids.iter()
                    .map(|id| weft_db::outbox::by_ap_id(c, id).map(|r| r.map(|r| r.body)))
                    .collect::<Result<Option<Vec<String>>, _>>()
            })
            .map_err(|e| e.to_string())?
            .ok_or("P1: a delivered activity is not in the outbox")?;
        let private_pem = cop.private_key_pem.clone().unwrap_or_default();
        let floor = crate::floor::run(&sinks, &private_pem, &cop.public_key_id, &bodies).await?;
        println!(
            "P1 transport floor ({}): the same {} requests signed beforehand, sent by a bare client: {:.3} s, the machine busy {:.2} CPU-s; signing + floor = {:.3} s; Weft's ratio to it {:.2}",
            backend.name(),
            sinks.count(),
            floor.seconds,
            floor.busy,
            limit + floor.busy / cores(),
            elapsed / (limit + floor.busy / cores())
        );
        println!(
            "P1 fan-out ({}): {followers} followers on {instances} instances: {total} requests \
             ({} per activity, {repeats} repeated, {bad} bad signatures) in {elapsed:.3} s; \
             limit {expected} signatures × {:.0} µs / {} cores = {limit:.3} s; ratio {ratio:.2} \
             (the rsa crate signs in {:.0} µs: its limit would be {:.3} s); Weft used {cpu:.2} CPU-s, the sinks {sinks_cpu:.2}, the machine {busy:.2} of {:.2}; post stored and queued after {posted:.3} s, first request after {:.3} s",
            backend.name(),
            total / 2,
            aws * 1e6,
            cores(),
            rsa * 1e6,
            expected as f64 * rsa / cores(),
            elapsed * cores(),
            first
        );
        rows.push(Row {
            name: "P1 fan-out: 1 post, 10k followers, 1k instances",
            backend: backend.name(),
            goal: "≤ 1.5 × limit; 1 request per shared inbox".into(),
            limit: format!(
                "{limit:.3} s ({expected} RSA signatures at {:.0} µs / {} cores)",
                aws * 1e6,
                cores()
            ),
            measured: format!("{elapsed:.3} s; {} requests per activity", total / 2),
            ratio: format!("{ratio:.2}"),
            pass: ratio <= 1.5 && complete && repeats == 0 && bad == 0,
        });
        rows.push(Row {
            name: "P5 memory at the peak of P1",
            backend: backend.name(),
            goal: "≤ 200 MB".into(),
            limit: "200 MB".into(),
            measured: format!("{:.1} MB peak resident", mb(peak)),
            ratio: format!("{:.2}", mb(peak) / 200.0),
            pass: mb(peak) <= 200.0,
        });
    }
    let (aws, rsa) = signing_costs(if options.smoke { 5 } else { 300 });
    rows.push(Row {
        name: "RSA-2048 signature, one core (before → after)",
        backend: "-".into(),
        goal: "faster than the rsa crate".into(),
        limit: format!("rsa crate {:.0} µs ({:.0}/s)", rsa * 1e6, 1.0 / rsa),
        measured: format!("aws-lc-rs {:.0} µs ({:.0}/s)", aws * 1e6, 1.0 / aws),
        ratio: format!("{:.2}× faster", rsa / aws),
        pass: aws < rsa,
    });
    Ok(rows)
}
