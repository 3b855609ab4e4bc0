//! The directory of communities (this instance's and those crawled from the other
//! members of its constellations), its full-text search (SQLite FTS5, PostgreSQL
//! `tsvector`), the constellations and their members, and the crawl's state per member.

use crate::models::ActorRow;
use crate::schema::*;
use crate::{AnyConnection, DbResult, with_backend};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text};
use std::collections::HashMap;

/// A community as the directory lists it.
#[derive(Queryable, Selectable, QueryableByName, Debug, Clone, PartialEq)]
#[diesel(table_name = directory_entries)]
pub struct DirectoryEntryRow {
    pub id: i64,
    pub ap_id: String,
    pub source_domain: String,
    pub is_local: bool,
    pub name: String,
    pub title: String,
    pub about: String,
    /// Its tags, separated by spaces.
    pub tags: String,
    pub language: Option<String>,
    pub lifecycle: String,
    pub member_count: i64,
    pub last_activity_at: Option<NaiveDateTime>,
    pub fetched_at: NaiveDateTime,
}

#[derive(Insertable, AsChangeset, Debug, Clone, PartialEq)]
#[diesel(table_name = directory_entries, treat_none_as_null = true)]
pub struct NewDirectoryEntry {
    pub ap_id: String,
    pub source_domain: String,
    pub is_local: bool,
    pub name: String,
    pub title: String,
    pub about: String,
    pub tags: String,
    pub language: Option<String>,
    pub lifecycle: String,
    pub member_count: i64,
    pub last_activity_at: Option<NaiveDateTime>,
    pub fetched_at: NaiveDateTime,
}

impl NewDirectoryEntry {
    /// The same listing, whatever the fetch time.
    fn same_as(&self, row: &DirectoryEntryRow) -> bool {
        self.source_domain == row.source_domain
            && self.is_local == row.is_local
            && self.name == row.name
            && self.title == row.title
            && self.about == row.about
            && self.tags == row.tags
            && self.language == row.language
            && self.lifecycle == row.lifecycle
            && self.member_count == row.member_count
            && self.last_activity_at == row.last_activity_at
    }
}

/// The entries listed by one source: this instance's own (`local`), or a member's.
fn entries_of(
    conn: &mut AnyConnection,
    source: Option<&str>,
) -> DbResult<HashMap<String, DirectoryEntryRow>> {
    let mut query = directory_entries::table
        .select(DirectoryEntryRow::as_select())
        .into_boxed();
    query = match source {
        None => query.filter(directory_entries::is_local),
        Some(domain) => query
            .filter(directory_entries::source_domain.eq(domain.to_string()))
            .filter(diesel::dsl::not(directory_entries::is_local)),
    };
    Ok(query
        .load(conn)?
        .into_iter()
        .map(|r| (r.ap_id.clone(), r))
        .collect())
}

/// Makes the entries of one source exactly `entries` (`source` None: the local ones),
/// writing only what changed (each write moves the full-text index). Returns how many
/// rows were written or removed.
pub fn replace_entries(
    conn: &mut AnyConnection,
    source: Option<&str>,
    entries: &[NewDirectoryEntry],
) -> DbResult<usize> {
    let mut existing = entries_of(conn, source)?;
    let mut written = 0;
    for entry in entries {
        match existing.remove(&entry.ap_id) {
            Some(row) if entry.same_as(&row) => {}
            _ => {
                upsert_entry(conn, entry)?;
                written += 1;
            }
        }
    }
    let gone: Vec<String> = existing.into_keys().collect();
    if !gone.is_empty() {
        written += crate::connection::chunked(&gone, |chunk| {
            diesel::delete(directory_entries::table.filter(directory_entries::ap_id.eq_any(chunk)))
                .execute(conn)
                .map(|n| vec![n])
        })?
        .into_iter()
        .sum::<usize>();
    }
    Ok(written)
}

/// Inserts an entry, or replaces the one with its URL.
pub fn upsert_entry(conn: &mut AnyConnection, entry: &NewDirectoryEntry) -> DbResult<()> {
    with_backend!(conn, c => diesel::insert_into(directory_entries::table)
        .values(entry)
        .on_conflict(directory_entries::ap_id)
        .do_update()
        .set(entry)
        .execute(c))?;
    Ok(())
}

/// Inserts many entries at once (the benchmark's seeding): one statement per 500.
pub fn insert_entries(conn: &mut AnyConnection, entries: &[NewDirectoryEntry]) -> DbResult<()> {
    for chunk in entries.chunks(500) {
        with_backend!(conn, c => diesel::insert_into(directory_entries::table)
            .values(chunk)
            .execute(c))?;
    }
    Ok(())
}

/// The entry of a community, by its URL.
pub fn entry(conn: &mut AnyConnection, ap_id: &str) -> DbResult<Option<DirectoryEntryRow>> {
    Ok(directory_entries::table
        .filter(directory_entries::ap_id.eq(ap_id))
        .select(DirectoryEntryRow::as_select())
        .first(conn)
        .optional()?)
}

/// Entries from each source domain, for the admin's view of the crawl.
pub fn count_by_source(conn: &mut AnyConnection) -> DbResult<Vec<(String, i64)>> {
    Ok(directory_entries::table
        .group_by(directory_entries::source_domain)
        .select((
            directory_entries::source_domain,
            diesel::dsl::count(directory_entries::id),
        ))
        .load(conn)?)
}

/// What a search asks: a full-text query already in the backend's syntax (see
/// `weft_core::directory::search`), and the filters.
#[derive(Debug, Clone, Default)]
pub struct SearchSql {
    /// SQLite: an FTS5 MATCH expression; PostgreSQL: a `to_tsquery('english', …)` text.
    /// None: every entry.
    pub text: Option<String>,
    /// A BCP 47 tag: `en` finds `en` and `en-GB`.
    pub language: Option<String>,
    pub lifecycle: Option<String>,
    pub limit: i64,
    pub offset: i64,
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    count: i64,
}

const COLUMNS: &str = "e.id, e.ap_id, e.source_domain, e.is_local, e.name, e.title, e.about, \
     e.tags, e.language, e.lifecycle, e.member_count, e.last_activity_at, e.fetched_at";

/// The entries matching `q`, best first (or, without words, the largest communities
/// first), and how many match in all.
pub fn search(conn: &mut AnyConnection, q: &SearchSql) -> DbResult<(Vec<DirectoryEntryRow>, i64)> {
    match conn {
        AnyConnection::Sqlite(c) => {
            let filters = "(?2 IS NULL OR lower(e.language) = lower(?2) \
                 OR lower(e.language) LIKE lower(?2) || '-%') AND (?3 IS NULL OR e.lifecycle = ?3)";
            let (from, order) = if q.text.is_some() {
                (
                    "directory_fts JOIN directory_entries e ON e.id = directory_fts.rowid \
                     WHERE directory_fts MATCH ?1 AND",
                    "bm25(directory_fts, 10.0, 2.0, 5.0), e.id",
                )
            } else {
                (
                    "directory_entries e WHERE (?1 IS NULL) AND",
                    "e.member_count DESC, e.title, e.id",
                )
            };
            let rows = diesel::sql_query(format!(
                "SELECT {COLUMNS} FROM {from} {filters} ORDER BY {order} LIMIT ?4 OFFSET ?5"
            ))
            .bind::<Nullable<Text>, _>(q.text.clone())
            .bind::<Nullable<Text>, _>(q.language.clone())
            .bind::<Nullable<Text>, _>(q.lifecycle.clone())
            .bind::<BigInt, _>(q.limit)
            .bind::<BigInt, _>(q.offset)
            .load::<DirectoryEntryRow>(c)?;
            let total =
                diesel::sql_query(format!("SELECT count(*) AS count FROM {from} {filters}"))
                    .bind::<Nullable<Text>, _>(q.text.clone())
                    .bind::<Nullable<Text>, _>(q.language.clone())
                    .bind::<Nullable<Text>, _>(q.lifecycle.clone())
                    .get_result::<Count>(c)?
                    .count;
            Ok((rows, total))
        }
        AnyConnection::Postgresql(c) => {
            let filters = "($2::text IS NULL OR lower(e.language) = lower($2) \
                 OR lower(e.language) LIKE lower($2) || '-%') AND ($3::text IS NULL OR e.lifecycle = $3)";
            let (where_text, order) = if q.text.is_some() {
                (
                    "e.search @@ to_tsquery('english', $1) AND",
                    "ts_rank(e.search, to_tsquery('english', $1)) DESC, e.id",
                )
            } else {
                (
                    "($1::text IS NULL) AND",
                    "e.member_count DESC, e.title, e.id",
                )
            };
            let rows = diesel::sql_query(format!(
                "SELECT {COLUMNS} FROM directory_entries e WHERE {where_text} {filters} \
                 ORDER BY {order} LIMIT $4 OFFSET $5"
            ))
            .bind::<Nullable<Text>, _>(q.text.clone())
            .bind::<Nullable<Text>, _>(q.language.clone())
            .bind::<Nullable<Text>, _>(q.lifecycle.clone())
            .bind::<BigInt, _>(q.limit)
            .bind::<BigInt, _>(q.offset)
            .load::<DirectoryEntryRow>(c)?;
            let total = diesel::sql_query(format!(
                "SELECT count(*) AS count FROM directory_entries e WHERE {where_text} {filters}"
            ))
            .bind::<Nullable<Text>, _>(q.text.clone())
            .bind::<Nullable<Text>, _>(q.language.clone())
            .bind::<Nullable<Text>, _>(q.lifecycle.clone())
            .get_result::<Count>(c)?
            .count;
            Ok((rows, total))
        }
    }
}

/// This instance's discoverable communities as the directory lists them: each local
/// `Group` with its profile's language, tags, lifecycle, member count and last activity
/// (its newest placement), in name order.
pub struct LocalCommunity {
    pub actor: ActorRow,
    pub lifecycle: String,
    pub language: Option<String>,
    pub tags: Vec<String>,
    pub member_count: i64,
    pub last_activity_at: Option<NaiveDateTime>,
}

pub fn local_communities(conn: &mut AnyConnection) -> DbResult<Vec<LocalCommunity>> {
    let rows: Vec<(ActorRow, String, Option<String>)> = actors::table
        .inner_join(communities::table.on(communities::actor_id.eq(actors::id)))
        .left_join(community_profiles::table.on(community_profiles::actor_id.eq(actors::id)))
        .filter(actors::is_local)
        .filter(actors::discoverable)
        .order(actors::username.asc())
        .select((
            ActorRow::as_select(),
            communities::lifecycle,
            community_profiles::language.nullable(),
        ))
        .load(conn)?;
    let ids: Vec<i64> = rows.iter().map(|r| r.0.id).collect();
    let mut tags: HashMap<i64, Vec<String>> = HashMap::new();
    for (id, tag) in crate::communities::tags_of(conn, &ids)? {
        tags.entry(id).or_default().push(tag);
    }
    let members: HashMap<i64, i64> = memberships::table
        .filter(memberships::community_id.eq_any(&ids))
        .group_by(memberships::community_id)
        .select((
            memberships::community_id,
            diesel::dsl::count(memberships::person_id),
        ))
        .load::<(i64, i64)>(conn)?
        .into_iter()
        .collect();
    let last: HashMap<i64, Option<NaiveDateTime>> = placements::table
        .filter(placements::community_id.eq_any(&ids))
        .group_by(placements::community_id)
        .select((
            placements::community_id,
            diesel::dsl::max(placements::placed_at),
        ))
        .load::<(i64, Option<NaiveDateTime>)>(conn)?
        .into_iter()
        .collect();
    Ok(rows
        .into_iter()
        .map(|(actor, lifecycle, language)| {
            let mut t = tags.remove(&actor.id).unwrap_or_default();
            t.sort();
            LocalCommunity {
                lifecycle,
                language,
                tags: t,
                member_count: members.get(&actor.id).copied().unwrap_or(0),
                last_activity_at: last.get(&actor.id).copied().flatten(),
                actor,
            }
        })
        .collect())
}

/// Sets whether a local community is listed in the directory (`discoverable`).
pub fn set_discoverable(
    conn: &mut AnyConnection,
    actor_id: i64,
    discoverable: bool,
) -> DbResult<()> {
    diesel::update(actors::table.find(actor_id))
        .set(actors::discoverable.eq(discoverable))
        .execute(conn)?;
    Ok(())
}

// --- Constellations ---

#[derive(Queryable, Selectable, Insertable, Debug, Clone, PartialEq)]
#[diesel(table_name = constellations)]
pub struct ConstellationRow {
    pub actor_id: i64,
    pub members_url: String,
    pub created_at: NaiveDateTime,
}

#[derive(Queryable, Selectable, Insertable, Debug, Clone, PartialEq)]
#[diesel(table_name = constellation_members)]
pub struct ConstellationMemberRow {
    pub constellation_id: i64,
    /// The member instance's actor.
    pub member: String,
    pub domain: String,
    pub added_at: NaiveDateTime,
}

pub fn insert_constellation(conn: &mut AnyConnection, row: &ConstellationRow) -> DbResult<()> {
    with_backend!(conn, c => diesel::insert_into(constellations::table)
        .values(row)
        .on_conflict(constellations::actor_id)
        .do_update()
        .set(constellations::members_url.eq(&row.members_url))
        .execute(c))?;
    Ok(())
}

/// Every constellation this instance convened or asked to join, with its actor.
pub fn constellations(conn: &mut AnyConnection) -> DbResult<Vec<(ActorRow, ConstellationRow)>> {
    Ok(constellations::table
        .inner_join(actors::table)
        .order(actors::ap_id.asc())
        .select((ActorRow::as_select(), ConstellationRow::as_select()))
        .load(conn)?)
}

/// The members of a constellation, in the order they were added.
pub fn members(
    conn: &mut AnyConnection,
    constellation_id: i64,
) -> DbResult<Vec<ConstellationMemberRow>> {
    Ok(constellation_members::table
        .filter(constellation_members::constellation_id.eq(constellation_id))
        .order((
            constellation_members::added_at.asc(),
            constellation_members::member.asc(),
        ))
        .select(ConstellationMemberRow::as_select())
        .load(conn)?)
}

/// Adds a member (nothing when it is one already).
pub fn add_member(conn: &mut AnyConnection, row: &ConstellationMemberRow) -> DbResult<()> {
    with_backend!(conn, c => diesel::insert_into(constellation_members::table)
        .values(row)
        .on_conflict_do_nothing()
        .execute(c))?;
    Ok(())
}

/// Removes a member; false when it was none.
pub fn remove_member(
    conn: &mut AnyConnection,
    constellation_id: i64,
    member: &str,
) -> DbResult<bool> {
    Ok(diesel::delete(
        constellation_members::table
            .filter(constellation_members::constellation_id.eq(constellation_id))
            .filter(constellation_members::member.eq(member)),
    )
    .execute(conn)?
        > 0)
}

/// Makes a constellation's member list exactly `rows` (as last fetched from its convenor).
pub fn replace_members(
    conn: &mut AnyConnection,
    constellation_id: i64,
    rows: &[ConstellationMemberRow],
) -> DbResult<()> {
    let keep: Vec<&str> = rows.iter().map(|r| r.member.as_str()).collect();
    diesel::delete(
        constellation_members::table
            .filter(constellation_members::constellation_id.eq(constellation_id))
            .filter(diesel::dsl::not(
                constellation_members::member.eq_any(&keep),
            )),
    )
    .execute(conn)?;
    for row in rows {
        add_member(conn, row)?;
    }
    Ok(())
}

// --- The crawl ---

#[derive(Queryable, Selectable, Insertable, Debug, Clone, PartialEq)]
#[diesel(table_name = directory_sources)]
pub struct DirectorySourceRow {
    pub domain: String,
    pub directory_url: Option<String>,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    pub failures: i32,
    pub next_attempt_at: NaiveDateTime,
    pub last_error: Option<String>,
    pub fetched_at: Option<NaiveDateTime>,
}

/// The crawl state of these domains, rows made (due at once) where missing.
pub fn sources(
    conn: &mut AnyConnection,
    domains: &[String],
    now: NaiveDateTime,
) -> DbResult<Vec<DirectorySourceRow>> {
    for domain in domains {
        with_backend!(conn, c => diesel::insert_into(directory_sources::table)
            .values((
                directory_sources::domain.eq(domain),
                directory_sources::failures.eq(0),
                directory_sources::next_attempt_at.eq(now),
            ))
            .on_conflict_do_nothing()
            .execute(c))?;
    }
    Ok(directory_sources::table
        .filter(directory_sources::domain.eq_any(domains))
        .order(directory_sources::domain.asc())
        .select(DirectorySourceRow::as_select())
        .load(conn)?)
}

/// Every source's crawl state.
pub fn all_sources(conn: &mut AnyConnection) -> DbResult<Vec<DirectorySourceRow>> {
    Ok(directory_sources::table
        .order(directory_sources::domain.asc())
        .select(DirectorySourceRow::as_select())
        .load(conn)?)
}

/// Records a crawl that succeeded (fully, or 304): the validators, and the next crawl.
pub fn record_fetched(
    conn: &mut AnyConnection,
    domain: &str,
    directory_url: &str,
    etag: Option<&str>,
    last_modified: Option<&str>,
    at: NaiveDateTime,
    next: NaiveDateTime,
) -> DbResult<()> {
    diesel::update(directory_sources::table.find(domain))
        .set((
            directory_sources::directory_url.eq(directory_url),
            directory_sources::etag.eq(etag),
            directory_sources::last_modified.eq(last_modified),
            directory_sources::failures.eq(0),
            directory_sources::last_error.eq(None::<String>),
            directory_sources::fetched_at.eq(Some(at)),
            directory_sources::next_attempt_at.eq(next),
        ))
        .execute(conn)?;
    Ok(())
}

/// Records a failed crawl, and when to try again.
pub fn record_failed(
    conn: &mut AnyConnection,
    domain: &str,
    failures: i32,
    error: &str,
    next: NaiveDateTime,
) -> DbResult<()> {
    diesel::update(directory_sources::table.find(domain))
        .set((
            directory_sources::failures.eq(failures),
            directory_sources::last_error.eq(Some(error)),
            directory_sources::next_attempt_at.eq(next),
        ))
        .execute(conn)?;
    Ok(())
}

/// Forgets the directory address of a source (to find it again from its actor).
pub fn forget_directory_url(conn: &mut AnyConnection, domain: &str) -> DbResult<()> {
    diesel::update(directory_sources::table.find(domain))
        .set(directory_sources::directory_url.eq(None::<String>))
        .execute(conn)?;
    Ok(())
}

/// The actors whose follow of `target_id` waits for an answer, oldest first.
pub fn pending_followers(conn: &mut AnyConnection, target_id: i64) -> DbResult<Vec<ActorRow>> {
    Ok(follows::table
        .inner_join(actors::table.on(actors::id.eq(follows::follower_id)))
        .filter(follows::target_id.eq(target_id))
        .filter(follows::state.eq(crate::models::follow_state::PENDING))
        .order(follows::created_at.asc())
        .select(ActorRow::as_select())
        .load(conn)?)
}

/// This instance's own entries, in name order (what its directory serves).
pub fn local_entry_rows(conn: &mut AnyConnection) -> DbResult<Vec<DirectoryEntryRow>> {
    Ok(directory_entries::table
        .filter(directory_entries::is_local)
        .order((directory_entries::name.asc(), directory_entries::id.asc()))
        .select(DirectoryEntryRow::as_select())
        .load(conn)?)
}
