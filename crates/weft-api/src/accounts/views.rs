//! API shapes of accounts, tokens, registrations and invitations (`from_row` here).

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use weft_db::models::{ActorRow, ApiTokenRow, InvitationRow, LocalUserRow};

fn time(t: NaiveDateTime) -> String {
    t.and_utc().to_rfc3339()
}

/// An API token as its owner sees it later: never the secret.
#[derive(Serialize, Deserialize, ToSchema, Debug, Clone, PartialEq)]
pub struct TokenView {
    pub id: i64,
    pub name: String,
    pub created_at: String,
    pub expires_at: Option<String>,
    pub last_used_at: Option<String>,
}

impl TokenView {
    pub fn from_row(t: &ApiTokenRow) -> Self {
        TokenView {
            id: t.id,
            name: t.name.clone(),
            created_at: time(t.created_at),
            expires_at: t.expires_at.map(time),
            last_used_at: t.last_used_at.map(time),
        }
    }
}

/// A token just made: the secret, shown this once.
#[derive(Serialize, Deserialize, ToSchema, Debug, Clone, PartialEq)]
pub struct NewTokenView {
    pub token: String,
    #[serde(flatten)]
    pub about: TokenView,
}

/// A registration's outcome: `active` (with a first token) or `pending`.
#[derive(Serialize, Deserialize, ToSchema, Debug, Clone, PartialEq)]
pub struct RegisteredView {
    pub username: String,
    pub ap_id: String,
    pub status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
}

/// A local account, as an admin sees it.
#[derive(Serialize, Deserialize, ToSchema, Debug, Clone, PartialEq)]
pub struct AccountView {
    /// The person's actor id here (the cursor of the registrations list).
    pub id: i64,
    pub username: String,
    pub ap_id: String,
    pub email: Option<String>,
    pub status: String,
    pub admin: bool,
    pub application: Option<String>,
    pub created_at: String,
}

impl AccountView {
    pub fn from_row(actor: &ActorRow, account: &LocalUserRow) -> Self {
        AccountView {
            id: actor.id,
            username: actor.username.clone(),
            ap_id: actor.ap_id.clone(),
            email: account.email.clone(),
            status: account.status.clone(),
            admin: account.is_admin,
            application: account.application.clone(),
            created_at: time(account.created_at),
        }
    }
}

/// An invitation to register, with its code (shown once).
#[derive(Serialize, Deserialize, ToSchema, Debug, Clone, PartialEq)]
pub struct InvitationView {
    pub id: i64,
    pub code: String,
    pub expires_at: Option<String>,
    pub max_uses: Option<i32>,
}

impl InvitationView {
    pub fn from_row(row: &InvitationRow, code: String) -> Self {
        InvitationView {
            id: row.id,
            code,
            expires_at: row.expires_at.map(time),
            max_uses: row.max_uses,
        }
    }
}

/// What anyone may know about the instance before registering.
#[derive(Serialize, Deserialize, ToSchema, Debug, Clone, PartialEq)]
pub struct InstanceView {
    pub domain: String,
    #[schema(schema_with = policy_schema)]
    pub registration_policy: weft_core::registration::RegistrationPolicy,
}

/// `RegistrationPolicy` (a `weft-core` type, kept free of utoipa) as the API writes it.
pub(crate) fn policy_schema() -> Schema {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(["open", "approval", "closed"]))
        .description(Some(
            "`open`: anyone may register; `approval`: an admin approves; `closed`: by invitation only",
        ))
        .into()
}
