//! Who is asking: passwords (argon2id), log-in with limits on guessing, API tokens
//! (several per person, named, optionally expiring) and browser sessions. Every secret
//! is stored as a hash; a token or session is shown once, when it is made.

use crate::{CoreError, CoreResult};
use argon2::Argon2;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use base64::Engine;
use chrono::{NaiveDateTime, TimeDelta};
use rand::RngCore;
use sha2::{Digest, Sha256};
use weft_db::models::*;
use weft_db::{AnyConnection, Db};

/// Failed log-ins to one account, within [`FAILURE_WINDOW`], after which it is refused
/// until the oldest failure leaves the window.
pub const MAX_FAILURES_PER_ACCOUNT: i64 = 5;
/// Failed log-ins from one address (any accounts) within the window.
pub const MAX_FAILURES_PER_ADDRESS: i64 = 20;
pub const FAILURE_WINDOW: TimeDelta = TimeDelta::minutes(15);
/// A session lasts this long after it was last used.
pub const SESSION_LIFETIME: TimeDelta = TimeDelta::days(14);
/// The name of the token `weft user create` and `weft user token` print.
pub const COMMAND_LINE_TOKEN: &str = "command line";

/// The stored form of a token or session secret: its SHA-256, in lower-case hex.
pub fn hash_secret(secret: &str) -> String {
    format!("{:x}", Sha256::digest(secret.as_bytes()))
}

/// A new random secret (256 bits, URL-safe base64).
pub(crate) fn new_secret() -> String {
    let mut secret = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut secret);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(secret)
}

/// Refuses passwords that are easy to guess: shorter than 10 characters, longer than
/// 1,000, the username itself, or one character repeated.
pub fn check_password(password: &str, username: &str) -> CoreResult<()> {
    let chars = password.chars().count();
    if chars < 10 {
        return Err(CoreError::Invalid(
            "the password is too short: use at least 10 characters (a few words make a good one)"
                .into(),
        ));
    }
    if chars > 1000 {
        return Err(CoreError::Invalid(
            "the password is longer than 1,000 characters".into(),
        ));
    }
    let lower = password.to_lowercase();
    if lower.contains(&username.to_lowercase()) && !username.is_empty() {
        return Err(CoreError::Invalid(
            "the password must not contain the username".into(),
        ));
    }
    let mut distinct: Vec<char> = lower.chars().collect();
    distinct.sort_unstable();
    distinct.dedup();
    if distinct.len() < 4 {
        return Err(CoreError::Invalid(
            "the password is too easy to guess: use more different characters".into(),
        ));
    }
    Ok(())
}

/// An argon2id hash (PHC string) of a password. Slow on purpose: call it off the
/// async threads and outside database transactions.
pub fn hash_password(password: &str) -> String {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .expect("argon2 with default parameters")
        .to_string()
}

/// True when `password` matches the stored hash.
pub fn verify_password(hash: &str, password: &str) -> bool {
    PasswordHash::new(hash)
        .map(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

/// A hash nobody's password matches, verified in place of a missing account's so that an
/// unknown username takes as long to refuse as a wrong password.
fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash_password(&new_secret()))
}

fn wrong_login() -> CoreError {
    CoreError::Unauthorized("the username (or email) or the password is wrong".into())
}

fn subjects(account: &str, address: Option<&str>) -> Vec<String> {
    let mut subjects = vec![format!("account:{account}")];
    if let Some(address) = address {
        subjects.push(format!("address:{address}"));
    }
    subjects
}

/// Refuses when an account or an address has failed too often lately.
fn check_limits(
    conn: &mut AnyConnection,
    account: &str,
    address: Option<&str>,
    now: NaiveDateTime,
) -> CoreResult<()> {
    let since = now - FAILURE_WINDOW;
    for (subject, (limit, what)) in subjects(account, address).into_iter().zip([
        (MAX_FAILURES_PER_ACCOUNT, "this account"),
        (MAX_FAILURES_PER_ADDRESS, "your address"),
    ]) {
        let (count, oldest) = weft_db::accounts::failures_since(conn, &subject, since)?;
        if count >= limit {
            let wait = oldest
                .map(|o| (o + FAILURE_WINDOW - now).num_minutes() + 1)
                .unwrap_or(FAILURE_WINDOW.num_minutes());
            return Err(CoreError::TooMany(format!(
                "too many failed log-ins for {what}: try again in {wait} minute{}",
                if wait == 1 { "" } else { "s" }
            )));
        }
    }
    Ok(())
}

/// Checks a log-in: the limits on failures, the password (with the same work for an
/// unknown account as for a wrong password), then the account's standing. Failures are
/// recorded (and committed) before the refusal is returned. `address` is the client's
/// IP address, when known.
pub async fn log_in(
    db: &Db,
    login: &str,
    password: &str,
    address: Option<&str>,
) -> CoreResult<(ActorRow, LocalUserRow)> {
    let login = login.trim().to_lowercase();
    let address = address.map(str::to_string);
    let (l, a) = (login.clone(), address.clone());
    let (found, account_key) = db
        .read(move |c| -> CoreResult<_> {
            let found = weft_db::accounts::by_login(c, &l)?;
            // Failures count against the account, however it was named (username or
            // email); against the name given when there is no such account.
            let key = found
                .as_ref()
                .map(|(actor, _)| actor.username.clone())
                .unwrap_or(l);
            check_limits(c, &key, a.as_deref(), weft_db::now())?;
            Ok((found, key))
        })
        .await?;
    let hash = found
        .as_ref()
        .and_then(|(_, account)| account.password_hash.clone());
    let password = password.to_string();
    let matches = tokio::task::spawn_blocking(move || match hash {
        Some(hash) => verify_password(&hash, &password),
        None => {
            verify_password(dummy_hash(), &password);
            false
        }
    })
    .await
    .unwrap_or(false);
    let subjects = subjects(&account_key, address.as_deref());
    if !matches {
        db.write(move |c| -> CoreResult<()> {
            let now = weft_db::now();
            weft_db::accounts::record_failure(c, &subjects, now, now - FAILURE_WINDOW)?;
            Ok(())
        })
        .await?;
        return Err(wrong_login());
    }
    let (actor, account) = found.expect("a matching password has an account");
    check_standing(&account)?;
    db.write(move |c| -> CoreResult<()> {
        weft_db::accounts::clear_failures(c, &subjects[0])?;
        Ok(())
    })
    .await?;
    Ok((actor, account))
}

/// Refuses accounts that may not act: awaiting approval, rejected, suspended.
pub fn check_standing(account: &LocalUserRow) -> CoreResult<()> {
    match account.status.as_str() {
        account_status::ACTIVE => Ok(()),
        account_status::PENDING => Err(CoreError::Forbidden(
            "your registration is waiting for an administrator's approval".into(),
        )),
        account_status::REJECTED => Err(CoreError::Forbidden(
            "your registration was not approved".into(),
        )),
        _ => Err(CoreError::Forbidden("this account is suspended".into())),
    }
}

/// Makes a named API token for `actor`; returns its row and the token (shown once).
pub fn create_token(
    conn: &mut AnyConnection,
    actor: &ActorRow,
    name: &str,
    expires_at: Option<NaiveDateTime>,
) -> CoreResult<(ApiTokenRow, String)> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(CoreError::Invalid(
            "a token needs a name of 1 to 100 characters (say where it is used)".into(),
        ));
    }
    let now = weft_db::now();
    if expires_at.is_some_and(|e| e <= now) {
        return Err(CoreError::Invalid("expires_at is in the past".into()));
    }
    let secret = new_secret();
    let row = weft_db::accounts::insert_token(
        conn,
        &NewApiToken {
            actor_id: actor.id,
            name: name.to_string(),
            token_hash: hash_secret(&secret),
            created_at: now,
            expires_at,
        },
    )?;
    Ok((row, secret))
}

/// The person an API token belongs to, and the token's row; refuses unknown, expired
/// and revoked tokens and accounts that may not act.
pub fn authenticate(conn: &mut AnyConnection, token: &str) -> CoreResult<(ActorRow, ApiTokenRow)> {
    let (row, actor, account) = weft_db::accounts::token_by_hash(conn, &hash_secret(token))?
        .ok_or_else(|| CoreError::Unauthorized("the API token is not valid".into()))?;
    if row.expires_at.is_some_and(|e| e <= weft_db::now()) {
        return Err(CoreError::Unauthorized(format!(
            "the API token {:?} has expired: make a new one",
            row.name
        )));
    }
    check_standing(&account)?;
    Ok((actor, row))
}

/// Notes that a token was used, at most once every ten minutes (a write per request
/// would cost more than the request).
pub fn token_used(conn: &mut AnyConnection, token: &ApiTokenRow) -> CoreResult<()> {
    let now = weft_db::now();
    if token
        .last_used_at
        .is_none_or(|at| now - at > TimeDelta::minutes(10))
    {
        weft_db::accounts::touch_token(conn, token.id, now)?;
    }
    Ok(())
}

/// The actor's own tokens, oldest first, after the token `after`.
pub fn tokens(
    conn: &mut AnyConnection,
    actor: &ActorRow,
    after: Option<i64>,
    limit: i64,
) -> CoreResult<Vec<ApiTokenRow>> {
    Ok(weft_db::accounts::tokens_of(conn, actor.id, after, limit)?)
}

/// Revokes one of the actor's own tokens.
pub fn revoke_token(conn: &mut AnyConnection, actor: &ActorRow, id: i64) -> CoreResult<()> {
    if weft_db::accounts::delete_token(conn, actor.id, id)? {
        Ok(())
    } else {
        Err(CoreError::NotFound(format!("you have no token {id}")))
    }
}

/// Replaces the command line's token of a local person (for a lost one): the tokens
/// the command line made before stop working; tokens made through the API stay.
pub fn reset_command_line_token(
    conn: &mut AnyConnection,
    username: &str,
) -> CoreResult<(ActorRow, String)> {
    let person = crate::accounts::local_person(conn, username)?;
    weft_db::accounts::delete_tokens_named(conn, person.id, COMMAND_LINE_TOKEN)?;
    let (_, token) = create_token(conn, &person, COMMAND_LINE_TOKEN, None)?;
    Ok((person, token))
}

/// Sets a local person's password (hashed beforehand with [`hash_password`]) and ends
/// their sessions.
pub fn set_password(conn: &mut AnyConnection, username: &str, hash: &str) -> CoreResult<ActorRow> {
    let person = crate::accounts::local_person(conn, username)?;
    weft_db::accounts::set_password(conn, person.id, hash)?;
    weft_db::accounts::delete_sessions_of(conn, person.id)?;
    Ok(person)
}

/// Starts a browser session; returns it and its secret (for the cookie, shown once).
pub fn start_session(
    conn: &mut AnyConnection,
    actor: &ActorRow,
    user_agent: Option<&str>,
) -> CoreResult<(SessionRow, String)> {
    let now = weft_db::now();
    let secret = new_secret();
    let row = weft_db::accounts::insert_session(
        conn,
        &NewSession {
            actor_id: actor.id,
            token_hash: hash_secret(&secret),
            created_at: now,
            expires_at: now + SESSION_LIFETIME,
            last_seen_at: now,
            user_agent: user_agent.map(|u| u.chars().take(300).collect()),
        },
    )?;
    Ok((row, secret))
}

/// The person a session belongs to; extends the session while it is used (at most once
/// an hour, to keep reads reads).
pub fn session(conn: &mut AnyConnection, secret: &str) -> CoreResult<ActorRow> {
    let (row, actor, account) = weft_db::accounts::session_by_hash(conn, &hash_secret(secret))?
        .ok_or_else(|| CoreError::Unauthorized("you are not logged in".into()))?;
    let now = weft_db::now();
    if row.expires_at <= now {
        return Err(CoreError::Unauthorized(
            "your session has expired: log in again".into(),
        ));
    }
    check_standing(&account)?;
    if now - row.last_seen_at > TimeDelta::hours(1) {
        weft_db::accounts::touch_session(conn, row.id, now, now + SESSION_LIFETIME)?;
    }
    Ok(actor)
}

/// Ends a session (log-out). Ending an unknown one is not an error.
pub fn end_session(conn: &mut AnyConnection, secret: &str) -> CoreResult<()> {
    weft_db::accounts::delete_session(conn, &hash_secret(secret))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_hash_and_verify() {
        let hash = hash_password("correct horse battery");
        assert!(hash.starts_with("$argon2id$"), "{hash}");
        assert!(verify_password(&hash, "correct horse battery"));
        assert!(!verify_password(&hash, "correct horse battery!"));
        assert!(!verify_password("not a hash", "x"));
    }

    #[test]
    fn weak_passwords_are_refused_with_a_reason() {
        assert!(check_password("short", "alice").is_err());
        assert!(check_password("aaaaaaaaaaaa", "alice").is_err());
        assert!(check_password("alice-and-bob-2026", "alice").is_err());
        assert!(check_password("tea in the garden", "alice").is_ok());
    }
}
