//! Lemmy's `Add`/`Remove` of a moderator round-trip through [`RoleChange`].

use serde_json::Value;
use std::path::PathBuf;
use weft_protocol::RoleChange;

fn fixture(path: &str) -> Value {
    let file = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(path);
    serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap()
}

#[test]
fn lemmy_add_and_remove_mod() {
    for (path, kind) in [
        ("lemmy/add_mod.json", "Add"),
        ("lemmy/remove_mod.json", "Remove"),
    ] {
        let change: RoleChange = serde_json::from_value(fixture(path)).unwrap();
        let again: RoleChange =
            serde_json::from_value(serde_json::to_value(&change).unwrap()).unwrap();
        assert_eq!(change, again, "{path} changed in a round trip");
        assert_eq!(change.activity.kind, kind);
        assert_eq!(
            change.target.as_str(),
            "http://enterprise.lemmy.ml/c/main/moderators"
        );
        assert_eq!(
            change.activity.object.as_str(),
            "http://ds9.lemmy.ml/u/lemmy_alpha"
        );
        assert_eq!(change.role, None, "Lemmy sends no role");
    }
}
