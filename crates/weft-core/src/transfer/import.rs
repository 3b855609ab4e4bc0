//! `weft import`: rebuilds an exported community here. Files go into the file store first
//! (each checked against its SHA-256); then everything else is written in one transaction,
//! so an import that fails stores nothing but files nobody refers to.

use super::format::{self, Export};
use super::{Progress, TransferError};
use crate::files::{FileKey, Files};
use crate::keys::KeyPair;
use crate::{Urls, sanitize};
use base64::Engine;
use std::collections::HashMap;
use weft_db::AnyConnection;
use weft_db::Db;
use weft_db::files::NewFile;
use weft_db::models::{
    ActorRow, CommunityProfileRow, CommunityRow, EventRow, ItemKind, LocalUserRow, MembershipRow,
    NewActor, NewFolder, NewItem, NewObjective, NewRsvp, NewVersion, ResourceRow, account_status,
    actor_kind, role,
};

/// What an import made.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Imported {
    pub community: String,
    pub ap_id: String,
    /// Local people made here for the community's local members and authors.
    pub people_created: usize,
    /// Local people who had an account here already (same username), used as they are.
    pub people_matched: usize,
    pub members: usize,
    pub items: usize,
    pub events: usize,
    pub resources: usize,
    pub versions: usize,
    pub files: usize,
}

/// Imports `export` as the local community `name` (by default the name it had).
pub async fn import(
    db: &Db,
    files: &Files,
    urls: &Urls,
    export: Export,
    name: Option<String>,
    progress: &mut dyn Progress,
) -> Result<Imported, TransferError> {
    if export.format != format::FORMAT {
        return Err(TransferError::Invalid(format!(
            "this is not a Weft community export this version reads (format {:?}; expected {:?})",
            export.format,
            format::FORMAT
        )));
    }
    check_references(&export)?;
    progress.start("files", export.files.len() as u64);
    for file in &export.files {
        store_file(files, file).await?;
        progress.step();
    }
    progress.finish();
    // Key pairs are made before the transaction (tens of milliseconds each).
    let local_people = export.people.iter().filter(|p| p.local).count();
    let keys: Vec<KeyPair> = (0..=local_people)
        .map(|_| crate::keys::generate())
        .collect();
    let urls = urls.clone();
    db.write(move |c| apply(c, &urls, &export, name.as_deref(), keys))
        .await
}

/// Every id the document refers to is in it: refused before anything is written.
fn check_references(export: &Export) -> Result<(), TransferError> {
    let people: std::collections::HashSet<&str> =
        export.people.iter().map(|p| p.id.as_str()).collect();
    let mut named = export
        .members
        .iter()
        .map(|m| &m.person)
        .chain(export.community.proposer.iter())
        .chain(export.files.iter().map(|f| &f.uploaded_by))
        .chain(export.items.iter().map(|i| &i.attributed_to));
    for item in &export.items {
        let in_event = item
            .event
            .iter()
            .flat_map(|e| e.rsvps.iter().map(|r| &r.person));
        let in_resource = item
            .resource
            .iter()
            .flat_map(|r| r.versions.iter().map(|v| &v.edited_by));
        if let Some(missing) = in_event
            .chain(in_resource)
            .find(|p| !people.contains(p.as_str()))
        {
            return Err(unknown_person(missing));
        }
    }
    match named.find(|p| !people.contains(p.as_str())) {
        Some(missing) => Err(unknown_person(missing)),
        None => Ok(()),
    }
}

fn unknown_person(id: &str) -> TransferError {
    TransferError::Invalid(format!(
        "the export refers to {id}, who is not in its \"people\": the file is damaged"
    ))
}

async fn store_file(files: &Files, file: &format::File) -> Result<(), TransferError> {
    let key = FileKey::parse(&file.sha256)
        .ok_or_else(|| TransferError::Invalid(format!("{:?} is not a SHA-256", file.sha256)))?;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(&file.data)
        .map_err(|e| TransferError::Invalid(format!("the file {key}: {e}")))?;
    if FileKey::of(&bytes) != key {
        return Err(TransferError::Invalid(format!(
            "the file {} ({key}) does not match its SHA-256: the export is damaged",
            file.name
        )));
    }
    files.storage.put(&key, bytes.into()).await?;
    Ok(())
}

fn apply(
    conn: &mut AnyConnection,
    urls: &Urls,
    export: &Export,
    name: Option<&str>,
    mut keys: Vec<KeyPair>,
) -> Result<Imported, TransferError> {
    let c = &export.community;
    let name = name.unwrap_or(&c.preferred_username);
    crate::accounts::check_username(name)?;
    crate::accounts::ensure_name_free(conn, name)?;
    let mut done = Imported {
        community: name.to_string(),
        ..Imported::default()
    };
    let mut actor = crate::accounts::new_local_actor(
        urls,
        actor_kind::GROUP,
        name,
        Some(sanitize::title(&c.name)),
        keys.pop().expect("one key pair per actor"),
    );
    actor.summary = Some(sanitize::text_to_html(&c.domain_statement));
    actor.summary_source = Some(c.domain_statement.clone());
    actor.posting_restricted_to_mods = c.posting_restricted_to_mods;
    actor.discoverable = c.discoverable;
    actor.manually_approves_followers = c.join_policy != weft_db::models::join_policy::OPEN;
    actor.published_at = c.published;
    let community = weft_db::actors::insert(conn, &actor)?;
    done.ap_id = community.ap_id.clone();
    weft_db::actors::insert_community(
        conn,
        &CommunityRow {
            actor_id: community.id,
            terms_of_reference: c.terms_of_reference.clone(),
            lifecycle: c.lifecycle.clone(),
            meeting_mode: c.meeting_mode.clone(),
            parent_id: None,
            created_at: c.published,
            join_policy: c.join_policy.clone(),
        },
    )?;

    let people = people(conn, urls, export, &mut keys, &mut done)?;
    let person = |id: &str| people[id].id;
    weft_db::communities::upsert_profile(
        conn,
        &CommunityProfileRow {
            actor_id: community.id,
            terms_of_reference_html: sanitize::markdown_to_html(&c.terms_of_reference),
            meeting_rhythm: c.meeting_rhythm.clone(),
            language: c.language.clone(),
            why: c.why.clone(),
            proposer_id: c.proposer.as_deref().map(person),
            updated_at: weft_db::now(),
        },
    )?;
    weft_db::communities::set_tags(conn, community.id, &c.tags)?;
    for o in &export.objectives {
        weft_db::communities::insert_objective(
            conn,
            &NewObjective {
                community_id: community.id,
                kind: o.kind.clone(),
                title: o.title.clone(),
                status: o.status.clone(),
                done_on: o.done_on.clone(),
                note: o.note.clone(),
                created_at: o.created,
            },
        )?;
    }
    for m in &export.members {
        if !role::ALL.contains(&m.role.as_str()) {
            return Err(TransferError::Invalid(format!(
                "{:?} is not a role",
                m.role
            )));
        }
        weft_db::actors::set_membership(
            conn,
            &MembershipRow {
                community_id: community.id,
                person_id: person(&m.person),
                role: m.role.clone(),
                created_at: m.joined,
            },
        )?;
        done.members += 1;
    }

    let mut folders: HashMap<&str, i64> = HashMap::new();
    for f in &export.folders {
        let parent = match &f.parent {
            Some(p) => Some(*folders.get(p.as_str()).ok_or_else(|| {
                TransferError::Invalid(format!("the folder {} comes before its parent", f.id))
            })?),
            None => None,
        };
        let row = weft_db::resources::insert_folder(
            conn,
            &NewFolder {
                community_id: community.id,
                parent_id: parent,
                name: f.name.clone(),
                ap_id: format!("{}pending/{}", urls.base(), uuid::Uuid::new_v4()),
                created_at: f.created,
            },
        )?;
        weft_db::resources::set_folder_ap_id(conn, row.id, urls.folder(row.id).as_str())?;
        folders.insert(&f.id, row.id);
    }

    let old_files = format!("{}/files/", export.source.trim_end_matches('/'));
    let new_files = format!("{}files/", urls.base());
    // Source id → (row id, thread root) for the replies that follow.
    let mut items: HashMap<&str, (i64, Option<i64>)> = HashMap::new();
    for item in &export.items {
        let kind = ItemKind::try_from(item.kind.as_str()).map_err(TransferError::Invalid)?;
        let author = &people[item.attributed_to.as_str()];
        let parent = item
            .in_reply_to
            .as_deref()
            .and_then(|p| items.get(p))
            .copied();
        let new = NewItem {
            ap_id: item.id.clone(),
            kind,
            object_type: item.object_type.clone(),
            author_id: author.id,
            origin_community_id: Some(community.id),
            title: item.name.clone(),
            content: sanitize::html(&item.content),
            source: item.source.clone(),
            url: item.url.clone(),
            in_reply_to_id: parent.map(|(id, _)| id),
            in_reply_to_ap_id: item.in_reply_to.clone(),
            thread_root_id: parent.map(|(id, root)| root.unwrap_or(id)),
            is_local: item.local,
            published_at: item.published,
            updated_at: item.updated,
        };
        let stored = if item.local {
            let mut new = new;
            if let Some((parent_id, _)) = parent {
                new.in_reply_to_ap_id = Some(
                    weft_db::items::by_id(conn, parent_id)?
                        .expect("stored")
                        .ap_id,
                );
            }
            crate::posts::store_local(conn, urls, author, &community, new)?
        } else {
            let stored = match weft_db::items::by_ap_id(conn, &item.id)? {
                Some(known) => known,
                None => weft_db::items::insert(conn, &new)?,
            };
            weft_db::items::place(
                conn,
                &crate::posts::created_placement(&stored, author, &community, item.published),
            )?;
            stored
        };
        if let Some(at) = item.deleted {
            weft_db::items::mark_deleted(conn, stored.id, at)?;
        }
        if let Some(e) = &item.event {
            event(conn, stored.id, e, &person)?;
            done.events += 1;
        }
        if let Some(r) = &item.resource {
            done.versions += resource(
                conn, stored.id, r, &folders, &person, &old_files, &new_files,
            )?;
            done.resources += 1;
        }
        items.insert(&item.id, (stored.id, stored.thread_root_id));
        done.items += 1;
    }

    for f in &export.files {
        weft_db::files::insert(
            conn,
            &NewFile {
                sha256: &f.sha256,
                media_type: &f.media_type,
                size: f.size,
                uploader_id: person(&f.uploaded_by),
                community_id: community.id,
                name: &f.name,
                created_at: f.created,
            },
        )?;
        done.files += 1;
    }
    Ok(done)
}

/// The export's people as actors here: local people matched by username or made (with no
/// password: they set one by resetting it), remote people as they are known or as the
/// export describes them (refreshed from their server when next needed).
fn people<'a>(
    conn: &mut AnyConnection,
    urls: &Urls,
    export: &'a Export,
    keys: &mut Vec<KeyPair>,
    done: &mut Imported,
) -> Result<HashMap<&'a str, ActorRow>, TransferError> {
    let mut map = HashMap::new();
    for p in &export.people {
        let actor = if p.local {
            match weft_db::actors::local_by_username(conn, &p.preferred_username)?
                .filter(|a| a.kind == actor_kind::PERSON)
            {
                Some(existing) => {
                    done.people_matched += 1;
                    existing
                }
                None => {
                    let actor = crate::accounts::insert_person(
                        conn,
                        urls,
                        &p.preferred_username,
                        p.name.as_deref(),
                        keys.pop().expect("one key pair per local person"),
                    )?;
                    let email = match &p.email {
                        Some(e) if !weft_db::accounts::email_taken(conn, e)? => Some(e.clone()),
                        _ => None,
                    };
                    weft_db::actors::insert_local_user(
                        conn,
                        &LocalUserRow {
                            actor_id: actor.id,
                            email,
                            password_hash: None,
                            is_admin: false,
                            status: account_status::ACTIVE.into(),
                            application: None,
                            created_at: weft_db::now(),
                        },
                    )?;
                    done.people_created += 1;
                    actor
                }
            }
        } else {
            match weft_db::actors::by_ap_id(conn, &p.id)? {
                Some(known) => known,
                None => weft_db::actors::insert(conn, &remote_actor(p)?)?,
            }
        };
        map.insert(p.id.as_str(), actor);
    }
    Ok(map)
}

fn remote_actor(p: &format::Person) -> Result<NewActor, TransferError> {
    let missing =
        |what: &str| TransferError::Invalid(format!("the remote person {} has no {what}", p.id));
    let url = url::Url::parse(&p.id).map_err(|_| missing("valid id"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(missing("http(s) id"));
    }
    let pem = p
        .public_key_pem
        .clone()
        .ok_or_else(|| missing("public key"))?;
    let inbox = p.inbox.clone().ok_or_else(|| missing("inbox"))?;
    // Known only from the file: refreshed from its server at the first chance.
    let stale = chrono::DateTime::UNIX_EPOCH.naive_utc();
    Ok(NewActor {
        ap_id: p.id.clone(),
        kind: if p.kind == actor_kind::GROUP {
            actor_kind::GROUP
        } else {
            actor_kind::PERSON
        }
        .into(),
        username: sanitize::remote_title(&p.preferred_username),
        domain: p.domain.clone(),
        display_name: p.name.as_deref().map(sanitize::remote_title),
        summary: None,
        summary_source: None,
        inbox_url: inbox,
        shared_inbox_url: p.shared_inbox.clone(),
        outbox_url: None,
        followers_url: None,
        public_key_id: p
            .public_key_id
            .clone()
            .unwrap_or_else(|| format!("{}#main-key", p.id)),
        public_key_pem: pem,
        private_key_pem: None,
        is_local: false,
        manually_approves_followers: false,
        discoverable: true,
        posting_restricted_to_mods: false,
        published_at: stale,
        last_refreshed_at: stale,
    })
}

fn event(
    conn: &mut AnyConnection,
    item_id: i64,
    e: &format::Event,
    person: &impl Fn(&str) -> i64,
) -> Result<(), TransferError> {
    weft_db::events::insert(
        conn,
        &EventRow {
            item_id,
            starts_at: e.start_time,
            ends_at: e.end_time,
            timezone: e.timezone.clone(),
            online_url: e.online_url.clone(),
            place_name: e.place_name.clone(),
            place_address: e.place_address.clone(),
            capacity: e.capacity,
            status: e.status.clone(),
        },
    )?;
    for r in &e.rsvps {
        weft_db::events::set_rsvp(
            conn,
            &NewRsvp {
                event_id: item_id,
                person_id: person(&r.person),
                answer: r.answer.clone(),
                state: r.state.clone(),
                activity_ap_id: None,
                created_at: r.created,
                updated_at: r.updated,
            },
        )?;
    }
    Ok(())
}

/// Stores a resource and its versions; how many versions.
fn resource(
    conn: &mut AnyConnection,
    item_id: i64,
    r: &format::Resource,
    folders: &HashMap<&str, i64>,
    person: &impl Fn(&str) -> i64,
    old_files: &str,
    new_files: &str,
) -> Result<usize, TransferError> {
    let folder_id = match &r.folder {
        Some(f) => Some(*folders.get(f.as_str()).ok_or_else(|| {
            TransferError::Invalid(format!(
                "a resource is in the folder {f}, which the export lacks"
            ))
        })?),
        None => None,
    };
    weft_db::resources::insert(
        conn,
        &ResourceRow {
            item_id,
            folder_id,
            current_version: r.current_version,
            kind: r.kind.clone(),
        },
    )?;
    for v in &r.versions {
        // Links to the source's own files now point at the copies here.
        let attachments = v.attachments.to_string().replace(old_files, new_files);
        weft_db::resources::insert_version(
            conn,
            &NewVersion {
                resource_id: item_id,
                version: v.version,
                title: v.title.clone(),
                kind: v.kind.clone(),
                description_source: v.description_source.clone(),
                description_html: sanitize::html(&v.description_html),
                tags: serde_json::to_string(&v.tags).expect("json"),
                link: v.link.clone(),
                attachments,
                message: v.message.clone(),
                edited_by: person(&v.edited_by),
                created_at: v.created,
            },
        )?;
    }
    Ok(r.versions.len())
}
