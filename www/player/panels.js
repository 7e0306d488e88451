// The side panels of the player console: stations (take, leave), the order
// panel of each station held (only the orders the rules allow now), the
// crew's own ship and the ships in view.

import { STATIONS, distance, band, moveRange, weaponReach, rangeModifier } from '../js/rules.js';
import { el as h } from '../js/dom.js';

export { h };

const cap = (s) => s.charAt(0).toUpperCase() + s.slice(1);
let uid = 0;
const nextId = (p) => `${p}-${++uid}`;

// The crewed ship of the crew side: [id, ship] or [null, null].
export function ownShip(doc) {
  for (const [id, s] of Object.entries(doc?.ships ?? {}))
    if (s.crewed && s.side === 'crew') return [id, s];
  return [null, null];
}

// Hostile ships the crew sees and that still fight.
function targets(doc) {
  return Object.entries(doc?.ships ?? {}).filter(([, s]) => s.side === 'hostile' && s.damage !== 'destroyed');
}

function shipName(doc, id) {
  return doc?.ships?.[id]?.name ?? `ship ${id}`;
}

// An order in words: "move to (300, 250)", "fire beam laser at corvette 2".
export function describeOrder(doc, order) {
  if (!order) return 'none yet';
  const own = ownShip(doc)[1];
  switch (order.type) {
    case 'move': return `move to (${order.x}, ${order.y})`;
    case 'fire': return 'fire ' + (order.fire ?? []).map((f) =>
      `${own?.weapons?.[f.weapon]?.type ?? 'weapon ' + f.weapon} at ${shipName(doc, f.target)}`).join(', ');
    case 'repair': return `repair ${order.system}`;
    case 'overcharge': return `overcharge ${order.system}`;
    case 'lock': case 'jam': return `${order.type} ${shipName(doc, order.target)}`;
    default: return order.type;
  }
}

// Replaces a select's options when they changed, keeping its value.
function syncOptions(select, options) {
  const sig = JSON.stringify(options);
  if (select.dataset.sig === sig) return;
  const keep = select.value;
  select.dataset.sig = sig;
  select.replaceChildren(...options.map(([v, t]) => h('option', { value: v }, t)));
  if (options.some(([v]) => v === keep)) select.value = keep;
}

export class Panels {
  // ctx: {me (player id or null), spectator, send(station, body), take(st), leave(st), map}
  constructor(ctx) {
    this.ctx = ctx;
    this.stationsEl = document.getElementById('stations');
    this.panelsEl = document.getElementById('order-panels');
    this.noneEl = document.getElementById('orders-none');
    this.shipEl = document.getElementById('own-ship');
    this.contactsEl = document.getElementById('contacts');
    this.panels = new Map();
    this.contacts = new Map();
    this.status = {};
    this.gunnerFocus = false;
  }

  held(doc) {
    if (this.ctx.spectator) return [];
    return STATIONS.filter((st) => String(doc?.stations?.[st]) === String(this.ctx.me));
  }

  renderStations(doc) {
    const rows = STATIONS.map((st) => {
      const pid = doc?.stations?.[st];
      const mine = pid != null && String(pid) === String(this.ctx.me) && !this.ctx.spectator;
      const who = pid == null ? 'free' : mine ? 'you' : (doc.players?.[pid]?.name ?? `player ${pid}`);
      let button = null;
      if (!this.ctx.spectator && doc?.phase !== 'ended') {
        if (mine) button = h('button', { type: 'button', class: 'small', 'data-leave': st, onclick: () => this.ctx.leave(st) }, `Leave ${st}`);
        else if (pid == null) button = h('button', { type: 'button', class: 'small', 'data-take': st, onclick: () => this.ctx.take(st) }, `Take ${st}`);
      }
      return h('li', { class: mine ? 'mine' : pid == null ? 'free' : 'held' }, h('span', { class: 'st' }, cap(st)), ' ', h('span', { class: 'holder' }, who), button);
    });
    const focused = document.activeElement?.dataset?.take || document.activeElement?.dataset?.leave;
    this.stationsEl.replaceChildren(...rows);
    if (focused) this.stationsEl.querySelector(`[data-take="${focused}"],[data-leave="${focused}"]`)?.focus();
  }

  // The order panels: one per station held; parts that depend on the ships
  // are refreshed in place (selections and focus are kept).
  renderOrders(doc) {
    const held = this.held(doc);
    const [ownId, own] = ownShip(doc);
    let why = '';
    if (this.ctx.spectator) why = 'Spectators watch; they give no orders.';
    else if (!held.length) why = 'Take a station to give orders.';
    else if (!own) why = 'Your crew has no ship yet; the GM adds it.';
    else if (doc.phase === 'lobby') why = 'Orders open when the GM starts the battle.';
    else if (doc.phase === 'ended') why = 'The battle is over.';
    else if (own.damage === 'destroyed') why = 'Your ship is destroyed.';
    else if (doc.phase !== 'planning') why = 'Resolving the round…';
    this.noneEl.textContent = why;
    this.noneEl.hidden = !why;
    const open = !why || (held.length && own && doc.phase === 'resolving');
    // A new round: last round's order statuses and destination go.
    if (this.round !== doc.round) {
      this.round = doc.round;
      for (const st of Object.keys(this.status))
        if (this.status[st].round !== doc.round) this.setStatus(st, '', '');
      this.ctx.map.setDest(null);
    }
    for (const [st, p] of this.panels)
      if (!held.includes(st) || !own) { p.el.remove(); this.panels.delete(st); }
    for (const st of held) {
      if (!own) break;
      let p = this.panels.get(st);
      if (!p) {
        p = this.#build(st);
        this.panels.set(st, p);
        const after = STATIONS.slice(STATIONS.indexOf(st) + 1).map((s) => this.panels.get(s)?.el).find(Boolean);
        this.panelsEl.insertBefore(p.el, after ?? null);
      }
      p.el.disabled = !open;
      p.refresh?.(doc, ownId, own);
      const cur = doc.orders?.stations?.[st];
      p.current.textContent = `Current order: ${describeOrder(doc, cur)}`;
    }
    this.ctx.map.setReach(this.panels.has('pilot') && !why ? moveRange(own, { overcharge: this.#overchargedDrive(doc) }) : 0);
    this.#aim(doc);
  }

  #overchargedDrive(doc) {
    const o = doc?.orders?.stations?.engineer;
    return o?.type === 'overcharge' && o.system === 'drive';
  }

  // Shows an order's fate under its panel: sent, accepted, refused.
  setStatus(st, text, kind) {
    this.status[st] = { text, kind, round: this.ctx.doc()?.round };
    const p = this.panels.get(st);
    if (!p) return;
    p.status.textContent = text;
    p.status.className = `ostatus ${kind}`;
  }

  #build(st) {
    const hid = nextId('o');
    const status = h('p', { class: 'ostatus', role: 'status' });
    const current = h('p', { class: 'current' });
    const send = (body) => this.ctx.send(st, body);
    const hold = h('button', { type: 'button', class: 'secondary', onclick: () => send({ type: 'hold' }) }, 'Hold');
    const body = h('div', { class: 'obody' });
    const el = h('fieldset', { class: `panel p-${st}`, id: `panel-${st}` }, h('legend', { id: hid }, cap(st)), body, h('div', { class: 'row' }, hold), current, status);
    const p = { el, status, current };
    this[`build_${st}`](p, body, send);
    if (this.status[st]) this.setStatus(st, this.status[st].text, this.status[st].kind);
    return p;
  }

  build_captain(p, body, send) {
    body.append(h('p', { class: 'hint' }, 'Tactics: +1 initiative and +1 to every crew roll this round.'),
      h('button', { type: 'button', onclick: () => send({ type: 'tactics' }) }, 'Tactics'));
  }

  build_pilot(p, body, send) {
    const x = h('input', { type: 'number', min: 0, max: 1000, step: 1, id: 'pilot-x', inputmode: 'numeric' });
    const y = h('input', { type: 'number', min: 0, max: 1000, step: 1, id: 'pilot-y', inputmode: 'numeric' });
    const reach = h('p', { class: 'hint' });
    const move = () => {
      const px = Number(x.value), py = Number(y.value);
      if (x.value === '' || y.value === '' || !Number.isInteger(px) || !Number.isInteger(py)) {
        this.setStatus('pilot', 'Give x and y, whole numbers from 0 to 1000.', 'refused');
        return;
      }
      send({ type: 'move', x: px, y: py });
    };
    const form = h('form', { class: 'coords', onsubmit: (e) => { e.preventDefault(); move(); } },
      h('label', { for: 'pilot-x' }, 'x'), x, h('label', { for: 'pilot-y' }, 'y'), y,
      h('button', { type: 'submit' }, 'Move'));
    body.append(h('p', { class: 'hint' }, 'Click the map inside the dashed circle, or focus the map and use the arrow keys (Shift: faster) and Enter, or type a position.'),
      form, reach, h('button', { type: 'button', onclick: () => send({ type: 'evade' }) }, 'Evade'), h('span', { class: 'hint' }, ' +2 evasion, no move'));
    p.pick = (pt, go) => {
      x.value = pt.x; y.value = pt.y;
      if (go) move();
    };
    p.refresh = (doc, id, own) => {
      reach.textContent = `At (${own.x}, ${own.y}); moves up to ${moveRange(own, { overcharge: this.#overchargedDrive(doc) })} units this round.`;
    };
  }

  build_gunner(p, body, send) {
    const rows = h('div', { class: 'weapons' });
    const fire = h('button', { type: 'button', onclick: () => {
      const list = [...rows.querySelectorAll('select')].filter((s) => s.value !== '').map((s) => ({ weapon: Number(s.dataset.weapon), target: Number(s.value) }));
      if (!list.length) { this.setStatus('gunner', 'Pick a target for at least one weapon.', 'refused'); return; }
      send({ type: 'fire', fire: list });
    } }, 'Fire');
    body.append(rows, fire);
    body.addEventListener('focusin', () => { this.gunnerFocus = true; this.#aim(this.ctx.doc()); });
    body.addEventListener('focusout', () => { this.gunnerFocus = false; this.#aim(this.ctx.doc()); });
    body.addEventListener('change', () => this.#aim(this.ctx.doc()));
    p.refresh = (doc, id, own) => {
      const n = own.weapons?.length ?? 0;
      while (rows.children.length > n) rows.lastChild.remove();
      for (let i = 0; i < n; i++) {
        const w = own.weapons[i];
        let row = rows.children[i];
        if (!row) {
          const sid = `gun-${i}`;
          row = h('div', { class: 'wrow' }, h('label', { for: sid }), h('select', { id: sid, 'data-weapon': i }));
          rows.append(row);
        }
        const ammo = w.ammo !== undefined ? ` (${w.ammo} salvos left)` : '';
        row.firstChild.textContent = `${cap(w.type)} ${i + 1}${ammo}`;
        const opts = [['', 'hold fire']];
        if (w.ammo === undefined || w.ammo > 0)
          for (const [tid, t] of targets(doc)) {
            const d = distance(own, t);
            if (d > weaponReach(w.type)) continue;
            const m = rangeModifier(w.type, d);
            opts.push([tid, `${t.name}: ${d} away, ${band(d)} range${m ? ` ${m}` : ''}`]);
          }
        syncOptions(row.lastChild, opts);
      }
      if (own.systems?.weapons === 'damaged') rows.dataset.note = 'Weapons damaged: -2 to hit.';
    };
  }

  build_engineer(p, body, send) {
    const rid = nextId('eng'), oid = nextId('eng');
    const repair = h('select', { id: rid });
    const over = h('select', { id: oid }, h('option', { value: 'weapons' }, 'weapons: +1 to hit'), h('option', { value: 'drive' }, 'drive: +1 thrust'));
    const rbtn = h('button', { type: 'button', onclick: () => send({ type: 'repair', system: repair.value }) }, 'Repair');
    body.append(h('div', { class: 'row' }, h('label', { for: rid }, 'Repair'), repair, rbtn),
      h('div', { class: 'row' }, h('label', { for: oid }, 'Overcharge'), over,
        h('button', { type: 'button', onclick: () => send({ type: 'overcharge', system: over.value }) }, 'Overcharge')),
      h('p', { class: 'hint' }, 'Repair: 2d6 + skill ≥ 8 fixes a system; hull restores 1d6. Overcharge: on a 1 on 1d6 the system is damaged.'));
    p.refresh = (doc, id, own) => {
      const opts = ['drive', 'weapons', 'sensors'].filter((s) => own.systems?.[s] === 'damaged').map((s) => [s, `${s} (damaged)`]);
      if (own.hull < own.hull_max) opts.push(['hull', `hull (${own.hull}/${own.hull_max})`]);
      if (!opts.length) opts.push(['', 'nothing to repair']);
      syncOptions(repair, opts);
      repair.disabled = rbtn.disabled = opts[0][0] === '';
    };
  }

  build_sensors(p, body, send) {
    const tid = nextId('sen');
    const target = h('select', { id: tid });
    const go = (type) => () => target.value === '' ? this.setStatus('sensors', 'No hostile ship in view to target.', 'refused') : send({ type, target: Number(target.value) });
    body.append(h('div', { class: 'row' }, h('label', { for: tid }, 'Target'), target),
      h('div', { class: 'row' }, h('button', { type: 'button', onclick: go('lock') }, 'Lock'), h('button', { type: 'button', onclick: go('jam') }, 'Jam'),
        h('button', { type: 'button', onclick: () => send({ type: 'scan' }) }, 'Scan')),
      h('p', { class: 'hint' }, 'Lock: +2 to hit it. Jam: -2 to its attacks. Scan: find hidden ships within twice sensor range.'));
    p.refresh = (doc, id, own) => {
      const opts = targets(doc).map(([i, t]) => [i, `${t.name}: ${distance(own, t)} away`]);
      syncOptions(target, opts.length ? opts : [['', 'no hostile in view']]);
    };
  }

  // Weapon bands and aim lines while the gunner aims.
  #aim(doc) {
    const p = this.panels.get('gunner');
    if (!p || !doc) return this.ctx.map.setAim(false);
    const aimed = [...p.el.querySelectorAll('select')].map((s) => s.value).filter((v) => v !== '');
    const pts = aimed.map((id) => doc.ships?.[id]).filter(Boolean);
    this.ctx.map.setAim(this.gunnerFocus || pts.length > 0, pts);
  }

  pick(pt, go) {
    this.panels.get('pilot')?.pick(pt, go);
  }

  renderOwn(doc) {
    const [, s] = ownShip(doc);
    if (!s) { this.shipEl.replaceChildren(h('p', { class: 'hint' }, 'No crewed ship yet.')); return; }
    const mid = nextId('hull');
    this.shipEl.replaceChildren(
      h('p', {}, h('strong', {}, s.name), ` ${s.class}, at (${s.x}, ${s.y}), ${s.damage === 'none' ? 'undamaged' : s.damage}`),
      h('p', {}, h('label', { for: mid }, `Hull ${s.hull}/${s.hull_max} `), h('meter', { id: mid, min: 0, max: s.hull_max, low: s.hull_max / 4 + 0.5, high: s.hull_max / 2, optimum: s.hull_max, value: s.hull }),
        ` armor ${s.armor}, thrust ${s.thrust}, sensors ${s.sensors}, evasion ${s.evasion}`),
      h('ul', { class: 'systems', 'aria-label': 'Systems' }, ...Object.entries(s.systems ?? {}).map(([k, v]) => h('li', { class: v }, `${k}: ${v}`))),
      h('ul', { class: 'wlist', 'aria-label': 'Weapons' }, ...(s.weapons ?? []).map((w, i) => h('li', {}, `${i + 1}. ${w.type}${w.ammo !== undefined ? `, ${w.ammo} salvos` : ''}`))));
  }

  // One list item per ship in view; ids names which to refresh (all when null).
  renderContacts(doc, ids) {
    const [ownId, own] = ownShip(doc);
    const all = ids == null;
    if (all) { this.contacts.clear(); this.contactsEl.replaceChildren(); }
    const list = all ? Object.keys(doc?.ships ?? {}) : [...ids];
    for (const id of list) {
      const s = doc?.ships?.[id];
      let li = this.contacts.get(id);
      if (!s) { li?.remove(); this.contacts.delete(id); continue; }
      if (!li) { li = h('li'); this.contacts.set(id, li); this.contactsEl.append(li); }
      const d = own && id !== ownId ? `, ${distance(own, s)} away` : '';
      const sys = Object.entries(s.systems ?? {}).filter(([, v]) => v === 'damaged').map(([k]) => k);
      li.className = `side-${s.side}`;
      li.textContent = `${s.name} (${s.class}, ${s.side}${id === ownId ? ', your ship' : ''}) at (${s.x}, ${s.y})${d}: ${s.hull !== undefined ? `hull ${s.hull}/${s.hull_max}` : `damage ${s.damage}`}${sys.length ? `, damaged ${sys.join(', ')}` : ''}`;
    }
  }
}
