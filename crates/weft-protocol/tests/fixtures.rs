//! Round-trip tests against real peers' JSON (see `crattests/fixtures`).

use serde_json::Value;
use std::path::PathBuf;
use weft_protocol::*;

fn fixture(path: &str) -> Value {
    let file = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(path);
    let text = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    serde_json::from_str(&text).unwrap()
}

/// Parse, serialise, parse again: nothing Weft reads may change on the way.
fn round_trip<T>(path: &str) -> T
where
    T: serde::de::DeserializeOwned + serde::Serialize + PartialEq + std::fmt::Debug,
{
    let first: T = serde_json::from_value(fixture(path)).unwrap_or_else(|e| panic!("{path}: {e}"));
    let again: T = serde_json::from_value(serde_json::to_value(&first).unwrap()).unwrap();
    assert_eq!(first, again, "{path} changed in a round trip");
    first
}

#[test]
fn mastodon_person() {
    let actor: ActorJson = round_trip("mastodon/person.json");
    assert_eq!(actor.kind, "Person");
    assert!(actor.public_key.public_key_pem.contains("BEGIN PUBLIC KEY"));
    assert!(
        actor.shared_inbox().is_some(),
        "Mastodon actors have a shared inbox"
    );
    assert_eq!(actor.public_key.owner, actor.id);
}

#[test]
fn lemmy_group_and_person() {
    let group: ActorJson = round_trip("lemmy/group.json");
    assert_eq!(group.kind, "Group");
    assert!(group.attributed_to.is_some(), "moderators collection");
    assert!(group.posting_restricted_to_mods.is_some());
    let person: ActorJson = round_trip("lemmy/person.json");
    assert_eq!(person.kind, "Person");
}

#[test]
fn follows_from_mastodon_and_lemmy() {
    for path in ["mastodon/follow.json", "lemmy/follow.json"] {
        let follow: Follow = round_trip(path);
        assert_eq!(follow.kind, "Follow", "{path}");
        assert_ne!(follow.actor, follow.object, "{path}");
    }
    let undo: UndoFollow = round_trip("mastodon/undo_follow.json");
    assert_eq!(undo.object.kind, "Follow");
    let accept: AcceptFollow = round_trip("lemmy/accept_follow.json");
    assert_eq!(accept.object.kind, "Follow");
    assert_eq!(
        accept.object.object, accept.actor,
        "the followed actor accepts"
    );
}

#[test]
fn create_note_from_mastodon_and_lemmy() {
    let create: CreateOrUpdate = round_trip("mastodon/create_note.json");
    assert_eq!(create.object.kind, "Note");
    assert_eq!(create.object.attributed_to.as_ref(), Some(&create.actor));
    assert!(create.object.in_reply_to.is_some());
    assert!(addresses_public(
        create
            .object
            .addressing
            .to
            .iter()
            .chain(&create.object.addressing.cc)
    ));

    let create: CreateOrUpdate = round_trip("lemmy/create_note.json");
    assert_eq!(create.object.kind, "Note");
    // Older Lemmy names the community in the activity's cc, newer in `audience`.
    assert!(
        create.object.addressing.audience.is_some()
            || create.addressing.cc.iter().any(|c| c.contains("/c/")),
        "Lemmy names the community"
    );

    let create: CreateOrUpdate = round_trip("lemmy/create_page.json");
    assert_eq!(create.object.kind, "Page");
    assert!(create.object.name.is_some(), "a thread has a title");
}

#[test]
fn lemmy_update_delete_and_announce() {
    let update: CreateOrUpdate = round_trip("lemmy/update_page.json");
    assert_eq!(update.kind, "Update");
    let delete: Envelope = round_trip("lemmy/delete_page.json");
    assert_eq!(delete.kind, "Delete");
    assert!(delete.object_id().is_some());
    let delete: Envelope = round_trip("mastodon/delete_note.json");
    assert_eq!(delete.object_kind(), Some("Tombstone"));
    let announce: Announce = round_trip("lemmy/announce_create_page.json");
    assert_eq!(announce.object_kind(), Some("Create"));
    let inner: CreateOrUpdate = serde_json::from_value(announce.object.clone()).unwrap();
    assert_eq!(inner.object.kind, "Page");
}

#[test]
fn every_fixture_reads_as_an_envelope_or_actor() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut seen = 0;
    for peer in std::fs::read_dir(&dir).unwrap() {
        let peer = peer.unwrap().path();
        if !peer.is_dir() {
            continue;
        }
        for file in std::fs::read_dir(&peer).unwrap() {
            let file = file.unwrap().path();
            if file.extension().and_then(|e| e.to_str()) != Some("json") {
                continue;
            }
            let value: Value =
                serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
            let kind = value
                .get("type")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            let ok = match kind.as_str() {
                "Person" | "Group" | "Service" | "Application" | "Organization" => {
                    serde_json::from_value::<ActorJson>(value).is_ok()
                }
                "Note" | "Page" | "Article" => serde_json::from_value::<PostObject>(value).is_ok(),
                "Document" => serde_json::from_value::<ResourceObject>(value).is_ok(),
                "ResourceCollection" => serde_json::from_value::<FolderObject>(value).is_ok(),
                "" => true, // context documents
                // Activities: read as the inbox reads them, object included.
                _ => weft_protocol::incoming::read(&value).is_ok(),
            };
            assert!(ok, "{} ({kind}) did not parse", file.display());
            seen += 1;
        }
    }
    assert!(seen >= 15, "only {seen} fixtures found");
}

#[test]
fn mobilizon_events() {
    let create: Activity<EventObject> = round_trip("mobilizon/create_event.json");
    let event = create.object;
    assert_eq!(event.name, "My first event");
    assert_eq!(event.start_time.to_rfc3339(), "2018-02-12T14:08:20+00:00");
    let place = event.place().expect("a Place");
    assert_eq!(place.name.as_deref(), Some("Locaux de Framasoft"));
    assert_eq!(
        place.address_text().as_deref(),
        Some("10 Rue Jangot, 69007, Lyon, Auvergne Rhône Alpes, France"),
        "a PostalAddress reads as one line"
    );
    assert!(event.online_url().is_none() && !event.is_cancelled());
    // A group's event: organised by the group, no location at all.
    let by_group: Activity<EventObject> = round_trip("mobilizon/create_event_group.json");
    assert_eq!(
        by_group.object.attributed_to.as_ref().map(|u| u.as_str()),
        Some("http://mobilizon1.com/@group")
    );
    assert!(by_group.object.location.is_empty());
}

/// Mobilizon's resource library: a folder (`ResourceCollection`) as a Mobilizon instance
/// served it, and a `Document` (a link resource) as its tests send it. Weft reads the
/// folder's place (`context`) and the document's group (`attributedTo`, an array there),
/// creator (`actor`), link (`url`, which Mobilizon uses for the link) and description
/// (`summary`).
#[test]
fn mobilizon_resources() {
    let folder: FolderObject = round_trip("mobilizon/resource_collection.json");
    assert_eq!(folder.kind, "ResourceCollection");
    assert_eq!(folder.name, "folder2");
    assert_eq!(
        folder.context.as_ref().map(|u| u.as_str()),
        Some("http://mobilizon1.com/@demo/resources")
    );
    assert_eq!(
        folder.attributed_to.as_ref().map(|u| u.as_str()),
        Some("http://mobilizon1.com/@demo")
    );
    let doc: ResourceObject = round_trip("mobilizon/document.json");
    assert_eq!(doc.kind, "Document");
    assert_eq!(doc.name, "My new resource");
    assert_eq!(
        doc.attributed_to.as_ref().map(|u| u.as_str()),
        Some("https://somewhere.com/@myremotegroup")
    );
    assert_eq!(
        doc.actor.as_ref().map(|u| u.as_str()),
        Some("https://mobilizon.app/@myremoteactor")
    );
    assert_eq!(
        doc.link().map(|u| u.as_str()),
        Some("https://framasoft.org/"),
        "without weft:kind, url is the link"
    );
    assert_eq!(
        doc.summary.as_deref(),
        Some("A description for the resource")
    );
    assert!(doc.weft.version.is_none() && doc.weft.kind.is_none());
}
