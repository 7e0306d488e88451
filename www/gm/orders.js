// GM ship orders: the order form of the selected ship, and the batch
// action that orders every GM ship still waiting at once.
//
// The batch action ("Order all waiting GM ships"): each operational GM ship
// (not crewed) that has no order yet this round holds its position and
// fires every weapon that can fire (a missile rack needs ammo) at the
// nearest operational ship of the other side within weapon reach (600;
// ties go to the lower id).  A ship with no such target, or no weapon that
// can fire, holds.  Ships the GM has already ordered this round keep their
// orders.  All the orders go in one POST /orders {"orders": [...]}.

import { distance, weaponReach } from '../js/rules.js';
import { $, el, select, setOptions, shipLabel, intOf } from './dom.js';

const operational = (s) => s && s.damage !== 'destroyed';
export const isGmShip = (s) => operational(s) && !s.crewed;

// The nearest operational enemy of ship within reach, or null.
export function nearestEnemy(ship, ships) {
  let best = null, bestD = Infinity;
  for (const t of Object.values(ships)) {
    if (t.side === ship.side || !operational(t)) continue;
    const d = distance(ship, t);
    if (d < bestD || d === bestD && t.id < best.id) { best = t; bestD = d; }
  }
  return best && { target: best, distance: bestD };
}

// The orders of the batch action for doc (see above), as a list for Api.orders.
export function autoOrders(doc) {
  const waiting = new Set((doc.waiting_for?.ships ?? []).map(String));
  const list = [];
  for (const [id, ship] of Object.entries(doc.ships ?? {})) {
    if (!isGmShip(ship) || !waiting.has(id)) continue;
    const order = { round: doc.round, ship: Number(id) };
    const near = nearestEnemy(ship, doc.ships);
    const fire = [];
    if (near) (ship.weapons ?? []).forEach((w, i) => {
      if (near.distance <= weaponReach(w.type) && (w.ammo === undefined || w.ammo > 0))
        fire.push({ weapon: i, target: near.target.id });
    });
    if (fire.length) order.fire = fire;
    list.push(order);
  }
  return list;
}

// One line describing an order of a GM ship.
export function describeOrder(o, ships) {
  if (!o) return 'no order yet';
  const parts = [];
  if (o.move) parts.push(`move to ${o.move.x}, ${o.move.y}`);
  if (o.evade) parts.push('evade');
  for (const f of o.fire ?? [])
    parts.push(`fire weapon ${f.weapon} at ${shipLabel(ships[f.target], f.target)}`);
  return parts.length ? parts.join('; ') : 'hold';
}

// The order form of the selected GM ship (section #orders).
export class OrderPanel {
  constructor(gm) {
    this.gm = gm;
    this.box = $('o-ship');
    $('o-batch').addEventListener('click', () => this.batch());
    $('o-hold-all').addEventListener('click', () => this.holdAll());
  }

  // Redraws the form for the selected ship (keeps typed values when it can).
  render() {
    const { doc } = this.gm.store, id = this.gm.selected, ship = id && doc.ships[id];
    const planning = doc.phase === 'planning';
    $('o-batch').disabled = $('o-hold-all').disabled = !planning || !(doc.waiting_for?.ships?.length);
    if (!ship || !isGmShip(ship)) {
      this.box.replaceChildren(el('p', { class: 'hint', text: ship ? `${shipLabel(ship, id)} is ${ship.crewed ? 'the players\' ship: its stations give its orders' : 'destroyed'}.` : 'Select a GM ship (on the map or in the roster) to give it an order.' }));
      this.form = null;
      return;
    }
    const current = doc.orders?.ships?.[id];
    const targets = [['', 'no target'], ...Object.values(doc.ships)
      .filter((t) => t.side !== ship.side && operational(t))
      .map((t) => [t.id, `${shipLabel(t)}, ${distance(ship, t)} units`])];
    if (this.form?.dataset.ship !== id) {
      const f = el('form', { class: 'oform', 'data-ship': id, onsubmit: (e) => { e.preventDefault(); this.send(); } },
        el('p', { class: 'cur', id: 'o-current' }),
        el('fieldset', {}, el('legend', { text: 'Move (blank: stay)' }),
          el('label', { for: 'o-x', text: 'x' }), el('input', { id: 'o-x', type: 'number', min: 0, max: 1000, inputmode: 'numeric' }),
          el('label', { for: 'o-y', text: 'y' }), el('input', { id: 'o-y', type: 'number', min: 0, max: 1000, inputmode: 'numeric' }),
          el('button', { type: 'button', class: 'small', text: 'Pick on map', onclick: () => this.gm.setMode('order') })),
        el('label', { class: 'check' }, el('input', { id: 'o-evade', type: 'checkbox' }), ' Evade (+2 evasion, no move)'),
        el('fieldset', { id: 'o-fire' }, el('legend', { text: 'Fire' })),
        el('div', { class: 'buttons' },
          el('button', { type: 'submit', id: 'o-send', text: 'Send order' }),
          el('button', { type: 'button', id: 'o-hold', text: 'Hold', onclick: () => this.send(true) })));
      this.box.replaceChildren(el('h3', { text: shipLabel(ship, id) }), f);
      this.form = f;
      f.querySelectorAll('#o-x, #o-y').forEach((i) => i.addEventListener('input', () => this.#marker()));
      (ship.weapons ?? []).forEach((w, i) => {
        const label = `Weapon ${i}: ${w.type}${w.ammo !== undefined ? ` (${w.ammo} left)` : ''}`;
        $('o-fire').append(el('label', { for: `o-w${i}`, text: label }), select({ id: `o-w${i}` }, targets, ''));
      });
      if (!ship.weapons?.length) $('o-fire').append(el('p', { class: 'hint', text: 'No weapons.' }));
    } else {
      (ship.weapons ?? []).forEach((w, i) => { const s = $(`o-w${i}`); if (s) setOptions(s, targets); });
    }
    this.box.querySelector('h3').textContent = shipLabel(ship, id);
    $('o-current').textContent = planning ? `Round ${doc.round}: ${describeOrder(current, doc.ships)}` : 'Orders are given while a round is planned.';
    for (const b of this.form.querySelectorAll('button[type=submit], #o-hold')) b.disabled = !planning;
    this.#marker();
  }

  // The map's order marker follows the move fields.
  #marker() {
    const x = intOf($('o-x')), y = intOf($('o-y'));
    this.gm.map.marker('order', x === null || y === null ? null : x, y);
  }

  // Sets the move fields (a click on the map in order mode).
  pick({ x, y }) {
    if (!this.form) return this.gm.say('Select a GM ship first.', true);
    $('o-x').value = x; $('o-y').value = y;
    $('o-evade').checked = false;
    this.#marker();
    $('o-x').focus();
  }

  async send(hold = false) {
    const { doc } = this.gm.store, id = this.gm.selected, ship = doc.ships[id];
    const order = { round: doc.round, ship: Number(id) };
    if (!hold) {
      const x = intOf($('o-x')), y = intOf($('o-y'));
      if (x !== null || y !== null) {
        if (!Number.isInteger(x) || !Number.isInteger(y)) return this.gm.say('Move: give both x and y, whole numbers 0 to 1000.', true);
        order.move = { x, y };
      }
      if ($('o-evade').checked) order.evade = true;
      const fire = [];
      (ship.weapons ?? []).forEach((w, i) => { const t = $(`o-w${i}`)?.value; if (t) fire.push({ weapon: i, target: Number(t) }); });
      if (fire.length) order.fire = fire;
    }
    const r = await this.gm.act(`order for ${ship.name}`, () => this.gm.api.order(this.gm.id, order));
    if (r) this.gm.say(`${ship.name}: ${describeOrder(r.order, doc.ships)} (round ${r.round}).`);
  }

  async batch(holdOnly = false) {
    const { doc } = this.gm.store;
    const list = holdOnly
      ? doc.waiting_for.ships.map((s) => ({ round: doc.round, ship: Number(s) }))
      : autoOrders(doc);
    if (!list.length) return this.gm.say('Every GM ship has its order.');
    const r = await this.gm.act('orders for the GM ships', () => this.gm.api.orders(this.gm.id, list));
    if (!r) return;
    const ok = r.results.filter((x) => x.accepted).length;
    const bad = r.results.map((x, i) => x.accepted ? null : `ship ${list[i].ship}: ${x.detail}`).filter(Boolean);
    this.gm.say(`${ok} of ${list.length} GM ship orders accepted${bad.length ? '; refused: ' + bad.join('; ') : ''}.`, bad.length > 0);
  }

  holdAll() { return this.batch(true); }
}
