// The operator's dashboard (dashboard.html): the figures stream of GET
// /metrics/events (a snapshot, then a merge patch each second) kept in a
// document, sampled at each update into 15 minutes of history, drawn as
// SVG charts (www/dashboard/chart.js) and a battle table
// (www/dashboard/table.js).  The stream is the client library's
// Connection (its watchdog reopens a silent stream); while it is down the
// page says since when, and keeps the last figures, greyed.
//
// The page's own ?access_token= (the admin token; none in --dev) goes on
// to the stream's URL, and nowhere else (the server sends no Referer).

import { Connection } from './js/connection.js';
import { mergePatch, isObject } from './js/merge.js';
import { History, clock, fmtDuration } from './dashboard/figures.js';
import { SECTIONS, SERIES } from './dashboard/specs.js';
import { Chart } from './dashboard/chart.js';
import { BattleTable } from './dashboard/table.js';

const WINDOW_MS = 15 * 60 * 1000;

const $ = (id) => document.getElementById(id);

// --- the page ---------------------------------------------------------------

const charts = [];
{
  const root = $('sections');
  for (const sec of SECTIONS) {
    const section = document.createElement('section');
    section.className = 'group';
    section.setAttribute('aria-labelledby', 'h-' + sec.id);
    const h = document.createElement('h2');
    h.id = 'h-' + sec.id;
    h.textContent = sec.title;
    const grid = document.createElement('div');
    grid.className = 'grid';
    section.append(h, grid);
    root.append(section);
    for (const spec of sec.charts)
      charts.push(new Chart(spec, grid));
  }
}
const table = new BattleTable($('battles'));
const history = new History(SERIES, WINDOW_MS);

// --- the figures ------------------------------------------------------------

let doc = null;
let lastUpdate = 0;       // local ms of the last snapshot or delta
let battlesChanged = true;
let drawPending = false;

// What the Connection feeds: a snapshot replaces the document, a delta
// patches it; each is one sample.  Presence is the channel's own, ignored.
const store = {
  applySnapshot(d) {
    delete d.now;
    doc = d;
    battlesChanged = true;
    sampled();
  },
  applyDelta(patch) {
    if (!isObject(patch) || doc === null)
      return;
    if ('battles' in patch)
      battlesChanged = true;
    doc = mergePatch(doc, patch);
    sampled();
  },
  applyPresence() {},
  applyLog() {},
  applyRound() {},
  applyAccepted() {},
  noteServerTime() {},
  resetClock() {},
};

function sampled() {
  lastUpdate = Date.now();
  history.add(doc, lastUpdate);
  schedule();
}

function schedule() {
  if (drawPending || document.hidden)
    return;
  drawPending = true;
  requestAnimationFrame(() => {
    drawPending = false;
    draw();
  });
}

let widths = new Map();
function draw() {
  if (!doc)
    return;
  const now = conn.state === 'live' || conn.state === 'resyncing' ? Date.now() : lastUpdate;
  // Read every width first, then write: one layout, not one per chart.
  for (const c of charts)
    widths.set(c, c.svg.clientWidth);
  for (const c of charts) {
    c.render(history, now, widths.get(c));
    if (battlesChanged)
      c.renderTop(doc.battles);
  }
  if (battlesChanged)
    table.render(doc.battles);
  battlesChanged = false;
  const m = doc.metrics ?? {};
  const version = Object.keys(m.broadside_build_info ?? {})[0]?.replace(/^version=/, '');
  $('meta').textContent = `Figures of ${clock(lastUpdate)}` +
    (version ? ` \u00b7 broadsided ${version}` : '') +
    (typeof m.broadside_uptime_seconds === 'number' ? ` \u00b7 up ${fmtDuration(m.broadside_uptime_seconds)}` : '') +
    ' \u00b7 charts of the last 15 minutes';
  document.body.dataset.up = String(history.last?.up ?? '');
}

document.addEventListener('visibilitychange', () => {
  if (!document.hidden) {
    battlesChanged = true;
    schedule();
  }
});
new ResizeObserver(() => schedule()).observe($('sections'));

// --- the connection ---------------------------------------------------------

const token = new URLSearchParams(location.search).get('access_token');
const url = '/metrics/events' + (token ? '?access_token=' + encodeURIComponent(token) : '');
const conn = new Connection({ url, store, heartbeatMs: 5000 });

function showState(state, since) {
  const banner = $('banner');
  let view, text;
  switch (state) {
  case 'live':
    view = 'live';
    text = 'Live.';
    break;
  case 'resyncing':
    view = 'live';
    text = `Back at ${clock(since)}: a fresh snapshot from the server.`;
    break;
  case 'connecting':
    view = 'connecting';
    text = 'Connecting to the server\u2026';
    break;
  default:
    view = 'unreachable';
    text = `Server unreachable since ${clock(since)}. ` +
      (doc ? `The figures shown are the last received, at ${clock(lastUpdate)}. ` : '') +
      (state === 'offline' ? 'This computer is offline; the page reconnects when it is back.' : 'Reconnecting by itself\u2026');
  }
  history.outage(view === 'unreachable' ? since : Date.now(), view !== 'unreachable');
  document.body.dataset.state = view;
  banner.textContent = text;
  banner.dataset.state = view;
  if (view !== 'unreachable')
    schedule();
}

conn.addEventListener('state', (e) => showState(e.detail.state, e.detail.since));
showState(conn.state, conn.since);
conn.start();
