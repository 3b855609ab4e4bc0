//! The real `weft serve` with JSON logs: every answer carries a request id (the caller's
//! when well-formed, else a new one), and the log line of that request parses as JSON
//! and carries the same id. `weft health` answers 0 while it runs and 1 once it stopped.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// GETs `path` over plain HTTP/1.1; returns the answer's head (status line and headers).
fn get(port: u16, path: &str, request_id: Option<&str>) -> String {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let id = request_id
        .map(|id| format!("X-Request-Id: {id}\r\n"))
        .unwrap_or_default();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: localhost:{port}\r\n{id}Connection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    answer.split("\r\n\r\n").next().unwrap().to_string()
}

fn header(head: &str, name: &str) -> Option<String> {
    head.lines().find_map(|l| {
        let (n, v) = l.split_once(':')?;
        n.eq_ignore_ascii_case(name).then(|| v.trim().to_string())
    })
}

struct Server {
    child: Child,
    lines: Arc<Mutex<Vec<String>>>,
    dir: std::path::PathBuf,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl Server {
    fn wait_for(&self, what: &str, pred: impl Fn(&str) -> bool) -> String {
        let start = Instant::now();
        loop {
            if let Some(line) = self.lines.lock().unwrap().iter().find(|l| pred(l)) {
                return line.clone();
            }
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "no log line {what}: {:?}",
                self.lines.lock().unwrap()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

fn serve(port: u16) -> Server {
    let dir = std::env::temp_dir().join(format!("weft-observe-{}-{port}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_weft"))
        .arg("serve")
        .current_dir(&dir)
        .env_remove("WEFT_DATABASE_URL")
        .env_remove("WEFT_DATA_DIR")
        .env("WEFT_LISTEN", format!("127.0.0.1:{port}"))
        .env("WEFT_DOMAIN", format!("localhost:{port}"))
        .env("WEFT_LOG_FORMAT", "json")
        .env("WEFT_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let lines = Arc::new(Mutex::new(Vec::new()));
    let (out, l) = (child.stdout.take().unwrap(), lines.clone());
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            l.lock().unwrap().push(line);
        }
    });
    let server = Server { child, lines, dir };
    server.wait_for("saying it serves", |l| l.contains("Weft serving"));
    server
}

#[test]
fn json_logs_carry_each_request_id() {
    let port = free_port();
    let server = serve(port);
    for line in server.lines.lock().unwrap().iter() {
        serde_json::from_str::<serde_json::Value>(line)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
    }

    // The caller's id is kept and echoed.
    let head = get(port, "/nowhere", Some("cafe-1234.test:x"));
    assert!(head.starts_with("HTTP/1.1 404"), "{head}");
    assert_eq!(
        header(&head, "x-request-id").as_deref(),
        Some("cafe-1234.test:x")
    );
    // None given, or an ill-formed one: a new one.
    let head = get(port, "/health", None);
    let made = header(&head, "x-request-id").expect("an id is made");
    assert_eq!(made.len(), 32, "{made}");
    assert!(made.bytes().all(|b| b.is_ascii_hexdigit()), "{made}");
    let head = get(port, "/health", Some("two words"));
    let other = header(&head, "x-request-id").unwrap();
    assert!(other != "two words" && other != made, "{other}");

    let line = server.wait_for("for the request", |l| l.contains("cafe-1234.test:x"));
    let json: serde_json::Value = serde_json::from_str(&line).unwrap();
    assert_eq!(json["span"]["request_id"], "cafe-1234.test:x", "{line}");
    assert_eq!(json["span"]["method"], "GET", "{line}");
    assert_eq!(json["target"], "weft::request", "{line}");
    assert_eq!(json["fields"]["status"], 404, "{line}");
    assert_eq!(json["fields"]["route"], "unmatched", "{line}");
    assert!(
        json["fields"]["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("GET /nowhere answered 404")),
        "{line}"
    );

    // `weft health`: 0 while it answers, 1 when it does not.
    let health = |port: u16| {
        Command::new(env!("CARGO_BIN_EXE_weft"))
            .args([
                "health",
                "--url",
                &format!("http://127.0.0.1:{port}/health"),
            ])
            .output()
            .unwrap()
    };
    let o = health(port);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stdout).contains("\"status\":\"ok\""));
    let o = health(free_port());
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("does not answer"));
}
