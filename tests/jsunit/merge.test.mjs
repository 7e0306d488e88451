// mergePatch against RFC 7386: every example of its appendix A, and in-place merging.
import test from 'node:test';
import assert from 'node:assert/strict';
import { mergePatch } from '../../www/js/merge.js';

// RFC 7386, Appendix A: [original, patch, result].
const APPENDIX_A = [
  [{ a: 'b' }, { a: 'c' }, { a: 'c' }],
  [{ a: 'b' }, { b: 'c' }, { a: 'b', b: 'c' }],
  [{ a: 'b' }, { a: null }, {}],
  [{ a: 'b', b: 'c' }, { a: null }, { b: 'c' }],
  [{ a: ['b'] }, { a: 'c' }, { a: 'c' }],
  [{ a: 'c' }, { a: ['b'] }, { a: ['b'] }],
  [{ a: { b: 'c' } }, { a: { b: 'd', c: null } }, { a: { b: 'd' } }],
  [{ a: [{ b: 'c' }] }, { a: [1] }, { a: [1] }],
  [['a', 'b'], ['c', 'd'], ['c', 'd']],
  [{ a: 'b' }, ['c'], ['c']],
  [{ a: 'foo' }, null, null],
  [{ a: 'foo' }, 'bar', 'bar'],
  [{ e: null }, { a: 1 }, { e: null, a: 1 }],
  [[1, 2], { a: 'b', c: null }, { a: 'b' }],
  [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
];

for (const [i, [original, patch, result]] of APPENDIX_A.entries())
  test(`RFC 7386 appendix A, example ${i + 1}`, () => {
    assert.deepEqual(mergePatch(structuredClone(original), structuredClone(patch)), result);
  });

test('objects are merged in place and the patch is not shared', () => {
  const ship = { x: 1, y: 2 };
  const doc = { ships: { 1: ship } };
  const patch = { ships: { 1: { x: 5 }, 2: { x: 9, systems: { drive: 'ok' } } } };
  const out = mergePatch(doc, patch);
  assert.equal(out, doc);
  assert.equal(out.ships[1], ship);
  assert.deepEqual(ship, { x: 5, y: 2 });
  assert.notEqual(out.ships[2], patch.ships[2]);
  patch.ships[2].systems.drive = 'damaged';
  assert.equal(out.ships[2].systems.drive, 'ok');
});

test('a "__proto__" member is data, not a prototype', () => {
  const out = mergePatch({}, JSON.parse('{"__proto__": {"polluted": true}}'));
  assert.equal(Object.getPrototypeOf(out), Object.prototype);
  assert.equal({}.polluted, undefined);
  assert.deepEqual(Object.keys(out), ['__proto__']);
});
