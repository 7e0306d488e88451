// session.js: round trip through localStorage, lastBattle, storage refused.
import test from 'node:test';
import assert from 'node:assert/strict';
import { MemoryStorage } from './fakes.mjs';
import { forgetSession, lastBattle, loadSession, saveSession } from '../../www/js/session.js';

test('save, load, forget; lastBattle is the latest saved', () => {
  globalThis.localStorage = new MemoryStorage();
  assert.equal(lastBattle(), null);
  assert.equal(loadSession('aaa'), null);
  assert.equal(saveSession('aaa', { token: 't1', role: 'player', name: 'Ann', player: 1 }), true);
  assert.equal(saveSession('bbb', { token: 't2', role: 'spectator', name: 'Eve' }), true);
  const s = loadSession('aaa');
  assert.deepEqual({ ...s, savedAt: 0 }, { token: 't1', role: 'player', name: 'Ann', player: 1, savedAt: 0 });
  assert.equal(localStorage.getItem('broadside:session:aaa') !== null, true);
  assert.equal(lastBattle(), 'bbb');
  saveSession('aaa', { token: 't1', role: 'player', name: 'Ann', player: 1 });
  assert.equal(lastBattle(), 'aaa');
  forgetSession('aaa');
  assert.equal(loadSession('aaa'), null);
  assert.equal(lastBattle(), 'bbb');
});

test('garbage in storage reads as no session', () => {
  globalThis.localStorage = new MemoryStorage();
  localStorage.setItem('broadside:session:x', '{not json');
  localStorage.setItem('broadside:session:y', '{"role":"player"}');
  assert.equal(loadSession('x'), null);
  assert.equal(loadSession('y'), null);
  assert.equal(lastBattle(), null);
});

test('storage that refuses (private mode) fails quietly', () => {
  const refusing = new MemoryStorage();
  refusing.setItem = () => { throw new DOMException('quota', 'QuotaExceededError'); };
  globalThis.localStorage = refusing;
  assert.equal(saveSession('aaa', { token: 't' }), false);
  assert.equal(loadSession('aaa'), null);
  Object.defineProperty(globalThis, 'localStorage', { configurable: true, get() { throw new DOMException('denied', 'SecurityError'); } });
  assert.equal(saveSession('aaa', { token: 't' }), false);
  assert.equal(loadSession('aaa'), null);
  assert.equal(lastBattle(), null);
  assert.doesNotThrow(() => forgetSession('aaa'));
  delete globalThis.localStorage;
});
