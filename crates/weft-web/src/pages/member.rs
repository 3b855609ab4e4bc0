//! What members do: their home feed, joining and leaving, threads and replies (and
//! editing and deleting their own), RSVPs, proposing a community and saying they are
//! interested in one. Each form calls the `weft-core` service and shows its answer.

use super::{ActorLink, ThreadLine};
use crate::forms::{self, given};
use crate::render::{Chrome, PageError, ok, see};
use crate::session::Viewer;
use askama::Template;
use axum::Form;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::Response;
use weft_core::CoreError;
use weft_core::communities::lifecycle::{Proposal, Proposed};
use weft_core::posts::NewPost;
use weft_core::rules::JoinAnswer;
use weft_db::models::{ActorRow, actor_kind};

/// Threads on the home page.
const HOME_THREADS: usize = 30;

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    c: Chrome,
    communities: Vec<ActorLink>,
    threads: Vec<(ActorLink, ThreadLine)>,
}

/// `GET /home`: the latest threads of the communities the member belongs to or
/// follows, here or elsewhere.
pub async fn home(viewer: Viewer) -> Result<Response, PageError> {
    let chrome = viewer.chrome("Home");
    let me = viewer.member()?;
    let (communities, entries) = viewer
        .ctx
        .db
        .read(move |c| -> Result<_, CoreError> {
            // Those they are a member of here, then those they follow (here or elsewhere).
            let mut communities = weft_db::memberships::communities_of(c, me.id)?;
            for ap_id in weft_db::follows::following(c, me.id)? {
                if let Some(a) = weft_db::actors::by_ap_id(c, &ap_id)?
                    && a.is_group()
                    && !communities.iter().any(|known| known.id == a.id)
                {
                    communities.push(a);
                }
            }
            let mut entries = vec![];
            for community in &communities {
                for e in weft_core::feed::community_feed(c, community, &me, None, 10)? {
                    entries.push((community.clone(), e));
                }
            }
            entries.sort_by_key(|e| std::cmp::Reverse(e.1.last_activity_at));
            entries.truncate(HOME_THREADS);
            Ok((communities, entries))
        })
        .await
        .map_err(|e| PageError::from(e).within(&chrome))?;
    Ok(ok(&HomePage {
        c: chrome,
        communities: communities.iter().map(ActorLink::from_row).collect(),
        threads: entries
            .iter()
            .map(|(community, e)| {
                let link = ActorLink::from_row(community);
                let line = ThreadLine::from_entry(e, &link.href);
                (link, line)
            })
            .collect(),
    }))
}

/// The community a form names: `/c/{name}` here.
async fn community(viewer: &Viewer, name: &str) -> Result<ActorRow, PageError> {
    let owned = name.to_string();
    viewer
        .ctx
        .db
        .read(move |c| weft_db::actors::local_by_username(c, &owned))
        .await?
        .filter(|a| a.kind == actor_kind::GROUP)
        .ok_or_else(|| PageError::not_found(format!("There is no community named {name} here.")))
}

/// A community known here by id (`/remote/{id}` pages' forms).
async fn known_community(viewer: &Viewer, id: i64) -> Result<ActorRow, PageError> {
    viewer
        .ctx
        .db
        .read(move |c| weft_db::actors::by_id(c, id))
        .await
        .ok()
        .filter(|a| a.is_group())
        .ok_or_else(|| PageError::not_found("This instance knows no such community."))
}

fn page_of(community: &ActorRow) -> String {
    if community.is_local {
        format!("/c/{}", community.username)
    } else {
        format!("/remote/{}", community.id)
    }
}

async fn join_community(viewer: Viewer, community: ActorRow) -> Result<Response, PageError> {
    let chrome = viewer.chrome("Join");
    let me = viewer.member()?;
    let (urls, c2) = (viewer.ctx.urls.clone(), community.clone());
    let answer = viewer
        .ctx
        .db
        .write(move |c| weft_core::membership::join(c, &urls, &me, &c2, None))
        .await
        .map_err(|e| PageError::from(e).within(&chrome))?;
    viewer.ctx.delivery.wake();
    let done = match answer {
        JoinAnswer::Member => "joined",
        JoinAnswer::Pending => "requested",
    };
    Ok(see(&format!("{}?done={done}", page_of(&community))))
}

async fn leave_community(viewer: Viewer, community: ActorRow) -> Result<Response, PageError> {
    let chrome = viewer.chrome("Leave");
    let me = viewer.member()?;
    let (urls, c2) = (viewer.ctx.urls.clone(), community.clone());
    viewer
        .ctx
        .db
        .write(move |c| weft_core::membership::leave(c, &urls, &me, &c2))
        .await
        .map_err(|e| PageError::from(e).within(&chrome))?;
    viewer.ctx.delivery.wake();
    Ok(see(&format!("{}?done=left", page_of(&community))))
}

/// `POST /c/{name}/join`: a member at once, or a request that waits (the policy's).
pub async fn join(viewer: Viewer, Path(name): Path<String>) -> Result<Response, PageError> {
    let community = community(&viewer, &name)
        .await
        .map_err(|e| e.within(&viewer.chrome("Join")))?;
    join_community(viewer, community).await
}

pub async fn leave(viewer: Viewer, Path(name): Path<String>) -> Result<Response, PageError> {
    let community = community(&viewer, &name)
        .await
        .map_err(|e| e.within(&viewer.chrome("Leave")))?;
    leave_community(viewer, community).await
}

/// `POST /remote/{id}/join`: follows a community elsewhere (pending until it accepts).
pub async fn join_remote(viewer: Viewer, Path(id): Path<i64>) -> Result<Response, PageError> {
    let community = known_community(&viewer, id)
        .await
        .map_err(|e| e.within(&viewer.chrome("Join")))?;
    join_community(viewer, community).await
}

pub async fn leave_remote(viewer: Viewer, Path(id): Path<i64>) -> Result<Response, PageError> {
    let community = known_community(&viewer, id)
        .await
        .map_err(|e| e.within(&viewer.chrome("Leave")))?;
    leave_community(viewer, community).await
}

/// `POST /c/{name}/interest`: says (or, with `withdraw`, unsays) they are interested in
/// a proposal.
pub async fn interest(
    viewer: Viewer,
    Path(name): Path<String>,
    Form(form): Form<forms::Interest>,
) -> Result<Response, PageError> {
    let chrome = viewer.chrome("Interest");
    let me = viewer.member()?;
    let community = community(&viewer, &name)
        .await
        .map_err(|e| e.within(&chrome))?;
    let withdraw = given(&form.withdraw).is_some();
    let c2 = community.clone();
    viewer
        .ctx
        .db
        .write(move |c| {
            if withdraw {
                weft_core::communities::lifecycle::withdraw_interest(c, &me, &c2)
            } else {
                weft_core::communities::lifecycle::express_interest(c, &me, &c2)
            }
        })
        .await
        .map_err(|e| PageError::from(e).within(&chrome))?;
    Ok(see(&format!("/c/{name}?done=interested")))
}

/// `POST /c/{name}/post`: starts a thread.
pub async fn start_thread(
    viewer: Viewer,
    Path(name): Path<String>,
    Form(form): Form<forms::NewThread>,
) -> Result<Response, PageError> {
    let chrome = viewer.chrome("New thread");
    let me = viewer.member()?;
    let community = community(&viewer, &name)
        .await
        .map_err(|e| e.within(&chrome))?;
    let urls = viewer.ctx.urls.clone();
    let item = viewer
        .ctx
        .db
        .write(move |c| {
            weft_core::posts::create(
                c,
                &urls,
                &me,
                NewPost {
                    community: &community,
                    title: Some(form.title.trim()),
                    content: &form.content,
                    in_reply_to: None,
                },
            )
        })
        .await
        .map_err(|e| PageError::from(e).within(&chrome))?;
    viewer.ctx.delivery.wake();
    Ok(see(&format!("/c/{name}/t/{}?done=posted", item.id)))
}

/// The thread page of a post (its root's), for redirects.
async fn thread_page(viewer: &Viewer, item_id: i64) -> Result<String, PageError> {
    let (community, root) = viewer
        .ctx
        .db
        .read(move |c| -> Result<_, CoreError> {
            let item = weft_db::items::by_id(c, item_id)?
                .ok_or_else(|| CoreError::NotFound(format!("no post {item_id}")))?;
            let community = match item.origin_community_id {
                Some(id) => Some(weft_db::actors::by_id(c, id)?),
                None => None,
            };
            Ok((community, item.thread_root_id.unwrap_or(item.id)))
        })
        .await?;
    Ok(match community {
        Some(c) => format!("{}/t/{root}", page_of(&c)),
        None => "/home".into(),
    })
}

async fn post_item(viewer: &Viewer, id: i64) -> Result<weft_db::models::ItemRow, PageError> {
    viewer
        .ctx
        .db
        .read(move |c| weft_db::items::by_id(c, id))
        .await?
        .filter(|i| i.deleted_at.is_none())
        .ok_or_else(|| PageError::not_found(format!("There is no post {id} here.")))
}

/// `POST /c/{name}/t/{id}/reply`: replies to the thread (here or in a community
/// elsewhere, where it is pending until that community announces it).
pub async fn reply(
    viewer: Viewer,
    Path((_name, id)): Path<(String, i64)>,
    Form(form): Form<forms::Reply>,
) -> Result<Response, PageError> {
    let chrome = viewer.chrome("Reply");
    let me = viewer.member()?;
    let parent = post_item(&viewer, id)
        .await
        .map_err(|e| e.within(&chrome))?;
    let urls = viewer.ctx.urls.clone();
    viewer
        .ctx
        .db
        .write(move |c| -> Result<_, CoreError> {
            let community = weft_db::actors::by_id(
                c,
                parent.origin_community_id.ok_or_else(|| {
                    CoreError::Invalid("the post replied to is in no community".into())
                })?,
            )?;
            weft_core::posts::create(
                c,
                &urls,
                &me,
                NewPost {
                    community: &community,
                    title: None,
                    content: &form.content,
                    in_reply_to: Some(&parent),
                },
            )
        })
        .await
        .map_err(|e| PageError::from(e).within(&chrome))?;
    viewer.ctx.delivery.wake();
    let page = thread_page(&viewer, id)
        .await
        .map_err(|e| e.within(&chrome))?;
    Ok(see(&format!("{page}?done=replied")))
}

#[derive(Template)]
#[template(path = "edit.html")]
struct EditPage {
    c: Chrome,
    action: String,
    back: String,
    title: Option<String>,
    content: String,
}

/// `GET /c/{name}/t/{id}/edit`: the author's form to change their post.
pub async fn edit_form(
    viewer: Viewer,
    Path((name, id)): Path<(String, i64)>,
) -> Result<Response, PageError> {
    let chrome = viewer.chrome("Edit your post");
    let me = viewer.member()?;
    let item = post_item(&viewer, id)
        .await
        .map_err(|e| e.within(&chrome))?;
    if item.author_id != me.id {
        return Err(
            PageError::new(StatusCode::FORBIDDEN, "only its author may edit a post")
                .within(&chrome),
        );
    }
    let back = thread_page(&viewer, id)
        .await
        .map_err(|e| e.within(&chrome))?;
    let base = back
        .rsplit_once("/t/")
        .map(|(b, _)| b.to_string())
        .unwrap_or(format!("/c/{name}"));
    Ok(ok(&EditPage {
        c: chrome,
        action: format!("{base}/t/{id}/edit"),
        back,
        title: item
            .thread_root_id
            .is_none_or(|r| r == item.id)
            .then(|| item.title.clone().unwrap_or_default()),
        content: item
            .source
            .clone()
            .unwrap_or_else(|| weft_core::sanitize::html_to_text(&item.content)),
    }))
}

/// `POST /c/{name}/t/{id}/edit`: the service decides who may.
pub async fn edit(
    viewer: Viewer,
    Path((_name, id)): Path<(String, i64)>,
    Form(form): Form<forms::Edit>,
) -> Result<Response, PageError> {
    let chrome = viewer.chrome("Edit your post");
    let me = viewer.member()?;
    let urls = viewer.ctx.urls.clone();
    viewer
        .ctx
        .db
        .write(move |c| {
            weft_core::posts::edit(c, &urls, &me, id, given(&form.title), &form.content)
        })
        .await
        .map_err(|e| PageError::from(e).within(&chrome))?;
    viewer.ctx.delivery.wake();
    let page = thread_page(&viewer, id)
        .await
        .map_err(|e| e.within(&chrome))?;
    Ok(see(&format!("{page}?done=edited")))
}

/// `POST /c/{name}/t/{id}/delete`: its author (or a moderator) deletes a post.
pub async fn delete(
    viewer: Viewer,
    Path((name, id)): Path<(String, i64)>,
) -> Result<Response, PageError> {
    let chrome = viewer.chrome("Delete");
    let me = viewer.member()?;
    let item = post_item(&viewer, id)
        .await
        .map_err(|e| e.within(&chrome))?;
    let thread = thread_page(&viewer, id)
        .await
        .map_err(|e| e.within(&chrome))?;
    let back = match item.thread_root_id {
        Some(root) if root != item.id => thread,
        // A thread deleted: back to its community.
        _ => thread
            .rsplit_once("/t/")
            .map(|(b, _)| b.to_string())
            .unwrap_or(format!("/c/{name}")),
    };
    let urls = viewer.ctx.urls.clone();
    viewer
        .ctx
        .db
        .write(move |c| weft_core::posts::delete(c, &urls, &me, id))
        .await
        .map_err(|e| PageError::from(e).within(&chrome))?;
    viewer.ctx.delivery.wake();
    Ok(see(&format!("{back}?done=deleted")))
}

/// `POST /c/{name}/events/{id}/rsvp`: going, maybe or declined.
pub async fn rsvp(
    viewer: Viewer,
    Path((name, id)): Path<(String, i64)>,
    Form(form): Form<forms::Rsvp>,
) -> Result<Response, PageError> {
    let chrome = viewer.chrome("RSVP");
    let me = viewer.member()?;
    let urls = viewer.ctx.urls.clone();
    let details = viewer
        .ctx
        .db
        .write(move |c| weft_core::events::rsvp(c, &urls, &me, id, form.answer.trim()))
        .await
        .map_err(|e| PageError::from(e).within(&chrome))?;
    viewer.ctx.delivery.wake();
    let base = if details.community.is_local {
        format!("/c/{name}")
    } else {
        format!("/remote/{}", details.community.id)
    };
    Ok(see(&format!("{base}/events/{id}?done=answered")))
}

#[derive(Template)]
#[template(path = "propose.html")]
struct ProposePage {
    c: Chrome,
    name: String,
    title: String,
    about: String,
    why: String,
    tags: String,
    similar: Vec<(ActorLink, String)>,
    error: Option<String>,
}

pub async fn propose_form(viewer: Viewer) -> Result<Response, PageError> {
    let chrome = viewer.chrome("Propose a community");
    viewer.member()?;
    Ok(ok(&ProposePage {
        c: chrome,
        name: String::new(),
        title: String::new(),
        about: String::new(),
        why: String::new(),
        tags: String::new(),
        similar: vec![],
        error: None,
    }))
}

/// `POST /propose`: the service shows similar communities first; proposing again with
/// `confirmed` saves it.
pub async fn propose(
    viewer: Viewer,
    Form(form): Form<forms::Propose>,
) -> Result<Response, PageError> {
    let chrome = viewer.chrome("Propose a community");
    let me = viewer.member()?;
    let keys = tokio::task::spawn_blocking(weft_core::keys::generate)
        .await
        .map_err(|e| PageError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
    let proposal = Proposal {
        name: form.name.trim().to_string(),
        title: form.title.trim().to_string(),
        about: form.about.clone(),
        why: form.why.clone(),
        tags: form
            .tags
            .split([',', ' '])
            .map(|t| t.trim().trim_start_matches('#'))
            .filter(|t| !t.is_empty())
            .map(str::to_string)
            .collect(),
        parent: None,
        confirmed: given(&form.confirmed).is_some(),
    };
    let urls = viewer.ctx.urls.clone();
    let p = proposal.clone();
    let proposed = viewer
        .ctx
        .db
        .write(move |c| weft_core::communities::lifecycle::propose(c, &urls, &me, &p, keys))
        .await;
    let again = |similar, error| ProposePage {
        c: chrome.clone(),
        name: form.name.clone(),
        title: form.title.clone(),
        about: form.about.clone(),
        why: form.why.clone(),
        tags: form.tags.clone(),
        similar,
        error,
    };
    match proposed {
        Ok(Proposed::Created(profile)) => {
            viewer.ctx.delivery.wake();
            Ok(see(&format!("/c/{}?done=proposed", profile.actor.username)))
        }
        Ok(Proposed::SimilarExist(found)) => Ok(ok(&again(
            found
                .iter()
                .map(|s| {
                    (
                        ActorLink::from_directory_entry(&s.community),
                        s.community.lifecycle.clone(),
                    )
                })
                .collect(),
            None,
        ))),
        Err(e @ (CoreError::Invalid(_) | CoreError::Conflict(_))) => {
            let message = e.to_string();
            let status = PageError::from(e).status;
            Ok(crate::render::page(status, &again(vec![], Some(message))))
        }
        Err(e) => Err(PageError::from(e).within(&chrome)),
    }
}
