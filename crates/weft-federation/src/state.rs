//! What every handler needs, and the federation library's configuration.

use crate::actor::DbActor;
use activitypub_federation::config::{Data, FederationConfig};
use std::sync::Arc;
use weft_core::Urls;
use weft_db::Db;
use weft_delivery::DeliveryHandle;

#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub urls: Urls,
    pub delivery: DeliveryHandle,
    pub keys: Arc<crate::inbox::verify::KeyCache>,
    /// Where inbox `Create`s queue to be written in batches.
    pub creates: Arc<crate::inbox::batch::CreateBatcher>,
    /// Development mode: plain http and localhost peers allowed.
    pub dev: bool,
    /// The outgoing HTTP client (the library's, with its safety settings), for the
    /// requests Weft makes itself (WebFinger, where the status matters).
    pub http: reqwest::Client,
    /// Where uploaded files are stored, and the largest taken.
    pub files: weft_core::files::Files,
    /// Where `/metrics` counts (inbox outcomes).
    pub meter: weft_core::Meter,
    /// The blocked instances, as the inbox asks for them.
    pub blocks: Arc<crate::blocks::Blocks>,
}

pub type Ctx = Data<AppState>;

/// Builds the library's configuration: our domain, our HTTP client, fetches signed by the
/// instance actor in the compatible form (with `Date` and `Host`, which bovine and Fedify
/// require), and debug mode (http, localhost) only in development.
pub async fn federation_config(
    state: AppState,
    client: reqwest::Client,
    instance_actor: weft_db::models::ActorRow,
) -> Result<FederationConfig<AppState>, String> {
    let dev = state.dev;
    let domain = state.urls.domain().to_string();
    FederationConfig::builder()
        .domain(domain)
        .app_data(state)
        .debug(dev)
        .client(client.into())
        .http_signature_compat(true)
        .signed_fetch_actor(&DbActor::new(instance_actor))
        .build()
        .await
        .map_err(|e| format!("federation configuration: {e}"))
}
