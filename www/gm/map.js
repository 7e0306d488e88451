// The GM's tactical map: an SVG of the 1000 x 1000 field with every ship
// the GM view holds.  One <g> per ship, moved by its transform, so that a
// change to one ship touches one group.  Ships are marked hidden (dashed,
// faded) and, for hostile ships, whether the crew detects them.  Ships can
// be dragged (onDrag), selected (onSelect) and nudged with the arrow keys;
// a click on the field reports map coordinates (onPick).

import { distance, moveRange, sensorRange, MAX_WEAPON_RANGE } from '../js/rules.js';
import { SHIP_SHAPES, WRECK_SHAPE, clampToField as clamp, svg } from '../js/svg.js';

const operational = (s) => s && s.damage !== 'destroyed';

// Whether the crew sees this ship: its own side always; another ship when
// it is not hidden and within sensor range of an operational crew-side ship.
export function detected(ship, ships) {
  if (ship.side === 'crew') return true;
  if (ship.hidden) return false;
  return Object.values(ships).some((s) => s.side === 'crew' && operational(s) &&
    distance(s, ship) <= sensorRange(s));
}

// What the map says of a ship, for its label and for screen readers.
export function shipStatus(ship, ships) {
  const parts = [ship.side, ship.class];
  if (ship.crewed) parts.push('crewed');
  if (ship.damage !== 'none') parts.push(ship.damage);
  if (ship.hidden) parts.push('hidden');
  else if (ship.side !== 'crew') parts.push(detected(ship, ships) ? 'seen by crew' : 'not seen by crew');
  return parts.join(', ');
}

export class GmMap {
  constructor(root, { onPick, onSelect, onDrag }) {
    Object.assign(this, { root, onPick, onSelect, onDrag });
    this.groups = new Map();
    this.sensors = new Map();
    this.selected = null;
    this.drag = null;
    // Positions sent for a ship and not yet seen back: id -> {x, y}.
    this.pending = new Map();
    const grid = svg('g', { class: 'grid', 'aria-hidden': 'true' }, root);
    svg('rect', { x: 0, y: 0, width: 1000, height: 1000, class: 'field' }, grid);
    for (let i = 100; i < 1000; i += 100) {
      svg('line', { x1: i, y1: 0, x2: i, y2: 1000 }, grid);
      svg('line', { x1: 0, y1: i, x2: 1000, y2: i }, grid);
      svg('text', { x: i, y: -6, class: 'tick' }, grid).textContent = i;
      svg('text', { x: -4, y: i + 4, class: 'tick v' }, grid).textContent = i;
    }
    this.ranges = svg('g', { class: 'ranges', 'aria-hidden': 'true' }, root);
    this.reach = svg('circle', { class: 'reach', r: 0, visibility: 'hidden' }, this.ranges);
    this.weapons = svg('circle', { class: 'wreach', r: MAX_WEAPON_RANGE, visibility: 'hidden' }, this.ranges);
    this.orders = svg('g', { class: 'orders', 'aria-hidden': 'true' }, root);
    this.layer = svg('g', { class: 'ships' }, root);
    this.markers = {};
    for (const kind of ['place', 'order']) {
      const m = svg('g', { class: `marker ${kind}`, visibility: 'hidden', 'aria-hidden': 'true' }, root);
      svg('circle', { r: 12 }, m);
      svg('path', { d: 'M-18,0H18M0,-18V18' }, m);
      this.markers[kind] = m;
    }
    root.addEventListener('pointerdown', (e) => this.#down(e));
    root.addEventListener('pointermove', (e) => this.#move(e));
    root.addEventListener('pointerup', (e) => this.#up(e));
    root.addEventListener('pointercancel', () => this.#cancel());
    root.addEventListener('keydown', (e) => this.#key(e));
  }

  // Map coordinates of a pointer event.
  point(e) {
    const p = new DOMPoint(e.clientX, e.clientY).matrixTransform(this.root.getScreenCTM().inverse());
    return { x: clamp(p.x), y: clamp(p.y) };
  }

  // Draws ship id as it is now (ship undefined: removed).
  renderShip(id, ship, ships) {
    let g = this.groups.get(id);
    if (!ship) {
      g?.remove();
      this.groups.delete(id);
      this.sensors.get(id)?.remove();
      this.sensors.delete(id);
      if (this.selected === id) this.select(null, ships);
      return;
    }
    if (!g) {
      g = svg('g', { tabindex: '0', role: 'button', 'data-id': id }, this.layer);
      svg('title', {}, g);
      svg('path', { class: 'hull' }, g);
      svg('text', { class: 'name', y: 32 }, g);
      svg('text', { class: 'flag', y: -26 }, g);
      this.groups.set(id, g);
    }
    const [title, hull, name, flag] = g.children;
    // Until the server publishes the position sent, the ship stays there.
    const sentTo = this.pending.get(id);
    if (sentTo?.x === ship.x && sentTo?.y === ship.y) this.pending.delete(id);
    const at = this.pending.get(id) ?? ship;
    if (this.drag?.id !== id) g.setAttribute('transform', `translate(${at.x},${at.y})`);
    hull.setAttribute('d', ship.damage === 'destroyed' ? WRECK_SHAPE : SHIP_SHAPES[ship.class] ?? SHIP_SHAPES.corvette);
    name.textContent = `${ship.name} `; // the space: "Warden hidden" as one reads it
    // Visible words are part of the accessible name, in the same order.
    const flags = [ship.hidden && 'hidden', ship.crewed && '★', ship.notes && '✎'].filter(Boolean).join(' ');
    flag.textContent = flags;
    title.textContent = `${ship.name} (${id}): ${shipStatus(ship, ships)}` + (ship.notes ? `. Notes: ${ship.notes}` : '');
    g.setAttribute('aria-label', `${ship.name}${flags ? ' ' + flags : ''}, ship ${id} at ${ship.x}, ${ship.y}: ${shipStatus(ship, ships)}`);
    this.#classes(g, ship, ships);
    let c = this.sensors.get(id);
    if (ship.side === 'crew' && operational(ship)) {
      c ??= svg('circle', { class: 'sensor' }, this.ranges);
      this.sensors.set(id, c);
      c.setAttribute('cx', ship.x); c.setAttribute('cy', ship.y); c.setAttribute('r', sensorRange(ship));
    } else if (c) {
      c.remove();
      this.sensors.delete(id);
    }
    if (this.selected === id) this.#overlay(ship);
  }

  #classes(g, ship, ships) {
    const cls = `ship ${ship.side}${ship.hidden ? ' hidden' : ''}${detected(ship, ships) ? '' : ' unseen'}` +
      `${ship.damage === 'destroyed' ? ' wreck' : ''}${this.selected === g.dataset.id ? ' sel' : ''}`;
    if (g.getAttribute('class') !== cls) g.setAttribute('class', cls);
  }

  // Detection depends on every crew ship: re-marks the groups whose mark changed.
  renderDetection(ships) {
    for (const [id, g] of this.groups)
      if (ships[id]) this.#classes(g, ships[id], ships);
  }

  select(id, ships) {
    this.selected = id;
    for (const [gid, g] of this.groups) g.classList.toggle('sel', gid === id);
    const ship = id && ships?.[id];
    if (ship) this.#overlay(ship);
    else for (const c of [this.reach, this.weapons]) c.setAttribute('visibility', 'hidden');
  }

  #overlay(ship) {
    const op = operational(ship);
    for (const [c, r] of [[this.reach, moveRange(ship)], [this.weapons, MAX_WEAPON_RANGE]]) {
      c.setAttribute('cx', ship.x); c.setAttribute('cy', ship.y); c.setAttribute('r', r);
      const shown = op && (c === this.reach || ship.weapons?.length > 0);
      c.setAttribute('visibility', shown ? 'visible' : 'hidden');
    }
  }

  // Lines from each GM ship to its ordered destination and targets.
  renderOrders(doc) {
    this.orders.replaceChildren();
    for (const [id, o] of Object.entries(doc.orders?.ships ?? {})) {
      const s = doc.ships[id];
      if (!s) continue;
      if (o.move) svg('line', { class: 'omove', x1: s.x, y1: s.y, x2: o.move.x, y2: o.move.y }, this.orders);
      for (const f of o.fire ?? []) {
        const t = doc.ships[f.target];
        if (t) svg('line', { class: 'ofire', x1: s.x, y1: s.y, x2: t.x, y2: t.y }, this.orders);
      }
    }
  }

  // Shows (or hides, x null) the marker of a new ship's place or a move order.
  marker(kind, x, y) {
    const m = this.markers[kind];
    if (x === null || x === undefined || Number.isNaN(x)) return m.setAttribute('visibility', 'hidden');
    m.setAttribute('transform', `translate(${x},${y})`);
    m.setAttribute('visibility', 'visible');
  }

  #shipOf(e) {
    const g = e.target.closest?.('g.ship');
    return g && this.root.contains(g) ? g : null;
  }

  #down(e) {
    if (e.button !== 0) return;
    const g = this.#shipOf(e), p = this.point(e);
    this.drag = { id: g?.dataset.id ?? null, g, start: p, moved: false, field: !g };
    if (g) { this.root.setPointerCapture(e.pointerId); e.preventDefault(); }
  }

  #move(e) {
    const d = this.drag;
    if (!d?.g) return;
    const p = this.point(e);
    if (!d.moved && Math.hypot(p.x - d.start.x, p.y - d.start.y) < 6) return;
    d.moved = true;
    d.at = p;
    d.g.setAttribute('transform', `translate(${p.x},${p.y})`);
    this.pending.set(d.id, p);
    this.onDrag(d.id, p.x, p.y, false);
  }

  #up(e) {
    const d = this.drag;
    this.drag = null;
    if (!d) return;
    if (d.moved) this.onDrag(d.id, d.at.x, d.at.y, true);
    else if (d.g) this.onSelect(d.id);
    else this.onPick(this.point(e));
  }

  #cancel() {
    const d = this.drag;
    this.drag = null;
    if (d?.moved) this.onDrag(d.id, d.at.x, d.at.y, true);
  }

  // Enter or space selects a focused ship; arrows nudge it by 10 (shift: 50).
  #key(e) {
    const g = this.#shipOf(e);
    if (!g) return;
    if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      this.onSelect(g.dataset.id);
      return;
    }
    const dir = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] }[e.key];
    if (!dir) return;
    e.preventDefault();
    const m = /translate\(([-\d.]+),([-\d.]+)\)/.exec(g.getAttribute('transform'));
    const step = e.shiftKey ? 50 : 10;
    const x = clamp(Number(m[1]) + dir[0] * step), y = clamp(Number(m[2]) + dir[1] * step);
    g.setAttribute('transform', `translate(${x},${y})`);
    this.pending.set(g.dataset.id, { x, y });
    this.onDrag(g.dataset.id, x, y, true);
  }
}
