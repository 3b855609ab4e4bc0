//! What each remote instance runs (NodeInfo's `software.name`), kept with its row in
//! `instances`, so a fan-out can send each instance the form of an activity it reads.

use crate::models::*;
use crate::schema::*;
use crate::{AnyConnection, DbResult};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use std::collections::HashMap;

/// An instance as a fan-out needs it: its row id and what software it runs, if known.
#[derive(Debug, Clone, PartialEq)]
pub struct KnownInstance {
    pub id: i64,
    pub software: Option<String>,
}

/// The instances of many domains at once (rows created where missing), with their
/// software: one query per 500 domains.
pub fn known(
    conn: &mut AnyConnection,
    domains: &[String],
) -> DbResult<HashMap<String, KnownInstance>> {
    let mut found = lookup(conn, domains)?;
    let missing: Vec<String> = domains
        .iter()
        .filter(|d| !found.contains_key(*d))
        .cloned()
        .collect();
    if !missing.is_empty() {
        create(conn, &missing)?;
        found.extend(lookup(conn, &missing)?);
    }
    Ok(found)
}

fn lookup(
    conn: &mut AnyConnection,
    domains: &[String],
) -> DbResult<HashMap<String, KnownInstance>> {
    let rows = crate::connection::chunked(domains, |chunk| {
        instances::table
            .filter(instances::domain.eq_any(chunk))
            .select((instances::domain, instances::id, instances::software))
            .load::<(String, i64, Option<String>)>(conn)
    })?;
    Ok(rows
        .into_iter()
        .map(|(domain, id, software)| (domain, KnownInstance { id, software }))
        .collect())
}

/// Rows for instances not yet recorded (ignoring those that are).
fn create(conn: &mut AnyConnection, domains: &[String]) -> DbResult<()> {
    match conn {
        AnyConnection::Postgresql(c) => {
            for chunk in domains.chunks(500) {
                let rows: Vec<_> = chunk.iter().map(|d| instances::domain.eq(d)).collect();
                diesel::insert_into(instances::table)
                    .values(rows)
                    .on_conflict_do_nothing()
                    .execute(c)?;
            }
        }
        AnyConnection::Sqlite(c) => {
            for domain in domains {
                diesel::insert_into(instances::table)
                    .values(instances::domain.eq(domain))
                    .on_conflict_do_nothing()
                    .execute(c)?;
            }
        }
    }
    Ok(())
}

/// Domains of remote followers of local actors that have no instance row yet: an
/// instance is checked when a follower from it is first stored, before anything is sent
/// there (give them rows with [`record_domains`]).
pub fn unrecorded_follower_domains(conn: &mut AnyConnection) -> DbResult<Vec<String>> {
    Ok(follows::table
        .inner_join(actors::table.on(actors::id.eq(follows::follower_id)))
        .filter(follows::state.eq(follow_state::ACCEPTED))
        .filter(diesel::dsl::not(actors::is_local))
        .filter(diesel::dsl::not(
            actors::domain.eq_any(instances::table.select(instances::domain)),
        ))
        .select(actors::domain)
        .distinct()
        .load(conn)?)
}

/// Rows for these instances, where missing.
pub fn record_domains(conn: &mut AnyConnection, domains: &[String]) -> DbResult<()> {
    create(conn, domains)
}

/// Instances whose software is to be (re)checked: never checked, or last checked before
/// `stale_before`; never-checked first, at most `limit`.
pub fn software_checks_due(
    conn: &mut AnyConnection,
    stale_before: NaiveDateTime,
    limit: i64,
) -> DbResult<Vec<InstanceRow>> {
    let mut due: Vec<InstanceRow> = instances::table
        .filter(instances::software_checked_at.is_null())
        .order(instances::id.asc())
        .limit(limit)
        .select(InstanceRow::as_select())
        .load(conn)?;
    let room = limit - due.len() as i64;
    if room > 0 {
        due.extend(
            instances::table
                .filter(instances::software_checked_at.lt(stale_before))
                .order(instances::software_checked_at.asc())
                .limit(room)
                .select(InstanceRow::as_select())
                .load(conn)?,
        );
    }
    Ok(due)
}

/// Records a software check: the name found (lower case), or why there is none.
pub fn record_software(
    conn: &mut AnyConnection,
    instance_id: i64,
    software: Option<&str>,
    error: Option<&str>,
    at: NaiveDateTime,
) -> DbResult<()> {
    diesel::update(instances::table.find(instance_id))
        .set((
            instances::software.eq(software),
            instances::software_error.eq(error),
            instances::software_checked_at.eq(Some(at)),
        ))
        .execute(conn)?;
    Ok(())
}

/// The instances whose software has been checked: (domain, software found).
pub fn checked(conn: &mut AnyConnection) -> DbResult<Vec<(String, Option<String>)>> {
    Ok(instances::table
        .filter(instances::software_checked_at.is_not_null())
        .select((instances::domain, instances::software))
        .load(conn)?)
}
