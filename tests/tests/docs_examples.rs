//! `docs/federation.md` states every object and activity Weft sends and accepts. This test
//! runs a small federation (two instances), collects what Weft really sent and served,
//! and checks the documentation against it:
//! - every kind of activity Weft sent is documented, with the same fields;
//! - every documented "serves" example has the fields of the real document;
//! - every "accepts" example is read by Weft's own parser.

use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;
use weft_tests::*;

const WAIT: Duration = Duration::from_secs(20);

struct Example {
    direction: String,
    label: String,
    json: Value,
}

fn examples() -> Vec<Example> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/federation.md");
    let text = std::fs::read_to_string(path).expect("docs/federation.md");
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

/// `Announce(Create(Page))`: the types, outside in.
fn label(v: &Value) -> String {
    let kind = v["type"].as_str().unwrap_or("?").to_string();
    match v.get("object") {
        Some(o) if o.is_object() && o.get("type").is_some() => format!("{kind}({})", label(o)),
        Some(Value::String(_)) => format!("{kind}(link)"),
        _ => kind,
    }
}

/// Field names at each level, outside in (`@context` aside).
fn shape(v: &Value) -> Vec<BTreeSet<String>> {
    let mut levels = vec![];
    let mut current = Some(v);
    while let Some(Value::Object(map)) = current {
        levels.push(map.keys().filter(|k| *k != "@context").cloned().collect());
        current = map.get("object");
    }
    levels
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn federation_doc_matches_what_weft_sends_and_serves() {
    let a = Instance::start("a", &Backend::Sqlite);
    let b = Instance::start("b", &Backend::Sqlite);
    let lead = a.user("lead");
    a.community("cop", &lead, false);
    let bob = b.user("bob");
    let cop = a.handle("cop");
    bob.follow(&cop).await;
    eventually("follow accepted", WAIT, || async {
        (bob.follow(&cop).await == "accepted").then_some(())
    })
    .await;
    let thread = lead
        .post(&cop, "Peer supervision", "How do you run yours?")
        .await;
    let on_b = eventually("B gets the thread", WAIT, || async {
        bob.lookup(&thread.ap_id).await
    })
    .await;
    let reply = bob.reply(&on_b.post.ap_id, "Monthly, in threes.").await;
    eventually("A gets the reply", WAIT, || async {
        let t = lead.lookup(&thread.ap_id).await?;
        (!t.replies.is_empty()).then_some(())
    })
    .await;
    bob.edit(reply.id, None, "Monthly, in threes, with a rota.")
        .await;
    bob.delete(reply.id).await;
    lead.edit(
        thread.id,
        Some("Peer supervision (how)"),
        "How do you run it?",
    )
    .await;
    // An event: scheduled, answered from B (Join, TentativeAccept, Leave), cancelled.
    let starts = chrono::Utc::now() + chrono::Duration::days(2);
    let (status, event) = lead
        .schedule(
            &cop,
            serde_json::json!({
                "title": "Supervision skills workshop",
                "description": "Two hours, with practice in threes.",
                "starts_at": starts.to_rfc3339(),
                "ends_at": (starts + chrono::Duration::hours(2)).to_rfc3339(),
                "timezone": "Europe/London",
                "online_url": "https://meet.example.org/workshop",
                "place": { "name": "Room 2", "address": "1 High Street, Leeds" },
                "capacity": 30
            }),
        )
        .await;
    assert_eq!(status, 201, "{event}");
    let event_ap_id = event["ap_id"].as_str().unwrap().to_string();
    let event_on_b = eventually("B gets the event", WAIT, || async {
        bob.events(&cop).await.into_iter().next()
    })
    .await;
    let on_b = event_on_b["id"].as_i64().unwrap();
    bob.rsvp(on_b, "going").await;
    eventually("A accepts the Join", WAIT, || async {
        (bob.event(on_b).await["my_rsvp"]["state"] == "accepted").then_some(())
    })
    .await;
    bob.rsvp(on_b, "maybe").await;
    bob.rsvp(on_b, "declined").await;
    eventually("A counts the Leave", WAIT, || async {
        (lead.event(event["id"].as_i64().unwrap()).await["declined"] == 1).then_some(())
    })
    .await;
    let (status, _) = lead
        .raw(
            reqwest::Method::POST,
            &format!("/api/v1/events/{}/cancel", event["id"]),
            None,
        )
        .await;
    assert_eq!(status, 200);
    // A thread refused by a community where only its leads start threads: a Reject.
    a.community("leads", &lead, true);
    let refused = bob
        .post(&a.handle("leads"), "May I?", "A question for the leads.")
        .await;
    eventually("B to hear the Reject", WAIT, || async {
        let t = bob.lookup(&refused.ap_id).await?;
        (t.post.state == "refused").then_some(())
    })
    .await;
    bob.unfollow(&cop).await;
    for i in [&a, &b] {
        eventually("queues drain", WAIT, || async {
            (i.queued() == 0).then_some(())
        })
        .await;
    }

    // What Weft sent, by label, with every shape it took (an `Update(Question)` has
    // `closed` once the event is cancelled, not before).
    let mut sent: BTreeMap<String, Vec<Vec<BTreeSet<String>>>> = BTreeMap::new();
    for body in outbox_bodies(&a).iter().chain(outbox_bodies(&b).iter()) {
        let shapes = sent.entry(label(body)).or_default();
        let this = shape(body);
        if !shapes.contains(&this) {
            shapes.push(this);
        }
    }
    // What Weft serves.
    let mut served: BTreeMap<String, Value> = BTreeMap::new();
    for (name, url) in [
        ("Group", format!("{}/c/cop", a.base)),
        ("Person", format!("{}/u/lead", a.base)),
        ("Application", format!("{}/actor", a.base)),
        ("Page", thread.ap_id.clone()),
        ("Tombstone", reply.ap_id.clone()),
        ("Event", event_ap_id.clone()),
        ("Question", format!("{event_ap_id}/rsvp")),
        ("OrderedCollection", format!("{}/c/cop/followers", a.base)),
        (
            "OrderedCollectionPage",
            format!("{}/c/cop/outbox?page=true", a.base),
        ),
    ] {
        let (_, json) = get_activity_json(&url).await;
        served.insert(name.to_string(), json);
    }

    if std::env::var("WEFT_DUMP_WIRE").is_ok() {
        for body in outbox_bodies(&a).iter().chain(outbox_bodies(&b).iter()) {
            println!(
                "SENT {}\n{}",
                label(body),
                serde_json::to_string_pretty(body).unwrap()
            );
        }
        for (name, json) in &served {
            println!(
                "SERVED {name}\n{}",
                serde_json::to_string_pretty(json).unwrap()
            );
        }
    }
    let docs = examples();
    let documented_sends: BTreeSet<String> = docs
        .iter()
        .filter(|e| e.direction == "sends")
        .map(|e| e.label.clone())
        .collect();
    for label in sent.keys() {
        assert!(
            documented_sends.contains(label),
            "Weft sends {label}, which docs/federation.md does not document"
        );
    }
    for example in &docs {
        match example.direction.as_str() {
            "sends" => {
                let real = sent.get(&example.label).unwrap_or_else(|| {
                    panic!(
                        "docs say Weft sends {}, but it did not in this run",
                        example.label
                    )
                });
                assert_eq!(
                    label(&example.json),
                    example.label,
                    "the example is labelled {}",
                    example.label
                );
                assert!(
                    real.contains(&shape(&example.json)),
                    "fields of {} in docs vs. on the wire: {:?} is not among {real:?}",
                    example.label,
                    shape(&example.json)
                );
            }
            "serves" => {
                let real = served
                    .get(&example.label)
                    .unwrap_or_else(|| panic!("no served {} to compare", example.label));
                assert_eq!(
                    shape(&example.json),
                    shape(real),
                    "fields of served {} in docs vs. on the wire",
                    example.label
                );
            }
            "accepts" => {
                let parsed = match example.json["type"].as_str() {
                    Some("Person" | "Group" | "Service" | "Application") => {
                        serde_json::from_value::<weft_protocol::ActorJson>(example.json.clone())
                            .map(|_| ())
                    }
                    _ => serde_json::from_value::<weft_protocol::Envelope>(example.json.clone())
                        .map(|_| ()),
                };
                parsed.unwrap_or_else(|e| {
                    panic!("accepted example {} does not parse: {e}", example.label)
                });
            }
            other => panic!("unknown example direction {other}"),
        }
    }
}
