// The dashboard's arithmetic, without a DOM (node can import it): reading
// the figures document of GET /metrics/events, the sample taken at each
// update, and what a chart plots from two consecutive samples (a gauge's
// value, a counter's rate, a histogram's quantile or mean over the
// interval between them).
//
// The document's `metrics` is the Prometheus registry by family name: a
// number for a series without labels; with labels, an object keyed
// "label=value,label=value"; a histogram (or each labelled series of one)
// is {count, sum, le: [finite upper bounds], buckets: [per bucket, not
// cumulative, +Inf last]}.

// The seed's bound on a battle's state.
export const STATE_BOUND = 100 * 1024;

// A histogram record?
function isHist(v) {
  return v !== null && typeof v === 'object' && Array.isArray(v.buckets);
}

// "a=b,c=d" -> {a: 'b', c: 'd'}.
export function parseLabels(key) {
  const out = {};
  if (!key)
    return out;
  for (const part of key.split(',')) {
    const eq = part.indexOf('=');
    if (eq > 0)
      out[part.slice(0, eq)] = part.slice(eq + 1);
  }
  return out;
}

// Whether a series key carries every label of want ({label: value or a
// predicate}).
function matches(key, want) {
  if (!want)
    return true;
  const labels = parseLabels(key);
  for (const [k, v] of Object.entries(want)) {
    const got = labels[k];
    if (typeof v === 'function' ? !v(got) : got !== v)
      return false;
  }
  return true;
}

// The sum of a counter or gauge family's series whose labels match want
// (0 when the family or the series is absent: a series not yet observed).
export function total(metrics, name, want) {
  const fam = metrics?.[name];
  if (typeof fam === 'number')
    return want ? 0 : fam;
  if (fam === null || typeof fam !== 'object' || isHist(fam))
    return 0;
  let sum = 0;
  for (const [key, v] of Object.entries(fam))
    if (typeof v === 'number' && matches(key, want))
      sum += v;
  return sum;
}

// A histogram family, its labelled series summed: {le, buckets, count,
// sum}, or null when absent.  The buckets are copied (the document is
// patched in place).
export function histogram(metrics, name) {
  const fam = metrics?.[name];
  if (fam === null || typeof fam !== 'object')
    return null;
  const parts = isHist(fam) ? [fam] : Object.values(fam).filter(isHist);
  let out = null;
  for (const h of parts) {
    if (!Array.isArray(h.le))
      continue;
    if (out === null) {
      out = { le: h.le.slice(), buckets: h.buckets.map(Number), count: +h.count || 0, sum: +h.sum || 0 };
    } else if (out.buckets.length === h.buckets.length) {
      for (let i = 0; i < out.buckets.length; i++)
        out.buckets[i] += +h.buckets[i] || 0;
      out.count += +h.count || 0;
      out.sum += +h.sum || 0;
    }
  }
  return out;
}

// The q-quantile of the observations counted in buckets (per bucket, +Inf
// last) with finite upper bounds le, as Prometheus' histogram_quantile()
// estimates it: linear interpolation within the bucket that holds the
// rank, the last finite bound when that is the +Inf bucket.  null when
// there is no observation.
export function quantile(q, le, buckets) {
  let n = 0;
  for (const b of buckets) {
    if (!(b >= 0))
      return null;
    n += b;
  }
  if (!n || !le.length)
    return null;
  const rank = q * n;
  let cum = 0;
  for (let i = 0; i < buckets.length; i++) {
    const before = cum;
    cum += buckets[i];
    if (cum >= rank && buckets[i] > 0) {
      if (i >= le.length)
        return le[le.length - 1];
      const lower = i === 0 ? Math.min(0, le[0]) : le[i - 1];
      return lower + (le[i] - lower) * (rank - before) / buckets[i];
    }
  }
  return le[le.length - 1];
}

// One sample of the document: the server's clock (uptime, and its start
// time, which tells a restart), and what each series needs, read at once
// (the document changes in place with the next delta).
//   series: [{id, kind: 'gauge'|'rate'|'quantile'|'mean', read(doc) for
//   gauge and rate, hist (family name) for quantile and mean}]
export function takeSample(doc, series, t) {
  const m = doc?.metrics ?? {};
  const sample = {
    t,
    up: total(m, 'broadside_uptime_seconds'),
    start: total(m, 'process_start_time_seconds'),
    values: {},
    hists: {},
  };
  for (const s of series) {
    if (s.kind === 'quantile' || s.kind === 'mean') {
      if (!(s.hist in sample.hists))
        sample.hists[s.hist] = histogram(m, s.hist);
    } else {
      sample.values[s.id] = s.read(doc);
    }
  }
  return sample;
}

// Whether cur continues prev: the same process, and its clock went on.
export function continues(prev, cur) {
  return !!prev && prev.start === cur.start && cur.up > prev.up;
}

// The buckets observed between two samples of one histogram, or null.
function bucketDiff(a, b) {
  if (!a || !b || a.buckets.length !== b.buckets.length)
    return null;
  const d = b.buckets.map((v, i) => v - a.buckets[i]);
  return d.some((v) => v < 0) ? null : { le: b.le, buckets: d, count: b.count - a.count, sum: b.sum - a.sum };
}

// What series s plots at cur, given the sample before it (null: nothing to
// plot, e.g. no observation in the interval, or a restart in between).
export function derive(s, prev, cur) {
  if (s.kind === 'gauge')
    return Number.isFinite(cur.values[s.id]) ? cur.values[s.id] : null;
  if (!continues(prev, cur))
    return null;
  const dt = cur.up - prev.up;
  if (s.kind === 'rate') {
    const d = cur.values[s.id] - prev.values[s.id];
    return Number.isFinite(d) && d >= 0 ? d / dt : null;
  }
  const diff = bucketDiff(prev.hists[s.hist], cur.hists[s.hist]);
  if (!diff || diff.count <= 0)
    return null;
  if (s.kind === 'mean')
    return diff.sum / diff.count;
  // floor: no observation is below it (items per commit: 1), where the
  // first bucket's interpolation from 0 would say less.
  const q = quantile(s.q, diff.le, diff.buckets);
  return q === null ? null : Math.max(q, s.floor ?? -Infinity);
}

// The points of the last windowMs: [{t, up, v: {seriesId: value|null}}],
// one per sample.
export class History {
  constructor(series, windowMs) {
    this.series = series;
    this.windowMs = windowMs;
    this.points = [];
    this.last = null;       // the latest sample
    this.restarts = [];     // times (ms) of the first sample of a new process
    this.outages = [];      // [{from, to}] (to null while it lasts): server unreachable
  }

  // The server became unreachable at t, or (up false) reachable again.
  outage(t, up) {
    const open = this.outages.length && this.outages[this.outages.length - 1].to === null;
    if (!up && !open)
      this.outages.push({ from: t, to: null });
    else if (up && open)
      this.outages[this.outages.length - 1].to = t;
  }

  // Takes a sample of doc at time t (ms); returns the point added.
  add(doc, t) {
    const cur = takeSample(doc, this.series, t);
    if (this.last && this.last.start !== cur.start)
      this.restarts.push(t);
    const v = {};
    for (const s of this.series)
      v[s.id] = derive(s, this.last, cur);
    this.last = cur;
    const point = { t, up: cur.up, v };
    this.points.push(point);
    this.prune(t);
    return point;
  }

  prune(now) {
    const from = now - this.windowMs - 5000;
    let drop = 0;
    while (drop < this.points.length && this.points[drop].t < from)
      drop++;
    if (drop)
      this.points.splice(0, drop);
    while (this.restarts.length && this.restarts[0] < from)
      this.restarts.shift();
    while (this.outages.length && this.outages[0].to !== null && this.outages[0].to < from)
      this.outages.shift();
  }

  // The newest non-null value of series id within maxAgeMs of the newest
  // point (null if none).
  latest(id, maxAgeMs = Infinity) {
    const pts = this.points;
    if (!pts.length)
      return null;
    const newest = pts[pts.length - 1].t;
    for (let i = pts.length - 1; i >= 0 && newest - pts[i].t <= maxAgeMs; i--)
      if (pts[i].v[id] !== null && pts[i].v[id] !== undefined)
        return pts[i].v[id];
    return null;
  }
}

// A round number at or above x (1, 2, 2.5, 5 times a power of ten; for
// whole counts, 2, 4 or 10 times one, at least 2, so that half of it is
// whole too).
export function niceCeil(x, whole = false) {
  if (whole)
    x = Math.max(x, 2);
  if (!(x > 0))
    return 1;
  const p = 10 ** Math.floor(Math.log10(x));
  for (const m of whole ? [1, 2, 4, 10] : [1, 2, 2.5, 5, 10])
    if (m * p >= x * (1 - 1e-9))
      return m * p;
  return 10 * p;
}

// --- formats ---------------------------------------------------------------

const DASH = '\u2013';

function trim(x, digits) {
  return Number(x.toFixed(digits)).toString();
}

export function fmtCount(x) {
  if (x === null || !Number.isFinite(x)) return DASH;
  if (Math.abs(x) >= 1e6) return trim(x / 1e6, 2) + ' M';
  if (Math.abs(x) >= 1e4) return trim(x / 1e3, 1) + ' k';
  return Number.isInteger(x) ? String(x) : trim(x, Math.abs(x) < 10 ? 2 : 1);
}

export function fmtRate(x) {
  return x === null || !Number.isFinite(x) ? DASH : fmtCount(x) + '/s';
}

export function fmtBytes(x) {
  if (x === null || !Number.isFinite(x)) return DASH;
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (Math.abs(x) >= 1024 && i < units.length - 1) { x /= 1024; i++; }
  return (i ? trim(x, Math.abs(x) < 10 ? 2 : 1) : String(Math.round(x))) + ' ' + units[i];
}

export function fmtByteRate(x) {
  return x === null || !Number.isFinite(x) ? DASH : fmtBytes(x) + '/s';
}

export function fmtSeconds(x) {
  if (x === null || !Number.isFinite(x)) return DASH;
  if (x === 0) return '0 ms';
  if (x < 1e-3) return trim(x * 1e6, x < 1e-5 ? 1 : 0) + ' \u00b5s';
  if (x < 1) return trim(x * 1e3, x < 1e-2 ? 2 : x < 0.1 ? 1 : 0) + ' ms';
  return trim(x, 2) + ' s';
}

export function fmtDuration(s) {
  if (!Number.isFinite(s)) return DASH;
  s = Math.floor(s);
  const d = Math.floor(s / 86400), h = Math.floor(s % 86400 / 3600), m = Math.floor(s % 3600 / 60);
  if (d) return `${d} d ${h} h`;
  if (h) return `${h} h ${m} min`;
  if (m) return `${m} min ${s % 60} s`;
  return `${s} s`;
}

// HH:MM:SS of a time in ms, local, 24-hour.
export function clock(ms) {
  const d = new Date(ms);
  return [d.getHours(), d.getMinutes(), d.getSeconds()].map((n) => String(n).padStart(2, '0')).join(':');
}
