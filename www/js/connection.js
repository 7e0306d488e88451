// The live link to a battle: one EventSource on the battle's event stream,
// whose events go to a BattleStore, watched by a watchdog and reopened when
// it drops, with its state ("connecting", "live", "reconnecting",
// "resyncing", "offline", "closed") published for the console's banner.

const WATCHDOG_FACTOR = 2.5;
const DEFAULT_RETRY_MS = 3000;
const MAX_BACKOFF_MS = 30000;
// How long "resyncing" shows when nothing else ends it.
const RESYNC_MS = 2000;
// After a reconnection's hello: how long a snapshot may take to follow
// before the stream counts as resumed (live).
const SETTLE_MS = 500;

// The stream's events, and the store method each one goes to.
const ROUTES = {
  snapshot: (store, data) => store.applySnapshot(data),
  delta: (store, data) => store.applyDelta(data),
  log: (store, data) => store.applyLog(data.entries),
  round: (store, data) => store.applyRound(data),
  presence: (store, data) => store.applyPresence(data),
  accepted: (store, data) => store.applyAccepted(data),
  heartbeat: (store, data) => store.noteServerTime(data.now),
  hello: (store, data) => store.resetClock(data.now),
};

// Events after which "resyncing" gives way to "live": new changes.
const CHANGES = new Set(['delta', 'log', 'round']);

// url with its query parameter name set to value (and no fragment).
function withParam(url, name, value) {
  const hash = url.indexOf('#');
  const base = hash < 0 ? url : url.slice(0, hash);
  const q = base.indexOf('?');
  const params = new URLSearchParams(q < 0 ? '' : base.slice(q + 1));
  params.set(name, value);
  return (q < 0 ? base : base.slice(0, q)) + '?' + params;
}

// A positive finite number, or fallback.
function positive(v, fallback) {
  return typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : fallback;
}

export class Connection extends EventTarget {
  #url; #store; #now; #ES; #timers; #window;
  #es = null;
  #heartbeatMs;
  #retryMs = DEFAULT_RETRY_MS;
  #failures = 0;            // failed openings since the last hello
  #dropped = false;         // lost, and not live again yet
  #pending = new Map();     // timer name -> handle
  #onOnline = () => this.#online();
  #onOffline = () => this.#offline();

  // options: url (events URL with access_token), store (a BattleStore),
  // heartbeatMs until a hello says otherwise, now (clock for `since`),
  // EventSourceImpl, timers ({setTimeout, clearTimeout}), window (for
  // online/offline and navigator.onLine; none outside a browser).
  constructor({ url, store, heartbeatMs = 15000, now = () => Date.now(),
    EventSourceImpl = globalThis.EventSource, timers = globalThis,
    window: win = globalThis.window } = {}) {
    super();
    this.#url = url;
    this.#store = store;
    this.#now = now;
    this.#ES = EventSourceImpl;
    this.#timers = timers;
    this.#window = win;
    this.#heartbeatMs = heartbeatMs;
    this.state = 'connecting';
    this.since = now();
    this.lastEventId = '';
    this.reconnects = 0;
    this.snapshots = 0;
  }

  // Opens the stream (or waits for the network, when offline).
  start() {
    this.#window?.addEventListener('online', this.#onOnline);
    this.#window?.addEventListener('offline', this.#onOffline);
    if (this.#window?.navigator?.onLine === false)
      this.#offline();
    else
      this.#open(this.#url);
  }

  // Closes the stream for good: no EventSource, listener or timer is left.
  close() {
    this.#window?.removeEventListener('online', this.#onOnline);
    this.#window?.removeEventListener('offline', this.#onOffline);
    this.#shut();
    this.#setState('closed');
  }

  // Drops the stream and reopens it at once, resuming from lastEventId.
  reconnectNow() {
    if (this.state === 'closed')
      return;
    this.#failures = 0;
    this.#reopenNow();
  }

  #open(url) {
    const es = new this.#ES(url);
    this.#es = es;
    for (const type of [...Object.keys(ROUTES), 'message'])
      es.addEventListener(type, (e) => this.#receive(es, type, e));
    es.addEventListener('error', () => this.#error(es));
    this.#armWatchdog();
  }

  // Drops the stream and opens a new one, with ?last_event_id= when there
  // is one (a new EventSource does not send Last-Event-ID by itself).
  #reopenNow() {
    this.#drop();
    this.#open(this.lastEventId ? withParam(this.#url, 'last_event_id', this.lastEventId) : this.#url);
  }

  // Drops the stream and reopens it after the retry hint, doubled with
  // every failure since the last hello (and a little jitter).
  #reopenLater() {
    this.#drop();
    const delay = Math.min(this.#retryMs * 2 ** this.#failures, MAX_BACKOFF_MS);
    this.#failures++;
    this.#later('reopen', delay * (0.75 + Math.random() / 4), () => this.#reopenNow());
  }

  #receive(es, type, e) {
    if (es !== this.#es)
      return;
    if (e.lastEventId)
      this.lastEventId = e.lastEventId;
    let data;
    try {
      data = JSON.parse(e.data);
    } catch {
      // The document can no longer be trusted: start again from a snapshot.
      this.lastEventId = '';
      return this.#reopenLater();
    }
    if (type === 'hello') {
      this.#heartbeatMs = positive(data.heartbeat_ms, this.#heartbeatMs);
      this.#retryMs = positive(data.retry_ms, this.#retryMs);
      this.#failures = 0;
    }
    if (type === 'snapshot')
      this.snapshots++;
    this.#armWatchdog();
    ROUTES[type]?.(this.#store, data);
    this.#advance(type);
  }

  // The state an event leads to.
  #advance(type) {
    if (this.#dropped) {
      if (type === 'hello')
        this.#later('settle', SETTLE_MS, () => this.#back('live'));
      else
        this.#back(type === 'snapshot' ? 'resyncing' : 'live');
    } else if (this.state === 'resyncing') {
      if (CHANGES.has(type))
        this.#goLive();
    } else {
      this.#setState('live');
    }
  }

  // Back after a drop: live, or resyncing for a while after a snapshot.
  #back(state) {
    this.#cancel('settle');
    this.#dropped = false;
    this.reconnects++;
    if (state === 'resyncing')
      this.#later('resync', RESYNC_MS, () => this.#goLive());
    this.#setState(state);
  }

  #goLive() {
    this.#cancel('resync');
    this.#setState('live');
  }

  #error(es) {
    if (es !== this.#es)
      return;
    if (es.readyState === this.#ES.CLOSED) {
      // The browser gave up (an HTTP error, say): ours to reopen.
      this.#reopenLater();
    } else {
      // The browser reconnects by itself, watched by the watchdog.
      this.#dropped = true;
      this.#cancel('settle');
      this.#cancel('resync');
      this.#setState('reconnecting');
    }
  }

  #armWatchdog() {
    this.#later('watchdog', this.#heartbeatMs * WATCHDOG_FACTOR, () => this.#reopenNow());
  }

  // Shuts the stream and enters "reconnecting".
  #drop() {
    this.#shut();
    this.#dropped = true;
    this.#setState('reconnecting');
  }

  #online() {
    if (this.state !== 'offline')
      return;
    this.#failures = 0;
    this.#reopenNow();
  }

  #offline() {
    this.#shut();
    this.#dropped = true;
    this.#setState('offline');
  }

  // Closes the EventSource and cancels every timer.
  #shut() {
    this.#es?.close();
    this.#es = null;
    for (const name of [...this.#pending.keys()])
      this.#cancel(name);
  }

  // Runs fn after ms, replacing the timer of that name.
  #later(name, ms, fn) {
    this.#cancel(name);
    this.#pending.set(name, this.#timers.setTimeout(() => {
      this.#pending.delete(name);
      fn();
    }, ms));
  }

  #cancel(name) {
    if (!this.#pending.has(name))
      return;
    this.#timers.clearTimeout(this.#pending.get(name));
    this.#pending.delete(name);
  }

  #setState(state) {
    if (state === this.state)
      return;
    const previous = this.state;
    this.state = state;
    this.since = this.#now();
    this.dispatchEvent(new CustomEvent('state', { detail: { state, since: this.since, previous } }));
  }
}
