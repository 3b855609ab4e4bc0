//! P4 read path: an actor, a WebFinger answer and an outbox page under load (`wrk`), beside
//! nginx serving the same bytes from files, which is the ceiling on this machine.
//! Needs `wrk` and `nginx` (Debian packages); `scripts/bench.sh` installs them. In smoke
//! mode, or without them, the same URLs are fetched a few hundred times instead.

use crate::weft::{Setup, post};
use crate::{Options, Row};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

struct Load {
    rps: f64,
    p99_ms: f64,
}

fn have(tool: &str) -> bool {
    Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {tool}"))
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Parses `Requests/sec:` and the 99% latency from `wrk --latency`.
fn wrk(url: &str, seconds: u32) -> Result<Load, String> {
    let out = Command::new("wrk")
        .args([
            "-t2",
            "-c32",
            &format!("-d{seconds}s"),
            "--latency",
            "-H",
            "Accept: application/activity+json",
            url,
        ])
        .output()
        .map_err(|e| format!("wrk: {e}"))?;
    let text = String::from_utf8_lossy(&out.stdout);
    let rps = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("Requests/sec:"))
        .and_then(|v| v.trim().parse::<f64>().ok())
        .ok_or_else(|| format!("wrk printed no rate:\n{text}"))?;
    let p99 = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("99%"))
        .map(|v| parse_duration_ms(v.trim()))
        .ok_or_else(|| format!("wrk printed no 99th percentile:\n{text}"))?;
    Ok(Load { rps, p99_ms: p99 })
}

fn parse_duration_ms(v: &str) -> f64 {
    let (num, unit) = v.split_at(v.find(|c: char| c.is_alphabetic()).unwrap_or(v.len()));
    let n: f64 = num.parse().unwrap_or(f64::MAX);
    match unit {
        "us" => n / 1000.0,
        "ms" => n,
        "s" => n * 1000.0,
        "m" => n * 60_000.0,
        _ => n,
    }
}

/// nginx serving `files` (name → (content type, bytes)) on a free port.
struct Nginx {
    child: std::process::Child,
    port: u16,
    _dir: std::path::PathBuf,
}

impl Drop for Nginx {
    fn drop(&mut self) {
        // QUIT lets the master stop its workers (a KILL would orphan them).
        let _ = Command::new("kill")
            .args(["-QUIT", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
    }
}

fn nginx(files: &[(&str, &str, Vec<u8>)]) -> Result<Nginx, String> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dir = std::env::temp_dir().join(format!("weft-bench-nginx-{port}"));
    std::fs::create_dir_all(dir.join("root")).map_err(|e| e.to_string())?;
    let mut locations = String::new();
    for (name, content_type, bytes) in files {
        std::fs::write(dir.join("root").join(name), bytes).map_err(|e| e.to_string())?;
        locations.push_str(&format!(
            "location = /{name} {{ default_type \"{content_type}\"; }}\n"
        ));
    }
    let conf = format!(
        "worker_processes 2; pid {d}/nginx.pid; error_log {d}/error.log; daemon off; user root;\n\
         events {{ worker_connections 1024; }}\n\
         http {{ access_log off; keepalive_requests 100000;\n\
         client_body_temp_path {d}; proxy_temp_path {d}; fastcgi_temp_path {d}; uwsgi_temp_path {d}; scgi_temp_path {d};\n\
         server {{ listen 127.0.0.1:{port}; root {d}/root;\n{locations}}} }}\n",
        d = dir.display()
    );
    std::fs::write(dir.join("nginx.conf"), conf).map_err(|e| e.to_string())?;
    let child = Command::new("nginx")
        .args(["-c", &dir.join("nginx.conf").display().to_string()])
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| format!("nginx: {e}"))?;
    std::thread::sleep(Duration::from_millis(500));
    Ok(Nginx {
        child,
        port,
        _dir: dir,
    })
}

pub async fn run(options: &Options) -> Result<Vec<Row>, String> {
    let setup = Setup::new(&crate::weft::Backend::Sqlite)?;
    let (lead, token) = setup.user("lead");
    setup.community("cop", &lead);
    let (weft, _) = setup.start(&[]).await?;
    let client = reqwest::Client::new();
    for i in 0..30 {
        post(
            &client,
            &weft.base,
            &token,
            &format!("cop@{}", setup.domain),
            &format!("Post {i}"),
        )
        .await?;
    }
    let paths = [
        ("actor", "c/cop".to_string(), "application/activity+json"),
        (
            "webfinger",
            format!(".well-known/webfinger?resource=acct:cop@{}", setup.domain),
            "application/jrd+json",
        ),
        (
            "outbox page",
            "c/cop/outbox?page=true".to_string(),
            "application/activity+json",
        ),
    ];
    let mut files = vec![];
    for (i, (_, path, content_type)) in paths.iter().enumerate() {
        let bytes = client
            .get(format!("{}/{path}", weft.base))
            .header("accept", "application/activity+json")
            .send()
            .await
            .map_err(|e| e.to_string())?
            .bytes()
            .await
            .map_err(|e| e.to_string())?;
        files.push((
            ["actor.json", "webfinger.json", "outbox.json"][i],
            *content_type,
            bytes.to_vec(),
        ));
    }

    if options.smoke || !have("wrk") || !have("nginx") {
        if !options.smoke {
            return Err(
                "P4 needs wrk and nginx (apt-get install wrk nginx; scripts/bench.sh does)".into(),
            );
        }
        // Smoke: the same requests, a few at a time.
        let started = Instant::now();
        for (_, path, _) in &paths {
            for _ in 0..50 {
                let r = client
                    .get(format!("{}/{path}", weft.base))
                    .send()
                    .await
                    .map_err(|e| e.to_string())?;
                if !r.status().is_success() {
                    return Err(format!("P4 smoke: {path} answered {}", r.status()));
                }
            }
        }
        let rps = 150.0 / started.elapsed().as_secs_f64();
        return Ok(vec![Row {
            name: "P4 read path (smoke: no wrk)",
            backend: "SQLite".into(),
            goal: "answers".into(),
            limit: "-".into(),
            measured: format!("{rps:.0} requests/s sequential"),
            ratio: "-".into(),
            pass: Some(true),
            broken: vec![],
        }]);
    }

    let server = nginx(&files)?;
    let mut rows = vec![];
    for (i, (name, path, _)) in paths.iter().enumerate() {
        let ceiling = wrk(
            &format!("http://127.0.0.1:{}/{}", server.port, files[i].0),
            5,
        )?;
        let ours = wrk(&format!("http://127.0.0.1:{}/{path}", setup.port), 5)?;
        let ratio = ours.rps / ceiling.rps;
        println!(
            "P4 {name}: Weft {:.0} req/s (p99 {:.2} ms), nginx {:.0} req/s (p99 {:.2} ms): {:.0} % of nginx",
            ours.rps,
            ours.p99_ms,
            ceiling.rps,
            ceiling.p99_ms,
            ratio * 100.0
        );
        rows.push(Row {
            name: match *name {
                "actor" => "P4 read path: actor",
                "webfinger" => "P4 read path: WebFinger",
                _ => "P4 read path: outbox page",
            },
            backend: "SQLite".into(),
            goal: "≥ 50 % of nginx, p99 < 10 ms".into(),
            limit: format!("nginx {:.0} req/s", ceiling.rps),
            measured: format!("{:.0} req/s, p99 {:.2} ms", ours.rps, ours.p99_ms),
            ratio: format!("{:.2}", ratio),
            pass: Some(ratio >= 0.5 && ours.p99_ms < 10.0),
            broken: vec![],
        });
    }
    Ok(rows)
}
