//! Remote `Create`s of posts, taken in batches: the inbox's hot path. Each post meets the
//! same rules as anywhere else (`posts::check_authorship`, `posts::community_among`,
//! `rules::may_post_with`); what a batch shares is the reading and writing, a few
//! statements per batch instead of a dozen per post. A batch of one is the plain case.

use crate::outbox::queue_many;
use crate::posts::{
    Announcement, Received, Wanted, announcements, check_authorship, community_among,
    community_candidates, created_placement, new_remote_item, outgoing,
};
use crate::wire::{PostPlace, item_into_json};
use crate::{CoreError, CoreResult, Urls, rules};
use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};
use url::Url;
use weft_db::AnyConnection;
use weft_db::models::{ActorRow, CommunityRow, ItemRow};
use weft_protocol::{Activity, PostObject, addresses_public};

/// A `Create` whose signature (by `author`) has been verified.
pub struct IncomingCreate {
    pub create_id: Url,
    pub author: ActorRow,
    pub object: PostObject,
}

/// What became of one `Create`: `Ok(None)` when the activity was received before; an
/// error when it was refused (then nothing of it is recorded, so a corrected delivery is
/// taken). Into a local community a post is checked against the posting rules, stored,
/// placed and announced to the community's followers; into a remote community only when
/// someone here follows it.
pub type CreateOutcome = CoreResult<Option<Received>>;

/// Receives a batch of `Create`s in the caller's transaction, one outcome per create in
/// the order given. They are taken as if one after another: a repeat of, or a reply to,
/// a post earlier in the batch waits for a later round, after that post is stored.
pub fn receive_creates(
    conn: &mut AnyConnection,
    urls: &Urls,
    batch: &[IncomingCreate],
) -> CoreResult<Vec<CreateOutcome>> {
    weft_db::prefer_indexes(conn)?;
    let mut outcomes: Vec<Option<CreateOutcome>> = batch.iter().map(|_| None).collect();
    let mut pending: Vec<usize> = (0..batch.len()).collect();
    while !pending.is_empty() {
        let (round, later) = independent(batch, pending);
        receive_round(conn, urls, batch, &round, &mut outcomes)?;
        pending = later;
    }
    Ok(outcomes
        .into_iter()
        .map(|o| o.expect("every create is decided in some round"))
        .collect())
}

/// Splits off the creates that depend on an earlier one in this round (the same activity
/// or object, or a reply to its object).
fn independent(batch: &[IncomingCreate], pending: Vec<usize>) -> (Vec<usize>, Vec<usize>) {
    let mut activities = HashSet::new();
    let mut objects = HashSet::new();
    let (mut round, mut later) = (vec![], vec![]);
    for i in pending {
        let c = &batch[i];
        let depends = activities.contains(c.create_id.as_str())
            || objects.contains(c.object.id.as_str())
            || c.object
                .in_reply_to
                .as_ref()
                .is_some_and(|p| objects.contains(p.as_str()));
        if depends {
            later.push(i);
        } else {
            activities.insert(c.create_id.as_str());
            objects.insert(c.object.id.as_str());
            round.push(i);
        }
    }
    (round, later)
}

/// What one create in a round will do.
enum Decision {
    Known(ItemRow),
    Ignored(String),
    Store {
        community: Box<ActorRow>,
        parent: Option<ItemRow>,
    },
}

/// Rows read once for a whole round.
struct Lookups {
    items: HashMap<String, ItemRow>,
    actors_by_ap_id: HashMap<String, ActorRow>,
    actors_by_id: HashMap<i64, ActorRow>,
}

impl Lookups {
    fn read(
        conn: &mut AnyConnection,
        urls: &Urls,
        batch: &[IncomingCreate],
        live: &[usize],
    ) -> CoreResult<Lookups> {
        let mut wanted_items: Vec<String> = vec![];
        let mut wanted_actors: Vec<String> = vec![];
        for &i in live {
            let object = &batch[i].object;
            wanted_items.push(object.id.to_string());
            wanted_items.extend(object.in_reply_to.as_ref().map(Url::to_string));
            wanted_actors.extend(community_candidates(urls, object));
        }
        dedup(&mut wanted_items);
        dedup(&mut wanted_actors);
        let items: HashMap<String, ItemRow> = weft_db::items::by_ap_ids(conn, &wanted_items)?
            .into_iter()
            .map(|r| (r.ap_id.clone(), r))
            .collect();
        let mut parent_communities: Vec<i64> = items
            .values()
            .filter_map(|i| i.origin_community_id)
            .collect();
        dedup(&mut parent_communities);
        let actors_by_ap_id = weft_db::actors::by_ap_ids(conn, &wanted_actors)?
            .into_iter()
            .map(|a| (a.ap_id.clone(), a))
            .collect();
        let actors_by_id = weft_db::actors::by_ids(conn, &parent_communities)?
            .into_iter()
            .map(|a| (a.id, a))
            .collect();
        Ok(Lookups {
            items,
            actors_by_ap_id,
            actors_by_id,
        })
    }

    fn community(
        &self,
        urls: &Urls,
        object: &PostObject,
        parent: Option<&ItemRow>,
    ) -> CoreResult<Option<ActorRow>> {
        community_among(object, urls, parent, |wanted| {
            Ok(match wanted {
                Wanted::Id(id) => self.actors_by_id.get(&id).cloned(),
                Wanted::ApId(ap_id) => self.actors_by_ap_id.get(ap_id).cloned(),
            })
        })
    }
}

fn dedup<T: Ord>(v: &mut Vec<T>) {
    v.sort();
    v.dedup();
}

fn receive_round(
    conn: &mut AnyConnection,
    urls: &Urls,
    batch: &[IncomingCreate],
    round: &[usize],
    outcomes: &mut [Option<CreateOutcome>],
) -> CoreResult<()> {
    let mut live = vec![];
    for &i in round {
        match check_authorship(&batch[i].object, &batch[i].author) {
            Ok(()) => live.push(i),
            Err(e) => outcomes[i] = Some(Err(e)),
        }
    }
    if live.is_empty() {
        return Ok(());
    }
    let lookups = Lookups::read(conn, urls, batch, &live)?;
    let decisions = decide(conn, urls, batch, &live, &lookups)?;
    let mut decided = vec![];
    for (i, decision) in live.into_iter().zip(decisions) {
        match decision {
            Ok(d) => decided.push((i, d)),
            Err(e) => outcomes[i] = Some(Err(e)),
        }
    }

    // What is acted on is recorded as received; one recorded before (perhaps a moment
    // ago, by a concurrent writer) is a repeat and does nothing more. A repeat costs no
    // extra query: it is decided like the others and dropped here.
    let marks: Vec<(String, String)> = decided
        .iter()
        .map(|(i, _)| {
            let c = &batch[*i];
            (c.create_id.to_string(), c.author.ap_id.clone())
        })
        .collect();
    let fresh = weft_db::outbox::mark_received_many(conn, &marks, weft_db::now())?;
    let mut stores = vec![];
    for (i, decision) in decided {
        if !fresh.contains(batch[i].create_id.as_str()) {
            outcomes[i] = Some(Ok(None));
            continue;
        }
        match decision {
            Decision::Known(item) => outcomes[i] = Some(Ok(Some(Received::Known(item)))),
            Decision::Ignored(why) => outcomes[i] = Some(Ok(Some(Received::Ignored(why)))),
            Decision::Store { community, parent } => stores.push((i, *community, parent)),
        }
    }
    store(conn, urls, batch, stores, outcomes)
}

/// Applies the rules to each live create, on rows read beforehand.
fn decide(
    conn: &mut AnyConnection,
    urls: &Urls,
    batch: &[IncomingCreate],
    live: &[usize],
    lookups: &Lookups,
) -> CoreResult<Vec<CoreResult<Decision>>> {
    let mut placed = vec![];
    for &i in live {
        let object = &batch[i].object;
        if let Some(existing) = lookups.items.get(object.id.as_str()) {
            placed.push(Ok(Decision::Known(existing.clone())));
            continue;
        }
        if !addresses_public(object.to.iter().chain(object.cc.iter())) {
            // A community re-announces publicly what it takes in: a followers-only or
            // direct post must not be widened that way.
            placed.push(Ok(Decision::Ignored(format!(
                "{} is not public; Weft communities take only public posts",
                object.id
            ))));
            continue;
        }
        let parent = object
            .in_reply_to
            .as_ref()
            .and_then(|p| lookups.items.get(p.as_str()).cloned());
        placed.push(match lookups.community(urls, object, parent.as_ref())? {
            None => Ok(Decision::Ignored(format!(
                "{} is not addressed to a community here",
                object.id
            ))),
            Some(community) => Ok(Decision::Store {
                community: Box::new(community),
                parent,
            }),
        });
    }
    // The rules of local communities, and whether anyone here follows remote ones.
    let mut local: Vec<i64> = vec![];
    let mut remote: Vec<i64> = vec![];
    for d in placed.iter().flatten() {
        if let Decision::Store { community, .. } = d {
            if community.is_local {
                &mut local
            } else {
                &mut remote
            }
            .push(community.id);
        }
    }
    dedup(&mut local);
    dedup(&mut remote);
    let details: HashMap<i64, CommunityRow> = weft_db::actors::communities(conn, &local)?
        .into_iter()
        .map(|c| (c.actor_id, c))
        .collect();
    let mut followed: HashMap<i64, bool> = HashMap::new();
    for id in remote {
        let here = !weft_db::follows::local_followers(conn, id)?.is_empty();
        followed.insert(id, here);
    }
    let mut decisions = Vec::with_capacity(placed.len());
    for (&i, decision) in live.iter().zip(placed) {
        decisions.push(match decision {
            Ok(Decision::Store { community, parent }) if community.is_local => {
                let author = &batch[i].author;
                rules::may_post_with(
                    &community,
                    details.get(&community.id),
                    parent.is_none(),
                    || Ok(weft_db::actors::role_of(conn, community.id, author.id)?),
                )
                .map(|()| Decision::Store { community, parent })
            }
            Ok(Decision::Store { community, .. }) if !followed[&community.id] => Ok(
                Decision::Ignored(format!("nobody here follows {}", community.ap_id)),
            ),
            other => other,
        });
    }
    Ok(decisions)
}

/// Stores and places the accepted posts; those in local communities are announced.
fn store(
    conn: &mut AnyConnection,
    urls: &Urls,
    batch: &[IncomingCreate],
    stores: Vec<(usize, ActorRow, Option<ItemRow>)>,
    outcomes: &mut [Option<CreateOutcome>],
) -> CoreResult<()> {
    if stores.is_empty() {
        return Ok(());
    }
    let now = weft_db::now();
    let rows: Vec<_> = stores
        .iter()
        .map(|(i, community, parent)| {
            new_remote_item(
                &batch[*i].author,
                &batch[*i].object,
                community,
                parent.as_ref(),
                now,
            )
        })
        .collect();
    let inserted = weft_db::items::insert_many(conn, &rows)?;
    let mut placements = vec![];
    let mut stored = vec![];
    for ((i, community, parent), item) in stores.into_iter().zip(inserted) {
        let Some(item) = item else {
            // Stored a moment ago by a concurrent writer.
            let existing = weft_db::items::by_ap_id(conn, batch[i].object.id.as_str())?
                .ok_or_else(|| CoreError::Conflict(format!("{} vanished", batch[i].object.id)))?;
            outcomes[i] = Some(Ok(Some(Received::Known(existing))));
            continue;
        };
        placements.push(created_placement(&item, &batch[i].author, &community, now));
        stored.push((i, item, community, parent));
    }
    weft_db::items::place_many(conn, &placements)?;
    announce_stored(conn, urls, batch, &stored)?;
    for (i, item, _, _) in stored {
        outcomes[i] = Some(Ok(Some(Received::Stored(item))));
    }
    Ok(())
}

/// Local communities announce what they took in: the `Create` as received (with the
/// post as stored), and the bare post. Built from rows in hand, not read back.
fn announce_stored(
    conn: &mut AnyConnection,
    urls: &Urls,
    batch: &[IncomingCreate],
    stored: &[(usize, ItemRow, ActorRow, Option<ItemRow>)],
) -> CoreResult<()> {
    let local: Vec<_> = stored.iter().filter(|s| s.2.is_local).collect();
    if local.is_empty() {
        return Ok(());
    }
    let mut author_ids: Vec<i64> = local
        .iter()
        .filter_map(|s| s.3.as_ref().map(|p| p.author_id))
        .collect();
    dedup(&mut author_ids);
    let parent_authors: HashMap<i64, ActorRow> = weft_db::actors::by_ids(conn, &author_ids)?
        .into_iter()
        .map(|a| (a.id, a))
        .collect();
    let mut root_ids: Vec<i64> = local
        .iter()
        .filter_map(|(_, item, _, parent)| {
            item.thread_root_id
                .filter(|r| parent.as_ref().map(|p| p.id) != Some(*r))
        })
        .collect();
    dedup(&mut root_ids);
    let roots: HashMap<i64, ItemRow> = weft_db::items::by_ids(conn, &root_ids)?
        .into_iter()
        .map(|r| (r.id, r))
        .collect();
    let mut inboxes: HashMap<i64, Vec<String>> = HashMap::new();
    let mut lists: Vec<(&ActorRow, Vec<Announcement>)> = vec![];
    for (i, item, community, parent) in local {
        if let Entry::Vacant(slot) = inboxes.entry(community.id) {
            slot.insert(weft_db::follows::remote_follower_inboxes(
                conn,
                community.id,
            )?);
        }
        let author = &batch[*i].author;
        let parent_author = parent
            .as_ref()
            .and_then(|p| parent_authors.get(&p.author_id));
        let root = match (item.thread_root_id, parent) {
            (Some(id), Some(p)) if id == p.id => Some(p),
            (Some(id), _) => roots.get(&id),
            (None, _) => None,
        };
        let stored = item_into_json(
            item,
            author,
            &PostPlace {
                community: Some(community),
                parent: parent.as_ref().zip(parent_author),
                root,
            },
        );
        let create: Activity<PostObject> = Activity::new(
            "Create",
            batch[*i].create_id.clone(),
            Url::parse(&author.ap_id).expect("stored ids are URLs"),
            stored.clone(),
        )
        .to(stored.to.clone())
        .cc(stored.cc.clone())
        .audience(stored.audience.clone());
        let inner = serde_json::to_value(&create).expect("json");
        lists.push((
            community,
            announcements(urls, community, inner, Some(&stored)),
        ));
    }
    let outs = lists
        .iter()
        .flat_map(|(community, list)| outgoing(community, list, &inboxes[&community.id]))
        .collect();
    queue_many(conn, urls, outs)?;
    Ok(())
}
