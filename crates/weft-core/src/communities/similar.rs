//! "Does this CoP already exist?" (seed 000): the communities whose title, domain or tags
//! are like a proposal's, ranked, with why. The candidates come from the directory search
//! (`directory::search::any_of`: this instance's communities and every constellation
//! member's, by the database's full-text index); each is then scored as below.

use crate::CoreResult;
use std::collections::BTreeSet;
use weft_db::AnyConnection;
use weft_db::directory::DirectoryEntryRow;

/// Most communities returned.
pub const MAX_RESULTS: usize = 10;
/// Communities scoring below this are not shown.
pub const THRESHOLD: f64 = 0.15;

/// What a proposal is compared on.
#[derive(Debug, Clone, Default)]
pub struct Query {
    pub title: String,
    pub about: String,
    pub tags: Vec<String>,
}

/// The most candidates the full-text search hands to the scoring.
const CANDIDATES: i64 = 50;

/// A community like the proposal (here or on another member instance: its directory
/// entry says where), with its score (0 to 1) and why.
#[derive(Debug, Clone)]
pub struct Similar {
    pub community: DirectoryEntryRow,
    pub score: f64,
    pub shared_tags: Vec<String>,
    pub shared_words: Vec<String>,
}

/// Words too common in CoP domain statements to say two are alike.
const STOPWORDS: &[&str] = &[
    "the",
    "and",
    "for",
    "with",
    "our",
    "are",
    "who",
    "what",
    "how",
    "this",
    "that",
    "from",
    "into",
    "about",
    "their",
    "they",
    "them",
    "its",
    "all",
    "any",
    "can",
    "will",
    "has",
    "have",
    "was",
    "were",
    "not",
    "but",
    "you",
    "your",
    "out",
    "more",
    "other",
    "such",
    "share",
    "sharing",
    "community",
    "communities",
    "practice",
    "practices",
    "people",
    "network",
    "group",
    "members",
    "member",
    "across",
    "between",
    "where",
    "which",
    "work",
];

/// Lower-cased words of 3+ letters, stop words dropped, a plural `s` taken off.
pub fn words(text: &str) -> BTreeSet<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .map(str::to_lowercase)
        .filter(|w| w.chars().count() >= 3 && !STOPWORDS.contains(&w.as_str()))
        .map(|w| match w.strip_suffix('s') {
            Some(stem) if stem.len() >= 3 && !w.ends_with("ss") => stem.to_string(),
            _ => w,
        })
        .collect()
}

/// |a ∩ b| / min(|a|, |b|): 1 when the smaller set is inside the larger.
fn overlap(a: &BTreeSet<String>, b: &BTreeSet<String>) -> (f64, Vec<String>) {
    let shared: Vec<String> = a.intersection(b).cloned().collect();
    let smaller = a.len().min(b.len());
    if smaller == 0 {
        return (0.0, shared);
    }
    (shared.len() as f64 / smaller as f64, shared)
}

/// Communities like `query` on this instance and on every member of its constellations,
/// best first: shared tags weigh most, then words shared with their title, then with
/// their domain statement.
pub fn similar(conn: &mut AnyConnection, query: &Query) -> CoreResult<Vec<Similar>> {
    let query_tags: BTreeSet<String> = query
        .tags
        .iter()
        .filter_map(|t| super::profile::normalise_tag(t).ok())
        .collect();
    let title_words = words(&query.title);
    let all_words: BTreeSet<String> = title_words.union(&words(&query.about)).cloned().collect();
    // Ask the index for the words as written too (it stems them its own way).
    let mut asked: Vec<String> =
        crate::directory::search::words(&format!("{} {}", query.title, query.about))
            .into_iter()
            .filter(|w| w.chars().count() >= 3 && !STOPWORDS.contains(&w.as_str()))
            .collect();
    asked.extend(all_words.iter().cloned());
    asked.extend(query_tags.iter().cloned());
    asked.sort();
    asked.dedup();
    let candidates = crate::directory::search::any_of(conn, &asked, CANDIDATES)?;
    let mut found: Vec<Similar> = candidates
        .into_iter()
        .filter_map(|entry| {
            let their_tags: BTreeSet<String> =
                entry.tags.split_whitespace().map(str::to_string).collect();
            let their_title = words(&entry.title);
            let their_domain = words(&entry.about);
            let (tag_score, shared_tags) = overlap(&query_tags, &their_tags);
            let (title_score, mut shared) = overlap(&all_words, &their_title);
            let (domain_score, shared_domain) = overlap(&all_words, &their_domain);
            shared.extend(shared_domain);
            shared.sort();
            shared.dedup();
            let score = 0.45 * tag_score + 0.35 * title_score + 0.2 * domain_score;
            let score = (score * 100.0).round() / 100.0;
            (score >= THRESHOLD).then_some(Similar {
                community: entry,
                score,
                shared_tags,
                shared_words: shared,
            })
        })
        .collect();
    found.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then_with(|| b.community.is_local.cmp(&a.community.is_local))
            .then_with(|| a.community.name.cmp(&b.community.name))
    });
    found.truncate(MAX_RESULTS);
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_drop_stop_words_and_plurals() {
        let w = words("Sharing the practices of Child Wellbeing Practitioners, in schools");
        let got: Vec<&str> = w.iter().map(String::as_str).collect();
        assert_eq!(got, ["child", "practitioner", "school", "wellbeing"]);
    }

    #[test]
    fn overlap_is_measured_on_the_smaller_set() {
        let a = words("dementia care homes");
        let b = words("care homes for people living with dementia in the midlands");
        assert_eq!(overlap(&a, &b).0, 1.0);
        assert_eq!(overlap(&a, &BTreeSet::new()).0, 0.0);
    }
}
