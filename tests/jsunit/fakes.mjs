// Fakes for the client library's unit tests: timers driven by hand, an
// EventSource the test drives, fetch answers from a script, localStorage.

// setTimeout/clearTimeout on a clock that moves only by advance(ms).
export class FakeTimers {
  now = 0;
  #next = 1;
  #due = new Map();   // id -> {at, fn}

  setTimeout = (fn, ms = 0) => {
    const id = this.#next++;
    this.#due.set(id, { at: this.now + Math.max(0, ms), fn });
    return id;
  };

  clearTimeout = (id) => { this.#due.delete(id); };

  // Timers still waiting.
  get pending() { return this.#due.size; }

  // Moves the clock by ms, running each timer that falls due, in order.
  advance(ms) {
    const end = this.now + ms;
    for (;;) {
      let first = null;
      for (const [id, t] of this.#due)
        if (t.at <= end && (first === null || t.at < first[1].at)) first = [id, t];
      if (first === null) break;
      this.#due.delete(first[0]);
      this.now = first[1].at;
      first[1].fn();
    }
    this.now = end;
  }
}

// An EventSource whose events the test sends; every instance is kept.
export class FakeEventSource {
  static CONNECTING = 0;
  static OPEN = 1;
  static CLOSED = 2;
  static instances = [];

  readyState = 0;
  closed = false;
  #lastId = '';
  #listeners = new Map();

  constructor(url) {
    this.url = url;
    FakeEventSource.instances.push(this);
  }

  static get last() { return FakeEventSource.instances.at(-1); }

  addEventListener(type, fn) {
    if (!this.#listeners.has(type)) this.#listeners.set(type, []);
    this.#listeners.get(type).push(fn);
  }

  close() {
    this.readyState = FakeEventSource.CLOSED;
    this.closed = true;
  }

  // Sends an event of this type; data is JSON-encoded unless a string; an
  // id becomes the last event id, which id-less events carry on, as in browsers.
  emit(type, data, id) {
    this.readyState = FakeEventSource.OPEN;
    if (id !== undefined) this.#lastId = id;
    const event = { type, data: typeof data === 'string' ? data : JSON.stringify(data), lastEventId: this.#lastId };
    for (const fn of this.#listeners.get(type) ?? []) fn(event);
  }

  // An error, after which the stream is in readyState (CONNECTING: the
  // browser retries by itself; CLOSED: it gave up).
  fail(readyState) {
    this.readyState = readyState;
    for (const fn of this.#listeners.get('error') ?? []) fn({ type: 'error' });
  }
}

// A Response-like answer for the fake fetch.
export function answer(status, body, headers = {}) {
  const text = body === undefined ? '' : typeof body === 'string' ? body : JSON.stringify(body);
  const h = new Map(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), String(v)]));
  return {
    ok: status >= 200 && status < 300, status, statusText: '',
    headers: { get: (name) => h.get(name.toLowerCase()) ?? null },
    text: async () => text,
  };
}

// A fetch that plays script (answers, or Errors to reject with) in turn and
// records each call as {url, init}.
export function fakeFetch(script) {
  const calls = [];
  const fetch = async (url, init) => {
    calls.push({ url, init });
    const next = script.shift();
    if (next === undefined) throw new Error('fake fetch: no answer left');
    if (next instanceof Error) throw next;
    return next;
  };
  return { fetch, calls };
}

// A Storage with getItem/setItem/removeItem/key/length.
export class MemoryStorage {
  #items = new Map();
  get length() { return this.#items.size; }
  key(i) { return [...this.#items.keys()][i] ?? null; }
  getItem(k) { return this.#items.has(k) ? this.#items.get(k) : null; }
  setItem(k, v) { this.#items.set(k, String(v)); }
  removeItem(k) { this.#items.delete(k); }
}
