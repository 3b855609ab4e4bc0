//! Who may join the instance: its registration policy (open, approval by an admin, or
//! invitations only), registering, an admin's decision on a waiting registration, and
//! invitations to register.

use crate::keys::KeyPair;
use crate::{CoreError, CoreResult, Urls, auth, rules};
use chrono::NaiveDateTime;
use weft_db::AnyConnection;
use weft_db::models::*;

/// How people get an account here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RegistrationPolicy {
    /// Anyone may register and use the account at once.
    Open,
    /// Anyone may apply, with a short note on why; an admin approves or rejects.
    Approval,
    /// Only holders of an invitation may register.
    Closed,
}

impl RegistrationPolicy {
    /// For a new instance: registrations wait for an admin (professional networks know
    /// who they let in).
    pub const DEFAULT: RegistrationPolicy = RegistrationPolicy::Approval;

    pub fn as_str(self) -> &'static str {
        match self {
            RegistrationPolicy::Open => "open",
            RegistrationPolicy::Approval => "approval",
            RegistrationPolicy::Closed => "closed",
        }
    }

    pub fn parse(s: &str) -> CoreResult<Self> {
        match s {
            "open" => Ok(RegistrationPolicy::Open),
            "approval" => Ok(RegistrationPolicy::Approval),
            "closed" => Ok(RegistrationPolicy::Closed),
            other => Err(CoreError::Invalid(format!(
                "{other:?} is not a registration policy: use open, approval or closed"
            ))),
        }
    }
}

const POLICY_SETTING: &str = "registration_policy";

pub fn policy(conn: &mut AnyConnection) -> CoreResult<RegistrationPolicy> {
    match weft_db::accounts::setting(conn, POLICY_SETTING)? {
        Some(value) => RegistrationPolicy::parse(&value),
        None => Ok(RegistrationPolicy::DEFAULT),
    }
}

/// An admin sets the registration policy.
pub fn set_policy(
    conn: &mut AnyConnection,
    admin: &ActorRow,
    policy: RegistrationPolicy,
) -> CoreResult<()> {
    rules::may_administer(conn, admin)?;
    store_policy(conn, policy)
}

/// Stores the registration policy (the command line, run by the instance's operator).
pub fn store_policy(conn: &mut AnyConnection, policy: RegistrationPolicy) -> CoreResult<()> {
    weft_db::accounts::set_setting(conn, POLICY_SETTING, policy.as_str())?;
    Ok(())
}

/// What a person registering gives.
pub struct Registration<'a> {
    pub username: &'a str,
    pub email: &'a str,
    /// From [`auth::hash_password`], after [`auth::check_password`] (both outside the
    /// transaction: hashing is slow).
    pub password_hash: String,
    /// Why they want to join (required where an admin approves registrations).
    pub application: Option<&'a str>,
    /// An invitation code (required where registration is closed).
    pub invitation: Option<&'a str>,
}

/// A plausible email address, lower-cased: one `@`, something on both sides, no spaces,
/// at most 254 characters. (Whether it is theirs is for a confirmation email to prove.)
pub fn normalise_email(email: &str) -> CoreResult<String> {
    let email = email.trim().to_lowercase();
    let ok = email.len() <= 254
        && !email.chars().any(char::is_whitespace)
        && matches!(email.split_once('@'), Some((local, domain))
            if !local.is_empty() && !domain.is_empty() && !domain.contains('@')
                && !domain.starts_with('.') && !domain.ends_with('.'));
    if ok {
        Ok(email)
    } else {
        Err(CoreError::Invalid(format!(
            "{email:?} is not an email address"
        )))
    }
}

/// Registers a person under the instance's policy; the account is active at once (open
/// instance, or a valid invitation) or waits for an admin (approval).
pub fn register(
    conn: &mut AnyConnection,
    urls: &Urls,
    new: &Registration,
    keys: KeyPair,
) -> CoreResult<(ActorRow, LocalUserRow)> {
    let email = normalise_email(new.email)?;
    let application = new.application.map(str::trim).filter(|a| !a.is_empty());
    if application.is_some_and(|a| a.chars().count() > 2000) {
        return Err(CoreError::Invalid(
            "the note on why you want to join is longer than 2,000 characters".into(),
        ));
    }
    let status = match (new.invitation, policy(conn)?) {
        (Some(code), _) => {
            use_invitation(conn, code, None)?;
            account_status::ACTIVE
        }
        (None, RegistrationPolicy::Open) => account_status::ACTIVE,
        (None, RegistrationPolicy::Approval) => {
            if application.is_none() {
                return Err(CoreError::Invalid(
                    "this instance's administrators approve each registration: say in a few \
                     words why you want to join (application)"
                        .into(),
                ));
            }
            account_status::PENDING
        }
        (None, RegistrationPolicy::Closed) => {
            return Err(CoreError::Forbidden(
                "this instance registers people by invitation only".into(),
            ));
        }
    };
    if weft_db::accounts::email_taken(conn, &email)? {
        return Err(CoreError::Conflict(
            "an account with that email address exists: log in, or reset its password".into(),
        ));
    }
    let actor = crate::accounts::insert_person(conn, urls, new.username, None, keys)?;
    let account = LocalUserRow {
        actor_id: actor.id,
        email: Some(email.clone()),
        password_hash: Some(new.password_hash.clone()),
        is_admin: false,
        status: status.into(),
        application: application.map(str::to_string),
        created_at: weft_db::now(),
    };
    weft_db::actors::insert_local_user(conn, &account)?;
    crate::mail::account::send_confirmation(conn, urls, &actor, &email)?;
    Ok((actor, account))
}

/// Registrations waiting for an admin, oldest first.
pub fn pending(
    conn: &mut AnyConnection,
    admin: &ActorRow,
    after: Option<i64>,
    limit: i64,
) -> CoreResult<Vec<(ActorRow, LocalUserRow)>> {
    rules::may_administer(conn, admin)?;
    Ok(weft_db::accounts::users_with_status(
        conn,
        account_status::PENDING,
        after,
        limit,
    )?)
}

/// An admin approves or rejects a waiting registration.
pub fn decide(
    conn: &mut AnyConnection,
    admin: &ActorRow,
    username: &str,
    approve: bool,
) -> CoreResult<ActorRow> {
    rules::may_administer(conn, admin)?;
    resolve(conn, username, approve)
}

/// Approves or rejects a waiting registration, for whoever may (an admin through
/// [`decide`], or the operator at the command line: `weft admin registrations`).
pub fn resolve(conn: &mut AnyConnection, username: &str, approve: bool) -> CoreResult<ActorRow> {
    let person = crate::accounts::local_person(conn, username)?;
    let account = weft_db::accounts::local_user(conn, person.id)?
        .ok_or_else(|| CoreError::NotFound(format!("{username} has no account here")))?;
    if account.status != account_status::PENDING {
        return Err(CoreError::Conflict(format!(
            "{username}'s account is {}, not waiting for approval",
            account.status
        )));
    }
    let status = if approve {
        account_status::ACTIVE
    } else {
        account_status::REJECTED
    };
    weft_db::accounts::set_status(conn, person.id, status)?;
    Ok(person)
}

/// An admin makes an invitation to register: usable `max_uses` times (unlimited when
/// none) until `expires_at`. Returns the row and the code (shown once).
pub fn invite(
    conn: &mut AnyConnection,
    admin: &ActorRow,
    expires_at: Option<NaiveDateTime>,
    max_uses: Option<i32>,
) -> CoreResult<(InvitationRow, String)> {
    rules::may_administer(conn, admin)?;
    if expires_at.is_some_and(|e| e <= weft_db::now()) {
        return Err(CoreError::Invalid("expires_at is in the past".into()));
    }
    if max_uses.is_some_and(|m| m < 1) {
        return Err(CoreError::Invalid("max_uses must be at least 1".into()));
    }
    let code = auth::new_secret();
    let row = weft_db::accounts::insert_invitation(
        conn,
        &NewInvitation {
            code_hash: auth::hash_secret(&code),
            community_id: None,
            created_by: Some(admin.id),
            created_at: weft_db::now(),
            expires_at,
            max_uses,
            invitee_id: None,
        },
    )?;
    Ok((row, code))
}

/// Takes one use of an invitation (to register when `community` is None, or to join that
/// community), refusing unknown, expired and used-up codes.
pub(crate) fn use_invitation(
    conn: &mut AnyConnection,
    code: &str,
    community: Option<i64>,
) -> CoreResult<InvitationRow> {
    let invalid = || CoreError::Forbidden("the invitation is not valid".into());
    let row = weft_db::accounts::invitation_by_hash(conn, &auth::hash_secret(code.trim()))?
        .filter(|i| i.community_id == community)
        .ok_or_else(invalid)?;
    if row.expires_at.is_some_and(|e| e <= weft_db::now()) {
        return Err(CoreError::Forbidden("the invitation has expired".into()));
    }
    if !weft_db::accounts::use_invitation(conn, row.id)? {
        return Err(CoreError::Forbidden(
            "the invitation has been used up".into(),
        ));
    }
    Ok(row)
}
