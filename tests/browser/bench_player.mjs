// make bench: the player console in headless Chromium (bench_player.sh
// runs it) against a local broadsided:
//   - a delta that moves one ship of a 32-ship battle, applied to the
//     page's store and rendered (the store's change event redraws that
//     ship's group and its line in the list; then a style and layout pass
//     is forced), timed with performance.now() over 2000 deltas: p50, p99;
//   - the first render of the battle after a reload (the session kept in
//     localStorage): the performance mark the console sets once the first
//     snapshot is drawn, in ms from the navigation's start (best of 5).
//
//   node bench_player.mjs BASE_URL
//
// Prints one JSON line: {delta_p50_ms, delta_p99_ms, deltas, first_render_ms}.
import { launchChromium } from './harness.mjs';

const [base] = process.argv.slice(2);
setTimeout(() => { console.error('bench_player: not done within 90 s'); process.exit(1); }, 90000).unref();

async function api(method, url, token, body) {
  const headers = { 'Content-Type': 'application/json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  const res = await fetch(base + url, { method, headers, body: body && JSON.stringify(body) });
  if (!res.ok) throw new Error(`${method} ${url}: ${res.status} ${await res.text()}`);
  return res.json();
}

const b = await api('POST', '/v1/battles', null, { name: 'Thirty-two ships', round_seconds: 600 });
const U = `/v1/battles/${b.id}`;
// 32 ships around the crewed one, all within its sensor range.
const classes = ['scout', 'corvette', 'trader', 'frigate', 'destroyer'];
await api('POST', `${U}/ships`, b.gm_token, { class: 'frigate', side: 'crew', crewed: true, x: 500, y: 500, name: 'Flagship' });
for (let i = 1; i < 32; i++) {
  const a = (i / 31) * 2 * Math.PI, r = 80 + (i % 4) * 50;
  await api('POST', `${U}/ships`, b.gm_token, {
    class: classes[i % 5], side: i % 2 ? 'hostile' : 'crew',
    x: Math.round(500 + r * Math.cos(a)), y: Math.round(500 + r * Math.sin(a)), name: `ship ${i + 1}`,
  });
}
await api('POST', `${U}/start`, b.gm_token);

const browser = await launchChromium();
const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
const page = await context.newPage();
await page.goto(`${base}/#${b.id}/${b.join_code}`);
await page.fill('#j-name', 'Bench');
await page.click('#j-submit');
await page.waitForFunction(() => Object.keys(window.__broadside?.store?.doc?.ships ?? {}).length === 32);
await page.click('[data-take=pilot]');
await page.waitForSelector('#panel-pilot');

const delta = await page.evaluate(() => {
  const { store } = window.__broadside;
  const times = [];
  for (let i = 0; i < 2000; i++) {
    const id = String(2 + (i % 31));
    const s = store.doc.ships[id];
    const t0 = performance.now();
    store.applyDelta({ ships: { [id]: { x: (s.x + 7) % 1000, y: (s.y + 3) % 1000 } } });
    void document.body.offsetHeight;
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  const q = (p) => times[Math.min(times.length - 1, Math.floor(p * times.length))];
  return { p50: q(0.5), p99: q(0.99), n: times.length };
});

let first = Infinity;
for (let i = 0; i < 5; i++) {
  await page.reload();
  const t = await page.waitForFunction(() => performance.getEntriesByName('broadside:first-render')[0]?.startTime);
  first = Math.min(first, await t.jsonValue());
}
const round = (v) => Math.round(v * 1000) / 1000;
console.log(JSON.stringify({ delta_p50_ms: round(delta.p50), delta_p99_ms: round(delta.p99), deltas: delta.n, first_render_ms: round(first) }));
await browser.close();
