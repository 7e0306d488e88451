// The battle server's HTTP API (broadside-api(7)) for the consoles: JSON in
// and out, the bearer token, an Idempotency-Key on every change so that a
// retried request is done once, bounded retries, and errors as ApiError
// carrying the server's problem details.

const RETRY_DELAYS_MS = [250, 750, 1500];
const MAX_RETRY_AFTER_MS = 10000;
const TIMEOUT_MS = 15000;
const IN_FLIGHT = 'urn:broadside:problem:idempotency-in-flight';

// An error answer (or no answer): status (0 when the server could not be
// reached), type, title and detail of the problem; message is the detail.
export class ApiError extends Error {
  constructor({ status = 0, type = 'about:blank', title = '', detail = '' } = {}) {
    super(detail || title || `HTTP ${status}`);
    this.name = 'ApiError';
    this.status = status;
    this.type = type;
    this.title = title;
    this.detail = detail || this.message;
  }
}

// Milliseconds to wait for a Retry-After header (seconds or a date), or null.
function retryAfterMs(header, now = Date.now()) {
  if (header == null || header === '')
    return null;
  const ms = /^\s*\d+\s*$/.test(header) ? Number(header) * 1000 : Date.parse(header) - now;
  return Number.isFinite(ms) ? Math.min(Math.max(ms, 0), MAX_RETRY_AFTER_MS) : null;
}

// The ApiError for a response that is not 2xx.
async function errorOf(res) {
  const text = await res.text().catch(() => '');
  let problem = null;
  try {
    problem = JSON.parse(text);
  } catch { /* not JSON: described below */ }
  if (problem !== null && typeof problem === 'object')
    return new ApiError({
      status: res.status, type: problem.type ?? 'about:blank',
      title: problem.title ?? res.statusText, detail: String(problem.detail ?? problem.title ?? ''),
    });
  const plain = text.trim();
  const readable = plain && plain.length <= 200 && !plain.startsWith('<');
  return new ApiError({
    status: res.status, title: res.statusText,
    detail: readable ? plain : `The server answered ${res.status}${res.statusText ? ' ' + res.statusText : ''}.`,
  });
}

// The body of a 2xx response: parsed JSON, or null when there is none.
async function bodyOf(res) {
  const text = await res.text();
  if (text.trim() === '')
    return null;
  try {
    return JSON.parse(text);
  } catch {
    throw new ApiError({ status: res.status, title: 'Bad answer', detail: 'The server\'s answer was not JSON.' });
  }
}

// A fresh Idempotency-Key (randomUUID needs a secure context; LAN http has none).
function newKey() {
  if (typeof crypto.randomUUID === 'function')
    return crypto.randomUUID();
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join('');
}

// How long to wait before retrying after this error, or null for never:
// 429/503 with Retry-After, and 409 while the same key is still in flight.
function retryWait(res, error, attempt) {
  if (res.status === 429 || res.status === 503)
    return retryAfterMs(res.headers.get('Retry-After'));
  if (res.status === 409 && error.type === IN_FLIGHT)
    return RETRY_DELAYS_MS[attempt];
  return null;
}

// Resolves after ms.
const sleepFor = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
// A template tag: the path with each ${part} URL-encoded.
const path = (strings, ...parts) =>
  strings.reduce((out, s, i) => out + s + (i < parts.length ? encodeURIComponent(parts[i]) : ''), '');

export class Api {
  // options: base URL ('' for this origin), token (bearer), fetchImpl,
  // sleep (ms -> Promise, for tests), timeoutMs per attempt.
  constructor({ base = '', token = null, fetchImpl = (...a) => globalThis.fetch(...a),
    sleep = sleepFor, timeoutMs = TIMEOUT_MS } = {}) {
    this.base = base;
    this.token = token;
    this.fetchImpl = fetchImpl;
    this.sleep = sleep;
    this.timeoutMs = timeoutMs;
  }

  // Sends a request and resolves to the answer's JSON (null when empty);
  // rejects with ApiError.  Changes carry one Idempotency-Key across retries.
  async request(method, url, body) {
    const init = { method, headers: { Accept: 'application/json' } };
    if (this.token)
      init.headers.Authorization = `Bearer ${this.token}`;
    if (method !== 'GET' && method !== 'HEAD')
      init.headers['Idempotency-Key'] = newKey();
    if (body !== undefined) {
      init.headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    for (let attempt = 0; ; attempt++) {
      const last = attempt >= RETRY_DELAYS_MS.length;
      let res;
      try {
        res = await this.fetchImpl(this.base + url, this.#withTimeout(init));
      } catch (err) {
        if (last)
          throw new ApiError({ title: 'Network error', detail: `Could not reach the server (${err?.message || err}).` });
        await this.sleep(RETRY_DELAYS_MS[attempt]);
        continue;
      }
      if (res.ok)
        return bodyOf(res);
      const error = await errorOf(res);
      const wait = last ? null : retryWait(res, error, attempt);
      if (wait === null)
        throw error;
      await this.sleep(wait);
    }
  }

  #withTimeout(init) {
    return this.timeoutMs > 0 && typeof globalThis.AbortSignal?.timeout === 'function'
      ? { ...init, signal: AbortSignal.timeout(this.timeoutMs) } : init;
  }

  // POST /v1/battles: {name, round_seconds, spectators} -> {id, gm_token, join_code, urls, ...}.
  createBattle(settings = {}) { return this.request('POST', '/v1/battles', settings); }
  // Joins battle id with its join code, as a player or a spectator.
  join(id, code, name, role = 'player') {
    return this.request('POST', path`/v1/battles/${id}/players`, { join_code: code, name, role });
  }
  // Who this token is in battle id: {battle, role, player, name, stations}.
  me(id) { return this.request('GET', path`/v1/battles/${id}/me`); }
  // The view document of battle id.
  battle(id) { return this.request('GET', path`/v1/battles/${id}`); }
  // A page of the log: entries with seq > after -> {entries, next, more}.
  log(id, after = 0, limit = 100) {
    return this.request('GET', path`/v1/battles/${id}/log` + `?after=${Number(after)}&limit=${Number(limit)}`);
  }
  // Takes station st for this player (or, for the GM, gives it to player).
  takeStation(id, st, player) {
    return this.request('PUT', path`/v1/battles/${id}/stations/${st}`, player === undefined ? undefined : { player });
  }
  // Frees station st.
  freeStation(id, st) { return this.request('DELETE', path`/v1/battles/${id}/stations/${st}`); }
  // Gives an order {round, station|ship, type, ...} -> the 202 receipt.
  order(id, body) { return this.request('POST', path`/v1/battles/${id}/orders`, body); }
  // Gives several orders of one author in one commit -> each outcome.
  orders(id, list) { return this.request('POST', path`/v1/battles/${id}/orders`, { orders: list }); }
  // GM: adds a ship from a spec -> {ship: newId, ...}.
  addShip(id, spec) { return this.request('POST', path`/v1/battles/${id}/ships`, spec); }
  // GM: changes ship `ship` (move, hide, reveal, numbers).
  editShip(id, ship, changes) { return this.request('PATCH', path`/v1/battles/${id}/ships/${ship}`, changes); }
  // GM: removes ship `ship`.
  removeShip(id, ship) { return this.request('DELETE', path`/v1/battles/${id}/ships/${ship}`); }
  // GM: starts the battle (lobby -> planning round 1).
  start(id) { return this.request('POST', path`/v1/battles/${id}/start`); }
  // GM: ends the battle with no winner.
  end(id) { return this.request('POST', path`/v1/battles/${id}/end`); }
  // GM: ends planning and resolves the round now.
  resolve(id) { return this.request('POST', path`/v1/battles/${id}/resolve`); }
  // GM: posts narration text to the log.
  narrate(id, text) { return this.request('POST', path`/v1/battles/${id}/narration`, { text }); }
  // GM: stops the round clock with the time left.
  pause(id) { return this.request('POST', path`/v1/battles/${id}/pause`); }
  // GM: starts the round clock again.
  resume(id) { return this.request('POST', path`/v1/battles/${id}/resume`); }
  // GM: moves the deadline by seconds (-600..600).
  extend(id, seconds) { return this.request('POST', path`/v1/battles/${id}/extend`, { seconds }); }
  // GM: changes settings {round_seconds?, spectators?}.
  settings(id, changes) { return this.request('PATCH', path`/v1/battles/${id}`, changes); }
  // GM: sets a player's skill (0..3).
  setSkill(id, player, skill) { return this.request('PATCH', path`/v1/battles/${id}/players/${player}`, { skill }); }
  // GM: deletes the battle and everything in it.
  deleteBattle(id) { return this.request('DELETE', path`/v1/battles/${id}`); }
}
