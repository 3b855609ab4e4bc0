//! Reading page, cursor and limit parameters, for every collection route and every API
//! list: a number that is not one, or is out of range, is answered 400 with a problem
//! body (never an overflow); a page past the end is an honest empty page.

use crate::FedError;

/// Collection pages hold this many ids.
pub const PAGE_SIZE: i64 = 20;
/// The highest page number asked for that is not nonsense (20 million entries).
pub const MAX_PAGE: i64 = 1_000_000;

fn number(name: &str, raw: &str, max: i64) -> Result<i64, FedError> {
    let value: i64 = raw.trim().parse().map_err(|_| {
        FedError::bad_request(format!(
            "{name} must be a whole number, not {:?}",
            clip(raw)
        ))
    })?;
    if !(1..=max).contains(&value) {
        return Err(FedError::bad_request(format!(
            "{name} must be between 1 and {max}, not {value}"
        )));
    }
    Ok(value)
}

/// At most 40 characters of what was sent, for a message.
fn clip(raw: &str) -> String {
    raw.chars().take(40).collect()
}

/// A page number (`?page=N`, from 1), and the offset of its first entry.
pub fn page_number(raw: &str) -> Result<(i64, i64), FedError> {
    let page = number("page", raw, MAX_PAGE)?;
    Ok((page, (page - 1) * PAGE_SIZE))
}

/// A cursor (a row id): a positive number.
pub fn cursor(name: &str, raw: Option<&str>) -> Result<Option<i64>, FedError> {
    raw.map(|r| number(name, r, i64::MAX)).transpose()
}

/// A `limit`: a positive number, `default` when absent, at most `max` (larger ones are
/// clamped: asking for more than a page holds is not an error).
pub fn limit(raw: Option<&str>, default: i64, max: i64) -> Result<i64, FedError> {
    match raw {
        None => Ok(default),
        Some(r) => Ok(number("limit", r, i64::MAX)?.min(max)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_cursors_and_limits() {
        assert_eq!(page_number("1").unwrap(), (1, 0));
        assert_eq!(page_number("3").unwrap(), (3, 40));
        for bad in [
            "0",
            "-1",
            "x",
            "",
            "1.5",
            "9223372036854775807",
            "99999999999999999999",
        ] {
            let e = page_number(bad).unwrap_err();
            assert_eq!(e.status, 400, "{bad}");
        }
        assert_eq!(cursor("before", None).unwrap(), None);
        assert_eq!(cursor("before", Some("12")).unwrap(), Some(12));
        assert!(cursor("before", Some("-3")).is_err());
        assert_eq!(limit(None, 20, 100).unwrap(), 20);
        assert_eq!(limit(Some("500"), 20, 100).unwrap(), 100);
        assert_eq!(limit(Some("9223372036854775807"), 20, 100).unwrap(), 100);
        assert!(limit(Some("0"), 20, 100).is_err());
        assert!(limit(Some("ten"), 20, 100).is_err());
    }
}
