// The player console (www/index.html, www/player/) played in headless
// Chromium (test_player.sh runs it):
//
// 1. a GM set up through the API and three players in separate browser
//    contexts: they join by link, take stations by clicks, and play three
//    rounds by clicks and keys; the GM's GET /log shows every order given;
//    each page's document equals GET for its token at the end;
// 2. a player's tab reloaded mid-round comes back to the same seat and
//    state with no typing;
// 3. kill -9 of the daemon and a restart on the same database: the banner
//    says "reconnecting", then the page equals GET;
// 4. through broadside-faultproxy with a blackhole: the watchdog reconnects
//    within its bound (2.5 heartbeats) and the banner says so;
// 5. spectators see no order panel, and no byte their pages received (every
//    response body and every EventSource message, from CDP) holds the
//    hidden ship's name or id;
// 6. no console error, page error or failed request on any page (but the
//    event stream's while the server is down or blackholed), and axe-core
//    finds no serious or critical violation in any page state;
// 7. a screenshot of every step in SHOTS_DIR.
//
//   node player.mjs BASE_URL RESTART_ARGS_FILE DAEMON_PID DAEMON_LOG_DIR \
//       FAULTPROXY SHOTS_DIR PIDS_FILE
//
// RESTART_ARGS_FILE: the daemon's command line, one argument a line, with
// its port; the restarted daemon's and the proxy's pids are appended to
// PIDS_FILE for the shell's clean-up.  Prints one JSON summary line; exit 0
// on success, 1 with the reason on stderr.  Bounded by 140 s.
import { launchChromium, Fail, check, sleep, until, axeProblems } from './harness.mjs';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';


const [base, argsFile, daemonPidArg, logDir, proxyBin, shots, pidsFile] = process.argv.slice(2);
if (!pidsFile) {
  console.error('usage: player.mjs BASE_URL RESTART_ARGS_FILE DAEMON_PID LOG_DIR FAULTPROXY SHOTS_DIR PIDS_FILE');
  process.exit(2);
}
for (const ev of ['uncaughtException', 'unhandledRejection'])
  process.on(ev, async (e) => {
    console.error(`player.mjs: ${e instanceof Fail ? '' : 'error: '}${e?.stack && !(e instanceof Fail) ? e.stack : e?.message ?? e}`);
    if (problems?.length) console.error(`also:\n${problems.join('\n')}`);
    // The pages as they were, for the reader.
    await Promise.race([sleep(5000), Promise.all(Object.values(pages ?? {}).map((p) => shot(p, 'FAILED').catch(() => {})))]);
    process.exit(1);
  });
const T0 = Date.now();
const timings = {};
const stamp = (name) => { timings[name] = Date.now() - T0; };
setTimeout(() => { console.error(`player.mjs: not done within 140 s (${JSON.stringify(timings)})`); process.exit(1); }, 140000).unref();
fs.mkdirSync(shots, { recursive: true });


// --- the GM, through the API ------------------------------------------------

async function api(method, url, token, body, origin = base) {
  const headers = { Accept: 'application/json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(origin + url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  if (!res.ok) throw new Fail(`${method} ${url}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

const battle = await api('POST', '/v1/battles', null, { name: 'Console trial', round_seconds: 300, spectators: true });
const { id: ID, gm_token: GM, join_code: CODE } = battle;
const U = `/v1/battles/${ID}`;
const HIDDEN = 'Nightshade Qx7';
for (const s of [
  { class: 'frigate', side: 'crew', x: 200, y: 500, crewed: true, name: 'Dauntless' },
  { class: 'destroyer', side: 'hostile', x: 380, y: 520, name: 'Raider' },
  { class: 'corvette', side: 'hostile', x: 420, y: 380, name: 'Jackal' },
  { class: 'trader', side: 'crew', x: 150, y: 620, name: 'Mule' },
  { class: 'scout', side: 'hostile', x: 950, y: 950, name: HIDDEN, hidden: true },
]) await api('POST', `${U}/ships`, GM, s);
const HIDDEN_ID = 5;
// The join link: the server's player_console (#BATTLE/CODE), or built so.
check([`/#${ID}`, `/#${ID}/${CODE}`].includes(battle.urls.player_console), `player_console link: ${battle.urls.player_console}`);
const LINK = `/#${ID}/${CODE}`;

// --- browsers ---------------------------------------------------------------

const browser = await launchChromium();
let phase = 'setup';
// Errors allowed while the server is down or blackholed: the stream's.
const tolerated = (url) => /\/events\?/.test(url) && (phase === 'kill' || phase === 'blackhole');
var problems = [];
var pages = {};
let shotNo = 0;

async function open(name, { origin = base, viewport = { width: 1280, height: 900 }, colorScheme = 'light', cdp = false } = {}) {
  const context = await browser.newContext({ viewport, colorScheme });
  const page = await context.newPage();
  page.setDefaultTimeout(10000);
  const p = { name, page, context, origin, received: [], heard: [], token: null };
  page.on('console', (m) => {
    if (m.type() === 'error' && !(tolerated(m.location()?.url ?? '') || (phase !== 'run' && /ERR_CONNECTION_REFUSED|ERR_EMPTY_RESPONSE|ERR_CONNECTION_RESET|ERR_INCOMPLETE_CHUNKED/.test(m.text()))))
      problems.push(`${name}: console error (${phase}): ${m.text()} at ${m.location()?.url}`);
  });
  page.on('pageerror', (e) => problems.push(`${name}: page error: ${e.message}`));
  page.on('requestfailed', (r) => {
    const err = r.failure()?.errorText ?? '';
    if (/\/events\?/.test(r.url()) && (err === 'net::ERR_ABORTED' || tolerated(r.url()))) return;
    problems.push(`${name}: request failed (${phase}): ${r.method()} ${r.url()} ${err}`);
  });
  page.on('response', async (r) => {
    if (r.status() >= 400) problems.push(`${name}: ${r.status()} for ${r.request().method()} ${r.url()}`);
    if (cdp && !/\/events\?/.test(r.url())) p.received.push(await r.text().catch(() => ''));
  });
  if (cdp) {
    const session = await context.newCDPSession(page);
    await session.send('Network.enable');
    session.on('Network.eventSourceMessageReceived', (m) => {
      p.heard.push(Date.now());
      p.received.push(`${m.eventName}\n${m.eventId}\n${m.data}`);
    });
  }
  pages[name] = p;
  return p;
}

async function shot(p, what) {
  const file = path.join(shots, `${String(++shotNo).padStart(2, '0')}-${p.name}-${what}.png`);
  await p.page.screenshot({ path: file, fullPage: true });
}

async function axe(p, what) {
  problems.push(...await axeProblems(p.page, `${p.name} (${what})`));
}

// Screenshot and accessibility scan of a page state.
async function step(p, what) {
  await shot(p, what);
  await axe(p, what);
}

const state = (p) => p.page.evaluate(() => {
  const g = window.__broadside;
  return g && g.store.doc ? { doc: g.store.doc, conn: g.connection.state, reconnects: g.connection.reconnects, banner: g.bannerLog, token: g.session.token } : null;
});

// Canonical JSON: keys sorted, for comparing documents.
const canon = (v) => JSON.stringify(v, (k, x) => x && typeof x === 'object' && !Array.isArray(x)
  ? Object.fromEntries(Object.keys(x).sort().map((key) => [key, x[key]])) : x);

// Waits until the page's document equals GET for its token.
async function converged(p, what, ms = 10000) {
  let last = '';
  try {
    await until(`${p.name}'s page to equal GET (${what})`, async () => {
      const s = await state(p);
      if (!s) return false;
      const server = await api('GET', U, s.token, undefined, p.origin);
      last = `page ${canon(s.doc).slice(0, 400)}\nGET  ${canon(server).slice(0, 400)}`;
      return canon(s.doc) === canon(server);
    }, ms);
  } catch (e) {
    throw new Fail(`${e.message}\n${last}`);
  }
}

const text = (p, sel) => p.page.locator(sel).innerText();
const panelStatus = (p, st) => p.page.locator(`#panel-${st} .ostatus`);

async function accepted(p, st, round) {
  let last = '';
  await until(`${p.name}: ${st}'s order accepted in round ${round} (status: "${last}")`, async () =>
    /^Accepted: .*\(round (\d+)\)/.exec(last = await panelStatus(p, st).innerText())?.[1] === String(round)).catch((e) => {
    throw new Fail(`${e.message}: the panel says "${last}"`);
  });
}

// --- 1. join by link, take stations ------------------------------------------

async function joinByLink(p, name, { role = 'player', keys = false, timeout = 10000 } = {}) {
  const page = p.page;
  await page.goto(p.origin + LINK);
  await page.waitForSelector('#join:not([hidden])');
  check(await page.inputValue('#j-battle') === ID && await page.inputValue('#j-code') === CODE, `${p.name}: the link did not fill in battle and code`);
  check(await page.evaluate(() => document.activeElement?.id) === 'j-name', `${p.name}: the name field is not focused`);
  await page.keyboard.type(name);
  if (role === 'spectator') await page.check('input[name=role][value=spectator]');
  await step(p, 'join-form');
  if (keys) await page.keyboard.press('Enter'); else await page.click('#j-submit');
  await page.waitForSelector('#game:not([hidden])', { timeout });
  await until(`${p.name}: the battle's snapshot`, async () => (await state(p))?.doc, timeout);
}

const ann = await open('ann');
const bob = await open('bob', { viewport: { width: 360, height: 740 } });
const cat = await open('cat', { colorScheme: 'dark' });
const spec = await open('spectator', { cdp: true });
phase = 'run';

await joinByLink(ann, 'Ann', { keys: true });
await joinByLink(bob, 'Bob');
await joinByLink(cat, 'Cat');
await joinByLink(spec, 'Sid', { role: 'spectator' });
stamp('joined');

async function take(p, st) {
  await p.page.click(`[data-take=${st}]`);
  await p.page.waitForSelector(`[data-leave=${st}]`);
}
await take(ann, 'captain');
await take(ann, 'pilot');
await take(bob, 'gunner');
await cat.page.focus('[data-take=engineer]');
await cat.page.keyboard.press('Enter');
await cat.page.waitForSelector('[data-leave=engineer]');
await take(cat, 'sensors');
// A station taken by someone else has no button for the others.
check(await bob.page.locator('[data-take=pilot]').count() === 0, 'bob is offered the pilot station Ann holds');
await step(ann, 'stations-lobby');

await api('POST', `${U}/start`, GM);
await until('round 1 on every page', async () => {
  for (const p of [ann, bob, cat, spec]) if (!/Round 1/.test(await text(p, '#r-round'))) return false;
  return true;
});
check(await spec.page.locator('#order-panels fieldset').count() === 0, 'the spectator has an order panel');
check(await spec.page.locator('[data-take]').count() === 0, 'the spectator is offered stations');
await step(spec, 'spectator-round1');
stamp('started');

// The client (viewport) point of map point (x, y).
async function mapPoint(p, x, y) {
  return p.page.evaluate(([x, y]) => {
    const svg = document.getElementById('map');
    svg.scrollIntoView({ block: 'center' });
    const m = svg.getScreenCTM();
    const pt = new DOMPoint(x, y).matrixTransform(m);
    return { x: pt.x, y: pt.y };
  }, [x, y]);
}

async function resolveRound(round) {
  await until(`GM: every station ordered in round ${round}`, async () => {
    const d = await api('GET', U, GM);
    return d.round === round && d.waiting_for?.stations?.length === 0;
  });
  await api('POST', `${U}/resolve`, GM);
  await until(`round ${round + 1} on every page`, async () => {
    for (const p of [ann, bob, cat, spec]) if (!new RegExp(`Round ${round + 1}\\b`).test(await text(p, '#r-round'))) return false;
    return true;
  });
}

const expected = []; // what the log must show: {round, kind, ...}

// Round 1: all by clicks.
{
  const r = 1;
  await ann.page.click('#panel-captain button:text-is("Tactics")');
  await accepted(ann, 'captain', r);
  expected.push({ round: r, kind: 'tactics' });
  const pt = await mapPoint(ann, 260, 520);
  await ann.page.mouse.click(pt.x, pt.y);
  await accepted(ann, 'pilot', r);
  const mv = await ann.page.evaluate(() => ({ x: Number(document.getElementById('pilot-x').value), y: Number(document.getElementById('pilot-y').value) }));
  check(Math.abs(mv.x - 260) <= 2 && Math.abs(mv.y - 520) <= 2, `the map click gave (${mv.x}, ${mv.y}), not about (260, 520)`);
  expected.push({ round: r, kind: 'move', ...mv });
  await step(ann, 'round1-orders');

  await bob.page.selectOption('#gun-0', '2');
  await bob.page.selectOption('#gun-2', '3');
  await bob.page.click('#panel-gunner button:text-is("Fire")');
  await accepted(bob, 'gunner', r);
  expected.push({ round: r, kind: 'fire', weapon: 0 }, { round: r, kind: 'fire', weapon: 2 });
  await step(bob, 'round1-gunner');

  await cat.page.selectOption('#panel-engineer select >> nth=1', 'weapons');
  await cat.page.click('#panel-engineer button:text-is("Overcharge")');
  await accepted(cat, 'engineer', r);
  expected.push({ round: r, kind: 'overcharge' });
  await cat.page.selectOption('#panel-sensors select', '2');
  await cat.page.click('#panel-sensors button:text-is("Lock")');
  await accepted(cat, 'sensors', r);
  expected.push({ round: r, kind: 'lock', target: 2 });
  await step(cat, 'round1-orders');
  await resolveRound(r);
  await step(ann, 'round1-resolved');
  stamp('round1');
}

// Round 2: all by keys; Bob's tab is reloaded before he orders.
{
  const r = 2;
  await ann.page.focus('#panel-captain button:text-is("Tactics")');
  await ann.page.keyboard.press('Enter');
  await accepted(ann, 'captain', r);
  expected.push({ round: r, kind: 'tactics' });
  const own = (await state(ann)).doc.ships['1'];
  await ann.page.focus('#map');
  for (let i = 0; i < 3; i++) await ann.page.keyboard.press('ArrowRight');
  await ann.page.keyboard.press('ArrowDown');
  await ann.page.keyboard.press('Enter');
  await accepted(ann, 'pilot', r);
  expected.push({ round: r, kind: 'move', x: own.x + 15, y: own.y + 5 });

  // 2. Reload mid-round: same seat, same state, no typing.
  const before = await state(bob);
  await bob.page.reload();
  await bob.page.waitForSelector('#game:not([hidden])');
  check(await bob.page.locator('#join').isHidden(), 'bob: the join form shows after a reload');
  await bob.page.waitForSelector('[data-leave=gunner]');
  await converged(bob, 'after a reload');
  check((await state(bob)).token === before.token, 'bob: another token after the reload');
  await step(bob, 'round2-reloaded');
  stamp('reload');

  await bob.page.focus('#gun-1');
  await bob.page.keyboard.press('ArrowDown');
  const aimed = await bob.page.inputValue('#gun-1');
  check(aimed !== '', 'bob: ArrowDown on the weapon picked no target');
  await step(bob, 'round2-aiming');
  await bob.page.focus('#panel-gunner button:text-is("Fire")');
  await bob.page.keyboard.press('Enter');
  await accepted(bob, 'gunner', r);
  expected.push({ round: r, kind: 'fire', weapon: 1 });

  await cat.page.focus('#panel-engineer button:text-is("Hold")');
  await cat.page.keyboard.press('Enter');
  await accepted(cat, 'engineer', r);
  await cat.page.focus('#panel-sensors select');
  await cat.page.keyboard.press('ArrowDown');
  const jammed = Number(await cat.page.inputValue('#panel-sensors select'));
  await cat.page.focus('#panel-sensors button:text-is("Jam")');
  await cat.page.keyboard.press('Space');
  await accepted(cat, 'sensors', r);
  expected.push({ round: r, kind: 'jam', target: jammed });
  await resolveRound(r);
  stamp('round2');
}

// Round 3: the pilot types a position; the rest by clicks and keys.
{
  const r = 3;
  await ann.page.focus('#panel-captain button:text-is("Hold")');
  await ann.page.keyboard.press('Space');
  await accepted(ann, 'captain', r);
  const own = (await state(ann)).doc.ships['1'];
  const to = { x: own.x + 20, y: own.y + 40 };
  await ann.page.fill('#pilot-x', String(to.x));
  await ann.page.fill('#pilot-y', String(to.y));
  await ann.page.press('#pilot-y', 'Enter');
  await accepted(ann, 'pilot', r);
  expected.push({ round: r, kind: 'move', ...to });
  await bob.page.selectOption('#gun-0', '3');
  await bob.page.click('#panel-gunner button:text-is("Fire")');
  await accepted(bob, 'gunner', r);
  expected.push({ round: r, kind: 'fire', weapon: 0 });
  await cat.page.selectOption('#panel-engineer select >> nth=1', 'drive');
  await cat.page.focus('#panel-engineer button:text-is("Overcharge")');
  await cat.page.keyboard.press('Enter');
  await accepted(cat, 'engineer', r);
  expected.push({ round: r, kind: 'overcharge' });
  await cat.page.click('#panel-sensors button:text-is("Hold")');
  await accepted(cat, 'sensors', r);
  await step(cat, 'round3-orders');
  await resolveRound(r);
  await step(bob, 'round3-resolved');
  await step(cat, 'round3-resolved');
  stamp('round3');
}

// Every order given shows in the GM's log.
const log = (await api('GET', `${U}/log?after=0&limit=1000`, GM)).entries;
for (const e of expected) {
  const inRound = log.filter((x) => x.round === e.round);
  const found = {
    tactics: () => inRound.some((x) => x.kind === 'initiative' && x.ships?.some((s) => s.ship === 1 && s.modifiers?.some((m) => m.name === 'tactics'))),
    move: () => inRound.some((x) => x.kind === 'movement' && x.moves?.some((m) => m.ship === 1 && m.x === e.x && m.y === e.y)),
    fire: () => inRound.some((x) => x.kind === 'attack' && x.actor === 1 && x.weapon === e.weapon),
    overcharge: () => inRound.some((x) => x.kind === 'overcharge' && x.actor === 1),
    lock: () => inRound.some((x) => x.kind === 'lock' && x.actor === 1 && x.target === e.target),
    jam: () => inRound.some((x) => x.kind === 'jam' && x.actor === 1 && x.target === e.target),
  }[e.kind]();
  check(found, `the GM's log lacks ${JSON.stringify(e)}:\n${inRound.map((x) => x.text).join('\n')}`);
  check(!inRound.some((x) => x.kind === 'defaults' && x.stations?.length), `round ${e.round}: a station took a default`);
}
for (const p of [ann, bob, cat, spec]) await converged(p, 'after three rounds');
// The page's log is the view's GET /log.
for (const p of [ann, spec]) {
  const s = await state(p);
  const mine = (await api('GET', `${U}/log?after=0&limit=1000`, s.token)).entries;
  const shown = await p.page.evaluate(() => window.__broadside.store.log);
  check(canon(shown) === canon(mine), `${p.name}: the page's log differs from GET /log`);
  check(await p.page.locator('#log li').count() === mine.length, `${p.name}: the log list does not show every entry`);
}
stamp('checked');

// --- 3. kill -9 and restart on the same database ---------------------------

const restartArgs = fs.readFileSync(argsFile, 'utf8').split('\n').filter(Boolean);
phase = 'kill';
process.kill(Number(daemonPidArg), 'SIGKILL');
await until('ann: the banner says reconnecting', async () =>
  /reconnecting/i.test(await text(ann, '#banner')) && await ann.page.locator('#banner[data-state=reconnecting]').count() === 1);
await step(ann, 'server-killed');
const relog = path.join(logDir, 'restarted.log');
const daemon2 = spawn(restartArgs[0], restartArgs.slice(1), { stdio: ['ignore', 'ignore', fs.openSync(relog, 'w')], detached: true });
fs.appendFileSync(pidsFile, `${daemon2.pid}\n`);
await until('the restarted daemon to listen', () => /listening on/.test(fs.readFileSync(relog, 'utf8')));
for (const p of [ann, bob, cat, spec]) await converged(p, 'after the restart', 15000);
await until('ann: the banner leaves reconnecting', async () => (await state(ann)).conn !== 'reconnecting');
const annBanner = (await state(ann)).banner.map((b) => b.state);
check(annBanner.includes('reconnecting') && (annBanner.includes('resyncing') || annBanner.lastIndexOf('live') > annBanner.indexOf('reconnecting')),
  `ann's banner went ${annBanner.join(' -> ')}`);
await step(ann, 'server-restarted');
phase = 'run';
stamp('restart');

// --- 4. the watchdog through a blackhole -----------------------------------

const port = new URL(base).port;
const proxy = spawn(proxyBin, ['--listen', '127.0.0.1:0', '--target', `127.0.0.1:${port}`, '--blackhole-after', '10'], { stdio: ['ignore', 'pipe', 'ignore'] });
fs.appendFileSync(pidsFile, `${proxy.pid}\n`);
const proxyUrl = await new Promise((resolve, reject) => {
  let out = '';
  proxy.stdout.on('data', (d) => {
    out += d;
    const m = /listening on (\S+)/.exec(out);
    if (m) resolve(`http://${m[1]}`);
  });
  proxy.on('exit', () => reject(new Fail(`the fault proxy exited: ${out}`)));
});
const far = await open('spectator-proxied', { origin: proxyUrl, viewport: { width: 800, height: 900 }, cdp: true });
// The proxy silences each connection 10 s after it opened: time for the
// page to load and join over them even on a busy machine (with 4 s, CI's
// parallel builds were slow enough for the join to ride connections
// already silent).  A join that still does is sent again with its key
// after the console's 15 s timeout: allow for one retry.
await joinByLink(far, 'Faraway', { role: 'spectator', keys: true, timeout: 40000 });
await until('the proxied spectator to be live', async () => (await state(far))?.conn === 'live');
phase = 'blackhole';
const heartbeatMs = 1000, bound = 2.5 * heartbeatMs;
// Every connection through the proxy goes silent 10 s after it opened (idle
// keep-alive ones too, which a reconnection may pick first): the watchdog
// must give up on a silent stream within its bound, every time, until a
// fresh connection brings the stream back.
const back = await until('the watchdog to reconnect through the blackhole', async () => {
  const s = await state(far);
  return s.reconnects >= 1 && s.conn === 'live' ? s : null;
}, 40000);
const rec = back.banner.find((b) => b.state === 'reconnecting');
const live = back.banner.find((b) => b.t >= (rec?.t ?? Infinity) && (b.state === 'live' || b.state === 'resyncing'));
check(rec && live && /reconnect/i.test(live.text), `the banner did not say so: ${JSON.stringify(back.banner)}`);
const heard = far.heard.filter((t) => t <= rec.t);
const silent = rec.t - heard[heard.length - 1];
check(silent <= bound + 750, `the watchdog waited ${silent} ms after the last event, bound ${bound} ms`);
await step(far, 'blackhole-reconnected');
check(await far.page.locator('#order-panels fieldset').count() === 0, 'the proxied spectator has an order panel');
timings.blackhole_silence_ms = silent;
timings.blackhole_reconnect_ms = live.t - rec.t;
timings.blackhole_attempts = back.banner.filter((b) => b.state === 'reconnecting').length;
// Closed before the proxy goes, so that its stream does not try the
// proxy's port again (a refused connection would count as a problem).
await far.context.close();
delete pages[far.name];
phase = 'run';
proxy.kill('SIGTERM');

// --- 5. secrecy, from the spectator's received bytes -----------------------

const bytes = spec.received.join('\n');
check(spec.received.some((m) => m.startsWith('snapshot\n')), 'CDP saw no snapshot event on the spectator page');
check(!bytes.includes(HIDDEN) && !bytes.includes('Nightshade'), 'the spectator page received the hidden ship\'s name');
const idRe = new RegExp(`"(?:id|ship|actor|target)":${HIDDEN_ID}[,}]|"${HIDDEN_ID}":\\{"`);
check(!idRe.test(bytes), `the spectator page received the hidden ship's id: ${idRe.exec(bytes)?.[0]}`);
const gmSees = await api('GET', U, GM);
check(gmSees.ships[String(HIDDEN_ID)]?.name === HIDDEN, 'the hidden ship is not the one the test made');

// --- 6. the last checks -----------------------------------------------------

await step(spec, 'spectator-end');
await step(ann, 'end');
check(problems.length === 0, `problems on the pages:\n${problems.join('\n')}`);
const firstRender = await ann.page.evaluate(() => window.__broadside.firstRender);
console.log(JSON.stringify({ ok: true, battle: ID, screenshots: shotNo, received_events: spec.received.length, first_render_ms: Math.round(firstRender), timings }));
await browser.close();
process.exit(0);
