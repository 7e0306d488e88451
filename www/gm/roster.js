// The roster: every ship of the battle (one row each, redrawn alone when
// that ship changes), the form that adds a ship, and the editor of the
// selected ship (every field PATCH takes, hide/reveal, remove).

import { WEAPONS } from '../js/rules.js';
import { $, el, select, shipLabel, intOf } from './dom.js';
import { detected } from './map.js';

const NUMBERS = ['x', 'y', 'hull', 'hull_max', 'armor', 'thrust', 'sensors', 'evasion', 'skill'];
const SYSTEMS = ['drive', 'weapons', 'sensors'];
const TYPES = Object.keys(WEAPONS);

export class Roster {
  constructor(gm) {
    this.gm = gm;
    this.rows = new Map();
    this.list = $('roster');
    this.dirty = false;
    $('add-form').addEventListener('submit', (e) => { e.preventDefault(); this.add(); });
    $('a-side').addEventListener('change', () => this.#crewable());
    for (const i of ['a-x', 'a-y']) $(i).addEventListener('input', () => this.#placeMarker());
    $('a-pick').addEventListener('click', () => this.gm.setMode('place'));
    this.#crewable();
  }

  #crewable() {
    const crew = $('a-side').value === 'crew';
    $('a-crewed').disabled = !crew;
    if (!crew) $('a-crewed').checked = false;
  }

  #placeMarker() {
    const x = intOf($('a-x')), y = intOf($('a-y'));
    this.gm.map.marker('place', x === null || y === null ? null : x, y);
  }

  // Sets the new ship's position (a click on the map in place mode).
  pick({ x, y }) {
    $('a-x').value = x; $('a-y').value = y;
    this.#placeMarker();
  }

  async add() {
    const spec = { class: $('a-class').value, side: $('a-side').value, x: intOf($('a-x')), y: intOf($('a-y')) };
    if (!Number.isInteger(spec.x) || !Number.isInteger(spec.y))
      return this.gm.say('Place the ship: click the map, or type x and y (0 to 1000).', true);
    const name = $('a-name').value.trim();
    if (name) spec.name = name;
    if ($('a-hidden').checked) spec.hidden = true;
    if ($('a-crewed').checked) spec.crewed = true;
    const r = await this.gm.act('add a ship', () => this.gm.api.addShip(this.gm.id, spec));
    if (!r) return;
    this.gm.say(`Added ${name || spec.class} as ship ${r.ship}.`);
    $('a-name').value = ''; $('a-x').value = ''; $('a-y').value = '';
    this.gm.map.marker('place', null);
  }

  // One row of the roster list.
  renderShip(id, ship, ships) {
    let row = this.rows.get(id);
    if (!ship) {
      row?.remove();
      this.rows.delete(id);
      return;
    }
    if (!row) {
      row = el('li', { 'data-id': id }, el('button', { type: 'button', class: 'pick', onclick: () => this.gm.select(id) }), el('span', { class: 'stat' }));
      const after = [...this.rows.keys()].map(Number).filter((k) => k > Number(id)).sort((a, b) => a - b)[0];
      this.list.insertBefore(row, after === undefined ? null : this.rows.get(String(after)));
      this.rows.set(id, row);
    }
    const [btn, stat] = row.children;
    const set = (e, k, v) => { if (e[k] !== v) e[k] = v; };
    set(btn, 'textContent', shipLabel(ship, id));
    btn.setAttribute('aria-pressed', String(this.gm.selected === id));
    set(row, 'className', `${ship.side}${ship.hidden ? ' hidden' : ''}${ship.damage === 'destroyed' ? ' wreck' : ''}`);
    const flags = [ship.class, `hull ${ship.hull}/${ship.hull_max}`, `(${ship.x}, ${ship.y})`];
    if (ship.crewed) flags.push('crewed');
    if (ship.hidden) flags.push('HIDDEN');
    else if (ship.side !== 'crew') flags.push(detected(ship, ships) ? 'seen' : 'unseen');
    if (ship.notes) flags.push(`notes: ${ship.notes}`);
    set(stat, 'textContent', flags.join(' · '));
  }

  // Detection marks of every row (they depend on the crew's ships).
  renderDetection(ships) {
    for (const [id] of this.rows) if (ships[id]) this.renderShip(id, ships[id], ships);
  }

  markSelected() {
    for (const [id, row] of this.rows) row.firstChild.setAttribute('aria-pressed', String(this.gm.selected === id));
  }

  // The editor of the selected ship; refilled unless the GM is typing in it.
  renderEditor(force = false) {
    const { doc } = this.gm.store, id = this.gm.selected, ship = id && doc.ships[id];
    const box = $('editor');
    if (!ship) {
      box.replaceChildren(el('p', { class: 'hint', text: 'Select a ship to edit it.' }));
      this.form = null;
      return;
    }
    const ended = doc.phase === 'ended';
    if (!force && this.form?.dataset.ship === id && this.dirty) {
      // Keep what is typed, but follow moves (a drag) in x and y.
      for (const k of ['x', 'y']) if (!this.touched.has(k)) $(`e-${k}`).value = ship[k];
      $('e-hide').textContent = ship.hidden ? 'Reveal' : 'Hide';
      return;
    }
    this.dirty = false;
    this.touched = new Set();
    const num = (k, label) => [el('label', { for: `e-${k}`, text: label }),
      el('input', { id: `e-${k}`, name: k, type: 'number', value: String(ship[k]), inputmode: 'numeric' })];
    const f = el('form', { class: 'eform', 'data-ship': id, onsubmit: (e) => { e.preventDefault(); this.save(); } },
      el('div', { class: 'grid2' },
        el('label', { for: 'e-name', text: 'Name' }), el('input', { id: 'e-name', name: 'name', value: ship.name, maxlength: 64 }),
        ...['x', 'y'].flatMap((k) => num(k, k)),
        ...[['hull', 'Hull'], ['hull_max', 'Hull max'], ['armor', 'Armor'], ['thrust', 'Thrust'], ['sensors', 'Sensors'], ['evasion', 'Evasion']].flatMap(([k, l]) => num(k, l)),
        ...(ship.crewed ? [] : num('skill', 'Skill (0–3)'))),
      el('details', { class: 'more' }, el('summary', { text: `Systems and weapons (${ship.weapons?.map((w) => w.type).join(', ') || 'none'})` }),
      el('div', { class: 'grid2' }, ...SYSTEMS.flatMap((s) => [el('label', { for: `e-sys-${s}`, text: `System: ${s}` }),
        select({ id: `e-sys-${s}`, name: `sys-${s}` }, [['ok', 'ok'], ['damaged', 'damaged']], ship.systems?.[s])])),
      el('fieldset', { id: 'e-weapons' }, el('legend', { text: 'Weapons (up to 6)' }),
        ...Array.from({ length: 6 }, (_, i) => {
          const w = ship.weapons?.[i];
          return el('div', { class: 'wrow' },
            select({ id: `e-w${i}`, 'aria-label': `Weapon ${i}` }, [['', '—'], ...TYPES.map((t) => [t, t])], w?.type ?? ''),
            el('input', { id: `e-a${i}`, type: 'number', min: 0, 'aria-label': `Weapon ${i} ammo`, placeholder: 'ammo', value: w?.ammo === undefined ? '' : String(w.ammo) }));
        }))),
      el('label', { for: 'e-notes', text: 'GM notes (only you see them)' }),
      el('textarea', { id: 'e-notes', name: 'notes', maxlength: 2000, rows: 2, value: ship.notes ?? '' }),
      el('div', { class: 'buttons' },
        el('button', { type: 'submit', id: 'e-save', text: 'Save changes', disabled: ended }),
        el('button', { type: 'button', id: 'e-hide', text: ship.hidden ? 'Reveal' : 'Hide', disabled: ended, onclick: () => this.patch({ hidden: !doc.ships[id].hidden }, doc.ships[id].hidden ? 'reveal' : 'hide') }),
        el('button', { type: 'button', id: 'e-remove', class: 'danger', text: 'Remove', disabled: ended, onclick: () => this.remove() })));
    f.addEventListener('input', (e) => { this.dirty = true; if (e.target.name) this.touched.add(e.target.name); });
    box.replaceChildren(el('h3', { text: `${shipLabel(ship, id)}: ${ship.side} ${ship.class}${ship.crewed ? ', crewed' : ''}${ship.hidden ? ', hidden' : ''}` }), f);
    this.form = f;
  }

  // The fields of the editor that differ from the ship.
  changes(ship) {
    const c = {};
    const name = $('e-name').value.trim();
    if (name !== ship.name) c.name = name;
    for (const k of NUMBERS) {
      const i = $(`e-${k}`);
      if (!i) continue;
      const v = intOf(i);
      if (v !== ship[k]) c[k] = v;
    }
    const systems = {};
    for (const s of SYSTEMS) if ($(`e-sys-${s}`).value !== ship.systems?.[s]) systems[s] = $(`e-sys-${s}`).value;
    if (Object.keys(systems).length) c.systems = systems;
    const weapons = [];
    for (let i = 0; i < 6; i++) {
      const type = $(`e-w${i}`).value;
      if (!type) continue;
      const w = { type }, ammo = intOf($(`e-a${i}`));
      if (type === 'missile rack' && ammo !== null) w.ammo = ammo;
      weapons.push(w);
    }
    const same = weapons.length === (ship.weapons ?? []).length && weapons.every((w, i) =>
      w.type === ship.weapons[i].type && (w.ammo ?? null) === (ship.weapons[i].ammo ?? null));
    if (!same) c.weapons = weapons;
    if ($('e-notes').value !== (ship.notes ?? '')) c.notes = $('e-notes').value;
    return c;
  }

  async save() {
    const ship = this.gm.store.doc.ships[this.gm.selected];
    const c = this.changes(ship);
    if (Object.values(c).some((v) => Number.isNaN(v))) return this.gm.say('Numbers must be whole numbers.', true);
    if (!Object.keys(c).length) return this.gm.say('Nothing changed.');
    if (await this.patch(c, 'edit')) this.renderEditor(true);
  }

  async patch(changes, what) {
    const id = this.gm.selected, ship = this.gm.store.doc.ships[id];
    const r = await this.gm.act(`${what} ${ship.name}`, () => this.gm.api.editShip(this.gm.id, id, changes));
    if (r) this.gm.say(`${ship.name}: ${what === 'edit' ? 'changes saved' : what === 'hide' ? 'hidden' : 'revealed'}.`);
    return r;
  }

  async remove() {
    const id = this.gm.selected, ship = this.gm.store.doc.ships[id];
    const r = await this.gm.act(`remove ${ship.name}`, () => this.gm.api.removeShip(this.gm.id, id));
    if (r) { this.gm.say(`${ship.name} removed.`); this.gm.select(null); }
  }
}
