//! The instance's federation policy: `open` (every instance not blocked), or
//! `constellation_members` (only the instances of its constellations: their members and
//! convenors, an allow-list fed by the member lists). Kept in `instance_settings`; the
//! inbox asks `rules::may_federate_under` with the policy loaded here.

use crate::{CoreError, CoreResult, rules};
use std::collections::HashSet;
use weft_db::AnyConnection;
use weft_db::models::ActorRow;

/// The `instance_settings` row of the policy.
pub const SETTING: &str = "federation_policy";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FederationPolicy {
    /// Every instance that is not blocked.
    #[default]
    Open,
    /// Only the instances of this instance's constellations.
    ConstellationMembers,
}

impl FederationPolicy {
    pub fn as_str(self) -> &'static str {
        match self {
            FederationPolicy::Open => "open",
            FederationPolicy::ConstellationMembers => "constellation_members",
        }
    }

    pub fn parse(s: &str) -> CoreResult<Self> {
        match s {
            "open" => Ok(FederationPolicy::Open),
            "constellation_members" | "members" => Ok(FederationPolicy::ConstellationMembers),
            other => Err(CoreError::Invalid(format!(
                "{other:?} is not a federation policy: open or constellation_members"
            ))),
        }
    }
}

/// The policy, with the instances it allows (host[:port], lower case).
#[derive(Debug, Clone, Default)]
pub struct Policy {
    pub mode: FederationPolicy,
    pub allowed: HashSet<String>,
}

impl Policy {
    /// The policy as set, with the domains of every member and convenor of the
    /// constellations this instance convened or asked to join.
    pub fn load(conn: &mut AnyConnection) -> CoreResult<Policy> {
        let mode = current(conn)?;
        let mut allowed = HashSet::new();
        if mode == FederationPolicy::ConstellationMembers {
            for (actor, row) in weft_db::directory::constellations(conn)? {
                allowed.insert(actor.domain.to_ascii_lowercase());
                for member in weft_db::directory::members(conn, row.actor_id)? {
                    allowed.insert(member.domain.to_ascii_lowercase());
                }
            }
        }
        Ok(Policy { mode, allowed })
    }

    /// Does the policy let `domain` in?
    pub fn admits(&self, domain: &str) -> bool {
        self.mode == FederationPolicy::Open || self.allowed.contains(&domain.to_ascii_lowercase())
    }
}

/// The policy as set (`open` when never set).
pub fn current(conn: &mut AnyConnection) -> CoreResult<FederationPolicy> {
    match weft_db::accounts::setting(conn, SETTING)? {
        Some(s) => FederationPolicy::parse(&s),
        None => Ok(FederationPolicy::Open),
    }
}

/// An admin sets the policy. It holds for the next activity that arrives.
/// `by`: an admin through the API, or None for the operator at the shell.
pub fn set(
    conn: &mut AnyConnection,
    by: Option<&ActorRow>,
    policy: FederationPolicy,
) -> CoreResult<FederationPolicy> {
    if let Some(by) = by {
        rules::may_set_federation_policy(conn, by)?;
    }
    weft_db::accounts::set_setting(conn, SETTING, policy.as_str())?;
    Ok(policy)
}
