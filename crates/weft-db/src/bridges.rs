//! Bridges: a local community following another community, and what its lead chose
//! (see `weft_core::constellation::bridges`). The rows, and the queries on them.

use crate::models::{ActorRow, FollowRow, PlacementRow, actor_kind, follow_state};
use crate::schema::*;
use crate::{AnyConnection, DbResult, with_backend};
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// A bridge row's `state`.
pub mod bridge_state {
    /// The community follows (or asked to follow) the target.
    pub const LINKED: &str = "linked";
    /// Its lead unlinked it (`Undo(Follow)` sent); what it placed stays.
    pub const UNLINKED: &str = "unlinked";
}

#[derive(Queryable, Selectable, Debug, Clone, PartialEq)]
#[diesel(table_name = bridges)]
pub struct BridgeRow {
    pub id: i64,
    pub community_id: i64,
    pub target_id: i64,
    pub place_kinds: String,
    pub pass_kinds: String,
    pub state: String,
    pub created_by: Option<i64>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Insertable, Debug, Clone)]
#[diesel(table_name = bridges)]
pub struct NewBridge {
    pub community_id: i64,
    pub target_id: i64,
    pub place_kinds: String,
    pub pass_kinds: String,
    pub state: String,
    pub created_by: Option<i64>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// Records a bridge, or links again (with the kinds given) one that exists.
pub fn upsert(conn: &mut AnyConnection, bridge: &NewBridge) -> DbResult<BridgeRow> {
    with_backend!(conn, c => diesel::insert_into(bridges::table)
        .values(bridge)
        .on_conflict((bridges::community_id, bridges::target_id))
        .do_update()
        .set((
            bridges::place_kinds.eq(&bridge.place_kinds),
            bridges::pass_kinds.eq(&bridge.pass_kinds),
            bridges::state.eq(&bridge.state),
            bridges::updated_at.eq(bridge.updated_at),
        ))
        .execute(c)?);
    Ok(find(conn, bridge.community_id, bridge.target_id)?.expect("just written"))
}

pub fn find(
    conn: &mut AnyConnection,
    community_id: i64,
    target_id: i64,
) -> DbResult<Option<BridgeRow>> {
    Ok(bridges::table
        .filter(bridges::community_id.eq(community_id))
        .filter(bridges::target_id.eq(target_id))
        .select(BridgeRow::as_select())
        .first(conn)
        .optional()?)
}

pub fn by_id(conn: &mut AnyConnection, id: i64) -> DbResult<Option<BridgeRow>> {
    Ok(bridges::table
        .find(id)
        .select(BridgeRow::as_select())
        .first(conn)
        .optional()?)
}

pub fn set_kinds(
    conn: &mut AnyConnection,
    id: i64,
    place_kinds: &str,
    pass_kinds: &str,
    at: NaiveDateTime,
) -> DbResult<()> {
    diesel::update(bridges::table.find(id))
        .set((
            bridges::place_kinds.eq(place_kinds),
            bridges::pass_kinds.eq(pass_kinds),
            bridges::updated_at.eq(at),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn set_state(
    conn: &mut AnyConnection,
    id: i64,
    state: &str,
    at: NaiveDateTime,
) -> DbResult<()> {
    diesel::update(bridges::table.find(id))
        .set((bridges::state.eq(state), bridges::updated_at.eq(at)))
        .execute(conn)?;
    Ok(())
}

/// A community's bridges out, oldest first: each with the community it follows and the
/// follow (none when it was rejected or unlinked).
pub fn of_community(
    conn: &mut AnyConnection,
    community_id: i64,
) -> DbResult<Vec<(BridgeRow, ActorRow, Option<FollowRow>)>> {
    let rows: Vec<(BridgeRow, ActorRow)> = bridges::table
        .inner_join(actors::table.on(actors::id.eq(bridges::target_id)))
        .filter(bridges::community_id.eq(community_id))
        .order(bridges::id.asc())
        .select((BridgeRow::as_select(), ActorRow::as_select()))
        .load(conn)?;
    let mut out = Vec::with_capacity(rows.len());
    for (bridge, target) in rows {
        let follow = crate::follows::find(conn, community_id, target.id)?;
        out.push((bridge, target, follow));
    }
    Ok(out)
}

/// The linked bridges from `target_id` into local communities whose follow was accepted:
/// where what `target_id` announces is placed.
pub fn active_into(
    conn: &mut AnyConnection,
    target_id: i64,
) -> DbResult<Vec<(BridgeRow, ActorRow)>> {
    Ok(bridges::table
        .inner_join(actors::table.on(actors::id.eq(bridges::community_id)))
        .inner_join(
            follows::table.on(follows::follower_id
                .eq(bridges::community_id)
                .and(follows::target_id.eq(bridges::target_id))),
        )
        .filter(bridges::target_id.eq(target_id))
        .filter(bridges::state.eq(bridge_state::LINKED))
        .filter(follows::state.eq(follow_state::ACCEPTED))
        .filter(actors::is_local)
        .order(bridges::id.asc())
        .select((BridgeRow::as_select(), ActorRow::as_select()))
        .load(conn)?)
}

/// The communities (Groups, here or elsewhere) following `community_id`: the bridges
/// into it, with their follow (accepted or waiting), oldest first.
pub fn followers_into(
    conn: &mut AnyConnection,
    community_id: i64,
) -> DbResult<Vec<(FollowRow, ActorRow)>> {
    Ok(follows::table
        .inner_join(actors::table.on(actors::id.eq(follows::follower_id)))
        .filter(follows::target_id.eq(community_id))
        .filter(actors::kind.eq(actor_kind::GROUP))
        .order(follows::id.asc())
        .select((FollowRow::as_select(), ActorRow::as_select()))
        .load(conn)?)
}

/// The delivery inboxes of `target_id`'s remote followers, leaving out the followers
/// `except` (the origin of an item passed on): one per inbox, as
/// `follows::remote_follower_inboxes`.
pub fn follower_inboxes_except(
    conn: &mut AnyConnection,
    target_id: i64,
    except: &[i64],
) -> DbResult<Vec<String>> {
    use diesel::dsl::sql;
    use diesel::sql_types::Text;
    Ok(follows::table
        .inner_join(actors::table.on(actors::id.eq(follows::follower_id)))
        .filter(follows::target_id.eq(target_id))
        .filter(follows::state.eq(follow_state::ACCEPTED))
        .filter(diesel::dsl::not(actors::is_local))
        .filter(diesel::dsl::not(actors::id.eq_any(except)))
        .select(sql::<Text>(
            "COALESCE(actors.shared_inbox_url, actors.inbox_url)",
        ))
        .distinct()
        .load::<String>(conn)?)
}

/// Where `item_id` is placed in `community_id`, if it is.
pub fn placement(
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
