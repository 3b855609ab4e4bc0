//! The one search over the directory (this instance's communities and those crawled from
//! every member of its constellations): by words of the title, domain statement and tags,
//! by language and by lifecycle. The words are matched by the database's own full-text
//! search (SQLite FTS5 with the Porter stemmer, PostgreSQL `tsvector` with the English
//! configuration), ranked by it (bm25, `ts_rank`). Used by the API, by the proposal
//! step's "does it exist already?" (`communities::similar`), and later the web UI.

use crate::communities::Lifecycle;
use crate::{CoreError, CoreResult};
use weft_db::AnyConnection;
use weft_db::directory::{DirectoryEntryRow, SearchSql};

/// The longest query taken, in characters.
pub const MAX_QUERY: usize = 200;
/// The most words of a query used.
pub const MAX_WORDS: usize = 16;
/// Entries per page when the caller says nothing, and the most.
pub const PAGE: i64 = 20;
pub const MAX_PAGE_SIZE: i64 = 100;

/// What a search asks.
#[derive(Debug, Clone, Default)]
pub struct Search {
    /// Words, all of which must match (in the title, domain statement or tags).
    pub q: String,
    /// A BCP 47 language tag: `en` finds `en` and `en-GB`.
    pub language: Option<String>,
    pub lifecycle: Option<String>,
    /// From 1.
    pub page: i64,
    pub per_page: i64,
}

/// A page of what matched, best first, and how many match in all.
#[derive(Debug, Clone)]
pub struct Found {
    pub entries: Vec<DirectoryEntryRow>,
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
}

/// Words that say nothing of a community (PostgreSQL's English configuration drops them;
/// FTS5 would insist on them): left out of a query on both.
const FUNCTION_WORDS: &[&str] = &[
    "a", "an", "and", "the", "of", "for", "in", "on", "to", "with", "at", "by", "or",
];

/// The words of a query as the index is asked for them: runs of letters and digits,
/// lower case, at most [`MAX_WORDS`].
pub fn words(text: &str) -> Vec<String> {
    let mut out: Vec<String> = vec![];
    for w in text.split(|c: char| !c.is_alphanumeric()) {
        let w = w.to_lowercase();
        if !w.is_empty() && !out.contains(&w) {
            out.push(w);
        }
        if out.len() == MAX_WORDS {
            break;
        }
    }
    out
}

/// `words` as the backend's full-text query: all of them (`any` false) or any.
fn text_query(conn: &AnyConnection, words: &[String], any: bool) -> Option<String> {
    if words.is_empty() {
        return None;
    }
    Some(match conn {
        // FTS5: each word a quoted string (letters and digits only, so nothing to escape).
        AnyConnection::Sqlite(_) => words
            .iter()
            .map(|w| format!("\"{w}\""))
            .collect::<Vec<_>>()
            .join(if any { " OR " } else { " " }),
        AnyConnection::Postgresql(_) => words.join(if any { " | " } else { " & " }),
    })
}

fn check_language(language: &str) -> CoreResult<()> {
    if language.is_empty()
        || language.len() > 35
        || !language
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-')
    {
        return Err(CoreError::Invalid(format!(
            "{:?} is not a language tag (such as en or en-GB)",
            language.chars().take(40).collect::<String>()
        )));
    }
    Ok(())
}

/// Searches the directory. Nothing asked: every community, the largest first.
pub fn search(conn: &mut AnyConnection, s: &Search) -> CoreResult<Found> {
    if s.q.chars().count() > MAX_QUERY {
        return Err(CoreError::Invalid(format!(
            "the query is longer than {MAX_QUERY} characters"
        )));
    }
    if let Some(language) = &s.language {
        check_language(language)?;
    }
    if let Some(lifecycle) = &s.lifecycle {
        Lifecycle::parse(lifecycle)?;
    }
    let per_page = if s.per_page == 0 { PAGE } else { s.per_page };
    if !(1..=MAX_PAGE_SIZE).contains(&per_page) || !(1..=1_000_000).contains(&s.page) {
        return Err(CoreError::Invalid(format!(
            "page must be 1 or more and limit 1 to {MAX_PAGE_SIZE}"
        )));
    }
    let words: Vec<String> = words(&s.q)
        .into_iter()
        .filter(|w| !FUNCTION_WORDS.contains(&w.as_str()))
        .collect();
    if !s.q.trim().is_empty() && words.is_empty() {
        return Ok(Found {
            entries: vec![],
            total: 0,
            page: s.page,
            per_page,
        });
    }
    let sql = SearchSql {
        text: text_query(conn, &words, false),
        language: s.language.clone(),
        lifecycle: s.lifecycle.clone(),
        limit: per_page,
        offset: (s.page - 1) * per_page,
    };
    let (entries, total) = weft_db::directory::search(conn, &sql)?;
    Ok(Found {
        entries,
        total,
        page: s.page,
        per_page,
    })
}

/// The entries sharing any of `words`, best first, at most `limit`: the candidates the
/// proposal step scores (`communities::similar`).
pub fn any_of(
    conn: &mut AnyConnection,
    words: &[String],
    limit: i64,
) -> CoreResult<Vec<DirectoryEntryRow>> {
    let words: Vec<String> = words.iter().take(MAX_WORDS * 4).cloned().collect();
    let Some(text) = text_query(conn, &words, true) else {
        return Ok(vec![]);
    };
    let sql = SearchSql {
        text: Some(text),
        language: None,
        lifecycle: None,
        limit,
        offset: 0,
    };
    Ok(weft_db::directory::search(conn, &sql)?.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_letters_and_digits() {
        assert_eq!(
            words("Trauma-informed \"care\" OR x) NEAR(2"),
            ["trauma", "informed", "care", "or", "x", "near", "2"]
        );
    }
}
