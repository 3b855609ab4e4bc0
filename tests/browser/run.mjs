// Weft's web interface in real headless Chromium (Debian's, driven by playwright-core),
// with axe-core checking every page visited. Started by tests/tests/web_browser.rs with
// two running instances:
//   WEFT_A, WEFT_B          base URLs (http://localhost:PORT)
//   WEFT_XSS_THREAD         path on A of a thread a remote person posted with hostile HTML
//   WEFT_REMOTE             path on A of a community that lives on B
//   WEFT_SCREENSHOTS_DIR    when set, screenshots of the main pages are written there
// Exits non-zero (with the reason) on the first failure.
import { chromium } from "playwright-core";
import { readFileSync, mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";

const require = createRequire(import.meta.url);
const axeSource = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");
const A = process.env.WEFT_A;
const B = process.env.WEFT_B;
const XSS_THREAD = process.env.WEFT_XSS_THREAD;
const REMOTE = process.env.WEFT_REMOTE;
const SHOTS = process.env.WEFT_SCREENSHOTS_DIR || "";
if (!A || !B || !XSS_THREAD || !REMOTE) throw new Error("set WEFT_A, WEFT_B, WEFT_XSS_THREAD and WEFT_REMOTE");

const password = "a calm river of tea";
const checked = [];

function assert(condition, message) {
  if (!condition) throw new Error(message);
}

/** axe-core on the page as it is: no serious or critical violation. */
async function axe(page, name) {
  await page.evaluate(axeSource);
  const result = await page.evaluate(async () =>
    // eslint-disable-next-line no-undef
    axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"] } }),
  );
  const bad = result.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  if (bad.length) {
    const detail = bad
      .map((v) => `${v.id} (${v.impact}): ${v.help}\n    ${v.nodes.slice(0, 3).map((n) => `${n.target.join(" ")}: ${(n.failureSummary || "").replace(/\s+/g, " ")}`).join("\n    ")}`)
      .join("\n  ");
    throw new Error(`axe on ${name} (${page.url()}):\n  ${detail}`);
  }
  checked.push(name);
}

/** Screenshots at desktop and phone widths, when asked for. */
async function shoot(page, name) {
  if (!SHOTS) return;
  for (const [label, width] of [["desktop", 1280], ["phone", 375]]) {
    await page.setViewportSize({ width, height: label === "desktop" ? 860 : 760 });
    await page.screenshot({ path: join(SHOTS, `${name}-${label}.png`), fullPage: true });
  }
  await page.setViewportSize({ width: 1280, height: 860 });
}

async function visit(page, url, name) {
  const response = await page.goto(url);
  assert(response && response.status() < 400, `${name}: ${url} answered ${response && response.status()}`);
  await axe(page, name);
}

async function submit(page, buttonName, scope) {
  const where = scope ? page.locator(scope) : page;
  await Promise.all([page.waitForNavigation(), where.getByRole("button", { name: buttonName, exact: true }).first().click()]);
}

async function signUp(page, username) {
  await visit(page, `${A}/signup`, "sign-up");
  await page.getByLabel("Username").fill(username);
  await page.getByLabel("Email").fill(`${username}@example.org`);
  await page.getByLabel("Password").fill(password);
  await submit(page, "Create account");
  assert(page.url().endsWith("/home"), `after signing up ${username} is at ${page.url()}`);
}

// Playwright gives each launch a fresh, empty --user-data-dir of its own (it refuses the
// flag); TMPDIR points it at a folder of this run's, removed at the end.
const profile = mkdtempSync(join(tmpdir(), "weft-chromium-"));
process.env.TMPDIR = profile;
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  args: [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
  ],
});
try {
  const alice = await (await browser.newContext({ viewport: { width: 1280, height: 860 } })).newPage();
  const pageErrors = [];
  alice.on("pageerror", (e) => pageErrors.push(String(e)));

  // The directory, before anything of alice's exists.
  await visit(alice, `${A}/`, "directory");

  // Sign up (the instance is open), log out, log in again.
  await signUp(alice, "alice");
  await axe(alice, "home");
  await submit(alice, "Log out");
  await visit(alice, `${A}/login`, "log-in");
  await alice.getByLabel("Username or email").fill("alice");
  await alice.getByLabel("Password").fill("not the password");
  await submit(alice, "Log in");
  assert((await alice.locator(".problem").innerText()).includes("wrong"), "a wrong password is refused with the reason");
  await axe(alice, "log-in refused");
  await alice.getByLabel("Password").fill(password);
  await submit(alice, "Log in");
  assert(alice.url().endsWith("/home"), `logged in, alice is at ${alice.url()}`);

  // Propose a community (past the similar ones, if any), activate it.
  await visit(alice, `${A}/propose`, "propose");
  await alice.getByLabel("Short name").fill("wellbeing");
  await alice.getByLabel("Title").fill("Staff wellbeing leads");
  await alice.getByLabel("What it is about (its domain)").fill("Looking after the people who care: **peer support**, rotas and recovery time.");
  await alice.getByLabel("Why it is needed").fill("Each trust reinvents the same wellbeing offer alone.");
  await alice.getByLabel("Tags").fill("wellbeing, peer-support");
  await submit(alice, "Propose");
  if (alice.url().endsWith("/propose")) {
    await axe(alice, "propose: similar communities");
    await submit(alice, "Propose anyway");
  }
  assert(alice.url().includes("/c/wellbeing"), `after proposing, alice is at ${alice.url()}`);
  await axe(alice, "community (proposal)");
  await visit(alice, `${A}/c/wellbeing/manage`, "manage (proposal)");
  await submit(alice, "Activate community");
  assert((await alice.locator(".badge.active").count()) > 0, "the community is active");

  // Post a thread and reply.
  await alice.getByLabel("Title").fill("How do you protect recovery time?");
  await alice.getByLabel("Message").fill("We block **30 minutes** after difficult shifts. What works for you?");
  await submit(alice, "Post thread");
  assert(/\/c\/wellbeing\/t\/\d+/.test(alice.url()), `after posting, alice is at ${alice.url()}`);
  assert((await alice.locator("article.post strong").first().innerText()) === "30 minutes", "markdown is rendered");
  await axe(alice, "thread");
  await alice.getByLabel("Your reply").fill("Ours is a quiet room with a rota for cover.");
  await submit(alice, "Post reply");
  assert((await alice.locator(".replies article").count()) === 1, "the reply is shown");
  // She edits her reply.
  await Promise.all([alice.waitForNavigation(), alice.locator(".replies article").getByRole("link", { name: "Edit" }).click()]);
  await axe(alice, "edit");
  await alice.getByLabel("Message").fill("Ours is a quiet room, with a rota for cover.");
  await submit(alice, "Save changes");
  assert((await alice.locator(".replies article").innerText()).includes("quiet room, with a rota"), "the edit is shown");
  const threadUrl = alice.url().split("?")[0];

  // An XSS attempt in a post of her own renders inert.
  await alice.goto(`${A}/c/wellbeing`);
  await alice.getByText("Start a thread").click();
  await alice.getByLabel("Title").fill("<script>window.__xss='title'</script>Tricky title");
  await alice.getByLabel("Message").fill(
    'Hello <script>window.__xss="script"</script><img src="x" onerror="window.__xss=\'img\'"> <a href="javascript:window.__xss=\'link\'">a link</a> [md](javascript:window.__xss=\'md\')',
  );
  await submit(alice, "Post thread");
  await checkInert(alice, "a local post");
  await axe(alice, "thread with hostile markup");
  // Her own thread: she deletes it.
  await submit(alice, "Delete", "article.post");
  assert(alice.url().includes("/c/wellbeing?done=deleted"), `after deleting, alice is at ${alice.url()}`);
  assert((await alice.getByText("Tricky title").count()) === 0, "the deleted thread is gone");

  // Schedule an event, RSVP.
  await visit(alice, `${A}/c/wellbeing/manage`, "manage (active)");
  const tomorrow = new Date(Date.now() + 2 * 86400e3);
  const local = `${tomorrow.toISOString().slice(0, 10)}T17:30`;
  await alice.getByLabel("Title").fill("Peer support circle");
  await alice.getByLabel("Starts").fill(local);
  await alice.getByLabel("Place").fill("Room 4, Education Centre");
  await alice.getByLabel("Description").fill("An hour to talk through a hard week, in confidence.");
  await submit(alice, "Schedule");
  assert(/\/events\/\d+/.test(alice.url()), `after scheduling, alice is at ${alice.url()}`);
  await axe(alice, "event");
  await alice.getByLabel("Going").check();
  await submit(alice, "Send answer");
  assert((await alice.locator(".counts").innerText()).includes("1 going"), "the RSVP is counted");
  const eventUrl = alice.url().split("?")[0];
  assert((await alice.getByRole("link", { name: "Add to calendar" }).getAttribute("href")).endsWith(".ics"), "an add-to-calendar link");
  await visit(alice, `${A}/home`, "home (a member)");
  assert((await alice.locator(".threads").innerText()).includes("How do you protect recovery time?"), "her community's threads are on her home page");

  // Joining needs approval from now on.
  await alice.goto(`${A}/c/wellbeing/manage`);
  await alice.getByLabel("Approval by a lead or facilitator").check();
  await submit(alice, "Save join policy");

  // A second browser session: bob asks to join; alice approves.
  const bobContext = await browser.newContext({ viewport: { width: 1280, height: 860 } });
  const bob = await bobContext.newPage();
  bob.on("pageerror", (e) => pageErrors.push(String(e)));
  await signUp(bob, "bob");
  await visit(bob, `${A}/c/wellbeing`, "community (visitor signed in)");
  await submit(bob, "Ask to join");
  assert((await bob.locator(".notice").innerText()).includes("request to join was sent"), "bob's request is sent");
  await visit(alice, `${A}/c/wellbeing/manage`, "manage (a request waits)");
  await submit(alice, "Approve bob");
  assert((await alice.getByText("No requests are waiting.").count()) === 1, "the request is answered");
  await bob.reload();
  assert((await bob.locator("aside").innerText()).includes("You are a member"), "bob is a member");
  await bob.goto(threadUrl);
  await bob.getByLabel("Your reply").fill("Thank you, we will try the rota.");
  await submit(bob, "Post reply");
  assert((await bob.locator(".replies article").count()) === 2, "bob's reply is shown");

  // A form posted without its token is refused, and changes nothing.
  const before = await alice.request.get(`${A}/c/wellbeing`, { headers: { accept: "text/html" } });
  const forged = await alice.request.post(`${A}/c/wellbeing/post`, {
    form: { title: "Forged", content: "posted from another site" },
    maxRedirects: 0,
  });
  assert(forged.status() === 403, `a form without its token answered ${forged.status()}`);
  const wrong = await alice.request.post(`${A}/c/wellbeing/post`, {
    form: { title: "Forged", content: "posted from another site", csrf: "guess" },
    maxRedirects: 0,
  });
  assert(wrong.status() === 403, `a form with a wrong token answered ${wrong.status()}`);
  const after = await alice.request.get(`${A}/c/wellbeing`, { headers: { accept: "text/html" } });
  assert(!(await after.text()).includes("Forged") && !(await before.text()).includes("Forged"), "nothing was posted");

  // ActivityPub clients still get JSON at the same address.
  const json = await alice.request.get(`${A}/c/wellbeing`, { headers: { accept: "application/activity+json" } });
  assert((await json.json()).type === "Group", "the actor document is served to ActivityPub clients");

  // Follow from your own server: the visitor's server's subscribe template (B's).
  const visitor = await (await browser.newContext({ viewport: { width: 1280, height: 860 } })).newPage();
  await visit(visitor, `${A}/c/wellbeing`, "community (visitor)");
  const bDomain = new URL(B).host;
  const requested = [];
  visitor.on("request", (r) => requested.push(r.url()));
  await visitor.getByLabel("Your handle").fill(`bea@${bDomain}`);
  await submit(visitor, "Follow");
  const expected = `${B}/authorize_interaction?uri=${encodeURIComponent(`${A}/c/wellbeing`)}`;
  assert(requested.includes(expected), `the remote follow went to ${requested.join(", ")}, not ${expected}`);
  // A server that cannot be asked: a clear message.
  await visitor.goto(`${A}/c/wellbeing`);
  await visitor.getByLabel("Your handle").fill("someone@127.0.0.1:9");
  await submit(visitor, "Follow");
  assert((await visitor.locator(".problem").innerText()).includes("could not be reached"), "an unreachable server is said so");
  await axe(visitor, "remote follow refused");

  // A remote person's hostile post, and a community that lives elsewhere.
  await visit(visitor, `${A}${XSS_THREAD}`, "remote thread with hostile markup");
  await checkInert(visitor, "a remote post");
  assert((await visitor.locator(".badge.remote").count()) > 0, "the remote post is marked with where it lives");
  await visit(visitor, `${A}${REMOTE}`, "remote community");
  assert((await visitor.locator(".badge.remote").first().innerText()).includes(bDomain), "the remote community says where it lives");
  await visit(visitor, `${A}/u/alice`, "profile");
  await visit(visitor, eventUrl, "event (visitor)");
  await visit(visitor, threadUrl, "thread (visitor)");

  await visit(alice, `${A}/settings/tokens`, "tokens");
  await alice.getByLabel("Name").fill("calendar sync");
  await submit(alice, "Make token");
  assert((await alice.locator("code.secret").count()) === 1, "a new token is shown once");
  await axe(alice, "tokens (new)");

  assert(pageErrors.length === 0, `script errors: ${pageErrors.join("; ")}`);

  if (SHOTS) {
    const shots = await (await browser.newContext({ viewport: { width: 1280, height: 860 } })).newPage();
    await shots.goto(`${A}/`); await shoot(shots, "directory");
    await shots.goto(`${A}/c/wellbeing`); await shoot(shots, "community");
    await shots.goto(threadUrl); await shoot(shots, "thread");
    await shots.goto(eventUrl); await shoot(shots, "event");
    await shots.goto(`${A}/signup`); await shoot(shots, "sign-up");
    await alice.goto(`${A}/home`); await shoot(alice, "home");
    await alice.goto(`${A}/c/wellbeing/manage`); await shoot(alice, "manage");
  }
  console.log(`browser: every step passed; axe found no serious or critical violation on ${checked.length} pages: ${checked.join(", ")}`);
} finally {
  await browser.close();
  rmSync(profile, { recursive: true, force: true });
}

/** The post on this page ran no script, and carries none. */
async function checkInert(page, what) {
  await page.waitForTimeout(300);
  const state = await page.evaluate(() => ({
    xss: window.__xss,
    scripts: document.querySelectorAll("main script").length,
    handlers: [...document.querySelectorAll("main *")].filter((e) => [...e.attributes].some((a) => a.name.startsWith("on"))).length,
    jsLinks: [...document.querySelectorAll("main a")].filter((a) => (a.getAttribute("href") || "").trim().toLowerCase().startsWith("javascript:")).length,
  }));
  assert(state.xss === undefined, `${what}: script ran (${state.xss})`);
  assert(state.scripts === 0 && state.handlers === 0 && state.jsLinks === 0, `${what}: markup left: ${JSON.stringify(state)}`);
}
