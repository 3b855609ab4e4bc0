//! Mail: the job queue the mail worker sends from (claimed with leases), single-use mail
//! tokens, each account's mail settings (confirmed address, digest), and what a weekly
//! digest reads.

use crate::models::*;
use crate::schema::*;
use crate::{AnyConnection, DbResult, with_backend};
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// What a mail job is.
pub mod mail_kind {
    pub const CONFIRM: &str = "confirm";
    pub const RESET: &str = "reset";
    pub const JOIN_REQUEST: &str = "join_request";
    pub const DIGEST: &str = "digest";
}

/// Where a mail job is.
pub mod mail_status {
    pub const QUEUED: &str = "queued";
    pub const SENT: &str = "sent";
    /// Refused for good by the mail server (a 5xx), or given up after many tries.
    pub const FAILED: &str = "failed";
}

/// What a mail token lets its holder do, once.
pub mod token_purpose {
    pub const CONFIRM: &str = "confirm";
    pub const RESET: &str = "reset";
    /// Stop the weekly digest (reusable: unsubscribing twice changes nothing).
    pub const UNSUBSCRIBE: &str = "unsubscribe";
}

#[derive(Queryable, Selectable, Debug, Clone)]
#[diesel(table_name = mail_jobs)]
pub struct MailJobRow {
    pub id: i64,
    pub kind: String,
    pub to_address: String,
    pub actor_id: Option<i64>,
    pub subject: String,
    pub text_body: String,
    pub html_body: String,
    pub unsubscribe_url: Option<String>,
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: NaiveDateTime,
    pub lease_owner: Option<String>,
    pub lease_until: Option<NaiveDateTime>,
    pub last_error: Option<String>,
    pub created_at: NaiveDateTime,
    pub sent_at: Option<NaiveDateTime>,
}

#[derive(Insertable, Debug, Clone)]
#[diesel(table_name = mail_jobs)]
pub struct NewMailJob {
    pub kind: String,
    pub to_address: String,
    pub actor_id: Option<i64>,
    pub subject: String,
    pub text_body: String,
    pub html_body: String,
    pub unsubscribe_url: Option<String>,
    pub next_attempt_at: NaiveDateTime,
    pub created_at: NaiveDateTime,
}

#[derive(Queryable, Selectable, Debug, Clone)]
#[diesel(table_name = mail_tokens)]
pub struct MailTokenRow {
    pub id: i64,
    pub token_hash: String,
    pub purpose: String,
    pub actor_id: i64,
    pub email: String,
    pub created_at: NaiveDateTime,
    pub expires_at: Option<NaiveDateTime>,
    pub used_at: Option<NaiveDateTime>,
}

#[derive(Insertable, Debug, Clone)]
#[diesel(table_name = mail_tokens)]
pub struct NewMailToken {
    pub token_hash: String,
    pub purpose: String,
    pub actor_id: i64,
    pub email: String,
    pub created_at: NaiveDateTime,
    pub expires_at: Option<NaiveDateTime>,
}

#[derive(Queryable, Selectable, Debug, Clone, Default)]
#[diesel(table_name = account_mail)]
pub struct AccountMailRow {
    pub actor_id: i64,
    pub email_confirmed_at: Option<NaiveDateTime>,
    pub digest: bool,
    pub digest_last_at: Option<NaiveDateTime>,
}

pub fn insert_job(conn: &mut AnyConnection, job: &NewMailJob) -> DbResult<()> {
    diesel::insert_into(mail_jobs::table)
        .values(job)
        .execute(conn)?;
    Ok(())
}

/// Claims up to `limit` due jobs for `owner` until `lease_until`: queued, due, and not
/// leased to a live worker. PostgreSQL skips rows another process is claiming at the same
/// moment (`FOR UPDATE SKIP LOCKED`); SQLite has one writer at a time.
pub fn claim(
    conn: &mut AnyConnection,
    now: NaiveDateTime,
    owner: &str,
    lease_until: NaiveDateTime,
    limit: i64,
) -> DbResult<Vec<MailJobRow>> {
    let due = || {
        mail_jobs::table
            .filter(mail_jobs::status.eq(mail_status::QUEUED))
            .filter(mail_jobs::next_attempt_at.le(now))
            .filter(
                mail_jobs::lease_until
                    .is_null()
                    .or(mail_jobs::lease_until.lt(now)),
            )
            .order(mail_jobs::id.asc())
            .limit(limit)
            .select(mail_jobs::id)
    };
    let ids: Vec<i64> = match conn {
        AnyConnection::Postgresql(c) => due().for_update().skip_locked().load(c)?,
        AnyConnection::Sqlite(c) => due().load(c)?,
    };
    if ids.is_empty() {
        return Ok(vec![]);
    }
    diesel::update(mail_jobs::table.filter(mail_jobs::id.eq_any(&ids)))
        .set((
            mail_jobs::lease_owner.eq(Some(owner)),
            mail_jobs::lease_until.eq(Some(lease_until)),
        ))
        .execute(conn)?;
    Ok(mail_jobs::table
        .filter(mail_jobs::id.eq_any(&ids))
        .order(mail_jobs::id.asc())
        .select(MailJobRow::as_select())
        .load(conn)?)
}

/// The mail server took the job: it is sent, and its parts (which may hold a single-use
/// link) are emptied.
pub fn mark_sent(conn: &mut AnyConnection, id: i64, at: NaiveDateTime) -> DbResult<()> {
    diesel::update(mail_jobs::table.find(id))
        .set((
            mail_jobs::status.eq(mail_status::SENT),
            mail_jobs::sent_at.eq(Some(at)),
            mail_jobs::text_body.eq(""),
            mail_jobs::html_body.eq(""),
            mail_jobs::attempts.eq(mail_jobs::attempts + 1),
            mail_jobs::lease_owner.eq(None::<String>),
            mail_jobs::lease_until.eq(None::<NaiveDateTime>),
            mail_jobs::last_error.eq(None::<String>),
        ))
        .execute(conn)?;
    Ok(())
}

/// A failure worth retrying: the job waits until `next`.
pub fn mark_retry(
    conn: &mut AnyConnection,
    id: i64,
    next: NaiveDateTime,
    error: &str,
) -> DbResult<()> {
    diesel::update(mail_jobs::table.find(id))
        .set((
            mail_jobs::attempts.eq(mail_jobs::attempts + 1),
            mail_jobs::next_attempt_at.eq(next),
            mail_jobs::last_error.eq(Some(error)),
            mail_jobs::lease_owner.eq(None::<String>),
            mail_jobs::lease_until.eq(None::<NaiveDateTime>),
        ))
        .execute(conn)?;
    Ok(())
}

/// Refused for good: the job stays, failed, with the reason; its parts are emptied.
pub fn mark_failed(conn: &mut AnyConnection, id: i64, error: &str) -> DbResult<()> {
    diesel::update(mail_jobs::table.find(id))
        .set((
            mail_jobs::status.eq(mail_status::FAILED),
            mail_jobs::attempts.eq(mail_jobs::attempts + 1),
            mail_jobs::last_error.eq(Some(error)),
            mail_jobs::text_body.eq(""),
            mail_jobs::html_body.eq(""),
            mail_jobs::lease_owner.eq(None::<String>),
            mail_jobs::lease_until.eq(None::<NaiveDateTime>),
        ))
        .execute(conn)?;
    Ok(())
}

/// Jobs to `address`, oldest first (what an operator or a test looks at).
pub fn jobs_to(conn: &mut AnyConnection, address: &str) -> DbResult<Vec<MailJobRow>> {
    Ok(mail_jobs::table
        .filter(mail_jobs::to_address.eq(address))
        .order(mail_jobs::id.asc())
        .select(MailJobRow::as_select())
        .load(conn)?)
}

/// How many jobs wait to be sent.
pub fn queued_count(conn: &mut AnyConnection) -> DbResult<i64> {
    Ok(mail_jobs::table
        .filter(mail_jobs::status.eq(mail_status::QUEUED))
        .count()
        .get_result(conn)?)
}

pub fn insert_token(conn: &mut AnyConnection, token: &NewMailToken) -> DbResult<()> {
    diesel::insert_into(mail_tokens::table)
        .values(token)
        .execute(conn)?;
    Ok(())
}

pub fn token_by_hash(
    conn: &mut AnyConnection,
    purpose: &str,
    hash: &str,
) -> DbResult<Option<MailTokenRow>> {
    Ok(mail_tokens::table
        .filter(mail_tokens::token_hash.eq(hash))
        .filter(mail_tokens::purpose.eq(purpose))
        .select(MailTokenRow::as_select())
        .first(conn)
        .optional()?)
}

/// The person's unsubscribe token's row, if one was made.
pub fn token_of(
    conn: &mut AnyConnection,
    actor_id: i64,
    purpose: &str,
) -> DbResult<Option<MailTokenRow>> {
    Ok(mail_tokens::table
        .filter(mail_tokens::actor_id.eq(actor_id))
        .filter(mail_tokens::purpose.eq(purpose))
        .order(mail_tokens::id.desc())
        .select(MailTokenRow::as_select())
        .first(conn)
        .optional()?)
}

/// Uses a token, unless it was used already (checked in the same statement, so two
/// requests cannot both use it). False when it had been used.
pub fn use_token(conn: &mut AnyConnection, id: i64, at: NaiveDateTime) -> DbResult<bool> {
    let n = diesel::update(
        mail_tokens::table
            .filter(mail_tokens::id.eq(id))
            .filter(mail_tokens::used_at.is_null()),
    )
    .set(mail_tokens::used_at.eq(Some(at)))
    .execute(conn)?;
    Ok(n > 0)
}

/// Voids a person's unused tokens of one purpose (a password was reset: older reset
/// links stop working).
pub fn void_tokens(
    conn: &mut AnyConnection,
    actor_id: i64,
    purpose: &str,
    at: NaiveDateTime,
) -> DbResult<()> {
    diesel::update(
        mail_tokens::table
            .filter(mail_tokens::actor_id.eq(actor_id))
            .filter(mail_tokens::purpose.eq(purpose))
            .filter(mail_tokens::used_at.is_null()),
    )
    .set(mail_tokens::used_at.eq(Some(at)))
    .execute(conn)?;
    Ok(())
}

/// A person's mail settings (all off when never set).
pub fn settings(conn: &mut AnyConnection, actor_id: i64) -> DbResult<AccountMailRow> {
    Ok(account_mail::table
        .find(actor_id)
        .select(AccountMailRow::as_select())
        .first(conn)
        .optional()?
        .unwrap_or(AccountMailRow {
            actor_id,
            ..Default::default()
        }))
}

fn ensure_settings(conn: &mut AnyConnection, actor_id: i64) -> DbResult<()> {
    with_backend!(conn, c => diesel::insert_into(account_mail::table)
        .values(account_mail::actor_id.eq(actor_id))
        .on_conflict_do_nothing()
        .execute(c)?);
    Ok(())
}

pub fn set_confirmed(conn: &mut AnyConnection, actor_id: i64, at: NaiveDateTime) -> DbResult<()> {
    ensure_settings(conn, actor_id)?;
    diesel::update(account_mail::table.find(actor_id))
        .set(account_mail::email_confirmed_at.eq(Some(at)))
        .execute(conn)?;
    Ok(())
}

pub fn set_digest(conn: &mut AnyConnection, actor_id: i64, on: bool) -> DbResult<()> {
    ensure_settings(conn, actor_id)?;
    diesel::update(account_mail::table.find(actor_id))
        .set(account_mail::digest.eq(on))
        .execute(conn)?;
    Ok(())
}

/// Takes a person's due digest: records `at` as its time unless another process made it
/// meanwhile (one conditional update; on PostgreSQL a concurrent one waits for this one's
/// commit and then finds the digest no longer due). False when it was taken.
pub fn take_digest(
    conn: &mut AnyConnection,
    actor_id: i64,
    before: NaiveDateTime,
    at: NaiveDateTime,
) -> DbResult<bool> {
    let n = diesel::update(
        account_mail::table.find(actor_id).filter(
            account_mail::digest_last_at
                .is_null()
                .or(account_mail::digest_last_at.le(before)),
        ),
    )
    .set(account_mail::digest_last_at.eq(Some(at)))
    .execute(conn)?;
    Ok(n > 0)
}

/// People whose digest is due (opted in, address confirmed, active, none made since
/// `before`), with their accounts.
pub fn digests_due(
    conn: &mut AnyConnection,
    before: NaiveDateTime,
    limit: i64,
) -> DbResult<Vec<(ActorRow, LocalUserRow, AccountMailRow)>> {
    Ok(account_mail::table
        .inner_join(actors::table.inner_join(local_users::table))
        .filter(account_mail::digest)
        .filter(account_mail::email_confirmed_at.is_not_null())
        .filter(
            account_mail::digest_last_at
                .is_null()
                .or(account_mail::digest_last_at.le(before)),
        )
        .filter(local_users::status.eq(account_status::ACTIVE))
        .order(account_mail::actor_id.asc())
        .limit(limit)
        .select((
            ActorRow::as_select(),
            LocalUserRow::as_select(),
            AccountMailRow::as_select(),
        ))
        .load(conn)?)
}

/// The local communities `person_id` is a member of.
pub fn communities_of(conn: &mut AnyConnection, person_id: i64) -> DbResult<Vec<ActorRow>> {
    Ok(memberships::table
        .inner_join(actors::table.on(actors::id.eq(memberships::community_id)))
        .filter(memberships::person_id.eq(person_id))
        .filter(actors::is_local)
        .order(actors::username.asc())
        .select(ActorRow::as_select())
        .load(conn)?)
}

/// Threads placed in `community_id` in (since, until], newest first (at most `limit`).
pub fn new_threads(
    conn: &mut AnyConnection,
    community_id: i64,
    since: NaiveDateTime,
    until: NaiveDateTime,
    limit: i64,
) -> DbResult<Vec<ItemRow>> {
    Ok(placements::table
        .inner_join(items::table)
        .filter(placements::community_id.eq(community_id))
        .filter(placements::placed_at.gt(since))
        .filter(placements::placed_at.le(until))
        .filter(items::kind.eq(ItemKind::Post.as_str()))
        .filter(items::in_reply_to_id.is_null())
        .filter(items::deleted_at.is_null())
        .order(placements::placed_at.desc())
        .limit(limit)
        .select(ItemRow::as_select())
        .load(conn)?)
}

/// Threads of `community_id` whose first reply came in (since, until]: questions that
/// found an answer.
pub fn newly_answered(
    conn: &mut AnyConnection,
    community_id: i64,
    since: NaiveDateTime,
    until: NaiveDateTime,
    limit: i64,
) -> DbResult<Vec<ItemRow>> {
    let threads = placements::table
        .filter(placements::community_id.eq(community_id))
        .select(placements::item_id.nullable());
    let with_new_replies: Vec<Option<i64>> = items::table
        .filter(items::thread_root_id.eq_any(threads))
        .filter(items::in_reply_to_id.is_not_null())
        .filter(items::deleted_at.is_null())
        .filter(items::published_at.gt(since))
        .filter(items::published_at.le(until))
        .select(items::thread_root_id)
        .distinct()
        .load(conn)?;
    let ids: Vec<i64> = with_new_replies.into_iter().flatten().collect();
    if ids.is_empty() {
        return Ok(vec![]);
    }
    let answered_before: Vec<Option<i64>> = items::table
        .filter(items::thread_root_id.eq_any(&ids))
        .filter(items::in_reply_to_id.is_not_null())
        .filter(items::deleted_at.is_null())
        .filter(items::published_at.le(since))
        .select(items::thread_root_id)
        .distinct()
        .load(conn)?;
    let ids: Vec<i64> = ids
        .into_iter()
        .filter(|id| !answered_before.contains(&Some(*id)))
        .collect();
    Ok(items::table
        .filter(items::id.eq_any(&ids))
        .filter(items::deleted_at.is_null())
        .order(items::published_at.desc())
        .limit(limit)
        .select(ItemRow::as_select())
        .load(conn)?)
}

/// Events of `community_id` starting in [from, to), soonest first, with their start.
pub fn upcoming_events(
    conn: &mut AnyConnection,
    community_id: i64,
    from: NaiveDateTime,
    to: NaiveDateTime,
    limit: i64,
) -> DbResult<Vec<(ItemRow, NaiveDateTime)>> {
    Ok(placements::table
        .inner_join(items::table.inner_join(events::table))
        .filter(placements::community_id.eq(community_id))
        .filter(events::starts_at.ge(from))
        .filter(events::starts_at.lt(to))
        .filter(items::deleted_at.is_null())
        .order(events::starts_at.asc())
        .limit(limit)
        .select((ItemRow::as_select(), events::starts_at))
        .load(conn)?)
}

/// People who became members of `community_id` in (since, until], other than `except`.
pub fn new_members(
    conn: &mut AnyConnection,
    community_id: i64,
    except: i64,
    since: NaiveDateTime,
    until: NaiveDateTime,
    limit: i64,
) -> DbResult<Vec<ActorRow>> {
    Ok(memberships::table
        .inner_join(actors::table.on(actors::id.eq(memberships::person_id)))
        .filter(memberships::community_id.eq(community_id))
        .filter(memberships::person_id.ne(except))
        .filter(memberships::created_at.gt(since))
        .filter(memberships::created_at.le(until))
        .order(memberships::created_at.asc())
        .limit(limit)
        .select(ActorRow::as_select())
        .load(conn)?)
}

/// A community's leads (not facilitators) with a local account, their accounts and mail
/// settings: who hears of a request to join.
pub fn leads_with_accounts(
    conn: &mut AnyConnection,
    community_id: i64,
) -> DbResult<Vec<(ActorRow, LocalUserRow, Option<NaiveDateTime>)>> {
    Ok(memberships::table
        .inner_join(actors::table.on(actors::id.eq(memberships::person_id)))
        .inner_join(local_users::table.on(local_users::actor_id.eq(actors::id)))
        .left_join(account_mail::table.on(account_mail::actor_id.eq(actors::id)))
        .filter(memberships::community_id.eq(community_id))
        .filter(memberships::role.eq(role::LEAD))
        .order(memberships::created_at.asc())
        .select((
            ActorRow::as_select(),
            LocalUserRow::as_select(),
            account_mail::email_confirmed_at.nullable(),
        ))
        .load(conn)?)
}
