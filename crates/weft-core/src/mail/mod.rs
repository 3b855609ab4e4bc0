//! Mail a person receives: the address confirmation, password reset, requests to join for
//! a community's leads, and the weekly digest. Each is rendered here (a text and an HTML
//! part, from `templates/`) and written as a mail job in the transaction of the change
//! that causes it; the mail worker (`weft-mail`) sends the jobs over SMTP.
//!
//! Whom Weft mails is decided in [`crate::rules`]: the confirmation and reset mails go to
//! the address an account gave; the others only to confirmed addresses.

pub mod account;
pub mod digest;
mod templates;

use crate::{CoreResult, Urls, auth, rules};
use chrono::{NaiveDateTime, TimeDelta};
use weft_db::AnyConnection;
use weft_db::mail::{NewMailJob, NewMailToken, mail_kind, token_purpose};
use weft_db::models::ActorRow;

pub use templates::render;

/// A confirmation link works this long.
pub const CONFIRM_LIFETIME: TimeDelta = TimeDelta::hours(48);
/// A password reset code works this long.
pub const RESET_LIFETIME: TimeDelta = TimeDelta::hours(1);
/// A digest's unsubscribe link works this long (several digests' worth).
pub const UNSUBSCRIBE_LIFETIME: TimeDelta = TimeDelta::days(60);

/// One rendered mail, ready to queue.
pub struct Outgoing {
    pub kind: &'static str,
    pub to: String,
    pub actor_id: Option<i64>,
    pub subject: String,
    pub text: String,
    pub html: String,
    pub unsubscribe: Option<String>,
}

/// Queues a mail (in the caller's transaction): the mail worker sends it.
pub fn queue(conn: &mut AnyConnection, mail: Outgoing) -> CoreResult<()> {
    let now = weft_db::now();
    weft_db::mail::insert_job(
        conn,
        &NewMailJob {
            kind: mail.kind.to_string(),
            to_address: mail.to,
            actor_id: mail.actor_id,
            subject: mail.subject,
            text_body: mail.text,
            html_body: mail.html,
            unsubscribe_url: mail.unsubscribe,
            next_attempt_at: now,
            created_at: now,
        },
    )?;
    Ok(())
}

/// Makes a token for `purpose`, stored hashed; returns the secret (it goes in the mail).
pub(crate) fn new_token(
    conn: &mut AnyConnection,
    purpose: &str,
    actor_id: i64,
    email: &str,
    lifetime: TimeDelta,
) -> CoreResult<String> {
    let secret = auth::new_secret();
    let now = weft_db::now();
    weft_db::mail::insert_token(
        conn,
        &NewMailToken {
            token_hash: auth::hash_secret(&secret),
            purpose: purpose.to_string(),
            actor_id,
            email: email.to_string(),
            created_at: now,
            expires_at: Some(now + lifetime),
        },
    )?;
    Ok(secret)
}

/// Tells the leads of local `community` that `person` asks to join it: one mail to each
/// lead whose address is confirmed.
pub fn join_request(
    conn: &mut AnyConnection,
    urls: &Urls,
    community: &ActorRow,
    person: &ActorRow,
) -> CoreResult<()> {
    for (lead, account, confirmed) in weft_db::mail::leads_with_accounts(conn, community.id)? {
        let Some(to) = account.email.clone() else {
            continue;
        };
        if rules::may_mail(&account, confirmed).is_err() {
            continue;
        }
        let who = match &person.display_name {
            Some(name) => format!("{name} ({}@{})", person.username, person.domain),
            None => format!("{}@{}", person.username, person.domain),
        };
        let title = community
            .display_name
            .clone()
            .unwrap_or_else(|| community.username.clone());
        let context = minijinja::context! {
            lead => lead.username,
            who => who,
            profile => person.ap_id,
            community => title,
            requests => urls.base().join(&format!(
                "api/v1/communities/{}/requests", community.username
            )).map(|u| u.to_string()).unwrap_or_default(),
            instance => urls.domain(),
        };
        let (text, html) = render("join_request", &context)?;
        queue(
            conn,
            Outgoing {
                kind: mail_kind::JOIN_REQUEST,
                to,
                actor_id: Some(lead.id),
                subject: format!("{who} asks to join {title}"),
                text,
                html,
                unsubscribe: None,
            },
        )?;
    }
    Ok(())
}

/// When a token of `purpose` is refused: unknown, used, expired, or for an address the
/// account no longer has.
fn check_token(
    row: Option<weft_db::mail::MailTokenRow>,
    what: &str,
    now: NaiveDateTime,
) -> CoreResult<weft_db::mail::MailTokenRow> {
    let row = row.ok_or_else(|| crate::CoreError::Forbidden(format!("the {what} is not valid")))?;
    if row.used_at.is_some() && row.purpose != token_purpose::UNSUBSCRIBE {
        return Err(crate::CoreError::Forbidden(format!(
            "the {what} has been used already"
        )));
    }
    if row.expires_at.is_some_and(|e| e <= now) {
        return Err(crate::CoreError::Forbidden(format!(
            "the {what} has expired"
        )));
    }
    Ok(row)
}
