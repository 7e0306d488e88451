// The GM console (www/gm.html, www/gm/) in headless Chromium (test_gm.sh
// runs it).  A GM runs a whole battle from /gm with clicks and keys only:
//
// 1. create the battle from the form (keys), the join link and code shown;
// 2. add 10 ships, some hidden, each placed by a click on the map (one by
//    typed coordinates and Enter); drag one ship (few PATCHes); edit one;
// 3. two players join from the player console at the join link /#ID/CODE;
//    the GM gives them stations and a skill from the console and sees
//    them online;
// 4. start; one GM ship ordered by hand (move picked on the map, a weapon at
//    a target); every other GM ship by the batch action (one POST /orders);
//    pause, +30 s (keys), resume; narration with &, + and non-ASCII (typed,
//    Ctrl+Enter); reveal a hidden ship; resolve now; end (confirmed);
// 5. the log read with GET as the GM holds each of those actions, and the
//    page's log and filters agree; the page's document equals GET;
// 6. the console at 360 px in the dark scheme;
// 7. no console error, page error, failed request or HTTP error on any page;
//    axe-core finds no serious or critical violation in any step (skipped,
//    and said, without axe-core).
//
//   node gm.mjs BASE_URL SHOTS_DIR
//
// Screenshots: SHOTS_DIR/gm-NN-step.png.  Prints one JSON summary line;
// exit 0 on success, 1 with the reason on stderr.  Bounded by 80 s.
import { launchChromium, Fail, check, sleep, until, axeProblems } from './harness.mjs';
import fs from 'node:fs';
import path from 'node:path';


const [base, shots] = process.argv.slice(2);
if (!shots) {
  console.error('usage: gm.mjs BASE_URL SHOTS_DIR');
  process.exit(2);
}
for (const ev of ['uncaughtException', 'unhandledRejection'])
  process.on(ev, (e) => {
    console.error(`gm.mjs: ${e instanceof Fail ? '' : 'error: '}${e?.stack && !(e instanceof Fail) ? e.stack : e?.message ?? e}`);
    process.exit(1);
  });
const T0 = Date.now();
const timings = {};
const stamp = (name) => { timings[name] = Date.now() - T0; };
setTimeout(() => { console.error(`gm.mjs: not done within 80 s (${JSON.stringify(timings)})`); process.exit(1); }, 80000).unref();
fs.mkdirSync(shots, { recursive: true });


async function api(method, url, token, body) {
  const headers = { Accept: 'application/json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(base + url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  if (!res.ok) throw new Fail(`${method} ${url}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

const browser = await launchChromium();
process.on('exit', () => { try { browser.close(); } catch { /* gone */ } });

const problems = [];
let shotNo = 0, axeRuns = 0;
async function open(name, { viewport = { width: 1280, height: 900 }, colorScheme = 'light' } = {}) {
  const context = await browser.newContext({ viewport, colorScheme });
  const page = await context.newPage();
  page.setDefaultTimeout(10000);
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`${name}: console error: ${m.text()} at ${m.location()?.url}`); });
  page.on('pageerror', (e) => problems.push(`${name}: page error: ${e.message}`));
  page.on('requestfailed', (r) => {
    // The event stream is aborted when a page closes or reloads.
    if (/\/events\?/.test(r.url()) && r.failure()?.errorText === 'net::ERR_ABORTED') return;
    problems.push(`${name}: request failed: ${r.method()} ${r.url()} ${r.failure()?.errorText}`);
  });
  page.on('response', (r) => { if (r.status() >= 400) problems.push(`${name}: ${r.status()} for ${r.request().method()} ${r.url()}`); });
  return { name, page, context };
}

async function step(p, what) {
  await p.page.screenshot({ path: path.join(shots, `gm-${String(++shotNo).padStart(2, '0')}-${what}.png`), fullPage: true });
  problems.push(...await axeProblems(p.page, `${p.name} (${what})`));
  axeRuns++;
}

const canon = (v) => JSON.stringify(v, (k, x) => x && typeof x === 'object' && !Array.isArray(x)
  ? Object.fromEntries(Object.keys(x).sort().map((key) => [key, x[key]])) : x);

// --- 1. create ---------------------------------------------------------------

const gm = await open('gm');
await gm.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: base });
const page = gm.page;
// Count the PATCHes of ships (the drag) and the POSTs of orders (the batch).
const sent = [];
page.on('request', (r) => { if (r.method() !== 'GET') sent.push(`${r.method()} ${new URL(r.url()).pathname}`); });
await page.goto(`${base}/gm`);
await page.waitForSelector('#setup:not([hidden])');
check(await page.evaluate(() => document.activeElement?.id) === 'c-name', 'the name field is not focused on /gm');
await page.keyboard.type('Console trial: the Ça & ça run');
await page.keyboard.press('Tab');
await page.keyboard.press('Control+A');
await page.keyboard.type('120');
await step(gm, 'create');
await page.keyboard.press('Enter');
await page.waitForSelector('#console:not([hidden])');
const ID = await until('the battle id in the URL', () => page.evaluate(() => location.hash.slice(1)));
const GM = await page.evaluate((id) => JSON.parse(localStorage.getItem(`broadside:session:${id}`))?.token, ID);
check(GM, 'no GM token kept in localStorage');
const U = `/v1/battles/${ID}`;
const state = () => page.evaluate(() => window.__gm?.store?.doc ?? null);
await until('the snapshot', state);
let view = await api('GET', U, GM);
const CODE = view.join_code;
check(view.name === 'Console trial: the Ça & ça run' && view.round_seconds === 120, `created with ${view.name} ${view.round_seconds}`);
check(await page.inputValue('#i-link') === `${base}/#${ID}/${CODE}`, `join link ${await page.inputValue('#i-link')}`);
check(await page.inputValue('#i-code') === CODE, 'join code not shown');
await page.click('#i-copy-link');
await until('the join link copied', async () => await page.evaluate(() => navigator.clipboard.readText()) === `${base}/#${ID}/${CODE}`);
stamp('created');

// --- 2. ships ----------------------------------------------------------------

// Client coordinates of map point (x, y).
async function mapPoint(x, y) {
  await page.locator('#map').scrollIntoViewIfNeeded();
  return page.evaluate(([x, y]) => {
    const p = new DOMPoint(x, y).matrixTransform(document.getElementById('map').getScreenCTM());
    return { x: p.x, y: p.y };
  }, [x, y]);
}
async function clickMap(x, y) {
  const p = await mapPoint(x, y);
  await page.mouse.click(p.x, p.y);
}
const near = (a, b) => Math.abs(a - b) <= 2;

const SHIPS = [
  { name: 'Dauntless', cls: 'frigate', side: 'crew', crewed: true, x: 150, y: 500 },
  { name: 'Valiant', cls: 'corvette', side: 'crew', x: 200, y: 640 },
  { name: 'Raider', cls: 'corvette', side: 'hostile', x: 400, y: 450 },
  { name: 'Jackal', cls: 'corvette', side: 'hostile', x: 430, y: 580 },
  { name: 'Warden', cls: 'destroyer', side: 'hostile', hidden: true, x: 700, y: 300 },
  { name: 'Lurker', cls: 'scout', side: 'hostile', hidden: true, x: 640, y: 720 },
  { name: 'Hauler', cls: 'trader', side: 'hostile', x: 520, y: 180 },
  { name: 'Spear', cls: 'frigate', side: 'hostile', x: 580, y: 480 },
  { name: 'Ghost', cls: 'scout', side: 'hostile', hidden: true, x: 930, y: 930 },
  { name: 'Picket', cls: 'scout', side: 'hostile', x: 300, y: 300, keys: true },
];
const ids = {};
for (const s of SHIPS) {
  await page.selectOption('#a-class', s.cls);
  await page.selectOption('#a-side', s.side);
  await page.fill('#a-name', s.name);
  await page.setChecked('#a-hidden', !!s.hidden);
  if (s.side === 'crew') await page.setChecked('#a-crewed', !!s.crewed);
  if (s.keys) {
    await page.focus('#a-x');
    await page.keyboard.type(String(s.x));
    await page.keyboard.press('Tab');
    await page.keyboard.type(String(s.y));
    await page.keyboard.press('Enter');
  } else {
    await clickMap(s.x, s.y);
    const x = Number(await page.inputValue('#a-x')), y = Number(await page.inputValue('#a-y'));
    check(near(x, s.x) && near(y, s.y), `${s.name}: the click put ${x}, ${y} for ${s.x}, ${s.y}`);
    s.x = x; s.y = y;
    await page.click('#a-submit');
  }
  const id = await until(`${s.name} in the roster`, () => page.evaluate((name) =>
    Object.values(window.__gm.store.doc.ships).find((v) => v.name === name)?.id, s.name));
  ids[s.name] = String(id);
  if (s.name === 'Warden') await step(gm, 'ships-some');
}
view = await api('GET', U, GM);
check(Object.keys(view.ships).length === 10, `${Object.keys(view.ships).length} ships, not 10`);
for (const s of SHIPS) {
  const v = view.ships[ids[s.name]];
  check(v.class === s.cls && v.side === s.side && v.x === s.x && v.y === s.y && v.hidden === !!s.hidden && v.crewed === !!s.crewed,
    `${s.name} as added: ${JSON.stringify(v)}`);
}
// Marks on the map: hidden ships, and hostiles the crew does not detect (Ghost is hidden, Hauler out of sensor range).
check(await page.locator(`#map g.ship.hidden`).count() === 3, 'not 3 hidden ships marked on the map');
check(await page.locator(`#map g.ship[data-id="${ids.Raider}"].unseen`).count() === 0, 'Raider (in sensor range) marked unseen');
check(await page.locator(`#map g.ship[data-id="${ids.Hauler}"].unseen`).count() === 1, 'Hauler (out of sensor range) not marked unseen');
stamp('ships');

// Drag Hauler by 60 units over 20 mouse steps: a few PATCHes, the last at the drop point.
const patchesBefore = sent.filter((r) => r.startsWith('PATCH')).length;
const from = await mapPoint(520, 180), to = await mapPoint(560, 240);
await page.mouse.move(from.x, from.y);
const dragStart = Date.now();
await page.mouse.down();
for (let i = 1; i <= 20; i++) {
  await page.mouse.move(from.x + (to.x - from.x) * i / 20, from.y + (to.y - from.y) * i / 20);
  await sleep(15);
}
await page.mouse.up();
const dragMs = Date.now() - dragStart;
const dropped = await until('Hauler at its drop point', async () => {
  const h = (await api('GET', U, GM)).ships[ids.Hauler];
  return near(h.x, 560) && near(h.y, 240) && h;
});
const dragPatches = sent.filter((r) => r.startsWith('PATCH')).length - patchesBefore;
// At most one PATCH per 200 ms of dragging (www/gm/main.js DRAG_MS) and
// the drop: 6 for the 300 ms the steps take on an idle machine, more when
// a loaded machine makes them slower; never one per mouse step.
const patchBound = Math.min(19, Math.max(6, Math.ceil(dragMs / 200) + 2));
check(dragPatches >= 1 && dragPatches <= patchBound,
  `the drag sent ${dragPatches} PATCHes in ${dragMs} ms (at most ${patchBound})`);
// Now in Picket's sensor range? Picket is hostile: the crew's detection is from crew ships only; Hauler stays unseen.

// Picket nudged by keys on the map: Enter selects it, arrow right moves it 10, shift+down 50.
await page.focus(`#map g.ship[data-id="${ids.Picket}"]`);
await page.keyboard.press('Enter');
await page.waitForSelector(`#editor form[data-ship="${ids.Picket}"]`);
await page.focus(`#map g.ship[data-id="${ids.Picket}"]`);
await page.keyboard.press('ArrowRight');
await until('Picket nudged right', async () => (await api('GET', U, GM)).ships[ids.Picket].x === 310);
await page.keyboard.press('Shift+ArrowDown');
await until('Picket nudged down', async () => (await api('GET', U, GM)).ships[ids.Picket].y === 350);
await until('the editor to follow the nudge', async () => await page.inputValue('#e-x') === '310' && await page.inputValue('#e-y') === '350').catch(async (e) => { throw new Fail(e.message + ' ' + JSON.stringify(await page.evaluate((id) => ({ doc: window.__gm.store.doc.ships[id], x: document.getElementById('e-x')?.value, y: document.getElementById('e-y')?.value, form: document.querySelector('#editor form')?.dataset.ship, dirty: window.__gm.roster.dirty, conn: window.__gm.conn.state }), ids.Picket))); });

// Edit Spear from the roster: notes and hull, by keys.
await page.click(`#roster li[data-id="${ids.Spear}"] button`);
await page.waitForSelector(`#editor form[data-ship="${ids.Spear}"]`);
await page.fill('#e-notes', 'ambush: waits for round 2 & fires');
await page.fill('#e-hull', '70');
await page.focus('#e-name');
await page.keyboard.press('Enter');
await until('Spear edited', async () => {
  const s = (await api('GET', U, GM)).ships[ids.Spear];
  return s.notes === 'ambush: waits for round 2 & fires' && s.hull === 70;
});
await until('the notes mark on the map', () => page.evaluate((id) =>
  document.querySelector(`#map g.ship[data-id="${id}"] .flag`)?.textContent.includes('✎'), ids.Spear));
await step(gm, 'ships-all');
stamp('edited');

// --- 3. players join from the player console -------------------------------

const players = [];
for (const [name, vp] of [['Ann', { width: 1280, height: 900 }], ['Bob', { width: 360, height: 740 }]]) {
  const p = await open(name.toLowerCase(), { viewport: vp });
  await p.page.goto(`${base}/#${ID}/${CODE}`);
  await p.page.waitForSelector('#join:not([hidden])');
  await p.page.fill('#j-name', name);
  await p.page.press('#j-name', 'Enter');
  await p.page.waitForSelector('#game:not([hidden])');
  players.push(p);
}
const pid = {};
await until('both players in the GM\'s table, online', async () => {
  const d = await page.evaluate(() => ({ doc: window.__gm.store.doc, presence: window.__gm.store.presence }));
  for (const [k, v] of Object.entries(d.doc.players)) pid[v.name] = k;
  return pid.Ann && pid.Bob && d.presence.players.length === 2;
});
check(/2 of 2 players online/.test(await page.innerText('#p-online')), `presence: ${await page.innerText('#p-online')}`);
// Stations from the GM console: Ann captain and pilot, Bob the rest; Bob's skill 2.
const STATIONS = { captain: 'Ann', pilot: 'Ann', gunner: 'Bob', engineer: 'Bob', sensors: 'Bob' };
for (const [st, who] of Object.entries(STATIONS)) {
  await page.selectOption(`#st-${st}`, pid[who]);
  await until(`${st} given to ${who}`, async () => (await state()).stations?.[st] === Number(pid[who]));
}
await page.selectOption(`select[aria-label="Skill of Bob"]`, '2');
await until('Bob\'s skill 2', async () => (await state()).players[pid.Bob].skill === 2);
// And free the sensors, then give them back, by keys.
await page.focus('#st-sensors');
await page.selectOption('#st-sensors', '');
await until('sensors free', async () => !('sensors' in (await state()).stations));
await page.selectOption('#st-sensors', pid.Bob);
await until('sensors to Bob', async () => (await state()).stations?.sensors === Number(pid.Bob));
await step(gm, 'players');
stamp('players');

// --- 4. the battle -----------------------------------------------------------

await page.click('#r-start');
await until('round 1 planning', async () => { const d = await state(); return d.phase === 'planning' && d.round === 1; });
await until('the countdown', async () => /^[12]:\d\d$/.test(await page.innerText('#r-clock')));
check(/Raider/.test(await page.innerText('#r-waiting')) && /pilot \(Ann\)/.test(await page.innerText('#r-waiting')), `waiting: ${await page.innerText('#r-waiting')}`);

// Raider by hand: selected on the map (keys), move picked on the map, weapon 0 at Dauntless.
await page.focus(`#map g.ship[data-id="${ids.Raider}"]`);
await page.keyboard.press('Enter');
await page.waitForSelector(`#o-ship form[data-ship="${ids.Raider}"]`);
await page.click('#o-ship button:text("Pick on map")');
check(await page.isChecked('input[name=mode][value=order]'), 'Pick on map did not switch the map to orders');
await clickMap(380, 520);
const mx = Number(await page.inputValue('#o-x')), my = Number(await page.inputValue('#o-y'));
check(near(mx, 380) && near(my, 520), `move picked at ${mx}, ${my}`);
await page.selectOption('#o-w0', ids.Dauntless);
await page.click('#o-send');
await until('Raider\'s order', async () => (await state()).orders?.ships?.[ids.Raider]);
view = await api('GET', U, GM);
check(canon(view.orders.ships[ids.Raider]) === canon({ evade: false, fire: [{ weapon: 0, target: Number(ids.Dauntless) }], move: { x: mx, y: my } }),
  `Raider's order ${JSON.stringify(view.orders.ships[ids.Raider])}`);
await step(gm, 'order-one');

// Every other GM ship in one batch.
const postsBefore = sent.filter((r) => r.endsWith('/orders')).length;
await page.click('#o-batch');
await until('every GM ship ordered', async () => (await state()).waiting_for.ships.length === 0);
check(sent.filter((r) => r.endsWith('/orders')).length - postsBefore === 1, 'the batch took more than one POST /orders');
view = await api('GET', U, GM);
const gmShips = Object.values(view.ships).filter((s) => !s.crewed).map((s) => String(s.id));
check(gmShips.every((s) => view.orders.ships[s]), `GM ships without an order: ${gmShips.filter((s) => !view.orders.ships[s])}`);
// What the batch chose: Jackal (crew in reach) fires every weapon at the nearest crew ship; Ghost (none within 600) holds; Valiant (crew side) fires at a hostile.
const jackal = view.orders.ships[ids.Jackal];
check(jackal.fire?.length === 2 && jackal.fire.every((f) => [ids.Dauntless, ids.Valiant].includes(String(f.target))) && !jackal.move, `Jackal: ${JSON.stringify(jackal)}`);
check(!view.orders.ships[ids.Ghost].fire?.length && !view.orders.ships[ids.Ghost].move, `Ghost: ${JSON.stringify(view.orders.ships[ids.Ghost])}`);
check(view.orders.ships[ids.Valiant].fire?.every((f) => view.ships[f.target].side === 'hostile'), 'Valiant fires at a friend');
await until(`the batch's outcome (${await page.innerText('#msg')})`, async () => /^8 of 8 GM ship orders accepted\.$/.test(await page.innerText('#msg')));
stamp('orders');

// Pause, +30 s by keys, resume.
await page.click('#r-pause');
await until('paused', async () => (await state()).paused_ms > 0);
const pausedText = await page.innerText('#r-phase');
check(/paused/.test(pausedText), `phase line while paused: ${pausedText}`);
const frozen = await page.innerText('#r-clock');
await page.focus('#r-extend');
await page.keyboard.press('Enter');
await until('extended', async () => (await api('GET', U, GM)).paused_ms > 100000);
await step(gm, 'paused');
await sleep(1100);
check(await page.innerText('#r-clock') !== frozen && /^2:\d\d$/.test(await page.innerText('#r-clock')), `paused clock ${frozen} then ${await page.innerText('#r-clock')}`);
await page.click('#r-resume');
await until('running again', async () => { const d = await state(); return !(d.paused_ms > 0) && d.deadline > 0; });

// Narration: typed, Ctrl+Enter.
const NARRATION = 'Ça & ça + ñ: the raiders 100% commit — 🚀 "now"';
await page.focus('#n-text');
await page.keyboard.type(NARRATION);
await page.keyboard.press('Control+Enter');
await until('the narration in the page\'s log', () => page.evaluate((t) =>
  [...document.querySelectorAll('#log .k-narration .lt')].some((e) => e.textContent === t), NARRATION));

// Reveal Warden from the editor.
await page.click(`#roster li[data-id="${ids.Warden}"] button`);
await page.waitForSelector(`#editor form[data-ship="${ids.Warden}"]`);
check(await page.innerText('#e-hide') === 'Reveal', 'Warden\'s button is not Reveal');
await page.click('#e-hide');
await until('Warden revealed', async () => (await api('GET', U, GM)).ships[ids.Warden].hidden === false);
await until('Warden unmarked on the map', () => page.evaluate((id) => !document.querySelector(`#map g.ship[data-id="${id}"]`).classList.contains('hidden'), ids.Warden));
stamp('revealed');

// Resolve now: round 1's rolls, round 2 opens.
await page.click('#r-resolve');
await until('round 2', async () => (await state()).round === 2);
await until('round 1\'s attacks in the page\'s log', () => page.evaluate(() => document.querySelectorAll('#log .k-attack').length > 0));
await step(gm, 'round2');
// End, confirmed.
await page.click('#r-end');
check(await page.innerText('#r-end') === 'Really end?', 'End did not ask to confirm');
await page.click('#r-end');
await until('ended', async () => (await state()).phase === 'ended');
stamp('ended');

// --- 5. the log and the state --------------------------------------------------

const log = (await api('GET', `${U}/log?limit=1000`, GM)).entries;
const kinds = log.map((e) => e.kind === 'clock' ? `clock:${e.action}` : e.kind);
const order = ['battle_start', 'clock:pause', 'clock:extend', 'clock:resume', 'narration', 'initiative', 'battle_end'];
let at = -1;
for (const k of order) {
  const i = kinds.indexOf(k, at + 1);
  check(i > at, `log: no ${k} after entry ${at}: ${kinds.join(',')}`);
  at = i;
}
check(log.find((e) => e.kind === 'clock' && e.action === 'extend').seconds === 30, 'the extend was not +30 s');
check(log.find((e) => e.kind === 'narration').narration === NARRATION, `narration arrived as ${JSON.stringify(log.find((e) => e.kind === 'narration'))}`);
const moves = log.find((e) => e.kind === 'movement' && e.round === 1)?.moves ?? [];
const rm = moves.find((m) => String(m.ship) === ids.Raider);
check(rm && (rm.x !== SHIPS[2].x || rm.y !== SHIPS[2].y), `Raider did not move toward ${mx}, ${my}: ${JSON.stringify(moves)}`);
const attacks = log.filter((e) => e.kind === 'attack' && e.round === 1);
check(attacks.some((a) => String(a.actor) === ids.Raider && String(a.target) === ids.Dauntless && a.weapon === 0), 'no attack of Raider\'s weapon 0 at Dauntless');
check(attacks.some((a) => String(a.actor) === ids.Jackal), 'no attack by Jackal (batch)');
check(!attacks.some((a) => String(a.actor) === ids.Ghost), 'Ghost fired');
check(!log.some((e) => e.kind === 'defaults' && e.round === 1 && e.ships?.length), 'a GM ship took a default in round 1');
// The page's log is the same entries, and its filters work.
const pageSeqs = await page.evaluate(() => [...document.querySelectorAll('#log li')].map((li) => Number(li.dataset.seq)));
check(canon(pageSeqs) === canon(log.map((e) => e.seq)), `page log ${pageSeqs} vs GET ${log.map((e) => e.seq)}`);
await page.selectOption('#l-round', '1');
await page.selectOption('#l-ship', ids.Raider);
const shown = await page.evaluate(() => [...document.querySelectorAll('#log li:not([hidden])')].map((li) => [li.dataset.round, li.dataset.ships]));
check(shown.length > 0 && shown.every(([r, s]) => r === '1' && s.split(' ').includes(ids.Raider)), `filtered log: ${JSON.stringify(shown)}`);
await step(gm, 'log-filtered');
await page.selectOption('#l-round', '');
await page.selectOption('#l-ship', '');
// The page's document equals GET.
await until('the page to equal GET', async () => canon(await state()) === canon(await api('GET', U, GM)));
stamp('checked');

// --- 6. 360 px, dark, reopened from localStorage ----------------------------------

const storage = await gm.context.storageState();
const small = await open('gm-360-dark', { viewport: { width: 360, height: 800 }, colorScheme: 'dark' });
await small.context.addInitScript((items) => { for (const { name, value } of items) localStorage.setItem(name, value); },
  storage.origins.find((o) => o.origin === base)?.localStorage ?? []);
await small.page.goto(`${base}/gm`);
await small.page.waitForSelector('#b-list a');
check(await small.page.innerText('#b-list') .then((t) => t.includes(ID)), 'the battle is not listed from localStorage');
await step(small, 'list-360-dark');
await small.page.click('#b-list a');
await small.page.waitForSelector('#console:not([hidden])');
await until('the 360 px page to equal GET', async () =>
  canon(await small.page.evaluate(() => window.__gm?.store?.doc ?? null)) === canon(await api('GET', U, GM)));
const overflow = await small.page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
check(overflow <= 0, `the 360 px page scrolls sideways by ${overflow} px`);
await step(small, 'console-360-dark');
stamp('small');

for (const p of players) await p.context.close();
await small.context.close();
await gm.context.close();
check(problems.length === 0, `problems:\n${problems.join('\n')}`);
console.log(JSON.stringify({ ok: true, battle: ID, ships: 10, log: log.length, dragPatches, axe: axeRuns, shots: shotNo + 0, ms: timings }));
await browser.close();
process.exit(0);
