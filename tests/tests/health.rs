//! `/health` answers while the process runs; `/ready` answers 200 only while the database
//! answers and holds every migration this build knows, and says why not (503).

use diesel::connection::SimpleConnection;
use weft_tests::*;

async fn get(url: &str) -> (u16, serde_json::Value) {
    let response = reqwest::get(url).await.expect("reachable");
    (
        response.status().as_u16(),
        response.json().await.unwrap_or_default(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_and_readiness_sqlite() {
    health_and_readiness(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_and_readiness_postgres() {
    if let Some(backend) = Backend::postgres() {
        health_and_readiness(backend).await;
    }
}

async fn health_and_readiness(backend: Backend) {
    let a = Instance::start("a", &backend);
    let (status, body) = get(&format!("{}/health", a.base)).await;
    assert_eq!(
        (status, body["status"].as_str()),
        (200, Some("ok")),
        "{body}"
    );
    let (status, body) = get(&format!("{}/ready", a.base)).await;
    assert_eq!(
        (status, body["status"].as_str()),
        (200, Some("ready")),
        "{body}"
    );

    // A database that lacks the newest migration (as if a newer build met an old
    // database) is not ready, and says what to do; the answer is never cached.
    a.db.write_blocking(|c| -> Result<(), weft_db::DbError> {
        c.batch_execute(
            "DELETE FROM __diesel_schema_migrations WHERE version = \
             (SELECT MAX(version) FROM __diesel_schema_migrations)",
        )
        .map_err(weft_db::DbError::from)?;
        Ok(())
    })
    .unwrap();
    let (status, body) = get(&format!("{}/ready", a.base)).await;
    assert_eq!(status, 503, "{body}");
    assert!(
        body["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("weft migrate"),
        "{body}"
    );
    let (status, _) = get(&format!("{}/health", a.base)).await;
    assert_eq!(status, 200, "the process still answers");
}
