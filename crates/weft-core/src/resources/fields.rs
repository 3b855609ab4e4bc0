//! What a version of a resource says, checked: title, kind, description (markdown,
//! rendered and sanitised as posts are), tags, link and attachments. Local writes and
//! received versions pass through the same checks.

use crate::{CoreError, CoreResult, Urls, sanitize};
use serde::{Deserialize, Serialize};
use url::Url;
use weft_db::AnyConnection;
use weft_db::models::ActorRow;
use weft_db::models::VersionRow;

/// The kinds of resource, as stored and sent (`weft:kind`).
pub const KINDS: [&str; 9] = [
    "method",
    "story",
    "case-study",
    "tool",
    "template",
    "guidance",
    "policy",
    "education-material",
    "other",
];

const MAX_TITLE: usize = 200;
const MAX_DESCRIPTION: usize = 100_000;
const MAX_TAGS: usize = 20;
const MAX_TAG: usize = 50;
const MAX_ATTACHMENTS: usize = 20;
const MAX_MESSAGE: usize = 500;

/// A file attached to a version: where it is, its type, its name and size.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    pub url: String,
    pub media_type: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<i64>,
    /// A file uploaded to the community's library here, by id: [`resolve_uploads`] fills
    /// in the rest from it. Never stored (the version keeps the URL).
    #[serde(skip)]
    pub file: Option<i64>,
}

/// A version's content, checked, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Content {
    pub title: String,
    pub kind: String,
    pub description_source: String,
    pub description_html: String,
    pub tags: Vec<String>,
    pub link: Option<String>,
    pub attachments: Vec<Attachment>,
}

/// What a person writes for a new resource, or a whole new version.
#[derive(Debug, Clone, Default)]
pub struct ResourceFields {
    pub title: String,
    pub kind: String,
    /// Markdown.
    pub description: String,
    pub tags: Vec<String>,
    pub link: Option<String>,
    pub attachments: Vec<Attachment>,
}

/// An edit: what it names replaces what the current version says (an empty `link`
/// removes the link).
#[derive(Debug, Clone, Default)]
pub struct ResourceChanges {
    pub title: Option<String>,
    pub kind: Option<String>,
    pub description: Option<String>,
    pub tags: Option<Vec<String>>,
    pub link: Option<String>,
    pub attachments: Option<Vec<Attachment>>,
    /// What changed, in the editor's words.
    pub message: Option<String>,
}

impl ResourceChanges {
    pub fn is_empty(&self) -> bool {
        self.title.is_none()
            && self.kind.is_none()
            && self.description.is_none()
            && self.tags.is_none()
            && self.link.is_none()
            && self.attachments.is_none()
    }
}

/// Checks a new resource's fields.
pub fn check(fields: ResourceFields) -> CoreResult<Content> {
    let description = fields.description.trim().to_string();
    if description.chars().count() > MAX_DESCRIPTION {
        return Err(CoreError::Invalid(format!(
            "the description is longer than {MAX_DESCRIPTION} characters"
        )));
    }
    Ok(Content {
        title: title(&fields.title)?,
        kind: kind(&fields.kind)?,
        description_html: sanitize::text_to_html(&description),
        description_source: description,
        tags: tags(&fields.tags)?,
        link: link(fields.link.as_deref())?,
        attachments: check_attachments(&fields.attachments)?,
    })
}

/// The content of `current` with `changes` applied, checked.
pub fn apply(current: &Content, changes: &ResourceChanges) -> CoreResult<Content> {
    check(ResourceFields {
        title: changes
            .title
            .clone()
            .unwrap_or_else(|| current.title.clone()),
        kind: changes.kind.clone().unwrap_or_else(|| current.kind.clone()),
        description: changes
            .description
            .clone()
            .unwrap_or_else(|| current.description_source.clone()),
        tags: changes.tags.clone().unwrap_or_else(|| current.tags.clone()),
        link: match &changes.link {
            Some(l) if l.trim().is_empty() => None,
            Some(l) => Some(l.clone()),
            None => current.link.clone(),
        },
        attachments: changes
            .attachments
            .clone()
            .unwrap_or_else(|| current.attachments.clone()),
    })
}

pub fn title(input: &str) -> CoreResult<String> {
    let title = sanitize::title(input);
    if title.is_empty() {
        return Err(CoreError::Invalid("a resource needs a title".into()));
    }
    if title.chars().count() > MAX_TITLE {
        return Err(CoreError::Invalid(format!(
            "the title is longer than {MAX_TITLE} characters"
        )));
    }
    Ok(title)
}

pub fn kind(input: &str) -> CoreResult<String> {
    let kind = input.trim().to_ascii_lowercase().replace([' ', '_'], "-");
    if KINDS.contains(&kind.as_str()) {
        Ok(kind)
    } else {
        Err(CoreError::Invalid(format!(
            "unknown kind {input:?}: say one of {}",
            KINDS.join(", ")
        )))
    }
}

fn tags(input: &[String]) -> CoreResult<Vec<String>> {
    let mut out: Vec<String> = vec![];
    for tag in input {
        let tag = tag.trim().trim_start_matches('#').to_lowercase();
        if tag.is_empty() {
            continue;
        }
        if tag.chars().count() > MAX_TAG
            || !tag
                .chars()
                .all(|c| c.is_alphanumeric() || c == '-' || c == '_')
        {
            return Err(CoreError::Invalid(format!(
                "tag {tag:?}: letters, digits, - and _ only, at most {MAX_TAG}"
            )));
        }
        if !out.contains(&tag) {
            out.push(tag);
        }
    }
    if out.len() > MAX_TAGS {
        return Err(CoreError::Invalid(format!("at most {MAX_TAGS} tags")));
    }
    Ok(out)
}

/// An `http` or `https` URL, or an error saying so.
fn web_url(what: &str, input: &str) -> CoreResult<Url> {
    let url = Url::parse(input.trim())
        .map_err(|_| CoreError::Invalid(format!("{what} {input:?} is not a URL")))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(CoreError::Invalid(format!(
            "{what} {input:?} must be an http or https URL"
        )));
    }
    Ok(url)
}

fn link(input: Option<&str>) -> CoreResult<Option<String>> {
    match input.map(str::trim).filter(|l| !l.is_empty()) {
        Some(l) => Ok(Some(web_url("the link", l)?.to_string())),
        None => Ok(None),
    }
}

/// Checks a version's attachments: at most twenty, each an http(s) URL with a
/// `type/subtype` media type, a plain-text name and no negative size. The one place
/// attachments are validated (uploads made here come through it too).
pub fn check_attachments(list: &[Attachment]) -> CoreResult<Vec<Attachment>> {
    if list.len() > MAX_ATTACHMENTS {
        return Err(CoreError::Invalid(format!(
            "at most {MAX_ATTACHMENTS} attachments"
        )));
    }
    list.iter()
        .map(|a| {
            let url = web_url("the attachment", &a.url)?;
            let media_type = a.media_type.trim().to_ascii_lowercase();
            let valid_type = media_type.split_once('/').is_some_and(|(t, s)| {
                let token = |x: &str| {
                    !x.is_empty()
                        && x.chars()
                            .all(|c| c.is_ascii_alphanumeric() || "!#$&-^_.+".contains(c))
                };
                token(t) && token(s)
            });
            if !valid_type {
                return Err(CoreError::Invalid(format!(
                    "attachment media type {:?} is not type/subtype",
                    a.media_type
                )));
            }
            if a.size.is_some_and(|s| s < 0) {
                return Err(CoreError::Invalid(
                    "an attachment's size is negative".into(),
                ));
            }
            let name = sanitize::title(&a.name);
            Ok(Attachment {
                name: if name.is_empty() {
                    url.path_segments()
                        .and_then(|mut s| s.next_back().map(str::to_string))
                        .unwrap_or_else(|| "file".into())
                } else {
                    name
                },
                url: url.to_string(),
                media_type,
                size: a.size,
                file: None,
            })
        })
        .collect()
}

/// The "what changed" message, as stored (one line, bounded).
pub fn message(input: Option<&str>) -> Option<String> {
    input
        .map(sanitize::title)
        .map(|m| m.chars().take(MAX_MESSAGE).collect::<String>())
        .filter(|m| !m.is_empty())
}

impl Content {
    /// The content a stored version holds.
    pub fn from_row(row: &VersionRow) -> Content {
        Content {
            title: row.title.clone(),
            kind: row.kind.clone(),
            description_source: row.description_source.clone(),
            description_html: row.description_html.clone(),
            tags: serde_json::from_str(&row.tags).unwrap_or_default(),
            link: row.link.clone(),
            attachments: serde_json::from_str(&row.attachments).unwrap_or_default(),
        }
    }

    /// The version row holding this content.
    pub fn into_version(
        self,
        item_id: i64,
        number: i32,
        message: Option<String>,
        edited_by: i64,
        at: chrono::NaiveDateTime,
    ) -> weft_db::models::NewVersion {
        weft_db::models::NewVersion {
            resource_id: item_id,
            version: number,
            title: self.title,
            kind: self.kind,
            description_source: self.description_source,
            description_html: self.description_html,
            tags: serde_json::to_string(&self.tags).expect("json"),
            link: self.link,
            attachments: serde_json::to_string(&self.attachments).expect("json"),
            message,
            edited_by,
            created_at: at,
        }
    }
}

/// How a kind reads in a sentence ("case-study" → "Case study").
pub fn kind_label(kind: &str) -> String {
    let words = kind.replace('-', " ");
    let mut chars = words.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Fills in the attachments given as a file uploaded to `community`'s library (by id):
/// its address here, the type read from its bytes when it was uploaded, its size and (unless
/// one is given) its name. A file of another library, or none, is refused.
pub fn resolve_uploads(
    conn: &mut AnyConnection,
    urls: &Urls,
    community: &ActorRow,
    list: &mut [Attachment],
) -> CoreResult<()> {
    for a in list.iter_mut() {
        let Some(id) = a.file else { continue };
        let row = weft_db::files::by_id(conn, id)?
            .filter(|row| row.community_id == community.id)
            .ok_or_else(|| {
                CoreError::Invalid(format!(
                    "file {id} is not in this community's library: upload it there first"
                ))
            })?;
        a.url = urls.file(&row.sha256).to_string();
        a.media_type = row.media_type;
        a.size = Some(row.size);
        if a.name.trim().is_empty() {
            a.name = row.name;
        }
    }
    Ok(())
}
