//! The resource library on the read path: a community's `resources` collection (its
//! `Document`s, on pages), a resource's `weft:versions` collection and each version, and
//! folders (`ResourceCollection`).

use crate::paging::{self, PAGE_SIZE};
use crate::routes::{PageQuery, json, local_actor};
use crate::{Ctx, FedError};
use axum::extract::{Path, Query};
use axum::response::Response;
use serde_json::Value;
use url::Url;
use weft_db::models::ItemKind;
use weft_protocol::{Addressing, FolderObject, OrderedCollection, OrderedCollectionPage};

fn url(s: &str) -> Url {
    Url::parse(s).expect("stored ids are URLs")
}

fn page_url(id: &Url, page: &str) -> Url {
    Url::parse(&format!("{id}?page={page}")).expect("url")
}

/// A community's library: the count, and its live resources (as `Document`s, oldest
/// first) on pages: `?page=true` is the first, `?page=<id>` the one after resource `id`.
pub async fn resources(
    ctx: Ctx,
    Path((prefix, name)): Path<(String, String)>,
    Query(q): Query<PageQuery>,
) -> Result<Response, FedError> {
    let community = local_actor(&ctx, &prefix, &name).await?;
    if !community.is_group() {
        return Err(FedError::not_found("people have no library"));
    }
    let id = ctx.urls.resources(&community.ap_id);
    let community_id = community.id;
    let Some(page) = q.page else {
        let total = ctx
            .db
            .read(move |c| weft_db::resources::count_of_community(c, community_id))
            .await?;
        return Ok(json(OrderedCollection::paged(
            id.clone(),
            total,
            page_url(&id, "true"),
        )));
    };
    let after = match page.as_str() {
        "true" => None,
        other => paging::cursor("page", Some(other))?,
    };
    let urls = ctx.urls.clone();
    let (items, last) = ctx
        .db
        .read(move |c| -> Result<_, FedError> {
            let rows = weft_db::resources::of_community(c, community_id, after, PAGE_SIZE)?;
            let last = (rows.len() as i64 == PAGE_SIZE)
                .then(|| rows.last().map(|r| r.id))
                .flatten();
            let mut items = vec![];
            for item in rows {
                let d = weft_core::resources::details(c, item)?;
                let object = weft_core::resources::wire::resource_into_json(&urls, &d);
                items.push(serde_json::to_value(object).expect("json"));
            }
            Ok((items, last))
        })
        .await?;
    let next = last.map(|l| page_url(&id, &l.to_string()));
    Ok(json(OrderedCollectionPage::new(
        page_url(&id, &page),
        id,
        next,
        items,
    )))
}

/// Every version of a local resource (`weft:versions`): the count, and the versions (each
/// the `Document` as it was, first first) on numbered pages.
pub async fn versions(
    ctx: Ctx,
    Path(item_id): Path<i64>,
    Query(q): Query<PageQuery>,
) -> Result<Response, FedError> {
    let id = ctx.urls.versions(item_id);
    let urls = ctx.urls.clone();
    let (number, offset) = match q.page.as_deref() {
        Some(p) => {
            let (n, o) = paging::page_number(p)?;
            (Some(n), o)
        }
        None => (None, 0),
    };
    let (total, items) = ctx
        .db
        .read(move |c| -> Result<_, FedError> {
            let d = local_resource(c, item_id)?;
            let all = weft_db::resources::versions(c, item_id)?;
            let total = all.len() as i64;
            let items: Vec<Value> = all
                .iter()
                .skip(offset as usize)
                .take(PAGE_SIZE as usize)
                .map(|(v, editor)| {
                    let object =
                        weft_core::resources::wire::version_into_json(&urls, &d, v, editor);
                    serde_json::to_value(object).expect("json")
                })
                .collect();
            Ok((total, items))
        })
        .await?;
    let Some(number) = number else {
        return Ok(json(OrderedCollection::paged(
            id.clone(),
            total,
            page_url(&id, "1"),
        )));
    };
    let next = (offset + PAGE_SIZE < total).then(|| page_url(&id, &(number + 1).to_string()));
    Ok(json(OrderedCollectionPage::new(
        page_url(&id, &number.to_string()),
        id,
        next,
        items,
    )))
}

/// One version of a local resource, as it was.
pub async fn version(
    ctx: Ctx,
    Path((item_id, number)): Path<(i64, i32)>,
) -> Result<Response, FedError> {
    let urls = ctx.urls.clone();
    let object = ctx
        .db
        .read(move |c| -> Result<_, FedError> {
            let d = local_resource(c, item_id)?;
            let v = weft_db::resources::version(c, item_id, number)?
                .ok_or_else(|| FedError::not_found(format!("no version {number}")))?;
            let editor = weft_db::actors::by_id(c, v.edited_by)?;
            Ok(weft_core::resources::wire::version_into_json(
                &urls, &d, &v, &editor,
            ))
        })
        .await?;
    Ok(json(object))
}

/// A live resource of this instance, or 404.
fn local_resource(
    c: &mut weft_db::AnyConnection,
    item_id: i64,
) -> Result<weft_core::resources::ResourceDetails, FedError> {
    let item = weft_db::items::by_id(c, item_id)?
        .filter(|i| i.is_local && i.kind == ItemKind::Resource && i.deleted_at.is_none())
        .ok_or_else(|| FedError::not_found("no such resource"))?;
    Ok(weft_core::resources::details(c, item)?)
}

/// A folder of a local community's library, as a `ResourceCollection`.
pub async fn folder(ctx: Ctx, Path(id): Path<i64>) -> Result<Response, FedError> {
    let urls = ctx.urls.clone();
    let object = ctx
        .db
        .read(move |c| -> Result<_, FedError> {
            let folder = weft_db::resources::folder_by_id(c, id)?
                .ok_or_else(|| FedError::not_found("no such folder"))?;
            let community = weft_db::actors::by_id(c, folder.community_id)?;
            if !community.is_local {
                return Err(FedError::not_found("no such folder"));
            }
            let context = match folder.parent_id {
                Some(p) => weft_db::resources::folder_by_id(c, p)?.map(|f| url(&f.ap_id)),
                None => None,
            };
            let community_id = url(&community.ap_id);
            Ok(FolderObject {
                kind: "ResourceCollection".into(),
                id: url(&folder.ap_id),
                actor: None,
                attributed_to: Some(community_id.clone()),
                addressing: Addressing::new(
                    vec![community_id.to_string()],
                    vec![],
                    Some(community_id),
                ),
                name: folder.name,
                summary: None,
                context: Some(context.unwrap_or_else(|| urls.resources(&community.ap_id))),
            })
        })
        .await?;
    Ok(json(object))
}
