//! `weft export`: reads a local community into an [`Export`], files included.

use super::format::{self, Export};
use super::{Progress, TransferError};
use crate::Urls;
use crate::files::{FileKey, Files};
use base64::Engine;
use futures_util::TryStreamExt;
use std::collections::{BTreeMap, BTreeSet};
use weft_db::models::{ActorRow, ItemKind, ItemRow, actor_kind};
use weft_db::{AnyConnection, Db};

/// Everything a local community holds, with its files' bytes.
pub async fn export(
    db: &Db,
    files: &Files,
    urls: &Urls,
    name: &str,
    progress: &mut dyn Progress,
) -> Result<Export, TransferError> {
    let (name, base) = (name.to_string(), urls.base().to_string());
    let (mut export, file_keys) = db.read(move |c| collect(c, &base, &name)).await?;
    progress.start("files", export.files.len() as u64);
    for (file, key) in export.files.iter_mut().zip(file_keys) {
        let stored = files.storage.get(&key).await?.ok_or_else(|| {
            TransferError::Missing(format!(
                "the file {key} ({}) is recorded but missing from {}",
                file.name,
                files.storage.describe()
            ))
        })?;
        let bytes: Vec<u8> = stored
            .body
            .map_ok(|chunk| chunk.to_vec())
            .try_concat()
            .await
            .map_err(|e| TransferError::Missing(format!("reading the file {key}: {e}")))?;
        file.data = base64::engine::general_purpose::STANDARD.encode(&bytes);
        progress.step();
    }
    progress.finish();
    Ok(export)
}

/// The database's part of the export (file data left empty) and each file's key.
fn collect(
    conn: &mut AnyConnection,
    base: &str,
    name: &str,
) -> Result<(Export, Vec<FileKey>), TransferError> {
    let actor = crate::accounts::local_community(conn, name)?;
    let row = weft_db::actors::community(conn, actor.id)?
        .ok_or_else(|| TransferError::Invalid(format!("{name} has no community record")))?;
    let profile = weft_db::communities::profile(conn, actor.id)?;
    let tags = weft_db::communities::tags(conn, actor.id)?;
    let mut people = People::default();

    let mut members = Vec::new();
    let mut after = None;
    loop {
        let page = weft_db::memberships::page(conn, actor.id, after, 500)?;
        let Some((last, _)) = page.last() else { break };
        after = Some(last.person_id);
        for (m, person) in page {
            members.push(format::Member {
                person: people.add(person),
                role: m.role,
                joined: m.created_at,
            });
        }
    }
    let proposer = match profile.as_ref().and_then(|p| p.proposer_id) {
        Some(id) => Some(people.add(weft_db::actors::by_id(conn, id)?)),
        None => None,
    };
    let objectives = weft_db::communities::objectives(conn, actor.id)?
        .into_iter()
        .map(|o| format::Objective {
            kind: o.kind,
            title: o.title,
            status: o.status,
            done_on: o.done_on,
            note: o.note,
            created: o.created_at,
        })
        .collect();
    let folder_rows = weft_db::transfer::folders_of(conn, actor.id)?;
    let folder_ap: BTreeMap<i64, String> = folder_rows
        .iter()
        .map(|f| (f.id, f.ap_id.clone()))
        .collect();
    let folders = folder_rows
        .into_iter()
        .map(|f| format::Folder {
            parent: f.parent_id.and_then(|p| folder_ap.get(&p).cloned()),
            id: f.ap_id,
            name: f.name,
            created: f.created_at,
        })
        .collect();

    let rows = weft_db::transfer::items_of_community(conn, actor.id)?;
    let item_ap: BTreeMap<i64, String> = rows.iter().map(|i| (i.id, i.ap_id.clone())).collect();
    let authors = weft_db::actors::by_ids(
        conn,
        &rows
            .iter()
            .map(|i| i.author_id)
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect::<Vec<_>>(),
    )?;
    let authors: BTreeMap<i64, ActorRow> = authors.into_iter().map(|a| (a.id, a)).collect();
    let event_ids: Vec<i64> = rows
        .iter()
        .filter(|i| i.kind == ItemKind::Event)
        .map(|i| i.id)
        .collect();
    let mut rsvps: BTreeMap<i64, Vec<format::Rsvp>> = BTreeMap::new();
    for (r, person) in weft_db::transfer::rsvps_of(conn, &event_ids)? {
        rsvps.entry(r.event_id).or_default().push(format::Rsvp {
            person: people.add(person),
            answer: r.answer,
            state: r.state,
            created: r.created_at,
            updated: r.updated_at,
        });
    }
    let resource_ids: Vec<i64> = rows
        .iter()
        .filter(|i| i.kind == ItemKind::Resource)
        .map(|i| i.id)
        .collect();
    let mut versions: BTreeMap<i64, Vec<format::Version>> = BTreeMap::new();
    for v in weft_db::transfer::versions_of(conn, &resource_ids)? {
        let editor = people.add(weft_db::actors::by_id(conn, v.edited_by)?);
        versions
            .entry(v.resource_id)
            .or_default()
            .push(format::Version {
                version: v.version,
                title: v.title,
                kind: v.kind,
                description_source: v.description_source,
                description_html: v.description_html,
                tags: serde_json::from_str(&v.tags).unwrap_or_default(),
                link: v.link,
                attachments: serde_json::from_str(&v.attachments).unwrap_or_default(),
                message: v.message,
                edited_by: editor,
                created: v.created_at,
            });
    }
    let mut items = Vec::with_capacity(rows.len());
    for item in rows {
        let author = people.add(authors[&item.author_id].clone());
        let event = match item.kind {
            ItemKind::Event => weft_db::events::by_item(conn, item.id)?.map(|e| format::Event {
                start_time: e.starts_at,
                end_time: e.ends_at,
                timezone: e.timezone,
                online_url: e.online_url,
                place_name: e.place_name,
                place_address: e.place_address,
                capacity: e.capacity,
                status: e.status,
                rsvps: rsvps.remove(&item.id).unwrap_or_default(),
            }),
            _ => None,
        };
        let resource = match item.kind {
            ItemKind::Resource => {
                weft_db::resources::by_item(conn, item.id)?.map(|r| format::Resource {
                    kind: r.kind,
                    folder: r.folder_id.and_then(|f| folder_ap.get(&f).cloned()),
                    current_version: r.current_version,
                    versions: versions.remove(&item.id).unwrap_or_default(),
                })
            }
            _ => None,
        };
        items.push(item_into_export(item, author, &item_ap, event, resource));
    }

    let mut files = Vec::new();
    let mut keys = Vec::new();
    let mut after = None;
    loop {
        let page = weft_db::files::of_community(conn, actor.id, after, 500)?;
        let Some(last) = page.last() else { break };
        after = Some(last.id);
        for f in page {
            let key = FileKey::parse(&f.sha256).ok_or_else(|| {
                TransferError::Invalid(format!("a stored file key {:?}", f.sha256))
            })?;
            let uploader = people.add(weft_db::actors::by_id(conn, f.uploader_id)?);
            keys.push(key);
            files.push(format::File {
                sha256: f.sha256,
                media_type: f.media_type,
                name: f.name,
                size: f.size,
                uploaded_by: uploader,
                created: f.created_at,
                data: String::new(),
            });
        }
    }

    let export = Export {
        format: format::FORMAT.into(),
        source: base.to_string(),
        exported_at: weft_db::now(),
        community: format::Community {
            id: actor.ap_id.clone(),
            preferred_username: actor.username.clone(),
            name: actor
                .display_name
                .clone()
                .unwrap_or_else(|| actor.username.clone()),
            domain_statement: actor.summary_source.clone().unwrap_or_default(),
            terms_of_reference: row.terms_of_reference,
            lifecycle: row.lifecycle,
            meeting_mode: row.meeting_mode,
            meeting_rhythm: profile
                .as_ref()
                .map(|p| p.meeting_rhythm.clone())
                .unwrap_or_default(),
            join_policy: row.join_policy,
            posting_restricted_to_mods: actor.posting_restricted_to_mods,
            discoverable: actor.discoverable,
            language: profile.as_ref().and_then(|p| p.language.clone()),
            why: profile.as_ref().map(|p| p.why.clone()).unwrap_or_default(),
            proposer,
            tags,
            published: row.created_at,
        },
        people: people.into_list(conn)?,
        members,
        objectives,
        folders,
        items,
        files,
    };
    Ok((export, keys))
}

fn item_into_export(
    item: ItemRow,
    author: String,
    item_ap: &BTreeMap<i64, String>,
    event: Option<format::Event>,
    resource: Option<format::Resource>,
) -> format::Item {
    let deleted = item.deleted_at.is_some();
    format::Item {
        in_reply_to: item
            .in_reply_to_id
            .and_then(|p| item_ap.get(&p).cloned())
            .or(item.in_reply_to_ap_id),
        id: item.ap_id,
        kind: item.kind.as_str().into(),
        object_type: item.object_type,
        attributed_to: author,
        name: item.title,
        content: if deleted { String::new() } else { item.content },
        source: if deleted { None } else { item.source },
        url: if item.is_local { None } else { item.url },
        local: item.is_local,
        published: item.published_at,
        updated: item.updated_at,
        deleted: item.deleted_at,
        event,
        resource,
    }
}

/// The people an export names, each once.
#[derive(Default)]
struct People(BTreeMap<String, ActorRow>);

impl People {
    /// Records `actor`; its id, as the export refers to it.
    fn add(&mut self, actor: ActorRow) -> String {
        let id = actor.ap_id.clone();
        self.0.entry(id.clone()).or_insert(actor);
        id
    }

    fn into_list(self, conn: &mut AnyConnection) -> Result<Vec<format::Person>, TransferError> {
        let mut list = Vec::with_capacity(self.0.len());
        for (_, a) in self.0 {
            let email = if a.is_local {
                weft_db::accounts::local_user(conn, a.id)?.and_then(|u| u.email)
            } else {
                None
            };
            let remote = !a.is_local;
            list.push(format::Person {
                kind: if a.kind == actor_kind::GROUP {
                    a.kind.clone()
                } else {
                    actor_kind::PERSON.into()
                },
                preferred_username: a.username,
                domain: a.domain,
                name: a.display_name,
                local: a.is_local,
                email,
                inbox: remote.then_some(a.inbox_url),
                shared_inbox: if remote { a.shared_inbox_url } else { None },
                public_key_id: remote.then_some(a.public_key_id),
                public_key_pem: remote.then_some(a.public_key_pem),
                id: a.ap_id,
            });
        }
        Ok(list)
    }
}
