// BattleStore: change records, log dedupe, snapshots, the server's clock.
import test from 'node:test';
import assert from 'node:assert/strict';
import { BattleStore } from '../../www/js/store.js';

// A small view document as a snapshot carries it.
function snapshotDoc() {
  return {
    id: 'b1', name: 'Night Patrol', phase: 'planning', round: 2, deadline: 100_000,
    round_seconds: 30, spectators: true, now: 50_000,
    ships: {
      1: { id: 1, name: 'Dauntless', side: 'crew', x: 100, y: 500, systems: { drive: 'ok' } },
      2: { id: 2, name: 'Raider', side: 'hostile', x: 350, y: 450 },
    },
    players: { 1: { name: 'Ann', skill: 1, stations: ['pilot'] } },
    stations: { pilot: 1 },
    orders: { stations: {}, ships: {} },
    waiting_for: { stations: ['pilot'], ships: [] },
  };
}

// A store with a snapshot applied, and the change records it dispatches from then on.
function loaded(clock = { t: 40_000 }) {
  const store = new BattleStore({ now: () => clock.t });
  store.applySnapshot(snapshotDoc());
  const changes = [];
  store.addEventListener('change', (e) => changes.push(e.detail));
  return { store, changes, clock };
}

test('one ship moved: the record names that ship and "ships" only', () => {
  const { store, changes } = loaded();
  store.applyDelta({ ships: { 2: { x: 360 } } });
  assert.equal(changes.length, 1);
  const c = changes[0];
  assert.deepEqual([...c.ships], ['2']);
  assert.deepEqual([...c.keys], ['ships']);
  assert.equal(c.removedShips.size, 0);
  assert.equal(c.snapshot, false);
  assert.equal(store.doc.ships[2].x, 360);
  assert.equal(store.doc.ships[2].y, 450);
});

test('a ship added, a ship removed, other keys touched', () => {
  const { store, changes } = loaded();
  store.applyDelta({ ships: { 1: null, 3: { id: 3, x: 1, y: 2 }, 9: null }, phase: 'resolving', waiting_for: { stations: [] } });
  const c = changes[0];
  assert.deepEqual([...c.ships].sort(), ['1', '3']);
  assert.deepEqual([...c.removedShips], ['1']);
  assert.deepEqual([...c.keys].sort(), ['phase', 'ships', 'waiting_for']);
  assert.deepEqual(Object.keys(store.doc.ships).sort(), ['2', '3']);
  assert.deepEqual(store.doc.waiting_for, { stations: [], ships: [] });
});

test('a delta without ships names no ship', () => {
  const { store, changes } = loaded();
  store.applyDelta({ orders: { stations: { pilot: { type: 'evade' } } } });
  assert.equal(changes[0].ships.size, 0);
  assert.deepEqual([...changes[0].keys], ['orders']);
});

test('a snapshot replaces the document, takes out now, and marks snapshot', () => {
  const { store, changes } = loaded();
  const next = snapshotDoc();
  delete next.ships[1];
  next.ships[4] = { id: 4, x: 0, y: 0 };
  next.players = {};
  store.applySnapshot(next);
  const c = changes[0];
  assert.equal(c.snapshot, true);
  assert.equal(store.doc, next);
  assert.equal('now' in store.doc, false);
  assert.deepEqual(Object.keys(store.doc.ships).sort(), ['2', '4']);
  assert.deepEqual([...c.ships].sort(), ['1', '2', '4']);
  assert.deepEqual([...c.removedShips], ['1']);
  assert.ok(c.keys.has('players') && c.keys.has('ships') && !c.keys.has('now'));
});

test('log entries are deduplicated by seq and kept in order', () => {
  const { store, changes } = loaded();
  store.applyLog([{ seq: 1, text: 'a' }, { seq: 2, text: 'b' }]);
  store.applyLog([{ seq: 2, text: 'b' }, { seq: 4, text: 'd' }, { seq: 3, text: 'c' }]);
  store.applyLog([{ seq: 4, text: 'd' }]);
  assert.deepEqual(store.log.map((e) => e.seq), [1, 2, 3, 4]);
  assert.deepEqual(changes.map((c) => c.log.map((e) => e.seq)), [[1, 2], [3, 4], []]);
  assert.equal(store.lastLogSeq, 4);
  store.setLog([{ seq: 7 }, { seq: 5 }, { seq: 5 }]);
  assert.deepEqual(store.log.map((e) => e.seq), [5, 7]);
  assert.equal(changes.at(-1).logReset, true);
  store.applyLog([{ seq: 6 }, { seq: 7 }]);
  assert.deepEqual(store.log.map((e) => e.seq), [5, 6, 7]);
});

test('round, presence and accepted each dispatch one record', () => {
  const { store, changes } = loaded();
  store.applyRound({ round: 3, phase: 'planning', deadline: 130_000, now: 70_000 });
  store.applyPresence({ gm: true, players: [1], spectators: 2 });
  const receipt = { battle: 'b1', accepted: true, round: 3, station: 'pilot', order: { type: 'evade' } };
  store.applyAccepted(receipt);
  assert.equal(changes.length, 3);
  assert.equal(changes[0].round, true);
  assert.deepEqual([...changes[0].keys].sort(), ['deadline', 'round']);
  assert.equal(store.doc.round, 3);
  assert.equal(changes[1].presence, true);
  assert.deepEqual(store.presence, { gm: true, players: [1], spectators: 2 });
  assert.equal(changes[2].accepted, receipt);
  assert.equal(store.lastAccepted, receipt);
});

test('clock offset: the largest sample since the last hello, absurd ones ignored', () => {
  const clock = { t: 40_000 };
  const { store } = loaded(clock);
  assert.equal(store.clockOffset, 10_000);        // snapshot now 50,000 at 40,000
  store.noteServerTime(45_000);                   // a replayed, stale sample
  assert.equal(store.clockOffset, 10_000);
  store.noteServerTime(52_000);
  assert.equal(store.clockOffset, 12_000);
  store.noteServerTime(NaN);
  store.noteServerTime(-1);
  store.noteServerTime('soon');
  store.noteServerTime(40_000 + 10 * 366 * 24 * 3600 * 1000);
  assert.equal(store.clockOffset, 12_000);
  store.resetClock(41_000);                       // a new connection's hello
  assert.equal(store.clockOffset, 1_000);
  clock.t = 60_000;
  assert.equal(store.serverNow(), 61_000);
});

test('secondsLeft counts down to the deadline with the server clock', () => {
  const clock = { t: 40_000 };
  const { store } = loaded(clock);              // offset 10,000: server at 50,000
  assert.equal(store.secondsLeft(), 50);
  clock.t = 89_500;
  assert.equal(store.secondsLeft(), 1);
  clock.t = 200_000;
  assert.equal(store.secondsLeft(), 0);
  store.applyDelta({ deadline: 0 });
  assert.equal(store.secondsLeft(), null);
});

test('a paused clock: paused_ms from the round event, secondsLeft frozen', () => {
  const clock = { t: 40_000 };
  const { store, changes } = loaded(clock);
  store.applyRound({ round: 2, phase: 'planning', deadline: 0, paused_ms: 12_300, now: 50_000 });
  assert.ok(changes[0].keys.has('paused_ms') && changes[0].keys.has('deadline'));
  clock.t = 90_000;
  assert.equal(store.secondsLeft(), 13);
  store.applyRound({ round: 2, phase: 'planning', deadline: 110_000, now: 100_000 });
  assert.equal('paused_ms' in store.doc, false);
  assert.ok(changes[1].keys.has('paused_ms'));
  assert.equal(store.secondsLeft(), 10);
});
