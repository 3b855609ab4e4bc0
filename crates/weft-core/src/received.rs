//! Remote `Create`s of posts, taken in batches: the inbox's hot path. Each post meets the
//! same rules as anywhere else (`posts::check_authorship`, `posts::community_among`,
//! `rules::may_post_with`); what a batch shares is the reading and writing, a few
//! statements per batch instead of a dozen per post. A batch of one is the plain case.

use crate::posts::{
    Announcement, Received, Wanted, announcements, check_authorship, community_among,
    community_candidates, created_placement, new_remote_item, outgoing,
};
use crate::wire::{PostPlace, item_into_json};
use crate::{CoreError, CoreResult, Urls, rules};
use std::collections::{HashMap, HashSet};
use url::Url;
use weft_db::AnyConnection;
use weft_db::models::{ActorRow, CommunityRow, ItemRow};
use weft_db::post_batch::PostBatch;
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
    /// Community details of the local communities among the actors, by actor id.
    details: HashMap<i64, CommunityRow>,
    /// Remote followers' inboxes of the local communities among the actors.
    inboxes: HashMap<i64, Vec<String>>,
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
        let mut lookups = Lookups {
            items,
            actors_by_ap_id: HashMap::new(),
            actors_by_id: HashMap::new(),
            details: HashMap::new(),
            inboxes: HashMap::new(),
        };
        for (actor, details) in
            weft_db::actors::with_details(conn, &wanted_actors, &parent_communities)?
        {
            if let Some(details) = details {
                lookups.details.insert(actor.id, details);
            }
            lookups
                .actors_by_ap_id
                .insert(actor.ap_id.clone(), actor.clone());
            lookups.actors_by_id.insert(actor.id, actor);
        }
        // The remote followers of every local community named: those a post is taken
        // into announce it to them.
        let mut local: Vec<i64> = lookups
            .actors_by_id
            .values()
            .filter(|a| a.is_local && a.is_group())
            .map(|a| a.id)
            .collect();
        dedup(&mut local);
        lookups.inboxes = weft_db::follows::remote_follower_inboxes_of(conn, &local)?;
        Ok(lookups)
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

    // Written in one go (`weft_db::post_batch`): what is acted on is recorded as
    // received, and a post is stored only if its activity was newly recorded there (one
    // recorded before, perhaps a moment ago by a concurrent writer, is a repeat and does
    // nothing more); what is sent about a post is queued only if the post was stored.
    let stores: Vec<Store> = decided
        .iter()
        .filter_map(|(i, d)| match d {
            Decision::Store { community, parent } => Some(Store {
                index: *i,
                community,
                parent: parent.as_ref(),
            }),
            _ => None,
        })
        .collect();
    let now = weft_db::now();
    let mut writes = PostBatch {
        received: decided
            .iter()
            .map(|(i, _)| {
                (
                    batch[*i].create_id.to_string(),
                    batch[*i].author.ap_id.clone(),
                )
            })
            .collect(),
        ..PostBatch::default()
    };
    let rows = plan_stores(
        conn,
        urls,
        batch,
        &stores,
        &lookups.inboxes,
        now,
        &mut writes,
    )?;
    let written = weft_db::post_batch::write(conn, &writes, now)?;
    let mut rows: HashMap<usize, ItemRow> = rows.into_iter().collect();
    for (i, decision) in decided {
        outcomes[i] = Some(if !written.fresh.contains(batch[i].create_id.as_str()) {
            Ok(None)
        } else {
            match decision {
                Decision::Known(item) => Ok(Some(Received::Known(item))),
                Decision::Ignored(why) => Ok(Some(Received::Ignored(why))),
                Decision::Store { community, .. } => {
                    let mut item = rows.remove(&i).expect("planned");
                    match written.items.get(&item.ap_id) {
                        Some(id) => {
                            item.id = *id;
                            if community.is_local {
                                // Bridges into communities here take it as announced.
                                crate::constellation::bridges::carry(
                                    conn, urls, &community, &item, 0,
                                )?;
                            }
                            Ok(Some(Received::Stored(item)))
                        }
                        // Stored a moment ago by a concurrent writer.
                        None => weft_db::items::by_ap_id(conn, &item.ap_id)?
                            .map(|existing| Some(Received::Known(existing)))
                            .ok_or_else(|| CoreError::Conflict(format!("{} vanished", item.ap_id))),
                    }
                }
            }
        });
    }
    Ok(())
}

/// A post to store, with where it goes.
struct Store<'a> {
    index: usize,
    community: &'a ActorRow,
    parent: Option<&'a ItemRow>,
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
        if !addresses_public(
            object
                .addressing
                .to
                .iter()
                .chain(object.addressing.cc.iter()),
        ) {
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
    // Whether anyone here follows the remote communities posted into.
    let mut remote: Vec<i64> = vec![];
    for d in placed.iter().flatten() {
        if let Decision::Store { community, .. } = d
            && !community.is_local
        {
            remote.push(community.id);
        }
    }
    dedup(&mut remote);
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
                    lookups.details.get(&community.id),
                    parent.is_none(),
                    || Ok(weft_db::actors::role_of(conn, community.id, author.id)?),
                )
                .map(|()| Decision::Store { community, parent })
            }
            Ok(Decision::Store { community, parent }) => {
                match rules::not_taken_with(&community, followed[&community.id]) {
                    Some(reason) => Ok(Decision::Ignored(reason)),
                    None => Ok(Decision::Store { community, parent }),
                }
            }
            other => other,
        });
    }
    Ok(decisions)
}

/// Adds the posts, their placements and (in local communities) their announcements to
/// `writes`; returns each post's row as it will be stored (its id is not known yet).
fn plan_stores(
    conn: &mut AnyConnection,
    urls: &Urls,
    batch: &[IncomingCreate],
    stores: &[Store<'_>],
    inboxes: &HashMap<i64, Vec<String>>,
    now: chrono::NaiveDateTime,
    writes: &mut PostBatch,
) -> CoreResult<Vec<(usize, ItemRow)>> {
    let mut rows = Vec::with_capacity(stores.len());
    for s in stores {
        let c = &batch[s.index];
        let new = new_remote_item(&c.author, &c.object, s.community, s.parent, now);
        let item = weft_db::items::as_stored(0, new.clone());
        writes.placements.push((
            item.ap_id.clone(),
            created_placement(&item, &c.author, s.community, now),
        ));
        writes.items.push((c.create_id.to_string(), new));
        rows.push((s.index, item));
    }
    let planned = announcements_of(conn, urls, batch, stores, &rows, inboxes)?;
    writes.deliveries = crate::outbox::deliveries(conn, &planned.targets)?;
    writes.outbox = planned.rows;
    Ok(rows)
}

/// Local communities announce what they take in: the `Create` as received (with the
/// post as it will be stored), and the bare post. Built from rows in hand.
fn announcements_of(
    conn: &mut AnyConnection,
    urls: &Urls,
    batch: &[IncomingCreate],
    stores: &[Store<'_>],
    rows: &[(usize, ItemRow)],
    inboxes: &HashMap<i64, Vec<String>>,
) -> CoreResult<crate::outbox::Planned> {
    let local: Vec<(&Store<'_>, &ItemRow)> = stores
        .iter()
        .zip(rows.iter().map(|(_, item)| item))
        .filter(|(s, _)| s.community.is_local)
        .collect();
    let mut author_ids: Vec<i64> = local
        .iter()
        .filter_map(|(s, _)| s.parent.map(|p| p.author_id))
        .collect();
    dedup(&mut author_ids);
    let parent_authors: HashMap<i64, ActorRow> = weft_db::actors::by_ids(conn, &author_ids)?
        .into_iter()
        .map(|a| (a.id, a))
        .collect();
    let mut root_ids: Vec<i64> = local
        .iter()
        .filter_map(|(s, item)| {
            item.thread_root_id
                .filter(|r| s.parent.map(|p| p.id) != Some(*r))
        })
        .collect();
    dedup(&mut root_ids);
    let roots: HashMap<i64, ItemRow> = weft_db::items::by_ids(conn, &root_ids)?
        .into_iter()
        .map(|r| (r.id, r))
        .collect();
    let mut lists: Vec<(&ActorRow, &ActorRow, Vec<Announcement>)> = vec![];
    for (s, item) in local {
        let community = s.community;
        let author = &batch[s.index].author;
        let parent_author = s.parent.and_then(|p| parent_authors.get(&p.author_id));
        let root = match (item.thread_root_id, s.parent) {
            (Some(id), Some(p)) if id == p.id => Some(p),
            (Some(id), _) => roots.get(&id),
            (None, _) => None,
        };
        let stored = item_into_json(
            item,
            author,
            &PostPlace {
                community: Some(community),
                parent: s.parent.zip(parent_author),
                root,
            },
        );
        let create: Activity<PostObject> = Activity::new(
            "Create",
            batch[s.index].create_id.clone(),
            Url::parse(&author.ap_id).expect("stored ids are URLs"),
            stored.clone(),
        )
        .to(stored.addressing.to.clone())
        .cc(stored.addressing.cc.clone())
        .audience(stored.addressing.audience.clone());
        let inner = serde_json::to_value(&create).expect("json");
        lists.push((
            community,
            author,
            announcements(
                urls,
                community,
                inner,
                Some(serde_json::to_value(&stored).expect("json")),
            ),
        ));
    }
    let outs = lists
        .iter()
        .flat_map(|(community, author, list)| {
            // Every local community a post can go to was read with its followers. The
            // author's instance hears it too: that is how its post stops being pending.
            let mut to = inboxes.get(&community.id).cloned().unwrap_or_default();
            to.push(author.delivery_inbox().to_string());
            outgoing(community, list, &to)
        })
        .collect();
    Ok(crate::outbox::plan_in_forms(urls, outs))
}
