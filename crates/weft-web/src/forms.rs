//! The forms the pages post (each also carries `csrf`, checked by
//! [`crate::session::csrf`] before a handler runs). Empty fields read as absent.

use serde::Deserialize;

/// An optional text field: blank is none.
pub fn given(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

#[derive(Deserialize)]
pub struct LogIn {
    pub username: String,
    pub password: String,
    #[serde(default)]
    pub next: Option<String>,
}

#[derive(Deserialize)]
pub struct SignUp {
    pub username: String,
    pub email: String,
    pub password: String,
    #[serde(default)]
    pub application: Option<String>,
    #[serde(default)]
    pub invitation: Option<String>,
}

#[derive(Deserialize)]
pub struct NewToken {
    pub name: String,
}

#[derive(Deserialize)]
pub struct NewThread {
    pub title: String,
    pub content: String,
}

#[derive(Deserialize)]
pub struct Reply {
    pub content: String,
}

#[derive(Deserialize)]
pub struct Edit {
    #[serde(default)]
    pub title: Option<String>,
    pub content: String,
}

#[derive(Deserialize)]
pub struct Rsvp {
    pub answer: String,
}

#[derive(Deserialize)]
pub struct Propose {
    pub name: String,
    pub title: String,
    pub about: String,
    pub why: String,
    #[serde(default)]
    pub tags: String,
    #[serde(default)]
    pub confirmed: Option<String>,
}

#[derive(Deserialize)]
pub struct Schedule {
    pub title: String,
    #[serde(default)]
    pub description: String,
    /// `YYYY-MM-DDTHH:MM` from a `datetime-local` field, in `timezone`.
    pub starts_at: String,
    #[serde(default)]
    pub timezone: Option<String>,
    #[serde(default)]
    pub place: Option<String>,
    #[serde(default)]
    pub online_url: Option<String>,
}

#[derive(Deserialize)]
pub struct Policy {
    pub registration_policy: String,
}

#[derive(Deserialize)]
pub struct RemoteFollow {
    /// The visitor's own handle (`you@your.server`).
    pub handle: String,
    /// The handle to follow (`name@this.server`).
    pub target: String,
}

#[derive(Deserialize)]
pub struct Interest {
    #[serde(default)]
    pub withdraw: Option<String>,
}

#[derive(Deserialize)]
pub struct JoinPolicy {
    pub join_policy: String,
}
