//! Weaving: what a community here wove in (its `woven` placements and the activities that
//! carried them, "bridges in"), and where the items of communities here were woven
//! elsewhere ("bridges out", `weave_travels`).

use crate::models::*;
use crate::schema::*;
use crate::{AnyConnection, DbResult, with_backend};
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// The activities that carried a weave out of a community here.
#[derive(Queryable, Selectable, Debug, Clone, PartialEq)]
#[diesel(table_name = weaves)]
pub struct WeaveRow {
    pub id: i64,
    pub placement_id: i64,
    pub community_id: i64,
    pub origin_community_id: Option<i64>,
    pub announce_ap_id: String,
    pub note_ap_id: String,
    pub created_at: NaiveDateTime,
}

#[derive(Insertable, Debug, Clone)]
#[diesel(table_name = weaves)]
pub struct NewWeave {
    pub placement_id: i64,
    pub community_id: i64,
    pub origin_community_id: Option<i64>,
    pub announce_ap_id: String,
    pub note_ap_id: String,
    pub created_at: NaiveDateTime,
}

/// One place an item of a community here was woven into.
#[derive(Queryable, Selectable, Debug, Clone, PartialEq)]
#[diesel(table_name = weave_travels)]
pub struct TravelRow {
    pub id: i64,
    pub origin_community_id: i64,
    pub item_id: i64,
    pub woven_into_id: i64,
    pub weaver_id: Option<i64>,
    pub note: Option<String>,
    pub announce_ap_id: String,
    pub woven_at: NaiveDateTime,
}

#[derive(Insertable, Debug, Clone)]
#[diesel(table_name = weave_travels)]
pub struct NewTravel {
    pub origin_community_id: i64,
    pub item_id: i64,
    pub woven_into_id: i64,
    pub weaver_id: Option<i64>,
    pub note: Option<String>,
    pub announce_ap_id: String,
    pub woven_at: NaiveDateTime,
}

/// A weave into a community here, as listed: the placement, the item, its weave record
/// (none for an item woven into a remote community's copy here) and the weaver.
#[derive(Debug, Clone)]
pub struct WovenIn {
    pub placement: PlacementRow,
    pub item: ItemRow,
    pub weave: Option<WeaveRow>,
    pub weaver: Option<ActorRow>,
    pub author: Option<ActorRow>,
    /// The community the item was created in.
    pub origin: Option<ActorRow>,
}

/// Where an item of a community here travelled.
#[derive(Debug, Clone)]
pub struct Travel {
    pub travel: TravelRow,
    pub item: ItemRow,
    pub woven_into: ActorRow,
    pub weaver: Option<ActorRow>,
}

/// Places `item` in a community as woven; `None` when it is there already (however it
/// came). The placement is returned with its id.
pub fn place(conn: &mut AnyConnection, placement: &NewPlacement) -> DbResult<Option<PlacementRow>> {
    let id: Option<i64> = with_backend!(conn, c => diesel::insert_into(placements::table)
        .values(placement)
        .on_conflict((placements::community_id, placements::item_id))
        .do_nothing()
        .returning(placements::id)
        .get_result(c)
        .optional()?);
    Ok(id.map(|id| PlacementRow {
        id,
        community_id: placement.community_id,
        item_id: placement.item_id,
        how: placement.how.clone(),
        by_actor_id: placement.by_actor_id,
        note: placement.note.clone(),
        hops: placement.hops,
        placed_at: placement.placed_at,
    }))
}

/// The placement of `item_id` in `community_id`, if it is there.
pub fn placement_of(
    conn: &mut AnyConnection,
    community_id: i64,
    item_id: i64,
) -> DbResult<Option<PlacementRow>> {
    Ok(placements::table
        .filter(placements::community_id.eq(community_id))
        .filter(placements::item_id.eq(item_id))
        .select(PlacementRow::as_select())
        .first(conn)
        .optional()?)
}

pub fn insert(conn: &mut AnyConnection, weave: &NewWeave) -> DbResult<()> {
    diesel::insert_into(weaves::table)
        .values(weave)
        .execute(conn)?;
    Ok(())
}

/// The woven placement `placement_id` of `community_id`, with what carried it.
pub fn woven_in(
    conn: &mut AnyConnection,
    community_id: i64,
    placement_id: i64,
) -> DbResult<Option<WovenIn>> {
    let found: Option<(PlacementRow, ItemRow)> = placements::table
        .inner_join(items::table)
        .filter(placements::id.eq(placement_id))
        .filter(placements::community_id.eq(community_id))
        .filter(placements::how.eq(placement_how::WOVEN))
        .select((PlacementRow::as_select(), ItemRow::as_select()))
        .first(conn)
        .optional()?;
    let Some(found) = found else {
        return Ok(None);
    };
    Ok(with_weavers(conn, vec![found])?.pop())
}

/// The weave made here whose placement is `placement_id` (in whichever community).
pub fn woven_by_id(conn: &mut AnyConnection, placement_id: i64) -> DbResult<Option<WovenIn>> {
    let found: Option<(PlacementRow, ItemRow)> = placements::table
        .inner_join(items::table)
        .inner_join(weaves::table)
        .filter(placements::id.eq(placement_id))
        .select((PlacementRow::as_select(), ItemRow::as_select()))
        .first(conn)
        .optional()?;
    let Some(found) = found else {
        return Ok(None);
    };
    Ok(with_weavers(conn, vec![found])?.pop())
}

/// The items woven into `community_id`, newest first; `before` a placement id for paging.
pub fn list_in(
    conn: &mut AnyConnection,
    community_id: i64,
    before: Option<i64>,
    limit: i64,
) -> DbResult<Vec<WovenIn>> {
    let mut query = placements::table
        .inner_join(items::table)
        .filter(placements::community_id.eq(community_id))
        .filter(placements::how.eq(placement_how::WOVEN))
        .select((PlacementRow::as_select(), ItemRow::as_select()))
        .order(placements::id.desc())
        .limit(limit)
        .into_boxed();
    if let Some(before) = before {
        query = query.filter(placements::id.lt(before));
    }
    let rows = query.load(conn)?;
    with_weavers(conn, rows)
}

fn with_weavers(
    conn: &mut AnyConnection,
    rows: Vec<(PlacementRow, ItemRow)>,
) -> DbResult<Vec<WovenIn>> {
    let placement_ids: Vec<i64> = rows.iter().map(|(p, _)| p.id).collect();
    let weaves: Vec<WeaveRow> = weaves::table
        .filter(weaves::placement_id.eq_any(&placement_ids))
        .select(WeaveRow::as_select())
        .load(conn)?;
    let actor_ids: Vec<i64> = rows
        .iter()
        .flat_map(|(p, i)| [p.by_actor_id, Some(i.author_id), i.origin_community_id])
        .flatten()
        .collect();
    let actors = crate::actors::by_ids(conn, &actor_ids)?;
    let find = |id: Option<i64>| actors.iter().find(|a| Some(a.id) == id).cloned();
    Ok(rows
        .into_iter()
        .map(|(placement, item)| WovenIn {
            weave: weaves
                .iter()
                .find(|w| w.placement_id == placement.id)
                .cloned(),
            weaver: find(placement.by_actor_id),
            author: find(Some(item.author_id)),
            origin: find(item.origin_community_id),
            placement,
            item,
        })
        .collect())
}

/// How many items were woven into `community_id`.
pub fn count_in(conn: &mut AnyConnection, community_id: i64) -> DbResult<i64> {
    Ok(placements::table
        .filter(placements::community_id.eq(community_id))
        .filter(placements::how.eq(placement_how::WOVEN))
        .count()
        .get_result(conn)?)
}

/// Removes a woven placement and its weave record; returns whether it was there.
pub fn unplace(conn: &mut AnyConnection, placement_id: i64) -> DbResult<bool> {
    diesel::delete(weaves::table.filter(weaves::placement_id.eq(placement_id))).execute(conn)?;
    let n = diesel::delete(
        placements::table
            .filter(placements::id.eq(placement_id))
            .filter(placements::how.eq(placement_how::WOVEN)),
    )
    .execute(conn)?;
    Ok(n > 0)
}

/// Records that an item of a community here was woven elsewhere; false when that weave
/// was recorded already.
pub fn record_travel(conn: &mut AnyConnection, travel: &NewTravel) -> DbResult<bool> {
    let n = with_backend!(conn, c => diesel::insert_into(weave_travels::table)
        .values(travel)
        .on_conflict((weave_travels::woven_into_id, weave_travels::item_id))
        .do_nothing()
        .execute(c)?);
    Ok(n > 0)
}

/// Forgets where `item_id` was woven into `woven_into_id`; returns whether it was known.
pub fn forget_travel(conn: &mut AnyConnection, woven_into_id: i64, item_id: i64) -> DbResult<bool> {
    let n = diesel::delete(
        weave_travels::table
            .filter(weave_travels::woven_into_id.eq(woven_into_id))
            .filter(weave_travels::item_id.eq(item_id)),
    )
    .execute(conn)?;
    Ok(n > 0)
}

/// The travel recorded for the `Announce` `announce_ap_id`.
pub fn travel_by_announce(
    conn: &mut AnyConnection,
    announce_ap_id: &str,
) -> DbResult<Option<TravelRow>> {
    Ok(weave_travels::table
        .filter(weave_travels::announce_ap_id.eq(announce_ap_id))
        .select(TravelRow::as_select())
        .first(conn)
        .optional()?)
}

/// Where the items of `origin_community_id` were woven, newest first; `before` a travel
/// id for paging.
pub fn list_out(
    conn: &mut AnyConnection,
    origin_community_id: i64,
    before: Option<i64>,
    limit: i64,
) -> DbResult<Vec<Travel>> {
    let mut query = weave_travels::table
        .inner_join(items::table)
        .filter(weave_travels::origin_community_id.eq(origin_community_id))
        .select((TravelRow::as_select(), ItemRow::as_select()))
        .order(weave_travels::id.desc())
        .limit(limit)
        .into_boxed();
    if let Some(before) = before {
        query = query.filter(weave_travels::id.lt(before));
    }
    let rows: Vec<(TravelRow, ItemRow)> = query.load(conn)?;
    let actor_ids: Vec<i64> = rows
        .iter()
        .flat_map(|(t, _)| [Some(t.woven_into_id), t.weaver_id])
        .flatten()
        .collect();
    let actors = crate::actors::by_ids(conn, &actor_ids)?;
    let find = |id: i64| actors.iter().find(|a| a.id == id).cloned();
    Ok(rows
        .into_iter()
        .filter_map(|(travel, item)| {
            Some(Travel {
                woven_into: find(travel.woven_into_id)?,
                weaver: travel.weaver_id.and_then(find),
                travel,
                item,
            })
        })
        .collect())
}

/// How many times the items of `origin_community_id` were woven elsewhere.
pub fn count_out(conn: &mut AnyConnection, origin_community_id: i64) -> DbResult<i64> {
    Ok(weave_travels::table
        .filter(weave_travels::origin_community_id.eq(origin_community_id))
        .count()
        .get_result(conn)?)
}

/// Removes the woven placement of `item_id` in `community_id` (a remote community's copy
/// here, when it unweaves); returns whether it was there.
pub fn unplace_item(conn: &mut AnyConnection, community_id: i64, item_id: i64) -> DbResult<bool> {
    let n = diesel::delete(
        placements::table
            .filter(placements::community_id.eq(community_id))
            .filter(placements::item_id.eq(item_id))
            .filter(placements::how.eq(placement_how::WOVEN)),
    )
    .execute(conn)?;
    Ok(n > 0)
}
