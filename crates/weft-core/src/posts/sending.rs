//! What a post sends: the author's `Create`/`Update`/`Delete`, and the community's
//! `Announce`s to its followers, in the form each instance reads.

use super::url;
use crate::outbox::{Outgoing, queue, queue_in_forms};
use crate::software::Form;
use crate::{CoreResult, Urls};
use serde_json::Value;
use url::Url;
use weft_db::AnyConnection;
use weft_db::models::*;
use weft_protocol::{Activity, PUBLIC, PostObject};

/// Sends an author's `Create`/`Update`/`Delete`: into a local community it is stored in
/// the author's outbox and announced by the community ([`send_local`]); into a remote
/// one it goes to the community (and to the author of the post replied to).
pub(super) fn send_from_author(
    conn: &mut AnyConnection,
    urls: &Urls,
    author: &ActorRow,
    community: &ActorRow,
    verb: &str,
    object: &PostObject,
    object_value: Value,
) -> CoreResult<()> {
    let id = urls.activity();
    let mut activity: Activity<Value> =
        Activity::new(verb, id.clone(), url(&author.ap_id), object_value)
            .to(object.addressing.to.clone())
            .cc(object.addressing.cc.clone())
            .audience(Some(url(&community.ap_id)));
    if verb == "Delete" {
        activity = activity.to([community.ap_id.clone(), PUBLIC.to_string()]);
    }
    if community.is_local {
        let bare = (verb == "Create").then(|| serde_json::to_value(object).expect("json"));
        return send_local(
            conn,
            urls,
            LocalActivity {
                author,
                community,
                verb,
                activity: &activity,
                object_id: object.id.as_str(),
                bare,
            },
        );
    }
    let mut inboxes = vec![community.delivery_inbox().to_string()];
    for cc in &object.addressing.cc {
        if let Some(actor) = weft_db::actors::by_ap_id(conn, cc)? {
            inboxes.push(actor.delivery_inbox().to_string());
        }
    }
    queue(
        conn,
        urls,
        Outgoing {
            sender: author,
            activity: &activity,
            kind: verb,
            activity_id: &id,
            object_id: Some(object.id.as_str()),
            public: true,
            inboxes,
        },
    )?;
    Ok(())
}

/// A local author's activity on an item of a local community (a post, an event).
pub(crate) struct LocalActivity<'a> {
    pub author: &'a ActorRow,
    pub community: &'a ActorRow,
    /// `Create`, `Update` or `Delete`.
    pub verb: &'a str,
    pub activity: &'a Activity<Value>,
    pub object_id: &'a str,
    /// The bare object, announced beside the activity (for a `Create`).
    pub bare: Option<Value>,
}

/// Sends a local author's activity on an item of a local community: kept in the author's
/// outbox and announced by the community (the `Announce` of the activity to group-aware
/// instances, of the bare object of a `Create` to microblog ones). An `Update`/`Delete`
/// also goes from the author to the instances that received the item (its community's
/// remote followers') and do not read the community's `Announce` of it (microblog and
/// unknown software): Mastodon updates and removes a post only that way. See
/// [`crate::software`].
pub(crate) fn send_local(
    conn: &mut AnyConnection,
    urls: &Urls,
    sent: LocalActivity<'_>,
) -> CoreResult<()> {
    let followers = weft_db::follows::remote_follower_inboxes(conn, sent.community.id)?;
    let inboxes = if sent.verb == "Create" {
        vec![]
    } else {
        followers.clone()
    };
    queue_in_forms(
        conn,
        urls,
        vec![(
            Outgoing {
                sender: sent.author,
                activity: sent.activity,
                kind: sent.verb,
                activity_id: &sent.activity.id,
                object_id: Some(sent.object_id),
                public: true,
                inboxes,
            },
            Some(Form::Object),
        )],
    )?;
    let list = announcements(
        urls,
        sent.community,
        serde_json::to_value(sent.activity).expect("json"),
        sent.bare,
    );
    queue_in_forms(conn, urls, outgoing(sent.community, &list, &followers))?;
    if sent.verb == "Create" {
        crate::constellation::bridges::created_here(conn, urls, sent.community, sent.object_id)?;
    }
    Ok(())
}

/// The community announces an activity to its followers (FEP-1b12), and for a new post
/// a second `Announce` of the bare object, which Mastodon and Pleroma show. Each
/// follower instance gets the forms its software reads ([`crate::software`]).
pub fn announce(
    conn: &mut AnyConnection,
    urls: &Urls,
    community: &ActorRow,
    inner: Value,
    bare_object: Option<Value>,
) -> CoreResult<()> {
    let inboxes = weft_db::follows::remote_follower_inboxes(conn, community.id)?;
    let created = bare_object
        .as_ref()
        .and_then(|o| o.get("id"))
        .and_then(Value::as_str)
        .map(str::to_string);
    let list = announcements(urls, community, inner, bare_object);
    queue_in_forms(conn, urls, outgoing(community, &list, &inboxes))?;
    if let Some(id) = created {
        crate::constellation::bridges::created_here(conn, urls, community, &id)?;
    }
    Ok(())
}

/// One `Announce` by a community, not yet queued.
pub(crate) struct Announcement {
    id: Url,
    object_id: Option<String>,
    activity: Activity<Value>,
    form: Form,
}

/// The `Announce`s of `inner` (and of the bare object of a new post) by `community`:
/// the first for group-aware instances, the second for microblog ones.
pub(crate) fn announcements(
    urls: &Urls,
    community: &ActorRow,
    inner: Value,
    bare_object: Option<Value>,
) -> Vec<Announcement> {
    let object_id = inner
        .get("object")
        .and_then(|o| weft_protocol::ids_of(Some(o)).into_iter().next());
    let followers = community.followers_url.clone().unwrap_or_default();
    let announce = |object: Value, form: Form| {
        let id = urls.activity();
        Announcement {
            activity: Activity::new("Announce", id.clone(), url(&community.ap_id), object)
                .to([PUBLIC.to_string()])
                .cc([followers.clone()])
                .audience(Some(url(&community.ap_id))),
            id,
            object_id: object_id.clone(),
            form,
        }
    };
    let mut list = vec![announce(inner, Form::Activity)];
    if let Some(object) = bare_object {
        list.push(announce(object, Form::Object));
    }
    list
}

/// The announcements as activities to queue for the community's remote followers, each
/// with its form.
pub(crate) fn outgoing<'a>(
    community: &'a ActorRow,
    list: &'a [Announcement],
    inboxes: &[String],
) -> Vec<(Outgoing<'a, Activity<Value>>, Option<Form>)> {
    list.iter()
        .map(|a| {
            (
                Outgoing {
                    sender: community,
                    activity: &a.activity,
                    kind: "Announce",
                    activity_id: &a.id,
                    object_id: a.object_id.as_deref(),
                    public: true,
                    inboxes: inboxes.to_vec(),
                },
                Some(a.form),
            )
        })
        .collect()
}
