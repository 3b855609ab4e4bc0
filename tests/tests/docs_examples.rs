//! `docs/federation/` states every object and activity Weft sends and accepts. This test
//! runs a small federation (two instances, see `weft_tests::scenario`), collects what
//! Weft really sent and served, and checks the documentation against it:
//! - every shape of every activity Weft sent is documented, and every documented "sends"
//!   example is one of the shapes sent;
//! - every documented "serves" example has the shape of the real document;
//! - every "accepts" example's object is read by the typed reader the inbox uses.
//!
//! A *shape* keeps the values that must agree and abstracts the rest: `type`, `mediaType`,
//! `@context` and booleans exactly; Public in any spelling as `PUBLIC`; Weft's own URLs as
//! `A:`/`B:` (which instance) plus their path with names, numbers and UUIDs abstracted
//! (`A:/c/{name}/followers`, `B:/items/{n}`); other URLs as `URL`; dates as `DATETIME`;
//! other strings as `STRING`; numbers as `NUMBER`. Arrays are compared as sets of shapes
//! (`to: [community, Public]` in either order, an outbox page of any length).

use serde_json::{Map, Value};
use std::collections::BTreeMap;
use weft_tests::scenario::{self, label};
use weft_tests::*;

struct Example {
    direction: String,
    label: String,
    json: Value,
}

fn examples() -> Vec<Example> {
    // Every page of docs/federation/, in name order.
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/federation");
    let mut pages: Vec<_> = std::fs::read_dir(dir)
        .expect("docs/federation/")
        .map(|e| e.expect("a page").path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    pages.sort();
    let text: String = pages
        .iter()
        .map(|p| std::fs::read_to_string(p).expect("a page") + "\n")
        .collect();
    let mut out = vec![];
    let mut pending: Option<(String, String)> = None;
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        let line = line.trim();
        if let Some(rest) = line
            .strip_prefix("<!-- ")
            .and_then(|l| l.strip_suffix(" -->"))
        {
            if let Some((direction, label)) = rest.split_once(": ") {
                pending = Some((direction.to_string(), label.to_string()));
            }
        } else if line == "```json" {
            let mut block = String::new();
            for l in lines.by_ref() {
                if l.trim() == "```" {
                    break;
                }
                block.push_str(l);
                block.push('\n');
            }
            if let Some((direction, label)) = pending.take() {
                let json =
                    serde_json::from_str(&block).unwrap_or_else(|e| panic!("example {label}: {e}"));
                out.push(Example {
                    direction,
                    label,
                    json,
                });
            }
        }
    }
    out
}

/// Which Weft instance a host is: the run's instances, or the docs' `a.example`/`b.example`.
struct Hosts(Vec<(String, &'static str)>);

impl Hosts {
    fn of_docs() -> Hosts {
        Hosts(vec![("a.example".into(), "A"), ("b.example".into(), "B")])
    }

    fn of_run(run: &scenario::Recorded) -> Hosts {
        Hosts(vec![
            (run.a.domain.clone(), "A"),
            (run.b.domain.clone(), "B"),
        ])
    }

    fn name(&self, url: &url::Url) -> Option<&'static str> {
        let host = match url.port() {
            Some(port) => format!("{}:{port}", url.host_str()?),
            None => url.host_str()?.to_string(),
        };
        self.0.iter().find(|(h, _)| *h == host).map(|(_, n)| *n)
    }
}

/// Keys whose string values must be equal, not only both strings.
const EXACT: [&str; 4] = ["type", "mediaType", "formerType", "@context"];

fn shape(v: &Value, hosts: &Hosts) -> Value {
    shape_of(None, v, hosts)
}

fn shape_of(key: Option<&str>, v: &Value, hosts: &Hosts) -> Value {
    if key.is_some_and(|k| EXACT.contains(&k)) {
        return v.clone();
    }
    match v {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), shape_of(Some(k), v, hosts)))
                .collect::<Map<_, _>>(),
        ),
        Value::Array(items) => {
            let mut shapes: Vec<Value> = items.iter().map(|i| shape_of(key, i, hosts)).collect();
            shapes.sort_by_key(|s| s.to_string());
            shapes.dedup();
            Value::Array(shapes)
        }
        Value::String(s) => Value::String(string_shape(s, hosts)),
        Value::Number(_) => Value::String("NUMBER".into()),
        Value::Bool(_) | Value::Null => v.clone(),
    }
}

fn string_shape(s: &str, hosts: &Hosts) -> String {
    if weft_protocol::is_public_iri(s) {
        return "PUBLIC".into();
    }
    if chrono::DateTime::parse_from_rfc3339(s).is_ok() {
        return "DATETIME".into();
    }
    let Ok(url) = url::Url::parse(s) else {
        return "STRING".into();
    };
    if !matches!(url.scheme(), "http" | "https") {
        return "STRING".into();
    }
    let Some(instance) = hosts.name(&url) else {
        return "URL".into();
    };
    let mut path = String::new();
    let mut after_prefix = false;
    for segment in url.path_segments().into_iter().flatten() {
        path.push('/');
        path.push_str(&if after_prefix {
            "{name}".to_string()
        } else if !segment.is_empty() && segment.bytes().all(|b| b.is_ascii_digit()) {
            "{n}".to_string()
        } else if segment.len() >= 16 && segment.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-')
        {
            "{uuid}".to_string()
        } else {
            segment.to_string()
        });
        after_prefix = matches!(segment, "c" | "u") && !after_prefix;
    }
    if let Some(query) = url.query() {
        path.push('?');
        path.push_str(&query.replace(|c: char| c.is_ascii_digit(), "{n}"));
    }
    if let Some(fragment) = url.fragment() {
        path.push('#');
        path.push_str(fragment);
    }
    format!("{instance}:{path}")
}

/// Where two shapes first differ, for a readable failure.
fn difference(doc: &Value, real: &Value, at: &str) -> Option<String> {
    match (doc, real) {
        (Value::Object(d), Value::Object(r)) => {
            for k in d.keys().chain(r.keys()) {
                match (d.get(k), r.get(k)) {
                    (Some(_), None) => return Some(format!("{at}/{k}: documented, not sent")),
                    (None, Some(v)) => {
                        return Some(format!("{at}/{k}: sent ({v}), not documented"));
                    }
                    (Some(dv), Some(rv)) => {
                        if let Some(diff) = difference(dv, rv, &format!("{at}/{k}")) {
                            return Some(diff);
                        }
                    }
                    (None, None) => {}
                }
            }
            None
        }
        _ if doc == real => None,
        _ => Some(format!("{at}: documented {doc}, real {real}")),
    }
}

/// The closest real shape's difference from a documented one.
fn nearest_difference(doc: &Value, reals: &[Value]) -> String {
    reals
        .iter()
        .filter_map(|r| difference(doc, r, ""))
        .min_by_key(String::len)
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn federation_doc_matches_what_weft_sends_and_serves_sqlite() {
    check_docs(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn federation_doc_matches_what_weft_sends_and_serves_postgres() {
    if let Some(backend) = Backend::postgres() {
        check_docs(backend).await;
    }
}

async fn check_docs(backend: Backend) {
    let run = scenario::record(&backend).await;
    let hosts = Hosts::of_run(&run);
    // Every shape each label took (an `Update(Question)` has `closed` once the event is
    // cancelled, not before).
    let mut sent: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    let mut first_of: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for body in &run.sent {
        let this = shape(body, &hosts);
        let shapes = sent.entry(label(body)).or_default();
        if !shapes.contains(&this) {
            shapes.push(this);
            first_of.entry(label(body)).or_default().push(body.clone());
        }
    }
    if let Ok(dir) = std::env::var("WEFT_DUMP_WIRE") {
        dump(&dir, &run, &first_of);
    }

    let docs = examples();
    let doc_hosts = Hosts::of_docs();
    let mut problems = vec![];
    for (label, shapes) in &sent {
        for real in shapes {
            let documented: Vec<Value> = docs
                .iter()
                .filter(|e| e.direction == "sends" && &e.label == label)
                .map(|e| shape(&e.json, &doc_hosts))
                .collect();
            if documented.is_empty() {
                problems.push(format!("Weft sends {label}, which is not documented"));
            } else if !documented.contains(real) {
                let nearest = nearest_difference(real, &documented);
                problems.push(format!(
                    "a shape of {label} Weft sends is not documented ({nearest})"
                ));
            }
        }
    }
    for example in &docs {
        let documented = shape(&example.json, &doc_hosts);
        match example.direction.as_str() {
            "sends" => {
                if label(&example.json) != example.label {
                    problems.push(format!(
                        "the example labelled {} is a {}",
                        example.label,
                        label(&example.json)
                    ));
                }
                match sent.get(&example.label) {
                    None => problems.push(format!(
                        "docs say Weft sends {}, but it did not in this run",
                        example.label
                    )),
                    Some(real) if !real.contains(&documented) => problems.push(format!(
                        "the documented {} is not what Weft sends ({})",
                        example.label,
                        nearest_difference(&documented, real)
                    )),
                    Some(_) => {}
                }
            }
            "serves" => match run.served.get(&example.label) {
                None => problems.push(format!("no served {} to compare", example.label)),
                Some(real) => {
                    let (mut documented, mut real) = (documented, shape(real, &hosts));
                    // A page of a collection is documented by some of its items: each
                    // must be one of the real items' shapes.
                    let doc_items = documented
                        .as_object_mut()
                        .and_then(|m| m.remove("orderedItems"));
                    let real_items = real.as_object_mut().and_then(|m| m.remove("orderedItems"));
                    if let (Some(Value::Array(doc)), Some(Value::Array(items))) =
                        (&doc_items, &real_items)
                    {
                        for item in doc.iter().filter(|i| !items.contains(i)) {
                            problems.push(format!(
                                "served {}: an item is not like any served ({})",
                                example.label,
                                nearest_difference(item, items)
                            ));
                        }
                    } else if doc_items.is_some() != real_items.is_some() {
                        problems.push(format!("served {}: orderedItems differ", example.label));
                    }
                    if let Some(diff) = difference(&documented, &real, "") {
                        problems.push(format!("served {}: {diff}", example.label));
                    }
                }
            },
            "accepts" => {
                if let Err(e) = weft_protocol::incoming::read(&example.json) {
                    problems.push(format!(
                        "accepted example {} is not read: {e}",
                        example.label
                    ));
                }
            }
            other => problems.push(format!("unknown example direction {other}")),
        }
    }
    assert!(
        problems.is_empty(),
        "docs/federation/ disagrees with the wire:\n{}",
        problems.join("\n")
    );
}

/// Writes what was sent (one body per shape) and served, with the run's hosts written as
/// the docs' `https://a.example` and `https://b.example`, for updating the docs.
fn dump(dir: &str, run: &scenario::Recorded, first_of: &BTreeMap<String, Vec<Value>>) {
    let rewrite = |v: &Value| {
        serde_json::to_string_pretty(v)
            .unwrap()
            .replace(&run.a.base, "https://a.example")
            .replace(&run.b.base, "https://b.example")
    };
    let mut out = BTreeMap::new();
    for (label, bodies) in first_of {
        let texts: Vec<Value> = bodies
            .iter()
            .map(|b| serde_json::from_str(&rewrite(b)).unwrap())
            .collect();
        out.insert(format!("sends: {label}"), Value::Array(texts));
    }
    for (name, json) in &run.served {
        let text: Value = serde_json::from_str(&rewrite(json)).unwrap();
        out.insert(format!("serves: {name}"), Value::Array(vec![text]));
    }
    std::fs::write(
        format!("{dir}/wire.json"),
        serde_json::to_string_pretty(&out).unwrap(),
    )
    .unwrap();
}
