// The round bar (phase, countdown, start/resolve/pause/resume/extend/end,
// who has not ordered), the players and stations, the narration box and
// the combat log with its round and ship filters.

import { STATIONS } from '../js/rules.js';
import { $, el, select, setOptions, shipLabel } from './dom.js';

// The clock as m:ss.
const clock = (s) => `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;

export class RoundBar {
  constructor(gm) {
    this.gm = gm;
    const api = gm.api, id = () => gm.id;
    const acts = {
      'r-start': ['start the battle', () => api.start(id())],
      'r-resolve': ['resolve the round', () => api.resolve(id())],
      'r-pause': ['pause the clock', () => api.pause(id())],
      'r-resume': ['resume the clock', () => api.resume(id())],
      'r-extend': ['extend the round', () => api.extend(id(), 30)],
      'r-end': ['end the battle', () => api.end(id())],
    };
    for (const [b, [what, call]] of Object.entries(acts))
      $(b).addEventListener('click', async () => {
        if (b === 'r-end' && $('r-end').dataset.armed !== '1') {
          $('r-end').dataset.armed = '1';
          $('r-end').textContent = 'Really end?';
          return;
        }
        this.#disarm();
        if (await gm.act(what, call)) gm.say(`Done: ${what}.`);
      });
    $('r-end').addEventListener('blur', () => this.#disarm());
    setInterval(() => this.tick(), 250);
  }

  #disarm() {
    $('r-end').dataset.armed = '';
    $('r-end').textContent = 'End battle';
  }

  render() {
    const doc = this.gm.store.doc, paused = doc.paused_ms > 0;
    const phase = { lobby: 'Lobby: set up ships and players', planning: 'Planning', resolving: 'Resolving', ended: `Ended${doc.winner ? `: winner ${doc.winner}` : ''}` }[doc.phase] ?? doc.phase;
    $('r-round').textContent = doc.round ? `Round ${doc.round}` : 'Before the battle';
    $('r-phase').textContent = phase + (paused ? ' (clock paused)' : '');
    const planning = doc.phase === 'planning';
    $('r-start').disabled = doc.phase !== 'lobby';
    $('r-resolve').disabled = !planning;
    $('r-pause').disabled = !planning || paused;
    $('r-resume').disabled = !planning || !paused;
    $('r-extend').disabled = !planning;
    $('r-end').disabled = doc.phase === 'ended';
    this.renderWaiting();
    this.tick();
  }

  renderWaiting() {
    const doc = this.gm.store.doc, w = doc.waiting_for ?? { stations: [], ships: [] };
    const box = $('r-waiting');
    if (doc.phase !== 'planning') return box.replaceChildren();
    if (!w.stations.length && !w.ships.length)
      return box.replaceChildren(el('strong', { text: 'Every order is in.' }));
    const who = (st) => { const p = doc.players?.[doc.stations?.[st]]; return p ? `${st} (${p.name})` : st; };
    box.replaceChildren('Waiting for: ',
      el('span', { class: 'wst', text: w.stations.length ? `stations ${w.stations.map(who).join(', ')}` : 'no station' }), '; ',
      el('span', { class: 'wsh', text: w.ships.length ? `GM ships ${w.ships.map((s) => shipLabel(doc.ships[s], s)).join(', ')}` : 'no GM ship' }));
  }

  tick() {
    const doc = this.gm.store?.doc;
    if (!doc) return;
    const s = this.gm.store.secondsLeft(), c = $('r-clock');
    const text = doc.phase !== 'planning' || s === null ? '–:––' : clock(s);
    if (c.textContent !== text) c.textContent = text;
    c.classList.toggle('paused', doc.paused_ms > 0);
    c.classList.toggle('low', doc.phase === 'planning' && s !== null && s <= 10 && !(doc.paused_ms > 0));
  }
}

export class Players {
  constructor(gm) { this.gm = gm; }

  render() {
    const { doc, presence } = this.gm.store, api = this.gm.api;
    const online = new Set(presence.players.map(String));
    const players = Object.entries(doc.players ?? {});
    $('p-online').textContent = `GM ${presence.gm ? 'online' : 'offline'}; ${online.size} of ${players.length} players online; ${presence.spectators} spectators.`;
    const ended = doc.phase === 'ended';
    const focused = document.activeElement?.id;
    $('players').replaceChildren(...players.map(([pid, p]) => el('tr', {},
      el('th', { scope: 'row' }, el('span', { class: online.has(pid) ? 'dot on' : 'dot', 'aria-hidden': 'true' }), ` ${p.name} `),
      el('td', { text: online.has(pid) ? 'online' : 'offline' }),
      el('td', { text: p.stations?.join(', ') || '—' }),
      el('td', {}, select({ id: `sk-${pid}`, 'aria-label': `Skill of ${p.name}`, disabled: ended, onchange: (e) =>
        this.gm.act(`set ${p.name}'s skill`, () => api.setSkill(this.gm.id, pid, Number(e.target.value))) },
      [0, 1, 2, 3].map((k) => [k, String(k)]), p.skill)))));
    if (!players.length) $('players').replaceChildren(el('tr', {}, el('td', { colspan: 4, text: 'Nobody has joined yet: send the join link.' })));
    const opts = [['', 'free'], ...players.map(([pid, p]) => [pid, p.name])];
    $('stations').replaceChildren(...STATIONS.map((st) => el('li', {},
      el('label', { for: `st-${st}`, text: st }),
      select({ id: `st-${st}`, disabled: ended, onchange: (e) => {
        const v = e.target.value;
        this.gm.act(v ? `give ${st}` : `free ${st}`, () => v ? api.takeStation(this.gm.id, st, Number(v)) : api.freeStation(this.gm.id, st));
      } }, opts, doc.stations?.[st] ?? ''))));
    // Redrawn under the GM's hands (someone came online): keep the focus.
    if (focused && !document.activeElement?.id) $(focused)?.focus();
  }
}

export class Narration {
  constructor(gm) {
    $('n-form').addEventListener('submit', async (e) => {
      e.preventDefault();
      const text = $('n-text').value;
      if (!text.trim()) return gm.say('Write something to narrate.', true);
      if (await gm.act('narrate', () => gm.api.narrate(gm.id, text))) {
        $('n-text').value = '';
        gm.say('Narration posted.');
      }
    });
    $('n-text').addEventListener('keydown', (e) => {
      if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) { e.preventDefault(); $('n-form').requestSubmit(); }
    });
  }
}

// The ship ids an entry is about (actor, target, ship, moves, ships...).
export function shipsOf(entry, out = new Set()) {
  for (const [k, v] of Object.entries(entry)) {
    if ((k === 'ship' || k === 'actor' || k === 'target') && typeof v === 'number') out.add(String(v));
    else if (v && typeof v === 'object') shipsOf(v, out);
  }
  return out;
}

export class Log {
  constructor(gm) {
    this.gm = gm;
    this.list = $('log');
    this.rounds = new Set();
    $('l-round').addEventListener('change', () => this.filter());
    $('l-ship').addEventListener('change', () => this.filter());
  }

  #item(e) {
    const li = el('li', { class: `k-${e.kind}`, 'data-seq': e.seq, 'data-round': e.round, 'data-ships': [...shipsOf(e)].join(' ') },
      el('span', { class: 'lr', text: `R${e.round}` }), ' ', el('span', { class: 'lt', text: e.text }));
    li.hidden = !this.#shown(li);
    return li;
  }

  #shown(li) {
    const r = $('l-round').value, s = $('l-ship').value;
    return (!r || li.dataset.round === r) && (!s || li.dataset.ships.split(' ').includes(s));
  }

  // New entries (reset: the whole log).
  add(entries, reset) {
    const last = Number(this.list.lastElementChild?.dataset.seq ?? 0);
    if (reset || entries.some((e) => e.seq < last)) {
      this.list.replaceChildren(...this.gm.store.log.map((e) => this.#item(e)));
      this.rounds = new Set();
    } else this.list.append(...entries.map((e) => this.#item(e)));
    const rounds = new Set(this.gm.store.log.map((e) => e.round));
    if (rounds.size !== this.rounds.size) {
      this.rounds = rounds;
      setOptions($('l-round'), [['', 'all rounds'], ...[...rounds].sort((a, b) => a - b).map((r) => [r, r ? `round ${r}` : 'before the battle'])]);
    }
    $('l-count').textContent = `${this.gm.store.log.length} entries`;
    const box = this.list.parentElement;
    if (box.scrollHeight - box.scrollTop - box.clientHeight < 80) box.scrollTop = box.scrollHeight;
  }

  ships() {
    const ships = this.gm.store.doc.ships ?? {};
    setOptions($('l-ship'), [['', 'all ships'], ...Object.keys(ships).map((id) => [id, shipLabel(ships[id], id)])]);
  }

  filter() {
    for (const li of this.list.children) li.hidden = !this.#shown(li);
  }
}
