//! Many-row inserts on PostgreSQL, one array per column unnested into rows. A `VALUES`
//! list binds one parameter per cell, and PostgreSQL parses and plans the statement anew
//! for every length: for a batch of inbox posts that was a quarter of its work. These
//! statements have the same few parameters whatever the number of rows. A batch of
//! received posts is several of them chained in one statement (`write_posts`).

use crate::models::*;
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Bool, Integer, Nullable, Text, Timestamp};

#[derive(QueryableByName)]
struct IdAndApId {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Text)]
    ap_id: String,
}

fn column<T, U>(rows: &[T], f: impl Fn(&T) -> U) -> Vec<U> {
    rows.iter().map(f).collect()
}

/// Returns (id, ap_id) of the rows inserted.
pub fn insert_outbox(c: &mut PgConnection, rows: &[NewOutbox]) -> QueryResult<Vec<(i64, String)>> {
    let inserted: Vec<IdAndApId> = diesel::sql_query(
        "INSERT INTO outbox (ap_id, actor_id, kind, object_ap_id, body, is_public, created_at) \
         SELECT * FROM unnest($1::text[], $2::int8[], $3::text[], $4::text[], $5::text[], \
         $6::bool[], $7::timestamp[]) RETURNING id, ap_id",
    )
    .bind::<Array<Text>, _>(column(rows, |r| r.ap_id.clone()))
    .bind::<Array<BigInt>, _>(column(rows, |r| r.actor_id))
    .bind::<Array<Text>, _>(column(rows, |r| r.kind.clone()))
    .bind::<Array<Nullable<Text>>, _>(column(rows, |r| r.object_ap_id.clone()))
    .bind::<Array<Text>, _>(column(rows, |r| r.body.clone()))
    .bind::<Array<Bool>, _>(column(rows, |r| r.is_public))
    .bind::<Array<Timestamp>, _>(column(rows, |r| r.created_at))
    .load(c)?;
    Ok(inserted.into_iter().map(|r| (r.id, r.ap_id)).collect())
}

pub fn insert_deliveries(c: &mut PgConnection, rows: &[NewDelivery]) -> QueryResult<usize> {
    diesel::sql_query(
        "INSERT INTO deliveries (outbox_id, instance_id, inbox_url, ordering_key, next_attempt_at) \
         SELECT * FROM unnest($1::int8[], $2::int8[], $3::text[], $4::text[], $5::timestamp[]) \
         ON CONFLICT DO NOTHING",
    )
    .bind::<Array<BigInt>, _>(column(rows, |r| r.outbox_id))
    .bind::<Array<BigInt>, _>(column(rows, |r| r.instance_id))
    .bind::<Array<Text>, _>(column(rows, |r| r.inbox_url.clone()))
    .bind::<Array<Text>, _>(column(rows, |r| r.ordering_key.clone()))
    .bind::<Array<Timestamp>, _>(column(rows, |r| r.next_attempt_at))
    .execute(c)
}

#[derive(QueryableByName)]
struct Written {
    #[diesel(sql_type = Text)]
    what: String,
    #[diesel(sql_type = Text)]
    ap_id: String,
    #[diesel(sql_type = BigInt)]
    id: i64,
}

/// A [`crate::post_batch::PostBatch`] in one statement: each insert takes its rows from
/// the arrays, gated on what the one before it returned.
pub fn write_posts(
    c: &mut PgConnection,
    batch: &crate::post_batch::PostBatch,
    now: chrono::NaiveDateTime,
) -> QueryResult<crate::post_batch::PostBatchWritten> {
    let (items, places, outbox, deliveries) = (
        &batch.items,
        &batch.placements,
        &batch.outbox,
        &batch.deliveries,
    );
    let written: Vec<Written> = diesel::sql_query(
        "WITH fresh AS ( \
           INSERT INTO received_activities (ap_id, actor_ap_id, received_at) \
           SELECT a, b, $3 FROM unnest($1::text[], $2::text[]) AS t(a, b) \
           ON CONFLICT DO NOTHING RETURNING ap_id \
         ), stored AS ( \
           INSERT INTO items (ap_id, kind, object_type, author_id, origin_community_id, title, \
             content, source, url, in_reply_to_id, in_reply_to_ap_id, thread_root_id, is_local, \
             published_at, updated_at) \
           SELECT ap_id, kind, object_type, author_id, origin_community_id, title, content, \
             source, url, in_reply_to_id, in_reply_to_ap_id, thread_root_id, is_local, \
             published_at, updated_at \
           FROM unnest($4::text[], $5::text[], $6::text[], $7::text[], $8::int8[], $9::int8[], \
             $10::text[], $11::text[], $12::text[], $13::text[], $14::int8[], $15::text[], \
             $16::int8[], $17::bool[], $18::timestamp[], $19::timestamp[]) \
             AS t(activity, ap_id, kind, object_type, author_id, origin_community_id, title, \
               content, source, url, in_reply_to_id, in_reply_to_ap_id, thread_root_id, \
               is_local, published_at, updated_at) \
           WHERE activity IN (SELECT ap_id FROM fresh) \
           ON CONFLICT (ap_id) DO NOTHING RETURNING id, ap_id \
         ), placed AS ( \
           INSERT INTO placements (community_id, item_id, how, by_actor_id, note, hops, placed_at) \
           SELECT p.community_id, s.id, p.how, p.by_actor_id, p.note, p.hops, p.placed_at \
           FROM unnest($20::text[], $21::int8[], $22::text[], $23::int8[], $24::text[], \
             $25::int4[], $26::timestamp[]) \
             AS p(item, community_id, how, by_actor_id, note, hops, placed_at) \
           JOIN stored s ON s.ap_id = p.item \
           ON CONFLICT DO NOTHING \
         ), queued AS ( \
           INSERT INTO outbox (ap_id, actor_id, kind, object_ap_id, body, is_public, created_at) \
           SELECT o.ap_id, o.actor_id, o.kind, o.object_ap_id, o.body, o.is_public, o.created_at \
           FROM unnest($27::text[], $28::int8[], $29::text[], $30::text[], $31::text[], \
             $32::bool[], $33::timestamp[]) \
             AS o(ap_id, actor_id, kind, object_ap_id, body, is_public, created_at) \
           WHERE o.object_ap_id IN (SELECT ap_id FROM stored) \
           RETURNING id, ap_id \
         ), delivered AS ( \
           INSERT INTO deliveries (outbox_id, instance_id, inbox_url, ordering_key, next_attempt_at) \
           SELECT q.id, d.instance_id, d.inbox_url, d.ordering_key, d.next_attempt_at \
           FROM unnest($34::text[], $35::int8[], $36::text[], $37::text[], $38::timestamp[]) \
             AS d(activity, instance_id, inbox_url, ordering_key, next_attempt_at) \
           JOIN queued q ON q.ap_id = d.activity \
           ON CONFLICT DO NOTHING \
         ) \
         SELECT 'fresh'::text AS what, ap_id, 0::int8 AS id FROM fresh \
         UNION ALL SELECT 'stored'::text, ap_id, id FROM stored",
    )
    .bind::<Array<Text>, _>(column(&batch.received, |r| r.0.clone()))
    .bind::<Array<Text>, _>(column(&batch.received, |r| r.1.clone()))
    .bind::<Timestamp, _>(now)
    .bind::<Array<Text>, _>(column(items, |(a, _)| a.clone()))
    .bind::<Array<Text>, _>(column(items, |(_, r)| r.ap_id.clone()))
    .bind::<Array<Text>, _>(column(items, |(_, r)| r.kind.as_str().to_string()))
    .bind::<Array<Text>, _>(column(items, |(_, r)| r.object_type.clone()))
    .bind::<Array<BigInt>, _>(column(items, |(_, r)| r.author_id))
    .bind::<Array<Nullable<BigInt>>, _>(column(items, |(_, r)| r.origin_community_id))
    .bind::<Array<Nullable<Text>>, _>(column(items, |(_, r)| r.title.clone()))
    .bind::<Array<Text>, _>(column(items, |(_, r)| r.content.clone()))
    .bind::<Array<Nullable<Text>>, _>(column(items, |(_, r)| r.source.clone()))
    .bind::<Array<Nullable<Text>>, _>(column(items, |(_, r)| r.url.clone()))
    .bind::<Array<Nullable<BigInt>>, _>(column(items, |(_, r)| r.in_reply_to_id))
    .bind::<Array<Nullable<Text>>, _>(column(items, |(_, r)| r.in_reply_to_ap_id.clone()))
    .bind::<Array<Nullable<BigInt>>, _>(column(items, |(_, r)| r.thread_root_id))
    .bind::<Array<Bool>, _>(column(items, |(_, r)| r.is_local))
    .bind::<Array<Timestamp>, _>(column(items, |(_, r)| r.published_at))
    .bind::<Array<Nullable<Timestamp>>, _>(column(items, |(_, r)| r.updated_at))
    .bind::<Array<Text>, _>(column(places, |(a, _)| a.clone()))
    .bind::<Array<BigInt>, _>(column(places, |(_, p)| p.community_id))
    .bind::<Array<Text>, _>(column(places, |(_, p)| p.how.clone()))
    .bind::<Array<Nullable<BigInt>>, _>(column(places, |(_, p)| p.by_actor_id))
    .bind::<Array<Nullable<Text>>, _>(column(places, |(_, p)| p.note.clone()))
    .bind::<Array<Integer>, _>(column(places, |(_, p)| p.hops))
    .bind::<Array<Timestamp>, _>(column(places, |(_, p)| p.placed_at))
    .bind::<Array<Text>, _>(column(outbox, |r| r.ap_id.clone()))
    .bind::<Array<BigInt>, _>(column(outbox, |r| r.actor_id))
    .bind::<Array<Text>, _>(column(outbox, |r| r.kind.clone()))
    .bind::<Array<Nullable<Text>>, _>(column(outbox, |r| r.object_ap_id.clone()))
    .bind::<Array<Text>, _>(column(outbox, |r| r.body.clone()))
    .bind::<Array<Bool>, _>(column(outbox, |r| r.is_public))
    .bind::<Array<Timestamp>, _>(column(outbox, |r| r.created_at))
    .bind::<Array<Text>, _>(column(deliveries, |(a, _)| a.clone()))
    .bind::<Array<BigInt>, _>(column(deliveries, |(_, d)| d.instance_id))
    .bind::<Array<Text>, _>(column(deliveries, |(_, d)| d.inbox_url.clone()))
    .bind::<Array<Text>, _>(column(deliveries, |(_, d)| d.ordering_key.clone()))
    .bind::<Array<Timestamp>, _>(column(deliveries, |(_, d)| d.next_attempt_at))
    .load(c)?;
    let mut out = crate::post_batch::PostBatchWritten {
        fresh: Default::default(),
        items: Default::default(),
    };
    for w in written {
        if w.what == "fresh" {
            out.fresh.insert(w.ap_id);
        } else {
            out.items.insert(w.ap_id, w.id);
        }
    }
    Ok(out)
}
