// An independent ActivityPub peer for Weft's tests, written with Fedify (not Weft's code).
// It runs one actor, `fedi`, on http://localhost:PORT and exposes a small control API:
//
//   GET  /control/ready                  200 when serving
//   POST /control/lookup   {url}         Fedify looks the object up and reports how it read it
//   POST /control/follow   {target}      fedi follows an actor; returns the Follow's id
//   POST /control/unfollow {target, follow}
//   POST /control/reply    {inReplyTo, community, content}   fedi posts a reply into a community
//   GET  /control/received               activities that reached fedi's inbox, signature verified
//   GET  /control/unverified             activities Fedify refused to verify (must stay empty)
//   GET  /control/outgoing               fedi's outgoing POSTs: which signature, what status
//
// Usage: node peer.mjs PORT
import http from "node:http";
import { randomUUID } from "node:crypto";
import { createFederation, MemoryKvStore, generateCryptoKeyPair } from "@fedify/fedify";
import * as vocab from "@fedify/vocab";
import { Temporal } from "@js-temporal/polyfill";

const port = Number(process.argv[2] ?? 0);
if (!port) {
  console.error("usage: node peer.mjs PORT");
  process.exit(2);
}
const origin = `http://localhost:${port}`;
const PUBLIC = "https://www.w3.org/ns/activitystreams#Public";

// Record every outgoing POST: which signature scheme it carried and what came back.
const outgoing = [];
const realFetch = globalThis.fetch;
globalThis.fetch = async (input, init) => {
  const request = input instanceof Request ? input : new Request(input, init);
  const response = await realFetch(request);
  if (request.method === "POST") {
    outgoing.push({
      url: request.url,
      rfc9421: request.headers.has("signature-input"),
      cavage: request.headers.has("signature") && !request.headers.has("signature-input"),
      status: response.status,
    });
  }
  return response;
};

const keys = [await generateCryptoKeyPair("RSASSA-PKCS1-v1_5")];
const received = [];
const unverified = [];
// Notes fedi wrote, served at their ids: servers that get them forwarded fetch them here.
const notes = new Map();

const federation = createFederation({
  kv: new MemoryKvStore(),
  origin,
  allowPrivateAddress: true,
});

federation
  .setActorDispatcher("/users/{identifier}", async (ctx, identifier) => {
    if (identifier !== "fedi") return null;
    const pairs = await ctx.getActorKeyPairs(identifier);
    return new vocab.Person({
      id: ctx.getActorUri(identifier),
      preferredUsername: identifier,
      name: "Fedify peer",
      inbox: ctx.getInboxUri(identifier),
      endpoints: new vocab.Endpoints({ sharedInbox: ctx.getInboxUri() }),
      publicKey: pairs[0].cryptographicKey,
      assertionMethods: pairs.map((p) => p.multikey),
    });
  })
  .setKeyPairsDispatcher(async (_ctx, identifier) => (identifier === "fedi" ? keys : []));

federation.setObjectDispatcher(vocab.Note, "/notes/{id}", (_ctx, values) => notes.get(values.id) ?? null);

/** The text of a post an activity carries (Announce → Create → Note, or Announce → Note). */
async function textOf(activity) {
  try {
    let object = await activity.getObject();
    if (object instanceof vocab.Create || object instanceof vocab.Update) object = await object.getObject();
    if (object && "content" in object && object.content != null) return String(object.content);
  } catch (_) {
    // not a post
  }
  return null;
}

federation
  .setInboxListeners("/users/{identifier}/inbox", "/inbox")
  .on(vocab.Activity, async (ctx, activity) => {
    const json = await activity.toJsonLd({ format: "compact" });
    let objectType = null;
    try {
      const object = await activity.getObject();
      objectType = object?.constructor?.name ?? null;
    } catch (_) {
      objectType = null;
    }
    received.push({
      id: activity.id?.href,
      type: activity.constructor.name,
      actor: activity.actorId?.href,
      objectType,
      objectId: activity.objectId?.href,
      text: await textOf(activity),
      json,
    });
  })
  .onUnverifiedActivity((_ctx, activity, reason) => {
    unverified.push({ id: activity.id?.href, type: activity.constructor.name, reason: String(reason?.type ?? reason) });
    return new Response("unverified", { status: 401 });
  });

function context() {
  return federation.createContext(new URL(origin), undefined);
}

async function body(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  const text = Buffer.concat(chunks).toString("utf8");
  return text ? JSON.parse(text) : {};
}

async function lookupActor(ctx, url) {
  const actor = await ctx.lookupObject(url);
  if (!actor || !vocab.isActor(actor)) throw new Error(`${url} is not an actor Fedify can read`);
  return actor;
}

const control = {
  "GET /control/ready": async () => ({ ok: true }),
  "GET /control/received": async () => received,
  "GET /control/unverified": async () => unverified,
  "GET /control/outgoing": async () => outgoing,
  "POST /control/lookup": async ({ url }) => {
    const ctx = context();
    const object = await ctx.lookupObject(url);
    if (!object) return { found: false };
    const key = vocab.isActor(object) ? await object.getPublicKey() : null;
    return {
      found: true,
      type: object.constructor.name,
      id: object.id?.href,
      preferredUsername: object.preferredUsername ?? null,
      name: object.name?.toString() ?? null,
      inbox: object.inboxId?.href ?? null,
      outbox: object.outboxId?.href ?? null,
      followers: object.followersId?.href ?? null,
      sharedInbox: object.endpoints?.sharedInbox?.href ?? null,
      publicKey: key ? { id: key.id?.href, owner: key.ownerId?.href, algorithm: key.publicKey?.algorithm?.name ?? null } : null,
    };
  },
  "POST /control/follow": async ({ target }) => {
    const ctx = context();
    const actor = await lookupActor(ctx, target);
    const id = new URL(`${origin}/follows/${randomUUID()}`);
    await ctx.sendActivity(
      { identifier: "fedi" },
      actor,
      new vocab.Follow({ id, actor: ctx.getActorUri("fedi"), object: actor.id }),
    );
    return { id: id.href };
  },
  "POST /control/unfollow": async ({ target, follow }) => {
    const ctx = context();
    const actor = await lookupActor(ctx, target);
    await ctx.sendActivity(
      { identifier: "fedi" },
      actor,
      new vocab.Undo({
        id: new URL(`${origin}/undos/${randomUUID()}`),
        actor: ctx.getActorUri("fedi"),
        object: new vocab.Follow({ id: new URL(follow), actor: ctx.getActorUri("fedi"), object: actor.id }),
      }),
    );
    return { ok: true };
  },
  "POST /control/reply": async ({ inReplyTo, community, content }) => {
    const ctx = context();
    const group = await lookupActor(ctx, community);
    const uuid = randomUUID();
    const noteId = ctx.getObjectUri(vocab.Note, { id: uuid });
    const note = new vocab.Note({
      id: noteId,
      attribution: ctx.getActorUri("fedi"),
      to: new URL(PUBLIC),
      ccs: [group.id],
      replyTarget: new URL(inReplyTo),
      content,
      published: Temporal.Now.instant(),
    });
    notes.set(uuid, note);
    await ctx.sendActivity(
      { identifier: "fedi" },
      group,
      new vocab.Create({
        id: new URL(`${noteId.href}/create`),
        actor: ctx.getActorUri("fedi"),
        to: new URL(PUBLIC),
        ccs: [group.id],
        object: note,
      }),
    );
    return { id: noteId.href };
  },
};

const server = http.createServer(async (req, res) => {
  const key = `${req.method} ${req.url.split("?")[0]}`;
  try {
    if (control[key]) {
      const result = await control[key](req.method === "POST" ? await body(req) : {});
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify(result));
      return;
    }
    const chunks = [];
    for await (const chunk of req) chunks.push(chunk);
    const request = new Request(new URL(req.url, origin), {
      method: req.method,
      headers: req.headers,
      body: req.method === "GET" || req.method === "HEAD" ? undefined : Buffer.concat(chunks),
    });
    const response = await federation.fetch(request, { contextData: undefined });
    res.writeHead(response.status, Object.fromEntries(response.headers));
    res.end(Buffer.from(await response.arrayBuffer()));
  } catch (error) {
    res.writeHead(500, { "content-type": "application/json" });
    res.end(JSON.stringify({ error: String(error?.stack ?? error) }));
  }
});
server.listen(port, "127.0.0.1", () => console.log(`fedify peer on ${origin}`));
