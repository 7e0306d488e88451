// One chart of the dashboard: a <figure> with its title, the latest value
// of each series in text (the legend), and a hand-drawn SVG of the last 15
// minutes: one <path> per series, broken where samples are missing (a
// lone point shows as a dot), a y axis from 0 to a round maximum, clock
// times on the x axis, and an optional threshold line.  Redrawing costs a
// few string joins per series: no library, no layout beyond the SVG.

import { niceCeil, clock, STATE_BOUND, fmtBytes } from './figures.js';
import { el } from '../js/dom.js';

const SVG = 'http://www.w3.org/2000/svg';
const HEIGHT = 150;
const PAD = { top: 8, right: 8, bottom: 20, left: 58 };
// A gap longer than this between samples breaks the line.
const GAP_MS = 3500;
// Quantiles and means show the newest value this recent, else a dash.
const FRESH_MS = 5000;

function svgEl(name, attrs = {}) {
  const e = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs))
    e.setAttribute(k, v);
  return e;
}

export class Chart {
  constructor(spec, parent) {
    this.spec = spec;
    const id = 'chart-' + spec.id;
    this.figure = el('figure', { class: 'chart', id, 'data-chart': spec.id });
    const head = el('figcaption');
    head.append(el('h3', { id: id + '-title' }, spec.title));
    this.legend = el('ul', { class: 'legend', 'aria-label': spec.title + ', latest values' });
    this.items = spec.series.map((s, i) => {
      const li = el('li', { 'data-series': s.id, class: 's' + i });
      const sw = el('span', { class: 'swatch', 'aria-hidden': 'true' });
      const label = el('span', { class: 'label' }, s.label);
      const value = el('span', { class: 'value' }, '\u2013');
      li.append(sw, label, ' ', value);
      this.legend.append(li);
      return { li, value };
    });
    head.append(this.legend);
    if (spec.ratio)
      head.append(this.ratio = el('p', { class: 'note' }, ''));
    this.figure.append(head);
    // Its accessible name is its <title>: the chart's title and latest values.
    this.svg = svgEl('svg', { role: 'img', height: HEIGHT, class: 'plot' });
    this.svgTitle = svgEl('title');
    this.svg.append(this.svgTitle);
    this.grid = svgEl('g', { class: 'grid' });
    this.lines = svgEl('g', { class: 'lines' });
    this.svg.append(this.grid, this.lines);
    this.paths = spec.series.map((s, i) => {
      const p = svgEl('path', { class: 'line s' + i });
      this.lines.append(p);
      return p;
    });
    // Lone points (no neighbour within the gap), drawn bigger.
    this.dots = spec.series.map((s, i) => {
      const p = svgEl('path', { class: 'dots s' + i });
      this.lines.append(p);
      return p;
    });
    this.figure.append(this.svg);
    if (spec.top) {
      this.topHead = el('h4', { id: id + '-top' }, 'Largest battles now');
      this.top = el('ol', { class: 'top', 'aria-labelledby': id + '-top' });
      this.figure.append(this.topHead, this.top);
    }
    parent.append(this.figure);
  }

  // The value text of series s now (null when none).
  latestOf(history, s) {
    const fresh = s.kind === 'quantile' || s.kind === 'mean' ? FRESH_MS : 3000;
    return history.latest(s.id, fresh);
  }

  // Redraws from history, the window ending at now (ms).
  render(history, now, width) {
    const spec = this.spec;
    const w = Math.max(width || this.svg.clientWidth || 300, 120);
    const x0 = PAD.left, x1 = w - PAD.right, y0 = HEIGHT - PAD.bottom, y1 = PAD.top;
    const from = now - history.windowMs;
    const pts = history.points;

    // The legend and the accessible summary: the latest value of each.
    const parts = [];
    spec.series.forEach((s, i) => {
      const v = this.latestOf(history, s);
      // A quantile or mean with no observation lately: say so.
      const text = v === null && (s.kind === 'quantile' || s.kind === 'mean') && pts.length ? 'none lately' : spec.fmt(v);
      this.items[i].value.textContent = text;
      this.items[i].li.dataset.value = v === null ? '' : String(v);
      parts.push(`${s.label} ${text}`);
    });
    if (this.ratio) {
      let raw = 0, sent = 0;
      for (const p of pts)
        if (p.t >= now - 60000 && p.v[spec.ratio.raw] !== null && p.v[spec.ratio.sent] !== null) {
          raw += p.v[spec.ratio.raw];
          sent += p.v[spec.ratio.sent];
        }
      this.ratio.textContent = sent > 0 ? `Compression over the last minute: ${(raw / sent).toFixed(2)}\u00d7 (sent ${Math.round(100 * sent / raw)} % of raw)` : 'Compression over the last minute: no stream bytes';
      parts.push(this.ratio.textContent);
    }
    let warn = false;
    if (spec.threshold) {
      const over = spec.series.some((s) => (this.latestOf(history, s) ?? 0) > spec.threshold.value);
      warn = over;
      this.figure.classList.toggle('warn', over);
      parts.push(over ? `Warning: past the ${spec.threshold.label}` : `under the ${spec.threshold.label}`);
    }
    const restarts = history.restarts.filter((t) => t >= now - history.windowMs);
    if (restarts.length)
      parts.push(`server restarted at ${restarts.map(clock).join(', ')}`);
    this.svgTitle.textContent = `${spec.title}, last 15 minutes: ${parts.join('; ')}`;

    // The scale: 0 to a round number above everything shown.
    let max = 0;
    for (const p of pts)
      if (p.t >= from)
        for (const s of spec.series) {
          const v = p.v[s.id];
          if (v !== null && v > max) max = v;
        }
    if (spec.threshold && (max > spec.threshold.value / 4 || warn))
      max = Math.max(max, spec.threshold.value);
    if (spec.binary && max >= 1024) {
      // Bytes: round in KiB, MiB... (250 KiB, not 244.1).
      const k = 1024 ** Math.floor(Math.log(max) / Math.log(1024));
      max = niceCeil(max / k) * k;
    } else {
      max = niceCeil(max || (spec.unit === 'seconds' ? 0.001 : 1), spec.whole);
    }
    const sx = (t) => x0 + (t - from) / (now - from) * (x1 - x0);
    const sy = (v) => y0 - v / max * (y0 - y1);

    // Grid and axes.
    const g = [];
    for (const f of [0, 0.5, 1]) {
      const y = sy(max * f).toFixed(1);
      g.push(svgEl('line', { x1: x0, x2: x1, y1: y, y2: y, class: f ? 'rule' : 'axis' }));
      const t = svgEl('text', { x: x0 - 4, y: (+y + 4).toFixed(1), 'text-anchor': 'end', class: 'tick' });
      t.textContent = spec.fmt(max * f);
      g.push(t);
    }
    const step = 5 * 60000;
    for (let t = Math.ceil(from / step) * step; t <= now; t += step) {
      const x = sx(t).toFixed(1);
      g.push(svgEl('line', { x1: x, x2: x, y1: y0, y2: y0 + 3, class: 'axis' }));
      const label = svgEl('text', { x, y: HEIGHT - 4, 'text-anchor': 'middle', class: 'tick' });
      label.textContent = clock(t).slice(0, 5);
      g.push(label);
    }
    // Outages shaded, restarts as dashed verticals.
    for (const o of history.outages) {
      const a = Math.max(o.from, from), b = Math.min(o.to ?? now, now);
      if (b <= a) continue;
      g.push(svgEl('rect', { x: sx(a).toFixed(1), y: y1, width: Math.max(sx(b) - sx(a), 1).toFixed(1), height: y0 - y1, class: 'outage' }));
    }
    for (const t of history.restarts) {
      if (t < from) continue;
      const x = sx(t).toFixed(1);
      g.push(svgEl('line', { x1: x, x2: x, y1: y1, y2: y0, class: 'restart' }));
      const label = svgEl('text', { x: (+x - 3).toFixed(1), y: y1 + 9, 'text-anchor': 'end', class: 'tick restart-label' });
      label.textContent = 'restart';
      g.push(label);
    }
    if (spec.threshold && spec.threshold.value <= max) {
      const y = sy(spec.threshold.value).toFixed(1);
      g.push(svgEl('line', { x1: x0, x2: x1, y1: y, y2: y, class: 'threshold' }));
      const t = svgEl('text', { x: x1 - 2, y: (+y - 3).toFixed(1), 'text-anchor': 'end', class: 'tick threshold-label' });
      t.textContent = spec.threshold.label;
      g.push(t);
    }
    this.grid.replaceChildren(...g);

    // The lines.
    spec.series.forEach((s, i) => {
      let d = '', dots = '', prevT = -Infinity, run = 0, first = '';
      // A lone point: a zero-length segment, drawn as a dot by the round cap.
      const endRun = () => { if (run === 1) dots += first + 'h0'; run = 0; };
      for (const p of pts) {
        const v = p.v[s.id];
        if (p.t < from || v === null || v === undefined) {
          prevT = -Infinity;
          continue;
        }
        const xy = `${sx(p.t).toFixed(1)} ${sy(Math.min(v, max)).toFixed(1)}`;
        if (p.t - prevT > GAP_MS) {
          endRun();
          first = 'M' + xy;
          d += first;
        } else {
          d += 'L' + xy;
        }
        run++;
        prevT = p.t;
      }
      endRun();
      this.paths[i].setAttribute('d', d);
      this.dots[i].setAttribute('d', dots);
    });
  }

  // The largest battles now (for the state chart): the top five by size.
  renderTop(battles) {
    if (!this.top)
      return;
    const rows = Object.entries(battles ?? {})
      .filter(([, b]) => b)
      .sort(([, a], [, b]) => (b.state_bytes ?? 0) - (a.state_bytes ?? 0))
      .slice(0, 5);
    if (!rows.length) {
      this.top.replaceChildren(el('li', { class: 'empty' }, 'No battle hosted.'));
      return;
    }
    this.top.replaceChildren(...rows.map(([id, b]) => {
      const over = b.state_bytes > STATE_BOUND;
      const li = el('li', { class: over ? 'over' : '' });
      li.append(el('span', { class: 'name' }, `${b.name || id} (${id})`), ' ',
        el('span', { class: 'value' }, fmtBytes(b.state_bytes)));
      if (over)
        li.append(' ', el('strong', { class: 'flag' }, 'over 100 KiB'));
      return li;
    }));
  }
}
