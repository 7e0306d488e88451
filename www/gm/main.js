// The GM console (/gm): create a battle or reopen one with the GM token
// kept in localStorage, then run it.  Renders from the store's change
// records: a change names what to redraw.

import { BattleStore } from '../js/store.js';
import { Connection } from '../js/connection.js';
import { Api, ApiError } from '../js/api.js';
import { saveSession, loadSession, forgetSession } from '../js/session.js';
import { $, el } from './dom.js';
import { GmMap } from './map.js';
import { Roster } from './roster.js';
import { OrderPanel } from './orders.js';
import { RoundBar, Players, Narration, Log } from './panels.js';

const PREFIX = 'broadside:session:';
const DRAG_MS = 200;
const BANNER = {
  connecting: 'Connecting to the battle…', live: '', resyncing: 'Back online: the battle was reloaded.',
  reconnecting: 'Connection lost: reconnecting… (changes you make are retried)', offline: 'This computer is offline: waiting for the network.',
  closed: 'Disconnected.',
};

// The battles whose GM token this browser keeps: [{id, name, savedAt}], newest first.
function gmBattles() {
  const out = [];
  try {
    for (let i = 0; i < localStorage.length; i++) {
      const k = localStorage.key(i);
      if (!k?.startsWith(PREFIX)) continue;
      const s = loadSession(k.slice(PREFIX.length));
      if (s?.role === 'gm') out.push({ id: k.slice(PREFIX.length), name: s.name, savedAt: s.savedAt });
    }
  } catch { /* no storage */ }
  return out.sort((a, b) => b.savedAt - a.savedAt);
}

const battleOfHash = () => decodeURIComponent(location.hash.slice(1).split('/')[0] || '').trim();

class Gm {
  constructor() {
    this.api = new Api();
    this.store = null;
    this.id = null;
    this.selected = null;
    this.mode = 'place';
    this.shipSig = '';
    window.addEventListener('hashchange', () => {
      const id = battleOfHash(), s = id && loadSession(id);
      if (id === (this.id ?? '')) return;
      if (!this.id && s?.role === 'gm') this.open(id, s.token);
      else location.reload();
    });
    $('c-form').addEventListener('submit', (e) => { e.preventDefault(); this.create(); });
    $('t-form').addEventListener('submit', (e) => { e.preventDefault(); this.openWith($('t-battle').value.trim(), $('t-token').value.trim()); });
    const id = battleOfHash();
    const s = id && loadSession(id);
    if (s?.role === 'gm') this.open(id, s.token);
    else this.setup(id);
  }

  // Messages of actions: status, or an error (role alert).
  say(text, error = false) {
    const m = $('msg');
    m.textContent = text;
    m.className = error ? 'msg error' : 'msg';
    m.setAttribute('role', error ? 'alert' : 'status');
  }

  // Runs an API call; shows its error and resolves to null on failure.
  async act(what, call) {
    try {
      return await call();
    } catch (err) {
      this.say(`Could not ${what}: ${err instanceof ApiError ? err.detail : err.message}`, true);
      return null;
    }
  }

  setup(id) {
    $('setup').hidden = false;
    $('console').hidden = true;
    document.title = 'Broadside: GM console';
    if (id) {
      $('t-battle').value = id;
      $('t-note').textContent = `This browser has no GM token for battle ${id}. Paste it below, or create a battle.`;
    }
    const list = gmBattles();
    $('b-list').replaceChildren(...list.map((b) => el('li', {},
      el('a', { href: `/gm#${b.id}`, text: `${b.name || 'Battle'} (${b.id})` }), ' ',
      el('button', { type: 'button', class: 'small', text: 'Forget', 'aria-label': `Forget ${b.name} (${b.id})`,
        onclick: (e) => { forgetSession(b.id); e.target.parentElement.remove(); } }))));
    $('b-none').hidden = list.length > 0;
    $('c-name').focus();
  }

  async create() {
    const spec = { name: $('c-name').value.trim() || 'Battle', round_seconds: Number($('c-seconds').value), spectators: $('c-spect').checked };
    const r = await this.act('create the battle', () => this.api.createBattle(spec));
    if (!r) return;
    saveSession(r.id, { token: r.gm_token, role: 'gm', name: r.name });
    history.pushState(null, '', `/gm#${r.id}`);
    this.open(r.id, r.gm_token);
  }

  async openWith(id, token) {
    if (!id || !token) return this.say('Give the battle id and its GM token.', true);
    const api = new Api({ token });
    const me = await this.act('open the battle', () => api.me(id));
    if (!me) return;
    if (me.role !== 'gm') return this.say('That token is not the GM token of this battle.', true);
    const doc = await this.act('open the battle', () => api.battle(id));
    saveSession(id, { token, role: 'gm', name: doc?.name });
    history.pushState(null, '', `/gm#${id}`);
    this.open(id, token);
  }

  open(id, token) {
    this.id = id;
    this.api.token = token;
    $('setup').hidden = true;
    $('console').hidden = false;
    this.store = new BattleStore();
    this.map = new GmMap($('map'), {
      onPick: (p) => this.pick(p),
      onSelect: (sid) => this.select(sid),
      onDrag: (sid, x, y, final) => this.dragTo(sid, x, y, final),
    });
    this.roster = new Roster(this);
    this.orders = new OrderPanel(this);
    this.bar = new RoundBar(this);
    this.players = new Players(this);
    this.log = new Log(this);
    new Narration(this);
    for (const r of document.querySelectorAll('input[name=mode]'))
      r.addEventListener('change', () => this.setMode(r.value, false));
    $('i-copy-link').addEventListener('click', () => this.copy('i-link'));
    $('i-copy-code').addEventListener('click', () => this.copy('i-code'));
    this.store.addEventListener('change', (e) => this.onChange(e.detail));
    this.conn = new Connection({ url: `/v1/battles/${encodeURIComponent(id)}/events?access_token=${encodeURIComponent(token)}`, store: this.store });
    this.conn.addEventListener('state', (e) => this.banner(e.detail.state));
    this.banner('connecting');
    this.conn.start();
    this.renderSelection();
  }

  banner(state) {
    const b = $('banner');
    b.dataset.state = state;
    b.textContent = BANNER[state] ?? state;
    document.body.dataset.conn = state;
  }

  // Where a click on the field goes: a new ship's place, or the selected ship's move order.
  setMode(mode, focus = true) {
    this.mode = mode;
    const r = document.querySelector(`input[name=mode][value=${mode}]`);
    r.checked = true;
    if (focus) $('map').scrollIntoView({ block: 'nearest' });
    $('map').dataset.mode = mode;
  }

  pick(p) {
    $('m-last').textContent = `Clicked ${p.x}, ${p.y}`;
    if (this.mode === 'order') this.orders.pick(p);
    else this.roster.pick(p);
  }

  select(id) {
    this.selected = id && this.store.doc?.ships?.[id] ? String(id) : null;
    this.map.select(this.selected, this.store.doc?.ships);
    this.roster.markSelected();
    this.renderSelection(true);
  }

  renderSelection(force = false) {
    if (!this.store.doc) return;
    this.roster.renderEditor(force);
    this.orders.render();
  }

  // A ship dragged (or nudged): a PATCH at most every DRAG_MS with one in
  // flight; the last position always goes.
  dragTo(id, x, y, final) {
    const d = this.drag ??= { id, busy: false, next: null, timer: null };
    d.next = { id, x, y };
    if (d.busy || (!final && d.timer)) return;
    const send = async () => {
      d.timer = null;
      const p = d.next;
      if (!p) return;
      d.next = null;
      d.busy = true;
      const ok = await this.act(`move ${this.store.doc.ships[p.id]?.name ?? 'the ship'}`, () => this.api.editShip(this.id, p.id, { x: p.x, y: p.y }));
      d.busy = false;
      if (d.next) d.timer = setTimeout(send, DRAG_MS);
      else this.drag = null;
      if (!ok && !d.next) {
        // Refused: the ship goes back to where the server has it.
        this.map.pending.delete(p.id);
        this.map.renderShip(p.id, this.store.doc.ships[p.id], this.store.doc.ships);
      }
    };
    if (final) { clearTimeout(d.timer); send(); } else d.timer = setTimeout(send, DRAG_MS);
  }

  copy(input) {
    const i = $(input);
    const done = () => this.say(`Copied: ${i.value}`);
    if (navigator.clipboard?.writeText) navigator.clipboard.writeText(i.value).then(done, () => { i.select(); this.say('Press Ctrl+C to copy.'); });
    else { i.select(); this.say('Press Ctrl+C to copy.'); }
  }

  async loadLog() {
    for (let guard = 0; guard < 100; guard++) {
      const page = await this.act('read the log', () => this.api.log(this.id, this.store.lastLogSeq, 1000));
      if (!page) return;
      this.store.applyLog(page.entries);
      if (!page.more) return;
    }
  }

  onChange(c) {
    const doc = this.store.doc;
    if (!doc) return;
    if (c.snapshot) {
      this.renderInvite();
      this.loadLog();
    }
    if (c.keys.has('name') || c.snapshot) {
      $('b-name').textContent = doc.name;
      document.title = `${doc.name}: Broadside GM`;
      saveSession(this.id, { token: this.api.token, role: 'gm', name: doc.name });
    }
    if (c.ships.size) {
      for (const id of c.ships) {
        this.map.renderShip(id, doc.ships[id], doc.ships);
        this.roster.renderShip(id, doc.ships[id], doc.ships);
      }
      // Detection depends on the crew's ships: re-marked everywhere (only what changed is touched).
      this.map.renderDetection(doc.ships);
      this.roster.renderDetection(doc.ships);
      const sig = Object.entries(doc.ships).map(([id, s]) => `${id}:${s.name}`).join();
      if (sig !== this.shipSig) { this.shipSig = sig; this.log.ships(); }
      if (this.selected && c.ships.has(this.selected)) {
        if (!doc.ships[this.selected]) this.select(null);
        else this.renderSelection();
      }
      $('s-count').textContent = `${Object.keys(doc.ships).length} ships`;
    }
    if (c.snapshot || c.keys.has('orders') || c.ships.size) this.map.renderOrders(doc);
    if (document.body.dataset.phase !== doc.phase) document.body.dataset.phase = doc.phase;
    const roundKeys = ['phase', 'round', 'deadline', 'paused_ms', 'waiting_for', 'orders_in', 'winner'];
    if (c.snapshot || c.round || roundKeys.some((k) => c.keys.has(k))) {
      this.bar.render();
      this.orders.render();
      if (c.keys.has('phase')) this.roster.renderEditor();
    } else if (c.keys.has('orders')) this.orders.render();
    if (c.snapshot || c.presence || c.keys.has('players') || c.keys.has('stations')) {
      this.players.render();
      if (c.keys.has('stations') || c.keys.has('players')) this.bar.renderWaiting();
    }
    if (c.log.length || c.logReset) this.log.add(c.log, c.logReset);
  }

  renderInvite() {
    const doc = this.store.doc;
    $('i-link').value = `${location.origin}/#${this.id}/${doc.join_code}`;
    $('i-code').value = doc.join_code;
    $('i-battle').textContent = this.id;
  }
}

// The console, for tests and the curious: window.__gm.store, .conn.
window.__gm = new Gm();
