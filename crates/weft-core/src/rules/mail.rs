//! Whom Weft mails. A confirmation or password reset goes to the address an account gave
//! (that mail is how the address proves itself); everything else only to a confirmed one.

use crate::{CoreError, CoreResult};
use chrono::NaiveDateTime;
use weft_db::models::{LocalUserRow, account_status};

/// May Weft send `account` mail it did not ask for just now (requests to join, digests)?
/// Only to a confirmed address of an account in good standing.
pub fn may_mail(account: &LocalUserRow, confirmed_at: Option<NaiveDateTime>) -> CoreResult<()> {
    if account.email.is_none() {
        return Err(CoreError::Invalid(
            "the account has no email address".into(),
        ));
    }
    if confirmed_at.is_none() {
        return Err(CoreError::Forbidden(
            "the account's email address is not confirmed".into(),
        ));
    }
    if account.status != account_status::ACTIVE {
        return Err(CoreError::Forbidden("the account may not act".into()));
    }
    Ok(())
}

/// May a person turn on the weekly digest? Only with a confirmed address.
pub fn may_have_digest(email: Option<&str>, confirmed_at: Option<NaiveDateTime>) -> CoreResult<()> {
    match (email, confirmed_at) {
        (None, _) => Err(CoreError::Invalid(
            "your account has no email address to send the digest to".into(),
        )),
        (Some(email), None) => Err(CoreError::Forbidden(format!(
            "confirm {email} first (the link in the confirmation mail, or ask for a new one \
             with POST /api/v1/accounts/me/confirmation)"
        ))),
        _ => Ok(()),
    }
}
