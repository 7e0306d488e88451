// The battle table: one row per battle of the figures document, sortable
// by any column (a button in each header: click, Enter or Space; again to
// reverse), the order shown by aria-sort.

import { fmtBytes, clock, STATE_BOUND } from './figures.js';
import { el } from '../js/dom.js';

function online(b) {
  const o = b.online ?? {};
  const parts = [`${o.players ?? 0} player${o.players === 1 ? '' : 's'}`];
  if (o.spectators) parts.push(`${o.spectators} spectator${o.spectators === 1 ? '' : 's'}`);
  if (o.gm) parts.push('GM');
  return parts.join(', ');
}

// key, header, sort value, cell text, numeric.
const COLUMNS = [
  { key: 'id', label: 'ID', value: (id) => id, text: (id) => id },
  { key: 'name', label: 'Name', value: (id, b) => (b.name ?? '').toLowerCase(), text: (id, b) => b.name ?? '' },
  { key: 'phase', label: 'Phase', value: (id, b) => ['lobby', 'planning', 'resolving', 'ended'].indexOf(b.phase), text: (id, b) => b.phase ?? '' },
  { key: 'round', label: 'Round', num: true, value: (id, b) => b.round ?? 0, text: (id, b) => String(b.round ?? 0) },
  { key: 'online', label: 'Online', num: true, value: (id, b) => (b.online?.players ?? 0) * 1e6 + (b.online?.spectators ?? 0) * 2 + (b.online?.gm ? 1 : 0), text: (id, b) => online(b) },
  { key: 'streams', label: 'Streams', num: true, value: (id, b) => b.streams ?? 0, text: (id, b) => String(b.streams ?? 0) },
  { key: 'state', label: 'State size', num: true, value: (id, b) => b.state_bytes ?? 0, text: (id, b) => fmtBytes(b.state_bytes ?? 0) },
  { key: 'last', label: 'Last change', num: true, value: (id, b) => b.last_change ?? 0, text: (id, b) => (b.last_change ? clock(b.last_change) : '\u2013') },
];

export class BattleTable {
  // table: an empty <table> with a <caption> (its text is kept).
  constructor(table) {
    this.table = table;
    this.caption = table.querySelector('caption');
    this.sortKey = 'last';
    this.descending = true;
    const head = el('thead');
    const tr = el('tr');
    this.ths = COLUMNS.map((c) => {
      const th = el('th', { scope: 'col', 'data-key': c.key, class: c.num ? 'num' : '' });
      const b = el('button', { type: 'button' }, c.label);
      b.append(el('span', { class: 'arrow', 'aria-hidden': 'true' }));
      b.addEventListener('click', () => this.sortBy(c.key));
      th.append(b);
      tr.append(th);
      return th;
    });
    head.append(tr);
    this.body = el('tbody');
    table.append(head, this.body);
    this.battles = {};
    this.markSort();
  }

  sortBy(key) {
    if (this.sortKey === key)
      this.descending = !this.descending;
    else {
      this.sortKey = key;
      this.descending = COLUMNS.find((c) => c.key === key).num;
    }
    this.markSort();
    this.render(this.battles);
  }

  markSort() {
    for (const th of this.ths) {
      const on = th.dataset.key === this.sortKey;
      if (on) th.setAttribute('aria-sort', this.descending ? 'descending' : 'ascending');
      else th.removeAttribute('aria-sort');
      th.querySelector('.arrow').textContent = on ? (this.descending ? ' \u25bc' : ' \u25b2') : '';
    }
  }

  render(battles) {
    this.battles = battles ?? {};
    const col = COLUMNS.find((c) => c.key === this.sortKey);
    const rows = Object.entries(this.battles).filter(([, b]) => b && typeof b === 'object');
    const sign = this.descending ? -1 : 1;
    rows.sort(([ia, a], [ib, b]) => {
      const va = col.value(ia, a), vb = col.value(ib, b);
      return (va < vb ? -1 : va > vb ? 1 : ia < ib ? -1 : ia > ib ? 1 : 0) * sign;
    });
    this.caption.textContent = `Battles hosted: ${rows.length}`;
    if (!rows.length) {
      const tr = el('tr');
      tr.append(el('td', { colspan: COLUMNS.length, class: 'empty' }, 'No battle is hosted.'));
      this.body.replaceChildren(tr);
      return;
    }
    this.body.replaceChildren(...rows.map(([id, b]) => {
      const tr = el('tr', { 'data-id': id });
      if ((b.state_bytes ?? 0) > STATE_BOUND) tr.className = 'over';
      COLUMNS.forEach((c, i) => {
        const cell = el(i === 0 ? 'th' : 'td', i === 0 ? { scope: 'row' } : {}, c.text(id, b));
        cell.dataset.key = c.key;
        if (c.num) cell.className = 'num';
        if (c.key === 'last' && b.last_change) cell.title = new Date(b.last_change).toString();
        if (c.key === 'state' && (b.state_bytes ?? 0) > STATE_BOUND) cell.append(' ', el('strong', {}, 'over 100 KiB'));
        tr.append(cell);
      });
      return tr;
    }));
  }
}
