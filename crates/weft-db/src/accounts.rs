//! Queries on local accounts: passwords and status, API tokens, sessions, failed log-ins,
//! instance settings and invitations.

use crate::models::*;
use crate::schema::*;
use crate::{AnyConnection, DbResult, with_backend};
use chrono::NaiveDateTime;
use diesel::prelude::*;

pub fn local_user(conn: &mut AnyConnection, actor_id: i64) -> DbResult<Option<LocalUserRow>> {
    Ok(local_users::table
        .find(actor_id)
        .select(LocalUserRow::as_select())
        .first(conn)
        .optional()?)
}

/// The local person with this (lower-cased) email, or with this username.
pub fn by_login(
    conn: &mut AnyConnection,
    login: &str,
) -> DbResult<Option<(ActorRow, LocalUserRow)>> {
    let query = local_users::table
        .inner_join(actors::table)
        .select((ActorRow::as_select(), LocalUserRow::as_select()));
    let found = if login.contains('@') {
        query
            .filter(local_users::email.eq(login))
            .first(conn)
            .optional()?
    } else {
        query
            .filter(actors::username.eq(login))
            .filter(actors::is_local)
            .first(conn)
            .optional()?
    };
    Ok(found)
}

pub fn email_taken(conn: &mut AnyConnection, email: &str) -> DbResult<bool> {
    Ok(diesel::select(diesel::dsl::exists(
        local_users::table.filter(local_users::email.eq(email)),
    ))
    .get_result(conn)?)
}

pub fn set_password(conn: &mut AnyConnection, actor_id: i64, hash: &str) -> DbResult<()> {
    diesel::update(local_users::table.find(actor_id))
        .set(local_users::password_hash.eq(hash))
        .execute(conn)?;
    Ok(())
}

pub fn set_status(conn: &mut AnyConnection, actor_id: i64, status: &str) -> DbResult<()> {
    diesel::update(local_users::table.find(actor_id))
        .set(local_users::status.eq(status))
        .execute(conn)?;
    Ok(())
}

/// Accounts with `status`, oldest first (by actor id, after `after`), with their actors.
pub fn users_with_status(
    conn: &mut AnyConnection,
    status: &str,
    after: Option<i64>,
    limit: i64,
) -> DbResult<Vec<(ActorRow, LocalUserRow)>> {
    Ok(local_users::table
        .inner_join(actors::table)
        .filter(local_users::status.eq(status))
        .filter(local_users::actor_id.gt(after.unwrap_or(0)))
        .order(local_users::actor_id.asc())
        .limit(limit)
        .select((ActorRow::as_select(), LocalUserRow::as_select()))
        .load(conn)?)
}

pub fn insert_token(conn: &mut AnyConnection, token: &NewApiToken) -> DbResult<ApiTokenRow> {
    diesel::insert_into(api_tokens::table)
        .values(token)
        .execute(conn)?;
    Ok(api_tokens::table
        .filter(api_tokens::token_hash.eq(&token.token_hash))
        .select(ApiTokenRow::as_select())
        .first(conn)?)
}

/// A token by its hash, with its person and account.
pub fn token_by_hash(
    conn: &mut AnyConnection,
    hash: &str,
) -> DbResult<Option<(ApiTokenRow, ActorRow, LocalUserRow)>> {
    Ok(api_tokens::table
        .inner_join(actors::table.inner_join(local_users::table))
        .filter(api_tokens::token_hash.eq(hash))
        .select((
            ApiTokenRow::as_select(),
            ActorRow::as_select(),
            LocalUserRow::as_select(),
        ))
        .first(conn)
        .optional()?)
}

pub fn tokens_of(
    conn: &mut AnyConnection,
    actor_id: i64,
    after: Option<i64>,
    limit: i64,
) -> DbResult<Vec<ApiTokenRow>> {
    Ok(api_tokens::table
        .filter(api_tokens::actor_id.eq(actor_id))
        .filter(api_tokens::id.gt(after.unwrap_or(0)))
        .order(api_tokens::id.asc())
        .limit(limit)
        .select(ApiTokenRow::as_select())
        .load(conn)?)
}

/// Deletes one of a person's tokens; false when they hold no such token.
pub fn delete_token(conn: &mut AnyConnection, actor_id: i64, id: i64) -> DbResult<bool> {
    let n = diesel::delete(
        api_tokens::table
            .filter(api_tokens::id.eq(id))
            .filter(api_tokens::actor_id.eq(actor_id)),
    )
    .execute(conn)?;
    Ok(n > 0)
}

pub fn delete_tokens_named(conn: &mut AnyConnection, actor_id: i64, name: &str) -> DbResult<()> {
    diesel::delete(
        api_tokens::table
            .filter(api_tokens::actor_id.eq(actor_id))
            .filter(api_tokens::name.eq(name)),
    )
    .execute(conn)?;
    Ok(())
}

pub fn touch_token(conn: &mut AnyConnection, id: i64, at: NaiveDateTime) -> DbResult<()> {
    diesel::update(api_tokens::table.find(id))
        .set(api_tokens::last_used_at.eq(at))
        .execute(conn)?;
    Ok(())
}

pub fn insert_session(conn: &mut AnyConnection, session: &NewSession) -> DbResult<SessionRow> {
    diesel::insert_into(sessions::table)
        .values(session)
        .execute(conn)?;
    Ok(sessions::table
        .filter(sessions::token_hash.eq(&session.token_hash))
        .select(SessionRow::as_select())
        .first(conn)?)
}

pub fn session_by_hash(
    conn: &mut AnyConnection,
    hash: &str,
) -> DbResult<Option<(SessionRow, ActorRow, LocalUserRow)>> {
    Ok(sessions::table
        .inner_join(actors::table.inner_join(local_users::table))
        .filter(sessions::token_hash.eq(hash))
        .select((
            SessionRow::as_select(),
            ActorRow::as_select(),
            LocalUserRow::as_select(),
        ))
        .first(conn)
        .optional()?)
}

pub fn touch_session(
    conn: &mut AnyConnection,
    id: i64,
    seen: NaiveDateTime,
    expires: NaiveDateTime,
) -> DbResult<()> {
    diesel::update(sessions::table.find(id))
        .set((
            sessions::last_seen_at.eq(seen),
            sessions::expires_at.eq(expires),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn delete_session(conn: &mut AnyConnection, hash: &str) -> DbResult<()> {
    diesel::delete(sessions::table.filter(sessions::token_hash.eq(hash))).execute(conn)?;
    Ok(())
}

/// Ends every session of a person (a password change, a suspension).
pub fn delete_sessions_of(conn: &mut AnyConnection, actor_id: i64) -> DbResult<()> {
    diesel::delete(sessions::table.filter(sessions::actor_id.eq(actor_id))).execute(conn)?;
    Ok(())
}

/// Records a failed log-in against each subject, dropping records older than `forget`.
pub fn record_failure(
    conn: &mut AnyConnection,
    subjects: &[String],
    at: NaiveDateTime,
    forget: NaiveDateTime,
) -> DbResult<()> {
    diesel::delete(login_failures::table.filter(login_failures::failed_at.lt(forget)))
        .execute(conn)?;
    for subject in subjects {
        diesel::insert_into(login_failures::table)
            .values((
                login_failures::subject.eq(subject),
                login_failures::failed_at.eq(at),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Failed log-ins against `subject` since `since`, and the oldest of them.
pub fn failures_since(
    conn: &mut AnyConnection,
    subject: &str,
    since: NaiveDateTime,
) -> DbResult<(i64, Option<NaiveDateTime>)> {
    let query = login_failures::table
        .filter(login_failures::subject.eq(subject))
        .filter(login_failures::failed_at.ge(since));
    let count = query.count().get_result(conn)?;
    let oldest = query
        .select(diesel::dsl::min(login_failures::failed_at))
        .first(conn)?;
    Ok((count, oldest))
}

pub fn clear_failures(conn: &mut AnyConnection, subject: &str) -> DbResult<()> {
    diesel::delete(login_failures::table.filter(login_failures::subject.eq(subject)))
        .execute(conn)?;
    Ok(())
}

pub fn setting(conn: &mut AnyConnection, name: &str) -> DbResult<Option<String>> {
    Ok(instance_settings::table
        .find(name)
        .select(instance_settings::value)
        .first(conn)
        .optional()?)
}

pub fn set_setting(conn: &mut AnyConnection, name: &str, value: &str) -> DbResult<()> {
    with_backend!(conn, c => diesel::insert_into(instance_settings::table)
        .values((instance_settings::name.eq(name), instance_settings::value.eq(value)))
        .on_conflict(instance_settings::name)
        .do_update()
        .set(instance_settings::value.eq(value))
        .execute(c)?);
    Ok(())
}

pub fn insert_invitation(
    conn: &mut AnyConnection,
    invitation: &NewInvitation,
) -> DbResult<InvitationRow> {
    diesel::insert_into(invitations::table)
        .values(invitation)
        .execute(conn)?;
    Ok(invitations::table
        .filter(invitations::code_hash.eq(&invitation.code_hash))
        .select(InvitationRow::as_select())
        .first(conn)?)
}

pub fn invitation_by_hash(conn: &mut AnyConnection, hash: &str) -> DbResult<Option<InvitationRow>> {
    Ok(invitations::table
        .filter(invitations::code_hash.eq(hash))
        .select(InvitationRow::as_select())
        .first(conn)
        .optional()?)
}

/// Counts one use of an invitation, unless it is used up (checked in the same statement,
/// so two people cannot both take the last use). False when nothing was left.
pub fn use_invitation(conn: &mut AnyConnection, id: i64) -> DbResult<bool> {
    let n = diesel::update(
        invitations::table.filter(invitations::id.eq(id)).filter(
            invitations::max_uses
                .is_null()
                .or(invitations::uses.lt(invitations::max_uses.assume_not_null())),
        ),
    )
    .set(invitations::uses.eq(invitations::uses + 1))
    .execute(conn)?;
    Ok(n > 0)
}
