//! What weaving serves: the weaver's `Note` of a weave made here, at its id
//! (`/weaves/{id}/note`), while the weave lasts.

use crate::{Ctx, FedError};
use axum::extract::Path;
use axum::response::Response;
use weft_core::constellation::weaving::{note_into_json, note_url};

/// `GET /weaves/{id}/note`: the weaver's note, as it was sent; 404 once unwoven.
pub async fn note(ctx: Ctx, Path(id): Path<i64>) -> Result<Response, FedError> {
    let urls = ctx.urls.clone();
    let note = ctx
        .db
        .read(move |c| -> Result<_, FedError> {
            let Some(woven) = weft_db::weaves::woven_by_id(c, id)? else {
                return Ok(None);
            };
            let (Some(weaver), Some(note)) = (woven.weaver.as_ref(), woven.placement.note.as_ref())
            else {
                return Ok(None);
            };
            let community = weft_db::actors::by_id(c, woven.placement.community_id)?;
            Ok(Some(note_into_json(
                weaver,
                &community,
                &woven.item,
                &note_url(&urls, id),
                note,
                woven.placement.placed_at,
            )))
        })
        .await?
        .ok_or_else(|| FedError::not_found("no such weave"))?;
    Ok(crate::routes::json(note))
}
