//! A person's own mail: confirming their address, resetting a forgotten password, and
//! their mail settings (the weekly digest, and stopping it from a link without logging in).

use super::{CONFIRM_LIFETIME, Outgoing, RESET_LIFETIME, check_token, new_token, queue, render};
use crate::{CoreError, CoreResult, Urls, auth, rules};
use chrono::NaiveDateTime;
use weft_db::AnyConnection;
use weft_db::mail::{AccountMailRow, mail_kind, token_purpose};
use weft_db::models::*;

/// Password reset requests for one address, within [`auth::FAILURE_WINDOW`].
pub const MAX_RESETS_PER_EMAIL: i64 = 3;
/// Password reset requests from one client address (any email addresses) in the window.
pub const MAX_RESETS_PER_ADDRESS: i64 = 10;

/// Sends `person` a link that confirms `email` (registration, or asked again).
pub fn send_confirmation(
    conn: &mut AnyConnection,
    urls: &Urls,
    person: &ActorRow,
    email: &str,
) -> CoreResult<()> {
    let token = new_token(
        conn,
        token_purpose::CONFIRM,
        person.id,
        email,
        CONFIRM_LIFETIME,
    )?;
    let context = minijinja::context! {
        username => person.username,
        instance => urls.domain(),
        link => urls.confirm_email(&token).to_string(),
        hours => CONFIRM_LIFETIME.num_hours(),
    };
    let (text, html) = render("confirm", &context)?;
    queue(
        conn,
        Outgoing {
            kind: mail_kind::CONFIRM,
            to: email.to_string(),
            actor_id: Some(person.id),
            subject: format!("Confirm your address at {}", urls.domain()),
            text,
            html,
            unsubscribe: None,
        },
    )
}

/// A person asks for a new confirmation link (the first expired or went astray).
pub fn resend_confirmation(
    conn: &mut AnyConnection,
    urls: &Urls,
    person: &ActorRow,
) -> CoreResult<()> {
    let account = weft_db::accounts::local_user(conn, person.id)?
        .ok_or_else(|| CoreError::NotFound("you have no account here".into()))?;
    let email = account
        .email
        .ok_or_else(|| CoreError::Invalid("your account has no email address to confirm".into()))?;
    if weft_db::mail::settings(conn, person.id)?
        .email_confirmed_at
        .is_some()
    {
        return Err(CoreError::Conflict(format!("{email} is confirmed already")));
    }
    send_confirmation(conn, urls, person, &email)
}

/// Confirms an address with the token from a confirmation mail; returns the person, the
/// address and when it was confirmed.
pub fn confirm(
    conn: &mut AnyConnection,
    token: &str,
) -> CoreResult<(ActorRow, String, NaiveDateTime)> {
    let now = weft_db::now();
    let what = "confirmation link";
    let row = check_token(
        weft_db::mail::token_by_hash(
            conn,
            token_purpose::CONFIRM,
            &auth::hash_secret(token.trim()),
        )?,
        what,
        now,
    )?;
    let account = weft_db::accounts::local_user(conn, row.actor_id)?
        .filter(|a| a.email.as_deref() == Some(row.email.as_str()))
        .ok_or_else(|| CoreError::Forbidden(format!("the {what} is not valid")))?;
    if !weft_db::mail::use_token(conn, row.id, now)? {
        return Err(CoreError::Forbidden(format!(
            "the {what} has been used already"
        )));
    }
    weft_db::mail::set_confirmed(conn, row.actor_id, now)?;
    let person = weft_db::actors::by_id(conn, account.actor_id)?;
    Ok((person, row.email, now))
}

/// Someone asks for a password reset for `email`. The answer is the same whether or not
/// an account has that address (only the limits on asking can refuse, and they count
/// unknown addresses alike); a mail is queued only for an account that may act.
pub fn request_reset(
    conn: &mut AnyConnection,
    urls: &Urls,
    email: &str,
    address: Option<&str>,
) -> CoreResult<()> {
    let email = crate::registration::normalise_email(email)?;
    let now = weft_db::now();
    let since = now - auth::FAILURE_WINDOW;
    let mut subjects = vec![(format!("reset:{email}"), MAX_RESETS_PER_EMAIL)];
    if let Some(address) = address {
        subjects.push((format!("reset-from:{address}"), MAX_RESETS_PER_ADDRESS));
    }
    for (subject, limit) in &subjects {
        let (count, _) = weft_db::accounts::failures_since(conn, subject, since)?;
        if count >= *limit {
            return Err(CoreError::TooMany(format!(
                "too many password resets asked lately: try again in {} minutes",
                auth::FAILURE_WINDOW.num_minutes()
            )));
        }
    }
    let names: Vec<String> = subjects.into_iter().map(|(s, _)| s).collect();
    weft_db::accounts::record_failure(conn, &names, now, since)?;
    let Some((person, account)) = weft_db::accounts::by_login(conn, &email)? else {
        return Ok(());
    };
    if auth::check_standing(&account).is_err() {
        return Ok(());
    }
    let token = new_token(
        conn,
        token_purpose::RESET,
        person.id,
        &email,
        RESET_LIFETIME,
    )?;
    let context = minijinja::context! {
        username => person.username,
        instance => urls.domain(),
        token => token,
        minutes => RESET_LIFETIME.num_minutes(),
    };
    let (text, html) = render("reset", &context)?;
    queue(
        conn,
        Outgoing {
            kind: mail_kind::RESET,
            to: email,
            actor_id: Some(person.id),
            subject: format!("Reset your password at {}", urls.domain()),
            text,
            html,
            unsubscribe: None,
        },
    )
}

/// The person a reset code is for, without using it (the new password is checked against
/// their username, and hashed, before [`reset_password`]).
pub fn reset_holder(conn: &mut AnyConnection, token: &str) -> CoreResult<ActorRow> {
    let row = reset_token(conn, token)?;
    Ok(weft_db::actors::by_id(conn, row.actor_id)?)
}

fn reset_token(conn: &mut AnyConnection, token: &str) -> CoreResult<weft_db::mail::MailTokenRow> {
    let what = "password reset code";
    let row = check_token(
        weft_db::mail::token_by_hash(conn, token_purpose::RESET, &auth::hash_secret(token.trim()))?,
        what,
        weft_db::now(),
    )?;
    let account = weft_db::accounts::local_user(conn, row.actor_id)?
        .filter(|a| a.email.as_deref() == Some(row.email.as_str()))
        .ok_or_else(|| CoreError::Forbidden(format!("the {what} is not valid")))?;
    auth::check_standing(&account)?;
    Ok(row)
}

/// Sets a new password (hashed beforehand) with a reset code: the code and any other
/// reset codes stop working, every session ends, and the address counts as confirmed (the
/// code reached it).
pub fn reset_password(conn: &mut AnyConnection, token: &str, hash: &str) -> CoreResult<ActorRow> {
    let row = reset_token(conn, token)?;
    let now = weft_db::now();
    if !weft_db::mail::use_token(conn, row.id, now)? {
        return Err(CoreError::Forbidden(
            "the password reset code has been used already".into(),
        ));
    }
    weft_db::mail::void_tokens(conn, row.actor_id, token_purpose::RESET, now)?;
    weft_db::accounts::set_password(conn, row.actor_id, hash)?;
    weft_db::accounts::delete_sessions_of(conn, row.actor_id)?;
    if weft_db::mail::settings(conn, row.actor_id)?
        .email_confirmed_at
        .is_none()
    {
        weft_db::mail::set_confirmed(conn, row.actor_id, now)?;
    }
    Ok(weft_db::actors::by_id(conn, row.actor_id)?)
}

/// A person's address and mail settings.
pub fn settings(
    conn: &mut AnyConnection,
    person: &ActorRow,
) -> CoreResult<(Option<String>, AccountMailRow)> {
    let account = weft_db::accounts::local_user(conn, person.id)?
        .ok_or_else(|| CoreError::NotFound("you have no account here".into()))?;
    Ok((account.email, weft_db::mail::settings(conn, person.id)?))
}

/// A person turns their weekly digest on or off (on needs a confirmed address).
pub fn set_digest(
    conn: &mut AnyConnection,
    person: &ActorRow,
    on: bool,
) -> CoreResult<(Option<String>, AccountMailRow)> {
    if on {
        let (email, settings) = settings(conn, person)?;
        rules::may_have_digest(email.as_deref(), settings.email_confirmed_at)?;
    }
    weft_db::mail::set_digest(conn, person.id, on)?;
    settings(conn, person)
}

/// The person a digest's unsubscribe link is for (to show before they confirm).
pub fn unsubscribe_holder(conn: &mut AnyConnection, token: &str) -> CoreResult<ActorRow> {
    let row = check_token(
        weft_db::mail::token_by_hash(
            conn,
            token_purpose::UNSUBSCRIBE,
            &auth::hash_secret(token.trim()),
        )?,
        "unsubscribe link",
        weft_db::now(),
    )?;
    Ok(weft_db::actors::by_id(conn, row.actor_id)?)
}

/// Stops the weekly digest of the unsubscribe link's holder, without logging in (RFC 8058
/// one-click). Unsubscribing twice changes nothing.
pub fn unsubscribe(conn: &mut AnyConnection, token: &str) -> CoreResult<ActorRow> {
    let person = unsubscribe_holder(conn, token)?;
    weft_db::mail::set_digest(conn, person.id, false)?;
    Ok(person)
}
