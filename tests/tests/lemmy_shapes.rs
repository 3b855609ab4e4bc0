//! Every activity Weft sends to a group server satisfies what Lemmy 0.19's protocol types
//! require (`weft_tests::lemmy`): a real two-instance run is recorded and each activity
//! checked. The rules themselves are checked against Lemmy's own JSON fixtures, and
//! shown to catch the shape Lemmy refused (a `Create` without `cc`).

use serde_json::Value;
use std::collections::BTreeSet;
use weft_tests::scenario::{self, label};
use weft_tests::*;

/// What Weft sends that Lemmy has no type for, and why that is right.
fn not_for_lemmy(label: &str) -> Option<&'static str> {
    match label {
        // Event RSVPs and their answers go to an event's community (Weft, Mobilizon).
        "Join(link)" | "TentativeAccept(link)" | "Leave(link)" | "Accept(Join(link))" => {
            Some("RSVPs are for event-aware servers")
        }
        // The RSVP poll is for Mastodon; a group server reads the event itself.
        l if l.contains("Question") => Some("the RSVP poll is for microblog servers"),
        // `Announce` of a bare object is the form for microblog servers (Mastodon shows
        // it; group servers read the `Announce` of the activity).
        "Announce(Page)" | "Announce(Note)" | "Announce(Event)" => {
            Some("the bare-object Announce is for microblog servers")
        }
        // A refusal goes to the author's own server; Lemmy has no type for it and answers
        // 400, which costs nothing (its user's post was not taken either way).
        "Reject(Create(link))" => Some("a refusal is read by Weft; Lemmy ignores it"),
        // Lemmy 0.19 has no `Reject` of a follow either: its user's follow of an invite
        // community stays pending there (docs/federation/gaps.md).
        "Reject(Follow(link))" => Some("a refused Follow is read by Weft; Lemmy 0.19 ignores it"),
        // A community's own `Update(Group)` is for Weft (its profile) and microblog servers
        // (which refresh the actor); Lemmy takes a Group update only from a moderator and
        // refreshes its copy of a remote Group by fetching it.
        "Update(Group)" => Some("Lemmy refreshes a Group by fetching it"),
        // Lemmy has no resource library (no `Document` type); it answers 400 to a
        // resource's activities, which costs nothing.
        l if l.contains("Document") => Some("Lemmy has no resource library"),
        // Unweaving: a community's `Undo` of its `Announce` of a woven item is for Weft
        // (the item's community forgets the weave) and microblog servers (an un-boost).
        "Undo(Announce(link))" => Some("an unweave is read by Weft and microblog servers"),
        _ => None,
    }
}

/// The kinds a run must have checked, so the test cannot pass by checking nothing.
const MUST_CHECK: [&str; 14] = [
    "Follow(link)",
    "Accept(Follow(link))",
    "Undo(Follow(link))",
    "Create(Page)",
    "Update(Page)",
    "Create(Note)",
    "Update(Note)",
    "Delete(link)",
    "Announce(Create(Page))",
    "Announce(Update(Page))",
    "Announce(Create(Note))",
    "Announce(Delete(link))",
    "Announce(Add(link))",
    "Announce(Remove(link))",
];

#[test]
fn the_rules_accept_what_lemmy_itself_sends() {
    let dir = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../crates/weft-protocol/tests/fixtures/lemmy"
    );
    for name in [
        "create_page.json",
        "update_page.json",
        "create_note.json",
        "delete_page.json",
        "announce_create_page.json",
        "announce_create_page_0_19.json",
        "remove_note.json",
        "follow.json",
        "accept_follow.json",
        "undo_follow.json",
        "add_mod.json",
        "remove_mod.json",
    ] {
        let text = std::fs::read_to_string(format!("{dir}/{name}")).unwrap();
        let json: Value = serde_json::from_str(&text).unwrap();
        lemmy::check(&json).unwrap_or_else(|e| panic!("Lemmy's own {name}: {e}"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_weft_sends_to_group_servers_satisfies_lemmy_sqlite() {
    check_run(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_weft_sends_to_group_servers_satisfies_lemmy_postgres() {
    if let Some(backend) = Backend::postgres() {
        check_run(backend).await;
    }
}

async fn check_run(backend: Backend) {
    let run = scenario::record(&backend).await;
    let mut checked = BTreeSet::new();
    let mut problems = vec![];
    for activity in &run.sent {
        let label = label(activity);
        if not_for_lemmy(&label).is_some() {
            continue;
        }
        match lemmy::check(activity) {
            Ok(()) => {
                checked.insert(label);
            }
            Err(e) => problems.push(format!("{label} {}: {e}", activity["id"])),
        }
    }
    assert!(
        problems.is_empty(),
        "Lemmy would refuse:\n{}",
        problems.join("\n")
    );
    for kind in MUST_CHECK {
        assert!(
            checked.contains(kind),
            "the run sent no {kind}: {checked:?}"
        );
    }

    // The shape Lemmy 0.19 refused with 400 (the inner `Create` without `cc`) fails here.
    let mut old = run
        .sent
        .iter()
        .find(|a| label(a) == "Announce(Create(Page))")
        .cloned()
        .unwrap();
    old["object"].as_object_mut().unwrap().remove("cc");
    let refused = lemmy::check(&old).unwrap_err();
    assert!(refused.contains("`cc`"), "{refused}");
}
