//! A resource's version history: every version, any one of them, the line diff of two
//! descriptions (`similar`), and a lead's restoring of an old version as a new one.

use super::{Outcome, ResourceDetails, fields::Content, for_change, send, shown, store_version};
use crate::{CoreError, CoreResult, Urls, rules};
use similar::{ChangeTag, TextDiff};
use weft_db::AnyConnection;
use weft_db::models::{ActorRow, VersionRow};

/// Every version of a live resource, the first first, with who wrote each.
pub fn versions(conn: &mut AnyConnection, item_id: i64) -> CoreResult<Vec<(VersionRow, ActorRow)>> {
    shown(conn, item_id)?;
    Ok(weft_db::resources::versions(conn, item_id)?)
}

/// Version `number` of a live resource, with who wrote it.
pub fn version(
    conn: &mut AnyConnection,
    item_id: i64,
    number: i32,
) -> CoreResult<(VersionRow, ActorRow)> {
    shown(conn, item_id)?;
    let row = weft_db::resources::version(conn, item_id, number)?.ok_or_else(|| {
        CoreError::NotFound(format!("resource {item_id} has no version {number}"))
    })?;
    let editor = weft_db::actors::by_id(conn, row.edited_by)?;
    Ok((row, editor))
}

/// One line of a diff: `same`, `added` or `removed`, and its text (no line end).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiffLine {
    pub change: &'static str,
    pub text: String,
}

/// The line diff of the descriptions (markdown) of versions `from` and `to`.
pub fn diff(
    conn: &mut AnyConnection,
    item_id: i64,
    from: i32,
    to: i32,
) -> CoreResult<Vec<DiffLine>> {
    let (old, _) = version(conn, item_id, from)?;
    let (new, _) = version(conn, item_id, to)?;
    Ok(line_diff(&old.description_source, &new.description_source))
}

/// The line diff of two texts.
pub fn line_diff(old: &str, new: &str) -> Vec<DiffLine> {
    TextDiff::from_lines(old, new)
        .iter_all_changes()
        .map(|change| DiffLine {
            change: match change.tag() {
                ChangeTag::Equal => "same",
                ChangeTag::Insert => "added",
                ChangeTag::Delete => "removed",
            },
            text: change
                .value()
                .trim_end_matches('\n')
                .trim_end_matches('\r')
                .to_string(),
        })
        .collect()
}

/// A lead restores version `number`: its content becomes a new version (the versions
/// after it are kept), announced as any edit is.
pub fn restore(
    conn: &mut AnyConnection,
    urls: &Urls,
    actor: &ActorRow,
    item_id: i64,
    number: i32,
) -> CoreResult<Outcome> {
    let d: ResourceDetails = for_change(conn, item_id)?;
    if !d.community.is_local {
        return Err(CoreError::Invalid(
            "an old version is restored where the community lives".into(),
        ));
    }
    rules::may_restore_resource(conn, &d.community, actor)?;
    let old = weft_db::resources::version(conn, item_id, number)?.ok_or_else(|| {
        CoreError::NotFound(format!("resource {item_id} has no version {number}"))
    })?;
    if number == d.resource.current_version {
        return Err(CoreError::Conflict(format!(
            "version {number} is the current version"
        )));
    }
    let next = d.resource.current_version + 1;
    let d = store_version(
        conn,
        &d,
        next,
        Content::from_row(&old),
        Some(format!("Restored version {number}")),
        actor,
        weft_db::now(),
    )?;
    send(conn, urls, &d, actor, "Update", None)?;
    Ok(Outcome::Done(Box::new(d)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diffs_lines() {
        let lines = line_diff("one\ntwo\nthree\n", "one\n2\nthree\nfour\n");
        let shown: Vec<(&str, &str)> = lines.iter().map(|l| (l.change, l.text.as_str())).collect();
        assert_eq!(
            shown,
            [
                ("same", "one"),
                ("removed", "two"),
                ("added", "2"),
                ("same", "three"),
                ("added", "four"),
            ]
        );
    }
}
