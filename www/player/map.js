// The tactical map: an SVG of the 1000 x 1000 field.  One <g> per ship,
// moved by its transform attribute, so a delta that moves one ship touches
// one group.  Overlays (sensor range, reachable circle, weapon bands, the
// pilot's destination) and effects (last round's moves and shots) have
// their own layers.

import { sensorRange } from '../js/rules.js';
import { SHIP_SHAPES, WRECK_SHAPE, clampToField as clamp, svg } from '../js/svg.js';

const FX_MS = 6000;

export class TacticalMap {
  constructor(root, { onPick = () => {}, onPickKey = () => {} } = {}) {
    this.root = root;
    this.onPick = onPick;
    this.onPickKey = onPickKey;
    this.ships = new Map();
    this.own = null;
    this.dest = null;
    this.picking = false;
    const grid = svg('g', { class: 'grid', 'aria-hidden': 'true' }, root);
    svg('rect', { x: 0, y: 0, width: 1000, height: 1000, class: 'field' }, grid);
    for (let i = 100; i < 1000; i += 100) {
      svg('line', { x1: i, y1: 0, x2: i, y2: 1000 }, grid);
      svg('line', { x1: 0, y1: i, x2: 1000, y2: i }, grid);
    }
    this.ranges = svg('g', { class: 'ranges', 'aria-hidden': 'true' }, root);
    this.sensor = svg('circle', { class: 'sensor', r: 0 }, this.ranges);
    this.bands = [100, 300, 600].map((r) => svg('circle', { class: 'band', r, visibility: 'hidden' }, this.ranges));
    this.reach = svg('circle', { class: 'reach', r: 0, visibility: 'hidden' }, this.ranges);
    this.aims = svg('g', { class: 'aims' }, this.ranges);
    this.fx = svg('g', { class: 'fx', 'aria-hidden': 'true' }, root);
    this.layer = svg('g', { class: 'ships' }, root);
    this.marker = svg('g', { class: 'dest', visibility: 'hidden', 'aria-hidden': 'true' }, root);
    svg('circle', { r: 12 }, this.marker);
    svg('path', { d: 'M-18,0H18M0,-18V18' }, this.marker);
    root.addEventListener('click', (e) => this.#click(e));
    root.addEventListener('keydown', (e) => this.#key(e));
  }

  // Clears every ship and draws the document's.
  renderAll(doc, ownId) {
    this.own = ownId;
    for (const id of [...this.ships.keys()]) this.removeShip(id);
    for (const id of Object.keys(doc?.ships ?? {})) this.updateShip(doc, id);
  }

  // Draws (or redraws) ship id as the document has it now.
  updateShip(doc, id) {
    const s = doc?.ships?.[id];
    if (!s) return this.removeShip(id);
    let r = this.ships.get(id);
    if (!r) {
      const g = svg('g', {}, this.layer);
      r = { g, shape: svg('path', {}, g), label: svg('text', { y: 36, 'text-anchor': 'middle' }, g), title: svg('title', {}, g), key: '', x: null, y: null, bar: null };
      this.ships.set(id, r);
    }
    if (r.x !== s.x || r.y !== s.y) {
      if (r.x !== null) r.from = { x: r.x, y: r.y };
      r.g.setAttribute('transform', `translate(${s.x} ${s.y})`);
      r.x = s.x; r.y = s.y;
    }
    const own = String(id) === String(this.own);
    const dead = s.damage === 'destroyed';
    const key = [s.class, s.side, s.damage, s.name, own, s.hull, s.hull_max, s.hidden].join('|');
    if (key !== r.key) {
      r.key = key;
      r.g.setAttribute('class', `ship side-${s.side} dmg-${s.damage}${own ? ' own' : ''}${s.hidden ? ' hidden-ship' : ''}`);
      r.shape.setAttribute('d', dead ? WRECK_SHAPE : SHIP_SHAPES[s.class] ?? SHIP_SHAPES.corvette);
      const band = own || s.hull === undefined ? '' : ` (${s.damage})`;
      r.label.textContent = s.name + (s.side === 'hostile' ? band : '');
      r.title.textContent = `${s.name}, ${s.class}, ${s.side}, ${s.hull !== undefined ? `hull ${s.hull}/${s.hull_max}` : `damage ${s.damage}`}`;
      if (s.hull !== undefined && s.hull_max) {
        if (!r.bar) {
          r.bar = svg('g', { class: 'hullbar' }, r.g);
          svg('rect', { x: -20, y: -34, width: 40, height: 6, class: 'bg' }, r.bar);
          r.barFill = svg('rect', { x: -20, y: -34, height: 6, class: 'fill' }, r.bar);
        }
        r.barFill.setAttribute('width', Math.max(0, Math.round(40 * s.hull / s.hull_max)));
      }
    }
    if (own) this.#ownOverlays(s);
  }

  removeShip(id) {
    const r = this.ships.get(String(id));
    if (!r) return;
    r.g.remove();
    this.ships.delete(String(id));
  }

  // Where ship id is drawn ({x, y}), or null.
  pos(id) {
    const r = this.ships.get(String(id));
    return r && r.x !== null ? { x: r.x, y: r.y } : null;
  }

  #ownOverlays(s) {
    const t = `translate(${s.x} ${s.y})`;
    this.ranges.setAttribute('transform', t);
    this.sensor.setAttribute('r', s.damage === 'destroyed' ? 0 : sensorRange(s));
  }

  // Shows the pilot's reachable circle (radius, or 0 to hide), and makes the
  // map take clicks and keys for the destination.
  setReach(radius) {
    this.reach.setAttribute('r', radius || 0);
    this.reach.setAttribute('visibility', radius ? 'visible' : 'hidden');
    this.picking = !!radius;
    if (radius) this.root.setAttribute('tabindex', '0');
    else { this.root.removeAttribute('tabindex'); this.setDest(null); }
    this.root.classList.toggle('picking', this.picking);
  }

  // Weapon bands around the own ship, and aim lines to {x, y} targets.
  setAim(on, targets = []) {
    for (const b of this.bands) b.setAttribute('visibility', on ? 'visible' : 'hidden');
    this.aims.replaceChildren();
    const o = this.pos(this.own);
    if (!on || !o) return;
    for (const t of targets) svg('line', { x1: 0, y1: 0, x2: t.x - o.x, y2: t.y - o.y }, this.aims);
  }

  // The pilot's chosen destination, or null.
  setDest(p) {
    this.dest = p;
    this.marker.setAttribute('visibility', p ? 'visible' : 'hidden');
    if (p) this.marker.setAttribute('transform', `translate(${p.x} ${p.y})`);
  }

  // Draws a movement trail from -> to, for a few seconds.
  trail(from, to) {
    if (!from || !to || (from.x === to.x && from.y === to.y)) return;
    this.#fx(svg('line', { class: 'trail', x1: from.x, y1: from.y, x2: to.x, y2: to.y }, this.fx));
  }

  // Draws a shot a -> b (hit or miss), for a few seconds.
  shot(a, b, hit) {
    if (!a || !b) return;
    this.#fx(svg('line', { class: hit ? 'shot hit' : 'shot miss', x1: a.x, y1: a.y, x2: b.x, y2: b.y }, this.fx));
  }

  #fx(e) { setTimeout(() => e.remove(), FX_MS); }

  // The map point under a pointer event.
  #point(e) {
    const m = this.root.getScreenCTM();
    if (!m) return null;
    const p = new DOMPoint(e.clientX, e.clientY).matrixTransform(m.inverse());
    return { x: clamp(p.x), y: clamp(p.y) };
  }

  #click(e) {
    if (!this.picking) return;
    const p = this.#point(e);
    if (p) this.onPick(p, true);
  }

  #key(e) {
    if (!this.picking) return;
    const step = e.shiftKey ? 25 : 5;
    const d = { ArrowLeft: [-step, 0], ArrowRight: [step, 0], ArrowUp: [0, -step], ArrowDown: [0, step] }[e.key];
    const base = this.dest ?? this.pos(this.own) ?? { x: 500, y: 500 };
    if (d) {
      e.preventDefault();
      this.onPick({ x: clamp(base.x + d[0]), y: clamp(base.y + d[1]) }, false);
    } else if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      if (this.dest) this.onPick(this.dest, true);
    }
  }
}
