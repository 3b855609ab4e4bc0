//! Which remote instances this one exchanges activities with at all.

use crate::operations::Blocklist;
use crate::{CoreError, CoreResult};

/// Does this instance exchange activities with `domain` (host[:port])? Not once an
/// admin blocked it, or a domain it is under: what it sends is refused, and nothing is
/// delivered to it.
pub fn may_federate_with(blocklist: &Blocklist, domain: &str) -> CoreResult<()> {
    match blocklist.covering(domain) {
        Some(blocked) => Err(CoreError::Forbidden(format!(
            "{domain} is blocked by this instance's admin{}",
            if blocked == domain {
                String::new()
            } else {
                format!(" (as under {blocked})")
            }
        ))),
        None => Ok(()),
    }
}
