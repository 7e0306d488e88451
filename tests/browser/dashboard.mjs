// The operator's dashboard (www/dashboard.html, dashboard.js, dashboard/)
// in headless Chromium (test_dashboard.sh runs it):
//
// 1. the arithmetic (www/dashboard/figures.js, imported here by node):
//    interval quantiles as Prometheus' histogram_quantile(), rates, and no
//    rate across a restart;
// 2. while broadside-load plays three battles, the charts and the battle
//    table change, and the figures the page shows (event streams open,
//    battles by phase) agree with GET /metrics within one second: every
//    scrape's value is shown by the page at some moment from 1 s before
//    the scrape to 1 s after it (plus 300 ms for this test's polling),
//    or lies between values it showed then, or lasted less than two
//    scrapes (a third of the comparisons at most rest on those two);
//    the table sorts by a click and by the keyboard;
// 3. kill -9 of the daemon: the page says "Server unreachable since
//    HH:MM:SS" within 3 s and greys the last figures; after a restart on
//    the same port and database it is live again by itself, with the new
//    process's figures and the battles kept;
// 4. no console error, page error or failed request (but the stream's
//    while the server is down), and axe-core finds no serious or critical
//    violation (desktop light, 360 px dark, unreachable);
// 5. screenshots dashboard-*.png in SHOTS_DIR.
//
//   node dashboard.mjs BASE_URL RESTART_ARGS_FILE DAEMON_PID LOAD_BIN \
//       SHOTS_DIR PIDS_FILE LOG_DIR SRC_DIR TOKEN_BASE_URL TOKEN
//
// TOKEN_BASE_URL: a daemon without --dev whose admin token is TOKEN: the
// page opened with ?access_token= passes it on to /metrics/events (and
// sends no Referer anywhere).
// RESTART_ARGS_FILE: the daemon's command line, one argument a line; the
// restarted daemon's pid is appended to PIDS_FILE for the shell's
// clean-up.  Prints one JSON summary line; exit 0 on success, 1 with the
// reason on stderr.  Bounded by 80 s.
import { launchChromium, Fail, check, sleep, until, axeProblems } from './harness.mjs';
import { spawn } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import fs from 'node:fs';
import path from 'node:path';


const [base, argsFile, daemonPidArg, loadBin, shots, pidsFile, logDir, srcDir, tokenBase, token] = process.argv.slice(2);
if (!token) {
  console.error('usage: dashboard.mjs BASE_URL RESTART_ARGS_FILE DAEMON_PID LOAD_BIN SHOTS_DIR PIDS_FILE LOG_DIR SRC_DIR TOKEN_BASE_URL TOKEN');
  process.exit(2);
}
for (const ev of ['uncaughtException', 'unhandledRejection'])
  process.on(ev, (e) => {
    console.error(`dashboard.mjs: ${e instanceof Fail ? '' : 'error: '}${e?.stack && !(e instanceof Fail) ? e.stack : e?.message ?? e}`);
    process.exit(1);
  });
const T0 = Date.now();
const timings = {};
const stamp = (name) => { timings[name] = Date.now() - T0; };
setTimeout(() => { console.error(`dashboard.mjs: not done within 80 s (${JSON.stringify(timings)})`); process.exit(1); }, 80000).unref();
fs.mkdirSync(shots, { recursive: true });


// --- 1. the arithmetic --------------------------------------------------------

{
  const f = await import(pathToFileURL(path.join(srcDir, 'www/dashboard/figures.js')).href);
  const le = [0.001, 0.01, 0.1];
  // 10 observations in (0.001, 0.01]: the median is halfway through it.
  check(Math.abs(f.quantile(0.5, le, [0, 10, 0, 0]) - 0.0055) < 1e-12, 'quantile within a bucket');
  // In the first bucket, interpolated from 0.
  check(Math.abs(f.quantile(0.5, le, [4, 0, 0, 0]) - 0.0005) < 1e-12, 'quantile in the first bucket');
  // In +Inf: the last finite bound.
  check(f.quantile(0.99, le, [1, 0, 0, 99]) === 0.1, 'quantile in +Inf');
  check(f.quantile(0.5, le, [0, 0, 0, 0]) === null, 'quantile of nothing');
  // p99 of 100 observations, 98 low and 2 in (0.01, 0.1]: rank 99 is half of that bucket.
  check(Math.abs(f.quantile(0.99, le, [98, 0, 2, 0]) - 0.055) < 1e-12, 'p99 across buckets');
  // Labelled series summed.
  const m = {
    h: { 'route=a': { le, buckets: [1, 2, 0, 0], count: 3, sum: 0.01 }, 'route=b': { le, buckets: [0, 1, 1, 0], count: 2, sum: 0.05 } },
    c: { 'reason=x': 3, 'reason=y': 4 },
  };
  const h = f.histogram(m, 'h');
  check(h.buckets.join() === '1,3,1,0' && h.count === 5, `histogram sum: ${JSON.stringify(h)}`);
  check(f.total(m, 'c') === 7 && f.total(m, 'c', { reason: 'y' }) === 4 && f.total(m, 'nope') === 0, 'total');
  // Rates and interval quantiles from consecutive samples; none across a restart.
  const series = [
    { id: 'r', kind: 'rate', read: (d) => f.total(d.metrics, 'c') },
    { id: 'q', kind: 'quantile', q: 0.5, hist: 'h' },
  ];
  const hist = new f.History(series, 900000);
  const doc = (up, start, c, b) => ({ metrics: { broadside_uptime_seconds: up, process_start_time_seconds: start, c, h: { le, buckets: b, count: b.reduce((x, y) => x + y), sum: 0 } } });
  hist.add(doc(10, 1000, 5, [0, 0, 0, 0]), 0);
  const p1 = hist.add(doc(12, 1000, 9, [0, 4, 0, 0]), 2000);
  check(p1.v.r === 2 && Math.abs(p1.v.q - 0.0055) < 1e-12, `rate and quantile: ${JSON.stringify(p1)}`);
  const p2 = hist.add(doc(1, 2000, 1, [1, 0, 0, 0]), 3000);
  check(p2.v.r === null && p2.v.q === null, `across a restart: ${JSON.stringify(p2)}`);
  stamp('unit');
}

// --- the browser ------------------------------------------------------------

const browser = await launchChromium();
let phase = 'setup';
const problems = [];
const down = () => phase === 'kill';

async function open(name, { viewport = { width: 1280, height: 900 }, colorScheme = 'light', url = base + '/dashboard' } = {}) {
  const context = await browser.newContext({ viewport, colorScheme });
  const page = await context.newPage();
  page.setDefaultTimeout(10000);
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    const url = m.location()?.url ?? '';
    // The stream's failed reconnections while the daemon is down.
    if (down() && (/\/metrics\/events/.test(url) || /ERR_CONNECTION_REFUSED|ERR_EMPTY_RESPONSE|ERR_CONNECTION_RESET|ERR_INCOMPLETE_CHUNKED/.test(m.text()))) return;
    problems.push(`${name}: console error (${phase}): ${m.text()} at ${url}`);
  });
  page.on('pageerror', (e) => problems.push(`${name}: page error: ${e.message}`));
  page.on('requestfailed', (r) => {
    const err = r.failure()?.errorText ?? '';
    if (/\/metrics\/events/.test(r.url()) && (err === 'net::ERR_ABORTED' || down())) return;
    problems.push(`${name}: request failed (${phase}): ${r.method()} ${r.url()} ${err}`);
  });
  page.on('response', (r) => {
    if (r.status() >= 400) problems.push(`${name}: ${r.status()} for ${r.request().method()} ${r.url()}`);
  });
  const requests = [];
  page.on('request', (r) => requests.push({ url: r.url(), referer: r.headers().referer }));
  await page.goto(url);
  return { name, page, context, requests };
}

const shotsTaken = [];
async function shot(p, what) {
  const file = path.join(shots, `dashboard-${what}.png`);
  // The banner sticks to the top of the viewport: the page from its top.
  await p.page.evaluate(() => window.scrollTo(0, 0));
  await p.page.screenshot({ path: file, fullPage: true });
  shotsTaken.push(path.basename(file));
}

async function axe(p, what) {
  problems.push(...await axeProblems(p.page, `${p.name} (${what})`));
}

// What the page shows now: its state, the figures compared with /metrics
// (from the legends' data-value), the streams chart's path, the table.
const read = (p) => p.page.evaluate(() => {
  const v = (id) => {
    const li = document.querySelector(`li[data-series="${id}"]`);
    return li && li.dataset.value !== '' ? Number(li.dataset.value) : null;
  };
  const rows = [...document.querySelectorAll('#battles tbody tr[data-id]')].map((tr) =>
    Object.fromEntries([...tr.children].map((c) => [c.dataset.key, c.textContent])));
  return {
    state: document.body.dataset.state,
    up: Number(document.body.dataset.up),
    banner: document.getElementById('banner').textContent,
    subscribers: v('subscribers'),
    phases: ['lobby', 'planning', 'resolving', 'ended'].map((ph) => v('phase_' + ph)),
    requests: v('requests'),
    path: document.querySelector('[data-chart=streams] path.line').getAttribute('d'),
    reqPath: document.querySelector('[data-chart=request_latency] path.line').getAttribute('d'),
    rows,
  };
});

// GET /metrics: a sum over the samples of a family matching the labels.
async function scrape() {
  const res = await fetch(base + '/metrics');
  check(res.ok, `GET /metrics: ${res.status}`);
  const text = await res.text();
  const sum = (name, label) => {
    let s = 0;
    for (const line of text.split('\n')) {
      if (line.startsWith('#')) continue;
      const m = /^([a-z_]+)(\{[^}]*\})? (\S+)$/.exec(line);
      if (m && m[1] === name && (!label || (m[2] ?? '').includes(label))) s += Number(m[3]);
    }
    return s;
  };
  return {
    subscribers: sum('broadside_stream_subscribers'),
    phases: ['lobby', 'planning', 'resolving', 'ended'].map((ph) => sum('broadside_battles', `phase="${ph}"`)),
  };
}

// --- the admin token ---------------------------------------------------------

{
  const tp = await open('token', { url: `${tokenBase}/dashboard?access_token=${encodeURIComponent(token)}` });
  await until('the dashboard behind the admin token live', async () => (await read(tp)).state === 'live');
  const events = tp.requests.filter((r) => r.url.includes('/metrics/events'));
  check(events.length >= 1 && events.every((r) => new URL(r.url).searchParams.get('access_token') === token),
    `the figures stream without the token: ${JSON.stringify(events)}`);
  const leaks = tp.requests.filter((r) => r.referer);
  check(leaks.length === 0, `requests with a Referer: ${JSON.stringify(leaks)}`);
  await tp.context.close();
  stamp('token');
}

const desk = await open('desktop');
await until('the dashboard live with its first figures', async () => {
  const r = await read(desk);
  return r.state === 'live' && r.subscribers !== null && r.subscribers >= 1;
});
stamp('live');
const idle = await read(desk);
check(idle.rows.length === 0, `battles before the load: ${JSON.stringify(idle.rows)}`);
await sleep(1200);
await shot(desk, 'idle');
await axe(desk, 'idle');

// --- 2. under load ----------------------------------------------------------

phase = 'load';
const loadOut = fs.openSync(path.join(logDir, 'load.out'), 'w');
const load = spawn(loadBin, ['--url', base, '--battles', '3', '--spectators', '1', '--rounds', '3',
  '--round-seconds', '5', '--think-ms', '2500', '--keep', '--quiet'], { stdio: ['ignore', loadOut, loadOut] });
fs.appendFileSync(pidsFile, `${load.pid}\n`);
let loadStatus = null;
load.on('exit', (code, sig) => { loadStatus = code ?? sig; });

// The page's figures, read every 100 ms, and a scrape of /metrics every
// 700 ms, until 3 s after the load ends (the streams close, the battles
// end).
const readings = [];
const scrapes = [];
let narrowShot = false;
const narrow = await open('narrow', { viewport: { width: 360, height: 780 }, colorScheme: 'dark' });
let loaded = null;
let loadEnd = null;
// Until 3 s after the load, and at least 10 scrapes (the screenshots and
// axe runs above take seconds with no scrape, and a short load on a busy
// machine left only 4 to compare).
while ((loadEnd === null || Date.now() < loadEnd + 3000 || scrapes.length < 10) && Date.now() - T0 < 50000) {
  if (loadStatus !== null && loadEnd === null) loadEnd = Date.now();
  const t = Date.now();
  const r = await read(desk);
  readings.push({ t, ...r });
  if (!scrapes.length || t - scrapes[scrapes.length - 1].t >= 700)
    scrapes.push({ t: Date.now(), ...await scrape() });
  if (r.rows.length === 3 && r.subscribers >= 15 && !loaded) {
    loaded = r;
    await sleep(300);
    await shot(desk, 'load');
    await until('the narrow page to show the battles', async () => (await read(narrow)).rows.length === 3, 3000);
    await shot(narrow, 'narrow-dark');
    await axe(desk, 'load');
    await axe(narrow, 'narrow, dark');
    narrowShot = true;
  }
  await sleep(100);
}
check(loadStatus === 0, `broadside-load exited with ${loadStatus}: ${fs.readFileSync(path.join(logDir, 'load.out'), 'utf8').slice(-2000)}`);
check(loaded, `the page never showed 3 battles and 15 streams: last ${JSON.stringify(readings.at(-1))}`);
check(narrowShot, 'no screenshot of the narrow page');
stamp('load');
// Readings a second past the last scrape.
for (const end = Date.now() + 1300; Date.now() < end; await sleep(100))
  readings.push({ t: Date.now(), ...await read(desk) });

// The charts and the table changed.
const last = readings.at(-1);
check(last.path !== idle.path && last.path.split(/[ML]/).length > idle.path.split(/[ML]/).length, 'the streams chart did not change');
check(last.reqPath.length > 0, 'the request latency chart is empty');
check(readings.some((r) => r.requests > 5), 'requests per second never passed 5');
const rounds = new Set(readings.flatMap((r) => r.rows.map((row) => row.round)));
const tablePhases = new Set(readings.flatMap((r) => r.rows.map((row) => row.phase)));
check(rounds.size >= 2 && tablePhases.size >= 2, `the table did not change: rounds ${[...rounds]}, phases ${[...tablePhases]}`);

// Agreement with /metrics, within a second.  The figures are sampled once a
// second: a value the server held for less than that (3 battles planning,
// then 1, then 0 within one tick) may never reach the page.  Such a scrape
// still agrees when its value lies between values the page showed in the
// window; at most a third of the comparisons may rest on that.  A scrape
// is compared when the page was read at least 3 times around it (the page
// is read every 100 ms, but a loaded machine slows each read).
let compared = 0, exact = 0, between = 0;
function agree(what, s, got, shown) {
  if (shown.includes(got)) { exact++; return; }
  const lo = Math.min(...shown), hi = Math.max(...shown);
  check(lo < got && got < hi,
    `${what}: /metrics said ${got} at +${s.t - T0} ms, the page showed ${[...new Set(shown)]} from 1 s before to 1 s after`);
  between++;
}
// A value that the scrapes before and after both saw otherwise lasted
// less than two scrape intervals (1.4 s): between two of the page's
// samples a second apart it may come and go unseen (3 battles in the
// lobby for half a second, on a store where they are taken, then
// started).  It counts as a transient, under the same bound.
function brief(k, get) {
  const prev = scrapes[k - 1], next = scrapes[k + 1];
  return prev !== undefined && next !== undefined && get(prev) !== get(scrapes[k]) && get(next) !== get(scrapes[k]);
}
for (const [k, s] of scrapes.entries()) {
  const near = readings.filter((r) => r.t >= s.t - 1000 && r.t <= s.t + 1300 && r.state === 'live');
  if (near.length < 3) continue;
  compared++;
  const shownOrBrief = (what, got, shown, get) => {
    if (!shown.includes(got) && brief(k, get)) { between++; return; }
    agree(what, s, got, shown);
  };
  shownOrBrief('event streams', s.subscribers, near.map((r) => r.subscribers), (x) => x.subscribers);
  s.phases.forEach((n, i) => shownOrBrief(`battles in phase ${['lobby', 'planning', 'resolving', 'ended'][i]}`, n,
    near.map((r) => r.phases[i] ?? 0), (x) => x.phases[i]));
}
check(between * 3 <= exact + between, `${between} of ${exact + between} figures agreed only as transients`);
check(compared >= 5, `only ${compared} scrapes could be compared`);
const subsSeen = [...new Set(scrapes.map((s) => s.subscribers))];
check(subsSeen.length >= 2, `the event streams never changed during the load: ${subsSeen}`);

// Sorting: a click on "State size", then Enter on "Round".
const order = async (key) => desk.page.$$eval(`#battles tbody td[data-key=${key}], #battles tbody th[data-key=${key}]`, (cells) => cells.map((c) => c.textContent));
await desk.page.click('#battles thead th[data-key=id] button');
const ids1 = await order('id');
check(JSON.stringify(ids1) === JSON.stringify([...ids1].sort()), `sorted by id: ${ids1}`);
check(await desk.page.getAttribute('#battles thead th[data-key=id]', 'aria-sort') === 'ascending', 'aria-sort after a click');
await desk.page.click('#battles thead th[data-key=id] button');
const ids2 = await order('id');
check(JSON.stringify(ids2) === JSON.stringify([...ids1].reverse()), `reversed: ${ids2}`);
await desk.page.focus('#battles thead th[data-key=name] button');
await desk.page.keyboard.press('Enter');
const names = await order('name');
check(JSON.stringify(names) === JSON.stringify([...names].sort((a, b) => a.localeCompare(b))), `sorted by name by the keyboard: ${names}`);
check(await desk.page.getAttribute('#battles thead th[data-key=name]', 'aria-sort') === 'ascending', 'aria-sort after Enter');
await desk.page.keyboard.press('Space');
check(await desk.page.getAttribute('#battles thead th[data-key=name]', 'aria-sort') === 'descending', 'aria-sort after Space');
await shot(desk, 'after-load');
stamp('sorted');

// --- 3. kill -9 and restart -------------------------------------------------

const before = await read(desk);
const restartArgs = fs.readFileSync(argsFile, 'utf8').split('\n').filter(Boolean);
phase = 'kill';
const killedAt = Date.now();
process.kill(Number(daemonPidArg), 'SIGKILL');
const gone = await until('the page to say the server is unreachable', async () => {
  const r = await read(desk);
  return r.state === 'unreachable' ? r : null;
}, 3000);
const unreachableMs = Date.now() - killedAt;
check(/Server unreachable since \d\d:\d\d:\d\d/.test(gone.banner), `banner: ${gone.banner}`);
check(gone.rows.length === before.rows.length, 'the last figures are no longer shown');
const grey = await desk.page.$eval('main', (m) => getComputedStyle(m).filter);
check(/grayscale/.test(grey), `the last figures are not greyed (filter ${grey})`);
await until('the narrow page to say unreachable', async () => (await read(narrow)).state === 'unreachable', 3000);
await sleep(500);
await shot(desk, 'unreachable');
await shot(narrow, 'narrow-unreachable');
await axe(desk, 'unreachable');
stamp('unreachable');

const relog = path.join(logDir, 'restarted.log');
const daemon2 = spawn(restartArgs[0], restartArgs.slice(1), { stdio: ['ignore', 'ignore', fs.openSync(relog, 'w')], detached: true });
fs.appendFileSync(pidsFile, `${daemon2.pid}\n`);
await until('the restarted daemon to listen', () => /listening on/.test(fs.readFileSync(relog, 'utf8')));
const restartedAt = Date.now();
const back = await until('the page to be live again', async () => {
  const r = await read(desk);
  return r.state === 'live' && r.up < before.up ? r : null;
}, 15000);
const recoverMs = Date.now() - restartedAt;
phase = 'run';
check(back.rows.length === 3, `battles after the restart: ${JSON.stringify(back.rows)}`);
check(/^Live|^Back at/.test(back.banner), `banner after the restart: ${back.banner}`);
await until('the narrow page to be live again', async () => (await read(narrow)).state === 'live', 10000);
await sleep(1200);
await shot(desk, 'recovered');
await axe(desk, 'recovered');
stamp('recovered');

await browser.close();
check(problems.length === 0, `problems:\n  ${problems.join('\n  ')}`);
console.log(JSON.stringify({
  ok: true, scrapes_compared: compared, figures_exact: exact, figures_transient: between, readings: readings.length, unreachable_ms: unreachableMs,
  recovered_ms: recoverMs, axe: 'run', screenshots: shotsTaken, timings,
}));
process.exit(0);
