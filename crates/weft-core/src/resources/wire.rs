//! Resources on the wire: a stored resource (or one of its versions) into its `Document`
//! (`resource_into_json`, `version_into_json`), and a received `Document` into a version's
//! content (`content_from_json`).

use super::ResourceDetails;
use super::fields::{self, Attachment, Content};
use crate::wire::utc;
use crate::{CoreError, CoreResult, Urls, sanitize};
use url::Url;
use weft_db::models::{ActorRow, VersionRow};
use weft_protocol::{
    Addressing, AttachmentJson, PUBLIC, ResourceObject, ResourceTerms, Source, Tag,
};

/// Longest plain-text summary, in characters.
const SUMMARY_CHARS: usize = 300;

fn url(s: &str) -> Url {
    Url::parse(s).expect("stored ids are URLs")
}

/// The summary a Mastodon reader sees: the kind, then the start of the description.
pub fn summary_of(kind: &str, description_html: &str) -> String {
    let label = fields::kind_label(kind);
    match sanitize::excerpt(description_html, SUMMARY_CHARS) {
        Some(text) => format!("{label}: {text}"),
        None => label,
    }
}

/// A local resource's current version, as served and sent.
pub fn resource_into_json(urls: &Urls, d: &ResourceDetails) -> ResourceObject {
    let mut object = version_into_json(urls, d, &d.version, &d.editor);
    object.id = url(&d.item.ap_id);
    object
}

/// A version of a local resource as it was (its `id` is the version's own).
pub fn version_into_json(
    urls: &Urls,
    d: &ResourceDetails,
    version: &VersionRow,
    editor: &ActorRow,
) -> ResourceObject {
    let content = Content::from_row(version);
    let community = url(&d.community.ap_id);
    let followers: Vec<String> = d.community.followers_url.iter().cloned().collect();
    let page = url(&d.item.ap_id);
    let link = content.link.as_deref().map(url);
    ResourceObject {
        kind: "Document".into(),
        id: urls.version(d.item.id, version.version),
        actor: Some(url(&d.author.ap_id)),
        attributed_to: Some(community.clone()),
        addressing: Addressing::new(
            vec![community.to_string(), PUBLIC.to_string()],
            followers,
            Some(community),
        ),
        name: content.title.clone(),
        summary: Some(summary_of(&content.kind, &content.description_html)),
        content: content.description_html.clone(),
        media_type: Some("text/html".into()),
        source: Some(Source::markdown(content.description_source.clone())),
        url: Some(link.clone().unwrap_or(page)),
        context: Some(match &d.folder {
            Some(f) => url(&f.ap_id),
            None => urls.resources(&d.community.ap_id),
        }),
        published: Some(utc(d.item.published_at)),
        updated: Some(utc(version.created_at)),
        tag: content
            .tags
            .iter()
            .map(|t| Tag {
                kind: "Hashtag".into(),
                href: None,
                name: Some(format!("#{t}")),
            })
            .collect(),
        attachment: content
            .attachments
            .iter()
            .map(|a| AttachmentJson {
                kind: "Document".into(),
                url: url(&a.url),
                media_type: Some(a.media_type.clone()),
                name: Some(a.name.clone()),
                size: a.size,
            })
            .collect(),
        weft: ResourceTerms {
            kind: Some(content.kind.clone()),
            version: Some(i64::from(version.version)),
            edited_by: Some(url(&editor.ap_id)),
            message: version.message.clone(),
            link,
            versions: Some(urls.versions(d.item.id)),
        },
    }
}

/// The content of a received `Document`, checked as a local one is: a known kind (a
/// document without `weft:kind`, as Mobilizon sends, is `other`), an http(s) link, safe
/// HTML.
pub fn content_from_json(object: &ResourceObject) -> CoreResult<Content> {
    let kind = fields::kind(object.weft.kind.as_deref().unwrap_or("other"))?;
    let title = fields::title(&sanitize::remote_title(&object.name))?;
    let source = object.source.as_ref().map(crate::sanitize::remote_source);
    let html = if object.content.is_empty() {
        // Mobilizon puts a resource's description in `summary`, as text.
        sanitize::text_to_html(object.summary.as_deref().unwrap_or_default())
    } else {
        sanitize::html(&object.content)
    };
    let attachments: Vec<Attachment> = object
        .attachment
        .iter()
        .map(|a| Attachment {
            url: a.url.to_string(),
            media_type: a
                .media_type
                .clone()
                .unwrap_or_else(|| "application/octet-stream".into()),
            name: a.name.clone().unwrap_or_default(),
            size: a.size,
            file: None,
        })
        .collect();
    let mut content = fields::check(fields::ResourceFields {
        title,
        kind,
        description: String::new(),
        tags: object.hashtags(),
        link: object.link().map(Url::to_string),
        attachments,
    })
    .map_err(|e| CoreError::Invalid(format!("the document {}: {e}", object.id)))?;
    content.description_source =
        source.unwrap_or_else(|| sanitize::html_to_text(&html).trim().to_string());
    content.description_html = html;
    Ok(content)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A Mobilizon `Document` (its test fixture) is read as a resource of kind `other`,
    /// with its `url` as the link and its `summary` as the description.
    #[test]
    fn reads_a_mobilizon_document() {
        let text = include_str!("../../../weft-protocol/tests/fixtures/mobilizon/document.json");
        let object: ResourceObject = serde_json::from_str(text).unwrap();
        let content = content_from_json(&object).unwrap();
        assert_eq!(content.title, "My new resource");
        assert_eq!(content.kind, "other");
        assert_eq!(content.link.as_deref(), Some("https://framasoft.org/"));
        assert_eq!(content.description_source, "A description for the resource");
        assert_eq!(
            content.description_html,
            "<p>A description for the resource</p>\n"
        );
    }
}
