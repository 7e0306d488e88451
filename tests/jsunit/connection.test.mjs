// Connection: routing, the watchdog, reopening with last_event_id, states, offline, close.
import test from 'node:test';
import assert from 'node:assert/strict';
import { Connection } from '../../www/js/connection.js';
import { BattleStore } from '../../www/js/store.js';
import { FakeEventSource, FakeTimers } from './fakes.mjs';

const URL = '/v1/battles/b1/events?access_token=T0k-en_';
const DOC = { id: 'b1', phase: 'planning', round: 1, deadline: 0, ships: { 1: { id: 1, x: 1, y: 1 } } };

// A started connection on fakes; states collects every state event's detail.
function started({ window } = {}) {
  FakeEventSource.instances.length = 0;
  const timers = new FakeTimers();
  const store = new BattleStore({ now: () => timers.now });
  const conn = new Connection({ url: URL, store, EventSourceImpl: FakeEventSource, timers, now: () => timers.now, window });
  const states = [];
  conn.addEventListener('state', (e) => states.push(e.detail.state));
  conn.start();
  return { conn, store, timers, states, es: FakeEventSource.last };
}

// The first connection: hello, snapshot and a delta, ids 7-1 and 7-2.
function live(es) {
  es.emit('hello', { heartbeat_ms: 1000, retry_ms: 500, now: 5 });
  es.emit('snapshot', { ...structuredClone(DOC), now: 5 }, '7-1');
  es.emit('delta', { ships: { 1: { x: 2 } } }, '7-2');
}

test('events go to the store and the first one makes it live', () => {
  const { conn, store, es, states } = started();
  assert.equal(es.url, URL);
  assert.equal(conn.state, 'connecting');
  live(es);
  es.emit('log', { entries: [{ seq: 1, text: 'hi' }] }, '7-3');
  es.emit('round', { round: 2, phase: 'planning', deadline: 9, now: 6 }, '7-4');
  es.emit('presence', { gm: true, players: [1], spectators: 0 });
  es.emit('accepted', { accepted: true, round: 2, station: 'pilot', order: { type: 'evade' } });
  es.emit('heartbeat', { now: 7 });
  assert.deepEqual(states, ['live']);
  assert.equal(store.doc.ships[1].x, 2);
  assert.equal(store.log.length, 1);
  assert.equal(store.doc.round, 2);
  assert.equal(store.presence.gm, true);
  assert.equal(store.lastAccepted.station, 'pilot');
  assert.equal(conn.lastEventId, '7-4');
  assert.equal(conn.snapshots, 1);
  assert.equal(conn.reconnects, 0);
  conn.close();
});

test('hello sets the watchdog to 2.5 x heartbeat_ms; any event feeds it', () => {
  const { conn, timers, es } = started();
  live(es);                                   // heartbeat_ms 1000: watchdog 2500
  timers.advance(2000);
  es.emit('heartbeat', { now: 8 });
  timers.advance(2000);
  assert.equal(FakeEventSource.instances.length, 1);
  assert.equal(es.closed, false);
  timers.advance(600);                        // 2,600 ms of silence
  assert.equal(es.closed, true);
  assert.equal(FakeEventSource.instances.length, 2);
  conn.close();
});

test('silence closes and reopens with last_event_id; live -> reconnecting -> resyncing -> live', () => {
  const { conn, timers, es, states, store } = started();
  live(es);
  timers.advance(2500);
  const again = FakeEventSource.last;
  assert.notEqual(again, es);
  assert.equal(again.url, URL + '&last_event_id=7-2');
  assert.equal(conn.state, 'reconnecting');
  again.emit('hello', { heartbeat_ms: 1000, retry_ms: 500, now: 9 });
  assert.equal(conn.state, 'reconnecting');   // resumed or resynced? wait and see
  again.emit('snapshot', { ...structuredClone(DOC), now: 9 }, '8-1');
  assert.equal(conn.state, 'resyncing');
  again.emit('presence', { gm: false, players: [], spectators: 0 });
  assert.equal(conn.state, 'resyncing');      // part of the snapshot
  timers.advance(2000);
  assert.deepEqual(states, ['live', 'reconnecting', 'resyncing', 'live']);
  assert.equal(conn.reconnects, 1);
  assert.equal(conn.snapshots, 2);
  assert.equal(store.doc.ships[1].x, 1);
  conn.close();
});

test('resyncing ends at the next change', () => {
  const { conn, timers, es } = started();
  live(es);
  conn.reconnectNow();
  const again = FakeEventSource.last;
  assert.equal(again.url, URL + '&last_event_id=7-2');
  again.emit('hello', { heartbeat_ms: 1000, now: 9 });
  again.emit('snapshot', { ...structuredClone(DOC), now: 9 }, '8-1');
  again.emit('delta', { phase: 'resolving' }, '8-2');
  assert.equal(conn.state, 'live');
  timers.advance(100);
  conn.close();
});

test('a resumed stream (no snapshot) is live again after its hello settles, or at once on a replayed event', () => {
  const { conn, timers, es, states } = started();
  live(es);
  es.fail(FakeEventSource.CONNECTING);        // the browser reconnects by itself
  assert.equal(conn.state, 'reconnecting');
  es.emit('hello', { heartbeat_ms: 1000, now: 9 });
  timers.advance(500);
  assert.equal(conn.state, 'live');
  es.fail(FakeEventSource.CONNECTING);
  es.emit('hello', { heartbeat_ms: 1000, now: 9 });
  es.emit('delta', { round: 2 }, '7-3');
  assert.equal(conn.state, 'live');
  assert.deepEqual(states, ['live', 'reconnecting', 'live', 'reconnecting', 'live']);
  assert.equal(FakeEventSource.instances.length, 1);   // the browser's own reconnection
  assert.equal(conn.reconnects, 2);
  conn.close();
});

test('an error that closes the stream reopens it after retry_ms, backing off', () => {
  const { conn, timers, es } = started();
  live(es);                                   // retry_ms 500
  es.fail(FakeEventSource.CLOSED);
  assert.equal(conn.state, 'reconnecting');
  timers.advance(374);
  assert.equal(FakeEventSource.instances.length, 1);
  timers.advance(126);                        // 500 ms at most (jitter: 375..500)
  const second = FakeEventSource.last;
  assert.equal(second.url, URL + '&last_event_id=7-2');
  second.fail(FakeEventSource.CLOSED);        // the next wait is up to 1,000 ms
  timers.advance(749);
  assert.equal(FakeEventSource.instances.length, 2);
  timers.advance(251);
  assert.equal(FakeEventSource.instances.length, 3);
  conn.close();
});

test('a malformed event reopens without last_event_id, for a fresh snapshot', () => {
  const { conn, timers, es } = started();
  live(es);
  es.emit('delta', '{"ships": ', '7-3');
  assert.equal(conn.state, 'reconnecting');
  timers.advance(500);
  assert.equal(FakeEventSource.last.url, URL);
  conn.close();
});

test('offline closes the stream; online reopens it with last_event_id', () => {
  const window = Object.assign(new EventTarget(), { navigator: { onLine: true } });
  const { conn, timers, es, states } = started({ window });
  live(es);
  window.dispatchEvent(new Event('offline'));
  assert.equal(conn.state, 'offline');
  assert.equal(es.closed, true);
  assert.equal(timers.pending, 0);
  timers.advance(60_000);
  assert.equal(FakeEventSource.instances.length, 1);
  window.dispatchEvent(new Event('online'));
  assert.equal(conn.state, 'reconnecting');
  assert.equal(FakeEventSource.last.url, URL + '&last_event_id=7-2');
  FakeEventSource.last.emit('hello', { heartbeat_ms: 1000, now: 9 });
  FakeEventSource.last.emit('round', { round: 1, phase: 'planning', deadline: 0, now: 9 }, '7-3');
  assert.deepEqual(states, ['live', 'offline', 'reconnecting', 'live']);
  conn.close();
});

test('starting offline waits for the network', () => {
  const window = Object.assign(new EventTarget(), { navigator: { onLine: false } });
  const { conn } = started({ window });
  assert.equal(conn.state, 'offline');
  assert.equal(FakeEventSource.instances.length, 0);
  window.dispatchEvent(new Event('online'));
  assert.equal(FakeEventSource.instances.length, 1);
  assert.equal(FakeEventSource.last.url, URL);
  conn.close();
});

test('close leaves no timer, no open stream and no window listener', () => {
  const window = Object.assign(new EventTarget(), { navigator: { onLine: true } });
  const { conn, timers, es } = started({ window });
  live(es);
  es.fail(FakeEventSource.CLOSED);            // a reopen pending
  assert.ok(timers.pending > 0);
  conn.close();
  assert.equal(timers.pending, 0);
  assert.equal(conn.state, 'closed');
  assert.equal(es.closed, true);
  window.dispatchEvent(new Event('online'));
  timers.advance(100_000);
  assert.equal(FakeEventSource.instances.length, 1);
  conn.reconnectNow();
  assert.equal(FakeEventSource.instances.length, 1);
});

test('events of a stream already replaced are ignored', () => {
  const { conn, store, es } = started();
  live(es);
  conn.reconnectNow();
  es.emit('delta', { ships: { 1: { x: 99 } } }, '7-9');
  assert.equal(store.doc.ships[1].x, 2);
  assert.equal(conn.lastEventId, '7-2');
  conn.close();
});
