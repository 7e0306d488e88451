// The battle as this browser knows it: the view document kept current by the
// event stream, the combat log, presence, the last accepted order and the
// server's clock.  Every apply* call dispatches one `change` event whose
// detail names what changed, so that a console redraws only that: one ship
// moving costs that ship, not the map.

import { isObject, mergePatch } from './merge.js';

// Offsets further than this from the local clock are taken for garbage.
const MAX_OFFSET_MS = 366 * 24 * 3600 * 1000;

// A change record with nothing in it.
function emptyChange() {
  return {
    snapshot: false, ships: new Set(), removedShips: new Set(), keys: new Set(),
    log: [], logReset: false, round: false, presence: false, accepted: null,
  };
}

// The ids of an object of ships, as a Set (none for a non-object).
function shipIds(ships) {
  return new Set(isObject(ships) ? Object.keys(ships) : []);
}

// The index at which an entry with this seq goes into log (sorted by seq).
function insertionIndex(log, seq) {
  let lo = 0, hi = log.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (log[mid].seq < seq) lo = mid + 1; else hi = mid;
  }
  return lo;
}

export class BattleStore extends EventTarget {
  #now;
  #seqs = new Set();
  #clockSampled = false;

  // options.now: the local clock (ms), Date.now by default.
  constructor({ now = () => Date.now() } = {}) {
    super();
    this.doc = null;
    this.log = [];
    this.presence = { gm: false, players: [], spectators: 0 };
    this.lastAccepted = null;
    this.clockOffset = 0;
    this.#now = now;
  }

  // Replaces the document with a `snapshot` (its `now` goes to the clock).
  applySnapshot(doc) {
    const change = emptyChange();
    change.snapshot = true;
    const before = this.doc ?? {};
    if ('now' in doc) {
      this.noteServerTime(doc.now);
      delete doc.now;
    }
    for (const key of [...Object.keys(before), ...Object.keys(doc)])
      change.keys.add(key);
    const oldIds = shipIds(before.ships), newIds = shipIds(doc.ships);
    for (const id of oldIds)
      if (!newIds.has(id)) change.removedShips.add(id);
    change.ships = new Set([...oldIds, ...newIds]);
    this.doc = doc;
    this.#emit(change);
  }

  // Applies a `delta` (RFC 7386 merge patch) at the cost of what it names.
  applyDelta(patch) {
    const change = emptyChange();
    // A patch that is not an object would replace the document: refused.
    if (isObject(patch)) {
      const doc = this.doc ?? {};
      for (const key of Object.keys(patch)) {
        change.keys.add(key);
        if (key === 'ships')
          this.#noteShips(doc.ships, patch.ships, change);
      }
      this.doc = mergePatch(doc, patch);
    }
    this.#emit(change);
  }

  // Adds log entries, ignoring those already held (same seq).
  applyLog(entries) {
    const change = emptyChange();
    for (const entry of entries ?? []) {
      if (!entry || typeof entry.seq !== 'number' || this.#seqs.has(entry.seq))
        continue;
      this.#seqs.add(entry.seq);
      const last = this.log.length ? this.log[this.log.length - 1].seq : -Infinity;
      if (entry.seq > last) this.log.push(entry);
      else this.log.splice(insertionIndex(this.log, entry.seq), 0, entry);
      change.log.push(entry);
    }
    change.log.sort((a, b) => a.seq - b.seq);
    this.#emit(change);
  }

  // Replaces the whole log (a page read with GET /log); detail.logReset is true.
  setLog(entries) {
    this.log = [];
    this.#seqs = new Set();
    const change = emptyChange();
    change.logReset = true;
    for (const entry of entries ?? [])
      if (entry && typeof entry.seq === 'number' && !this.#seqs.has(entry.seq)) {
        this.#seqs.add(entry.seq);
        this.log.push(entry);
      }
    this.log.sort((a, b) => a.seq - b.seq);
    change.log = [...this.log];
    this.#emit(change);
  }

  // Takes a `round` event: round, phase, deadline and paused_ms (absent
  // once the clock runs again) into doc, now to the clock.
  applyRound(r) {
    const change = emptyChange();
    change.round = true;
    this.noteServerTime(r.now);
    if (this.doc) {
      for (const key of ['round', 'phase', 'deadline'])
        if (key in r && this.doc[key] !== r[key]) {
          this.doc[key] = r[key];
          change.keys.add(key);
        }
      if (this.doc.paused_ms !== r.paused_ms) {
        if (r.paused_ms === undefined) delete this.doc.paused_ms;
        else this.doc.paused_ms = r.paused_ms;
        change.keys.add('paused_ms');
      }
    }
    this.#emit(change);
  }

  // Takes a `presence` event: {gm, players, spectators}.
  applyPresence(p) {
    this.presence = { gm: !!p.gm, players: Array.isArray(p.players) ? p.players : [], spectators: p.spectators | 0 };
    const change = emptyChange();
    change.presence = true;
    this.#emit(change);
  }

  // Takes an `accepted` event (or a 202 answer to an order).
  applyAccepted(a) {
    this.lastAccepted = a;
    const change = emptyChange();
    change.accepted = a;
    this.#emit(change);
  }

  // Takes a sample of the server's clock; the offset is the largest sample
  // since the last resetClock() (each is a lower bound: transit only lowers it).
  noteServerTime(nowMs) {
    if (typeof nowMs !== 'number' || !Number.isFinite(nowMs) || nowMs <= 0)
      return;
    const sample = nowMs - this.#now();
    if (Math.abs(sample) > MAX_OFFSET_MS)
      return;
    if (!this.#clockSampled || sample > this.clockOffset)
      this.clockOffset = sample;
    this.#clockSampled = true;
  }

  // Forgets the clock samples (a new connection's `hello`) and takes nowMs.
  resetClock(nowMs) {
    this.#clockSampled = false;
    this.noteServerTime(nowMs);
  }

  // The server's clock now, in epoch ms.
  serverNow() {
    return this.#now() + this.clockOffset;
  }

  // Whole seconds left until doc.deadline (0 once passed; the time left,
  // frozen, while the GM has paused the clock), null without a deadline.
  secondsLeft() {
    if (this.doc?.paused_ms > 0)
      return Math.ceil(this.doc.paused_ms / 1000);
    const deadline = this.doc?.deadline;
    if (!deadline)
      return null;
    return Math.max(0, Math.ceil((deadline - this.serverNow()) / 1000));
  }

  // The seq of the newest log entry held (0 for none): `after` for GET /log.
  get lastLogSeq() {
    return this.log.length ? this.log[this.log.length - 1].seq : 0;
  }

  // Records which ships a patch of doc.ships adds, changes or removes.
  #noteShips(ships, patch, change) {
    const had = (id) => isObject(ships) && Object.hasOwn(ships, id);
    if (!isObject(patch)) {
      // The whole member replaced (or removed): every ship it held is gone.
      for (const id of shipIds(ships)) {
        change.ships.add(id);
        change.removedShips.add(id);
      }
      return;
    }
    for (const id of Object.keys(patch)) {
      if (patch[id] === null && !had(id))
        continue;
      change.ships.add(id);
      if (patch[id] === null)
        change.removedShips.add(id);
    }
  }

  // Dispatches the one `change` event of an apply.
  #emit(change) {
    this.dispatchEvent(new CustomEvent('change', { detail: change }));
  }
}
