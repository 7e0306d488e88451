// The player console: join a battle (by link #BATTLE/CODE, or battle +
// code), or rejoin it with the token kept in localStorage; then the map,
// stations, orders, round, log and presence, rendered from the store's
// change records.

import { BattleStore } from '../js/store.js';
import { Connection } from '../js/connection.js';
import { Api, ApiError } from '../js/api.js';
import { saveSession, loadSession, forgetSession, lastBattle } from '../js/session.js';
import { STATIONS } from '../js/rules.js';
import { TacticalMap } from './map.js';
import { Panels, h, ownShip, describeOrder } from './panels.js';

const $ = (id) => document.getElementById(id);
const T0 = performance.now();

// #BATTLE or #BATTLE/CODE.
function parseHash() {
  const [battle = '', code = ''] = decodeURIComponent(location.hash.replace(/^#\/?/, '')).split('/');
  return { battle: battle.trim(), code: code.trim() };
}

function time(ms) {
  return new Date(ms).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

// --- joining -------------------------------------------------------------

function showJoin(battle, code, message = '') {
  $('game').hidden = true;
  $('join').hidden = false;
  $('j-battle').value = battle;
  $('j-code').value = code;
  $('join-error').textContent = message;
  ($('j-battle').value ? $('j-code').value ? $('j-name') : $('j-code') : $('j-battle')).focus();
}

async function onJoin(e) {
  e.preventDefault();
  const battle = $('j-battle').value.trim(), code = $('j-code').value.trim(), name = $('j-name').value.trim();
  const role = new FormData(e.target).get('role');
  const missing = !battle ? 'j-battle' : !code ? 'j-code' : !name ? 'j-name' : null;
  if (missing) {
    $('join-error').textContent = `Please fill in: ${document.querySelector(`label[for=${missing}]`).textContent}.`;
    $(missing).focus();
    return;
  }
  $('j-submit').disabled = true;
  $('join-error').textContent = 'Joining…';
  try {
    const r = await new Api().join(battle, code, name, role);
    const session = { token: r.token, role: r.role, name: r.name, player: r.player ?? null };
    saveSession(r.battle, session);
    history.replaceState(null, '', `#${r.battle}/${code}`);
    $('join-error').textContent = '';
    play(r.battle, session, code);
  } catch (err) {
    $('join-error').textContent = err instanceof ApiError ? err.detail : String(err);
  } finally {
    $('j-submit').disabled = false;
  }
}

// --- the game ------------------------------------------------------------

let game = null;

async function play(id, session, code) {
  const api = new Api({ token: session.token });
  // Is the seat still there?  (A deleted battle or a forgotten token is not.)
  for (let wait = 1000; ; wait = Math.min(wait * 2, 8000)) {
    try {
      const me = await api.me(id);
      session.role = me.role; session.player = me.player ?? null; session.name = me.name ?? session.name;
      break;
    } catch (err) {
      if (err.status === 401 || err.status === 404 || err.status === 403) {
        forgetSession(id);
        return showJoin(id, code, `Your seat in battle ${id} is gone (${err.detail}). Join again.`);
      }
      banner('reconnecting', `Cannot reach the server (${err.detail}); trying again…`);
      await new Promise((r) => setTimeout(r, wait));
    }
  }
  $('join').hidden = true;
  $('game').hidden = false;
  const spectator = session.role === 'spectator';
  document.body.classList.toggle('spectator', spectator);
  $('who').textContent = `${session.name}, ${spectator ? 'spectator' : 'player'}`;
  if (code) {
    const link = `${location.origin}/#${id}/${code}`;
    $('invite-link').href = link;
    $('invite-link').textContent = link;
    $('invite').hidden = false;
  }
  const store = new BattleStore();
  const map = new TacticalMap($('map'), { onPick: (p, go) => pick(p, go) });
  const panels = new Panels({
    me: session.player, spectator, map, doc: () => store.doc,
    send: (st, body) => sendOrder(st, body), take: (st) => station('PUT', st), leave: (st) => station('DELETE', st),
  });
  const connection = new Connection({
    url: `/v1/battles/${encodeURIComponent(id)}/events?access_token=${encodeURIComponent(session.token)}`, store,
  });
  game = { id, api, store, map, panels, connection, session, rendered: 0, bannerLog: [], firstRender: null };
  window.__broadside = game;

  function pick(p, go) {
    const [, own] = ownShip(store.doc);
    if (own) p = clampReach(own, p, Number(map.reach.getAttribute('r')));
    map.setDest(p);
    panels.pick(p, go);
  }

  async function sendOrder(st, body) {
    const doc = store.doc;
    const order = { round: doc.round, station: st, ...body };
    panels.setStatus(st, `Sending: ${describeOrder(doc, body)}…`, 'sending');
    try {
      const r = await api.order(id, order);
      if (panels.status[st]?.kind === 'sending')
        panels.setStatus(st, `Sent: ${describeOrder(store.doc, r.order)}; waiting for the server's confirmation…`, 'sent');
    } catch (err) {
      panels.setStatus(st, `Refused: ${err.detail}`, 'refused');
    }
  }

  async function station(method, st) {
    try {
      await (method === 'PUT' ? api.takeStation(id, st) : api.freeStation(id, st));
    } catch (err) {
      panels.setStatus(st, `${method === 'PUT' ? 'Could not take' : 'Could not leave'} ${st}: ${err.detail}`, 'refused');
      $('orders-none').textContent = err.detail;
    }
  }

  // The log since what is held, a page at a time (after a snapshot too:
  // entries may have been missed while disconnected).
  let loading = null;
  async function loadLog() {
    if (loading) return loading;
    loading = (async () => {
      try {
        for (let after = store.lastLogSeq, more = true; more;) {
          const page = await api.log(id, after, 1000);
          game.history = true;
          try { store.applyLog(page.entries); } finally { game.history = false; }
          more = page.more && page.next > after;
          after = page.next;
        }
      } catch { /* the next snapshot tries again */ }
      loading = null;
    })();
    return loading;
  }

  store.addEventListener('change', (e) => render(e.detail));
  connection.addEventListener('state', (e) => onState(e.detail));
  connection.start();
  setInterval(tick, 250);

  function render(c) {
    const doc = store.doc;
    game.rendered++;
    if (c.snapshot) {
      map.renderAll(doc, ownShip(doc)[0]);
      panels.renderContacts(doc, null);
      panels.renderOwn(doc);
      renderAll(doc);
      loadLog();
      if (!game.firstRender) {
        game.firstRender = performance.now() - T0;
        performance.mark('broadside:first-render');
      }
    } else if (doc) {
      const ownId = ownShip(doc)[0];
      if (c.ships.size) {
        for (const sid of c.ships) map.updateShip(doc, sid);
        const ownMoved = ownId && c.ships.has(ownId);
        panels.renderContacts(doc, ownMoved ? null : c.ships);
        if (ownMoved) panels.renderOwn(doc);
      }
      const k = c.keys;
      if (k.has('stations') || k.has('players')) { panels.renderStations(doc); renderPresence(doc); }
      // Ships matter to the orders when the own ship changed, or a hostile
      // the gunner or sensors may target.
      const shipsMatter = c.ships.size && ([...c.ships].some((sid) => sid === ownId) ||
        ((panels.panels.has('gunner') || panels.panels.has('sensors')) && [...c.ships].some((sid) => doc.ships?.[sid]?.side !== 'crew')));
      if (shipsMatter || c.round || k.has('stations') || k.has('orders') || k.has('phase') || k.has('players'))
        panels.renderOrders(doc);
      if (c.round || k.has('phase') || k.has('round') || k.has('deadline') || k.has('waiting_for') || k.has('winner'))
        renderRound(doc);
    }
    if (c.presence) renderPresence(doc);
    if (c.log.length) appendLog(c.log, !c.logReset && !game.history);
    if (c.accepted) onAccepted(c.accepted);
  }

  function renderAll(doc) {
    $('battle-title').textContent = doc.name;
    document.title = `${doc.name}: Broadside`;
    panels.renderStations(doc);
    panels.renderOrders(doc);
    renderRound(doc);
    renderPresence(doc);
  }

  function onAccepted(a) {
    if (!a.station || a.round !== store.doc?.round) return;
    panels.setStatus(a.station, `Accepted: ${describeOrder(store.doc, a.order)} (round ${a.round}).`, 'accepted');
  }

  // --- round, countdown, waiting_for
  function renderRound(doc) {
    if (!doc) return;
    $('r-round').textContent = doc.phase === 'lobby' ? 'Lobby' : `Round ${doc.round}`;
    const phase = { lobby: 'waiting for the GM to start', planning: 'planning: give your orders', resolving: 'resolving', ended: `battle over${doc.winner ? `: ${doc.winner === 'none' ? 'no winner' : doc.winner + ' wins'}` : ''}` }[doc.phase] ?? doc.phase;
    $('r-phase').textContent = `(${phase})`;
    const w = doc.waiting_for?.stations;
    let text = '';
    if (doc.phase === 'planning' && Array.isArray(w)) {
      const ordered = STATIONS.filter((s) => doc.stations?.[s] != null && !w.includes(s));
      text = (w.length ? `Waiting for: ${w.join(', ')}.` : 'Every crew station has ordered.') + (ordered.length ? ` Ordered: ${ordered.join(', ')}.` : '');
    }
    $('r-waiting').textContent = text;
    tick();
  }

  let lastClock = '';
  function tick() {
    const doc = store.doc;
    const left = doc?.phase === 'planning' ? store.secondsLeft() : null;
    const text = left == null ? '' : `${Math.floor(left / 60)}:${String(left % 60).padStart(2, '0')} left to order`;
    if (text !== lastClock) {
      lastClock = text;
      $('r-clock').textContent = text;
      $('r-clock').classList.toggle('urgent', left != null && left <= 5);
    }
  }

  // --- presence
  function renderPresence(doc) {
    const on = new Set((store.presence.players ?? []).map(String));
    const items = Object.entries(doc?.players ?? {}).map(([pid, p]) => {
      const st = p.stations?.length ? ` (${p.stations.join(', ')})` : '';
      return h('li', { class: on.has(pid) ? 'on' : 'off' }, `${p.name}${String(pid) === String(session.player) ? ' (you)' : ''}${st}: ${on.has(pid) ? 'online' : 'offline'}`);
    });
    items.unshift(h('li', { class: store.presence.gm ? 'on' : 'off' }, `GM: ${store.presence.gm ? 'online' : 'offline'}`));
    if (store.presence.spectators) items.push(h('li', { class: 'on' }, `${store.presence.spectators} spectator${store.presence.spectators > 1 ? 's' : ''} watching`));
    $('presence').replaceChildren(...items);
  }

  // --- the log
  function appendLog(entries, live) {
    const list = $('log'), box = $('log-scroll');
    const atEnd = box.scrollHeight - box.scrollTop - box.clientHeight < 40;
    if (!live && list.children.length && entries.length === store.log.length) list.replaceChildren();
    const frag = document.createDocumentFragment();
    for (const e of entries) {
      const li = document.createElement('li');
      li.className = `k-${e.kind}`;
      li.dataset.seq = e.seq;
      if (e.kind === 'narration') {
        const q = document.createElement('blockquote');
        q.textContent = e.narration ?? e.text;
        li.append(q);
      } else {
        const r = document.createElement('span');
        r.className = 'lr';
        r.textContent = e.round ? `R${e.round} ` : '';
        li.append(r, e.text);
      }
      frag.append(li);
    }
    // Entries arrive in seq order, but a page of history may come after a live one.
    const first = entries[0];
    const next = first && [...list.children].find((li) => Number(li.dataset.seq) > first.seq);
    list.insertBefore(frag, next ?? null);
    if (atEnd || live) box.scrollTop = box.scrollHeight;
    if (live) effects(entries);
  }

  // Last round's moves and shots, drawn for a few seconds.
  function effects(entries) {
    for (const e of entries) {
      if (e.kind === 'movement')
        for (const m of e.moves ?? []) {
          const now = map.pos(m.ship), r = map.ships.get(String(m.ship));
          const from = now && (now.x !== m.x || now.y !== m.y) ? now : r?.from;
          map.trail(from, { x: m.x, y: m.y });
        }
      if (e.kind === 'attack' && e.actor != null && e.target != null)
        map.shot(map.pos(e.actor), map.pos(e.target), e.hit);
    }
  }

  // --- the connection banner
  function onState({ state, previous }) {
    const texts = {
      connecting: 'Connecting…',
      live: previous === 'reconnecting' || previous === 'resyncing' ? `Reconnected at ${time(Date.now())}.` : '',
      reconnecting: 'Connection lost: reconnecting…',
      resyncing: 'Reconnected: resynced with the server.',
      offline: 'Offline: waiting for the network…',
      closed: 'Disconnected.',
    };
    banner(state, texts[state] ?? state);
    if (state === 'live' && texts.live) setTimeout(() => { if (connection.state === 'live') banner('live', ''); }, 5000);
  }
}

function banner(state, text) {
  const b = $('banner');
  b.dataset.state = text ? state : 'none';
  b.textContent = text;
  game?.bannerLog.push({ state, text, t: Date.now() });
}

// The point p, pulled back inside the circle of radius r around ship s.
function clampReach(s, p, r) {
  if (!r) return p;
  const dx = p.x - s.x, dy = p.y - s.y, d = Math.hypot(dx, dy);
  if (d <= r) return p;
  const k = (r - 0.5) / d;
  return { x: Math.round(s.x + dx * k), y: Math.round(s.y + dy * k) };
}

// --- start ---------------------------------------------------------------

function boot() {
  $('join-form').addEventListener('submit', onJoin);
  let { battle, code } = parseHash();
  if (!battle) battle = lastBattle() ?? '';
  const session = battle && loadSession(battle);
  if (session) play(battle, session, code);
  else showJoin(battle, code);
}

window.addEventListener('hashchange', () => location.reload());
boot();
