//! The web interface in real headless Chromium (Debian's `chromium`, driven from Node by
//! `tests/browser/run.mjs` with playwright-core, every page checked by axe-core): sign up,
//! log in, propose and activate a community, post and reply, an XSS attempt in a post of
//! one's own and in a remote person's, an event and an RSVP, a second session asking to
//! join an approval community and the lead approving, a form without its token refused,
//! and following from one's own server (B's subscribe template). Two real instances, on
//! SQLite and on PostgreSQL. `WEFT_SCREENSHOTS=1` also writes `docs/screenshots/`.

use chrono::Utc;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use weft_core::registration::RegistrationPolicy;
use weft_tests::*;

const WAIT: Duration = Duration::from_secs(30);

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// Chromium and the npm packages are there; without them the test says so and passes,
/// except under CI, where their absence fails it.
fn browser_available() -> bool {
    let chromium =
        Path::new(&std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into()))
            .exists();
    let packages = root()
        .join("tests/browser/node_modules/playwright-core")
        .exists()
        && root().join("tests/browser/node_modules/axe-core").exists();
    if chromium && packages {
        return true;
    }
    assert!(
        std::env::var("CI").is_err(),
        "CI needs chromium (apt-get install chromium) and tests/browser's packages (npm ci)"
    );
    eprintln!(
        "skipping the browser test: chromium installed: {chromium}, tests/browser packages installed: {packages} (apt-get install chromium; cd tests/browser && npm ci)"
    );
    false
}

/// A signed `Create(Page)` from a person on B into a community on A, with hostile HTML.
fn hostile_post(author: &str, id: &str, community: &str) -> String {
    serde_json::json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "type": "Create",
        "id": format!("{id}/activity"),
        "actor": author,
        "to": ["https://www.w3.org/ns/activitystreams#Public", community],
        "object": {
            "type": "Page",
            "id": id,
            "attributedTo": author,
            "name": "Handover checklists<script>window.__xss='name'</script>",
            "content": "<p>Our checklist <script>window.__xss='script'</script>\
                <img src=\"x\" onerror=\"window.__xss='img'\">\
                <a href=\"javascript:window.__xss='link'\">open it</a>\
                <a href=\"https://example.org/checklist\" onclick=\"window.__xss='click'\">the PDF</a>\
                <iframe src=\"javascript:window.__xss='frame'\"></iframe>\
                <svg onload=\"window.__xss='svg'\"></svg></p>",
            "to": ["https://www.w3.org/ns/activitystreams#Public", community],
            "audience": community
        }
    })
    .to_string()
}

async fn run(backend: Backend, screenshots: bool) {
    if !browser_available() {
        return;
    }
    let a = Instance::start("a", &backend);
    let b = Instance::start("b", &backend);
    a.db.write_blocking(|c| weft_core::registration::store_policy(c, RegistrationPolicy::Open))
        .unwrap();
    // A community with some life in it, for the directory.
    let maria = a.user("maria");
    let cop = a.community("cop", &maria, false);
    let thread = maria
        .post(
            &a.handle("cop"),
            "Grounding before handover",
            "A minute of grounding before handover has cut our incident reports. Has anyone measured it?",
        )
        .await;
    maria
        .reply(
            &thread.ap_id,
            "We tried it on two wards; the notes are in the library.",
        )
        .await;
    // B: bea (who follows from her own server) and a community A's maria follows.
    let bea = b.user("bea");
    b.community("fieldnotes", &bea, false);
    maria.follow_accepted(&b.handle("fieldnotes")).await;
    let field_post = bea
        .post(
            &b.handle("fieldnotes"),
            "Notes from the ward round",
            "What we learnt about *handover* this month.",
        )
        .await;
    eventually("A to hold B's thread", WAIT, || async {
        maria.lookup(&field_post.ap_id).await
    })
    .await;
    let fieldnotes_ap_id = format!("{}/c/fieldnotes", b.base);
    let fieldnotes =
        a.db.read_blocking(move |c| weft_db::actors::by_ap_id(c, &fieldnotes_ap_id))
            .unwrap()
            .expect("A knows B's community");
    // A remote person's hostile post into A's community, delivered as B would.
    let rob = b.user("rob");
    let inbox = format!("{}/inbox", a.base);
    let note_id = format!("{}/items/hostile-1", b.base);
    let body = hostile_post(&rob.actor.ap_id, &note_id, &cop.ap_id);
    let key = signer_of(&b, &rob.actor);
    let (status, answer) = deliver(&inbox, &body, signed(&key, &inbox, &body, Utc::now())).await;
    assert_eq!(status, 202, "{answer}");
    let hostile = eventually("A to store the hostile post", WAIT, || async {
        maria.lookup(&note_id).await
    })
    .await;

    let started = Instant::now();
    let dir = root();
    let mut command = std::process::Command::new("node");
    command
        .arg("tests/browser/run.mjs")
        .current_dir(&dir)
        .env("WEFT_A", &a.base)
        .env("WEFT_B", &b.base)
        .env("WEFT_XSS_THREAD", format!("/c/cop/t/{}", hostile.post.id))
        .env("WEFT_REMOTE", format!("/remote/{}", fieldnotes.id));
    if screenshots {
        let shots = dir.join("docs/screenshots");
        std::fs::create_dir_all(&shots).unwrap();
        command.env("WEFT_SCREENSHOTS_DIR", shots);
    }
    let output = tokio::task::spawn_blocking(move || command.output())
        .await
        .unwrap()
        .expect("node runs (apt-get install nodejs)");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "the browser run failed ({}):\n{stdout}\n{stderr}",
        output.status
    );
    eprintln!(
        "{stdout}browser run: {:.1}s",
        started.elapsed().as_secs_f64()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn web_interface_in_chromium_on_sqlite() {
    let screenshots = std::env::var("WEFT_SCREENSHOTS").is_ok_and(|v| v == "1");
    run(Backend::Sqlite, screenshots).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn web_interface_in_chromium_on_postgres() {
    if let Some(backend) = Backend::postgres() {
        run(backend, false).await;
    }
}
